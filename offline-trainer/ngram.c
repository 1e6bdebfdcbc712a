/* ngram.c: interpolated Kneser-Ney over token ids (see ngram.h for the formulas).
 * Counting is sort-based: all k-grams of a level are packed into 64-bit keys, sorted and
 * run-length counted, so a context's followers are one contiguous, binary-searchable run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ngram.h"

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Token at position x of a sequence, BOS before its start (and for an id outside the
 * vocabulary, which can only come from a caller's context: training refuses them). */
static inline uint64_t tok_at(const int *seq, long x, int bos) {
    return x < 0 || seq[x] < 0 || seq[x] > bos ? (uint64_t)bos : (uint64_t)seq[x];
}

/* First index with keys[i] >= key. */
static int lower_bound(const uint64_t *keys, int n, uint64_t key) {
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (keys[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* D = n1 / (n1 + 2 n2), kept inside (0, 1) so that every seen gram keeps some mass
 * and every context leaves some for the lower order. */
static double discount(const uint32_t *counts, int n) {
    double n1 = 0, n2 = 0;
    for (int i = 0; i < n; i++) {
        if (counts[i] == 1) n1++;
        else if (counts[i] == 2) n2++;
    }
    double d = (n1 + 2 * n2) > 0 ? n1 / (n1 + 2 * n2) : 0.5;
    if (d < 0.05) d = 0.05;
    if (d > 0.95) d = 0.95;
    return d;
}

static int fail(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "n-gram: %s", msg);
    return -1;
}

void cn_ngram_free(cn_ngram *g) {
    for (int k = 0; k <= CN_NGRAM_MAX_ORDER; k++) {
        free(g->level[k].keys); free(g->level[k].raw); free(g->level[k].kn);
    }
    memset(g, 0, sizeof *g);
}

int cn_ngram_train(cn_ngram *g, int vocab, int max_order, const int *const *seqs,
                   const size_t *lens, int n_seqs, char *err, size_t errlen) {
    memset(g, 0, sizeof *g);
    if (vocab < 1) return fail(err, errlen, "vocabulary is empty");
    int bits = 1;
    while (bits < 32 && ((uint64_t)1 << bits) <= (uint64_t)vocab) bits++;  /* room for BOS = vocab */
    if (max_order > 64 / bits) max_order = 64 / bits;
    if (max_order > CN_NGRAM_MAX_ORDER) max_order = CN_NGRAM_MAX_ORDER;
    if (max_order < 1) return fail(err, errlen, "order must be at least 1");
    g->vocab = vocab; g->max_order = max_order; g->bits = bits;
    g->score_below = vocab;

    size_t total = 0;
    for (int s = 0; s < n_seqs; s++) {
        for (size_t j = 0; j < lens[s]; j++)
            if (seqs[s][j] < 0 || seqs[s][j] >= vocab) return fail(err, errlen, "token outside the vocabulary");
        total += lens[s];
    }
    if (total == 0) return fail(err, errlen, "no training tokens");
    if (total > UINT32_MAX) return fail(err, errlen, "too many training tokens");
    g->n_train = total;

    uint64_t *all = malloc(total * sizeof *all);
    if (!all) return fail(err, errlen, "out of memory");
    for (int k = 1; k <= max_order; k++) {
        size_t m = 0;
        for (int s = 0; s < n_seqs; s++)
            for (size_t j = 0; j < lens[s]; j++) {
                uint64_t key = 0;
                for (int i = 0; i < k; i++)
                    key = (key << bits) | tok_at(seqs[s], (long)j - k + 1 + i, vocab);
                all[m++] = key;
            }
        qsort(all, m, sizeof *all, cmp_u64);
        int uniq = 0;
        for (size_t i = 0; i < m; i++) if (i == 0 || all[i] != all[i - 1]) uniq++;
        cn_ngram_level *L = &g->level[k];
        L->keys = malloc((size_t)uniq * sizeof *L->keys);
        L->raw = calloc((size_t)uniq, sizeof *L->raw);
        L->kn = calloc((size_t)uniq, sizeof *L->kn);
        if (!L->keys || !L->raw || !L->kn) { free(all); cn_ngram_free(g); return fail(err, errlen, "out of memory"); }
        int u = -1;
        for (size_t i = 0; i < m; i++) {
            if (i == 0 || all[i] != all[i - 1]) { u++; L->keys[u] = all[i]; }
            L->raw[u]++;
        }
        L->n = uniq;
        L->d_raw = discount(L->raw, uniq);
    }
    free(all);
    /* Continuation counts: each distinct (k+1)-gram adds one left neighbour to its suffix. */
    for (int k = 1; k < max_order; k++) {
        cn_ngram_level *L = &g->level[k], *U = &g->level[k + 1];
        uint64_t mask = ((uint64_t)1 << (k * bits)) - 1;
        for (int i = 0; i < U->n; i++) {
            int at = lower_bound(L->keys, L->n, U->keys[i] & mask);
            if (at < L->n && L->keys[at] == (U->keys[i] & mask)) L->kn[at]++;
        }
        L->d_kn = discount(L->kn, L->n);
    }
    return 0;
}

void cn_ngram_probs(const cn_ngram *g, int order, const int *ctx, int n_ctx, double *probs) {
    int V = g->vocab;
    if (order < 1) order = 1;
    if (order > g->max_order) order = g->max_order;
    for (int w = 0; w < V; w++) probs[w] = 1.0 / V;
    for (int k = 1; k <= order; k++) {
        const cn_ngram_level *L = &g->level[k];
        int use_raw = k == order;
        const uint32_t *cnt = use_raw ? L->raw : L->kn;
        double d = use_raw ? L->d_raw : L->d_kn;
        int lo = 0, hi = L->n;
        if (k > 1) {
            uint64_t h = 0;
            for (int i = 0; i < k - 1; i++)
                h = (h << g->bits) | tok_at(ctx, (long)n_ctx - (k - 1) + i, V);
            lo = lower_bound(L->keys, L->n, h << g->bits);
            hi = lo;
            while (hi < L->n && (L->keys[hi] >> g->bits) == h) hi++;
        }
        if (hi == lo) break;   /* unseen context: no longer one can have been seen either */
        double tot = 0;
        for (int i = lo; i < hi; i++) tot += cnt[i];
        double gamma = d * (hi - lo) / tot;
        uint64_t wmask = ((uint64_t)1 << g->bits) - 1;
        for (int w = 0; w < V; w++) probs[w] *= gamma;
        for (int i = lo; i < hi; i++) {
            int w = (int)(L->keys[i] & wmask);
            if (w < V) probs[w] += (cnt[i] - d) / tot;
        }
    }
}

cn_ngram_score cn_ngram_eval(const cn_ngram *g, int order, const int *const *seqs,
                             const size_t *lens, int n_seqs, size_t skip, double *scratch) {
    cn_ngram_score sc = { 0, 0, 0 };
    double ce = 0; uint64_t hits = 0;
    for (int s = 0; s < n_seqs; s++)
        for (size_t j = skip; j < lens[s]; j++) {
            int t = seqs[s][j];
            if (t < 0 || t >= g->score_below || t >= g->vocab) continue;
            cn_ngram_probs(g, order, seqs[s], (int)j, scratch);
            int best = 0;
            for (int w = 1; w < g->vocab; w++) if (scratch[w] > scratch[best]) best = w;
            ce += -log(scratch[t]);
            hits += best == t;
            sc.tokens++;
        }
    if (sc.tokens) { sc.cross_entropy = ce / (double)sc.tokens; sc.accuracy = (double)hits / (double)sc.tokens; }
    return sc;
}

int cn_ngram_choose_order(const cn_ngram *g, const int *const *seqs, const size_t *lens,
                          int n_seqs, size_t skip, cn_ngram_score *best) {
    double *scratch = malloc((size_t)g->vocab * sizeof *scratch);
    if (!scratch) return 1;
    int best_order = 1;
    cn_ngram_score bs = { 0, INFINITY, 0 };
    for (int k = 1; k <= g->max_order; k++) {
        cn_ngram_score sc = cn_ngram_eval(g, k, seqs, lens, n_seqs, skip, scratch);
        if (sc.tokens && sc.cross_entropy < bs.cross_entropy) { bs = sc; best_order = k; }
        else if (k > best_order + 1) break;   /* worse twice running: longer contexts only overfit more */
    }
    free(scratch);
    if (best) *best = bs;
    return best_order;
}
