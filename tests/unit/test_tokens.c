/* test_tokens.c: both token encodings: exact token streams for small songs, velocity bins,
 * round trips (event: onset and duration within half a grid step, velocity within its bin;
 * paper: pitches, pitch classes of chords, duration types), transposition, the incremental
 * encoder and decoder against the whole-song ones, paper names, normal order and voicing. */
#include <stdlib.h>
#include "tokens.h"
#include "test.h"

static uint32_t rng = 2463534242u;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static double rnd01(void) { return (rnd() >> 8) / 16777216.0; }

static int same_tokens(const int *a, size_t na, const int *b, size_t nb) {
    if (na != nb) { fprintf(stderr, "  %zu vs %zu tokens\n", na, nb); return 0; }
    for (size_t i = 0; i < na; i++)
        if (a[i] != b[i]) {
            char x[32], y[32]; cn_ev_token_name(a[i], x, sizeof x); cn_ev_token_name(b[i], y, sizeof y);
            fprintf(stderr, "  token %zu: %s vs %s\n", i, x, y);
            return 0;
        }
    return 1;
}

TEST(velocity_bins) {
    int prev = 0;
    for (int v = 1; v <= 127; v++) {
        int b = cn_ev_vel_bin(v);
        CHECK(b >= 0 && b < CN_EV_VEL_BINS);
        CHECK(b >= prev);                    /* monotone */
        prev = b;
        CHECK(cn_ev_vel_bin(cn_ev_bin_vel(b)) == b);
        CHECK(abs(cn_ev_bin_vel(b) - v) <= 4);
    }
    CHECK(cn_ev_vel_bin(1) == 0 && cn_ev_vel_bin(127) == CN_EV_VEL_BINS - 1);
    CHECK(cn_ev_vel_bin(0) == 0 && cn_ev_vel_bin(500) == CN_EV_VEL_BINS - 1);
}

TEST(token_names_and_encoding_names) {
    char b[32];
    cn_ev_token_name(CN_EV_NOTE_ON + 60, b, sizeof b); CHECK(strcmp(b, "ON60") == 0);
    cn_ev_token_name(CN_EV_NOTE_OFF + 60, b, sizeof b); CHECK(strcmp(b, "OFF60") == 0);
    cn_ev_token_name(CN_EV_SHIFT + 2, b, sizeof b); CHECK(strcmp(b, "SHIFT3") == 0);
    cn_ev_token_name(CN_EV_VEL + 9, b, sizeof b); CHECK(strcmp(b, "VEL9") == 0);
    CHECK(CN_EV_VOCAB == 320);
    cn_encoding e;
    CHECK(cn_encoding_parse("paper", &e) == 0 && e == CN_ENC_PAPER);
    CHECK(cn_encoding_parse("event", &e) == 0 && e == CN_ENC_EVENT);
    CHECK(cn_encoding_parse("midi", &e) == -1);
    CHECK(strcmp(cn_encoding_name(CN_ENC_PAPER), "paper") == 0 && strcmp(cn_encoding_name(CN_ENC_EVENT), "event") == 0);
}

TEST(event_stream_of_a_small_song) {
    cn_song s; cn_song_init(&s);
    cn_song_add_note(&s, 0, 1, 64, 100, 0);
    cn_song_add_note(&s, 0, 1, 60, 100, 0);
    cn_song_add_note(&s, 1, 0.5, 67, 50, 0);
    cn_song_add_note(&s, 1.5 + 10, 1.0 / 3, 60, 50, 0);   /* after a long rest */
    cn_song_sort(&s);
    int *t; size_t n;
    CHECK(cn_ev_encode(&s, 0, &t, &n) == 0);
    int v100 = CN_EV_VEL + cn_ev_vel_bin(100), v50 = CN_EV_VEL + cn_ev_vel_bin(50);
    int want[] = { v100, 60, 64, CN_EV_SHIFT + 11, CN_EV_NOTE_OFF + 60, CN_EV_NOTE_OFF + 64, v50, 67,
                   CN_EV_SHIFT + 5, CN_EV_NOTE_OFF + 67, CN_EV_SHIFT + 47, CN_EV_SHIFT + 47, CN_EV_SHIFT + 23,
                   60, CN_EV_SHIFT + 3, CN_EV_NOTE_OFF + 60 };
    CHECK(same_tokens(t, n, want, sizeof want / sizeof *want));
    free(t);
    CHECK(cn_ev_encode(&s, 5, &t, &n) == 0);           /* transposed: every pitch +5 */
    CHECK(n == sizeof want / sizeof *want && t[1] == 65 && t[2] == 69 && t[4] == CN_EV_NOTE_OFF + 65);
    free(t);
    cn_song_add_note(&s, 0, 1, 125, 100, 0);            /* pushed out of range by +5: dropped */
    cn_song_sort(&s);
    CHECK(cn_ev_encode(&s, 5, &t, &n) == 0);
    int ons = 0;
    for (size_t i = 0; i < n; i++) if (t[i] < CN_EV_NOTE_OFF) ons++;
    CHECK(ons == 4);
    free(t);
    cn_song_free(&s);
}

/* Random polyphonic song, off the grid, with same-pitch notes at least a grid step apart. */
static void random_song(cn_song *s, int n_notes, int on_grid) {
    cn_song_init(s);
    double last_end[128];
    for (int p = 0; p < 128; p++) last_end[p] = -1;
    int tries = 0;
    while ((int)s->n_notes < n_notes && tries++ < n_notes * 50) {
        int p = 21 + (int)(rnd() % 88);
        double start = rnd01() * 64, dur = rnd01() * rnd01() * 3;
        if (on_grid) { start = floor(start * 12) / 12; dur = 1.0 / 12 + floor(dur * 12) / 12; }
        if (start < last_end[p] + 0.25) continue;
        last_end[p] = start + dur;
        cn_song_add_note(s, start, dur, p, 1 + (int)(rnd() % 127), 0);
    }
    cn_song_sort(s);
}

TEST(event_round_trip_within_grid_and_bin) {
    for (int round = 0; round < 20; round++) {
        cn_song s; random_song(&s, 300, 0);
        int *t; size_t n;
        CHECK(cn_ev_encode(&s, 0, &t, &n) == 0);
        for (size_t i = 0; i < n; i++) CHECK(t[i] >= 0 && t[i] < CN_EV_VOCAB);
        cn_song d;
        CHECK(cn_ev_decode(t, n, 100, &d) == 0);
        CHECK(d.n_notes == s.n_notes);
        CHECK_NEAR(d.tempos[0].bpm, 100, 0);
        /* notes are sorted by start then pitch, and quantising can swap two close onsets:
         * match each original note to the decoded one of its pitch nearest in time */
        double max_on = 0, max_dur = 0;
        int bad_vel = 0, unmatched = 0;
        for (size_t i = 0; i < s.n_notes; i++) {
            const cn_note *a = &s.notes[i];
            const cn_note *best = NULL;
            for (size_t j = 0; j < d.n_notes; j++)
                if (d.notes[j].pitch == a->pitch && (!best || fabs(d.notes[j].start_beat - a->start_beat) < fabs(best->start_beat - a->start_beat)))
                    best = &d.notes[j];
            if (!best) { unmatched++; continue; }
            max_on = fmax(max_on, fabs(best->start_beat - a->start_beat));
            max_dur = fmax(max_dur, fabs(best->dur_beat - a->dur_beat));
            if (cn_ev_vel_bin(best->velocity) != cn_ev_vel_bin(a->velocity)) bad_vel++;
        }
        CHECK(unmatched == 0 && bad_vel == 0);
        CHECK(max_on <= 0.5 / CN_EV_GRID + 1e-9);
        CHECK(max_dur <= 0.5 / CN_EV_GRID + 1e-9);
        free(t); cn_song_free(&d); cn_song_free(&s);
    }
}

TEST(event_keeps_16ths_and_triplets_exactly) {
    cn_song s; cn_song_init(&s);
    for (int k = 0; k < 12; k++) cn_song_add_note(&s, k / 4.0, 0.25, 60 + k, 80, 0);
    for (int k = 0; k < 9; k++) cn_song_add_note(&s, 4 + k / 3.0, 1.0 / 3, 40 + k, 80, 0);
    for (int k = 0; k < 6; k++) cn_song_add_note(&s, 8 + k / 6.0, 1.0 / 6, 80 + k, 80, 0);
    cn_song_sort(&s);
    int *t; size_t n; cn_song d;
    CHECK(cn_ev_encode(&s, 0, &t, &n) == 0);
    CHECK(cn_ev_decode(t, n, 120, &d) == 0);
    CHECK(d.n_notes == s.n_notes);
    for (size_t i = 0; i < s.n_notes && i < d.n_notes; i++) {
        CHECK(d.notes[i].pitch == s.notes[i].pitch);
        CHECK_NEAR(d.notes[i].start_beat, s.notes[i].start_beat, 1e-9);
        CHECK_NEAR(d.notes[i].dur_beat, s.notes[i].dur_beat, 1e-9);
    }
    free(t); cn_song_free(&d); cn_song_free(&s);
}

TEST(event_zero_length_and_collisions) {
    cn_song s; cn_song_init(&s);
    cn_song_add_note(&s, 1, 0, 60, 80, 0);          /* zero length: ON then OFF on one step */
    cn_song_add_note(&s, 2, 1, 62, 80, 0);
    cn_song_add_note(&s, 2.01, 0.5, 62, 80, 0);     /* same step after rounding: one survives */
    cn_song_add_note(&s, 3, 1, 64, 80, 0);
    cn_song_add_note(&s, 3.9, 1, 64, 80, 0);        /* rounding makes them overlap: cut at 3.9 */
    cn_song_sort(&s);
    int *t; size_t n; cn_song d;
    CHECK(cn_ev_encode(&s, 0, &t, &n) == 0);
    CHECK(cn_ev_decode(t, n, 120, &d) == 0);
    CHECK(d.n_notes == 4);
    if (d.n_notes == 4) {
        CHECK(d.notes[0].pitch == 60 && d.notes[0].dur_beat == 0 && d.notes[0].start_beat == 1);
        CHECK(d.notes[1].pitch == 62 && d.notes[1].dur_beat == 1);
        CHECK(d.notes[2].pitch == 64);
        CHECK_NEAR(d.notes[2].start_beat + d.notes[2].dur_beat, d.notes[3].start_beat, 1e-9);
    }
    /* every ON has its OFF, in order */
    int sounding[128] = { 0 }, ok = 1;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < CN_EV_NOTE_OFF) { if (sounding[t[i]]) ok = 0; sounding[t[i]] = 1; }
        else if (t[i] < CN_EV_SHIFT) { if (!sounding[t[i] - 128]) ok = 0; sounding[t[i] - 128] = 0; }
    }
    for (int p = 0; p < 128; p++) if (sounding[p]) ok = 0;
    CHECK(ok);
    free(t); cn_song_free(&d); cn_song_free(&s);
}

TEST(event_decoder_tolerates_any_stream) {
    int toks[] = { -5, 999, CN_EV_NOTE_OFF + 40, CN_EV_NOTE_ON + 60, CN_EV_SHIFT + 11, CN_EV_NOTE_ON + 60,
                   CN_EV_SHIFT + 5, CN_EV_VEL + 15, CN_EV_NOTE_ON + 72, CN_EV_SHIFT + 11 };
    cn_song d;
    CHECK(cn_ev_decode(toks, sizeof toks / sizeof *toks, 90, &d) == 0);
    CHECK(d.n_notes == 3);                        /* the stray OFF40 is ignored */
    if (d.n_notes == 3) {
        CHECK(d.notes[0].pitch == 60 && d.notes[0].dur_beat == 1);     /* ended by the re-strike */
        CHECK(d.notes[1].pitch == 60 && d.notes[1].dur_beat == 1.5);   /* ends at the stream's end */
        CHECK(d.notes[2].pitch == 72 && d.notes[2].velocity == cn_ev_bin_vel(15));
    }
    CHECK_NEAR(d.end_beat, 2.5, 1e-12);
    cn_song_free(&d);
    CHECK(cn_ev_decode(NULL, 0, 120, &d) == 0 && d.n_notes == 0);
    cn_song_free(&d);
}

typedef struct { double beat; int on, pitch, vel, order; } note_ev;   /* order: 0 off, 1 on, 2 off of a note within one step */
/* events in time order (by grid step, as sums like 1/12 + 1/6 are not exact), offs first */
static int cmp_note_ev(const void *x, const void *y) {
    const note_ev *a = x, *b = y;
    long long sa = llround(a->beat * CN_EV_GRID), sb = llround(b->beat * CN_EV_GRID);
    if (sa != sb) return sa < sb ? -1 : 1;
    if (a->order != b->order) return a->order - b->order;
    return a->pitch - b->pitch;
}

static size_t song_events(const cn_song *s, note_ev *ev) {
    size_t m = 0;
    for (size_t i = 0; i < s->n_notes; i++) {
        double on = s->notes[i].start_beat, off = on + s->notes[i].dur_beat;
        ev[m++] = (note_ev){ on, 1, s->notes[i].pitch, s->notes[i].velocity, 1 };
        ev[m++] = (note_ev){ off, 0, s->notes[i].pitch, 0, llround(on * CN_EV_GRID) == llround(off * CN_EV_GRID) ? 2 : 0 };
    }
    qsort(ev, m, sizeof *ev, cmp_note_ev);
    return m;
}

TEST(incremental_encoder_equals_whole_song) {
    for (int round = 0; round < 10; round++) {
        cn_song s; random_song(&s, 200, 1);
        int *whole; size_t nw;
        CHECK(cn_ev_encode(&s, 0, &whole, &nw) == 0);
        note_ev *ev = malloc(2 * s.n_notes * sizeof *ev);
        size_t m = song_events(&s, ev);
        int *inc = malloc((8 * m + 8) * sizeof *inc);
        size_t ni = 0;
        cn_ev_encoder e; cn_ev_encoder_init(&e, 0);
        for (size_t i = 0; i < m; i++) {
            int k = cn_ev_encoder_feed(&e, ev[i].beat, ev[i].on, ev[i].pitch, ev[i].vel, inc + ni, 8);
            CHECK(k >= 1 && k <= 8);
            ni += (size_t)k;
        }
        CHECK(same_tokens(inc, ni, whole, nw));
        /* and the incremental decoder gives back the same note events as the whole decode */
        cn_song d; CHECK(cn_ev_decode(whole, nw, 120, &d) == 0);
        note_ev *dev = malloc(2 * d.n_notes * sizeof *dev);
        size_t dm = song_events(&d, dev);
        cn_ev_decoder dec; cn_ev_decoder_init(&dec, 0);
        size_t j = 0; int mismatch = 0;
        note_ev *got = malloc((nw + 1) * sizeof *got);
        for (size_t i = 0; i < nw; i++) {
            cn_ev_note_event ne;
            if (cn_ev_decoder_feed(&dec, whole[i], &ne)) got[j++] = (note_ev){ ne.beat, ne.on, ne.pitch, ne.velocity, ne.on };
        }
        qsort(got, j, sizeof *got, cmp_note_ev);
        CHECK(j == dm);
        for (size_t i = 0; i < j && i < dm; i++)
            if (fabs(got[i].beat - dev[i].beat) > 1e-9 || got[i].on != dev[i].on || got[i].pitch != dev[i].pitch ||
                (got[i].on && got[i].vel != dev[i].vel)) mismatch++;
        CHECK(mismatch == 0);
        CHECK_NEAR(cn_ev_decoder_beat(&dec), d.end_beat, 1e-9);
        free(got); free(dev); cn_song_free(&d);
        free(inc); free(ev); free(whole); cn_song_free(&s);
    }
}

TEST(incremental_encoder_off_grid_and_limits) {
    cn_song s; random_song(&s, 200, 0);
    note_ev *ev = malloc(2 * s.n_notes * sizeof *ev);
    size_t m = song_events(&s, ev);
    int *inc = malloc((8 * m + 8) * sizeof *inc);
    size_t ni = 0;
    cn_ev_encoder e; cn_ev_encoder_init(&e, 0);
    for (size_t i = 0; i < m; i++) ni += (size_t)cn_ev_encoder_feed(&e, ev[i].beat, ev[i].on, ev[i].pitch, ev[i].vel, inc + ni, 8);
    cn_song d; CHECK(cn_ev_decode(inc, ni, 120, &d) == 0);
    CHECK(d.n_notes == s.n_notes);
    double max_on = 0, max_end = 0;
    for (size_t i = 0; i < s.n_notes; i++) {
        const cn_note *best = NULL;
        for (size_t j = 0; j < d.n_notes; j++)
            if (d.notes[j].pitch == s.notes[i].pitch && (!best || fabs(d.notes[j].start_beat - s.notes[i].start_beat) < fabs(best->start_beat - s.notes[i].start_beat)))
                best = &d.notes[j];
        if (!best) continue;
        max_on = fmax(max_on, fabs(best->start_beat - s.notes[i].start_beat));
        max_end = fmax(max_end, fabs(best->start_beat + best->dur_beat - s.notes[i].start_beat - s.notes[i].dur_beat));
    }
    CHECK(max_on <= 0.5 / CN_EV_GRID + 1e-9);      /* live: onsets and note ends each within half a step */
    CHECK(max_end <= 0.5 / CN_EV_GRID + 1e-9);
    cn_song_free(&d); free(inc); free(ev); cn_song_free(&s);
    /* a long silence never writes past max; too small a buffer writes nothing */
    int out[8];
    cn_ev_encoder_init(&e, 0);
    CHECK(cn_ev_encoder_feed(&e, 1000, 1, 60, 100, out, 8) == 8);
    CHECK(out[7] == 60 && out[6] == CN_EV_VEL + cn_ev_vel_bin(100));
    CHECK(cn_ev_encoder_feed(&e, 1001, 0, 60, 0, out, 0) == 0);
    CHECK(cn_ev_encoder_feed(&e, 999, 0, 60, 0, out, 8) == 1 && out[0] == CN_EV_NOTE_OFF + 60); /* late: now */
    CHECK(cn_ev_encoder_feed(&e, 1002, 1, 200, 100, out, 8) == 0);                          /* bad pitch */
    cn_ev_decoder dec; cn_ev_decoder_init(&dec, 2.0);
    cn_ev_note_event ne;
    CHECK(cn_ev_decoder_feed(&dec, CN_EV_SHIFT + 2, &ne) == 0);
    CHECK(cn_ev_decoder_feed(&dec, 62, &ne) == 1 && ne.on == 1 && ne.pitch == 62 && ne.velocity == 64);
    CHECK_NEAR(ne.beat, 2.25, 1e-12);
    CHECK(cn_ev_decoder_feed(&dec, -1, &ne) == 0 && cn_ev_decoder_feed(&dec, 400, &ne) == 0);
}

/* ---- paper ---- */

TEST(paper_pitch_names_and_parse) {
    char b[16];
    cn_paper_pitch_name(60, b, sizeof b); CHECK(strcmp(b, "C4") == 0);
    cn_paper_pitch_name(61, b, sizeof b); CHECK(strcmp(b, "C#4") == 0);
    cn_paper_pitch_name(63, b, sizeof b); CHECK(strcmp(b, "E-4") == 0);
    cn_paper_pitch_name(70, b, sizeof b); CHECK(strcmp(b, "B-4") == 0);
    cn_paper_pitch_name(21, b, sizeof b); CHECK(strcmp(b, "A0") == 0);
    cn_paper_pitch_name(0, b, sizeof b); CHECK(strcmp(b, "C-1") == 0);
    cn_paper_pitch_name(127, b, sizeof b); CHECK(strcmp(b, "G9") == 0);
    for (int p = 0; p < 128; p++) {
        if (p == 4 || p == 11) continue;       /* "E-1"/"B-1" read as E-flat 1 / B-flat 1, as in music21 */
        char name[32]; cn_paper_pitch_name(p, b, sizeof b);
        snprintf(name, sizeof name, "%s_quarter", b);
        cn_paper_token t;
        CHECKF(cn_paper_parse(name, &t) == 0 && !t.is_chord && t.n == 1 && t.pitch[0] == p, "%s", name);
    }
    cn_paper_token t;
    CHECK(cn_paper_parse("4.7.11_eighth", &t) == 0 && t.is_chord && t.n == 3 && t.pitch[2] == 11 && t.quarter_len == 0.5);
    CHECK(cn_paper_parse("C4_zero", &t) == 0 && t.quarter_len == 0);
    CHECK(cn_paper_parse("<unk>", &t) == -1);
    CHECK(cn_paper_parse("C4_complex", &t) == -1);
    CHECK(cn_paper_parse("H4_quarter", &t) == -1);
    CHECK(cn_paper_parse("4.12_quarter", &t) == -1);
    CHECK(cn_paper_parse("C4", &t) == -1);
}

static char *one_token(const double (*notes)[3], int n) {
    cn_song s; cn_song_init(&s);
    for (int i = 0; i < n; i++) cn_song_add_note(&s, notes[i][0], notes[i][1], (int)notes[i][2], 80, 0);
    cn_song_sort(&s);
    char **strs; size_t ns;
    static char buf[64];
    buf[0] = 0;
    if (cn_paper_strings(&s, 0, &strs, &ns) == 0) {
        if (ns == 1) snprintf(buf, sizeof buf, "%s", strs[0]);
        cn_paper_strings_free(strs, ns);
    }
    cn_song_free(&s);
    return buf;
}

TEST(paper_tokens_normal_order_and_durations) {
    double c_major[3][3] = { { 0, 1, 60 }, { 0, 1, 64 }, { 0, 1, 67 } };
    CHECK(strcmp(one_token(c_major, 3), "0.4.7_quarter") == 0);
    double e_minor[3][3] = { { 0, 1, 59 }, { 0, 1, 64 }, { 0, 1, 67 } };
    CHECK(strcmp(one_token(e_minor, 3), "4.7.11_quarter") == 0);
    double dim[3][3] = { { 0, 2, 59 }, { 0, 2, 62 }, { 0, 2, 65 } };
    CHECK(strcmp(one_token(dim, 3), "11.2.5_half") == 0);
    double dim7[4][3] = { { 0, 4, 60 }, { 0, 4, 63 }, { 0, 4, 66 }, { 0, 4, 69 } };
    CHECK(strcmp(one_token(dim7, 4), "0.3.6.9_whole") == 0);
    double cluster[3][3] = { { 0, 0.5, 59 }, { 0, 0.5, 60 }, { 0, 0.5, 61 } };
    CHECK(strcmp(one_token(cluster, 3), "11.0.1_eighth") == 0);
    double sharp[3][3] = { { 0, 1, 68 }, { 0, 1, 69 }, { 0, 1, 73 } };   /* G#4 A4 C#5 */
    CHECK(strcmp(one_token(sharp, 3), "8.9.1_quarter") == 0);
    double octave[2][3] = { { 0, 1, 48 }, { 0, 1, 60 } };
    CHECK(strcmp(one_token(octave, 2), "0_quarter") == 0);
    double longest[2][3] = { { 0, 0.5, 48 }, { 0, 2, 55 } };            /* the group lasts its longest note */
    CHECK(strcmp(one_token(longest, 2), "7.0_half") == 0);              /* a fifth's normal order is the fourth */
    struct { double ql; const char *type; } durs[] = {
        { 1, "quarter" }, { 1.5, "quarter" }, { 2.0 / 3, "quarter" }, { 0.5, "eighth" }, { 1.0 / 3, "eighth" },
        { 0.25, "16th" }, { 0.75, "eighth" }, { 3, "half" }, { 4, "whole" }, { 8, "breve" }, { 0, "zero" },
        { 0.1, "zero" }, { 0.26, "16th" }, { 16, "breve" },
    };
    for (size_t i = 0; i < sizeof durs / sizeof *durs; i++) {
        double n1[1][3] = { { 0, durs[i].ql, 61 } };
        char want[32]; snprintf(want, sizeof want, "C#4_%s", durs[i].type);
        CHECKF(strcmp(one_token(n1, 1), want) == 0, "%g: %s, want %s", durs[i].ql, one_token(n1, 1), want);
    }
}

TEST(paper_round_trip) {
    /* groups one after another: each starts when the previous ends, durations of plain types */
    static const double dur[] = { 1, 0.5, 0.25, 2, 1, 4, 0.5, 0.5 };
    cn_song s; cn_song_init(&s);
    double t = 0;
    for (int g = 0; g < 40; g++) {
        double d = dur[g % 8];
        if (g % 3 == 0) {                    /* chord */
            cn_song_add_note(&s, t, d, 48 + g % 12, 80, 0);
            cn_song_add_note(&s, t, d, 52 + g % 12, 80, 0);
            cn_song_add_note(&s, t, d, 55 + g % 12, 80, 0);
        } else {
            cn_song_add_note(&s, t, d, 60 + (g * 7) % 24, 80, 0);
        }
        t += d;
    }
    cn_song_sort(&s);
    char **strs; size_t ns;
    CHECK(cn_paper_strings(&s, 0, &strs, &ns) == 0);
    CHECK(ns == 40);
    cn_vocab v;
    CHECK(cn_vocab_build(&v, strs, ns) == 0);
    CHECK(strcmp(v.names[0], "<unk>") == 0);
    int *ids; size_t n, unk;
    CHECK(cn_paper_encode(&s, &v, 0, &ids, &n, &unk) == 0);
    CHECK(n == 40 && unk == 0);
    for (size_t i = 0; i < n; i++) CHECK(strcmp(v.names[ids[i]], strs[i]) == 0);
    cn_song d;
    CHECK(cn_paper_decode(&v, ids, n, 120, &d) == 0);
    CHECK(d.n_notes == s.n_notes);
    CHECK_NEAR(d.end_beat, t, 1e-9);
    /* group by group: onset and duration exact; single notes exact, chords by pitch class */
    size_t i = 0, j = 0;
    while (i < s.n_notes && j < d.n_notes) {
        size_t i2 = i, j2 = j;
        uint16_t ma = 0, mb = 0;
        while (i2 < s.n_notes && s.notes[i2].start_beat == s.notes[i].start_beat) ma |= (uint16_t)(1u << (s.notes[i2++].pitch % 12));
        while (j2 < d.n_notes && d.notes[j2].start_beat == d.notes[j].start_beat) mb |= (uint16_t)(1u << (d.notes[j2++].pitch % 12));
        CHECK_NEAR(d.notes[j].start_beat, s.notes[i].start_beat, 1e-9);
        CHECK_NEAR(d.notes[j].dur_beat, s.notes[i].dur_beat, 1e-9);
        CHECK(ma == mb && i2 - i == j2 - j);
        if (i2 - i == 1) CHECK(d.notes[j].pitch == s.notes[i].pitch);
        i = i2; j = j2;
    }
    /* chords are voiced near the notes before them */
    for (size_t k = 1; k < d.n_notes; k++) CHECK(abs((int)d.notes[k].pitch - (int)d.notes[k - 1].pitch) <= 24);
    cn_song_free(&d);
    /* transposed by a tone: an unseen token comes out as <unk> */
    free(ids);
    CHECK(cn_paper_encode(&s, &v, 2, &ids, &n, &unk) == 0);
    CHECK(unk > 0 && unk <= n);
    char **tstrs; size_t tn;
    CHECK(cn_paper_strings(&s, 2, &tstrs, &tn) == 0);
    CHECK(tn == ns);
    if (tn == ns) CHECK(strcmp(tstrs[1], "A4_eighth") == 0 && strcmp(strs[1], "G4_eighth") == 0);
    cn_paper_strings_free(tstrs, tn);
    /* pitch-class masks */
    int g4 = cn_vocab_lookup(&v, "G4_eighth");
    CHECK(g4 > 0 && cn_token_pcmask(CN_ENC_PAPER, &v, g4) == 1 << 7);
    int chord = cn_vocab_lookup(&v, "0.4.7_quarter");
    CHECK(chord > 0 && cn_token_pcmask(CN_ENC_PAPER, &v, chord) == ((1 << 0) | (1 << 4) | (1 << 7)));
    CHECK(cn_token_pcmask(CN_ENC_PAPER, &v, 0) == 0);
    CHECK(cn_token_pcmask(CN_ENC_EVENT, NULL, CN_EV_NOTE_ON + 61) == 2);
    CHECK(cn_token_pcmask(CN_ENC_EVENT, NULL, CN_EV_NOTE_OFF + 61) == 0);
    free(ids); cn_vocab_free(&v); cn_paper_strings_free(strs, ns); cn_song_free(&s);
}

TEST(paper_decode_voicing_and_unknowns) {
    char *names[] = { "G4_quarter", "0.4.7_half", "<unk>", "C#2_zero", "0.4.7_quarter" };
    cn_vocab v;
    CHECK(cn_vocab_build(&v, names, 5) == 0);
    int ids[6] = { cn_vocab_lookup(&v, "G4_quarter"), cn_vocab_lookup(&v, "0.4.7_half"), 0, 99,
                   cn_vocab_lookup(&v, "C#2_zero"), cn_vocab_lookup(&v, "0.4.7_quarter") };
    cn_song d;
    CHECK(cn_paper_decode(&v, ids, 6, 120, &d) == 0);
    CHECK(d.n_notes == 8);
    if (d.n_notes == 8) {
        CHECK(d.notes[0].pitch == 67 && d.notes[0].start_beat == 0);
        /* the chord after G4: each pitch class in the octave nearest 67 */
        CHECK(d.notes[1].pitch == 64 && d.notes[2].pitch == 67 && d.notes[3].pitch == 72);
        CHECK(d.notes[1].start_beat == 1 && d.notes[1].dur_beat == 2);
        CHECK(d.notes[5].pitch == 37 && d.notes[5].start_beat == 3);        /* zero: advances nothing */
        CHECK(d.notes[4].start_beat == 3);
        CHECK(d.notes[4].pitch == 36 && d.notes[6].pitch == 40 && d.notes[7].pitch == 43);  /* near C#2 */
    }
    CHECK_NEAR(d.end_beat, 4, 1e-12);
    cn_song_free(&d); cn_vocab_free(&v);
}

int main(void) {
    RUN(velocity_bins);
    RUN(token_names_and_encoding_names);
    RUN(event_stream_of_a_small_song);
    RUN(event_round_trip_within_grid_and_bin);
    RUN(event_keeps_16ths_and_triplets_exactly);
    RUN(event_zero_length_and_collisions);
    RUN(event_decoder_tolerates_any_stream);
    RUN(incremental_encoder_equals_whole_song);
    RUN(incremental_encoder_off_grid_and_limits);
    RUN(paper_pitch_names_and_parse);
    RUN(paper_tokens_normal_order_and_durations);
    RUN(paper_round_trip);
    RUN(paper_decode_voicing_and_unknowns);
    return test_summary();
}
