/*
 * cw_maps.c - tile overview, per-AOI maps and per-alert evidence chips
 * (see cw_maps.h).  Runs once per tile per night, after the alerts; the
 * expensive part is decoding imagery again for the backgrounds, which is
 * bounded by [maps] max_scenes and done in parallel bands of rows.
 */
#include "publish/cw_maps.h"
#include "publish/cw_html.h"
#include "ck_preview.h"
#include "ck_indices.h"
#include "cw_util.h"

#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------- colours */

#define RGB_LOSS_LOW 0xF9A8D4u     /* GFW-like pinks to magenta, light to dark */
#define RGB_LOSS_HIGH 0xE8318Bu
#define RGB_LOSS_HIGHEST 0x9E0059u
#define RGB_MINING 0xFF7A00u       /* orange */
#define RGB_POND 0x00E5FFu         /* cyan */
#define RGB_CONSERVED 0xFFE600u    /* yellow outline */
#define RGB_CHAKRA 0xFFFFFFu       /* white outline on a dark halo */
#define RGB_HALO 0x101010u
#define RGB_NOT_SEEN_BG 0x6E6E6Eu
#define RGB_NOT_SEEN_FG 0xB4B4B4u
#define RGB_PANEL 0xFAFAF7u
#define RGB_TEXT 0x1A1A1Au
#define RGB_MUTED 0x555555u
#define RGB_CHIP_OUTLINE 0xFFF200u

uint32_t cw_alert_rgb(int cls, int confidence)
{
    if (cls == CW_CLASS_MINING)
        return RGB_MINING;
    return confidence >= 4 ? RGB_LOSS_HIGHEST : confidence == 3 ? RGB_LOSS_HIGH : RGB_LOSS_LOW;
}

#define T(m) cw_msg_get(M->lang, m)

/* -------------------------------------------------------------- mosaic */

/* bands kept: true colour, SWIR false colour, the water index for ponds; the
 * previews' bands, in their order (ck_preview_bands) */
enum { MB_B02, MB_B03, MB_B04, MB_B08, MB_B11, MB_B12, MB_N };
_Static_assert(MB_N == CK_PREVIEW_BANDS, "the mosaic holds the previews' bands");

typedef struct {
    int w, h;
    uint16_t *v[MB_N]; /* reflectance x 10000, clamped to 0..65535 */
    uint16_t *day;     /* day of the observation, 0 = never clear */
} mosaic;

static void mosaic_free(mosaic *mo)
{
    for (int b = 0; b < MB_N; b++)
        free(mo->v[b]);
    free(mo->day);
    memset(mo, 0, sizeof *mo);
}

static int mosaic_alloc(mosaic *mo, int w, int h)
{
    memset(mo, 0, sizeof *mo);
    mo->w = w;
    mo->h = h;
    size_t n = (size_t)w * (size_t)h;
    for (int b = 0; b < MB_N; b++)
        if (!(mo->v[b] = malloc(n * 2)))
            goto fail;
    if (!(mo->day = calloc(n, 2)))
        goto fail;
    return 0;
fail:
    mosaic_free(mo);
    return cw_error("out of memory (map of %d x %d)", w, h);
}

/* Where the mosaic lies on the tile grid: grid window [gx0, gx0 + gw) x
 * [gy0, gy0 + gh) reduced (or enlarged) to mo->w x mo->h. */
typedef struct {
    double gx0, gy0, gw, gh;
} gwin;

/* Reads rows [r0, r1) of the mosaic from one scene into the pixels still
 * empty; returns the number still empty, or -1 on a read error. */
static long fill_rows(const cw_map_ctx *M, const cw_map_scene *ms, const gwin *g, mosaic *mo, int r0, int r1,
                      uint16_t *buf, uint8_t *scl)
{
    const cw_scene *s = ms->s;
    const int day = ms->day;
    cw_src rec = {.present = 1, .band_index = 1, .factor = 1}; /* the observation record, on the 10 m grid */
    const int have_rec = ms->obs[0] && access(ms->obs, R_OK) == 0;
    if (have_rec)
        cw_strlcpy(rec.path, ms->obs, sizeof rec.path);
    const int W = mo->w, rows = r1 - r0;
    const size_t n = (size_t)W * (size_t)rows;
    const double sy = g->gh / mo->h, sx = g->gw / mo->w;
    const int reduce = sx > 1.0001 || sy > 1.0001;
    uint16_t *dn[MB_N];
    for (int b = 0; b < MB_N; b++)
        dn[b] = buf + (size_t)b * n;
    int srcs[MB_N + 1];
    for (int b = 0; b < MB_N; b++)
        srcs[b] = ck_preview_bands[b];
    srcs[MB_N] = CW_SRC_SCL;
    const int have_scl = have_rec || s->src[CW_SRC_SCL].present;
    for (int k = 0; k < MB_N + 1; k++) {
        const cw_src *c = k == MB_N && have_rec ? &rec : &s->src[srcs[k]];
        if (!c->present) {
            if (k < MB_N)
                return cw_error("%s: no %s", s->product_id, cw_src_name(srcs[k]));
            continue;
        }
        GDALDatasetH ds = GDALOpenEx(c->path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
        if (!ds)
            return cw_error("%s: cannot open %s: %s", s->product_id, c->path, cw_gdal_errmsg());
        GDALRasterBandH band = GDALGetRasterBand(ds, c->band_index);
        const double f = c->factor;
        GDALRasterIOExtraArg ea;
        INIT_RASTERIO_EXTRA_ARG(ea);
        ea.eResampleAlg = reduce && k < MB_N ? GRIORA_Average : GRIORA_NearestNeighbour;
        ea.bFloatingPointWindowValidity = TRUE;
        ea.dfXOff = g->gx0 / f;
        ea.dfYOff = (g->gy0 + r0 * sy) / f;
        ea.dfXSize = g->gw / f;
        ea.dfYSize = rows * sy / f;
        int nx = GDALGetRasterBandXSize(band), ny = GDALGetRasterBandYSize(band);
        int x0 = (int)floor(ea.dfXOff), y0 = (int)floor(ea.dfYOff);
        int x1 = (int)ceil(ea.dfXOff + ea.dfXSize - 1e-9), y1 = (int)ceil(ea.dfYOff + ea.dfYSize - 1e-9);
        x1 = x1 > nx ? nx : x1;
        y1 = y1 > ny ? ny : y1;
        CPLErr e;
        if (k < MB_N)
            e = GDALRasterIOEx(band, GF_Read, x0, y0, x1 - x0, y1 - y0, dn[k], W, rows, GDT_UInt16, 0, 0, &ea);
        else
            e = GDALRasterIOEx(band, GF_Read, x0, y0, x1 - x0, y1 - y0, scl, W, rows, GDT_Byte, 0, 0, &ea);
        GDALClose(ds);
        if (e != CE_None)
            return cw_error("%s: reading %s failed: %s", s->product_id, cw_src_name(srcs[k]), cw_gdal_errmsg());
    }
    const ck_scl_rules *ru = &M->co->rules;
    const unsigned bad = (unsigned)ru->invalid | ru->cloud | ru->shadow;
    float add[MB_N], mul[MB_N];
    for (int b = 0; b < MB_N; b++) {
        ck_dn_conv cv = s->src[ck_preview_bands[b]].conv;
        add[b] = cv.add;
        mul[b] = 10000.0f / cv.quantum;
    }
    long empty = 0;
    for (size_t i = 0; i < n; i++) {
        size_t o = (size_t)r0 * (size_t)W + i;
        if (mo->day[o])
            continue;
        int ok = 1;
        for (int b = 0; b < MB_N; b++)
            ok &= dn[b][i] != 0;
        if (ok && have_rec)
            ok = scl[i] == 0; /* seen clear by the pass */
        else if (ok && have_scl)
            ok = scl[i] < 16 && !(bad & (1u << scl[i]));
        if (ok && !have_scl) /* the pipeline's fallback: bright and white is cloud */
            ok = (dn[MB_B02][i] + add[MB_B02]) * mul[MB_B02] < 1800.0f;
        if (!ok) {
            empty++;
            continue;
        }
        for (int b = 0; b < MB_N; b++) {
            float r = (dn[b][i] + add[b]) * mul[b];
            mo->v[b][o] = r <= 0 ? 0 : r >= 65535 ? 65535 : (uint16_t)lrintf(r);
        }
        mo->day[o] = (uint16_t)day;
    }
    return empty;
}

/* Output rows per parallel band: at least 512 grid rows, and when the
 * reduction is a whole number of pixels, band edges on 512-row block
 * edges, so no compressed block is decoded twice. */
static int band_rows(const mosaic *mo, const gwin *g)
{
    double sy = g->gh / mo->h;
    int f = (int)lround(sy);
    if (f >= 1 && fabs(sy - f) < 1e-9 && (int)g->gy0 % 512 == 0) {
        int a = 512, b = f;
        while (b) {
            int t = a % b;
            a = b;
            b = t;
        }
        int r = 512 / a; /* output rows spanning whole blocks */
        while (r * f < 512)
            r *= 2;
        return r;
    }
    int r = (int)(512 / sy);
    return r < 8 ? 8 : r;
}

/* Latest clear observation per pixel among the scenes with day in
 * [dmin, dmax], newest first. */
static int mosaic_read(const cw_map_ctx *M, const gwin *g, int dmin, int dmax, mosaic *mo)
{
    const int BR = band_rows(mo, g);
    const int nb = (mo->h + BR - 1) / BR;
    int err = 0;
    char msg[512] = "";
    int threads = M->co->threads > 0 ? M->co->threads : cw_omp_threads();
    if (nb < threads)
        threads = nb;
#pragma omp parallel num_threads(threads)
    {
        size_t n = (size_t)mo->w * (size_t)BR;
        uint16_t *buf = malloc(n * MB_N * 2);
        uint8_t *scl = malloc(n);
        if (!buf || !scl) {
#pragma omp critical(cw_maps_err)
            err = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int bi = 0; bi < nb; bi++) {
            if (err || !buf || !scl)
                continue;
            int r0 = bi * BR, r1 = r0 + BR > mo->h ? mo->h : r0 + BR;
            int tried = 0;
            for (int k = M->nsc - 1; k >= 0 && tried < M->cfg->map_max_scenes; k--) {
                if (M->sc[k].day < dmin || M->sc[k].day > dmax)
                    continue;
                tried++;
                if (M->used) {
#pragma omp atomic write
                    M->used[k] = 1;
                }
                long left = fill_rows(M, &M->sc[k], g, mo, r0, r1, buf, scl);
                if (left < 0) {
#pragma omp critical(cw_maps_err)
                    {
                        if (!err)
                            cw_strlcpy(msg, cw_errmsg(), sizeof msg);
                        err = 1;
                    }
                    break;
                }
                if (left == 0)
                    break;
            }
        }
        free(buf);
        free(scl);
    }
    if (err)
        return cw_error("%s", msg[0] ? msg : "out of memory (map rows)");
    return 0;
}

/* The overview's mosaic from the scenes' previews, newest first, as
 * mosaic_read would make it from the scenes themselves: 1 when made, 0
 * when a scene it needs has no preview of this reduction (the caller then
 * decodes the scenes; the mosaic is left empty), -1 on a read error. */
static int mosaic_previews(const cw_map_ctx *M, int f, int dmax, mosaic *mo)
{
    const size_t n = (size_t)mo->w * (size_t)mo->h;
    uint16_t *v = malloc(n * 2 * CK_PREVIEW_BANDS);
    if (!v)
        return cw_error("out of memory (map of %d x %d)", mo->w, mo->h);
    long empty = (long)n;
    int rc = 1;
    for (int k = M->nsc - 1, tried = 0; k >= 0 && tried < M->cfg->map_max_scenes && empty > 0 && rc == 1; k--) {
        const cw_map_scene *ms = &M->sc[k];
        if (ms->day > dmax)
            continue;
        tried++;
        GDALDatasetH ds = ms->preview[0] && access(ms->preview, R_OK) == 0
                              ? GDALOpenEx(ms->preview, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL)
                              : NULL;
        const char *fs = ds ? GDALGetMetadataItem(ds, "CHAKRAWATCH_PREVIEW_FACTOR", NULL) : NULL;
        if (!ds || !fs || atoi(fs) != f || GDALGetRasterXSize(ds) != mo->w || GDALGetRasterYSize(ds) != mo->h ||
            GDALGetRasterCount(ds) != CK_PREVIEW_BANDS) {
            if (ds)
                GDALClose(ds);
            rc = 0;
            break;
        }
        int bands[CK_PREVIEW_BANDS] = {1, 2, 3, 4, 5, 6};
        CPLErr e = GDALDatasetRasterIO(ds, GF_Read, 0, 0, mo->w, mo->h, v, mo->w, mo->h, GDT_UInt16,
                                       CK_PREVIEW_BANDS, bands, 0, 0, 0);
        GDALClose(ds);
        if (e != CE_None) {
            rc = cw_error("%s: reading its preview %s failed: %s", ms->s->product_id, ms->preview, cw_gdal_errmsg());
            break;
        }
        if (M->used)
            M->used[k] = 1;
        for (size_t i = 0; i < n; i++) {
            if (mo->day[i] || !v[i])
                continue;
            for (int b = 0; b < MB_N; b++)
                mo->v[b][i] = v[(size_t)b * n + i];
            mo->day[i] = (uint16_t)ms->day;
            empty--;
        }
    }
    free(v);
    if (rc != 1)
        memset(mo->day, 0, n * 2);
    return rc;
}

/* 2-98 % stretch of bands ch[0..2] over the pixels seen in all mosaics */
typedef struct {
    int ch[3];
    double lo[3], hi[3];
} stretch;

static int stretch_fit(stretch *st, const mosaic *const *mos, int nmos)
{
    /* one range pooled over the three channels: a linear stretch that
     * keeps hues (forest green, water dark, soil brown) */
    uint32_t *hist = calloc(65536, sizeof *hist);
    if (!hist)
        return cw_error("out of memory");
    uint64_t tot = 0;
    for (int c = 0; c < 3; c++)
        for (int m = 0; m < nmos; m++) {
            const mosaic *mo = mos[m];
            size_t n = (size_t)mo->w * (size_t)mo->h;
            for (size_t i = 0; i < n; i++)
                if (mo->day[i]) {
                    hist[mo->v[st->ch[c]][i]]++;
                    tot++;
                }
        }
    uint64_t lo_n = tot * 2 / 100, hi_n = tot * 98 / 100, acc = 0;
    int lo = -1, hi = -1;
    for (int v = 0; v < 65536; v++) {
        acc += hist[v];
        if (lo < 0 && acc > lo_n)
            lo = v;
        if (hi < 0 && acc >= hi_n && acc) {
            hi = v;
            break;
        }
    }
    free(hist);
    if (lo < 0)
        lo = 0;
    if (hi <= lo)
        hi = lo + 100;
    for (int c = 0; c < 3; c++) {
        st->lo[c] = lo;
        st->hi[c] = hi;
    }
    return 0;
}

/* The mosaic as an image; never-seen pixels hatched. */
static int mosaic_render(const mosaic *mo, const stretch *st, cw_img *im)
{
    if (cw_img_init(im, mo->w, mo->h, 0))
        return -1;
    size_t n = (size_t)mo->w * (size_t)mo->h;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = im->px + 3 * i;
        if (!mo->day[i]) {
            int x = (int)(i % (size_t)mo->w), y = (int)(i / (size_t)mo->w);
            uint32_t c = ((x + y) & 7) < 3 ? RGB_NOT_SEEN_FG : RGB_NOT_SEEN_BG;
            p[0] = (uint8_t)(c >> 16);
            p[1] = (uint8_t)(c >> 8);
            p[2] = (uint8_t)c;
            continue;
        }
        for (int c = 0; c < 3; c++) {
            double v = (mo->v[st->ch[c]][i] - st->lo[c]) * 255.0 / (st->hi[c] - st->lo[c]);
            p[c] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)lrint(v);
        }
    }
    return 0;
}

static void day_range(const mosaic *mo, int *d0, int *d1)
{
    size_t n = (size_t)mo->w * (size_t)mo->h;
    for (size_t i = 0; i < n; i++)
        if (mo->day[i]) {
            if (!*d0 || mo->day[i] < *d0)
                *d0 = mo->day[i];
            if (mo->day[i] > *d1)
                *d1 = mo->day[i];
        }
}

/* ---------------------------------------------------------- geometry */

/* grid window -> image: image x = ox + (grid x - gx0) * zoom */
typedef struct {
    const double *gt;
    double gx0, gy0, zx, zy;
    int ox, oy;
} view;

static void world_to_img(const view *v, double X, double Y, double *x, double *y)
{
    double gx = (X - v->gt[0]) / v->gt[1], gy = (Y - v->gt[3]) / v->gt[5];
    *x = v->ox + (gx - v->gx0) * v->zx;
    *y = v->oy + (gy - v->gy0) * v->zy;
}

static int add_geom(OGRGeometryH g, const view *v, cw_poly *p)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPolygon || t == wkbMultiPolygon || t == wkbGeometryCollection || t == wkbMultiLineString) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            if (add_geom(OGR_G_GetGeometryRef(g, i), v, p))
                return -1;
        return 0;
    }
    if (t != wkbLineString && t != wkbLinearRing)
        return 0;
    int n = OGR_G_GetPointCount(g);
    if (n < 2)
        return 0;
    if (cw_poly_ring(p))
        return -1;
    /* closing point dropped: rings are implicitly closed */
    if (n > 2 && OGR_G_GetX(g, 0) == OGR_G_GetX(g, n - 1) && OGR_G_GetY(g, 0) == OGR_G_GetY(g, n - 1))
        n--;
    for (int i = 0; i < n; i++) {
        double x, y;
        world_to_img(v, OGR_G_GetX(g, i), OGR_G_GetY(g, i), &x, &y);
        if (cw_poly_add(p, x, y))
            return -1;
    }
    return 0;
}

static int geom_poly(OGRGeometryH g, const view *v, cw_poly *p)
{
    cw_poly_clear(p);
    return g ? add_geom(g, v, p) : 0;
}

/* Alert outlines come in EPSG:4326; the maps are on the tile grid. */
static OGRCoordinateTransformationH to_tile_ct(const cw_map_ctx *M)
{
    OGRCoordinateTransformationH ct = cw_ct_wgs84(M->sc[0].s->crs_wkt, 0);
    if (!ct)
        cw_error("no transformation from EPSG:4326 to the tile's CRS: %s", cw_gdal_errmsg());
    return ct;
}

int cw_map_prepare(cw_map_ctx *M)
{
    M->al_tile = calloc((size_t)(M->nal ? M->nal : 1), sizeof *M->al_tile);
    OGRCoordinateTransformationH ct = M->al_tile ? to_tile_ct(M) : NULL;
    if (!ct) {
        free(M->al_tile);
        M->al_tile = NULL;
        return -1;
    }
    for (int i = 0; i < M->nal; i++)
        if (M->al[i].geom) {
            M->al_tile[i] = OGR_G_Clone(M->al[i].geom);
            if (OGR_G_Transform(M->al_tile[i], ct) != OGRERR_NONE) {
                OGR_G_DestroyGeometry(M->al_tile[i]);
                M->al_tile[i] = NULL;
            }
        }
    OCTDestroyCoordinateTransformation(ct);
    return 0;
}

void cw_map_release(cw_map_ctx *M)
{
    for (int i = 0; M->al_tile && i < M->nal; i++)
        OGR_G_DestroyGeometry(M->al_tile[i]);
    free(M->al_tile);
    M->al_tile = NULL;
}

/* ------------------------------------------------------ drawing layers */

/* a mosaic drawn at (ox, oy), each pixel zoom x zoom image pixels */
typedef struct {
    const mosaic *mo;
    int ox, oy, zoom;
} placed;

/* index in the mosaic of image pixel (x, y), -1 off the mosaic */
static long placed_index(const placed *pl, int x, int y)
{
    int mx = (x - pl->ox) / pl->zoom, my = (y - pl->oy) / pl->zoom;
    if (x < pl->ox || y < pl->oy || mx >= pl->mo->w || my >= pl->mo->h)
        return -1;
    return (long)my * pl->mo->w + mx;
}

typedef struct {
    cw_img *im;
    placed pl;
    float pond_min;
} pond_ctx;

/* pixels of a mining alert whose latest clear observation is water (the
 * water index of change detection) */
static void pond_span(void *ctx, int y, int x0, int x1)
{
    pond_ctx *c = ctx;
    for (int x = x0; x < x1; x++) {
        long i = placed_index(&c->pl, x, y);
        if (i < 0)
            continue;
        const mosaic *mo = c->pl.mo;
        const float g = mo->v[MB_B03][i], n = mo->v[MB_B08][i], s = mo->v[MB_B11][i];
        if (mo->day[i] && ck_water_index(ck_nd(g, s), ck_nd(g, n)) > c->pond_min)
            cw_blend(c->im, x, y, RGB_POND, 255);
    }
}

/* Alerts over a map: filled by class and confidence, ponds in cyan,
 * outlined; small ones also get a ring so they are seen at any scale.
 * labels: draw each alert's id beside it. */
static int draw_alerts(const cw_map_ctx *M, cw_img *im, const view *v, const mosaic *mo, int zoom, int alpha,
                       int labels)
{
    cw_poly p;
    memset(&p, 0, sizeof p);
    /* low confidence under high under mining: the most serious on top */
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < M->nal; i++) {
            const cw_alert *a = &M->al[i];
            int rank = a->cls == CW_CLASS_MINING ? 2 : a->confidence >= 3 ? 1 : 0;
            if (rank != pass || !M->al_tile[i])
                continue;
            if (geom_poly(M->al_tile[i], v, &p)) {
                cw_poly_free(&p);
                return -1;
            }
            uint32_t rgb = cw_alert_rgb(a->cls, a->confidence);
            cw_poly_fill(im, &p, rgb, alpha);
            if (a->cls == CW_CLASS_MINING && mo) {
                pond_ctx pc = {im, {mo, v->ox, v->oy, zoom}, M->cfg->det.mndwi_pond};
                cw_poly_spans(&p, im->w, im->h, pond_span, &pc);
            }
            cw_poly_stroke(im, &p, zoom >= 2 ? 2.0 : 1.0, rgb, 0);
            double x0, y0, x1, y1;
            cw_poly_bbox(&p, &x0, &y0, &x1, &y1);
            if (x1 - x0 < 6 && y1 - y0 < 6) {
                cw_ring(im, (x0 + x1) / 2, (y0 + y1) / 2, 7, 2.5, RGB_HALO);
                cw_ring(im, (x0 + x1) / 2, (y0 + y1) / 2, 7, 1.5, rgb);
            }
            if (labels)
                cw_text(im, M->font, 12, (int)x1 + 4, (int)y0 + 10, a->id, 0xFFFFFFu, 2, RGB_HALO);
        }
    cw_poly_free(&p);
    return 0;
}

/* AOI outlines: conserved areas yellow, chakras white, both on a dark halo */
static int draw_aois(const cw_map_ctx *M, cw_img *im, const view *v, int only, int labels)
{
    cw_poly p;
    memset(&p, 0, sizeof p);
    for (int k = 0; k < M->ag->n; k++) {
        if (only >= 0 && k != only)
            continue;
        const cw_aoi *a = &M->as->a[M->ag->t[k].aoi];
        if (geom_poly(M->ag->t[k].geom, v, &p)) {
            cw_poly_free(&p);
            return -1;
        }
        uint32_t rgb = a->kind == CW_AOI_CONSERVED ? RGB_CONSERVED : RGB_CHAKRA;
        cw_poly_stroke(im, &p, 3.5, RGB_HALO, 0);
        cw_poly_stroke(im, &p, 1.8, rgb, 0);
        if (labels && p.npts) {
            double x0, y0, x1, y1;
            cw_poly_bbox(&p, &x0, &y0, &x1, &y1);
            int ty = (int)y0 - 5 < 14 ? (int)y1 + 16 : (int)y0 - 5;
            cw_text(im, M->font, 13, (int)x0, ty, a->id, rgb, 2, RGB_HALO);
        }
    }
    cw_poly_free(&p);
    return 0;
}

/* ------------------------------------------------------------- panels */

/* Wrapped text in [x, x + maxw); returns the next baseline. */
static int wrap(cw_img *im, cw_font *f, int size, int x, int y, int maxw, const char *s, uint32_t rgb)
{
    char line[512] = "", word[256];
    const int lh = size + size / 3 + 2;
    while (*s) {
        size_t k = strcspn(s, " ");
        if (k >= sizeof word)
            k = sizeof word - 1;
        memcpy(word, s, k);
        word[k] = '\0';
        s += k;
        while (*s == ' ')
            s++;
        char trial[768];
        snprintf(trial, sizeof trial, "%s%s%s", line, line[0] ? " " : "", word);
        if (line[0] && cw_text_width(f, size, trial) > maxw) {
            cw_text(im, f, size, x, y, line, rgb, 0, 0);
            y += lh;
            cw_strlcpy(line, word, sizeof line);
        } else {
            cw_strlcpy(line, trial, sizeof line);
        }
    }
    if (line[0]) {
        cw_text(im, f, size, x, y, line, rgb, 0, 0);
        y += lh;
    }
    return y;
}

enum { SW_FILL, SW_OUTLINE, SW_HATCH, SW_DASH };

static int legend_row(const cw_map_ctx *M, cw_img *im, int x, int y, int maxw, int style, uint32_t rgb,
                      const char *label, const char *label2)
{
    const int sw = 26, sh = 16;
    if (style == SW_FILL) {
        cw_rect(im, x, y - sh + 3, sw, sh, rgb, 255);
        cw_rect_outline(im, x, y - sh + 3, sw, sh, 1, 0x333333u);
    } else if (style == SW_OUTLINE) {
        cw_rect(im, x, y - sh + 3, sw, sh, 0x2F4F2Fu, 255);
        cw_rect_outline(im, x + 2, y - sh + 5, sw - 4, sh - 4, 2, rgb);
    } else if (style == SW_HATCH) {
        cw_hatch(im, NULL, x, y - sh + 3, sw, sh, RGB_NOT_SEEN_BG, RGB_NOT_SEEN_FG);
    } else {
        cw_rect(im, x, y - sh + 3, sw, sh, 0x2F4F2Fu, 255);
        cw_line(im, x + 1, y - sh / 2 + 3, x + sw - 1, y - sh / 2 + 3, 1.5, rgb, 4);
    }
    int ny = wrap(im, M->font, 13, x + sw + 8, y, maxw - sw - 8, label, RGB_TEXT);
    if (label2)
        ny = wrap(im, M->font, 12, x + sw + 8, ny - 2, maxw - sw - 8, label2, RGB_MUTED);
    return ny + 4;
}

/* scale bar for `mpp` metres per image pixel, at most maxw pixels */
static int scale_bar(const cw_map_ctx *M, cw_img *im, int x, int y, int maxw, double mpp)
{
    static const double steps[] = {20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000};
    double len = steps[0];
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] / mpp <= maxw)
            len = steps[i];
    int px = (int)lround(len / mpp);
    for (int q = 0; q < 4; q++)
        cw_rect(im, x + q * px / 4, y, px / 4 + (q == 3 ? px % 4 : 0), 7, q & 1 ? 0xFFFFFFu : 0x1A1A1Au, 255);
    cw_rect_outline(im, x, y, px, 7, 1, 0x1A1A1Au);
    char lab[32];
    if (len >= 1000)
        snprintf(lab, sizeof lab, "%g km", len / 1000);
    else
        snprintf(lab, sizeof lab, "%g m", len);
    cw_text(im, M->font, 12, x, y + 22, "0", RGB_TEXT, 0, 0);
    cw_text(im, M->font, 12, x + px - cw_text_width(M->font, 12, lab) / 2, y + 22, lab, RGB_TEXT, 0, 0);
    return y + 30;
}

static int north_arrow(const cw_map_ctx *M, cw_img *im, int x, int y)
{
    /* a filled half and an open half, pointing up the grid */
    cw_poly p;
    memset(&p, 0, sizeof p);
    cw_poly_add(&p, x, y);
    cw_poly_add(&p, x - 10, y + 30);
    cw_poly_add(&p, x, y + 22);
    cw_poly_fill(im, &p, 0x1A1A1Au, 255);
    cw_poly_clear(&p);
    cw_poly_add(&p, x, y);
    cw_poly_add(&p, x + 10, y + 30);
    cw_poly_add(&p, x, y + 22);
    cw_poly_fill(im, &p, 0xFFFFFFu, 255);
    cw_poly_add(&p, x - 10, y + 30);
    cw_poly_clear(&p);
    cw_poly_add(&p, x, y);
    cw_poly_add(&p, x + 10, y + 30);
    cw_poly_add(&p, x, y + 22);
    cw_poly_add(&p, x - 10, y + 30);
    cw_poly_stroke(im, &p, 1.2, 0x1A1A1Au, 0);
    cw_poly_free(&p);
    cw_text(im, M->bold, 15, x - cw_text_width(M->bold, 15, "N") / 2, y - 4, "N", RGB_TEXT, 0, 0);
    int w = cw_text_width(M->font, 10, T(M_GRID_NORTH));
    cw_text(im, M->font, 10, x + 14 - w, y + 44, T(M_GRID_NORTH), RGB_MUTED, 0, 0);
    return y + 50;
}

static void attribution(const cw_map_ctx *M, cw_img *im, int x, int y, int maxw, int d0, int d1)
{
    char b[256];
    cw_attribution(M->lang, d0, d1, b, sizeof b);
    y = wrap(im, M->font, 11, x, y, maxw, b, RGB_MUTED);
    snprintf(b, sizeof b, T(M_GENERATED), CW_VERSION, M->run_id);
    wrap(im, M->font, 11, x, y, maxw, b, RGB_MUTED);
}

static int legend(const cw_map_ctx *M, cw_img *im, int x, int y, int maxw, int with_rings)
{
    cw_text(im, M->bold, 14, x, y, T(M_LEGEND), RGB_TEXT, 0, 0);
    y += 24;
    y = legend_row(M, im, x, y, maxw, SW_FILL, RGB_LOSS_LOW, T(M_LOSS_LOW), NULL);
    y = legend_row(M, im, x, y, maxw, SW_FILL, RGB_LOSS_HIGH, T(M_LOSS_HIGH), NULL);
    y = legend_row(M, im, x, y, maxw, SW_FILL, RGB_LOSS_HIGHEST, T(M_LOSS_HIGHEST), NULL);
    y = legend_row(M, im, x, y, maxw, SW_FILL, RGB_MINING, T(M_MINING), NULL);
    y = legend_row(M, im, x, y, maxw, SW_FILL, RGB_POND, T(M_POND), NULL);
    y = legend_row(M, im, x, y, maxw, SW_OUTLINE, RGB_CONSERVED, T(M_CONSERVED), NULL);
    y = legend_row(M, im, x, y, maxw, SW_OUTLINE, RGB_CHAKRA, T(M_CHAKRA), NULL);
    if (with_rings)
        y = legend_row(M, im, x, y, maxw, SW_DASH, 0xFFFFFFu, T(M_RINGS), NULL);
    y = legend_row(M, im, x, y, maxw, SW_HATCH, 0, T(M_NOT_SEEN), T(M_NOT_SEEN2));
    return y;
}

/* The common lower part of a map's side panel: imagery dates, legend,
 * scale bar with the north arrow beside it, attribution at the bottom. */
static void panel_tail(const cw_map_ctx *M, cw_img *im, int x, int y, int pw, int with_rings, double mpp, int dd0,
                       int dd1)
{
    char b[256], d0[11], d1[11];
    ck_day_format(dd0, d0);
    ck_day_format(dd1, d1);
    snprintf(b, sizeof b, T(M_IMAGERY), d0, d1);
    y = wrap(im, M->font, 12, x, y + 2, pw, b, RGB_MUTED);
    y = legend(M, im, x, y + 12, pw, with_rings);
    north_arrow(M, im, x + pw - 16, y);
    scale_bar(M, im, x, y + 14, pw - 100, mpp);
    attribution(M, im, x, im->h - 52, pw, dd0, dd1);
}

/* Beside a map PNG, where GIS software places it: a world file (.pgw,
 * the map's pixel size and its upper-left pixel centre on the tile's CRS)
 * and the CRS in GDAL's .aux.xml; QGIS and gdalinfo read both. */
static int write_georef(const cw_map_ctx *M, const view *v, const char *png)
{
    char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
    const size_t l = strlen(png);
    if (l < 4 || l + 9 >= sizeof path)
        return cw_error("%s: no room for a world file name", png);
    snprintf(path, sizeof path, "%.*s.pgw", (int)(l - 4), png);
    const double a = v->gt[1] / v->zx, e = v->gt[5] / v->zy;
    const double c = v->gt[0] + (v->gx0 + (0.5 - v->ox) / v->zx) * v->gt[1];
    const double f = v->gt[3] + (v->gy0 + (0.5 - v->oy) / v->zy) * v->gt[5];
    FILE *w = cw_file_create_tmp(path, tmp, sizeof tmp);
    if (!w)
        return -1;
    fprintf(w, "%.10f\n0\n0\n%.10f\n%.6f\n%.6f\n", a, e, c, f);
    if (cw_file_commit(w, tmp, path))
        return -1;
    snprintf(path, sizeof path, "%s.aux.xml", png);
    if (!(w = cw_file_create_tmp(path, tmp, sizeof tmp)))
        return -1;
    fputs("<PAMDataset>\n  <SRS>", w);
    cw_html_esc(w, M->sc[0].s->crs_wkt);
    fputs("</SRS>\n</PAMDataset>\n", w);
    return cw_file_commit(w, tmp, path);
}

static int write_png(const cw_map_ctx *M, const cw_img *im, const char *path, const char *title, int d0, int d1,
                     const char *alert)
{
    char sw[64], dates[32], a[11], b[11], copy[128];
    snprintf(sw, sizeof sw, "chakrawatch %s", CW_VERSION);
    cw_attribution(CW_LANG_EN, d0, d1, copy, sizeof copy);
    ck_day_format(d0, a);
    ck_day_format(d1, b);
    snprintf(dates, sizeof dates, "%s/%s", a, b);
    const char *kv[] = {"Title", title, "Software", sw, "Source", "Copernicus Sentinel-2 L2A",
                        "Copyright", copy, "Tile", M->tile, "Night", M->night,
                        "Imagery dates", dates, "Run", M->run_id, alert ? "Alert" : NULL, alert, NULL};
    return cw_png_write(im, path, kv);
}

/* ------------------------------------------------------------ overview */

#define PANEL_W 330

int cw_map_overview(const cw_map_ctx *M, const char *path, cw_map_info *info)
{
    const cw_scene *g0 = M->sc[0].s;
    const int W = g0->width, H = g0->height;
    const int f = ck_preview_factor(W, H, (int)M->cfg->overview_px);
    mosaic mo;
    if (mosaic_alloc(&mo, (W + f - 1) / f, (H + f - 1) / f))
        return -1;
    gwin g = {0, 0, W, H};
    cw_img map = {0}, im = {0};
    int rc = -1;
    int night = ck_day_parse(M->night);
    int pv = mosaic_previews(M, f, night, &mo); /* made by the night's passes: nothing decoded again */
    if (pv < 0 || (pv == 0 && mosaic_read(M, &g, 0, night, &mo)))
        goto done;
    const int swir = !strcmp(M->cfg->map_background, "swir");
    stretch st = {{swir ? MB_B12 : MB_B04, swir ? MB_B08 : MB_B03, swir ? MB_B04 : MB_B02}, {0}, {0}};
    const mosaic *mp = &mo;
    if (stretch_fit(&st, &mp, 1) || mosaic_render(&mo, &st, &map))
        goto done;
    /* the grid in image space: one image pixel = (W / mo.w) grid pixels */
    view v = {g0->gt, 0, 0, (double)mo.w / W, (double)mo.h / H, 0, 0};
    if (draw_aois(M, &map, &v, -1, 1) || draw_alerts(M, &map, &v, &mo, 1, 255, 0))
        goto done;
    int ch = mo.h > 720 ? mo.h : 720;
    if (cw_img_init(&im, mo.w + PANEL_W, ch, RGB_PANEL))
        goto done;
    cw_blit(&im, &map, 0, 0, 1);
    cw_rect(&im, mo.w, 0, 1, ch, 0x999999u, 255);
    int x = mo.w + 18, y = 32, pw = PANEL_W - 36;
    char b[256];
    int dd0 = 0, dd1 = 0;
    day_range(&mo, &dd0, &dd1);
    snprintf(b, sizeof b, T(M_TILE), M->tile);
    cw_text(&im, M->bold, 20, x, y, b, RGB_TEXT, 0, 0);
    snprintf(b, sizeof b, T(M_NIGHT), M->night);
    y = wrap(&im, M->font, 14, x, y + 24, pw, b, RGB_TEXT);
    y = wrap(&im, M->font, 12, x, y, pw, T(swir ? M_SWIR : M_TRUECOLOR), RGB_MUTED);
    snprintf(b, sizeof b, T(M->nal == 1 ? M_ALERTS_N1 : M_ALERTS_N), M->nal);
    y = wrap(&im, M->bold, 13, x, y + 4, pw, b, RGB_TEXT);
    panel_tail(M, &im, x, y, pw, 0, g0->res * W / mo.w, dd0, dd1);
    snprintf(b, sizeof b, "%s - %s", M->tile, M->night);
    if (write_png(M, &im, path, b, dd0, dd1, NULL) || write_georef(M, &v, path))
        goto done;
    if (info) {
        memset(info, 0, sizeof *info);
        info->w = im.w;
        info->h = im.h;
        info->date0 = dd0;
        info->date1 = dd1;
    }
    rc = 0;
done:
    cw_img_free(&map);
    cw_img_free(&im);
    mosaic_free(&mo);
    return rc;
}

/* ----------------------------------------------------------- AOI maps */

/* grid window of an envelope (tile CRS) grown by `grow` metres, clipped */
static void env_window(const cw_scene *s, const OGREnvelope *e, double grow, int *x0, int *y0, int *x1, int *y1)
{
    double gx0 = (e->MinX - grow - s->gt[0]) / s->gt[1], gx1 = (e->MaxX + grow - s->gt[0]) / s->gt[1];
    double gy0 = (e->MaxY + grow - s->gt[3]) / s->gt[5], gy1 = (e->MinY - grow - s->gt[3]) / s->gt[5];
    *x0 = (int)floor(gx0 < gx1 ? gx0 : gx1);
    *x1 = (int)ceil(gx0 < gx1 ? gx1 : gx0);
    *y0 = (int)floor(gy0 < gy1 ? gy0 : gy1);
    *y1 = (int)ceil(gy0 < gy1 ? gy1 : gy0);
    *x0 = *x0 < 0 ? 0 : *x0;
    *y0 = *y0 < 0 ? 0 : *y0;
    *x1 = *x1 > s->width ? s->width : *x1;
    *y1 = *y1 > s->height ? s->height : *y1;
}

int cw_map_aoi(const cw_map_ctx *M, int k, const char *path, cw_map_info *info)
{
    const cw_scene *g0 = M->sc[0].s;
    const cw_aoi_tile *t = &M->ag->t[k];
    const cw_aoi *a = &M->as->a[t->aoi];
    OGREnvelope e;
    OGR_G_GetEnvelope(t->geom, &e);
    int x0, y0, x1, y1;
    env_window(g0, &e, 2200, &x0, &y0, &x1, &y1);
    if (x1 <= x0 || y1 <= y0)
        return cw_error("AOI %s does not lie on tile %s", a->id, M->tile);
    int gw = x1 - x0, gh = y1 - y0, big = gw > gh ? gw : gh;
    int ds = (big + (int)M->cfg->aoi_px - 1) / (int)M->cfg->aoi_px, zoom = 1;
    if (ds <= 1) {
        ds = 1;
        zoom = (int)M->cfg->aoi_px / big;
        zoom = zoom < 1 ? 1 : zoom > 8 ? 8 : zoom;
    }
    mosaic mo;
    if (mosaic_alloc(&mo, (gw + ds - 1) / ds, (gh + ds - 1) / ds))
        return -1;
    gwin g = {x0, y0, gw, gh};
    cw_img map = {0}, im = {0};
    OGRGeometryH ring = NULL;
    cw_poly p;
    memset(&p, 0, sizeof p);
    int rc = -1;
    if (mosaic_read(M, &g, 0, ck_day_parse(M->night), &mo))
        goto done;
    stretch st = {{MB_B04, MB_B03, MB_B02}, {0}, {0}};
    const mosaic *mp = &mo;
    if (stretch_fit(&st, &mp, 1) || mosaic_render(&mo, &st, &map))
        goto done;
    int mw = mo.w * zoom, mh = mo.h * zoom, ch = mh > 720 ? mh : 720;
    if (cw_img_init(&im, mw, mh, 0))
        goto done;
    cw_blit(&im, &map, 0, 0, zoom);
    cw_img_free(&map);
    map = im; /* overlays go on the map alone, clipped to it */
    im.px = NULL;
    double z = (double)mw / gw;
    view v = {g0->gt, x0, y0, z, (double)mh / gh, 0, 0};
    /* the rings, dashed, labelled at their top */
    static const double dist[] = {500, 1000, 2000};
    static const char *const dlab[] = {"500 m", "1 km", "2 km"};
    for (int r = 0; r < 3; r++) {
        ring = OGR_G_Buffer(t->geom, dist[r], 24);
        if (!ring || geom_poly(ring, &v, &p))
            goto done;
        cw_poly_stroke(&map, &p, 3, RGB_HALO, 6);
        cw_poly_stroke(&map, &p, 1.5, 0xFFFFFFu, 6);
        double bx0, by0, bx1, by1;
        cw_poly_bbox(&p, &bx0, &by0, &bx1, &by1);
        if (by0 > 14)
            cw_text(&map, M->font, 12, (int)((bx0 + bx1) / 2) + 4, (int)by0 + 14, dlab[r], 0xFFFFFFu, 2, RGB_HALO);
        OGR_G_DestroyGeometry(ring);
        ring = NULL;
    }
    if (draw_aois(M, &map, &v, -1, 0) || draw_alerts(M, &map, &v, &mo, zoom, 255, 1))
        goto done;
    if (cw_img_init(&im, mw + PANEL_W, ch, RGB_PANEL))
        goto done;
    cw_blit(&im, &map, 0, 0, 1);
    cw_rect(&im, mw, 0, 1, ch, 0x999999u, 255);
    int x = mw + 18, y = 30, pw = PANEL_W - 36;
    char b[512];
    int dd0 = 0, dd1 = 0;
    day_range(&mo, &dd0, &dd1);
    y = wrap(&im, M->bold, 17, x, y, pw, a->name[0] ? a->name : a->id, RGB_TEXT);
    snprintf(b, sizeof b, "%s · %s · %s", a->id, T(a->kind == CW_AOI_CONSERVED ? M_KIND_CONSERVED : a->kind == CW_AOI_PLOT ? M_VD_PLOT_ID : M_KIND_CHAKRA),
             M->tile);
    y = wrap(&im, M->font, 12, x, y, pw, b, RGB_MUTED);
    snprintf(b, sizeof b, T(M_NIGHT), M->night);
    y = wrap(&im, M->font, 13, x, y + 2, pw, b, RGB_TEXT);
    panel_tail(M, &im, x, y, pw, 1, g0->res / z, dd0, dd1);
    snprintf(b, sizeof b, T(M_AOI_MAP), a->name[0] ? a->name : a->id);
    if (write_png(M, &im, path, b, dd0, dd1, NULL) || write_georef(M, &v, path))
        goto done;
    if (info) {
        memset(info, 0, sizeof *info);
        info->w = im.w;
        info->h = im.h;
        info->date0 = dd0;
        info->date1 = dd1;
    }
    rc = 0;
done:
    OGR_G_DestroyGeometry(ring);
    cw_poly_free(&p);
    cw_img_free(&map);
    cw_img_free(&im);
    mosaic_free(&mo);
    return rc;
}

/* -------------------------------------------------------------- chips */

typedef struct {
    placed pl;
    int *days; /* counts per distinct day: pairs (day, count) */
    int nd;
} dom_ctx;

static void dom_span(void *ctx, int y, int x0, int x1)
{
    dom_ctx *c = ctx;
    for (int x = x0; x < x1; x++) {
        long i = placed_index(&c->pl, x, y);
        if (i < 0)
            continue;
        int d = c->pl.mo->day[i];
        if (!d)
            continue;
        int q = 0;
        while (q < c->nd && c->days[2 * q] != d)
            q++;
        if (q == c->nd) {
            if (c->nd == 64)
                continue;
            c->days[2 * q] = d;
            c->days[2 * q + 1] = 0;
            c->nd++;
        }
        c->days[2 * q + 1]++;
    }
}

/* the date most of the alert's pixels show (ties: the later one) */
static int dominant_day(const mosaic *mo, const cw_poly *p, int w, int h, int ox, int oy, int zoom)
{
    int days[128];
    dom_ctx c = {{mo, ox, oy, zoom}, days, 0};
    cw_poly_spans(p, w, h, dom_span, &c);
    int best = 0, bn = 0;
    for (int q = 0; q < c.nd; q++)
        if (days[2 * q + 1] > bn || (days[2 * q + 1] == bn && days[2 * q] > best)) {
            best = days[2 * q];
            bn = days[2 * q + 1];
        }
    return best;
}

/* The alert's outline in the tile's CRS, NULL with cw_error() when it has
 * none there. */
static OGRGeometryH chip_outline(const cw_map_ctx *M, const cw_alert *a)
{
    OGRGeometryH gg = NULL;
    OGRCoordinateTransformationH ct = a->geom ? to_tile_ct(M) : NULL;
    if (ct) {
        gg = OGR_G_Clone(a->geom);
        if (OGR_G_Transform(gg, ct) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(gg);
            gg = NULL;
        }
        OCTDestroyCoordinateTransformation(ct);
    }
    if (!gg)
        cw_error("alert %s has no outline on tile %s", a->id, M->tile);
    return gg;
}

/* The chip's window: a square about three times the alert, at least 400 m,
 * filling the chip panel at a whole zoom (or read every ds-th pixel), kept
 * on the grid. */
static void chip_window(const cw_map_ctx *M, OGRGeometryH gg, int *wx_out, int *wy_out, int *side_out, int *ds_out,
                        int *zoom_out)
{
    const cw_scene *g0 = M->sc[0].s;
    OGREnvelope e;
    OGR_G_GetEnvelope(gg, &e);
    int x0, y0, x1, y1;
    env_window(g0, &e, 0, &x0, &y0, &x1, &y1);
    const int P = (int)M->cfg->chip_px;
    int side = 3 * ((x1 - x0) > (y1 - y0) ? (x1 - x0) : (y1 - y0));
    int minside = (int)ceil(400.0 / g0->res);
    side = side < minside ? minside : side;
    int ds = 1, zoom = 1;
    if (side <= P) {
        zoom = P / side;
        side = P / zoom;
    } else {
        ds = (side + P - 1) / P;
    }
    side = side > g0->width ? g0->width : side;
    side = side > g0->height ? g0->height : side;
    int cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    int wx = cx - side / 2, wy = cy - side / 2;
    wx = wx < 0 ? 0 : wx + side > g0->width ? g0->width - side : wx;
    wy = wy < 0 ? 0 : wy + side > g0->height ? g0->height - side : wy;
    *wx_out = wx;
    *wy_out = wy;
    *side_out = side;
    *ds_out = ds;
    *zoom_out = zoom;
}

/* The chip's header: id, class, confidence, area, first date, area of interest. */
static void chip_header(const cw_map_ctx *M, cw_img *im, const cw_alert *a, int gap)
{
    char b[512], d1[11];
    cw_text(im, M->bold, 15, gap, 22, a->id, RGB_TEXT, 0, 0);
    ck_day_format(a->first_day, d1);
    const cw_msg conf = a->confidence >= 4 ? M_CONF_HIGHEST : a->confidence == 3 ? M_CONF_HIGH : M_CONF_LOW;
    snprintf(b, sizeof b, "%s · %s %s · %.2f ha", T(a->cls == CW_CLASS_MINING ? M_CLASS_MINING : M_CLASS_LOSS),
             T(M_COL_CONF), T(conf), a->area_ha);
    cw_rect(im, gap, 30, 14, 14, cw_alert_rgb(a->cls, a->confidence), 255);
    wrap(im, M->font, 13, gap + 20, 42, im->w - 2 * gap - 20, b, RGB_TEXT);
    snprintf(b, sizeof b, "%s %s · %s", T(M_COL_FIRST), d1, a->aoi_name[0] ? a->aoi_name : T(M_REL_OUTSIDE));
    wrap(im, M->font, 12, gap, 64, im->w - 2 * gap, b, RGB_MUTED);
}

int cw_map_chip(const cw_map_ctx *M, const cw_alert *a, const char *path, cw_map_info *info)
{
    const cw_scene *g0 = M->sc[0].s;
    mosaic mo[2];
    memset(mo, 0, sizeof mo);
    cw_img im = {0}, pic = {0};
    cw_poly p;
    memset(&p, 0, sizeof p);
    int rc = -1;
    OGRGeometryH gg = chip_outline(M, a);
    if (!gg)
        goto done;
    int wx, wy, side, ds, zoom;
    chip_window(M, gg, &wx, &wy, &side, &ds, &zoom);
    const int mw = (side + ds - 1) / ds;
    gwin g = {wx, wy, side, side};
    int night = ck_day_parse(M->night);
    if (mosaic_alloc(&mo[0], mw, mw) || mosaic_alloc(&mo[1], mw, mw) ||
        mosaic_read(M, &g, 0, a->first_day - 1, &mo[0]) || mosaic_read(M, &g, a->first_day, night, &mo[1]))
        goto done;
    const int gap = 12, head = 78, lab = 22, pw = mw * zoom;
    const int W = 2 * pw + 3 * gap, Hh = head + 2 * (pw + lab) + gap + 26;
    if (cw_img_init(&im, W, Hh, RGB_PANEL))
        goto done;
    double z = (double)pw / side;
    int dom[2] = {0, 0};
    const mosaic *pair[2] = {&mo[0], &mo[1]};
    for (int row = 0; row < 2; row++) { /* true colour, then SWIR; before, then after */
        stretch st = {{row ? MB_B12 : MB_B04, row ? MB_B08 : MB_B03, row ? MB_B04 : MB_B02}, {0}, {0}};
        if (stretch_fit(&st, pair, 2)) /* one stretch for both dates: colours compare */
            goto done;
        for (int col = 0; col < 2; col++) {
            int ox = gap + col * (pw + gap), oy = head + row * (pw + lab);
            if (mosaic_render(&mo[col], &st, &pic))
                goto done;
            cw_blit(&im, &pic, ox, oy, zoom);
            cw_img_free(&pic);
            view v = {g0->gt, wx, wy, z, z, ox, oy};
            if (geom_poly(gg, &v, &p))
                goto done;
            if (row == 0)
                dom[col] = dominant_day(&mo[col], &p, im.w, im.h, ox, oy, zoom);
            cw_poly_stroke(&im, &p, 3.5, RGB_HALO, 0);
            cw_poly_stroke(&im, &p, 1.8, RGB_CHIP_OUTLINE, 0);
            char b[128], d[11];
            ck_day_format(dom[col], d);
            snprintf(b, sizeof b, "%s · %s", T(row ? M_SWIR_SHORT : col ? M_AFTER : M_BEFORE),
                     dom[col] ? d : T(M_NO_OBS));
            cw_rect(&im, ox, oy + pw, pw, lab, RGB_PANEL, 255);
            cw_text(&im, row ? M->font : M->bold, 12, ox, oy + pw + 15, b, RGB_TEXT, 0, 0);
        }
    }
    chip_header(M, &im, a, gap);
    scale_bar(M, &im, gap, Hh - 34, pw / 2, g0->res / z);
    char sw[128];
    cw_attribution(M->lang, dom[0], dom[1], sw, sizeof sw);
    cw_text(&im, M->font, 10, gap + pw / 2 + 50, Hh - 12, sw, RGB_MUTED, 0, 0);
    if (write_png(M, &im, path, a->id, dom[0], dom[1], a->id))
        goto done;
    if (info) {
        memset(info, 0, sizeof *info);
        info->w = im.w;
        info->h = im.h;
        info->date_before = dom[0];
        info->date_after = dom[1];
    }
    rc = 0;
done:
    cw_poly_free(&p);
    cw_img_free(&pic);
    cw_img_free(&im);
    mosaic_free(&mo[0]);
    mosaic_free(&mo[1]);
    OGR_G_DestroyGeometry(gg);
    return rc;
}
