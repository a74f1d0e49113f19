#!/usr/bin/python3
"""Overcast chunks and blocks: what the pass leaves as it was is copied,
not redone; what the SCL masks whole is not decoded.

  test_overcast.py BUILD_DIR SERIES_DIR WORK_DIR

A state chunk none of whose pixels is seen clear (cloud, shadow, no data)
keeps its reference slots and, without an open event, its monitoring state:
the pass copies their stored frames instead of compressing them again, and
a reference night does not even decompress the reference (cw_monitor.c,
chunk_kept).  Here the `s2synth.py series` scenes are joined by two
overcast ones, the upper rows under cloud and a band of no data: one in the
reference period, one in the monitoring period when candidates are open,
with a 10-day window so that some expire under the cloud.  Oracles:
  - the same nights with the copy turned off (every chunk compressed
    again, CHAKRAWATCH_NO_FRAME_COPY) give the same bytes: state, record,
    alerts, history;
  - the chunk tables: the overcast nights' new generations hold the
    previous generation's frames exactly for the overcast chunks (ground
    truth of the scene: which rows are cloud), and new frames elsewhere;
  - an overcast chunk with a candidate that expires tonight is written anew;
  - the bands' blocks that the SCL masks whole are not decoded (cw_strip.c,
    skip_masked), nor are overcast chunks observed: the nights with every
    block decoded and every chunk observed (CHAKRAWATCH_DECODE_MASKED, with
    the copy off too) give the same bytes, and the same nights with those
    blocks corrupt, 10 m and 20 m (which `indices --mask none` cannot read),
    give them too; and so do `indices --mask scl`'s six indices.
"""
import glob
import hashlib
import os
import shutil
import struct
import sys

import numpy as np
import cwtest
from cwtest import check, finish
from osgeo import gdal

gdal.UseExceptions()
os.environ["CHAKRAWATCH_STATE_COLS"] = "512"  # the series' 1000 columns in two chunk columns (cw_state.h)
BUILD, SERIES, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
CW = os.path.join(BUILD, "chakrawatch")
CHUNK_ROWS, CHUNK_COLS = 16, 512  # CW_STATE_ROWS, CW_STATE_COLS
SCENES = sorted(os.listdir(os.path.join(SERIES, "inbox")))


def overcast_scene(src_pid, day, cloud_rows, nodata_rows):
    """A copy of scene src_pid dated `day` (YYYYMMDD) whose SCL is cloud
    (9) over rows [0, cloud_rows) where it is not no data, and no data (0)
    over nodata_rows."""
    pid = src_pid.replace(src_pid.split("_")[2][:8], day)
    d = os.path.join(WORK, "scenes", pid)
    os.makedirs(d)
    for f in os.listdir(os.path.join(SERIES, "inbox", src_pid)):
        shutil.copy(os.path.join(SERIES, "inbox", src_pid, f), os.path.join(d, f))
        ds = gdal.Open(os.path.join(d, f), gdal.GA_Update)
        ds.SetMetadataItem("ACQUISITION_DATE", f"{day[:4]}-{day[4:6]}-{day[6:]}")
        if f == "SCL.tif":
            a = ds.ReadAsArray()
            k = a.shape[0] / float(H)
            top = a[: int(np.ceil(cloud_rows * k))]
            top[top != 0] = 9  # the swath's edge stays no data (0), as in L2A
            a[int(nodata_rows[0] * k): int(np.ceil(nodata_rows[1] * k))] = 0
            ds.GetRasterBand(1).WriteArray(a)
        ds = None
    return pid


def chunk_frames(path):
    """The compressed frame of every chunk of a state file (cw_state.h)."""
    b = open(path, "rb").read()
    n = struct.unpack_from("<I", b, 28)[0]
    out = []
    for c in range(n):
        off, size, _ = struct.unpack_from("<QII", b, 40 + 16 * c)
        out.append(b[off:off + size])
    return out


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def tree(d):
    return {os.path.relpath(p, d): digest(p) for p in sorted(glob.glob(os.path.join(d, "**", "*"), recursive=True))
            if os.path.isfile(p) and "/logs/" not in p and not p.endswith(".lock")}


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
H = gdal.Open(os.path.join(SERIES, "inbox", SCENES[0], "B04.tif")).RasterYSize
NCX = -(-gdal.Open(os.path.join(SERIES, "inbox", SCENES[0], "B04.tif")).RasterXSize // CHUNK_COLS)
# cloud over the first 512-row strip (chunks 0-31; the 20 m bands' first
# block row too), no data over the next 128 rows (chunks 32-39) and a few
# rows below
CLOUD, NODATA = 512, (512, 643)
check(H > NODATA[1], f"the series is tall enough for the overcast rows ({H})")
ref_day = overcast_scene(SCENES[1], "20240126", CLOUD, NODATA)  # reference period (to 2024-02-29)
mon_day = overcast_scene(SCENES[5], "20240409", CLOUD, NODATA)  # monitoring: 11 days after 03-29
for p in SCENES:
    os.symlink(os.path.join(SERIES, "inbox", p), os.path.join(WORK, "scenes", p))
ORDER = sorted(os.listdir(os.path.join(WORK, "scenes")), key=cwtest.night_of)
OVERCAST = {ref_day, mon_day}

CONFIG = cwtest.SERIES_CONFIG.replace("[maps]", "[detect]\nwindow_days = 10\n[maps]")


def corrupt_blocks(path, rows, scl):
    """Overwrites the blocks of a GeoTIFF band that lie within the first
    `rows` rows of the 10 m grid and where the SCL (array `scl`) is no data
    all over or nowhere, with bytes no decoder accepts (0xff: a reserved
    DEFLATE block type); how many.  (A block across the swath's edge is
    decoded: its no-data pixels are the bands' to say.)"""
    ds = gdal.Open(path)
    b = ds.GetRasterBand(1)
    bw, bh = b.GetBlockSize()
    k = scl.shape[0] / ds.RasterYSize  # SCL pixels per band pixel
    spans = []
    for by in range(rows * ds.RasterYSize // H // bh):
        for bx in range((ds.RasterXSize + bw - 1) // bw):
            nd = scl[int(by * bh * k): int(np.ceil((by + 1) * bh * k)),
                     int(bx * bw * k): int(np.ceil((bx + 1) * bw * k))] == 0
            if nd.all() or not nd.any():
                spans.append((int(b.GetMetadataItem(f"BLOCK_OFFSET_{bx}_{by}", "TIFF")),
                              int(b.GetMetadataItem(f"BLOCK_SIZE_{bx}_{by}", "TIFF"))))
    ds = None
    with open(path, "r+b") as f:
        for off, size in spans:
            f.seek(off)
            f.write(b"\xff" * size)
    return len(spans)


def run_all(name, env=None, scenes="scenes"):
    d = os.path.join(WORK, name)
    os.makedirs(os.path.join(d, "inbox"))
    open(os.path.join(d, "job.ini"), "w").write(CONFIG)
    frames = {}  # pid -> {kind: (previous generation's frames, new frames)}
    for pid in ORDER:
        os.symlink(os.path.join(WORK, scenes, pid), os.path.join(d, "inbox", pid))
        gens = {k: sorted(glob.glob(os.path.join(d, "state", "18MTD", f"{k}-*.cws"))) for k in ("ref", "dyn")}
        before = {k: (g[-1], chunk_frames(g[-1])) if g else (None, None) for k, g in gens.items()}
        p = cwtest.run_checked(CW, "run", os.path.join(d, "job.ini"), "--night", cwtest.night_of(pid), env=env)
        check(p.returncode == 0, f"{name} {pid}: exit {p.returncode}: {p.stderr[-300:]}")
        frames[pid] = {}
        for k in ("ref", "dyn"):
            g = sorted(glob.glob(os.path.join(d, "state", "18MTD", f"{k}-*.cws")))
            frames[pid][k] = (before[k][1], chunk_frames(g[-1]) if g and g[-1] != before[k][0] else None)
    return d, frames


A, fa = run_all("copy")
B, fb = run_all("no-copy", env={"CHAKRAWATCH_NO_FRAME_COPY": "1", "CHAKRAWATCH_DECODE_MASKED": "1"})
# the overcast scenes again, every band's blocks under the cloud corrupt
os.makedirs(os.path.join(WORK, "scenes-corrupt"))
for pid in ORDER:
    src, dst = os.path.join(WORK, "scenes", pid), os.path.join(WORK, "scenes-corrupt", pid)
    if pid not in OVERCAST:
        os.symlink(src, dst)
        continue
    shutil.copytree(src, dst)
    scl = gdal.Open(os.path.join(dst, "SCL.tif")).ReadAsArray()
    for band in ("B02", "B03", "B04", "B08", "B11", "B12"):
        check(corrupt_blocks(os.path.join(dst, band + ".tif"), CLOUD, scl) >= 1,
              f"{pid} {band}: blocks under the cloud corrupt")
bad = cwtest.run_checked(CW, "indices", os.path.join(WORK, "scenes-corrupt", mon_day), "--index", "ndvi", "--mask",
                         "none", "--out", os.path.join(WORK, "corrupt-ndvi"))
check(bad.returncode != 0, f"the corrupt blocks cannot be decoded (indices --mask none: exit {bad.returncode})")
C, fc = run_all("corrupt", scenes="scenes-corrupt")
# `indices --mask scl` skips them too: every index of the corrupt scene, as
# those of the intact one
for scenes in ("scenes", "scenes-corrupt"):
    p = cwtest.run_checked(CW, "indices", os.path.join(WORK, scenes, mon_day), "--index", "ndvi,nbr,ndmi,bsi,mndwi,ndti",
                           "--mask", "scl", "--out", os.path.join(WORK, "indices-" + scenes))
    check(p.returncode == 0, f"indices --mask scl of the {scenes} overcast scene: exit {p.returncode}: {p.stderr[-300:]}")
ti, tc = tree(os.path.join(WORK, "indices-scenes")), tree(os.path.join(WORK, "indices-scenes-corrupt"))
check(len(ti) == 6 and ti == tc, f"indices --mask scl: the same six files with the blocks under the cloud corrupt "
      f"({', '.join(k for k in ti if ti.get(k) != tc.get(k))})")
for name, other in (("without copying or skipping", B), ("with the blocks under the cloud corrupt", C)):
    ta, tb = tree(os.path.join(A, "state")), tree(os.path.join(other, "state"))
    check(ta == tb, f"state, records and history the same {name}: " +
          ", ".join(k for k in ta if ta.get(k) != tb.get(k)))
    oa, ob = tree(os.path.join(A, "out")), tree(os.path.join(other, "out"))
    check(oa == ob, f"the nights' outputs the same {name}: " + ", ".join(k for k in oa if oa.get(k) != ob.get(k)))

covered_rows = [c for c in range((H + CHUNK_ROWS - 1) // CHUNK_ROWS)
                if (c + 1) * CHUNK_ROWS <= CLOUD or (c * CHUNK_ROWS >= NODATA[0] and (c + 1) * CHUNK_ROWS <= NODATA[1])]
check(covered_rows == list(range(40)) and NCX == 2, f"overcast chunk rows by the scene's truth: {covered_rows}, "
      f"{NCX} chunk columns")
covered = [r * NCX + x for r in covered_rows for x in range(NCX)]  # the chunks of those rows (cw_state.h)
# the reference night: every overcast chunk's slots are the previous generation's frame
old, new = fa[ref_day]["ref"]
check(old is not None and new is not None, "the overcast reference night wrote a new reference generation")
if old and new:
    same = [c for c in range(len(new)) if new[c] == old[c]]
    check(same == covered, f"reference night: the frames kept are the overcast chunks' ({same})")
    old_d, new_d = fa[ref_day]["dyn"]
    same_d = [c for c in range(len(new_d)) if new_d[c] == old_d[c]]
    check(same_d == covered, f"reference night: monitoring-state frames kept for the overcast chunks ({same_d})")
# the monitoring night: overcast chunks are kept unless an event was open in them
old, new = fa[mon_day]["dyn"]
check(old is not None and new is not None, "the overcast monitoring night wrote a new state generation")
if old and new:
    same = [c for c in range(len(new)) if new[c] == old[c]]
    check(set(same) <= set(covered) and same, f"monitoring night: frames kept only in overcast chunks ({same})")
    # an overcast chunk with a candidate 11 days old: it expires under the cloud, the chunk is written anew
    moved = [c for c in covered if c not in same]
    check(moved, f"an overcast chunk with an open event is written anew ({moved})")
# the copies are what compressing again gave (run B), frame for frame
for pid in OVERCAST:
    for k in ("ref", "dyn"):
        if fa[pid][k][1] is not None:
            check(fa[pid][k][1] == fb[pid][k][1], f"{pid} {k}: copied frames equal the compressed ones")
finish("overcast")
