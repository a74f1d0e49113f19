/*
 * cw_gtiff.h - tiled, compressed single-band GeoTIFF outputs on the scene
 * grid, written atomically: created under a temporary name, tiles written
 * directly in row-major order (so the bytes do not depend on threads or
 * on GDAL's cache), closed with the result checked, then renamed.
 */
#ifndef CW_GTIFF_H
#define CW_GTIFF_H

#include "cw_scene.h"

#define CW_OUT_TILE 512 /* output tile size; strips are multiples of it */

typedef enum { CW_OUT_FLOAT32, CW_OUT_INT16 } cw_out_type;
typedef enum { CW_CODEC_ZSTD, CW_CODEC_DEFLATE, CW_CODEC_LZW, CW_CODEC_NONE } cw_codec;

typedef struct cw_raster_out cw_raster_out;

int cw_codec_parse(const char *s, cw_codec *out);
const char *cw_codec_name(cw_codec c);

/* meta: NULL-terminated "KEY=VALUE" list stored as dataset metadata. */
cw_raster_out *cw_raster_out_create(const char *path, const cw_scene *s, cw_out_type type,
                                    cw_codec codec, const char *band_desc, char **meta);
/* Rows [y0, y0+nrows) of the grid; y0 must be a multiple of CW_OUT_TILE
 * and nrows too unless the strip ends the raster. Called in row order. */
int cw_raster_out_write(cw_raster_out *o, int y0, int nrows, const void *data);
/* commit = 1: close, check, rename into place; 0: discard. NULL is fine. */
int cw_raster_out_close(cw_raster_out *o, int commit);

#endif
