/*
 * ck_indices.h - spectral index kernels and their registry.
 *
 * Each kernel reads reflectance strips (0..1) of the bands it declares and
 * a mask (0 = valid), and writes one index value per pixel in -1..1, or
 * CK_NODATA where the pixel is masked, an input is no data, or the
 * denominator is not positive.  Values are clamped to -1..1 (a negative
 * reflectance after the BOA offset can otherwise push a ratio past 1).
 */
#ifndef CK_INDICES_H
#define CK_INDICES_H

#include "ck_common.h"
#include "ck_reflect.h"

/* bands[CK_NBANDS]: strips indexed by ck_band (unused bands may be NULL). */
typedef void (*ck_index_fn)(const float *const *bands, const uint8_t *mask,
                            size_t n, float *out);

typedef struct {
    const char *name;    /* lower-case id used on the command line: "ndvi" */
    const char *title;   /* human name */
    const char *formula; /* in Sentinel-2 band names */
    unsigned bands;      /* CK_BAND_BIT set of bands needed */
    ck_index_fn fn;
} ck_index_desc;

extern const ck_index_desc ck_index_table[];
extern const size_t ck_index_count;

/* Registry lookup by case-insensitive name; NULL when unknown. */
const ck_index_desc *ck_index_find(const char *name);

/* The one place no data of a normalised difference is decided. */
static inline float ck_nd(float a, float b)
{
    float den = a + b;
    if (!(den > 0.0f)) /* zero, negative or NaN denominator */
        return CK_NODATA;
    float v = (a - b) / den;
    if (v > 1.0f)
        v = 1.0f;
    if (v < -1.0f)
        v = -1.0f;
    return v;
}

/* NDWI (B03 and B08, both 10 m) above this is water (RECIPES section 5:
 * MNDWI > 0 or NDWI > 0.2). */
#define CK_NDWI_WATER 0.2f

/* The water index of change detection and of the maps' ponds, from a
 * pixel's MNDWI and NDWI: MNDWI, or NDWI - CK_NDWI_WATER where that is
 * higher (or MNDWI no data), so that it is above 0 where either says water;
 * no data only when both are.  Selects only, so the loops that call it
 * vectorise. */
static inline float ck_water_index(float mndwi, float ndwi)
{
    const float nw = ndwi - CK_NDWI_WATER, other = nw == nw ? nw : mndwi;
    return !(mndwi >= other) ? other : mndwi;
}

/* The four indices change detection reads, straight from DN: each band's
 * reflectance made in registers as ck_dn_to_reflectance makes it (CK_NODATA
 * where DN is 0), then each index as its kernel computes it, so the values
 * are those of ck_dn_to_reflectance followed by ck_ndvi, ck_nbr and ck_bsi,
 * bit for bit, without six reflectance strips written and read back, and
 * ck_water_index of MNDWI and NDWI: at 10 m NDWI sees the water of a
 * stream or a pool whose 20 m SWIR pixel mixes it with its bank.  dn and conv indexed by ck_band (B02, B03, B04, B08, B11,
 * B12 used). */
typedef struct {
    float *ndvi, *nbr, *bsi, *water;
} ck_change_ix;
void ck_change_indices(const uint16_t *const *dn, const ck_dn_conv *conv, const uint8_t *mask, size_t n,
                       ck_change_ix out);

/* Float index -> Int16 x 10000 (round half to even), CK_NODATA -> CK_NODATA_I16. */
void ck_index_to_i16(const float *in, size_t n, int16_t *out);

#endif
