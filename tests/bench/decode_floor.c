/*
 * decode_floor.c - the floor for an index or a nightly update: decode the
 * bands' blocks in parallel, one GDAL dataset per thread, and do nothing
 * else.  Files coarser than the first (20 m bands, SCL) are read over the
 * same strips of ground at their own resolution.
 *
 *   decode_floor [--direct] [--state KIND=FILE]... ROWS FILE...
 *                                            (OMP_NUM_THREADS threads)
 *
 * --state also decompresses every chunk of a tile's state file (KIND base
 * or dyn) with chakrawatch's own reader (pipeline/monitor/cw_state.c), in
 * the same parallel loop: a nightly update reads its state as it reads its
 * bands, so both are the decode of its inputs.
 *
 * By default the strips are read with GDALRasterIO (GDAL's own decoder, as
 * any GDAL tool would): the floor the targets refer to.  --direct
 * decodes the same blocks with chakrawatch's own tile reader
 * (pipeline/cw_tiletiff.c, GDALReadBlock for what it leaves), so the
 * benchmark also shows how far the pipeline is from its own decoder.
 */
#include "ingest/cw_tiletiff.h"
#include "monitor/cw_state.h"
#include "cw_util.h"

#include <gdal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>

int main(int argc, char **argv)
{
    int direct = argc > 1 && strcmp(argv[1], "--direct") == 0;
    argc -= direct;
    argv += direct;
    const char *state_path[CW_ST_NKINDS] = {0};
    while (argc > 2 && strcmp(argv[1], "--state") == 0) {
        const char *a = argv[2];
        if (!strncmp(a, "base=", 5))
            state_path[CW_ST_BASE] = a + 5;
        else if (!strncmp(a, "dyn=", 4))
            state_path[CW_ST_DYN] = a + 4;
        else
            argc = 0; /* usage */
        argc -= 2;
        argv += 2;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: decode_floor [--direct] [--state base=FILE|dyn=FILE]... ROWS FILE...\n");
        return 2;
    }
    GDALAllRegister();
    GDALSetCacheMax64((GIntBig)96 << 20);
    int rows = atoi(argv[1]), nf = argc - 2;
    GDALDatasetH probe = GDALOpen(argv[2], GA_ReadOnly);
    if (!probe)
        return 1;
    int W = GDALGetRasterXSize(probe), H = GDALGetRasterYSize(probe);
    GDALClose(probe);
    cw_state_file *state[CW_ST_NKINDS] = {0};
    for (int k = 0; k < CW_ST_NKINDS; k++)
        if (state_path[k] && !(state[k] = cw_state_open(state_path[k], (cw_state_kind)k, W, H))) {
            fprintf(stderr, "decode_floor: %s\n", cw_errmsg());
            return 1;
        }
    int srows = 0; /* the state files' chunk rows (the largest) */
    for (int k = 0; k < CW_ST_NKINDS; k++)
        if (state[k]) {
            const int r = cw_state_chunk_rows(state[k]);
            if (rows <= 0 || rows % r) {
                fprintf(stderr, "decode_floor: with --state, ROWS is a multiple of %d\n", r);
                return 2;
            }
            srows = r > srows ? r : srows;
        }
    int nstrips = (H + rows - 1) / rows, fail = 0;
    unsigned long long sum = 0;
#pragma omp parallel reduction(+ : sum, fail)
    {
        GDALDatasetH *ds = calloc((size_t)nf, sizeof *ds);
        cw_tiletiff **tt = calloc((size_t)nf, sizeof *tt);
        unsigned short *buf = malloc((size_t)W * rows * 2);
        cw_state_io *io = cw_state_io_new();
        const size_t bpp = cw_state_bpp(CW_ST_DYN) > cw_state_bpp(CW_ST_BASE) ? cw_state_bpp(CW_ST_DYN)
                                                                                 : cw_state_bpp(CW_ST_BASE);
        uint8_t *sbuf = malloc((size_t)W * (size_t)(srows ? srows : 1) * bpp); /* one chunk at a time (at most
                                                                               full rows) */
        for (int i = 0; i < nf; i++) {
            ds[i] = GDALOpen(argv[2 + i], GA_ReadOnly);
            int bw = 0, bh = 0;
            if (ds[i] && direct) {
                GDALRasterBandH b = GDALGetRasterBand(ds[i], 1);
                GDALGetBlockSize(b, &bw, &bh);
                if ((size_t)bw * bh > (size_t)W * rows) { /* a block decoded whole is larger than a strip */
                    unsigned short *p = realloc(buf, (size_t)bw * bh * 2);
                    if (!p) {
                        fail++;
                        continue;
                    }
                    buf = p;
                }
                tt[i] = cw_tiletiff_open(argv[2 + i], 1, GDALGetDataTypeSizeBytes(GDALGetRasterDataType(b)), bw, bh);
            }
        }
#pragma omp for schedule(static, 1)
        for (int k = 0; k < nstrips; k++) {
            int y0 = k * rows, n = y0 + rows > H ? H - y0 : rows;
            for (int i = 0; i < nf; i++) {
                if (!ds[i]) {
                    fail++;
                    continue;
                }
                int w = GDALGetRasterXSize(ds[i]), h = GDALGetRasterYSize(ds[i]);
                int f = (W + w - 1) / w; /* 1 for 10 m, 2 for 20 m */
                int a = y0 / f, b = (y0 + n + f - 1) / f;
                b = b > h ? h : b;
                GDALRasterBandH band = GDALGetRasterBand(ds[i], 1);
                if (direct) { /* every block of rows [a, b), decoded, not copied */
                    int bw, bh;
                    GDALGetBlockSize(band, &bw, &bh);
                    for (int by = a / bh; by * bh < b; by++)
                        for (int bx = 0; bx * bw < w; bx++) {
                            const int rc = tt[i] ? cw_tiletiff_read(tt[i], bx, by, buf) : 1; /* -1: corrupt */
                            if (rc < 0 || (rc > 0 && GDALReadBlock(band, bx, by, buf) != CE_None))
                                fail++;
                        }
                } else if (b > a && GDALRasterIO(band, GF_Read, 0, a, w, b - a, buf, w, b - a, GDT_UInt16, 0, 0) !=
                                        CE_None) {
                    fail++;
                }
                sum += buf[0];
            }
            for (int s = 0; s < CW_ST_NKINDS; s++) { /* the chunks of the strip's rows, all their columns */
                if (!state[s])
                    continue;
                const int r = cw_state_chunk_rows(state[s]), cols = cw_state_rect_of(state[s], 0).cols;
                const int ncx = (W + cols - 1) / cols;
                for (int c = y0 / r * ncx; c < cw_state_nchunks(state[s]) && c / ncx * r < y0 + n; c++) {
                    if (cw_state_read_chunk(state[s], (cw_state_kind)s, W, H, c, io, sbuf))
                        fail++;
                    sum += sbuf[0];
                }
            }
        }
        for (int i = 0; i < nf; i++) {
            cw_tiletiff_close(tt[i]);
            if (ds[i])
                GDALClose(ds[i]);
        }
        free(buf);
        free(sbuf);
        cw_state_io_free(io);
        free(tt);
        free(ds);
    }
    for (int k = 0; k < CW_ST_NKINDS; k++)
        cw_state_close(state[k]);
    printf("decoded %d file(s) of %dx%d (checksum %llu)\n", nf, W, H, sum);
    return fail ? 1 : 0;
}
