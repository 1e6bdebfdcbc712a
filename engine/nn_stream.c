/* nn_stream.c: the model run one token at a time with carried state (conv rings, LSTM h and c,
 * GRU h), at batch 1: the engine's real-time path. cn_stream_new snapshots the weights in the
 * chosen format (float32, float16, int8) and allocates everything; cn_stream_step then only
 * reads and writes that memory: no allocation, locks or system calls, and a fixed amount of
 * work per token. In eval semantics: dropout is the identity, BatchNorm uses running stats.
 * Each layer kind's step, state and weights are in its own file (nn_lstm.c ...); this file
 * allocates for them and runs them in order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "half.h"
#include "nn_internal.h"
#include "nn_stream_internal.h"

#define NL (CN_MAX_LAYERS + 1)

struct cn_stream {
    cn_nn_plan p;
    cn_weight_format wf;
    int simd;
    cn_stream_layer sl[NL];
    unsigned char *wmem; size_t wbytes;
    float *smem; size_t sfloats;
};

void *cn_bump_take(cn_bump *a, size_t bytes) {
    bytes = (bytes + 63) / 64 * 64;
    void *p = a->base ? a->base + a->used : NULL;
    a->used += bytes;
    return p;
}
static size_t elem_size(cn_weight_format f) { return f == CN_W_F32 ? 4 : f == CN_W_F16 ? 2 : 1; }
void cn_mat_plan(cn_bump *a, cn_mat *M, cn_weight_format f, int rows, int cols) {
    M->fmt = f; M->rows = rows; M->cols = cols;
    M->ld = f == CN_W_I8 ? (cols + 63) / 64 * 64 : CN_PAD16(cols);
    M->w = cn_bump_take(a, (size_t)rows * M->ld * elem_size(f));
    M->scale = f == CN_W_I8 ? cn_bump_take(a, (size_t)rows * sizeof(float)) : NULL;
    M->rsum = f == CN_W_I8 ? cn_bump_take(a, (size_t)rows * sizeof(int32_t)) : NULL;
    M->xq = f == CN_W_I8 ? cn_bump_take(a, (size_t)M->ld) : NULL;
}

/* ---- memory plan: one pass sizes, a second hands out pointers ---- */
static void plan(cn_stream *s, cn_bump *w, cn_bump *st) {
    for (int i = 0; i < s->p.n; i++) {
        const cn_nn_layer *L = &s->p.L[i];
        cn_stream_layer *sl = &s->sl[i];
        memset(sl, 0, sizeof *sl);
        L->ops->stream_plan(L, sl, s->wf, w, st);
        sl->y = cn_bump_take(st, CN_PAD16(L->out) * 4u);
    }
}

/* Stores row r of a matrix given as floats. */
void cn_mat_set_row(cn_mat *M, int r, const float *row) {
    size_t o = (size_t)r * M->ld;
    if (M->fmt == CN_W_F32) {
        memcpy((float *)M->w + o, row, (size_t)M->cols * sizeof(float));
    } else if (M->fmt == CN_W_F16) {
        for (int c = 0; c < M->cols; c++) ((uint16_t *)M->w)[o + c] = cn_f32_to_f16(row[c]);
    } else {
        float mx = 0.0f;
        for (int c = 0; c < M->cols; c++) mx = fabsf(row[c]) > mx ? fabsf(row[c]) : mx;
        float sc = mx > 0 ? mx / 127.0f : 1.0f;
        M->scale[r] = sc;
        int32_t sum = 0;
        for (int c = 0; c < M->cols; c++) {
            int8_t q = (int8_t)lrintf(row[c] / sc);
            ((int8_t *)M->w)[o + c] = q;
            sum += q;
        }
        M->rsum[r] = sum;
    }
}

cn_stream *cn_stream_new(const cn_model *m, cn_weight_format wf) {
    if (!m || (wf != CN_W_F32 && wf != CN_W_F16 && wf != CN_W_I8)) return NULL;
    cn_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (cn_nn_plan_make(&m->spec, m->vocab, &s->p)) { free(s); return NULL; }
    s->wf = wf;
    s->simd = cn_mv_simd_available();
    cn_bump w = { NULL, 0 }, st = { NULL, 0 };
    plan(s, &w, &st);
    s->wbytes = w.used; s->sfloats = st.used / 4;
    s->wmem = aligned_alloc(64, w.used ? w.used : 64);
    s->smem = aligned_alloc(64, st.used ? st.used : 64);
    int maxrow = 1;
    for (int i = 0; i < s->p.n; i++) {
        const cn_nn_layer *L = &s->p.L[i];
        int c = (L->kind == CN_L_CONV1D ? L->kernel : 1) * L->in + L->out;
        if (c > maxrow) maxrow = c;
    }
    float *row = malloc((size_t)maxrow * sizeof(float));
    if (!s->wmem || !s->smem || !row) { free(row); cn_stream_free(s); return NULL; }
    memset(s->wmem, 0, w.used);
    w.base = s->wmem; w.used = 0; st.base = (unsigned char *)s->smem; st.used = 0;
    plan(s, &w, &st);
    for (int i = 0; i < s->p.n; i++) s->p.L[i].ops->stream_fill(&s->p.L[i], &s->sl[i], m, row);
    free(row);
    cn_stream_reset(s);
    return s;
}

cn_weight_format cn_stream_exact_format(const cn_model *m) {
    for (size_t i = 0; i < m->n_params; i++)
        if (cn_f16_to_f32(cn_f32_to_f16(m->params[i])) != m->params[i]) return CN_W_F32;
    return CN_W_F16;
}

void cn_stream_free(cn_stream *s) {
    if (!s) return;
    free(s->wmem); free(s->smem); free(s);
}

void cn_stream_reset(cn_stream *s) {
    memset(s->smem, 0, s->sfloats * sizeof(float));
    for (int i = 0; i < s->p.n; i++)
        if (s->p.L[i].ops->stream_reset) s->p.L[i].ops->stream_reset(&s->p.L[i], &s->sl[i]);
}

/* Turns the SIMD path off or on (for tests comparing it with the plain path). */
void cn_stream_set_simd(cn_stream *s, int level) {
    int have = cn_mv_simd_available();
    s->simd = level < 0 ? 0 : level < have ? level : have;
}

const float *cn_stream_step(cn_stream *s, int token) {
    int tok = token >= 0 && token < s->p.V ? token : -1;   /* out of range: no input this step */
    const float *x = NULL;
    for (int i = 0; i < s->p.n; i++) {
        const cn_nn_layer *L = &s->p.L[i];
        L->ops->stream_step(L, &s->sl[i], x, tok, s->simd);
        x = s->sl[i].y;
    }
    return x;
}
