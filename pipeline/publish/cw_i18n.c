/*
 * cw_i18n.c - the message table of cw_i18n.h.
 */
#include "publish/cw_i18n.h"
#include "ck_change.h"

#include <stdio.h>

#include <string.h>

static const char *const table[CW_NMESSAGES][2] = {
#define CW_MSG_ROW(id, es, en) [id] = {es, en},
    CW_MESSAGES(CW_MSG_ROW)
#undef CW_MSG_ROW
};

cw_lang cw_lang_from_code(const char *code) { return code && !strcmp(code, "en") ? CW_LANG_EN : CW_LANG_ES; }

const char *cw_lang_code(cw_lang l) { return l == CW_LANG_EN ? "en" : "es"; }

const char *cw_msg_get(cw_lang l, cw_msg m)
{
    if ((unsigned)m >= CW_NMESSAGES)
        return "";
    return table[m][l == CW_LANG_EN ? 1 : 0];
}

void cw_attribution(cw_lang l, int d0, int d1, char *buf, size_t n)
{
    char years[16] = "", y0[11], y1[11];
    ck_day_format(d0, y0);
    ck_day_format(d1, y1);
    if (d0 && d1 && strncmp(y0, y1, 4))
        snprintf(years, sizeof years, "%.4s-%.4s", y0, y1);
    else if (d1 || d0)
        snprintf(years, sizeof years, "%.4s", d1 ? y1 : y0);
    snprintf(buf, n, cw_msg_get(l, M_ATTRIB), years);
}
