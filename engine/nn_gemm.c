/* nn_gemm.c: the small matrix product of a recurrent step (B rows times a fixed weight) on a
 * weight packed once per batch into 32-column panels. OpenBLAS packs the whole weight again on
 * every call, which at B = 32 rows costs about as much as a fifth of the product itself; here
 * the packing is paid once for all T steps. Written with GCC/Clang vector types, the kernel is
 * compiled three times: for AVX-512 in 16-float vectors (nn_gemm_kernel.h: an 8-row by
 * 32-column block of zmm accumulators, about twice as fast as OpenBLAS's pinned Haswell
 * kernel on an AVX-512 machine), and for AVX2 and the baseline in 8-float vectors
 * (nn_gemm_kernel8.h: 2 rows, which fit 16 registers). The widest the CPU runs is chosen at
 * run time (cpuid), so a baseline build installs on any x86-64 and still runs at full width.
 * Every copy computes the same results, bit for bit. */
#include <stdatomic.h>
#include <string.h>
#include "nn_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CN_GEMM_X86 1
#else
#define CN_GEMM_X86 0
#endif

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

#define KTGT
#define KN(n) n##_plain
#include "nn_gemm_kernel8.h"
#undef KTGT
#undef KN
#if CN_GEMM_X86
#define KTGT __attribute__((target("avx2")))
#define KN(n) n##_avx2
#include "nn_gemm_kernel8.h"
#undef KTGT
#undef KN
#define KTGT __attribute__((target("avx512f")))
#define KN(n) n##_avx512
#include "nn_gemm_kernel.h"
#undef KTGT
#undef KN
#endif

#if CN_GEMM_X86
#define KN_AVX512 gemm_rows_avx512
#else
#define KN_AVX512 NULL
#endif
typedef void (*gemm_rows_fn)(int, int, int, int, const float *, size_t, size_t, const float *, float *, int);

/* The widest kernel this CPU runs, asked of cpuid once (a data race on the cached pointer
 * is benign: every thread computes the same value, and a pointer store is atomic here). */
static gemm_rows_fn pick_kernel(void) {
#if CN_GEMM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return gemm_rows_avx512;
    if (__builtin_cpu_supports("avx2")) return gemm_rows_avx2;
#endif
    return gemm_rows_plain;
}

int cn_nn_gemm_kernel(void) {
    gemm_rows_fn f = pick_kernel();
#if CN_GEMM_X86
    if (f == gemm_rows_avx512) return 2;
    if (f == gemm_rows_avx2) return 1;
#endif
    return 0;
}

static gemm_rows_fn kernel_for(int level) {
#if CN_GEMM_X86
    if (level >= 2) return gemm_rows_avx512;
    if (level == 1) return gemm_rows_avx2;
#else
    (void)level;
#endif
    return gemm_rows_plain;
}

/* -1: the widest the CPU runs (the default); tests force 0, 1 or 2 (up to what cn_nn_gemm_kernel says). */
static _Atomic(gemm_rows_fn) g_rows;
void cn_nn_gemm_force_kernel(int level) {
    atomic_store_explicit(&g_rows, level < 0 ? pick_kernel() : kernel_for(level), memory_order_relaxed);
}
static gemm_rows_fn rows_fn(void) {
    gemm_rows_fn f = atomic_load_explicit(&g_rows, memory_order_relaxed);
    if (!f) { f = pick_kernel(); atomic_store_explicit(&g_rows, f, memory_order_relaxed); }
    return f;
}

/* Blocks of rows whose A slice (about 128 KB) stays in L2 while every panel passes over it. */
static void gemm_blocked(int M, int N, int K, const float *A, size_t rs, size_t ks, const float *P,
                         float *C, int ldc) {
    int mb = K > 0 ? 32768 / K / ROWS * ROWS : M;
    if (mb < ROWS) mb = ROWS;
    gemm_rows_fn rows = rows_fn();
    for (int m0 = 0; m0 < M; m0 += mb)
        rows(m0, M - m0 < mb ? M : m0 + mb, N, K, A, rs, ks, P, C, ldc);
}

void cn_nn_gemm_packed(int M, int N, int K, const float *A, int lda, const float *P, float *C, int ldc) {
    gemm_blocked(M, N, K, A, (size_t)lda, 1, P, C, ldc);
}

void cn_nn_gemm_packed_at(int M, int N, int K, const float *At, int lda, const float *P, float *C, int ldc) {
    gemm_blocked(M, N, K, At, 1, (size_t)lda, P, C, ldc);
}

/* The weight-gradient product C[M][N] += At^T Bm (At [K][M], Bm [K][N]) with K = all rows of a
 * batch: K is cut into chunks of KC so each packed chunk of Bm and its slice of At stay in
 * cache. Row m of the product reads column m of At, one float a cache line per k: the 8-row
 * AVX-512 block uses 8 floats of each line, the 2-row one only 2, and there the product ran at
 * the speed of those reads. So below AVX-512 each block of TB rows of the product first gets
 * its slice of At transposed, row by row contiguous (the same numbers in the same order: the
 * results do not change). scratch holds one packed chunk and one transposed block,
 * cn_nn_gemm_tn_scratch(N) floats. */
#define KC 256
#define TB 128
size_t cn_nn_gemm_tn_scratch(int N) {
    return cn_nn_packed_size(N, KC) + (size_t)TB * KC;
}

/* C rows m0 .. m0+mb (+= At^T Bm over one K chunk of kc) from a transposed copy of their At slice */
static void tn_block_transposed(int m0, int mb, int N, int kc, const float *At, int lda, const float *P,
                                float *C, int ldc, float *at, gemm_rows_fn rows) {
    for (int k = 0; k < kc; k++) {
        const float *src = At + (size_t)k * lda + m0;
        for (int i = 0; i < mb; i++) at[(size_t)i * kc + k] = src[i];
    }
    rows(0, mb, N, kc, at, (size_t)kc, 1, P, C + (size_t)m0 * ldc, ldc);
}

void cn_nn_gemm_tn(int M, int N, int K, const float *At, int lda, const float *Bm, int ldb, float *C, int ldc,
                   float *scratch) {
    gemm_rows_fn rows = rows_fn();
    float *at = scratch + cn_nn_packed_size(N, KC);
    int transpose = CN_GEMM_X86 ? rows != KN_AVX512 : 1;
    for (int k0 = 0; k0 < K; k0 += KC) {
        int kc = K - k0 < KC ? K - k0 : KC;
        pack_nn_ld(scratch, Bm + (size_t)k0 * ldb, kc, N, ldb);
        const float *Ak = At + (size_t)k0 * lda;
        if (!transpose) { gemm_blocked(M, N, kc, Ak, 1, (size_t)lda, scratch, C, ldc); continue; }
        for (int m0 = 0; m0 < M; m0 += TB)
            tn_block_transposed(m0, M - m0 < TB ? M - m0 : TB, N, kc, Ak, lda, scratch, C, ldc, at, rows);
    }
}
