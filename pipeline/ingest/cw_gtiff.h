/*
 * cw_gtiff.h - tiled, compressed single-band GeoTIFF outputs on the scene
 * grid, written atomically: created under a temporary name, tiles written
 * directly in row-major order (so the bytes do not depend on threads or
 * on GDAL's cache), closed with the result checked, then renamed.
 */
#ifndef CW_GTIFF_H
#define CW_GTIFF_H

#include "ingest/cw_scene.h"

#define CW_OUT_TILE 512 /* output tile size; strips are multiples of it */

typedef enum { CW_OUT_FLOAT32, CW_OUT_INT16, CW_OUT_BYTE /* flags: no nodata, no scale */ } cw_out_type;
typedef enum { CW_CODEC_ZSTD, CW_CODEC_DEFLATE, CW_CODEC_LZW, CW_CODEC_NONE } cw_codec;

typedef struct cw_raster_out cw_raster_out;

int cw_codec_parse(const char *s, cw_codec *out);
const char *cw_codec_name(cw_codec c);
/* Compression levels: CW_LEVEL_DEFAULT, or ZSTD -7..19 (negative: ZSTD's
 * fast levels) and DEFLATE 1..12; LZW and none take no level. */
#define CW_LEVEL_DEFAULT (-100)
int cw_codec_level_check(cw_codec c, int level);

/* meta: NULL-terminated "KEY=VALUE" list stored as dataset metadata.
 * level: checked by cw_codec_level_check; CW_LEVEL_DEFAULT is ZSTD 1 or
 * DEFLATE 6. */
cw_raster_out *cw_raster_out_create(const char *path, const cw_scene *s, cw_out_type type,
                                    cw_codec codec, int level, const char *band_desc, char **meta);
/* A strip's tiles compressed ahead of the ordered write, by the thread
 * that made them: ZSTD outputs (the default codec) are encoded here, with
 * libtiff's predictors, and written raw, so compression runs in parallel.
 * One encoder per thread and output, for strips of up to max_cols x
 * max_rows. */
typedef struct cw_tile_enc cw_tile_enc;
cw_tile_enc *cw_tile_enc_new(const cw_raster_out *o, int max_cols, int max_rows);
void cw_tile_enc_free(cw_tile_enc *e);
/* Encodes the strip's tiles (width x nrows, tile-major) into e; outputs
 * of other codecs leave e empty (GDAL encodes them in the write). */
int cw_raster_out_encode(const cw_raster_out *o, cw_tile_enc *e, int width, int nrows, const void *tiles);

/* Rows [y0, y0+nrows) and columns [x0, x0 + width) of the grid (a strip,
 * or a column window of one), already cut into output tiles (the
 * "tile-major" layout below), so the writer copies nothing.  x0 and y0
 * must be multiples of CW_OUT_TILE, and width and nrows too unless the
 * strip ends the raster.  Called in row-major order of the tiles.  enc:
 * the same tiles from cw_raster_out_encode, or NULL (encoded here). */
int cw_raster_out_write(cw_raster_out *o, int x0, int y0, int width, int nrows, const void *tiles,
                        const cw_tile_enc *enc);

/* Tile-major layout of a strip of `width` columns: tile rows top to
 * bottom, tiles left to right, each CW_OUT_TILE x CW_OUT_TILE pixels row by
 * row; the parts of edge tiles outside the grid hold no data.
 * cw_tiles_pixels: pixels of a strip of nrows; cw_tiles_index: where the
 * strip's pixel (x, y) goes. */
size_t cw_tiles_pixels(int width, int nrows);
static inline size_t cw_tiles_index(int width, int x, int y)
{
    size_t ntx = (size_t)(width + CW_OUT_TILE - 1) / CW_OUT_TILE;
    size_t ty = (size_t)y / CW_OUT_TILE, tx = (size_t)x / CW_OUT_TILE;
    return (((ty * ntx + tx) * CW_OUT_TILE + (size_t)y % CW_OUT_TILE) * CW_OUT_TILE) + (size_t)x % CW_OUT_TILE;
}
/* commit = 1: close, check, rename into place; 0: discard. NULL is fine. */
int cw_raster_out_close(cw_raster_out *o, int commit);

#endif
