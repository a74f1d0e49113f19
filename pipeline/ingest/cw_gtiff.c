/* cw_gtiff.c - see cw_gtiff.h.  Encoding runs in the strip driver's
 * parallel phase, writing in its ordered commit. */
#include "ingest/cw_gtiff.h"
#include "ck_common.h"
#include "ck_planes.h"
#include "cw_util.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>
#include <zstd.h>

struct cw_raster_out {
    GDALDatasetH ds;
    GDALRasterBandH band;
    TIFF *tif; /* ZSTD outputs: GDAL made the file and its tags, tiles go in raw */
    cw_out_type type;
    int width, height;
    int level; /* ZSTD level of our encoder */
    char tmp[PATH_MAX], path[PATH_MAX];
    cw_tile_enc *serial; /* for writes whose tiles were not encoded in parallel */
};

struct cw_tile_enc {
    ZSTD_CCtx *cc;
    unsigned char *plane, *diff; /* one tile, after the predictor */
    unsigned char *data;         /* the strip's compressed tiles, one after the other */
    size_t cap, *size, *off;
    int ntiles, max_tiles;
};

static size_t px_bytes(cw_out_type t) { return t == CW_OUT_FLOAT32 ? 4 : t == CW_OUT_INT16 ? 2 : 1; }

static const char *const codec_names[] = {"zstd", "deflate", "lzw", "none"};

int cw_codec_parse(const char *s, cw_codec *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, codec_names[i]) == 0) {
            *out = (cw_codec)i;
            return 0;
        }
    return cw_error("unknown codec '%s' (zstd, deflate, lzw, none)", s);
}

const char *cw_codec_name(cw_codec c) { return codec_names[c]; }

int cw_codec_level_check(cw_codec c, int level)
{
    if (level == CW_LEVEL_DEFAULT)
        return 0;
    if (c == CW_CODEC_ZSTD && (level < -7 || level > 19))
        return cw_error("ZSTD level %d: -7..19", level);
    if (c == CW_CODEC_DEFLATE && (level < 1 || level > 12))
        return cw_error("DEFLATE level %d: 1..12", level);
    if (c == CW_CODEC_LZW || c == CW_CODEC_NONE)
        return cw_error("%s takes no level", codec_names[c]);
    return 0;
}

cw_raster_out *cw_raster_out_create(const char *path, const cw_scene *s, cw_out_type type,
                                    cw_codec codec, int level, const char *band_desc, char **meta)
{
    if (cw_codec_level_check(codec, level))
        return NULL;
    cw_raster_out *o = calloc(1, sizeof *o);
    char **opts = NULL;
    char zlevel[8];
    if (!o) {
        cw_error("out of memory");
        return NULL;
    }
    o->type = type;
    o->level = level == CW_LEVEL_DEFAULT ? 1 : level;
    o->width = s->width;
    o->height = s->height;
    cw_strlcpy(o->path, path, sizeof o->path);
    if (cw_tmp_path(o->tmp, sizeof o->tmp, path))
        goto fail;
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (!drv) {
        cw_error("GDAL has no GTiff driver");
        goto fail;
    }
    const char *pred = type == CW_OUT_FLOAT32 ? "3" : type == CW_OUT_INT16 ? "2" : "1";
    opts = CSLSetNameValue(opts, "TILED", "YES");
    opts = CSLSetNameValue(opts, "BLOCKXSIZE", "512");
    opts = CSLSetNameValue(opts, "BLOCKYSIZE", "512");
    opts = CSLSetNameValue(opts, "BIGTIFF", "IF_SAFER");
    switch (codec) {
    case CW_CODEC_ZSTD: /* our own encoder writes the tiles: GDAL leaves them out */
        opts = CSLSetNameValue(opts, "COMPRESS", "ZSTD");
        opts = CSLSetNameValue(opts, "ZSTD_LEVEL", "1");
        opts = CSLSetNameValue(opts, "PREDICTOR", pred);
        opts = CSLSetNameValue(opts, "SPARSE_OK", "TRUE");
        break;
    case CW_CODEC_DEFLATE:
        snprintf(zlevel, sizeof zlevel, "%d", level == CW_LEVEL_DEFAULT ? 6 : level);
        opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
        opts = CSLSetNameValue(opts, "ZLEVEL", zlevel);
        opts = CSLSetNameValue(opts, "PREDICTOR", pred);
        break;
    case CW_CODEC_LZW:
        opts = CSLSetNameValue(opts, "COMPRESS", "LZW");
        opts = CSLSetNameValue(opts, "PREDICTOR", pred);
        break;
    case CW_CODEC_NONE:
        break;
    }
    o->ds = GDALCreate(drv, o->tmp, s->width, s->height, 1,
                       type == CW_OUT_FLOAT32 ? GDT_Float32 : type == CW_OUT_INT16 ? GDT_Int16 : GDT_Byte, opts);
    if (!o->ds) {
        cw_error("cannot create %s: %s", o->tmp, cw_gdal_errmsg());
        goto fail;
    }
    o->band = GDALGetRasterBand(o->ds, 1);
    double gt[6];
    memcpy(gt, s->gt, sizeof gt);
    if (GDALSetGeoTransform(o->ds, gt) != CE_None || GDALSetProjection(o->ds, s->crs_wkt) != CE_None) {
        cw_error("cannot georeference %s: %s", o->tmp, cw_gdal_errmsg());
        goto fail;
    }
    GDALSetDescription(o->band, band_desc);
    if (type == CW_OUT_FLOAT32) {
        GDALSetRasterNoDataValue(o->band, NAN);
    } else if (type == CW_OUT_INT16) {
        GDALSetRasterNoDataValue(o->band, CK_NODATA_I16);
        GDALSetRasterScale(o->band, 1e-4);
        GDALSetRasterOffset(o->band, 0.0);
    }
    for (char **m = meta; m && *m; m++) {
        char *key = NULL;
        const char *val = CPLParseNameValue(*m, &key);
        if (key && val)
            GDALSetMetadataItem(o->ds, key, val, NULL);
        CPLFree(key);
    }
    CSLDestroy(opts);
    opts = NULL;
    if (codec == CW_CODEC_ZSTD) {
        /* GDAL writes the header, georeferencing, metadata and empty tile
         * tables; libtiff then appends the tiles we compressed */
        CPLErrorReset();
        GDALClose(o->ds);
        o->ds = NULL;
        if (CPLGetLastErrorType() >= CE_Failure) {
            cw_error("cannot create %s: %s", o->tmp, cw_gdal_errmsg());
            goto fail;
        }
        if (!(o->tif = TIFFOpen(o->tmp, "r+"))) {
            cw_error("cannot reopen %s to write its tiles", o->tmp);
            goto fail;
        }
    }
    return o;
fail:
    CSLDestroy(opts);
    cw_raster_out_close(o, 0);
    return NULL;
}

size_t cw_tiles_pixels(int width, int nrows)
{
    size_t T = CW_OUT_TILE;
    return ((size_t)width + T - 1) / T * T * (((size_t)nrows + T - 1) / T * T);
}

cw_tile_enc *cw_tile_enc_new(const cw_raster_out *o, int max_cols, int max_rows)
{
    const int T = CW_OUT_TILE;
    cw_tile_enc *e = calloc(1, sizeof *e);
    if (!e || !o->tif) /* GDAL encodes this output: nothing to hold */
        return e;
    const size_t tb = (size_t)T * T * px_bytes(o->type);
    const int cols = max_cols < o->width ? max_cols : o->width;
    e->max_tiles = (cols + T - 1) / T * ((max_rows + T - 1) / T);
    e->cap = ZSTD_compressBound(tb);
    e->cc = ZSTD_createCCtx();
    e->plane = cw_big_malloc(tb);
    e->diff = cw_big_malloc(tb);
    e->data = cw_big_malloc(e->cap * (size_t)e->max_tiles);
    e->size = calloc((size_t)e->max_tiles, sizeof *e->size);
    e->off = calloc((size_t)e->max_tiles, sizeof *e->off);
    if (!e->cc || !e->plane || !e->diff || !e->data || !e->size || !e->off) {
        cw_tile_enc_free(e);
        return NULL;
    }
    return e;
}

void cw_tile_enc_free(cw_tile_enc *e)
{
    if (!e)
        return;
    ZSTD_freeCCtx(e->cc);
    free(e->plane);
    free(e->diff);
    free(e->data);
    free(e->size);
    free(e->off);
    free(e);
}

/* libtiff's predictors, row by row of a tile (ck_planes.h): 2 for 16-bit
 * samples, 3 for floats, none for bytes.  Returns the buffer to compress. */
static const unsigned char *predict(cw_tile_enc *e, cw_out_type type, const unsigned char *tile)
{
    const size_t T = CW_OUT_TILE;
    if (type == CW_OUT_BYTE)
        return tile;
    for (size_t y = 0; y < T; y++) {
        if (type == CW_OUT_INT16)
            ck_tiff_pred2_row((const uint16_t *)(const void *)tile + y * T, T, (uint16_t *)(void *)e->diff + y * T);
        else
            ck_tiff_pred3_row(tile + y * T * 4, T, e->plane, e->diff + y * T * 4);
    }
    return e->diff;
}

int cw_raster_out_encode(const cw_raster_out *o, cw_tile_enc *e, int width, int nrows, const void *tiles)
{
    const int T = CW_OUT_TILE;
    e->ntiles = 0;
    if (!o->tif)
        return 0; /* GDAL encodes this one */
    const size_t tb = (size_t)T * T * px_bytes(o->type);
    const int n = (width + T - 1) / T * ((nrows + T - 1) / T);
    if (n > e->max_tiles)
        return cw_error("internal: %d tiles for an encoder of %d", n, e->max_tiles);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        const unsigned char *src = predict(e, o->type, (const unsigned char *)tiles + (size_t)i * tb);
        size_t z = ZSTD_compressCCtx(e->cc, e->data + at, e->cap, src, tb, o->level);
        if (ZSTD_isError(z))
            return cw_error("zstd: %s", ZSTD_getErrorName(z));
        e->off[i] = at;
        e->size[i] = z;
        at += z;
    }
    e->ntiles = n;
    return 0;
}

int cw_raster_out_write(cw_raster_out *o, int x0, int y0, int width, int nrows, const void *tiles,
                        const cw_tile_enc *enc)
{
    const int T = CW_OUT_TILE, ntx = (width + T - 1) / T;
    const size_t tile_bytes = (size_t)T * T * px_bytes(o->type);
    if (y0 % T != 0 || (nrows % T != 0 && y0 + nrows != o->height) || x0 % T != 0 ||
        (width % T != 0 && x0 + width != o->width))
        return cw_error("internal: strip %d+%d, %d+%d is not aligned to output tiles", y0, nrows, x0, width);
    if (o->tif) {
        if (!enc) { /* not encoded by the caller's threads: here, in order */
            if (o->serial && o->serial->max_tiles < ntx * ((nrows + T - 1) / T)) {
                cw_tile_enc_free(o->serial);
                o->serial = NULL;
            }
            if (!o->serial && !(o->serial = cw_tile_enc_new(o, width, nrows > T ? nrows : T)))
                return cw_error("out of memory");
            if (cw_raster_out_encode(o, o->serial, width, nrows, tiles))
                return -1;
            enc = o->serial;
        }
        for (int i = 0; i < enc->ntiles; i++) {
            uint32_t tile =
                TIFFComputeTile(o->tif, (uint32_t)(x0 + i % ntx * T), (uint32_t)(y0 + i / ntx * T), 0, 0);
            if (TIFFWriteRawTile(o->tif, tile, enc->data + enc->off[i], (tmsize_t)enc->size[i]) !=
                (tmsize_t)enc->size[i])
                return cw_error("writing %s failed: %s", o->tmp, cw_gdal_reason(strerror(errno)));
        }
        return 0;
    }
    const char *t = tiles;
    for (int ty = 0; ty * T < nrows; ty++)
        for (int bx = 0; bx < ntx; bx++, t += tile_bytes)
            /* the GTiff driver copies before it encodes: the buffer is not modified */
            if (GDALWriteBlock(o->band, x0 / T + bx, y0 / T + ty, (void *)(uintptr_t)t) != CE_None)
                return cw_error("writing %s failed: %s", o->tmp, cw_gdal_errmsg());
    return 0;
}

int cw_raster_out_close(cw_raster_out *o, int commit)
{
    if (!o)
        return 0;
    int rc = 0, made = o->ds || o->tif;
    CPLErrorReset();
    if (o->ds)
        GDALClose(o->ds);
    if (o->tif) {
        if (!TIFFFlush(o->tif))
            rc = cw_error("closing %s failed: %s", o->tmp, cw_gdal_reason(strerror(errno)));
        TIFFClose(o->tif);
    }
    if (!rc && CPLGetLastErrorType() >= CE_Failure)
        rc = cw_error("closing %s failed: %s", o->tmp, CPLGetLastErrorMsg());
    if (made) {
        if (commit && rc == 0)
            rc = cw_commit_file(o->tmp, o->path);
        else
            unlink(o->tmp);
    }
    cw_tile_enc_free(o->serial);
    free(o);
    return rc;
}
