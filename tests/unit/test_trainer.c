/* test_trainer.c: the trainer's data path: the split by piece (deterministic by seed, the
 * report's ratio, every piece in exactly one set), windows (count, stride, coverage of the
 * tail, contents), seeded order, transposition augmentation (never a note outside 0..127,
 * the shift within the asked range), batch filling with padding, and corpus loading from
 * MIDI files the test writes itself (a broken file skipped, an empty or unparseable corpus
 * an error), the checkpoint file (round trip; truncation, damage and a wrong magic are
 * clear errors), the learning-rate schedules, the octave tie of the gradients, and a warm start
 * (--init) matching tensors by kind and order. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../offline-trainer/checkpoint.h"
#include "../../offline-trainer/corpus.h"
#include "../../offline-trainer/history.h"
#include "../../offline-trainer/octave_tie.h"
#include "../../offline-trainer/tokcache.h"
#include "../../offline-trainer/train_loop.h"
#include "../../offline-trainer/warmstart.h"
#include "midi.h"
#include "rng.h"
#include "test.h"
#include "../../offline-trainer/windows.h"

static const int ratio_10_3_3[3] = { 10, 3, 3 };

TEST(split_is_deterministic_by_seed) {
    int a[16], b[16], c[16];
    cn_split_assign(16, ratio_10_3_3, 42, 0, a);
    cn_split_assign(16, ratio_10_3_3, 42, 0, b);
    cn_split_assign(16, ratio_10_3_3, 43, 0, c);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);   /* another seed, another split (for these seeds) */
}

TEST(split_follows_the_report_ratio) {
    int s[16], n[3] = {0};
    cn_split_assign(16, ratio_10_3_3, 7, 0, s);
    for (int i = 0; i < 16; i++) { CHECK(s[i] >= 0 && s[i] < 3); n[s[i]]++; }
    CHECK(n[CN_SPLIT_TRAIN] == 10 && n[CN_SPLIT_VAL] == 3 && n[CN_SPLIT_TEST] == 3);
    int big[277], m[3] = {0};
    cn_split_assign(277, ratio_10_3_3, 7, 0, big);
    for (int i = 0; i < 277; i++) m[big[i]]++;
    CHECKF(m[1] == 52 && m[2] == 52 && m[0] == 173, "%d/%d/%d", m[0], m[1], m[2]);
}

TEST(split_small_corpora_and_test_dir) {
    int s[3];
    cn_split_assign(1, ratio_10_3_3, 1, 0, s);
    CHECK(s[0] == CN_SPLIT_TRAIN);
    cn_split_assign(2, ratio_10_3_3, 1, 0, s);
    CHECK((s[0] == CN_SPLIT_TRAIN) + (s[1] == CN_SPLIT_TRAIN) == 1);
    CHECK((s[0] == CN_SPLIT_VAL) + (s[1] == CN_SPLIT_VAL) == 1);
    cn_split_assign(3, ratio_10_3_3, 1, 0, s);
    int n[3] = {0};
    for (int i = 0; i < 3; i++) n[s[i]]++;
    CHECK(n[0] == 1 && n[1] == 1 && n[2] == 1);
    int t[13], k[3] = {0};
    cn_split_assign(13, ratio_10_3_3, 5, 1, t);   /* a separate test set: no test share */
    for (int i = 0; i < 13; i++) k[t[i]]++;
    CHECK(k[CN_SPLIT_TEST] == 0 && k[CN_SPLIT_VAL] == 3 && k[CN_SPLIT_TRAIN] == 10);
}

/* A corpus in memory: pieces with given event tokens. */
static void fake_corpus(cn_corpus *c, int n_pieces, const size_t *lens, const int *splits) {
    memset(c, 0, sizeof *c);
    c->enc = CN_ENC_EVENT;
    c->vocab_size = CN_EV_VOCAB;
    c->n_pieces = n_pieces;
    c->pieces = calloc((size_t)n_pieces, sizeof *c->pieces);
    for (int i = 0; i < n_pieces; i++) {
        cn_piece *p = &c->pieces[i];
        p->split = splits[i];
        p->n_var = 1; p->var_lo = 0;
        p->tok = calloc(1, sizeof *p->tok);
        p->n_tok = calloc(1, sizeof *p->n_tok);
        p->n_tok[0] = lens[i];
        p->tok[0] = malloc(lens[i] * sizeof(int));
        p->path = strdup("mem");
        for (size_t j = 0; j < lens[i]; j++)   /* a walk over pitches, times and velocities */
            p->tok[0][j] = (int)((j * 7 + (size_t)i * 13) % CN_EV_VOCAB);
    }
}

TEST(windows_count_stride_and_tail) {
    cn_corpus c;
    size_t lens[3] = { 101, 250, 50 };
    int splits[3] = { CN_SPLIT_TRAIN, CN_SPLIT_TRAIN, CN_SPLIT_TRAIN };
    fake_corpus(&c, 3, lens, splits);
    cn_windows w;
    CHECK(cn_windows_cut(&c, CN_SPLIT_TRAIN, 100, 50, &w) == 0);
    /* piece 0: one window (start 0); piece 1: starts 0, 50, 100, then the tail at 149; piece 2 too short */
    CHECKF(w.n == 5, "%zu windows", w.n);
    CHECK(w.short_pieces == 1);
    CHECK(w.n == 5 && w.w[0].piece == 0 && w.w[0].start == 0);
    CHECK(w.n == 5 && w.w[1].start == 0 && w.w[2].start == 50 && w.w[3].start == 100 && w.w[4].start == 149);
    for (size_t i = 0; i < w.n; i++) CHECK(w.w[i].start + 101 <= lens[w.w[i].piece]);
    cn_windows_free(&w);
    CHECK(cn_windows_cut(&c, CN_SPLIT_TRAIN, 100, 1, &w) == 0);
    CHECK(w.n == 1 + 150);
    cn_windows_thin(&w, 10);
    CHECK(w.n == 10);
    cn_windows_free(&w);
    CHECK(cn_windows_cut(&c, CN_SPLIT_VAL, 100, 1, &w) == 0 && w.n == 0);
    cn_windows_free(&w);
    cn_corpus_free(&c);
}

TEST(order_is_a_seeded_permutation) {
    size_t a[1000], b[1000], seen[1000] = {0};
    cn_windows_order(1000, 9, a);
    cn_windows_order(1000, 9, b);
    CHECK(memcmp(a, b, sizeof a) == 0);
    int moved = 0;
    for (size_t i = 0; i < 1000; i++) { CHECK(a[i] < 1000); if (a[i] < 1000) seen[a[i]]++; moved += a[i] != i; }
    for (size_t i = 0; i < 1000; i++) CHECK(seen[i] == 1);
    CHECK(moved > 900);
    cn_windows_order(1000, 10, b);
    CHECK(memcmp(a, b, sizeof a) != 0);
}

TEST(shift_range_keeps_notes_in_midi_range) {
    int tok[] = { CN_EV_NOTE_ON + 20, CN_EV_SHIFT + 3, CN_EV_NOTE_OFF + 20, CN_EV_VEL + 5, CN_EV_NOTE_ON + 120 };
    int lo, hi;
    cn_ev_shift_range(tok, 5, &lo, &hi);
    CHECK(lo == -20 && hi == 7);
    int copy[5];
    memcpy(copy, tok, sizeof tok);
    cn_ev_shift_tokens(copy, 5, 7);
    CHECK(copy[0] == CN_EV_NOTE_ON + 27 && copy[2] == CN_EV_NOTE_OFF + 27 && copy[4] == CN_EV_NOTE_ON + 127);
    CHECK(copy[1] == tok[1] && copy[3] == tok[3]);   /* time and velocity untouched */
    int none[] = { CN_EV_SHIFT, CN_EV_VEL };
    cn_ev_shift_range(none, 2, &lo, &hi);
    CHECK(lo == 0 && hi == 0);
}

TEST(fill_transposes_within_bounds_and_pads) {
    /* pieces whose pitches sit near both ends of the keyboard */
    cn_corpus c;
    size_t lens[2] = { 400, 400 };
    int splits[2] = { CN_SPLIT_TRAIN, CN_SPLIT_TRAIN };
    fake_corpus(&c, 2, lens, splits);
    for (size_t j = 0; j < 400; j++) {
        c.pieces[0].tok[0][j] = j % 3 == 0 ? CN_EV_NOTE_ON + 2 + (int)(j % 5) : j % 3 == 1 ? CN_EV_SHIFT + 1 : CN_EV_NOTE_OFF + 2 + (int)((j - 2) % 5);
        c.pieces[1].tok[0][j] = j % 2 == 0 ? CN_EV_NOTE_ON + 120 + (int)(j % 7) : CN_EV_VEL + 3;
    }
    cn_windows w;
    CHECK(cn_windows_cut(&c, CN_SPLIT_TRAIN, 32, 16, &w) == 0);
    int B = 8, T = 32;
    int *tk = malloc(sizeof(int) * (size_t)(B * T)), *tg = malloc(sizeof(int) * (size_t)(B * T));
    size_t *order = malloc(w.n * sizeof *order);
    cn_windows_order(w.n, 3, order);
    cn_fill_opts o = { -6, 6 };
    int shifted = 0;
    for (size_t first = 0; first + 5 <= w.n; first += 5) {
        cn_windows_fill(&c, &w, order + first, 5, B, &o, 100 + first, tk, tg);
        for (int b = 0; b < 5; b++) {
            const cn_window *win = &w.w[order[first + b]];
            const int *src = c.pieces[win->piece].tok[0] + win->start;
            for (int t = 0; t < T; t++) {
                int x = tk[b * T + t], y = tg[b * T + t];
                CHECK(x >= 0 && x < CN_EV_VOCAB && y >= 0 && y < CN_EV_VOCAB);
                /* same token class as the source, pitch moved by one shift within -6..6 */
                int d = x - src[t];
                if (src[t] < CN_EV_SHIFT) {
                    CHECK(d >= -6 && d <= 6);
                    CHECK((x < CN_EV_NOTE_OFF) == (src[t] < CN_EV_NOTE_OFF));
                    shifted += d != 0;
                } else CHECK(d == 0);
                if (t + 1 < T) CHECK(tg[b * T + t] == tk[b * T + t + 1]);   /* targets are the next inputs */
            }
        }
        for (int b = 5; b < B; b++)
            for (int t = 0; t < T; t++) CHECK(tg[b * T + t] == -1);
    }
    CHECK(shifted > 0);
    /* no augmentation: the exact source */
    cn_fill_opts none = { 0, 0 };
    cn_windows_fill(&c, &w, order, 1, 1, &none, 1, tk, tg);
    CHECK(memcmp(tk, c.pieces[w.w[order[0]].piece].tok[0] + w.w[order[0]].start, sizeof(int) * (size_t)T) == 0);
    /* the same seed gives the same batch */
    int *tk2 = malloc(sizeof(int) * (size_t)(B * T)), *tg2 = malloc(sizeof(int) * (size_t)(B * T));
    cn_windows_fill(&c, &w, order, B, B, &o, 77, tk, tg);
    cn_windows_fill(&c, &w, order, B, B, &o, 77, tk2, tg2);
    CHECK(memcmp(tk, tk2, sizeof(int) * (size_t)(B * T)) == 0 && memcmp(tg, tg2, sizeof(int) * (size_t)(B * T)) == 0);
    free(tk2); free(tg2);
    /* a rank's rows alone equal those rows of the whole batch (transpositions included) */
    int n_real = 5;
    cn_windows_fill(&c, &w, order, n_real, B, &o, 91, tk, tg);
    for (int lo = 0; lo < B; lo += 3) {
        int n = B - lo < 3 ? B - lo : 3;
        tk2 = malloc(sizeof(int) * (size_t)(n * T)); tg2 = malloc(sizeof(int) * (size_t)(n * T));
        cn_windows_fill_rows(&c, &w, order, n_real, lo, n, &o, 91, tk2, tg2);
        CHECK(memcmp(tk + lo * T, tk2, sizeof(int) * (size_t)(n * T)) == 0);
        CHECK(memcmp(tg + lo * T, tg2, sizeof(int) * (size_t)(n * T)) == 0);
        free(tk2); free(tg2);
    }
    free(tk); free(tg); free(order);
    cn_windows_free(&w);
    cn_corpus_free(&c);
}

/* Note encoding: pitches move and keys rotate together, controls are never targets, and
 * some rows have their controls set to "none". */
TEST(fill_note_windows_controls_and_keys) {
    cn_corpus c;
    size_t lens[1] = { 2000 };
    int splits[1] = { CN_SPLIT_TRAIN };
    fake_corpus(&c, 1, lens, splits);
    c.enc = CN_ENC_NOTE; c.vocab_size = CN_NT_VOCAB;
    static const int cycle[] = { CN_NT_KEY + 9 + 12, CN_NT_DENS + 3, CN_NT_VEL + 5, 60, CN_NT_DUR + 2, 64, CN_NT_DUR + 5, CN_NT_SHIFT + 47 };
    for (size_t j = 0; j < 2000; j++) c.pieces[0].tok[0][j] = cycle[j % 8];
    cn_windows w;
    CHECK(cn_windows_cut(&c, CN_SPLIT_TRAIN, 40, 20, &w) == 0);
    int B = 64, T = 40;
    int *tk = malloc(sizeof(int) * (size_t)(B * T)), *tg = malloc(sizeof(int) * (size_t)(B * T));
    size_t *order = malloc(w.n * sizeof *order);
    cn_windows_order(w.n, 5, order);
    cn_fill_opts o = { -5, 6 };
    int count = w.n < (size_t)B ? (int)w.n : B, key_none_rows = 0, dens_none_rows = 0, shifted = 0;
    cn_windows_fill(&c, &w, order, count, B, &o, 9, tk, tg);
    for (int b = 0; b < count; b++) {
        const int *src = c.pieces[0].tok[0] + w.w[order[b]].start;
        int shift = 0, key_none = 0, dens_none = 0;
        for (int t = 0; t < T; t++)
            if (src[t] < CN_NT_DUR) { shift = tk[b * T + t] - src[t]; break; }
        for (int t = 0; t < T; t++) {
            int x = tk[b * T + t], y = tg[b * T + t];
            CHECK(!cn_nt_is_control(y));               /* given, never predicted */
            if (y >= 0 && t + 1 < T) CHECK(y == tk[b * T + t + 1]);
            key_none |= x == CN_NT_KEY_NONE;
            dens_none |= x == CN_NT_DENS_NONE;
            if (src[t] < CN_NT_DUR) CHECK(x == src[t] + shift);   /* every pitch by the same shift */
            else if (src[t] >= CN_NT_KEY && src[t] < CN_NT_KEY_NONE)   /* A minor moved with them */
                CHECK(x == CN_NT_KEY_NONE || x == cn_nt_key_token(((9 + shift) % 12 + 12) % 12, 1));
            else if (src[t] >= CN_NT_DENS && src[t] < CN_NT_DENS_NONE) CHECK(x == src[t] || x == CN_NT_DENS_NONE);
            else CHECK(x == src[t]);
        }
        shifted += shift != 0;
        key_none_rows += key_none; dens_none_rows += dens_none;
    }
    CHECK(shifted > 0);
    CHECKF(key_none_rows > 0 && key_none_rows < count / 2, "%d of %d rows without the key", key_none_rows, count);
    CHECKF(dens_none_rows > 0 && dens_none_rows < count / 2, "%d of %d rows without the density", dens_none_rows, count);
    free(tk); free(tg); free(order);
    cn_windows_free(&w);
    cn_corpus_free(&c);
}

/* The ranks' rows tile the batch, as the thread shards do: B/size each, the first B % size one more. */
TEST(dist_rows_tile_the_batch) {
    for (int B = 1; B <= 70; B++)
        for (int size = 1; size <= B && size <= 9; size++) {
            int next = 0;
            for (int r = 0; r < size; r++) {
                int lo, n;
                cn_dist_rows(B, r, size, &lo, &n);
                CHECK(lo == next);
                CHECK(n == B / size || n == B / size + 1);
                CHECK((n == B / size + 1) == (r < B % size));
                next = lo + n;
            }
            CHECK(next == B);
        }
}

/* ---- corpus loading from real files ---- */

static char tmpdir[256];

static void write_song(const char *name, int base_pitch, int n_notes) {
    cn_song s;
    cn_song_init(&s);
    for (int i = 0; i < n_notes; i++)
        cn_song_add_note(&s, i * 0.5, 0.5, base_pitch + (i * 5) % 12, 60 + (i % 4) * 10, 0);
    cn_song_sort(&s);
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    if (cn_midi_write(path, &s, err, sizeof err)) fprintf(stderr, "write %s: %s\n", path, err);
    cn_song_free(&s);
}

static void write_bytes(const char *name, const char *bytes) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (f) { fputs(bytes, f); fclose(f); }
}

TEST(corpus_loads_splits_and_skips_bad_files) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cn_test_trainer_%ld", (long)getpid());
    mkdir(tmpdir, 0700);
    char names[8][32];
    for (int i = 0; i < 8; i++) { snprintf(names[i], sizeof names[i], "p%d.mid", i); write_song(names[i], 48 + i, 80); }
    write_bytes("broken.mid", "MThd this is not a MIDI file");
    cn_corpus_opts o = cn_corpus_opts_default();
    const char *paths[1] = { tmpdir };
    o.paths = paths; o.n_paths = 1; o.seed = 3;
    FILE *log = tmpfile();
    o.log = log;
    cn_corpus c;
    char err[512] = "";
    CHECKF(cn_corpus_load(&o, &c, err, sizeof err) == 0, "%s", err);
    CHECK(c.n_listed == 9 && c.n_pieces == 8 && c.n_skipped == 1);
    if (log) {   /* the skipped file is named */
        char line[512] = "";
        rewind(log);
        CHECK(fgets(line, sizeof line, log) && strstr(line, "broken.mid"));
        fclose(log);
        o.log = NULL;   /* closed: the loads below must not write to it */
    }
    CHECK(c.pieces_in[0] + c.pieces_in[1] + c.pieces_in[2] == 8);
    CHECK(c.pieces_in[1] >= 1 && c.pieces_in[2] >= 1);
    CHECK(c.tokens[0] > 0 && c.vocab_size == CN_EV_VOCAB);
    int first_split[8];
    for (int i = 0; i < c.n_pieces && i < 8; i++) first_split[i] = c.pieces[i].split;
    cn_corpus_free(&c);
    /* the same seed, the same split */
    CHECK(cn_corpus_load(&o, &c, err, sizeof err) == 0);
    for (int i = 0; i < c.n_pieces && i < 8; i++) CHECK(c.pieces[i].split == first_split[i]);
    cn_corpus_free(&c);

    /* paper encoding: a vocabulary from the training pieces, <unk> counted elsewhere */
    o.enc = CN_ENC_PAPER; o.transpose_lo = -2; o.transpose_hi = 2;
    CHECKF(cn_corpus_load(&o, &c, err, sizeof err) == 0, "%s", err);
    CHECK(c.vocab_size == c.words.n && c.words.n > 1);
    for (int i = 0; i < c.n_pieces; i++)
        CHECK(c.pieces[i].n_var == (c.pieces[i].split == CN_SPLIT_TRAIN ? 5 : 1));
    cn_corpus_free(&c);
}

/* Every token of every piece of c read through the on-demand cache, pieces in a scrambled
 * order, equal to the whole load's; 0, or -1 with the first failure's message. */
static int read_all_pieces(const cn_corpus *c, const cn_corpus *whole, uint64_t seed) {
    size_t order[64];
    int n = c->n_pieces < 64 ? c->n_pieces : 64;
    cn_windows_order((size_t)n, seed, order);
    for (int k = 0; k < n; k++) {
        int i = (int)order[k];
        size_t len = c->pieces[i].n_tok[0];
        int *buf = malloc((len ? len : 1) * sizeof *buf);
        int bad = !buf || cn_tokcache_read(c, i, 0, len, buf) ||
                  memcmp(buf, whole->pieces[i].tok[0], len * sizeof *buf) != 0;
        free(buf);
        if (bad) return -1;
    }
    return 0;
}

TEST(tokcache_keeps_at_most_its_cap_of_shards_open) {
    char dir[400], err[1200] = "", cmd[1000];
    snprintf(dir, sizeof dir, "%s/cache", tmpdir);
    const char *paths[1] = { tmpdir };
    FILE *log = tmpfile();
    CHECKF(cn_tokcache_write(dir, CN_ENC_EVENT, paths, 1, 1, log, err, sizeof err) == 8, "%s", err);   /* a shard a piece */
    if (log) fclose(log);
    cn_corpus_opts o = cn_corpus_opts_default();
    const char *cp[1] = { dir };
    o.paths = cp; o.n_paths = 1;
    cn_corpus whole, c;
    CHECKF(cn_corpus_load(&o, &whole, err, sizeof err) == 0, "%s", err);
    o.on_demand = 1; o.cache_open = 2;
    CHECKF(cn_corpus_load(&o, &c, err, sizeof err) == 0, "%s", err);
    cn_tokcache_counts k;
    for (uint64_t round = 1; round <= 3; round++) CHECKF(read_all_pieces(&c, &whole, round) == 0, "%s", cn_tokcache_error(&c));
    cn_tokcache_stats(&c, &k);
    CHECKF(k.shards == 8 && k.cap == 2 && k.peak_open == 2 && k.open == 2 && k.opens > 8,
           "shards %d cap %d peak %d open %d opens %lu", k.shards, k.cap, k.peak_open, k.open, k.opens);
    /* a piece a shard (piece i in shard i): shard 0 written again (another inode), shard 1
     * removed, shard 4 grown; each named when next reopened, after pieces 2 and 3 closed it */
    snprintf(cmd, sizeof cmd, "cd '%s' && cp shard-00000.tok x && mv x shard-00000.tok && rm shard-00001.tok && "
             "head -c 4 shard-00004.tok >> shard-00004.tok", dir);
    CHECK(system(cmd) == 0);
    static const char *const want[3] = { "shard-00000.tok: changed since the run checked it (another file or time)",
                                         "shard-00001.tok: cannot reopen: No such file or directory",
                                         "shard-00004.tok: changed since the run checked it (another length)" };
    static const int piece[3] = { 0, 1, 4 };
    for (int t = 0; t < 3; t++) {
        int buf[4];
        CHECK(cn_tokcache_read(&c, 2, 0, 1, buf) == 0 && cn_tokcache_read(&c, 3, 0, 1, buf) == 0);
        CHECK(cn_tokcache_read(&c, piece[t], 0, 1, buf) == -1);
        CHECKF(strstr(cn_tokcache_error(&c), want[t]) != NULL, "%s", cn_tokcache_error(&c));
    }
    cn_tokcache_stats(&c, &k);
    CHECK(k.open <= 2);
    cn_corpus_free(&c);
    /* the default cap holds the 8 shards: each is opened once */
    o.cache_open = 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    CHECKF(cn_tokcache_write(dir, CN_ENC_EVENT, paths, 1, 1, NULL, err, sizeof err) == 8, "%s", err);
    CHECKF(cn_corpus_load(&o, &c, err, sizeof err) == 0, "%s", err);
    CHECK(read_all_pieces(&c, &whole, 4) == 0);
    cn_tokcache_stats(&c, &k);
    CHECKF(k.cap == CN_TOKCACHE_OPEN && k.peak_open == 8 && k.opens == 8, "cap %d peak %d opens %lu", k.cap, k.peak_open, k.opens);
    cn_corpus_free(&c);
    cn_corpus_free(&whole);
    CHECK(system(cmd) == 0);
}

TEST(corpus_errors_are_clear) {
    char empty[300], junk[300], err[512] = "";
    snprintf(empty, sizeof empty, "%s/empty", tmpdir);
    snprintf(junk, sizeof junk, "%s/junk", tmpdir);
    mkdir(empty, 0700);
    mkdir(junk, 0700);
    char p[400];
    snprintf(p, sizeof p, "%s/a.mid", junk);
    FILE *f = fopen(p, "wb"); if (f) { fputs("hello", f); fclose(f); }
    snprintf(p, sizeof p, "%s/b.mid", junk);
    f = fopen(p, "wb"); if (f) fclose(f);
    cn_corpus_opts o = cn_corpus_opts_default();
    cn_corpus c;
    const char *e1[1] = { empty };
    o.paths = e1; o.n_paths = 1;
    CHECK(cn_corpus_load(&o, &c, err, sizeof err) == -1);
    CHECKF(strstr(err, "empty corpus") != NULL, "%s", err);
    const char *e2[1] = { junk };
    o.paths = e2;
    CHECK(cn_corpus_load(&o, &c, err, sizeof err) == -1);
    CHECKF(strstr(err, "none of the 2 files") != NULL, "%s", err);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0);
}

TEST(csv_log_has_a_row_an_epoch) {
    cn_history h = {0};
    cn_epoch_row r1 = { 1, 2.5, 2.7, 0.3, 10.0 }, r2 = { 2, 2.0, NAN, NAN, 20.0 };
    CHECK(cn_history_add(&h, &r1) == 0 && cn_history_add(&h, &r2) == 0);
    char path[128], err[256];
    snprintf(path, sizeof path, "/tmp/cn_test_trainer_%ld.csv", (long)getpid());
    CHECK(cn_history_write_csv(&h, path, err, sizeof err) == 0);
    FILE *f = fopen(path, "r");
    char buf[512] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    CHECKF(strcmp(buf, "epoch,train_loss,val_loss,val_accuracy,seconds\n1,2.500000,2.700000,0.300000,10.0\n"
                       "2,2.000000,,,20.0\n") == 0, "%s", buf);
    unlink(path);
    snprintf(path, sizeof path, "/tmp/cn_test_trainer_%ld.svg", (long)getpid());
    CHECK(cn_history_plot_svg(&h, path, "t", err, sizeof err) == 0);
    f = fopen(path, "r");
    n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    CHECK(strstr(buf, "<svg") != NULL);
    unlink(path);
    snprintf(path, sizeof path, "/tmp/cn_test_trainer_%ld.png", (long)getpid());
    CHECK(cn_history_plot(&h, path, "t", err, sizeof err) == 0);
    f = fopen(path, "rb");
    n = f ? fread(buf, 1, 8, f) : 0;
    if (f) fclose(f);
    CHECK(n == 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0);
    unlink(path);
    CHECK(cn_history_write_csv(&h, "/nonexistent-dir/x.csv", err, sizeof err) == -1 && strstr(err, "/nonexistent-dir/x.csv"));
    cn_history_free(&h);
}

TEST(checkpoint_round_trip_and_damage) {
    char err[512] = "";
    cn_model *m = cn_model_new("lstm:8", CN_EV_VOCAB, 5, err, sizeof err);
    CHECKF(m != NULL, "%s", err);
    if (!m) return;
    cn_meta_set(&m->meta, "corpus", "here");
    cn_ckpt_pos pos = { 3, 17, 1234, 0xABCDEFull, 99.5, 12.25, 5, 2.5, 2, 1 };
    cn_history h = {0};
    cn_epoch_row r1 = { 1, 3.0, 2.9, 0.1, 30 }, r2 = { 2, 2.8, NAN, NAN, 60 };
    cn_history_add(&h, &r1); cn_history_add(&h, &r2);
    float *mom = malloc(m->n_params * sizeof *mom);
    for (size_t i = 0; i < m->n_params; i++) mom[i] = (float)i * 0.5f;
    cn_ckpt_array arr[1];
    snprintf(arr[0].name, sizeof arr[0].name, "adam.m");
    arr[0].data = mom; arr[0].n = m->n_params;
    char path[128];
    snprintf(path, sizeof path, "/tmp/cn_test_ckpt_%ld", (long)getpid());
    CHECKF(cn_checkpoint_save(path, m, &pos, &h, "--seed\n7\n", arr, 1, err, sizeof err) == 0, "%s", err);
    cn_checkpoint ck;
    CHECKF(cn_checkpoint_load(path, &ck, err, sizeof err) == 0, "%s", err);
    CHECK(ck.pos.epoch == 3 && ck.pos.batch == 17 && ck.pos.step == 1234 && ck.pos.rng == 0xABCDEFull);
    CHECK(ck.pos.elapsed == 99.5 && ck.pos.loss_sum == 12.25 && ck.pos.loss_batches == 5);
    CHECK(ck.pos.best_val == 2.5 && ck.pos.best_epoch == 2 && ck.pos.since_best == 1);
    CHECK(ck.history.n == 2 && ck.history.rows[0].val_loss == 2.9 && isnan(ck.history.rows[1].val_loss));
    CHECK(ck.config && strcmp(ck.config, "--seed\n7\n") == 0);
    const cn_ckpt_array *a = cn_checkpoint_array(&ck, "adam.m", m->n_params);
    CHECK(a && memcmp(a->data, mom, m->n_params * sizeof *mom) == 0);
    CHECK(cn_checkpoint_array(&ck, "adam.v", m->n_params) == NULL);
    CHECK(ck.model && ck.model->n_params == m->n_params &&
          memcmp(ck.model->params, m->params, m->n_params * sizeof(float)) == 0);
    CHECK(ck.model && cn_meta_get(&ck.model->meta, "corpus") && strcmp(cn_meta_get(&ck.model->meta, "corpus"), "here") == 0);
    cn_checkpoint_free(&ck);

    /* damage: a flipped byte, a truncation, a wrong magic, a missing file */
    FILE *f = fopen(path, "r+b");
    long len = 0;
    if (f) { fseek(f, 0, SEEK_END); len = ftell(f); fseek(f, len / 2, SEEK_SET); int ch = fgetc(f);
             fseek(f, len / 2, SEEK_SET); fputc(ch ^ 0x40, f); fclose(f); }
    CHECK(cn_checkpoint_load(path, &ck, err, sizeof err) == -1 && strstr(err, "checksum") && strstr(err, path));
    CHECK(truncate(path, len / 3) == 0);
    CHECK(cn_checkpoint_load(path, &ck, err, sizeof err) == -1 && strstr(err, path));
    f = fopen(path, "wb");
    if (f) { fputs("CNTMODEL not a checkpoint", f); fclose(f); }
    CHECK(cn_checkpoint_load(path, &ck, err, sizeof err) == -1 && strstr(err, "magic"));
    unlink(path);
    CHECK(cn_checkpoint_load(path, &ck, err, sizeof err) == -1 && strstr(err, path));
    /* an unwritable place: a clear error, nothing left behind */
    CHECK(cn_checkpoint_save("/nonexistent-dir/x.ckpt", m, &pos, &h, "", arr, 1, err, sizeof err) == -1 &&
          strstr(err, "/nonexistent-dir/x.ckpt"));
    free(mom);
    cn_history_free(&h);
    cn_model_free(m);
}

TEST(lr_schedules) {
    CHECK(cn_lr_at(CN_SCHED_CONSTANT, 0.01f, 0.7) == 0.01f);
    CHECK_NEAR(cn_lr_at(CN_SCHED_COSINE, 0.01f, 0.0), 0.01, 1e-9);
    CHECK_NEAR(cn_lr_at(CN_SCHED_COSINE, 0.01f, 0.5), 0.005, 1e-8);
    CHECK_NEAR(cn_lr_at(CN_SCHED_COSINE, 0.01f, 1.0), 0.0, 1e-9);
    CHECK_NEAR(cn_lr_at(CN_SCHED_STEP, 0.01f, 0.1), 0.01, 1e-9);
    CHECK_NEAR(cn_lr_at(CN_SCHED_STEP, 0.01f, 0.3), 0.005, 1e-9);
    CHECK_NEAR(cn_lr_at(CN_SCHED_STEP, 0.01f, 0.99), 0.00125, 1e-9);
    cn_lr_schedule s;
    CHECK(cn_lr_schedule_parse("cosine", &s) == 0 && s == CN_SCHED_COSINE);
    CHECK(cn_lr_schedule_parse("linear", &s) == -1);
}

/* The tie adds strength x (the pitch class's summed gradient) to each of its pitches, in the
 * token-indexed tensors only, and leaves every other token and tensor alone. */
static void check_tie(const char *spec, cn_encoding enc, int V) {
    char err[256];
    cn_model *m = cn_model_new(spec, V, 3, err, sizeof err);
    CHECKF(m != NULL, "%s: %s", spec, err);
    if (!m) return;
    m->encoding = enc;
    float *g = malloc(m->n_params * sizeof *g), *g0 = malloc(m->n_params * sizeof *g0);
    uint64_t rng = cn_rng_seed(11);
    for (size_t i = 0; i < m->n_params; i++) g0[i] = g[i] = 2 * cn_rng_uniform(&rng) - 1;
    cn_tie_octaves(m, g, 0.5f);
    int base[2], nb = cn_tie_pitch_blocks(enc, base);
    const cn_tensor *ob = cn_model_tensor(m, "out.bias");
    for (int k = 0; k < nb; k++)
        for (int c = 0; c < 12; c++) {
            double sum = 0;
            for (int p = c; p < 128; p += 12) sum += g0[ob->offset + (size_t)(base[k] + p)];
            for (int p = c; p < 128; p += 12) {
                size_t i = ob->offset + (size_t)(base[k] + p);
                CHECK_NEAR(g[i] - g0[i], 0.5 * sum, 1e-4);
            }
        }
    /* out.weight [V][H]: row 60 moved with row 72, a token past the pitches did not */
    const cn_tensor *ow = cn_model_tensor(m, "out.weight");
    int H = ow->shape[1];
    size_t r60 = ow->offset + 60 * (size_t)H, r72 = ow->offset + 72 * (size_t)H, rlast = ow->offset + (size_t)(V - 1) * H;
    CHECK_NEAR(g[r60] - g0[r60], g[r72] - g0[r72], 1e-4);
    CHECK(g[r60] != g0[r60]);
    CHECK(g[rlast] == g0[rlast]);
    /* the first layer's column for token 61 moved; the recurrent weights did not */
    const cn_tensor *hh = cn_model_tensor(m, "1.lstm.weight_hh");
    if (hh) CHECK(memcmp(g + hh->offset, g0 + hh->offset, hh->size * sizeof *g) == 0);
    const cn_tensor *w0 = &m->tensors[0];
    size_t col61 = w0->offset + (w0->ndim == 3 ? 61 * (size_t)w0->shape[2] : 61);
    CHECK(g[col61] != g0[col61]);
    /* strength 0 is a no-op */
    memcpy(g, g0, m->n_params * sizeof *g);
    cn_tie_octaves(m, g, 0);
    CHECK(memcmp(g, g0, m->n_params * sizeof *g) == 0);
    free(g); free(g0);
    cn_model_free(m);
}

TEST(octave_tie_shares_a_pitch_class) {
    check_tie("conv1d:8:3,lstm:8", CN_ENC_NOTE, CN_NT_VOCAB);
    check_tie("lstm:8,lstm:8", CN_ENC_EVENT, CN_EV_VOCAB);
    int base[2];
    CHECK(cn_tie_pitch_blocks(CN_ENC_PAPER, base) == 0);
    CHECK(cn_tie_pitch_blocks(CN_ENC_EVENT, base) == 2 && base[1] == CN_EV_NOTE_OFF);
}

/* A warm start copies every tensor by kind and order: dropout layers may be added, and the
 * second LSTM takes the second LSTM's weights though its layer index moved. */
TEST(warm_start_matches_by_kind_and_order) {
    char err[512];
    cn_model *src = cn_model_new("conv1d:8:3,lstm:8,lstm:6,dropout:0.3", CN_NT_VOCAB, 1, err, sizeof err);
    cn_model *dst = cn_model_new("conv1d:8:3,dropout:0.1,lstm:8,dropout:0.2,lstm:6", CN_NT_VOCAB, 2, err, sizeof err);
    CHECK(src && dst);
    if (!src || !dst) { cn_model_free(src); cn_model_free(dst); return; }
    src->encoding = dst->encoding = CN_ENC_NOTE;
    CHECK(src->n_params == dst->n_params);
    CHECK(memcmp(src->params, dst->params, src->n_params * sizeof *src->params) != 0);   /* other seeds */
    CHECK(cn_warmstart(dst, src, "a.cnm", err, sizeof err) == 0);
    CHECK(memcmp(src->params, dst->params, src->n_params * sizeof *src->params) == 0);
    const cn_tensor *a = cn_model_tensor(src, "2.lstm.weight_hh"), *b = cn_model_tensor(dst, "4.lstm.weight_hh");
    CHECK(a && b && a->shape[1] == 6 && b->shape[1] == 6 &&
          memcmp(src->params + a->offset, dst->params + b->offset, a->size * sizeof *src->params) == 0);
    cn_model_free(src); cn_model_free(dst);
}

/* A model whose weights do not fit is refused, naming the file and the tensor, and the run's
 * model is left as it was. */
TEST(warm_start_refuses_what_does_not_fit) {
    char err[512];
    cn_model *dst = cn_model_new("conv1d:8:3,lstm:8", CN_NT_VOCAB, 2, err, sizeof err);
    cn_model *wide = cn_model_new("conv1d:8:3,lstm:16", CN_NT_VOCAB, 1, err, sizeof err);
    cn_model *deep = cn_model_new("conv1d:8:3,lstm:8,lstm:8", CN_NT_VOCAB, 1, err, sizeof err);
    cn_model *other = cn_model_new("conv1d:8:3,lstm:8", CN_EV_VOCAB, 1, err, sizeof err);
    CHECK(dst && wide && deep && other);
    if (!dst || !wide || !deep || !other) goto out;
    dst->encoding = wide->encoding = deep->encoding = CN_ENC_NOTE;
    other->encoding = CN_ENC_EVENT;
    float *before = malloc(dst->n_params * sizeof *before);
    CHECK(before != NULL);
    if (!before) goto out;
    memcpy(before, dst->params, dst->n_params * sizeof *before);
    CHECK(cn_warmstart(dst, wide, "wide.cnm", err, sizeof err) == -1);
    CHECK(strstr(err, "wide.cnm") && strstr(err, "1.lstm.weight_ih") && strstr(err, "64x8"));
    CHECK(cn_warmstart(dst, deep, "deep.cnm", err, sizeof err) == -1);
    CHECK(strstr(err, "deep.cnm") && strstr(err, "does not use"));
    CHECK(cn_warmstart(dst, other, "ev.cnm", err, sizeof err) == -1);
    CHECK(strstr(err, "ev.cnm") && strstr(err, "vocabulary"));
    CHECK(cn_warmstart(deep, dst, "small.cnm", err, sizeof err) == -1);
    CHECK(strstr(err, "small.cnm") && strstr(err, "no tensor for 2.lstm.weight_ih"));
    CHECK(memcmp(before, dst->params, dst->n_params * sizeof *before) == 0);
    free(before);
out:
    cn_model_free(dst); cn_model_free(wide); cn_model_free(deep); cn_model_free(other);
}

int main(void) {
    RUN(split_is_deterministic_by_seed);
    RUN(split_follows_the_report_ratio);
    RUN(split_small_corpora_and_test_dir);
    RUN(windows_count_stride_and_tail);
    RUN(order_is_a_seeded_permutation);
    RUN(shift_range_keeps_notes_in_midi_range);
    RUN(fill_transposes_within_bounds_and_pads);
    RUN(fill_note_windows_controls_and_keys);
    RUN(dist_rows_tile_the_batch);
    RUN(corpus_loads_splits_and_skips_bad_files);
    RUN(tokcache_keeps_at_most_its_cap_of_shards_open);
    RUN(corpus_errors_are_clear);
    RUN(csv_log_has_a_row_an_epoch);
    RUN(checkpoint_round_trip_and_damage);
    RUN(lr_schedules);
    RUN(octave_tie_shares_a_pitch_class);
    RUN(warm_start_matches_by_kind_and_order);
    RUN(warm_start_refuses_what_does_not_fit);
    return test_summary();
}
