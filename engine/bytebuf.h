/* bytebuf.h: the one growable byte buffer, for everything that builds bytes in memory before
 * they go anywhere: the cleaned MIDI file (midi_check.c), the model file (modelfile.c), the
 * pictures (offline-trainer/canvas.c) and the trainer's saved command line. A failed
 * allocation sets oom and drops every later write, so a writer checks once at its end; what
 * was written before the failure stays as it was. Not for the real-time path (it allocates). */
#ifndef CONTINUO_BYTEBUF_H
#define CONTINUO_BYTEBUF_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *p;     /* the bytes, p[0..n); NULL until the first write */
    size_t n, cap;
    int oom;        /* an allocation failed: p[0..n) holds what came before it */
} cn_bytebuf;

/* Room for `more` bytes after p[n]: 0, or -1 (and oom) when it cannot be had. */
int cn_bytebuf_reserve(cn_bytebuf *b, size_t more);
void cn_bytebuf_put(cn_bytebuf *b, const void *src, size_t len);
void cn_bytebuf_byte(cn_bytebuf *b, uint8_t v);
/* Formatted text, with a NUL kept after it (p[n] == 0, not counted in n), so that a buffer of
 * text is also a C string. */
void cn_bytebuf_printf(cn_bytebuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cn_bytebuf_vprintf(cn_bytebuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void cn_bytebuf_free(cn_bytebuf *b);
#endif
