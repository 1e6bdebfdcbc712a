/* generate_main.c: continuo-generate, the user's first contact with continuo: a seed phrase
 * in, its continuation out as a MIDI file at the seed's tempo, optionally with a piano roll.
 * Without -m it uses the shipped default model. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "continue.h"
#include "midi.h"
#include "modelfile.h"
#include "roll.h"
#include "sample.h"

static void usage(FILE *f) {
    fprintf(f,
        "usage: continuo-generate [-m MODEL] --seed SEED.mid [-o OUT.mid] [--notes N | --beats N]\n"
        "         [--temperature T] [--top-k K] [--top-p P] [--repeat-penalty R] [--max-run N]\n"
        "         [--key auto|off|C|Am|F#m...] [--rng SEED] [--include-seed] [--roll OUT.svg|OUT.png]\n"
        "Continues the seed phrase and writes a MIDI file at the seed's tempo.\n"
        "  -m MODEL          model file (.cnm); default: the shipped model (presets/default.cnm,\n"
        "                    or $CONTINUO_MODEL)\n"
        "  --seed SEED.mid   the phrase to continue\n"
        "  -o OUT.mid        output (default: SEED's name + .continued.mid, in this folder)\n"
        "  --notes N         generate N new notes (default 32; paper models: at least N, a chord\n"
        "                    counts all its notes)\n"
        "  --beats N         or generate N beats\n"
        "  --temperature T   0 = greedy argmax, 1 = the model's own distribution, up to 5 (default 1)\n"
        "  --top-k K         sample among the K likeliest tokens (0 = off)\n"
        "  --top-p P         nucleus: among the likeliest tokens holding P of the mass (1 = off)\n"
        "  --repeat-penalty R  push down tokens used in the last 32 (1 = off)\n"
        "  --max-run N       never repeat one token more than N times in a row (default 4; 0 = off)\n"
        "  --key K           suppress pitches outside a key: auto (the seed's), off, C, Am, Bb...\n"
        "  --key-control K   note models: the key the model is steered to: auto (the seed's, the\n"
        "                    default), off, C, Am, Bb...; a steer, not a filter\n"
        "  --steer S         pull towards the seed's pitch classes, 0 (off) to 8 (default 0): a\n"
        "                    steer, not a filter\n"
        "  --density D       note models: onsets a beat to steer to: auto (the seed's, the default),\n"
        "                    off, or a number from 0.1 to 16\n"
        "  --rng SEED        random seed; the same seed gives the same output (default: from the clock)\n"
        "  --include-seed    the output holds the seed followed by the continuation\n"
        "  --roll FILE       also draw a piano roll (seed blue, continuation orange): .svg or .png\n"
        "  -q                print only the output's path\n");
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : NAN;
    if (!s || errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "continuo-generate: %s wants a number from %g to %g, not '%s'\n", opt, lo, hi, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "continuo-generate: %s wants a whole number from %ld to %ld, not '%s'\n", opt, lo, hi, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* SEED's name without folder and extension, + ".continued.mid" */
static void default_out(const char *seed, char *buf, size_t len) {
    const char *base = strrchr(seed, '/');
    base = base ? base + 1 : seed;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) n = (size_t)(dot - base);
    snprintf(buf, len, "%.*s.continued.mid", (int)n, base);
}

int main(int argc, char **argv) {
    const char *model_path = NULL, *seed_path = NULL, *out_path = NULL, *roll_path = NULL, *key = "off";
    const char *key_control = "auto", *density = "auto";
    cn_continue_opts o = cn_continue_defaults();
    int have_rng = 0, quiet = 0, include_seed = 0, have_notes = 0, have_beats = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d; long l;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        else if (!strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--include-seed")) include_seed = 1;
        else if (!v) { fprintf(stderr, "continuo-generate: %s: unknown option or missing value\n", a); usage(stderr); return 2; }
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) { model_path = v; i++; }
        else if (!strcmp(a, "--seed")) { seed_path = v; i++; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) { out_path = v; i++; }
        else if (!strcmp(a, "--roll")) { roll_path = v; i++; }
        else if (!strcmp(a, "--key")) { key = v; i++; }
        else if (!strcmp(a, "--key-control")) { key_control = v; i++; }
        else if (!strcmp(a, "--density")) { density = v; i++; }
        else if (!strcmp(a, "--steer")) { if (parse_double(a, v, 0, 8, &d)) return 2; o.pc_steer = (float)d; i++; }
        else if (!strcmp(a, "--notes")) { if (parse_int(a, v, 1, 100000, &l)) return 2; o.n_notes = (int)l; have_notes = 1; i++; }
        else if (!strcmp(a, "--beats")) { if (parse_double(a, v, 0.25, 100000, &d)) return 2; o.n_beats = d; have_beats = 1; i++; }
        else if (!strcmp(a, "--temperature")) { if (parse_double(a, v, 0, 5, &d)) return 2; o.sample.temperature = (float)d; i++; }
        else if (!strcmp(a, "--top-k")) { if (parse_int(a, v, 0, 1 << 24, &l)) return 2; o.sample.top_k = (int)l; i++; }
        else if (!strcmp(a, "--top-p")) { if (parse_double(a, v, 1e-6, 1, &d)) return 2; o.sample.top_p = (float)d; i++; }
        else if (!strcmp(a, "--repeat-penalty")) { if (parse_double(a, v, 1, 100, &d)) return 2; o.sample.repeat_penalty = (float)d; i++; }
        else if (!strcmp(a, "--max-run")) { if (parse_int(a, v, 0, 1000000, &l)) return 2; o.sample.max_run = (int)l; i++; }
        else if (!strcmp(a, "--rng")) {
            char *end; errno = 0;
            unsigned long long r = strtoull(v, &end, 10);
            if (errno || end == v || *end || *v == '-') {
                fprintf(stderr, "continuo-generate: --rng wants a whole number, not '%s'\n", v);
                return 2;
            }
            o.rng_seed = r; have_rng = 1; i++;
        } else { fprintf(stderr, "continuo-generate: %s: unknown option\n", a); usage(stderr); return 2; }
    }
    if (!seed_path) { fprintf(stderr, "continuo-generate: --seed SEED.mid is required\n"); usage(stderr); return 2; }
    if (have_notes && have_beats) { fprintf(stderr, "continuo-generate: give --notes or --beats, not both\n"); return 2; }
    if (have_beats) o.n_notes = 0;
    if (!strcmp(key, "auto")) o.key_auto = 1;
    else if (strcmp(key, "off") && strcmp(key, "none")) {
        o.sample.key_mask = cn_key_parse(key);
        if (!o.sample.key_mask) {
            fprintf(stderr, "continuo-generate: --key: '%s' is not a key (auto, off, C, Am, F#, Bbm...)\n", key);
            return 2;
        }
    }
    if (!strcmp(key_control, "off") || !strcmp(key_control, "none")) o.key_control = CN_CTRL_OFF;
    else if (strcmp(key_control, "auto")) {
        int tonic, minor;
        if (cn_key_parse_tonic(key_control, &tonic, &minor)) {
            fprintf(stderr, "continuo-generate: --key-control: '%s' is not a key (auto, off, C, Am, F#, Bbm...)\n", key_control);
            return 2;
        }
        o.key_control = tonic + 12 * minor;
    }
    if (!strcmp(density, "off") || !strcmp(density, "none")) o.density_control = -1;
    else if (strcmp(density, "auto")) {
        double d;
        if (parse_double("--density", density, 0.1, 16, &d)) return 2;
        o.density_control = d;
    }
    if (!have_rng) o.rng_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

    char err[512], found[4096], outbuf[4096];
    if (!model_path) {
        model_path = cn_default_model_path(found, sizeof found);
        if (!model_path) {
            fprintf(stderr, "continuo-generate: no model given and the shipped default model was not found "
                            "(presets/default.cnm next to build/, or $CONTINUO_MODEL); pass -m MODEL.cnm\n");
            return 1;
        }
    }
    if (!out_path) { default_out(seed_path, outbuf, sizeof outbuf); out_path = outbuf; }

    cn_midi_opts mo = cn_midi_opts_default();
    cn_song seed;
    if (cn_midi_read(seed_path, &mo, &seed, err, sizeof err)) {
        fprintf(stderr, "continuo-generate: seed: %s\n", err);
        return 1;
    }
    if (seed.n_notes == 0) {
        fprintf(stderr, "continuo-generate: seed: %s: it has no notes to continue\n", seed_path);
        cn_song_free(&seed);
        return 1;
    }
    cn_model *m = cn_model_load(model_path, err, sizeof err);
    if (!m) {
        fprintf(stderr, "continuo-generate: model: %s\n", err);
        cn_song_free(&seed);
        return 1;
    }

    /* Always continue with the seed included: the roll shows both; the MIDI file may not. */
    int want_seed = include_seed;
    o.include_seed = 1;
    cn_song full, alone, *result = &full;
    cn_continue_info info;
    int rc = 1;
    if (cn_continue(m, &seed, &o, &full, &info, err, sizeof err)) {
        fprintf(stderr, "continuo-generate: %s: %s\n", seed_path, err);
        goto out_model;
    }
    double start = info.cont_start_beat;
    if (!want_seed) {
        if (cn_continuation_alone(&full, info.seed_notes, info.cont_start_beat, &alone, &start)) {
            fprintf(stderr, "continuo-generate: out of memory\n");
            goto out_full;
        }
        result = &alone;
    }
    if (info.gen_notes == 0)
        fprintf(stderr, "continuo-generate: warning: the model generated no notes (try a higher --temperature)\n");
    if (cn_midi_write(out_path, result, err, sizeof err)) {
        fprintf(stderr, "continuo-generate: %s\n", err);
        goto out_result;
    }
    if (roll_path && cn_roll_write(roll_path, &full, info.seed_notes, info.cont_start_beat, err, sizeof err)) {
        fprintf(stderr, "continuo-generate: %s\n", err);
        goto out_result;
    }
    if (quiet) {
        printf("%s\n", out_path);
    } else {
        double bpm = result->n_tempos ? result->tempos[0].bpm : 120;
        double span = result->end_beat - start;
        printf("continuo-generate: %d new notes over %.2f beats at %.1f bpm (%zu tokens%s)\n",
               info.gen_notes, span > 0 ? span : 0, bpm, info.gen_tokens, info.hit_cap ? ", stopped at the token cap" : "");
        printf("  model %s (%s encoding), rng %llu, temperature %g, top-k %d, top-p %g",
               model_path, cn_encoding_name(m->encoding), (unsigned long long)o.rng_seed,
               (double)o.sample.temperature, o.sample.top_k, (double)o.sample.top_p);
        if (info.key_mask) {
            static const char *names[12] = { "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B" };
            if (o.key_auto) printf(", key %s%s (detected)", names[info.key_tonic % 12], info.key_minor ? "m" : "");
            else printf(", key %s", key);
        }
        printf("\n");
        if (roll_path) printf("  piano roll: %s\n", roll_path);
        printf("wrote %s%s\n", out_path, want_seed ? " (seed + continuation)" : "");
    }
    rc = 0;
out_result:
    if (result == &alone) cn_song_free(&alone);
out_full:
    cn_song_free(&full);
    cn_continue_info_free(&info);
out_model:
    cn_model_free(m);
    cn_song_free(&seed);
    return rc;
}
