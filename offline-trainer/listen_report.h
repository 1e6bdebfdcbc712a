/* listen_report.h: the listening yardstick's report: per feature the generated and real
 * medians and the overlap of the two per-piece distributions, the mean overlap, as a table
 * for people or one JSON object (with every piece's values) for scripts. */
#ifndef CONTINUO_LISTEN_REPORT_H
#define CONTINUO_LISTEN_REPORT_H
#include <stdio.h>
#include "listen_run.h"

typedef struct {
    const char *model_path, *encoding, *source;   /* source: "test split", "files" ... */
    const char *key;
    const cn_listen_opts *lo;
    uint64_t rng;
    char **paths; const cn_listen_piece *pieces; int n;   /* the pieces measured */
    int skipped;
    double seconds;                                       /* wall time of the measuring */
    /* the reference: other pieces' real continuations (the other held-out split, or
     * --reference files), whose overlap with these real ones is what a model that plays like
     * the corpus would reach with this many pieces; n_ref 0 when none */
    const char *ref_source; const cn_listen_piece *ref; int n_ref;
} cn_listen_report;

typedef struct { double gen_median, real_median, overlap, ref_overlap; } cn_listen_row;

/* rows[CN_LF_N]; the means of the overlaps and of the reference overlaps (NAN without
 * pieces, or without a reference). 0, or -1 on out of memory. */
int cn_listen_summarise(const cn_listen_report *r, cn_listen_row *rows, double *mean_overlap, double *mean_ref);
int cn_listen_print_table(FILE *f, const cn_listen_report *r);
int cn_listen_print_json(FILE *f, const cn_listen_report *r);
#endif
