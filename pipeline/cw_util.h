/*
 * cw_util.h - errors, logging, number parsing and atomic output helpers of
 * the chakrawatch pipeline library.
 *
 * Library functions return 0 / a pointer on success and -1 / NULL on
 * failure after recording why with cw_error(); only main() exits.  The
 * message is per thread, so strips failing on two threads do not mix.
 */
#ifndef CW_UTIL_H
#define CW_UTIL_H

#include <ogr_srs_api.h>
#include <stddef.h>
#include <stdio.h>

#ifndef CW_VERSION
#define CW_VERSION "0.0.0"
#endif

#if defined(__GNUC__)
#define CW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CW_PRINTF(a, b)
#endif

/* Record an error message for this thread (printf-style). Returns -1. */
int cw_error(const char *fmt, ...) CW_PRINTF(1, 2);
/* Prefix the current message: "what: <old message>". Returns -1. */
int cw_error_prefix(const char *fmt, ...) CW_PRINTF(1, 2);
const char *cw_errmsg(void);
/* GDAL's last error for this thread, or "" (set by our CPL handler). */
const char *cw_gdal_errmsg(void);

/* A spatial reference whose axes are in GIS order (easting or longitude
 * first, as the pipeline's coordinates are): of a WKT, or EPSG:4326 when
 * wkt is NULL; NULL when the WKT is not one.  OSRDestroySpatialReference. */
OGRSpatialReferenceH cw_srs_gis(const char *wkt);
/* The transformation from EPSG:4326 to the CRS of a WKT (to_wgs 0) or back
 * (1), both in GIS order; NULL when there is none (cw_gdal_errmsg says why).
 * OCTDestroyCoordinateTransformation. */
OGRCoordinateTransformationH cw_ct_wgs84(const char *wkt, int to_wgs);

/* Install the GDAL error handler, set sane GDAL defaults; call once. */
void cw_gdal_init(void);

/* Log levels: warnings always go to stderr; info when verbose. */
void cw_warn(const char *fmt, ...) CW_PRINTF(1, 2);
void cw_info(const char *fmt, ...) CW_PRINTF(1, 2);
void cw_set_verbose(int v);
/* Plain progress/result line: stderr and the log file. */
void cw_note(const char *fmt, ...) CW_PRINTF(1, 2);
/* Also copy warnings, notes and info (verbose or not) into f (NULL: stop). */
void cw_set_log_file(FILE *f);
/* Warnings raised so far (a command can tell whether it was clean). */
int cw_warn_count(void);
/* Keeps a copy of every warning from now on (for the night's report);
 * cw_warn_capture(0) stops and forgets them. */
void cw_warn_capture(int on);
int cw_warn_captured(const char *const **list);
/* Adds a warning another process printed (a tile run's, for `finish`) to
 * the captured ones without printing it; one already there is not doubled. */
void cw_warn_keep(const char *msg);
/* Pauses (0) or resumes (1) capturing; returns the previous state. */
int cw_warn_capturing(int on);

/* strtol/strtod with full-string check; -1 on error. */
int cw_parse_long(const char *s, long lo, long hi, long *out);
int cw_parse_double(const char *s, double lo, double hi, double *out);

/* malloc / realloc for the large working buffers of the strip passes
 * (strips, state chunks, tile encoders: megabytes each, per thread).  The
 * 2 MiB-aligned part of such a buffer is advised to be backed by
 * transparent huge pages: every fresh 4 KiB page costs a fault (about
 * 5 us on a virtual machine), and a nightly tile touches half a gigabyte of
 * them.  Free with free(). */
void *cw_big_malloc(size_t n);
void *cw_big_realloc(void *p, size_t n);

/* Join dir and name into buf; -1 when it does not fit. */
int cw_path_join(char *buf, size_t n, const char *dir, const char *name);
/* Lexically tidied in place: "./" dropped, "folder/.." collapsed where the
 * folder is a real one (not a symbolic link), so messages read
 * "demo-run/out", not "configs/../demo-run/out".  Never longer. */
void cw_path_tidy(char *path);
int cw_is_dir(const char *path);
int cw_mkdir_p(const char *path);

/* Temporary sibling for an atomic write: "<dir>/.<name>.tmp<pid>". */
int cw_tmp_path(char *buf, size_t n, const char *final_path);
/* Removes this program's temporaries (".NAME.tmpPID") in dir whose process
 * is gone: what a killed run left.  Returns how many were removed. */
int cw_clean_stale_tmp(const char *dir);
/* rename(tmp, final) after the writer closed tmp successfully. */
int cw_commit_file(const char *tmp, const char *final_path);
/* A stdio file under final's temporary name (tmp receives it), and its
 * commit: flushed, fsynced, closed and renamed over final; -1 leaves
 * nothing behind. */
FILE *cw_file_create_tmp(const char *final, char *tmp, size_t n);
int cw_file_commit(FILE *f, const char *tmp, const char *final);
/* s as a file name: [A-Za-z0-9._-] kept (no leading dot), others '_',
 * at most 120 of them, and an 8-hex hash of s appended when anything was
 * changed, so two different names never meet; -1 when n is too small. */
int cw_safe_name(char *out, size_t n, const char *s);
/* An exclusive lock on path (flock, created when missing) that holds who
 * has it ("host pid since"); waits up to wait_s seconds.  A lock left by a
 * killed process is free (the kernel drops flock with the process) and is
 * taken over.  Returns the descriptor to keep, or -1 with cw_error()
 * naming the holder. */
int cw_lock_take(const char *path, long wait_s);
/* The same lock shared with other holders (the tile runs of a cluster
 * night, which the exclusive holder waits for); the holder is not recorded. */
int cw_lock_take_shared(const char *path, long wait_s);
void cw_lock_drop(int fd);
/* src copied to dst through a temporary. */
int cw_file_copy(const char *src, const char *dst);

/* Copy at most n-1 bytes and terminate. */
void cw_strlcpy(char *dst, const char *src, size_t n);
/* Replaces every byte that is not part of valid UTF-8 in s (capacity n) by
 * U+FFFD (or '?' when the string would not fit); returns how many were
 * replaced, so the caller can warn.  Text from file names and users' files
 * goes through this before it reaches CSV, HTML or the history. */
int cw_utf8_clean(char *s, size_t n);
/* 1 when s is exactly YYYY-MM-DD and a real calendar date (any year). */
int cw_valid_ymd(const char *s);
/* Today's date (UTC) as YYYY-MM-DD: the night when none is given. */
void cw_today_ymd(char out[11]);
/* Why path cannot be read as a data file (missing, dangling or looping
 * link, a folder, a device or FIFO, empty, no permission), into buf; NULL
 * when it is a readable, non-empty regular file or a GDAL virtual path
 * (/vsi...).  Checked before opening, so a FIFO never hangs the job and no
 * "cannot open X: " ends without a reason. */
const char *cw_file_problem(const char *path, char *buf, size_t n);
/* GDAL's last message, or `fallback` when GDAL said nothing. */
const char *cw_gdal_reason(const char *fallback);

int cw_omp_threads(void);      /* threads an OpenMP region would use */
/* The memory a pass may take when the job sets no budget: half of what the
 * process may use, the machine's physical memory or its cgroup's limit
 * (a Slurm job's, a container's) when that is lower. */
size_t cw_mem_auto(void);
int cw_omp_thread_num(void);   /* 0 without OpenMP */
void cw_omp_set_threads(int n);

#endif
