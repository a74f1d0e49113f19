/*
 * ck_change.c - reference slots, robust baseline and GLAD-style
 * confirmation per pixel.  Called per strip from the nightly job; every
 * function is a plain loop over n pixels with no allocation.
 */
#include "ck_change.h"
#include "ck_quality.h"

#include <math.h>
#include <string.h>
#include <stdio.h>

ck_change_params ck_change_params_default(void)
{
    ck_change_params p = {
        .k_spread = 3.0f,
        .ndvi_dmin = 0.15f,
        .nbr_dmin = 0.20f,
        .ndvi_max_after = 0.6f,
        .clearcut_drop = 0.25f,
        .forest_min = 0.6f,
        .chakra_drop = 0.25f,
        .chakra_ndvi_max = 0.5f,
        .bsi_bare = 0.05f,
        .ndvi_bare = 0.3f,
        .mndwi_pond = 0.0f,
        .confirm_n = 2,
        .window_obs = 4,
        .window_days = 180,
        .nbr_evidence = 0.10f,
        .bank_px = 2,
        .recover_n = 3,
        .recover_days = 240,
    };
    p.quality = ck_quality_params_default();
    return p;
}

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

#define CK_DAY0 16435L /* days_from_civil(2014, 12, 31) */

int ck_day_from_ymd(int y, int m, int d)
{
    if (y < 2015 || y > 2150 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    long z = days_from_civil(y, m, d);
    int yy, mm, dd;
    ck_day_to_ymd((int)(z - CK_DAY0), &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d) /* 31 February and the like */
        return 0;
    return (int)(z - CK_DAY0);
}

void ck_day_to_ymd(int day, int *y, int *m, int *d)
{
    long z = day + CK_DAY0 + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long dd = doy - (153 * mp + 2) / 5 + 1;
    long mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

int ck_day_parse(const char *s)
{
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return 0;
    if (s[10] != '\0')
        return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    return ck_day_from_ymd(y, (s[5] - '0') * 10 + (s[6] - '0'), (s[8] - '0') * 10 + (s[9] - '0'));
}

void ck_day_format(int day, char *buf)
{
    int y, m, d;
    if (day <= 0) {
        buf[0] = '\0';
        return;
    }
    ck_day_to_ymd(day, &y, &m, &d);
    snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
}

static inline int16_t q16(float v) { return (int16_t)lrintf(v * 10000.0f); }
static inline uint8_t sat_inc(uint8_t v, int by) { return (uint8_t)(v + by > 255 ? 255 : v + by); }

#define CK_YEAR_DAYS 365.2425
/* the annual phase of a day: the same for every pixel of a scene */
static void annual(int day, double *c, double *s)
{
    double a = 2.0 * M_PI * (double)day / CK_YEAR_DAYS;
    *c = cos(a);
    *s = sin(a);
}

static inline int16_t h100(double v) { return (int16_t)lrint(v * 100.0); }

/* The reference's planes of a pixel are n apart; when n is a power of two
 * (a chunk of 16 x 2048) all some thirty of them fall in the same cache
 * set, and a pixel at a time misses the cache on every one.  The kernels
 * that go a pixel at a time through them take a block of FB pixels, its
 * planes copied in and out together (FB apart). */
#define FB 64
/* `planes` planes of m pixels (el bytes each) from one layout, planes
 * from_n apart, to another, planes to_n apart. */
static void planes_copy(void *to, size_t to_n, const void *from, size_t from_n, int planes, size_t m,
                        size_t el)
{
    for (int k = 0; k < planes; k++)
        memcpy((uint8_t *)to + (size_t)k * to_n * el, (const uint8_t *)from + (size_t)k * from_n * el,
               m * el);
}

typedef struct {
    int16_t rn[CK_REF_SLOTS * FB], rb[CK_REF_SLOTS * FB], hs[CK_HSUMS * FB];
    uint8_t nref[FB], nwat[FB];
} ref_block;

/* The reference planes of pixels [i0, i0 + m) into k (store 0), or back (1). */
static void ref_block_io(ref_block *k, ck_base *b, size_t n, size_t i0, size_t m, int store)
{
    if (store) {
        planes_copy(b->ref_ndvi + i0, n, k->rn, FB, CK_REF_SLOTS, m, 2);
        planes_copy(b->ref_nbr + i0, n, k->rb, FB, CK_REF_SLOTS, m, 2);
        planes_copy(b->hsum + i0, n, k->hs, FB, CK_HSUMS, m, 2);
        memcpy(b->nref + i0, k->nref, m);
        memcpy(b->nwater + i0, k->nwat, m);
    } else {
        planes_copy(k->rn, FB, b->ref_ndvi + i0, n, CK_REF_SLOTS, m, 2);
        planes_copy(k->rb, FB, b->ref_nbr + i0, n, CK_REF_SLOTS, m, 2);
        planes_copy(k->hs, FB, b->hsum + i0, n, CK_HSUMS, m, 2);
        memcpy(k->nref, b->nref + i0, m);
        memcpy(k->nwat, b->nwater + i0, m);
    }
}

/* A view of block k as a ck_base of FB pixels (the reference's planes only). */
static ck_base ref_block_base(ref_block *k)
{
    return (ck_base){.ref_ndvi = k->rn, .ref_nbr = k->rb, .hsum = k->hs, .nref = k->nref, .nwater = k->nwat};
}

void ck_ref_add(const ck_obs *o, size_t n, int day, ck_base *b)
{
    double cd, sd;
    annual(day, &cd, &sd);
    const int16_t qc = h100(cd), qs = h100(sd), qcc = h100(cd * cd), qss = h100(sd * sd), qcs = h100(cd * sd);
    ref_block k;
    ck_base l = ref_block_base(&k);
    for (size_t i0 = 0; i0 < n; i0 += FB) {
        const size_t m = n - i0 < FB ? n - i0 : FB;
        ref_block_io(&k, b, n, i0, m, 0);
        for (size_t j = 0; j < m; j++) {
            const size_t i = i0 + j;
            float v = o->ndvi[i], r = o->nbr[i];
            if (o->mask[i] || isnan(v) || isnan(r))
                continue;
            size_t slot = (size_t)(l.nref[j] % CK_REF_SLOTS);
            l.ref_ndvi[slot * FB + j] = q16(v);
            l.ref_nbr[slot * FB + j] = q16(r);
            if (l.nref[j] < 255) { /* int16 hundredths hold 255 terms of |x| <= 1 */
                int16_t *h = l.hsum;
                const int16_t add[CK_HSUMS] = {qc, qs, qcc, qss, qcs, h100(v), h100(v * cd), h100(v * sd),
                                               h100((double)v * v), h100(r), h100(r * cd), h100(r * sd),
                                               h100((double)r * r)};
                for (int q = 0; q < CK_HSUMS; q++)
                    h[(size_t)q * FB + j] = (int16_t)(h[(size_t)q * FB + j] + add[q]);
            }
            l.nref[j] = sat_inc(l.nref[j], 1);
            l.nwater[j] = sat_inc(l.nwater[j], o->water[i] > 0.0f);
        }
        ref_block_io(&k, b, n, i0, m, 1);
    }
}

void ck_median_mad(int16_t *v, int n, int16_t *median, float *mad)
{
    for (int i = 1; i < n; i++) /* insertion sort: n <= 8 */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int16_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    int32_t med2 = n & 1 ? 2 * v[n / 2] : v[n / 2 - 1] + v[n / 2]; /* twice the median */
    int32_t dev[CK_REF_SLOTS] = {0};
    for (int i = 0; i < n; i++) {
        int32_t d = 2 * v[i] - med2;
        dev[i] = d < 0 ? -d : d;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && dev[j - 1] > dev[j]; j--) {
            int32_t t = dev[j];
            dev[j] = dev[j - 1];
            dev[j - 1] = t;
        }
    int32_t mad4 = n & 1 ? 2 * dev[n / 2] : dev[n / 2 - 1] + dev[n / 2]; /* 4 x MAD */
    /* median of two int16 values rounds half away from zero */
    *median = (int16_t)(med2 >= 0 ? (med2 + 1) / 2 : -((-med2 + 1) / 2));
    *mad = 1.4826f * (float)mad4 / 4.0f;
}

static uint8_t spread_u8(float mad_x10000)
{
    float s = mad_x10000 / (10000.0f * CK_SPREAD_STEP);
    return (uint8_t)(s >= 255.0f ? 255 : lrintf(s));
}

/* Least squares y = b0 + bc cos + bs sin from the sums of pixel i (Cramer's
 * rule on the 3 x 3 normal equations); 0 when the dates do not cover the
 * year well enough (normalised determinant). Residual sigma in *sd. */
static int harm_fit(const int16_t *h, size_t n, size_t i, int nobs, int which, double beta[3], double *sd)
{
    const double N = nobs, C = h[0 * n + i] / 100.0, S = h[1 * n + i] / 100.0, CC = h[2 * n + i] / 100.0,
                 SS = h[3 * n + i] / 100.0, CS = h[4 * n + i] / 100.0;
    const int o = which ? 9 : 5;
    const double Y = h[(size_t)o * n + i] / 100.0, YC = h[(size_t)(o + 1) * n + i] / 100.0,
                 YS = h[(size_t)(o + 2) * n + i] / 100.0, YY = h[(size_t)(o + 3) * n + i] / 100.0;
    double det = N * (CC * SS - CS * CS) - C * (C * SS - CS * S) + S * (C * CS - CC * S);
    if (nobs < CK_HARM_MIN_OBS || det / (N * N * N) < 0.02)
        return 0;
    beta[0] = (Y * (CC * SS - CS * CS) - C * (YC * SS - CS * YS) + S * (YC * CS - CC * YS)) / det;
    beta[1] = (N * (YC * SS - CS * YS) - Y * (C * SS - CS * S) + S * (C * YS - YC * S)) / det;
    beta[2] = (N * (CC * YS - YC * CS) - C * (C * YS - YC * S) + Y * (C * CS - CC * S)) / det;
    double rss = YY - (beta[0] * Y + beta[1] * YC + beta[2] * YS);
    *sd = sqrt((rss > 0 ? rss : 0) / (N - 3));
    return 1;
}

/* The seasonal baseline of pixel i when its data support one. */
static int finalize_seasonal(ck_base *b, size_t n, size_t i, int nobs)
{
    double bn[3], br[3], sn, sr;
    if (!harm_fit(b->hsum, n, i, nobs, 0, bn, &sn) || !harm_fit(b->hsum, n, i, nobs, 1, br, &sr))
        return 0;
    double amp = hypot(bn[1], bn[2]), se = sn * sqrt(2.0 / nobs);
    if (amp < 0.05 || amp < 3.0 * se)
        return 0; /* aseasonal: the median serves it better */
    b->ndvi[i] = q16((float)bn[0]);
    b->nbr[i] = q16((float)br[0]);
    b->harm[0 * n + i] = q16((float)bn[1]);
    b->harm[1 * n + i] = q16((float)bn[2]);
    b->harm[2 * n + i] = q16((float)br[1]);
    b->harm[3 * n + i] = q16((float)br[2]);
    b->spr_ndvi[i] = spread_u8((float)(sn * 1e4));
    b->spr_nbr[i] = spread_u8((float)(sr * 1e4));
    return 1;
}

/* Baseline water: observed, and water on more than half of the observations. */
static inline int ref_is_water(uint8_t nref, uint8_t nwater) { return (nref > 0) & (2 * nwater > nref); }

/* Pixel i of planes n apart: the baseline from its reference. */
static void finalize_px(ck_base *b, size_t n, size_t i)
{
    for (int k = 0; k < CK_HARMS; k++)
        b->harm[(size_t)k * n + i] = 0;
    int cnt = b->nref[i] < CK_REF_SLOTS ? b->nref[i] : CK_REF_SLOTS;
    int16_t vn[CK_REF_SLOTS], vb[CK_REF_SLOTS];
    for (int k = 0; k < cnt; k++) {
        vn[k] = b->ref_ndvi[(size_t)k * n + i];
        vb[k] = b->ref_nbr[(size_t)k * n + i];
    }
    for (int k = 0; k < CK_REF_SLOTS; k++)
        b->ref_ndvi[(size_t)k * n + i] = b->ref_nbr[(size_t)k * n + i] = 0;
    if (cnt == 0) {
        b->ndvi[i] = b->nbr[i] = CK_NODATA_I16;
        b->spr_ndvi[i] = b->spr_nbr[i] = 0;
        b->info[i] = 0;
    } else {
        if (!finalize_seasonal(b, n, i, b->nref[i])) {
            float mn, mb;
            ck_median_mad(vn, cnt, &b->ndvi[i], &mn);
            ck_median_mad(vb, cnt, &b->nbr[i], &mb);
            b->spr_ndvi[i] = spread_u8(mn);
            b->spr_nbr[i] = spread_u8(mb);
        }
        b->info[i] = (uint8_t)(cnt | CK_BI_SET | (ref_is_water(b->nref[i], b->nwater[i]) ? CK_BI_WATER : 0));
    }
    for (int k = 0; k < CK_HSUMS; k++)
        b->hsum[(size_t)k * n + i] = 0;
    b->nref[i] = b->nwater[i] = 0;
}

void ck_base_finalize(ck_base *b, size_t n)
{
    ref_block k; /* a block at a time (above), the baseline's planes too */
    int16_t harm[CK_HARMS * FB], nd[FB], nb[FB];
    uint8_t sn[FB], sb[FB], info[FB];
    ck_base l = ref_block_base(&k);
    l.ndvi = nd;
    l.nbr = nb;
    l.harm = harm;
    l.spr_ndvi = sn;
    l.spr_nbr = sb;
    l.info = info;
    for (size_t i0 = 0; i0 < n; i0 += FB) {
        const size_t m = n - i0 < FB ? n - i0 : FB;
        ref_block_io(&k, b, n, i0, m, 0);
        for (size_t j = 0; j < m; j++)
            finalize_px(&l, FB, j);
        ref_block_io(&k, b, n, i0, m, 1); /* all zero now */
        planes_copy(b->harm + i0, n, harm, FB, CK_HARMS, m, 2);
        memcpy(b->ndvi + i0, nd, m * 2);
        memcpy(b->nbr + i0, nb, m * 2);
        memcpy(b->spr_ndvi + i0, sn, m);
        memcpy(b->spr_nbr + i0, sb, m);
        memcpy(b->info + i0, info, m);
    }
}

/* base + c x hc + s x hs of m pixels, rounded as lrintf would, in one
 * branch-free loop that vectorises; no data kept. */
static inline void expected_plane(const int16_t *restrict base, const int16_t *restrict hc,
                                  const int16_t *restrict hs, size_t m, float c, float s, int16_t *restrict out)
{
    for (size_t i = 0; i < m; i++) {
        const float v = (float)base[i] + c * (float)hc[i] + s * (float)hs[i]; /* |v| < 3 x 2^15 */
        const int16_t e = (int16_t)(int32_t)ck_round_even(v);
        out[i] = base[i] == CK_NODATA_I16 ? CK_NODATA_I16 : e;
    }
}

CK_VEC void ck_base_expected(const ck_base *b, size_t n, int day, int16_t *ndvi, int16_t *nbr)
{
    double cd, sd;
    annual(day, &cd, &sd);
    const float c = (float)cd, s = (float)sd;
    expected_plane(b->ndvi, b->harm, b->harm + n, n, c, s, ndvi);
    expected_plane(b->nbr, b->harm + 2 * n, b->harm + 3 * n, n, c, s, nbr);
}

void ck_ref_water(const uint8_t *nref, const uint8_t *nwater, size_t n, uint8_t *water)
{
    for (size_t i = 0; i < n; i++) /* as ck_base_finalize sets CK_BI_WATER */
        water[i] = (uint8_t)ref_is_water(nref[i], nwater[i]);
}

void ck_base_mark_river(ck_base *b, size_t w, size_t h, const uint8_t *frame, size_t ew, size_t eh, size_t ox,
                        size_t oy, const ck_river_px *r, uint8_t *scratch)
{
    const size_t N = ew * eh;
    uint8_t *water = scratch, *near = scratch + N, *tmp = scratch + 2 * N;
    memcpy(water, frame, N);
    for (size_t y = 0; y < h; y++) /* the block's own water, from its baseline */
        for (size_t x = 0; x < w; x++)
            water[(oy + y) * ew + ox + x] = (uint8_t)((b->info[y * w + x] & CK_BI_WATER) != 0);
    /* bits of the block from plane p (its pixels at (ox, oy)): cleared, or only set */
#define MARK(p, bit, clear)                                                                                  \
    for (size_t y = 0; y < h; y++)                                                                           \
        for (size_t x = 0; x < w; x++) {                                                                     \
            uint8_t *f_ = &b->info[y * w + x];                                                               \
            *f_ = (uint8_t)(((clear) ? *f_ & ~(bit) : *f_) | ((p)[(oy + y) * ew + ox + x] ? (bit) : 0));     \
        }
    ck_dilate_u8(water, ew, eh, r->bank, near, tmp);
    MARK(near, CK_BI_BANK, 1);
    ck_dilate_u8(water, ew, eh, r->stream, near, tmp);
    MARK(near, CK_BI_RIPARIAN, 1);
    if (r->core > 0) { /* the river's core: the water eroded (the land dilated; beyond the frame, water) */
        for (size_t i = 0; i < N; i++)
            near[i] = !water[i];
        ck_dilate_u8(near, ew, eh, r->core, water, tmp);
        for (size_t i = 0; i < N; i++)
            water[i] = !water[i];
    }
    ck_dilate_u8(water, ew, eh, r->core + r->riparian, near, tmp);
    MARK(near, CK_BI_RIPARIAN, 0);
#undef MARK
}

/* A pixel this observation saw clear: not masked, its NDVI defined (v == v:
 * not NaN); branch-free, so the loops that test it vectorise. */
static inline int seen_clear(uint8_t mask, float ndvi) { return (mask == 0) & (ndvi == ndvi); }

CK_VEC void ck_clear_update(const uint8_t *mask, const float *ndvi, size_t n, int day, uint16_t *last_clear)
{
    const uint8_t *restrict m = mask;
    const float *restrict v = ndvi;
    uint16_t *restrict lc = last_clear;
    for (size_t i = 0; i < n; i++)
        lc[i] = seen_clear(m[i], v[i]) ? (uint16_t)day : lc[i];
}

static float maxf(float a, float b) { return a > b ? a : b; }

/* The anomaly test of one clear observation v against its lowest 3 x 3
 * expected neighbour `low` (a shifted date is no change), the pixel's NDVI
 * threshold and its NBR (r, NaN when unknown) against the NBR expected
 * today, and its water index.  Branch-free, so the screen below vectorises. */
static inline int anom_test(const ck_change_params *p, float v, float mean, float low, float thr,
                            uint8_t info, uint8_t chakra, float r, float nbr_base, float wi)
{
    const float drop = low - v;
    const int canopy = (mean >= p->forest_min) & !(info & CK_BI_WATER);
    const int in_chakra = canopy & (drop > maxf(thr, p->chakra_drop)) & (v < p->chakra_ndvi_max);
    const int outside = canopy & (((drop > thr) & (v < p->ndvi_max_after)) | (drop > p->clearcut_drop));
    const float nbr_drop = r != r ? 0.0f : nbr_base - r;
    /* the SWIR agrees; or the land became water (the water index says so and NIR
     * fell below red, which neither haze nor a shadow does), whose NBR is
     * a ratio of two near-zero reflectances and says nothing */
    const int water = (wi > p->mndwi_pond) & (v < 0.0f);
    return (chakra ? in_chakra : outside) & ((nbr_drop > p->nbr_evidence) | water);
}

/* An anomaly threshold: k x the pixel's spread (CK_SPREAD_STEP units), at least dmin. */
static inline float spread_thr(const ck_change_params *p, uint8_t spread, float dmin)
{
    return maxf(p->k_spread * CK_SPREAD_STEP * (float)spread, dmin);
}

/* The expected values of a day: the harmonic's (ck_base_expected) or the
 * plain baseline, and the lowest of the neighbourhood or the same. */
typedef struct {
    const int16_t *ndvi, *min3, *nbr;
} expect_t;

static expect_t expect_of(const ck_obs *o, const ck_base *b)
{
    expect_t e;
    e.ndvi = o->base_ndvi_day ? o->base_ndvi_day : b->ndvi;
    e.min3 = o->base_min3 ? o->base_min3 : e.ndvi; /* without it, low = base */
    e.nbr = o->base_nbr_day ? o->base_nbr_day : b->nbr;
    return e;
}

static inline float low_of(const expect_t *e, size_t i, float base)
{
    return e->min3[i] != CK_NODATA_I16 ? (float)e->min3[i] * 1e-4f : base;
}

/* Pixel i with an open event or a new anomaly (the sparse few): the
 * event's counts, confirmation, expiry and recovery.  anom: the screen's
 * anomaly test of today's clear observation (0 when not clear). */
static void event_update(const ck_obs *o, const expect_t *e, size_t i, int day, int anom, const ck_change_params *p,
                         const ck_base *b, ck_dyn *d)
{
    uint8_t st = d->status[i];
    if (st == CK_ST_CANDIDATE && day - (int)d->first_day[i] > p->window_days)
        st = CK_ST_EXPIRED; /* ran out of time, clear or not */
    const float v = o->ndvi[i];
    const uint8_t info = b->info[i];
    if (o->mask[i] || v != v || !(info & CK_BI_SET) ||
        (!anom && (st == CK_ST_NONE || st == CK_ST_EXPIRED || st == CK_ST_REVERTED))) {
        d->status[i] = st;
        return;
    }
    const float base = (float)e->ndvi[i] * 1e-4f, thr = spread_thr(p, b->spr_ndvi[i], p->ndvi_dmin);
    const float r = o->nbr[i], nbr_base = (float)e->nbr[i] * 1e-4f;
    float nthr = spread_thr(p, b->spr_nbr[i], p->nbr_dmin);
    int nbr_ok = anom && !isnan(r) && nbr_base - r > nthr;
    /* back at the expectation (within three quarters of the anomaly
     * thresholds, NDVI and NBR): the recovery of a dry spell or a winter */
    int normal = !anom && base - v <= 0.75f * thr && !isnan(r) && nbr_base - r <= 0.75f * nthr;
    int bare = o->bsi[i] > p->bsi_bare || v < p->ndvi_bare;
    int pond = o->water[i] > p->mndwi_pond && !(info & CK_BI_BANK);
    switch (st) {
    case CK_ST_NONE:
    case CK_ST_EXPIRED:
    case CK_ST_REVERTED: /* anom: a new event */
        d->n_rec[i] = 0;
        st = CK_ST_CANDIDATE;
        d->first_day[i] = (uint16_t)day;
        d->conf_day[i] = 0;
        d->n_next[i] = 0;
        d->n_anom[i] = 1;
        d->n_nbr[i] = (uint8_t)nbr_ok;
        d->n_bare[i] = (uint8_t)bare;
        d->n_pond[i] = (uint8_t)pond;
        d->last_ndvi[i] = q16(v);
        break;
    case CK_ST_CANDIDATE:
    case CK_ST_CONFIRMED:
        d->n_next[i] = sat_inc(d->n_next[i], 1);
        d->n_anom[i] = sat_inc(d->n_anom[i], anom);
        d->n_nbr[i] = sat_inc(d->n_nbr[i], nbr_ok);
        d->n_bare[i] = sat_inc(d->n_bare[i], bare);
        d->n_pond[i] = sat_inc(d->n_pond[i], pond);
        d->last_ndvi[i] = q16(v);
        d->n_rec[i] = normal ? sat_inc(d->n_rec[i], 1) : anom ? 0 : d->n_rec[i];
        if (st == CK_ST_CONFIRMED && d->n_rec[i] >= p->recover_n && day - (int)d->first_day[i] <= p->recover_days)
            st = CK_ST_REVERTED;
        if (st == CK_ST_CANDIDATE) {
            if (d->n_anom[i] - 1 >= p->confirm_n) {
                st = CK_ST_CONFIRMED;
                d->conf_day[i] = (uint16_t)day;
            } else if (d->n_next[i] >= p->window_obs ||
                       d->n_anom[i] - 1 + (p->window_obs - d->n_next[i]) < p->confirm_n) {
                st = CK_ST_EXPIRED; /* cannot reach confirm_n any more */
            }
        }
        break;
    default:
        break;
    }
    d->status[i] = st;
}

#define SCREEN_PX 1024 /* pixels screened at a time, their flags in L1 */

/* Nearly every pixel has no open event and nothing new: a branch-free
 * pass (vectorised) records the clear observation's date and marks the
 * few pixels event_update must see; those then go one by one. */
CK_VEC size_t ck_change_update(const ck_obs *o, size_t n, int day, const ck_change_params *p, const ck_base *b,
                               ck_dyn *d)
{
    size_t events = 0;
    static const uint8_t no_chakra[SCREEN_PX];
    const expect_t e = expect_of(o, b);
    uint8_t todo[SCREEN_PX];
    for (size_t i0 = 0; i0 < n; i0 += SCREEN_PX) {
        const size_t m = n - i0 < SCREEN_PX ? n - i0 : SCREEN_PX;
        const uint8_t *ch = o->chakra ? o->chakra + i0 : no_chakra;
        for (size_t k = 0; k < m; k++) {
            const size_t i = i0 + k;
            const uint8_t st = d->status[i], info = b->info[i];
            const float v = o->ndvi[i];
            const int clear = seen_clear(o->mask[i], v);
            d->last_clear[i] = clear ? (uint16_t)day : d->last_clear[i];
            const float mean = (float)b->ndvi[i] * 1e-4f, base = (float)e.ndvi[i] * 1e-4f;
            const int anom =
                clear & ((info & CK_BI_SET) != 0) &
                anom_test(p, v, mean, low_of(&e, i, base), spread_thr(p, b->spr_ndvi[i], p->ndvi_dmin), info,
                          ch[k], o->nbr[i], (float)e.nbr[i] * 1e-4f, o->water[i]);
            const int open = (st == CK_ST_CANDIDATE) | (st == CK_ST_CONFIRMED);
            todo[k] = (uint8_t)(open | (anom << 1)); /* bit 0: an open event, bit 1: a new anomaly */
        }
        for (size_t k = 0; k < m; k++)
            if (todo[k]) {
                event_update(o, &e, i0 + k, day, todo[k] >> 1, p, b, d);
                events++;
            }
    }
    return events;
}

CK_VEC void ck_observation_flags(const uint8_t *mask, const float *ndvi, const uint16_t *last_clear, size_t n,
                                 uint8_t *clear, uint8_t *never)
{
    const uint8_t *restrict m = mask;
    const float *restrict v = ndvi;
    const uint16_t *restrict lc = last_clear;
    uint8_t *restrict c = clear;
    uint8_t *restrict nv = never;
    for (size_t i = 0; i < n; i++) {
        c[i] = (uint8_t)seen_clear(m[i], v[i]);
        nv[i] = (uint8_t)(lc[i] == 0);
    }
}

CK_VEC void ck_observation_record(const uint8_t *mask, const uint8_t *clear, size_t n, uint8_t *rec)
{
    const uint8_t *restrict m = mask, *restrict c = clear;
    uint8_t *restrict r = rec;
    for (size_t i = 0; i < n; i++)
        r[i] = (uint8_t)(m[i] | ((m[i] == 0) & (c[i] == 0)));
}
