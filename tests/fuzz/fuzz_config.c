/* libFuzzer target: the configuration reader (cw_config_load) on any bytes. */
#include "cw_config.h"
#include "cw_util.h"
#include "fuzz_file.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    if (fuzz_file(path, sizeof path, "config", "ini", data, size))
        return 0;
    cw_config c;
    cw_config_load(path, &c);
    unlink(path);
    return 0;
}
