/* nn_batchnorm.c: BatchNorm over features (PyTorch's nn.BatchNorm1d: weight 1, bias 0,
 * running mean 0 and variance 1 at init, eps 1e-5). Batched it normalises with the batch's
 * statistics in training (batch_update keeps the running ones) and the running ones otherwise;
 * streaming it is a scale and shift folded from the running statistics. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "nn_internal.h"
#include "nn_stream_internal.h"

/* ---- batched ----
 * train: batch mean and biased variance (kept in mean/var for the running update); otherwise
 * the running statistics. xhat and invstd are kept for the backward. */
void cn_bn_forward(float *y, float *xhat, float *mean, float *var, float *invstd, const float *x,
                   const float *gamma, const float *beta, const float *rmean, const float *rvar,
                   int rows, int C, int train) {
    const float eps = 1e-5f;
    if (train) {
        /* two passes in double: rows can be T*B = thousands, and float sums drift */
        for (int j = 0; j < C; j++) {
            double s = 0;
            for (int r = 0; r < rows; r++) s += x[(size_t)r * C + j];
            double mu = s / rows, q = 0;
            for (int r = 0; r < rows; r++) { double d = x[(size_t)r * C + j] - mu; q += d * d; }
            mean[j] = (float)mu; var[j] = (float)(q / rows);
        }
    } else {
        for (int j = 0; j < C; j++) { mean[j] = rmean[j]; var[j] = rvar[j]; }
    }
    for (int j = 0; j < C; j++) invstd[j] = 1.0f / sqrtf(var[j] + eps);
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * C;
        float *xh = xhat + (size_t)r * C, *yr = y + (size_t)r * C;
        for (int j = 0; j < C; j++) { xh[j] = (xr[j] - mean[j]) * invstd[j]; yr[j] = gamma[j] * xh[j] + beta[j]; }
    }
}
/* sums is scratch [2][C]. */
void cn_bn_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *xhat,
                    const float *invstd, const float *gamma, float *sums, int rows, int C, int train) {
    float *s1 = sums, *s2 = sums + C;
    for (int j = 0; j < C; j++) { s1[j] = 0; s2[j] = 0; }
    for (int r = 0; r < rows; r++) {
        const float *g = dy + (size_t)r * C, *xh = xhat + (size_t)r * C;
        for (int j = 0; j < C; j++) { s1[j] += g[j]; s2[j] += g[j] * xh[j]; }
    }
    for (int j = 0; j < C; j++) { dbeta[j] += s1[j]; dgamma[j] += s2[j]; }
    if (!dx) return;
    for (int r = 0; r < rows; r++) {
        const float *g = dy + (size_t)r * C, *xh = xhat + (size_t)r * C;
        float *d = dx + (size_t)r * C;
        if (train)
            for (int j = 0; j < C; j++)
                d[j] = gamma[j] * invstd[j] * (g[j] - (s1[j] + xh[j] * s2[j]) / (float)rows);
        else
            for (int j = 0; j < C; j++) d[j] = gamma[j] * invstd[j] * g[j];
    }
}

/* ---- batched: the path of nn_batch.c; scratch holds the backward's sums, [2][C] ---- */
static void batch_acts(const cn_nn_layer *L, cn_nn_arena *a, cn_nn_act *la, size_t rows) {
    size_t H = (size_t)L->out;
    la->xhat = cn_nn_take(a, rows * H); la->mean = cn_nn_take(a, H); la->var = cn_nn_take(a, H);
    la->invstd = cn_nn_take(a, H);
}
static void batch_forward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    const cn_nn_act *a = c->a;
    float *P = c->m->params;
    cn_bn_forward(a->y, a->xhat, a->mean, a->var, a->invstd, c->x, cn_nn_t(c->m, P, L, CN_BN_GAMMA),
                  cn_nn_t(c->m, P, L, CN_BN_BETA), cn_nn_t(c->m, P, L, CN_BN_MEAN), cn_nn_t(c->m, P, L, CN_BN_VAR),
                  c->T * c->B, L->out, c->train);
}
static void batch_backward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    cn_bn_backward(c->dx, cn_nn_t(c->m, c->grads, L, CN_BN_GAMMA), cn_nn_t(c->m, c->grads, L, CN_BN_BETA), c->dy,
                   c->a->xhat, c->a->invstd, cn_nn_t(c->m, c->m->params, L, CN_BN_GAMMA), c->scratch, c->T * c->B,
                   L->out, c->train);
}
/* The running statistics, as torch: momentum 0.1, unbiased variance; the shards' averaged. */
static void batch_update(const cn_nn_layer *L, cn_model *m, const cn_nn_act *const *la, const size_t *rows, int nsh) {
    float *rm = cn_nn_t(m, m->params, L, CN_BN_MEAN), *rv = cn_nn_t(m, m->params, L, CN_BN_VAR);
    for (int j = 0; j < L->out; j++) {
        double mu = 0, var = 0;
        for (int s = 0; s < nsh; s++) {
            double n = (double)rows[s];
            mu += la[s]->mean[j];
            var += la[s]->var[j] * (n > 1 ? n / (n - 1) : 1.0);
        }
        rm[j] = 0.9f * rm[j] + 0.1f * (float)(mu / nsh);
        rv[j] = 0.9f * rv[j] + 0.1f * (float)(var / nsh);
    }
}
static void spec_word(const cn_layer_spec *s, char *buf, size_t len) { (void)s; snprintf(buf, len, "batchnorm"); }

/* ---- streaming ---- */
static void stream_plan(const cn_nn_layer *L, cn_stream_layer *sl, cn_weight_format wf, cn_bump *w, cn_bump *st) {
    (void)wf; (void)st;
    sl->bn.scale = cn_bump_take(w, (size_t)L->out * 4);
    sl->bn.shift = cn_bump_take(w, (size_t)L->out * 4);
}
static void stream_fill(const cn_nn_layer *L, cn_stream_layer *sl, const cn_model *m, float *row) {
    (void)row;
    const float *ga = cn_nn_t(m, m->params, L, CN_BN_GAMMA), *be = cn_nn_t(m, m->params, L, CN_BN_BETA);
    const float *rm = cn_nn_t(m, m->params, L, CN_BN_MEAN), *rv = cn_nn_t(m, m->params, L, CN_BN_VAR);
    for (int j = 0; j < L->out; j++) {
        float a = ga[j] / sqrtf(rv[j] + 1e-5f);
        sl->bn.scale[j] = a; sl->bn.shift[j] = be[j] - rm[j] * a;
    }
}
static void stream_step(const cn_nn_layer *L, cn_stream_layer *sl, const float *x, int tok, int simd) {
    (void)tok; (void)simd;
    const float *a = sl->bn.scale, *c = sl->bn.shift;
    float *y = sl->y;
    for (int j = 0; j < L->out; j++) y[j] = x[j] * a[j] + c[j];
}

/* ---- tensors ---- */
static void tensors(cn_model *m, const cn_nn_layer *L, const char *prefix, size_t *off) {
    cn_nn_add_tensor(m, prefix, "weight", 1, L->out, 0, 0, 1, off);
    cn_nn_add_tensor(m, prefix, "bias", 1, L->out, 0, 0, 1, off);
    cn_nn_add_tensor(m, prefix, "running_mean", 1, L->out, 0, 0, 0, off);
    cn_nn_add_tensor(m, prefix, "running_var", 1, L->out, 0, 0, 0, off);
}
static void init(cn_model *m, const cn_nn_layer *L, uint64_t *rng) {
    (void)rng;   /* the parameters start zeroed: weight and running_var are set to 1 */
    float *gamma = cn_nn_t(m, m->params, L, CN_BN_GAMMA), *var = cn_nn_t(m, m->params, L, CN_BN_VAR);
    for (int c = 0; c < L->out; c++) { gamma[c] = 1.0f; var[c] = 1.0f; }
}

const cn_nn_kind cn_nn_batchnorm = {
    .name = "batchnorm", .nt = CN_BN_NT, .gates = 1, .same_width = 1,
    .tensors = tensors, .init = init,
    .stream_plan = stream_plan, .stream_fill = stream_fill, .stream_reset = NULL, .stream_step = stream_step,
    .spec_word = spec_word, .scratch = 2,
    .table_size = NULL, .table = NULL, .table_grad_add = NULL,
    .batch_packs = NULL, .batch_pack = NULL, .batch_acts = batch_acts,
    .batch_forward = batch_forward, .batch_backward = batch_backward, .batch_update = batch_update,
};
