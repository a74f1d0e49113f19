/*
 * ck_quality.h - observation quality beyond the scene classification
 * (RECIPES 2b), as pure strip functions.
 *
 * Workload: once per scene per 128-row state chunk, in the nightly pass.
 * Sen2Cor's SCL misses thin haze and the fringes of cloud shadows; both
 * lower NDVI on one date and, unchecked, become loss candidates.  Each
 * pixel keeps the bands of its last clear observation (blue B02, NIR B08,
 * SWIR B11, one byte each in steps of CK_REF8_STEP reflectance, 0 = none
 * yet: half the state of int16 and better compressed) and a new
 * observation that the SCL calls clear is tested against them:
 *   - haze: blue rose by more than rise + per_day x days since the last
 *     clear observation, and by more than SWIR rose (a clearing raises SWIR
 *     far more than blue; haze fades towards the SWIR) while SWIR did not
 *     fall by more than 0.02 nor NIR by more than 0.03 (haze adds to every
 *     band; a pond darkens both, a clearing darkens NIR) - MAJA's
 *     multi-temporal test;
 *   - shadow fringe: NIR and SWIR both fell below `ratio` of the reference
 *     (a common darkening) while the pixel is not open water (MNDWI at or
 *     below the pond threshold: a new pond darkens NIR and SWIR too);
 *   - suspect: within `suspect_px` (square) of a pixel that failed a test,
 *     inside the same chunk (chunks are fixed rows, so results do not
 *     depend on strips or threads).
 * A pixel that fails is not clear: it neither advances nor breaks a
 * confirmation and is no observation in the evidence of absence.
 */
#ifndef CK_QUALITY_H
#define CK_QUALITY_H

#include "ck_common.h"

/* Mask flags added by the temporal tests (beside CK_M_* of ck_common.h). */
enum {
    CK_M_HAZE = 16u,    /* blue rose like haze, not like a clearing */
    CK_M_FRINGE = 32u,  /* every band darkened like a shadow */
    CK_M_SUSPECT = 64u  /* next to a haze or fringe pixel */
};

typedef struct {
    float haze_blue_rise;    /* reflectance; blue increase that is haze ... */
    float haze_blue_per_day; /* ... widened by this per day since the last clear */
    float haze_blue_max;     /* ... up to this */
    float shadow_ratio;      /* NIR and SWIR below this share of the reference */
    float pond_mndwi;        /* water (the water index above this) is not a shadow */
    int suspect_px;          /* dilation of failed pixels, pixels (0 = none) */
} ck_quality_params;

ck_quality_params ck_quality_params_default(void);

#define CK_REF8_STEP 25 /* reference bytes: units of 0.0025 reflectance (x 10000: 25), 1..255 */

/* Where mask is 0, out = mask | flags; counts[] += pixels the SCL called
 * clear that are haze, fringe, suspect. */
void ck_quality_merge(const uint8_t *mask, const uint8_t *flags, size_t n, uint8_t *out, uint64_t counts[3]);

/* Per pixel: flags |= CK_M_HAZE or CK_M_FRINGE where mask is 0, a
 * reference exists and a test fails.  obs_* are int16 x 10000, ref_*
 * bytes of CK_REF8_STEP;
 * water (the water index, ck_change_indices) and ndvi the observation's
 * (NaN allowed; water, water index > pond or
 * NDVI < 0, is never a shadow fringe); last_clear the day of the
 * reference (0 = none); flags must be zeroed by the caller. */
void ck_quality_test(const int16_t *blue, const int16_t *nir, const int16_t *swir, const float *water,
                     const float *ndvi, const uint8_t *mask, const uint8_t *ref_blue, const uint8_t *ref_nir,
                     const uint8_t *ref_swir, const uint16_t *last_clear, size_t n, int day,
                     const ck_quality_params *p, uint8_t *flags);

/* out[i] = 1 where any in[] within r pixels (square) is non-zero, on a
 * w x h block; scratch holds w x h bytes.  r = 0 copies (as 0/1). */
void ck_dilate_u8(const uint8_t *in, size_t w, size_t h, int r, uint8_t *out, uint8_t *scratch);

/* Suspect pixels: flags |= CK_M_SUSPECT where a failed pixel (haze or
 * fringe) lies within r and the pixel itself did not fail. */
void ck_quality_suspect(uint8_t *flags, size_t w, size_t h, int r, uint8_t *scratch, uint8_t *scratch2);

/* Minimum over the 3 x 3 neighbourhood inside a w x h block (CK_NODATA_I16
 * values ignored; all no data gives CK_NODATA_I16); scratch: w x h. */
void ck_min3x3_i16(const int16_t *in, size_t w, size_t h, int16_t *out, int16_t *scratch);

/* Misregistration: for every shift (dx, dy) in -R..R, the sum of
 * |obs(x + dx, y + dy) - ref(x, y)| (NIR: obs int16 x 10000, ref bytes of
 * CK_REF8_STEP) over every step-th row of a w x h block where the shifted
 * observation is valid (mask 0) and a reference exists (ref != 0); sums and counts are
 * added to acc[] and cnt[] ((2R+1)^2 entries, dy-major).  Integer sums: the
 * result does not depend on how blocks are split among threads. */
#define CK_SHIFT_R 2
#define CK_SHIFT_N ((2 * CK_SHIFT_R + 1) * (2 * CK_SHIFT_R + 1))
void ck_shift_cost(const int16_t *obs, const uint8_t *mask, const uint8_t *ref, size_t w, size_t h, int step,
                   uint64_t acc[CK_SHIFT_N], uint64_t cnt[CK_SHIFT_N]);
/* The shift of least mean cost, when it beats no shift by a clear margin
 * (mean cost below `ratio` of the unshifted one); 0 when found. */
int ck_shift_best(const uint64_t acc[CK_SHIFT_N], const uint64_t cnt[CK_SHIFT_N], double ratio, int *dx, int *dy);

/* Where mask is 0: the observation becomes the pixel's clear reference. */
void ck_quality_ref_update(const uint8_t *mask, const int16_t *blue, const int16_t *nir, const int16_t *swir,
                           size_t n, uint8_t *ref_blue, uint8_t *ref_nir, uint8_t *ref_swir);

#endif
