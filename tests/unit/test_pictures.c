/* test_pictures.c: the piano roll and the loss plot, drawn once as SVG and PNG. The SVG holds
 * every label as text; the PNG decodes (through cairo) at the size the layout promises, and
 * ink is found where the labels go (the title band, the pitch names, the legend), where a
 * blank picture would be white; a loud note is drawn deeper than a soft one. */
#include <cairo.h>
#include <stdlib.h>
#include <unistd.h>
#include "../../offline-trainer/canvas.h"
#include "../../offline-trainer/history.h"
#include "../../offline-trainer/roll.h"
#include "test.h"

typedef struct { const uint8_t *p; size_t n, at; } reader;
static cairo_status_t read_png(void *closure, unsigned char *data, unsigned int len) {
    reader *r = closure;
    if (r->at + len > r->n) return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p + r->at, len);
    r->at += len;
    return CAIRO_STATUS_SUCCESS;
}
static cairo_surface_t *decode(const uint8_t *png, size_t n) {
    reader r = { png, n, 0 };
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_png, &r);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) { cairo_surface_destroy(s); return NULL; }
    cairo_surface_flush(s);
    return s;
}
static void pixel(cairo_surface_t *s, int x, int y, int rgb[3]) {
    const uint8_t *d = cairo_image_surface_get_data(s);
    uint32_t v = *(const uint32_t *)(d + (size_t)y * (size_t)cairo_image_surface_get_stride(s) + (size_t)x * 4);
    rgb[0] = (v >> 16) & 255; rgb[1] = (v >> 8) & 255; rgb[2] = v & 255;
}
/* pixels in [x0,x1) x [y0,y1) darker than light grey: ink, which only text puts there */
static int ink(cairo_surface_t *s, int x0, int y0, int x1, int y1) {
    int n = 0, rgb[3];
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) { pixel(s, x, y, rgb); n += rgb[0] + rgb[1] + rgb[2] < 3 * 150; }
    return n;
}

static void make_song(cn_song *s) {
    cn_song_init(s);
    s->tempos[0].bpm = 96;
    for (int i = 0; i < 4; i++) cn_song_add_note(s, i, 0.9, 60 + 2 * i, 100, 0);   /* the primer */
    cn_song_add_note(s, 4, 2, 72, 127, 0);   /* loud */
    cn_song_add_note(s, 6, 2, 67, 20, 0);    /* soft */
    cn_song_add_note(s, 8, 1, 64, 80, 0);
}

TEST(roll_svg_holds_the_labels) {
    cn_song s;
    make_song(&s);
    char path[128], err[256];
    snprintf(path, sizeof path, "/tmp/cn_test_pictures_%ld.svg", (long)getpid());
    cn_roll_opts o = cn_roll_opts_default();
    o.model_name = "bach.cnm";
    CHECKF(cn_roll_write_opts(path, &s, 4, 4, &o, err, sizeof err) == 0, "%s", err);
    FILE *f = fopen(path, "r");
    static char buf[1 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    unlink(path);
    CHECK(strstr(buf, "<svg") != NULL);
    CHECK(strstr(buf, ">bach.cnm: 96 bpm, 4/4</text>") != NULL);     /* model and tempo in the title */
    CHECK(strstr(buf, ">C4</text>") != NULL && strstr(buf, ">C5</text>") != NULL);   /* pitch names */
    CHECK(strstr(buf, ">E4</text>") == NULL || strstr(buf, ">D4</text>") != NULL);  /* whole keys or only Cs */
    CHECK(strstr(buf, ">1</text>") != NULL && strstr(buf, ">3</text>") != NULL);    /* bar numbers: 9 beats, 3 bars */
    CHECK(strstr(buf, ">4</text>") == NULL);
    CHECK(strstr(buf, ">primer</text>") != NULL && strstr(buf, ">continuation</text>") != NULL);   /* legend */
    CHECK(strstr(buf, "class=\"primer\"") != NULL && strstr(buf, "class=\"continuation\"") != NULL);
    /* velocity as depth: the loud note opaque, the soft one pale */
    char *loud = strstr(buf, "class=\"continuation\"");
    CHECK(loud && strstr(loud, "fill=\"#e8772e\"/>") != NULL);
    CHECK(strstr(buf, "fill-opacity=\"0.368\"") != NULL);   /* 0.25 + 0.75 * 20/127 */
    cn_song_free(&s);
}

TEST(roll_png_has_its_size_and_its_words) {
    cn_song s;
    make_song(&s);
    uint8_t *png = NULL;
    size_t n = 0;
    CHECK(cn_roll_png(&s, 4, 4, &png, &n) == 0 && n > 1000);
    cn_roll_geometry g;
    cn_roll_geometry_of(&s, &g);
    cairo_surface_t *img = png ? decode(png, n) : NULL;
    CHECK(img != NULL);
    if (img) {
        CHECK(cairo_image_surface_get_width(img) == g.w && cairo_image_surface_get_height(img) == g.h);
        CHECK(g.w >= 360 && g.h > g.top + g.bottom);
        CHECKF(ink(img, 0, 0, g.w, g.title_h) > 40, "title ink %d", ink(img, 0, 0, g.w, g.title_h));
        CHECKF(ink(img, 0, g.top, g.names_w, g.h - g.bottom) > 20, "pitch-name ink %d", ink(img, 0, g.top, g.names_w, g.h - g.bottom));
        CHECKF(ink(img, 0, g.h - g.bottom, g.w, g.h) > 40, "legend ink %d", ink(img, 0, g.h - g.bottom, g.w, g.h));
        int loud[3], soft[3];
        pixel(img, (int)(g.left + 5 * g.px_beat), g.top + (g.hi - 72) * g.row + g.row / 2, loud);
        pixel(img, (int)(g.left + 7 * g.px_beat), g.top + (g.hi - 67) * g.row + g.row / 2, soft);
        CHECKF(loud[0] > 200 && loud[2] < 80, "loud %d %d %d", loud[0], loud[1], loud[2]);   /* orange, deep */
        CHECKF(soft[2] > loud[2] + 80 && soft[1] > loud[1] + 40, "soft %d %d %d", soft[0], soft[1], soft[2]);
        cairo_surface_destroy(img);
    }
    free(png);
    /* an empty title band when there is nothing to draw there: the ink above is the text */
    cn_song e;
    cn_song_init(&e);
    cn_song_add_note(&e, 0, 1, 60, 90, 0);
    CHECK(cn_roll_png(&e, 1, -1, &png, &n) == 0);
    img = decode(png, n);
    CHECK(img != NULL);
    if (img) {
        cn_roll_geometry_of(&e, &g);
        CHECK(ink(img, 0, g.title_h + 1, g.w, g.top - 14) == 0);   /* between title and bar numbers: blank */
        cairo_surface_destroy(img);
    }
    free(png);
    cn_song_free(&e);
    cn_song_free(&s);
}

TEST(roll_refuses_other_formats) {
    cn_song s;
    make_song(&s);
    char err[256] = "";
    CHECK(cn_roll_write("/tmp/x.gif", &s, 4, 4, err, sizeof err) == -1 && strstr(err, ".svg or .png"));
    CHECK(cn_roll_write("/nonexistent-dir/r.png", &s, 4, 4, err, sizeof err) == -1 && strstr(err, "/nonexistent-dir/r.png"));
    cn_song_free(&s);
}

static void make_history(cn_history *h) {
    memset(h, 0, sizeof *h);
    double tr[5] = { 3.0, 2.5, 2.2, 2.0, 1.9 }, va[5] = { 3.1, 2.6, 2.7, 2.8, NAN };
    for (int i = 0; i < 5; i++) {
        cn_epoch_row r = { i + 1, tr[i], va[i], isnan(va[i]) ? NAN : 0.3, 10.0 * (i + 1) };
        cn_history_add(h, &r);
    }
}

TEST(loss_plot_svg_has_legend_axes_and_best_epoch) {
    cn_history h;
    make_history(&h);
    CHECK(cn_history_best(&h) == 1);
    char path[128], err[256];
    snprintf(path, sizeof path, "/tmp/cn_test_pictures_%ld.svg", (long)getpid());
    CHECKF(cn_history_plot(&h, path, "lstm:64", err, sizeof err) == 0, "%s", err);
    FILE *f = fopen(path, "r");
    static char buf[1 << 18];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    unlink(path);
    CHECK(strstr(buf, ">train</text>") && strstr(buf, ">validation</text>"));
    CHECK(strstr(buf, ">epoch</text>") && strstr(buf, ">cross-entropy (nats/token)</text>"));
    CHECK(strstr(buf, ">best: epoch 2, 2.600</text>") != NULL);
    CHECK(strstr(buf, ">lstm:64</text>") != NULL);
    cn_history_free(&h);
}

TEST(loss_plot_png_has_its_size_and_its_words) {
    cn_history h;
    make_history(&h);
    char path[128], err[256];
    snprintf(path, sizeof path, "/tmp/cn_test_pictures_%ld.png", (long)getpid());
    CHECKF(cn_history_plot(&h, path, "lstm:64", err, sizeof err) == 0, "%s", err);
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    unlink(path);
    cairo_surface_t *img = decode(buf, n);
    CHECK(img != NULL);
    if (img) {
        CHECK(cairo_image_surface_get_width(img) == 720 && cairo_image_surface_get_height(img) == 420);
        CHECK(ink(img, 70, 0, 400, 32) > 40);      /* the title */
        CHECK(ink(img, 300, 395, 420, 420) > 20);  /* "epoch" under the axis */
        CHECK(ink(img, 0, 120, 26, 320) > 40);     /* the turned y-axis title */
        CHECK(ink(img, 590, 44, 710, 88) > 60);    /* the legend's words */
        cairo_surface_destroy(img);
    }
    cn_history_free(&h);
}

int main(void) {
    RUN(roll_svg_holds_the_labels);
    RUN(roll_png_has_its_size_and_its_words);
    RUN(roll_refuses_other_formats);
    RUN(loss_plot_svg_has_legend_axes_and_best_epoch);
    RUN(loss_plot_png_has_its_size_and_its_words);
    return test_summary();
}
