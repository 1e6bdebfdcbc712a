/* canvas.h: one drawing, two pictures. The piano roll and the loss plot draw once through
 * these calls; a PNG canvas renders them with cairo (anti-aliased shapes, real fonts), an SVG
 * canvas writes them as SVG elements, with every label a <text> element, so that the words
 * of a picture can be searched, read aloud and copied. Colours are RGB 0..1 with an alpha. */
#ifndef CONTINUO_CANVAS_H
#define CONTINUO_CANVAS_H
#include <stddef.h>
#include <stdint.h>

typedef struct { double r, g, b, a; } cn_rgba;
typedef struct cn_canvas cn_canvas;
typedef enum { CN_CANVAS_SVG, CN_CANVAS_PNG } cn_canvas_kind;
typedef enum { CN_ALIGN_LEFT, CN_ALIGN_CENTER, CN_ALIGN_RIGHT } cn_align;

/* A white canvas of w x h pixels; NULL on out of memory. */
cn_canvas *cn_canvas_new(cn_canvas_kind kind, int w, int h);
/* SVG or PNG by the path's extension (any case); -1 when it is neither. */
int cn_canvas_kind_of(const char *path, cn_canvas_kind *kind);
/* cls (may be NULL) becomes the SVG element's class, so that a reader can find the notes. */
void cn_cv_rect(cn_canvas *c, double x, double y, double w, double h, cn_rgba fill, const char *cls);
void cn_cv_line(cn_canvas *c, double x0, double y0, double x1, double y1, double width, cn_rgba colour, int dashed);
void cn_cv_polyline(cn_canvas *c, const double *xy, int n, double width, cn_rgba colour);
void cn_cv_circle(cn_canvas *c, double x, double y, double r, cn_rgba fill, cn_rgba stroke);
/* Text with its baseline at y; vertical = turned 90 degrees anticlockwise about (x, y). */
void cn_cv_text(cn_canvas *c, double x, double y, double size, cn_align align, int vertical, int bold,
                cn_rgba colour, const char *text);
/* The picture's bytes (malloc'd), and the canvas freed. 0, or -1 on out of memory. */
int cn_canvas_finish(cn_canvas *c, uint8_t **out, size_t *len);
/* The picture written atomically to path, and the canvas freed. 0, or -1 with err "PATH: problem". */
int cn_canvas_write(cn_canvas *c, const char *path, char *err, size_t errlen);
void cn_canvas_free(cn_canvas *c);
#endif
