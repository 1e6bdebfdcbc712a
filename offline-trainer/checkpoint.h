/* checkpoint.h: everything a training run needs to continue exactly where it stopped, in
 * ONE file written atomically (temp, fsync, rename), so that a kill -9 at any moment leaves
 * either the previous checkpoint or the new one, never a mix:
 *   - the model, as the bytes of a model file written by cn_model_save;
 *   - the position: epochs done, batches done in the current epoch, optimizer steps, the
 *     trainer's RNG state, the running loss of the epoch, best validation loss and patience;
 *   - the per-epoch history (for the CSV log and the plot);
 *   - the run's configuration text (the options, so --resume needs no others);
 *   - named float arrays: the optimizer's moments and the best weights so far.
 * A CRC-32 covers the whole file; loading checks it and every size before use. */
#ifndef CONTINUO_CHECKPOINT_H
#define CONTINUO_CHECKPOINT_H
#include <stddef.h>
#include <stdint.h>
#include "history.h"
#include "nn.h"

#define CN_CKPT_MAGIC "CNTCKPT1"
#define CN_CKPT_MAX_ARRAYS 8

typedef struct {
    int32_t epoch;         /* epochs completed */
    uint64_t batch;        /* batches done in the current (unfinished) epoch */
    uint64_t step;         /* optimizer steps over the whole run */
    uint64_t rng;          /* the trainer's RNG state (dropout seeds) */
    double elapsed;        /* seconds of training over all sessions */
    double loss_sum;       /* the current epoch's summed batch losses ... */
    uint64_t loss_batches; /* ... and their count */
    double best_val;       /* best validation loss so far (INFINITY when none) */
    int32_t best_epoch;    /* the epoch that reached it, 0 when none */
    int32_t since_best;    /* validations without improvement, for early stopping */
} cn_ckpt_pos;

typedef struct { char name[32]; float *data; size_t n; } cn_ckpt_array;

/* Write the checkpoint. The array data is copied out, not kept. 0, or -1 with err
 * (the previous checkpoint at path is then unchanged). */
int cn_checkpoint_save(const char *path, const cn_model *m, const cn_ckpt_pos *pos, const cn_history *h,
                       const char *config, const cn_ckpt_array *arrays, int n_arrays, char *err, size_t errlen);

typedef struct {
    cn_model *model;
    cn_ckpt_pos pos;
    cn_history history;
    char *config;
    cn_ckpt_array arrays[CN_CKPT_MAX_ARRAYS]; int n_arrays;   /* data malloc'd */
} cn_checkpoint;

/* Read and check a checkpoint. 0, or -1 with err "PATH: problem". */
int  cn_checkpoint_load(const char *path, cn_checkpoint *out, char *err, size_t errlen);
void cn_checkpoint_free(cn_checkpoint *c);
/* The array of that name with exactly n floats, or NULL. */
const cn_ckpt_array *cn_checkpoint_array(const cn_checkpoint *c, const char *name, size_t n);
#endif
