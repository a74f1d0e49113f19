/*
 * cw_cmd.c - `info` and `indices`: one scene in, a report or index
 * GeoTIFFs out, all through the strip driver.
 */
#include "job/cw_cmd.h"
#include "ck_indices.h"
#include "cw_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int stats_commit(void *ctx, const cw_strip *st, void *tls)
{
    (void)tls;
    cw_pixel_stats_add(ctx, st);
    return 0;
}

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

int cw_info_run(const char *scene_path, const cw_common_opts *o, FILE *out)
{
    cw_scene s;
    if (cw_scene_open(scene_path, &o->scene, &s))
        return -1;
    fprintf(out, "scene:     %s\n", s.path);
    fprintf(out, "layout:    %s\n", cw_layout_name(s.layout));
    fprintf(out, "product:   %s\n", s.product_id);
    fprintf(out, "tile:      %s\n", s.tile[0] ? s.tile : "(unknown)");
    fprintf(out, "date:      %s\n", s.date[0] ? s.date : "(unknown)");
    fprintf(out, "crs:       %s\n", s.crs_name);
    fprintf(out, "grid:      %d x %d pixels of %g m, origin (%.3f, %.3f)\n", s.width, s.height, s.res, s.gt[0],
            s.gt[3]);
    fprintf(out, "baseline:  %s\n", s.baseline[0] ? s.baseline : "(unknown)");
    fprintf(out, "offset:    %s\n", s.offset_desc);
    fprintf(out, "bands:\n");
    for (int i = 0; i < CW_NSRC; i++) {
        const cw_src *c = &s.src[i];
        if (!c->present) {
            fprintf(out, "  %-4s  missing\n", cw_src_name(i));
            continue;
        }
        fprintf(out, "  %-4s  %2g m  block %dx%d  %s", cw_src_name(i), s.res * c->factor, c->block_w, c->block_h,
                c->path);
        if (s.layout == CW_LAYOUT_MULTIBAND)
            fprintf(out, " (band %d)", c->band_index);
        if (i < CK_NBANDS)
            fprintf(out, "  rho = (DN %+g) / %g", (double)c->conv.add, (double)c->conv.quantum);
        fputc('\n', out);
    }
    cw_pixel_stats ps;
    memset(&ps, 0, sizeof ps);
    cw_strip_job job;
    cw_strip_job_init(&job, o, &s);
    job.ctx = &ps;
    job.commit = stats_commit;
    job.quantum = CW_OUT_TILE; /* in column windows where the blocks allow (sums: any order) */
    job.windows = 1;
    if (cw_strip_uses_fallback(&s, &job)) {
        if (cw_scene_missing(&s, CW_SRC_BIT(CK_B02) | CW_SRC_BIT(CK_B03) | CW_SRC_BIT(CK_B04))) {
            fprintf(out, "mask:      none (no SCL, and B02/B03/B04 missing for the fallback test)\n");
            job.mask = CW_MASK_NONE;
        } else {
            fprintf(out, "mask:      no SCL: fallback cloud and haze-over-water tests, buffers %g m / %g m\n",
                    o->cloud_buffer_m, o->shadow_buffer_m);
        }
    } else if (job.mask == CW_MASK_SCL) {
        fprintf(out, "mask:      SCL, cloud buffer %g m, shadow buffer %g m\n", o->cloud_buffer_m,
                o->shadow_buffer_m);
    }
    int rc = 0;
    if (job.mask != CW_MASK_NONE) {
        rc = cw_strip_run(&s, &job, NULL);
        if (rc == 0)
            fprintf(out,
                    "pixels:    valid %.2f %% (water %.2f %%), cloud %.2f %%, shadow %.2f %%, "
                    "other invalid %.2f %%, no data %.2f %%\n",
                    pct(ps.valid, ps.total), pct(ps.water, ps.total), pct(ps.cloud, ps.total),
                    pct(ps.shadow, ps.total), pct(ps.invalid, ps.total), pct(ps.nodata, ps.total));
    }
    cw_scene_free(&s);
    return rc;
}

/* ------------------------------------------------------------- indices */

#define CW_MAX_INDICES 16

typedef struct {
    const ck_index_desc *idx[CW_MAX_INDICES];
    int n;
    int cols; /* the widest strip (cw_strip_plan.cols) */
    cw_out_type type;
    cw_raster_out *out[CW_MAX_INDICES];
    cw_pixel_stats ps;
} indices_ctx;

/* Per thread: each index's strip in tile-major order, ready for the
 * writer, and one output tile row of reflectance per band. */
typedef struct {
    void *tiles[CW_MAX_INDICES];
    cw_tile_enc *enc[CW_MAX_INDICES]; /* the tiles compressed by this thread */
    float *chunk[CK_NBANDS], *tmp;
    int n;
    cw_pixel_stats ps; /* this strip's, added in order by the commit */
} indices_tls;

static void indices_tls_free(void *ctx, void *p)
{
    (void)ctx;
    indices_tls *t = p;
    if (!t)
        return;
    for (int k = 0; k < t->n; k++) {
        free(t->tiles[k]);
        cw_tile_enc_free(t->enc[k]);
    }
    for (int b = 0; b < CK_NBANDS; b++)
        free(t->chunk[b]);
    free(t->tmp);
    free(t);
}

static void *indices_tls_init(void *ctx, size_t max_px)
{
    indices_ctx *c = ctx;
    indices_tls *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n = c->n;
    const int rows = (int)(max_px / (size_t)c->cols);
    size_t tpx = cw_tiles_pixels(c->cols, rows);
    size_t px = c->type == CW_OUT_INT16 ? sizeof(int16_t) : sizeof(float);
    int ok = (t->tmp = malloc(CW_OUT_TILE * sizeof(float))) != NULL;
    for (int k = 0; k < c->n; k++)
        ok = ok && (t->tiles[k] = malloc(tpx * px)) != NULL &&
             (t->enc[k] = cw_tile_enc_new(c->out[k], c->cols, rows)) != NULL;
    for (int b = 0; b < CK_NBANDS; b++)
        ok = ok && (t->chunk[b] = malloc(CW_OUT_TILE * sizeof(float))) != NULL;
    if (!ok) {
        indices_tls_free(ctx, t);
        return NULL;
    }
    return t;
}

/* No data where a strip's tiles reach past the grid (right edge, rows
 * after the last): everything indices_work does not write. */
static void indices_pad(const indices_ctx *c, const cw_strip *st, indices_tls *t)
{
    const int T = CW_OUT_TILE, W = (int)st->width, rows = (st->nrows + T - 1) / T * T;
    for (int k = 0; k < c->n; k++)
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < W; x += T) {
                int from = y >= st->nrows ? 0 : W - x < T ? W - x : T; /* first column to pad */
                size_t i0 = cw_tiles_index(W, x, y);
                for (int i = from; i < T; i++) {
                    if (c->type == CW_OUT_FLOAT32)
                        ((float *)t->tiles[k])[i0 + (size_t)i] = CK_NODATA;
                    else
                        ((int16_t *)t->tiles[k])[i0 + (size_t)i] = CK_NODATA_I16;
                }
            }
}

/* Row segments one output tile wide: convert the bands (cache-resident),
 * then every index straight into its place in the tiles. */
static int indices_work(void *ctx, const cw_strip *st, void *tls)
{
    indices_ctx *c = ctx;
    indices_tls *t = tls;
    const int T = CW_OUT_TILE, W = (int)st->width;
    const float *refl[CK_NBANDS];
    indices_pad(c, st, t);
    for (int y = 0; y < st->nrows; y++)
        for (int x0 = 0; x0 < W; x0 += T) {
            size_t len = (size_t)(W - x0 < T ? W - x0 : T), off = (size_t)y * (size_t)W + (size_t)x0;
            size_t to = cw_tiles_index(W, x0, y);
            cw_strip_refl_chunk(st, off, len, t->chunk, refl);
            for (int k = 0; k < c->n; k++) {
                if (c->type == CW_OUT_FLOAT32) {
                    c->idx[k]->fn(refl, st->mask + off, len, (float *)t->tiles[k] + to);
                } else {
                    c->idx[k]->fn(refl, st->mask + off, len, t->tmp);
                    ck_index_to_i16(t->tmp, len, (int16_t *)t->tiles[k] + to);
                }
            }
        }
    for (int k = 0; k < c->n; k++)
        if (cw_raster_out_encode(c->out[k], t->enc[k], W, st->nrows, t->tiles[k]))
            return -1;
    memset(&t->ps, 0, sizeof t->ps);
    cw_pixel_stats_add(&t->ps, st);
    return 0;
}

static int indices_commit(void *ctx, const cw_strip *st, void *tls)
{
    indices_ctx *c = ctx;
    indices_tls *t = tls;
    for (int k = 0; k < c->n; k++)
        if (cw_raster_out_write(c->out[k], st->x0, st->y0, (int)st->width, st->nrows, t->tiles[k], t->enc[k]))
            return -1;
    cw_pixel_stats_sum(&c->ps, &t->ps);
    return 0;
}

static int parse_index_list(const char *list, indices_ctx *c)
{
    char buf[256];
    cw_strlcpy(buf, list, sizeof buf);
    for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
        const ck_index_desc *d = ck_index_find(tok);
        if (!d) {
            char known[256] = "";
            for (size_t i = 0; i < ck_index_count; i++) {
                strcat(known, i ? ", " : "");
                strcat(known, ck_index_table[i].name);
            }
            return cw_error("unknown index '%s' (known: %s)", tok, known);
        }
        int dup = 0;
        for (int k = 0; k < c->n; k++)
            dup |= c->idx[k] == d;
        if (dup)
            continue;
        if (c->n == CW_MAX_INDICES)
            return cw_error("too many indices");
        c->idx[c->n++] = d;
    }
    if (c->n == 0)
        return cw_error("no index given");
    return 0;
}

int cw_indices_run(const char *scene_path, const cw_indices_opts *o)
{
    indices_ctx c;
    memset(&c, 0, sizeof c);
    c.type = o->type;
    if (parse_index_list(o->index_list, &c))
        return -1;
    cw_scene s;
    if (cw_scene_open(scene_path, &o->c.scene, &s))
        return -1;
    int rc = -1;
    cw_strip_plan plan = {0};
    cw_strip_job job;
    cw_strip_job_init(&job, &o->c, &s);
    job.quantum = CW_OUT_TILE;
    for (int k = 0; k < c.n; k++)
        job.bands |= c.idx[k]->bands;
    char list[128];
    unsigned miss = cw_scene_missing(&s, job.bands);
    if (miss) {
        cw_src_list(miss, list, sizeof list);
        cw_error("%s: missing band(s) %s needed by the requested indices", s.product_id, list);
        goto done;
    }
    if (cw_strip_uses_fallback(&s, &job)) {
        if (cw_scene_missing(&s, CW_SRC_BIT(CK_B02) | CW_SRC_BIT(CK_B03) | CW_SRC_BIT(CK_B04))) {
            cw_warn("%s: no SCL and no B02/B03/B04 for the fallback cloud test: clouds are NOT masked",
                    s.product_id);
            job.mask = CW_MASK_NONE;
        } else {
            cw_warn("%s: no SCL band: clouds and haze over water are masked by the fallback tests, "
                    "shadows are not detected",
                    s.product_id);
        }
    }
    if (cw_mkdir_p(o->out_dir))
        goto done;
    char mask_desc[160];
    if (job.mask == CW_MASK_NONE)
        snprintf(mask_desc, sizeof mask_desc, "none (DN 0 only)");
    else
        snprintf(mask_desc, sizeof mask_desc, "%s; cloud buffer %g m, shadow buffer %g m",
                 cw_strip_uses_fallback(&s, &job) ? "brightness fallback (no SCL)" : "SCL", o->c.cloud_buffer_m,
                 o->c.shadow_buffer_m);
    for (int k = 0; k < c.n; k++) {
        char name[300], path[PATH_MAX], upper[16], meta[8][400];
        if (s.tile[0] && s.date[0])
            snprintf(name, sizeof name, "%s_%c%c%c%c%c%c%c%c_%s.tif", s.tile, s.date[0], s.date[1], s.date[2],
                     s.date[3], s.date[5], s.date[6], s.date[8], s.date[9], c.idx[k]->name);
        else
            snprintf(name, sizeof name, "%s_%s.tif", s.product_id, c.idx[k]->name);
        if (cw_path_join(path, sizeof path, o->out_dir, name))
            goto done;
        size_t l = 0;
        for (; c.idx[k]->name[l] && l < sizeof upper - 1; l++)
            upper[l] = (char)(c.idx[k]->name[l] - 'a' + 'A');
        upper[l] = '\0';
        snprintf(meta[0], sizeof meta[0], "CHAKRAWATCH_VERSION=%s", CW_VERSION);
        snprintf(meta[1], sizeof meta[1], "INDEX=%s", upper);
        snprintf(meta[2], sizeof meta[2], "FORMULA=%s", c.idx[k]->formula);
        snprintf(meta[3], sizeof meta[3], "SOURCE_PRODUCT=%s", s.product_id);
        snprintf(meta[4], sizeof meta[4], "TILE_ID=%s", s.tile);
        snprintf(meta[5], sizeof meta[5], "ACQUISITION_DATE=%s", s.date);
        snprintf(meta[6], sizeof meta[6], "DN_CONVENTION=%s", s.offset_desc);
        snprintf(meta[7], sizeof meta[7], "MASK=%s", mask_desc);
        char *mp[9];
        for (int i = 0; i < 8; i++)
            mp[i] = meta[i];
        mp[8] = NULL;
        int level = o->level == CW_LEVEL_DEFAULT && o->codec == CW_CODEC_ZSTD ? CW_INDICES_ZSTD_LEVEL : o->level;
        c.out[k] = cw_raster_out_create(path, &s, o->type, o->codec, level, upper, mp);
        if (!c.out[k])
            goto done;
    }
    job.skip_masked = 1; /* an index is no data wherever the mask is set (ck_indices.c) */
    job.ctx = &c;
    job.tls_init = indices_tls_init;
    job.tls_free = indices_tls_free;
    job.tls_bytes_per_px = (size_t)c.n * (o->type == CW_OUT_INT16 ? 2 : 4) * 2; /* tiles, and compressed */
    job.windows = 1; /* any width of whole quanta */
    c.cols = cw_strip_plan_for(&s, &job, NULL).cols;
    job.work = indices_work;
    job.commit = indices_commit;
    job.label = s.product_id;
    if (cw_strip_run(&s, &job, &plan))
        goto done;
    rc = 0;
    for (int k = 0; k < c.n; k++) {
        if (cw_raster_out_close(c.out[k], 1))
            rc = -1;
        c.out[k] = NULL;
    }
    if (rc == 0)
        cw_info("%s: %d index(es) written to %s (strips of %d rows); valid %.2f %%, cloud %.2f %%, "
                "shadow %.2f %%, no data %.2f %%",
                s.product_id, c.n, o->out_dir, plan.rows, pct(c.ps.valid, c.ps.total), pct(c.ps.cloud, c.ps.total),
                pct(c.ps.shadow, c.ps.total), pct(c.ps.nodata, c.ps.total));
done:
    for (int k = 0; k < c.n; k++)
        cw_raster_out_close(c.out[k], 0);
    cw_scene_free(&s);
    return rc;
}
