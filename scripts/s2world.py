"""s2world - randomised Sentinel-2 series with the world's nuisances, for
the accuracy harness (`s2synth.py accuracy OUT --seed S --dates N`).

Unlike `s2synth.py series` (a fixed scene the integration tests know by
heart), every seed draws a new landscape and new events, and each date
carries what real L2A has and the SCL misses:

  - irregular clearings (unions of random discs) of 0.3-8 ha, one of them a
    chakra clearing that stays open, one beside a haze patch on its first
    date; a mining pit with ponds beside the river that grows;
  - unflagged haze patches (additive, strongest in blue, fading towards the
    SWIR) and unflagged shadow fringes (a common darkening plus diffuse
    skylight) in a ring beyond each SCL shadow;
  - one monitoring date shifted by one pixel (misregistration);
  - bank erosion (forest becomes channel) and new sand bars on forested
    banks beside the channel;
  - a stream 4 px wide into the river, a clearing on its bank and, on
    another stretch, its bank scoured bare 2 px beyond its sand; a clearing
    on the river's own bank;
  - a chakra harvest that regrows on the next date; a persistent cloud;
  - with --season G, a dry season: vegetation mixes with up to G of bare
    soil's reflectance in an annual cycle (G = 0.3 lowers forest NDVI by
    about 0.2 at the trough; 0, Napo-like, by default); long series then run
    every 18 days and take their first year as the reference.

Truth: truth/events.tif (event code per pixel at its final extent),
truth/decoys.tif (what each non-event pixel suffered: 1 haze, 2 shadow
fringe, 3 river bank/bar, 4 harvest, 5 cloud), truth/truth.json (dates,
reference period, each event's class, first date on which 0.1 ha of it
was seen clear (first_seen), the dates on which most of it was clear, area).
Scene pixels follow s2synth's reflectance table, DN with the -1000 offset.
"""
import json
import os
import shutil

import numpy as np
from osgeo import gdal, ogr, osr

import s2synth as S

FOREST, AGRO, PASTURE, WATER, SAND, BARE, CLOUD, NODATA = range(8)
DECOY_HAZE, DECOY_FRINGE, DECOY_RIVER, DECOY_HARVEST, DECOY_CLOUD = 1, 2, 3, 4, 5
# haze: additive reflectance per band (B02 B03 B04 B08 B8A B11 B12) at unit strength
HAZE = np.array([0.120, 0.095, 0.080, 0.055, 0.050, 0.030, 0.015])
# diffuse skylight left in a shadow fringe (bluish), added to the darkened signal
SKY = np.array([0.012, 0.010, 0.012, 0.010, 0.010, 0.004, 0.002])


def blob(rng, yy, xx, cy, cx, r, parts=5):
    """An irregular shape: the union of discs scattered around (cy, cx)."""
    m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    for _ in range(parts):
        a, d = rng.uniform(0, 2 * np.pi), rng.uniform(0.3, 1.0) * r
        rr = r * rng.uniform(0.35, 0.8)
        m |= (yy - cy - d * np.sin(a)) ** 2 + (xx - cx - d * np.cos(a)) ** 2 <= rr * rr
    return m


def soft_blob(rng, yy, xx, cy, cx, r):
    """A haze patch: strength 1 in the core fading to 0 over its edge."""
    d = np.sqrt(((yy - cy) / r) ** 2 + ((xx - cx) / (r * rng.uniform(0.6, 1.4))) ** 2)
    return np.clip(1.6 - 1.2 * d, 0, 1) * (d < 1.33)


def dilate(m, r):
    out = m.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy <= r * r:
                out |= np.roll(np.roll(m, dy, 0), dx, 1)
    return out


class World:
    def __init__(self, seed, ndates, W, H, season=0.0):
        self.rng = rng = np.random.default_rng(1000 + seed)
        self.W, self.H, self.n, self.season = W, H, ndates, season
        self.yy, self.xx = np.mgrid[0:H, 0:W].astype(np.float64)
        yy, xx = self.yy, self.xx
        step = 18 if ndates > 12 else 12
        self.dates = [str(np.datetime64("2024-01-05") + np.timedelta64(int(step * k + rng.integers(0, 4)), "D"))
                      for k in range(ndates)]
        if ndates > 12:  # a year of reference: the seasons are in it
            end = np.datetime64("2024-01-05") + np.timedelta64(365, "D")
            self.m0 = int(sum(np.datetime64(d) <= end for d in self.dates))
        else:
            self.m0 = 3
        self.ref = ["2024-01-01", str(np.datetime64(self.dates[self.m0 - 1]) + np.timedelta64(1, "D"))]
        # river: meandering channel with sand margins
        self.rx0, self.amp, self.per = W * rng.uniform(0.55, 0.65), W * rng.uniform(0.03, 0.07), H * rng.uniform(0.8, 1.4)
        self.half = rng.uniform(4.0, 6.0)
        self.cx = self.rx0 + self.amp * np.sin(2 * np.pi * yy / self.per)
        self.off = xx - self.cx  # signed distance from the centre line, pixels
        base = np.full((H, W), FOREST, np.uint8)
        for _ in range(4):  # pastures far from the events' area
            fx, fy = rng.integers(0, W // 3), rng.integers(0, H - 80)
            base[fy:fy + rng.integers(30, 70), fx:fx + rng.integers(30, 70)] = PASTURE
        d = np.abs(self.off)
        base[(d >= self.half) & (d < self.half + 2)] = SAND
        base[d < self.half] = WATER
        self.base = base
        # chakras: 4 agroforestry plots on the west side
        self.chakras = []
        for k in range(4):
            x0, y0 = int(W * 0.08 + k * W * 0.1), int(H * 0.72 + rng.integers(-20, 20))
            w, h = int(rng.integers(14, 22)), int(rng.integers(14, 22))
            self.chakras.append((f"CH-{k + 1:03d}", x0, y0, x0 + w, y0 + h))
            base[y0:y0 + h, x0:x0 + w] = AGRO
        self.creek_std(seed)
        self.conserved = ("CA-01", int(W * 0.05), int(H * 0.05), int(W * 0.45), int(H * 0.6))
        self.reserved = np.zeros((H, W), bool)  # where a subclass's own events lie
        self.plan_events()
        self.plan_decoys()

    def creek_std(self, seed):
        """A stream 4 px wide with sand banks from the west edge into the
        river, between the conserved forest and the chakras: Napo's
        families clear beside streams.  Drawn with its own generator, so the
        rest of the world is drawn as before."""
        self.xrng = xr = np.random.default_rng(5000 + seed)
        W, H, yy, xx = self.W, self.H, self.yy, self.xx
        cy = H * 0.64 + xr.uniform(3, 6) * np.sin(2 * np.pi * xx / (W * xr.uniform(0.4, 0.9)) + xr.uniform(0, 6.3))
        self.kacross = np.where(xx < self.cx, np.abs(yy - cy), 1e9)  # pixels across from the stream's centre
        self.kside = np.sign(yy - cy)
        self.base[(self.kacross >= 2) & (self.kacross < 3) & (self.base == FOREST)] = SAND
        self.base[self.kacross < 2] = WATER

    def first_monitor(self):
        return self.m0

    def dryness(self, di):
        """Share of bare soil mixed into vegetation on date di (0 without seasons)."""
        doy = (np.datetime64(self.dates[di]) - np.datetime64(self.dates[di][:4] + "-01-01")).astype(int)
        return self.season * 0.5 * (1 - np.cos(2 * np.pi * (doy - 30) / 365.25))

    def plan_events(self):
        rng, W, H, yy, xx = self.rng, self.W, self.H, self.yy, self.xx
        n, m0 = self.n, self.first_monitor()
        land = (np.abs(self.off) >= self.half + 8) & (self.base == FOREST)
        creekland = land.copy()
        land &= self.kacross >= 10  # the stream's clearing is drawn below
        self.events = []
        taken = self.reserved.copy()

        def place(r, region):
            for _ in range(200):
                cy, cx = rng.uniform(r + 5, H - r - 5), rng.uniform(r + 5, W - r - 5)
                m = blob(rng, yy, xx, cy, cx, r) & land
                if region(cy, cx) and not (dilate(m, 6) & taken).any() and m.sum() > 25:
                    return m, (cy, cx)
            return None, None
        west = lambda cy, cx: cx < self.rx0 - self.amp - 40
        for k in range(4):
            r = rng.uniform(4, 14)
            m, c = place(r, west if k < 2 else (lambda cy, cx: cx > self.rx0 + self.amp + 40))
            if m is None:
                continue
            taken |= m
            start = int(rng.integers(m0, n))
            self.events.append({"id": f"L{k + 1}", "class": "canopy_loss", "mask": m, "start": start,
                                "center": c})
        # a clearing beside a haze patch on its first date
        m, c = place(12.0, west)
        if m is not None:
            taken |= m
            self.events.append({"id": "LH", "class": "canopy_loss", "mask": m, "start": m0, "center": c,
                                "haze_beside": True})
        # a chakra clearing that stays open
        cid, x0, y0, x1, y1 = self.chakras[0]
        m = (xx >= x0 + 2) & (xx < x0 + 12) & (yy >= y0 + 2) & (yy < y0 + 11)
        taken |= m
        self.events.append({"id": "LC", "class": "canopy_loss", "mask": m, "start": int(rng.integers(m0, n)),
                            "center": (y0 + 6, x0 + 7), "in_chakra": cid})
        # a mining pit beside the river: 5..35 px from the bank, growing, ponds inside
        y0 = rng.uniform(0.25, 0.45) * H
        side = 1 if rng.uniform() < 0.5 else -1
        so = side * self.off
        pit0 = (so >= self.half + 5) & (so < self.half + 30) & (yy >= y0) & (yy < y0 + 25)
        pit1 = (so >= self.half + 5) & (so < self.half + 30) & (yy >= y0 + 25) & (yy < y0 + 45)
        self.pit = (pit0, pit1, so, y0)
        taken |= pit0 | pit1
        grown = pit0 | pit1 if self.n > m0 + 2 else pit0  # the final extent within the series
        self.events.append({"id": "M1", "class": "mining_scar", "mask": grown, "start": m0,
                            "center": (y0 + 22, 0)})
        self.plan_bank_clearings(taken, creekland, y0)
        self.taken = taken

    def plan_bank_clearings(self, taken, creekland, pit_y):
        """Clearings from a bank inwards (taken grows with them): LK on the
        stream's, LR on the river's, on a stretch apart from the pit, the
        erosion and the bar."""
        xr, yy, xx, H, n, m0 = self.xrng, self.yy, self.xx, self.H, self.n, self.first_monitor()
        farm = dilate(self.base == AGRO, 6) | dilate(taken, 6)
        for _ in range(200):
            r, side = xr.uniform(6, 11), xr.choice([-1, 1])
            cx = xr.uniform(r + 5, self.rx0 - self.amp - 40)
            cy = H * 0.64 + side * (3 + 0.8 * r)
            m = blob(xr, yy, xx, cy, cx, r) & creekland & (self.kside == side)
            if not (m & farm).any() and m.sum() > 40 and (m & (self.kacross < 4)).any():
                taken |= m
                self.events.append({"id": "LK", "class": "canopy_loss", "mask": m, "start": int(xr.integers(m0, n)),
                                    "center": (cy, cx)})
                break
        ys, bys = self.decoy_rows(pit_y)
        busy = [(pit_y - 15, pit_y + 60), (ys - 15, ys + 85), (bys - 15, bys + 75)]
        for _ in range(200):
            r, side = xr.uniform(6, 11), xr.choice([-1, 1])
            cy = xr.uniform(r + 20, H - r - 20)
            if any(a - r <= cy <= b + r for a, b in busy):
                continue
            cx = self.rx0 + self.amp * np.sin(2 * np.pi * cy / self.per) + side * (self.half + 2 + 0.8 * r)
            so = side * self.off
            m = blob(xr, yy, xx, cy, cx, r) & (so >= self.half + 2) & (self.base == FOREST)
            if not (m & dilate(taken, 6)).any() and m.sum() > 40 and (m & (so < self.half + 4)).any():
                taken |= m
                self.events.append({"id": "LR", "class": "canopy_loss", "mask": m, "start": int(xr.integers(m0, n)),
                                    "center": (cy, cx)})
                break

    def decoy_rows(self, pit_y):
        """First rows of the stretches of bank erosion and of the new bar, away from the pit."""
        ys = (pit_y + 120) % (self.H - 80) + 20
        return ys, (ys + 90) % (self.H - 80) + 20

    def plan_decoys(self):
        rng, W, H, yy, xx, n = self.rng, self.W, self.H, self.yy, self.xx, self.n
        m0 = self.first_monitor()
        self.shift_date = int(rng.integers(m0 + 1, n)) if n > m0 + 1 else None
        # river dynamics on one stretch away from the pit: erosion on one bank, a bar on the other
        pit_y = self.pit[3]
        ys, bys = self.decoy_rows(pit_y)
        side = 1 if rng.uniform() < 0.5 else -1
        so = side * self.off
        stretch = (yy >= ys) & (yy < ys + rng.integers(40, 70))
        self.erosion = [((so >= self.half) & (so < self.half + 2 + 2 * k) & stretch) for k in range(n)]
        self.erosion_start = int(rng.integers(m0, n))
        bstretch = (yy >= bys) & (yy < bys + rng.integers(30, 60))
        self.bar = ((-so) >= self.half) & ((-so) < self.half + rng.integers(4, 9)) & bstretch
        self.bar_start = int(rng.integers(m0, n))
        # the stream's bank scoured bare on a stretch away from its clearing: 2 px beyond its sand
        xr, lk = self.xrng, [e for e in self.events if e["id"] == "LK"]
        kx = lk[0]["center"][1] if lk else -1e9
        for _ in range(100):
            bx = xr.uniform(10, self.rx0 - self.amp - 60)
            if abs(bx - kx) > 45:
                break
        side = xr.choice([-1, 1])
        self.kbar = ((self.kacross >= 3) & (self.kacross < 5) & (self.kside == side) & (xx >= bx) &
                     (xx < bx + xr.integers(25, 45)) & (self.base == FOREST) & ~self.taken)
        self.kbar_start = int(xr.integers(m0, n))
        # harvest that regrows: chakra 2 thinned on one date
        self.harvest_date = int(rng.integers(m0, n))
        # clouds per date with shadows; haze patches per date
        self.clouds, self.hazes = [], []
        for di in range(n):
            cl = []
            for _ in range(int(rng.integers(0, 3))):
                cl.append((rng.uniform(0, H), rng.uniform(0, W), rng.uniform(12, 30)))
            self.clouds.append(cl)
            hz = []
            for _ in range(int(rng.integers(1, 4))):
                hz.append((rng.uniform(0, H), rng.uniform(0, W), rng.uniform(15, 45), rng.uniform(0.35, 1.0)))
            self.hazes.append(hz)
        lh = [e for e in self.events if e.get("haze_beside")]
        if lh:
            e = lh[0]
            cy, cx = e["center"]
            self.hazes[e["start"]].append((cy, cx + 40, 22.0, 0.8))
        self.persistent = (H * 0.1, W * 0.85, 14.0)

    def cover(self, di):
        """Land cover, SCL-flagged cloud and shadow, haze strength, fringe factor and the decoy map of date di."""
        rng, yy, xx = self.rng, self.yy, self.xx
        cls = self.base.copy()
        decoy = np.zeros(cls.shape, np.uint8)
        for e in self.events:
            if di < e["start"] or "steps" in e:  # steps: a pit of AmwWorld, drawn there
                continue
            if e["class"] == "mining_scar":
                pit0, pit1, so, y0 = self.pit
                cls[pit0] = SAND
                cls[pit0 & (so >= self.half + 12) & (so < self.half + 20) & (yy >= y0 + 5) & (yy < y0 + 12)] = WATER
                if di >= e["start"] + 2:
                    cls[pit1] = SAND
                    cls[pit1 & (so >= self.half + 14) & (so < self.half + 24) & (yy >= y0 + 30) & (yy < y0 + 38)] = WATER
            else:
                cls[e["mask"]] = BARE
        if di >= self.erosion_start:
            er = self.erosion[min(di - self.erosion_start, len(self.erosion) - 1)]
            cls[er] = WATER
            decoy[er] = DECOY_RIVER
        if di >= self.bar_start:
            cls[self.bar] = SAND
            decoy[self.bar] = DECOY_RIVER
        if di >= self.kbar_start:
            cls[self.kbar] = SAND
            decoy[self.kbar] = DECOY_RIVER
        thinned = np.zeros(cls.shape, bool)
        if di == self.harvest_date:
            cid, x0, y0, x1, y1 = self.chakras[1]
            thinned = (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)
            decoy[thinned] = DECOY_HARVEST
        cloud = np.zeros(cls.shape, bool)
        shadow = np.zeros(cls.shape, bool)
        for cy, cx, r in self.clouds[di] + [self.persistent]:
            c = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            cloud |= c
            shadow |= (yy - cy - 0.8 * r - 8) ** 2 + (xx - cx + 1.2 * r + 8) ** 2 <= r * r
        shadow &= ~cloud
        # the fringe: a ring beyond the shadow that SCL misses, darkening fading outwards
        fringe = np.ones(cls.shape)
        if shadow.any():
            ring1, ring2 = dilate(shadow, 5) & ~shadow, dilate(shadow, 10) & ~dilate(shadow, 5)
            fringe[ring1] = 0.55
            fringe[ring2] = 0.70
            fringe[cloud] = 1.0
            decoy[(fringe < 1) & (decoy == 0)] = DECOY_FRINGE
        haze = np.zeros(cls.shape)
        for cy, cx, r, s in self.hazes[di]:
            haze = np.maximum(haze, s * soft_blob(rng, yy, xx, cy, cx, r))
        decoy[(haze > 0.05) & (decoy == 0)] = DECOY_HAZE
        decoy[cloud | shadow] = DECOY_CLOUD
        return cls, cloud, shadow, haze, fringe, thinned, decoy

    def write_date(self, out, di, seed):
        cls, cloud, shadow, haze, fringe, thinned, decoy = self.cover(di)
        rng = np.random.default_rng(seed)
        scls = cls.copy()
        scls[cloud] = CLOUD
        shift = di == self.shift_date
        os.makedirs(out, exist_ok=True)
        meta = {"TILE_ID": "18MTD", "ACQUISITION_DATE": self.dates[di], "PROCESSING_BASELINE": "05.10",
                "BOA_ADD_OFFSET": "-1000", "BOA_QUANTIFICATION_VALUE": "10000"}
        veg = (scls == FOREST) | (scls == AGRO) | (scls == PASTURE)
        g = self.dryness(di)
        for i, b in enumerate(S.BANDS):
            r = S.reflectance(scls, shadow, i, rng)
            if g > 0:  # the dry season: leaves thin, the ground shows
                r = np.where(veg, (1 - g) * r + g * S.REFL[BARE, i], r)
            r = np.where(thinned, 0.7 * r + 0.3 * S.REFL[BARE, i], r)
            r = np.where(fringe < 1, fringe * r + SKY[i], r)
            r = r + haze * HAZE[i]
            if shift:
                r = np.roll(r, 1, axis=1)
            if S.RES[b] == 20:
                dn = S.to_dn(S.coarsen_mean(r, 2), S.coarsen_pick(scls, 2), -1000.0)
            else:
                dn = S.to_dn(r, scls, -1000.0)
            S.write_gtiff(os.path.join(out, b + ".tif"), dn, S.RES[b], block=256, meta=meta)
        scl = S.scl20(np.roll(scls, 1, axis=1) if shift else scls, np.roll(shadow, 1, axis=1) if shift else shadow)
        S.write_gtiff(os.path.join(out, "SCL.tif"), scl, 20, block=256, dtype=gdal.GDT_Byte, meta=meta)
        clear = ~cloud & ~shadow & (haze < 0.05) & (fringe == 1)
        return clear, decoy


# Amazon Mining Watch sites: windows of the real grid (UTM 18S, 10 m; upper-left
# corner, width, height in pixels) where AMW mapped new mining in 2024-2025
# inside or beside indigenous territories that share borders.
AMW_SITES = {
    # Arajuno, Puca Hurco, Pucachicta, Tuyano Alto Tuyano, Puni Arajuno: 4 pits
    # of 2024 and 3 of 2025, one across two territories
    "arajuno": (200000.0, 9890000.0, 1000, 1400),
    # Coca Sardinas and Comuna Guayusa: 12 pits of 2024 (one of 537 ha) beside
    # the mining of 2023
    "coca": (247000.0, 9985000.0, 1700, 1200),
}
AMW_TERRITORIES = "napo_indigenous_territories_mining_impacts.geojson"


def amw_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("CW_AMW_DATA") or os.path.join(here, "..", "..", "shared", "data", "amw")


class AmwWorld(World):
    """A World on a real window of Napo: the mining Amazon Mining Watch
    mapped there (its polygons, of coarse cells, and the hectares mined in
    each) drawn as pits of that area inside each polygon, on a stream through
    it, grown from the stream's bank, with ponds; up to 2023 already open in
    the reference, 2024 and 2025 new
    during the series (pits of >= 10 ha in two steps); the real territories
    as the conserved areas.  The world's own clearings, pit, river, haze,
    fringes, clouds and shifted date stay."""

    def __init__(self, seed, ndates, site, season=0.0, data=None):
        self.site, self.data = site, data or amw_dir()
        self.x0, self.y0, W, H = AMW_SITES[site]
        self.amw_rng = np.random.default_rng(7000 + seed)
        super().__init__(seed, ndates, W, H, season)
        self.conserved = None

    def polygons(self):
        """(name, year, mined ha in the window, polygon mask) of every AMW polygon on the window."""
        ll, utm = osr.SpatialReference(), osr.SpatialReference()
        ll.ImportFromEPSG(4326)
        ll.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        utm.ImportFromEPSG(S.EPSG)
        ct = osr.CoordinateTransformation(ll, utm)
        out = []
        for f in sorted(os.listdir(self.data)):
            if not (f.startswith("napo_mining_") and f.endswith(".geojson")):
                continue
            ds = ogr.Open(os.path.join(self.data, f))
            lyr = ds.GetLayer(0)
            for ft in lyr:
                g = ft.GetGeometryRef().Clone()
                g.Transform(ct)
                m = S.rasterize(g, utm, (self.x0, 10.0, 0, self.y0, 0, -10.0), self.W, self.H)
                if m.sum() == 0:
                    continue
                share = m.sum() * 100.0 / g.GetArea()  # of the polygon on the window
                ha = float(ft.GetField("Mined area (ha)") or 0) * min(1.0, share)
                out.append((f"{f[12:16]}-{ft.GetFID()}", int(f[12:16]), ha, m))
        return out

    def grow(self, region, npx):
        """npx pixels of region grown from a core on the stream's bank, in
        the order taken: alluvial pits follow the river, so the farther a
        pixel lies from the stream the less often the pit takes it."""
        rng, across = self.amw_rng, self.across
        ys, xs = np.nonzero(region)
        if len(ys) == 0:
            return []
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        reg, acr = region[y0:y1, x0:x1], across[y0:y1, x0:x1]
        cur = np.zeros(reg.shape, bool)
        bank = np.nonzero(across[ys, xs] < across[ys, xs].min() + 3)[0]
        k = int(bank[rng.integers(0, len(bank))])
        cur[ys[k] - y0, xs[k] - x0] = True
        order = [(ys[k], xs[k])]
        while len(order) < npx:
            front = S.dilate_clip(cur) & reg & ~cur
            fy, fx = np.nonzero(front)
            if len(fy) == 0:
                break
            p = 0.6 * np.exp(-(acr[fy, fx] - 6.0) / 25.0)
            keep = rng.uniform(size=len(fy)) < p
            keep[np.argmax(p)] = True  # the nearest always: the pit grows every round
            fy, fx = fy[keep], fx[keep]
            take = rng.permutation(len(fy))[:npx - len(order)]
            cur[fy[take], fx[take]] = True
            order += [(fy[t] + y0, fx[t] + x0) for t in take]
        return order

    def pit_of(self, order, upto):
        """The mask of the first `upto` pixels of a grown pit and its ponds:
        discs inside it, about a fifth of it (alluvial pits hold ponds, often
        in rows: RECIPES section 5)."""
        m = np.zeros((self.H, self.W), bool)
        if upto:
            yy, xx = zip(*order[:upto])
            m[list(yy), list(xx)] = True
        inner = m & ~S.dilate_clip(~m, 2)
        ponds = np.zeros_like(m)
        iy, ix = np.nonzero(inner)
        for _ in range(max(1, upto // 250) if len(iy) else 0):
            k = int(self.amw_rng.integers(0, len(iy)))
            r = self.amw_rng.uniform(3.0, 6.0)
            ponds |= ((self.yy - iy[k]) ** 2 + (self.xx - ix[k]) ** 2 <= r * r) & inner
        return m, ponds

    def creek(self, poly):
        """The stream a cell of alluvial mining lies on (Napo's mining is along
        rivers): 4 px wide, through the cell's centre along its long axis and
        30 px beyond it, sand on its banks, clear of the world's river; AMW
        gives no rivers, so each cell gets its own."""
        ys, xs = np.nonzero(poly)
        cy, cx = ys.mean(), xs.mean()
        w, v = np.linalg.eigh(np.cov(np.vstack([xs - cx, ys - cy])) + 1e-9 * np.eye(2))
        dx, dy = v[:, 1]  # the long axis
        along = (self.xx - cx) * dx + (self.yy - cy) * dy
        across = np.abs(-(self.xx - cx) * dy + (self.yy - cy) * dx)
        reach = np.abs(((xs - cx) * dx + (ys - cy) * dy)).max() + 30
        apart = np.abs(self.off) >= self.half + 40  # clear of the world's own river, its pit and its bars
        c = (across < 2.0) & (np.abs(along) <= reach) & apart
        bank = (across < 3.0) & (np.abs(along) <= reach) & ~c & (self.base == FOREST) & apart
        self.base[c] = WATER
        self.base[bank] = SAND
        self.across = np.where(np.abs(along) <= reach, across, 1e9)  # the distance grow() follows
        return (across < 6.0) & (np.abs(along) <= reach + 4)

    def plan_events(self):
        # away from the world's own river too (its pit, its erosion and bars)
        land = (np.abs(self.off) >= self.half + 40) & (self.base == FOREST)
        fresh = []
        for name, year, ha, poly in self.polygons():
            land &= ~self.creek(poly)
            order = self.grow(poly & land, int(round(ha * 100)))
            if len(order) < 10:
                continue
            if year <= 2023:  # open before the series: part of the reference
                m, ponds = self.pit_of(order, len(order))
                self.base[m] = SAND
                self.base[ponds] = WATER
                land &= ~m
            else:
                fresh.append((name, year, order))
                yy, xx = zip(*order)
                land[list(yy), list(xx)] = False
                self.reserved[list(yy), list(xx)] = True
        super().plan_events()  # the world's own events, 6 px or more from the pits below
        n, m0 = self.n, self.first_monitor()
        for name, year, order in fresh:
            start = int(self.amw_rng.integers(m0, n))
            steps = [(start, *self.pit_of(order, len(order) // 2 if len(order) >= 1000 else len(order)))]
            if len(order) >= 1000 and start + 2 < n:  # a pit of >= 10 ha opens in two steps
                steps.append((start + 2, *self.pit_of(order, len(order))))
            mask = steps[-1][1]
            assert not (mask & self.taken & ~self.reserved).any(), "events overlap"
            self.events.append({"id": "AMW" + name, "class": "mining_scar", "mask": mask, "start": start,
                                "steps": steps, "center": (0, 0)})

    def plan_decoys(self):
        super().plan_decoys()
        # as many clouds and haze patches per area as the world's 600 x 600
        extra = self.W * self.H / 360000.0 - 1
        for di in range(self.n):
            for _ in range(int(self.amw_rng.poisson(max(0.0, extra)))):
                self.clouds[di].append((self.amw_rng.uniform(0, self.H), self.amw_rng.uniform(0, self.W),
                                        self.amw_rng.uniform(12, 30)))
                self.hazes[di].append((self.amw_rng.uniform(0, self.H), self.amw_rng.uniform(0, self.W),
                                       self.amw_rng.uniform(15, 45), self.amw_rng.uniform(0.35, 1.0)))

    def cover(self, di):
        cls, *rest = super().cover(di)
        for e in self.events:
            for start, m, ponds in e.get("steps", []):
                if di >= start:
                    cls[m] = SAND
                    cls[ponds] = WATER
        return (cls, *rest)


def make(a):
    site = getattr(a, "site", None)
    if site:
        w = AmwWorld(a.seed, a.dates, site, getattr(a, "season", 0.0))
        S.X0, S.Y0 = w.x0, w.y0  # the scenes, truth and AOIs on the site's grid
    else:
        w = World(a.seed, a.dates, a.width, a.height, getattr(a, "season", 0.0))
    W, H, n = w.W, w.H, w.n
    inbox, truth, aoi = (os.path.join(a.out, d) for d in ("inbox", "truth", "aoi"))
    for d in (inbox, truth, aoi):
        os.makedirs(d, exist_ok=True)
    clear_dates = {e["id"]: [] for e in w.events}
    first_seen = {}
    decoys = np.zeros((H, W), np.uint8)
    for di, date in enumerate(w.dates):
        pid = S.product_id("18MTD", date, "05.10")
        clear, dec = w.write_date(os.path.join(inbox, pid), di, a.seed * 1000 + di)
        decoys = np.where(decoys == 0, dec, decoys)
        for e in w.events:
            if di >= e["start"] and clear[e["mask"]].mean() >= 0.5:
                clear_dates[e["id"]].append(date)
            if di >= e["start"] and clear[e["mask"]].sum() >= 10 and e["id"] not in first_seen:
                first_seen[e["id"]] = date  # the smallest publishable part (0.1 ha) seen clear
    ev = np.zeros((H, W), np.uint8)
    events = []
    for k, e in enumerate(w.events, start=1):
        ev[e["mask"]] = k
        cd = clear_dates[e["id"]]
        events.append({"id": e["id"], "code": k, "class": e["class"], "start": w.dates[e["start"]],
                       "first_clear": cd[0] if cd else None, "first_seen": first_seen.get(e["id"]),
                       "clear_dates": cd, "area_ha": int(e["mask"].sum()) * 0.01,
                       "aoi_id": e.get("in_chakra", ""), "haze_beside": bool(e.get("haze_beside"))})
    # decoy pixels lying on events are the events'
    decoys[ev > 0] = 0
    S.write_gtiff(os.path.join(truth, "events.tif"), ev, 10, dtype=gdal.GDT_Byte)
    S.write_gtiff(os.path.join(truth, "decoys.tif"), decoys, 10, dtype=gdal.GDT_Byte)
    write_aois(w, aoi)
    with open(os.path.join(truth, "truth.json"), "w") as f:
        json.dump({"tile": "18MTD", "dates": w.dates, "reference": w.ref, "width": W, "height": H,
                   "epsg": S.EPSG, "origin": [S.X0, S.Y0], "res": 10, "events": events,
                   "shifted_date": w.dates[w.shift_date] if w.shift_date is not None else None,
                   "decoy_codes": {"haze": DECOY_HAZE, "fringe": DECOY_FRINGE, "river": DECOY_RIVER,
                                   "harvest": DECOY_HARVEST, "cloud": DECOY_CLOUD}}, f, indent=1)


def write_aois(w, aoi):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(S.EPSG)
    if w.conserved is None:  # AmwWorld: the real territories, the file as AMW publishes it
        shutil.copyfile(os.path.join(w.data, AMW_TERRITORIES), os.path.join(aoi, "conserved.geojson"))

    def ring(x0, y0, x1, y1):
        (ax, ay), (bx, by) = S.px_to_utm(x0, y0), S.px_to_utm(x1, y1)
        return f"POLYGON(({ax} {ay},{bx} {ay},{bx} {by},{ax} {by},{ax} {ay}))"
    for name, feats in (("conserved", [w.conserved] if w.conserved else []), ("chakras", w.chakras)):
        if not feats:
            continue
        path = os.path.join(aoi, name + ".gpkg")
        if os.path.exists(path):
            os.remove(path)
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
        lyr = ds.CreateLayer(name, srs, ogr.wkbPolygon)
        for f in ("id", "name"):
            lyr.CreateField(ogr.FieldDefn(f, ogr.OFTString))
        for fid, x0, y0, x1, y1 in feats:
            ft = ogr.Feature(lyr.GetLayerDefn())
            ft.SetField("id", fid)
            ft.SetField("name", fid)
            ft.SetGeometry(ogr.CreateGeometryFromWkt(ring(x0, y0, x1, y1)))
            lyr.CreateFeature(ft)
        ds = None
