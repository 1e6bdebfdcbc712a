/* nn_layers.c: each layer's batched forward and backward, as plain functions over time-major
 * activations [T][B][C] (row r = t*B + b). Gradients are accumulated (+=), never overwritten.
 * A first layer fed by token ids gathers rows of a transposed weight table instead of
 * multiplying a one-hot matrix; its backward scatters into a table of the same layout. */
#include <cblas.h>
#include <string.h>
#include "nn_internal.h"
#include "rng.h"

/* C[m][n] (+)= A[m][k] * B^T where B is [n][k] (row-major, leading dims given). */
static void gemm_nt(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                    float beta, float *C, int ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, A, lda, B, ldb, beta, C, ldc);
}
/* C[m][n] (+)= A[m][k] * B[k][n] */
static void gemm_nn(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                    float beta, float *C, int ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, A, lda, B, ldb, beta, C, ldc);
}
/* C[m][n] (+)= A^T * B where A is [k][m], B is [k][n]: the weight gradient of a gemm. */
static void gemm_tn(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                    float beta, float *C, int ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

static void colsum_add(float *db, const float *d, int rows, int n) {
    for (int r = 0; r < rows; r++) {
        const float *row = d + (size_t)r * n;
        for (int j = 0; j < n; j++) db[j] += row[j];
    }
}

/* The same column sums added into two bias gradients (LSTM b_ih and b_hh get identical ones):
 * one pass over d, in blocks of 256 columns held in a local accumulator. */
static void colsum_add2(float *db1, float *db2, const float *d, int rows, int n) {
    float acc[256];
    for (int j0 = 0; j0 < n; j0 += 256) {
        int w = n - j0 < 256 ? n - j0 : 256;
        for (int j = 0; j < w; j++) acc[j] = 0.0f;
        for (int r = 0; r < rows; r++) {
            const float *row = d + (size_t)r * n + j0;
            for (int j = 0; j < w; j++) acc[j] += row[j];
        }
        for (int j = 0; j < w; j++) { db1[j0 + j] += acc[j]; db2[j0 + j] += acc[j]; }
    }
}

static void relu_mask(float *dy, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

/* ---- embedding: y[r] = E[tok[r]] ---- */
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

/* ---- LSTM (PyTorch gates i,f,g,o) ----
 * G [T][B][4H] holds the activated gates; c and tc = tanh(c) are kept for the backward.
 * bsum = b_ih + b_hh. W_hh comes packed (nn_gemm.c): the per-step products then skip
 * OpenBLAS's repacking of the whole weight at every step. With tok, wih is the gather table
 * [V][4H]; otherwise W_ih packed too, by cn_nn_pack_nt(4H, In) for the forward and
 * cn_nn_pack_nn(4H, In) for the backward. */
void cn_lstm_forward(float *h, float *c, float *tc, float *G, const float *x, const int *tok,
                     const float *wih, const float *whh_pf, const float *bsum, int T, int B, int In, int H) {
    int G4 = 4 * H;
    size_t rows = (size_t)T * B;
    if (tok) {
        cn_embed_forward(G, tok, wih, (int)rows, G4);
        for (size_t r = 0; r < rows; r++) {
            float *g = G + r * G4;
            for (int j = 0; j < G4; j++) g[j] += bsum[j];
        }
    } else {
        for (size_t r = 0; r < rows; r++) memcpy(G + r * G4, bsum, (size_t)G4 * sizeof(float));
        cn_nn_gemm_packed((int)rows, G4, In, x, In, wih, G, G4);
    }
    for (int t = 0; t < T; t++) {
        float *Gt = G + (size_t)t * B * G4;
        if (t > 0) cn_nn_gemm_packed(B, G4, H, h + (size_t)(t - 1) * B * H, H, whh_pf, Gt, G4);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            cn_nn_lstm_cell(Gt + (size_t)b * G4, t > 0 ? c + (r - B) * H : NULL, c + r * H, tc + r * H, h + r * H, H);
        }
    }
}

/* dh [T][B][H]: gradient w.r.t. h from above; used as scratch. G is overwritten by dG
 * (pre-activation). dc is scratch [B][H]; pack is scratch of cn_nn_gemm_tn_scratch(max(In, H))
 * floats. dx may be NULL (first layer). */
void cn_lstm_backward(float *dx, float *dwih, float *dwhh, float *dbih, float *dbhh, float *dh, float *G,
                      const float *h, const float *c, const float *tc, const float *x, const int *tok,
                      const float *wih, const float *whh_pb, float *dc, float *pack, int T, int B, int In, int H) {
    int G4 = 4 * H;
    memset(dc, 0, (size_t)B * H * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        float *dht = dh + (size_t)t * B * H;
        if (t < T - 1) cn_nn_gemm_packed(B, H, G4, G + (size_t)(t + 1) * B * G4, G4, whh_pb, dht, H);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            float *g = G + r * G4, *dcb = dc + (size_t)b * H;
            const float *dhb = dht + (size_t)b * H, *tcb = tc + r * H;
            const float *cp = t > 0 ? c + (r - B) * H : NULL;
            for (int j = 0; j < H; j++) {
                float gi = g[j], gf = g[H + j], gg = g[2 * H + j], go = g[3 * H + j];
                float tcj = tcb[j];
                float d = dcb[j] + dhb[j] * go * (1.0f - tcj * tcj);
                float cprev = cp ? cp[j] : 0.0f;
                g[j] = d * gg * gi * (1.0f - gi);
                g[H + j] = d * cprev * gf * (1.0f - gf);
                g[2 * H + j] = d * gi * (1.0f - gg * gg);
                g[3 * H + j] = dhb[j] * tcj * go * (1.0f - go);
                dcb[j] = d * gf;
            }
        }
    }
    size_t rows = (size_t)T * B;
    colsum_add2(dbih, dbhh, G, (int)rows, G4);
    cn_nn_gemm_tn(G4, H, (T - 1) * B, G + (size_t)B * G4, G4, h, H, dwhh, H, pack);
    if (tok) { cn_embed_backward(dwih, G, tok, (int)rows, G4); return; }
    cn_nn_gemm_tn(G4, In, (int)rows, G, G4, x, In, dwih, In, pack);
    if (dx) {
        memset(dx, 0, rows * In * sizeof(float));
        cn_nn_gemm_packed((int)rows, In, G4, G, G4, wih, dx, In);
    }
}

/* ---- GRU (PyTorch gates r,z,n; n = tanh(W_in x + b_in + r*(W_hn h + b_hn))) ----
 * G [T][B][3H] holds activated r, z, n; HN [T][B][H] holds W_hn h + b_hn; gh is scratch [B][3H]. */
void cn_gru_forward(float *h, float *G, float *HN, float *gh, const float *x, const int *tok,
                    const float *wih, const float *whh, const float *bih, const float *bhh,
                    int T, int B, int In, int H) {
    int G3 = 3 * H;
    size_t rows = (size_t)T * B;
    if (tok) cn_embed_forward(G, tok, wih, (int)rows, G3);
    else gemm_nt((int)rows, G3, In, x, In, wih, In, 0.0f, G, G3);
    for (size_t r = 0; r < rows; r++) {
        float *g = G + r * G3;
        for (int j = 0; j < G3; j++) g[j] += bih[j];
    }
    for (int t = 0; t < T; t++) {
        for (int b = 0; b < B; b++) memcpy(gh + (size_t)b * G3, bhh, (size_t)G3 * sizeof(float));
        if (t > 0) gemm_nt(B, G3, H, h + (size_t)(t - 1) * B * H, H, whh, H, 1.0f, gh, G3);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            float *g = G + r * G3, *ghb = gh + (size_t)b * G3, *hn = HN + r * H, *hr = h + r * H;
            for (int j = 0; j < 2 * H; j++) g[j] += ghb[j];
            cn_nn_vsigmoid(g, 2 * H);
            for (int j = 0; j < H; j++) { hn[j] = ghb[2 * H + j]; g[2 * H + j] += g[j] * hn[j]; }
            cn_nn_vtanh(g + 2 * H, H);
            const float *hp = t > 0 ? h + (r - B) * H : NULL;
            for (int j = 0; j < H; j++) {
                float z = g[H + j], n = g[2 * H + j];
                hr[j] = (1.0f - z) * n + z * (hp ? hp[j] : 0.0f);
            }
        }
    }
}

/* dh as for the LSTM. G is overwritten by dGx (input-side pre-activation grads); DGH [T][B][3H]
 * receives the hidden-side grads. */
void cn_gru_backward(float *dx, float *dwih, float *dwhh, float *dbih, float *dbhh, float *dh, float *G,
                     float *DGH, const float *HN, const float *h, const float *x, const int *tok,
                     const float *wih, const float *whh, int T, int B, int In, int H) {
    int G3 = 3 * H;
    for (int t = T - 1; t >= 0; t--) {
        float *dht = dh + (size_t)t * B * H;
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            float *g = G + r * G3, *dg = DGH + r * G3;
            const float *dhb = dht + (size_t)b * H, *hn = HN + r * H;
            const float *hp = t > 0 ? h + (r - B) * H : NULL;
            float *dhp = t > 0 ? dh + (r - B) * H : NULL;
            for (int j = 0; j < H; j++) {
                float rr = g[j], z = g[H + j], n = g[2 * H + j];
                float hprev = hp ? hp[j] : 0.0f;
                float dn = dhb[j] * (1.0f - z) * (1.0f - n * n);
                float dz = dhb[j] * (hprev - n) * z * (1.0f - z);
                float dr = dn * hn[j] * rr * (1.0f - rr);
                if (dhp) dhp[j] += dhb[j] * z;
                g[j] = dr; g[H + j] = dz; g[2 * H + j] = dn;
                dg[j] = dr; dg[H + j] = dz; dg[2 * H + j] = dn * rr;
            }
        }
        if (t > 0) gemm_nn(B, H, G3, DGH + (size_t)t * B * G3, G3, whh, H, 1.0f, dh + (size_t)(t - 1) * B * H, H);
    }
    size_t rows = (size_t)T * B;
    colsum_add(dbih, G, (int)rows, G3);
    colsum_add(dbhh, DGH, (int)rows, G3);
    gemm_tn(G3, H, (T - 1) * B, DGH + (size_t)B * G3, G3, h, H, 1.0f, dwhh, H);
    if (tok) { cn_embed_backward(dwih, G, tok, (int)rows, G3); return; }
    gemm_tn(G3, In, (int)rows, G, G3, x, In, 1.0f, dwih, In);
    if (dx) gemm_nn((int)rows, In, G3, G, G3, wih, In, 0.0f, dx, In);
}

/* ---- BatchNorm over features (statistics over all rows) ----
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

/* ---- inverted dropout: mask holds 0 or 1/(1-p) ---- */
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
