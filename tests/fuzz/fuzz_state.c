/* libFuzzer target: the state file reader (cw_state) on any bytes.  The
 * grid and kind are the ones the header names (a grid of at most 256 x 256,
 * else 64 x 40), so that a file which passes the header's and the chunk
 * table's checks has its chunks read: each whole, the first bytes of each
 * (a range read, as the river margins read their neighbours' counts), and
 * each as stored (a chunk copied into the next generation).  Seeds:
 * tests/fuzz/corpus/state, written by this build's writer. */
#include "fuzz_file.h"
#include "monitor/cw_state.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 40)
        return 0;
    char path[64];
    if (fuzz_file(path, sizeof path, "state", "cws", data, size))
        return 0;
    const cw_state_kind k = (cw_state_kind)(rd32(data + 12) % CW_ST_NKINDS);
    int w = (int)rd32(data + 16), h = (int)rd32(data + 20);
    if (w <= 0 || h <= 0 || w > 256 || h > 256) {
        w = 64;
        h = 40;
    }
    cw_state_file *f = cw_state_open(path, k, w, h);
    if (f) {
        cw_state_io *io = cw_state_io_new();
        uint8_t *buf = malloc((size_t)w * (size_t)h * cw_state_bpp(k));
        for (int c = 0; io && buf && c < cw_state_nchunks(f); c++) {
            cw_state_read_chunk(f, k, w, h, c, io, buf);
            cw_state_read_range(f, k, w, h, c, io, 0, 2, buf);
            cw_state_copy(f, c, io, 0);
        }
        free(buf);
        cw_state_io_free(io);
        cw_state_close(f);
    }
    unlink(path);
    return 0;
}
