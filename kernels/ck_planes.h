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

#endif
