/*
 * cw_raster_opts.c - shared raster options, their strip job, pixel shares.
 */
#include "ingest/cw_raster_opts.h"
#include "cw_util.h"

#include <math.h>
#include <string.h>

void cw_common_opts_default(cw_common_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mask = CW_MASK_SCL;
    o->cloud_buffer_m = 100.0;
    o->shadow_buffer_m = 50.0;
    o->rules = ck_scl_rules_default();
}

int cw_parse_scl_classes(const char *list, ck_scl_rules *r)
{
    char buf[256];
    cw_strlcpy(buf, list, sizeof buf);
    r->invalid = r->cloud = r->shadow = 0;
    for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
        long c;
        if (cw_parse_long(tok, 0, 11, &c))
            return cw_error_prefix("SCL class list '%s'", list);
        if (c == 6)
            return cw_error("SCL class 6 (water) cannot be masked: open water is the mining-pond signal");
        uint16_t bit = (uint16_t)(1u << c);
        if (c == 8 || c == 9 || c == 10)
            r->cloud |= bit;
        else if (c == 3)
            r->shadow |= bit;
        else if (c != 0) /* 0 is always no data */
            r->invalid |= bit;
    }
    return 0;
}

void cw_strip_job_init(cw_strip_job *job, const cw_common_opts *o, const cw_scene *s)
{
    memset(job, 0, sizeof *job);
    job->mask = o->mask;
    job->rules = o->rules;
    job->rules.cloud_r = (int)lround(o->cloud_buffer_m / s->res);
    job->rules.shadow_r = (int)lround(o->shadow_buffer_m / s->res);
    job->threads = o->threads;
    job->strip_rows = o->strip_rows;
    job->mem_budget = o->mem_budget;
    job->quantum = 1;
}

void cw_pixel_stats_add(cw_pixel_stats *ps, const cw_strip *st)
{
    uint64_t n[CK_NCOUNTS] = {0};
    ck_mask_count(st->mask, st->scl, st->width * (size_t)st->nrows, n);
    cw_pixel_stats_sum(ps, &(cw_pixel_stats){.total = st->width * (size_t)st->nrows,
                                             .valid = n[CK_COUNT_VALID],
                                             .cloud = n[CK_COUNT_CLOUD],
                                             .shadow = n[CK_COUNT_SHADOW],
                                             .water = n[CK_COUNT_WATER],
                                             .nodata = n[CK_COUNT_NODATA],
                                             .invalid = n[CK_COUNT_OTHER]});
}

void cw_pixel_stats_sum(cw_pixel_stats *ps, const cw_pixel_stats *add)
{
    ps->total += add->total;
    ps->valid += add->valid;
    ps->cloud += add->cloud;
    ps->shadow += add->shadow;
    ps->water += add->water;
    ps->nodata += add->nodata;
    ps->invalid += add->invalid;
}
