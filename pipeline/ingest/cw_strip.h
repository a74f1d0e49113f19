/*
 * cw_strip.h - per-thread band readers and the strip driver every raster
 * command runs on.
 *
 * The driver cuts the 10 m grid into full-width strips whose height is a
 * multiple of `quantum` (the output tile height) sized from a memory
 * budget; each OpenMP thread opens its own GDAL datasets, reads its
 * strip's bands as DN (20 m bands at their own resolution), builds the
 * validity mask (with a halo of SCL rows so buffers do not depend on the
 * strip height) and calls work(), which converts cache-sized pieces to
 * reflectance (cw_strip_refl_chunk) or 10 m DN (cw_strip_dn) rather than
 * the driver keeping a full-strip 10 m copy of every band; commit() is
 * then called for the strips strictly in order, one at a time, so outputs
 * are written in one fixed order whatever the thread count.
 */
#ifndef CW_STRIP_H
#define CW_STRIP_H

#include "ck_mask.h"
#include "ck_reflect.h"
#include "ingest/cw_scene.h"

typedef struct cw_reader cw_reader;

#define CW_WINDOW_COLS 2048 /* about the width of column windows (cw_strip_job.windows) */

/* Opens the sources of `srcs` (CW_SRC_BIT set) of the scene. */
cw_reader *cw_reader_open(const cw_scene *s, unsigned srcs);
void cw_reader_close(cw_reader *r);
/* Rows [y0, y0+nrows) of the 10 m grid, nearest neighbour from coarser
 * bands: spectral sources as uint16 DN, SCL as uint8 classes. */
int cw_reader_read(cw_reader *r, int src, int y0, int nrows, void *out);

typedef struct {
    int index;           /* strip number, 0-based */
    int nstrips;
    int y0, nrows;       /* grid rows of this strip */
    int x0;              /* its first grid column: 0, or a column window's (cw_strip_job.windows) */
    size_t width;        /* its grid columns: the grid's, or the window's; the planes below are
                            nrows x width */
    const uint16_t *dn[CK_NBANDS];/* DN of the requested 10 m bands, NULL for others (cw_strip_dn) */
    const uint16_t *nat[CK_NBANDS]; /* a requested coarse band's native rows, from the one that holds
                                      the strip's first row (nat_w DN each, from native column
                                      x0 / factor), or NULL */
    int nat_w[CK_NBANDS], factor[CK_NBANDS];
    ck_dn_conv conv[CK_NBANDS];   /* how a requested band's DN become reflectance */
    const uint8_t *mask; /* CK_M_* flags, 0 = valid */
    const uint8_t *scl;  /* SCL (or fallback pseudo-SCL) classes, or NULL */
    int thread;          /* 0..threads-1 */
} cw_strip;

typedef enum {
    CW_MASK_NONE = 0, /* only DN == 0 is no data */
    CW_MASK_SCL = 1   /* SCL classes, or the brightness fallback without SCL */
} cw_mask_mode;

typedef struct {
    unsigned bands;         /* CK_BAND_BIT set of reflectance bands needed */
    cw_mask_mode mask;
    ck_scl_rules rules;     /* radii in grid pixels */
    int quantum;            /* strip heights are multiples of this (>= 1) */
    int strip_rows;         /* requested height, 0 = from the memory budget */
    int threads;            /* 0 = OpenMP default */
    size_t mem_budget;      /* bytes for all threads' buffers (the strips' and the job's own), 0 =
                               cw_mem_auto(); threads are fewer when that many do not fit it */
    size_t tls_bytes_per_px;/* the job's own scratch per pixel of a strip, for sizing */
    size_t tls_bytes_fixed; /* the job's own scratch per thread that does not grow with the strip */
    int windows;            /* > 0: the job takes column windows, whole multiples of this many
                               columns: strips one quantum tall are cut into windows about
                               CW_WINDOW_COLS wide (whole blocks of every input, whole quanta), row
                               by row, so that memory does not grow with the grid's width; work()
                               gets each with its x0 and width, commit() in row-major order.  Full
                               rows when the inputs' blocks do not allow it (test hook:
                               CHAKRAWATCH_WINDOW_COLS, narrower windows) */
    int skip_masked;        /* with the SCL mask: the SCL is read first, and a band's blocks that it
                               masks whole over the strip (and not across a swath's edge) are not
                               decoded, DN 0 there: for jobs that read no DN under the mask */
    void *ctx;
    void *(*tls_init)(void *ctx, size_t max_pixels); /* per thread, before work */
    void (*tls_free)(void *ctx, void *tls);
    int (*work)(void *ctx, const cw_strip *st, void *tls);   /* in parallel */
    int (*commit)(void *ctx, const cw_strip *st, void *tls); /* in order */
    const char *label;      /* progress label, NULL for none */
} cw_strip_job;

/* DN of the strip's pixels [off, off + n) of a requested band: in the
 * strip (a 10 m band), or a coarse band's copied to its grid pixels in buf
 * (n values; nearest neighbour). */
const uint16_t *cw_strip_dn(const cw_strip *st, int band, size_t off, size_t n, uint16_t *buf);
/* Reflectance of the strip's pixels [off, off + n) of every requested band
 * into buf[b] (n floats each); refl[b] points there, NULL for the other
 * bands.  No data (DN 0) is already flagged in st->mask. */
void cw_strip_refl_chunk(const cw_strip *st, size_t off, size_t n, float *const *buf, const float **refl);

/* How a run was cut: strip height, threads, and the buffers of one thread
 * (bytes, as the budget counts them). */
typedef struct {
    int rows, cols, threads; /* cols: the windows' width, the grid's without windows */
    size_t thread_bytes;
} cw_strip_plan;

/* The plan cw_strip_run follows: strips as small as the inputs' blocks
 * allow (and the budget, down to the quantum), then as many of the
 * requested threads as the budget holds, at least one; *over is set when
 * even one thread needs more than the budget. */
cw_strip_plan cw_strip_plan_for(const cw_scene *s, const cw_strip_job *job, int *over);

/* Runs the job; -1 with the first failing strip's message on error.
 * *plan (may be NULL) receives how it was cut.  A budget one thread does
 * not fit is a warning (once a process), not an error: the run goes on. */
int cw_strip_run(const cw_scene *s, const cw_strip_job *job, cw_strip_plan *plan);

/* Whether the SCL-less fallback will be used for this scene/job. */
int cw_strip_uses_fallback(const cw_scene *s, const cw_strip_job *job);

#endif
