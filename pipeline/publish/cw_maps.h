/*
 * cw_maps.h - the nightly PNG maps: the tile overview, a map per area of
 * interest with alerts, and the before/after evidence chips of each alert.
 *
 * Backgrounds are "latest clear observation" mosaics read back from the
 * tile's processed scenes (newest first, per pixel the first one that is
 * clear as the pass judged it - its observation record: SCL, the cloud and
 * shadow buffers, the haze tests, or the no-SCL fallback - or by its SCL
 * when it has no record; up to [maps] max_scenes), reduced on the fly by GDAL
 * so a 10980 x 10980 tile never sits in memory: the overview reads
 * bands of output rows in parallel, one set of GDAL handles per band.
 * Pixels no scene saw clear are hatched, never painted as forest.
 */
#ifndef CW_MAPS_H
#define CW_MAPS_H

#include "monitor/cw_aoi.h"
#include "cw_config.h"
#include "publish/cw_draw.h"
#include "store/cw_history.h"
#include "publish/cw_i18n.h"
#include "ingest/cw_scene.h"

typedef struct {
    const cw_scene *s;
    int day; /* ck day number of the acquisition */
    char obs[4096]; /* its observation record (cw_monitor.h), "" = none: then its SCL */
    char preview[4096]; /* its preview (cw_preview_path), "" = none: the overview decodes the scene */
} cw_map_scene;

typedef struct {
    const cw_config *cfg;
    const cw_common_opts *co;
    cw_lang lang;
    const char *night;  /* YYYY-MM-DD */
    const char *run_id; /* reproducible id of the run, for the PNG text */
    cw_font *font, *bold;
    /* the tile */
    const char *tile;
    const cw_map_scene *sc; /* processed scenes, acquisition order */
    int nsc;
    const cw_aoi_grid *ag;
    const cw_aoi_set *as;
    const cw_alert *al; /* active (published, not rejected) alerts of the tile */
    int nal;
    OGRGeometryH *al_tile; /* al's outlines in the tile CRS: cw_map_prepare() */
    uint8_t *used;         /* NULL, or nsc flags: set for each scene whose bands a map read */
} cw_map_ctx;

/* Once per tile, before the maps: the alerts' outlines on the tile's CRS. */
int cw_map_prepare(cw_map_ctx *m);
void cw_map_release(cw_map_ctx *m);

/* What a map shows, for the report. */
typedef struct {
    int w, h;
    int date0, date1; /* day range of the imagery used, 0 = none */
    int date_before, date_after; /* chips: dominant dates inside the alert */
} cw_map_info;

int cw_map_overview(const cw_map_ctx *m, const char *path, cw_map_info *info);
/* Map of grid AOI k (index in m->ag) with its 2 km rings and alerts. */
int cw_map_aoi(const cw_map_ctx *m, int k, const char *path, cw_map_info *info);
/* Before/after evidence of alert a (true colour and SWIR false colour). */
int cw_map_chip(const cw_map_ctx *m, const cw_alert *a, const char *path, cw_map_info *info);

/* Alert colours of the maps (and the report's legend). */
uint32_t cw_alert_rgb(int cls, int confidence);

#endif
