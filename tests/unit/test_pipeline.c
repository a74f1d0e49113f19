/*
 * test_pipeline.c - the ingest against the generator's truth.
 *
 *   test_pipeline FIXDIR
 *
 * FIXDIR holds scenes written by scripts/s2synth.py from one seed in every
 * layout and offset convention, and truth/refl_*.tif: the float32
 * reflectance (DN + offset) / 10000 the generator encoded.  Every layout
 * must decode to exactly those bits (so the offset is applied once, from
 * whichever metadata carries it), whatever the strip height; the mask must
 * flag the generator's clouds and never its water.
 */
#include "../test.h"
#include "ck_reflect.h"
#include "cw_util.h"
#include "ingest/cw_strip.h"
#include "ingest/cw_tiletiff.h"
#include "job/cw_cmd.h"
#include "monitor/cw_aoi.h"
#include "monitor/cw_state.h"
#include "publish/cw_csv.h"
#include "publish/cw_draw.h"
#include "publish/cw_html.h"
#include "publish/cw_i18n.h"
#include "store/cw_history.h"

#include <cpl_string.h>
#include <gdal.h>
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_frameHeaderSize */
#include <zstd.h>

static const char *fix;

/* a little-endian 32-bit field of a file's bytes */
static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static float *read_truth(const char *name, int *w, int *h)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/truth/%s", fix, name);
    GDALDatasetH ds = GDALOpen(p, GA_ReadOnly);
    if (!ds)
        return NULL;
    *w = GDALGetRasterXSize(ds);
    *h = GDALGetRasterYSize(ds);
    float *buf = malloc(sizeof(float) * (size_t)*w * (size_t)*h);
    if (GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, *w, *h, buf, *w, *h, GDT_Float32, 0, 0) != CE_None) {
        free(buf);
        buf = NULL;
    }
    GDALClose(ds);
    return buf;
}

static int same_bits(float a, float b) { return (isnan(a) && isnan(b)) || a == b; }

/* Decode band `b` of the scene in strips of `rows` and compare to truth;
 * halo > 0: the strips from the bottom up, each widened by halo rows above
 * and below (as the SCL window is), so that the reader's kept native rows
 * of a coarse band are reused, moved and dropped in every way. */
static long compare_band_in(const cw_scene *s, int b, int rows, int halo, const float *truth, double shift)
{
    cw_reader *r = cw_reader_open(s, CW_SRC_BIT(b));
    if (!r)
        return -1;
    size_t W = (size_t)s->width;
    const int cap = rows + 2 * halo;
    uint16_t *dn = malloc(W * cap * 2);
    float *rf = malloc(W * cap * 4);
    uint8_t *m = malloc(W * cap);
    long bad = 0;
    const int ns = (s->height + rows - 1) / rows;
    for (int k = 0; k < ns; k++) {
        int y0 = (halo > 0 ? ns - 1 - k : k) * rows - halo, y1 = y0 + rows + 2 * halo;
        y0 = y0 < 0 ? 0 : y0;
        y1 = y1 > s->height ? s->height : y1;
        const int n = y1 - y0;
        if (cw_reader_read(r, b, y0, n, dn)) {
            bad = -1;
            break;
        }
        memset(m, 0, W * n);
        ck_dn_to_reflectance(dn, W * n, s->src[b].conv, rf, m);
        for (size_t i = 0; i < W * n; i++) {
            float t = truth[(size_t)y0 * W + i];
            if (shift == 0.0 ? !same_bits(rf[i], t) : !(isnan(t) ? isnan(rf[i]) : fabs(rf[i] - t - shift) < 1e-6))
                bad++;
        }
    }
    free(dn);
    free(rf);
    free(m);
    cw_reader_close(r);
    return bad;
}

static long compare_band(const cw_scene *s, int b, int rows, const float *truth, double shift)
{
    return compare_band_in(s, b, rows, 0, truth, shift);
}

static const char *scenes[] = {"folder", "folder-common/S2B_MSIL2A_20240115T153619_N0510_R068_T18MTD_20240115T171500",
                               "folder-scale", "scene.SAFE", "multiband.tif", "old-baseline.SAFE"};

static void test_layouts(void)
{
    const char *bands[] = {"refl_B02.tif", "refl_B03.tif", "refl_B04.tif", "refl_B08.tif",
                           "refl_B8A.tif", "refl_B11.tif", "refl_B12.tif"};
    for (size_t k = 0; k < sizeof scenes / sizeof *scenes; k++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", fix, scenes[k]);
        cw_scene s;
        int rc = cw_scene_open(p, NULL, &s);
        CHECK(rc == 0, "open %s: %s", scenes[k], cw_errmsg());
        if (rc)
            continue;
        CHECK(!strcmp(s.tile, "18MTD") && !strcmp(s.date, "2024-01-15"), "%s: tile %s date %s", scenes[k], s.tile,
              s.date);
        CHECK(s.width == 1001 && s.height == 803 && s.res == 10.0, "%s: grid %dx%d %g", scenes[k], s.width,
              s.height, s.res);
        CHECK(s.src[CW_SRC_SCL].present, "%s: SCL found", scenes[k]);
        const char *truth_dir = strstr(scenes[k], "old-baseline") ? "old/" : "";
        for (int b = 0; b < CK_NBANDS; b++) {
            char tn[64];
            snprintf(tn, sizeof tn, "%s%s", truth_dir, bands[b]);
            int w, h;
            float *t = read_truth(tn, &w, &h);
            CHECK(t && w == s.width && h == s.height, "truth %s", tn);
            if (!t)
                continue;
            long bad1 = compare_band(&s, b, 803, t, 0.0);
            long bad2 = compare_band(&s, b, 37, t, 0.0); /* odd strip height */
            long bad3 = compare_band_in(&s, b, 64, 9, t, 0.0); /* bottom up, overlapping */
            CHECK(bad1 == 0 && bad2 == 0 && bad3 == 0, "%s %s: %ld / %ld / %ld pixels differ from truth",
                  scenes[k], cw_src_name(b), bad1, bad2, bad3);
            free(t);
        }
        cw_scene_free(&s);
    }
    /* an explicit override wins: offset 0 on a baseline-05.10 scene is
     * exactly the truth shifted by +0.1 (the offset not applied) */
    char p[4096];
    snprintf(p, sizeof p, "%s/folder", fix);
    cw_scene_opts o = {1, 0.0};
    cw_scene s;
    if (cw_scene_open(p, &o, &s) == 0) {
        int w, h;
        float *t = read_truth("refl_B04.tif", &w, &h);
        CHECK(t && compare_band(&s, CK_B04, 256, t, 0.1) == 0, "override offset 0 shifts by 0.1");
        CHECK(strstr(s.offset_desc, "override") != NULL, "override recorded: %s", s.offset_desc);
        free(t);
        cw_scene_free(&s);
    }
}

/* Every band's reflectance through the strip driver (cw_strip_refl_chunk,
 * the 20 m bands copied to the 10 m grid a piece at a time, pieces that
 * cross rows) against the generator's truth; where the truth has no data,
 * the strip's mask must say so. */
enum { PIECE = 777 };
typedef struct {
    float *truth[CK_NBANDS];
    size_t w;
    long bad, missed, seen, windows; /* windows: strips narrower than the grid */
} refl_ctx;

static int refl_commit(void *ctx, const cw_strip *st, void *tls)
{
    (void)tls;
    refl_ctx *c = ctx;
    float bufs[CK_NBANDS][PIECE], *buf[CK_NBANDS];
    const float *refl[CK_NBANDS];
    for (int b = 0; b < CK_NBANDS; b++)
        buf[b] = bufs[b];
    const size_t npx = st->width * (size_t)st->nrows;
    c->windows += st->width < c->w;
    for (size_t off = 0; off < npx; off += PIECE) {
        const size_t len = npx - off < PIECE ? npx - off : PIECE;
        cw_strip_refl_chunk(st, off, len, buf, refl);
        for (int b = 0; b < CK_NBANDS; b++)
            for (size_t i = 0; i < len; i++) {
                const size_t y = (off + i) / st->width, x = (off + i) % st->width;
                const float t = c->truth[b][((size_t)st->y0 + y) * c->w + (size_t)st->x0 + x];
                if (isnan(t)) {
                    c->missed += !(st->mask[off + i] & CK_M_NODATA);
                } else {
                    c->bad += !refl[b] || refl[b][i] != t;
                    c->seen++;
                }
            }
    }
    return 0;
}

static void test_strip_bands(void)
{
    const char *bands[] = {"refl_B02.tif", "refl_B03.tif", "refl_B04.tif", "refl_B08.tif",
                           "refl_B8A.tif", "refl_B11.tif", "refl_B12.tif"};
    /* the last: strips of 256 rows (the 10 m bands' blocks) in column windows
     * of 512 (the 20 m bands' blocks), the last narrower */
    static const int rows[3] = {803, 37, 256}, threads[3] = {1, 2, 2};
    for (size_t k = 0; k < sizeof scenes / sizeof *scenes; k++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", fix, scenes[k]);
        cw_scene s;
        if (cw_scene_open(p, NULL, &s)) {
            CHECK(0, "open %s: %s", scenes[k], cw_errmsg());
            continue;
        }
        refl_ctx c = {.w = (size_t)s.width};
        int w, h, ok = 1;
        for (int b = 0; b < CK_NBANDS; b++) {
            char tn[64];
            snprintf(tn, sizeof tn, "%s%s", strstr(scenes[k], "old-baseline") ? "old/" : "", bands[b]);
            ok &= (c.truth[b] = read_truth(tn, &w, &h)) != NULL;
        }
        for (int v = 0; ok && v < 3; v++) {
            cw_strip_job job;
            memset(&job, 0, sizeof job);
            job.mask = CW_MASK_NONE;
            job.bands = (1u << CK_NBANDS) - 1;
            job.quantum = v == 2 ? 256 : 1;
            job.windows = v == 2;
            if (v == 2)
                setenv("CHAKRAWATCH_WINDOW_COLS", "1", 1);
            job.strip_rows = rows[v];
            job.threads = threads[v];
            job.ctx = &c;
            job.commit = refl_commit;
            c.bad = c.missed = c.seen = c.windows = 0;
            const int rc = cw_strip_run(&s, &job, NULL);
            unsetenv("CHAKRAWATCH_WINDOW_COLS");
            const int want_windows = v == 2 && !strstr(scenes[k], ".SAFE"); /* JPEG2000: 1024-row blocks */
            CHECK(
                rc == 0 && c.seen > 0 && c.bad == 0 && c.missed == 0 && (!want_windows || c.windows > 0),
                "%s, strips of %d rows%s: %ld of %ld values differ from truth, %ld no-data pixels not masked",
                scenes[k], rows[v], v == 2 ? " in windows" : "", c.bad, c.seen, c.missed);
        }
        CHECK(ok, "%s: truth read", scenes[k]);
        for (int b = 0; b < CK_NBANDS; b++)
            free(c.truth[b]);
        cw_scene_free(&s);
    }
}

/* Masks of the whole scene built through the strip driver. */
typedef struct {
    uint8_t *mask;
    size_t w;
} cap_ctx;

static int cap_commit(void *ctx, const cw_strip *st, void *tls)
{
    (void)tls;
    cap_ctx *c = ctx;
    for (int y = 0; y < st->nrows; y++)
        memcpy(c->mask + (size_t)(st->y0 + y) * c->w + (size_t)st->x0, st->mask + (size_t)y * st->width,
               st->width);
    return 0;
}

/* windows: strips of `rows` rows (a quantum) in column windows as narrow
 * as the blocks allow */
static uint8_t *scene_mask_in(const cw_scene *s, int rows, int threads, int windows)
{
    cw_common_opts o;
    cw_common_opts_default(&o);
    cw_strip_job job;
    memset(&job, 0, sizeof job);
    job.mask = CW_MASK_SCL;
    job.rules = o.rules;
    job.rules.cloud_r = 10;
    job.rules.shadow_r = 5;
    job.bands = CK_BAND_BIT(CK_B04);
    job.quantum = windows ? rows : 1;
    job.windows = windows;
    job.strip_rows = rows;
    job.threads = threads;
    cap_ctx c = {malloc((size_t)s->width * s->height), (size_t)s->width};
    job.ctx = &c;
    job.commit = cap_commit;
    if (windows)
        setenv("CHAKRAWATCH_WINDOW_COLS", "1", 1);
    const int rc = cw_strip_run(s, &job, NULL), full = cw_strip_plan_for(s, &job, NULL).cols >= s->width;
    unsetenv("CHAKRAWATCH_WINDOW_COLS");
    if (rc || (windows && full)) {
        free(c.mask);
        return NULL;
    }
    return c.mask;
}

static uint8_t *scene_mask(const cw_scene *s, int rows, int threads)
{
    return scene_mask_in(s, rows, threads, 0);
}

/* The fixture scene "folder", or a failed check. */
static int open_folder(cw_scene *s)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/folder", fix);
    if (cw_scene_open(p, NULL, s)) {
        CHECK(0, "open: %s", cw_errmsg());
        return -1;
    }
    return 0;
}

/* The memory budget: one thread's buffers are the job's fixed scratch and
 * its strip's rows of every plane (mask, the job's per-pixel scratch, two
 * bytes of each 10 m band); as many threads as that fits, at least one. */
static void test_strip_plan(void)
{
    cw_scene s;
    if (open_folder(&s))
        return;
    cw_strip_job job;
    memset(&job, 0, sizeof job);
    job.mask = CW_MASK_NONE;
    job.bands = CK_BAND_BIT(CK_B04) | CK_BAND_BIT(CK_B08);
    job.quantum = 1;
    job.strip_rows = 50;
    job.threads = 4;
    job.tls_bytes_fixed = 1000000;
    job.tls_bytes_per_px = 5;
    const size_t one = 1000000 + (size_t)s.width * 50 * (1 + 5 + 2 * 2);
    static const struct {
        double budget;
        int threads, over;
    } cases[] = {{2.5, 2, 0}, {1.0, 1, 0}, {0.99, 1, 1}, {0.01, 1, 1},
                 {3.0, 3, 0}, {4.0, 4, 0}, {40.0, 4, 0}};
    CHECK(s.height >= 4 * 50, "fixture scene tall enough for 4 strips (%d rows)", s.height);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        job.mem_budget = (size_t)(cases[k].budget * (double)one);
        int over = -1;
        cw_strip_plan pl = cw_strip_plan_for(&s, &job, &over);
        CHECK(
            pl.rows == 50 && pl.thread_bytes == one && pl.threads == cases[k].threads &&
                over == cases[k].over,
            "budget %.2f x one thread: %d rows, %zu bytes (expected %zu), %d threads (expected %d), over %d",
            cases[k].budget, pl.rows, pl.thread_bytes, one, pl.threads, cases[k].threads, over);
    }
    job.mem_budget = 0; /* half the machine's memory: far more than 4 threads of this small scene */
    cw_strip_plan pl = cw_strip_plan_for(&s, &job, NULL);
    CHECK(pl.threads == 4 && cw_mem_auto() >= ((size_t)16 << 20), "no budget set: %d threads, auto %zu MB",
          pl.threads, cw_mem_auto() >> 20);
    cw_scene_free(&s);
}

/* The "tall" scene's clouds reach across column 512, where its column
 * windows meet: their buffers are the same in windows as in full rows. */
static void test_mask_windows(void)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/tall", fix);
    cw_scene s;
    if (cw_scene_open(p, NULL, &s)) {
        CHECK(0, "open: %s", cw_errmsg());
        return;
    }
    uint8_t *a = scene_mask(&s, 512, 2), *d = scene_mask_in(&s, 256, 2, 1);
    const size_t n = (size_t)s.width * s.height;
    long edge = 0; /* flagged pixels within the buffer's reach of the edge */
    for (int y = 0; a && y < s.height; y++)
        for (int x = 512 - 10; x < 512 + 10; x++)
            edge += (a[(size_t)y * (size_t)s.width + (size_t)x] & (CK_M_CLOUD | CK_M_SHADOW)) != 0;
    CHECK(a && d && !memcmp(a, d, n) && edge > 100,
          "mask identical in column windows (%ld cloud and shadow pixels by their edge)", edge);
    free(a);
    free(d);
    cw_scene_free(&s);
}

static void test_mask(void)
{
    cw_scene s;
    if (open_folder(&s))
        return;
    uint8_t *a = scene_mask(&s, 803, 1), *b = scene_mask(&s, 13, 2), *c = scene_mask(&s, 100, 2);
    size_t n = (size_t)s.width * s.height;
    CHECK(a && b && c && !memcmp(a, b, n) && !memcmp(a, c, n), "mask identical for strip heights 803/13/100");
    test_mask_windows();
    int w, h;
    float *lc = read_truth("landcover.tif", &w, &h), *scl = read_truth("scl10.tif", &w, &h);
    if (a && lc && scl) {
        long clouds = 0, clouds_flagged = 0, water = 0, water_ok = 0, far = 0;
        for (size_t i = 0; i < n; i++) {
            if (lc[i] == 6 && (scl[i] == 8 || scl[i] == 9)) { /* generator's cloud class */
                clouds++;
                clouds_flagged += (a[i] & CK_M_CLOUD) != 0;
            }
            if (scl[i] == 6) {
                water++;
                water_ok += (a[i] & (CK_M_NODATA | CK_M_INVALID)) == 0;
            }
            far += a[i] == 0 && scl[i] != 0;
        }
        CHECK(clouds > 1000 && clouds_flagged == clouds, "clouds flagged %ld/%ld", clouds_flagged, clouds);
        CHECK(water > 1000 && water_ok == water, "water never masked by class: %ld/%ld", water_ok, water);
        CHECK(far > (long)n / 2, "most of the scene valid: %ld", far);
    }
    free(a);
    free(b);
    free(c);
    free(lc);
    free(scl);
    cw_scene_free(&s);
}

/* CRC-32 (ISO 3309, as zlib's crc32), a bit at a time */
static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return ~c;
}

/* The zstd frames one after the other in [f, f + n): their number, each
 * one's decompressed size in sizes[] (a skippable frame: its size), in
 * *checksums how many have a content checksum, and in *nomatch how many
 * of frame `which`'s compressed blocks end their sequences section at once
 * (no sequence: the block ends with the byte 0 that counts them, where a
 * block with sequences ends with its bitstream's closing bit, never 0),
 * in *nblocks how many it has. */
static int zstd_frames(const uint8_t *f, size_t n, unsigned long long *sizes, int max, int which,
                       int *checksums, int *nomatch, int *nblocks)
{
    int k = 0;
    *checksums = *nomatch = *nblocks = 0;
    while (n > 0 && k < max) {
        const size_t len = ZSTD_findFrameCompressedSize(f, n);
        ZSTD_frameHeader zh;
        if (ZSTD_isError(len) || ZSTD_getFrameHeader(&zh, f, len) != 0)
            return -1;
        sizes[k] = zh.frameContentSize;
        *checksums += zh.frameType == ZSTD_frame && zh.checksumFlag;
        size_t at = ZSTD_frameHeaderSize(f, len);
        for (int last = 0; k == which && !last && at + 3 <= len;) { /* block headers: last, type, size */
            const uint32_t h = f[at] | (uint32_t)f[at + 1] << 8 | (uint32_t)f[at + 2] << 16;
            const size_t bs = (h >> 3) & 0x1fffff;
            last = h & 1;
            if (((h >> 1) & 3) == 2) {
                (*nblocks)++;
                *nomatch += bs > 0 && f[at + 3 + bs - 1] == 0;
            }
            at += 3 + (((h >> 1) & 3) == 1 ? 1 : bs);
        }
        f += len;
        n -= len;
        k++;
    }
    return k;
}

/* Rows [y0, y0 + n) of a grid of planes (each the whole grid, plane after
 * plane, el[p] bytes a pixel) as a state chunk holds them: plane-major over
 * those rows. */
/* The pixels of rectangle r of a plane-major w x h grid of kind k, plane-major. */
static void grid_rect(const uint8_t *grid, cw_state_kind k, size_t w, size_t h, cw_state_rect r, uint8_t *out)
{
    const size_t bpp = cw_state_bpp(k), rows = (size_t)r.rows, cols = (size_t)r.cols;
    size_t go = 0, co = 0;
    for (int p = 0; go < bpp * w * h; p++) {
        const size_t e = cw_state_plane_offset(k, p + 1, 1) - cw_state_plane_offset(k, p, 1);
        for (size_t y = 0; y < rows; y++)
            memcpy(out + co + y * cols * e, grid + go + (((size_t)r.y0 + y) * w + (size_t)r.x0) * e,
                   cols * e);
        go += e * w * h;
        co += e * cols * rows;
    }
}

static void grid_chunk(const uint8_t *grid, cw_state_kind k, size_t w, size_t h, size_t y0, size_t n,
                       uint8_t *out)
{
    grid_rect(grid, k, w, h, (cw_state_rect){(int)y0, 0, (int)n, (int)w}, out);
}

/* State files cut in rows and columns, their chunks appended in any order
 * (the file's is the order they come in): each reads back as its
 * rectangle of the grid, and a range of a reference chunk (its counts,
 * the first planes) as those bytes. */
static void test_state_grid(void)
{
    const int W = 2 * CW_STATE_COLS + 76, H = 2 * CW_STATE_ROWS + 9, R = CW_STATE_ROWS, C = CW_STATE_COLS;
    const int n = cw_state_chunks(W, H, R, C);
    char path[512];
    snprintf(path, sizeof path, "%s/test-state-grid.cws", fix);
    cw_state_io *io = cw_state_io_new();
    for (int k = 0; k < CW_ST_NKINDS; k++) {
        const size_t bpp = cw_state_bpp((cw_state_kind)k);
        uint8_t *grid = malloc((size_t)W * H * bpp), *chunk = malloc((size_t)R * C * bpp),
                *back = malloc((size_t)R * C * bpp);
        unsigned seed = 3 + (unsigned)k;
        for (size_t i = 0; i < (size_t)W * H * bpp; i++)
            grid[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 24 & 0x1f);
        cw_state_writer *w = cw_state_create(path, (cw_state_kind)k, W, H);
        int ok = w != NULL;
        for (int c = n - 1; ok && c >= 0; c--) { /* backwards */
            const cw_state_rect r = cw_state_chunk_rect(W, H, R, C, c);
            grid_rect(grid, (cw_state_kind)k, (size_t)W, (size_t)H, r, chunk);
            ok = cw_state_compress(io, 0, (cw_state_kind)k, chunk, (size_t)r.rows * (size_t)r.cols) == 0 &&
                 cw_state_append(w, c, io, 0) == 0;
        }
        ok = ok && cw_state_append(w, 0, io, 0) != 0 && strstr(cw_errmsg(), "twice"); /* once each */
        ok = cw_state_finish(w, ok) == 0 && ok;
        cw_state_file *f = ok ? cw_state_open(path, (cw_state_kind)k, W, H) : NULL;
        int same = f && cw_state_nchunks(f) == n && n == 3 * 3, edge = 0;
        for (int c = 0; same && c < n; c++) {
            const cw_state_rect r = cw_state_rect_of(f, c);
            edge += r.cols == 76 && r.rows == 9;
            grid_rect(grid, (cw_state_kind)k, (size_t)W, (size_t)H, r, chunk);
            const size_t npx = (size_t)r.rows * (size_t)r.cols;
            same = cw_state_read_chunk(f, (cw_state_kind)k, W, H, c, io, back) == 0 &&
                   memcmp(back, chunk, npx * bpp) == 0;
            if (same && k == CW_ST_REF) { /* the counts, without the rest */
                const size_t off = cw_state_plane_offset(CW_ST_REF, CW_REF_PLANE_NREF, npx);
                same = off == 0 && cw_state_read_range(f, CW_ST_REF, W, H, c, io, off, 2 * npx, back) == 0 &&
                       memcmp(back, chunk, 2 * npx) == 0;
            }
        }
        CHECK(same && edge == 1,
              "%s in chunks of %d x %d, written backwards: each reads back as its rectangle",
              cw_state_kind_name((cw_state_kind)k), R, C);
        cw_state_close(f);
        unlink(path);
        free(grid);
        free(chunk);
        free(back);
    }
    cw_state_io_free(io);
}

/* A state as an older build wrote it (chunks of 128 rows, format 4) is cut
 * into this build's chunks once: the same pixels, read back against the
 * grid they were made from; a second upgrade changes nothing; chunks that
 * do not cut evenly are refused. */
static void test_state_upgrade(void)
{
    const int W = 301, OLD = 128, H = 3 * OLD + 45;
    const cw_state_kind k = CW_ST_DYN;
    const size_t bpp = cw_state_bpp(k), gpx = (size_t)W * H;
    char path[512];
    snprintf(path, sizeof path, "%s/test-state-v4.cws", fix);
    uint8_t *grid = malloc(gpx * bpp), *chunk = malloc((size_t)W * OLD * bpp), *back = malloc((size_t)W * OLD * bpp);
    unsigned seed = 11;
    for (size_t i = 0; i < gpx * bpp; i++)
        grid[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 24);
    cw_state_io *io = cw_state_io_new();
    cw_state_writer *w = cw_state_create_grid(path, k, W, H, OLD, W);
    int ok = w != NULL;
    for (int c = 0; ok && c * OLD < H; c++) {
        const size_t n = (size_t)(H - c * OLD < OLD ? H - c * OLD : OLD);
        grid_chunk(grid, k, (size_t)W, (size_t)H, (size_t)c * OLD, n, chunk);
        ok = cw_state_compress(io, 0, k, chunk, (size_t)W * n) == 0 && cw_state_append(w, c, io, 0) == 0;
    }
    ok = ok && cw_state_finish(w, 1) == 0;
    FILE *fp = fopen(path, "r+b"); /* the version an older build wrote */
    const uint8_t v4[4] = {4, 0, 0, 0};
    ok = ok && fp && fseek(fp, 8, SEEK_SET) == 0 && fwrite(v4, 1, 4, fp) == 4;
    if (fp)
        fclose(fp);
    cw_state_file *f = ok ? cw_state_open(path, k, W, H) : NULL;
    CHECK(f && cw_state_chunk_rows(f) == OLD, "a version 4 state of 128-row chunks opens (%s)", f ? "" : cw_errmsg());
    cw_state_close(f);
    CHECK(cw_state_upgrade(path, k, W, H) == 0, "it is cut into chunks of %d rows (%s)", CW_STATE_ROWS,
          cw_errmsg());
    f = cw_state_open(path, k, W, H);
    int same = f && cw_state_chunk_rows(f) == CW_STATE_ROWS, nch = 0;
    for (int c = 0; same && c * CW_STATE_ROWS < H; c++, nch++) {
        const size_t n = (size_t)(H - c * CW_STATE_ROWS < CW_STATE_ROWS ? H - c * CW_STATE_ROWS : CW_STATE_ROWS);
        grid_chunk(grid, k, (size_t)W, (size_t)H, (size_t)c * CW_STATE_ROWS, n, chunk);
        same = cw_state_read_chunk(f, k, W, H, c, io, back) == 0 && memcmp(back, chunk, (size_t)W * n * bpp) == 0;
    }
    CHECK(same && nch == (H + CW_STATE_ROWS - 1) / CW_STATE_ROWS,
          "each of its %d chunks of %d rows holds the grid's pixels of its rows", nch, CW_STATE_ROWS);
    cw_state_close(f);
    struct stat a, b;
    int st = stat(path, &a) == 0 && cw_state_upgrade(path, k, W, H) == 0 && stat(path, &b) == 0;
    CHECK(st && a.st_ino == b.st_ino && a.st_mtime == b.st_mtime, "a state already in %d-row chunks is left as it is",
          CW_STATE_ROWS);
    /* chunks of 24 rows do not cut into chunks of 16 */
    w = cw_state_create_grid(path, k, W, 24, 24, W);
    grid_chunk(grid, k, (size_t)W, 24, 0, 24, chunk);
    ok = w && cw_state_compress(io, 0, k, chunk, (size_t)W * 24) == 0 && cw_state_append(w, 0, io, 0) == 0 &&
         cw_state_finish(w, 1) == 0;
    CHECK(ok && cw_state_upgrade(path, k, W, 24) != 0 && strstr(cw_errmsg(), "cannot be cut"),
          "chunks that do not cut evenly are refused: %s", cw_errmsg());
    unlink(path);
    cw_state_io_free(io);
    free(grid);
    free(chunk);
    free(back);
}

/* State files: what is written reads back bit for bit, chunk by chunk, in
 * any order; damage and another grid are refused with a message. */
static void test_state_files(void)
{
    const int W = 301, H = 2 * CW_STATE_ROWS + 45, nch = (H + CW_STATE_ROWS - 1) / CW_STATE_ROWS;
    const cw_state_kind k = CW_ST_DYN;
    const size_t bpp = cw_state_bpp(k);
    char path[512];
    snprintf(path, sizeof path, "%s/test-state.cws", fix);
    uint8_t *data = malloc((size_t)W * H * bpp), *back = malloc((size_t)W * CW_STATE_ROWS * bpp);
    uint8_t *work = malloc((size_t)W * CW_STATE_ROWS * bpp); /* compressing shuffles it in place */
    cw_state_io *io = cw_state_io_new();
    unsigned seed = 5;
    for (size_t i = 0; i < (size_t)W * H * bpp; i++)
        data[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 24 & (i % 3 ? 0x0f : 0xff));
    for (int c = 0; c < nch;
         c++) { /* the blue as forest's is: a few low values, where a match finder finds matches */
        const size_t npx = (size_t)W * (size_t)(c == nch - 1 ? H - c * CW_STATE_ROWS : CW_STATE_ROWS);
        uint8_t *blue = data + (size_t)c * W * CW_STATE_ROWS * bpp + cw_state_plane_offset(k, 4, npx);
        for (size_t i = 0; i < npx; i++)
            blue[i] = (uint8_t)(4 + ((seed = seed * 1103515245u + 12345u) >> 29));
    }
    cw_state_writer *w = cw_state_create(path, k, W, H);
    int ok = w != NULL;
    size_t off = 0;
    for (int c = 0; ok && c < nch; c++) {
        size_t npx = (size_t)W * (size_t)(c == nch - 1 ? H - c * CW_STATE_ROWS : CW_STATE_ROWS);
        memcpy(work, data + off, npx * bpp);
        ok = cw_state_compress(io, c % 2, k, work, npx) == 0 && cw_state_append(w, c, io, c % 2) == 0;
        off += npx * bpp;
    }
    CHECK(ok && cw_state_finish(w, 1) == 0, "state file written (%s)", ok ? "" : cw_errmsg());
    cw_state_file *f = cw_state_open(path, k, W, H);
    CHECK(f != NULL, "state file opens");
    int same = f != NULL;
    for (int c = nch - 1; same && c >= 0; c--) { /* any order */
        size_t npx = (size_t)W * (size_t)(c == nch - 1 ? H - c * CW_STATE_ROWS : CW_STATE_ROWS);
        same = cw_state_read_chunk(f, k, W, H, c, io, back) == 0 &&
               memcmp(back, data + (size_t)c * W * CW_STATE_ROWS * bpp, npx * bpp) == 0;
    }
    CHECK(same, "every chunk reads back bit for bit");
    /* the serial form against the format's description (cw_state.h): a
     * chunk's frame holds its planes in turn, each 2-byte plane as its low
     * bytes then its high bytes */
    const int frame_chunks[2] = {0, nch - 1}; /* a full chunk, and the last (an odd number of pixels) */
    for (int fc = 0; fc < 2; fc++) {
        const int c = frame_chunks[fc];
        const size_t npx = (size_t)W * (size_t)(c == nch - 1 ? H - c * CW_STATE_ROWS : CW_STATE_ROWS);
        const uint8_t *in = data + (size_t)c * W * CW_STATE_ROWS * bpp;
        uint8_t ent[16], *frame = NULL, *serial = malloc(npx * bpp), *dec = malloc(npx * bpp);
        FILE *sf = fopen(path, "rb");
        int got = sf && fseek(sf, 40 + 16 * c, SEEK_SET) == 0 && fread(ent, 1, 16, sf) == 16;
        const uint64_t at =
            got ? le32(ent) | (uint64_t)le32(ent + 4) << 32 : 0; /* table: u64 offset, u32 size */
        const size_t len = got ? le32(ent + 8) : 0;
        got = got && (frame = malloc(len)) && fseek(sf, (long)at, SEEK_SET) == 0 &&
              fread(frame, 1, len, sf) == len && ZSTD_decompress(dec, npx * bpp, frame, len) == npx * bpp;
        size_t o = 0;
        for (int pl = 0; pl < (int)bpp - 4; pl++) { /* dyn: four 2-byte planes, then 1-byte planes */
            const size_t e = pl < 4 ? 2 : 1;
            for (size_t i = 0; i < npx; i++)
                for (size_t b = 0; b < e; b++)
                    serial[o + b * npx + i] = in[o + e * i + b];
            o += e * npx;
        }
        CHECK(got && o == npx * bpp && memcmp(dec, serial, npx * bpp) == 0,
              "chunk %d's frame is its planes, 16-bit ones low bytes then high bytes (%zu pixels)", c, npx);
        /* three frames: the planes before ref_blue, ref_blue as literals
         * only (every block without a sequence), the planes after; then
         * the skippable frame of the CRC-32 of the bytes before it */
        unsigned long long fs[5] = {0};
        int checksums = 0, nomatch = 0, nblocks = 0;
        const int nf = got ? zstd_frames(frame, len, fs, 5, 1, &checksums, &nomatch, &nblocks) : -1;
        CHECK(
            nf == 4 && fs[0] == 8 * npx && fs[1] == npx && fs[2] == 9 * npx && nblocks > 0 &&
                nomatch == nblocks,
            "chunk %d: three frames of %llu, %llu and %llu bytes; the blue's %d of %d blocks without a match",
            c, fs[0], fs[1], fs[2], nomatch, nblocks);
        CHECK(got && len > 12 && le32(frame + len - 12) == 0x184D2A5Cu && le32(frame + len - 8) == 4 &&
                  fs[3] == 4 && le32(frame + len - 4) == crc32_ref(frame, len - 12) && checksums == 0,
              "chunk %d: closed by a skippable frame of the CRC-32 of its frames, which have no content "
              "checksum (%d do)",
              c, checksums);
        if (sf)
            fclose(sf);
        free(frame);
        free(serial);
        free(dec);
    }
    /* a few rows of the 1-byte planes of a chunk, across two planes, and a
     * whole chunk after that partial read */
    const size_t cpx = (size_t)W * CW_STATE_ROWS, roff = cw_state_plane_offset(k, 4, cpx) + 7 * (size_t)W;
    const size_t rlen = cpx + 3 * (size_t)W;
    uint8_t *part = malloc(rlen);
    int rok = f && cw_state_read_range(f, k, W, H, 1, io, roff, rlen, part) == 0 &&
              memcmp(part, data + cpx * bpp + roff, rlen) == 0 && cw_state_read_chunk(f, k, W, H, 0, io, back) == 0 &&
              memcmp(back, data, cpx * bpp) == 0;
    CHECK(rok && cw_state_plane_offset(k, 4, cpx) == 8 * cpx,
          "rows of a chunk's 1-byte planes read alone, then a whole chunk, bit for bit");
    CHECK(f && cw_state_read_range(f, k, W, H, 1, io, cpx * bpp - 2, 3, part) != 0 && strstr(cw_errmsg(), "past"),
          "a range past the chunk is refused: %s", cw_errmsg());
    free(part);
    cw_state_close(f);
    CHECK(cw_state_open(path, k, W + 1, H) == NULL && strstr(cw_errmsg(), "another grid"),
          "a state file of another grid is refused: %s", cw_errmsg());
    CHECK(cw_state_open(path, CW_ST_BASE, W, H) == NULL, "a state file of another kind is refused");
    FILE *fp = fopen(path, "r+b");
    fseek(fp, -40, SEEK_END);
    fputc(0x5a, fp);
    fputc(0xa5, fp);
    fclose(fp);
    f = cw_state_open(path, k, W, H);
    int err = f && cw_state_read_chunk(f, k, W, H, nch - 1, io, back) != 0;
    CHECK(err && strstr(cw_errmsg(), "corrupt"), "a damaged chunk is detected: %s", cw_errmsg());
    cw_state_close(f);
    if (truncate(path, 100) == 0)
        CHECK(cw_state_open(path, k, W, H) == NULL, "a truncated state file is refused: %s", cw_errmsg());
    CHECK(cw_state_read_chunk(NULL, k, W, H, 0, io, back) == 0 && back[0] == 0 && back[W * bpp - 1] == 0,
          "no file is the empty state");
    unlink(path);
    cw_state_io_free(io);
    free(data);
    free(back);
    free(work);
}

/* Planes of one byte value (no event, a chunk seen clear whole) as RLE
 * frames of their own, a run of them with one value as one frame; the
 * chunk reads back bit for bit, through cw_state_read_chunk and through
 * zstd's own decoder. */
static void test_state_rle(void)
{
    const int W = 200, H = CW_STATE_ROWS;
    const size_t npx = (size_t)W * H;
    const cw_state_kind k = CW_ST_DYN;
    const size_t bpp = cw_state_bpp(k);
    uint8_t *data = calloc(npx, bpp), *work = malloc(npx * bpp), *back = malloc(npx * bpp);
    ck_dyn d;
    cw_state_bind_dyn(data, npx, &d);
    unsigned seed = 3;
    for (size_t i = 0; i < npx; i++) {
        d.last_clear[i] = 3000; /* 0x0bb8: its low bytes one plane of 0xb8, its high bytes one of 0x0b */
        d.ref_blue[i] = (uint8_t)(20 + ((seed = seed * 1103515245u + 12345u) >> 28));
        d.ref_nir[i] = (uint8_t)(90 + ((seed = seed * 1103515245u + 12345u) >> 27));
        d.ref_swir[i] = 7;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/test-state-rle.cws", fix);
    cw_state_io *io = cw_state_io_new();
    cw_state_writer *w = cw_state_create(path, k, W, H);
    memcpy(work, data, npx * bpp);
    int ok = w && cw_state_compress(io, 0, k, work, npx) == 0 && cw_state_append(w, 0, io, 0) == 0;
    ok = cw_state_finish(w, ok) == 0 && ok;
    cw_state_file *f = ok ? cw_state_open(path, k, W, H) : NULL;
    CHECK(f && cw_state_read_chunk(f, k, W, H, 0, io, back) == 0 && memcmp(back, data, npx * bpp) == 0,
          "a chunk with planes of one value reads back bit for bit");
    cw_state_close(f);
    /* the frames: first_day, conf_day (4 byte planes of 0), last_clear's
     * low and high bytes, last_ndvi (2 of 0); ref_blue (literals); ref_nir
     * (zstd), ref_swir (7), the seven counts (0); the CRC frame */
    FILE *fp = fopen(path, "rb");
    uint8_t ent[16], *frame = NULL, *dec = malloc(npx * bpp);
    int got = fp && fseek(fp, 40, SEEK_SET) == 0 && fread(ent, 1, 16, fp) == 16;
    const size_t len = got ? le32(ent + 8) : 0;
    got = got && (frame = malloc(len)) && fseek(fp, (long)le32(ent), SEEK_SET) == 0 &&
          fread(frame, 1, len, fp) == len;
    if (fp)
        fclose(fp);
    unsigned long long fs[12] = {0};
    int checksums = 0, nomatch = 0, nblocks = 0;
    const int nf = got ? zstd_frames(frame, len, fs, 12, 0, &checksums, &nomatch, &nblocks) : -1;
    const unsigned long long want[9] = {4 * npx, npx, npx, 2 * npx, npx, npx, npx, 7 * npx, 4};
    int same = nf == 9;
    for (int i = 0; same && i < 9; i++)
        same = fs[i] == want[i];
    CHECK(same && nblocks == 0,
          "frames of %d sizes %llu %llu %llu %llu %llu %llu %llu %llu %llu (the first "
          "without a compressed block: %d)",
          nf, fs[0], fs[1], fs[2], fs[3], fs[4], fs[5], fs[6], fs[7], fs[8], nblocks);
    CHECK(got && ZSTD_decompress(dec, npx * bpp, frame, len) == npx * bpp && back[0] == data[0],
          "zstd's decoder reads the chunk as one stream");
    /* what zstd reads is the serial form: each 2-byte plane's low bytes, then its high bytes */
    const size_t lc = cw_state_plane_offset(k, 2, npx);
    CHECK(got && dec[lc] == 0xb8 && dec[lc + npx - 1] == 0xb8 && dec[lc + npx] == 0x0b &&
              dec[lc + 2 * npx - 1] == 0x0b,
          "last_clear's bytes as the format says");
    unlink(path);
    free(frame);
    free(dec);
    cw_state_io_free(io);
    free(data);
    free(work);
    free(back);
}

/* A chunk copied into a new file as it is stored (cw_state_copy): from a
 * version 7 file once its CRC is checked (a damaged chunk is refused, not
 * carried on), from a version 6 file (frames, no CRC frame) with the CRC
 * frame added; both read back bit for bit. */
static void test_state_copy(void)
{
    const int W = 77, H = 2 * CW_STATE_ROWS + 8, nch = 3;
    const cw_state_kind k = CW_ST_BASE;
    const size_t bpp = cw_state_bpp(k), full = (size_t)W * CW_STATE_ROWS * bpp;
    char p7[512], p6[512], pc[512];
    snprintf(p7, sizeof p7, "%s/test-copy7.cws", fix);
    snprintf(p6, sizeof p6, "%s/test-copy6.cws", fix);
    snprintf(pc, sizeof pc, "%s/test-copied.cws", fix);
    uint8_t *data = malloc((size_t)W * H * bpp), *work = malloc(full), *back = malloc(full);
    unsigned seed = 11;
    for (size_t i = 0; i < (size_t)W * H * bpp; i++)
        data[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 26);
    cw_state_io *io = cw_state_io_new();
    cw_state_writer *w = cw_state_create(p7, k, W, H);
    int ok = w != NULL;
    for (int c = 0; ok && c < nch; c++) {
        const size_t npx = (size_t)W * (size_t)(c < 2 ? CW_STATE_ROWS : 8);
        memcpy(work, data + (size_t)c * full, npx * bpp);
        ok = cw_state_compress(io, 0, k, work, npx) == 0 && cw_state_append(w, c, io, 0) == 0;
    }
    ok = cw_state_finish(w, ok) == 0 && ok;
    /* the same file as version 6 wrote it: its frames without the CRC frame (left as a gap) */
    FILE *fp = fopen(p7, "rb");
    uint8_t *b = malloc(1 << 20);
    const size_t n = fp ? fread(b, 1, 1 << 20, fp) : 0;
    if (fp)
        fclose(fp);
    b[8] = 6;
    for (int c = 0; c < nch; c++) {
        uint8_t *e = b + 40 + 16 * c + 8;
        const uint32_t len = le32(e) - 12;
        for (int i = 0; i < 4; i++)
            e[i] = (uint8_t)(len >> (8 * i));
    }
    fp = fopen(p6, "wb");
    ok = ok && fp && fwrite(b, 1, n, fp) == n;
    if (fp)
        fclose(fp);
    cw_state_file *f6 = ok ? cw_state_open(p6, k, W, H) : NULL;
    w = f6 ? cw_state_create(pc, k, W, H) : NULL;
    int copied = w != NULL;
    for (int c = nch - 1; copied && c >= 0; c--)
        copied = cw_state_copy(f6, c, io, c) == 0 && cw_state_append(w, c, io, c) == 0;
    copied = cw_state_finish(w, copied) == 0 && copied;
    cw_state_close(f6);
    cw_state_file *fc = copied ? cw_state_open(pc, k, W, H) : NULL;
    int same = fc != NULL;
    for (int c = 0; same && c < nch; c++)
        same = cw_state_read_chunk(fc, k, W, H, c, io, back) == 0 &&
               memcmp(back, data + (size_t)c * full, (size_t)W * (c < 2 ? CW_STATE_ROWS : 8) * bpp) == 0;
    cw_state_close(fc);
    CHECK(ok && copied && same,
          "chunks of a version 6 file copied into a new file read back bit for bit (%s)",
          same ? "" : cw_errmsg());
    /* a byte of chunk 1's frames damaged in the version 7 file: copying it is refused */
    const uint64_t at = le32(b + 40 + 16 + 0) | (uint64_t)le32(b + 40 + 16 + 4) << 32;
    fp = fopen(p7, "r+b");
    int dmg = fp && fseek(fp, (long)at + 20, SEEK_SET) == 0 && fputc(b[at + 20] ^ 0x10, fp) != EOF;
    if (fp)
        fclose(fp);
    cw_state_file *f7 = dmg ? cw_state_open(p7, k, W, H) : NULL;
    CHECK(f7 && cw_state_copy(f7, 0, io, 0) == 0 && cw_state_copy(f7, 1, io, 1) != 0 &&
              strstr(cw_errmsg(), "chunk 1 is corrupt (CRC-32"),
          "a damaged chunk of a version 7 file is not copied: %s", cw_errmsg());
    cw_state_close(f7);
    unlink(p7);
    unlink(p6);
    unlink(pc);
    cw_state_io_free(io);
    free(b);
    free(data);
    free(work);
    free(back);
}

/* ------------------------------------------------------------ drawing */

/* even-odd rule at the pixel centre, the plain way: a ray to the right */
static int inside_ref(const cw_poly *p, double x, double y)
{
    int in = 0, base = 0;
    for (int r = 0; r < p->nr; r++) {
        int n = p->len[r];
        for (int i = 0, j = n - 1; i < n; j = i++) {
            const double *a = p->xy + 2 * (base + i), *b = p->xy + 2 * (base + j);
            if ((a[1] > y) != (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0])
                in = !in;
        }
        base += n;
    }
    return in;
}

static void test_draw(void)
{
    /* polygon fill against the ray-casting reference, random polygons
     * with holes and self-crossings */
    unsigned seed = 12345;
    int bad = 0, total = 0;
    for (int t = 0; t < 40; t++) {
        cw_img im;
        cw_poly p;
        memset(&p, 0, sizeof p);
        cw_img_init(&im, 61, 47, 0);
        int rings = 1 + t % 3;
        for (int r = 0; r < rings; r++) {
            cw_poly_ring(&p);
            int n = 3 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 9;
            for (int i = 0; i < n; i++) {
                double x = -5 + ((seed = seed * 1103515245u + 12345u) >> 16) % 7100 / 100.0;
                double y = -5 + ((seed = seed * 1103515245u + 12345u) >> 16) % 5700 / 100.0;
                cw_poly_add(&p, x, y);
            }
        }
        cw_poly_fill(&im, &p, 0xFFFFFFu, 255);
        for (int y = 0; y < im.h; y++)
            for (int x = 0; x < im.w; x++) {
                int want = inside_ref(&p, x + 0.5, y + 0.5), got = im.px[3 * (y * im.w + x)] == 255;
                bad += want != got;
                total++;
            }
        cw_poly_free(&p);
        cw_img_free(&im);
    }
    CHECK(bad == 0, "polygon fill differs from the even-odd reference at %d of %d pixels", bad, total);

    /* PNG written by cw_png_write, read back by libpng: pixels and text */
    cw_img im;
    cw_img_init(&im, 37, 23, 0x102030u);
    cw_rect(&im, 5, 6, 10, 4, 0xFF8000u, 255);
    cw_blend(&im, 0, 0, 0xFFFFFFu, 128);
    char path[4096];
    snprintf(path, sizeof path, "%s/draw-test.png", fix);
    const char *kv[] = {"Tile", "18MTD", "Name", "Ñambí <x>", NULL};
    CHECK(cw_png_write(&im, path, kv) == 0, "png write: %s", cw_errmsg());
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    uint8_t *buf = NULL;
    if (png_image_begin_read_from_file(&pi, path)) {
        pi.format = PNG_FORMAT_RGB;
        buf = malloc(PNG_IMAGE_SIZE(pi));
        CHECK(buf && png_image_finish_read(&pi, NULL, buf, 0, NULL), "libpng decodes the file");
    } else {
        CHECK(0, "libpng opens the file: %s", pi.message);
    }
    CHECK(pi.width == 37 && pi.height == 23, "png size %ux%u", pi.width, pi.height);
    if (buf && pi.width == 37) {
        CHECK(!memcmp(buf, im.px, (size_t)37 * 23 * 3), "png pixels round trip");
        const uint8_t *q = buf + 3 * (7 * 37 + 6);
        CHECK(q[0] == 255 && q[1] == 128 && q[2] == 0, "orange rectangle pixel");
        CHECK(buf[0] == (0x10 + 255 + 1) / 2 && buf[1] == (0x20 * 127 + 255 * 128 + 127) / 255, "50 %% blend");
    }
    free(buf);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    const char *tile = ds ? GDALGetMetadataItem(ds, "Tile", NULL) : NULL;
    CHECK(tile && !strcmp(tile, "18MTD"), "tEXt chunk read by GDAL: %s", tile ? tile : "(none)");
    const char *name = ds ? GDALGetMetadataItem(ds, "Name", NULL) : NULL;
    CHECK(name && !strcmp(name, "Ñambí <x>"), "UTF-8 text (iTXt) read back: %s", name ? name : "(none)");
    if (ds)
        GDALClose(ds);
    cw_img_free(&im);

    /* text: a real rasterizer draws glyphs, wider strings are wider */
    cw_font *f = cw_font_open(NULL, 0);
    CHECK(f != NULL, "DejaVu Sans loads: %s", cw_errmsg());
    if (f) {
        cw_img_init(&im, 200, 40, 0xFFFFFFu);
        int adv = cw_text(&im, f, 16, 4, 28, "Pérdida 2 km", 0, 0, 0);
        long ink = 0, grey = 0;
        for (int i = 0; i < 200 * 40; i++) {
            ink += im.px[3 * i] < 128;
            grey += im.px[3 * i] > 0 && im.px[3 * i] < 255;
        }
        CHECK(ink > 60 && grey > 20, "text has ink (%ld) and anti-aliased edges (%ld)", ink, grey);
        CHECK(adv == cw_text_width(f, 16, "Pérdida 2 km") && adv > cw_text_width(f, 16, "Pérdida"),
              "advance %d matches the measured width", adv);
        CHECK(cw_text_width(f, 32, "N") > cw_text_width(f, 16, "N"), "size scales glyphs");
        cw_img_free(&im);
        cw_font_close(f);
    }
    CHECK(cw_font_open("/nonexistent.ttf", 0) == NULL && strstr(cw_errmsg(), "nonexistent"),
          "a missing font is a clear error");

    /* the message table: every message in both languages, same printf arguments */
    for (int m = 0; m < CW_NMESSAGES; m++) {
        const char *es = cw_msg_get(CW_LANG_ES, (cw_msg)m), *en = cw_msg_get(CW_LANG_EN, (cw_msg)m);
        int pe = 0, pn = 0;
        for (const char *c = es; *c; c++)
            pe += c[0] == '%' && c[1] != '%';
        for (const char *c = en; *c; c++)
            pn += c[0] == '%' && c[1] != '%';
        CHECK(es[0] && en[0] && pe == pn, "message %d: '%s' / '%s'", m, es, en);
    }
}

/* ------------------------------------------------------- direct tiles */

/* Writes a W x H raster of `bands` bands of type t with creation options
 * (a NULL-terminated list), pixels from a fixed LCG with runs (so the
 * predictor matters) and zeros; when sparse, blocks (2, 1) and (2, 2) of
 * 256 x 256 are never written. */
static int write_tiff(const char *path, GDALDataType t, int bands, const char *const *co, int sparse)
{
    const int W = 700, H = 530;
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, W, H, bands, t, (char **)co);
    if (!ds)
        return -1;
    uint16_t *buf = malloc(sizeof *buf * W * H);
    uint32_t x = 12345u;
    int rc = 0;
    for (int b = 1; b <= bands && rc == 0; b++) {
        for (int i = 0; i < W * H; i++) {
            x = x * 1664525u + 1013904223u;
            uint16_t v = (uint16_t)(300 + (i % W) * 7 + (x >> 24));
            buf[i] = (x >> 28) == 0 ? 0 : t == GDT_Byte ? (uint16_t)(v & 255) : v;
        }
        GDALRasterBandH bh = GDALGetRasterBand(ds, b);
        if (sparse) {
            rc |= GDALRasterIO(bh, GF_Write, 0, 0, W, 256, buf, W, 256, GDT_UInt16, 0, 0) != CE_None;
            rc |= GDALRasterIO(bh, GF_Write, 0, 256, 512, H - 256, buf, 512, H - 256, GDT_UInt16, 0, 0) != CE_None;
        } else {
            rc |= GDALRasterIO(bh, GF_Write, 0, 0, W, H, buf, W, H, GDT_UInt16, 0, 0) != CE_None;
        }
    }
    free(buf);
    GDALClose(ds);
    return rc ? -1 : 0;
}

/* Every block through cw_tiletiff against GDALReadBlock: -1 if the file is
 * refused, else the number of blocks that differ; *fallbacks counts blocks
 * the reader left to GDAL. */
static long compare_tiles(const char *path, int band, int *fallbacks)
{
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    GDALRasterBandH b = GDALGetRasterBand(ds, band);
    int bw, bh;
    GDALGetBlockSize(b, &bw, &bh);
    int bpp = GDALGetDataTypeSizeBytes(GDALGetRasterDataType(b));
    cw_tiletiff *t = cw_tiletiff_open(path, band, bpp, bw, bh);
    long bad = t ? 0 : -1;
    *fallbacks = 0;
    size_t n = (size_t)bw * (size_t)bh * (size_t)bpp;
    unsigned char *a = malloc(n), *g = malloc(n);
    for (int by = 0; t && by * bh < GDALGetRasterYSize(ds); by++)
        for (int bx = 0; bx * bw < GDALGetRasterXSize(ds); bx++) {
            if (cw_tiletiff_read(t, bx, by, a) != 0) {
                (*fallbacks)++;
                continue;
            }
            CPLErrorReset();
            bad += GDALReadBlock(b, bx, by, g) != CE_None || memcmp(a, g, n) != 0;
        }
    free(a);
    free(g);
    cw_tiletiff_close(t);
    GDALClose(ds);
    return bad;
}

/* Sets a SHORT tag of the first IFD of a classic little-endian TIFF in
 * place, as a damaged or hostile file would have it; 0 when done. */
static int patch_short_tag(const char *path, uint16_t tag, uint16_t value)
{
    FILE *f = fopen(path, "r+b");
    unsigned char h[8], e[12];
    int rc = -1;
    if (!f || fread(h, 1, 8, f) != 8 || h[0] != 'I' || h[2] != 42)
        goto out;
    long ifd = (long)le32(h + 4);
    unsigned char c[2];
    if (fseek(f, ifd, SEEK_SET) || fread(c, 1, 2, f) != 2)
        goto out;
    for (int i = 0; i < (c[0] | c[1] << 8); i++) {
        long at = ifd + 2 + 12L * i;
        if (fseek(f, at, SEEK_SET) || fread(e, 1, 12, f) != 12)
            goto out;
        if ((e[0] | e[1] << 8) == tag && (e[2] | e[3] << 8) == 3) {
            unsigned char v[2] = {(unsigned char)(value & 255), (unsigned char)(value >> 8)};
            rc = fseek(f, at + 8, SEEK_SET) || fwrite(v, 1, 2, f) != 2 ? -1 : 0;
            break;
        }
    }
out:
    if (f)
        fclose(f);
    return rc;
}

/* What libtiff refuses, the direct reader refuses too; no tile index
 * outside the image is read. */
static void test_tiletiff_strict(void)
{
    char path[4096];
    const char *co[] = {"TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", NULL};
    snprintf(path, sizeof path, "%s/tiletiff-pred0.tif", fix);
    if (write_tiff(path, GDT_UInt16, 1, co, 0) == 0) {
        cw_tiletiff *t = cw_tiletiff_open(path, 1, 2, 256, 256);
        uint16_t buf[256 * 256];
        CHECK(t && cw_tiletiff_read(t, 99, 0, buf) == 1 && cw_tiletiff_read(t, 0, 99, buf) == 1 &&
                  cw_tiletiff_read(t, -1, 0, buf) == 1,
              "tile indices outside the image are not read");
        cw_tiletiff_close(t);
        CHECK(patch_short_tag(path, 317, 0) == 0, "Predictor tag set to 0");
        t = cw_tiletiff_open(path, 1, 2, 256, 256);
        CHECK(t == NULL, "Predictor 0 (which libtiff refuses) is refused, left to GDAL");
        cw_tiletiff_close(t);
        unlink(path);
    }
}

static void test_tiletiff(void)
{
    static const struct {
        const char *name;
        GDALDataType type;
        int bands, band, sparse;
        long want;  /* -1: refused, 0: every block the same as GDAL */
        int fallbacks;
        const char *co[8];
    } cases[] = {
        {"deflate-pred2", GDT_UInt16, 1, 1, 0, 0, 0, {"TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", NULL}},
        {"deflate", GDT_UInt16, 1, 1, 0, 0, 0, {"TILED=YES", "COMPRESS=DEFLATE", "BLOCKXSIZE=512", "BLOCKYSIZE=128", NULL}},
        {"zstd-pred2", GDT_UInt16, 1, 1, 0, 0, 0, {"TILED=YES", "COMPRESS=ZSTD", "PREDICTOR=2", NULL}},
        {"none", GDT_UInt16, 1, 1, 0, 0, 0, {"TILED=YES", NULL}},
        {"byte-pred2", GDT_Byte, 1, 1, 0, 0, 0, {"TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", NULL}},
        {"planar-band2", GDT_UInt16, 3, 2, 0, 0, 0,
         {"TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", "INTERLEAVE=BAND", NULL}},
        {"sparse", GDT_UInt16, 1, 1, 1, 0, 2, {"TILED=YES", "COMPRESS=DEFLATE", "SPARSE_OK=TRUE", NULL}},
        {"pixel-interleaved", GDT_UInt16, 3, 2, 0, -1, 0, {"TILED=YES", "COMPRESS=DEFLATE", "INTERLEAVE=PIXEL", NULL}},
        {"lzw", GDT_UInt16, 1, 1, 0, -1, 0, {"TILED=YES", "COMPRESS=LZW", NULL}},
        {"big-endian", GDT_UInt16, 1, 1, 0, -1, 0, {"TILED=YES", "COMPRESS=DEFLATE", "ENDIANNESS=BIG", NULL}},
        {"stripped", GDT_UInt16, 1, 1, 0, -1, 0, {"COMPRESS=DEFLATE", NULL}},
        {"int16", GDT_Int16, 1, 1, 0, -1, 0, {"TILED=YES", "COMPRESS=DEFLATE", NULL}},
    };
    char path[4096];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        snprintf(path, sizeof path, "%s/tiletiff-%s.tif", fix, cases[k].name);
        if (write_tiff(path, cases[k].type, cases[k].bands, cases[k].co, cases[k].sparse)) {
            CHECK(0, "%s: GDAL writes the test file", cases[k].name);
            continue;
        }
        int fb = 0;
        long bad = compare_tiles(path, cases[k].band, &fb);
        CHECK(bad == cases[k].want && fb == cases[k].fallbacks,
              "direct tiles %s: %ld (want %ld) blocks differ from GDAL, %d (want %d) left to GDAL", cases[k].name, bad,
              cases[k].want, fb, cases[k].fallbacks);
        unlink(path);
    }
    /* a damaged tile: its bytes garbled, the reader leaves it to GDAL */
    snprintf(path, sizeof path, "%s/tiletiff-damaged.tif", fix);
    const char *co[] = {"TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", NULL};
    if (write_tiff(path, GDT_UInt16, 1, co, 0) == 0) {
        GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
        const char *off = GDALGetMetadataItem(GDALGetRasterBand(ds, 1), "BLOCK_OFFSET_1_1", "TIFF");
        long at = off ? atol(off) : 0;
        GDALClose(ds);
        FILE *f = fopen(path, "r+b");
        if (f && at > 0 && fseek(f, at + 40, SEEK_SET) == 0) {
            for (int i = 0; i < 64; i++)
                fputc(0x5a, f);
        }
        if (f)
            fclose(f);
        int fb = 0;
        CPLPushErrorHandler(CPLQuietErrorHandler);
        long bad = compare_tiles(path, 1, &fb);
        CPLPopErrorHandler();
        CHECK(at > 0 && bad == 0 && fb == 1, "damaged tile left to GDAL (%ld differ, %d left)", bad, fb);
        unlink(path);
    }
}

/* Paths as messages show them: "folder/.." collapsed only through real
 * folders (a symbolic link's ".." is elsewhere). */
static void test_path_tidy(void)
{
    char link[] = "/tmp/cw-tidy-link-XXXXXX";
    int fd = mkstemp(link);
    if (fd >= 0)
        close(fd);
    unlink(link);
    CHECK(symlink("/usr/share", link) == 0, "symlink for the tidy test");
    char via[300];
    snprintf(via, sizeof via, "%s/../x", link);
    const char *t[][2] = {{"/tmp/../etc", "/etc"}, {"./a/./b", "a/b"}, {"../x", "../x"},
                          {"no-such-folder/../x", "no-such-folder/../x"}, {"/tmp//x", "/tmp/x"}, {via, via}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char b[300];
        snprintf(b, sizeof b, "%s", t[i][0]);
        cw_path_tidy(b);
        CHECK(!strcmp(b, t[i][1]), "tidy %s gave %s, not %s", t[i][0], b, t[i][1]);
    }
    unlink(link);
}

/* A pixel next to a chakra, rows at a time: the same as the whole grid's
 * 3 x 3 dilation (brute force) wherever the rows start, chakras ending on
 * the last row before a chunk and starting on its first; a conserved area
 * counts for nothing. */
static void test_chakra_near(void)
{
    enum { W = 37, H = 300, CH = 128, CW = 16 };
    static uint8_t m1[10 * 8], m2[3 * 5], m3[20 * 20], whole[W * H], out[(CH + 2) * (W + 2)],
        scr[(CH + 2) * (W + 2)];
    memset(m1, 1, sizeof m1);
    memset(m2, 1, sizeof m2);
    memset(m3, 1, sizeof m3);
    cw_aoi a[3] = {{.kind = CW_AOI_CHAKRA}, {.kind = CW_AOI_CHAKRA}, {.kind = CW_AOI_CONSERVED}};
    cw_aoi_set set = {a, 3, 0};
    cw_aoi_tile t[3] = {{.aoi = 0, .x0 = 4, .y0 = 120, .w = 10, .h = 8, .mask = m1},    /* rows 120-127 */
                        {.aoi = 1, .x0 = 30, .y0 = 256, .w = 3, .h = 5, .mask = m2},    /* rows 256-260 */
                        {.aoi = 2, .x0 = 15, .y0 = 118, .w = 20, .h = 20, .mask = m3}}; /* not a chakra */
    cw_aoi_grid g = {t, 3};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int near = 0;
            for (int k = 0; k < 2; k++)
                near |=
                    y >= t[k].y0 - 1 && y <= t[k].y0 + t[k].h && x >= t[k].x0 - 1 && x <= t[k].x0 + t[k].w;
            whole[y * W + x] = (uint8_t)near;
        }
    int bad = 0, nil = 0, wbad = 0;
    for (int y0 = 0; y0 < H; y0 += CH) {
        const int n = H - y0 < CH ? H - y0 : CH;
        const uint8_t *r = cw_aoi_chakra_near(&g, &set, y0, n, H, 0, W, W, out, scr);
        nil += r == NULL;
        for (int i = 0; i < n * W; i++)
            bad += (r ? r[i] != 0 : 0) != whole[y0 * W + i];
        for (int x0 = 0; x0 < W; x0 += CW) { /* and in columns of 16 (chunks of a column window) */
            const int m = W - x0 < CW ? W - x0 : CW;
            r = cw_aoi_chakra_near(&g, &set, y0, n, H, x0, m, W, out, scr);
            for (int y = 0; y < n; y++)
                for (int x = 0; x < m; x++)
                    wbad += (r ? r[y * m + x] != 0 : 0) != whole[(y0 + y) * W + x0 + x];
        }
    }
    const uint8_t *none = cw_aoi_chakra_near(&g, &set, 0, 100, H, 0, W, W, out, scr);
    CHECK(bad == 0 && nil == 0 && none == NULL && wbad == 0,
          "chakras and their neighbours, 128 rows at a time, as over the whole grid, across chunk edges (%d "
          "differ, %d in columns of 16); "
          "none near rows 0-99: %s",
          bad, wbad, none ? "some" : "none");
}

/* An AOI from WKT in the CRS of an EPSG code (owned by the caller: geom, srs). */
static cw_aoi aoi_of(const char *wkt, int epsg, double radius_m)
{
    cw_aoi a = {.radius_m = radius_m};
    a.srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(a.srs, epsg);
    OSRSetAxisMappingStrategy(a.srs, OAMS_TRADITIONAL_GIS_ORDER);
    char *w = (char *)wkt;
    OGR_G_CreateFromWkt(&w, a.srs, &a.geom);
    return a;
}

/* The share of an alert (WGS84, as the history holds it) inside an AOI,
 * against the geometry worked out by hand: a 100 x 100 m alert half over
 * a square plot of UTM 18S, a point plot of radius 40 m inside it (its
 * circle's area over the alert's; GEOS buffers with 30 segments a quarter,
 * 0.05 % less), a plot in WGS84 a kilometre away. */
static void test_share_inside(void)
{
    cw_aoi sq = aoi_of("POLYGON((200000 9890000,200100 9890000,200100 9890100,200000 9890100,200000 9890000))", 32718,
                       0);
    cw_aoi pt = aoi_of("POINT(200100 9890050)", 32718, 40.0);
    cw_aoi far = aoi_of("POLYGON((-77.68 -1.0,-77.67 -1.0,-77.67 -0.99,-77.68 -0.99,-77.68 -1.0))", 4326, 0);
    cw_aoi al = aoi_of("POLYGON((200050 9890000,200150 9890000,200150 9890100,200050 9890100,200050 9890000))",
                       32718, 0);
    OGRSpatialReferenceH ll = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(ll, 4326);
    OSRSetAxisMappingStrategy(ll, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(al.srs, ll);
    OGR_G_Transform(al.geom, ct);
    cw_aoi_zones zones = {0};
    const double s_sq = cw_aoi_share_inside(&sq, al.geom, &zones), s_pt = cw_aoi_share_inside(&pt, al.geom, &zones),
                 s_far = cw_aoi_share_inside(&far, al.geom, &zones);
    const double circle = M_PI * 40.0 * 40.0 / 1e4;
    CHECK(fabs(s_sq - 0.5) < 1e-4 && fabs(s_pt - circle) < 1e-3 && s_far == 0.0,
          "share of an alert inside a plot: half over a square %.5f (0.5), a 40 m point plot inside it %.5f "
          "(%.5f), a plot 1 km away %.5f (0)",
          s_sq, s_pt, circle, s_far);
    cw_aoi_zones_free(&zones);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(ll);
    cw_aoi *all[] = {&sq, &pt, &far, &al};
    for (int i = 0; i < 4; i++) {
        OGR_G_DestroyGeometry(all[i]->geom);
        OSRDestroySpatialReference(all[i]->srs);
    }
}

/* Every reason the history stores reads in Spanish with its values, the
 * oracle each Spanish sentence filled in with printf; English and reasons
 * of no known format stay as written. */
static void test_reasons(void)
{
    char en[256], es[320], want[320], in[256];
    int bad = 0;
#define REASON_CASE(es_fmt, ...)                                                                             \
    do {                                                                                                     \
        cw_reason_text(CW_LANG_ES, en, es, sizeof es);                                                       \
        snprintf(want, sizeof want, es_fmt, __VA_ARGS__);                                                    \
        if (strcmp(es, want)) {                                                                              \
            fprintf(stderr, "  %s\n  -> %s\n  want %s\n", en, es, want);                                     \
            bad++;                                                                                           \
        }                                                                                                    \
        cw_reason_text(CW_LANG_EN, en, es, sizeof es);                                                       \
        bad += strcmp(es, en) != 0;                                                                          \
    } while (0)
    snprintf(en, sizeof en, CW_REASON_MMU, 0.3);
    REASON_CASE("por debajo de la unidad mínima de mapeo (%s ha)", "0.30");
    snprintf(en, sizeof en, CW_REASON_EXPIRED, 2, 4, 180);
    REASON_CASE(
        "no confirmada: menos de %d observaciones anómalas entre las %d siguientes despejadas en %d días", 2,
        4, 180);
    snprintf(en, sizeof en, CW_REASON_REVERTED, 3, 240);
    REASON_CASE(
        "revertida: volvió a lo esperado para la estación (NDVI y NBR) en %d observaciones despejadas "
        "seguidas dentro de %d días desde la primera anomalía; no es pérdida (una sequía, un invierno, una "
        "inundación)",
        3, 240);
    snprintf(en, sizeof en, CW_REASON_MERGED, "18MTD-M-20250804-1834-99065-2");
    REASON_CASE("unida a %s: sus píxeles crecieron junto con los de esa alerta (la primera del evento) y se "
                "informan allí",
                "18MTD-M-20250804-1834-99065-2");
    snprintf(en, sizeof en, CW_REASON_REVIEWED_BY, "2026-03-01", "Rosa Grefa: técnica");
    REASON_CASE("revisada como falso positivo el %s por %s: no se vuelve a publicar", "2026-03-01",
                "Rosa Grefa: técnica");
    snprintf(en, sizeof en, CW_REASON_REVIEWED, "2026-03-01");
    REASON_CASE("revisada como falso positivo el %s: no se vuelve a publicar", "2026-03-01");
    snprintf(en, sizeof en, "%s", CW_REASON_RIVER);
    REASON_CASE("%s",
                "dinámica del río: suelo desnudo o húmedo junto al cauce de referencia, sin poza apartada "
                "de él (erosión de la orilla o una playa de arena)");
    snprintf(in, sizeof in, CW_REASON_MMU, 0.5);
    snprintf(en, sizeof en, CW_REASON_WITHDRAWN, in);
    REASON_CASE("retirada: por debajo de la unidad mínima de mapeo (%s ha)", "0.50");
    snprintf(en, sizeof en, "%s",
             "below the minimum mapping unit (0.30 ha) and more"); /* no format of ours */
    REASON_CASE("%s", en);
    snprintf(en, sizeof en, "%s", "");
    REASON_CASE("%s", "");
#undef REASON_CASE
    CHECK(bad == 0,
          "every reason of the history in Spanish with its values, the others as written (%d wrong)", bad);
}

/* What one writer function made of s, as a string (the caller frees it). */
static char *written(void (*put)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    put(f, s);
    fclose(f);
    return buf;
}

/* Text from users' files in CSV and HTML.  The oracles are the rules
 * themselves: RFC 4180 (a field holding , " CR or LF is quoted, its quotes
 * doubled) and OWASP's CSV injection rule as LibreOffice and Excel read a
 * cell (= + - @ first, also after blanks, or a leading tab or CR, starts a
 * formula: such a field gets a leading ' inside quotes); in HTML the five
 * characters that open markup or end an attribute become entities, and
 * decoding them gives the text back. */
static void test_text_fields(void)
{
    static const char *const csv_cases[][2] = {
        {"Bosque Kallari", "Bosque Kallari"},
        {"Wiñak, Tsatsayaku", "\"Wiñak, Tsatsayaku\""},
        {"Napo; Orellana", "\"Napo; Orellana\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"=1+1", "\"'=1+1\""},
        {"+593 99", "\"'+593 99\""},
        {"-2 ha", "\"'-2 ha\""},
        {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"  =cmd|' /C calc'!A0", "\"'  =cmd|' /C calc'!A0\""},
        {"\t=x", "\"'\t=x\""},
        {"\r@x", "\"'\r@x\""},
        {"\n+x", "\"'\n+x\""},
        {"\tplain", "\"'\tplain\""},
        {"a=b-c", "a=b-c"},
        {"=\"q\"", "\"'=\"\"q\"\"\""},
        {"", ""},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof csv_cases / sizeof csv_cases[0]; i++) {
        char *got = written(cw_csv_text, csv_cases[i][0]);
        if (!got || strcmp(got, csv_cases[i][1])) {
            fprintf(stderr, "  csv text [%s] -> [%s], want [%s]\n", csv_cases[i][0], got ? got : "?",
                    csv_cases[i][1]);
            bad++;
        }
        free(got);
    }
    CHECK(bad == 0,
          "CSV text fields: RFC 4180 quoting, no field a spreadsheet takes for a formula (%d wrong)", bad);
    char *id = written(cw_csv_id, "00042"), *fid = written(cw_csv_id, "@x");
    CHECK(id && !strcmp(id, "\"00042\"") && fid && !strcmp(fid, "\"'@x\""),
          "CSV ids always quoted, neutralised as text: [%s] [%s]", id ? id : "?", fid ? fid : "?");
    free(id);
    free(fid);

    const char *hostile = "x\" onmouseover='alert(1)' <b>&amp;</b> ñ";
    char *h = written(cw_html_esc, hostile);
    int raw = 0;
    for (const char *c = h; c && *c; c++)
        raw += *c == '<' || *c == '>' || *c == '"' || *c == '\'';
    /* decode the five entities back: the text, unchanged */
    static const char *const ent[][2] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
    char back[256] = "";
    size_t bl = 0;
    for (const char *c = h; c && *c && bl + 1 < sizeof back;) {
        size_t k = 0;
        while (k < 5 && strncmp(c, ent[k][0], strlen(ent[k][0])))
            k++;
        if (k < 5) {
            back[bl++] = ent[k][1][0];
            c += strlen(ent[k][0]);
        } else {
            back[bl++] = *c++;
        }
    }
    back[bl] = '\0';
    CHECK(h && raw == 0 && !strcmp(back, hostile),
          "HTML text: no < > \" ' left, entities decode to the text: [%s]", h ? h : "?");
    free(h);
}

/* Names from files reach the history's attribute filters (OGR SQL; SQL
 * proper on PostGIS) as quoted literals: a name with a quote is found as
 * itself, and one written as SQL matches nothing. */
static void test_history_quotes(void)
{
    char path[4096], st[32] = "";
    snprintf(path, sizeof path, "%s/quotes.gpkg", fix);
    unlink(path);
    cw_history *h = cw_history_open(path, 1);
    CHECK(h != NULL, "a new history: %s", cw_errmsg());
    if (!h)
        return;
    const char *odd = "S2B_MSIL2A_20240317_O'Brien's copy", *plain = "S2B_MSIL2A_20240329_plain";
    int ok = cw_history_begin(h) == 0 &&
             cw_history_scene_put(h, odd, "18MTD", 3364, "2024-03-17", "processed", 90, 5, NULL, NULL,
                                  NULL) == 0 &&
             cw_history_scene_put(h, plain, "18MTD", 3376, "2024-03-29", "duplicate", 90, 5, NULL, NULL,
                                  NULL) == 0 &&
             cw_history_commit(h) == 0;
    CHECK(ok, "two scenes recorded: %s", cw_errmsg());
    CHECK(cw_history_scene_status(h, odd, st, sizeof st) == 1 && !strcmp(st, "processed"),
          "a product name with quotes is found as itself (%s)", st);
    CHECK(cw_history_scene_status(h, plain, st, sizeof st) == 1 && !strcmp(st, "duplicate"),
          "and the other as itself (%s)", st);
    CHECK(cw_history_scene_status(h, "x' OR '1'='1", st, sizeof st) == 0 &&
              cw_history_scene_status(h, "S2B_MSIL2A_20240317_O", st, sizeof st) == 0,
          "a name written as SQL, or the part before a quote, matches no scene");
    cw_history_close(h);
    unlink(path);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_pipeline FIXDIR\n");
        return 2;
    }
    fix = argv[1];
    cw_gdal_init();
    test_layouts();
    test_strip_bands();
    test_strip_plan();
    test_mask();
    test_state_files();
    test_state_copy();
    test_state_rle();
    test_state_upgrade();
    test_state_grid();
    test_draw();
    test_tiletiff();
    test_tiletiff_strict();
    test_path_tidy();
    test_reasons();
    test_text_fields();
    test_history_quotes();
    test_chakra_near();
    test_share_inside();
    GDALDestroyDriverManager();
    return TEST_SUMMARY("pipeline");
}
