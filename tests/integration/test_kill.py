#!/usr/bin/python3
"""kill -9 at random moments of a night (strips, alerts, CSVs, maps, report),
then the rerun: every output must be the uninterrupted run's, byte for byte,
and nothing temporary may stay behind.

  test_kill.py BUILD_DIR SERIES_DIR WORK_DIR [TRIALS]

SERIES_DIR is `s2synth.py series` output.  Trial k (seeded, reproducible)
picks a night and a delay, kills the job after it with SIGKILL, reruns that
night and the rest, and compares every file of state/ and out/ (logs aside)
with a run that was never interrupted.  Prints "kill: N passed, N failed".
"""
import glob
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import cwtest
from cwtest import check, finish

BUILD, SERIES, WORK = (os.path.abspath(a) for a in sys.argv[1:4])
TRIALS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
CW = os.path.join(BUILD, "chakrawatch")
AOI = os.path.join(SERIES, "aoi")
PIDS = sorted(os.listdir(os.path.join(SERIES, "inbox")))


def workdir(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "nightly"))
    with open(os.path.join(d, "job.ini"), "w") as f:
        f.write(f"[job]\ninbox = nightly\nstate = state\noutput = out\nthreads = 2\n[reference]\nstart = 2024-01-01\n"
                f"end = 2024-02-29\n[aoi]\nconserved = {AOI}/conserved.geojson\nchakras = {AOI}/chakras.gpkg\n")
    return d


def run(d, pid):
    return subprocess.run([CW, "run", os.path.join(d, "job.ini"), "--night", cwtest.night_of(pid)], capture_output=True)


def deliver(d, pid):
    link = os.path.join(d, "nightly", pid)
    if not os.path.lexists(link):
        os.symlink(os.path.join(SERIES, "inbox", pid), link)


def digests(d):
    out = {}
    for p in sorted(glob.glob(os.path.join(d, "**", "*"), recursive=True)):
        rel = os.path.relpath(p, d)
        if os.path.isfile(p) and "/logs/" not in p and not rel.startswith("nightly") and not rel.endswith("job.ini"):
            out[rel] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


ref = workdir("uninterrupted")
t0 = time.time()
for pid in PIDS:
    deliver(ref, pid)
    run(ref, pid)
per_night = (time.time() - t0) / len(PIDS)
want = digests(ref)
for k in range(TRIALS):
    rng = random.Random(k)
    victim = rng.randrange(3, len(PIDS))  # a monitoring night: alerts, maps, report
    delay = rng.uniform(0.0, 1.2 * per_night)
    d = workdir(f"trial{k}")
    killed = False
    for i, pid in enumerate(PIDS):
        deliver(d, pid)
        if i == victim:
            p = subprocess.Popen([CW, "run", os.path.join(d, "job.ini"), "--night", cwtest.night_of(pid)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                killed = True
            p.wait()
        run(d, pid)
    got = digests(d)
    diff = sorted(set(got.items()) ^ set(want.items()))
    check(not diff, f"trial {k}: killed {'after %.2f s' % delay if killed else '(finished first)'} on "
          f"{cwtest.night_of(PIDS[victim])}, rerun: {len(diff)} file(s) differ {[x[0] for x in diff[:4]]}")
    left = [p for p in glob.glob(os.path.join(d, "**", ".*tmp*"), recursive=True)]
    check(not left, f"trial {k}: no temporary left: {left[:3]}")
    print(f"  trial {k}: night {cwtest.night_of(PIDS[victim])}, {'killed after %.2f s' % delay if killed else 'not killed'}")
finish("kill")
