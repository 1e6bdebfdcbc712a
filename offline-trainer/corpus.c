/* corpus.c: reading a corpus of MIDI files into token streams and splitting it by piece
 * (see corpus.h). Reading, splitting and encoding are separate steps so that the paper
 * vocabulary can be built from the training pieces before anything is encoded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "corpus.h"
#include "midi.h"
#include "rng.h"
#include "tokcache.h"

const char *cn_split_name(int split) {
    return split == CN_SPLIT_TRAIN ? "train" : split == CN_SPLIT_VAL ? "val" : "test";
}

cn_corpus_opts cn_corpus_opts_default(void) {
    cn_corpus_opts o;
    memset(&o, 0, sizeof o);
    o.enc = CN_ENC_EVENT;
    o.seed = 1;
    o.ratio[CN_SPLIT_TRAIN] = 10; o.ratio[CN_SPLIT_VAL] = 3; o.ratio[CN_SPLIT_TEST] = 3;
    return o;
}

static int share(int n, int part, int total) {
    return total > 0 ? (int)((double)n * part / total + 0.5) : 0;
}

void cn_split_assign(int n, const int ratio[CN_N_SPLITS], uint64_t seed, int has_test_dir, int *split_out) {
    if (n <= 0) return;
    int r_train = ratio[CN_SPLIT_TRAIN] > 0 ? ratio[CN_SPLIT_TRAIN] : 1;
    int r_val = ratio[CN_SPLIT_VAL] > 0 ? ratio[CN_SPLIT_VAL] : 0;
    int r_test = has_test_dir ? 0 : (ratio[CN_SPLIT_TEST] > 0 ? ratio[CN_SPLIT_TEST] : 0);
    int total = r_train + r_val + r_test;
    int n_val = share(n, r_val, total), n_test = share(n, r_test, total);
    /* small corpora still get a validation piece (early stopping needs one) and a test piece */
    if (r_val && n_val == 0 && n >= 2) n_val = 1;
    if (r_test && n_test == 0 && n >= 3) n_test = 1;
    while (n_val + n_test > n - 1) { if (n_test > 0) n_test--; else n_val--; }

    /* a seeded Fisher-Yates permutation of the piece indices: test first, then val, then train */
    int *perm = malloc((size_t)n * sizeof *perm);
    uint64_t rng = cn_rng_seed(seed ^ 0x5EED5B117ull);
    if (!perm) {   /* no memory for the permutation: fall back to a fixed stride pattern */
        for (int i = 0; i < n; i++) split_out[i] = CN_SPLIT_TRAIN;
        for (int i = 0; i < n_test; i++) split_out[n - 1 - i] = CN_SPLIT_TEST;
        for (int i = 0; i < n_val; i++) split_out[n - 1 - n_test - i] = CN_SPLIT_VAL;
        return;
    }
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(cn_rng_next(&rng) % (uint64_t)(i + 1));
        int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    for (int k = 0; k < n; k++)
        split_out[perm[k]] = k < n_test ? CN_SPLIT_TEST : k < n_test + n_val ? CN_SPLIT_VAL : CN_SPLIT_TRAIN;
    free(perm);
}

/* ---- listing ---- */

/* "@FILE": one path a line; blank lines and lines starting with '#' are skipped. */
static int list_add_listfile(char ***l, int *n, const char *listfile, char *err, size_t errlen) {
    FILE *f = fopen(listfile, "r");
    if (!f) { snprintf(err, errlen, "%s: cannot read the file list: %s", listfile, strerror(errno)); return -1; }
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        line[len] = 0;
        if (len == 0 || line[0] == '#') continue;
        rc = cn_midi_list_append(line, l, n, err, errlen) < 0 ? -1 : 0;
    }
    fclose(f);
    return rc;
}

int cn_corpus_list(const char *const *paths, int n_paths, char ***out, char *err, size_t errlen) {
    char **l = NULL;
    int n = 0, rc = 0;
    for (int i = 0; rc == 0 && i < n_paths; i++)
        rc = paths[i][0] == '@' ? list_add_listfile(&l, &n, paths[i] + 1, err, errlen)
                                : cn_midi_list_append(paths[i], &l, &n, err, errlen) < 0 ? -1 : 0;
    if (rc) { cn_midi_list_free(l, n); return -1; }
    *out = l;
    return n;
}

int cn_corpus_read_song(const char *path, FILE *log, cn_song *song) {
    cn_midi_opts mo = cn_midi_opts_default();
    char msg[512];
    if (cn_midi_read(path, &mo, song, msg, sizeof msg)) {   /* leaves song freeable */
        if (log) fprintf(log, "skipped %s\n", msg);
        cn_song_free(song);
        return 1;
    }
    if (song->n_notes == 0) {
        if (log) fprintf(log, "skipped %s: no notes\n", path);
        cn_song_free(song);
        return 1;
    }
    return 0;
}

/* ---- encoding ---- */

static void piece_free(cn_piece *p) {
    if (p->tok)
        for (int k = 0; k < p->n_var; k++) free(p->tok[k]);
    free(p->tok); free(p->n_tok); free(p->path);
    memset(p, 0, sizeof *p);
}

static int piece_alloc(cn_piece *p, int n_var, int var_lo) {
    p->n_var = n_var; p->var_lo = var_lo;
    p->tok = calloc((size_t)n_var, sizeof *p->tok);
    p->n_tok = calloc((size_t)n_var, sizeof *p->n_tok);
    return p->tok && p->n_tok ? 0 : -1;
}

void cn_corpus_free(cn_corpus *c) {
    cn_tokcache_release(c);   /* an on-demand piece holds no tokens, only its length */
    for (int i = 0; i < c->n_pieces; i++) piece_free(&c->pieces[i]);
    free(c->pieces);
    cn_vocab_free(&c->words);
    memset(c, 0, sizeof *c);
}

int cn_vocab_copy(const cn_vocab *src, cn_vocab *dst) {
    dst->n = 0;
    dst->names = NULL;
    if (src->n <= 0) return 0;
    dst->names = calloc((size_t)src->n, sizeof *dst->names);
    if (!dst->names) return -1;
    dst->n = src->n;
    for (int i = 0; i < src->n; i++)
        if (!(dst->names[i] = strdup(src->names[i]))) { cn_vocab_free(dst); return -1; }
    return 0;
}

/* The paper vocabulary from every training piece at every augmentation transposition. */
static int build_paper_vocab(cn_corpus *c, const cn_song *songs, int lo, int hi) {
    char **all = NULL;
    size_t n_all = 0, cap = 0;
    int rc = 0;
    for (int i = 0; rc == 0 && i < c->n_pieces; i++) {
        if (c->pieces[i].split != CN_SPLIT_TRAIN) continue;
        for (int t = lo < 0 ? lo : 0; rc == 0 && t <= (hi > 0 ? hi : 0); t++) {
            char **strs = NULL; size_t n = 0;
            if (cn_paper_strings(&songs[i], t, &strs, &n)) { rc = -1; break; }
            if (n_all + n > cap) {
                size_t ncap = (n_all + n) * 2 + 1024;
                char **na = realloc(all, ncap * sizeof *na);
                if (!na) { cn_paper_strings_free(strs, n); rc = -1; break; }
                all = na; cap = ncap;
            }
            memcpy(all + n_all, strs, n * sizeof *strs);
            n_all += n;
            free(strs);   /* the strings now belong to `all` */
        }
    }
    if (rc == 0) rc = cn_vocab_build(&c->words, all, n_all);
    if (all) cn_paper_strings_free(all, n_all);
    return rc;
}

/* The song's end, at most a bar (4 beats) after its last note ends: a few files carry hundreds
 * of beats of silence after the music (mz_311_2.mid: 1,165), which would teach the model to
 * fall silent, with its key control "none". */
#define TAIL_BEATS 4.0
static double music_end(const cn_song *s) {
    double last = 0;
    for (size_t i = 0; i < s->n_notes; i++)
        if (s->notes[i].start_beat + s->notes[i].dur_beat > last) last = s->notes[i].start_beat + s->notes[i].dur_beat;
    return s->end_beat < last + TAIL_BEATS ? s->end_beat : last + TAIL_BEATS;
}

int cn_corpus_encode(cn_encoding enc, const cn_song *whole, int t, const cn_vocab *words, int **tok, size_t *n,
                     size_t *unk) {
    cn_song trimmed = *whole;   /* a view: only the end moves */
    trimmed.end_beat = music_end(whole);
    *unk = 0;
    return enc == CN_ENC_EVENT ? cn_ev_encode(&trimmed, t, tok, n)
         : enc == CN_ENC_NOTE  ? cn_nt_encode(&trimmed, t, -1, -1, tok, n)
                               : cn_paper_encode(&trimmed, words, t, tok, n, unk);
}

static int encode_piece(cn_corpus *c, cn_piece *p, const cn_song *song, const cn_corpus_opts *o) {
    int augment = p->split == CN_SPLIT_TRAIN && c->enc == CN_ENC_PAPER;
    /* the range always holds 0: the untransposed tokens are variant -var_lo */
    int lo = augment && o->transpose_lo < 0 ? o->transpose_lo : 0;
    int hi = augment && o->transpose_hi > 0 ? o->transpose_hi : 0;
    if (piece_alloc(p, hi - lo + 1, lo)) return -1;
    for (int t = lo; t <= hi; t++) {
        int k = t - lo;
        size_t unk = 0;
        if (cn_corpus_encode(c->enc, song, t, &c->words, &p->tok[k], &p->n_tok[k], &unk)) return -1;
        if (t == 0) { c->tokens[p->split] += p->n_tok[k]; c->unk[p->split] += unk; }
    }
    return 0;
}

const int *cn_corpus_tokens(const cn_corpus *c, int piece, int var, size_t start, size_t n, int *buf) {
    const cn_piece *p = &c->pieces[piece];
    if (p->tok[var]) return p->tok[var] + start;
    return cn_tokcache_read(c, piece, start, n, buf) ? NULL : buf;
}

/* The files of the corpus and of the test set, listed. 0, or -1 with err. */
static int list_inputs(const cn_corpus_opts *o, char ***main_l, int *n_main, char ***test_l, int *n_test,
                       char *err, size_t errlen) {
    *main_l = *test_l = NULL;
    *n_main = *n_test = 0;
    if ((*n_main = cn_corpus_list(o->paths, o->n_paths, main_l, err, errlen)) < 0) return -1;
    if (o->test_dir && (*n_test = cn_corpus_list(&o->test_dir, 1, test_l, err, errlen)) < 0) *n_test = 0;
    else if (*n_main == 0)
        snprintf(err, errlen, "empty corpus: no MIDI files (.mid, .midi) in %s%s",
                 o->n_paths ? o->paths[0] : "(no path given)", o->n_paths > 1 ? " and the other paths" : "");
    else if (o->test_dir && *n_test == 0)
        snprintf(err, errlen, "%s: the test set holds no MIDI files (.mid, .midi)", o->test_dir);
    else return 0;
    cn_midi_list_free(*main_l, *n_main);
    cn_midi_list_free(*test_l, *n_test);
    return -1;
}

/* Every listed file read (the bad ones reported and skipped) into c's pieces and songs;
 * the main pieces come first, in path order. The count of main pieces, or -1 with err. */
static int read_songs(cn_corpus *c, cn_song *songs, char **main_l, int n_main_l, char **test_l, int n_test_l,
                      const cn_corpus_opts *o, char *err, size_t errlen) {
    int n_main = 0;
    for (int i = 0; i < n_main_l + n_test_l; i++) {
        int from_test = i >= n_main_l;
        const char *path = from_test ? test_l[i - n_main_l] : main_l[i];
        if (cn_corpus_read_song(path, o->log, &songs[c->n_pieces])) { c->n_skipped++; continue; }
        cn_piece *p = &c->pieces[c->n_pieces++];
        p->split = from_test ? CN_SPLIT_TEST : CN_SPLIT_TRAIN;
        if (!(p->path = strdup(path))) { snprintf(err, errlen, "out of memory"); return -1; }
        if (!from_test) n_main++;
    }
    if (n_main == 0) {
        snprintf(err, errlen, "no usable MIDI file: none of the %d file%s in %s parsed (see the messages above)",
                 n_main_l, n_main_l == 1 ? "" : "s", o->n_paths ? o->paths[0] : "the corpus");
        return -1;
    }
    return n_main;
}

/* The split of the main pieces, the vocabulary (paper) and every piece's tokens. */
static int split_and_encode(cn_corpus *c, const cn_song *songs, int n_main, const cn_corpus_opts *o,
                            char *err, size_t errlen) {
    int *split = malloc((size_t)n_main * sizeof *split);
    if (!split) { snprintf(err, errlen, "out of memory"); return -1; }
    cn_split_assign(n_main, o->ratio, o->seed, o->test_dir != NULL, split);
    for (int i = 0; i < n_main; i++) c->pieces[i].split = split[i];
    free(split);
    if (c->enc == CN_ENC_PAPER && build_paper_vocab(c, songs, o->transpose_lo, o->transpose_hi)) {
        snprintf(err, errlen, "out of memory while building the paper vocabulary");
        return -1;
    }
    c->vocab_size = c->enc == CN_ENC_EVENT ? CN_EV_VOCAB : c->enc == CN_ENC_NOTE ? CN_NT_VOCAB : c->words.n;
    for (int i = 0; i < c->n_pieces; i++) {
        cn_piece *p = &c->pieces[i];
        if (encode_piece(c, p, &songs[i], o)) { snprintf(err, errlen, "%s: out of memory while encoding", p->path); return -1; }
        c->pieces_in[p->split]++;
    }
    return 0;
}

void cn_corpus_see(const int *tok, size_t n, int vocab, unsigned char *seen) {
    for (size_t j = 0; j < n; j++)
        if (tok[j] >= 0 && tok[j] < vocab) seen[tok[j]] = 1;
}

/* Coverage: distinct ids the training split uses. */
static void count_coverage(cn_corpus *c) {
    unsigned char *seen = calloc((size_t)c->vocab_size, 1);
    if (!seen) return;
    for (int i = 0; i < c->n_pieces; i++) {
        const cn_piece *p = &c->pieces[i];
        if (p->split != CN_SPLIT_TRAIN) continue;
        for (int k = 0; k < p->n_var; k++) cn_corpus_see(p->tok[k], p->n_tok[k], c->vocab_size, seen);
    }
    for (int v = 0; v < c->vocab_size; v++) c->seen_in_train += seen[v];
    free(seen);
}

int cn_corpus_load(const cn_corpus_opts *o, cn_corpus *c, char *err, size_t errlen) {
    if (o->n_paths == 1 && o->paths[0][0] != '@' && cn_tokcache_is(o->paths[0])) return cn_tokcache_load(o->paths[0], o, c, err, errlen);
    memset(c, 0, sizeof *c);
    c->enc = o->enc;
    if (o->transpose_lo > o->transpose_hi || o->transpose_lo < -24 || o->transpose_hi > 24) {
        snprintf(err, errlen, "transposition range %d..%d: expected LO..HI within -24..24",
                 o->transpose_lo, o->transpose_hi);
        return -1;
    }
    char **main_l, **test_l;
    int n_main_l, n_test_l;
    if (list_inputs(o, &main_l, &n_main_l, &test_l, &n_test_l, err, errlen)) return -1;
    int n_listed = n_main_l + n_test_l;
    c->n_listed = n_listed;
    c->pieces = calloc((size_t)n_listed, sizeof *c->pieces);
    cn_song *songs = calloc((size_t)n_listed, sizeof *songs);
    int rc = -1;
    if (!c->pieces || !songs) snprintf(err, errlen, "out of memory for %d files", n_listed);
    else {
        int n_main = read_songs(c, songs, main_l, n_main_l, test_l, n_test_l, o, err, errlen);
        rc = n_main < 0 ? -1 : split_and_encode(c, songs, n_main, o, err, errlen);
    }
    cn_midi_list_free(main_l, n_main_l);
    cn_midi_list_free(test_l, n_test_l);
    for (int i = 0; songs && i < c->n_pieces; i++) cn_song_free(&songs[i]);
    free(songs);
    if (rc == 0) count_coverage(c);
    else cn_corpus_free(c);
    return rc;
}

void cn_corpus_report(const cn_corpus *c, FILE *out) {
    fprintf(out, "corpus: %d %s, %d parsed, %d skipped; encoding %s, vocabulary %d\n",
            c->n_listed, cn_plural(c->n_listed, "file", "files"), c->n_pieces, c->n_skipped,
            cn_encoding_name(c->enc), c->vocab_size);
    for (int s = 0; s < CN_N_SPLITS; s++) {
        fprintf(out, "  %-5s %4d %-6s %9zu tokens", cn_split_name(s), c->pieces_in[s],
                cn_plural(c->pieces_in[s], "piece", "pieces"), c->tokens[s]);
        if (c->enc == CN_ENC_PAPER && s != CN_SPLIT_TRAIN)
            fprintf(out, ", %zu unseen in training -> <unk> (%.2f%%)", c->unk[s],
                    c->tokens[s] ? 100.0 * (double)c->unk[s] / (double)c->tokens[s] : 0.0);
        fputc('\n', out);
    }
    fprintf(out, "  coverage: the training pieces use %d of the %d tokens (%.1f%%)\n", c->seen_in_train,
            c->vocab_size, c->vocab_size ? 100.0 * c->seen_in_train / c->vocab_size : 0.0);
}
