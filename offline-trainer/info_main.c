/* info_main.c: continuo-info, which prints what a model file (.cnm) holds: format and
 * version, spec, encoding and vocabulary, the training metadata (corpus, tokens, epochs,
 * losses, date, program version, the data's credit), every tensor with its shape and
 * storage type, the parameter count and the file size. A file that does not load gets one
 * message and exit status 1, so the command also serves as a model checker.
 * The model is -m MODEL or the argument, like every other tool. `--half OUT` also writes
 * the model again with float16 weights (half the size), which is how the shipped default
 * model is kept small. `--compare A B` prints how far two models' weights are apart (data-parallel
 * runs are checked against one-process runs with it). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "modelfile.h"
#include "stdout_check.h"

#define PROGRAM "continuo-info"

static void usage(FILE *f) {
    fprintf(f, "usage: " PROGRAM " [-m] MODEL.cnm\n"
               "       " PROGRAM " --half OUT.cnm [-m] MODEL.cnm   (also write a float16 copy)\n"
               "       " PROGRAM " --compare A.cnm B.cnm      (weights that differ, largest difference)\n"
               "Prints the model file's format, spec, encoding, vocabulary, training metadata\n"
               "and tensors; exits 1 with a message when the file is damaged or not a model.\n"
               "  -m, --model MODEL   the model file (or give it as the argument)\n"
               "  --half OUT          also write the model again with float16 weights\n"
               "  -h, --help          this text\n"
               "  --version           the program's version\n"
               "Exit status: 0 ok, 1 runtime error (the file does not load or write), 2 usage error.\n");
}

enum { O_HALF = 256, O_VERSION };
static const struct option long_opts[] = {
    { "model", required_argument, 0, 'm' }, { "half", required_argument, 0, O_HALF },
    { "help", no_argument, 0, 'h' }, { "version", no_argument, 0, O_VERSION }, { 0, 0, 0, 0 }
};

/* Metadata comes from a file: show control characters as '?' rather than send them to a terminal. */
static void print_clean(const char *s) {
    for (; *s; s++) putchar((unsigned char)*s < 32 && *s != '\t' ? '?' : *s);
}

/* "weights N differ K max_abs_diff X max_rel_diff Y": one line, for scripts. */
static int compare(const char *a_path, const char *b_path) {
    char err[512];
    cn_model *a = cn_model_load(a_path, err, sizeof err);
    if (!a) { fprintf(stderr, "continuo-info: %s\n", err); return 1; }
    cn_model *b = cn_model_load(b_path, err, sizeof err);
    if (!b) { fprintf(stderr, "continuo-info: %s\n", err); cn_model_free(a); return 1; }
    int rc = 0;
    if (a->n_params != b->n_params || strcmp(a->spec_text, b->spec_text) != 0) {
        fprintf(stderr, "continuo-info: %s and %s are different models (%s, %zu weights; %s, %zu weights)\n",
                a_path, b_path, a->spec_text, a->n_params, b->spec_text, b->n_params);
        rc = 1;
    } else {
        size_t differ = 0;
        double max_abs = 0, max_rel = 0;
        for (size_t i = 0; i < a->n_params; i++) {
            double d = fabs((double)a->params[i] - (double)b->params[i]);
            if (!(d == 0)) differ++;
            if (!(d <= max_abs)) max_abs = d;   /* NaN counts as the largest */
            double rel = d / (fabs((double)a->params[i]) > 1e-3 ? fabs((double)a->params[i]) : 1e-3);
            if (!(rel <= max_rel)) max_rel = rel;
        }
        printf("weights %zu differ %zu max_abs_diff %.3g max_rel_diff %.3g\n", a->n_params, differ, max_abs, max_rel);
    }
    cn_model_free(a); cn_model_free(b);
    return rc;
}

typedef struct { const char *path, *half_out; } info_args;

/* -1 to go on, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, info_args *a) {
    a->path = a->half_out = NULL;
    int c;
    while ((c = cn_cli_getopt(argc, argv, ":m:h", long_opts, PROGRAM)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return CN_EXIT_OK;
        case O_VERSION: cn_cli_version(PROGRAM); return CN_EXIT_OK;
        case 'm':
            if (a->path) { fprintf(stderr, PROGRAM ": one model at a time (%s and %s)\n", a->path, optarg); return CN_EXIT_USAGE; }
            a->path = optarg; break;
        case O_HALF: a->half_out = optarg; break;
        default: return CN_EXIT_USAGE;
        }
    }
    for (; optind < argc; optind++) {
        if (a->path) { fprintf(stderr, PROGRAM ": one model at a time (%s and %s)\n", a->path, argv[optind]); return CN_EXIT_USAGE; }
        a->path = argv[optind];
    }
    if (!a->path) { fprintf(stderr, PROGRAM ": no model given (see " PROGRAM " --help)\n"); return CN_EXIT_USAGE; }
    return -1;
}

/* The model and its file's figures; with --half, its float16 copy written. NULL after the message. */
static cn_model *load(const info_args *a, cn_model_file_stats *st) {
    char err[512];
    cn_model *m = cn_model_load_stats(a->path, st, err, sizeof err);
    if (!m) {
        fprintf(stderr, PROGRAM ": %s\n", err);
        return NULL;
    }
    if (a->half_out && cn_model_save(a->half_out, m, 1, err, sizeof err) != 0) {
        fprintf(stderr, PROGRAM ": %s\n", err);
        cn_model_free(m);
        return NULL;
    }
    return m;
}

static void print_vocabulary(const cn_model *m) {
    if (m->encoding == CN_ENC_PAPER) {
        printf("encoding:    paper (vocabulary from the training corpus)\n");
        printf("vocabulary:  V = %d, %d words:", m->vocab, m->words.n);
        int show = m->words.n < 8 ? m->words.n : 8;
        for (int i = 0; i < show; i++) { putchar(' '); print_clean(m->words.names[i]); }
        printf("%s\n", m->words.n > show ? " ..." : "");
    } else {
        printf("encoding:    %s (fixed vocabulary)\n", cn_encoding_name(m->encoding));
        printf("vocabulary:  V = %d\n", m->vocab);
    }
}

static void print_tensors(const cn_model *m, const cn_model_file_stats *st) {
    printf("tensors:     %d\n", m->n_tensors);
    size_t trainable = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const cn_tensor *t = &m->tensors[i];
        char shape[64] = "";
        size_t k = 0;
        for (int d = 0; d < t->ndim && k < sizeof shape; d++)
            k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%d", d ? " x " : "", t->shape[d]);
        printf("  %-28s %-18s %9zu  %s%s\n", t->name, shape, t->size, st->dtype[i] ? "f16" : "f32",
               t->trainable ? "" : "  (running statistic)");
        if (t->trainable) trainable += t->size;
    }
    printf("parameters:  %zu (%zu trainable)\n", m->n_params, trainable);
}

static void report(const char *path, const cn_model *m, const cn_model_file_stats *st) {
    printf("file:        %s (%llu bytes)\n", path, (unsigned long long)st->file_bytes);
    const char *dtype = st->n_f16 == 0 ? "float32" : st->n_f32 == 0 ? "float16" : "float16, some tensors float32";
    printf("format:      %s version %u, weights %s, CRC-32 ok\n", CN_MODEL_MAGIC, st->version, dtype);
    printf("spec:        %s\n", m->spec_text);
    print_vocabulary(m);
    printf("metadata:    %d pairs\n", m->meta.n);
    for (int i = 0; i < m->meta.n; i++) {
        printf("  ");
        print_clean(m->meta.keys[i]);
        printf(": ");
        print_clean(m->meta.vals[i]);
        putchar('\n');
    }
    print_tensors(m, st);
    /* what a data-parallel run all-reduces every step (see README, Training on many machines) */
    printf("gradient:    %zu floats, %.2f MB a step to all-reduce\n", m->n_params, (double)m->n_params * 4 / 1e6);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--compare") == 0) return compare(argv[2], argv[3]);
    info_args a;
    int st = parse_args(argc, argv, &a);
    if (st >= 0) return st;
    cn_model_file_stats fs;
    cn_model *m = load(&a, &fs);
    if (!m) return CN_EXIT_RUNTIME;
    report(a.path, m, &fs);
    cn_model_free(m);
    return cn_stdout_finish("continuo-info");
}
