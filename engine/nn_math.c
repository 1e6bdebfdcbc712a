/* nn_math.c: the element-wise math of the neural core over whole arrays (exp, sigmoid, tanh,
 * softmax cross-entropy), written as straight loops with branch-free polynomial exp so the
 * compiler vectorises them; libm's scalar expf/tanhf would dominate an LSTM's gate math.
 * Accuracy: exp within ~2 ulp on [-87, 88] (Cephes polynomial); tanh and sigmoid within 1e-7
 * absolute. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "nn_internal.h"

/* exp(x) for x clamped to [-87.3, 88.3] (NaN as -87.3): x = n ln2 + r, e^r by Cephes' degree-6 polynomial,
 * 2^n put into the exponent bits. */
static inline float exp_poly(float x) {
    /* written so that NaN (false in both tests) clamps to -87.3: converting NaN to an int
     * below would be undefined; an overflowing model's step stays defined */
    x = x > -87.3f ? x : -87.3f;
    x = x < 88.3f ? x : 88.3f;
    /* round to nearest by truncating a positive number (no floorf: it blocks vectorising) */
    int32_t ni = (int32_t)(x * 1.44269504088896341f + 127.5f) - 127;
    float n = (float)ni;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    p = p * r * r + r + 1.0f;
    union { int32_t i; float f; } scale;   /* a union, not memcpy: the loops then vectorise */
    scale.i = (ni + 127) << 23;
    return p * scale.f;
}

float cn_nn_expf(float x) { return exp_poly(x); }

CN_WIDE void cn_nn_vsigmoid(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = 1.0f / (1.0f + exp_poly(-x[i]));
}

static inline float tanh_poly(float x) {
    float e = exp_poly(-2.0f * fabsf(x));
    float t = (1.0f - e) / (1.0f + e);
    return x < 0 ? -t : t;
}

CN_WIDE void cn_nn_vtanh(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = tanh_poly(x[i]);
}

CN_WIDE void cn_nn_vtanh_to(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] = tanh_poly(x[i]);
}

/* Softmax of one row into p; returns log-sum-exp (so CE = lse - z[target]). */
CN_WIDE float cn_nn_softmax_row(float *p, const float *z, int V) {
    float mx = z[0];
    for (int v = 1; v < V; v++) mx = z[v] > mx ? z[v] : mx;
    float s = 0.0f;
    for (int v = 0; v < V; v++) { p[v] = exp_poly(z[v] - mx); s += p[v]; }
    float inv = 1.0f / s;
    for (int v = 0; v < V; v++) p[v] *= inv;
    return mx + logf(s);
}

/* The LSTM cell for one row of B: gates g[4H] pre-activation in, activated out; c, tanh(c), h out. */
CN_WIDE void cn_nn_lstm_cell(float *g, const float *cprev, float *c, float *tc, float *h, int H) {
    for (int j = 0; j < 2 * H; j++) g[j] = 1.0f / (1.0f + exp_poly(-g[j]));
    for (int j = 2 * H; j < 3 * H; j++) g[j] = tanh_poly(g[j]);
    for (int j = 3 * H; j < 4 * H; j++) g[j] = 1.0f / (1.0f + exp_poly(-g[j]));
    const float *gi = g, *gf = g + H, *gg = g + 2 * H, *go = g + 3 * H;
    if (cprev) for (int j = 0; j < H; j++) c[j] = gf[j] * cprev[j] + gi[j] * gg[j];
    else for (int j = 0; j < H; j++) c[j] = gi[j] * gg[j];
    for (int j = 0; j < H; j++) { tc[j] = tanh_poly(c[j]); h[j] = go[j] * tc[j]; }
}

/* The GRU cell (PyTorch gates r,z,n; n = tanh(W_in x + b_in + r*(W_hn h + b_hn))), one row: the
 * batched forward and the streaming step both run this. */
CN_WIDE void cn_nn_gru_cell(float *g, const float *gh, const float *hprev, float *h, int H) {
    for (int j = 0; j < 2 * H; j++) g[j] = 1.0f / (1.0f + exp_poly(-(g[j] + gh[j])));
    for (int j = 0; j < H; j++) g[2 * H + j] = tanh_poly(g[2 * H + j] + g[j] * gh[2 * H + j]);
    for (int j = 0; j < H; j++) {
        float z = g[H + j], n = g[2 * H + j];
        h[j] = (1.0f - z) * n + z * (hprev ? hprev[j] : 0.0f);
    }
}
