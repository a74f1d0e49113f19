/*
 * ck_common.h - shared definitions of the chakrawatch numeric kernels.
 *
 * Kernels are pure functions over strips of pixels: plain pointers and a
 * length, no GDAL, PROJ, OpenMP or file types.  Reflectance is unitless
 * surface reflectance (0..1, slightly negative values possible after the
 * BOA offset); indices are in -1..1.
 */
#ifndef CK_COMMON_H
#define CK_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Hot loops are compiled twice, for AVX2 and for the x86-64 baseline, and
 * the loader picks one per machine (GCC function multi-versioning).  Both
 * give the same bits: only IEEE add, subtract, multiply, divide, compare
 * and exact conversions, no FMA (not part of the avx2 target, and ISO C
 * mode keeps contraction off).  Define CK_NO_CLONES to build one version. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(CK_NO_CLONES)
#define CK_VEC __attribute__((target_clones("avx2", "default")))
#else
#define CK_VEC
#endif

/* lrintf(x) for |x| < 2^22 (round half to even) in arithmetic the
 * vectoriser takes (GCC leaves loops calling lrintf scalar): adding 1.5 x
 * 2^23 leaves no fraction bits, so the sum is x rounded as lrintf rounds it,
 * and subtracting gives it back exactly.  The build does not reassociate
 * floats, so this is not folded away. */
static inline float ck_round_even(float x)
{
    const float magic = 12582912.0f;
    return (x + magic) - magic;
}

/* The one no-data value of float strips (reflectance and indices). */
#define CK_NODATA (__builtin_nanf(""))
/* No data of Int16 x 10000 index outputs. */
#define CK_NODATA_I16 ((int16_t)-32768)

/* Per-pixel mask flags; a pixel is valid when its mask byte is 0. */
enum {
    CK_M_NODATA = 1u,  /* DN == 0 in a needed band, or SCL 0 */
    CK_M_CLOUD = 2u,   /* cloud or cirrus, or within the cloud buffer */
    CK_M_SHADOW = 4u,  /* cloud shadow, or within the shadow buffer */
    CK_M_INVALID = 8u  /* other invalid classes (saturated, dark, snow...) */
};

/* Spectral bands the kernels know, in a fixed order. */
typedef enum {
    CK_B02 = 0, /* blue 490 nm */
    CK_B03,     /* green 560 nm */
    CK_B04,     /* red 665 nm */
    CK_B08,     /* NIR 842 nm */
    CK_B8A,     /* narrow NIR 865 nm */
    CK_B11,     /* SWIR 1610 nm */
    CK_B12,     /* SWIR 2190 nm */
    CK_NBANDS
} ck_band;

#define CK_BAND_BIT(b) (1u << (unsigned)(b))

#endif
