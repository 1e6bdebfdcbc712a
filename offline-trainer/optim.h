/* optim.h: the optimizers of the trainer: Adam (the default, PyTorch's defaults: betas 0.9 and
 * 0.999, eps 1e-8, bias correction) and RMSprop as the report's Keras setup (rho 0.9,
 * eps 1e-7), with gradient clipping by global norm. cn_optim_step applies one whole step, so
 * that a data-parallel run can all-reduce the gradients just before it. */
#ifndef CONTINUO_OPTIM_H
#define CONTINUO_OPTIM_H
#include <stddef.h>
#include <stdint.h>
#include "checkpoint.h"

enum { CN_OPT_ADAM = 0, CN_OPT_RMSPROP = 1 };

typedef struct {
    int kind;              /* CN_OPT_ADAM or CN_OPT_RMSPROP */
    size_t n;              /* parameters */
    float lr, clip;        /* clip: max global gradient norm, 0 = off */
    float *m, *v;          /* Adam: first and second moments; RMSprop: v only */
    uint64_t t;            /* steps taken (Adam's bias correction) */
    double last_norm;      /* the global gradient norm of the last step, before clipping */
} cn_optim;

/* "adam" | "rmsprop" -> kind; -1 if unknown. */
int cn_optim_parse(const char *name, int *kind);
const char *cn_optim_name(int kind);
/* 0, or -1 (unknown kind or out of memory). */
int  cn_optim_init(cn_optim *o, int kind, size_t n_params, float lr, float clip);
void cn_optim_free(cn_optim *o);
/* params -= step(grads) with learning rate lr (the schedule's current value). grads are
 * read only; non-finite gradients skip the step and return -1. */
int  cn_optim_step(cn_optim *o, float *params, const float *grads, float lr);
/* The state to keep in a checkpoint ("adam.m", "adam.v" / "rmsprop.v"): fills up to max
 * arrays pointing into o, returns how many. */
int  cn_optim_arrays(cn_optim *o, cn_ckpt_array *arr, int max);
/* Restores the state from checkpoint arrays and the step count. 0, or -1 when an array is
 * missing or of the wrong size. */
int  cn_optim_restore(cn_optim *o, const cn_ckpt_array *arr, int n_arr, uint64_t step);
#endif
