/* tokens_paper.c: the report's music21-style encoding, to reproduce its experiments.
 * One token per onset group: a single note is its name with octave ("C#4"), a group of
 * several notes is its pitch classes in normal order, dot-joined ("4.7.11"); each carries
 * "_" and its duration type ("_quarter"). Times are quantised as music21 does from MIDI (to
 * the nearer of the 16th and the triplet-8th grid); dotted and triplet values fold into their
 * base type, and other values (ties, music21's "complex") into the nearest type, so that
 * every token decodes to a duration. A group lasts as long as its longest note.
 * Decoding voices chords near the previous notes and advances time by each duration. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tokens.h"

static const char *const PC_NAMES[12] = { "C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B" };

void cn_paper_pitch_name(int p, char *buf, size_t len) {
    if (p < 0) p = 0;
    if (p > 127) p = 127;
    snprintf(buf, len, "%s%d", PC_NAMES[p % 12], p / 12 - 1);
}

/* Duration types: base values in quarter notes. */
static const struct { const char *name; double ql; } TYPES[] = {
    { "breve", 8 }, { "whole", 4 }, { "half", 2 }, { "quarter", 1 },
    { "eighth", 0.5 }, { "16th", 0.25 }, { "32nd", 0.125 }, { "64th", 0.0625 },
};
#define N_TYPES (sizeof TYPES / sizeof *TYPES)

static const char *duration_type(double ql) {
    if (ql <= 0) return "zero";
    static const double forms[] = { 1.0, 1.5, 1.75, 2.0 / 3.0 };   /* plain, dotted, double-dotted, triplet */
    const char *best = "quarter";
    double best_d = INFINITY;
    for (size_t t = 0; t < N_TYPES; t++)
        for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
            double d = fabs(log(ql / (TYPES[t].ql * forms[f])));
            if (d < best_d - 1e-12) { best_d = d; best = TYPES[t].name; }
        }
    return best;
}

static double type_value(const char *name) {
    if (strcmp(name, "zero") == 0) return 0;
    for (size_t t = 0; t < N_TYPES; t++) if (strcmp(name, TYPES[t].name) == 0) return TYPES[t].ql;
    return -1;
}

/* music21's MIDI quantisation: the nearer of the 1/4 and the 1/3 grid (1/4 on a tie). */
static double quantize_ql(double x) {
    double a = round(x * 4) / 4, b = round(x * 3) / 3;
    return fabs(b - x) < fabs(a - x) - 1e-9 ? b : a;
}

/* Normal order (Forte): the rotation of the sorted pitch classes with the smallest span,
 * ties broken by the smaller intervals from the first to the second, third...; equal shapes
 * (symmetric sets) keep the rotation starting on the lowest pitch class, as music21 does. */
static int normal_order(uint16_t mask, int *out) {
    int pcs[12], n = 0;
    for (int pc = 0; pc < 12; pc++) if (mask & (1u << pc)) pcs[n++] = pc;
    int best = 0;
    for (int r = 1; r < n; r++) {
        int better = 0;
        /* compare span first, then the intervals from the first to the 2nd, 3rd, ... */
        for (int k = 0; k < n - 1 && !better; k++) {
            int idx = k == 0 ? n - 1 : k;
            int a = (pcs[(r + idx) % n] - pcs[r] + 12) % 12;
            int b = (pcs[(best + idx) % n] - pcs[best] + 12) % 12;
            if (a < b) better = 1;
            else if (a > b) break;
        }
        if (better) best = r;
    }
    for (int i = 0; i < n; i++) out[i] = pcs[(best + i) % n];
    return n;
}

typedef struct { double on, dur; int pitch; } paper_note;

static int cmp_paper_note(const void *x, const void *y) {
    const paper_note *a = x, *b = y;
    if (a->on != b->on) return a->on < b->on ? -1 : 1;
    return a->pitch - b->pitch;
}

int cn_paper_strings(const cn_song *s, int transpose, char ***out, size_t *n_out) {
    *out = NULL; *n_out = 0;
    paper_note *pn = malloc((s->n_notes + 1) * sizeof *pn);
    char **strs = malloc((s->n_notes + 1) * sizeof *strs);
    if (!pn || !strs) { free(pn); free(strs); return -1; }
    size_t n = 0;
    for (size_t i = 0; i < s->n_notes; i++) {
        int p = s->notes[i].pitch + transpose;
        if (p < 0 || p > 127) continue;
        pn[n++] = (paper_note){ quantize_ql(s->notes[i].start_beat), quantize_ql(s->notes[i].dur_beat), p };
    }
    qsort(pn, n, sizeof *pn, cmp_paper_note);
    size_t ns = 0;
    int oom = 0;
    for (size_t i = 0; i < n && !oom;) {
        size_t j = i;
        double dur = 0;
        uint16_t mask = 0;
        while (j < n && pn[j].on == pn[i].on) {
            if (pn[j].dur > dur) dur = pn[j].dur;
            mask |= (uint16_t)(1u << (pn[j].pitch % 12));
            j++;
        }
        char name[64];
        if (j - i == 1) {
            cn_paper_pitch_name(pn[i].pitch, name, sizeof name);
        } else {
            int pcs[12], k = normal_order(mask, pcs), len = 0;
            for (int q = 0; q < k; q++) len += snprintf(name + len, sizeof name - (size_t)len, q ? ".%d" : "%d", pcs[q]);
        }
        size_t nl = strlen(name);
        snprintf(name + nl, sizeof name - nl, "_%s", duration_type(dur));
        if (!(strs[ns] = strdup(name))) oom = 1;
        else ns++;
        i = j;
    }
    free(pn);
    if (oom) { cn_paper_strings_free(strs, ns); return -1; }
    *out = strs; *n_out = ns;
    return 0;
}

void cn_paper_strings_free(char **strs, size_t n) {
    if (!strs) return;
    for (size_t i = 0; i < n; i++) free(strs[i]);
    free(strs);
}

int cn_paper_encode(const cn_song *s, const cn_vocab *v, int transpose, int **out, size_t *n_out, size_t *n_unk) {
    *out = NULL; *n_out = 0;
    if (n_unk) *n_unk = 0;
    char **strs; size_t n;
    if (cn_paper_strings(s, transpose, &strs, &n) != 0) return -1;
    int *ids = malloc((n + 1) * sizeof *ids);
    if (!ids) { cn_paper_strings_free(strs, n); return -1; }
    for (size_t i = 0; i < n; i++) {
        ids[i] = cn_vocab_lookup(v, strs[i]);
        if (ids[i] == 0 && n_unk) (*n_unk)++;
    }
    cn_paper_strings_free(strs, n);
    *out = ids; *n_out = n;
    return 0;
}

int cn_paper_parse(const char *name, cn_paper_token *t) {
    memset(t, 0, sizeof *t);
    const char *us = name ? strrchr(name, '_') : NULL;
    if (!us || us == name) return -1;
    double ql = type_value(us + 1);
    if (ql < 0) return -1;
    t->quarter_len = ql;
    const char *p = name;
    if (*p >= '0' && *p <= '9') {           /* chord: pitch classes, dot-joined */
        t->is_chord = 1;
        while (p < us) {
            char *end;
            long pc = strtol(p, &end, 10);
            if (end == p || pc < 0 || pc > 11 || t->n >= 12) return -1;
            t->pitch[t->n++] = (int)pc;
            p = end;
            if (p < us && *p++ != '.') return -1;
        }
        return t->n > 0 ? 0 : -1;
    }
    static const int LETTER_PC[7] = { 9, 11, 0, 2, 4, 5, 7 };   /* A..G */
    if (*p < 'A' || *p > 'G') return -1;
    int letter = *p, pc = LETTER_PC[*p - 'A'];
    p++;
    /* '#' sharpens; '-' flattens only after E and B (the flats written from MIDI), elsewhere it
     * is a negative octave ("C-1" is MIDI 0). "E-1" and "B-1" therefore read as E-flat 1 and
     * B-flat 1: MIDI 4 and 11 cannot be told apart from them, as in music21. */
    if (*p == '#') { pc++; p++; }
    else if (*p == '-' && (letter == 'E' || letter == 'B')) { pc--; p++; }
    char *end;
    long oct = strtol(p, &end, 10);
    if (end == p || end != us || oct < -1 || oct > 9) return -1;
    int midi = pc + 12 * ((int)oct + 1);
    if (midi < 0 || midi > 127) return -1;
    t->n = 1; t->pitch[0] = midi;
    return 0;
}

int cn_paper_decode(const cn_vocab *v, const int *tok, size_t n, double bpm, cn_song *out) {
    cn_song_init(out);
    if (!out->tempos) return -1;
    out->tempos[0].bpm = bpm > 0 ? bpm : 120;
    double t = 0, center = 60;           /* the seed's code voices chords in octave 4 */
    for (size_t i = 0; i < n; i++) {
        if (tok[i] <= 0 || tok[i] >= v->n) continue;
        cn_paper_token pt;
        if (cn_paper_parse(v->names[tok[i]], &pt) != 0) continue;
        double dur = pt.quarter_len > 0 ? pt.quarter_len : 1.0 / CN_EV_GRID;   /* a grace note sounds briefly */
        double sum = 0;
        int placed = 0;
        uint8_t used[128] = { 0 };
        for (int k = 0; k < pt.n; k++) {
            int p = pt.pitch[k];
            if (pt.is_chord) {          /* the octave of this pitch class nearest the previous notes */
                p = pt.pitch[k] + 12 * (int)lround((center - pt.pitch[k]) / 12.0);
                while (p > 127) p -= 12;
                while (p < 0) p += 12;
            }
            if (used[p]) continue;
            used[p] = 1;
            if (cn_song_add_note(out, t, dur, p, 80, 0) != 0) { cn_song_free(out); return -1; }
            sum += p; placed++;
        }
        if (placed) center = sum / placed;
        t += pt.quarter_len;
    }
    out->end_beat = t;
    cn_song_sort(out);
    return 0;
}
