/* make_seeds.c: writes the fuzzers' seed corpora (build/fuzz/seeds/{midi,model,tokens}) from
 * the project's own writers, so the seeds follow the formats as they change:
 *   midi:   the shipped seed phrase, and songs written by cn_midi_write (chords, several
 *           tempos, long notes, drums);
 *   model:  small models of every layer kind, float32 and float16, event and paper;
 *   tokens: paper names, an empty line, then the seed phrase's event tokens (16-bit).
 * Usage: make-seeds OUTDIR SEED.mid. Exit 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "atomicfile.h"
#include "midi.h"
#include "modelfile.h"
#include "nn.h"
#include "tokens.h"

static char out_dir[1024];

static int path(char *buf, size_t len, const char *sub, const char *name) {
    snprintf(buf, len, "%s/%s", out_dir, sub);
    mkdir(buf, 0777);
    return snprintf(buf, len, "%s/%s/%s", out_dir, sub, name) >= (int)len;
}

static int midi_seeds(const char *seed_path, cn_song *seed) {
    char p[1200], err[512];
    cn_midi_opts o = cn_midi_opts_default();
    if (cn_midi_read(seed_path, &o, seed, err, sizeof err)) { fprintf(stderr, "make-seeds: %s\n", err); return -1; }
    path(p, sizeof p, "midi", "seed.mid");
    if (cn_midi_write(p, seed, err, sizeof err)) goto fail;
    cn_song s;
    cn_song_init(&s);
    for (int i = 0; i < 24; i++) {
        cn_song_add_note(&s, i * 0.5, 0.25 + (i % 5) * 0.5, 48 + (i * 7) % 36, 20 + i * 4, i % 3 == 2 ? 9 : 0);
        if (i % 4 == 0) for (int k = 0; k < 3; k++) cn_song_add_note(&s, i * 0.5, 2.0, 60 + 4 * k, 90, 1);
    }
    s.tempos[0].bpm = 96;
    cn_song_sort(&s);
    path(p, sizeof p, "midi", "chords.mid");
    int rc = cn_midi_write(p, &s, err, sizeof err);
    cn_song_free(&s);
    if (rc) goto fail;
    return 0;
fail:
    fprintf(stderr, "make-seeds: %s\n", err);
    return -1;
}

static int model_seed(const char *spec, int paper, int half, const char *name) {
    char p[1200], err[512];
    static char *words[] = { "C4_quarter", "0.4.7_half", "E4_16th", "G4_eighth", "D5_whole", "2.5.9_zero" };
    int V = paper ? 7 : CN_EV_VOCAB;
    cn_model *m = cn_model_new(spec, V, 11, err, sizeof err);
    if (!m) { fprintf(stderr, "make-seeds: %s: %s\n", spec, err); return -1; }
    if (paper) { cn_vocab_build(&m->words, words, 6); m->encoding = CN_ENC_PAPER; }
    cn_meta_set(&m->meta, "corpus", "fuzz seed");
    path(p, sizeof p, "model", name);
    int rc = cn_model_save(p, m, half, err, sizeof err);
    if (rc) fprintf(stderr, "make-seeds: %s\n", err);
    cn_model_free(m);
    return rc;
}

static int token_seed(const cn_song *seed) {
    char p[1200], err[512];
    int *tok = NULL;
    size_t n = 0;
    if (cn_ev_encode(seed, 0, &tok, &n)) return -1;
    static const char names[] = "C4_quarter\n0.4.7_half\nE-3_16th\nF#5_eighth\n2.5.9_zero\nB-1_whole\n\n";
    size_t len = sizeof names - 1 + 2 * n;
    uint8_t *b = malloc(len);
    memcpy(b, names, sizeof names - 1);
    for (size_t i = 0; i < n; i++) {
        b[sizeof names - 1 + 2 * i] = (uint8_t)tok[i];
        b[sizeof names - 1 + 2 * i + 1] = (uint8_t)(tok[i] >> 8);
    }
    path(p, sizeof p, "tokens", "seed.tok");
    int rc = cn_afile_write_bytes(p, b, len, err, sizeof err);
    if (rc) fprintf(stderr, "make-seeds: %s\n", err);
    free(b); free(tok);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: make-seeds OUTDIR SEED.mid\n"); return 2; }
    snprintf(out_dir, sizeof out_dir, "%s", argv[1]);
    mkdir(out_dir, 0777);
    cn_song seed;
    if (midi_seeds(argv[2], &seed)) return 1;
    int rc = token_seed(&seed);
    cn_song_free(&seed);
    rc |= model_seed("lstm:4", 1, 0, "paper-lstm.cnm");
    rc |= model_seed("lstm:4", 1, 1, "paper-lstm-f16.cnm");
    rc |= model_seed("conv1d:4:3,gru:4,batchnorm,dropout:0.2", 1, 0, "paper-conv-gru-bn.cnm");
    rc |= model_seed("embed:3,dense:4:relu,lstm:3", 1, 1, "paper-embed-dense.cnm");
    rc |= model_seed("embed:2,lstm:2", 0, 1, "event-embed-lstm-f16.cnm");
    return rc ? 1 : 0;
}
