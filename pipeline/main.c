/*
 * main.c - the chakrawatch command line: parses options into the
 * library's option structs and maps results to exit codes.
 *   0 everything went through, 1 the command failed, 2 usage error.
 */
#include "ck_indices.h"
#include "job/cw_cmd.h"
#include "job/cw_review.h"
#include "job/cw_run.h"
#include "job/cw_verify.h"
#include "cw_util.h"

#include <gdal.h>
#include <getopt.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "chakrawatch " CW_VERSION " - canopy-loss and mining-scar monitoring from Sentinel-2\n"
    "\n"
    "usage: chakrawatch COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  info SCENE                 what the scene holds: tile, date, CRS, grid, bands,\n"
    "                             DN offset convention, valid/cloud/shadow/water shares\n"
    "  indices SCENE --out DIR    spectral indices as tiled GeoTIFFs\n"
    "  run CONFIG                 the nightly job: process new scenes of the inbox,\n"
    "                             update per-pixel state and alerts, write\n"
    "                             OUTPUT/<night>/alerts.csv, aoi_summary.csv, history.gpkg\n"
    "      [--night YYYY-MM-DD] [--threads N] [-v]\n"
    "                             exit 0 all went through, 1 some items failed,\n"
    "                             2 configuration unusable\n"
    "  plan CONFIG                the tiles with new scenes, one per line; then for each\n"
    "                             `run CONFIG --tile T` (state and history only), and once\n"
    "                             all are in, `finish CONFIG --night D` (the night's outputs)\n"
    "  reprocess CONFIG --tile T [--from YYYY-MM-DD] [--night YYYY-MM-DD] [--threads N]\n"
    "                             rebuild a tile from its scenes in the inboxes with the\n"
    "                             configuration's settings (a run refuses settings that\n"
    "                             differ from those a tile's state was built with)\n"
    "  report CONFIG --from YYYY-MM-DD --to YYYY-MM-DD [--out DIR]\n"
    "                             report.html and maps over any period (since the last\n"
    "                             cooperation-table meeting): every alert with an event in it\n"
    "  alerts CONFIG --since YYYY-MM-DD [--format csv|geojson|gpkg|shp|kml|kmz] [--out FILE]\n"
    "                             export alerts of the history updated since a date\n"
    "  verify CONFIG --aoi FILE [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out DIR]\n"
    "      [--id-field F] [--name-field F] [--lang es|en] [--pdf]\n"
    "                             a verdict per plot over the period (default from [verify]\n"
    "                             cutoff, 2020-12-31, to the latest observation):\n"
    "                             no_loss_observed, loss_after_cutoff or\n"
    "                             insufficient_observation; verdicts.csv, verdicts.gpkg,\n"
    "                             verdicts.geojson, sheets/, provenance.json, manifest.sha256\n"
    "  verify --check DIR         re-hash DIR/manifest.sha256 and name what changed\n"
    "  review CONFIG ALERT_ID --status verified|false_positive|unsure [--note T] [--by NAME]\n"
    "  review CONFIG --csv FILE [--by NAME]   the committee's verdicts on alerts (a\n"
    "                             spreadsheet with columns alert_id and review), [--on DATE]\n"
    "  help                       this text\n"
    "  version                    the version\n"
    "\n"
    "SCENE is a folder of per-band GeoTIFFs (B02.tif..B12.tif, SCL.tif, or blue.tif,\n"
    "green.tif, red.tif, nir.tif, swir16.tif, swir22.tif, scl.tif), an ESA .SAFE\n"
    "folder, or one multi-band GeoTIFF whose band descriptions name the bands.\n"
    "\n"
    "indices options:\n"
    "  --out DIR                  output folder (created)\n"
    "  --index LIST               comma-separated, default ndvi: %s\n"
    "  --type float32|int16       Float32 (nodata NaN) or Int16 x 10000 (nodata -32768,\n"
    "                             scale 0.0001 declared); default float32\n"
    "  --codec zstd|deflate|lzw|none   output compression, default zstd\n"
    "  --level N                  zstd -7..19 (default -3, fast), deflate 1..12 (6)\n"
    "\n"
    "common options:\n"
    "  --mask scl|none            validity mask from SCL (default) or DN 0 only\n"
    "  --invalid-classes LIST     SCL classes masked, default 0,1,2,3,8,9,10,11\n"
    "                             (6, water, is never masked)\n"
    "  --cloud-buffer M           dilate clouds (8,9,10) by M metres, default 100\n"
    "  --shadow-buffer M          dilate shadows (3) by M metres, default 50\n"
    "  --boa-offset DN            override the BOA_ADD_OFFSET of every band (e.g. -1000)\n"
    "  --threads N                OpenMP threads (default: OMP_NUM_THREADS or cores)\n"
    "  --strip-rows N             rows per strip, rounded to 512 (default: from memory)\n"
    "  --memory-mb N              buffers of all threads (MB); fewer threads when they do not\n"
    "                             fit; default: half the machine's memory\n"
    "  -v, --verbose              more messages (twice: GDAL's too)\n";

static void print_usage(FILE *f)
{
    char names[128] = "";
    for (size_t i = 0; i < ck_index_count; i++) {
        strcat(names, i ? "," : "");
        strcat(names, ck_index_table[i].name);
    }
    fprintf(f, usage, names);
}

typedef struct {
    const char *scene;
    cw_indices_opts ix;
    int verbose;
} cli_t;

/* Option `opt` takes one of two words: *which = 0 or 1, or -1 after a
 * usage message. */
static int pick2(const char *opt, const char *v, const char *w0, const char *w1, int *which)
{
    if (!strcmp(v, w0) || !strcmp(v, w1)) {
        *which = strcmp(v, w0) != 0;
        return 0;
    }
    fprintf(stderr, "chakrawatch: %s is %s or %s, not '%s'\n", opt, w0, w1, v);
    return -1;
}

/* Parses argv[2..] of info/indices (GNU-style: --opt=value too); returns
 * 0, or 2 after printing a usage error, or -1 after printing the help. */
static int parse_args(int argc, char **argv, cli_t *cli)
{
    cw_indices_opts *ix = &cli->ix;
    cw_common_opts *c = &ix->c;
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'},           {"index", required_argument, 0, 'i'},
        {"type", required_argument, 0, 't'},          {"codec", required_argument, 0, 'c'},
        {"level", required_argument, 0, 'L'},
        {"mask", required_argument, 0, 'm'},          {"invalid-classes", required_argument, 0, 'I'},
        {"cloud-buffer", required_argument, 0, 'C'},  {"shadow-buffer", required_argument, 0, 'S'},
        {"boa-offset", required_argument, 0, 'b'},    {"threads", required_argument, 0, 'j'},
        {"strip-rows", required_argument, 0, 'r'},    {"memory-mb", required_argument, 0, 'M'},
        {"verbose", no_argument, 0, 'v'},             {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    optind = 2;
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, "hv", lo, NULL)) != -1) {
        const char *a = argv[optind - 1], *v = optarg;
        long lv;
        double dv;
        int k;
        switch (o) {
        case 'h': print_usage(stdout); return -1;
        case 'v': cli->verbose++; break;
        case 'o': ix->out_dir = v; break;
        case 'i': ix->index_list = v; break;
        case 't':
            if (pick2("--type", v, "float32", "int16", &k))
                return 2;
            ix->type = k ? CW_OUT_INT16 : CW_OUT_FLOAT32;
            break;
        case 'c':
            if (cw_codec_parse(v, &ix->codec))
                return fprintf(stderr, "chakrawatch: %s\n", cw_errmsg()), 2;
            break;
        case 'L':
            /* any number here; the codec's own range is checked below (cw_codec_level_check) */
            if (cw_parse_long(v, -99, 99, &lv))
                return fprintf(stderr, "chakrawatch: --level: %s\n", cw_errmsg()), 2;
            ix->level = (int)lv;
            break;
        case 'm':
            if (pick2("--mask", v, "scl", "none", &k))
                return 2;
            c->mask = k ? CW_MASK_NONE : CW_MASK_SCL;
            break;
        case 'I':
            if (cw_parse_scl_classes(v, &c->rules))
                return fprintf(stderr, "chakrawatch: %s\n", cw_errmsg()), 2;
            break;
        case 'C':
        case 'S':
            if (cw_parse_double(v, 0, 2500, &dv))
                return fprintf(stderr, "chakrawatch: %s: %s\n", o == 'C' ? "--cloud-buffer" : "--shadow-buffer",
                               cw_errmsg()), 2;
            *(o == 'C' ? &c->cloud_buffer_m : &c->shadow_buffer_m) = dv;
            break;
        case 'b':
            if (cw_parse_double(v, -10000, 10000, &dv))
                return fprintf(stderr, "chakrawatch: --boa-offset: %s\n", cw_errmsg()), 2;
            c->scene.have_offset = 1;
            c->scene.offset = dv;
            break;
        case 'j':
            if (cw_parse_long(v, 1, 1024, &lv))
                return fprintf(stderr, "chakrawatch: --threads: %s\n", cw_errmsg()), 2;
            c->threads = (int)lv;
            break;
        case 'r':
            if (cw_parse_long(v, 1, 1 << 20, &lv))
                return fprintf(stderr, "chakrawatch: --strip-rows: %s\n", cw_errmsg()), 2;
            c->strip_rows = (int)lv;
            break;
        case 'M':
            if (cw_parse_long(v, 1, 1 << 20, &lv))
                return fprintf(stderr, "chakrawatch: --memory-mb: %s\n", cw_errmsg()), 2;
            c->mem_budget = (size_t)lv << 20;
            break;
        default:
            fprintf(stderr, "chakrawatch: unknown option or missing value: %s (see chakrawatch help)\n", a);
            return 2;
        }
    }
    if (optind < argc)
        cli->scene = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "chakrawatch: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    if (cw_codec_level_check(ix->codec, ix->level))
        return fprintf(stderr, "chakrawatch: --level: %s\n", cw_errmsg()), 2;
    return 0;
}

/* What every command's getopt loop does first with option c: -h prints
 * the help (0), an unknown option, a missing value or an option of another
 * command is a usage error (2); -1: an option of this command (its letters
 * in mine, -v always) to apply. */
static int triage(int c, char **argv, const char *mine)
{
    if (c == 'h') {
        print_usage(stdout);
        return 0;
    }
    if (c == '?' || c == ':') {
        fprintf(stderr, "chakrawatch %s: unknown option or missing value: %s (see chakrawatch help)\n", argv[1],
                argv[optind - 1]);
        return 2;
    }
    if (c != 'v' && !strchr(mine, c)) {
        fprintf(stderr, "chakrawatch %s: %s is not an option of %s\n", argv[1], argv[optind - 1], argv[1]);
        return 2;
    }
    return -1;
}

/* `run CONFIG`, `reprocess CONFIG --tile T` and `alerts CONFIG`: GNU-style
 * options (--opt=value too), -h. */
static int job_main(int argc, char **argv)
{
    const int is_alerts = !strcmp(argv[1], "alerts"), is_reprocess = !strcmp(argv[1], "reprocess"),
              is_report = !strcmp(argv[1], "report"), is_plan = !strcmp(argv[1], "plan"),
              is_finish = !strcmp(argv[1], "finish");
    cw_period_opts po;
    memset(&po, 0, sizeof po);
    cw_run_opts ro;
    cw_export_opts eo;
    memset(&ro, 0, sizeof ro);
    memset(&eo, 0, sizeof eo);
    eo.format = "csv";
    const char *tile = NULL;
    int verbose = 0, c;
    long lv;
    static const struct option lo[] = {{"night", required_argument, 0, 'n'}, {"threads", required_argument, 0, 'j'},
                                       {"since", required_argument, 0, 's'}, {"format", required_argument, 0, 'f'},
                                       {"out", required_argument, 0, 'o'},   {"tile", required_argument, 0, 't'},
                                       {"from", required_argument, 0, 'F'},  {"to", required_argument, 0, 'T'},
                                       {"verbose", no_argument, 0, 'v'},     {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *mine = is_alerts      ? "sfo"
                       : is_reprocess ? "njtF"
                       : is_report    ? "FTo"
                       : is_plan      ? ""
                       : is_finish    ? "n"
                                      : "njt"; /* run */
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hv", lo, NULL)) != -1) {
        const int t = triage(c, argv, mine);
        if (t >= 0)
            return t;
        switch (c) {
        case 'v': verbose++; break;
        case 'n': ro.night = optarg; break;
        case 'j':
            if (cw_parse_long(optarg, 1, 1024, &lv))
                return fprintf(stderr, "chakrawatch: --threads: %s\n", cw_errmsg()), 2;
            ro.threads = (int)lv;
            break;
        case 's': eo.since = optarg; break;
        case 'f':
            char want[24];
            snprintf(want, sizeof want, ",%.20s,", optarg);
            if (!strstr(",csv,geojson,gpkg,shp,kml,kmz,", want) || strchr(optarg, ','))
                return fprintf(stderr, "chakrawatch alerts: --format is csv, geojson, gpkg, shp (zipped), kml or "
                                       "kmz, not '%s'\n", optarg), 2;
            eo.format = optarg;
            break;
        case 'o': eo.out = po.out = optarg; break;
        case 'F': po.from = ro.replay_from = optarg; break;
        case 'T': po.to = optarg; break;
        case 't': tile = optarg; break;
        }
    }
    const char *config = optind < argc ? argv[optind++] : NULL;
    if (optind < argc) {
        fprintf(stderr, "chakrawatch: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    if (!config) {
        fprintf(stderr, "chakrawatch %s: no CONFIG given\n", argv[1]);
        return 2;
    }
    if (is_reprocess && !tile) {
        fprintf(stderr, "chakrawatch reprocess: --tile T is required (the tile to rebuild, like 18MTD)\n");
        return 2;
    }
    if (is_reprocess && ro.replay_from && !cw_valid_ymd(ro.replay_from)) {
        fprintf(stderr, "chakrawatch reprocess: --from %s is not a date YYYY-MM-DD\n", ro.replay_from);
        return 2;
    }
    if (ro.night && !cw_valid_ymd(ro.night)) {
        fprintf(stderr, "chakrawatch %s: --night %s is not a date YYYY-MM-DD\n", argv[1], ro.night);
        return 2;
    }
    if (is_alerts && eo.since && !cw_valid_ymd(eo.since)) {
        fprintf(stderr, "chakrawatch alerts: --since %s is not a date YYYY-MM-DD (alerts last updated on or after "
                        "that night are listed, new ones included)\n", eo.since);
        return 2;
    }
    if (is_alerts && !eo.since) {
        fprintf(stderr, "chakrawatch alerts: --since YYYY-MM-DD is required\n");
        return 2;
    }
    if (is_finish && !ro.night) {
        fprintf(stderr, "chakrawatch finish: --night YYYY-MM-DD is required (the night whose tiles are in)\n");
        return 2;
    }
    if (is_report && (!po.from || !po.to)) {
        fprintf(stderr, "chakrawatch report: --from YYYY-MM-DD and --to YYYY-MM-DD are required\n");
        return 2;
    }
    cw_set_verbose(verbose);
    cw_gdal_init();
    int rc;
    if (is_plan) {
        rc = cw_plan(config);
    } else if (is_report) {
        po.config_path = config;
        rc = cw_report_period(&po);
    } else if (!is_alerts) {
        ro.config_path = config;
        ro.only_tile = !is_reprocess ? tile : NULL;
        ro.outputs_only = is_finish;
        rc = is_reprocess ? cw_reprocess(&ro, tile) : cw_run(&ro);
    } else {
        eo.config_path = config;
        rc = cw_alerts_export(&eo) ? 1 : 0;
        if (rc)
            fprintf(stderr, "chakrawatch alerts: %s\n", cw_errmsg());
    }
    GDALDestroyDriverManager();
    return rc;
}

/* `verify` and `review`: GNU-style options (--opt=value too), -h. */
static int verify_review_main(int argc, char **argv)
{
    const int is_verify = !strcmp(argv[1], "verify");
    cw_verify_opts vo;
    cw_review_opts ro;
    memset(&vo, 0, sizeof vo);
    memset(&ro, 0, sizeof ro);
    const char *check = NULL;
    int verbose = 0;
    static const struct option lo[] = {
        {"aoi", required_argument, 0, 'a'},    {"from", required_argument, 0, 'f'},
        {"to", required_argument, 0, 't'},     {"out", required_argument, 0, 'o'},
        {"id-field", required_argument, 0, 'i'}, {"name-field", required_argument, 0, 'n'},
        {"lang", required_argument, 0, 'l'},   {"pdf", no_argument, 0, 'p'},
        {"check", required_argument, 0, 'c'},  {"threads", required_argument, 0, 'j'},
        {"status", required_argument, 0, 's'}, {"note", required_argument, 0, 'N'},
        {"by", required_argument, 0, 'b'},     {"csv", required_argument, 0, 'C'},
        {"on", required_argument, 0, 'O'},     {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    static const char verify_only[] = "aftoinlpcj", review_only[] = "sNbCO";
    optind = 2;
    opterr = 0;
    int c;
    long lv;
    while ((c = getopt_long(argc, argv, "hv", lo, NULL)) != -1) {
        const int t = triage(c, argv, is_verify ? verify_only : review_only);
        if (t >= 0)
            return t;
        switch (c) {
        case 'v': verbose++; break;
        case 'a': vo.aoi = optarg; break;
        case 'f': vo.from = optarg; break;
        case 't': vo.to = optarg; break;
        case 'o': vo.out = optarg; break;
        case 'i': vo.id_field = optarg; break;
        case 'n': vo.name_field = optarg; break;
        case 'l':
            if (strcmp(optarg, "es") && strcmp(optarg, "en"))
                return fprintf(stderr, "chakrawatch verify: --lang is es or en\n"), 2;
            vo.lang = optarg;
            break;
        case 'p': vo.pdf = 1; break;
        case 'c': check = optarg; break;
        case 'j':
            if (cw_parse_long(optarg, 1, 1024, &lv))
                return fprintf(stderr, "chakrawatch verify: --threads: %s\n", cw_errmsg()), 2;
            vo.threads = (int)lv;
            break;
        case 's': ro.status = optarg; break;
        case 'N': ro.note = optarg; break;
        case 'b': ro.by = optarg; break;
        case 'C': ro.csv = optarg; break;
        case 'O': ro.on = optarg; break;
        }
    }
    const char *config = optind < argc ? argv[optind++] : NULL;
    if (!is_verify && !ro.csv && optind < argc)
        ro.alert_id = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "chakrawatch %s: unexpected argument %s\n", argv[1], argv[optind]);
        return 2;
    }
    cw_set_verbose(verbose);
    if (is_verify && check) {
        if (config)
            return fprintf(stderr, "chakrawatch verify --check DIR takes no CONFIG\n"), 2;
        return cw_verify_check(check);
    }
    if (!config || (is_verify && !vo.aoi)) {
        fprintf(stderr, "chakrawatch %s: usage: %s\n", argv[1],
                is_verify ? "verify CONFIG --aoi FILE [options] (see chakrawatch help)"
                          : "review CONFIG ALERT_ID --status S | review CONFIG --csv FILE");
        return 2;
    }
    cw_gdal_init();
    int rc;
    if (is_verify) {
        vo.config_path = config;
        rc = cw_verify_run(&vo);
    } else {
        ro.config_path = config;
        rc = cw_review_run(&ro);
    }
    GDALDestroyDriverManager();
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("chakrawatch %s (GDAL %s)\n", CW_VERSION, GDALVersionInfo("RELEASE_NAME"));
        return 0;
    }
    /* Buffers of 8 MiB and more (strips, state chunks) always mapped on
     * their own and returned at free: glibc raises its threshold to 32 MiB
     * once the first pass frees them, so the next scene's pass carved them
     * from the heap, which keeps them after free; a catch-up night of three
     * .SAFE scenes peaked 70 MB above the worst of its nights run alone. */
    mallopt(M_MMAP_THRESHOLD, 8 << 20);
    cli_t cli;
    memset(&cli, 0, sizeof cli);
    cw_common_opts_default(&cli.ix.c);
    cli.ix.index_list = "ndvi";
    cli.ix.type = CW_OUT_FLOAT32;
    cli.ix.codec = CW_CODEC_ZSTD;
    cli.ix.level = CW_LEVEL_DEFAULT;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run") || !strcmp(cmd, "alerts") || !strcmp(cmd, "reprocess") || !strcmp(cmd, "report") ||
        !strcmp(cmd, "plan") || !strcmp(cmd, "finish"))
        return job_main(argc, argv);
    if (!strcmp(cmd, "verify") || !strcmp(cmd, "review"))
        return verify_review_main(argc, argv);
    if (strcmp(cmd, "info") && strcmp(cmd, "indices")) {
        fprintf(stderr, "chakrawatch: unknown command '%s' (see chakrawatch help)\n", cmd);
        return 2;
    }
    int rc = parse_args(argc, argv, &cli);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!cli.scene) {
        fprintf(stderr, "chakrawatch %s: no SCENE given\n", cmd);
        return 2;
    }
    cw_set_verbose(cli.verbose);
    cw_gdal_init();
    if (!strcmp(cmd, "info")) {
        rc = cw_info_run(cli.scene, &cli.ix.c, stdout);
    } else {
        if (!cli.ix.out_dir) {
            fprintf(stderr, "chakrawatch indices: --out DIR is required\n");
            return 2;
        }
        rc = cw_indices_run(cli.scene, &cli.ix);
    }
    if (rc) {
        fprintf(stderr, "chakrawatch %s: %s\n", cmd, cw_errmsg());
        rc = 1;
    }
    GDALDestroyDriverManager();
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chakrawatch: error writing standard output\n");
        rc = 1;
    }
    return rc;
}
