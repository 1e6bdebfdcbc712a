/* plot.c: the loss curves of a training run, train and validation loss (nats/token) against
 * the epoch, drawn once through canvas.h as SVG or PNG: a title, both axes with their titles
 * and numbers, a legend naming the curves, and the best epoch on validation marked (a ring
 * and a dashed line, with its epoch and loss written beside it). */
#include <math.h>
#include <stdio.h>
#include "canvas.h"
#include "history.h"

enum { W = 720, H = 420, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50 };

static const cn_rgba INK = { 0, 0, 0, 1 }, GRID = { 0.87, 0.87, 0.87, 1 }, MUTED = { 0.35, 0.35, 0.35, 1 },
                     TRAIN = { 31 / 255.0, 119 / 255.0, 180 / 255.0, 1 }, VAL = { 214 / 255.0, 39 / 255.0, 40 / 255.0, 1 },
                     WHITE = { 1, 1, 1, 1 }, CLEAR = { 1, 1, 1, 0 };

static double xpos(double epoch, double e_max) {
    return LEFT + (W - LEFT - RIGHT) * (e_max > 1 ? (epoch - 1) / (e_max - 1) : 0.5);
}
static double ypos(double v, double lo, double hi) {
    return TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
}

/* The plots' axes: the loss range of both curves with 5% margins (never below 0), and the
 * last epoch. */
void cn_history_plot_range(const cn_history *h, double *lo_out, double *hi_out, double *e_max_out) {
    double lo = INFINITY, hi = -INFINITY, e_max = 1;
    for (int i = 0; i < h->n; i++) {
        double v[2] = { h->rows[i].train_loss, h->rows[i].val_loss };
        for (int k = 0; k < 2; k++)
            if (isfinite(v[k])) { if (v[k] < lo) lo = v[k]; if (v[k] > hi) hi = v[k]; }
        if (h->rows[i].epoch > e_max) e_max = h->rows[i].epoch;
    }
    if (!isfinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-6) { hi += 0.5; lo -= 0.5; }
    double pad = 0.05 * (hi - lo);
    lo = lo - pad > 0 ? lo - pad : 0; hi += pad;
    *lo_out = lo; *hi_out = hi; *e_max_out = e_max;
}

int cn_history_best(const cn_history *h) {
    int best = -1;
    for (int i = 0; i < h->n; i++)
        if (isfinite(h->rows[i].val_loss) && (best < 0 || h->rows[i].val_loss < h->rows[best].val_loss)) best = i;
    return best;
}

/* One curve as a line plus dots (so that a single epoch still shows). */
static void curve(cn_canvas *c, const cn_history *h, int val, double e_max, double lo, double hi, cn_rgba colour) {
    double xy[2 * 4096];
    int n = 0;
    for (int i = 0; i < h->n; i++) {
        double v = val ? h->rows[i].val_loss : h->rows[i].train_loss;
        if (!isfinite(v)) continue;
        double x = xpos(h->rows[i].epoch, e_max), y = ypos(v, lo, hi);
        if (n < 4096) { xy[2 * n] = x; xy[2 * n + 1] = y; n++; }
        cn_cv_circle(c, x, y, 2.5, colour, colour);
    }
    cn_cv_polyline(c, xy, n, 2, colour);
}

static void axes(cn_canvas *c, double lo, double hi, double e_max) {
    char lab[32];
    for (int k = 0; k <= 5; k++) {   /* grid and loss numbers: five steps */
        double v = lo + (hi - lo) * k / 5.0, y = ypos(v, lo, hi);
        cn_cv_line(c, LEFT, y, W - RIGHT, y, 1, GRID, 0);
        snprintf(lab, sizeof lab, "%.3f", v);
        cn_cv_text(c, LEFT - 6, y + 4, 12, CN_ALIGN_RIGHT, 0, 0, INK, lab);
    }
    int step = (int)ceil(e_max / 10.0);   /* at most ten epochs numbered */
    for (int e = 1; e <= (int)e_max; e += step > 0 ? step : 1) {
        snprintf(lab, sizeof lab, "%d", e);
        cn_cv_text(c, xpos(e, e_max), H - BOTTOM + 18, 12, CN_ALIGN_CENTER, 0, 0, INK, lab);
    }
    cn_cv_line(c, LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, 1, INK, 0);
    cn_cv_line(c, LEFT, TOP, LEFT, H - BOTTOM, 1, INK, 0);
    cn_cv_text(c, (LEFT + W - RIGHT) / 2.0, H - 10, 12, CN_ALIGN_CENTER, 0, 0, INK, "epoch");
    cn_cv_text(c, 18, (TOP + H - BOTTOM) / 2.0, 12, CN_ALIGN_CENTER, 1, 0, INK, "cross-entropy (nats/token)");
}

static void legend(cn_canvas *c) {
    cn_cv_rect(c, W - 160, TOP + 4, 150, 44, WHITE, NULL);
    cn_cv_line(c, W - 150, TOP + 14, W - 130, TOP + 14, 3, TRAIN, 0);
    cn_cv_text(c, W - 124, TOP + 18, 12, CN_ALIGN_LEFT, 0, 0, INK, "train");
    cn_cv_line(c, W - 150, TOP + 34, W - 130, TOP + 34, 3, VAL, 0);
    cn_cv_text(c, W - 124, TOP + 38, 12, CN_ALIGN_LEFT, 0, 0, INK, "validation");
}

static void mark_best(cn_canvas *c, const cn_history *h, double lo, double hi, double e_max) {
    int b = cn_history_best(h);
    if (b < 0) return;
    const cn_epoch_row *r = &h->rows[b];
    double x = xpos(r->epoch, e_max), y = ypos(r->val_loss, lo, hi);
    cn_cv_line(c, x, TOP, x, H - BOTTOM, 1, MUTED, 1);
    cn_cv_circle(c, x, y, 6, CLEAR, VAL);
    char lab[96];
    snprintf(lab, sizeof lab, "best: epoch %d, %.3f", r->epoch, r->val_loss);
    int right_half = x > (LEFT + W - RIGHT) / 2.0;
    cn_cv_text(c, right_half ? x - 6 : x + 6, TOP + 14, 12, right_half ? CN_ALIGN_RIGHT : CN_ALIGN_LEFT, 0, 0, MUTED, lab);
}

static int plot(const cn_history *h, const char *path, const char *title, cn_canvas_kind kind, char *err, size_t errlen) {
    double lo, hi, e_max;
    cn_history_plot_range(h, &lo, &hi, &e_max);
    cn_canvas *c = cn_canvas_new(kind, W, H);
    if (!c) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    cn_cv_text(c, LEFT, 24, 15, CN_ALIGN_LEFT, 0, 1, INK, title ? title : "loss");
    axes(c, lo, hi, e_max);
    curve(c, h, 0, e_max, lo, hi, TRAIN);
    curve(c, h, 1, e_max, lo, hi, VAL);
    mark_best(c, h, lo, hi, e_max);
    legend(c);
    return cn_canvas_write(c, path, err, errlen);
}

int cn_history_plot(const cn_history *h, const char *path, const char *title, char *err, size_t errlen) {
    cn_canvas_kind kind;
    if (cn_canvas_kind_of(path, &kind)) kind = CN_CANVAS_SVG;   /* the trainer's --plot default */
    return plot(h, path, title, kind, err, errlen);
}

int cn_history_plot_svg(const cn_history *h, const char *path, const char *title, char *err, size_t errlen) {
    return plot(h, path, title, CN_CANVAS_SVG, err, errlen);
}
