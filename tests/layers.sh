#!/bin/sh
# The house's layering, checked: a file in pipeline/ may include only its
# own folder and the layers below it, and kernels/ nothing of pipeline/.
#   cw_util < ingest < cw_config < store < monitor < publish < job < main.c
# Prints each upward include and "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
rank() {
    case "$1" in
    cw_util.*) echo 0 ;; ingest/*) echo 1 ;; cw_config.*) echo 2 ;; store/*) echo 3 ;;
    monitor/*) echo 4 ;; publish/*) echo 5 ;; job/*) echo 6 ;; main.c) echo 7 ;; *) echo 99 ;;
    esac
}
pass=0 fail=0
for f in pipeline/*.[ch] pipeline/*/*.[ch]; do
    rel=${f#pipeline/}
    own=$(rank "$rel")
    ok=1
    for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
        case "$inc" in ck_*) continue ;; esac
        r=$(rank "$inc")
        if [ "$r" -gt "$own" ] || [ "$r" -eq 99 ]; then
            echo "layering: $f includes $inc (a layer above it, or unknown)"
            ok=0
        fi
    done
    if [ $ok -eq 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
for f in kernels/*.[ch]; do
    if grep -qE '#include "(cw_|gdal|ogr|proj|png)|#include <(gdal|ogr|cpl_|proj|png)' "$f"; then
        echo "layering: $f includes pipeline, GDAL, PROJ or libpng"; fail=$((fail + 1))
    else pass=$((pass + 1)); fi
done
echo "layers: $pass passed, $fail failed"
[ $fail -eq 0 ]
