/*
 * cw_i18n.c - the message table of cw_i18n.h.
 */
#include "publish/cw_i18n.h"
#include "ck_change.h"
#include "cw_util.h"
#include "monitor/cw_aoi.h"
#include "store/cw_history.h"

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

/* The Spanish of each reason, its values (%s) in the English's order. */
static const struct {
    const char *en, *es;
} reasons[] = {
    {CW_REASON_MMU, "por debajo de la unidad mínima de mapeo (%s ha)"},
    {CW_REASON_RIVER,
     "dinámica del río: suelo desnudo o húmedo junto al cauce de referencia, sin poza apartada de "
     "él (erosión de la orilla o una playa de arena)"},
    {CW_REASON_REVIEWED_BY, "revisada como falso positivo el %s por %s: no se vuelve a publicar"},
    {CW_REASON_REVIEWED, "revisada como falso positivo el %s: no se vuelve a publicar"},
    {CW_REASON_MERGED,
     "unida a %s: sus píxeles crecieron junto con los de esa alerta (la primera del evento) y se "
     "informan allí"},
    {CW_REASON_EXPIRED,
     "no confirmada: menos de %s observaciones anómalas entre las %s siguientes despejadas en %s "
     "días"},
    {CW_REASON_REVERTED,
     "revertida: volvió a lo esperado para la estación (NDVI y NBR) en %s observaciones "
     "despejadas seguidas dentro de %s días desde la primera anomalía; no es pérdida (una "
     "sequía, un invierno, una inundación)"},
};

#define REASON_ARGS 3

/* The values of text written with printf format fmt, as strings: each
 * conversion's text runs to where the format's next literal text starts
 * (to the end after the last).  Returns how many, or -1 when text does not
 * follow fmt. */
static int unformat(const char *fmt, const char *text, char args[REASON_ARGS][256])
{
    int n = 0;
    while (*fmt) {
        if (*fmt != '%') {
            if (*text++ != *fmt++)
                return -1;
            continue;
        }
        fmt += strcspn(fmt, "dfs") + 1; /* flags, precision: up to the conversion */
        const size_t lit = strcspn(fmt, "%"); /* the literal text up to the next conversion */
        const char *end = text;
        if (!lit)
            end += strlen(end); /* the last conversion: the rest */
        else
            while (*end && strncmp(end, fmt, lit)) /* where that literal text first follows */
                end++;
        if (n == REASON_ARGS || end == text || (lit && !*end))
            return -1;
        snprintf(args[n++], sizeof args[0], "%.*s", (int)(end - text), text);
        text = end;
    }
    return *text ? -1 : n;
}

void cw_reason_text(cw_lang l, const char *reason, char *buf, size_t n)
{
    char args[REASON_ARGS][256];
    if (l != CW_LANG_EN && unformat(CW_REASON_WITHDRAWN, reason, args) == 1) {
        char why[320];
        cw_reason_text(l, args[0], why, sizeof why);
        snprintf(buf, n, "retirada: %s", why);
        return;
    }
    for (size_t k = 0; l != CW_LANG_EN && k < sizeof reasons / sizeof reasons[0]; k++)
        if (unformat(reasons[k].en, reason, args) >= 0) {
            snprintf(buf, n, reasons[k].es, args[0], args[1], args[2]);
            return;
        }
    cw_strlcpy(buf, reason, n);
}

cw_msg cw_rel_msg(const char *rel)
{
    static const cw_msg m[CW_REL_OUTSIDE] = {M_REL_INSIDE, M_REL_0_500, M_REL_500_1000, M_REL_1000_2000};
    for (int r = 0; r < CW_REL_OUTSIDE; r++)
        if (!strcmp(rel, cw_rel_name(r)))
            return m[r];
    return M_REL_OUTSIDE;
}
