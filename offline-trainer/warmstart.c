/* warmstart.c: `continuo-train --init MODEL`: a new run starts from a trained model's weights
 * instead of fresh ones (a warm restart: a new learning-rate schedule, fresh optimizer moments).
 * Why: a model trained on a faster machine, or for longer than one session holds, can be
 * trained further, and layers without weights (dropout) may be added or moved, since the
 * tensors are matched by kind and order, not by layer index. */
#include "warmstart.h"
#include <stdio.h>
#include <string.h>

/* "1.lstm.weight_ih" -> "lstm.weight_ih"; "out.bias" stays. */
static const char *unindexed(const char *name) {
    const char *p = name;
    while (*p >= '0' && *p <= '9') p++;
    return (p != name && *p == '.') ? p + 1 : name;
}

/* The k-th tensor (from 0) of src with this unindexed name, or NULL. */
static const cn_tensor *nth_named(const cn_model *src, const char *bare, int k) {
    for (int i = 0; i < src->n_tensors; i++)
        if (strcmp(unindexed(src->tensors[i].name), bare) == 0 && k-- == 0) return &src->tensors[i];
    return NULL;
}

/* How many tensors before dst->tensors[i] share its unindexed name. */
static int rank_among_same(const cn_model *m, int i) {
    int k = 0;
    const char *bare = unindexed(m->tensors[i].name);
    for (int j = 0; j < i; j++) k += strcmp(unindexed(m->tensors[j].name), bare) == 0;
    return k;
}

static int same_shape(const cn_tensor *a, const cn_tensor *b) {
    if (a->ndim != b->ndim || a->size != b->size) return 0;
    for (int d = 0; d < a->ndim; d++) if (a->shape[d] != b->shape[d]) return 0;
    return 1;
}

static void shape_text(const cn_tensor *t, char *buf, size_t len) {
    int n = snprintf(buf, len, "%d", t->shape[0]);
    for (int d = 1; d < t->ndim && n > 0 && (size_t)n < len; d++) n += snprintf(buf + n, len - (size_t)n, "x%d", t->shape[d]);
}

int cn_warmstart(cn_model *dst, const cn_model *src, const char *src_name, char *err, size_t errlen) {
    if (dst->vocab != src->vocab || dst->encoding != src->encoding ||
        (dst->encoding == CN_ENC_PAPER && dst->words.n != src->words.n)) {
        snprintf(err, errlen, "%s: its vocabulary (%d tokens, %s encoding) is not this corpus's (%d tokens, %s)",
                 src_name, src->vocab, cn_encoding_name(src->encoding), dst->vocab, cn_encoding_name(dst->encoding));
        return -1;
    }
    const cn_tensor *match[CN_MAX_TENSORS];
    int used = 0;
    for (int i = 0; i < dst->n_tensors; i++) {   /* check everything before copying anything */
        const cn_tensor *t = &dst->tensors[i];
        const cn_tensor *s = match[i] = nth_named(src, unindexed(t->name), rank_among_same(dst, i));
        if (!s) {
            snprintf(err, errlen, "%s (spec %s) has no tensor for %s of the spec %s", src_name, src->spec_text,
                     t->name, dst->spec_text);
            return -1;
        }
        if (!same_shape(t, s)) {
            char a[48], b[48];
            shape_text(t, a, sizeof a); shape_text(s, b, sizeof b);
            snprintf(err, errlen, "%s: %s is %s, the spec %s wants %s for %s", src_name, s->name, b, dst->spec_text, a, t->name);
            return -1;
        }
        used++;
    }
    if (used != src->n_tensors) {
        snprintf(err, errlen, "%s (spec %s) has %d tensors the spec %s does not use", src_name, src->spec_text,
                 src->n_tensors - used, dst->spec_text);
        return -1;
    }
    for (int i = 0; i < dst->n_tensors; i++)
        memcpy(dst->params + dst->tensors[i].offset, src->params + match[i]->offset,
               dst->tensors[i].size * sizeof *dst->params);
    return 0;
}
