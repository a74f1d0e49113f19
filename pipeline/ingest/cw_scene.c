/*
 * cw_scene.c - scene discovery and metadata; runs once per scene, so it
 * favours clear messages over speed.
 */
#include "ingest/cw_scene.h"
#include "cw_util.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <errno.h>
#include <ctype.h>
#include <dirent.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Accepted names per source: Sentinel-2 band name, then common names. */
static const char *const src_names[CW_NSRC][4] = {
    [CK_B02] = {"B02", "blue", "B2", NULL},
    [CK_B03] = {"B03", "green", "B3", NULL},
    [CK_B04] = {"B04", "red", "B4", NULL},
    [CK_B08] = {"B08", "nir", "B8", NULL},
    [CK_B8A] = {"B8A", "nir08", NULL, NULL},
    [CK_B11] = {"B11", "swir16", NULL, NULL},
    [CK_B12] = {"B12", "swir22", NULL, NULL},
    [CW_SRC_SCL] = {"SCL", NULL, NULL, NULL},
};
/* MTD_MSIL2A.xml band_id of each spectral band. */
static const int mtd_band_id[CK_NBANDS] = {1, 2, 3, 7, 8, 11, 12};

const char *cw_src_name(int src) { return src_names[src][0]; }

const char *cw_layout_name(cw_layout l)
{
    switch (l) {
    case CW_LAYOUT_FOLDER: return "folder of per-band GeoTIFF";
    case CW_LAYOUT_SAFE: return "ESA .SAFE product";
    case CW_LAYOUT_MULTIBAND: return "multi-band GeoTIFF";
    }
    return "?";
}

unsigned cw_scene_missing(const cw_scene *s, unsigned need)
{
    unsigned miss = 0;
    for (int i = 0; i < CW_NSRC; i++)
        if ((need & CW_SRC_BIT(i)) && !s->src[i].present)
            miss |= CW_SRC_BIT(i);
    return miss;
}

void cw_src_list(unsigned bits, char *buf, size_t n)
{
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < CW_NSRC; i++)
        if (bits & CW_SRC_BIT(i)) {
            int r = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", cw_src_name(i));
            if (r < 0 || (size_t)r >= n - used)
                break;
            used += (size_t)r;
        }
}

void cw_scene_free(cw_scene *s)
{
    if (!s)
        return;
    CPLFree(s->crs_wkt);
    s->crs_wkt = NULL;
}

/* ---------------------------------------------------------------- names */

/* Does `stem` name source `src`?  "B04", "red", "T18MTD_..._B04",
 * "T18MTD_..._B04_10m". */
static int name_matches(const char *stem, int src)
{
    for (int k = 0; k < 4 && src_names[src][k]; k++) {
        const char *nm = src_names[src][k];
        size_t nl = strlen(nm);
        if (strcasecmp(stem, nm) == 0)
            return 1;
        for (const char *p = strchr(stem, '_'); p; p = strchr(p + 1, '_')) {
            if (strncasecmp(p + 1, nm, nl) != 0)
                continue;
            const char *rest = p + 1 + nl;
            if (*rest == '\0')
                return 1;
            if (rest[0] == '_' && isdigit((unsigned char)rest[1])) {
                const char *q = rest + 1;
                while (isdigit((unsigned char)*q))
                    q++;
                if ((*q == 'm' || *q == 'M') && q[1] == '\0')
                    return 1;
            }
        }
    }
    return 0;
}

static int has_ext(const char *name, const char *const *exts, char *stem, size_t n)
{
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.')
        return 0;
    for (int i = 0; exts[i]; i++)
        if (strcasecmp(dot + 1, exts[i]) == 0) {
            size_t l = (size_t)(dot - name);
            if (l >= n)
                return 0;
            memcpy(stem, name, l);
            stem[l] = '\0';
            return 1;
        }
    return 0;
}

static int vsi_is_dir(const char *path)
{
    VSIStatBufL st;
    return VSIStatL(path, &st) == 0 && VSI_ISDIR(st.st_mode);
}

/* Sort entries so the scan (and any message) does not depend on readdir. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Assign files of `dir` to sources. Keeps the first (finest) folder's
 * match when called for R10m then R20m; duplicates within one folder are
 * an error. Returns number of files matched or -1. */
static int scan_folder(cw_scene *s, const char *dir, const char *const *exts)
{
    char **list = VSIReadDir(dir); /* local folders and zipped .SAFE alike */
    if (!list && !vsi_is_dir(dir))
        return cw_error("cannot read folder %s", dir);
    char **names = NULL;
    size_t nn = 0, cap = 0;
    for (char **e = list; e && *e; e++) {
        if (!strcmp(*e, ".") || !strcmp(*e, ".."))
            continue;
        if (nn == cap) {
            cap = cap ? cap * 2 : 64;
            char **nw = realloc(names, cap * sizeof *names);
            if (!nw)
                break;
            names = nw;
        }
        names[nn] = strdup(*e);
        if (names[nn])
            nn++;
    }
    CSLDestroy(list);
    if (nn)
        qsort(names, nn, sizeof *names, cmp_str);
    int matched = 0, rc = 0;
    unsigned here = 0;
    for (size_t i = 0; i < nn && rc == 0; i++) {
        char stem[256];
        if (!has_ext(names[i], exts, stem, sizeof stem))
            continue;
        for (int src = 0; src < CW_NSRC; src++) {
            if (!name_matches(stem, src))
                continue;
            if (here & CW_SRC_BIT(src)) {
                rc = cw_error("%s: two files for band %s (%s and %s)", dir, cw_src_name(src),
                              strrchr(s->src[src].path, '/') + 1, names[i]);
                break;
            }
            if (s->src[src].present)
                break; /* a finer folder already gave it */
            here |= CW_SRC_BIT(src);
            s->src[src].present = 1;
            s->src[src].band_index = 1;
            cw_path_join(s->src[src].path, sizeof s->src[src].path, dir, names[i]);
            matched++;
            break;
        }
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    return rc ? -1 : matched;
}

/* ------------------------------------------------------------- metadata */

typedef struct {
    char tile[8];
    char date[11];
    char baseline[8];
    int have_add[CK_NBANDS];
    double add[CK_NBANDS];
    double quantum; /* 0: not given */
    int have_add_all;
    double add_all;
} meta_t;

static int valid_date(int y, int m, int d)
{
    return y >= 2015 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* Product-id conventions: "..._20240115T153619_N0510_R068_T18MTD_...",
 * or plain tokens "18MTD", "20240115". Fills only what is still empty. */
static void parse_name(const char *name, meta_t *m)
{
    char buf[512];
    cw_strlcpy(buf, name, sizeof buf);
    for (char *tok = strtok(buf, "_.-"); tok; tok = strtok(NULL, "_.-")) {
        size_t l = strlen(tok);
        const char *t = tok;
        if ((l == 6 && toupper((unsigned char)t[0]) == 'T') ) {
            t++;
            l--;
        }
        if (!m->tile[0] && l == 5 && isdigit((unsigned char)t[0]) && isdigit((unsigned char)t[1]) &&
            isupper((unsigned char)t[2]) && isupper((unsigned char)t[3]) && isupper((unsigned char)t[4])) {
            memcpy(m->tile, t, 5);
            m->tile[5] = '\0';
            continue;
        }
        if (!m->date[0] && strlen(tok) >= 8) {
            int ok = 1;
            for (int i = 0; i < 8; i++)
                ok &= isdigit((unsigned char)tok[i]) != 0;
            if (ok && (tok[8] == '\0' || tok[8] == 'T')) {
                int y = (tok[0] - '0') * 1000 + (tok[1] - '0') * 100 + (tok[2] - '0') * 10 + tok[3] - '0';
                int mo = (tok[4] - '0') * 10 + tok[5] - '0', d = (tok[6] - '0') * 10 + tok[7] - '0';
                if (valid_date(y, mo, d)) {
                    snprintf(m->date, sizeof m->date, "%04d-%02d-%02d", y, mo, d);
                    continue;
                }
            }
        }
        if (!m->baseline[0] && strlen(tok) == 5 && tok[0] == 'N') {
            int ok = 1;
            for (int i = 1; i < 5; i++)
                ok &= isdigit((unsigned char)tok[i]) != 0;
            if (ok)
                snprintf(m->baseline, sizeof m->baseline, "%c%c.%c%c", tok[1], tok[2], tok[3], tok[4]);
        }
    }
}

static void take_date(meta_t *m, const char *v)
{
    int y, mo, d;
    if (!m->date[0] && v && sscanf(v, "%4d-%2d-%2d", &y, &mo, &d) == 3 && valid_date(y, mo, d))
        snprintf(m->date, sizeof m->date, "%04d-%02d-%02d", y, mo, d);
    else if (!m->date[0] && v && sscanf(v, "%4d%2d%2d", &y, &mo, &d) == 3 && valid_date(y, mo, d))
        snprintf(m->date, sizeof m->date, "%04d-%02d-%02d", y, mo, d);
}

/* GDAL metadata items written by exporters (and by our generator). */
static void parse_gdal_meta(GDALDatasetH ds, meta_t *m)
{
    const char *v;
    const char *tile_keys[] = {"TILE_ID", "S2_TILE_ID", "MGRS_TILE", "s2:mgrs_tile", NULL};
    for (int i = 0; tile_keys[i]; i++)
        if (!m->tile[0] && (v = GDALGetMetadataItem(ds, tile_keys[i], NULL)))
            parse_name(v, m);
    const char *date_keys[] = {"ACQUISITION_DATE", "PRODUCT_START_TIME", "DATATAKE_1_DATATAKE_SENSING_START",
                               "SENSING_TIME", "datetime", NULL};
    for (int i = 0; date_keys[i]; i++)
        take_date(m, GDALGetMetadataItem(ds, date_keys[i], NULL));
    if (!m->baseline[0] && (v = GDALGetMetadataItem(ds, "PROCESSING_BASELINE", NULL)))
        cw_strlcpy(m->baseline, v, sizeof m->baseline);
    if (!m->have_add_all && (v = GDALGetMetadataItem(ds, "BOA_ADD_OFFSET", NULL))) {
        double d;
        if (cw_parse_double(v, -100000, 100000, &d) == 0) {
            m->have_add_all = 1;
            m->add_all = d;
        }
    }
    if (!m->quantum && (v = GDALGetMetadataItem(ds, "BOA_QUANTIFICATION_VALUE", NULL))) {
        double d;
        if (cw_parse_double(v, 1, 1e9, &d) == 0)
            m->quantum = d;
    }
}

/* Through GDAL's virtual file system: also inside a zipped .SAFE. */
static char *read_text(const char *path, size_t max)
{
    VSILFILE *f = VSIFOpenL(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? VSIFReadL(buf, 1, max, f) : 0;
    VSIFCloseL(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}


/* Text of the first <tag ...>text</tag> after p, or NULL. */
static const char *xml_value(const char *p, const char *tag, char *out, size_t n)
{
    char open[96];
    snprintf(open, sizeof open, "<%s", tag);
    for (const char *q = strstr(p, open); q; q = strstr(q + 1, open)) {
        char c = q[strlen(open)];
        if (c != '>' && c != ' ')
            continue;
        const char *gt = strchr(q, '>');
        const char *lt = gt ? strchr(gt, '<') : NULL;
        if (!lt)
            return NULL;
        size_t l = (size_t)(lt - gt - 1);
        if (l >= n)
            l = n - 1;
        memcpy(out, gt + 1, l);
        out[l] = '\0';
        return q;
    }
    return NULL;
}

/* The value of "key" in a flat JSON text: a string's characters or a bare
 * token (number, true, false), into out; NULL when absent. */
static const char *json_value(const char *x, const char *key, char *out, size_t n)
{
    char k[96];
    snprintf(k, sizeof k, "\"%s\"", key);
    const char *q = strstr(x, k);
    if (!q || !(q = strchr(q + strlen(k), ':')))
        return NULL;
    q++;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
        q++;
    int quoted = *q == '"';
    q += quoted;
    size_t l = 0;
    while (q[l] && l + 1 < n && (quoted ? q[l] != '"' : (q[l] != ',' && q[l] != '}' && q[l] != '\n' && q[l] != ' ')))
        l++;
    memcpy(out, q, l);
    out[l] = '\0';
    return out;
}

/* A STAC item beside the band files (Earth Search, Element84): the
 * processing baseline, whether the catalogue already removed the BOA offset
 * (earthsearch:boa_offset_applied), the date and the MGRS tile, which the
 * GeoTIFFs themselves do not carry.  0 when none is there. */
static int parse_stac(const char *dir, meta_t *m)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char best[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) { /* the first .json by name: the same one whatever readdir's order */
        size_t l = strlen(e->d_name);
        if (l > 5 && l < sizeof best && !strcasecmp(e->d_name + l - 5, ".json") && (!best[0] || strcmp(e->d_name, best) < 0))
            cw_strlcpy(best, e->d_name, sizeof best);
    }
    closedir(d);
    char path[PATH_MAX];
    if (!best[0] || cw_path_join(path, sizeof path, dir, best))
        return 0;
    char *x = read_text(path, 4u << 20);
    if (!x)
        return 0;
    char v[64], zone[8], band[8], sq[8];
    if (!strstr(x, "\"s2:") || !json_value(x, "s2:processing_baseline", v, sizeof v)) {
        free(x);
        return 0;
    }
    if (!m->baseline[0])
        cw_strlcpy(m->baseline, v, sizeof m->baseline);
    if (json_value(x, "earthsearch:boa_offset_applied", v, sizeof v) && !strcmp(v, "true")) {
        m->have_add_all = 1; /* the catalogue removed it: DN are (rho x 10000) already */
        m->add_all = 0.0;
    }
    if (!m->date[0] && json_value(x, "datetime", v, sizeof v))
        take_date(m, v);
    if (!m->tile[0] && json_value(x, "mgrs:utm_zone", zone, sizeof zone) &&
        json_value(x, "mgrs:latitude_band", band, sizeof band) && json_value(x, "mgrs:grid_square", sq, sizeof sq))
        snprintf(m->tile, sizeof m->tile, "%02d%.1s%.2s", atoi(zone), band, sq);
    free(x);
    return 1;
}

static int parse_mtd(const char *path, meta_t *m)
{
    char *x = read_text(path, 4u << 20);
    if (!x)
        return cw_error("cannot read %s", path);
    char v[128];
    if (xml_value(x, "PRODUCT_START_TIME", v, sizeof v))
        take_date(m, v);
    if (xml_value(x, "PROCESSING_BASELINE", v, sizeof v))
        cw_strlcpy(m->baseline, v, sizeof m->baseline);
    if (xml_value(x, "BOA_QUANTIFICATION_VALUE", v, sizeof v))
        m->quantum = atof(v) > 0 ? atof(v) : 0;
    for (const char *q = strstr(x, "<BOA_ADD_OFFSET "); q; q = strstr(q + 1, "<BOA_ADD_OFFSET ")) {
        int id;
        const char *bid = strstr(q, "band_id=\"");
        const char *gt = strchr(q, '>');
        if (!bid || !gt || bid > gt || sscanf(bid, "band_id=\"%d\"", &id) != 1)
            continue;
        double d = strtod(gt + 1, NULL);
        for (int b = 0; b < CK_NBANDS; b++)
            if (mtd_band_id[b] == id) {
                m->have_add[b] = 1;
                m->add[b] = d;
            }
    }
    free(x);
    return 0;
}

/* ----------------------------------------------------------------- grid */

static int srs_label(OGRSpatialReferenceH srs, char *buf, size_t n)
{
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    const char *name = OSRGetName(srs);
    if (auth && code)
        snprintf(buf, n, "%s:%s (%s)", auth, code, name ? name : "?");
    else
        snprintf(buf, n, "%s", name ? name : "unnamed CRS");
    return 0;
}

/* Open one source, check it and fill native size, block, CRS; the first
 * spectral source found defines the reference grid if it is the finest. */
typedef struct {
    GDALDatasetH ds;
    OGRSpatialReferenceH srs;
    double gt[6];
} probe_t;

static int probe_src(cw_scene *s, int src, probe_t *p)
{
    cw_src *c = &s->src[src];
    char why[160];
    if (cw_file_problem(c->path, why, sizeof why))
        return cw_error("%s: cannot open %s: %s", cw_src_name(src), c->path, why);
    p->ds = GDALOpenEx(c->path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!p->ds)
        return cw_error("%s: cannot open %s: %s", cw_src_name(src), c->path,
                        cw_gdal_reason("GDAL does not recognise it as a raster"));
    if (c->band_index > GDALGetRasterCount(p->ds))
        return cw_error("%s: %s has no band %d", cw_src_name(src), c->path, c->band_index);
    GDALRasterBandH b = GDALGetRasterBand(p->ds, c->band_index);
    GDALDataType t = GDALGetRasterDataType(b);
    if (t != GDT_UInt16 && t != GDT_Byte && t != GDT_Int16)
        return cw_error("%s: %s holds %s values; expected integer digital numbers (UInt16)",
                        cw_src_name(src), c->path, GDALGetDataTypeName(t));
    if (t == GDT_Byte && src != CW_SRC_SCL) /* e.g. a 16-bit file whose BitsPerSample was rewritten */
        return cw_error("%s: %s declares 8-bit values; Sentinel-2 reflectance DN are 16-bit (a damaged or "
                        "re-encoded file?)",
                        cw_src_name(src), c->path);
    c->nat_w = GDALGetRasterXSize(p->ds);
    c->nat_h = GDALGetRasterYSize(p->ds);
    GDALGetBlockSize(b, &c->block_w, &c->block_h);
    if (GDALGetGeoTransform(p->ds, p->gt) != CE_None)
        return cw_error("%s: %s has no georeferencing (geotransform)", cw_src_name(src), c->path);
    if (p->gt[2] != 0.0 || p->gt[4] != 0.0 || p->gt[1] <= 0 || p->gt[5] >= 0)
        return cw_error("%s: %s has a rotated or flipped grid", cw_src_name(src), c->path);
    OGRSpatialReferenceH srs = GDALGetSpatialRef(p->ds);
    if (!srs)
        return cw_error("%s: %s has no CRS", cw_src_name(src), c->path);
    p->srs = OSRClone(srs);
    if (!OSRIsProjected(p->srs))
        return cw_error("%s: %s is not in a projected CRS (expected the tile's UTM zone)",
                        cw_src_name(src), c->path);
    return 0;
}

/* DN convention of one spectral band, in priority order. */
static int decide_conv(cw_scene *s, int b, GDALRasterBandH band, const meta_t *m,
                       const cw_scene_opts *o, char *desc, size_t n)
{
    ck_dn_conv *cv = &s->src[b].conv;
    double q = m->quantum > 0 ? m->quantum : 10000.0;
    int has_scale = 0, has_off = 0;
    double scale = GDALGetRasterScale(band, &has_scale);
    double off = GDALGetRasterOffset(band, &has_off);
    int gdal_so = (has_scale && scale != 1.0 && scale > 0) || (has_off && off != 0.0);
    if (o && o->have_offset) {
        cv->add = (float)o->offset;
        cv->quantum = (float)q;
        snprintf(desc, n, "explicit override: BOA_ADD_OFFSET %g, quantification %g", o->offset, q);
    } else if (gdal_so) {
        if (!has_scale || scale <= 0)
            scale = 1.0;
        double qq = 1.0 / scale, add = off / scale;
        /* snap to integers so every layout gives the same float bits */
        if (fabs(qq - round(qq)) < 1e-6 * qq)
            qq = round(qq);
        if (fabs(add - round(add)) < 1e-6)
            add = round(add);
        cv->add = (float)add;
        cv->quantum = (float)qq;
        snprintf(desc, n, "GDAL band scale/offset (scale %g, offset %g): BOA_ADD_OFFSET %g",
                 scale, off, add);
    } else if (m->have_add[b] || m->have_add_all) {
        double add = m->have_add[b] ? m->add[b] : m->add_all;
        cv->add = (float)add;
        cv->quantum = (float)q;
        snprintf(desc, n, "BOA_ADD_OFFSET %g from %s metadata, quantification %g", add,
                 s->layout == CW_LAYOUT_SAFE ? "MTD_MSIL2A.xml" : "product", q);
    } else if (m->baseline[0]) {
        double bl = atof(m->baseline);
        cv->add = bl >= 4.0 ? -1000.0f : 0.0f;
        cv->quantum = (float)q;
        snprintf(desc, n, "processing baseline %s: BOA_ADD_OFFSET %g", m->baseline, (double)cv->add);
    } else {
        return cw_error("%s: cannot tell the DN offset convention of %s (no BOA_ADD_OFFSET, processing "
                        "baseline or band scale/offset in its metadata); give it explicitly, e.g. "
                        "--boa-offset -1000 for processing baseline 04.00 and later, 0 before",
                        s->product_id, cw_src_name(b));
    }
    return 0;
}

static int check_grids_and_conv(cw_scene *s, const meta_t *m, const cw_scene_opts *o)
{
    probe_t pr[CW_NSRC];
    memset(pr, 0, sizeof pr);
    int rc = 0, ref = -1;
    for (int i = 0; i < CW_NSRC && rc == 0; i++) {
        if (!s->src[i].present)
            continue;
        rc = probe_src(s, i, &pr[i]);
        if (rc == 0 && i < CK_NBANDS && (ref < 0 || pr[i].gt[1] < pr[ref].gt[1]))
            ref = i;
    }
    if (rc == 0 && ref < 0)
        rc = cw_error("%s: no spectral band found", s->path);
    if (rc == 0) {
        memcpy(s->gt, pr[ref].gt, sizeof s->gt);
        s->res = pr[ref].gt[1];
        s->width = s->src[ref].nat_w;
        s->height = s->src[ref].nat_h;
        char *wkt = NULL;
        OSRExportToWkt(pr[ref].srs, &wkt);
        s->crs_wkt = wkt;
        srs_label(pr[ref].srs, s->crs_name, sizeof s->crs_name);
    }
    for (int i = 0; i < CW_NSRC && rc == 0; i++) {
        cw_src *c = &s->src[i];
        if (!c->present)
            continue;
        if (!OSRIsSame(pr[i].srs, pr[ref].srs)) {
            char a[160];
            srs_label(pr[i].srs, a, sizeof a);
            rc = cw_error("bands on different grids: %s is in %s, %s in %s", cw_src_name(i), a,
                          cw_src_name(ref), s->crs_name);
            break;
        }
        double fx = pr[i].gt[1] / s->res, fy = -pr[i].gt[5] / s->res;
        int f = (int)lround(fx);
        int w_need = (s->width + f - 1) / (f ? f : 1), h_need = (s->height + f - 1) / (f ? f : 1);
        if (f < 1 || fabs(fx - f) > 1e-6 || fabs(fy - f) > 1e-6 ||
            fabs(pr[i].gt[0] - s->gt[0]) > 1e-3 * s->res || fabs(pr[i].gt[3] - s->gt[3]) > 1e-3 * s->res ||
            c->nat_w != w_need || c->nat_h != h_need) {
            rc = cw_error("bands on different grids: %s is %dx%d pixels of %g m at (%.3f, %.3f), "
                          "%s is %dx%d of %g m at (%.3f, %.3f)",
                          cw_src_name(i), c->nat_w, c->nat_h, pr[i].gt[1], pr[i].gt[0], pr[i].gt[3],
                          cw_src_name(ref), s->width, s->height, s->res, s->gt[0], s->gt[3]);
            break;
        }
        c->factor = f;
        if (i < CK_NBANDS) {
            char desc[sizeof s->offset_desc];
            rc = decide_conv(s, i, GDALGetRasterBand(pr[i].ds, c->band_index), m, o, desc, sizeof desc);
            if (rc == 0 && !s->offset_desc[0])
                cw_strlcpy(s->offset_desc, desc, sizeof s->offset_desc);
        }
    }
    for (int i = 0; i < CW_NSRC; i++) {
        if (pr[i].srs)
            OSRRelease(pr[i].srs);
        if (pr[i].ds)
            GDALClose(pr[i].ds);
    }
    return rc;
}

/* --------------------------------------------------------------- layouts */

static const char *const tif_exts[] = {"tif", "tiff", NULL};
static const char *const jp2_exts[] = {"jp2", NULL};

static void base_stem(const char *path, char *out, size_t n)
{
    char tmp[PATH_MAX];
    cw_strlcpy(tmp, path, sizeof tmp);
    size_t l = strlen(tmp);
    while (l > 1 && tmp[l - 1] == '/')
        tmp[--l] = '\0';
    const char *b = strrchr(tmp, '/');
    b = b ? b + 1 : tmp;
    cw_strlcpy(out, b, n);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

static int open_safe(cw_scene *s, const char *dir, meta_t *m)
{
    char mtd[PATH_MAX], gran[PATH_MAX];
    s->layout = CW_LAYOUT_SAFE;
    if (cw_path_join(mtd, sizeof mtd, dir, "MTD_MSIL2A.xml") || parse_mtd(mtd, m))
        return cw_error_prefix("%s", dir);
    if (cw_path_join(gran, sizeof gran, dir, "GRANULE"))
        return -1;
    char **list = VSIReadDir(gran);
    if (!list)
        return cw_error("%s: no GRANULE folder in the .SAFE product", dir);
    char gname[256] = "";
    for (char **e = list; *e; e++)
        if ((*e)[0] != '.' && (!gname[0] || strcmp(*e, gname) < 0))
            cw_strlcpy(gname, *e, sizeof gname);
    CSLDestroy(list);
    if (!gname[0])
        return cw_error("%s: GRANULE folder is empty", dir);
    parse_name(gname, m);
    static const char *const res_dirs[] = {"R10m", "R20m", "R60m"};
    for (int k = 0; k < 3; k++) {
        char img[PATH_MAX];
        snprintf(img, sizeof img, "%s/%s/IMG_DATA/%s", gran, gname, res_dirs[k]);
        if (vsi_is_dir(img) && scan_folder(s, img, jp2_exts) < 0)
            return -1;
    }
    return 0;
}

static int is_zip(const char *path)
{
    size_t l = strlen(path);
    return l > 4 && !strcasecmp(path + l - 4, ".zip");
}

/* A zipped .SAFE as the Copernicus Data Space delivers it, read in place
 * through /vsizip/ (nothing is unpacked): the one X.SAFE folder inside. */
static int open_safe_zip(cw_scene *s, const char *path, meta_t *m)
{
    char abs[PATH_MAX], vz[PATH_MAX + 16], safe[PATH_MAX + 300];
    if (!realpath(path, abs))
        return cw_error("%s: %s", path, strerror(errno));
    snprintf(vz, sizeof vz, "/vsizip/%s", abs);
    char **list = VSIReadDir(vz);
    const char *name = NULL;
    for (char **e = list; e && *e; e++) {
        size_t l = strlen(*e);
        if (l > 5 && !strcasecmp(*e + l - 5, ".SAFE")) {
            if (name) {
                CSLDestroy(list);
                return cw_error("%s: holds more than one .SAFE product; give them one zip each", path);
            }
            name = *e;
        }
    }
    if (!name) {
        CSLDestroy(list);
        return cw_error("%s: not a zipped .SAFE product (no X.SAFE folder inside%s)", path,
                        list ? "" : "; or not a readable zip");
    }
    snprintf(safe, sizeof safe, "%s/%s", vz, name);
    cw_strlcpy(s->path, safe, sizeof s->path);
    cw_strlcpy(s->product_id, name, sizeof s->product_id);
    s->product_id[strlen(s->product_id) - 5] = '\0';
    CSLDestroy(list);
    return open_safe(s, s->path, m);
}

static int open_multiband(cw_scene *s, const char *path, meta_t *m)
{
    s->layout = CW_LAYOUT_MULTIBAND;
    char why[160];
    if (cw_file_problem(path, why, sizeof why))
        return cw_error("cannot open %s: %s", path, why);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds)
        return cw_error("cannot open %s: %s", path, cw_gdal_reason("GDAL does not recognise it as a raster"));
    int nb = GDALGetRasterCount(ds), rc = 0, named = 0;
    for (int i = 1; i <= nb && rc == 0; i++) {
        const char *desc = GDALGetDescription(GDALGetRasterBand(ds, i));
        char tok[64];
        size_t l = 0;
        while (desc && desc[l] && l < sizeof tok - 1 && (isalnum((unsigned char)desc[l]) || desc[l] == '_'))
            l++;
        memcpy(tok, desc ? desc : "", l);
        tok[l] = '\0';
        for (int src = 0; src < CW_NSRC && tok[0]; src++)
            for (int k = 0; k < 4 && src_names[src][k]; k++)
                if (strcasecmp(tok, src_names[src][k]) == 0) {
                    if (s->src[src].present) {
                        rc = cw_error("%s: bands %d and %d are both named %s", path,
                                      s->src[src].band_index, i, cw_src_name(src));
                        break;
                    }
                    s->src[src].present = 1;
                    s->src[src].band_index = i;
                    cw_strlcpy(s->src[src].path, path, sizeof s->src[src].path);
                    named++;
                    break;
                }
    }
    if (rc == 0)
        parse_gdal_meta(ds, m);
    GDALClose(ds);
    if (rc == 0 && named == 0)
        rc = cw_error("unknown layout: %s has %d band(s) and none is named like a Sentinel-2 band "
                      "(band descriptions B02..B12, SCL or blue, green, red, nir, swir16, swir22)",
                      path, nb);
    return rc;
}

int cw_scene_open(const char *path, const cw_scene_opts *opts, cw_scene *s)
{
    memset(s, 0, sizeof *s);
    meta_t m;
    memset(&m, 0, sizeof m);
    cw_strlcpy(s->path, path, sizeof s->path);
    base_stem(path, s->product_id, sizeof s->product_id);
    if (cw_utf8_clean(s->product_id, sizeof s->product_id))
        cw_warn("%s: the name is not valid UTF-8; the invalid bytes are shown as U+FFFD in the outputs", path);
    struct stat st;
    if (stat(path, &st) != 0)
        return cw_error("%s: no such file or folder", path);

    int rc = 0;
    char mtd[PATH_MAX];
    if (S_ISDIR(st.st_mode)) {
        if (cw_path_join(mtd, sizeof mtd, path, "MTD_MSIL2A.xml") == 0 && access(mtd, R_OK) == 0) {
            rc = open_safe(s, path, &m);
        } else {
            s->layout = CW_LAYOUT_FOLDER;
            rc = scan_folder(s, path, tif_exts);
            if (rc == 0)
                rc = cw_error("unknown layout: %s holds no band files (expected B02.tif..B12.tif and "
                              "SCL.tif, blue.tif..swir22.tif and scl.tif, or an ESA .SAFE product)",
                              path);
            else if (rc > 0)
                rc = 0;
        }
    } else if (is_zip(path)) {
        rc = open_safe_zip(s, path, &m);
    } else {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        if (strcmp(b, "MTD_MSIL2A.xml") == 0) {
            char dir[PATH_MAX];
            cw_strlcpy(dir, path, sizeof dir);
            *(strrchr(dir, '/') ? strrchr(dir, '/') : dir) = '\0';
            cw_strlcpy(s->path, dir[0] ? dir : ".", sizeof s->path);
            base_stem(s->path, s->product_id, sizeof s->product_id);
            rc = open_safe(s, s->path, &m);
        } else {
            rc = open_multiband(s, path, &m);
        }
    }
    if (rc)
        return -1;

    /* metadata items of the first band file, then the product name */
    if (s->layout == CW_LAYOUT_FOLDER) {
        for (int i = 0; i < CW_NSRC; i++)
            if (s->src[i].present) {
                GDALDatasetH ds = GDALOpenEx(s->src[i].path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL,
                                             NULL, NULL);
                if (ds) {
                    parse_gdal_meta(ds, &m);
                    GDALClose(ds);
                }
                break;
            }
        parse_stac(s->path, &m);
    }
    parse_name(s->product_id, &m);
    cw_strlcpy(s->tile, m.tile, sizeof s->tile);
    cw_strlcpy(s->date, m.date, sizeof s->date);
    cw_strlcpy(s->baseline, m.baseline, sizeof s->baseline);
    if (check_grids_and_conv(s, &m, opts)) {
        cw_scene_free(s);
        return -1;
    }
    return 0;
}
