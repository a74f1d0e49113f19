/*
 * cw_csv.h - RFC 4180 fields of the CSV outputs (alerts.csv,
 * aoi_summary.csv, verdicts.csv), written for spreadsheets: every text
 * field is treated as the user's and can never start a formula.
 */
#ifndef CW_CSV_H
#define CW_CSV_H

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

#endif
