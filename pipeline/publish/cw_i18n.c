/*
 * cw_i18n.c - the message table of cw_i18n.h.
 */
#include "publish/cw_i18n.h"

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
