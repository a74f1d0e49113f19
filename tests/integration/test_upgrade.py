#!/usr/bin/python3
"""A state an older build wrote goes on as if this build had written it.

Format 4 (session 18's build and before) cut the state into chunks of 128
rows, format 5 (session 22's) into chunks of 16, both of full rows and with
the reference's counts (nref, nwater) after its other planes; format 6
(session 23's) cuts it into chunks of 16 rows by 512 columns, the counts
first, and format 7 stores those chunks with a CRC-32 of each instead of
its frames' content checksums (cw_state.h).
The `s2synth.py series` scenes (1000 columns: two chunk columns) are run
night by night (run A), and the state is kept after the third night (a
reference state: the next night makes the baseline) and after the fifth (a
baseline and a monitoring state).  Each copy is rewritten here as an older
build wrote it, from the formats' descriptions alone: the chunks of a row
joined into full rows (each plane's rows in turn, 16-bit planes as their
low bytes then their high bytes, the counts moved last), one zstd frame with
a checksum, version 5 in the header; for the third night's copy, every 8
such chunks merged into one of 128 rows, version 4.  The remaining nights on
each copy give run A's outputs, state and history byte for byte: the first
pass cuts each file back under its name (said in the log), and a pass reads
no file of an old format afterwards.  The fifth night's copy is also
rewritten as format 6 (each chunk one zstd frame with a checksum, no CRC
frame), which is read as it is: nothing is cut, the outputs, records and
history are run A's byte for byte, and the state's planes are run A's.
"""
import hashlib
import os
import shutil
import struct
import subprocess
import sys

import cwtest
from cwtest import check, finish

os.environ["CHAKRAWATCH_STATE_COLS"] = "512"  # the series' 1000 columns in two chunk columns (cw_state.h)
BUILD, SERIES, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
CW = os.path.join(BUILD, "chakrawatch")
TILE = "18MTD"
# element sizes of each kind's planes, in file order (cw_state.c): ref, base, dyn; format 6, then 5 and 4
PLANES = {0: [1, 1] + [2] * 29, 1: [2] * 6 + [1] * 3, 2: [2] * 4 + [1] * 10}
PLANES_5 = {0: [2] * 29 + [1, 1], 1: PLANES[1], 2: PLANES[2]}
OLD_ROWS, ROWS, COLS = 128, 16, 512

CONFIG = cwtest.SERIES_CONFIG


def zstd(data, *args):
    return subprocess.run(["zstd", "-q", "-c", *args], input=data, capture_output=True, check=True).stdout


def header(path):
    """version, kind, width, height, chunk rows, chunks, bytes per pixel, chunk columns."""
    with open(path, "rb") as f:
        b = f.read(40)
    check(b[:8] == b"CWSTATE\0", f"{path}: a state file")
    return struct.unpack_from("<8I", b, 8)


def chunks(b, n, path):
    """The serial form (decompressed) of each of n chunks of state file bytes b."""
    serial = []
    for c in range(n):
        off, size, raw = struct.unpack_from("<QII", b, 40 + 16 * c)
        serial.append(zstd(b[off:off + size], "-d"))
        check(len(serial[-1]) == raw, f"{path}: chunk {c} decompresses to its size")
    return serial


def write_state(path, ver, kind, w, h, rows, bpp, frames, cols=0):
    out = bytearray(b"CWSTATE\0" + struct.pack("<8I", ver, kind, w, h, rows, len(frames), bpp, cols))
    pos = len(out) + 16 * len(frames)
    for fr, raw in frames:
        out += struct.pack("<QII", pos, len(fr), raw)
        pos += len(fr)
    for fr, _ in frames:
        out += fr
    open(path, "wb").write(out)


def to_format6(path):
    """Rewrites state file `path` (format 7) as format 6 wrote it: the same
    chunks, each one zstd frame with a checksum, no CRC frame."""
    b = open(path, "rb").read()
    ver, kind, w, h, rows, n, bpp, cols = struct.unpack_from("<8I", b, 8)
    check(ver == 7 and (rows, cols) == (ROWS, COLS), f"{path}: format 7, chunks of {ROWS} x {COLS} ({ver})")
    frames = [(zstd(s, "-1", "--check"), len(s)) for s in chunks(b, n, path)]
    write_state(path, 6, kind, w, h, rows, bpp, frames, cols)


def to_format5(path):
    """Rewrites state file `path` (format 7) as format 5 wrote it."""
    b = open(path, "rb").read()
    ver, kind, w, h, rows, n, bpp, cols = struct.unpack_from("<8I", b, 8)
    el, el5 = PLANES[kind], PLANES_5[kind]
    check(ver == 7 and (rows, cols) == (ROWS, COLS) and sum(el) == bpp,
          f"{path}: format 7, chunks of {ROWS} x {COLS} ({ver}, {rows}, {cols})")
    serial = chunks(b, n, path)
    ncx = -(-w // cols)
    order = list(range(2, len(el))) + [0, 1] if kind == 0 else list(range(len(el)))  # format 5's planes
    frames = []
    for cy in range(-(-h // rows)):
        nr = min(rows, h - cy * rows)
        joined = bytearray()
        for p in order:
            for half in range(el[p]):  # a 16-bit plane: its low bytes, then its high bytes
                for y in range(nr):
                    for cx in range(ncx):
                        nc = min(cols, w - cx * cols)
                        o = sum(el[q] * nr * nc for q in range(p)) + half * nr * nc + y * nc
                        joined += serial[cy * ncx + cx][o:o + nc]
        frames.append((zstd(bytes(joined), "-1", "--check"), len(joined)))
    check(sum(el5) == bpp, f"{path}: the planes of format 5")
    write_state(path, 5, kind, w, h, rows, bpp, frames)


def to_format4(path):
    """Rewrites state file `path` (format 5) as format 4 wrote it."""
    b = open(path, "rb").read()
    ver, kind, w, h, rows, n, bpp, _ = struct.unpack_from("<8I", b, 8)
    el = PLANES_5[kind]
    check(ver == 5 and rows == 16 and sum(el) == bpp, f"{path}: format 5, chunks of 16 rows ({ver}, {rows})")
    serial = chunks(b, n, path)
    per = OLD_ROWS // rows
    frames = []
    for g in range((n + per - 1) // per):
        members = range(g * per, min(n, (g + 1) * per))
        npx = [w * min(rows, h - c * rows) for c in members]
        merged = bytearray()
        for p, e in enumerate(el):
            for half in range(e):  # a 16-bit plane: every chunk's low bytes, then every chunk's high bytes
                for m, c in enumerate(members):
                    o = sum(el[q] * npx[m] for q in range(p)) + half * npx[m]
                    merged += serial[c][o:o + npx[m]]
        frames.append((zstd(bytes(merged), "-1", "--check"), len(merged)))
    write_state(path, 4, kind, w, h, OLD_ROWS, bpp, frames)


def grid_planes(path):
    """The planes of a state file of format 6 or 7 (any chunk columns) over its
    whole grid, from the format's description: one numpy array each."""
    import numpy as np
    b = open(path, "rb").read()
    ver, kind, w, h, rows, n, bpp, cols = struct.unpack_from("<8I", b, 8)
    el = PLANES[kind]
    out = [np.zeros((h, w), np.uint16 if e == 2 else np.uint8) for e in el]
    serial = chunks(b, n, path)
    ncx = -(-w // cols)
    for c in range(n):
        y0, x0 = c // ncx * rows, c % ncx * cols
        nr, nc = min(rows, h - y0), min(cols, w - x0)
        o = 0
        for p, e in enumerate(el):
            a = np.frombuffer(serial[c], np.uint8, nr * nc * e, o).reshape(e, nr, nc).astype(np.uint16)
            out[p][y0:y0 + nr, x0:x0 + nc] = a[0] | (a[1] << 8) if e == 2 else a[0]
            o += e * nr * nc
    return out


def tree(d):
    """Every file under d by its relative path: its SHA-256 (not the locks,
    nor the logs, named by the time of the run)."""
    t = {}
    for root, _, files in os.walk(d):
        for f in files:
            if f.endswith(".lock") or os.path.basename(root) == "logs":
                continue
            p = os.path.join(root, f)
            t[os.path.relpath(p, d)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return t


def night(d, pid):
    p = cwtest.run_checked(CW, "run", os.path.join(d, "job.ini"), "--night", cwtest.night_of(pid), "-v")
    check(p.returncode in (0, 1), f"{os.path.basename(d)} {pid}: exit {p.returncode}: {p.stderr[-300:]}")
    return p.stderr


SCENES = sorted(os.listdir(os.path.join(SERIES, "inbox")), key=cwtest.night_of)
shutil.rmtree(WORK, ignore_errors=True)
A = os.path.join(WORK, "A")
os.makedirs(os.path.join(A, "inbox"))
open(os.path.join(A, "job.ini"), "w").write(CONFIG)
KEEP = (3, 5)
for i, pid in enumerate(SCENES, 1):
    os.symlink(os.path.join(SERIES, "inbox", pid), os.path.join(A, "inbox", pid))
    night(A, pid)
    if i in KEEP:
        shutil.copytree(A, os.path.join(WORK, f"B{i}"), symlinks=True)
    if i == KEEP[-1]:
        shutil.copytree(A, os.path.join(WORK, "S"), symlinks=True)

for k in KEEP:
    B = os.path.join(WORK, f"B{k}")
    files = sorted(f for f in os.listdir(os.path.join(B, "state", TILE)) if f.endswith(".cws"))
    kinds = sorted({f.split("-")[0] for f in files})
    check(kinds == (["dyn", "ref"] if k == 3 else ["base", "dyn"]),
          f"after night {k}: the state files of a {'reference' if k == 3 else 'monitoring'} state ({files})")
    old = 4 if k == 3 else 5  # the reference state as format 4 wrote it, the monitoring state as format 5
    for f in files:
        to_format5(os.path.join(B, "state", TILE, f))
        if old == 4:
            to_format4(os.path.join(B, "state", TILE, f))
        check(header(os.path.join(B, "state", TILE, f))[:5:4] == (old, OLD_ROWS if old == 4 else ROWS),
              f"after night {k}: {f} rewritten in format {old}")
    for i, pid in enumerate(SCENES[k:], k + 1):
        os.symlink(os.path.join(SERIES, "inbox", pid), os.path.join(B, "inbox", pid))
        log = night(B, pid)
        if i == k + 1:
            cut = [f for f in files if f"{f}: state (version {old}, chunks of {OLD_ROWS if old == 4 else ROWS} x "
                   f"1000) cut into chunks of {ROWS} x {COLS}" in log]
            check(cut == files, f"after night {k}: the next pass cut each file once, said in its log ({cut})")
        else:
            check("cut into chunks" not in log, f"after night {k}: night {i} found nothing to cut")
    for f in sorted(os.listdir(os.path.join(B, "state", TILE))):
        if f.endswith(".cws"):
            v, _, _, _, rows, _, _, cols = header(os.path.join(B, "state", TILE, f))
            check((v, rows, cols) == (7, ROWS, COLS),
                  f"after night {k}: {f} is format 7, chunks of {ROWS} x {COLS} ({v}, {rows}, {cols})")
    ta, tb = tree(os.path.join(A, "state")), tree(os.path.join(B, "state"))
    check(ta == tb, f"after night {k}: the state, records and history as run A's: " +
          ", ".join(sorted(x for x in set(ta) | set(tb) if ta.get(x) != tb.get(x))))
    for pid in SCENES[k:]:
        n = cwtest.night_of(pid)
        oa, ob = tree(os.path.join(A, "out", n)), tree(os.path.join(B, "out", n))
        check(oa == ob and oa, f"after night {k}: night {n}'s outputs as run A's: " +
              ", ".join(sorted(x for x in set(oa) | set(ob) if oa.get(x) != ob.get(x))))

# Format 6 is read as it is; its chunks that a pass leaves as they are go
# into the next files with their frames, and a CRC frame.
S, k = os.path.join(WORK, "S"), KEEP[-1]
files = sorted(f for f in os.listdir(os.path.join(S, "state", TILE)) if f.endswith(".cws"))
for f in files:
    to_format6(os.path.join(S, "state", TILE, f))
check([header(os.path.join(S, "state", TILE, f))[0] for f in files] == [6] * len(files),
      f"after night {k}: {files} rewritten in format 6")
logs = ""
for pid in SCENES[k:]:
    os.symlink(os.path.join(SERIES, "inbox", pid), os.path.join(S, "inbox", pid))
    logs += night(S, pid)
check("cut into chunks" not in logs, "format 6: nothing cut")
ta, ts = tree(os.path.join(A, "state")), tree(os.path.join(S, "state"))
check(set(ta) == set(ts) and all(ta[x] == ts[x] for x in ta if not x.endswith(".cws")),
      "format 6: the records and history as run A's: " +
      ", ".join(sorted(x for x in set(ta) | set(ts) if ta.get(x) != ts.get(x) and not x.endswith(".cws"))))
for x in sorted(x for x in ta if x.endswith(".cws")):
    pa, ps = grid_planes(os.path.join(A, "state", x)), grid_planes(os.path.join(S, "state", x))
    v = header(os.path.join(S, "state", x))[0]  # the baseline is not written again: it stays format 6
    check(v == (6 if x.split("/")[-1].startswith("base-") else 7) and all(bool((u == w).all()) for u, w in zip(pa, ps)),
          f"format 6: {x} is format {v}, its planes run A's")
for pid in SCENES[k:]:
    n = cwtest.night_of(pid)
    oa, os_ = tree(os.path.join(A, "out", n)), tree(os.path.join(S, "out", n))
    check(oa == os_ and oa, f"format 6: night {n}'s outputs as run A's")

# The baseline does not depend on where the chunks are cut: run A's (chunks
# of 512 columns) and one in chunks of 128 (the river, columns 564-676,
# crosses the edge at 640), plane by plane; the river margins (CK_BI_BANK,
# CK_BI_RIPARIAN in its info plane) see across the chunks' edges.
W6 = os.path.join(WORK, "W")
os.makedirs(os.path.join(W6, "inbox"))
open(os.path.join(W6, "job.ini"), "w").write(CONFIG)
for pid in SCENES[:4]:
    os.symlink(os.path.join(SERIES, "inbox", pid), os.path.join(W6, "inbox", pid))
    p = cwtest.run_checked(CW, "run", os.path.join(W6, "job.ini"), "--night", cwtest.night_of(pid),
                           env={"CHAKRAWATCH_STATE_COLS": "128"})
bases = [sorted(f for f in os.listdir(os.path.join(d, "state", TILE)) if f.startswith("base-"))
         for d in (os.path.join(WORK, "B3"), W6)]
check(bases[0] and bases[1], f"a baseline in both runs ({bases})")
if bases[0] and bases[1]:
    pa = grid_planes(os.path.join(WORK, "B3", "state", TILE, bases[0][0]))
    pw = grid_planes(os.path.join(W6, "state", TILE, bases[1][0]))
    heads = [header(os.path.join(d, "state", TILE, b[0]))[7] for d, b in ((os.path.join(WORK, "B3"), bases[0]),
                                                                          (W6, bases[1]))]
    same = [bool((x == y).all()) for x, y in zip(pa, pw)]
    river = int(((pa[-1] & 0xc0) != 0).sum())
    edge = int(((pa[-1][:, 630:650] & 0x10) != 0).sum())
    check(heads == [512, 128] and all(same) and river > 1000 and edge > 100,
          f"the baseline in chunks of 512 and of 128 columns ({heads}): the same planes ({same}), the river's margins "
          f"({river} pixels, its water by the edge at 640: {edge}) across the chunks' edges")
finish("upgrade")
