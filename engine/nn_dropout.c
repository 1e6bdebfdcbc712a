/* nn_dropout.c: inverted dropout with drop probability P: in training a kept value is scaled by
 * 1/(1-P), so that outside training (and always when streaming) it is the identity. */
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
};
