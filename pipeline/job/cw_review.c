/* cw_review.c - see cw_review.h.  Runs by hand or after a meeting, never
 * on the pixel path. */
#include "job/cw_review.h"
#include "job/cw_run.h"
#include "publish/cw_csv.h"
#include "cw_config.h"
#include "store/cw_history.h"
#include "cw_util.h"

#include <cpl_conv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The review words people write, English and Spanish, any case. */
static int review_word(const char *s)
{
    static const struct {
        const char *w;
        int r;
    } words[] = {{"verified", CW_RV_VERIFIED},           {"verificada", CW_RV_VERIFIED},
                 {"verificado", CW_RV_VERIFIED},         {"confirmada", CW_RV_VERIFIED},
                 {"false_positive", CW_RV_FALSE_POSITIVE}, {"false positive", CW_RV_FALSE_POSITIVE},
                 {"falso_positivo", CW_RV_FALSE_POSITIVE}, {"falso positivo", CW_RV_FALSE_POSITIVE},
                 {"unsure", CW_RV_UNSURE},               {"dudosa", CW_RV_UNSURE},
                 {"incierta", CW_RV_UNSURE}};
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].w) == n && !strncasecmp(s, words[i].w, n))
            return words[i].r;
    return -1;
}

/* One review after its checks; 1 refused (reported), 0 recorded or the
 * same as the alert's latest (nothing to add), -1 history error. */
static int review_one(cw_history *h, const cw_review *all, int nall, cw_review *r, const char *where)
{
    cw_alert a;
    if (!cw_history_alert_get(h, r->alert_id, &a)) {
        cw_warn("%s: no alert %s in the history; not recorded", where, r->alert_id);
        return 1;
    }
    if (cw_utf8_clean(r->note, sizeof r->note) || cw_utf8_clean(r->reviewer, sizeof r->reviewer))
        cw_warn("%s: text that is not UTF-8 was replaced", where);
    const cw_review *last = cw_review_latest(all, nall, r->alert_id);
    if (last && last->review == r->review && !strcmp(last->note, r->note) && !strcmp(last->reviewer, r->reviewer)) {
        cw_info("%s: %s already reviewed %s; nothing to add", where, r->alert_id, cw_review_name(r->review));
        return 0;
    }
    if (cw_history_review_put(h, r))
        return -1;
    cw_note("%s: %s (%s, %s) reviewed %s", where, r->alert_id, cw_class_name(a.cls), cw_status_name(a.status),
            cw_review_name(r->review));
    return 0;
}

/* ------------------------------------------------------------- CSV */

static int column(char **f, int nf, const char *const *names)
{
    for (int i = 0; i < nf; i++)
        for (const char *const *n = names; *n; n++)
            if (!strcasecmp(f[i], *n))
                return i;
    return -1;
}

/* A review sheet as one NUL-terminated text (at most 16 MiB), or NULL. */
static char *slurp(const char *path)
{
    char why[160];
    if (cw_file_problem(path, why, sizeof why)) {
        cw_error("%s: %s", path, why);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    char *text = f ? malloc(1 << 24) : NULL;
    size_t len = text ? fread(text, 1, (1 << 24) - 1, f) : 0;
    if (f)
        fclose(f);
    if (!text) {
        cw_error("%s: %s", path, f ? "out of memory" : strerror(errno));
        return NULL;
    }
    if (len == (1 << 24) - 1) {
        free(text);
        cw_error("%s: larger than 16 MiB; not a review sheet", path);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* The file's reviews: header names in English or Spanish; rows with an
 * empty review cell are skipped (a spreadsheet where only some rows were
 * reviewed). */
static int review_csv(cw_history *h, const cw_review_opts *o, int day, int *refused)
{
    char *text = slurp(o->csv);
    if (!text)
        return -1;
    const char *p = text;
    if (!strncmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    const char *eol = strpbrk(p, "\r\n");
    size_t hl = eol ? (size_t)(eol - p) : strlen(p);
    size_t commas = 0, semis = 0;
    for (size_t i = 0; i < hl; i++) {
        commas += p[i] == ',';
        semis += p[i] == ';';
    }
    const char sep = semis > commas ? ';' : ',';
    char *buf = malloc(1 << 16), *fl[CW_CSV_MAXF];
    int nf, rc = 0;
    static const char *const c_id[] = {"alert_id", "id_alerta", NULL};
    static const char *const c_rv[] = {"review", "revision", "revisión", NULL};
    static const char *const c_note[] = {"review_note", "note", "nota", NULL};
    static const char *const c_by[] = {"reviewer", "revisado_por", "by", NULL};
    if (!buf || cw_csv_record(&p, sep, buf, 1 << 16, fl, &nf) <= 0) {
        rc = cw_error("%s: %s", o->csv, buf ? "no header line" : "out of memory");
        goto done;
    }
    const int ci = column(fl, nf, c_id), cr = column(fl, nf, c_rv), cn = column(fl, nf, c_note),
              cb = column(fl, nf, c_by);
    if (ci < 0 || cr < 0) {
        rc = cw_error("%s: needs the columns alert_id and review (revision): verified, false_positive or unsure",
                      o->csv);
        goto done;
    }
    cw_review *all = NULL;
    int nall = 0;
    if (cw_history_reviews(h, &all, &nall)) {
        rc = -1;
        goto done;
    }
    const char *base = strrchr(o->csv, '/');
    for (int line = 2;; line++) {
        int got = cw_csv_record(&p, sep, buf, 1 << 16, fl, &nf);
        if (got < 0) {
            rc = cw_error_prefix("%s line %d: ", o->csv, line);
            break;
        }
        if (!got)
            break;
        if (nf <= ci || nf <= cr || !fl[cr][0])
            continue;
        char where[PATH_MAX + 32];
        snprintf(where, sizeof where, "%s line %d", o->csv, line);
        cw_review r;
        memset(&r, 0, sizeof r);
        r.review = review_word(fl[cr]);
        if (r.review < 0) {
            cw_warn("%s: review '%.40s' is not verified, false_positive or unsure; not recorded", where, fl[cr]);
            (*refused)++;
            continue;
        }
        cw_strlcpy(r.alert_id, fl[ci], sizeof r.alert_id);
        r.day = day;
        cw_strlcpy(r.note, cn >= 0 && nf > cn ? fl[cn] : o->note ? o->note : "", sizeof r.note);
        cw_strlcpy(r.reviewer, cb >= 0 && nf > cb && fl[cb][0] ? fl[cb] : o->by ? o->by : "", sizeof r.reviewer);
        snprintf(r.source, sizeof r.source, "csv %s line %d", base ? base + 1 : o->csv, line);
        int k = review_one(h, all, nall, &r, where);
        if (k < 0) {
            rc = -1;
            break;
        }
        *refused += k;
        if (k == 0) { /* later rows see this one as the latest */
            cw_review *na = realloc(all, (size_t)(nall + 1) * sizeof *na);
            if (!na) {
                rc = cw_error("out of memory");
                break;
            }
            all = na;
            all[nall++] = r;
        }
    }
    free(all);
done:
    free(buf);
    free(text);
    return rc;
}

static int review_locked(const cw_review_opts *o, cw_review *onep, const char *hpath, const char *cur, int day);

int cw_review_run(const cw_review_opts *o)
{
    cw_config cfg;
    if (cw_config_load(o->config_path, &cfg)) {
        cw_warn("%s", cw_errmsg());
        return 2;
    }
    char day_s[11];
    if (o->on) {
        if (!cw_valid_ymd(o->on)) {
            cw_warn("--on %s is not a date YYYY-MM-DD", o->on);
            return 2;
        }
        cw_strlcpy(day_s, o->on, sizeof day_s);
    } else {
        cw_today_ymd(day_s);
    }
    cw_review one;
    memset(&one, 0, sizeof one);
    if (!o->csv) {
        if (!o->alert_id || !o->status) {
            cw_warn("review: give ALERT_ID and --status verified|false_positive|unsure, or --csv FILE");
            return 2;
        }
        if ((one.review = review_word(o->status)) < 0) {
            cw_warn("review: --status %s is not verified, false_positive or unsure", o->status);
            return 2;
        }
    }
    char hpath[PATH_MAX], cur[40];
    if (cw_history_location(&cfg, hpath, sizeof hpath) || !cw_history_exists(hpath)) {
        cw_warn("review: no history at %s: the nightly job has not run yet", hpath);
        return 2;
    }
    snprintf(cur, sizeof cur, "%sT00:00:00.000Z", day_s);
    CPLSetConfigOption("OGR_CURRENT_DATE", cur);
    const int lock = cw_state_lock(&cfg); /* never while a night writes the history */
    if (lock < 0) {
        cw_warn("review: %s", cw_errmsg());
        return 1;
    }
    int rc = review_locked(o, &one, hpath, cur, ck_day_parse(day_s));
    cw_lock_drop(lock);
    return rc;
}

static int review_locked(const cw_review_opts *o, cw_review *onep, const char *hpath, const char *cur, int day)
{
    cw_review one = *onep;
    cw_history *h = cw_history_open(hpath, 1);
    if (!h) {
        cw_warn("%s", cw_errmsg());
        return 1;
    }
    int refused = 0, rc = cw_history_begin(h);
    if (!rc && o->csv) {
        rc = review_csv(h, o, day, &refused);
    } else if (!rc) {
        cw_review *all = NULL;
        int nall = 0;
        cw_strlcpy(one.alert_id, o->alert_id, sizeof one.alert_id);
        one.day = day;
        cw_strlcpy(one.note, o->note ? o->note : "", sizeof one.note);
        cw_strlcpy(one.reviewer, o->by ? o->by : "", sizeof one.reviewer);
        cw_strlcpy(one.source, "command line", sizeof one.source);
        rc = cw_history_reviews(h, &all, &nall);
        int k = rc ? -1 : review_one(h, all, nall, &one, "review");
        rc = k < 0 ? -1 : 0;
        refused += k > 0;
        free(all);
    }
    if (rc) {
        cw_warn("review: %s; nothing recorded", cw_errmsg());
        cw_history_rollback(h);
        cw_history_close(h);
        return o->csv ? 2 : 1;
    }
    if (cw_history_commit(h) || cw_history_close(h) || cw_history_canonicalize(hpath, cur)) {
        cw_warn("review: %s", cw_errmsg());
        return 1;
    }
    return refused ? 1 : 0;
}
