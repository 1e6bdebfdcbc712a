/* roll.c: the piano roll, drawn once through canvas.h for SVG and PNG. Beats run left to
 * right, pitches bottom to top; a keyboard strip at the left names the pitches (every C, or
 * every pitch when the rows are tall enough to read), bar numbers run along the top, the
 * primer is blue and the continuation orange, a louder note a deeper colour. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "canvas.h"
#include "roll.h"

#define MAX_WIDTH  3000   /* pixels; a long song is squeezed to fit */
#define BEAT_PX    32     /* pixels a beat, before squeezing */
#define TITLE_H    28
#define BARNUM_H   16
#define KEYS_W     14     /* the keyboard strip */
#define NAMES_W    30     /* pitch names left of it */
#define LEGEND_H   30
#define RIGHT      12
#define GRID_ROWS_PX 420  /* the height the pitch rows aim for */

static const cn_rgba INK = { 0.15, 0.15, 0.15, 1 }, GREY = { 0.45, 0.45, 0.45, 1 },
                     BAR = { 0.78, 0.78, 0.78, 1 }, BEAT = { 0.91, 0.91, 0.91, 1 },
                     CROW = { 0.94, 0.94, 0.965, 1 }, BLACK_KEY = { 0.2, 0.2, 0.2, 1 },
                     WHITE_KEY = { 1, 1, 1, 1 }, SPLIT = { 0.3, 0.3, 0.3, 1 },
                     SEED = { 59 / 255.0, 111 / 255.0, 212 / 255.0, 1 },
                     CONT = { 232 / 255.0, 119 / 255.0, 46 / 255.0, 1 };

static const char *const PITCH_NAMES[12] = { "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B" };

cn_roll_opts cn_roll_opts_default(void) {
    cn_roll_opts o = { NULL, NULL, "primer", "continuation" };
    return o;
}

typedef struct {
    cn_roll_geometry g;
    int lo, hi, row;       /* pitch rows shown, pixels a row */
    double beats, px_beat, bar;
} layout;

static layout make_layout(const cn_song *s) {
    layout L;
    int lo = 127, hi = 0;
    double end = 0;
    for (size_t i = 0; i < s->n_notes; i++) {
        if (s->notes[i].pitch < lo) lo = s->notes[i].pitch;
        if (s->notes[i].pitch > hi) hi = s->notes[i].pitch;
        end = fmax(end, s->notes[i].start_beat + s->notes[i].dur_beat);
    }
    if (lo > hi) { lo = 60; hi = 72; }
    L.lo = lo > 2 ? lo - 2 : 0;
    L.hi = hi < 125 ? hi + 2 : 127;
    int rows = L.hi - L.lo + 1;
    L.row = GRID_ROWS_PX / rows;
    if (L.row < 6) L.row = 6;
    if (L.row > 14) L.row = 14;
    L.bar = s->ts_num > 0 && s->ts_den > 0 ? s->ts_num * 4.0 / s->ts_den : 4.0;
    L.beats = fmax(ceil(end / L.bar - 1e-9) * L.bar, L.bar);
    L.g.left = NAMES_W + KEYS_W;
    L.g.title_h = TITLE_H;
    L.g.top = TITLE_H + BARNUM_H;
    L.g.bottom = LEGEND_H;
    L.px_beat = BEAT_PX;
    double room = MAX_WIDTH - L.g.left - RIGHT;
    if (L.beats * L.px_beat > room) L.px_beat = room / L.beats;
    L.g.w = L.g.left + (int)ceil(L.beats * L.px_beat) + RIGHT;
    if (L.g.w < 360) L.g.w = 360;   /* room for the title and the legend */
    L.g.h = L.g.top + rows * L.row + L.g.bottom;
    return L;
}

void cn_roll_geometry_of(const cn_song *song, cn_roll_geometry *g) {
    layout L = make_layout(song);
    *g = L.g;
    g->names_w = NAMES_W; g->row = L.row; g->hi = L.hi; g->px_beat = L.px_beat;
}

static double px_x(const layout *L, double beat) { return L->g.left + beat * L->px_beat; }
static double px_y(const layout *L, int pitch) { return L->g.top + (L->hi - pitch) * L->row; }
static int is_black(int pitch) { int c = pitch % 12; return c == 1 || c == 3 || c == 6 || c == 8 || c == 10; }

/* velocity as depth: a whisper is a pale tint of the colour, fortissimo the full colour */
static cn_rgba by_velocity(cn_rgba base, int velocity) {
    base.a = 0.25 + 0.75 * (velocity < 1 ? 1 : velocity > 127 ? 127 : velocity) / 127.0;
    return base;
}

static void draw_keyboard(cn_canvas *c, const layout *L) {
    double grid_bottom = L->g.h - L->g.bottom;
    for (int p = L->lo; p <= L->hi; p++) {
        double y = px_y(L, p);
        if (p % 12 == 0) cn_cv_rect(c, L->g.left, y, L->g.w - L->g.left - RIGHT, L->row, CROW, NULL);
        cn_cv_rect(c, NAMES_W, y, KEYS_W, L->row, is_black(p) ? BLACK_KEY : WHITE_KEY, NULL);
        if (p % 12 == 0 || p % 12 == 5) cn_cv_line(c, NAMES_W, y + L->row, L->g.left, y + L->row, 0.5, BAR, 0);
        if (p % 12 == 0 || (L->row >= 11 && !is_black(p))) {
            char name[24];
            snprintf(name, sizeof name, "%s%d", PITCH_NAMES[p % 12], p / 12 - 1);
            double size = L->row >= 9 ? 9 : 8;
            cn_cv_text(c, NAMES_W - 3, y + L->row / 2.0 + size * 0.35, size, CN_ALIGN_RIGHT, 0, p % 12 == 0, INK, name);
        }
    }
    cn_cv_line(c, L->g.left, L->g.top, L->g.left, grid_bottom, 1, GREY, 0);
}

static void draw_grid(cn_canvas *c, const layout *L) {
    double grid_bottom = L->g.h - L->g.bottom;
    int n_bars = (int)lround(L->beats / L->bar);
    double bar_px = L->bar * L->px_beat;
    int every = bar_px >= 24 ? 1 : bar_px >= 12 ? 2 : bar_px >= 6 ? 4 : 8;
    if (L->px_beat >= 8)
        for (double b = 0; b < L->beats - 1e-9; b += 1)
            cn_cv_line(c, px_x(L, b), L->g.top, px_x(L, b), grid_bottom, 0.5, BEAT, 0);
    for (int k = 0; k <= n_bars; k++) {
        double x = px_x(L, k * L->bar);
        cn_cv_line(c, x, L->g.top, x, grid_bottom, 1, BAR, 0);
        if (k < n_bars && k % every == 0) {
            char num[16];
            snprintf(num, sizeof num, "%d", k + 1);
            cn_cv_text(c, x + 2, L->g.top - 4, 10, CN_ALIGN_LEFT, 0, 0, GREY, num);
        }
    }
}

static void draw_legend(cn_canvas *c, const layout *L, const cn_roll_opts *o) {
    double y = L->g.h - L->g.bottom + 20;
    double x = L->g.left;
    cn_cv_rect(c, x, y - 9, 14, 10, SEED, "legend-primer");
    cn_cv_text(c, x + 18, y, 11, CN_ALIGN_LEFT, 0, 0, INK, o->seed_label);
    x += 26 + 7.0 * strlen(o->seed_label);
    cn_cv_rect(c, x, y - 9, 14, 10, CONT, "legend-continuation");
    cn_cv_text(c, x + 18, y, 11, CN_ALIGN_LEFT, 0, 0, INK, o->cont_label);
    x += 26 + 7.0 * strlen(o->cont_label);
    cn_cv_rect(c, x, y - 9, 7, 10, by_velocity(GREY, 30), NULL);
    cn_cv_rect(c, x + 7, y - 9, 7, 10, by_velocity(GREY, 127), NULL);
    cn_cv_text(c, x + 18, y, 11, CN_ALIGN_LEFT, 0, 0, INK, "deeper = louder");
    cn_cv_text(c, L->g.w - RIGHT, y, 11, CN_ALIGN_RIGHT, 0, 0, GREY, "bars");
}

static void draw_title(cn_canvas *c, const layout *L, const cn_song *s, const cn_roll_opts *o) {
    char t[512];
    if (o->title) snprintf(t, sizeof t, "%s", o->title);
    else {
        double bpm = s->n_tempos ? s->tempos[0].bpm : 120;
        int num = s->ts_num > 0 ? s->ts_num : 4, den = s->ts_den > 0 ? s->ts_den : 4;
        snprintf(t, sizeof t, "%s%s%.0f bpm, %d/%d", o->model_name ? o->model_name : "",
                 o->model_name ? ": " : "", bpm, num, den);
    }
    cn_cv_text(c, L->g.left, 19, 14, CN_ALIGN_LEFT, 0, 1, INK, t);
}

static cn_canvas *draw(cn_canvas_kind kind, const cn_song *s, int n_seed, double split_beat, const cn_roll_opts *o) {
    layout L = make_layout(s);
    cn_canvas *c = cn_canvas_new(kind, L.g.w, L.g.h);
    if (!c) return NULL;
    draw_title(c, &L, s, o);
    draw_keyboard(c, &L);
    draw_grid(c, &L);
    for (size_t i = 0; i < s->n_notes; i++) {
        const cn_note *n = &s->notes[i];
        int seed = (int)i < n_seed;
        cn_cv_rect(c, px_x(&L, n->start_beat), px_y(&L, n->pitch) + 0.5, fmax(n->dur_beat * L.px_beat, 1.0), L.row - 1,
                   by_velocity(seed ? SEED : CONT, n->velocity), seed ? "primer" : "continuation");
    }
    if (split_beat >= 0)
        cn_cv_line(c, px_x(&L, split_beat), L.g.top - 2, px_x(&L, split_beat), L.g.h - L.g.bottom + 2, 1.5, SPLIT, 1);
    draw_legend(c, &L, o);
    return c;
}

int cn_roll_write_opts(const char *path, const cn_song *song, int n_seed, double split_beat,
                       const cn_roll_opts *o, char *err, size_t errlen) {
    cn_canvas_kind kind;
    if (cn_canvas_kind_of(path, &kind)) {
        snprintf(err, errlen, "%s: a piano roll is written as .svg or .png", path);
        return -1;
    }
    cn_roll_opts d = cn_roll_opts_default();
    if (!o) o = &d;
    cn_canvas *c = draw(kind, song, n_seed, split_beat, o);
    if (!c) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    return cn_canvas_write(c, path, err, errlen);
}

int cn_roll_write(const char *path, const cn_song *song, int n_seed, double split_beat, char *err, size_t errlen) {
    return cn_roll_write_opts(path, song, n_seed, split_beat, NULL, err, errlen);
}

static int render(cn_canvas_kind kind, const cn_song *song, int n_seed, double split_beat, uint8_t **out, size_t *len) {
    cn_roll_opts d = cn_roll_opts_default();
    cn_canvas *c = draw(kind, song, n_seed, split_beat, &d);
    return c ? cn_canvas_finish(c, out, len) : -1;
}

int cn_roll_svg(const cn_song *song, int n_seed, double split_beat, char **out, size_t *len) {
    return render(CN_CANVAS_SVG, song, n_seed, split_beat, (uint8_t **)out, len);
}

int cn_roll_png(const cn_song *song, int n_seed, double split_beat, uint8_t **out, size_t *len) {
    return render(CN_CANVAS_PNG, song, n_seed, split_beat, out, len);
}
