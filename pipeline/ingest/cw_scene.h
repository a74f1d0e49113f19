/*
 * cw_scene.h - one Sentinel-2 L2A acquisition, whatever its layout.
 *
 * cw_scene_open() finds the band files (a folder of per-band GeoTIFF/COG,
 * an ESA .SAFE folder, or one multi-band GeoTIFF with named bands), reads
 * tile id, date, CRS and grid, decides each band's DN -> reflectance
 * convention once, and checks that every band lies on the 10 m grid (or an
 * integer multiple of it with the same origin).  It keeps no GDAL handle
 * open: readers (cw_strip.h) open their own, one set per thread.
 */
#ifndef CW_SCENE_H
#define CW_SCENE_H

#include "ck_common.h"
#include "ck_reflect.h"

#include <limits.h>

/* Sources: the spectral bands of ck_band, then the SCL classification. */
#define CW_SRC_SCL CK_NBANDS
#define CW_NSRC (CK_NBANDS + 1)
#define CW_SRC_BIT(s) (1u << (unsigned)(s))

typedef enum { CW_LAYOUT_FOLDER, CW_LAYOUT_SAFE, CW_LAYOUT_MULTIBAND } cw_layout;

typedef struct {
    int present;
    char path[PATH_MAX]; /* file GDAL opens */
    int band_index;      /* 1-based band in that file */
    int factor;          /* native pixel size / grid pixel size: 1 or 2 (or 6) */
    int nat_w, nat_h;    /* native size, pixels */
    int block_w, block_h;
    ck_dn_conv conv;     /* spectral bands only */
} cw_src;

typedef struct {
    char path[PATH_MAX];
    cw_layout layout;
    char product_id[256]; /* folder or file name without extension */
    char tile[8];         /* MGRS id, e.g. "18MTD"; "" when unknown */
    char date[11];        /* acquisition date YYYY-MM-DD; "" when unknown */
    char *crs_wkt;        /* WKT of the grid's CRS (owned) */
    char crs_name[160];   /* e.g. "EPSG:32718 (WGS 84 / UTM zone 18S)" */
    double gt[6];         /* geotransform of the 10 m grid */
    int width, height;    /* pixels of the grid */
    double res;           /* pixel size, metres */
    cw_src src[CW_NSRC];
    char offset_desc[320]; /* how the DN offset was decided, for logs */
    char baseline[8];      /* processing baseline "05.10" or "" */
} cw_scene;

typedef struct {
    int have_offset;  /* 1: use `offset` for every band (explicit override) */
    double offset;    /* BOA_ADD_OFFSET in DN, e.g. -1000 */
} cw_scene_opts;

int cw_scene_open(const char *path, const cw_scene_opts *opts, cw_scene *s);
void cw_scene_free(cw_scene *s);

const char *cw_src_name(int src);      /* "B04", "SCL" */
const char *cw_layout_name(cw_layout l);
/* Sources of `need` (CW_SRC_BIT set) the scene lacks, as a bit set. */
unsigned cw_scene_missing(const cw_scene *s, unsigned need);
/* "B08, B12" for a bit set. */
void cw_src_list(unsigned bits, char *buf, size_t n);

#endif
