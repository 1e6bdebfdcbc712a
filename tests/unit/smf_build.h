/* smf_build.h: builds small Standard MIDI Files byte by byte in memory for the tests,
 * including deliberately broken ones (wrong lengths, no End-of-Track, running status). */
#ifndef CONTINUO_SMF_BUILD_H
#define CONTINUO_SMF_BUILD_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct { uint8_t b[65536]; size_t n; size_t track_at; } smf_buf;

static inline void sb_bytes(smf_buf *s, const void *p, size_t n) {
    if (s->n + n > sizeof s->b) return;
    memcpy(s->b + s->n, p, n); s->n += n;
}
static inline void sb_byte(smf_buf *s, int v) { uint8_t b = (uint8_t)v; sb_bytes(s, &b, 1); }
static inline void sb_be32_at(smf_buf *s, size_t at, uint32_t v) {
    s->b[at] = (uint8_t)(v >> 24); s->b[at + 1] = (uint8_t)(v >> 16);
    s->b[at + 2] = (uint8_t)(v >> 8); s->b[at + 3] = (uint8_t)v;
}
static inline void sb_varlen(smf_buf *s, uint32_t v) {
    uint8_t t[4]; int n = 0;
    t[n++] = v & 0x7f;
    while ((v >>= 7) && n < 4) t[n++] = (uint8_t)(0x80 | (v & 0x7f));
    while (n) sb_byte(s, t[--n]);
}
static inline void sb_header(smf_buf *s, int format, int ntracks, int division) {
    s->n = 0;
    sb_bytes(s, "MThd\0\0\0\6", 8);
    sb_byte(s, format >> 8); sb_byte(s, format);
    sb_byte(s, ntracks >> 8); sb_byte(s, ntracks);
    sb_byte(s, division >> 8); sb_byte(s, division);
}
static inline void sb_track_begin(smf_buf *s) { s->track_at = s->n; sb_bytes(s, "MTrk\0\0\0\0", 8); }
/* Patches the chunk length to the bytes written since sb_track_begin. */
static inline void sb_track_end(smf_buf *s) { sb_be32_at(s, s->track_at + 4, (uint32_t)(s->n - s->track_at - 8)); }
static inline void sb_eot(smf_buf *s, uint32_t delta) { sb_varlen(s, delta); sb_bytes(s, "\xff\x2f\x00", 3); }
static inline void sb_ev3(smf_buf *s, uint32_t delta, int st, int a, int b) {
    sb_varlen(s, delta); sb_byte(s, st); sb_byte(s, a); sb_byte(s, b);
}
static inline void sb_ev2(smf_buf *s, uint32_t delta, int st, int a) { sb_varlen(s, delta); sb_byte(s, st); sb_byte(s, a); }
static inline void sb_tempo(smf_buf *s, uint32_t delta, double bpm) {
    uint32_t us = (uint32_t)(60e6 / bpm + 0.5);
    sb_varlen(s, delta); sb_bytes(s, "\xff\x51\x03", 3);
    sb_byte(s, us >> 16); sb_byte(s, us >> 8); sb_byte(s, us);
}
static inline void sb_timesig(smf_buf *s, uint32_t delta, int num, int den_log2) {
    sb_varlen(s, delta); sb_bytes(s, "\xff\x58\x04", 3);
    sb_byte(s, num); sb_byte(s, den_log2); sb_byte(s, 24); sb_byte(s, 8);
}
static inline int sb_save(const smf_buf *s, const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(s->b, 1, s->n, f);
    return (fclose(f) == 0 && w == s->n) ? 0 : -1;
}
#endif
