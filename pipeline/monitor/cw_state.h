/*
 * cw_state.h - per-pixel state files of a tile (reference slots, baseline,
 * monitoring state), read and written in chunks of CW_STATE_ROWS rows by
 * CW_STATE_COLS columns.
 *
 * Workload: each nightly scene pass reads the tile's current state chunk
 * by chunk (any thread, pread on one descriptor), updates it, compresses
 * the new chunk in the parallel phase and appends it from the ordered
 * commit, in an order fixed by the grid (cw_monitor.c), so a full 10980 x
 * 10980 tile never needs more than a few chunks of state in memory and the
 * bytes do not depend on threads, strip height or column windows.  Files
 * are immutable once written: each pass writes a new generation
 * (`<kind>-<gen>.cws`) and the history database says which generation is
 * current, so a killed job leaves the previous state intact.
 *
 * Format (little-endian), version CW_STATE_VERSION (versions 4 and 5 have
 * chunks of 128 and 16 full rows and the reference's counts last;
 * cw_state_upgrade cuts them and moves the counts; version 6 is read as it
 * is: its frames checksum their content and it has no CRC frame):
 *   header  "CWSTATE\0", u32 version, u32 kind, u32 width, u32 height,
 *           u32 chunk_rows, u32 nchunks, u32 bytes_per_pixel, u32 chunk_cols
 *   table   nchunks x { u64 offset, u32 compressed size, u32 raw size }, the
 *           chunks row by row (chunk c: row c / ncols, column c % ncols of
 *           the chunks' grid), at any offset
 *   chunks  the chunk's planes, plane after plane, 16-bit planes
 *           byte-shuffled (low bytes, then high bytes), as zstd frames
 *           without content checksums, one after the other: one frame, or
 *           for dyn three (the planes before ref_blue; ref_blue, its
 *           literals only, no match; the planes after), each cut where byte
 *           planes of one value are: those, a run of them of one value, an
 *           RLE frame of their own (no pass of zstd's over them); then a skippable
 *           frame (magic 0x184D2A5C, size 4) holding the CRC-32 of the
 *           chunk's bytes before it.  Any zstd decoder reads the chunk as one
 *           stream.  The CRC covers what is stored, about a tenth of the
 *           bytes a content checksum hashes, and is checked on every read
 *           of a whole chunk and before a chunk is copied into a new file.
 */
#ifndef CW_STATE_H
#define CW_STATE_H

#include "ck_change.h"

#include <stddef.h>
#include <stdint.h>

#define CW_STATE_VERSION                                                                                     \
    7                    /* 3: dyn keeps the last clear observation's bands; 4: harmonic sums and terms;     \
                            5: chunks of CW_STATE_ROWS rows (128 before); 6: and CW_STATE_COLS               \
                            columns (full rows before), the reference's counts first; 7: a CRC-32 of         \
                            each chunk's bytes instead of its frames' content checksums */
#define CW_STATE_ROWS 16 /* rows per chunk; strips are multiples of it */
#define CW_STATE_COLS                                                                                        \
    2048 /* columns per chunk: a chunk's planes (about 2 MB) stay in the cache while                         \
            the pass goes through them, and its memory does not grow with the grid */
#define CW_STATE_BAND                                                                                        \
    512 /* the order chunks are appended in: bands of this many rows top to bottom, in                       \
           each its chunk columns left to right, each column's chunks top to bottom */
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
/* Columns per chunk of the files this build writes: CW_STATE_COLS (test
 * hook: CHAKRAWATCH_STATE_COLS, a divisor of it from 64, for chunk columns
 * in small scenes). */
int cw_state_cols(void);
/* A chunk's place in the grid. */
typedef struct {
    int y0, x0, rows, cols;
} cw_state_rect;
/* Chunks of a grid cut into rows x cols, and where chunk c is. */
int cw_state_chunks(int width, int height, int rows, int cols);
cw_state_rect cw_state_chunk_rect(int width, int height, int rows, int cols, int c);
/* Rows per chunk of f: CW_STATE_ROWS, or another height in a file written
 * before; its chunks, and where chunk c is (read_chunk's c counts them). */
int cw_state_chunk_rows(const cw_state_file *f);
int cw_state_nchunks(const cw_state_file *f);
cw_state_rect cw_state_rect_of(const cw_state_file *f, int c);
/* A state file an older build wrote (chunks of other rows or columns, the
 * reference's counts last) rewritten as this build writes it: the same
 * pixels, under the same name (a temporary file renamed over it, so an
 * interruption leaves the old file whole).  0 when done or nothing to do. */
int cw_state_upgrade(const char *path, cw_state_kind kind, int width, int height);
/* cw_state_open of a file as this build writes it, cut first when an
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
#define CW_REF_PLANE_NREF 0
/* Bytes [off, off + len) of chunk c's serial form, decompressed only as far
 * as they go (the rest of the chunk, and its CRC, are not read): a
 * few rows of a neighbouring chunk's 1-byte planes, which the serial form
 * keeps as they are.  f == NULL: zeros. */
int cw_state_read_range(cw_state_file *f, cw_state_kind kind, int width, int height, int c, cw_state_io *io,
                        size_t off, size_t len, uint8_t *out);

typedef struct cw_state_writer cw_state_writer;
cw_state_writer *cw_state_create(const char *path, cw_state_kind kind, int width, int height);
/* The same, in chunks of rows x cols (tests: a file cut as an older build cut it). */
cw_state_writer *cw_state_create_grid(const char *path, cw_state_kind kind, int width, int height, int rows,
                                      int cols);
/* Compress one chunk (plane-major buffer of the chunk's pixels) into a
 * buffer owned by the caller's slot `slot` of io (parallel phase).  The
 * chunk is shuffled into its serial form in place: buf holds no pixels
 * after it, so this comes last. */
int cw_state_compress(cw_state_io *io, int slot, cw_state_kind kind, uint8_t *buf, size_t npx);
/* Chunk c of f as it is stored (its compressed frames, read and checked
 * against their CRC, not decoded) into io's slot `slot`, for a chunk the
 * pass leaves unchanged: the frames compressing its pixels again would give
 * (same zstd, same level), without the work (parallel phase).  A version 6
 * chunk keeps its frames (with their checksums) and gets its CRC frame. */
int cw_state_copy(cw_state_file *f, int c, cw_state_io *io, int slot);
/* Append the compressed chunk c held in io's slot (ordered phase); each
 * chunk once, in any order (the order they come in is the file's). */
int cw_state_append(cw_state_writer *w, int c, cw_state_io *io, int slot);
/* 1: write the table, fsync, close and rename into place; 0: discard. */
int cw_state_finish(cw_state_writer *w, int commit);

#endif
