/* nn_batch.c: training-time forward and backward over B windows of T tokens. The batch is
 * cut into shards (1 or 2) that run the whole stack on their rows in their own thread with
 * single-threaded BLAS, and their gradients are summed: one threading layer, and the
 * element-wise gate math runs in parallel too. One allocation holds all activations (every
 * shard, the shared weight tables and the logits); one holds the gradients. What a layer
 * does here is its kind's (the batch ops of cn_nn_kind, in nn_embed.c ... nn_dropout.c);
 * this file walks the stack, and keeps the output layer and the loss. */
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
    struct cn_batch *bt;
    int idx, B, b0;                   /* B rows of the batch starting at b0 */
    int *tok, *tgt;                   /* time-major [T][B] */
    cn_nn_act la[NL];
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
    cn_nn_packs pk[NL];               /* the kinds' own repacked weights (LSTM) */
    float *logits;                    /* [B][T][V] */
    float *act, *grads;
    int counted, train;
    int denom;                        /* > 0: the loss is a mean over this many targets (data parallel) */
    int row_base;                     /* row 0's index in the global batch (dropout streams) */
    uint64_t seed;
};

/* ---- memory plan: the same walk sizes the allocation and then hands out pointers ---- */
/* Whether the layer keeps its weight in a table of another layout, and its size. */
static size_t table_size(const cn_nn_layer *L) {
    return L->ops->table_size ? L->ops->table_size(L) : 0;
}

static void plan_memory(cn_batch *bt, cn_nn_arena *a) {
    const cn_nn_plan *p = &bt->p;
    int T = bt->T, V = p->V;
    int maxw = 1, maxs = 1;
    for (int i = 0; i < p->n; i++) {
        const cn_nn_layer *L = &p->L[i];
        if (L->in > maxw) maxw = L->in;
        if (L->out > maxw) maxw = L->out;
        int s = L->ops->scratch * L->out;
        if (s > maxs) maxs = s;
    }
    for (int i = 0; i < p->n; i++) {
        size_t ts = table_size(&p->L[i]);
        bt->tab[i] = ts ? cn_nn_take(a, ts) : NULL;
        memset(&bt->pk[i], 0, sizeof bt->pk[i]);
        if (p->L[i].ops->batch_packs) p->L[i].ops->batch_packs(&p->L[i], a, &bt->pk[i]);
    }
    bt->logits = cn_nn_take(a, (size_t)bt->B * T * V);
    for (int s = 0; s < bt->nsh; s++) {
        shard *sh = &bt->sh[s];
        size_t rows = (size_t)T * sh->B;
        sh->tok = (int *)cn_nn_take(a, rows);
        sh->tgt = (int *)cn_nn_take(a, rows);
        for (int i = 0; i < p->n; i++) {
            const cn_nn_layer *L = &p->L[i];
            cn_nn_act *la = &sh->la[i];
            memset(la, 0, sizeof *la);
            int last = i == p->n - 1;
            size_t r = last && !bt->all ? (size_t)sh->B : rows;
            la->y = cn_nn_take(a, r * L->out);
            if (L->ops->batch_acts) L->ops->batch_acts(L, a, la, rows);
            size_t ts = table_size(L);
            la->gtab = ts ? cn_nn_take(a, ts) : NULL;
        }
        sh->d0 = cn_nn_take(a, rows * maxw);
        sh->d1 = cn_nn_take(a, rows * maxw);
        sh->scratch = cn_nn_take(a, (size_t)sh->B * maxs);
        sh->pack = cn_nn_take(a, cn_nn_gemm_tn_scratch(maxw));
        sh->dz = cn_nn_take(a, (bt->all ? rows : (size_t)sh->B) * V);
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
    cn_nn_arena a = { NULL, 0 };
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
        if (L->ops->batch_pack) L->ops->batch_pack(L, m, &bt->pk[i]);
        float *tab = bt->tab[i];
        if (!tab) continue;
        L->ops->table(L, tab, cn_nn_t(m, m->params, L, CN_MAIN_W));
    }
}

/* The weight a layer's kernels read: its table if it has one, else the tensor itself (a conv
 * with K = 1 on activations is [F][Cin][1], already the [K][F][Cin] layout). */
static const float *layer_w(const cn_batch *bt, int i) {
    if (bt->tab[i]) return bt->tab[i];
    return cn_nn_t(bt->m, bt->m->params, &bt->p.L[i], CN_MAIN_W);
}

/* Layer i of the shard as its kind's batch ops see it; the backward's fields are the caller's. */
static cn_nn_batch_ctx layer_ctx(shard *sh, int i) {
    const cn_batch *bt = sh->bt;
    const cn_nn_layer *L = &bt->p.L[i];
    cn_nn_batch_ctx c = {
        .m = bt->m, .L = L, .i = i, .T = bt->T, .B = sh->B, .train = bt->train,
        .tok = L->onehot ? sh->tok : NULL, .x = i ? sh->la[i - 1].y : NULL, .w = layer_w(bt, i),
        .pk = &bt->pk[i], .a = &sh->la[i], .scratch = sh->scratch, .pack = sh->pack,
        .row0 = (uint64_t)(bt->row_base + sh->b0), .seed = bt->seed,
    };
    return c;
}

static void shard_forward(shard *sh) {
    cn_batch *bt = sh->bt;
    const cn_model *m = bt->m;
    const cn_nn_plan *p = &bt->p;
    int T = bt->T, B = sh->B, V = p->V;
    int rows = T * B;
    for (int i = 0; i < p->n - 1; i++) {
        cn_nn_batch_ctx c = layer_ctx(sh, i);
        p->L[i].ops->batch_forward(&c);
    }
    {   /* the output layer: all steps, or the last step only */
        const cn_nn_layer *L = &p->L[p->n - 1];
        const float *x = sh->la[p->n - 2].y;
        const float *xin = bt->all ? x : x + (size_t)(T - 1) * B * L->in;
        int r = bt->all ? rows : B;
        cn_dense_forward(sh->la[p->n - 1].y, xin, NULL, layer_w(bt, p->n - 1), cn_nn_t(m, m->params, L, CN_DENSE_B),
                         r, L->in, V, 0);
    }
    /* softmax cross-entropy; d loss/d logits scaled by the batch's whole count */
    const cn_nn_act *out = &sh->la[p->n - 1];
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
        cn_nn_batch_ctx c = layer_ctx(sh, i);
        cn_nn_act *la = c.a;
        c.grads = Gr; c.dy = cur; c.dx = i ? nxt : NULL;
        c.gw = la->gtab ? la->gtab : cn_nn_t(m, Gr, c.L, CN_MAIN_W);
        if (la->gtab) memset(la->gtab, 0, table_size(c.L) * sizeof(float));
        c.L->ops->batch_backward(&c);
        /* a table-layout gradient into the tensor's (the inverse of build_tables) */
        if (la->gtab) c.L->ops->table_grad_add(c.L, cn_nn_t(m, Gr, c.L, CN_MAIN_W), la->gtab);
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
    /* what a kind keeps across batches (BatchNorm's running statistics), from every shard */
    if (bt->train) {
        for (int i = 0; i < bt->p.n - 1; i++) {
            const cn_nn_layer *L = &bt->p.L[i];
            if (!L->ops->batch_update) continue;
            const cn_nn_act *la[MAX_SHARDS];
            size_t rows[MAX_SHARDS];
            for (int s = 0; s < bt->nsh; s++) { la[s] = &bt->sh[s].la[i]; rows[s] = (size_t)T * bt->sh[s].B; }
            L->ops->batch_update(L, bt->m, la, rows, bt->nsh);
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
