/* canvas.c: the drawing calls of canvas.h, rendered by cairo into an image surface for PNG,
 * or written as SVG elements. Any allocation failure marks the canvas, and finishing it
 * reports the failure once. */
#include <cairo.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "atomicfile.h"
#include "bytebuf.h"
#include "canvas.h"

#define FONT "sans-serif"

struct cn_canvas {
    cn_canvas_kind kind;
    int w, h;
    cairo_surface_t *surface;   /* PNG */
    cairo_t *cr;
    cn_bytebuf svg;             /* SVG; svg.oom marks an allocation failure */
};

static void svg_printf(cn_canvas *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void svg_printf(cn_canvas *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cn_bytebuf_vprintf(&c->svg, fmt, ap);
    va_end(ap);
}

static void svg_escaped(cn_canvas *c, const char *s) {
    for (; s && *s; s++) {
        if (*s == '<') svg_printf(c, "&lt;");
        else if (*s == '>') svg_printf(c, "&gt;");
        else if (*s == '&') svg_printf(c, "&amp;");
        else if (*s == '"') svg_printf(c, "&quot;");
        else if ((unsigned char)*s < 32) svg_printf(c, "?");
        else svg_printf(c, "%c", *s);
    }
}

/* "#rrggbb" plus, when not opaque, an opacity attribute named attr */
static void svg_colour(cn_canvas *c, const char *what, const char *attr, cn_rgba k) {
    svg_printf(c, " %s=\"#%02x%02x%02x\"", what, (int)lround(k.r * 255), (int)lround(k.g * 255), (int)lround(k.b * 255));
    if (k.a < 1) svg_printf(c, " %s=\"%.3f\"", attr, k.a);
}

cn_canvas *cn_canvas_new(cn_canvas_kind kind, int w, int h) {
    cn_canvas *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->kind = kind; c->w = w; c->h = h;
    if (kind == CN_CANVAS_PNG) {
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
        c->cr = cairo_create(c->surface);
        if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) { cn_canvas_free(c); return NULL; }
        cairo_set_source_rgb(c->cr, 1, 1, 1);
        cairo_paint(c->cr);
        cairo_select_font_face(c->cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    } else {
        if (cn_bytebuf_reserve(&c->svg, 65536)) { free(c); return NULL; }
        svg_printf(c, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                      "font-family=\"%s\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n", w, h, w, h, FONT);
    }
    return c;
}

int cn_canvas_kind_of(const char *path, cn_canvas_kind *kind) {
    size_t n = strlen(path);
    if (n > 4 && strcasecmp(path + n - 4, ".svg") == 0) { *kind = CN_CANVAS_SVG; return 0; }
    if (n > 4 && strcasecmp(path + n - 4, ".png") == 0) { *kind = CN_CANVAS_PNG; return 0; }
    return -1;
}

static void cr_source(cairo_t *cr, cn_rgba k) { cairo_set_source_rgba(cr, k.r, k.g, k.b, k.a); }

void cn_cv_rect(cn_canvas *c, double x, double y, double w, double h, cn_rgba fill, const char *cls) {
    if (c->kind == CN_CANVAS_PNG) {
        cr_source(c->cr, fill);
        cairo_rectangle(c->cr, x, y, w, h);
        cairo_fill(c->cr);
        return;
    }
    svg_printf(c, "<rect");
    if (cls) svg_printf(c, " class=\"%s\"", cls);
    svg_printf(c, " x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"", x, y, w, h);
    svg_colour(c, "fill", "fill-opacity", fill);
    svg_printf(c, "/>\n");
}

void cn_cv_line(cn_canvas *c, double x0, double y0, double x1, double y1, double width, cn_rgba colour, int dashed) {
    if (c->kind == CN_CANVAS_PNG) {
        static const double dash[2] = { 4, 3 };
        cr_source(c->cr, colour);
        cairo_set_line_width(c->cr, width);
        cairo_set_dash(c->cr, dash, dashed ? 2 : 0, 0);
        cairo_move_to(c->cr, x0, y0);
        cairo_line_to(c->cr, x1, y1);
        cairo_stroke(c->cr);
        cairo_set_dash(c->cr, NULL, 0, 0);
        return;
    }
    svg_printf(c, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke-width=\"%.2f\"", x0, y0, x1, y1, width);
    svg_colour(c, "stroke", "stroke-opacity", colour);
    if (dashed) svg_printf(c, " stroke-dasharray=\"4 3\"");
    svg_printf(c, "/>\n");
}

void cn_cv_polyline(cn_canvas *c, const double *xy, int n, double width, cn_rgba colour) {
    if (n < 2) return;
    if (c->kind == CN_CANVAS_PNG) {
        cr_source(c->cr, colour);
        cairo_set_line_width(c->cr, width);
        cairo_set_line_join(c->cr, CAIRO_LINE_JOIN_ROUND);
        cairo_move_to(c->cr, xy[0], xy[1]);
        for (int i = 1; i < n; i++) cairo_line_to(c->cr, xy[2 * i], xy[2 * i + 1]);
        cairo_stroke(c->cr);
        return;
    }
    svg_printf(c, "<polyline fill=\"none\" stroke-width=\"%.2f\"", width);
    svg_colour(c, "stroke", "stroke-opacity", colour);
    svg_printf(c, " points=\"");
    for (int i = 0; i < n; i++) svg_printf(c, "%.1f,%.1f ", xy[2 * i], xy[2 * i + 1]);
    svg_printf(c, "\"/>\n");
}

void cn_cv_circle(cn_canvas *c, double x, double y, double r, cn_rgba fill, cn_rgba stroke) {
    if (c->kind == CN_CANVAS_PNG) {
        cairo_new_sub_path(c->cr);
        cairo_arc(c->cr, x, y, r, 0, 2 * M_PI);
        cr_source(c->cr, fill);
        cairo_fill_preserve(c->cr);
        cr_source(c->cr, stroke);
        cairo_set_line_width(c->cr, 1.5);
        cairo_stroke(c->cr);
        return;
    }
    svg_printf(c, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" stroke-width=\"1.5\"", x, y, r);
    svg_colour(c, "fill", "fill-opacity", fill);
    svg_colour(c, "stroke", "stroke-opacity", stroke);
    svg_printf(c, "/>\n");
}

void cn_cv_text(cn_canvas *c, double x, double y, double size, cn_align align, int vertical, int bold,
                cn_rgba colour, const char *text) {
    if (c->kind == CN_CANVAS_PNG) {
        cairo_save(c->cr);
        cairo_select_font_face(c->cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(c->cr, size);
        cairo_text_extents_t e;
        cairo_text_extents(c->cr, text, &e);
        double dx = align == CN_ALIGN_CENTER ? -e.x_advance / 2 : align == CN_ALIGN_RIGHT ? -e.x_advance : 0;
        cairo_translate(c->cr, x, y);
        if (vertical) cairo_rotate(c->cr, -M_PI / 2);
        cairo_move_to(c->cr, dx, 0);
        cr_source(c->cr, colour);
        cairo_show_text(c->cr, text);
        cairo_restore(c->cr);
        return;
    }
    static const char *anchor[3] = { "start", "middle", "end" };
    svg_printf(c, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"%s\"", x, y, size, anchor[align]);
    if (bold) svg_printf(c, " font-weight=\"bold\"");
    if (vertical) svg_printf(c, " transform=\"rotate(-90 %.2f %.2f)\"", x, y);
    svg_colour(c, "fill", "fill-opacity", colour);
    svg_printf(c, ">");
    svg_escaped(c, text);
    svg_printf(c, "</text>\n");
}

static cairo_status_t png_append(void *closure, const unsigned char *data, unsigned int len) {
    cn_bytebuf *b = closure;
    cn_bytebuf_put(b, data, len);
    return b->oom ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_SUCCESS;
}

int cn_canvas_finish(cn_canvas *c, uint8_t **out, size_t *len) {
    int rc = -1;
    if (c->kind == CN_CANVAS_PNG) {
        cn_bytebuf b = { 0 };
        cairo_surface_flush(c->surface);
        if (cairo_status(c->cr) == CAIRO_STATUS_SUCCESS &&
            cairo_surface_write_to_png_stream(c->surface, png_append, &b) == CAIRO_STATUS_SUCCESS) {
            *out = b.p; *len = b.n; b.p = NULL; rc = 0;
        }
        cn_bytebuf_free(&b);
    } else {
        svg_printf(c, "</svg>\n");
        if (!c->svg.oom) { *out = c->svg.p; *len = c->svg.n; c->svg.p = NULL; rc = 0; }
    }
    cn_canvas_free(c);
    return rc;
}

int cn_canvas_write(cn_canvas *c, const char *path, char *err, size_t errlen) {
    uint8_t *data;
    size_t n;
    if (cn_canvas_finish(c, &data, &n)) { snprintf(err, errlen, "%s: out of memory drawing the picture", path); return -1; }
    cn_afile a;
    if (cn_afile_open(&a, path, err, errlen)) { free(data); return -1; }
    fwrite(data, 1, n, a.f);
    free(data);
    return cn_afile_commit(&a, err, errlen);
}

void cn_canvas_free(cn_canvas *c) {
    if (!c) return;
    if (c->cr) cairo_destroy(c->cr);
    if (c->surface) cairo_surface_destroy(c->surface);
    cn_bytebuf_free(&c->svg);
    free(c);
}
