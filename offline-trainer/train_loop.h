/* train_loop.h: one training run of a model on a corpus: epochs of shuffled, augmented
 * batches; validation, early stopping and the best model kept; the CSV log and the plot;
 * checkpoints every N minutes or epochs and on a stop request (SIGINT/SIGTERM); resuming
 * from a checkpoint exactly; a NaN loss stops the run and keeps the last good files.
 * Every gradient step goes through cn_optim_step. Data parallel (o->dist with several ranks):
 * each rank runs its rows of every global batch, one all-reduce sums the gradient buffer,
 * and every rank takes the same step; the decisions (stop, time budget, validation) are
 * agreed through that same all-reduce or reduced, rank 0 alone writes files and prints. */
#ifndef CONTINUO_TRAIN_LOOP_H
#define CONTINUO_TRAIN_LOOP_H
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "checkpoint.h"
#include "corpus.h"
#include "dist.h"
#include "nn.h"

typedef enum { CN_SCHED_CONSTANT, CN_SCHED_COSINE, CN_SCHED_STEP } cn_lr_schedule;
int cn_lr_schedule_parse(const char *name, cn_lr_schedule *out);
/* The learning rate at progress p in [0, 1] of the run: constant; cosine to 0; step = halved
 * at every quarter. */
float cn_lr_at(cn_lr_schedule s, float lr, double p);

/* Test and benchmark hooks, kept out of the options a user sets. */
typedef struct {
    long fault_nan_after;    /* pretend the loss is NaN after this many steps; 0 = off */
    long fault_signal_after; /* raise SIGTERM after this many steps; 0 = off */
    long fault_diverge_after;/* the last rank's weights drift after this many steps; 0 = off */
    FILE *dump_batches;      /* every training batch's tokens and targets, int32 [B][T] each */
} cn_train_hooks;

typedef struct {
    /* data */
    int seq_len, stride, loss_all, batch;
    int transpose_lo, transpose_hi;
    long epoch_windows;     /* windows an epoch (a fresh shuffled subset each epoch); 0 = all */
    long val_windows;       /* cap on validation and test windows (evenly spaced); 0 = all */
    /* budget: the run ends at whichever comes first; 0 = not set */
    int epochs;
    double minutes;
    /* optimisation */
    int optimizer;          /* CN_OPT_ADAM or CN_OPT_RMSPROP (optim.h) */
    float lr, clip;
    float octave_tie;       /* gradient sharing between a pitch class's octaves (octave_tie.h); 0 = off */
    cn_lr_schedule schedule;
    uint64_t seed;
    int threads;
    /* control */
    int val_every;          /* epochs between validations */
    double ckpt_minutes;    /* 0 = off */
    int ckpt_epochs;        /* 0 = off */
    int early_stop;         /* validations without improvement before stopping; 0 = off */
    const char *out_path;   /* the best model; NULL = keep in memory only */
    const char *ckpt_path;  /* NULL = no checkpoints */
    const char *csv_path, *plot_path;
    const char *config;     /* the run's options, stored in checkpoints for --resume */
    const char *title;      /* for the plot and messages */
    FILE *log;              /* progress and messages */
    int tty;                /* -1 auto, 0 plain lines, 1 live bar */
    volatile sig_atomic_t *stop;   /* set by a signal handler; checked between batches */
    cn_dist *dist;          /* NULL or one rank: a single process */
    const cn_train_hooks *hooks;   /* tests and benchmarks; NULL = none */
} cn_train_opts;

void cn_train_opts_default(cn_train_opts *o);

/* CN_STOP_NAN, CN_STOP_REPLICA and CN_STOP_READ end a data-parallel run on every rank alike;
 * any other error (-1) is one rank's own, and the job must be aborted. CN_STOP_READ: a window
 * could not be read from a token cache (a shard gone or changed while training); the
 * checkpoint is written first. */
enum { CN_STOP_DONE, CN_STOP_EARLY, CN_STOP_TIME, CN_STOP_SIGNAL, CN_STOP_NAN, CN_STOP_REPLICA, CN_STOP_READ };

typedef struct {
    int stopped;                 /* CN_STOP_* */
    int own_error;               /* CN_STOP_READ: this rank's read failed (its message is err) */
    int epochs;                  /* epochs completed */
    double train_loss;           /* last completed epoch's mean batch loss */
    double best_val_loss, best_val_acc;
    int best_epoch;              /* 0 when never validated */
    double test_loss, test_acc;  /* NaN without a test set */
    double seconds, tokens_per_s;  /* wall time of the run, and input tokens a second over it */
    double step_tokens_per_s;      /* input tokens a second in the training steps alone (no validation,
                                    * no saving, no warm-up batch): the benchmark's figure */
    double step_cpu_tokens_per_s;  /* the same per CPU second of the process */
    long train_windows, val_windows, test_windows;
    int ranks;                     /* 1, or the ranks of a data-parallel run */
    double allreduce_ms;           /* data parallel: the gradient all-reduce's time a step */
    double allreduce_share;        /* ... as a share of the step (0..1) */
} cn_train_result;

/* Train m (whose params become the best weights found) on c. resume: NULL, or a loaded
 * checkpoint whose model is m's source. Returns 0 when the run ended normally (done, early
 * stop, time budget), 1 when stopped by a signal (checkpoint written), -1 with err on an
 * error or a NaN loss (the last good checkpoint and model are kept). */
int cn_train_run(cn_model *m, const cn_corpus *c, const cn_train_opts *o, const cn_checkpoint *resume,
                 cn_train_result *res, char *err, size_t errlen);

/* Mean loss (nats/token) and accuracy of m over windows of a split, no augmentation. With
 * o->dist the ranks each take their rows of every batch and the sums are reduced: every
 * rank must call it, and every rank gets the same figures. 0 (a NaN loss is a result), -1
 * out of memory, -3 a window of a token cache could not be read (on every rank alike). */
int cn_train_evaluate(cn_model *m, const cn_corpus *c, int split, const cn_train_opts *o,
                      double *loss, double *acc, long *n_windows);
#endif
