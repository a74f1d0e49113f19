/*
 * cw_verify.h - `chakrawatch verify`: one verdict per plot over a period
 * (deforestation-free claims against a cut-off), from what the nightly job
 * observed and detected, with the evidence that backs it.
 *
 * Each plot (any OGR file, polygons or points with a radius, the user's
 * ids and attributes kept) is placed on the monitored tile that holds most
 * of it.  Its observations are read from the tile's observation records
 * (STATE/<tile>/obs/, one byte per pixel per scene, written by the pass:
 * clear exactly as the detector saw it, after SCL, buffers and the
 * temporal haze and shadow tests), its forest at the start from the
 * baseline, its loss from the confirmed alerts of the history (less the
 * ones the committee reviewed as false positives, with a note).  Verdicts:
 *   loss_after_cutoff         confirmed loss first detected after --from
 *   no_loss_observed          none, and enough clear observations
 *                             ([verify] min_clear_obs, max_gap_days,
 *                             max_never_share) back it
 *   insufficient_observation  neither; what is missing is said
 * Outputs in OUT: verdicts.csv, verdicts.gpkg and verdicts.geojson (the
 * plots with their verdicts), sheets/<plot>.html (printable A4 evidence
 * sheets with the plot map, before/after chips of any loss and a timeline
 * of observations; PDF with --pdf through headless Chromium),
 * provenance.json and manifest.sha256 (sha256sum format, paths relative
 * to OUT) over every file read and written.  The same inputs give the same
 * bytes, whatever the thread count; `verify --check OUT` re-hashes.
 */
#ifndef CW_VERIFY_H
#define CW_VERIFY_H

typedef struct {
    const char *config_path;
    const char *aoi;        /* the plots */
    const char *id_field;   /* NULL = the config's [aoi] id_field */
    const char *name_field; /* NULL = the config's */
    const char *from, *to;  /* YYYY-MM-DD; NULL = [verify] cutoff, the latest observation */
    const char *out;        /* NULL = OUTPUT/verify-FROM-TO */
    const char *lang;       /* es | en, NULL = the config's */
    int pdf;                /* also sheets/<plot>.pdf */
    int threads;
} cw_verify_opts;

/* 0 every plot has a verdict, 1 some item failed (reported), 2 unusable
 * configuration or input. */
int cw_verify_run(const cw_verify_opts *o);

/* Re-hashes DIR/manifest.sha256; prints what changed or is missing.
 * 0 all intact, 1 something changed, 2 no manifest. */
int cw_verify_check(const char *dir);

#endif
