/* roll.c: piano-roll pictures (SVG text, or PNG through a small fixed-Huffman deflate).
 * One layout serves both: beats run left to right, pitches bottom to top, bar lines and the
 * C rows drawn faintly, seed notes blue, continuation notes orange, the split as a line. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "atomicfile.h"
#include "crc32.h"
#include "roll.h"

#define MAX_WIDTH   3000   /* pixels; a long song is squeezed to fit */
#define ROW_PX      6      /* pixels a semitone */
#define BEAT_PX     32     /* pixels a beat, before squeezing */
#define MARGIN      8

static const uint8_t COL_BG[3] = { 255, 255, 255 }, COL_BAR[3] = { 200, 200, 200 },
                     COL_CROW[3] = { 240, 240, 246 }, COL_SEED[3] = { 59, 111, 212 },
                     COL_CONT[3] = { 232, 119, 46 }, COL_SPLIT[3] = { 80, 80, 80 };

typedef struct {
    int lo, hi;            /* pitch rows shown */
    double beats, px_beat;
    int w, h;
    double bar;
} layout;

static layout make_layout(const cn_song *s) {
    layout L;
    int lo = 127, hi = 0;
    double end = 0;
    for (size_t i = 0; i < s->n_notes; i++) {
        if (s->notes[i].pitch < lo) lo = s->notes[i].pitch;
        if (s->notes[i].pitch > hi) hi = s->notes[i].pitch;
        end = fmax(end, s->notes[i].start_beat + s->notes[i].dur_beat);
    }
    if (lo > hi) { lo = 60; hi = 72; }
    L.lo = lo > 2 ? lo - 2 : 0;
    L.hi = hi < 125 ? hi + 2 : 127;
    L.bar = s->ts_num > 0 && s->ts_den > 0 ? s->ts_num * 4.0 / s->ts_den : 4.0;
    L.beats = fmax(ceil(end / L.bar) * L.bar, L.bar);
    L.px_beat = BEAT_PX;
    if (L.beats * L.px_beat > MAX_WIDTH - 2 * MARGIN) L.px_beat = (MAX_WIDTH - 2 * MARGIN) / L.beats;
    L.w = (int)ceil(L.beats * L.px_beat) + 2 * MARGIN;
    L.h = (L.hi - L.lo + 1) * ROW_PX + 2 * MARGIN;
    return L;
}

static double px_x(const layout *L, double beat) { return MARGIN + beat * L->px_beat; }
static double px_y(const layout *L, int pitch) { return MARGIN + (L->hi - pitch) * ROW_PX; }

/* ---- SVG ---- */
typedef struct { char *p; size_t n, cap; int oom; } text_buf;

static void tprintf(text_buf *t, const char *fmt, ...) {
    if (t->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (w < 0) { t->oom = 1; return; }
        if ((size_t)w < t->cap - t->n) { t->n += (size_t)w; return; }
        size_t cap = (t->cap + (size_t)w + 1) * 2;
        char *np = realloc(t->p, cap);
        if (!np) { t->oom = 1; return; }
        t->p = np; t->cap = cap;
    }
}

int cn_roll_svg(const cn_song *song, int n_seed, double split_beat, char **out, size_t *len) {
    layout L = make_layout(song);
    text_buf t = { malloc(4096), 0, 4096, 0 };
    if (!t.p) return -1;
    tprintf(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
                "<title>continuo piano roll: seed (blue) and continuation (orange)</title>\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n", L.w, L.h, L.w, L.h);
    for (int p = L.lo; p <= L.hi; p++)
        if (p % 12 == 0)
            tprintf(&t, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#f0f0f6\"/>"
                        "<text x=\"1\" y=\"%.1f\" font-size=\"6\" fill=\"#888\">C%d</text>\n",
                    MARGIN, px_y(&L, p), L.w - 2 * MARGIN, ROW_PX, px_y(&L, p) + ROW_PX, p / 12 - 1);
    for (double b = 0; b <= L.beats + 1e-9; b += L.bar)
        tprintf(&t, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c8c8c8\" stroke-width=\"1\"/>\n",
                px_x(&L, b), MARGIN, px_x(&L, b), L.h - MARGIN);
    for (size_t i = 0; i < song->n_notes; i++) {
        const cn_note *n = &song->notes[i];
        tprintf(&t, "<rect class=\"%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\"/>\n",
                (int)i < n_seed ? "seed" : "continuation", px_x(&L, n->start_beat), px_y(&L, n->pitch),
                fmax(n->dur_beat * L.px_beat, 1.0), ROW_PX - 1, (int)i < n_seed ? "#3b6fd4" : "#e8772e");
    }
    if (split_beat >= 0)
        tprintf(&t, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#505050\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>\n",
                px_x(&L, split_beat), MARGIN / 2, px_x(&L, split_beat), L.h - MARGIN / 2);
    tprintf(&t, "</svg>\n");
    if (t.oom) { free(t.p); return -1; }
    *out = t.p; *len = t.n;
    return 0;
}

/* ---- PNG ---- */
typedef struct { uint8_t *p; size_t n, cap; int oom; uint32_t bits; int nbits; } byte_buf;

static void put(byte_buf *b, const void *data, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = (b->cap + n) * 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) { b->oom = 1; return; }
        b->p = np; b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}
static void put_u32be(byte_buf *b, uint32_t v) {
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    put(b, x, 4);
}
/* deflate's bit order: values LSB first */
static void put_bits(byte_buf *b, uint32_t v, int n) {
    b->bits |= v << b->nbits; b->nbits += n;
    while (b->nbits >= 8) { uint8_t c = (uint8_t)b->bits; put(b, &c, 1); b->bits >>= 8; b->nbits -= 8; }
}
/* Huffman codes go MSB first: reverse them into the LSB-first stream. */
static void put_code(byte_buf *b, uint32_t code, int n) {
    uint32_t r = 0;
    for (int i = 0; i < n; i++) r |= ((code >> i) & 1) << (n - 1 - i);
    put_bits(b, r, n);
}
static void put_litlen(byte_buf *b, int sym) {   /* the fixed literal/length code (RFC 1951 3.2.6) */
    if (sym < 144) put_code(b, 0x30 + sym, 8);
    else if (sym < 256) put_code(b, 0x190 + sym - 144, 9);
    else if (sym < 280) put_code(b, sym - 256, 7);
    else put_code(b, 0xC0 + sym - 280, 8);
}

static const int len_base[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                  67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const int len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const int dist_base[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                   1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const int dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
                                    11, 11, 12, 12, 13, 13 };

static void put_match(byte_buf *b, int len, int dist) {
    int i = 28;
    while (len_base[i] > len) i--;
    put_litlen(b, 257 + i);
    if (len_extra[i]) put_bits(b, (uint32_t)(len - len_base[i]), len_extra[i]);
    int d = 29;
    while (dist_base[d] > dist) d--;
    put_code(b, (uint32_t)d, 5);
    if (dist_extra[d]) put_bits(b, (uint32_t)(dist - dist_base[d]), dist_extra[d]);
}

static size_t match_len(const uint8_t *d, size_t n, size_t at, size_t dist) {
    if (dist > at || dist > 32768) return 0;
    size_t k = 0;
    while (k < 258 && at + k < n && d[at + k] == d[at + k - dist]) k++;
    return k;
}

/* One fixed-Huffman block; matches only at the pixel distance and the row distance. */
static void deflate_fixed(byte_buf *b, const uint8_t *d, size_t n, size_t stride) {
    put_bits(b, 1, 1);        /* BFINAL */
    put_bits(b, 1, 2);        /* BTYPE = fixed Huffman */
    for (size_t i = 0; i < n;) {
        size_t a = match_len(d, n, i, 3), r = match_len(d, n, i, stride);
        size_t best = a >= r ? a : r, dist = a >= r ? 3 : stride;
        if (best >= 3) { put_match(b, (int)best, (int)dist); i += best; }
        else { put_litlen(b, d[i]); i++; }
    }
    put_litlen(b, 256);
    if (b->nbits) put_bits(b, 0, 8 - b->nbits);
}

static void put_chunk(byte_buf *b, const char *type, const uint8_t *data, size_t n) {
    put_u32be(b, (uint32_t)n);
    size_t at = b->n;
    put(b, type, 4);
    if (n) put(b, data, n);
    if (!b->oom) put_u32be(b, cn_crc32(0, b->p + at, n + 4));
}

int cn_png_encode(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *len) {
    size_t stride = (size_t)w * 3 + 1;
    uint8_t *raw = malloc(stride * (size_t)h);
    if (!raw) return -1;
    for (int y = 0; y < h; y++) {
        raw[y * stride] = 0;   /* filter: none */
        memcpy(raw + y * stride + 1, rgb + (size_t)y * w * 3, (size_t)w * 3);
    }
    size_t n = stride * (size_t)h;
    byte_buf z = { 0 };
    const uint8_t zhdr[2] = { 0x78, 0x01 };
    put(&z, zhdr, 2);
    deflate_fixed(&z, raw, n, stride);
    uint32_t a = 1, s2 = 0;   /* Adler-32 of the uncompressed rows */
    for (size_t i = 0; i < n; i++) { a = (a + raw[i]) % 65521; s2 = (s2 + a) % 65521; }
    put_u32be(&z, (s2 << 16) | a);
    free(raw);

    byte_buf png = { 0 };
    static const uint8_t sig[8] = { 137, 80, 78, 71, 13, 10, 26, 10 };
    put(&png, sig, 8);
    uint8_t ihdr[13] = { (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w,
                         (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h,
                         8, 2, 0, 0, 0 };   /* 8-bit RGB, deflate, no filter choice, no interlace */
    put_chunk(&png, "IHDR", ihdr, 13);
    if (!z.oom) put_chunk(&png, "IDAT", z.p, z.n);
    put_chunk(&png, "IEND", NULL, 0);
    int bad = z.oom || png.oom;
    free(z.p);
    if (bad) { free(png.p); return -1; }
    *out = png.p; *len = png.n;
    return 0;
}

static void fill(uint8_t *img, const layout *L, int x0, int y0, int x1, int y1, const uint8_t c[3]) {
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > L->w) x1 = L->w;
    if (y1 > L->h) y1 = L->h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) memcpy(img + ((size_t)y * L->w + x) * 3, c, 3);
}

int cn_roll_png(const cn_song *song, int n_seed, double split_beat, uint8_t **out, size_t *len) {
    layout L = make_layout(song);
    uint8_t *img = malloc((size_t)L.w * L.h * 3);
    if (!img) return -1;
    fill(img, &L, 0, 0, L.w, L.h, COL_BG);
    for (int p = L.lo; p <= L.hi; p++)
        if (p % 12 == 0) fill(img, &L, MARGIN, (int)px_y(&L, p), L.w - MARGIN, (int)px_y(&L, p) + ROW_PX, COL_CROW);
    for (double b = 0; b <= L.beats + 1e-9; b += L.bar) {
        int x = (int)lround(px_x(&L, b));
        fill(img, &L, x, MARGIN, x + 1, L.h - MARGIN, COL_BAR);
    }
    for (size_t i = 0; i < song->n_notes; i++) {
        const cn_note *n = &song->notes[i];
        int x0 = (int)lround(px_x(&L, n->start_beat));
        int x1 = (int)lround(px_x(&L, n->start_beat + n->dur_beat));
        if (x1 <= x0) x1 = x0 + 1;
        if (x1 - x0 > 2) x1--;   /* a gap between repeated notes */
        int y = (int)px_y(&L, n->pitch);
        fill(img, &L, x0, y, x1, y + ROW_PX - 1, (int)i < n_seed ? COL_SEED : COL_CONT);
    }
    if (split_beat >= 0) {
        int x = (int)lround(px_x(&L, split_beat));
        for (int y = MARGIN / 2; y < L.h - MARGIN / 2; y++)
            if ((y / 3) % 2 == 0) fill(img, &L, x, y, x + 1, y + 1, COL_SPLIT);
    }
    int rc = cn_png_encode(img, L.w, L.h, out, len);
    free(img);
    return rc;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

int cn_roll_write(const char *path, const cn_song *song, int n_seed, double split_beat,
                  char *err, size_t errlen) {
    int png = ends_with(path, ".png");
    if (!png && !ends_with(path, ".svg")) {
        snprintf(err, errlen, "%s: a piano roll is written as .svg or .png", path);
        return -1;
    }
    uint8_t *bytes = NULL; char *text = NULL; size_t n = 0;
    int rc = png ? cn_roll_png(song, n_seed, split_beat, &bytes, &n)
                 : cn_roll_svg(song, n_seed, split_beat, &text, &n);
    void *data = png ? (void *)bytes : (void *)text;
    if (rc) { snprintf(err, errlen, "%s: out of memory drawing the piano roll", path); return -1; }
    cn_afile a;
    if (cn_afile_open(&a, path, err, errlen)) { free(data); return -1; }
    fwrite(data, 1, n, a.f);
    free(data);
    return cn_afile_commit(&a, err, errlen);
}
