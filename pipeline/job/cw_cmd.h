/*
 * cw_cmd.h - the commands of chakrawatch as library calls; main.c only
 * parses the command line into these option structs.
 */
#ifndef CW_CMD_H
#define CW_CMD_H

#include "ingest/cw_gtiff.h"
#include "ingest/cw_raster_opts.h"

#include <stdio.h>

typedef struct {
    cw_common_opts c;
    const char *out_dir;
    const char *index_list; /* "ndvi,nbr" */
    cw_out_type type;
    cw_codec codec;
    int level; /* CW_LEVEL_DEFAULT: ZSTD CW_INDICES_ZSTD_LEVEL, DEFLATE 6 */
} cw_indices_opts;

/* Index rasters are written at ZSTD's fast level -3 unless told: 6.5 % larger
 * than level 1 for a third less compression CPU (make bench). */
#define CW_INDICES_ZSTD_LEVEL (-3)

int cw_info_run(const char *scene_path, const cw_common_opts *o, FILE *out);
int cw_indices_run(const char *scene_path, const cw_indices_opts *o);

#endif
