/*
 * ck_quality.c - temporal haze and shadow-fringe tests, their dilation,
 * and the baseline neighbourhood minimum (see ck_quality.h).  Plain loops
 * over a chunk, no allocation.
 */
#include "ck_quality.h"

#include <math.h>

ck_quality_params ck_quality_params_default(void)
{
    ck_quality_params p = {
        .haze_blue_rise = 0.03f,
        .haze_blue_per_day = 0.0002f,
        .haze_blue_max = 0.08f,
        .shadow_ratio = 0.75f,
        .pond_mndwi = 0.0f,
        .suspect_px = 2,
    };
    return p;
}

CK_VEC void ck_quality_merge(const uint8_t *mask, const uint8_t *flags, size_t n, uint8_t *out, uint64_t counts[3])
{
    const uint8_t *restrict m = mask, *restrict f = flags;
    uint8_t *restrict o = out;
    for (size_t i0 = 0; i0 < n; i0 += (size_t)1 << 16) { /* 32-bit sums that vectorise */
        size_t i1 = i0 + ((size_t)1 << 16) < n ? i0 + ((size_t)1 << 16) : n;
        uint32_t h = 0, s = 0, x = 0;
        for (size_t i = i0; i < i1; i++) {
            uint8_t q = (uint8_t)(f[i] & -(uint8_t)(m[i] == 0)); /* the flags of pixels the SCL kept */
            h += (q & CK_M_HAZE) != 0;
            s += (q & CK_M_FRINGE) != 0;
            x += (q & CK_M_SUSPECT) != 0;
            o[i] = (uint8_t)(m[i] | q);
        }
        counts[0] += h;
        counts[1] += s;
        counts[2] += x;
    }
}

CK_VEC void ck_quality_test(const int16_t *blue, const int16_t *nir, const int16_t *swir, const float *water,
                            const float *ndvi, const uint8_t *mask, const uint8_t *ref_blue,
                            const uint8_t *ref_nir, const uint8_t *ref_swir, const uint16_t *last_clear,
                            size_t n, int day, const ck_quality_params *p, uint8_t *flags)
{
    const float rise = p->haze_blue_rise * 1e4f, per_day = p->haze_blue_per_day * 1e4f, rmax = p->haze_blue_max * 1e4f;
    const float ratio = p->shadow_ratio, pond = p->pond_mndwi;
    for (size_t i = 0; i < n; i++) { /* branch-free: it vectorises */
        const int tested = (mask[i] == 0) & (last_clear[i] != 0) & (ref_nir[i] != 0);
        float days = (float)(day - (int)last_clear[i]);
        float thr = rise + per_day * days;
        thr = thr < rmax ? thr : rmax;
        const float rb = (float)(ref_blue[i] * CK_REF8_STEP), rn = (float)(ref_nir[i] * CK_REF8_STEP);
        const float rs = (float)(ref_swir[i] * CK_REF8_STEP);
        float db = (float)blue[i] - rb, ds = (float)swir[i] - rs;
        float dn = (float)nir[i] - rn;
        /* haze adds to every band: SWIR and NIR do not fall (a pond darkens
         * both, a clearing darkens NIR, also where the 20 m SWIR is mixed) */
        int haze = (db > thr) & (db > ds) & (ds > -200.0f) & (dn > -300.0f);
        /* water is no shadow: the water index says so, or NIR below red where the
         * 20 m SWIR is mixed with the land beside (a shadow darkens red and
         * NIR alike, vegetation keeps NIR above red) */
        int wet = (water[i] > pond) | (ndvi[i] < 0.0f);
        int fringe = (rn > 500.0f) & ((float)nir[i] < ratio * rn) & ((float)swir[i] < ratio * rs) & !wet;
        flags[i] |= (uint8_t)(tested ? (haze ? CK_M_HAZE : fringe ? CK_M_FRINGE : 0) : 0);
    }
}

CK_VEC void ck_dilate_u8(const uint8_t *in, size_t w, size_t h, int r, uint8_t *out, uint8_t *scratch)
{
    /* separable square max, each pass a run of contiguous, vectorisable
     * loops: rows into scratch (one loop per offset), then columns into out */
    const size_t R = (size_t)(r > 0 ? r : 0);
    for (size_t y = 0; y < h; y++) {
        const uint8_t *restrict a = in + y * w;
        uint8_t *restrict s = scratch + y * w;
        for (size_t x = 0; x < w; x++)
            s[x] = a[x] != 0;
        for (size_t d = 1; d <= R && d < w; d++) {
            for (size_t x = 0; x + d < w; x++)
                s[x] |= a[x + d] != 0;
            for (size_t x = d; x < w; x++)
                s[x] |= a[x - d] != 0;
        }
    }
    for (size_t y = 0; y < h; y++) {
        size_t y0 = y >= R ? y - R : 0, y1 = y + R < h ? y + R : h - 1;
        uint8_t *restrict o = out + y * w;
        const uint8_t *restrict s0 = scratch + y0 * w;
        for (size_t x = 0; x < w; x++)
            o[x] = s0[x];
        for (size_t k = y0 + 1; k <= y1; k++) {
            const uint8_t *restrict s = scratch + k * w;
            for (size_t x = 0; x < w; x++)
                o[x] |= s[x];
        }
    }
}

void ck_quality_suspect(uint8_t *flags, size_t w, size_t h, int r, uint8_t *scratch, uint8_t *scratch2)
{
    const size_t n = w * h;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        scratch2[i] = (uint8_t)((flags[i] & (CK_M_HAZE | CK_M_FRINGE)) != 0);
        any |= scratch2[i];
    }
    if (!any || r <= 0)
        return;
    ck_dilate_u8(scratch2, w, h, r, scratch2, scratch);
    for (size_t i = 0; i < n; i++)
        flags[i] |= (uint8_t)(((scratch2[i] != 0) & !(flags[i] & (CK_M_HAZE | CK_M_FRINGE))) ? CK_M_SUSPECT : 0);
}

/* no data counts as +inf in a minimum */
static inline int16_t nd_inf(int16_t v) { return v == CK_NODATA_I16 ? INT16_MAX : v; }
static inline int16_t min3_i16(int16_t a, int16_t b, int16_t c)
{
    int16_t m = a < b ? a : b;
    return m < c ? m : c;
}

CK_VEC void ck_min3x3_i16(const int16_t *in, size_t w, size_t h, int16_t *out, int16_t *scratch)
{
    /* separable: rows' minima of 3 into scratch, then minima of 3 rows of
     * those into out; no data counts as +inf */
    enum { NONE = INT16_MAX };
    for (size_t y = 0; y < h; y++) {
        const int16_t *restrict a = in + y * w;
        int16_t *restrict o = scratch + y * w;
        /* the ends have one neighbour; the inside is branch-free */
        o[0] = min3_i16(nd_inf(a[0]), nd_inf(a[0]), w > 1 ? nd_inf(a[1]) : nd_inf(a[0]));
        for (size_t x = 1; x + 1 < w; x++)
            o[x] = min3_i16(nd_inf(a[x - 1]), nd_inf(a[x]), nd_inf(a[x + 1]));
        if (w > 1)
            o[w - 1] = min3_i16(nd_inf(a[w - 2]), nd_inf(a[w - 1]), nd_inf(a[w - 1]));
    }
    for (size_t y = 0; y < h; y++) {
        const int16_t *restrict u = scratch + (y ? y - 1 : y) * w, *restrict c = scratch + y * w;
        const int16_t *restrict d = scratch + (y + 1 < h ? y + 1 : y) * w;
        int16_t *restrict o = out + y * w;
        for (size_t x = 0; x < w; x++) {
            int16_t m = u[x] < c[x] ? u[x] : c[x];
            m = m < d[x] ? m : d[x];
            o[x] = m == NONE ? CK_NODATA_I16 : m;
        }
    }
}

static inline uint8_t ref8(int16_t x)
{
    int q = (x + CK_REF8_STEP / 2) / CK_REF8_STEP;
    q = q < 1 ? 1 : q;
    return (uint8_t)(q > 255 ? 255 : q);
}

CK_VEC void ck_quality_ref_update(const uint8_t *restrict m, const int16_t *restrict bl, const int16_t *restrict ni,
                                  const int16_t *restrict sw, size_t n, uint8_t *restrict rb, uint8_t *restrict rn,
                                  uint8_t *restrict rs)
{
    for (size_t i = 0; i < n; i++) { /* branch-free: it vectorises */
        const uint8_t k = (uint8_t)-((m[i] == 0) & (ni[i] != 0)); /* 0xff where clear */
        /* round to the step, 1..255 (0 means none) */
        rb[i] = (uint8_t)((ref8(bl[i]) & k) | (rb[i] & ~k));
        rn[i] = (uint8_t)((ref8(ni[i]) & k) | (rn[i] & ~k));
        rs[i] = (uint8_t)((ref8(sw[i]) & k) | (rs[i] & ~k));
    }
}

CK_VEC void ck_shift_cost(const int16_t *obs, const uint8_t *mask, const uint8_t *ref, size_t w, size_t h, int step,
                          uint64_t acc[CK_SHIFT_N], uint64_t cnt[CK_SHIFT_N])
{
    /* sampled rows, every column: the inner loop is contiguous and
     * branch-free; a row's sums fit 32 bits (w x 65535 < 2^32) */
    const size_t R = CK_SHIFT_R, st = (size_t)(step > 0 ? step : 1);
    if (w <= 2 * R || h <= 2 * R)
        return;
    for (size_t y = R; y + R < h; y += st)
        for (int dy = -(int)R; dy <= (int)R; dy++)
            for (int dx = -(int)R; dx <= (int)R; dx++) {
                const uint8_t *restrict rr = ref + y * w + R;
                const size_t off = (size_t)((long)y + dy) * w + (size_t)((long)R + dx);
                const int16_t *restrict oo = obs + off;
                const uint8_t *restrict mm = mask + off;
                const size_t nx = w - 2 * R;
                uint32_t s = 0, n = 0;
                for (size_t x = 0; x < nx; x++) {
                    uint32_t ok = (uint32_t)((mm[x] == 0) & (rr[x] != 0));
                    int32_t d = (int32_t)oo[x] - (int32_t)rr[x] * CK_REF8_STEP;
                    uint32_t ad = (uint32_t)(d < 0 ? -d : d);
                    s += ok * ad;
                    n += ok;
                }
                int k = (dy + (int)R) * (2 * (int)R + 1) + dx + (int)R;
                acc[k] += s;
                cnt[k] += n;
            }
}

int ck_shift_best(const uint64_t acc[CK_SHIFT_N], const uint64_t cnt[CK_SHIFT_N], double ratio, int *dx, int *dy)
{
    const int side = 2 * CK_SHIFT_R + 1, zero = CK_SHIFT_R * side + CK_SHIFT_R;
    *dx = *dy = 0;
    if (!cnt[zero])
        return -1;
    double c0 = (double)acc[zero] / (double)cnt[zero], best = c0;
    int kb = zero;
    for (int k = 0; k < CK_SHIFT_N; k++)
        if (cnt[k] && (double)acc[k] / (double)cnt[k] < best) {
            best = (double)acc[k] / (double)cnt[k];
            kb = k;
        }
    if (kb != zero && best < ratio * c0) {
        *dy = kb / side - CK_SHIFT_R;
        *dx = kb % side - CK_SHIFT_R;
    }
    return 0;
}
