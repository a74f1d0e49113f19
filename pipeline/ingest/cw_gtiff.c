/* cw_gtiff.c - see cw_gtiff.h.  Runs in the strip driver's ordered commit. */
#include "ingest/cw_gtiff.h"
#include "ck_common.h"
#include "cw_util.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cw_raster_out {
    GDALDatasetH ds;
    GDALRasterBandH band;
    cw_out_type type;
    int width, height;
    char tmp[PATH_MAX], path[PATH_MAX];
};

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

cw_raster_out *cw_raster_out_create(const char *path, const cw_scene *s, cw_out_type type,
                                    cw_codec codec, const char *band_desc, char **meta)
{
    cw_raster_out *o = calloc(1, sizeof *o);
    char **opts = NULL;
    if (!o) {
        cw_error("out of memory");
        return NULL;
    }
    o->type = type;
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
    case CW_CODEC_ZSTD:
        opts = CSLSetNameValue(opts, "COMPRESS", "ZSTD");
        opts = CSLSetNameValue(opts, "ZSTD_LEVEL", "1");
        opts = CSLSetNameValue(opts, "PREDICTOR", pred);
        break;
    case CW_CODEC_DEFLATE:
        opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
        opts = CSLSetNameValue(opts, "ZLEVEL", "6");
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

int cw_raster_out_write(cw_raster_out *o, int y0, int nrows, const void *tiles)
{
    const int T = CW_OUT_TILE, ntx = (o->width + T - 1) / T;
    const size_t tile_bytes = (size_t)T * T * (o->type == CW_OUT_FLOAT32 ? 4 : o->type == CW_OUT_INT16 ? 2 : 1);
    if (y0 % T != 0 || (nrows % T != 0 && y0 + nrows != o->height))
        return cw_error("internal: strip %d+%d is not aligned to output tiles", y0, nrows);
    const char *t = tiles;
    for (int ty = 0; ty * T < nrows; ty++)
        for (int bx = 0; bx < ntx; bx++, t += tile_bytes)
            /* the GTiff driver copies before it encodes: the buffer is not modified */
            if (GDALWriteBlock(o->band, bx, y0 / T + ty, (void *)(uintptr_t)t) != CE_None)
                return cw_error("writing %s failed: %s", o->tmp, cw_gdal_errmsg());
    return 0;
}

int cw_raster_out_close(cw_raster_out *o, int commit)
{
    if (!o)
        return 0;
    int rc = 0;
    if (o->ds) {
        CPLErrorReset();
        GDALClose(o->ds);
        if (CPLGetLastErrorType() >= CE_Failure)
            rc = cw_error("closing %s failed: %s", o->tmp, CPLGetLastErrorMsg());
        o->ds = NULL;
        if (commit && rc == 0)
            rc = cw_commit_file(o->tmp, o->path);
        else
            unlink(o->tmp);
    }
    free(o);
    return rc;
}
