/* listen_render.h: a measured piece for people who would rather listen and look: its seed
 * with the generated continuation and with the real one, each as a MIDI file, a piano roll
 * (offline-trainer/roll.c: seed blue, continuation orange) and, when fluidsynth and a General
 * MIDI soundfont are installed, a WAV file rendered by fluidsynth (as `make demo` does). */
#ifndef CONTINUO_LISTEN_RENDER_H
#define CONTINUO_LISTEN_RENDER_H
#include <stddef.h>
#include "listen_run.h"

typedef struct {
    const char *dir;         /* where the files go (made if missing) */
    const char *roll_ext;    /* "png" or "svg" */
    const char *soundfont;   /* the .sf2 for fluidsynth */
} cn_listen_render_opts;

/* Writes DIR/STEM.gen.{mid,ROLL,wav} and DIR/STEM.real.{mid,ROLL,wav}. *wav_made is set to
 * the WAV files written (0 when fluidsynth or the soundfont is missing, which is not an
 * error). 0, or -1 with err "PATH: problem". */
int cn_listen_render_piece(const cn_listen_render_opts *o, const char *stem, const cn_listen_render *gen,
                           const cn_listen_render *real, int *wav_made, char *err, size_t errlen);

/* 1 when fluidsynth can be run and the soundfont exists. */
int cn_listen_can_render_wav(const char *soundfont);
#endif
