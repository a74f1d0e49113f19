/* libFuzzer target: the direct GeoTIFF tile decoder (cw_tiletiff) on any
 * bytes: every tile it agrees to read, for 8- and 16-bit requests. */
#include "fuzz_file.h"
#include "ingest/cw_tiletiff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    if (fuzz_file(path, sizeof path, "tile", "tif", data, size))
        return 0;
    static uint16_t buf[512 * 512];
    for (int bpp = 1; bpp <= 2; bpp++)
        for (int bs = 256; bs <= 512; bs += 256) {
            cw_tiletiff *t = cw_tiletiff_open(path, 1, bpp, bs, bs);
            for (int by = -1; t && by < 4; by++)
                for (int bx = -1; bx < 4; bx++)
                    cw_tiletiff_read(t, bx, by, buf);
            cw_tiletiff_close(t);
        }
    unlink(path);
    return 0;
}
