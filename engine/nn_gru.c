/* nn_gru.c: the GRU, PyTorch gate order r,z,n, n = tanh(W_in x + b_in + r*(W_hn h + b_hn))
 * (Keras reset_after=True; PyTorch's nn.GRU, all four tensors U(+-1/sqrt(H)) at init). The
 * batched forward and the streaming step run the same cell (cn_nn_gru_cell, nn_math.c). */
#include <stdio.h>
#include <string.h>
#include "nn_internal.h"
#include "nn_kernels.h"
#include "nn_stream_internal.h"

/* ---- batched ----
 * G [T][B][3H] holds activated r, z, n; HN [T][B][H] holds W_hn h + b_hn; gh is scratch [B][3H]. */
void cn_gru_forward(float *h, float *G, float *HN, float *gh, const float *x, const int *tok,
                    const float *wih, const float *whh, const float *bih, const float *bhh,
                    int T, int B, int In, int H) {
    int G3 = 3 * H;
    size_t rows = (size_t)T * B;
    if (tok) cn_embed_forward(G, tok, wih, (int)rows, G3);
    else gemm_nt((int)rows, G3, In, x, In, wih, In, 0.0f, G, G3);
    for (size_t r = 0; r < rows; r++) {
        float *g = G + r * G3;
        for (int j = 0; j < G3; j++) g[j] += bih[j];
    }
    for (int t = 0; t < T; t++) {
        for (int b = 0; b < B; b++) memcpy(gh + (size_t)b * G3, bhh, (size_t)G3 * sizeof(float));
        if (t > 0) gemm_nt(B, G3, H, h + (size_t)(t - 1) * B * H, H, whh, H, 1.0f, gh, G3);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            const float *ghb = gh + (size_t)b * G3;
            memcpy(HN + r * H, ghb + 2 * H, (size_t)H * sizeof(float));
            cn_nn_gru_cell(G + r * G3, ghb, t > 0 ? h + (r - B) * H : NULL, h + r * H, H);
        }
    }
}

/* dh as for the LSTM. G is overwritten by dGx (input-side pre-activation grads); DGH [T][B][3H]
 * receives the hidden-side grads. */
void cn_gru_backward(float *dx, float *dwih, float *dwhh, float *dbih, float *dbhh, float *dh, float *G,
                     float *DGH, const float *HN, const float *h, const float *x, const int *tok,
                     const float *wih, const float *whh, int T, int B, int In, int H) {
    int G3 = 3 * H;
    for (int t = T - 1; t >= 0; t--) {
        float *dht = dh + (size_t)t * B * H;
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            float *g = G + r * G3, *dg = DGH + r * G3;
            const float *dhb = dht + (size_t)b * H, *hn = HN + r * H;
            const float *hp = t > 0 ? h + (r - B) * H : NULL;
            float *dhp = t > 0 ? dh + (r - B) * H : NULL;
            for (int j = 0; j < H; j++) {
                float rr = g[j], z = g[H + j], n = g[2 * H + j];
                float hprev = hp ? hp[j] : 0.0f;
                float dn = dhb[j] * (1.0f - z) * (1.0f - n * n);
                float dz = dhb[j] * (hprev - n) * z * (1.0f - z);
                float dr = dn * hn[j] * rr * (1.0f - rr);
                if (dhp) dhp[j] += dhb[j] * z;
                g[j] = dr; g[H + j] = dz; g[2 * H + j] = dn;
                dg[j] = dr; dg[H + j] = dz; dg[2 * H + j] = dn * rr;
            }
        }
        if (t > 0) gemm_nn(B, H, G3, DGH + (size_t)t * B * G3, G3, whh, H, 1.0f, dh + (size_t)(t - 1) * B * H, H);
    }
    size_t rows = (size_t)T * B;
    colsum_add(dbih, G, (int)rows, G3);
    colsum_add(dbhh, DGH, (int)rows, G3);
    gemm_tn(G3, H, (T - 1) * B, DGH + (size_t)B * G3, G3, h, H, 1.0f, dwhh, H);
    if (tok) { cn_embed_backward(dwih, G, tok, (int)rows, G3); return; }
    gemm_tn(G3, In, (int)rows, G, G3, x, In, 1.0f, dwih, In);
    if (dx) gemm_nn((int)rows, In, G3, G, G3, wih, In, 0.0f, dx, In);
}

/* ---- batched: the path of nn_batch.c; scratch holds a step's W_hh h + b_hh, [B][3H] ---- */
static void batch_acts(const cn_nn_layer *L, cn_nn_arena *a, cn_nn_act *la, size_t rows) {
    size_t H = (size_t)L->out;
    la->G = cn_nn_take(a, rows * 3 * H); la->HN = cn_nn_take(a, rows * H); la->DGH = cn_nn_take(a, rows * 3 * H);
}
static void batch_forward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    const cn_nn_act *a = c->a;
    float *P = c->m->params;
    cn_gru_forward(a->y, a->G, a->HN, c->scratch, c->x, c->tok, c->w, cn_nn_t(c->m, P, L, CN_GRU_W_HH),
                   cn_nn_t(c->m, P, L, CN_GRU_B_IH), cn_nn_t(c->m, P, L, CN_GRU_B_HH), c->T, c->B, L->in, L->out);
}
static void batch_backward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    const cn_nn_act *a = c->a;
    float *Gr = c->grads;
    cn_gru_backward(c->dx, c->gw, cn_nn_t(c->m, Gr, L, CN_GRU_W_HH), cn_nn_t(c->m, Gr, L, CN_GRU_B_IH),
                    cn_nn_t(c->m, Gr, L, CN_GRU_B_HH), c->dy, a->G, a->DGH, a->HN, a->y, c->x, c->tok, c->w,
                    cn_nn_t(c->m, c->m->params, L, CN_GRU_W_HH), c->T, c->B, L->in, L->out);
}
static void spec_word(const cn_layer_spec *s, char *buf, size_t len) { snprintf(buf, len, "gru:%d", s->units); }

/* ---- streaming ---- */
static void stream_plan(const cn_nn_layer *L, cn_stream_layer *sl, cn_weight_format wf, cn_bump *w, cn_bump *st) {
    cn_gru_state *c = &sl->gru;
    int In = L->in, H = L->out, R = 3 * H;
    if (L->onehot) c->tab = cn_bump_take(w, (size_t)In * R * sizeof(float));
    else cn_mat_plan(w, &c->W_ih, wf, R, In);
    cn_mat_plan(w, &c->W_hh, wf, R, H);
    c->b_ih = cn_bump_take(w, (size_t)R * 4); c->b_hh = cn_bump_take(w, (size_t)R * 4);
    c->gx = cn_bump_take(st, (size_t)R * 4); c->gh = cn_bump_take(st, (size_t)R * 4);
}
static void stream_fill(const cn_nn_layer *L, cn_stream_layer *sl, const cn_model *m, float *row) {
    (void)row;
    cn_gru_state *c = &sl->gru;
    int In = L->in, H = L->out, R = 3 * H;
    const float *wih = cn_nn_t(m, m->params, L, CN_GRU_W_IH), *whh = cn_nn_t(m, m->params, L, CN_GRU_W_HH);
    if (L->onehot) cn_nn_gather_table(c->tab, wih, R, In);
    for (int r = 0; r < R; r++) {
        if (!L->onehot) cn_mat_set_row(&c->W_ih, r, wih + (size_t)r * In);
        cn_mat_set_row(&c->W_hh, r, whh + (size_t)r * H);
    }
    memcpy(c->b_ih, cn_nn_t(m, m->params, L, CN_GRU_B_IH), (size_t)R * 4);
    memcpy(c->b_hh, cn_nn_t(m, m->params, L, CN_GRU_B_HH), (size_t)R * 4);
}
static void stream_step(const cn_nn_layer *L, cn_stream_layer *sl, const float *x, int tok, int simd) {
    cn_gru_state *c = &sl->gru;
    int R = 3 * L->out;
    float *gx = c->gx, *gh = c->gh, *h = sl->y;
    if (L->onehot) {
        if (tok >= 0) memcpy(gx, c->tab + (size_t)tok * R, (size_t)R * 4);
        else memset(gx, 0, (size_t)R * 4);
    } else {
        cn_mv(&c->W_ih, x, gx, simd);
    }
    cn_mv(&c->W_hh, h, gh, simd);
    for (int r = 0; r < R; r++) { gx[r] += c->b_ih[r]; gh[r] += c->b_hh[r]; }
    cn_nn_gru_cell(gx, gh, h, h, L->out);
}

/* ---- tensors: weight_ih, weight_hh, bias_ih, bias_hh, as the LSTM's (nn_model.c) ---- */
const cn_nn_kind cn_nn_gru = {
    .name = "gru", .nt = CN_GRU_NT, .gates = 3, .same_width = 0,
    .tensors = cn_nn_recurrent_tensors, .init = cn_nn_recurrent_init,
    .stream_plan = stream_plan, .stream_fill = stream_fill, .stream_reset = NULL, .stream_step = stream_step,
    .spec_word = spec_word, .scratch = 3,
    .table_size = cn_nn_gather_size, .table = cn_nn_gather_fill, .table_grad_add = cn_nn_gather_grad,
    .batch_packs = NULL, .batch_pack = NULL, .batch_acts = batch_acts,
    .batch_forward = batch_forward, .batch_backward = batch_backward, .batch_update = NULL,
};
