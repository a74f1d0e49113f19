/*
 * cw_sheet.h - a plot's verdict and its printable evidence sheet (HTML,
 * A4, Spanish or English): the verdict in plain words, the facts behind
 * it, the plot map, before/after chips of any loss and a timeline of
 * observations with one tick per scene.  Filled by `chakrawatch verify`.
 */
#ifndef CW_SHEET_H
#define CW_SHEET_H

#include "cw_config.h"
#include "publish/cw_i18n.h"

#include <stdio.h>

typedef enum { CW_VD_NO_LOSS = 0, CW_VD_LOSS = 1, CW_VD_INSUFFICIENT = 2 } cw_verdict_kind;
const char *cw_verdict_name(int v); /* no_loss_observed, loss_after_cutoff, insufficient_observation */

/* What one scene showed of the plot. */
typedef enum { CW_TICK_CLEAR = 0, CW_TICK_CLOUDY = 1, CW_TICK_UNCOVERED = 2 } cw_tick_kind;
typedef struct {
    int day;
    int kind;           /* cw_tick_kind */
    double clear_share; /* of the plot's pixels */
} cw_tick;

typedef struct {
    char id[96], name[256];
    char tile[8];        /* "" = on no monitored tile */
    int verdict;         /* cw_verdict_kind */
    double area_ha;      /* of the plot as verified (points: their circle) */
    double forest_share; /* canopy in the baseline, NAN unknown */
    int n_clear;         /* scenes that saw at least [aoi] clear_share of it clear */
    int gap;             /* longest run of days without one, period edges included */
    double never_share;  /* of its pixels never seen clear in the period */
    int n_scenes;        /* scenes of its tile in the period */
    cw_tick *ticks;      /* n_scenes, acquisition order (owned) */
    double loss_ha;      /* confirmed loss inside the plot */
    int loss_first, loss_last; /* first detections, ck days */
    char loss_ids[1024], loss_classes[64];
    char why[768];       /* insufficient: what is missing */
    char notes[1024];    /* alerts left out and why, other remarks */
    char map_png[128];   /* file names beside the sheet, "" = none */
    char chips[8][160];
    int nchips;
} cw_plot_verdict;

typedef struct {
    cw_lang lang;
    const cw_config *cfg;
    int from, to;        /* the period, ck days */
    const char *version; /* "chakrawatch 0.1.0 (commit ...)" */
} cw_sheet_ctx;

/* The sheet of one plot into path (through a temporary). */
int cw_sheet_write(const cw_sheet_ctx *c, const cw_plot_verdict *v, const char *path);

/* The verdict in plain words (the sheet's sentence, also verdicts.csv's). */
void cw_verdict_words(const cw_sheet_ctx *c, const cw_plot_verdict *v, char *buf, size_t n);

#endif
