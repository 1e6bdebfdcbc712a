/* nn_spec.c: the architecture spec: parsing the text grammar of nn.h, the report's eight
 * named models, and the canonical text form stored in the model file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn_internal.h"

/* The report's table (section 5.1). Model 1's text says Conv1D-256 (its code says 128; we follow
 * the text). Models 5 and 7 list no Dropout in the table, so they have none here. */
static const struct { const char *name, *spec; } paper_models[] = {
    { "paper-baseline", "lstm:256,lstm:256,lstm:256,lstm:256,dropout:0.3" },
    { "paper-m1", "conv1d:256:3,lstm:256,lstm:256,dropout:0.3" },
    { "paper-m2", "lstm:256,dropout:0.3" },
    { "paper-m3", "conv1d:128:3,gru:256,gru:256,dropout:0.3" },
    { "paper-m4", "conv1d:256:3,lstm:128,lstm:128,lstm:128,dropout:0.3" },
    { "paper-m5", "conv1d:256:3,lstm:256,lstm:256,batchnorm" },
    { "paper-m6", "conv1d:256:3,dense:256,lstm:256,dropout:0.3" },
    { "paper-m7", "conv1d:256:3,dense:256,lstm:256,conv1d:256:3,lstm:256" },
};
#define N_PAPER (int)(sizeof paper_models / sizeof paper_models[0])

/* Upper bounds that keep every size computed from a spec far from int overflow. */
#define MAX_UNITS  65536
#define MAX_KERNEL 64

const char *cn_spec_paper(const char *name) {
    if (!name) return NULL;
    for (int i = 0; i < N_PAPER; i++)
        if (strcmp(paper_models[i].name, name) == 0) return paper_models[i].spec;
    return NULL;
}

const char *cn_spec_help(void) {
    return
        "Architecture spec: comma-separated layers; the input is one-hot over the vocabulary\n"
        "(a gather, never a product) unless embed comes first; Dense(V)+softmax is appended.\n"
        "  embed:D          token embedding of width D (first layer only)\n"
        "  conv1d:F:K       causal Conv1D, F filters, kernel K, ReLU\n"
        "  lstm:H           LSTM (gate order i,f,g,o as PyTorch/Keras)\n"
        "  gru:H            GRU (gate order r,z,n as PyTorch; Keras reset_after=True)\n"
        "  dense:N[:relu]   time-distributed Dense, linear unless :relu\n"
        "  batchnorm        BatchNorm over features\n"
        "  dropout:P        dropout with drop probability P, 0 <= P < 1 (training only)\n"
        "The first layer must be embed, conv1d, lstm, gru or dense.\n"
        "Named models from the report:\n"
        "  paper-baseline   lstm:256 x4, dropout:0.3\n"
        "  paper-m1         conv1d:256:3,lstm:256,lstm:256,dropout:0.3\n"
        "  paper-m2         lstm:256,dropout:0.3\n"
        "  paper-m3         conv1d:128:3,gru:256,gru:256,dropout:0.3\n"
        "  paper-m4         conv1d:256:3,lstm:128,lstm:128,lstm:128,dropout:0.3\n"
        "  paper-m5         conv1d:256:3,lstm:256,lstm:256,batchnorm\n"
        "  paper-m6         conv1d:256:3,dense:256,lstm:256,dropout:0.3\n"
        "  paper-m7         conv1d:256:3,dense:256,lstm:256,conv1d:256:3,lstm:256\n";
}

/* Parses a positive integer field at *p up to ':' ',' or end. */
static int parse_int(const char **p, int lo, int hi, int *out) {
    const char *s = *p;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || v < lo || v > hi) return -1;
    if (*end != ':' && *end != ',' && *end != '\0') return -1;
    *out = (int)v; *p = end;
    return 0;
}

static int parse_rate(const char **p, float *out) {
    const char *s = *p;
    if ((*s < '0' || *s > '9') && *s != '.') return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0.0 && v < 1.0)) return -1;
    if (*end != ',' && *end != '\0') return -1;
    *out = (float)v; *p = end;
    return 0;
}

static int fail(char *err, size_t errlen, int layer, const char *what) {
    if (err && errlen) snprintf(err, errlen, "spec layer %d: %s", layer + 1, what);
    return -1;
}

int cn_spec_parse(const char *text, cn_spec *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!text) return fail(err, errlen, -1, "no spec");
    const char *named = cn_spec_paper(text);
    if (named) text = named;
    if (!*text) {
        if (err && errlen) snprintf(err, errlen, "spec is empty (see --help for the grammar)");
        return -1;
    }
    const char *p = text;
    int n = 0;
    for (;;) {
        if (n >= CN_MAX_LAYERS) return fail(err, errlen, n, "too many layers (at most 16)");
        cn_layer_spec *L = &out->layers[n];
        memset(L, 0, sizeof *L);
        size_t wl = strcspn(p, ":,");
        char word[16];
        if (wl == 0 || wl >= sizeof word) return fail(err, errlen, n, "expected a layer name");
        memcpy(word, p, wl); word[wl] = 0;
        p += wl;
        if (strcmp(word, "embed") == 0 || strcmp(word, "lstm") == 0 || strcmp(word, "gru") == 0) {
            L->kind = word[0] == 'e' ? CN_L_EMBED : word[0] == 'l' ? CN_L_LSTM : CN_L_GRU;
            if (*p++ != ':' || parse_int(&p, 1, MAX_UNITS, &L->units))
                return fail(err, errlen, n, "expected a width 1..65536, e.g. lstm:256");
            if (L->kind == CN_L_EMBED && n != 0) return fail(err, errlen, n, "embed must be the first layer");
        } else if (strcmp(word, "conv1d") == 0) {
            L->kind = CN_L_CONV1D; L->relu = 1;
            if (*p++ != ':' || parse_int(&p, 1, MAX_UNITS, &L->units))
                return fail(err, errlen, n, "expected filters, e.g. conv1d:256:3");
            if (*p++ != ':' || parse_int(&p, 1, MAX_KERNEL, &L->kernel))
                return fail(err, errlen, n, "expected a kernel size 1..64, e.g. conv1d:256:3");
        } else if (strcmp(word, "dense") == 0) {
            L->kind = CN_L_DENSE;
            if (*p++ != ':' || parse_int(&p, 1, MAX_UNITS, &L->units))
                return fail(err, errlen, n, "expected a width, e.g. dense:256 or dense:256:relu");
            if (*p == ':') {
                p++;
                if (strncmp(p, "relu", 4) != 0 || (p[4] != ',' && p[4] != '\0'))
                    return fail(err, errlen, n, "dense takes only the option relu");
                L->relu = 1; p += 4;
            }
        } else if (strcmp(word, "batchnorm") == 0) {
            L->kind = CN_L_BATCHNORM;
        } else if (strcmp(word, "dropout") == 0) {
            L->kind = CN_L_DROPOUT;
            if (*p++ != ':' || parse_rate(&p, &L->rate))
                return fail(err, errlen, n, "expected a drop probability 0 <= P < 1, e.g. dropout:0.3");
        } else {
            return fail(err, errlen, n, "unknown layer (embed conv1d lstm gru dense batchnorm dropout)");
        }
        if (n == 0 && (L->kind == CN_L_BATCHNORM || L->kind == CN_L_DROPOUT))
            return fail(err, errlen, n, "the first layer must be embed, conv1d, lstm, gru or dense");
        n++;
        if (*p == '\0') break;
        if (*p != ',') return fail(err, errlen, n - 1, "unexpected text after the layer");
        p++;
    }
    out->n_layers = n;
    return 0;
}

int cn_spec_format(const cn_spec *s, char *buf, size_t len) {
    size_t used = 0;
    if (len) buf[0] = 0;
    for (int i = 0; i < s->n_layers; i++) {
        const cn_layer_spec *L = &s->layers[i];
        char one[64];
        const cn_nn_kind *k = cn_nn_kind_of(L->kind);
        if (!k) return -1;
        k->spec_word(L, one, sizeof one);
        int w = snprintf(buf + used, len > used ? len - used : 0, "%s%s", i ? "," : "", one);
        if (w < 0 || used + (size_t)w >= len) return -1;
        used += (size_t)w;
    }
    return 0;
}
