/* note_player.h: playing a note-encoded model one token at a time, for the offline
 * continuation and the live engine alike. It keeps the token grammar the model was trained on
 * (a PITCH is followed by its DUR, shifts stop at each 4-beat slot, where the caller puts the
 * KEY and DENS controls, which are never sampled), the clock, and the guard against one onset
 * group repeated over and over (a note repeated 28 times alternates its tokens, so a guard on
 * single tokens misses it). Real-time safe: no allocation, bounded work. */
#ifndef CONTINUO_NOTE_PLAYER_H
#define CONTINUO_NOTE_PLAYER_H
#include <stdint.h>
#include "tokens.h"

typedef struct {
    int64_t step;          /* the model's clock, in grid steps */
    int64_t next_slot;     /* the next step where controls are due */
    int pending_pitch;     /* a PITCH waiting for its DUR, or -1 */
    int vel_bin;           /* the velocity bin in force (-1 none yet) */
    int last_tok;
    uint64_t group[2];     /* pitches struck at the current step (128 bits) */
    uint64_t prev_group[2];/* the last finished onset group... */
    int prev_run;          /* ...and how many times in a row it came */
} cn_nt_player;

/* The most notes one onset group may start: a pianist's ten fingers, less the rare ones. A
 * weak model can pile up a wall of notes at one instant; past this, time must move. */
#define CN_NT_MAX_GROUP 8

/* The soft half of the onset-group guard, in logits: while the guard is on (max_run > 0), a
 * pitch that would complete the onset group just heard r times in a row loses r times this
 * from its logit, so the 2nd and 3rd repeats grow rarer before the hard bar at max_run. Real
 * piano music seldom strikes one group twice in a row (its longest run is a median 1, the
 * model's 2). Chosen on the validation split with the listening yardstick (README). */
#ifndef CN_NT_RUN_SOFT
#define CN_NT_RUN_SOFT 2.0f
#endif

/* The samplers (continue.c, jam_note.c) draw a note's length, the DUR after its PITCH, from
 * the model's whole distribution, whatever the top-p: the nucleus cuts the rare long notes and
 * thins the texture out (on the validation split, live, notes sounding at once 2.7 against 4.5
 * for the real music). */

/* A note the stream decided: start and length in grid steps. */
typedef struct { int64_t start, dur; int pitch, velocity; } cn_nt_note;

/* The clock at `step`; controls are due at once when step is on a slot boundary. */
void cn_nt_player_init(cn_nt_player *p, int64_t step);
/* The clock moved to `step` without tokens (a long silence cut short): controls are due at the
 * next slot boundary from there. */
void cn_nt_player_jump(cn_nt_player *p, int64_t step);
/* 1 when the next tokens must be the KEY and DENS controls (the caller feeds both). */
int  cn_nt_player_controls_due(const cn_nt_player *p);
/* Which control to feed now that they are due: the KEY first, then the DENS. */
static inline int cn_nt_player_control_next(const cn_nt_player *p, int key_tok, int dens_tok) {
    return p->last_tok >= CN_NT_KEY && p->last_tok <= CN_NT_KEY_NONE ? dens_tok : key_tok;
}
/* Bars in logits (V = CN_NT_VOCAB) what the grammar forbids next, and, when max_run > 0, the
 * pitch that would complete an onset group already heard max_run times in a row; below that
 * run, such a pitch loses CN_NT_RUN_SOFT per repeat.
 * bar_onsets: no new note may start (only time may move); neither may one when the onset group
 * already holds CN_NT_MAX_GROUP notes. */
void cn_nt_player_mask(const cn_nt_player *p, float *logits, int max_run, int bar_onsets);
/* Takes a token into the state (sampled or heard). Returns 1 and fills *note when a DUR
 * completes a note. */
int  cn_nt_player_feed(cn_nt_player *p, int tok, cn_nt_note *note);
/* Grid steps to the next slot boundary (what one SHIFT may cover at most). */
static inline int64_t cn_nt_player_room(const cn_nt_player *p) { return p->next_slot - p->step; }
#endif
