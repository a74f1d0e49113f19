/*
 * cw_report.h - the night's picture outputs: PNG maps (cw_maps.h) of every
 * tile that changed, and report.html, a self-contained bilingual page for
 * the cooperation-table secretariats (alerts grouped by area with their
 * evidence chips, evidence of observation per area, what was processed
 * and what failed).  Also the per-AOI summary shared with aoi_summary.csv.
 */
#ifndef CW_REPORT_H
#define CW_REPORT_H

#include "monitor/cw_aoi.h"
#include "cw_config.h"
#include "store/cw_history.h"
#include "publish/cw_maps.h"

/* One area of interest over the whole history. */
typedef struct {
    double area_ha;     /* NAN when unknown */
    double ha[2][4];    /* confirmed hectares by class (loss, mining) and relation (inside, rings) */
    int n_clear;        /* scenes in which the area counted as observed */
    int last_clear;     /* day of the latest such scene, 0 = none */
    int gap;            /* longest run of days without a clear observation, -1 = no scene yet */
    double never_share; /* share of its pixels never seen clear */
    int scenes_seen;    /* scenes that covered it */
    int reviewed[2][3]; /* its alerts by class (loss, mining) and latest review (CW_RV_*) */
} cw_aoi_summary;

/* One row per AOI of the set (same order); *latest = newest observation day.
 * Alerts the committee reviewed as false positives count in no hectares. */
int cw_aoi_summaries(const cw_config *cfg, const cw_aoi_set *as, cw_history *h, cw_aoi_summary **out, int *latest);

typedef struct {
    const cw_config *cfg;
    const cw_common_opts *co;
    const cw_aoi_set *as;
    cw_history *h;
    const char *night;
    const char *outdir;          /* OUTPUT/<night> */
    const cw_map_scene *scenes;  /* every readable scene of the inboxes, by tile then date */
    int nscenes;
    const cw_aoi_summary *summ;  /* cw_aoi_summaries() of the night, one per AOI of `as` */
    const char *from;            /* NULL: the night's report; else the period from..night (report command) */
} cw_report_in;

/* Maps into OUTDIR/maps/ and OUTDIR/report.html.  A map that cannot be
 * made is reported and the rest go on; -1 when the report itself failed.
 * "What failed" lists the run's captured warnings (cw_warn_capture), those
 * of the maps included. */
int cw_report_night(const cw_report_in *in, int *failed);

#endif
