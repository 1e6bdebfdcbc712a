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

typedef struct { char **v; int n, cap; } path_list;

static int list_push(path_list *l, const char *p) {
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        char **nv = realloc(l->v, (size_t)cap * sizeof *nv);
        if (!nv) return -1;
        l->v = nv; l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(p))) return -1;
    l->n++;
    return 0;
}

static void list_free(path_list *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL; l->n = l->cap = 0;
}

static int list_add_path(path_list *l, const char *path, char *err, size_t errlen) {
    char **found = NULL;
    int n = cn_midi_list(path, &found, err, errlen);
    if (n < 0) return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) rc = list_push(l, found[i]);
    cn_midi_list_free(found, n);
    if (rc) snprintf(err, errlen, "%s: out of memory while listing", path);
    return rc;
}

/* "@FILE": one path a line; blank lines and lines starting with '#' are skipped. */
static int list_add_listfile(path_list *l, const char *listfile, char *err, size_t errlen) {
    FILE *f = fopen(listfile, "r");
    if (!f) { snprintf(err, errlen, "%s: cannot read the file list: %s", listfile, strerror(errno)); return -1; }
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        line[len] = 0;
        if (len == 0 || line[0] == '#') continue;
        rc = list_add_path(l, line, err, errlen);
    }
    fclose(f);
    return rc;
}

static int list_add(path_list *l, const char *arg, char *err, size_t errlen) {
    return arg[0] == '@' ? list_add_listfile(l, arg + 1, err, errlen) : list_add_path(l, arg, err, errlen);
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
    cn_tokcache_release(c);   /* the pieces' tokens are mapped, not allocated */
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

static int encode_piece(cn_corpus *c, cn_piece *p, const cn_song *whole, const cn_corpus_opts *o) {
    cn_song trimmed = *whole;   /* a view: only the end moves */
    trimmed.end_beat = music_end(whole);
    const cn_song *song = &trimmed;
    int augment = p->split == CN_SPLIT_TRAIN && c->enc == CN_ENC_PAPER;
    /* the range always holds 0: the untransposed tokens are variant -var_lo */
    int lo = augment && o->transpose_lo < 0 ? o->transpose_lo : 0;
    int hi = augment && o->transpose_hi > 0 ? o->transpose_hi : 0;
    if (piece_alloc(p, hi - lo + 1, lo)) return -1;
    for (int t = lo; t <= hi; t++) {
        int k = t - lo;
        size_t unk = 0;
        int rc = c->enc == CN_ENC_EVENT ? cn_ev_encode(song, t, &p->tok[k], &p->n_tok[k])
               : c->enc == CN_ENC_NOTE  ? cn_nt_encode(song, t, -1, -1, &p->tok[k], &p->n_tok[k])
                                        : cn_paper_encode(song, &c->words, t, &p->tok[k], &p->n_tok[k], &unk);
        if (rc) return -1;
        if (t == 0) { c->tokens[p->split] += p->n_tok[k]; c->unk[p->split] += unk; }
    }
    return 0;
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
    path_list main_list = {0}, test_list = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < o->n_paths; i++) rc = list_add(&main_list, o->paths[i], err, errlen);
    if (rc == 0 && o->test_dir) rc = list_add(&test_list, o->test_dir, err, errlen);
    if (rc) { list_free(&main_list); list_free(&test_list); return -1; }
    if (main_list.n == 0) {
        snprintf(err, errlen, "empty corpus: no MIDI files (.mid, .midi) in %s%s",
                 o->n_paths ? o->paths[0] : "(no path given)", o->n_paths > 1 ? " and the other paths" : "");
        list_free(&main_list); list_free(&test_list);
        return -1;
    }
    if (o->test_dir && test_list.n == 0) {
        snprintf(err, errlen, "%s: the test set holds no MIDI files (.mid, .midi)", o->test_dir);
        list_free(&main_list); list_free(&test_list);
        return -1;
    }

    int n_listed = main_list.n + test_list.n, n_main_listed = main_list.n;
    c->n_listed = n_listed;
    c->pieces = calloc((size_t)n_listed, sizeof *c->pieces);
    cn_song *songs = calloc((size_t)n_listed, sizeof *songs);
    if (!c->pieces || !songs) {
        snprintf(err, errlen, "out of memory for %d files", n_listed);
        free(songs); list_free(&main_list); list_free(&test_list); cn_corpus_free(c);
        return -1;
    }

    /* read every file; the bad ones are reported and skipped */
    cn_midi_opts mo = cn_midi_opts_default();
    int n_main = 0;
    for (int i = 0; i < n_listed; i++) {
        int from_test = i >= main_list.n;
        const char *path = from_test ? test_list.v[i - main_list.n] : main_list.v[i];
        char msg[512];
        cn_song song;   /* cn_midi_read initialises it, and leaves it freeable on failure */
        if (cn_midi_read(path, &mo, &song, msg, sizeof msg)) {
            if (o->log) fprintf(o->log, "skipped %s\n", msg);
            c->n_skipped++;
            cn_song_free(&song);
            continue;
        }
        if (song.n_notes == 0) {
            if (o->log) fprintf(o->log, "skipped %s: no notes\n", path);
            c->n_skipped++;
            cn_song_free(&song);
            continue;
        }
        cn_piece *p = &c->pieces[c->n_pieces];
        p->path = strdup(path);
        p->split = from_test ? CN_SPLIT_TEST : CN_SPLIT_TRAIN;
        songs[c->n_pieces] = song;
        c->n_pieces++;
        if (!p->path) { rc = -1; snprintf(err, errlen, "out of memory"); break; }
        if (!from_test) n_main++;
    }
    list_free(&main_list);
    list_free(&test_list);
    if (rc == 0 && n_main == 0) {
        snprintf(err, errlen, "no usable MIDI file: none of the %d file%s in %s parsed (see the messages above)",
                 n_main_listed, n_main_listed == 1 ? "" : "s",
                 o->n_paths ? o->paths[0] : "the corpus");
        rc = -1;
    }

    if (rc == 0) {
        /* the main pieces come first, in path order: split them by seed */
        int *split = malloc((size_t)(n_main > 0 ? n_main : 1) * sizeof *split);
        if (!split) { rc = -1; snprintf(err, errlen, "out of memory"); }
        else {
            cn_split_assign(n_main, o->ratio, o->seed, o->test_dir != NULL, split);
            for (int i = 0; i < n_main; i++) c->pieces[i].split = split[i];
            free(split);
        }
    }
    if (rc == 0 && c->enc == CN_ENC_PAPER && build_paper_vocab(c, songs, o->transpose_lo, o->transpose_hi)) {
        rc = -1; snprintf(err, errlen, "out of memory while building the paper vocabulary");
    }
    if (rc == 0) c->vocab_size = c->enc == CN_ENC_EVENT ? CN_EV_VOCAB : c->enc == CN_ENC_NOTE ? CN_NT_VOCAB : c->words.n;
    for (int i = 0; rc == 0 && i < c->n_pieces; i++) {
        cn_piece *p = &c->pieces[i];
        if (encode_piece(c, p, &songs[i], o)) { rc = -1; snprintf(err, errlen, "%s: out of memory while encoding", p->path); }
        c->pieces_in[p->split]++;
    }
    for (int i = 0; i < c->n_pieces; i++) cn_song_free(&songs[i]);
    free(songs);

    if (rc == 0) {   /* coverage: distinct ids the training split uses */
        unsigned char *seen = calloc((size_t)c->vocab_size, 1);
        if (seen) {
            for (int i = 0; i < c->n_pieces; i++) {
                const cn_piece *p = &c->pieces[i];
                if (p->split != CN_SPLIT_TRAIN) continue;
                for (int k = 0; k < p->n_var; k++)
                    for (size_t j = 0; j < p->n_tok[k]; j++)
                        if (p->tok[k][j] >= 0 && p->tok[k][j] < c->vocab_size) seen[p->tok[k][j]] = 1;
            }
            for (int v = 0; v < c->vocab_size; v++) c->seen_in_train += seen[v];
            free(seen);
        }
    }
    if (rc) cn_corpus_free(c);
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
