/*
 * test_kernels.c - every kernel against a naive double-precision scalar
 * reference written from RECIPES 1-3, including edge values: both bands 0,
 * negative reflectance after the offset, no data, saturation, masks.
 * Builds without GDAL.
 */
#include "../test.h"
#include "ck_change.h"
#include "ck_indices.h"
#include "ck_mask.h"
#include "ck_planes.h"
#include "ck_preview.h"
#include "ck_quality.h"
#include "ck_reflect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 4096
#define TOL 1e-6

/* ---- scalar references, double precision, straight from the formulas ---- */
static double ref_nd(double a, double b)
{
    if (isnan(a) || isnan(b) || a + b <= 0.0)
        return NAN;
    double v = (a - b) / (a + b);
    return v > 1 ? 1 : v < -1 ? -1 : v;
}

static double ref_index(const char *name, const double *r)
{
    if (!strcmp(name, "ndvi")) return ref_nd(r[CK_B08], r[CK_B04]);
    if (!strcmp(name, "nbr")) return ref_nd(r[CK_B08], r[CK_B12]);
    if (!strcmp(name, "ndmi")) return ref_nd(r[CK_B08], r[CK_B11]);
    if (!strcmp(name, "mndwi")) return ref_nd(r[CK_B03], r[CK_B11]);
    if (!strcmp(name, "ndwi")) return ref_nd(r[CK_B03], r[CK_B08]);
    if (!strcmp(name, "water")) { /* change detection's: MNDWI, or NDWI - 0.2 where higher */
        const double m = ref_nd(r[CK_B03], r[CK_B11]), w = ref_nd(r[CK_B03], r[CK_B08]) - 0.2;
        return isnan(m) || w > m ? w : m;
    }
    if (!strcmp(name, "ndti")) return ref_nd(r[CK_B04], r[CK_B03]);
    if (!strcmp(name, "bsi"))
        return ref_nd(r[CK_B11] + r[CK_B04], r[CK_B08] + r[CK_B02]);
    return -99;
}

static unsigned lcg(unsigned *s) { return *s = *s * 1664525u + 1013904223u; }

static void test_reflectance(void)
{
    static uint16_t dn[N];
    static float out[N];
    static uint8_t mask[N];
    unsigned s = 7;
    for (int i = 0; i < N; i++)
        dn[i] = (uint16_t)(lcg(&s) >> 16);
    dn[0] = 0; dn[1] = 1; dn[2] = 999; dn[3] = 1000; dn[4] = 65535;
    for (int k = 0; k < 2; k++) {
        ck_dn_conv c = {k ? -1000.0f : 0.0f, 10000.0f};
        memset(mask, 0, sizeof mask);
        ck_dn_to_reflectance(dn, N, c, out, mask);
        int bad = 0;
        for (int i = 0; i < N; i++) {
            if (dn[i] == 0) {
                bad += !(isnan(out[i]) && (mask[i] & CK_M_NODATA));
                continue;
            }
            double ref = ((double)dn[i] + c.add) / 10000.0;
            bad += fabs(out[i] - ref) > 1e-7 * fmax(1.0, fabs(ref)) || mask[i];
        }
        CHECK(bad == 0, "reflectance conversion add=%g: %d mismatches", c.add, bad);
    }
    /* dark water below the offset goes negative: (999 - 1000) / 10000 */
    ck_dn_conv c = {-1000.0f, 10000.0f};
    ck_dn_to_reflectance(dn, 5, c, out, mask);
    CHECK(fabs(out[2] + 0.0001) < 1e-9, "DN 999 with offset -> %g", out[2]);
    CHECK(out[3] == 0.0f, "DN 1000 with offset -> %g", out[3]);
    CHECK(fabs(out[4] - 6.4535) < 1e-6, "saturated DN -> %g", out[4]);
}

static void test_indices(void)
{
    static float band[CK_NBANDS][N];
    static double dband[CK_NBANDS][N];
    static uint8_t mask[N];
    static float out[N];
    unsigned s = 12345;
    for (int b = 0; b < CK_NBANDS; b++)
        for (int i = 0; i < N; i++) {
            /* reflectance in -0.05..0.75, a few exact edge values */
            float v = (float)((lcg(&s) >> 8) % 8001) / 10000.0f - 0.05f;
            band[b][i] = v;
        }
    for (int b = 0; b < CK_NBANDS; b++) {
        band[b][0] = 0.0f;                 /* both bands 0 */
        band[b][1] = CK_NODATA;            /* no data */
        band[b][2] = -0.0001f;             /* negative after offset */
        band[b][3] = 6.5535f;              /* saturated */
        band[b][4] = (b % 2) ? -0.02f : 0.01f; /* negative denominator for some pairs */
        band[b][5] = (b % 2) ? 0.3f : -0.02f;  /* index beyond 1 before clamping */
    }
    for (int b = 0; b < CK_NBANDS; b++)
        for (int i = 0; i < N; i++)
            dband[b][i] = band[b][i];
    for (int i = 0; i < N; i++)
        mask[i] = (i % 97 == 13) ? CK_M_CLOUD : 0;

    const float *ptrs[CK_NBANDS];
    for (int b = 0; b < CK_NBANDS; b++)
        ptrs[b] = band[b];
    for (size_t k = 0; k < ck_index_count; k++) {
        const ck_index_desc *d = &ck_index_table[k];
        d->fn(ptrs, mask, N, out);
        int bad = 0, nodata = 0;
        double maxerr = 0;
        for (int i = 0; i < N; i++) {
            double r[CK_NBANDS];
            for (int b = 0; b < CK_NBANDS; b++)
                r[b] = dband[b][i];
            double ref = mask[i] ? NAN : ref_index(d->name, r);
            if (isnan(ref)) {
                nodata++;
                bad += !isnan(out[i]);
            } else if (isnan(out[i]) || fabs(out[i] - ref) > TOL) {
                bad++;
            } else if (fabs(out[i] - ref) > maxerr) {
                maxerr = fabs(out[i] - ref);
            }
            bad += !isnan(out[i]) && (out[i] > 1.0f || out[i] < -1.0f);
        }
        CHECK(bad == 0, "%s: %d of %d pixels differ from the reference", d->name, bad, N);
        CHECK(isnan(out[0]) && isnan(out[1]), "%s: zero denominator / nodata not nodata", d->name);
        CHECK(nodata > N / 97, "%s: masked pixels not no data (%d)", d->name, nodata);
        printf("  %-6s max |err| vs double reference %.2e, %d no-data\n", d->name, maxerr, nodata);
    }
    /* registry */
    CHECK(ck_index_find("NDVI") == &ck_index_table[0], "lookup is case-insensitive");
    CHECK(ck_index_find("evi") == NULL, "unknown index is NULL");
    CHECK(ck_index_find("bsi")->bands == (CK_BAND_BIT(CK_B02) | CK_BAND_BIT(CK_B04) |
                                          CK_BAND_BIT(CK_B08) | CK_BAND_BIT(CK_B11)),
          "bsi bands");
    /* int16 scaling */
    float f[5] = {1.0f, -1.0f, 0.12345f, CK_NODATA, 0.00005f};
    int16_t q[5];
    ck_index_to_i16(f, 5, q);
    CHECK(q[0] == 10000 && q[1] == -10000 && q[2] == 1234 && q[3] == CK_NODATA_I16 && q[4] == 0,
          "int16: %d %d %d %d %d", q[0], q[1], q[2], q[3], q[4]);
    /* against lrintf over random values in -1..1, ties (k + 0.5) / 10000
     * among them, and no data */
    enum { NQ = 4099 };
    static float fv[NQ];
    static int16_t qv[NQ];
    unsigned seed = 23;
    for (int i = 0; i < NQ; i++)
        fv[i] = i % 7 == 0    ? ((float)((int)(lcg(&seed) >> 17) % 20000 - 10000) + 0.5f) / 10000.0f
                : i % 11 == 0 ? CK_NODATA
                              : (float)((double)lcg(&seed) / 4294967296.0 * 2.0 - 1.0);
    ck_index_to_i16(fv, NQ, qv);
    int bad = 0;
    for (int i = 0; i < NQ; i++)
        bad += qv[i] != (isnan(fv[i]) ? CK_NODATA_I16 : (int16_t)lrintf(fv[i] * 10000.0f));
    CHECK(bad == 0, "int16 is lrintf of the index x 10000 (%d of %d differ)", bad, NQ);
}

/* brute-force disc dilation reference over the whole image */
static void ref_mask(const ck_scl_rules *r, const uint8_t *scl, int w, int h, uint8_t *m)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int c = scl[y * w + x];
            uint8_t f = 0;
            if (c == 0) f = CK_M_NODATA;
            else if (r->cloud >> c & 1) f = CK_M_CLOUD;
            else if (r->shadow >> c & 1) f = CK_M_SHADOW;
            else if (r->invalid >> c & 1) f = CK_M_INVALID;
            for (int yy = 0; yy < h; yy++)
                for (int xx = 0; xx < w; xx++) {
                    int cc = scl[yy * w + xx];
                    double d2 = (double)(xx - x) * (xx - x) + (double)(yy - y) * (yy - y);
                    if ((r->cloud >> cc & 1) && d2 <= (double)r->cloud_r * r->cloud_r)
                        f |= CK_M_CLOUD;
                    if ((r->shadow >> cc & 1) && d2 <= (double)r->shadow_r * r->shadow_r)
                        f |= CK_M_SHADOW;
                }
            m[y * w + x] = f;
        }
}

static void test_mask(void)
{
    enum { W = 53, H = 41 };
    static uint8_t scl[W * H], ref[W * H], got[W * H], scratch[2 * W * H];
    unsigned s = 99;
    for (int i = 0; i < W * H; i++) {
        unsigned v = (lcg(&s) >> 16) % 100;
        scl[i] = v < 2 ? 9 : v < 3 ? 3 : v < 4 ? 0 : v < 5 ? 6 : v < 6 ? 1 : 4;
    }
    ck_scl_rules r = ck_scl_rules_default();
    r.cloud_r = 4;
    r.shadow_r = 2;
    ref_mask(&r, scl, W, H, ref);
    /* whole image at once */
    memset(got, 0, sizeof got);
    ck_mask_scl(&r, scl, W, H, 0, H, got, scratch);
    CHECK(memcmp(got, ref, sizeof got) == 0, "disc dilation differs from brute force");
    /* in strips of 7 rows with a halo: must equal the whole-image mask */
    memset(got, 0, sizeof got);
    for (int y0 = 0; y0 < H; y0 += 7) {
        int n = y0 + 7 > H ? H - y0 : 7;
        int lo = y0 - 4 < 0 ? 0 : y0 - 4, hi = y0 + n + 4 > H ? H : y0 + n + 4;
        ck_mask_scl(&r, scl + lo * W, W, (size_t)(hi - lo), (size_t)(y0 - lo), (size_t)n,
                    got + y0 * W, scratch);
    }
    CHECK(memcmp(got, ref, sizeof got) == 0, "strip mask differs from whole-image mask");
    int water_valid = 1;
    for (int i = 0; i < W * H; i++)
        if (scl[i] == 6 && (ref[i] & ~(CK_M_CLOUD | CK_M_SHADOW)))
            water_valid = 0;
    CHECK(water_valid, "water class must never be masked by its class");

    /* fallback cloud test */
    const ck_pseudo_scl_params pp = {.blue_min = 0.18f, .white_max = 0.2f, .swir_ratio_max = 1.5f,
                                     .water_mndwi_min = 0.3f, .water_swir_max = 0.012f};
    float b[4] = {0.30f, 0.03f, CK_NODATA, 0.25f}, g[4] = {0.31f, 0.06f, 0.1f, 0.26f},
          rd[4] = {0.32f, 0.04f, 0.1f, 0.27f}, sw[4] = {0.28f, 0.15f, 0.2f, 0.45f};
    uint8_t ps[4];
    ck_pseudo_scl(b, g, rd, sw, 4, &pp, ps);
    CHECK(ps[0] == 9 && ps[1] == 4 && ps[2] == 0 && ps[3] == 4, "pseudo scl %d %d %d %d (a bright roof, SWIR 0.45, is no cloud)",
          ps[0], ps[1], ps[2], ps[3]);
    ck_pseudo_scl(b, g, rd, NULL, 4, &pp, ps);
    CHECK(ps[3] == 9, "without SWIR the visible test alone decides");
    /* haze over water (the Trombetas river's medians): clear river, hazy river, a red tailings pond
     * bright in the SWIR, hazy water without SWIR */
    float wb[3] = {0.0229f, 0.0268f, 0.0264f}, wg[3] = {0.0255f, 0.0298f, 0.0398f},
          wr[3] = {0.0198f, 0.0248f, 0.0482f}, ws[3] = {0.0081f, 0.0141f, 0.0194f};
    ck_pseudo_scl(wb, wg, wr, ws, 3, &pp, ps);
    CHECK(ps[0] == 4 && ps[1] == 10 && ps[2] == 4, "haze over water %d %d %d (clear river, hazy river, tailings)",
          ps[0], ps[1], ps[2]);
    ck_pseudo_scl(wb, wg, wr, NULL, 3, &pp, ps);
    CHECK(ps[1] == 4, "without SWIR haze over water is not judged");
}

/* ---- change state: references written from RECIPES 4 ---- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double ref_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void test_median_mad(void)
{
    unsigned seed = 7;
    int bad = 0;
    for (int t = 0; t < 20000; t++) {
        int n = 1 + (int)(lcg(&seed) % CK_REF_SLOTS);
        int16_t v[CK_REF_SLOTS];
        double d[CK_REF_SLOTS], dev[CK_REF_SLOTS];
        for (int i = 0; i < n; i++)
            d[i] = v[i] = (int16_t)((int)(lcg(&seed) % 20001) - 10000);
        int16_t med;
        float mad;
        ck_median_mad(v, n, &med, &mad);
        double m = ref_median(d, n);
        for (int i = 0; i < n; i++)
            dev[i] = fabs(d[i] - m);
        double rmad = 1.4826 * ref_median(dev, n);
        bad += fabs(med - m) > 0.5 || fabs(mad - rmad) > 1e-3 * (1 + rmad);
    }
    CHECK(bad == 0, "median and 1.4826 x MAD against a sorted double reference (%d mismatches)", bad);
}

static void test_days(void)
{
    CHECK(ck_day_from_ymd(2015, 1, 1) == 1, "2015-01-01 is day 1");
    CHECK(ck_day_from_ymd(2020, 12, 31) == 2192, "2020-12-31 (EUDR cut-off) is day 2192");
    CHECK(ck_day_from_ymd(2023, 2, 29) == 0 && ck_day_from_ymd(2014, 12, 31) == 0, "impossible dates are 0");
    int bad = 0;
    for (int day = 1; day < 49000; day++) {
        int y, m, d;
        ck_day_to_ymd(day, &y, &m, &d);
        bad += ck_day_from_ymd(y, m, d) != day;
    }
    CHECK(bad == 0, "day numbers round-trip over 134 years (%d bad)", bad);
    char buf[11];
    ck_day_format(2192, buf);
    CHECK(!strcmp(buf, "2020-12-31") && ck_day_parse(buf) == 2192, "day 2192 formats and parses as 2020-12-31");
    CHECK(!ck_day_parse("2020-12-3") && !ck_day_parse("2020-12-311") && !ck_day_parse("2020/12/31") &&
              !ck_day_parse("2021-02-29") && !ck_day_parse("20a0-12-31"),
          "malformed or impossible dates parse to 0");
}

/* One pixel through a sequence of observations, with GLAD's rule written
 * plainly: the first anomaly opens a candidate; it is confirmed as soon as
 * confirm_n of the next <= window_obs clear observations within window_days
 * are anomalous, expired when that can no longer happen. */
typedef struct {
    int status, first, n_next, n_anom;
} ref_px;

static void ref_step(ref_px *r, int day, int clear, int anom, const ck_change_params *p)
{
    if (r->status == CK_ST_CANDIDATE && day - r->first > p->window_days)
        r->status = CK_ST_EXPIRED;
    if (!clear)
        return;
    if (r->status == CK_ST_NONE || r->status == CK_ST_EXPIRED) {
        if (anom)
            *r = (ref_px){CK_ST_CANDIDATE, day, 0, 0};
        return;
    }
    if (r->status == CK_ST_CANDIDATE) {
        r->n_next++;
        r->n_anom += anom;
        if (r->n_anom >= p->confirm_n)
            r->status = CK_ST_CONFIRMED;
        else if (r->n_anom + (p->window_obs - r->n_next) < p->confirm_n)
            r->status = CK_ST_EXPIRED;
    }
}

static void test_confirmation(void)
{
    ck_change_params p = ck_change_params_default();
    p.recover_days = 0; /* the plain rule below has no recovery; test_recovery has */
    enum { NPX = 512, NOBS = 12 };
    static int16_t bn[NPX], bb[NPX];
    static uint8_t sn[NPX], sb[NPX], info[NPX], chak[NPX], mask[NPX];
    static uint16_t fd[NPX], cd[NPX], lc[NPX];
    static uint8_t st[NPX], nn[NPX], na[NPX], nr[NPX], nba[NPX], npo[NPX], rec[NPX];
    static int16_t ln[NPX], m3[NPX];
    static float ndvi[NPX], nbr[NPX], bsi[NPX], mndwi[NPX];
    ck_base b = {0};
    b.ndvi = bn, b.nbr = bb, b.spr_ndvi = sn, b.spr_nbr = sb, b.info = info;
    ck_dyn d = {fd, cd, lc, st, nn, na, nr, nba, npo, rec, ln, NULL, NULL, NULL};
    ref_px ref[NPX];
    memset(ref, 0, sizeof ref);
    unsigned seed = 11;
    for (int i = 0; i < NPX; i++) {
        bn[i] = 8500;
        bb[i] = 6000;
        sn[i] = (uint8_t)(lcg(&seed) % 40); /* spread 0 .. 0.08 */
        sb[i] = 10;
        info[i] = 3 | CK_BI_SET;
        chak[i] = (uint8_t)(i % 7 == 0);
        /* an edge (a neighbour's baseline is low), dense canopy (a drop past clearcut_drop
         * that leaves the NDVI above ndvi_max_after is a clear-cut all the same), forest */
        m3[i] = (int16_t)(i % 5 == 0 ? 4500 : i % 5 == 1 ? 9200 : 8500);
    }
    int bad = 0, day = 3000, n_conf = 0, n_exp = 0;
    for (int k = 0; k < NOBS; k++) {
        day += 5 + (int)(lcg(&seed) % 40);
        for (int i = 0; i < NPX; i++) {
            mask[i] = lcg(&seed) % 4 == 0 ? CK_M_CLOUD : 0;
            ndvi[i] = 0.05f + 0.85f * (float)(lcg(&seed) % 1000) / 1000.0f;
            nbr[i] = 0.6f - 0.25f * (float)(lcg(&seed) % 1000) / 1000.0f; /* SWIR agrees or not */
            bsi[i] = mndwi[i] = -0.3f;
            if ((lcg(&seed) >> 16) % 8 == 0) { /* water, or its edge (mixed SWIR), whose NBR says nothing */
                ndvi[i] = -0.3f + 0.4f * (float)((lcg(&seed) >> 16) % 1000) / 1000.0f;
                mndwi[i] = (lcg(&seed) >> 16) % 2 ? 0.6f : -0.1f;
            }
        }
        ck_obs o = {ndvi, nbr, bsi, mndwi, mask, chak, NULL, NULL, m3};
        size_t events = ck_change_update(&o, NPX, day, &p, &b, &d), want = 0;
        for (int i = 0; i < NPX; i++) {
            double base = m3[i] * 1e-4, drop = base - ndvi[i];
            double thr = fmax(p.k_spread * 0.002 * sn[i], p.ndvi_dmin);
            int anom = chak[i] ? drop > fmax(thr, p.chakra_drop) && ndvi[i] < p.chakra_ndvi_max
                               : (drop > thr && ndvi[i] < p.ndvi_max_after) || drop > p.clearcut_drop;
            anom = anom && (0.6 - nbr[i] > p.nbr_evidence || (mndwi[i] > p.mndwi_pond && ndvi[i] < 0));
            /* what the update reports: an event open before it, or a new anomaly */
            want += ref[i].status == CK_ST_CANDIDATE || ref[i].status == CK_ST_CONFIRMED || (anom && !mask[i]);
            ref_step(&ref[i], day, !mask[i], anom, &p);
            bad += st[i] != ref[i].status || (ref[i].status == CK_ST_CANDIDATE && fd[i] != ref[i].first);
        }
        bad += events != want;
    }
    for (int i = 0; i < NPX; i++) {
        n_conf += st[i] == CK_ST_CONFIRMED;
        n_exp += st[i] == CK_ST_EXPIRED;
    }
    CHECK(bad == 0, "confirmation state of %d pixels x %d observations matches the plain rule (%d differ)", NPX,
          NOBS, bad);
    CHECK(n_conf > 0 && n_exp > 0, "the random sequences reach both confirmed (%d) and expired (%d)", n_conf, n_exp);
}

static void test_baseline(void)
{
    enum { NPX = 64 };
    static int16_t rn[CK_REF_SLOTS * NPX], rb[CK_REF_SLOTS * NPX], hs[CK_HSUMS * NPX], bn[NPX], bb[NPX],
        hm[CK_HARMS * NPX];
    static uint8_t nref[NPX], nw[NPX], sn[NPX], sb[NPX], info[NPX], mask[NPX];
    static float ndvi[NPX], nbr[NPX], mndwi[NPX];
    ck_base b = {rn, rb, hs, nref, nw, bn, bb, hm, sn, sb, info};
    const double vals[] = {0.80, 0.86, 0.84, 0.10, 0.85, 0.83, 0.87, 0.82, 0.81, 0.88}; /* one cloud-missed outlier */
    for (int k = 0; k < 10; k++) {
        for (int i = 0; i < NPX; i++) {
            ndvi[i] = (float)vals[k];
            nbr[i] = (float)vals[k] - 0.3f;
            mndwi[i] = i < 8 ? 0.4f : -0.4f;
            mask[i] = (i >= 60 && k > 0) || i >= 62 ? CK_M_CLOUD : 0; /* 60,61: one obs; 62,63: none */
        }
        ck_obs o = {ndvi, nbr, NULL, mndwi, mask, NULL, NULL, NULL, NULL};
        ck_ref_add(&o, NPX, 3000 + 10 * k, &b);
    }
    ck_base_finalize(&b, NPX);
    /* the ring keeps the last 8: 0.84 0.10 0.85 0.83 0.87 0.82 0.81 0.88 */
    double last8[] = {0.84, 0.10, 0.85, 0.83, 0.87, 0.82, 0.81, 0.88}, dev[8];
    double m = ref_median(last8, 8);
    for (int i = 0; i < 8; i++)
        dev[i] = fabs(last8[i] - m);
    double mad = 1.4826 * ref_median(dev, 8);
    CHECK(abs(bn[10] - (int)lround(m * 1e4)) <= 1, "baseline NDVI is the median of the last 8 (%d vs %.4f)", bn[10], m);
    CHECK(abs(sn[10] - (int)lround(mad / CK_SPREAD_STEP)) <= 1, "spread is 1.4826 x MAD, robust to the outlier (%d)",
          sn[10]);
    CHECK((info[10] & CK_BI_NREF) == 8 && !(info[10] & CK_BI_WATER) && (info[3] & CK_BI_WATER),
          "observation count and water flag");
    CHECK((info[60] & CK_BI_SET) && bn[60] == 8000 && sn[60] == 0, "one observation: baseline = it, spread 0");
    CHECK(!(info[62] & CK_BI_SET) && bn[62] == CK_NODATA_I16, "never clear: no baseline");
    CHECK(nref[10] == 0 && rn[10] == 0, "slots are cleared after finalizing");
}

/* The seasonal baseline: a pixel with a strong annual cycle observed over
 * two years gets the harmonic fit (checked against the cycle it was drawn
 * from), an aseasonal noisy one and a thinly observed one keep the median;
 * the expected value follows the season. */
static void test_seasonal(void)
{
    enum { NPX = 3, NOBS = 40 };
    static int16_t rn[CK_REF_SLOTS * NPX], rb[CK_REF_SLOTS * NPX], hs[CK_HSUMS * NPX], bn[NPX], bb[NPX],
        hm[CK_HARMS * NPX], en[NPX], eb[NPX];
    static uint8_t nref[NPX], nw[NPX], sn[NPX], sb[NPX], info[NPX], mask[NPX];
    static float ndvi[NPX], nbr[NPX], mndwi[NPX] = {-0.4f, -0.4f, -0.4f};
    ck_base b = {rn, rb, hs, nref, nw, bn, bb, hm, sn, sb, info};
    unsigned seed = 21;
    const double w = 2.0 * M_PI / 365.2425, A = 0.15, ph = 0.6;
    for (int k = 0; k < NOBS; k++) {
        int day = 400 + 18 * k; /* two years */
        for (int i = 0; i < NPX; i++) {
            double noise = ((double)((lcg(&seed) >> 16) % 1000) / 1000.0 - 0.5) * 0.02;
            double v = i == 0 ? 0.78 + A * cos(w * day - ph) + noise : 0.85 + noise;
            ndvi[i] = (float)v;
            nbr[i] = (float)(v - 0.2);
            mask[i] = i == 2 && k % 5 ? CK_M_CLOUD : 0; /* pixel 2: 8 observations only */
        }
        ck_obs o = {ndvi, nbr, NULL, mndwi, mask, NULL, NULL, NULL, NULL};
        ck_ref_add(&o, NPX, day, &b);
    }
    ck_base_finalize(&b, NPX);
    double amp = hypot(hm[0 * NPX] * 1e-4, hm[1 * NPX] * 1e-4);
    CHECK(fabs(bn[0] * 1e-4 - 0.78) < 0.01 && fabs(amp - A) < 0.02,
          "seasonal pixel: mean %.3f (0.78), amplitude %.3f (%.2f)", bn[0] * 1e-4, amp, A);
    CHECK(hm[1] == 0 && hm[NPX + 1] == 0 && hm[2] == 0 && hm[NPX + 2] == 0,
          "aseasonal and thinly observed pixels keep the median (no harmonic terms)");
    int bad = 0;
    for (int day = 1200; day < 1600; day += 37) {
        ck_base_expected(&b, NPX, day, en, eb);
        double want = 0.78 + A * cos(w * day - ph);
        bad += fabs(en[0] * 1e-4 - want) > 0.02 || en[1] != bn[1];
    }
    CHECK(bad == 0, "the expected NDVI follows the season (%d days off by > 0.02)", bad);
    CHECK(hs[0] == 0 && nref[0] == 0, "the harmonic sums are cleared with the slots");
}

/* The expectation against the scalar formula it vectorises (lrintf of the
 * float sum), for random baselines and terms, the extremes and no data,
 * over a year of days. */
static void test_expected_scalar(void)
{
    enum { NPX = 1031 };
    static int16_t bn[NPX], bb[NPX], hm[CK_HARMS * NPX], en[NPX], eb[NPX];
    unsigned seed = 17;
    for (int i = 0; i < NPX; i++) {
        bn[i] = (int16_t)(lcg(&seed) >> 16);
        bb[i] = (int16_t)((int)(lcg(&seed) >> 17) % 20001 - 10000);
        for (int k = 0; k < CK_HARMS; k++)
            hm[k * NPX + i] = (int16_t)(i % 3 ? (int)(lcg(&seed) >> 17) % 4001 - 2000 : (int)(lcg(&seed) >> 16));
    }
    bn[0] = bb[1] = CK_NODATA_I16;
    bn[2] = bb[2] = INT16_MAX;
    hm[2] = hm[NPX + 2] = hm[2 * NPX + 2] = hm[3 * NPX + 2] = INT16_MAX;
    ck_base b = {0};
    b.ndvi = bn;
    b.nbr = bb;
    b.harm = hm;
    int bad = 0;
    for (int day = 3000; day < 3366; day += 5) {
        ck_base_expected(&b, NPX, day, en, eb);
        const double a = 2.0 * M_PI * day / 365.2425;
        const float c = (float)cos(a), sn = (float)sin(a);
        for (size_t i = 0; i < NPX; i++) {
            const float v = (float)bn[i] + c * (float)hm[i] + sn * (float)hm[NPX + i];
            const float r = (float)bb[i] + c * (float)hm[2 * NPX + i] + sn * (float)hm[3 * NPX + i];
            const int16_t wn = bn[i] == CK_NODATA_I16 ? CK_NODATA_I16 : (int16_t)lrintf(v);
            const int16_t wb = bb[i] == CK_NODATA_I16 ? CK_NODATA_I16 : (int16_t)lrintf(r);
            bad += en[i] != wn || eb[i] != wb;
        }
    }
    CHECK(bad == 0, "the expectation is lrintf of the float sum (%d pixel-days differ)", bad);
}

/* last_clear moves to the day exactly where the pixel is clear (mask 0,
 * NDVI defined), against the rule pixel by pixel. */
static void test_clear_update(void)
{
    enum { NPX = 517 };
    static uint8_t mask[NPX];
    static float ndvi[NPX];
    static uint16_t lc[NPX], before[NPX];
    unsigned seed = 29;
    for (int i = 0; i < NPX; i++) {
        mask[i] = (uint8_t)((lcg(&seed) >> 16) % 3 == 0 ? CK_M_CLOUD : 0);
        ndvi[i] = (lcg(&seed) >> 16) % 5 == 0 ? CK_NODATA : 0.5f;
        lc[i] = before[i] = (uint16_t)(lcg(&seed) >> 20);
    }
    ck_clear_update(mask, ndvi, NPX, 3456, lc);
    int bad = 0, moved = 0;
    for (int i = 0; i < NPX; i++) {
        const int clear = mask[i] == 0 && !isnan(ndvi[i]);
        bad += lc[i] != (clear ? 3456 : before[i]);
        moved += clear;
    }
    CHECK(bad == 0 && moved > NPX / 3 && moved < NPX, "last clear day: %d of %d pixels wrong", bad, NPX);
}

/* A confirmed drop that returns to its expectation within weeks reverts; a
 * clearing whose NDVI regrows while its NBR stays low does not, nor does a
 * return after recover_days. */
static void test_recovery(void)
{
    const ck_change_params p = ck_change_params_default();
    enum { NPX = 3 };
    static int16_t bn[NPX] = {8500, 8500, 8500}, bb[NPX] = {6000, 6000, 6000};
    static uint8_t sn[NPX] = {10, 10, 10}, sb[NPX] = {10, 10, 10}, info[NPX], mask[NPX];
    static uint16_t fd[NPX], cd[NPX], lc[NPX];
    static uint8_t st[NPX], nn[NPX], na[NPX], nr[NPX], nba[NPX], npo[NPX], rec[NPX];
    static int16_t ln[NPX];
    static float ndvi[NPX], nbr[NPX], bsi[NPX] = {-0.3f, -0.3f, -0.3f}, mndwi[NPX] = {-0.3f, -0.3f, -0.3f};
    ck_base b = {0};
    b.ndvi = bn, b.nbr = bb, b.spr_ndvi = sn, b.spr_nbr = sb, b.info = info;
    ck_dyn d = {fd, cd, lc, st, nn, na, nr, nba, npo, rec, ln, NULL, NULL, NULL};
    for (int i = 0; i < NPX; i++)
        info[i] = 8 | CK_BI_SET;
    /* pixel 0: a dry spell; 1: a clearing whose NDVI regrows, NBR low; 2: the dry spell, back too
     * late (its four last observations normal, the first of them 276 days after the first anomaly) */
    for (int k = 0; k < 12; k++) {
        int day = 3000 + 12 * k + (k >= 3 ? 0 : 0);
        int drop = k < 3;
        for (int i = 0; i < NPX; i++) {
            int late = i == 2 && k < 8;
            ndvi[i] = drop || late ? 0.35f : 0.85f;
            nbr[i] = drop || late || i == 1 ? 0.10f : 0.60f;
        }
        ck_obs o = {ndvi, nbr, bsi, mndwi, mask, NULL, NULL, NULL, NULL};
        ck_change_update(&o, NPX, day + (k >= 3 ? (k - 2) * 30 : 0), &p, &b, &d);
    }
    CHECK(st[0] == CK_ST_REVERTED, "a confirmed drop back at its expectation within weeks reverts (%d)", st[0]);
    CHECK(st[1] == CK_ST_CONFIRMED, "NDVI regrowth with NBR still low is no recovery (%d)", st[1]);
    CHECK(st[2] == CK_ST_CONFIRMED, "a return after recover_days does not revert (%d)", st[2]);
}

/* Byte planes against the definition, for odd lengths (vector tails). */
static void test_planes(void)
{
    enum { NP = 1003 };
    uint16_t v[NP], back[NP];
    uint8_t lo[NP], hi[NP];
    uint32_t x = 7u;
    for (int i = 0; i < NP; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = (uint16_t)(x >> 9);
    }
    for (size_t n = 0; n <= NP; n += n < 40 ? 1 : 97) {
        ck_planes_split2((const uint8_t *)v, n, lo, hi);
        int bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += lo[i] != (v[i] & 255) || hi[i] != (v[i] >> 8);
        memset(back, 0xee, sizeof back);
        ck_planes_join2(lo, hi, n, (uint8_t *)back);
        bad += memcmp(back, v, n * 2) != 0 || (n < NP && back[n] != 0xeeee);
        CHECK(bad == 0, "byte planes of %zu values: %d wrong", n, bad);
    }
}

/* TIFF predictors 2 and 3 against libtiff's definition, undone the way a
 * reader does (running sums, planes joined back). */
static void test_tiff_pred(void)
{
    enum { NT = 517 };
    static uint16_t a[NT], d2[NT];
    static float f[NT], back[NT];
    static uint8_t tmp[4 * NT], d3[4 * NT], acc[4 * NT];
    uint32_t x = 3u;
    for (int i = 0; i < NT; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = (uint16_t)(x >> 11);
        f[i] = (float)((int)(x >> 8) - (1 << 23)) / 4096.0f;
    }
    f[5] = NAN;
    for (size_t n = 1; n <= NT; n += n < 10 ? 1 : 101) {
        ck_tiff_pred2_row(a, n, d2);
        int bad = d2[0] != a[0];
        uint16_t run = 0;
        for (size_t i = 0; i < n; i++) {
            run = (uint16_t)(run + d2[i]);
            bad += run != a[i];
        }
        ck_tiff_pred3_row((const uint8_t *)f, n, tmp, d3);
        uint8_t r = 0;
        for (size_t i = 0; i < 4 * n; i++) {
            r = (uint8_t)(r + d3[i]);
            acc[i] = r;
        }
        for (size_t i = 0; i < n; i++) { /* plane k: byte 3 - k */
            uint8_t *o = (uint8_t *)&back[i];
            for (int k = 0; k < 4; k++)
                o[3 - k] = acc[(size_t)k * n + i];
        }
        bad += memcmp(back, f, n * 4) != 0;
        CHECK(bad == 0, "TIFF predictors 2 and 3 on rows of %zu: %d wrong", n, bad);
    }
}

/* Preview cells against a direct sum over each cell, at widths that end
 * inside a cell and reductions that do and do not divide them. */
static void test_preview(void)
{
    enum { W = 1003 };
    static uint16_t band[CK_PREVIEW_BANDS][W];
    static uint8_t fl[W];
    static uint32_t sum[CK_PREVIEW_BANDS][W], cnt[W];
    uint32_t x = 11u;
    for (int i = 0; i < W; i++) {
        for (int b = 0; b < CK_PREVIEW_BANDS; b++) {
            x = x * 1103515245u + 12345u;
            band[b][i] = (uint16_t)(x >> 12);
        }
        fl[i] = (x >> 7) % 5 == 0 ? CK_M_CLOUD : 0;
    }
    const uint16_t *dn[CK_PREVIEW_BANDS];
    uint32_t *sp[CK_PREVIEW_BANDS];
    for (int b = 0; b < CK_PREVIEW_BANDS; b++) {
        dn[b] = band[b];
        sp[b] = sum[b];
    }
    static const int fs[] = {1, 7, 10, 12, 1003, 2000};
    for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++) {
        const int f = fs[k];
        memset(sum, 0, sizeof sum);
        memset(cnt, 0, sizeof cnt);
        ck_preview_row(dn, fl, W, 0, f, sp, cnt);
        /* accumulates: every cell twice, the second time in two pieces (column windows) cut inside a cell */
        const size_t cut = (size_t)(W / 3 | 1);
        const uint16_t *dn2[CK_PREVIEW_BANDS];
        for (int b = 0; b < CK_PREVIEW_BANDS; b++)
            dn2[b] = band[b] + cut;
        ck_preview_row(dn, fl, cut, 0, f, sp, cnt);
        ck_preview_row(dn2, fl + cut, W - cut, cut, f, sp, cnt);
        int bad = 0, cells = (W + f - 1) / f;
        for (int c = 0; c < cells; c++) {
            uint64_t n = 0, s[CK_PREVIEW_BANDS] = {0};
            for (int i = c * f; i < (c + 1) * f && i < W; i++)
                if (!fl[i]) {
                    n++;
                    for (int b = 0; b < CK_PREVIEW_BANDS; b++)
                        s[b] += band[b][i];
                }
            bad += cnt[c] != 2 * n;
            for (int b = 0; b < CK_PREVIEW_BANDS; b++)
                bad += sum[b][c] != 2 * s[b];
        }
        bad += cells < W && (cnt[cells] != 0 || sum[0][cells] != 0); /* nothing past the last cell */
        CHECK(bad == 0, "preview cells of %d pixels: %d wrong", f, bad);
    }
}

/* Temporal tests against the plain rules, and the neighbourhood kernels
 * against brute force, on odd block sizes. */
static void test_quality(void)
{
    enum { NP = 777 };
    static int16_t ob[NP], on[NP], os_[NP];
    static uint8_t rb[NP], rn[NP], rs[NP];
    static float mw[NP], nd[NP];
    static uint8_t mask[NP], fl[NP];
    static uint16_t lc[NP];
    ck_quality_params q = ck_quality_params_default();
    unsigned seed = 5;
    int day = 4000, bad = 0, nh = 0, nf = 0;
    for (int i = 0; i < NP; i++) {
        rb[i] = 8, rn[i] = 128, rs[i] = 60; /* forest: 0.02, 0.32, 0.15 in bytes of 0.0025 */
        /* last clear up to 400 days back: the threshold's rise per day reaches its cap */
        lc[i] = (uint16_t)(i % 50 == 0 ? 0 : day - (int)((lcg(&seed) >> 16) % 400));
        mask[i] = i % 13 == 0 ? CK_M_CLOUD : 0;
        int kind = (int)((lcg(&seed) >> 16) % 4); /* 0 same, 1 haze, 2 shadow, 3 clearing / pond */
        /* haze of two strengths (the weaker above the capped threshold only), and blue
         * rising where the SWIR falls, which haze does not do */
        const int haze_rise = i & 2 ? 1200 : 900, swir_falls = kind == 1 && i % 5 == 0;
        ob[i] = (int16_t)(rb[i] * CK_REF8_STEP + (kind == 1   ? haze_rise
                                                  : kind == 3 ? 600
                                                              : (int)((lcg(&seed) >> 16) % 100)));
        on[i] = (int16_t)(kind == 2 ? 1600 : kind == 1 ? 3800 : kind == 3 ? 2000 : 3200);
        os_[i] = (int16_t)(kind == 2    ? 800
                           : swir_falls ? 1200
                           : kind == 1  ? 1800
                           : kind == 3  ? (i & 1 ? 3000 : 40)
                                        : 1500);
        mw[i] = kind == 3 && !(i & 1) ? 0.5f : -0.3f;
        nd[i] = kind == 3 ? 0.1f : 0.8f;
        if (kind == 2 && i % 3 == 0) { /* new water beside land: the 20 m SWIR mixed, NIR below red */
            mw[i] = -0.1f;
            nd[i] = -0.4f;
        }
    }
    memset(fl, 0, sizeof fl);
    ck_quality_test(ob, on, os_, mw, nd, mask, rb, rn, rs, lc, NP, day, &q, fl);
    for (int i = 0; i < NP; i++) {
        int want = 0;
        if (!mask[i] && lc[i]) {
            double R = CK_REF8_STEP, thr = fmin(300 + 2.0 * (day - lc[i]), 800), db = ob[i] - R * rb[i],
                   ds = os_[i] - R * rs[i];
            if (db > thr && db > ds && ds > -200 && on[i] - R * rn[i] > -300)
                want = CK_M_HAZE;
            else if (on[i] < 0.75 * R * rn[i] && os_[i] < 0.75 * R * rs[i] && !(mw[i] > 0) && !(nd[i] < 0))
                want = CK_M_FRINGE;
        }
        bad += fl[i] != want;
        nh += want == CK_M_HAZE;
        nf += want == CK_M_FRINGE;
    }
    CHECK(bad == 0 && nh > 50 && nf > 50, "haze (%d) and shadow-fringe (%d) tests follow the plain rules (%d differ)",
          nh, nf, bad);
    /* clearings (SWIR rise) and new ponds (MNDWI > 0) are never flagged */
    int cleared = 0;
    for (int i = 0; i < NP; i++)
        cleared += ob[i] - rb[i] * CK_REF8_STEP == 600 && fl[i] != 0;
    CHECK(cleared == 0, "no clearing or pond flagged as haze or shadow (%d)", cleared);
    int edge = 0, nedge = 0;
    for (int i = 0; i < NP; i++)
        if (nd[i] < 0) {
            nedge++;
            edge += fl[i] != 0;
        }
    CHECK(edge == 0 && nedge > 20,
          "no new water under a mixed 20 m SWIR flagged as a shadow fringe (%d of %d)", edge, nedge);

    enum { W = 37, H = 11 };
    static uint8_t in[W * H], out[W * H], scr[W * H];
    static int16_t v[W * H], m3[W * H], s16[W * H];
    for (int i = 0; i < W * H; i++) {
        in[i] = (lcg(&seed) >> 16) % 29 == 0;
        v[i] = (lcg(&seed) >> 16) % 9 == 0 ? CK_NODATA_I16 : (int16_t)((lcg(&seed) >> 16) % 20000 - 10000);
    }
    v[5] = v[6] = v[W + 5] = v[W + 6] = v[4] = v[W + 4] = v[2 * W + 4] = v[2 * W + 5] = v[2 * W + 6] = CK_NODATA_I16;
    for (int r = 0; r <= 3; r++) {
        ck_dilate_u8(in, W, H, r, out, scr);
        int dbad = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int want = 0;
                for (int yy = y - r; yy <= y + r; yy++)
                    for (int xx = x - r; xx <= x + r; xx++)
                        want |= yy >= 0 && yy < H && xx >= 0 && xx < W && in[yy * W + xx];
                dbad += out[y * W + x] != want;
            }
        CHECK(dbad == 0, "square dilation by %d on %dx%d matches brute force (%d differ)", r, W, H, dbad);
    }
    ck_min3x3_i16(v, W, H, m3, s16);
    int mbad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int m = 99999;
            for (int yy = y - 1; yy <= y + 1; yy++)
                for (int xx = x - 1; xx <= x + 1; xx++)
                    if (yy >= 0 && yy < H && xx >= 0 && xx < W && v[yy * W + xx] != CK_NODATA_I16 && v[yy * W + xx] < m)
                        m = v[yy * W + xx];
            mbad += m3[y * W + x] != (m == 99999 ? CK_NODATA_I16 : m);
        }
    CHECK(mbad == 0 && m3[W + 5] == CK_NODATA_I16, "3x3 minimum ignores no data and matches brute force (%d differ)",
          mbad);
}

/* DN to int16 x 10000 against the definition, both conventions. */
/* The four indices of change detection straight from DN: bit for bit
 * what the conversion and the index kernels give one after the other, and
 * within TOL of the double-precision formulas, with no data, DN around the
 * offset, saturation, masks, and bands of different offsets. */
static void test_change_indices(void)
{
    static uint16_t dn[CK_NBANDS][N];
    static float refl[CK_NBANDS][N], out[4][N], want[N];
    static uint8_t mask[N];
    unsigned s = 99;
    for (int b = 0; b < CK_NBANDS; b++)
        for (int i = 0; i < N; i++) {
            const unsigned r = lcg(&s) >> 16;
            dn[b][i] = (uint16_t)(r % 53 == 0 ? 0 : r % 41 == 0 ? 1000 - r % 3 : r % 29 == 0 ? 65535 : 800 + r % 8000);
        }
    for (int i = 0; i < N; i++)
        mask[i] = i % 89 == 5 ? CK_M_CLOUD : 0;
    static const char *names[4] = {"ndvi", "nbr", "bsi", "water"};
    static float w2[N];
    for (int k = 0; k < 2; k++) {
        ck_dn_conv conv[CK_NBANDS];
        const uint16_t *dp[CK_NBANDS];
        const float *rp[CK_NBANDS];
        for (int b = 0; b < CK_NBANDS; b++) {
            conv[b] = (ck_dn_conv){k ? -1000.0f : 0.0f, 10000.0f};
            dp[b] = dn[b];
            rp[b] = refl[b];
        }
        if (k)
            conv[CK_B11] = (ck_dn_conv){-900.0f, 10000.0f}; /* a band of its own offset */
        for (int b = 0; b < CK_NBANDS; b++)
            ck_dn_to_reflectance(dn[b], N, conv[b], refl[b], NULL);
        ck_change_indices(dp, conv, mask, N, (ck_change_ix){out[0], out[1], out[2], out[3]});
        for (int j = 0; j < 4; j++) {
            if (j < 3) {
                ck_index_find(names[j])->fn(rp, mask, N, want);
            } else { /* the water index of the MNDWI and NDWI kernels */
                ck_index_find("mndwi")->fn(rp, mask, N, want);
                ck_index_find("ndwi")->fn(rp, mask, N, w2);
                for (int i = 0; i < N; i++) {
                    const float w = mask[i] ? w2[i] : w2[i] - CK_NDWI_WATER;
                    want[i] = isnan(want[i]) || w > want[i] ? w : want[i];
                }
            }
            int bits = 0, bad = 0;
            for (int i = 0; i < N; i++) {
                bits += memcmp(&out[j][i], &want[i], sizeof(float)) != 0;
                double r[CK_NBANDS];
                for (int b = 0; b < CK_NBANDS; b++)
                    r[b] = dn[b][i] ? ((double)dn[b][i] + conv[b].add) / conv[b].quantum : NAN;
                const double ref = mask[i] ? NAN : ref_index(names[j], r);
                bad += isnan(ref) ? !isnan(out[j][i]) : !(fabs(out[j][i] - ref) <= TOL);
            }
            CHECK(bits == 0, "%s from DN (add %g): %d of %d pixels not the kernels' bits", names[j], conv[0].add,
                  bits, N);
            CHECK(bad == 0, "%s from DN (add %g): %d of %d pixels differ from the formula", names[j], conv[0].add,
                  bad, N);
        }
    }
}

static void test_dn_q16(void)
{
    enum { NQ = 300 };
    uint16_t dn[NQ];
    int16_t out[NQ];
    unsigned seed = 3;
    for (int i = 0; i < NQ; i++)
        dn[i] = (uint16_t)(i < 3 ? (int[]){0, 1, 65535}[i] : (int)((lcg(&seed) >> 16) % 12000));
    const ck_dn_conv cv[2] = {{-1000.0f, 10000.0f}, {0.0f, 4000.0f}};
    for (int c = 0; c < 2; c++) {
        ck_dn_to_q16(dn, NQ, cv[c], out);
        int bad = 0;
        for (int i = 0; i < NQ; i++) {
            double v = dn[i] ? fmin(fmax(lround((dn[i] + cv[c].add) * 10000.0 / cv[c].quantum), -32767), 32767) : 0;
            bad += out[i] != (int16_t)v;
        }
        CHECK(bad == 0, "DN to reflectance x 10000 (add %g, quantum %g): %d differ", cv[c].add, cv[c].quantum, bad);
    }
}

/* A coarse row onto the 10 m grid against the definition: every start
 * (even and odd), length and factor. */
static void test_dn_expand(void)
{
    enum { NAT = 70 };
    uint16_t nat[NAT], out[6 * NAT];
    unsigned seed = 5;
    for (int i = 0; i < NAT; i++)
        nat[i] = (uint16_t)(lcg(&seed) >> 16);
    int bad = 0, cases = 0;
    for (int f = 1; f <= 6; f++)
        for (size_t x = 0; x < 9; x++)
            for (size_t n = 0; x + n <= (size_t)f * NAT; n += 1 + n / 3) {
                memset(out, 0xab, sizeof out);
                ck_dn_expand(nat, x, n, f, out);
                for (size_t i = 0; i < n; i++)
                    bad += out[i] != nat[(x + i) / (size_t)f];
                bad += n < 6 * NAT && out[n] != 0xabab; /* nothing written past n */
                cases++;
            }
    CHECK(bad == 0 && cases > 500, "coarse rows onto the 10 m grid: %d differ in %d cases", bad, cases);
}

/* A scene shifted by one pixel east is measured as such; the same scene
 * unshifted as no shift. */
static void test_shift(void)
{
    enum { W = 64, H = 40 };
    static int16_t obs[W * H], same[W * H];
    static uint8_t ref[W * H], mask[W * H];
    unsigned seed = 9;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int v = ((x / 5 + y / 7) % 3) * 40 + 20 + (int)((lcg(&seed) >> 16) % 3); /* edges and texture */
            ref[y * W + x] = (uint8_t)v;
            same[y * W + x] = (int16_t)(v * CK_REF8_STEP);
        }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            obs[y * W + x] = same[y * W + (x > 0 ? x - 1 : 0)]; /* content moved one pixel east */
    uint64_t acc[CK_SHIFT_N] = {0}, cnt[CK_SHIFT_N] = {0};
    int dx = 9, dy = 9;
    ck_shift_cost(obs, mask, ref, W, H, 1, acc, cnt);
    CHECK(ck_shift_best(acc, cnt, 0.97, &dx, &dy) == 0 && dx == 1 && dy == 0, "one pixel east measured (%d, %d)", dx,
          dy);
    memset(acc, 0, sizeof acc);
    memset(cnt, 0, sizeof cnt);
    ck_shift_cost(same, mask, ref, W, H, 3, acc, cnt);
    CHECK(ck_shift_best(acc, cnt, 0.97, &dx, &dy) == 0 && dx == 0 && dy == 0, "no shift measured as none (%d, %d)", dx,
          dy);
}

/* River margins across a block's edges: the block's water and a frame of
 * its neighbours' (rows above and below, columns left and right) against a
 * brute-force square dilation of the whole frame, the river's core by
 * brute force too (its square all water, beyond the frame counted as
 * water); the water test of the reference's counts. */
enum {
    RV_W = 41,
    RV_HA = 5,
    RV_H = 23,
    RV_HB = 3,
    RV_HT = RV_HA + RV_H + RV_HB,
    RV_BANK = 2,
    RV_RIP = 5,
    RV_LX = 6,
    RV_BW = 31 /* the block's columns: [RV_LX, RV_LX + RV_BW), 4 beyond it on the right */
};
static int river_core_brute(const uint8_t *water, int y, int x, int K)
{
    for (int yy = y - K; yy <= y + K; yy++)
        for (int xx = x - K; xx <= x + K; xx++)
            if (yy >= 0 && yy < RV_HT && xx >= 0 && xx < RV_W && !water[yy * RV_W + xx])
                return 0;
    return 1;
}
/* pixels of the block whose flags differ from brute force; *edge: riparian
 * land pixels in the rows the frame above reaches; *stream: land pixels
 * 4-5 px beside the stream (columns 34-35, the frame's) without the
 * riparian flag; *side: riparian land pixels within reach of the frame's
 * columns on the left */
static int river_case(const uint8_t *water, int STREAM, int K, int *edge, int *stream, int *side)
{
    static uint8_t info[RV_BW * RV_H], scr[3 * RV_W * RV_HT], core[RV_W * RV_HT], frame[RV_W * RV_HT];
    const int W = RV_W, HA = RV_HA, H = RV_H, RIP = RV_RIP, BANK = RV_BANK, LX = RV_LX, BW = RV_BW;
    const ck_river_px r = {.bank = BANK, .stream = STREAM, .riparian = RIP, .core = K};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < BW; x++) /* a stale bank */
            info[y * BW + x] =
                (uint8_t)(CK_BI_SET | (water[(HA + y) * W + LX + x] ? CK_BI_WATER : 0) | CK_BI_BANK);
    memcpy(frame, water, sizeof frame);
    for (int y = 0; y < H; y++) /* the block's own water comes from its flags, not from the frame */
        memset(frame + (HA + y) * W + LX, 0, BW);
    for (int y = 0; y < RV_HT; y++)
        for (int x = 0; x < W; x++)
            core[y * W + x] = (uint8_t)(water[y * W + x] && river_core_brute(water, y, x, K));
    ck_base b;
    memset(&b, 0, sizeof b);
    b.info = info;
    ck_base_mark_river(&b, BW, H, frame, W, RV_HT, LX, HA, &r, scr);
    int bad = 0;
    *edge = *stream = *side = 0;
    for (int y = 0; y < H; y++)
        for (int bx = 0; bx < BW; bx++) {
            const int x = LX + bx; /* the frame's column */
            int bank = 0, rip = 0;
            for (int yy = y + HA - RIP - K; yy <= y + HA + RIP + K; yy++)
                for (int xx = x - RIP - K; xx <= x + RIP + K; xx++) {
                    const int in = yy >= 0 && yy < RV_HT && xx >= 0 && xx < W;
                    rip |= in && core[yy * W + xx];
                    const int dy = abs(yy - y - HA), dx = abs(xx - x), wet = in && water[yy * W + xx];
                    bank |= wet && dy <= BANK && dx <= BANK;
                    rip |= wet && dy <= STREAM && dx <= STREAM;
                }
            const uint8_t f = info[y * BW + bx];
            const int land = !water[(HA + y) * W + x];
            bad += !!(f & CK_BI_BANK) != bank || !!(f & CK_BI_RIPARIAN) != rip || !(f & CK_BI_SET);
            *edge += y < RIP && rip && land;
            *stream += (x == 29 || x == 30) && y > 8 && land && !(f & CK_BI_RIPARIAN);
            *side += bx < RIP && y > 12 && rip && land;
        }
    return bad;
}

static void test_river_halo(void)
{
    static uint8_t water[RV_W * RV_HT];
    const int W = RV_W;
    unsigned seed = 11;
    for (int i = 0; i < W * RV_HT; i++)
        water[i] = (lcg(&seed) >> 16) % 53 == 0;
    for (int y = 0; y < RV_HA; y++) /* a river along the edge, its last row just above the block */
        for (int x = 3; x < 30; x++)
            water[y * W + x] = 1;
    for (int y = RV_HA + 8; y < RV_HT; y++) /* a stream 2 px wide, 5 px from the block's side */
        for (int x = 34; x < 36; x++)
            water[y * W + x] = 1;
    for (int y = RV_HA + 10; y < RV_HT; y++) /* a river 6 px wide in the frame's columns left of the block */
        for (int x = 0; x < RV_LX; x++)
            water[y * W + x] = 1;
    int edge, stream, side;
    int bad = river_case(water, RV_RIP, 0, &edge, &stream, &side);
    CHECK(bad == 0 && edge > 20 && stream == 0 && side > 20,
          "river margins see the neighbours' rows and columns (%d differ from brute force; %d edge pixels, "
          "%d by the "
          "side; beside any water: %d beside the stream not riparian)",
          bad, edge, side, stream);
    bad = river_case(water, 3, 2, &edge, &stream, &side);
    CHECK(bad == 0 && edge > 20 && stream > 15 && side > 20,
          "the riparian strip beside a river's core, a narrower one beside a stream (%d differ from brute "
          "force; %d edge "
          "pixels, %d by the side; %d beside the stream not riparian)",
          bad, edge, side, stream);
    static uint8_t nref[6] = {0, 4, 4, 4, 9, 200}, nwat[6] = {0, 2, 3, 4, 5, 101}, w6[6];
    ck_ref_water(nref, nwat, 6, w6);
    CHECK(!w6[0] && !w6[1] && w6[2] && w6[3] && w6[4] && w6[5], "water when more than half of the observations: %d%d%d%d%d%d",
          w6[0], w6[1], w6[2], w6[3], w6[4], w6[5]);
}

int main(void)
{
    test_river_halo();
    test_quality();
    test_seasonal();
    test_expected_scalar();
    test_clear_update();
    test_recovery();
    test_shift();
    test_dn_q16();
    test_median_mad();
    test_days();
    test_confirmation();
    test_baseline();
    test_reflectance();
    test_dn_expand();
    test_indices();
    test_change_indices();
    test_mask();
    test_planes();
    test_preview();
    test_tiff_pred();
    return TEST_SUMMARY("kernels");
}
