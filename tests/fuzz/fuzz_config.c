/* libFuzzer target: the configuration reader (cw_config_load) on any bytes. */
#include "cw_config.h"
#include "cw_util.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/cw-fuzz-config-%d.ini", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cw_config c;
    cw_config_load(path, &c);
    unlink(path);
    return 0;
}
