/* display_draw.c: the inline display's picture, drawn with cairo on the GUI thread from one
 * snapshot (display.h): a piano roll of the current exchange, the call in blue and the answer
 * in orange (played notes solid, scheduled ones faint), a white playhead at the engine's now;
 * above it the mode and the key in words from the control table; over it a short word when
 * there is no model or the last one failed to load. Notes are drawn without antialiasing on
 * whole pixels, so that each row of the roll is one pitch and keeps its colour exactly. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <cairo.h>
#include "display.h"
#include "jam_controls.h"

#define SPAN_MIN   4.0    /* beats the roll shows at least */
#define SPAN_MAX   32.0   /* and at most (the newest) */
#define ROWS_MIN   12     /* pitches it shows at least: an octave */

typedef uint32_t rgb;   /* 0xRRGGBB */
static const rgb BG = 0x1b1d22, OCTAVE = 0x2b2e36, DUE = 0x24262e, PLAYHEAD = 0xebebeb;
static const rgb CALL = CN_DISPLAY_CALL_RGB, ANSWER = CN_DISPLAY_ANSWER_RGB, TEXT = CN_DISPLAY_TEXT_RGB,
                 FAILED = CN_DISPLAY_FAILED_RGB;

/* Where beats and pitches land: the roll's box, its time window and its pitch range. */
typedef struct { double x0, y0, pw, ph, t0, t1; int lo, hi; } roll;

/* Every function here runs on the GUI thread, inside render(). */
static void set_rgb(cairo_t *cr, rgb c, double a) {
    cairo_set_source_rgba(cr, (c >> 16) / 255.0, ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0, a);
}

/* The beats and pitches the exchange covers; the playhead (0) always in. */
static void note_span(const cn_jam_view *v, double *t_lo, double *t_hi, int *p_lo, int *p_hi) {
    *t_lo = 0; *t_hi = 0; *p_lo = 128; *p_hi = -1;
    for (int k = 0; k < 2; k++) {
        const cn_jam_view_note *n = k ? v->answer : v->call;
        for (int i = 0, m = k ? v->n_answer : v->n_call; i < m; i++) {
            if (n[i].start < *t_lo) *t_lo = n[i].start;
            if (n[i].end > *t_hi) *t_hi = n[i].end;
            if (n[i].pitch < *p_lo) *p_lo = n[i].pitch;
            if (n[i].pitch > *p_hi) *p_hi = n[i].pitch;
        }
    }
    if (v->answer_due && v->answer_to > *t_hi) *t_hi = v->answer_to;
}

/* The window: every note of the exchange and the playhead, at least SPAN_MIN beats, at most
 * the newest SPAN_MAX; the pitches played, at least an octave, with a row to spare each side. */
static roll roll_of(const cn_jam_view *v, double x0, double y0, double pw, double ph) {
    double t_lo, t_hi;
    int lo, hi;
    note_span(v, &t_lo, &t_hi, &lo, &hi);
    roll r = { x0, y0, pw, ph, t_lo - 0.25, t_hi + 0.25, 0, 0 };
    if (r.t1 - r.t0 < SPAN_MIN) r.t0 = r.t1 - SPAN_MIN;
    if (r.t1 - r.t0 > SPAN_MAX) r.t0 = r.t1 - SPAN_MAX;
    if (hi < lo) { lo = 60; hi = 60; }
    lo--; hi++;
    while (hi - lo + 1 < ROWS_MIN) { if ((hi - lo) % 2) lo--; else hi++; }
    r.lo = lo < 0 ? 0 : lo;
    r.hi = hi > 127 ? 127 : hi;
    return r;
}

static double x_of(const roll *r, double t) { return r->x0 + (t - r->t0) / (r->t1 - r->t0) * r->pw; }

/* A pitch's row, in whole pixels: [*top, *bottom). */
static void row_of(const roll *r, int pitch, double *top, double *bottom) {
    double row_h = r->ph / (r->hi - r->lo + 1);
    *top = floor(r->y0 + (r->hi - pitch) * row_h);
    *bottom = floor(r->y0 + (r->hi - pitch + 1) * row_h);
    if (row_h >= 4) *bottom -= 1;   /* a gap between rows, when there is room for one */
    if (*bottom <= *top) *bottom = *top + 1;
}

/* One note as a box on its row, at least a pixel wide, cut at the window. */
static void draw_note(cairo_t *cr, const roll *r, const cn_jam_view_note *n) {
    if (n->end < r->t0 || n->start > r->t1 || n->pitch < r->lo || n->pitch > r->hi) return;
    double a = floor(x_of(r, n->start < r->t0 ? r->t0 : n->start)), b = floor(x_of(r, n->end > r->t1 ? r->t1 : n->end));
    if (b < a + 1) b = a + 1;
    double top, bottom;
    row_of(r, n->pitch, &top, &bottom);
    cairo_rectangle(cr, a, top, b - a, bottom - top);
    cairo_fill(cr);
}

/* Faint lines on the Cs, the answer's window, the notes, the playhead. */
static void draw_roll(cairo_t *cr, const cn_jam_view *v, const roll *r) {
    set_rgb(cr, OCTAVE, 1);
    for (int p = r->lo; p <= r->hi; p++) {
        if (p % 12) continue;
        double top, bottom;
        row_of(r, p, &top, &bottom);
        cairo_rectangle(cr, r->x0, bottom, r->pw, 1);
        cairo_fill(cr);
    }
    if (v->answer_due) {
        double a = floor(x_of(r, v->answer_from)), b = floor(x_of(r, v->answer_to));
        set_rgb(cr, DUE, 1);
        cairo_rectangle(cr, a, r->y0, b - a, r->ph);
        cairo_fill(cr);
    }
    set_rgb(cr, CALL, 1);
    for (int i = 0; i < v->n_call; i++) draw_note(cr, r, &v->call[i]);
    for (int i = 0; i < v->n_answer; i++) {
        set_rgb(cr, ANSWER, v->answer[i].state == CN_VIEW_SCHEDULED ? 0.45 : 1);
        draw_note(cr, r, &v->answer[i]);
    }
    set_rgb(cr, PLAYHEAD, 1);
    cairo_rectangle(cr, floor(x_of(r, 0)), r->y0, 1, r->ph);
    cairo_fill(cr);
}

/* Text of size fs with its left edge at x and baseline at y; its width. */
static double text_at(cairo_t *cr, const char *s, double fs, double x, double y, int draw) {
    cairo_set_font_size(cr, fs);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    if (draw) { cairo_move_to(cr, x, y); cairo_show_text(cr, s); }
    return e.x_advance;
}

/* The mode at the left, as its label ("Call and response") or, where that does not fit, its
 * word ("call"); the key at the right: the one the model is given ("key Am"), or else the one
 * heard in the call ("heard Am"). What does not fit is left out. */
static void draw_header(cairo_t *cr, const cn_jam_view *v, double w, double fs) {
    char key[24];
    const cn_jam_control *kc = cn_jam_control_find("key"), *mc = cn_jam_control_find("mode");
    int k = v->key >= 0 ? v->key : v->call_key;
    const char *kw = k >= 0 ? cn_jam_control_word(kc, k + 2) : NULL;
    snprintf(key, sizeof key, "%s %s", v->key < 0 && kw ? "heard" : "key", kw ? kw : "-");
    const char *word = cn_jam_control_word(mc, v->mode);
    const char *label = word && mc->labels ? mc->labels[v->mode - (int)mc->min] : word;
    set_rgb(cr, TEXT, 1);
    double kw_px = text_at(cr, key, fs, 0, 0, 0);
    if (kw_px + 2 <= w) text_at(cr, key, fs, w - kw_px - 1, fs, 1);
    for (const char *m = label; m; m = m == word ? NULL : word)
        if (text_at(cr, m, fs, 0, 0, 0) + kw_px + fs <= w) { text_at(cr, m, fs, 1, fs, 1); break; }
}

/* The status word in the middle, on a dark box, when it fits. */
static void draw_status(cairo_t *cr, int status, double w, double h) {
    const char *word = status == CN_DISPLAY_NO_MODEL ? "no model" : "load failed";
    double fs = fmin(fmax(h * 0.3, 7), 20);
    double tw = text_at(cr, word, fs, 0, 0, 0);
    if (tw + 2 > w) return;
    double x = floor((w - tw) / 2), y = floor((h + fs * 0.7) / 2);
    set_rgb(cr, BG, 0.85);
    cairo_rectangle(cr, x - 2, y - fs * 0.8 - 1, tw + 4, fs + 2);
    cairo_fill(cr);
    set_rgb(cr, status == CN_DISPLAY_NO_MODEL ? TEXT : FAILED, 1);
    text_at(cr, word, fs, x, y, 1);
}

/* GUI thread: the whole picture. Below 28 px the roll has the whole height, without words. */
void cn_display_draw(const cn_display_snap *s, unsigned char *data, int w, int h, int stride) {
    cairo_surface_t *surf = cairo_image_surface_create_for_data(data, CAIRO_FORMAT_ARGB32, w, h, stride);
    cairo_t *cr = cairo_create(surf);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    set_rgb(cr, BG, 1);
    cairo_paint(cr);
    double fs = fmin(fmax(floor(h * 0.2), 7), 12);
    double head = h >= 28 ? fs + 3 : 0;
    roll r = roll_of(&s->view, 0, head, w, h - head);
    if (r.pw >= 1 && r.ph >= 1) draw_roll(cr, &s->view, &r);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    if (head > 0) draw_header(cr, &s->view, w, fs);
    if (s->status != CN_DISPLAY_OK && h >= 12) draw_status(cr, s->status, w, h);
    cairo_destroy(cr);
    cairo_surface_flush(surf);
    cairo_surface_destroy(surf);
}
