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

CK_VEC void ck_q16_plane(const float *v, size_t n, int16_t *out)
{
    const float *restrict a = v;
    int16_t *restrict o = out;
    for (size_t i = 0; i < n; i++) {
        float x = a[i] * 10000.0f;
        x = x == x ? x : 0.0f; /* NaN: none */
        x = x > 32767.0f ? 32767.0f : x < -32767.0f ? -32767.0f : x;
        o[i] = (int16_t)lrintf(x);
    }
}

CK_VEC void ck_quality_test(const int16_t *blue, const int16_t *nir, const int16_t *swir, const float *mndwi,
                            const uint8_t *mask, const int16_t *ref_blue, const int16_t *ref_nir,
                            const int16_t *ref_swir, const uint16_t *last_clear, size_t n, int day,
                            const ck_quality_params *p, uint8_t *flags)
{
    const float rise = p->haze_blue_rise * 1e4f, per_day = p->haze_blue_per_day * 1e4f, rmax = p->haze_blue_max * 1e4f;
    const float ratio = p->shadow_ratio, pond = p->pond_mndwi;
    for (size_t i = 0; i < n; i++) {
        if (mask[i] || last_clear[i] == 0 || ref_nir[i] == 0)
            continue;
        float days = (float)(day - (int)last_clear[i]);
        float thr = rise + per_day * days;
        thr = thr < rmax ? thr : rmax;
        float db = (float)blue[i] - (float)ref_blue[i], ds = (float)swir[i] - (float)ref_swir[i];
        float dn = (float)nir[i] - (float)ref_nir[i];
        /* haze adds to every band: SWIR and NIR do not fall (a pond darkens
         * both, a clearing darkens NIR, also where the 20 m SWIR is mixed) */
        int haze = db > thr && db > ds && ds > -200.0f && dn > -300.0f;
        int fringe = (float)ref_nir[i] > 500.0f && (float)nir[i] < ratio * (float)ref_nir[i] &&
                     (float)swir[i] < ratio * (float)ref_swir[i] && !(mndwi[i] > pond);
        flags[i] |= (uint8_t)(haze ? CK_M_HAZE : fringe ? CK_M_FRINGE : 0);
    }
}

void ck_dilate_u8(const uint8_t *in, size_t w, size_t h, int r, uint8_t *out, uint8_t *scratch)
{
    /* separable square max: rows into scratch, then columns into out */
    for (size_t y = 0; y < h; y++) {
        const uint8_t *a = in + y * w;
        uint8_t *s = scratch + y * w;
        for (size_t x = 0; x < w; x++) {
            size_t x0 = x >= (size_t)r ? x - (size_t)r : 0, x1 = x + (size_t)r < w ? x + (size_t)r : w - 1;
            uint8_t m = 0;
            for (size_t k = x0; k <= x1; k++)
                m |= a[k] != 0;
            s[x] = m;
        }
    }
    for (size_t y = 0; y < h; y++) {
        size_t y0 = y >= (size_t)r ? y - (size_t)r : 0, y1 = y + (size_t)r < h ? y + (size_t)r : h - 1;
        uint8_t *o = out + y * w;
        for (size_t x = 0; x < w; x++)
            o[x] = 0;
        for (size_t k = y0; k <= y1; k++) {
            const uint8_t *s = scratch + k * w;
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
        if (scratch2[i] && !(flags[i] & (CK_M_HAZE | CK_M_FRINGE)))
            flags[i] |= CK_M_SUSPECT;
}

CK_VEC void ck_min3x3_i16(const int16_t *in, size_t w, size_t h, int16_t *out, int16_t *scratch)
{
    /* separable: rows' minima of 3 into scratch, then minima of 3 rows of
     * those into out; no data counts as +inf */
    enum { NONE = INT16_MAX };
    for (size_t y = 0; y < h; y++) {
        const int16_t *restrict a = in + y * w;
        int16_t *restrict o = scratch + y * w;
        for (size_t x = 0; x < w; x++) {
            int16_t c = a[x] == CK_NODATA_I16 ? NONE : a[x];
            int16_t l = x ? (a[x - 1] == CK_NODATA_I16 ? NONE : a[x - 1]) : c;
            int16_t r = x + 1 < w ? (a[x + 1] == CK_NODATA_I16 ? NONE : a[x + 1]) : c;
            int16_t m = l < c ? l : c;
            o[x] = m < r ? m : r;
        }
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

CK_VEC void ck_quality_ref_update(const uint8_t *mask, const int16_t *blue, const int16_t *nir, const int16_t *swir,
                                  size_t n, int16_t *ref_blue, int16_t *ref_nir, int16_t *ref_swir)
{
    for (size_t i = 0; i < n; i++)
        if (!mask[i] && nir[i] != 0) {
            ref_blue[i] = blue[i];
            ref_nir[i] = nir[i];
            ref_swir[i] = swir[i];
        }
}

CK_VEC void ck_shift_cost(const int16_t *obs, const uint8_t *mask, const int16_t *ref, size_t w, size_t h, int step,
                          uint64_t acc[CK_SHIFT_N], uint64_t cnt[CK_SHIFT_N])
{
    const size_t R = CK_SHIFT_R, st = (size_t)(step > 0 ? step : 1);
    if (w <= 2 * R || h <= 2 * R)
        return;
    for (size_t y = R; y + R < h; y += st)
        for (int dy = -(int)R; dy <= (int)R; dy++)
            for (int dx = -(int)R; dx <= (int)R; dx++) {
                const int16_t *rr = ref + y * w;
                const size_t oy = (size_t)((long)y + dy);
                const int16_t *oo = obs + oy * w;
                const uint8_t *mm = mask + oy * w;
                uint64_t s = 0, n = 0;
                for (size_t x = R; x + R < w; x += st) {
                    size_t ox = (size_t)((long)x + dx);
                    int ok = !mm[ox] && rr[x] != 0;
                    int d = oo[ox] - rr[x];
                    s += ok ? (uint64_t)(d < 0 ? -d : d) : 0;
                    n += (uint64_t)ok;
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
