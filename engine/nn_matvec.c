/* nn_matvec.c: the streaming step's matrix-vector products, y = W x, for weights stored as
 * float32, float16 or int8 (one scale per row). At batch 1 the step is memory-bound, so fewer
 * weight bytes are faster. Rows are padded to a multiple of 16 columns with zero weights.
 * An AVX2/FMA/F16C path is chosen at run time (target attributes, so portable builds at any
 * -O and with either compiler still compile); otherwise plain C. No allocation, no locks. */
#include <string.h>
#include "half.h"
#include "nn_stream_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CN_HAVE_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static void mv_plain(const cn_mat *W, const float *x, float *y) {
    for (int r = 0; r < W->rows; r++) {
        float s = 0.0f;
        if (W->fmt == CN_W_F32) {
            const float *w = (const float *)W->w + (size_t)r * W->ld;
            for (int c = 0; c < W->cols; c++) s += w[c] * x[c];
        } else if (W->fmt == CN_W_F16) {
            const uint16_t *w = (const uint16_t *)W->w + (size_t)r * W->ld;
            for (int c = 0; c < W->cols; c++) s += cn_f16_to_f32(w[c]) * x[c];
        } else {
            const int8_t *w = (const int8_t *)W->w + (size_t)r * W->ld;
            for (int c = 0; c < W->cols; c++) s += (float)w[c] * x[c];
            s *= W->scale[r];
        }
        y[r] = s;
    }
}

#ifdef CN_HAVE_X86
#define TGT __attribute__((target("avx2,fma,f16c")))

TGT static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* Four rows at a time, two accumulators each over 16 columns: the loads stream the rows. */
#define MV_BODY(FMT)                                                                         \
    int r = 0;                                                                               \
    for (; r + 4 <= W->rows; r += 4) {                                                       \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                          \
        __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;                                           \
        size_t o = (size_t)r * W->ld, ld = (size_t)W->ld;                                    \
        for (int c = 0; c < W->cols; c += 16) {                                              \
            __m256 x0 = _mm256_loadu_ps(x + c), x1 = _mm256_loadu_ps(x + c + 8);             \
            a0 = _mm256_fmadd_ps(FMT(o + c), x0, a0); b0 = _mm256_fmadd_ps(FMT(o + c + 8), x1, b0); \
            a1 = _mm256_fmadd_ps(FMT(o + ld + c), x0, a1); b1 = _mm256_fmadd_ps(FMT(o + ld + c + 8), x1, b1); \
            a2 = _mm256_fmadd_ps(FMT(o + 2 * ld + c), x0, a2); b2 = _mm256_fmadd_ps(FMT(o + 2 * ld + c + 8), x1, b2); \
            a3 = _mm256_fmadd_ps(FMT(o + 3 * ld + c), x0, a3); b3 = _mm256_fmadd_ps(FMT(o + 3 * ld + c + 8), x1, b3); \
        }                                                                                    \
        y[r] = hsum8(_mm256_add_ps(a0, b0)); y[r + 1] = hsum8(_mm256_add_ps(a1, b1));        \
        y[r + 2] = hsum8(_mm256_add_ps(a2, b2)); y[r + 3] = hsum8(_mm256_add_ps(a3, b3));    \
    }                                                                                        \
    for (; r < W->rows; r++) {                                                               \
        __m256 a0 = _mm256_setzero_ps();                                                     \
        size_t o = (size_t)r * W->ld;                                                        \
        for (int c = 0; c < W->cols; c += 8) a0 = _mm256_fmadd_ps(FMT(o + c), _mm256_loadu_ps(x + c), a0); \
        y[r] = hsum8(a0);                                                                    \
    }

#define LD_F32(off) _mm256_loadu_ps(wf + (off))
#define LD_F16(off) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(wh + (off))))
#define LD_I8(off) _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(wb + (off)))))

TGT static void mv_avx2_f32(const cn_mat *W, const float *x, float *y) {
    const float *wf = W->w;
    MV_BODY(LD_F32)
}
TGT static void mv_avx2_f16(const cn_mat *W, const float *x, float *y) {
    const uint16_t *wh = W->w;
    MV_BODY(LD_F16)
}
TGT static void mv_avx2_i8(const cn_mat *W, const float *x, float *y) {
    const int8_t *wb = W->w;
    MV_BODY(LD_I8)
    for (int i = 0; i < W->rows; i++) y[i] *= W->scale[i];
}
#endif

int cn_mv_simd_available(void) {
#ifdef CN_HAVE_X86
    unsigned a, b, c, d;   /* F16C is CPUID.1:ECX bit 29 (not every compiler's builtin knows it) */
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 29))) return 0;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

void cn_mv(const cn_mat *W, const float *x, float *y, int simd) {
#ifdef CN_HAVE_X86
    if (simd) {
        if (W->fmt == CN_W_F32) mv_avx2_f32(W, x, y);
        else if (W->fmt == CN_W_F16) mv_avx2_f16(W, x, y);
        else mv_avx2_i8(W, x, y);
        return;
    }
#else
    (void)simd;
#endif
    mv_plain(W, x, y);
}
