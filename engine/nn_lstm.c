/* nn_lstm.c: the LSTM, PyTorch/Keras gate order i,f,g,o (PyTorch's nn.LSTM, all four tensors
 * U(+-1/sqrt(H)) at init). Batched, W_hh (and W_ih on activations) come packed (nn_gemm.c);
 * streaming, W_ih and W_hh are one matrix over [x;h] and the two biases one sum, so a step is
 * one matrix-vector product and the cell (nn_math.c) that the batched forward runs too. */
#include <stdio.h>
#include <string.h>
#include "nn_internal.h"
#include "nn_stream_internal.h"

/* Column sums added into two bias gradients (b_ih and b_hh get identical ones): one pass over
 * d, in blocks of 256 columns held in a local accumulator. */
static void colsum_add2(float *db1, float *db2, const float *d, int rows, int n) {
    float acc[256];
    for (int j0 = 0; j0 < n; j0 += 256) {
        int w = n - j0 < 256 ? n - j0 : 256;
        for (int j = 0; j < w; j++) acc[j] = 0.0f;
        for (int r = 0; r < rows; r++) {
            const float *row = d + (size_t)r * n + j0;
            for (int j = 0; j < w; j++) acc[j] += row[j];
        }
        for (int j = 0; j < w; j++) { db1[j0 + j] += acc[j]; db2[j0 + j] += acc[j]; }
    }
}

/* ---- LSTM (PyTorch gates i,f,g,o) ----
 * G [T][B][4H] holds the activated gates; c and tc = tanh(c) are kept for the backward.
 * bsum = b_ih + b_hh. W_hh comes packed (nn_gemm.c): the per-step products then skip
 * OpenBLAS's repacking of the whole weight at every step. With tok, wih is the gather table
 * [V][4H]; otherwise W_ih packed too, by cn_nn_pack_nt(4H, In) for the forward and
 * cn_nn_pack_nn(4H, In) for the backward. */
void cn_lstm_forward(float *h, float *c, float *tc, float *G, const float *x, const int *tok,
                     const float *wih, const float *whh_pf, const float *bsum, int T, int B, int In, int H) {
    int G4 = 4 * H;
    size_t rows = (size_t)T * B;
    if (tok) {
        cn_embed_forward(G, tok, wih, (int)rows, G4);
        for (size_t r = 0; r < rows; r++) {
            float *g = G + r * G4;
            for (int j = 0; j < G4; j++) g[j] += bsum[j];
        }
    } else {
        for (size_t r = 0; r < rows; r++) memcpy(G + r * G4, bsum, (size_t)G4 * sizeof(float));
        cn_nn_gemm_packed((int)rows, G4, In, x, In, wih, G, G4);
    }
    for (int t = 0; t < T; t++) {
        float *Gt = G + (size_t)t * B * G4;
        if (t > 0) cn_nn_gemm_packed(B, G4, H, h + (size_t)(t - 1) * B * H, H, whh_pf, Gt, G4);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            cn_nn_lstm_cell(Gt + (size_t)b * G4, t > 0 ? c + (r - B) * H : NULL, c + r * H, tc + r * H, h + r * H, H);
        }
    }
}

/* dh [T][B][H]: gradient w.r.t. h from above; used as scratch. G is overwritten by dG
 * (pre-activation). dc is scratch [B][H]; pack is scratch of cn_nn_gemm_tn_scratch(max(In, H))
 * floats. dx may be NULL (first layer). */
void cn_lstm_backward(float *dx, float *dwih, float *dwhh, float *dbih, float *dbhh, float *dh, float *G,
                      const float *h, const float *c, const float *tc, const float *x, const int *tok,
                      const float *wih, const float *whh_pb, float *dc, float *pack, int T, int B, int In, int H) {
    int G4 = 4 * H;
    memset(dc, 0, (size_t)B * H * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        float *dht = dh + (size_t)t * B * H;
        if (t < T - 1) cn_nn_gemm_packed(B, H, G4, G + (size_t)(t + 1) * B * G4, G4, whh_pb, dht, H);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            float *g = G + r * G4, *dcb = dc + (size_t)b * H;
            const float *dhb = dht + (size_t)b * H, *tcb = tc + r * H;
            const float *cp = t > 0 ? c + (r - B) * H : NULL;
            for (int j = 0; j < H; j++) {
                float gi = g[j], gf = g[H + j], gg = g[2 * H + j], go = g[3 * H + j];
                float tcj = tcb[j];
                float d = dcb[j] + dhb[j] * go * (1.0f - tcj * tcj);
                float cprev = cp ? cp[j] : 0.0f;
                g[j] = d * gg * gi * (1.0f - gi);
                g[H + j] = d * cprev * gf * (1.0f - gf);
                g[2 * H + j] = d * gi * (1.0f - gg * gg);
                g[3 * H + j] = dhb[j] * tcj * go * (1.0f - go);
                dcb[j] = d * gf;
            }
        }
    }
    size_t rows = (size_t)T * B;
    colsum_add2(dbih, dbhh, G, (int)rows, G4);
    cn_nn_gemm_tn(G4, H, (T - 1) * B, G + (size_t)B * G4, G4, h, H, dwhh, H, pack);
    if (tok) { cn_embed_backward(dwih, G, tok, (int)rows, G4); return; }
    cn_nn_gemm_tn(G4, In, (int)rows, G, G4, x, In, dwih, In, pack);
    if (dx) {
        memset(dx, 0, rows * In * sizeof(float));
        cn_nn_gemm_packed((int)rows, In, G4, G, G4, wih, dx, In);
    }
}

/* ---- batched: the path of nn_batch.c ----
 * Its weights packed once per batch for the recurrent gemms (W_ih only when fed by
 * activations: a one-hot first layer gathers from its table), and the bias summed. */
static void batch_packs(const cn_nn_layer *L, cn_nn_arena *a, cn_nn_packs *pk) {
    int H = L->out, In = L->in;
    pk->bsum = cn_nn_take(a, 4 * (size_t)H);
    pk->whh_pf = cn_nn_take(a, cn_nn_packed_size(4 * H, H));
    pk->whh_pb = cn_nn_take(a, cn_nn_packed_size(H, 4 * H));
    if (L->onehot) return;
    pk->wih_pf = cn_nn_take(a, cn_nn_packed_size(4 * H, In));
    pk->wih_pb = cn_nn_take(a, cn_nn_packed_size(In, 4 * H));
}
static void batch_pack(const cn_nn_layer *L, const cn_model *m, cn_nn_packs *pk) {
    const float *bi = cn_nn_t(m, m->params, L, CN_LSTM_B_IH), *bh = cn_nn_t(m, m->params, L, CN_LSTM_B_HH);
    for (int j = 0; j < 4 * L->out; j++) pk->bsum[j] = bi[j] + bh[j];
    const float *whh = cn_nn_t(m, m->params, L, CN_LSTM_W_HH);
    cn_nn_pack_nt(pk->whh_pf, whh, 4 * L->out, L->out);
    cn_nn_pack_nn(pk->whh_pb, whh, 4 * L->out, L->out);
    if (!pk->wih_pf) return;
    const float *wih = cn_nn_t(m, m->params, L, CN_LSTM_W_IH);
    cn_nn_pack_nt(pk->wih_pf, wih, 4 * L->out, L->in);
    cn_nn_pack_nn(pk->wih_pb, wih, 4 * L->out, L->in);
}
static void batch_acts(const cn_nn_layer *L, cn_nn_arena *a, cn_nn_act *la, size_t rows) {
    size_t H = (size_t)L->out;
    la->G = cn_nn_take(a, rows * 4 * H); la->c = cn_nn_take(a, rows * H); la->tc = cn_nn_take(a, rows * H);
}
static void batch_forward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    const cn_nn_act *a = c->a;
    cn_lstm_forward(a->y, a->c, a->tc, a->G, c->x, c->tok, c->tok ? c->w : c->pk->wih_pf, c->pk->whh_pf, c->pk->bsum,
                    c->T, c->B, L->in, L->out);
}
static void batch_backward(const cn_nn_batch_ctx *c) {
    const cn_nn_layer *L = c->L;
    const cn_nn_act *a = c->a;
    cn_lstm_backward(c->dx, c->gw, cn_nn_t(c->m, c->grads, L, CN_LSTM_W_HH), cn_nn_t(c->m, c->grads, L, CN_LSTM_B_IH),
                     cn_nn_t(c->m, c->grads, L, CN_LSTM_B_HH), c->dy, a->G, a->y, a->c, a->tc, c->x, c->tok,
                     c->tok ? c->w : c->pk->wih_pb, c->pk->whh_pb, c->scratch, c->pack, c->T, c->B, L->in, L->out);
}
static void spec_word(const cn_layer_spec *s, char *buf, size_t len) { snprintf(buf, len, "lstm:%d", s->units); }

/* ---- streaming ---- */
static void stream_plan(const cn_nn_layer *L, cn_stream_layer *sl, cn_weight_format wf, cn_bump *w, cn_bump *st) {
    cn_lstm_state *c = &sl->lstm;
    int In = L->in, H = L->out, R = 4 * H;
    if (L->onehot) c->tab = cn_bump_take(w, (size_t)In * R * sizeof(float));
    cn_mat_plan(w, &c->W, wf, R, L->onehot ? H : In + H);
    if (!L->onehot) c->xin = cn_bump_take(st, CN_PAD16(In + H) * 4u);
    c->b = cn_bump_take(w, (size_t)R * 4);
    c->c = cn_bump_take(st, (size_t)H * 4); c->tc = cn_bump_take(st, (size_t)H * 4);
    c->g = cn_bump_take(st, (size_t)R * 4);
}
static void stream_fill(const cn_nn_layer *L, cn_stream_layer *sl, const cn_model *m, float *row) {
    cn_lstm_state *c = &sl->lstm;
    int In = L->in, H = L->out, R = 4 * H;
    const float *wih = cn_nn_t(m, m->params, L, CN_LSTM_W_IH), *whh = cn_nn_t(m, m->params, L, CN_LSTM_W_HH);
    const float *bi = cn_nn_t(m, m->params, L, CN_LSTM_B_IH), *bh = cn_nn_t(m, m->params, L, CN_LSTM_B_HH);
    if (L->onehot) cn_nn_gather_table(c->tab, wih, R, In);
    for (int r = 0; r < R; r++) {
        int o = 0;
        if (!L->onehot) { memcpy(row, wih + (size_t)r * In, (size_t)In * 4); o = In; }
        memcpy(row + o, whh + (size_t)r * H, (size_t)H * 4);
        cn_mat_set_row(&c->W, r, row);
        c->b[r] = bi[r] + bh[r];
    }
}
static void stream_step(const cn_nn_layer *L, cn_stream_layer *sl, const float *x, int tok, int simd) {
    cn_lstm_state *c = &sl->lstm;
    int In = L->in, H = L->out, R = 4 * H;
    float *g = c->g, *y = sl->y;
    if (L->onehot) {
        cn_mv(&c->W, y, g, simd);               /* y is h, zero-padded */
        if (tok >= 0) {
            const float *t = c->tab + (size_t)tok * R;
            for (int r = 0; r < R; r++) g[r] += t[r];
        }
    } else {
        memcpy(c->xin, x, (size_t)In * 4);
        memcpy(c->xin + In, y, (size_t)H * 4);
        cn_mv(&c->W, c->xin, g, simd);
    }
    for (int r = 0; r < R; r++) g[r] += c->b[r];
    cn_nn_lstm_cell(g, c->c, c->c, c->tc, y, H);
}

/* ---- tensors: weight_ih, weight_hh, bias_ih, bias_hh, as the GRU's (nn_model.c) ---- */
const cn_nn_kind cn_nn_lstm = {
    .name = "lstm", .nt = CN_LSTM_NT, .gates = 4, .same_width = 0,
    .tensors = cn_nn_recurrent_tensors, .init = cn_nn_recurrent_init,
    .stream_plan = stream_plan, .stream_fill = stream_fill, .stream_reset = NULL, .stream_step = stream_step,
    .spec_word = spec_word, .scratch = 1,
    .table_size = cn_nn_gather_size, .table = cn_nn_gather_fill, .table_grad_add = cn_nn_gather_grad,
    .batch_packs = batch_packs, .batch_pack = batch_pack, .batch_acts = batch_acts,
    .batch_forward = batch_forward, .batch_backward = batch_backward, .batch_update = NULL,
};
