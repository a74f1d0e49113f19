/*
 * cw_config.h - the nightly job's configuration (configs/NAME.ini), read by
 * our own INI reader through one typed table of settings with bounds and
 * defaults.
 * Unknown sections or keys are an error; relative paths are relative to
 * the configuration file's folder; cw_config_dump() writes the effective
 * configuration (every setting, defaults included) into the run log.
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include "ck_change.h"
#include "ingest/cw_raster_opts.h"

#include <limits.h>
#include <stdio.h>

#define CW_MAX_LIST 16

typedef struct {
    char path[PATH_MAX]; /* the .ini file */
    /* [job] */
    char inbox[CW_MAX_LIST][PATH_MAX];
    int n_inbox;
    char state_dir[PATH_MAX];
    char output_dir[PATH_MAX];
    long threads;   /* 0 = OpenMP default */
    long memory_mb; /* buffers of a pass, all threads (MB); 0 = cw_mem_auto() */
    long lock_wait_s; /* seconds to wait for the state's lock */
    char history_url[1024]; /* [history] url: postgresql://... (PostGIS), "" = STATE/history.gpkg */
    char language[8]; /* es | en */
    /* [reference] */
    char ref_start[11], ref_end[11];
    int ref_start_day, ref_end_day;
    /* [aoi] */
    char conserved[CW_MAX_LIST][PATH_MAX];
    int n_conserved;
    char chakras[CW_MAX_LIST][PATH_MAX];
    int n_chakras;
    char id_field[64], name_field[64], radius_field[64];
    double point_radius_m; /* radius of point AOIs without a radius attribute */
    double aoi_clear_share; /* share of an AOI clear for a scene to count as an observation */
    /* [detect] */
    ck_change_params det;
    /* [mining] */
    double river_distance_m; /* a mining object lies within this of the baseline river */
    long min_pond_px;        /* pixels with a new pond an object needs, away from the river */
    long riparian_px;        /* pixels within this of a baseline river are riparian ... */
    long river_width_px;     /* ... of water this wide (a square of this side fits) */
    long stream_px;          /* pixels within this of narrower water (a stream) are riparian */
    double river_share;      /* an object with this share riparian, bare or wet and no pit ponds is the river moving */
    long land_px;            /* ... unless it holds a square of this side beyond the strip */
    double mining_share;     /* share of its pixels with bare or pond evidence */
    /* [alerts] */
    double mmu_ha, mmu_aoi_ha;
    long group_days; /* neighbouring pixels join when first dates differ by <= this */
    /* [mask] */
    char invalid_classes[64];
    double cloud_buffer_m, shadow_buffer_m;
    /* [maps] */
    long maps_enabled;
    char map_background[16]; /* truecolor | swir */
    long overview_px, aoi_px, chip_px, map_max_scenes;
    char map_font[PATH_MAX];
    /* [verify] */
    char verify_cutoff[11];
    long verify_min_clear, verify_max_gap;
    double verify_max_never, verify_forest_share;
    /* [scene] */
    char boa_offset[32]; /* "" = from the product */
} cw_config;

/* Defaults, then the file. -1 with cw_error() naming file, line and key. */
int cw_config_load(const char *path, cw_config *c);
void cw_config_dump(const cw_config *c, FILE *f);
/* The settings that can change results (no paths, threads or memory). */
void cw_config_dump_results(const cw_config *c, FILE *f);
/* The settings a tile's per-pixel state is built with ([reference],
 * [detect], [quality], the river margins of [mining], [mask], [scene]):
 * changing one against an existing state is refused. */
void cw_config_dump_state(const cw_config *c, FILE *f);
/* The raster options of the config (mask rules, buffers, threads...). */
int cw_config_raster_opts(const cw_config *c, cw_common_opts *o);

#endif
