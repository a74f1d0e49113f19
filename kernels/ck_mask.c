/*
 * ck_mask.c - SCL classes to mask flags, with exact Euclidean disc dilation.
 *
 * For each window row we store, per pixel, the horizontal distance to the
 * nearest cloud (shadow) pixel of that row, saturated at 255.  A pixel lies
 * within radius R of a cloud pixel iff for some dy in -R..R the row y+dy
 * has such a distance <= floor(sqrt(R^2 - dy^2)).  That costs 2R+1 byte
 * compares per pixel, which vectorise well.
 */
#include "ck_mask.h"

#include <math.h>
#include <string.h>

ck_scl_rules ck_scl_rules_default(void)
{
    ck_scl_rules r;
    r.invalid = (uint16_t)((1u << 1) | (1u << 2) | (1u << 11));
    r.cloud = (uint16_t)((1u << 8) | (1u << 9) | (1u << 10));
    r.shadow = (uint16_t)(1u << 3);
    r.cloud_r = 0;
    r.shadow_r = 0;
    return r;
}

size_t ck_mask_scratch_size(size_t w, size_t win_rows)
{
    return 2 * w * win_rows;
}

/* A set of SCL classes, by the class in the low 4 bits of the byte (as
 * the rules' bit masks read it): a table for the per-pixel scan, and the
 * members for the test of a whole run, which compares bytes (vectorised)
 * instead of looking each one up. */
typedef struct {
    uint8_t in[256];
    uint8_t cls[16];
    int n;
} class_set;

static void class_set_of(unsigned bits, class_set *s)
{
    s->n = 0;
    for (unsigned c = 0; c < 256; c++)
        s->in[c] = (uint8_t)((bits >> (c & 15u)) & 1u);
    for (unsigned c = 0; c < 16; c++)
        if ((bits >> c) & 1u)
            s->cls[s->n++] = (uint8_t)c;
}

/* Horizontal distance to the nearest pixel whose class is in the set,
 * <= 255.  Runs of 64 pixels far from any hit (the running distance
 * already saturated, no hit inside) are filled without the dependent
 * per-pixel scan: most of a scene. */
#define HD_RUN 64
static void row_hdist(const uint8_t *restrict scl, size_t w, const class_set *set, uint8_t *restrict d)
{
    unsigned run = 255;
    for (size_t x0 = 0; x0 < w; x0 += HD_RUN) {
        size_t x1 = x0 + HD_RUN < w ? x0 + HD_RUN : w;
        if (run == 255) {
            unsigned any = 0;
            for (int j = 0; j < set->n; j++) {
                const uint8_t c = set->cls[j];
                for (size_t x = x0; x < x1; x++)
                    any |= (scl[x] & 15u) == c;
            }
            if (!any) {
                memset(d + x0, 255, x1 - x0);
                continue;
            }
        }
        for (size_t x = x0; x < x1; x++) {
            run = set->in[scl[x]] ? 0 : (run < 255 ? run + 1 : 255);
            d[x] = (uint8_t)run;
        }
    }
    run = 255;
    for (size_t x1 = w; x1 > 0;) {
        size_t x0 = x1 > HD_RUN ? x1 - HD_RUN : 0;
        unsigned zero = run < 255;
        if (!zero) /* a whole run at once: no early exit, so that it vectorises */
            for (size_t x = x0; x < x1; x++)
                zero |= d[x] == 0;
        if (zero) /* else nothing here is nearer from the right */
            for (size_t x = x1; x-- > x0;) {
                run = d[x] == 0 ? 0 : (run < 255 ? run + 1 : 255);
                if (run < d[x])
                    d[x] = (uint8_t)run;
            }
        x1 = x0;
    }
}

/* OR `flag` into out where a row within radius r has a hit in reach. */
CK_VEC static void dilate_rows(const uint8_t *dist, size_t w, size_t win_rows,
                        size_t y, int r, uint8_t flag, uint8_t *restrict out)
{
    for (int dy = -r; dy <= r; dy++) {
        long yy = (long)y + dy;
        if (yy < 0 || yy >= (long)win_rows)
            continue;
        /* largest integer dx with dx^2 + dy^2 <= r^2 */
        int reach = (int)floor(sqrt((double)r * r - (double)dy * dy) + 1e-9);
        const uint8_t *restrict d = dist + (size_t)yy * w;
        const uint8_t rr = (uint8_t)reach;
        for (size_t x = 0; x < w; x++)
            out[x] |= (uint8_t)(d[x] <= rr ? flag : 0);
    }
}

void ck_mask_scl(const ck_scl_rules *r, const uint8_t *scl, size_t w,
                 size_t win_rows, size_t row0, size_t nrows, uint8_t *mask,
                 uint8_t *scratch)
{
    uint8_t lut[256];
    for (unsigned c = 0; c < 256; c++) {
        uint8_t f = 0;
        if (c >= CK_SCL_NCLASSES) /* not an SCL class: treat as invalid */
            f = CK_M_INVALID;
        else if (c == 0)
            f = CK_M_NODATA;
        else if ((r->cloud >> c) & 1u)
            f = CK_M_CLOUD;
        else if ((r->shadow >> c) & 1u)
            f = CK_M_SHADOW;
        else if ((r->invalid >> c) & 1u)
            f = CK_M_INVALID;
        lut[c] = f;
    }
    for (size_t y = 0; y < nrows; y++) {
        const uint8_t *restrict s = scl + (row0 + y) * w;
        uint8_t *restrict m = mask + y * w;
        for (size_t x = 0; x < w; x++)
            m[x] |= lut[s[x]];
    }

    const int rc = r->cloud_r > 250 ? 250 : r->cloud_r;
    const int rs = r->shadow_r > 250 ? 250 : r->shadow_r;
    if (rc <= 0 && rs <= 0)
        return;
    uint8_t *dc = scratch, *ds = scratch + w * win_rows;
    class_set in_cloud, in_shadow;
    class_set_of(r->cloud, &in_cloud);
    class_set_of(r->shadow, &in_shadow);
    /* only rows within reach of the output rows are needed */
    int rmax = rc > rs ? rc : rs;
    size_t lo = row0 > (size_t)rmax ? row0 - (size_t)rmax : 0;
    size_t hi = row0 + nrows + (size_t)rmax;
    if (hi > win_rows)
        hi = win_rows;
    for (size_t y = lo; y < hi; y++) {
        /* a 20 m SCL read at 10 m repeats every row: the same row, the same distances */
        const int again = y > lo && memcmp(scl + y * w, scl + (y - 1) * w, w) == 0;
        if (rc > 0) {
            if (again)
                memcpy(dc + y * w, dc + (y - 1) * w, w);
            else
                row_hdist(scl + y * w, w, &in_cloud, dc + y * w);
        }
        if (rs > 0) {
            if (again)
                memcpy(ds + y * w, ds + (y - 1) * w, w);
            else
                row_hdist(scl + y * w, w, &in_shadow, ds + y * w);
        }
    }
    for (size_t y = 0; y < nrows; y++) {
        uint8_t *m = mask + y * w;
        if (rc > 0)
            dilate_rows(dc, w, win_rows, row0 + y, rc, CK_M_CLOUD, m);
        if (rs > 0)
            dilate_rows(ds, w, win_rows, row0 + y, rs, CK_M_SHADOW, m);
    }
}

void ck_pseudo_scl(const float *blue, const float *green, const float *red, const float *swir, size_t n,
                   const ck_pseudo_scl_params *p, uint8_t *scl)
{
    for (size_t i = 0; i < n; i++) {
        float b = blue[i], g = green[i], rd = red[i];
        if (isnan(b) || isnan(g) || isnan(rd)) {
            scl[i] = 0;
            continue;
        }
        float mx = fmaxf(b, fmaxf(g, rd)), mn = fminf(b, fminf(g, rd));
        float mean = (b + g + rd) / 3.0f;
        float s = swir ? swir[i] : NAN;
        /* clouds stay flat into the SWIR; bright roofs and bare ground rise */
        int flat = isnan(s) || s < p->swir_ratio_max * b;
        int cloud = b > p->blue_min && mean > 0.0f && (mx - mn) < p->white_max * mean && flat;
        /* water reflects next to no SWIR: where it does, under a blue sky-like spectrum, it is haze */
        int haze = !isnan(s) && g + s > 0.0f && (g - s) > p->water_mndwi_min * (g + s) && s > p->water_swir_max &&
                   b >= rd;
        scl[i] = cloud ? 9 : haze ? 10 : 4;
    }
}

/* Branch-free over chunks of 1 << 16 so the 32-bit sums vectorise. */
CK_VEC void ck_mask_count(const uint8_t *mask, const uint8_t *scl, size_t n,
                   uint64_t counts[CK_NCOUNTS])
{
    const uint8_t *restrict mk = mask;
    for (size_t i0 = 0; i0 < n; i0 += (size_t)1 << 16) {
        size_t i1 = i0 + ((size_t)1 << 16) < n ? i0 + ((size_t)1 << 16) : n;
        uint32_t nd = 0, cl = 0, sh = 0, any = 0, wa = 0;
        for (size_t i = i0; i < i1; i++) {
            uint32_t m = mk[i];
            nd += m & CK_M_NODATA;
            cl += (m & 3u) == CK_M_CLOUD;
            sh += (m & 7u) == CK_M_SHADOW;
            any += m != 0;
        }
        if (scl) {
            const uint8_t *restrict sc = scl;
            for (size_t i = i0; i < i1; i++)
                wa += (mk[i] == 0) & (sc[i] == 6);
        }
        counts[CK_COUNT_NODATA] += nd;
        counts[CK_COUNT_CLOUD] += cl;
        counts[CK_COUNT_SHADOW] += sh;
        counts[CK_COUNT_OTHER] += any - nd - cl - sh;
        counts[CK_COUNT_VALID] += (i1 - i0) - any;
        counts[CK_COUNT_WATER] += wa;
    }
}
