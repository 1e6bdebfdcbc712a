/* generate_main.c: continuo-generate, the user's first contact with continuo: a primer phrase
 * in, its continuation out as a MIDI file at the primer's tempo, optionally with a piano roll;
 * N variations (--num-outputs), each the likeliest of M samples by the model's own
 * likelihood (--best-of). Without -m it uses the shipped default model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "continue.h"
#include "midi.h"
#include "modelfile.h"
#include "roll.h"
#include "stdout_check.h"
#include "sample.h"

#define PROGRAM "continuo-generate"
/* Past this a run takes minutes and hundreds of MB (the song is kept whole): 34 minutes at
 * 120 bpm is longer than any answer the model makes well. */
#define MAX_BEATS 4096

static void usage(FILE *f) {
    fprintf(f,
        "usage: " PROGRAM " [-m MODEL] --primer PRIMER.mid [-o OUT.mid] [--notes N | --beats N | --bars N]\n"
        "         [--temperature T] [--top-k K] [--top-p P] [--repeat-penalty R] [--max-run N]\n"
        "         [--key auto|off|C|Am|F#m...] [--rng N] [--num-outputs N] [--best-of N]\n"
        "         [--include-primer] [--roll OUT.svg|OUT.png]\n"
        "Continues the primer phrase and writes a MIDI file at the primer's tempo.\n"
        "  -m, --model MODEL   model file (.cnm); default: the shipped model (presets/default.cnm,\n"
        "                      or $CONTINUO_MODEL)\n"
        "  --primer FILE       the phrase to continue (a MIDI file)\n"
        "  -o, --out OUT.mid   output (default: PRIMER's name + .continued.mid, in this folder)\n"
        "  --notes N           generate N new notes (default 32; paper models: at least N, a chord\n"
        "                      counts all its notes)\n"
        "  --beats N           or generate N beats\n"
        "  --bars N            or generate N bars of the primer's time signature\n"
        "  --temperature T     0 = greedy argmax, 1 = the model's own distribution, up to %g\n"
        "                      (the same range as continuo-jack, continuo-live and the plugin; default 1)\n"
        "  --top-k K           sample among the K likeliest tokens (0 = off)\n"
        "  --top-p P           nucleus: among the likeliest tokens holding P of the mass (1 = off;\n"
        "                      default 0.95; a note model draws a note's length from the whole distribution)\n"
        "  --repeat-penalty R  push down tokens used in the last 32 (1 = off)\n"
        "  --max-run N         never repeat one token more than N times in a row (default 4; 0 = off)\n"
        "  --key K             suppress pitches outside a key: auto (the primer's), off, C, Am, Bb...\n"
        "  --key-control K     note models: the key the model is steered to: auto (the primer's, the\n"
        "                      default), off, C, Am, Bb...; a steer, not a filter\n"
        "  --steer S           pull towards the primer's pitch classes, 0 (off) to 8 (default 0.75): a\n"
        "                      steer, not a filter\n"
        "  --density D         note models: onsets a beat to steer to: auto (the primer's, the default),\n"
        "                      off, or a number from 0.1 to 16\n"
        "  --rng N             random seed; the same N gives the same output (default: from the clock)\n"
        "  --num-outputs N     write N variations: OUT-1.mid ... OUT-N.mid, with --rng N, N+1, ...\n"
        "  --best-of N         sample N candidates for each output and keep the one the model finds\n"
        "                      likeliest (highest mean log-probability a token; default 1)\n"
        "  --include-primer    the output holds the primer followed by the continuation\n"
        "  --roll FILE         also draw a piano roll (primer blue, continuation orange): .svg or .png\n"
        "  -q, --quiet         print only the outputs' paths\n"
        "  -h, --help          this text\n"
        "  --version           the program's version\n"
        "Exit status: 0 ok, 1 runtime error (a file that does not read or write), 2 usage error.\n",
        CN_TEMPERATURE_MAX);
}

/* PRIMER's name without folder and extension, + ".continued.mid" */
static void default_out(const char *primer, char *buf, size_t len) {
    const char *base = strrchr(primer, '/');
    base = base ? base + 1 : primer;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) n = (size_t)(dot - base);
    snprintf(buf, len, "%.*s.continued.mid", (int)n, base);
}

typedef struct {
    const char *model_path, *primer_path, *out_path, *roll_path, *key, *key_control, *density;
    cn_continue_opts o;
    int have_rng, quiet, include_primer, n_outputs, best_of;
    double bars;   /* > 0: --bars, turned into beats once the primer's meter is known */
} gen_args;

enum { O_PRIMER = 256, O_ROLL, O_KEY, O_NOTES, O_BEATS, O_BARS, O_TEMP, O_TOPK, O_TOPP, O_REPEAT, O_MAXRUN,
       O_RNG, O_NUM_OUT, O_BEST_OF, O_INCLUDE, O_VERSION, O_OLD_SEED, O_OLD_INCLUDE, O_KEY_CONTROL, O_DENSITY, O_STEER };

static const struct option long_opts[] = {
    { "model", required_argument, 0, 'm' }, { "out", required_argument, 0, 'o' },
    { "primer", required_argument, 0, O_PRIMER }, { "roll", required_argument, 0, O_ROLL },
    { "key", required_argument, 0, O_KEY }, { "notes", required_argument, 0, O_NOTES },
    { "key-control", required_argument, 0, O_KEY_CONTROL }, { "density", required_argument, 0, O_DENSITY },
    { "steer", required_argument, 0, O_STEER },
    { "beats", required_argument, 0, O_BEATS }, { "bars", required_argument, 0, O_BARS },
    { "temperature", required_argument, 0, O_TEMP }, { "top-k", required_argument, 0, O_TOPK },
    { "top-p", required_argument, 0, O_TOPP }, { "repeat-penalty", required_argument, 0, O_REPEAT },
    { "max-run", required_argument, 0, O_MAXRUN }, { "rng", required_argument, 0, O_RNG },
    { "num-outputs", required_argument, 0, O_NUM_OUT }, { "best-of", required_argument, 0, O_BEST_OF },
    { "include-primer", no_argument, 0, O_INCLUDE }, { "quiet", no_argument, 0, 'q' },
    { "help", no_argument, 0, 'h' }, { "version", no_argument, 0, O_VERSION },
    /* retired spellings: refused with the new name, never read with another meaning */
    { "seed", required_argument, 0, O_OLD_SEED }, { "include-seed", no_argument, 0, O_OLD_INCLUDE },
    { 0, 0, 0, 0 }
};

/* How many of the length options were given: --notes, and --beats or --bars (each time). */
typedef struct { int notes, beats; } gen_lengths;

/* The options one by one, each number checked against its range. -1 to go on, or the exit
 * status (0 after --help or --version). */
static int read_options(int argc, char **argv, gen_args *a, gen_lengths *len) {
    int c;
    double d; long l;
    while ((c = cn_cli_getopt(argc, argv, ":m:o:qh", long_opts, PROGRAM)) != -1) {
        const char *v = optarg;
        switch (c) {
        case 'h': usage(stdout); return CN_EXIT_OK;
        case O_VERSION: cn_cli_version(PROGRAM); return CN_EXIT_OK;
        case 'q': a->quiet = 1; break;
        case 'm': a->model_path = v; break;
        case 'o': a->out_path = v; break;
        case O_PRIMER: a->primer_path = v; break;
        case O_ROLL: a->roll_path = v; break;
        case O_KEY: a->key = v; break;
        case O_KEY_CONTROL: a->key_control = v; break;
        case O_DENSITY: a->density = v; break;
        case O_STEER: if (cn_cli_double(PROGRAM, "--steer", v, 0, 8, &d)) return CN_EXIT_USAGE;
            a->o.pc_steer = (float)d; break;
        case O_INCLUDE: a->include_primer = 1; break;
        case O_NOTES: if (cn_cli_long(PROGRAM, "--notes", v, 1, 100000, &l)) return CN_EXIT_USAGE;
            a->o.n_notes = (int)l; len->notes = 1; break;
        case O_BEATS: if (cn_cli_double(PROGRAM, "--beats", v, 0.25, MAX_BEATS, &d)) return CN_EXIT_USAGE;
            a->o.n_beats = d; len->beats++; break;
        case O_BARS: if (cn_cli_double(PROGRAM, "--bars", v, 0.25, 10000, &d)) return CN_EXIT_USAGE;
            a->bars = d; len->beats++; break;
        case O_TEMP: if (cn_cli_double(PROGRAM, "--temperature", v, 0, CN_TEMPERATURE_MAX, &d)) return CN_EXIT_USAGE;
            a->o.sample.temperature = (float)d; break;
        case O_TOPK: if (cn_cli_long(PROGRAM, "--top-k", v, 0, 1 << 24, &l)) return CN_EXIT_USAGE;
            a->o.sample.top_k = (int)l; break;
        case O_TOPP: if (cn_cli_double(PROGRAM, "--top-p", v, 1e-6, 1, &d)) return CN_EXIT_USAGE;
            a->o.sample.top_p = (float)d; break;
        case O_REPEAT: if (cn_cli_double(PROGRAM, "--repeat-penalty", v, 1, 100, &d)) return CN_EXIT_USAGE;
            a->o.sample.repeat_penalty = (float)d; break;
        case O_MAXRUN: if (cn_cli_long(PROGRAM, "--max-run", v, 0, 1000000, &l)) return CN_EXIT_USAGE;
            a->o.sample.max_run = (int)l; break;
        case O_RNG: if (cn_cli_u64(PROGRAM, "--rng", v, &a->o.rng_seed)) return CN_EXIT_USAGE;
            a->have_rng = 1; break;
        case O_NUM_OUT: if (cn_cli_long(PROGRAM, "--num-outputs", v, 1, 1000, &l)) return CN_EXIT_USAGE;
            a->n_outputs = (int)l; break;
        case O_BEST_OF: if (cn_cli_long(PROGRAM, "--best-of", v, 1, 1000, &l)) return CN_EXIT_USAGE;
            a->best_of = (int)l; break;
        case O_OLD_SEED:
            cn_cli_retired(PROGRAM, "--seed", "the phrase to continue is --primer FILE (the random seed is --rng N)");
            return CN_EXIT_USAGE;
        case O_OLD_INCLUDE:
            cn_cli_retired(PROGRAM, "--include-seed", "it is now --include-primer");
            return CN_EXIT_USAGE;
        default: return CN_EXIT_USAGE;
        }
    }
    return -1;
}

/* What only the options together say: the primer given, one length, the key words known,
 * the seed from the clock when none was given. -1 to go on, or CN_EXIT_USAGE. */
static int check_args(int argc, char **argv, gen_args *a, const gen_lengths *len) {
    if (optind < argc) {
        fprintf(stderr, PROGRAM ": unexpected argument '%s' (the phrase is given with --primer FILE)\n", argv[optind]);
        return CN_EXIT_USAGE;
    }
    if (!a->primer_path) { fprintf(stderr, PROGRAM ": --primer PRIMER.mid is required (see " PROGRAM " --help)\n"); return CN_EXIT_USAGE; }
    if (len->notes + len->beats > 1) { fprintf(stderr, PROGRAM ": give one of --notes, --beats or --bars\n"); return CN_EXIT_USAGE; }
    if (len->beats) a->o.n_notes = 0;
    if (!strcmp(a->key, "auto")) a->o.key_auto = 1;
    else if (strcmp(a->key, "off") && strcmp(a->key, "none")) {
        a->o.sample.key_mask = cn_key_parse(a->key);
        if (!a->o.sample.key_mask) {
            fprintf(stderr, PROGRAM ": --key: '%s' is not a key (auto, off, C, Am, F#, Bbm...)\n", a->key);
            return CN_EXIT_USAGE;
        }
    }
    char why[160];
    if (cn_continue_parse_key_control(a->key_control, &a->o.key_control, why, sizeof why)) {
        fprintf(stderr, PROGRAM ": --key-control: %s\n", why);
        return CN_EXIT_USAGE;
    }
    if (cn_continue_parse_density(a->density, &a->o.density_control, why, sizeof why)) {
        fprintf(stderr, PROGRAM ": --density: %s\n", why);
        return CN_EXIT_USAGE;
    }
    if (!a->have_rng) a->o.rng_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return -1;
}

/* -1 to go on, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, gen_args *a) {
    memset(a, 0, sizeof *a);
    a->o = cn_continue_defaults();
    a->key = "off"; a->key_control = "auto"; a->density = "auto";
    a->n_outputs = 1; a->best_of = 1;
    gen_lengths len = { 0, 0 };
    int st = read_options(argc, argv, a, &len);
    return st >= 0 ? st : check_args(argc, argv, a, &len);
}

/* OUT.mid -> OUT-K.mid (K from 1) when there are several outputs; else OUT itself. */
static void numbered(const char *path, int k, int n, char *buf, size_t len) {
    if (n <= 1) { snprintf(buf, len, "%s", path); return; }
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : path)) snprintf(buf, len, "%s-%d", path, k);
    else snprintf(buf, len, "%.*s-%d%s", (int)(dot - path), path, k, dot);
}

/* The model's own mean log-probability a token of a candidate: what best-of-N ranks by. */
static double mean_logprob(const cn_continue_info *info) {
    return info->gen_tokens ? info->gen_logprob / (double)info->gen_tokens : -INFINITY;
}

/* One output: best_of candidates from o->rng_seed, +1, ...; the likeliest is kept in *full
 * and *info. 0, or -1 with err. */
static int best_candidate(const cn_model *m, const cn_song *primer, const cn_continue_opts *o, int best_of,
                          cn_song *full, cn_continue_info *info, uint64_t *rng_used, char *err, size_t errlen) {
    int have = 0;
    for (int k = 0; k < best_of; k++) {
        cn_continue_opts ok = *o;
        ok.rng_seed = o->rng_seed + (uint64_t)k;
        cn_song s;
        cn_continue_info in;
        if (cn_continue(m, primer, &ok, &s, &in, err, errlen)) {
            if (have) { cn_song_free(full); cn_continue_info_free(info); }
            return -1;
        }
        if (!have || mean_logprob(&in) > mean_logprob(info)) {
            if (have) { cn_song_free(full); cn_continue_info_free(info); }
            *full = s; *info = in; *rng_used = ok.rng_seed; have = 1;
        } else {
            cn_song_free(&s); cn_continue_info_free(&in);
        }
    }
    return 0;
}

/* The model's name for the roll's title: its file name. */
static const char *base_name(const char *path) {
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static void print_summary(const gen_args *a, const cn_model *m, const char *model_path, const cn_song *result,
                          double start, const cn_continue_info *info, uint64_t first_rng, uint64_t rng_used,
                          const char *out_path, const char *roll_path) {
    double bpm = result->n_tempos ? result->tempos[0].bpm : 120;
    double span = result->end_beat - start;
    printf(PROGRAM ": %d new notes over %.2f beats at %.1f bpm (%zu tokens%s)\n",
           info->gen_notes, span > 0 ? span : 0, bpm, info->gen_tokens, info->hit_cap ? ", stopped at the token cap" : "");
    printf("  model %s (%s encoding), rng %llu, temperature %g, top-k %d, top-p %g",
           model_path, cn_encoding_name(m->encoding), (unsigned long long)rng_used,
           (double)a->o.sample.temperature, a->o.sample.top_k, (double)a->o.sample.top_p);
    if (info->key_mask) {
        static const char *names[12] = { "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B" };
        if (a->o.key_auto) printf(", key %s%s (detected)", names[info->key_tonic % 12], info->key_minor ? "m" : "");
        else printf(", key %s", a->key);
    }
    printf("\n  log-likelihood %.3f nats a token", mean_logprob(info));
    if (a->best_of > 1)
        printf(" (the likeliest of %d candidates, rng %llu..%llu)", a->best_of, (unsigned long long)first_rng,
               (unsigned long long)(first_rng + (uint64_t)a->best_of - 1));
    printf("\n");
    if (roll_path) printf("  piano roll: %s\n", roll_path);
    printf("wrote %s%s\n", out_path, a->include_primer ? " (primer + continuation)" : "");
}

/* Output k of a->n_outputs: its MIDI file and roll. 0, or -1 with err. */
static int write_output(const gen_args *a, const cn_model *m, const char *model_path, const cn_song *primer,
                        int k, char *err, size_t errlen) {
    char out_path[4200], roll_path[4200];
    numbered(a->out_path, k + 1, a->n_outputs, out_path, sizeof out_path);
    if (a->roll_path) numbered(a->roll_path, k + 1, a->n_outputs, roll_path, sizeof roll_path);
    cn_continue_opts o = a->o;
    o.include_seed = 1;   /* always with the primer: the roll shows both; the MIDI file may not */
    o.rng_seed = a->o.rng_seed + (uint64_t)k * (uint64_t)a->best_of;
    cn_song full, alone, *result = &full;
    cn_continue_info info;
    uint64_t rng_used = o.rng_seed;
    if (best_candidate(m, primer, &o, a->best_of, &full, &info, &rng_used, err, errlen)) return -1;
    int rc = -1;
    double start = info.cont_start_beat;
    if (!a->include_primer) {
        if (cn_continuation_alone(&full, info.seed_notes, info.cont_start_beat, &alone, &start)) {
            snprintf(err, errlen, "out of memory");
            goto out_full;
        }
        result = &alone;
    }
    if (info.gen_notes == 0)
        fprintf(stderr, PROGRAM ": warning: %s: the model generated no notes (try a higher --temperature)\n", out_path);
    /* The roll first: when it fails, nothing was written; when the MIDI then fails, the
     * message says the roll landed. */
    if (a->roll_path) {
        cn_roll_opts ro = cn_roll_opts_default();
        ro.model_name = base_name(model_path);
        if (cn_roll_write_opts(roll_path, &full, info.seed_notes, info.cont_start_beat, &ro, err, errlen)) {
            size_t k = strlen(err);
            snprintf(err + k, errlen - k, " (%.200s was not written either)", out_path);
            goto out_result;
        }
    }
    if (cn_midi_write(out_path, result, err, errlen)) {
        size_t k = strlen(err);
        if (a->roll_path) snprintf(err + k, errlen - k, " (the piano roll %.200s was written)", roll_path);
        goto out_result;
    }
    if (a->quiet) printf("%s\n", out_path);
    else print_summary(a, m, model_path, result, start, &info, o.rng_seed, rng_used, out_path,
                       a->roll_path ? roll_path : NULL);
    rc = 0;
out_result:
    if (result == &alone) cn_song_free(&alone);
out_full:
    cn_song_free(&full);
    cn_continue_info_free(&info);
    return rc;
}

/* What the outputs are made from; the buffers hold the paths found when none was given. */
typedef struct {
    const char *model_path;
    cn_model *m;
    cn_song primer;
    char found[4096], outbuf[4096];
} gen_inputs;

/* The model (given, or the shipped one) and the primer, with --bars turned into beats of the
 * primer's meter and the default output path filled in. 0, or the exit status after the message. */
static int load_inputs(gen_args *a, gen_inputs *in) {
    char err[512];
    in->model_path = a->model_path;
    if (!in->model_path) {
        in->model_path = cn_default_model_path(in->found, sizeof in->found);
        if (!in->model_path) {
            fprintf(stderr, PROGRAM ": no model given and the shipped default model was not found "
                            "(presets/default.cnm next to build/, or $CONTINUO_MODEL); pass -m MODEL.cnm\n");
            return CN_EXIT_RUNTIME;
        }
    }
    if (!a->out_path) { default_out(a->primer_path, in->outbuf, sizeof in->outbuf); a->out_path = in->outbuf; }

    cn_midi_opts mo = cn_midi_opts_default();
    if (cn_midi_read(a->primer_path, &mo, &in->primer, err, sizeof err)) {
        fprintf(stderr, PROGRAM ": primer: %s\n", err);
        return CN_EXIT_RUNTIME;
    }
    if (in->primer.n_notes == 0) {
        fprintf(stderr, PROGRAM ": primer: %s: it has no notes to continue\n", a->primer_path);
        cn_song_free(&in->primer);
        return CN_EXIT_RUNTIME;
    }
    if (a->bars > 0) {   /* bars of the primer's meter (4/4 when it states none) */
        int num = in->primer.ts_num > 0 ? in->primer.ts_num : 4, den = in->primer.ts_den > 0 ? in->primer.ts_den : 4;
        a->o.n_beats = a->bars * num * 4.0 / den;
    }
    in->m = cn_model_load(in->model_path, err, sizeof err);
    if (!in->m) {
        fprintf(stderr, PROGRAM ": model: %s\n", err);
        cn_song_free(&in->primer);
        return CN_EXIT_RUNTIME;
    }
    return CN_EXIT_OK;
}

int main(int argc, char **argv) {
    gen_args a;
    int st = parse_args(argc, argv, &a);
    if (st >= 0) return st;
    gen_inputs in;
    if ((st = load_inputs(&a, &in)) != CN_EXIT_OK) return st;
    char err[512];
    int rc = CN_EXIT_OK;
    for (int k = 0; k < a.n_outputs && rc == CN_EXIT_OK; k++)   /* each output writes and reports itself */
        if (write_output(&a, in.m, in.model_path, &in.primer, k, err, sizeof err)) {
            fprintf(stderr, PROGRAM ": %s\n", err);
            rc = CN_EXIT_RUNTIME;
        }
    cn_model_free(in.m);
    cn_song_free(&in.primer);
    return rc != CN_EXIT_OK ? rc : cn_stdout_finish(PROGRAM) ? CN_EXIT_RUNTIME : CN_EXIT_OK;
}
