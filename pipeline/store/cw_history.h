/*
 * cw_history.h - the alert history: one GeoPackage (QGIS and ogrinfo open
 * it), or the same layers in PostGIS when several machines write it,
 * holding the alerts with their polygons (EPSG:4326), each alert's
 * lifecycle, the committee's reviews, the scenes processed, per-AOI
 * observations and, per tile, which state generation is current.
 *
 * Each tile's night is one transaction: the state files of the new
 * generation are written first, then the transaction that points the tile
 * at them commits, so a job killed anywhere leaves the previous night's
 * history and state consistent, and a rerun redoes the tile from there.
 */
#ifndef CW_HISTORY_H
#define CW_HISTORY_H

#include "cw_config.h"

#include <ogr_api.h>
#include <stdint.h>
#include <stdio.h>

enum { CW_CLASS_LOSS = 0, CW_CLASS_MINING = 1 };
enum { CW_AL_CANDIDATE = 0, CW_AL_CONFIRMED = 1, CW_AL_REJECTED = 2, CW_AL_REVERTED = 3 };

const char *cw_class_name(int c);
const char *cw_status_name(int s);
const char *cw_conf_label(int confidence); /* 2 low, 3 high, 4 highest */

/* Why an alert is not (or no longer) published, as the history stores it:
 * English printf formats, the only place their wording lives; the report
 * and the Spanish spreadsheet translate them (cw_reason_text).  Every
 * conversion is followed by literal text or ends the format. */
#define CW_REASON_MMU "below the minimum mapping unit (%.2f ha)"
#define CW_REASON_RIVER                                                                                      \
    "river dynamics: bare or wet ground beside the baseline channel with no pond away from it "              \
    "(bank erosion or a sand bar)"
#define CW_REASON_REVIEWED "reviewed as a false positive on %s: not published again"
#define CW_REASON_REVIEWED_BY "reviewed as a false positive on %s by %.60s: not published again"
#define CW_REASON_WITHDRAWN "withdrawn: %s" /* the reason it no longer qualifies */
#define CW_REASON_MERGED                                                                                     \
    "merged into %s: its pixels grew together with that alert's (the earliest of the event) "                \
    "and are reported there"
#define CW_REASON_EXPIRED                                                                                    \
    "not confirmed: fewer than %d anomalous of the next %d clear observations within %d days"
#define CW_REASON_REVERTED                                                                                   \
    "reverted: back to its seasonal expectation (NDVI and NBR) on %d clear observations in a row "           \
    "within %d days of the first anomaly; not loss (a dry spell, a winter, a flood)"

typedef struct {
    char id[64];
    char tile[8];
    int cls, status, confidence;
    int first_day, conf_day, last_day; /* ck day numbers, 0 = none */
    int n_anom;
    long npx;
    double area_ha, lat, lon, ndvi_before, ndvi_after;
    char aoi_id[96], aoi_kind[16], aoi_name[256], relation[20];
    double distance_m; /* NAN: no AOI within 2 km */
    char other_aois[1024];
    char scenes[4096];
    int published; /* at or above its minimum mapping unit */
    long long anchor; /* pixel index on the tile grid that identifies the event */
    char reason[256]; /* CW_REASON_*, the longest (reverted) about 190 bytes */
    char created[11], updated[11]; /* nights YYYY-MM-DD */
    OGRGeometryH geom; /* EPSG:4326 lon/lat (owned), may be NULL */
    long long seq;     /* order of making (the row's fid in the history) */
    char same_event[512]; /* other tiles' alerts of this event, "id;id" (cw_history_same_events); not stored */
} cw_alert;

/* An alert as the columns of alerts.csv, which every export and
 * alerts.xlsx share: name, type, the CSV's decimals, whether it is an id
 * (always quoted as text). */
typedef enum { CW_COL_TEXT, CW_COL_INT, CW_COL_REAL, CW_COL_DATE } cw_col_type;
typedef struct {
    const char *name;
    cw_col_type type;
    int decimals;
    int is_id;
} cw_alert_col;
#define CW_ALERT_NCOLS 25
extern const cw_alert_col cw_alert_cols[CW_ALERT_NCOLS];
/* One alert's values: text (TEXT), num (INT and REAL; NAN none), day
 * (DATE; 0 none). */
typedef struct {
    const char *text;
    double num;
    int day;
} cw_alert_cell;
void cw_alert_cells(const cw_alert *a, cw_alert_cell cells[CW_ALERT_NCOLS]);

void cw_alert_free(cw_alert *a);
/* Frees n alerts and the array (NULL is fine). */
void cw_alert_list_free(cw_alert *a, int n);

typedef struct {
    char tile[8];
    int phase; /* 0 reference, 1 monitoring */
    int gen_ref, gen_base, gen_dyn; /* current generations, 0 = none */
    int last_day;
    int width, height;
} cw_tile_rec;

typedef struct cw_history cw_history;

/* Where a configuration's history is: its [history] url (PostGIS, shared
 * by several machines), or STATE/history.gpkg (the default). */
int cw_history_location(const cw_config *cfg, char *buf, size_t n);
int cw_history_is_server(const char *loc);
/* 1 when there is a history to read (a server is assumed to have one). */
int cw_history_exists(const char *loc);

/* Opens (create 1: creating when missing) the GeoPackage, or the
 * postgresql:// database (which must exist; its tables are made when
 * missing), for update; create -1: read-only (chakrawatch verify), nothing
 * is ever written. */
cw_history *cw_history_open(const char *path, int create);
int cw_history_close(cw_history *h);
int cw_history_begin(cw_history *h);
int cw_history_commit(cw_history *h);
void cw_history_rollback(cw_history *h);

/* Forgets a tile's bookkeeping (its record, scenes and AOI observations)
 * so its scenes are processed again; its alerts and their events stay and
 * are matched again by the rebuild.  Within the open transaction. */
int cw_history_tile_reset(cw_history *h, const char *tile);

/* 1 found, 0 not found, -1 error */
int cw_history_tile_get(cw_history *h, const char *tile, cw_tile_rec *r);
int cw_history_tile_put(cw_history *h, const cw_tile_rec *r);

/* After the history is closed: its bookkeeping made a function of its
 * content (last change the night, the extent from the spatial index,
 * feature counts recomputed, GDAL's feature-count triggers
 * recreated in one order, the file rebuilt by VACUUM), so a night killed
 * anywhere and rerun leaves the same bytes as an uninterrupted one.  GDAL
 * drops those triggers while it writes and restores them at close: a kill
 * in between left a file that differed for good. */
int cw_history_canonicalize(const char *path, const char *last_change); /* "YYYY-MM-DDT00:00:00.000Z" */

/* Status of a product already handled ("processed", "out_of_order",
 * "before_reference") into buf; 1 found, 0 not. */
int cw_history_scene_status(cw_history *h, const char *product_id, char *buf, size_t n);
/* qa_pct: shares of the scene that SCL called clear and the temporal tests
 * removed (haze, shadow fringe, suspect next to them), or NULL; shift_px:
 * the measured misregistration "+dx,+dy" (pixels east, south), "" unknown. */
int cw_history_scene_put(cw_history *h, const char *product_id, const char *tile, int day, const char *night,
                         const char *status, double valid_pct, double cloud_pct, const double *qa_pct,
                         const char *shift_px, const char *note);
/* Processed scenes of a tile with dates in [d0, d1], ';'-separated. */
int cw_history_tile_scenes(cw_history *h, const char *tile, int d0, int d1, char *buf, size_t n);

/* Scenes handled on a night (any status), by night, tile and order of
 * recording: the same whichever order tiles run in on a cluster. */
typedef struct {
    char product_id[256], tile[8], status[24];
    int day;
    double valid_pct, cloud_pct; /* NAN when not processed */
    double qa_pct[3];            /* haze, shadow fringe, suspect: removed by the temporal tests, NAN */
    char note[400];
    char night[11];
    long long seq; /* order of recording (the row's fid) */
} cw_scene_row;
int cw_history_scenes_of_night(cw_history *h, const char *night, cw_scene_row **out, int *n);
/* Every scene of a tile (any status), in the order they were recorded. */
int cw_history_tile_scene_rows(cw_history *h, const char *tile, cw_scene_row **out, int *n);
/* Every tile of the history, by tile id. */
int cw_history_tiles(cw_history *h, cw_tile_rec **out, int *n);
/* 1 and *a filled (no geometry) when the alert exists, 0 when not. */
int cw_history_alert_get(cw_history *h, const char *alert_id, cw_alert *a);

/* The committee's reviews of alerts (layer alert_reviews): appended,
 * never changed or deleted; the latest review of an alert is its verdict. */
enum { CW_RV_VERIFIED = 0, CW_RV_FALSE_POSITIVE = 1, CW_RV_UNSURE = 2, CW_RV_N };
const char *cw_review_name(int r); /* "verified", "false_positive", "unsure" */
int cw_review_parse(const char *s); /* -1 when not one of them */
typedef struct {
    char alert_id[64];
    int day; /* ck day of the review */
    int review; /* CW_RV_* */
    char reviewer[128], note[512], source[256];
    long long seq; /* order of recording */
} cw_review;
int cw_history_review_put(cw_history *h, const cw_review *r);
/* All reviews in the order they were recorded. */
int cw_history_reviews(cw_history *h, cw_review **out, int *n);
/* The latest review of an alert among r[0..n), or NULL. */
const cw_review *cw_review_latest(const cw_review *r, int n, const char *alert_id);

/* Published, not rejected alerts of a tile, with geometry, ordered by
 * first date and id: what the maps show. */
int cw_history_tile_active(cw_history *h, const char *tile, cw_alert **out, int *n);

/* All alerts of a tile (geometry not loaded), in the order they were made. */
int cw_history_tile_alerts(cw_history *h, const char *tile, cw_alert **out, int *n);
/* Insert or update by alert_id; an event row when status/confidence/area changed. */
int cw_history_alert_put(cw_history *h, const cw_alert *a, const char *night, const char *event);

int cw_history_aoi_obs(cw_history *h, const char *aoi_id, const char *tile, int day, long npx, long nclear);
int cw_history_aoi_never(cw_history *h, const char *aoi_id, const char *tile, long npx, long nnever);

/* Neighbouring tiles overlap, and an event there is detected on each of
 * them: fills each alert's same_event with the published alerts of other
 * tiles of its class whose outlines share ground with it (an intersection
 * of some area, not a touching edge) and whose observed spans
 * [first_day, last_day] meet within group_days, ids in tile then id
 * order.  0, or -1 with cw_error(). */
int cw_history_same_events(cw_history *h, long group_days, cw_alert *al, int n);

/* Alerts updated on `night` (published only), ordered by tile, date, id. */
int cw_history_alerts_updated(cw_history *h, const char *night, cw_alert **out, int *n);
/* Published alerts with any event (created, updated, confirmed, rejected,
 * reverted) on a night in [from, to], as they are now, with geometry. */
int cw_history_alerts_between(cw_history *h, const char *from, const char *to, cw_alert **out, int *n);
/* Scenes handled on the nights of [from, to]. */
int cw_history_scenes_between(cw_history *h, const char *from, const char *to, cw_scene_row **out, int *n);
/* Alerts updated on or after `since` (all, with geometry). */
int cw_history_alerts_since(cw_history *h, const char *since, cw_alert **out, int *n);

/* AOI observation rows for the summary: callback per row. */
typedef struct {
    char aoi_id[96], tile[8];
    int day;
    long npx, nclear;
} cw_aoi_obs_row;
int cw_history_aoi_obs_all(cw_history *h, cw_aoi_obs_row **out, int *n);
int cw_history_aoi_never_all(cw_history *h, cw_aoi_obs_row **out, int *n); /* nclear = never seen */

#endif
