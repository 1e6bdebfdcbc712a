/* tokens_event.c: the event encoding, PerformanceRNN-style with time in beats:
 * NOTE_ON/NOTE_OFF per pitch, SHIFT by grid steps, VELOCITY bins (sent only when the bin
 * changes). Whole-song encode/decode, and the incremental encoder/decoder the live engine
 * runs on its real-time side (no allocation, bounded work per call). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "tokbuf.h"
#include "tokens.h"

int cn_ev_vel_bin(int velocity) {
    if (velocity < 1) return 0;
    if (velocity > 127) velocity = 127;
    return (velocity - 1) * CN_EV_VEL_BINS / 127;
}

int cn_ev_bin_vel(int bin) {
    if (bin < 0) bin = 0;
    if (bin >= CN_EV_VEL_BINS) bin = CN_EV_VEL_BINS - 1;
    /* bin b holds velocities v with (v-1) in [ceil(b*127/16), ceil((b+1)*127/16) - 1] */
    int lo = (bin * 127 + CN_EV_VEL_BINS - 1) / CN_EV_VEL_BINS + 1;
    int hi = ((bin + 1) * 127 + CN_EV_VEL_BINS - 1) / CN_EV_VEL_BINS;
    return (lo + hi) / 2;
}

void cn_ev_token_name(int tok, char *buf, size_t len) {
    if (tok >= CN_EV_NOTE_ON && tok < CN_EV_NOTE_OFF) snprintf(buf, len, "ON%d", tok - CN_EV_NOTE_ON);
    else if (tok >= CN_EV_NOTE_OFF && tok < CN_EV_SHIFT) snprintf(buf, len, "OFF%d", tok - CN_EV_NOTE_OFF);
    else if (tok >= CN_EV_SHIFT && tok < CN_EV_VEL) snprintf(buf, len, "SHIFT%d", tok - CN_EV_SHIFT + 1);
    else if (tok >= CN_EV_VEL && tok < CN_EV_VOCAB) snprintf(buf, len, "VEL%d", tok - CN_EV_VEL);
    else snprintf(buf, len, "?%d", tok);
}

/* ---- whole song ---- */

typedef struct { int64_t on, off; int pitch, bin; } grid_note;
typedef struct { int64_t step; int kind; int pitch, bin; } grid_event;   /* kind: 0 off, 1 on, 2 off of a zero-length note */

static int cmp_grid_note(const void *x, const void *y) {
    const grid_note *a = x, *b = y;
    if (a->pitch != b->pitch) return a->pitch - b->pitch;
    if (a->on != b->on) return a->on < b->on ? -1 : 1;
    return a->off > b->off ? -1 : a->off < b->off;     /* the longer first: it survives */
}

static int cmp_grid_event(const void *x, const void *y) {
    const grid_event *a = x, *b = y;
    if (a->step != b->step) return a->step < b->step ? -1 : 1;
    if (a->kind != b->kind) return a->kind - b->kind;
    return a->pitch - b->pitch;
}


int cn_ev_encode_grid(const cn_song *s, int transpose, int grid, int max_shift, int **out, size_t *n_out) {
    *out = NULL; *n_out = 0;
    if (grid < 1 || max_shift < 1) return -1;
    int vel_base = CN_EV_SHIFT + max_shift;
    grid_note *gn = malloc((s->n_notes + 1) * sizeof *gn);
    grid_event *ev = malloc((2 * s->n_notes + 1) * sizeof *ev);
    if (!gn || !ev) { free(gn); free(ev); return -1; }
    size_t n = 0;
    for (size_t i = 0; i < s->n_notes; i++) {
        int p = s->notes[i].pitch + transpose;
        if (p < 0 || p > 127) continue;
        int64_t on = llround(s->notes[i].start_beat * grid), d = llround(s->notes[i].dur_beat * grid);
        if (on < 0) on = 0;
        if (d < 0) d = 0;
        gn[n++] = (grid_note){ on, on + d, p, cn_ev_vel_bin(s->notes[i].velocity) };
    }
    /* Rounding can make notes of one pitch overlap: cut the earlier where the later starts,
     * and keep one of two that start on the same step. */
    qsort(gn, n, sizeof *gn, cmp_grid_note);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && gn[k - 1].pitch == gn[i].pitch) {
            if (gn[i].on == gn[k - 1].on) continue;
            if (gn[k - 1].off > gn[i].on) gn[k - 1].off = gn[i].on;
        }
        gn[k++] = gn[i];
    }
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        ev[m++] = (grid_event){ gn[i].on, 1, gn[i].pitch, gn[i].bin };
        ev[m++] = (grid_event){ gn[i].off, gn[i].off == gn[i].on ? 2 : 0, gn[i].pitch, 0 };
    }
    free(gn);
    qsort(ev, m, sizeof *ev, cmp_grid_event);
    cn_tokbuf tb = { 0 };
    int64_t cur = 0;
    int bin = -1;
    for (size_t i = 0; i < m; i++) {
        int64_t delta = ev[i].step - cur;
        while (delta > 0) {
            int64_t sh = delta < max_shift ? delta : max_shift;
            cn_tokbuf_put(&tb, CN_EV_SHIFT + (int)sh - 1);
            delta -= sh;
        }
        cur = ev[i].step;
        if (ev[i].kind == 1) {
            if (ev[i].bin != bin) { cn_tokbuf_put(&tb, vel_base + ev[i].bin); bin = ev[i].bin; }
            cn_tokbuf_put(&tb, CN_EV_NOTE_ON + ev[i].pitch);
        } else {
            cn_tokbuf_put(&tb, CN_EV_NOTE_OFF + ev[i].pitch);
        }
    }
    free(ev);
    if (tb.oom) { free(tb.t); return -1; }
    *out = tb.t; *n_out = tb.n;
    return 0;
}

int cn_ev_encode(const cn_song *s, int transpose, int **out, size_t *n_out) {
    return cn_ev_encode_grid(s, transpose, CN_EV_GRID, CN_EV_MAX_SHIFT, out, n_out);
}

int cn_ev_decode_grid(const int *tok, size_t n, int grid, int max_shift, double bpm, cn_song *out) {
    cn_song_init(out);
    if (!out->tempos || grid < 1 || max_shift < 1) return -1;
    out->tempos[0].bpm = bpm > 0 ? bpm : 120;
    int vel_base = CN_EV_SHIFT + max_shift;
    int64_t start[128];
    int vel_of[128];
    for (int p = 0; p < 128; p++) start[p] = -1;
    int64_t step = 0;
    int vel = 64;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int t = tok[i];
        if (t >= CN_EV_NOTE_ON && t < CN_EV_NOTE_OFF) {
            int p = t - CN_EV_NOTE_ON;
            if (start[p] >= 0)        /* struck again while sounding: the old one ends here */
                rc = cn_song_add_note(out, (double)start[p] / grid, (double)(step - start[p]) / grid, p, vel_of[p], 0);
            start[p] = step; vel_of[p] = vel;
        } else if (t >= CN_EV_NOTE_OFF && t < CN_EV_SHIFT) {
            int p = t - CN_EV_NOTE_OFF;
            if (start[p] < 0) continue;
            rc = cn_song_add_note(out, (double)start[p] / grid, (double)(step - start[p]) / grid, p, vel_of[p], 0);
            start[p] = -1;
        } else if (t >= CN_EV_SHIFT && t < vel_base) {
            step += t - CN_EV_SHIFT + 1;
        } else if (t >= vel_base && t < vel_base + CN_EV_VEL_BINS) {
            vel = cn_ev_bin_vel(t - vel_base);
        }
    }
    for (int p = 0; p < 128 && rc == 0; p++)
        if (start[p] >= 0) rc = cn_song_add_note(out, (double)start[p] / grid, (double)(step - start[p]) / grid, p, vel_of[p], 0);
    if (rc != 0) { cn_song_free(out); return -1; }
    out->end_beat = (double)step / grid;
    cn_song_sort(out);
    return 0;
}

int cn_ev_decode(const int *tok, size_t n, double bpm, cn_song *out) {
    return cn_ev_decode_grid(tok, n, CN_EV_GRID, CN_EV_MAX_SHIFT, bpm, out);
}

/* ---- incremental, real-time safe ---- */

static int64_t beat_to_step(double beat) {
    if (!(beat > -1e12 && beat < 1e12)) return 0;      /* NaN or absurd: no time moves */
    return llround(beat * CN_EV_GRID);
}

void cn_ev_encoder_init(cn_ev_encoder *e, double beat) {
    e->step = beat_to_step(beat);
    e->vel_bin = -1;
}

int cn_ev_encoder_feed(cn_ev_encoder *e, double beat, int on, int pitch, int velocity, int *out, int max) {
    if (pitch < 0 || pitch > 127 || max < 1) return 0;
    int64_t step = beat_to_step(beat);
    if (step < e->step) step = e->step;                /* late or out of order: now */
    int bin = on ? cn_ev_vel_bin(velocity) : e->vel_bin;
    int need = 1 + (on && bin != e->vel_bin);
    if (need > max) return 0;
    int n = 0;
    int64_t delta = step - e->step;
    /* Shifts that do not fit are dropped: a long silence is cut short rather than overflow out. */
    while (delta > 0 && n < max - need) {
        int64_t sh = delta < CN_EV_MAX_SHIFT ? delta : CN_EV_MAX_SHIFT;
        out[n++] = CN_EV_SHIFT + (int)sh - 1;
        delta -= sh;
    }
    e->step = step;
    if (on) {
        if (bin != e->vel_bin) { out[n++] = CN_EV_VEL + bin; e->vel_bin = bin; }
        out[n++] = CN_EV_NOTE_ON + pitch;
    } else {
        out[n++] = CN_EV_NOTE_OFF + pitch;
    }
    return n;
}

void cn_ev_decoder_init(cn_ev_decoder *d, double beat) {
    d->step = beat_to_step(beat);
    d->velocity = 64;
}

int cn_ev_decoder_feed(cn_ev_decoder *d, int tok, cn_ev_note_event *ev) {
    if (tok >= CN_EV_NOTE_ON && tok < CN_EV_SHIFT) {
        int on = tok < CN_EV_NOTE_OFF;
        ev->beat = (double)d->step / CN_EV_GRID;
        ev->on = on;
        ev->pitch = on ? tok - CN_EV_NOTE_ON : tok - CN_EV_NOTE_OFF;
        ev->velocity = on ? d->velocity : 0;
        return 1;
    }
    if (tok >= CN_EV_SHIFT && tok < CN_EV_VEL) d->step += tok - CN_EV_SHIFT + 1;
    else if (tok >= CN_EV_VEL && tok < CN_EV_VOCAB) d->velocity = cn_ev_bin_vel(tok - CN_EV_VEL);
    return 0;
}

double cn_ev_decoder_beat(const cn_ev_decoder *d) {
    return (double)d->step / CN_EV_GRID;
}
