/* nn_batch.c: training-time forward and backward over B windows of T tokens. The batch is
 * cut into shards (1 or 2) that run the whole stack on their rows in their own thread with
 * single-threaded BLAS, and their gradients are summed: one threading layer, and the
 * element-wise gate math runs in parallel too. One allocation holds all activations (every
 * shard, the shared weight tables and the logits); one holds the gradients. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "nn_internal.h"
#include "rng.h"

#define MAX_SHARDS 2
#define NL (CN_MAX_LAYERS + 1)

typedef struct {
    float *y;                         /* the layer's output, [rows][out] time-major */
    float *G, *c, *tc, *HN, *DGH;     /* recurrent caches */
    float *xhat, *mean, *var, *invstd, *mask;
    float *gtab;                      /* gradient in the layout of the layer's weight table */
} layer_act;

typedef struct {
    struct cn_batch *bt;
    int idx, B, b0;                   /* B rows of the batch starting at b0 */
    int *tok, *tgt;                   /* time-major [T][B] */
    layer_act la[NL];
    float *d0, *d1;                   /* gradients w.r.t. activations, ping-pong */
    float *scratch;                   /* LSTM dc, GRU gh, BatchNorm sums */
    float *pack;                      /* LSTM weight gradients: one packed chunk of x or h */
    float *dz;                        /* d loss / d logits, [rows_out][V] */
    float *grads;                     /* the batch's (shard 0) or its own (summed after) */
    double loss; int correct;
    int job;                          /* 0 forward, 1 backward */
} shard;

struct cn_batch {
    cn_model *m;
    cn_nn_plan p;
    int B, T, all, nsh;
    shard sh[MAX_SHARDS];
    float *tab[NL];                   /* weight tables: gather [.][V][.] or conv [K][F][Cin] */
    float *bsum[NL];                  /* LSTM b_ih + b_hh */
    float *whh_pf[NL], *whh_pb[NL];   /* LSTM W_hh packed for the forward and backward steps */
    float *wih_pf[NL], *wih_pb[NL];   /* LSTM W_ih so packed (input from activations only) */
    float *logits;                    /* [B][T][V] */
    float *act, *grads;
    int counted, train;
    int denom;                        /* > 0: the loss is a mean over this many targets (data parallel) */
    int row_base;                     /* row 0's index in the global batch (dropout streams) */
    uint64_t seed;
};

/* ---- memory plan: the same walk sizes the allocation and then hands out pointers ---- */
typedef struct { float *base; size_t used; } bump;
static float *take(bump *a, size_t n) {
    n = (n + CN_NN_ALIGN - 1) / CN_NN_ALIGN * CN_NN_ALIGN;
    float *p = a->base ? a->base + a->used : NULL;
    a->used += n;
    return p;
}

/* Whether layer i keeps its weights in a table of another layout, and its size. */
static size_t table_size(const cn_nn_layer *L) {
    if (L->onehot) {
        if (L->kind == CN_L_EMBED) return 0;   /* its weight is already [V][D] */
        return (size_t)(L->kind == CN_L_CONV1D ? L->kernel : 1) * L->in * cn_nn_rows(L);
    }
    return L->kind == CN_L_CONV1D && L->kernel > 1 ? (size_t)L->kernel * L->in * L->out : 0;
}

static void plan_memory(cn_batch *bt, bump *a) {
    const cn_nn_plan *p = &bt->p;
    int T = bt->T, V = p->V;
    int maxw = 1, maxs = 1;
    for (int i = 0; i < p->n; i++) {
        const cn_nn_layer *L = &p->L[i];
        if (L->in > maxw) maxw = L->in;
        if (L->out > maxw) maxw = L->out;
        int s = L->kind == CN_L_GRU ? 3 * L->out : L->kind == CN_L_BATCHNORM ? 2 * L->out : L->out;
        if (s > maxs) maxs = s;
    }
    for (int i = 0; i < p->n; i++) {
        size_t ts = table_size(&p->L[i]);
        bt->tab[i] = ts ? take(a, ts) : NULL;
        bt->bsum[i] = p->L[i].kind == CN_L_LSTM ? take(a, 4 * (size_t)p->L[i].out) : NULL;
        int H = p->L[i].out;
        bt->whh_pf[i] = p->L[i].kind == CN_L_LSTM ? take(a, cn_nn_packed_size(4 * H, H)) : NULL;
        bt->whh_pb[i] = p->L[i].kind == CN_L_LSTM ? take(a, cn_nn_packed_size(H, 4 * H)) : NULL;
        int wi = p->L[i].kind == CN_L_LSTM && !p->L[i].onehot, In = p->L[i].in;
        bt->wih_pf[i] = wi ? take(a, cn_nn_packed_size(4 * H, In)) : NULL;
        bt->wih_pb[i] = wi ? take(a, cn_nn_packed_size(In, 4 * H)) : NULL;
    }
    bt->logits = take(a, (size_t)bt->B * T * V);
    for (int s = 0; s < bt->nsh; s++) {
        shard *sh = &bt->sh[s];
        size_t rows = (size_t)T * sh->B;
        sh->tok = (int *)take(a, rows);
        sh->tgt = (int *)take(a, rows);
        for (int i = 0; i < p->n; i++) {
            const cn_nn_layer *L = &p->L[i];
            layer_act *la = &sh->la[i];
            memset(la, 0, sizeof *la);
            int last = i == p->n - 1;
            size_t r = last && !bt->all ? (size_t)sh->B : rows;
            la->y = take(a, r * L->out);
            int H = L->out;
            switch (L->kind) {
            case CN_L_LSTM:
                la->G = take(a, rows * 4 * H); la->c = take(a, rows * H); la->tc = take(a, rows * H);
                break;
            case CN_L_GRU:
                la->G = take(a, rows * 3 * H); la->HN = take(a, rows * H); la->DGH = take(a, rows * 3 * H);
                break;
            case CN_L_BATCHNORM:
                la->xhat = take(a, rows * H); la->mean = take(a, H); la->var = take(a, H); la->invstd = take(a, H);
                break;
            case CN_L_DROPOUT: la->mask = take(a, rows * H); break;
            default: break;
            }
            size_t ts = table_size(L);
            la->gtab = ts ? take(a, ts) : NULL;
        }
        sh->d0 = take(a, rows * maxw);
        sh->d1 = take(a, rows * maxw);
        sh->scratch = take(a, (size_t)sh->B * maxs);
        sh->pack = take(a, cn_nn_gemm_tn_scratch(maxw));
        sh->dz = take(a, (bt->all ? rows : (size_t)sh->B) * V);
    }
}

cn_batch *cn_batch_new_threads(cn_model *m, int B, int T, int loss_all_steps, int threads) {
    if (!m || B < 1 || T < 1 || (size_t)B * T > 100000000u) return NULL;
    cn_batch *bt = calloc(1, sizeof *bt);
    if (!bt) return NULL;
    bt->m = m; bt->B = B; bt->T = T; bt->all = loss_all_steps ? 1 : 0;
    if (cn_nn_plan_make(&m->spec, m->vocab, &bt->p)) { free(bt); return NULL; }
    bt->nsh = threads >= 2 && B >= 2 ? 2 : 1;
    for (int s = 0; s < bt->nsh; s++) {
        bt->sh[s].bt = bt; bt->sh[s].idx = s;
        bt->sh[s].B = B / bt->nsh + (s < B % bt->nsh);
        bt->sh[s].b0 = s ? bt->sh[0].B : 0;
    }
    bump a = { NULL, 0 };
    plan_memory(bt, &a);
    size_t nact = a.used;
    bt->act = aligned_alloc(64, nact * sizeof(float));
    size_t gsz = (m->n_params + CN_NN_ALIGN - 1) / CN_NN_ALIGN * CN_NN_ALIGN;
    bt->grads = aligned_alloc(64, gsz * bt->nsh * sizeof(float));
    if (!bt->act || !bt->grads) { free(bt->act); free(bt->grads); free(bt); return NULL; }
    memset(bt->act, 0, nact * sizeof(float));
    memset(bt->grads, 0, gsz * bt->nsh * sizeof(float));
    a.base = bt->act; a.used = 0;
    plan_memory(bt, &a);
    for (int s = 0; s < bt->nsh; s++) bt->sh[s].grads = bt->grads + gsz * s;
    /* two shards each drive their own single-threaded BLAS: a second BLAS thread pool on
     * top would oversubscribe the cores */
    if (bt->nsh > 1) openblas_set_num_threads(1);
    return bt;
}

cn_batch *cn_batch_new(cn_model *m, int B, int T, int loss_all_steps) {
    return cn_batch_new_threads(m, B, T, loss_all_steps, 1);
}

void cn_batch_free(cn_batch *b) {
    if (!b) return;
    free(b->act); free(b->grads); free(b);
}

float *cn_batch_grads(cn_batch *b) { return b->grads; }
void cn_batch_zero_grads(cn_batch *b) { memset(b->grads, 0, b->m->n_params * sizeof(float)); }
int cn_batch_correct(const cn_batch *b) {
    int n = 0;
    for (int s = 0; s < b->nsh; s++) n += b->sh[s].correct;
    return n;
}
int cn_batch_counted(const cn_batch *b) { return b->counted; }
void cn_batch_set_part(cn_batch *b, int row_base, int denom) { b->row_base = row_base; b->denom = denom; }
double cn_batch_loss(const cn_batch *b) {
    double loss = 0;
    for (int s = 0; s < b->nsh; s++) loss += b->sh[s].loss;
    return b->counted ? loss / b->counted : 0.0;
}
const float *cn_batch_logits(const cn_batch *b) { return b->logits; }

/* Builds the weight tables from the current params (they change after every update). */
static void build_tables(cn_batch *bt) {
    const cn_model *m = bt->m;
    for (int i = 0; i < bt->p.n; i++) {
        const cn_nn_layer *L = &bt->p.L[i];
        if (L->kind == CN_L_LSTM) {
            const float *bi = cn_nn_t(m, m->params, L, CN_LSTM_B_IH), *bh = cn_nn_t(m, m->params, L, CN_LSTM_B_HH);
            for (int j = 0; j < 4 * L->out; j++) bt->bsum[i][j] = bi[j] + bh[j];
            const float *whh = cn_nn_t(m, m->params, L, CN_LSTM_W_HH);
            cn_nn_pack_nt(bt->whh_pf[i], whh, 4 * L->out, L->out);
            cn_nn_pack_nn(bt->whh_pb[i], whh, 4 * L->out, L->out);
            if (bt->wih_pf[i]) {
                const float *wih = cn_nn_t(m, m->params, L, CN_LSTM_W_IH);
                cn_nn_pack_nt(bt->wih_pf[i], wih, 4 * L->out, L->in);
                cn_nn_pack_nn(bt->wih_pb[i], wih, 4 * L->out, L->in);
            }
        }
        float *tab = bt->tab[i];
        if (!tab) continue;
        const float *W = cn_nn_t(m, m->params, L, CN_MAIN_W);
        if (L->kind == CN_L_CONV1D) cn_conv1d_table(tab, W, L->out, L->in, L->kernel, L->onehot);
        else cn_nn_gather_table(tab, W, cn_nn_rows(L), L->in);   /* one-hot dense / LSTM / GRU */
    }
}

/* The weight a layer's kernels read: its table if it has one, else the tensor itself (a conv
 * with K = 1 on activations is [F][Cin][1], already the [K][F][Cin] layout). */
static const float *layer_w(const cn_batch *bt, int i) {
    if (bt->tab[i]) return bt->tab[i];
    return cn_nn_t(bt->m, bt->m->params, &bt->p.L[i], CN_MAIN_W);
}

static void shard_forward(shard *sh) {
    cn_batch *bt = sh->bt;
    const cn_model *m = bt->m;
    const cn_nn_plan *p = &bt->p;
    int T = bt->T, B = sh->B, V = p->V;
    int rows = T * B;
    for (int i = 0; i < p->n; i++) {
        const cn_nn_layer *L = &p->L[i];
        layer_act *la = &sh->la[i];
        const float *x = i ? sh->la[i - 1].y : NULL;
        const int *tok = L->onehot ? sh->tok : NULL;
        const float *w = layer_w(bt, i);
        float *P = m->params;
        if (i == p->n - 1) {   /* the output layer: all steps, or the last step only */
            const float *xin = bt->all ? x : x + (size_t)(T - 1) * B * L->in;
            int r = bt->all ? rows : B;
            cn_dense_forward(la->y, xin, NULL, w, cn_nn_t(m, P, L, CN_DENSE_B), r, L->in, V, 0);
            break;
        }
        switch (L->kind) {
        case CN_L_EMBED: cn_embed_forward(la->y, tok, w, rows, L->out); break;
        case CN_L_DENSE: cn_dense_forward(la->y, x, tok, w, cn_nn_t(m, P, L, CN_DENSE_B), rows, L->in, L->out, L->relu); break;
        case CN_L_CONV1D:
            cn_conv1d_forward(la->y, x, tok, w, cn_nn_t(m, P, L, CN_CONV_B), T, B, L->in, L->out, L->kernel);
            break;
        case CN_L_LSTM:
            cn_lstm_forward(la->y, la->c, la->tc, la->G, x, tok, tok ? w : bt->wih_pf[i], bt->whh_pf[i], bt->bsum[i], T, B, L->in, L->out);
            break;
        case CN_L_GRU:
            cn_gru_forward(la->y, la->G, la->HN, sh->scratch, x, tok, w, cn_nn_t(m, P, L, CN_GRU_W_HH),
                           cn_nn_t(m, P, L, CN_GRU_B_IH), cn_nn_t(m, P, L, CN_GRU_B_HH), T, B, L->in, L->out);
            break;
        case CN_L_BATCHNORM:
            cn_bn_forward(la->y, la->xhat, la->mean, la->var, la->invstd, x, cn_nn_t(m, P, L, CN_BN_GAMMA),
                          cn_nn_t(m, P, L, CN_BN_BETA), cn_nn_t(m, P, L, CN_BN_MEAN), cn_nn_t(m, P, L, CN_BN_VAR), rows, L->out, bt->train);
            break;
        case CN_L_DROPOUT:
            /* a stream for each (window, step): the masks do not depend on how the batch is cut
             * into shards or ranks */
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++) {
                    uint64_t row = (uint64_t)(bt->row_base + sh->b0 + b);
                    uint64_t rng = cn_rng_seed(bt->seed * 0x100000001B3ull ^ cn_rng_seed((row << 24) ^ ((uint64_t)t << 6) ^ (uint64_t)i));
                    size_t off = ((size_t)t * B + b) * L->out;
                    cn_dropout_forward(la->y + off, la->mask + off, x + off, (size_t)L->out, L->rate, bt->train, &rng);
                }
            break;
        }
    }
    /* softmax cross-entropy; d loss/d logits scaled by the batch's whole count */
    const layer_act *out = &sh->la[p->n - 1];
    int r_out = bt->all ? rows : B;
    int denom = bt->denom > 0 ? bt->denom : bt->counted;
    float scale = denom ? 1.0f / (float)denom : 0.0f;
    sh->loss = 0; sh->correct = 0;
    for (int r = 0; r < r_out; r++) {
        int t = bt->all ? r / B : T - 1, b = bt->all ? r % B : r;
        const float *z = out->y + (size_t)r * V;
        float *dz = sh->dz + (size_t)r * V;
        memcpy(bt->logits + ((size_t)(sh->b0 + b) * T + t) * V, z, (size_t)V * sizeof(float));
        int tg = sh->tgt[t * B + b];
        if (tg < 0 || tg >= V) { memset(dz, 0, (size_t)V * sizeof(float)); continue; }
        float lse = cn_nn_softmax_row(dz, z, V);
        sh->loss += (double)lse - z[tg];
        int am = 0;
        for (int v = 1; v < V; v++) if (z[v] > z[am]) am = v;
        sh->correct += am == tg;
        dz[tg] -= 1.0f;
        for (int v = 0; v < V; v++) dz[v] *= scale;
    }
}

/* Adds a table-layout gradient into the tensor layout (the inverse of build_tables). */
static void table_grad_add(const cn_batch *bt, int i, float *grads, const float *gtab) {
    const cn_nn_layer *L = &bt->p.L[i];
    float *dW = cn_nn_t(bt->m, grads, L, CN_MAIN_W);
    if (L->kind == CN_L_CONV1D) cn_conv1d_table_grad_add(dW, gtab, L->out, L->in, L->kernel, L->onehot);
    else cn_nn_gather_grad_add(dW, gtab, cn_nn_rows(L), L->in);
}

static void shard_backward(shard *sh) {
    cn_batch *bt = sh->bt;
    const cn_model *m = bt->m;
    const cn_nn_plan *p = &bt->p;
    int T = bt->T, B = sh->B, V = p->V, rows = T * B;
    float *P = m->params, *Gr = sh->grads;
    if (sh->idx) memset(Gr, 0, m->n_params * sizeof(float));
    float *cur = sh->d0, *nxt = sh->d1;
    /* the output layer */
    {
        const cn_nn_layer *L = &p->L[p->n - 1];
        const float *x = sh->la[p->n - 2].y;
        if (bt->all) {
            cn_dense_backward(cur, cn_nn_t(m, Gr, L, CN_DENSE_W), cn_nn_t(m, Gr, L, CN_DENSE_B), sh->dz,
                              sh->la[p->n - 1].y, x, NULL, cn_nn_t(m, P, L, CN_DENSE_W), rows, L->in, V, 0);
        } else {
            size_t last = (size_t)(T - 1) * B * L->in;
            memset(cur, 0, last * sizeof(float));
            cn_dense_backward(cur + last, cn_nn_t(m, Gr, L, CN_DENSE_W), cn_nn_t(m, Gr, L, CN_DENSE_B), sh->dz,
                              sh->la[p->n - 1].y, x + last, NULL, cn_nn_t(m, P, L, CN_DENSE_W), B, L->in, V, 0);
        }
    }
    for (int i = p->n - 2; i >= 0; i--) {
        const cn_nn_layer *L = &p->L[i];
        layer_act *la = &sh->la[i];
        const float *x = i ? sh->la[i - 1].y : NULL;
        const int *tok = L->onehot ? sh->tok : NULL;
        const float *w = layer_w(bt, i);
        float *dx = i ? nxt : NULL;
        float *gw = la->gtab ? la->gtab : cn_nn_t(m, Gr, L, CN_MAIN_W);
        if (la->gtab) memset(la->gtab, 0, table_size(L) * sizeof(float));
        switch (L->kind) {
        case CN_L_EMBED: cn_embed_backward(gw, cur, tok, rows, L->out); break;
        case CN_L_DENSE:
            cn_dense_backward(dx, gw, cn_nn_t(m, Gr, L, CN_DENSE_B), cur, la->y, x, tok, w, rows, L->in, L->out, L->relu);
            break;
        case CN_L_CONV1D:
            cn_conv1d_backward(dx, gw, cn_nn_t(m, Gr, L, CN_CONV_B), cur, la->y, x, tok, w, T, B, L->in, L->out, L->kernel);
            break;
        case CN_L_LSTM:
            cn_lstm_backward(dx, gw, cn_nn_t(m, Gr, L, CN_LSTM_W_HH), cn_nn_t(m, Gr, L, CN_LSTM_B_IH),
                             cn_nn_t(m, Gr, L, CN_LSTM_B_HH), cur, la->G,
                             la->y, la->c, la->tc, x, tok, tok ? w : bt->wih_pb[i], bt->whh_pb[i], sh->scratch, sh->pack, T, B,
                             L->in, L->out);
            break;
        case CN_L_GRU:
            cn_gru_backward(dx, gw, cn_nn_t(m, Gr, L, CN_GRU_W_HH), cn_nn_t(m, Gr, L, CN_GRU_B_IH),
                            cn_nn_t(m, Gr, L, CN_GRU_B_HH), cur, la->G, la->DGH, la->HN, la->y, x, tok, w,
                            cn_nn_t(m, P, L, CN_GRU_W_HH), T, B, L->in, L->out);
            break;
        case CN_L_BATCHNORM:
            cn_bn_backward(dx, cn_nn_t(m, Gr, L, CN_BN_GAMMA), cn_nn_t(m, Gr, L, CN_BN_BETA), cur, la->xhat,
                           la->invstd, cn_nn_t(m, P, L, CN_BN_GAMMA), sh->scratch, rows, L->out, bt->train);
            break;
        case CN_L_DROPOUT:
            if (dx) cn_dropout_backward(dx, cur, la->mask, (size_t)rows * L->out, bt->train);
            break;
        }
        if (la->gtab) table_grad_add(bt, i, Gr, la->gtab);
        float *t = cur; cur = nxt; nxt = t;
    }
}

static void *shard_run(void *arg) {
    shard *sh = arg;
    if (sh->job == 0) shard_forward(sh);
    else shard_backward(sh);
    return NULL;
}

/* Runs every shard's job: shard 0 on the calling thread, shard 1 on a helper thread. */
static void run_shards(cn_batch *bt, int job) {
    pthread_t th;
    int spawned = 0;
    for (int s = 0; s < bt->nsh; s++) bt->sh[s].job = job;
    if (bt->nsh > 1) spawned = pthread_create(&th, NULL, shard_run, &bt->sh[1]) == 0;
    shard_run(&bt->sh[0]);
    if (bt->nsh > 1) {
        if (spawned) pthread_join(th, NULL);
        else shard_run(&bt->sh[1]);   /* no thread to be had: do it here */
    }
}

float cn_batch_forward(cn_batch *bt, const int *tokens, const int *targets, int train, uint64_t seed) {
    int T = bt->T, V = bt->p.V;
    for (size_t i = 0; i < (size_t)bt->B * T; i++)
        if (tokens[i] < 0 || tokens[i] >= V) return NAN;
    bt->train = train ? 1 : 0;
    bt->seed = seed;
    bt->counted = 0;
    for (int s = 0; s < bt->nsh; s++) {
        shard *sh = &bt->sh[s];
        for (int b = 0; b < sh->B; b++)
            for (int t = 0; t < T; t++) {
                size_t src = (size_t)(sh->b0 + b) * T + t;
                sh->tok[t * sh->B + b] = tokens[src];
                int tg = targets ? targets[src] : -1;
                if (!bt->all && t != T - 1) tg = -1;
                if (tg >= V) tg = -1;
                sh->tgt[t * sh->B + b] = tg;
                bt->counted += tg >= 0;
            }
    }
    build_tables(bt);
    run_shards(bt, 0);
    /* BatchNorm running statistics, as torch: momentum 0.1, unbiased variance; shards averaged */
    if (bt->train) {
        for (int i = 0; i < bt->p.n - 1; i++) {
            const cn_nn_layer *L = &bt->p.L[i];
            if (L->kind != CN_L_BATCHNORM) continue;
            float *rm = cn_nn_t(bt->m, bt->m->params, L, CN_BN_MEAN), *rv = cn_nn_t(bt->m, bt->m->params, L, CN_BN_VAR);
            for (int j = 0; j < L->out; j++) {
                double mu = 0, var = 0;
                for (int s = 0; s < bt->nsh; s++) {
                    double n = (double)T * bt->sh[s].B;
                    mu += bt->sh[s].la[i].mean[j];
                    var += bt->sh[s].la[i].var[j] * (n > 1 ? n / (n - 1) : 1.0);
                }
                rm[j] = 0.9f * rm[j] + 0.1f * (float)(mu / bt->nsh);
                rv[j] = 0.9f * rv[j] + 0.1f * (float)(var / bt->nsh);
            }
        }
    }
    return (float)cn_batch_loss(bt);
}

void cn_batch_backward(cn_batch *bt) {
    run_shards(bt, 1);
    for (int s = 1; s < bt->nsh; s++) {
        const float *g = bt->sh[s].grads;
        for (size_t i = 0; i < bt->m->n_params; i++) bt->grads[i] += g[i];
    }
}
