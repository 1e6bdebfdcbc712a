/* jam_internal.h: the cn_jam struct, in three parts: what the real-time half (jam.c) and the
 * inference half (jam_infer.c, jam_note.c) share (the SPSC queues and the atomics), what each
 * half alone touches; and the items of the two queues. Private to the engine: front ends use
 * jam.h only. */
#ifndef CONTINUO_JAM_INTERNAL_H
#define CONTINUO_JAM_INTERNAL_H
#include <stdatomic.h>
#include <stdint.h>
#include "jam.h"
#include "note_player.h"
#include "sample.h"
#include "spsc.h"
#include "tokens.h"

#define JAM_CMD_CAP   4096   /* RT -> inference commands (power of two) */
#define JAM_EV_CAP    1024   /* inference -> RT note events (power of two) */
#define JAM_HIST_CAP  192    /* note events kept for rebuilding the model's context: about
                                500 tokens, so a rebuild after a cancel costs tens of ms */
#define JAM_FEED_CAP  64     /* tokens waiting to be stepped through the model */
#define JAM_RECENT    32     /* tokens the repetition guard looks back on */
#define JAM_MAX_POLY  16     /* notes the engine holds at once: piano music sounds 4.5 on
                              * average (the validation pieces) and more at its peaks,
                              * which a cap of 8 cut */
#define JAM_GEN_NOTE_BEATS 4.0  /* the inference side ends a generated note after this */
#define JAM_RT_NOTE_BEATS  8.0  /* the RT side's safety net for the same */
#define JAM_LATE_BEATS 0.25  /* a generated note-on later than this is dropped, not played late */
#define JAM_CR_LEAD_BEATS 0.5   /* start generating an answer this long before it is due */
#define JAM_PANIC_ECHO 2     /* blocks after a panic that send its note-offs and CC123 again: a
                              * block a loaded JACK server drops (its client late) loses the
                              * panic with it, and not every synth honours CC123 */
#define JAM_CR_AHEAD_BEATS 2.0  /* during an answer, stay this far ahead of the clock */
#define JAM_CONT_AHEAD_BEATS 0.5 /* continuous mode: stay this far ahead (the player's notes
                                    reach the model at most this late) */
#define JAM_MAX_SAME_STEP 12 /* event models: tokens at one time step before a time shift is
                              * forced (a note model's onset group is capped by its player at
                              * CN_NT_MAX_GROUP notes instead) */
#define JAM_NT_HEARD  64     /* note models: heard notes waiting for their length */
#define JAM_NT_HOLD_BEATS 8.0   /* a note held this long enters the model with the longest length */
#define JAM_NT_CALL_BEATS 16.0  /* the key, density and steer "from the call" look back this far */
#define JAM_STEER 1.0f          /* the pull towards the call's pitch classes and register
                                   (cn_steer_bias; chosen on the validation split) */

enum { JAM_CMD_NOTE, JAM_CMD_RESPOND, JAM_CMD_CANCEL, JAM_CMD_PARAMS, JAM_CMD_REGENERATE };

typedef struct {
    int type;
    uint32_t gen;          /* RESPOND/CANCEL: the RT side's generation after the command */
    double beat;           /* NOTE: when; RESPOND: answer start; CANCEL: where it stops */
    double len;            /* RESPOND/REGENERATE: answer length in beats */
    double call_end;       /* REGENERATE: the end of the call answered again */
    uint8_t on, pitch, vel;
    cn_jam_params params;  /* PARAMS */
} cn_jam_cmd;

typedef struct {
    uint32_t gen;          /* generation it was made in; stale ones are dropped by RT */
    double beat;           /* engine beat */
    uint8_t on, pitch, vel;
} cn_jam_ev;

typedef struct { double beat; uint8_t on, pitch, vel, mine; } cn_jam_hist;

typedef struct { uint8_t on, ch; double since; } cn_jam_held;

/* What both halves touch: the queues that join them and the atomics each side publishes. */
typedef struct {
    cn_spsc cmd_q, ev_q;
    void *cmd_buf, *ev_buf;
    _Atomic uint64_t now_bits;    /* RT: engine beat at the end of the last segment (double bits) */
    _Atomic int playing;          /* RT: 0 while the host transport is stopped */
    _Atomic uint64_t wake_bits;   /* inference: engine beat from which it has work (double bits) */
    _Atomic int swap_panic;       /* inference -> RT: a model swap happened, panic */
    _Atomic int conditions;       /* inference -> RT: CN_JAM_COND_* of the installed model */
    _Atomic int key;              /* inference -> RT: the key last fed to the model (-1 none, 0..23) */
    _Atomic int call_key;         /* inference -> RT: the key last heard in the call (note models) */
} cn_jam_shared;

/* The notes a display shows (jam_view.c), kept by the RT side: start and end in engine beats,
 * end < 0 while the note sounds. */
typedef struct { double start, end; uint8_t pitch, vel; } cn_jam_vnote;
typedef struct {
    cn_jam_vnote call[CN_JAM_VIEW_NOTES], answer[CN_JAM_VIEW_NOTES];
    int n_call, n_answer;
    uint32_t changes;             /* see cn_jam_view_changes */
    int key, call_key;            /* sh.key and sh.call_key as last seen */
    size_t ev_head;               /* ev_q's head as last seen: a new scheduled event moves it */
} cn_jam_vlog;

/* What only the real-time side (jam.c) touches. */
typedef struct {
    cn_jam_params params;
    int started;                  /* a segment has run: beat is meaningful */
    double beat;                  /* engine beat at the next segment's first frame */
    double phase;                 /* host beat minus engine beat */
    cn_hostclock hc;              /* the host's transport, as reported */
    uint32_t gen;                 /* bumped on every cancel */
    int pending_panic;            /* set_params changed the mode */
    int panic_echo;               /* blocks still to open with the last panic's offs and CC123 */
    uint8_t echo_off[16][128];    /* 1: the last panic ended this note; its echoes end it again,
                                     unless a note-on of the same key went out since */
    int n_echo_off;
    uint8_t held_in[16][128];     /* the player's keys down, 0 or 1 (accepted channels) */
    int n_held_in;
    int call_active; double call_start;
    int answer; double answer_start, answer_end;   /* an answer is due or playing */
    int have_call; double call_end, call_len;      /* the last call answered, for regenerate */
    int pending_regen;            /* set_params saw the regenerate trigger */
    uint8_t thru_held[16][128];   /* notes passed through and not yet ended, by channel and pitch */
    int n_thru_held;
    cn_jam_held held_out[128];    /* the engine's sounding notes, by pitch */
    uint8_t held_list[128]; int n_held_out;
    int have_ev; cn_jam_ev ev;    /* the next event taken from ev_q, not yet due */
    cn_jam_vlog view;             /* what a display shows */
} cn_jam_rt;

/* What only the inference side (jam_infer.c, jam_note.c) touches. */
typedef struct {
    cn_model *model;
    cn_stream *stream;
    void *scratch;
    float *logits;
    int V;
    cn_jam_params ip;             /* params as the inference side knows them */
    int have_ip;
    uint32_t seed_used; uint64_t rng;
    uint32_t regen_count;         /* answers regenerated: each one draws a fresh random stream */
    uint32_t igen;
    int64_t cur;                  /* the model's time cursor, in grid steps */
    int vel_bin;                  /* the last velocity bin the model heard (-1 none) */
    int logits_ok;                /* logits hold the prediction after the last token */
    int same_step;                /* event models: tokens at the cursor's step so far */
    int feed[JAM_FEED_CAP]; int n_feed, feed_pos;
    cn_jam_hist hist[JAM_HIST_CAP]; int hist_head, hist_n;
    int rebuild_pos;              /* -1, or the next history entry to replay */
    int resp_state;               /* 0 none, 1 due, 2 generating */
    double resp_start, resp_end;
    int resp_notes;               /* notes the answer has played so far */
    int64_t open_on[128];         /* step of a generated note's on, -1 when not sounding */
    int n_open;
    int recent[JAM_RECENT]; int n_recent;
    int blocked; cn_jam_ev blocked_ev;   /* an event ev_q had no room for */
    /* note-encoded models (jam_note.c) */
    int is_note;                  /* the model is note-encoded */
    cn_nt_player nt;              /* grammar and clock, in step with cur */
    struct { double beat, end; uint8_t pitch, vel; } heard[JAM_NT_HEARD];   /* end < 0: still held */
    int n_heard;
    int64_t gen_end[128];         /* where each generated note ends, in steps (-1: not sounding) */
} cn_jam_infer;

/* The engine: the types say which thread may touch what. The RT thread touches sh and rt;
 * the inference thread touches sh and in. */
struct cn_jam {
    cn_jam_shared sh;
    cn_jam_rt rt;
    cn_jam_infer in;
};

/* jam_infer.c: the inference side's own state, set up and freed (not RT) */
void cn_jam_infer_init(cn_jam_infer *in);
void cn_jam_infer_free(cn_jam *j);

/* jam_infer.c helpers that jam_note.c shares (inference side only) */
void cn_jam_feed_tok(cn_jam *j, int tok);
void cn_jam_out_event(cn_jam *j, double beat, int on, int pitch, int vel);
cn_jam_hist *cn_jam_hist_at(cn_jam *j, int i);

/* jam_view.c: the display's notes, kept by the RT side (see there) */
void cn_jam_view_clear(cn_jam *j);
void cn_jam_view_on(cn_jam *j, int answer, double beat, int pitch, int vel);
void cn_jam_view_off(cn_jam *j, int answer, double beat, int pitch);
void cn_jam_view_tick(cn_jam *j);

/* jam_note.c: the inference side for note-encoded models (see there) */
void cn_jam_nt_reset(cn_jam *j);
void cn_jam_nt_hear(cn_jam *j, double beat, int on, int pitch, int vel);
int  cn_jam_nt_flush_one(cn_jam *j);
void cn_jam_nt_advance(cn_jam *j, int64_t target);
int  cn_jam_nt_sample(cn_jam *j, const cn_sample_opts *o, int bar_waiting);
void cn_jam_nt_play(cn_jam *j, int tok);
void cn_jam_steer(cn_jam *j, float *lg, int first_pitch_tok);

static inline uint64_t cn_jam_dbits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
static inline double cn_jam_bitsd(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }
#endif
