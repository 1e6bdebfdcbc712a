/* jam.c: the live engine's real-time half, plus creation, freeing and parameters.
 * cn_jam_run turns the player's MIDI into note commands for the inference half, decides when
 * a call has ended, and plays the generated notes that fall in the segment at their exact
 * frame. It never allocates, locks, waits or logs; every loop is bounded by a queue or a
 * fixed table. The inference half is in jam_infer.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "jam_internal.h"
#include "midi.h"

/* cn_jam_params_default and cn_jam_params_clamp come from the control table (jam_controls.c). */

/* Write every page now, so that the RT thread never takes the page fault of a first touch
 * (calloc's zero pages are mapped lazily). Volatile: the writes must not be optimised away. */
static void prefault(void *p, size_t n) {
    volatile unsigned char *b = p;
    for (size_t i = 0; i < n; i += 4096) b[i] = 0;
    if (n) b[n - 1] = 0;
}

cn_jam *cn_jam_new(void) {
    cn_jam *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->sh.cmd_buf = calloc(JAM_CMD_CAP, sizeof(cn_jam_cmd));
    j->sh.ev_buf = calloc(JAM_EV_CAP, sizeof(cn_jam_ev));
    if (!j->sh.cmd_buf || !j->sh.ev_buf) { free(j->sh.cmd_buf); free(j->sh.ev_buf); free(j); return NULL; }
    prefault(j, sizeof *j);
    prefault(j->sh.cmd_buf, JAM_CMD_CAP * sizeof(cn_jam_cmd));
    prefault(j->sh.ev_buf, JAM_EV_CAP * sizeof(cn_jam_ev));
    cn_spsc_init(&j->sh.cmd_q, j->sh.cmd_buf, JAM_CMD_CAP, sizeof(cn_jam_cmd));
    cn_spsc_init(&j->sh.ev_q, j->sh.ev_buf, JAM_EV_CAP, sizeof(cn_jam_ev));
    atomic_init(&j->sh.now_bits, cn_jam_dbits(0.0));
    atomic_init(&j->sh.playing, 1);
    atomic_init(&j->sh.wake_bits, cn_jam_dbits(INFINITY));
    atomic_init(&j->sh.swap_panic, 0);
    atomic_init(&j->sh.conditions, 0);
    atomic_init(&j->sh.key, -1);
    atomic_init(&j->sh.call_key, -1);
    j->rt.view.key = j->rt.view.call_key = -1;
    cn_jam_params_default(&j->rt.params);
    cn_hostclock_init(&j->rt.hc);
    cn_jam_infer_init(&j->in);
    /* the inference side learns the parameters through the queue, like every later change */
    cn_jam_cmd c; memset(&c, 0, sizeof c);
    c.type = JAM_CMD_PARAMS; c.params = j->rt.params;
    cn_spsc_push(&j->sh.cmd_q, &c);
    return j;
}

void cn_jam_free(cn_jam *j) {
    if (!j) return;
    cn_jam_infer_free(j);
    free(j->sh.cmd_buf); free(j->sh.ev_buf);
    free(j);
}

uint32_t cn_jam_latency(const cn_jam *j) { (void)j; return 0; }

int cn_jam_model_conditions(const cn_jam *j) {
    return atomic_load_explicit(&((cn_jam *)j)->sh.conditions, memory_order_relaxed);
}

int cn_jam_wants_work(const cn_jam *j) {
    cn_jam *m = (cn_jam *)j;   /* the count only reads the atomics */
    if (cn_spsc_count(&m->sh.cmd_q) > 0) return 1;
    double now = cn_jam_bitsd(atomic_load_explicit(&m->sh.now_bits, memory_order_relaxed));
    double wake = cn_jam_bitsd(atomic_load_explicit(&m->sh.wake_bits, memory_order_acquire));
    return now >= wake;
}

/* ---- output helpers ---- */
typedef struct {
    cn_midi_msg *out; int max, n;
    uint32_t lo, hi;        /* the segment's frames [lo, hi) */
    uint32_t last;          /* frames never go backwards */
    double beat0, fpb;      /* engine beat at frame lo, frames per beat */
} jam_out;

static int emit(jam_out *o, uint32_t frame, int size, uint8_t a, uint8_t b, uint8_t c) {
    if (o->n >= o->max || o->hi <= o->lo) return 0;
    if (frame < o->last) frame = o->last;
    if (frame >= o->hi) frame = o->hi - 1;
    o->last = frame;
    cn_midi_msg *m = &o->out[o->n++];
    m->frame = frame; m->size = (uint8_t)size; m->data[0] = a; m->data[1] = b; m->data[2] = c;
    return 1;
}

/* Room left after keeping enough for a note-off per held note and a CC123. */
static int spare(const cn_jam *j, const jam_out *o) { return o->max - o->n - j->rt.n_held_out - 1; }

static void held_add(cn_jam *j, int pitch, int ch, double beat) {
    cn_jam_held *h = &j->rt.held_out[pitch];
    if (!h->on) { j->rt.held_list[j->rt.n_held_out++] = (uint8_t)pitch; h->on = 1; }
    h->ch = (uint8_t)ch; h->since = beat;
}
static void held_remove(cn_jam *j, int pitch) {
    if (!j->rt.held_out[pitch].on) return;
    j->rt.held_out[pitch].on = 0;
    for (int i = 0; i < j->rt.n_held_out; i++)
        if (j->rt.held_list[i] == pitch) { j->rt.held_list[i] = j->rt.held_list[--j->rt.n_held_out]; break; }
}

static int note_off_out(cn_jam *j, jam_out *o, uint32_t frame, int pitch) {
    const cn_jam_held *h = &j->rt.held_out[pitch];
    if (!h->on) return 1;
    if (!emit(o, frame, 3, (uint8_t)(0x80 | h->ch), (uint8_t)pitch, 0)) return 0;
    held_remove(j, pitch);
    cn_jam_view_off(j, 1, o->beat0 + (double)(frame - o->lo) / o->fpb, pitch);
    return 1;
}

static void all_notes_off(cn_jam *j, jam_out *o, uint32_t frame) {
    while (j->rt.n_held_out > 0)
        if (!note_off_out(j, o, frame, j->rt.held_list[j->rt.n_held_out - 1])) {
            /* no room: the notes are forgotten rather than left to hang on the next run;
             * the CC123 that follows a panic (when there is room) covers them */
            held_remove(j, j->rt.held_list[j->rt.n_held_out - 1]);
        }
}

static void push_cmd(cn_jam *j, int type, double beat, double len, int on, int pitch, int vel) {
    cn_jam_cmd c; memset(&c, 0, sizeof c);
    c.type = type; c.gen = j->rt.gen; c.beat = beat; c.len = len;
    c.on = (uint8_t)on; c.pitch = (uint8_t)pitch; c.vel = (uint8_t)vel;
    cn_spsc_push(&j->sh.cmd_q, &c);   /* a full queue drops it: the inference side is far behind */
}

/* Stop whatever the engine plays or is about to play: note-offs now, stale events dropped. */
static void cancel(cn_jam *j, jam_out *o, uint32_t frame, double beat) {
    all_notes_off(j, o, frame);
    j->rt.gen++;
    j->rt.answer = 0;
    j->rt.have_ev = 0;
    push_cmd(j, JAM_CMD_CANCEL, beat, 0, 0, 0, 0);
}

/* The notes thru passed on are the player's, but a panic ends them too: a note-off each
 * while there is room, then CC123 on each of their channels (which covers the rest). */
static void thru_notes_off(cn_jam *j, jam_out *o, uint32_t frame) {
    for (int ch = 0; ch < 16 && j->rt.n_thru_held > 0; ch++) {
        int had = 0;
        for (int p = 0; p < 128; p++) {
            if (!j->rt.thru_held[ch][p]) continue;
            had = 1;
            emit(o, frame, 3, (uint8_t)(0x80 | ch), (uint8_t)p, 0);
            j->rt.n_thru_held -= j->rt.thru_held[ch][p];
            j->rt.thru_held[ch][p] = 0;
        }
        if (had && ch != j->rt.params.channel_out - 1) emit(o, frame, 3, (uint8_t)(0xB0 | ch), 123, 0);
    }
    j->rt.n_thru_held = 0;
}

/* The panic's echoes (below) end again the notes it ended: remember them (RT thread). */
static void echo_note(cn_jam *j, int ch, int pitch) {
    if (!j->rt.echo_off[ch][pitch]) { j->rt.echo_off[ch][pitch] = 1; j->rt.n_echo_off++; }
}
static void echo_remember(cn_jam *j) {
    for (int i = 0; i < j->rt.n_held_out; i++) {
        int p = j->rt.held_list[i];
        echo_note(j, j->rt.held_out[p].ch & 15, p);
    }
    for (int ch = 0; ch < 16 && j->rt.n_thru_held > 0; ch++)
        for (int p = 0; p < 128; p++)
            if (j->rt.thru_held[ch][p]) echo_note(j, ch, p);
}
/* A note-on of the key went out after the panic: an echo must not end that new note. */
static void echo_forget(cn_jam *j, int ch, int pitch) {
    if (j->rt.echo_off[ch][pitch]) { j->rt.echo_off[ch][pitch] = 0; j->rt.n_echo_off--; }
}
static void echo_offs(cn_jam *j, jam_out *o, uint32_t frame) {
    for (int ch = 0, left = j->rt.n_echo_off; ch < 16 && left > 0; ch++)
        for (int p = 0; p < 128 && left > 0; p++)
            if (j->rt.echo_off[ch][p]) { left--; emit(o, frame, 3, (uint8_t)(0x80 | ch), (uint8_t)p, 0); }
}

static void panic_out(cn_jam *j, jam_out *o, uint32_t frame, double beat) {
    echo_remember(j);
    cancel(j, o, frame, beat);
    thru_notes_off(j, o, frame);
    emit(o, frame, 3, (uint8_t)(0xB0 | (j->rt.params.channel_out - 1)), 123, 0);
    j->rt.call_active = 0;
    j->rt.panic_echo = JAM_PANIC_ECHO;
}

/* The next blocks after a panic open with its note-offs and CC123 again (a block a host drops
 * under load would lose them; a synth that ignores All Notes Off needs the note-offs). Only
 * at a block's start: a front end that runs a block in segments passes offset 0 once. */
static void panic_echo(cn_jam *j, const cn_jam_time *t, jam_out *o) {
    if (t->offset != 0 || j->rt.panic_echo <= 0) return;
    echo_offs(j, o, o->lo);
    emit(o, o->lo, 3, (uint8_t)(0xB0 | (j->rt.params.channel_out - 1)), 123, 0);
    if (--j->rt.panic_echo == 0 && j->rt.n_echo_off > 0) {
        memset(j->rt.echo_off, 0, sizeof j->rt.echo_off);
        j->rt.n_echo_off = 0;
    }
}

void cn_jam_set_params(cn_jam *j, const cn_jam_params *p) {
    cn_jam_params n = *p;
    cn_jam_params_clamp(&n);
    if (memcmp(&n, &j->rt.params, sizeof n) == 0) return;
    if (n.mode != j->rt.params.mode) {
        j->rt.pending_panic = 1; j->rt.call_active = 0; j->rt.answer = 0; j->rt.have_call = 0;
        cn_jam_view_clear(j);   /* the picture shows the new mode's exchange */
    }
    else if (n.regenerate != j->rt.params.regenerate) j->rt.pending_regen = 1;
    j->rt.params = n;
    cn_jam_cmd c; memset(&c, 0, sizeof c);
    c.type = JAM_CMD_PARAMS; c.params = n;
    cn_spsc_push(&j->sh.cmd_q, &c);
}

int cn_jam_panic(cn_jam *j, uint32_t frame, cn_midi_msg *out, int max_out) {
    jam_out o = { out, max_out, 0, frame, frame + 1, frame, j->rt.beat, 1.0 };
    if (j->rt.panic_echo > 0) echo_offs(j, &o, frame);   /* a panic again: the last one's offs too */
    panic_out(j, &o, frame, j->rt.beat);
    return o.n;
}

/* ---- generated events ---- */
static int next_event(cn_jam *j) {
    while (!j->rt.have_ev) {
        if (!cn_spsc_pop(&j->sh.ev_q, &j->rt.ev)) return 0;
        if (j->rt.ev.gen == j->rt.gen) j->rt.have_ev = 1;   /* else stale: made before a cancel */
    }
    return 1;
}

static double frame_of(const jam_out *o, double beat) {
    return floor((beat - o->beat0) * o->fpb + 0.5);
}

/* Play every generated event and every over-long note's end that falls before `limit`
 * (a frame within the segment), in time order. */
static void advance(cn_jam *j, jam_out *o, uint32_t limit) {
    double rel_limit = (double)(limit - o->lo);
    for (;;) {
        double fe = INFINITY, fx = INFINITY;
        int xp = -1;
        if (next_event(j)) fe = frame_of(o, j->rt.ev.beat);
        for (int i = 0; i < j->rt.n_held_out; i++) {
            int p = j->rt.held_list[i];
            double f = frame_of(o, j->rt.held_out[p].since + JAM_RT_NOTE_BEATS);
            if (f < fx) { fx = f; xp = p; }
        }
        if (xp >= 0 && fx <= fe && fx < rel_limit) {
            uint32_t fr = o->lo + (uint32_t)(fx < 0 ? 0 : fx);
            if (!note_off_out(j, o, fr, xp)) return;
            continue;
        }
        if (!(fe < rel_limit)) return;
        uint32_t fr = o->lo + (uint32_t)(fe < 0 ? 0 : fe);
        const cn_jam_ev *e = &j->rt.ev;
        if (e->on) {
            if (o->beat0 - e->beat > JAM_LATE_BEATS) { j->rt.have_ev = 0; continue; }   /* too late */
            if (spare(j, o) < 2) return;   /* keep room for note-offs; play it next segment */
            if (j->rt.held_out[e->pitch].on && !note_off_out(j, o, fr, e->pitch)) return;
            int ch = j->rt.params.channel_out - 1;
            if (!emit(o, fr, 3, (uint8_t)(0x90 | ch), e->pitch, e->vel ? e->vel : 1)) return;
            held_add(j, e->pitch, ch, e->beat > o->beat0 ? e->beat : o->beat0);
            echo_forget(j, ch, e->pitch);
            cn_jam_view_on(j, 1, e->beat > o->beat0 ? e->beat : o->beat0, e->pitch, e->vel);
        } else if (!note_off_out(j, o, fr, e->pitch)) {
            return;
        }
        j->rt.have_ev = 0;
    }
}

/* ---- the player's MIDI ---- */
static int channel_ok(const cn_jam *j, int ch) { return j->rt.params.channel_in == 0 || j->rt.params.channel_in == ch + 1; }

/* Thru: only well-formed messages; a note-off is passed even when the room kept for the
 * engine's own note-offs is reached (it ends a note, never starts one). What it passes is
 * counted, so that a panic can end it. */
static void pass_on(cn_jam *j, jam_out *o, const cn_midi_msg *m, uint32_t frame) {
    if (m->size > 3 || !cn_midi_msg_ok(m->data, m->size)) return;
    int st = m->data[0] & 0xF0, ch = m->data[0] & 0x0F;
    int on = st == 0x90 && m->data[2] > 0, off = st == 0x80 || (st == 0x90 && m->data[2] == 0);
    if (off ? o->n >= o->max : spare(j, o) < 1) return;
    if (!emit(o, frame, m->size, m->data[0], m->size > 1 ? m->data[1] : 0, m->size > 2 ? m->data[2] : 0)) return;
    uint8_t *h = &j->rt.thru_held[ch][m->data[1] & 0x7F];
    if (on && *h < 255) { (*h)++; j->rt.n_thru_held++; echo_forget(j, ch, m->data[1] & 0x7F); }
    if (off && *h > 0) { (*h)--; j->rt.n_thru_held--; }
}

static double quantize_start(const cn_jam *j, double start, double beats_per_bar) {
    double h = start + j->rt.phase;   /* in host beats: the grid is the host's */
    if (j->rt.params.quantize == CN_QUANT_BEAT) h = ceil(h - 1e-9);
    else if (j->rt.params.quantize == CN_QUANT_BAR) {
        double bpb = beats_per_bar > 0 && beats_per_bar < 64 ? beats_per_bar : 4.0;
        h = ceil((h - 1e-9) / bpb) * bpb;
    } else return start;
    return h - j->rt.phase;
}

static void player_note(cn_jam *j, jam_out *o, uint32_t frame, double beat, int ch, int pitch, int vel, int on,
                        double beats_per_bar) {
    uint8_t *held = &j->rt.held_in[ch][pitch];
    int mode = j->rt.params.mode;
    if (on) {
        /* a key is down or up, never down twice: a note-on of a key already down (its note-off
         * lost, e.g. in a cycle a loaded JACK server dropped) must not leave a count that the
         * next note-off cannot clear, or no call would ever end again */
        if (!*held) { *held = 1; j->rt.n_held_in++; }
        if (mode == CN_MODE_CALL_RESPONSE) {
            if (j->rt.answer) {
                /* playing again before the answer began continues the call; after, starts a new one */
                if (beat >= j->rt.answer_start) j->rt.call_active = 0;
                cancel(j, o, frame, beat);
            }
            if (!j->rt.call_active) { j->rt.call_active = 1; j->rt.call_start = beat; cn_jam_view_clear(j); }
        }
        cn_jam_view_on(j, 0, beat, pitch, vel);
    } else {
        if (*held == 0) return;   /* a key we never saw go down */
        *held = 0; j->rt.n_held_in--;
        cn_jam_view_off(j, 0, beat, pitch);
    }
    push_cmd(j, JAM_CMD_NOTE, beat, 0, on, pitch, vel);
    if (!on && mode == CN_MODE_CALL_RESPONSE && j->rt.n_held_in == 0 && j->rt.call_active && !j->rt.answer) {
        double len = beat - j->rt.call_start;
        if (len < 1.0) len = 1.0;
        if (len > j->rt.params.response_beats) len = j->rt.params.response_beats;
        double start = quantize_start(j, beat + j->rt.params.silence_beats, beats_per_bar);
        j->rt.answer = 1; j->rt.answer_start = start; j->rt.answer_end = start + len;
        j->rt.have_call = 1; j->rt.call_end = beat; j->rt.call_len = len;
        push_cmd(j, JAM_CMD_RESPOND, start, len, 0, 0, 0);
    }
}

static void player_msg(cn_jam *j, jam_out *o, const cn_midi_msg *m, uint32_t frame, double beat,
                       double beats_per_bar) {
    if (m->size < 1) return;
    int st = m->data[0] & 0xF0, ch = m->data[0] & 0x0F;
    int mode = j->rt.params.mode;
    if (st == 0xB0 && m->size >= 3 && (m->data[1] == 123 || m->data[1] == 120) && channel_ok(j, ch)) {
        panic_out(j, o, frame, beat);
        for (int p = 0; p < 128; p++) { j->rt.n_held_in -= j->rt.held_in[ch][p]; j->rt.held_in[ch][p] = 0; }
        emit(o, frame, 3, m->data[0], m->data[1], m->data[2]);   /* the player's panic goes on */
        return;
    }
    int is_note = (st == 0x90 || st == 0x80) && m->size >= 3 && m->data[1] < 128;
    if (mode == CN_MODE_OFF || j->rt.params.thru) pass_on(j, o, m, frame);
    if (mode == CN_MODE_OFF || !is_note || !channel_ok(j, ch)) return;
    int on = st == 0x90 && m->data[2] > 0;
    player_note(j, o, frame, beat, ch, m->data[1] & 0x7F, m->data[2] & 0x7F, on, beats_per_bar);
}

static double finite_or(double v, double def) { return isfinite(v) ? v : def; }

/* Follow the host's clock over the segment to come: take its report, cancel on a relocation,
 * panic on a stop, and keep the engine beat locked to the host beat. */
static void follow_host(cn_jam *j, const cn_jam_time *t, jam_out *o) {
    int flags = t->pos ? cn_hostclock_report(&j->rt.hc, t->pos) : 0;
    if (!j->rt.hc.valid) return;
    if (!j->rt.started) { j->rt.started = 1; j->rt.beat = j->rt.hc.beat; j->rt.phase = 0; return; }
    /* (the host beat may start anywhere: from here on phase stays a whole number of steps) */
    if (flags & CN_HC_STOPPED) panic_out(j, o, o->lo, j->rt.beat);   /* transport stop */
    if (!j->rt.hc.rolling) return;
    if (flags & CN_HC_RELOCATED) cancel(j, o, o->lo, j->rt.beat);   /* what was scheduled is now wrong */
    if (flags & (CN_HC_RELOCATED | CN_HC_REANCHORED | CN_HC_STARTED)) {
        /* a whole number of grid steps, rounded so the engine beat only moves on: the
         * engine's 1/GRID-beat grid (where the model places notes) is then the host's */
        j->rt.phase = floor((j->rt.hc.beat - j->rt.beat) * CN_EV_GRID) / CN_EV_GRID;
    }
    /* the slewed host beat, in engine beats: the engine runs at the host's real pace, also
     * when it is a little off its stated tempo (a step back of a few frames is harmless: what
     * was played is gone from the queue, and frames within a segment never go back) */
    j->rt.beat = j->rt.hc.beat - j->rt.phase;
}

/* The regenerate trigger: whatever plays stops, and the last call is answered again from the
 * context at its end, with a fresh random stream (the inference side rolls back its own notes
 * since the call's end and draws a new stream). Ignored while the player holds a key, outside
 * call and response, or before any call. */
static void regenerate(cn_jam *j, jam_out *o, double bpb) {
    if (j->rt.params.mode != CN_MODE_CALL_RESPONSE || !j->rt.have_call || j->rt.n_held_in > 0) return;
    cancel(j, o, o->lo, j->rt.beat);
    double start = quantize_start(j, j->rt.beat + JAM_CR_LEAD_BEATS, bpb);
    j->rt.answer = 1; j->rt.answer_start = start; j->rt.answer_end = start + j->rt.call_len;
    j->rt.call_active = 0;   /* playing now starts a new call */
    j->rt.view.n_answer = 0;  /* the picture keeps the call, with the new answer */
    cn_jam_cmd c; memset(&c, 0, sizeof c);
    c.type = JAM_CMD_REGENERATE; c.gen = j->rt.gen; c.beat = start; c.len = j->rt.call_len; c.call_end = j->rt.call_end;
    cn_spsc_push(&j->sh.cmd_q, &c);
}

int cn_jam_run(cn_jam *j, const cn_jam_time *t, const cn_midi_msg *in, int n_in,
               cn_midi_msg *out, int max_out) {
    if (!t || t->n_frames == 0) return 0;
    if (!out) max_out = 0;
    if (!in) n_in = 0;
    double sr = finite_or(t->sample_rate, 0);
    if (sr < 1000 || sr > 1e6) sr = 48000;
    int host = t->host_time != 0;
    if (!host && j->rt.hc.valid) cn_hostclock_init(&j->rt.hc);   /* the host's clock went away: own tempo */
    jam_out o = { out, max_out, 0, t->offset, t->offset + t->n_frames, t->offset, j->rt.beat, 1.0 };

    panic_echo(j, t, &o);
    if (atomic_exchange_explicit(&j->sh.swap_panic, 0, memory_order_acq_rel) || j->rt.pending_panic) {
        j->rt.pending_panic = 0;
        panic_out(j, &o, o.lo, j->rt.beat);
    }
    if (host) follow_host(j, t, &o);
    j->rt.started = 1;
    host = host && j->rt.hc.valid;
    double bpm = host && j->rt.hc.bpm >= 1 ? j->rt.hc.bpm : (double)j->rt.params.bpm;
    int rolling = host ? j->rt.hc.rolling : 1;
    double bpb = host ? j->rt.hc.beats_per_bar : 4.0;
    double fpb = sr * 60.0 / bpm;
    o.beat0 = j->rt.beat; o.fpb = fpb;
    atomic_store_explicit(&j->sh.playing, !host || rolling, memory_order_relaxed);

    if (j->rt.pending_regen) { j->rt.pending_regen = 0; regenerate(j, &o, bpb); }

    /* answers end by themselves; a call after that is a new one */
    if (j->rt.answer && j->rt.beat >= j->rt.answer_end) { j->rt.answer = 0; j->rt.call_active = 0; }

    for (int i = 0; i < n_in; i++) {
        uint32_t f = in[i].frame;
        if (f < o.lo) f = o.lo;
        if (f >= o.hi) f = o.hi - 1;
        advance(j, &o, f);
        player_msg(j, &o, &in[i], f, j->rt.beat + (double)(f - o.lo) / fpb, bpb);
    }
    advance(j, &o, o.hi);

    j->rt.beat += (double)t->n_frames / fpb;
    if (host) cn_hostclock_advance(&j->rt.hc, t->n_frames, sr);
    atomic_store_explicit(&j->sh.now_bits, cn_jam_dbits(j->rt.beat), memory_order_release);
    cn_jam_view_tick(j);
    return o.n;
}
