/* nn_stream.c: the model run one token at a time with carried state (conv rings, LSTM h and c,
 * GRU h), at batch 1: the engine's real-time path. cn_stream_new snapshots the weights in the
 * chosen format (float32, float16, int8) and allocates everything; cn_stream_step then only
 * reads and writes that memory: no allocation, locks or system calls, and a fixed amount of
 * work per token. In eval semantics: dropout is the identity, BatchNorm uses running stats. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "half.h"
#include "nn_internal.h"
#include "nn_stream_internal.h"

#define NL (CN_MAX_LAYERS + 1)

typedef struct {
    float *tab;          /* one-hot first layer: gather table ([K][V][F] for conv, else [V][rows]) */
    cn_mat W, U;         /* main matrix; GRU's W_hh */
    float *b, *b2;       /* biases (LSTM b_ih+b_hh; GRU b_ih, b_hh); BatchNorm scale, shift */
    float *xin;          /* input buffer: LSTM [x;h], conv window [K][Cin], else x (padded) */
    int *ring;           /* one-hot conv: the last K tokens, -1 = before the start */
    float *c, *g, *g2, *tc;
    float *y;            /* output (= h for recurrent layers), padded with zeros */
} stream_layer;

struct cn_stream {
    cn_nn_plan p;
    cn_weight_format wf;
    int simd;
    stream_layer sl[NL];
    unsigned char *wmem; size_t wbytes;
    float *smem; size_t sfloats;
};

/* ---- memory plan: one pass sizes, a second hands out pointers ---- */
typedef struct { unsigned char *base; size_t used; } bump;
static void *take(bump *a, size_t bytes) {
    bytes = (bytes + 63) / 64 * 64;
    void *p = a->base ? a->base + a->used : NULL;
    a->used += bytes;
    return p;
}
static size_t elem_size(cn_weight_format f) { return f == CN_W_F32 ? 4 : f == CN_W_F16 ? 2 : 1; }
static void mat_plan(bump *a, cn_mat *M, cn_weight_format f, int rows, int cols) {
    M->fmt = f; M->rows = rows; M->cols = cols;
    M->ld = f == CN_W_I8 ? (cols + 63) / 64 * 64 : CN_PAD16(cols);
    M->w = take(a, (size_t)rows * M->ld * elem_size(f));
    M->scale = f == CN_W_I8 ? take(a, (size_t)rows * sizeof(float)) : NULL;
    M->rsum = f == CN_W_I8 ? take(a, (size_t)rows * sizeof(int32_t)) : NULL;
    M->xq = f == CN_W_I8 ? take(a, (size_t)M->ld) : NULL;
}

static int rows_of(const cn_nn_layer *L) {
    return L->kind == CN_L_LSTM ? 4 * L->out : L->kind == CN_L_GRU ? 3 * L->out : L->out;
}

static void plan(cn_stream *s, bump *w, bump *st) {
    for (int i = 0; i < s->p.n; i++) {
        const cn_nn_layer *L = &s->p.L[i];
        stream_layer *sl = &s->sl[i];
        memset(sl, 0, sizeof *sl);
        int R = rows_of(L), In = L->in, H = L->out;
        if (L->onehot && L->kind != CN_L_EMBED)
            sl->tab = take(w, (size_t)(L->kind == CN_L_CONV1D ? L->kernel : 1) * L->in * R * sizeof(float));
        switch (L->kind) {
        case CN_L_EMBED: sl->tab = take(w, (size_t)In * H * sizeof(float)); break;
        case CN_L_CONV1D:
            if (L->onehot) sl->ring = take(st, (size_t)L->kernel * sizeof(int));
            else { mat_plan(w, &sl->W, s->wf, H, L->kernel * In); sl->xin = take(st, CN_PAD16(L->kernel * In) * 4u); }
            sl->b = take(w, (size_t)H * 4);
            break;
        case CN_L_LSTM:
            mat_plan(w, &sl->W, s->wf, R, L->onehot ? H : In + H);
            if (!L->onehot) sl->xin = take(st, CN_PAD16(In + H) * 4u);
            sl->b = take(w, (size_t)R * 4);
            sl->c = take(st, (size_t)H * 4); sl->tc = take(st, (size_t)H * 4);
            sl->g = take(st, (size_t)R * 4);
            break;
        case CN_L_GRU:
            if (!L->onehot) mat_plan(w, &sl->W, s->wf, R, In);
            mat_plan(w, &sl->U, s->wf, R, H);
            sl->b = take(w, (size_t)R * 4); sl->b2 = take(w, (size_t)R * 4);
            sl->g = take(st, (size_t)R * 4); sl->g2 = take(st, (size_t)R * 4);
            break;
        case CN_L_DENSE:
            if (!L->onehot) mat_plan(w, &sl->W, s->wf, H, In);
            sl->b = take(w, (size_t)H * 4);
            break;
        case CN_L_BATCHNORM:
            sl->b = take(w, (size_t)H * 4); sl->b2 = take(w, (size_t)H * 4);
            break;
        case CN_L_DROPOUT: break;
        }
        sl->y = take(st, CN_PAD16(H) * 4u);
    }
}

/* Stores row r of a matrix given as floats. */
static void mat_set_row(cn_mat *M, int r, const float *row) {
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

static void fill(cn_stream *s, const cn_model *m, float *row) {
    for (int i = 0; i < s->p.n; i++) {
        const cn_nn_layer *L = &s->p.L[i];
        stream_layer *sl = &s->sl[i];
        float *P = m->params;
        int R = rows_of(L), In = L->in, H = L->out, K = L->kernel;
        const float *W0 = L->nt ? cn_nn_t(m, P, L, 0) : NULL;
        if (sl->tab && L->kind == CN_L_CONV1D) {
            for (int f = 0; f < H; f++)
                for (int c = 0; c < In; c++)
                    for (int k = 0; k < K; k++) sl->tab[((size_t)k * In + c) * H + f] = W0[((size_t)f * In + c) * K + k];
        } else if (sl->tab && L->kind == CN_L_EMBED) {
            memcpy(sl->tab, W0, (size_t)In * H * sizeof(float));
        } else if (sl->tab) {
            for (int r = 0; r < R; r++)
                for (int v = 0; v < In; v++) sl->tab[(size_t)v * R + r] = W0[(size_t)r * In + v];
        }
        switch (L->kind) {
        case CN_L_CONV1D:
            if (!L->onehot)
                for (int f = 0; f < H; f++) {
                    for (int k = 0; k < K; k++)
                        for (int c = 0; c < In; c++) row[k * In + c] = W0[((size_t)f * In + c) * K + k];
                    mat_set_row(&sl->W, f, row);
                }
            memcpy(sl->b, cn_nn_t(m, P, L, 1), (size_t)H * 4);
            break;
        case CN_L_LSTM: {
            const float *whh = cn_nn_t(m, P, L, 1), *bi = cn_nn_t(m, P, L, 2), *bh = cn_nn_t(m, P, L, 3);
            for (int r = 0; r < R; r++) {
                int o = 0;
                if (!L->onehot) { memcpy(row, W0 + (size_t)r * In, (size_t)In * 4); o = In; }
                memcpy(row + o, whh + (size_t)r * H, (size_t)H * 4);
                mat_set_row(&sl->W, r, row);
                sl->b[r] = bi[r] + bh[r];
            }
            break;
        }
        case CN_L_GRU: {
            const float *whh = cn_nn_t(m, P, L, 1);
            for (int r = 0; r < R; r++) {
                if (!L->onehot) mat_set_row(&sl->W, r, W0 + (size_t)r * In);
                mat_set_row(&sl->U, r, whh + (size_t)r * H);
            }
            memcpy(sl->b, cn_nn_t(m, P, L, 2), (size_t)R * 4);
            memcpy(sl->b2, cn_nn_t(m, P, L, 3), (size_t)R * 4);
            break;
        }
        case CN_L_DENSE:
            if (!L->onehot) for (int r = 0; r < H; r++) mat_set_row(&sl->W, r, W0 + (size_t)r * In);
            memcpy(sl->b, cn_nn_t(m, P, L, 1), (size_t)H * 4);
            break;
        case CN_L_BATCHNORM: {
            const float *ga = W0, *be = cn_nn_t(m, P, L, 1), *rm = cn_nn_t(m, P, L, 2), *rv = cn_nn_t(m, P, L, 3);
            for (int j = 0; j < H; j++) {
                float a = ga[j] / sqrtf(rv[j] + 1e-5f);
                sl->b[j] = a; sl->b2[j] = be[j] - rm[j] * a;
            }
            break;
        }
        default: break;
        }
    }
}

cn_stream *cn_stream_new(const cn_model *m, cn_weight_format wf) {
    if (!m || (wf != CN_W_F32 && wf != CN_W_F16 && wf != CN_W_I8)) return NULL;
    cn_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (cn_nn_plan_make(&m->spec, m->vocab, &s->p)) { free(s); return NULL; }
    s->wf = wf;
    s->simd = cn_mv_simd_available();
    bump w = { NULL, 0 }, st = { NULL, 0 };
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
    fill(s, m, row);
    free(row);
    cn_stream_reset(s);
    return s;
}

void cn_stream_free(cn_stream *s) {
    if (!s) return;
    free(s->wmem); free(s->smem); free(s);
}

void cn_stream_reset(cn_stream *s) {
    memset(s->smem, 0, s->sfloats * sizeof(float));
    for (int i = 0; i < s->p.n; i++)
        if (s->sl[i].ring) for (int k = 0; k < s->p.L[i].kernel; k++) s->sl[i].ring[k] = -1;
}

/* Turns the SIMD path off or on (for tests comparing it with the plain path). */
void cn_stream_set_simd(cn_stream *s, int level) {
    int have = cn_mv_simd_available();
    s->simd = level < 0 ? 0 : level < have ? level : have;
}

const float *cn_stream_step(cn_stream *s, int token) {
    int V = s->p.V;
    int tok = token >= 0 && token < V ? token : -1;   /* out of range: no input this step */
    const float *x = NULL;
    for (int i = 0; i < s->p.n; i++) {
        const cn_nn_layer *L = &s->p.L[i];
        stream_layer *sl = &s->sl[i];
        int In = L->in, H = L->out, R = rows_of(L);
        float *y = sl->y;
        switch (L->kind) {
        case CN_L_EMBED:
            if (tok >= 0) memcpy(y, sl->tab + (size_t)tok * H, (size_t)H * 4);
            else memset(y, 0, (size_t)H * 4);
            break;
        case CN_L_CONV1D: {
            int K = L->kernel;
            if (L->onehot) {
                memmove(sl->ring, sl->ring + 1, (size_t)(K - 1) * sizeof(int));
                sl->ring[K - 1] = tok;
                memcpy(y, sl->b, (size_t)H * 4);
                for (int k = 0; k < K; k++) {
                    if (sl->ring[k] < 0) continue;
                    const float *w = sl->tab + ((size_t)k * In + sl->ring[k]) * H;
                    for (int f = 0; f < H; f++) y[f] += w[f];
                }
            } else {
                memmove(sl->xin, sl->xin + In, (size_t)(K - 1) * In * 4);
                memcpy(sl->xin + (size_t)(K - 1) * In, x, (size_t)In * 4);
                cn_mv(&sl->W, sl->xin, y, s->simd);
                for (int f = 0; f < H; f++) y[f] += sl->b[f];
            }
            for (int f = 0; f < H; f++) y[f] = y[f] > 0.0f ? y[f] : 0.0f;
            break;
        }
        case CN_L_LSTM: {
            float *g = sl->g;
            if (L->onehot) {
                cn_mv(&sl->W, y, g, s->simd);               /* y is h, zero-padded */
                if (tok >= 0) {
                    const float *t = sl->tab + (size_t)tok * R;
                    for (int r = 0; r < R; r++) g[r] += t[r];
                }
            } else {
                memcpy(sl->xin, x, (size_t)In * 4);
                memcpy(sl->xin + In, y, (size_t)H * 4);
                cn_mv(&sl->W, sl->xin, g, s->simd);
            }
            for (int r = 0; r < R; r++) g[r] += sl->b[r];
            cn_nn_lstm_cell(g, sl->c, sl->c, sl->tc, y, H);
            break;
        }
        case CN_L_GRU: {
            float *gx = sl->g, *gh = sl->g2;
            if (L->onehot) {
                if (tok >= 0) memcpy(gx, sl->tab + (size_t)tok * R, (size_t)R * 4);
                else memset(gx, 0, (size_t)R * 4);
            } else {
                cn_mv(&sl->W, x, gx, s->simd);
            }
            cn_mv(&sl->U, y, gh, s->simd);
            for (int r = 0; r < R; r++) { gx[r] += sl->b[r]; gh[r] += sl->b2[r]; }
            for (int j = 0; j < 2 * H; j++) gx[j] += gh[j];
            cn_nn_vsigmoid(gx, 2 * H);
            for (int j = 0; j < H; j++) gx[2 * H + j] += gx[j] * gh[2 * H + j];
            cn_nn_vtanh(gx + 2 * H, H);
            for (int j = 0; j < H; j++) {
                float z = gx[H + j];
                y[j] = (1.0f - z) * gx[2 * H + j] + z * y[j];
            }
            break;
        }
        case CN_L_DENSE:
            if (L->onehot) {
                if (tok >= 0) memcpy(y, sl->tab + (size_t)tok * H, (size_t)H * 4);
                else memset(y, 0, (size_t)H * 4);
            } else {
                cn_mv(&sl->W, x, y, s->simd);
            }
            for (int j = 0; j < H; j++) y[j] += sl->b[j];
            if (L->relu) for (int j = 0; j < H; j++) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
            break;
        case CN_L_BATCHNORM:
            for (int j = 0; j < H; j++) y[j] = x[j] * sl->b[j] + sl->b2[j];
            break;
        case CN_L_DROPOUT:
            memcpy(y, x, (size_t)H * 4);
            break;
        }
        x = y;
    }
    return x;
}
