/* musicstats.h: statistics that say whether a passage sounds like music of its corpus,
 * computed the same way on generated continuations and on the true ones, so that
 * continuo-eval can set them side by side. */
#ifndef CONTINUO_MUSICSTATS_H
#define CONTINUO_MUSICSTATS_H
#include <stddef.h>
#include "midi.h"

typedef struct {
    int notes;
    double key_corr;        /* best Pearson correlation of the duration-weighted pitch-class
                               histogram with the 24 Krumhansl-Kessler key profiles (0 if flat) */
    int key_tonic, key_minor;
    double pitch_range;     /* highest minus lowest pitch, semitones */
    double density;         /* notes per beat over the passage's span */
    int distinct_ioi;       /* distinct inter-onset intervals between successive onset times,
                               on the 1/12-beat grid */
    int longest_run;        /* longest run of one repeated token in the token sequence given */
    int longest_pitch_run;  /* longest run of successive single-note onsets on one pitch */
    double polyphony;       /* mean number of notes sounding, over the time at least one sounds */
} cn_music_stats;

/* notes need not be sorted. span_beats: the passage's length (density's denominator).
 * tokens (may be NULL) give longest_run. 0, or -1 on out of memory. */
int cn_music_stats_compute(const cn_note *notes, size_t n, double span_beats,
                           const int *tokens, size_t n_tokens, cn_music_stats *out);

/* The correlation of a pitch-class histogram with the best of the 24 keys. */
double cn_music_key_corr(const double pc_hist[12], int *tonic, int *minor);

/* The notes that start in [from, to), moved to start at 0, their ends cut at `to`; the
 * song keeps the source's first tempo, meter and program. 0, or -1 on out of memory. */
int cn_song_window(const cn_song *src, double from, double to, cn_song *out);

/* mean, extremes and the 10th/90th percentiles of n values (sorts v in place) */
typedef struct { int n; double mean, min, p10, p90, max; } cn_stat_summary;
cn_stat_summary cn_stat_summarise(double *v, int n);
#endif
