/* jam_infer.c: the live engine's inference half. It owns the model and its stream, hears
 * the player's notes (and its own) as event tokens, and generates answers ahead of the clock
 * as beat-stamped note events for the real-time half. When a cancel takes back notes it had
 * generated but that were never played, it rebuilds the model's context from the notes that
 * really sounded, so the model never "remembers" a phrase nobody heard. Never run on the RT
 * thread: it steps the model (bounded by max_steps) and may allocate in a model swap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "jam_internal.h"
#include "rng.h"
#include "sample.h"

#define GRID CN_EV_GRID
#define MASKED (-1e9f)

static int64_t beat_step(double b) { return (int64_t)llround(b * GRID); }
static double step_beat(int64_t s) { return (double)s / GRID; }

/* Main thread, before the engine runs: nothing heard, nothing sounding, no model yet. */
void cn_jam_infer_init(cn_jam_infer *in) {
    in->rebuild_pos = -1;
    in->vel_bin = -1;
    for (int p = 0; p < 128; p++) in->open_on[p] = -1;
}

/* Main thread, after the engine stopped: the model and what was made for it. */
void cn_jam_infer_free(cn_jam *j) {
    cn_stream_free(j->in.stream);
    free(j->in.scratch);
    free(j->in.logits);
    cn_model_free(j->in.model);
    j->in.stream = NULL; j->in.scratch = NULL; j->in.logits = NULL; j->in.model = NULL;
}

const cn_model *cn_jam_model(const cn_jam *j) { return j->in.model; }

/* ---- the record of what sounded ---- */
static cn_jam_hist *hist_at(cn_jam *j, int i) { return &j->in.hist[(j->in.hist_head + i) % JAM_HIST_CAP]; }

static void hist_add(cn_jam *j, double beat, int on, int pitch, int vel, int mine) {
    if (j->in.hist_n == JAM_HIST_CAP) {   /* forget the oldest */
        j->in.hist_head = (j->in.hist_head + 1) % JAM_HIST_CAP;
        j->in.hist_n--;
        if (j->in.rebuild_pos > 0) j->in.rebuild_pos--;
    }
    cn_jam_hist *h = hist_at(j, j->in.hist_n++);
    h->beat = beat; h->on = (uint8_t)on; h->pitch = (uint8_t)pitch; h->vel = (uint8_t)vel; h->mine = (uint8_t)mine;
}

/* ---- tokens on their way into the model ---- */
static void feed_tok(cn_jam *j, int tok) {
    if (j->in.n_feed < JAM_FEED_CAP) j->in.feed[j->in.n_feed++] = tok;
}

void cn_jam_feed_tok(cn_jam *j, int tok) { feed_tok(j, tok); }
cn_jam_hist *cn_jam_hist_at(cn_jam *j, int i) { return hist_at(j, i); }

static void step_one(cn_jam *j) {
    int tok = j->in.feed[j->in.feed_pos++];
    if (j->in.feed_pos == j->in.n_feed) j->in.feed_pos = j->in.n_feed = 0;
    const float *lg = cn_stream_step(j->in.stream, tok);
    memcpy(j->in.logits, lg, (size_t)j->in.V * sizeof *lg);
    j->in.logits_ok = 1;
    if (j->in.n_recent == JAM_RECENT) { memmove(j->in.recent, j->in.recent + 1, (JAM_RECENT - 1) * sizeof(int)); j->in.n_recent--; }
    j->in.recent[j->in.n_recent++] = tok;
}

/* Time shifts up to target; a gap longer than four full shifts is heard as four. */
static void shift_to(cn_jam *j, int64_t target) {
    for (int n = 0; j->in.cur < target && n < 4; n++) {
        int64_t d = target - j->in.cur;
        if (d > CN_EV_MAX_SHIFT) d = CN_EV_MAX_SHIFT;
        feed_tok(j, CN_EV_SHIFT + (int)d - 1);
        j->in.cur += d;
        j->in.same_step = 0;
    }
    if (j->in.cur < target) j->in.cur = target;
}

/* A note heard (the player's, or one of ours being replayed) into tokens. Time never goes
 * back: a note stamped before the cursor is heard at the cursor. */
static void encode_note(cn_jam *j, double beat, int on, int pitch, int vel) {
    int64_t target = beat_step(beat);
    if (target < j->in.cur) target = j->in.cur;
    if (target - j->in.cur > 4 * CN_EV_MAX_SHIFT) j->in.cur = target - 4 * CN_EV_MAX_SHIFT;
    cn_ev_encoder e;
    cn_ev_encoder_init(&e, step_beat(j->in.cur));
    e.vel_bin = j->in.vel_bin;
    int toks[8];
    int n = cn_ev_encoder_feed(&e, step_beat(target), on, pitch, vel, toks, 8);
    for (int i = 0; i < n; i++) feed_tok(j, toks[i]);
    if (target != j->in.cur) j->in.same_step = 0;
    j->in.same_step += 1;
    j->in.cur = target;
    j->in.vel_bin = e.vel_bin;
}

/* A note event heard (the player's, or one of ours replayed), in the model's encoding. */
static void hear(cn_jam *j, double beat, int on, int pitch, int vel) {
    if (j->in.is_note) cn_jam_nt_hear(j, beat, on, pitch, vel);
    else encode_note(j, beat, on, pitch, vel);
}

static void start_rebuild(cn_jam *j) {
    if (j->in.stream) cn_stream_reset(j->in.stream);
    j->in.logits_ok = 0;
    j->in.n_feed = j->in.feed_pos = 0;
    j->in.n_recent = 0;
    j->in.same_step = 0;
    j->in.vel_bin = -1;
    if (j->in.hist_n > 0) j->in.cur = beat_step(hist_at(j, 0)->beat);
    if (j->in.is_note) cn_jam_nt_reset(j);
    j->in.rebuild_pos = 0;
}

/* ---- generated notes out to the RT side ---- */
static void out_event(cn_jam *j, double beat, int on, int pitch, int vel) {
    cn_jam_ev e = { j->in.igen, beat, (uint8_t)on, (uint8_t)pitch, (uint8_t)vel };
    cn_spsc_push(&j->sh.ev_q, &e);   /* generation waits for room first, so this fits */
    hist_add(j, beat, on, pitch, vel, 1);
}

void cn_jam_out_event(cn_jam *j, double beat, int on, int pitch, int vel) { out_event(j, beat, on, pitch, vel); }

static void close_note(cn_jam *j, int pitch) {
    if (j->in.open_on[pitch] < 0) return;
    out_event(j, step_beat(j->in.cur), 0, pitch, 0);
    feed_tok(j, CN_EV_NOTE_OFF + pitch);
    j->in.open_on[pitch] = -1;
    j->in.n_open--;
}

/* A cancel at beat c: what we generated after c never sounded; what sounded at c was cut. */
static void rollback(cn_jam *j, double c) {
    int w = 0, removed = 0;
    for (int i = 0; i < j->in.hist_n; i++) {
        cn_jam_hist h = *hist_at(j, i);
        if (h.mine && h.beat > c + 1e-9) { removed = 1; continue; }
        *hist_at(j, w++) = h;
    }
    j->in.hist_n = w;
    uint8_t open[128] = {0};
    for (int i = 0; i < j->in.hist_n; i++) {
        const cn_jam_hist *h = hist_at(j, i);
        if (h->mine) open[h->pitch] = h->on;
    }
    for (int p = 0; p < 128; p++) j->in.open_on[p] = -1;
    j->in.n_open = 0;
    /* a note model heard its own notes with their lengths: what was cut must be heard again */
    int rebuild = removed || j->in.rebuild_pos >= 0 || j->in.cur > beat_step(c) || j->in.is_note;
    for (int p = 0; p < 128; p++) {
        if (!open[p]) continue;
        hist_add(j, c, 0, p, 0, 1);
        if (!rebuild && j->in.stream) encode_note(j, c, 0, p, 0);
    }
    if (rebuild) start_rebuild(j);
}

static void reseed(cn_jam *j) {
    uint64_t s = j->in.ip.seed;
    /* a regenerated answer draws another stream: the seed's, moved on by the count */
    if (s) s += 0x9E3779B97F4A7C15ull * j->in.regen_count;
    if (s == 0) {   /* seed 0: different every time */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)j;
    }
    j->in.rng = cn_rng_seed(s);
    j->in.seed_used = j->in.ip.seed;
}

static void handle_cmd(cn_jam *j, const cn_jam_cmd *c) {
    switch (c->type) {
    case JAM_CMD_NOTE:
        hist_add(j, c->beat, c->on, c->pitch, c->vel, 0);
        if (j->in.rebuild_pos < 0 && j->in.stream) hear(j, c->beat, c->on, c->pitch, c->vel);
        break;
    case JAM_CMD_RESPOND:
        j->in.igen = c->gen;
        j->in.resp_state = 1;
        j->in.resp_start = c->beat;
        j->in.resp_end = c->beat + c->len;
        break;
    case JAM_CMD_CANCEL:
        j->in.igen = c->gen;
        j->in.resp_state = 0;
        rollback(j, c->beat);
        break;
    case JAM_CMD_REGENERATE:
        /* the context as it was at the end of the call: our notes since are taken back */
        j->in.igen = c->gen;
        rollback(j, c->call_end);
        j->in.regen_count++;
        reseed(j);
        j->in.resp_state = 1;
        j->in.resp_start = c->beat;
        j->in.resp_end = c->beat + c->len;
        break;
    case JAM_CMD_PARAMS: {
        int first = !j->in.have_ip;
        uint32_t old_seed = j->in.ip.seed;
        j->in.ip = c->params;
        j->in.have_ip = 1;
        if (first || old_seed != j->in.ip.seed) reseed(j);
        if (j->in.ip.mode != CN_MODE_CALL_RESPONSE) j->in.resp_state = 0;
        break;
    }
    }
}

/* ---- generation ---- */
static cn_sample_opts sample_opts(const cn_jam *j) {
    cn_sample_opts o = cn_sample_defaults();
    o.temperature = j->in.ip.temperature;
    o.top_p = j->in.ip.top_p > 0.01f ? j->in.ip.top_p : 0.01f;
    o.max_run = j->in.ip.max_run;   /* the repetition guard (0 off; default 4) */
    return o;
}

static int sample_token(cn_jam *j) {
    float *lg = j->in.logits;
    if (j->in.same_step >= JAM_MAX_SAME_STEP) {   /* too much at one instant: time must move */
        for (int t = 0; t < CN_EV_SHIFT; t++) lg[t] = MASKED;
        for (int t = CN_EV_VEL; t < j->in.V; t++) lg[t] = MASKED;
    } else if (j->in.resp_state == 2 && j->in.resp_notes == 0) {
        /* an answer begins when it is due: no waiting (the silence was the call's end) */
        for (int t = CN_EV_SHIFT; t < CN_EV_VEL; t++) lg[t] = MASKED;
    }
    for (int p = 0; p < 128; p++) {
        if (j->in.open_on[p] >= 0 || j->in.n_open >= JAM_MAX_POLY) lg[CN_EV_NOTE_ON + p] = MASKED;
        if (j->in.open_on[p] < 0) lg[CN_EV_NOTE_OFF + p] = MASKED;   /* only what sounds can end */
    }
    cn_jam_steer(j, lg, CN_EV_NOTE_ON);
    cn_sample_opts o = sample_opts(j);
    j->in.logits_ok = 0;
    return cn_sample(lg, j->in.V, &o, NULL, j->in.recent, j->in.n_recent, &j->in.rng, j->in.scratch);
}

static void play_token(cn_jam *j, int tok) {
    if (tok >= CN_EV_SHIFT && tok < CN_EV_VEL) {
        int64_t n = tok - CN_EV_SHIFT + 1, end = beat_step(j->in.resp_end);
        int finishing = 0;
        if (j->in.ip.mode == CN_MODE_CALL_RESPONSE && j->in.cur + n >= end) { n = end - j->in.cur; finishing = 1; }
        if (n > 0) { feed_tok(j, CN_EV_SHIFT + (int)n - 1); j->in.cur += n; j->in.same_step = 0; }
        int64_t max_len = (int64_t)(JAM_GEN_NOTE_BEATS * GRID);
        for (int p = 0; p < 128; p++)
            if (j->in.open_on[p] >= 0 && (finishing || j->in.cur - j->in.open_on[p] >= max_len)) close_note(j, p);
        if (finishing) j->in.resp_state = 0;
        return;
    }
    j->in.same_step++;
    if (tok >= CN_EV_VEL) { j->in.vel_bin = tok - CN_EV_VEL; feed_tok(j, tok); return; }
    cn_ev_decoder d;
    cn_ev_decoder_init(&d, step_beat(j->in.cur));
    if (j->in.vel_bin >= 0) d.velocity = cn_ev_bin_vel(j->in.vel_bin);
    cn_ev_note_event ev;
    if (cn_ev_decoder_feed(&d, tok, &ev) && ev.pitch >= 0 && ev.pitch < 128) {
        int p = ev.pitch;
        if (ev.on && j->in.open_on[p] < 0) {
            int vel = ev.velocity < 1 ? 1 : ev.velocity > 127 ? 127 : ev.velocity;
            out_event(j, step_beat(j->in.cur), 1, p, vel);
            j->in.resp_notes++;
            j->in.open_on[p] = j->in.cur;
            j->in.n_open++;
        } else if (!ev.on && j->in.open_on[p] >= 0) {
            out_event(j, step_beat(j->in.cur), 0, p, 0);
            j->in.open_on[p] = -1;
            j->in.n_open--;
        }
    }
    feed_tok(j, tok);
}

/* Time moves to target in the model's encoding. */
static void time_to(cn_jam *j, int64_t target) {
    if (j->in.is_note) cn_jam_nt_advance(j, target);
    else shift_to(j, target);
}

static double now_beat(const cn_jam *j) {
    return cn_jam_bitsd(atomic_load_explicit(&((cn_jam *)j)->sh.now_bits, memory_order_acquire));
}

/* One unit of generation, when one is due. 1 if something was queued. */
static int generate(cn_jam *j) {
    if (!j->in.stream || !j->in.have_ip) return 0;
    if (cn_spsc_count(&j->sh.ev_q) > JAM_EV_CAP - 4 * JAM_MAX_POLY) return 0;   /* RT is behind */
    double now = now_beat(j);
    int64_t now_s = (int64_t)floor(now * GRID);
    int64_t ahead;
    if (j->in.ip.mode == CN_MODE_CALL_RESPONSE) {
        if (j->in.resp_state == 1) {
            if (now < j->in.resp_start - JAM_CR_LEAD_BEATS) return 0;
            /* on the grid, never before the silence is complete */
            time_to(j, (int64_t)ceil(j->in.resp_start * GRID - 1e-9));
            j->in.resp_state = 2;
            j->in.resp_notes = 0;
            return 1;
        }
        if (j->in.resp_state != 2) return 0;
        if (j->in.cur >= beat_step(j->in.resp_end)) { j->in.resp_state = 0; return 0; }
        ahead = (int64_t)(JAM_CR_AHEAD_BEATS * GRID);
    } else if (j->in.ip.mode == CN_MODE_CONTINUOUS) {
        if (!atomic_load_explicit(&j->sh.playing, memory_order_relaxed)) return 0;
        if (j->in.cur < now_s) { time_to(j, now_s + 2); return 1; }   /* fell behind: catch up */
        ahead = (int64_t)(JAM_CONT_AHEAD_BEATS * GRID);
    } else {
        return 0;
    }
    if (j->in.cur >= now_s + ahead) return 0;
    if (j->in.is_note && cn_nt_player_controls_due(&j->in.nt)) { cn_jam_nt_advance(j, j->in.cur); return 1; }
    if (!j->in.logits_ok) {   /* nothing heard yet to predict from: a velocity token starts it */
        int bin = cn_ev_vel_bin(80);
        if (j->in.is_note) { cn_nt_note n; cn_nt_player_feed(&j->in.nt, CN_NT_VEL + bin, &n); }
        feed_tok(j, (j->in.is_note ? CN_NT_VEL : CN_EV_VEL) + bin);
        j->in.vel_bin = bin;
        return 1;
    }
    if (j->in.is_note) {
        cn_sample_opts o = sample_opts(j);
        int tok = cn_jam_nt_sample(j, &o, j->in.resp_state == 2 && j->in.resp_notes == 0);
        cn_jam_nt_play(j, tok);
    } else {
        play_token(j, sample_token(j));
    }
    return 1;
}

static void publish_wake(cn_jam *j) {
    double wake = INFINITY;
    if (j->in.n_feed > j->in.feed_pos || j->in.rebuild_pos >= 0) wake = -INFINITY;
    else if (j->in.is_note && j->in.n_heard > 0 && j->in.heard[0].end >= 0) wake = -INFINITY;
    else if (j->in.stream && j->in.have_ip) {
        if (j->in.ip.mode == CN_MODE_CALL_RESPONSE) {
            if (j->in.resp_state == 1) wake = j->in.resp_start - JAM_CR_LEAD_BEATS;
            else if (j->in.resp_state == 2) wake = step_beat(j->in.cur) - JAM_CR_AHEAD_BEATS;
        } else if (j->in.ip.mode == CN_MODE_CONTINUOUS) {
            wake = step_beat(j->in.cur) - JAM_CONT_AHEAD_BEATS;
        }
    }
    atomic_store_explicit(&j->sh.wake_bits, cn_jam_dbits(wake), memory_order_release);
}

int cn_jam_work(cn_jam *j, int max_steps) {
    int steps = 0;
    for (int guard = 0; steps < max_steps && guard < 4 * max_steps + 64; guard++) {
        if (j->in.n_feed > j->in.feed_pos) {
            if (j->in.stream) { step_one(j); steps++; }
            else j->in.n_feed = j->in.feed_pos = 0;
            continue;
        }
        if (j->in.is_note && j->in.stream && cn_jam_nt_flush_one(j)) continue;
        cn_jam_cmd c;
        if (cn_spsc_pop(&j->sh.cmd_q, &c)) { handle_cmd(j, &c); continue; }
        if (j->in.rebuild_pos >= 0) {
            if (j->in.rebuild_pos < j->in.hist_n && j->in.stream) {
                const cn_jam_hist *h = hist_at(j, j->in.rebuild_pos++);
                hear(j, h->beat, h->on, h->pitch, h->vel);
            } else {
                j->in.rebuild_pos = -1;
            }
            continue;
        }
        if (!generate(j)) break;
    }
    publish_wake(j);
    return steps;
}

/* The conditioning a model honours, as CN_JAM_COND_* bits: note models take the key and the
 * density as their KEY and DENS controls (jam_note.c); event models have none. */
static int model_conditions(const cn_model *m) {
    return m->encoding == CN_ENC_NOTE ? CN_JAM_COND_KEY | CN_JAM_COND_DENSITY : 0;
}

int cn_jam_swap_model(cn_jam *j, cn_model *m, cn_model **old, char *err, size_t errlen) {
    if (old) *old = NULL;
    cn_stream *s = NULL;
    void *scratch = NULL;
    float *logits = NULL;
    if (m) {
        if (m->encoding != CN_ENC_EVENT && m->encoding != CN_ENC_NOTE) {
            snprintf(err, errlen, "the model is %s-encoded: its tokens carry no timing, so it cannot play live; "
                     "use an event- or note-encoded model", cn_encoding_name(m->encoding));
            return -1;
        }
        int want = m->encoding == CN_ENC_NOTE ? CN_NT_VOCAB : CN_EV_VOCAB;
        if (m->vocab != want) {
            snprintf(err, errlen, "the model's vocabulary has %d tokens, not the %s vocabulary's %d",
                     m->vocab, cn_encoding_name(m->encoding), want);
            return -1;
        }
        s = cn_stream_new(m, cn_stream_exact_format(m));   /* float16 when it changes nothing */
        scratch = malloc(cn_sample_scratch_bytes(m->vocab));
        logits = malloc((size_t)m->vocab * sizeof *logits);
        if (!s || !scratch || !logits) {
            cn_stream_free(s); free(scratch); free(logits);
            snprintf(err, errlen, "out of memory for the model's stream");
            return -1;
        }
    }
    cn_model *prev = j->in.model;
    cn_stream_free(j->in.stream);
    free(j->in.scratch);
    free(j->in.logits);
    j->in.model = m; j->in.stream = s; j->in.scratch = scratch; j->in.logits = logits;
    j->in.V = m ? m->vocab : 0;
    j->in.is_note = m && m->encoding == CN_ENC_NOTE;
    start_rebuild(j);   /* the new model hears the recent past before it plays */
    atomic_store_explicit(&j->sh.conditions, m ? model_conditions(m) : 0, memory_order_relaxed);
    atomic_store_explicit(&j->sh.key, -1, memory_order_relaxed);   /* until the new model is given one */
    atomic_store_explicit(&j->sh.call_key, -1, memory_order_relaxed);
    if (prev) atomic_store_explicit(&j->sh.swap_panic, 1, memory_order_release);
    if (old) *old = prev;
    else cn_model_free(prev);
    publish_wake(j);
    return 0;
}
