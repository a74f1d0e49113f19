/*
 * cw_alerts.c - from the final state's flagged pixels to alerts: 8-connected
 * components (pixels join when their first-anomaly dates are within
 * group_days; pits, mining objects with their own ponds, that touch join
 * whatever their dates: a pit that grows), object-level class (mining needs new ponds, bare/pond
 * evidence and the baseline river nearby), confidence, area, WGS84
 * centroid (PROJ), polygon (GDALPolygonize), relation to the areas of
 * interest, and matching with the tile's alerts in the history by anchor
 * pixel so an event keeps its id night after night.  Runs once per tile
 * per night on a sparse list; cost grows with the flagged area only.
 */
#include "monitor/cw_monitor.h"
#include "cw_util.h"

#include <gdal.h>
#include <gdal_alg.h>
#include <math.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t start, n; /* members in order[] */
    int x0, y0, x1, y1;
    int first, conf, last;
    long nconf, nmine, npond, nnbr;
    long nsettled; /* pixels confirmed or seen on confirm_n observations after their first anomaly */
    long nriver;  /* pixels in river groups (river_groups) */
    int river;    /* the river moving (erosion, a bar): not published */
    int n_anom;
    double sx, sy, before, after;
    int cls, matched; /* matched: index of the history alert, -1 */
} comp_t;

static size_t uf_find(size_t *par, size_t a)
{
    while (par[a] != a) {
        par[a] = par[par[a]];
        a = par[a];
    }
    return a;
}

static void uf_union(size_t *par, size_t a, size_t b)
{
    a = uf_find(par, a);
    b = uf_find(par, b);
    if (a != b) /* the smaller index stays root: deterministic */
        par[a > b ? a : b] = a < b ? a : b;
}

/* index in px[0..n) of pixel idx, or (size_t)-1 */
static size_t px_find(const cw_px *px, size_t n, uint32_t idx)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (px[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && px[lo].idx == idx ? lo : (size_t)-1;
}

static int near_water(const cw_pass *f, const comp_t *c, double dist_px)
{
    int d = (int)ceil(dist_px);
    int cx0 = (c->x0 - d) / CW_WATER_CELL, cx1 = (c->x1 + d) / CW_WATER_CELL;
    int cy0 = (c->y0 - d) / CW_WATER_CELL, cy1 = (c->y1 + d) / CW_WATER_CELL;
    cx0 = cx0 < 0 ? 0 : cx0;
    cy0 = cy0 < 0 ? 0 : cy0;
    cx1 = cx1 >= f->cells_w ? f->cells_w - 1 : cx1;
    cy1 = cy1 >= f->cells_h ? f->cells_h - 1 : cy1;
    for (int y = cy0; y <= cy1; y++)
        for (int x = cx0; x <= cx1; x++)
            if (f->water[(size_t)y * (size_t)f->cells_w + (size_t)x])
                return 1;
    return 0;
}

/* Polygon of a component in the tile CRS (caller destroys). */
static OGRGeometryH polygonize(const cw_scene *s, const cw_px *px, const size_t *order, const comp_t *c)
{
    int w = c->x1 - c->x0 + 1, h = c->y1 - c->y0 + 1;
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("MEM"), "", w, h, 1, GDT_Byte, NULL);
    GDALDatasetH vds = GDALCreate(GDALGetDriverByName("Memory"), "", 0, 0, 0, GDT_Unknown, NULL);
    OGRGeometryH out = NULL;
    uint8_t *m = calloc((size_t)w * (size_t)h, 1);
    if (!ds || !vds || !m)
        goto done;
    for (size_t k = 0; k < c->n; k++) {
        uint32_t idx = px[order[c->start + k]].idx;
        int y = (int)(idx / (uint32_t)s->width), x = (int)(idx % (uint32_t)s->width);
        m[(size_t)(y - c->y0) * (size_t)w + (size_t)(x - c->x0)] = 1;
    }
    double gt[6] = {s->gt[0] + c->x0 * s->gt[1], s->gt[1], 0, s->gt[3] + c->y0 * s->gt[5], 0, s->gt[5]};
    GDALSetGeoTransform(ds, gt);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (GDALRasterIO(b, GF_Write, 0, 0, w, h, m, w, h, GDT_Byte, 0, 0) != CE_None)
        goto done;
    OGRLayerH l = GDALDatasetCreateLayer(vds, "p", NULL, wkbPolygon, NULL);
    OGRFieldDefnH fd = OGR_Fld_Create("v", OFTInteger);
    OGR_L_CreateField(l, fd, TRUE);
    OGR_Fld_Destroy(fd);
    char *opts[] = {"8CONNECTED=8", NULL};
    if (GDALPolygonize(b, b, l, 0, opts, NULL, NULL) != CE_None)
        goto done;
    out = OGR_G_CreateGeometry(wkbMultiPolygon);
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        OGR_G_AddGeometry(out, OGR_F_GetGeometryRef(f));
        OGR_F_Destroy(f);
    }
done:
    free(m);
    if (ds)
        GDALClose(ds);
    if (vds)
        GDALClose(vds);
    return out;
}

/* The component's centroid in the tile CRS, metres. */
static double comp_easting(const cw_scene *s, const comp_t *k) { return s->gt[0] + k->sx / (double)k->n * s->gt[1]; }
static double comp_northing(const cw_scene *s, const comp_t *k) { return s->gt[3] + k->sy / (double)k->n * s->gt[5]; }

static int hist_cmp_created(const cw_alert *a, const cw_alert *b)
{
    if (a->first_day != b->first_day)
        return a->first_day < b->first_day ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* The fields whose change makes an alert "changed tonight". */
static void signature(const cw_alert *a, char *buf, size_t n)
{
    snprintf(buf, n, "%d|%d|%d|%d|%d|%d|%d|%ld|%s|%s|%.0f|%d|%.4f|%.4f|%s", a->cls, a->status, a->confidence,
             a->first_day, a->conf_day, a->last_day, a->n_anom, a->npx, a->aoi_id, a->relation,
             isnan(a->distance_m) ? -1.0 : a->distance_m, a->published, a->ndvi_after, a->ndvi_before, a->scenes);
}

/* Everything one tile's alert update works on. */
typedef struct {
    const cw_config *cfg;
    const cw_scene *s;
    const cw_aoi_grid *ag;
    const cw_aoi_set *as;
    const cw_pass *f;
    cw_history *h;
    const char *night;
    const cw_px *px; /* the flagged pixels, row-major */
    size_t n;
    uint32_t W;
    double rx, ry;   /* pixel size, metres */
    cw_alert *old;   /* the tile's alerts in the history */
    int nold;
    int *taken;      /* per old alert: matched tonight */
    cw_review *rev;  /* the committee's reviews (all tiles) */
    int nrev;
    size_t *par, *order, *root_comp;
    comp_t *comps;
    size_t ncomp;
    char (*fresh)[sizeof((cw_alert *)0)->id]; /* ids given to new alerts tonight */
    size_t nfresh;
    PJ_CONTEXT *pj_ctx;
    PJ *pj; /* tile CRS -> WGS84, lon/lat */
    OGRCoordinateTransformationH ct; /* tile CRS -> EPSG:4326 (GIS order) */
} alert_run;

static comp_t *comp_of(const alert_run *r, size_t k) { return &r->comps[r->root_comp[uf_find(r->par, k)]]; }

/* Union-find over the sparse, row-major flagged pixels: 8-neighbours
 * join when joins() says so. */
static void uf_join(const alert_run *r, size_t *par, int (*joins)(const alert_run *, const cw_px *, const cw_px *))
{
    const cw_px *px = r->px;
    const uint32_t W = r->W;
    for (size_t k = 0; k < r->n; k++) {
        par[k] = k;
        uint32_t idx = px[k].idx, x = idx % W;
        uint32_t nb[4];
        int nn = 0;
        if (x > 0)
            nb[nn++] = idx - 1;
        if (idx >= W) {
            if (x > 0)
                nb[nn++] = idx - W - 1;
            nb[nn++] = idx - W;
            if (x + 1 < W)
                nb[nn++] = idx - W + 1;
        }
        for (int j = 0; j < nn; j++) {
            size_t q = px_find(px, k, nb[j]);
            if (q != (size_t)-1 && joins(r, &px[q], &px[k]))
                uf_union(par, k, q);
        }
    }
}

/* One event: first-anomaly dates within group_days. */
static int joins_event(const alert_run *r, const cw_px *a, const cw_px *b)
{
    return abs((int)a->first - (int)b->first) <= r->cfg->group_days;
}

static int px_wet(const cw_px *p) { return p->n_pond >= 1; }
static int px_bare_or_wet(const cw_px *p) { return p->n_bare + p->n_pond >= 1; }
/* new water, or a flagged pixel on the baseline river's bank (within
 * bank_px, where no pond is counted: the river eating its bank) */
static int px_channel_side(const cw_px *p) { return px_wet(p) || (p->river & CW_PX_BANK); }
static int joins_channel(const alert_run *r, const cw_px *a, const cw_px *b)
{
    (void)r;
    return px_channel_side(a) && px_channel_side(b);
}
static int joins_bare(const alert_run *r, const cw_px *a, const cw_px *b)
{
    (void)r;
    return px_bare_or_wet(a) && px_bare_or_wet(b);
}

static void comp_add_pixel(comp_t *c, const cw_px *p, uint32_t W, int confirm_n)
{
    int y = (int)(p->idx / W), x = (int)(p->idx % W);
    c->x0 = x < c->x0 ? x : c->x0;
    c->x1 = x > c->x1 ? x : c->x1;
    c->y0 = y < c->y0 ? y : c->y0;
    c->y1 = y > c->y1 ? y : c->y1;
    c->first = p->first < c->first ? p->first : c->first;
    c->last = p->last > c->last ? p->last : c->last;
    if (p->status == CK_ST_CONFIRMED) {
        c->nconf++;
        c->conf = p->conf < c->conf ? p->conf : c->conf;
        c->nnbr += p->n_nbr >= 2;
    }
    c->nsettled += p->status == CK_ST_CONFIRMED || p->n_next >= confirm_n;
    /* bare or pond on >= 2 observations (on every one while fewer) */
    c->nmine += p->n_bare + p->n_pond >= (p->n_next >= 1 ? 2 : 1);
    c->n_anom = p->n_anom > c->n_anom ? p->n_anom : c->n_anom;
    c->sx += x + 0.5;
    c->sy += y + 0.5;
    c->before += p->base_ndvi * 1e-4;
    c->after += p->last_ndvi * 1e-4;
}

/* Components numbered in order of their first pixel, their members listed
 * in order[] and their statistics summed. */
static int components_collect(alert_run *r)
{
    for (size_t k = 0; k < r->n; k++)
        if (uf_find(r->par, k) == k)
            r->root_comp[k] = r->ncomp++;
    r->comps = calloc(r->ncomp ? r->ncomp : 1, sizeof *r->comps);
    if (!r->comps)
        return cw_error("out of memory");
    for (size_t k = 0; k < r->n; k++)
        comp_of(r, k)->n++;
    for (size_t c = 0, acc = 0; c < r->ncomp; c++) {
        comp_t *k = &r->comps[c];
        k->start = acc;
        acc += k->n;
        k->n = 0;
        k->x0 = k->y0 = INT32_MAX;
        k->x1 = k->y1 = -1;
        k->first = INT32_MAX;
        k->conf = INT32_MAX;
        k->matched = -1;
    }
    for (size_t k = 0; k < r->n; k++) {
        comp_t *c = comp_of(r, k);
        r->order[c->start + c->n++] = k;
        comp_add_pixel(c, &r->px[k], r->W, r->cfg->det.confirm_n);
    }
    return 0;
}

/* Whether pixel k is bare or wet ground beyond the riparian strip, not the
 * channel's water (chan), at the centre of a square of side `side` (odd) of
 * such pixels: ground that reaches inland, as a clearing on the bank does and a
 * bar or an eroded bank (a band along the channel) does not. */
static int land_square(const alert_run *r, const uint8_t *chan, size_t k, int side)
{
    const cw_px *px = r->px;
    const int h = (side - 1) / 2;
    const int64_t W = r->W, x = px[k].idx % r->W, y = px[k].idx / r->W;
    if (side <= 0 || x < h || x + h >= W)
        return 0;
    for (int dy = -h; dy <= h; dy++)
        for (int dx = -h; dx <= h; dx++) {
            const int64_t idx = (y + dy) * W + x + dx;
            const size_t q = idx < 0 ? (size_t)-1 : px_find(px, r->n, (uint32_t)idx);
            if (q == (size_t)-1 || !px_bare_or_wet(&px[q]) || (px[q].river & CW_PX_RIPARIAN) || chan[q])
                return 0;
        }
    return 1;
}

/* A group of bare or wet ground (pixels, riparian or channel, pit ponds)
 * that the river moving could be: mostly riparian or channel, no pit. */
static int river_like(const alert_run *r, const uint32_t *gr)
{
    return (double)gr[1] >= r->cfg->river_share * (double)gr[0] && (long)gr[2] < r->cfg->min_pond_px;
}

/* The river moving, and ponds in a pit.  New water that a chain of new
 * water joins to the river's bank (a flagged pixel within bank_px of the
 * baseline river), or whose chain lies mostly in the riparian strip (the
 * mixed 20 m fringe along a channel), is the channel (bank erosion widens
 * it); other new water is a pit's pond (counted per component in npond):
 * the pools of a pit dug beside the bank touch the strip with their mixed
 * edge pixels only.  Bare or wet ground connected (whatever its dates) to
 * the riparian strip is a river group when river_share of it is riparian or
 * channel water, it holds fewer than min_pond_px pit ponds and no square of
 * land_px beyond the strip (land_square): bank erosion or a bar; a component
 * mostly in river groups is marked river. */
static int river_groups(alert_run *r)
{
    const cw_px *px = r->px;
    const size_t n1 = r->n ? r->n : 1;
    size_t *par = malloc(n1 * sizeof *par);
    uint32_t *g = calloc(3 * n1, sizeof *g); /* per root, of each union-find in turn (see the loops) */
    uint8_t *chan = calloc(n1, 1), *pit = calloc(n1, 1);
    int rc = -1;
    if (!par || !g || !chan || !pit) {
        cw_error("out of memory");
        goto done;
    }
    uf_join(r, par, joins_channel);
    for (size_t k = 0; k < r->n; k++) { /* per root: on the bank, wet pixels, riparian wet pixels */
        uint32_t *gr = &g[3 * uf_find(par, k)];
        gr[0] |= (px[k].river & CW_PX_BANK) != 0;
        gr[1] += px_wet(&px[k]);
        gr[2] += px_wet(&px[k]) && (px[k].river & CW_PX_RIPARIAN);
    }
    for (size_t k = 0; k < r->n; k++) {
        const uint32_t *gr = &g[3 * uf_find(par, k)];
        chan[uf_find(par, k)] = gr[0] || 2 * gr[2] >= gr[1];
    }
    memset(g, 0, 3 * n1 * sizeof *g); /* now per root: pixels, riparian or channel, pit ponds */
    for (size_t k = 0; k < r->n; k++)
        if (px_wet(&px[k]) && !chan[uf_find(par, k)]) {
            pit[k] = 1;
            comp_of(r, k)->npond++;
        }
    for (size_t k = 0; k < r->n; k++) /* channel water, before par is reused */
        chan[k] = px_wet(&px[k]) && !pit[k];
    uf_join(r, par, joins_bare);
    for (size_t k = 0; k < r->n; k++) {
        if (!px_bare_or_wet(&px[k]))
            continue;
        uint32_t *gr = &g[3 * uf_find(par, k)];
        gr[0]++;
        gr[1] += chan[k] || (px[k].river & CW_PX_RIPARIAN);
        gr[2] += pit[k];
    }
    uint8_t *inland = pit; /* pit is counted: now per root, a river-like group that reaches inland */
    memset(inland, 0, n1);
    for (size_t k = 0; k < r->n; k++) {
        const size_t root = uf_find(par, k);
        if (px_bare_or_wet(&px[k]) && !inland[root] && river_like(r, &g[3 * root]) &&
            land_square(r, chan, k, (int)r->cfg->land_px))
            inland[root] = 1;
    }
    for (size_t k = 0; k < r->n; k++) {
        const size_t root = uf_find(par, k);
        comp_of(r, k)->nriver += px_bare_or_wet(&px[k]) && river_like(r, &g[3 * root]) && !inland[root];
    }
    rc = 0;
done:
    free(par);
    free(g);
    free(chan);
    free(pit);
    return rc;
}

/* Object-level class: mining next to the river, with ponds or beside
 * another mining object. */
static int components_classify(alert_run *r)
{
    const double river_px = r->cfg->river_distance_m / r->rx;
    int *cand = calloc(r->ncomp ? r->ncomp : 1, sizeof *cand);
    if (!cand)
        return cw_error("out of memory");
    for (size_t c = 0; c < r->ncomp; c++) {
        comp_t *k = &r->comps[c];
        int like = (double)k->nmine >= r->cfg->mining_share * (double)k->n && near_water(r->f, k, river_px);
        cand[c] = like;
        k->cls = like && k->npond >= r->cfg->min_pond_px ? CW_CLASS_MINING : CW_CLASS_LOSS;
    }
    for (size_t c = 0; c < r->ncomp; c++) {
        comp_t *k = &r->comps[c];
        /* a river group of its own (bank erosion, a bar) is not a pit's
         * spoil for lying beside wet pockets the erosion left */
        if (!cand[c] || k->cls == CW_CLASS_MINING || 2 * k->nriver >= (long)k->n)
            continue;
        for (size_t o = 0; o < r->ncomp; o++) {
            const comp_t *m = &r->comps[o];
            if (m->cls == CW_CLASS_MINING && o != c && m->x0 - 3 <= k->x1 && k->x0 <= m->x1 + 3 &&
                m->y0 - 3 <= k->y1 && k->y0 <= m->y1 + 3)
                k->cls = CW_CLASS_MINING;
        }
    }
    /* bare or wet beside the channel, no pit: bank erosion or a bar */
    for (size_t c = 0; c < r->ncomp; c++) {
        comp_t *k = &r->comps[c];
        k->river = k->cls != CW_CLASS_MINING && 2 * k->nriver >= (long)k->n;
    }
    free(cand);
    return 0;
}

/* A pit that grows: mining objects with their own ponds that touch are
 * one, whatever their dates (a pit's second step, past group_days, is the
 * pit growing, not a new site).  Bare ground that is mining only for lying
 * beside a pit is not joined to it: haze on a dry bank looks like that.
 * Pixels of one component stay together. */
static int pit_with_ponds(const alert_run *r, const comp_t *c)
{
    return c->cls == CW_CLASS_MINING && c->npond >= r->cfg->min_pond_px;
}
static int joins_pit(const alert_run *r, const cw_px *a, const cw_px *b)
{
    const comp_t *ca = comp_of(r, (size_t)(a - r->px)), *cb = comp_of(r, (size_t)(b - r->px));
    return ca == cb || (pit_with_ponds(r, ca) && pit_with_ponds(r, cb));
}

/* Joins touching pits (joins_pit), then collects and classifies the
 * components again; nothing to do with fewer than two. */
static int pits_merge(alert_run *r)
{
    size_t npits = 0;
    for (size_t c = 0; c < r->ncomp; c++)
        npits += pit_with_ponds(r, &r->comps[c]);
    if (npits < 2)
        return 0;
    size_t *par = malloc((r->n ? r->n : 1) * sizeof *par);
    if (!par)
        return cw_error("out of memory");
    uf_join(r, par, joins_pit);
    size_t roots = 0;
    for (size_t k = 0; k < r->n; k++)
        roots += uf_find(par, k) == k;
    if (roots == r->ncomp) { /* no two touch */
        free(par);
        return 0;
    }
    free(r->par);
    r->par = par;
    free(r->comps);
    r->comps = NULL;
    r->ncomp = 0;
    return components_collect(r) || river_groups(r) || components_classify(r);
}

static int reviewed_false(const alert_run *r, const cw_alert *a)
{
    const cw_review *v = cw_review_latest(r->rev, r->nrev, a->id);
    return v && v->review == CW_RV_FALSE_POSITIVE;
}

/* The component tonight that holds history alert o's anchor pixel, or NULL. */
static comp_t *anchor_comp(const alert_run *r, const cw_alert *o)
{
    if (o->anchor < 0 || (uint64_t)o->anchor >= (uint64_t)r->W * (uint64_t)r->s->height)
        return NULL;
    size_t q = px_find(r->px, r->n, (uint32_t)o->anchor);
    return q == (size_t)-1 ? NULL : comp_of(r, q);
}

/* Each history alert's anchor pixel names the component it continues
 * (the earliest alert wins a component).  An alert the committee found
 * false keeps its pixels even after it expired: the same event
 * triggering again is the same false alert, not a new one. */
static void components_match_history(alert_run *r)
{
    for (int a = 0; a < r->nold; a++) {
        const cw_alert *o = &r->old[a];
        int retired = o->status == CW_AL_REJECTED || o->status == CW_AL_REVERTED;
        comp_t *c = retired && !reviewed_false(r, o) ? NULL : anchor_comp(r, o);
        if (c && (c->matched < 0 || hist_cmp_created(o, &r->old[c->matched]) < 0))
            c->matched = a;
    }
}

static int transforms_open(alert_run *r)
{
    const cw_scene *s = r->s;
    r->ct = cw_ct_wgs84(s->crs_wkt, 1);
    PJ *raw = proj_create_crs_to_crs(r->pj_ctx, s->crs_wkt, "EPSG:4326", NULL);
    r->pj = raw ? proj_normalize_for_visualization(r->pj_ctx, raw) : NULL;
    proj_destroy(raw);
    if (!r->ct || !r->pj)
        return cw_error("%s: cannot transform %s to WGS84", s->tile, s->crs_name);
    return 0;
}

/* Class, size, dates, status, confidence and WGS84 centroid of a component
 * (prev: the history alert it continues, or NULL). */
static void alert_describe(const alert_run *r, const comp_t *k, const cw_alert *prev, cw_alert *a)
{
    const cw_scene *s = r->s;
    memset(a, 0, sizeof *a);
    cw_strlcpy(a->tile, s->tile, sizeof a->tile);
    a->cls = k->cls;
    a->npx = (long)k->n;
    a->area_ha = (double)k->n * r->rx * r->ry / 1e4;
    a->first_day = k->first;
    a->last_day = k->last;
    a->n_anom = k->n_anom;
    a->ndvi_before = k->before / (double)k->n;
    a->ndvi_after = k->after / (double)k->n;
    /* Confirmed when half its pixels are; or when its confirmed pixels make
     * the MMU and half of those that have had their confirm_n observations
     * since their first anomaly: pixels first seen on the last nights cannot
     * be confirmed yet, and a pit that grows each time it is seen (half of
     * it new every few weeks, as Napo's largest did) would otherwise stay a
     * candidate however long its core has been confirmed. */
    const double px_ha = r->rx * r->ry / 1e4;
    const int core = (double)k->nconf * px_ha >= r->cfg->mmu_ha && 2 * k->nconf >= k->nsettled;
    int confirmed = 2 * k->nconf >= (long)k->n || core || (prev && prev->status == CW_AL_CONFIRMED);
    a->status = confirmed ? CW_AL_CONFIRMED : CW_AL_CANDIDATE;
    /* the first confirmation stands; later nights do not move it */
    a->conf_day = !confirmed ? 0 : prev && prev->conf_day ? prev->conf_day : k->nconf ? k->conf : 0;
    a->confidence = !confirmed ? 2 : (k->nconf && 2 * k->nnbr >= k->nconf ? 4 : 3);
    PJ_COORD out = proj_trans(r->pj, PJ_FWD, proj_coord(comp_easting(s, k), comp_northing(s, k), 0, 0));
    a->lon = out.xy.x;
    a->lat = out.xy.y;
}

/* The nearest area of interest (the others in other_aois) and whether
 * the alert is large enough to publish. */
static void alert_relate(const alert_run *r, OGRGeometryH poly, cw_alert *a)
{
    cw_aoi_rel rel[8];
    int nrel = cw_aoi_relate(r->ag, r->as, poly, rel, 8);
    a->distance_m = NAN;
    cw_strlcpy(a->aoi_kind, "none", sizeof a->aoi_kind);
    cw_strlcpy(a->relation, "outside", sizeof a->relation);
    int touching = 0;
    for (int i = 0; i < nrel; i++) {
        const cw_aoi *ao = &r->as->a[rel[i].aoi];
        touching |= rel[i].rel == CW_REL_INSIDE;
        if (i == 0) {
            cw_strlcpy(a->aoi_id, ao->id, sizeof a->aoi_id);
            cw_strlcpy(a->aoi_kind, cw_aoi_kind_name(ao->kind), sizeof a->aoi_kind);
            cw_strlcpy(a->aoi_name, ao->name, sizeof a->aoi_name);
            cw_strlcpy(a->relation, cw_rel_name(rel[i].rel), sizeof a->relation);
            a->distance_m = round(rel[i].dist);
        } else {
            size_t l = strlen(a->other_aois);
            snprintf(a->other_aois + l, sizeof a->other_aois - l, "%s%s:%s:%.0f", l ? ";" : "", ao->id,
                     cw_rel_name(rel[i].rel), rel[i].dist);
        }
    }
    double mmu = touching ? r->cfg->mmu_aoi_ha : r->cfg->mmu_ha;
    a->published = a->area_ha + 1e-9 >= mmu;
    if (!a->published)
        snprintf(a->reason, sizeof a->reason, CW_REASON_MMU, mmu);
}

static int id_taken(const alert_run *r, const char *id)
{
    for (int a = 0; a < r->nold; a++)
        if (!strcmp(r->old[a].id, id))
            return 1;
    for (size_t a = 0; a < r->nfresh; a++)
        if (!strcmp(r->fresh[a], id))
            return 1;
    return 0;
}

/* The earliest-dated pixel of component k, first in row order, among its
 * confirmed pixels only when only_confirmed; (size_t)-1 when there is none. */
static size_t earliest_px(const alert_run *r, const comp_t *k, int only_confirmed)
{
    size_t best = (size_t)-1;
    for (size_t m = 0; m < k->n; m++) {
        size_t q = r->order[k->start + m];
        if ((!only_confirmed || r->px[q].status == CK_ST_CONFIRMED) &&
            (best == (size_t)-1 || r->px[q].first < r->px[best].first))
            best = q;
    }
    return best;
}

/* A new alert's anchor (its earliest-dated pixel, first in row order) and
 * id TILE-L|M-firstdate-E100m-N100m, suffixed -2, -3, ... when an alert of
 * the history or another new one tonight has it (two events of one date
 * within 100 m). */
static void alert_identify(alert_run *r, const comp_t *k, cw_alert *a)
{
    a->anchor = r->px[earliest_px(r, k, 0)].idx;
    char d[11], base[sizeof a->id];
    ck_day_format(a->first_day, d);
    snprintf(base, sizeof base, "%s-%c-%.4s%.2s%.2s-%ld-%ld", r->s->tile, a->cls == CW_CLASS_MINING ? 'M' : 'L', d,
             d + 5, d + 8, lround(comp_easting(r->s, k) / 100.0), lround(comp_northing(r->s, k) / 100.0));
    cw_strlcpy(a->id, base, sizeof a->id);
    for (int sfx = 2; id_taken(r, a->id); sfx++)
        snprintf(a->id, sizeof a->id, "%.50s-%d", base, sfx);
    cw_strlcpy(r->fresh[r->nfresh++], a->id, sizeof r->fresh[0]);
}

/* One component as an alert: written to the history when new or changed. */
static int alert_publish(alert_run *r, comp_t *k, cw_alert_counts *counts)
{
    const cw_alert *prev = k->matched >= 0 ? &r->old[k->matched] : NULL;
    cw_alert a;
    alert_describe(r, k, prev, &a);
    OGRGeometryH poly = polygonize(r->s, r->px, r->order, k);
    if (!poly)
        return cw_error("%s: cannot outline a component: %s", r->s->tile, cw_gdal_errmsg());
    alert_relate(r, poly, &a);
    if (k->river) {
        a.published = 0;
        cw_strlcpy(a.reason, CW_REASON_RIVER, sizeof a.reason);
    }
    const cw_review *rv = prev ? cw_review_latest(r->rev, r->nrev, prev->id) : NULL;
    if (rv && rv->review == CW_RV_FALSE_POSITIVE) { /* the committee's word stands: never published again */
        char d[11];
        ck_day_format(rv->day, d);
        a.published = 0;
        if (rv->reviewer[0])
            snprintf(a.reason, sizeof a.reason, CW_REASON_REVIEWED_BY, d, rv->reviewer);
        else
            snprintf(a.reason, sizeof a.reason, CW_REASON_REVIEWED, d);
    } else if (prev && prev->published && !a.published) { /* published before: withdrawn once, in the open */
        char why[sizeof a.reason];
        cw_strlcpy(why, a.reason, sizeof why);
        snprintf(a.reason, sizeof a.reason, CW_REASON_WITHDRAWN, why);
        a.status = CW_AL_REJECTED;
        a.published = 1;
    }
    if (cw_history_tile_scenes(r->h, r->s->tile, a.first_day, a.last_day, a.scenes, sizeof a.scenes)) {
        OGR_G_DestroyGeometry(poly);
        return -1;
    }
    if (prev) {
        cw_strlcpy(a.id, prev->id, sizeof a.id);
        a.anchor = prev->anchor;
        /* an anchor that can still expire moves to a confirmed pixel once
         * the alert has one: an alert confirmed with pixels still pending
         * (a pit that grows) lost its component, and was reported reverted
         * beside a new alert of the same pit, when its anchor expired */
        const size_t q = px_find(r->px, r->n, (uint32_t)prev->anchor);
        const size_t c = k->nconf && (q == (size_t)-1 || r->px[q].status != CK_ST_CONFIRMED)
                             ? earliest_px(r, k, 1)
                             : (size_t)-1;
        if (c != (size_t)-1)
            a.anchor = r->px[c].idx;
        r->taken[k->matched] = 1;
    } else {
        alert_identify(r, k, &a);
    }
    char s_new[8192], s_old[8192];
    signature(&a, s_new, sizeof s_new);
    if (prev)
        signature(prev, s_old, sizeof s_old);
    if (prev && !strcmp(s_new, s_old)) {
        OGR_G_DestroyGeometry(poly);
        return 0;
    }
    OGR_G_Transform(poly, r->ct);
    a.geom = poly;
    const char *ev = !prev                                                          ? "created"
                     : a.status == CW_AL_REJECTED                                ? "rejected"
                     : prev->status != a.status && a.status == CW_AL_CONFIRMED ? "confirmed"
                                                                                 : "updated";
    int wrc = cw_history_alert_put(r->h, &a, r->night, ev);
    cw_alert_free(&a);
    if (wrc)
        return -1;
    if (!a.published)
        counts->n_small++;
    else if (a.status == CW_AL_REJECTED)
        counts->n_rejected++;
    else if (!prev)
        counts->n_new++;
    else
        counts->n_updated++;
    return 0;
}

/* The history alert whose component took old alert a's anchor pixel
 * tonight (two events grown into one: the earliest keeps the id), or NULL. */
static const cw_alert *merged_into(const alert_run *r, int a)
{
    const comp_t *c = anchor_comp(r, &r->old[a]);
    return c && c->matched >= 0 && c->matched != a ? &r->old[c->matched] : NULL;
}

/* Alerts of the history no longer flagged: merged into another one or
 * expired candidates (rejected); confirmed alerts whose pixels all came
 * back to their seasonal expectation (reverted), published once more with
 * the reason. */
static int retire_unflagged(alert_run *r, cw_alert_counts *counts)
{
    const ck_change_params *d = &r->cfg->det;
    for (int a = 0; a < r->nold; a++) {
        const cw_alert *o = &r->old[a];
        if (r->taken[a] || (o->status != CW_AL_CANDIDATE && o->status != CW_AL_CONFIRMED))
            continue;
        if (o->first_day > r->f->day) /* a tile being rebuilt: a scene older than the alert cannot retire it */
            continue;
        cw_alert x = *o;
        x.geom = NULL;
        const cw_alert *into = merged_into(r, a);
        if (into) {
            x.status = CW_AL_REJECTED;
            snprintf(x.reason, sizeof x.reason, CW_REASON_MERGED, into->id);
        } else if (o->status == CW_AL_CANDIDATE) {
            x.status = CW_AL_REJECTED;
            x.confidence = 2;
            snprintf(x.reason, sizeof x.reason, CW_REASON_EXPIRED, d->confirm_n, d->window_obs,
                     d->window_days);
        } else {
            x.status = CW_AL_REVERTED;
            snprintf(x.reason, sizeof x.reason, CW_REASON_REVERTED, d->recover_n, d->recover_days);
        }
        if (cw_history_alert_put(r->h, &x, r->night,
                                 into                         ? "merged"
                                 : x.status == CW_AL_REJECTED ? "rejected"
                                                              : "reverted"))
            return -1;
        counts->n_rejected++;
    }
    return 0;
}

static void alert_run_free(alert_run *r)
{
    for (int a = 0; a < r->nold; a++)
        cw_alert_free(&r->old[a]);
    free(r->old);
    free(r->par);
    free(r->order);
    free(r->root_comp);
    free(r->comps);
    free(r->taken);
    free(r->fresh);
    free(r->rev);
    proj_destroy(r->pj);
    proj_context_destroy(r->pj_ctx);
    OCTDestroyCoordinateTransformation(r->ct);
}

int cw_alerts_update(const cw_config *cfg, const cw_scene *s, const cw_aoi_grid *ag, const cw_aoi_set *as,
                     const cw_pass *f, cw_history *h, const char *night, cw_alert_counts *counts)
{
    memset(counts, 0, sizeof *counts);
    alert_run r = {.cfg = cfg, .s = s, .ag = ag, .as = as, .f = f, .h = h, .night = night,
                   .px = f->flagged.p, .n = f->flagged.n, .W = (uint32_t)s->width,
                   .rx = fabs(s->gt[1]), .ry = fabs(s->gt[5]), .pj_ctx = proj_context_create()};
    int rc = -1;
    if (cw_history_tile_alerts(h, s->tile, &r.old, &r.nold) || cw_history_reviews(h, &r.rev, &r.nrev))
        goto done;
    size_t n1 = r.n ? r.n : 1;
    r.par = malloc(n1 * sizeof *r.par);
    r.order = malloc(n1 * sizeof *r.order);
    r.root_comp = malloc(n1 * sizeof *r.root_comp);
    r.taken = calloc((size_t)(r.nold ? r.nold : 1), sizeof *r.taken);
    if (!r.par || !r.order || !r.root_comp || !r.taken) {
        cw_error("out of memory (%zu flagged pixels)", r.n);
        goto done;
    }
    uf_join(&r, r.par, joins_event);
    if (components_collect(&r) || river_groups(&r) || components_classify(&r) || pits_merge(&r))
        goto done;
    components_match_history(&r);
    r.fresh = malloc((r.ncomp ? r.ncomp : 1) * sizeof *r.fresh);
    if (!r.fresh) {
        cw_error("out of memory (%zu components)", r.ncomp);
        goto done;
    }
    if (transforms_open(&r))
        goto done;
    for (size_t c = 0; c < r.ncomp; c++)
        if (alert_publish(&r, &r.comps[c], counts))
            goto done;
    if (retire_unflagged(&r, counts))
        goto done;
    rc = 0;
done:
    alert_run_free(&r);
    return rc;
}
