/* ck_preview.c - see ck_preview.h. */
#include "ck_preview.h"

const int ck_preview_bands[CK_PREVIEW_BANDS] = {CK_B02, CK_B03, CK_B04, CK_B08, CK_B11, CK_B12};

void ck_preview_row(const uint16_t *const dn[CK_PREVIEW_BANDS], const uint8_t *flags, size_t width, int f,
                    uint32_t *const sum[CK_PREVIEW_BANDS], uint32_t *nclear)
{
    for (size_t x0 = 0, c = 0; x0 < width; x0 += (size_t)f, c++) {
        size_t x1 = x0 + (size_t)f < width ? x0 + (size_t)f : width;
        uint32_t n = 0, s[CK_PREVIEW_BANDS] = {0};
        for (size_t x = x0; x < x1; x++) {
            uint32_t ok = flags[x] == 0;
            n += ok;
            for (int b = 0; b < CK_PREVIEW_BANDS; b++)
                s[b] += ok * dn[b][x];
        }
        nclear[c] += n;
        for (int b = 0; b < CK_PREVIEW_BANDS; b++)
            sum[b][c] += s[b];
    }
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
