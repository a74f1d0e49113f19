/*
 * cw_run.h - the nightly job (`chakrawatch run CONFIG`) and the history
 * export (`chakrawatch alerts`).
 *
 * A run finds the scenes of the inbox folders not yet processed, groups
 * them by tile and processes each tile's new scenes in acquisition order
 * (cw_monitor.h), then writes the night's outputs into
 * OUTPUT/<night>/: alerts.csv (new or changed alerts), aoi_summary.csv
 * (per-AOI totals and evidence of observation), history.gpkg (a copy of
 * the history) and logs/run-<time>.log.  Every output is written to a
 * temporary file and renamed.
 */
#ifndef CW_RUN_H
#define CW_RUN_H

#include "cw_config.h"

#include <stdio.h>

typedef struct {
    const char *config_path;
    const char *night; /* YYYY-MM-DD, NULL = today (UTC) */
    int threads;       /* > 0 overrides the configuration */
    int verbose;
    int lock_held; /* the caller holds the state's lock (cw_state_lock) */
    const char *replay_from; /* reprocess --from: scenes of replay_tile before it are not replayed */
    const char *replay_tile;
    const char *only_tile; /* run --tile T: this tile's scenes only, no night outputs */
    int outputs_only;      /* finish --night D: the night's outputs from the history, no scene */
} cw_run_opts;

/* `chakrawatch plan CONFIG`: the tiles with scenes not yet in the history,
 * one per line (for an array job: one `run --tile T` each, then `finish`). */
int cw_plan(const char *config_path);

/* 0: everything went through; 1: some items failed (reported);
 * 2: the configuration is unusable. */
int cw_run(const cw_run_opts *o);

/* The state folder's lock (STATE/.lock): one run, review, reprocess or
 * verify at a time on a state; waits [job] lock_wait_s, then -1 naming
 * the holder.  Release with cw_lock_drop(). */
int cw_state_lock(const cw_config *cfg);

/* `chakrawatch reprocess CONFIG --tile T [--from D]`: the tile's state is set aside
 * (STATE/replaced/T-NIGHT, nothing deleted), its bookkeeping in the history
 * forgotten, and the night's run processes every scene of the tile still
 * in the inboxes again with the configuration's settings; its alerts keep
 * their ids where the same events come out.  With --from, scenes acquired
 * before D are not replayed (recorded as not_replayed, never merged later):
 * the baseline then comes from the reference scenes on or after D.  Same
 * exit codes as cw_run.
 * Interrupted, it is simply run again. */
int cw_reprocess(const cw_run_opts *o, const char *tile);

/* `chakrawatch report CONFIG --from D --to D`: report.html and its maps
 * over any period (since the last cooperation-table meeting): every alert
 * with an event in the period, as it is now; the scenes of its nights. */
typedef struct {
    const char *config_path;
    const char *from, *to; /* YYYY-MM-DD, both required */
    const char *out;       /* NULL = OUTPUT/report-FROM-TO */
} cw_period_opts;

int cw_report_period(const cw_period_opts *o);

typedef struct {
    const char *config_path;
    const char *since; /* YYYY-MM-DD */
    const char *format; /* csv geojson gpkg shp (zipped) kml kmz */
    const char *out;   /* file, NULL = standard output */
} cw_export_opts;

int cw_alerts_export(const cw_export_opts *o);

#endif
