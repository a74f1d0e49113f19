#!/usr/bin/python3
"""theia2cw - a Theia/MAJA L2A time series (per-date folders of B02 B03 B04
B8A B11 B12 and CLM, Int16 reflectance x 10000, no data -10000) as the
per-band GeoTIFF products chakrawatch reads, one folder per date, named as
Sentinel-2 products so the tile and date are known.

  theia2cw.py SRC OUT [--tile 31UFQ]

- B8A stands in for B08 (MAJA's 10 m NIR is absent): written as B08 at 20 m.
- DN = reflectance x 10000 with no offset (PROCESSING_BASELINE 02.00 in the
  metadata), 0 for no data (-10000 and below).
- The MAJA cloud mask becomes an SCL: 0 no data, 3 shadow (bits 5, 6),
  9 cloud (any other bit), 4 clear.
Dates whose crop is entirely no data are skipped.
"""
import argparse
import os

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
BANDS = {"B02": "B02", "B03": "B03", "B04": "B04", "B08": "B8A", "B8A": "B8A", "B11": "B11", "B12": "B12"}


def write(path, arr, like, dtype, meta):
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, arr.shape[1], arr.shape[0], 1, dtype, ["TILED=YES", "COMPRESS=DEFLATE"])
    ds.SetGeoTransform(like.GetGeoTransform())
    ds.SetProjection(like.GetProjection())
    ds.SetMetadata(meta)
    ds.GetRasterBand(1).WriteArray(arr)
    ds = None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--tile", default="31UFQ")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    n = 0
    for d in sorted(os.listdir(a.src)):
        sd = os.path.join(a.src, d)
        if not (len(d) == 10 and d[4] == "-" and os.path.isdir(sd)):
            continue
        blue = gdal.Open(os.path.join(sd, "B02.tif")).ReadAsArray()
        if (blue <= -10000).all():
            continue
        ymd = d.replace("-", "")
        pid = f"S2A_MSIL2A_{ymd}T105000_N0200_R051_T{a.tile}_{ymd}T120000"
        od = os.path.join(a.out, pid)
        os.makedirs(od, exist_ok=True)
        meta = {"TILE_ID": a.tile, "ACQUISITION_DATE": d, "PROCESSING_BASELINE": "02.00"}
        for dst, src in BANDS.items():
            ds = gdal.Open(os.path.join(sd, src + ".tif"))
            v = ds.ReadAsArray().astype(np.int32)
            dn = np.where(v <= -10000, 0, np.clip(v, 1, 65535)).astype(np.uint16)
            write(os.path.join(od, dst + ".tif"), dn, ds, gdal.GDT_UInt16, meta)
        cds = gdal.Open(os.path.join(sd, "CLM.tif"))
        clm = cds.ReadAsArray()
        nod = gdal.Open(os.path.join(sd, "B11.tif")).ReadAsArray() <= -10000
        scl = np.full(clm.shape, 4, np.uint8)
        scl[(clm & 0b01100000) != 0] = 3
        scl[(clm & 0b10011111) != 0] = 9
        scl[nod] = 0
        write(os.path.join(od, "SCL.tif"), scl, cds, gdal.GDT_Byte, meta)
        n += 1
    print(f"{n} dates written to {a.out}")


if __name__ == "__main__":
    main()
