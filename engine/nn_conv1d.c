/* nn_conv1d.c: the causal Conv1D with ReLU, y[t] = relu(b + sum_k W_k x[t-(K-1)+k]) with zeros
 * before the start (PyTorch's nn.Conv1d with left padding K-1, U(+-1/sqrt(Cin*K)) at init).
 * Batched it reads a table of W reordered per tap; streaming it keeps the last K inputs (a
 * ring of tokens when it is the first layer, else a window of activations). */
#include <stdio.h>
#include <string.h>
#include "nn_internal.h"
#include "nn_kernels.h"
#include "nn_stream_internal.h"

/* The weight [F][Cin][K] as the kernels read it: one-hot [K][V][F] (a gather per tap), else
 * [K][F][Cin] (W_k contiguous); and the inverse, adding a gradient in that layout into dW. */
void cn_conv1d_table(float *tab, const float *W, int F, int In, int K, int onehot) {
    for (int f = 0; f < F; f++)
        for (int c = 0; c < In; c++)
            for (int k = 0; k < K; k++) {
                float w = W[((size_t)f * In + c) * K + k];
                if (onehot) tab[((size_t)k * In + c) * F + f] = w;   /* [K][V][F] */
                else tab[((size_t)k * F + f) * In + c] = w;          /* [K][F][Cin] */
            }
}
void cn_conv1d_table_grad_add(float *dW, const float *gtab, int F, int In, int K, int onehot) {
    for (int f = 0; f < F; f++)
        for (int c = 0; c < In; c++)
            for (int k = 0; k < K; k++)
                dW[((size_t)f * In + c) * K + k] += onehot ? gtab[((size_t)k * In + c) * F + f]
                                                           : gtab[((size_t)k * F + f) * In + c];
}

/* ---- causal Conv1D + ReLU: y[t] = relu(b + sum_k W_k x[t-(K-1)+k]), zeros before t=0 ----
 * wk: with tok the gather table [K][V][F]; otherwise [K][F][Cin] (W_k contiguous). */
void cn_conv1d_forward(float *y, const float *x, const int *tok, const float *wk, const float *bias,
                       int T, int B, int Cin, int F, int K) {
    size_t rows = (size_t)T * B;
    for (size_t r = 0; r < rows; r++) memcpy(y + r * F, bias, (size_t)F * sizeof(float));
    for (int k = 0; k < K; k++) {
        int s = K - 1 - k;  /* tap k reads the input s steps back */
        if (s >= T) continue;
        if (tok) {
            const float *tab = wk + (size_t)k * Cin * F;
            for (int t = s; t < T; t++)
                for (int b = 0; b < B; b++) {
                    float *yr = y + ((size_t)t * B + b) * F;
                    const float *w = tab + (size_t)tok[(t - s) * B + b] * F;
                    for (int f = 0; f < F; f++) yr[f] += w[f];
                }
        } else {
            gemm_nt((T - s) * B, F, Cin, x, Cin, wk + (size_t)k * F * Cin, Cin, 1.0f, y + (size_t)s * B * F, F);
        }
    }
    for (size_t i = 0; i < rows * F; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}
void cn_conv1d_backward(float *dx, float *dwk, float *dbias, float *dy, const float *y, const float *x,
                        const int *tok, const float *wk, int T, int B, int Cin, int F, int K) {
    relu_mask(dy, y, (size_t)T * B * F);
    colsum_add(dbias, dy, T * B, F);
    if (dx) memset(dx, 0, (size_t)T * B * Cin * sizeof(float));
    for (int k = 0; k < K; k++) {
        int s = K - 1 - k;
        if (s >= T) continue;
        const float *dys = dy + (size_t)s * B * F;
        if (tok) {
            float *tab = dwk + (size_t)k * Cin * F;
            for (int t = s; t < T; t++)
                for (int b = 0; b < B; b++) {
                    float *d = tab + (size_t)tok[(t - s) * B + b] * F;
                    const float *g = dys + ((size_t)(t - s) * B + b) * F;
                    for (int f = 0; f < F; f++) d[f] += g[f];
                }
        } else {
            gemm_tn(F, Cin, (T - s) * B, dys, F, x, Cin, 1.0f, dwk + (size_t)k * F * Cin, Cin);
            if (dx) gemm_nn((T - s) * B, Cin, F, dys, F, wk + (size_t)k * F * Cin, Cin, 1.0f, dx, Cin);
        }
    }
}

/* ---- batched: the path of nn_batch.c ----
 * Its weight as the kernels read it: [K][V][F] one-hot, [K][F][Cin] otherwise (none for
 * K = 1 on activations: [F][Cin][1] is that layout already). */
static size_t table_size(const cn_nn_layer *L) {
    return L->onehot || L->kernel > 1 ? (size_t)L->kernel * L->in * L->out : 0;
}
static void table(const cn_nn_layer *L, float *tab, const float *W) {
    cn_conv1d_table(tab, W, L->out, L->in, L->kernel, L->onehot);
}
static void table_grad_add(const cn_nn_layer *L, float *dW, const float *gtab) {
    cn_conv1d_table_grad_add(dW, gtab, L->out, L->in, L->kernel, L->onehot);
}
static void batch_forward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    cn_conv1d_forward(c->a->y, c->x, c->tok, c->w, cn_nn_t(c->m, c->m->params, L, CN_CONV_B), c->T, c->B,
                      L->in, L->out, L->kernel);
}
static void batch_backward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    cn_conv1d_backward(c->dx, c->gw, cn_nn_t(c->m, c->grads, L, CN_CONV_B), c->dy, c->a->y, c->x, c->tok, c->w,
                       c->T, c->B, L->in, L->out, L->kernel);
}
static void spec_word(const cn_layer_spec *s, char *buf, size_t len) {
    snprintf(buf, len, "conv1d:%d:%d", s->units, s->kernel);
}

/* ---- streaming ---- */
static void stream_plan(const cn_nn_layer *L, cn_stream_layer *sl, cn_weight_format wf, cn_bump *w, cn_bump *st) {
    cn_conv1d_state *c = &sl->conv;
    int K = L->kernel, In = L->in, F = L->out;
    if (L->onehot) {
        c->tab = cn_bump_take(w, (size_t)K * In * F * sizeof(float));
        c->ring = cn_bump_take(st, (size_t)K * sizeof(int));
    } else {
        cn_mat_plan(w, &c->W, wf, F, K * In);
        c->xin = cn_bump_take(st, CN_PAD16(K * In) * 4u);
    }
    c->b = cn_bump_take(w, (size_t)F * 4);
}
static void stream_fill(const cn_nn_layer *L, cn_stream_layer *sl, const cn_model *m, float *row) {
    cn_conv1d_state *c = &sl->conv;
    int K = L->kernel, In = L->in, F = L->out;
    const float *W = cn_nn_t(m, m->params, L, CN_CONV_W);
    if (L->onehot) {
        cn_conv1d_table(c->tab, W, F, In, K, 1);
    } else {   /* row f: the window [K][Cin] it multiplies */
        for (int f = 0; f < F; f++) {
            for (int k = 0; k < K; k++)
                for (int ci = 0; ci < In; ci++) row[k * In + ci] = W[((size_t)f * In + ci) * K + k];
            cn_mat_set_row(&c->W, f, row);
        }
    }
    memcpy(c->b, cn_nn_t(m, m->params, L, CN_CONV_B), (size_t)F * 4);
}
static void stream_reset(const cn_nn_layer *L, cn_stream_layer *sl) {
    if (sl->conv.ring) for (int k = 0; k < L->kernel; k++) sl->conv.ring[k] = -1;
}
static void stream_step(const cn_nn_layer *L, cn_stream_layer *sl, const float *x, int tok, int simd) {
    cn_conv1d_state *c = &sl->conv;
    int K = L->kernel, In = L->in, F = L->out;
    float *y = sl->y;
    if (L->onehot) {
        memmove(c->ring, c->ring + 1, (size_t)(K - 1) * sizeof(int));
        c->ring[K - 1] = tok;
        memcpy(y, c->b, (size_t)F * 4);
        for (int k = 0; k < K; k++) {
            if (c->ring[k] < 0) continue;
            const float *w = c->tab + ((size_t)k * In + c->ring[k]) * F;
            for (int f = 0; f < F; f++) y[f] += w[f];
        }
    } else {
        memmove(c->xin, c->xin + In, (size_t)(K - 1) * In * 4);
        memcpy(c->xin + (size_t)(K - 1) * In, x, (size_t)In * 4);
        cn_mv(&c->W, c->xin, y, simd);
        for (int f = 0; f < F; f++) y[f] += c->b[f];
    }
    for (int f = 0; f < F; f++) y[f] = y[f] > 0.0f ? y[f] : 0.0f;
}

/* ---- tensors ---- */
static void tensors(cn_model *m, const cn_nn_layer *L, const char *prefix, size_t *off) {
    cn_nn_add_tensor(m, prefix, "weight", 3, L->out, L->in, L->kernel, 1, off);
    cn_nn_add_tensor(m, prefix, "bias", 1, L->out, 0, 0, 1, off);
}
static void init(cn_model *m, const cn_nn_layer *L, uint64_t *rng) {
    cn_nn_init_fan_in(m, L, (float)L->in * (float)L->kernel, rng);
}

const cn_nn_kind cn_nn_conv1d = {
    .name = "conv1d", .nt = CN_CONV_NT, .gates = 1, .same_width = 0,
    .tensors = tensors, .init = init,
    .stream_plan = stream_plan, .stream_fill = stream_fill, .stream_reset = stream_reset, .stream_step = stream_step,
    .spec_word = spec_word, .scratch = 1,
    .table_size = table_size, .table = table, .table_grad_add = table_grad_add,
    .batch_packs = NULL, .batch_pack = NULL, .batch_acts = NULL,
    .batch_forward = batch_forward, .batch_backward = batch_backward, .batch_update = NULL,
};
