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

/* The element-wise loops (nn_math.c) in three copies, AVX-512, AVX2 and the baseline, picked
 * by the loader at start (ifunc), so a baseline build still vectorises them 16 wide here.
 * The copies compute the same bits: no contraction (-std=c11) and no reassociation. GCC only:
 * clang 14 leaves the clones of these non-static functions unresolved at link time. */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__) && !defined(CN_NO_CLONES)
#define CN_WIDE __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CN_WIDE
#endif

/* Tensors are aligned to 16 floats (64 bytes) inside params so SIMD loads never straddle lines. */
#define CN_NN_ALIGN 16

struct cn_nn_kind;

typedef struct {
    cn_layer_kind kind;
    const struct cn_nn_kind *ops;   /* the kind's own code (below) */
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

/* Each kind's tensors, named as llm.c names them, in the order of the tensor table (and of the
 * model file): PyTorch's state_dict order. A slot is an index from the layer's first tensor. */
enum { CN_EMBED_W, CN_EMBED_NT };                                         /* weight [V][D] */
enum { CN_CONV_W, CN_CONV_B, CN_CONV_NT };                                /* weight [F][Cin][K], bias */
enum { CN_LSTM_W_IH, CN_LSTM_W_HH, CN_LSTM_B_IH, CN_LSTM_B_HH, CN_LSTM_NT }; /* [4H][In], [4H][H], [4H] x2 */
enum { CN_GRU_W_IH, CN_GRU_W_HH, CN_GRU_B_IH, CN_GRU_B_HH, CN_GRU_NT };      /* [3H][In], [3H][H], [3H] x2 */
enum { CN_DENSE_W, CN_DENSE_B, CN_DENSE_NT };                             /* weight [N][In], bias */
enum { CN_BN_GAMMA, CN_BN_BETA, CN_BN_MEAN, CN_BN_VAR, CN_BN_NT };         /* [C] each; mean, var not trained */
enum { CN_DROPOUT_NT };                                                   /* none */
/* Slot 0 of every kind with tensors is the weight its kernels multiply or gather from. */
enum { CN_MAIN_W = 0 };

/* Tensor slot i of layer L as a pointer into a parameter-shaped buffer (params or grads). */
static inline float *cn_nn_t(const cn_model *m, float *base, const cn_nn_layer *L, int i) {
    return base + m->tensors[L->t0 + i].offset;
}

/* ---- the batched (training) path's view of one layer, passed to the kinds' batch ops ---- */
/* The activation memory of nn_batch.c: one allocation, walked twice (base NULL sizes it,
 * then it hands out pointers), aligned to 16 floats. */
typedef struct cn_nn_arena { float *base; size_t used; } cn_nn_arena;
static inline float *cn_nn_take(cn_nn_arena *a, size_t n) {
    n = (n + CN_NN_ALIGN - 1) / CN_NN_ALIGN * CN_NN_ALIGN;
    float *p = a->base ? a->base + a->used : NULL;
    a->used += n;
    return p;
}
/* A layer's activations in one shard; each kind takes the caches it needs (batch_acts). */
typedef struct cn_nn_act {
    float *y;                         /* the layer's output, [rows][out] time-major */
    float *G, *c, *tc, *HN, *DGH;     /* recurrent caches */
    float *xhat, *mean, *var, *invstd, *mask;
    float *gtab;                      /* gradient in the layout of the layer's weight table */
} cn_nn_act;
/* Weights repacked for the batched kernels before each forward, shared by the shards
 * (batch_packs; NULL where a kind has none): LSTM's b_ih + b_hh and W_hh, W_ih packed. */
typedef struct cn_nn_packs {
    float *bsum;
    float *whh_pf, *whh_pb;           /* W_hh packed for the forward and backward steps */
    float *wih_pf, *wih_pb;           /* W_ih so packed (input from activations only) */
} cn_nn_packs;
/* One layer of one shard, forward or backward: everything a kind's batch op reads or writes. */
typedef struct cn_nn_batch_ctx {
    const cn_model *m;
    const cn_nn_layer *L;
    int i;                            /* the layer's index: dropout's streams are keyed by it */
    int T, B, train;                  /* the shard's B windows of T steps */
    const int *tok;                   /* a one-hot first layer's token ids [T][B], else NULL */
    const float *x;                   /* the layer below's output, NULL for the first layer */
    const float *w;                   /* the weight as the kernels read it: its table, or the tensor */
    const cn_nn_packs *pk;
    cn_nn_act *a;
    /* backward */
    float *grads;                     /* parameter-shaped gradients (accumulate) */
    float *gw;                        /* the weight's gradient in the layout of w */
    float *dy;                        /* d loss / d output (the kernels may overwrite it) */
    float *dx;                        /* d loss / d input, NULL for the first layer */
    float *scratch;                   /* B * (kind's scratch) * out floats */
    float *pack;                      /* cn_nn_gemm_tn_scratch of the widest layer */
    /* dropout: the shard's first row in the global batch, and the batch's seed */
    uint64_t row0, seed;
} cn_nn_batch_ctx;

/* ---- what each layer kind owns: one file each (nn_embed.c ... nn_dropout.c) ----
 * Its tensors and their initialisation, its batched kernels (declared below) with the
 * batch ops through which nn_batch.c runs them, and its streaming step with the state it carries, in the shape of RTNeural's
 * Layer: plan the memory, fill the weights, reset the state, forward one step. */
struct cn_stream_layer;
struct cn_bump;
typedef struct cn_nn_kind {
    const char *name;   /* the spec's word and the tensors' prefix: "lstm" -> "1.lstm.weight_ih" */
    int nt;             /* tensors (the slots above) */
    int gates;          /* weight rows per unit: 4 LSTM, 3 GRU, else 1 */
    int same_width;     /* out = in (batchnorm, dropout) rather than its units */
    /* appends the layer's tensors to m's table at *off (cn_nn_add_tensor) */
    void (*tensors)(cn_model *m, const cn_nn_layer *L, const char *prefix, size_t *off);
    /* PyTorch's default initialisation, drawing from rng in tensor order */
    void (*init)(cn_model *m, const cn_nn_layer *L, uint64_t *rng);
    /* streaming: takes its weights (w, in the stream's format) and state (st) from the bumps:
     * once to size them, once to place them */
    void (*stream_plan)(const cn_nn_layer *L, struct cn_stream_layer *sl, cn_weight_format wf,
                        struct cn_bump *w, struct cn_bump *st);
    /* copies m's weights into the planned ones; row is scratch of (kernel * in + out) floats */
    void (*stream_fill)(const cn_nn_layer *L, struct cn_stream_layer *sl, const cn_model *m, float *row);
    /* after the state is zeroed: what does not start at zero (NULL: nothing) */
    void (*stream_reset)(const cn_nn_layer *L, struct cn_stream_layer *sl);
    /* one step: x is the layer below's output (NULL for the first layer, which reads tok,
     * -1 = no input); writes sl->y. Real-time safe. */
    void (*stream_step)(const cn_nn_layer *L, struct cn_stream_layer *sl, const float *x, int tok, int simd);
    /* the spec's text of the layer, "lstm:256" (cn_spec_format) */
    void (*spec_word)(const cn_layer_spec *s, char *buf, size_t len);
    /* batched: the shard's scratch this kind needs, in multiples of B * out */
    int scratch;
    /* its weight in the layout its batched kernels read, where that is not the tensor's own:
     * the size in floats (NULL or 0: none), the filling from W (slot CN_MAIN_W), and the
     * adding of a gradient in that layout into the tensor's dW */
    size_t (*table_size)(const cn_nn_layer *L);
    void (*table)(const cn_nn_layer *L, float *tab, const float *W);
    void (*table_grad_add)(const cn_nn_layer *L, float *dW, const float *gtab);
    /* the weights it repacks for its kernels, taken from the arena (NULL: none), and their
     * filling from m's params before each forward */
    void (*batch_packs)(const cn_nn_layer *L, cn_nn_arena *a, cn_nn_packs *pk);
    void (*batch_pack)(const cn_nn_layer *L, const cn_model *m, cn_nn_packs *pk);
    /* the caches of rows = T * B steps it keeps from forward to backward, besides a->y */
    void (*batch_acts)(const cn_nn_layer *L, cn_nn_arena *a, cn_nn_act *la, size_t rows);
    void (*batch_forward)(const cn_nn_batch_ctx *c);
    void (*batch_backward)(const cn_nn_batch_ctx *c);
    /* after every shard's forward in training (NULL: nothing): BatchNorm's running
     * statistics from the shards' acts la[s] of rows[s] steps each */
    void (*batch_update)(const cn_nn_layer *L, cn_model *m, const cn_nn_act *const *la, const size_t *rows, int nsh);
} cn_nn_kind;

extern const cn_nn_kind cn_nn_embed, cn_nn_conv1d, cn_nn_lstm, cn_nn_gru, cn_nn_dense, cn_nn_batchnorm,
    cn_nn_dropout;
const cn_nn_kind *cn_nn_kind_of(cn_layer_kind k);

/* Rows of the layer's weight: gates * units. */
static inline int cn_nn_rows(const cn_nn_layer *L) { return L->ops->gates * L->out; }

/* nn_model.c: for the kinds' tensors and init */
void cn_nn_add_tensor(cn_model *m, const char *prefix, const char *what, int ndim, int d0, int d1, int d2,
                      int trainable, size_t *off);
void cn_nn_fill_uniform(float *w, size_t n, float bound, uint64_t *rng);
void cn_nn_fill_normal(float *w, size_t n, uint64_t *rng);
void cn_nn_init_fan_in(cn_model *m, const cn_nn_layer *L, float fan_in, uint64_t *rng); /* conv, dense */
void cn_nn_recurrent_tensors(cn_model *m, const cn_nn_layer *L, const char *prefix, size_t *off); /* lstm, gru */
void cn_nn_recurrent_init(cn_model *m, const cn_nn_layer *L, uint64_t *rng);
/* nn_embed.c: a one-hot first layer's gather table from its weight W [R][V]: [V][R]; and the
 * inverse for gradients, adding gtab [V][R] into dW [R][V]. */
void cn_nn_gather_table(float *tab, const float *W, int R, int V);
void cn_nn_gather_grad_add(float *dW, const float *gtab, int R, int V);
/* ... as the table ops of a kind whose one-hot first layer gathers (dense, LSTM, GRU) */
size_t cn_nn_gather_size(const cn_nn_layer *L);
void cn_nn_gather_fill(const cn_nn_layer *L, float *tab, const float *W);
void cn_nn_gather_grad(const cn_nn_layer *L, float *dW, const float *gtab);
/* nn_conv1d.c: a conv's weight [F][Cin][K] as its kernels read it, one-hot [K][V][F], else
 * [K][F][Cin]; and the inverse for gradients. */
void cn_conv1d_table(float *tab, const float *W, int F, int In, int K, int onehot);
void cn_conv1d_table_grad_add(float *dW, const float *gtab, int F, int In, int K, int onehot);

/* nn_math.c: vectorisable element-wise math */
float cn_nn_expf(float x);
void cn_nn_vsigmoid(float *x, int n);
void cn_nn_vtanh(float *x, int n);
void cn_nn_vtanh_to(float *y, const float *x, int n);
float cn_nn_softmax_row(float *p, const float *z, int V);   /* returns log-sum-exp of z */
void cn_nn_lstm_cell(float *g, const float *cprev, float *c, float *tc, float *h, int H);
/* The GRU cell for one row: g[3H] = W_ih x + b_ih in, activated r, z, n out; gh[3H] = W_hh h + b_hh;
 * hprev NULL = zeros; h may be hprev (the streaming step updates h in place). */
void cn_nn_gru_cell(float *g, const float *gh, const float *hprev, float *h, int H);

/* nn_gemm.c: C[M][N] += A[M][K] * W for a weight packed once (recurrent steps) */
size_t cn_nn_packed_size(int N, int K);
void cn_nn_pack_nt(float *P, const float *W, int N, int K);   /* W [N][K]: the product A W^T */
void cn_nn_pack_nn(float *P, const float *W, int K, int N);   /* W [K][N]: the product A W */
/* The kernel in use: 2 AVX-512, 1 AVX2, 0 the baseline (chosen by cpuid at first use). Tests
 * force a level (up to what the CPU runs; -1 = back to the widest) to check each copy. */
int  cn_nn_gemm_kernel(void);
void cn_nn_gemm_force_kernel(int level);
void cn_nn_gemm_packed(int M, int N, int K, const float *A, int lda, const float *P, float *C, int ldc);
/* the same with A given transposed, At [K][M] (leading dimension lda): C += At^T W */
void cn_nn_gemm_packed_at(int M, int N, int K, const float *At, int lda, const float *P, float *C, int ldc);
/* C[M][N] += At^T Bm, At [K][M], Bm [K][N], packing Bm in chunks into scratch (a weight gradient) */
size_t cn_nn_gemm_tn_scratch(int N);
void cn_nn_gemm_tn(int M, int N, int K, const float *At, int lda, const float *Bm, int ldb, float *C, int ldc,
                   float *scratch);

/* The batched kernels, each in its kind's file, over time-major [T][B][C] activations; grads
 * accumulate. */
void cn_embed_forward(float *y, const int *tok, const float *E, int rows, int D);
void cn_embed_backward(float *dE, const float *dy, const int *tok, int rows, int D);
void cn_dense_forward(float *y, const float *x, const int *tok, const float *w, const float *bias,
                      int rows, int In, int N, int relu);
void cn_dense_backward(float *dx, float *dw, float *dbias, float *dy, const float *y, const float *x,
                       const int *tok, const float *w, int rows, int In, int N, int relu);
void cn_conv1d_forward(float *y, const float *x, const int *tok, const float *wk, const float *bias,
                       int T, int B, int Cin, int F, int K);
void cn_conv1d_backward(float *dx, float *dwk, float *dbias, float *dy, const float *y, const float *x,
                        const int *tok, const float *wk, int T, int B, int Cin, int F, int K);
/* LSTM: whh_pf is W_hh packed by cn_nn_pack_nt(4H, H), whh_pb by cn_nn_pack_nn(4H, H). */
void cn_lstm_forward(float *h, float *c, float *tc, float *G, const float *x, const int *tok,
                     const float *wih, const float *whh_pf, const float *bsum, int T, int B, int In, int H);
void cn_lstm_backward(float *dx, float *dwih, float *dwhh, float *dbih, float *dbhh, float *dh, float *G,
                      const float *h, const float *c, const float *tc, const float *x, const int *tok,
                      const float *wih, const float *whh_pb, float *dc, float *pack, int T, int B, int In, int H);
void cn_gru_forward(float *h, float *G, float *HN, float *gh, const float *x, const int *tok,
                    const float *wih, const float *whh, const float *bih, const float *bhh,
                    int T, int B, int In, int H);
void cn_gru_backward(float *dx, float *dwih, float *dwhh, float *dbih, float *dbhh, float *dh, float *G,
                     float *DGH, const float *HN, const float *h, const float *x, const int *tok,
                     const float *wih, const float *whh, int T, int B, int In, int H);
void cn_bn_forward(float *y, float *xhat, float *mean, float *var, float *invstd, const float *x,
                   const float *gamma, const float *beta, const float *rmean, const float *rvar,
                   int rows, int C, int train);
void cn_bn_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *xhat,
                    const float *invstd, const float *gamma, float *sums, int rows, int C, int train);
void cn_dropout_forward(float *y, float *mask, const float *x, size_t n, float p, int train, uint64_t *rng);
void cn_dropout_backward(float *dx, const float *dy, const float *mask, size_t n, int train);
#endif
