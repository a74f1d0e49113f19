/*
 * cw_config.c - the typed settings table and its INI reader.
 */
#include "cw_config.h"
#include "cw_util.h"

#include <stddef.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

typedef enum { T_STR, T_PATH, T_PATHS, T_LONG, T_DBL, T_FLT, T_INT, T_DATE, T_CLASSES, T_LANG, T_URL } cfg_type;

typedef struct {
    const char *section, *key;
    cfg_type type;
    size_t off;   /* offset in cw_config */
    size_t size;  /* buffer size (strings), or offset of the count (lists) */
    double lo, hi;
    const char *def;
    const char *help;
} cfg_item;

#define O(f) offsetof(cw_config, f)
#define S(f) sizeof(((cw_config *)0)->f)
#define D(f) O(det) + offsetof(ck_change_params, f)
#define Q(f) D(quality) + offsetof(ck_quality_params, f)

/* Every setting: section, key, type, where, bounds, default, meaning. */
static const cfg_item items[] = {
    {"job", "inbox", T_PATHS, O(inbox), O(n_inbox), 0, 0, "", "folders where new scenes arrive (required)"},
    {"job", "state", T_PATH, O(state_dir), S(state_dir), 0, 0, "state", "per-tile state and alert history"},
    {"job", "output", T_PATH, O(output_dir), S(output_dir), 0, 0, "output", "one folder per night"},
    {"job", "threads", T_LONG, O(threads), 0, 0, 256, "0", "OpenMP threads, 0 = all cores"},
    {"job", "memory_mb", T_LONG, O(memory_mb), 0, 0, 1048576, "0",
     "memory for a pass's buffers, all threads (MB); fewer threads when they do not fit; 0 = half the "
     "machine's (or its cgroup's) memory"},
    {"job", "lock_wait_s", T_LONG, O(lock_wait_s), 0, 0, 86400, "900",
     "a run finding the state in use by another waits this long, then gives up naming the holder"},
    {"job", "language", T_LANG, O(language), S(language), 0, 0, "es", "report language: es or en"},
    {"history", "url", T_URL, O(history_url), S(history_url), 0, 0, "",
     "PostGIS history shared by several machines (postgresql://user@host:port/db), empty = STATE/history.gpkg"},
    {"reference", "start", T_DATE, O(ref_start), S(ref_start), 0, 0, "2020-01-01", "first day of the baseline"},
    {"reference", "end", T_DATE, O(ref_end), S(ref_end), 0, 0, "2020-12-31",
     "last day of the baseline (EUDR cut-off 2020-12-31)"},
    {"aoi", "conserved", T_PATHS, O(conserved), O(n_conserved), 0, 0, "", "conserved-area vector files"},
    {"aoi", "chakras", T_PATHS, O(chakras), O(n_chakras), 0, 0, "", "chakra vector files (polygons or points)"},
    {"aoi", "id_field", T_STR, O(id_field), S(id_field), 0, 0, "id",
     "attribute with the AOI id (or a comma-separated list: the first each file has)"},
    {"aoi", "name_field", T_STR, O(name_field), S(name_field), 0, 0, "name",
     "attribute with the AOI name (or a list, as id_field)"},
    {"aoi", "radius_field", T_STR, O(radius_field), S(radius_field), 0, 0, "radius_m",
     "attribute with a point's radius in metres (or a list, as id_field)"},
    {"aoi", "point_radius_m", T_DBL, O(point_radius_m), 0, 1, 5000, "56.4",
     "radius of points without one (56.4 m = 1 ha)"},
    {"aoi", "clear_share", T_DBL, O(aoi_clear_share), 0, 0.01, 1, "0.5",
     "share of an AOI clear for a scene to count as an observation of it"},
    {"detect", "k_spread", T_FLT, D(k_spread), 0, 0, 20, "3", "anomaly: drop > k x robust spread"},
    {"detect", "ndvi_dmin", T_FLT, D(ndvi_dmin), 0, 0.01, 1, "0.15", "and > this NDVI drop"},
    {"detect", "nbr_dmin", T_FLT, D(nbr_dmin), 0, 0.01, 1, "0.20", "NBR drop for the second line of evidence"},
    {"detect", "ndvi_max_after", T_FLT, D(ndvi_max_after), 0, -1, 1, "0.6", "and the new NDVI below this"},
    {"detect", "clearcut_drop", T_FLT, D(clearcut_drop), 0, 0.05, 2, "0.25", "a drop beyond this is a clear-cut"},
    {"detect", "forest_min", T_FLT, D(forest_min), 0, -1, 1, "0.6", "baseline NDVI of canopy"},
    {"detect", "chakra_drop", T_FLT, D(chakra_drop), 0, 0.05, 2, "0.25", "inside chakras: minimum drop"},
    {"detect", "chakra_ndvi_max", T_FLT, D(chakra_ndvi_max), 0, -1, 1, "0.5",
     "inside chakras: the new NDVI must be below this (rotation thinning is not)"},
    {"detect", "bsi_bare", T_FLT, D(bsi_bare), 0, -1, 1, "0.05", "bare when BSI above this"},
    {"detect", "ndvi_bare", T_FLT, D(ndvi_bare), 0, -1, 1, "0.3", "or NDVI below this"},
    {"detect", "mndwi_pond", T_FLT, D(mndwi_pond), 0, -1, 1, "0",
     "pond when the water index (MNDWI, or NDWI - 0.2 where higher: water at 10 m) is above this on former land"},
    {"detect", "nbr_evidence", T_FLT, D(nbr_evidence), 0, 0, 1, "0.10",
     "an anomaly needs the SWIR to agree: NBR drop above this (haze lowers NDVI, not NBR), or the land to become "
     "water (the water index above mndwi_pond and NDVI below 0)"},
    {"detect", "recover_n", T_INT, D(recover_n), 0, 1, 20, "3",
     "a confirmed pixel back at its seasonal expectation on this many clear observations in a row ..."},
    {"detect", "recover_days", T_INT, D(recover_days), 0, 0, 3650, "240",
     "... within this many days of its first anomaly reverts (not loss); 0 = never"},
    {"detect", "confirm_n", T_INT, D(confirm_n), 0, 1, 8, "2", "anomalous observations to confirm"},
    {"detect", "window_obs", T_INT, D(window_obs), 0, 1, 16, "4", "among the next clear observations"},
    {"detect", "window_days", T_INT, D(window_days), 0, 10, 730, "180", "within days of the first anomaly"},
    {"mining", "river_distance_m", T_DBL, O(river_distance_m), 0, 0, 10000, "500",
     "mining objects lie within this of the baseline river"},
    {"mining", "bank_px", T_INT, D(bank_px), 0, 0, 20, "2",
     "pixels within this of the baseline river are its bank: no new pond there"},
    {"mining", "riparian_px", T_LONG, O(riparian_px), 0, 1, 50, "5",
     "pixels within this of a river are riparian (bank erosion, bars) ..."},
    {"mining", "river_width_px", T_LONG, O(river_width_px), 0, 1, 15, "5",
     "... water at least this wide, where a square of this side (odd) fits; 1 = any water"},
    {"mining", "stream_px", T_LONG, O(stream_px), 0, 0, 50, "3",
     "pixels within this of narrower water (a stream, whose banks and bars move by less) are riparian"},
    {"mining", "river_share", T_DBL, O(river_share), 0, 0, 1, "0.2",
     "bare or wet ground joined to the river with this share riparian or channel water and no pit pond is the river "
     "moving (erosion, a bar), not loss: kept in the history, not published ..."},
    {"mining", "land_px", T_LONG, O(land_px), 0, 0, 25, "5",
     "... unless it holds a square of this side (odd) beyond the riparian strip (a clearing on the bank reaches "
     "inland, a bar or an eroded bank does not); 0 = never"},
    {"mining", "min_pond_px", T_LONG, O(min_pond_px), 0, 0, 100000, "3", "new-pond pixels a mining object needs"},
    {"mining", "share", T_DBL, O(mining_share), 0, 0, 1, "0.5", "share of pixels with bare or pond evidence"},
    {"quality", "haze_blue_rise", T_FLT, Q(haze_blue_rise), 0, 0, 1, "0.03",
     "haze: blue rose above the last clear observation by more than this (and more than SWIR)"},
    {"quality", "haze_blue_per_day", T_FLT, Q(haze_blue_per_day), 0, 0, 0.1, "0.0002",
     "... widened by this per day since that observation"},
    {"quality", "haze_blue_max", T_FLT, Q(haze_blue_max), 0, 0, 1, "0.08", "... up to this"},
    {"quality", "shadow_ratio", T_FLT, Q(shadow_ratio), 0, 0, 1, "0.75",
     "shadow fringe: NIR and SWIR both below this share of the last clear observation"},
    {"quality", "suspect_px", T_INT, Q(suspect_px), 0, 0, 50, "2",
     "pixels within this of a haze or fringe pixel are not clear either"},
    {"alerts", "mmu_ha", T_DBL, O(mmu_ha), 0, 0.01, 100, "0.3", "minimum mapping unit"},
    {"alerts", "mmu_aoi_ha", T_DBL, O(mmu_aoi_ha), 0, 0.01, 100, "0.1", "MMU touching a chakra or conserved area"},
    {"alerts", "group_days", T_LONG, O(group_days), 0, 0, 365, "30",
     "neighbouring pixels join an alert when first dates differ by at most this"},
    {"mask", "invalid_classes", T_CLASSES, O(invalid_classes), S(invalid_classes), 0, 0, "0,1,2,3,8,9,10,11",
     "SCL classes masked (6, water, never)"},
    {"mask", "cloud_buffer_m", T_DBL, O(cloud_buffer_m), 0, 0, 2500, "100", "cloud dilation"},
    {"mask", "shadow_buffer_m", T_DBL, O(shadow_buffer_m), 0, 0, 2500, "50", "shadow dilation"},
    {"maps", "enabled", T_LONG, O(maps_enabled), 0, 0, 1, "1", "1: PNG maps and report.html every night"},
    {"maps", "background", T_STR, O(map_background), S(map_background), 0, 0, "truecolor",
     "tile overview background: truecolor (B04/B03/B02) or swir (B12/B08/B04)"},
    {"maps", "overview_px", T_LONG, O(overview_px), 0, 200, 4000, "1000", "longest side of the tile overview's map"},
    {"maps", "aoi_px", T_LONG, O(aoi_px), 0, 200, 3000, "760", "longest side of a per-AOI map"},
    {"maps", "chip_px", T_LONG, O(chip_px), 0, 64, 800, "220", "side of each before/after evidence chip"},
    {"maps", "max_scenes", T_LONG, O(map_max_scenes), 0, 1, 60, "8",
     "scenes searched back for each pixel's latest clear observation"},
    {"maps", "font", T_STR, O(map_font), S(map_font), 0, 0, "",
     "TrueType font file, empty = DejaVu Sans (fonts-dejavu-core)"},
    {"verify", "cutoff", T_DATE, O(verify_cutoff), S(verify_cutoff), 0, 0, "2020-12-31",
     "chakrawatch verify: start of the period unless --from (EU deforestation-free cut-off)"},
    {"verify", "min_clear_obs", T_LONG, O(verify_min_clear), 0, 0, 10000, "6",
     "a no-loss verdict needs at least this many clear observations of the plot"},
    {"verify", "max_gap_days", T_LONG, O(verify_max_gap), 0, 1, 3650, "120",
     "... no gap longer than this without one (a clearing stays visible for months)"},
    {"verify", "max_never_share", T_DBL, O(verify_max_never), 0, 0, 1, "0.1",
     "... and at most this share of the plot never seen clear in the period"},
    {"verify", "forest_share", T_DBL, O(verify_forest_share), 0, 0, 1, "0.5",
     "a plot with less canopy than this at the start was not forest then (said in the verdict)"},
    {"scene", "boa_offset", T_STR, O(boa_offset), S(boa_offset), 0, 0, "",
     "override BOA_ADD_OFFSET (DN), empty = from the product"},
};
#define NITEMS (sizeof items / sizeof items[0])

#define CW_CONFIG_LINE_MAX 8190 /* characters per line: paths up to PATH_MAX fit */

typedef struct {
    cw_config *c;
    char dir[PATH_MAX];
    char msg[512];
    int line;
    int seen[NITEMS]; /* line where each setting was given, 0 = not yet */
} load_ctx;

static int resolve(const load_ctx *lc, const char *v, char *out, size_t n)
{
    if (v[0] == '/' || !lc->dir[0]) {
        if (strlen(v) >= n)
            return cw_error("path too long");
        cw_strlcpy(out, v, n);
        return 0;
    }
    if (cw_path_join(out, n, lc->dir, v))
        return -1;
    cw_path_tidy(out);
    return 0;
}

static int set_item(load_ctx *lc, const cfg_item *it, const char *v)
{
    char *base = (char *)lc->c;
    void *p = base + it->off;
    long l;
    double d;
    switch (it->type) {
    case T_STR:
        if (strlen(v) >= it->size)
            return cw_error("value too long (at most %zu characters)", it->size - 1);
        cw_strlcpy(p, v, it->size);
        return 0;
    case T_URL: {
        if (strlen(v) >= it->size)
            return cw_error("value too long (at most %zu characters)", it->size - 1);
        const char *rest = !strncmp(v, "postgresql://", 13) ? v + 13 : !strncmp(v, "postgres://", 11) ? v + 11 : NULL;
        if (*v && !rest)
            return cw_error("'%s' is not a PostgreSQL url (postgresql://user@host:port/database)", v);
        const char *at = rest ? strchr(rest, '@') : NULL;
        if (at && memchr(rest, ':', (size_t)(at - rest)))
            return cw_error("the url carries a password, which would reach the logs: give it in ~/.pgpass "
                            "(or PGPASSFILE) instead");
        cw_strlcpy(p, v, it->size);
        return 0;
    }
    case T_LANG:
        if (strcmp(v, "es") && strcmp(v, "en"))
            return cw_error("'%s' is not a language of the report (es, en)", v);
        cw_strlcpy(p, v, it->size);
        return 0;
    case T_PATH:
        return resolve(lc, v, p, it->size);
    case T_PATHS: {
        int *count = (int *)(void *)(base + it->size);
        char(*arr)[PATH_MAX] = p;
        *count = 0;
        char buf[8192];
        cw_strlcpy(buf, v, sizeof buf);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ' || *tok == '\t')
                tok++;
            size_t e = strlen(tok);
            while (e && (tok[e - 1] == ' ' || tok[e - 1] == '\t'))
                tok[--e] = '\0';
            if (!*tok)
                continue;
            if (*count == CW_MAX_LIST)
                return cw_error("at most %d entries", CW_MAX_LIST);
            if (resolve(lc, tok, arr[*count], PATH_MAX))
                return -1;
            (*count)++;
        }
        return 0;
    }
    case T_LONG:
        if (cw_parse_long(v, (long)it->lo, (long)it->hi, &l))
            return -1;
        *(long *)p = l;
        return 0;
    case T_INT:
        if (cw_parse_long(v, (long)it->lo, (long)it->hi, &l))
            return -1;
        *(int *)p = (int)l;
        return 0;
    case T_DBL:
    case T_FLT:
        if (cw_parse_double(v, it->lo, it->hi, &d))
            return -1;
        if (it->type == T_DBL)
            *(double *)p = d;
        else
            *(float *)p = (float)d;
        return 0;
    case T_DATE: {
        if (!ck_day_parse(v))
            return cw_error("'%s' is not a date YYYY-MM-DD between 2015 and 2150", v);
        cw_strlcpy(p, v, it->size);
        return 0;
    }
    case T_CLASSES: {
        ck_scl_rules r;
        if (cw_parse_scl_classes(v, &r))
            return -1;
        cw_strlcpy(p, v, it->size);
        return 0;
    }
    }
    return cw_error("internal: bad setting type");
}

static const cfg_item *find_item(const char *section, const char *key)
{
    for (size_t i = 0; i < NITEMS; i++)
        if (!strcmp(items[i].section, section) && !strcmp(items[i].key, key))
            return &items[i];
    return NULL;
}

static int handler(load_ctx *lc, const char *section, const char *name, const char *value)
{
    const cfg_item *it = find_item(section, name);
    if (!it) {
        int known = 0;
        for (size_t i = 0; i < NITEMS; i++)
            known |= !strcmp(items[i].section, section);
        snprintf(lc->msg, sizeof lc->msg, known ? "unknown key '%s' in [%s]" : "unknown section [%s%s]",
                 known ? name : section, known ? section : "");
        return -1;
    }
    int *seen = &lc->seen[it - items];
    if (*seen) {
        snprintf(lc->msg, sizeof lc->msg, "[%s] %s is set twice (first on line %d): which one was meant?", section,
                 name, *seen);
        return -1;
    }
    *seen = lc->line;
    if (set_item(lc, it, value)) {
        snprintf(lc->msg, sizeof lc->msg, "[%s] %s: %s", section, name, cw_errmsg());
        return -1;
    }
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t l = strlen(s);
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
        s[--l] = '\0';
    return s;
}

/* INI text: [section], key = value, ; or # comments (whole lines, or after
 * whitespace in a value).  Lines longer than the buffer, a section or key
 * given twice, a key before any section and a file without any setting are
 * errors: each would otherwise run the job on something else than meant.
 * -1 with lc->msg and lc->line. */
static int parse_ini(FILE *f, load_ctx *lc)
{
    char buf[CW_CONFIG_LINE_MAX + 2], section[64] = "";
    char sections[32][64];
    int sec_line[32], nsec = 0, settings = 0;
    lc->line = 0;
    while (fgets(buf, sizeof buf, f)) {
        lc->line++;
        size_t l = strlen(buf);
        if (l == sizeof buf - 1 && buf[l - 1] != '\n') {
            snprintf(lc->msg, sizeof lc->msg, "line longer than %d characters", CW_CONFIG_LINE_MAX);
            return -1;
        }
        char *p = buf;
        if (lc->line == 1 && !strncmp(p, "\xef\xbb\xbf", 3)) /* UTF-8 byte-order mark */
            p += 3;
        p = trim(p);
        if (!*p || *p == ';' || *p == '#')
            continue;
        if (*p == '[') {
            char *e = strchr(p, ']');
            if (!e || *trim(e + 1)) {
                snprintf(lc->msg, sizeof lc->msg, "a section header is [name] alone on its line");
                return -1;
            }
            *e = '\0';
            cw_strlcpy(section, trim(p + 1), sizeof section);
            for (int i = 0; i < nsec; i++)
                if (!strcmp(sections[i], section)) {
                    snprintf(lc->msg, sizeof lc->msg, "section [%s] appears twice (first on line %d)", section,
                             sec_line[i]);
                    return -1;
                }
            if (nsec < 32) {
                cw_strlcpy(sections[nsec], section, sizeof sections[0]);
                sec_line[nsec++] = lc->line;
            }
            continue;
        }
        char *eq = strpbrk(p, "=:");
        if (!eq) {
            snprintf(lc->msg, sizeof lc->msg, "expected 'key = value', '[section]' or a comment");
            return -1;
        }
        if (!section[0]) {
            snprintf(lc->msg, sizeof lc->msg, "a setting before any [section]");
            return -1;
        }
        *eq = '\0';
        char *key = trim(p), *val = eq + 1;
        for (char *c = val; *c; c++) /* inline comment: ; or # after whitespace */
            if ((*c == ';' || *c == '#') && c > val && (c[-1] == ' ' || c[-1] == '\t')) {
                *c = '\0';
                break;
            }
        val = trim(val);
        if (handler(lc, section, key, val))
            return -1;
        settings++;
    }
    if (ferror(f)) {
        snprintf(lc->msg, sizeof lc->msg, "read error: %s", strerror(errno));
        return -1;
    }
    if (!settings) {
        lc->line = 0;
        snprintf(lc->msg, sizeof lc->msg, "no settings (the file is empty or holds only comments); at least [job] "
                                          "inbox is needed");
        return -1;
    }
    return 0;
}

int cw_config_load(const char *path, cw_config *c)
{
    memset(c, 0, sizeof *c);
    cw_strlcpy(c->path, path, sizeof c->path);
    load_ctx lc;
    memset(&lc, 0, sizeof lc);
    lc.c = c;
    for (size_t i = 0; i < NITEMS; i++)
        if (set_item(&lc, &items[i], items[i].def))
            return cw_error_prefix("internal: default of [%s] %s", items[i].section, items[i].key);
    cw_strlcpy(lc.dir, path, sizeof lc.dir);
    char *slash = strrchr(lc.dir, '/');
    if (slash)
        *slash = '\0';
    else
        lc.dir[0] = '\0';
    /* defaults were resolved against no folder: redo the relative ones */
    for (size_t i = 0; i < NITEMS; i++)
        if (items[i].type == T_PATH || (items[i].type == T_PATHS && items[i].def[0]))
            set_item(&lc, &items[i], items[i].def);
    struct stat st;
    if (stat(path, &st) != 0)
        return cw_error("%s: cannot open configuration: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cw_error("%s: the configuration is not a regular file (%s)", path,
                        S_ISDIR(st.st_mode) ? "a folder" : "a device, pipe or socket");
    FILE *f = fopen(path, "r");
    if (!f)
        return cw_error("%s: cannot open configuration: %s", path, strerror(errno));
    int bad = parse_ini(f, &lc);
    fclose(f);
    if (bad)
        return lc.line ? cw_error("%s:%d: %s", path, lc.line, lc.msg) : cw_error("%s: %s", path, lc.msg);
    c->ref_start_day = ck_day_parse(c->ref_start);
    c->ref_end_day = ck_day_parse(c->ref_end);
    if (strcmp(c->map_background, "truecolor") && strcmp(c->map_background, "swir"))
        return cw_error("%s: [maps] background: '%s' is not truecolor or swir", path, c->map_background);
    if (c->ref_end_day < c->ref_start_day)
        return cw_error("%s: [reference] end %s is before start %s", path, c->ref_end, c->ref_start);
    if (c->n_inbox == 0)
        return cw_error("%s: [job] inbox is not set: the folders where new scenes arrive", path);
    c->det.quality.pond_mndwi = c->det.mndwi_pond; /* water is no shadow: one pond threshold */
    if (c->det.confirm_n > c->det.window_obs)
        return cw_error("%s: [detect] confirm_n (%d) exceeds window_obs (%d)", path, c->det.confirm_n,
                        c->det.window_obs);
    if (c->boa_offset[0]) {
        double d;
        if (cw_parse_double(c->boa_offset, -10000, 10000, &d))
            return cw_error("%s: [scene] boa_offset: %s", path, cw_errmsg());
    }
    return 0;
}

/* results_only: leave out what cannot change a result's bytes (paths,
 * threads, memory), for ids that must not depend on the machine */
/* The shortest decimal that reads back as the same double (56.4, not
 * 56.399999999999999), or float. */
static void shortest(FILE *f, double v, int is_float)
{
    char b[40];
    for (int prec = is_float ? 6 : 15; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if (is_float ? strtof(b, NULL) == (float)v : strtod(b, NULL) == v)
            break;
    }
    fputs(b, f);
}

/* What a state was built with: the settings whose change makes the
 * per-pixel state of a tile mean something else. */
static int state_relevant(const cfg_item *it)
{
    static const char *const secs[] = {"reference", "detect", "quality", "mining", "mask", "scene"};
    for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++)
        if (!strcmp(it->section, secs[i])) /* but those the alert stage reads, not kept in the state */
            return it->off != O(river_distance_m) && it->off != O(min_pond_px) && it->off != O(mining_share) &&
                   it->off != O(river_share) && it->off != O(land_px);
    return 0;
}

enum { DUMP_ALL, DUMP_RESULTS, DUMP_STATE };

static void dump(const cw_config *c, FILE *f, int mode)
{
    const char *sec = "";
    const char *base = (const char *)c;
    const int results_only = mode != DUMP_ALL;
    if (!results_only)
        fprintf(f, "# effective configuration of %s\n", c->path);
    for (size_t i = 0; i < NITEMS; i++) {
        const cfg_item *it = &items[i];
        if (results_only && (it->type == T_PATH || it->type == T_PATHS || it->off == O(threads) ||
                             it->off == O(memory_mb) || it->off == O(lock_wait_s) || it->off == O(map_font) ||
                             it->off == O(history_url)))
            continue;
        if (mode == DUMP_STATE && !state_relevant(it))
            continue;
        if (strcmp(sec, it->section))
            fprintf(f, "[%s]\n", sec = it->section);
        const void *p = base + it->off;
        fprintf(f, "%s = ", it->key);
        switch (it->type) {
        case T_STR:
        case T_PATH:
        case T_DATE:
        case T_CLASSES:
        case T_LANG:
        case T_URL:
            fputs(p, f);
            break;
        case T_PATHS: {
            int n = *(const int *)(const void *)(base + it->size);
            for (int k = 0; k < n; k++)
                fprintf(f, "%s%s", k ? ", " : "", ((const char(*)[PATH_MAX])p)[k]);
            break;
        }
        case T_LONG:
            fprintf(f, "%ld", *(const long *)p);
            break;
        case T_INT:
            fprintf(f, "%d", *(const int *)p);
            break;
        case T_DBL:
            shortest(f, *(const double *)p, 0);
            break;
        case T_FLT:
            shortest(f, (double)*(const float *)p, 1);
            break;
        }
        if (results_only)
            fputc('\n', f);
        else
            fprintf(f, "    ; %s\n", it->help);
    }
}

void cw_config_dump(const cw_config *c, FILE *f) { dump(c, f, DUMP_ALL); }
void cw_config_dump_results(const cw_config *c, FILE *f) { dump(c, f, DUMP_RESULTS); }
void cw_config_dump_state(const cw_config *c, FILE *f) { dump(c, f, DUMP_STATE); }

int cw_config_raster_opts(const cw_config *c, cw_common_opts *o)
{
    cw_common_opts_default(o);
    if (cw_parse_scl_classes(c->invalid_classes, &o->rules))
        return -1;
    o->cloud_buffer_m = c->cloud_buffer_m;
    o->shadow_buffer_m = c->shadow_buffer_m;
    o->threads = (int)c->threads;
    o->mem_budget = (size_t)c->memory_mb << 20;
    if (c->boa_offset[0]) {
        o->scene.have_offset = 1;
        cw_parse_double(c->boa_offset, -10000, 10000, &o->scene.offset);
    }
    return 0;
}
