/* plot.c: the loss curve as an SVG picture: train and validation loss (nats/token) against
 * the epoch, with labelled axes and a legend, for people who would rather look than read. */
#include <math.h>
#include <stdio.h>
#include "atomicfile.h"
#include "history.h"

enum { W = 720, H = 420, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50 };

static double xpos(double epoch, double e_max) {
    return LEFT + (W - LEFT - RIGHT) * (e_max > 1 ? (epoch - 1) / (e_max - 1) : 0.5);
}
static double ypos(double v, double lo, double hi) {
    return TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
}

/* One curve as a polyline plus dots (so that a single epoch still shows). */
static void curve(FILE *f, const cn_history *h, int val, double e_max, double lo, double hi, const char *colour) {
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour);
    for (int i = 0; i < h->n; i++) {
        double v = val ? h->rows[i].val_loss : h->rows[i].train_loss;
        if (isfinite(v)) fprintf(f, "%.1f,%.1f ", xpos(h->rows[i].epoch, e_max), ypos(v, lo, hi));
    }
    fprintf(f, "\"/>\n");
    for (int i = 0; i < h->n; i++) {
        double v = val ? h->rows[i].val_loss : h->rows[i].train_loss;
        if (isfinite(v))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n",
                    xpos(h->rows[i].epoch, e_max), ypos(v, lo, hi), colour);
    }
}

static void escape(FILE *f, const char *s) {
    for (; s && *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
}

/* The plots' axes: the loss range of both curves with 5% margins (never below 0), and the
 * last epoch. Shared by the SVG and the PNG plots. */
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

int cn_history_plot_svg(const cn_history *h, const char *path, const char *title, char *err, size_t errlen) {
    double lo, hi, e_max;
    cn_history_plot_range(h, &lo, &hi, &e_max);

    cn_afile a;
    if (cn_afile_open(&a, path, err, errlen)) return -1;
    FILE *f = a.f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H, W, H);
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"15\">", LEFT);
    escape(f, title ? title : "loss");
    fprintf(f, "</text>\n");
    /* grid and y labels: five steps */
    for (int k = 0; k <= 5; k++) {
        double v = lo + (hi - lo) * k / 5.0, y = ypos(v, lo, hi);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, y, W - RIGHT, y);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", LEFT - 6, y + 4, v);
    }
    /* x labels: at most ten epochs marked */
    int step = (int)ceil(e_max / 10.0);
    for (int e = 1; e <= (int)e_max; e += step > 0 ? step : 1)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", xpos(e, e_max), H - BOTTOM + 18, e);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", LEFT, TOP, LEFT, H - BOTTOM);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n", (LEFT + W - RIGHT) / 2, H - 10);
    fprintf(f, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">"
               "cross-entropy (nats/token)</text>\n", (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2);
    curve(f, h, 0, e_max, lo, hi, "#1f77b4");
    curve(f, h, 1, e_max, lo, hi, "#d62728");
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"#1f77b4\"/>"
               "<text x=\"%d\" y=\"%d\">train</text>\n", W - 150, TOP + 6, W - 130, TOP + 11);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"#d62728\"/>"
               "<text x=\"%d\" y=\"%d\">validation</text>\n", W - 150, TOP + 24, W - 130, TOP + 29);
    fprintf(f, "</svg>\n");
    return cn_afile_commit(&a, err, errlen);
}
