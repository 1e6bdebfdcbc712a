/* lv2_harness_display.c: the inline display's tests and its picture for the README, a part
 * of tests/hosts/lv2_harness.c (included there after the host and the plugin under test, so it uses
 * their types). The host side of the extension is the harness's: it offers #queue_draw
 * (counted) and calls render() between cycles, as a GUI thread would. The pictures are judged
 * by their pixels: the colours of display.h say what a pixel shows. */

typedef const LV2_Inline_Display_Image_Surface surface;

static uint32_t pixel(surface *s, int x, int y) {
    uint32_t p;
    memcpy(&p, s->data + (size_t)y * (size_t)s->stride + 4 * (size_t)x, 4);
    return p;
}

/* An opaque pixel of this colour, within tol in each channel. */
static int pixel_is(uint32_t p, uint32_t rgb, int tol) {
    if ((p >> 24) != 0xff) return 0;
    for (int sh = 0; sh <= 16; sh += 8)
        if (abs((int)((p >> sh) & 0xff) - (int)((rgb >> sh) & 0xff)) > tol) return 0;
    return 1;
}

static int count_colour(surface *s, uint32_t rgb, int tol, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1 && y < s->height; y++)
        for (int x = x0; x < x1 && x < s->width; x++) n += pixel_is(pixel(s, x, y), rgb, tol);
    return n;
}

/* Within the host's limits, rows wide enough, and the sentinel bytes either side intact. */
static int surface_ok(surface *s, uint32_t w, uint32_t max_h) {
    if (!s || !s->data) { fprintf(stderr, "  render(%u, %u) gave no picture\n", w, max_h); return 0; }
    if (s->width < 1 || (uint32_t)s->width > w || s->height < 1 || (uint32_t)s->height > max_h ||
        s->stride < 4 * s->width) {
        fprintf(stderr, "  render(%u, %u): %d x %d, stride %d\n", w, max_h, s->width, s->height, s->stride);
        return 0;
    }
    const unsigned char *end = s->data + (size_t)s->stride * (size_t)s->height;
    for (int i = 1; i <= CN_DISPLAY_GUARD; i++)
        if (s->data[-i] != CN_DISPLAY_SENTINEL || end[i - 1] != CN_DISPLAY_SENTINEL) {
            fprintf(stderr, "  render(%u, %u): a byte %d outside the picture was written\n", w, max_h, i);
            return 0;
        }
    return 1;
}

#define MAX_BANDS 32
/* Runs of rows holding call-coloured pixels, top to bottom: their centres and leftmost x. */
static int call_bands(surface *s, double *centre, int *left) {
    int n = 0, start = -1, lx = 1 << 30;
    for (int y = 0; y <= s->height; y++) {
        int x_first = -1;
        for (int x = 0; y < s->height && x < s->width && x_first < 0; x++)
            if (pixel_is(pixel(s, x, y), CN_DISPLAY_CALL_RGB, 2)) x_first = x;
        if (x_first >= 0) {
            if (start < 0) { start = y; lx = x_first; }
            if (x_first < lx) lx = x_first;
        } else if (start >= 0) {
            if (n < MAX_BANDS) { centre[n] = (start + y - 1) / 2.0; left[n] = lx; n++; }
            start = -1;
        }
    }
    return n;
}

/* A call of these pitches on channel 1 from `at`, one every half beat, each 0.4 beat. */
static int call_of(in_event *ev, uint64_t at, double fpb, const uint8_t *pitches, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        uint64_t on = at + (uint64_t)(i * 0.5 * fpb);
        ev[k++] = midi_ev(on, 0x90, pitches[i], 90);
        ev[k++] = midi_ev(on + (uint64_t)(0.4 * fpb), 0x80, pitches[i], 0);
    }
    return k;
}

/* Call and response at 120 bpm, the answer on channel 2, with the inline display offered. */
static dut *display_dut(host *h, const LV2_Feature *const *features) {
    dut *d = dut_new_with(h, 1, features);
    if (!d) return NULL;
    d->controls[CN_PORT_MODE] = 1; d->controls[CN_PORT_THRU] = 0; d->controls[CN_PORT_CHANNEL_OUT] = 2;
    d->controls[CN_PORT_SEED] = 42; d->controls[CN_PORT_BPM] = 120; d->controls[CN_PORT_RESPONSE_BEATS] = 16;
    return d;
}

/* A call of four known pitches lights four rows, spaced as the pitches are, the lowest
 * first in time; at strip sizes from 40 to 200 px high and very wide. */
static void test_display_call_rows(host *h) {
    dut *d = display_dut(h, h->features_disp);
    CHECK(d != NULL);
    if (!d) return;
    static const uint8_t pitches[4] = { 48, 55, 64, 72 };
    double fpb = FPB(120);
    in_event ev[8];
    int n = call_of(ev, 1000, fpb, pitches, 4);
    script(d, ev, n);
    run_until(d, ev[n - 1].frame + (uint64_t)(0.5 * fpb), (const uint32_t[]){ 256 }, 1);   /* before the answer */
    static const uint32_t sizes[][2] = { { 160, 120 }, { 80, 40 }, { 400, 200 }, { 1200, 48 }, { 60, 300 } };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        surface *s = render(d, sizes[i][0], sizes[i][1]);
        CHECK(surface_ok(s, sizes[i][0], sizes[i][1]));
        if (!s || !s->data) continue;
        double c[MAX_BANDS];
        int left[MAX_BANDS];
        int nb = call_bands(s, c, left);
        CHECKF(nb == 4, "%d x %d: %d rows of call notes, expected 4", s->width, s->height, nb);
        if (nb != 4) continue;
        double row = (c[3] - c[0]) / (72 - 48);   /* top to bottom: 72, 64, 55, 48 */
        CHECKF(row > 0.5, "%d x %d: rows %g px", s->width, s->height, row);
        CHECK_NEAR(c[1] - c[0], 8 * row, 1.5);
        CHECK_NEAR(c[2] - c[1], 9 * row, 1.5);
        CHECKF(left[3] < left[2] && left[2] < left[1] && left[1] < left[0], "%d x %d: notes out of time order",
               s->width, s->height);
    }
    dut_free(d);
}

/* During an answer, tiny to very wide: always a picture within the limits and nothing
 * written outside it; from 40 px high the call and the answer both show. */
static void test_display_sizes(host *h) {
    dut *d = display_dut(h, h->features_disp);
    CHECK(d != NULL);
    if (!d) return;
    double fpb = FPB(120);
    in_event ev[16];
    int n = phrase(ev, 1000, fpb);
    script(d, ev, n);
    run_until(d, ev[n - 1].frame + (uint64_t)(2.5 * fpb), (const uint32_t[]){ 128 }, 1);
    CHECK(count_ons(d, 1, 0, NULL) > 0);   /* the answer has begun */
    static const uint32_t sizes[][2] = { { 1, 1 }, { 2, 1 }, { 3, 2 }, { 10, 5 }, { 20, 12 }, { 40, 27 }, { 64, 40 },
                                         { 120, 60 }, { 200, 200 }, { 300, 100 }, { 4096, 40 }, { 8000, 64 },
                                         { 1, 200 }, { 160, 80 }, { 160, 80 } };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t w = sizes[i][0], mh = sizes[i][1];
        surface *s = render(d, w, mh);
        CHECK(surface_ok(s, w, mh));
        if (!s || !s->data || s->height < 40 || s->width < 40) continue;
        CHECKF(count_colour(s, CN_DISPLAY_CALL_RGB, 2, 0, 0, s->width, s->height) > 0, "%u x %u: no call", w, mh);
        CHECKF(count_colour(s, CN_DISPLAY_ANSWER_RGB, 2, 0, 0, s->width, s->height) > 0, "%u x %u: no answer", w, mh);
    }
    CHECK(render(d, 0, 40) == NULL);
    CHECK(render(d, 40, 0) == NULL);
    dut_free(d);
}

/* "load failed" after a model that does not load, in its colour; "no model" without one. */
static void test_display_status(host *h) {
    dut *d = display_dut(h, h->features_disp);
    CHECK(d != NULL);
    if (!d) return;
    run_until(d, 4096, (const uint32_t[]){ 256 }, 1);
    surface *s = render(d, 160, 80);
    CHECK(surface_ok(s, 160, 80));
    if (s) CHECK(count_colour(s, CN_DISPLAY_FAILED_RGB, 8, 0, 0, s->width, s->height) == 0);
    if (s) CHECK(count_colour(s, CN_DISPLAY_TEXT_RGB, 8, 0, s->height / 4, s->width, 3 * s->height / 4) == 0);
    in_event ev[1] = { msg_ev(d->frame + 10, IN_SET_PATH, h->model_bad) };
    script(d, ev, 1);
    run_until(d, d->frame + 48000, (const uint32_t[]){ 256 }, 1);
    s = render(d, 160, 80);
    CHECK(surface_ok(s, 160, 80));
    if (s) CHECKF(count_colour(s, CN_DISPLAY_FAILED_RGB, 8, 0, 0, s->width, s->height) > 20, "no \"load failed\"");
    dut_free(d);

    char none[400];
    snprintf(none, sizeof none, "%s/no-such-model.cnm", h->tmp);
    setenv("CONTINUO_MODEL", none, 1);
    d = display_dut(h, h->features_disp);
    setenv("CONTINUO_MODEL", h->model_a, 1);
    CHECK(d != NULL);
    if (!d) return;
    run_until(d, 4096, (const uint32_t[]){ 256 }, 1);
    s = render(d, 160, 80);
    CHECK(surface_ok(s, 160, 80));
    if (s) CHECKF(count_colour(s, CN_DISPLAY_TEXT_RGB, 8, 0, s->height / 4, s->width, 3 * s->height / 4) > 10,
                  "no \"no model\"");
    dut_free(d);
}

/* Over a steady answer of 8 beats (4 s) in 64-frame blocks, run() asks for a few redraws a
 * second, never more than CN_DISPLAY_MAX_HZ, not one a cycle; in silence, none. */
static void test_display_redraws(host *h) {
    dut *d = display_dut(h, h->features_disp);
    CHECK(d != NULL);
    if (!d) return;
    static const uint8_t pitches[16] = { 60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64, 62, 60 };
    double fpb = FPB(120);
    in_event ev[32];
    int n = call_of(ev, 1000, fpb, pitches, 16);
    script(d, ev, n);
    uint64_t from = ev[n - 1].frame + (uint64_t)(1.5 * fpb), to = from + (uint64_t)(7 * fpb);
    run_until(d, from, (const uint32_t[]){ 64 }, 1);
    long before = h->queue_draws;
    uint64_t cycles = (to - from) / 64;
    run_until(d, to, (const uint32_t[]){ 64 }, 1);
    long during = h->queue_draws - before;
    double seconds = (double)(to - from) / RATE;
    int ons = count_ons(d, 1, from, NULL);
    fprintf(stderr, "  display: %ld redraw requests in %.2f s of answer (%d notes), %llu cycles\n", during, seconds,
            ons, (unsigned long long)cycles);
    CHECK(ons >= 4);   /* a steady answer played */
    CHECKF(during >= (long)(2 * seconds), "%ld requests", during);
    CHECKF(during <= (long)(CN_DISPLAY_MAX_HZ * seconds) + 1, "%ld requests", during);
    run_until(d, to + (uint64_t)(8 * fpb), (const uint32_t[]){ 64 }, 1);   /* the answer ends */
    before = h->queue_draws;
    run_until(d, d->frame + (uint64_t)(4 * fpb), (const uint32_t[]){ 64 }, 1);
    CHECKF(h->queue_draws == before, "%ld requests in silence", h->queue_draws - before);
    dut_free(d);
}

/* Continuous mode, a note a beat for 12 beats at odd block sizes: the player's notes and the
 * answer's both show, and the engine's steady stream of new events is still drawn at most
 * CN_DISPLAY_MAX_HZ times a second. */
static void test_display_continuous(host *h) {
    dut *d = display_dut(h, h->features_disp);
    CHECK(d != NULL);
    if (!d) return;
    d->controls[CN_PORT_MODE] = 2;
    double fpb = FPB(120);
    static const uint8_t pitches[12] = { 60, 67, 64, 72, 62, 69, 65, 71, 64, 67, 60, 72 };
    in_event ev[24];
    for (int i = 0; i < 12; i++) {
        ev[2 * i] = midi_ev((uint64_t)(i * fpb), 0x90, pitches[i], 90);
        ev[2 * i + 1] = midi_ev((uint64_t)((i + 0.5) * fpb), 0x80, pitches[i], 0);
    }
    script(d, ev, 24);
    long before = h->queue_draws;
    run_until(d, (uint64_t)(12 * fpb), ODD_SIZES, N_ODD);
    long draws = h->queue_draws - before;
    double seconds = d->frame / RATE;
    CHECKF(draws >= 1 && draws <= (long)(CN_DISPLAY_MAX_HZ * seconds) + 1, "%ld requests in %.1f s", draws, seconds);
    CHECK(count_ons(d, 1, 0, NULL) > 0);
    surface *s = render(d, 200, 100);
    CHECK(surface_ok(s, 200, 100));
    if (s) CHECK(count_colour(s, CN_DISPLAY_CALL_RGB, 2, 0, 0, s->width, s->height) > 0);
    if (s) CHECK(count_colour(s, CN_DISPLAY_ANSWER_RGB, 2, 0, 0, s->width, s->height) > 0);
    dut_free(d);
}

/* The description offers the display as lilv reads it: #queue_draw optional, never
 * required, and #interface as extension data. */
static void test_display_declared(host *h) {
    LilvNode *qd = lilv_new_uri(h->world, CN_INLINEDISPLAY__queue_draw);
    LilvNode *iface = lilv_new_uri(h->world, CN_INLINEDISPLAY__interface);
    LilvNodes *opt = lilv_plugin_get_optional_features(h->plugin), *req = lilv_plugin_get_required_features(h->plugin);
    CHECK(lilv_nodes_contains(opt, qd));
    CHECK(!lilv_nodes_contains(req, qd));
    CHECK(lilv_plugin_has_extension_data(h->plugin, iface));
    lilv_nodes_free(opt);
    lilv_nodes_free(req);
    lilv_node_free(qd);
    lilv_node_free(iface);
}

/* A host without the feature: no requests, and the same MIDI, event for event, as with it. */
static void test_display_optional(host *h) {
    dut *a = display_dut(h, h->features), *b = display_dut(h, h->features_disp);
    CHECK(a != NULL && b != NULL);
    if (!a || !b) { dut_free(a); dut_free(b); return; }
    b->render_w = 160; b->render_h = 80;
    double fpb = FPB(120);
    in_event ev[16];
    int n = phrase(ev, 1000, fpb);
    script(a, ev, n);
    script(b, ev, n);
    long before = h->queue_draws;
    run_until(a, (uint64_t)(12 * fpb), ODD_SIZES, N_ODD);
    CHECK(h->queue_draws == before);
    run_until(b, (uint64_t)(12 * fpb), ODD_SIZES, N_ODD);
    CHECK(h->queue_draws > before);
    CHECK(count_ons(a, 1, 0, NULL) > 0);
    CHECKF(a->n_rec == b->n_rec && !memcmp(a->rec, b->rec, (size_t)a->n_rec * sizeof a->rec[0]),
           "%d events without the display, %d with it", a->n_rec, b->n_rec);
    surface *s = render(a, 160, 80);   /* it may still be asked: an empty roll */
    CHECK(surface_ok(s, 160, 80));
    if (s) CHECK(count_colour(s, CN_DISPLAY_CALL_RGB, 2, 0, 0, s->width, s->height) == 0);
    dut_free(a);
    dut_free(b);
}

/* `--png FILE`: the display at three strip sizes side by side, during an answer to a call in
 * C major (with the model in $CONTINUO_MODEL: lv2.sh --png gives it the shipped one). */
static int display_png(host *h, const char *path) {
    dut *d = display_dut(h, h->features_disp);
    if (!d) return 1;
    static const uint8_t pitches[8] = { 60, 64, 67, 72, 71, 67, 65, 62 };
    double fpb = FPB(120);
    in_event ev[16];
    int n = call_of(ev, 1000, fpb, pitches, 8);
    script(d, ev, n);
    run_until(d, ev[n - 1].frame + (uint64_t)(3 * fpb), (const uint32_t[]){ 256 }, 1);
    static const int sizes[3][2] = { { 96, 40 }, { 160, 80 }, { 320, 120 } };
    cairo_surface_t *out = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 96 + 160 + 320 + 4 * 8, 120 + 16);
    cairo_t *cr = cairo_create(out);
    cairo_set_source_rgb(cr, 0.35, 0.36, 0.38);
    cairo_paint(cr);
    double x = 8;
    for (int i = 0; i < 3; i++) {
        surface *s = render(d, (uint32_t)sizes[i][0], (uint32_t)sizes[i][1]);
        if (!surface_ok(s, (uint32_t)sizes[i][0], (uint32_t)sizes[i][1])) break;
        cairo_surface_t *img = cairo_image_surface_create_for_data(s->data, CAIRO_FORMAT_ARGB32, s->width, s->height,
                                                                   s->stride);
        cairo_set_source_surface(cr, img, x, 8);
        cairo_paint(cr);
        cairo_surface_destroy(img);
        x += s->width + 8;
    }
    cairo_destroy(cr);
    int rc = cairo_surface_write_to_png(out, path) == CAIRO_STATUS_SUCCESS ? 0 : 1;
    cairo_surface_destroy(out);
    dut_free(d);
    if (rc) fprintf(stderr, "lv2-harness: %s: cannot write the picture\n", path);
    return rc;
}
