/* cw_tiletiff.c - see cw_tiletiff.h.  One instance per thread and file. */
#include "ingest/cw_tiletiff.h"

#include <libdeflate.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>
#include <zstd_errors.h>

struct cw_tiletiff {
    TIFF *tif;
    int bpp, bw, bh, sample, compression, predictor;
    struct libdeflate_decompressor *inflate;
    ZSTD_DCtx *zstd;
    unsigned char *raw;
    size_t raw_cap;
};

/* libtiff's messages for this handle: anything it complains about is
 * re-read through GDAL, which reports it properly. */
static int quiet(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
    return 1;
}

void cw_tiletiff_close(cw_tiletiff *t)
{
    if (!t)
        return;
    if (t->tif)
        TIFFClose(t->tif);
    if (t->inflate)
        libdeflate_free_decompressor(t->inflate);
    ZSTD_freeDCtx(t->zstd);
    free(t->raw);
    free(t);
}

cw_tiletiff *cw_tiletiff_open(const char *path, int band, int bytes_per_px, int bw, int bh)
{
    cw_tiletiff *t = calloc(1, sizeof *t);
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!t || !opts)
        goto no;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, quiet, NULL);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, quiet, NULL);
    t->tif = TIFFOpenExt(path, "rm", opts); /* r: read only, m: no mmap */
    TIFFOpenOptionsFree(opts);
    opts = NULL;
    if (!t->tif)
        goto no;
    uint16_t bits = 0, fmt = 0, spp = 0, planar = 0, comp = 0, pred = 0;
    uint32_t tw = 0, th = 0;
    TIFF *tif = t->tif;
    if (!TIFFIsTiled(tif) || TIFFIsByteSwapped(tif) || !TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw) ||
        !TIFFGetField(tif, TIFFTAG_TILELENGTH, &th) || (int)tw != bw || (int)th != bh)
        goto no;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
    if (comp != COMPRESSION_NONE)
        TIFFGetFieldDefaulted(tif, TIFFTAG_PREDICTOR, &pred);
    /* only what libtiff itself accepts: a predictor of 0 or 3+ (floating
     * point on integers) goes to GDAL, which reports it */
    if ((bytes_per_px != 1 && bytes_per_px != 2) || bits != 8 * bytes_per_px || fmt != SAMPLEFORMAT_UINT ||
        band < 1 || band > spp || (spp > 1 && planar != PLANARCONFIG_SEPARATE) ||
        (comp != COMPRESSION_NONE && pred != PREDICTOR_NONE && pred != PREDICTOR_HORIZONTAL))
        goto no;
    if (comp == COMPRESSION_ADOBE_DEFLATE || comp == COMPRESSION_DEFLATE)
        t->inflate = libdeflate_alloc_decompressor();
    else if (comp == COMPRESSION_ZSTD)
        t->zstd = ZSTD_createDCtx();
    else if (comp != COMPRESSION_NONE)
        goto no;
    if ((comp != COMPRESSION_NONE && !t->inflate && !t->zstd))
        goto no;
    t->bpp = bytes_per_px;
    t->bw = bw;
    t->bh = bh;
    t->sample = band - 1;
    t->compression = comp;
    t->predictor = pred;
    return t;
no:
    TIFFOpenOptionsFree(opts);
    cw_tiletiff_close(t);
    return NULL;
}

/* Horizontal differencing undone: each row a running sum kept in a
 * register (libtiff's loop adds through memory, one stall per pixel), four
 * rows at a time so that their four chains of dependent adds overlap. */
#define UNDO_ROWS(T)                                                                                         \
    do {                                                                                                     \
        T *p = buf;                                                                                          \
        const size_t W = (size_t)w;                                                                          \
        int y = 0;                                                                                           \
        for (; y + 4 <= h; y += 4) {                                                                         \
            T *restrict r0 = p + (size_t)y * W, *restrict r1 = r0 + W, *restrict r2 = r1 + W,                \
                        *restrict r3 = r2 + W;                                                               \
            T a0 = r0[0], a1 = r1[0], a2 = r2[0], a3 = r3[0];                                                \
            for (size_t x = 1; x < W; x++) {                                                                 \
                r0[x] = a0 = (T)(a0 + r0[x]);                                                                \
                r1[x] = a1 = (T)(a1 + r1[x]);                                                                \
                r2[x] = a2 = (T)(a2 + r2[x]);                                                                \
                r3[x] = a3 = (T)(a3 + r3[x]);                                                                \
            }                                                                                                \
        }                                                                                                    \
        for (; y < h; y++) { /* tiles are multiples of 16 rows: not for a valid TIFF */                      \
            T *r = p + (size_t)y * W, a = r[0];                                                              \
            for (size_t x = 1; x < W; x++)                                                                   \
                r[x] = a = (T)(a + r[x]);                                                                    \
        }                                                                                                    \
    } while (0)

static void undo_predictor(void *buf, int bpp, int w, int h)
{
    if (bpp == 2)
        UNDO_ROWS(uint16_t);
    else
        UNDO_ROWS(uint8_t);
}

int cw_tiletiff_read(cw_tiletiff *t, int bx, int by, void *out)
{
    TIFF *tif = t->tif;
    uint32_t iw = 0, ih = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &iw);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &ih);
    if (bx < 0 || by < 0 || (uint64_t)bx * (uint64_t)t->bw >= iw || (uint64_t)by * (uint64_t)t->bh >= ih)
        return 1; /* outside the image: no tile to read */
    uint32_t tile = TIFFComputeTile(tif, (uint32_t)(bx * t->bw), (uint32_t)(by * t->bh), 0, (uint16_t)t->sample);
    if (tile >= TIFFNumberOfTiles(tif))
        return 1;
    uint64_t n = TIFFGetStrileByteCount(tif, tile);
    const size_t want = (size_t)t->bw * (size_t)t->bh * (size_t)t->bpp;
    if (n == 0 || n > (uint64_t)want * 2 + 65536) /* sparse, or not a tile we expect */
        return 1;
    if (t->compression == COMPRESSION_NONE) {
        if (n < want || TIFFReadRawTile(tif, tile, out, (tmsize_t)want) != (tmsize_t)want)
            return 1;
        return 0;
    }
    if (n > t->raw_cap) {
        unsigned char *p = realloc(t->raw, (size_t)n);
        if (!p)
            return 1;
        t->raw = p;
        t->raw_cap = (size_t)n;
    }
    if (TIFFReadRawTile(tif, tile, t->raw, (tmsize_t)n) != (tmsize_t)n)
        return 1;
    if (t->inflate) {
        size_t got = 0;
        const enum libdeflate_result res = libdeflate_zlib_decompress(t->inflate, t->raw, (size_t)n, out, want, &got);
        /* bytes that are no DEFLATE stream, or one that runs past the tile
         * (garbage within a Huffman block decodes into codes until the
         * buffer is full: zlib, and GDAL through it, return that without
         * an error, its checksum never reached) */
        if (res == LIBDEFLATE_BAD_DATA || res == LIBDEFLATE_INSUFFICIENT_SPACE)
            return -1;
        if (res != LIBDEFLATE_SUCCESS || got != want)
            return 1;
    } else {
        /* libtiff streams with zstd's default window limit: a frame asking
         * for a larger window is one libtiff refuses, so refuse it too */
        ZSTD_frameHeader fh;
        if (ZSTD_getFrameHeader(&fh, t->raw, (size_t)n) != 0 || fh.windowSize > ((unsigned long long)1 << 27))
            return 1;
        size_t got = ZSTD_decompressDCtx(t->zstd, out, want, t->raw, (size_t)n);
        if (ZSTD_isError(got) && (ZSTD_getErrorCode(got) == ZSTD_error_corruption_detected ||
                                  ZSTD_getErrorCode(got) == ZSTD_error_checksum_wrong ||
                                  ZSTD_getErrorCode(got) == ZSTD_error_dstSize_tooSmall))
            return -1;
        if (ZSTD_isError(got) || got != want)
            return 1;
    }
    if (t->predictor == PREDICTOR_HORIZONTAL)
        undo_predictor(out, t->bpp, t->bw, t->bh);
    return 0;
}
