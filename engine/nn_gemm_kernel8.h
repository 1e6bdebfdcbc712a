/* nn_gemm_kernel8.h: the packed product's inner kernel in 8-float vectors, for AVX2 (16 ymm
 * registers) and the baseline, included by nn_gemm.c once per instruction set like
 * nn_gemm_kernel.h (KN names the copy, KTGT is its target attribute). Why a kernel of its own:
 * the 16-float kernel, compiled for AVX2, splits every vector in two, needs 32 accumulators
 * for its 8 rows and builds each broadcast through the stack, and it ran about 100 times
 * slower than this one on an AVX2-only EPYC (Zen 2). Here a block is 2 rows by one 32-column
 * panel: 8 accumulators, 4 weight vectors and 2 broadcasts, in registers. Each element of C
 * still gets c += a * w in the order of k, a multiply then an add (no FMA), so this computes
 * exactly what the 16-float kernel does. No include guard: meant to be included twice. */
typedef float v8 __attribute__((vector_size(32)));

/* Loads/stores 32 floats of a C row as four vectors, only the first w of them real. */
KTGT static inline void KN(load32x8)(v8 *v, const float *c, int w) {
    float t[PANEL] = { 0 };
    if (w == PANEL) { memcpy(v, c, 128); return; }
    memcpy(t, c, (size_t)w * sizeof(float));
    memcpy(v, t, 128);
}
KTGT static inline void KN(store32x8)(float *c, const v8 *v, int w) {
    float t[PANEL];
    if (w == PANEL) { memcpy(c, v, 128); return; }
    memcpy(t, v, 128);
    memcpy(c, t, (size_t)w * sizeof(float));
}

/* One row of C (32 columns at cr) += a row of A times the panel pp. */
KTGT static inline void KN(row1x8)(float *cr, const float *a, size_t ks, const float *pp, int K, int w) {
    v8 c[4];
    KN(load32x8)(c, cr, w);
    for (int k = 0; k < K; k++) {
        v8 wv[4];
        memcpy(wv, pp + (size_t)k * PANEL, 128);
        float s = a[(size_t)k * ks];
        v8 b = { s, s, s, s, s, s, s, s };
        c[0] += b * wv[0]; c[1] += b * wv[1]; c[2] += b * wv[2]; c[3] += b * wv[3];
    }
    KN(store32x8)(cr, c, w);
}

/* Two full rows (32 columns at c0 and c1) += two rows of A times the panel pp. The
 * accumulators are named vectors loaded straight from C: kept in an array, GCC left half
 * of them on the stack. */
KTGT static inline void KN(rows2x8)(float *c0, float *c1, const float *a0, const float *a1, size_t ks,
                                    const float *pp, int K) {
    v8 x0, x1, x2, x3, y0, y1, y2, y3;
    memcpy(&x0, c0, 32); memcpy(&x1, c0 + 8, 32); memcpy(&x2, c0 + 16, 32); memcpy(&x3, c0 + 24, 32);
    memcpy(&y0, c1, 32); memcpy(&y1, c1 + 8, 32); memcpy(&y2, c1 + 16, 32); memcpy(&y3, c1 + 24, 32);
    for (int k = 0; k < K; k++) {
        v8 w0, w1, w2, w3;
        const float *pk = pp + (size_t)k * PANEL;
        memcpy(&w0, pk, 32); memcpy(&w1, pk + 8, 32); memcpy(&w2, pk + 16, 32); memcpy(&w3, pk + 24, 32);
        float s0 = a0[(size_t)k * ks], s1 = a1[(size_t)k * ks];
        v8 b0 = { s0, s0, s0, s0, s0, s0, s0, s0 }, b1 = { s1, s1, s1, s1, s1, s1, s1, s1 };
        x0 += b0 * w0; x1 += b0 * w1; x2 += b0 * w2; x3 += b0 * w3;
        y0 += b1 * w0; y1 += b1 * w1; y2 += b1 * w2; y3 += b1 * w3;
    }
    memcpy(c0, &x0, 32); memcpy(c0 + 8, &x1, 32); memcpy(c0 + 16, &x2, 32); memcpy(c0 + 24, &x3, 32);
    memcpy(c1, &y0, 32); memcpy(c1 + 8, &y1, 32); memcpy(c1 + 16, &y2, 32); memcpy(c1 + 24, &y3, 32);
}

/* C[M][N] += A * (the packed weight) for rows m0 .. m1 of C, A[m][k] at A[m*rs + k*ks]. A last
 * panel narrower than 32 columns goes through a padded copy of its two rows. */
KTGT static void KN(gemm_rows)(int m0, int m1, int N, int K, const float *A, size_t rs, size_t ks, const float *P,
                      float *C, int ldc) {
    for (int p = 0; p * PANEL < N; p++) {
        const float *pp = P + (size_t)p * K * PANEL;
        int col = p * PANEL, w = N - col < PANEL ? N - col : PANEL;
        int m = m0;
        for (; m + 2 <= m1; m += 2) {
            float *cr = C + (size_t)m * ldc + col;
            const float *ar = A + (size_t)m * rs;
            if (w == PANEL) { KN(rows2x8)(cr, cr + ldc, ar, ar + rs, ks, pp, K); continue; }
            float t[2][PANEL] = { { 0 } };
            memcpy(t[0], cr, (size_t)w * sizeof(float));
            memcpy(t[1], cr + ldc, (size_t)w * sizeof(float));
            KN(rows2x8)(t[0], t[1], ar, ar + rs, ks, pp, K);
            memcpy(cr, t[0], (size_t)w * sizeof(float));
            memcpy(cr + ldc, t[1], (size_t)w * sizeof(float));
        }
        for (; m < m1; m++) KN(row1x8)(C + (size_t)m * ldc + col, A + (size_t)m * rs, ks, pp, K, w);
    }
}
