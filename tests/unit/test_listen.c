/* test_listen.c: the listening yardstick. Every feature on small continuations whose answer
 * is worked out by hand in the comments; the overlap on known distributions; the median; and
 * one piece through cn_listen_piece_run (where the seed starts, what the real continuation
 * is, which pieces are skipped, offline and live with an untrained model). */
#include <stdlib.h>
#include "../../offline-trainer/listen.h"
#include "../../offline-trainer/listen_run.h"
#include "test.h"
#include "tokens.h"

static cn_note note(double start, double dur, int pitch, int vel) {
    cn_note n = { start, dur, 0, 0, (uint8_t)pitch, (uint8_t)vel, 0 };
    return n;
}

static void features(const cn_note *seed, size_t ns, const cn_note *c, size_t nc, double span, double *f) {
    CHECK(cn_listen_features(seed, ns, c, nc, span, f) == 0);
}

TEST(pitch_class_agreement) {
    double f[CN_LF_N];
    cn_note seed[] = { note(0, 1, 60, 80), note(1, 1, 64, 80), note(2, 1, 67, 80) };
    /* the same pitch classes an octave up: the histograms are equal, r = 1 */
    cn_note up[] = { note(0, 1, 72, 80), note(1, 1, 76, 80), note(2, 1, 79, 80) };
    features(seed, 3, up, 3, 8, f);
    CHECK_NEAR(f[CN_LF_PC_AGREE], 1.0, 1e-12);
    /* seed one C, continuation one C#: means 1/12; cross term -11/144 - 11/144 + 10/144 = -1/12;
     * each variance term 121/144 + 11/144 = 11/12; r = -1/11 */
    cn_note c1[] = { note(0, 1, 60, 80) }, cs[] = { note(0, 1, 61, 80) };
    features(c1, 1, cs, 1, 8, f);
    CHECK_NEAR(f[CN_LF_PC_AGREE], -1.0 / 11, 1e-12);
    /* onsets count, not durations: C held 8 beats and E short against C and E once each: r = 1 */
    cn_note ce[] = { note(0, 8, 48, 80), note(0, 0.1, 52, 80) }, ce2[] = { note(0, 0.1, 60, 80), note(1, 7, 64, 80) };
    features(ce, 2, ce2, 2, 8, f);
    CHECK_NEAR(f[CN_LF_PC_AGREE], 1.0, 1e-12);
    /* a seed holding every pitch class once is flat: no correlation, 0 */
    cn_note all[12];
    for (int i = 0; i < 12; i++) all[i] = note(i, 1, 60 + i, 80);
    features(all, 12, up, 3, 8, f);
    CHECK_NEAR(f[CN_LF_PC_AGREE], 0, 0);
    double a[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, b[12];
    for (int i = 0; i < 12; i++) b[i] = 13 - a[i];
    CHECK_NEAR(cn_listen_pearson12(a, b), -1.0, 1e-12);
}

TEST(note_lengths_long_share_and_p90) {
    double f[CN_LF_N];
    /* ten notes: eight of 1 beat, one of 2, one of 6. Long (> 4): one in ten. p90 by nearest
     * rank: the ceil(0.9 * 10) = 9th smallest = 2 */
    cn_note c[10];
    for (int i = 0; i < 8; i++) c[i] = note(i, 1, 60, 80);
    c[8] = note(8, 2, 62, 80);
    c[9] = note(10, 6, 64, 80);
    features(c, 1, c, 10, 32, f);
    CHECK_NEAR(f[CN_LF_LONG_SHARE], 0.1, 1e-12);
    CHECK_NEAR(f[CN_LF_LEN_P90], 2.0, 1e-12);
    /* exactly 4 beats is not longer than 4; a 10-beat note 1 beat before the span's end is cut
     * to 1; a note at the span's end is outside it: lengths 4, 1, so none long, p90 = 4 */
    cn_note d[] = { note(0, 4, 60, 80), note(31, 10, 62, 80), note(32, 8, 64, 80) };
    features(d, 1, d, 3, 32, f);
    CHECK_NEAR(f[CN_LF_LONG_SHARE], 0, 0);
    CHECK_NEAR(f[CN_LF_LEN_P90], 4.0, 1e-12);
    CHECK_NEAR(f[CN_LF_ONSET_RATE], 2.0 / 32, 1e-12);
    /* the drone case: one of two notes held 5 beats */
    cn_note e[] = { note(0, 5, 60, 80), note(1, 0.5, 62, 80) };
    features(e, 1, e, 2, 8, f);
    CHECK_NEAR(f[CN_LF_LONG_SHARE], 0.5, 1e-12);
    CHECK_NEAR(f[CN_LF_LEN_P90], 5.0, 1e-12);   /* rank ceil(1.8) = 2 of 2 */
}

TEST(notes_sounding_and_onset_rate) {
    double f[CN_LF_N];
    /* span 2: the points 0, .25 ... 1.75 (8). [0, 2) covers all 8; [.5, 1) covers .5 and .75;
     * [1.1, 1.2) no point; [1.9, 6.9) is cut to [1.9, 2) and covers none (2 is outside):
     * (8 + 2) / 8 = 1.25. Four onsets in 2 beats: 2 a beat. */
    cn_note c[] = { note(0, 2, 60, 80), note(0.5, 0.5, 64, 80), note(1.1, 0.1, 67, 80), note(1.9, 5, 72, 80) };
    features(c, 1, c, 4, 2, f);
    CHECK_NEAR(f[CN_LF_POLYPHONY], 1.25, 1e-12);
    CHECK_NEAR(f[CN_LF_ONSET_RATE], 2.0, 1e-12);
    /* silence counts: one note of 1 beat in a span of 4 sounds at 4 of the 16 points */
    cn_note one[] = { note(1, 1, 60, 80) };
    features(one, 1, one, 1, 4, f);
    CHECK_NEAR(f[CN_LF_POLYPHONY], 0.25, 1e-12);
    /* a held triad over the whole span: 3 */
    cn_note tri[] = { note(0, 4, 57, 80), note(0, 4, 60, 80), note(0, 4, 64, 80) };
    features(tri, 3, tri, 3, 4, f);
    CHECK_NEAR(f[CN_LF_POLYPHONY], 3.0, 1e-12);
}

TEST(pitch_range_and_velocity_spread) {
    double f[CN_LF_N];
    cn_note c[] = { note(0, 1, 40, 10), note(1, 1, 90, 20), note(2, 1, 60, 30), note(3, 1, 60, 40) };
    features(c, 1, c, 4, 8, f);
    CHECK_NEAR(f[CN_LF_PITCH_RANGE], 50, 0);
    /* velocities 10 20 30 40: mean 25, variance (225 + 25 + 25 + 225) / 4 = 125 */
    CHECK_NEAR(f[CN_LF_VEL_SPREAD], sqrt(125.0), 1e-9);
    cn_note same[] = { note(0, 1, 60, 64), note(1, 1, 61, 64), note(2, 1, 62, 64) };
    features(same, 1, same, 3, 8, f);
    CHECK_NEAR(f[CN_LF_VEL_SPREAD], 0, 1e-12);
    CHECK_NEAR(f[CN_LF_PITCH_RANGE], 2, 0);
    cn_note two[] = { note(0, 1, 60, 60), note(1, 1, 61, 80) };
    features(two, 1, two, 2, 8, f);
    CHECK_NEAR(f[CN_LF_VEL_SPREAD], 10, 1e-12);
}

TEST(repeated_onset_groups) {
    double f[CN_LF_N];
    /* groups at steps of 1/12 beat: 0 {60,64}, 1 {60,64}, 2 {64,60} (given in the other order),
     * 3 {60} and 3.02 {64} (3.02 * 12 = 36.24 rounds to step 36: one group {60,64}): four
     * {60,64} in a row. Then 3.5 {60}, 4 {60}, 4.5 {60,60} (a pitch twice is the set {60}):
     * three. Longest run 4. */
    cn_note c[] = { note(0, .5, 60, 80), note(0, .5, 64, 80), note(1, .5, 60, 80), note(1, .5, 64, 80),
                    note(2, .5, 64, 80), note(2, .5, 60, 80), note(3, .4, 60, 80), note(3.02, .4, 64, 80),
                    note(3.5, .4, 60, 80), note(4, .4, 60, 80), note(4.5, .2, 60, 80), note(4.5, .4, 60, 80) };
    features(c, 1, c, 12, 8, f);
    CHECK_NEAR(f[CN_LF_GROUP_RUN], 4, 0);
    /* steps 0 12 24 36 42 48 54: intervals 12 12 12 6 6 6, two distinct */
    CHECK_NEAR(f[CN_LF_DISTINCT_IOI], 2, 0);
    /* given shuffled, the same answer: groups are taken in time order */
    cn_note s[12];
    for (int i = 0; i < 12; i++) s[i] = c[(i * 5) % 12];
    features(s, 1, s, 12, 8, f);
    CHECK_NEAR(f[CN_LF_GROUP_RUN], 4, 0);
    /* a scale never repeats: 1 */
    cn_note sc[] = { note(0, 1, 60, 80), note(1, 1, 62, 80), note(2, 1, 64, 80) };
    features(sc, 1, sc, 3, 8, f);
    CHECK_NEAR(f[CN_LF_GROUP_RUN], 1, 0);
    /* the 28-times note: 28 */
    cn_note rep[28];
    for (int i = 0; i < 28; i++) rep[i] = note(i / 3.0, 0.3, 62, 80);
    features(rep, 1, rep, 28, 10, f);
    CHECK_NEAR(f[CN_LF_GROUP_RUN], 28, 0);
    CHECK_NEAR(f[CN_LF_DISTINCT_IOI], 1, 0);
}

TEST(distinct_inter_onset_intervals) {
    double f[CN_LF_N];
    /* onsets 0, 1/3, 2/3, 1, 1.25, 2: steps 0 4 8 12 15 24, intervals 4 4 4 3 9: {3, 4, 9} = 3;
     * a chord at 2 adds no interval */
    cn_note c[] = { note(0, .3, 60, 80), note(1.0 / 3, .3, 62, 80), note(2.0 / 3, .3, 64, 80), note(1, .2, 65, 80),
                    note(1.25, .5, 67, 80), note(2, 1, 60, 80), note(2, 1, 64, 80) };
    features(c, 1, c, 7, 4, f);
    CHECK_NEAR(f[CN_LF_DISTINCT_IOI], 3, 0);
    cn_note one[] = { note(0, 1, 60, 80), note(0, 1, 64, 80) };   /* one onset time: no interval */
    features(one, 1, one, 2, 4, f);
    CHECK_NEAR(f[CN_LF_DISTINCT_IOI], 0, 0);
    CHECK_NEAR(f[CN_LF_GROUP_RUN], 1, 0);
}

TEST(empty_continuation_is_all_zero) {
    double f[CN_LF_N];
    cn_note seed[] = { note(0, 1, 60, 80) };
    cn_note late[] = { note(9, 1, 60, 80), note(-1, 1, 60, 80) };   /* outside [0, span) */
    features(seed, 1, late, 2, 8, f);
    for (int k = 0; k < CN_LF_N; k++) CHECKF(f[k] == 0, "feature %s = %g", cn_lf_info_of(k)->name, f[k]);
    features(seed, 1, NULL, 0, 8, f);
    for (int k = 0; k < CN_LF_N; k++) CHECK(f[k] == 0);
    for (int k = 0; k < CN_LF_N; k++) CHECK(cn_lf_info_of(k)->name && cn_lf_info_of(k)->bin_width > 0);
    CHECK(cn_lf_info_of(CN_LF_N) == NULL && cn_lf_info_of(-1) == NULL);
}

TEST(overlap_on_known_distributions) {
    double a[] = { 0.05, 0.15, 0.25, 0.35 };
    CHECK_NEAR(cn_listen_overlap(a, 4, a, 4, 0.1), 1.0, 1e-12);
    /* a: half in [0,1), half in [1,2); b all in [1,2): shared 0.5 */
    double b1[] = { 0, 0, 1, 1 }, b2[] = { 1, 1, 1, 1 };
    CHECK_NEAR(cn_listen_overlap(b1, 4, b2, 4, 1), 0.5, 1e-12);
    CHECK_NEAR(cn_listen_overlap(b2, 4, b1, 4, 1), 0.5, 1e-12);   /* symmetric */
    double c1[] = { 0, 1, 2 }, c2[] = { 10, 11 };
    CHECK_NEAR(cn_listen_overlap(c1, 3, c2, 2, 1), 0, 0);
    /* sizes differ: a = {0.5} all in bin 0; b: bin 0 holds 2 of 4, bins 1 and 2 one each */
    double d1[] = { 0.5 }, d2[] = { 0.2, 0.7, 1.5, 2.5 };
    CHECK_NEAR(cn_listen_overlap(d1, 1, d2, 4, 1), 0.5, 1e-12);
    /* thirds against quarters: bins {0: 1/3, 1: 1/3, 2: 1/3} vs {0: 1/4, 1: 1/4, 2: 1/2}: 1/4+1/4+1/3 */
    double e1[] = { 0, 1, 2 }, e2[] = { 0, 1, 2, 2 };
    CHECK_NEAR(cn_listen_overlap(e1, 3, e2, 4, 1), 0.25 + 0.25 + 1.0 / 3, 1e-12);
    /* a value on an edge opens its bin (0.3 / 0.1 is 2.9999... in floating point) */
    double f1[] = { 0.3 }, f2[] = { 0.35 }, f3[] = { 0.29 };
    CHECK_NEAR(cn_listen_overlap(f1, 1, f2, 1, 0.1), 1, 0);
    CHECK_NEAR(cn_listen_overlap(f1, 1, f3, 1, 0.1), 0, 0);
    double g1[] = { -0.5 }, g2[] = { -0.2 }, g3[] = { 0.2 };   /* bins below zero */
    CHECK_NEAR(cn_listen_overlap(g1, 1, g2, 1, 1), 1, 0);
    CHECK_NEAR(cn_listen_overlap(g1, 1, g3, 1, 1), 0, 0);
    CHECK(isnan(cn_listen_overlap(a, 0, a, 4, 1)));
    CHECK(isnan(cn_listen_overlap(a, 4, a, 4, 0)));
}

TEST(median) {
    double a[] = { 3, 1, 2 }, b[] = { 4, 1, 3, 2 }, c[] = { 7 };
    CHECK_NEAR(cn_listen_median(a, 3), 2, 0);
    CHECK_NEAR(cn_listen_median(b, 4), 2.5, 0);
    CHECK_NEAR(cn_listen_median(c, 1), 7, 0);
    CHECK(isnan(cn_listen_median(c, 0)));
}

/* ---- one piece through the yardstick ---- */
/* 4/4, first note at beat 5 (so the seed starts at the bar line 4): a C major arpeggio of
 * quarter notes on beats 5..44, velocity 70 */
static void arpeggio_piece(cn_song *s, double last_beat) {
    static const int arp[] = { 60, 64, 67, 72 };
    cn_song_init(s);
    for (int i = 0; 5 + i <= last_beat; i++) cn_song_add_note(s, 5 + i, 0.5, arp[i % 4], 70, 0);
    cn_song_sort(s);
}

static cn_model *event_model(uint64_t seed) {
    char err[256];
    cn_model *m = cn_model_new("lstm:12", CN_EV_VOCAB, seed, err, sizeof err);
    if (m) m->encoding = CN_ENC_EVENT;
    return m;
}

TEST(piece_offline) {
    cn_model *m = event_model(3);
    CHECK(m != NULL);
    if (!m) return;
    cn_song s;
    arpeggio_piece(&s, 44);
    cn_listen_opts o = { 8, 16, 0, cn_continue_defaults(), 1, 1 };
    cn_listen_piece p;
    cn_listen_render g = { 0 }, r = { 0 };
    char err[256] = "";
    CHECKF(cn_listen_piece_run(m, &s, &o, 5, &p, &g, &r, err, sizeof err) == 0, "%s", err);
    CHECK_NEAR(p.offset, 4, 0);
    CHECK_NEAR(p.span, 16, 0);
    /* seed [4, 12): onsets 5..11 = 7 notes; real [12, 28): 16 notes, one a beat */
    CHECK(p.seed_notes == 7);
    CHECK(p.real_notes == 16);
    CHECK_NEAR(p.real[CN_LF_ONSET_RATE], 1.0, 1e-12);
    CHECK_NEAR(p.real[CN_LF_PITCH_RANGE], 12, 0);
    CHECK_NEAR(p.real[CN_LF_LEN_P90], 0.5, 1e-12);
    CHECK_NEAR(p.real[CN_LF_POLYPHONY], 0.5, 1e-12);   /* 2 of every 4 points */
    CHECK_NEAR(p.real[CN_LF_GROUP_RUN], 1, 0);
    CHECK_NEAR(p.real[CN_LF_DISTINCT_IOI], 1, 0);
    CHECK_NEAR(p.real[CN_LF_VEL_SPREAD], 0, 1e-12);
    /* seed onsets 60 64 67 72 60 64 67: C 3, E 2, G 2; real: four rounds of 60 64 67 72,
     * C 8 (60 and 72), E 4, G 4 */
    double hs[12] = { 0 }, hr[12] = { 0 };
    hs[0] = 3; hs[4] = 2; hs[7] = 2; hr[0] = 8; hr[4] = 4; hr[7] = 4;
    CHECK_NEAR(p.real[CN_LF_PC_AGREE], cn_listen_pearson12(hs, hr), 1e-12);
    /* the render songs: the seed first, split where the continuation starts */
    CHECK(g.n_seed == 7 && r.n_seed == 7);
    CHECK_NEAR(r.split, 8, 0);
    CHECK(g.song.n_notes >= 7 && r.song.n_notes == 7 + 16);
    for (int k = 0; k < CN_LF_N; k++) CHECK(isfinite(p.gen[k]) && p.gen[k] >= (k == CN_LF_PC_AGREE ? -1 : 0));
    cn_song_free(&g.song); cn_song_free(&r.song);
    /* the same rng, the same generated features */
    cn_listen_piece q;
    CHECK(cn_listen_piece_run(m, &s, &o, 5, &q, NULL, NULL, err, sizeof err) == 0);
    for (int k = 0; k < CN_LF_N; k++) CHECK(q.gen[k] == p.gen[k]);
    /* no model: the real side alone (the reference), the same real values */
    CHECK(cn_listen_piece_run(NULL, &s, &o, 5, &q, NULL, NULL, err, sizeof err) == 0);
    for (int k = 0; k < CN_LF_N; k++) CHECK(q.real[k] == p.real[k] && q.gen[k] == 0);
    CHECK(q.gen_notes == 0 && q.real_notes == 16);
    /* too short: 44 - 4 < 8 + 40 */
    o.cont_beats = 40;
    CHECK(cn_listen_piece_run(m, &s, &o, 5, &q, NULL, NULL, err, sizeof err) == 1);
    CHECKF(strstr(err, "shorter") != NULL, "%s", err);
    cn_song_free(&s);
    /* a seed of silence: skipped with its reason */
    cn_song_init(&s);
    cn_song_add_note(&s, 0, 0.5, 60, 80, 0);
    cn_song_add_note(&s, 30, 0.5, 60, 80, 0);
    cn_song_sort(&s);
    o.seed_beats = 4; o.cont_beats = 8;
    CHECK(cn_listen_piece_run(m, &s, &o, 5, &q, NULL, NULL, err, sizeof err) == 1);
    CHECKF(strstr(err, "real continuation") != NULL, "%s", err);
    cn_song_free(&s);
    cn_model_free(m);
}

TEST(piece_live) {
    cn_model *m = event_model(4);
    CHECK(m != NULL);
    if (!m) return;
    cn_song s;
    arpeggio_piece(&s, 60);
    cn_listen_opts o = { 8, 16, 1, cn_continue_defaults(), 1.0f, 0.95f };
    cn_listen_piece p;
    cn_listen_render g = { 0 }, r = { 0 };
    char err[256] = "";
    CHECKF(cn_listen_piece_run(m, &s, &o, 9, &p, &g, &r, err, sizeof err) == 0, "%s", err);
    /* the call: onsets 1..7 of the window, last note-off 7.5; the answer as long as the call
     * (6.5 beats), after one beat of silence: it starts at 8.5 */
    CHECK_NEAR(p.span, 6.5, 1e-9);
    CHECK_NEAR(g.split, 8.5, 1e-9);
    CHECK(p.real_notes == 7);   /* [12, 18.5): onsets 12..18 of the piece */
    CHECK(g.n_seed == 7);
    for (size_t i = (size_t)g.n_seed; i < g.song.n_notes; i++) CHECK(g.song.notes[i].start_beat >= 8.5 - 1e-9);
    for (int k = 0; k < CN_LF_N; k++) CHECK(isfinite(p.gen[k]));
    cn_song_free(&g.song); cn_song_free(&r.song);
    /* the model went back to the caller: it still works */
    CHECK(cn_listen_piece_run(m, &s, &o, 9, &p, NULL, NULL, err, sizeof err) == 0);
    cn_song_free(&s);
    cn_model_free(m);
}

int main(void) {
    RUN(pitch_class_agreement);
    RUN(note_lengths_long_share_and_p90);
    RUN(notes_sounding_and_onset_rate);
    RUN(pitch_range_and_velocity_spread);
    RUN(repeated_onset_groups);
    RUN(distinct_inter_onset_intervals);
    RUN(empty_continuation_is_all_zero);
    RUN(overlap_on_known_distributions);
    RUN(median);
    RUN(piece_offline);
    RUN(piece_live);
    return test_summary();
}
