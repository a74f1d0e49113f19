/*
 * cw_history.c - the alert history, a GeoPackage or PostGIS through OGR.
 * Runs once per tile and night, off the pixel path; tables are small
 * (alerts, scenes, AOI observations), so lookups use OGR attribute filters.
 */
#include "store/cw_history.h"
#include "ck_change.h"
#include "cw_util.h"

#include <gdal.h>
#include <sqlite3.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <errno.h>
#include <unistd.h>

struct cw_history {
    GDALDatasetH ds;
    OGRLayerH alerts, events, scenes, tiles, aoi_obs, aoi_never, reviews;
    char path[4096];
    int in_tx;
    int server; /* PostGIS through OGR's PG driver */
};

int cw_history_is_server(const char *loc)
{
    return !strncmp(loc, "postgresql://", 13) || !strncmp(loc, "postgres://", 11);
}

int cw_history_location(const cw_config *cfg, char *buf, size_t n)
{
    if (cfg->history_url[0]) {
        if (strlen(cfg->history_url) >= n)
            return cw_error("[history] url is too long");
        cw_strlcpy(buf, cfg->history_url, n);
        return 0;
    }
    return cw_path_join(buf, n, cfg->state_dir, "history.gpkg");
}

int cw_history_exists(const char *loc) { return cw_history_is_server(loc) || access(loc, F_OK) == 0; }

const char *cw_class_name(int c) { return c == CW_CLASS_MINING ? "mining_scar" : "canopy_loss"; }
const char *cw_status_name(int s)
{
    return s == CW_AL_CONFIRMED  ? "confirmed"
           : s == CW_AL_REJECTED ? "rejected"
           : s == CW_AL_REVERTED ? "reverted"
                                 : "candidate";
}
const char *cw_conf_label(int c) { return c >= 4 ? "highest" : c == 3 ? "high" : "low"; }

const cw_alert_col cw_alert_cols[CW_ALERT_NCOLS] = {
    {"alert_id", CW_COL_TEXT, 0, 1},         {"tile_id", CW_COL_TEXT, 0, 1},
    {"class", CW_COL_TEXT, 0, 0},            {"confidence", CW_COL_INT, 0, 0},
    {"confidence_label", CW_COL_TEXT, 0, 0}, {"status", CW_COL_TEXT, 0, 0},
    {"first_detected", CW_COL_DATE, 0, 0},   {"confirmed_on", CW_COL_DATE, 0, 0},
    {"last_observed", CW_COL_DATE, 0, 0},    {"n_anomalous_obs", CW_COL_INT, 0, 0},
    {"area_ha", CW_COL_REAL, 4, 0},          {"lat", CW_COL_REAL, 6, 0},
    {"lon", CW_COL_REAL, 6, 0},              {"ndvi_before", CW_COL_REAL, 4, 0},
    {"ndvi_after", CW_COL_REAL, 4, 0},       {"aoi_id", CW_COL_TEXT, 0, 1},
    {"aoi_kind", CW_COL_TEXT, 0, 0},         {"aoi_name", CW_COL_TEXT, 0, 0},
    {"relation", CW_COL_TEXT, 0, 0},         {"distance_m", CW_COL_REAL, 0, 0},
    {"scenes", CW_COL_TEXT, 0, 0},           {"other_aois", CW_COL_TEXT, 0, 1},
    {"pixels", CW_COL_INT, 0, 0},            {"reason", CW_COL_TEXT, 0, 0},
    {"same_event_as", CW_COL_TEXT, 0, 1},
};

void cw_alert_cells(const cw_alert *a, cw_alert_cell c[CW_ALERT_NCOLS])
{
    for (int k = 0; k < CW_ALERT_NCOLS; k++)
        c[k] = (cw_alert_cell){NULL, NAN, 0};
    c[0].text = a->id;
    c[1].text = a->tile;
    c[2].text = cw_class_name(a->cls);
    c[3].num = a->confidence;
    c[4].text = cw_conf_label(a->confidence);
    c[5].text = cw_status_name(a->status);
    c[6].day = a->first_day;
    c[7].day = a->conf_day;
    c[8].day = a->last_day;
    c[9].num = a->n_anom;
    c[10].num = a->area_ha;
    c[11].num = a->lat;
    c[12].num = a->lon;
    c[13].num = a->ndvi_before;
    c[14].num = a->ndvi_after;
    c[15].text = a->aoi_id;
    c[16].text = a->aoi_kind[0] ? a->aoi_kind : "none";
    c[17].text = a->aoi_name;
    c[18].text = a->relation[0] ? a->relation : "outside";
    c[19].num = a->distance_m;
    c[20].text = a->scenes;
    c[21].text = a->other_aois;
    c[22].num = (double)a->npx;
    c[23].text = a->reason;
    c[24].text = a->same_event;
}

void cw_alert_free(cw_alert *a)
{
    if (a && a->geom) {
        OGR_G_DestroyGeometry(a->geom);
        a->geom = NULL;
    }
}

void cw_alert_list_free(cw_alert *a, int n)
{
    for (int i = 0; a && i < n; i++)
        cw_alert_free(&a[i]);
    free(a);
}

typedef struct {
    const char *name;
    OGRFieldType type;
} fld;

static const fld alert_fields[] = {
    {"alert_id", OFTString},      {"tile_id", OFTString},      {"class", OFTString},
    {"confidence", OFTInteger},   {"confidence_label", OFTString}, {"status", OFTString},
    {"first_detected", OFTDate},  {"confirmed_on", OFTDate},   {"last_observed", OFTDate},
    {"n_anomalous_obs", OFTInteger}, {"area_ha", OFTReal},     {"lat", OFTReal},
    {"lon", OFTReal},             {"ndvi_before", OFTReal},    {"ndvi_after", OFTReal},
    {"aoi_id", OFTString},        {"aoi_kind", OFTString},     {"aoi_name", OFTString},
    {"relation", OFTString},      {"distance_m", OFTReal},     {"scenes", OFTString},
    {"other_aois", OFTString},    {"published", OFTInteger},   {"pixels", OFTInteger},
    {"anchor_pixel", OFTInteger64}, {"reason", OFTString},     {"created_night", OFTDate},
    {"updated_night", OFTDate},
};
static const fld event_fields[] = {{"alert_id", OFTString}, {"night", OFTDate},    {"event", OFTString},
                                   {"status", OFTString},   {"confidence", OFTInteger}, {"area_ha", OFTReal},
                                   {"last_observed", OFTDate}};
static const fld scene_fields[] = {{"product_id", OFTString}, {"tile_id", OFTString}, {"acquired", OFTDate},
                                   {"night", OFTDate},        {"status", OFTString},  {"valid_pct", OFTReal},
                                   {"cloud_pct", OFTReal},    {"haze_pct", OFTReal},  {"fringe_pct", OFTReal},
                                   {"suspect_pct", OFTReal},  {"shift_px", OFTString}, {"note", OFTString}};
static const fld tile_fields[] = {{"tile_id", OFTString},   {"phase", OFTString},  {"gen_ref", OFTInteger},
                                  {"gen_base", OFTInteger}, {"gen_dyn", OFTInteger}, {"last_acquired", OFTDate},
                                  {"width", OFTInteger},    {"height", OFTInteger}, {"state_format", OFTInteger}};
static const fld obs_fields[] = {{"aoi_id", OFTString}, {"tile_id", OFTString}, {"acquired", OFTDate},
                                 {"pixels", OFTInteger}, {"clear_pixels", OFTInteger}};
static const fld review_fields[] = {{"alert_id", OFTString}, {"reviewed_on", OFTDate}, {"review", OFTString},
                                    {"reviewer", OFTString}, {"note", OFTString},        {"source", OFTString}};
static const fld never_fields[] = {{"aoi_id", OFTString}, {"tile_id", OFTString}, {"pixels", OFTInteger},
                                   {"never_clear_pixels", OFTInteger}};
#define NF(a) ((int)(sizeof a / sizeof a[0]))

/* A statement whose result, if any, is not needed; -1 when GDAL reported
 * a failure (the callers that can go on without it ignore that). */
static int sql_exec(cw_history *h, const char *sql)
{
    CPLErrorReset();
    OGRLayerH r = GDALDatasetExecuteSQL(h->ds, sql, NULL, NULL);
    if (r)
        GDALDatasetReleaseResultSet(h->ds, r);
    return CPLGetLastErrorType() >= CE_Failure ? -1 : 0;
}

static OGRLayerH get_layer(cw_history *h, const char *name, OGRwkbGeometryType gt, const fld *f, int nf, int create)
{
    OGRLayerH l = GDALDatasetGetLayerByName(h->ds, name);
    if (l || !create)
        return l;
    OGRSpatialReferenceH srs = NULL;
    if (gt != wkbNone) {
        srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, 4326);
    }
    char *opts[] = {"FID=fid", "GEOMETRY_NAME=geom", NULL}; /* the GeoPackage's names, on PostGIS too */
    l = GDALDatasetCreateLayer(h->ds, name, srs, gt, opts);
    if (srs)
        OSRDestroySpatialReference(srs);
    if (!l)
        return NULL;
    for (int i = 0; i < nf; i++) {
        OGRFieldDefnH d = OGR_Fld_Create(f[i].name, f[i].type);
        OGR_L_CreateField(l, d, TRUE);
        OGR_Fld_Destroy(d);
    }
    return l;
}

cw_history *cw_history_open(const char *path, int create)
{
    cw_history *h = calloc(1, sizeof *h);
    if (!h) {
        cw_error("out of memory");
        return NULL;
    }
    cw_strlcpy(h->path, path, sizeof h->path);
    h->server = cw_history_is_server(path);
    int exists = h->server || access(path, F_OK) == 0;
    const int readonly = create < 0;
    if (readonly)
        create = 0;
    h->ds = GDALOpenEx(path, GDAL_OF_VECTOR | (readonly ? GDAL_OF_READONLY : GDAL_OF_UPDATE), NULL, NULL, NULL);
    char why[256] = "";
    if (!h->ds && h->server) {
        snprintf(why, sizeof why, "%s", cw_gdal_reason("the PostgreSQL server gave no reason"));
    } else if (!h->ds && exists) { /* never create over an existing file: say why it cannot be opened */
        char dir[PATH_MAX];
        cw_strlcpy(dir, path, sizeof dir);
        char *sl = strrchr(dir, '/');
        if (sl)
            *sl = '\0';
        if (access(path, W_OK) != 0 || access(sl ? dir : ".", W_OK) != 0)
            snprintf(why, sizeof why, "the file or its folder is not writable (%s)", strerror(errno));
        else
            snprintf(why, sizeof why, "%s", cw_gdal_reason("not a GeoPackage GDAL can open for update"));
    } else if (!h->ds && create) {
        GDALDriverH drv = GDALGetDriverByName("GPKG");
        h->ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    }
    if (!h->ds) {
        cw_error("%s: cannot open the alert history: %s", path,
                 why[0] ? why : cw_gdal_reason("GDAL gave no reason"));
        free(h);
        return NULL;
    }
    /* several machines may open an empty database at once: its tables and
     * indexes are made by one of them at a time */
    if (h->server && !readonly)
        sql_exec(h, "SELECT pg_advisory_lock(72737001)");
    h->alerts = get_layer(h, "alerts", wkbMultiPolygon, alert_fields, NF(alert_fields), create);
    h->events = get_layer(h, "alert_events", wkbNone, event_fields, NF(event_fields), create);
    h->scenes = get_layer(h, "scenes", wkbNone, scene_fields, NF(scene_fields), create);
    h->tiles = get_layer(h, "tiles", wkbNone, tile_fields, NF(tile_fields), create);
    h->aoi_obs = get_layer(h, "aoi_observations", wkbNone, obs_fields, NF(obs_fields), create);
    h->aoi_never = get_layer(h, "aoi_never_observed", wkbNone, never_fields, NF(never_fields), create);
    h->reviews = get_layer(h, "alert_reviews", wkbNone, review_fields, NF(review_fields), create);
    if (!h->alerts || !h->events || !h->scenes || !h->tiles || !h->aoi_obs || !h->aoi_never) {
        cw_error("%s: not a chakrawatch alert history (tables missing): %s", path, cw_gdal_errmsg());
        if (h->server && !readonly)
            sql_exec(h, "SELECT pg_advisory_unlock(72737001)");
        GDALClose(h->ds);
        free(h);
        return NULL;
    }
    /* the lookups of every night (one per scene, per AOI and tile, per
     * tile's alerts) would scan whole tables without these: quadratic in the
     * number of AOIs (10,000 chakras took 25 s) */
    if (readonly)
        return h;
    static const char *const idx[] = {
        "CREATE INDEX IF NOT EXISTS cw_scenes_product ON scenes(product_id)",
        "CREATE INDEX IF NOT EXISTS cw_scenes_tile ON scenes(tile_id)",
        "CREATE INDEX IF NOT EXISTS cw_alerts_tile ON alerts(tile_id)",
        "CREATE INDEX IF NOT EXISTS cw_alerts_night ON alerts(updated_night)",
        "CREATE INDEX IF NOT EXISTS cw_never_aoi ON aoi_never_observed(aoi_id, tile_id)",
        "CREATE INDEX IF NOT EXISTS cw_reviews_alert ON alert_reviews(alert_id)",
    };
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        sql_exec(h, idx[i]);
    if (h->server)
        sql_exec(h, "SELECT pg_advisory_unlock(72737001)");
    return h;
}

int cw_history_close(cw_history *h)
{
    if (!h)
        return 0;
    if (h->in_tx)
        cw_history_rollback(h);
    CPLErrorReset();
    GDALClose(h->ds);
    int rc = CPLGetLastErrorType() >= CE_Failure ? cw_error("%s: close failed: %s", h->path, cw_gdal_errmsg()) : 0;
    free(h);
    return rc;
}

int cw_history_begin(cw_history *h)
{
    if (GDALDatasetStartTransaction(h->ds, FALSE) != OGRERR_NONE)
        return cw_error("%s: cannot start a transaction: %s", h->path, cw_gdal_errmsg());
    h->in_tx = 1;
    return 0;
}

int cw_history_commit(cw_history *h)
{
    h->in_tx = 0;
    if (GDALDatasetCommitTransaction(h->ds) != OGRERR_NONE)
        return cw_error("%s: commit failed: %s", h->path, cw_gdal_errmsg());
    return 0;
}

void cw_history_rollback(cw_history *h)
{
    if (h->in_tx)
        GDALDatasetRollbackTransaction(h->ds);
    h->in_tx = 0;
}

/* ------------------------------------------------------------ helpers */

static void sql_quote(char *out, size_t n, const char *s)
{
    size_t j = 0;
    if (n < 3)
        return;
    out[j++] = '\'';
    for (; *s && j + 3 < n; s++) {
        if (*s == '\'')
            out[j++] = '\'';
        out[j++] = *s;
    }
    out[j++] = '\'';
    out[j] = '\0';
}

static int fi(OGRFeatureH f, const char *name) { return OGR_F_GetFieldIndex(f, name); }
static void set_s(OGRFeatureH f, const char *k, const char *v) { OGR_F_SetFieldString(f, fi(f, k), v); }
static void set_i(OGRFeatureH f, const char *k, long v) { OGR_F_SetFieldInteger64(f, fi(f, k), v); }
/* Reals are kept to 12 significant digits, far below any published
 * decimal: a value read back is the one written, whichever the backend
 * (PostGIS through OGR keeps 15 digits, a GeoPackage 17), so both give the
 * same outputs, byte for byte. */
static void set_d(OGRFeatureH f, const char *k, double v)
{
    if (isnan(v)) {
        OGR_F_SetFieldNull(f, fi(f, k));
        return;
    }
    char b[40];
    snprintf(b, sizeof b, "%.12g", v);
    OGR_F_SetFieldDouble(f, fi(f, k), strtod(b, NULL));
}
static void set_date(OGRFeatureH f, const char *k, int day)
{
    int y, m, d;
    if (day <= 0) {
        OGR_F_SetFieldNull(f, fi(f, k));
        return;
    }
    ck_day_to_ymd(day, &y, &m, &d);
    OGR_F_SetFieldDateTime(f, fi(f, k), y, m, d, 0, 0, 0, 0);
}
static void set_night(OGRFeatureH f, const char *k, const char *night)
{
    set_date(f, k, ck_day_parse(night));
}
static const char *get_s(OGRFeatureH f, const char *k)
{
    int i = fi(f, k);
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsString(f, i) : "";
}
static long get_i(OGRFeatureH f, const char *k)
{
    int i = fi(f, k);
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i) ? (long)OGR_F_GetFieldAsInteger64(f, i) : 0;
}
static double get_d(OGRFeatureH f, const char *k)
{
    int i = fi(f, k);
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsDouble(f, i) : NAN;
}
static int get_date(OGRFeatureH f, const char *k)
{
    int i = fi(f, k), y, m, d, hh, mm, tz;
    float ss;
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i) || !OGR_F_GetFieldAsDateTimeEx(f, i, &y, &m, &d, &hh, &mm, &ss, &tz))
        return 0;
    return ck_day_from_ymd(y, m, d);
}

/* First feature of l where key = value (caller destroys), or NULL. */
static OGRFeatureH find1(OGRLayerH l, const char *key, const char *value, const char *key2, const char *value2)
{
    char q1[600], q2[600], filt[1400];
    sql_quote(q1, sizeof q1, value);
    if (key2) {
        sql_quote(q2, sizeof q2, value2);
        snprintf(filt, sizeof filt, "\"%s\" = %s AND \"%s\" = %s", key, q1, key2, q2);
    } else {
        snprintf(filt, sizeof filt, "\"%s\" = %s", key, q1);
    }
    OGR_L_SetAttributeFilter(l, filt);
    OGR_L_ResetReading(l);
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    OGR_L_SetAttributeFilter(l, NULL);
    return f;
}

static int put(OGRLayerH l, OGRFeatureH f, int is_new, const char *what)
{
    OGRErr e = is_new ? OGR_L_CreateFeature(l, f) : OGR_L_SetFeature(l, f);
    OGR_F_Destroy(f);
    return e == OGRERR_NONE ? 0 : cw_error("history: cannot write %s: %s", what, cw_gdal_errmsg());
}

/* -------------------------------------------------------------- tiles */

int cw_history_tile_get(cw_history *h, const char *tile, cw_tile_rec *r)
{
    memset(r, 0, sizeof *r);
    cw_strlcpy(r->tile, tile, sizeof r->tile);
    OGRFeatureH f = find1(h->tiles, "tile_id", tile, NULL, NULL);
    if (!f)
        return 0;
    r->phase = !strcmp(get_s(f, "phase"), "monitoring");
    r->gen_ref = (int)get_i(f, "gen_ref");
    r->gen_base = (int)get_i(f, "gen_base");
    r->gen_dyn = (int)get_i(f, "gen_dyn");
    r->last_day = get_date(f, "last_acquired");
    r->width = (int)get_i(f, "width");
    r->height = (int)get_i(f, "height");
    OGR_F_Destroy(f);
    return 1;
}

int cw_history_tile_put(cw_history *h, const cw_tile_rec *r)
{
    OGRFeatureH f = find1(h->tiles, "tile_id", r->tile, NULL, NULL);
    int is_new = !f;
    if (is_new)
        f = OGR_F_Create(OGR_L_GetLayerDefn(h->tiles));
    set_s(f, "tile_id", r->tile);
    set_s(f, "phase", r->phase ? "monitoring" : "reference");
    set_i(f, "gen_ref", r->gen_ref);
    set_i(f, "gen_base", r->gen_base);
    set_i(f, "gen_dyn", r->gen_dyn);
    set_date(f, "last_acquired", r->last_day);
    set_i(f, "width", r->width);
    set_i(f, "height", r->height);
    set_i(f, "state_format", 1);
    return put(h->tiles, f, is_new, "tile state");
}

/* ------------------------------------------------------------- scenes */

int cw_history_scene_status(cw_history *h, const char *product_id, char *buf, size_t n)
{
    OGRFeatureH f = find1(h->scenes, "product_id", product_id, NULL, NULL);
    if (!f)
        return 0;
    cw_strlcpy(buf, get_s(f, "status"), n);
    OGR_F_Destroy(f);
    return 1;
}

int cw_history_scene_put(cw_history *h, const char *product_id, const char *tile, int day, const char *night,
                         const char *status, double valid_pct, double cloud_pct, const double *qa_pct, const char *shift_px,
                         const char *note)
{
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(h->scenes));
    set_s(f, "product_id", product_id);
    set_s(f, "tile_id", tile);
    set_date(f, "acquired", day);
    set_night(f, "night", night);
    set_s(f, "status", status);
    set_d(f, "valid_pct", valid_pct);
    set_d(f, "cloud_pct", cloud_pct);
    set_d(f, "haze_pct", qa_pct ? qa_pct[0] : NAN);
    set_d(f, "fringe_pct", qa_pct ? qa_pct[1] : NAN);
    set_d(f, "suspect_pct", qa_pct ? qa_pct[2] : NAN);
    set_s(f, "shift_px", shift_px ? shift_px : "");
    set_s(f, "note", note ? note : "");
    return put(h->scenes, f, 1, "scene");
}

int cw_history_tile_scenes(cw_history *h, const char *tile, int d0, int d1, char *buf, size_t n)
{
    char q[64], filt[256];
    sql_quote(q, sizeof q, tile);
    snprintf(filt, sizeof filt, "tile_id = %s AND status = 'processed'", q);
    OGR_L_SetAttributeFilter(h->scenes, filt);
    OGR_L_ResetReading(h->scenes);
    buf[0] = '\0';
    OGRFeatureH f;
    /* rows are in insertion order, which is acquisition order per tile */
    while ((f = OGR_L_GetNextFeature(h->scenes))) {
        int d = get_date(f, "acquired");
        if (d >= d0 && d <= d1) {
            size_t l = strlen(buf);
            snprintf(buf + l, n - l, "%s%s", l ? ";" : "", get_s(f, "product_id"));
        }
        OGR_F_Destroy(f);
    }
    OGR_L_SetAttributeFilter(h->scenes, NULL);
    return 0;
}

static int scene_row_cmp(const void *pa, const void *pb)
{
    const cw_scene_row *a = pa, *b = pb;
    int c = strcmp(a->night, b->night);
    if (!c)
        c = strcmp(a->tile, b->tile);
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* Scene rows matching an attribute filter by night, tile and order of
 * recording (a server returns rows in no set order; tiles of a cluster
 * commit in any order). */
static int scene_rows(cw_history *h, const char *filt, cw_scene_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc = 0;
    OGR_L_SetAttributeFilter(h->scenes, filt);
    OGR_L_ResetReading(h->scenes);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(h->scenes))) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            cw_scene_row *nr = realloc(*out, (size_t)cap * sizeof *nr);
            if (!nr) {
                OGR_F_Destroy(f);
                rc = cw_error("out of memory");
                break;
            }
            *out = nr;
        }
        cw_scene_row *r = &(*out)[(*n)++];
        cw_strlcpy(r->product_id, get_s(f, "product_id"), sizeof r->product_id);
        cw_strlcpy(r->tile, get_s(f, "tile_id"), sizeof r->tile);
        cw_strlcpy(r->status, get_s(f, "status"), sizeof r->status);
        r->day = get_date(f, "acquired");
        r->valid_pct = get_d(f, "valid_pct");
        r->cloud_pct = get_d(f, "cloud_pct");
        r->qa_pct[0] = get_d(f, "haze_pct");
        r->qa_pct[1] = get_d(f, "fringe_pct");
        r->qa_pct[2] = get_d(f, "suspect_pct");
        cw_strlcpy(r->note, get_s(f, "note"), sizeof r->note);
        int night = get_date(f, "night");
        if (night)
            ck_day_format(night, r->night);
        else
            r->night[0] = '\0';
        r->seq = OGR_F_GetFID(f);
        OGR_F_Destroy(f);
    }
    OGR_L_SetAttributeFilter(h->scenes, NULL);
    if (!rc && *n > 1)
        qsort(*out, (size_t)*n, sizeof **out, scene_row_cmp);
    return rc;
}

int cw_history_scenes_of_night(cw_history *h, const char *night, cw_scene_row **out, int *n)
{
    char q[32], filt[96];
    sql_quote(q, sizeof q, night);
    snprintf(filt, sizeof filt, "night = %s", q);
    return scene_rows(h, filt, out, n);
}

int cw_history_tile_reset(cw_history *h, const char *tile)
{
    static const char *const tables[] = {"tiles", "scenes", "aoi_observations", "aoi_never_observed"};
    char q[64];
    sql_quote(q, sizeof q, tile);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE tile_id = %s", tables[i], q);
        if (sql_exec(h, sql))
            return cw_error("%s: cannot reset tile %s: %s", h->path, tile, cw_gdal_errmsg());
    }
    return 0;
}

int cw_history_tile_scene_rows(cw_history *h, const char *tile, cw_scene_row **out, int *n)
{
    char q[64], filt[128];
    sql_quote(q, sizeof q, tile);
    snprintf(filt, sizeof filt, "tile_id = %s", q);
    return scene_rows(h, filt, out, n);
}

static int tile_rec_cmp(const void *a, const void *b)
{
    return strcmp(((const cw_tile_rec *)a)->tile, ((const cw_tile_rec *)b)->tile);
}

int cw_history_tiles(cw_history *h, cw_tile_rec **out, int *n)
{
    *out = NULL;
    *n = 0;
    int cap = 0;
    /* the ids first: looking a tile up moves the layer's reading */
    OGR_L_SetAttributeFilter(h->tiles, NULL);
    OGR_L_ResetReading(h->tiles);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(h->tiles))) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            cw_tile_rec *nr = realloc(*out, (size_t)cap * sizeof *nr);
            if (!nr) {
                OGR_F_Destroy(f);
                return cw_error("out of memory");
            }
            *out = nr;
        }
        memset(&(*out)[*n], 0, sizeof **out);
        cw_strlcpy((*out)[(*n)++].tile, get_s(f, "tile_id"), sizeof(*out)->tile);
        OGR_F_Destroy(f);
    }
    if (*n > 1)
        qsort(*out, (size_t)*n, sizeof **out, tile_rec_cmp);
    for (int i = 0; i < *n; i++) {
        char id[8];
        cw_strlcpy(id, (*out)[i].tile, sizeof id);
        if (cw_history_tile_get(h, id, &(*out)[i]) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ reviews */

const char *cw_review_name(int r)
{
    return r == CW_RV_VERIFIED ? "verified" : r == CW_RV_FALSE_POSITIVE ? "false_positive" : "unsure";
}

int cw_review_parse(const char *s)
{
    for (int r = 0; r < CW_RV_N; r++)
        if (!strcmp(s, cw_review_name(r)))
            return r;
    return -1;
}

int cw_history_review_put(cw_history *h, const cw_review *r)
{
    if (!h->reviews)
        return cw_error("%s: the history has no alert_reviews table", h->path);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(h->reviews));
    set_s(f, "alert_id", r->alert_id);
    set_date(f, "reviewed_on", r->day);
    set_s(f, "review", cw_review_name(r->review));
    set_s(f, "reviewer", r->reviewer);
    set_s(f, "note", r->note);
    set_s(f, "source", r->source);
    return put(h->reviews, f, 1, "review");
}

static int review_cmp(const void *pa, const void *pb)
{
    const cw_review *a = pa, *b = pb;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

int cw_history_reviews(cw_history *h, cw_review **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!h->reviews)
        return 0;
    int cap = 0;
    OGR_L_SetAttributeFilter(h->reviews, NULL);
    OGR_L_ResetReading(h->reviews);
    OGRFeatureH f;
    /* by order of recording: the later review of an alert wins */
    while ((f = OGR_L_GetNextFeature(h->reviews))) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            cw_review *nr = realloc(*out, (size_t)cap * sizeof *nr);
            if (!nr) {
                OGR_F_Destroy(f);
                return cw_error("out of memory");
            }
            *out = nr;
        }
        cw_review *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        cw_strlcpy(r->alert_id, get_s(f, "alert_id"), sizeof r->alert_id);
        r->day = get_date(f, "reviewed_on");
        r->review = cw_review_parse(get_s(f, "review"));
        if (r->review < 0)
            r->review = CW_RV_UNSURE;
        cw_strlcpy(r->reviewer, get_s(f, "reviewer"), sizeof r->reviewer);
        cw_strlcpy(r->note, get_s(f, "note"), sizeof r->note);
        cw_strlcpy(r->source, get_s(f, "source"), sizeof r->source);
        r->seq = OGR_F_GetFID(f);
        OGR_F_Destroy(f);
    }
    if (*n > 1) /* a server returns rows in no set order */
        qsort(*out, (size_t)*n, sizeof **out, review_cmp);
    return 0;
}

const cw_review *cw_review_latest(const cw_review *r, int n, const char *alert_id)
{
    for (int i = n - 1; i >= 0; i--)
        if (!strcmp(r[i].alert_id, alert_id))
            return &r[i];
    return NULL;
}

/* ------------------------------------------------------------- alerts */

static void feature_to_alert(OGRFeatureH f, cw_alert *a, int with_geom)
{
    memset(a, 0, sizeof *a);
    a->seq = OGR_F_GetFID(f);
    cw_strlcpy(a->id, get_s(f, "alert_id"), sizeof a->id);
    cw_strlcpy(a->tile, get_s(f, "tile_id"), sizeof a->tile);
    a->cls = !strcmp(get_s(f, "class"), "mining_scar") ? CW_CLASS_MINING : CW_CLASS_LOSS;
    const char *st = get_s(f, "status");
    a->status = !strcmp(st, "confirmed")  ? CW_AL_CONFIRMED
                : !strcmp(st, "rejected") ? CW_AL_REJECTED
                : !strcmp(st, "reverted") ? CW_AL_REVERTED
                                          : CW_AL_CANDIDATE;
    a->confidence = (int)get_i(f, "confidence");
    a->first_day = get_date(f, "first_detected");
    a->conf_day = get_date(f, "confirmed_on");
    a->last_day = get_date(f, "last_observed");
    a->n_anom = (int)get_i(f, "n_anomalous_obs");
    a->npx = get_i(f, "pixels");
    a->area_ha = get_d(f, "area_ha");
    a->lat = get_d(f, "lat");
    a->lon = get_d(f, "lon");
    a->ndvi_before = get_d(f, "ndvi_before");
    a->ndvi_after = get_d(f, "ndvi_after");
    cw_strlcpy(a->aoi_id, get_s(f, "aoi_id"), sizeof a->aoi_id);
    cw_strlcpy(a->aoi_kind, get_s(f, "aoi_kind"), sizeof a->aoi_kind);
    cw_strlcpy(a->aoi_name, get_s(f, "aoi_name"), sizeof a->aoi_name);
    cw_strlcpy(a->relation, get_s(f, "relation"), sizeof a->relation);
    a->distance_m = get_d(f, "distance_m");
    cw_strlcpy(a->other_aois, get_s(f, "other_aois"), sizeof a->other_aois);
    cw_strlcpy(a->scenes, get_s(f, "scenes"), sizeof a->scenes);
    a->published = (int)get_i(f, "published");
    a->anchor = get_i(f, "anchor_pixel");
    cw_strlcpy(a->reason, get_s(f, "reason"), sizeof a->reason);
    ck_day_format(get_date(f, "created_night"), a->created);
    ck_day_format(get_date(f, "updated_night"), a->updated);
    if (with_geom && OGR_F_GetGeometryRef(f))
        a->geom = OGR_G_Clone(OGR_F_GetGeometryRef(f));
}

static int collect(OGRLayerH l, const char *filt, int with_geom, cw_alert **out, int *n)
{
    *out = NULL;
    *n = 0;
    CPLErrorReset();
    if (OGR_L_SetAttributeFilter(l, filt) != OGRERR_NONE)
        return cw_error("history: cannot select alerts (%s): %s", filt ? filt : "all", cw_gdal_errmsg());
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    int cap = 0, rc = 0;
    while ((f = OGR_L_GetNextFeature(l))) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            cw_alert *na = realloc(*out, (size_t)cap * sizeof *na);
            if (!na) {
                OGR_F_Destroy(f);
                rc = cw_error("out of memory");
                break;
            }
            *out = na;
        }
        feature_to_alert(f, &(*out)[(*n)++], with_geom);
        OGR_F_Destroy(f);
    }
    if (!rc && CPLGetLastErrorType() >= CE_Failure)
        rc = cw_error("history: cannot read alerts: %s", cw_gdal_errmsg());
    OGR_L_SetAttributeFilter(l, NULL);
    return rc;
}

static int alert_seq_cmp(const void *pa, const void *pb)
{
    const cw_alert *a = pa, *b = pb;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

int cw_history_tile_alerts(cw_history *h, const char *tile, cw_alert **out, int *n)
{
    char q[64], filt[128];
    sql_quote(q, sizeof q, tile);
    snprintf(filt, sizeof filt, "tile_id = %s", q);
    int rc = collect(h->alerts, filt, 0, out, n);
    if (rc == 0 && *n > 1) /* in the order they were made, from any backend */
        qsort(*out, (size_t)*n, sizeof **out, alert_seq_cmp);
    return rc;
}

static int alert_cmp(const void *pa, const void *pb);

int cw_history_tile_active(cw_history *h, const char *tile, cw_alert **out, int *n)
{
    char q[64], filt[160];
    sql_quote(q, sizeof q, tile);
    snprintf(filt, sizeof filt, "tile_id = %s AND published = 1 AND status NOT IN ('rejected', 'reverted')", q);
    int rc = collect(h->alerts, filt, 1, out, n);
    if (rc == 0 && *n)
        qsort(*out, (size_t)*n, sizeof **out, alert_cmp);
    return rc;
}

static int alert_cmp(const void *pa, const void *pb)
{
    const cw_alert *a = pa, *b = pb;
    int c = strcmp(a->tile, b->tile);
    if (c)
        return c;
    if (a->first_day != b->first_day)
        return a->first_day < b->first_day ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* Published alerts whose updated_night compares `op` to night, with
 * geometry, ordered by tile, first date, id. */
static int published_by_night(cw_history *h, const char *op, const char *night, cw_alert **out, int *n)
{
    char q[32], filt[128];
    sql_quote(q, sizeof q, night);
    snprintf(filt, sizeof filt, "updated_night %s %s AND published = 1", op, q);
    int rc = collect(h->alerts, filt, 1, out, n);
    if (rc == 0 && *n)
        qsort(*out, (size_t)*n, sizeof **out, alert_cmp);
    return rc;
}

int cw_history_alerts_updated(cw_history *h, const char *night, cw_alert **out, int *n)
{
    return published_by_night(h, "=", night, out, n);
}

int cw_history_alerts_between(cw_history *h, const char *from, const char *to, cw_alert **out, int *n)
{
    char q0[32], q1[32], filt[320];
    sql_quote(q0, sizeof q0, from);
    sql_quote(q1, sizeof q1, to);
    snprintf(filt, sizeof filt,
             "published = 1 AND alert_id IN (SELECT alert_id FROM alert_events WHERE night >= %s AND night <= %s)",
             q0, q1);
    int rc = collect(h->alerts, filt, 1, out, n);
    if (rc == 0 && *n)
        qsort(*out, (size_t)*n, sizeof **out, alert_cmp);
    return rc;
}

int cw_history_scenes_between(cw_history *h, const char *from, const char *to, cw_scene_row **out, int *n)
{
    char q0[32], q1[32], filt[160];
    sql_quote(q0, sizeof q0, from);
    sql_quote(q1, sizeof q1, to);
    snprintf(filt, sizeof filt, "night >= %s AND night <= %s", q0, q1);
    return scene_rows(h, filt, out, n);
}

int cw_history_alerts_since(cw_history *h, const char *since, cw_alert **out, int *n)
{
    return published_by_night(h, ">=", since, out, n);
}

/* The two outlines share ground: they intersect in some area, more than a
 * touching edge or corner. */
static int share_ground(OGRGeometryH a, OGRGeometryH b)
{
    if (!a || !b || !OGR_G_Intersects(a, b))
        return 0;
    OGRGeometryH x = OGR_G_Intersection(a, b);
    const int some = x && OGR_G_Area(x) > 0;
    OGR_G_DestroyGeometry(x);
    return some;
}

static int same_event(const cw_alert *a, const cw_alert *b, long group_days)
{
    return a->cls == b->cls && strcmp(a->tile, b->tile) != 0 && a->first_day <= b->last_day + group_days &&
           b->first_day <= a->last_day + group_days && share_ground(a->geom, b->geom);
}

int cw_history_same_events(cw_history *h, long group_days, cw_alert *al, int n)
{
    for (int i = 0; i < n; i++)
        al[i].same_event[0] = '\0';
    if (n == 0)
        return 0;
    cw_alert *all;
    int nall;
    if (cw_history_alerts_since(h, "0001-01-01", &all, &nall)) /* tile, first date, id order */
        return -1;
    for (int i = 0; i < n; i++) {
        char *out = al[i].same_event;
        const size_t cap = sizeof al[i].same_event;
        for (int j = 0; j < nall; j++) {
            if (!same_event(&al[i], &all[j], group_days))
                continue;
            const size_t len = strlen(out), need = strlen(all[j].id) + (len ? 1 : 0);
            if (len + need >= cap) /* ids are at most 63 bytes: seven fit, more is no map anyone reads */
                break;
            snprintf(out + len, cap - len, "%s%s", len ? ";" : "", all[j].id);
        }
    }
    cw_alert_list_free(all, nall);
    return 0;
}

int cw_history_alert_put(cw_history *h, const cw_alert *a, const char *night, const char *event)
{
    OGRFeatureH f = find1(h->alerts, "alert_id", a->id, NULL, NULL);
    int is_new = !f;
    if (is_new)
        f = OGR_F_Create(OGR_L_GetLayerDefn(h->alerts));
    set_s(f, "alert_id", a->id);
    set_s(f, "tile_id", a->tile);
    set_s(f, "class", cw_class_name(a->cls));
    set_i(f, "confidence", a->confidence);
    set_s(f, "confidence_label", cw_conf_label(a->confidence));
    set_s(f, "status", cw_status_name(a->status));
    set_date(f, "first_detected", a->first_day);
    set_date(f, "confirmed_on", a->conf_day);
    set_date(f, "last_observed", a->last_day);
    set_i(f, "n_anomalous_obs", a->n_anom);
    set_d(f, "area_ha", a->area_ha);
    set_d(f, "lat", a->lat);
    set_d(f, "lon", a->lon);
    set_d(f, "ndvi_before", a->ndvi_before);
    set_d(f, "ndvi_after", a->ndvi_after);
    set_s(f, "aoi_id", a->aoi_id);
    set_s(f, "aoi_kind", a->aoi_kind);
    set_s(f, "aoi_name", a->aoi_name);
    set_s(f, "relation", a->relation);
    set_d(f, "distance_m", a->distance_m);
    set_s(f, "scenes", a->scenes);
    set_s(f, "other_aois", a->other_aois);
    set_i(f, "published", a->published);
    set_i(f, "pixels", a->npx);
    OGR_F_SetFieldInteger64(f, fi(f, "anchor_pixel"), a->anchor);
    set_s(f, "reason", a->reason);
    if (is_new)
        set_night(f, "created_night", night);
    set_night(f, "updated_night", night);
    if (a->geom)
        OGR_F_SetGeometry(f, a->geom);
    if (put(h->alerts, f, is_new, "alert"))
        return -1;
    OGRFeatureH e = OGR_F_Create(OGR_L_GetLayerDefn(h->events));
    set_s(e, "alert_id", a->id);
    set_night(e, "night", night);
    set_s(e, "event", event);
    set_s(e, "status", cw_status_name(a->status));
    set_i(e, "confidence", a->confidence);
    set_d(e, "area_ha", a->area_ha);
    set_date(e, "last_observed", a->last_day);
    return put(h->events, e, 1, "alert event");
}

/* ---------------------------------------------------------------- AOIs */

int cw_history_aoi_obs(cw_history *h, const char *aoi_id, const char *tile, int day, long npx, long nclear)
{
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(h->aoi_obs));
    set_s(f, "aoi_id", aoi_id);
    set_s(f, "tile_id", tile);
    set_date(f, "acquired", day);
    set_i(f, "pixels", npx);
    set_i(f, "clear_pixels", nclear);
    return put(h->aoi_obs, f, 1, "AOI observation");
}

int cw_history_aoi_never(cw_history *h, const char *aoi_id, const char *tile, long npx, long nnever)
{
    OGRFeatureH f = find1(h->aoi_never, "aoi_id", aoi_id, "tile_id", tile);
    int is_new = !f;
    if (is_new)
        f = OGR_F_Create(OGR_L_GetLayerDefn(h->aoi_never));
    set_s(f, "aoi_id", aoi_id);
    set_s(f, "tile_id", tile);
    set_i(f, "pixels", npx);
    set_i(f, "never_clear_pixels", nnever);
    return put(h->aoi_never, f, is_new, "AOI coverage");
}

static int rows_of(OGRLayerH l, int never, cw_aoi_obs_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    int cap = 0;
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l))) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            cw_aoi_obs_row *nr = realloc(*out, (size_t)cap * sizeof *nr);
            if (!nr) {
                OGR_F_Destroy(f);
                return cw_error("out of memory");
            }
            *out = nr;
        }
        cw_aoi_obs_row *r = &(*out)[(*n)++];
        cw_strlcpy(r->aoi_id, get_s(f, "aoi_id"), sizeof r->aoi_id);
        cw_strlcpy(r->tile, get_s(f, "tile_id"), sizeof r->tile);
        r->day = never ? 0 : get_date(f, "acquired");
        r->npx = get_i(f, "pixels");
        r->nclear = get_i(f, never ? "never_clear_pixels" : "clear_pixels");
        OGR_F_Destroy(f);
    }
    return 0;
}

int cw_history_aoi_obs_all(cw_history *h, cw_aoi_obs_row **out, int *n) { return rows_of(h->aoi_obs, 0, out, n); }
int cw_history_aoi_never_all(cw_history *h, cw_aoi_obs_row **out, int *n)
{
    return rows_of(h->aoi_never, 1, out, n);
}

int cw_history_canonicalize(const char *path, const char *last_change)
{
    if (cw_history_is_server(path)) /* a server's bytes are its own */
        return 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        int rc = cw_error("%s: cannot reopen the history: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    char *err = NULL;
    int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, &err);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT table_name FROM gpkg_ogr_contents ORDER BY table_name", -1, &st, NULL);
    char tables[16][64];
    int nt = 0;
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && nt < 16) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        cw_strlcpy(tables[nt], t ? (const char *)t : "", sizeof tables[0]);
        /* our own table names only: they go into SQL text below */
        int ok = tables[nt][0] != '\0';
        for (const char *p = tables[nt]; *p; p++)
            ok &= (*p >= 'a' && *p <= 'z') || *p == '_';
        nt += ok;
    }
    sqlite3_finalize(st);
    for (int i = 0; rc == SQLITE_OK && i < nt; i++) {
        const char *t = tables[i];
        char *q = sqlite3_mprintf(
            "DROP TRIGGER IF EXISTS \"trigger_insert_feature_count_%s\";"
            "DROP TRIGGER IF EXISTS \"trigger_delete_feature_count_%s\";"
            "UPDATE gpkg_ogr_contents SET feature_count = (SELECT COUNT(*) FROM \"%s\") WHERE table_name = '%s';"
            "CREATE TRIGGER \"trigger_insert_feature_count_%s\" AFTER INSERT ON \"%s\" BEGIN UPDATE "
            "gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = lower('%s'); END;"
            "CREATE TRIGGER \"trigger_delete_feature_count_%s\" AFTER DELETE ON \"%s\" BEGIN UPDATE "
            "gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = lower('%s'); END;",
            t, t, t, t, t, t, t, t, t, t);
        rc = q ? sqlite3_exec(db, q, NULL, NULL, &err) : SQLITE_NOMEM;
        sqlite3_free(q);
    }
    if (rc == SQLITE_OK) { /* the night's date, and the extent from the spatial index, not from the writes */
        char *q = sqlite3_mprintf(
            "UPDATE gpkg_contents SET last_change = %Q;"
            "UPDATE gpkg_contents SET min_x = (SELECT min(minx) FROM rtree_alerts_geom), "
            "min_y = (SELECT min(miny) FROM rtree_alerts_geom), max_x = (SELECT max(maxx) FROM rtree_alerts_geom), "
            "max_y = (SELECT max(maxy) FROM rtree_alerts_geom) WHERE table_name = 'alerts';",
            last_change);
        rc = q ? sqlite3_exec(db, q, NULL, NULL, &err) : SQLITE_NOMEM;
        sqlite3_free(q);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &err);
    /* a fresh copy of the content, not of its history: VACUUM INTO writes a
     * new file whose header counters start afresh; it replaces the old one
     * by rename, so a kill here leaves the previous history */
    char tmp[4096];
    if (rc == SQLITE_OK && cw_tmp_path(tmp, sizeof tmp, path) == 0) {
        unlink(tmp);
        char *q = sqlite3_mprintf("VACUUM INTO %Q", tmp);
        rc = q ? sqlite3_exec(db, q, NULL, NULL, &err) : SQLITE_NOMEM;
        sqlite3_free(q);
    } else if (rc == SQLITE_OK) {
        rc = SQLITE_CANTOPEN;
    }
    int out = 0;
    if (rc != SQLITE_OK) {
        out = cw_error("%s: cannot tidy the history: %s", path, err ? err : sqlite3_errstr(rc));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_free(err);
    if (sqlite3_close(db) != SQLITE_OK && !out)
        out = cw_error("%s: cannot close the history", path);
    if (!out) { /* the schema cookie counts past schema changes: one value for all */
        sqlite3 *nd = NULL;
        if (sqlite3_open_v2(tmp, &nd, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
            sqlite3_exec(nd, "PRAGMA schema_version = 1000", NULL, NULL, NULL) != SQLITE_OK)
            out = cw_error("%s: cannot tidy the history copy: %s", tmp, nd ? sqlite3_errmsg(nd) : "out of memory");
        if (sqlite3_close(nd) != SQLITE_OK && !out)
            out = cw_error("%s: cannot close the history copy", tmp);
    }
    if (!out)
        out = cw_commit_file(tmp, path);
    else
        unlink(tmp);
    return out;
}

int cw_history_alert_get(cw_history *h, const char *alert_id, cw_alert *a)
{
    OGRFeatureH f = find1(h->alerts, "alert_id", alert_id, NULL, NULL);
    if (!f)
        return 0;
    feature_to_alert(f, a, 0);
    OGR_F_Destroy(f);
    return 1;
}
