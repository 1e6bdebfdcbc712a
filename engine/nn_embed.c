/* nn_embed.c: the token embedding (first layer only): y = E[token], E [V][D] (PyTorch's
 * nn.Embedding, N(0,1) at init). Its batched kernels also serve every one-hot first layer,
 * whose product with a one-hot input is the same gather from a transposed table. */
#include <stdio.h>
#include <string.h>
#include "nn_internal.h"
#include "nn_stream_internal.h"

/* ---- batched: y[r] = E[tok[r]]; the backward scatters dy into the rows of dE ---- */
void cn_embed_forward(float *y, const int *tok, const float *E, int rows, int D) {
    for (int r = 0; r < rows; r++) memcpy(y + (size_t)r * D, E + (size_t)tok[r] * D, (size_t)D * sizeof(float));
}
void cn_embed_backward(float *dE, const float *dy, const int *tok, int rows, int D) {
    for (int r = 0; r < rows; r++) {
        float *d = dE + (size_t)tok[r] * D;
        const float *g = dy + (size_t)r * D;
        for (int j = 0; j < D; j++) d[j] += g[j];
    }
}

size_t cn_nn_gather_size(const cn_nn_layer *L) { return L->onehot ? (size_t)L->in * cn_nn_rows(L) : 0; }
void cn_nn_gather_fill(const cn_nn_layer *L, float *tab, const float *W) { cn_nn_gather_table(tab, W, cn_nn_rows(L), L->in); }
void cn_nn_gather_grad(const cn_nn_layer *L, float *dW, const float *gtab) {
    cn_nn_gather_grad_add(dW, gtab, cn_nn_rows(L), L->in);
}

/* ---- batched: the path of nn_batch.c; its weight is already the [V][D] table it reads ---- */
static void batch_forward(const cn_nn_batch_ctx *c) {
    cn_embed_forward(c->a->y, c->tok, c->w, c->T * c->B, c->L->out);
}
static void batch_backward(const cn_nn_batch_ctx *c) {
    cn_embed_backward(c->gw, c->dy, c->tok, c->T * c->B, c->L->out);
}
static void spec_word(const cn_layer_spec *s, char *buf, size_t len) { snprintf(buf, len, "embed:%d", s->units); }

/* ---- streaming ---- */
static void stream_plan(const cn_nn_layer *L, cn_stream_layer *sl, cn_weight_format wf, cn_bump *w, cn_bump *st) {
    (void)wf; (void)st;
    sl->embed.tab = cn_bump_take(w, (size_t)L->in * L->out * sizeof(float));
}
static void stream_fill(const cn_nn_layer *L, cn_stream_layer *sl, const cn_model *m, float *row) {
    (void)row;
    memcpy(sl->embed.tab, cn_nn_t(m, m->params, L, CN_EMBED_W), (size_t)L->in * L->out * sizeof(float));
}
static void stream_step(const cn_nn_layer *L, cn_stream_layer *sl, const float *x, int tok, int simd) {
    (void)x; (void)simd;
    int D = L->out;
    if (tok >= 0) memcpy(sl->y, sl->embed.tab + (size_t)tok * D, (size_t)D * 4);
    else memset(sl->y, 0, (size_t)D * 4);
}

/* ---- tensors ---- */
static void tensors(cn_model *m, const cn_nn_layer *L, const char *prefix, size_t *off) {
    cn_nn_add_tensor(m, prefix, "weight", 2, L->in, L->out, 0, 1, off);
}
static void init(cn_model *m, const cn_nn_layer *L, uint64_t *rng) {
    const cn_tensor *T = &m->tensors[L->t0 + CN_EMBED_W];
    cn_nn_fill_normal(m->params + T->offset, T->size, rng);
}

const cn_nn_kind cn_nn_embed = {
    .name = "embed", .nt = CN_EMBED_NT, .gates = 1, .same_width = 0,
    .tensors = tensors, .init = init,
    .stream_plan = stream_plan, .stream_fill = stream_fill, .stream_reset = NULL, .stream_step = stream_step,
    .spec_word = spec_word, .scratch = 1,
    .table_size = NULL, .table = NULL, .table_grad_add = NULL,
    .batch_packs = NULL, .batch_pack = NULL, .batch_acts = NULL,
    .batch_forward = batch_forward, .batch_backward = batch_backward, .batch_update = NULL,
};

/* A one-hot first layer's gather table from its weight W [R][V]: [V][R], so that the product
 * with a one-hot input is the copy of one row. */
void cn_nn_gather_table(float *tab, const float *W, int R, int V) {
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) tab[(size_t)v * R + r] = W[(size_t)r * V + v];
}
/* Its inverse for gradients: adds gtab [V][R] into dW [R][V]. */
void cn_nn_gather_grad_add(float *dW, const float *gtab, int R, int V) {
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) dW[(size_t)r * V + v] += gtab[(size_t)v * R + r];
}
