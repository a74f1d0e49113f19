/*
 * cw_strip.c - see cw_strip.h.  This is the hot path of every command:
 * decode (GDAL or the direct tile reader, per-thread handles), mask, work
 * (which turns DN into reflectance in cache-sized pieces).
 * Buffers are allocated once per thread before the loop.
 */
#include "ingest/cw_strip.h"
#include "ck_reflect.h"
#include "ingest/cw_tiletiff.h"
#include "cw_util.h"

#include <gdal.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fallback cloud and haze test thresholds (reflectance), see README "No
 * SCL" and ck_mask.h. */
static const ck_pseudo_scl_params fallback_params = {
    .blue_min = 0.18f,
    .white_max = 0.25f,
    .swir_ratio_max = 1.5f, /* cloud: B11 below this x B02 */
    .water_mndwi_min = 0.3f,
    .water_swir_max = 0.012f, /* haze over water: B11 above this */
};

/* A coarse source's native rows [y0, y1) (native_rows), kept between
 * reads (the SCL window's halo reaches into the rows of the strips beside
 * a strip).  A direct source's rows are copied from the run's decoded
 * blocks (blk_cache: each decoded once, whichever threads' strips need
 * it); another's are read through GDAL (its block cache holds the rest of
 * their blocks, for the thread's next strip).  They are also the strip's
 * pixels of a coarse band (cw_strip.nat): a 20 m band is not copied to
 * the 10 m grid for a whole strip, but a piece at a time as it is used. */
typedef struct {
    void *p;
    size_t cap;
    int y0, y1; /* the rows kept */
    int x0, w;  /* of these columns */
    int at;     /* the native row at p since the last read (kept or not) */
} nat_rows;

struct cw_reader {
    const cw_scene *s;
    GDALDatasetH ds[CW_NSRC];   /* own handles; shared for multi-band files */
    GDALRasterBandH band[CW_NSRC];
    nat_rows nat[CW_NSRC];      /* coarse bands (and a UInt16 SCL) at their native resolution */
    unsigned direct;            /* CW_SRC_BIT: read block by block (below) */
    cw_tiletiff *tt[CW_NSRC];   /* direct tile decoder, or NULL: GDALReadBlock */
    void *blk;                  /* one block of a direct source */
    struct blk_cache *shared;   /* the run's coarse blocks, shared by its readers (NULL: none) */
    uint8_t *pend;              /* a block row's blocks left for another thread to finish decoding */
    size_t pend_cap;
    long decoded[CW_NSRC];      /* blocks of each direct source decoded (CHAKRAWATCH_COUNT_BLOCKS) */
};

void cw_reader_close(cw_reader *r)
{
    if (!r)
        return;
    for (int i = 0; i < CW_NSRC; i++) {
        if (!r->ds[i])
            continue;
        for (int j = i + 1; j < CW_NSRC; j++)
            if (r->ds[j] == r->ds[i])
                r->ds[j] = NULL;
        GDALClose(r->ds[i]);
    }
    for (int i = 0; i < CW_NSRC; i++)
        cw_tiletiff_close(r->tt[i]);
    for (int i = 0; i < CW_NSRC; i++)
        free(r->nat[i].p);
    free(r->blk);
    free(r->pend);
    free(r);
}

/* The driver of a dataset is `name`. */
static int driver_is(GDALDatasetH ds, const char *name)
{
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    return drv && strcmp(GDALGetDriverShortName(drv), name) == 0;
}

/* A GeoTIFF or JPEG2000 band whose pixels are stored as the type we read
 * is read block by block straight into our buffer: no trip through GDAL's
 * block cache (allocation, locking, eviction; for a .SAFE's JPEG2000 tiles
 * the cache filled its 96 MB on every night) and nothing decoded twice; the
 * common COG layouts are decoded by cw_tiletiff, the rest by GDALReadBlock.
 * Anything else goes through GDALRasterIO. */
static size_t direct_block_bytes(GDALDatasetH ds, GDALRasterBandH b, int is_scl)
{
    GDALDataType t = GDALGetRasterDataType(b);
    int bw = 0, bh = 0;
    GDALGetBlockSize(b, &bw, &bh);
    int ok = (driver_is(ds, "GTiff") || driver_is(ds, "JP2OpenJPEG")) && bw > 0 && bh > 0 &&
             (size_t)bw * (size_t)bh <= (size_t)4096 * 4096 && /* not a whole untiled image */
             (t == GDT_UInt16 || (is_scl && t == GDT_Byte));
    return ok ? (size_t)bw * (size_t)bh * (size_t)GDALGetDataTypeSizeBytes(t) : 0;
}

/* A source's blocks over grid rows [y0, y0 + n) of a w-wide grid, in grid
 * pixels (f x f a native pixel): bw x bh each, the first block row at grid
 * row top (<= y0); n of them. */
typedef struct {
    size_t bw, n;
    int bh, top;
} block_grid;

static block_grid blocks_of(const cw_src *c, size_t w, int y0, int n)
{
    const int f = c->factor, nbh = c->block_h > 0 ? c->block_h : 1;
    block_grid g = {(size_t)(c->block_w > 0 ? c->block_w : 1) * (size_t)f, 0, nbh * f, y0 / f / nbh * nbh * f};
    g.n = (w + g.bw - 1) / g.bw * (size_t)((y0 + n - g.top + g.bh - 1) / g.bh);
    return g;
}

/* A coarse source's block row (a 20 m band's 512 rows: 1024 rows of the
 * 10 m grid) spans two strips, which OpenMP's static order mostly gives to
 * two threads at once: their readers share its decoded blocks (a run in
 * turns of several strips, strips_per_turn, has one thread read the block
 * row for all its strips and keep it instead).  A reader
 * takes each block it needs from here: decoded by whoever comes first (the
 * others copy it, or go on to the next block while it is being decoded and
 * come back to it), and kept until every strip whose rows reach the block
 * row has been loaded (counted from the strips' rows beforehand) and no
 * reader holds it.  A block is the same bytes whoever decodes it, so
 * nothing depends on the threads. */
enum { BLK_NONE, BLK_DECODING, BLK_READY, BLK_FAILED };
typedef struct {
    uint8_t *data;           /* the row's blocks, block after block, or NULL */
    _Atomic uint8_t *state;  /* BLK_* per block */
    int left;                /* strips still to load whose rows reach it */
    int busy;                /* readers holding it */
    char why[256];           /* why a block of it failed (BLK_FAILED), for every reader */
} shared_row;

#define SPARE_ROWS 4
typedef struct blk_cache {
    shared_row *row[CW_NSRC]; /* a shared source's block rows, NULL for the others */
    int nrows[CW_NSRC], nbx[CW_NSRC];
    size_t bytes[CW_NSRC];    /* of a block */
    uint8_t *spare[CW_NSRC][SPARE_ROWS]; /* rows' buffers freed, for the next rows (no fresh pages) */
    int nspare[CW_NSRC];
} blk_cache;

/* Block row `by` of source src held for reading (made when absent); NULL
 * when out of memory. */
static shared_row *shared_hold(blk_cache *c, int src, int by)
{
    shared_row *sr = &c->row[src][by];
    int ok = 1;
#pragma omp critical(cw_blk_cache)
    {
        if (!sr->data) {
            sr->data = c->nspare[src] ? c->spare[src][--c->nspare[src]]
                                      : cw_big_malloc((size_t)c->nbx[src] * c->bytes[src]);
            sr->state = calloc((size_t)c->nbx[src], sizeof *sr->state);
            if (!sr->data || !sr->state) {
                free(sr->data);
                free((void *)sr->state);
                sr->data = NULL;
                sr->state = NULL;
                ok = 0;
            }
        }
        sr->busy += ok;
    }
    return ok ? sr : NULL;
}

/* Called under cw_blk_cache: a row nobody needs any more is freed (its
 * buffer kept for another row of source src while there is room). */
static void shared_drop_if_done(blk_cache *c, int src, shared_row *sr)
{
    if (sr->left <= 0 && sr->busy == 0 && sr->data) {
        if (c->nspare[src] < SPARE_ROWS)
            c->spare[src][c->nspare[src]++] = sr->data;
        else
            free(sr->data);
        free((void *)sr->state);
        sr->data = NULL;
        sr->state = NULL;
    }
}

static void shared_release(blk_cache *c, int src, shared_row *sr)
{
#pragma omp critical(cw_blk_cache)
    {
        sr->busy--;
        shared_drop_if_done(c, src, sr);
    }
}

/* Block rows [*b0, *b1] of source src that a strip's rows [y0, y0 + n) reach,
 * with `halo` rows each side (the SCL window). */
static void strip_block_rows(const cw_scene *s, int src, int y0, int n, int halo, int *b0, int *b1)
{
    const cw_src *c = &s->src[src];
    const int a = y0 - halo > 0 ? y0 - halo : 0, b = y0 + n + halo < s->height ? y0 + n + halo : s->height;
    *b0 = a / c->factor / c->block_h;
    *b1 = (b - 1) / c->factor / c->block_h;
}

/* A source whose blocks the threads share: a coarse one, in blocks (read
 * block by block where its file allows). */
static int shareable(const cw_src *sc) { return sc->factor >= 2 && sc->block_w > 0 && sc->block_h > 0; }

/* The cache of a run over strips of `rows` rows, in nwin windows each:
 * the coarse sources of srcs in blocks, each block row counting the
 * strips' windows that reach it (with the halo for the sources the mask
 * reads: halo_srcs).  NULL without one. */
static blk_cache *shared_new(const cw_scene *s, unsigned srcs, unsigned halo_srcs, int rows, int nwin,
                             int halo)
{
    blk_cache *c = NULL;
    for (int i = 0; i < CW_NSRC; i++) {
        const cw_src *sc = &s->src[i];
        if (!(srcs & CW_SRC_BIT(i)) || !shareable(sc))
            continue;
        if (!c && !(c = calloc(1, sizeof *c)))
            return NULL;
        c->nrows[i] = (sc->nat_h + sc->block_h - 1) / sc->block_h;
        c->nbx[i] = (sc->nat_w + sc->block_w - 1) / sc->block_w;
        c->bytes[i] = (size_t)sc->block_w * (size_t)sc->block_h * 2; /* UInt16, or a Byte SCL */
        if (!(c->row[i] = calloc((size_t)c->nrows[i], sizeof *c->row[i])))
            return c; /* not shared: read as before */
        for (int y0 = 0; y0 < s->height; y0 += rows) {
            int b0, b1;
            strip_block_rows(s, i, y0, s->height - y0 < rows ? s->height - y0 : rows,
                             (halo_srcs & CW_SRC_BIT(i)) ? halo : 0, &b0, &b1);
            for (int by = b0; by <= b1 && by < c->nrows[i]; by++)
                c->row[i][by].left += nwin; /* each window of the strip */
        }
    }
    return c;
}

/* About what the shared rows of a run's sources srcs take at once: two
 * block rows of each (the threads' strips reach one or two). */
static size_t shared_bytes(const cw_scene *s, unsigned srcs)
{
    size_t b = 0;
    for (int i = 0; i < CW_NSRC; i++) {
        const cw_src *sc = &s->src[i];
        if ((srcs & CW_SRC_BIT(i)) && shareable(sc))
            b += 2 * (size_t)((sc->nat_w + sc->block_w - 1) / sc->block_w) * (size_t)sc->block_w *
                 (size_t)sc->block_h * 2;
    }
    return b;
}

/* A strip (window) loaded: the block rows it reached are needed by one fewer. */
static void shared_strip_done(blk_cache *c, const cw_scene *s, unsigned halo_srcs, int y0, int n, int halo)
{
    if (!c)
        return;
    for (int i = 0; i < CW_NSRC; i++) {
        if (!c->row[i])
            continue;
        int b0, b1;
        strip_block_rows(s, i, y0, n, (halo_srcs & CW_SRC_BIT(i)) ? halo : 0, &b0, &b1);
#pragma omp critical(cw_blk_cache)
        for (int by = b0; by <= b1 && by < c->nrows[i]; by++) {
            c->row[i][by].left--;
            shared_drop_if_done(c, i, &c->row[i][by]);
        }
    }
}

static void shared_free(blk_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < CW_NSRC; i++) {
        for (int by = 0; c->row[i] && by < c->nrows[i]; by++) {
            free(c->row[i][by].data);
            free((void *)c->row[i][by].state);
        }
        free(c->row[i]);
        for (int k = 0; k < c->nspare[i]; k++)
            free(c->spare[i][k]);
    }
    free(c);
}

/* Block (bx, by) of a direct source decoded into out; 0 when done, else
 * -1 with cw_error(). */
static int decode_block(cw_reader *r, int src, int bx, int by, void *out)
{
    const int tt = r->tt[src] ? cw_tiletiff_read(r->tt[src], bx, by, out) : 1;
    if (tt < 0)
        return cw_error("its block %d,%d is corrupt (its compressed bytes do not decode)", bx, by);
    if (tt != 0 && GDALReadBlock(r->band[src], bx, by, out) != CE_None)
        return cw_error("%s", cw_gdal_reason("GDAL cannot read its block"));
    r->decoded[src]++;
    return 0;
}

/* Block (bx, by) of a shared source from row sr: decoded here if no reader
 * has claimed it, else the other reader's.  1: being decoded by another
 * reader and `later` (come back to it); 0: *blk points at it; -1: it could
 * not be read (the decoder's reason in cw_error(), whichever thread). */
static int shared_block(cw_reader *r, const blk_cache *sh, shared_row *sr, int src, int bx, int by, int later,
                        const void **blk)
{
    _Atomic uint8_t *st = &sr->state[bx];
    uint8_t *sb = sr->data + (size_t)bx * sh->bytes[src];
    uint8_t want = BLK_NONE;
    if (atomic_compare_exchange_strong(st, &want, BLK_DECODING)) {
        const int bad = decode_block(r, src, bx, by, sb);
        if (bad) {
#pragma omp critical(cw_blk_cache)
            cw_strlcpy(sr->why, cw_errmsg(), sizeof sr->why);
        }
        atomic_store_explicit(st, bad ? BLK_FAILED : BLK_READY, memory_order_release);
    }
    uint8_t now = atomic_load_explicit(st, memory_order_acquire);
    if (now == BLK_DECODING && later)
        return 1;
    while (now == BLK_DECODING) {
        sched_yield();
        now = atomic_load_explicit(st, memory_order_acquire);
    }
    if (now != BLK_READY) {
        int rc;
#pragma omp critical(cw_blk_cache)
        rc = cw_error("%s", sr->why);
        return rc;
    }
    *blk = sb;
    return 0;
}

/* Native rows [ny0, ny0 + nh) and columns [nx0, nx0 + nw) of a source,
 * as `type` (its own type when direct), into out (nh x nw).  skip (NULL:
 * none), one flag per block of that window (row-major, from the block row
 * at ny0 and the block column at nx0): on entry the blocks the caller does
 * not need; on return the ones left undecoded (zeros), which are only
 * those of a source read block by block. */
static int read_native(cw_reader *r, int src, int ny0, int nh, int nx0, int nw, void *out, GDALDataType type,
                       uint8_t *skip)
{
    const cw_src *c = &r->s->src[src];
    GDALRasterBandH b = r->band[src];
    const int bw = c->block_w, bh = c->block_h;
    blk_cache *sh = (r->direct & CW_SRC_BIT(src)) && r->shared && r->shared->row[src] ? r->shared : NULL;
    if (sh || ((r->direct & CW_SRC_BIT(src)) && ny0 % bh == 0 && (nh % bh == 0 || ny0 + nh == c->nat_h))) {
        /* whole block rows, or any rows of a shared source (its blocks are kept for the others) */
        const size_t ps = (size_t)GDALGetDataTypeSizeBytes(type), nbx = (size_t)((c->nat_w + bw - 1) / bw);
        const int bx0 = nx0 / bw, bx1 = (nx0 + nw - 1) / bw; /* the window's block columns */
        if (sh && nbx > r->pend_cap) {
            uint8_t *p = realloc(r->pend, nbx);
            if (!p)
                return cw_error("out of memory");
            r->pend = p;
            r->pend_cap = nbx;
        }
        for (int by = ny0 / bh; by * bh < ny0 + nh; by++) {
            /* the block's rows [r0, r1) are rows [by * bh + r0, by * bh + r1) of out's */
            const int r0 = ny0 > by * bh ? ny0 - by * bh : 0;
            const int r1 = ny0 + nh - by * bh < bh ? ny0 + nh - by * bh : bh, rows = r1 - r0;
            char *orow = (char *)out + (size_t)(by * bh + r0 - ny0) * (size_t)nw * ps;
            shared_row *sr = sh ? shared_hold(sh, src, by) : NULL;
            if (sh && !sr)
                return cw_error("out of memory for a row of blocks");
            int fail = 0;
            /* a block being decoded by another reader is left for a second round */
            for (int round = 0; round < (sr ? 2 : 1) && !fail; round++)
                for (int bx = bx0; bx <= bx1 && !fail; bx++) {
                    /* the block's columns [c0, c1) in the window */
                    const int c0 = nx0 > bx * bw ? nx0 : bx * bw;
                    const int c1 = nx0 + nw < (bx + 1) * bw ? nx0 + nw : (bx + 1) * bw, cols = c1 - c0;
                    char *o = orow + (size_t)(c0 - nx0) * ps;
                    const void *blk = r->blk;
                    if (round == 0 && skip &&
                        skip[(size_t)(by - ny0 / bh) * (size_t)(bx1 - bx0 + 1) + (size_t)(bx - bx0)]) {
                        for (int y = 0; y < rows; y++)
                            memset(o + (size_t)y * (size_t)nw * ps, 0, (size_t)cols * ps);
                        if (sr)
                            r->pend[bx] = 0;
                        continue;
                    }
                    if (round == 1 && !r->pend[bx])
                        continue;
                    const int got = sr ? shared_block(r, sh, sr, src, bx, by, round == 0, &blk)
                                       : decode_block(r, src, bx, by, r->blk);
                    if (sr)
                        r->pend[bx] = got > 0;
                    if (got > 0)
                        continue;
                    if (got < 0) {
                        fail = 1;
                        break;
                    }
                    for (int y = 0; y < rows; y++)
                        memcpy(o + (size_t)y * (size_t)nw * ps,
                               (const char *)blk +
                                   ((size_t)(r0 + y) * (size_t)bw + (size_t)(c0 - bx * bw)) * ps,
                               (size_t)cols * ps);
                }
            if (sr)
                shared_release(sh, src, sr);
            if (fail)
                return -1;
        }
        return 0;
    }
    if (skip) /* every block decoded */
        memset(skip, 0,
               (size_t)((nx0 + nw - 1) / bw - nx0 / bw + 1) *
                   (size_t)((ny0 + nh - ny0 / bh * bh + bh - 1) / bh));
    if (GDALRasterIO(b, GF_Read, nx0, ny0, nw, nh, out, nw, nh, type, 0, 0) != CE_None)
        return cw_error("%s", cw_gdal_reason("GDAL cannot read them"));
    return 0;
}

cw_reader *cw_reader_open(const cw_scene *s, unsigned srcs)
{
    cw_reader *r = calloc(1, sizeof *r);
    if (!r) {
        cw_error("out of memory");
        return NULL;
    }
    r->s = s;
    size_t blk = 0;
    for (int i = 0; i < CW_NSRC; i++) {
        if (!(srcs & CW_SRC_BIT(i)))
            continue;
        const cw_src *c = &s->src[i];
        if (!c->present) {
            cw_error("band %s is missing", cw_src_name(i));
            goto fail;
        }
        for (int j = 0; j < i; j++) /* one handle per file */
            if (r->ds[j] && strcmp(s->src[j].path, c->path) == 0)
                r->ds[i] = r->ds[j];
        if (!r->ds[i])
            r->ds[i] = GDALOpenEx(c->path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
        if (!r->ds[i]) {
            cw_error("%s: cannot open %s: %s", cw_src_name(i), c->path,
                     cw_gdal_reason("GDAL does not recognise it as a raster"));
            goto fail;
        }
        r->band[i] = GDALGetRasterBand(r->ds[i], c->band_index);
        size_t bb = direct_block_bytes(r->ds[i], r->band[i], i == CW_SRC_SCL);
        if (bb) {
            r->direct |= CW_SRC_BIT(i);
            blk = bb > blk ? bb : blk;
        }
        if (bb && driver_is(r->ds[i], "GTiff"))
            r->tt[i] = cw_tiletiff_open(c->path, c->band_index,
                                        GDALGetDataTypeSizeBytes(GDALGetRasterDataType(r->band[i])), c->block_w,
                                        c->block_h);
    }
    if (blk && !(r->blk = malloc(blk))) {
        cw_error("out of memory for a %zu-byte block buffer", blk);
        goto fail;
    }
    return r;
fail:
    cw_reader_close(r);
    return NULL;
}

/* W pixels of a grid row from a native row: o[x] = CONV(in[(x + s) / f]),
 * the common f == 2 (20 m onto 10 m) from an even start without
 * divisions. */
#define EXPAND_ROW(o_, in_, s_, W, f, CONV)                                                                  \
    do {                                                                                                     \
        __typeof__(o_) o = (o_);                                                                             \
        __typeof__(in_) i_ = (in_);                                                                          \
        const int sx_ = (s_);                                                                                \
        if ((f) == 2 && sx_ == 0) {                                                                          \
            for (int x = 0; x + 1 < (W); x += 2)                                                             \
                o[x] = o[x + 1] = CONV(i_[x >> 1]);                                                          \
            if ((W) & 1)                                                                                    \
                o[(W) - 1] = CONV(i_[((W) - 1) >> 1]);                                                       \
        } else {                                                                                             \
            for (int x = 0; x < (W); x++)                                                                    \
                o[x] = CONV(i_[(x + sx_) / (f)]);                                                            \
        }                                                                                                    \
    } while (0)
#define AS_IS(v) (v)
#define CLAMP_U8(v) ((v) > 255 ? 255 : (uint8_t)(v))

/* The native columns of grid columns [x0, x0 + n) of a source f times
 * coarser: [*nx0, *nx0 + *nn). */
static void native_cols(int f, int x0, int n, int *nx0, int *nn)
{
    *nx0 = x0 / f;
    *nn = (x0 + n - 1) / f - *nx0 + 1;
}

/* Native rows [a, b) and columns [x0, x0 + w) of a coarse source (as
 * `type`), keeping those it already holds (of the same columns) and
 * reading the others: just those rows of a shared direct source (the
 * run's decoded blocks hold the rest) or of one read through GDAL (GDAL's
 * block cache does); whole block rows of another direct source (its
 * blocks are decoded whole).  The source's buffer they are in. */
static const nat_rows *native_rows(cw_reader *r, int src, int a, int b, int x0, int w, GDALDataType type,
                                   uint8_t *skip)
{
    const cw_src *c = &r->s->src[src];
    const int direct = (r->direct & CW_SRC_BIT(src)) != 0;
    nat_rows *nr = &r->nat[src];
    const int bh = direct && !(r->shared && r->shared->row[src]) && c->block_h > 0 ? c->block_h : 1;
    if (skip || nr->x0 != x0 || nr->w != w) /* read anew (skip: some blocks left out, reader_native
                                               drops them after) */
        nr->y0 = nr->y1 = 0;
    a = a / bh * bh;
    b = (b + bh - 1) / bh * bh;
    b = b < c->nat_h ? b : c->nat_h;
    if (nr->y1 > nr->y0 && nr->y0 <= a && b <= nr->y1)
        return nr;
    const size_t rowb = (size_t)w * (size_t)GDALGetDataTypeSizeBytes(type);
    if ((size_t)(b - a) * rowb > nr->cap) {
        void *p = cw_big_realloc(nr->p, (size_t)(b - a) * rowb);
        if (!p) {
            cw_error("out of memory for %d native rows of %s", b - a, cw_src_name(src));
            return NULL;
        }
        nr->p = p;
        nr->cap = (size_t)(b - a) * rowb;
    }
    int k0 = nr->y0 > a ? nr->y0 : a, k1 = nr->y1 < b ? nr->y1 : b; /* rows kept */
    if (k0 < k1)
        memmove((char *)nr->p + (size_t)(k0 - a) * rowb, (char *)nr->p + (size_t)(k0 - nr->y0) * rowb,
                (size_t)(k1 - k0) * rowb);
    else
        k0 = k1 = a;
    nr->y0 = nr->y1 = 0; /* nothing held until the reads are done */
    nr->x0 = x0;
    nr->w = w;
    const int from[2] = {a, k1}, to[2] = {k0, b};
    for (int i = 0; i < 2; i++)
        if (from[i] < to[i] && read_native(r, src, from[i], to[i] - from[i], x0, w,
                                           (char *)nr->p + (size_t)(from[i] - a) * rowb, type, skip)) {
            cw_error_prefix("%s: reading rows %d..%d of %s failed", cw_src_name(src), from[i], to[i] - 1, c->path);
            return NULL;
        }
    nr->y0 = nr->at = a;
    nr->y1 = b;
    return nr;
}

/* The native rows of a coarse source (or of an SCL stored as UInt16) over
 * grid rows [y0, y0 + nrows) and columns [x0, x0 + ncols); skip (NULL:
 * none) as read_native's, for the source's blocks from the block row that
 * holds grid row y0 (blocks_of, over the window).  *nat8: they are bytes
 * (a direct Byte SCL), else UInt16. */
static const nat_rows *reader_native(cw_reader *r, int src, int y0, int nrows, int x0, int ncols,
                                     uint8_t *skip, int *nat8)
{
    const cw_src *c = &r->s->src[src];
    const int f = c->factor;
    *nat8 = (r->direct & CW_SRC_BIT(src)) && GDALGetRasterDataType(r->band[src]) == GDT_Byte;
    if (skip && !memchr(skip, 1, blocks_of(c, (size_t)ncols, y0, nrows).n))
        skip = NULL; /* nothing to leave out: the rows kept from the last read serve; else they are
                        dropped after this read */
    int nx0, nn;
    native_cols(f, x0, ncols, &nx0, &nn);
    const nat_rows *nr =
        native_rows(r, src, y0 / f, (y0 + nrows - 1) / f + 1, nx0, nn, *nat8 ? GDT_Byte : GDT_UInt16, skip);
    if (nr && skip)
        r->nat[src].y0 = r->nat[src].y1 = 0;
    return nr;
}

/* A coarse UInt16 source's native row that holds grid row y, in nr. */
static const uint16_t *nat_row(const nat_rows *nr, const cw_src *c, int y)
{
    return (const uint16_t *)nr->p + (size_t)(y / c->factor - nr->at) * (size_t)nr->w;
}

/* Rows [y0, y0 + nrows) and columns [x0, x0 + ncols) of the grid (as
 * cw_reader_read) into out (nrows x ncols); skip as reader_native's. */
static int reader_read(cw_reader *r, int src, int y0, int nrows, int x0, int ncols, void *out, uint8_t *skip)
{
    const cw_src *c = &r->s->src[src];
    const int W = ncols, f = c->factor;
    const int is_scl = src == CW_SRC_SCL;
    const GDALDataType want = is_scl ? GDT_Byte : GDT_UInt16;
    const int px = is_scl ? 1 : 2;
    if (f == 1 && !(is_scl && GDALGetRasterDataType(r->band[src]) != GDT_Byte)) {
        if (read_native(r, src, y0, nrows, x0, ncols, out, want, skip))
            return cw_error_prefix("%s: reading rows %d..%d of %s failed", cw_src_name(src), y0, y0 + nrows - 1,
                                   c->path);
        return 0;
    }
    /* coarse band (or SCL stored as UInt16): native rows, then each native
     * pixel copied to its f x f grid pixels (nearest neighbour). */
    int nat8;
    const nat_rows *nr = reader_native(r, src, y0, nrows, x0, ncols, skip, &nat8);
    if (!nr)
        return -1;
    const int nw = nr->w, sx = x0 - nr->x0 * f; /* the window's first column in its first native pixel */
    for (int y = 0; y < nrows; y++) {
        const size_t row = (size_t)((y0 + y) / f - nr->at) * (size_t)nw;
        const uint16_t *in = (const uint16_t *)nr->p + row;
        if (y > 0 && (y0 + y) / f == (y0 + y - 1) / f) { /* same native row */
            memcpy((char *)out + (size_t)y * W * px, (char *)out + (size_t)(y - 1) * W * px, (size_t)W * px);
            continue;
        }
        if (nat8)
            EXPAND_ROW((uint8_t *)out + (size_t)y * W, (const uint8_t *)nr->p + row, sx, W, f, AS_IS);
        else if (is_scl)
            EXPAND_ROW((uint8_t *)out + (size_t)y * W, in, sx, W, f, CLAMP_U8);
        else
            ck_dn_expand(in, (size_t)sx, (size_t)W, f, (uint16_t *)out + (size_t)y * W);
    }
    return 0;
}

int cw_reader_read(cw_reader *r, int src, int y0, int nrows, void *out)
{
    return reader_read(r, src, y0, nrows, 0, r->s->width, out, NULL);
}

/* ------------------------------------------------------------ the driver */

typedef struct {
    cw_reader *rd;
    uint16_t *dnb[CK_NBANDS]; /* each requested 10 m band's DN */
    uint16_t *row;       /* one grid row of a coarse band's DN */
    float *fb[4];        /* fallback: B02..B04 and B11 (when present) reflectance over the window */
    uint16_t *dn;        /* fallback: one band's DN over the window */
    uint8_t *mask, *scl, *scratch, *tmpmask;
    uint8_t *wmask, *wscl; /* column windows: the mask over the SCL's window, the strip's SCL */
    uint8_t *skip;       /* skip_masked: the strip's blocks not decoded (read_native) */
    void *tls;
} thread_buf;

int cw_strip_uses_fallback(const cw_scene *s, const cw_strip_job *job)
{
    return job->mask == CW_MASK_SCL && !s->src[CW_SRC_SCL].present;
}

/* Every source the job reads: its bands, then SCL or the fallback's
 * visible bands for the mask. */
/* The sources the mask reads (over the strip's rows and a halo each side). */
static unsigned mask_sources(const cw_scene *s, const cw_strip_job *job, int fallback)
{
    if (job->mask != CW_MASK_SCL)
        return 0;
    return fallback ? CW_SRC_BIT(CK_B02) | CW_SRC_BIT(CK_B03) | CW_SRC_BIT(CK_B04) |
                          (s->src[CK_B11].present ? CW_SRC_BIT(CK_B11) : 0)
                    : CW_SRC_BIT(CW_SRC_SCL);
}

static unsigned job_sources(const cw_scene *s, const cw_strip_job *job, int fallback)
{
    unsigned srcs = 0;
    for (int i = 0; i < CK_NBANDS; i++)
        srcs |= (job->bands & CK_BAND_BIT(i)) ? CW_SRC_BIT(i) : 0;
    return srcs | mask_sources(s, job, fallback);
}

static void free_buf(const cw_strip_job *job, thread_buf *b)
{
    cw_reader_close(b->rd);
    for (int i = 0; i < CK_NBANDS; i++)
        free(b->dnb[i]);
    for (int i = 0; i < 4; i++)
        free(b->fb[i]);
    free(b->dn);
    free(b->row);
    free(b->mask);
    free(b->scl);
    free(b->scratch);
    free(b->tmpmask);
    free(b->wmask);
    free(b->wscl);
    free(b->skip);
    if (b->tls && job->tls_free)
        job->tls_free(job->ctx, b->tls);
    memset(b, 0, sizeof *b);
}

/* The SCL's window around columns [x0, x0 + w) of a w-wide window (the
 * mask's buffers reach `halo` columns beyond it), from an even column for
 * the 20 m sources: [*a, *b). */
static void scl_cols(const cw_scene *s, int x0, size_t w, int halo, int *a, int *b)
{
    *a = x0 - halo > 0 ? (x0 - halo) / 2 * 2 : 0;
    *b = x0 + (int)w + halo < s->width ? x0 + (int)w + halo : s->width;
}

/* Buffers of a thread for strips of `rows` rows and `cols` columns. */
static int alloc_buf(const cw_scene *s, const cw_strip_job *job, int rows, int cols, int halo, int fallback,
                     thread_buf *b)
{
    const int windowed = cols < s->width;
    /* the SCL's window: halo rows and (windowed) columns each side */
    const size_t W = (size_t)cols, win = (size_t)(rows + 2 * halo),
                 SW = windowed ? (size_t)(cols + 2 * halo + 1) : W;
    for (int i = 0; i < CK_NBANDS; i++)
        if ((job->bands & CK_BAND_BIT(i)) && s->src[i].factor == 1 &&
            !(b->dnb[i] = cw_big_malloc(W * rows * sizeof(uint16_t))))
            goto oom;
    if (!(b->row = malloc(W * sizeof(uint16_t))))
        goto oom;
    if (job->mask == CW_MASK_SCL) {
        if (fallback) {
            for (int i = 0; i < 4; i++)
                if (!(b->fb[i] = cw_big_malloc(SW * win * sizeof(float))))
                    goto oom;
            if (!(b->tmpmask = cw_big_malloc(SW * win)) ||
                !(b->dn = cw_big_malloc(SW * win * sizeof(uint16_t))))
                goto oom;
        }
        if (!(b->scl = cw_big_malloc(SW * win)) ||
            !(b->scratch = cw_big_malloc(ck_mask_scratch_size(SW, win))))
            goto oom;
        if (windowed && (!(b->wmask = cw_big_malloc(SW * rows)) || !(b->wscl = cw_big_malloc(W * rows))))
            goto oom;
    }
    if (!(b->mask = cw_big_malloc(W * rows)))
        goto oom;
    if (job->skip_masked) { /* the most blocks a strip of a band meets (blocks_of) */
        size_t nmax = 0;
        for (int i = 0; i < CK_NBANDS; i++)
            if (job->bands & CK_BAND_BIT(i)) {
                const cw_src *c = &s->src[i];
                const block_grid g = blocks_of(c, W, 0, rows);
                const size_t nb = g.n + (W + g.bw - 1) / g.bw; /* a strip can start inside a block row */
                nmax = nb > nmax ? nb : nmax;
            }
        if (!(b->skip = malloc(nmax ? nmax : 1)))
            goto oom;
    }
    if (!(b->rd = cw_reader_open(s, job_sources(s, job, fallback))))
        return -1;
    if (job->tls_init && !(b->tls = job->tls_init(job->ctx, W * rows)))
        return cw_error("out of memory for per-thread buffers");
    return 0;
oom:
    return cw_error("out of memory for strip buffers of %d rows; lower the memory budget or strip rows", rows);
}

/* The SCL mask of the strip (with its buffers) into b->mask, and st->scl:
 * from the SCL (or the fallback's classes) of the strip's rows and columns
 * and `halo` more each side. */
static int mask_strip(const cw_scene *s, const cw_strip_job *job, int halo, int fallback, thread_buf *b,
                      cw_strip *st)
{
    const size_t W = st->width;
    const int y0 = st->y0, n = st->nrows;
    const int wy0 = y0 - halo < 0 ? 0 : y0 - halo;
    const int wy1 = y0 + n + halo > s->height ? s->height : y0 + n + halo;
    int wx0 = 0, wx1 = s->width;
    if (W < (size_t)s->width)
        scl_cols(s, st->x0, W, halo, &wx0, &wx1);
    const size_t SW = (size_t)(wx1 - wx0), wpx = SW * (size_t)(wy1 - wy0);
    if (fallback) {
        const int swir = s->src[CK_B11].present;
        static const int fbands[4] = {CK_B02, CK_B03, CK_B04, CK_B11};
        for (int k = 0; k < 3 + swir; k++) {
            int band = fbands[k];
            if (reader_read(b->rd, band, wy0, wy1 - wy0, wx0, (int)SW, b->dn, NULL))
                return -1;
            ck_dn_to_reflectance(b->dn, wpx, s->src[band].conv, b->fb[k], b->tmpmask);
        }
        ck_pseudo_scl(b->fb[0], b->fb[1], b->fb[2], swir ? b->fb[3] : NULL, wpx, &fallback_params, b->scl);
    } else if (reader_read(b->rd, CW_SRC_SCL, wy0, wy1 - wy0, wx0, (int)SW, b->scl, NULL)) {
        return -1;
    }
    if (SW == W) { /* full rows */
        ck_mask_scl(&job->rules, b->scl, W, (size_t)(wy1 - wy0), (size_t)(y0 - wy0), (size_t)n, b->mask,
                    b->scratch);
        st->scl = b->scl + (size_t)(y0 - wy0) * W;
        return 0;
    }
    /* a window: the mask over the SCL's window, its columns OR-ed in */
    memset(b->wmask, 0, SW * (size_t)n);
    ck_mask_scl(&job->rules, b->scl, SW, (size_t)(wy1 - wy0), (size_t)(y0 - wy0), (size_t)n, b->wmask,
                b->scratch);
    const size_t dx = (size_t)(st->x0 - wx0);
    for (int y = 0; y < n; y++) {
        uint8_t *m = b->mask + (size_t)y * W;
        const uint8_t *wm = b->wmask + (size_t)y * SW + dx;
        for (size_t x = 0; x < W; x++)
            m[x] |= wm[x];
        memcpy(b->wscl + (size_t)y * W, b->scl + (size_t)(y0 - wy0 + y) * SW + dx, W);
    }
    st->scl = b->wscl;
    return 0;
}

/* skip: which of the blocks of a source over the strip's rows [y0, y0 + n)
 * (blocks_of) the strip's mask covers whole where they meet the strip, with
 * the no-data flag on all of those pixels or on none.  A band's DN 0 where
 * the SCL has a class comes at a swath's edge, where a 20 m SCL pixel lies
 * partly outside it: a block across that edge is decoded, so that its
 * pixels are flagged no data as the bands say. */
static void masked_blocks(const cw_src *c, const uint8_t *mask, size_t w, int y0, int n, uint8_t *skip)
{
    const block_grid g = blocks_of(c, w, y0, n);
    for (int by = g.top; by < y0 + n; by += g.bh)
        for (size_t x0 = 0; x0 < w; x0 += g.bw) {
            const size_t len = w - x0 < g.bw ? w - x0 : g.bw;
            const int r1 = by + g.bh < y0 + n ? by + g.bh : y0 + n;
            unsigned seen = 0, any = 0, all = CK_M_NODATA;
            for (int y = by > y0 ? by : y0; y < r1 && !seen; y++) {
                const uint8_t *m = mask + (size_t)(y - y0) * w + x0;
                for (size_t x = 0; x < len; x++) {
                    seen |= m[x] == 0;
                    any |= m[x];
                    all &= m[x];
                }
            }
            *skip++ = !seen && (!(any & CK_M_NODATA) || (all & CK_M_NODATA));
        }
}

/* ck_dn_mark_nodata over the strip's rows [y0, y0 + n) of a band (w
 * columns): its DN in the strip (dn), or a coarse band's native rows (nat,
 * nat_w DN each, from the one that holds row y0) a grid row at a time
 * through row; with skip (blocks_of, NULL: none), over the blocks that
 * were decoded only. */
static void mark_nodata(const cw_src *c, const uint16_t *dn, const uint16_t *nat, int nat_w, size_t w, int y0,
                        int n, const uint8_t *skip, uint16_t *row, uint8_t *mask)
{
    if (dn && !skip) {
        ck_dn_mark_nodata(dn, w * (size_t)n, mask);
        return;
    }
    const block_grid g = blocks_of(c, w, y0, n);
    const size_t ncol = (w + g.bw - 1) / g.bw;
    const int f = c->factor;
    for (int y = y0; y < y0 + n; y++) {
        const uint16_t *d = row;
        if (dn)
            d = dn + (size_t)(y - y0) * w;
        else if (y == y0 || y / f != (y - 1) / f)
            ck_dn_expand(nat + (size_t)(y / f - y0 / f) * (size_t)nat_w, 0, w, f, row);
        uint8_t *m = mask + (size_t)(y - y0) * w;
        if (!skip) {
            ck_dn_mark_nodata(d, w, m);
            continue;
        }
        const uint8_t *sk = skip + (size_t)((y - g.top) / g.bh) * ncol;
        for (size_t bx = 0; bx < ncol; bx++)
            if (!sk[bx]) {
                const size_t x0 = bx * g.bw;
                ck_dn_mark_nodata(d + x0, w - x0 < g.bw ? w - x0 : g.bw, m + x0);
            }
    }
}

/* Read and mask one strip into b; fill st.  The mask comes first: with
 * job->skip_masked the blocks of a full-resolution band that it masks
 * whole are not decoded, their DN are 0 and not taken for no data (the
 * mask says why they are not seen already). */
static int load_strip(const cw_scene *s, const cw_strip_job *job, int halo, int fallback, thread_buf *b,
                      cw_strip *st)
{
    const size_t W = st->width;
    const int y0 = st->y0, n = st->nrows, x0 = st->x0;
    const size_t npx = W * (size_t)n;
    const int skipping = job->skip_masked && job->mask == CW_MASK_SCL && !fallback;
    memset(b->mask, 0, npx);
    st->scl = NULL;
    /* the mask first: the fallback's B11 is read over the SCL's window,
     * the band's own rows (st->nat) over the strip's after it */
    if (job->mask == CW_MASK_SCL && mask_strip(s, job, halo, fallback, b, st))
        return -1;
    for (int i = 0; i < CK_NBANDS; i++) {
        if (!(job->bands & CK_BAND_BIT(i)))
            continue;
        const cw_src *c = &s->src[i];
        const size_t nb = blocks_of(c, W, y0, n).n;
        uint8_t *skip = NULL;
        if (skipping && c->block_w > 0 && c->block_h > 0) {
            skip = b->skip;
            masked_blocks(c, b->mask, W, y0, n, skip);
        }
        const nat_rows *nr = NULL;
        int nat8;
        if (c->factor == 1 ? reader_read(b->rd, i, y0, n, x0, (int)W, b->dnb[i], skip) != 0
                           : !(nr = reader_native(b->rd, i, y0, n, x0, (int)W, skip, &nat8)))
            return -1;
        if (skip && !memchr(skip, 1, nb))
            skip = NULL; /* every block decoded */
        if (nr)
            mark_nodata(c, NULL, nat_row(nr, c, y0), nr->w, W, y0, n, skip, b->row, b->mask);
        else
            mark_nodata(c, b->dnb[i], NULL, 0, W, y0, n, skip, NULL, b->mask);
        st->dn[i] = b->dnb[i];
        st->conv[i] = s->src[i].conv;
    }
    for (int i = 0; i < CK_NBANDS; i++) /* where the coarse bands' rows are */
        if ((job->bands & CK_BAND_BIT(i)) && s->src[i].factor > 1) {
            const nat_rows *nr = &b->rd->nat[i];
            st->nat[i] = nat_row(nr, &s->src[i], y0);
            st->nat_w[i] = nr->w;
            st->factor[i] = s->src[i].factor;
        }
    st->mask = b->mask;
    return 0;
}

const uint16_t *cw_strip_dn(const cw_strip *st, int band, size_t off, size_t n, uint16_t *buf)
{
    if (st->dn[band])
        return st->dn[band] + off;
    const size_t W = st->width;
    const int f = st->factor[band], r0 = st->y0 / f;
    for (size_t done = 0; done < n;) {
        const size_t y = (off + done) / W, x = (off + done) % W, len = W - x < n - done ? W - x : n - done;
        const uint16_t *in = st->nat[band] + (size_t)((st->y0 + (int)y) / f - r0) * (size_t)st->nat_w[band];
        ck_dn_expand(in, x, len, f, buf + done);
        done += len;
    }
    return buf;
}

void cw_strip_refl_chunk(const cw_strip *st, size_t off, size_t n, float *const *buf, const float **refl)
{
    for (int b = 0; b < CK_NBANDS; b++) {
        refl[b] = NULL;
        if (st->dn[b]) {
            ck_dn_to_reflectance(st->dn[b] + off, n, st->conv[b], buf[b], NULL);
        } else if (st->nat[b]) { /* a coarse band, a cache-sized piece at a time */
            uint16_t dn[1024];
            for (size_t i = 0; i < n; i += 1024) {
                const size_t len = n - i < 1024 ? n - i : 1024;
                ck_dn_to_reflectance(cw_strip_dn(st, b, off + i, len, dn), len, st->conv[b], buf[b] + i, NULL);
            }
        } else {
            continue;
        }
        refl[b] = buf[b];
    }
}

/* Bytes a strip takes per grid pixel: its mask, the job's own scratch,
 * every requested band (a coarse band's native rows: 2 / f^2 bytes a
 * pixel, counted as 1), the SCL and its fallback's planes. */
static size_t strip_bytes_per_px(const cw_scene *s, const cw_strip_job *job)
{
    size_t per_px = 1 + job->tls_bytes_per_px;
    for (int i = 0; i < CK_NBANDS; i++)
        per_px += (job->bands & CK_BAND_BIT(i)) ? (s->src[i].factor == 1 ? 2 : 1) : 0;
    if (job->mask == CW_MASK_SCL)
        per_px += 3 + (cw_strip_uses_fallback(s, job) ? 19 : 0);
    return per_px;
}

static size_t budget_of(const cw_strip_job *job)
{
    return job->mem_budget ? job->mem_budget : cw_mem_auto();
}

/* The least multiple of the quantum that covers whole block rows of every
 * full-resolution input. */
static int block_rows(const cw_scene *s, const cw_strip_job *job, unsigned srcs)
{
    const int q = job->quantum > 0 ? job->quantum : 1;
    int want = q;
    for (int i = 0; i < CW_NSRC; i++) {
        if (!(srcs & CW_SRC_BIT(i)) || s->src[i].factor > 1)
            continue;
        int br = s->src[i].block_h;
        if (br > 0 && br <= 4096)
            while (want % br != 0 && want < 4096)
                want += q;
    }
    return want;
}

/* rows as a strip height: a multiple of the quantum, at least one, no more
 * than the grid needs. */
static int quantum_rows(const cw_scene *s, const cw_strip_job *job, int rows)
{
    const int q = job->quantum > 0 ? job->quantum : 1;
    rows = (rows / q) * q;
    if (rows < q)
        rows = q;
    if (rows > s->height)
        rows = ((s->height + q - 1) / q) * q;
    return rows;
}

/* Strip height: a multiple of the quantum that also covers whole block
 * rows of every full-resolution input (so none of their blocks is decoded
 * twice), as small as that, and shrunk to the memory budget if needed.
 * Larger strips do not decode faster; they only cost memory, fresh pages
 * and load balance.  A coarse (20 m) block row spans two such strips,
 * mostly taken by two threads at once: they share its blocks, each decoded
 * once (blk_cache; strips twice as tall, or one thread taking both, were
 * measured slower).  A coarse band costs a strip its native rows only. */
static int pick_rows(const cw_scene *s, const cw_strip_job *job, unsigned srcs, int nthreads, int halo,
                     int cols)
{
    int rows = job->strip_rows;
    if (rows <= 0) {
        const int want = block_rows(s, job, srcs);
        size_t share = budget_of(job) / (size_t)nthreads;
        share = share > job->tls_bytes_fixed ? share - job->tls_bytes_fixed : 0;
        size_t fit = share / ((size_t)cols * strip_bytes_per_px(s, job));
        fit = fit > (size_t)2 * halo ? fit - (size_t)2 * halo : 0;
        rows = (size_t)want <= fit ? want : (int)fit;
    }
    return quantum_rows(s, job, rows);
}

/* Least common multiple, 0 beyond `cap`. */
static long lcm_cap(long a, long b, long cap)
{
    long x = a, y = b;
    while (y) {
        const long t = x % y;
        x = y;
        y = t;
    }
    const long m = a / x * b;
    return m <= cap ? m : 0;
}

/* The width of the strips' column windows (cw_strip_job.windows): whole
 * blocks of every source (a block is decoded by one window; the SCL's
 * halo columns come from the shared blocks, or from GDAL's cache), whole
 * quanta (a job's output tiles) and the job's own unit, the least such above
 * CW_WINDOW_COLS; the grid's width when the job takes none, when strips
 * are taller than one quantum (its outputs would not be written in
 * row-major order), when a source is not in blocks, or the grid is not
 * wider. */
static int pick_cols(const cw_scene *s, const cw_strip_job *job, unsigned srcs)
{
    const int q = job->quantum > 0 ? job->quantum : 1;
    if (job->windows <= 0 ||
        quantum_rows(s, job, job->strip_rows > 0 ? job->strip_rows : block_rows(s, job, srcs)) != q)
        return s->width; /* strips taller than a quantum, whatever the budget */
    long unit = lcm_cap(q, job->windows, 8192);
    for (int i = 0; i < CW_NSRC && unit; i++) {
        const cw_src *c = &s->src[i];
        if (!(srcs & CW_SRC_BIT(i)))
            continue;
        unit =
            c->block_w > 0 && c->block_w < c->nat_w ? lcm_cap(unit, (long)c->block_w * c->factor, 8192) : 0;
    }
    if (!unit)
        return s->width;
    const char *hook = getenv("CHAKRAWATCH_WINDOW_COLS"); /* test hook: narrower windows */
    long cols = hook && atol(hook) > 0 ? atol(hook) : CW_WINDOW_COLS;
    cols = (cols + unit - 1) / unit * unit;
    return cols < s->width ? (int)cols : s->width;
}

static int halo_of(const cw_strip_job *job)
{
    if (job->mask != CW_MASK_SCL)
        return 0;
    return job->rules.cloud_r > job->rules.shadow_r ? job->rules.cloud_r : job->rules.shadow_r;
}

cw_strip_plan cw_strip_plan_for(const cw_scene *s, const cw_strip_job *job, int *over)
{
    const int want = job->threads > 0 ? job->threads : cw_omp_threads(), halo = halo_of(job);
    cw_strip_plan p;
    const unsigned srcs = job_sources(s, job, cw_strip_uses_fallback(s, job));
    p.cols = pick_cols(s, job, srcs);
    p.rows = pick_rows(s, job, srcs, want, halo, p.cols);
    p.thread_bytes = job->tls_bytes_fixed +
                     (size_t)p.cols * (size_t)(p.rows + 2 * halo) * strip_bytes_per_px(s, job) +
                     (shared_bytes(s, srcs) + (size_t)want - 1) / (size_t)want;
    const size_t fit = budget_of(job) / p.thread_bytes;
    p.threads = fit < 1 ? 1 : fit < (size_t)want ? (int)fit : want;
    const int nstrips = (s->height + p.rows - 1) / p.rows * ((s->width + p.cols - 1) / p.cols);
    if (p.threads > nstrips)
        p.threads = nstrips;
    if (over)
        *over = fit < 1;
    return p;
}

/* When the last of n strips is committed, in strips' time, if each of T
 * threads takes `turn` consecutive strips in OpenMP's static order and
 * commits them in order (a strip's commit waits for the one before). */
static int strips_makespan(int n, int T, int turn)
{
    int clock[64] = {0}, done = 0; /* when each thread is free; the last commit */
    for (int j = 0; j < n; j++) {
        int *c = &clock[j / turn % T];
        *c = *c + 1 > done ? *c + 1 : done;
        done = *c;
    }
    return done;
}

/* Consecutive strips a thread takes (OpenMP's static chunk): as many as a
 * block row of a source spans at most, when that is a whole number of
 * strips (a 20 m band's 512-row blocks span two 512-row strips of the
 * 10 m grid; a .SAFE's 1024-row JPEG2000 tiles of a 20 m band, two strips
 * of 1024), so that one thread reads the block row for both (GDAL's block
 * cache keeps what is read through GDAL for the thread's next strip; a
 * direct source's blocks are shared by the threads anyway, blk_cache),
 * instead of two threads decoding it each.  Only where that costs no
 * time: the threads after the first wait a turn for the first commits, and
 * turns may split the strips less evenly (22 strips in turns of 2 on 2
 * threads end a strip later than one at a time; 11 do not). */
static int strips_per_turn(const cw_scene *s, unsigned srcs, int rows, int nstrips, int nthreads)
{
    int k = 1;
    for (int i = 0; i < CW_NSRC; i++) {
        const cw_src *c = &s->src[i];
        const long span = (long)c->block_h * c->factor; /* grid rows of a block row */
        if ((srcs & CW_SRC_BIT(i)) && c->block_h > 0 && span > rows && span % rows == 0 && span / rows > k)
            k = (int)(span / rows);
    }
    if (k > 4 || nthreads > 64 || strips_makespan(nstrips, nthreads, k) > strips_makespan(nstrips, nthreads, 1))
        return 1;
    return k;
}

/* "label: 0...10...20...30" for done of n strips. */
static void progress_line(const char *label, int done, int n)
{
    char b[64] = "";
    const int pct = (int)(100L * done / n);
    for (int t = 0; t <= pct && t <= 100; t += 10) {
        size_t l = strlen(b);
        snprintf(b + l, sizeof b - l, t ? "...%d" : "%d", t);
    }
    fprintf(stderr, "\r%s: %s", label, b);
}

int cw_strip_run(const cw_scene *s, const cw_strip_job *job, cw_strip_plan *plan)
{
    static int warned; /* the budget's warning, once a process (the main thread runs the jobs) */
    const int fallback = cw_strip_uses_fallback(s, job), halo = halo_of(job);
    const unsigned srcs = job_sources(s, job, fallback);
    int over;
    const cw_strip_plan pl = cw_strip_plan_for(s, job, &over);
    const int rows = pl.rows, cols = pl.cols, nwin = (s->width + cols - 1) / cols;
    const int nstrips = (s->height + rows - 1) / rows * nwin; /* strips' windows, row by row */
    const int nthreads = pl.threads;
    if (over && !warned) { /* the operator's concern, not the night's report's: not captured */
        warned = 1;
        const int cap = cw_warn_capturing(0);
        cw_warn("memory budget of %zu MB is less than one thread needs for this %d-pixel-wide scene "
                "(about %zu MB): running one thread ([job] memory_mb; --memory-mb for indices and info)",
                budget_of(job) >> 20, s->width, pl.thread_bytes >> 20);
        cw_warn_capturing(cap);
    }
    char wins[64] = "";
    if (nwin > 1)
        snprintf(wins, sizeof wins, " in %d windows of %d columns", nwin, cols);
    cw_info("%s: strips of %d rows%s, %d thread(s), about %zu MB of buffers each, memory budget %zu MB",
            job->label ? job->label : "pass", rows, wins, nthreads, pl.thread_bytes >> 20,
            budget_of(job) >> 20);
    /* windows: a thread's next one is beside, not below: nothing to keep */
    const int turn = nwin > 1 ? 1 : strips_per_turn(s, srcs, rows, nstrips, nthreads);
    if (plan)
        *plan = pl;
    const int tty = job->label && isatty(2);

    int failed = 0;
    char first_err[2048] = "";
    long decoded[CW_NSRC] = {0};
    const unsigned halo_srcs = mask_sources(s, job, fallback);
    /* in turns of several strips a thread reads a block row for all of them
     * and keeps it (native_rows): nothing to share, and shared rows would
     * stay while the thread works through the first strip */
    blk_cache *shared = turn == 1 ? shared_new(s, srcs, halo_srcs, rows, nwin, halo) : NULL;
    thread_buf *bufs = calloc((size_t)nthreads, sizeof *bufs);
    if (!bufs) {
        shared_free(shared);
        return cw_error("out of memory");
    }

#pragma omp parallel num_threads(nthreads)
    {
        const int t = cw_omp_thread_num();
        thread_buf *b = &bufs[t];
        int my_fail = alloc_buf(s, job, rows, cols, halo, fallback, b);
        if (b->rd)
            b->rd->shared = shared;
        if (my_fail) {
#pragma omp critical(cw_strip_err)
            {
                if (!first_err[0])
                    cw_strlcpy(first_err, cw_errmsg(), sizeof first_err);
#pragma omp atomic write
                failed = 1;
            }
        }
#pragma omp barrier
#pragma omp for ordered schedule(static, turn)
        for (int k = 0; k < nstrips; k++) {
            cw_strip st;
            memset(&st, 0, sizeof st);
            st.index = k;
            st.nstrips = nstrips;
            st.y0 = k / nwin * rows;
            st.nrows = st.y0 + rows > s->height ? s->height - st.y0 : rows;
            st.x0 = k % nwin * cols;
            st.width = (size_t)(st.x0 + cols > s->width ? s->width - st.x0 : cols);
            st.thread = t;
            int ok = 0;
            int f;
#pragma omp atomic read
            f = failed;
            if (!f) {
                ok = load_strip(s, job, halo, fallback, b, &st) == 0;
                shared_strip_done(shared, s, halo_srcs, st.y0, st.nrows, halo);
                ok = ok && (!job->work || job->work(job->ctx, &st, b->tls) == 0);
            }
#pragma omp ordered
            {
                /* `failed` is only written here (and before the loop, under
                 * the critical section), read atomically elsewhere */
                int fl;
#pragma omp atomic read
                fl = failed;
                if (!fl && ok && job->commit && job->commit(job->ctx, &st, b->tls) != 0)
                    ok = 0;
                if (!fl && !ok) {
                    cw_strlcpy(first_err, cw_errmsg(), sizeof first_err);
#pragma omp atomic write
                    failed = 1;
                    fl = 1;
                }
                if (tty && !fl) /* GDAL's convention, 0...10...20...: on a terminal only, erased at the end */
                    progress_line(job->label, k + 1, nstrips);
            }
        }
        for (int i = 0; b->rd && i < CW_NSRC; i++)
#pragma omp atomic
            decoded[i] += b->rd->decoded[i];
        free_buf(job, b);
    }
    if (tty)
        fputs("\r\033[K", stderr); /* leaves no text behind */
    free(bufs);
    shared_free(shared);
    if (getenv("CHAKRAWATCH_COUNT_BLOCKS")) { /* test hook: the blocks decoded, by source */
        fputs("blocks decoded:", stderr);
        for (int i = 0; i < CW_NSRC; i++)
            if (srcs & CW_SRC_BIT(i))
                fprintf(stderr, " %s %ld", cw_src_name(i), decoded[i]);
        fputc('\n', stderr);
    }
    if (failed)
        return cw_error("%s", first_err);
    return 0;
}
