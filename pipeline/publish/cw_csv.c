/* cw_csv.c - see cw_csv.h. */
#include "publish/cw_csv.h"
#include "cw_util.h"

#include <math.h>
#include <string.h>

/* Would a spreadsheet take this text for a formula?  = + - @ first, also
 * after leading blanks (LibreOffice and Excel skip them), or a leading tab
 * or carriage return. */
static int formula_like(const char *s)
{
    if (s[0] == '\t' || s[0] == '\r')
        return 1;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == '=' || *s == '+' || *s == '-' || *s == '@';
}

/* RFC 4180 field.  Every text field is treated as the user's: ids carry
 * tile names from metadata, scenes carry file names, AOI fields come from
 * users' files; none can start a formula. */
static void field(FILE *f, const char *s, int always)
{
    int quote = always || strpbrk(s, ",;\"\r\n") != NULL;
    int neutral = formula_like(s);
    if (quote || neutral)
        fputc('"', f);
    if (neutral)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    if (quote || neutral)
        fputc('"', f);
}

void cw_csv_num(FILE *f, double v, int decimals)
{
    if (!isnan(v))
        fprintf(f, "%.*f", decimals, v == 0 ? 0.0 : v);
}

void cw_csv_text(FILE *f, const char *s) { field(f, s, 0); }
void cw_csv_id(FILE *f, const char *s) { field(f, s, 1); }
void cw_csv_bom(FILE *f) { fputs("\xEF\xBB\xBF", f); }

int cw_csv_record(const char **p, char sep, char *buf, size_t n, char **fields, int *nf)
{
    const char *s = *p;
    size_t j = 0;
    *nf = 0;
    if (!*s)
        return 0;
    fields[(*nf)++] = buf;
    int q = 0;
    for (;; s++) {
        char c = *s;
        if (j + 2 >= n)
            return cw_error("a CSV record longer than %zu bytes", n);
        if (q) {
            if (!c)
                return cw_error("a quoted CSV field never ends");
            if (c == '"' && s[1] == '"') {
                buf[j++] = '"';
                s++;
            } else if (c == '"') {
                q = 0;
            } else {
                buf[j++] = c;
            }
        } else if (c == '"') {
            q = 1;
        } else if (c == sep) {
            buf[j++] = '\0';
            if (*nf == CW_CSV_MAXF)
                return cw_error("more than %d CSV columns", CW_CSV_MAXF);
            fields[(*nf)++] = buf + j;
        } else if (!c || c == '\n' || (c == '\r' && s[1] == '\n')) {
            buf[j] = '\0';
            *p = !c ? s : c == '\r' ? s + 2 : s + 1;
            return 1;
        } else {
            buf[j++] = c;
        }
    }
}
