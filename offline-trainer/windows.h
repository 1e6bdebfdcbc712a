/* windows.h: training examples cut from a corpus split. A window is seq_len + 1 tokens of
 * one piece: the first seq_len are the input, each next token is the target. Windows are
 * cut with a stride, visited in a seeded shuffled order, and transposed by a random number
 * of semitones for augmentation (never pushing a note outside 0..127), all as pure
 * functions of (seed, position) so that a resumed run sees exactly the same batches. */
#ifndef CONTINUO_WINDOWS_H
#define CONTINUO_WINDOWS_H
#include <stddef.h>
#include <stdint.h>
#include "corpus.h"

typedef struct { uint32_t piece, start; } cn_window;
typedef struct { cn_window *w; size_t n; int seq_len; int short_pieces; } cn_windows;

/* Windows of the pieces of one split, starts 0, stride, 2*stride... plus a last window
 * ending at the piece's end, so that every token is covered. Pieces shorter than
 * seq_len + 1 tokens give none (counted in short_pieces). 0, or -1 on OOM. */
int  cn_windows_cut(const cn_corpus *c, int split, int seq_len, int stride, cn_windows *out);
void cn_windows_free(cn_windows *ws);
/* Keep at most max windows, evenly spaced (a fixed, cheaper validation set). */
void cn_windows_thin(cn_windows *ws, size_t max);

/* A seeded permutation of 0..n-1 (Fisher-Yates). */
void cn_windows_order(size_t n, uint64_t seed, size_t *order);

/* The semitone shifts that keep every NOTE_ON/NOTE_OFF of an event-token run inside
 * 0..127: [*lo, *hi] (0..0 holds when there is nothing to shift). */
void cn_ev_shift_range(const int *tok, size_t n, int *lo, int *hi);
/* Shift the pitches of NOTE_ON/NOTE_OFF tokens by `shift` semitones, in place. The caller
 * keeps shift within cn_ev_shift_range. */
void cn_ev_shift_tokens(int *tok, size_t n, int shift);

typedef struct {
    int transpose_lo, transpose_hi;  /* augmentation range; 0..0 = none */
} cn_fill_opts;

/* Fill a batch: rows 0..count-1 of tokens and targets ([B][seq_len] each) from the windows
 * idx[0..count-1]; rows count..B-1 are padding (token 0, target -1, which the loss ignores).
 * `seed` decides each row's transposition. 0, or -1 when a window could not be read from a
 * token cache loaded on demand (cn_tokcache_error says why) or out of memory. */
int cn_windows_fill(const cn_corpus *c, const cn_windows *ws, const size_t *idx, int count, int B,
                    const cn_fill_opts *o, uint64_t seed, int *tokens, int *targets);
/* Rows lo..lo+n-1 of that same batch alone, into tokens/targets [n][seq_len]: what one rank of
 * a data-parallel run reads of a global batch, equal row for row to the whole fill. */
int cn_windows_fill_rows(const cn_corpus *c, const cn_windows *ws, const size_t *idx, int count, int lo, int n,
                         const cn_fill_opts *o, uint64_t seed, int *tokens, int *targets);
#endif
