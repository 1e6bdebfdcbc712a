/* jam.h: the live engine every front end (LV2 run(), JACK process(), the PortMIDI loop)
 * drives in the same way. It listens to incoming MIDI, takes turns (call and response) or
 * plays along (continuous), and schedules its notes in beats; the front end converts beats
 * to frames with its host's tempo.
 *
 * Two sides, joined by lock-free SPSC queues inside the cn_jam:
 *   real-time side  cn_jam_run / cn_jam_panic / cn_jam_set_params / cn_jam_wants_work:
 *                   no allocation, locks, waits, logging or I/O; bounded time.
 *   inference side  cn_jam_work / cn_jam_swap_model: model steps and sampling, on the
 *                   LV2 worker, a thread the front end owns, or a main loop. Never the RT thread.
 * Every note-on it sends gets its note-off: on the user playing again (call/response),
 * transport stop, mode change, model swap, incoming CC123/CC120, and cn_jam_panic. */
#ifndef CONTINUO_JAM_H
#define CONTINUO_JAM_H
#include <stddef.h>
#include <stdint.h>
#include "hostclock.h"
#include "nn.h"

typedef enum { CN_MODE_OFF = 0, CN_MODE_CALL_RESPONSE = 1, CN_MODE_CONTINUOUS = 2 } cn_jam_mode;
typedef enum { CN_QUANT_OFF = 0, CN_QUANT_BEAT = 1, CN_QUANT_BAR = 2 } cn_jam_quantize;

typedef struct {
    int   mode;            /* cn_jam_mode */
    float temperature;     /* 0..2 */
    float top_p;           /* 0..1 */
    float silence_beats;   /* call/response: silence that ends a call (default 1) */
    float response_beats;  /* cap on the answer's length (default 8) */
    int   channel_in;      /* 0 = omni, 1..16 */
    int   channel_out;     /* 1..16 */
    int   thru;            /* 1: the player's notes pass through */
    int   quantize;        /* cn_jam_quantize: where answers start */
    uint32_t seed;         /* 0 = random */
    float bpm;             /* own tempo, used when the host gives none (default 120) */
    int   key;             /* model conditioning: 0 off, 1 from the call, 2..13 C..B major, 14..25 Cm..Bm */
    float density;         /* model conditioning: notes per beat, 0 = from the call, up to 8 */
    int   max_run;         /* repetition guard: no token more than this many times in a row (0 off) */
    uint32_t regenerate;   /* a trigger, counted: each change answers the last call again, fresh randomness */
} cn_jam_params;

/* The conditioning a model understands (cn_jam_model_conditions): controls it lacks are ignored. */
enum { CN_JAM_COND_KEY = 1, CN_JAM_COND_DENSITY = 2 };

void cn_jam_params_default(cn_jam_params *p);
/* Clamp every field into range (out-of-range controls never misbehave). RT-safe. */
void cn_jam_params_clamp(cn_jam_params *p);

/* The time of one run segment. The front end splits a block where the host reports its
 * position (as eg-metro does) and calls cn_jam_run once per segment, with the report (in
 * the host's own terms, see hostclock.h) on the segment that starts where it was given.
 * The engine's host clock extrapolates between reports, slews jitter and tells relocations. */
typedef struct {
    uint32_t offset;       /* first frame of this segment within the block */
    uint32_t n_frames;     /* frames in the segment (0 allowed) */
    double sample_rate;
    int host_time;         /* 1: the host has a musical clock (its reports are followed); 0: own tempo */
    const cn_host_pos *pos;/* the host's report at this segment's first frame, or NULL */
} cn_jam_time;

typedef struct { uint32_t frame; uint8_t size; uint8_t data[3]; } cn_midi_msg;

typedef struct cn_jam cn_jam;

cn_jam *cn_jam_new(void);            /* not RT: allocates queues and scratch; no model yet */
void    cn_jam_free(cn_jam *j);      /* not RT; frees the model it holds */

/* ---- real-time side ---- */
void cn_jam_set_params(cn_jam *j, const cn_jam_params *p);   /* clamps; a mode change panics */
/* One segment: in holds the segment's incoming MIDI (frames absolute within the block,
 * sorted); out receives up to max_out messages, sorted by frame, all within
 * [offset, offset+n_frames). Returns the number written. */
int  cn_jam_run(cn_jam *j, const cn_jam_time *t, const cn_midi_msg *in, int n_in,
                cn_midi_msg *out, int max_out);
/* Note-offs for every note it holds, then CC123, at frame; called again within the echo of a
 * panic (the next blocks), the last panic's note-offs too, so a front end that sends its exit
 * panic in several cycles loses none with a dropped cycle. Returns the number written. */
int  cn_jam_panic(cn_jam *j, uint32_t frame, cn_midi_msg *out, int max_out);
int  cn_jam_wants_work(const cn_jam *j);   /* the inference side has something to do */
/* The CN_JAM_COND_* bits the installed model honours (0: none, or no model). RT-safe. */
int  cn_jam_model_conditions(const cn_jam *j);
uint32_t cn_jam_latency(const cn_jam *j);  /* frames of latency it adds (0) */

/* ---- inference side ---- */
/* Absorb what the player played and generate ahead; at most max_steps model steps.
 * Returns the steps done (0 = idle). */
int  cn_jam_work(cn_jam *j, int max_steps);
/* Install a new model (NULL to unload). The old one is returned through *old, for the
 * caller to free off the RT thread. The RT side is told to panic. 0, or -1 with err when the
 * model cannot jam (not event-encoded). */
int  cn_jam_swap_model(cn_jam *j, cn_model *m, cn_model **old, char *err, size_t errlen);
const cn_model *cn_jam_model(const cn_jam *j);   /* inference side only */

/* ---- what a display shows (the LV2 inline display): real-time side ---- */
/* The current exchange: the last call (or, in continuous mode, the player's latest notes)
 * and the answer, played and scheduled. Beats are relative to the engine's clock now. */
#define CN_JAM_VIEW_NOTES 32
enum { CN_VIEW_ENDED = 0, CN_VIEW_SOUNDING, CN_VIEW_SCHEDULED };
typedef struct { float start, end; uint8_t pitch, vel, state; } cn_jam_view_note;
typedef struct {
    int mode;                    /* cn_jam_mode */
    int key;                     /* the key the model was last given: -1 none, 0..11 C..B, 12..23 Cm..Bm */
    int call_key;                /* the key last heard in the call, given or not (-1 none) */
    int answer_due;              /* call and response: an answer is due or playing in [from, to) */
    float answer_from, answer_to;
    int n_call, n_answer;
    cn_jam_view_note call[CN_JAM_VIEW_NOTES];    /* oldest first; a held note ends at 0 (now) */
    cn_jam_view_note answer[CN_JAM_VIEW_NOTES];  /* played, then scheduled; an end not yet known is
                                                    the latest beat known */
} cn_jam_view;
/* A count that moves whenever the view changes other than by the clock: a call note, an
 * answer note played or scheduled, the mode, the key. RT-safe, cheap. */
uint32_t cn_jam_view_changes(const cn_jam *j);
/* The view now. Real-time side only (it reads the RT half's notes and peeks at the queue of
 * generated events); bounded, no allocation. */
void cn_jam_get_view(cn_jam *j, cn_jam_view *v);
#endif
