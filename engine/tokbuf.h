/* tokbuf.h: the growable token array the whole-song encoders write into. Private to the
 * encoders (tokens_event.c, tokens_note.c). A failed allocation sets oom and drops the rest,
 * so an encoder checks once at its end. */
#ifndef CONTINUO_TOKBUF_H
#define CONTINUO_TOKBUF_H
#include <stdlib.h>

typedef struct { int *t; size_t n, cap; int oom; } cn_tokbuf;

static inline void cn_tokbuf_put(cn_tokbuf *b, int tok) {
    if (b->oom) return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        int *nt = realloc(b->t, cap * sizeof *nt);
        if (!nt) { b->oom = 1; return; }
        b->t = nt; b->cap = cap;
    }
    b->t[b->n++] = tok;
}
#endif
