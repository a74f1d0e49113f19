/*
 * ck_mask.h - validity mask from the Sen2Cor scene classification (SCL),
 * with clouds and shadows dilated by a disc of a given radius in pixels.
 *
 * Works on a window of SCL rows around the output strip (the halo), so
 * strips give the same mask as a whole tile: the caller passes rows
 * [y0 - halo_top, y1 + halo_bottom) clipped to the tile.
 */
#ifndef CK_MASK_H
#define CK_MASK_H

#include "ck_common.h"

#define CK_SCL_NCLASSES 16

typedef struct {
    uint16_t invalid;  /* bit c set: SCL class c is invalid (not cloud/shadow) */
    uint16_t cloud;    /* bit c set: class c is cloud, dilated by cloud_r */
    uint16_t shadow;   /* bit c set: class c is shadow, dilated by shadow_r */
    int cloud_r;       /* cloud buffer radius, pixels of the output grid, 0..250 */
    int shadow_r;      /* shadow buffer radius, pixels, 0..250 */
} ck_scl_rules;

/* RECIPES 2 defaults: invalid {1,2,11}, cloud {8,9,10}, shadow {3}; class 0
 * is always no data; water (6) always valid. Radii 0. */
ck_scl_rules ck_scl_rules_default(void);

/* Bytes of scratch ck_mask_scl needs for a window of win_rows x w. */
size_t ck_mask_scratch_size(size_t w, size_t win_rows);

/*
 * scl: win_rows x w classes; output rows are window rows
 * [row0, row0 + nrows).  mask (nrows x w) is OR-ed with the flags.
 */
void ck_mask_scl(const ck_scl_rules *r, const uint8_t *scl, size_t w,
                 size_t win_rows, size_t row0, size_t nrows, uint8_t *mask,
                 uint8_t *scratch);

/*
 * Fallback without SCL: writes pseudo-SCL classes (0 no data, 9 cloud,
 * 10 haze over water, 4 clear) to feed ck_mask_scl.  Thresholds in
 * reflectance units.
 *   Cloud: blue > blue_min, the visible bands' spread (max - min) / mean
 *   < white_max, and SWIR (B11, or NULL when absent) below swir_ratio_max x
 *   blue: clouds are flat into the SWIR while bright roofs, sand and bare
 *   soil rise there (measured on the real Porto Trombetas scene: its town
 *   and tailings were 5 % of the scene as "cloud" after the buffer without
 *   it).
 *   Haze (or glint) over water, needs SWIR: water (MNDWI of green and B11
 *   > water_mndwi_min) whose B11 is above water_swir_max while blue stays
 *   at least red.  Open water absorbs nearly all of the SWIR (B11 < 0.01
 *   on the clear Trombetas river), so a flat brightening there is in the
 *   air or on the surface: on that river, haze lifts every band by about
 *   0.005 and B11 from 0.008 to 0.014, while blue stays above red.  Turbid,
 *   shallow or tailings water, bright in the SWIR too, is red above blue.
 */
typedef struct {
    float blue_min, white_max, swir_ratio_max; /* cloud */
    float water_mndwi_min, water_swir_max;     /* haze over water */
} ck_pseudo_scl_params;
void ck_pseudo_scl(const float *blue, const float *green, const float *red, const float *swir, size_t n,
                   const ck_pseudo_scl_params *p, uint8_t *scl);

/* Pixels of a mask by the first flag that applies: counts[] gets
 * CK_COUNT_NODATA (no data), _CLOUD (cloud, not no data), _SHADOW (shadow
 * only), _OTHER (any other flag), _VALID (no flag) and _WATER (valid and
 * SCL class 6; scl may be NULL).  Counts are added to counts[]. */
enum { CK_COUNT_NODATA, CK_COUNT_CLOUD, CK_COUNT_SHADOW, CK_COUNT_OTHER, CK_COUNT_VALID, CK_COUNT_WATER, CK_NCOUNTS };
void ck_mask_count(const uint8_t *mask, const uint8_t *scl, size_t n,
                   uint64_t counts[CK_NCOUNTS]);

#endif
