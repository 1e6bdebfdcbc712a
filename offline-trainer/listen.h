/* listen.h: the listening yardstick's measures (continuo-eval --listen). Nine features, one
 * value per piece, computed in the same way on a generated continuation and on the piece's
 * real one, and the overlap of the two sets' per-piece distributions: does what the model
 * plays sound like the music it learned? The exact definitions are in README.md, "The
 * listening yardstick"; the tests (tests/unit/test_listen.c) check each on songs made by hand. */
#ifndef CONTINUO_LISTEN_H
#define CONTINUO_LISTEN_H
#include <stddef.h>
#include "midi.h"

enum {
    CN_LF_PC_AGREE,      /* Pearson r of the 12-bin onset-count pitch-class histograms, seed vs continuation */
    CN_LF_LONG_SHARE,    /* share of notes held longer than 4 beats */
    CN_LF_LEN_P90,       /* 90th percentile of note length (nearest rank), beats */
    CN_LF_POLYPHONY,     /* mean notes sounding at the points k/4 beat of [0, span) */
    CN_LF_ONSET_RATE,    /* notes (onsets) per beat of the span */
    CN_LF_PITCH_RANGE,   /* highest minus lowest pitch, semitones */
    CN_LF_GROUP_RUN,     /* longest run of one repeated onset group (pitch set at one 1/12-beat step) */
    CN_LF_DISTINCT_IOI,  /* distinct intervals between successive onset steps (1/12-beat grid) */
    CN_LF_VEL_SPREAD,    /* population standard deviation of the velocities */
    CN_LF_N
};

#define CN_LF_GRID 12            /* onset grid: steps a beat (16ths and triplets exact) */
#define CN_LF_LONG_BEATS 4.0     /* "held longer than" */
#define CN_LF_POLY_STEP 0.25     /* the polyphony sampling grid, beats */

typedef struct {
    const char *name;    /* JSON key and table row */
    const char *unit;
    double bin_width;    /* the overlap's histogram bins */
} cn_lf_info;

const cn_lf_info *cn_lf_info_of(int feature);

/* The features of a continuation: notes start at 0 (the continuation's start) and are not
 * necessarily sorted; notes that start at or after span_beats are ignored and the others are
 * cut at span_beats. seed: the seed's notes (for the pitch-class agreement). out[CN_LF_N].
 * A continuation with no notes gets 0 for every feature. 0, or -1 on out of memory. */
int cn_listen_features(const cn_note *seed, size_t n_seed, const cn_note *cont, size_t n_cont,
                       double span_beats, double out[CN_LF_N]);

/* Pearson correlation of two 12-bin histograms; 0 when either is constant. */
double cn_listen_pearson12(const double a[12], const double b[12]);

/* The overlap of two samples' distributions, 0..1: both histogrammed on the common bins
 * [k*w, (k+1)*w) (k any integer), each normalised to sum 1, and the bin-wise minima summed.
 * 1 for the same values, 0 when no bin is shared; NAN when either sample is empty. */
double cn_listen_overlap(const double *a, int na, const double *b, int nb, double bin_width);

/* The median of n values (the mean of the middle two when n is even); NAN for n = 0.
 * v is sorted in place. */
double cn_listen_median(double *v, int n);
#endif
