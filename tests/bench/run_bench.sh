#!/bin/sh
# make bench: a full 10980 x 10980 Sentinel-2 tile (uint16, 512 x 512 tiles,
# DEFLATE + predictor, like real COGs), NDVI by chakrawatch against
# gdal_calc.py at its best settings and against the decode-only floor, in
# one hyperfine run each; then the ratios and peak RSS.
# BENCH_DIR (default build/bench-data) keeps the generated tile between runs.
set -eu
BUILD=${BUILD:-build}
CW=$BUILD/chakrawatch
DIR=${BENCH_DIR:-build/bench-data}
RUNS=${BENCH_RUNS:-3}
mkdir -p "$DIR"
if [ ! -f "$DIR/tile/SCL.tif" ]; then
    echo "generating a full 10980 x 10980 tile in $DIR/tile (once)..."
    /usr/bin/python3 scripts/s2synth.py bench "$DIR/tile" --bands B04,B08,SCL
fi
T=$DIR/tile
O=$DIR/out
rm -rf "$O"; mkdir -p "$O"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $("$CW" version)"
CALC_EXPR='(A.astype(numpy.float32)-B)/(A.astype(numpy.float32)+B-2000)'
calc() { # cachemax codec-options...
    cm=$1; shift
    echo "GDAL_CACHEMAX=$cm gdal_calc.py --quiet -A $T/B08.tif -B $T/B04.tif --outfile=$O/calc.tif --type=Float32 --calc='$CALC_EXPR' --NoDataValue=0 --overwrite --co TILED=YES --co BLOCKXSIZE=512 --co BLOCKYSIZE=512 $*"
}
ZSTD_CO="--co COMPRESS=ZSTD --co ZSTD_LEVEL=1 --co PREDICTOR=3"
CW_IDX="$CW indices $T --index ndvi --out $O/cw"

# Ratios are of medians: on a virtual machine the first touch of memory the
# host has not backed yet costs what it likes (500 MB touched took 0.04 s
# to 2.9 s here, run after run), and one such run in three moved a mean by
# a third.
# Every run writes into an empty place (--prepare removes the previous
# outputs of both tools): replacing an existing 500 MB file costs the
# filesystem extra work (ext4 flushes a file renamed over another, about
# 0.2-0.3 s here) that has nothing to do with computing an index.
hyperfine --runs "$RUNS" --warmup 1 --export-json "$O/h.json" --style basic \
    --prepare "rm -rf $O/cw $O/calc.tif; sync" \
    -n floor "$BUILD/decode_floor 512 $T/B04.tif $T/B08.tif" \
    -n floor_direct "$BUILD/decode_floor --direct 512 $T/B04.tif $T/B08.tif" \
    -n cw_none "$CW_IDX --mask none --codec none" \
    -n cw_zstd "$CW_IDX --mask none --codec zstd" \
    -n cw_zstd_l1 "$CW_IDX --mask none --codec zstd --level 1" \
    -n cw_none_1t "$CW_IDX --mask none --codec none --threads 1" \
    -n cw_zstd_1t "$CW_IDX --mask none --codec zstd --threads 1" \
    -n cw_deflate "$CW_IDX --mask none --codec deflate" \
    -n cw_scl_zstd "$CW_IDX --codec zstd" \
    -n cw_int16_zstd "$CW_IDX --mask none --type int16 --codec zstd" \
    -n calc64_none "$(calc 64 --co COMPRESS=NONE)" \
    -n calcdef_none "$(calc 5%)" \
    -n calc64_zstd "$(calc 64 $ZSTD_CO)" \
    -n calcdef_zstd "$(calc 5% $ZSTD_CO)"

rss() { /usr/bin/time -f %M sh -c "$1" 2>&1 >/dev/null | tail -n 1; }
echo
echo "peak RSS (MB):"
R_FLOOR=$(rss "$BUILD/decode_floor 512 $T/B04.tif $T/B08.tif")
R_CWS=$(rss "$CW_IDX --codec zstd")
R_CW=$(rss "$CW_IDX --mask none --codec zstd") # last: its output is the one listed below
R_CALC=$(rss "$(calc 64 $ZSTD_CO)")
echo "  floor $((R_FLOOR/1024))  chakrawatch ndvi $((R_CW/1024))  with SCL mask $((R_CWS/1024))  gdal_calc.py(64MB cache) $((R_CALC/1024))"
echo "output sizes (bytes; NDVI without mask, gdal_calc.py's last run ZSTD 1):"
rm -rf "$O/cw1"
$CW indices $T --index ndvi --out "$O/cw1" --mask none --codec zstd --level 1
ls -l "$O"/cw/*.tif | awk '{print "  " $5 "  " $NF " (ZSTD, default level -3)"}'
ls -l "$O"/cw1/*.tif | awk '{print "  " $5 "  " $NF " (ZSTD level 1)"}'
ls -l "$O/calc.tif" | awk '{print "  " $5 "  " $NF}'

/usr/bin/python3 - "$O/h.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
f = r["floor"]
print("\nmedian seconds and ratios (same run):")
for k, v in r.items():
    print(f"  {k:14s} {v:6.2f} s   {v / f:5.2f}x floor")
best_none = min(r["calc64_none"], r["calcdef_none"])
best_zstd = min(r["calc64_zstd"], r["calcdef_zstd"])
print(f"\n  chakrawatch uncompressed / decode floor:     {r['cw_none'] / f:.2f}x  (target <= 1.2)")
print(f"  chakrawatch uncompressed / own decoder alone: {r['cw_none'] / r['floor_direct']:.2f}x"
      f"  (floor_direct: the same blocks through chakrawatch's tile reader, {f / r['floor_direct']:.2f}x faster than GDAL's)")
print(f"  gdal_calc.py best / chakrawatch, no codec:   {best_none / r['cw_none']:.2f}x  (target >= 2)")
print(f"  gdal_calc.py best / chakrawatch, ZSTD 1:     {best_zstd / r['cw_zstd_l1']:.2f}x  (both at level 1)")
print(f"  chakrawatch ZSTD / uncompressed:              {r['cw_zstd'] / r['cw_none']:.2f}x  (target <= 1.2; default level -3)")
print(f"  chakrawatch ZSTD level 1 / uncompressed:      {r['cw_zstd_l1'] / r['cw_none']:.2f}x")
for k in ("none", "zstd"):
    t1, t2 = r[f"cw_{k}_1t"], r[f"cw_{k}"]
    print(f"  threads, {k:4s}: 1 thread {t1:.2f} s, 2 threads {t2:.2f} s: speed-up {t1 / t2:.2f}x, "
          f"efficiency {t1 / (2 * t2):.0%}")
PY

# ---------------------------------------------------------------- nightly
# One night's update of a full tile in monitoring (all bands + SCL, state
# read, updated and written, alerts extracted) against a decode-only pass
# over the same inputs.  The three "scenes" share the same pixels (folders
# of links named as S2 products of three dates): a reference night and the
# baseline night are run once, then the monitoring night is timed with the
# state reset before each run.
[ "${BENCH_NIGHTLY:-1}" = 1 ] || exit 0
N=$DIR/nightly
BANDS="B02 B03 B04 B08 B11 B12"
if [ ! -f "$N/tile/SCL.tif" ]; then
    echo "generating a full tile with all bands in $N/tile (once)..."
    /usr/bin/python3 scripts/s2synth.py bench "$N/tile" --bands B02,B03,B04,B08,B11,B12,SCL --no-date
fi
# A run folder $1 whose inbox holds the three products: the first two
# nights are run (reference, baseline; with maps, so their previews are
# there), and the state is kept in state0 for every timed night.
nights_prime() {
    R=$1
    cat > "$R/job.ini" <<INI
[job]
inbox = inbox
state = state
output = out
[reference]
start = 2024-01-01
end = 2024-02-29
[maps]
enabled = 0
INI
    sed 's/^enabled = 0/enabled = 1/' "$R/job.ini" > "$R/job-maps.ini"
    mv "$R/inbox" "$R/all"; mkdir "$R/inbox"
    for d in 20240115 20240310; do
        mv "$R/all/"*"_${d}T"* "$R/inbox/"
        /usr/bin/time -f "peak RSS of that night: %M KB" "$CW" run "$R/job-maps.ini" \
            --night "$(echo $d | sed -E 's/(....)(..)(..)/\1-\2-\3/')" 2>&1 | tail -n 2
    done
    mv "$R/all/"* "$R/inbox/"
    cp -a "$R/state" "$R/state0"
}
# a run folder over tile folder $2: three folder products linking its bands
night_setup() {
    R=$1 TD=$(cd "$2" && pwd)
    rm -rf "$R"; mkdir -p "$R/inbox"
    for d in 20240115 20240310 20240320; do
        p="$R/inbox/S2B_MSIL2A_${d}T153619_N0510_R068_T18MTD_${d}T171500"
        mkdir -p "$p"
        for b in $BANDS SCL; do ln -s "$TD/$b.tif" "$p/$b.tif"; done
    done
    nights_prime "$R"
}
night_setup "$N/run" "$N/tile"
NIGHT="$CW run $N/run/job.ini --night 2024-03-20"
NIGHT_MAPS="$CW run $N/run/job-maps.ini --night 2024-03-20"
# The same night under cloud, as Napo's nights mostly are: the same bands,
# an SCL with the upper 60 % of the tile cloud and the next 10 % no data
# (blocks the SCL masks whole are not decoded; chunks nobody sees clear are
# not observed and keep their stored state frames).
if [ ! -f "$N/overcast/SCL.tif" ]; then
    mkdir -p "$N/overcast"
    /usr/bin/python3 - "$N/tile/SCL.tif" "$N/overcast/SCL.tif" <<'PY'
import sys
from osgeo import gdal
src = gdal.Open(sys.argv[1])
a = src.ReadAsArray()
h = a.shape[0]
top = a[: int(0.6 * h)]
top[top != 0] = 9  # cloud where the swath is (the SCL stays 0 where the bands have no data, as in L2A)
a[int(0.6 * h): int(0.7 * h)] = 0
out = gdal.GetDriverByName("GTiff").CreateCopy(sys.argv[2], src, options=["TILED=YES", "COMPRESS=DEFLATE"])
out.GetRasterBand(1).WriteArray(a)
out = None
PY
fi
rm -rf "$N/oc-run"; cp -a "$N/run" "$N/oc-run"
ln -sf "$(cd "$N/overcast" && pwd)/SCL.tif" "$N/oc-run/inbox/"*"_20240320T"*/SCL.tif
NIGHT_OC="$CW run $N/oc-run/job.ini --night 2024-03-20"
# sync: the copies' writeback is not left to land in the timed run
RESET="rm -rf $N/run/state $N/run/out $N/oc-run/state $N/oc-run/out $N/ix-clear $N/ix-overcast; cp -a $N/run/state0 $N/run/state; \
cp -a $N/oc-run/state0 $N/oc-run/state; sync"
FILES=""
for b in $BANDS; do FILES="$FILES $N/tile/$b.tif"; done
# the night's other input: the state it reads (the generation before the night)
STATE_IN=""
for k in base dyn; do STATE_IN="$STATE_IN --state $k=$(ls "$N/run/state0/18MTD/$k-"*.cws)"; done
# indices of the night's scene with the SCL mask (the blocks it masks whole
# are not decoded), clear and overcast
IDX_SCENE="$CW indices --index ndvi,nbr,bsi --mask scl"
hyperfine --runs "$RUNS" --warmup 1 --export-json "$O/n.json" --style basic --prepare "$RESET" \
    -n decode_all "$BUILD/decode_floor 512 $FILES $N/tile/SCL.tif" \
    -n decode_all_direct "$BUILD/decode_floor --direct 512 $FILES $N/tile/SCL.tif" \
    -n decode_inputs "$BUILD/decode_floor --direct $STATE_IN 512 $FILES $N/tile/SCL.tif" \
    -n night "$NIGHT" -n night_1t "$NIGHT --threads 1" -n night_maps "$NIGHT_MAPS" -n night_overcast "$NIGHT_OC" \
    -n indices_clear "$IDX_SCENE $N/run/inbox/*_20240320T* --out $N/ix-clear" \
    -n indices_overcast "$IDX_SCENE $N/oc-run/inbox/*_20240320T* --out $N/ix-overcast"
eval "$RESET"
R_DEC=$(rss "$BUILD/decode_floor 512 $FILES $N/tile/SCL.tif")
R_NIGHT=$(rss "$NIGHT")
eval "$RESET"
R_MAPS=$(rss "$NIGHT_MAPS")
echo "peak RSS (MB): decode-only $((R_DEC/1024))  nightly update $((R_NIGHT/1024))  with maps and report $((R_MAPS/1024))  (target < 1024)"
# flat in tile size: the same night on a tile of half the area
if [ "${BENCH_HALF:-1}" = 1 ]; then
    if [ ! -f "$N/half/SCL.tif" ]; then
        echo "generating a tile of half the area (7764 x 7764) in $N/half (once)..."
        /usr/bin/python3 scripts/s2synth.py bench "$N/half" --size 7764 --bands B02,B03,B04,B08,B11,B12,SCL --no-date
    fi
    night_setup "$N/half-run" "$N/half" > /dev/null
    R_HALF=$(rss "$CW run $N/half-run/job.ini --night 2024-03-20")
    echo "peak RSS (MB) of the nightly update: half tile $((R_HALF/1024)), full tile $((R_NIGHT/1024))"
fi
# a catch-up night: the three scenes in one run (reference, baseline,
# monitoring), no higher than the worst of them run alone
rm -rf "$N/cu-run"; mkdir -p "$N/cu-run"; cp -a "$N/run/inbox" "$N/run/job.ini" "$N/cu-run/"
R_CU=$(rss "cd $N/cu-run && $(cd "$(dirname "$CW")" && pwd)/$(basename "$CW") run job.ini --night 2024-03-20")
echo "peak RSS (MB) of a catch-up night (its three scenes in one run, no maps): $((R_CU/1024))"
rm -rf "$N/cu-run"
ls -la "$N/run/out/2024-03-20/maps/" | sed 's/^/  maps: /'
du -sh "$N/run/state"/* | sed 's/^/  state: /'
/usr/bin/python3 - "$O/n.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"\n  nightly update {r['night']:.2f} s / decode-only {r['decode_all']:.2f} s = "
      f"{r['night'] / r['decode_all']:.2f}x")
print(f"  nightly update / decode-only with chakrawatch's tile reader ({r['decode_all_direct']:.2f} s): "
      f"{r['night'] / r['decode_all_direct']:.2f}x  (the issue's target <= 1.3)")
print(f"  nightly update / decode of all its inputs with chakrawatch's readers, the bands and the state "
      f"({r['decode_inputs']:.2f} s): {r['night'] / r['decode_inputs']:.2f}x")
print(f"  maps and report of the full tile: {r['night_maps'] - r['night']:.2f} s "
      f"(night with maps {r['night_maps']:.2f} s) = {(r['night_maps'] - r['night']) / r['night']:.2f}x the "
      f"nightly pass (target <= 0.25)")
print(f"  nightly threads: 1 thread {r['night_1t']:.2f} s, 2 threads {r['night']:.2f} s: speed-up "
      f"{r['night_1t'] / r['night']:.2f}x, efficiency {r['night_1t'] / (2 * r['night']):.0%}")
print(f"  the night 60 % overcast, 10 % no data: {r['night_overcast']:.2f} s = "
      f"{r['night_overcast'] / r['decode_inputs']:.2f}x the decode of all its inputs, "
      f"{r['night_overcast'] / r['night']:.2f}x the clear night")
print(f"  indices (NDVI, NBR, BSI; SCL mask) of the night's scene: clear {r['indices_clear']:.2f} s, "
      f"overcast {r['indices_overcast']:.2f} s = {r['indices_overcast'] / r['indices_clear']:.2f}x")
PY
# The same ratio with its two commands alternating run by run: hyperfine
# times each command's runs one after the other, and this VM's speed drifts
# between them by as much as the ratio is from its target (session 20: 2.20x
# above, 1.80x alternating on a quiet machine).
ALT=${BENCH_ALT_RUNS:-5}
: > "$O/alt.txt"
for i in $(seq 1 "$ALT"); do
    eval "$RESET"
    /usr/bin/time -f "inputs %e" -a -o "$O/alt.txt" "$BUILD/decode_floor" --direct $STATE_IN 512 $FILES \
        "$N/tile/SCL.tif" > /dev/null
    eval "$RESET"
    /usr/bin/time -f "night %e" -a -o "$O/alt.txt" $NIGHT > /dev/null 2>&1
done
# the median of column $3 of file $1's lines that start with $2
median_of() { grep "^$2 " "$1" | awk -v c="$3" '{print $c}' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
A_IN=$(median_of "$O/alt.txt" inputs 2)
A_NIGHT=$(median_of "$O/alt.txt" night 2)
echo "  alternating, $ALT runs of each: nightly update $A_NIGHT s / decode of all its inputs $A_IN s =" \
    "$(awk -v a="$A_NIGHT" -v b="$A_IN" 'BEGIN {printf "%.2f", a / b}')x  (the issue's target <= 1.3)"
eval "$RESET"

# The reference night (a scene into the reference slots, from no state) and
# the finalize night (the baseline fitted from the slots, then the scene
# monitored: the reference's state read, the baseline and the monitoring
# state written): once a period each, but they are nights too, and a
# change of the state's layout once made them 1.9x and 2.3x slower with
# nothing above showing it.  Each from the state before it, alternately.
RF=$N/rf-run
rm -rf "$RF"; mkdir -p "$RF/inbox-ref"
cp -a "$N/run/inbox" "$RF/inbox"
rm -rf "$RF/inbox/"*_20240320T*
cp -a "$RF/inbox/"*_20240115T* "$RF/inbox-ref/"
sed 's/^inbox = inbox$/inbox = inbox-ref/' "$N/run/job.ini" > "$RF/job-ref.ini"
cp "$N/run/job.ini" "$RF/job.ini"
REF_NIGHT="$CW run $RF/job-ref.ini --night 2024-01-15"
FIN_NIGHT="$CW run $RF/job.ini --night 2024-03-10"
rm -rf "$RF/state" "$RF/out"; $REF_NIGHT > /dev/null 2>&1
cp -a "$RF/state" "$RF/state-ref"
: > "$O/rf.txt"
for i in $(seq 1 "$ALT"); do
    rm -rf "$RF/state" "$RF/out"; sync
    /usr/bin/time -f "reference %e %M" -a -o "$O/rf.txt" $REF_NIGHT > /dev/null 2>&1
    rm -rf "$RF/state" "$RF/out"; cp -a "$RF/state-ref" "$RF/state"; sync
    /usr/bin/time -f "finalize %e %M" -a -o "$O/rf.txt" $FIN_NIGHT > /dev/null 2>&1
done
for k in reference finalize; do
    t=$(median_of "$O/rf.txt" $k 2)
    echo "  $k night, $ALT runs: $t s = $(awk -v a="$t" -v b="$A_NIGHT" 'BEGIN {printf "%.2f", a / b}')x the" \
        "monitoring night; peak RSS $(($(median_of "$O/rf.txt" $k 3) / 1024)) MB"
done
du -sh "$RF/state-ref"/*/ref-* | sed 's/^/  reference state: /'
rm -rf "$RF"

# ---------------------------------------------------------------- .SAFE night
# The same night from JPEG2000 products (.SAFE: B02, B03, B04, B08 at 10 m,
# B11, B12, SCL at 20 m, lossless OpenJPEG as ESA's), against a decode-only
# pass of the same seven files through GDAL's JP2OpenJPEG driver.
[ "${BENCH_SAFE:-1}" = 1 ] || exit 0
J=$DIR/safe
if [ ! -f "$J/jp2/SCL_20m.jp2" ]; then
    echo "encoding the tile as JPEG2000 in $J/jp2 (once)..."
    mkdir -p "$J/jp2"
    for b in $BANDS SCL; do
        case $b in B11|B12|SCL) r=20 ;; *) r=10 ;; esac
        gdal_translate -q -of JP2OpenJPEG -co REVERSIBLE=YES -co QUALITY=100 "$N/tile/$b.tif" "$J/jp2/${b}_${r}m.jp2"
        rm -f "$J/jp2/${b}_${r}m.jp2.aux.xml"
    done
fi
rm -rf "$J/run"; mkdir -p "$J/run/inbox"
for d in 20240115 20240310 20240320; do
    p="$J/run/inbox/S2B_MSIL2A_${d}T153619_N0510_R068_T18MTD_${d}T171500.SAFE"
    for b in $BANDS SCL; do
        case $b in B11|B12|SCL) r=20 ;; *) r=10 ;; esac
        g="$p/GRANULE/L2A_T18MTD_A012345_${d}T153619/IMG_DATA/R${r}m"
        mkdir -p "$g"
        ln -s "$(cd "$J/jp2" && pwd)/${b}_${r}m.jp2" "$g/T18MTD_${d}T153619_${b}_${r}m.jp2"
    done
    /usr/bin/python3 -c "
import sys; sys.path.insert(0, 'scripts'); import s2synth
d = '$d'; date = d[:4] + '-' + d[4:6] + '-' + d[6:]
offs = '      <BOA_ADD_OFFSET_VALUES_LIST>\n' + ''.join(
    f'        <BOA_ADD_OFFSET band_id=\"{i}\">-1000</BOA_ADD_OFFSET>\n' for i in range(13)) + '      </BOA_ADD_OFFSET_VALUES_LIST>\n'
open('$p/MTD_MSIL2A.xml', 'w').write(s2synth.MTD_TEMPLATE.format(date=date, pid='$(basename "$p" .SAFE)',
                                                                  baseline='05.10', offsets=offs))"
done
nights_prime "$J/run"
JFILES=""
for b in $BANDS SCL; do
    case $b in B11|B12|SCL) r=20 ;; *) r=10 ;; esac
    JFILES="$JFILES $J/jp2/${b}_${r}m.jp2"
done
JRESET="rm -rf $J/run/state $J/run/out; cp -a $J/run/state0 $J/run/state; sync"
hyperfine --runs "${BENCH_SAFE_RUNS:-2}" --warmup 0 --export-json "$O/j.json" --style basic --prepare "$JRESET" \
    -n decode_jp2 "$BUILD/decode_floor 2048 $JFILES" \
    -n night_safe "$CW run $J/run/job.ini --night 2024-03-20"
/usr/bin/python3 - "$O/j.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"\n  .SAFE night {r['night_safe']:.2f} s / JPEG2000 decode-only {r['decode_jp2']:.2f} s = "
      f"{r['night_safe'] / r['decode_jp2']:.2f}x  (target <= 1.15)")
PY
