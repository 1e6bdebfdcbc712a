/* nn_gemm.c: the small matrix product of a recurrent step (B rows times a fixed weight) on a
 * weight packed once per batch into 32-column panels. OpenBLAS packs the whole weight again on
 * every call, which at B = 32 rows costs about as much as a fifth of the product itself; here
 * the packing is paid once for all T steps. Written with GCC/Clang 64-byte vector types so
 * -march=native picks the instructions: on this AVX-512 machine an 8-row by 32-column block of
 * zmm accumulators runs about twice as fast as OpenBLAS's (pinned) Haswell kernel; without
 * AVX-512 the compiler splits each vector in halves, still correct. */
#include <string.h>
#include "nn_internal.h"

typedef float v16 __attribute__((vector_size(64)));

#define PANEL 32
#define ROWS 8

size_t cn_nn_packed_size(int N, int K) {
    return (size_t)((N + PANEL - 1) / PANEL) * PANEL * K;
}

/* P[p][k][i] = W[p*32 + i][k], zero past N: W is [N][K] row-major (the product is A W^T). */
void cn_nn_pack_nt(float *P, const float *W, int N, int K) {
    for (int p = 0; p * PANEL < N; p++)
        for (int k = 0; k < K; k++) {
            float *d = P + ((size_t)p * K + k) * PANEL;
            for (int i = 0; i < PANEL; i++) {
                int n = p * PANEL + i;
                d[i] = n < N ? W[(size_t)n * K + k] : 0.0f;
            }
        }
}

/* P[p][k][i] = W[k][p*32 + i], zero past N: W is [K][N] row-major, leading dimension ldw. */
static void pack_nn_ld(float *P, const float *W, int K, int N, int ldw) {
    for (int p = 0; p * PANEL < N; p++)
        for (int k = 0; k < K; k++) {
            float *d = P + ((size_t)p * K + k) * PANEL;
            for (int i = 0; i < PANEL; i++) {
                int n = p * PANEL + i;
                d[i] = n < N ? W[(size_t)k * ldw + n] : 0.0f;
            }
        }
}

/* W is [K][N] row-major (the product is A W). */
void cn_nn_pack_nn(float *P, const float *W, int K, int N) {
    pack_nn_ld(P, W, K, N, N);
}

/* Loads/stores 32 floats of a C row, only the first w of them real (w < 32 in the last panel). */
static inline void load32(v16 *a, v16 *b, const float *c, int w) {
    float t[PANEL] = { 0 };
    if (w == PANEL) { memcpy(a, c, 64); memcpy(b, c + 16, 64); return; }
    memcpy(t, c, (size_t)w * sizeof(float));
    memcpy(a, t, 64); memcpy(b, t + 16, 64);
}
/* (vectors by pointer: by value they change the ABI without AVX-512, which -Wpsabi rejects) */
static inline void store32(float *c, const v16 *a, const v16 *b, int w) {
    float t[PANEL];
    if (w == PANEL) { memcpy(c, a, 64); memcpy(c + 16, b, 64); return; }
    memcpy(t, a, 64); memcpy(t + 16, b, 64);
    memcpy(c, t, (size_t)w * sizeof(float));
}

/* C[M][N] += A * (the packed weight) for rows m0 .. m1 of C, A[m][k] at A[m*rs + k*ks]. */
static void gemm_rows(int m0, int m1, int N, int K, const float *A, size_t rs, size_t ks, const float *P,
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
            load32(&a0, &b0, cr, w); load32(&a1, &b1, cr + ldc, w);
            load32(&a2, &b2, cr + 2 * (size_t)ldc, w); load32(&a3, &b3, cr + 3 * (size_t)ldc, w);
            load32(&a4, &b4, cr + 4 * (size_t)ldc, w); load32(&a5, &b5, cr + 5 * (size_t)ldc, w);
            load32(&a6, &b6, cr + 6 * (size_t)ldc, w); load32(&a7, &b7, cr + 7 * (size_t)ldc, w);
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
            store32(cr, &a0, &b0, w); store32(cr + ldc, &a1, &b1, w);
            store32(cr + 2 * (size_t)ldc, &a2, &b2, w); store32(cr + 3 * (size_t)ldc, &a3, &b3, w);
            store32(cr + 4 * (size_t)ldc, &a4, &b4, w); store32(cr + 5 * (size_t)ldc, &a5, &b5, w);
            store32(cr + 6 * (size_t)ldc, &a6, &b6, w); store32(cr + 7 * (size_t)ldc, &a7, &b7, w);
        }
        for (; m < m1; m++) {
            v16 c0, c1;
            load32(&c0, &c1, C + (size_t)m * ldc + col, w);
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
            store32(C + (size_t)m * ldc + col, &c0, &c1, w);
        }
    }
}

/* Blocks of rows whose A slice (about 128 KB) stays in L2 while every panel passes over it. */
static void gemm_blocked(int M, int N, int K, const float *A, size_t rs, size_t ks, const float *P,
                         float *C, int ldc) {
    int mb = K > 0 ? 32768 / K / ROWS * ROWS : M;
    if (mb < ROWS) mb = ROWS;
    for (int m0 = 0; m0 < M; m0 += mb)
        gemm_rows(m0, M - m0 < mb ? M : m0 + mb, N, K, A, rs, ks, P, C, ldc);
}

void cn_nn_gemm_packed(int M, int N, int K, const float *A, int lda, const float *P, float *C, int ldc) {
    gemm_blocked(M, N, K, A, (size_t)lda, 1, P, C, ldc);
}

void cn_nn_gemm_packed_at(int M, int N, int K, const float *At, int lda, const float *P, float *C, int ldc) {
    gemm_blocked(M, N, K, At, 1, (size_t)lda, P, C, ldc);
}

/* The weight-gradient product C[M][N] += At^T Bm (At [K][M], Bm [K][N]) with K = all rows of a
 * batch: K is cut into chunks of KC so each packed chunk of Bm and its slice of At stay in
 * cache; scratch holds one packed chunk, cn_nn_gemm_tn_scratch(N) floats. */
#define KC 256
size_t cn_nn_gemm_tn_scratch(int N) {
    return cn_nn_packed_size(N, KC);
}

void cn_nn_gemm_tn(int M, int N, int K, const float *At, int lda, const float *Bm, int ldb, float *C, int ldc,
                   float *scratch) {
    for (int k0 = 0; k0 < K; k0 += KC) {
        int kc = K - k0 < KC ? K - k0 : KC;
        pack_nn_ld(scratch, Bm + (size_t)k0 * ldb, kc, N, ldb);
        gemm_blocked(M, N, kc, At + (size_t)k0 * lda, 1, (size_t)lda, scratch, C, ldc);
    }
}
