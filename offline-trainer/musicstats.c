/* musicstats.c: key consistency, range, density, rhythm variety, repetition and polyphony
 * of a passage (see musicstats.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "musicstats.h"
#include "sample.h"

/* The key correlation is the sampler's Krumhansl-Kessler key finding (engine/sample.c):
 * the best major or minor key's profile correlation, so that the statistic and the key
 * constraint agree on what a key is. */
double cn_music_key_corr(const double pc_hist[12], int *tonic, int *minor) {
    int t = 0, m = 0;
    cn_key_detect(pc_hist, &t, &m);
    if (tonic) *tonic = t;
    if (minor) *minor = m;
    return cn_key_correlation(pc_hist, t, m);
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct { double t; int d; } edge;
static int cmp_edge(const void *a, const void *b) {
    const edge *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->d - y->d;   /* ends before starts at the same time */
}

int cn_music_stats_compute(const cn_note *notes, size_t n, double span_beats,
                           const int *tokens, size_t n_tokens, cn_music_stats *out) {
    memset(out, 0, sizeof *out);
    out->notes = (int)n;
    for (size_t i = 1, run = 1; tokens && i <= n_tokens; i++) {
        if (i < n_tokens && tokens[i] == tokens[i - 1]) run++;
        else { if ((int)run > out->longest_run) out->longest_run = (int)run; run = 1; }
    }
    if (n == 0) return 0;

    double hist[12] = { 0 };
    int lo = 127, hi = 0;
    for (size_t i = 0; i < n; i++) {
        hist[notes[i].pitch % 12] += notes[i].dur_beat > 0 ? notes[i].dur_beat : 0;
        if (notes[i].pitch < lo) lo = notes[i].pitch;
        if (notes[i].pitch > hi) hi = notes[i].pitch;
    }
    out->key_corr = cn_music_key_corr(hist, &out->key_tonic, &out->key_minor);
    out->pitch_range = hi - lo;
    out->density = span_beats > 0 ? (double)n / span_beats : 0;

    /* onsets on the grid; the notes of one onset time are one chord */
    long *on = malloc(n * sizeof *on);
    edge *ev = malloc(2 * n * sizeof *ev);
    if (!on || !ev) { free(on); free(ev); return -1; }
    for (size_t i = 0; i < n; i++) on[i] = lround(notes[i].start_beat * 12);
    qsort(on, n, sizeof *on, cmp_long);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) if (i == 0 || on[i] != on[u - 1]) on[u++] = on[i];
    for (size_t i = 1; i < u; i++) on[i - 1] = on[i] - on[i - 1];
    size_t n_ioi = u ? u - 1 : 0;
    qsort(on, n_ioi, sizeof *on, cmp_long);
    for (size_t i = 0; i < n_ioi; i++) out->distinct_ioi += i == 0 || on[i] != on[i - 1];

    /* repeated single notes: walk the onsets in time order */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) { ev[m].t = notes[i].start_beat; ev[m].d = notes[i].pitch; m++; }
    qsort(ev, m, sizeof *ev, cmp_edge);
    int run = 0, prev = -1;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && lround(ev[j].t * 12) == lround(ev[i].t * 12)) j++;
        int single = j - i == 1 ? ev[i].d : -1;
        run = single >= 0 && single == prev ? run + 1 : (single >= 0 ? 1 : 0);
        prev = single;
        if (run > out->longest_pitch_run) out->longest_pitch_run = run;
        i = j;
    }

    /* polyphony: sweep the note edges */
    m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(notes[i].dur_beat > 0)) continue;
        ev[m].t = notes[i].start_beat; ev[m].d = 1; m++;
        ev[m].t = notes[i].start_beat + notes[i].dur_beat; ev[m].d = -1; m++;
    }
    qsort(ev, m, sizeof *ev, cmp_edge);
    double area = 0, sounding = 0;
    int depth = 0;
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && depth > 0) {
            double dt = ev[i].t - ev[i - 1].t;
            area += dt * depth; sounding += dt;
        }
        depth += ev[i].d;
    }
    out->polyphony = sounding > 0 ? area / sounding : 0;
    free(on); free(ev);
    return 0;
}

int cn_song_window(const cn_song *src, double from, double to, cn_song *out) {
    cn_song_init(out);
    for (size_t i = 0; i < src->n_tempos; i++)   /* the tempo in force where the window starts */
        if (i == 0 || src->tempos[i].beat <= from) out->tempos[0].bpm = src->tempos[i].bpm;
    out->ts_num = src->ts_num; out->ts_den = src->ts_den; out->program = src->program;
    for (size_t i = 0; i < src->n_notes; i++) {
        const cn_note *nt = &src->notes[i];
        if (nt->start_beat < from || nt->start_beat >= to) continue;
        double end = nt->start_beat + nt->dur_beat;
        if (end > to) end = to;
        if (cn_song_add_note(out, nt->start_beat - from, end - nt->start_beat, nt->pitch,
                             nt->velocity, nt->channel)) { cn_song_free(out); return -1; }
    }
    cn_song_sort(out);
    return 0;
}

cn_stat_summary cn_stat_summarise(double *v, int n) {
    cn_stat_summary s = { n, 0, 0, 0, 0, 0 };
    if (n <= 0) return s;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    for (int i = 0; i < n; i++) s.mean += v[i];
    s.mean /= n;
    s.min = v[0]; s.max = v[n - 1];
    s.p10 = v[(int)floor(0.1 * (n - 1) + 0.5)];
    s.p90 = v[(int)floor(0.9 * (n - 1) + 0.5)];
    return s;
}
