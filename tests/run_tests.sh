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
tally() { # name, output file, exit code[, seconds]
    cat "$2"
    now=$(date +%s); echo "($1: ${4:-$((now - T0))} s)"; T0=$now
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

# the AVX2 copies of the kernels are vectorised (not under the sanitizers,
# whose instrumentation keeps GCC from vectorising)
case "$BUILD" in *-san*) ;; *)
    echo "== vectorised ($BUILD)"
    "$HERE/vectorised.sh" "$BUILD" > "$FIX/v.log" 2>&1; tally vectorised "$FIX/v.log" $? ;;
esac

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

# The rest runs in two lanes at once: a test spends about half its time in
# one thread (Python, the alerts, the history, GDAL), so one lane alone
# keeps two cores about half busy.  Each step writes its log, exit code and
# seconds; the lanes share nothing but the read-only series and the build,
# and each has its own Chromium/LibreOffice profile.  Results are printed
# and counted in a fixed order once both are done.
step() { # log, command...
    log=$1; shift
    t=$(date +%s)
    "$@" > "$log" 2>&1
    echo $? > "$log.rc"
    echo $(($(date +%s) - t)) > "$log.sec"
}
show() { # title, name, log: one lane step, printed and counted
    [ -f "$3.rc" ] || return 0 # not run in this configuration
    echo "== $1"
    tally "$2" "$3" "$(cat "$3.rc")" "$(cat "$3.sec")"
}
PY=/usr/bin/python3
T=$HERE/integration
REAL=${CW_REAL_DATA:-$HERE/../../shared/data/real}
# Amazon Mining Watch's Napo polygons, beside the real scenes
CW_AMW_DATA=${CW_AMW_DATA:-$REAL/../amw}
export CW_AMW_DATA
series_ok=1
if ! $PY "$HERE/../scripts/s2synth.py" series "$FIX/series" > "$FIX/gs.log" 2>&1; then
    cat "$FIX/gs.log"; echo "series generation failed"; fail=$((fail + 1)); status=1; series_ok=0
fi
lane_env() { # a profile folder per lane for the browsers and LibreOffice
    export XDG_CONFIG_HOME="$FIX/home-$1/.config" XDG_CACHE_HOME="$FIX/home-$1/.cache"
    mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
}
verify_step() { # in the lane without the scale test, to balance them
    step "$FIX/v.log" $PY "$T/test_verify.py" "$BUILD" "$FIX/series" "$FIX/verify"
}
lane_a() {
    lane_env a
    if [ $series_ok = 1 ]; then
        step "$FIX/r.log" $PY "$T/test_run.py" "$BUILD" "$FIX/series" "$FIX/runs"
        step "$FIX/kl.log" $PY "$T/test_kill.py" "$BUILD" "$FIX/series" "$FIX/kill" "${KILL_TRIALS:-3}"
        step "$FIX/m.log" $PY "$T/test_maps.py" "$BUILD" "$FIX/series" "$FIX/runs"
        # LibreOffice reads the same bytes whatever the build: once (ONCE=0 in the sanitizer pass)
        [ "${ONCE:-1}" = 1 ] && step "$FIX/x.log" $PY "$T/test_spreadsheet.py" "$BUILD" "$FIX/series" "$FIX/runs"
        [ "${SCALE:-0}" = 1 ] || verify_step
    fi
    [ "${SCALE:-0}" = 1 ] && step "$FIX/sc.log" env CW_SCALE_NIGHTS="${CW_SCALE_NIGHTS:-6}" $PY \
        "$HERE/scale/test_scale.py" "$BUILD" "$FIX/scale"
    [ -n "${FUZZ_SMOKE:-}" ] && step "$FIX/fz.log" env BUILD="$FUZZ_SMOKE" FUZZ_SECONDS=6 "$HERE/fuzz/run_fuzz.sh"
    return 0
}
lane_b() {
    lane_env b
    [ $series_ok = 1 ] && step "$FIX/g.log" $PY "$T/test_guards.py" "$BUILD" "$FIX/series" "$FIX/guards"
    [ $series_ok = 1 ] && step "$FIX/oc.log" $PY "$T/test_overcast.py" "$BUILD" "$FIX/series" "$FIX/overcast"
    [ $series_ok = 1 ] && step "$FIX/up.log" $PY "$T/test_upgrade.py" "$BUILD" "$FIX/series" "$FIX/upgrade"
    [ $series_ok = 1 ] && [ "${SCALE:-0}" = 1 ] && verify_step
    if [ -d "$REAL/earth-search-S2A_29RKH_20200219_0_L2A" ]; then
        step "$FIX/real.log" $PY "$T/test_real.py" "$BUILD" "$REAL" "$FIX/real"
        # 187 nights: an accuracy test of the real series, run once (ONCE=0 in
        # the sanitizer pass, whose memory checks the generated seasonal series
        # below already covers)
        [ -d "$REAL/fordead-verdun-T31UFQ" ] && [ "${ONCE:-1}" = 1 ] &&
            step "$FIX/se.log" $PY "$T/test_seasons.py" "$BUILD" "$REAL" "$FIX/seasons"
    fi
    step "$FIX/a.log" $PY "$HERE/accuracy/score.py" "$BUILD" --seeds 1,2 --dates 5,10 --work "$FIX/accuracy" --floors
    # two seasonal series; one in the sanitizer pass (ONCE=0), whose scores are
    # the same bytes: it is there for the memory checks of the seasonal path
    # and the catch-up night, and the river bar of seed 6 has the most of it
    if [ "${ONCE:-1}" = 1 ]; then seasonal=1,6; else seasonal=6; fi
    step "$FIX/as.log" $PY "$HERE/accuracy/score.py" "$BUILD" --seeds $seasonal --dates 40 --season 0.45 \
        --work "$FIX/accuracy" --floors
    # a real window of Napo: Amazon Mining Watch's pits of 2024-2025 and the
    # real territories (the same bytes whatever the build: once)
    [ -f "$CW_AMW_DATA/napo_mining_202400.geojson" ] && [ "${ONCE:-1}" = 1 ] &&
        step "$FIX/an.log" $PY "$HERE/accuracy/score.py" "$BUILD" --site arajuno --seeds 1 --dates 10 \
            --work "$FIX/accuracy" --floors
    # a suspect margin wider than a state chunk (the pass reads two chunks ahead), the state in
    # chunks of 128 columns: the margins stop at their edges as the oracle says
    step "$FIX/am.log" env CHAKRAWATCH_STATE_COLS=128 $PY "$HERE/accuracy/score.py" "$BUILD" --seeds 3 \
        --dates 10 --margins 20 --work "$FIX/accuracy-margins"
    return 0
}
echo "== two lanes at once: nightly, kill, maps, spreadsheet, scale or verify, fuzz | guards, overcast, (verify), real, seasons, accuracy"
(lane_a) &
pa=$!
(lane_b) &
pb=$!
wait $pa $pb
show "nightly job against ground truth" nightly "$FIX/r.log"
show "kill -9 at random moments of a night, then the rerun (${KILL_TRIALS:-3} trial(s); make killtest runs 30)" kill \
    "$FIX/kl.log"
show "maps and report (PNG, headless Chromium)" maps "$FIX/m.log"
show "alerts.xlsx in headless LibreOffice (es-ES, es-EC)" spreadsheet "$FIX/x.log"
show "guards, exit codes, settings against the state, reprocess" guards "$FIX/g.log"
show "overcast chunks: frames copied, not compressed again (the same bytes as compressing)" overcast "$FIX/oc.log"
show "a state of the old format (128-row chunks) cut on its first night, the same outputs" upgrade "$FIX/up.log"
show "verify and review (plot verdicts against truth, evidence packs, the committee's reviews)" verify "$FIX/v.log"
if [ -d "$REAL/earth-search-S2A_29RKH_20200219_0_L2A" ]; then
    show "real Sentinel-2 (../shared/data/real)" real "$FIX/real.log"
    show "the real five-year series (seasons, recovery)" seasons "$FIX/se.log"
else
    echo "real scenes not found in $REAL (set CW_REAL_DATA): real-imagery tests NOT RUN"
fi
show "accuracy floors (randomised series with haze, fringes, a shifted date, river dynamics; two seeds)" accuracy \
    "$FIX/a.log"
show "accuracy on seasonal series (seeds 1 and 6, seed 6 alone under the sanitizers; seed 6: a river bar beside the erosion's wet pockets)" \
    accuracy-seasonal "$FIX/as.log"
show "suspect margins of 20 px, across state chunks" accuracy-margins "$FIX/am.log"
if [ -f "$CW_AMW_DATA/napo_mining_202400.geojson" ]; then
    show "a window of Napo: Amazon Mining Watch's pits and the real territories (Arajuno, Puca Hurco)" accuracy-napo \
        "$FIX/an.log"
else
    echo "Amazon Mining Watch data not found in $CW_AMW_DATA (set CW_AMW_DATA): the Napo window NOT RUN"
fi
show "scale-out: Slurm array job, PostGIS history with four writers, tile locks (make check-scale)" scale "$FIX/sc.log"
show "fuzz smoke (libFuzzer + ASan/UBSan, 6 s per target; make fuzz runs longer)" fuzz "$FIX/fz.log"

echo "$BUILD: $pass passed, $fail failed"
exit $status
