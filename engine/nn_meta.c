/* nn_meta.c: the model's training metadata, ordered key/value text pairs. */
#include <stdlib.h>
#include <string.h>
#include "nn.h"

int cn_meta_set(cn_meta *m, const char *key, const char *val) {
    char *v = strdup(val ? val : "");
    if (!v) return -1;
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->keys[i], key) == 0) { free(m->vals[i]); m->vals[i] = v; return 0; }
    if (m->n >= CN_META_MAX) { free(v); return -1; }
    char *k = strdup(key);
    if (!k) { free(v); return -1; }
    m->keys[m->n] = k; m->vals[m->n] = v; m->n++;
    return 0;
}

const char *cn_meta_get(const cn_meta *m, const char *key) {
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->keys[i], key) == 0) return m->vals[i];
    return NULL;
}

void cn_meta_free(cn_meta *m) {
    for (int i = 0; i < m->n; i++) { free(m->keys[i]); free(m->vals[i]); }
    m->n = 0;
}
