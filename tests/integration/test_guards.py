#!/usr/bin/python3
"""Exit codes cron can trust, guards before anything is written, settings
that cannot silently change under a state, and `chakrawatch reprocess`.

  test_guards.py BUILD_DIR SERIES_DIR [WORK_DIR]

  - unusable configurations exit 2 and write nothing: no [job] inbox, an
    inbox folder that does not exist, an AOI file that does not exist, an
    id_field the AOI file does not have (its fields are named);
  - a warning (a scene without SCL) is not a failure: exit 0;
  - a result-relevant setting changed against an existing state is refused
    (exit 2, the setting, the tile and the way out named, nothing written);
  - `reprocess --tile` with the same settings rebuilds exactly the alerts of
    the original nights (ids, classes, statuses, areas); with new settings
    the next night runs again; the old state is set aside, not deleted;
  - GNU options: --opt=value, -h, unknown options exit 2;
  - the effective configuration is logged with shortest round-trip numbers.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import cwtest
from cwtest import check, finish
from osgeo import gdal

gdal.UseExceptions()
BUILD, SERIES = sys.argv[1], sys.argv[2]
CW = os.path.join(BUILD, "chakrawatch")
TMP = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(prefix="cw-guards-")
shutil.rmtree(TMP, ignore_errors=True)
os.makedirs(TMP)
TRUTH = json.load(open(os.path.join(SERIES, "truth", "truth.json")))
SCENES = sorted(os.listdir(os.path.join(SERIES, "inbox")))
AOI = os.path.join(SERIES, "aoi", "conserved.geojson")


def cw(*args):
    return cwtest.run_checked(CW, *args)


def job(name, extra="", inbox="nightly", aoi=AOI, id_field="id"):
    d = os.path.join(TMP, name)
    os.makedirs(os.path.join(d, "nightly"), exist_ok=True)
    ini = os.path.join(d, "job.ini")
    with open(ini, "w") as f:
        f.write(("[job]\ninbox = %s\n" % inbox if inbox else "[job]\n") +
                f"state = state\noutput = out\nthreads = 2\n\n[reference]\nstart = {TRUTH['reference'][0]}\n"
                f"end = {TRUTH['reference'][1]}\n\n[aoi]\nconserved = {aoi}\nid_field = {id_field}\n{extra}")
    return d, ini


def deliver(d, pid, src=None):
    os.symlink(src or os.path.join(SERIES, "inbox", pid), os.path.join(d, "nightly", pid))


# unusable configurations: exit 2, nothing written
for name, kw, what in (("noinbox", {"inbox": None}, "[job] inbox is not set"),
                       ("badinbox", {"inbox": "nowhere"}, "nowhere"),
                       ("badaoi", {"aoi": "/nonexistent/aoi.gpkg"}, "/nonexistent/aoi.gpkg"),
                       ("badid", {"id_field": "codigo"}, "no field 'codigo'")):
    d, ini = job(name, **kw)
    p = cw("run", ini, "--night", "2024-01-05")
    check(p.returncode == 2 and what in p.stderr, f"{name}: exit 2 naming {what!r} (got {p.returncode}: {p.stderr})")
    check(not os.path.exists(os.path.join(d, "out")) and not os.path.exists(os.path.join(d, "state")),
          f"{name}: nothing written")
# a history url: a password is refused (it would reach the logs), so is another scheme; a server that
# does not answer is named
for name, url, what in (("pgpass", "postgresql://cw:s3cret@127.0.0.1/db", "~/.pgpass"),
                        ("mysql", "mysql://127.0.0.1/db", "not a PostgreSQL url"),
                        ("pgdown", "postgresql://cw@127.0.0.1:9/none", "cannot open the alert history")):
    d, ini = job(name, extra=f"\n[history]\nurl = {url}\n")
    p = cw("run", ini, "--night", "2024-01-05")
    check(p.returncode == 2 and what in p.stderr and "s3cret" not in p.stderr,
          f"[history] url {name}: exit 2 naming {what!r}: {p.stderr[-300:]}")
p = cw("run", job("badid", id_field="codigo")[1], "--night", "2024-01-05")
check("name" in p.stderr.split("its fields:")[-1], "the AOI file's fields are listed")

# a warning is not a failure: a scene without SCL, clean AOIs
d, ini = job("noscl")
src = os.path.join(TMP, "scl-less", SCENES[0])
shutil.copytree(os.path.join(SERIES, "inbox", SCENES[0]), src)
os.remove(os.path.join(src, "SCL.tif"))
deliver(d, SCENES[0], src)
p = cw("run", ini, "--night", cwtest.night_of(SCENES[0]))
check(p.returncode == 0 and "no SCL" in p.stderr, f"a scene without SCL is a warning, exit 0 (got {p.returncode})")

# the nightly series, then a changed setting, then reprocess
d, ini = job("series")
log_ok = None
for pid in SCENES:
    deliver(d, pid)
    p = cw("run", ini, "--night=" + cwtest.night_of(pid))
    check(p.returncode == 0, f"night {cwtest.night_of(pid)}: exit 0 (got {p.returncode}: {p.stderr[-300:]})")
log = open(sorted(glob.glob(os.path.join(d, "out", TRUTH["dates"][-1], "logs", "*.log")))[-1]).read()
check("point_radius_m = 56.4 " in log and "ndvi_dmin = 0.15 " in log,
      "the effective configuration shows shortest round-trip numbers (56.4, 0.15)")


def alerts(d):
    ds = gdal.OpenEx(os.path.join(d, "state", "history.gpkg"), gdal.OF_VECTOR)
    out = sorted((f["alert_id"], f["class"], f["status"], round(f["area_ha"], 4), f["published"])
                 for f in ds.GetLayerByName("alerts"))
    return out


before = alerts(d)
check(len(before) >= 4, f"the series made alerts ({len(before)})")

# an inbox mixing pre- and post-2022 products, without [scene] boa_offset: two dates re-encoded as
# processing baseline 02.14 (DN - 1000, no offset: the same reflectance) give the same alerts
import numpy as np
dm, inim = job("mixed")
for k, pid in enumerate(SCENES):
    if k not in (4, 6):
        deliver(dm, pid)
        continue
    old_pid = pid.replace("_N0510_", "_N0214_")
    dst = os.path.join(TMP, "pre2022", old_pid)
    os.makedirs(dst, exist_ok=True)
    for fn in os.listdir(os.path.join(SERIES, "inbox", pid)):
        srcp = os.path.join(SERIES, "inbox", pid, fn)
        if fn.upper().startswith("SCL") or not fn.endswith(".tif"):
            shutil.copy(srcp, os.path.join(dst, fn))
            continue
        ds = gdal.Open(srcp)
        a = ds.ReadAsArray().astype(np.int32)
        b = np.where(a == 0, 0, np.clip(a - 1000, 1, 65535)).astype(np.uint16)
        out = gdal.GetDriverByName("GTiff").Create(os.path.join(dst, fn), ds.RasterXSize, ds.RasterYSize, 1,
                                                    gdal.GDT_UInt16, ["TILED=YES", "COMPRESS=DEFLATE"])
        out.SetGeoTransform(ds.GetGeoTransform())
        out.SetProjection(ds.GetProjection())
        md = ds.GetMetadata()
        md.update({"BOA_ADD_OFFSET": "0", "PROCESSING_BASELINE": "02.14"})
        out.SetMetadata(md)
        out.GetRasterBand(1).WriteArray(b)
        out = ds = None
    deliver(dm, old_pid, dst)
nights = sorted({cwtest.night_of(x) for x in os.listdir(os.path.join(dm, "nightly"))})
p = None
for n in nights:
    p = cw("run", inim, "--night", n)
check(p is not None and p.returncode == 0, f"the mixed inbox runs without [scene] boa_offset: {p.stderr[-200:] if p else ''}")
mixed = alerts(dm)
check([a[:3] + (round(a[3], 2),) for a in mixed] == [a[:3] + (round(a[3], 2),) for a in before],
      f"pre-2022 products in the inbox give the same alerts: {set(mixed) ^ set(before)}")
changed = open(ini).read() + "\n[detect]\nk_spread = 3.5\n"
open(ini, "w").write(changed)
nxt = "2024-05-01"
p = cw("run", ini, "--night", nxt)
check(p.returncode == 2 and "k_spread" in p.stderr and "18MTD" in p.stderr and "reprocess" in p.stderr,
      f"a changed setting against the state is refused, naming it and the way out: {p.stderr[-300:]}")
check(not os.path.exists(os.path.join(d, "out", nxt)), "the refused night wrote nothing")
open(ini, "w").write(changed.replace("\n[detect]\nk_spread = 3.5\n", ""))
p = cw("reprocess", ini, "--tile", "18MTD", "--night", nxt)
check(p.returncode == 0, f"reprocess with the same settings: exit 0 (got {p.returncode}: {p.stderr[-300:]})")
after = alerts(d)
check(after == before, f"the rebuilt tile gives the same alerts: {set(after) ^ set(before)}")
check(glob.glob(os.path.join(d, "state", "replaced", "18MTD-*", "*.cws")), "the old state is set aside, not deleted")
open(ini, "w").write(changed)
p = cw("reprocess", ini, "--tile", "18MTD", "--night", "2024-05-02")
check(p.returncode == 0, "reprocess with new settings")
p = cw("run", ini, "--night", "2024-05-03")
check(p.returncode == 0 and "8 already done" in p.stderr, f"the next night runs with the new settings: {p.stderr[-200:]}")
check(cw("reprocess", ini, "--tile", "../etc").returncode == 2, "a tile id that is not one is refused")
# --from: the scenes before it are not replayed (and never merged later); the baseline uses those after it
p = cw("reprocess", ini, "--tile", "18MTD", f"--from={TRUTH['dates'][1]}", "--night", "2024-05-04")
check(p.returncode == 0 and "reference period" in p.stderr, f"reprocess --from: exit 0, the baseline warned: {p.stderr[-300:]}")
ds = gdal.OpenEx(os.path.join(d, "state", "history.gpkg"), gdal.OF_VECTOR)
st = {f["product_id"]: f["status"] for f in ds.GetLayerByName("scenes")}
ds = None
check(st.get(SCENES[0]) == "not_replayed" and st.get(SCENES[1]) == "processed",
      f"the scene before --from is recorded not_replayed, the next processed: {st.get(SCENES[0])}, {st.get(SCENES[1])}")
p = cw("run", ini, "--night", "2024-05-05")
check(p.returncode == 0 and "8 already done" in p.stderr, f"the next night neither merges nor fails on it: {p.stderr[-200:]}")

# one run at a time on a state: the second waits ([job] lock_wait_s), then gives up naming the holder
import fcntl
d2, ini2 = job("locked", extra="")
open(ini2, "a").write("")
txt = open(ini2).read().replace("threads = 2\n", "threads = 2\nlock_wait_s = 1\n")
open(ini2, "w").write(txt)
os.makedirs(os.path.join(d2, "state"), exist_ok=True)
for pid in SCENES[:3]:
    deliver(d2, pid)
lk = open(os.path.join(d2, "state", ".lock"), "w")
fcntl.flock(lk, fcntl.LOCK_EX)
lk.write("host elsewhere pid 4242 since 2024-01-01T00:00:00Z\n")
lk.flush()
p = cw("run", ini2, "--night", cwtest.night_of(SCENES[2]))
check(p.returncode == 1 and "pid 4242" in p.stderr and "still in use" in p.stderr,
      f"a state in use: exit 1 naming the holder: {p.stderr[-200:]}")
check(not os.path.exists(os.path.join(d2, "out")), "the refused run wrote no outputs")
p = cw("review", ini2, "x", "--status", "unsure")
check(p.returncode in (1, 2), "a review waits for the state too")
fcntl.flock(lk, fcntl.LOCK_UN)
lk.close()  # the holder's line stays: as after kill -9
p = cw("run", ini2, "--night", cwtest.night_of(SCENES[2]), "-v")
check(p.returncode == 0 and "taken over" in p.stderr, f"a lock left by a dead run is taken over: {p.stderr[-200:]}")
# two runs started together on one state: nothing lost or doubled
d3, ini3 = job("together")
for pid in SCENES[:4]:
    deliver(d3, pid)
procs = [subprocess.Popen([CW, "run", ini3, "--night", cwtest.night_of(SCENES[3])], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) for _ in range(2)]
errs = [pr.communicate(timeout=600)[1] for pr in procs]
check(all(pr.returncode == 0 for pr in procs), f"both runs exit 0: {[pr.returncode for pr in procs]}")
check(sum("4 scene(s) processed" in e for e in errs) == 1 and sum("4 already done" in e for e in errs) == 1,
      "one run processed the scenes, the other found them done")
ds = gdal.OpenEx(os.path.join(d3, "state", "history.gpkg"), gdal.OF_VECTOR)
names = [f["product_id"] for f in ds.GetLayerByName("scenes")]
check(sorted(names) == sorted(SCENES[:4]), f"each scene recorded once: {len(names)} rows")
ds = None

# tiles as independent units (the array-job shape): plan, run --tile per tile, finish per night
# give the night's outputs byte for byte as one plain run does
import hashlib
dp, inip = job("plain")
da, inia = job("array")
same, planned = True, True
for pid in SCENES:
    n = cwtest.night_of(pid)
    deliver(dp, pid)
    deliver(da, pid)
    cw("run", inip, "--night", n)
    pl = cw("plan", inia)
    planned &= pl.returncode == 0 and pl.stdout.split() == ["18MTD"]
    r1 = cw("run", inia, "--tile", "18MTD", "--night", n)
    planned &= r1.returncode == 0 and not os.path.exists(os.path.join(da, "out", n, "alerts.csv"))
    planned &= cw("plan", inia).stdout.strip() == ""
    r2 = cw("finish", inia, "--night", n)
    for fn in ("alerts.csv", "alerts.xlsx", "aoi_summary.csv", "history.gpkg", "report.html"):
        a_, b_ = os.path.join(dp, "out", n, fn), os.path.join(da, "out", n, fn)
        eq = os.path.exists(a_) and os.path.exists(b_) and \
            hashlib.sha256(open(a_, "rb").read()).digest() == hashlib.sha256(open(b_, "rb").read()).digest()
        if not eq:
            print("differs:", n, fn, file=sys.stderr)
        same &= eq and r2.returncode == 0
check(planned, "plan lists the tile with new scenes, run --tile writes no night outputs, then plan lists nothing")
check(same, "run --tile then finish give the plain run's outputs byte for byte, every night")
check(cw("finish", inia).returncode == 2, "finish needs --night")

# GNU options
check(cw("run", "--help").returncode == 0, "run --help exits 0")
check(cw("run", ini, "--bogus").returncode == 2, "an unknown option exits 2")
check(cw("run", ini, "--since=2024-01-01").returncode == 2, "an option of another command exits 2")
check(cw("alerts", ini, "--since=2024-13-01").returncode == 2, "--since=invalid exits 2")
# make install PREFIX=...: the binary and a man page that renders
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
inst = os.path.join(TMP, "inst")
B = os.path.abspath(BUILD)  # -o: installs the binary under test, never rebuilds it
p = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "-o", f"{B}/chakrawatch", "install", f"PREFIX={inst}",
                    f"BUILD={B}"], capture_output=True, text=True)
check(p.returncode == 0 and os.access(os.path.join(inst, "bin", "chakrawatch"), os.X_OK),
      f"make install PREFIX= installs the binary: {p.stderr[-300:]}")
page = os.path.join(inst, "share", "man", "man1", "chakrawatch.1")
r = subprocess.run(["man", "-l", page], capture_output=True, text=True, env={**os.environ, "MANPAGER": "cat",
                                                                              "MANWIDTH": "80"})
check(r.returncode == 0 and "EXIT STATUS" in r.stdout and "reprocess" in r.stdout, "the man page renders")
# progress in GDAL's convention on a terminal, erased at the end; nothing on a pipe or in logs
import pty
scene = os.path.join(SERIES, "inbox", SCENES[0])
mo, so = pty.openpty()
pr = subprocess.run([CW, "indices", scene, "--out", os.path.join(TMP, "ix-tty"), "--strip-rows=512"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=so, timeout=120)
os.close(so)
chunks = b""
while True:
    try:
        c = os.read(mo, 4096)
    except OSError:
        break
    if not c:
        break
    chunks += c
os.close(mo)
check(pr.returncode == 0 and b"0...10...20" in chunks and b"...100" in chunks and chunks.endswith(b"\r\x1b[K"),
      f"terminal progress 0...10...100, erased at the end: {chunks[-60:]!r}")
pp = cw("indices", scene, "--out", os.path.join(TMP, "ix-pipe"))
check("0...10" not in pp.stderr, "no progress text on a pipe")
v = cw("--version")
check(v.returncode == 0 and v.stdout.startswith("chakrawatch "), "--version")
finish("guards")
