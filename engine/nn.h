/* nn.h: the neural core. A model is a stack of layers described by a short text spec,
 * with all parameters in one float allocation (named tensor views in PyTorch layout),
 * run two ways on the same weights:
 *   - training: batched forward/backward over [B x T] token windows (cn_batch_*),
 *   - streaming: one token at a time with carried state (cn_stream_*), real-time safe.
 *
 * Spec grammar (comma-separated, input is one-hot over the vocabulary unless embed comes first;
 * the output Dense(V)+softmax is always appended and named "out"):
 *   embed:D          token embedding of width D (first layer only)
 *   conv1d:F:K       causal Conv1D, F filters, kernel K, ReLU (left zero padding, streams)
 *   lstm:H           LSTM, PyTorch/Keras gate order i,f,g,o
 *   gru:H            GRU, PyTorch gate order r,z,n (Keras reset_after=True)
 *   dense:N[:relu]   time-distributed Dense, linear unless :relu
 *   batchnorm        BatchNorm over features (batch stats in training, running stats otherwise)
 *   dropout:P        inverted dropout with drop probability P (training only)
 * or one of the report's names: paper-baseline, paper-m1 ... paper-m7.
 * A one-hot input into the first layer is a gather of its weight columns, never a product. */
#ifndef CONTINUO_NN_H
#define CONTINUO_NN_H
#include <stddef.h>
#include <stdint.h>
#include "tokens_vocab.h"   /* what the model carries of its tokens; no MIDI */

#define CN_MAX_LAYERS  16
#define CN_MAX_TENSORS 64

typedef enum { CN_L_EMBED, CN_L_CONV1D, CN_L_LSTM, CN_L_GRU, CN_L_DENSE, CN_L_BATCHNORM,
               CN_L_DROPOUT } cn_layer_kind;
typedef struct { cn_layer_kind kind; int units; int kernel; float rate; int relu; } cn_layer_spec;
typedef struct { cn_layer_spec layers[CN_MAX_LAYERS]; int n_layers; } cn_spec;

/* Parse a spec or a paper-* name. 0, or -1 with err saying what and where. */
int cn_spec_parse(const char *text, cn_spec *out, char *err, size_t errlen);
const char *cn_spec_paper(const char *name);           /* "paper-m1" -> spec text, NULL if unknown */
int cn_spec_format(const cn_spec *s, char *buf, size_t len); /* canonical text */
const char *cn_spec_help(void);                        /* the grammar and the paper names, for --help */

typedef struct {
    char name[48];          /* "0.conv1d.weight", "1.lstm.weight_ih", "out.bias", ... */
    int ndim; int shape[3]; /* PyTorch layout, e.g. conv [F][Cin][K], lstm weight_ih [4H][In] */
    size_t offset, size;    /* into params, in floats */
    int trainable;          /* 0 for BatchNorm running stats */
} cn_tensor;

/* Training metadata carried by the model file: ordered key/value text pairs. */
#define CN_META_MAX 32
typedef struct { char *keys[CN_META_MAX]; char *vals[CN_META_MAX]; int n; } cn_meta;
int  cn_meta_set(cn_meta *m, const char *key, const char *val);   /* copies; replaces; -1 if full/OOM */
const char *cn_meta_get(const cn_meta *m, const char *key);       /* NULL when absent */
void cn_meta_free(cn_meta *m);

typedef struct cn_model {
    cn_spec spec;
    char spec_text[256];
    int vocab;                      /* V: input and output size */
    float *params; size_t n_params; /* one allocation */
    cn_tensor tensors[CN_MAX_TENSORS]; int n_tensors;
    /* what the tokens mean, and where the weights came from: carried by the model file */
    cn_encoding encoding;
    cn_vocab words;                 /* paper encoding only; empty for event */
    cn_meta meta;
} cn_model;

/* A new model with freshly initialised weights (PyTorch's default init, from seed). */
cn_model *cn_model_new(const char *spec, int vocab, uint64_t seed, char *err, size_t errlen);
void cn_model_free(cn_model *m);       /* frees words and meta too */
/* How many weights (all tensors' elements) the spec makes at this vocabulary, without
 * allocating them; 0 when it cannot be built. The loader checks it against the file's bytes. */
size_t cn_model_spec_elements(const char *spec, int vocab);
const cn_tensor *cn_model_tensor(const cn_model *m, const char *name);  /* NULL if none */

/* ---- training: batched forward and backward ---- */
typedef struct cn_batch cn_batch;
/* Activations for B windows of T tokens in one allocation. loss_all_steps: 1 = loss on every
 * step, 0 = on the last step only (the report). */
cn_batch *cn_batch_new(cn_model *m, int B, int T, int loss_all_steps);
/* The same, with the batch cut into `threads` shards (1 or 2) run in parallel, each on
 * single-threaded BLAS (this sets OpenBLAS to 1 thread). Gradients are summed over shards;
 * BatchNorm then uses per-shard batch statistics (as data-parallel torch without SyncBN). */
cn_batch *cn_batch_new_threads(cn_model *m, int B, int T, int loss_all_steps, int threads);
void cn_batch_free(cn_batch *b);
/* tokens and targets are [B][T]; targets < 0 (or >= V) are ignored; targets may be NULL.
 * train: dropout/batch-stats on (and BatchNorm running stats updated, momentum 0.1).
 * Returns the mean cross-entropy (nats/token) over counted targets, or NaN (nothing computed)
 * when a token is outside [0, V). */
float cn_batch_forward(cn_batch *b, const int *tokens, const int *targets, int train, uint64_t seed);
double cn_batch_loss(const cn_batch *b);   /* the last forward's mean loss, in double (for checks) */
int   cn_batch_correct(const cn_batch *b);  /* argmax hits in the last forward */
int   cn_batch_counted(const cn_batch *b);  /* targets counted in the last forward */
const float *cn_batch_logits(const cn_batch *b); /* [B][T][V]; with last-step loss only t=T-1 is filled */
void  cn_batch_backward(cn_batch *b);       /* adds d(loss)/d(params) into the gradients */
float *cn_batch_grads(cn_batch *b);         /* n_params floats, layout of params */
/* Data parallelism: this batch is a part of a larger global batch, starting at its row
 * row_base (dropout masks are a function of the global row, so any cut gives the same ones);
 * d(loss) is scaled by 1/denom (the global batch's counted targets) instead of this part's
 * count, so that summing the parts' gradients gives the global batch's gradient.
 * row_base 0, denom 0 = this batch alone (the default). */
void  cn_batch_set_part(cn_batch *b, int row_base, int denom);
void  cn_batch_zero_grads(cn_batch *b);

/* ---- streaming: one token at a time ---- */
typedef enum { CN_W_F32 = 0, CN_W_F16 = 1, CN_W_I8 = 2 } cn_weight_format;
typedef struct cn_stream cn_stream;
/* Allocates state and scratch and snapshots the weights in the chosen format (later changes
 * to m->params need a new stream). F16: half-precision weights; I8: int8 weights (scale per
 * row) times int8 activations (scale per step), AVX-512 VNNI when present: ~3x faster than
 * F32 for Model 1, log-probabilities within 1e-2 (tests/unit/test_nn_stream.c). Not real-time. */
cn_stream *cn_stream_new(const cn_model *m, cn_weight_format wf);
/* The weight format that changes nothing: F16 when every parameter of m is a float16 value (a
 * model read from a float16 file, as the shipped one is), else F32. The f16 kernels run the
 * same products in the same order as the f32 ones, so the logits are the same bits from half
 * the weight bytes, and at batch 1 the step is memory-bound. Not real-time: reads every
 * parameter. */
cn_weight_format cn_stream_exact_format(const cn_model *m);
void cn_stream_free(cn_stream *s);
void cn_stream_reset(cn_stream *s);               /* zero state: conv rings, h, c */
/* Feed one token; returns the logits over V for the next token (valid until the next call).
 * A token outside [0, V) is taken as no input. Real-time safe: no allocation, no locks, no
 * system calls, bounded time. */
const float *cn_stream_step(cn_stream *s, int token);
#endif
