/* history.h: one row an epoch of a training run (losses, accuracy, time), kept in the
 * checkpoint so that a resumed run continues its log, and written out as the CSV log and
 * the loss-curve plot. Values not measured that epoch are NaN. */
#ifndef CONTINUO_HISTORY_H
#define CONTINUO_HISTORY_H
#include <stddef.h>

typedef struct {
    int epoch;            /* 1-based */
    double train_loss;    /* mean over the epoch's batches, nats/token */
    double val_loss;      /* NaN when not validated this epoch */
    double val_acc;       /* argmax accuracy on validation, NaN when not validated */
    double seconds;       /* wall time since the run began, at the end of the epoch */
} cn_epoch_row;

typedef struct { cn_epoch_row *rows; int n, cap; } cn_history;

int  cn_history_add(cn_history *h, const cn_epoch_row *row);  /* 0, -1 on OOM */
void cn_history_free(cn_history *h);

/* CSV: header "epoch,train_loss,val_loss,val_accuracy,seconds", empty fields for NaN.
 * Written atomically. 0, or -1 with err. */
int cn_history_write_csv(const cn_history *h, const char *path, char *err, size_t errlen);
/* Loss axis range (5% margins, >= 0) and last epoch, for the plots. */
void cn_history_plot_range(const cn_history *h, double *lo, double *hi, double *e_max);
/* The row with the lowest validation loss, or -1 when none was measured. */
int cn_history_best(const cn_history *h);
/* The loss curves (train and validation against epoch, the best epoch marked), written
 * atomically: PNG when path ends in .png, else SVG. 0, or -1 with err. */
int cn_history_plot(const cn_history *h, const char *path, const char *title, char *err, size_t errlen);
/* The same, always SVG. */
int cn_history_plot_svg(const cn_history *h, const char *path, const char *title, char *err, size_t errlen);
#endif
