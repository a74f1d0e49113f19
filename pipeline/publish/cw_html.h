/*
 * cw_html.h - text into HTML or XML (report.html, evidence sheets, GDAL's
 * .aux.xml): every character that could open markup or end an attribute
 * is an entity, so text from users' files stays text.
 */
#ifndef CW_HTML_H
#define CW_HTML_H

#include <stdio.h>

/* s (NULL is empty) with & < > " ' as entities. */
void cw_html_esc(FILE *f, const char *s);

#endif
