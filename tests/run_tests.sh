#!/bin/sh
# Runs the whole suite against one build folder ($BUILD, default build):
# kernel tests (no GDAL), ingest tests against generated truth, and CLI
# tests against gdal_calc.py and gdalinfo.  Prints one closing line
# "N passed, N failed" summing every part; exits non-zero on any failure.
set -u
BUILD=${BUILD:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$(mktemp -d /tmp/chakrawatch-fix.XXXXXX)
trap 'rm -rf "$FIX"' EXIT INT TERM
# GDAL and PROJ keep caches alive until exit; only our own leaks matter.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$HERE/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0 fail=0 status=0
T0=$(date +%s)
tally() { # name, output file, exit code
    cat "$2"
    now=$(date +%s); echo "($1: $((now - T0)) s)"; T0=$now
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
    p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    if [ -z "$line" ]; then p=0; f=1; echo "$1: no result line (crashed?)"; fi
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$1: exit $3"; fi
    pass=$((pass + p)); fail=$((fail + f))
    [ "$f" -eq 0 ] || status=1
}

echo "== layers"
"$HERE/layers.sh" > "$FIX/l.log" 2>&1; tally layers "$FIX/l.log" $?

echo "== kernels ($BUILD)"
"$BUILD/test_kernels" > "$FIX/k.log" 2>&1; tally kernels "$FIX/k.log" $?

echo "== fixtures"
if ! "$HERE/make_fixtures.sh" "$FIX/scenes" > "$FIX/gen.log" 2>&1; then
    cat "$FIX/gen.log"; echo "fixture generation failed"; echo "0 passed, 1 failed"; exit 1
fi

echo "== pipeline"
"$BUILD/test_pipeline" "$FIX/scenes" > "$FIX/p.log" 2>&1; tally pipeline "$FIX/p.log" $?

echo "== integration"
/usr/bin/python3 "$HERE/integration/test_cli.py" "$BUILD" "$FIX/scenes" > "$FIX/i.log" 2>&1
tally integration "$FIX/i.log" $?

echo "== nightly job against ground truth"
if ! /usr/bin/python3 "$HERE/../scripts/s2synth.py" series "$FIX/series" > "$FIX/gs.log" 2>&1; then
    cat "$FIX/gs.log"; echo "series generation failed"; fail=$((fail + 1)); status=1
else
    /usr/bin/python3 "$HERE/integration/test_run.py" "$BUILD" "$FIX/series" "$FIX/runs" > "$FIX/r.log" 2>&1
    tally nightly "$FIX/r.log" $?
    echo "== kill -9 at random moments of a night, then the rerun (${KILL_TRIALS:-3} trial(s); make killtest runs 30)"
    /usr/bin/python3 "$HERE/integration/test_kill.py" "$BUILD" "$FIX/series" "$FIX/kill" "${KILL_TRIALS:-3}" \
        > "$FIX/kl.log" 2>&1
    tally kill "$FIX/kl.log" $?
    echo "== maps and report (PNG, headless Chromium)"
    /usr/bin/python3 "$HERE/integration/test_maps.py" "$BUILD" "$FIX/series" "$FIX/runs" > "$FIX/m.log" 2>&1
    tally maps "$FIX/m.log" $?
    # LibreOffice reads the same bytes whatever the build: once (ONCE=0 in the sanitizer pass)
    if [ "${ONCE:-1}" = 1 ]; then
        echo "== alerts.xlsx in headless LibreOffice (es-ES, es-EC)"
        /usr/bin/python3 "$HERE/integration/test_spreadsheet.py" "$BUILD" "$FIX/series" "$FIX/runs" > "$FIX/x.log" 2>&1
        tally spreadsheet "$FIX/x.log" $?
    fi
    echo "== guards, exit codes, settings against the state, reprocess"
    /usr/bin/python3 "$HERE/integration/test_guards.py" "$BUILD" "$FIX/series" "$FIX/guards" > "$FIX/g.log" 2>&1
    tally guards "$FIX/g.log" $?
    echo "== verify and review (plot verdicts against truth, evidence packs, the committee's reviews)"
    /usr/bin/python3 "$HERE/integration/test_verify.py" "$BUILD" "$FIX/series" "$FIX/verify" > "$FIX/v.log" 2>&1
    tally verify "$FIX/v.log" $?
fi

echo "== real Sentinel-2 (../shared/data/real)"
REAL=${CW_REAL_DATA:-$HERE/../../shared/data/real}
if [ -d "$REAL/earth-search-S2A_29RKH_20200219_0_L2A" ]; then
    /usr/bin/python3 "$HERE/integration/test_real.py" "$BUILD" "$REAL" "$FIX/real" > "$FIX/real.log" 2>&1
    tally real "$FIX/real.log" $?
    # 187 nights: an accuracy test of the real series, run once (ONCE=0 in
    # the sanitizer pass, whose memory checks the generated seasonal series
    # below already covers)
    if [ -d "$REAL/fordead-verdun-T31UFQ" ] && [ "${ONCE:-1}" = 1 ]; then
        echo "== the real five-year series (seasons, recovery)"
        /usr/bin/python3 "$HERE/integration/test_seasons.py" "$BUILD" "$REAL" "$FIX/seasons" > "$FIX/se.log" 2>&1
        tally seasons "$FIX/se.log" $?
    fi
else
    echo "real scenes not found in $REAL (set CW_REAL_DATA): real-imagery tests NOT RUN"
fi

echo "== accuracy floors (randomised series with haze, fringes, a shifted date, river dynamics; two seeds)"
/usr/bin/python3 "$HERE/accuracy/score.py" "$BUILD" --seeds 1,2 --dates 5,10 --work "$FIX/accuracy" --floors \
    > "$FIX/a.log" 2>&1
tally accuracy "$FIX/a.log" $?
/usr/bin/python3 "$HERE/accuracy/score.py" "$BUILD" --seeds 1 --dates 40 --season 0.45 --work "$FIX/accuracy" \
    --floors > "$FIX/as.log" 2>&1
tally accuracy-seasonal "$FIX/as.log" $?

if [ "${SCALE:-0}" = 1 ]; then
    echo "== scale-out: Slurm array job, PostGIS history with four writers, tile locks (make check-scale)"
    CW_SCALE_NIGHTS=${CW_SCALE_NIGHTS:-6} /usr/bin/python3 "$HERE/scale/test_scale.py" "$BUILD" "$FIX/scale" \
        > "$FIX/sc.log" 2>&1
    tally scale "$FIX/sc.log" $?
fi

if [ -n "${FUZZ_SMOKE:-}" ]; then
    echo "== fuzz smoke (libFuzzer + ASan/UBSan, 6 s per target; make fuzz runs longer)"
    BUILD="$FUZZ_SMOKE" FUZZ_SECONDS=6 "$HERE/fuzz/run_fuzz.sh" > "$FIX/fz.log" 2>&1
    tally fuzz "$FIX/fz.log" $?
fi

echo "$BUILD: $pass passed, $fail failed"
exit $status
