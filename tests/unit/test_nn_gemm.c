/* test_nn_gemm.c: the packed matrix kernel of the recurrent layers (engine/nn_gemm.c) against
 * OpenBLAS's cblas_sgemm, on odd shapes: rows that are not a multiple of 8, columns that leave a
 * partial 32-wide panel, K past the 256-row chunks of the weight-gradient product, and leading
 * dimensions wider than the matrices. Each product accumulates into a non-zero C.
 * Tolerance: 1e-5 relative to the sum of |a_k w_k| of each entry (float rounding over K terms). */
#include <cblas.h>
#include <stdlib.h>
#include "../../engine/nn_internal.h"
#include "../../engine/rng.h"
#include "test.h"

static float *rand_mat(size_t n, uint64_t *s) {
    float *m = malloc(n * sizeof *m);
    for (size_t i = 0; i < n; i++) m[i] = 2.0f * cn_rng_uniform(s) - 1.0f;
    return m;
}

/* largest |got - want| / (bound + 1e-6), where bound[i] = sum_k |A||W| for that entry */
static double worst(const float *got, const float *want, const float *bound, int M, int N, int ldc) {
    double w = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double e = fabs((double)got[(size_t)i * ldc + j] - want[(size_t)i * ldc + j]) /
                       ((double)bound[(size_t)i * ldc + j] + 1e-6);
            if (e > w) w = e;
        }
    return w;
}

static const int shapes[][3] = { /* M, N, K */
    { 1, 1, 1 }, { 7, 33, 5 }, { 8, 32, 256 }, { 9, 31, 257 }, { 32, 1024, 256 }, { 17, 100, 300 },
    { 64, 96, 600 }, { 3, 65, 1 }, { 300, 40, 230 },   /* (M past the 128-row blocks of gemm_tn) */
};

/* C += A W^T with W [N][K] packed "nt", A [M][K] (lda > K) */
TEST(packed_nt_matches_sgemm) {
    uint64_t s = cn_rng_seed(1);
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int M = shapes[t][0], N = shapes[t][1], K = shapes[t][2], lda = K + 3, ldc = N + 5;
        float *A = rand_mat((size_t)M * lda, &s), *W = rand_mat((size_t)N * K, &s);
        float *C = rand_mat((size_t)M * ldc, &s), *R = malloc((size_t)M * ldc * sizeof *R);
        float *Aa = malloc((size_t)M * lda * sizeof *Aa), *Wa = malloc((size_t)N * K * sizeof *Wa);
        float *Bd = malloc((size_t)M * ldc * sizeof *Bd);
        for (size_t i = 0; i < (size_t)M * lda; i++) Aa[i] = fabsf(A[i]);
        for (size_t i = 0; i < (size_t)N * K; i++) Wa[i] = fabsf(W[i]);
        for (size_t i = 0; i < (size_t)M * ldc; i++) Bd[i] = fabsf(C[i]);
        memcpy(R, C, (size_t)M * ldc * sizeof *R);
        float *P = calloc(cn_nn_packed_size(N, K), sizeof *P);
        cn_nn_pack_nt(P, W, N, K);
        cn_nn_gemm_packed(M, N, K, A, lda, P, C, ldc);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, lda, W, K, 1.0f, R, ldc);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, Aa, lda, Wa, K, 1.0f, Bd, ldc);
        double w = worst(C, R, Bd, M, N, ldc);
        CHECKF(w < 1e-5, "M=%d N=%d K=%d: worst relative error %g", M, N, K, w);
        free(A); free(W); free(C); free(R); free(Aa); free(Wa); free(Bd); free(P);
    }
}

/* C += A W with W [K][N] packed "nn"; and the same with A given transposed (At [K][M]) */
TEST(packed_nn_and_transposed_input_match_sgemm) {
    uint64_t s = cn_rng_seed(2);
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int M = shapes[t][0], N = shapes[t][1], K = shapes[t][2], ldc = N + 2, lda_t = M + 4;
        float *A = rand_mat((size_t)M * K, &s), *W = rand_mat((size_t)K * N, &s);
        float *At = malloc((size_t)K * lda_t * sizeof *At);
        for (int k = 0; k < K; k++)
            for (int i = 0; i < M; i++) At[(size_t)k * lda_t + i] = A[(size_t)i * K + k];
        float *C1 = rand_mat((size_t)M * ldc, &s), *C2 = malloc((size_t)M * ldc * sizeof *C2);
        float *R = malloc((size_t)M * ldc * sizeof *R), *Bd = malloc((size_t)M * ldc * sizeof *Bd);
        float *Aa = malloc((size_t)M * K * sizeof *Aa), *Wa = malloc((size_t)K * N * sizeof *Wa);
        for (size_t i = 0; i < (size_t)M * K; i++) Aa[i] = fabsf(A[i]);
        for (size_t i = 0; i < (size_t)K * N; i++) Wa[i] = fabsf(W[i]);
        for (size_t i = 0; i < (size_t)M * ldc; i++) Bd[i] = fabsf(C1[i]);
        memcpy(C2, C1, (size_t)M * ldc * sizeof *C2);
        memcpy(R, C1, (size_t)M * ldc * sizeof *R);
        float *P = calloc(cn_nn_packed_size(N, K), sizeof *P);
        cn_nn_pack_nn(P, W, K, N);
        cn_nn_gemm_packed(M, N, K, A, K, P, C1, ldc);
        cn_nn_gemm_packed_at(M, N, K, At, lda_t, P, C2, ldc);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, W, N, 1.0f, R, ldc);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, Aa, K, Wa, N, 1.0f, Bd, ldc);
        double w1 = worst(C1, R, Bd, M, N, ldc), w2 = worst(C2, R, Bd, M, N, ldc);
        CHECKF(w1 < 1e-5, "nn M=%d N=%d K=%d: %g", M, N, K, w1);
        CHECKF(w2 < 1e-5, "at M=%d N=%d K=%d: %g", M, N, K, w2);
        free(A); free(W); free(At); free(C1); free(C2); free(R); free(Bd); free(Aa); free(Wa); free(P);
    }
}

/* C += At^T Bm (a weight gradient): At [K][M], Bm [K][N], K beyond the 256-row chunks */
TEST(gemm_tn_matches_sgemm) {
    uint64_t s = cn_rng_seed(3);
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int M = shapes[t][0], N = shapes[t][1], K = shapes[t][2] + 300, lda = M + 1, ldb = N + 3, ldc = N;
        float *At = rand_mat((size_t)K * lda, &s), *Bm = rand_mat((size_t)K * ldb, &s);
        float *C = rand_mat((size_t)M * ldc, &s), *R = malloc((size_t)M * ldc * sizeof *R);
        float *Aa = malloc((size_t)K * lda * sizeof *Aa), *Ba = malloc((size_t)K * ldb * sizeof *Ba);
        float *C0 = malloc((size_t)M * ldc * sizeof *C0);
        memcpy(C0, C, (size_t)M * ldc * sizeof *C0);
        float *Bd = malloc((size_t)M * ldc * sizeof *Bd);
        for (size_t i = 0; i < (size_t)K * lda; i++) Aa[i] = fabsf(At[i]);
        for (size_t i = 0; i < (size_t)K * ldb; i++) Ba[i] = fabsf(Bm[i]);
        for (size_t i = 0; i < (size_t)M * ldc; i++) Bd[i] = fabsf(C[i]);
        memcpy(R, C, (size_t)M * ldc * sizeof *R);
        float *scratch = malloc(cn_nn_gemm_tn_scratch(N) * sizeof *scratch);
        cn_nn_gemm_tn(M, N, K, At, lda, Bm, ldb, C, ldc, scratch);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, At, lda, Bm, ldb, 1.0f, R, ldc);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, Aa, lda, Ba, ldb, 1.0f, Bd, ldc);
        double w = worst(C, R, Bd, M, N, ldc);
        CHECKF(w < 1e-5, "tn M=%d N=%d K=%d: %g", M, N, K, w);
        /* and bit for bit the plain loop in the order of k (every kernel, transposed slice or not) */
        memcpy(Bd, C0, (size_t)M * ldc * sizeof *Bd);
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++)
                for (int k = 0; k < K; k++) Bd[(size_t)m * ldc + n] += At[(size_t)k * lda + m] * Bm[(size_t)k * ldb + n];
        CHECKF(memcmp(C, Bd, (size_t)M * ldc * sizeof *C) == 0, "tn M=%d N=%d K=%d differs from the plain loop", M, N, K);
        free(C0); free(At); free(Bm); free(C); free(R); free(Aa); free(Ba); free(Bd); free(scratch);
    }
}

/* Every kernel this CPU runs (baseline, AVX2, AVX-512) gives the very same bits as the
 * baseline, and the baseline the same bits as a plain loop, on every shape: the dispatch
 * changes the speed, never the numbers (the AVX-512 kernel is written in 16-float vectors,
 * the others in 8-float ones, so an AVX2 machine checks the plain loop against both). */
TEST(every_kernel_gives_the_same_bits) {
    int top = cn_nn_gemm_kernel();
    printf("  (kernel in use: %s)\n", top == 2 ? "AVX-512" : top == 1 ? "AVX2" : "baseline");
    uint64_t s = cn_rng_seed(4);
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int M = shapes[t][0], N = shapes[t][1], K = shapes[t][2], lda = K + 1, ldc = N + 3;
        float *A = rand_mat((size_t)M * lda, &s), *W = rand_mat((size_t)N * K, &s);
        float *C0 = rand_mat((size_t)M * ldc, &s), *C = malloc((size_t)M * ldc * sizeof *C);
        float *Ref = malloc((size_t)M * ldc * sizeof *Ref);
        float *P = calloc(cn_nn_packed_size(N, K), sizeof *P);
        cn_nn_pack_nt(P, W, N, K);
        for (int level = 0; level <= top; level++) {
            cn_nn_gemm_force_kernel(level);
            memcpy(C, C0, (size_t)M * ldc * sizeof *C);
            cn_nn_gemm_packed(M, N, K, A, lda, P, C, ldc);
            if (level == 0) {
                /* the baseline itself against the plain loop: c += a * w in the order of k */
                memcpy(Ref, C0, (size_t)M * ldc * sizeof *C);
                for (int m = 0; m < M; m++)
                    for (int n = 0; n < N; n++)
                        for (int k = 0; k < K; k++) Ref[(size_t)m * ldc + n] += A[(size_t)m * lda + k] * W[(size_t)n * K + k];
                CHECKF(memcmp(C, Ref, (size_t)M * ldc * sizeof *C) == 0, "baseline, M=%d N=%d K=%d differs from the plain loop", M, N, K);
            } else CHECKF(memcmp(C, Ref, (size_t)M * ldc * sizeof *C) == 0, "level %d, M=%d N=%d K=%d differs", level, M, N, K);
        }
        cn_nn_gemm_force_kernel(-1);
        free(A); free(W); free(C0); free(C); free(Ref); free(P);
    }
    CHECK(cn_nn_gemm_kernel() == top);
}

int main(void) {
    RUN(every_kernel_gives_the_same_bits);
    RUN(packed_nt_matches_sgemm);
    RUN(packed_nn_and_transposed_input_match_sgemm);
    RUN(gemm_tn_matches_sgemm);
    return test_summary();
}
