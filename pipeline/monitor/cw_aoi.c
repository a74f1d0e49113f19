/*
 * cw_aoi.c - loading, reprojecting, rasterizing and relating areas of
 * interest.  Runs once per run (load) and once per tile (grid build), off
 * the hot path; relations are computed per alert with OGR/GEOS.
 */
#include "monitor/cw_aoi.h"
#include "ck_quality.h"
#include "cw_util.h"

#include <gdal.h>
#include <gdal_alg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RING_MAX_M 2000.0

const char *cw_aoi_kind_name(cw_aoi_kind k)
{
    return k == CW_AOI_CHAKRA ? "chakra" : k == CW_AOI_PLOT ? "plot" : "conserved";
}

const char *cw_rel_name(int rel)
{
    static const char *n[] = {"inside", "ring_0_500", "ring_500_1000", "ring_1000_2000", "outside"};
    return rel >= 0 && rel <= CW_REL_OUTSIDE ? n[rel] : "outside";
}

static const char *stem(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Geometry fit for use: polygonal (valid) or point-like. Why not, else. */
static const char *geom_problem(OGRGeometryH g, int *is_point)
{
    *is_point = 0;
    if (!g)
        return "no geometry";
    if (OGR_G_IsEmpty(g))
        return "empty geometry";
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPoint || t == wkbMultiPoint) {
        *is_point = 1;
        return NULL;
    }
    if (t != wkbPolygon && t != wkbMultiPolygon)
        return "not a polygon or point";
    if (!OGR_G_IsValid(g))
        return "invalid polygon (self-intersecting or degenerate ring)";
    if (OGR_G_Area(g) <= 0)
        return "polygon without area";
    return NULL;
}

/* The field of `defn` named by `names`, a comma-separated list of
 * candidates ("name_field, name"): the first the layer has, so one setting
 * serves files from different sources (the committee's chakras, Amazon
 * Mining Watch's territories).  -1: none of them. */
static int field_of(OGRFeatureDefnH defn, const char *names)
{
    const char *p = names;
    while (*p) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        char one[64];
        if (len && len < sizeof one) {
            memcpy(one, p, len);
            one[len] = 0;
            int i = OGR_FD_GetFieldIndex(defn, one);
            if (i >= 0)
                return i;
        }
        p += strcspn(p, ",");
    }
    return -1;
}

static int load_file(const cw_config *c, const char *path, cw_aoi_kind kind, cw_aoi_set *set)
{
    char fwhy[160];
    const char *problem = cw_is_dir(path) ? NULL : cw_file_problem(path, fwhy, sizeof fwhy); /* folders: shapefiles */
    GDALDatasetH ds = problem ? NULL : GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) /* the configuration names it: unusable, before anything is written */
        return cw_error("AOI file %s: cannot open (%s)", path,
                        problem ? problem : cw_gdal_reason("GDAL does not recognise it as a vector file"));
    for (int li = 0; li < GDALDatasetGetLayerCount(ds); li++) {
        OGRLayerH lyr = GDALDatasetGetLayer(ds, li);
        OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(lyr);
        if (!lsrs) {
            cw_warn("AOI file %s, layer %s: no CRS; skipped", path, OGR_L_GetName(lyr));
            set->n_bad++;
            continue;
        }
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
        int fi_id = field_of(defn, c->id_field);
        if (fi_id < 0) { /* ids made up from feature numbers would change with any edit of the file */
            char list[512] = "";
            for (int k = 0; k < OGR_FD_GetFieldCount(defn); k++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", k ? ", " : "", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k)));
            }
            cw_error("AOI file %s, layer %s: no field '%s' (the id field, [aoi] id_field, a comma-separated list of "
                     "candidates); its fields: %s",
                     path, OGR_L_GetName(lyr), c->id_field, list[0] ? list : "none");
            GDALClose(ds);
            return -1;
        }
        int fi_name = field_of(defn, c->name_field);
        int fi_rad = field_of(defn, c->radius_field);
        OGR_L_ResetReading(lyr);
        OGRFeatureH f;
        while ((f = OGR_L_GetNextFeature(lyr)) != NULL) {
            long fid = (long)OGR_F_GetFID(f);
            char id[96];
            if (fi_id >= 0 && OGR_F_IsFieldSetAndNotNull(f, fi_id))
                cw_strlcpy(id, OGR_F_GetFieldAsString(f, fi_id), sizeof id);
            else
                snprintf(id, sizeof id, "%s:%ld", stem(path), fid);
            int is_point;
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            const char *why = geom_problem(g, &is_point);
            double radius = 0;
            if (!why && is_point) {
                radius = c->point_radius_m;
                if (fi_rad >= 0 && OGR_F_IsFieldSetAndNotNull(f, fi_rad))
                    radius = OGR_F_GetFieldAsDouble(f, fi_rad);
                if (!(radius > 0 && radius <= 5000))
                    why = "point radius not in (0, 5000] m";
            }
            if (why) {
                cw_warn("AOI %s feature %ld (id %s): %s; skipped", path, fid, id, why);
                set->n_bad++;
                OGR_F_Destroy(f);
                continue;
            }
            cw_aoi *na = realloc(set->a, (size_t)(set->n + 1) * sizeof *na);
            if (!na) {
                OGR_F_Destroy(f);
                GDALClose(ds);
                return cw_error("out of memory");
            }
            set->a = na;
            cw_aoi *a = &set->a[set->n++];
            memset(a, 0, sizeof *a);
            cw_strlcpy(a->id, id, sizeof a->id);
            if (fi_name >= 0 && OGR_F_IsFieldSetAndNotNull(f, fi_name))
                cw_strlcpy(a->name, OGR_F_GetFieldAsString(f, fi_name), sizeof a->name);
            if (cw_utf8_clean(a->id, sizeof a->id) + cw_utf8_clean(a->name, sizeof a->name))
                cw_warn("AOI %s feature %lld: id or name is not valid UTF-8; the invalid bytes are shown as U+FFFD",
                        path, (long long)fid);
            a->kind = kind;
            cw_strlcpy(a->source, path, sizeof a->source);
            a->fid = fid;
            a->geom = OGR_G_Clone(g);
            a->srs = OSRClone(lsrs);
            OSRSetAxisMappingStrategy(a->srs, OAMS_TRADITIONAL_GIS_ORDER);
            a->radius_m = radius;
            OGR_F_Destroy(f);
        }
    }
    GDALClose(ds);
    return 0;
}

int cw_aoi_load(const cw_config *c, cw_aoi_set *set)
{
    memset(set, 0, sizeof *set);
    for (int i = 0; i < c->n_conserved; i++)
        if (load_file(c, c->conserved[i], CW_AOI_CONSERVED, set)) {
            cw_aoi_set_free(set);
            return -1;
        }
    for (int i = 0; i < c->n_chakras; i++)
        if (load_file(c, c->chakras[i], CW_AOI_CHAKRA, set)) {
            cw_aoi_set_free(set);
            return -1;
        }
    return 0;
}

void cw_aoi_set_free(cw_aoi_set *set)
{
    for (int i = 0; i < set->n; i++) {
        OGR_G_DestroyGeometry(set->a[i].geom);
        OSRDestroySpatialReference(set->a[i].srs);
    }
    free(set->a);
    memset(set, 0, sizeof *set);
}

void cw_aoi_grid_free(cw_aoi_grid *g)
{
    for (int i = 0; i < g->n; i++) {
        OGR_G_DestroyGeometry(g->t[i].geom);
        free(g->t[i].mask);
    }
    free(g->t);
    memset(g, 0, sizeof *g);
}

static int rasterize(cw_aoi_tile *t, const cw_scene *s)
{
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH ds = GDALCreate(mem, "", t->w, t->h, 1, GDT_Byte, NULL);
    if (!ds)
        return cw_error("cannot create a raster for an AOI: %s", cw_gdal_errmsg());
    double gt[6] = {s->gt[0] + t->x0 * s->gt[1], s->gt[1], 0, s->gt[3] + t->y0 * s->gt[5], 0, s->gt[5]};
    GDALSetGeoTransform(ds, gt);
    GDALSetProjection(ds, s->crs_wkt);
    int band = 1;
    double burn = 1;
    OGRGeometryH geoms[1] = {t->geom};
    CPLErr e = GDALRasterizeGeometries(ds, 1, &band, 1, geoms, NULL, NULL, &burn, NULL, NULL, NULL);
    int rc = 0;
    if (e == CE_None && GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, t->w, t->h, t->mask, t->w, t->h,
                                     GDT_Byte, 0, 0) == CE_None) {
        for (size_t i = 0; i < (size_t)t->w * (size_t)t->h; i++)
            t->npx += t->mask[i];
    } else {
        rc = cw_error("rasterizing an AOI failed: %s", cw_gdal_errmsg());
    }
    GDALClose(ds);
    return rc;
}

/* g (owned) transformed from src to dst; NULL (g freed) when it cannot be */
static OGRGeometryH transformed(OGRGeometryH g, OGRSpatialReferenceH src, OGRSpatialReferenceH dst)
{
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, dst);
    if (!ct || OGR_G_Transform(g, ct) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(g);
        g = NULL;
    }
    OCTDestroyCoordinateTransformation(ct);
    return g;
}

/* AOI a's geometry in CRS dst, a point buffered by its radius there; NULL
 * when it cannot be transformed. */
static OGRGeometryH aoi_geom_in(const cw_aoi *a, OGRSpatialReferenceH dst)
{
    OGRGeometryH g = transformed(OGR_G_Clone(a->geom), a->srs, dst);
    if (g && a->radius_m > 0) {
        OGRGeometryH b = OGR_G_Buffer(g, a->radius_m, 30);
        OGR_G_DestroyGeometry(g);
        g = b;
    }
    return g;
}

int cw_aoi_grid_build(const cw_aoi_set *set, const cw_scene *s, cw_aoi_grid *g)
{
    memset(g, 0, sizeof *g);
    OGRSpatialReferenceH tsrs = cw_srs_gis(s->crs_wkt);
    double gx0 = s->gt[0], gx1 = s->gt[0] + s->width * s->gt[1];
    double gy1 = s->gt[3], gy0 = s->gt[3] + s->height * s->gt[5];
    int rc = 0;
    for (int i = 0; i < set->n && rc == 0; i++) {
        const cw_aoi *a = &set->a[i];
        OGRGeometryH geom = aoi_geom_in(a, tsrs);
        if (!geom) {
            cw_warn("AOI %s (%s): cannot be transformed to %s; skipped on this tile", a->id, a->source,
                    s->crs_name);
            continue;
        }
        OGREnvelope e;
        OGR_G_GetEnvelope(geom, &e);
        if (e.MaxX < gx0 - RING_MAX_M || e.MinX > gx1 + RING_MAX_M || e.MaxY < gy0 - RING_MAX_M ||
            e.MinY > gy1 + RING_MAX_M) {
            OGR_G_DestroyGeometry(geom);
            continue;
        }
        cw_aoi_tile *nt = realloc(g->t, (size_t)(g->n + 1) * sizeof *nt);
        if (!nt) {
            OGR_G_DestroyGeometry(geom);
            rc = cw_error("out of memory");
            break;
        }
        g->t = nt;
        cw_aoi_tile *t = &g->t[g->n++];
        memset(t, 0, sizeof *t);
        t->aoi = i;
        t->geom = geom;
        t->area_ha = OGR_G_Area(geom) / 1e4;
        int x0 = (int)floor((e.MinX - s->gt[0]) / s->gt[1]), x1 = (int)ceil((e.MaxX - s->gt[0]) / s->gt[1]);
        int y0 = (int)floor((e.MaxY - s->gt[3]) / s->gt[5]), y1 = (int)ceil((e.MinY - s->gt[3]) / s->gt[5]);
        x0 = x0 < 0 ? 0 : x0;
        y0 = y0 < 0 ? 0 : y0;
        x1 = x1 > s->width ? s->width : x1;
        y1 = y1 > s->height ? s->height : y1;
        if (x1 > x0 && y1 > y0) {
            t->x0 = x0;
            t->y0 = y0;
            t->w = x1 - x0;
            t->h = y1 - y0;
            t->mask = calloc((size_t)t->w * (size_t)t->h, 1);
            if (!t->mask)
                rc = cw_error("out of memory (AOI %s window %dx%d)", a->id, t->w, t->h);
            else
                rc = rasterize(t, s);
        }
    }
    OSRDestroySpatialReference(tsrs);
    if (rc)
        cw_aoi_grid_free(g);
    return rc;
}

int cw_aoi_chakra_rows(const cw_aoi_grid *g, const cw_aoi_set *set, int y0, int nrows, int x0, int width,
                       uint8_t *out)
{
    int any = 0;
    memset(out, 0, (size_t)width * (size_t)nrows);
    for (int k = 0; k < g->n; k++) {
        const cw_aoi_tile *t = &g->t[k];
        if (set->a[t->aoi].kind != CW_AOI_CHAKRA || !t->w)
            continue;
        int a = y0 > t->y0 ? y0 : t->y0, b = y0 + nrows < t->y0 + t->h ? y0 + nrows : t->y0 + t->h;
        int xa = x0 > t->x0 ? x0 : t->x0, xb = x0 + width < t->x0 + t->w ? x0 + width : t->x0 + t->w;
        any |= a < b && xa < xb;
        for (int y = a; y < b; y++) {
            const uint8_t *m = t->mask + (size_t)(y - t->y0) * (size_t)t->w - t->x0;
            uint8_t *o = out + (size_t)(y - y0) * (size_t)width - x0;
            for (int x = xa; x < xb; x++)
                o[x] |= m[x];
        }
    }
    return any;
}

const uint8_t *cw_aoi_chakra_near(const cw_aoi_grid *g, const cw_aoi_set *set, int y0, int nrows, int height,
                                  int x0, int width, int grid_w, uint8_t *out, uint8_t *scratch)
{
    const int a = y0 > 0 ? y0 - 1 : 0, b = y0 + nrows < height ? y0 + nrows + 1 : y0 + nrows;
    const int l = x0 > 0 ? x0 - 1 : 0, r = x0 + width < grid_w ? x0 + width + 1 : x0 + width;
    const size_t fw = (size_t)(r - l);
    if (!cw_aoi_chakra_rows(g, set, a, b - a, l, r - l, out))
        return NULL;
    ck_dilate_u8(out, fw, (size_t)(b - a), 1, out, scratch);
    for (int y = 0; y < nrows; y++) /* the rows' own columns, in place: each row moves back */
        memmove(out + (size_t)y * (size_t)width, out + (size_t)(y0 - a + y) * fw + (size_t)(x0 - l),
                (size_t)width);
    return out;
}

void cw_aoi_count_rows(const cw_aoi_grid *g, int y0, int nrows, int x0, int width, const uint8_t *flag,
                       uint64_t *counts)
{
    for (int k = 0; k < g->n; k++) {
        const cw_aoi_tile *t = &g->t[k];
        if (!t->w)
            continue;
        int a = y0 > t->y0 ? y0 : t->y0, b = y0 + nrows < t->y0 + t->h ? y0 + nrows : t->y0 + t->h;
        int xa = x0 > t->x0 ? x0 : t->x0, xb = x0 + width < t->x0 + t->w ? x0 + width : t->x0 + t->w;
        uint64_t c = 0;
        for (int y = a; y < b; y++) {
            const uint8_t *m = t->mask + (size_t)(y - t->y0) * (size_t)t->w - t->x0;
            const uint8_t *f = flag + (size_t)(y - y0) * (size_t)width - x0;
            for (int x = xa; x < xb; x++)
                c += m[x] & (f[x] != 0);
        }
        counts[k] += c;
    }
}

static int rel_cmp(const cw_aoi_set *set, const cw_aoi_rel *a, const cw_aoi_rel *b)
{
    if (a->dist != b->dist)
        return a->dist < b->dist ? -1 : 1;
    const cw_aoi *x = &set->a[a->aoi], *y = &set->a[b->aoi];
    if (x->kind != y->kind)
        return x->kind == CW_AOI_CONSERVED ? -1 : 1;
    return strcmp(x->id, y->id);
}

int cw_aoi_relate(const cw_aoi_grid *g, const cw_aoi_set *set, OGRGeometryH geom, cw_aoi_rel *out, int max)
{
    int n = 0;
    for (int k = 0; k < g->n; k++) {
        const cw_aoi_tile *t = &g->t[k];
        cw_aoi_rel r = {t->aoi, CW_REL_INSIDE, 0.0};
        if (!OGR_G_Intersects(geom, t->geom)) {
            r.dist = OGR_G_Distance(geom, t->geom);
            if (r.dist < 0 || r.dist > RING_MAX_M)
                continue;
            r.rel = r.dist <= 500 ? CW_REL_0_500 : r.dist <= 1000 ? CW_REL_500_1000 : CW_REL_1000_2000;
        }
        /* insertion into the sorted list, keeping the max nearest */
        int pos = n;
        while (pos > 0 && rel_cmp(set, &r, &out[pos - 1]) < 0)
            pos--;
        if (pos >= max)
            continue;
        if (n < max)
            n++;
        memmove(&out[pos + 1], &out[pos], (size_t)(n - 1 - pos) * sizeof *out);
        out[pos] = r;
    }
    return n;
}

/* A CRS of EPSG code `code` in traditional GIS order, made once into *slot;
 * NULL when PROJ does not know it. */
static OGRSpatialReferenceH srs_once(OGRSpatialReferenceH *slot, int code)
{
    if (!*slot) {
        OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
        if (OSRImportFromEPSG(s, code) != OGRERR_NONE) {
            OSRDestroySpatialReference(s);
            return NULL;
        }
        OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
        *slot = s;
    }
    return *slot;
}

void cw_aoi_zones_free(cw_aoi_zones *z)
{
    for (int k = 0; k < 120; k++)
        if (z->utm[k])
            OSRDestroySpatialReference(z->utm[k]);
    if (z->ll)
        OSRDestroySpatialReference(z->ll);
}

double cw_aoi_share_inside(const cw_aoi *a, OGRGeometryH g_ll, cw_aoi_zones *z)
{
    OGREnvelope e;
    OGR_G_GetEnvelope(g_ll, &e);
    const double lon = 0.5 * (e.MinX + e.MaxX), lat = 0.5 * (e.MinY + e.MaxY);
    int zone = (int)floor((lon + 180.0) / 6.0);
    zone = zone < 0 ? 0 : zone > 59 ? 59 : zone;
    OGRSpatialReferenceH utm = srs_once(&z->utm[zone + (lat < 0 ? 60 : 0)], (lat < 0 ? 32701 : 32601) + zone);
    OGRSpatialReferenceH ll = srs_once(&z->ll, 4326);
    if (!utm || !ll)
        return -1;
    OGRGeometryH g = transformed(OGR_G_Clone(g_ll), ll, utm), ag = aoi_geom_in(a, utm);
    const double area = g ? OGR_G_Area(g) : 0;
    double share = -1;
    if (g && ag && area > 0) {
        OGRGeometryH x = OGR_G_Intersection(g, ag);
        if (x) {
            share = OGR_G_Area(x) / area;
            share = share > 1 ? 1 : share;
            OGR_G_DestroyGeometry(x);
        }
    }
    OGR_G_DestroyGeometry(g);
    OGR_G_DestroyGeometry(ag);
    return share;
}
