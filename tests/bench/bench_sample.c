/* bench_sample.c: `make bench` figures for cn_sample on the event vocabulary (V=320), with
 * logits shaped like a trained model's (a few strong candidates over a long tail):
 *   sample.us_p50 / sample.us_p99                   temperature 1, no truncation
 *   sample.top_p.us_p50 / sample.top_p.us_p99       top-p 0.9 with the repetition guard and a key
 * Each figure is a percentile over single calls, timed with the monotonic clock. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "rng.h"
#include "sample.h"

#define V 320
#define CALLS 20000

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void run(const char *name, const cn_sample_opts *o, const uint16_t *pc, double *times) {
    static float logits[V];
    uint64_t rng = cn_rng_seed(7), shape = cn_rng_seed(8);
    void *scratch = malloc(cn_sample_scratch_bytes(V));
    int recent[16] = { 0 }, n_recent = 0;
    long sink = 0;
    for (int c = 0; c < CALLS; c++) {
        for (int i = 0; i < V; i++) {   /* a fresh, peaky distribution each call */
            float u = cn_rng_uniform(&shape);
            logits[i] = u * u * u * 12.0f - 4.0f;
        }
        double t0 = now_us();
        int tok = cn_sample(logits, V, o, pc, recent, n_recent, &rng, scratch);
        times[c] = now_us() - t0;
        sink += tok;
        if (n_recent < 16) recent[n_recent++] = tok;
        else { for (int i = 1; i < 16; i++) recent[i - 1] = recent[i]; recent[15] = tok; }
    }
    free(scratch);
    qsort(times, CALLS, sizeof *times, cmp_double);
    printf("%s.us_p50: %.2f us\n%s.us_p99: %.2f us\n", name, times[CALLS / 2], name, times[CALLS * 99 / 100]);
    if (sink == -1) puts("");   /* keeps the calls observable */
}

int main(void) {
    static double times[CALLS];
    static uint16_t pc[V];
    for (int i = 0; i < 128; i++) pc[i] = (uint16_t)(1u << (i % 12));   /* NOTE_ON tokens sound their pitch */
    cn_sample_opts o = cn_sample_defaults();
    run("sample", &o, NULL, times);
    o.top_p = 0.9f; o.max_run = 4; o.repeat_penalty = 1.2f; o.key_mask = cn_key_parse("C");
    run("sample.top_p", &o, pc, times);
    return 0;
}
