/* continue.c: offline continuation of a seed phrase (see continue.h).
 * Event models: the seed's event tokens (padded with time shifts up to the seed's end) prime
 * the stream; sampled tokens go through the incremental decoder, and NOTE_ON/NOTE_OFF pairs
 * become notes; a NOTE_OFF for a pitch that is not sounding is never sampled (it would do
 * nothing). With a note target, once it is reached NOTE_ONs are barred until every
 * sounding note has been released, so the phrase ends the way a player would end it.
 * Paper models: the seed's paper tokens prime the stream; the sampled tokens are decoded
 * after the seed's, so chords are voiced near the seed's last notes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "continue.h"
#include "note_player.h"
#include "rng.h"
#include "sample.h"
#include "tokens.h"

#define RECENT_DEFAULT   32
#define MAX_PAD_BEATS    4.0     /* the most silence added between the seed's last event and its end */
#define CLOSE_MAX_BEATS  8.0     /* how long a note target waits for held notes to be released */
#define MIN_DUR          (1.0 / CN_EV_GRID)
#define BARRED_LOGIT     (-1e30f)

cn_continue_opts cn_continue_defaults(void) {
    cn_continue_opts o;
    memset(&o, 0, sizeof o);
    o.n_notes = 32;
    o.sample = cn_sample_defaults();
    o.sample.max_run = 4;   /* the guard against "the same note forever", on unless asked off */
    o.recent = RECENT_DEFAULT;
    o.rng_seed = 1;
    o.weights = CN_W_F32;
    o.key_control = CN_CTRL_FROM_SEED;
    o.density_control = 0;
    /* both chosen on the validation split with the listening yardstick (issue 11): the steer
     * and a nucleus of 0.95 (over the pitches; a note's length is drawn from the whole
     * distribution) */
    o.pc_steer = 0.75f;
    o.sample.top_p = 0.95f;
    return o;
}

int cn_continue_parse_key_control(const char *s, int *out, char *err, size_t errlen) {
    int tonic, minor;
    if (!strcmp(s, "auto")) *out = CN_CTRL_FROM_SEED;
    else if (!strcmp(s, "off") || !strcmp(s, "none")) *out = CN_CTRL_OFF;
    else if (!cn_key_parse_tonic(s, &tonic, &minor)) *out = tonic + 12 * minor;
    else { snprintf(err, errlen, "'%s' is not a key (auto, off, C, Am, F#, Bbm...)", s); return -1; }
    return 0;
}

int cn_continue_parse_density(const char *s, double *out, char *err, size_t errlen) {
    if (!strcmp(s, "auto")) { *out = 0; return 0; }
    if (!strcmp(s, "off") || !strcmp(s, "none")) { *out = -1; return 0; }
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end || !(d >= 0.1 && d <= 16)) {
        snprintf(err, errlen, "'%s' is not auto, off, or onsets a beat from 0.1 to 16", s);
        return -1;
    }
    *out = d;
    return 0;
}

void cn_continue_info_free(cn_continue_info *info) {
    if (!info) return;
    free(info->tokens);
    info->tokens = NULL;
}

static int fail(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
    return -1;
}

static int popcount16(uint16_t x) { int n = 0; while (x) { n += x & 1; x >>= 1; } return n; }

/* The continuation's notes, in beats from where the continuation starts. */
typedef struct { double start, dur; int pitch, vel; } gen_note;
typedef struct { gen_note *v; size_t n, cap; } note_list;

static int note_push(note_list *l, double start, double dur, int pitch, int vel) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        gen_note *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) return -1;
        l->v = nv; l->cap = cap;
    }
    l->v[l->n++] = (gen_note){ start, dur, pitch, vel };
    return 0;
}

/* The seed's last sounding moment, or its stated end when that is a little later
 * (a phrase that ends on a rest keeps its rest, up to MAX_PAD_BEATS), rounded up to the
 * next half beat when it falls just short of one. */
static double seed_end_beat(const cn_song *s) {
    double last = 0;
    for (size_t i = 0; i < s->n_notes; i++) {
        double e = s->notes[i].start_beat + s->notes[i].dur_beat;
        if (e > last) last = e;
    }
    if (s->end_beat > last) last = fmin(s->end_beat, last + MAX_PAD_BEATS);
    /* A phrase played detached ends just before the beat: its answer starts on the beat. */
    double snapped = ceil(last * 2 - 0.2) / 2;
    return snapped > last ? snapped : last;
}

/* Everything the sampling loop needs, for either encoding. */
typedef struct {
    const cn_model *m;
    const cn_continue_opts *o;
    cn_sample_opts so;
    int *seq; size_t n_seq, cap_seq;   /* seed tokens, then sampled ones */
    size_t n_seed;
    uint16_t *pcmask;                  /* per token, NULL without a key constraint */
    float *masked;                     /* event logits with the meaningless moves barred */
    float steer[12];                   /* the pull to the seed's pitch classes (0s when off) */
    float steer_strength; int lo, hi;  /* and to its register */
    void *scratch;
    uint64_t rng;
    size_t max_gen;
    double logprob;                    /* sum of log p(token) of the sampled tokens, raw model */
} sampler;

/* log p(tok) under the model's own distribution (temperature 1, nothing barred): the
 * likelihood by which best-of-N ranks candidates. */
static double log_softmax_at(const float *logits, int V, int tok) {
    float mx = logits[0];
    for (int w = 1; w < V; w++) if (logits[w] > mx) mx = logits[w];
    double sum = 0;
    for (int w = 0; w < V; w++) sum += exp((double)logits[w] - mx);
    return (double)logits[tok] - mx - log(sum);
}

/* open (event models, else NULL): per pitch, whether it sounds. A NOTE_OFF for a silent pitch
 * would do nothing, so it is barred: its probability goes to the moves that mean something,
 * and a weak model no longer leaves notes hanging while it releases notes that never sounded. */
static int next_token(sampler *sp, const float *logits, const int *open, int bar_note_ons) {
    int V = sp->m->vocab;
    const float *raw = logits;
    if (open) {
        memcpy(sp->masked, logits, (size_t)V * sizeof *logits);
        for (int p = 0; p < 128; p++) {
            if (open[p] < 0) sp->masked[CN_EV_NOTE_OFF + p] = BARRED_LOGIT;
            if (bar_note_ons) sp->masked[CN_EV_NOTE_ON + p] = BARRED_LOGIT;
        }
        /* A velocity only matters for the next note-on: while no note may start, or right after
         * another velocity, it means nothing, and a model that wants to start a note would
         * otherwise spend the whole token budget on velocities. */
        int last = sp->n_seq ? sp->seq[sp->n_seq - 1] : -1;
        if (bar_note_ons || (last >= CN_EV_VEL && last < CN_EV_VEL + CN_EV_VEL_BINS))
            for (int b = 0; b < CN_EV_VEL_BINS; b++) sp->masked[CN_EV_VEL + b] = BARRED_LOGIT;
        /* the event path keeps the steer as its ablation measured it (issue 11): both pulls on
         * their own; only the note path keeps the pitches' total mass (cn_steer_pitches) */
        cn_steer_apply(sp->masked, CN_EV_NOTE_ON, sp->steer);
        cn_steer_register(sp->masked, CN_EV_NOTE_ON, sp->lo, sp->hi, sp->steer_strength);
        logits = sp->masked;
    }
    int nr = sp->o->recent > 0 ? sp->o->recent : RECENT_DEFAULT;
    if ((size_t)nr > sp->n_seq) nr = (int)sp->n_seq;
    int tok = cn_sample(logits, V, &sp->so, sp->pcmask, sp->seq + sp->n_seq - nr, nr, &sp->rng, sp->scratch);
    if (tok < 0 || tok >= V) tok = 0;
    sp->logprob += log_softmax_at(raw, V, tok);
    sp->seq[sp->n_seq++] = tok;
    return tok;
}

/* Event encoding: returns 0 and fills the continuation's notes, or -1. *stream_end is where
 * the continuation starts, in the seed's beats. */
static int continue_event(sampler *sp, cn_stream *st, const cn_song *seed, note_list *notes,
                          double *stream_end, cn_continue_info *info, char *err, size_t errlen) {
    const cn_continue_opts *o = sp->o;
    /* Where the token stream's clock sits against the seed's beats. */
    cn_ev_decoder dec;
    cn_ev_decoder_init(&dec, 0);
    double offset = 0; int have_offset = 0;
    for (size_t i = 0; i < sp->n_seq; i++) {
        cn_ev_note_event ev;
        if (cn_ev_decoder_feed(&dec, sp->seq[i], &ev) && ev.on && !have_offset) {
            offset = seed->notes[0].start_beat - ev.beat; have_offset = 1;
        }
    }
    double pad = seed_end_beat(seed) - (cn_ev_decoder_beat(&dec) + offset);
    long steps = pad > 0 ? lround(pad * CN_EV_GRID) : 0;
    while (steps > 0) {
        int s = steps > CN_EV_MAX_SHIFT ? CN_EV_MAX_SHIFT : (int)steps;
        int tok = CN_EV_SHIFT + s - 1;
        sp->seq[sp->n_seq++] = tok;
        cn_ev_decoder_feed(&dec, tok, &(cn_ev_note_event){ 0 });
        steps -= s;
    }
    sp->n_seed = sp->n_seq;
    double t0 = cn_ev_decoder_beat(&dec);
    *stream_end = t0 + offset;

    const float *logits = NULL;
    for (size_t i = 0; i < sp->n_seq; i++) logits = cn_stream_step(st, sp->seq[i]);

    int open[128];
    double last_on[128];   /* where each pitch last began a note: a second NOTE_ON there is no new note */
    for (int p = 0; p < 128; p++) { open[p] = -1; last_on[p] = -1; }
    int n_open = 0, closing = 0, gen = 0;
    double close_from = 0, now = 0;
    int by_beats = o->n_notes <= 0;
    for (;;) {
        if (sp->n_seq - sp->n_seed >= sp->max_gen) { info->hit_cap = 1; break; }
        int tok = next_token(sp, logits, open, closing);
        cn_ev_note_event ev;
        int is_note = cn_ev_decoder_feed(&dec, tok, &ev);
        now = cn_ev_decoder_beat(&dec) - t0;
        if (by_beats && now >= o->n_beats) { now = o->n_beats; break; }
        if (is_note) {
            double at = ev.beat - t0;
            int p = ev.pitch & 127;
            if (ev.on && fabs(at - last_on[p]) < MIN_DUR / 2) goto step;
            if (open[p] >= 0) {   /* released (or struck again): the held note ends here */
                gen_note *g = &notes->v[open[p]];
                g->dur = fmax(at - g->start, MIN_DUR);
                open[p] = -1; n_open--;
            }
            if (ev.on && !closing) {
                if (note_push(notes, at, 0, p, ev.velocity)) return fail(err, errlen, "out of memory");
                open[p] = (int)notes->n - 1; n_open++; gen++;
                last_on[p] = at;
                if (!by_beats && gen >= o->n_notes) { closing = 1; close_from = at; }
            }
        }
        if (closing && (n_open == 0 || now - close_from >= CLOSE_MAX_BEATS)) break;
    step:
        logits = cn_stream_step(st, tok);
    }
    for (int p = 0; p < 128; p++)   /* whatever still sounds ends where generation stopped */
        if (open[p] >= 0) notes->v[open[p]].dur = fmax(now - notes->v[open[p]].start, MIN_DUR);
    return 0;
}

/* Paper encoding: sample, then decode the seed's tokens followed by the sampled ones. */
static int continue_paper(sampler *sp, cn_stream *st, const cn_song *seed, note_list *notes,
                          double *stream_end, cn_continue_info *info, char *err, size_t errlen) {
    const cn_continue_opts *o = sp->o;
    const cn_vocab *v = &sp->m->words;
    double bpm = seed->n_tempos ? seed->tempos[0].bpm : 120;
    *stream_end = seed_end_beat(seed);
    const float *logits = NULL;
    for (size_t i = 0; i < sp->n_seq; i++) logits = cn_stream_step(st, sp->seq[i]);
    cn_song seed_dec, tmp;
    if (cn_paper_decode(v, sp->seq, sp->n_seed, bpm, &seed_dec)) return fail(err, errlen, "out of memory");
    double t_seed = seed_dec.end_beat;
    cn_song_free(&seed_dec);
    int by_beats = o->n_notes <= 0, counted = 0;
    for (;;) {
        if (sp->n_seq - sp->n_seed >= sp->max_gen) { info->hit_cap = 1; break; }
        int tok = next_token(sp, logits, NULL, 0);
        uint16_t pcs = cn_token_pcmask(CN_ENC_PAPER, v, tok);
        counted += popcount16(pcs);
        if (!by_beats && counted >= o->n_notes) break;
        if (by_beats) {   /* the time so far is what the sampled tokens decode to */
            if (cn_paper_decode(v, sp->seq + sp->n_seed, sp->n_seq - sp->n_seed, bpm, &tmp))
                return fail(err, errlen, "out of memory");
            double span = tmp.end_beat;
            cn_song_free(&tmp);
            if (span >= o->n_beats) break;
        }
        logits = cn_stream_step(st, tok);
    }
    if (cn_paper_decode(v, sp->seq, sp->n_seq, bpm, &tmp)) return fail(err, errlen, "out of memory");
    for (size_t i = 0; i < tmp.n_notes; i++) {
        const cn_note *n = &tmp.notes[i];
        double at = n->start_beat - t_seed, dur = n->dur_beat;
        if (at < -1e-9) continue;           /* the seed's own notes */
        if (by_beats) {
            if (at >= o->n_beats) continue;
            dur = fmin(dur, o->n_beats - at);
        }
        if (note_push(notes, fmax(at, 0), fmax(dur, MIN_DUR), n->pitch, n->velocity)) {
            cn_song_free(&tmp);
            return fail(err, errlen, "out of memory");
        }
    }
    cn_song_free(&tmp);
    return 0;
}

/* Note encoding: the controls, from the options or the seed. */
static void note_controls(const cn_continue_opts *o, const cn_song *seed, double seed_end, int *key_tok, int *dens_tok) {
    if (o->key_control == CN_CTRL_OFF) *key_tok = CN_NT_KEY_NONE;
    else if (o->key_control >= 0 && o->key_control < 24) *key_tok = CN_NT_KEY + o->key_control;
    else *key_tok = cn_nt_key_of(seed->notes, seed->n_notes, 0, -1e300, 1e300);   /* the whole seed */
    double first = seed->notes[0].start_beat, span = seed_end - first;
    double d = o->density_control > 0 ? o->density_control
             : (double)seed->n_notes / (span > 1 ? span : 1);
    *dens_tok = o->density_control < 0 ? CN_NT_DENS_NONE : CN_NT_DENS + cn_nt_dens_bin(d);
}

/* Note encoding: the seed (with the controls fixed at every slot) primes the stream; sampled
 * PITCH+DUR pairs are notes with their lengths, so nothing is left to release. */
static int continue_note(sampler *sp, cn_stream *st, const cn_song *seed, note_list *notes,
                         double *stream_end, cn_continue_info *info, char *err, size_t errlen) {
    const cn_continue_opts *o = sp->o;
    double end = seed_end_beat(seed);
    int key_tok, dens_tok;
    note_controls(o, seed, end, &key_tok, &dens_tok);
    cn_song padded = *seed;   /* the same notes, ending where the continuation starts */
    padded.end_beat = end;
    int *tok = NULL; size_t n = 0;
    if (cn_nt_encode(&padded, 0, key_tok, dens_tok, &tok, &n)) return fail(err, errlen, "out of memory encoding the seed");
    if (n + sp->max_gen + 2 > sp->cap_seq) { free(tok); return fail(err, errlen, "the seed is too long"); }
    memcpy(sp->seq, tok, n * sizeof *tok);
    free(tok);
    sp->n_seq = sp->n_seed = n;
    cn_nt_player pl;
    cn_nt_player_init(&pl, 0);
    cn_nt_note nt;
    const float *logits = NULL;
    for (size_t i = 0; i < n; i++) { cn_nt_player_feed(&pl, sp->seq[i], &nt); logits = cn_stream_step(st, sp->seq[i]); }
    int64_t t0 = pl.step;
    *stream_end = (double)t0 / CN_NT_GRID;
    int by_beats = o->n_notes <= 0, gen = 0;
    int64_t limit = by_beats ? llround(o->n_beats * CN_NT_GRID) : INT64_MAX;
    int max_run = o->sample.max_run;
    for (;;) {
        if (sp->n_seq - sp->n_seed >= sp->max_gen) { info->hit_cap = 1; break; }
        int tok1;
        if (cn_nt_player_controls_due(&pl)) {
            tok1 = cn_nt_player_control_next(&pl, key_tok, dens_tok);
            sp->seq[sp->n_seq++] = tok1;
        } else {
            memcpy(sp->masked, logits, (size_t)CN_NT_VOCAB * sizeof *logits);
            cn_nt_player_mask(&pl, sp->masked, max_run, 0);
            cn_steer_pitches(sp->masked, CN_NT_PITCH, sp->steer, sp->lo, sp->hi, sp->steer_strength);
            /* a note's length from the model's whole distribution: top-p would cut the rare long
             * notes and thin the texture out (note_player.h) */
            float top_p = sp->so.top_p;
            if (pl.pending_pitch >= 0) sp->so.top_p = 1.0f;
            tok1 = next_token(sp, sp->masked, NULL, 0);
            sp->so.top_p = top_p;
        }
        if (cn_nt_player_feed(&pl, tok1, &nt)) {
            double at = (double)(nt.start - t0) / CN_NT_GRID, dur = (double)nt.dur / CN_NT_GRID;
            if (by_beats) dur = fmin(dur, o->n_beats - at);
            if (note_push(notes, at, fmax(dur, MIN_DUR), nt.pitch, nt.velocity)) return fail(err, errlen, "out of memory");
            if (!by_beats && ++gen >= o->n_notes) break;
        }
        if (pl.step - t0 >= limit) break;
        logits = cn_stream_step(st, tok1);
    }
    return 0;
}

int cn_continuation_alone(const cn_song *full, int seed_notes, double cont_start,
                          cn_song *out, double *new_start) {
    cn_song_init(out);
    if (!out->tempos) return -1;
    for (size_t i = 0; i < full->n_tempos; i++)   /* the tempo in force where the continuation starts */
        if (i == 0 || full->tempos[i].beat <= cont_start + 1e-9) out->tempos[0].bpm = full->tempos[i].bpm;
    out->ts_num = full->ts_num; out->ts_den = full->ts_den;
    out->program = full->program; out->ppq = full->ppq;
    double bar = full->ts_den > 0 && full->ts_num > 0 ? full->ts_num * 4.0 / full->ts_den : 4.0;
    double shift = floor(cont_start / bar + 1e-9) * bar;   /* whole bars only: the meter holds */
    for (size_t i = (size_t)(seed_notes > 0 ? seed_notes : 0); i < full->n_notes; i++) {
        const cn_note *n = &full->notes[i];
        if (cn_song_add_note(out, n->start_beat - shift, n->dur_beat, n->pitch, n->velocity, n->channel)) {
            cn_song_free(out);
            return -1;
        }
    }
    cn_song_sort(out);
    if (new_start) *new_start = cont_start - shift;
    return 0;
}

/* What cn_continue can refuse before it starts: 0, or -1 with err. */
static int check_request(const cn_model *m, const cn_song *seed, const cn_continue_opts *o, char *err, size_t errlen) {
    if (!m || !seed || !o) return fail(err, errlen, "nothing to continue");
    if (seed->n_notes == 0) return fail(err, errlen, "the seed has no notes to continue");
    if (o->n_notes <= 0 && !(o->n_beats > 0)) return fail(err, errlen, "ask for some notes or beats to generate");
    int V = m->vocab;
    if (m->encoding == CN_ENC_EVENT ? V != CN_EV_VOCAB
        : m->encoding == CN_ENC_NOTE ? V != CN_NT_VOCAB : (V != m->words.n || V < 2))
        return fail(err, errlen, "the model's vocabulary does not match its encoding");
    return 0;
}

/* The sampler's settings from the options and the seed: the token budget, the key constraint
 * (named, or found in the seed), and the steer to the seed's pitch classes and register. */
static void sampler_setup(sampler *sp, const cn_model *m, const cn_song *seed, const cn_continue_opts *o,
                          cn_continue_info *info) {
    memset(sp, 0, sizeof *sp);
    sp->m = m; sp->o = o; sp->so = o->sample;
    sp->rng = cn_rng_seed(o->rng_seed);
    if (o->max_tokens > 0) sp->max_gen = (size_t)o->max_tokens;
    else if (o->n_notes > 0) sp->max_gen = (size_t)o->n_notes * 24 + 512;
    else sp->max_gen = (size_t)(fmin(o->n_beats, 1e5) * 96) + 512;

    /* the key constraint: named, or found in the seed (duration-weighted pitch classes) */
    uint16_t key = o->sample.key_mask;
    if (o->key_auto) {
        double hist[12] = { 0 };
        for (size_t i = 0; i < seed->n_notes; i++) hist[seed->notes[i].pitch % 12] += seed->notes[i].dur_beat + 1e-3;
        key = cn_key_detect(hist, &info->key_tonic, &info->key_minor);
    }
    sp->so.key_mask = key;
    info->key_mask = key;
    double onsets[12] = { 0 };   /* the steer follows what was played: onsets, as a listener counts them */
    for (size_t i = 0; i < seed->n_notes; i++) onsets[seed->notes[i].pitch % 12] += 1;
    sp->steer_strength = m->encoding == CN_ENC_PAPER ? 0 : o->pc_steer;
    cn_steer_bias(onsets, sp->steer_strength, sp->steer);
    sp->lo = 127; sp->hi = 0;
    for (size_t i = 0; i < seed->n_notes; i++) {
        if (seed->notes[i].pitch < sp->lo) sp->lo = seed->notes[i].pitch;
        if (seed->notes[i].pitch > sp->hi) sp->hi = seed->notes[i].pitch;
    }
}

/* The sampler's buffers, primed with the seed's tokens: 0, or -1 with err (what was
 * allocated is freed by sampler_free). */
static int sampler_alloc(sampler *sp, const cn_song *seed, cn_continue_info *info, char *err, size_t errlen) {
    const cn_model *m = sp->m;
    int V = m->vocab;
    int *seed_tok = NULL; size_t n_seed = 0;
    int rc = m->encoding == CN_ENC_EVENT ? cn_ev_encode(seed, 0, &seed_tok, &n_seed)
           : m->encoding == CN_ENC_NOTE  ? cn_nt_encode(seed, 0, CN_NT_KEY_NONE, CN_NT_DENS_NONE, &seed_tok, &n_seed)
                                         : cn_paper_encode(seed, &m->words, 0, &seed_tok, &n_seed, &info->seed_unknown);
    if (rc) return fail(err, errlen, "out of memory encoding the seed");
    if (n_seed == 0) { free(seed_tok); return fail(err, errlen, "the seed encodes to no tokens"); }
    /* room for the seed padded to its end (note models: plus a control pair a slot) */
    sp->cap_seq = n_seed + (size_t)(MAX_PAD_BEATS * CN_EV_GRID) + 2 * (size_t)(MAX_PAD_BEATS / 4 + 1) + sp->max_gen + 2;
    sp->seq = malloc(sp->cap_seq * sizeof *sp->seq);
    sp->masked = malloc((size_t)V * sizeof *sp->masked);
    sp->scratch = malloc(cn_sample_scratch_bytes(V) + 1);
    uint16_t key = sp->so.key_mask;
    if (key) sp->pcmask = malloc((size_t)V * sizeof *sp->pcmask);
    if (!sp->seq || !sp->masked || !sp->scratch || (key && !sp->pcmask)) {
        free(seed_tok);
        return fail(err, errlen, "out of memory");
    }
    memcpy(sp->seq, seed_tok, n_seed * sizeof *seed_tok);
    free(seed_tok);
    sp->n_seq = sp->n_seed = n_seed;
    for (int t = 0; key && t < V; t++)   /* only what sounds a pitch is constrained; never a release */
        sp->pcmask[t] = m->encoding == CN_ENC_EVENT && t >= CN_EV_NOTE_OFF ? 0 : cn_token_pcmask(m->encoding, &m->words, t);
    return 0;
}

static void sampler_free(sampler *sp) {
    free(sp->seq); free(sp->masked); free(sp->scratch); free(sp->pcmask);
}

/* The seed, then the continuation (stream_end on in the seed's beats), at the seed's tempo
 * and meter; or the continuation alone. Every seed note starts before the continuation
 * does, so sorting keeps the seed's notes first. 0, or -1 (out of memory). */
static int assemble(const cn_song *seed, const note_list *notes, double stream_end, int include_seed,
                    cn_song *out, cn_continue_info *info) {
    cn_song full;
    cn_song_init(&full);
    int ok = full.tempos != NULL;
    if (ok && seed->n_tempos > 1) {   /* the whole tempo map: the continuation alone takes the last */
        cn_tempo *tm = realloc(full.tempos, seed->n_tempos * sizeof *tm);
        if (tm) {
            memcpy(tm, seed->tempos, seed->n_tempos * sizeof *tm);
            full.tempos = tm; full.n_tempos = seed->n_tempos;
        } else ok = 0;
    }
    if (ok) {
        if (seed->n_tempos == 1) full.tempos[0].bpm = seed->tempos[0].bpm;
        full.ts_num = seed->ts_num; full.ts_den = seed->ts_den;
        full.program = seed->program; full.ppq = seed->ppq > 0 ? seed->ppq : 480;
    }
    for (size_t i = 0; ok && i < seed->n_notes; i++) {
        const cn_note *n = &seed->notes[i];
        ok = !cn_song_add_note(&full, n->start_beat, n->dur_beat, n->pitch, n->velocity, n->channel);
    }
    int ch = seed->notes[0].channel;
    for (size_t i = 0; ok && i < notes->n; i++)
        ok = !cn_song_add_note(&full, stream_end + notes->v[i].start, notes->v[i].dur, notes->v[i].pitch, notes->v[i].vel, ch);
    if (ok) cn_song_sort(&full);
    if (ok && !include_seed) {
        ok = !cn_continuation_alone(&full, (int)seed->n_notes, stream_end, out, &info->cont_start_beat);
        cn_song_free(&full);
    } else if (ok) {
        *out = full;
        info->seed_notes = (int)seed->n_notes;
        info->cont_start_beat = stream_end;
    }
    if (!ok) { cn_song_free(&full); return -1; }
    return 0;
}

/* What was generated, for the caller: counts, the likelihood, and the sampled tokens. */
static int fill_info(const sampler *sp, const note_list *notes, cn_continue_info *info) {
    info->gen_notes = (int)notes->n;
    info->seed_tokens = sp->n_seed;
    info->gen_tokens = sp->n_seq - sp->n_seed;
    info->gen_logprob = sp->logprob;
    info->tokens = malloc((info->gen_tokens + 1) * sizeof *info->tokens);
    if (!info->tokens) return -1;
    memcpy(info->tokens, sp->seq + sp->n_seed, info->gen_tokens * sizeof *info->tokens);
    return 0;
}

int cn_continue(const cn_model *m, const cn_song *seed, const cn_continue_opts *o,
                cn_song *out, cn_continue_info *info_out, char *err, size_t errlen) {
    cn_continue_info info_local, *info = info_out ? info_out : &info_local;
    memset(info, 0, sizeof *info);
    memset(out, 0, sizeof *out);
    if (check_request(m, seed, o, err, errlen)) return -1;
    sampler sp;
    sampler_setup(&sp, m, seed, o, info);
    if (sampler_alloc(&sp, seed, info, err, errlen)) { sampler_free(&sp); return -1; }
    cn_stream *st = cn_stream_new(m, o->weights);
    note_list notes = { 0 };
    double stream_end = 0;
    int rc = -1;
    if (!st) fail(err, errlen, "out of memory");
    else rc = m->encoding == CN_ENC_EVENT ? continue_event(&sp, st, seed, &notes, &stream_end, info, err, errlen)
            : m->encoding == CN_ENC_NOTE  ? continue_note(&sp, st, seed, &notes, &stream_end, info, err, errlen)
                                          : continue_paper(&sp, st, seed, &notes, &stream_end, info, err, errlen);
    if (!rc && (assemble(seed, &notes, stream_end, o->include_seed, out, info) || fill_info(&sp, &notes, info)))
        rc = fail(err, errlen, "out of memory");
    if (rc) { cn_song_free(out); memset(out, 0, sizeof *out); cn_continue_info_free(info); }
    if (info == &info_local) cn_continue_info_free(info);
    cn_stream_free(st);
    sampler_free(&sp);
    free(notes.v);
    return rc;
}
