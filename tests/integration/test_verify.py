#!/usr/bin/python3
"""Ground-truthed tests of `chakrawatch verify` and `chakrawatch review`.

  test_verify.py BUILD_DIR SERIES_DIR [WORK_DIR]

SERIES_DIR is `s2synth.py series` output.  The nightly job runs over it
night by night; a plots file (GeoPackage in EPSG:4326, the users' own ids
and attributes) is then verified.  Every expectation comes from the
generator's truth or from the scenes themselves, never from our output:
  - a plot over a clearing (the event raster) has loss_after_cutoff with the
    event's hectares inside it; half a large clearing, half its hectares;
  - a forest plot away from every event has no_loss_observed, with no more
    clear observations than the SCL (with the configured buffers) allows;
  - a plot under the cloud of every date is insufficient_observation,
    never seen clear;
  - a point with a radius is a circle of that radius; on the date of the
    no-data swath its tick says "not covered";
  - a plot on the river was not forest at the start (NDVI of the reference
    scenes) and has no loss;
  - a plot on no monitored tile is insufficient, and says why;
  - a period starting before the baseline is insufficient, and says why;
  - hostile ids and names stay inert in CSV, HTML and file names;
  - two runs with 1 and 2 threads give the same bytes; sha256sum -c and
    verify --check accept them; a modified output or observation record is
    named; the sheet renders in headless Chromium (phone width, A4 PDF).
Reviews: the clearing's alert is reviewed as a false positive while still a
candidate (a Spanish spreadsheet: semicolons, BOM, Spanish header); the
later nights do not publish it again, no new alert takes its pixels, the
report strikes it out and gives the measured precision, verify leaves it
out with a note, and the reviews survive a rerun and a killed night.
"""
import csv
import datetime
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import cwtest
from cwtest import check, disc_dilate, finish
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
BUILD, SERIES = sys.argv[1], sys.argv[2]
CW = os.path.join(BUILD, "chakrawatch")
TMP = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(prefix="cw-verify-")
os.makedirs(TMP, exist_ok=True)
TRUTH = json.load(open(os.path.join(SERIES, "truth", "truth.json")))
EV = gdal.Open(os.path.join(SERIES, "truth", "events.tif")).ReadAsArray()
OX, OY = TRUTH["origin"]
RES = TRUTH["res"]
CODE = {e["id"]: e["code"] for e in TRUTH["events"]}
DATES = TRUTH["dates"]


UTM = osr.SpatialReference()
UTM.ImportFromEPSG(TRUTH["epsg"])
WGS = osr.SpatialReference()
WGS.ImportFromEPSG(4326)
WGS.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)


def cw(*args, env=None):
    return cwtest.run_checked(CW, *args, env=env)


SCENES = sorted(os.listdir(os.path.join(SERIES, "inbox")))
W = os.path.join(TMP, "job")
shutil.rmtree(W, ignore_errors=True)
os.makedirs(os.path.join(W, "nightly"))
INI = os.path.join(W, "job.ini")
with open(INI, "w") as f:
    f.write(f"""[job]
inbox = nightly
state = state
output = out
threads = 2

[reference]
start = {TRUTH['reference'][0]}
end = {TRUTH['reference'][1]}

[aoi]
conserved = {SERIES}/aoi/conserved.geojson
chakras = {SERIES}/aoi/chakras.gpkg
""")


def night(i, env=None):
    pid = SCENES[i]
    link = os.path.join(W, "nightly", pid)
    if not os.path.lexists(link):
        os.symlink(os.path.join(SERIES, "inbox", pid), link)
    return cw("run", INI, "--night", cwtest.night_of(pid), env=env)


def alerts_csv(n):
    path = os.path.join(W, "out", n, "alerts.csv")
    return list(csv.DictReader(open(path, encoding="utf-8-sig"))) if os.path.exists(path) else []


def alert_over(code, rows):
    """The alert whose centroid lies on the event's pixels, from alerts.csv rows."""
    ct = osr.CoordinateTransformation(WGS, UTM)
    for r in reversed(rows):  # the latest row of the alert
        x, y, _ = ct.TransformPoint(float(r["lon"]), float(r["lat"]))
        px, py = int((x - OX) / RES), int((OY - y) / RES)
        if 0 <= py < EV.shape[0] and 0 <= px < EV.shape[1] and EV[py, px] == code:
            return r
    return None


# ---- nights 1..5, then the committee reviews the E6 clearing as false, then 6..8
FP_AT = 5
for i in range(FP_AT):
    check(night(i).returncode in (0, 1), f"night {i + 1} ran")
e6 = alert_over(CODE["E6"], [r for n in DATES[:FP_AT] for r in alerts_csv(n)])
check(e6 is not None, "the E6 clearing has an alert before the review (a candidate still)")
E6_ID = e6["alert_id"] if e6 else "none"
sheet = os.path.join(TMP, "revision.csv")
with open(sheet, "w", encoding="utf-8-sig", newline="") as f:  # as LibreOffice saves it under es-EC
    f.write("id_alerta;revisión;nota;revisado_por\r\n")
    f.write(f"{E6_ID};falso positivo;\"visita; era un barbecho viejo\";=cmd|'/c calc'!A1\r\n")
    f.write("no-such-alert;verificada;;\r\n")
    f.write("x' OR '1'='1;verificada;;\r\n")  # SQL text stays text
    f.write(f"{E6_ID};;;\r\n")  # a row nobody reviewed
p = cw("review", INI, "--csv", sheet, "--on", DATES[FP_AT - 1])
check(p.returncode == 1, f"a review sheet with an unknown id exits 1 (got {p.returncode})")
check("no-such-alert" in p.stderr and "no alert" in p.stderr, "the unknown alert is named")
p = cw("review", INI, "--csv", sheet, "--on", DATES[FP_AT - 1])
H = os.path.join(W, "state", "history.gpkg")


def reviews():
    ds = gdal.OpenEx(H, gdal.OF_VECTOR)
    lyr = ds.GetLayerByName("alert_reviews")
    return [(f["alert_id"], f["review"], f["reviewer"], f["note"]) for f in lyr]


rv = reviews()
check(len(rv) == 1 and rv[0][1] == "false_positive", f"one false-positive review recorded, importing twice adds none: {rv}")
check(rv and rv[0][3] == "visita; era un barbecho viejo", "the note with a semicolon is kept whole")
check(cw("review", INI, E6_ID, "--status=bogus").returncode == 2, "an unknown review word is a usage error")

for i in range(FP_AT, len(SCENES) - 1):
    check(night(i).returncode in (0, 1), f"night {i + 1} ran")
# the last night is killed once mid-pass, then rerun
p = night(len(SCENES) - 1, env={"CHAKRAWATCH_FAULT_KILL_AT_STRIP": "1"})
check(p.returncode < 0, "the killed night died")
check(night(len(SCENES) - 1).returncode in (0, 1), "the last night reran")
check(night(len(SCENES) - 1).returncode in (0, 1), "the last night ran again")
check(len(reviews()) == 1, "reviews survive a killed night and reruns")
later = [r for n in DATES[FP_AT:] for r in alerts_csv(n)]
check(not any(r["alert_id"] == E6_ID for r in later), "the false positive is not published again on later nights")
check(alert_over(CODE["E6"], later) is None, "no new alert takes the false positive's pixels")
ds = gdal.OpenEx(H, gdal.OF_VECTOR)
al = ds.GetLayerByName("alerts")
al.SetAttributeFilter(f"alert_id = '{E6_ID}'")
feat = al.GetNextFeature()
check(feat is not None and feat["published"] == 0 and "false positive" in (feat["reason"] or ""),
      "the history keeps the alert, unpublished, with the review as the reason")
ds = None
report = open(os.path.join(W, "out", DATES[-1], "report.html"), encoding="utf-8-sig").read()
check(f"<s>{E6_ID}</s>" in report, "the report strikes the false positive out")
check("precisión medida 0 %" in report, "the report gives the precision measured from reviews")
check("=cmd|" in report and "<script" not in report.split("reviews")[1][:3000].lower(), "the reviewer's text is escaped")
summ = {r["aoi_id"]: r for r in csv.DictReader(open(os.path.join(W, "out", DATES[-1], "aoi_summary.csv"),
                                                     encoding="utf-8-sig"))}
check(summ["CH-002"]["loss_false_positive"] == "1" and summ["CH-002"]["loss_review_precision"] == "0.0000",
      "aoi_summary.csv: CH-002 has one reviewed false positive, precision 0")
check(float(summ["CH-002"]["loss_ha_inside"] or 0) == 0.0, "a false positive counts in no hectares")

# ---- the plots: pixel boxes on the grid, written in EPSG:4326 with the users' attributes
to_ll = osr.CoordinateTransformation(UTM, WGS)


def box(x0, y0, x1, y1):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for px, py in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        ring.AddPoint_2D(OX + px * RES, OY - py * RES)
    g = ogr.Geometry(ogr.wkbPolygon)
    g.AddGeometry(ring)
    return g


def pixels_in(x0, y0, x1, y1):
    m = np.zeros(EV.shape, bool)
    m[y0:y1, x0:x1] = True
    return m


ys, xs = np.nonzero(EV == CODE["E4"])
E4BOX = (xs.min() - 4, ys.min() - 4, xs.max() + 5, ys.max() + 5)
ys, xs = np.nonzero(EV == CODE["E1"])
E1HALF = (xs.min(), ys.min(), (xs.min() + xs.max()) // 2, ys.max() + 1)
cx, cy, rx, ry = next(d for d in TRUTH["decoys"] if d["id"] == "D5")["ellipse_px"]
CLOUD = (int(cx - rx / 2), int(cy - ry / 2), int(cx + rx / 2), int(cy + ry / 2))
first = sorted(glob.glob(os.path.join(SERIES, "inbox", "*")))
red = gdal.Open(os.path.join(first[0], "B04.tif")).ReadAsArray().astype(float)
nir = gdal.Open(os.path.join(first[0], "B08.tif")).ReadAsArray().astype(float)
NDVI0 = (nir - red) / (nir + red + 1e-9)
wy = 700
wx = np.nonzero(NDVI0[wy] < 0.0)[0]
RIVER = (int(wx.min()) + 2, wy - 10, int(wx.max()) - 1, wy + 10)
CLEAN = (80, 440, 120, 470)  # the scenes have no data left of x = 60
POINT = (100, 600)  # inside the no-data swath of date index 5
PLOTS = [  # code, name, geometry (pixel box or point), radius
    ("P-E4", "Finca Andi", E4BOX, None),
    ("P-E1", "Mitad del claro", E1HALF, None),
    ("P-CLEAN", "Bosque de Wiñak", CLEAN, None),
    ("P-CLOUD", "Cerro nublado", CLOUD, None),
    ("P-POINT", "Chakra puntual", POINT, 40.0),
    ("P-RIVER", "Playa del río", RIVER, None),
    ("P-OFF", "Lejos", None, None),
    ("../<img src=x onerror=alert(1)>", '=HYPERLINK("http://x")', (120, 460, 130, 470), None),
]
gp = os.path.join(TMP, "plots.gpkg")
if os.path.exists(gp):
    os.remove(gp)
ods = ogr.GetDriverByName("GPKG").CreateDataSource(gp)
lyr = ods.CreateLayer("parcelas", WGS, ogr.wkbUnknown)
for name, t in (("codigo", ogr.OFTString), ("nombre", ogr.OFTString), ("owner", ogr.OFTString),
                ("cocoa_kg", ogr.OFTReal), ("radius_m", ogr.OFTReal)):
    lyr.CreateField(ogr.FieldDefn(name, t))
for k, (code, name, geo, radius) in enumerate(PLOTS):
    f = ogr.Feature(lyr.GetLayerDefn())
    f["codigo"], f["nombre"], f["owner"], f["cocoa_kg"] = code, name, f"owner {k}", 100.0 + k
    if radius:
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(OX + (geo[0] + 0.5) * RES, OY - (geo[1] + 0.5) * RES)
        f["radius_m"] = radius
    elif geo is None:
        g = ogr.CreateGeometryFromWkt("POLYGON ((-52 -3,-51.99 -3,-51.99 -3.01,-52 -3.01,-52 -3))")
    else:
        g = box(*geo)
    if geo is not None:
        g.Transform(to_ll)
    f.SetGeometry(g)
    lyr.CreateFeature(f)
ods = None


def verify(out, *extra):
    return cw("verify", INI, "--aoi", gp, "--id-field", "codigo", "--name-field=nombre", "--out", out, *extra)


def verdicts(out):
    """A verification's verdicts.csv, by plot id."""
    return {r["plot_id"]: r for r in csv.DictReader(open(os.path.join(out, "verdicts.csv"), encoding="utf-8-sig"))}


V1, V2 = os.path.join(TMP, "v1"), os.path.join(TMP, "v2")
for d in (V1, V2):
    shutil.rmtree(d, ignore_errors=True)
p1 = verify(V1, "--from", TRUTH["reference"][0], "--threads", "1", "--lang", "en")
p2 = verify(V2, "--from", TRUTH["reference"][0], "--threads", "2", "--lang", "en")
check(p1.returncode == 0, f"verify exits 0 (got {p1.returncode}: {p1.stderr[-400:]})")
V = verdicts(V1)
print({k: (v["verdict"], v["loss_ha"], v["clear_observations"], v["never_observed_share"], v["forest_share_start"])
       for k, v in V.items()})
check(set(V) == {p[0] for p in PLOTS} or len(V) == len(PLOTS), "every plot has a verdict, by the user's own id")


def expect_loss(code, geo, ev):
    v = V.get(code, {})
    truth = (EV[pixels_in(*geo)] == CODE[ev]).sum() * RES * RES / 1e4
    got = float(v.get("loss_ha") or 0)
    check(v.get("verdict") == "loss_after_cutoff", f"{code}: loss_after_cutoff (got {v.get('verdict')})")
    check(abs(got - truth) <= 0.15 * truth + 0.05, f"{code}: {got:.2f} ha of loss against {truth:.2f} ha in truth")
    check(v.get("loss_first_detected", "") >= TRUTH["reference"][1], f"{code}: first detection after the baseline")


expect_loss("P-E4", E4BOX, "E4")
expect_loss("P-E1", E1HALF, "E1")


def scl_clear_dates(geo, share):
    """Dates the SCL itself (invalid classes, discs of 10 px around clouds and
    5 px around shadows) shows at least `share` of the box clear, in order."""
    dates = []
    for s in first:
        scl = gdal.Open(os.path.join(s, "SCL.tif")).ReadAsArray()
        scl = np.kron(scl, np.ones((2, 2), scl.dtype))[:EV.shape[0], :EV.shape[1]] if scl.shape != EV.shape else scl
        cloud = disc_dilate(np.isin(scl, (8, 9, 10)), 10)
        shadow = disc_dilate(scl == 3, 5)
        bad = np.isin(scl, (0, 1, 2, 3, 8, 9, 10, 11)) | cloud | shadow
        m = pixels_in(*geo)
        if (~bad[m]).mean() >= share:
            dates.append(cwtest.night_of(os.path.basename(s)))
    return dates


v = V.get("P-CLEAN", {})
CLEAN_DATES = scl_clear_dates(CLEAN, 0.5)
ub = len(CLEAN_DATES)
check(v.get("verdict") == "no_loss_observed", f"P-CLEAN: no_loss_observed (got {v.get('verdict')})")
check(ub - 1 <= int(v.get("clear_observations", -1)) <= ub,
      f"P-CLEAN: {v.get('clear_observations')} clear observations, the SCL allows {ub}")
check(float(v.get("forest_share_start", 0)) > 0.95, "P-CLEAN was forest at the start")
v = V.get("P-CLOUD", {})
check(v.get("verdict") == "insufficient_observation" and float(v.get("never_observed_share", 0)) > 0.95,
      f"P-CLOUD: insufficient, never seen clear (got {v.get('verdict')}, {v.get('never_observed_share')})")
check("never seen clear" in v.get("explanation", ""), "P-CLOUD says what is missing")
check(v.get("forest_share_start") == "", "P-CLOUD: forest at the start unknown (no baseline), not 0")
v = V.get("P-POINT", {})
check(abs(float(v.get("area_ha", 0)) - np.pi * 40 ** 2 / 1e4) < 0.05, f"P-POINT is a 40 m circle: {v.get('area_ha')} ha")
sheet_pt = open(os.path.join(V1, "sheets", "P-POINT.html"), encoding="utf-8-sig").read()
check(f"<title>{DATES[5]} not covered</title>" in sheet_pt, "the swath date's tick says not covered")
check(sheet_pt.count("<title>") == len(DATES) + 1, "one tick per scene on the timeline")
v = V.get("P-RIVER", {})
riv = (NDVI0[pixels_in(*RIVER)] >= 0.6).mean()
check(abs(float(v.get("forest_share_start", 1)) - riv) < 0.15 and float(v.get("loss_ha", 1)) == 0,
      f"P-RIVER: forest at the start {v.get('forest_share_start')} against NDVI {riv:.2f}; no loss")
check("not forest at the start" in open(os.path.join(V1, "sheets", "P-RIVER.html"), encoding="utf-8-sig").read(),
      "P-RIVER's sheet says it was not forest")
v = V.get("P-OFF", {})
check(v.get("verdict") == "insufficient_observation" and "no tile" in v.get("explanation", ""),
      f"P-OFF: insufficient, on no monitored tile ({v.get('explanation', '')[:80]})")
e6plot = [k for k, r in V.items() if E6_ID in r.get("alert_ids", "")]
check(not e6plot, "the false positive is in no verdict")

# hostile text
raw = open(os.path.join(V1, "verdicts.csv"), encoding="utf-8-sig").read()
check('"\'=HYPERLINK(""http://x"")"' in raw, "a formula-like name is neutralised in verdicts.csv")
sheets = os.listdir(os.path.join(V1, "sheets"))
check(all("/" not in s and not s.startswith(".") and "<" not in s for s in sheets), f"safe sheet names: {sheets}")
for s in sheets:
    if s.endswith(".html"):
        check("<img src=x" not in open(os.path.join(V1, "sheets", s), encoding="utf-8-sig").read(), f"{s}: ids escaped")

# attributes and formats
gj = json.load(open(os.path.join(V1, "verdicts.geojson")))
fe = {f["properties"]["plot_id"]: f for f in gj["features"]}
check(fe.get("P-CLEAN", {}).get("properties", {}).get("owner") == "owner 2" and
      fe["P-CLEAN"]["properties"].get("cocoa_kg") == 102.0, "the users' own attributes are kept, with their types")
xs_ = [c[0] for c in fe["P-CLEAN"]["geometry"]["coordinates"][0]]
check(all(-80 < x < -74 for x in xs_), "GeoJSON coordinates are lon, lat")
info = subprocess.run(["ogrinfo", "-ro", "-so", os.path.join(V1, "verdicts.gpkg"), "verdicts"], capture_output=True,
                      text=True)
check(info.returncode == 0 and f"Feature Count: {len(PLOTS)}" in info.stdout, "ogrinfo opens verdicts.gpkg")
prov = json.load(open(os.path.join(V1, "provenance.json")))
check(prov["period"]["from"] == TRUTH["reference"][0] and prov["software"]["gdal"], "provenance.json: period, GDAL")
check(any(s["product_id"] for t in prov["tiles"] for s in t["scenes"]), "provenance.json lists the scenes")

# byte for byte, and the manifest
def tree(d):
    out = {}
    for root, _, files in os.walk(d):
        for fn in files:
            p = os.path.join(root, fn)
            out[os.path.relpath(p, d)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


t1, t2 = tree(V1), tree(V2)
check(t1 == t2, f"1 and 2 threads give the same bytes: {[k for k in t1 if t1[k] != t2.get(k)]}")
s = subprocess.run(["sha256sum", "-c", "--quiet", "manifest.sha256"], cwd=V1, capture_output=True, text=True)
check(s.returncode == 0, "sha256sum -c accepts the manifest")
man = open(os.path.join(V1, "manifest.sha256")).read()
check("job.ini" in man and "plots.gpkg" in man and "/obs/" in man and "verdicts.csv" in man,
      "the manifest covers the config, the plots, the observation records and the outputs")
check(cw("verify", "--check", V1).returncode == 0, "verify --check: intact")
vp = os.path.join(V1, "verdicts.csv")
orig = open(vp, "rb").read()
open(vp, "wb").write(orig.replace(b"no_loss_observed", b"loss_after_cutoff", 1))
p = cw("verify", "--check", V1)
check(p.returncode == 1 and "changed: verdicts.csv" in p.stdout, "verify --check names a modified output")
open(vp, "wb").write(orig)
obs = sorted(glob.glob(os.path.join(W, "state", "*", "obs", "*.tif")))[-1]
ob = open(obs, "rb").read()
open(obs, "wb").write(ob[:-1] + bytes([ob[-1] ^ 1]))
p = cw("verify", "--check", V1)
check(p.returncode == 1 and os.path.basename(obs) in p.stdout, "verify --check names a modified observation record")
open(obs, "wb").write(ob)

# the cut-off before the baseline: insufficient, with the reason
V3 = os.path.join(TMP, "v3")
shutil.rmtree(V3, ignore_errors=True)
verify(V3, "--lang", "en")
V = verdicts(V3)
v = V.get("P-CLEAN", {})
check(v.get("verdict") == "insufficient_observation" and "baseline" in v.get("explanation", "") and
      v.get("period_start") == "2020-12-31", "from the 2020 cut-off, a 2024 baseline cannot back a no-loss verdict")
check(V.get("P-E4", {}).get("verdict") == "loss_after_cutoff", "loss after the cut-off stays loss")

# loss before the period (a later cut-off) is not loss after it, and is said
V5 = os.path.join(TMP, "v5")
shutil.rmtree(V5, ignore_errors=True)
verify(V5, "--from", DATES[-2], "--lang", "en")
V = verdicts(V5)
v = V.get("P-E4", {})
check(v.get("verdict") != "loss_after_cutoff" and "before the period" in v.get("notes", ""),
      f"P-E4 cleared before a later cut-off: {v.get('verdict')}, noted ({v.get('notes', '')[:60]})")
# the same short period is too short to back "no loss": P-CLEAN, seen on its two
# scenes with no long gap and nothing never seen, is insufficient for its count
v = V.get("P-CLEAN", {})
check(v.get("verdict") == "insufficient_observation" and int(v.get("clear_observations") or 99) <= 2 and
      "clear observations, 6 needed" in v.get("explanation", "") and "gap" not in v.get("explanation", ""),
      f"P-CLEAN over the last two scenes: insufficient, too few clear observations ({v.get('verdict')}: "
      f"{v.get('explanation', '')[:80]})")

# a period that ends before the loss was detected, or before it was
# confirmed: no loss in that period (a candidate is no evidence yet); the
# clearing confirmed before the end stays loss
e4 = verdicts(V1)["P-E4"]
e4_conf = min((r["confirmed_on"] for n in DATES for r in alerts_csv(n)
               if r["alert_id"] == e4["alert_ids"] and r["confirmed_on"]), default="")
check(e4_conf > e4["loss_first_detected"], f"P-E4's alert was confirmed after it was first detected ({e4_conf})")
for name, end in (("detected", e4["loss_first_detected"]), ("confirmed", e4_conf)):
    Vx = os.path.join(TMP, "v-before-" + name)
    shutil.rmtree(Vx, ignore_errors=True)
    end = (datetime.date.fromisoformat(end) - datetime.timedelta(days=1)).isoformat()
    verify(Vx, "--from", TRUTH["reference"][0], "--to", end, "--lang", "en")
    Vb = verdicts(Vx)
    v, v1 = Vb.get("P-E4", {}), Vb.get("P-E1", {})
    check(v.get("verdict") != "loss_after_cutoff" and float(v.get("loss_ha") or 0) == 0.0,
          f"a period ending {end}, the day before P-E4's loss was {name}: no loss in it "
          f"({v.get('verdict')}, {v.get('loss_ha')} ha)")
    if name == "confirmed":
        check(v1.get("verdict") == "loss_after_cutoff", f"P-E1, confirmed before {end}, is loss ({v1.get('verdict')})")

# a period that runs past the last scene: the days from the plot's last clear
# scene to the period's end are a gap too ("period edges included")
V6 = os.path.join(TMP, "v6")
shutil.rmtree(V6, ignore_errors=True)
TO = datetime.date.fromisoformat(DATES[-1]) + datetime.timedelta(days=150)
verify(V6, "--from", TRUTH["reference"][0], "--to", TO.isoformat(), "--lang", "en")
v = verdicts(V6).get("P-CLEAN", {})
# its last clear scene by the SCL, or the one before (the temporal tests may take a date away, above)
want = {(TO - datetime.date.fromisoformat(d)).days for d in CLEAN_DATES[-2:]}
check(v.get("verdict") == "insufficient_observation" and int(v.get("longest_gap_days") or -1) in want and
      "gap" in v.get("explanation", ""),
      f"P-CLEAN to {TO}: insufficient, its longest gap from its last clear scene to the period's end, one of "
      f"{sorted(want)} days (got {v.get('verdict')}, {v.get('longest_gap_days')}: {v.get('explanation', '')[:80]})")

# the sheet in headless Chromium: phone width and an A4 PDF (look at them: TMP/sheet-*.png)
V4 = os.path.join(TMP, "v4")
shutil.rmtree(V4, ignore_errors=True)
p = verify(V4, "--from", TRUTH["reference"][0], "--pdf")
pdf = os.path.join(V4, "sheets", "P-E4.pdf")
es = open(os.path.join(V4, "sheets", "P-CLOUD.html"), encoding="utf-8-sig").read()
check("nunca se vio despejada" in es and "never seen clear" not in es and "sin línea base" in es,
      "a Spanish sheet says what is missing in Spanish")
check(os.path.exists(pdf) and open(pdf, "rb").read(5) == b"%PDF-", "--pdf prints the sheet through Chromium")
for w, name in ((390, "phone"), (900, "desktop")):
    png = os.path.join(TMP, f"sheet-{name}.png")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={w},1600",
                    f"--screenshot={png}", "file://" + os.path.join(V4, "sheets", "P-E4.html")],
                   capture_output=True, timeout=120)
    check(os.path.exists(png) and os.path.getsize(png) > 10000, f"the sheet renders at {w} px")
finish("verify")
