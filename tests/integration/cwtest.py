"""Shared by the integration tests: the check counter and its closing line,
running the binary, and the disc dilation of the SCL mask's buffers."""
import os
import subprocess
import sys

import numpy as np

_count = {"passed": 0, "failed": 0}

# a job over an inbox of the `s2synth.py series` scenes (its reference period), without maps
SERIES_CONFIG = """[job]
inbox = inbox
state = state
output = out
[reference]
start = 2024-01-01
end = 2024-02-29
[maps]
enabled = 0
"""


def check(cond, what):
    _count["passed" if cond else "failed"] += 1
    if not cond:
        print("FAIL:", what, file=sys.stderr)


def finish(name):
    """The line run_tests.sh reads, and the exit status."""
    print(f"{name}: {_count['passed']} passed, {_count['failed']} failed")
    sys.exit(1 if _count["failed"] else 0)


def run(binary, *args, env=None, timeout=600):
    """Runs the binary; a crash or a sanitizer report is printed, and True
    is returned as the second value.  A hang raises TimeoutExpired."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([binary, *args], capture_output=True, text=True, env=e, timeout=timeout, errors="replace")
    bad = "Sanitizer" in p.stderr or "runtime error" in p.stderr
    if bad or p.returncode < 0:
        print(p.stderr, file=sys.stderr)
    return p, bad


def run_checked(binary, *args, env=None):
    """run(), with a sanitizer report counted as a failed check."""
    p, bad = run(binary, *args, env=env)
    if bad:
        check(False, "sanitizer report in " + " ".join(args))
    return p


def night_of(pid):
    """The night a product arrives: its acquisition date, YYYY-MM-DD."""
    d = pid.split("_")[2][:8]
    return f"{d[:4]}-{d[4:6]}-{d[6:]}"


def disc_dilate(mask, r):
    """mask grown by a disc of radius r pixels (the mask's buffer shape)."""
    out = mask.copy()
    ys, xs = np.nonzero(mask)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy <= r * r:
                y2, x2 = ys + dy, xs + dx
                ok = (y2 >= 0) & (y2 < mask.shape[0]) & (x2 >= 0) & (x2 < mask.shape[1])
                out[y2[ok], x2[ok]] = True
    return out


def alert_mask(feature, layer, utm, gt, width, height, touched_fallback=False):
    """The pixels of an alert's outline (from the history, any CRS) on a grid
    in `utm` with geotransform gt, rasterised by GDAL; with touched_fallback an
    outline that covers no cell centre gets the cells it touches."""
    from osgeo import osr
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
    import s2synth
    g = feature.GetGeometryRef().Clone()
    src = g.GetSpatialReference() or layer.GetSpatialRef()
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    g.Transform(osr.CoordinateTransformation(src, utm))
    m = s2synth.rasterize(g, utm, gt, width, height)
    if touched_fallback and not m.any():
        m = s2synth.rasterize(g, utm, gt, width, height, all_touched=True)
    return m
