/*
 * cw_csv.h - RFC 4180 fields of the CSV outputs (alerts.csv,
 * aoi_summary.csv, verdicts.csv), written for spreadsheets: every text
 * field is treated as the user's and can never start a formula; and the
 * reader of the sheets people send back.
 */
#ifndef CW_CSV_H
#define CW_CSV_H

#include <stddef.h>
#include <stdio.h>

/* Quoted when it holds , " CR or LF; a leading ' when a spreadsheet would
 * take it for a formula (= + - @ first, also after blanks, or a leading
 * tab or carriage return). */
void cw_csv_text(FILE *f, const char *s);
/* An identifier: always quoted, so a spreadsheet that formats quoted
 * fields as text keeps "00042" as it is (and neutralised as cw_csv_text). */
void cw_csv_id(FILE *f, const char *s);
/* The UTF-8 byte order mark that tells Excel on Windows the encoding;
 * first in every CSV file (never on a pipe). */
void cw_csv_bom(FILE *f);
/* Fixed decimals; nothing for NaN (an empty cell), never "-0". */
void cw_csv_num(FILE *f, double v, int decimals);

/* Reading what people send back (a review sheet): one RFC 4180 record
 * starting at *p (quotes, doubled quotes, separators and line breaks
 * inside quotes; CRLF or LF), split at sep into at most CW_CSV_MAXF fields
 * that point into buf (n bytes).  1 a record (*p moves past it), 0 the
 * end, -1 with cw_error() (too long, an unterminated quote). */
#define CW_CSV_MAXF 64
int cw_csv_record(const char **p, char sep, char *buf, size_t n, char **fields, int *nf);

#endif
