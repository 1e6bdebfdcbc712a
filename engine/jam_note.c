/* jam_note.c: the live engine's inference side for note-encoded models. A note token carries
 * its length, so:
 *   - a heard note enters the model when its length is known: at its release, or once it has
 *     been held JAM_NT_HOLD_BEATS (then with the longest length). Notes enter in the order
 *     they started, so a held bass holds back the melody over it until it is released. In
 *     call and response the call is complete before the answer starts, so the model hears
 *     every call note with its real length; in continuous mode it hears the player late by
 *     the length of each note, at its own cursor (time never goes back).
 *   - a generated note's note-off is scheduled when it starts, and sent when the clock passes it.
 *   - every 4 beats the KEY and DENS controls are fed, from the player's recent notes
 *     (the "call") unless the musician fixed them.
 * Inference side only: never on the RT thread. No allocation here. */
#include <math.h>
#include <string.h>
#include "jam_internal.h"

#define GRID CN_NT_GRID
#define MASKED (-1e9f)

static int64_t beat_step(double b) { return (int64_t)llround(b * GRID); }
static double step_beat(int64_t s) { return (double)s / GRID; }

void cn_jam_nt_reset(cn_jam *j) {
    cn_nt_player_init(&j->in.nt, j->in.cur);
    j->in.n_heard = 0;
    for (int p = 0; p < 128; p++) j->in.gen_end[p] = -1;
}

static void feed(cn_jam *j, int tok) {
    cn_nt_note n;
    cn_nt_player_feed(&j->in.nt, tok, &n);
    cn_jam_feed_tok(j, tok);
}

/* ---- the controls ---- */

/* The player's notes of the last JAM_NT_CALL_BEATS: key (duration-weighted pitch classes)
 * and onsets a beat. */
static void call_controls(cn_jam *j, int *key_tok, int *dens_tok) {
    double now = step_beat(j->in.cur), h[12] = { 0 }, first = INFINITY, last = -INFINITY;
    int n = 0;
    for (int i = 0; i < j->in.hist_n; i++) {
        const cn_jam_hist *e = cn_jam_hist_at(j, i);
        if (e->mine || !e->on || e->beat < now - JAM_NT_CALL_BEATS || e->beat > now + 1e-9) continue;
        double end = now;
        for (int k = i + 1; k < j->in.hist_n; k++) {
            const cn_jam_hist *f = cn_jam_hist_at(j, k);
            if (!f->mine && f->pitch == e->pitch) { end = f->beat; break; }
        }
        double w = end - e->beat;
        h[e->pitch % 12] += w < 0.25 ? 0.25 : w > 4 ? 4 : w;
        if (e->beat < first) first = e->beat;
        if (e->beat > last) last = e->beat;
        n++;
    }
    int tonic, minor;
    *key_tok = n >= 3 && cn_key_detect(h, &tonic, &minor) ? cn_nt_key_token(tonic, minor) : CN_NT_KEY_NONE;
    double span = n ? last - first + 1 : 1;
    *dens_tok = n >= 2 ? CN_NT_DENS + cn_nt_dens_bin(n / (span > 1 ? span : 1)) : CN_NT_DENS_NONE;
}

/* The musician's controls over what the call says: key 0 off, 1 from the call, 2..13 C..B
 * major, 14..25 Cm..Bm; density 0 from the call, else onsets a beat. */
static void feed_controls(cn_jam *j) {
    int key_tok, dens_tok;
    call_controls(j, &key_tok, &dens_tok);
    int heard = key_tok < CN_NT_KEY_NONE ? key_tok - CN_NT_KEY : -1;
    if (j->in.ip.key == 0) key_tok = CN_NT_KEY_NONE;
    else if (j->in.ip.key >= 2 && j->in.ip.key <= 25) key_tok = CN_NT_KEY + (j->in.ip.key - 2);
    if (j->in.ip.density > 0) dens_tok = CN_NT_DENS + cn_nt_dens_bin(j->in.ip.density);
    atomic_store_explicit(&j->sh.key, key_tok < CN_NT_KEY_NONE ? key_tok - CN_NT_KEY : -1, memory_order_relaxed);
    atomic_store_explicit(&j->sh.call_key, heard, memory_order_relaxed);
    feed(j, key_tok);
    feed(j, dens_tok);
}

/* ---- time ---- */

/* Note-offs of generated notes that end by `to`, in time order. */
static void offs_until(cn_jam *j, int64_t to) {
    for (;;) {
        int best = -1;
        for (int p = 0; p < 128; p++)
            if (j->in.gen_end[p] >= 0 && j->in.gen_end[p] <= to && (best < 0 || j->in.gen_end[p] < j->in.gen_end[best])) best = p;
        if (best < 0) return;
        cn_jam_out_event(j, step_beat(j->in.gen_end[best]), 0, best, 0);
        j->in.gen_end[best] = -1;
        j->in.open_on[best] = -1;
        j->in.n_open--;
    }
}

void cn_jam_nt_advance(cn_jam *j, int64_t target) {
    if (target - j->in.cur > 4 * CN_NT_SLOT) {   /* a long gap is heard as four slots */
        offs_until(j, target);
        j->in.cur = target - 4 * CN_NT_SLOT;
        cn_nt_player_jump(&j->in.nt, j->in.cur);
    }
    for (;;) {
        if (cn_nt_player_controls_due(&j->in.nt)) feed_controls(j);
        if (j->in.cur >= target) return;
        int64_t to = target < j->in.nt.next_slot ? target : j->in.nt.next_slot;
        offs_until(j, to);
        feed(j, CN_NT_SHIFT + (int)(to - j->in.cur) - 1);
        j->in.cur = to;
    }
}

/* ---- heard notes ---- */

void cn_jam_nt_hear(cn_jam *j, double beat, int on, int pitch, int vel) {
    if (on) {
        if (j->in.n_heard == JAM_NT_HEARD) {   /* full: the oldest goes in with what it has held */
            if (j->in.heard[0].end < 0) j->in.heard[0].end = beat;
            while (cn_jam_nt_flush_one(j)) {}
        }
        int k = j->in.n_heard++;
        j->in.heard[k].beat = beat; j->in.heard[k].end = -1;
        j->in.heard[k].pitch = (uint8_t)pitch; j->in.heard[k].vel = (uint8_t)vel;
        return;
    }
    for (int k = 0; k < j->in.n_heard; k++)
        if (j->in.heard[k].pitch == pitch && j->in.heard[k].end < 0) { j->in.heard[k].end = beat; break; }
}

/* Encodes the oldest heard note when its length is known. 1 if one went in. */
int cn_jam_nt_flush_one(cn_jam *j) {
    if (j->in.n_heard == 0) return 0;
    double latest = j->in.heard[j->in.n_heard - 1].beat;
    if (j->in.heard[0].end < 0 && latest - j->in.heard[0].beat < JAM_NT_HOLD_BEATS) return 0;
    double start = j->in.heard[0].beat, end = j->in.heard[0].end < 0 ? start + JAM_NT_HOLD_BEATS : j->in.heard[0].end;
    int pitch = j->in.heard[0].pitch, vel = j->in.heard[0].vel;
    memmove(&j->in.heard[0], &j->in.heard[1], (size_t)(j->in.n_heard - 1) * sizeof j->in.heard[0]);
    j->in.n_heard--;
    int64_t at = beat_step(start);
    cn_jam_nt_advance(j, at > j->in.cur ? at : j->in.cur);
    int bin = cn_ev_vel_bin(vel);
    if (bin != j->in.nt.vel_bin) feed(j, CN_NT_VEL + bin);
    feed(j, CN_NT_PITCH + pitch);
    feed(j, CN_NT_DUR + cn_nt_dur_bin(beat_step(end) - at));
    return 1;
}

/* ---- the steer ---- */

/* The pull towards the pitch classes and register of the player's recent notes (the call),
 * as continuo-generate --steer does towards its seed. Inference side, either encoding. */
void cn_jam_steer(cn_jam *j, float *lg, int first_pitch_tok) {
    double now = step_beat(j->in.cur), h[12] = { 0 };
    int lo = 127, hi = 0;
    for (int i = 0; i < j->in.hist_n; i++) {
        const cn_jam_hist *e = cn_jam_hist_at(j, i);
        if (e->mine || !e->on || e->beat < now - JAM_NT_CALL_BEATS) continue;
        h[e->pitch % 12] += 1;
        if (e->pitch < lo) lo = e->pitch;
        if (e->pitch > hi) hi = e->pitch;
    }
    float bias[12];
    cn_steer_bias(h, JAM_STEER, bias);
    if (j->in.is_note) {   /* note models: which notes, not how many (cn_steer_pitches) */
        cn_steer_pitches(lg, first_pitch_tok, bias, lo, hi, JAM_STEER);
    } else {               /* event models: the steer as its ablation measured it */
        cn_steer_apply(lg, first_pitch_tok, bias);
        cn_steer_register(lg, first_pitch_tok, lo, hi, JAM_STEER);
    }
}

/* ---- generated notes ---- */

/* The next token. An instant's onsets are bounded by the player's group cap (CN_NT_MAX_GROUP
 * notes, as offline), not by a count of tokens: at two or three tokens a note (pitch,
 * length, a velocity when it changes) a cap of 12 tokens cut chords at four to six notes. */
int cn_jam_nt_sample(cn_jam *j, const cn_sample_opts *o, int bar_waiting) {
    float *lg = j->in.logits;
    cn_nt_player_mask(&j->in.nt, lg, o->max_run, j->in.n_open >= JAM_MAX_POLY);
    cn_jam_steer(j, lg, CN_NT_PITCH);
    if (bar_waiting && j->in.nt.pending_pitch < 0)   /* an answer begins when it is due */
        for (int t = CN_NT_SHIFT; t < CN_NT_VEL; t++) lg[t] = MASKED;
    j->in.logits_ok = 0;
    cn_sample_opts so = *o;
    if (j->in.nt.pending_pitch >= 0) so.top_p = 1.0f;   /* a length: the whole distribution */
    return cn_sample(lg, CN_NT_VOCAB, &so, NULL, j->in.recent, j->in.n_recent, &j->in.rng, j->in.scratch);
}

/* A sampled token played: a SHIFT moves the clock (and in call and response stops at the
 * answer's end), a DUR starts the note its PITCH named. */
void cn_jam_nt_play(cn_jam *j, int tok) {
    if (tok >= CN_NT_SHIFT && tok < CN_NT_VEL) {
        int64_t n = tok - CN_NT_SHIFT + 1, end = beat_step(j->in.resp_end);
        int finishing = j->in.ip.mode == CN_MODE_CALL_RESPONSE && j->in.cur + n >= end;
        if (finishing) n = end - j->in.cur;
        if (n > 0) cn_jam_nt_advance(j, j->in.cur + n);
        if (finishing) {   /* the answer ends: what still sounds ends with it */
            for (int p = 0; p < 128; p++)
                if (j->in.gen_end[p] > j->in.cur) j->in.gen_end[p] = j->in.cur;
            offs_until(j, j->in.cur);
            j->in.resp_state = 0;
        }
        return;
    }
    cn_nt_note note;
    int made = cn_nt_player_feed(&j->in.nt, tok, &note);
    cn_jam_feed_tok(j, tok);
    if (!made) return;
    int p = note.pitch;
    if (j->in.gen_end[p] >= 0) {   /* struck again while it sounds: the old one ends here */
        cn_jam_out_event(j, step_beat(j->in.cur), 0, p, 0);
        j->in.gen_end[p] = -1; j->in.open_on[p] = -1; j->in.n_open--;
    }
    int64_t dur = note.dur < (int64_t)(JAM_GEN_NOTE_BEATS * GRID) ? note.dur : (int64_t)(JAM_GEN_NOTE_BEATS * GRID);
    cn_jam_out_event(j, step_beat(j->in.cur), 1, p, note.velocity);
    j->in.open_on[p] = j->in.cur;
    j->in.gen_end[p] = j->in.cur + dur;
    j->in.n_open++;
    j->in.resp_notes++;
}
