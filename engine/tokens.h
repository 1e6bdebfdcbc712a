/* tokens.h: the two token encodings of a song, and their vocabularies.
 *
 * event (the default): a fixed vocabulary of CN_EV_VOCAB tokens, the same for every model,
 *   so any model continues any input. PerformanceRNN-style, with time in beats:
 *     NOTE_ON p (128) | NOTE_OFF p (128) | SHIFT n grid steps (1..CN_EV_MAX_SHIFT)
 *     | VELOCITY bin (CN_EV_VEL_BINS)
 *   The grid is 1/CN_EV_GRID of a beat: 12 keeps 16ths (3) and triplet 8ths (4) and 16ths (2).
 *   Exact pitches, voicing, velocity and polyphony survive; output follows any tempo.
 *
 * paper: the report's music21-style tokens: one per onset group, "E4_16th" for a note,
 *   "4.7.11_quarter" for a chord (pitch classes in normal order). Vocabulary from the corpus,
 *   sorted, with id 0 = "<unk>" for tokens unseen in training. */
#ifndef CONTINUO_TOKENS_H
#define CONTINUO_TOKENS_H
#include <stddef.h>
#include <stdint.h>
#include "midi.h"
#include "tokens_vocab.h"   /* cn_encoding, cn_vocab */

#define CN_EV_GRID       12
#define CN_EV_NOTE_ON    0
#define CN_EV_NOTE_OFF   128
#define CN_EV_SHIFT      256   /* token CN_EV_SHIFT + (n-1) = advance n grid steps */
#define CN_EV_MAX_SHIFT  48    /* 4 beats */
#define CN_EV_VEL        (CN_EV_SHIFT + CN_EV_MAX_SHIFT)   /* 304 */
#define CN_EV_VEL_BINS   16
#define CN_EV_VOCAB      (CN_EV_VEL + CN_EV_VEL_BINS)      /* 320 */

int  cn_ev_vel_bin(int velocity);          /* 1..127 -> 0..15 */
int  cn_ev_bin_vel(int bin);               /* bin -> the velocity in its middle */
void cn_ev_token_name(int tok, char *buf, size_t len);  /* "ON60" "OFF60" "SHIFT3" "VEL9" */

/* Whole-song encode: notes (transposed by `transpose` semitones; notes pushed out of 0..127
 * are dropped) -> tokens. *out is malloc'd. Returns 0, or -1 on OOM. */
int cn_ev_encode(const cn_song *s, int transpose, int **out, size_t *n_out);
/* tokens -> notes in beats (song tempo = bpm); *out is initialised here (cn_song_free it).
 * A NOTE_ON of a sounding pitch ends it first; unmatched NOTE_OFFs and ids outside the
 * vocabulary are ignored; unmatched NOTE_ONs end at the stream's end. */
int cn_ev_decode(const int *tok, size_t n, double bpm, cn_song *out);

/* Incremental encoder, for live input: feed note events in time order (a late event counts
 * as now). It rounds each event's beat to the grid, so a note's end is within half a step
 * (the whole-song encoder rounds the duration instead); on grid-aligned input, fed with offs
 * before ons at one step, both give the same tokens.
 * Writes the tokens for that event into out (at most max; 8 is always enough when
 * shifts are < CN_EV_MAX_SHIFT*6 steps) and returns how many. Real-time safe. */
typedef struct { int64_t step; int vel_bin; } cn_ev_encoder;
void cn_ev_encoder_init(cn_ev_encoder *e, double beat);
int  cn_ev_encoder_feed(cn_ev_encoder *e, double beat, int on, int pitch, int velocity, int *out, int max);

/* Incremental decoder, for generated tokens. Real-time safe. */
typedef struct { int64_t step; int velocity; } cn_ev_decoder;
typedef struct { double beat; int on; int pitch; int velocity; } cn_ev_note_event;
void cn_ev_decoder_init(cn_ev_decoder *d, double beat);
/* Returns 1 and fills *ev when tok is a NOTE_ON/NOTE_OFF, else 0 (time/velocity changes). */
int  cn_ev_decoder_feed(cn_ev_decoder *d, int tok, cn_ev_note_event *ev);
double cn_ev_decoder_beat(const cn_ev_decoder *d);

/* The same layout at another grid (steps per beat) and shift range, to measure the choice of
 * CN_EV_GRID: ON 0..127, OFF 128..255, SHIFT 256..256+max_shift-1, then the velocity bins.
 * cn_ev_encode/decode are these with (CN_EV_GRID, CN_EV_MAX_SHIFT). Onsets and durations are
 * rounded to the grid separately, so each is kept within half a step. */
int cn_ev_encode_grid(const cn_song *s, int transpose, int grid, int max_shift, int **out, size_t *n_out);
int cn_ev_decode_grid(const int *tok, size_t n, int grid, int max_shift, double bpm, cn_song *out);

/* ---- paper (its vocabulary, cn_vocab, in tokens_vocab.h) ---- */
/* Song -> token strings (malloc'd array of malloc'd strings). */
int  cn_paper_strings(const cn_song *s, int transpose, char ***out, size_t *n_out);
void cn_paper_strings_free(char **strs, size_t n);
/* Song -> ids through a vocabulary; *n_unk counts unknown tokens (may be NULL). */
int  cn_paper_encode(const cn_song *s, const cn_vocab *v, int transpose, int **out, size_t *n_out, size_t *n_unk);
/* ids -> notes: chords voiced near the previous notes, time advanced by each duration. */
int  cn_paper_decode(const cn_vocab *v, const int *tok, size_t n, double bpm, cn_song *out);

/* A paper token's parts: a note (one MIDI pitch, is_chord 0, n 1) or a chord (n pitch
 * classes 0..11 in normal order), and its duration type in quarter notes (0 for "zero"). */
typedef struct { int is_chord; int n; int pitch[12]; double quarter_len; } cn_paper_token;
int  cn_paper_parse(const char *name, cn_paper_token *t);   /* 0, or -1 for "<unk>"/malformed */
/* The name of a note (music21 style, sharps from MIDI: "C#4", "E-3", "C-1" for MIDI 0). */
void cn_paper_pitch_name(int midi_pitch, char *buf, size_t len);

/* ---- note ----
 * A duration-based encoding (REMI-like, Huang and Yang 2020): a note is PITCH then DUR, so its
 * length is decided when it starts and a forgotten note-off (a drone) cannot happen. Time moves
 * by SHIFT on the same 1/12-beat grid as event; VEL precedes a note whose bin changed. Every
 * CN_NT_SLOT steps (4 beats, from beat 0) two control tokens say where the music is going: the
 * KEY of the next 16 beats (Krumhansl-Kessler on their notes) and the DENSity of onsets a beat in
 * the next 8. Shifts never cross a slot boundary, so the controls come at a fixed clock. In
 * training the controls are inputs only (never targets) and are sometimes replaced by "none";
 * when playing, the caller sets them from the seed or the call, or from the musician's controls.
 *   PITCH p (128) | DUR bin (24: 1..12 steps, then up to 96) | SHIFT n (1..48)
 *   | VEL bin (16) | KEY tonic+12*minor (24) | KEY none | DENS bin (8) | DENS none */
#define CN_NT_GRID        CN_EV_GRID
#define CN_NT_PITCH       0
#define CN_NT_DUR         128
#define CN_NT_DUR_BINS    24
#define CN_NT_SHIFT       (CN_NT_DUR + CN_NT_DUR_BINS)        /* 152 */
#define CN_NT_MAX_SHIFT   48
#define CN_NT_VEL         (CN_NT_SHIFT + CN_NT_MAX_SHIFT)     /* 200 */
#define CN_NT_VEL_BINS    CN_EV_VEL_BINS
#define CN_NT_KEY         (CN_NT_VEL + CN_NT_VEL_BINS)        /* 216 */
#define CN_NT_KEY_NONE    (CN_NT_KEY + 24)                    /* 240 */
#define CN_NT_DENS        (CN_NT_KEY_NONE + 1)                /* 241 */
#define CN_NT_DENS_BINS   8
#define CN_NT_DENS_NONE   (CN_NT_DENS + CN_NT_DENS_BINS)      /* 249 */
#define CN_NT_VOCAB       (CN_NT_DENS_NONE + 1)               /* 250 */
#define CN_NT_SLOT        48       /* steps between control pairs: 4 beats */
#define CN_NT_KEY_BEATS   16.0     /* the key control looks this far ahead */
#define CN_NT_DENS_BEATS  8.0      /* the density control looks this far ahead */

int cn_nt_dur_bin(int64_t steps);         /* nearest bin; >= 1 step, longest bin for anything longer */
int cn_nt_bin_steps(int bin);             /* 0..23 -> grid steps */
int cn_nt_dens_bin(double onsets_per_beat);
double cn_nt_bin_dens(int bin);           /* a representative value of the bin */
int cn_nt_key_token(int tonic, int minor);   /* KEY token; tonic < 0 gives KEY none */
void cn_nt_token_name(int tok, char *buf, size_t len);  /* "P60" "D12" "SHIFT3" "VEL9" "KEY:Am" "DENS3" */
static inline int cn_nt_is_control(int tok) { return tok >= CN_NT_KEY && tok < CN_NT_VOCAB; }

/* The labels the encoder puts at a slot starting at `beat`: the key token of the notes in
 * [beat, beat+16) (duration-weighted pitch classes; widened back 8 beats when fewer than 3
 * notes; KEY none when still too few), and the density token of onsets a beat in
 * [beat, beat+8). The notes are sorted by start (cn_song order); transpose as in encode. */
int cn_nt_key_label(const cn_note *notes, size_t n, int transpose, double beat);
/* The key token of the notes starting in [lo, hi) (a seed, a call); KEY none under 3 notes. */
int cn_nt_key_of(const cn_note *notes, size_t n, int transpose, double lo, double hi);
int cn_nt_dens_label(const cn_note *notes, size_t n, double beat, double end_beat);

/* Whole-song encode. key_tok/dens_tok >= 0 fix every slot's control to that token (a seed
 * played with chosen controls); -1 labels each slot from the music itself (training). */
int cn_nt_encode(const cn_song *s, int transpose, int key_tok, int dens_tok, int **out, size_t *n_out);
/* tokens -> notes. A PITCH takes the DUR that follows it (a PITCH without one is dropped);
 * a pitch struck while it sounds ends the earlier note there. */
int cn_nt_decode(const int *tok, size_t n, double bpm, cn_song *out);
/* Transposition of a note-token run: PITCH tokens move (the caller keeps them in 0..127,
 * cn_nt_shift_range), KEY tokens rotate their tonic. */
void cn_nt_shift_range(const int *tok, size_t n, int *lo, int *hi);
void cn_nt_shift_tokens(int *tok, size_t n, int shift);

/* Pitch-class set a token sounds (bit pc), 0 for none: for the key constraint in sampling. */
uint16_t cn_token_pcmask(cn_encoding e, const cn_vocab *v, int tok);
#endif
