/* libFuzzer target: the scene metadata parsers on any bytes, as an ESA
 * MTD_MSIL2A.xml (a .SAFE folder) and as the STAC item JSON beside a
 * product's GeoTIFFs (Earth Search). */
#include "cw_util.h"
#include "ingest/cw_scene.h"

#include <gdal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char safe_dir[64], cog_dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    cw_gdal_init();
    snprintf(safe_dir, sizeof safe_dir, "/tmp/cw-fuzz-scene-%d.SAFE", (int)getpid());
    snprintf(cog_dir, sizeof cog_dir, "/tmp/cw-fuzz-scene-%d-cog", (int)getpid());
    mkdir(safe_dir, 0755);
    mkdir(cog_dir, 0755);
    /* one small band beside the JSON, so the STAC reader is reached */
    char p[128];
    snprintf(p, sizeof p, "%s/B04.tif", cog_dir);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), p, 16, 16, 1, GDT_UInt16, NULL);
    double gt[6] = {500000, 10, 0, 9900000, 0, -10};
    GDALSetGeoTransform(ds, gt);
    GDALSetProjection(ds, "EPSG:32718");
    GDALClose(ds);
    return 0;
}

static void put(const char *dir, const char *name, const uint8_t *data, size_t size)
{
    char p[160];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(data, 1, size, f);
        fclose(f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_scene s;
    cw_scene_opts o;
    memset(&o, 0, sizeof o);
    put(safe_dir, "MTD_MSIL2A.xml", data, size);
    if (cw_scene_open(safe_dir, &o, &s) == 0)
        cw_scene_free(&s);
    put(cog_dir, "item.json", data, size);
    if (cw_scene_open(cog_dir, &o, &s) == 0)
        cw_scene_free(&s);
    return 0;
}
