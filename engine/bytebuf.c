/* bytebuf.c: the growable byte buffer of bytebuf.h. The capacity doubles from 256 bytes, so
 * n appends cost O(n) copying in all; a size that would overflow is an allocation failure. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bytebuf.h"

#define FIRST_CAP 256

int cn_bytebuf_reserve(cn_bytebuf *b, size_t more) {
    if (b->oom) return -1;
    if (b->cap - b->n >= more) return 0;
    if (more > SIZE_MAX - b->n) { b->oom = 1; return -1; }
    size_t need = b->n + more, cap = b->cap ? b->cap : FIRST_CAP;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) { b->oom = 1; return -1; }
    b->p = p; b->cap = cap;
    return 0;
}

void cn_bytebuf_put(cn_bytebuf *b, const void *src, size_t len) {
    if (len == 0 || cn_bytebuf_reserve(b, len)) return;
    memcpy(b->p + b->n, src, len);
    b->n += len;
}

void cn_bytebuf_byte(cn_bytebuf *b, uint8_t v) { cn_bytebuf_put(b, &v, 1); }

void cn_bytebuf_vprintf(cn_bytebuf *b, const char *fmt, va_list ap) {
    if (cn_bytebuf_reserve(b, 1)) return;   /* room for the NUL at least: p is not NULL below */
    for (;;) {
        va_list aq;
        va_copy(aq, ap);   /* a second try formats the same arguments again */
        int w = vsnprintf((char *)b->p + b->n, b->cap - b->n, fmt, aq);
        va_end(aq);
        if (w < 0) { b->oom = 1; return; }
        if ((size_t)w < b->cap - b->n) { b->n += (size_t)w; return; }
        if (cn_bytebuf_reserve(b, (size_t)w + 1)) return;
    }
}

void cn_bytebuf_printf(cn_bytebuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cn_bytebuf_vprintf(b, fmt, ap);
    va_end(ap);
}

void cn_bytebuf_free(cn_bytebuf *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->oom = 0;
}
