#!/usr/bin/python3
"""Ground-truthed tests of the nightly job (`chakrawatch run`).

  test_run.py BUILD_DIR SERIES_DIR

SERIES_DIR is `s2synth.py series` output: eight dates (three in the
reference period), clearings of 0.3-25 ha inside a conserved area, beside
and inside chakras and outside, a mining pit with turbid ponds by the river
that grows, and decoys (clouds and shadows, a chakra's harvest thinning, a
new natural sand bar, a no-data swath), with the truth of every event.

The job is run night by night, the way the committee runs it, and checked
against that truth: every event is alerted with the right class, first
date, area (within 15 %), area of interest and relation (computed here
independently with OGR from the event's footprint and the AOI files); no
alert falls outside an event.  Then: re-running a night changes no byte;
a job killed mid-tile and rerun ends in the same state and alerts; one and
two threads give the same bytes; bad inputs are reported and the rest goes
on.  The scores are printed.

The series is 1000 columns wide: its state is cut into chunks of 512
columns here (CHAKRAWATCH_STATE_COLS), so that the pass goes through two
chunk columns, and run B reads its strips in column windows of 512
(CHAKRAWATCH_WINDOW_COLS) where run A reads full rows.
"""
import csv
import datetime
import glob
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import cwtest
from cwtest import check, disc_dilate, finish
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
os.environ["CHAKRAWATCH_STATE_COLS"] = "512"  # two chunk columns (cw_state.h)
BUILD, SERIES = sys.argv[1], sys.argv[2]
CW = os.path.join(BUILD, "chakrawatch")
TRUTH = json.load(open(os.path.join(SERIES, "truth", "truth.json")))
EV = gdal.Open(os.path.join(SERIES, "truth", "events.tif")).ReadAsArray()
HEADER = ("alert_id,tile_id,class,confidence,confidence_label,status,first_detected,confirmed_on,last_observed,"
          "n_anomalous_obs,area_ha,lat,lon,ndvi_before,ndvi_after,aoi_id,aoi_kind,aoi_name,relation,distance_m,"
          "scenes")
# a third argument keeps the work folders there (test_maps.py reads them)
KEEP = len(sys.argv) > 3
TMP = sys.argv[3] if KEEP else tempfile.mkdtemp(prefix="cw-run-")
os.makedirs(TMP, exist_ok=True)



def cw(*args, env=None):
    return cwtest.run_checked(CW, *args, env=env)


def scenes():
    return sorted(os.listdir(os.path.join(SERIES, "inbox")))


CONFIG = """[job]
inbox = nightly
state = state
output = out
threads = {threads}

[reference]
start = {r0}
end = {r1}

[aoi]
conserved = {aoi}/conserved.geojson
chakras = {aoi}/chakras.gpkg
"""


def workdir(name, threads=2, memory_mb=0):
    d = os.path.join(TMP, name)
    os.makedirs(os.path.join(d, "nightly"))
    with open(os.path.join(d, "job.ini"), "w") as f:
        f.write(CONFIG.format(threads=threads, r0=TRUTH["reference"][0], r1=TRUTH["reference"][1],
                              aoi=os.path.join(SERIES, "aoi")).replace("[job]\n", f"[job]\nmemory_mb = {memory_mb}\n"))
    return d


def deliver(d, pid):
    """A scene arrives in the inbox (a symlink: the inbox is read-only to the job)."""
    os.symlink(os.path.join(SERIES, "inbox", pid), os.path.join(d, "nightly", pid))


def night(d, pid, env=None, threads=None):
    deliver(d, pid)
    args = ["run", os.path.join(d, "job.ini"), "--night", cwtest.night_of(pid)]
    if threads:
        args += ["--threads", str(threads)]
    return cw(*args, env=env)


def scene_copy(pid, root, day=None):
    """A copy of the series' scene pid in root (pid, folder): dated `day`
    (YYYY-MM-DD: its name and ACQUISITION_DATE) when given."""
    new = pid.replace(pid.split("_")[2][:8], day.replace("-", "")) if day else pid
    dst = os.path.join(root, new)
    os.makedirs(dst)
    for f in os.listdir(os.path.join(SERIES, "inbox", pid)):
        shutil.copy(os.path.join(SERIES, "inbox", pid, f), os.path.join(dst, f))
        if day:
            ds = gdal.Open(os.path.join(dst, f), gdal.GA_Update)
            ds.SetMetadataItem("ACQUISITION_DATE", day)
            ds = None
    return new, dst


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def tree_digest(d, sub, pattern="*"):
    return {os.path.relpath(p, d): digest(p) for p in sorted(glob.glob(os.path.join(d, sub, "**", pattern),
                                                                        recursive=True))
            if os.path.isfile(p) and "/logs/" not in p}


def export(d, fmt="csv"):
    p = cw("alerts", os.path.join(d, "job.ini"), "--since", "2000-01-01", "--format", fmt)
    check(p.returncode == 0, f"alerts export {fmt}: {p.stderr}")
    return p.stdout


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def night_rows(d, night, name="alerts.csv"):
    """The rows of one of a night's CSV outputs in work folder d."""
    return rows(open(os.path.join(d, "out", night, name), encoding="utf-8-sig").read())


# --------------------------------------------------------------- oracle
utm = osr.SpatialReference()
utm.ImportFromEPSG(TRUTH["epsg"])
ll = osr.SpatialReference()
ll.ImportFromEPSG(4326)
for s in (utm, ll):
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
TO_UTM = osr.CoordinateTransformation(ll, utm)
X0, Y0 = TRUTH["origin"]


def event_at(lat, lon):
    x, y, _ = TO_UTM.TransformPoint(lon, lat)
    c, r = int((x - X0) // 10), int((Y0 - y) // 10)
    if 0 <= r < EV.shape[0] and 0 <= c < EV.shape[1]:
        return int(EV[r, c])
    return -1


def event_geometry(code):
    """Footprint of an event as a UTM polygon, by GDAL's polygonize."""
    drv = gdal.GetDriverByName("MEM")
    ds = drv.Create("", EV.shape[1], EV.shape[0], 1, gdal.GDT_Byte)
    ds.SetGeoTransform((X0, 10, 0, Y0, 0, -10))
    ds.GetRasterBand(1).WriteArray((EV == code).astype(np.uint8))
    mem = ogr.GetDriverByName("Memory").CreateDataSource("")
    lyr = mem.CreateLayer("e", utm, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn("v", ogr.OFTInteger))
    gdal.Polygonize(ds.GetRasterBand(1), ds.GetRasterBand(1), lyr, 0, ["8CONNECTED=8"])
    g = ogr.Geometry(ogr.wkbMultiPolygon)
    for f in lyr:
        g.AddGeometry(f.GetGeometryRef())
    return g


def load_aois():
    out = []
    for fname, kind in (("conserved.geojson", "conserved"), ("chakras.gpkg", "chakra")):
        ds = ogr.Open(os.path.join(SERIES, "aoi", fname))
        lyr = ds.GetLayer(0)
        srs = lyr.GetSpatialRef()
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        ct = osr.CoordinateTransformation(srs, utm)
        for f in lyr:
            g = f.GetGeometryRef().Clone()
            g.Transform(ct)
            if g.GetGeometryType() == ogr.wkbPoint:
                g = g.Buffer(f.GetField("radius_m"), 30)
            if not g.IsValid():
                continue
            out.append((f.GetField("id"), kind, g))
    return out


AOIS = load_aois()


def expected_relation(code):
    return expected_relation_of(event_geometry(code))


def expected_relation_of(g):
    """The nearest AOI within 2 km of footprint g (UTM) and the relation by
    the rule: inside, or a ring of 0-500, 500-1000 or 1000-2000 m."""
    best = None
    for aid, kind, ag in AOIS:
        dist = 0.0 if g.Intersects(ag) else g.Distance(ag)
        if dist > 2000:
            continue
        key = (dist, 0 if kind == "conserved" else 1, aid)
        if best is None or key < best[0]:
            best = (key, aid)
    if best is None:
        return "", "outside"
    dist = best[0][0]
    rel = "inside" if dist == 0 else "ring_0_500" if dist <= 500 else "ring_500_1000" if dist <= 1000 \
        else "ring_1000_2000"
    return best[1], rel


# ----------------------------------------------------- A: the whole series
A = workdir("A")
codes = []
for pid in scenes():
    p = night(A, pid)
    codes.append(p.returncode)
    check(p.returncode in (0, 1), f"night {pid}: exit {p.returncode}: {p.stderr}")
    check("CH-BAD" in p.stderr and "feature" in p.stderr, "the malformed chakra is reported by id")
    for f in ("alerts.csv", "aoi_summary.csv", "history.gpkg"):
        check(os.path.exists(os.path.join(A, "out", cwtest.night_of(pid), f)), f"{cwtest.night_of(pid)}/{f} written")
check(all(c == 1 for c in codes), f"exit 1 every night (a malformed AOI is an item that failed): {codes}")

hdr = open(os.path.join(A, "out", TRUTH["dates"][3], "alerts.csv"), encoding="utf-8-sig").readline().rstrip("\r\n")
check(hdr.startswith(HEADER + ",") or hdr == HEADER, "alerts.csv header: " + hdr)
rawb = open(os.path.join(A, "out", TRUTH["dates"][3], "alerts.csv"), "rb").read()
line2 = rawb.split(b"\r\n")[1] if rawb.count(b"\r\n") > 1 else b""
check(rawb.startswith(b"\xef\xbb\xbf") and line2.startswith(b'"18MTD-') and b',"18MTD",' in line2,
      f"alerts.csv starts with a UTF-8 BOM (Excel) and quotes its ids as text: {line2[:60]}")
for d in TRUTH["dates"][:3]:
    check(len(rows(open(os.path.join(A, "out", d, "alerts.csv")).read())) == 0, f"no alert in the reference night {d}")
first_night = rows(open(os.path.join(A, "out", TRUTH["dates"][3], "alerts.csv")).read())
check(first_night and all(r["status"] == "candidate" and r["confidence"] == "2" and r["confidence_label"] == "low"
                          for r in first_night), "first monitoring night: candidates of low confidence")

alerts = rows(export(A))
final_night = rows(open(os.path.join(A, "out", TRUTH["dates"][-1], "alerts.csv")).read())
check(len(final_night) > 0, "the last night lists the alerts it changed")
ids = [r["alert_id"] for r in alerts]
check(len(ids) == len(set(ids)), "alert ids are unique (events updated, never duplicated)")

# score against the truth
found, area_err, class_ok, false_alerts = {}, [], 0, []
for r in alerts:
    code = event_at(float(r["lat"]), float(r["lon"]))
    if code <= 0:
        false_alerts.append(r)
    else:
        found.setdefault(code, []).append(r)
for r in false_alerts:
    check(False, f"false alert {r['alert_id']} {r['class']} {r['area_ha']} ha at {r['lat']},{r['lon']}")
for e in TRUTH["events"]:
    got = found.get(e["code"], [])
    check(len(got) == 1, f"event {e['id']}: exactly one alert (got {len(got)})")
    if not got:
        continue
    r = got[0]
    class_ok += r["class"] == e["class"]
    check(r["class"] == e["class"], f"event {e['id']}: class {r['class']}, truth {e['class']}")
    check(r["first_detected"] == e["first_clear"], f"event {e['id']}: first_detected {r['first_detected']}, "
          f"first clear date {e['first_clear']}")
    err = abs(float(r["area_ha"]) - e["area_ha"]) / e["area_ha"]
    area_err.append(err)
    check(err <= 0.15, f"event {e['id']}: area {r['area_ha']} ha vs {e['area_ha']:.2f} ha")
    want = "confirmed" if e["confirmable"] else "candidate"
    check(r["status"] == want, f"event {e['id']}: status {r['status']}, expected {want}")
    aid, rel = expected_relation(e["code"])
    check(r["aoi_id"] == aid and r["relation"] == rel,
          f"event {e['id']}: AOI {r['aoi_id']}/{r['relation']}, expected {aid or '-'}/{rel}")
    if r["status"] == "confirmed":
        check(r["confirmed_on"] > r["first_detected"] and r["confidence"] in ("3", "4"),
              f"event {e['id']}: confirmed later than first seen, confidence high or highest")
    nd = [r["ndvi_before"], r["ndvi_after"]]
    check(float(nd[0]) > 0.7 and float(nd[1]) < 0.4, f"event {e['id']}: NDVI before/after {nd}")
n_ev = len(TRUTH["events"])
print(f"scores: recall {len(found)}/{n_ev} = {len(found) / n_ev:.3f}; false alerts {len(false_alerts)}; "
      f"class accuracy {class_ok}/{len(found)}; area error mean {100 * np.mean(area_err):.2f} % "
      f"max {100 * np.max(area_err):.2f} %")

# CSV hygiene: the formula-named AOI is inert, the script-named one is plain text
raw = open(os.path.join(A, "out", TRUTH["dates"][-1], "aoi_summary.csv"), encoding="utf-8-sig").read()
check('"\'=HYPERLINK(""http://x"")"' in raw, "a formula in an AOI name is neutralised in CSV")
summ = {r["aoi_id"]: r for r in rows(raw)}
check(set(summ) == {"CA-01", "CA-02", "CH-001", "CH-002", "CH-004"}, f"one summary row per valid AOI: {sorted(summ)}")
ca = summ.get("CA-01", {})
e_in = sum(e["area_ha"] for e in TRUTH["events"] if e["aoi_id"] == "CA-01" and e["confirmable"])
check(abs(float(ca.get("loss_ha_inside", -1)) - e_in) < 0.15 * e_in, f"CA-01 confirmed loss inside {ca.get('loss_ha_inside')}"
      f" vs truth {e_in}")
check(int(ca.get("clear_observations", 0)) >= 6 and ca.get("last_clear_observation") == TRUTH["dates"][-1],
      f"CA-01 evidence of observation: {ca.get('clear_observations')} clear, last {ca.get('last_clear_observation')}")
check(float(summ.get("CH-001", {}).get("never_observed_share", 1)) == 0.0, "CH-001 has been observed")


def never_seen_truth():
    """Pixels the job can never see clear: the cloud of every date grown by the
    cloud buffer (100 m = 10 px) and its shadow, offset by (-50, +36), grown
    by the shadow buffer (50 m = 5 px); discs, as the mask's dilation."""
    cx, cy, rx, ry = next(d for d in TRUTH["decoys"] if d["id"] == "D5")["ellipse_px"]
    yy, xx = np.mgrid[0:TRUTH["height"], 0:TRUTH["width"]] + 0.0
    out = np.zeros(yy.shape, bool)
    for ox, oy, r in ((0, 0, 10), (-50, 36, 5)):
        out |= disc_dilate(((xx - cx - ox) / rx) ** 2 + ((yy - cy - oy) / ry) ** 2 <= 1, r)
    return out


NEVER = never_seen_truth()
ca02 = np.zeros(NEVER.shape, bool)
ca02[80:160, 850:950] = True  # CA-02 of the series plan, 1000 x 900 grid
share = (NEVER & ca02).sum() / ca02.sum()
got = float(summ.get("CA-02", {}).get("never_observed_share", -1))
check(abs(got - share) < 0.02, f"CA-02 never-observed share {got:.4f} against the cloud of every date {share:.4f}")

# GeoPackage and GeoJSON open with GDAL's own tools
gp = os.path.join(A, "out", TRUTH["dates"][-1], "history.gpkg")
info = subprocess.run(["ogrinfo", "-ro", "-so", gp, "alerts", "alert_events"], capture_output=True, text=True)
hds = ogr.Open(gp)
hl = hds.GetLayerByName("alerts")
n_pub = sum(1 for f in hl if f.GetField("published") == 1)
check(info.returncode == 0 and f"Feature Count: {hl.GetFeatureCount()}" in info.stdout and "alert_events" in info.stdout
      and n_pub == len(alerts), f"ogrinfo reads the history GeoPackage ({n_pub} published = {len(alerts)} exported)")
gj = json.loads(export(A, "geojson"))
check(len(gj["features"]) == len(alerts) and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon")
                                                  for f in gj["features"]), "GeoJSON export with polygons")
# RFC 7946: longitude first.  The same alert's outline in the GeoPackage (read
# by OGR) and in the GeoJSON must agree; every column of alerts.csv is there, typed.
gp_env = {f.GetField("alert_id"): f.GetGeometryRef().GetEnvelope() for f in hl if f.GetField("published") == 1}
worst = 0.0
for f in gj["features"]:
    g = ogr.CreateGeometryFromJson(json.dumps(f["geometry"]))
    e1, e2 = g.GetEnvelope(), gp_env.get(f["properties"]["alert_id"], (99, 99, 99, 99))
    worst = max(worst, max(abs(a - b) for a, b in zip(e1, e2)))
check(worst < 1e-6, f"GeoJSON and GeoPackage outlines agree (lon, lat order): worst {worst:.2e} degrees")
check(all(-80 < f["geometry"]["coordinates"][0][0][0] < -76 if f["geometry"]["type"] == "Polygon"
          else -80 < f["geometry"]["coordinates"][0][0][0][0] < -76 for f in gj["features"]),
      "GeoJSON coordinates start with the longitude (Napo: about -78)")
props = gj["features"][0]["properties"] if gj["features"] else {}
EXTRA = {"other_aois", "pixels", "reason", "same_event_as"}
check(set(HEADER.split(",")) | EXTRA <= set(props),
      f"GeoJSON keeps every field of alerts.csv: missing {set(HEADER.split(',')) | EXTRA - set(props)}")
check(all(isinstance(f["properties"]["pixels"], int) and isinstance(f["properties"]["area_ha"], float)
          and (f["properties"]["confirmed_on"] is None or len(f["properties"]["confirmed_on"]) == 10)
          for f in gj["features"]), "GeoJSON types: pixels an integer, area a number, confirmed_on a date or null")
# the formats people ask for, through OGR: every alert, every field, the same outlines
for fmt, name in (("gpkg", "alerts.gpkg"), ("shp", "alerts.shp.zip"), ("kml", "alerts.kml"), ("kmz", "alerts.kmz")):
    outp = os.path.join(TMP, "export-" + name)
    p = cw("alerts", os.path.join(A, "job.ini"), "--since", "2000-01-01", f"--format={fmt}", "--out", outp)
    check(p.returncode == 0 and os.path.exists(outp), f"alerts --format {fmt}: {p.stderr}")
    ds = ogr.Open(outp) if os.path.exists(outp) else None
    lyr = ds.GetLayer(0) if ds else None
    feats = list(lyr) if lyr else []
    check(len(feats) == len(alerts), f"{fmt}: {len(feats)} alerts against {len(alerts)}")
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())] if lyr else []
    want = len(HEADER.split(",")) + 4
    check(len([n for n in names if n not in ("Name", "description", "timestamp", "begin", "end", "altitudeMode",
                                             "tessellate", "extrude", "visibility", "drawOrder", "icon")]) >= want,
          f"{fmt} keeps every field ({len(names)} fields: {names[:6]}...)")
    ids = {}
    for f in feats:
        key = f.GetField(names.index("alert_id")) if "alert_id" in names else None
        ids[key] = f.GetGeometryRef().GetEnvelope() if f.GetGeometryRef() else None
    w = max((max(abs(a - b) for a, b in zip(ids[k], gp_env[k])) for k in ids if k in gp_env and ids[k]), default=9)
    check(w < 1e-6, f"{fmt} outlines agree with the GeoPackage's (lon, lat): worst {w:.2e}")
    if fmt == "shp":
        lens = [len(f.GetField(names.index("scenes")) or "") for f in feats]
        check(max(lens, default=0) > 80, f"shapefile text fields are not cut at OGR's 80 characters ({max(lens, default=0)})")
p = cw("alerts", os.path.join(A, "job.ini"), "--since", "2000-01-01", "--format", "kmz")
check(p.returncode == 1 and "--out" in p.stderr, "a binary format needs --out")
for bad_date in ("2024-13-01", "01/03/2024", "2023-02-29"):
    p = cw("alerts", os.path.join(A, "job.ini"), "--since", bad_date)
    check(p.returncode == 2 and "not a date" in p.stderr, f"--since {bad_date} is refused (exit 2): {p.stderr}")

# ----------------------------------------- re-running a night changes nothing
before = {**tree_digest(A, "out"), **tree_digest(A, "state")}
p = cw("run", os.path.join(A, "job.ini"), "--night", TRUTH["dates"][-1])
check(p.returncode == 1 and "8 already done" in p.stderr, "rerun: every scene already done")
after = {**tree_digest(A, "out"), **tree_digest(A, "state")}
check(before == after, "re-running a night changes no byte of state or outputs")

# ------------------------------ an all-cloud scene after the series (a copy
# of A): the night goes through and says so; nothing is seen clear, so the
# alerts stay as they were and the evidence of observation keeps its count
# and last clear date, while its longest gap now runs to this scene (by the
# definition: from the reference's start to the latest scene)
K = os.path.join(TMP, "K")
shutil.copytree(A, K, symlinks=True)
CLOUD_DAY = "2024-09-01"
src = scenes()[-1]
cloud_pid, cloud_dir = scene_copy(src, os.path.join(TMP, "cloudy"), CLOUD_DAY)
ds = gdal.Open(os.path.join(cloud_dir, "SCL.tif"), gdal.GA_Update)
a = ds.ReadAsArray()
a[a != 0] = 9  # cloud wherever the swath is
ds.GetRasterBand(1).WriteArray(a)
ds = None
os.symlink(cloud_dir, os.path.join(K, "nightly", cloud_pid))
p = cw("run", os.path.join(K, "job.ini"), "--night", CLOUD_DAY)
check(p.returncode == 1 and "1 scene(s) processed" in p.stderr and "clear 0.0 %" in p.stderr,
      f"an all-cloud scene is a night like the others, clear 0.0 % (exit 1 for the malformed AOI): {p.stderr[-400:]}")
rec = glob.glob(os.path.join(K, "state", "18MTD", "obs", CLOUD_DAY + "_*[0-9].tif"))
check(len(rec) == 1 and not (gdal.Open(rec[0]).ReadAsArray() == 0).any(),
      f"its observation record shows no pixel seen clear: {rec}")
check(sorted(r["alert_id"] for r in rows(export(K))) == sorted(ids), "an all-cloud night creates no alert")
was = {r["aoi_id"]: r for r in night_rows(A, TRUTH["dates"][-1], "aoi_summary.csv")}
now = {r["aoi_id"]: r for r in night_rows(K, CLOUD_DAY, "aoi_summary.csv")}
bad_gap = []
for aoi, b in was.items():
    a = now.get(aoi, {})
    trail = (datetime.date.fromisoformat(CLOUD_DAY) - datetime.date.fromisoformat(b["last_clear_observation"])).days
    if (a.get("clear_observations"), a.get("last_clear_observation")) != (b["clear_observations"],
                                                                         b["last_clear_observation"]) or \
            int(a.get("longest_gap_days", -1)) != max(int(b["longest_gap_days"]), trail):
        bad_gap.append((aoi, b["clear_observations"], b["last_clear_observation"], b["longest_gap_days"],
                        a.get("clear_observations"), a.get("last_clear_observation"), a.get("longest_gap_days")))
check(was and not bad_gap, f"after the all-cloud night every AOI keeps its clear observations and last one, and its "
      f"longest gap reaches the cloudy scene: {bad_gap}")

# ------------------------------------------------ small and close clearings
# Painted on quiet forest of the first two monitoring scenes (E1's cleared
# pixels of the same scene copied there, at 10 m and on every 20 m pixel a
# clearing touches):
# - two of 6 x 6 px (0.36 ha) 2 px apart whose centroids round to the same
#   hectometre, so the id rule (TILE-L-date-E-N in hundreds of metres) gives
#   both one base: the second is suffixed -2 (an alert once overwrote another
#   of its night that shared its id), and the next night keeps both ids;
# - two of 4 x 4 px (0.16 ha): inside the conserved area CA-01 it is
#   published (>= [alerts] mmu_aoi_ha, 0.1 ha, touching an area of
#   interest), inside none it is kept below the MMU (0.3 ha);
# - one of 5 x 6 px inside no area: 0.30 ha, published (>= 0.3 ha);
# - one of 6 x 6 px 440-480 m east of CA-01: its ring is 0-500 m.
# Every painted alert's area of interest and relation are OGR's (the
# block's footprint against the AOI files, expected_relation_of).
I = workdir("I")
ssi = scenes()
ev1 = EV == next(e["code"] for e in TRUTH["events"] if e["id"] == "E1")
ey, ex = [int(np.median(v)) for v in np.nonzero(ev1)]


def quiet_on(dates):
    """Pixels of no event that the SCL calls vegetation on each of the scenes `dates` (indices)."""
    q = EV == 0
    for d in dates:
        scl = gdal.Open(os.path.join(SERIES, "inbox", ssi[d], "SCL.tif")).ReadAsArray()
        q &= np.kron(scl == 4, np.ones((2, 2), bool))[:EV.shape[0], :EV.shape[1]]
    return q


quiet = quiet_on((3, 4))


def centre_hm(xa, ya):
    """The id's rounded centroid of a 6 x 6 block at (xa, ya): hundreds of metres."""
    return round((X0 + (xa + 3) * 10) / 100.0), round((Y0 - (ya + 3) * 10) / 100.0)


def quiet_spot(x0, x1, y0, y1, w, h, ok=lambda x, y: True, where=quiet):
    """A place for a w x h block in [x0, x1) x [y0, y1), 15 px from anything."""
    for y in range(max(y0, 15), min(y1, EV.shape[0] - 15) - h):
        for x in range(max(x0, 15), min(x1, EV.shape[1] - 15) - w):
            if where[y - 15:y + h + 15, x - 15:x + w + 15].all() and ok(x, y):
                return x, y
    return None


def painted(pid, blocks, root):
    """A copy of scene pid in root with E1's cleared pixels of the same scene
    over each block (x, y, w, h): at 10 m, and on every 20 m pixel it touches."""
    dst = scene_copy(pid, root)[1]
    for f in os.listdir(dst):
        if f == "SCL.tif":
            continue
        ds = gdal.Open(os.path.join(dst, f), gdal.GA_Update)
        a = ds.ReadAsArray()
        k = ds.RasterXSize / EV.shape[1]  # 1 at 10 m, 0.5 at 20 m
        for bx, by, bw, bh in blocks:
            ya, xa = int(by * k), int(bx * k)
            h, w = int(np.ceil((by + bh) * k)) - ya, int(np.ceil((bx + bw) * k)) - xa
            a[ya:ya + h, xa:xa + w] = a[int(ey * k):int(ey * k) + h, int(ex * k):int(ex * k) + w]
        ds.GetRasterBand(1).WriteArray(a)
        ds = None
    return dst


twin = quiet_spot(0, EV.shape[1], 450, EV.shape[0], 14, 6, lambda x, y: centre_hm(x, y) == centre_hm(x + 8, y))
inside = quiet_spot(160, 440, 110, 390, 4, 4)  # CA-01: 150..450 x 100..400
outside = quiet_spot(500, 820, 450, 560, 4, 4)  # inside no area of interest
at_mmu = quiet_spot(outside[0] + 30, 820, 450, 560, 5, 6) if outside else None
near = quiet_spot(494, 505, 150, 350, 6, 6)  # 440-480 m from CA-01's east edge (x = 450)
check(twin and inside and outside and at_mmu and near,
      f"quiet forest for the clearings: {twin} {inside} {outside} {at_mmu} {near}")
BLOCKS = ([(twin[0], twin[1], 6, 6), (twin[0] + 8, twin[1], 6, 6), (*inside, 4, 4), (*outside, 4, 4),
           (*at_mmu, 5, 6), (*near, 6, 6)] if twin and inside and outside and at_mmu and near else [])
for d in range(5):
    os.symlink(painted(ssi[d], BLOCKS, os.path.join(TMP, "painted")) if d >= 3 else
               os.path.join(SERIES, "inbox", ssi[d]), os.path.join(I, "nightly", ssi[d]))
    p = cw("run", os.path.join(I, "job.ini"), "--night", cwtest.night_of(ssi[d]))
    check(p.returncode in (0, 1), f"night {d + 1} with the painted clearings: exit {p.returncode}: {p.stderr[-300:]}")


def alerts_on(rs, bx, by, bw, bh):
    """The alerts whose centroid lies on block (bx, by, bw, bh)."""
    out = {}
    for r in rs:
        x, y, _ = TO_UTM.TransformPoint(float(r["lon"]), float(r["lat"]))
        if bx - 1 <= (x - X0) / 10 <= bx + bw + 1 and by - 1 <= (Y0 - y) / 10 <= by + bh + 1:
            out[r["alert_id"]] = r
    return out


night1, night2 = night_rows(I, TRUTH["dates"][3]), night_rows(I, TRUTH["dates"][4])
every = rows(export(I))
if BLOCKS:
    a1, b1 = alerts_on(night1, *BLOCKS[0]), alerts_on(night1, *BLOCKS[1])
    ids1 = sorted(a1) + sorted(b1)
    check(len(a1) == 1 and len(b1) == 1 and ids1[0].split("-")[:5] == ids1[1].split("-")[:5] and
          sorted(ids1)[1] == sorted(ids1)[0] + "-2",
          f"two clearings of one date within 100 m: one alert each, the second id suffixed -2: {ids1}")
    ids2 = sorted(alerts_on(night2, *BLOCKS[0])) + sorted(alerts_on(night2, *BLOCKS[1]))
    check(ids2 == ids1, f"the next night matches them under the same ids: {ids2}")
    small_in = alerts_on(every, *BLOCKS[2])
    small_out = alerts_on(every, *BLOCKS[3])
    check(len(small_in) == 1 and all(r["aoi_id"] == "CA-01" and r["relation"] == "inside" and
                                     0.1 <= float(r["area_ha"]) < 0.3 for r in small_in.values()),
          f"a clearing of 0.16 ha inside a conserved area is published (>= 0.1 ha): {list(small_in.values())}")
    check(not small_out, f"one inside no area of interest is not (< 0.3 ha): {list(small_out)}")
    mmu = alerts_on(every, *BLOCKS[4])
    check(len(mmu) == 1 and all(abs(float(r["area_ha"]) - 0.3) < 1e-6 and r["relation"] != "inside" for r in mmu.values()),
          f"one of 0.30 ha exactly, inside no area, is published (>= 0.3 ha): {list(mmu.values())}")
    rel_bad = []
    for bx, by, bw, bh in BLOCKS:
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for px, py in ((bx, by), (bx + bw, by), (bx + bw, by + bh), (bx, by + bh), (bx, by)):
            ring.AddPoint_2D(X0 + px * 10, Y0 - py * 10)
        box = ogr.Geometry(ogr.wkbPolygon)
        box.AddGeometry(ring)
        want = expected_relation_of(box)
        rel_bad += [(r["alert_id"], r["aoi_id"], r["relation"], r["distance_m"], want)
                    for r in alerts_on(every, bx, by, bw, bh).values() if (r["aoi_id"], r["relation"]) != want]
    near_rel = [r["relation"] for r in alerts_on(every, *BLOCKS[5]).values()]
    check(not rel_bad and near_rel == ["ring_0_500"],
          f"each painted clearing's area and relation are OGR's, the one 440-480 m from CA-01 in its 0-500 m ring: "
          f"{rel_bad} {near_rel}")

# --------------------------- a false positive that expires and comes back
# The committee reviews a candidate as a false positive; it expires (window_obs
# = 2: after a normal clear scene it cannot be confirmed) and the same pixels
# turn anomalous again three scenes later: it is the same false alert, kept
# unpublished under its id with the review as its reason, not a new alert
# (cw_alerts.c, components_match_history).
J = workdir("J")
with open(os.path.join(J, "job.ini"), "a") as f:
    f.write("\n[detect]\nwindow_obs = 2\n")
fp = quiet_spot(0, EV.shape[1], 0, EV.shape[0], 6, 6, where=quiet_on(range(3, 8)))
check(fp is not None, "quiet forest on every monitoring date for the false positive")
FPB = (*(fp or (0, 0)), 6, 6)
fp_id = None
for d in range(8):
    os.symlink(painted(ssi[d], [FPB], os.path.join(TMP, "fp")) if d in (3, 6, 7) else
               os.path.join(SERIES, "inbox", ssi[d]), os.path.join(J, "nightly", ssi[d]))
    p = cw("run", os.path.join(J, "job.ini"), "--night", cwtest.night_of(ssi[d]))
    check(p.returncode in (0, 1), f"night {d + 1} with the false positive: exit {p.returncode}: {p.stderr[-300:]}")
    if d == 3:
        on = alerts_on(night_rows(J, TRUTH["dates"][d]), *FPB)
        check(len(on) == 1, f"the painted clearing is a candidate alert: {list(on)}")
        fp_id = next(iter(on), "none")
        p = cw("review", os.path.join(J, "job.ini"), fp_id, "--status", "false_positive", "--on", TRUTH["dates"][3])
        check(p.returncode == 0, f"reviewed as a false positive: {p.stderr[-300:]}")
hj = ogr.Open(os.path.join(J, "state", "history.gpkg"))
on_fp = {}
for f in hj.GetLayerByName("alerts"):
    if alerts_on([{"alert_id": f["alert_id"], "lat": f["lat"], "lon": f["lon"]}], *FPB):
        on_fp[f["alert_id"]] = (f["status"], f["published"], f["reason"] or "")
expired = [f["night"] for f in hj.GetLayerByName("alert_events") if f["alert_id"] == fp_id and f["event"] == "rejected"]
hj = None
check(expired and all(n.replace("/", "-") < TRUTH["dates"][6] for n in expired),
      f"it expired before its pixels turned anomalous again: rejected on {expired}")
later = {i for d in TRUTH["dates"][6:] for i in alerts_on(night_rows(J, d), *FPB)}
check(list(on_fp) == [fp_id] and on_fp[fp_id][1] == 0 and "false positive" in on_fp[fp_id][2] and
      later <= {fp_id}, f"seen again after it expired, the false positive is the same unpublished alert, no new "
      f"one: {on_fp}, listed later: {sorted(later)}")

# ---------------------------------------------- B: one thread, same bytes
# Three threads asked for, and a memory budget of 1 MB, which not even one
# thread's buffers fit: the job runs one thread, says why, and goes on.  Its
# strips are read in two column windows each, A's in full rows.
B = workdir("B", threads=3, memory_mb=1)
for i, pid in enumerate(scenes()):
    deliver(B, pid)
    p = cw("run", os.path.join(B, "job.ini"), "--night", cwtest.night_of(pid), "-v",
           env={"CHAKRAWATCH_WINDOW_COLS": "1"})
    threads_used = set(re.findall(r"strips of \d+ rows in 2 windows of 512 columns, (\d+) thread", p.stderr))
    check(p.returncode == codes[i] and threads_used == {"1"},
          f"B {pid}: one thread under a 1 MB budget, in column windows ({threads_used}), exit {p.returncode} as "
          f"A's night")
    if i == 0:
        check("memory budget of 1 MB is less than one thread needs" in p.stderr,
              f"B: the budget's warning on stderr: {p.stderr[-300:]}")
da, db = tree_digest(A, "out"), tree_digest(B, "out")
check(da == db, "outputs identical for 1 and 2 threads, column windows and full rows: " +
      ", ".join(k for k in da if da.get(k) != db.get(k)))
check(tree_digest(A, "state", "*.cws") == tree_digest(B, "state", "*.cws"),
      "state identical for 1 and 2 threads, column windows and full rows")

# ------------------------------------------------ C: killed mid-tile, rerun
C = workdir("C")
kill_night = scenes()[5]
for pid in scenes():
    if pid == kill_night:
        p = night(C, pid, env={"CHAKRAWATCH_FAULT_KILL_AT_STRIP": "1"})
        check(p.returncode == -9, f"fault injection killed the job (exit {p.returncode})")
        # what a kill during the maps leaves (a dead writer's temporaries) goes on the rerun
        dead = subprocess.Popen(["true"])
        dead.wait()
        os.makedirs(os.path.join(C, "out", cwtest.night_of(pid), "maps"), exist_ok=True)
        stale = [os.path.join(C, "out", cwtest.night_of(pid), "maps", f".tile-18MTD.png.tmp{dead.pid}"),
                 os.path.join(C, "out", cwtest.night_of(pid), f".report.html.tmp{dead.pid}")]
        for f in stale:
            open(f, "w").close()
        p = cw("run", os.path.join(C, "job.ini"), "--night", cwtest.night_of(pid))
        check(not any(os.path.exists(f) for f in stale), "a killed run's temporaries are removed on the rerun")
        check(p.returncode == 1, "rerun after the kill")
    else:
        night(C, pid)
check(export(C) == export(A), "killed and rerun: the same alerts as an uninterrupted run")
check(tree_digest(C, "state", "*.cws") == tree_digest(A, "state", "*.cws"), "killed and rerun: the same state")
check(digest(os.path.join(C, "state", "history.gpkg")) == digest(os.path.join(A, "state", "history.gpkg")),
      "killed and rerun: the history GeoPackage is the uninterrupted run's, byte for byte")
for d in TRUTH["dates"]:
    for f in ("alerts.csv", "aoi_summary.csv"):
        check(digest(os.path.join(C, "out", d, f)) == digest(os.path.join(A, "out", d, f)),
              f"killed and rerun: {d}/{f} identical")
check(not glob.glob(os.path.join(C, "state", "*", ".*tmp*")), "no temporary state file left")

# --------------------------------------- D: bad inputs, late scene, config
D = workdir("D")
ss = scenes()
bad = os.path.join(TMP, "bad", "S2A_MSIL2A_20240329T153619_N0510_R068_T18MTD_20240329T171500")
shutil.copytree(os.path.join(SERIES, "inbox", ss[5]), bad)  # same date as ss[5], another product
with open(os.path.join(bad, "B04.tif"), "r+b") as f:
    f.truncate(4000)
for pid in ss[:2] + ss[3:5]:
    night(D, pid)
os.symlink(bad, os.path.join(D, "nightly", os.path.basename(bad)))
p = night(D, ss[2])  # a reference scene arriving after monitoring began
check(p.returncode == 1, "a night with bad items exits 1")
check(os.path.basename(bad) in p.stderr and "B04" in p.stderr, "the corrupt scene is named, with the band")
check(ss[2] in p.stderr and "not newer" in p.stderr, "the late scene is reported as out of order")
p = night(D, ss[5])
check(p.returncode == 1 and "1 scene(s) processed" in p.stderr, "the other scenes still go through: " + p.stderr)
check(ss[2] not in p.stderr, "a late scene is reported once, then remembered")
st = rows(export(D))
check(any(r["first_detected"] == TRUTH["dates"][3] for r in st), "earlier alerts intact after bad items")

for text, what in (("[job]\ninbox = x\nbogus = 1\n", "unknown key 'bogus'"),
                   ("[job]\ninbox = x\n[detect]\nconfirm_n = 99\n", "out of range"),
                   ("[nope]\na = 1\n", "unknown section"),
                   ("[job]\ninbox = x\n[reference]\nstart = 2024-02-30\n", "not a date")):
    cfgp = os.path.join(TMP, "bad.ini")
    open(cfgp, "w").write(text)
    p = cw("run", cfgp, "--night", "2024-01-01")
    check(p.returncode == 2 and what in p.stderr and "bad.ini" in p.stderr, f"config error '{what}': {p.stderr}")
# configurations that would run the job on something else than meant
long_line = "[job]\ninbox = x\nstate = " + "a" * 9000 + "output = /tmp/elsewhere\n"
for text, what in (("[job]\ninbox = x\n[job]\nstate = s\n", "section [job] appears twice"),
                   ("[job]\ninbox = x\ninbox = y\n", "set twice"),
                   (long_line, "line longer than"),
                   ("", "no settings"),
                   ("; only a comment\n# and another\n", "no settings"),
                   ("inbox = x\n", "before any [section]")):
    cfgp = os.path.join(TMP, "bad.ini")
    open(cfgp, "w").write(text)
    p = cw("run", cfgp, "--night", "2024-01-01")
    check(p.returncode == 2 and what in p.stderr and "bad.ini" in p.stderr, f"config error '{what}': {p.stderr}")
    check(not os.path.exists("/tmp/elsewhere"), "the tail of a long line never becomes a setting")
fifo = os.path.join(TMP, "fifo.ini")
os.mkfifo(fifo)
for cfgp, what in ((TMP, "a folder"), ("/dev/zero", "a device, pipe or socket"), (fifo, "a device, pipe or socket")):
    try:
        p = subprocess.run([CW, "run", cfgp], capture_output=True, text=True, timeout=20)
        check(p.returncode == 2 and what in p.stderr, f"a non-regular configuration {cfgp} is refused: {p.stderr}")
    except subprocess.TimeoutExpired:
        check(False, f"a non-regular configuration {cfgp} hangs the job")
# an empty inbox: nothing to do, no undefined behaviour (UBSan runs this too)
E = workdir("E")
p = cw("run", os.path.join(E, "job.ini"), "--night", "2024-01-01")
check(p.returncode in (0, 1) and "0 scene(s) processed, 0 already done" in p.stderr,
      f"an empty inbox is a quiet night (exit 1 only for the malformed AOI): {p.stderr}")
# hostile and broken names: a formula as a product folder, bytes that are not UTF-8
H = workdir("H")
for pid in ss[:4]:
    night(H, pid)
evil = "=cmd|' -C calc'!A0_20240305T153619_N0510_R068_T18MTD_x"  # (a folder name holds no slash)
src = os.path.join(SERIES, "inbox", ss[4])
os.symlink(src, os.path.join(H, "nightly", evil))
latin1 = os.fsencode(os.path.join(H, "nightly")) + b"/S2B_MSIL2A_20240317T153619_N0510_R068_T18MTD_Se\xf1al"
os.symlink(os.fsencode(os.path.join(SERIES, "inbox", ss[5])), latin1)
p = cw("run", os.path.join(H, "job.ini"), "--night", TRUTH["dates"][5])
check("not valid UTF-8" in p.stderr, f"a name that is not UTF-8 is reported: {p.stderr}")
raw = b"".join(open(x, "rb").read() for x in glob.glob(os.path.join(H, "out", "*", "alerts.csv")))
try:
    raw.decode("utf-8")
    check(True, "")
except UnicodeDecodeError:
    check(False, "alerts.csv is valid UTF-8 whatever the file names")
txt = raw.decode("utf-8", "replace")
def is_number(v):
    try:
        float(v)
        return True
    except ValueError:
        return False


risky = [f for line in txt.splitlines() for f in next(csv.reader([line]))
         if not is_number(f) and f.lstrip(" \t\r\n")[:1] in ("=", "+", "-", "@") and not f.startswith("'")]
check(not risky, f"no text field of alerts.csv can start a formula: {risky[:3]}")
check(evil in txt or "=cmd" not in txt.replace("'=cmd", ""), "the formula-named product is listed, neutralised")
# two products of one tile and date (a reprocessing with a newer baseline in
# the same night, and an overlapping datatake a night later): the newer is
# merged, the others recorded as duplicates, not failures, with no "reorder"
R = workdir("R")
for pid in ss[:4]:
    night(R, pid)
reproc = ss[4].replace("_N0510_", "_N0511_")
os.symlink(os.path.join(SERIES, "inbox", ss[4]), os.path.join(R, "nightly", reproc))
p = night(R, ss[4])
check("not newer" not in p.stderr and "second product" in p.stderr, f"a reprocessing is a duplicate: {p.stderr[-400:]}")
later = ss[4].replace("S2B_", "S2A_")
os.symlink(os.path.join(SERIES, "inbox", ss[4]), os.path.join(R, "nightly", later))
p = night(R, ss[5])
check("not newer" not in p.stderr and "1 item(s) failed" in p.stderr,
      f"a second datatake of a merged date, a night later: no failure but the malformed AOI: {p.stderr[-300:]}")
hds_r = ogr.Open(os.path.join(R, "state", "history.gpkg"))
st_r = {f.GetField("product_id"): f.GetField("status") for f in hds_r.GetLayerByName("scenes")}
check(st_r.get(reproc) == "processed" and st_r.get(ss[4]) == "duplicate" and st_r.get(later) == "duplicate",
      f"the newer baseline is merged, the others are duplicates: {[(k[-40:], v) for k, v in st_r.items()]}")
hds_r = None

# a full disk (RLIMIT_FSIZE: writes past 64 KiB fail with EFBIG) on a
# monitoring night: the night fails with the reason, nothing half-written is
# left, earlier results stay; the rerun with room gives the uninterrupted bytes
import resource
import signal as _signal
F = workdir("F")
for pid in ss[:4]:
    night(F, pid)
before_f = tree_digest(F, "out")
deliver(F, ss[4])


def small_disk():
    _signal.signal(_signal.SIGXFSZ, _signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))


pf = subprocess.run([CW, "run", os.path.join(F, "job.ini"), "--night", cwtest.night_of(ss[4])], capture_output=True,
                    text=True, errors="replace", preexec_fn=small_disk)
check(pf.returncode in (1, 2) and "File too large" in pf.stderr,
      f"a full disk fails the night with the reason (exit {pf.returncode}): {pf.stderr[-300:]}")
check(all(tree_digest(F, "out").get(k) == v for k, v in before_f.items()), "a full disk leaves earlier outputs intact")
check(not glob.glob(os.path.join(F, "**", ".*tmp*"), recursive=True), "a full disk leaves no temporary behind")
p = cw("run", os.path.join(F, "job.ini"), "--night", cwtest.night_of(ss[4]))
for f in ("alerts.csv", "aoi_summary.csv"):
    check(digest(os.path.join(F, "out", cwtest.night_of(ss[4]), f)) == digest(os.path.join(A, "out", cwtest.night_of(ss[4]), f)),
          f"after the full disk, the rerun's {f} is the uninterrupted run's")

# a map that cannot be written (its name taken by a folder) after earlier
# warnings: the report is still written and lists it (the captured warnings
# were once re-allocated under the report: a use-after-free)
M = workdir("M")
for pid in ss[:4]:
    night(M, pid)
mn = cwtest.night_of(ss[4])
os.makedirs(os.path.join(M, "out", mn, "maps", "tile-18MTD.png", "x"))
p = night(M, ss[4])
rep = os.path.join(M, "out", mn, "report.html")
check(p.returncode == 1 and "tile-18MTD.png" in p.stderr, f"a map that cannot be written is reported: {p.stderr[-300:]}")
check(os.path.exists(rep) and "tile-18MTD.png" in open(rep, encoding="utf-8-sig").read().split('id="failed"')[-1],
      "the report is written and names the failed map under what failed")
check(os.path.exists(os.path.join(M, "out", mn, "alerts.csv")), "the night's alerts are written all the same")
p = cw("run", os.path.join(TMP, "missing.ini"))
check(p.returncode == 2, "missing configuration exits 2")
log = glob.glob(os.path.join(A, "out", TRUTH["dates"][0], "logs", "run-*.log"))
check(log and "[detect]" in open(log[0]).read() and "window_days = 180" in open(log[0]).read(),
      "the effective configuration is in the run log")

# Overlapping tiles: the same ground generated again as tile 18MTE (same
# seed, so the same pixels).  Each tile alerts the same events; the oracle
# is run A (one tile): every night both tiles list A's alerts, and each
# alert names its twin on the other tile, and nothing else, as the same event.
TWIN = os.path.join(TMP, "twin-series")
subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                "s2synth.py"), "series", TWIN, "--tile", "18MTE"], check=True, capture_output=True)
T2 = workdir("T2")
for pid in scenes():
    twin = pid.replace("_T18MTD_", "_T18MTE_")
    os.symlink(os.path.join(TWIN, "inbox", twin), os.path.join(T2, "nightly", twin))
    night(T2, pid)
twice_ok, n_twin = True, 0
for d in TRUTH["dates"]:
    a_rows = rows(open(os.path.join(A, "out", d, "alerts.csv"), encoding="utf-8-sig").read())
    t_rows = rows(open(os.path.join(T2, "out", d, "alerts.csv"), encoding="utf-8-sig").read())
    want = {}
    for r in a_rows:
        for tile, other in (("18MTD", "18MTE"), ("18MTE", "18MTD")):
            w = dict(r, alert_id=r["alert_id"].replace("18MTD", tile, 1), tile_id=tile,
                     same_event_as=r["alert_id"].replace("18MTD", other, 1))
            w.pop("scenes")  # product names differ by tile
            want[w["alert_id"]] = w
    got = {r["alert_id"]: {k: v for k, v in r.items() if k != "scenes"} for r in t_rows}
    twice_ok &= got == want
    n_twin += len(t_rows)
check(twice_ok and n_twin > 0, f"two overlapping tiles: each night lists run A's alerts on both, each naming its twin, "
      f"and only it, as the same event ({n_twin} rows)")
last_d = TRUTH["dates"][-1]
rep = open(os.path.join(T2, "out", last_d, "report.html"), encoding="utf-8").read()
n_last = len(rows(open(os.path.join(A, "out", last_d, "alerts.csv"), encoding="utf-8-sig").read()))
check(rep.count("<th>Mismo evento, visto en la tesela vecina</th>") == 2 * n_last and
      f"{n_last} de ellas {'es un evento ya listado' if n_last == 1 else 'son eventos ya listados'}" in rep,
      f"the report names the twin of each of the {2 * n_last} alerts and counts each event once")

if not KEEP:
    shutil.rmtree(TMP)
finish("nightly")
