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
uint16_t cn_key_detect(const double pc_hist[12], int *tonic, int *minor);
/* Parse "C", "F#m", "Bb", "auto"... into a scale mask; 0 on error. */
uint16_t cn_key_parse(const char *name);
#endif
