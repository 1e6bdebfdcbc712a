/* display.c: the inline display's two halves (see display.h): the audio thread's snapshot
 * and redraw requests, and the GUI thread's render() with its pixels. The drawing itself is
 * display_draw.c. */
#include <stdlib.h>
#include <string.h>
#include <cairo.h>
#include "display.h"

#define CN_DISPLAY_FRESH 4u   /* the middle buffer holds a snapshot the GUI has not taken */

/* Instantiate (not RT). Touches every byte, so run() meets no first-touch page fault. */
void cn_display_init(cn_display *d, const LV2_Inline_Display *host, double rate) {
    memset(d, 0, sizeof *d);
    d->host = host && host->queue_draw ? host : NULL;
    atomic_init(&d->mid, 1u);
    d->back = 0;
    d->front = 2;
    d->seen_status = -1;
    d->min_gap = rate / CN_DISPLAY_MAX_HZ;
    d->playhead_gap = rate / CN_DISPLAY_PLAYHEAD_HZ;
    d->since = d->min_gap;   /* the first change is drawn at once */
    for (int i = 0; i < 3; i++) {   /* before any snapshot: no mode, no key (0 would be C) */
        d->buf[i].view.mode = -1;
        d->buf[i].view.key = d->buf[i].view.call_key = -1;
    }
}

/* Cleanup (not RT). */
void cn_display_free(cn_display *d) {
    free(d->mem);
    d->mem = NULL;
}

/* Notes at or after the playhead, or an answer still due: the picture moves with the clock.
 * Audio thread. */
static int ahead(const cn_jam_view *v) {
    if (v->answer_due && v->answer_to > 0) return 1;
    for (int i = 0; i < v->n_call; i++) if (v->call[i].state == CN_VIEW_SOUNDING) return 1;
    for (int i = 0; i < v->n_answer; i++) if (v->answer[i].end > 0) return 1;
    return 0;
}

/* Audio thread: fill the back buffer and make it the middle one. */
static void publish(cn_display *d, cn_jam *j, int status) {
    cn_display_snap *s = &d->buf[d->back];
    cn_jam_get_view(j, &s->view);
    s->status = status;
    s->seq = ++d->seq;
    d->ahead = ahead(&s->view);
    unsigned old = atomic_exchange_explicit(&d->mid, d->back | CN_DISPLAY_FRESH, memory_order_acq_rel);
    d->back = old & 3u;
}

/* Audio thread: a snapshot and a redraw request when the picture changed (or the playhead
 * has moved on over notes still to come), never sooner than min_gap frames after the last. */
void cn_display_run(cn_display *d, cn_jam *j, int status, uint32_t n_frames) {
    if (!d->host) return;
    d->since += n_frames;
    uint32_t changes = cn_jam_view_changes(j);
    int changed = changes != d->seen_changes || status != d->seen_status;
    int due = changed ? d->since >= d->min_gap : d->ahead && d->since >= d->playhead_gap;
    if (!due) return;
    d->seen_changes = changes;
    d->seen_status = status;
    d->since = 0;
    publish(d, j, status);
    d->host->queue_draw(d->host->handle);
}

/* GUI thread: the newest snapshot, taken without waiting. Before any, an empty one. */
static const cn_display_snap *take(cn_display *d) {
    if (atomic_load_explicit(&d->mid, memory_order_acquire) & CN_DISPLAY_FRESH) {
        unsigned old = atomic_exchange_explicit(&d->mid, d->front, memory_order_acq_rel);
        d->front = old & 3u;
    }
    return &d->buf[d->front];
}

/* GUI thread (and the tests): pure arithmetic. */
int cn_display_height(uint32_t w, uint32_t max_h) {
    uint32_t h = w / 2;   /* a strip is about twice as wide as the picture is high */
    if (h < 40) h = 40;
    if (h > max_h) h = max_h;
    return h < 1 ? 1 : (int)h;
}

/* GUI thread: pixels for w x h between two guards of sentinel bytes; kept while the size stays. */
static int ensure_pixels(cn_display *d, int w, int h) {
    if (d->mem && d->surf.width == w && d->surf.height == h) return 0;
    int stride = cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, w);
    if (stride <= 0) return -1;
    size_t n = (size_t)stride * (size_t)h;
    free(d->mem);
    d->mem = malloc(n + 2 * CN_DISPLAY_GUARD);
    if (!d->mem) { memset(&d->surf, 0, sizeof d->surf); return -1; }
    memset(d->mem, CN_DISPLAY_SENTINEL, CN_DISPLAY_GUARD);
    memset(d->mem + CN_DISPLAY_GUARD + n, CN_DISPLAY_SENTINEL, CN_DISPLAY_GUARD);
    d->surf = (LV2_Inline_Display_Image_Surface){ d->mem + CN_DISPLAY_GUARD, w, h, stride };
    return 0;
}

/* GUI thread: render(); the size is the host's limit, the height our own choice within it. */
LV2_Inline_Display_Image_Surface *cn_display_render(cn_display *d, uint32_t w, uint32_t max_h) {
    if (w == 0 || max_h == 0 || w > 16384 || max_h > 16384) return NULL;
    int h = cn_display_height(w, max_h);
    if (ensure_pixels(d, (int)w, h) != 0) return NULL;
    cn_display_draw(take(d), d->surf.data, d->surf.width, d->surf.height, d->surf.stride);
    return &d->surf;
}
