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
} cn_listen_report;

typedef struct { double gen_median, real_median, overlap; } cn_listen_row;

/* rows[CN_LF_N]; the mean of the overlaps (NAN without pieces). 0, or -1 on out of memory. */
int cn_listen_summarise(const cn_listen_report *r, cn_listen_row *rows, double *mean_overlap);
int cn_listen_print_table(FILE *f, const cn_listen_report *r);
int cn_listen_print_json(FILE *f, const cn_listen_report *r);
#endif
