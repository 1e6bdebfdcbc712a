/* listen.c: the listening yardstick's nine features of a continuation, the overlap of two
 * per-piece distributions and the median (see listen.h; the definitions are in README.md). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "listen.h"

/* Bin widths: about a tenth of the spread the real continuations of piano-midi show, so that
 * a few bins carry each distribution; integers get bins of one. */
static const cn_lf_info LF_INFO[CN_LF_N] = {
    [CN_LF_PC_AGREE]     = { "pitch_class_agreement", "r", 0.1 },
    [CN_LF_LONG_SHARE]   = { "long_note_share", "share", 0.02 },
    [CN_LF_LEN_P90]      = { "note_length_p90", "beats", 0.25 },
    [CN_LF_POLYPHONY]    = { "notes_sounding", "notes", 0.5 },
    [CN_LF_ONSET_RATE]   = { "onsets_per_beat", "1/beat", 0.5 },
    [CN_LF_PITCH_RANGE]  = { "pitch_range", "semitones", 4 },
    [CN_LF_GROUP_RUN]    = { "longest_group_run", "groups", 1 },
    [CN_LF_DISTINCT_IOI] = { "distinct_ioi", "count", 1 },
    [CN_LF_VEL_SPREAD]   = { "velocity_spread", "velocity", 2 },
};

const cn_lf_info *cn_lf_info_of(int feature) {
    return feature >= 0 && feature < CN_LF_N ? &LF_INFO[feature] : NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double cn_listen_median(double *v, int n) {
    if (n <= 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double cn_listen_pearson12(const double a[12], const double b[12]) {
    double ma = 0, mb = 0;
    for (int i = 0; i < 12; i++) { ma += a[i]; mb += b[i]; }
    ma /= 12; mb /= 12;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < 12; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    if (saa <= 1e-12 || sbb <= 1e-12) return 0;
    return sab / sqrt(saa * sbb);
}

/* ---- the overlap ---- */
typedef struct { long bin; double w; } bin_mass;
static int cmp_bin(const void *a, const void *b) {
    long x = ((const bin_mass *)a)->bin, y = ((const bin_mass *)b)->bin;
    return x < y ? -1 : x > y;
}
static long bin_of(double v, double w) {
    double k = floor(v / w + 1e-9);   /* a value on an edge belongs to the bin it opens */
    return k < -1e15 ? (long)-1e15 : k > 1e15 ? (long)1e15 : (long)k;
}

double cn_listen_overlap(const double *a, int na, const double *b, int nb, double bin_width) {
    if (na <= 0 || nb <= 0 || !(bin_width > 0)) return NAN;
    /* both samples' masses on one sorted list of bins: a's positive, b's negative */
    bin_mass *m = malloc((size_t)(na + nb) * sizeof *m);
    if (!m) return NAN;
    for (int i = 0; i < na; i++) m[i] = (bin_mass){ bin_of(a[i], bin_width), 1.0 / na };
    for (int i = 0; i < nb; i++) m[na + i] = (bin_mass){ bin_of(b[i], bin_width), -1.0 / nb };
    qsort(m, (size_t)(na + nb), sizeof *m, cmp_bin);
    double ov = 0;
    for (int i = 0; i < na + nb;) {
        double pa = 0, pb = 0;
        int k = i;
        for (; k < na + nb && m[k].bin == m[i].bin; k++) {
            if (m[k].w > 0) pa += m[k].w; else pb -= m[k].w;
        }
        ov += pa < pb ? pa : pb;
        i = k;
    }
    free(m);
    return ov > 1 ? 1 : ov;
}

/* ---- the features ---- */
typedef struct { long step; uint64_t set[2]; } onset_group;
static int cmp_group(const void *a, const void *b) {
    long x = ((const onset_group *)a)->step, y = ((const onset_group *)b)->step;
    return x < y ? -1 : x > y;
}

/* Onset groups (pitch sets at one grid step) in time order: the longest run of one repeated
 * set, and the distinct intervals between successive steps. g holds n notes' slots. */
static void group_features(const cn_note *notes, const int *keep, size_t n, onset_group *g,
                           double *run_out, double *ioi_out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i]) continue;
        g[k].step = lround(notes[i].start_beat * CN_LF_GRID);
        g[k].set[0] = g[k].set[1] = 0;
        g[k].set[notes[i].pitch >> 6] = 1ull << (notes[i].pitch & 63);
        k++;
    }
    qsort(g, k, sizeof *g, cmp_group);
    size_t ng = 0;   /* merge the notes of one step into one group */
    for (size_t i = 0; i < k; i++) {
        if (ng && g[ng - 1].step == g[i].step) { g[ng - 1].set[0] |= g[i].set[0]; g[ng - 1].set[1] |= g[i].set[1]; }
        else g[ng++] = g[i];
    }
    int best = ng ? 1 : 0, run = 1;
    for (size_t i = 1; i < ng; i++) {
        int same = g[i].set[0] == g[i - 1].set[0] && g[i].set[1] == g[i - 1].set[1];
        run = same ? run + 1 : 1;
        if (run > best) best = run;
    }
    *run_out = best;
    /* distinct intervals: the successive differences, sorted, counted once each (reusing step) */
    size_t ni = 0;
    for (size_t i = 1; i < ng; i++) g[ni++].step = g[i].step - g[i - 1].step;
    qsort(g, ni, sizeof *g, cmp_group);
    int distinct = 0;
    for (size_t i = 0; i < ni; i++) if (i == 0 || g[i].step != g[i - 1].step) distinct++;
    *ioi_out = distinct;
}

int cn_listen_features(const cn_note *seed, size_t n_seed, const cn_note *cont, size_t n_cont,
                       double span_beats, double out[CN_LF_N]) {
    memset(out, 0, CN_LF_N * sizeof *out);
    int *keep = malloc((n_cont + 1) * sizeof *keep);
    double *len = malloc((n_cont + 1) * sizeof *len);
    onset_group *g = malloc((n_cont + 1) * sizeof *g);
    if (!keep || !len || !g) { free(keep); free(len); free(g); return -1; }
    double seed_pc[12] = { 0 }, cont_pc[12] = { 0 }, vsum = 0, vsq = 0, grid_hits = 0;
    int lo = 127, hi = 0, long_notes = 0;
    size_t n = 0;
    for (size_t i = 0; i < n_seed; i++) seed_pc[seed[i].pitch % 12] += 1;
    for (size_t i = 0; i < n_cont; i++) {
        const cn_note *nt = &cont[i];
        keep[i] = nt->start_beat >= 0 && nt->start_beat < span_beats;
        if (!keep[i]) continue;
        double end = fmin(nt->start_beat + fmax(nt->dur_beat, 0), span_beats);
        len[n++] = end - nt->start_beat;
        cont_pc[nt->pitch % 12] += 1;
        if (nt->pitch < lo) lo = nt->pitch;
        if (nt->pitch > hi) hi = nt->pitch;
        if (end - nt->start_beat > CN_LF_LONG_BEATS + 1e-9) long_notes++;
        vsum += nt->velocity; vsq += (double)nt->velocity * nt->velocity;
        /* the grid points k * step in [start, end) */
        double q = 1.0 / CN_LF_POLY_STEP;
        grid_hits += fmax(0, ceil(end * q - 1e-9) - ceil(nt->start_beat * q - 1e-9));
    }
    if (n > 0) {
        double points = ceil(span_beats / CN_LF_POLY_STEP - 1e-9);
        out[CN_LF_PC_AGREE] = cn_listen_pearson12(seed_pc, cont_pc);
        out[CN_LF_LONG_SHARE] = (double)long_notes / (double)n;
        qsort(len, n, sizeof *len, cmp_double);
        long r = (long)ceil(0.9 * (double)n - 1e-9) - 1;   /* nearest rank */
        out[CN_LF_LEN_P90] = len[r < 0 ? 0 : r];
        out[CN_LF_POLYPHONY] = points > 0 ? grid_hits / points : 0;
        out[CN_LF_ONSET_RATE] = span_beats > 0 ? (double)n / span_beats : 0;
        out[CN_LF_PITCH_RANGE] = hi - lo;
        group_features(cont, keep, n_cont, g, &out[CN_LF_GROUP_RUN], &out[CN_LF_DISTINCT_IOI]);
        double mean = vsum / (double)n, var = vsq / (double)n - mean * mean;
        out[CN_LF_VEL_SPREAD] = var > 0 ? sqrt(var) : 0;
    }
    free(keep); free(len); free(g);
    return 0;
}
