/*
 * cw_state.h - per-pixel state files of a tile (reference slots, baseline,
 * monitoring state), read and written in chunks of CW_STATE_ROWS rows.
 *
 * Workload: each nightly scene pass reads the tile's current state chunk
 * by chunk (any thread, pread on one descriptor), updates it, compresses
 * the new chunk in the parallel phase and appends it in chunk order from
 * the ordered commit, so a full 10980 x 10980 tile never needs more than a
 * strip of state in memory and the bytes do not depend on threads or strip
 * height.  Files are immutable once written: each pass writes a new
 * generation (`<kind>-<gen>.cws`) and the history database says which
 * generation is current, so a killed job leaves the previous state intact.
 *
 * Format (little-endian), version CW_STATE_VERSION (version 4 is the same
 * with chunks of 128 rows; cw_state_upgrade cuts them):
 *   header  "CWSTATE\0", u32 version, u32 kind, u32 width, u32 height,
 *           u32 chunk_rows, u32 nchunks, u32 bytes_per_pixel, u32 reserved
 *   table   nchunks x { u64 offset, u32 compressed size, u32 raw size }
 *   chunks  the chunk's planes, plane after plane, 16-bit planes
 *           byte-shuffled (low bytes, then high bytes), as zstd frames with
 *           checksums, one after the other: one frame, or for dyn three (the
 *           planes before ref_blue; ref_blue, its literals only, no match;
 *           the planes after), which any zstd decoder reads as one stream.
 */
#ifndef CW_STATE_H
#define CW_STATE_H

#include "ck_change.h"

#include <stddef.h>
#include <stdint.h>

#define CW_STATE_VERSION 5 /* 3: dyn keeps the last clear observation's bands; 4: harmonic sums and terms;
                              5: chunks of CW_STATE_ROWS rows (128 before) */
#define CW_STATE_ROWS 16 /* rows per chunk; strips are multiples of it.  A chunk's planes, about 10 MB
                            across a full tile, stay in the cache while the pass goes through them */
#define CW_STATE_ROWS_MAX 8192

typedef enum { CW_ST_REF = 0, CW_ST_BASE = 1, CW_ST_DYN = 2, CW_ST_NKINDS } cw_state_kind;

const char *cw_state_kind_name(cw_state_kind k); /* "ref", "base", "dyn" */
/* Bytes per pixel of a kind's planes. */
size_t cw_state_bpp(cw_state_kind k);

/* Point the kernel structs at a plane-major buffer of npx pixels. */
void cw_state_bind_ref(uint8_t *buf, size_t npx, ck_base *b);  /* ref_* planes, nref, nwater */
void cw_state_bind_base(uint8_t *buf, size_t npx, ck_base *b); /* ndvi, nbr, spr_*, info */
void cw_state_bind_dyn(uint8_t *buf, size_t npx, ck_dyn *d);

typedef struct cw_state_file cw_state_file;

/* Opens an existing state file and checks it against the grid; NULL with
 * cw_error() when missing, corrupt or of another grid. */
cw_state_file *cw_state_open(const char *path, cw_state_kind kind, int width, int height);
void cw_state_close(cw_state_file *f);
/* Rows per chunk of f: CW_STATE_ROWS, or another height in a file written
 * before (read_chunk's c counts chunks of that height). */
int cw_state_chunk_rows(const cw_state_file *f);
/* A state file whose chunks are not CW_STATE_ROWS rows (a version 4 file,
 * 128) rewritten in chunks of CW_STATE_ROWS: the same pixels, under the
 * same name (a temporary file renamed over it, so an interruption leaves
 * the old file whole).  0 when done or nothing to do. */
int cw_state_upgrade(const char *path, cw_state_kind kind, int width, int height);
/* cw_state_open of a file in chunks of CW_STATE_ROWS, cut first when an
 * older build wrote it (the caller holds the tile's lock); NULL with
 * cw_error() as cw_state_open, or when it cannot be cut. */
cw_state_file *cw_state_open_current(const char *path, cw_state_kind kind, int width, int height);
/* Per-thread scratch for reading/writing chunks (zstd contexts, buffers). */
typedef struct cw_state_io cw_state_io;
cw_state_io *cw_state_io_new(void);
void cw_state_io_free(cw_state_io *io);
/* Decompresses chunk c into buf (plane-major, cw_state_bpp x pixels of the
 * chunk); f == NULL gives the empty state (all zero). Thread-safe per io. */
int cw_state_read_chunk(cw_state_file *f, cw_state_kind kind, int width, int height, int c, cw_state_io *io,
                        uint8_t *buf);

/* Where plane `plane` of a kind starts in a chunk of npx pixels (plane
 * after plane, in the order cw_state_bind_* lays them out). */
size_t cw_state_plane_offset(cw_state_kind k, int plane, size_t npx);
/* The reference kind's counts: nref, then nwater (1 byte a pixel each). */
#define CW_REF_PLANE_NREF (2 * CK_REF_SLOTS + CK_HSUMS)
/* Bytes [off, off + len) of chunk c's serial form, decompressed only as far
 * as they go (the rest of the frame, and its checksum, are not read): a
 * few rows of a neighbouring chunk's 1-byte planes, which the serial form
 * keeps as they are.  f == NULL: zeros. */
int cw_state_read_range(cw_state_file *f, cw_state_kind kind, int width, int height, int c, cw_state_io *io,
                        size_t off, size_t len, uint8_t *out);

typedef struct cw_state_writer cw_state_writer;
cw_state_writer *cw_state_create(const char *path, cw_state_kind kind, int width, int height);
/* The same, in chunks of `rows` rows (tests: a file as an older build wrote it). */
cw_state_writer *cw_state_create_rows(const char *path, cw_state_kind kind, int width, int height, int rows);
/* Compress one chunk (plane-major buffer of the chunk's pixels) into a
 * buffer owned by the caller's slot `slot` of io (parallel phase).  The
 * chunk is shuffled into its serial form in place: buf holds no pixels
 * after it, so this comes last. */
int cw_state_compress(cw_state_io *io, int slot, cw_state_kind kind, uint8_t *buf, size_t npx);
/* Chunk c of f as it is stored (its compressed frame, read, not decoded)
 * into io's slot `slot`, for a chunk the pass leaves unchanged: the frame
 * compressing its pixels again would give (same zstd, same level), without
 * the work (parallel phase). */
int cw_state_copy(cw_state_file *f, int c, cw_state_io *io, int slot);
/* Append the compressed chunk c held in io's slot (ordered phase). */
int cw_state_append(cw_state_writer *w, int c, cw_state_io *io, int slot);
/* 1: write the table, fsync, close and rename into place; 0: discard. */
int cw_state_finish(cw_state_writer *w, int commit);

#endif
