#!/usr/bin/python3
"""s2synth - deterministic synthetic Sentinel-2 L2A scenes with known truth.

Writes realistic small scenes of the Napo foothills (forest, chakra
agroforestry, pasture, a meandering turbid river with sand bars, bare
soil, clouds with offset shadows, a no-data swath edge) in the three
layouts chakrawatch reads, and full 10980 x 10980 tiles for benchmarks.

  s2synth.py scene OUT --layout folder|folder-common|safe|multiband
                 [--width W --height H --seed S --date YYYY-MM-DD
                  --tile 18MTD --baseline 05.10 --convention metadata|name|scale
                  --block 256 --truth DIR --no-scl]
  s2synth.py bench OUT [--size 10980 --bands B04,B08]
  s2synth.py series OUT [--width 1000 --height 900 --seed 3]
  s2synth.py accuracy OUT [--seed 1 --dates 10 --width 600 --height 600 --season 0]

`series` writes a night-by-night time series with known truth: OUT/inbox/
(one folder-layout scene per date), OUT/aoi/ (conserved areas as GeoJSON in
EPSG:4326, chakras as a GeoPackage in UTM with polygons, points with a
radius and one malformed feature), OUT/truth/events.tif (event id per
pixel at its final extent) and OUT/truth/truth.json (dates, reference
period, and every event and decoy with its class, first clear date, area
and area of interest).

The truth folder holds the exact reflectance each layout must decode to
(float32 (DN + offset) / 10000 on the 10 m grid), the land-cover map and
the SCL written, so tests compare against the generator, not against
chakrawatch's own output.  Needs GDAL's Python bindings (python3-gdal).
"""
import argparse
import os
import shutil
import sys

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()

BANDS = ["B02", "B03", "B04", "B08", "B8A", "B11", "B12"]
RES = {"B02": 10, "B03": 10, "B04": 10, "B08": 10, "B8A": 20, "B11": 20, "B12": 20, "SCL": 20}
COMMON = {"B02": "blue", "B03": "green", "B04": "red", "B08": "nir", "B8A": "nir08",
          "B11": "swir16", "B12": "swir22", "SCL": "scl"}
MTD_ID = {"B02": 1, "B03": 2, "B04": 3, "B08": 7, "B8A": 8, "B11": 11, "B12": 12}

# land-cover classes and their surface reflectance (B02 B03 B04 B08 B8A B11 B12)
FOREST, AGRO, PASTURE, WATER, SAND, BARE, CLOUD, NODATA = range(8)
REFL = np.array([
    [0.020, 0.045, 0.025, 0.320, 0.340, 0.150, 0.060],  # forest
    [0.030, 0.060, 0.040, 0.280, 0.300, 0.180, 0.090],  # agroforestry (chakra)
    [0.040, 0.080, 0.050, 0.300, 0.310, 0.220, 0.110],  # pasture
    [0.050, 0.070, 0.065, 0.008, 0.008, 0.004, 0.003],  # turbid river (dark NIR/SWIR)
    [0.100, 0.130, 0.160, 0.200, 0.210, 0.280, 0.220],  # sand / gravel bar
    [0.080, 0.110, 0.140, 0.190, 0.200, 0.300, 0.240],  # bare soil
    [0.400, 0.420, 0.440, 0.480, 0.480, 0.350, 0.250],  # cloud
    [0, 0, 0, 0, 0, 0, 0],
], dtype=np.float64)
SCL_OF = {FOREST: 4, AGRO: 4, PASTURE: 4, WATER: 6, SAND: 5, BARE: 5, CLOUD: 9, NODATA: 0}
SHADOW_SCL = 3

EPSG = 32718
X0, Y0 = 180000.0, 9910000.0  # upper-left corner, UTM 18S (Napo, near Tena)


class Layout:
    """Procedural scene: land cover as a function of pixel coordinates."""

    def __init__(self, width, height, seed):
        self.w, self.h = width, height
        rng = np.random.default_rng(seed)
        self.river_x = width * rng.uniform(0.45, 0.6)
        self.river_amp = width * 0.12
        self.river_period = max(height * rng.uniform(0.6, 0.9), 50)
        self.river_half = max(3.0, width / 150)
        # fields: (class, x0, y0, x1, y1)
        self.fields = []
        for cls, n, size in ((PASTURE, 6, 0.10), (AGRO, 8, 0.05), (BARE, 3, 0.04)):
            for _ in range(n):
                fw, fh = (rng.uniform(0.4, 1.0, 2) * size * np.array([width, height])).astype(int) + 3
                fx, fy = rng.integers(0, width - fw), rng.integers(0, height - fh)
                self.fields.append((cls, fx, fy, fx + fw, fy + fh))
        # sand bars: segments along the river (y ranges)
        self.bars = [(int(y), int(y + height * 0.06)) for y in rng.uniform(0, height * 0.9, 4)]
        # clouds: ellipses (cx, cy, rx, ry); shadows offset by (sdx, sdy)
        self.clouds = [(rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height,
                        rng.uniform(0.03, 0.08) * width, rng.uniform(0.03, 0.08) * height)
                       for _ in range(3)]
        self.sdx, self.sdy = -0.05 * width, 0.04 * height
        # no-data swath edge: x < edge0 - slope * y
        self.edge0, self.edge_slope = 0.10 * width, 0.08 * width / max(height, 1)

    def classes(self, y0, y1, x0=0, x1=None):
        """Land-cover class and shadow flag for rows y0..y1, cols x0..x1."""
        x1 = self.w if x1 is None else x1
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        cls = np.full(yy.shape, FOREST, dtype=np.uint8)
        for c, fx0, fy0, fx1, fy1 in self.fields:
            cls[(xx >= fx0) & (xx < fx1) & (yy >= fy0) & (yy < fy1)] = c
        cx = self.river_x + self.river_amp * np.sin(2 * np.pi * yy / self.river_period)
        d = np.abs(xx - cx)
        for by0, by1 in self.bars:
            cls[(d < self.river_half + 4) & (yy >= by0) & (yy < by1)] = SAND
        cls[d < self.river_half] = WATER
        cloud = np.zeros(yy.shape, bool)
        shadow = np.zeros(yy.shape, bool)
        for ccx, ccy, rx, ry in self.clouds:
            cloud |= ((xx - ccx) / rx) ** 2 + ((yy - ccy) / ry) ** 2 <= 1
            shadow |= ((xx - ccx - self.sdx) / rx) ** 2 + ((yy - ccy - self.sdy) / ry) ** 2 <= 1
        shadow &= ~cloud
        cls[cloud] = CLOUD
        nod = xx < self.edge0 - self.edge_slope * yy
        cls[nod] = NODATA
        shadow &= ~nod
        return cls, shadow


def reflectance(cls, shadow, band_i, rng):
    r = REFL[cls, band_i]
    r = r * (1.0 + 0.04 * rng.standard_normal(cls.shape)) + 0.002 * rng.standard_normal(cls.shape)
    r = np.where(shadow, r * 0.45, r)
    return r


def to_dn(r, cls, add):
    """Quantise reflectance to L2A DN: DN = round(rho * 10000) - add."""
    dn = np.rint(r * 10000.0) - add
    dn = np.clip(dn, 1, 65535)
    dn[cls == NODATA] = 0
    return dn.astype(np.uint16)


def decode(dn, add):
    """What a correct reader must produce (float32, NaN for no data)."""
    out = ((dn.astype(np.float32) + np.float32(add)) / np.float32(10000.0)).astype(np.float32)
    out[dn == 0] = np.nan
    return out


def coarsen_mean(a, f):
    h, w = a.shape
    H, W = -(-h // f), -(-w // f)
    p = np.pad(a, ((0, H * f - h), (0, W * f - w)), mode="edge")
    return p.reshape(H, f, W, f).mean(axis=(1, 3))


def coarsen_pick(a, f):
    return a[::f, ::f]


def upsample(a, f, h, w):
    return np.repeat(np.repeat(a, f, axis=0), f, axis=1)[:h, :w]


def srs_wkt():
    s = osr.SpatialReference()
    s.ImportFromEPSG(EPSG)
    return s.ExportToWkt()


def write_gtiff(path, arr, res, block=256, desc=None, meta=None, scale_offset=None, dtype=gdal.GDT_UInt16,
                compress="DEFLATE"):
    drv = gdal.GetDriverByName("GTiff")
    bands = arr if arr.ndim == 3 else arr[None]
    opts = ["TILED=YES", f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}", f"COMPRESS={compress}"]
    if compress != "NONE":
        opts.append("PREDICTOR=2" if dtype != gdal.GDT_Float32 else "PREDICTOR=3")
    ds = drv.Create(path, bands.shape[2], bands.shape[1], bands.shape[0], dtype, opts)
    ds.SetGeoTransform((X0, res, 0, Y0, 0, -res))
    ds.SetProjection(srs_wkt())
    for i in range(bands.shape[0]):
        b = ds.GetRasterBand(i + 1)
        b.WriteArray(bands[i])
        if desc:
            b.SetDescription(desc[i])
        if dtype == gdal.GDT_Float32:
            b.SetNoDataValue(float("nan"))
        if scale_offset and scale_offset[i]:
            b.SetScale(scale_offset[i][0])
            b.SetOffset(scale_offset[i][1])
    if meta:
        ds.SetMetadata(meta)
    ds = None


def rasterize(g, srs, gt, width, height, all_touched=False):
    """The cells of a grid (srs, geotransform gt) whose centres a polygon in
    srs covers (all_touched: every cell it touches), rasterised by GDAL."""
    mem = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_Byte)
    mem.SetGeoTransform(gt)
    vds = ogr.GetDriverByName("Memory").CreateDataSource("")
    vl = vds.CreateLayer("a", srs, ogr.wkbMultiPolygon)
    ft = ogr.Feature(vl.GetLayerDefn())
    ft.SetGeometry(g)
    vl.CreateFeature(ft)
    gdal.RasterizeLayer(mem, [1], vl, burn_values=[1], options=["ALL_TOUCHED=TRUE"] if all_touched else [])
    return mem.ReadAsArray().astype(bool)


def dilate_clip(m, r=1):
    """Square dilation of radius r that does not wrap around the edges."""
    p, (h, w) = np.pad(m, r), m.shape
    o = np.zeros_like(m)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            o |= p[dy:dy + h, dx:dx + w]
    return o


def write_jp2(path, arr, res):
    tmp = path + ".tmp.tif"
    write_gtiff(tmp, arr, res, compress="NONE")
    src = gdal.Open(tmp)
    gdal.GetDriverByName("JP2OpenJPEG").CreateCopy(path, src, options=["REVERSIBLE=YES", "QUALITY=100",
                                                                        "RESOLUTIONS=1"])
    src = None
    os.remove(tmp)
    aux = path + ".aux.xml"
    if os.path.exists(aux):
        os.remove(aux)


def scl20(cls, shadow):
    """The 20 m SCL of a 10 m land-cover map: classes, shadows (3), and thin
    cloud edges as "medium probability" (8) around the cores (9)."""
    c20, s20 = coarsen_pick(cls, 2), coarsen_pick(shadow, 2)
    scl = np.vectorize(SCL_OF.get, otypes=[np.uint8])(c20)
    scl[s20 & (c20 != NODATA)] = SHADOW_SCL
    edge = (scl == 9) & ~(np.roll(scl == 9, 1, 0) & np.roll(scl == 9, -1, 0) &
                          np.roll(scl == 9, 1, 1) & np.roll(scl == 9, -1, 1))
    scl[edge] = 8
    return scl


def product_id(tile, date, baseline, sat="S2B"):
    d = date.replace("-", "")
    n = "N" + baseline.replace(".", "")
    return f"{sat}_MSIL2A_{d}T153619_{n}_R068_T{tile}_{d}T171500"


MTD_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{date}T15:36:19.024Z</PRODUCT_START_TIME>
      <PRODUCT_URI>{pid}.SAFE</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-2A</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI2A</PRODUCT_TYPE>
      <PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
    </Product_Info>
    <Product_Image_Characteristics>
      <QUANTIFICATION_VALUES_LIST>
        <BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
        <AOT_QUANTIFICATION_VALUE unit="none">1000.0</AOT_QUANTIFICATION_VALUE>
      </QUANTIFICATION_VALUES_LIST>
{offsets}    </Product_Image_Characteristics>
  </n1:General_Info>
</n1:Level-2A_User_Product>
"""


def make_scene(a):
    add = -1000.0 if float(a.baseline) >= 4.0 else 0.0
    W, H = a.width, a.height
    lay = Layout(W, H, a.seed)
    cls, shadow = lay.classes(0, H)
    rng = np.random.default_rng(a.seed * 7919 + 1)
    refl10 = {b: reflectance(cls, shadow, i, rng) for i, b in enumerate(BANDS)}
    dn = {}
    for b in BANDS:
        if RES[b] == 10:
            dn[b] = to_dn(refl10[b], cls, add)
        else:  # 20 m: mean of the 2x2 10 m reflectance; no data where the picked class is no data
            c20 = coarsen_pick(cls, 2)
            dn[b] = to_dn(coarsen_mean(refl10[b], 2), c20, add)
    scl = scl20(cls, shadow)

    pid = product_id(a.tile, a.date, a.baseline)
    out = a.out
    if os.path.exists(out):
        shutil.rmtree(out) if os.path.isdir(out) else os.remove(out)
    meta = {"TILE_ID": a.tile, "ACQUISITION_DATE": a.date, "PRODUCT_ID": pid}
    if a.convention == "metadata":
        meta.update({"PROCESSING_BASELINE": a.baseline, "BOA_ADD_OFFSET": "%g" % add,
                     "BOA_QUANTIFICATION_VALUE": "10000"})
    names = list(BANDS) + ([] if a.no_scl else ["SCL"])
    data = dict(dn)
    data["SCL"] = scl

    if a.layout in ("folder", "folder-common"):
        os.makedirs(out)
        for b in names:
            fname = (COMMON[b] if a.layout == "folder-common" else b) + ".tif"
            so = None
            if a.convention == "scale" and b != "SCL":
                so = [(1e-4, add * 1e-4)]
            write_gtiff(os.path.join(out, fname), data[b], RES[b], block=a.block,
                        dtype=gdal.GDT_Byte if b == "SCL" else gdal.GDT_UInt16,
                        meta=meta if a.convention != "name" else None, scale_offset=so)
    elif a.layout == "safe":
        granule = f"L2A_T{a.tile}_A012345_{a.date.replace('-', '')}T153619"
        d = a.date.replace("-", "")
        for b in names:
            rdir = os.path.join(out, "GRANULE", granule, "IMG_DATA", f"R{RES[b]}m")
            os.makedirs(rdir, exist_ok=True)
            write_jp2(os.path.join(rdir, f"T{a.tile}_{d}T153619_{b}_{RES[b]}m.jp2"), data[b], RES[b])
        offs = "      <BOA_ADD_OFFSET_VALUES_LIST>\n" + "".join(
            f'        <BOA_ADD_OFFSET band_id="{i}">{int(add)}</BOA_ADD_OFFSET>\n' for i in range(13)) + \
            "      </BOA_ADD_OFFSET_VALUES_LIST>\n" if add != 0 else ""
        with open(os.path.join(out, "MTD_MSIL2A.xml"), "w") as f:
            f.write(MTD_TEMPLATE.format(date=a.date, pid=pid, baseline=a.baseline, offsets=offs))
    elif a.layout == "multiband":
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        stack = np.stack([upsample(data[b], RES[b] // 10, H, W).astype(np.uint16) for b in names])
        so = [(1e-4, add * 1e-4) if b != "SCL" else None for b in names]
        write_gtiff(out, stack, 10, block=a.block, desc=names, meta=meta, scale_offset=so)
    else:
        sys.exit(f"unknown layout {a.layout}")

    if a.truth:
        os.makedirs(a.truth, exist_ok=True)
        for b in BANDS:
            r = decode(upsample(dn[b], RES[b] // 10, H, W), add)
            write_gtiff(os.path.join(a.truth, f"refl_{b}.tif"), r, 10, block=256, dtype=gdal.GDT_Float32)
        write_gtiff(os.path.join(a.truth, "landcover.tif"), cls, 10, dtype=gdal.GDT_Byte)
        write_gtiff(os.path.join(a.truth, "scl10.tif"), upsample(scl, 2, H, W), 10, dtype=gdal.GDT_Byte)


def make_bench(a):
    """Full tile, 512x512 DEFLATE+predictor tiles like real COGs, in strips."""
    os.makedirs(a.out, exist_ok=True)
    W = H = a.size
    lay = Layout(W, H, 1)
    bands = a.bands.split(",")
    drv = gdal.GetDriverByName("GTiff")
    opts = ["TILED=YES", "BLOCKXSIZE=512", "BLOCKYSIZE=512", "COMPRESS=DEFLATE", "PREDICTOR=2", "BIGTIFF=NO"]
    dss = {}
    for b in bands:
        f = RES[b] // 10
        ds = drv.Create(os.path.join(a.out, b + ".tif"), -(-W // f), -(-H // f), 1,
                        gdal.GDT_Byte if b == "SCL" else gdal.GDT_UInt16, opts)
        ds.SetGeoTransform((X0, RES[b], 0, Y0, 0, -RES[b]))
        ds.SetProjection(srs_wkt())
        md = {"TILE_ID": "18MTD", "ACQUISITION_DATE": "2024-01-15", "PROCESSING_BASELINE": "05.10",
              "BOA_ADD_OFFSET": "-1000"}
        if a.no_date:  # the date then comes from each product folder's name
            del md["ACQUISITION_DATE"]
        ds.SetMetadata(md)
        dss[b] = ds
    step = 1024
    for y0 in range(0, H, step):
        y1 = min(H, y0 + step)
        cls, shadow = lay.classes(y0, y1)
        rng = np.random.default_rng(1000 + y0)
        for b in bands:
            f = RES[b] // 10
            if b == "SCL":
                c = coarsen_pick(cls, 2)
                v = np.vectorize(SCL_OF.get, otypes=[np.uint8])(c)
                v[coarsen_pick(shadow, 2) & (c != NODATA)] = SHADOW_SCL
            else:
                r = reflectance(cls, shadow, BANDS.index(b), rng)
                v = to_dn(r if f == 1 else coarsen_mean(r, f), cls if f == 1 else coarsen_pick(cls, f), -1000.0)
            dss[b].GetRasterBand(1).WriteArray(v, 0, y0 // f)
    for b in bands:
        dss[b] = None


# ------------------------------------------------------------------ series

SERIES_DATES = ["2024-01-05", "2024-01-25", "2024-02-14",            # reference period
                "2024-03-05", "2024-03-17", "2024-03-29", "2024-04-10", "2024-04-22"]
REF_START, REF_END = "2024-01-01", "2024-02-29"
THINNED = 8  # chakra harvest thinning: 70 % agroforestry + 30 % bare


def rect(yy, xx, x0, y0, x1, y1):
    return (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)


def series_plan(W, H):
    """Events and decoys in pixel coordinates of a W x H grid (designed for 1000 x 900)."""
    sx, sy = W / 1000.0, H / 900.0

    def R(x0, y0, x1, y1):
        return (int(x0 * sx), int(y0 * sy), int(x1 * sx), int(y1 * sy))
    return {
        "conserved": [("CA-01", "Bosque Kallari", R(150, 100, 450, 400)),
                      ("CA-02", "<script>alert(1)</script>", R(850, 80, 950, 160))],
        "chakra_poly": ("CH-001", "Chakra Tsatsayaku 1", R(200, 600, 220, 615)),
        "chakra_point": ("CH-002", "Familia Grefa", (int(330 * sx), int(750 * sy)), 60.0),
        "chakra_formula": ("CH-004", '=HYPERLINK("http://x")', (int(900 * sx), int(850 * sy)), 40.0),
        "events": [
            # id, class, shape, start date index, final date index (None = stays), expected AOI, relation
            ("E1", "canopy_loss", R(200, 150, 250, 200), 3, "CA-01", "inside"),
            ("E2", "canopy_loss", R(380, 330, 386, 335), 4, "CA-01", "inside"),
            ("E3", "canopy_loss", R(240, 600, 260, 610), 3, "CH-001", "ring_0_500"),
            ("E6", "canopy_loss", R(326, 746, 334, 754), 3, "CH-002", "inside"),
            ("E4", "canopy_loss", ("ellipse", 800 * sx, 300 * sy, 14 * sx, 10 * sy), 5, "", "outside"),
            ("E5", "canopy_loss", R(850, 700, 857, 706), 7, "", "outside"),
            ("M1", "mining_scar", ("mining", 450 * sy, 470 * sy, 490 * sy), 3, "", "outside"),
        ],
        "thinning": R(203, 603, 217, 612),   # inside CH-001, date index 4 only
        "sandbar": (int(200 * sy), int(260 * sy)),  # in the channel from date index 4
        "swath": (int(350 * sx), int(500 * sy)),    # date index 5: no data for x < .. and y > ..
        # clouds per date index: (cx, cy, rx, ry) in pixels; shadows offset by (-50, +36)
        "clouds": {0: [(300, 300, 30, 30)], 1: [], 2: [(800, 700, 40, 40)],
                   3: [(250, 605, 40, 40), (700, 150, 50, 40)], 4: [(500, 800, 60, 40)],
                   5: [(850, 550, 50, 50)], 6: [(400, 820, 40, 30)], 7: [(600, 650, 40, 30)]},
        # a ridge under cloud on every date (cloud forest): never observed
        "persistent_cloud": (900, 110, 24, 18),
        "scale": (sx, sy),
    }


def river_center(yy, W, H):
    return 0.62 * W + 0.05 * W * np.sin(2 * np.pi * yy / H)


def series_classes(lay, plan, W, H, di):
    """Land cover (with THINNED), shadow flag and the event id map for date index di."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    cls, _ = lay.classes(0, H)
    cls[cls == CLOUD] = FOREST
    sx, sy = plan["scale"]
    # the conserved areas and event sites are forest at the start
    for _, _, (x0, y0, x1, y1) in plan["conserved"]:
        cls[rect(yy, xx, x0, y0, x1, y1) & (cls != WATER) & (cls != SAND) & (cls != NODATA)] = FOREST
    cx = river_center(yy, W, H)
    d = np.abs(xx - cx)
    half = lay.river_half
    land = d >= half + 4
    cls[~land & (d >= half)] = np.where(cls[~land & (d >= half)] == NODATA, NODATA, SAND)
    cls[d < half] = WATER
    ev = np.zeros((H, W), np.uint8)
    for k, (eid, ecls, shape, start, _, _) in enumerate(plan["events"], start=1):
        if shape[0] == "ellipse":
            _, ex, ey, rx, ry = shape
            m = ((xx - ex) / rx) ** 2 + ((yy - ey) / ry) ** 2 <= 1
        elif shape[0] == "mining":
            _, y0, y1, y2 = shape
            off = xx - cx
            m0 = (off >= half + 6) & (off < half + 36) & (yy >= y0) & (yy < y1)
            m1 = (off >= half + 6) & (off < half + 36) & (yy >= y1) & (yy < y2)
            m = m0 | m1
        else:
            m = rect(yy, xx, *shape)
        m &= land
        cls[m & (cls != NODATA)] = FOREST  # baseline: forest
        ev[m] = k
        if shape[0] == "mining":
            if di >= start:
                cls[m0] = SAND
                ponds = m0 & (((off >= half + 14) & (off < half + 22) & (yy >= y0 + 4) & (yy < y0 + 10)) |
                              ((off >= half + 24) & (off < half + 30) & (yy >= y0 + 12) & (yy < y0 + 17)))
                cls[ponds] = WATER
            if di >= start + 2:
                cls[m1] = SAND
                cls[m1 & (off >= half + 16) & (off < half + 26) & (yy >= y1 + 5) & (yy < y1 + 12)] = WATER
        elif di >= start:
            cls[m] = BARE
    # chakras: the polygon is agroforestry; its harvest thinning on date 4 only
    x0, y0, x1, y1 = plan["chakra_poly"][2]
    cls[rect(yy, xx, x0, y0, x1, y1)] = AGRO
    if di == 4:
        cls[rect(yy, xx, *plan["thinning"])] = THINNED
    # a new natural sand bar in the channel
    if di >= 4:
        b0, b1 = plan["sandbar"]
        cls[(d < half - 2) & (yy >= b0) & (yy < b1)] = SAND
    # clouds and shadows of the date
    cloud = np.zeros((H, W), bool)
    shadow = np.zeros((H, W), bool)
    for ccx, ccy, rx, ry in plan["clouds"][di] + [plan["persistent_cloud"]]:
        ccx, ccy, rx, ry = ccx * sx, ccy * sy, rx * sx, ry * sy
        cloud |= ((xx - ccx) / rx) ** 2 + ((yy - ccy) / ry) ** 2 <= 1
        shadow |= ((xx - ccx + 50 * sx) / rx) ** 2 + ((yy - ccy - 36 * sy) / ry) ** 2 <= 1
    shadow &= ~cloud
    cls[cloud] = CLOUD
    if di == 5:
        sx0, sy0 = plan["swath"]
        cls[(xx < sx0) & (yy > sy0)] = NODATA
    nod = cls == NODATA
    shadow &= ~nod
    return cls, shadow, ev


def write_folder_scene(out, cls, shadow, date, tile, seed, thinned_mix):
    W = cls.shape[1]
    H = cls.shape[0]
    add = -1000.0
    rng = np.random.default_rng(seed)
    base = np.where(cls == THINNED, AGRO, cls).astype(np.uint8)
    os.makedirs(out, exist_ok=True)
    meta = {"TILE_ID": tile, "ACQUISITION_DATE": date, "PROCESSING_BASELINE": "05.10", "BOA_ADD_OFFSET": "-1000",
            "BOA_QUANTIFICATION_VALUE": "10000"}
    for i, b in enumerate(BANDS):
        r = reflectance(base, shadow, i, rng)
        if thinned_mix:
            r = np.where(cls == THINNED, 0.7 * r + 0.3 * REFL[BARE, i], r)
        if RES[b] == 20:
            dn = to_dn(coarsen_mean(r, 2), coarsen_pick(base, 2), add)
        else:
            dn = to_dn(r, base, add)
        write_gtiff(os.path.join(out, b + ".tif"), dn, RES[b], block=256, meta=meta)
    scl = scl20(base, shadow)
    write_gtiff(os.path.join(out, "SCL.tif"), scl, 20, block=256, dtype=gdal.GDT_Byte, meta=meta)


def px_to_utm(x, y):
    return X0 + x * 10.0, Y0 - y * 10.0


def make_series(a):
    import json
    from osgeo import ogr
    W, H = a.width, a.height
    plan = series_plan(W, H)
    lay = Layout(W, H, a.seed)
    lay.clouds = []
    lay.river_x, lay.river_amp, lay.river_period = 0.62 * W, 0.05 * W, H
    inbox = os.path.join(a.out, "inbox")
    truth = os.path.join(a.out, "truth")
    aoi = os.path.join(a.out, "aoi")
    for d in (inbox, truth, aoi):
        os.makedirs(d, exist_ok=True)
    ev = None
    for di, date in enumerate(SERIES_DATES):
        cls, shadow, ev = series_classes(lay, plan, W, H, di)
        pid = product_id(a.tile, date, "05.10")
        write_folder_scene(os.path.join(inbox, pid), cls, shadow, date, a.tile, a.seed * 1000 + di, True)
    write_gtiff(os.path.join(truth, "events.tif"), ev, 10, dtype=gdal.GDT_Byte)
    # areas of interest
    srs_utm = osr.SpatialReference()
    srs_utm.ImportFromEPSG(EPSG)
    srs_ll = osr.SpatialReference()
    srs_ll.ImportFromEPSG(4326)
    srs_ll.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    srs_utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_ll = osr.CoordinateTransformation(srs_utm, srs_ll)

    def ring_wkt(x0, y0, x1, y1):
        pts = [px_to_utm(x0, y0), px_to_utm(x1, y0), px_to_utm(x1, y1), px_to_utm(x0, y1), px_to_utm(x0, y0)]
        return "POLYGON((" + ",".join(f"{x} {y}" for x, y in pts) + "))"
    gj = ogr.GetDriverByName("GeoJSON").CreateDataSource(os.path.join(aoi, "conserved.geojson"))
    lyr = gj.CreateLayer("conserved", srs_ll, ogr.wkbPolygon)
    for f in ("id", "name"):
        lyr.CreateField(ogr.FieldDefn(f, ogr.OFTString))
    for cid, name, r in plan["conserved"]:
        g = ogr.CreateGeometryFromWkt(ring_wkt(*r))
        g.Transform(to_ll)
        ft = ogr.Feature(lyr.GetLayerDefn())
        ft.SetField("id", cid)
        ft.SetField("name", name)
        ft.SetGeometry(g)
        lyr.CreateFeature(ft)
    gj = None
    path = os.path.join(aoi, "chakras.gpkg")
    if os.path.exists(path):
        os.remove(path)
    gp = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = gp.CreateLayer("chakras", srs_utm, ogr.wkbUnknown)
    for f, t in (("id", ogr.OFTString), ("name", ogr.OFTString), ("radius_m", ogr.OFTReal)):
        lyr.CreateField(ogr.FieldDefn(f, t))

    def add(fid, name, wkt, radius=None):
        ft = ogr.Feature(lyr.GetLayerDefn())
        ft.SetField("id", fid)
        ft.SetField("name", name)
        if radius:
            ft.SetField("radius_m", radius)
        ft.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        lyr.CreateFeature(ft)
    cid, name, r = plan["chakra_poly"]
    add(cid, name, ring_wkt(*r))
    for key in ("chakra_point", "chakra_formula"):
        cid, name, (px, py), rad = plan[key]
        x, y = px_to_utm(px, py)
        add(cid, name, f"POINT({x} {y})", rad)
    # malformed: a self-intersecting "bow tie"
    x, y = px_to_utm(600, 850)
    add("CH-BAD", "Bow tie", f"POLYGON(({x} {y},{x + 200} {y + 200},{x + 200} {y},{x} {y + 200},{x} {y}))")
    gp = None
    # truth
    events = []
    for k, (eid, ecls, shape, start, aoi_id, rel) in enumerate(plan["events"], start=1):
        npx = int((ev == k).sum())
        first = start
        if eid == "E3":
            first = start + 1  # under a cloud on its first date
        events.append({"id": eid, "code": k, "class": ecls, "first_clear": SERIES_DATES[first],
                       "area_ha": npx * 0.01, "aoi_id": aoi_id, "relation": rel,
                       "confirmable": first + 2 < len(SERIES_DATES)})
    decoys = [{"id": "D1", "what": "clouds and shadows over forest"},
              {"id": "D2", "what": "harvest thinning inside chakra CH-001, recovered next date",
               "bbox_px": plan["thinning"]},
              {"id": "D3", "what": "new natural sand bar in the river", "rows": plan["sandbar"]},
              {"id": "D4", "what": "no-data swath edge on " + SERIES_DATES[5]},
              {"id": "D5", "what": "cloud on every date (never observed), ellipse cx, cy, rx, ry in pixels",
               "ellipse_px": [v * f for v, f in zip(plan["persistent_cloud"], plan["scale"] * 2)]}]
    with open(os.path.join(truth, "truth.json"), "w") as f:
        json.dump({"tile": a.tile, "dates": SERIES_DATES, "reference": [REF_START, REF_END], "width": W,
                   "height": H, "epsg": EPSG, "origin": [X0, Y0], "res": 10, "events": events,
                   "decoys": decoys, "bad_aoi": "CH-BAD"}, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scene")
    s.add_argument("out")
    s.add_argument("--layout", default="folder", choices=["folder", "folder-common", "safe", "multiband"])
    s.add_argument("--width", type=int, default=1001)
    s.add_argument("--height", type=int, default=803)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--date", default="2024-01-15")
    s.add_argument("--tile", default="18MTD")
    s.add_argument("--baseline", default="05.10")
    s.add_argument("--convention", default="metadata", choices=["metadata", "name", "scale"])
    s.add_argument("--block", type=int, default=256)
    s.add_argument("--truth")
    s.add_argument("--no-scl", action="store_true")
    b = sub.add_parser("bench")
    b.add_argument("out")
    b.add_argument("--size", type=int, default=10980)
    b.add_argument("--bands", default="B04,B08")
    b.add_argument("--no-date", action="store_true")
    r = sub.add_parser("series")
    r.add_argument("out")
    r.add_argument("--width", type=int, default=1000)
    r.add_argument("--height", type=int, default=900)
    r.add_argument("--seed", type=int, default=3)
    r.add_argument("--tile", default="18MTD")
    q = sub.add_parser("accuracy", help="randomised series with haze, fringes, shifts, river dynamics (s2world.py)")
    q.add_argument("out")
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--dates", type=int, default=10)
    q.add_argument("--width", type=int, default=600)
    q.add_argument("--height", type=int, default=600)
    q.add_argument("--season", type=float, default=0.0, help="dry-season bare-soil mix, 0 = aseasonal")
    q.add_argument("--site", help="a real window of Napo with Amazon Mining Watch's pits and territories "
                   "(s2world.AMW_SITES: arajuno, coca; the data in $CW_AMW_DATA or ../shared/data/amw); "
                   "--width and --height are the site's")
    a = p.parse_args()
    if a.cmd == "accuracy":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import s2world
        s2world.make(a)
    elif a.cmd == "scene":
        make_scene(a)
    elif a.cmd == "series":
        make_series(a)
    else:
        make_bench(a)


if __name__ == "__main__":
    main()
