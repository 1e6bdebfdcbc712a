/* nn_dropout.c: inverted dropout with drop probability P: in training a kept value is scaled by
 * 1/(1-P), so that outside training (and always when streaming) it is the identity. */
#include <stdio.h>
#include <string.h>
#include "nn_internal.h"
#include "nn_stream_internal.h"
#include "rng.h"

/* ---- batched: mask holds 0 or 1/(1-p) ---- */
void cn_dropout_forward(float *y, float *mask, const float *x, size_t n, float p, int train, uint64_t *rng) {
    if (!train || p <= 0.0f) {
        memmove(y, x, n * sizeof(float));
        for (size_t i = 0; train && i < n; i++) mask[i] = 1.0f;
        return;
    }
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        mask[i] = cn_rng_uniform(rng) < p ? 0.0f : keep;
        y[i] = x[i] * mask[i];
    }
}
void cn_dropout_backward(float *dx, const float *dy, const float *mask, size_t n, int train) {
    if (!train) { memmove(dx, dy, n * sizeof(float)); return; }
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * mask[i];
}

/* ---- batched: the path of nn_batch.c ---- */
static void batch_acts(const cn_nn_layer *L, cn_nn_arena *a, cn_nn_act *la, size_t rows) {
    la->mask = cn_nn_take(a, rows * L->out);
}
/* A stream for each (window, step): the masks do not depend on how the batch is cut into
 * shards or ranks. */
static void batch_forward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    for (int t = 0; t < c->T; t++)
        for (int b = 0; b < c->B; b++) {
            uint64_t row = c->row0 + (uint64_t)b;
            uint64_t rng = cn_rng_seed(c->seed * 0x100000001B3ull ^ cn_rng_seed((row << 24) ^ ((uint64_t)t << 6) ^ (uint64_t)c->i));
            size_t off = ((size_t)t * c->B + b) * L->out;
            cn_dropout_forward(c->a->y + off, c->a->mask + off, c->x + off, (size_t)L->out, L->rate, c->train, &rng);
        }
}
static void batch_backward(const cn_nn_batch_ctx *c) {
    if (c->dx) cn_dropout_backward(c->dx, c->dy, c->a->mask, (size_t)c->T * c->B * c->L->out, c->train);
}
static void spec_word(const cn_layer_spec *s, char *buf, size_t len) { snprintf(buf, len, "dropout:%g", (double)s->rate); }

/* ---- streaming: the identity ---- */
static void stream_plan(const cn_nn_layer *L, cn_stream_layer *sl, cn_weight_format wf, cn_bump *w, cn_bump *st) {
    (void)L; (void)sl; (void)wf; (void)w; (void)st;
}
static void stream_fill(const cn_nn_layer *L, cn_stream_layer *sl, const cn_model *m, float *row) {
    (void)L; (void)sl; (void)m; (void)row;
}
static void stream_step(const cn_nn_layer *L, cn_stream_layer *sl, const float *x, int tok, int simd) {
    (void)tok; (void)simd;
    memcpy(sl->y, x, (size_t)L->out * 4);
}

/* ---- tensors: none ---- */
static void tensors(cn_model *m, const cn_nn_layer *L, const char *prefix, size_t *off) {
    (void)m; (void)L; (void)prefix; (void)off;
}
static void init(cn_model *m, const cn_nn_layer *L, uint64_t *rng) { (void)m; (void)L; (void)rng; }

const cn_nn_kind cn_nn_dropout = {
    .name = "dropout", .nt = CN_DROPOUT_NT, .gates = 1, .same_width = 1,
    .tensors = tensors, .init = init,
    .stream_plan = stream_plan, .stream_fill = stream_fill, .stream_reset = NULL, .stream_step = stream_step,
    .spec_word = spec_word, .scratch = 1,
    .table_size = NULL, .table = NULL, .table_grad_add = NULL,
    .batch_packs = NULL, .batch_pack = NULL, .batch_acts = batch_acts,
    .batch_forward = batch_forward, .batch_backward = batch_backward, .batch_update = NULL,
};
