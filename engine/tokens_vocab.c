/* tokens_vocab.c: what a model carries of its tokens (tokens_vocab.h): the encodings' names,
 * recorded in model files, and the paper encoding's vocabulary: "<unk>" at id 0, then the
 * distinct token strings seen in training, sorted, so that the same corpus always gives the
 * same ids. */
#include <stdlib.h>
#include <string.h>
#include "tokens_vocab.h"

const char *cn_encoding_name(cn_encoding e) {
    return e == CN_ENC_PAPER ? "paper" : e == CN_ENC_NOTE ? "note" : "event";
}

int cn_encoding_parse(const char *name, cn_encoding *out) {
    if (!name) return -1;
    if (strcmp(name, "event") == 0) { *out = CN_ENC_EVENT; return 0; }
    if (strcmp(name, "paper") == 0) { *out = CN_ENC_PAPER; return 0; }
    if (strcmp(name, "note") == 0) { *out = CN_ENC_NOTE; return 0; }
    return -1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cn_vocab_build(cn_vocab *v, char *const *strs, size_t n) {
    v->names = NULL; v->n = 0;
    char **tmp = malloc((n + 1) * sizeof *tmp);
    if (!tmp) return -1;
    memcpy(tmp, strs, n * sizeof *tmp);
    qsort(tmp, n, sizeof *tmp, cmp_str);
    size_t uniq = 0;
    for (size_t i = 0; i < n; i++)
        if ((i == 0 || strcmp(tmp[i], tmp[i - 1]) != 0) && strcmp(tmp[i], "<unk>") != 0) tmp[uniq++] = tmp[i];
    char **names = calloc(uniq + 1, sizeof *names);
    if (!names) { free(tmp); return -1; }
    names[0] = strdup("<unk>");
    int ok = names[0] != NULL;
    for (size_t i = 0; ok && i < uniq; i++) ok = (names[i + 1] = strdup(tmp[i])) != NULL;
    free(tmp);
    v->names = names; v->n = (int)uniq + 1;
    if (!ok) { cn_vocab_free(v); return -1; }
    return 0;
}

int cn_vocab_lookup(const cn_vocab *v, const char *name) {
    int lo = 1, hi = v->n - 1;           /* names[1..n-1] are sorted */
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(v->names[mid], name);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
}

void cn_vocab_free(cn_vocab *v) {
    if (v->names)
        for (int i = 0; i < v->n; i++) free(v->names[i]);
    free(v->names);
    v->names = NULL; v->n = 0;
}
