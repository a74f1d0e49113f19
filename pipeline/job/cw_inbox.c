/* cw_inbox.c - see cw_inbox.h. */
#include "job/cw_inbox.h"
#include "cw_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static int item_cmp(const void *pa, const void *pb)
{
    const cw_inbox_item *a = pa, *b = pb;
    int c = strcmp(a->s.tile, b->s.tile);
    if (c)
        return c;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    /* two products of one tile and day (a reprocessing, an overlapping
     * datatake): the newest processing baseline first, then the latest
     * generation (names sort by it from the end), so it is the one merged */
    c = strcmp(b->s.baseline, a->s.baseline);
    if (c)
        return c;
    c = strcmp(b->s.product_id, a->s.product_id);
    return c;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int cw_inbox_discover(const cw_config *c, const cw_common_opts *co, cw_inbox_item **out, int *n, int *failed)
{
    *out = NULL;
    *n = 0;
    int cap = 0;
    for (int i = 0; i < c->n_inbox; i++) {
        DIR *d = opendir(c->inbox[i]);
        if (!d) {
            cw_warn("inbox %s: %s", c->inbox[i], strerror(errno));
            (*failed)++;
            continue;
        }
        char **names = NULL;
        size_t nn = 0, nc = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            if (nn == nc) {
                nc = nc ? 2 * nc : 64;
                char **q = realloc(names, nc * sizeof *q);
                if (!q)
                    break;
                names = q;
            }
            names[nn++] = strdup(e->d_name);
        }
        closedir(d);
        if (nn) /* qsort(NULL, 0) is undefined */
            qsort(names, nn, sizeof *names, name_cmp);
        for (size_t k = 0; k < nn; k++) {
            char path[PATH_MAX];
            if (cw_path_join(path, sizeof path, c->inbox[i], names[k]) == 0) {
                const char *dot = strrchr(names[k], '.');
                int is_tif = dot && (!strcasecmp(dot, ".tif") || !strcasecmp(dot, ".tiff") || !strcasecmp(dot, ".zip"));
                if (!cw_is_dir(path) && !is_tif) {
                    cw_info("inbox: %s is not a scene (not a folder, GeoTIFF or zipped .SAFE); ignored", path);
                } else {
                    if (*n == cap) {
                        cap = cap ? 2 * cap : 16;
                        cw_inbox_item *q = realloc(*out, (size_t)cap * sizeof *q);
                        if (!q)
                            return cw_error("out of memory");
                        *out = q;
                    }
                    cw_inbox_item *it = &(*out)[*n];
                    memset(it, 0, sizeof *it);
                    if (cw_scene_open(path, &co->scene, &it->s)) {
                        cw_warn("scene %s: %s; skipped", path, cw_errmsg());
                        (*failed)++;
                    } else if (!it->s.tile[0] || !(it->day = ck_day_parse(it->s.date))) {
                        cw_warn("scene %s: tile id or acquisition date unknown (name it as an S2 product or "
                                "set TILE_ID/ACQUISITION_DATE metadata); skipped",
                                path);
                        cw_scene_free(&it->s);
                        (*failed)++;
                    } else {
                        int dup = 0;
                        for (int q = 0; q < *n; q++)
                            dup |= !strcmp((*out)[q].s.product_id, it->s.product_id);
                        if (dup) {
                            cw_info("scene %s: product %s already in another inbox; ignored", path, it->s.product_id);
                            cw_scene_free(&it->s);
                        } else {
                            (*n)++;
                        }
                    }
                }
            }
            free(names[k]);
        }
        free(names);
    }
    if (*n)
        qsort(*out, (size_t)*n, sizeof **out, item_cmp);
    return 0;
}

void cw_inbox_free(cw_inbox_item *items, int n)
{
    for (int i = 0; i < n; i++)
        cw_scene_free(&items[i].s);
    free(items);
}
