/* windows.c: cutting, ordering, transposing and batching training windows (see windows.h). */
#include <stdlib.h>
#include <string.h>
#include "rng.h"
#include "windows.h"

static int push(cn_windows *ws, size_t *cap, uint32_t piece, uint32_t start) {
    if (ws->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        cn_window *nw = realloc(ws->w, ncap * sizeof *nw);
        if (!nw) return -1;
        ws->w = nw; *cap = ncap;
    }
    ws->w[ws->n].piece = piece; ws->w[ws->n].start = start;
    ws->n++;
    return 0;
}

int cn_windows_cut(const cn_corpus *c, int split, int seq_len, int stride, cn_windows *out) {
    memset(out, 0, sizeof *out);
    out->seq_len = seq_len;
    if (seq_len < 1 || stride < 1) return -1;
    size_t cap = 0, need = (size_t)seq_len + 1;
    for (int i = 0; i < c->n_pieces; i++) {
        const cn_piece *p = &c->pieces[i];
        if (p->split != split) continue;
        size_t n = p->n_tok[-p->var_lo];   /* the untransposed variant */
        if (n < need) { out->short_pieces++; continue; }
        size_t last = n - need, s = 0;
        for (; s <= last; s += (size_t)stride)
            if (push(out, &cap, (uint32_t)i, (uint32_t)s)) goto oom;
        if (s - (size_t)stride != last && push(out, &cap, (uint32_t)i, (uint32_t)last)) goto oom;
    }
    return 0;
oom:
    cn_windows_free(out);
    return -1;
}

void cn_windows_free(cn_windows *ws) {
    free(ws->w);
    ws->w = NULL; ws->n = 0;
}

void cn_windows_thin(cn_windows *ws, size_t max) {
    if (max == 0 || ws->n <= max) return;
    for (size_t k = 0; k < max; k++) ws->w[k] = ws->w[(size_t)((double)k * (double)ws->n / (double)max)];
    ws->n = max;
}

void cn_windows_order(size_t n, uint64_t seed, size_t *order) {
    uint64_t rng = cn_rng_seed(seed);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(cn_rng_next(&rng) % (uint64_t)i);
        size_t t = order[i - 1]; order[i - 1] = order[j]; order[j] = t;
    }
}

static int is_pitch_token(int t) { return t >= CN_EV_NOTE_ON && t < CN_EV_SHIFT; }
static int token_pitch(int t) { return t < CN_EV_NOTE_OFF ? t - CN_EV_NOTE_ON : t - CN_EV_NOTE_OFF; }

void cn_ev_shift_range(const int *tok, size_t n, int *lo, int *hi) {
    int pmin = 127, pmax = 0, any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_pitch_token(tok[i])) continue;
        int p = token_pitch(tok[i]);
        if (p < pmin) pmin = p;
        if (p > pmax) pmax = p;
        any = 1;
    }
    *lo = any ? -pmin : 0;
    *hi = any ? 127 - pmax : 0;
}

void cn_ev_shift_tokens(int *tok, size_t n, int shift) {
    if (shift == 0) return;
    for (size_t i = 0; i < n; i++)
        if (is_pitch_token(tok[i])) tok[i] += shift;   /* stays in its ON or OFF block by contract */
}

/* A uniform integer in [lo, hi]. */
static int pick(uint64_t *rng, int lo, int hi) {
    return lo + (int)(cn_rng_next(rng) % (uint64_t)(hi - lo + 1));
}

/* The note encoding's controls in a training row: never targets (they are given, not
 * predicted), and in some rows "none", so that a model also plays with a control off. */
#define NT_CONTROL_DROP 0.15
static void nt_controls(int *tk, int *tg, int T, uint64_t *rng) {
    int key_off = (double)(cn_rng_next(rng) >> 11) * 0x1.0p-53 < NT_CONTROL_DROP;
    int dens_off = (double)(cn_rng_next(rng) >> 11) * 0x1.0p-53 < NT_CONTROL_DROP;
    for (int t = 0; t < T; t++) {
        if (key_off && tk[t] >= CN_NT_KEY && tk[t] < CN_NT_KEY_NONE) tk[t] = CN_NT_KEY_NONE;
        if (dens_off && tk[t] >= CN_NT_DENS && tk[t] < CN_NT_DENS_NONE) tk[t] = CN_NT_DENS_NONE;
        if (cn_nt_is_control(tg[t])) tg[t] = -1;
    }
}

/* The shift a row is transposed by, within the augmentation range and the piano; src is the
 * window's T + 1 untransposed tokens (event and note). */
static int row_shift(const cn_corpus *c, const cn_piece *p, const int *src, int T, const cn_fill_opts *o,
                     uint64_t *rng) {
    if (!(o->transpose_lo < o->transpose_hi || o->transpose_lo != 0)) return 0;
    int lo, hi;
    if (c->enc == CN_ENC_PAPER) {
        lo = o->transpose_lo > p->var_lo ? o->transpose_lo : p->var_lo;
        hi = o->transpose_hi < p->var_lo + p->n_var - 1 ? o->transpose_hi : p->var_lo + p->n_var - 1;
        return lo <= hi ? pick(rng, lo, hi) : 0;
    }
    if (c->enc == CN_ENC_NOTE) cn_nt_shift_range(src, (size_t)T + 1, &lo, &hi);
    else cn_ev_shift_range(src, (size_t)T + 1, &lo, &hi);
    if (lo < o->transpose_lo) lo = o->transpose_lo;
    if (hi > o->transpose_hi) hi = o->transpose_hi;
    return lo <= hi ? pick(rng, lo, hi) : 0;
}

/* Row b of a batch: window w, transposed and (note) with its controls dropped by rng. The
 * paper encoding picks a pre-encoded variant; the others shift the tokens read. */
static int fill_row(const cn_corpus *c, const cn_window *w, int T, const cn_fill_opts *o, uint64_t *rng,
                    int *scratch, int *tk, int *tg) {
    const cn_piece *p = &c->pieces[w->piece];
    int base = -p->var_lo, shift = 0, var = base;
    const int *src;
    if (c->enc == CN_ENC_PAPER) {
        shift = row_shift(c, p, NULL, T, o, rng);
        var = shift - p->var_lo;
        if (var < 0 || var >= p->n_var || p->n_tok[var] < (size_t)T + 1) var = base;  /* a transposed variant may be shorter */
        size_t start = w->start, n = p->n_tok[var];
        if (start + (size_t)T + 1 > n) start = n - (size_t)T - 1;
        src = cn_corpus_tokens(c, (int)w->piece, var, start, (size_t)T + 1, scratch);
    } else {
        src = cn_corpus_tokens(c, (int)w->piece, base, w->start, (size_t)T + 1, scratch);
        if (src) shift = row_shift(c, p, src, T, o, rng);
    }
    if (!src) return -1;
    memcpy(tk, src, (size_t)T * sizeof *tk);
    memcpy(tg, src + 1, (size_t)T * sizeof *tg);
    if (c->enc == CN_ENC_EVENT) { cn_ev_shift_tokens(tk, (size_t)T, shift); cn_ev_shift_tokens(tg, (size_t)T, shift); }
    if (c->enc == CN_ENC_NOTE) {
        cn_nt_shift_tokens(tk, (size_t)T, shift);
        cn_nt_shift_tokens(tg, (size_t)T, shift);
        nt_controls(tk, tg, T, rng);
    }
    return 0;
}

/* cn_windows_fill seeds row b's transposition with seed + ROW_SEED_STEP * (b + 1); one
 * single-row fill with the seed moved back by b rows gives exactly that row. */
#define ROW_SEED_STEP 0x9E3779B97F4A7C15ull

int cn_windows_fill(const cn_corpus *c, const cn_windows *ws, const size_t *idx, int count, int B,
                    const cn_fill_opts *o, uint64_t seed, int *tokens, int *targets) {
    int T = ws->seq_len, rc = 0;
    int *scratch = c->cache ? malloc(((size_t)T + 1) * sizeof *scratch) : NULL;   /* windows read from a cache */
    if (c->cache && !scratch) return -1;
    for (int b = 0; b < B; b++) {
        int *tk = tokens + (size_t)b * (size_t)T, *tg = targets + (size_t)b * (size_t)T;
        if (b >= count) {
            for (int t = 0; t < T; t++) { tk[t] = 0; tg[t] = -1; }
            continue;
        }
        uint64_t rng = cn_rng_seed(seed + ROW_SEED_STEP * (uint64_t)(b + 1));
        if (fill_row(c, &ws->w[idx[b]], T, o, &rng, scratch, tk, tg)) { rc = -1; break; }
    }
    free(scratch);
    return rc;
}

int cn_windows_fill_rows(const cn_corpus *c, const cn_windows *ws, const size_t *idx, int count, int lo, int n,
                         const cn_fill_opts *o, uint64_t seed, int *tokens, int *targets) {
    int T = ws->seq_len;
    for (int k = 0; k < n; k++) {
        int b = lo + k;
        if (cn_windows_fill(c, ws, b < count ? idx + b : idx, b < count, 1, o, seed + ROW_SEED_STEP * (uint64_t)b,
                            tokens + (size_t)k * (size_t)T, targets + (size_t)k * (size_t)T)) return -1;
    }
    return 0;
}
