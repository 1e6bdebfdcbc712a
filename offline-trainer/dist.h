/* dist.h: the collective operations a data-parallel training run needs, behind one small
 * interface, so that the training loop knows nothing of MPI. continuo-train links
 * dist_none.c (one process: cn_dist_start gives NULL); continuo-train-mpi links
 * mpi/dist_mpi.c (Open MPI). With dist == NULL, or one rank, the loop is the single-process
 * trainer unchanged. */
#ifndef CONTINUO_DIST_H
#define CONTINUO_DIST_H
#include <stddef.h>
#include <stdint.h>

typedef struct cn_dist cn_dist;
struct cn_dist {
    int rank, size;
    char host[256];
    /* in-place sums over every rank; 0, or -1 when the communication failed */
    int (*sum_f32)(cn_dist *d, float *buf, size_t n);
    int (*sum_f64)(cn_dist *d, double *buf, size_t n);
    /* all[0..size-1] = every rank's value, on every rank */
    int (*gather_u64)(cn_dist *d, uint64_t mine, uint64_t *all);
    /* n bytes of buf from rank 0 to every rank */
    int (*bcast)(cn_dist *d, void *buf, size_t n);
    /* ends the whole job at once (every rank), after printing msg; does not return */
    void (*abort)(cn_dist *d, const char *msg, int status);
    void (*finish)(cn_dist *d);   /* the normal end of a run, on every rank */
    /* the gradient all-reduce's cost, for the benchmark: seconds and calls */
    double grad_sec; long grad_calls;
    int barrier_first;     /* benchmark: a barrier before each all-reduce, timed apart (wait_sec) */
    double wait_sec;
    void *impl;
};

/* Joins the job when started by mpirun with more than one rank: *out = the job, or NULL for
 * a single process. -1 with err when this program cannot take part (e.g. continuo-train,
 * built without MPI, under mpirun). */
int cn_dist_start(int *argc, char ***argv, cn_dist **out, char *err, size_t errlen);

/* The rows [*lo, *lo + *n) of a global batch of B rows that rank r of size takes: the same
 * cut as the batch's thread shards, so that ranks and threads divide a batch alike. */
void cn_dist_rows(int B, int rank, int size, int *lo, int *n);
#endif
