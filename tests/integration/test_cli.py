#!/usr/bin/python3
"""CLI tests of chakrawatch against independent oracles.

  test_cli.py BUILD_DIR FIXDIR

- NDVI from `chakrawatch indices` against GDAL's own gdal_calc.py on the
  same scene (within 1e-6), and every layout against it;
- byte-identical outputs for 1 and 2 threads and two strip heights;
- the Int16 output is round(index * 10000) with its scale declared;
- outputs are real GeoTIFFs gdalinfo reads (CRS, nodata, tiles);
- bad input: a clear message, a non-zero exit, no crash and no file left.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import cwtest
from cwtest import check, finish
from osgeo import gdal

gdal.UseExceptions()
BUILD, FIX = sys.argv[1], sys.argv[2]
CW = os.path.join(BUILD, "chakrawatch")
HERE = os.path.dirname(os.path.abspath(__file__))
GEN = ["/usr/bin/python3", os.path.join(HERE, "..", "..", "scripts", "s2synth.py"), "scene"]



def run(*args, env=None):
    return cwtest.run(CW, *args, env=env)[0]


def arr(path):
    return gdal.Open(path).ReadAsArray()


TMP = tempfile.mkdtemp(prefix="cw-cli-")


def out(name):
    return os.path.join(TMP, name)


# ---- NDVI against gdal_calc.py ---------------------------------------------
def test_gdal_calc():
    r = run("indices", f"{FIX}/folder", "--out", out("ndvi"), "--index", "ndvi", "--mask", "none")
    check(r.returncode == 0, f"indices ran: {r.stderr}")
    mine = arr(out("ndvi/18MTD_20240115_ndvi.tif"))
    # the oracle: GDAL's own raster calculator, in float64, on the raw DN
    # (baseline 05.10: rho = (DN - 1000) / 10000), DN 0 as no data
    calc = out("calc_ndvi.tif")
    expr = ("numpy.where((A==0)|(B==0)|((A.astype(numpy.float64)+B-2000)<=0), numpy.nan,"
            "numpy.clip(((A.astype(numpy.float64)-1000)-(B.astype(numpy.float64)-1000))/"
            "((A.astype(numpy.float64)-1000)+(B.astype(numpy.float64)-1000)),-1,1))")
    p = subprocess.run(["gdal_calc.py", "--quiet", "-A", f"{FIX}/folder/B08.tif", "-B", f"{FIX}/folder/B04.tif",
                        f"--outfile={calc}", "--type=Float32", f"--calc={expr}", "--NoDataValue=nan",
                        "--hideNoData", "--overwrite"], capture_output=True, text=True)
    check(p.returncode == 0, f"gdal_calc.py ran: {p.stderr}")
    ref = arr(calc)
    both = ~np.isnan(ref) & ~np.isnan(mine)
    check(np.array_equal(np.isnan(ref), np.isnan(mine)), "same no-data pixels as gdal_calc.py")
    d = float(np.max(np.abs(ref[both] - mine[both]))) if both.any() else 1.0
    check(both.sum() > 500000 and d <= 1e-6, f"NDVI within 1e-6 of gdal_calc.py (max {d:.2e})")
    print(f"  ndvi vs gdal_calc.py: {both.sum()} pixels, max |diff| {d:.2e}")
    # every layout gives the same NDVI values (offset applied once)
    for sc in ["folder-common/S2B_MSIL2A_20240115T153619_N0510_R068_T18MTD_20240115T171500", "folder-scale",
               "scene.SAFE", "multiband.tif"]:
        o = out("lay_" + sc.replace("/", "_"))
        r = run("indices", f"{FIX}/{sc}", "--out", o, "--index", "ndvi", "--mask", "none")
        got = arr(glob.glob(o + "/*_ndvi.tif")[0]) if r.returncode == 0 else None
        check(got is not None and np.array_equal(got, mine, equal_nan=True), f"{sc}: same NDVI as the folder layout")


# ---- all indices: values within the physical range, scale metadata -------------
def test_all_indices_and_int16():
    r = run("indices", f"{FIX}/folder", "--out", out("all"), "--index", "ndvi,nbr,ndmi,bsi,mndwi,ndwi,ndti")
    check(r.returncode == 0, f"all indices: {r.stderr}")
    lc = arr(f"{FIX}/truth/landcover.tif")
    for name in ["ndvi", "nbr", "ndmi", "bsi", "mndwi", "ndwi", "ndti"]:
        a = arr(out(f"all/18MTD_20240115_{name}.tif"))
        v = a[~np.isnan(a)]
        check(v.size > 0 and v.min() >= -1 and v.max() <= 1, f"{name} within -1..1")
    ndvi = arr(out("all/18MTD_20240115_ndvi.tif"))
    mndwi = arr(out("all/18MTD_20240115_mndwi.tif"))
    forest = (lc == 0) & ~np.isnan(ndvi)
    water = (lc == 3) & ~np.isnan(mndwi)
    check(np.median(ndvi[forest]) > 0.7, "forest NDVI > 0.7 (RECIPES 3)")
    check(np.median(mndwi[water]) > 0, "river MNDWI > 0")
    ndwi = arr(out("all/18MTD_20240115_ndwi.tif"))
    check(np.median(ndwi[water]) > 0.2 and np.median(ndwi[forest]) < 0, "river NDWI > 0.2, forest's < 0 (RECIPES 5)")
    check(np.isnan(ndvi[lc == 6]).all(), "cloud pixels are no data")
    check(np.isnan(ndvi[lc == 7]).all(), "no-data swath is no data")
    info = json.loads(subprocess.run(["gdalinfo", "-json", out("all/18MTD_20240115_ndvi.tif")],
                                     capture_output=True, text=True).stdout)
    b = info["bands"][0]
    check(b["type"] == "Float32" and b["block"] == [512, 512], "Float32, 512x512 tiles")
    check(b.get("noDataValue") == "NaN" or str(b.get("noDataValue")).lower() == "nan", "nodata NaN declared")
    check("32718" in info["coordinateSystem"]["wkt"], "CRS kept")
    check(info["geoTransform"] == [180000.0, 10.0, 0.0, 9910000.0, 0.0, -10.0], "geotransform kept")
    check(info["metadata"][""].get("INDEX") == "NDVI", "INDEX metadata")
    r = run("indices", f"{FIX}/folder", "--out", out("i16"), "--index", "ndvi", "--type", "int16")
    q = gdal.Open(out("i16/18MTD_20240115_ndvi.tif"))
    qa = q.ReadAsArray()
    band = q.GetRasterBand(1)
    check(band.GetScale() == 1e-4 and band.GetNoDataValue() == -32768, "int16 scale and nodata declared")
    exp = np.where(np.isnan(ndvi), -32768, np.rint(ndvi.astype(np.float64) * 10000)).astype(np.int16)
    check(np.abs(exp.astype(int) - qa.astype(int)).max() <= 1, "int16 = round(ndvi * 10000)")


# ---- determinism ---------------------------------------------------------------------
def test_determinism():
    outs = []
    for thr, rows in [("1", "512"), ("2", "512"), ("2", "1024"), ("1", "1024")]:
        o = out(f"det_{thr}_{rows}")
        r = run("indices", f"{FIX}/tall", "--out", o, "--index", "ndvi,nbr,bsi", "--strip-rows", rows,
                env={"OMP_NUM_THREADS": thr})
        check(r.returncode == 0, f"tall scene threads {thr} rows {rows}: {r.stderr}")
        outs.append(o)
    for name in ["ndvi", "nbr", "bsi"]:
        files = [open(glob.glob(f"{o}/*_{name}.tif")[0], "rb").read() for o in outs]
        check(all(f == files[0] for f in files), f"{name}: identical bytes for 1/2 threads and 512/1024-row strips")
    r1 = run("indices", f"{FIX}/tall", "--out", out("det_i16a"), "--type", "int16", env={"OMP_NUM_THREADS": "1"})
    r2 = run("indices", f"{FIX}/tall", "--out", out("det_i16b"), "--type", "int16", env={"OMP_NUM_THREADS": "2"})
    a = open(glob.glob(out("det_i16a") + "/*.tif")[0], "rb").read()
    b = open(glob.glob(out("det_i16b") + "/*.tif")[0], "rb").read()
    check(a == b, "int16 identical for 1 and 2 threads")


# ---- each block decoded once -------------------------------------------------------------------
def blocks_decoded(stderr):
    """What CHAKRAWATCH_COUNT_BLOCKS printed: blocks decoded by source."""
    line = [x for x in stderr.splitlines() if x.startswith("blocks decoded:")]
    return dict(zip(line[0].split()[2::2], map(int, line[0].split()[3::2]))) if line else {}


def blocks_in(path):
    """Blocks of a band's file, and its size and blocks in words."""
    band = gdal.Open(path).GetRasterBand(1)
    (bw, bh), w, h = band.GetBlockSize(), band.XSize, band.YSize
    return -(-w // bw) * -(-h // bh), f"{w} x {h}, blocks {bw} x {bh}"


def test_blocks_decoded_once():
    """A 20 m band in 512-row blocks (1024 rows of the 10 m grid, two strips
    of 512; the scene's 1300 rows, three strips): the thread that decodes
    a block row keeps it for the strip after, which is its own (cw_strip.c,
    strips_per_turn: three strips in turns of two on two threads end no
    later than one at a time), so with two threads every block of every
    band is decoded once: as many as GDAL says the band has."""
    d = out("blocks-once")
    shutil.copytree(f"{FIX}/tall", d)
    for b in ("B11", "B12"):
        gdal.Translate(f"{d}/{b}.tif", f"{FIX}/tall/{b}.tif",
                       creationOptions=["TILED=YES", "BLOCKXSIZE=512", "BLOCKYSIZE=512", "COMPRESS=DEFLATE"])
    r = run("indices", d, "--out", out("blocks-once-out"), "--index", "ndvi,nbr,ndmi,bsi", "--strip-rows", "512",
            "--threads", "2", env={"CHAKRAWATCH_COUNT_BLOCKS": "1"})
    check(r.returncode == 0, f"indices of the re-tiled scene: {r.stderr[-300:]}")
    got = blocks_decoded(r.stderr)
    for b in ("B02", "B04", "B08", "B11", "B12"):
        want, what = blocks_in(f"{d}/{b}.tif")
        check(got.get(b) == want, f"{b} ({what}): {got.get(b)} blocks decoded, {want} in the file")
    # 2048 rows, all bands in 512-row blocks: four strips of 512, two to a
    # 20 m block row, which the two threads take one each (in turns of two
    # the second thread would wait a strip for the first commits): the
    # threads share the 20 m blocks (cw_strip.c, blk_cache), each decoded
    # once by whichever comes first, and the indices are the bytes of one
    # thread's
    d = out("blocks-shared")
    subprocess.run(GEN + [d, "--layout", "folder", "--height", "2048", "--width", "600", "--seed", "5",
                          "--block", "512"], check=True, capture_output=True)
    outs = {}
    for thr in ("1", "2"):
        o = out(f"blocks-shared-{thr}")
        r = run("indices", d, "--out", o, "--index", "ndvi,nbr,ndmi,bsi", "--threads", thr,
                env={"CHAKRAWATCH_COUNT_BLOCKS": "1"})
        check(r.returncode == 0, f"indices of 2048 rows, {thr} thread(s): {r.stderr[-300:]}")
        outs[thr] = o
        got = blocks_decoded(r.stderr)
        for b in ("B02", "B04", "B08", "B11", "B12", "SCL"):
            want, what = blocks_in(f"{d}/{b}.tif")
            check(got.get(b) == want, f"2048 rows, {thr} thread(s), {b} ({what}): "
                  f"{got.get(b)} blocks decoded, {want} in the file")
    for name in ("ndvi", "nbr", "ndmi", "bsi"):
        x, y = (open(glob.glob(f"{outs[t]}/*_{name}.tif")[0], "rb").read() for t in ("1", "2"))
        check(x == y, f"{name} of 2048 rows: the same bytes with 1 and 2 threads")
    # a corrupt shared block (B11's second block row, which both threads
    # need; garbage within its DEFLATE data, which zlib and GDAL decode into
    # wrong pixels without an error): whichever thread decodes it fails, the
    # other is told why, and the scene is refused with the band and block
    # named, without a hang and without an output
    ds = gdal.Open(f"{d}/B11.tif")  # the dataset held while its band is asked
    off, size = (int(ds.GetRasterBand(1).GetMetadataItem(f"BLOCK_{k}_0_1", "TIFF")) for k in ("OFFSET", "SIZE"))
    ds = None
    with open(f"{d}/B11.tif", "r+b") as f:
        f.seek(off + size // 4)
        f.write(b"\xff" * (size // 2))
    for thr in ("1", "2"):
        o = out(f"blocks-corrupt-{thr}")
        try:
            r = run("indices", d, "--out", o, "--index", "ndvi,ndmi", "--threads", thr)
            check(r.returncode == 1 and "B11" in r.stderr and "block 0,1 is corrupt" in r.stderr and no_outputs(o),
                  f"a corrupt shared B11 block, {thr} thread(s): exit {r.returncode}, {r.stderr.strip()[-200:]!r}, "
                  f"outputs left: {not no_outputs(o)}")
        except subprocess.TimeoutExpired:
            check(False, f"a corrupt shared B11 block, {thr} thread(s): the job hangs")


# ---- our ZSTD encoder against libtiff and GDAL -----------------------------------------------
def test_zstd_encoder():
    """The default codec's tiles are compressed by chakrawatch (predictors 3
    and 2, zstd) and written raw: GDAL and libtiff read back exactly the
    pixels of an uncompressed output, with the tags a reader expects, on a
    grid whose edge tiles are partial."""
    for typ, pred in (("float32", "3"), ("int16", "2")):
        z, n = out(f"zstd_{typ}"), out(f"none_{typ}")
        rz = run("indices", f"{FIX}/tall", "--out", z, "--index", "ndvi,bsi", "--type", typ)
        rn = run("indices", f"{FIX}/tall", "--out", n, "--index", "ndvi,bsi", "--type", typ, "--codec", "none")
        check(rz.returncode == 0 and rn.returncode == 0, f"{typ}: zstd and uncompressed ran")
        for name in ("ndvi", "bsi"):
            fz, fn = glob.glob(f"{z}/*_{name}.tif")[0], glob.glob(f"{n}/*_{name}.tif")[0]
            check(np.array_equal(arr(fz), arr(fn), equal_nan=True), f"{typ} {name}: zstd pixels = uncompressed")
            md = gdal.Info(fz, format="json")["metadata"]["IMAGE_STRUCTURE"]
            check(md.get("COMPRESSION") == "ZSTD" and md.get("PREDICTOR") == pred,
                  f"{typ} {name}: ZSTD with predictor {pred} declared ({md})")
            t = subprocess.run(["tiffinfo", "-D", fz], capture_output=True, text=True)
            check(t.returncode == 0 and "error" not in t.stderr.lower(), f"{typ} {name}: libtiff decodes every tile "
                  f"({t.stderr[-200:]})")
            check(os.path.getsize(fz) < 0.8 * os.path.getsize(fn), f"{typ} {name}: compressed")
    # --level: every level gives the same pixels; ZSTD's fast default trades size for time
    sizes, z, n = {}, out("zstd_float32"), out("none_float32")
    for lv in ("-7", "1", "19"):
        d = out(f"zstd_level{lv}")
        r = run("indices", f"{FIX}/tall", "--out", d, "--level", lv)
        f = glob.glob(f"{d}/*_ndvi.tif")[0]
        check(r.returncode == 0 and np.array_equal(arr(f), arr(glob.glob(f"{n}/*_ndvi.tif")[0]), equal_nan=True),
              f"--level {lv}: the uncompressed pixels")
        sizes[lv] = os.path.getsize(f)
    default = os.path.getsize(glob.glob(f"{z}/*_ndvi.tif")[0])
    check(sizes["19"] < sizes["1"] <= default <= sizes["-7"],
          f"a higher ZSTD level makes a smaller file, the default (-3) sits between -7 and 1 ({sizes}, {default})")
    r = run("indices", f"{FIX}/tall", "--out", out("deflate9"), "--codec", "deflate", "--level", "9")
    check(r.returncode == 0 and gdal.Info(glob.glob(out("deflate9") + "/*_ndvi.tif")[0], format="json")["metadata"]
          ["IMAGE_STRUCTURE"].get("COMPRESSION") == "DEFLATE", "--codec deflate --level 9 through GDAL")
    for bad in (("--level", "20"), ("--level", "-8"), ("--codec", "none", "--level", "1"),
                ("--level", "3", "--codec", "lzw"), ("--codec", "deflate", "--level", "0")):
        r = run("indices", f"{FIX}/tall", "--out", out("badlevel"), *bad)
        check(r.returncode == 2 and "level" in r.stderr and not glob.glob(out("badlevel") + "/*.tif"),
              f"{' '.join(bad)}: usage error, nothing written ({r.stderr.strip()})")


# ---- no SCL: fallback with a warning ------------------------------------------------------
def test_no_scl():
    r = run("indices", f"{FIX}/no-scl", "--out", out("noscl"))
    check(r.returncode == 0 and "no SCL" in r.stderr, f"no SCL: accepted with a warning ({r.stderr.strip()})")
    ndvi = arr(out("noscl/18MTD_20240115_ndvi.tif"))
    lc = arr(f"{FIX}/truth/landcover.tif")
    cl = lc == 6
    share = float(np.isnan(ndvi[cl]).mean())
    check(share > 0.95, f"fallback masks clouds ({share:.3f})")
    check(float(np.isnan(ndvi[lc == 0]).mean()) < 0.2, "fallback leaves clear forest valid")
    info = run("info", f"{FIX}/no-scl")
    check("fallback" in info.stdout, "info names the fallback")


# ---- bad input --------------------------------------------------------------------------------
def copy_scene(name):
    d = out("bad_" + name)
    shutil.copytree(f"{FIX}/folder", d)
    return d


def expect_fail(args, words, what):
    r = run(*args)
    msg = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    ok = r.returncode == 1 and all(w.lower() in r.stderr.lower() for w in words)
    check(ok, f"{what}: exit {r.returncode}, message: {msg!r}")
    return r


def no_outputs(d):
    return not os.path.exists(d) or os.listdir(d) == []


def test_bad_input():
    d = copy_scene("missing")
    os.remove(f"{d}/B08.tif")
    expect_fail(["indices", d, "--out", out("o_missing")], ["missing", "B08"], "missing band")
    check(no_outputs(out("o_missing")), "missing band: nothing written")

    # a band that is no readable file: the reason is always given, a FIFO never hangs
    for name, make, why in (("zero", lambda p: open(p, "w").close(), "empty"),
                            ("loop", lambda p: os.symlink(os.path.basename(p), p), "loop of symbolic links"),
                            ("dangling", lambda p: os.symlink("/nonexistent/B04.tif", p), "dangling symbolic link"),
                            ("dirband", lambda p: os.mkdir(p), "folder, not a file"),
                            ("fifo", lambda p: os.mkfifo(p), "not a regular file")):
        d = copy_scene(name)
        os.remove(f"{d}/B04.tif")
        make(f"{d}/B04.tif")
        try:
            expect_fail(["info", d], ["B04", why], f"band B04 {name}")
        except subprocess.TimeoutExpired:
            check(False, f"band B04 {name}: the job hangs")

    # a 16-bit band whose BitsPerSample was rewritten to 8: GDAL would hand out
    # uninitialised block bytes; the declared layout is checked and refused
    d = copy_scene("bits8")
    with open(f"{d}/B04.tif", "r+b") as f:
        import struct
        data = f.read(8)
        ifd = struct.unpack("<I", data[4:8])[0]
        f.seek(ifd)
        n = struct.unpack("<H", f.read(2))[0]
        for i in range(n):
            f.seek(ifd + 2 + 12 * i)
            tag, typ = struct.unpack("<HH", f.read(4))
            if tag == 258 and typ == 3:
                f.seek(ifd + 2 + 12 * i + 8)
                f.write(struct.pack("<H", 8))
    expect_fail(["indices", d, "--out", out("o_bits8")], ["B04", "8-bit"], "BitsPerSample rewritten to 8")
    check(no_outputs(out("o_bits8")), "BitsPerSample rewritten: nothing written")

    d = copy_scene("trunc")
    size = os.path.getsize(f"{d}/B04.tif")
    with open(f"{d}/B04.tif", "r+b") as f:
        f.truncate(size // 2)
    r = expect_fail(["indices", d, "--out", out("o_trunc")], ["B04"], "truncated GeoTIFF")
    check(no_outputs(out("o_trunc")), f"truncated: no output or temp file left: {os.listdir(out('o_trunc')) if os.path.exists(out('o_trunc')) else ''}")

    d = copy_scene("garbage")
    with open(f"{d}/B04.tif", "wb") as f:
        f.write(b"II*\x00" + b"\xff" * 1000)
    expect_fail(["indices", d, "--out", out("o_garbage")], ["B04"], "corrupt GeoTIFF header")

    d = copy_scene("nocrs")
    src = gdal.Open(f"{FIX}/folder/B04.tif")
    os.remove(f"{d}/B04.tif")
    dst = gdal.GetDriverByName("GTiff").Create(f"{d}/B04.tif", src.RasterXSize, src.RasterYSize, 1, gdal.GDT_UInt16)
    dst.SetGeoTransform(src.GetGeoTransform())
    dst.GetRasterBand(1).WriteArray(src.ReadAsArray())
    dst = None
    expect_fail(["indices", d, "--out", out("o_nocrs")], ["no CRS", "B04"], "no CRS")

    d = copy_scene("shifted")
    ds = gdal.Open(f"{d}/B08.tif", gdal.GA_Update)
    gt = list(ds.GetGeoTransform())
    gt[0] += 5
    ds.SetGeoTransform(gt)
    ds = None
    expect_fail(["indices", d, "--out", out("o_shift")], ["different grids", "B08"], "bands on different grids")

    d = copy_scene("zone17")
    ds = gdal.Open(f"{d}/B11.tif", gdal.GA_Update)
    from osgeo import osr
    s = osr.SpatialReference()
    s.ImportFromEPSG(32717)
    ds.SetProjection(s.ExportToWkt())
    ds = None
    expect_fail(["info", d], ["different grids", "32717"], "bands in another UTM zone")

    os.makedirs(out("empty"))
    expect_fail(["info", out("empty")], ["unknown layout", "no band files"], "empty folder")
    os.makedirs(out("junk"))
    open(out("junk/readme.txt"), "w").write("x")
    expect_fail(["info", out("junk")], ["unknown layout"], "unknown layout (no band files)")
    one = out("single.tif")
    gdal.Translate(one, f"{FIX}/folder/B04.tif")
    expect_fail(["info", one], ["unknown layout"], "single-band file without band names")
    expect_fail(["info", out("does-not-exist")], ["no such file"], "missing path")

    d = out("noconv/scene")
    subprocess.run(GEN + [d, "--convention", "name"], check=True)
    expect_fail(["info", d], ["offset convention", "--boa-offset"], "unknown offset convention")
    r = run("info", d, "--boa-offset", "-1000")
    check(r.returncode == 0 and "override" in r.stdout, "explicit --boa-offset accepted")

    r = run("indices", f"{FIX}/folder", "--out", out("o_idx"), "--index", "evi")
    check(r.returncode == 1 and "unknown index" in r.stderr, "unknown index")
    r = run("indices", f"{FIX}/folder", "--out", out("o_w"), "--invalid-classes", "3,6,8")
    check(r.returncode == 2 and "water" in r.stderr, "masking water refused")
    r = run("frobnicate")
    check(r.returncode == 2, "unknown command")
    r = run("help")
    check(r.returncode == 0 and "indices" in r.stdout and "info" in r.stdout, "help lists commands")
    # a failed run leaves an earlier good output intact
    good = out("keep")
    run("indices", f"{FIX}/folder", "--out", good)
    before = open(f"{good}/18MTD_20240115_ndvi.tif", "rb").read()
    d = copy_scene("trunc2")
    with open(f"{d}/B08.tif", "r+b") as f:
        f.truncate(os.path.getsize(f"{d}/B08.tif") // 3)
    run("indices", d, "--out", good)
    after = open(f"{good}/18MTD_20240115_ndvi.tif", "rb").read()
    check(before == after and len(os.listdir(good)) == 1, "failed run keeps the earlier output intact")


def test_info():
    r = run("info", f"{FIX}/scene.SAFE")
    o = r.stdout
    check(r.returncode == 0 and "18MTD" in o and "2024-01-15" in o and "EPSG:32718" in o and "1001 x 803" in o,
          "info: tile, date, CRS, size")
    check("MTD_MSIL2A.xml" in o and "-1000" in o, "info: offset from MTD_MSIL2A.xml")
    check("valid" in o and "cloud" in o and "water" in o, "info: pixel shares")
    lc = arr(f"{FIX}/truth/landcover.tif")
    # the share of no data info reports equals the generator's swath edge (SCL 0 at 20 m)
    scl = arr(f"{FIX}/truth/scl10.tif")
    nod = 100.0 * float((scl == 0).mean())
    got = float(o.split("no data ")[1].split(" %")[0])
    check(abs(got - nod) < 0.01, f"info no-data share {got} vs truth {nod:.2f}")
    del lc


# ---- the memory budget ------------------------------------------------------
def in_memory_cgroup(limit):
    """A preexec function putting the child in a new memory cgroup of `limit`
    bytes (v1 or v2, as this machine mounts it), and its cleanup; (None,
    reason) where this process may not make one."""
    rel = {}
    for line in open("/proc/self/cgroup"):
        n, ctl, path = line.rstrip("\n").split(":", 2)
        rel[ctl] = path
    if "memory" in rel:
        d, knob = f"/sys/fs/cgroup/memory{rel['memory'].rstrip('/')}/cw-test-{os.getpid()}", "memory.limit_in_bytes"
    else:
        d, knob = f"/sys/fs/cgroup{rel.get('', '/').rstrip('/')}/cw-test-{os.getpid()}", "memory.max"
    try:
        os.mkdir(d)
        with open(os.path.join(d, knob), "w") as f:
            f.write(str(limit))
    except OSError as e:
        try:
            os.rmdir(d)
        except OSError:
            pass
        return None, f"{d}: {e}"

    def enter():
        with open(os.path.join(d, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    return (enter, d), ""


def test_memory_budget():
    # a budget below one thread's buffers: one thread, a warning, the same bytes
    args = ["indices", f"{FIX}/folder", "--index", "ndvi", "--mask", "none", "--threads", "2", "-v"]
    r = run(*args, "--out", out("mem1"), "--memory-mb", "1")
    check(r.returncode == 0 and "memory budget of 1 MB is less than one thread needs" in r.stderr and
          "1 thread(s)" in r.stderr, f"--memory-mb 1: one thread and a warning: {r.stderr[-400:]}")
    r2 = run(*args, "--out", out("mem0"))
    check("2 thread(s)" in r2.stderr and "less than one thread" not in r2.stderr,
          f"no budget given: both threads, no warning: {r2.stderr[-300:]}")
    a, b = (open(out(f"{d}/18MTD_20240115_ndvi.tif"), "rb").read() for d in ("mem1", "mem0"))
    check(a == b, "the same bytes under a 1 MB budget (one thread) as with two threads")
    # no budget given: half of the memory the process may use, its cgroup's limit when lower
    cg, why = in_memory_cgroup(768 << 20)
    if cg is None:
        print(f"skipped: the cgroup limit (cannot make a memory cgroup here: {why})")
        return
    enter, d = cg
    try:
        p = subprocess.run([CW, *args, "--out", out("memcg")], capture_output=True, text=True, preexec_fn=enter)
    finally:
        os.rmdir(d)
    check(p.returncode == 0 and "memory budget 384 MB" in p.stderr,
          f"in a cgroup of 768 MB the default budget is half of it: {p.stderr[-300:]}")


# ---- column windows -----------------------------------------------------------------------------
def test_windows():
    """indices in column windows (cw_strip.h: strips one output tile tall
    are cut into windows of whole blocks, so that memory does not grow with
    the grid's width): the same bytes as in full rows, whatever the threads,
    the mask (the SCL's buffers reach across a window's edge; blocks the
    mask covers are not decoded), the fallback without SCL, the codec and
    the type; and every block decoded once.  CHAKRAWATCH_WINDOW_COLS makes
    the windows as narrow as the blocks allow (512 columns here: 20 m
    blocks of 256)."""
    narrow = {"CHAKRAWATCH_WINDOW_COLS": "1"}
    for scene in ("folder", "tall", "no-scl", "multiband.tif"):
        for extra in ([], ["--mask", "none", "--codec", "deflate"], ["--type", "int16", "--codec", "none"]):
            outs = []
            for thr, env in (("2", None), ("1", narrow), ("2", narrow)):
                o = out(f"win-{scene}-{len(outs)}-{len(extra)}")
                r = run("indices", f"{FIX}/{scene}", "--out", o, "--index", "ndvi,nbr,bsi,mndwi", "--threads", thr,
                        "-v", *extra, env=env)
                check(r.returncode == 0 and (env is None or "in 2 windows of 512 columns" in r.stderr),
                      f"{scene} {extra} threads {thr} {'windows' if env else 'full rows'}: {r.stderr[-300:]}")
                outs.append(o)
            for f in sorted(os.listdir(outs[0])):
                files = [open(os.path.join(o, f), "rb").read() for o in outs]
                check(all(x == files[0] for x in files), f"{scene} {extra} {f}: identical bytes in windows")
    r = run("indices", f"{FIX}/tall", "--out", out("win-blocks"), "--index", "ndvi,nbr,ndmi,bsi", "--threads", "2",
            env={**narrow, "CHAKRAWATCH_COUNT_BLOCKS": "1"})
    got = blocks_decoded(r.stderr)
    for b in ("B02", "B04", "B08", "B11", "B12", "SCL"):
        want, what = blocks_in(f"{FIX}/tall/{b}.tif")
        check(got.get(b) == want, f"windows: {b} ({what}) {got.get(b)} blocks decoded, {want} in the file")


for t in [test_gdal_calc, test_all_indices_and_int16, test_determinism, test_blocks_decoded_once, test_zstd_encoder,
          test_no_scl, test_bad_input, test_info, test_memory_budget, test_windows]:
    try:
        t()
    except Exception as e:  # a crash of the test itself is a failure, not a pass
        import traceback
        traceback.print_exc()
        check(False, f"{t.__name__} raised {e!r}")
shutil.rmtree(TMP, ignore_errors=True)
finish("integration")
