/* nn_matvec.c: the streaming step's matrix-vector products, y = W x, for weights stored as
 * float32, float16 or int8. At batch 1 the step is memory-bound, so fewer weight bytes are
 * faster: int8 (0.86 MB for Model 1) stays in a core's L2.
 *   float32 / float16: x in float; rows padded to 16 columns with zero weights.
 *   int8: symmetric per-row weight scale; x is quantised per call to unsigned 8 bits with one
 *     scale (x ~ sx * (q - 128)), so the dot product is exact integer arithmetic (AVX-512 VNNI
 *     vpdpbusd when present) corrected by the row sums; rows padded to 64 columns.
 *     The plain C path computes the very same integers, so both paths agree exactly.
 * SIMD paths (AVX2+FMA+F16C, AVX-512F/BW/VNNI) are chosen at run time through target
 * attributes, so builds at any -O, with gcc or clang, still compile. No allocation, no locks. */
#include <math.h>
#include <string.h>
#include "half.h"
#include "nn_stream_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CN_HAVE_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* ---- int8: quantise x to u8 with one scale; returns sx ---- */
static float quant_x(const cn_mat *W, const float *x) {
    /* Only finite values set the scale; NaN quantises to 0 and +-Inf to +-127 (converting a
     * non-finite float to int is undefined behaviour), so any input gives defined output. */
    float mx = 0.0f;
    for (int c = 0; c < W->cols; c++) {
        float a = fabsf(x[c]);
        mx = a > mx && a <= 3.4e38f ? a : mx;
    }
    float sx = mx > 0.0f ? mx / 127.0f : 1.0f, inv = 1.0f / sx;
    /* x*inv clamped to [-127, 127]: +128.5 and truncation round to nearest, and vectorise */
    for (int c = 0; c < W->cols; c++) {
        float v = x[c] * inv;
        v = v == v ? fminf(fmaxf(v, -127.0f), 127.0f) : 0.0f;
        W->xq[c] = (uint8_t)(int32_t)(v + 128.5f);
    }
    for (int c = W->cols; c < W->ld; c++) W->xq[c] = 128;
    return sx;
}

static void mv_plain(const cn_mat *W, const float *x, float *y) {
    if (W->fmt == CN_W_I8) {
        float sx = quant_x(W, x);
        for (int r = 0; r < W->rows; r++) {
            const int8_t *w = (const int8_t *)W->w + (size_t)r * W->ld;
            int32_t acc = 0;
            for (int c = 0; c < W->ld; c++) acc += (int32_t)W->xq[c] * w[c];
            y[r] = (float)(acc - 128 * W->rsum[r]) * W->scale[r] * sx;
        }
        return;
    }
    for (int r = 0; r < W->rows; r++) {
        float s = 0.0f;
        if (W->fmt == CN_W_F32) {
            const float *w = (const float *)W->w + (size_t)r * W->ld;
            for (int c = 0; c < W->cols; c++) s += w[c] * x[c];
        } else {
            const uint16_t *w = (const uint16_t *)W->w + (size_t)r * W->ld;
            for (int c = 0; c < W->cols; c++) s += cn_f16_to_f32(w[c]) * x[c];
        }
        y[r] = s;
    }
}

#ifdef CN_HAVE_X86
#define TGT2 __attribute__((target("avx2,fma,f16c")))
#define TGT5 __attribute__((target("avx512f,avx512bw,avx512vnni,avx2,fma,f16c")))

TGT2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* AVX2: four rows at a time, two accumulators each over 16 columns. */
#define MV_BODY2(FMT)                                                                        \
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

#define LD2_F32(off) _mm256_loadu_ps(wf + (off))
#define LD2_F16(off) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(wh + (off))))

TGT2 static void mv_avx2_f32(const cn_mat *W, const float *x, float *y) {
    const float *wf = W->w;
    MV_BODY2(LD2_F32)
}
TGT2 static void mv_avx2_f16(const cn_mat *W, const float *x, float *y) {
    const uint16_t *wh = W->w;
    MV_BODY2(LD2_F16)
}

/* int8 on AVX2: u8 x and s8 w widened to 16 bits, vpmaddwd sums pairs into int32 (exact:
 * |255 * 127 * 2| is far inside int32), so the sum is the plain loop's and VNNI's, bit for bit.
 * Two rows at a time over 32 columns (ld is a multiple of 64). */
TGT2 static inline __m256i dot32_i8(const uint8_t *xq, const int8_t *w, __m256i acc) {
    __m256i x0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)xq));
    __m256i x1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(xq + 16)));
    __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w));
    __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 16)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x0, w0));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(x1, w1));
}
TGT2 static inline int32_t hsum8_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}
TGT2 static void mv_avx2_i8(const cn_mat *W, const float *x, float *y) {
    float sx = quant_x(W, x);
    const int8_t *wb = W->w;
    size_t ld = (size_t)W->ld;
    int r = 0;
    for (; r + 2 <= W->rows; r += 2) {
        __m256i a0 = _mm256_setzero_si256(), a1 = a0;
        const int8_t *w0 = wb + (size_t)r * ld, *w1 = w0 + ld;
        for (size_t c = 0; c < ld; c += 32) {
            a0 = dot32_i8(W->xq + c, w0 + c, a0);
            a1 = dot32_i8(W->xq + c, w1 + c, a1);
        }
        y[r] = (float)(hsum8_i32(a0) - 128 * W->rsum[r]) * W->scale[r] * sx;
        y[r + 1] = (float)(hsum8_i32(a1) - 128 * W->rsum[r + 1]) * W->scale[r + 1] * sx;
    }
    for (; r < W->rows; r++) {
        __m256i a0 = _mm256_setzero_si256();
        const int8_t *w0 = wb + (size_t)r * ld;
        for (size_t c = 0; c < ld; c += 32) a0 = dot32_i8(W->xq + c, w0 + c, a0);
        y[r] = (float)(hsum8_i32(a0) - 128 * W->rsum[r]) * W->scale[r] * sx;
    }
}

/* AVX-512: eight rows at a time over 16 columns; one reduction per row at the end. */
#define MV_BODY5(FMT)                                                                        \
    int r = 0;                                                                               \
    size_t ld = (size_t)W->ld;                                                               \
    for (; r + 8 <= W->rows; r += 8) {                                                       \
        __m512 a[8];                                                                         \
        for (int k = 0; k < 8; k++) a[k] = _mm512_setzero_ps();                              \
        size_t o = (size_t)r * ld;                                                           \
        for (int c = 0; c < W->cols; c += 16) {                                              \
            __m512 xv = _mm512_loadu_ps(x + c);                                              \
            for (int k = 0; k < 8; k++) a[k] = _mm512_fmadd_ps(FMT(o + k * ld + c), xv, a[k]); \
        }                                                                                    \
        for (int k = 0; k < 8; k++) y[r + k] = _mm512_reduce_add_ps(a[k]);                   \
    }                                                                                        \
    for (; r < W->rows; r++) {                                                               \
        __m512 a0 = _mm512_setzero_ps();                                                     \
        size_t o = (size_t)r * ld;                                                           \
        for (int c = 0; c < W->cols; c += 16) a0 = _mm512_fmadd_ps(FMT(o + c), _mm512_loadu_ps(x + c), a0); \
        y[r] = _mm512_reduce_add_ps(a0);                                                     \
    }

#define LD5_F32(off) _mm512_loadu_ps(wf + (off))
#define LD5_F16(off) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(wh + (off))))

TGT5 static void mv_avx512_f32(const cn_mat *W, const float *x, float *y) {
    const float *wf = W->w;
    MV_BODY5(LD5_F32)
}
TGT5 static void mv_avx512_f16(const cn_mat *W, const float *x, float *y) {
    const uint16_t *wh = W->w;
    MV_BODY5(LD5_F16)
}
/* int8 x u8 -> int32 with vpdpbusd: 64 products per instruction, four rows at a time. */
TGT5 static void mv_vnni_i8(const cn_mat *W, const float *x, float *y) {
    float sx = quant_x(W, x);
    const int8_t *wb = W->w;
    size_t ld = (size_t)W->ld;
    int r = 0;
    for (; r + 4 <= W->rows; r += 4) {
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        size_t o = (size_t)r * ld;
        for (int c = 0; c < W->ld; c += 64) {
            __m512i xv = _mm512_loadu_si512((const void *)(W->xq + c));
            a0 = _mm512_dpbusd_epi32(a0, xv, _mm512_loadu_si512((const void *)(wb + o + c)));
            a1 = _mm512_dpbusd_epi32(a1, xv, _mm512_loadu_si512((const void *)(wb + o + ld + c)));
            a2 = _mm512_dpbusd_epi32(a2, xv, _mm512_loadu_si512((const void *)(wb + o + 2 * ld + c)));
            a3 = _mm512_dpbusd_epi32(a3, xv, _mm512_loadu_si512((const void *)(wb + o + 3 * ld + c)));
        }
        int32_t d[4] = { _mm512_reduce_add_epi32(a0), _mm512_reduce_add_epi32(a1), _mm512_reduce_add_epi32(a2),
                         _mm512_reduce_add_epi32(a3) };
        for (int k = 0; k < 4; k++) y[r + k] = (float)(d[k] - 128 * W->rsum[r + k]) * W->scale[r + k] * sx;
    }
    for (; r < W->rows; r++) {
        __m512i a0 = _mm512_setzero_si512();
        size_t o = (size_t)r * ld;
        for (int c = 0; c < W->ld; c += 64)
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512((const void *)(W->xq + c)),
                                     _mm512_loadu_si512((const void *)(wb + o + c)));
        y[r] = (float)(_mm512_reduce_add_epi32(a0) - 128 * W->rsum[r]) * W->scale[r] * sx;
    }
}
#endif

int cn_mv_simd_available(void) {
#ifdef CN_HAVE_X86
    unsigned a, b, c, d;   /* F16C is CPUID.1:ECX bit 29 (not every compiler's builtin knows it) */
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 29))) return 0;
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vnni"))
        return 2;
    return 1;
#else
    return 0;
#endif
}

void cn_mv(const cn_mat *W, const float *x, float *y, int simd) {
#ifdef CN_HAVE_X86
    if (simd >= 2) {
        if (W->fmt == CN_W_F32) mv_avx512_f32(W, x, y);
        else if (W->fmt == CN_W_F16) mv_avx512_f16(W, x, y);
        else mv_vnni_i8(W, x, y);
        return;
    }
    if (simd == 1) {
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
