/* dist_mpi.c: the collectives of dist.h on Open MPI, for continuo-train-mpi. One rank alone
 * (no mpirun, or -np 1) is the single-process trainer: cn_dist_start then gives NULL.
 * MPI_ERRORS_RETURN lets a failed collective come back as an error that names the rank,
 * instead of a bare abort inside the library. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dist.h"
#include "progress.h"

static int mpi_ok(cn_dist *d, int rc, const char *what) {
    if (rc == MPI_SUCCESS) return 0;
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, s, &len);
    fprintf(stderr, "continuo-train: rank %d on %s: %s failed: %s (another rank died?)\n", d->rank, d->host, what, s);
    return -1;
}

/* With CONTINUO_ALLREDUCE_BARRIER=1 (the benchmark) the ranks first wait for each other in a
 * barrier, so that the all-reduce's time is its communication alone and not also the wait
 * for the slowest rank. */
static int sum_f32(cn_dist *d, float *buf, size_t n) {
    if (d->barrier_first) {
        double w = cn_now_sec();
        if (mpi_ok(d, MPI_Barrier(MPI_COMM_WORLD), "a barrier")) return -1;
        d->wait_sec += cn_now_sec() - w;
    }
    double t = cn_now_sec();
    int rc = mpi_ok(d, MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "the gradient all-reduce");
    d->grad_sec += cn_now_sec() - t;
    d->grad_calls++;
    return rc;
}

static int sum_f64(cn_dist *d, double *buf, size_t n) {
    return mpi_ok(d, MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "an all-reduce");
}

static int gather_u64(cn_dist *d, uint64_t mine, uint64_t *all) {
    return mpi_ok(d, MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD), "an all-gather");
}

static int bcast(cn_dist *d, void *buf, size_t n) {
    return mpi_ok(d, MPI_Bcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD), "a broadcast");
}

static void abort_job(cn_dist *d, const char *msg, int status) {
    if (msg && *msg) fprintf(stderr, "continuo-train: rank %d on %s: %s\n", d->rank, d->host, msg);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status ? status : 1);
    exit(status ? status : 1);
}

static void finish(cn_dist *d) {
    (void)d;
    MPI_Finalize();
}

int cn_dist_start(int *argc, char ***argv, cn_dist **out, char *err, size_t errlen) {
    *out = NULL;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed: start continuo-train-mpi with mpirun");
        return -1;
    }
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1) { MPI_Finalize(); return 0; }   /* one rank: the plain trainer */
    static cn_dist d;   /* one job a process; lives until exit */
    memset(&d, 0, sizeof d);
    MPI_Comm_rank(MPI_COMM_WORLD, &d.rank);
    d.size = size;
    if (gethostname(d.host, sizeof d.host - 1)) snprintf(d.host, sizeof d.host, "?");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    d.sum_f32 = sum_f32; d.sum_f64 = sum_f64; d.gather_u64 = gather_u64; d.bcast = bcast;
    d.abort = abort_job; d.finish = finish;
    const char *b = getenv("CONTINUO_ALLREDUCE_BARRIER");
    d.barrier_first = b && *b == '1';
    *out = &d;
    return 0;
}
