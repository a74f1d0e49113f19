#!/usr/bin/python3
"""Scale-out with the real servers: Slurm (munge, slurmctld, slurmd from
Debian, on loopback) and PostgreSQL + PostGIS (initdb into a folder).

  test_scale.py BUILD_DIR WORK_DIR

Four generated tiles of eight dates (the first CW_SCALE_NIGHTS of them),
each tile's grid on the same ground (overlapping tiles, as neighbouring
Sentinel-2 tiles overlap):
  - the reference: every night a plain `chakrawatch run` on a GeoPackage;
  - Slurm: every night `scripts/slurm/submit-night.sh` (an array with one
    task per tile, then `finish` after all of them): alerts.csv,
    aoi_summary.csv, alerts.xlsx, report.html and the maps equal the
    reference's, byte for byte, and the history holds the same rows;
  - one night an array task is killed with SIGKILL: `finish` never runs,
    the resubmitted night gives the same outputs;
  - PostGIS: every night four `run --tile` processes write the same
    history at once, then `finish`; the same outputs, byte for byte, and
    the same rows as the GeoPackage history, and `verify` the same verdicts;
  - an AOI seen by the four tiles is counted once: aoi_summary.csv equals a
    run on one tile alone;
  - a corrupt scene met by a tile run is in the report `finish` writes;
  - locks: two `run --tile` of one tile started together (one does the
    work, the other finds it done, each scene recorded once); a tile held
    by another run is refused naming the holder while another tile runs; a
    plain run waits for tile runs and gives up naming the state.
"""
import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import cwtest  # noqa: E402
from cwtest import check, finish  # noqa: E402
from osgeo import gdal, ogr  # noqa: E402

gdal.UseExceptions()
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD, TMP = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
CW = os.path.join(BUILD, "chakrawatch")
TILES = {"18MTD": 3, "18MTE": 4, "18MUD": 5, "18MUE": 6}
shutil.rmtree(TMP, ignore_errors=True)
os.makedirs(TMP)
os.chmod(TMP, 0o755)


def sh(*args, env=None, check_rc=True):
    p = subprocess.run(list(args), capture_output=True, text=True, env=env)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr[-2000:]}")
    return p


# ------------------------------------------------------------------ scenes
procs = [subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "scripts", "s2synth.py"), "series",
                           os.path.join(TMP, "gen", t), "--tile", t, "--seed", str(s)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for t, s in TILES.items()]
for p in procs:
    if p.wait() != 0:
        print(p.stderr.read().decode(), file=sys.stderr)
        sys.exit("series generation failed")
GEN = os.path.join(TMP, "gen", "18MTD")
PRODUCTS = sorted((os.path.join(TMP, "gen", t, "inbox", p) for t in TILES
                   for p in os.listdir(os.path.join(TMP, "gen", t, "inbox"))), key=os.path.basename)
NIGHTS = sorted({cwtest.night_of(os.path.basename(p)) for p in PRODUCTS})
# make check runs the first 6 nights (CW_SCALE_NIGHTS: the reference period and three monitoring nights,
# the first confirmations),
# make check-scale all 8
NIGHTS = NIGHTS[:int(os.environ.get("CW_SCALE_NIGHTS", len(NIGHTS)))]
# one corrupt product among a night's scenes: its warning, printed by a tile
# run, must reach the night's report that `finish` writes
_good = [p for p in PRODUCTS if "_T18MTE_" in p and cwtest.night_of(os.path.basename(p)) == NIGHTS[3]][0]
BAD = os.path.join(TMP, "bad", os.path.basename(_good).replace("S2B_", "S2A_"))
shutil.copytree(_good, BAD)
with open(os.path.join(BAD, "B04.tif"), "r+b") as f:
    f.truncate(4000)
PRODUCTS = sorted(PRODUCTS + [BAD], key=os.path.basename)
REF0, REF1 = "2024-01-01", "2024-02-29"


def job(name, tiles=TILES, extra=""):
    d = os.path.join(TMP, name)
    os.makedirs(os.path.join(d, "nightly"))
    ini = os.path.join(d, "job.ini")
    with open(ini, "w") as f:
        f.write(f"[job]\ninbox = nightly\nstate = state\noutput = out\nthreads = 1\n{extra}\n"
                f"[reference]\nstart = {REF0}\nend = {REF1}\n\n"
                f"[aoi]\nconserved = {GEN}/aoi/conserved.geojson\nchakras = {GEN}/aoi/chakras.gpkg\nid_field = id\n")
    return {"dir": d, "ini": ini, "tiles": tiles}


def deliver(j, night):
    for p in PRODUCTS:
        b = os.path.basename(p)
        if cwtest.night_of(b) == night and b.split("_")[5][1:] in j["tiles"]:
            os.symlink(p, os.path.join(j["dir"], "nightly", b))


def cw(*args, **kw):
    return cwtest.run_checked(CW, *args, **kw)


def outputs(j, night):
    """The night's files, logs and the history copy aside: name -> sha256."""
    base = os.path.join(j["dir"], "out", night)
    out = {}
    for path in sorted(glob.glob(os.path.join(base, "**", "*"), recursive=True)):
        rel = os.path.relpath(path, base)
        if os.path.isfile(path) and not rel.startswith("logs") and rel != "history.gpkg":
            out[rel] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out


def rows(src):
    """Every layer of a history as sorted rows (fid aside; reals to 12
    significant digits, as a server keeps 15)."""
    ds = gdal.OpenEx(src, gdal.OF_VECTOR)
    res = {}
    for name in ("alerts", "alert_events", "scenes", "tiles", "aoi_observations", "aoi_never_observed",
                 "alert_reviews"):
        lyr = ds.GetLayerByName(name)
        rs = []
        for f in lyr:
            r = []
            for k in range(f.GetFieldCount()):
                v = f.GetField(k)
                r.append(float(f"{v:.12g}") if isinstance(v, float) else v)
            g = f.GetGeometryRef()
            if g is not None:
                r.append(round(g.GetArea(), 12))
                r.append(g.GetPointCount() + sum(g.GetGeometryRef(i).GetGeometryRef(0).GetPointCount()
                                                 for i in range(g.GetGeometryCount())))
            rs.append(tuple("" if x is None else x for x in r))
        res[name] = sorted(rs, key=repr)
    return res


def same_outputs(a, b, night, what):
    oa, ob = outputs(a, night), outputs(b, night)
    diff = sorted(k for k in set(oa) | set(ob) if oa.get(k) != ob.get(k))
    check(not diff and "alerts.csv" in oa and "report.html" in oa,
          f"{what}, night {night}: the outputs equal the reference's byte for byte (differ: {diff[:6]})")
    if night == NIGHTS[3]:
        rep = open(os.path.join(b["dir"], "out", night, "report.html"), encoding="utf-8").read()
        check(os.path.basename(BAD) in rep, f"{what}: the corrupt scene a tile run met is in finish's report")


# ------------------------------------------------------- the reference run
ref = job("reference")
for n in NIGHTS:
    deliver(ref, n)
    p = cw("run", ref["ini"], "--night", n)
    check(p.returncode in (0, 1) and "Traceback" not in p.stderr, f"reference night {n}: {p.stderr[-300:]}")
REF_ROWS = rows(os.path.join(ref["dir"], "state", "history.gpkg"))
check(len(REF_ROWS["alerts"]) >= 8 and {r[1] for r in REF_ROWS["alerts"]} == set(TILES),
      f"the reference has alerts on every tile ({len(REF_ROWS['alerts'])})")

# one tile alone: what an AOI on the four overlapping tiles must count once
one = job("one-tile", tiles={"18MTD": 3})
for n in NIGHTS:
    deliver(one, n)
    cw("run", one["ini"], "--night", n)
last = NIGHTS[-1]
s_one = open(os.path.join(one["dir"], "out", last, "aoi_summary.csv"), encoding="utf-8-sig").read()
s_four = open(os.path.join(ref["dir"], "out", last, "aoi_summary.csv"), encoding="utf-8-sig").read()
check("CA-01" in s_one and s_one == s_four,
      "an AOI seen by four overlapping tiles is counted once: aoi_summary.csv equals the one-tile run's")
ha = [float(x) for line in s_four.splitlines()[1:] for x in line.split(",")[4:12]]
check(sum(ha) > 0, f"the summary counts some loss or mining ({sum(ha):.2f} ha)")

# ------------------------------------------------------------------ locks
lk = job("locks", extra="lock_wait_s = 1\n")
deliver(lk, NIGHTS[0])
two = [subprocess.Popen([CW, "run", lk["ini"], "--tile", "18MTD", "--night", NIGHTS[0]], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE, text=True) for _ in range(2)]
errs = [t.communicate(timeout=600)[1] for t in two]
# lock_wait_s = 1: the second either waited for the first or was refused naming it
done = sum("1 scene(s) processed" in e for e in errs)
check(done == 1 and all(t.returncode in (0, 1) for t in two), f"two runs of one tile: one does the work ({done})")
check(all("1 scene(s) processed" in e or "1 already done" in e or "still in use" in e for e in errs),
      "the other found it done or was refused naming the holder")
ds = gdal.OpenEx(os.path.join(lk["dir"], "state", "history.gpkg"), gdal.OF_VECTOR)
names = [f["product_id"] for f in ds.GetLayerByName("scenes") if f["tile_id"] == "18MTD"]
ds = None
check(len(names) == 1, f"the scene is recorded once ({len(names)})")
os.makedirs(os.path.join(lk["dir"], "state", "18MTE"), exist_ok=True)
tl = open(os.path.join(lk["dir"], "state", "18MTE", ".lock"), "w")
fcntl.flock(tl, fcntl.LOCK_EX)
tl.write("host node7 pid 4242 since 2024-01-05T02:00:00Z\n")
tl.flush()
p = cw("run", lk["ini"], "--tile", "18MTE", "--night", NIGHTS[0])
check(p.returncode == 1 and "node7 pid 4242" in p.stderr and "still in use" in p.stderr,
      f"a tile held by another run is refused naming the holder: {p.stderr[-200:]}")
p = cw("run", lk["ini"], "--tile", "18MUD", "--night", NIGHTS[0])
check(p.returncode in (0, 1) and "1 scene(s) processed" in p.stderr, "another tile runs meanwhile")
fcntl.flock(tl, fcntl.LOCK_UN)
tl.close()
st = open(os.path.join(lk["dir"], "state", ".lock"), "r")
fcntl.flock(st, fcntl.LOCK_SH)  # as a tile run holds it
p = cw("run", lk["ini"], "--night", NIGHTS[0])
check(p.returncode == 1 and "still in use" in p.stderr, f"a plain run waits for the tile runs, then gives up: "
      f"{p.stderr[-200:]}")
p = cw("run", lk["ini"], "--tile", "18MUE", "--night", NIGHTS[0])
check(p.returncode in (0, 1) and "1 scene(s) processed" in p.stderr, "tile runs share the state")
fcntl.flock(st, fcntl.LOCK_UN)
st.close()

p = cw("run", lk["ini"], "--tile", "../../escape", "--night", NIGHTS[0])
check(p.returncode == 2 and "not a Sentinel-2 tile id" in p.stderr and
      not os.path.exists(os.path.join(TMP, "escape")), "run --tile with a path is refused, nothing made outside the state")

# ------------------------------------------------------------------ Slurm
SL = os.path.join(TMP, "slurm")
env = dict(os.environ)
started = sh(os.path.join(ROOT, "scripts", "slurm", "local-cluster.sh"), "start", SL, check_rc=False)
if started.returncode != 0:
    check(False, f"the local Slurm cluster starts: {started.stderr[-1500:]}")
else:
    env["SLURM_CONF"] = started.stdout.strip().split("=", 1)[1]
    env["CHAKRAWATCH"] = CW
    env["TMPDIR"] = TMP

    def job_state(jid):
        p = sh("scontrol", "show", "job", jid, env=env, check_rc=False)
        for w in p.stdout.split():
            if w.startswith("JobState="):
                return w.split("=", 1)[1]
        return "GONE"

    def array_states(jid):
        p = sh("squeue", "-h", "-j", jid, "-o", "%T", env=env, check_rc=False)
        return p.stdout.split()

    def submit(j, night):
        p = sh(os.path.join(ROOT, "scripts", "slurm", "submit-night.sh"), j["ini"], night, "--", "-c", "1",
               "--mem=1G", env=env)
        ids = dict(line.split() for line in p.stdout.splitlines())
        return ids["array"], ids["finish"]

    def wait_done(jid, limit=300):
        t0 = time.time()
        while time.time() - t0 < limit:
            s = job_state(jid)
            if s in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"):
                return s
            time.sleep(0.2)
        return "TIMEOUT"

    try:
        sl = job("slurm")
        kill_night = NIGHTS[4]
        for n in NIGHTS:
            deliver(sl, n)
            if n != kill_night:
                arr, fin = submit(sl, n)
                s = wait_done(fin)
                check(s == "COMPLETED", f"slurm night {n}: finish {s}")
                same_outputs(ref, sl, n, "slurm")
                continue
            # a task killed by SIGKILL while it runs: hold its tile so it is
            # surely running, kill it, and resubmit the night
            os.makedirs(os.path.join(sl["dir"], "state", "18MUD"), exist_ok=True)
            hold = open(os.path.join(sl["dir"], "state", "18MUD", ".lock"), "w")
            fcntl.flock(hold, fcntl.LOCK_EX)
            arr, fin = submit(sl, n)
            victim = None
            for _ in range(600):
                p = sh("pgrep", "-f", f"run {sl['ini']} --tile 18MUD", check_rc=False)
                if p.stdout.split():
                    victim = int(p.stdout.split()[0])
                    break
                time.sleep(0.1)
            check(victim is not None, "the array task of tile 18MUD runs")
            if victim:
                os.kill(victim, 9)
            fcntl.flock(hold, fcntl.LOCK_UN)
            hold.close()
            s = wait_done(fin)
            check(s in ("CANCELLED", "FAILED"),
                  f"finish does not run after a killed task ({s})")
            sh("scancel", fin, env=env, check_rc=False)
            check(not os.path.exists(os.path.join(sl["dir"], "out", n, "alerts.csv")),
                  "the killed night wrote no alerts.csv")
            for _ in range(300):  # the rest of the array
                if not array_states(arr):
                    break
                time.sleep(0.2)
            plan = sh(CW, "plan", sl["ini"]).stdout.split()
            check("18MUD" in plan, f"the killed tile is planned again ({plan})")
            arr, fin = submit(sl, n)
            s = wait_done(fin)
            check(s == "COMPLETED", f"the resubmitted night completes ({s})")
            same_outputs(ref, sl, n, "slurm, after a killed task and a resubmission")
        check(rows(os.path.join(sl["dir"], "state", "history.gpkg")) == REF_ROWS,
              "slurm: the history holds the reference's rows")
    finally:
        sh(os.path.join(ROOT, "scripts", "slurm", "local-cluster.sh"), "stop", SL, check_rc=False)

# ---------------------------------------------------------------- PostGIS
# the server runs as the postgres user when we are root: its folder must be
# reachable by that user, which a private temporary parent is not
PGD = tempfile.mkdtemp(prefix="cw-pg-")
os.chmod(PGD, 0o755)
started = sh(os.path.join(ROOT, "scripts", "local-postgis.sh"), "start", PGD, check_rc=False)
if started.returncode != 0:
    check(False, f"the local PostGIS server starts: {started.stderr[-1500:]}")
else:
    url = started.stdout.strip()
    try:
        pg = job("postgis", extra=f"\n[history]\nurl = {url}\n")
        for n in NIGHTS:
            deliver(pg, n)
            writers = [subprocess.Popen([CW, "run", pg["ini"], "--tile", t, "--night", n], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True) for t in TILES]
            errs = [w.communicate(timeout=600)[1] for w in writers]
            check(all(w.returncode in (0, 1) for w in writers) and not any("commit failed" in e for e in errs),
                  f"postgis night {n}: four writers at once all land "
                  f"{[w.returncode for w in writers]} {[e[-200:] for e in errs if 'failed' in e]}")
            p = cw("finish", pg["ini"], "--night", n)
            check(p.returncode in (0, 1), f"postgis night {n}: finish {p.stderr[-300:]}")
            same_outputs(ref, pg, n, "postgis")
        check(not os.path.exists(os.path.join(pg["dir"], "state", "history.gpkg")), "no GeoPackage was written")
        check(rows(url) == REF_ROWS, "postgis: the server's history holds the GeoPackage's rows")
        # a verifier's pack from the server's history: the reference's verdicts
        packs = {}
        for name, j in (("reference", ref), ("postgis", pg)):
            out = os.path.join(TMP, "verify-" + name)
            p = cw("verify", j["ini"], "--aoi", f"{GEN}/aoi/chakras.gpkg", "--from", REF1, "--out", out)
            check(p.returncode in (0, 1) and os.path.exists(os.path.join(out, "verdicts.csv")),
                  f"verify on the {name} history: {p.stderr[-300:]}")
            packs[name] = {f: hashlib.sha256(open(os.path.join(out, f), "rb").read()).hexdigest()
                           for f in ("verdicts.csv", "verdicts.geojson") if os.path.exists(os.path.join(out, f))}
        check(len(packs["reference"]) == 2 and packs["reference"] == packs["postgis"],
              "verify from PostGIS gives the GeoPackage's verdicts, byte for byte")
        p = cw("alerts", pg["ini"], "--since", NIGHTS[0], "--format", "geojson", "--out",
               os.path.join(TMP, "pg-alerts.geojson"))
        check(p.returncode == 0 and os.path.getsize(os.path.join(TMP, "pg-alerts.geojson")) > 100,
              "alerts export from the server")
    finally:
        sh(os.path.join(ROOT, "scripts", "local-postgis.sh"), "stop", PGD, check_rc=False)
        shutil.rmtree(PGD, ignore_errors=True)

finish("scale")
