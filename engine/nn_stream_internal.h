/* nn_stream_internal.h: the streaming step's weight matrices (float32, float16 or int8 with a
 * scale per row, rows padded to 16 columns) and the matrix-vector product over them. */
#ifndef CONTINUO_NN_STREAM_INTERNAL_H
#define CONTINUO_NN_STREAM_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "nn.h"

typedef struct {
    cn_weight_format fmt;
    int rows, cols, ld;    /* ld: padded row length, a multiple of 16 (int8: of 64) */
    void *w;               /* rows * ld elements of fmt */
    float *scale;          /* int8: one per row */
    int32_t *rsum;         /* int8: each row's sum of weights (undoes the +128 of x) */
    uint8_t *xq;           /* int8: scratch for the quantised x, ld bytes */
} cn_mat;

#define CN_PAD16(n) (((n) + 15) / 16 * 16)

/* 0 plain C, 1 AVX2+FMA+F16C, 2 AVX-512 with VNNI */
int  cn_mv_simd_available(void);
/* y[rows] = W x; x must hold ld floats (zero beyond cols). */
void cn_mv(const cn_mat *W, const float *x, float *y, int simd);
/* Caps the SIMD level (0 plain, 1 AVX2, 2 AVX-512) at what the CPU has; tests compare them. */
void cn_stream_set_simd(cn_stream *s, int level);
#endif
