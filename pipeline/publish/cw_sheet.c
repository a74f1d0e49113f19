/* cw_sheet.c - see cw_sheet.h.  One small page per plot, no scripts, no
 * external resources: it prints on A4 and opens on a phone. */
#include "publish/cw_sheet.h"
#include "publish/cw_html.h"
#include "ck_change.h"
#include "cw_util.h"

#include <math.h>
#include <string.h>

const char *cw_verdict_name(int v)
{
    return v == CW_VD_LOSS ? "loss_after_cutoff" : v == CW_VD_INSUFFICIENT ? "insufficient_observation"
                                                                            : "no_loss_observed";
}

#define T(m) cw_msg_get(c->lang, m)

void cw_verdict_words(const cw_sheet_ctx *c, const cw_plot_verdict *v, char *buf, size_t n)
{
    char d0[11], d1[11];
    if (v->verdict == CW_VD_LOSS) {
        ck_day_format(v->loss_first, d0);
        ck_day_format(v->loss_last, d1);
        if (v->loss_first == v->loss_last)
            snprintf(buf, n, T(M_VD_LOSS_WORDS1), v->loss_ha, v->loss_classes, d0, v->loss_ids);
        else
            snprintf(buf, n, T(M_VD_LOSS_WORDS), v->loss_ha, v->loss_classes, d0, d1, v->loss_ids);
    } else if (v->verdict == CW_VD_NO_LOSS) {
        ck_day_format(c->from, d0);
        ck_day_format(c->to, d1);
        snprintf(buf, n, T(M_VD_NO_LOSS_WORDS), d0, d1, v->n_clear, v->gap, 100.0 * v->never_share);
    } else {
        snprintf(buf, n, T(M_VD_INSUFF_WORDS), v->why);
    }
}

static const char css[] =
    "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#1a1a1a;margin:16px auto;max-width:780px;"
    "padding:0 12px;line-height:1.4}h1{font-size:1.35em;margin:0 0 4px}h2{font-size:1.1em;color:#2f5d3a;"
    "margin:18px 0 6px;border-bottom:1px solid #2f5d3a}.meta{color:#555;font-size:.88em}"
    ".verdict{padding:10px 14px;border-radius:4px;margin:10px 0;font-size:1.05em}"
    ".v0{background:#e4f1e1;border:2px solid #2f7d3a}.v1{background:#fbe3e0;border:2px solid #b3261e}"
    ".v2{background:#fff3d6;border:2px solid #a86b00}table{border-collapse:collapse;font-size:.9em;width:100%}"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}th{background:#eef2ec;"
    "width:45%}img{max-width:100%;height:auto}.chips img{width:48%;margin:1%}svg{width:100%;height:auto}"
    "@page{size:A4;margin:14mm}@media print{body{margin:0;max-width:none;font-size:10pt}}";

/* One tick per scene on a line from the period's start to its end. */
static void timeline(FILE *f, const cw_sheet_ctx *c, const cw_plot_verdict *v)
{
    static const char *const col[3] = {"#2f7d3a", "#8c8c8c", "#e0e0e0"};
    const double W = 720, x0 = 10, x1 = W - 10;
    const double span = c->to > c->from ? (double)(c->to - c->from) : 1.0;
    fprintf(f, "<svg viewBox=\"0 0 %.0f 74\" role=\"img\" aria-label=\"", W);
    cw_html_esc(f, T(M_VD_TIMELINE));
    fputs("\"><line x1=\"10\" y1=\"30\" x2=\"710\" y2=\"30\" stroke=\"#555\"/>", f);
    for (int i = 0; i < v->n_scenes; i++) {
        const cw_tick *t = &v->ticks[i];
        double x = x0 + (x1 - x0) * (double)(t->day - c->from) / span;
        char d[11];
        ck_day_format(t->day, d);
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"3\" height=\"%d\" fill=\"%s\"><title>%s %s</title></rect>",
                x - 1.5, t->kind == CW_TICK_CLEAR ? 14 : 20, t->kind == CW_TICK_CLEAR ? 32 : 20, col[t->kind], d,
                t->kind == CW_TICK_CLEAR ? T(M_VD_CLEAR) : t->kind == CW_TICK_CLOUDY ? T(M_VD_CLOUDY) : T(M_VD_UNCOVERED));
    }
    char d0[11], d1[11];
    ck_day_format(c->from, d0);
    ck_day_format(c->to, d1);
    fprintf(f, "<text x=\"10\" y=\"62\" font-size=\"12\">%s</text><text x=\"710\" y=\"62\" font-size=\"12\" "
               "text-anchor=\"end\">%s</text></svg>\n", d0, d1);
    fprintf(f, "<p class=\"meta\"><span style=\"color:%s\">&#9646;</span> ", col[0]);
    cw_html_esc(f, T(M_VD_CLEAR));
    fprintf(f, " &nbsp; <span style=\"color:%s\">&#9646;</span> ", col[1]);
    cw_html_esc(f, T(M_VD_CLOUDY));
    fprintf(f, " &nbsp; <span style=\"color:#c8c8c8\">&#9646;</span> ");
    cw_html_esc(f, T(M_VD_UNCOVERED));
    fputs("</p>\n", f);
}

static void fact(FILE *f, const char *k, const char *v)
{
    fputs("<tr><th>", f);
    cw_html_esc(f, k);
    fputs("</th><td>", f);
    cw_html_esc(f, v);
    fputs("</td></tr>\n", f);
}

static void facts(FILE *f, const cw_sheet_ctx *c, const cw_plot_verdict *v)
{
    char b[256];
    fputs("<h2>", f);
    cw_html_esc(f, T(M_VD_FACTS));
    fputs("</h2><table>\n", f);
    snprintf(b, sizeof b, "%s%s%s", v->id, v->name[0] ? " - " : "", v->name);
    fact(f, T(M_VD_PLOT_ID), b);
    snprintf(b, sizeof b, "%.2f ha", v->area_ha);
    fact(f, T(M_VD_AREA), b);
    snprintf(b, sizeof b, "%s", v->tile[0] ? v->tile : "-");
    fact(f, "Sentinel-2", b);
    if (!isnan(v->forest_share))
        snprintf(b, sizeof b, T(M_VD_FOREST), 100.0 * v->forest_share);
    else
        snprintf(b, sizeof b, "%s", v->tile[0] ? T(M_VD_NO_BASELINE) : "-");
    fact(f, T(M_VD_FOREST_K), b);
    snprintf(b, sizeof b, "%d", v->n_scenes);
    fact(f, T(M_VD_SCENES), b);
    snprintf(b, sizeof b, "%d", v->n_clear);
    fact(f, T(M_VD_NCLEAR), b);
    snprintf(b, sizeof b, T(M_VD_DAYS), v->gap);
    fact(f, T(M_VD_GAP), b);
    snprintf(b, sizeof b, "%.1f %%", 100.0 * v->never_share);
    fact(f, T(M_VD_NEVER), b);
    fputs("</table>\n<p class=\"meta\">", f);
    snprintf(b, sizeof b, T(M_VD_RULES), c->cfg->verify_min_clear, c->cfg->verify_max_gap,
             100.0 * c->cfg->verify_max_never);
    cw_html_esc(f, b);
    fputs("</p>\n", f);
}

int cw_sheet_write(const cw_sheet_ctx *c, const cw_plot_verdict *v, const char *path)
{
    char tmp[PATH_MAX], b[2048], d0[11], d1[11];
    FILE *f = cw_file_create_tmp(path, tmp, sizeof tmp);
    if (!f)
        return -1;
    static const cw_msg vmsg[3] = {M_VD_NO_LOSS, M_VD_LOSS, M_VD_INSUFFICIENT};
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>",
            cw_lang_code(c->lang));
    snprintf(b, sizeof b, T(M_VD_TITLE), v->id);
    cw_html_esc(f, b);
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>", css);
    cw_html_esc(f, b);
    fputs("</h1>\n<p class=\"meta\">", f);
    ck_day_format(c->from, d0);
    ck_day_format(c->to, d1);
    snprintf(b, sizeof b, T(M_VD_PERIOD), d0, d1);
    cw_html_esc(f, b);
    fprintf(f, "</p>\n<div class=\"verdict v%d\"><strong>", v->verdict);
    cw_html_esc(f, T(vmsg[v->verdict]));
    fputs("</strong> (", f);
    cw_html_esc(f, cw_verdict_name(v->verdict));
    fputs(")<br>", f);
    cw_verdict_words(c, v, b, sizeof b);
    cw_html_esc(f, b);
    if (!isnan(v->forest_share) && v->forest_share < c->cfg->verify_forest_share) {
        fputs("<br>", f);
        snprintf(b, sizeof b, T(M_VD_NOT_FOREST), 100.0 * v->forest_share);
        cw_html_esc(f, b);
    }
    fputs("</div>\n", f);
    facts(f, c, v);
    fputs("<h2>", f);
    cw_html_esc(f, T(M_VD_TIMELINE));
    fputs("</h2>\n", f);
    timeline(f, c, v);
    if (v->map_png[0]) {
        fputs("<h2>", f);
        cw_html_esc(f, T(M_VD_MAP));
        fputs("</h2><img src=\"", f);
        cw_html_esc(f, v->map_png);
        fputs("\" alt=\"\">\n", f);
    }
    if (v->nchips) {
        fputs("<h2>", f);
        cw_html_esc(f, T(M_EVIDENCE_CHIPS));
        fputs("</h2><div class=\"chips\">", f);
        for (int i = 0; i < v->nchips; i++) {
            fputs("<img src=\"", f);
            cw_html_esc(f, v->chips[i]);
            fputs("\" alt=\"\">", f);
        }
        fputs("</div>\n", f);
    }
    if (v->notes[0]) {
        fputs("<h2>", f);
        cw_html_esc(f, T(M_VD_NOTES));
        fputs("</h2><p>", f);
        cw_html_esc(f, v->notes);
        fputs("</p>\n", f);
    }
    fputs("<p class=\"meta\">", f);
    cw_html_esc(f, c->version);
    fputs(". ", f);
    cw_attribution(c->lang, c->from, c->to, b, sizeof b);
    cw_html_esc(f, b);
    fputs(".</p>\n</body></html>\n", f);
    return cw_file_commit(f, tmp, path);
}
