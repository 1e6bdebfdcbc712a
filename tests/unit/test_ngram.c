/* test_ngram.c: the Kneser-Ney baseline against hand-computed probabilities, its
 * normalisation at every order, order selection on a periodic sequence, and refusals. */
#include <stdlib.h>
#include "../../offline-trainer/ngram.h"
#include "rng.h"
#include "test.h"

/* a b a b a c with a=0 b=1 c=2; worked by hand in the comments below. */
static const int tiny[] = { 0, 1, 0, 1, 0, 2 };

TEST(hand_computed_bigram) {
    cn_ngram g;
    const int *seqs[] = { tiny }; size_t lens[] = { 6 };
    char err[128];
    CHECK(cn_ngram_train(&g, 3, 2, seqs, lens, 1, err, sizeof err) == 0);
    CHECK(g.max_order == 2);
    /* level 2 raw: (0,1):2 (0,2):1 (1,0):2 (BOS,0):1 -> n1=2 n2=2, D=1/3.
     * level 1 continuation: 0 after {1,BOS} = 2, 1 after {0} = 1, 2 after {0} = 1 -> D=1/2 */
    CHECK_NEAR(g.level[2].d_raw, 1.0 / 3, 1e-12);
    CHECK_NEAR(g.level[1].d_kn, 0.5, 1e-12);
    double p[3];
    int ctx0[] = { 0 };
    cn_ngram_probs(&g, 2, ctx0, 1, p);
    /* lower: (.5,.25,.25); gamma = (1/3)(2/3) = 2/9 */
    CHECK_NEAR(p[0], 1.0 / 9, 1e-12);
    CHECK_NEAR(p[1], 11.0 / 18, 1e-12);
    CHECK_NEAR(p[2], 5.0 / 18, 1e-12);
    int ctx2[] = { 2 };   /* c was never followed by anything: the continuation unigram */
    cn_ngram_probs(&g, 2, ctx2, 1, p);
    CHECK_NEAR(p[0], 0.5, 1e-12);
    CHECK_NEAR(p[1], 0.25, 1e-12);
    CHECK_NEAR(p[2], 0.25, 1e-12);
    /* order 1 uses raw counts 3,2,1: n1=1 n2=1, D=1/3, gamma=1/6 */
    cn_ngram_probs(&g, 1, ctx0, 1, p);
    CHECK_NEAR(p[0], 0.5, 1e-12);
    CHECK_NEAR(p[1], 1.0 / 3, 1e-12);
    CHECK_NEAR(p[2], 1.0 / 6, 1e-12);
    cn_ngram_free(&g);
}

TEST(normalised_at_every_order) {
    enum { N = 3000, V = 17 };
    int *seq = malloc(N * sizeof *seq);
    uint64_t r = cn_rng_seed(7);
    for (int i = 0; i < N; i++)   /* a biased walk, so that contexts matter */
        seq[i] = i ? (seq[i - 1] + (int)(cn_rng_next(&r) % 3)) % V : 0;
    const int *seqs[] = { seq }; size_t lens[] = { N };
    cn_ngram g; char err[128];
    CHECK(cn_ngram_train(&g, V, 5, seqs, lens, 1, err, sizeof err) == 0);
    double p[V];
    for (int order = 1; order <= 5; order++)
        for (int at = 0; at < 50; at++) {
            int n_ctx = at * 37 % N;
            cn_ngram_probs(&g, order, seq, n_ctx, p);
            double sum = 0, minp = 1;
            for (int w = 0; w < V; w++) { sum += p[w]; if (p[w] < minp) minp = p[w]; }
            CHECK_NEAR(sum, 1.0, 1e-9);
            CHECK(minp > 0);
        }
    /* a token never seen after this context still gets mass; an out-of-range context id is BOS */
    int odd[] = { 999, -5 };
    cn_ngram_probs(&g, 3, odd, 2, p);
    double sum = 0; for (int w = 0; w < V; w++) sum += p[w];
    CHECK_NEAR(sum, 1.0, 1e-9);
    cn_ngram_free(&g);
    free(seq);
}

TEST(order_chosen_on_validation) {
    /* period 5 with a branch that only two tokens of history resolve: 0 1 2 then 3 or 4 by
     * what came 3 back. Order 1 cannot predict, order 3+ can almost always. */
    enum { N = 4000 };
    int *tr = malloc(N * sizeof *tr), *va = malloc(N * sizeof *va);
    uint64_t r = cn_rng_seed(3);
    for (int s = 0; s < 2; s++) {
        int *q = s ? va : tr;
        for (int i = 0; i < N; i += 4) {
            int a = (int)(cn_rng_next(&r) % 2);
            q[i] = a ? 5 : 6; q[i + 1] = 1; q[i + 2] = 2; q[i + 3] = a ? 3 : 4;
        }
    }
    const int *ts[] = { tr }, *vs[] = { va }; size_t lens[] = { N };
    cn_ngram g; char err[128];
    CHECK(cn_ngram_train(&g, 7, 6, ts, lens, 1, err, sizeof err) == 0);
    cn_ngram_score best;
    int order = cn_ngram_choose_order(&g, vs, lens, 1, 0, &best);
    CHECKF(order >= 4, "order %d", order);
    double scratch[7];
    cn_ngram_score uni = cn_ngram_eval(&g, 1, vs, lens, 1, 0, scratch);
    CHECK(cn_ngram_eval(&g, order, vs, lens, 1, 4, scratch).tokens == N - 4);
    CHECK(best.cross_entropy < uni.cross_entropy - 0.5);
    /* 1 and 2 follow deterministically, 3/4 follow from 5/6; only the first of each group is a coin */
    CHECKF(best.accuracy > 0.7, "accuracy %g", best.accuracy);
    CHECK(best.tokens == N);
    cn_ngram_free(&g);
    free(tr); free(va);
}

TEST(refusals_and_limits) {
    cn_ngram g; char err[128] = "";
    int bad[] = { 0, 3 };
    const int *seqs[] = { bad }; size_t lens[] = { 2 };
    CHECK(cn_ngram_train(&g, 3, 3, seqs, lens, 1, err, sizeof err) == -1);
    CHECK(strstr(err, "vocabulary") != NULL);
    size_t zero[] = { 0 };
    CHECK(cn_ngram_train(&g, 3, 3, seqs, zero, 1, err, sizeof err) == -1);
    /* 17 bits a token: at most 3 tokens fit in a key */
    int ok[] = { 1, 2, 70000, 5 };
    const int *s2[] = { ok }; size_t l2[] = { 4 };
    CHECK(cn_ngram_train(&g, 70001, 8, s2, l2, 1, err, sizeof err) == 0);
    CHECK(g.max_order == 3);
    cn_ngram_free(&g);
}

int main(void) {
    RUN(hand_computed_bigram);
    RUN(normalised_at_every_order);
    RUN(order_chosen_on_validation);
    RUN(refusals_and_limits);
    return test_summary();
}
