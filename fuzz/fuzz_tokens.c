/* fuzz_tokens.c: libFuzzer target for the token decoders. The input is lines of paper
 * token names (up to the first empty line; they make a vocabulary, so the name parser sees
 * arbitrary text), then 16-bit token ids. The ids go through the event decoder (whole-song
 * and at another grid), the paper decoder over that vocabulary, and the incremental event
 * decoder; the incremental encoder is fed events made from the same bytes. Decoded notes
 * must be sane, and the incremental decoder must stay in time order. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tokens.h"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "fuzz_tokens: property failed: %s\n", #c); abort(); } } while (0)
#define MAX_WORDS 64

static void sane(const cn_song *s) {
    for (size_t i = 0; i < s->n_notes; i++)
        REQUIRE(s->notes[i].pitch < 128 && isfinite(s->notes[i].start_beat) && s->notes[i].dur_beat >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *words[MAX_WORDS];
    int nw = 0;
    size_t pos = 0;
    while (pos < size && nw < MAX_WORDS) {
        size_t end = pos;
        while (end < size && data[end] != '\n') end++;
        if (end == pos) { pos++; break; }   /* an empty line ends the names */
        words[nw] = malloc(end - pos + 1);
        memcpy(words[nw], data + pos, end - pos);
        words[nw][end - pos] = 0;
        nw++;
        pos = end + 1;
    }
    size_t n = pos < size ? (size - pos) / 2 : 0;
    int *tok = malloc((n ? n : 1) * sizeof *tok);
    for (size_t i = 0; i < n; i++) tok[i] = (int16_t)(data[pos + 2 * i] | data[pos + 2 * i + 1] << 8);

    cn_song s;
    if (cn_ev_decode(tok, n, 120.0, &s) == 0) { sane(&s); cn_song_free(&s); }
    if (cn_ev_decode_grid(tok, n, 4, 16, 90.0, &s) == 0) { sane(&s); cn_song_free(&s); }
    cn_vocab v = { NULL, 0 };
    if (cn_vocab_build(&v, words, (size_t)nw) == 0) {
        if (cn_paper_decode(&v, tok, n, 100.0, &s) == 0) { sane(&s); cn_song_free(&s); }
        for (int i = 0; i < v.n; i++) { cn_paper_token t; (void)cn_paper_parse(v.names[i], &t); }
        cn_vocab_free(&v);
    }
    cn_ev_decoder d;
    cn_ev_decoder_init(&d, 2.5);
    double last = cn_ev_decoder_beat(&d);
    for (size_t i = 0; i < n; i++) {
        cn_ev_note_event ev;
        if (cn_ev_decoder_feed(&d, tok[i], &ev)) REQUIRE(ev.pitch >= 0 && ev.pitch < 128 && ev.beat >= last);
        double now = cn_ev_decoder_beat(&d);
        REQUIRE(now >= last);
        last = now;
    }
    cn_ev_encoder e;
    cn_ev_encoder_init(&e, 0.0);
    double beat = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        int out[8];
        beat += (double)(tok[i] & 0xff) / 37.0;
        int k = cn_ev_encoder_feed(&e, beat, tok[i] & 0x100 ? 1 : 0, tok[i + 1] & 0x7f, (tok[i + 1] >> 7) & 0x7f, out, 8);
        REQUIRE(k >= 0 && k <= 8);
        for (int j = 0; j < k; j++) REQUIRE(out[j] >= 0 && out[j] < CN_EV_VOCAB);
    }
    for (int i = 0; i < nw; i++) free(words[i]);
    free(tok);
    return 0;
}
