/*
 * cw_inbox.h - the scenes of the configuration's inbox folders: every
 * folder, GeoTIFF or zipped .SAFE opened (metadata only), by tile, then
 * acquisition date, then newest processing baseline first.
 */
#ifndef CW_INBOX_H
#define CW_INBOX_H

#include "cw_config.h"
#include "ingest/cw_scene.h"

typedef struct {
    cw_scene s;
    int day; /* ck day number of the acquisition */
} cw_inbox_item;

/* Scenes that cannot be read are reported (cw_warn) and counted in
 * *failed; -1 only when out of memory. */
int cw_inbox_discover(const cw_config *c, const cw_common_opts *co, cw_inbox_item **out, int *n, int *failed);
void cw_inbox_free(cw_inbox_item *items, int n);

#endif
