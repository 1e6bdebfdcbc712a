/* nn_internal.h: what the neural core's files share and nobody else needs: each layer's
 * input/output widths and tensors, the plain forward and backward kernels of the layers, and
 * the small math helpers. Activations are time-major, [T][B][C], so a recurrent step reads a
 * contiguous [B][C] block and the input projections of all steps are one gemm. */
#ifndef CONTINUO_NN_INTERNAL_H
#define CONTINUO_NN_INTERNAL_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "nn.h"

/* Tensors are aligned to 16 floats (64 bytes) inside params so SIMD loads never straddle lines. */
#define CN_NN_ALIGN 16

typedef struct {
    cn_layer_kind kind;
    int in, out;        /* feature widths; the first layer's in is V (one-hot) */
    int units, kernel, relu;
    float rate;
    int onehot;         /* first layer fed by token ids (gather), not by activations */
    int t0, nt;         /* its tensors: m->tensors[t0 .. t0+nt) */
} cn_nn_layer;

typedef struct {
    cn_nn_layer L[CN_MAX_LAYERS + 1];  /* the spec's layers, then "out" (a Dense(V)) */
    int n;                             /* n_layers + 1 */
    int V;
} cn_nn_plan;

/* Fills the plan from the model's spec and vocabulary. 0, or -1 when it does not fit. */
int cn_nn_plan_make(const cn_spec *s, int vocab, cn_nn_plan *p);
const char *cn_nn_kind_name(cn_layer_kind k);

/* Tensor i of layer L as a pointer into a parameter-shaped buffer (params or grads). */
static inline float *cn_nn_t(const cn_model *m, float *base, const cn_nn_layer *L, int i) {
    return base + m->tensors[L->t0 + i].offset;
}

static inline float cn_sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }
#endif
