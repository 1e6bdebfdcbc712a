/* plot_png.c: the loss curve as a PNG picture, for viewers without SVG: the same layout as
 * the SVG (train blue, validation red, grid, y labels), drawn into an RGB raster with a tiny
 * built-in digit font and encoded by the project's PNG writer (roll.h). Also the one entry
 * point that picks PNG or SVG by the file's extension. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "atomicfile.h"
#include "history.h"
#include "roll.h"

enum { PW = 720, PH = 420, PL = 70, PR = 20, PT = 30, PB = 40 };

typedef struct { uint8_t *px; } raster;

static void dot(raster *r, int x, int y, const uint8_t c[3]) {
    if (x < 0 || y < 0 || x >= PW || y >= PH) return;
    memcpy(r->px + ((size_t)y * PW + (size_t)x) * 3, c, 3);
}

static void line(raster *r, double x0, double y0, double x1, double y1, int thick, const uint8_t c[3]) {
    int steps = (int)(fabs(x1 - x0) > fabs(y1 - y0) ? fabs(x1 - x0) : fabs(y1 - y0)) + 1;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps;
        int x = (int)lround(x0 + (x1 - x0) * t), y = (int)lround(y0 + (y1 - y0) * t);
        for (int dx = 0; dx < thick; dx++)
            for (int dy = 0; dy < thick; dy++) dot(r, x + dx, y + dy, c);
    }
}

/* 3x5 glyphs for "0123456789.-", one row a 3-bit number, drawn at scale 2. */
static const uint8_t glyphs[12][5] = {
    {7,5,5,5,7},{2,6,2,2,7},{7,1,7,4,7},{7,1,7,1,7},{5,5,7,1,1},{7,4,7,1,7},
    {7,4,7,5,7},{7,1,1,1,1},{7,5,7,5,7},{7,5,7,1,7},{0,0,0,0,2},{0,0,7,0,0} };

static void text(raster *r, int x, int y, const char *s, const uint8_t c[3]) {
    for (; *s; s++, x += 8) {
        int g = *s >= '0' && *s <= '9' ? *s - '0' : *s == '.' ? 10 : *s == '-' ? 11 : -1;
        if (g < 0) continue;
        for (int row = 0; row < 5; row++)
            for (int col = 0; col < 3; col++)
                if (glyphs[g][row] >> (2 - col) & 1)
                    for (int k = 0; k < 4; k++) dot(r, x + col * 2 + (k & 1), y + row * 2 + (k >> 1), c);
    }
}

static int write_png(const cn_history *h, const char *path, char *err, size_t errlen) {
    double lo, hi, e_max;
    cn_history_plot_range(h, &lo, &hi, &e_max);

    raster r = { malloc((size_t)PW * PH * 3) };
    if (!r.px) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    memset(r.px, 255, (size_t)PW * PH * 3);
    static const uint8_t grid[3] = { 221, 221, 221 }, black[3] = { 0, 0, 0 },
                         blue[3] = { 31, 119, 180 }, red[3] = { 214, 39, 40 };
#define X(e) (PL + (PW - PL - PR) * (e_max > 1 ? ((e) - 1) / (e_max - 1) : 0.5))
#define Y(v) (PT + (PH - PT - PB) * (1.0 - ((v) - lo) / (hi - lo)))
    for (int k = 0; k <= 5; k++) {
        double v = lo + (hi - lo) * k / 5.0;
        char lab[32];
        snprintf(lab, sizeof lab, "%.3f", v);
        line(&r, PL, Y(v), PW - PR, Y(v), 1, grid);
        text(&r, PL - 8 - 8 * (int)strlen(lab), (int)Y(v) - 5, lab, black);
    }
    int step = (int)ceil(e_max / 10.0);
    for (int e = 1; e <= (int)e_max; e += step > 0 ? step : 1) {
        char lab[16];
        snprintf(lab, sizeof lab, "%d", e);
        text(&r, (int)X(e) - 4 * (int)strlen(lab), PH - PB + 8, lab, black);
    }
    line(&r, PL, PH - PB, PW - PR, PH - PB, 1, black);
    line(&r, PL, PT, PL, PH - PB, 1, black);
    for (int s = 0; s < 2; s++) {
        const uint8_t *c = s ? red : blue;
        double px = NAN, py = NAN;
        for (int i = 0; i < h->n; i++) {
            double v = s ? h->rows[i].val_loss : h->rows[i].train_loss;
            if (!isfinite(v)) continue;
            double x = X(h->rows[i].epoch), y = Y(v);
            if (isfinite(px)) line(&r, px, py, x, y, 2, c);
            line(&r, x - 2, y - 2, x + 2, y + 2, 2, c);   /* a mark, so a single epoch shows */
            px = x; py = y;
        }
        line(&r, PW - 150, PT + 6 + 18 * s, PW - 130, PT + 6 + 18 * s, 3, c);   /* legend: blue train, red validation */
    }
#undef X
#undef Y
    uint8_t *png = NULL;
    size_t len = 0;
    int rc = cn_png_encode(r.px, PW, PH, &png, &len);
    free(r.px);
    if (rc) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    cn_afile a;
    if (cn_afile_open(&a, path, err, errlen)) { free(png); return -1; }
    fwrite(png, 1, len, a.f);
    free(png);
    return cn_afile_commit(&a, err, errlen);
}

int cn_history_plot(const cn_history *h, const char *path, const char *title, char *err, size_t errlen) {
    size_t n = strlen(path);
    if (n >= 4 && strcasecmp(path + n - 4, ".png") == 0) return write_png(h, path, err, errlen);
    return cn_history_plot_svg(h, path, title, err, errlen);
}
