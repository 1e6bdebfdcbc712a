/* test_continue.c: offline continuation on small random models (event and paper):
 * repeatable by rng seed, note and beat targets met, the seed kept or left out, every
 * temperature up to 2 sane, the key constraint obeyed, bad input refused. */
#include <stdlib.h>
#include "continue.h"
#include "sample.h"
#include "tokens.h"
#include "test.h"

/* two bars of C major: a melody over a bass, at 90 bpm */
static void make_seed(cn_song *s) {
    static const int mel[] = { 64, 62, 60, 62, 64, 64, 64, 62 };
    cn_song_init(s);
    s->tempos[0].bpm = 90;
    for (int i = 0; i < 8; i++) cn_song_add_note(s, i, 0.9, mel[i], 80, 0);
    for (int i = 0; i < 2; i++) cn_song_add_note(s, i * 4, 3.9, i ? 43 : 48, 60, 0);
    cn_song_sort(s);
}

static cn_model *event_model(uint64_t seed) {
    char err[256];
    cn_model *m = cn_model_new("lstm:12", CN_EV_VOCAB, seed, err, sizeof err);
    if (m) m->encoding = CN_ENC_EVENT;
    return m;
}

static int same_notes(const cn_song *a, const cn_song *b) {
    if (a->n_notes != b->n_notes) return 0;
    for (size_t i = 0; i < a->n_notes; i++)
        if (a->notes[i].pitch != b->notes[i].pitch || a->notes[i].start_beat != b->notes[i].start_beat ||
            a->notes[i].dur_beat != b->notes[i].dur_beat || a->notes[i].velocity != b->notes[i].velocity) return 0;
    return 1;
}

static int notes_sane(const cn_song *s) {
    for (size_t i = 0; i < s->n_notes; i++) {
        const cn_note *n = &s->notes[i];
        if (!(n->start_beat >= 0) || !(n->dur_beat > 0) || !isfinite(n->start_beat + n->dur_beat) ||
            n->pitch > 127 || n->velocity < 1 || n->velocity > 127) return 0;
        for (size_t j = i + 1; j < s->n_notes; j++)   /* one pitch never sounds twice at once */
            if (s->notes[j].pitch == n->pitch && s->notes[j].start_beat < n->start_beat + n->dur_beat - 1e-9 &&
                n->start_beat < s->notes[j].start_beat + s->notes[j].dur_beat - 1e-9) return 0;
    }
    return 1;
}

TEST(same_rng_same_song) {
    cn_song seed; make_seed(&seed);
    cn_model *m = event_model(11);
    CHECK(m != NULL);
    if (!m) return;
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 24; o.rng_seed = 42;
    cn_song a, b, c; char err[256];
    CHECK(cn_continue(m, &seed, &o, &a, NULL, err, sizeof err) == 0);
    CHECK(cn_continue(m, &seed, &o, &b, NULL, err, sizeof err) == 0);
    o.rng_seed = 43;
    CHECK(cn_continue(m, &seed, &o, &c, NULL, err, sizeof err) == 0);
    CHECK(same_notes(&a, &b));
    CHECK(!same_notes(&a, &c));
    CHECK(a.tempos[0].bpm == 90);
    cn_song_free(&a); cn_song_free(&b); cn_song_free(&c);
    cn_model_free(m); cn_song_free(&seed);
}

TEST(note_target_and_seed_kept) {
    cn_song seed; make_seed(&seed);
    cn_model *m = event_model(12);
    if (!m) { CHECK(0); return; }
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 20; o.rng_seed = 5; o.include_seed = 1;
    cn_song out; cn_continue_info info; char err[256];
    CHECK(cn_continue(m, &seed, &o, &out, &info, err, sizeof err) == 0);
    CHECK(info.gen_notes == 20);
    CHECK(info.seed_notes == (int)seed.n_notes);
    CHECK(out.n_notes == seed.n_notes + 20);
    CHECK_NEAR(info.cont_start_beat, 8.0, 1e-9);   /* the seed ends on beat 8 (7.9 snapped) */
    for (size_t i = 0; i < seed.n_notes; i++)
        CHECK(out.notes[i].pitch == seed.notes[i].pitch && out.notes[i].start_beat == seed.notes[i].start_beat);
    for (size_t i = seed.n_notes; i < out.n_notes; i++) CHECK(out.notes[i].start_beat >= info.cont_start_beat - 1e-9);
    CHECK(notes_sane(&out));
    CHECK(info.gen_tokens > 20 && info.tokens != NULL);
    for (size_t i = 0; i < info.gen_tokens; i++) CHECK(info.tokens[i] >= 0 && info.tokens[i] < CN_EV_VOCAB);
    cn_continue_info_free(&info);
    cn_song_free(&out);

    /* alone: the same continuation, moved back by whole bars */
    o.include_seed = 0;
    cn_song alone;
    CHECK(cn_continue(m, &seed, &o, &alone, &info, err, sizeof err) == 0);
    CHECK(alone.n_notes == 20 && info.seed_notes == 0);
    CHECK_NEAR(info.cont_start_beat, 0.0, 1e-9);
    CHECK(notes_sane(&alone));
    cn_continue_info_free(&info);
    cn_song_free(&alone);
    cn_model_free(m); cn_song_free(&seed);
}

TEST(beat_target) {
    cn_song seed; make_seed(&seed);
    cn_model *m = event_model(13);
    if (!m) { CHECK(0); return; }
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 0; o.n_beats = 6; o.include_seed = 1;
    for (uint64_t r = 1; r <= 5; r++) {
        o.rng_seed = r;
        cn_song out; cn_continue_info info; char err[256];
        CHECK(cn_continue(m, &seed, &o, &out, &info, err, sizeof err) == 0);
        for (size_t i = (size_t)info.seed_notes; i < out.n_notes; i++) {
            const cn_note *n = &out.notes[i];
            CHECK(n->start_beat >= info.cont_start_beat - 1e-9);
            CHECK(n->start_beat + n->dur_beat <= info.cont_start_beat + 6 + 1e-9);
        }
        CHECK(notes_sane(&out));
        cn_continue_info_free(&info);
        cn_song_free(&out);
    }
    cn_model_free(m); cn_song_free(&seed);
}

TEST(temperatures_and_greedy) {
    cn_song seed; make_seed(&seed);
    cn_model *m = event_model(14);
    if (!m) { CHECK(0); return; }
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 12;
    for (int t = 0; t <= 20; t++) {
        o.sample.temperature = t / 10.0f;
        o.rng_seed = (uint64_t)t;
        cn_song out; char err[256];
        int rc = cn_continue(m, &seed, &o, &out, NULL, err, sizeof err);
        CHECKF(rc == 0, "temperature %g: %s", t / 10.0, err);
        if (rc == 0) { CHECK(notes_sane(&out)); cn_song_free(&out); }
    }
    /* greedy ignores the rng */
    o.sample.temperature = 0;
    cn_song a, b; char err[256];
    o.rng_seed = 1;
    CHECK(cn_continue(m, &seed, &o, &a, NULL, err, sizeof err) == 0);
    o.rng_seed = 999;
    CHECK(cn_continue(m, &seed, &o, &b, NULL, err, sizeof err) == 0);
    CHECK(same_notes(&a, &b));
    cn_song_free(&a); cn_song_free(&b);
    cn_model_free(m); cn_song_free(&seed);
}

TEST(key_constraint) {
    cn_song seed; make_seed(&seed);
    cn_model *m = event_model(15);
    if (!m) { CHECK(0); return; }
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 40; o.rng_seed = 8;
    o.sample.key_mask = cn_key_parse("D");   /* D major: C# and F#, no C or F */
    CHECK(o.sample.key_mask != 0);
    cn_song out; cn_continue_info info; char err[256];
    CHECK(cn_continue(m, &seed, &o, &out, &info, err, sizeof err) == 0);
    CHECK(info.key_mask == o.sample.key_mask);
    for (size_t i = 0; i < out.n_notes; i++)
        CHECKF(o.sample.key_mask & (1u << (out.notes[i].pitch % 12)), "pitch %d", out.notes[i].pitch);
    cn_continue_info_free(&info);
    cn_song_free(&out);
    /* auto: the seed is plainly C major */
    o.sample.key_mask = 0; o.key_auto = 1;
    CHECK(cn_continue(m, &seed, &o, &out, &info, err, sizeof err) == 0);
    CHECK(info.key_tonic == 0 && info.key_minor == 0);
    for (size_t i = 0; i < out.n_notes; i++) CHECK(info.key_mask & (1u << (out.notes[i].pitch % 12)));
    cn_continue_info_free(&info);
    cn_song_free(&out);
    cn_model_free(m); cn_song_free(&seed);
}

TEST(paper_model) {
    cn_song seed; make_seed(&seed);
    char **strs; size_t n;
    CHECK(cn_paper_strings(&seed, 0, &strs, &n) == 0);
    cn_vocab v;
    CHECK(cn_vocab_build(&v, strs, n) == 0);
    cn_paper_strings_free(strs, n);
    char err[256];
    cn_model *m = cn_model_new("lstm:8", v.n, 3, err, sizeof err);
    if (!m) { cn_vocab_free(&v); cn_song_free(&seed); CHECK(0); return; }
    m->encoding = CN_ENC_PAPER; m->words = v;
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 10; o.rng_seed = 2; o.include_seed = 1;
    cn_song a, b; cn_continue_info info;
    CHECK(cn_continue(m, &seed, &o, &a, &info, err, sizeof err) == 0);
    CHECK(info.gen_notes >= 10 || info.hit_cap);
    CHECK(info.seed_notes == (int)seed.n_notes);
    CHECK(notes_sane(&a));
    for (size_t i = seed.n_notes; i < a.n_notes; i++) CHECK(a.notes[i].start_beat >= info.cont_start_beat - 1e-9);
    cn_continue_info_free(&info);
    CHECK(cn_continue(m, &seed, &o, &b, NULL, err, sizeof err) == 0);
    CHECK(same_notes(&a, &b));
    cn_song_free(&a); cn_song_free(&b);
    o.n_notes = 0; o.n_beats = 4;
    CHECK(cn_continue(m, &seed, &o, &a, &info, err, sizeof err) == 0);
    for (size_t i = (size_t)info.seed_notes; i < a.n_notes; i++)
        CHECK(a.notes[i].start_beat + a.notes[i].dur_beat <= info.cont_start_beat + 4 + 1e-9);
    cn_continue_info_free(&info);
    cn_song_free(&a);
    cn_model_free(m); cn_song_free(&seed);
}

TEST(tempo_at_the_seed_end) {
    cn_song seed; make_seed(&seed);
    cn_tempo *t = realloc(seed.tempos, 2 * sizeof *t);
    if (!t) { CHECK(0); cn_song_free(&seed); return; }
    seed.tempos = t; seed.n_tempos = 2;
    seed.tempos[1] = (cn_tempo){ .beat = 4, .sec = 0, .bpm = 120 };
    cn_song_sort(&seed);
    cn_model *m = event_model(17);
    if (!m) { CHECK(0); cn_song_free(&seed); return; }
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 8;
    cn_song out; char err[256];
    CHECK(cn_continue(m, &seed, &o, &out, NULL, err, sizeof err) == 0);
    CHECK(out.tempos[0].bpm == 120);   /* alone: the tempo where the seed ends */
    cn_song_free(&out);
    o.include_seed = 1;
    CHECK(cn_continue(m, &seed, &o, &out, NULL, err, sizeof err) == 0);
    CHECK(out.n_tempos == 2 && out.tempos[0].bpm == 90 && out.tempos[1].bpm == 120);
    cn_song_free(&out);
    cn_model_free(m); cn_song_free(&seed);
}

TEST(refusals) {
    cn_song seed, empty; make_seed(&seed); cn_song_init(&empty);
    cn_model *m = event_model(16);
    if (!m) { CHECK(0); return; }
    cn_continue_opts o = cn_continue_defaults();
    cn_song out; char err[256] = "";
    CHECK(cn_continue(m, &empty, &o, &out, NULL, err, sizeof err) == -1);
    CHECK(strstr(err, "no notes") != NULL);
    o.n_notes = 0; o.n_beats = 0;
    CHECK(cn_continue(m, &seed, &o, &out, NULL, err, sizeof err) == -1);
    cn_model_free(m);
    char e2[256];
    cn_model *wrong = cn_model_new("lstm:4", 50, 1, e2, sizeof e2);   /* event, but not 320 tokens */
    if (wrong) {
        wrong->encoding = CN_ENC_EVENT;
        o = cn_continue_defaults();
        CHECK(cn_continue(wrong, &seed, &o, &out, NULL, err, sizeof err) == -1);
        CHECK(strstr(err, "vocabulary") != NULL);
        cn_model_free(wrong);
    }
    cn_song_free(&seed); cn_song_free(&empty);
}

int main(void) {
    RUN(same_rng_same_song);
    RUN(note_target_and_seed_kept);
    RUN(beat_target);
    RUN(temperatures_and_greedy);
    RUN(key_constraint);
    RUN(paper_model);
    RUN(tempo_at_the_seed_end);
    RUN(refusals);
    return test_summary();
}
