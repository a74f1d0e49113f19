/* ck_reflect.c - DN -> reflectance, once per band per strip. */
#include "ck_reflect.h"

CK_VEC void ck_dn_to_reflectance(const uint16_t *dn, size_t n, ck_dn_conv conv,
                          float *out, uint8_t *mask)
{
    const uint16_t *restrict d = dn;
    float *restrict o = out;
    uint8_t *restrict m = mask;
    const float add = conv.add, q = conv.quantum;
    if (!m) {
        for (size_t i = 0; i < n; i++) {
            float v = ((float)d[i] + add) / q;
            o[i] = d[i] == 0 ? CK_NODATA : v;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int nd = d[i] == 0;
        /* DN + add is exact in float for 16-bit DN and integer add; one
         * correctly rounded division follows. */
        float v = ((float)d[i] + add) / q;
        o[i] = nd ? CK_NODATA : v;
        m[i] |= (uint8_t)(nd ? CK_M_NODATA : 0);
    }
}

CK_VEC void ck_dn_mark_nodata(const uint16_t *dn, size_t n, uint8_t *mask)
{
    const uint16_t *restrict d = dn;
    uint8_t *restrict m = mask;
    for (size_t i = 0; i < n; i++)
        m[i] |= (uint8_t)(d[i] == 0 ? CK_M_NODATA : 0);
}
