/* cw_util.c - see cw_util.h. */
#include "cw_util.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <errno.h>
#include <gdal.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <fcntl.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static _Thread_local char err_buf[2048];
static _Thread_local char gdal_err_buf[1024];
static int verbose;
static int warn_count;

int cw_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_buf, sizeof err_buf, fmt, ap);
    va_end(ap);
    cw_utf8_clean(err_buf, sizeof err_buf);
    return -1;
}

int cw_error_prefix(const char *fmt, ...)
{
    char pre[1024], old[sizeof err_buf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err_buf, sizeof old);
    snprintf(err_buf, sizeof err_buf, "%s: %s", pre, old);
    return -1;
}

const char *cw_errmsg(void) { return err_buf[0] ? err_buf : "unknown error"; }
const char *cw_gdal_errmsg(void) { return gdal_err_buf; }

static void CPL_STDCALL gdal_handler(CPLErr cls, CPLErrorNum no, const char *msg)
{
    (void)no;
    if (cls >= CE_Failure) {
        cw_strlcpy(gdal_err_buf, msg ? msg : "", sizeof gdal_err_buf);
        if (verbose > 1)
            fprintf(stderr, "GDAL: %s\n", msg);
    } else if (verbose > 1 && cls == CE_Warning) {
        fprintf(stderr, "GDAL warning: %s\n", msg);
    }
}

OGRSpatialReferenceH cw_srs_gis(const char *wkt)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(wkt);
    if (s && !wkt && OSRImportFromEPSG(s, 4326) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        s = NULL;
    }
    if (s)
        OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

OGRCoordinateTransformationH cw_ct_wgs84(const char *wkt, int to_wgs)
{
    OGRSpatialReferenceH wgs = cw_srs_gis(NULL), s = cw_srs_gis(wkt);
    OGRCoordinateTransformationH ct =
        wgs && s ? OCTNewCoordinateTransformation(to_wgs ? s : wgs, to_wgs ? wgs : s) : NULL;
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(s);
    return ct;
}

void cw_gdal_init(void)
{
    CPLSetErrorHandler(gdal_handler);
    GDALAllRegister();
    /* Strips are read and written in block-aligned rows; a small block
     * cache is enough and keeps RSS bounded (a large one makes GDAL slower
     * here, as it does gdal_calc.py). The user's GDAL_CACHEMAX wins. */
    if (!CPLGetConfigOption("GDAL_CACHEMAX", NULL))
        GDALSetCacheMax64((GIntBig)96 << 20);
}

static FILE *log_fp;

void cw_set_log_file(FILE *f) { log_fp = f; }

static void vlog_to(int to_stderr, const char *tag, const char *fmt, va_list ap)
{
    char line[4096];
    vsnprintf(line, sizeof line, fmt, ap);
    cw_utf8_clean(line, sizeof line); /* messages quote file names: logs stay UTF-8 */
    if (to_stderr)
        fprintf(stderr, "%s%s\n", tag, line);
    if (log_fp) {
#ifdef _OPENMP
#pragma omp critical(cw_log)
#endif
        fprintf(log_fp, "%s%s\n", tag, line);
    }
}

static void vlog(const char *tag, const char *fmt, va_list ap) { vlog_to(1, tag, fmt, ap); }

void cw_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_to(1, "", fmt, ap);
    va_end(ap);
}

/* warnings kept for the night's report (cw_warn_capture) */
static char **captured;
static int n_captured, capturing;

static void captured_add(const char *msg)
{
    char **nc = realloc(captured, (size_t)(n_captured + 1) * sizeof *nc);
    if (!nc)
        return;
    captured = nc;
    if ((captured[n_captured] = strdup(msg)))
        n_captured++;
}

static void capture(const char *fmt, va_list ap)
{
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    cw_utf8_clean(buf, sizeof buf); /* the report quotes these */
    captured_add(buf);
}

void cw_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
#ifdef _OPENMP
#pragma omp critical(cw_warn_capture)
#endif
    {
        warn_count++;
        if (capturing) {
            va_start(ap, fmt);
            capture(fmt, ap);
            va_end(ap);
        }
    }
}

void cw_warn_capture(int on)
{
    capturing = on;
    if (on)
        return;
    for (int i = 0; i < n_captured; i++)
        free(captured[i]);
    free(captured);
    captured = NULL;
    n_captured = 0;
}

void cw_warn_keep(const char *msg)
{
    for (int i = 0; i < n_captured; i++)
        if (!strcmp(captured[i], msg))
            return;
    captured_add(msg);
}

int cw_warn_captured(const char *const **list)
{
    *list = (const char *const *)captured;
    return n_captured;
}

int cw_warn_capturing(int on)
{
    int was = capturing;
    capturing = on;
    return was;
}

void cw_info(const char *fmt, ...)
{
    if (!verbose && !log_fp)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog_to(verbose, "", fmt, ap);
    va_end(ap);
}

void cw_set_verbose(int v) { verbose = v; }
int cw_warn_count(void) { return warn_count; }

int cw_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return cw_error("'%s' is not an integer", s);
    if (v < lo || v > hi)
        return cw_error("%ld is out of range %ld..%ld", v, lo, hi);
    *out = v;
    return 0;
}

int cw_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || v != v)
        return cw_error("'%s' is not a number", s);
    if (v < lo || v > hi)
        return cw_error("%g is out of range %g..%g", v, lo, hi);
    *out = v;
    return 0;
}

int cw_path_join(char *buf, size_t n, const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    int r = (dl && dir[dl - 1] == '/') ? snprintf(buf, n, "%s%s", dir, name)
                                       : snprintf(buf, n, "%s/%s", dir, name);
    if (r < 0 || (size_t)r >= n)
        return cw_error("path too long: %s/%s", dir, name);
    return 0;
}

int cw_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cw_mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (strlen(path) >= sizeof tmp)
        return cw_error("path too long: %s", path);
    cw_strlcpy(tmp, path, sizeof tmp);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return cw_error("cannot create folder %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return cw_error("cannot create folder %s: %s", tmp, strerror(errno));
    if (!cw_is_dir(tmp))
        return cw_error("%s exists and is not a folder", tmp);
    return 0;
}

int cw_tmp_path(char *buf, size_t n, const char *final_path)
{
    const char *slash = strrchr(final_path, '/');
    int dl = slash ? (int)(slash - final_path + 1) : 0;
    int r = snprintf(buf, n, "%.*s.%s.tmp%ld", dl, final_path,
                     slash ? slash + 1 : final_path, (long)getpid());
    if (r < 0 || (size_t)r >= n)
        return cw_error("path too long: %s", final_path);
    return 0;
}

int cw_clean_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *t = e->d_name[0] == '.' ? strstr(e->d_name, ".tmp") : NULL;
        char *end;
        if (!t || !t[4])
            continue;
        long pid = strtol(t + 4, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno == EPERM))
            continue; /* not ours, ours now, or a live process of another user */
        if (kill((pid_t)pid, 0) == 0)
            continue; /* its writer still runs */
        char path[PATH_MAX];
        if (cw_path_join(path, sizeof path, dir, e->d_name) == 0 && unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int cw_commit_file(const char *tmp, const char *final_path)
{
    if (rename(tmp, final_path) != 0) {
        int e = errno;
        unlink(tmp);
        return cw_error("cannot rename %s to %s: %s", tmp, final_path, strerror(e));
    }
    return 0;
}

void cw_strlcpy(char *dst, const char *src, size_t n)
{
    if (!n)
        return;
    size_t l = strlen(src);
    if (l >= n)
        l = n - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

int cw_omp_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* The memory limit of this process's cgroup in bytes, 0 for none: v2's
 * memory.max ("max": none), or v1's memory controller's
 * memory.limit_in_bytes (a huge number when unlimited; the caller takes
 * the lower of it and the machine's memory). */
static size_t cgroup_mem_max(void)
{
    char v2[512] = "", v1[512] = "", line[600], path[700], buf[64];
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            const char *c = strchr(line, ':'), *d = c ? strchr(c + 1, ':') : NULL;
            if (!d)
                continue;
            if (!strncmp(line, "0::", 3))
                cw_strlcpy(v2, d + 1, sizeof v2);
            else if ((size_t)(d - c - 1) == strlen("memory") && !strncmp(c + 1, "memory", 6))
                cw_strlcpy(v1, d + 1, sizeof v1);
        }
        fclose(f);
    }
    if (v1[0])
        snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", strcmp(v1, "/") ? v1 : "");
    else
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", strcmp(v2, "/") ? v2 : "");
    f = fopen(path, "r");
    size_t v = 0;
    if (f) {
        if (fgets(buf, sizeof buf, f) && buf[0] >= '0' && buf[0] <= '9')
            v = (size_t)strtoull(buf, NULL, 10);
        fclose(f);
    }
    return v;
}

size_t cw_mem_auto(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    size_t total = pages > 0 && psz > 0 ? (size_t)pages * (size_t)psz : (size_t)1 << 30;
    size_t cg = cgroup_mem_max();
    if (cg && cg < total)
        total = cg;
    return total / 2;
}

int cw_omp_thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

void cw_omp_set_threads(int n)
{
#ifdef _OPENMP
    if (n > 0)
        omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* length of the valid UTF-8 sequence at s, 0 when invalid (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF) */
static size_t utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    if (!len)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
        (s[0] == 0xf4 && s[1] > 0x8f))
        return 0;
    return len;
}

int cw_utf8_clean(char *s, size_t n)
{
    size_t len = strlen(s), bad = 0;
    for (size_t i = 0; i < len;) {
        size_t q = utf8_seq((const unsigned char *)s + i);
        if (q) {
            i += q;
            continue;
        }
        bad++;
        if (len + 2 < n) { /* U+FFFD is 3 bytes for 1 */
            memmove(s + i + 3, s + i + 1, len - i);
            memcpy(s + i, "\xef\xbf\xbd", 3);
            len += 2;
            i += 3;
        } else {
            s[i++] = '?';
        }
    }
    return (int)bad;
}

const char *cw_file_problem(const char *path, char *buf, size_t n)
{
    struct stat ls, st;
    if (!strncmp(path, "/vsi", 4))
        return NULL;
    if (lstat(path, &ls) != 0) {
        snprintf(buf, n, "%s", strerror(errno));
        return buf;
    }
    if (stat(path, &st) != 0) {
        int e = errno;
        snprintf(buf, n, "%s", S_ISLNK(ls.st_mode) && e == ELOOP    ? "a loop of symbolic links"
                               : S_ISLNK(ls.st_mode) && e == ENOENT ? "a dangling symbolic link (its target is missing)"
                                                                     : strerror(e));
        return buf;
    }
    if (S_ISDIR(st.st_mode))
        snprintf(buf, n, "it is a folder, not a file");
    else if (!S_ISREG(st.st_mode))
        snprintf(buf, n, "not a regular file (a device, pipe or socket)");
    else if (st.st_size == 0)
        snprintf(buf, n, "the file is empty (0 bytes)");
    else if (access(path, R_OK) != 0)
        snprintf(buf, n, "%s", strerror(errno));
    else
        return NULL;
    return buf;
}

const char *cw_gdal_reason(const char *fallback)
{
    return gdal_err_buf[0] ? gdal_err_buf : fallback;
}

/* "YYYY-MM-DD", a real calendar date (any year: 2000-01-01 means "all") */
int cw_valid_ymd(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] && !(m == 2 && d == 29 && !leap);
}

FILE *cw_file_create_tmp(const char *final, char *tmp, size_t n)
{
    if (cw_tmp_path(tmp, n, final))
        return NULL;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        cw_error("%s: cannot create: %s", tmp, strerror(errno));
    return f;
}

int cw_file_commit(FILE *f, const char *tmp, const char *final)
{
    int bad = ferror(f) | fflush(f) | fsync(fileno(f));
    if (fclose(f) || bad) {
        unlink(tmp);
        return cw_error("%s: write failed", final);
    }
    return cw_commit_file(tmp, final);
}

int cw_file_copy(const char *src, const char *dst)
{
    char tmp[PATH_MAX];
    FILE *in = fopen(src, "rb");
    if (!in)
        return cw_error("%s: %s", src, strerror(errno));
    FILE *out = cw_file_create_tmp(dst, tmp, sizeof tmp);
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[1 << 16];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, r, out) != r)
            break;
    int bad = ferror(in);
    fclose(in);
    if (bad) {
        fclose(out);
        unlink(tmp);
        return cw_error("%s: read error", src);
    }
    return cw_file_commit(out, tmp, dst);
}

/* --------------------------------------------------------------- run */

int cw_safe_name(char *out, size_t n, const char *s)
{
    char safe[121];
    size_t k = 0;
    int changed = 0;
    uint32_t h = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        h = (h ^ *c) * 16777619u;
        int ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
                 *c == '_' || (*c == '.' && k > 0);
        changed |= !ok;
        if (k < 120)
            safe[k++] = ok ? (char)*c : '_';
        else
            changed = 1;
    }
    safe[k] = '\0';
    int w = changed || !k ? snprintf(out, n, "%s-%08x", safe, h) : snprintf(out, n, "%s", safe);
    return w < 0 || (size_t)w >= n ? cw_error("name too long") : 0;
}

void cw_path_tidy(char *path)
{
    /* "a/./b" -> "a/b"; "d/../x" -> "x" when d is a real folder (through a
     * symbolic link ".." would go elsewhere, so those stay) */
    char out[PATH_MAX];
    size_t o = 0;
    const int abs = path[0] == '/';
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 0)
            break;
        if (l == 1 && p[0] == '.') {
            p += l;
            continue;
        }
        if (l == 2 && p[0] == '.' && p[1] == '.' && o > 0) {
            size_t start = o;
            while (start > 0 && out[start - 1] != '/')
                start--;
            struct stat st;
            out[o] = '\0';
            const char *prev = out + start;
            char probe[PATH_MAX];
            snprintf(probe, sizeof probe, "%s%s", abs ? "/" : "", out);
            if (strcmp(prev, "..") && lstat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
                o = start > 0 ? start - 1 : 0;
                p += l;
                continue;
            }
        }
        if (o + l + 2 >= sizeof out)
            return;
        if (o)
            out[o++] = '/';
        memcpy(out + o, p, l);
        o += l;
        p += l;
    }
    out[o] = '\0';
    snprintf(path, strlen(path) + 1, "%s%s", abs ? "/" : "", o ? out : (abs ? "" : "."));
}

static int lock_take(const char *path, long wait_s, int shared)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cw_error("%s: cannot open the lock: %s", path, strerror(errno));
    char was[256] = "";
    ssize_t r = pread(fd, was, sizeof was - 1, 0);
    was[r > 0 ? r : 0] = '\0';
    was[strcspn(was, "\n")] = '\0';
    for (long waited = 0;; waited++) {
        if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int e = errno;
            close(fd);
            return cw_error("%s: cannot lock: %s", path, strerror(e));
        }
        if (waited == 0)
            cw_note("%s is in use by %s; waiting up to %ld s", path, was[0] ? was : "another run", wait_s);
        if (waited >= wait_s) {
            close(fd);
            return cw_error("%s is still in use by %s after %ld s; nothing was done (run again when it has "
                            "finished)", path, was[0] ? was : "another run", wait_s);
        }
        sleep(1);
        r = pread(fd, was, sizeof was - 1, 0);
        was[r > 0 ? r : 0] = '\0';
        was[strcspn(was, "\n")] = '\0';
    }
    if (shared) /* the holders of a shared lock are the exclusive one's to name */
        return fd;
    if (was[0])
        cw_info("%s: lock of %s taken over (that run has ended)", path, was);
    char host[128] = "?", me[256];
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int l = snprintf(me, sizeof me, "host %s pid %ld since %s\n", host, (long)getpid(), ts);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, me, (size_t)l, 0) != l)
        cw_info("%s: cannot record the lock's holder: %s", path, strerror(errno));
    return fd;
}

int cw_lock_take(const char *path, long wait_s) { return lock_take(path, wait_s, 0); }
int cw_lock_take_shared(const char *path, long wait_s) { return lock_take(path, wait_s, 1); }

void cw_lock_drop(int fd)
{
    if (fd < 0)
        return;
    if (ftruncate(fd, 0) != 0) { /* the holder's line goes with the lock */
    }
    flock(fd, LOCK_UN);
    close(fd);
}

void cw_today_ymd(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* ---------------------------------------------------------------- big buffers */

#define HUGE_PAGE ((uintptr_t)2 << 20)

static void *advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (p && n >= 2 * HUGE_PAGE) {
        uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t b = ((uintptr_t)p + n) & ~(HUGE_PAGE - 1);
        if (b > a)
            (void)madvise((void *)a, b - a, MADV_HUGEPAGE); /* advice: a kernel without THP ignores it */
    }
#endif
    return p;
}

void *cw_big_malloc(size_t n) { return advise_huge(malloc(n), n); }

void *cw_big_realloc(void *p, size_t n) { return advise_huge(realloc(p, n), n); }
