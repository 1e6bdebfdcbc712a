/* progress.h: training progress for people. On a terminal, one live line redrawn in place
 * (epoch, batch, loss, tokens/s, ETA); otherwise plain lines at a steady pace, so that logs
 * of long runs stay readable. */
#ifndef CONTINUO_PROGRESS_H
#define CONTINUO_PROGRESS_H
#include <stdio.h>

typedef struct {
    FILE *out;
    int tty;              /* redraw in place */
    int bar_shown;        /* a live line is on screen and must be cleared before other output */
    double last_draw;     /* seconds, monotonic */
    double plain_every;   /* seconds between plain lines */
    int ranks;            /* > 1: a data-parallel run; tokens/s are the job's, "on N ranks" */
} cn_progress;

double cn_now_sec(void);  /* monotonic clock */

/* tty: 1 = live bar, 0 = plain lines, -1 = ask isatty(out). */
void cn_progress_init(cn_progress *p, FILE *out, int tty, double plain_every_sec);
/* Draw the state when it is time (throttled); force = draw now. eta_sec < 0: unknown. */
void cn_progress_update(cn_progress *p, int epoch, int epochs, long batch, long batches,
                        double loss, double tokens_per_s, double eta_sec, int force);
/* Print a whole line (clearing the live bar first). */
void cn_progress_line(cn_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cn_progress_done(cn_progress *p);   /* leave the cursor on a fresh line */

/* "1h02m", "3m05s", "12s" */
void cn_format_duration(double sec, char *buf, size_t len);
#endif
