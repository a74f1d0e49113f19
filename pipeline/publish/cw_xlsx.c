/* cw_xlsx.c - see cw_xlsx.h.  Runs once a night, off the pixel path. */
#include "publish/cw_xlsx.h"
#include "ck_change.h"
#include "cw_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* The Spanish names and widths of the columns of alerts.csv (cw_alert_cols),
 * in their order. */
static const struct {
    const char *es;
    double width;
} cols[CW_ALERT_NCOLS] = {
    {"alerta", 30},           {"tesela", 8},           {"clase", 14},        {"confianza", 10},
    {"nivel_confianza", 12},  {"estado", 12},          {"primera_deteccion", 12}, {"confirmada_el", 12},
    {"ultima_observacion", 12}, {"obs_anomalas", 10},  {"superficie_ha", 10}, {"latitud", 11},
    {"longitud", 11},         {"ndvi_antes", 10},      {"ndvi_despues", 10}, {"area_id", 12},
    {"tipo_area", 11},        {"nombre_area", 24},     {"relacion", 12},     {"distancia_m", 10},
    {"escenas", 30},          {"otras_areas", 16},     {"pixeles", 8},       {"motivo", 30},
    {"mismo_evento_que", 30},
};

/* A coded word of alerts.csv (class, confidence, status, area kind,
 * relation, cw_rel_msg's) in the sheet's language: each code and its message. */
static const struct {
    const char *col, *code;
    cw_msg m;
} words[] = {
    {"class", "canopy_loss", M_CLASS_LOSS},
    {"class", "mining_scar", M_CLASS_MINING},
    {"confidence_label", "low", M_CONF_LOW},
    {"confidence_label", "high", M_CONF_HIGH},
    {"confidence_label", "highest", M_CONF_HIGHEST},
    {"status", "candidate", M_STS_CANDIDATE},
    {"status", "confirmed", M_STS_CONFIRMED},
    {"status", "rejected", M_STS_REJECTED},
    {"status", "reverted", M_STS_REVERTED},
    {"aoi_kind", "conserved", M_KIND_CONSERVED},
    {"aoi_kind", "chakra", M_KIND_CHAKRA},
    {"aoi_kind", "none", M_KIND_NONE},
};

static const char *sheet_word(cw_lang lang, const char *col, const char *code)
{
    if (lang != CW_LANG_EN && !strcmp(col, "relation"))
        return cw_msg_get(lang, cw_rel_msg(code));
    for (size_t i = 0; lang != CW_LANG_EN && i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(words[i].col, col) && !strcmp(words[i].code, code))
            return cw_msg_get(lang, words[i].m);
    return code;
}

/* Strings go in as strings: a cell of text is never a formula, so users'
 * names need no quote mark here; numbers are the CSV's, with its decimals
 * as their display format; coded words and reasons in the sheet's
 * language. */
static void alert_row(lxw_worksheet *ws, lxw_row_t r, cw_lang lang, const cw_alert *a, lxw_format *date,
                      lxw_format *const *num)
{
    cw_alert_cell c[CW_ALERT_NCOLS];
    cw_alert_cells(a, c);
    char why[320];
    for (lxw_col_t k = 0; k < CW_ALERT_NCOLS; k++) {
        if (c[k].text == a->reason) {
            cw_reason_text(lang, a->reason, why, sizeof why);
            c[k].text = why;
        } else if (c[k].text) {
            c[k].text = sheet_word(lang, cw_alert_cols[k].name, c[k].text);
        }
    }
    for (lxw_col_t k = 0; k < CW_ALERT_NCOLS; k++) {
        const cw_alert_col *col = &cw_alert_cols[k];
        if (col->type == CW_COL_TEXT && c[k].text && c[k].text[0]) {
            worksheet_write_string(ws, r, k, c[k].text, NULL);
        } else if (col->type == CW_COL_DATE && c[k].day > 0) {
            int y, m, d;
            ck_day_to_ymd(c[k].day, &y, &m, &d);
            lxw_datetime dt = {y, m, d, 0, 0, 0};
            worksheet_write_datetime(ws, r, k, &dt, date);
        } else if ((col->type == CW_COL_INT || col->type == CW_COL_REAL) && !isnan(c[k].num)) {
            /* the CSV's value: the same whichever history the digits
             * beyond it went through (a server keeps 15 of them) */
            char v[48];
            snprintf(v, sizeof v, "%.*f", col->decimals, c[k].num);
            worksheet_write_number(ws, r, k, strtod(v, NULL),
                                   col->decimals == 4 ? num[0] : col->decimals == 6 ? num[1] : NULL);
        }
    }
}

int cw_xlsx_alerts(const char *path, cw_lang lang, const char *night, const cw_alert *al, int n)
{
    char tmp[PATH_MAX];
    if (cw_tmp_path(tmp, sizeof tmp, path))
        return -1;
    lxw_workbook *wb = workbook_new(tmp);
    if (!wb)
        return cw_error("%s: cannot create the workbook", tmp);
    int y, m, d;
    ck_day_to_ymd(ck_day_parse(night), &y, &m, &d);
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    lxw_doc_properties props = {.title = "chakrawatch alerts", .author = "chakrawatch " CW_VERSION,
                                .created = timegm(&tm)}; /* reproducible bytes */
    workbook_set_properties(wb, &props);
    lxw_worksheet *ws = workbook_add_worksheet(wb, lang == CW_LANG_EN ? "alerts" : "alertas");
    lxw_format *head = workbook_add_format(wb), *date = workbook_add_format(wb), *num4 = workbook_add_format(wb),
               *num6 = workbook_add_format(wb);
    format_set_bold(head);
    format_set_bg_color(head, 0xEEF2EC);
    format_set_num_format(date, "yyyy-mm-dd");
    format_set_num_format(num4, "0.0000");
    format_set_num_format(num6, "0.000000");
    for (size_t c = 0; c < CW_ALERT_NCOLS; c++) {
        worksheet_write_string(ws, 0, (lxw_col_t)c, lang == CW_LANG_EN ? cw_alert_cols[c].name : cols[c].es, head);
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, cols[c].width, NULL);
    }
    lxw_format *const num[2] = {num4, num6};
    for (int i = 0; i < n; i++)
        alert_row(ws, (lxw_row_t)(i + 1), lang, &al[i], date, num);
    worksheet_freeze_panes(ws, 1, 0);
    worksheet_autofilter(ws, 0, 0, (lxw_row_t)(n > 0 ? n : 1), CW_ALERT_NCOLS - 1);
    lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR) {
        unlink(tmp);
        return cw_error("%s: %s", path, lxw_strerror(e));
    }
    return cw_commit_file(tmp, path);
}
