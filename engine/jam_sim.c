/* jam_sim.c: the live engine on a simulated clock (see jam_sim.h): a song becomes timed MIDI
 * messages, the clock advances block by block through cn_jam_run with the worker run to idle
 * between blocks, and a recorder turns the engine's note-ons and note-offs back into notes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jam_sim.h"

#define SIM_MAX_MSGS 1024   /* messages a block, in and out */

void cn_jam_sim_defaults(cn_jam_sim_opts *o) {
    memset(o, 0, sizeof *o);
    o->bpm = 120; o->beats_per_bar = 4; o->sample_rate = 48000; o->block = 480;
}

/* ---- recording what comes out ---- */
typedef struct { cn_song song; double start[16][128]; int vel[16][128]; int failed; } recorder;

static void rec_off(recorder *r, int ch, int p, double beat) {
    if (r->start[ch][p] < 0) return;
    double dur = beat - r->start[ch][p];
    if (cn_song_add_note(&r->song, r->start[ch][p], dur > 1e-6 ? dur : 1e-6, p, r->vel[ch][p], ch)) r->failed = 1;
    r->start[ch][p] = -1;
}
static void rec_msg(recorder *r, const cn_midi_msg *m, double beat) {
    int st = m->data[0] & 0xF0, ch = m->data[0] & 15, p = m->data[1] & 127;
    if (st == 0x90 && m->data[2] > 0) {
        rec_off(r, ch, p, beat);   /* struck again: the sounding one ends here */
        r->start[ch][p] = beat; r->vel[ch][p] = m->data[2];
    } else if (st == 0x80 || st == 0x90) {
        rec_off(r, ch, p, beat);
    } else if (st == 0xB0 && (m->data[1] == 123 || m->data[1] == 120)) {
        for (int q = 0; q < 128; q++) rec_off(r, ch, q, beat);
    }
}

/* ---- the input as timed messages ---- */
typedef struct { double beat; cn_midi_msg m; } timed_msg;
static int cmp_timed(const void *a, const void *b) {
    const timed_msg *x = a, *y = b;
    if (x->beat != y->beat) return x->beat < y->beat ? -1 : 1;
    /* note-offs before note-ons at the same time, so a repeated note is not cut */
    int xo = (x->m.data[0] & 0xF0) == 0x90, yo = (y->m.data[0] & 0xF0) == 0x90;
    return xo - yo;
}

static timed_msg *song_messages(const cn_song *in, size_t *n_out) {
    size_t n = in->n_notes * 2;
    timed_msg *ev = calloc(n, sizeof *ev);
    if (!ev) return NULL;
    for (size_t i = 0; i < in->n_notes; i++) {
        const cn_note *nt = &in->notes[i];
        timed_msg *a = &ev[2 * i], *b = &ev[2 * i + 1];
        a->beat = nt->start_beat; a->m.size = 3;
        a->m.data[0] = (uint8_t)(0x90 | (nt->channel & 15)); a->m.data[1] = nt->pitch & 127;
        a->m.data[2] = nt->velocity ? nt->velocity & 127 : 64;
        b->beat = nt->start_beat + nt->dur_beat; b->m.size = 3;
        b->m.data[0] = (uint8_t)(0x80 | (nt->channel & 15)); b->m.data[1] = nt->pitch & 127;
    }
    qsort(ev, n, sizeof *ev, cmp_timed);
    *n_out = n;
    return ev;
}

static int fail(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
    return -1;
}

int cn_jam_sim_run(cn_jam *jam, const cn_song *in, const cn_jam_sim_opts *o, cn_song *out,
                   cn_jam_sim_info *info, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!jam || !in || !o) return fail(err, errlen, "nothing to play");
    if (in->n_notes == 0) return fail(err, errlen, "no notes to play");
    if (!(o->bpm >= 1 && o->bpm <= 1000) || !(o->sample_rate >= 1000 && o->sample_rate <= 1e6) ||
        o->block == 0 || o->block > 1u << 20 || !(o->length_beats >= 0 && o->length_beats <= 1e5))
        return fail(err, errlen, "simulated clock: bpm, sample rate, block or length out of range");
    size_t n_ev = 0;
    timed_msg *ev = song_messages(in, &n_ev);
    recorder *r = calloc(1, sizeof *r);
    cn_midi_msg *msg_in = malloc(SIM_MAX_MSGS * sizeof *msg_in), *msg_out = malloc(SIM_MAX_MSGS * sizeof *msg_out);
    if (!ev || !r || !msg_in || !msg_out) {
        free(ev); free(r); free(msg_in); free(msg_out);
        return fail(err, errlen, "out of memory");
    }
    cn_song_init(&r->song);
    if (r->song.tempos) r->song.tempos[0].bpm = o->bpm;
    for (int c = 0; c < 16; c++) for (int q = 0; q < 128; q++) r->start[c][q] = -1;
    double in_end = ev[n_ev - 1].beat, end_beat = in_end + o->length_beats;
    const double fpb = o->sample_rate * 60.0 / o->bpm;
    const uint32_t block = o->block;
    size_t next = 0;
    uint64_t frame = 0, end_frame = (uint64_t)ceil(end_beat * fpb);
    int ons = 0;
    while (frame < end_frame && !(o->stop && *o->stop)) {
        int n_in = 0;
        while (next < n_ev && n_in < SIM_MAX_MSGS && llround(ev[next].beat * fpb) < (long long)(frame + block)) {
            msg_in[n_in] = ev[next].m;
            long long f = llround(ev[next].beat * fpb) - (long long)frame;
            msg_in[n_in].frame = (uint32_t)(f < 0 ? 0 : f);
            if ((msg_in[n_in].data[0] & 0xF0) == 0x90) ons++;
            n_in++; next++;
        }
        cn_jam_time t;
        memset(&t, 0, sizeof t);
        t.n_frames = block; t.sample_rate = o->sample_rate;
        /* the file is the host: its tempo and meter, reported once at the start */
        cn_host_pos hp = cn_host_pos_none();
        hp.has_beat = 1; hp.beat = 0; hp.bpm = o->bpm; hp.beats_per_bar = o->beats_per_bar;
        hp.has_speed = 1; hp.speed = 1; hp.has_frame = 1; hp.frame = 0;
        t.host_time = 1;
        t.pos = frame == 0 ? &hp : NULL;
        int k = cn_jam_run(jam, &t, msg_in, n_in, msg_out, SIM_MAX_MSGS);
        for (int i = 0; i < k; i++) rec_msg(r, &msg_out[i], (double)(frame + msg_out[i].frame) / fpb);
        frame += block;
        while (cn_jam_work(jam, 4096) > 0) {}
    }
    double stop_beat = (double)frame / fpb;
    int k = cn_jam_panic(jam, 0, msg_out, SIM_MAX_MSGS);   /* the end: every held note ends here */
    for (int i = 0; i < k; i++) rec_msg(r, &msg_out[i], stop_beat);
    for (int c = 0; c < 16; c++) for (int q = 0; q < 128; q++) rec_off(r, c, q, stop_beat);
    cn_song_sort(&r->song);
    int failed = r->failed;
    if (failed) cn_song_free(&r->song);
    else *out = r->song;
    if (info) { info->in_note_ons = ons; info->in_end_beat = in_end; info->end_beat = stop_beat; }
    free(ev); free(r); free(msg_in); free(msg_out);
    return failed ? fail(err, errlen, "out of memory") : 0;
}
