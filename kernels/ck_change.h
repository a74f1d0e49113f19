/*
 * ck_change.h - per-pixel baseline and change-confirmation state (RECIPES
 * §4, §5), as pure strip functions.
 *
 * Workload: once per scene per strip of a tile, from the nightly job's
 * OpenMP strip loop.  State lives in plain arrays ("planes") of n pixels
 * that the pipeline reads from and writes to its state files; nothing here
 * knows about files.  Units:
 *   - indices (NDVI, NBR) are stored as int16 x 10000 (CK_NODATA_I16: none);
 *   - spreads as uint8 in steps of CK_SPREAD_STEP index units (saturating);
 *   - dates as uint16 day numbers, 1 = 2015-01-01 (0: never).
 *
 * An anomaly needs the NDVI to drop below the lowest baseline of the
 * pixel's 3 x 3 neighbourhood (misregistration) and the SWIR to agree (NBR
 * drop: haze lowers NDVI far more than NBR).
 *
 * Life of a pixel: during the reference period every clear observation is
 * added to CK_REF_SLOTS ring slots and to harmonic sums (ck_ref_add); the
 * first scene after the period turns them into a baseline (ck_base_finalize:
 * a seasonal fit where the data support it, median and 1.4826 x MAD
 * elsewhere); from then on ck_change_update follows GLAD's rule:
 * candidate on the first anomalous clear observation, confirmed when
 * >= confirm_n of the next <= window_obs clear observations within
 * window_days are anomalous, expired otherwise; a confirmed pixel whose NDVI
 * and NBR return to their expectation (within 3/4 of the anomaly thresholds)
 * on recover_n clear observations in a row within recover_days of the first
 * anomaly reverts.
 */
#ifndef CK_CHANGE_H
#define CK_CHANGE_H

#include "ck_common.h"
#include "ck_quality.h"

#define CK_REF_SLOTS 8
#define CK_SPREAD_STEP 0.002f

/* status plane values */
enum { CK_ST_NONE = 0, CK_ST_CANDIDATE = 1, CK_ST_CONFIRMED = 2, CK_ST_EXPIRED = 3,
       CK_ST_REVERTED = 4 /* confirmed, then back to its seasonal expectation: not loss */ };

/* base info plane: bits 0-3 number of reference observations (0..8),
 * bit 4 the pixel was water in most of them, bit 5 baseline is set, bit 6
 * within bank_px of baseline water (no new pond there), bit 7 within
 * riparian_px of it (river dynamics); 6 and 7 are set with the baseline
 * (ck_base_mark_river) */
enum { CK_BI_NREF = 0x0f, CK_BI_WATER = 0x10, CK_BI_SET = 0x20, CK_BI_BANK = 0x40, CK_BI_RIPARIAN = 0x80 };

/* Reference slots and baseline of n pixels. ref_* point at CK_REF_SLOTS
 * consecutive planes of n values each (slot k at + k * n). */
/* Sums of the harmonic fit during the reference period, CK_HSUMS planes of
 * int16 in hundredths (c = cos, s = sin of the day's annual phase; y NDVI,
 * r NBR): Σc Σs Σcc Σss Σcs Σy Σyc Σys Σyy Σr Σrc Σrs Σrr. */
enum { CK_HSUMS = 13 };
/* Harmonic terms of the baseline: NDVI cos, NDVI sin, NBR cos, NBR sin. */
enum { CK_HARMS = 4 };
#define CK_HARM_MIN_OBS 12 /* clear reference observations a seasonal fit needs */

typedef struct {
    int16_t *ref_ndvi, *ref_nbr;
    int16_t *hsum;       /* CK_HSUMS planes of n (reference period) */
    uint8_t *nref;       /* observations added so far (saturates at 255) */
    uint8_t *nwater;     /* of which MNDWI > 0 */
    int16_t *ndvi, *nbr; /* baseline: median, or the harmonic fit's mean, x 10000 */
    int16_t *harm;       /* CK_HARMS planes of n, x 10000; all 0: aseasonal (median/MAD) */
    uint8_t *spr_ndvi, *spr_nbr; /* 1.4826 x MAD, or the fit's residual spread, in CK_SPREAD_STEP units */
    uint8_t *info;       /* CK_BI_* */
} ck_base;

/* Monitoring state of n pixels. */
typedef struct {
    uint16_t *first_day;  /* date of the first anomaly of the current event */
    uint16_t *conf_day;   /* date it was confirmed, 0 when not */
    uint16_t *last_clear; /* latest clear observation, 0 = never */
    uint8_t *status;      /* CK_ST_* */
    uint8_t *n_next;      /* clear observations after the first anomaly */
    uint8_t *n_anom;      /* anomalous observations, the first included */
    uint8_t *n_nbr;       /* anomalous observations where NBR agreed */
    uint8_t *n_bare;      /* observations since the first anomaly with bare sand/soil */
    uint8_t *n_pond;      /* ... with open water where the baseline was land */
    uint8_t *n_rec;       /* consecutive clear observations back at the expectation (NDVI and NBR) */
    int16_t *last_ndvi;   /* latest clear NDVI while an event is open, x 10000 */
    uint8_t *ref_blue, *ref_nir, *ref_swir; /* bands of the last clear observation (ck_quality.h, CK_REF8) */
} ck_dyn;

/* One clear-or-not observation of n pixels (float indices, CK_NODATA where
 * masked), the pixel's area-of-interest flags and what the baseline's
 * neighbourhood says. */
typedef struct {
    const float *ndvi, *nbr, *bsi, *water; /* water: the water index (ck_change_indices) */
    const uint8_t *mask;   /* 0 = clear (SCL and the temporal tests) */
    const uint8_t *chakra; /* 1 inside a registered chakra, or NULL */
    const int16_t *base_ndvi_day, *base_nbr_day; /* the baseline expected on this day (x 10000,
                                 ck_base_expected), or NULL for the plain baseline */
    const int16_t *base_min3; /* minimum expected NDVI of the 3 x 3 neighbourhood (x 10000), or NULL:
                                 a date shifted by a pixel shows a neighbour, not a change */
} ck_obs;

typedef struct {
    float k_spread;       /* anomaly when the drop exceeds k x spread ... */
    float ndvi_dmin;      /* ... and at least this (NDVI units) */
    float nbr_dmin;       /* NBR agreement threshold floor */
    float ndvi_max_after; /* and the new NDVI is below this */
    float clearcut_drop;  /* a drop beyond this is a clear-cut whatever the NDVI */
    float forest_min;     /* baseline NDVI a pixel needs to be canopy */
    float chakra_drop;    /* inside chakras: minimum drop (rotation thinning is smaller) */
    float chakra_ndvi_max;/* inside chakras: the new NDVI must be below this */
    float bsi_bare;       /* bare when BSI > this ... */
    float ndvi_bare;      /* ... or NDVI < this */
    float mndwi_pond;     /* pond when the water index > this where the baseline was land */
    float nbr_evidence;   /* an anomaly needs the SWIR to agree: NBR drop > this (or new water:
                             water index > mndwi_pond and NDVI < 0) */
    int confirm_n;        /* anomalous observations among the next ones to confirm */
    int window_obs;       /* the next clear observations considered */
    int window_days;      /* and the days after the first anomaly */
    int bank_px;          /* pixels within this of baseline water are river bank */
    int recover_n;        /* a confirmed pixel back at its (seasonal) expectation on this many clear
                             observations in a row ... */
    int recover_days;     /* ... within this many days of its first anomaly reverts: a dry spell, a
                             winter, a flood; a real clearing regrows over years, its NBR stays low */
    ck_quality_params quality; /* temporal haze / shadow-fringe tests */
} ck_change_params;

ck_change_params ck_change_params_default(void);

/* Day number of a civil date (1 = 2015-01-01); 0 if outside 2015..2150. */
int ck_day_from_ymd(int y, int m, int d);
void ck_day_to_ymd(int day, int *y, int *m, int *d);
/* "YYYY-MM-DD" (exactly) -> day number, 0 when not such a date. */
int ck_day_parse(const char *ymd);
/* Day number -> "YYYY-MM-DD" into buf[11]; "" for day <= 0. */
void ck_day_format(int day, char *buf);

/* Reference period: add a clear observation of `day` to the slots (ring)
 * and to the harmonic sums. */
void ck_ref_add(const ck_obs *o, size_t n, int day, ck_base *b);
/* Turn the reference into the baseline, chosen per pixel by its data: a
 * harmonic fit (mean + annual cos/sin, CCDC's lowest order) where at least
 * CK_HARM_MIN_OBS clear observations cover the year and the annual amplitude
 * is both >= 0.05 NDVI and three standard errors; the median and 1.4826 x MAD
 * of the last slots elsewhere (aseasonal pixels, thin reference).  Clears the
 * reference. */
void ck_base_finalize(ck_base *b, size_t n);
/* The baseline NDVI and NBR expected on `day` (x 10000; no data kept). */
void ck_base_expected(const ck_base *b, size_t n, int day, int16_t *ndvi, int16_t *nbr);
/* Baseline water as ck_base_finalize marks it (CK_BI_WATER), from a
 * reference's counts: observed, and water on more than half of them. */
void ck_ref_water(const uint8_t *nref, const uint8_t *nwater, size_t n, uint8_t *water);
/* The baseline water's margins, in pixels (square distances). */
typedef struct {
    int bank;     /* the bank: within this of any water */
    int stream;   /* riparian: within this of any water (a stream's banks and bars move by little) ... */
    int riparian; /* ... or within this of a river's core (its banks erode, its bars grow) */
    int core;     /* the core: water whose (2 core + 1)-pixel square is all water (0: any water) */
} ck_river_px;

/* After finalizing a w x h block: CK_BI_BANK and CK_BI_RIPARIAN as r says
 * (the core's strip measured from its edge, core + riparian), from the
 * water (0/1) of an ew x eh frame that holds the block at column ox, row
 * oy (the block's own water is taken from its CK_BI_WATER), so that the
 * margins do not stop at the block's edges: exact with a frame of
 * max(bank, stream, 2 core + riparian) each side of the block (less at the
 * grid's edge, beyond which the core goes on as water); scratch: 3 x ew x
 * eh bytes. */
void ck_base_mark_river(ck_base *b, size_t w, size_t h, const uint8_t *frame, size_t ew, size_t eh, size_t ox,
                        size_t oy, const ck_river_px *r, uint8_t *scratch);
/* Monitoring: one observation on `day`.  Returns how many pixels had an
 * open event or a new anomaly; 0 with no clear pixel (mask 0, NDVI
 * defined) means d is left as it was. */
size_t ck_change_update(const ck_obs *o, size_t n, int day, const ck_change_params *p, const ck_base *b,
                        ck_dyn *d);
/* last_clear update only (reference period). */
void ck_clear_update(const uint8_t *mask, const float *ndvi, size_t n, int day, uint16_t *last_clear);
/* Evidence of observation: clear[i] = 1 where this scene saw the pixel
 * clear (mask 0, NDVI defined), never[i] = 1 where no scene ever has
 * (last_clear 0). */
void ck_observation_flags(const uint8_t *mask, const float *ndvi, const uint16_t *last_clear, size_t n,
                          uint8_t *clear, uint8_t *never);
/* The observation record of a pixel: its mask flags (CK_M_* of ck_common.h
 * and ck_quality.h), CK_M_NODATA where the mask is 0 but the pixel was not
 * seen clear (clear[] of ck_observation_flags); 0 exactly where clear. */
void ck_observation_record(const uint8_t *mask, const uint8_t *clear, size_t n, uint8_t *rec);

/* Median of v[0..n) (n <= CK_REF_SLOTS) and 1.4826 x median absolute
 * deviation, in the units of v; v is reordered. */
void ck_median_mad(int16_t *v, int n, int16_t *median, float *mad);

#endif
