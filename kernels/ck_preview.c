/* ck_preview.c - see ck_preview.h. */
#include "ck_preview.h"

#include <string.h>

const int ck_preview_bands[CK_PREVIEW_BANDS] = {CK_B02, CK_B03, CK_B04, CK_B08, CK_B11, CK_B12};

CK_VEC void ck_preview_add_row(const uint16_t *const dn[CK_PREVIEW_BANDS], const uint8_t *flags, size_t width,
                               uint32_t *const acc[CK_PREVIEW_BANDS], uint32_t *acc_n)
{
    const uint8_t *restrict fl = flags;
    for (int b = 0; b < CK_PREVIEW_BANDS; b++) {
        const uint16_t *restrict d = dn[b];
        uint32_t *restrict a = acc[b];
        for (size_t x = 0; x < width; x++)
            a[x] += fl[x] == 0 ? d[x] : 0u;
    }
    uint32_t *restrict n = acc_n;
    for (size_t x = 0; x < width; x++)
        n[x] += fl[x] == 0;
}

static void flush_plane(uint32_t *a, size_t width, int f, uint32_t *cells)
{
    for (size_t x0 = 0, c = 0; x0 < width; x0 += (size_t)f, c++) {
        const size_t x1 = x0 + (size_t)f < width ? x0 + (size_t)f : width;
        uint32_t s = 0;
        for (size_t x = x0; x < x1; x++)
            s += a[x];
        cells[c] += s;
    }
    memset(a, 0, width * sizeof *a);
}

void ck_preview_flush(uint32_t *const acc[CK_PREVIEW_BANDS], uint32_t *acc_n, size_t width, int f,
                      uint32_t *const sum[CK_PREVIEW_BANDS], uint32_t *nclear)
{
    for (int b = 0; b < CK_PREVIEW_BANDS; b++)
        flush_plane(acc[b], width, f, sum[b]);
    flush_plane(acc_n, width, f, nclear);
}

int ck_preview_factor(int w, int h, int longest)
{
    int f = ((w > h ? w : h) + longest - 1) / longest;
    f = f < 1 ? 1 : f;
    int gd = w, r = h;
    while (r) {
        int q = gd % r;
        gd = r;
        r = q;
    }
    for (int k = f; k < f + f / 2 + 1; k++)
        if (gd % k == 0)
            return k;
    return f;
}
