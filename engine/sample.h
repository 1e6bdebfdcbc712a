/* sample.h: choosing the next token from logits. Temperature (0 = greedy argmax),
 * top-k, nucleus top-p, a repetition guard against "the same note forever", and a key
 * constraint that suppresses pitches outside a scale. Real-time safe: the caller passes
 * the scratch memory, nothing is allocated, and no value of the options yields a NaN. */
#ifndef CONTINUO_SAMPLE_H
#define CONTINUO_SAMPLE_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    float temperature;     /* 0 = argmax; clamped to [0, 5] */
    int   top_k;           /* 0 = off */
    float top_p;           /* 1 = off; clamped to (0, 1] */
    float repeat_penalty;  /* 1 = off; logits of tokens in the recent window are pushed down */
    int   max_run;         /* 0 = off; a token that would repeat more than this many times in a row is barred */
    uint16_t key_mask;     /* allowed pitch classes (bit 0 = C); 0 = off */
} cn_sample_opts;

cn_sample_opts cn_sample_defaults(void);
size_t cn_sample_scratch_bytes(int V);
/* tok_pcmask: per token, the pitch classes it sounds (0 = none), or NULL (no key constraint).
 * recent: the last n_recent tokens, oldest first. Returns a token id in [0, V). */
int cn_sample(const float *logits, int V, const cn_sample_opts *o, const uint16_t *tok_pcmask,
              const int *recent, int n_recent, uint64_t *rng, void *scratch);

/* Krumhansl-Schmuckler key finding on a pitch-class histogram: returns the scale mask of
 * the best major or minor key, and its tonic (0..11) and minor flag through the pointers. */
uint16_t cn_key_detect(const double pc_hist[12], int *tonic, int *minor);   /* 0 for an empty histogram */
/* Parse "C", "F#m", "Bb", "auto"... into a scale mask; 0 on error.
 * "auto" gives CN_KEY_AUTO: the caller detects the key (cn_key_detect) from its seed.
 * Accepted: a letter A-G (either case), then # or b, then nothing/M/maj/major or m/min/minor. */
uint16_t cn_key_parse(const char *name);

/* ---- added by the sampling work (existing signatures above unchanged) ---- */
/* Outside the 12 pitch-class bits, so that cn_sample treats it as "no constraint". */
#define CN_KEY_AUTO 0x8000u
/* The scale of a key: major, or natural minor. tonic 0..11 (0 = C). */
uint16_t cn_key_mask(int tonic, int minor);
/* Pearson correlation of a pitch-class histogram with the Krumhansl-Kessler profile of one
 * key, in [-1, 1]; 0 for a flat histogram. cn_key_detect maximises it over the 24 keys. */
double cn_key_correlation(const double pc_hist[12], int tonic, int minor);
/* Parse a key name into tonic and minor flag. 0, or -1 when it is not a key. */
int cn_key_parse_tonic(const char *name, int *tonic, int *minor);
/* "C", "F#m", "Bb", "Ebm": a static string. */
const char *cn_key_name(int tonic, int minor);

/* ---- the pitch-class steer ----
 * A soft pull towards the pitch classes the musician played: each of the 128 pitch tokens
 * from first_pitch_tok (event NOTE_ON, note PITCH) gets bias[pc] added to its logit. Unlike
 * the key constraint nothing is forbidden: a chromatic note the model is sure of still comes.
 * cn_steer_bias makes bias[pc] = strength * ln((h[pc] + a) / (max h + a)), a = half the mean
 * count, from a pitch-class histogram (0 everywhere when it is empty or strength is 0). */
void cn_steer_bias(const double hist[12], float strength, float bias[12]);
void cn_steer_apply(float *logits, int first_pitch_tok, const float bias[12]);
/* The same pull for the register: a pitch more than 6 semitones outside [lo, hi] (what was
 * played) loses strength for every 6 semitones further out. Nothing when strength is 0. */
void cn_steer_register(float *logits, int first_pitch_tok, int lo, int hi, float strength);
/* Both pulls, with the pitches' total probability kept: the steer moves probability between
 * pitches, never from the pitches to the other tokens, so it says which notes, not how many
 * (both pulls only lower logits, and on their own they thin the texture out: fewer notes in
 * a chord, more time shifts). Real-time safe. */
void cn_steer_pitches(float *logits, int first_pitch_tok, const float bias[12], int lo, int hi, float reg_strength);
#endif
