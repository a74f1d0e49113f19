/*
 * cw_monitor.c - one scene's pass over a tile's state (see cw_monitor.h).
 * Runs once per new scene per tile every night; the per-pixel work is in
 * the kernels, this file moves chunks between files, threads and kernels.
 */
#include "monitor/cw_monitor.h"
#include "ck_indices.h"
#include "ck_quality.h"
#include "ingest/cw_gtiff.h"
#include "ck_preview.h"
#include "cw_util.h"

#include <cpl_string.h>
#include <gdal.h>
#include <unistd.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

enum { IX_NDVI, IX_NBR, IX_BSI, IX_WATER, IX_N };
/* the indices whose bands the planes need (the water index: MNDWI's, NDVI's B08 for its NDWI) */
static const char *ix_names[IX_N] = {"ndvi", "nbr", "bsi", "mndwi"};

#define SUB_PX CW_STATE_COLS /* indices are made a chunk's row at a time, their DN in cache */
#define SHIFT_STEP 8  /* misregistration is measured on every 8th row */
/* pixels beside a chunk the river margins look at (riparian_px <= 50, river_width_px <= 15) */
#define HALO_MAX 64
/* The neighbourhoods of an observation (the suspect margin around a pixel
 * that failed a temporal test, the 3 x 3 minimum of the expectation, the
 * misregistration's shifts) look across chunks but stop at the edges of
 * the grid's blocks of BLOCK_ROWS rows and of the state's chunk columns
 * (cw_state_cols()): strips are whole blocks of rows (the strip driver's
 * quantum) and column windows whole chunk columns, so what a pixel sees
 * does not depend on the strips' height or the windows' width, which
 * follow the inputs' blocks.
 * The river margins (once per reference period) and the pixels next to a
 * chakra see across every edge. */
#define BLOCK_ROWS CW_STATE_BAND /* the pass appends the state's chunks in the bands' order */
#define CHUNK_PX (CW_STATE_ROWS * CW_STATE_COLS)

typedef struct {
    cw_pass *p;
    const ck_index_desc *ix[IX_N];
    cw_state_file *in[CW_ST_NKINDS];
    cw_state_writer *out[CW_ST_NKINDS];
    cw_raster_out *obs; /* the observation record, NULL = none */
    long fault_at; /* test hook: SIGKILL at this commit (0 = never) */
    int no_copy;   /* test hook: every chunk compressed, none copied (chunk_kept) */
    int skip_masked; /* cw_strip_job.skip_masked: nor is an overcast chunk observed (chunk_read) */
    int ahead;     /* chunks read ahead of the one finished: the rows its neighbourhoods look at */
    int scols, ncx; /* the state's chunk columns (cw_state_cols()), and how many in the grid */
    int cols;       /* the widest strip (cw_strip_plan.cols: a column window, or the grid) */
    /* the preview (cw_pass.preview_path): cells of f x f, pw x ph of them */
    int pf, pw, ph;
    uint32_t *psum[CK_PREVIEW_BANDS], *pcnt;
} pass_ctx;

/* A column of a strip's chunks: rows [y0, y0 + nrows) of one block of
 * BLOCK_ROWS, columns [x0, x0 + cols) of one chunk column. */
typedef struct {
    const cw_strip *st;
    int y0, nrows, x0, cols;
} column_t;

/* One state chunk of a column, as the pass sees it. */
typedef struct {
    int cy, rows, cx, cols, local; /* first grid row, rows, first grid column, columns, index in the column */
    int id;                        /* the chunk's index in the state files (cw_state_chunk_rect) */
    size_t n;                      /* pixels, rows x cols */
    const uint8_t *mask;           /* the SCL mask of these pixels */
    int overcast;                  /* none of them can be seen clear (cloud, shadow, no data) */
    int observed;                  /* their indices and temporal tests are computed (not when overcast) */
    size_t events;                 /* pixels with an open event or a new anomaly (ck_change_update) */
} chunk_t;

/* A chunk in flight: its state read, its pixels observed and tested
 * (chunk_read), until the chunks after it that its neighbourhoods look at
 * are too and it is finished (chunk_finish). */
typedef struct {
    chunk_t k;
    uint8_t *buf[CW_ST_NKINDS]; /* its state, plane-major */
    uint8_t *mask;              /* its pixels' SCL mask, from the strip's */
    float *ix[IX_N];
    int16_t *obs16[3]; /* B02, B08, B11, x 10000 */
    int16_t *exp_nbr;  /* the baseline's NBR expected on the scene's day */
} chunk_slot;

typedef struct {
    cw_state_io *io;
    chunk_slot *slot; /* ctx->ahead + 1 of them, chunk j of the column in slot j % nslot */
    int nslot;
    /* what the neighbours of a chunk's pixels look at, chunk j's rows at
     * ring_at(j): a ring of 2 x ahead + 1 chunks of the column, the chunk
     * being finished with `ahead` chunks before it and the `ahead` read
     * after it */
    int nring;
    uint8_t *qraw;     /* the temporal tests' flags, before the suspect margin */
    int16_t *exp_ndvi; /* the baseline NDVI expected on the scene's day */
    int16_t *expwin;   /* a chunk's rows of exp_ndvi and one beside, in a row */
    /* scratch of the steps of a chunk: */
    uint16_t *dnp;          /* SUB_PX DN of each coarse band on the grid */
    uint16_t *dn;           /* a grid row of each preview band */
    uint8_t *chakra, *flag;
    uint8_t *qmask;          /* SCL mask | temporal-test flags */
    uint8_t *qwin, *qs1, *qs2; /* the chunk's rows of qraw and those of the suspect margin beside, scratch */
    int16_t *min3, *min3_tmp;  /* 3 x 3 minimum of the expected NDVI over the chunk's rows and one beside */
    uint8_t *scr1, *scr3;      /* scratch (scr3: the river margins' 3 planes over their frame) */
    uint8_t *counts,
        *frame; /* finalize: a neighbouring chunk's counts; the reference's water around a chunk */
    uint64_t q[3];           /* this strip's haze, fringe, suspect pixels */
    uint64_t shift_acc[CK_SHIFT_N], shift_cnt[CK_SHIFT_N]; /* this strip's misregistration costs */
    uint64_t *aoi_clear, *aoi_never;
    cw_px_vec flagged;
    uint8_t *cells; /* cell rows of this strip */
    int cell_y0, cell_rows;
    int *ids, nids;    /* the strip's chunks in the order they were finished (their compressed frames' io
                          slots), until its commit */
    cw_pixel_stats ps; /* this strip's, added in order by the commit */
    uint8_t *rec;      /* the strip's observation record, output tiles (cw_gtiff.h) */
    cw_tile_enc *rec_enc; /* ... compressed by this thread */
    uint32_t *psum[CK_PREVIEW_BANDS], *pcnt; /* the strip's preview cell rows, from pcy0 */
    int pcy0, prows; /* the strip's first cell row and how many it touches */
    uint8_t *prow; /* one grid row of observation flags */
} pass_tls;

static long commits_done; /* across passes of the run, for the fault hook */

static int vec_push(cw_px_vec *v, const cw_px *x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 4096;
        cw_px *np = realloc(v->p, cap * sizeof *np);
        if (!np)
            return cw_error("out of memory (flagged pixels)");
        v->p = np;
        v->cap = cap;
    }
    v->p[v->n++] = *x;
    return 0;
}

static void tls_free(void *ctx, void *p)
{
    (void)ctx;
    pass_tls *t = p;
    if (!t)
        return;
    cw_state_io_free(t->io);
    for (int j = 0; t->slot && j < t->nslot; j++) {
        chunk_slot *sl = &t->slot[j];
        for (int k = 0; k < CW_ST_NKINDS; k++)
            free(sl->buf[k]);
        for (int k = 0; k < IX_N; k++)
            free(sl->ix[k]);
        for (int k = 0; k < 3; k++)
            free(sl->obs16[k]);
        free(sl->exp_nbr);
        free(sl->mask);
    }
    free(t->slot);
    free(t->qraw);
    free(t->exp_ndvi);
    free(t->expwin);
    free(t->dnp);
    free(t->chakra);
    free(t->flag);
    free(t->dn);
    free(t->qmask);
    free(t->qwin);
    free(t->qs1);
    free(t->qs2);
    free(t->min3);
    free(t->min3_tmp);
    free(t->scr1);
    free(t->scr3);
    free(t->counts);
    free(t->frame);
    free(t->aoi_clear);
    free(t->aoi_never);
    free(t->flagged.p);
    free(t->cells);
    free(t->ids);
    free(t->rec);
    cw_tile_enc_free(t->rec_enc);
    for (int b = 0; b < CK_PREVIEW_BANDS; b++)
        free(t->psum[b]);
    free(t->pcnt);
    free(t->prow);
    free(t);
}

/* Whether the pass reads or writes kind s of the state (chunk_read). */
static int kind_used(const pass_ctx *c, int s)
{
    const cw_pass *p = c->p;
    return c->in[s] != NULL || p->out_path[s][0] || (s == CW_ST_BASE && p->mode == CW_PASS_MONITOR);
}

/* Rows of the suspect margin (cw_config bounds it). */
static int suspect_rows(const cw_pass *p)
{
    const int r = p->cfg->det.quality.suspect_px;
    return r > 0 ? r : 0;
}

/* The baseline water's margins as configured. */
static ck_river_px river_px(const cw_pass *p)
{
    return (ck_river_px){.bank = p->cfg->det.bank_px,
                         .stream = (int)p->cfg->stream_px,
                         .riparian = (int)p->cfg->riparian_px,
                         .core = (int)(p->cfg->river_width_px - 1) / 2};
}

/* Pixels of the river margins the finalize pass looks at beside a chunk
 * (cw_config bounds them). */
static int river_rows(const cw_pass *p)
{
    const ck_river_px r = river_px(p);
    int R = 2 * r.core + r.riparian;
    R = r.bank > R ? r.bank : R;
    R = r.stream > R ? r.stream : R;
    return R < 0 ? 0 : R < HALO_MAX ? R : HALO_MAX;
}

/* The finalize pass's frame of the river margins around a chunk. */
#define FRAME_PX ((size_t)(CW_STATE_ROWS + 2 * HALO_MAX) * (CW_STATE_COLS + 2 * HALO_MAX))

/* The per-thread buffers of a pass that do not grow with the strip, in one
 * place: allocated into t, or with t NULL only counted.  *touched: the bytes
 * the pass touches of them (a kind's chunk buffers only where the pass uses
 * that kind: untouched pages take no memory), for the strip driver's
 * memory budget.  -1: out of memory. */
static int fixed_buffers(const pass_ctx *c, pass_tls *t, size_t *touched)
{
    const cw_pass *p = c->p;
    const size_t W = CW_STATE_COLS, cpx = CHUNK_PX;
    const size_t ring = (size_t)(2 * c->ahead + 1) * cpx,
                 win = W * (size_t)(CW_STATE_ROWS + 2 * suspect_rows(p)), mwin = W * (CW_STATE_ROWS + 2),
                 near = (CW_STATE_ROWS + 2) * (W + 2);
    const int finalize = p->mode == CW_PASS_FINALIZE;
    *touched = 0;
#define TAKE(field, bytes, used)                                                                                   \
    do {                                                                                                           \
        const size_t b_ = (bytes);                                                                                 \
        *touched += (used) ? b_ : 0;                                                                               \
        if (t && !((field) = cw_big_malloc(b_)))                                                                   \
            return -1;                                                                                             \
    } while (0)
    for (int j = 0; j < c->ahead + 1; j++) { /* the slots: state, mask, indices, 3 bands, the expected NBR */
        chunk_slot *sl = t ? &t->slot[j] : NULL;
        for (int k = 0; k < CW_ST_NKINDS; k++)
            TAKE(sl->buf[k], cpx * cw_state_bpp((cw_state_kind)k), kind_used(c, k));
        TAKE(sl->mask, cpx, 1);
        for (int k = 0; k < IX_N; k++)
            TAKE(sl->ix[k], cpx * sizeof(float), 1);
        for (int k = 0; k < 3; k++)
            TAKE(sl->obs16[k], cpx * 2, 1);
        TAKE(sl->exp_nbr, cpx * 2, 1);
    }
    TAKE(t->qraw, ring, 1); /* the ring */
    TAKE(t->exp_ndvi, ring * 2, 1);
    TAKE(t->chakra, near, 1); /* and the pixels around */
    TAKE(t->scr1, near, 1);
    TAKE(t->flag, 2 * cpx, 1);
    TAKE(t->qmask, cpx, 1);
    TAKE(t->qwin, win, 1); /* the suspect margin's window */
    TAKE(t->qs1, win, 1);
    TAKE(t->qs2, win, 1);
    TAKE(t->expwin, mwin * 2, 1); /* the expectation's window, its minimum and scratch */
    TAKE(t->min3, mwin * 2, 1);
    TAKE(t->min3_tmp, mwin * 2, 1);
    if (finalize) { /* the river margins */
        TAKE(t->counts, 2 * cpx, 1);
        TAKE(t->frame, FRAME_PX, 1);
        TAKE(t->scr3, 3 * FRAME_PX, 1);
    }
#undef TAKE
    return 0;
}

static size_t tls_fixed_bytes(const pass_ctx *c)
{
    size_t b;
    fixed_buffers(c, NULL, &b);
    return b;
}

static void *tls_init(void *ctx, size_t max_px)
{
    pass_ctx *c = ctx;
    const cw_pass *p = c->p;
    const size_t W = (size_t)c->cols; /* the widest strip */
    const int max_rows = (int)(max_px / W);
    pass_tls *t = calloc(1, sizeof *t);
    if (!t || !(t->io = cw_state_io_new()))
        goto fail;
    t->nslot = c->ahead + 1;
    t->nring = 2 * c->ahead + 1;
    size_t touched;
    if (!(t->slot = calloc((size_t)t->nslot, sizeof *t->slot)) || fixed_buffers(c, t, &touched))
        goto fail;
    for (int j = 0; j < t->nslot; j++) /* an overcast chunk leaves its indices as they were */
        for (int k = 0; k < IX_N; k++)
            memset(t->slot[j].ix[k], 0, CHUNK_PX * sizeof(float));
    if (!(t->dnp = malloc(CK_NBANDS * SUB_PX * sizeof(uint16_t))) ||
        !(t->dn = malloc(CK_PREVIEW_BANDS * W * sizeof(uint16_t))))
        goto fail;
    size_t na = (size_t)(p->ag->n ? p->ag->n : 1);
    t->cell_rows = max_rows / CW_WATER_CELL + 2;
    const size_t nids = (size_t)(max_rows / CW_STATE_ROWS + 1) * (W / (size_t)c->scols + 1);
    if (!(t->aoi_clear = calloc(na, 8)) || !(t->aoi_never = calloc(na, 8)) ||
        !(t->cells = calloc((size_t)t->cell_rows * (size_t)p->cells_w, 1)) ||
        !(t->ids = malloc(nids * sizeof(int))))
        goto fail;
    if (c->obs && (!(t->rec = cw_big_malloc(cw_tiles_pixels((int)W, max_rows))) ||
                   !(t->rec_enc = cw_tile_enc_new(c->obs, (int)W, max_rows))))
        goto fail;
    if (c->pf) { /* a strip touches at most max_rows / f + 2 cell rows */
        size_t pn = (size_t)(max_rows / c->pf + 2) * (size_t)c->pw;
        for (int b = 0; b < CK_PREVIEW_BANDS; b++)
            if (!(t->psum[b] = malloc(pn * 4)))
                goto fail;
        if (!(t->pcnt = malloc(pn * 4)) || !(t->prow = malloc(W)))
            goto fail;
    }
    return t;
fail:
    tls_free(ctx, t);
    return NULL;
}

/* Rows [*y0, *y1) of the grid that the neighbourhoods of a chunk's rows
 * look at: r rows each side, within its block of BLOCK_ROWS. */
static void block_window(const chunk_t *k, int r, int height, int *y0, int *y1)
{
    const int b0 = k->cy / BLOCK_ROWS * BLOCK_ROWS, b1 = b0 + BLOCK_ROWS < height ? b0 + BLOCK_ROWS : height;
    *y0 = k->cy - r > b0 ? k->cy - r : b0;
    *y1 = k->cy + k->rows + r < b1 ? k->cy + k->rows + r : b1;
}

/* Where the ring planes keep chunk j of the column (pixels). */
static size_t ring_at(const pass_tls *t, int j)
{
    return (size_t)(j % t->nring) * CHUNK_PX;
}

/* Grid rows [y0, y1) of the column from a ring plane (el bytes a pixel)
 * into out, in a row: their chunks are those the ring holds. */
static void ring_rows(const pass_tls *t, const column_t *col, const void *ring, size_t el, int y0, int y1,
                      void *out)
{
    const size_t W = (size_t)col->cols;
    for (int y = y0; y < y1;) {
        const int j = (y - col->y0) / CW_STATE_ROWS, r = (y - col->y0) % CW_STATE_ROWS;
        const int e = col->y0 + (j + 1) * CW_STATE_ROWS < y1 ? col->y0 + (j + 1) * CW_STATE_ROWS : y1;
        memcpy((uint8_t *)out + (size_t)(y - y0) * W * el,
               (const uint8_t *)ring + (ring_at(t, j) + (size_t)r * W) * el, (size_t)(e - y) * W * el);
        y = e;
    }
}

/* The chunk's mask after the temporal tests against each pixel's last
 * clear observation (haze, shadow fringe, and pixels within the suspect
 * margin of them, the rows of the chunks beside it in its block included);
 * the strip's counts of each. */
static const uint8_t *quality_mask(const cw_pass *p, pass_tls *t, const column_t *col, const chunk_t *k)
{
    if (!k->observed) { /* no pixel is clear: the flags would all go */
        memcpy(t->qmask, k->mask, k->n);
        return t->qmask;
    }
    const int r = suspect_rows(p);
    int y0, y1;
    block_window(k, r, p->s->height, &y0, &y1);
    const size_t W = (size_t)k->cols;
    ring_rows(t, col, t->qraw, 1, y0, y1, t->qwin);
    ck_quality_suspect(t->qwin, W, (size_t)(y1 - y0), r, t->qs1, t->qs2);
    ck_quality_merge(k->mask, t->qwin + (size_t)(k->cy - y0) * W, k->n, t->qmask, t->q);
    return t->qmask;
}

/* Where row r of chunk k starts in its strip's planes (pixels). */
static size_t strip_at(const cw_strip *st, const chunk_t *k, int r)
{
    return (size_t)(k->cy - st->y0 + r) * st->width + (size_t)(k->cx - st->x0);
}

/* The chunk's indices and its temporal-test bands, from DN a row at a
 * time (a coarse band's DN copied to the grid a row at a time). */
static void chunk_observe(const pass_tls *t, const column_t *col, chunk_slot *sl)
{
    static const int used[] = {CK_B02, CK_B03, CK_B04, CK_B08, CK_B11, CK_B12};
    static const int qb[3] = {CK_B02, CK_B08, CK_B11};
    const cw_strip *st = col->st;
    const chunk_t *k = &sl->k;
    const size_t len = (size_t)k->cols;
    for (int r = 0; r < k->rows; r++) {
        const size_t s0 = (size_t)r * len; /* the row in the chunk, and in the strip: */
        const size_t off = strip_at(st, k, r);
        const uint16_t *dn[CK_NBANDS] = {NULL};
        for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
            dn[used[i]] = cw_strip_dn(st, used[i], off, len, t->dnp + (size_t)used[i] * SUB_PX);
        ck_change_indices(dn, st->conv, k->mask + s0, len,
                          (ck_change_ix){sl->ix[IX_NDVI] + s0, sl->ix[IX_NBR] + s0, sl->ix[IX_BSI] + s0,
                                         sl->ix[IX_WATER] + s0});
        for (int i = 0; i < 3; i++)
            ck_dn_to_q16(dn[qb[i]], len, st->conv[qb[i]], sl->obs16[i] + s0);
    }
}

/* The chunk's pixels into the state: the reference, the baseline's river
 * margins (once) and the confirmation, then the temporal references and
 * the shift cost. */
static void chunk_update(const cw_pass *p, pass_tls *t, const column_t *col, chunk_slot *sl,
                         const uint8_t *qmask, ck_base *base, ck_dyn *dyn, const cw_state_rect *frame)
{
    chunk_t *k = &sl->k;
    const size_t W = (size_t)k->cols, n = k->n, rows = (size_t)k->rows;
    if (p->mode == CW_PASS_FINALIZE) {
        const ck_river_px r = river_px(p);
        ck_base_mark_river(base, W, rows, t->frame, (size_t)frame->cols, (size_t)frame->rows,
                           (size_t)(k->cx - frame->x0), (size_t)(k->cy - frame->y0), &r, t->scr3);
    }
    const int monitor = p->mode != CW_PASS_REF;
    const int16_t *min3 = NULL;
    if (monitor) { /* a shifted date shows a neighbour: the lowest expectation around */
        int y0, y1;
        block_window(k, 1, p->s->height, &y0, &y1);
        ring_rows(t, col, t->exp_ndvi, 2, y0, y1, t->expwin);
        ck_min3x3_i16(t->expwin, W, (size_t)(y1 - y0), t->min3, t->min3_tmp);
        min3 = t->min3 + (size_t)(k->cy - y0) * W;
    }
    /* a pixel next to a chakra may show the chakra on a shifted date: it
     * gets the chakra's rule (rotation thinning is not loss) */
    const uint8_t *chakra = cw_aoi_chakra_near(p->ag, p->as, k->cy, k->rows, p->s->height, k->cx, k->cols,
                                               p->s->width, t->chakra, t->scr1);
    ck_obs obs = {sl->ix[IX_NDVI],
                  sl->ix[IX_NBR],
                  sl->ix[IX_BSI],
                  sl->ix[IX_WATER],
                  qmask,
                  chakra,
                  monitor ? t->exp_ndvi + ring_at(t, k->local) : NULL,
                  monitor ? sl->exp_nbr : NULL,
                  min3};
    if (!monitor) {
        if (!k->overcast) /* else the reference is not read: nothing to add */
            ck_ref_add(&obs, n, p->day, base);
        ck_clear_update(qmask, sl->ix[IX_NDVI], n, p->day, dyn->last_clear);
    } else {
        k->events = ck_change_update(&obs, n, p->day, &p->cfg->det, base, dyn);
    }
    if (k->observed) { /* else no pixel is clear: nothing to measure or keep */
        ck_shift_cost(sl->obs16[1], k->mask, dyn->ref_nir, W, rows, SHIFT_STEP, t->shift_acc, t->shift_cnt);
        ck_quality_ref_update(qmask, sl->obs16[0], sl->obs16[1], sl->obs16[2], n, dyn->ref_blue, dyn->ref_nir,
                              dyn->ref_swir);
    }
}

/* Whether any of n pixels is baseline water or has an open event
 * (candidate, confirmed): a loop the compiler vectorises, so that the
 * pixels of most of a scene are passed over a block at a time. */
#define FLAG_BLOCK 64
static int block_flagged(const uint8_t *restrict info, const uint8_t *restrict status, size_t n)
{
    unsigned any = 0;
    for (size_t i = 0; i < n; i++)
        any |= (info[i] & CK_BI_WATER) |
               ((uint8_t)(status[i] - CK_ST_CANDIDATE) <= CK_ST_CONFIRMED - CK_ST_CANDIDATE);
    return any != 0;
}

/* The chunk's flagged pixels (sparse) and baseline-water cells. */
static int chunk_flagged(const cw_pass *p, pass_tls *t, const chunk_t *k, const ck_base *base,
                         const ck_dyn *dyn)
{
    const size_t W = (size_t)p->s->width, cw = (size_t)k->cols;
    const int16_t *exp_ndvi = t->exp_ndvi + ring_at(t, k->local);
    for (size_t i = 0; i < k->n; i++) {
        if (i % FLAG_BLOCK == 0 && k->n - i >= FLAG_BLOCK &&
            !block_flagged(base->info + i, dyn->status + i, FLAG_BLOCK)) {
            i += FLAG_BLOCK - 1;
            continue;
        }
        const int y = k->cy + (int)(i / cw), x = k->cx + (int)(i % cw);
        if (base->info[i] & CK_BI_WATER)
            t->cells[(size_t)(y / CW_WATER_CELL - t->cell_y0) * (size_t)p->cells_w +
                     (size_t)(x / CW_WATER_CELL)] = 1;
        uint8_t s = dyn->status[i];
        if (s != CK_ST_CANDIDATE && s != CK_ST_CONFIRMED)
            continue;
        cw_px px = {(uint32_t)((size_t)y * W + (size_t)x),
                    dyn->first_day[i],
                    dyn->conf_day[i],
                    dyn->last_clear[i],
                    s,
                    dyn->n_next[i],
                    dyn->n_anom[i],
                    dyn->n_nbr[i],
                    dyn->n_bare[i],
                    dyn->n_pond[i],
                    (uint8_t)((base->info[i] & CK_BI_BANK ? CW_PX_BANK : 0) |
                              (base->info[i] & CK_BI_RIPARIAN ? CW_PX_RIPARIAN : 0)),
                    dyn->last_ndvi[i],
                    exp_ndvi[i]};
        if (vec_push(&t->flagged, &px))
            return -1;
    }
    return 0;
}

/* The chunk's observation record (after the temporal tests) into the
 * strip's output tiles. */
static void record_rows(pass_tls *t, const cw_strip *st, const chunk_t *k)
{
    const int W = (int)st->width, x0 = k->cx - st->x0;
    ck_observation_record(t->qmask, t->flag, k->n, t->scr1);
    for (int r = 0; r < k->rows; r++) {
        const int y = k->cy - st->y0 + r;
        for (int x = 0; x < k->cols;) { /* pieces within an output tile */
            const int e = (x0 + x) / CW_OUT_TILE * CW_OUT_TILE + CW_OUT_TILE - x0,
                      len = (e < k->cols ? e : k->cols) - x;
            memcpy(t->rec + cw_tiles_index(W, x0 + x, y), t->scr1 + (size_t)r * (size_t)k->cols + (size_t)x,
                   (size_t)len);
            x += len;
        }
    }
}

/* The finalize pass: the reference's water around the chunk (river_rows
 * pixels each side, within the grid), read from the counts of the chunks
 * there (the first planes of a reference chunk: the rest is not
 * decompressed), so that a river along a chunk's edge has its margins on
 * both sides.  *fr: where the frame t->frame lies in the grid; the chunk's
 * own pixels in it are left for ck_base_mark_river (its baseline). */
static int river_frame(const pass_ctx *c, pass_tls *t, const chunk_t *k, cw_state_rect *fr)
{
    const int W = c->p->s->width, H = c->p->s->height;
    const int R = c->in[CW_ST_REF] ? river_rows(c->p) : 0; /* no reference: no water anywhere */
    fr->y0 = k->cy - R > 0 ? k->cy - R : 0;
    fr->x0 = k->cx - R > 0 ? k->cx - R : 0;
    fr->rows = (k->cy + k->rows + R < H ? k->cy + k->rows + R : H) - fr->y0;
    fr->cols = (k->cx + k->cols + R < W ? k->cx + k->cols + R : W) - fr->x0;
    memset(t->frame, 0, (size_t)fr->rows * (size_t)fr->cols);
    for (int cy = fr->y0 / CW_STATE_ROWS; cy * CW_STATE_ROWS < fr->y0 + fr->rows; cy++)
        for (int cx = fr->x0 / c->scols; cx * c->scols < fr->x0 + fr->cols; cx++) {
            const int id = cy * c->ncx + cx;
            if (id == k->id)
                continue;
            const cw_state_rect r = cw_state_chunk_rect(W, H, CW_STATE_ROWS, c->scols, id);
            const size_t npx = (size_t)r.rows * (size_t)r.cols;
            if (cw_state_read_range(c->in[CW_ST_REF], CW_ST_REF, W, H, id, t->io,
                                    cw_state_plane_offset(CW_ST_REF, CW_REF_PLANE_NREF, npx), 2 * npx,
                                    t->counts))
                return -1;
            const int ya = r.y0 > fr->y0 ? r.y0 : fr->y0,
                      yb = r.y0 + r.rows < fr->y0 + fr->rows ? r.y0 + r.rows : fr->y0 + fr->rows;
            const int xa = r.x0 > fr->x0 ? r.x0 : fr->x0,
                      xb = r.x0 + r.cols < fr->x0 + fr->cols ? r.x0 + r.cols : fr->x0 + fr->cols;
            for (int y = ya; y < yb; y++) { /* nref, then nwater */
                const size_t i = (size_t)(y - r.y0) * (size_t)r.cols + (size_t)(xa - r.x0);
                ck_ref_water(t->counts + i, t->counts + npx + i, (size_t)(xb - xa),
                             t->frame + (size_t)(y - fr->y0) * (size_t)fr->cols + (size_t)(xa - fr->x0));
            }
        }
    return 0;
}

/* Whether the pass leaves kind s of the chunk as it read it, so that its
 * stored frame is copied instead of compressed again: with no pixel seen
 * clear (qmask 0) nothing is added to the reference or to the temporal
 * references, and with no open event either, nothing else of the
 * monitoring state moves.  An overcast chunk of a reference night (no
 * pixel the SCL leaves clear) does not even read its reference slots. */
static int chunk_kept(const pass_ctx *c, const chunk_t *k, const uint8_t *qmask, int s)
{
    if (!c->in[s] || c->no_copy)
        return 0;
    if (s == CW_ST_REF)
        return c->p->mode == CW_PASS_REF && k->overcast;
    return s == CW_ST_DYN && k->events == 0 && memchr(qmask, 0, k->n) == NULL;
}

/* The kernels' view of the state in slot sl. */
static void slot_bind(chunk_slot *sl, ck_base *base, ck_dyn *dyn)
{
    memset(base, 0, sizeof *base);
    cw_state_bind_ref(sl->buf[CW_ST_REF], sl->k.n, base);
    cw_state_bind_base(sl->buf[CW_ST_BASE], sl->k.n, base);
    cw_state_bind_dyn(sl->buf[CW_ST_DYN], sl->k.n, dyn);
}

/* Chunk j of the column, into its slot: its state read; its pixels
 * observed and tested against their last clear observation (qraw); what
 * the pixels' neighbours need of it (the expectation): those into the
 * ring. */
static int chunk_read(pass_ctx *c, pass_tls *t, const column_t *col, int j)
{
    cw_pass *p = c->p;
    const int W = p->s->width, H = p->s->height;
    const cw_strip *st = col->st;
    chunk_slot *sl = &t->slot[j % t->nslot];
    chunk_t *k = &sl->k;
    memset(k, 0, sizeof *k);
    k->cy = col->y0 + j * CW_STATE_ROWS;
    k->local = j;
    k->rows = k->cy + CW_STATE_ROWS <= col->y0 + col->nrows ? CW_STATE_ROWS : col->y0 + col->nrows - k->cy;
    k->cx = col->x0;
    k->cols = col->cols;
    k->n = (size_t)k->cols * (size_t)k->rows;
    k->id = k->cy / CW_STATE_ROWS * c->ncx + k->cx / c->scols;
    for (int r = 0; r < k->rows; r++)
        memcpy(sl->mask + (size_t)r * (size_t)k->cols, st->mask + strip_at(st, k, r), (size_t)k->cols);
    k->mask = sl->mask;
    k->overcast = memchr(k->mask, 0, k->n) == NULL;
    for (int s = 0; s < CW_ST_NKINDS; s++) {
        int need = kind_used(c, s);
        if (s == CW_ST_REF && chunk_kept(c, k, NULL, s))
            need = 0;
        if (need && cw_state_read_chunk(c->in[s], (cw_state_kind)s, W, H, k->id, t->io, sl->buf[s]))
            return -1;
    }
    ck_base base;
    ck_dyn dyn;
    slot_bind(sl, &base, &dyn);
    /* an overcast chunk has no clear pixel to compute indices or temporal
     * tests of: the kernels look at neither where the mask is set */
    k->observed = !k->overcast || !c->skip_masked;
    const size_t at = ring_at(t, j);
    uint8_t *qraw = t->qraw + at;
    memset(qraw, 0, k->n);
    if (k->observed) {
        chunk_observe(t, col, sl);
        ck_quality_test(sl->obs16[0], sl->obs16[1], sl->obs16[2], sl->ix[IX_WATER], sl->ix[IX_NDVI], k->mask,
                        dyn.ref_blue, dyn.ref_nir, dyn.ref_swir, dyn.last_clear, k->n, p->day,
                        &p->cfg->det.quality, qraw);
    }
    if (p->mode == CW_PASS_FINALIZE)
        ck_base_finalize(&base, k->n);
    if (p->mode != CW_PASS_REF) /* today's expectation (the season) */
        ck_base_expected(&base, k->n, p->day, t->exp_ndvi + at, sl->exp_nbr);
    return 0;
}

/* The chunk of slot sl, its neighbours read: tested (the suspect margin),
 * updated, counted, recorded, compressed. */
static int chunk_finish(pass_ctx *c, pass_tls *t, const column_t *col, chunk_slot *sl)
{
    cw_pass *p = c->p;
    chunk_t *k = &sl->k;
    ck_base base;
    ck_dyn dyn;
    slot_bind(sl, &base, &dyn);
    cw_state_rect frame = {0, 0, 0, 0};
    if (p->mode == CW_PASS_FINALIZE && river_frame(c, t, k, &frame))
        return -1;
    const uint8_t *qmask = quality_mask(p, t, col, k);
    chunk_update(p, t, col, sl, qmask, &base, &dyn, &frame);
    /* evidence of observation per AOI */
    ck_observation_flags(qmask, sl->ix[IX_NDVI], dyn.last_clear, k->n, t->flag, t->flag + k->n);
    cw_aoi_count_rows(p->ag, k->cy, k->rows, k->cx, k->cols, t->flag, t->aoi_clear);
    cw_aoi_count_rows(p->ag, k->cy, k->rows, k->cx, k->cols, t->flag + k->n, t->aoi_never);
    if (c->obs)
        record_rows(t, col->st, k);
    if (p->mode != CW_PASS_REF && chunk_flagged(p, t, k, &base, &dyn))
        return -1;
    const int order = t->nids++;
    t->ids[order] = k->id;
    for (int s = 0; s < CW_ST_NKINDS; s++) { /* last: compressing shuffles the chunk in place */
        if (!p->out_path[s][0])
            continue;
        const int slot = order * CW_ST_NKINDS + s;
        if (chunk_kept(c, k, qmask, s) ? cw_state_copy(c->in[s], k->id, t->io, slot)
                                       : cw_state_compress(t->io, slot, (cw_state_kind)s, sl->buf[s], k->n))
            return -1;
    }
    return 0;
}

/* The strip's share of the preview: its rows' clear pixels summed into
 * the cell rows they fall in (the first and last may be shared with the
 * neighbouring strips, and the cells at a window's edges with the windows
 * beside; the ordered commit adds them up). */
static void preview_strip(const pass_ctx *c, pass_tls *t, const cw_strip *st)
{
    const int W = (int)st->width, f = c->pf;
    t->pcy0 = st->y0 / f;
    t->prows = (st->y0 + st->nrows - 1) / f - t->pcy0 + 1;
    const size_t pn = (size_t)t->prows * (size_t)c->pw;
    for (int b = 0; b < CK_PREVIEW_BANDS; b++)
        memset(t->psum[b], 0, pn * 4);
    memset(t->pcnt, 0, pn * 4);
    for (int y = 0; y < st->nrows; y++) {
        for (int x0 = 0; x0 < W; x0 += CW_OUT_TILE) /* the row of the record, out of its tiles */
            memcpy(t->prow + x0, t->rec + cw_tiles_index(W, x0, y),
                   (size_t)(W - x0 < CW_OUT_TILE ? W - x0 : CW_OUT_TILE));
        const uint16_t *dn[CK_PREVIEW_BANDS];
        uint32_t *sum[CK_PREVIEW_BANDS];
        const size_t cr = (size_t)((st->y0 + y) / f - t->pcy0) * (size_t)c->pw;
        for (int b = 0; b < CK_PREVIEW_BANDS; b++) {
            dn[b] = cw_strip_dn(st, ck_preview_bands[b], (size_t)y * (size_t)W, (size_t)W, t->dn + (size_t)b * W);
            sum[b] = t->psum[b] + cr;
        }
        ck_preview_row(dn, t->prow, (size_t)W, (size_t)st->x0, f, sum, t->pcnt + cr);
    }
}

static void preview_commit(pass_ctx *c, const pass_tls *t)
{
    const size_t at = (size_t)t->pcy0 * (size_t)c->pw, pn = (size_t)t->prows * (size_t)c->pw;
    for (int b = 0; b < CK_PREVIEW_BANDS; b++)
        for (size_t i = 0; i < pn; i++)
            c->psum[b][at + i] += t->psum[b][i];
    for (size_t i = 0; i < pn; i++)
        c->pcnt[at + i] += t->pcnt[i];
}

/* The chunks of a column in order, each finished once the chunks its
 * neighbourhoods look at are read. */
static int column_run(pass_ctx *c, pass_tls *t, const column_t *col)
{
    const int nc = (col->nrows + CW_STATE_ROWS - 1) / CW_STATE_ROWS;
    for (int j = 0, read = 0; j < nc; j++) {
        for (; read < nc && read <= j + c->ahead; read++)
            if (chunk_read(c, t, col, read))
                return -1;
        if (chunk_finish(c, t, col, &t->slot[j % t->nslot]))
            return -1;
    }
    return 0;
}

/* A strip (or a column window of one): its blocks of BLOCK_ROWS rows, and
 * in each its chunk columns left to right, chunk by chunk downwards; the
 * state's chunks are committed in that order, which the grid alone fixes
 * (strips are whole blocks of rows, windows whole chunk columns). */
static int pass_work(void *ctx, const cw_strip *st, void *tp)
{
    pass_ctx *c = ctx;
    cw_pass *p = c->p;
    pass_tls *t = tp;
    const int W = (int)st->width;
    const int na = p->ag->n;
    memset(t->aoi_clear, 0, (size_t)na * 8);
    memset(t->aoi_never, 0, (size_t)na * 8);
    t->flagged.n = 0;
    t->cell_y0 = st->y0 / CW_WATER_CELL;
    memset(t->cells, 0, (size_t)t->cell_rows * (size_t)p->cells_w);
    t->nids = 0;
    memset(t->q, 0, sizeof t->q);
    memset(t->shift_acc, 0, sizeof t->shift_acc);
    memset(t->shift_cnt, 0, sizeof t->shift_cnt);
    if (c->obs) /* the parts of edge tiles outside the grid: no data */
        memset(t->rec, CK_M_NODATA, cw_tiles_pixels(W, st->nrows));
    for (int y0 = st->y0; y0 < st->y0 + st->nrows; y0 += BLOCK_ROWS)
        for (int x0 = st->x0; x0 < st->x0 + W; x0 += c->scols) {
            const int rows = st->y0 + st->nrows - y0, cols = st->x0 + W - x0;
            const column_t col = {st, y0, rows < BLOCK_ROWS ? rows : BLOCK_ROWS, x0,
                                  cols < c->scols ? cols : c->scols};
            if (column_run(c, t, &col))
                return -1;
        }
    if (c->obs && cw_raster_out_encode(c->obs, t->rec_enc, W, st->nrows, t->rec))
        return -1;
    if (c->pf)
        preview_strip(c, t, st);
    memset(&t->ps, 0, sizeof t->ps);
    cw_pixel_stats_add(&t->ps, st);
    return 0;
}

static int pass_commit(void *ctx, const cw_strip *st, void *tp)
{
    pass_ctx *c = ctx;
    cw_pass *p = c->p;
    pass_tls *t = tp;
    for (int l = 0; l < t->nids; l++)
        for (int k = 0; k < CW_ST_NKINDS; k++)
            if (c->out[k] && cw_state_append(c->out[k], t->ids[l], t->io, l * CW_ST_NKINDS + k))
                return -1;
    if (c->obs && cw_raster_out_write(c->obs, st->x0, st->y0, (int)st->width, st->nrows, t->rec, t->rec_enc))
        return -1;
    if (c->pf)
        preview_commit(c, t);
    for (int k = 0; k < p->ag->n; k++) {
        p->aoi_clear[k] += t->aoi_clear[k];
        p->aoi_never[k] += t->aoi_never[k];
    }
    for (size_t i = 0; i < t->flagged.n; i++)
        if (vec_push(&p->flagged, &t->flagged.p[i]))
            return -1;
    int cr = (st->y0 + st->nrows - 1) / CW_WATER_CELL - t->cell_y0 + 1;
    for (int r = 0; r < cr && t->cell_y0 + r < p->cells_h; r++)
        for (int x = 0; x < p->cells_w; x++)
            p->water[(size_t)(t->cell_y0 + r) * (size_t)p->cells_w + (size_t)x] |=
                t->cells[(size_t)r * (size_t)p->cells_w + (size_t)x];
    cw_pixel_stats_sum(&p->ps, &t->ps);
    for (int k = 0; k < 3; k++)
        p->quality[k] += t->q[k];
    for (int k = 0; k < CK_SHIFT_N; k++) {
        p->shift_acc[k] += t->shift_acc[k];
        p->shift_cnt[k] += t->shift_cnt[k];
    }
    if (c->fault_at && ++commits_done == c->fault_at)
        raise(SIGKILL); /* fault injection for the kill-and-rerun test */
    return 0;
}

static int px_cmp(const void *a, const void *b)
{
    const uint32_t x = ((const cw_px *)a)->idx, y = ((const cw_px *)b)->idx;
    return (x > y) - (x < y);
}

void cw_pass_free(cw_pass *p)
{
    free(p->flagged.p);
    memset(&p->flagged, 0, sizeof p->flagged);
}

int cw_obs_path(char *buf, size_t n, const char *tile_dir, const char *date, const char *product_id)
{
    char safe[160];
    if (cw_safe_name(safe, sizeof safe, product_id))
        return -1;
    int w = snprintf(buf, n, "%s/obs/%s_%s.tif", tile_dir, date, safe);
    return w < 0 || (size_t)w >= n ? cw_error("path of the observation record too long") : 0;
}

/* The observation record: one byte of mask flags per pixel, 0 = seen
 * clear, as the pass judged it (SCL, buffers and the temporal tests). */
static cw_raster_out *obs_create(const cw_pass *p)
{
    char *meta[4], m0[300], m1[32], m2[200];
    snprintf(m0, sizeof m0, "CHAKRAWATCH_PRODUCT=%s", p->s->product_id);
    snprintf(m1, sizeof m1, "CHAKRAWATCH_ACQUIRED=%s", p->s->date);
    snprintf(m2, sizeof m2, "CHAKRAWATCH_FLAGS=%s", CW_OBS_FLAGS_DOC);
    meta[0] = m0;
    meta[1] = m1;
    meta[2] = m2;
    meta[3] = NULL;
    return cw_raster_out_create(p->obs_path, p->s, CW_OUT_BYTE, CW_CODEC_ZSTD, CW_LEVEL_DEFAULT, "observation", meta);
}

int cw_preview_path(char *buf, size_t n, const char *obs_path)
{
    size_t l = strlen(obs_path);
    if (l < 4 || strcmp(obs_path + l - 4, ".tif") || l + 8 >= n)
        return cw_error("no preview path for %s", obs_path);
    memcpy(buf, obs_path, l - 4);
    memcpy(buf + l - 4, ".preview.tif", 13);
    return 0;
}

/* The preview's cells as reflectance x 10000 (0: not seen clear on at
 * least half of the cell), written atomically: a small 6-band GeoTIFF on
 * a grid f times coarser than the tile's. */
static int preview_write(const cw_pass *p, const pass_ctx *c)
{
    const cw_scene *s = p->s;
    const int f = c->pf, W = s->width, H = s->height;
    const size_t n = (size_t)c->pw * (size_t)c->ph;
    uint16_t *v = malloc(n * 2);
    char tmp[4096];
    if (!v || cw_tmp_path(tmp, sizeof tmp, p->preview_path)) {
        free(v);
        return v ? -1 : cw_error("out of memory");
    }
    char **opts = NULL;
    opts = CSLSetNameValue(opts, "TILED", "YES");
    opts = CSLSetNameValue(opts, "COMPRESS", "ZSTD");
    /* GDAL's default level, 9, took 0.2 s of a full tile's night; level 3
     * half that, for 2 % more bytes on a real L2A scene's six bands (2.6 %
     * on the bench tile's preview) */
    opts = CSLSetNameValue(opts, "ZSTD_LEVEL", "3");
    opts = CSLSetNameValue(opts, "PREDICTOR", "2");
    opts = CSLSetNameValue(opts, "INTERLEAVE", "BAND");
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    GDALDatasetH ds = drv ? GDALCreate(drv, tmp, c->pw, c->ph, CK_PREVIEW_BANDS, GDT_UInt16, opts) : NULL;
    CSLDestroy(opts);
    int rc = ds ? 0 : cw_error("cannot create %s: %s", tmp, cw_gdal_errmsg());
    double gt[6];
    memcpy(gt, s->gt, sizeof gt);
    gt[1] *= f;
    gt[5] *= f;
    if (!rc && (GDALSetGeoTransform(ds, gt) != CE_None || GDALSetProjection(ds, s->crs_wkt) != CE_None))
        rc = cw_error("cannot georeference %s: %s", tmp, cw_gdal_errmsg());
    for (int b = 0; b < CK_PREVIEW_BANDS && !rc; b++) {
        const ck_dn_conv cv = s->src[ck_preview_bands[b]].conv;
        for (int cy = 0; cy < c->ph; cy++)
            for (int cx = 0; cx < c->pw; cx++) {
                size_t i = (size_t)cy * (size_t)c->pw + (size_t)cx;
                long cell = (long)(W - cx * f < f ? W - cx * f : f) * (H - cy * f < f ? H - cy * f : f);
                uint32_t k = c->pcnt[i];
                if (!k || 2L * k < cell) {
                    v[i] = 0;
                    continue;
                }
                double r = ((double)c->psum[b][i] / k + cv.add) * 10000.0 / cv.quantum;
                v[i] = r < 1 ? 1 : r > 65535 ? 65535 : (uint16_t)lrint(r);
            }
        GDALRasterBandH band = GDALGetRasterBand(ds, b + 1);
        GDALSetRasterNoDataValue(band, 0);
        if (GDALRasterIO(band, GF_Write, 0, 0, c->pw, c->ph, v, c->pw, c->ph, GDT_UInt16, 0, 0) != CE_None)
            rc = cw_error("writing %s failed: %s", tmp, cw_gdal_errmsg());
    }
    if (ds) {
        char fs[32];
        snprintf(fs, sizeof fs, "%d", f);
        GDALSetMetadataItem(ds, "CHAKRAWATCH_PREVIEW_FACTOR", fs, NULL);
        GDALSetMetadataItem(ds, "CHAKRAWATCH_PRODUCT", s->product_id, NULL);
        CPLErrorReset();
        GDALClose(ds);
        if (!rc && CPLGetLastErrorType() >= CE_Failure)
            rc = cw_error("closing %s failed: %s", tmp, cw_gdal_errmsg());
    }
    free(v);
    if (rc == 0)
        rc = cw_commit_file(tmp, p->preview_path);
    if (rc)
        unlink(tmp);
    return rc;
}

int cw_pass_run(cw_pass *p)
{
    pass_ctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    const char *fault = getenv("CHAKRAWATCH_FAULT_KILL_AT_STRIP");
    c.fault_at = fault ? atol(fault) : 0;
    c.no_copy = getenv("CHAKRAWATCH_NO_FRAME_COPY") != NULL;
    cw_strip_job job;
    cw_strip_job_init(&job, p->common, p->s);
    for (int k = 0; k < IX_N; k++) {
        c.ix[k] = ck_index_find(ix_names[k]);
        job.bands |= c.ix[k]->bands;
    }
    unsigned miss = cw_scene_missing(p->s, job.bands);
    if (miss) {
        char list[96];
        cw_src_list(miss, list, sizeof list);
        return cw_error("missing band(s) %s", list);
    }
    p->flagged.n = 0;
    memset(&p->ps, 0, sizeof p->ps);
    memset(p->quality, 0, sizeof p->quality);
    memset(p->shift_acc, 0, sizeof p->shift_acc);
    memset(p->shift_cnt, 0, sizeof p->shift_cnt);
    int rc = -1;
    for (int k = 0; k < CW_ST_NKINDS; k++) {
        /* a state an older build wrote is cut into this build's chunks first, once (the pass runs
         * under the tile's lock) */
        if (p->in_path[k][0] &&
            !(c.in[k] = cw_state_open_current(p->in_path[k], (cw_state_kind)k, p->s->width, p->s->height)))
            goto done;
        if (p->out_path[k][0] &&
            !(c.out[k] = cw_state_create(p->out_path[k], (cw_state_kind)k, p->s->width, p->s->height)))
            goto done;
    }
    if (p->obs_path[0] && !(c.obs = obs_create(p)))
        goto done;
    if (c.obs && p->preview_path[0] && p->preview_f > 0) {
        c.pf = p->preview_f;
        c.pw = (p->s->width + c.pf - 1) / c.pf;
        c.ph = (p->s->height + c.pf - 1) / c.pf;
        const size_t pn = (size_t)c.pw * (size_t)c.ph;
        for (int b = 0; b < CK_PREVIEW_BANDS; b++)
            if (!(c.psum[b] = calloc(pn, 4))) {
                cw_error("out of memory (preview)");
                goto done;
            }
        if (!(c.pcnt = calloc(pn, 4))) {
            cw_error("out of memory (preview)");
            goto done;
        }
    }
    /* strips: a multiple of CW_STATE_ROWS, of the usual input blocks and of CW_OUT_TILE; column
     * windows: of the state's chunk columns too */
    job.quantum = BLOCK_ROWS;
    job.windows = c.scols = cw_state_cols();
    c.ncx = (p->s->width + c.scols - 1) / c.scols;
    /* chunks read ahead: the rows beside a chunk that the suspect margin and the 3 x 3 minimum look
     * at (the river margins read the reference's chunks around: river_frame) */
    const int look = suspect_rows(p) > 1 ? suspect_rows(p) : 1;
    c.ahead = (look + CW_STATE_ROWS - 1) / CW_STATE_ROWS;
    job.tls_bytes_per_px = c.obs ? 3 : 2;
    for (int k = 0; k < CW_ST_NKINDS; k++) /* the strip's compressed chunks, until its commit (a quarter
                                              of their pixels' bytes: more than zstd leaves of them) */
        job.tls_bytes_per_px += p->out_path[k][0] ? (cw_state_bpp((cw_state_kind)k) + 3) / 4 : 0;
    c.cols = cw_strip_plan_for(p->s, &job, NULL).cols; /* the windows do not depend on the budget */
    job.tls_bytes_fixed = tls_fixed_bytes(&c);
    /* every kernel of the pass reads DN where the mask is 0 only (test hook: decode every block and
     * observe every chunk) */
    job.skip_masked = c.skip_masked = getenv("CHAKRAWATCH_DECODE_MASKED") == NULL;
    job.ctx = &c;
    job.tls_init = tls_init;
    job.tls_free = tls_free;
    job.work = pass_work;
    job.commit = pass_commit;
    job.label = p->s->product_id;
    if (cw_strip_uses_fallback(p->s, &job))
        cw_warn("%s: no SCL band: clouds and haze over water are masked by the fallback tests, shadows are not "
                "detected",
                p->s->product_id);
    cw_strip_plan plan;
    if (cw_strip_run(p->s, &job, &plan))
        goto done;
    p->strip_rows = plan.rows;
    /* row-major, as the alerts take them (the strips' windows and chunk columns gave them in pieces) */
    if (p->flagged.n > 1)
        qsort(p->flagged.p, p->flagged.n, sizeof *p->flagged.p, px_cmp);
    rc = 0;
    for (int k = 0; k < CW_ST_NKINDS; k++) {
        if (c.out[k] && cw_state_finish(c.out[k], 1))
            rc = -1;
        c.out[k] = NULL;
    }
    if (c.obs && cw_raster_out_close(c.obs, rc == 0))
        rc = -1;
    c.obs = NULL;
    if (rc == 0 && c.pf && preview_write(p, &c))
        rc = -1;
done:
    cw_raster_out_close(c.obs, 0);
    for (int b = 0; b < CK_PREVIEW_BANDS; b++)
        free(c.psum[b]);
    free(c.pcnt);
    for (int k = 0; k < CW_ST_NKINDS; k++) {
        cw_state_finish(c.out[k], 0);
        cw_state_close(c.in[k]);
    }
    return rc;
}
