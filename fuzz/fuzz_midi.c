/* fuzz_midi.c: libFuzzer target for the MIDI reader. Arbitrary bytes through the byte checker
 * and clean-up (cn_midi_clean), whose canonical copy must pass the check again unrepaired;
 * then the reader (cn_midi_read_mem, options from the first byte), whose notes must be sane;
 * then the event encoding's round trip (encode, decode, encode again gives the same tokens:
 * a decoded song sits on the grid) and the paper strings. A failed property aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "midi.h"
#include "tokens.h"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "fuzz_midi: property failed: %s\n", #c); abort(); } } while (0)

static void check_clean(const uint8_t *data, size_t size) {
    uint8_t *out = NULL, *again = NULL;
    size_t n = 0, n2 = 0;
    int repaired = 0, repaired2 = 0;
    char err[256];
    if (cn_midi_clean(data, size, "fuzz.mid", &out, &n, &repaired, err, sizeof err) == 0) {
        REQUIRE(out && n >= 14);
        REQUIRE(cn_midi_clean(out, n, "clean.mid", &again, &n2, &repaired2, err, sizeof err) == 0);
        REQUIRE(!repaired2 && n2 == n && memcmp(out, again, n) == 0);
    } else {
        REQUIRE(strncmp(err, "fuzz.mid: ", 10) == 0);
    }
    free(out); free(again);
}

static void check_round_trip(const cn_song *s) {
    int *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    if (cn_ev_encode(s, 0, &t1, &n1) != 0) return;
    cn_song d;
    REQUIRE(cn_ev_decode(t1, n1, 120.0, &d) == 0);
    REQUIRE(d.n_notes <= s->n_notes);
    for (size_t i = 0; i < d.n_notes; i++) REQUIRE(d.notes[i].pitch < 128 && d.notes[i].dur_beat >= 0);
    REQUIRE(cn_ev_encode(&d, 0, &t2, &n2) == 0);
    REQUIRE(n2 == n1 && (n1 == 0 || memcmp(t1, t2, n1 * sizeof *t1) == 0));
    cn_song_free(&d);
    free(t1); free(t2);
    char **strs = NULL;
    size_t ns = 0;
    if (cn_paper_strings(s, 0, &strs, &ns) == 0) cn_paper_strings_free(strs, ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cn_midi_quiet_libsmf();
    check_clean(data, size);
    cn_midi_opts o = cn_midi_opts_default();
    if (size) { o.keep_drums = data[0] & 1; o.use_sustain = (data[0] >> 1) & 1; }
    cn_song s;
    char err[256];
    if (cn_midi_read_mem(data, size, "fuzz.mid", &o, &s, err, sizeof err) == 0) {
        for (size_t i = 0; i < s.n_notes; i++) {
            REQUIRE(s.notes[i].pitch < 128 && s.notes[i].channel < 16);
            REQUIRE(s.notes[i].dur_beat >= 0 && s.notes[i].start_beat >= 0);
            REQUIRE(i == 0 || s.notes[i - 1].start_beat <= s.notes[i].start_beat);
        }
        REQUIRE(s.n_tempos >= 1 && s.tempos[0].bpm > 0);
        check_round_trip(&s);
        cn_song_free(&s);
    } else {
        REQUIRE(strncmp(err, "fuzz.mid: ", 10) == 0);
    }
    return 0;
}
