#!/usr/bin/python3
"""alerts.xlsx as a secretariat opens it: headless LibreOffice under es-ES
(decimal comma) and es-EC (decimal point) reads numbers as numbers, dates as
dates and ids as text, with the Spanish header, frozen, with filters; every
row equals alerts.csv.

  test_spreadsheet.py BUILD_DIR SERIES_DIR RUNS_DIR   (RUNS_DIR: test_run.py's)
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

from cwtest import check, finish

BUILD, SERIES, RUNS = sys.argv[1], sys.argv[2], sys.argv[3]
TRUTH = json.load(open(os.path.join(SERIES, "truth", "truth.json")))
OUT = os.path.join(RUNS, "A", "out", TRUTH["dates"][-1])
xlsx = os.path.join(OUT, "alerts.xlsx")
check(os.path.isfile(xlsx), "alerts.xlsx beside alerts.csv")
rows = list(csv.DictReader(open(os.path.join(OUT, "alerts.csv"), encoding="utf-8-sig")))

with zipfile.ZipFile(xlsx) as z:
    sheet = z.read("xl/worksheets/sheet1.xml").decode()
check('state="frozen"' in sheet and 'ySplit="1"' in sheet, "the header row is frozen")
check("<autoFilter" in sheet, "the header has filters")

# the Spanish sheet's words for alerts.csv's codes (the report's words; the CSV keeps the codes)
WORD_COLS = ("class", "confidence_label", "status", "aoi_kind", "relation")
WORDS = (("clase", {"canopy_loss": "Pérdida de bosque", "mining_scar": "Minería"}),
         ("nivel_confianza", {"low": "baja", "high": "alta", "highest": "máxima"}),
         ("estado", {"candidate": "candidata", "confirmed": "confirmada", "rejected": "descartada",
                     "reverted": "revertida"}),
         ("tipo_area", {"conserved": "conservación", "chakra": "chakra", "none": "ninguna"}),
         ("relacion", {"inside": "dentro", "ring_0_500": "a menos de 500 m", "ring_500_1000": "a 500 m – 1 km",
                       "ring_1000_2000": "a 1 – 2 km", "outside": "fuera de toda área registrada"}))
soffice = shutil.which("soffice")
check(soffice is not None, "LibreOffice (soffice) is installed (scripts/install-deps.sh)")
for loc, dec in (("es_ES", ","), ("es_EC", None)):
    d = os.path.join(RUNS, "lo-" + loc)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    env = {**os.environ, "LC_ALL": loc + ".UTF-8", "LANG": loc + ".UTF-8", "HOME": d}
    # separator ;, quote ", UTF-8, first line 1, formatted as shown
    p = subprocess.run([soffice or "soffice", "--headless", "--norestore", "--convert-to",
                        'csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true', "--outdir", d, xlsx],
                       capture_output=True, text=True, env=env, timeout=180) if soffice else None
    path = os.path.join(d, "alerts.csv")
    got = list(csv.DictReader(open(path, encoding="utf-8"), delimiter=";")) if os.path.exists(path) else []
    check(p is not None and len(got) == len(rows), f"{loc}: LibreOffice reads every alert ({len(got)} of {len(rows)})")
    check(got and "superficie_ha" in got[0] and "primera_deteccion" in got[0], f"{loc}: the Spanish header")
    for a, b in zip(rows, got):
        area = b.get("superficie_ha", "")
        if dec is None:  # the locale's own decimal separator: both read the cell as a number
            dec = "," if "," in area else "."
        check(area.replace(dec, ".") == a["area_ha"] and (dec == "." or "." not in area),
              f"{loc}: area {area!r} is a number shown with the locale's decimal separator ({a['area_ha']})")
        check(b.get("alerta") == a["alert_id"] and b.get("area_id") == a["aoi_id"], f"{loc}: ids kept as text")
        check(b.get("primera_deteccion") == a["first_detected"] and re.fullmatch(r"\d{4}-\d\d-\d\d",
                                                                                  b.get("primera_deteccion", "")),
              f"{loc}: dates as dates ({b.get('primera_deteccion')})")
        got_words = tuple(b.get(es) for es, _ in WORDS)
        want_words = tuple(WORDS[i][1].get(a[en], "?" + a[en]) for i, en in enumerate(WORD_COLS))
        check(got_words == want_words, f"{loc}: class, confidence, status, area kind and relation in Spanish "
              f"{got_words} (alerts.csv: {tuple(a[en] for en in WORD_COLS)})")
# alerts.csv in LibreOffice under es-ES, imported as a secretariat does in the dialog (UTF-8, comma,
# quoted fields as text, English number format): every cell as Python's csv module reads it
src = os.path.join(RUNS, "lo-csv")
shutil.rmtree(src, ignore_errors=True)
os.makedirs(src)
shutil.copy(os.path.join(OUT, "alerts.csv"), os.path.join(src, "in.csv"))
env = {**os.environ, "LC_ALL": "es_ES.UTF-8", "LANG": "es_ES.UTF-8", "HOME": src}
p = subprocess.run([soffice or "soffice", "--headless", "--norestore", "--infilter=CSV:44,34,76,1,,1033,true,true",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false",
                    "--outdir", os.path.join(src, "out"), os.path.join(src, "in.csv")],
                   capture_output=True, text=True, env=env, timeout=180) if soffice else None
outp = os.path.join(src, "out", "in.csv")
back = list(csv.reader(open(outp, encoding="utf-8"), delimiter=";")) if os.path.exists(outp) else []
mine = list(csv.reader(open(os.path.join(OUT, "alerts.csv"), encoding="utf-8-sig")))
check(back and back[0] == mine[0], f"es-ES: LibreOffice reads alerts.csv's header (the BOM is not a character): {back[:1]}")
same = sum(1 for a, b in zip(mine[1:], back[1:]) if a[0] == b[0] and a[15] == b[15] and a[23] == b[23])
check(len(back) == len(mine) and same == len(mine) - 1,
      f"es-ES: every alert's ids and reason come back as written ({same} of {len(mine) - 1})")
finish("spreadsheet")
