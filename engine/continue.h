/* continue.h: offline continuation of a seed phrase. The seed's tokens are fed through a
 * streaming model, then tokens are sampled (cn_sample's options: temperature, top-k, top-p,
 * repetition guard, key constraint) until enough notes or beats are generated, and decoded
 * to a song at the seed's tempo. Works for event and paper models; the same rng seed gives
 * the same song. Note models are steered by a key and a density control, taken from the seed
 * unless the caller sets them. Not real-time (it allocates); the live path is jam.h. */
#ifndef CONTINUO_CONTINUE_H
#define CONTINUO_CONTINUE_H
#include <stddef.h>
#include <stdint.h>
#include "midi.h"
#include "nn.h"
#include "sample.h"

typedef struct {
    int n_notes;            /* stop after this many new notes (0: use n_beats) */
    double n_beats;         /* else after this many beats past the seed's end */
    int max_tokens;         /* hard cap on sampled tokens (0: from n_notes / n_beats) */
    cn_sample_opts sample;  /* sample.key_mask is used unless key_auto */
    int key_auto;           /* 1: key constraint from the seed's detected key */
    int recent;             /* tokens the repetition guard looks back over (default 32) */
    uint64_t rng_seed;
    int include_seed;       /* 1: the seed, then the continuation; 0: the continuation alone */
    cn_weight_format weights;
    /* note models' controls (others ignore them): the key, CN_CTRL_FROM_SEED (detected in the
     * seed), CN_CTRL_OFF, or tonic + 12*minor; the density in onsets a beat, 0 = from the seed,
     * < 0 = off */
    int key_control;
    double density_control;
    /* event and note models: the pull towards the seed's pitch classes (cn_steer_bias), 0 = off;
     * 0.5 by default */
    float pc_steer;
} cn_continue_opts;

#define CN_CTRL_FROM_SEED (-1)
#define CN_CTRL_OFF       (-2)

/* The controls as a user spells them: key "auto" | "off" | a key name ("C", "F#m"...),
 * density "auto" | "off" | onsets a beat from 0.1 to 16. 0, or -1 with err saying which. */
int cn_continue_parse_key_control(const char *s, int *out, char *err, size_t errlen);
int cn_continue_parse_density(const char *s, double *out, char *err, size_t errlen);

typedef struct {
    size_t seed_tokens;     /* tokens the seed encoded to (with padding to its end) */
    size_t seed_unknown;    /* paper: seed tokens outside the model's vocabulary */
    size_t gen_tokens;      /* tokens sampled */
    double gen_logprob;     /* sum of their log-probabilities under the model's own distribution
                             * (temperature 1, nothing barred): the model's likelihood of them */
    int *tokens;            /* the sampled tokens (malloc'd; cn_continue_info_free) */
    int seed_notes;         /* the first seed_notes notes of the output are the seed's */
    int gen_notes;          /* notes generated */
    double cont_start_beat; /* where the continuation starts in the output */
    int hit_cap;            /* 1 when max_tokens ended it before the target */
    uint16_t key_mask;      /* the key constraint used (0 = none) */
    int key_tonic, key_minor;  /* the detected key when key_auto */
} cn_continue_info;

/* Defaults: 32 notes, cn_sample_defaults() (temperature 1, no top-k/top-p) with the run guard
 * at 4 (no token five times in a row), last 32 tokens for the guard, rng seed 1. */
cn_continue_opts cn_continue_defaults(void);

/* Continue seed with model m into out (initialised here; the caller frees it with
 * cn_song_free). With the seed included, out carries the seed's whole tempo map; alone, the
 * tempo in force at the seed's end. info may be NULL. 0, or -1 with err: the seed has no notes,
 * the model's vocabulary does not match its encoding, out of memory. */
int cn_continue(const cn_model *m, const cn_song *seed, const cn_continue_opts *o,
                cn_song *out, cn_continue_info *info, char *err, size_t errlen);
void cn_continue_info_free(cn_continue_info *info);

/* From a seed-plus-continuation song (the first seed_notes notes the seed's, the continuation
 * from beat cont_start), the continuation alone, moved earlier by whole bars so that it keeps
 * its place in the bar, at the tempo in force at cont_start. *new_start (may be NULL) gets
 * where it now starts. 0, or -1 on OOM. */
int cn_continuation_alone(const cn_song *full, int seed_notes, double cont_start,
                          cn_song *out, double *new_start);
#endif
