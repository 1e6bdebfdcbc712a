/* test_note_player.c: playing note-encoded models: the grammar the sampler keeps (a PITCH
 * takes its DUR, shifts stop at the slot, controls are never sampled), the controls due at
 * every slot, the onset-group guard, and the offline continuation of a small random note
 * model: well-formed tokens, the controls from the seed or the options, targets met. */
#include <stdlib.h>
#include "continue.h"
#include "note_player.h"
#include "sample.h"
#include "test.h"
#include "tokens.h"

#define BAR (-1e29f)

static void flat(float *lg) { for (int t = 0; t < CN_NT_VOCAB; t++) lg[t] = 0; }
static int allowed(const float *lg, int t) { return lg[t] > BAR; }

TEST(grammar) {
    cn_nt_player p;
    cn_nt_player_init(&p, 0);
    CHECK(cn_nt_player_controls_due(&p));
    CHECK(cn_nt_player_control_next(&p, CN_NT_KEY + 3, CN_NT_DENS + 2) == CN_NT_KEY + 3);
    cn_nt_note n;
    CHECK(!cn_nt_player_feed(&p, CN_NT_KEY + 3, &n));
    CHECK(cn_nt_player_controls_due(&p));
    CHECK(cn_nt_player_control_next(&p, CN_NT_KEY + 3, CN_NT_DENS + 2) == CN_NT_DENS + 2);
    cn_nt_player_feed(&p, CN_NT_DENS + 2, &n);
    CHECK(!cn_nt_player_controls_due(&p));
    CHECK(cn_nt_player_room(&p) == CN_NT_SLOT);
    float lg[CN_NT_VOCAB];
    flat(lg);
    cn_nt_player_mask(&p, lg, 0, 0);
    for (int t = CN_NT_KEY; t < CN_NT_VOCAB; t++) CHECK(!allowed(lg, t));
    for (int t = CN_NT_DUR; t < CN_NT_SHIFT; t++) CHECK(!allowed(lg, t));
    CHECK(allowed(lg, 60) && allowed(lg, CN_NT_SHIFT + 47) && allowed(lg, CN_NT_VEL + 3));
    /* a pitch: only its length may follow */
    cn_nt_player_feed(&p, CN_NT_VEL + 9, &n);
    cn_nt_player_feed(&p, 60, &n);
    flat(lg);
    cn_nt_player_mask(&p, lg, 0, 0);
    for (int t = 0; t < CN_NT_VOCAB; t++) CHECK(allowed(lg, t) == (t >= CN_NT_DUR && t < CN_NT_SHIFT));
    CHECK(cn_nt_player_feed(&p, CN_NT_DUR + 11, &n) == 1);
    CHECK(n.start == 0 && n.dur == 12 && n.pitch == 60 && n.velocity == cn_ev_bin_vel(9));
    /* the same pitch is not struck twice at one step; a velocity is not followed by another */
    flat(lg);
    cn_nt_player_mask(&p, lg, 0, 0);
    CHECK(!allowed(lg, 60) && allowed(lg, 64));
    cn_nt_player_feed(&p, CN_NT_VEL + 2, &n);
    flat(lg);
    cn_nt_player_mask(&p, lg, 0, 0);
    for (int b = 0; b < CN_NT_VEL_BINS; b++) CHECK(!allowed(lg, CN_NT_VEL + b));
    /* shifts stop at the slot */
    cn_nt_player_feed(&p, CN_NT_SHIFT + 39, &n);   /* 40 steps */
    flat(lg);
    cn_nt_player_mask(&p, lg, 0, 0);
    CHECK(allowed(lg, CN_NT_SHIFT + 7) && !allowed(lg, CN_NT_SHIFT + 8));
    cn_nt_player_feed(&p, CN_NT_SHIFT + 7, &n);
    CHECK(p.step == 48 && cn_nt_player_controls_due(&p));
    /* no onsets: only time may move */
    cn_nt_player_feed(&p, CN_NT_KEY_NONE, &n);
    cn_nt_player_feed(&p, CN_NT_DENS_NONE, &n);
    flat(lg);
    cn_nt_player_mask(&p, lg, 0, 1);
    for (int t = 0; t < CN_NT_VOCAB; t++) CHECK(allowed(lg, t) == (t >= CN_NT_SHIFT && t < CN_NT_VEL));
}

static void strike(cn_nt_player *p, const int *pitches, int n) {
    cn_nt_note nt;
    for (int i = 0; i < n; i++) { cn_nt_player_feed(p, pitches[i], &nt); cn_nt_player_feed(p, CN_NT_DUR + 2, &nt); }
    cn_nt_player_feed(p, CN_NT_SHIFT + 2, &nt);
}

TEST(onset_group_guard) {
    cn_nt_player p;
    cn_nt_player_init(&p, 1);
    float lg[CN_NT_VOCAB];
    int one[] = { 60 }, two[] = { 60, 64 };
    for (int r = 0; r < 3; r++) strike(&p, one, 1);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK(allowed(lg, 60));                        /* three times: a fourth is allowed */
    strike(&p, one, 1);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK(!allowed(lg, 60) && allowed(lg, 62));    /* four times: not a fifth */
    flat(lg); cn_nt_player_mask(&p, lg, 0, 0);
    CHECK(allowed(lg, 60));                        /* the guard off */
    /* a chord: its last missing pitch is what is barred; a different chord is free */
    for (int r = 0; r < 4; r++) strike(&p, two, 2);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK(allowed(lg, 60) && allowed(lg, 64));
    cn_nt_note nt;
    cn_nt_player_feed(&p, 60, &nt); cn_nt_player_feed(&p, CN_NT_DUR, &nt);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK(!allowed(lg, 64) && allowed(lg, 67));
    cn_nt_player_feed(&p, 67, &nt); cn_nt_player_feed(&p, CN_NT_DUR, &nt);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK(allowed(lg, 64));                        /* {60,67,64} is not {60,64} */
}

/* Below max_run the repeat is not barred but made rarer, the more the longer the run; a pitch
 * that does not complete the repeat, and any pitch with the guard off, keeps its logit. */
TEST(onset_group_guard_soft) {
    cn_nt_player p;
    cn_nt_player_init(&p, 1);
    float lg[CN_NT_VOCAB];
    int one[] = { 60 }, two[] = { 60, 64 };
    strike(&p, one, 1);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK_NEAR(lg[60], -CN_NT_RUN_SOFT, 1e-6);     /* heard once: a second time costs one step */
    CHECK(lg[60] < lg[62] && lg[62] == 0 && lg[CN_NT_SHIFT] == 0);
    strike(&p, one, 1); strike(&p, one, 1);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK_NEAR(lg[60], -3 * CN_NT_RUN_SOFT, 1e-6); /* three in a row: three steps */
    flat(lg); cn_nt_player_mask(&p, lg, 0, 0);
    CHECK(lg[60] == 0);                            /* the guard off: untouched */
    strike(&p, two, 2);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK(lg[60] == 0 && lg[64] == 0);             /* one pitch alone does not complete {60,64} */
    cn_nt_note nt;
    cn_nt_player_feed(&p, 64, &nt); cn_nt_player_feed(&p, CN_NT_DUR, &nt);
    flat(lg); cn_nt_player_mask(&p, lg, 4, 0);
    CHECK_NEAR(lg[60], -CN_NT_RUN_SOFT, 1e-6);     /* but 60 after 64 does */
    CHECK(lg[67] == 0);
}

static void make_seed(cn_song *s) {   /* A minor, four bars, 100 bpm */
    static const int mel[] = { 69, 72, 76, 74, 72, 71, 69, 64 };
    cn_song_init(s);
    s->tempos[0].bpm = 100;
    for (int i = 0; i < 16; i++) cn_song_add_note(s, i, 0.9, mel[i % 8], 80, 0);
    for (int i = 0; i < 4; i++) cn_song_add_note(s, i * 4, 3.9, i % 2 ? 52 : 45, 60, 0);
    cn_song_sort(s);
}

static cn_model *note_model(uint64_t seed) {
    char err[256];
    cn_model *m = cn_model_new("lstm:16", CN_NT_VOCAB, seed, err, sizeof err);
    if (m) m->encoding = CN_ENC_NOTE;
    return m;
}

/* The continuation's tokens: every PITCH has its DUR, controls sit on the slots and say
 * want_key, and shifts never cross a slot. */
static void check_tokens(const cn_continue_info *info, double start_beat, int want_key, int min_controls) {
    int64_t step = llround(start_beat * CN_NT_GRID);
    int controls = 0;
    for (size_t i = 0; i < info->gen_tokens; i++) {
        int t = info->tokens[i];
        CHECK(t >= 0 && t < CN_NT_VOCAB);
        if (t < CN_NT_DUR) CHECK(i + 1 == info->gen_tokens || (info->tokens[i + 1] >= CN_NT_DUR && info->tokens[i + 1] < CN_NT_SHIFT));
        if (t >= CN_NT_SHIFT && t < CN_NT_VEL) {
            int64_t next = (step / CN_NT_SLOT + 1) * CN_NT_SLOT;
            CHECK(step + (t - CN_NT_SHIFT + 1) <= next);
            step += t - CN_NT_SHIFT + 1;
        }
        if (t >= CN_NT_KEY && t <= CN_NT_KEY_NONE) { CHECK(t == want_key); CHECK(step % CN_NT_SLOT == 0); controls++; }
    }
    CHECKF(controls >= min_controls, "%d controls", controls);
}

TEST(continuation_of_a_note_model) {
    cn_song seed; make_seed(&seed);
    cn_model *m = note_model(5);
    CHECK(m != NULL);
    if (!m) return;
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 0; o.n_beats = 16; o.rng_seed = 3;
    cn_song out; cn_continue_info info; char err[256];
    CHECK(cn_continue(m, &seed, &o, &out, &info, err, sizeof err) == 0);
    int am = cn_nt_key_of(seed.notes, seed.n_notes, 0, -1e300, 1e300);
    CHECK(am == cn_nt_key_token(9, 1));
    check_tokens(&info, info.cont_start_beat, am, 3);
    CHECK(info.gen_notes > 0 && !info.hit_cap);
    for (size_t i = 0; i < out.n_notes; i++) {
        CHECK(out.notes[i].start_beat >= info.cont_start_beat - 1e-9);
        CHECK(out.notes[i].start_beat + out.notes[i].dur_beat <= info.cont_start_beat + 16 + 1e-9);
        CHECK(out.notes[i].dur_beat > 0 && out.notes[i].dur_beat <= 8 + 1e-9);   /* no drone */
    }
    cn_song_free(&out); cn_continue_info_free(&info);
    /* a note target */
    o.n_notes = 20; o.n_beats = 0;
    CHECK(cn_continue(m, &seed, &o, &out, &info, err, sizeof err) == 0);
    check_tokens(&info, info.cont_start_beat, am, 0);
    CHECK(info.gen_notes == 20 && !info.hit_cap);
    cn_song_free(&out); cn_continue_info_free(&info);
    /* a fixed key, and the key off */
    o.key_control = 2; o.n_notes = 0; o.n_beats = 9;
    CHECK(cn_continue(m, &seed, &o, &out, &info, err, sizeof err) == 0);
    check_tokens(&info, info.cont_start_beat, cn_nt_key_token(2, 0), 2);
    cn_song_free(&out); cn_continue_info_free(&info);
    o.key_control = CN_CTRL_OFF;
    CHECK(cn_continue(m, &seed, &o, &out, &info, err, sizeof err) == 0);
    check_tokens(&info, info.cont_start_beat, CN_NT_KEY_NONE, 2);
    cn_song_free(&out); cn_continue_info_free(&info);
    cn_model_free(m);
    cn_song_free(&seed);
}

TEST(onset_group_size_capped) {
    cn_nt_player p;
    cn_nt_player_init(&p, 1);
    cn_nt_note nt;
    float lg[CN_NT_VOCAB];
    for (int k = 0; k < CN_NT_MAX_GROUP; k++) {
        flat(lg); cn_nt_player_mask(&p, lg, 0, 0);
        CHECK(allowed(lg, 40 + k));
        cn_nt_player_feed(&p, 40 + k, &nt); cn_nt_player_feed(&p, CN_NT_DUR, &nt);
    }
    flat(lg); cn_nt_player_mask(&p, lg, 0, 0);
    for (int q = 0; q < 128; q++) CHECK(!allowed(lg, q));
    CHECK(allowed(lg, CN_NT_SHIFT));
    cn_nt_player_feed(&p, CN_NT_SHIFT, &nt);
    flat(lg); cn_nt_player_mask(&p, lg, 0, 0);
    CHECK(allowed(lg, 40));
}

int main(void) {
    RUN(onset_group_size_capped);
    RUN(grammar);
    RUN(onset_group_guard);
    RUN(onset_group_guard_soft);
    RUN(continuation_of_a_note_model);
    return test_summary();
}
