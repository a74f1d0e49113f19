/* ck_preview.c - see ck_preview.h. */
#include "ck_preview.h"

const int ck_preview_bands[CK_PREVIEW_BANDS] = {CK_B02, CK_B03, CK_B04, CK_B08, CK_B11, CK_B12};

void ck_preview_row(const uint16_t *const dn[CK_PREVIEW_BANDS], const uint8_t *flags, size_t width, size_t x0,
                    int f, uint32_t *const sum[CK_PREVIEW_BANDS], uint32_t *nclear)
{
    for (size_t a = 0; a < width;) { /* pixels [a, b) in cell c */
        const size_t c = (x0 + a) / (size_t)f, e = (c + 1) * (size_t)f - x0, b = e < width ? e : width;
        uint32_t n = 0, s[CK_PREVIEW_BANDS] = {0};
        for (size_t x = a; x < b; x++) {
            uint32_t ok = flags[x] == 0;
            n += ok;
            for (int k = 0; k < CK_PREVIEW_BANDS; k++)
                s[k] += ok * dn[k][x];
        }
        nclear[c] += n;
        for (int k = 0; k < CK_PREVIEW_BANDS; k++)
            sum[k][c] += s[k];
        a = b;
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
