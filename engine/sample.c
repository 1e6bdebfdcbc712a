/* sample.c: choosing the next token from a model's logits, and finding or naming a key.
 *
 * cn_sample runs on the real-time path: it allocates nothing (the caller gives scratch of
 * cn_sample_scratch_bytes(V)), takes O(V) time expected and O(V log V) at worst (top-k and
 * top-p select by quickselect, falling back to a heap when partitions go badly), and never yields a NaN:
 * logits are shifted by their maximum before exp(), NaN logits count as barred, and every
 * option is clamped into range. It draws exactly one number from *rng when temperature > 0
 * and none at temperature 0, so a given rng state always gives the same token.
 *
 * The order of the steps, and why:
 *   1. repetition penalty: tokens in the recent window lose log(repeat_penalty) from their
 *      logit, i.e. their probability is divided by repeat_penalty (once per distinct token);
 *   2. key constraint: tokens sounding a pitch class outside key_mask are barred, unless that
 *      would bar every token (then the constraint is ignored: a silent model is worse);
 *   3. run guard: the token that ended the recent window is barred when it already ran
 *      max_run times in a row, unless it is the only token left;
 *   4. temperature 0: argmax of what is left (lowest id on ties);
 *   5. softmax at the temperature, then top-k, then nucleus top-p over the top-k mass;
 *   6. one uniform draw over the kept tokens. */
#include <math.h>
#include <string.h>
#include "rng.h"
#include "sample.h"

#define LOGIT_LIMIT 1e30f    /* +-Inf logits are clamped here so that max-subtraction stays finite */
#define PENALTY_MAX 1e4f

cn_sample_opts cn_sample_defaults(void) {
    cn_sample_opts o = { .temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .repeat_penalty = 1.0f,
                         .max_run = 0, .key_mask = 0 };
    return o;
}

/* weights (float), token ids (int), seen flags (byte), each V long, plus slack for alignment */
size_t cn_sample_scratch_bytes(int V) {
    size_t n = V > 0 ? (size_t)V : 1;
    return n * (sizeof(float) + sizeof(int) + 1) + 2 * sizeof(double);
}

/* The one order of tokens: higher weight first, the lower id first among equals. It is a
 * strict total order, so every selection below is deterministic. */
static int before(const float *p, int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); }

static void swap_int(int *a, int *b) { int t = *a; *a = *b; *b = t; }

static void sift_down(int *h, int n, int i, const float *p) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, top = i;
        if (l < n && before(p, h[l], h[top])) top = l;
        if (r < n && before(p, h[r], h[top])) top = r;
        if (top == i) return;
        swap_int(&h[i], &h[top]);
        i = top;
    }
}

/* The fallback that bounds the worst case at O(n log n): heap-sort h[0..n) best-first far
 * enough to hold `count` tokens, or (count < 0) tokens whose weight reaches `need`.
 * Returns how many lead h afterwards. */
static int heap_select(int *h, int n, int count, double need, const float *p) {
    for (int i = n / 2 - 1; i >= 0; i--) sift_down(h, n, i, p);
    int j = 0;
    double mass = 0.0;
    while (j < n && (count >= 0 ? j < count : mass < need)) {
        mass += p[h[0]];
        swap_int(&h[0], &h[n - 1 - j]);       /* best goes to the end, best-first from the back */
        j++;
        sift_down(h, n - j, 0, p);
    }
    for (int a = 0, b = n - 1; a < b; a++, b--) swap_int(&h[a], &h[b]);   /* now best-first from the front */
    if (count < 0 && j == 0 && n > 0) j = 1;
    return j;
}

/* Partition h[lo..hi) around a median-of-three pivot, better tokens first. Returns the
 * pivot's final place; *mass gets the weight of h[lo..place). */
static int partition(int *h, int lo, int hi, const float *p, double *mass) {
    int mid = lo + (hi - lo) / 2, last = hi - 1;
    if (before(p, h[mid], h[lo])) swap_int(&h[mid], &h[lo]);
    if (before(p, h[last], h[lo])) swap_int(&h[last], &h[lo]);
    if (before(p, h[last], h[mid])) swap_int(&h[last], &h[mid]);
    swap_int(&h[mid], &h[last]);              /* the median is the pivot, parked at the end */
    int piv = h[last], store = lo;
    double m = 0.0;
    for (int i = lo; i < last; i++)
        if (before(p, h[i], piv)) { m += p[h[i]]; swap_int(&h[i], &h[store]); store++; }
    swap_int(&h[store], &h[last]);
    *mass = m;
    return store;
}

static int round_limit(int n) {
    int r = 8;
    while (n > 1) { n >>= 1; r += 2; }
    return r;
}

/* Reorder h[0..n) so that its `k` best tokens come first (in no particular order).
 * Quickselect, expected O(n), falling back to the heap when partitions go badly. */
static void select_count(int *h, int n, int k, const float *p) {
    int lo = 0, hi = n, rounds = round_limit(n);
    while (hi - lo > 1 && k > lo && k < hi) {
        if (rounds-- == 0) { heap_select(h + lo, hi - lo, k - lo, 0.0, p); return; }
        double unused;
        int q = partition(h, lo, hi, p, &unused);
        if (q == k || q + 1 == k) return;
        if (q > k) hi = q; else lo = q + 1;
    }
}

/* Reorder h[0..n) so that its best tokens come first, as few as reach weight `need`
 * (the nucleus); returns how many (at least 1). Expected O(n), O(n log n) at worst. */
static int select_mass(int *h, int n, double need, const float *p) {
    int lo = 0, hi = n, rounds = round_limit(n);
    while (lo < hi) {
        if (rounds-- == 0) return lo + heap_select(h + lo, hi - lo, -1, need, p);
        double better;
        int q = partition(h, lo, hi, p, &better);
        if (better >= need) hi = q;                           /* the nucleus ends before the pivot */
        else if (better + p[h[q]] >= need) return q + 1;     /* it ends at the pivot */
        else { need -= better + p[h[q]]; lo = q + 1; }       /* it takes all of this, and more */
    }
    return lo > 0 ? lo : 1;   /* rounding ran out of tokens: keep what was taken */
}

static int barred(float w) { return w == -INFINITY; }

/* The options, clamped into range. */
typedef struct { float T, top_p, pen; int top_k; } sample_limits;

static sample_limits clamp_opts(const cn_sample_opts *o, int V) {
    sample_limits l;
    l.T = o->temperature;
    if (isnan(l.T)) l.T = 1.0f;
    l.T = l.T < 0.0f ? 0.0f : l.T > 5.0f ? 5.0f : l.T;
    l.top_p = o->top_p;
    if (isnan(l.top_p) || l.top_p > 1.0f) l.top_p = 1.0f;
    if (l.top_p <= 0.0f) l.top_p = 1e-6f;            /* the most probable token alone */
    l.top_k = o->top_k <= 0 || o->top_k > V ? V : o->top_k;
    l.pen = o->repeat_penalty;
    if (isnan(l.pen) || l.pen < 1.0f) l.pen = 1.0f;
    if (l.pen > PENALTY_MAX) l.pen = PENALTY_MAX;
    return l;
}

/* The logits as weights, NaN barred and infinities clamped; returns how many are live. */
static int load_weights(const float *logits, int V, float *w) {
    int n_live = 0;
    for (int i = 0; i < V; i++) {
        float x = logits[i];
        if (isnan(x) || x == -INFINITY) w[i] = -INFINITY;
        else { w[i] = x > LOGIT_LIMIT ? LOGIT_LIMIT : x < -LOGIT_LIMIT ? -LOGIT_LIMIT : x; n_live++; }
    }
    if (n_live == 0) {                      /* nothing usable: every token equally likely */
        for (int i = 0; i < V; i++) w[i] = 0.0f;
        n_live = V;
    }
    return n_live;
}

/* 1. repetition penalty: once per distinct token of the recent window */
static void penalise_repeats(float *w, int V, float pen, const int *recent, int n_recent, unsigned char *seen) {
    if (!(pen > 1.0f && n_recent > 0)) return;
    float lp = logf(pen);
    memset(seen, 0, (size_t)V);
    for (int j = 0; j < n_recent; j++) {
        int t = recent[j];
        if (t < 0 || t >= V || seen[t]) continue;
        seen[t] = 1;
        if (!barred(w[t])) w[t] = fmaxf(w[t] - lp, -2.0f * LOGIT_LIMIT);
    }
}

/* 2. key constraint, unless it would bar every token; returns the live count */
static int constrain_key(float *w, int V, uint16_t key_mask, const uint16_t *tok_pcmask, int n_live) {
    uint16_t key = key_mask & 0x0FFFu;
    if (!tok_pcmask || !key) return n_live;
    uint16_t outside = (uint16_t)(~key & 0x0FFFu);
    int n_in = 0;
    for (int i = 0; i < V; i++)
        if (!barred(w[i]) && !(tok_pcmask[i] & outside)) n_in++;
    if (n_in == 0) return n_live;
    for (int i = 0; i < V; i++)
        if (tok_pcmask[i] & outside) w[i] = -INFINITY;
    return n_in;
}

/* 3. run guard, unless the token is the only one left; returns the live count */
static int guard_run(float *w, int V, int max_run, const int *recent, int n_recent, int n_live) {
    if (!(max_run > 0 && n_recent >= max_run)) return n_live;
    int last = recent[n_recent - 1], run = 1;
    while (run < n_recent && recent[n_recent - 1 - run] == last) run++;
    if (run >= max_run && last >= 0 && last < V && !barred(w[last]) && n_live > 1) {
        w[last] = -INFINITY;
        n_live--;
    }
    return n_live;
}

/* 4. the best live token (lowest id on ties) */
static int argmax_live(const float *w, int V) {
    int best = -1;
    for (int i = 0; i < V; i++)
        if (!barred(w[i]) && (best < 0 || w[i] > w[best])) best = i;
    return best;
}

/* 5. softmax at temperature T, unnormalised (the best token's weight is exactly 1); returns the total */
static double soften(float *w, int V, float m, float T) {
    double total = 0.0;
    for (int i = 0; i < V; i++) {
        w[i] = barred(w[i]) ? 0.0f : expf((w[i] - m) / T);
        total += w[i];
    }
    return total;
}

/* 6. the draw without truncation: walk every token */
static int draw_all(const float *w, int V, double u, double total, int best) {
    double r = u * total;
    int last = best;
    for (int i = 0; i < V; i++) {
        if (w[i] <= 0.0f) continue;
        last = i;
        r -= w[i];
        if (r < 0.0) return i;
    }
    return last;                           /* rounding left r >= 0: the last live token */
}

/* 6. the draw after top-k, then top-p over the top-k mass: the selections leave the kept
 * tokens in idx[0..kept) */
static int draw_truncated(const float *w, int V, int *idx, int top_k, float top_p, double total, double u) {
    int n = 0;
    for (int i = 0; i < V; i++)
        if (w[i] > 0.0f) idx[n++] = i;
    int kept = top_k < n ? top_k : n;
    if (kept < n) {
        select_count(idx, n, kept, w);
        total = 0.0;
        for (int j = 0; j < kept; j++) total += w[idx[j]];
    }
    if (top_p < 1.0f) kept = select_mass(idx, kept, (double)top_p * total, w);
    double kept_mass = 0.0;
    for (int j = 0; j < kept; j++) kept_mass += w[idx[j]];
    double r = u * kept_mass;
    for (int j = 0; j < kept; j++) {
        r -= w[idx[j]];
        if (r < 0.0) return idx[j];
    }
    return idx[kept - 1];
}

int cn_sample(const float *logits, int V, const cn_sample_opts *o, const uint16_t *tok_pcmask,
              const int *recent, int n_recent, uint64_t *rng, void *scratch) {
    if (V <= 1 || !logits) return 0;
    cn_sample_opts d = cn_sample_defaults();
    if (!o) o = &d;
    sample_limits l = clamp_opts(o, V);
    if (!recent || n_recent < 0) n_recent = 0;

    float *w = (float *)scratch;
    int *heap = (int *)(w + V);
    unsigned char *seen = (unsigned char *)(heap + V);

    int n_live = load_weights(logits, V, w);
    penalise_repeats(w, V, l.pen, recent, n_recent, seen);
    n_live = constrain_key(w, V, o->key_mask, tok_pcmask, n_live);
    n_live = guard_run(w, V, o->max_run, recent, n_recent, n_live);
    int best = argmax_live(w, V);
    if (l.T == 0.0f || n_live == 1) return best;
    double total = soften(w, V, w[best], l.T);
    double u = cn_rng_uniform_d(rng);
    if (l.top_k >= n_live && l.top_p >= 1.0f) return draw_all(w, V, u, total, best);
    return draw_truncated(w, V, heap, l.top_k, l.top_p, total, u);
}

/* ---------------------------------------------------------------- keys */

/* Krumhansl & Kessler (1982) probe-tone profiles, tonic first. */
static const double kk_major[12] = { 6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88 };
static const double kk_minor[12] = { 6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17 };

uint16_t cn_key_mask(int tonic, int minor) {
    static const int major_steps[7] = { 0, 2, 4, 5, 7, 9, 11 }, minor_steps[7] = { 0, 2, 3, 5, 7, 8, 10 };
    const int *s = minor ? minor_steps : major_steps;
    tonic = ((tonic % 12) + 12) % 12;
    uint16_t mask = 0;
    for (int i = 0; i < 7; i++) mask |= (uint16_t)(1u << ((tonic + s[i]) % 12));
    return mask;
}

double cn_key_correlation(const double pc_hist[12], int tonic, int minor) {
    const double *prof = minor ? kk_minor : kk_major;
    tonic = ((tonic % 12) + 12) % 12;
    double mh = 0, mp = 0;
    for (int i = 0; i < 12; i++) { mh += pc_hist[i]; mp += prof[i]; }
    mh /= 12; mp /= 12;
    double sxy = 0, sxx = 0, syy = 0;
    for (int pc = 0; pc < 12; pc++) {
        double x = pc_hist[pc] - mh, y = prof[(pc - tonic + 12) % 12] - mp;
        sxy += x * y; sxx += x * x; syy += y * y;
    }
    if (!(sxx > 0) || !(syy > 0)) return 0.0;   /* a flat histogram says nothing */
    return sxy / sqrt(sxx * syy);
}

uint16_t cn_key_detect(const double pc_hist[12], int *tonic, int *minor) {
    int bt = 0, bm = 0;
    double best = -2.0;
    for (int mi = 0; mi < 2; mi++)
        for (int t = 0; t < 12; t++) {
            double r = cn_key_correlation(pc_hist, t, mi);
            if (r > best) { best = r; bt = t; bm = mi; }
        }
    if (tonic) *tonic = bt;
    if (minor) *minor = bm;
    double sum = 0;
    for (int i = 0; i < 12; i++) sum += pc_hist[i] > 0 ? pc_hist[i] : 0;
    return sum > 0 ? cn_key_mask(bt, bm) : 0;
}

int cn_key_parse_tonic(const char *name, int *tonic, int *minor) {
    static const int letter_pc[7] = { 9, 11, 0, 2, 4, 5, 7 };   /* A B C D E F G */
    if (!name) return -1;
    while (*name == ' ') name++;
    char c = *name;
    if (c >= 'a' && c <= 'g') c = (char)(c - 'a' + 'A');
    if (c < 'A' || c > 'G') return -1;
    int pc = letter_pc[c - 'A'];
    const char *s = name + 1;
    if (*s == '#') { pc++; s++; }
    else if (*s == 'b') { pc--; s++; }   /* after a letter, b is always a flat */
    while (*s == ' ') s++;
    int mi;
    if (*s == 0 || strcmp(s, "M") == 0 || strcmp(s, "maj") == 0 || strcmp(s, "major") == 0) mi = 0;
    else if (strcmp(s, "m") == 0 || strcmp(s, "min") == 0 || strcmp(s, "minor") == 0) mi = 1;
    else return -1;
    if (tonic) *tonic = (pc + 12) % 12;
    if (minor) *minor = mi;
    return 0;
}

uint16_t cn_key_parse(const char *name) {
    if (name && strcmp(name, "auto") == 0) return CN_KEY_AUTO;
    int t, m;
    return cn_key_parse_tonic(name, &t, &m) == 0 ? cn_key_mask(t, m) : 0;
}

const char *cn_key_name(int tonic, int minor) {
    static const char *const major[12] = { "C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B" };
    static const char *const minor_n[12] = { "Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm" };
    tonic = ((tonic % 12) + 12) % 12;
    return minor ? minor_n[tonic] : major[tonic];
}

void cn_steer_bias(const double hist[12], float strength, float bias[12]) {
    double sum = 0, mx = 0;
    for (int p = 0; p < 12; p++) { sum += hist[p] > 0 ? hist[p] : 0; if (hist[p] > mx) mx = hist[p]; }
    if (!(sum > 0) || !(strength > 0)) { for (int p = 0; p < 12; p++) bias[p] = 0; return; }
    double a = sum / 24;
    for (int p = 0; p < 12; p++) {
        double h = hist[p] > 0 ? hist[p] : 0;
        bias[p] = (float)(strength * log((h + a) / (mx + a)));
    }
}

void cn_steer_apply(float *logits, int first_pitch_tok, const float bias[12]) {
    for (int p = 0; p < 128; p++) logits[first_pitch_tok + p] += bias[p % 12];
}

/* ln of the summed exp of the 128 pitch logits; -INFINITY when every one is forbidden. */
static double pitch_log_mass(const float *lg) {
    float mx = -INFINITY;
    for (int p = 0; p < 128; p++) if (lg[p] > mx) mx = lg[p];
    if (!(mx > -1e30f)) return -INFINITY;
    double sum = 0;
    for (int p = 0; p < 128; p++) sum += exp((double)lg[p] - mx);
    return mx + log(sum);
}

void cn_steer_pitches(float *logits, int first_pitch_tok, const float bias[12], int lo, int hi, float reg_strength) {
    float *lg = logits + first_pitch_tok;
    double before = pitch_log_mass(lg);
    cn_steer_apply(logits, first_pitch_tok, bias);
    cn_steer_register(logits, first_pitch_tok, lo, hi, reg_strength);
    double after = pitch_log_mass(lg);
    if (!isfinite(before) || !isfinite(after)) return;
    float shift = (float)(before - after);
    for (int p = 0; p < 128; p++) if (lg[p] > -1e30f) lg[p] += shift;   /* forbidden ones stay so */
}

void cn_steer_register(float *logits, int first_pitch_tok, int lo, int hi, float strength) {
    if (!(strength > 0) || lo > hi) return;
    for (int p = 0; p < 128; p++) {
        int out = p < lo - 6 ? lo - 6 - p : p > hi + 6 ? p - hi - 6 : 0;
        if (out) logits[first_pitch_tok + p] -= strength * (float)out / 6.0f;
    }
}
