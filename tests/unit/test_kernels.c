/*
 * test_kernels.c - every kernel against a naive double-precision scalar
 * reference written from RECIPES 1-3, including edge values: both bands 0,
 * negative reflectance after the offset, no data, saturation, masks.
 * Builds without GDAL.
 */
#include "../test.h"
#include "ck_indices.h"
#include "ck_mask.h"
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
    float b[3] = {0.30f, 0.03f, CK_NODATA}, g[3] = {0.31f, 0.06f, 0.1f}, rd[3] = {0.32f, 0.04f, 0.1f};
    uint8_t ps[3];
    ck_pseudo_scl(b, g, rd, 3, 0.18f, 0.2f, ps);
    CHECK(ps[0] == 9 && ps[1] == 4 && ps[2] == 0, "pseudo scl %d %d %d", ps[0], ps[1], ps[2]);
}

int main(void)
{
    test_reflectance();
    test_indices();
    test_mask();
    return TEST_SUMMARY("kernels");
}
