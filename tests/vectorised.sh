#!/bin/sh
# The kernels' AVX2 copies (CK_VEC: target_clones) are vectorised: each
# holds 256-bit instructions.  GCC silently leaves a loop scalar when it
# calls lrintf or stores conditionally, and a kernel that lost its vectors
# still passes every numeric test, only slower; this catches it at once.
# Functions whose work is a chain of dependent adds (a running sum along a
# row) have nothing to vectorise and are listed as such.
# usage: vectorised.sh BUILD    Prints each scalar clone and "N passed, N failed".
B=${1:-build}
SERIAL="ck_tiff_pred2_row" # running sums along a row, no 256-bit lanes to fill
case "$(uname -m)" in x86_64) ;; *) echo "not x86-64: no AVX2 copies to check"; echo "vectorised: 0 passed, 0 failed"; exit 0 ;; esac
pass=0 fail=0
for o in "$B"/kernels/*.o; do
    objdump -d --no-show-raw-insn "$o" | awk '
        /^[0-9a-f]+ <[^>]*>:$/ { if (f != "") print f, n; f = ""; if ($2 ~ /\.avx2>:$/) { f = $2; gsub(/[<>:]/, "", f); n = 0 } next }
        f != "" && /%ymm/ { n++ }
        END { if (f != "") print f, n }'
done > "$B/vectorised.txt"
if [ ! -s "$B/vectorised.txt" ]; then
    echo "no AVX2 copies found in $B/kernels/*.o (is CK_VEC on for this build?)"; echo "vectorised: 0 passed, 1 failed"; exit 1
fi
while read -r fn n; do
    base=${fn%.avx2}
    case " $SERIAL " in *" $base "*) pass=$((pass + 1)); continue ;; esac
    if [ "$n" -gt 0 ]; then pass=$((pass + 1)); else
        echo "scalar: $fn has no 256-bit instruction (GCC left its loop unvectorised; -fopt-info-vec-missed says why)"
        fail=$((fail + 1))
    fi
done < "$B/vectorised.txt"
echo "vectorised: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
