/*
 * cw_run.c - the nightly job: scene discovery, per-tile processing in
 * acquisition order, one history transaction per tile, and the night's
 * CSV outputs.  Runs once a night; the pixel work is in cw_monitor.c.
 */
#include "job/cw_run.h"
#include "job/cw_inbox.h"
#include "publish/cw_csv.h"
#include "publish/cw_report.h"
#include "publish/cw_xlsx.h"
#include "monitor/cw_aoi.h"
#include "cw_config.h"
#include "store/cw_history.h"
#include "monitor/cw_monitor.h"
#include "ck_preview.h"
#include "cw_util.h"

#include <cpl_conv.h>
#include <dirent.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void state_path(char *buf, size_t n, const char *tile_dir, int kind, int gen)
{
    if (gen <= 0)
        buf[0] = '\0';
    else
        snprintf(buf, n, "%s/%s-%06d.cws", tile_dir, cw_state_kind_name((cw_state_kind)kind), gen);
}

/* Removes state files of the tile other than the current generations
 * (left by a killed or failed run, or superseded). */
static void clean_tile_dir(const char *tile_dir, const cw_tile_rec *r)
{
    DIR *d = opendir(tile_dir);
    if (!d)
        return;
    char keep[3][PATH_MAX], path[PATH_MAX];
    state_path(keep[0], sizeof keep[0], tile_dir, CW_ST_REF, r->gen_ref);
    state_path(keep[1], sizeof keep[1], tile_dir, CW_ST_BASE, r->gen_base);
    state_path(keep[2], sizeof keep[2], tile_dir, CW_ST_DYN, r->gen_dyn);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        int ours = (l > 4 && !strcmp(e->d_name + l - 4, ".cws")) || (e->d_name[0] == '.' && strstr(e->d_name, ".tmp"));
        if (!ours || cw_path_join(path, sizeof path, tile_dir, e->d_name))
            continue;
        if (strcmp(path, keep[0]) && strcmp(path, keep[1]) && strcmp(path, keep[2]))
            unlink(path);
    }
    closedir(d);
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names in dir that start with prefix and end with suffix (no
 * hidden ones), sorted; *n of them, malloc'd (names_free). */
static char **dir_names(const char *dir, const char *prefix, const char *suffix, size_t *n)
{
    char **names = NULL;
    size_t cap = 0, lp = strlen(prefix), ls = strlen(suffix);
    *n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < lp + ls || strncmp(e->d_name, prefix, lp) ||
            strcmp(e->d_name + l - ls, suffix))
            continue;
        if (*n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        if ((names[*n] = strdup(e->d_name)))
            (*n)++;
    }
    if (d)
        closedir(d);
    if (*n > 1)
        qsort(names, *n, sizeof *names, name_cmp);
    return names;
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Previews are for the night's overview map, which reads at most [maps]
 * max_scenes of a tile's newest scenes: older ones go (the observation
 * records, which are evidence, stay). */
static void prune_previews(const char *tile_dir, long keep)
{
    char obs[PATH_MAX], path[PATH_MAX];
    if (cw_path_join(obs, sizeof obs, tile_dir, "obs"))
        return;
    size_t n;
    char **names = dir_names(obs, "", ".preview.tif", &n); /* DATE_PRODUCT: oldest first */
    for (size_t i = 0; (long)(n - i) > keep; i++)
        if (cw_path_join(path, sizeof path, obs, names[i]) == 0)
            unlink(path);
    names_free(names, n);
}

typedef struct {
    const cw_config *cfg;
    const cw_common_opts *co;
    const cw_aoi_set *as;
    cw_history *h;
    const char *night;
    int failed;
    int n_processed, n_skipped;
    cw_alert_counts totals;
    const char *replay_tile; /* reprocess --from: this tile's scenes before replay_from are not replayed */
    int replay_from;
} job_t;

static double pctd(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

/* Why a scene cannot be merged into the tile's state now (status for the
 * scenes table in *status), or NULL. */
static const char *refuse(const job_t *j, const cw_inbox_item *it, const cw_tile_rec *rec, const char **status)
{
    if (j->replay_tile && !strcmp(it->s.tile, j->replay_tile) && it->day < j->replay_from) {
        *status = "not_replayed";
        return "acquired before the tile was rebuilt from a later date (reprocess --from); not replayed";
    }
    if (it->day == rec->last_day) {
        *status = "duplicate";
        return "is a second product of the tile and date already merged (a reprocessing or an overlapping "
               "datatake); kept in the history, not merged";
    }
    if (it->day < rec->last_day) {
        *status = "out_of_order";
        return "is not newer than the tile's latest processed scene; merging it would reorder the observations";
    }
    if (it->day < j->cfg->ref_start_day) {
        *status = "before_reference";
        return "is before the reference period";
    }
    return NULL;
}

static const char *const pass_name[] = {"reference", "baseline+monitoring", "monitoring"};

/* One tile's run within the night's transaction. */
typedef struct {
    job_t *j;
    const char *tile;
    const cw_scene *g0; /* the grid every scene of the tile must share */
    cw_tile_rec rec;    /* the tile's state as it is after the scenes so far */
    char dir[PATH_MAX]; /* STATE/<tile> */
    cw_aoi_grid ag;
    cw_pass p;
    size_t na;          /* AOI slots of the pass outputs */
    int ready;          /* folder, AOI grid and pass buffers set up */
    int any;            /* a scene was merged */
} tile_run;

/* 1 when the scene is to be merged now; 0 when it was skipped or refused
 * (and recorded as such); -1 on a history failure. */
static int scene_admit(tile_run *t, const cw_inbox_item *it)
{
    job_t *j = t->j;
    char st[32];
    if (cw_history_scene_status(j->h, it->s.product_id, st, sizeof st)) {
        cw_info("scene %s: already %s; skipped", it->s.product_id, st);
        j->n_skipped++;
        return 0;
    }
    if (it->s.width != t->rec.width || it->s.height != t->rec.height || memcmp(it->s.gt, t->g0->gt, sizeof t->g0->gt)) {
        cw_warn("scene %s: grid differs from the other scenes of tile %s; skipped", it->s.product_id, t->tile);
        j->failed++;
        return 0;
    }
    const char *status = NULL, *why = refuse(j, it, &t->rec, &status);
    if (!why)
        return 1;
    char d[11], note[600];
    ck_day_format(t->rec.last_day, d);
    if (!strcmp(status, "duplicate") || !strcmp(status, "not_replayed")) { /* not failures: said once, recorded */
        char kept[400] = "";
        if (!strcmp(status, "duplicate"))
            cw_history_tile_scenes(j->h, t->tile, it->day, it->day, kept, sizeof kept);
        if (kept[0] || !strcmp(status, "duplicate"))
            snprintf(note, sizeof note, "%s (merged: %s)", why, kept[0] ? kept : "?");
        else
            snprintf(note, sizeof note, "%s", why);
        cw_note("scene %s (%s) %s", it->s.product_id, it->s.date, note);
        return cw_history_scene_put(j->h, it->s.product_id, t->tile, it->day, j->night, status, NAN, NAN, NULL, "",
                                    note) ? -1 : 0;
    }
    /* the report lists refusals from the history, so a rerun says the same */
    int was = cw_warn_capturing(0);
    cw_warn("scene %s (%s) %s%s%s; skipped", it->s.product_id, it->s.date, why, t->rec.last_day ? "; latest: " : "",
            t->rec.last_day ? d : "");
    cw_warn_capturing(was);
    if (cw_history_scene_put(j->h, it->s.product_id, t->tile, it->day, j->night, status, NAN, NAN, NULL, "", why))
        return -1;
    j->failed += !strcmp(status, "out_of_order");
    return 0;
}

/* Before the first scene to merge: tile folder, AOIs on the grid, buffers. */
/* A Sentinel-2 tile id as the state folders are named (like 18MTD). */
static int is_tile_id(const char *s)
{
    int ok = s[0] && strlen(s) < 8;
    for (const char *c = s; *c; c++)
        ok &= (*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z');
    return ok;
}

/* The settings a tile's state is built with, as text (malloc'd). */
static char *state_settings(const cw_config *cfg)
{
    char *txt = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&txt, &n);
    if (!m)
        return NULL;
    fputc('\n', m); /* every line starts after a newline: matched whole */
    cw_config_dump_state(cfg, m);
    fclose(m);
    return txt;
}

/* TILE_DIR/settings.ini, written once with the tile's first state. */
static int settings_record(const cw_config *cfg, const char *tile_dir)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (cw_path_join(path, sizeof path, tile_dir, "settings.ini"))
        return -1;
    if (access(path, F_OK) == 0)
        return 0;
    char *txt = state_settings(cfg);
    FILE *f = txt ? cw_file_create_tmp(path, tmp, sizeof tmp) : NULL;
    if (!f) {
        free(txt);
        return txt ? -1 : cw_error("out of memory");
    }
    fprintf(f, "; the settings this tile's state was built with (chakrawatch refuses others;\n"
               "; chakrawatch reprocess CONFIG --tile TILE rebuilds it with new ones)%s", txt);
    free(txt);
    return cw_file_commit(f, tmp, path);
}

/* -1 naming the first setting that differs from the one a tile's state
 * was built with: results would silently mix two rule sets. */
static int settings_check(const cw_config *cfg)
{
    DIR *d = opendir(cfg->state_dir);
    if (!d)
        return 0;
    char *now = state_settings(cfg);
    int rc = now ? 0 : cw_error("out of memory");
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        char path[PATH_MAX], line[1024], sec[64] = "";
        if (!is_tile_id(e->d_name) || cw_path_join(path, sizeof path, cfg->state_dir, e->d_name) ||
            !cw_is_dir(path) || strlen(path) + 14 >= sizeof path)
            continue;
        strcat(path, "/settings.ini");
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        while (!rc && fgets(line, sizeof line, f)) {
            if (line[0] == ';')
                continue;
            if (line[0] == '[') {
                cw_strlcpy(sec, line, sizeof sec);
                sec[strcspn(sec, "\n")] = '\0';
                continue;
            }
            char whole[1100], key[80];
            snprintf(whole, sizeof whole, "\n%s", line); /* whole lines only */
            if (strstr(now, whole))
                continue;
            line[strcspn(line, "\n")] = '\0';
            snprintf(key, sizeof key, "\n%.60s", line);
            key[strcspn(key + 1, " =") + 1] = '\0';
            const char *cur = strstr(now, key);
            char val[128] = "(not set)";
            if (cur) {
                cw_strlcpy(val, cur + 1, sizeof val);
                val[strcspn(val, "\n")] = '\0';
            }
            rc = cw_error("%s %s: tile %s was built with '%s', the configuration says '%s'. Restore the setting, "
                          "or rebuild the tile from its scenes with: chakrawatch reprocess %s --tile %s",
                          sec, key + 1, e->d_name, line, val, cfg->path, e->d_name);
        }
        fclose(f);
    }
    closedir(d);
    free(now);
    return rc;
}

static int tile_prepare(tile_run *t)
{
    if (t->ready)
        return 0;
    char obs[PATH_MAX];
    if (cw_mkdir_p(t->dir) || cw_path_join(obs, sizeof obs, t->dir, "obs") || cw_mkdir_p(obs) ||
        settings_record(t->j->cfg, t->dir))
        return -1;
    clean_tile_dir(t->dir, &t->rec);
    if (cw_aoi_grid_build(t->j->as, t->g0, &t->ag))
        return -1;
    cw_pass *p = &t->p;
    p->cfg = t->j->cfg;
    p->common = t->j->co;
    p->ag = &t->ag;
    p->as = t->j->as;
    p->cells_w = (t->g0->width + CW_WATER_CELL - 1) / CW_WATER_CELL;
    p->cells_h = (t->g0->height + CW_WATER_CELL - 1) / CW_WATER_CELL;
    t->na = (size_t)(t->ag.n ? t->ag.n : 1);
    p->aoi_clear = calloc(t->na, 8);
    p->aoi_never = calloc(t->na, 8);
    p->water = calloc((size_t)p->cells_w * (size_t)p->cells_h, 1);
    if (!p->aoi_clear || !p->aoi_never || !p->water)
        return cw_error("out of memory");
    t->ready = 1;
    return 0;
}

/* The pass of one scene: its mode, and which state generations it reads
 * and writes (gen: the new one). */
static void pass_setup(tile_run *t, const cw_inbox_item *it, int gen)
{
    cw_pass *p = &t->p;
    const cw_tile_rec *rec = &t->rec;
    const size_t np = sizeof p->in_path[0];
    p->s = &it->s;
    p->mode = it->day <= t->j->cfg->ref_end_day ? CW_PASS_REF : rec->phase == 0 ? CW_PASS_FINALIZE : CW_PASS_MONITOR;
    p->day = it->day;
    state_path(p->in_path[CW_ST_REF], np, t->dir, CW_ST_REF, rec->gen_ref);
    state_path(p->in_path[CW_ST_BASE], np, t->dir, CW_ST_BASE, rec->gen_base);
    state_path(p->in_path[CW_ST_DYN], np, t->dir, CW_ST_DYN, rec->gen_dyn);
    for (int k = 0; k < CW_ST_NKINDS; k++)
        p->out_path[k][0] = '\0';
    state_path(p->out_path[CW_ST_DYN], np, t->dir, CW_ST_DYN, gen);
    if (p->mode == CW_PASS_REF)
        state_path(p->out_path[CW_ST_REF], np, t->dir, CW_ST_REF, gen);
    if (p->mode == CW_PASS_FINALIZE) {
        state_path(p->out_path[CW_ST_BASE], np, t->dir, CW_ST_BASE, gen);
        p->in_path[CW_ST_BASE][0] = '\0';
        if (!rec->gen_ref)
            cw_warn("tile %s: no scene of the reference period %s..%s was processed: pixels have no baseline "
                    "and no change can be detected on them",
                    t->tile, t->j->cfg->ref_start, t->j->cfg->ref_end);
    }
    if (p->mode == CW_PASS_MONITOR)
        p->in_path[CW_ST_REF][0] = '\0';
    if (cw_obs_path(p->obs_path, sizeof p->obs_path, t->dir, it->s.date, it->s.product_id))
        p->obs_path[0] = '\0';
    /* what the night's overview map needs, while the pass has the pixels */
    p->preview_f = t->j->cfg->maps_enabled
                       ? ck_preview_factor(it->s.width, it->s.height, (int)t->j->cfg->overview_px)
                       : 0;
    if (!p->obs_path[0] || cw_preview_path(p->preview_path, sizeof p->preview_path, p->obs_path))
        p->preview_path[0] = '\0';
    memset(p->aoi_clear, 0, t->na * 8);
    memset(p->aoi_never, 0, t->na * 8);
    memset(p->water, 0, (size_t)p->cells_w * (size_t)p->cells_h);
}

/* After a pass: the tile's new generations, the scene and the AOIs'
 * observations in the history. */
static int scene_record(tile_run *t, const cw_inbox_item *it, int gen)
{
    job_t *j = t->j;
    cw_pass *p = &t->p;
    cw_tile_rec *rec = &t->rec;
    if (p->mode == CW_PASS_REF)
        rec->gen_ref = gen;
    if (p->mode == CW_PASS_FINALIZE) {
        rec->gen_base = gen;
        rec->gen_ref = 0;
        rec->phase = 1;
    }
    rec->gen_dyn = gen;
    rec->last_day = it->day;
    t->any = 1;
    double vp = pctd(p->ps.valid, p->ps.total), cp = pctd(p->ps.cloud + p->ps.shadow, p->ps.total);
    double qa[3];
    for (int k = 0; k < 3; k++)
        qa[k] = pctd(p->quality[k], p->ps.total);
    char note[400], shift[32] = "";
    int dx, dy;
    /* the noise of every pixel sets a common floor under all shifts: a few
     * per cent lower than unshifted is a shift (measured: 0.93 for one pixel,
     * 1.07 and more for the neighbours of an unshifted date) */
    if (!ck_shift_best(p->shift_acc, p->shift_cnt, 0.97, &dx, &dy))
        snprintf(shift, sizeof shift, "%+d,%+d", dx, dy);
    snprintf(note, sizeof note, "%s pass, strips of %d rows, %s", pass_name[p->mode], p->strip_rows, it->s.offset_desc);
    if (cw_history_scene_put(j->h, it->s.product_id, t->tile, it->day, j->night, "processed", vp, cp, qa, shift,
                             note))
        return -1;
    if (shift[0] && (dx || dy))
        cw_note("%s %s: shifted by %d px east, %d px south against the pixels' last clear observations "
                "(misregistration); each pixel is compared with its 3 x 3 baseline neighbourhood",
                it->s.product_id, it->s.date, dx, dy);
    cw_note("%s %s: temporal tests removed %llu haze, %llu shadow-fringe and %llu suspect pixels (%.2f %%, %.2f %%, "
            "%.2f %% of the scene) that the SCL called clear",
            it->s.product_id, it->s.date, (unsigned long long)p->quality[0], (unsigned long long)p->quality[1],
            (unsigned long long)p->quality[2], qa[0], qa[1], qa[2]);
    for (int k = 0; k < t->ag.n; k++)
        if (t->ag.t[k].npx && cw_history_aoi_obs(j->h, j->as->a[t->ag.t[k].aoi].id, t->tile, it->day,
                                                 (long)t->ag.t[k].npx, (long)p->aoi_clear[k]))
            return -1;
    cw_note("%s %s: clear %.1f %%, cloud/shadow %.1f %%, %zu flagged pixels", it->s.product_id, it->s.date, vp, cp,
            p->flagged.n);
    j->n_processed++;
    return 0;
}

/* After a monitoring scene: its flagged pixels become alerts.  Done scene
 * by scene, not once a night, so a catch-up night of several scenes gives
 * the alerts and ids the same scenes give night by night. */
static int tile_alerts(tile_run *t)
{
    job_t *j = t->j;
    cw_alert_counts ac;
    if (cw_alerts_update(j->cfg, t->g0, &t->ag, j->as, &t->p, j->h, j->night, &ac))
        return -1;
    cw_note("tile %s, %s: %d new alert(s), %d updated, %d rejected, %d below the MMU or river dynamics (kept in the "
            "history)",
            t->tile, t->p.s->date, ac.n_new, ac.n_updated, ac.n_rejected, ac.n_small);
    j->totals.n_new += ac.n_new;
    j->totals.n_updated += ac.n_updated;
    j->totals.n_rejected += ac.n_rejected;
    j->totals.n_small += ac.n_small;
    return 0;
}

/* One scene of the tile through admission, its pass and its records;
 * -1 only on a failure that aborts the tile's transaction. */
static int tile_scene(tile_run *t, const cw_inbox_item *it)
{
    int admit = scene_admit(t, it);
    if (admit <= 0)
        return admit;
    if (tile_prepare(t))
        return -1;
    const cw_tile_rec *rec = &t->rec;
    int gen = rec->gen_ref > rec->gen_base ? rec->gen_ref : rec->gen_base;
    gen = (rec->gen_dyn > gen ? rec->gen_dyn : gen) + 1;
    pass_setup(t, it, gen);
    cw_note("%s %s: %s pass", it->s.product_id, it->s.date, pass_name[t->p.mode]);
    if (cw_pass_run(&t->p)) {
        cw_warn("scene %s: %s; skipped (the tile's state is unchanged by it)", it->s.product_id, cw_errmsg());
        t->j->failed++;
        return 0;
    }
    if (scene_record(t, it, gen))
        return -1;
    return t->p.mode == CW_PASS_REF ? 0 : tile_alerts(t);
}

/* After the tile's scenes: never-observed shares and the tile record. */
static int tile_finish(tile_run *t)
{
    job_t *j = t->j;
    if (!t->any)
        return 0;
    for (int k = 0; k < t->ag.n; k++)
        if (t->ag.t[k].npx && cw_history_aoi_never(j->h, j->as->a[t->ag.t[k].aoi].id, t->tile, (long)t->ag.t[k].npx,
                                                   (long)t->p.aoi_never[k]))
            return -1;
    return cw_history_tile_put(j->h, &t->rec);
}

/* All scenes of one tile, items[0..n), in acquisition order; each is
 * checked against the state as it is after the ones before it. */
static int run_tile(job_t *j, cw_inbox_item *items, int n)
{
    tile_run t = {.j = j, .tile = items[0].s.tile, .g0 = &items[0].s, .na = 1};
    int found = cw_history_tile_get(j->h, t.tile, &t.rec);
    if (found < 0)
        return -1;
    if (found && (t.rec.width != t.g0->width || t.rec.height != t.g0->height)) {
        for (int i = 0; i < n; i++)
            cw_warn("scene %s: grid %dx%d differs from tile %s's state (%dx%d); skipped", items[i].s.product_id,
                    items[i].s.width, items[i].s.height, t.tile, t.rec.width, t.rec.height);
        j->failed += n;
        return 0;
    }
    t.rec.width = t.g0->width;
    t.rec.height = t.g0->height;
    snprintf(t.dir, sizeof t.dir, "%s/%s", j->cfg->state_dir, t.tile);
    if (cw_history_begin(j->h))
        return -1;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = tile_scene(&t, &items[i]);
    if (!rc)
        rc = tile_finish(&t);
    if (!rc) {
        rc = cw_history_commit(j->h);
        if (rc == 0 && t.ready) {
            clean_tile_dir(t.dir, &t.rec); /* superseded generations */
            prune_previews(t.dir, j->cfg->map_max_scenes);
        }
    } else {
        cw_history_rollback(j->h);
    }
    cw_pass_free(&t.p);
    free(t.p.aoi_clear);
    free(t.p.aoi_never);
    free(t.p.water);
    cw_aoi_grid_free(&t.ag);
    return rc;
}

/* --------------------------------------------------------------- CSV */

static void write_alert_header(FILE *f)
{
    for (int k = 0; k < CW_ALERT_NCOLS; k++)
        fprintf(f, "%s%s", k ? "," : "", cw_alert_cols[k].name);
    fputs("\r\n", f);
}

static void write_alert_row(FILE *f, const cw_alert *a)
{
    cw_alert_cell c[CW_ALERT_NCOLS];
    cw_alert_cells(a, c);
    for (int k = 0; k < CW_ALERT_NCOLS; k++) {
        const cw_alert_col *col = &cw_alert_cols[k];
        char d[11];
        if (k)
            fputc(',', f);
        switch (col->type) {
        case CW_COL_TEXT: (col->is_id ? cw_csv_id : cw_csv_text)(f, c[k].text); break;
        case CW_COL_INT: fprintf(f, "%.0f", c[k].num); break;
        case CW_COL_REAL: cw_csv_num(f, c[k].num, col->decimals); break;
        case CW_COL_DATE:
            ck_day_format(c[k].day, d);
            fputs(d, f);
            break;
        }
    }
    fputs("\r\n", f);
}

/* alerts.csv and alerts.xlsx of the night: the alerts changed tonight. */
static int write_alert_sheets(const cw_config *cfg, cw_history *h, const char *night, const char *outdir)
{
    cw_alert *al;
    int n;
    char path[PATH_MAX], tmp[PATH_MAX];
    const cw_lang lang = cw_lang_from_code(cfg->language);
    if (cw_history_alerts_updated(h, night, &al, &n))
        return -1;
    if (cw_history_same_events(h, cfg->group_days, al, n)) {
        cw_alert_list_free(al, n);
        return -1;
    }
    int rc = cw_path_join(path, sizeof path, outdir, "alerts.csv");
    FILE *f = rc ? NULL : cw_file_create_tmp(path, tmp, sizeof tmp);
    rc = -1;
    if (f) {
        cw_csv_bom(f);
        write_alert_header(f);
        for (int i = 0; i < n; i++)
            write_alert_row(f, &al[i]);
        rc = cw_file_commit(f, tmp, path);
    }
    if (!rc)
        rc = cw_path_join(path, sizeof path, outdir, "alerts.xlsx") || cw_xlsx_alerts(path, lang, night, al, n);
    cw_alert_list_free(al, n);
    return rc;
}

static int write_summary_csv(const cw_config *cfg, const cw_aoi_set *as, const cw_aoi_summary *S, int latest,
                             const char *path)
{
    char tmp[PATH_MAX];
    FILE *f = cw_file_create_tmp(path, tmp, sizeof tmp);
    if (!f)
        return -1;
    cw_csv_bom(f);
    fprintf(f, "aoi_id,aoi_kind,aoi_name,area_ha,loss_ha_inside,loss_ha_ring_0_500,loss_ha_ring_500_1000,"
               "loss_ha_ring_1000_2000,mining_ha_inside,mining_ha_ring_0_500,mining_ha_ring_500_1000,"
               "mining_ha_ring_1000_2000,clear_observations,last_clear_observation,longest_gap_days,"
               "never_observed_share,scenes_seen,period_start,period_end,loss_verified,loss_false_positive,"
               "loss_review_precision,mining_verified,mining_false_positive,mining_review_precision\r\n");
    for (int k = 0; k < as->n; k++) {
        const cw_aoi *a = &as->a[k];
        const cw_aoi_summary *s = &S[k];
        cw_csv_id(f, a->id);
        fprintf(f, ",%s,", cw_aoi_kind_name(a->kind));
        cw_csv_text(f, a->name);
        fputc(',', f);
        cw_csv_num(f, s->area_ha, 4);
        for (int c2 = 0; c2 < 2; c2++)
            for (int r = 0; r < 4; r++) {
                fputc(',', f);
                cw_csv_num(f, s->ha[c2][r], 4);
            }
        char d[11], p0[11], p1[11];
        ck_day_format(s->last_clear, d);
        ck_day_format(cfg->ref_start_day, p0);
        ck_day_format(latest, p1);
        fprintf(f, ",%d,%s,", s->n_clear, d);
        if (s->gap >= 0)
            fprintf(f, "%d", s->gap);
        fputc(',', f);
        cw_csv_num(f, s->never_share, 4);
        fprintf(f, ",%d,%s,%s", s->scenes_seen, p0, p1);
        for (int c2 = 0; c2 < 2; c2++) { /* the committee's reviews: precision where any alert was decided */
            int v = s->reviewed[c2][CW_RV_VERIFIED], x = s->reviewed[c2][CW_RV_FALSE_POSITIVE];
            fprintf(f, ",%d,%d,", v, x);
            cw_csv_num(f, v + x ? (double)v / (v + x) : NAN, 4);
        }
        fputs("\r\n", f);
    }
    return cw_file_commit(f, tmp, path);
}

/* A tile's folder and its observation records. */
static int clean_stale_tile(const char *tile_dir)
{
    char obs[PATH_MAX];
    int n = cw_clean_stale_tmp(tile_dir);
    if (cw_path_join(obs, sizeof obs, tile_dir, "obs") == 0 && cw_is_dir(obs))
        n += cw_clean_stale_tmp(obs);
    return n;
}

/* What killed runs left: temporaries whose writer is gone, in the state
 * folder, each tile's folder and observation records, and in every night's
 * output folder and its maps.  Only by a run that holds the state alone:
 * a tile run of a cluster cleans its own tile (another node's pids mean
 * nothing here). */
static int clean_stale(const cw_config *cfg)
{
    int n = cw_clean_stale_tmp(cfg->state_dir) + cw_clean_stale_tmp(cfg->output_dir);
    DIR *sd = opendir(cfg->state_dir);
    struct dirent *se;
    while (sd && (se = readdir(sd))) {
        char tile[PATH_MAX];
        if (se->d_name[0] == '.' || cw_path_join(tile, sizeof tile, cfg->state_dir, se->d_name) || !cw_is_dir(tile))
            continue;
        n += clean_stale_tile(tile);
    }
    if (sd)
        closedir(sd);
    DIR *d = opendir(cfg->output_dir);
    if (!d)
        return n;
    struct dirent *e;
    while ((e = readdir(d))) {
        char night[PATH_MAX], maps[PATH_MAX];
        if (e->d_name[0] == '.' || cw_path_join(night, sizeof night, cfg->output_dir, e->d_name) || !cw_is_dir(night))
            continue;
        n += cw_clean_stale_tmp(night);
        if (cw_path_join(maps, sizeof maps, night, "maps") == 0)
            n += cw_clean_stale_tmp(maps);
    }
    closedir(d);
    return n;
}

/* A tile run's warnings, for `finish` to list in the night's report as a
 * plain run does: OUTPUT/<night>/logs/tile-T.warnings, one per line. */
static int tile_warnings_save(const char *logdir, const char *tile)
{
    char path[PATH_MAX], name[64], tmp[PATH_MAX];
    snprintf(name, sizeof name, "tile-%s.warnings", tile);
    if (cw_path_join(path, sizeof path, logdir, name))
        return -1;
    FILE *f = cw_file_create_tmp(path, tmp, sizeof tmp);
    if (!f)
        return -1;
    const char *const *w;
    int n = cw_warn_captured(&w);
    for (int i = 0; i < n; i++) {
        for (const char *c = w[i]; *c; c++)
            fputc(*c == '\n' || *c == '\r' ? ' ' : *c, f);
        fputc('\n', f);
    }
    return cw_file_commit(f, tmp, path);
}

/* `finish`: the warnings the night's tile runs saved, in tile order. */
static void tile_warnings_load(const char *logdir)
{
    size_t n;
    char **names = dir_names(logdir, "tile-", ".warnings", &n);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX], line[2048];
        FILE *f = cw_path_join(path, sizeof path, logdir, names[i]) ? NULL : fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (line[0])
                cw_warn_keep(line);
        }
        if (f)
            fclose(f);
    }
    names_free(names, n);
}

int cw_state_lock(const cw_config *cfg)
{
    char path[PATH_MAX];
    if (cw_mkdir_p(cfg->state_dir) || cw_path_join(path, sizeof path, cfg->state_dir, ".lock"))
        return -1;
    return cw_lock_take(path, cfg->lock_wait_s);
}

/* The locks of `run --tile T`, so that the tiles of a cluster night run at
 * once and never two on one tile: the state's lock shared (a plain run,
 * finish, review or reprocess waits for every tile run), the tile's own
 * (STATE/T/.lock), and, when the history is the state's GeoPackage, its
 * lock (STATE/history.lock) for the whole run: one writer at a time, each
 * waiting its turn up to [job] lock_wait_s.  A PostGIS history takes the
 * tiles' transactions at once.  -1 with cw_error() naming the holder. */
typedef struct {
    int state, tile, history;
} tile_locks;

static void tile_locks_drop(tile_locks *l)
{
    cw_lock_drop(l->history);
    cw_lock_drop(l->tile);
    cw_lock_drop(l->state);
    l->state = l->tile = l->history = -1;
}

static int tile_locks_take(const cw_config *cfg, const char *tile, tile_locks *l)
{
    char path[PATH_MAX], dir[PATH_MAX];
    l->state = l->tile = l->history = -1;
    if (cw_mkdir_p(cfg->state_dir) || cw_path_join(path, sizeof path, cfg->state_dir, ".lock") ||
        (l->state = cw_lock_take_shared(path, cfg->lock_wait_s)) < 0)
        return -1;
    if (cw_path_join(dir, sizeof dir, cfg->state_dir, tile) || cw_mkdir_p(dir) ||
        cw_path_join(path, sizeof path, dir, ".lock") || (l->tile = cw_lock_take(path, cfg->lock_wait_s)) < 0) {
        tile_locks_drop(l);
        return -1;
    }
    if (!cfg->history_url[0] && (cw_path_join(path, sizeof path, cfg->state_dir, "history.lock") ||
                                 (l->history = cw_lock_take(path, cfg->lock_wait_s)) < 0)) {
        tile_locks_drop(l);
        return -1;
    }
    return 0;
}

/* One run at a time on a state (or on a tile of it): the second waits,
 * then gives up naming the holder (1); 2 when the run cannot start (a
 * --tile that is no tile id, settings changed under a state). */
static int run_locks_take(const cw_run_opts *o, const cw_config *cfg, tile_locks *lk)
{
    if (o->lock_held)
        return 0;
    if (o->only_tile && !is_tile_id(o->only_tile)) {
        cw_error("--tile %s is not a Sentinel-2 tile id (like 18MTD)", o->only_tile);
        return 2;
    }
    if (o->only_tile ? tile_locks_take(cfg, o->only_tile, lk) : (lk->state = cw_state_lock(cfg)) < 0)
        return 1;
    return settings_check(cfg) ? 2 : 0;
}

/* What must hold before a night writes anything: every inbox is a folder
 * (a typo in the path would make every night quietly empty), and every
 * tile's state was built with the settings of the configuration. */
static int preflight(const cw_config *cfg)
{
    for (int i = 0; i < cfg->n_inbox; i++) {
        char why[160];
        if (!cw_is_dir(cfg->inbox[i]))
            return cw_error("%s: [job] inbox %s: %s", cfg->path, cfg->inbox[i],
                            cw_file_problem(cfg->inbox[i], why, sizeof why) ? why : "not a folder");
    }
    return settings_check(cfg);
}

/* The inbox scenes as the maps read them, with their observation records. */
static cw_map_scene *map_scenes(const cw_config *cfg, const cw_inbox_item *items, int n)
{
    cw_map_scene *ms = calloc((size_t)n + 1, sizeof *ms);
    for (int i = 0; ms && i < n; i++) {
        char tdir[PATH_MAX];
        ms[i].s = &items[i].s;
        ms[i].day = items[i].day;
        if (cw_path_join(tdir, sizeof tdir, cfg->state_dir, items[i].s.tile) ||
            cw_obs_path(ms[i].obs, sizeof ms[i].obs, tdir, items[i].s.date, items[i].s.product_id))
            ms[i].obs[0] = '\0';
        if (!ms[i].obs[0] || cw_preview_path(ms[i].preview, sizeof ms[i].preview, ms[i].obs))
            ms[i].preview[0] = '\0';
    }
    return ms;
}

/* OUTPUT/<night>/logs/run-<time>[-TILE].log, with the effective
 * configuration and the warnings raised before it; NULL when it cannot be
 * made (the run goes on, on stderr). */
static FILE *run_log_open(const cw_config *cfg, const char *logdir, const char *night, const char *tile)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[48], path[PATH_MAX];
    strftime(stamp, sizeof stamp, "run-%Y%m%dT%H%M%SZ", &tm);
    /* the tile runs of a night log side by side */
    snprintf(stamp + strlen(stamp), sizeof stamp - strlen(stamp), "%s%s.log", tile ? "-" : "", tile ? tile : "");
    FILE *log = cw_path_join(path, sizeof path, logdir, stamp) ? NULL : fopen(path, "a");
    if (!log)
        return NULL;
    setvbuf(log, NULL, _IOLBF, 0);
    fprintf(log, "chakrawatch %s (GDAL %s), night %s, pid %ld\n", CW_VERSION, GDALVersionInfo("RELEASE_NAME"), night,
            (long)getpid());
    cw_config_dump(cfg, log);
    const char *const *early;
    int ne = cw_warn_captured(&early); /* the AOI warnings came before the log */
    for (int k = 0; k < ne; k++)
        fprintf(log, "warning: %s\n", early[k]);
    cw_set_log_file(log);
    return log;
}

/* Every tile of the inbox items (grouped by tile), or only `only`. */
static void run_tiles(job_t *j, cw_inbox_item *items, int nitems, const char *only)
{
    for (int i = 0; i < nitems;) {
        int k = i;
        while (k < nitems && !strcmp(items[k].s.tile, items[i].s.tile))
            k++;
        if (!(only && strcmp(only, items[i].s.tile)) && run_tile(j, items + i, k - i)) {
            cw_warn("tile %s: %s; its scenes are left for the next run", items[i].s.tile, cw_errmsg());
            j->failed++;
        }
        i = k;
    }
}

/* The night's outputs from the history: alerts.csv and alerts.xlsx,
 * aoi_summary.csv, the maps and report.  -1 when one of the first could
 * not be written; a map or report problem counts as a failed item. */
static int night_outputs(job_t *j, const cw_inbox_item *items, int nitems, const char *outdir)
{
    const cw_config *cfg = j->cfg;
    char path[PATH_MAX];
    if (write_alert_sheets(cfg, j->h, j->night, outdir))
        return -1;
    /* per-AOI evidence, for aoi_summary.csv and the report */
    cw_aoi_summary *summ = NULL;
    int latest = 0;
    if (cw_aoi_summaries(cfg, j->as, j->h, &summ, &latest) ||
        cw_path_join(path, sizeof path, outdir, "aoi_summary.csv") ||
        write_summary_csv(cfg, j->as, summ, latest, path)) {
        free(summ);
        return -1;
    }
    if (cfg->maps_enabled) {
        cw_map_scene *ms = map_scenes(cfg, items, nitems);
        int mfail = 0;
        cw_report_in ri = {cfg, j->co, j->as, j->h, j->night, outdir, ms, nitems, summ, NULL};
        if (!ms || cw_report_night(&ri, &mfail)) {
            cw_warn("report: %s", cw_errmsg());
            mfail++;
        }
        j->failed += mfail;
        free(ms);
    }
    free(summ);
    return 0;
}

int cw_run(const cw_run_opts *o)
{
    cw_config cfg;
    if (cw_config_load(o->config_path, &cfg)) {
        cw_warn("%s", cw_errmsg());
        return 2;
    }
    if (o->threads > 0)
        cfg.threads = o->threads;
    char night[11];
    if (o->night) {
        if (!ck_day_parse(o->night)) {
            cw_warn("--night %s is not a date YYYY-MM-DD", o->night);
            return 2;
        }
        cw_strlcpy(night, o->night, sizeof night);
    } else {
        cw_today_ymd(night);
    }
    cw_common_opts co;
    if (cw_config_raster_opts(&cfg, &co)) {
        cw_warn("%s: %s", cfg.path, cw_errmsg());
        return 2;
    }
    /* an unusable configuration is refused before anything is written */
    cw_warn_capture(1); /* what failed, for the report */
    cw_aoi_set as;
    if (preflight(&cfg) || cw_aoi_load(&cfg, &as)) {
        cw_warn("%s", cw_errmsg());
        cw_warn_capture(0);
        return 2;
    }
    tile_locks lk = {-1, -1, -1};
    int lrc = run_locks_take(o, &cfg, &lk);
    if (lrc) {
        cw_warn("%s", cw_errmsg());
        tile_locks_drop(&lk);
        cw_aoi_set_free(&as);
        cw_warn_capture(0);
        return lrc;
    }
    char outdir[PATH_MAX], logdir[PATH_MAX], hpath[PATH_MAX], path[PATH_MAX];
    if (cw_path_join(outdir, sizeof outdir, cfg.output_dir, night) ||
        cw_path_join(logdir, sizeof logdir, outdir, "logs") || cw_mkdir_p(logdir) || cw_mkdir_p(cfg.state_dir) ||
        cw_history_location(&cfg, hpath, sizeof hpath)) {
        cw_warn("%s", cw_errmsg());
        tile_locks_drop(&lk);
        cw_aoi_set_free(&as);
        cw_warn_capture(0);
        return 2;
    }
    char tdir[PATH_MAX];
    int stale = 0;
    if (!o->only_tile)
        stale = clean_stale(&cfg);
    else if (cw_path_join(tdir, sizeof tdir, cfg.state_dir, o->only_tile) == 0)
        stale = clean_stale_tile(tdir);
    if (stale)
        cw_info("removed %d temporary file(s) left by an interrupted run", stale);
    FILE *log = run_log_open(&cfg, logdir, night, o->only_tile);
    /* reproducible GeoPackage bytes: its timestamps are the night */
    char cur[40];
    snprintf(cur, sizeof cur, "%sT00:00:00.000Z", night);
    CPLSetConfigOption("OGR_CURRENT_DATE", cur);

    job_t j;
    memset(&j, 0, sizeof j);
    j.cfg = &cfg;
    j.co = &co;
    j.night = night;
    j.replay_tile = o->replay_from ? o->replay_tile : NULL;
    j.replay_from = o->replay_from ? ck_day_parse(o->replay_from) : 0;
    int rc = 2;
    cw_inbox_item *items = NULL;
    int nitems = 0;
    j.as = &as;
    j.failed += as.n_bad;
    cw_note("night %s: %d area(s) of interest (%d skipped)", night, as.n, as.n_bad);
    j.h = cw_history_open(hpath, 1);
    if (!j.h) {
        cw_warn("%s", cw_errmsg());
        goto out_aoi;
    }
    rc = 1;
    if (cw_inbox_discover(&cfg, &co, &items, &nitems, &j.failed)) {
        cw_warn("%s", cw_errmsg());
        goto out_h;
    }
    cw_note("inbox: %d scene(s) readable", nitems);
    if (!o->outputs_only)
        run_tiles(&j, items, nitems, o->only_tile);
    int orc = 0;
    if (o->only_tile) { /* one tile of an array job: `finish` writes the night's outputs */
        if (tile_warnings_save(logdir, o->only_tile))
            cw_warn("tile %s: its warnings cannot be kept for finish: %s", o->only_tile, cw_errmsg());
    } else {
        if (o->outputs_only)
            tile_warnings_load(logdir);
        orc = night_outputs(&j, items, nitems, outdir);
    }
    if (cw_history_close(j.h) || cw_history_canonicalize(hpath, cur))
        orc = -1;
    j.h = NULL;
    if (!orc && !o->only_tile && !cw_history_is_server(hpath) && /* a server's history stays there */
        (cw_path_join(path, sizeof path, outdir, "history.gpkg") || cw_file_copy(hpath, path)))
        orc = -1;
    if (orc) {
        cw_warn("outputs: %s", cw_errmsg());
        j.failed++;
    }
    cw_note("night %s: %d scene(s) processed, %d already done, %d item(s) failed; alerts: %d new, %d updated, "
            "%d rejected; outputs in %s",
            night, j.n_processed, j.n_skipped, j.failed, j.totals.n_new, j.totals.n_updated, j.totals.n_rejected,
            outdir);
    rc = j.failed ? 1 : 0;
out_h:
    cw_history_close(j.h);
    cw_inbox_free(items, nitems);
out_aoi:
    cw_aoi_set_free(&as);
    tile_locks_drop(&lk);
    cw_warn_capture(0);
    cw_set_log_file(NULL);
    if (log)
        fclose(log);
    return rc;
}

static int reprocess_locked(const cw_run_opts *o, const cw_config *cfgp, const char *tile, const char *dir,
                            const char *hpath, const char *night);

int cw_reprocess(const cw_run_opts *o, const char *tile)
{
    cw_config cfg;
    if (cw_config_load(o->config_path, &cfg)) {
        cw_warn("%s", cw_errmsg());
        return 2;
    }
    char dir[PATH_MAX], hpath[PATH_MAX], night[11];
    if (!is_tile_id(tile)) {
        cw_warn("reprocess: --tile %s is not a Sentinel-2 tile id (like 18MTD)", tile);
        return 2;
    }
    if (o->night) {
        cw_strlcpy(night, o->night, sizeof night);
    } else {
        cw_today_ymd(night);
    }
    if (cw_path_join(dir, sizeof dir, cfg.state_dir, tile) || cw_history_location(&cfg, hpath, sizeof hpath)) {
        cw_warn("%s", cw_errmsg());
        return 2;
    }
    if (!cw_history_exists(hpath)) {
        cw_warn("reprocess: no history at %s: nothing to rebuild (run the nightly job)", hpath);
        return 2;
    }
    const int lock = cw_state_lock(&cfg);
    if (lock < 0) {
        cw_warn("reprocess: %s", cw_errmsg());
        return 1;
    }
    int rc = reprocess_locked(o, &cfg, tile, dir, hpath, night);
    cw_lock_drop(lock);
    return rc;
}

/* reprocess with the state's lock held. */
static int reprocess_locked(const cw_run_opts *o, const cw_config *cfgp, const char *tile, const char *dir,
                            const char *hpath, const char *night)
{
    char aside[PATH_MAX], replaced[PATH_MAX];
    if (cw_path_join(replaced, sizeof replaced, cfgp->state_dir, "replaced") || cw_mkdir_p(replaced)) {
        cw_warn("reprocess: %s", cw_errmsg());
        return 1;
    }
    for (int k = 0;; k++) { /* set aside, never deleted */
        snprintf(aside, sizeof aside, k ? "%s/%s-%s-%d" : "%s/%s-%s", replaced, tile, night, k);
        if (access(aside, F_OK) != 0)
            break;
    }
    const int moved = rename(dir, aside) == 0;
    if (!moved && errno != ENOENT) {
        cw_warn("reprocess: cannot set %s aside: %s", dir, strerror(errno));
        return 1;
    }
    if (moved)
        cw_note("reprocess: the state of tile %s was set aside in %s", tile, aside);
    cw_history *h = cw_history_open(hpath, 1);
    if (!h || cw_history_begin(h) || cw_history_tile_reset(h, tile) || cw_history_commit(h)) {
        cw_warn("reprocess: %s", cw_errmsg());
        cw_history_close(h);
        return 1;
    }
    if (cw_history_close(h)) {
        cw_warn("reprocess: %s", cw_errmsg());
        return 1;
    }
    cw_note("reprocess: tile %s forgotten by the history; its scenes are processed again", tile);
    cw_run_opts ro = *o;
    ro.night = night;
    ro.lock_held = 1;
    ro.replay_tile = tile;
    if (o->replay_from && strcmp(o->replay_from, cfgp->ref_start) > 0)
        cw_warn("reprocess --from %s: after the reference period's start %s; the baseline is made of the "
                "reference scenes from %s on", o->replay_from, cfgp->ref_start, o->replay_from);
    return cw_run(&ro);
}

int cw_report_period(const cw_period_opts *o)
{
    cw_config cfg;
    cw_common_opts co;
    if (cw_config_load(o->config_path, &cfg) || cw_config_raster_opts(&cfg, &co)) {
        cw_warn("%s", cw_errmsg());
        return 2;
    }
    if (!cw_valid_ymd(o->from) || !cw_valid_ymd(o->to) || strcmp(o->from, o->to) > 0) {
        cw_warn("report: --from %s --to %s is not a period of dates YYYY-MM-DD", o->from, o->to);
        return 2;
    }
    char hpath[PATH_MAX], outdir[PATH_MAX], name[64];
    snprintf(name, sizeof name, "report-%s-%s", o->from, o->to);
    if (cw_history_location(&cfg, hpath, sizeof hpath) || !cw_history_exists(hpath)) {
        cw_warn("report: no history at %s: the nightly job has not run yet", hpath);
        return 2;
    }
    if (o->out)
        cw_strlcpy(outdir, o->out, sizeof outdir);
    else if (cw_path_join(outdir, sizeof outdir, cfg.output_dir, name))
        return 2;
    cw_warn_capture(1);
    cw_aoi_set as;
    if (cw_aoi_load(&cfg, &as)) {
        cw_warn("%s", cw_errmsg());
        cw_warn_capture(0);
        return 2;
    }
    int failed = as.n_bad, nitems = 0, rc = 1, latest = 0;
    cw_inbox_item *items = NULL;
    cw_aoi_summary *summ = NULL;
    cw_map_scene *ms = NULL;
    cw_history *h = cw_history_open(hpath, -1);
    if (h && !cw_mkdir_p(outdir) && !cw_inbox_discover(&cfg, &co, &items, &nitems, &failed) &&
        !cw_aoi_summaries(&cfg, &as, h, &summ, &latest) && (ms = map_scenes(&cfg, items, nitems))) {
        cw_report_in ri = {&cfg, &co, &as, h, o->to, outdir, ms, nitems, summ, o->from};
        if (cw_report_night(&ri, &failed))
            cw_warn("report: %s", cw_errmsg());
        else
            rc = failed ? 1 : 0;
        cw_note("report of %s to %s in %s/report.html", o->from, o->to, outdir);
    } else {
        cw_warn("report: %s", cw_errmsg());
    }
    free(ms);
    free(summ);
    cw_inbox_free(items, nitems);
    cw_history_close(h);
    cw_aoi_set_free(&as);
    cw_warn_capture(0);
    return rc;
}

int cw_plan(const char *config_path)
{
    cw_config cfg;
    cw_common_opts co;
    if (cw_config_load(config_path, &cfg) || cw_config_raster_opts(&cfg, &co) || preflight(&cfg)) {
        cw_warn("%s", cw_errmsg());
        return 2;
    }
    char hpath[PATH_MAX];
    if (cw_history_location(&cfg, hpath, sizeof hpath))
        return 2;
    cw_history *h = cw_history_exists(hpath) ? cw_history_open(hpath, -1) : NULL;
    cw_inbox_item *items = NULL;
    int n = 0, failed = 0;
    if (cw_inbox_discover(&cfg, &co, &items, &n, &failed)) {
        cw_warn("%s", cw_errmsg());
        cw_history_close(h);
        return 1;
    }
    for (int i = 0; i < n;) { /* items are sorted by tile */
        int k = i, fresh = 0;
        char st[32];
        for (; k < n && !strcmp(items[k].s.tile, items[i].s.tile); k++)
            fresh |= !h || cw_history_scene_status(h, items[k].s.product_id, st, sizeof st) != 1;
        if (fresh)
            printf("%s\n", items[i].s.tile);
        i = k;
    }
    cw_inbox_free(items, n);
    cw_history_close(h);
    return fflush(stdout) || failed ? 1 : 0;
}

/* ------------------------------------------------------------ export */

/* dates_as_text: KML keeps no date fields, so they go as YYYY-MM-DD text. */
static void export_feature(OGRFeatureH f, const cw_alert *a, int dates_as_text)
{
    cw_alert_cell c[CW_ALERT_NCOLS];
    cw_alert_cells(a, c);
    for (int k = 0; k < CW_ALERT_NCOLS; k++) {
        const cw_col_type t = cw_alert_cols[k].type;
        if (t == CW_COL_TEXT) {
            OGR_F_SetFieldString(f, k, c[k].text ? c[k].text : "");
        } else if (t == CW_COL_DATE && c[k].day > 0) {
            int y, m, d;
            char txt[11];
            ck_day_to_ymd(c[k].day, &y, &m, &d);
            ck_day_format(c[k].day, txt);
            if (dates_as_text)
                OGR_F_SetFieldString(f, k, txt);
            else
                OGR_F_SetFieldDateTime(f, k, y, m, d, 0, 0, 0, 0);
        } else if (t == CW_COL_DATE || isnan(c[k].num)) {
            OGR_F_SetFieldNull(f, k); /* no value: null, not "" nor absent */
        } else if (t == CW_COL_INT) {
            OGR_F_SetFieldInteger(f, k, (int)c[k].num);
        } else {
            OGR_F_SetFieldDouble(f, k, c[k].num);
        }
    }
    if (a->geom)
        OGR_F_SetGeometry(f, a->geom);
}

/* The vector formats of the export: GDAL driver, file name the driver
 * needs (its extension chooses the format), layer options. */
static const struct {
    const char *name, *driver, *file;
    const char *lopts[3];
} vformats[] = {
    {"geojson", "GeoJSON", "alerts.geojson", {"RFC7946=YES", "WRITE_NAME=NO", NULL}},
    {"gpkg", "GPKG", "alerts.gpkg", {NULL}},
    {"shp", "ESRI Shapefile", "alerts.shp.zip", {"ENCODING=UTF-8", NULL}},
    {"kml", "LIBKML", "alerts.kml", {NULL}},
    {"kmz", "LIBKML", "alerts.kmz", {NULL}},
};

/* Alerts through OGR, in EPSG:4326 longitude first (the history's
 * geometries are in traditional GIS order, and so must the layer's CRS
 * be, or GDAL swaps them), every field of alerts.csv with its type.  Files
 * are made in a temporary folder beside the output and renamed in;
 * GeoJSON may also go to standard output. */
static int export_ogr(const cw_alert *al, int n, const char *format, const char *out)
{
    size_t fi = 0;
    while (fi < sizeof vformats / sizeof vformats[0] && strcmp(vformats[fi].name, format))
        fi++;
    if (fi == sizeof vformats / sizeof vformats[0])
        return cw_error("unknown format %s", format);
    char tmpdir[PATH_MAX] = "", dst[PATH_MAX] = "/vsistdout/";
    if (!out && fi != 0)
        return cw_error("--format %s writes a file: give --out FILE", format);
    if (out) {
        char dir[PATH_MAX];
        cw_strlcpy(dir, out, sizeof dir);
        char *sl = strrchr(dir, '/');
        if (sl)
            *sl = '\0';
        snprintf(tmpdir, sizeof tmpdir, "%s/.tmp-export-%ld", sl ? dir : ".", (long)getpid());
        if (cw_mkdir_p(tmpdir) || cw_path_join(dst, sizeof dst, tmpdir, vformats[fi].file))
            return -1;
    }
    GDALDriverH drv = GDALGetDriverByName(vformats[fi].driver);
    GDALDatasetH ds = drv ? GDALCreate(drv, dst, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    OGRSpatialReferenceH wgs = cw_srs_gis(NULL);
    OGRLayerH l = ds ? GDALDatasetCreateLayer(ds, "alerts", wgs, wkbMultiPolygon, (char **)vformats[fi].lopts) : NULL;
    int ok = l != NULL;
    static const OGRFieldType ot[] = {[CW_COL_TEXT] = OFTString, [CW_COL_INT] = OFTInteger,
                                      [CW_COL_REAL] = OFTReal, [CW_COL_DATE] = OFTDate};
    for (size_t i = 0; ok && i < CW_ALERT_NCOLS; i++) {
        const int kml = !strcmp(vformats[fi].driver, "LIBKML");
        const cw_col_type t = cw_alert_cols[i].type;
        OGRFieldDefnH d = OGR_Fld_Create(cw_alert_cols[i].name, kml && t == CW_COL_DATE ? OFTString : ot[t]);
        if (t == CW_COL_TEXT && !strcmp(format, "shp"))
            OGR_Fld_SetWidth(d, 254); /* dBase's longest text, not OGR's default 80 */
        ok = OGR_L_CreateField(l, d, TRUE) == OGRERR_NONE;
        OGR_Fld_Destroy(d);
    }
    for (int i = 0; ok && i < n; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        export_feature(f, &al[i], !strcmp(vformats[fi].driver, "LIBKML"));
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g)
            OGR_G_AssignSpatialReference(g, wgs);
        ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
        OGR_F_Destroy(f);
    }
    OSRDestroySpatialReference(wgs);
    if (ds) {
        CPLErrorReset();
        GDALClose(ds);
        ok = ok && CPLGetLastErrorType() < CE_Failure;
    }
    int rc = ok ? 0 : cw_error("%s export failed: %s", format, cw_gdal_reason("GDAL gave no reason"));
    if (out && !rc && rename(dst, out) != 0)
        rc = cw_error("%s: %s", out, strerror(errno));
    if (out) {
        unlink(dst);
        rmdir(tmpdir);
    }
    return rc;
}

int cw_alerts_export(const cw_export_opts *o)
{
    cw_config cfg;
    if (cw_config_load(o->config_path, &cfg))
        return -1;
    char hpath[PATH_MAX];
    if (cw_history_location(&cfg, hpath, sizeof hpath))
        return -1;
    if (!cw_valid_ymd(o->since))
        return cw_error("--since %s: not a date YYYY-MM-DD (the filter is on the night an alert was last updated, "
                        "first detection included)",
                        o->since);
    cw_history *h = cw_history_open(hpath, -1); /* read-only: an export changes nothing */
    if (!h)
        return -1;
    cw_alert *al;
    int n, rc = -1;
    if (cw_history_alerts_since(h, o->since, &al, &n)) {
        cw_history_close(h);
        return -1;
    }
    if (cw_history_same_events(h, cfg.group_days, al, n)) {
        rc = -1; /* cw_error() said why */
    } else if (!strcmp(o->format, "csv")) {
        char tmp[PATH_MAX];
        FILE *f = o->out ? cw_file_create_tmp(o->out, tmp, sizeof tmp) : stdout;
        if (f) {
            if (o->out)
                cw_csv_bom(f);
            write_alert_header(f);
            for (int i = 0; i < n; i++)
                write_alert_row(f, &al[i]);
            rc = o->out ? cw_file_commit(f, tmp, o->out) : (fflush(f) ? cw_error("write error") : 0);
        }
    } else {
        rc = export_ogr(al, n, o->format, o->out);
    }
    cw_alert_list_free(al, n);
    cw_history_close(h);
    return rc;
}
