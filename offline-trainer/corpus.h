/* corpus.h: a training corpus: MIDI files read and encoded into token streams, one piece
 * per file, split by piece into train / validation / test sets, deterministically by seed.
 * Files that do not parse are skipped with their message; a corpus where nothing parses is
 * an error. For the paper encoding the vocabulary is built from the training pieces only
 * (at every augmentation transposition), and unseen tokens in val/test map to <unk> and
 * are counted. */
#ifndef CONTINUO_CORPUS_H
#define CONTINUO_CORPUS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "tokens.h"

enum { CN_SPLIT_TRAIN = 0, CN_SPLIT_VAL = 1, CN_SPLIT_TEST = 2, CN_N_SPLITS = 3 };
const char *cn_split_name(int split);   /* "train" | "val" | "test" */

/* One piece. Variant k holds the tokens transposed by var_lo + k semitones. The event and
 * note encodings keep only variant 0 (they transpose tokens per window, see windows.h); the
 * paper encoding pre-encodes every transposition of the augmentation range for training
 * pieces, because its chord tokens cannot be shifted in place. A token cache loaded on
 * demand leaves tok[0] NULL (n_tok[0] is known): read the tokens with cn_corpus_tokens. */
typedef struct {
    char *path;
    int split;
    int n_var, var_lo;
    int **tok; size_t *n_tok;
} cn_piece;

typedef struct {
    cn_encoding enc;
    const char *const *paths; int n_paths;  /* folders, MIDI files, or @LIST files (one path a line) */
    const char *test_dir;                   /* NULL, or a separate test set (then no test share is cut) */
    uint64_t seed;                          /* the split */
    int ratio[CN_N_SPLITS];                 /* pieces train:val:test, default 10:3:3 as in the report */
    int transpose_lo, transpose_hi;         /* augmentation range in semitones (paper pre-encodes it) */
    FILE *log;                              /* skipped-file messages; NULL = silent */
    int on_demand;                          /* a token cache: read windows as they are needed (tokcache.h) */
    int cache_open;                         /* a token cache: shard files open at most at once (0 = CN_TOKCACHE_OPEN) */
} cn_corpus_opts;

typedef struct {
    cn_encoding enc;
    int vocab_size;                 /* CN_EV_VOCAB, or words.n for paper */
    cn_vocab words;                 /* paper only */
    cn_piece *pieces; int n_pieces; /* pieces that parsed, in path order */
    int n_listed, n_skipped;        /* files found, files that did not parse */
    size_t tokens[CN_N_SPLITS];     /* untransposed tokens per split */
    size_t unk[CN_N_SPLITS];        /* paper: tokens mapped to <unk> per split */
    int pieces_in[CN_N_SPLITS];
    int seen_in_train;              /* distinct token ids in the training split (coverage) */
    void *cache;                    /* the token cache the pieces come from (tokcache.h), or NULL */
} cn_corpus;

cn_corpus_opts cn_corpus_opts_default(void);

/* The split alone: assigns each of n pieces (by index in sorted path order) to a split.
 * Deterministic by seed; at least one training piece; a validation piece when n >= 2 and a
 * test piece when n >= 3 (unless has_test_dir, which leaves test empty). */
void cn_split_assign(int n, const int ratio[CN_N_SPLITS], uint64_t seed, int has_test_dir, int *split_out);

/* Load, encode and split. 0, or -1 with err: the corpus is empty, nothing parses, a list
 * file cannot be read, out of memory. A single path that is a token cache (tokcache.h) is
 * loaded from the cache instead. */
int cn_corpus_load(const cn_corpus_opts *o, cn_corpus *c, char *err, size_t errlen);
void cn_corpus_free(cn_corpus *c);

/* The steps of a load, shared with the token cache's writer (tokcache.c) so that both read
 * and encode a file alike. cn_corpus_list: every MIDI file the paths name, in order (folders
 * sorted, "@FILE" one path a line, '#' comments); the count and *out (cn_midi_list_free), or
 * -1 with err. cn_corpus_read_song: 0 and *song, or 1 when the file is skipped (it does not
 * parse or has no notes: the message on log, NULL = silent). cn_corpus_encode: the song's
 * tokens transposed by t, its end trimmed to a bar after the music (words and *unk: paper
 * only); 0, or -1 out of memory. */
int cn_corpus_list(const char *const *paths, int n_paths, char ***out, char *err, size_t errlen);
int cn_corpus_read_song(const char *path, FILE *log, cn_song *song);
int cn_corpus_encode(cn_encoding enc, const cn_song *s, int t, const cn_vocab *words, int **tok, size_t *n,
                     size_t *unk);

/* Marks the ids of tok[0..n) below vocab in seen (the coverage count). */
void cn_corpus_see(const int *tok, size_t n, int vocab, unsigned char *seen);

/* n tokens of piece i's variant var from start: a pointer into the loaded tokens, or, for a
 * cache loaded on demand, buf (n ints) after reading them from the shard. NULL when the read
 * failed (cn_tokcache_error says why). */
const int *cn_corpus_tokens(const cn_corpus *c, int piece, int var, size_t start, size_t n, int *buf);

/* Copy of the vocabulary (to hand to a model, which owns and frees its own). */
int cn_vocab_copy(const cn_vocab *src, cn_vocab *dst);

/* A short human report: files, skipped, pieces and tokens per split, vocabulary and coverage. */
void cn_corpus_report(const cn_corpus *c, FILE *out);
#endif
