/* nn_dense.c: the time-distributed Dense layer, y = x W^T + b, linear or ReLU (PyTorch's
 * nn.Linear, U(+-1/sqrt(in)) at init); also the model's output layer "out". As a one-hot
 * first layer it is a gather from W transposed. */
#include <stdio.h>
#include <string.h>
#include "nn_internal.h"
#include "nn_kernels.h"
#include "nn_stream_internal.h"

/* ---- dense (time-distributed): y = x W^T + b, optional ReLU ----
 * With tok: w is the gather table [V][N] (W transposed) and dw has that layout too. */
void cn_dense_forward(float *y, const float *x, const int *tok, const float *w, const float *bias,
                      int rows, int In, int N, int relu) {
    if (tok) cn_embed_forward(y, tok, w, rows, N);
    else gemm_nt(rows, N, In, x, In, w, In, 0.0f, y, N);
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t)r * N;
        for (int j = 0; j < N; j++) yr[j] += bias[j];
        if (relu) for (int j = 0; j < N; j++) yr[j] = yr[j] > 0.0f ? yr[j] : 0.0f;
    }
}
void cn_dense_backward(float *dx, float *dw, float *dbias, float *dy, const float *y, const float *x,
                       const int *tok, const float *w, int rows, int In, int N, int relu) {
    if (relu) relu_mask(dy, y, (size_t)rows * N);
    colsum_add(dbias, dy, rows, N);
    if (tok) { cn_embed_backward(dw, dy, tok, rows, N); return; }
    gemm_tn(N, In, rows, dy, N, x, In, 1.0f, dw, In);
    if (dx) gemm_nn(rows, In, N, dy, N, w, In, 0.0f, dx, In);
}

/* ---- batched: the path of nn_batch.c (the output layer has its own, there) ---- */
static void batch_forward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    cn_dense_forward(c->a->y, c->x, c->tok, c->w, cn_nn_t(c->m, c->m->params, L, CN_DENSE_B), c->T * c->B,
                     L->in, L->out, L->relu);
}
static void batch_backward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    cn_dense_backward(c->dx, c->gw, cn_nn_t(c->m, c->grads, L, CN_DENSE_B), c->dy, c->a->y, c->x, c->tok, c->w,
                      c->T * c->B, L->in, L->out, L->relu);
}
static void spec_word(const cn_layer_spec *s, char *buf, size_t len) {
    snprintf(buf, len, "dense:%d%s", s->units, s->relu ? ":relu" : "");
}

/* ---- streaming ---- */
static void stream_plan(const cn_nn_layer *L, cn_stream_layer *sl, cn_weight_format wf, cn_bump *w, cn_bump *st) {
    (void)st;
    cn_dense_state *d = &sl->dense;
    if (L->onehot) d->tab = cn_bump_take(w, (size_t)L->in * L->out * sizeof(float));
    else cn_mat_plan(w, &d->W, wf, L->out, L->in);
    d->b = cn_bump_take(w, (size_t)L->out * 4);
}
static void stream_fill(const cn_nn_layer *L, cn_stream_layer *sl, const cn_model *m, float *row) {
    (void)row;
    cn_dense_state *d = &sl->dense;
    const float *W = cn_nn_t(m, m->params, L, CN_DENSE_W);
    if (L->onehot) cn_nn_gather_table(d->tab, W, L->out, L->in);
    else for (int r = 0; r < L->out; r++) cn_mat_set_row(&d->W, r, W + (size_t)r * L->in);
    memcpy(d->b, cn_nn_t(m, m->params, L, CN_DENSE_B), (size_t)L->out * 4);
}
static void stream_step(const cn_nn_layer *L, cn_stream_layer *sl, const float *x, int tok, int simd) {
    const cn_dense_state *d = &sl->dense;
    int H = L->out;
    float *y = sl->y;
    if (L->onehot) {
        if (tok >= 0) memcpy(y, d->tab + (size_t)tok * H, (size_t)H * 4);
        else memset(y, 0, (size_t)H * 4);
    } else {
        cn_mv(&d->W, x, y, simd);
    }
    for (int j = 0; j < H; j++) y[j] += d->b[j];
    if (L->relu) for (int j = 0; j < H; j++) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
}

/* ---- tensors ---- */
static void tensors(cn_model *m, const cn_nn_layer *L, const char *prefix, size_t *off) {
    cn_nn_add_tensor(m, prefix, "weight", 2, L->out, L->in, 0, 1, off);
    cn_nn_add_tensor(m, prefix, "bias", 1, L->out, 0, 0, 1, off);
}
static void init(cn_model *m, const cn_nn_layer *L, uint64_t *rng) {
    cn_nn_init_fan_in(m, L, (float)L->in, rng);
}

const cn_nn_kind cn_nn_dense = {
    .name = "dense", .nt = CN_DENSE_NT, .gates = 1, .same_width = 0,
    .tensors = tensors, .init = init,
    .stream_plan = stream_plan, .stream_fill = stream_fill, .stream_reset = NULL, .stream_step = stream_step,
    .spec_word = spec_word, .scratch = 1,
    .table_size = cn_nn_gather_size, .table = cn_nn_gather_fill, .table_grad_add = cn_nn_gather_grad,
    .batch_packs = NULL, .batch_pack = NULL, .batch_acts = NULL,
    .batch_forward = batch_forward, .batch_backward = batch_backward, .batch_update = NULL,
};
