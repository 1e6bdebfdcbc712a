/* nn_gemm_kernel.h: the body of the packed product's inner kernel, included by nn_gemm.c
 * once per instruction set: before each inclusion KN(name) names the copy (name_avx512, ...)
 * and KTGT is its target attribute (empty for the baseline). The same C source at every
 * width, without contraction into FMA (-std=c11 keeps -ffp-contract=off), so every copy
 * computes bit-identical results; only the speed differs. No include guard: meant to be
 * included several times. */
/* Loads/stores 32 floats of a C row, only the first w of them real (w < 32 in the last panel). */
KTGT static inline void KN(load32)(v16 *a, v16 *b, const float *c, int w) {
    float t[PANEL] = { 0 };
    if (w == PANEL) { memcpy(a, c, 64); memcpy(b, c + 16, 64); return; }
    memcpy(t, c, (size_t)w * sizeof(float));
    memcpy(a, t, 64); memcpy(b, t + 16, 64);
}
/* (vectors by pointer: by value they change the ABI without AVX-512, which -Wpsabi rejects) */
KTGT static inline void KN(store32)(float *c, const v16 *a, const v16 *b, int w) {
    float t[PANEL];
    if (w == PANEL) { memcpy(c, a, 64); memcpy(c + 16, b, 64); return; }
    memcpy(t, a, 64); memcpy(t + 16, b, 64);
    memcpy(c, t, (size_t)w * sizeof(float));
}

/* C[M][N] += A * (the packed weight) for rows m0 .. m1 of C, A[m][k] at A[m*rs + k*ks]. */
KTGT static void KN(gemm_rows)(int m0, int m1, int N, int K, const float *A, size_t rs, size_t ks, const float *P,
                      float *C, int ldc) {
    for (int p = 0; p * PANEL < N; p++) {
        const float *pp = P + (size_t)p * K * PANEL;
        int col = p * PANEL, w = N - col < PANEL ? N - col : PANEL;
        int m = m0;
        for (; m + ROWS <= m1; m += ROWS) {
            /* eight rows spelled out: at -O2 a loop over an accumulator array is not
             * unrolled and the accumulators would live in memory */
            v16 a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, a6, b6, a7, b7;
            float *cr = C + (size_t)m * ldc + col;
            KN(load32)(&a0, &b0, cr, w); KN(load32)(&a1, &b1, cr + ldc, w);
            KN(load32)(&a2, &b2, cr + 2 * (size_t)ldc, w); KN(load32)(&a3, &b3, cr + 3 * (size_t)ldc, w);
            KN(load32)(&a4, &b4, cr + 4 * (size_t)ldc, w); KN(load32)(&a5, &b5, cr + 5 * (size_t)ldc, w);
            KN(load32)(&a6, &b6, cr + 6 * (size_t)ldc, w); KN(load32)(&a7, &b7, cr + 7 * (size_t)ldc, w);
            const float *ar = A + (size_t)m * rs;
            for (int k = 0; k < K; k++) {
                v16 w0, w1;
                memcpy(&w0, pp + (size_t)k * PANEL, 64);
                memcpy(&w1, pp + (size_t)k * PANEL + 16, 64);
#define ROW(r, acc0, acc1) { float s = ar[(size_t)(r) * rs + (size_t)k * ks]; v16 bc = { s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s }; \
                             acc0 += bc * w0; acc1 += bc * w1; }
                ROW(0, a0, b0) ROW(1, a1, b1) ROW(2, a2, b2) ROW(3, a3, b3)
                ROW(4, a4, b4) ROW(5, a5, b5) ROW(6, a6, b6) ROW(7, a7, b7)
#undef ROW
            }
            KN(store32)(cr, &a0, &b0, w); KN(store32)(cr + ldc, &a1, &b1, w);
            KN(store32)(cr + 2 * (size_t)ldc, &a2, &b2, w); KN(store32)(cr + 3 * (size_t)ldc, &a3, &b3, w);
            KN(store32)(cr + 4 * (size_t)ldc, &a4, &b4, w); KN(store32)(cr + 5 * (size_t)ldc, &a5, &b5, w);
            KN(store32)(cr + 6 * (size_t)ldc, &a6, &b6, w); KN(store32)(cr + 7 * (size_t)ldc, &a7, &b7, w);
        }
        for (; m < m1; m++) {
            v16 c0, c1;
            KN(load32)(&c0, &c1, C + (size_t)m * ldc + col, w);
            const float *a = A + (size_t)m * rs;
            for (int k = 0; k < K; k++) {
                v16 w0, w1;
                memcpy(&w0, pp + (size_t)k * PANEL, 64);
                memcpy(&w1, pp + (size_t)k * PANEL + 16, 64);
                float s = a[(size_t)k * ks];
                v16 b = { s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s };
                c0 += b * w0;
                c1 += b * w1;
            }
            KN(store32)(C + (size_t)m * ldc + col, &c0, &c1, w);
        }
    }
}

