/* nn_stream_internal.h: the streaming step's weight matrices (float32, float16 or int8 with a
 * scale per row, rows padded to 16 columns), the matrix-vector product over them, and each
 * layer's streaming weights and state, which the layer kinds' files (nn_embed.c ...) plan,
 * fill, reset and step. */
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
/* Memory handed out in one pass that sizes (base NULL) and a second that places: 64-byte blocks. */
typedef struct cn_bump { unsigned char *base; size_t used; } cn_bump;
void *cn_bump_take(cn_bump *a, size_t bytes);
void  cn_mat_plan(cn_bump *a, cn_mat *M, cn_weight_format f, int rows, int cols);
void  cn_mat_set_row(cn_mat *M, int r, const float *row);   /* row r given as floats */

/* Each kind's streaming weights and state. tab: a one-hot first layer's gather table. */
typedef struct { float *tab; } cn_embed_state;                   /* tab [V][D] */
typedef struct {
    float *tab;       /* one-hot: [K][V][F] */
    int *ring;        /* one-hot: the last K tokens, -1 = before the start */
    cn_mat W;         /* on activations: [F][K*Cin] */
    float *xin;       /* on activations: the window [K][Cin] */
    float *b;
} cn_conv1d_state;
typedef struct {
    float *tab;       /* one-hot: W_ih as [V][4H] */
    cn_mat W;         /* [W_ih W_hh] over [x;h], or W_hh alone when one-hot */
    float *b;         /* b_ih + b_hh */
    float *xin;       /* [x;h] */
    float *c, *tc, *g;
} cn_lstm_state;
typedef struct {
    float *tab;       /* one-hot: W_ih as [V][3H] */
    cn_mat W_ih, W_hh;
    float *b_ih, *b_hh;
    float *gx, *gh;   /* W_ih x + b_ih, W_hh h + b_hh */
} cn_gru_state;
typedef struct { float *tab; cn_mat W; float *b; } cn_dense_state;   /* tab [V][N] */
typedef struct { float *scale, *shift; } cn_batchnorm_state;          /* from the running stats */

typedef struct cn_stream_layer {
    float *y;         /* output (= h for recurrent layers), padded with zeros to 16 */
    union {
        cn_embed_state embed;
        cn_conv1d_state conv;
        cn_lstm_state lstm;
        cn_gru_state gru;
        cn_dense_state dense;
        cn_batchnorm_state bn;
    };
} cn_stream_layer;

/* Caps the SIMD level (0 plain, 1 AVX2, 2 AVX-512) at what the CPU has; tests compare them. */
void cn_stream_set_simd(cn_stream *s, int level);
#endif
