/*
 * cw_aoi.h - areas of interest: registered chakras and conserved areas.
 *
 * Loaded once per run from any vector file OGR reads (GeoJSON, GeoPackage,
 * Shapefile...), in any CRS, as polygons or as points with a radius
 * (plots under 4 ha are often declared as points).  For each tile they are
 * reprojected to the tile's CRS and rasterized onto its grid in their own
 * windows (AOIs may overlap: a chakra inside a conserved area).  Malformed
 * features are reported by file and feature id and skipped.
 */
#ifndef CW_AOI_H
#define CW_AOI_H

#include "cw_config.h"
#include "ingest/cw_scene.h"

#include <ogr_api.h>
#include <ogr_srs_api.h>

typedef enum { CW_AOI_CONSERVED = 0, CW_AOI_CHAKRA = 1, CW_AOI_PLOT = 2 /* a plot being verified */ } cw_aoi_kind;

typedef struct {
    char id[96];
    char name[256];
    cw_aoi_kind kind;
    char source[PATH_MAX];
    long fid;
    OGRGeometryH geom;        /* in the source CRS (owned) */
    OGRSpatialReferenceH srs; /* source CRS (owned clone), traditional GIS axis order */
    double radius_m;          /* > 0 for point features: buffered in the tile CRS */
} cw_aoi;

typedef struct {
    cw_aoi *a;
    int n;
    int n_bad; /* features or files skipped */
} cw_aoi_set;

/* -1 (nothing loaded) when a file cannot be opened or a layer lacks the
 * id field: the configuration is unusable.  Malformed features and layers
 * without a CRS are reported and skipped (n_bad). */
int cw_aoi_load(const cw_config *c, cw_aoi_set *set);
void cw_aoi_set_free(cw_aoi_set *set);
const char *cw_aoi_kind_name(cw_aoi_kind k); /* "conserved", "chakra", "plot" */

/* One AOI on one tile grid. */
typedef struct {
    int aoi;           /* index in the set */
    OGRGeometryH geom; /* in the tile CRS (owned) */
    int x0, y0, w, h;  /* window on the grid (w = 0: within 2 km but off the grid) */
    uint8_t *mask;     /* w x h, 1 inside */
    uint64_t npx;      /* pixels inside */
    double area_ha;    /* from the geometry, tile CRS metres */
} cw_aoi_tile;

typedef struct {
    cw_aoi_tile *t;
    int n;
} cw_aoi_grid;

/* AOIs within 2 km of the tile, rasterized; -1 on error. */
int cw_aoi_grid_build(const cw_aoi_set *set, const cw_scene *s, cw_aoi_grid *g);
void cw_aoi_grid_free(cw_aoi_grid *g);

/* Rows [y0, y0+nrows) and columns [x0, x0 + width) of the grid (out:
 * nrows x width): 1 where a chakra covers the pixel; returns 0 when no
 * chakra reaches them. */
int cw_aoi_chakra_rows(const cw_aoi_grid *g, const cw_aoi_set *set, int y0, int nrows, int x0, int width,
                       uint8_t *out);
/* Rows [y0, y0+nrows) and columns [x0, x0 + width) of a grid of height
 * rows and grid_w columns: 1 on a chakra or next to one (8 neighbours), the
 * pixels around them looked at, so where they start changes nothing.  out
 * and scratch hold (nrows + 2) x (width + 2) bytes; returns out (nrows x
 * width), or NULL when no chakra reaches them or the ones around (no pixel
 * is near one). */
const uint8_t *cw_aoi_chakra_near(const cw_aoi_grid *g, const cw_aoi_set *set, int y0, int nrows, int height,
                                  int x0, int width, int grid_w, uint8_t *out, uint8_t *scratch);
/* Per AOI of the grid, add to counts[k] the pixels of rows [y0, y0+nrows)
 * and columns [x0, x0 + width) inside AOI k for which flag[] (row-major
 * over them) is nonzero. */
void cw_aoi_count_rows(const cw_aoi_grid *g, int y0, int nrows, int x0, int width, const uint8_t *flag,
                       uint64_t *counts);

enum { CW_REL_INSIDE, CW_REL_0_500, CW_REL_500_1000, CW_REL_1000_2000, CW_REL_OUTSIDE };
const char *cw_rel_name(int rel);

typedef struct {
    int aoi;     /* index in the set */
    int rel;     /* CW_REL_* */
    double dist; /* metres, 0 inside */
} cw_aoi_rel;

/* AOIs of the grid within 2 km of geom (tile CRS), nearest first
 * (conserved before chakra, then id, on ties); returns how many (<= max). */
int cw_aoi_relate(const cw_aoi_grid *g, const cw_aoi_set *set, OGRGeometryH geom, cw_aoi_rel *out, int max);

/* The CRSs cw_aoi_share_inside works in, made once each: WGS84 and the UTM
 * zones (north then south).  Zero-initialise; free with cw_aoi_zones_free. */
typedef struct {
    OGRSpatialReferenceH ll, utm[120];
} cw_aoi_zones;
void cw_aoi_zones_free(cw_aoi_zones *z);

/* The share of a geometry in WGS84 (an alert of the history) that lies
 * inside an AOI, both measured in the UTM zone of the geometry's centre (a
 * point AOI buffered by its radius there): an alert across a territory's
 * border counts there with its part inside.  -1 when they cannot be
 * related (no transformation). */
double cw_aoi_share_inside(const cw_aoi *a, OGRGeometryH g_ll, cw_aoi_zones *z);

#endif
