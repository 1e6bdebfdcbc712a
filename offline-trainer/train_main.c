/* train_main.c: continuo-train, a composer's corpus of MIDI files in, a model file out.
 * Parses the options, loads and splits the corpus, builds (or resumes) the model and runs
 * the training loop; --paper-zoo trains the report's eight architectures on one split with
 * one budget and prints their figures side by side. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cblas.h>
#include "atomicfile.h"
#include "bytebuf.h"
#include "checkpoint.h"
#include "cli.h"
#include "corpus.h"
#include "dist.h"
#include "modelfile.h"
#include "nn.h"
#include "optim.h"
#include "tokcache.h"
#include "train_job.h"
#include "warmstart.h"
#include "train_loop.h"

#define PROGRAM "continuo-train"
#define MAX_PATHS 64

/* Set by the SIGINT/SIGTERM handler, read between batches: the one global, because a
 * signal handler can reach nothing else. */
static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { stop_requested = sig; }

static void usage(FILE *f) {
    fprintf(f,
        "usage: " PROGRAM " [options] -o MODEL.cnm CORPUS...\n"
        "       " PROGRAM " --resume CHECKPOINT [--epochs N] [--minutes M] [...]\n"
        "       " PROGRAM " --paper-zoo CORPUS [--minutes M | --epochs N] [-o DIR]\n"
        "Trains a next-token model on MIDI files and writes the best model on validation loss.\n"
        "CORPUS: folders (searched recursively for .mid/.midi), MIDI files, or @LIST files\n"
        "(one path a line). Files that do not parse are skipped with their message.\n"
        "\n"
        "Data\n"
        "  --encoding event|paper|note  token encoding (default event; note: durations at the onset,\n"
        "                       key and density controls)\n"
        "  --seq-len N          window length in tokens (default 100, as in the report)\n"
        "  --stride N           step between windows (default: seq-len/2 with --loss all, 1 with --loss last)\n"
        "  --loss all|last      loss on every step, or on the last step as in the report (default all)\n"
        "  --transpose A..B     augmentation: shift each window by a random A..B semitones,\n"
        "                       notes kept inside 0..127 (e.g. -5..6; default 0..0 = off)\n"
        "  --split T/V/S        piece ratio train/val/test (default 10/3/3, as in the report)\n"
        "  --test-dir DIR       a separate test set (then the corpus is split train/val only)\n"
        "  --epoch-windows N    windows an epoch, a fresh shuffled subset each epoch (default all)\n"
        "  --val-windows N      cap on validation and test windows, evenly spaced (default 4096, or\n"
        "                       epoch-windows/4 within 256..4096 with --epoch-windows; 0 = all)\n"
        "  --cache-open N       a token cache (continuo-tokens --cache) as the corpus: keep at most N of\n"
        "                       its shard files open at once, closing the least recently read one\n"
        "                       (default %d; lower it when ulimit -n is small; the model is the same\n"
        "                       whatever N; may be given again with --resume)\n"
        "Model\n"
        "  --spec SPEC          architecture (default paper-m1); grammar below\n"
        "  --rng N              random seed for the split, the weights, the shuffle, dropout (default 1)\n"
        "  --init MODEL         start from a trained model's weights instead of fresh ones: its\n"
        "                       layers with weights must match the spec's (dropout may differ);\n"
        "                       a new learning-rate schedule and optimizer state. Keep its --rng\n"
        "                       and --split, or its held-out pieces are trained on\n"
        "Optimisation\n"
        "  --batch N            windows a batch (default 64)\n"
        "  --epochs N           epochs to train (default 10 when no --minutes)\n"
        "  --minutes M          time budget; with --epochs, whichever ends first\n"
        "  --optimizer adam|rmsprop  (default adam; the report used rmsprop)\n"
        "  --lr X               peak learning rate (default 0.003)\n"
        "  --lr-schedule constant|cosine|step  over the --epochs or --minutes budget (cosine decays to 0;\n"
        "                       step halves it every quarter; default cosine)\n"
        "  --clip X             clip the gradient's global norm to X (default 1; 0 = off)\n"
        "  --octave-tie S       share S times the gradient of a pitch class's octaves between\n"
        "                       them, so that what is learnt of a pitch holds an octave away\n"
        "                       (note and event encodings; default 0 = off; 1 ties fully)\n"
        "  --threads N          1 or 2 (default 2); the same --rng and --threads give bit-identical models\n"
        "Control and output\n"
        "  -o MODEL             the model file (written whenever validation improves, and at the end)\n"
        "  --val-every N        validate every N epochs (default 1)\n"
        "  --early-stop P       stop after P validations without improvement (default off)\n"
        "  --checkpoint PATH    checkpoint file (default MODEL.ckpt)\n"
        "  --checkpoint-every X X minutes (e.g. 5 or 5m) or X epochs (e.g. 2e) (default 5m);\n"
        "                       also at the end and on SIGINT/SIGTERM\n"
        "  --no-checkpoint      write no checkpoint\n"
        "  --resume CKPT        continue a run exactly (options come from the checkpoint; only\n"
        "                       --epochs --minutes --early-stop --checkpoint-every --csv --plot\n"
        "                       --threads --progress may be given again). --minutes M trains M more\n"
        "                       minutes; --epochs N is the run's total\n"
        "  --csv FILE           log one row an epoch: epoch,train_loss,val_loss,val_accuracy,seconds\n"
        "  --plot FILE          draw the train and validation loss curves: FILE.svg or FILE.png\n"
        "  --credit TEXT        the data's credit/licence line for the model file (default: the first line\n"
        "                       of a CREDIT or LICENSE file in the corpus folder)\n"
        "  --progress auto|bar|plain  live bar on a terminal, plain lines otherwise (default auto)\n"
        "  --paper-zoo CORPUS   train paper-baseline and paper-m1..m7 with one budget on one split\n"
        "                       and print train loss, test loss, test accuracy (-o DIR keeps the models)\n"
        "  -h, --help           this text\n"
        "  --version            the program's version\n"
        "Exit status: 0 ok, 1 runtime error, 2 usage error; 130/143 when stopped by SIGINT/SIGTERM\n"
        "(the checkpoint is written first).\n"
        "\n%s", CN_TOKCACHE_OPEN, cn_spec_help());
}

typedef struct {
    cn_train_opts t;
    cn_train_hooks hooks;   /* --fault-* and --dump-batches: t.hooks points here when a run starts */
    cn_encoding enc;
    const char *spec;
    const char *paths[MAX_PATHS]; int n_paths;
    const char *test_dir, *credit, *resume, *zoo, *dump_path, *init;
    int ratio[3];
    int no_ckpt;
    int cache_open;         /* --cache-open: not in the checkpoint, for it changes nothing learnt */
    int epochs_set, val_windows_set;
    int resume_epochs, resume_minutes;   /* --epochs / --minutes given again on a --resume command line */
    char ckpt_default[1100];
} train_args;

enum {
    O_ENCODING = 256, O_SPEC, O_SEQ_LEN, O_STRIDE, O_LOSS, O_BATCH, O_EPOCHS, O_MINUTES, O_OPTIMIZER, O_LR,
    O_SCHEDULE, O_CLIP, O_OCTAVE_TIE, O_TRANSPOSE, O_SEED, O_THREADS, O_VAL_EVERY, O_CKPT_EVERY, O_CKPT, O_NO_CKPT,
    O_RESUME, O_EARLY, O_TEST_DIR, O_CSV, O_PLOT, O_CREDIT, O_ZOO, O_SPLIT, O_EPOCH_WINDOWS, O_VAL_WINDOWS,
    O_PROGRESS, O_INIT, O_FAULT_NAN, O_FAULT_SIGNAL, O_DUMP, O_VERSION, O_OLD_SEED, O_FAULT_DIVERGE,
    O_CACHE_OPEN
};
/* where a command line comes from: the user, the user again on --resume, or a checkpoint */
enum { ARGS_USER, ARGS_RESUME, ARGS_SAVED };

static const struct option long_opts[] = {
    { "encoding", required_argument, 0, O_ENCODING }, { "spec", required_argument, 0, O_SPEC },
    { "seq-len", required_argument, 0, O_SEQ_LEN }, { "stride", required_argument, 0, O_STRIDE },
    { "loss", required_argument, 0, O_LOSS }, { "batch", required_argument, 0, O_BATCH },
    { "epochs", required_argument, 0, O_EPOCHS }, { "minutes", required_argument, 0, O_MINUTES },
    { "optimizer", required_argument, 0, O_OPTIMIZER }, { "lr", required_argument, 0, O_LR },
    { "lr-schedule", required_argument, 0, O_SCHEDULE }, { "clip", required_argument, 0, O_CLIP },
    { "octave-tie", required_argument, 0, O_OCTAVE_TIE },
    { "transpose", required_argument, 0, O_TRANSPOSE }, { "rng", required_argument, 0, O_SEED },
    { "threads", required_argument, 0, O_THREADS }, { "val-every", required_argument, 0, O_VAL_EVERY },
    { "checkpoint-every", required_argument, 0, O_CKPT_EVERY }, { "checkpoint", required_argument, 0, O_CKPT },
    { "no-checkpoint", no_argument, 0, O_NO_CKPT }, { "resume", required_argument, 0, O_RESUME },
    { "init", required_argument, 0, O_INIT },
    { "early-stop", required_argument, 0, O_EARLY }, { "test-dir", required_argument, 0, O_TEST_DIR },
    { "csv", required_argument, 0, O_CSV }, { "plot", required_argument, 0, O_PLOT },
    { "credit", required_argument, 0, O_CREDIT }, { "paper-zoo", required_argument, 0, O_ZOO },
    { "split", required_argument, 0, O_SPLIT }, { "epoch-windows", required_argument, 0, O_EPOCH_WINDOWS },
    { "val-windows", required_argument, 0, O_VAL_WINDOWS }, { "progress", required_argument, 0, O_PROGRESS },
    { "cache-open", required_argument, 0, O_CACHE_OPEN },
    { "fault-nan-after", required_argument, 0, O_FAULT_NAN },   /* testing: a NaN loss on demand */
    { "fault-signal-after", required_argument, 0, O_FAULT_SIGNAL }, /* testing: SIGTERM at a known step */
    { "dump-batches", required_argument, 0, O_DUMP },
    { "fault-diverge-after", required_argument, 0, O_FAULT_DIVERGE }, /* testing (MPI): a rank drifts */   /* benchmark: the batches, for PyTorch to train on */
    { "output", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' },
    { "version", no_argument, 0, O_VERSION },
    { "seed", required_argument, 0, O_OLD_SEED },   /* retired spelling (checkpoints before 0.2 hold it) */
    { 0, 0, 0, 0 }
};

static int bad(const char *opt, const char *val, const char *want) {
    fprintf(stderr, PROGRAM ": %s '%s': expected %s\n", opt, val ? val : "", want);
    return -1;
}

static int get_long(const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        char want[96];
        snprintf(want, sizeof want, "a whole number from %ld to %ld", lo, hi);
        return bad(opt, s, want);
    }
    *out = v;
    return 0;
}

static int get_double(const char *opt, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        char want[96];
        snprintf(want, sizeof want, "a number from %g to %g", lo, hi);
        return bad(opt, s, want);
    }
    *out = v;
    return 0;
}

/* Options a resumed run may change: budgets, outputs and how fast, never what it learns from. */
static int allowed_on_resume(int c) {
    return c == O_EPOCHS || c == O_MINUTES || c == O_EARLY || c == O_CKPT_EVERY || c == O_CSV || c == O_PLOT ||
           c == O_THREADS || c == O_PROGRESS || c == O_RESUME || c == O_FAULT_NAN || c == O_FAULT_SIGNAL || c == 'h' ||
           c == O_VERSION || c == O_FAULT_DIVERGE || c == O_CACHE_OPEN;
}

/* The options that are one number within a range, each into one field of train_args. */
typedef enum { F_INT, F_LONG, F_FLOAT, F_DOUBLE } field_type;
typedef struct { int code; const char *name; field_type type; double lo, hi; size_t off; } number_opt;
#define NUMBER(code, name, type, lo, hi, field) { code, name, type, lo, hi, offsetof(train_args, field) }
static const number_opt NUMBER_OPTS[] = {
    NUMBER(O_SEQ_LEN, "--seq-len", F_INT, 1, 100000, t.seq_len),
    NUMBER(O_STRIDE, "--stride", F_INT, 1, 100000, t.stride),
    NUMBER(O_BATCH, "--batch", F_INT, 1, 65536, t.batch),
    NUMBER(O_EPOCHS, "--epochs", F_INT, 1, 10000000, t.epochs),
    NUMBER(O_MINUTES, "--minutes", F_DOUBLE, 0.001, 1e7, t.minutes),
    NUMBER(O_LR, "--lr", F_FLOAT, 1e-12, 1e30, t.lr),
    NUMBER(O_CLIP, "--clip", F_FLOAT, 0, 1e30, t.clip),
    NUMBER(O_OCTAVE_TIE, "--octave-tie", F_FLOAT, 0, 4, t.octave_tie),
    NUMBER(O_THREADS, "--threads", F_INT, 1, 2, t.threads),
    NUMBER(O_VAL_EVERY, "--val-every", F_INT, 1, 1000000, t.val_every),
    NUMBER(O_EARLY, "--early-stop", F_INT, 0, 1000000, t.early_stop),
    NUMBER(O_EPOCH_WINDOWS, "--epoch-windows", F_LONG, 0, 2000000000L, t.epoch_windows),
    NUMBER(O_VAL_WINDOWS, "--val-windows", F_LONG, 0, 2000000000L, t.val_windows),
    NUMBER(O_CACHE_OPEN, "--cache-open", F_INT, 1, 1000000, cache_open),
    NUMBER(O_FAULT_SIGNAL, "--fault-signal-after", F_LONG, 0, 2000000000L, hooks.fault_signal_after),
    NUMBER(O_FAULT_DIVERGE, "--fault-diverge-after", F_LONG, 0, 2000000000L, hooks.fault_diverge_after),
    NUMBER(O_FAULT_NAN, "--fault-nan-after", F_LONG, 0, 2000000000L, hooks.fault_nan_after),
};

/* The options that are one of a few words, each into an int field. */
typedef struct { int code; const char *name, *want; size_t off; const char *words[3]; int vals[3]; } word_opt;
static const word_opt WORD_OPTS[] = {
    { O_LOSS, "--loss", "all or last", offsetof(train_args, t.loss_all), { "all", "last" }, { 1, 0 } },
    { O_OPTIMIZER, "--optimizer", "adam or rmsprop", offsetof(train_args, t.optimizer), { "adam", "rmsprop" },
      { CN_OPT_ADAM, CN_OPT_RMSPROP } },
    { O_PROGRESS, "--progress", "auto, bar or plain", offsetof(train_args, t.tty), { "auto", "bar", "plain" }, { -1, 1, 0 } },
};

/* The options that are a string kept as given. */
typedef struct { int code; size_t off; } string_opt;
static const string_opt STRING_OPTS[] = {
    { 'o', offsetof(train_args, t.out_path) }, { O_SPEC, offsetof(train_args, spec) },
    { O_CKPT, offsetof(train_args, t.ckpt_path) }, { O_RESUME, offsetof(train_args, resume) },
    { O_TEST_DIR, offsetof(train_args, test_dir) }, { O_CSV, offsetof(train_args, t.csv_path) },
    { O_PLOT, offsetof(train_args, t.plot_path) }, { O_CREDIT, offsetof(train_args, credit) },
    { O_ZOO, offsetof(train_args, zoo) }, { O_DUMP, offsetof(train_args, dump_path) },
    { O_INIT, offsetof(train_args, init) },
};
#define N_OF(x) (sizeof (x) / sizeof (x)[0])

/* An option of the three tables: 1 taken, 0 not one of theirs, -1 a bad value. */
static int apply_table_opt(int c, const char *v, train_args *a) {
    char *base = (char *)a;
    for (size_t i = 0; i < N_OF(NUMBER_OPTS); i++) {
        const number_opt *n = &NUMBER_OPTS[i];
        if (n->code != c) continue;
        long l; double d;
        void *f = base + n->off;
        if (n->type == F_INT || n->type == F_LONG) {
            if (get_long(n->name, v, (long)n->lo, (long)n->hi, &l)) return -1;
            if (n->type == F_INT) *(int *)f = (int)l; else *(long *)f = l;
        } else {
            if (get_double(n->name, v, n->lo, n->hi, &d)) return -1;
            if (n->type == F_FLOAT) *(float *)f = (float)d; else *(double *)f = d;
        }
        return 1;
    }
    for (size_t i = 0; i < N_OF(WORD_OPTS); i++) {
        const word_opt *w = &WORD_OPTS[i];
        if (w->code != c) continue;
        for (int k = 0; k < 3 && w->words[k]; k++)
            if (strcmp(v, w->words[k]) == 0) { *(int *)(base + w->off) = w->vals[k]; return 1; }
        return bad(w->name, v, w->want);
    }
    for (size_t i = 0; i < N_OF(STRING_OPTS); i++)
        if (STRING_OPTS[i].code == c) { *(const char **)(base + STRING_OPTS[i].off) = v; return 1; }
    return 0;
}

static int parse_transpose(const char *v, train_args *a) {
    int lo, hi, used = 0;
    if (sscanf(v, "%d..%d%n", &lo, &hi, &used) != 2 || v[used] || lo > hi || lo < -24 || hi > 24)
        return bad("--transpose", v, "LO..HI semitones within -24..24, e.g. -5..6");
    a->t.transpose_lo = lo; a->t.transpose_hi = hi;
    return 0;
}

static int parse_rng(const char *v, train_args *a) {
    char *end;
    errno = 0;
    unsigned long long s = strtoull(v, &end, 10);
    if (errno || end == v || *end) return bad("--rng", v, "a whole number");
    a->t.seed = (uint64_t)s;
    return 0;
}

static int parse_ckpt_every(const char *v, train_args *a) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || !(x > 0)) return bad("--checkpoint-every", v, "minutes (5, 5m) or epochs (2e)");
    if (*end == 'e' && !end[1]) { a->t.ckpt_epochs = (int)x; a->t.ckpt_minutes = 0; if (a->t.ckpt_epochs < 1) a->t.ckpt_epochs = 1; }
    else if ((*end == 'm' && !end[1]) || !*end) { a->t.ckpt_minutes = x; a->t.ckpt_epochs = 0; }
    else return bad("--checkpoint-every", v, "minutes (5, 5m) or epochs (2e)");
    return 0;
}

static int parse_split(const char *v, train_args *a) {
    int x, y, z, used = 0;
    if (sscanf(v, "%d/%d/%d%n", &x, &y, &z, &used) != 3 || v[used] || x < 1 || y < 0 || z < 0)
        return bad("--split", v, "TRAIN/VAL/TEST piece ratios, e.g. 10/3/3");
    a->ratio[0] = x; a->ratio[1] = y; a->ratio[2] = z;
    return 0;
}

/* One option with its value: 0, or -1 (the message said). --help and --version exit. */
static int apply_opt(int c, const char *v, train_args *a, int resuming) {
    int r = apply_table_opt(c, v, a);
    if (r < 0) return -1;
    if (r == 0) {
        switch (c) {
        case 'h': usage(stdout); exit(CN_EXIT_OK);
        case O_VERSION: cn_cli_version(PROGRAM); exit(CN_EXIT_OK);
        case O_ENCODING: if (cn_encoding_parse(v, &a->enc)) return bad("--encoding", v, "event, paper or note"); break;
        case O_SCHEDULE:
            if (cn_lr_schedule_parse(v, &a->t.schedule)) return bad("--lr-schedule", v, "constant, cosine or step");
            break;
        case O_TRANSPOSE: return parse_transpose(v, a);
        case O_SEED: return parse_rng(v, a);
        case O_CKPT_EVERY: return parse_ckpt_every(v, a);
        case O_SPLIT: return parse_split(v, a);
        case O_NO_CKPT: a->no_ckpt = 1; break;
        default: return -1;
        }
    }
    /* what a run needs to know was given, not only its value */
    if (c == O_EPOCHS) { a->epochs_set = 1; a->resume_epochs |= resuming; }
    if (c == O_MINUTES) a->resume_minutes |= resuming;
    if (c == O_VAL_WINDOWS) a->val_windows_set = 1;
    return 0;
}

/* The corpus paths after the options (none may be given again on --resume). */
static int take_paths(int argc, char **argv, train_args *a, int resuming) {
    if (resuming) {
        if (optind >= argc) return 0;
        fprintf(stderr, PROGRAM ": %s: the corpus cannot change when resuming\n", argv[optind]);
        return -1;
    }
    for (int i = optind; i < argc; i++) {
        if (a->n_paths >= MAX_PATHS) { fprintf(stderr, PROGRAM ": at most %d corpus paths (use an @LIST file)\n", MAX_PATHS); return -1; }
        a->paths[a->n_paths++] = argv[i];
    }
    return 0;
}

/* from: ARGS_USER, ARGS_RESUME (the second pass over the command line of a --resume run), or
 * ARGS_SAVED (the options a checkpoint holds). */
static int parse_args(int argc, char **argv, train_args *a, int from) {
    optind = 0;   /* GNU getopt: start over (the first pass may have run) */
    int resuming = from == ARGS_RESUME;
    int c;
    while ((c = cn_cli_getopt(argc, argv, ":o:h", long_opts, PROGRAM)) != -1) {
        if (c == '?') return -1;
        if (c == O_OLD_SEED && from == ARGS_SAVED) c = O_SEED;   /* a checkpoint written before the rename */
        if (c == O_OLD_SEED) {
            cn_cli_retired(PROGRAM, "--seed", "the random seed is --rng N");
            return -1;
        }
        if (resuming && !allowed_on_resume(c)) {
            fprintf(stderr, PROGRAM ": %s cannot change when resuming: the checkpoint fixes it\n", argv[optind - 1]);
            return -1;
        }
        if (apply_opt(c, optarg, a, resuming)) return -1;
    }
    return take_paths(argc, argv, a, resuming);
}

static void args_default(train_args *a) {
    memset(a, 0, sizeof *a);
    cn_train_opts_default(&a->t);
    a->t.ckpt_minutes = 5;
    a->enc = CN_ENC_EVENT;
    a->spec = "paper-m1";
    a->ratio[0] = 10; a->ratio[1] = 3; a->ratio[2] = 3;
}

/* An absolute form of a path (a resumed run may start in another folder). */
static void absolute(const char *p, char *out, size_t len) {
    char cwd[2048];
    if (realpath(p, out)) return;
    if (p[0] == '/' || !getcwd(cwd, sizeof cwd)) snprintf(out, len, "%s", p);
    else snprintf(out, len, "%s/%s", cwd, p);
}

/* One line each for an option and its value (either may be NULL); the buffer stays a C string. */
static void add_line(cn_bytebuf *t, const char *opt, const char *val) {
    if (opt) cn_bytebuf_printf(t, "%s\n", opt);
    if (val) cn_bytebuf_printf(t, "%s\n", val);
}

static void add_path(cn_bytebuf *t, const char *opt, const char *path) {
    char abs[4096];
    if (!path) return;
    absolute(path, abs, sizeof abs);
    add_line(t, opt, abs);
}

static void add_num(cn_bytebuf *t, const char *opt, const char *fmt, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    add_line(t, opt, buf);
}

/* The run's options as an argument list, one item a line, stored in checkpoints: everything
 * that decides what is learnt, with paths made absolute. */
static char *config_text(const train_args *a) {
    cn_bytebuf t = { 0 };
    const cn_train_opts *o = &a->t;
    char buf[128];
    add_line(&t, "--encoding", cn_encoding_name(a->enc));
    add_line(&t, "--spec", a->spec);
    add_num(&t, "--seq-len", "%.0f", o->seq_len);
    add_num(&t, "--stride", "%.0f", o->stride);
    add_line(&t, "--loss", o->loss_all ? "all" : "last");
    snprintf(buf, sizeof buf, "%d..%d", o->transpose_lo, o->transpose_hi);
    add_line(&t, "--transpose", buf);
    snprintf(buf, sizeof buf, "%d/%d/%d", a->ratio[0], a->ratio[1], a->ratio[2]);
    add_line(&t, "--split", buf);
    add_num(&t, "--epoch-windows", "%.0f", (double)o->epoch_windows);
    add_num(&t, "--val-windows", "%.0f", (double)o->val_windows);
    add_num(&t, "--batch", "%.0f", o->batch);
    if (o->epochs > 0) add_num(&t, "--epochs", "%.0f", o->epochs);
    if (o->minutes > 0) add_num(&t, "--minutes", "%.17g", o->minutes);
    add_line(&t, "--optimizer", o->optimizer == CN_OPT_ADAM ? "adam" : "rmsprop");
    add_num(&t, "--lr", "%.9g", o->lr);
    add_line(&t, "--lr-schedule", o->schedule == CN_SCHED_COSINE ? "cosine" : o->schedule == CN_SCHED_STEP ? "step" : "constant");
    add_num(&t, "--clip", "%.9g", o->clip);
    add_num(&t, "--octave-tie", "%.9g", o->octave_tie);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->seed);
    add_line(&t, "--rng", buf);
    add_num(&t, "--threads", "%.0f", o->threads);
    add_num(&t, "--val-every", "%.0f", o->val_every);
    if (o->early_stop > 0) add_num(&t, "--early-stop", "%.0f", o->early_stop);
    if (o->ckpt_epochs > 0) { snprintf(buf, sizeof buf, "%de", o->ckpt_epochs); add_line(&t, "--checkpoint-every", buf); }
    else add_num(&t, "--checkpoint-every", "%.17g", o->ckpt_minutes);
    add_path(&t, "-o", o->out_path);
    add_path(&t, "--checkpoint", o->ckpt_path);
    add_path(&t, "--csv", o->csv_path);
    add_path(&t, "--plot", o->plot_path);
    add_path(&t, "--test-dir", a->test_dir);
    if (a->credit) add_line(&t, "--credit", a->credit);
    /* corpus paths last, after a "--" so that none is read as an option */
    add_line(&t, "--", NULL);
    for (int i = 0; i < a->n_paths; i++) {
        int list = a->paths[i][0] == '@';
        char abs[4096], line[4100];
        absolute(a->paths[i] + list, abs, sizeof abs);
        snprintf(line, sizeof line, "%s%s", list ? "@" : "", abs);
        add_line(&t, line, NULL);
    }
    if (t.oom) { cn_bytebuf_free(&t); return NULL; }
    return (char *)t.p;
}

/* The argv stored in a checkpoint, back into a vector (lines; strings point into text). */
static int config_argv(char *text, char ***out) {
    int n = 1;
    for (char *p = text; *p; p++) n += *p == '\n';
    char **v = calloc((size_t)n + 2, sizeof *v);
    if (!v) return -1;
    int k = 0;
    v[k++] = (char *)PROGRAM;
    for (char *p = text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl) { v[k++] = p; break; }
        *nl = 0;
        v[k++] = p;
    }
    *out = v;
    return k;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int check_output(const char *what, const char *path) {
    char err[1200];
    if (!path) return 0;
    if (is_dir(path)) { fprintf(stderr, PROGRAM ": %s %s: is a folder, not a file\n", what, path); return -1; }
    if (cn_path_writable(path, err, sizeof err)) { fprintf(stderr, PROGRAM ": %s %s\n", what, err); return -1; }
    return 0;
}

/* path relative to the folder dir (both absolute and canonical, as realpath gives them). */
static void relative_to(const char *dir, const char *path, char *out, size_t len) {
    size_t common = 0;   /* the end of the last folder both share */
    for (size_t i = 0;; i++) {
        int end_d = dir[i] == '/' || dir[i] == 0, end_p = path[i] == '/' || path[i] == 0;
        if (end_d && end_p) common = i;
        if (!dir[i] || !path[i] || dir[i] != path[i]) break;
    }
    size_t k = 0;
    out[0] = 0;
    for (const char *q = dir + common; *q; q++)   /* a ".." for each of dir's folders past the shared part */
        if (*q == '/' && q[1] && k + 4 < len) { memcpy(out + k, "../", 3); k += 3; out[k] = 0; }
    const char *rest = path + common;
    while (*rest == '/') rest++;
    if (*rest) snprintf(out + k, len - k, "%s", rest);
    else if (k) out[k - 1] = 0;   /* "../.." */
    else snprintf(out, len, ".");
}

/* The corpus as the model records it: relative to the model file's folder, which whoever has
 * the model can resolve (continuo-eval does; --corpus DIR says where it is when it moved). */
static void corpus_for_meta(const char *corpus, const char *model_path, char *out, size_t len) {
    char abs_corpus[4096], model_dir[4096], abs_dir[4096];
    if (!realpath(corpus, abs_corpus)) { snprintf(out, len, "%s", corpus); return; }
    snprintf(model_dir, sizeof model_dir, "%s", model_path ? model_path : ".");
    char *slash = strrchr(model_dir, '/');
    if (slash) { if (slash == model_dir) slash[1] = 0; else *slash = 0; }
    else snprintf(model_dir, sizeof model_dir, ".");
    if (!realpath(model_dir, abs_dir)) { snprintf(out, len, "%s", abs_corpus); return; }
    relative_to(abs_dir, abs_corpus, out, len);
}

/* The first line of text of DIR/CREDIT, else DIR/LICENSE, trimmed, into out; 0 if found. */
static int credit_from_folder(const char *dir, char *out, size_t len) {
    static const char *const names[] = { "CREDIT", "CREDIT.txt", "CREDIT.md", "LICENSE", "LICENSE.txt", "LICENSE.md" };
    if (!is_dir(dir)) return -1;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char path[4200], line[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        int found = 0;
        while (!found && fgets(line, sizeof line, f)) {
            char *b = line, *e = line + strlen(line);
            while (*b == ' ' || *b == '\t' || *b == '#') b++;
            while (e > b && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
            if (*b) { snprintf(out, len, "%s", b); found = 1; }
        }
        fclose(f);
        if (found) return 0;
    }
    return -1;
}

static void set_meta(cn_model *m, const train_args *a, const cn_corpus *c) {
    char buf[4096];
    if (a->n_paths > 0) {
        corpus_for_meta(a->paths[0] + (a->paths[0][0] == '@'), a->t.out_path, buf, sizeof buf);
        cn_meta_set(&m->meta, "corpus", buf);
    }
    snprintf(buf, sizeof buf, "%d", c->n_pieces);
    cn_meta_set(&m->meta, "files", buf);
    snprintf(buf, sizeof buf, "%zu", c->tokens[CN_SPLIT_TRAIN]);
    cn_meta_set(&m->meta, "tokens", buf);
    snprintf(buf, sizeof buf, "%d/%d/%d pieces train/val/test", c->pieces_in[0], c->pieces_in[1], c->pieces_in[2]);
    cn_meta_set(&m->meta, "split", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->t.seed);
    cn_meta_set(&m->meta, "split_seed", buf);
    char tie[48] = "";
    if (a->t.octave_tie != 0) snprintf(tie, sizeof tie, ", octave tie %g", (double)a->t.octave_tie);
    snprintf(buf, sizeof buf, "seq_len %d, stride %d, loss %s, batch %d, %s lr %g %s, clip %g, transpose %d..%d, rng %llu, threads %d%s",
             a->t.seq_len, a->t.stride, a->t.loss_all ? "all" : "last", a->t.batch,
             a->t.optimizer == CN_OPT_ADAM ? "adam" : "rmsprop", (double)a->t.lr,
             a->t.schedule == CN_SCHED_COSINE ? "cosine" : a->t.schedule == CN_SCHED_STEP ? "step" : "constant",
             (double)a->t.clip, a->t.transpose_lo, a->t.transpose_hi, (unsigned long long)a->t.seed, a->t.threads, tie);
    cn_meta_set(&m->meta, "training", buf);
    cn_meta_set(&m->meta, "program", PROGRAM " " CN_VERSION);
    /* the data's credit: --credit, else the corpus folder's CREDIT or LICENSE file */
    const char *credit = a->credit;
    if (!credit && a->n_paths > 0 && credit_from_folder(a->paths[0], buf, sizeof buf) == 0) credit = buf;
    if (credit) cn_meta_set(&m->meta, "credit", credit);
}

static cn_model *new_model(const train_args *a, const char *spec, const cn_corpus *c, char *err, size_t errlen) {
    cn_spec parsed;
    char perr[256];
    if (cn_spec_parse(spec, &parsed, perr, sizeof perr)) {
        snprintf(err, errlen, "--spec '%s': %s (see --help for the grammar)", spec, perr);
        return NULL;
    }
    cn_model *m = cn_model_new(spec, c->vocab_size, a->t.seed, perr, sizeof perr);
    if (!m) { snprintf(err, errlen, "--spec '%s': %s", spec, perr); return NULL; }
    m->encoding = c->enc;
    if (c->enc == CN_ENC_PAPER && cn_vocab_copy(&c->words, &m->words)) {
        cn_model_free(m);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    set_meta(m, a, c);
    return m;
}

/* Loads the corpus; under a job every rank does, and the ranks check they read the same
 * pieces (a file unreadable on one host is named with the host). Messages go to info. */
static int load_corpus_job(const train_args *a, cn_corpus *c, cn_dist *job, FILE *info);
static int load_corpus(const train_args *a, cn_corpus *c) { return load_corpus_job(a, c, NULL, stderr); }

static int load_corpus_job(const train_args *a, cn_corpus *c, cn_dist *job, FILE *info) {
    cn_corpus_opts co = cn_corpus_opts_default();
    co.enc = a->enc;
    co.paths = a->paths; co.n_paths = a->n_paths;
    co.test_dir = a->test_dir;
    co.seed = a->t.seed;
    memcpy(co.ratio, a->ratio, sizeof co.ratio);
    co.transpose_lo = a->t.transpose_lo; co.transpose_hi = a->t.transpose_hi;
    co.log = info;
    co.on_demand = 1;   /* a token cache: each rank reads the windows of its rows as it needs them */
    co.cache_open = a->cache_open;
    char err[1024];
    if (!job) {
        if (cn_corpus_load(&co, c, err, sizeof err)) { fprintf(stderr, PROGRAM ": %s\n", err); return -1; }
        cn_corpus_report(c, info);
        return 0;
    }
    /* the skipped files' messages are kept, to name them should the ranks disagree */
    char *skipped = NULL;
    size_t skipped_len = 0;
    FILE *mem = open_memstream(&skipped, &skipped_len);
    co.log = mem;
    int rc = cn_corpus_load(&co, c, err, sizeof err);
    if (mem) fclose(mem);
    if (skipped && *skipped) fputs(skipped, info);
    if (cn_job_check_corpus(job, c, rc ? err : NULL, skipped, stderr)) {
        if (rc == 0) cn_corpus_free(c);
        free(skipped);
        return -1;
    }
    free(skipped);
    cn_corpus_report(c, info);
    return 0;
}

static void print_result(const cn_train_result *r, FILE *f) {
    if (r->ranks > 1)
        fprintf(f, "data parallel on %d ranks: the gradient all-reduce took %.2f ms a step (%.1f%% of the step)\n",
                r->ranks, r->allreduce_ms, 100.0 * r->allreduce_share);
    fprintf(f, "trained %d %s in %.0f s (%.0f tokens/s, %.0f in the training steps, %.0f per CPU second); best validation loss %.4f (accuracy %.3f) at epoch %d; "
               "test loss %.4f, accuracy %.3f\n", r->epochs, cn_plural(r->epochs, "epoch", "epochs"), r->seconds, r->tokens_per_s, r->step_tokens_per_s, r->step_cpu_tokens_per_s, r->best_val_loss,
            r->best_val_acc, r->best_epoch, r->test_loss, r->test_acc);
}

/* A resumed run's budget: --minutes M on the resume command line is M minutes more than the
 * checkpoint has trained (and lifts the saved epoch limit unless --epochs is given again);
 * --epochs N stays the run's total. A budget that is already spent is refused with what to
 * give instead, rather than a run that trains nothing. 0, or -1 with the message printed. */
static int resume_budget(train_args *a, const cn_ckpt_pos *pos) {
    double done_min = pos->elapsed / 60.0;
    if (a->resume_minutes) {
        if (!a->resume_epochs) a->t.epochs = 0;
        fprintf(stderr, "resume: %.1f minutes trained so far; %g more (until %.1f in all)\n", done_min, a->t.minutes,
                done_min + a->t.minutes);
        a->t.minutes += done_min;
        return 0;
    }
    int epochs_spent = a->t.epochs > 0 && pos->epoch >= a->t.epochs && pos->batch == 0;
    int minutes_spent = a->t.minutes > 0 && done_min >= a->t.minutes;
    if (epochs_spent || minutes_spent) {
        if (epochs_spent)
            fprintf(stderr, PROGRAM ": %s: the run has trained its %d %s already (--epochs is the run's total); ",
                    a->resume, a->t.epochs, cn_plural(a->t.epochs, "epoch", "epochs"));
        else
            fprintf(stderr, PROGRAM ": %s: the run has spent its %g minutes already; ", a->resume, a->t.minutes);
        fprintf(stderr, "give --minutes M to train M more minutes%s\n", epochs_spent ? ", or a larger --epochs" : "");
        return -1;
    }
    return 0;
}

/* The validation set decides which epoch's model is kept: a tiny one decides by luck. */
static void warn_small_validation(const cn_corpus *c) {
    int pieces = c->pieces_in[CN_SPLIT_VAL];
    size_t tokens = c->tokens[CN_SPLIT_VAL];
    if (pieces == 0)
        fprintf(stderr, "warning: no validation pieces: the model kept is the last epoch's, not the best "
                        "(give more pieces, or a --split with a middle number above 0)\n");
    else if (pieces < 2 || tokens < 3000)
        fprintf(stderr, "warning: the validation set is tiny (%d %s, %zu tokens): its loss is noisy, and the best "
                        "epoch it picks is partly luck; give more pieces (a larger corpus, or a --split with a "
                        "larger middle number)\n", pieces, cn_plural(pieces, "piece", "pieces"), tokens);
}

/* The end of a run: every file written, and how to go on. */
static void report_files(const train_args *a, int have_ckpt) {
    fprintf(stderr, "files written:\n  model       %s\n", a->t.out_path);
    if (have_ckpt) fprintf(stderr, "  checkpoint  %s\n", a->t.ckpt_path);
    if (a->t.csv_path) fprintf(stderr, "  log (CSV)   %s\n", a->t.csv_path);
    if (a->t.plot_path) fprintf(stderr, "  loss plot   %s\n", a->t.plot_path);
    if (have_ckpt) fprintf(stderr, "to train 10 more minutes: " PROGRAM " --resume %s --minutes 10\n", a->t.ckpt_path);
}

static int run_zoo(train_args *a) {
    static const char *names[] = { "paper-baseline", "paper-m1", "paper-m2", "paper-m3",
                                   "paper-m4", "paper-m5", "paper-m6", "paper-m7" };
    a->paths[0] = a->zoo; a->n_paths = 1;
    if (a->t.out_path && !is_dir(a->t.out_path)) {
        fprintf(stderr, PROGRAM ": --paper-zoo -o %s: expected an existing folder for the eight models\n", a->t.out_path);
        return 2;
    }
    cn_corpus c;
    if (load_corpus(a, &c)) return 1;
    cn_train_result res[8];
    const char *dir = a->t.out_path;
    int failed = 0;
    for (int i = 0; i < 8 && !stop_requested; i++) {
        char err[1024], out[1200], title[128];
        cn_model *m = new_model(a, names[i], &c, err, sizeof err);
        if (!m) { fprintf(stderr, PROGRAM ": %s\n", err); failed = 1; break; }
        cn_train_opts o = a->t;
        snprintf(out, sizeof out, "%s/%s.cnm", dir ? dir : ".", names[i]);
        o.out_path = dir ? out : NULL;
        o.ckpt_path = NULL; o.csv_path = NULL; o.plot_path = NULL;
        snprintf(title, sizeof title, "%s", names[i]);
        o.title = title;
        fprintf(stderr, "== %s: %s (%zu parameters)\n", names[i], cn_spec_paper(names[i]), m->n_params);
        int rc = cn_train_run(m, &c, &o, NULL, &res[i], err, sizeof err);
        cn_model_free(m);
        if (rc != 0) {
            fprintf(stderr, PROGRAM ": %s: %s\n", names[i], rc < 0 ? err : "stopped");
            res[i].test_loss = res[i].test_acc = res[i].train_loss = NAN;
        }
    }
    printf("paper zoo on %s: %d/%d/%d pieces train/val/test, encoding %s, vocabulary %d, budget %s%g %s each\n",
           a->zoo, c.pieces_in[0], c.pieces_in[1], c.pieces_in[2], cn_encoding_name(c.enc), c.vocab_size,
           a->t.minutes > 0 ? "" : "", a->t.minutes > 0 ? a->t.minutes : (double)a->t.epochs,
           a->t.minutes > 0 ? "minutes" : "epochs");
    printf("%-15s %7s %10s %10s %10s %9s\n", "model", "epochs", "train_loss", "test_loss", "test_acc", "tokens/s");
    for (int i = 0; i < 8 && !failed; i++)
        printf("%-15s %7d %10.4f %10.4f %10.4f %9.0f\n", names[i], res[i].epochs, res[i].train_loss,
               res[i].test_loss, res[i].test_acc, res[i].tokens_per_s);
    cn_corpus_free(&c);
    return failed || stop_requested ? 1 : 0;
}

static int job_main(int argc, char **argv, cn_dist *job, FILE *info, int *agreed);

int main(int argc, char **argv) {
    char err[1200];
    cn_dist *job = NULL;   /* the MPI job, or NULL for one process */
    if (cn_dist_start(&argc, &argv, &job, err, sizeof err)) { fprintf(stderr, PROGRAM ": %s\n", err); return 2; }
    int root = !job || job->rank == 0;
    /* what a run tells people comes from rank 0 alone; errors from the rank that has them */
    FILE *info = root ? stderr : fopen("/dev/null", "w");
    if (!info) info = stderr;
    int agreed = 0;   /* every rank ends alike (bad options, a corpus check, a divergence, a signal) */
    int status = job_main(argc, argv, job, info, &agreed);
    if (info != stderr) fclose(info);
    /* an error that only this rank has ends the whole job: the others would wait for it forever */
    if (job && status != 0 && !agreed) job->abort(job, "stopped by the error above", status);
    if (job) job->finish(job);
    return status;
}

/* What a run keeps of its checkpoint: the loaded checkpoint, and the saved options' text that
 * saved_argv points into. */
typedef struct { cn_checkpoint ck; char **saved_argv; char *saved_text; } resume_state;

static void resume_free(resume_state *rs) {
    cn_checkpoint_free(&rs->ck);
    free(rs->saved_argv); free(rs->saved_text);
    rs->saved_argv = NULL; rs->saved_text = NULL;
}

/* --resume: the checkpoint's own options first, then what this command line may change, and
 * the budget left. 0, or the exit status (*agreed: every rank fails alike). */
static int read_resume(int argc, char **argv, train_args *a, resume_state *rs, int *agreed) {
    const char *resume = a->resume;
    char err[1200];
    *agreed = 0;   /* a checkpoint may be unreadable on one host */
    if (cn_checkpoint_load(resume, &rs->ck, err, sizeof err)) { fprintf(stderr, PROGRAM ": %s\n", err); return 1; }
    rs->saved_text = strdup(rs->ck.config);
    int sargc = rs->saved_text ? config_argv(rs->saved_text, &rs->saved_argv) : -1;
    args_default(a);
    if (sargc < 0 || parse_args(sargc, rs->saved_argv, a, ARGS_SAVED)) {
        fprintf(stderr, PROGRAM ": %s: the checkpoint's options do not parse\n", resume);
        return 1;
    }
    if (parse_args(argc, argv, a, ARGS_RESUME)) { *agreed = 1; return 2; }
    a->resume = resume;
    a->t.ckpt_path = resume;   /* the file resumed from, wherever it was moved */
    return resume_budget(a, &rs->ck.pos) ? CN_EXIT_USAGE : 0;
}

/* The defaults that follow from other options. */
static void settle_args(train_args *a) {
    if (!a->t.stride) a->t.stride = a->t.loss_all ? (a->t.seq_len / 2 > 0 ? a->t.seq_len / 2 : 1) : 1;
    if (!a->epochs_set && a->t.minutes <= 0) a->t.epochs = 10;
    /* short epochs get a proportionate validation set, so that validating does not cost more
     * than training (an explicit --val-windows wins) */
    if (!a->val_windows_set && a->t.epoch_windows > 0) {
        long v = a->t.epoch_windows / 4;
        a->t.val_windows = v < 256 ? 256 : v > 4096 ? 4096 : v;
    }
    if (a->t.threads == 1) openblas_set_num_threads(1);
    if (!a->no_ckpt && !a->t.ckpt_path && a->t.out_path) {
        snprintf(a->ckpt_default, sizeof a->ckpt_default, "%s.ckpt", a->t.out_path);
        a->t.ckpt_path = a->ckpt_default;
    }
    if (a->no_ckpt) a->t.ckpt_path = NULL;
}

/* Every output checked before a minute of training is spent (rank 0 alone writes), and the
 * temporaries of a run killed -9 removed (the PIDs they name are rank 0's host's). */
static int check_outputs(const train_args *a, int root) {
    if (!root) return 0;
    if (check_output("-o", a->t.out_path) || check_output("--checkpoint", a->t.ckpt_path) ||
        check_output("--csv", a->t.csv_path) || check_output("--plot", a->t.plot_path)) return -1;
    cn_afile_clean_stale(a->t.out_path);
    if (a->t.ckpt_path) {
        char mt[1200];
        snprintf(mt, sizeof mt, "%s.model", a->t.ckpt_path);
        cn_afile_clean_stale(a->t.ckpt_path);
        cn_afile_clean_stale(mt);
    }
    return 0;
}

/* --init: the new model takes a trained model's weights; its metadata says from where. 0, or
 * -1 with the message printed. */
static int warm_start(cn_model *m, const char *path, FILE *info) {
    char err[1200];
    cn_model *src = cn_model_load(path, err, sizeof err);
    if (!src) { fprintf(stderr, PROGRAM ": --init %s\n", err); return -1; }
    int rc = cn_warmstart(m, src, path, err, sizeof err);
    if (rc) fprintf(stderr, PROGRAM ": --init %s\n", err);
    else {
        char from[512];
        const char *date = cn_meta_get(&src->meta, "date"), *val = cn_meta_get(&src->meta, "val_loss");
        snprintf(from, sizeof from, "%s (spec %s, date %s, val_loss %s)", path, src->spec_text,
                 date ? date : "?", val ? val : "?");
        cn_meta_set(&m->meta, "init", from);
        fprintf(info, "weights from %s\n", from);
    }
    cn_model_free(src);
    return rc;
}

/* The model to train: the checkpoint's (its vocabulary checked against the corpus), or a new
 * one. NULL with the message printed; *status the exit status. */
static cn_model *model_for_run(const train_args *a, resume_state *rs, const cn_corpus *c, FILE *info, int *status) {
    char err[1200];
    if (!a->resume) {
        cn_model *m = new_model(a, a->spec, c, err, sizeof err);
        if (!m) { fprintf(stderr, PROGRAM ": %s\n", err); *status = 2; }
        else if (a->init && warm_start(m, a->init, info)) { cn_model_free(m); m = NULL; *status = 1; }
        return m;
    }
    cn_model *m = rs->ck.model;
    rs->ck.model = NULL;
    if (m->vocab != c->vocab_size || m->encoding != c->enc || (c->enc == CN_ENC_PAPER && (m->words.n != c->words.n))) {
        fprintf(stderr, PROGRAM ": %s: the corpus no longer gives the checkpoint's vocabulary (%d tokens, now %d): "
                        "it changed since the run began\n", a->resume, m->vocab, c->vocab_size);
        cn_model_free(m);
        *status = 1;
        return NULL;
    }
    fprintf(info, "resuming %s at epoch %d, batch %lu (step %lu)\n", a->resume, rs->ck.pos.epoch + 1,
            (unsigned long)rs->ck.pos.batch, (unsigned long)rs->ck.pos.step);
    return m;
}

static void print_budget(const train_args *a, const cn_model *m, FILE *info) {
    char budget[96] = "";
    if (a->t.epochs > 0 && a->t.minutes > 0) snprintf(budget, sizeof budget, "%d epochs or %g minutes", a->t.epochs, a->t.minutes);
    else if (a->t.epochs > 0) snprintf(budget, sizeof budget, "%d epochs", a->t.epochs);
    else snprintf(budget, sizeof budget, "%g minutes", a->t.minutes);
    fprintf(info, "model %s: %zu parameters; budget %s; checkpoints %s\n", m->spec_text, m->n_params, budget,
            a->t.ckpt_path ? a->t.ckpt_path : "off");
}

/* A token cache's shard files: the most open at once, on any rank (a collective under a job). */
static void report_cache(const cn_corpus *c, cn_dist *job, FILE *info) {
    if (!c->cache) return;
    cn_tokcache_counts k;
    cn_tokcache_stats(c, &k);
    uint64_t peak = (uint64_t)k.peak_open, opens = k.opens;
    if (job) {
        uint64_t *all = malloc(2 * (size_t)job->size * sizeof *all);
        if (!all || job->gather_u64(job, peak, all) || job->gather_u64(job, opens, all + job->size)) { free(all); return; }
        for (int i = 0; i < job->size; i++) {
            if (all[i] > peak) peak = all[i];
            if (all[job->size + i] > opens) opens = all[job->size + i];
        }
        free(all);
    }
    fprintf(info, "token cache: %d shards, at most %llu open at once%s (--cache-open %d), %llu opens%s\n", k.shards,
            (unsigned long long)peak, job ? " on any rank" : "", k.cap, (unsigned long long)opens,
            job ? " on the busiest rank" : "");
}

/* The training run and its report: the exit status (*agreed: every rank ends alike). */
static int train_and_report(train_args *a, cn_model *m, const cn_corpus *c, const resume_state *rs, cn_dist *job,
                            FILE *info, int *agreed) {
    int root = !job || job->rank == 0;
    char err[1200];
    if (a->dump_path && !(a->hooks.dump_batches = fopen(a->dump_path, "wb"))) {
        fprintf(stderr, PROGRAM ": --dump-batches %s: %s\n", a->dump_path, strerror(errno));
        return 1;
    }
    cn_train_result res;
    a->t.dist = job;
    a->t.log = info;
    a->t.hooks = &a->hooks;
    *agreed = 0;
    int rc = cn_train_run(m, c, &a->t, a->resume ? &rs->ck : NULL, &res, err, sizeof err);
    int status = 0;
    /* a divergence, a failed replica check and a stop are agreed by all ranks; other errors are one rank's */
    *agreed = rc >= 0 || res.stopped == CN_STOP_NAN || res.stopped == CN_STOP_REPLICA || res.stopped == CN_STOP_READ;
    if (rc < 0) {
        if (root || !*agreed) fprintf(stderr, PROGRAM ": %s\n", err);
        else if (res.own_error) fprintf(stderr, PROGRAM ": rank %d on %s: %s\n", job->rank, job->host, err);
        status = 1;
    }
    else if (rc == 1) status = stop_requested == SIGINT ? 130 : 143;
    else {
        print_result(&res, info);
        report_cache(c, job, info);
        if (root) report_files(a, a->t.ckpt_path && access(a->t.ckpt_path, F_OK) == 0);
    }
    if (a->hooks.dump_batches && fclose(a->hooks.dump_batches) != 0) { fprintf(stderr, PROGRAM ": --dump-batches: write error\n"); status = 1; }
    return status;
}

/* The options, the corpus and the model, then the run; every error path frees what it took. */
static int job_main(int argc, char **argv, cn_dist *job, FILE *info, int *agreed) {
    int root = !job || job->rank == 0;
    train_args a;
    args_default(&a);
    *agreed = 1;   /* until the options are read, every rank fails alike */
    if (parse_args(argc, argv, &a, ARGS_USER)) return CN_EXIT_USAGE;
    resume_state rs;
    memset(&rs, 0, sizeof rs);
    int status = a.resume ? read_resume(argc, argv, &a, &rs, agreed) : 0;
    if (status) { resume_free(&rs); return status; }
    settle_args(&a);
    cn_cli_on_stop_signals(on_signal);
    a.t.stop = &stop_requested;
    *agreed = 1;
    if (a.zoo) {
        if (job && root) fprintf(stderr, PROGRAM ": --paper-zoo runs in one process: start it without mpirun\n");
        status = job ? 2 : run_zoo(&a);
        resume_free(&rs);
        return status;
    }
    if (a.n_paths == 0) status = (fprintf(stderr, PROGRAM ": no corpus given (a folder of MIDI files; see " PROGRAM " --help)\n"), CN_EXIT_USAGE);
    else if (!a.t.out_path) status = (fprintf(stderr, PROGRAM ": no output model given (-o MODEL.cnm)\n"), CN_EXIT_USAGE);
    else if (job && a.dump_path) {
        if (root) fprintf(stderr, PROGRAM ": --dump-batches runs in one process: start it without mpirun\n");
        status = 2;
    }
    if (status) { resume_free(&rs); return status; }
    *agreed = 0;
    if (check_outputs(&a, root)) { resume_free(&rs); return 1; }
    *agreed = 1;
    cn_spec parsed;
    char perr[256];
    if (!a.resume && cn_spec_parse(a.spec, &parsed, perr, sizeof perr)) {
        fprintf(stderr, PROGRAM ": --spec '%s': %s (see --help for the grammar)\n", a.spec, perr);
        return 2;
    }
    cn_corpus c;   /* a failed load is agreed: under a job the ranks compare their loads */
    if (load_corpus_job(&a, &c, job, info)) { resume_free(&rs); return 1; }
    if (root) warn_small_validation(&c);
    cn_model *m = model_for_run(&a, &rs, &c, info, &status);
    if (m) {
        char *config = config_text(&a);   /* on resume: the saved options with this run's changes */
        a.t.config = config;
        a.t.title = m->spec_text;
        print_budget(&a, m, info);
        status = train_and_report(&a, m, &c, &rs, job, info, agreed);
        free(config);
        cn_model_free(m);
    }
    cn_corpus_free(&c);
    resume_free(&rs);
    return status;
}
