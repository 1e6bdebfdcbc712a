/* bench_jam.c: build/bench-jam, speed of the live engine for `make bench`. The RT half
 * (cn_jam_run over 64-frame blocks at 48 kHz, a note every beat, answers playing) and the
 * inference half (cn_jam_work, per model step) are timed apart, with the shipped model when
 * it exists, else untrained weights of the report's size (lstm:256,lstm:256). Prints
 * "name: value unit" lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "jam.h"
#include "modelfile.h"
#include "tokens.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void) {
    char err[512], path[4096];
    const char *p = cn_default_model_path(path, sizeof path);
    cn_model *m = p ? cn_model_load(p, err, sizeof err) : NULL;
    const char *what = p ? p : "untrained lstm:256,lstm:256";
    if (!m) m = cn_model_new("lstm:256,lstm:256", CN_EV_VOCAB, 1, err, sizeof err);
    if (!m) { fprintf(stderr, "bench-jam: %s\n", err); return 1; }
    cn_jam *j = cn_jam_new();
    cn_jam_params prm;
    cn_jam_params_default(&prm);
    prm.seed = 1; prm.channel_out = 2; prm.silence_beats = 1; prm.response_beats = 4;
    cn_jam_set_params(j, &prm);
    if (cn_jam_swap_model(j, m, NULL, err, sizeof err)) { fprintf(stderr, "bench-jam: %s\n", err); return 1; }
    fprintf(stderr, "bench-jam: model %s (%s)\n", what, m->spec_text);

    enum { BLOCK = 64, N_BLOCKS = 48000 };   /* 64 s at 48 kHz */
    const double sr = 48000, fpb = sr * 60 / 120;
    static double run_us[N_BLOCKS];
    double work_us = 0;
    long steps = 0;
    int notes_out = 0;
    cn_midi_msg in[4], out[256];
    for (long b = 0; b < N_BLOCKS; b++) {
        long f0 = b * BLOCK;
        int n_in = 0;
        /* a call of 4 notes, one a beat, then 4 beats of silence for the answer: 8-beat cycle */
        long beat_i = (long)(f0 / fpb), cyc = beat_i % 8;
        long on = (long)(beat_i * fpb), off = on + (long)(fpb / 2);
        if (cyc < 4) {
            if (on >= f0 && on < f0 + BLOCK) in[n_in++] = (cn_midi_msg){ (uint32_t)(on - f0), 3, { 0x90, (uint8_t)(60 + cyc * 2), 90 } };
            if (off >= f0 && off < f0 + BLOCK) in[n_in++] = (cn_midi_msg){ (uint32_t)(off - f0), 3, { 0x80, (uint8_t)(60 + cyc * 2), 0 } };
        }
        cn_jam_time t;
        memset(&t, 0, sizeof t);
        t.n_frames = BLOCK; t.sample_rate = sr;
        double t0 = now_us();
        int k = cn_jam_run(j, &t, in, n_in, out, 256);
        run_us[b] = now_us() - t0;
        for (int i = 0; i < k; i++) if ((out[i].data[0] & 0xF1) == 0x91 && out[i].data[2]) notes_out++;
        if (cn_jam_wants_work(j)) {
            double w0 = now_us();
            int s = cn_jam_work(j, 1 << 20);
            work_us += now_us() - w0;
            steps += s;
        }
    }
    qsort(run_us, N_BLOCKS, sizeof *run_us, cmp_d);
    double block_us = BLOCK / sr * 1e6;
    printf("jam.run_us_p50: %.3f us\n", run_us[N_BLOCKS / 2]);
    printf("jam.run_us_p99: %.3f us\n", run_us[N_BLOCKS * 99 / 100]);
    printf("jam.run_us_max: %.3f us\n", run_us[N_BLOCKS - 1]);
    printf("jam.run_load_p99_pct: %.4f %%\n", 100 * run_us[N_BLOCKS * 99 / 100] / block_us);
    printf("jam.work_us_per_step: %.2f us\n", steps ? work_us / steps : 0.0);
    printf("jam.work_load_pct: %.2f %%\n", 100 * work_us / (N_BLOCKS * block_us));
    printf("jam.answer_notes: %d notes\n", notes_out);
    cn_jam_free(j);
    return 0;
}
