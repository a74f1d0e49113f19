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

typedef enum { C_TEXT, C_INT, C_NUM, C_DATE } col_type;

/* The columns of alerts.csv, with their Spanish names. */
static const struct {
    const char *en, *es;
    col_type t;
    double width;
} cols[] = {
    {"alert_id", "alerta", C_TEXT, 30},          {"tile_id", "tesela", C_TEXT, 8},
    {"class", "clase", C_TEXT, 14},              {"confidence", "confianza", C_INT, 10},
    {"confidence_label", "nivel_confianza", C_TEXT, 12}, {"status", "estado", C_TEXT, 12},
    {"first_detected", "primera_deteccion", C_DATE, 12}, {"confirmed_on", "confirmada_el", C_DATE, 12},
    {"last_observed", "ultima_observacion", C_DATE, 12}, {"n_anomalous_obs", "obs_anomalas", C_INT, 10},
    {"area_ha", "superficie_ha", C_NUM, 10},     {"lat", "latitud", C_NUM, 11},
    {"lon", "longitud", C_NUM, 11},              {"ndvi_before", "ndvi_antes", C_NUM, 10},
    {"ndvi_after", "ndvi_despues", C_NUM, 10},   {"aoi_id", "area_id", C_TEXT, 12},
    {"aoi_kind", "tipo_area", C_TEXT, 11},       {"aoi_name", "nombre_area", C_TEXT, 24},
    {"relation", "relacion", C_TEXT, 12},        {"distance_m", "distancia_m", C_NUM, 10},
    {"scenes", "escenas", C_TEXT, 30},           {"other_aois", "otras_areas", C_TEXT, 16},
    {"pixels", "pixeles", C_INT, 8},             {"reason", "motivo", C_TEXT, 30},
};
#define NCOLS (sizeof cols / sizeof cols[0])

static void put_date(lxw_worksheet *ws, int r, int c, int day, lxw_format *fmt)
{
    if (day <= 0)
        return;
    int y, m, d;
    ck_day_to_ymd(day, &y, &m, &d);
    lxw_datetime dt = {y, m, d, 0, 0, 0};
    worksheet_write_datetime(ws, (lxw_row_t)r, (lxw_col_t)c, &dt, fmt);
}

static void put_num(lxw_worksheet *ws, int r, int c, double v, lxw_format *fmt)
{
    if (!isnan(v))
        worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, v, fmt);
}

static void alert_row(lxw_worksheet *ws, int r, const cw_alert *a, lxw_format *date, lxw_format *num4,
                      lxw_format *num6)
{
    /* strings go in as strings: a cell of text is never a formula, so
     * users' names need no quote mark here */
    const char *text[NCOLS] = {a->id, a->tile, cw_class_name(a->cls), NULL, cw_conf_label(a->confidence),
                               cw_status_name(a->status)};
    text[15] = a->aoi_id;
    text[16] = a->aoi_kind[0] ? a->aoi_kind : "none";
    text[17] = a->aoi_name;
    text[18] = a->relation[0] ? a->relation : "outside";
    text[20] = a->scenes;
    text[21] = a->other_aois;
    text[23] = a->reason;
    for (size_t c = 0; c < NCOLS; c++)
        if (cols[c].t == C_TEXT && text[c] && text[c][0])
            worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, text[c], NULL);
    worksheet_write_number(ws, (lxw_row_t)r, 3, a->confidence, NULL);
    put_date(ws, r, 6, a->first_day, date);
    put_date(ws, r, 7, a->conf_day, date);
    put_date(ws, r, 8, a->last_day, date);
    worksheet_write_number(ws, (lxw_row_t)r, 9, a->n_anom, NULL);
    put_num(ws, r, 10, a->area_ha, num4);
    put_num(ws, r, 11, a->lat, num6);
    put_num(ws, r, 12, a->lon, num6);
    put_num(ws, r, 13, a->ndvi_before, num4);
    put_num(ws, r, 14, a->ndvi_after, num4);
    put_num(ws, r, 19, a->distance_m, NULL);
    worksheet_write_number(ws, (lxw_row_t)r, 22, (double)a->npx, NULL);
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
    for (size_t c = 0; c < NCOLS; c++) {
        worksheet_write_string(ws, 0, (lxw_col_t)c, lang == CW_LANG_EN ? cols[c].en : cols[c].es, head);
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, cols[c].width, NULL);
    }
    for (int i = 0; i < n; i++)
        alert_row(ws, i + 1, &al[i], date, num4, num6);
    worksheet_freeze_panes(ws, 1, 0);
    worksheet_autofilter(ws, 0, 0, (lxw_row_t)(n > 0 ? n : 1), NCOLS - 1);
    lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR) {
        unlink(tmp);
        return cw_error("%s: %s", path, lxw_strerror(e));
    }
    return cw_commit_file(tmp, path);
}
