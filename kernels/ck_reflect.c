/* ck_reflect.c - DN -> reflectance, once per band per strip. */
#include "ck_reflect.h"

void ck_dn_to_reflectance(const uint16_t *dn, size_t n, ck_dn_conv conv,
                          float *out, uint8_t *mask)
{
    const uint16_t *restrict d = dn;
    float *restrict o = out;
    uint8_t *restrict m = mask;
    const float add = conv.add, q = conv.quantum;
    for (size_t i = 0; i < n; i++) {
        int nd = d[i] == 0;
        /* DN + add is exact in float for 16-bit DN and integer add; one
         * correctly rounded division follows. */
        float v = ((float)d[i] + add) / q;
        o[i] = nd ? CK_NODATA : v;
        m[i] |= (uint8_t)(nd ? CK_M_NODATA : 0);
    }
}
