/* midi_song.c: the in-memory song (a flat note list plus a tempo map) and its beat <-> second
 * conversions. The note array grows in powers of two, so cn_song_add_note is amortised O(1)
 * without a capacity field: the capacity is the next power of two at or above n_notes. */
#include <stdlib.h>
#include <string.h>
#include "midi.h"

void cn_song_init(cn_song *s) {
    memset(s, 0, sizeof *s);
    s->tempos = malloc(sizeof *s->tempos);
    if (s->tempos) {
        s->tempos[0] = (cn_tempo){ .beat = 0, .sec = 0, .bpm = 120 };
        s->n_tempos = 1;
    }
    s->ppq = 480;
    s->ts_num = 4; s->ts_den = 4;
    s->program = -1;
}

void cn_song_free(cn_song *s) {
    free(s->notes);
    free(s->tempos);
    memset(s, 0, sizeof *s);
}

static int is_pow2(size_t n) { return (n & (n - 1)) == 0; }

int cn_song_add_note(cn_song *s, double start_beat, double dur_beat, int pitch, int vel, int ch) {
    if (pitch < 0 || pitch > 127) return -1;
    if (is_pow2(s->n_notes)) {
        size_t cap = s->n_notes ? s->n_notes * 2 : 16;
        cn_note *nn = realloc(s->notes, cap * sizeof *nn);
        if (!nn) return -1;
        s->notes = nn;
    }
    if (dur_beat < 0) dur_beat = 0;
    if (vel < 1) vel = 1;
    if (vel > 127) vel = 127;
    cn_note *n = &s->notes[s->n_notes++];
    *n = (cn_note){ .start_beat = start_beat, .dur_beat = dur_beat,
                    .pitch = (uint8_t)pitch, .velocity = (uint8_t)vel, .channel = (uint8_t)(ch & 15) };
    n->start_sec = cn_song_beat_to_sec(s, start_beat);
    n->dur_sec = cn_song_beat_to_sec(s, start_beat + dur_beat) - n->start_sec;
    return 0;
}

static int cmp_note(const void *a, const void *b) {
    const cn_note *x = a, *y = b;
    if (x->start_beat != y->start_beat) return x->start_beat < y->start_beat ? -1 : 1;
    if (x->pitch != y->pitch) return x->pitch < y->pitch ? -1 : 1;
    if (x->dur_beat != y->dur_beat) return x->dur_beat < y->dur_beat ? -1 : 1;
    return (int)x->channel - (int)y->channel;
}

static int cmp_tempo(const void *a, const void *b) {
    const cn_tempo *x = a, *y = b;
    return x->beat < y->beat ? -1 : x->beat > y->beat;
}

/* Tempo seconds follow from the beats and bpms: recompute them so edits stay consistent. */
static void tempo_recompute(cn_song *s) {
    if (s->n_tempos == 0) return;
    qsort(s->tempos, s->n_tempos, sizeof *s->tempos, cmp_tempo);
    s->tempos[0].sec = s->tempos[0].beat * 60.0 / s->tempos[0].bpm;
    for (size_t i = 1; i < s->n_tempos; i++) {
        const cn_tempo *p = &s->tempos[i - 1];
        s->tempos[i].sec = p->sec + (s->tempos[i].beat - p->beat) * 60.0 / p->bpm;
    }
}

void cn_song_sort(cn_song *s) {
    tempo_recompute(s);
    if (s->n_notes) qsort(s->notes, s->n_notes, sizeof *s->notes, cmp_note);
    for (size_t i = 0; i < s->n_notes; i++) {
        cn_note *n = &s->notes[i];
        n->start_sec = cn_song_beat_to_sec(s, n->start_beat);
        n->dur_sec = cn_song_beat_to_sec(s, n->start_beat + n->dur_beat) - n->start_sec;
        if (n->start_beat + n->dur_beat > s->end_beat) s->end_beat = n->start_beat + n->dur_beat;
    }
}

/* The tempo in force at a beat: the last one starting at or before it (the first before 0). */
static const cn_tempo *tempo_at_beat(const cn_song *s, double beat) {
    size_t lo = 0, hi = s->n_tempos;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s->tempos[mid].beat <= beat) lo = mid; else hi = mid;
    }
    return &s->tempos[lo];
}

double cn_song_beat_to_sec(const cn_song *s, double beat) {
    if (!s->tempos || s->n_tempos == 0) return beat * 0.5;
    const cn_tempo *t = tempo_at_beat(s, beat);
    return t->sec + (beat - t->beat) * 60.0 / t->bpm;
}

double cn_song_sec_to_beat(const cn_song *s, double sec) {
    if (!s->tempos || s->n_tempos == 0) return sec * 2.0;
    size_t lo = 0, hi = s->n_tempos;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s->tempos[mid].sec <= sec) lo = mid; else hi = mid;
    }
    const cn_tempo *t = &s->tempos[lo];
    return t->beat + (sec - t->sec) * t->bpm / 60.0;
}
