/* train_loop.c: the training run (see train_loop.h). All randomness is a function of the
 * seed and the position (epoch, batch), or of the RNG state kept in the checkpoint, so that a
 * resumed run replays exactly the batches, transpositions and dropout masks it would have seen. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "atomicfile.h"
#include "cli.h"
#include "crc32.h"
#include "history.h"
#include "modelfile.h"
#include "octave_tie.h"
#include "optim.h"
#include "progress.h"
#include "rng.h"
#include "tokcache.h"
#include "train_loop.h"
#include "windows.h"

int cn_lr_schedule_parse(const char *name, cn_lr_schedule *out) {
    if (strcmp(name, "constant") == 0) *out = CN_SCHED_CONSTANT;
    else if (strcmp(name, "cosine") == 0) *out = CN_SCHED_COSINE;
    else if (strcmp(name, "step") == 0) *out = CN_SCHED_STEP;
    else return -1;
    return 0;
}

float cn_lr_at(cn_lr_schedule s, float lr, double p) {
    if (p < 0) p = 0;
    if (p > 1) p = 1;
    switch (s) {
    case CN_SCHED_COSINE: return (float)(lr * 0.5 * (1.0 + cos(3.14159265358979323846 * p)));
    case CN_SCHED_STEP: return (float)(lr * pow(0.5, floor(p * 4.0 < 3.0 ? p * 4.0 : 3.0)));
    case CN_SCHED_CONSTANT: break;
    }
    return lr;
}

void cn_train_opts_default(cn_train_opts *o) {
    memset(o, 0, sizeof *o);
    o->seq_len = 100;
    o->stride = 0;            /* decided from the loss: see train_main.c */
    o->loss_all = 1;
    o->batch = 64;
    o->val_windows = 4096;
    o->epochs = 0;
    o->optimizer = CN_OPT_ADAM;
    o->lr = 3e-3f;            /* with the cosine decay: breaks the unigram plateau far sooner than 1e-3 */
    o->clip = 1.0f;
    o->schedule = CN_SCHED_COSINE;
    o->seed = 1;
    o->threads = 2;
    o->val_every = 1;
    o->tty = -1;
}

/* The shuffle of epoch e and the augmentation of (epoch, batch): mixed from the seed. */
static uint64_t mix(uint64_t seed, uint64_t a, uint64_t b) {
    return cn_rng_seed(seed ^ cn_rng_seed(a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull));
}

static int all_finite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* ---- evaluation ---- */

/* The active job, or NULL for one process (a job of one rank is one process). */
static cn_dist *job_of(const cn_train_opts *o) {
    return o->dist && o->dist->size > 1 ? o->dist : NULL;
}

/* This process's rows of a global batch of B: all of them, or its rank's share. */
static void my_rows(const cn_train_opts *o, int B, int *lo, int *n) {
    cn_dist *d = job_of(o);
    if (d) cn_dist_rows(B, d->rank, d->size, lo, n);
    else { *lo = 0; *n = B; }
}

/* Batches of B windows in order; bt holds rows lo..lo+Bl-1 of each (all of them in one
 * process). Under a job the sums are reduced, so that every rank gets the same figures.
 * 0; -1 a non-finite loss; -2 the reduction failed; -3 a window could not be read. */
static int eval_windows(cn_batch *bt, const cn_corpus *c, const cn_windows *ws, int B, int lo, int Bl,
                        cn_dist *d, int *tok, int *tgt, size_t *idx, double *loss, double *acc) {
    double s[5] = { 0, 0, 0, 0, 0 };   /* loss sum, counted, correct, a non-finite loss seen, a read failed */
    cn_fill_opts none = { 0, 0 };
    for (size_t first = 0; first < ws->n; first += (size_t)B) {
        int count = ws->n - first < (size_t)B ? (int)(ws->n - first) : B;
        int mine = count - lo < Bl ? count - lo : Bl;   /* real windows among my rows */
        if (mine <= 0) continue;
        for (int k = 0; k < mine; k++) idx[k] = first + (size_t)lo + (size_t)k;
        if (cn_windows_fill(c, ws, idx, mine, Bl, &none, 0, tok, tgt)) { s[4] = 1; break; }
        float l = cn_batch_forward(bt, tok, tgt, 0, 0);
        int n = cn_batch_counted(bt);
        if (!isfinite(l)) { s[3] = 1; break; }
        s[0] += (double)l * n;
        s[1] += n;
        s[2] += cn_batch_correct(bt);
    }
    if (d && d->sum_f64(d, s, 5)) return -2;   /* joined even after a failed read: every rank decides alike */
    if (s[4] > 0) return -3;
    if (s[3] > 0) return -1;
    *loss = s[1] > 0 ? s[0] / s[1] : NAN;
    *acc = s[1] > 0 ? s[2] / s[1] : NAN;
    return 0;
}

static size_t stride_of(const cn_train_opts *o) {
    return o->stride > 0 ? (size_t)o->stride : 1;
}

int cn_train_evaluate(cn_model *m, const cn_corpus *c, int split, const cn_train_opts *o,
                      double *loss, double *acc, long *n_windows) {
    *loss = *acc = NAN;
    cn_windows ws;
    if (cn_windows_cut(c, split, o->seq_len, (int)stride_of(o), &ws)) return -1;
    cn_windows_thin(&ws, o->val_windows > 0 ? (size_t)o->val_windows : 0);
    if (n_windows) *n_windows = (long)ws.n;
    if (ws.n == 0) { cn_windows_free(&ws); return 0; }
    int B = o->batch, T = o->seq_len, lo, Bl;
    my_rows(o, B, &lo, &Bl);
    cn_batch *bt = cn_batch_new_threads(m, Bl, T, o->loss_all, o->threads);
    int *tok = malloc(sizeof(int) * (size_t)Bl * (size_t)T), *tgt = malloc(sizeof(int) * (size_t)Bl * (size_t)T);
    size_t *idx = malloc(sizeof(size_t) * (size_t)Bl);
    int rc = -1;
    if (bt && tok && tgt && idx) rc = eval_windows(bt, c, &ws, B, lo, Bl, job_of(o), tok, tgt, idx, loss, acc);
    if (rc == -1 && bt && tok && tgt && idx) rc = 0, *loss = NAN;   /* a NaN loss is a result, not an error */
    if (bt) cn_batch_free(bt);
    free(tok); free(tgt); free(idx);
    cn_windows_free(&ws);
    return rc;
}

/* ---- the run ---- */

typedef struct {
    cn_model *m;
    const cn_corpus *c;
    const cn_train_opts *o;
    cn_optim opt;
    float *best;                 /* the best weights so far */
    cn_ckpt_pos pos;
    cn_history hist;
    cn_progress prog;
    double t0;                   /* now() - elapsed at the start of this session */
    double test_loss, test_acc;  /* NaN until the final test */
    char *err; size_t errlen;
    /* data parallel */
    cn_dist *d;                  /* NULL: one process */
    int root;                    /* this process writes files and prints (rank 0, or alone) */
    double agreed_elapsed;       /* rank 0's clock as of the last all-reduce: every rank decides by it */
    int agreed_stop;             /* a rank had a stop request as of the last all-reduce */
    int replica_failed;          /* the replica check failed (on every rank alike) */
    /* the loop's own */
    cn_train_result *res;
    const cn_train_hooks *hooks; /* never NULL: NO_HOOKS when none */
    FILE *log;
    int B, T, lo, Bl;            /* the global batch, the window, my rows of every batch */
    cn_windows tw, vw;           /* training and validation windows */
    size_t per_epoch;            /* training windows an epoch */
    long nb, batches_total;      /* batches an epoch; in all (0 when only a budget is set) */
    int *tok, *tgt;              /* my rows' tokens and targets */
    size_t *order, *idx;         /* the epoch's window order; validation's scratch */
    cn_batch *bt;
    float *gbuf;                 /* data parallel: the gradients and extras all-reduced */
    double budget;               /* seconds; 0 = none */
    double last_ckpt;            /* run clock at the last checkpoint */
    int last_ckpt_epoch;
    double session_t0, tokens_done;
    double step_tokens, step_time, step_cpu, ar_time;   /* the batches alone, the first left out */
    long session_batches;
    int hinted;                  /* the overfitting hint is given once a run */
} run_ctx;

/* SOURCE_DATE_EPOCH (the reproducible-builds convention) fixes the date, and then nothing
 * time-dependent goes into the model, so that two runs give byte-identical files. */
static int reproducible_date(time_t *t) {
    const char *s = getenv("SOURCE_DATE_EPOCH");
    char *end;
    if (!s || !*s) return 0;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 0) return 0;
    *t = (time_t)v;
    return 1;
}

static void note_time(const char *key, cn_model *m) {
    char buf[64];
    time_t now = time(NULL);
    reproducible_date(&now);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    cn_meta_set(&m->meta, key, buf);
}

static void meta_num(cn_model *m, const char *key, double v, const char *fmt) {
    char buf[64];
    if (!isfinite(v)) return;
    snprintf(buf, sizeof buf, fmt, v);
    cn_meta_set(&m->meta, key, buf);
}

static void meta_unset(cn_meta *m, const char *key) {
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->keys[i], key) == 0) {
            free(m->keys[i]); free(m->vals[i]);
            memmove(&m->keys[i], &m->keys[i + 1], (size_t)(m->n - i - 1) * sizeof *m->keys);
            memmove(&m->vals[i], &m->vals[i + 1], (size_t)(m->n - i - 1) * sizeof *m->vals);
            m->n--;
            return;
        }
}

/* The run's figures in the model's metadata, always in the same order (whatever was known at
 * earlier saves), so that a resumed run writes the same bytes as an uninterrupted one. */
static void meta_progress(run_ctx *r) {
    static const char *keys[] = { "epochs", "trained_seconds", "train_loss", "val_loss", "best_epoch",
                                  "val_accuracy", "test_loss", "test_accuracy", "date" };
    cn_model *m = r->m;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) meta_unset(&m->meta, keys[i]);
    meta_num(m, "epochs", (double)r->pos.epoch, "%.0f");
    time_t fixed;
    if (!reproducible_date(&fixed)) meta_num(m, "trained_seconds", r->pos.elapsed, "%.0f");
    if (r->hist.n > 0) meta_num(m, "train_loss", r->hist.rows[r->hist.n - 1].train_loss, "%.4f");
    if (r->pos.best_epoch > 0) {
        meta_num(m, "val_loss", r->pos.best_val, "%.4f");
        meta_num(m, "best_epoch", (double)r->pos.best_epoch, "%.0f");
        for (int i = 0; i < r->hist.n; i++)
            if (r->hist.rows[i].epoch == r->pos.best_epoch) meta_num(m, "val_accuracy", r->hist.rows[i].val_acc, "%.4f");
    }
    meta_num(m, "test_loss", r->test_loss, "%.4f");
    meta_num(m, "test_accuracy", r->test_acc, "%.4f");
    note_time("date", m);
}

/* What a stopped run leaves behind, for its last message. */
static void kept_files(const cn_train_opts *o, char *buf, size_t len) {
    int ck = o->ckpt_path && access(o->ckpt_path, F_OK) == 0, md = o->out_path && access(o->out_path, F_OK) == 0;
    if (ck && md) snprintf(buf, len, "the last good checkpoint %s and model %s are kept", o->ckpt_path, o->out_path);
    else if (ck) snprintf(buf, len, "the last good checkpoint %s is kept", o->ckpt_path);
    else if (md) snprintf(buf, len, "the last good model %s is kept", o->out_path);
    else snprintf(buf, len, "no model or checkpoint had been written yet");
}

/* Writes the best weights (or the current ones before any validation) to the output path. */
static int write_best(run_ctx *r) {
    if (!r->o->out_path || !r->root) return 0;
    cn_model *m = r->m;
    size_t n = m->n_params;
    float *cur = NULL;
    if (r->pos.best_epoch > 0) {
        cur = malloc(n * sizeof *cur);
        if (!cur) { snprintf(r->err, r->errlen, "out of memory"); return -1; }
        memcpy(cur, m->params, n * sizeof *cur);
        memcpy(m->params, r->best, n * sizeof *cur);
    }
    meta_progress(r);
    int rc = cn_model_save(r->o->out_path, m, 0, r->err, r->errlen);
    if (cur) { memcpy(m->params, cur, n * sizeof *cur); free(cur); }
    return rc;
}

/* Every rank's weights against rank 0's (a checksum each): replicas that drifted apart would
 * train on in silence. 0, or -1 with err on every rank alike. */
static int replica_check(run_ctx *r) {
    if (!r->d) return 0;
    int size = r->d->size;
    uint64_t *all = calloc((size_t)size, sizeof *all);
    if (!all) { snprintf(r->err, r->errlen, "out of memory"); return -1; }
    uint64_t mine = cn_crc32(0, r->m->params, r->m->n_params * sizeof *r->m->params);
    if (r->d->gather_u64(r->d, mine, all)) { free(all); snprintf(r->err, r->errlen, "the replica check failed (a rank died?)"); return -1; }
    int bad = -1, n_bad = 0;
    for (int i = 1; i < size; i++)
        if (all[i] != all[0]) { if (bad < 0) bad = i; n_bad++; }
    if (bad > 0) {
        char kept[600];
        kept_files(r->o, kept, sizeof kept);
        snprintf(r->err, r->errlen, "the weights of rank %d%s differ from rank 0's after step %lu (checksum %08llx, "
                 "rank 0 %08llx): the replicas diverged (every rank must run the same build on the same corpus); "
                 "stopped; %s", bad, n_bad > 1 ? " and others" : "", (unsigned long)r->pos.step,
                 (unsigned long long)all[bad], (unsigned long long)all[0], kept);
        r->replica_failed = 1;
    }
    free(all);
    return bad > 0 ? -1 : 0;
}

static int write_checkpoint(run_ctx *r) {
    if (!r->o->ckpt_path) return 0;
    if (replica_check(r)) return -1;
    if (!r->root) return 0;
    if (!all_finite(r->m->params, r->m->n_params)) {
        snprintf(r->err, r->errlen, "the weights hold NaN or Inf: checkpoint not written");
        return -1;
    }
    cn_ckpt_array arr[CN_CKPT_MAX_ARRAYS];
    int na = cn_optim_arrays(&r->opt, arr, CN_CKPT_MAX_ARRAYS - 1);
    if (r->pos.best_epoch > 0) {
        snprintf(arr[na].name, sizeof arr[na].name, "best");
        arr[na].data = r->best; arr[na].n = r->m->n_params;
        na++;
    }
    meta_progress(r);
    return cn_checkpoint_save(r->o->ckpt_path, r->m, &r->pos, &r->hist, r->o->config, arr, na, r->err, r->errlen);
}

static int write_logs(run_ctx *r) {
    if (!r->root) return 0;
    if (r->o->csv_path && cn_history_write_csv(&r->hist, r->o->csv_path, r->err, r->errlen)) return -1;
    if (r->o->plot_path && cn_history_plot(&r->hist, r->o->plot_path, r->o->title, r->err, r->errlen)) return -1;
    return 0;
}

/* CPU seconds of the whole process: a speed figure that other programs' load disturbs less. */
static double cpu_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double elapsed(const run_ctx *r) { return cn_now_sec() - r->t0; }
/* The clock decisions are taken by: this process's, or rank 0's as every rank last heard it. */
static double run_clock(const run_ctx *r) { return r->d ? r->agreed_elapsed : elapsed(r); }

/* Extra values that ride on the gradient all-reduce after the n gradients, so that one call a
 * step also agrees the loss, a stop request and rank 0's clock across the ranks. */
enum { X_LOSS, X_BAD, X_COUNTED, X_STOP, X_CLOCK, N_EXTRA };

/* Sums the gradients and the extras over the ranks into buf (n + N_EXTRA floats) and reads the
 * agreed values back: *loss becomes the global batch's mean loss (NaN when any rank's was not
 * finite). global_counted: the targets the parts' gradients were scaled by (every target of
 * the batch's real windows). 0, or -1 with err when the communication failed. */
static int allreduce_step(run_ctx *r, cn_batch *bt, float *buf, float *loss, int global_counted) {
    size_t n = r->m->n_params;
    int bad = !isfinite(*loss);
    memcpy(buf, cn_batch_grads(bt), n * sizeof *buf);
    buf[n + X_LOSS] = bad ? 0.0f : *loss * (float)cn_batch_counted(bt);
    buf[n + X_BAD] = (float)bad;
    buf[n + X_COUNTED] = (float)cn_batch_counted(bt);
    buf[n + X_STOP] = r->o->stop && *r->o->stop ? 1.0f : 0.0f;
    buf[n + X_CLOCK] = r->root ? (float)elapsed(r) : 0.0f;
    /* BatchNorm running statistics have no gradient: their slots carry the ranks' own
     * statistics instead, averaged, so that the replicas keep the same ones */
    const cn_model *m = r->m;
    float inv = 1.0f / (float)r->d->size;
    for (int t = 0; t < m->n_tensors; t++)
        if (!m->tensors[t].trainable)
            for (size_t i = m->tensors[t].offset; i < m->tensors[t].offset + m->tensors[t].size; i++) buf[i] = m->params[i] * inv;
    if (r->d->sum_f32(r->d, buf, n + N_EXTRA)) {
        snprintf(r->err, r->errlen, "the gradient all-reduce failed at step %lu (a rank died?)", (unsigned long)r->pos.step + 1);
        return -1;
    }
    int counted = (int)buf[n + X_COUNTED];
    if (buf[n + X_BAD] == 0 && (counted < 1 || counted > global_counted)) {
        snprintf(r->err, r->errlen, "the ranks counted %d targets in batch %lu, at most %d expected: the ranks do not read the same batches",
                 counted, (unsigned long)r->pos.batch + 1, global_counted);
        return -1;
    }
    for (int t = 0; t < m->n_tensors; t++)
        if (!m->tensors[t].trainable)
            for (size_t i = m->tensors[t].offset; i < m->tensors[t].offset + m->tensors[t].size; i++) {
                m->params[i] = buf[i];
                buf[i] = 0.0f;
            }
    /* the parts were scaled by the batch's most targets; ignored targets (note-encoding controls)
     * make the true count smaller: rescale to the mean over the counted ones */
    if (buf[n + X_BAD] == 0 && counted != global_counted) {
        float k = (float)global_counted / (float)counted;
        for (size_t i = 0; i < n; i++) buf[i] *= k;
    }
    *loss = buf[n + X_BAD] > 0 ? NAN : buf[n + X_LOSS] / (float)counted;
    r->agreed_stop = buf[n + X_STOP] > 0;
    r->agreed_elapsed = buf[n + X_CLOCK];
    return 0;
}

#define OVERFIT_EPOCHS 3   /* validations in a row of rising validation loss and falling training loss */

/* Whether the last OVERFIT_EPOCHS validated epochs each had a higher validation loss and a
 * lower training loss than the one before: the model learns its training pieces by heart. */
static int overfitting(const cn_history *h) {
    int seen = 0;
    const cn_epoch_row *later = NULL;
    for (int i = h->n - 1; i >= 0 && seen <= OVERFIT_EPOCHS; i--) {
        const cn_epoch_row *row = &h->rows[i];
        if (!isfinite(row->val_loss)) continue;
        if (later && !(later->val_loss > row->val_loss && later->train_loss < row->train_loss)) return 0;
        later = row;
        seen++;
    }
    return seen > OVERFIT_EPOCHS;
}

/* ---- the run, in named steps: set up, restore, then epochs of batches, each epoch ended by
 * validation, logs and the best model; then the final test. Each step returns 0 to go on. */

enum { RUN_DONE = 0, RUN_SIGNAL = 1, RUN_DIVERGED = 2, RUN_ERROR = -1 };

static const cn_train_hooks NO_HOOKS;

/* The windows, the batch and its buffers, the optimizer. */
static int setup(run_ctx *r) {
    const cn_train_opts *o = r->o;
    r->B = o->batch; r->T = o->seq_len;
    my_rows(o, r->B, &r->lo, &r->Bl);
    if (cn_windows_cut(r->c, CN_SPLIT_TRAIN, r->T, (int)stride_of(o), &r->tw) ||
        cn_windows_cut(r->c, CN_SPLIT_VAL, r->T, (int)stride_of(o), &r->vw)) {
        snprintf(r->err, r->errlen, "out of memory cutting windows");
        return -1;
    }
    cn_windows_thin(&r->vw, o->val_windows > 0 ? (size_t)o->val_windows : 0);
    r->res->train_windows = (long)r->tw.n; r->res->val_windows = (long)r->vw.n;
    if (r->tw.n == 0) {
        snprintf(r->err, r->errlen, "no training windows: every training piece is shorter than --seq-len %d + 1 tokens "
                 "(%d %s); use a shorter --seq-len or longer pieces", r->T, r->tw.short_pieces,
                 cn_plural(r->tw.short_pieces, "piece", "pieces"));
        return -1;
    }
    r->per_epoch = o->epoch_windows > 0 && (size_t)o->epoch_windows < r->tw.n ? (size_t)o->epoch_windows : r->tw.n;
    r->nb = (long)((r->per_epoch + (size_t)r->B - 1) / (size_t)r->B);
    if (r->d && r->B < r->d->size) {
        snprintf(r->err, r->errlen, "--batch %d is smaller than the %d ranks: every rank needs a window of each batch",
                 r->B, r->d->size);
        return -1;
    }
    size_t n = r->m->n_params, cells = (size_t)r->Bl * (size_t)r->T;
    r->bt = cn_batch_new_threads(r->m, r->Bl, r->T, o->loss_all, o->threads);
    r->tok = malloc(sizeof(int) * cells);
    r->tgt = malloc(sizeof(int) * cells);
    r->order = malloc(sizeof(size_t) * r->tw.n);
    r->idx = malloc(sizeof(size_t) * (size_t)r->Bl);
    r->best = malloc(n * sizeof *r->best);
    if (r->d) r->gbuf = malloc((n + N_EXTRA) * sizeof *r->gbuf);
    if (!r->bt || !r->tok || !r->tgt || !r->order || !r->idx || !r->best || (r->d && !r->gbuf) ||
        cn_optim_init(&r->opt, o->optimizer, n, o->lr, o->clip)) {
        snprintf(r->err, r->errlen, "out of memory for training (batch %d x %d, %zu parameters)", r->B, r->T, n);
        return -1;
    }
    return 0;
}

/* A fresh run, or the state a checkpoint kept; then the clocks. */
static int restore(run_ctx *r, const cn_checkpoint *resume) {
    size_t n = r->m->n_params;
    r->pos.best_val = INFINITY;
    r->pos.rng = cn_rng_seed(r->o->seed ^ 0xD20F0u);
    if (resume) {
        r->pos = resume->pos;
        for (int i = 0; i < resume->history.n; i++)
            if (cn_history_add(&r->hist, &resume->history.rows[i])) { snprintf(r->err, r->errlen, "out of memory"); return -1; }
        if (cn_optim_restore(&r->opt, resume->arrays, resume->n_arrays, r->pos.step)) {
            snprintf(r->err, r->errlen, "the checkpoint's optimizer state does not match this model and optimizer");
            return -1;
        }
        const cn_ckpt_array *best = cn_checkpoint_array(resume, "best", n);
        if (r->pos.best_epoch > 0 && !best) { snprintf(r->err, r->errlen, "the checkpoint lacks its best weights"); return -1; }
        if (best) memcpy(r->best, best->data, n * sizeof *r->best);
    }
    if (r->pos.best_epoch == 0) memcpy(r->best, r->m->params, n * sizeof *r->best);
    r->t0 = cn_now_sec() - r->pos.elapsed;
    r->agreed_elapsed = r->pos.elapsed;
    cn_progress_init(&r->prog, r->log, r->o->tty, 30.0);
    r->prog.ranks = r->res->ranks;
    r->last_ckpt = run_clock(r);
    r->last_ckpt_epoch = r->pos.epoch;
    r->budget = r->o->minutes > 0 ? r->o->minutes * 60.0 : 0;
    r->session_t0 = cn_now_sec();
    r->batches_total = r->o->epochs > 0 ? (long)r->o->epochs * r->nb : 0;
    return 0;
}

/* SIGINT/SIGTERM: one checkpoint, and say how to go on. */
static int stop_by_signal(run_ctx *r, int epoch) {
    const cn_train_opts *o = r->o;
    cn_progress_done(&r->prog);
    r->pos.elapsed = elapsed(r);
    if (write_checkpoint(r)) return RUN_ERROR;
    if (o->ckpt_path) fprintf(r->log, "stopped by a signal at epoch %d, batch %ld: checkpoint written to %s; "
                              "continue with --resume %s\n", epoch, (long)r->pos.batch, o->ckpt_path, o->ckpt_path);
    else fprintf(r->log, "stopped by a signal at epoch %d, batch %ld (no checkpoint path)\n", epoch, (long)r->pos.batch);
    r->res->stopped = CN_STOP_SIGNAL;
    return RUN_SIGNAL;
}

/* The loss or the gradient (what) went NaN or infinite: stop, and say what was kept. */
static int stop_diverged(run_ctx *r, const char *what, int epoch, long b) {
    cn_progress_done(&r->prog);
    char kept[600];
    kept_files(r->o, kept, sizeof kept);
    snprintf(r->err, r->errlen, "the %s at epoch %d, batch %ld (step %lu): training diverged (try a smaller --lr or "
             "--clip); stopped; %s", what, epoch, b + 1, (unsigned long)r->pos.step + 1, kept);
    r->res->stopped = CN_STOP_NAN;
    return RUN_DIVERGED;
}

/* A window could not be read (a token cache on demand): this rank's message, or the rank's that had it. */
static void read_failed(run_ctx *r, const char *what) {
    const char *mine = r->c->cache ? cn_tokcache_error(r->c) : "";
    if (*mine) snprintf(r->err, r->errlen, "%s", mine);
    else snprintf(r->err, r->errlen, "another rank could not read its %s windows (its message names the file)", what);
}

/* Under a job reading a token cache the ranks agree, before any computes, whether every rank
 * filled its rows: a shard one rank cannot read then stops all of them at the same batch, and
 * rank 0 checkpoints the state before it (a tiny all-reduce a step; MIDI corpora are in memory
 * and cannot fail). 1 some rank failed, 0 none, -1 the reduction failed (r->err). */
static int any_read_failed(run_ctx *r, int mine) {
    if (!r->d || !r->c->cache) return mine;
    double f = mine;
    if (r->d->sum_f64(r->d, &f, 1)) {
        snprintf(r->err, r->errlen, "the all-reduce failed at step %lu (a rank died?)", (unsigned long)r->pos.step + 1);
        return -1;
    }
    return f > 0;
}

/* A window of a token cache could not be read, on this rank or another (what: the training,
 * the validation): every rank stops here, the checkpoint holds the state before the batch, and
 * the message says how to go on. RUN_ERROR, with r->err. */
static int stop_read(run_ctx *r, const char *what, int epoch) {
    cn_progress_done(&r->prog);
    char why[4700];
    read_failed(r, what);
    snprintf(why, sizeof why, "%s", r->err);
    r->res->stopped = CN_STOP_READ;
    r->res->own_error = *cn_tokcache_error(r->c) != 0;
    r->pos.elapsed = elapsed(r);
    if (write_checkpoint(r)) {
        char e[1200];
        snprintf(e, sizeof e, "%s", r->err);
        snprintf(r->err, r->errlen, "%s; stopped, and the checkpoint could not be written: %s", why, e);
    } else if (r->o->ckpt_path && r->root) {
        snprintf(r->err, r->errlen, "%s; stopped at epoch %d, batch %ld: checkpoint written to %s; once the cache is "
                 "whole again (continuo-tokens --cache), continue with --resume %s", why, epoch, (long)r->pos.batch,
                 r->o->ckpt_path, r->o->ckpt_path);
    } else if (!r->root) {
        snprintf(r->err, r->errlen, "%s; stopped at epoch %d, batch %ld with the other ranks", why, epoch, (long)r->pos.batch);
    } else {
        char kept[600];
        kept_files(r->o, kept, sizeof kept);
        snprintf(r->err, r->errlen, "%s; stopped at epoch %d, batch %ld; %s", why, epoch, (long)r->pos.batch, kept);
    }
    return RUN_ERROR;
}

/* Batch b's rows of the epoch's order, filled (this rank's part under MPI): the count of
 * the batch's windows, or -1 (a window could not be read: stop_read says why). */
static int fill_batch(run_ctx *r, int epoch, long b) {
    const cn_train_opts *o = r->o;
    size_t first = (size_t)b * (size_t)r->B;
    int count = r->per_epoch - first < (size_t)r->B ? (int)(r->per_epoch - first) : r->B;
    cn_fill_opts aug = { o->transpose_lo, o->transpose_hi };
    uint64_t seed = mix(o->seed, (uint64_t)epoch, (uint64_t)b + 1);
    int rc;
    if (r->d) {
        cn_batch_set_part(r->bt, r->lo, count * (o->loss_all ? r->T : 1));
        rc = cn_windows_fill_rows(r->c, &r->tw, r->order + first, count, r->lo, r->Bl, &aug, seed, r->tok, r->tgt);
    } else {
        rc = cn_windows_fill(r->c, &r->tw, r->order + first, count, r->B, &aug, seed, r->tok, r->tgt);
    }
    if (rc) return -1;
    FILE *dump = r->hooks->dump_batches;
    if (dump) {   /* int32 on disk, whatever int is here */
        size_t cells = (size_t)r->B * (size_t)r->T;
        for (size_t k = 0; k < cells; k++) { int32_t v = r->tok[k]; fwrite(&v, 4, 1, dump); }
        for (size_t k = 0; k < cells; k++) { int32_t v = r->tgt[k]; fwrite(&v, 4, 1, dump); }
    }
    return count;
}

/* Forward, backward, the all-reduce under MPI, the octave tie and one optimizer step. */
static int train_batch(run_ctx *r, int epoch) {
    const cn_train_opts *o = r->o;
    const cn_train_hooks *h = r->hooks;
    long b = (long)r->pos.batch;
    double t_batch = cn_now_sec(), c_batch = cpu_sec();
    int count = fill_batch(r, epoch, b);
    int failed = any_read_failed(r, count < 0);
    if (failed < 0) return RUN_ERROR;
    if (failed) return stop_read(r, "training", epoch);
    int global_counted = count * (o->loss_all ? r->T : 1);   /* the most targets the batch can count */
    cn_batch_zero_grads(r->bt);
    float loss = cn_batch_forward(r->bt, r->tok, r->tgt, 1, cn_rng_next(&r->pos.rng));
    if (h->fault_nan_after > 0 && (long)r->pos.step >= h->fault_nan_after) loss = NAN;
    float *grads = cn_batch_grads(r->bt);
    if (r->d) {   /* every rank joins the all-reduce, even with a bad loss, and all decide alike */
        if (isfinite(loss)) cn_batch_backward(r->bt);
        double g0 = r->d->grad_sec;   /* the all-reduce call alone */
        if (allreduce_step(r, r->bt, r->gbuf, &loss, global_counted)) return RUN_ERROR;
        if (r->session_batches > 0) r->ar_time += r->d->grad_sec - g0;
        grads = r->gbuf;
    }
    if (!isfinite(loss)) return stop_diverged(r, isnan(loss) ? "loss became NaN" : "loss became infinite", epoch, b);
    if (!r->d) cn_batch_backward(r->bt);
    double p = 0;
    if (r->batches_total > 0) p = (double)((long)r->pos.epoch * r->nb + b) / (double)r->batches_total;
    if (r->budget > 0 && run_clock(r) / r->budget > p) p = run_clock(r) / r->budget;
    /* the one gradient step, the same on every rank */
    cn_tie_octaves(r->m, grads, o->octave_tie);
    if (cn_optim_step(&r->opt, r->m->params, grads, cn_lr_at(o->schedule, o->lr, p)))
        return stop_diverged(r, "gradient became NaN or infinite", epoch, b);
    r->pos.step++;
    r->pos.batch++;
    if (h->fault_signal_after > 0 && (long)r->pos.step == h->fault_signal_after) raise(SIGTERM);
    if (h->fault_diverge_after > 0 && (long)r->pos.step == h->fault_diverge_after && r->d && r->d->rank == r->d->size - 1)
        r->m->params[0] += 1e-3f;
    r->pos.loss_sum += loss;
    r->pos.loss_batches++;
    r->tokens_done += (double)count * r->T;
    if (r->session_batches++ > 0) {   /* the first batch (warm-up) is left out of the speed */
        r->step_tokens += (double)count * r->T;
        r->step_time += cn_now_sec() - t_batch;
        r->step_cpu += cpu_sec() - c_batch;
    }
    return RUN_DONE;
}

/* Tokens a second this session. */
static double session_tps(const run_ctx *r) {
    double sess = cn_now_sec() - r->session_t0;
    return sess > 0 ? r->tokens_done / sess : 0;
}

/* The progress bar or line: the epoch's mean loss, the speed, the time left. */
static void report_progress(run_ctx *r, int epoch) {
    double now = run_clock(r), sess = cn_now_sec() - r->session_t0, eta = -1;
    if (r->batches_total > 0 && sess > 0) {
        double done = (double)((long)r->pos.epoch * r->nb + (long)r->pos.batch);
        double rate = r->tokens_done / ((double)r->B * r->T) / sess;   /* batches a second this session */
        eta = rate > 0 ? ((double)r->batches_total - done) / rate : -1;
    }
    if (r->budget > 0 && (eta < 0 || r->budget - now < eta)) eta = r->budget - now;
    cn_progress_update(&r->prog, epoch, r->o->epochs, (long)r->pos.batch, r->nb,
                       r->pos.loss_sum / (double)r->pos.loss_batches, session_tps(r), eta, 0);
}

/* The timed checkpoint (--checkpoint-every M minutes), within an epoch. */
static int maybe_checkpoint(run_ctx *r) {
    double now = run_clock(r);
    if (!(r->o->ckpt_minutes > 0 && now - r->last_ckpt >= r->o->ckpt_minutes * 60.0 && (long)r->pos.batch < r->nb))
        return 0;
    r->pos.elapsed = now;
    if (write_checkpoint(r)) return -1;
    r->last_ckpt = now;
    return 0;
}

/* Validation of the epoch into row (when it is due); -1 when the all-reduce failed, -3 a read
 * (on every rank alike). */
static int validate_epoch(run_ctx *r, cn_epoch_row *row) {
    cn_batch_set_part(r->bt, r->lo, 0);
    int erc = eval_windows(r->bt, r->c, &r->vw, r->B, r->lo, r->Bl, r->d, r->tok, r->tgt, r->idx, &row->val_loss,
                           &row->val_acc);
    if (erc == -2) { snprintf(r->err, r->errlen, "the validation all-reduce failed (a rank died?)"); return -1; }
    if (erc == -3) return -3;
    if (erc) row->val_loss = NAN;
    return 0;
}

/* The epoch's line, and the overfitting hint once a run. */
static void report_epoch(run_ctx *r, const cn_epoch_row *row, int validate, int improved, int ended_early) {
    char vl[64] = "", dur[32];
    if (validate) snprintf(vl, sizeof vl, "  val %.4f (acc %.3f)%s", row->val_loss, row->val_acc, improved ? " *" : "");
    cn_format_duration(row->seconds, dur, sizeof dur);
    cn_progress_line(&r->prog, "epoch %d%s: train %.4f%s  [%s, %.0f tok/s]", row->epoch, ended_early ? " (partial)" : "",
                     row->train_loss, vl, dur, session_tps(r));
    if (validate && !r->hinted && overfitting(&r->hist)) {
        cn_progress_line(&r->prog, "hint: validation loss has risen for %d epochs while training loss fell: the model is "
                         "overfitting. The best model so far (epoch %d, validation %.4f) is the one kept. Remedies: more "
                         "data, transposition (--transpose -5..6), dropout in --spec (e.g. ...,dropout:0.3), or an "
                         "early stop (--early-stop %d)", OVERFIT_EPOCHS, r->pos.best_epoch, r->pos.best_val, OVERFIT_EPOCHS);
        r->hinted = 1;
    }
}

/* The end of an epoch (or of the budget, mid-epoch): validate, log, keep the best, checkpoint.
 * 0 to go on, 1 when the run ends here, -1 with err. */
static int end_epoch(run_ctx *r, int epoch, int ended_early) {
    const cn_train_opts *o = r->o;
    cn_epoch_row row = { epoch, r->pos.loss_sum / (double)r->pos.loss_batches, NAN, NAN, 0 };
    int validate = r->vw.n > 0 && (ended_early || epoch % (o->val_every > 0 ? o->val_every : 1) == 0 ||
                                   (o->epochs > 0 && epoch == o->epochs));
    if (replica_check(r)) return -1;
    int verc = validate ? validate_epoch(r, &row) : 0;
    if (verc == -3) return stop_read(r, "validation", epoch);   /* the epoch's end is done again on --resume */
    if (verc) return -1;
    row.seconds = elapsed(r);
    r->pos.epoch = epoch;
    r->pos.batch = 0; r->pos.loss_sum = 0; r->pos.loss_batches = 0;
    r->pos.elapsed = row.seconds;
    if (cn_history_add(&r->hist, &row)) { snprintf(r->err, r->errlen, "out of memory"); return -1; }
    int improved = validate && isfinite(row.val_loss) && row.val_loss < r->pos.best_val;
    if (improved) {
        r->pos.best_val = row.val_loss; r->pos.best_epoch = epoch; r->pos.since_best = 0;
        memcpy(r->best, r->m->params, r->m->n_params * sizeof *r->best);
    } else if (validate) {
        r->pos.since_best++;
    }
    report_epoch(r, &row, validate, improved, ended_early);
    if ((improved || r->vw.n == 0) && write_best(r)) return -1;
    if (write_logs(r)) return -1;
    int stop_early = o->early_stop > 0 && r->pos.since_best >= o->early_stop;
    int last = ended_early || stop_early || (o->epochs > 0 && epoch >= o->epochs);
    if (o->ckpt_path && (last || (o->ckpt_epochs > 0 && epoch - r->last_ckpt_epoch >= o->ckpt_epochs))) {
        if (write_checkpoint(r)) return -1;
        r->last_ckpt = run_clock(r); r->last_ckpt_epoch = epoch;
    }
    if (stop_early) {
        cn_progress_line(&r->prog, "early stop: no better validation loss for %d validations (best %.4f at epoch %d)",
                         o->early_stop, r->pos.best_val, r->pos.best_epoch);
        r->res->stopped = CN_STOP_EARLY;
        return 1;
    }
    return ended_early;
}

/* The loop, top to bottom: epochs of batches until the epochs, the budget, an early stop or a
 * signal end it. A RUN_* value. */
static int train_epochs(run_ctx *r) {
    const cn_train_opts *o = r->o;
    while (o->epochs <= 0 || r->pos.epoch < o->epochs) {
        int epoch = r->pos.epoch + 1, ended_early = 0;
        cn_windows_order(r->tw.n, mix(o->seed, (uint64_t)epoch, 0), r->order);
        while ((long)r->pos.batch < r->nb) {
            if (r->d ? r->agreed_stop : o->stop && *o->stop) return stop_by_signal(r, epoch);
            if (r->budget > 0 && run_clock(r) >= r->budget) { ended_early = 1; r->res->stopped = CN_STOP_TIME; break; }
            int s = train_batch(r, epoch);
            if (s != RUN_DONE) return s;
            report_progress(r, epoch);
            if (maybe_checkpoint(r)) return RUN_ERROR;
        }
        if (r->pos.loss_batches == 0) break;   /* the budget ran out before this epoch began */
        int e = end_epoch(r, epoch, ended_early);
        if (e < 0) return RUN_ERROR;
        if (e > 0) break;
    }
    return RUN_DONE;
}

/* The result's figures, whatever ended the run. */
static void fill_result(run_ctx *r) {
    cn_train_result *res = r->res;
    cn_progress_done(&r->prog);
    res->epochs = r->pos.epoch;
    res->train_loss = r->hist.n ? r->hist.rows[r->hist.n - 1].train_loss : NAN;
    res->best_epoch = r->pos.best_epoch;
    res->seconds = elapsed(r);
    res->tokens_per_s = session_tps(r);
    res->step_tokens_per_s = r->step_time > 0 ? r->step_tokens / r->step_time : 0;
    res->step_cpu_tokens_per_s = r->step_cpu > 0 ? r->step_tokens / r->step_cpu : 0;
    if (r->d && r->session_batches > 1) {
        res->allreduce_ms = 1000.0 * r->ar_time / (double)(r->session_batches - 1);
        res->allreduce_share = r->step_time > 0 ? r->ar_time / r->step_time : 0;
    }
    if (r->pos.best_epoch > 0) {
        res->best_val_loss = r->pos.best_val;
        for (int i = 0; i < r->hist.n; i++)
            if (r->hist.rows[i].epoch == r->pos.best_epoch) res->best_val_acc = r->hist.rows[i].val_acc;
    }
}

/* The model handed back is the best one: test it, and write it with its figures. */
static int final_test(run_ctx *r) {
    cn_model *m = r->m;
    size_t n = m->n_params;
    if (r->pos.best_epoch > 0) memcpy(m->params, r->best, n * sizeof *r->best);
    long nt = 0;
    int erc = cn_train_evaluate(m, r->c, CN_SPLIT_TEST, r->o, &r->res->test_loss, &r->res->test_acc, &nt);
    if (erc == 0) r->res->test_windows = nt;
    if (erc == -3) {   /* the model is still written; the test figures are missing */
        read_failed(r, "test");
        if (r->root || *cn_tokcache_error(r->c)) fprintf(stderr, "warning: no test figures: %s\n", r->err);
    }
    r->test_loss = r->res->test_loss; r->test_acc = r->res->test_acc;
    if (r->pos.best_epoch > 0) memcpy(r->best, m->params, n * sizeof *r->best);
    if (r->hist.n > 0 && replica_check(r) == 0 && write_best(r)) return -1;
    return r->replica_failed ? -1 : 0;
}

static void teardown(run_ctx *r) {
    if (r->bt) cn_batch_free(r->bt);
    cn_optim_free(&r->opt);
    free(r->best); free(r->tok); free(r->tgt); free(r->order); free(r->idx); free(r->gbuf);
    cn_history_free(&r->hist);
    cn_windows_free(&r->tw); cn_windows_free(&r->vw);
}

int cn_train_run(cn_model *m, const cn_corpus *c, const cn_train_opts *o, const cn_checkpoint *resume,
                 cn_train_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    res->test_loss = res->test_acc = res->best_val_loss = res->best_val_acc = NAN;
    run_ctx r;
    memset(&r, 0, sizeof r);
    r.m = m; r.c = c; r.o = o; r.res = res; r.err = err; r.errlen = errlen;
    r.log = o->log ? o->log : stderr;
    r.hooks = o->hooks ? o->hooks : &NO_HOOKS;
    r.test_loss = r.test_acc = NAN;
    r.d = job_of(o);
    r.root = !r.d || r.d->rank == 0;
    res->ranks = r.d ? r.d->size : 1;
    res->stopped = CN_STOP_DONE;
    int rc = -1;
    if (setup(&r) == 0 && restore(&r, resume) == 0) {
        int s = train_epochs(&r);
        if (s != RUN_ERROR) {
            fill_result(&r);
            rc = s == RUN_DONE ? final_test(&r) : s == RUN_SIGNAL ? 1 : -1;
        }
    }
    if (r.replica_failed) res->stopped = CN_STOP_REPLICA;
    teardown(&r);
    return rc;
}
