/* test_tokens_note.c: the note encoding: the token stream of a small song written out by
 * hand, the round trip on the grid, the controls at every 4 beats and their labels, the
 * duration and density bins, transposition of pitches and keys, and a decoder that takes
 * any stream. */
#include <stdlib.h>
#include "sample.h"
#include "test.h"
#include "tokens.h"

static void add(cn_song *s, double start, double dur, int pitch, int vel) {
    cn_song_add_note(s, start, dur, pitch, vel, 0);
}

TEST(bins_and_names) {
    for (int st = 1; st <= 12; st++) CHECK(cn_nt_bin_steps(cn_nt_dur_bin(st)) == st);
    CHECK(cn_nt_bin_steps(cn_nt_dur_bin(0)) == 1);
    CHECK(cn_nt_bin_steps(cn_nt_dur_bin(24)) == 24);
    CHECK(cn_nt_bin_steps(cn_nt_dur_bin(25)) == 24);
    CHECK(cn_nt_bin_steps(cn_nt_dur_bin(1000)) == 96);
    for (int b = 1; b < CN_NT_DUR_BINS; b++) CHECK(cn_nt_bin_steps(b) > cn_nt_bin_steps(b - 1));
    CHECK(cn_nt_dens_bin(0) == 0);
    CHECK(cn_nt_dens_bin(2.5) == 2);
    CHECK(cn_nt_dens_bin(100) == CN_NT_DENS_BINS - 1);
    for (int b = 0; b < CN_NT_DENS_BINS; b++) CHECK(cn_nt_dens_bin(cn_nt_bin_dens(b)) == b);
    char buf[32];
    cn_nt_token_name(CN_NT_PITCH + 60, buf, sizeof buf); CHECK(strcmp(buf, "P60") == 0);
    cn_nt_token_name(CN_NT_DUR + 11, buf, sizeof buf); CHECK(strcmp(buf, "D12") == 0);
    cn_nt_token_name(CN_NT_SHIFT + 2, buf, sizeof buf); CHECK(strcmp(buf, "SHIFT3") == 0);
    cn_nt_token_name(cn_nt_key_token(9, 1), buf, sizeof buf); CHECK(strcmp(buf, "KEY:Am") == 0);
    cn_nt_token_name(CN_NT_KEY_NONE, buf, sizeof buf); CHECK(strcmp(buf, "KEY:none") == 0);
    CHECK(cn_nt_is_control(CN_NT_KEY) && cn_nt_is_control(CN_NT_DENS_NONE) && !cn_nt_is_control(CN_NT_VEL));
    cn_encoding e;
    CHECK(cn_encoding_parse("note", &e) == 0 && e == CN_ENC_NOTE);
    CHECK(strcmp(cn_encoding_name(CN_ENC_NOTE), "note") == 0);
    CHECK(CN_NT_VOCAB == 250);
}

/* C major triad then a scale fragment: the stream, token by token. */
TEST(stream_of_a_small_song) {
    cn_song s; cn_song_init(&s);
    add(&s, 0, 1, 60, 80); add(&s, 0, 1, 64, 80); add(&s, 0, 1, 67, 80);
    add(&s, 1, 0.5, 62, 100);
    add(&s, 4.5, 2, 65, 100);
    s.end_beat = 8;
    cn_song_sort(&s);
    int *t; size_t n;
    CHECK(cn_nt_encode(&s, 0, cn_nt_key_token(0, 0), CN_NT_DENS + 1, &t, &n) == 0);
    int vel80 = CN_NT_VEL + cn_ev_vel_bin(80), vel100 = CN_NT_VEL + cn_ev_vel_bin(100);
    int key = cn_nt_key_token(0, 0), dens = CN_NT_DENS + 1;
    int want[] = { key, dens, vel80, 60, CN_NT_DUR + 11, 64, CN_NT_DUR + 11, 67, CN_NT_DUR + 11,
                   CN_NT_SHIFT + 11, vel100, 62, CN_NT_DUR + 5,
                   CN_NT_SHIFT + 35, key, dens, CN_NT_SHIFT + 5, 65, CN_NT_DUR + cn_nt_dur_bin(24),
                   CN_NT_SHIFT + 41, key, dens };
    size_t nw = sizeof want / sizeof *want;
    CHECKF(n == nw, "%zu tokens, want %zu", n, nw);
    for (size_t i = 0; i < n && i < nw; i++) CHECKF(t[i] == want[i], "token %zu: %d, want %d", i, t[i], want[i]);
    free(t);
    cn_song_free(&s);
}

TEST(round_trip_on_the_grid) {
    cn_song s; cn_song_init(&s);
    uint64_t x = 12345;
    for (int i = 0; i < 300; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        double start = (double)((x >> 20) % 2400) / 12.0;
        int steps = cn_nt_bin_steps((int)((x >> 40) % CN_NT_DUR_BINS));
        add(&s, start, steps / 12.0, 30 + (int)((x >> 50) % 60), 1 + (int)((x >> 8) % 127));
    }
    cn_song_sort(&s);
    int *t; size_t n;
    CHECK(cn_nt_encode(&s, 0, -1, -1, &t, &n) == 0);
    /* shifts never cross a 4-beat boundary, and a control pair starts every slot */
    int64_t step = 0, slots = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] >= CN_NT_SHIFT && t[i] < CN_NT_VEL) {
            int64_t next = (step / CN_NT_SLOT + 1) * CN_NT_SLOT;
            CHECK(step + (t[i] - CN_NT_SHIFT + 1) <= next);
            step += t[i] - CN_NT_SHIFT + 1;
        }
        if (t[i] >= CN_NT_KEY && t[i] <= CN_NT_KEY_NONE) {
            CHECK(step % CN_NT_SLOT == 0);
            CHECK(i + 1 < n && t[i + 1] >= CN_NT_DENS);
            slots++;
        }
        if (t[i] < CN_NT_DUR) CHECK(i + 1 < n && t[i + 1] >= CN_NT_DUR && t[i + 1] < CN_NT_SHIFT);
    }
    CHECK(slots == (int64_t)(s.end_beat / 4) + 1 || slots == (int64_t)(s.end_beat / 4));
    cn_song d;
    CHECK(cn_nt_decode(t, n, 120, &d) == 0);
    /* every note comes back, except a same-pitch restrike at one step (one strike) and notes
     * cut where their pitch is struck again */
    size_t found = 0;
    for (size_t i = 0; i < s.n_notes; i++)
        for (size_t k = 0; k < d.n_notes; k++)
            if (d.notes[k].pitch == s.notes[i].pitch && fabs(d.notes[k].start_beat - s.notes[i].start_beat) < 1e-9 &&
                cn_ev_vel_bin(d.notes[k].velocity) == cn_ev_vel_bin(s.notes[i].velocity)) { found++; break; }
    CHECKF(found >= s.n_notes - 3, "%zu of %zu notes back", found, s.n_notes);
    CHECK(d.n_notes <= s.n_notes);
    free(t);
    cn_song_free(&d);
    cn_song_free(&s);
}

TEST(labels_key_and_density) {
    cn_song s; cn_song_init(&s);
    /* 16 beats of A minor arpeggios, then 16 of Eb major */
    int am[] = { 57, 60, 64, 69, 64, 60, 57, 59 }, eb[] = { 63, 67, 70, 75, 70, 67, 63, 65 };
    for (int b = 0; b < 32; b++)
        for (int k = 0; k < 2; k++) add(&s, b + 0.5 * k, 0.5, (b < 16 ? am : eb)[(2 * b + k) % 8], 70);
    cn_song_sort(&s);
    int tonic, minor;
    double h[12] = { 0 };
    for (int i = 0; i < 8; i++) h[am[i] % 12] += 1;
    cn_key_detect(h, &tonic, &minor);
    CHECK(cn_nt_key_label(s.notes, s.n_notes, 0, 0) == cn_nt_key_token(tonic, minor));
    CHECK(cn_nt_key_label(s.notes, s.n_notes, 0, 16) == cn_nt_key_token(3, 0));
    CHECK(cn_nt_key_label(s.notes, s.n_notes, 2, 16) == cn_nt_key_token(5, 0));   /* transposed: F */
    CHECK(cn_nt_key_label(s.notes, s.n_notes, 0, 100) == CN_NT_KEY_NONE);         /* nothing there */
    CHECK(cn_nt_dens_label(s.notes, s.n_notes, 0, s.end_beat) == CN_NT_DENS + cn_nt_dens_bin(2.0));
    CHECK(cn_nt_dens_label(s.notes, s.n_notes, 28, s.end_beat) == CN_NT_DENS + cn_nt_dens_bin(2.0));  /* 4 beats left */
    cn_song_free(&s);
}

TEST(transposition_moves_pitches_and_keys) {
    int t[] = { cn_nt_key_token(11, 1), CN_NT_DENS + 2, 60, CN_NT_DUR + 3, CN_NT_SHIFT, 72, CN_NT_DUR, CN_NT_KEY_NONE };
    int lo, hi;
    cn_nt_shift_range(t, 8, &lo, &hi);
    CHECK(lo == -60 && hi == 55);
    cn_nt_shift_tokens(t, 8, 3);
    CHECK(t[0] == cn_nt_key_token(2, 1));      /* Bm + 3 = Dm */
    CHECK(t[1] == CN_NT_DENS + 2 && t[2] == 63 && t[3] == CN_NT_DUR + 3 && t[5] == 75 && t[7] == CN_NT_KEY_NONE);
    cn_nt_shift_tokens(t, 8, -15);
    CHECK(t[0] == cn_nt_key_token(11, 1) && t[2] == 48);
}

TEST(decoder_takes_any_stream) {
    int t[64];
    uint64_t x = 99;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 64; i++) { x = x * 6364136223846793005ull + 1; t[i] = (int)((x >> 33) % 300) - 20; }
        cn_song d;
        CHECK(cn_nt_decode(t, 64, 120, &d) == 0);
        for (size_t k = 0; k < d.n_notes; k++) {
            CHECK(d.notes[k].dur_beat >= 0 && d.notes[k].pitch < 128);
            CHECK(d.notes[k].velocity >= 1 && d.notes[k].velocity <= 127);
        }
        cn_song_free(&d);
    }
    /* a PITCH without its DUR is dropped; a restrike cuts the sounding note */
    int u[] = { 60, CN_NT_SHIFT + 11, 60, CN_NT_DUR + 23, CN_NT_SHIFT + 11, 60, CN_NT_DUR + 11, 61 };
    cn_song d;
    CHECK(cn_nt_decode(u, 8, 120, &d) == 0);
    CHECK(d.n_notes == 2);
    if (d.n_notes == 2) { CHECK_NEAR(d.notes[0].dur_beat, 1, 1e-9); CHECK_NEAR(d.notes[1].start_beat, 2, 1e-9); }
    cn_song_free(&d);
}

int main(void) {
    RUN(bins_and_names);
    RUN(stream_of_a_small_song);
    RUN(round_trip_on_the_grid);
    RUN(labels_key_and_density);
    RUN(transposition_moves_pitches_and_keys);
    RUN(decoder_takes_any_stream);
    return test_summary();
}
