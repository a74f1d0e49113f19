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
