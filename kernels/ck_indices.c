/*
 * ck_indices.c - normalised-difference index kernels (NDVI, NBR, NDMI, BSI,
 * MNDWI, NDWI, NDTI).  Called once per strip per index from the pipeline's
 * OpenMP strip loop; the inner loops are branch-light so they vectorise.
 */
#include "ck_indices.h"

#include <math.h>
#include <strings.h>

/* One generic body: out = ND(A, B) where the pixel is valid. */
#define CK_ND_KERNEL(fname, A, B)                                              \
    CK_VEC static void fname(const float *const *bands, const uint8_t *mask,          \
                      size_t n, float *out)                                    \
    {                                                                          \
        const float *restrict a = bands[A];                                    \
        const float *restrict b = bands[B];                                    \
        for (size_t i = 0; i < n; i++) {                                       \
            float v = ck_nd(a[i], b[i]);                                       \
            out[i] = mask[i] ? CK_NODATA : v;                                  \
        }                                                                      \
    }

CK_ND_KERNEL(ck_ndvi, CK_B08, CK_B04)
CK_ND_KERNEL(ck_nbr, CK_B08, CK_B12)
CK_ND_KERNEL(ck_ndmi, CK_B08, CK_B11)
CK_ND_KERNEL(ck_mndwi, CK_B03, CK_B11)
CK_ND_KERNEL(ck_ndwi, CK_B03, CK_B08)
CK_ND_KERNEL(ck_ndti, CK_B04, CK_B03)

/* BSI = ((B11 + B04) - (B08 + B02)) / ((B11 + B04) + (B08 + B02)) */
CK_VEC static void ck_bsi(const float *const *bands, const uint8_t *mask, size_t n,
                   float *out)
{
    const float *restrict b02 = bands[CK_B02];
    const float *restrict b04 = bands[CK_B04];
    const float *restrict b08 = bands[CK_B08];
    const float *restrict b11 = bands[CK_B11];
    for (size_t i = 0; i < n; i++) {
        float v = ck_nd(b11[i] + b04[i], b08[i] + b02[i]);
        out[i] = mask[i] ? CK_NODATA : v;
    }
}

/* rho of one DN, as ck_dn_to_reflectance makes it */
static inline float refl_of(uint16_t d, float add, float q)
{
    const float v = ((float)d + add) / q;
    return d == 0 ? CK_NODATA : v;
}

CK_VEC void ck_change_indices(const uint16_t *const *dn, const ck_dn_conv *conv, const uint8_t *mask, size_t n,
                              ck_change_ix out)
{
    const uint16_t *restrict d02 = dn[CK_B02], *restrict d03 = dn[CK_B03], *restrict d04 = dn[CK_B04];
    const uint16_t *restrict d08 = dn[CK_B08], *restrict d11 = dn[CK_B11], *restrict d12 = dn[CK_B12];
    const float a02 = conv[CK_B02].add, q02 = conv[CK_B02].quantum, a03 = conv[CK_B03].add,
                q03 = conv[CK_B03].quantum, a04 = conv[CK_B04].add, q04 = conv[CK_B04].quantum,
                a08 = conv[CK_B08].add, q08 = conv[CK_B08].quantum, a11 = conv[CK_B11].add,
                q11 = conv[CK_B11].quantum, a12 = conv[CK_B12].add, q12 = conv[CK_B12].quantum;
    float *restrict ndvi = out.ndvi, *restrict nbr = out.nbr, *restrict bsi = out.bsi, *restrict water = out.water;
    for (size_t i = 0; i < n; i++) {
        const float b02 = refl_of(d02[i], a02, q02), b03 = refl_of(d03[i], a03, q03),
                    b04 = refl_of(d04[i], a04, q04), b08 = refl_of(d08[i], a08, q08),
                    b11 = refl_of(d11[i], a11, q11), b12 = refl_of(d12[i], a12, q12);
        const int m = mask[i] != 0;
        const float v1 = ck_nd(b08, b04), v2 = ck_nd(b08, b12), v3 = ck_nd(b11 + b04, b08 + b02),
                    v4 = ck_water_index(ck_nd(b03, b11), ck_nd(b03, b08));
        ndvi[i] = m ? CK_NODATA : v1;
        nbr[i] = m ? CK_NODATA : v2;
        bsi[i] = m ? CK_NODATA : v3;
        water[i] = m ? CK_NODATA : v4;
    }
}

#define BB(b) CK_BAND_BIT(b)
const ck_index_desc ck_index_table[] = {
    {"ndvi", "Normalized Difference Vegetation Index", "(B08-B04)/(B08+B04)",
     BB(CK_B08) | BB(CK_B04), ck_ndvi},
    {"nbr", "Normalized Burn Ratio", "(B08-B12)/(B08+B12)",
     BB(CK_B08) | BB(CK_B12), ck_nbr},
    {"ndmi", "Normalized Difference Moisture Index", "(B08-B11)/(B08+B11)",
     BB(CK_B08) | BB(CK_B11), ck_ndmi},
    {"bsi", "Bare Soil Index", "((B11+B04)-(B08+B02))/((B11+B04)+(B08+B02))",
     BB(CK_B11) | BB(CK_B04) | BB(CK_B08) | BB(CK_B02), ck_bsi},
    {"mndwi", "Modified Normalized Difference Water Index",
     "(B03-B11)/(B03+B11)", BB(CK_B03) | BB(CK_B11), ck_mndwi},
    {"ndwi", "Normalized Difference Water Index (McFeeters)", "(B03-B08)/(B03+B08)",
     BB(CK_B03) | BB(CK_B08), ck_ndwi},
    {"ndti", "Normalized Difference Turbidity Index", "(B04-B03)/(B04+B03)",
     BB(CK_B04) | BB(CK_B03), ck_ndti},
};
#undef BB
const size_t ck_index_count = sizeof ck_index_table / sizeof ck_index_table[0];

const ck_index_desc *ck_index_find(const char *name)
{
    for (size_t i = 0; i < ck_index_count; i++)
        if (strcasecmp(name, ck_index_table[i].name) == 0)
            return &ck_index_table[i];
    return NULL;
}

CK_VEC void ck_index_to_i16(const float *in, size_t n, int16_t *out)
{
    const float *restrict a = in;
    int16_t *restrict o = out;
    for (size_t i = 0; i < n; i++) { /* branch-free: it vectorises */
        const float v = a[i], d = v == v ? v : 0.0f; /* no NaN to convert to an integer */
        /* v is within -1..1 by construction, so the product fits Int16 */
        const int16_t q = (int16_t)(int32_t)ck_round_even(d * 10000.0f);
        o[i] = v == v ? q : CK_NODATA_I16;
    }
}
