/* ngram.h: an interpolated Kneser-Ney n-gram model over token ids, the counting baseline
 * that a network must beat ("does the network beat counting?").
 *
 * Training takes token sequences; each is padded on the left with order-1 BOS symbols.
 * Every level k = 1..max_order keeps its k-grams sorted, packed into 64-bit keys, with the
 * raw count (used when k is the top order) and the continuation count, the number of
 * distinct tokens seen before the k-gram (used when k is a lower order). One absolute
 * discount per level and per kind of count, D = n1 / (n1 + 2 n2) (Ney et al.).
 * The probability interpolates down to the uniform distribution over V, so it is never 0:
 *   p_k(w|h) = max(c(h w) - D, 0) / c(h) + D N1+(h .) / c(h) * p_{k-1}(w|h')
 * and p_k = p_{k-1} when the context h was never seen. Any order 1..max_order can be used
 * with the same counts, which is how the order is chosen on validation data. */
#ifndef CONTINUO_NGRAM_H
#define CONTINUO_NGRAM_H
#include <stddef.h>
#include <stdint.h>

#define CN_NGRAM_MAX_ORDER 10

typedef struct {
    int n;                 /* distinct k-grams */
    uint64_t *keys;        /* sorted; token i of the gram in bits [(k-1-i)*bits, ...) */
    uint32_t *raw;         /* occurrences */
    uint32_t *kn;          /* distinct left neighbours (levels below max_order) */
    double d_raw, d_kn;    /* discounts */
} cn_ngram_level;

typedef struct {
    int vocab;             /* V real tokens, 0..V-1; BOS is V */
    int max_order;         /* levels built */
    int bits;              /* bits per token in a key */
    cn_ngram_level level[CN_NGRAM_MAX_ORDER + 1];   /* [1..max_order] */
    uint64_t n_train;      /* tokens counted */
    int score_below;       /* only targets below this are scored (V; note models: not the
                              controls, which are given, never predicted) */
} cn_ngram;

/* Count the sequences. max_order is lowered to what fits in 64-bit keys (64 / bits).
 * Tokens outside 0..V-1 are refused. 0, or -1 with err. */
int cn_ngram_train(cn_ngram *g, int vocab, int max_order, const int *const *seqs,
                   const size_t *lens, int n_seqs, char *err, size_t errlen);
void cn_ngram_free(cn_ngram *g);

/* The next-token distribution under order `order` (1..max_order) after the context
 * ctx[0..n_ctx-1] (oldest first; missing history counts as BOS). probs gets V values
 * that sum to 1. */
void cn_ngram_probs(const cn_ngram *g, int order, const int *ctx, int n_ctx, double *probs);

typedef struct {
    uint64_t tokens;       /* predictions scored */
    double cross_entropy;  /* mean -ln p(target), nats per token */
    double accuracy;       /* fraction where the most probable token was the target */
} cn_ngram_score;

/* Score the tokens of every sequence from position `skip` on (the history before a position
 * is the sequence's own, BOS-padded; skip = 1 scores what a network primed with the first
 * token predicts). scratch: V doubles. */
cn_ngram_score cn_ngram_eval(const cn_ngram *g, int order, const int *const *seqs,
                             const size_t *lens, int n_seqs, size_t skip, double *scratch);

/* The order 1..max_order with the lowest cross-entropy on the given (validation) sequences,
 * trying orders upwards and stopping after two in a row do worse than the best so far;
 * *best gets its score when not NULL. */
int cn_ngram_choose_order(const cn_ngram *g, const int *const *seqs, const size_t *lens,
                          int n_seqs, size_t skip, cn_ngram_score *best);
#endif
