/* bench_nn.c: speed of the neural core on the report's Model 1 (one-hot V=300 -> Conv1D 256
 * k3 -> LSTM256 -> LSTM256 -> Dense V; T=100, batch 64), one "name: value unit" per line:
 *   train.seq_per_s            forward + backward + Adam step, loss on the last step (report)
 *   train.all_steps_seq_per_s  the same with the loss on every step
 *   train.cpu_seq_per_s        last-step training per CPU second (all threads), load-robust
 *   step.us_p50 / step.us_p99  one streaming step with sampling (cn_sample), int8 weights
 *   step.f32_us_p50, step.f16_us_p50, step.i8_us_p50: each weight format
 * Usage: bench-nn [threads (2)] [train steps (8)] [stream steps (20000)] [blas threads (1)]
 * threads = batch shards in parallel, each on single-threaded BLAS; threads 1 with blas 2
 * measures the other arrangement (one shard, OpenBLAS's own threads). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nn.h"
#include "../../offline-trainer/optim.h"
#include "rng.h"
#include "sample.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sequences per wall second; *cpu_rate gets sequences per CPU second of the whole process
 * (all threads), which a busy machine disturbs much less. */
static double train_rate(cn_model *m, int B, int T, int all, int threads, int steps, double *cpu_rate) {
    cn_batch *b = cn_batch_new_threads(m, B, T, all, threads);
    cn_optim o;
    if (!b || cn_optim_init(&o, CN_OPT_ADAM, m->n_params, 1e-3f, 1.0f)) { fprintf(stderr, "bench-nn: out of memory\n"); exit(1); }
    int *tok = malloc(sizeof(int) * B * T), *tgt = malloc(sizeof(int) * B * T);
    uint64_t rng = cn_rng_seed(1);
    for (int i = 0; i < B * T; i++) { tok[i] = (int)(cn_rng_next(&rng) % 300); tgt[i] = (int)(cn_rng_next(&rng) % 300); }
    double t0 = 0, c0 = 0;
    for (int it = -2; it < steps; it++) {   /* two warm-up steps */
        if (it == 0) { t0 = now(); c0 = cpu_now(); }
        cn_batch_zero_grads(b);
        cn_batch_forward(b, tok, tgt, 1, (uint64_t)it);
        cn_batch_backward(b);
        cn_optim_step(&o, m->params, cn_batch_grads(b), 1e-3f);
    }
    double dt = (now() - t0) / steps;
    *cpu_rate = B / ((cpu_now() - c0) / steps);
    cn_optim_free(&o);
    free(tok); free(tgt);
    cn_batch_free(b);
    return B / dt;
}

/* p50 and p99 of one streaming step including sampling, in microseconds. */
static void stream_times(const cn_model *m, cn_weight_format wf, int n, double *p50, double *p99) {
    cn_stream *s = cn_stream_new(m, wf);
    cn_sample_opts so = cn_sample_defaults();
    void *scratch = malloc(cn_sample_scratch_bytes(m->vocab));
    double *t = malloc(sizeof(double) * n);
    int recent[16] = { 0 };
    uint64_t rng = cn_rng_seed(3);
    int tok = 0;
    for (int i = -200; i < n; i++) {
        double a = now();
        const float *z = cn_stream_step(s, tok);
        tok = cn_sample(z, m->vocab, &so, NULL, recent, 16, &rng, scratch);
        double d = now() - a;
        memmove(recent, recent + 1, sizeof(int) * 15);
        recent[15] = tok;
        if (i >= 0) t[i] = d * 1e6;
    }
    qsort(t, n, sizeof(double), cmp_d);
    *p50 = t[n / 2];
    *p99 = t[(int)(n * 0.99)];
    free(t); free(scratch);
    cn_stream_free(s);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    int steps = argc > 2 ? atoi(argv[2]) : 8;
    int n = argc > 3 ? atoi(argv[3]) : 20000;
    int blas = argc > 4 ? atoi(argv[4]) : 1;
    if (threads < 1 || steps < 1 || n < 100 || blas < 1) {
        fprintf(stderr, "usage: bench-nn [threads] [train steps] [stream steps] [blas threads]\n");
        return 2;
    }
    char err[160];
    cn_model *m = cn_model_new("paper-m1", 300, 1, err, sizeof err);
    if (!m) { fprintf(stderr, "bench-nn: %s\n", err); return 1; }
    int B = 64, T = 100;
    if (threads == 1) openblas_set_num_threads(blas);
    double cpu_last, cpu_all;
    printf("train.seq_per_s: %.1f seq/s\n", train_rate(m, B, T, 0, threads, steps, &cpu_last));
    printf("train.all_steps_seq_per_s: %.1f seq/s\n", train_rate(m, B, T, 1, threads, steps, &cpu_all));
    printf("train.cpu_seq_per_s: %.1f seq/cpu-s\n", cpu_last);
    openblas_set_num_threads(1);
    double p50[3], p99[3];
    for (int f = 0; f < 3; f++) stream_times(m, (cn_weight_format)f, n, &p50[f], &p99[f]);
    printf("step.us_p50: %.1f us\n", p50[CN_W_I8]);
    printf("step.us_p99: %.1f us\n", p99[CN_W_I8]);
    printf("step.f32_us_p50: %.1f us\n", p50[CN_W_F32]);
    printf("step.f16_us_p50: %.1f us\n", p50[CN_W_F16]);
    printf("step.i8_us_p50: %.1f us\n", p50[CN_W_I8]);
    cn_model_free(m);
    return 0;
}
