/*
 * cw_alerts.c - from the final state's flagged pixels to alerts: 8-connected
 * components (pixels join when their first-anomaly dates are within
 * group_days), object-level class (mining needs new ponds, bare/pond
 * evidence and the baseline river nearby), confidence, area, WGS84
 * centroid (PROJ), polygon (GDALPolygonize), relation to the areas of
 * interest, and matching with the tile's alerts in the history by anchor
 * pixel so an event keeps its id night after night.  Runs once per tile
 * per night on a sparse list; cost grows with the flagged area only.
 */
#include "cw_monitor.h"
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

int cw_alerts_update(const cw_config *cfg, const cw_scene *s, const cw_aoi_grid *ag, const cw_aoi_set *as,
                     const cw_pass *f, cw_history *h, const char *night, cw_alert_counts *counts)
{
    memset(counts, 0, sizeof *counts);
    const cw_px *px = f->flagged.p;
    const size_t n = f->flagged.n;
    const uint32_t W = (uint32_t)s->width;
    cw_alert *old = NULL;
    int nold = 0, rc = -1;
    size_t *par = NULL, *order = NULL, *root_comp = NULL;
    comp_t *comps = NULL;
    size_t ncomp = 0;
    int *taken = NULL;
    PJ_CONTEXT *pj_ctx = proj_context_create();
    PJ *pj = NULL;
    OGRSpatialReferenceH tsrs = NULL, wgs = NULL;
    OGRCoordinateTransformationH ct = NULL;
    if (cw_history_tile_alerts(h, s->tile, &old, &nold))
        goto done;
    par = malloc((n ? n : 1) * sizeof *par);
    order = malloc((n ? n : 1) * sizeof *order);
    root_comp = malloc((n ? n : 1) * sizeof *root_comp);
    taken = calloc((size_t)(nold ? nold : 1), sizeof *taken);
    if (!par || !order || !root_comp || !taken) {
        cw_error("out of memory (%zu flagged pixels)", n);
        goto done;
    }
    /* 1. union-find over the sparse, row-major flagged pixels */
    for (size_t k = 0; k < n; k++) {
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
            if (q != (size_t)-1 && abs((int)px[q].first - (int)px[k].first) <= cfg->group_days)
                uf_union(par, k, q);
        }
    }
    /* 2. components in order of their first pixel */
    for (size_t k = 0; k < n; k++) {
        size_t r = uf_find(par, k);
        if (r == k) {
            root_comp[k] = ncomp++;
        }
    }
    comps = calloc(ncomp ? ncomp : 1, sizeof *comps);
    if (!comps) {
        cw_error("out of memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        comps[root_comp[uf_find(par, k)]].n++;
    for (size_t c = 0, acc = 0; c < ncomp; c++) {
        comps[c].start = acc;
        acc += comps[c].n;
        comps[c].n = 0;
        comps[c].x0 = comps[c].y0 = INT32_MAX;
        comps[c].x1 = comps[c].y1 = -1;
        comps[c].first = INT32_MAX;
        comps[c].conf = INT32_MAX;
        comps[c].matched = -1;
    }
    const double rx = fabs(s->gt[1]), ry = fabs(s->gt[5]);
    for (size_t k = 0; k < n; k++) {
        comp_t *c = &comps[root_comp[uf_find(par, k)]];
        order[c->start + c->n++] = k;
        const cw_px *p = &px[k];
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
        /* bare or pond on >= 2 observations (on every one while fewer) */
        c->nmine += p->n_bare + p->n_pond >= (p->n_next >= 1 ? 2 : 1);
        c->npond += p->n_pond >= 1;
        c->n_anom = p->n_anom > c->n_anom ? p->n_anom : c->n_anom;
        c->sx += x + 0.5;
        c->sy += y + 0.5;
        c->before += p->base_ndvi * 1e-4;
        c->after += p->last_ndvi * 1e-4;
    }
    /* 3. object-level class: mining next to the river, with ponds or
     * beside another mining object */
    const double river_px = cfg->river_distance_m / rx;
    int *cand = calloc(ncomp ? ncomp : 1, sizeof *cand);
    if (!cand) {
        cw_error("out of memory");
        goto done;
    }
    for (size_t c = 0; c < ncomp; c++) {
        comp_t *k = &comps[c];
        int like = (double)k->nmine >= cfg->mining_share * (double)k->n && near_water(f, k, river_px);
        cand[c] = like;
        k->cls = like && k->npond >= cfg->min_pond_px ? CW_CLASS_MINING : CW_CLASS_LOSS;
    }
    for (size_t c = 0; c < ncomp; c++) {
        comp_t *k = &comps[c];
        if (!cand[c] || k->cls == CW_CLASS_MINING)
            continue;
        for (size_t o = 0; o < ncomp; o++)
            if (comps[o].cls == CW_CLASS_MINING && o != c && comps[o].x0 - 3 <= k->x1 && k->x0 <= comps[o].x1 + 3 &&
                comps[o].y0 - 3 <= k->y1 && k->y0 <= comps[o].y1 + 3)
                k->cls = CW_CLASS_MINING;
    }
    free(cand);
    /* 4. match with the history by anchor pixel (earliest alert wins) */
    for (int a = 0; a < nold; a++) {
        if (old[a].status == CW_AL_REJECTED || old[a].anchor < 0 || (uint64_t)old[a].anchor >= (uint64_t)W * (uint64_t)s->height)
            continue;
        size_t q = px_find(px, n, (uint32_t)old[a].anchor);
        if (q == (size_t)-1)
            continue;
        comp_t *c = &comps[root_comp[uf_find(par, q)]];
        if (c->matched < 0 || hist_cmp_created(&old[a], &old[c->matched]) < 0)
            c->matched = a;
    }
    /* 5. alerts */
    tsrs = OSRNewSpatialReference(s->crs_wkt);
    wgs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(tsrs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    ct = OCTNewCoordinateTransformation(tsrs, wgs);
    PJ *raw = proj_create_crs_to_crs(pj_ctx, s->crs_wkt, "EPSG:4326", NULL);
    pj = raw ? proj_normalize_for_visualization(pj_ctx, raw) : NULL;
    proj_destroy(raw);
    if (!ct || !pj) {
        cw_error("%s: cannot transform %s to WGS84", s->tile, s->crs_name);
        goto done;
    }
    for (size_t c = 0; c < ncomp; c++) {
        comp_t *k = &comps[c];
        cw_alert a;
        memset(&a, 0, sizeof a);
        cw_strlcpy(a.tile, s->tile, sizeof a.tile);
        a.cls = k->cls;
        a.npx = (long)k->n;
        a.area_ha = (double)k->n * rx * ry / 1e4;
        a.first_day = k->first;
        a.last_day = k->last;
        a.n_anom = k->n_anom;
        a.ndvi_before = k->before / (double)k->n;
        a.ndvi_after = k->after / (double)k->n;
        const cw_alert *prev = k->matched >= 0 ? &old[k->matched] : NULL;
        int confirmed = 2 * k->nconf >= (long)k->n || (prev && prev->status == CW_AL_CONFIRMED);
        a.status = confirmed ? CW_AL_CONFIRMED : CW_AL_CANDIDATE;
        /* the first confirmation stands; later nights do not move it */
        a.conf_day = !confirmed ? 0 : prev && prev->conf_day ? prev->conf_day : k->nconf ? k->conf : 0;
        a.confidence = !confirmed ? 2 : (k->nconf && 2 * k->nnbr >= k->nconf ? 4 : 3);
        double ex = s->gt[0] + k->sx / (double)k->n * s->gt[1], ny = s->gt[3] + k->sy / (double)k->n * s->gt[5];
        PJ_COORD in = proj_coord(ex, ny, 0, 0), out = proj_trans(pj, PJ_FWD, in);
        a.lon = out.xy.x;
        a.lat = out.xy.y;
        OGRGeometryH poly = polygonize(s, px, order, k);
        if (!poly) {
            cw_error("%s: cannot outline a component: %s", s->tile, cw_gdal_errmsg());
            goto done;
        }
        cw_aoi_rel rel[8];
        int nrel = cw_aoi_relate(ag, as, poly, rel, 8);
        a.distance_m = NAN;
        cw_strlcpy(a.aoi_kind, "none", sizeof a.aoi_kind);
        cw_strlcpy(a.relation, "outside", sizeof a.relation);
        int touching = 0;
        for (int r = 0; r < nrel; r++) {
            const cw_aoi *ao = &as->a[rel[r].aoi];
            touching |= rel[r].rel == CW_REL_INSIDE;
            if (r == 0) {
                cw_strlcpy(a.aoi_id, ao->id, sizeof a.aoi_id);
                cw_strlcpy(a.aoi_kind, cw_aoi_kind_name(ao->kind), sizeof a.aoi_kind);
                cw_strlcpy(a.aoi_name, ao->name, sizeof a.aoi_name);
                cw_strlcpy(a.relation, cw_rel_name(rel[r].rel), sizeof a.relation);
                a.distance_m = round(rel[r].dist);
            } else {
                size_t l = strlen(a.other_aois);
                snprintf(a.other_aois + l, sizeof a.other_aois - l, "%s%s:%s:%.0f", l ? ";" : "", ao->id,
                         cw_rel_name(rel[r].rel), rel[r].dist);
            }
        }
        a.published = a.area_ha + 1e-9 >= (touching ? cfg->mmu_aoi_ha : cfg->mmu_ha);
        if (!a.published)
            snprintf(a.reason, sizeof a.reason, "below the minimum mapping unit (%.2f ha)",
                     touching ? cfg->mmu_aoi_ha : cfg->mmu_ha);
        if (cw_history_tile_scenes(h, s->tile, a.first_day, a.last_day, a.scenes, sizeof a.scenes))
            goto done;
        if (prev) {
            cw_strlcpy(a.id, prev->id, sizeof a.id);
            a.anchor = prev->anchor;
            taken[k->matched] = 1;
        } else {
            /* anchor: the earliest-dated pixel, first in row order */
            size_t best = order[k->start];
            for (size_t m = 1; m < k->n; m++) {
                size_t q = order[k->start + m];
                if (px[q].first < px[best].first)
                    best = q;
            }
            a.anchor = px[best].idx;
            char d[11];
            ck_day_format(a.first_day, d);
            snprintf(a.id, sizeof a.id, "%s-%c-%.4s%.2s%.2s-%ld-%ld", s->tile, a.cls == CW_CLASS_MINING ? 'M' : 'L',
                     d, d + 5, d + 8, lround(ex / 100.0), lround(ny / 100.0));
            for (int a2 = 0, sfx = 2; a2 < nold; a2++) /* same id from another event: suffix */
                if (!strcmp(old[a2].id, a.id)) {
                    size_t l = strlen(a.id);
                    snprintf(a.id + l, sizeof a.id - l, "-%d", sfx++);
                    a2 = -1;
                }
        }
        char s_new[8192], s_old[8192];
        signature(&a, s_new, sizeof s_new);
        if (prev)
            signature(prev, s_old, sizeof s_old);
        if (prev && !strcmp(s_new, s_old)) {
            OGR_G_DestroyGeometry(poly);
            continue;
        }
        OGR_G_Transform(poly, ct);
        a.geom = poly;
        const char *ev = !prev ? "created"
                         : prev->status != a.status && a.status == CW_AL_CONFIRMED ? "confirmed"
                                                                                    : "updated";
        int wrc = cw_history_alert_put(h, &a, night, ev);
        cw_alert_free(&a);
        if (wrc)
            goto done;
        if (!a.published)
            counts->n_small++;
        else if (!prev)
            counts->n_new++;
        else
            counts->n_updated++;
    }
    /* 6. candidates of the history no longer flagged: expired -> rejected */
    for (int a = 0; a < nold; a++) {
        if (taken[a] || old[a].status != CW_AL_CANDIDATE)
            continue;
        cw_alert r = old[a];
        r.geom = NULL;
        r.status = CW_AL_REJECTED;
        r.confidence = 2;
        snprintf(r.reason, sizeof r.reason,
                 "not confirmed: fewer than %d anomalous of the next %d clear observations within %d days",
                 cfg->det.confirm_n, cfg->det.window_obs, cfg->det.window_days);
        if (cw_history_alert_put(h, &r, night, "rejected"))
            goto done;
        counts->n_rejected++;
    }
    rc = 0;
done:
    for (int a = 0; a < nold; a++)
        cw_alert_free(&old[a]);
    free(old);
    free(par);
    free(order);
    free(root_comp);
    free(comps);
    free(taken);
    proj_destroy(pj);
    proj_context_destroy(pj_ctx);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(tsrs);
    OSRDestroySpatialReference(wgs);
    return rc;
}
