/* test_sample.c: sampling and keys. Greedy at temperature 0; the distribution at T=1 and
 * T=0.5 matches the softmax (chi-square over many draws, fixed seeds so the verdict never
 * changes); top-k and top-p keep exactly the right support; the run guard, the repetition
 * penalty and the key constraint do what they say; extreme logits and options never give an
 * out-of-range or barred token; the same rng state gives the same tokens; Krumhansl-Schmuckler
 * key finding and key names. Scratch is allocated at exactly cn_sample_scratch_bytes(V) so
 * that ASan catches any write past it. */
#include <float.h>
#include <stdlib.h>
#include "rng.h"
#include "sample.h"
#include "test.h"

#define DRAWS 200000

static int draw(const float *logits, int V, const cn_sample_opts *o, const uint16_t *pc,
                const int *recent, int n_recent, uint64_t *rng) {
    void *scratch = malloc(cn_sample_scratch_bytes(V));
    int t = cn_sample(logits, V, o, pc, recent, n_recent, rng, scratch);
    free(scratch);
    return t;
}

/* counts[V] from n draws */
static void histogram(const float *logits, int V, const cn_sample_opts *o, const uint16_t *pc,
                      const int *recent, int n_recent, uint64_t seed, int n, long *counts) {
    uint64_t rng = cn_rng_seed(seed);
    void *scratch = malloc(cn_sample_scratch_bytes(V));
    for (int i = 0; i < V; i++) counts[i] = 0;
    for (int i = 0; i < n; i++) {
        int t = cn_sample(logits, V, o, pc, recent, n_recent, &rng, scratch);
        if (t >= 0 && t < V) counts[t]++;
    }
    free(scratch);
}

static void softmax(const float *l, int V, double T, double *p) {
    double m = -1e300, s = 0;
    for (int i = 0; i < V; i++) if (l[i] > m) m = l[i];
    for (int i = 0; i < V; i++) s += (p[i] = exp((l[i] - m) / T));
    for (int i = 0; i < V; i++) p[i] /= s;
}

/* Pearson chi-square of counts against probabilities (cells with p = 0 must be empty). */
static double chi_square(const long *counts, const double *p, int V, int n, int *df, int *impossible) {
    double chi = 0;
    *df = -1; *impossible = 0;
    for (int i = 0; i < V; i++) {
        if (p[i] <= 0) { if (counts[i]) (*impossible)++; continue; }
        double e = p[i] * n;
        chi += (counts[i] - e) * (counts[i] - e) / e;
        (*df)++;
    }
    return chi;
}

/* 99.9% points of chi-square for df 1..10 */
static const double chi999[11] = { 0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59 };

static const float L8[8] = { 0.0f, 1.0f, 2.0f, -1.0f, 0.5f, 3.0f, -3.0f, 1.5f };

TEST(greedy_at_zero_temperature) {
    cn_sample_opts o = cn_sample_defaults();
    o.temperature = 0;
    uint64_t rng = cn_rng_seed(1), before = rng;
    CHECK(draw(L8, 8, &o, NULL, NULL, 0, &rng) == 5);
    CHECK(rng == before);                      /* greedy draws nothing */
    float tie[4] = { 1, 7, 7, 2 };
    CHECK(draw(tie, 4, &o, NULL, NULL, 0, &rng) == 1);
    uint64_t s = cn_rng_seed(2);
    for (int trial = 0; trial < 100; trial++) {
        float l[50];
        int best = 0;
        for (int i = 0; i < 50; i++) {
            l[i] = cn_rng_uniform(&s) * 20 - 10;
            if (l[i] > l[best]) best = i;
        }
        CHECK(draw(l, 50, &o, NULL, NULL, 0, &rng) == best);
    }
}

static void check_matches_softmax(float T, uint64_t seed) {
    cn_sample_opts o = cn_sample_defaults();
    o.temperature = T;
    long c[8];
    double p[8];
    int df, imp;
    histogram(L8, 8, &o, NULL, NULL, 0, seed, DRAWS, c);
    softmax(L8, 8, T, p);
    double chi = chi_square(c, p, 8, DRAWS, &df, &imp);
    CHECKF(df == 7 && chi < chi999[7], "T=%g chi-square %.2f with %d df (99.9%% point %.2f)", T, chi, df, chi999[7]);
    double worst = 0;
    for (int i = 0; i < 8; i++) worst = fmax(worst, fabs((double)c[i] / DRAWS - p[i]));
    CHECKF(worst < 0.005, "T=%g max |freq - p| = %g", T, worst);
}

TEST(distribution_matches_softmax) {
    check_matches_softmax(1.0f, 11);
    check_matches_softmax(0.5f, 12);
    check_matches_softmax(2.0f, 13);
}

TEST(top_k_restricts_support) {
    cn_sample_opts o = cn_sample_defaults();
    o.top_k = 3;                                /* tokens 5 (3.0), 2 (2.0), 7 (1.5) */
    long c[8];
    histogram(L8, 8, &o, NULL, NULL, 0, 21, DRAWS, c);
    float kept[8];
    for (int i = 0; i < 8; i++) kept[i] = (i == 5 || i == 2 || i == 7) ? L8[i] : -INFINITY;
    double p[8];
    int df, imp;
    softmax(kept, 8, 1.0, p);
    double chi = chi_square(c, p, 8, DRAWS, &df, &imp);
    CHECKF(imp == 0, "%d tokens outside the top 3 were drawn", imp);
    CHECKF(df == 2 && chi < chi999[2], "chi-square %.2f", chi);
    o.top_k = 1;
    histogram(L8, 8, &o, NULL, NULL, 0, 22, 1000, c);
    CHECK(c[5] == 1000);
}

TEST(top_p_restricts_support) {
    const float l[4] = { logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f) };
    cn_sample_opts o = cn_sample_defaults();
    long c[4];
    o.top_p = 0.45f;                            /* token 0 alone reaches 0.45 */
    histogram(l, 4, &o, NULL, NULL, 0, 31, 20000, c);
    CHECK(c[0] == 20000);
    o.top_p = 0.7f;                             /* 0.5 + 0.3 */
    histogram(l, 4, &o, NULL, NULL, 0, 32, DRAWS, c);
    CHECK(c[2] == 0 && c[3] == 0);
    CHECK_NEAR((double)c[0] / DRAWS, 0.5 / 0.8, 0.005);
    o.top_p = 0.9f;                             /* 0.5 + 0.3 + 0.15 */
    histogram(l, 4, &o, NULL, NULL, 0, 33, DRAWS, c);
    CHECK(c[3] == 0 && c[2] > 0);
    CHECK_NEAR((double)c[2] / DRAWS, 0.15 / 0.95, 0.005);
    /* top-k then top-p: the nucleus is taken over the top-k mass */
    o.top_k = 2; o.top_p = 0.6f;                /* {0,1} renormalised: 0.625, 0.375 -> 0 alone */
    histogram(l, 4, &o, NULL, NULL, 0, 34, 20000, c);
    CHECK(c[0] == 20000);
}

/* The kept set of top-k then top-p, by sorting: best-first, lower id first among ties. */
static const float *sort_key;
static int by_weight(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    if (sort_key[x] != sort_key[y]) return sort_key[x] > sort_key[y] ? -1 : 1;
    return x - y;
}

/* Large vocabularies with many tied logits, random top-k and top-p: what is drawn is
 * exactly the set a full sort gives. */
TEST(truncation_matches_a_full_sort) {
    enum { V = 300 };
    uint64_t s = cn_rng_seed(91);
    int bad_support = 0, missing = 0;
    for (int trial = 0; trial < 30; trial++) {
        float l[V];
        double p[V];
        int order[V];
        for (int i = 0; i < V; i++) l[i] = (float)(int)(cn_rng_uniform(&s) * 12) * 0.5f;   /* ties */
        cn_sample_opts o = cn_sample_defaults();
        o.top_k = trial % 3 == 0 ? 0 : 1 + (int)(cn_rng_uniform(&s) * 60);
        o.top_p = trial % 3 == 1 ? 1.0f : 0.05f + 0.9f * cn_rng_uniform(&s);
        softmax(l, V, 1.0, p);
        for (int i = 0; i < V; i++) order[i] = i;
        float pf[V];
        for (int i = 0; i < V; i++) pf[i] = (float)p[i];
        sort_key = pf;
        qsort(order, V, sizeof *order, by_weight);
        int k = o.top_k ? o.top_k : V;
        double mass = 0, cum = 0;
        for (int j = 0; j < k; j++) mass += p[order[j]];
        int kept = 0;
        while (kept < k) { cum += p[order[kept++]]; if (o.top_p < 1 && cum >= o.top_p * mass * (1 - 1e-6)) break; }
        char in[V] = { 0 };
        for (int j = 0; j < kept; j++) in[order[j]] = 1;
        long c[V];
        histogram(l, V, &o, NULL, NULL, 0, 100 + trial, 4000, c);
        for (int i = 0; i < V; i++) {
            if (c[i] && !in[i]) bad_support++;
            if (in[i] && !c[i] && p[i] / cum > 2e-3) missing++;
        }
    }
    CHECKF(bad_support == 0, "%d tokens drawn outside the sorted support", bad_support);
    CHECKF(missing == 0, "%d kept tokens never drawn", missing);
}

TEST(max_run_bars_repetition) {
    float l[6] = { 0, 0, 0, 0, 0, 100 };        /* token 5 would win every time */
    int recent3[3] = { 5, 5, 5 }, broken[3] = { 1, 5, 5 };
    cn_sample_opts o = cn_sample_defaults();
    o.max_run = 3;
    long c[6];
    histogram(l, 6, &o, NULL, recent3, 3, 41, 5000, c);
    CHECK(c[5] == 0);
    CHECK(c[0] + c[1] + c[2] + c[3] + c[4] == 5000);
    o.temperature = 0;
    uint64_t rng = cn_rng_seed(42);
    CHECK(draw(l, 6, &o, NULL, recent3, 3, &rng) == 0);
    CHECK(draw(l, 6, &o, NULL, broken, 3, &rng) == 5);  /* a run of 2 may grow to 3 */
    o.max_run = 4;
    CHECK(draw(l, 6, &o, NULL, recent3, 3, &rng) == 5);
    o.max_run = 0;
    CHECK(draw(l, 6, &o, NULL, recent3, 3, &rng) == 5);
    /* a long generated sequence never runs past max_run */
    float flat[6] = { 0, 0, 0, 0, 0, 2 };
    int seq[2000], longest = 0, run = 0;
    o = cn_sample_defaults();
    o.max_run = 2;
    rng = cn_rng_seed(43);
    void *scratch = malloc(cn_sample_scratch_bytes(6));
    for (int i = 0; i < 2000; i++) {
        int n = i < 8 ? i : 8;
        seq[i] = cn_sample(flat, 6, &o, NULL, seq + i - n, n, &rng, scratch);
        run = i > 0 && seq[i] == seq[i - 1] ? run + 1 : 1;
        if (run > longest) longest = run;
    }
    free(scratch);
    CHECK(longest == 2);
}

TEST(repeat_penalty_divides_probability) {
    float l[2] = { 0, 0 };
    int recent[3] = { 0, 0, 0 };                /* penalised once, however often it occurs */
    cn_sample_opts o = cn_sample_defaults();
    o.repeat_penalty = 2.0f;
    long c[2];
    histogram(l, 2, &o, NULL, recent, 3, 51, DRAWS, c);
    CHECK_NEAR((double)c[0] / DRAWS, 1.0 / 3.0, 0.005);
    o.temperature = 0;
    uint64_t rng = cn_rng_seed(52);
    CHECK(draw(l, 2, &o, NULL, recent, 3, &rng) == 1);
}

TEST(key_mask_bars_out_of_key_tokens) {
    /* tokens 0..11 sound one pitch class each, 12 sounds none, 13 is a C-E-G chord,
     * 14 a C-Eb-G chord (Eb is outside C major) */
    enum { V = 15 };
    uint16_t pc[V];
    float l[V];
    for (int i = 0; i < 12; i++) pc[i] = (uint16_t)(1u << i);
    pc[12] = 0; pc[13] = 1 | 1 << 4 | 1 << 7; pc[14] = 1 | 1 << 3 | 1 << 7;
    for (int i = 0; i < V; i++) l[i] = 0;
    cn_sample_opts o = cn_sample_defaults();
    o.key_mask = cn_key_parse("C");
    long c[V];
    histogram(l, V, &o, pc, NULL, 0, 61, 50000, c);
    int bad = 0, missing = 0;
    for (int i = 0; i < V; i++) {
        int allowed = (pc[i] & ~o.key_mask & 0xFFF) == 0;
        if (!allowed && c[i]) bad++;
        if (allowed && !c[i]) missing++;
    }
    CHECKF(bad == 0, "%d out-of-key tokens drawn", bad);
    CHECKF(missing == 0, "%d in-key tokens never drawn", missing);
    /* greedy, with the best logit out of key */
    l[1] = 50;
    o.temperature = 0;
    uint64_t rng = cn_rng_seed(62);
    int t = draw(l, V, &o, pc, NULL, 0, &rng);
    CHECK(t != 1 && (pc[t] & ~o.key_mask & 0xFFF) == 0);
    /* when the key would bar every token, it is ignored */
    uint16_t all_out[3] = { 1 << 1, 1 << 3, 1 << 6 };
    float l3[3] = { 0, 5, 1 };
    CHECK(draw(l3, 3, &o, all_out, NULL, 0, &rng) == 1);
    /* CN_KEY_AUTO (no pitch-class bits) constrains nothing */
    o.key_mask = CN_KEY_AUTO;
    CHECK(draw(l, V, &o, pc, NULL, 0, &rng) == 1);
}

TEST(extreme_logits_and_options_never_misbehave) {
    enum { V = 9 };
    const float l[V] = { -INFINITY, 1e38f, -1e38f, NAN, FLT_MAX, -FLT_MAX, 0.0f, 1e-38f, 3.0f };
    const float temps[] = { 0.0f, 1e-30f, 0.001f, 0.5f, 1.0f, 2.0f, 5.0f, 100.0f, -1.0f, NAN, INFINITY };
    const float top_ps[] = { 1.0f, 0.0f, 0.5f, NAN, 2.0f, -1.0f };
    const int top_ks[] = { 0, 1, 3, -5, 1000 };
    uint64_t rng = cn_rng_seed(71);
    int bad = 0, n = 0;
    for (size_t a = 0; a < sizeof temps / sizeof *temps; a++)
        for (size_t b = 0; b < sizeof top_ps / sizeof *top_ps; b++)
            for (size_t k = 0; k < sizeof top_ks / sizeof *top_ks; k++)
                for (int rep = 0; rep < 20; rep++) {
                    cn_sample_opts o = cn_sample_defaults();
                    o.temperature = temps[a]; o.top_p = top_ps[b]; o.top_k = top_ks[k];
                    o.repeat_penalty = rep % 2 ? 1e9f : NAN;
                    int recent[2] = { 1, 4 };
                    int t = draw(l, V, &o, NULL, recent, 2, &rng);
                    if (t < 0 || t >= V || t == 0 || t == 3) bad++;
                    n++;
                }
    CHECKF(bad == 0, "%d of %d draws out of range or barred", bad, n);
    /* +Inf dominates at any temperature */
    float inf_l[4] = { 0, INFINITY, 1e30f, -INFINITY };
    cn_sample_opts o = cn_sample_defaults();
    for (float T = 0.5f; T <= 5.0f; T += 1.5f) {
        o.temperature = T;
        long c[4];
        histogram(inf_l, 4, &o, NULL, NULL, 0, 72, 1000, c);
        CHECK(c[3] == 0);
        CHECK(c[1] + c[2] == 1000);
    }
    /* every logit NaN: still a token in range */
    float nan_l[5] = { NAN, NAN, NAN, NAN, NAN };
    int t = draw(nan_l, 5, &o, NULL, NULL, 0, &rng);
    CHECK(t >= 0 && t < 5);
    /* huge spreads at T=2 and T=5 follow the softmax of the clamped values: the top wins */
    float spread[3] = { -1e38f, 1e38f, 0 };
    for (float T = 2.0f; T <= 5.0f; T += 3.0f) {
        o.temperature = T;
        long c[3];
        histogram(spread, 3, &o, NULL, NULL, 0, 73, 1000, c);
        CHECK(c[1] == 1000);
    }
}

TEST(same_rng_state_same_tokens) {
    cn_sample_opts o = cn_sample_defaults();
    o.top_p = 0.9f; o.top_k = 6; o.temperature = 1.3f;
    uint64_t a = cn_rng_seed(81), b = cn_rng_seed(81);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= draw(L8, 8, &o, NULL, NULL, 0, &a) == draw(L8, 8, &o, NULL, NULL, 0, &b);
    CHECK(same);
    uint64_t c = cn_rng_seed(82), d = c;
    draw(L8, 8, &o, NULL, NULL, 0, &c);
    cn_rng_next(&d);
    CHECK(c == d);                              /* exactly one draw per token */
}

static void hist_from(const int *pcs, const int *counts, int n, double h[12]) {
    for (int i = 0; i < 12; i++) h[i] = 0;
    for (int i = 0; i < n; i++) h[pcs[i]] += counts[i];
}

TEST(key_detection) {
    int tonic = -1, minor = -1;
    double h[12];
    /* a C major melody: C D E F G A B */
    const int cmaj_pc[7] = { 0, 2, 4, 5, 7, 9, 11 }, cmaj_n[7] = { 10, 5, 8, 4, 9, 5, 3 };
    hist_from(cmaj_pc, cmaj_n, 7, h);
    uint16_t m = cn_key_detect(h, &tonic, &minor);
    CHECK(tonic == 0 && minor == 0 && m == cn_key_mask(0, 0));
    /* an A minor melody, with the raised leading tone G# */
    const int amin_pc[8] = { 9, 11, 0, 2, 4, 5, 7, 8 }, amin_n[8] = { 10, 4, 7, 5, 9, 4, 2, 3 };
    hist_from(amin_pc, amin_n, 8, h);
    m = cn_key_detect(h, &tonic, &minor);
    CHECK(tonic == 9 && minor == 1 && m == cn_key_mask(9, 1));
    CHECK(cn_key_mask(9, 1) == cn_key_mask(0, 0));   /* relative keys share a scale */
    /* a profile rotated to each key is found, with correlation 1 */
    const double maj[12] = { 6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88 };
    const double min[12] = { 6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17 };
    int wrong = 0;
    for (int mi = 0; mi < 2; mi++)
        for (int t = 0; t < 12; t++) {
            for (int pc = 0; pc < 12; pc++) h[pc] = (mi ? min : maj)[(pc - t + 12) % 12];
            cn_key_detect(h, &tonic, &minor);
            if (tonic != t || minor != mi || fabs(cn_key_correlation(h, t, mi) - 1) > 1e-12) wrong++;
        }
    CHECK(wrong == 0);
    for (int i = 0; i < 12; i++) h[i] = 0;
    CHECK(cn_key_detect(h, &tonic, &minor) == 0);
    CHECK(cn_key_correlation(h, 0, 0) == 0);
}

TEST(key_names) {
    CHECK(cn_key_parse("C") == 0xAB5);          /* C D E F G A B */
    CHECK(cn_key_parse("Am") == cn_key_parse("C"));
    CHECK(cn_key_parse("c major") == cn_key_parse("C"));
    CHECK(cn_key_parse("F#m") == cn_key_mask(6, 1));
    CHECK(cn_key_parse("Bb") == cn_key_mask(10, 0));
    CHECK(cn_key_parse("Ebm") == cn_key_mask(3, 1));
    CHECK(cn_key_parse("bbm") == cn_key_mask(10, 1));
    CHECK(cn_key_parse("Cb") == cn_key_mask(11, 0));
    CHECK(cn_key_parse("G minor") == cn_key_mask(7, 1));
    CHECK(cn_key_parse("auto") == CN_KEY_AUTO);
    CHECK(cn_key_parse("H") == 0 && cn_key_parse("") == 0 && cn_key_parse("Cx") == 0);
    CHECK(cn_key_parse("C#mx") == 0 && cn_key_parse(NULL) == 0 && cn_key_parse("Bbb") == 0);
    int bad = 0;
    for (int mi = 0; mi < 2; mi++)
        for (int t = 0; t < 12; t++) {
            int t2, m2;
            if (cn_key_parse_tonic(cn_key_name(t, mi), &t2, &m2) != 0 || t2 != t || m2 != mi) bad++;
        }
    CHECK(bad == 0);
    CHECK(strcmp(cn_key_name(3, 1), "Ebm") == 0 && strcmp(cn_key_name(6, 0), "F#") == 0);
}

/* The steer pulls towards played pitch classes and register, and forbids nothing. */
TEST(steer_towards_the_seed) {
    double h[12] = { 4, 0, 2, 0, 2, 1, 0, 3, 0, 1, 0, 0 };   /* C major-ish onsets */
    float b[12];
    cn_steer_bias(h, 1.0f, b);
    CHECK_NEAR(b[0], 0, 1e-6);                      /* the most played class is not moved */
    for (int p = 0; p < 12; p++) CHECK(b[p] <= 1e-6f && isfinite(b[p]));
    CHECK(b[7] > b[2] && b[2] > b[5] && b[5] > b[1]);   /* more played, less pushed down */
    CHECK_NEAR(b[1], log((0 + 13.0 / 24) / (4 + 13.0 / 24)), 1e-5);
    float half[12]; cn_steer_bias(h, 0.5f, half);
    CHECK_NEAR(half[1], b[1] / 2, 1e-6);
    double none[12] = { 0 };
    cn_steer_bias(none, 1.0f, b);
    for (int p = 0; p < 12; p++) CHECK(b[p] == 0);
    cn_steer_bias(h, 0.0f, b);
    for (int p = 0; p < 12; p++) CHECK(b[p] == 0);
    float lg[200];
    for (int t = 0; t < 200; t++) lg[t] = 0;
    cn_steer_bias(h, 1.0f, b);
    cn_steer_apply(lg, 10, b);
    CHECK(lg[9] == 0 && lg[138] == 0);             /* only the 128 pitch tokens */
    CHECK_NEAR(lg[10 + 61], b[1], 1e-6);
    for (int t = 0; t < 200; t++) lg[t] = 0;
    cn_steer_register(lg, 0, 60, 72, 1.0f);
    CHECK(lg[54] == 0 && lg[78] == 0 && lg[66] == 0);   /* within 6 of what was played */
    CHECK_NEAR(lg[48], -1, 1e-6);
    CHECK_NEAR(lg[90], -2, 1e-6);
    /* nothing is forbidden: a sampler still picks any pitch now and then */
    cn_sample_opts o = cn_sample_defaults();
    uint64_t rng = 5;
    static unsigned char scratch[1 << 16];
    int off_key = 0;
    for (int t = 0; t < 128; t++) lg[t] = 0;
    cn_steer_apply(lg, 0, b);
    for (int k = 0; k < 2000; k++) { int t = cn_sample(lg, 128, &o, NULL, NULL, 0, &rng, scratch); off_key += t % 12 == 1; }
    CHECK(off_key > 0 && off_key < 2000 / 12);
    /* cn_steer_pitches: the same pulls, but the pitches' total probability is what it was */
    float base[200], st[200];
    uint64_t r2 = 9;
    for (int t = 0; t < 200; t++) base[t] = st[t] = (float)(cn_rng_uniform(&r2) * 4 - 2);
    cn_steer_pitches(st, 10, b, 60, 72, 1.0f);
    double m0 = 0, m1 = 0, z0 = 0, z1 = 0;
    for (int t = 0; t < 200; t++) { z0 += exp(base[t]); z1 += exp(st[t]); }
    for (int p = 0; p < 128; p++) { m0 += exp(base[10 + p]); m1 += exp(st[10 + p]); }
    CHECK_NEAR(m1 / z1, m0 / z0, 1e-5);                  /* as likely to play a note */
    CHECK(st[9] == base[9] && st[138] == base[138]);     /* the other tokens untouched */
    CHECK(st[10 + 60] - base[10 + 60] > st[10 + 61] - base[10 + 61]);   /* C pulled up against C# */
}

int main(void) {
    RUN(greedy_at_zero_temperature);
    RUN(distribution_matches_softmax);
    RUN(top_k_restricts_support);
    RUN(top_p_restricts_support);
    RUN(truncation_matches_a_full_sort);
    RUN(max_run_bars_repetition);
    RUN(repeat_penalty_divides_probability);
    RUN(key_mask_bars_out_of_key_tokens);
    RUN(extreme_logits_and_options_never_misbehave);
    RUN(same_rng_state_same_tokens);
    RUN(key_detection);
    RUN(key_names);
    RUN(steer_towards_the_seed);
    return test_summary();
}
