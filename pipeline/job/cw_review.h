/*
 * cw_review.h - the committee's verdicts on alerts, fed back into the
 * history (layer alert_reviews): one alert from the command line, or a
 * column filled in by a secretariat in a spreadsheet (CSV, comma or
 * semicolon, UTF-8 with or without BOM).  Reviews are appended, never
 * changed or deleted; an alert's latest review is its verdict.  A false
 * positive is not published again when its pixels trigger again, is shown
 * struck out in the report and is left out of plot verdicts.
 */
#ifndef CW_REVIEW_H
#define CW_REVIEW_H

typedef struct {
    const char *config_path;
    const char *alert_id; /* one alert, or NULL with csv */
    const char *status;   /* verified | false_positive | unsure (Spanish words too) */
    const char *note, *by;
    const char *csv;      /* file with columns alert_id and review (or revision) */
    const char *on;       /* YYYY-MM-DD of the review, NULL = today (UTC) */
} cw_review_opts;

/* 0 all recorded, 1 some rows refused (each reported), 2 unusable input. */
int cw_review_run(const cw_review_opts *o);

#endif
