/*
 * cw_draw.h - the raster canvas behind the maps: an RGB image in memory,
 * the few primitives maps need (filled and stroked polygons, dashed lines,
 * discs, hatching, nearest-neighbour blits), text through FreeType, and
 * PNG output through libpng with tEXt metadata.
 *
 * Canvases are map-sized (a few megapixels at most); the 10 m data never
 * comes here whole, it arrives already reduced by cw_maps.c.  Coordinates
 * are image pixels, x right, y down, doubles for geometry (pixel centres at
 * +0.5).  Colours are 0xRRGGBB; alpha is 0 (transparent) .. 255 (opaque).
 * Everything here is deterministic: the same calls give the same bytes.
 */
#ifndef CW_DRAW_H
#define CW_DRAW_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int w, h;
    uint8_t *px; /* w * h * 3, RGB, row-major */
} cw_img;

int cw_img_init(cw_img *im, int w, int h, uint32_t rgb);
void cw_img_free(cw_img *im);

void cw_blend(cw_img *im, int x, int y, uint32_t rgb, int alpha);
void cw_rect(cw_img *im, int x, int y, int w, int h, uint32_t rgb, int alpha);
void cw_rect_outline(cw_img *im, int x, int y, int w, int h, int width, uint32_t rgb);
/* Line of `width` pixels; dash > 0 draws dash-pixel dashes with equal gaps. */
void cw_line(cw_img *im, double x0, double y0, double x1, double y1, double width, uint32_t rgb, int dash);
void cw_disc(cw_img *im, double cx, double cy, double r, uint32_t rgb, int alpha);
void cw_ring(cw_img *im, double cx, double cy, double r, double width, uint32_t rgb);
/* Diagonal hatching (the "not observed" style) over pixels where
 * mask[y * w + x] != 0 (mask has the image's size), or everywhere with NULL. */
void cw_hatch(cw_img *im, const uint8_t *mask, int x, int y, int w, int h, uint32_t bg, uint32_t fg);
/* Copies src into im at (x, y), each source pixel as a zoom x zoom block. */
void cw_blit(cw_img *im, const cw_img *src, int x, int y, int zoom);

/* Polygons: rings of points (x, y pairs), nr rings, ring i has len[i]
 * points; even-odd rule (holes are holes).  A pixel is inside when its
 * centre is. */
typedef struct {
    double *xy;
    int *len;
    int nr, npts;
    int cap_pts, cap_r;
} cw_poly;

void cw_poly_clear(cw_poly *p);
void cw_poly_free(cw_poly *p);
int cw_poly_ring(cw_poly *p); /* starts a new ring */
int cw_poly_add(cw_poly *p, double x, double y);
void cw_poly_bbox(const cw_poly *p, double *x0, double *y0, double *x1, double *y1);

/* Calls span(ctx, y, x0, x1) for each run [x0, x1) of inside pixels,
 * clipped to [0, w) x [0, h). */
void cw_poly_spans(const cw_poly *p, int w, int h, void (*span)(void *ctx, int y, int x0, int x1), void *ctx);
void cw_poly_fill(cw_img *im, const cw_poly *p, uint32_t rgb, int alpha);
void cw_poly_stroke(cw_img *im, const cw_poly *p, double width, uint32_t rgb, int dash);

/* Text (UTF-8) with FreeType.  A NULL font draws nothing and measures 0,
 * so a machine without fonts still gets its maps (warned once). */
typedef struct cw_font cw_font;
/* path NULL: the Debian DejaVu fonts (fonts-dejavu-core); bold selects
 * the bold face. */
cw_font *cw_font_open(const char *path, int bold);
void cw_font_close(cw_font *f);
int cw_text_width(cw_font *f, int size_px, const char *utf8);
/* Draws at baseline y; halo > 0 draws a halo of that colour behind the
 * glyphs (legible on imagery).  Returns the advance in pixels. */
int cw_text(cw_img *im, cw_font *f, int size_px, int x, int y, const char *utf8, uint32_t rgb, int halo,
            uint32_t halo_rgb);

/* Writes im as an 8-bit RGB PNG: temporary file then rename.  kv are
 * tEXt key/value pairs (Latin-1 keywords), NULL-terminated; no tIME chunk,
 * so the bytes depend only on pixels and text. */
int cw_png_write(const cw_img *im, const char *path, const char *const *kv);

#endif
