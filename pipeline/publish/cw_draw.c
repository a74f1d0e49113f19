/*
 * cw_draw.c - canvas, primitives, FreeType text and PNG output for the
 * maps (see cw_draw.h).  Called a few dozen times per night per tile on
 * map-sized images; clarity over speed, except in the per-pixel loops.
 */
#include "publish/cw_draw.h"
#include "cw_util.h"

#include <errno.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cw_img_init(cw_img *im, int w, int h, uint32_t rgb)
{
    im->w = w;
    im->h = h;
    im->px = malloc((size_t)w * (size_t)h * 3 + 1);
    if (!im->px)
        return cw_error("out of memory (image of %d x %d)", w, h);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        im->px[3 * i] = (uint8_t)(rgb >> 16);
        im->px[3 * i + 1] = (uint8_t)(rgb >> 8);
        im->px[3 * i + 2] = (uint8_t)rgb;
    }
    return 0;
}

void cw_img_free(cw_img *im)
{
    if (!im)
        return;
    free(im->px);
    im->px = NULL;
    im->w = im->h = 0;
}

void cw_blend(cw_img *im, int x, int y, uint32_t rgb, int alpha)
{
    if (x < 0 || y < 0 || x >= im->w || y >= im->h || alpha <= 0)
        return;
    uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
    if (alpha >= 255) {
        p[0] = (uint8_t)(rgb >> 16);
        p[1] = (uint8_t)(rgb >> 8);
        p[2] = (uint8_t)rgb;
        return;
    }
    const int c[3] = {(int)(rgb >> 16) & 255, (int)(rgb >> 8) & 255, (int)rgb & 255};
    for (int k = 0; k < 3; k++)
        p[k] = (uint8_t)((p[k] * (255 - alpha) + c[k] * alpha + 127) / 255);
}

void cw_rect(cw_img *im, int x, int y, int w, int h, uint32_t rgb, int alpha)
{
    for (int yy = y < 0 ? 0 : y; yy < y + h && yy < im->h; yy++)
        for (int xx = x < 0 ? 0 : x; xx < x + w && xx < im->w; xx++)
            cw_blend(im, xx, yy, rgb, alpha);
}

void cw_rect_outline(cw_img *im, int x, int y, int w, int h, int width, uint32_t rgb)
{
    cw_rect(im, x, y, w, width, rgb, 255);
    cw_rect(im, x, y + h - width, w, width, rgb, 255);
    cw_rect(im, x, y, width, h, rgb, 255);
    cw_rect(im, x + w - width, y, width, h, rgb, 255);
}

/* a filled disc of radius r around a point: the "pen" of lines */
static void stamp(cw_img *im, double cx, double cy, double r, uint32_t rgb, int alpha)
{
    int x0 = (int)floor(cx - r), x1 = (int)ceil(cx + r), y0 = (int)floor(cy - r), y1 = (int)ceil(cy + r);
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            if (dx * dx + dy * dy <= r * r + 0.25)
                cw_blend(im, x, y, rgb, alpha);
        }
}

void cw_disc(cw_img *im, double cx, double cy, double r, uint32_t rgb, int alpha) { stamp(im, cx, cy, r, rgb, alpha); }

/* one segment; *phase carries the dash pattern along a polyline */
static void segment(cw_img *im, double x0, double y0, double x1, double y1, double width, uint32_t rgb, int dash,
                    double *phase)
{
    double len = hypot(x1 - x0, y1 - y0), r = width / 2;
    int steps = (int)ceil(len / 0.5);
    if (steps < 1)
        steps = 1;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps, d = *phase + t * len;
        if (dash > 0 && fmod(d, 2.0 * dash) >= dash)
            continue;
        stamp(im, x0 + t * (x1 - x0), y0 + t * (y1 - y0), r, rgb, 255);
    }
    *phase += len;
}

void cw_line(cw_img *im, double x0, double y0, double x1, double y1, double width, uint32_t rgb, int dash)
{
    double phase = 0;
    segment(im, x0, y0, x1, y1, width, rgb, dash, &phase);
}

void cw_ring(cw_img *im, double cx, double cy, double r, double width, uint32_t rgb)
{
    int n = (int)ceil(2 * M_PI * r / 2) + 8;
    double phase = 0;
    for (int i = 0; i < n; i++) {
        double a0 = 2 * M_PI * i / n, a1 = 2 * M_PI * (i + 1) / n;
        segment(im, cx + r * cos(a0), cy + r * sin(a0), cx + r * cos(a1), cy + r * sin(a1), width, rgb, 0, &phase);
    }
}

void cw_hatch(cw_img *im, const uint8_t *mask, int x, int y, int w, int h, uint32_t bg, uint32_t fg)
{
    for (int yy = y < 0 ? 0 : y; yy < y + h && yy < im->h; yy++)
        for (int xx = x < 0 ? 0 : x; xx < x + w && xx < im->w; xx++) {
            if (mask && !mask[(size_t)yy * (size_t)im->w + (size_t)xx])
                continue;
            /* 45-degree stripes, 3 px on 8 px, anchored to the image so
             * neighbouring areas line up */
            cw_blend(im, xx, yy, ((xx + yy) & 7) < 3 ? fg : bg, 255);
        }
}

void cw_blit(cw_img *im, const cw_img *src, int x, int y, int zoom)
{
    if (zoom < 1)
        zoom = 1;
    for (int sy = 0; sy < src->h; sy++)
        for (int dy = 0; dy < zoom; dy++) {
            int ty = y + sy * zoom + dy;
            if (ty < 0 || ty >= im->h)
                continue;
            for (int sx = 0; sx < src->w; sx++) {
                const uint8_t *s = src->px + ((size_t)sy * (size_t)src->w + (size_t)sx) * 3;
                for (int dx = 0; dx < zoom; dx++) {
                    int tx = x + sx * zoom + dx;
                    if (tx < 0 || tx >= im->w)
                        continue;
                    memcpy(im->px + ((size_t)ty * (size_t)im->w + (size_t)tx) * 3, s, 3);
                }
            }
        }
}

/* ------------------------------------------------------------ polygons */

void cw_poly_clear(cw_poly *p)
{
    p->nr = 0;
    p->npts = 0;
}

void cw_poly_free(cw_poly *p)
{
    free(p->xy);
    free(p->len);
    memset(p, 0, sizeof *p);
}

int cw_poly_ring(cw_poly *p)
{
    if (p->nr == p->cap_r) {
        int cap = p->cap_r ? 2 * p->cap_r : 8;
        int *nl = realloc(p->len, (size_t)cap * sizeof *nl);
        if (!nl)
            return cw_error("out of memory (polygon)");
        p->len = nl;
        p->cap_r = cap;
    }
    p->len[p->nr++] = 0;
    return 0;
}

int cw_poly_add(cw_poly *p, double x, double y)
{
    if (!p->nr && cw_poly_ring(p))
        return -1;
    if (p->npts == p->cap_pts) {
        int cap = p->cap_pts ? 2 * p->cap_pts : 64;
        double *nx = realloc(p->xy, (size_t)cap * 2 * sizeof *nx);
        if (!nx)
            return cw_error("out of memory (polygon)");
        p->xy = nx;
        p->cap_pts = cap;
    }
    p->xy[2 * p->npts] = x;
    p->xy[2 * p->npts + 1] = y;
    p->npts++;
    p->len[p->nr - 1]++;
    return 0;
}

void cw_poly_bbox(const cw_poly *p, double *x0, double *y0, double *x1, double *y1)
{
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int i = 0; i < p->npts; i++) {
        double x = p->xy[2 * i], y = p->xy[2 * i + 1];
        *x0 = x < *x0 ? x : *x0;
        *x1 = x > *x1 ? x : *x1;
        *y0 = y < *y0 ? y : *y0;
        *y1 = y > *y1 ? y : *y1;
    }
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cw_poly_spans(const cw_poly *p, int w, int h, void (*span)(void *ctx, int y, int x0, int x1), void *ctx)
{
    if (p->npts < 3)
        return;
    double bx0, by0, bx1, by1;
    cw_poly_bbox(p, &bx0, &by0, &bx1, &by1);
    int ya = (int)floor(by0), yb = (int)ceil(by1);
    ya = ya < 0 ? 0 : ya;
    yb = yb > h ? h : yb;
    double *xs = malloc((size_t)p->npts * sizeof *xs);
    if (!xs)
        return;
    for (int y = ya; y < yb; y++) {
        double yc = y + 0.5;
        int nx = 0, base = 0;
        for (int r = 0; r < p->nr; r++) {
            int n = p->len[r];
            for (int i = 0; i < n; i++) {
                const double *a = p->xy + 2 * (base + i), *b = p->xy + 2 * (base + (i + 1) % n);
                if ((a[1] <= yc && yc < b[1]) || (b[1] <= yc && yc < a[1]))
                    xs[nx++] = a[0] + (yc - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            }
            base += n;
        }
        qsort(xs, (size_t)nx, sizeof *xs, dbl_cmp);
        for (int i = 0; i + 1 < nx; i += 2) {
            int x0 = (int)ceil(xs[i] - 0.5), x1 = (int)ceil(xs[i + 1] - 0.5);
            x0 = x0 < 0 ? 0 : x0;
            x1 = x1 > w ? w : x1;
            if (x1 > x0)
                span(ctx, y, x0, x1);
        }
    }
    free(xs);
}

typedef struct {
    cw_img *im;
    uint32_t rgb;
    int alpha;
} fill_ctx;

static void fill_span(void *ctx, int y, int x0, int x1)
{
    fill_ctx *c = ctx;
    for (int x = x0; x < x1; x++)
        cw_blend(c->im, x, y, c->rgb, c->alpha);
}

void cw_poly_fill(cw_img *im, const cw_poly *p, uint32_t rgb, int alpha)
{
    fill_ctx c = {im, rgb, alpha};
    cw_poly_spans(p, im->w, im->h, fill_span, &c);
}

void cw_poly_stroke(cw_img *im, const cw_poly *p, double width, uint32_t rgb, int dash)
{
    int base = 0;
    for (int r = 0; r < p->nr; r++) {
        int n = p->len[r];
        double phase = 0;
        for (int i = 0; i < n; i++) {
            const double *a = p->xy + 2 * (base + i), *b = p->xy + 2 * (base + (i + 1) % n);
            segment(im, a[0], a[1], b[0], b[1], width, rgb, dash, &phase);
        }
        base += n;
    }
}

/* ---------------------------------------------------------------- text */

struct cw_font {
    FT_Library lib;
    FT_Face face;
    int size; /* pixel size last set */
};

cw_font *cw_font_open(const char *path, int bold)
{
    static const char *const regular[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                                          "/usr/share/fonts/TTF/DejaVuSans.ttf"};
    static const char *const boldf[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                                        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"};
    cw_font *f = calloc(1, sizeof *f);
    if (!f || FT_Init_FreeType(&f->lib)) {
        free(f);
        cw_error("FreeType cannot start");
        return NULL;
    }
    int ok = 0;
    if (path && *path) {
        ok = FT_New_Face(f->lib, path, 0, &f->face) == 0;
    } else {
        const char *const *list = bold ? boldf : regular;
        for (int i = 0; i < 2 && !ok; i++)
            ok = FT_New_Face(f->lib, list[i], 0, &f->face) == 0;
    }
    if (!ok) {
        FT_Done_FreeType(f->lib);
        free(f);
        cw_error("font %s cannot be loaded (Debian package fonts-dejavu-core)",
                 path && *path ? path : bold ? boldf[0] : regular[0]);
        return NULL;
    }
    return f;
}

void cw_font_close(cw_font *f)
{
    if (!f)
        return;
    FT_Done_Face(f->face);
    FT_Done_FreeType(f->lib);
    free(f);
}

/* next code point of UTF-8 text (U+FFFD for malformed bytes) */
static uint32_t utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c = *p++;
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (c >= 0x80 && c < 0xC0)
        more = -1;
    if (more > 0) {
        c &= 0x3Fu >> more;
        for (int i = 0; i < more; i++, p++) {
            if ((*p & 0xC0) != 0x80) {
                c = 0xFFFD;
                break;
            }
            c = (c << 6) | (*p & 0x3Fu);
        }
    } else if (more < 0) {
        c = 0xFFFD;
    }
    *s = (const char *)p;
    return c;
}

static void set_size(cw_font *f, int size)
{
    if (f->size != size) {
        FT_Set_Pixel_Sizes(f->face, 0, (FT_UInt)size);
        f->size = size;
    }
}

int cw_text_width(cw_font *f, int size_px, const char *s)
{
    if (!f)
        return 0;
    set_size(f, size_px);
    long pen = 0;
    while (*s) {
        uint32_t c = utf8_next(&s);
        if (FT_Load_Char(f->face, c, FT_LOAD_DEFAULT) == 0)
            pen += f->face->glyph->advance.x;
    }
    return (int)((pen + 63) >> 6);
}

static void draw_glyphs(cw_img *im, cw_font *f, int x, int y, const char *s, uint32_t rgb, int dx, int dy)
{
    long pen = (long)x * 64;
    while (*s) {
        uint32_t c = utf8_next(&s);
        if (FT_Load_Char(f->face, c, FT_LOAD_RENDER))
            continue;
        FT_GlyphSlot g = f->face->glyph;
        int gx = (int)(pen >> 6) + g->bitmap_left + dx, gy = y - g->bitmap_top + dy;
        for (unsigned r = 0; r < g->bitmap.rows; r++)
            for (unsigned q = 0; q < g->bitmap.width; q++) {
                int a = g->bitmap.buffer[(size_t)r * (size_t)abs(g->bitmap.pitch) + q];
                if (a)
                    cw_blend(im, gx + (int)q, gy + (int)r, rgb, a);
            }
        pen += g->advance.x;
    }
}

int cw_text(cw_img *im, cw_font *f, int size_px, int x, int y, const char *s, uint32_t rgb, int halo,
            uint32_t halo_rgb)
{
    if (!f)
        return 0;
    set_size(f, size_px);
    for (int dy = -halo; dy <= halo; dy++)
        for (int dx = -halo; dx <= halo; dx++)
            if ((dx || dy) && dx * dx + dy * dy <= halo * halo + 1)
                draw_glyphs(im, f, x, y, s, halo_rgb, dx, dy);
    draw_glyphs(im, f, x, y, s, rgb, 0, 0);
    return cw_text_width(f, size_px, s);
}

/* ----------------------------------------------------------------- PNG */

static void png_err(png_structp png, png_const_charp msg)
{
    cw_error("libpng: %s", msg);
    longjmp(png_jmpbuf(png), 1);
}

/* Our own write so a full disk says so ("No space left on device"), not
 * libpng's bare "Write Error". */
static void png_write_fn(png_structp png, png_bytep data, png_size_t n)
{
    FILE *f = png_get_io_ptr(png);
    if (fwrite(data, 1, n, f) != n) {
        cw_error("libpng: cannot write: %s", strerror(errno ? errno : EIO));
        longjmp(png_jmpbuf(png), 1);
    }
}

static void png_flush_fn(png_structp png) { fflush(png_get_io_ptr(png)); }

static void png_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

int cw_png_write(const cw_img *im, const char *path, const char *const *kv)
{
    char tmp[4096];
    if (cw_tmp_path(tmp, sizeof tmp, path))
        return -1;
    FILE *volatile f = fopen(tmp, "wb");
    if (!f)
        return cw_error("%s: cannot create: %s", tmp, strerror(errno));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_err, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_text *volatile texts = NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        fclose(f);
        unlink(tmp);
        return cw_error("libpng: cannot start");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(texts);
        fclose(f);
        unlink(tmp);
        return cw_error_prefix("%s", path);
    }
    png_set_write_fn(png, f, png_write_fn, png_flush_fn);
    /* zlib level 4: on imagery (a real L2A scene's colour composite, the
     * bench tile's overview) a third of level 6's time for at most 3.4 %
     * more bytes; maps of flat colour come out the same size either way */
    png_set_compression_level(png, 4);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    int nt = 0;
    while (kv && kv[2 * nt])
        nt++;
    if (nt) {
        texts = calloc((size_t)nt, sizeof *texts);
        if (!texts)
            png_error(png, "out of memory");
        for (int i = 0; i < nt; i++) {
            const char *v = kv[2 * i + 1] ? kv[2 * i + 1] : "";
            int ascii = 1;
            for (const char *c = v; *c; c++)
                ascii &= (unsigned char)*c < 0x80;
            /* tEXt is Latin-1: UTF-8 text (AOI names) goes in iTXt */
            texts[i].compression = ascii ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
            texts[i].key = (char *)kv[2 * i];
            texts[i].text = (char *)v;
        }
        png_set_text(png, info, texts, nt);
    }
    png_write_info(png, info);
    for (int y = 0; y < im->h; y++)
        png_write_row(png, im->px + (size_t)y * (size_t)im->w * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(texts);
    int bad = ferror(f) | fflush(f) | fsync(fileno(f));
    int e = errno;
    if (fclose(f) || bad) {
        unlink(tmp);
        return cw_error("%s: write failed: %s", path, strerror(bad ? (e ? e : EIO) : errno));
    }
    return cw_commit_file(tmp, path);
}
