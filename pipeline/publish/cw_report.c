/*
 * cw_report.c - per-AOI summaries, the night's maps and report.html (see
 * cw_report.h).  Runs once per night after the CSVs.  Every word comes from
 * the message table (cw_i18n.h); every string from users' files (AOI ids
 * and names, product names, messages quoting paths) is HTML-escaped.
 */
#include "publish/cw_report.h"
#include "publish/cw_html.h"
#include "cw_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T(m) cw_msg_get(lang, m)

/* ----------------------------------------------------------- summaries */

/* relation of alert al to AOI id: its primary one, or from other_aois
 * ("id:relation:distance;..."); -1 when unrelated */
static int relation_to(const cw_alert *al, const char *id)
{
    char rel[32] = "";
    if (!strcmp(al->aoi_id, id)) {
        cw_strlcpy(rel, al->relation, sizeof rel);
    } else {
        size_t l = strlen(id);
        for (const char *s = al->other_aois; s && *s; s = strchr(s, ';') ? strchr(s, ';') + 1 : NULL)
            if (!strncmp(s, id, l) && s[l] == ':') {
                const char *e = strchr(s + l + 1, ':');
                size_t rl = e ? (size_t)(e - (s + l + 1)) : 0;
                if (rl < sizeof rel) {
                    memcpy(rel, s + l + 1, rl);
                    rel[rl] = '\0';
                }
                break;
            }
    }
    for (int r = 0; r < 4; r++)
        if (!strcmp(rel, cw_rel_name(r)))
            return r;
    return -1;
}

static int obs_cmp(const void *a, const void *b)
{
    const cw_aoi_obs_row *x = a, *y = b;
    int c = strcmp(x->aoi_id, y->aoi_id);
    return c ? c : (x->day > y->day) - (x->day < y->day);
}

/* rows [*lo, *hi) of a sorted array whose aoi_id is id */
static void rows_of_aoi(const cw_aoi_obs_row *r, int n, const char *id, int *lo, int *hi)
{
    int a = 0, b = n;
    while (a < b) {
        int m = (a + b) / 2;
        if (strcmp(r[m].aoi_id, id) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < n && !strcmp(r[a].aoi_id, id))
        a++;
    *hi = a;
}

/* Clear observations, last one and longest gap of one AOI from its rows
 * (sorted by day; several tiles' rows of a day are summed). */
static void aoi_observed(const cw_config *cfg, const cw_aoi_obs_row *r, int lo, int hi, int latest, cw_aoi_summary *s)
{
    int prev = cfg->ref_start_day, gap = 0;
    for (int i = lo; i < hi;) {
        int day = r[i].day;
        long px = 0, cl = 0;
        for (; i < hi && r[i].day == day; i++) {
            px += r[i].npx;
            cl += r[i].nclear;
        }
        s->scenes_seen++;
        if (px && (double)cl >= cfg->aoi_clear_share * (double)px) {
            s->n_clear++;
            gap = day - prev > gap ? day - prev : gap;
            prev = s->last_clear = day;
        }
    }
    if (latest && latest - prev > gap)
        gap = latest - prev;
    s->gap = latest ? gap : -1;
}

/* An AOI on two overlapping tiles is counted once.  Its home is the tile
 * holding most of its pixels (the first tile id on a tie), "" when no tile
 * saw it; its area and never-seen share come from there. */
static const char *home_tile(const cw_aoi_obs_row *nev, int lo, int hi)
{
    const char *home = "";
    long best = -1;
    for (int i = lo; i < hi; i++)
        if (nev[i].npx > best || (nev[i].npx == best && strcmp(nev[i].tile, home) < 0)) {
            best = nev[i].npx;
            home = nev[i].tile;
        }
    return home;
}

static int counted(const cw_alert *al) { return al->status == CW_AL_CONFIRMED; }

/* Alert i, of another tile than the AOI's home, is an event the home tile
 * saw too when it overlaps a counted alert of the home tile of its class. */
static int seen_twice(const cw_alert *al, int nal, int i, const char *id, const char *home)
{
    if (!home[0] || !strcmp(al[i].tile, home) || !al[i].geom)
        return 0;
    for (int j = 0; j < nal; j++)
        if (j != i && al[j].cls == al[i].cls && !strcmp(al[j].tile, home) && counted(&al[j]) &&
            relation_to(&al[j], id) >= 0 && al[j].geom && OGR_G_Intersects(al[i].geom, al[j].geom))
            return 1;
    return 0;
}

int cw_aoi_summaries(const cw_config *cfg, const cw_aoi_set *as, cw_history *h, cw_aoi_summary **out, int *latest_out)
{
    cw_alert *al = NULL;
    cw_aoi_obs_row *obs = NULL, *nev = NULL;
    cw_review *rev = NULL;
    int nal = 0, nobs = 0, nnev = 0, nrev = 0, rc = -1;
    cw_aoi_summary *S = calloc((size_t)(as->n ? as->n : 1), sizeof *S);
    cw_aoi_zones zones = {0};
    *out = NULL;
    if (!S || cw_history_alerts_since(h, "0001-01-01", &al, &nal) || cw_history_aoi_obs_all(h, &obs, &nobs) ||
        cw_history_aoi_never_all(h, &nev, &nnev) || cw_history_reviews(h, &rev, &nrev))
        goto done;
    /* the committee's latest word on each reviewed alert, by its AOI (a
     * false positive is no longer published: looked up one by one) */
    for (int i = 0; i < nrev; i++) {
        cw_alert ra;
        if (cw_review_latest(rev, nrev, rev[i].alert_id) != &rev[i] || cw_history_alert_get(h, rev[i].alert_id, &ra) != 1)
            continue;
        for (int k = 0; k < as->n; k++)
            if (!strcmp(ra.aoi_id, as->a[k].id))
                S[k].reviewed[ra.cls][rev[i].review]++;
    }
    int latest = 0;
    for (int i = 0; i < nobs; i++)
        latest = obs[i].day > latest ? obs[i].day : latest;
    /* sorted once by AOI then day: each AOI finds its rows by bisection
     * (100,000 AOIs would be quadratic otherwise) */
    if (nobs)
        qsort(obs, (size_t)nobs, sizeof *obs, obs_cmp);
    if (nnev)
        qsort(nev, (size_t)nnev, sizeof *nev, obs_cmp);
    for (int k = 0; k < as->n; k++) {
        const cw_aoi *a = &as->a[k];
        cw_aoi_summary *s = &S[k];
        int lo, hi;
        rows_of_aoi(nev, nnev, a->id, &lo, &hi);
        const char *home = home_tile(nev, lo, hi);
        for (int i = 0; i < nal; i++) {
            const cw_review *rv = nrev ? cw_review_latest(rev, nrev, al[i].id) : NULL;
            int r = counted(&al[i]) ? relation_to(&al[i], a->id) : -1;
            if (r < 0 || (rv && rv->review == CW_RV_FALSE_POSITIVE) || seen_twice(al, nal, i, a->id, home))
                continue;
            /* inside: the part of the alert within the area; a ring: the whole alert */
            const double share = r == CW_REL_INSIDE && al[i].geom ? cw_aoi_share_inside(a, al[i].geom, &zones) : 1;
            s->ha[al[i].cls][r] += al[i].area_ha * (share >= 0 ? share : 1);
        }
        long npx = 0, nnever = 0;
        for (int i = lo; i < hi; i++)
            if (!strcmp(nev[i].tile, home)) {
                npx += nev[i].npx;
                nnever += nev[i].nclear;
            }
        rows_of_aoi(obs, nobs, a->id, &lo, &hi);
        aoi_observed(cfg, obs, lo, hi, latest, s);
        s->never_share = npx ? (double)nnever / (double)npx : 1.0;
        s->area_ha = a->radius_m > 0 ? M_PI * a->radius_m * a->radius_m / 1e4 : npx ? (double)npx * 0.01 : NAN;
    }
    *latest_out = latest;
    *out = S;
    S = NULL;
    rc = 0;
done:
    cw_aoi_zones_free(&zones);
    cw_alert_list_free(al, nal);
    free(obs);
    free(nev);
    free(rev);
    free(S);
    return rc;
}

/* ---------------------------------------------------------------- HTML */

/* "Name (id)", escaped; the id alone when the area has no name */
static void aoi_label(FILE *f, const cw_aoi *a)
{
    cw_html_esc(f, a->name[0] ? a->name : a->id);
    fputs(" <span class=\"meta\">(", f);
    cw_html_esc(f, a->id);
    fputs(")</span>", f);
}

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 16777619u;
    return h;
}

/* file-name-safe form of an id from a user's file; unique per id */
static void safe_name(char *out, size_t n, const char *id)
{
    size_t k = 0;
    int changed = 0;
    for (const char *s = id; *s && k + 10 < n && k < 80; s++) {
        char c = *s;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        out[k++] = ok ? c : '_';
        changed |= !ok;
    }
    changed |= strlen(id) > 80;
    if (changed)
        k += (size_t)snprintf(out + k, n - k, "-%08x", fnv1a(2166136261u, id, strlen(id)));
    out[k] = '\0';
}

static const char css[] =
    "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#1a1a1a;margin:24px auto;max-width:1100px;"
    "padding:0 16px;line-height:1.4}"
    "h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.3em;border-bottom:2px solid #2f5d3a;padding-bottom:3px;"
    "margin-top:28px;break-after:avoid}h3{font-size:1.1em;color:#2f5d3a;break-after:avoid}"
    "h4{margin:12px 0 6px;break-after:avoid}"
    ".meta{color:#555;font-size:.9em}.box{background:#f3f6f1;border:1px solid #cfd9cb;padding:10px 16px;"
    "border-radius:4px}.box ul{margin:4px 0;padding-left:20px}"
    "table{border-collapse:collapse;font-size:.88em;margin:6px 0}th,td{border:1px solid #ccc;padding:3px 7px;"
    "text-align:left;vertical-align:top}th{background:#eef2ec}td.n{text-align:right}"
    ".alert{display:flex;gap:16px;border:1px solid #ddd;border-left:6px solid var(--c);padding:10px;margin:10px 0;"
    "break-inside:avoid;page-break-inside:avoid;flex-wrap:wrap}.alert img{width:330px;max-width:100%;height:auto;flex:none}"
    ".alert>div{min-width:0;flex:1 1 260px}td{overflow-wrap:anywhere}"
    ".alert table{font-size:.85em}.conf{font-size:.88em;color:#333;margin:6px 0 0}"
    ".swatch{display:inline-block;width:12px;height:12px;vertical-align:-1px;margin-right:4px;background:var(--c)}"
    "img.map{max-width:100%;height:auto;border:1px solid #bbb;display:block;margin:6px 0}"
    ".aoi{break-inside:auto}.fail{color:#8a1c1c}.ok{color:#2f5d3a}code{font-size:.9em}"
    "@page{size:A4;margin:12mm}"
    ".fp{text-decoration:line-through;opacity:.6}.scroll{overflow-x:auto;max-width:100%}"
    "@media (max-width:600px){body{padding:0 8px;margin:12px auto}h1{font-size:1.3em}}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}.alert img{width:62mm}a{color:inherit}"
    "img.map{max-height:240mm;width:auto}}";

typedef struct {
    const cw_alert *a;
    char chip[160]; /* relative path, "" when the chip could not be made */
    cw_map_info ci;
    int group;      /* 0 conserved, 1 chakra, 2 outside */
    int aoi;        /* index in the AOI set, -1 outside */
} rep_alert;

typedef struct {
    char path[160]; /* relative */
    int aoi;        /* index in the AOI set */
    char tile[8];
} rep_aoi_map;

static void conf_text(cw_lang lang, const cw_alert *a, char *b, size_t n)
{
    if (a->status != CW_AL_CONFIRMED)
        snprintf(b, n, "%s", T(M_EXPLAIN_LOW));
    else
        snprintf(b, n, T(a->confidence >= 4 ? M_EXPLAIN_HIGHEST : M_EXPLAIN_HIGH), a->n_anom);
}

/* rv: the committee's latest review of the alert, or NULL; a false
 * positive is struck out. */
static void alert_html(FILE *f, cw_lang lang, const rep_alert *ra, const cw_review *rv)
{
    if (rv && rv->review == CW_RV_FALSE_POSITIVE)
        fputs("<div class=\"fp\">", f);
    const cw_alert *a = ra->a;
    char d1[11], d2[11], d3[11], b[600];
    ck_day_format(a->first_day, d1);
    ck_day_format(a->conf_day, d2);
    ck_day_format(a->last_day, d3);
    uint32_t rgb = cw_alert_rgb(a->cls, a->confidence);
    const cw_msg conf = a->confidence >= 4 ? M_CONF_HIGHEST : a->confidence == 3 ? M_CONF_HIGH : M_CONF_LOW;
    const cw_msg st = a->status == CW_AL_CONFIRMED ? M_ST_CONFIRMED
                      : a->status == CW_AL_REJECTED ? M_ST_REJECTED
                      : a->status == CW_AL_REVERTED ? M_ST_REVERTED
                                                    : M_ST_CANDIDATE;
    fprintf(f, "<div class=\"alert\" style=\"--c:#%06x\" id=\"alert-", rgb);
    cw_html_esc(f, a->id);
    fputs("\" data-alert-id=\"", f);
    cw_html_esc(f, a->id);
    fputs("\">\n", f);
    if (ra->chip[0]) {
        fputs("<img class=\"chip\" src=\"", f);
        cw_html_esc(f, ra->chip);
        fputs("\" alt=\"", f);
        cw_html_esc(f, T(M_EVIDENCE_CHIPS));
        fputs("\">", f);
    }
    fputs("<div><h4>", f);
    cw_html_esc(f, a->id);
    fprintf(f, "</h4>\n<table>\n<tr><th>%s</th><td><span class=\"swatch\"></span>%s</td></tr>\n", T(M_COL_CLASS),
            T(a->cls == CW_CLASS_MINING ? M_CLASS_MINING : M_CLASS_LOSS));
    fprintf(f, "<tr><th>%s</th><td>%s</td></tr>\n<tr><th>%s</th><td>%s</td></tr>\n", T(M_COL_CONF), T(conf),
            T(M_COL_STATUS), T(st));
    fprintf(f, "<tr><th>%s</th><td>%.2f ha</td></tr>\n", T(M_COL_AREA), a->area_ha);
    fprintf(f, "<tr><th>%s</th><td>%s</td></tr>\n", T(M_COL_FIRST), d1);
    if (a->conf_day)
        fprintf(f, "<tr><th>%s</th><td>%s</td></tr>\n", T(M_COL_CONFIRMED), d2);
    fprintf(f, "<tr><th>%s</th><td>%s</td></tr>\n", T(M_COL_LAST), d3);
    fprintf(f, "<tr><th>%s</th><td>", T(M_COL_RELATION));
    cw_html_esc(f, T(cw_rel_msg(a->relation)));
    if (a->aoi_id[0]) {
        fputs(": ", f);
        cw_html_esc(f, a->aoi_name[0] ? a->aoi_name : a->aoi_id);
        fputs(" (", f);
        cw_html_esc(f, a->aoi_id);
        fputs(")", f);
        if (!isnan(a->distance_m) && a->distance_m > 0)
            fprintf(f, ", %.0f m", a->distance_m);
    }
    fputs("</td></tr>\n", f);
    if (a->reason[0]) { /* why it is withdrawn, rejected, reverted */
        char why[320];
        cw_reason_text(lang, a->reason, why, sizeof why);
        fprintf(f, "<tr><th>%s</th><td>", T(M_COL_REASON));
        cw_html_esc(f, why);
        fputs("</td></tr>\n", f);
    }
    if (a->same_event[0]) { /* the overlap of two tiles: one event, one trip */
        fprintf(f, "<tr><th>%s</th><td>", T(M_COL_SAME_EVENT));
        cw_html_esc(f, a->same_event);
        fputs("</td></tr>\n", f);
    }
    fprintf(f,
            "<tr><th>%s</th><td>%.5f, %.5f &middot; <a href=\"https://www.openstreetmap.org/?mlat=%.5f&amp;"
            "mlon=%.5f#map=16/%.5f/%.5f\">%s</a></td></tr>\n</table>\n",
            T(M_COL_WHERE), a->lat, a->lon, a->lat, a->lon, a->lat, a->lon, T(M_COL_OPEN_MAP));
    conf_text(lang, a, b, sizeof b);
    fputs("<p class=\"conf\">", f);
    cw_html_esc(f, b);
    fputs("</p></div></div>\n", f);
    if (rv && rv->review == CW_RV_FALSE_POSITIVE)
        fputs("</div>", f);
}

/* One night's report as it is being made. */
typedef struct {
    const cw_report_in *in;
    cw_lang lang;
    int *failed;
    char run_id[40];
    cw_alert *al; /* the night's changed alerts */
    int nal;
    cw_scene_row *sr; /* the night's scenes */
    int nsr;
    rep_alert *ra;
    int nra;
    rep_aoi_map *am;
    int nam;
    char (*tiles)[8]; /* tiles with something new tonight, sorted */
    int ntiles;
    char (*overviews)[160]; /* relative paths of the tile maps */
    int nov;
    const char **problems; /* the night's warnings, copied once the maps are
                              drawn (a warning re-allocates the captured list) */
    int nproblems;
    cw_map_scene *ts;     /* scratch: one tile's processed scenes */
    cw_font *font, *bold;
    char mapdir[4096];
    cw_review *rev; /* the committee's reviews, in the order recorded */
    int nrev;
} night_rep;

static void html_head(FILE *f, const night_rep *N)
{
    const cw_lang lang = N->lang;
    char b[1024];
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", cw_lang_code(lang));
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
    fprintf(f, "<meta name=\"generator\" content=\"chakrawatch %s\">\n<title>", CW_VERSION);
    cw_html_esc(f, T(M_REPORT_TITLE));
    fputs(" &middot; ", f);
    cw_html_esc(f, N->in->night);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", css);
    cw_html_esc(f, T(M_REPORT_TITLE));
    fputs("</h1>\n<p class=\"meta\">", f);
    if (N->in->from)
        snprintf(b, sizeof b, T(M_PERIOD), N->in->from, N->in->night);
    else
        snprintf(b, sizeof b, T(M_NIGHT), N->in->night);
    cw_html_esc(f, b);
    fputs(" &middot; ", f);
    snprintf(b, sizeof b, T(M_GENERATED), CW_VERSION, N->run_id);
    cw_html_esc(f, b);
    fputs("</p>\n</header>\n", f);
}

/* a duplicate product of a tile and date is no failure: the other one was used */
static int scene_failed(const cw_scene_row *r)
{
    return strcmp(r->status, "processed") != 0 && strcmp(r->status, "duplicate") != 0 &&
           strcmp(r->status, "not_replayed") != 0;
}

/* Items that failed tonight: scenes not processed and reported problems. */
static int night_failures(const night_rep *N)
{
    int n = N->nproblems;
    for (int i = 0; i < N->nsr; i++)
        n += scene_failed(&N->sr[i]);
    return n;
}

/* What a secretariat needs first. */
/* Alert i is an event an earlier alert of the list was seen as, on an
 * overlapping tile (its same_event names it). */
static int listed_before(const rep_alert *ra, int i)
{
    const char *se = ra[i].a->same_event;
    for (int j = 0; j < i && se[0]; j++) {
        const size_t l = strlen(ra[j].a->id);
        for (const char *p = se; (p = strstr(p, ra[j].a->id)) != NULL; p += l)
            if ((p == se || p[-1] == ';') && (p[l] == ';' || p[l] == '\0'))
                return 1;
    }
    return 0;
}

static void html_summary(FILE *f, const night_rep *N)
{
    const cw_lang lang = N->lang;
    const rep_alert *ra = N->ra;
    char b[1024];
    int nfail = night_failures(N), nproc = 0;
    for (int i = 0; i < N->nsr; i++)
        nproc += !strcmp(N->sr[i].status, "processed");
    fprintf(f, "<section id=\"summary\" class=\"box\">\n<h2>%s</h2>\n<ul>\n", T(M_SUMMARY));
    if (N->nra) {
        snprintf(b, sizeof b,
                 T(N->in->from ? (N->nra == 1 ? M_SUM_ALERTS_P1 : M_SUM_ALERTS_P)
                               : (N->nra == 1 ? M_SUM_ALERTS1 : M_SUM_ALERTS)),
                 N->nra);
        fprintf(f, "<li><strong>%s</strong>", b);
        int g[3] = {0, 0, 0}, cls[2] = {0, 0}, twice = 0;
        double ha = 0;
        for (int i = 0; i < N->nra; i++) {
            if (listed_before(ra, i)) { /* one event, counted once */
                twice++;
                continue;
            }
            g[ra[i].group]++;
            cls[ra[i].a->cls]++;
            ha += ra[i].a->area_ha;
        }
        fprintf(f, ": %s %d, %s %d &middot; %.2f ha<br>%s %d &middot; %s %d &middot; %s %d</li>\n",
                T(M_CLASS_LOSS), cls[0], T(M_CLASS_MINING), cls[1], ha, T(M_SEC_CONSERVED), g[0], T(M_SEC_CHAKRAS),
                g[1], T(M_SEC_OUTSIDE), g[2]);
        if (twice) {
            snprintf(b, sizeof b, T(twice == 1 ? M_SUM_TWICE1 : M_SUM_TWICE), twice);
            fprintf(f, "<li>%s</li>\n", b);
        }
    } else {
        fprintf(f, "<li>%s</li>\n", T(M_SUM_NONE));
    }
    {
        size_t l = (size_t)snprintf(b, sizeof b, T(nproc == 1 ? M_SUM_SCENES1 : M_SUM_SCENES), nproc);
        snprintf(b + l, sizeof b - l, T(N->ntiles == 1 ? M_SUM_TILES1 : M_SUM_TILES), N->ntiles);
    }
    fprintf(f, "<li>%s</li>\n", b);
    if (nfail) {
        snprintf(b, sizeof b, T(nfail == 1 ? M_SUM_FAILED1 : M_SUM_FAILED), nfail);
        fprintf(f, "<li class=\"fail\"><a href=\"#failed\">%s</a></li>\n", b);
    } else {
        fprintf(f, "<li class=\"ok\">%s</li>\n", T(M_NOTHING_FAILED));
    }
    fputs("</ul>\n<p class=\"meta\">", f);
    snprintf(b, sizeof b, T(M_HOW_TO_READ), N->in->cfg->ref_start, N->in->cfg->ref_end);
    cw_html_esc(f, b);
    fputs("</p>\n</section>\n", f);
}

/* One area of interest of group grp with its maps and its alerts. */
static void html_aoi_alerts(FILE *f, const night_rep *N, int grp, int k)
{
    const cw_lang lang = N->lang;
    char b[1024];
    int has = 0;
    for (int i = 0; i < N->nra; i++)
        has |= N->ra[i].group == grp && N->ra[i].aoi == k;
    if (!has)
        return;
    const cw_aoi *a = &N->in->as->a[k];
    fputs("<div class=\"aoi\" data-aoi=\"", f);
    cw_html_esc(f, a->id);
    fputs("\">\n<h4>", f);
    aoi_label(f, a);
    fputs("</h4>\n", f);
    for (int q = 0; q < N->nam; q++)
        if (N->am[q].aoi == k) {
            fputs("<img class=\"map\" src=\"", f);
            cw_html_esc(f, N->am[q].path);
            fputs("\" alt=\"", f);
            snprintf(b, sizeof b, T(M_AOI_MAP), a->name[0] ? a->name : a->id);
            cw_html_esc(f, b);
            fputs("\">\n", f);
        }
    for (int i = 0; i < N->nra; i++)
        if (N->ra[i].group == grp && N->ra[i].aoi == k)
            alert_html(f, lang, &N->ra[i], cw_review_latest(N->rev, N->nrev, N->ra[i].a->id));
    fputs("</div>\n", f);
}

/* Alerts by area: conserved areas, then chakras, then outside. */
static void html_alerts(FILE *f, const night_rep *N)
{
    const cw_lang lang = N->lang;
    fprintf(f, "<section id=\"alerts\">\n<h2>%s</h2>\n", T(M_SEC_ALERTS));
    static const cw_msg gname[3] = {M_SEC_CONSERVED, M_SEC_CHAKRAS, M_SEC_OUTSIDE};
    for (int grp = 0; grp < 3; grp++) {
        int any = 0;
        for (int i = 0; i < N->nra; i++)
            any |= N->ra[i].group == grp;
        if (!any)
            continue;
        fprintf(f, "<h3>%s</h3>\n", T(gname[grp]));
        if (grp == 2) {
            fputs("<div class=\"aoi\" data-aoi=\"\">\n", f);
            for (int i = 0; i < N->nra; i++)
                if (N->ra[i].group == 2)
                    alert_html(f, lang, &N->ra[i], cw_review_latest(N->rev, N->nrev, N->ra[i].a->id));
            fputs("</div>\n", f);
            continue;
        }
        for (int k = 0; k < N->in->as->n; k++)
            html_aoi_alerts(f, N, grp, k);
    }
    if (!N->nra)
        fprintf(f, "<p>%s</p>\n", T(M_SUM_NONE));
    fputs("</section>\n", f);
}

/* First, what stands: the tile overviews and every active alert of their
 * tiles (candidate or confirmed, published, not found false), whether or
 * not it changed in this report. */
static void html_overview(FILE *f, const night_rep *N)
{
    const cw_lang lang = N->lang;
    if (N->nov) {
        fprintf(f, "<section id=\"tiles\">\n<h2>%s</h2>\n", T(M_SEC_OVERVIEW));
        for (int i = 0; i < N->nov; i++) {
            fputs("<img class=\"map\" src=\"", f);
            cw_html_esc(f, N->overviews[i]);
            fputs("\" alt=\"", f);
            cw_html_esc(f, N->overviews[i]);
            fputs("\">\n", f);
        }
        fputs("</section>\n", f);
    }
    fprintf(f, "<section id=\"active\">\n<h2>%s</h2>\n<div class=\"scroll\"><table>\n<tr><th>ID</th><th>%s</th>"
               "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
            T(M_SEC_ACTIVE), T(M_COL_CLASS), T(M_COL_STATUS), T(M_COL_AREA), T(M_COL_FIRST), T(M_COL_RELATION),
            T(M_COL_CONF));
    int rows = 0;
    for (int t = 0; t < N->ntiles; t++) {
        cw_alert *act = NULL;
        int nact = 0;
        if (cw_history_tile_active(N->in->h, N->tiles[t], &act, &nact))
            continue;
        for (int i = 0; i < nact; i++) {
            const cw_alert *a = &act[i];
            const cw_review *rv = cw_review_latest(N->rev, N->nrev, a->id);
            if ((a->status != CW_AL_CANDIDATE && a->status != CW_AL_CONFIRMED) ||
                (rv && rv->review == CW_RV_FALSE_POSITIVE))
                continue;
            char d[11];
            ck_day_format(a->first_day, d);
            int listed = 0;
            for (int k = 0; k < N->nra && !listed; k++)
                listed = !strcmp(N->ra[k].a->id, a->id);
            fputs("<tr data-active-id=\"", f);
            cw_html_esc(f, a->id);
            fputs("\"><td>", f);
            if (listed) {
                fputs("<a href=\"#alert-", f);
                cw_html_esc(f, a->id);
                fputs("\">", f);
            }
            cw_html_esc(f, a->id);
            fprintf(f, "%s</td><td>%s</td><td>%s</td><td class=\"n\">%.2f</td><td>%s</td><td>", listed ? "</a>" : "",
                    T(a->cls == CW_CLASS_MINING ? M_CLASS_MINING : M_CLASS_LOSS),
                    T(a->status == CW_AL_CONFIRMED ? M_ST_CONFIRMED : M_ST_CANDIDATE), a->area_ha, d);
            cw_html_esc(f, T(cw_rel_msg(a->relation)));
            if (a->aoi_id[0]) {
                fputs(": ", f);
                cw_html_esc(f, a->aoi_name[0] ? a->aoi_name : a->aoi_id);
            }
            fprintf(f, "</td><td>%s</td></tr>\n",
                    T(a->confidence >= 4 ? M_CONF_HIGHEST : a->confidence == 3 ? M_CONF_HIGH : M_CONF_LOW));
            rows++;
        }
        cw_alert_list_free(act, nact);
    }
    if (!rows)
        fprintf(f, "<tr><td colspan=\"7\">%s</td></tr>\n", T(M_SUM_NONE));
    fputs("</table></div>\n</section>\n", f);
}

/* Evidence of absence: observations behind every area's "no alert". */
static void html_evidence(FILE *f, const night_rep *N)
{
    const cw_lang lang = N->lang;
    const cw_report_in *in = N->in;
    fprintf(f, "<section id=\"evidence\">\n<h2>%s</h2>\n<p class=\"meta\">%s</p>\n<div class=\"scroll\"><table>\n", T(M_SEC_EVIDENCE),
            T(M_SEC_EVIDENCE_NOTE));
    fprintf(f, "<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
            T(M_COL_AOI), T(M_COL_KIND), T(M_COL_AOI_HA), T(M_COL_CLEAR_OBS), T(M_COL_LAST_CLEAR), T(M_COL_GAP),
            T(M_COL_NEVER), T(M_COL_LOSS_HA));
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < in->as->n; k++) {
            const cw_aoi *a = &in->as->a[k];
            if ((int)a->kind != pass)
                continue;
            const cw_aoi_summary *s = &in->summ[k];
            char d[11];
            ck_day_format(s->last_clear, d);
            fputs("<tr data-aoi=\"", f);
            cw_html_esc(f, a->id);
            fputs("\"><td>", f);
            aoi_label(f, a);
            fprintf(f, "</td><td>%s</td><td class=\"n\">", T(pass ? M_KIND_CHAKRA : M_KIND_CONSERVED));
            if (!isnan(s->area_ha))
                fprintf(f, "%.2f", s->area_ha);
            fprintf(f, "</td><td class=\"n\">%d</td><td>%s</td><td class=\"n\">", s->n_clear, s->last_clear ? d : "");
            if (s->gap >= 0)
                fprintf(f, "%d", s->gap);
            fprintf(f, "</td><td class=\"n\">%.1f %%</td><td class=\"n\">%.2f</td></tr>\n", 100.0 * s->never_share,
                    s->ha[0][0] + s->ha[1][0]);
        }
    fputs("</table></div>\n</section>\n", f);
}

/* Our own phrases of warnings and refusals in Spanish (GDAL's reasons and
 * file names stay as they are): replaced in order, longest first. */
static const char *const es_phrases[][2] = {
    {"is not newer than the tile's latest processed scene; merging it would reorder the observations",
     "no es posterior a la última escena procesada de la tesela; incorporarla desordenaría las observaciones"},
    {"no SCL band: clouds and haze over water are masked by the fallback tests, shadows are not detected",
     "sin banda SCL: las nubes y la bruma sobre el agua se enmascaran con las pruebas de respaldo, las sombras no "
     "se detectan"},
    {"invalid polygon (self-intersecting or degenerate ring)", "polígono inválido (anillo que se cruza o degenerado)"},
    {"; skipped (the tile's state is unchanged by it)", "; omitida (el estado de la tesela no cambia)"},
    {"is a second product of the tile and date already merged", "es un segundo producto de la tesela y fecha ya incorporados"},
    {"is before the reference period", "es anterior al período de referencia"},
    {"point radius not in (0, 5000] m", "radio del punto fuera de (0, 5000] m"},
    {"polygon without area", "polígono sin superficie"},
    {"not a polygon or point", "no es un polígono ni un punto"},
    {"empty geometry", "geometría vacía"},
    {"missing band(s)", "falta(n) banda(s)"},
    {"cannot open", "no se puede abrir"},
    {"reading rows", "leyendo las filas"},
    {" of /", " de /"},
    {"; latest: ", "; la última: "},
    {" failed: ", " falló: "},
    {"; skipped", "; omitida"},
    {" feature ", " elemento "},
    {"AOI ", "Área de interés "},
    {"scene ", "escena "},
};

/* A problem's text as the report shows it: in Spanish where it is ours. */
static void esc_problem(FILE *f, cw_lang lang, const char *w)
{
    if (lang == CW_LANG_EN) {
        cw_html_esc(f, w);
        return;
    }
    char a[2048], b[2048];
    cw_strlcpy(a, w, sizeof a);
    for (size_t k = 0; k < sizeof es_phrases / sizeof es_phrases[0]; k++) {
        const char *from = es_phrases[k][0], *to = es_phrases[k][1];
        const size_t fl = strlen(from);
        size_t o = 0;
        for (const char *p = a; *p && o + 1 < sizeof b;) {
            if (!strncmp(p, from, fl)) {
                o += (size_t)snprintf(b + o, sizeof b - o, "%s", to);
                p += fl;
            } else {
                b[o++] = *p++;
            }
        }
        b[o < sizeof b ? o : sizeof b - 1] = '\0';
        cw_strlcpy(a, b, sizeof a);
    }
    cw_html_esc(f, a);
}

/* What a warning is about, in the report's language (the warning itself,
 * for whoever fixes it, follows as technical text). */
static cw_msg problem_kind(const char *w)
{
    if (!strncmp(w, "AOI", 3))
        return M_FAIL_AOI;
    if (strstr(w, "no SCL"))
        return M_FAIL_NOSCL;
    if (!strncmp(w, "scene", 5) || !strncmp(w, "inbox", 5) || strstr(w, "MSIL2A"))
        return M_FAIL_SCENE;
    if (!strncmp(w, "maps", 4) || strstr(w, "map"))
        return M_FAIL_MAP;
    if (!strncmp(w, "tile", 4))
        return M_FAIL_TILE;
    return M_FAIL_OTHER;
}

/* What was processed, then what failed. */
static void html_processed(FILE *f, const night_rep *N)
{
    const cw_lang lang = N->lang;
    const cw_scene_row *sr = N->sr;
    fprintf(f, "<section id=\"processed\">\n<h2>%s</h2>\n<div class=\"scroll\"><table>\n", T(M_SEC_PROCESSED));
    fprintf(f, "<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n", T(M_COL_SCENE),
            T(M_COL_DATE), T(M_COL_RESULT), T(M_COL_CLEAR), T(M_COL_CLOUD), T(M_COL_TEMPORAL));
    for (int i = 0; i < N->nsr; i++) {
        char d[11];
        ck_day_format(sr[i].day, d);
        int ok = !scene_failed(&sr[i]);
        fputs(ok ? "<tr>" : "<tr class=\"fail\">", f);
        fputs("<td><code>", f);
        cw_html_esc(f, sr[i].product_id);
        fprintf(f, "</code></td><td>%s</td><td>%s</td><td class=\"n\">", d,
                T(!strcmp(sr[i].status, "processed")      ? M_RES_PROCESSED
                  : !strcmp(sr[i].status, "duplicate")    ? M_RES_DUPLICATE
                  : !strcmp(sr[i].status, "out_of_order") ? M_RES_OUT_OF_ORDER
                                                          : M_RES_BEFORE_REF));
        if (!isnan(sr[i].valid_pct))
            fprintf(f, "%.1f %%", sr[i].valid_pct);
        fputs("</td><td class=\"n\">", f);
        if (!isnan(sr[i].cloud_pct))
            fprintf(f, "%.1f %%", sr[i].cloud_pct);
        fputs("</td><td class=\"n\">", f);
        if (!isnan(sr[i].qa_pct[0]))
            fprintf(f, "%.2f %% / %.2f %% / %.2f %%", sr[i].qa_pct[0], sr[i].qa_pct[1], sr[i].qa_pct[2]);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n</section>\n", f);
    fprintf(f, "<section id=\"failed\">\n<h2>%s</h2>\n", T(M_SEC_FAILED));
    if (!night_failures(N)) {
        fprintf(f, "<p class=\"ok\">%s</p>\n", T(M_NOTHING_FAILED));
    } else {
        fputs("<ul class=\"fail\">\n", f);
        for (int i = 0; i < N->nsr; i++)
            if (scene_failed(&sr[i])) {
                fputs("<li><strong>", f);
                cw_html_esc(f, T(M_FAIL_SCENE));
                fputs("</strong>: <code>", f);
                cw_html_esc(f, sr[i].product_id);
                fputs("</code>: ", f);
                esc_problem(f, lang, sr[i].note);
                fputs("</li>\n", f);
            }
        for (int i = 0; i < N->nproblems; i++) {
            fputs("<li><strong>", f);
            cw_html_esc(f, T(problem_kind(N->problems[i])));
            fputs("</strong>: <code>", f);
            esc_problem(f, lang, N->problems[i]);
            fputs("</code></li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    fputs("</section>\n", f);
}

/* The committee's reviews: precision per class measured from them, and
 * every reviewed alert with its latest review (false ones struck out). */
static void html_reviews(FILE *f, const night_rep *N)
{
    const cw_lang lang = N->lang;
    fprintf(f, "<section id=\"reviews\">\n<h2>%s</h2>\n", T(M_SEC_REVIEWS));
    int cnt[2][CW_RV_N], any = 0;
    memset(cnt, 0, sizeof cnt);
    cw_alert a;
    for (int i = 0; i < N->nrev; i++) {
        if (cw_review_latest(N->rev, N->nrev, N->rev[i].alert_id) != &N->rev[i] ||
            cw_history_alert_get(N->in->h, N->rev[i].alert_id, &a) != 1)
            continue;
        cnt[a.cls][N->rev[i].review]++;
        any = 1;
    }
    if (!any) {
        fprintf(f, "<p class=\"meta\">%s</p>\n</section>\n", T(M_RV_NONE));
        return;
    }
    char b[512];
    fputs("<ul>\n", f);
    for (int c = 0; c < 2; c++) {
        int v = cnt[c][CW_RV_VERIFIED], x = cnt[c][CW_RV_FALSE_POSITIVE], n = v + x + cnt[c][CW_RV_UNSURE];
        if (!n)
            continue;
        snprintf(b, sizeof b, T(M_RV_PRECISION), T(c == CW_CLASS_MINING ? M_CLASS_MINING : M_CLASS_LOSS), v, x, n,
                 v + x ? 100.0 * v / (v + x) : 0.0);
        fputs("<li>", f);
        cw_html_esc(f, b);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n<div class=\"scroll\"><table>\n<tr>", f);
    char head[256];
    cw_strlcpy(head, T(M_RV_HEAD), sizeof head);
    for (char *h = strtok(head, "|"); h; h = strtok(NULL, "|"))
        fprintf(f, "<th>%s</th>", h);
    fputs("</tr>\n", f);
    static const cw_msg rmsg[CW_RV_N] = {M_RV_VERIFIED, M_RV_FALSE, M_RV_UNSURE};
    for (int i = 0; i < N->nrev; i++) {
        const cw_review *r = &N->rev[i];
        if (cw_review_latest(N->rev, N->nrev, r->alert_id) != r || cw_history_alert_get(N->in->h, r->alert_id, &a) != 1)
            continue;
        const int fp = r->review == CW_RV_FALSE_POSITIVE;
        char d[11];
        ck_day_format(r->day, d);
        fprintf(f, "<tr%s><td>%s", fp ? " class=\"fp\"" : "", fp ? "<s>" : "");
        cw_html_esc(f, r->alert_id);
        fprintf(f, "%s</td><td>%s</td><td>%s</td><td>%s</td><td>", fp ? "</s>" : "",
                T(a.cls == CW_CLASS_MINING ? M_CLASS_MINING : M_CLASS_LOSS), T(rmsg[r->review]), d);
        cw_html_esc(f, r->reviewer);
        fputs("</td><td>", f);
        cw_html_esc(f, r->note);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n</section>\n", f);
}

/* Confirmed hectares per month of first detection, by class, of the
 * alerts in the report (false positives left out): stacked bars, inline
 * SVG, no script. */
static void html_chart(FILE *f, const night_rep *N)
{
    const cw_lang lang = N->lang;
    enum { MAXM = 36 };
    int m0 = 0, m1 = 0;
    double ha[MAXM][2];
    memset(ha, 0, sizeof ha);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N->nal; i++) {
            const cw_alert *a = &N->al[i];
            const cw_review *rv = cw_review_latest(N->rev, N->nrev, a->id);
            if (a->status != CW_AL_CONFIRMED || !a->first_day || (rv && rv->review == CW_RV_FALSE_POSITIVE))
                continue;
            int y, m, d;
            ck_day_to_ymd(a->first_day, &y, &m, &d);
            const int mi = y * 12 + m - 1;
            if (pass == 0) {
                m0 = !m0 || mi < m0 ? mi : m0;
                m1 = mi > m1 ? mi : m1;
            } else if (mi >= m0) {
                ha[mi - m0][a->cls] += a->area_ha;
            }
        }
        if (pass == 0 && m1 - m0 >= MAXM) /* the latest 36 months */
            m0 = m1 - MAXM + 1;
    }
    if (!m1)
        return;
    const int nm = m1 - m0 + 1;
    double top = 0;
    for (int k = 0; k < nm; k++)
        top = ha[k][0] + ha[k][1] > top ? ha[k][0] + ha[k][1] : top;
    const double W = 640, H = 180, x0 = 62, y0 = 10, ph = 140;
    const double bw = (W - x0 - 10) / nm < 60 ? (W - x0 - 10) / nm : 60;
    const uint32_t col[2] = {cw_alert_rgb(CW_CLASS_LOSS, 4), cw_alert_rgb(CW_CLASS_MINING, 4)};
    fprintf(f, "<h3>%s</h3>\n<svg viewBox=\"0 0 %.0f %.0f\" style=\"width:100%%;max-width:640px;height:auto\" "
               "role=\"img\">\n", T(M_CHART_TITLE), W, H);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#555\"/>", x0, y0 + ph, W - 10, y0 + ph);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">%.1f ha</text>", x0 - 4, y0 + 8, top);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">0</text>", x0 - 4, y0 + ph);
    for (int k = 0; k < nm; k++) {
        double y = y0 + ph;
        for (int c = 0; c < 2; c++) {
            const double h = top > 0 ? ph * ha[k][c] / top : 0;
            if (h <= 0)
                continue;
            y -= h;
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#%06x\"><title>%.2f ha"
                       "</title></rect>", x0 + k * bw + 1, y, bw - 2, h, col[c], ha[k][c]);
        }
        const int yy = (m0 + k) / 12, mm = (m0 + k) % 12 + 1;
        if (nm <= 12 || mm == 1 || k == 0)
            fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%04d-%02d</text>",
                    x0 + (k + 0.5) * bw, y0 + ph + 14, yy, mm);
    }
    fputs("\n</svg>\n<p class=\"meta\">", f);
    for (int c = 0; c < 2; c++)
        fprintf(f, "<span class=\"swatch\" style=\"--c:#%06x\"></span>%s &nbsp; ", col[c],
                T(c ? M_CLASS_MINING : M_CLASS_LOSS));
    fputs("</p>\n", f);
}

static int write_html(const night_rep *N, const char *path)
{
    const cw_lang lang = N->lang;
    char tmp[4096];
    if (cw_tmp_path(tmp, sizeof tmp, path))
        return -1;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return cw_error("%s: cannot create: %s", tmp, strerror(errno));
    html_head(f, N);
    html_summary(f, N);
    html_overview(f, N);
    html_chart(f, N);
    html_alerts(f, N);
    html_evidence(f, N);
    html_reviews(f, N);
    html_processed(f, N);
    char b[1024];
    fputs("<footer class=\"meta\"><p>", f);
    int d0 = 0, d1 = 0; /* the years of the night's imagery, or of the night */
    for (int i = 0; i < N->nsr; i++) {
        d0 = !d0 || (N->sr[i].day && N->sr[i].day < d0) ? N->sr[i].day : d0;
        d1 = N->sr[i].day > d1 ? N->sr[i].day : d1;
    }
    if (!d1)
        d0 = d1 = ck_day_parse(N->in->night);
    cw_attribution(lang, d0, d1, b, sizeof b);
    cw_html_esc(f, b);
    fputs("</p></footer>\n</body>\n</html>\n", f);
    int bad = ferror(f) | fflush(f) | fsync(fileno(f));
    if (fclose(f) || bad) {
        unlink(tmp);
        return cw_error("%s: write failed: %s", path, strerror(errno ? errno : EIO));
    }
    return cw_commit_file(tmp, path);
}

/* ---------------------------------------------------------------- maps */

/* A reproducible id of the run: the night, the settings that can change
 * results (not paths or thread counts) and the products handled that night. */
static void make_run_id(const cw_report_in *in, const cw_scene_row *sr, int nsr, char *out, size_t n)
{
    uint32_t h = 2166136261u;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        cw_config_dump_results(in->cfg, f);
        fclose(f);
        h = fnv1a(h, buf, len);
        free(buf);
    }
    h = fnv1a(h, in->night, strlen(in->night));
    for (int i = 0; i < nsr; i++)
        h = fnv1a(h, sr[i].product_id, strlen(sr[i].product_id) + 1);
    snprintf(out, n, "%.4s%.2s%.2s-%08x", in->night, in->night + 5, in->night + 8, h);
}

static int has_tile(char (*tiles)[8], int n, const char *t)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(tiles[i], t))
            return 1;
    return 0;
}

static int tile_cmp(const void *a, const void *b) { return strcmp(a, b); }

/* The night's alerts, grouped: conserved areas, chakras, outside; and
 * the tiles with something new tonight. */
static void night_collect(night_rep *N)
{
    const cw_report_in *in = N->in;
    for (int i = 0; i < N->nal; i++) {
        rep_alert *r = &N->ra[N->nra++];
        r->a = &N->al[i];
        r->aoi = -1;
        for (int k = 0; k < in->as->n; k++)
            if (N->al[i].aoi_id[0] && !strcmp(in->as->a[k].id, N->al[i].aoi_id))
                r->aoi = k;
        r->group = r->aoi < 0 ? 2 : in->as->a[r->aoi].kind == CW_AOI_CONSERVED ? 0 : 1;
    }
    for (int i = 0; i < N->nsr; i++)
        if (!strcmp(N->sr[i].status, "processed") && !has_tile(N->tiles, N->ntiles, N->sr[i].tile))
            cw_strlcpy(N->tiles[N->ntiles++], N->sr[i].tile, sizeof N->tiles[0]);
    for (int i = 0; i < N->nal; i++)
        if (!has_tile(N->tiles, N->ntiles, N->al[i].tile))
            cw_strlcpy(N->tiles[N->ntiles++], N->al[i].tile, sizeof N->tiles[0]);
    qsort(N->tiles, (size_t)N->ntiles, sizeof N->tiles[0], tile_cmp);
}

/* Draws one map into maps/NAME; 0 and the relative path in rel, or a
 * warning counted as failed. */
static int map_done(night_rep *N, const char *name, int rc, char *rel, size_t nrel)
{
    if (rc) {
        cw_warn("map %s: %s", name, cw_errmsg());
        (*N->failed)++;
        return -1;
    }
    snprintf(rel, nrel, "maps/%s", name);
    return 0;
}

/* The overview, the night's alert chips and a map per area with alerts. */
static void maps_draw(night_rep *N, cw_map_ctx *M, const cw_aoi_grid *ag, const char *tile)
{
    char name[200], path[4096];
    snprintf(name, sizeof name, "tile-%s.png", tile);
    int rc = cw_path_join(path, sizeof path, N->mapdir, name) || cw_map_overview(M, path, &(cw_map_info){0});
    if (!map_done(N, name, rc, N->overviews[N->nov], sizeof N->overviews[0]))
        N->nov++;
    for (int i = 0; i < N->nra; i++) {
        rep_alert *ra = &N->ra[i];
        if (strcmp(ra->a->tile, tile))
            continue;
        char sn[128];
        safe_name(sn, sizeof sn, ra->a->id);
        snprintf(name, sizeof name, "alert-%s.png", sn);
        rc = cw_path_join(path, sizeof path, N->mapdir, name) || cw_map_chip(M, ra->a, path, &ra->ci);
        map_done(N, name, rc, ra->chip, sizeof ra->chip);
    }
    for (int k = 0; k < ag->n; k++) {
        const cw_aoi *a = &N->in->as->a[ag->t[k].aoi];
        int has = 0;
        for (int i = 0; i < N->nra; i++)
            has |= !strcmp(N->ra[i].a->tile, tile) && relation_to(N->ra[i].a, a->id) >= 0;
        if (!has || !ag->t[k].w)
            continue;
        char sn[128];
        safe_name(sn, sizeof sn, a->id);
        snprintf(name, sizeof name, "aoi-%s-%s.png", sn, tile);
        rep_aoi_map *m = &N->am[N->nam];
        rc = cw_path_join(path, sizeof path, N->mapdir, name) || cw_map_aoi(M, k, path, NULL);
        if (!map_done(N, name, rc, m->path, sizeof m->path)) {
            m->aoi = ag->t[k].aoi;
            cw_strlcpy(m->tile, tile, sizeof m->tile);
            N->nam++;
        }
    }
}

/* The maps of one tile from its processed scenes still in the inboxes; a
 * tile that cannot be drawn is reported and the others go on.  -1 only
 * when the history cannot be read. */
static int maps_of_tile(night_rep *N, const char *tile)
{
    const cw_report_in *in = N->in;
    int nts = 0;
    char st[32];
    for (int i = 0; i < in->nscenes; i++)
        if (!strcmp(in->scenes[i].s->tile, tile) &&
            cw_history_scene_status(in->h, in->scenes[i].s->product_id, st, sizeof st) == 1 && !strcmp(st, "processed"))
            N->ts[nts++] = in->scenes[i];
    if (!nts) {
        cw_warn("maps of tile %s: none of its processed scenes is in the inboxes any more; no maps", tile);
        (*N->failed)++;
        return 0;
    }
    cw_alert *act = NULL;
    int nact = 0;
    if (cw_history_tile_active(in->h, tile, &act, &nact))
        return -1;
    cw_aoi_grid ag;
    memset(&ag, 0, sizeof ag);
    if (cw_aoi_grid_build(in->as, N->ts[0].s, &ag)) {
        cw_warn("maps of tile %s: %s", tile, cw_errmsg());
        (*N->failed)++;
    } else {
        cw_map_ctx M = {in->cfg, in->co, N->lang, in->night, N->run_id, N->font, N->bold, tile, N->ts, nts,
                        &ag,     in->as, act,     nact,      NULL,    NULL};
        if (cw_map_prepare(&M)) { /* no outlines on this grid: the tile's maps fail, the others go on */
            cw_warn("maps of tile %s: %s", tile, cw_errmsg());
            (*N->failed)++;
        } else {
            maps_draw(N, &M, &ag, tile);
            cw_map_release(&M);
        }
        cw_aoi_grid_free(&ag);
    }
    cw_alert_list_free(act, nact);
    return 0;
}

static int night_alloc(night_rep *N)
{
    const cw_report_in *in = N->in;
    N->ra = calloc((size_t)N->nal + 1, sizeof *N->ra);
    N->tiles = calloc((size_t)(N->nal + N->nsr) + 1, sizeof *N->tiles);
    N->ts = calloc((size_t)in->nscenes + 1, sizeof *N->ts);
    N->overviews = calloc((size_t)(N->nal + N->nsr) + 1, sizeof *N->overviews);
    N->am = calloc((size_t)in->as->n * (size_t)(N->nal + N->nsr) + 1, sizeof *N->am);
    if (!N->ra || !N->tiles || !N->ts || !N->overviews || !N->am)
        return cw_error("out of memory");
    return 0;
}

/* The night's warnings as they are now, maps' failures included: a copy of
 * the pointers (the strings live until capture stops), so no later warning
 * can move what the page is written from. */
static int night_problems(night_rep *N)
{
    const char *const *list;
    int n = cw_warn_captured(&list);
    free(N->problems);
    N->problems = calloc((size_t)n + 1, sizeof *N->problems);
    if (!N->problems)
        return cw_error("out of memory");
    for (int i = 0; i < n; i++)
        N->problems[i] = list[i];
    N->nproblems = n;
    return 0;
}

static void night_free(night_rep *N)
{
    cw_font_close(N->font);
    cw_font_close(N->bold);
    cw_alert_list_free(N->al, N->nal);
    free(N->sr);
    free(N->ra);
    free(N->am);
    free(N->tiles);
    free(N->overviews);
    free(N->ts);
    free(N->problems);
    free(N->rev);
}

int cw_report_night(const cw_report_in *in, int *failed)
{
    night_rep N = {.in = in, .lang = cw_lang_from_code(in->cfg->language), .failed = failed};
    char path[4096];
    int rc = -1;
    if ((in->from ? cw_history_alerts_between(in->h, in->from, in->night, &N.al, &N.nal)
                  : cw_history_alerts_updated(in->h, in->night, &N.al, &N.nal)) ||
        (in->from ? cw_history_scenes_between(in->h, in->from, in->night, &N.sr, &N.nsr)
                  : cw_history_scenes_of_night(in->h, in->night, &N.sr, &N.nsr)) ||
        cw_history_reviews(in->h, &N.rev, &N.nrev) || cw_history_same_events(in->h, in->cfg->group_days, N.al, N.nal))
        goto done;
    make_run_id(in, N.sr, N.nsr, N.run_id, sizeof N.run_id);
    if (night_alloc(&N))
        goto done;
    night_collect(&N);
    if (cw_path_join(N.mapdir, sizeof N.mapdir, in->outdir, "maps") || cw_mkdir_p(N.mapdir))
        goto done;
    const char *font = in->cfg->map_font[0] ? in->cfg->map_font : NULL;
    if (!(N.font = cw_font_open(font, 0)) || !(N.bold = cw_font_open(font, 1))) {
        cw_warn("maps: %s; maps are drawn without text", cw_errmsg());
        (*failed)++;
    }
    for (int t = 0; t < N.ntiles; t++)
        if (maps_of_tile(&N, N.tiles[t]))
            goto done;
    if (night_problems(&N) || cw_path_join(path, sizeof path, in->outdir, "report.html") || write_html(&N, path))
        goto done;
    rc = 0;
done:
    night_free(&N);
    return rc;
}
