/*
 * decode_floor.c - the floor for an index or a nightly update: decode the
 * bands' blocks in parallel, one GDAL dataset per thread, and do nothing
 * else.  Files coarser than the first (20 m bands, SCL) are read over the
 * same strips of ground at their own resolution.
 *
 *   decode_floor [--direct] ROWS FILE...     (OMP_NUM_THREADS threads)
 *
 * By default the strips are read with GDALRasterIO (GDAL's own decoder, as
 * any GDAL tool would): the floor the targets refer to.  --direct
 * decodes the same blocks with chakrawatch's own tile reader
 * (pipeline/cw_tiletiff.c, GDALReadBlock for what it leaves), so the
 * benchmark also shows how far the pipeline is from its own decoder.
 */
#include "ingest/cw_tiletiff.h"

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
    if (argc < 3) {
        fprintf(stderr, "usage: decode_floor [--direct] ROWS FILE...\n");
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
    int nstrips = (H + rows - 1) / rows, fail = 0;
    unsigned long long sum = 0;
#pragma omp parallel reduction(+ : sum, fail)
    {
        GDALDatasetH *ds = calloc((size_t)nf, sizeof *ds);
        cw_tiletiff **tt = calloc((size_t)nf, sizeof *tt);
        unsigned short *buf = malloc((size_t)W * rows * 2);
        for (int i = 0; i < nf; i++) {
            ds[i] = GDALOpen(argv[2 + i], GA_ReadOnly);
            int bw = 0, bh = 0;
            if (ds[i] && direct) {
                GDALRasterBandH b = GDALGetRasterBand(ds[i], 1);
                GDALGetBlockSize(b, &bw, &bh);
                if ((size_t)bw * bh > (size_t)W * rows) {
                    fprintf(stderr, "decode_floor: blocks larger than a strip\n");
                    fail++;
                } else {
                    tt[i] = cw_tiletiff_open(argv[2 + i], 1, GDALGetDataTypeSizeBytes(GDALGetRasterDataType(b)),
                                             bw, bh);
                }
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
                        for (int bx = 0; bx * bw < w; bx++)
                            if ((!tt[i] || cw_tiletiff_read(tt[i], bx, by, buf) != 0) &&
                                GDALReadBlock(band, bx, by, buf) != CE_None)
                                fail++;
                } else if (b > a && GDALRasterIO(band, GF_Read, 0, a, w, b - a, buf, w, b - a, GDT_UInt16, 0, 0) !=
                                        CE_None) {
                    fail++;
                }
                sum += buf[0];
            }
        }
        for (int i = 0; i < nf; i++) {
            cw_tiletiff_close(tt[i]);
            if (ds[i])
                GDALClose(ds[i]);
        }
        free(buf);
        free(tt);
        free(ds);
    }
    printf("decoded %d file(s) of %dx%d (checksum %llu)\n", nf, W, H, sum);
    return fail ? 1 : 0;
}
