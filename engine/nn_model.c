/* nn_model.c: a model's layer plan and its tensor table (PyTorch names and layouts, all in
 * one float allocation), PyTorch's default initialisation, and freeing. What differs by
 * layer kind is in the kind's own file (nn_embed.c ... nn_dropout.c), found here by its kind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn_internal.h"
#include "rng.h"

static const cn_nn_kind *const kinds[] = {
    [CN_L_EMBED] = &cn_nn_embed, [CN_L_CONV1D] = &cn_nn_conv1d, [CN_L_LSTM] = &cn_nn_lstm,
    [CN_L_GRU] = &cn_nn_gru, [CN_L_DENSE] = &cn_nn_dense, [CN_L_BATCHNORM] = &cn_nn_batchnorm,
    [CN_L_DROPOUT] = &cn_nn_dropout,
};

const cn_nn_kind *cn_nn_kind_of(cn_layer_kind k) {
    return (unsigned)k < sizeof kinds / sizeof kinds[0] ? kinds[k] : NULL;
}

const char *cn_nn_kind_name(cn_layer_kind k) {
    const cn_nn_kind *o = cn_nn_kind_of(k);
    return o ? o->name : "?";
}

int cn_nn_plan_make(const cn_spec *s, int vocab, cn_nn_plan *p) {
    memset(p, 0, sizeof *p);
    if (vocab < 2 || vocab > 1000000 || s->n_layers < 1 || s->n_layers > CN_MAX_LAYERS) return -1;
    p->V = vocab;
    int width = vocab, t = 0;
    for (int i = 0; i <= s->n_layers; i++) {
        cn_nn_layer *L = &p->L[i];
        if (i < s->n_layers) {
            const cn_layer_spec *ls = &s->layers[i];
            L->kind = ls->kind; L->units = ls->units; L->kernel = ls->kernel;
            L->relu = ls->relu; L->rate = ls->rate;
        } else {
            L->kind = CN_L_DENSE; L->units = vocab; L->relu = 0;  /* the output layer */
        }
        L->in = width;
        L->onehot = (i == 0);
        if (L->onehot && (L->kind == CN_L_BATCHNORM || L->kind == CN_L_DROPOUT)) return -1;
        if (!L->onehot && L->kind == CN_L_EMBED) return -1;
        if (L->units < 0 || L->units > 65536 || (L->kind == CN_L_CONV1D && (L->kernel < 1 || L->kernel > 64)))
            return -1;
        L->ops = cn_nn_kind_of(L->kind);
        if (!L->ops) return -1;
        L->out = L->ops->same_width ? width : L->units;
        L->nt = L->ops->nt;
        if (L->out < 1) return -1;
        L->t0 = t; t += L->nt;
        width = L->out;
    }
    if (t > CN_MAX_TENSORS) return -1;
    p->n = s->n_layers + 1;
    return 0;
}

void cn_nn_add_tensor(cn_model *m, const char *prefix, const char *what, int ndim, int d0, int d1, int d2,
                      int trainable, size_t *off) {
    cn_tensor *T = &m->tensors[m->n_tensors++];
    snprintf(T->name, sizeof T->name, "%s.%s", prefix, what);
    T->ndim = ndim;
    T->shape[0] = d0; T->shape[1] = ndim > 1 ? d1 : 0; T->shape[2] = ndim > 2 ? d2 : 0;
    T->size = (size_t)d0 * (ndim > 1 ? (size_t)d1 : 1) * (ndim > 2 ? (size_t)d2 : 1);
    T->offset = *off;
    T->trainable = trainable;
    *off += (T->size + CN_NN_ALIGN - 1) / CN_NN_ALIGN * CN_NN_ALIGN;
}

void cn_nn_fill_uniform(float *w, size_t n, float bound, uint64_t *rng) {
    for (size_t i = 0; i < n; i++) w[i] = (2.0f * cn_rng_uniform(rng) - 1.0f) * bound;
}

void cn_nn_fill_normal(float *w, size_t n, uint64_t *rng) {
    for (size_t i = 0; i < n; i += 2) {
        double u1 = cn_rng_uniform_d(rng), u2 = cn_rng_uniform_d(rng);
        double r = sqrt(-2.0 * log(u1 > 0 ? u1 : 1e-300)), a = 6.283185307179586 * u2;
        w[i] = (float)(r * cos(a));
        if (i + 1 < n) w[i + 1] = (float)(r * sin(a));
    }
}

/* Conv1d's and Linear's default: weight and bias (slots 0 and 1) U(+-1/sqrt(fan_in)). */
void cn_nn_init_fan_in(cn_model *m, const cn_nn_layer *L, float fan_in, uint64_t *rng) {
    const cn_tensor *T = &m->tensors[L->t0];
    float b = 1.0f / sqrtf(fan_in);
    cn_nn_fill_uniform(m->params + T[0].offset, T[0].size, b, rng);
    cn_nn_fill_uniform(m->params + T[1].offset, T[1].size, b, rng);
}

/* The recurrent kinds' four tensors (LSTM, GRU: gates rows a unit) and their default,
 * U(+-1/sqrt(H)) for all four. */
void cn_nn_recurrent_tensors(cn_model *m, const cn_nn_layer *L, const char *prefix, size_t *off) {
    int R = cn_nn_rows(L);
    cn_nn_add_tensor(m, prefix, "weight_ih", 2, R, L->in, 0, 1, off);
    cn_nn_add_tensor(m, prefix, "weight_hh", 2, R, L->out, 0, 1, off);
    cn_nn_add_tensor(m, prefix, "bias_ih", 1, R, 0, 0, 1, off);
    cn_nn_add_tensor(m, prefix, "bias_hh", 1, R, 0, 0, 1, off);
}
void cn_nn_recurrent_init(cn_model *m, const cn_nn_layer *L, uint64_t *rng) {
    const cn_tensor *T = &m->tensors[L->t0];
    float b = 1.0f / sqrtf((float)L->out);
    for (int k = 0; k < 4; k++) cn_nn_fill_uniform(m->params + T[k].offset, T[k].size, b, rng);
}

/* The model's tensor table (names, shapes, offsets, n_params), its weights not allocated. */
static cn_model *model_table(const char *spec, int vocab, cn_nn_plan *pp, char *err, size_t errlen) {
    cn_spec s;
    if (cn_spec_parse(spec, &s, err, errlen)) return NULL;
    cn_nn_plan p;
    if (cn_nn_plan_make(&s, vocab, &p)) {
        if (err && errlen)
            snprintf(err, errlen, "spec \"%s\" with vocabulary %d: sizes out of range or too many tensors", spec, vocab);
        return NULL;
    }
    cn_model *m = calloc(1, sizeof *m);
    if (!m) { if (err && errlen) snprintf(err, errlen, "out of memory"); return NULL; }
    m->spec = s;
    m->vocab = vocab;
    m->encoding = CN_ENC_EVENT;
    if (cn_spec_format(&s, m->spec_text, sizeof m->spec_text)) {
        if (err && errlen) snprintf(err, errlen, "spec too long (at most %zu characters)", sizeof m->spec_text - 1);
        free(m);
        return NULL;
    }
    size_t off = 0;
    for (int i = 0; i < p.n; i++) {
        const cn_nn_layer *L = &p.L[i];
        char prefix[24];
        if (i == p.n - 1) snprintf(prefix, sizeof prefix, "out");
        else snprintf(prefix, sizeof prefix, "%d.%s", i, cn_nn_kind_name(L->kind));
        L->ops->tensors(m, L, prefix, &off);
    }
    m->n_params = off;
    *pp = p;
    return m;
}

size_t cn_model_spec_elements(const char *spec, int vocab) {
    cn_nn_plan p;
    cn_model *m = model_table(spec, vocab, &p, NULL, 0);
    if (!m) return 0;
    size_t n = 0;
    for (int i = 0; i < m->n_tensors; i++) n += m->tensors[i].size;
    free(m);
    return n;
}

cn_model *cn_model_new(const char *spec, int vocab, uint64_t seed, char *err, size_t errlen) {
    cn_nn_plan p;
    cn_model *m = model_table(spec, vocab, &p, err, errlen);
    if (!m) return NULL;
    size_t off = m->n_params;
    m->params = aligned_alloc(64, (off * sizeof(float) + 63) / 64 * 64);
    if (!m->params) {
        if (err && errlen) snprintf(err, errlen, "out of memory for %zu parameters", off);
        free(m);
        return NULL;
    }
    memset(m->params, 0, off * sizeof(float));
    /* PyTorch's defaults: Conv1d and Linear U(+-1/sqrt(fan_in)) for weight and bias; LSTM/GRU
     * U(+-1/sqrt(H)) for all four; Embedding N(0,1); BatchNorm weight 1, bias 0, var 1. */
    uint64_t rng = cn_rng_seed(seed);
    for (int i = 0; i < p.n; i++) p.L[i].ops->init(m, &p.L[i], &rng);
    return m;
}

void cn_model_free(cn_model *m) {
    if (!m) return;
    free(m->params);
    cn_vocab_free(&m->words);
    cn_meta_free(&m->meta);
    free(m);
}

const cn_tensor *cn_model_tensor(const cn_model *m, const char *name) {
    if (!m || !name) return NULL;
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}
