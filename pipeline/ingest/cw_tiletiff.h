/*
 * cw_tiletiff.h - direct tile reads of the GeoTIFF/COG bands Sentinel-2
 * archives hold (tiled, little-endian, unsigned 8/16-bit, one sample per
 * plane, DEFLATE/ZSTD/no compression, horizontal predictor or none).
 *
 * GDAL decodes such a tile through its block cache and libtiff, whose
 * predictor undo is a scalar loop that stalls on every pixel (about a
 * fifth of a decode).  Here the compressed bytes are read with libtiff,
 * inflated with libdeflate (what GDAL uses) or libzstd, and the predictor
 * is undone with a register-carried running sum, straight into the
 * caller's buffer.  The bytes are the same as GDAL's (a unit test compares
 * them); anything this reader does not handle - another layout or codec,
 * a sparse or damaged tile - is left to GDAL, block by block, so GDAL's
 * errors stay the errors users see.
 */
#ifndef CW_TILETIFF_H
#define CW_TILETIFF_H

typedef struct cw_tiletiff cw_tiletiff;

/* Opens band `band` (1-based) of path for direct reads of tiles bw x bh of
 * bytes_per_px (1 or 2) bytes; NULL when the file is not a layout handled
 * here (not an error: read through GDAL). */
cw_tiletiff *cw_tiletiff_open(const char *path, int band, int bytes_per_px, int bw, int bh);
/* Tile (bx, by) into out (bw * bh pixels): 0 done, 1 not handled here
 * (read it through GDAL), -1 corrupt: its compressed bytes do not decode
 * (not given to GDAL, whose GeoTIFF reader can return such a tile's pixels
 * wrong, or zero, without an error). */
int cw_tiletiff_read(cw_tiletiff *t, int bx, int by, void *out);
void cw_tiletiff_close(cw_tiletiff *t);

#endif
