#!/usr/bin/python3
"""Real Sentinel-2 L2A in the tests (../shared/data/real/, see its README).

  test_real.py BUILD_DIR REAL_DIR WORK_DIR

- Earth Search (Element84) COGs: the offset convention, tile and date come
  from the STAC item beside the bands (the GeoTIFFs carry none); the cloud
  share is at least what the SCL itself flags (numpy on SCL.tif).
- Indices of both real scenes against a numpy reference on the real DN.
- The Porto Trombetas scene (no SCL), reprojected to UTM 21S with
  gdalwarp as a user would: the fallback cloud test does not take the town
  and the tailings for cloud (the scene is cloud-free), and it flags the
  thin haze over the river.  The haze is found here independently, from
  bands the fallback does not read: river pixels (B08 < 0.04, B12 < 0.03)
  brighter than the water's lower quartile by 0.003 in each of B02-B08, a
  flat lift that only air or glint gives; the inland lakes and the turbid
  and tailings ponds, bright in the SWIR too, must stay clear.
- Each real scene monitored against itself re-dated (six "dates" of the
  same pixels): no alert, nothing removed by the temporal tests, no shift.
Prints "real: N passed, N failed".
"""
import json
import os
import subprocess
import sys

import numpy as np
import cwtest
from cwtest import check, finish
from osgeo import gdal, ogr

gdal.UseExceptions()
BUILD, REAL, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
CW = os.path.join(BUILD, "chakrawatch")
ES = os.path.join(REAL, "earth-search-S2A_29RKH_20200219_0_L2A")
TROMB = os.path.join(REAL, "rstoolbox-trombetas", "sen2_dn_epsg4326.tif")
os.makedirs(WORK, exist_ok=True)


def cw(*args):
    p, bad = cwtest.run(CW, *args)
    check(not bad, "no sanitizer report in " + " ".join(args))
    return p


def up(a, f):
    return np.repeat(np.repeat(a, f, axis=0), f, axis=1)


def ratio_ref(a, b):
    """(a - b) / (a + b) in float32 as the kernels define it; NaN where undefined."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a - b) / (a + b)
    r[~np.isfinite(r)] = np.nan
    return r


def compare(path, ref, what):
    d, name = os.path.split(path)
    path = os.path.join(d, [f for f in os.listdir(d) if f.endswith("_" + name)][0])  # TILE_DATE_index.tif
    ds = gdal.Open(path)
    got = ds.ReadAsArray().astype(np.float32)
    nd = ds.GetRasterBand(1).GetNoDataValue()
    ds = None
    if nd is not None and not np.isnan(nd):
        got[got == nd] = np.nan
    both = np.isfinite(got) & np.isfinite(ref)
    err = float(np.max(np.abs(got[both] - ref[both]))) if both.any() else 1.0
    agree = (np.isnan(got) == np.isnan(ref)).mean()
    check(err < 2e-6 and agree > 0.999, f"{what}: max |diff| {err:.2e} over {both.sum()} px, no-data agreement {agree:.4f}")
    print(f"  {what}: {both.sum()} pixels, max |diff| {err:.2e}")


# ------------------------------------------------------------ Earth Search
p = cw("info", ES)
check(p.returncode == 0, f"info on the Earth Search COGs: {p.stderr}")
out = p.stdout
check("tile:      29RKH" in out and "date:      2020-02-19" in out and "baseline:  02.14" in out,
      "tile, date and processing baseline from the STAC item")
check("BOA_ADD_OFFSET 0" in out, "baseline 02.14 (and boa_offset_applied false): no offset")
scl = gdal.Open(os.path.join(ES, "SCL.tif")).ReadAsArray()
scl_cloud = np.isin(scl, (8, 9, 10)).mean() * 100
def cloud_pct(text):
    line = [l for l in text.splitlines() if l.startswith("pixels:")][0]
    return float(line.split("cloud ")[1].split(" %")[0])


got_cloud = cloud_pct(out)
check(got_cloud >= scl_cloud - 0.01 and got_cloud < scl_cloud + 15,
      f"cloud share {got_cloud:.2f} % covers the SCL's own {scl_cloud:.2f} % (plus its buffer)")
d = os.path.join(WORK, "es-idx")
p = cw("indices", ES, "--out", d, "--index", "ndvi,nbr,ndmi", "--mask", "none", "--codec", "none")
check(p.returncode == 0, f"indices on the Earth Search COGs: {p.stderr}")
B = {b: gdal.Open(os.path.join(ES, b + ".tif")).ReadAsArray() for b in ("B04", "B08", "B11", "B12")}
n10 = B["B08"].shape
refl = {b: np.where(v == 0, np.nan, v / np.float32(10000)).astype(np.float32) for b, v in B.items()}
for b in ("B11", "B12"):
    refl[b] = up(refl[b], 2)[:n10[0], :n10[1]]
if p.returncode == 0:
    compare(os.path.join(d, "ndvi.tif"), ratio_ref(refl["B08"], refl["B04"]), "Earth Search NDVI vs numpy")
    compare(os.path.join(d, "nbr.tif"), ratio_ref(refl["B08"], refl["B12"]), "Earth Search NBR vs numpy")
    compare(os.path.join(d, "ndmi.tif"), ratio_ref(refl["B08"], refl["B11"]), "Earth Search NDMI vs numpy")

# ------------------------------------------------- the zipped .SAFE, in place
SAFEZIP = os.path.join(REAL, "S2A_MSIL2A_20200219T112111_N0214_R037_T29RKH_20200219T123947.SAFE.zip")
p = cw("info", SAFEZIP)
check(p.returncode == 0 and "ESA .SAFE product" in p.stdout and "tile:      29RKH" in p.stdout
      and "baseline:  02.14" in p.stdout, f"a zipped .SAFE is read through /vsizip/: {p.stderr}")
d = os.path.join(WORK, "safe-idx")
p = cw("indices", SAFEZIP, "--out", d, "--index", "ndvi,nbr", "--mask", "none", "--codec", "none")
check(p.returncode == 0, f"indices of the zipped .SAFE: {p.stderr}")
if p.returncode == 0:
    # the same real pixels as the Earth Search COGs: the same NDVI, bit for bit
    compare(os.path.join(d, "ndvi.tif"), ratio_ref(refl["B08"], refl["B04"]), "zipped .SAFE NDVI vs numpy on the COGs")
    compare(os.path.join(d, "nbr.tif"), ratio_ref(refl["B08"], refl["B12"]), "zipped .SAFE NBR vs numpy on the COGs")

# ------------------------------------------------------- Porto Trombetas
T = os.path.join(WORK, "S2A_MSIL2A_20230810T140051_N0509_R067_T21MYT_20230810T180000.tif")
w = subprocess.run(["gdalwarp", "-q", "-overwrite", "-t_srs", "EPSG:32721", "-tr", "10", "10", "-r", "near",
                    TROMB, T], capture_output=True, text=True)
check(w.returncode == 0, f"gdalwarp of the Trombetas scene to UTM 21S: {w.stderr}")
p = cw("info", T, "--boa-offset", "-1000")
check(p.returncode == 0, f"info on the Trombetas scene: {p.stderr}")
d = os.path.join(WORK, "tr-mask")
p = cw("indices", T, "--out", d, "--index", "ndvi", "--codec", "none", "--boa-offset", "-1000")
check(p.returncode == 0, f"indices with the no-SCL fallback mask on the Trombetas scene: {p.stderr}")
if p.returncode == 0:
    A = gdal.Open(T).ReadAsArray().astype(np.float64)
    valid = A[1] > 0
    Rf = (A - 1000) / 10000.0
    flag = np.isnan(gdal.Open(os.path.join(d, [f for f in os.listdir(d) if f.endswith("_ndvi.tif")][0]))
                    .ReadAsArray()) & valid

    water = valid & (Rf[7] < 0.04) & (Rf[11] < 0.03)
    lo = [np.percentile(Rf[b][water], 25) for b in range(1, 8)]
    lifted = water & np.all([Rf[b] > lo[b - 1] + 0.003 for b in range(1, 8)], axis=0)
    rows = np.arange(water.shape[0])[:, None]
    hazy, inland = lifted & (rows < 40), water & (rows >= 55)  # the river is the top of this scene
    land = valid & ~cwtest.disc_dilate(water, 12)  # beyond the 100 m buffer of any water
    print(f"  Trombetas no-SCL fallback: hazy river {flag[hazy].mean():.0%} masked, inland water "
          f"{flag[inland].mean():.1%}, land {flag[land].mean():.2%}")
    check(hazy.sum() > 500 and flag[hazy].mean() >= 0.8,
          f"no-SCL fallback: {flag[hazy].mean():.0%} of the {hazy.sum()} hazy river pixels are masked (>= 80 %)")
    check(inland.sum() > 500 and flag[inland].mean() <= 0.02,
          f"no-SCL fallback: {flag[inland].mean():.1%} of the {inland.sum()} inland lake and pond pixels masked "
          f"({(lifted & inland).sum()} of them turbid or tailings water, bright in every band)")
    check(flag[land].mean() < 0.035, f"no-SCL fallback: {flag[land].mean():.2%} of the land is cloud after the "
          "100 m buffer (the town's roofs and the tailings are not cloud; before the SWIR test 5.3 % of the whole scene was)")
d = os.path.join(WORK, "tr-idx")
p = cw("indices", T, "--out", d, "--index", "ndvi,ndmi", "--mask", "none", "--codec", "none", "--boa-offset", "-1000")
check(p.returncode == 0, f"indices on the Trombetas scene: {p.stderr}")
if p.returncode == 0:
    A = gdal.Open(T).ReadAsArray()
    R = {k: np.where(A[i] == 0, np.nan, (A[i].astype(np.float32) - 1000) / np.float32(10000)).astype(np.float32)
         for k, i in (("B04", 3), ("B08", 7), ("B11", 10))}
    compare(os.path.join(d, "ndvi.tif"), ratio_ref(R["B08"], R["B04"]), "Trombetas NDVI vs numpy")
    compare(os.path.join(d, "ndmi.tif"), ratio_ref(R["B08"], R["B11"]), "Trombetas NDMI vs numpy")
    nd = ratio_ref(R["B08"], R["B04"])
    check(np.nanmedian(nd) > 0.7, f"real forest: median NDVI {np.nanmedian(nd):.2f} > 0.7 (offset applied once)")

# -------------------------------------------- each scene against itself re-dated
DATES = ["20240105", "20240117", "20240129", "20240210", "20240222", "20240305"]


def redated(name, make_product, boa="", ref_start="2024-01-01"):
    run = os.path.join(WORK, "redated-" + name)
    os.makedirs(os.path.join(run, "inbox"), exist_ok=True)
    with open(os.path.join(run, "job.ini"), "w") as f:
        f.write(f"[job]\ninbox = inbox\nstate = state\noutput = out\n[reference]\nstart = {ref_start}\n"
                f"end = 2024-01-31\n[maps]\nenabled = 0\n" + (f"[scene]\nboa_offset = {boa}\n" if boa else ""))
    rcs = []
    for dd in DATES:
        make_product(os.path.join(run, "inbox"), dd)
        p = cw("run", os.path.join(run, "job.ini"), "--night", f"{dd[:4]}-{dd[4:6]}-{dd[6:]}")
        rcs.append(p.returncode)
        if p.returncode:
            print(p.stderr, file=sys.stderr)
    check(rcs == [0] * len(DATES), f"{name} re-dated: every night runs clean ({rcs})")
    h = os.path.join(run, "state", "history.gpkg")
    if not os.path.exists(h):
        check(False, f"{name}: history written")
        return
    ds = ogr.Open(h)
    n_alerts = ds.GetLayerByName("alerts").GetFeatureCount()
    scenes = [(f.GetField("status"), f.GetField("haze_pct"), f.GetField("fringe_pct"), f.GetField("shift_px"))
              for f in ds.GetLayerByName("scenes")]
    check(n_alerts == 0, f"{name}: the same pixels on six dates raise no alert ({n_alerts})")
    check(len(scenes) == len(DATES) and all(s[0] == "processed" for s in scenes), f"{name}: every date processed")
    check(all((s[1] or 0) == 0 and (s[2] or 0) == 0 for s in scenes),
          f"{name}: the temporal tests remove nothing from identical dates {[(s[1], s[2]) for s in scenes]}")
    check(all(s[3] in ("", "+0,+0") for s in scenes), f"{name}: no misregistration measured {[s[3] for s in scenes]}")


def es_product(inbox, dd):
    pd = os.path.join(inbox, f"S2A_MSIL2A_{dd}T112111_N0214_R037_T29RKH_{dd}T123947")
    os.makedirs(pd, exist_ok=True)
    for b in ("B02", "B03", "B04", "B08", "B8A", "B11", "B12", "SCL"):
        os.symlink(os.path.abspath(os.path.join(ES, b + ".tif")), os.path.join(pd, b + ".tif"))


def tr_product(inbox, dd):
    os.symlink(os.path.abspath(T), os.path.join(inbox, f"S2A_MSIL2A_{dd}T140051_N0509_R067_T21MYT_{dd}T180000.tif"))


redated("earth-search", es_product)


def safe_product(inbox, dd):  # the zipped .SAFE arrives in the inbox as downloaded, once; then COG copies
    if dd == DATES[0]:
        os.symlink(os.path.abspath(SAFEZIP), os.path.join(inbox, os.path.basename(SAFEZIP)))
    else:
        es_product(inbox, dd)


redated("zipped-safe-then-cogs", safe_product, ref_start="2020-01-01")  # the zip keeps its real date
if os.path.exists(T):
    redated("trombetas", tr_product, boa="-1000")
finish("real")
