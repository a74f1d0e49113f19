/* ck_planes.c - see ck_planes.h.  Plain loops GCC vectorises (-O3). */
#include "ck_planes.h"

CK_VEC void ck_planes_split2(const uint8_t *in, size_t n, uint8_t *lo, uint8_t *hi)
{
    const uint8_t *restrict s = in;
    uint8_t *restrict a = lo;
    uint8_t *restrict b = hi;
    for (size_t i = 0; i < n; i++) {
        a[i] = s[2 * i];
        b[i] = s[2 * i + 1];
    }
}

CK_VEC void ck_planes_join2(const uint8_t *lo, const uint8_t *hi, size_t n, uint8_t *out)
{
    const uint8_t *restrict a = lo;
    const uint8_t *restrict b = hi;
    uint8_t *restrict d = out;
    for (size_t i = 0; i < n; i++) {
        d[2 * i] = a[i];
        d[2 * i + 1] = b[i];
    }
}

CK_VEC void ck_tiff_pred2_row(const uint16_t *in, size_t n, uint16_t *out)
{
    const uint16_t *restrict s = in;
    uint16_t *restrict d = out;
    if (n)
        d[0] = s[0];
    for (size_t i = 1; i < n; i++)
        d[i] = (uint16_t)(s[i] - s[i - 1]);
}

CK_VEC void ck_tiff_pred3_row(const uint8_t *in, size_t n, uint8_t *tmp, uint8_t *out)
{
    const uint8_t *restrict s = in;
    uint8_t *restrict p = tmp;
    uint8_t *restrict d = out;
    for (size_t x = 0; x < n; x++) {
        uint32_t v = (uint32_t)s[4 * x] | (uint32_t)s[4 * x + 1] << 8 | (uint32_t)s[4 * x + 2] << 16 |
                     (uint32_t)s[4 * x + 3] << 24;
        p[x] = (uint8_t)(v >> 24);
        p[n + x] = (uint8_t)(v >> 16);
        p[2 * n + x] = (uint8_t)(v >> 8);
        p[3 * n + x] = (uint8_t)v;
    }
    const size_t m = 4 * n;
    if (m)
        d[0] = p[0];
    for (size_t i = 1; i < m; i++)
        d[i] = (uint8_t)(p[i] - p[i - 1]);
}
