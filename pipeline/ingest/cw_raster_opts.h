/*
 * cw_raster_opts.h - the options every raster pass shares (scene
 * conventions, mask rules and buffers, threads, memory), how they become a
 * strip job for one scene, and the pixel shares one pass counts.  The
 * commands fill them from the command line, the nightly job from its
 * configuration (cw_config_raster_opts).
 */
#ifndef CW_RASTER_OPTS_H
#define CW_RASTER_OPTS_H

#include "ck_mask.h"
#include "ingest/cw_scene.h"
#include "ingest/cw_strip.h"

#include <stdint.h>

typedef struct {
    cw_scene_opts scene;
    int threads;       /* 0 = OpenMP default */
    int strip_rows;    /* 0 = from mem_budget */
    size_t mem_budget; /* bytes for a pass's buffers, all threads; 0 = cw_mem_auto() */
    cw_mask_mode mask;
    double cloud_buffer_m;  /* default 100 */
    double shadow_buffer_m; /* default 50 */
    ck_scl_rules rules;     /* classes; radii filled from the buffers */
} cw_common_opts;

void cw_common_opts_default(cw_common_opts *o);
/* "0,1,3,8,9,10" -> rules (class 6, water, is refused). */
int cw_parse_scl_classes(const char *list, ck_scl_rules *r);
/* A strip job over scene `s` with the options' mask, buffers (metres to
 * grid pixels), threads and memory; callbacks, bands and quantum are the
 * caller's (quantum defaults to 1). */
void cw_strip_job_init(cw_strip_job *job, const cw_common_opts *o, const cw_scene *s);

/* Pixel shares of a scene, from one strip pass. */
typedef struct {
    uint64_t total, valid, cloud, shadow, water, nodata, invalid;
} cw_pixel_stats;

/* Counts one strip by the first flag that applies (no data > cloud > shadow > other). */
void cw_pixel_stats_add(cw_pixel_stats *ps, const cw_strip *st);
void cw_pixel_stats_sum(cw_pixel_stats *ps, const cw_pixel_stats *add);

#endif
