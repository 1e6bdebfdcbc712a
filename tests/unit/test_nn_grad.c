/* test_nn_grad.c: finite-difference checks of the batched backward, for every layer alone and
 * for whole stacks, with the loss on the last step and on every step.
 * Method: for each trainable tensor, a random +-1 direction u over its elements; the central
 * difference (L(p + eps u) - L(p - eps u)) / 2eps, with L the float forward's loss summed in
 * double (cn_batch_loss), is compared with the analytic g.u. eps = 1e-3: smaller, and the float
 * rounding of the forward (~2e-7 in L) dominates; larger, and curvature and ReLU kinks do.
 * Tolerance: |fd - g.u| <= 1% of (|g.u| + 1% of |g|_1) + 2e-4 (the noise floor ~2e-7/eps).
 * A direction that crosses a ReLU kink within eps (the conv and dense ReLUs; which ones depends
 * on the weights and the dropout masks) bends the difference: then the difference is taken
 * again at eps/4 (floor 8e-4), where a kink's bend shrinks and a wrong gradient stays wrong.
 * The largest single coordinate of each tensor: within 2% + 1e-4. A wrong gate derivative or
 * a missing term moves these by tens of percent. */
#include <stdlib.h>
#include "nn.h"
#include "../../offline-trainer/optim.h"
#include "rng.h"
#include "test.h"

static double loss_at(cn_batch *b, const int *tok, const int *tgt, int train) {
    cn_batch_forward(b, tok, tgt, train, 7);
    return cn_batch_loss(b);
}

/* Returns the number of failed comparisons (printed). */
static int grad_check(const char *spec, int V, int B, int T, int all, int train, int threads) {
    char err[160];
    cn_model *m = cn_model_new(spec, V, 11, err, sizeof err);
    if (!m) { fprintf(stderr, "  %s: %s\n", spec, err); return 1; }
    cn_batch *b = cn_batch_new_threads(m, B, T, all, threads);
    if (!b) { cn_model_free(m); return 1; }
    uint64_t rng = cn_rng_seed(5);
    int *tok = malloc(sizeof(int) * B * T), *tgt = malloc(sizeof(int) * B * T);
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int)(cn_rng_next(&rng) % V);
        tgt[i] = (int)(cn_rng_next(&rng) % V);
    }
    tgt[1] = -1;   /* ignored target */
    cn_batch_zero_grads(b);
    double L0 = loss_at(b, tok, tgt, train);
    cn_batch_backward(b);
    float *g = malloc(sizeof(float) * m->n_params);
    memcpy(g, cn_batch_grads(b), sizeof(float) * m->n_params);
    int fails = 0;
    if (!isfinite(L0)) fails++;
    const float eps = 1e-3f;
    for (int ti = 0; ti < m->n_tensors; ti++) {
        const cn_tensor *t = &m->tensors[ti];
        if (!t->trainable) continue;
        float *p = m->params + t->offset;
        const float *gt = g + t->offset;
        /* random direction */
        double gu = 0, g1 = 0;
        signed char *u = malloc(t->size);
        for (size_t i = 0; i < t->size; i++) {
            u[i] = (cn_rng_next(&rng) >> 33) & 1 ? 1 : -1;
            gu += gt[i] * u[i];
            g1 += fabs(gt[i]);
        }
        for (size_t i = 0; i < t->size; i++) p[i] += eps * u[i];
        double lp = loss_at(b, tok, tgt, train);
        for (size_t i = 0; i < t->size; i++) p[i] -= 2 * eps * u[i];
        double lm = loss_at(b, tok, tgt, train);
        for (size_t i = 0; i < t->size; i++) p[i] += eps * u[i];
        double fd = ((double)lp - lm) / (2 * eps);
        double tol = 1e-2 * (fabs(gu) + g1 * 1e-2) + 2e-4;
        if (!(fabs(fd - gu) <= tol)) {   /* a kink, or a wrong gradient: a quarter of the step tells */
            const float e4 = eps / 4;
            for (size_t i = 0; i < t->size; i++) p[i] += e4 * u[i];
            lp = loss_at(b, tok, tgt, train);
            for (size_t i = 0; i < t->size; i++) p[i] -= 2 * e4 * u[i];
            lm = loss_at(b, tok, tgt, train);
            for (size_t i = 0; i < t->size; i++) p[i] += e4 * u[i];
            fd = ((double)lp - lm) / (2 * e4);
            tol = 1e-2 * (fabs(gu) + g1 * 1e-2) + 8e-4;
        }
        if (!(fabs(fd - gu) <= tol)) {
            fprintf(stderr, "  %s %s: direction fd %.6g vs analytic %.6g (tol %.2g)\n", spec, t->name, fd, gu, tol);
            fails++;
        }
        free(u);
        /* the largest single coordinate */
        size_t im = 0;
        for (size_t i = 1; i < t->size; i++) if (fabsf(gt[i]) > fabsf(gt[im])) im = i;
        float keep = p[im];
        p[im] = keep + eps; lp = loss_at(b, tok, tgt, train);
        p[im] = keep - eps; lm = loss_at(b, tok, tgt, train);
        p[im] = keep;
        fd = ((double)lp - lm) / (2 * eps);
        tol = 2e-2 * fabs(gt[im]) + 1e-4;
        if (!(fabs(fd - gt[im]) <= tol)) {
            fprintf(stderr, "  %s %s[%zu]: fd %.6g vs analytic %.6g (tol %.2g)\n", spec, t->name, im, fd, gt[im], tol);
            fails++;
        }
    }
    free(g); free(tok); free(tgt);
    cn_batch_free(b);
    cn_model_free(m);
    return fails;
}

TEST(grad_onehot_conv) { CHECK(grad_check("conv1d:6:3", 9, 3, 5, 1, 1, 1) == 0); }
TEST(grad_conv_on_activations) { CHECK(grad_check("embed:5,conv1d:6:2", 9, 3, 5, 1, 1, 1) == 0); }
TEST(grad_onehot_lstm) { CHECK(grad_check("lstm:5", 9, 3, 6, 1, 1, 1) == 0); }
TEST(grad_lstm_last_step) { CHECK(grad_check("embed:4,lstm:5", 9, 3, 6, 0, 1, 1) == 0); }
TEST(grad_onehot_gru) { CHECK(grad_check("gru:5", 9, 3, 6, 1, 1, 1) == 0); }
TEST(grad_gru_last_step) { CHECK(grad_check("embed:4,gru:5", 9, 3, 6, 0, 1, 1) == 0); }
TEST(grad_dense) { CHECK(grad_check("dense:6,dense:5:relu", 9, 3, 4, 1, 1, 1) == 0); }
TEST(grad_embed) { CHECK(grad_check("embed:6", 9, 3, 4, 1, 1, 1) == 0); }
TEST(grad_batchnorm_train) { CHECK(grad_check("embed:4,batchnorm", 9, 3, 4, 1, 1, 1) == 0); }
TEST(grad_batchnorm_eval) { CHECK(grad_check("embed:4,batchnorm", 9, 3, 4, 1, 0, 1) == 0); }
TEST(grad_dropout_train) { CHECK(grad_check("embed:6,dropout:0.4", 9, 3, 4, 1, 1, 1) == 0); }
TEST(grad_whole_stack_all_steps) {
    CHECK(grad_check("conv1d:8:3,lstm:7,gru:6,dense:5:relu,batchnorm,dropout:0.2", 11, 3, 6, 1, 1, 1) == 0);
}
TEST(grad_whole_stack_last_step) {
    CHECK(grad_check("embed:6,conv1d:8:3,lstm:7,conv1d:5:2,gru:6,dense:5,dropout:0.2", 11, 4, 6, 0, 1, 1) == 0);
}
TEST(grad_two_shards) {
    CHECK(grad_check("conv1d:8:3,lstm:7,gru:6,dense:5:relu,dropout:0.2", 11, 5, 6, 1, 1, 2) == 0);
}

/* Two shards compute the same loss and gradient as one (no BatchNorm, dropout off). */
TEST(shards_agree_with_single) {
    char err[160];
    cn_model *m = cn_model_new("conv1d:8:3,lstm:7,gru:6,dense:5", 13, 3, err, sizeof err);
    CHECK(m != NULL);
    if (!m) return;
    int B = 5, T = 7;
    int tok[35], tgt[35];
    for (int i = 0; i < B * T; i++) { tok[i] = (i * 7 + 3) % 13; tgt[i] = (i * 5 + 1) % 13; }
    cn_batch *b1 = cn_batch_new_threads(m, B, T, 1, 1), *b2 = cn_batch_new_threads(m, B, T, 1, 2);
    CHECK(b1 && b2);
    cn_batch_zero_grads(b1); cn_batch_zero_grads(b2);
    float l1 = cn_batch_forward(b1, tok, tgt, 0, 1), l2 = cn_batch_forward(b2, tok, tgt, 0, 1);
    CHECK_NEAR(l1, l2, 1e-5);
    CHECK(cn_batch_counted(b1) == 35 && cn_batch_counted(b2) == 35);
    CHECK(cn_batch_correct(b1) == cn_batch_correct(b2));
    const float *z1 = cn_batch_logits(b1), *z2 = cn_batch_logits(b2);
    double dz = 0;
    for (int i = 0; i < B * T * 13; i++) dz = fmax(dz, fabs(z1[i] - z2[i]));
    CHECK(dz < 1e-5);
    cn_batch_backward(b1); cn_batch_backward(b2);
    double dg = 0, gmax = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        dg = fmax(dg, fabs(cn_batch_grads(b1)[i] - cn_batch_grads(b2)[i]));
        gmax = fmax(gmax, fabs(cn_batch_grads(b1)[i]));
    }
    CHECKF(dg <= 1e-5 * gmax + 1e-7, "max grad difference %g (max grad %g)", dg, gmax);
    cn_batch_free(b1); cn_batch_free(b2);
    cn_model_free(m);
}

/* Out-of-range tokens are refused; targets < 0 or >= V are not counted. */
TEST(bad_tokens_and_ignored_targets) {
    char err[160];
    cn_model *m = cn_model_new("lstm:4", 6, 3, err, sizeof err);
    cn_batch *b = cn_batch_new(m, 2, 3, 1);
    CHECK(m && b);
    int tok[6] = { 0, 1, 2, 3, 4, 5 }, tgt[6] = { 1, -1, 9, 2, 3, -5 };
    float l = cn_batch_forward(b, tok, tgt, 1, 1);
    CHECK(isfinite(l) && l > 0);
    CHECK(cn_batch_counted(b) == 3);
    tok[4] = 6;
    CHECK(isnan(cn_batch_forward(b, tok, tgt, 1, 1)));
    tok[4] = -1;
    CHECK(isnan(cn_batch_forward(b, tok, tgt, 1, 1)));
    cn_batch_free(b);
    cn_model_free(m);
}

/* BatchNorm running statistics follow torch: momentum 0.1, unbiased variance. */
TEST(batchnorm_running_stats) {
    char err[160];
    cn_model *m = cn_model_new("embed:2,batchnorm", 4, 3, err, sizeof err);
    CHECK(m != NULL);
    if (!m) return;
    float *E = m->params + cn_model_tensor(m, "0.embed.weight")->offset;
    for (int v = 0; v < 4; v++) { E[v * 2] = (float)v; E[v * 2 + 1] = 2.0f * v; }
    cn_batch *b = cn_batch_new(m, 2, 2, 1);
    int tok[4] = { 0, 1, 2, 3 }, tgt[4] = { 0, 1, 2, 3 };
    cn_batch_forward(b, tok, tgt, 1, 1);
    const float *rm = m->params + cn_model_tensor(m, "1.batchnorm.running_mean")->offset;
    const float *rv = m->params + cn_model_tensor(m, "1.batchnorm.running_var")->offset;
    /* feature 0 over the rows: 0,1,2,3 -> mean 1.5, unbiased var 5/3 */
    CHECK_NEAR(rm[0], 0.15, 1e-6);
    CHECK_NEAR(rv[0], 0.9 + 0.1 * 5.0 / 3.0, 1e-6);
    CHECK_NEAR(rm[1], 0.3, 1e-6);
    cn_batch_forward(b, tok, tgt, 0, 1);   /* eval: no update */
    CHECK_NEAR(rm[0], 0.15, 1e-6);
    cn_batch_free(b);
    cn_model_free(m);
}

/* Adam's first step moves each weight by lr against its gradient's sign (bias correction);
 * clipping by global norm scales RMSprop's step; the checkpoint arrays restore the state. */
TEST(optimizers_step_and_clip) {
    float p[3] = { 1, 1, 1 }, g[3] = { 0.5f, -2.0f, 0.0f };
    cn_optim o;
    CHECK(cn_optim_init(&o, CN_OPT_ADAM, 3, 1e-3f, 0) == 0);
    CHECK(cn_optim_step(&o, p, g, 1e-2f) == 0);
    CHECK_NEAR(p[0], 0.99, 1e-6);
    CHECK_NEAR(p[1], 1.01, 1e-6);
    CHECK_NEAR(p[2], 1.0, 1e-9);
    CHECK_NEAR(o.last_norm, sqrt(4.25), 1e-6);
    cn_ckpt_array arr[4];
    CHECK(cn_optim_arrays(&o, arr, 4) == 2);
    cn_optim o2;
    CHECK(cn_optim_init(&o2, CN_OPT_ADAM, 3, 1e-3f, 0) == 0);
    CHECK(cn_optim_restore(&o2, arr, 2, 1) == 0);
    CHECK(o2.t == 1 && o2.m[1] == o.m[1] && o2.v[0] == o.v[0]);
    CHECK(cn_optim_restore(&o2, arr, 1, 1) == -1);   /* adam.v missing */
    cn_optim_free(&o2);
    cn_optim_free(&o);
    /* RMSprop (Keras: rho 0.9): first step = lr * g / sqrt(0.1 g^2) = lr * sign(g) * sqrt(10);
     * with clip 1 and |g| = 2.06, g is scaled by 1/2.06 first, which leaves that ratio. */
    float q[3] = { 0, 0, 0 };
    CHECK(cn_optim_init(&o, CN_OPT_RMSPROP, 3, 1e-3f, 1.0f) == 0);
    CHECK(cn_optim_step(&o, q, g, 1e-3f) == 0);
    CHECK_NEAR(q[0], -1e-3 * sqrt(10.0), 1e-6);
    CHECK_NEAR(q[1], 1e-3 * sqrt(10.0), 1e-6);
    CHECK_NEAR(o.v[1], 0.1 * (2.0 / sqrt(4.25)) * (2.0 / sqrt(4.25)), 1e-6);
    float bad[3] = { NAN, 0, 0 };
    CHECK(cn_optim_step(&o, q, bad, 1e-3f) == -1);
    CHECK(cn_optim_parse("rmsprop", &o.kind) == 0 && o.kind == CN_OPT_RMSPROP);
    int k;
    CHECK(cn_optim_parse("sgd", &k) == -1);
    cn_optim_free(&o);
}

int main(void) {
    RUN(grad_onehot_conv);
    RUN(grad_conv_on_activations);
    RUN(grad_onehot_lstm);
    RUN(grad_lstm_last_step);
    RUN(grad_onehot_gru);
    RUN(grad_gru_last_step);
    RUN(grad_dense);
    RUN(grad_embed);
    RUN(grad_batchnorm_train);
    RUN(grad_batchnorm_eval);
    RUN(grad_dropout_train);
    RUN(grad_whole_stack_all_steps);
    RUN(grad_whole_stack_last_step);
    RUN(grad_two_shards);
    RUN(shards_agree_with_single);
    RUN(bad_tokens_and_ignored_targets);
    RUN(batchnorm_running_stats);
    RUN(optimizers_step_and_clip);
    return test_summary();
}
