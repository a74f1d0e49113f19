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

CK_VEC void ck_dn_expand(const uint16_t *nat, size_t x, size_t n, int f, uint16_t *out)
{
    const uint16_t *restrict in = nat;
    uint16_t *restrict o = out;
    if (f != 2) {
        for (size_t i = 0; i < n; i++)
            o[i] = in[(x + i) / (size_t)f];
        return;
    }
    size_t i = 0;
    if (n && (x & 1)) { /* starts on the second half of a 20 m pixel */
        o[0] = in[x >> 1];
        i = 1;
    }
    in += (x + i) >> 1;
    o += i;
    const size_t pairs = (n - i) / 2;
    for (size_t j = 0; j < pairs; j++) {
        o[2 * j] = in[j];
        o[2 * j + 1] = in[j];
    }
    if ((n - i) & 1)
        o[2 * pairs] = in[pairs];
}

CK_VEC void ck_dn_mark_nodata(const uint16_t *dn, size_t n, uint8_t *mask)
{
    const uint16_t *restrict d = dn;
    uint8_t *restrict m = mask;
    for (size_t i = 0; i < n; i++)
        m[i] |= (uint8_t)(d[i] == 0 ? CK_M_NODATA : 0);
}

CK_VEC void ck_dn_to_q16(const uint16_t *dn, size_t n, ck_dn_conv conv, int16_t *out)
{
    const uint16_t *restrict d = dn;
    int16_t *restrict o = out;
    if (conv.quantum == 10000.0f && conv.add == (float)(int)conv.add) {
        const int32_t add = (int32_t)conv.add;
        for (size_t i = 0; i < n; i++) {
            int32_t v = (int32_t)d[i] + add;
            v = v > 32767 ? 32767 : v < -32767 ? -32767 : v;
            o[i] = (int16_t)(d[i] == 0 ? 0 : v);
        }
        return;
    }
    const float s = 10000.0f / conv.quantum;
    for (size_t i = 0; i < n; i++) {
        float v = ((float)d[i] + conv.add) * s;
        v = v > 32767.0f ? 32767.0f : v < -32767.0f ? -32767.0f : v;
        int32_t r = (int32_t)(v + (v >= 0 ? 0.5f : -0.5f));
        o[i] = (int16_t)(d[i] == 0 ? 0 : r);
    }
}
