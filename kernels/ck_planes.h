/*
 * ck_planes.h - byte planes of 16-bit fields, for compressing state: the
 * low and high bytes of every pixel's field are stored apart so the
 * compressor sees long runs of similar bytes (the "shuffle" filter of
 * HDF5/Blosc).
 */
#ifndef CK_PLANES_H
#define CK_PLANES_H

#include "ck_common.h"

/* in: n little-endian 2-byte values -> lo[n] (first bytes), hi[n] (second). */
void ck_planes_split2(const uint8_t *in, size_t n, uint8_t *lo, uint8_t *hi);
/* The inverse: lo[n], hi[n] -> out (2n bytes). */
void ck_planes_join2(const uint8_t *lo, const uint8_t *hi, size_t n, uint8_t *out);

/* TIFF predictors for one row of a tile, as libtiff applies them before
 * compressing: 2, horizontal differencing of n 16-bit samples (out[0] =
 * in[0], out[i] = in[i] - in[i-1], wrapping); 3, floating point: the bytes of
 * n 4-byte little-endian values split into planes, most significant first
 * (plane k holds byte 3 - k of every value), then the 4n bytes differenced
 * the same way.  tmp: 4n bytes of scratch. */
void ck_tiff_pred2_row(const uint16_t *in, size_t n, uint16_t *out);
void ck_tiff_pred3_row(const uint8_t *in, size_t n, uint8_t *tmp, uint8_t *out);

#endif
