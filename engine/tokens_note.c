/* tokens_note.c: the note encoding (see tokens.h): PITCH+DUR per note, SHIFT on the 1/12-beat
 * grid, VEL on a change of bin, and a KEY and a DENS control every 4 beats. Whole-song encode
 * (with the controls labelled from the music, or fixed by the caller), decode, and the
 * transposition the trainer applies to windows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample.h"
#include "tokbuf.h"
#include "tokens.h"

/* Every step to 12 (a beat) exactly, then coarser: what piano music holds. */
static const int dur_steps[CN_NT_DUR_BINS] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                               15, 18, 21, 24, 30, 36, 42, 48, 60, 72, 84, 96 };
/* Lower edges of the density bins 1..7, in onsets a beat. */
static const double dens_edges[CN_NT_DENS_BINS - 1] = { 1, 2, 3, 4, 5.5, 7.5, 10 };

int cn_nt_dur_bin(int64_t steps) {
    if (steps <= 1) return 0;
    if (steps >= dur_steps[CN_NT_DUR_BINS - 1]) return CN_NT_DUR_BINS - 1;
    int best = 0;
    for (int b = 1; b < CN_NT_DUR_BINS; b++)
        if (llabs(steps - dur_steps[b]) < llabs(steps - dur_steps[best])) best = b;
    return best;
}

int cn_nt_bin_steps(int bin) {
    if (bin < 0) bin = 0;
    if (bin >= CN_NT_DUR_BINS) bin = CN_NT_DUR_BINS - 1;
    return dur_steps[bin];
}

int cn_nt_dens_bin(double d) {
    int b = 0;
    while (b < CN_NT_DENS_BINS - 1 && d >= dens_edges[b]) b++;
    return b;
}

double cn_nt_bin_dens(int bin) {
    if (bin <= 0) return 0.5;
    if (bin >= CN_NT_DENS_BINS - 1) return 12;
    return (dens_edges[bin - 1] + dens_edges[bin]) / 2;
}

int cn_nt_key_token(int tonic, int minor) {
    if (tonic < 0 || tonic > 11) return CN_NT_KEY_NONE;
    return CN_NT_KEY + tonic + (minor ? 12 : 0);
}

void cn_nt_token_name(int tok, char *buf, size_t len) {
    if (tok >= CN_NT_PITCH && tok < CN_NT_DUR) snprintf(buf, len, "P%d", tok - CN_NT_PITCH);
    else if (tok < CN_NT_SHIFT && tok >= 0) snprintf(buf, len, "D%d", cn_nt_bin_steps(tok - CN_NT_DUR));
    else if (tok >= CN_NT_SHIFT && tok < CN_NT_VEL) snprintf(buf, len, "SHIFT%d", tok - CN_NT_SHIFT + 1);
    else if (tok >= CN_NT_VEL && tok < CN_NT_KEY) snprintf(buf, len, "VEL%d", tok - CN_NT_VEL);
    else if (tok >= CN_NT_KEY && tok < CN_NT_KEY_NONE)
        snprintf(buf, len, "KEY:%s", cn_key_name((tok - CN_NT_KEY) % 12, tok - CN_NT_KEY >= 12));
    else if (tok == CN_NT_KEY_NONE) snprintf(buf, len, "KEY:none");
    else if (tok >= CN_NT_DENS && tok < CN_NT_DENS_NONE) snprintf(buf, len, "DENS%d", tok - CN_NT_DENS);
    else if (tok == CN_NT_DENS_NONE) snprintf(buf, len, "DENS:none");
    else snprintf(buf, len, "?%d", tok);
}

/* ---- the controls' labels ---- */

/* Duration-weighted pitch classes of the notes starting in [lo, hi); returns how many. */
static int pc_hist(const cn_note *notes, size_t n, int transpose, double lo, double hi, double h[12]) {
    memset(h, 0, 12 * sizeof *h);
    int count = 0;
    for (size_t i = 0; i < n && notes[i].start_beat < hi; i++) {
        if (notes[i].start_beat < lo) continue;
        int p = notes[i].pitch + transpose;
        if (p < 0 || p > 127) continue;
        double w = notes[i].dur_beat < 0.25 ? 0.25 : notes[i].dur_beat > 4 ? 4 : notes[i].dur_beat;
        h[p % 12] += w;
        count++;
    }
    return count;
}

int cn_nt_key_of(const cn_note *notes, size_t n, int transpose, double lo, double hi) {
    double h[12];
    if (pc_hist(notes, n, transpose, lo, hi, h) < 3) return CN_NT_KEY_NONE;
    int tonic, minor;
    if (!cn_key_detect(h, &tonic, &minor)) return CN_NT_KEY_NONE;
    return cn_nt_key_token(tonic, minor);
}

int cn_nt_key_label(const cn_note *notes, size_t n, int transpose, double beat) {
    double h[12];
    int count = pc_hist(notes, n, transpose, beat, beat + CN_NT_KEY_BEATS, h);
    if (count < 3) count = pc_hist(notes, n, transpose, beat - CN_NT_KEY_BEATS / 2, beat + CN_NT_KEY_BEATS, h);
    if (count < 3) return CN_NT_KEY_NONE;
    int tonic, minor;
    if (!cn_key_detect(h, &tonic, &minor)) return CN_NT_KEY_NONE;
    return cn_nt_key_token(tonic, minor);
}

int cn_nt_dens_label(const cn_note *notes, size_t n, double beat, double end_beat) {
    double span = end_beat - beat;
    if (span > CN_NT_DENS_BEATS) span = CN_NT_DENS_BEATS;
    if (span < 1) span = 1;
    /* onsets, not notes: a chord is one onset group of several notes, and counts as its notes */
    int count = 0;
    for (size_t i = 0; i < n && notes[i].start_beat < beat + CN_NT_DENS_BEATS; i++)
        if (notes[i].start_beat >= beat) count++;
    return CN_NT_DENS + cn_nt_dens_bin(count / span);
}

/* ---- whole song ---- */

typedef struct { int64_t on, dur; int pitch, bin; } nt_note;

static int cmp_nt_note(const void *x, const void *y) {
    const nt_note *a = x, *b = y;
    if (a->on != b->on) return a->on < b->on ? -1 : 1;
    if (a->pitch != b->pitch) return a->pitch - b->pitch;
    return a->dur > b->dur ? -1 : a->dur < b->dur;     /* the longer first: it survives */
}

/* The control pair at the slot starting at `step`. */
static void put_controls(cn_tokbuf *b, const cn_song *s, int transpose, int key_tok, int dens_tok, int64_t step) {
    double beat = (double)step / CN_NT_GRID;
    cn_tokbuf_put(b, key_tok >= 0 ? key_tok : cn_nt_key_label(s->notes, s->n_notes, transpose, beat));
    cn_tokbuf_put(b, dens_tok >= 0 ? dens_tok : cn_nt_dens_label(s->notes, s->n_notes, beat, s->end_beat));
}

/* Time from *cur to target, with the controls at every slot boundary on the way (and at
 * target itself when it is one). */
static void advance(cn_tokbuf *b, const cn_song *s, int transpose, int key_tok, int dens_tok,
                    int64_t *cur, int64_t target, int64_t *next_slot) {
    for (;;) {
        if (*cur == *next_slot) {
            put_controls(b, s, transpose, key_tok, dens_tok, *cur);
            *next_slot += CN_NT_SLOT;
        }
        if (*cur >= target) return;
        int64_t to = target < *next_slot ? target : *next_slot;
        cn_tokbuf_put(b, CN_NT_SHIFT + (int)(to - *cur) - 1);    /* <= CN_NT_SLOT = CN_NT_MAX_SHIFT steps */
        *cur = to;
    }
}

int cn_nt_encode(const cn_song *s, int transpose, int key_tok, int dens_tok, int **out, size_t *n_out) {
    *out = NULL; *n_out = 0;
    nt_note *nn = malloc((s->n_notes + 1) * sizeof *nn);
    if (!nn) return -1;
    size_t n = 0;
    for (size_t i = 0; i < s->n_notes; i++) {
        int p = s->notes[i].pitch + transpose;
        if (p < 0 || p > 127) continue;
        int64_t on = llround(s->notes[i].start_beat * CN_NT_GRID), d = llround(s->notes[i].dur_beat * CN_NT_GRID);
        nn[n++] = (nt_note){ on < 0 ? 0 : on, d < 1 ? 1 : d, p, cn_ev_vel_bin(s->notes[i].velocity) };
    }
    qsort(nn, n, sizeof *nn, cmp_nt_note);
    cn_tokbuf b = { 0 };
    int64_t cur = 0, next_slot = 0;
    int bin = -1;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && nn[i].on == nn[i - 1].on && nn[i].pitch == nn[i - 1].pitch) continue;   /* one strike */
        advance(&b, s, transpose, key_tok, dens_tok, &cur, nn[i].on, &next_slot);
        if (nn[i].bin != bin) { cn_tokbuf_put(&b, CN_NT_VEL + nn[i].bin); bin = nn[i].bin; }
        cn_tokbuf_put(&b, CN_NT_PITCH + nn[i].pitch);
        cn_tokbuf_put(&b, CN_NT_DUR + cn_nt_dur_bin(nn[i].dur));
    }
    /* up to the song's end, so that a continuation starts where the seed ends */
    int64_t end = llround(s->end_beat * CN_NT_GRID);
    if (end > cur) advance(&b, s, transpose, key_tok, dens_tok, &cur, end, &next_slot);
    free(nn);
    if (b.oom) { free(b.t); return -1; }
    *out = b.t; *n_out = b.n;
    return 0;
}

int cn_nt_decode(const int *tok, size_t n, double bpm, cn_song *out) {
    cn_song_init(out);
    if (!out->tempos) return -1;
    out->tempos[0].bpm = bpm > 0 ? bpm : 120;
    int64_t step = 0;
    int vel = 64, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int t = tok[i];
        if (t >= CN_NT_PITCH && t < CN_NT_DUR) {
            if (i + 1 >= n || tok[i + 1] < CN_NT_DUR || tok[i + 1] >= CN_NT_SHIFT) continue;
            int steps = cn_nt_bin_steps(tok[++i] - CN_NT_DUR);
            rc = cn_song_add_note(out, (double)step / CN_NT_GRID, (double)steps / CN_NT_GRID, t - CN_NT_PITCH, vel, 0);
        } else if (t >= CN_NT_SHIFT && t < CN_NT_VEL) {
            step += t - CN_NT_SHIFT + 1;
        } else if (t >= CN_NT_VEL && t < CN_NT_KEY) {
            vel = cn_ev_bin_vel(t - CN_NT_VEL);
        }
    }
    if (rc != 0) { cn_song_free(out); return -1; }
    cn_song_sort(out);
    /* a pitch struck again while it sounds: the earlier note ends where the later starts */
    int64_t last_i[128];
    for (int p = 0; p < 128; p++) last_i[p] = -1;
    for (size_t i = 0; i < out->n_notes; i++) {
        cn_note *x = &out->notes[i];
        if (last_i[x->pitch] >= 0) {
            cn_note *prev = &out->notes[last_i[x->pitch]];
            if (prev->start_beat + prev->dur_beat > x->start_beat) prev->dur_beat = x->start_beat - prev->start_beat;
        }
        last_i[x->pitch] = (int64_t)i;
    }
    double end = (double)step / CN_NT_GRID;
    if (end > out->end_beat) out->end_beat = end;
    cn_song_sort(out);
    return 0;
}

void cn_nt_shift_range(const int *tok, size_t n, int *lo, int *hi) {
    int pmin = 127, pmax = 0, any = 0;
    for (size_t i = 0; i < n; i++) {
        if (tok[i] < CN_NT_PITCH || tok[i] >= CN_NT_DUR) continue;
        int p = tok[i] - CN_NT_PITCH;
        if (p < pmin) pmin = p;
        if (p > pmax) pmax = p;
        any = 1;
    }
    *lo = any ? -pmin : 0;
    *hi = any ? 127 - pmax : 0;
}

void cn_nt_shift_tokens(int *tok, size_t n, int shift) {
    if (shift == 0) return;
    int rot = ((shift % 12) + 12) % 12;
    for (size_t i = 0; i < n; i++) {
        int t = tok[i];
        if (t >= CN_NT_PITCH && t < CN_NT_DUR) tok[i] = t + shift;   /* in range by contract */
        else if (t >= CN_NT_KEY && t < CN_NT_KEY_NONE) {
            int k = t - CN_NT_KEY;
            tok[i] = CN_NT_KEY + (k % 12 + rot) % 12 + (k >= 12 ? 12 : 0);
        }
    }
}
