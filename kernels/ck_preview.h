/*
 * ck_preview.h - a scene's reduced picture for the maps, made while the
 * nightly pass has its pixels: per cell of f x f grid pixels, the sum of
 * the DN of the pixels seen clear, band by band, and how many they were.
 * The tile overview is then drawn from these cells without decoding the
 * scene again.
 */
#ifndef CK_PREVIEW_H
#define CK_PREVIEW_H

#include "ck_common.h"

#define CK_PREVIEW_BANDS 6
/* The bands of a preview, in its order: B02, B03, B04, B08, B11, B12 (the
 * maps' true colour, SWIR false colour and water index). */
extern const int ck_preview_bands[CK_PREVIEW_BANDS];

/* width pixels of a grid row from its column x0: dn[b][x] of the bands,
 * flags[x] (0 = seen clear); pixel x adds into cell (x0 + x) / f of sum[b]
 * (cells of the row's cell row) and nclear. */
void ck_preview_row(const uint16_t *const dn[CK_PREVIEW_BANDS], const uint8_t *flags, size_t width, size_t x0,
                    int f, uint32_t *const sum[CK_PREVIEW_BANDS], uint32_t *nclear);

/* The reduction of a w x h tile to an overview whose longer side is at
 * most about longest pixels: ceil(max(w, h) / longest), moved up (by at
 * most half) to a divisor of both sides when there is one (10980 = 12 x
 * 915), so cells are whole and bands of rows start on block edges. */
int ck_preview_factor(int w, int h, int longest);

#endif
