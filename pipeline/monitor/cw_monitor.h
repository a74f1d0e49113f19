/*
 * cw_monitor.h - one scene's pass over a tile's per-pixel state, and the
 * turning of flagged pixels into alerts.
 *
 * A pass reads the scene in strips (cw_strip.h: in column windows where
 * the inputs' blocks allow), computes NDVI, NBR, BSI and the water index,
 * reads the tile's current state chunk by chunk (a chunk column of a strip
 * at a time), applies the change kernels (ck_change.h), compresses the new
 * state in the parallel phase and appends it from the ordered commit.  On
 * the way it counts clear pixels per area of interest and collects the
 * flagged pixels (candidate or confirmed) as a sparse list, row-major once
 * the pass is done, which is all the alert stage needs: no full-tile raster
 * is ever held, and a thread's memory does not grow with the tile's width.
 */
#ifndef CW_MONITOR_H
#define CW_MONITOR_H

#include "monitor/cw_aoi.h"
#include "ingest/cw_raster_opts.h"
#include "cw_config.h"
#include "store/cw_history.h"
#include "monitor/cw_state.h"
#include "ck_quality.h"

/* A flagged pixel of the final state. */
typedef struct {
    uint32_t idx; /* y * width + x */
    uint16_t first, conf, last;
    uint8_t status, n_next, n_anom, n_nbr, n_bare, n_pond;
    uint8_t river; /* CW_PX_BANK | CW_PX_RIPARIAN: near the baseline river */
    int16_t last_ndvi, base_ndvi;
} cw_px;

enum { CW_PX_BANK = 1, CW_PX_RIPARIAN = 2 };

typedef struct {
    cw_px *p;
    size_t n, cap;
} cw_px_vec;

/* Observation records (cw_pass.obs_path): a Byte GeoTIFF on the tile grid
 * per scene, what the evidence of observation (chakrawatch verify) is made
 * of; the byte of a pixel is its mask flags, 0 exactly where seen clear. */
#define CW_OBS_FLAGS_DOC                                                                                         \
    "0 clear; else the sum of 1 no data or not seen, 2 cloud (or its buffer), 4 cloud shadow (or its buffer), " \
    "8 other invalid class, 16 haze, 32 shadow fringe, 64 next to haze or a fringe"

/* Where a scene's observation record lives: TILE_DIR/obs/DATE_PRODUCT.tif
 * (the product id made file-name safe); -1 when it does not fit. */
int cw_obs_path(char *buf, size_t n, const char *tile_dir, const char *date, const char *product_id);
/* The scene's preview beside it (DATE_PRODUCT.preview.tif): per cell of
 * f x f pixels (ck_preview_factor of the tile overview), the mean
 * reflectance x 10000 of B02, B03, B04, B08, B11, B12 over the pixels seen
 * clear, 0 where fewer than half of the cell were.  The overview map is
 * drawn from it, so no scene is decoded a second time in a night. */
int cw_preview_path(char *buf, size_t n, const char *obs_path);

typedef enum { CW_PASS_REF, CW_PASS_FINALIZE, CW_PASS_MONITOR } cw_pass_mode;

#define CW_WATER_CELL 10 /* pixels per side of the coarse baseline-water cells */

typedef struct {
    /* inputs */
    const cw_config *cfg;
    const cw_common_opts *common;
    const cw_scene *s;
    const cw_aoi_grid *ag;
    const cw_aoi_set *as;
    cw_pass_mode mode;
    int day;
    char in_path[CW_ST_NKINDS][4096];  /* "" = no file yet (empty state) */
    char out_path[CW_ST_NKINDS][4096]; /* "" = not written by this pass */
    char obs_path[4096]; /* the scene's observation record (cw_obs_path), "" = none */
    char preview_path[4096]; /* its preview for the maps (cw_preview_path), "" = none */
    int preview_f;           /* the preview's cells: preview_f x preview_f pixels */
    /* outputs */
    uint64_t *aoi_clear; /* per grid AOI: clear pixels in this scene */
    uint64_t *aoi_never; /* per grid AOI: pixels never observed clear so far */
    cw_px_vec flagged;
    uint8_t *water;      /* cells_w x cells_h, 1: baseline water in the cell */
    int cells_w, cells_h;
    cw_pixel_stats ps;
    uint64_t shift_acc[CK_SHIFT_N], shift_cnt[CK_SHIFT_N]; /* NIR against the last clear one, per shift */
    uint64_t quality[3]; /* pixels SCL called clear that failed: haze, shadow fringe, suspect (next to them) */
    int strip_rows;
} cw_pass;

/* Runs the pass; the caller owns and zeroes the outputs (aoi arrays of
 * ag->n, water of cells_w x cells_h). -1 leaves no output file behind. */
int cw_pass_run(cw_pass *p);
void cw_pass_free(cw_pass *p);

typedef struct {
    int n_new, n_updated, n_rejected, n_small;
} cw_alert_counts;

/* Turns the final pass's flagged pixels into alerts, matches them with the
 * tile's alerts in the history, and writes new/changed ones (within the
 * open transaction). */
int cw_alerts_update(const cw_config *cfg, const cw_scene *s, const cw_aoi_grid *ag, const cw_aoi_set *as,
                     const cw_pass *final, cw_history *h, const char *night, cw_alert_counts *counts);

#endif
