/* test_musicstats.c: each passage statistic on small passages whose answer is known. */
#include <stdlib.h>
#include "../../offline-trainer/musicstats.h"
#include "test.h"

static cn_note note(double start, double dur, int pitch) {
    cn_note n = { start, dur, 0, 0, (uint8_t)pitch, 80, 0 };
    return n;
}

TEST(c_major_scale) {
    static const int scale[] = { 60, 62, 64, 65, 67, 69, 71, 72 };
    cn_note ns[8];
    for (int i = 0; i < 8; i++) ns[i] = note(i * 0.5, 0.5, scale[i]);
    cn_music_stats s;
    CHECK(cn_music_stats_compute(ns, 8, 4.0, NULL, 0, &s) == 0);
    CHECK(s.notes == 8);
    CHECK(s.key_tonic == 0 && s.key_minor == 0);
    CHECKF(s.key_corr > 0.75, "corr %g", s.key_corr);
    CHECK_NEAR(s.pitch_range, 12, 0);
    CHECK_NEAR(s.density, 2.0, 1e-12);
    CHECK(s.distinct_ioi == 1);
    CHECK(s.longest_pitch_run == 1);
    CHECK_NEAR(s.polyphony, 1.0, 1e-12);
}

TEST(chromatic_cluster_has_weak_key) {
    cn_note ns[12];
    for (int i = 0; i < 12; i++) ns[i] = note(i, 1, 60 + i);
    cn_music_stats s;
    CHECK(cn_music_stats_compute(ns, 12, 12, NULL, 0, &s) == 0);
    CHECK_NEAR(s.key_corr, 0, 1e-9);   /* a flat histogram correlates with nothing */
    /* A minor triad held: tonic A, minor */
    cn_note tri[3] = { note(0, 4, 57), note(0, 4, 60), note(0, 4, 64) };
    CHECK(cn_music_stats_compute(tri, 3, 4, NULL, 0, &s) == 0);
    CHECK(s.key_tonic == 9 && s.key_minor == 1);
    CHECK_NEAR(s.polyphony, 3.0, 1e-12);
    CHECK(s.distinct_ioi == 0);
}

TEST(rhythm_repetition_polyphony) {
    /* onsets 0, 1, 1.5, 2, 3 (+ a chord at 3): intervals 1, .5, .5, 1 -> two distinct */
    cn_note ns[] = { note(0, 1, 60), note(1, 0.5, 60), note(1.5, 0.5, 60), note(2, 1, 60),
                     note(3, 1, 64), note(3, 2, 67) };
    cn_music_stats s;
    int toks[] = { 5, 5, 7, 7, 7, 7, 1, 5 };
    CHECK(cn_music_stats_compute(ns, 6, 5, toks, 8, &s) == 0);
    CHECK(s.distinct_ioi == 2);
    CHECK(s.longest_pitch_run == 4);   /* four single 60s; the chord breaks the run */
    CHECK(s.longest_run == 4);
    /* sounding 0..5: one note 0..3, two 3..4, one 4..5 -> (3 + 2 + 1) / 5 */
    CHECK_NEAR(s.polyphony, 6.0 / 5, 1e-12);
    CHECK_NEAR(s.density, 6.0 / 5, 1e-12);
    CHECK(cn_music_stats_compute(ns, 0, 4, toks, 1, &s) == 0);
    CHECK(s.notes == 0 && s.longest_run == 1 && s.key_corr == 0);
}

TEST(summary) {
    double v[] = { 5, 1, 4, 2, 3, 6, 7, 8, 9, 10, 11 };
    cn_stat_summary s = cn_stat_summarise(v, 11);
    CHECK_NEAR(s.mean, 6, 1e-12);
    CHECK(s.min == 1 && s.max == 11 && s.p10 == 2 && s.p90 == 10);
    CHECK(cn_stat_summarise(v, 0).n == 0);
}

TEST(window_of_a_song) {
    cn_song s, w;
    cn_song_init(&s);
    s.tempos[0].bpm = 90;
    s.ts_num = 3; s.ts_den = 4;
    cn_song_add_note(&s, 0.0, 1.0, 60, 80, 0);
    cn_song_add_note(&s, 3.5, 3.0, 62, 80, 0);   /* starts inside, ends past the window */
    cn_song_add_note(&s, 2.0, 4.0, 64, 80, 0);   /* starts before: not the window's */
    cn_song_add_note(&s, 6.0, 1.0, 65, 80, 0);   /* starts at the end: not the window's */
    cn_song_sort(&s);
    CHECK(cn_song_window(&s, 3.0, 6.0, &w) == 0);
    CHECK(w.n_notes == 1);
    if (w.n_notes == 1) {
        CHECK_NEAR(w.notes[0].start_beat, 0.5, 1e-12);
        CHECK_NEAR(w.notes[0].dur_beat, 2.5, 1e-12);
        CHECK(w.notes[0].pitch == 62);
    }
    CHECK(w.tempos[0].bpm == 90 && w.ts_num == 3 && w.ts_den == 4);
    cn_song_free(&w);
    cn_song_free(&s);
}

int main(void) {
    RUN(c_major_scale);
    RUN(chromatic_cluster_has_weak_key);
    RUN(rhythm_repetition_polyphony);
    RUN(summary);
    RUN(window_of_a_song);
    return test_summary();
}
