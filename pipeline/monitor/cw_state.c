/*
 * cw_state.c - chunked, zstd-compressed per-pixel state files (format in
 * cw_state.h).
 */
#include "monitor/cw_state.h"
#include "ck_planes.h"
#include "cw_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_compressSequences, ZSTD_BLOCKSIZE_MAX */
#include <zstd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "state files are written little-endian; add byte swapping for this host"
#endif

#define HDR_BYTES 40
#define ZLEVEL 1
/* the skippable frame that closes a chunk from version 7: magic, size 4, CRC-32 of the bytes before */
#define CRC_MAGIC 0x184D2A5Cu
#define CRC_BYTES 12

/* element sizes of each kind's planes, in file order */
/* ref: nref, nwater (first: the neighbours' water is read without the rest,
 * cw_state_read_range), 8 NDVI and 8 NBR slots, the 13 harmonic sums */
static const uint8_t planes_ref[] = {1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                                     2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
/* before version 6: the counts last */
static const uint8_t planes_ref_v5[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                                        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1};
/* base: NDVI, NBR, 4 harmonic terms, 2 spreads, info */
static const uint8_t planes_base[] = {2, 2, 2, 2, 2, 2, 1, 1, 1};
static const uint8_t planes_dyn[] = {2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const struct {
    const char *name;
    const uint8_t *el;
    int n;
} kinds[CW_ST_NKINDS] = {
    {"ref", planes_ref, (int)sizeof planes_ref},
    {"base", planes_base, (int)sizeof planes_base},
    {"dyn", planes_dyn, (int)sizeof planes_dyn},
};

/* The plane of each kind stored as zstd literals only, in a frame of its
 * own (-1: none): the last clear observation's blue.  Its bytes are noise
 * around a low level, where matches gain 3-4 % of its size on real scenes
 * (9 % on the bench's tile) and cost the match finder most of the chunk's
 * compression time: the frames without them compress a monitoring chunk in
 * three quarters of the time, and decode faster too. */
static const int lit_plane[CW_ST_NKINDS] = {-1, -1, 4};

const char *cw_state_kind_name(cw_state_kind k) { return kinds[k].name; }

size_t cw_state_bpp(cw_state_kind k)
{
    size_t s = 0;
    for (int i = 0; i < kinds[k].n; i++)
        s += kinds[k].el[i];
    return s;
}

void cw_state_bind_ref(uint8_t *buf, size_t n, ck_base *b)
{
    b->nref = buf;
    b->nwater = buf + n;
    b->ref_ndvi = (int16_t *)(void *)(buf + 2 * n);
    b->ref_nbr = b->ref_ndvi + CK_REF_SLOTS * n;
    b->hsum = b->ref_nbr + CK_REF_SLOTS * n;
}

void cw_state_bind_base(uint8_t *buf, size_t n, ck_base *b)
{
    b->ndvi = (int16_t *)(void *)buf;
    b->nbr = b->ndvi + n;
    b->harm = b->nbr + n;
    b->spr_ndvi = buf + (4 + 2 * CK_HARMS) * n;
    b->spr_nbr = b->spr_ndvi + n;
    b->info = b->spr_nbr + n;
}

void cw_state_bind_dyn(uint8_t *buf, size_t n, ck_dyn *d)
{
    d->first_day = (uint16_t *)(void *)buf;
    d->conf_day = d->first_day + n;
    d->last_clear = d->conf_day + n;
    d->last_ndvi = (int16_t *)(void *)(d->last_clear + n);
    uint8_t *p = buf + 8 * n;
    d->ref_blue = p;
    d->ref_nir = p + n;
    d->ref_swir = p + 2 * n;
    p += 3 * n;
    d->status = p;
    d->n_next = p + n;
    d->n_anom = p + 2 * n;
    d->n_nbr = p + 3 * n;
    d->n_bare = p + 4 * n;
    d->n_pond = p + 5 * n;
    d->n_rec = p + 6 * n;
}

/* The planes of kind k in a file of version `ver` (the reference's order
 * changed in version 6). */
static const uint8_t *layout_of(cw_state_kind k, int ver)
{
    return k == CW_ST_REF && ver < 6 ? planes_ref_v5 : kinds[k].el;
}

int cw_state_cols(void)
{
    static int cols;
    if (!cols) {
        const char *e = getenv("CHAKRAWATCH_STATE_COLS");
        const int v = e ? atoi(e) : 0;
        cols = v >= 64 && v <= CW_STATE_COLS && CW_STATE_COLS % v == 0 ? v : CW_STATE_COLS;
    }
    return cols;
}

/* This build's chunk columns in a grid of that width. */
static int cols_for(int width) { return width < cw_state_cols() ? width : cw_state_cols(); }

int cw_state_chunks(int width, int height, int rows, int cols)
{
    return (height + rows - 1) / rows * ((width + cols - 1) / cols);
}

cw_state_rect cw_state_chunk_rect(int width, int height, int rows, int cols, int c)
{
    const int ncx = (width + cols - 1) / cols;
    cw_state_rect r = {c / ncx * rows, c % ncx * cols, rows, cols};
    r.rows = height - r.y0 < rows ? height - r.y0 : rows;
    r.cols = width - r.x0 < cols ? width - r.x0 : cols;
    return r;
}

/* pixels of chunk c of a grid cut in chunks of rows x cols */
static size_t chunk_px(int width, int height, int rows, int cols, int c)
{
    const cw_state_rect r = cw_state_chunk_rect(width, height, rows, cols, c);
    return (size_t)r.rows * (size_t)r.cols;
}

/* Plane-major buffer <-> shuffled serial form, in place: 1-byte planes are
 * the same in both; each 2-byte plane goes through scratch (2 x npx bytes,
 * one plane: it stays in cache) and back as its low then high bytes.
 * el: the planes (layout_of). */
static void shuffle_inplace(cw_state_kind k, const uint8_t *el, uint8_t *buf, size_t n, uint8_t *scratch,
                            int inverse)
{
    size_t off = 0;
    for (int p = 0; p < kinds[k].n; p++) {
        const size_t e = el[p];
        if (e == 2) {
            memcpy(scratch, buf + off, 2 * n);
            if (inverse)
                ck_planes_join2(scratch, scratch + n, n, buf + off);
            else
                ck_planes_split2(scratch, n, buf + off, buf + off + n);
        }
        off += e * n;
    }
}

/* ---------------------------------------------------------------- io */

typedef struct {
    void *buf;
    size_t cap, len, raw;
} slot_t;

struct cw_state_io {
    ZSTD_CCtx *cc;
    ZSTD_DCtx *dc;
    uint8_t *tmp; /* one 2-byte plane of a chunk (shuffle_inplace), or a piece of a range read */
    size_t tmp_cap;
    ZSTD_Sequence *seq; /* the block delimiters of a literals-only frame */
    size_t seq_cap;
    void *cbuf; /* compressed chunk read from a file */
    size_t cbuf_cap;
    slot_t *slots;
    int nslots;
};

cw_state_io *cw_state_io_new(void)
{
    cw_state_io *io = calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->cc = ZSTD_createCCtx();
    io->dc = ZSTD_createDCtx();
    if (!io->cc || !io->dc) {
        cw_state_io_free(io);
        return NULL;
    }
    ZSTD_CCtx_setParameter(io->cc, ZSTD_c_compressionLevel, ZLEVEL);
    /* no content checksum: the chunk's CRC-32 covers its compressed bytes (crc_frame), a
     * fraction of the bytes to hash, on writing and on reading */
    ZSTD_CCtx_setParameter(io->cc, ZSTD_c_checksumFlag, 0);
    /* ZSTD_compressSequences only: each block's literals are given, ended by a delimiter */
    ZSTD_CCtx_setParameter(io->cc, ZSTD_c_blockDelimiters, ZSTD_sf_explicitBlockDelimiters);
    return io;
}

void cw_state_io_free(cw_state_io *io)
{
    if (!io)
        return;
    ZSTD_freeCCtx(io->cc);
    ZSTD_freeDCtx(io->dc);
    free(io->tmp);
    free(io->seq);
    free(io->cbuf);
    for (int i = 0; i < io->nslots; i++)
        free(io->slots[i].buf);
    free(io->slots);
    free(io);
}

/* *p grown to hold need bytes.  huge: in transparent huge pages, for a
 * buffer filled whole (a chunk's plane); a compressed frame fills only its
 * length of a capacity sized for the worst case, and stays in 4 KiB pages,
 * so that the frames a strip holds until its commit (several per thread,
 * tens of MB on a reference night) take what they hold, not that rounded
 * up to 2 MB each. */
static int grow(void **p, size_t *cap, size_t need, int huge)
{
    if (*cap >= need)
        return 0;
    void *q = huge ? cw_big_realloc(*p, need) : realloc(*p, need);
    if (!q)
        return cw_error("out of memory (%zu bytes of state buffer)", need);
    *p = q;
    *cap = need;
    return 0;
}

/* ---------------------------------------------------------------- read */

struct cw_state_file {
    int fd;
    char path[4096];
    int version;
    int width, height;
    int rows; /* rows per chunk (CW_STATE_ROWS; 128 in a version 4 file) */
    int cols; /* columns per chunk (cw_state_cols(); the grid's width before version 6) */
    int nchunks;
    uint64_t *off;
    uint32_t *csize, *usize;
};

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

cw_state_file *cw_state_open(const char *path, cw_state_kind kind, int width, int height)
{
    cw_state_file *f = calloc(1, sizeof *f);
    if (!f) {
        cw_error("out of memory");
        return NULL;
    }
    cw_strlcpy(f->path, path, sizeof f->path);
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t h[HDR_BYTES];
    if (f->fd < 0) {
        cw_error("%s: cannot open state file: %s", path, strerror(errno));
        goto fail;
    }
    if (pread_full(f->fd, h, sizeof h, 0) || memcmp(h, "CWSTATE", 8) != 0) {
        cw_error("%s: not a chakrawatch state file", path);
        goto fail;
    }
    const uint32_t ver = rd32(h + 8), rows = rd32(h + 24), cols = ver >= 6 ? rd32(h + 36) : (uint32_t)width;
    if (ver < 4 || ver > CW_STATE_VERSION) {
        cw_error("%s: state format version %u, this build reads versions 4 to %d", path, ver,
                 CW_STATE_VERSION);
        goto fail;
    }
    if (rd32(h + 12) != (uint32_t)kind || rd32(h + 16) != (uint32_t)width ||
        rd32(h + 20) != (uint32_t)height || rows == 0 || rows > CW_STATE_ROWS_MAX ||
        (ver == 4 && rows != 128) || cols == 0 || cols > (uint32_t)width ||
        rd32(h + 28) != (uint32_t)cw_state_chunks(width, height, (int)rows, (int)cols) ||
        rd32(h + 32) != cw_state_bpp(kind)) {
        cw_error("%s: state file is for another grid or kind (%ux%u, kind %u; expected %dx%d, %s)", path,
                 rd32(h + 16), rd32(h + 20), rd32(h + 12), width, height, kinds[kind].name);
        goto fail;
    }
    f->version = (int)ver;
    f->width = width;
    f->height = height;
    f->rows = (int)rows;
    f->cols = (int)cols;
    f->nchunks = cw_state_chunks(width, height, f->rows, f->cols);
    size_t tn = (size_t)f->nchunks * 16;
    uint8_t *t = malloc(tn);
    f->off = malloc((size_t)f->nchunks * sizeof *f->off);
    f->csize = malloc((size_t)f->nchunks * sizeof *f->csize);
    f->usize = malloc((size_t)f->nchunks * sizeof *f->usize);
    if (!t || !f->off || !f->csize || !f->usize || pread_full(f->fd, t, tn, HDR_BYTES)) {
        free(t);
        cw_error("%s: truncated state file", path);
        goto fail;
    }
    struct stat sb;
    fstat(f->fd, &sb);
    for (int c = 0; c < f->nchunks; c++) {
        f->off[c] = (uint64_t)rd32(t + 16 * c) | (uint64_t)rd32(t + 16 * c + 4) << 32;
        f->csize[c] = rd32(t + 16 * c + 8);
        f->usize[c] = rd32(t + 16 * c + 12);
        if (f->off[c] + f->csize[c] > (uint64_t)sb.st_size ||
            f->usize[c] != chunk_px(width, height, f->rows, f->cols, c) * cw_state_bpp(kind)) {
            free(t);
            cw_error("%s: corrupt chunk table (chunk %d)", path, c);
            goto fail;
        }
    }
    free(t);
    return f;
fail:
    cw_state_close(f);
    return NULL;
}

void cw_state_close(cw_state_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    free(f->off);
    free(f->csize);
    free(f->usize);
    free(f);
}

/* Pixels of chunk c of f, or of this build's chunk c when f is NULL (the empty state). */
static size_t file_chunk_px(const cw_state_file *f, int width, int height, int c)
{
    return chunk_px(width, height, f ? f->rows : CW_STATE_ROWS, f ? f->cols : cols_for(width), c);
}

/* The skippable frame closing a chunk whose other frames are the n bytes at p. */
static void crc_frame(const uint8_t *p, size_t n, uint8_t out[CRC_BYTES])
{
    wr32(out, CRC_MAGIC);
    wr32(out + 4, 4);
    wr32(out + 8, libdeflate_crc32(0, p, n));
}

/* Chunk c's stored frames, read as they are into *buf (grown to hold
 * them) and, from version 7, checked against their CRC-32 (with it). */
static int read_frame(cw_state_file *f, int c, void **buf, size_t *cap)
{
    if (grow(buf, cap, f->csize[c], 0))
        return -1;
    if (pread_full(f->fd, *buf, f->csize[c], f->off[c]))
        return cw_error("%s: read error in chunk %d", f->path, c);
    uint8_t crc[CRC_BYTES];
    const size_t n = f->csize[c];
    if (f->version >= 7 && (n < CRC_BYTES || (crc_frame(*buf, n - CRC_BYTES, crc),
                                              memcmp(crc, (uint8_t *)*buf + n - CRC_BYTES, CRC_BYTES))))
        return cw_error("%s: chunk %d is corrupt (CRC-32 of its bytes)", f->path, c);
    return 0;
}

int cw_state_read_chunk(cw_state_file *f, cw_state_kind kind, int width, int height, int c, cw_state_io *io,
                        uint8_t *buf)
{
    size_t npx = file_chunk_px(f, width, height, c), raw = npx * cw_state_bpp(kind);
    if (!f) {
        memset(buf, 0, raw);
        return 0;
    }
    if (grow((void **)&io->tmp, &io->tmp_cap, 2 * npx, 1) || read_frame(f, c, &io->cbuf, &io->cbuf_cap))
        return -1;
    size_t r = ZSTD_decompressDCtx(io->dc, buf, raw, io->cbuf, f->csize[c]);
    if (ZSTD_isError(r) || r != raw)
        return cw_error("%s: chunk %d is corrupt (%s)", f->path, c,
                        ZSTD_isError(r) ? ZSTD_getErrorName(r) : "wrong size");
    shuffle_inplace(kind, layout_of(kind, f->version), buf, npx, io->tmp, 1);
    return 0;
}

size_t cw_state_plane_offset(cw_state_kind k, int plane, size_t npx)
{
    size_t off = 0;
    for (int i = 0; i < plane && i < kinds[k].n; i++)
        off += kinds[k].el[i] * npx;
    return off;
}

int cw_state_read_range(cw_state_file *f, cw_state_kind kind, int width, int height, int c, cw_state_io *io,
                        size_t off, size_t len, uint8_t *out)
{
    const size_t raw = file_chunk_px(f, width, height, c) * cw_state_bpp(kind), end = off + len;
    if (end > raw)
        return cw_error("state: bytes %zu..%zu are past chunk %d (%zu bytes)", off, end, c, raw);
    if (!f) {
        memset(out, 0, len);
        return 0;
    }
    /* decompressed through io->tmp, a piece at a time, no further than `end`; the frame read as far as
     * that needs, FEED bytes at a time (the counts of a reference chunk, its first planes, are a
     * few of its blocks) */
    enum { PIECE = 1 << 20, FEED = 64 << 10 };
    if (grow((void **)&io->tmp, &io->tmp_cap, PIECE, 1) || grow(&io->cbuf, &io->cbuf_cap, f->csize[c], 0))
        return -1;
    ZSTD_DCtx_reset(io->dc, ZSTD_reset_session_only);
    ZSTD_inBuffer in = {io->cbuf, 0, 0};
    size_t pos = 0; /* serial bytes decompressed so far */
    int rc = 0;
    while (pos < end) {
        if (in.pos == in.size && in.size < f->csize[c]) {
            const size_t more = f->csize[c] - in.size < FEED ? f->csize[c] - in.size : FEED;
            if (pread_full(f->fd, (uint8_t *)io->cbuf + in.size, more, f->off[c] + in.size)) {
                rc = cw_error("%s: read error in chunk %d", f->path, c);
                break;
            }
            in.size += more;
        }
        ZSTD_outBuffer o = {io->tmp, end - pos < PIECE ? end - pos : PIECE, 0};
        size_t r = ZSTD_decompressStream(io->dc, &o, &in);
        if (ZSTD_isError(r) || (o.pos == 0 && (r == 0 || (in.pos == in.size && in.size == f->csize[c])))) {
            rc = cw_error("%s: chunk %d is corrupt (%s)", f->path, c, ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short");
            break;
        }
        const size_t a = pos > off ? pos : off, b = pos + o.pos < end ? pos + o.pos : end;
        if (a < b)
            memcpy(out + (a - off), io->tmp + (a - pos), b - a);
        pos += o.pos;
    }
    ZSTD_DCtx_reset(io->dc, ZSTD_reset_session_only); /* the rest of the frame is not needed */
    return rc;
}

/* --------------------------------------------------------------- write */

struct cw_state_writer {
    FILE *fp;
    char path[4096], tmp[4096];
    cw_state_kind kind;
    int width, height, rows, cols, nchunks, written;
    uint8_t *done; /* per chunk: appended */
    uint64_t pos;
    uint64_t handed; /* bytes before this offset are being written back (writeback) */
    uint8_t *table;
};

/* The chunks are handed to the disk as they come (every WRITEBACK_BYTES),
 * not all at the final fsync: the disk writes while the pass computes, and
 * the fsync that makes the generation durable only waits for the tail. */
#define WRITEBACK_BYTES ((uint64_t)16 << 20)

static int writeback(cw_state_writer *w)
{
    if (fflush(w->fp))
        return cw_error("%s: write failed: %s", w->tmp, strerror(errno));
#ifdef SYNC_FILE_RANGE_WRITE
    (void)sync_file_range(fileno(w->fp), (off_t)w->handed, (off_t)(w->pos - w->handed), SYNC_FILE_RANGE_WRITE);
#endif
    w->handed = w->pos;
    return 0;
}

cw_state_writer *cw_state_create(const char *path, cw_state_kind kind, int width, int height)
{
    return cw_state_create_grid(path, kind, width, height, CW_STATE_ROWS, cw_state_cols());
}

cw_state_writer *cw_state_create_grid(const char *path, cw_state_kind kind, int width, int height, int rows,
                                      int cols)
{
    cw_state_writer *w = calloc(1, sizeof *w);
    if (!w) {
        cw_error("out of memory");
        return NULL;
    }
    cw_strlcpy(w->path, path, sizeof w->path);
    w->kind = kind;
    w->width = width;
    w->height = height;
    w->rows = rows;
    w->cols = cols < width ? cols : width;
    w->nchunks = cw_state_chunks(width, height, rows, w->cols);
    w->table = calloc((size_t)w->nchunks, 16);
    w->done = calloc((size_t)w->nchunks, 1);
    if (!w->table || !w->done || cw_tmp_path(w->tmp, sizeof w->tmp, path))
        goto fail;
    w->fp = fopen(w->tmp, "wb");
    if (!w->fp) {
        cw_error("%s: cannot create: %s", w->tmp, strerror(errno));
        goto fail;
    }
    w->pos = HDR_BYTES + (uint64_t)w->nchunks * 16;
    w->handed = w->pos;
    if (fseeko(w->fp, (off_t)w->pos, SEEK_SET)) {
        cw_error("%s: seek failed", w->tmp);
        goto fail;
    }
    return w;
fail:
    cw_state_finish(w, 0);
    return NULL;
}

/* io's slot `slot`, created empty when new; NULL (with cw_error) when out of memory */
static slot_t *slot_get(cw_state_io *io, int slot)
{
    if (slot >= io->nslots) {
        slot_t *s = realloc(io->slots, (size_t)(slot + 1) * sizeof *s);
        if (!s) {
            cw_error("out of memory");
            return NULL;
        }
        memset(s + io->nslots, 0, (size_t)(slot + 1 - io->nslots) * sizeof *s);
        io->slots = s;
        io->nslots = slot + 1;
    }
    return &io->slots[slot];
}

int cw_state_copy(cw_state_file *f, int c, cw_state_io *io, int slot)
{
    slot_t *s = slot_get(io, slot);
    if (!s || read_frame(f, c, &s->buf, &s->cap))
        return -1;
    s->len = f->csize[c];
    s->raw = f->usize[c];
    if (f->version < 7) { /* its frames checksum their content; the file it goes to wants a CRC-32 */
        if (grow(&s->buf, &s->cap, s->len + CRC_BYTES, 0))
            return -1;
        crc_frame(s->buf, s->len, (uint8_t *)s->buf + s->len);
        s->len += CRC_BYTES;
    }
    return 0;
}

/* n bytes at p as one zstd frame appended to slot s (which has room for
 * its bound); literals only: no match searched, the bytes Huffman-coded. */
static int compress_frame(cw_state_io *io, slot_t *s, const uint8_t *p, size_t n, int literals_only,
                          size_t plane)
{
    size_t r;
    if (literals_only) {
        const size_t nb = (n + ZSTD_BLOCKSIZE_MAX - 1) / ZSTD_BLOCKSIZE_MAX; /* n > 0: the caller's guard */
        if (grow((void **)&io->seq, &io->seq_cap, nb * sizeof *io->seq, 0))
            return -1;
        for (size_t i = 0; i < nb; i++) { /* a delimiter: the block's bytes as its last literals */
            const size_t len = n - i * ZSTD_BLOCKSIZE_MAX < ZSTD_BLOCKSIZE_MAX ? n - i * ZSTD_BLOCKSIZE_MAX
                                                                               : ZSTD_BLOCKSIZE_MAX;
            io->seq[i] = (ZSTD_Sequence){.litLength = (unsigned)len};
        }
        r = ZSTD_compressSequences(io->cc, (uint8_t *)s->buf + s->len, s->cap - s->len, io->seq, nb, p, n);
    } else { /* a block ends with each byte plane (`plane` bytes): its entropy tables are the plane's */
        ZSTD_CCtx_reset(io->cc, ZSTD_reset_session_only);
        ZSTD_CCtx_setPledgedSrcSize(io->cc, n);
        ZSTD_outBuffer o = {s->buf, s->cap, s->len};
        r = 0;
        for (size_t at = 0; at < n && !ZSTD_isError(r);) {
            const size_t e = at + plane < n ? at + plane : n;
            ZSTD_inBuffer in = {p + at, e - at, 0};
            const ZSTD_EndDirective d = e == n ? ZSTD_e_end : ZSTD_e_flush;
            do
                r = ZSTD_compressStream2(io->cc, &o, &in, d);
            while (!ZSTD_isError(r) && r != 0);
            at = e;
        }
        if (!ZSTD_isError(r))
            r = o.pos - s->len;
    }
    if (ZSTD_isError(r))
        return cw_error("zstd: %s", ZSTD_getErrorName(r));
    s->len += r;
    return 0;
}

/* n bytes all of value v as a zstd frame written out (RFC 8878): one
 * segment of content size n, RLE blocks of at most 128 KiB, no checksum
 * (the chunk's CRC covers it); at most RLE_BYTES(n) bytes. */
#define RLE_BYTES(n) (9 + 4 * ((n) / ZSTD_BLOCKSIZE_MAX + 1))
static size_t rle_frame(uint8_t *out, uint8_t v, size_t n)
{
    wr32(out, ZSTD_MAGICNUMBER);
    out[4] = 0xa0; /* frame header descriptor: content size in 4 bytes, single segment */
    wr32(out + 5, (uint32_t)n);
    size_t o = 9;
    for (size_t at = 0; at < n;) {
        const size_t len = n - at < ZSTD_BLOCKSIZE_MAX ? n - at : ZSTD_BLOCKSIZE_MAX;
        at += len;
        const uint32_t h = (uint32_t)(at == n) | 1u << 1 | (uint32_t)len << 3; /* last, RLE, size */
        out[o] = (uint8_t)h;
        out[o + 1] = (uint8_t)(h >> 8);
        out[o + 2] = (uint8_t)(h >> 16);
        out[o + 3] = v;
        o += 4;
    }
    return o;
}

/* n bytes at p, byte planes of `plane` bytes, as frames appended to slot
 * s: the planes in a row that hold one byte value each, the same value (a
 * count no pixel has, no event, the date a chunk was seen clear whole,
 * slots not filled yet), as an RLE frame (rle_frame: a comparison of the
 * planes' bytes instead of zstd's pass over them); the planes between as a
 * frame of zstd's, a block each. */
static int compress_planes(cw_state_io *io, slot_t *s, const uint8_t *p, size_t n, int literals_only,
                           size_t plane)
{
    size_t from = 0; /* the planes not written yet start here */
    for (size_t at = 0; at < n;) {
        if (memcmp(p + at, p + at + 1, plane - 1) != 0) { /* not itself shifted by a byte: two values */
            at += plane;
            continue;
        }
        size_t e = at + plane;
        while (e < n && p[e] == p[at] && memcmp(p + e, p + e + 1, plane - 1) == 0)
            e += plane;
        if (at > from && compress_frame(io, s, p + from, at - from, literals_only, plane))
            return -1;
        s->len += rle_frame((uint8_t *)s->buf + s->len, p[at], e - at);
        from = at = e;
    }
    return n > from ? compress_frame(io, s, p + from, n - from, literals_only, plane) : 0;
}

int cw_state_compress(cw_state_io *io, int slot, cw_state_kind kind, uint8_t *buf, size_t npx)
{
    slot_t *s = slot_get(io, slot);
    if (!s)
        return -1;
    const size_t raw = npx * cw_state_bpp(kind);
    /* frames: the planes before the literal one, the literal one, the planes after (each cut where
     * planes of one value are); at most a frame a byte plane */
    const int lp = lit_plane[kind];
    const size_t a = lp < 0 ? raw : cw_state_plane_offset(kind, lp, npx);
    const size_t b = lp < 0 ? raw : cw_state_plane_offset(kind, lp + 1, npx);
    const size_t bound = raw / npx * (ZSTD_compressBound(npx) + RLE_BYTES(npx)) + CRC_BYTES;
    if (grow((void **)&io->tmp, &io->tmp_cap, 2 * npx, 1) || grow(&s->buf, &s->cap, bound, 0))
        return -1;
    shuffle_inplace(kind, kinds[kind].el, buf, npx, io->tmp, 0);
    s->len = 0;
    if (compress_planes(io, s, buf, a, 0, npx) || compress_planes(io, s, buf + a, b - a, 1, npx) ||
        compress_planes(io, s, buf + b, raw - b, 0, npx))
        return -1;
    crc_frame(s->buf, s->len, (uint8_t *)s->buf + s->len);
    s->len += CRC_BYTES;
    s->raw = raw;
    return 0;
}

int cw_state_append(cw_state_writer *w, int c, cw_state_io *io, int slot)
{
    if (c < 0 || c >= w->nchunks || w->done[c])
        return cw_error("%s: chunk %d written twice, or no chunk of the grid", w->path, c);
    w->done[c] = 1;
    const slot_t *s = &io->slots[slot];
    if (s->len > UINT32_MAX || fwrite(s->buf, 1, s->len, w->fp) != s->len)
        return cw_error("%s: write failed: %s", w->tmp, strerror(errno));
    uint8_t *t = w->table + 16 * c;
    wr32(t, (uint32_t)w->pos);
    wr32(t + 4, (uint32_t)(w->pos >> 32));
    wr32(t + 8, (uint32_t)s->len);
    wr32(t + 12, (uint32_t)s->raw);
    w->pos += s->len;
    w->written++;
    return w->pos - w->handed >= WRITEBACK_BYTES ? writeback(w) : 0;
}

int cw_state_finish(cw_state_writer *w, int commit)
{
    if (!w)
        return 0;
    int rc = 0;
    if (w->fp && commit) {
        uint8_t h[HDR_BYTES] = "CWSTATE";
        wr32(h + 8, CW_STATE_VERSION);
        wr32(h + 12, (uint32_t)w->kind);
        wr32(h + 16, (uint32_t)w->width);
        wr32(h + 20, (uint32_t)w->height);
        wr32(h + 24, (uint32_t)w->rows);
        wr32(h + 28, (uint32_t)w->nchunks);
        wr32(h + 32, (uint32_t)cw_state_bpp(w->kind));
        wr32(h + 36, (uint32_t)w->cols);
        if (w->written != w->nchunks)
            rc = cw_error("%s: only %d of %d chunks written", w->path, w->written, w->nchunks);
        else if (fseeko(w->fp, 0, SEEK_SET) || fwrite(h, 1, sizeof h, w->fp) != sizeof h ||
                 fwrite(w->table, 16, (size_t)w->nchunks, w->fp) != (size_t)w->nchunks || fflush(w->fp) ||
                 fsync(fileno(w->fp)))
            rc = cw_error("%s: write failed: %s", w->tmp, strerror(errno));
    }
    if (w->fp && fclose(w->fp) && commit && rc == 0)
        rc = cw_error("%s: close failed: %s", w->tmp, strerror(errno));
    if (w->fp && (!commit || rc))
        unlink(w->tmp);
    else if (w->fp && cw_commit_file(w->tmp, w->path))
        rc = -1;
    free(w->table);
    free(w->done);
    free(w);
    return commit ? rc : 0;
}

/* -------------------------------------------------------------- upgrade */

int cw_state_chunk_rows(const cw_state_file *f) { return f ? f->rows : CW_STATE_ROWS; }

cw_state_rect cw_state_rect_of(const cw_state_file *f, int c)
{
    return cw_state_chunk_rect(f->width, f->height, f->rows, f->cols, c);
}

int cw_state_nchunks(const cw_state_file *f)
{
    return f->nchunks;
}

_Static_assert(CW_STATE_BAND % 128 == 0 && CW_STATE_BAND % CW_STATE_ROWS == 0,
               "a band holds whole chunks of every format's rows");

static int current(const cw_state_file *f)
{
    /* version 6 differs only in its frames' checksums, which are read as they are */
    return f->version >= 6 && f->rows == CW_STATE_ROWS && f->cols == cols_for(f->width);
}

/* Rows [r0, r0 + nr) and columns [c0, c0 + nc) of a plane-major chunk
 * (sw pixels a row, spx pixels, planes `from`) into dst, plane-major over
 * that rectangle in this build's order of the planes. */
static void chunk_rect_copy(cw_state_kind k, const uint8_t *from, const uint8_t *src, size_t sw, size_t spx,
                            size_t r0, size_t nr, size_t c0, size_t nc, uint8_t *dst)
{
    const int n = kinds[k].n;
    size_t so[64], sp = 0; /* where each plane starts in src, by its index in this build's order */
    int map[64];           /* from's plane p is this build's plane map[p] */
    for (int p = 0; p < n; p++)
        map[p] = p;
    if (from == planes_ref_v5) /* counts last, then first */
        for (int p = 0; p < n; p++)
            map[p] = p < n - 2 ? p + 2 : p - (n - 2);
    for (int p = 0; p < n; p++) {
        so[map[p]] = sp;
        sp += from[p] * spx;
    }
    const size_t npx = nr * nc;
    size_t dof = 0;
    for (int p = 0; p < n; p++) {
        const size_t e = kinds[k].el[p];
        for (size_t y = 0; y < nr; y++)
            memcpy(dst + dof + y * nc * e, src + so[p] + ((r0 + y) * sw + c0) * e, nc * e);
        dof += e * npx;
    }
}

int cw_state_upgrade(const char *path, cw_state_kind kind, int width, int height)
{
    cw_state_file *f = cw_state_open(path, kind, width, height);
    if (!f)
        return -1;
    if (current(f)) {
        cw_state_close(f);
        return 0;
    }
    const int old_rows = f->rows, old_cols = f->cols, cols = cols_for(width);
    if (old_rows % CW_STATE_ROWS || (old_cols % cols && old_cols != width)) {
        cw_state_close(f);
        return cw_error("%s: chunks of %d x %d cannot be cut into chunks of %d x %d", path, old_rows,
                        old_cols, CW_STATE_ROWS, cols);
    }
    const size_t bpp = cw_state_bpp(kind);
    const int ncx = (width + cols - 1) / cols, band = CW_STATE_BAND / CW_STATE_ROWS; /* chunk rows a band */
    uint8_t *big = cw_big_malloc((size_t)old_cols * (size_t)old_rows * bpp),
            *small = malloc((size_t)cols * CW_STATE_ROWS * bpp);
    cw_state_io *io = cw_state_io_new();
    cw_state_writer *w = big && small && io ? cw_state_create(path, kind, width, height) : NULL;
    int rc = w ? 0 : big && small && io ? -1 : cw_error("out of memory");
    for (int oc = 0; rc == 0 && oc < f->nchunks; oc++) {
        const cw_state_rect o = cw_state_rect_of(f, oc);
        if (cw_state_read_chunk(f, kind, width, height, oc, io, big)) {
            rc = -1;
            break;
        }
        const uint8_t *from = layout_of(kind, f->version);
        for (int r0 = 0; rc == 0 && r0 < o.rows; r0 += CW_STATE_ROWS)
            for (int c0 = 0; rc == 0 && c0 < o.cols; c0 += cols) {
                const int nr = o.rows - r0 < CW_STATE_ROWS ? o.rows - r0 : CW_STATE_ROWS;
                const int nc = o.cols - c0 < cols ? o.cols - c0 : cols;
                chunk_rect_copy(kind, from, big, (size_t)o.cols, (size_t)o.rows * (size_t)o.cols, (size_t)r0,
                                (size_t)nr, (size_t)c0, (size_t)nc, small);
                const int cy = (o.y0 + r0) / CW_STATE_ROWS,
                          cx = (o.x0 + c0) / cols; /* its slot: its place in the band */
                if (cw_state_compress(io, cx * band + cy % band, kind, small, (size_t)nr * (size_t)nc))
                    rc = -1;
            }
        /* a band's chunks all cut (old chunks are whole parts of a band): appended as a pass appends them */
        const int end = o.y0 + o.rows;
        if (rc == 0 && o.x0 + o.cols == width && (end % CW_STATE_BAND == 0 || end == height)) {
            const int cy0 = (end - 1) / CW_STATE_BAND * band, cy1 = (end + CW_STATE_ROWS - 1) / CW_STATE_ROWS;
            for (int cx = 0; rc == 0 && cx < ncx; cx++)
                for (int cy = cy0; rc == 0 && cy < cy1; cy++)
                    rc = cw_state_append(w, cy * ncx + cx, io, cx * band + cy % band);
        }
    }
    const int ver = f->version;
    cw_state_close(f);
    if (cw_state_finish(w, rc == 0))
        rc = -1;
    if (rc == 0)
        cw_info("%s: state (version %d, chunks of %d x %d) cut into chunks of %d x %d (format version %d)",
                path, ver, old_rows, old_cols, CW_STATE_ROWS, cols, CW_STATE_VERSION);
    free(big);
    free(small);
    cw_state_io_free(io);
    return rc;
}

cw_state_file *cw_state_open_current(const char *path, cw_state_kind kind, int width, int height)
{
    cw_state_file *f = cw_state_open(path, kind, width, height);
    if (!f || current(f))
        return f;
    cw_state_close(f);
    return cw_state_upgrade(path, kind, width, height) ? NULL : cw_state_open(path, kind, width, height);
}
