/*
 * cw_xlsx.h - alerts.xlsx beside alerts.csv (libxlsxwriter): what a
 * secretariat opens in LibreOffice or Excel under any locale without an
 * import dialog - numbers as numbers, dates as dates, ids as text, the
 * header in the run's language, frozen, with filters.  The same alerts
 * give the same bytes (the workbook's dates are the night's).
 */
#ifndef CW_XLSX_H
#define CW_XLSX_H

#include "publish/cw_i18n.h"
#include "store/cw_history.h"

/* Written through a temporary name beside path, then renamed. */
int cw_xlsx_alerts(const char *path, cw_lang lang, const char *night, const cw_alert *al, int n);

#endif
