/* libFuzzer target: the AOI loader (cw_aoi_load) on any bytes given as a
 * GeoJSON file of chakras: malformed features are reported and skipped,
 * never a crash. */
#include "cw_config.h"
#include "cw_util.h"
#include "monitor/cw_aoi.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    cw_gdal_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_config c;
    char ini[64];
    snprintf(ini, sizeof ini, "/tmp/cw-fuzz-aoi-%d.ini", (int)getpid());
    FILE *f = fopen(ini, "w");
    if (!f)
        return 0;
    fprintf(f, "[job]\ninbox = in\n[aoi]\nchakras = cw-fuzz-aoi-%d.geojson\n", (int)getpid());
    fclose(f);
    int ok = cw_config_load(ini, &c) == 0;
    unlink(ini);
    if (!ok)
        return 0;
    f = fopen(c.chakras[0], "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cw_aoi_set set;
    memset(&set, 0, sizeof set);
    if (cw_aoi_load(&c, &set) == 0)
        cw_aoi_set_free(&set);
    unlink(c.chakras[0]);
    return 0;
}
