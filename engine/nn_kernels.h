/* nn_kernels.h: what the layer kinds' batched kernels share (nn_embed.c ... nn_dropout.c): the
 * BLAS products over row-major activations, column sums for bias gradients and the ReLU mask.
 * Inline, so each kind's -O3 file compiles them into its own loops. */
#ifndef CONTINUO_NN_KERNELS_H
#define CONTINUO_NN_KERNELS_H
#include <cblas.h>
#include <stddef.h>

/* A weak reference: the real-time front ends (plugin, JACK, live) link the kinds' files for their
 * streaming step and must not load OpenBLAS with them (its thread pool and allocations at load,
 * its Fortran runtime). The batched kernels only run under cn_batch (nn_batch.c), whose call
 * of openblas_set_num_threads is the strong reference that links OpenBLAS into the trainer. */
#pragma weak cblas_sgemm

/* C[m][n] (+)= A[m][k] * B^T where B is [n][k] (row-major, leading dims given). */
static inline void gemm_nt(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                           float beta, float *C, int ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, A, lda, B, ldb, beta, C, ldc);
}
/* C[m][n] (+)= A[m][k] * B[k][n] */
static inline void gemm_nn(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                           float beta, float *C, int ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, A, lda, B, ldb, beta, C, ldc);
}
/* C[m][n] (+)= A^T * B where A is [k][m], B is [k][n]: the weight gradient of a gemm. */
static inline void gemm_tn(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                           float beta, float *C, int ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

static inline void colsum_add(float *db, const float *d, int rows, int n) {
    for (int r = 0; r < rows; r++) {
        const float *row = d + (size_t)r * n;
        for (int j = 0; j < n; j++) db[j] += row[j];
    }
}

static inline void relu_mask(float *dy, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
#endif
