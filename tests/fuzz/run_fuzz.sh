#!/bin/sh
# Runs each libFuzzer target for $FUZZ_SECONDS (default 60) from its seed
# corpus (tests/fuzz/corpus/<target>/, plus seeds generated here with GDAL's
# own tools), under ASan/UBSan; new inputs go to build-fuzz/corpus/.  A crash
# leaves its input in build-fuzz/ and fails.  Prints "fuzz: N passed, N failed".
set -u
BUILD=${BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
mkdir -p "$BUILD/corpus"
for t in config tiletiff aoi scene csv state; do
    c="$BUILD/corpus/$t"
    mkdir -p "$c"
    cp "$HERE"/corpus/$t/* "$c/" 2>/dev/null
    REAL=${CW_REAL_DATA:-$HERE/../../../shared/data/real}
    if [ "$t" = scene ] && [ -d "$REAL" ]; then # real metadata as seeds, read from where they live
        cp "$REAL"/earth-search-*/*.json "$c/" 2>/dev/null
        unzip -p "$REAL"/*.SAFE.zip '*/MTD_MSIL2A.xml' > "$c/real-mtd.xml" 2>/dev/null || rm -f "$c/real-mtd.xml"
    fi
    if [ "$t" = tiletiff ] && [ ! -f "$c/seed-deflate.tif" ]; then
        for co in "COMPRESS=DEFLATE -co PREDICTOR=2" "COMPRESS=ZSTD" "COMPRESS=NONE"; do
            n=$(echo "$co" | cut -d= -f2 | cut -d' ' -f1 | tr 'A-Z' 'a-z')
            # shellcheck disable=SC2086
            gdal_create -q -of GTiff -outsize 300 300 -bands 1 -ot UInt16 -burn 1234 -co TILED=YES \
                -co BLOCKXSIZE=256 -co BLOCKYSIZE=256 -co $co "$c/seed-$n.tif" >/dev/null 2>&1
        done
    fi
    if ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1 \
        "$BUILD/fuzz_$t" -max_total_time="$SECS" -max_len=65536 -artifact_prefix="$BUILD/crash-$t-" \
        -print_final_stats=1 "$c" > "$BUILD/fuzz_$t.log" 2>&1; then
        echo "fuzz $t: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$BUILD/fuzz_$t.log" | grep -Eo '[0-9]+$') runs in ${SECS} s, no crash"
        pass=$((pass + 1))
    else
        echo "FAIL: fuzz $t crashed; input in $BUILD/crash-$t-*"
        tail -n 30 "$BUILD/fuzz_$t.log"
        fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
