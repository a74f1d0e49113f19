#!/usr/bin/python3
"""Maps and report of the nightly job, against the generated series' truth.

Usage: test_maps.py BUILD SERIES RUNS, where RUNS holds the work folders
test_run.py kept (A: the whole series, D: bad inputs).

- Every PNG decodes with GDAL's PNG driver (libpng), has the size the
  configuration implies and carries its tEXt metadata.
- In the last night's tile overview, the pixels of every true clearing show
  an alert colour (pink-magenta hues for loss, orange or cyan for mining),
  forest away from events shows none, and the area under cloud on every
  date shows the grey hatching of "not observed".
- report.html is loaded offline in headless Chromium (Debian chromium and
  chromedriver through Selenium): no console error, no request leaves the
  disk, every alert of the night appears once with its chip image loaded,
  groups come in order (conserved, chakras, outside), the AOI named
  <script>...</script> is text, not a script; it prints to an A4 PDF.
- The same history rendered with language = en gives an English report.
"""
import base64
import colorsys
import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import cwtest
from cwtest import check, disc_dilate, finish
from osgeo import gdal, ogr

gdal.UseExceptions()
BUILD, SERIES, RUNS = sys.argv[1], sys.argv[2], sys.argv[3]
CW = os.path.join(BUILD, "chakrawatch")
TRUTH = json.load(open(os.path.join(SERIES, "truth", "truth.json")))
EV = gdal.Open(os.path.join(SERIES, "truth", "events.tif")).ReadAsArray()
A = os.path.join(RUNS, "A")
LAST = TRUTH["dates"][-1]
OUT = os.path.join(A, "out", LAST)
OVERVIEW_PX, PANEL = 1000, 330  # [maps] overview_px default; the side panel's width (README)



def png(path):
    """Pixels (H x W x 3) and tEXt metadata, decoded by GDAL's PNG driver."""
    ds = gdal.Open(path)
    check(ds.GetDriver().ShortName == "PNG", f"{path} is a PNG")
    return np.dstack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(3)]), ds.GetMetadata()


def alerts_csv(out):
    with open(os.path.join(out, "alerts.csv"), newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def hue_class(rgb):
    """'loss' (pink-magenta), 'mining' (orange), 'pond' (cyan), 'grey', or ''."""
    r, g, b = (c / 255.0 for c in rgb)
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    if s < 0.08:
        return "grey"
    h *= 360
    if s > 0.3 and (h >= 300 or h < 5):
        return "loss"
    if s > 0.5 and 18 <= h <= 45:
        return "mining"
    if s > 0.5 and 175 <= h <= 200:
        return "pond"
    return ""


def erode(mask, r):
    return ~disc_dilate(~mask, r)


# ------------------------------------------------------------ PNG files
W, H = TRUTH["width"], TRUTH["height"]
f = math.ceil(max(W, H) / OVERVIEW_PX)
f = next((k for k in range(f, f + f // 2 + 1) if math.gcd(W, H) % k == 0), f)  # a whole divisor when near
ov_path = os.path.join(OUT, "maps", f"tile-{TRUTH['tile']}.png")
check(os.path.isfile(ov_path), "tile overview written")
info = json.loads(subprocess.run(["gdalinfo", "-json", ov_path], capture_output=True, text=True).stdout or "{}")
check(info.get("size") == [math.ceil(W / f) + PANEL, max(math.ceil(H / f), 720)],
      f"overview size {info.get('size')} for a {W} x {H} tile")
img, md = png(ov_path)
check(md.get("Tile") == TRUTH["tile"] and md.get("Night") == LAST and md.get("Run", "").startswith(LAST.replace("-", ""))
      and md.get("Software", "").startswith("chakrawatch") and "Copernicus" in md.get("Copyright", ""),
      f"overview tEXt metadata: {md}")
mapimg = img[:, :math.ceil(W / f)]
classes = {e["code"]: e["class"] for e in TRUTH["events"]}
for e in TRUTH["events"]:
    inner = erode(EV == e["code"], 1)
    px = mapimg[inner]
    got = [hue_class(p) for p in px]
    want = ("loss",) if e["class"] == "canopy_loss" else ("mining", "pond")
    share = sum(g in want for g in got) / max(len(got), 1)
    check(len(got) > 0 and share >= 0.95, f"event {e['id']}: {share:.0%} of its pixels in the alert colour")
far = ~disc_dilate(EV > 0, 12)
sample = mapimg[far][::7]
stray = sum(hue_class(p) in ("loss", "mining", "pond") for p in sample)
check(stray <= len(sample) * 0.001, f"no alert colour away from the events ({stray} of {len(sample)} sampled)")
cx, cy, rx, ry = next(d for d in TRUTH["decoys"] if d["id"] == "D5")["ellipse_px"]
yy, xx = np.mgrid[0:H, 0:W]
cloud = erode(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1, 2)
px = mapimg[cloud]
grey = [hue_class(p) == "grey" for p in px]
levels = {int(p[0]) for p in px}
check(sum(grey) / len(grey) >= 0.98 and len(levels) >= 2,
      f"the area under cloud on every date is hatched grey ({sum(grey)}/{len(grey)}, levels {sorted(levels)[:4]})")

rows = alerts_csv(OUT)
check(len(rows) >= len(TRUTH["events"]), f"{len(rows)} alerts on the last night")
for r in rows:
    ids = [p for p in os.listdir(os.path.join(OUT, "maps")) if p.startswith("alert-" + r["alert_id"])]
    check(len(ids) == 1, f"evidence chip of {r['alert_id']}")
    if ids:
        cimg, cmd = png(os.path.join(OUT, "maps", ids[0]))
        check(cmd.get("Alert") == r["alert_id"] and cimg.shape[1] >= 2 * 64, f"chip metadata {cmd}")
# maps are placed by GIS software: world file and CRS beside them (GDAL reads both)
ov = gdal.Open(os.path.join(OUT, "maps", f"tile-{TRUTH['tile']}.png"))
gt = ov.GetGeoTransform() if ov else None
srs = ov.GetSpatialRef() if ov else None
ox, oy = TRUTH["origin"]
check(gt is not None and abs(gt[0] - ox) < TRUTH["res"] * 2 and abs(gt[3] - oy) < TRUTH["res"] * 2 and gt[5] < 0,
      f"the overview's world file puts its corner on the tile's ({gt[:4] if gt else None} against {ox}, {oy})")
check(srs is not None and srs.GetAuthorityCode(None) == str(TRUTH["epsg"]), "the overview's CRS is the tile's")
am = gdal.Open(os.path.join(OUT, "maps", f"aoi-CA-01-{TRUTH['tile']}.png"))
agt = am.GetGeoTransform() if am else (0, 1, 0, 0, 0, -1)
x0, y0 = ox + 150 * TRUTH["res"], oy - 100 * TRUTH["res"]   # CA-01 of the series plan
x1, y1 = ox + 450 * TRUTH["res"], oy - 400 * TRUTH["res"]
rgb = am.ReadAsArray() if am else None
hits = 0
for X, Y in ((x0, y0), (x1, y1), (x0, y1), (x1, y0)):  # the corners land on the drawn yellow outline
    c, r_ = int((X - agt[0]) / agt[1]), int((Y - agt[3]) / agt[5])
    win = rgb[:, max(r_ - 1, 0):r_ + 2, max(c - 1, 0):c + 2].reshape(3, -1).T if rgb is not None else []
    hits += any(tuple(p) == (255, 230, 0) for p in win)
check(hits == 4, f"CA-01's corners, placed by the world file, fall on its drawn outline ({hits} of 4)")
# the background is what the pass saw clear: CA-02, under the cloud of every date, is hatched
# where the job never saw it - cloud, its 100 m buffer and its shadow's 50 m - not only the cloud's core
cx, cy, rx, ry = next(d for d in TRUTH["decoys"] if d["id"] == "D5")["ellipse_px"]
yy, xx = np.mgrid[0:TRUTH["height"], 0:TRUTH["width"]] + 0.0
never = np.zeros(yy.shape, bool)
for dx_, dy_, r_ in ((0, 0, 10), (-50, 36, 5)):
    never |= cwtest.disc_dilate(((xx - cx - dx_) / rx) ** 2 + ((yy - cy - dy_) / ry) ** 2 <= 1, r_)
truth_share = never[80:160, 850:950].mean()  # CA-02 of the series plan
m2 = gdal.Open(os.path.join(OUT, "maps", f"aoi-CA-02-{TRUTH['tile']}.png"))
g2 = m2.GetGeoTransform()
px = m2.ReadAsArray().astype(np.int64)
rgbv = (px[0] << 16) | (px[1] << 8) | px[2]
c0, c1 = int((ox + 850 * TRUTH["res"] - g2[0]) / g2[1]), int((ox + 950 * TRUTH["res"] - g2[0]) / g2[1])
r0, r1 = int((oy - 80 * TRUTH["res"] - g2[3]) / g2[5]), int((oy - 160 * TRUTH["res"] - g2[3]) / g2[5])
inner = rgbv[r0 + 2:r1 - 1, c0 + 2:c1 - 1]
hatched = np.isin(inner, (0x6E6E6E, 0xB4B4B4)).mean()
check(abs(hatched - truth_share) < 0.06, f"CA-02's map hatches {hatched:.2f} of it, the job never saw {truth_share:.2f}")
# the legend's colours are the colours drawn: the middle of the 25 ha clearing in CA-01's map
code = next(e["code"] for e in TRUTH["events"] if e["id"] == "E1")
ys_, xs_ = np.nonzero(gdal.Open(os.path.join(SERIES, "truth", "events.tif")).ReadAsArray() == code)
X, Y = ox + (xs_.mean() + 0.5) * TRUTH["res"], oy - (ys_.mean() + 0.5) * TRUTH["res"]
cpx = rgb[:, int((Y - agt[3]) / agt[5]), int((X - agt[0]) / agt[1])] if rgb is not None else [0, 0, 0]
check((int(cpx[0]) << 16 | int(cpx[1]) << 8 | int(cpx[2])) in (0xF9A8D4, 0xE8318B, 0x9E0059),
      f"an alert is drawn in exactly a legend colour, not blended: #{int(cpx[0]):02x}{int(cpx[1]):02x}{int(cpx[2]):02x}")
aois = {r["aoi_id"] for r in rows if r["aoi_id"]}
for a in aois:
    check(os.path.isfile(os.path.join(OUT, "maps", f"aoi-{a}-{TRUTH['tile']}.png")), f"map of AOI {a}")


# -------------------------------------------------- report in Chromium
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1600",
              "--lang=es"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def load(drv, out):
    drv.get("file://" + os.path.abspath(os.path.join(out, "report.html")))
    drv.execute_script("return document.readyState")
    return drv


try:
    drv = browser()
except Exception as ex:  # noqa: BLE001 - any failure to start the browser is one failed check
    check(False, f"headless Chromium starts: {ex}")
    drv = None

if drv:
    try:
        load(drv, OUT)
        imgs = drv.execute_script(
            "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
        check(imgs and all(c and w > 0 for _, c, w in imgs), f"every image of the report loads: {imgs}")
        res = drv.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
        check(all(u.startswith("file://") for u in res), f"nothing but local files is requested: {res}")
        errs = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
        check(not errs, f"no console error: {errs}")
        dom = drv.execute_script("""return Array.from(document.querySelectorAll('[data-alert-id]')).map(
            d => [d.dataset.alertId, !!d.querySelector('img.chip') && d.querySelector('img.chip').naturalWidth > 0,
                  d.closest('.aoi') ? d.closest('.aoi').dataset.aoi : null])""")
        ids = [d[0] for d in dom]
        check(sorted(ids) == sorted(r["alert_id"] for r in rows) and len(set(ids)) == len(ids),
              f"every alert of the night appears once: {ids}")
        check(all(d[1] for d in dom), "every alert shows its loaded evidence chip")
        kind = {r["alert_id"]: r["aoi_kind"] for r in rows}
        order = [{"conserved": 0, "chakra": 1}.get(kind.get(i), 2) for i in ids]
        check(order == sorted(order), f"alerts grouped conserved, chakras, outside: {order}")
        check(all(d[2] == next(r["aoi_id"] for r in rows if r["alert_id"] == d[0]) for d in dom),
              "each alert sits under its own area")
        nscripts = drv.execute_script("return document.querySelectorAll('script').length")
        text = drv.execute_script("return document.body.innerText")
        check(nscripts == 0 and "<script>alert(1)</script>" in text, "the AOI named <script> is inert text")
        check('=HYPERLINK("http://x")' in text and drv.execute_script(
            "return document.querySelectorAll('a[href^=\"http://x\"]').length") == 0, "the formula name is plain text")
        ev_rows = drv.execute_script("return Array.from(document.querySelectorAll('#evidence tr[data-aoi]'))"
                                     ".map(r => r.dataset.aoi)")
        check(sorted(ev_rows) == ["CA-01", "CA-02", "CH-001", "CH-002", "CH-004"],
              f"evidence of observation for every area: {ev_rows}")
        check(drv.execute_script("return document.documentElement.lang") == "es" and "Resumen" in text,
              "the report is in Spanish by default")
        drv.save_screenshot(os.path.join(RUNS, "report-first-screen.png"))
        check("(s)" not in text and "1 escena procesada en 1 tesela" in text,
              "plurals agree with their counts (no 'escena(s)')")
        years = sorted({d[:4] for d in TRUTH["dates"]})
        check(f"Copernicus Sentinel {years[-1]}" in text.split("\n")[-1] or
              f"Copernicus Sentinel {years[-1]}" in text, "the attribution says the year of the imagery")
        # a phone: no sideways scroll at 390 px (the wide tables scroll inside themselves)
        drv.set_window_size(390, 900)
        load(drv, OUT)
        sw = drv.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        check(sw[0] <= sw[1], f"no sideways scroll at 390 px: page {sw[0]} px wide in {sw[1]} px")
        drv.save_screenshot(os.path.join(RUNS, "report-phone.png"))
        drv.set_window_size(1200, 1600)
        from selenium.webdriver.common.print_page_options import PrintOptions
        po = PrintOptions()
        po.page_width, po.page_height = 21.0, 29.7
        pdf = base64.b64decode(drv.print_page(po))
        check(pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2, "prints to a multi-page A4 PDF")

        # first what stands: the overview and every active alert of the tile, before tonight's details
        load(drv, OUT)
        order = drv.execute_script("return Array.from(document.querySelectorAll('section')).map(s => s.id)")
        check(order.index("tiles") < order.index("alerts") and order.index("active") < order.index("alerts"),
              f"the overview and the active alerts come first: {order}")
        act = sorted(drv.execute_script("return Array.from(document.querySelectorAll('#active tr[data-active-id]'))"
                                        ".map(r => r.dataset.activeId)"))
        hds3 = ogr.Open(os.path.join(A, "state", "history.gpkg"))
        want_act = sorted(f.GetField("alert_id") for f in hds3.GetLayerByName("alerts")
                          if f.GetField("published") == 1 and f.GetField("status") in ("candidate", "confirmed"))
        check(act == want_act and act, f"every active alert is in the table: {act} against {want_act}")

        # a report over any period: every alert with an event on its nights (from the history's
        # alert_events, read here with OGR), a chart of confirmed hectares by month
        n0, n1 = TRUTH["dates"][3], TRUTH["dates"][4]
        PR = os.path.join(RUNS, "period")
        p = subprocess.run([CW, "report", os.path.join(A, "job.ini"), "--from", n0, f"--to={n1}", "--out", PR],
                           capture_output=True, text=True)
        check(p.returncode in (0, 1) and os.path.exists(os.path.join(PR, "report.html")), f"report --from --to: {p.stderr[-200:]}")
        hds2 = ogr.Open(os.path.join(A, "state", "history.gpkg"))
        ev = {f.GetField("alert_id") for f in hds2.GetLayerByName("alert_events")
              if n0 <= f.GetField("night").replace("/", "-") <= n1}
        pub = {f.GetField("alert_id"): f for f in hds2.GetLayerByName("alerts") if f.GetField("published") == 1}
        want = sorted(i for i in ev if i in pub)
        drv.get("file://" + os.path.join(PR, "report.html"))
        got = sorted(drv.execute_script("return Array.from(document.querySelectorAll('[data-alert-id]'))"
                                        ".map(d => d.dataset.alertId)"))
        check(got == want and want, f"the period's report lists the alerts with events in it: {got} against {want}")
        bars = drv.execute_script("return Array.from(document.querySelectorAll('svg rect title'))"
                                  ".map(t => parseFloat(t.textContent))")
        conf = sum(pub[i].GetField("area_ha") for i in want if pub[i].GetField("status") == "confirmed")
        check(abs(sum(bars) - conf) < 0.02 * len(bars) + 0.01, f"the chart's bars add up to the confirmed hectares: "
                                                                f"{sum(bars):.2f} against {conf:.2f}")
        ptext = drv.execute_script("return document.body.innerText")
        check(f"Período del {n0} al {n1}" in ptext and "en el período" in ptext, "the period is named, not a night")

        # a night with failures: the report names them
        D = os.path.join(RUNS, "D")
        late = sorted(os.listdir(os.path.join(SERIES, "inbox")))[2]
        dnight = f"{late.split('_')[2][:4]}-{late.split('_')[2][4:6]}-{late.split('_')[2][6:8]}"
        load(drv, os.path.join(D, "out", dnight))
        failed_text = drv.execute_script("return document.getElementById('failed').innerText")
        check(late in failed_text and "T18MTD_20240329T171500" in failed_text and "B04" in failed_text,
              f"'what failed' names the late scene and the corrupt one: {failed_text[:300]}")
        check("Escena no procesada" in failed_text or "Área de interés omitida" in failed_text,
              f"'what failed' says in the report's language what each problem is about: {failed_text[:300]}")
        check("no es posterior a la última escena" in failed_text and "omitida" in failed_text and
              not any(w in failed_text for w in ("skipped", "not newer", " feature ", "invalid polygon")),
              f"our own words of the problems are Spanish in a Spanish report: {failed_text[:400]}")

        # the same history in English
        E = os.path.join(RUNS, "A-en")
        cfg = open(os.path.join(A, "job.ini")).read().replace("output = out", "output = out-en")
        cfg = cfg.replace("[job]\n", "[job]\nlanguage = en\n")
        open(os.path.join(A, "job-en.ini"), "w").write(cfg)
        p = subprocess.run([CW, "run", os.path.join(A, "job-en.ini"), "--night", LAST], capture_output=True, text=True)
        check(p.returncode in (0, 1), f"English rerun: {p.stderr[-300:]}")
        load(drv, os.path.join(A, "out-en", LAST))
        text = drv.execute_script("return document.body.innerText")
        check(drv.execute_script("return document.documentElement.lang") == "en" and "Summary" in text
              and "Resumen" not in text and "Forest loss" in text, "language = en gives an English report")
        _, emd = png(os.path.join(A, "out-en", LAST, "maps", f"aoi-CA-01-{TRUTH['tile']}.png"))
        check("alerts inside and around" in emd.get("Title", ""), f"English map text: {emd.get('Title')}")
    finally:
        drv.quit()

finish("maps")
