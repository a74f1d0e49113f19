/*
 * cw_cmd.h - the commands of chakrawatch as library calls; main.c only
 * parses the command line into these option structs.
 */
#ifndef CW_CMD_H
#define CW_CMD_H

#include "ck_mask.h"
#include "cw_gtiff.h"
#include "cw_scene.h"
#include "cw_strip.h"

#include <stdio.h>

/* Options shared by every raster command. */
typedef struct {
    cw_scene_opts scene;
    int threads;            /* 0 = OpenMP default */
    int strip_rows;         /* 0 = from mem_budget */
    size_t mem_budget;      /* bytes, 0 = default */
    cw_mask_mode mask;
    double cloud_buffer_m;  /* default 100 */
    double shadow_buffer_m; /* default 50 */
    ck_scl_rules rules;     /* classes; radii filled from the buffers */
} cw_common_opts;

void cw_common_opts_default(cw_common_opts *o);
/* "0,1,3,8,9,10" -> rules (class 6, water, is refused). */
int cw_parse_scl_classes(const char *list, ck_scl_rules *r);

typedef struct {
    cw_common_opts c;
    const char *out_dir;
    const char *index_list; /* "ndvi,nbr" */
    cw_out_type type;
    cw_codec codec;
} cw_indices_opts;

/* Pixel shares of a scene, from one strip pass. */
typedef struct {
    uint64_t total, valid, cloud, shadow, water, nodata, invalid;
} cw_pixel_stats;

/* Counts one strip by the first flag that applies (no data > cloud > shadow > other). */
void cw_pixel_stats_add(cw_pixel_stats *ps, const cw_strip *st);
void cw_pixel_stats_sum(cw_pixel_stats *ps, const cw_pixel_stats *add);

int cw_info_run(const char *scene_path, const cw_common_opts *o, FILE *out);
int cw_indices_run(const char *scene_path, const cw_indices_opts *o);

#endif
