#!/usr/bin/python3
"""A state an older build wrote goes on as if this build had written it.

Format 4 (session 18's build and before) cut the state into chunks of 128
rows; format 5 cuts it into chunks of 16 (cw_state.h).  The `s2synth.py
series` scenes are run night by night (run A), and the state is kept after
the third night (a reference state: the next night makes the baseline) and
after the fifth (a baseline and a monitoring state).  Each copy is rewritten
here as session 18's build wrote it, from the format's description alone:
every 8 chunks of 16 rows merged into one of 128 (each plane's rows in
turn, 16-bit planes as their low bytes then their high bytes), one zstd
frame with a checksum, version 4 in the header.  The remaining nights on
each copy give run A's outputs, state and history byte for byte: the first
pass cuts each file back into 16-row chunks under its name (said in the
log), and a pass reads no file of the old format afterwards.
"""
import hashlib
import os
import shutil
import struct
import subprocess
import sys

import cwtest
from cwtest import check, finish

BUILD, SERIES, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
CW = os.path.join(BUILD, "chakrawatch")
TILE = "18MTD"
# element sizes of each kind's planes, in file order (cw_state.c): ref, base, dyn
PLANES = {0: [2] * 29 + [1, 1], 1: [2] * 6 + [1] * 3, 2: [2] * 4 + [1] * 10}
OLD_ROWS = 128

CONFIG = cwtest.SERIES_CONFIG


def zstd(data, *args):
    return subprocess.run(["zstd", "-q", "-c", *args], input=data, capture_output=True, check=True).stdout


def header(path):
    """version, kind, width, height, chunk rows, chunks, bytes per pixel."""
    with open(path, "rb") as f:
        b = f.read(40)
    check(b[:8] == b"CWSTATE\0", f"{path}: a state file")
    return struct.unpack_from("<7I", b, 8)


def to_format4(path):
    """Rewrites state file `path` (format 5) as format 4 wrote it."""
    b = open(path, "rb").read()
    ver, kind, w, h, rows, n, bpp = struct.unpack_from("<7I", b, 8)
    el = PLANES[kind]
    check(ver == 5 and rows == 16 and sum(el) == bpp, f"{path}: format 5, chunks of 16 rows ({ver}, {rows})")
    serial = []  # each 16-row chunk's planes, decompressed (their serial form)
    for c in range(n):
        off, size, raw = struct.unpack_from("<QII", b, 40 + 16 * c)
        serial.append(zstd(b[off:off + size], "-d"))
        check(len(serial[-1]) == raw, f"{path}: chunk {c} decompresses to its size")
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
    out = bytearray(b"CWSTATE\0" + struct.pack("<8I", 4, kind, w, h, OLD_ROWS, len(frames), bpp, 0))
    pos = len(out) + 16 * len(frames)
    for fr, raw in frames:
        out += struct.pack("<QII", pos, len(fr), raw)
        pos += len(fr)
    for fr, _ in frames:
        out += fr
    open(path, "wb").write(out)


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

for k in KEEP:
    B = os.path.join(WORK, f"B{k}")
    files = sorted(f for f in os.listdir(os.path.join(B, "state", TILE)) if f.endswith(".cws"))
    kinds = sorted({f.split("-")[0] for f in files})
    check(kinds == (["dyn", "ref"] if k == 3 else ["base", "dyn"]),
          f"after night {k}: the state files of a {'reference' if k == 3 else 'monitoring'} state ({files})")
    for f in files:
        to_format4(os.path.join(B, "state", TILE, f))
        check(header(os.path.join(B, "state", TILE, f))[:5:4] == (4, OLD_ROWS),
              f"after night {k}: {f} rewritten in format 4")
    for i, pid in enumerate(SCENES[k:], k + 1):
        os.symlink(os.path.join(SERIES, "inbox", pid), os.path.join(B, "inbox", pid))
        log = night(B, pid)
        if i == k + 1:
            cut = [f for f in files if f"{f}: state chunks of 128 rows cut into chunks of 16" in log]
            check(cut == files, f"after night {k}: the next pass cut each file once, said in its log ({cut})")
        else:
            check("cut into chunks" not in log, f"after night {k}: night {i} found nothing to cut")
    for f in sorted(os.listdir(os.path.join(B, "state", TILE))):
        if f.endswith(".cws"):
            v, _, _, _, rows, _, _ = header(os.path.join(B, "state", TILE, f))
            check((v, rows) == (5, 16), f"after night {k}: {f} is format 5, chunks of 16 rows ({v}, {rows})")
    ta, tb = tree(os.path.join(A, "state")), tree(os.path.join(B, "state"))
    check(ta == tb, f"after night {k}: the state, records and history as run A's: " +
          ", ".join(sorted(x for x in set(ta) | set(tb) if ta.get(x) != tb.get(x))))
    for pid in SCENES[k:]:
        n = cwtest.night_of(pid)
        oa, ob = tree(os.path.join(A, "out", n)), tree(os.path.join(B, "out", n))
        check(oa == ob and oa, f"after night {k}: night {n}'s outputs as run A's: " +
              ", ".join(sorted(x for x in set(oa) | set(ob) if oa.get(x) != ob.get(x))))
finish("upgrade")
