/* jam_sim.h: the live engine on a simulated clock. A song is played into a cn_jam as MIDI,
 * block by block (48 kHz, 480-frame blocks of 10 ms), with the inference side run to idle
 * between blocks as if inference were free, and every message that comes out is recorded as
 * a song. It makes exactly the engine calls a live front end makes (cn_jam_run, cn_jam_work,
 * cn_jam_panic), so continuo-live's file mode and the listening yardstick
 * (continuo-eval --listen --live) hear the same engine as the plugin and the JACK client.
 * Not real-time itself (it allocates its buffers and the recording). */
#ifndef CONTINUO_JAM_SIM_H
#define CONTINUO_JAM_SIM_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "jam.h"
#include "midi.h"

typedef struct {
    double bpm;            /* the clock's tempo; the caller sets the jam's params.bpm to it */
    double beats_per_bar;  /* given to the engine (quantize = bar) */
    double length_beats;   /* beats to run after the input's last event */
    double sample_rate;    /* frames a second (default 48000) */
    uint32_t block;        /* frames a block (default 480) */
    const volatile sig_atomic_t *stop;   /* NULL, or a flag (a signal handler's) that ends the run early */
} cn_jam_sim_opts;

typedef struct {
    int in_note_ons;       /* note-ons played into the engine */
    double in_end_beat;    /* the input's last event (its last note-off) */
    double end_beat;       /* where the run stopped: the recording's every note ends by here */
} cn_jam_sim_info;

/* 120 bpm, 4 beats a bar, 48 kHz, 480-frame blocks, length 0, no stop flag. */
void cn_jam_sim_defaults(cn_jam_sim_opts *o);

/* Play in's notes (their start_beat/dur_beat and channel; velocity 0 is sent as 64) into jam,
 * which holds a model and its parameters, from beat 0 until length_beats past the last
 * note-off; then panic, so every note ends. out (initialised here, freed by the caller with
 * cn_song_free) gets what came out, at bpm: the player's notes when thru is on, and the
 * engine's on its channel_out. info may be NULL. 0, or -1 with err: in has no notes, bad
 * options, out of memory. */
int cn_jam_sim_run(cn_jam *jam, const cn_song *in, const cn_jam_sim_opts *o, cn_song *out,
                   cn_jam_sim_info *info, char *err, size_t errlen);
#endif
