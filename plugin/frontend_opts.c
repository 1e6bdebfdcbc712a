/* frontend_opts.c: parsing the live engine's flags for the command-line front ends. Values
 * out of range are refused with a message rather than clamped in silence: on a command line
 * a typo should be seen. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "frontend_opts.h"
#include "cli.h"
#include "modelfile.h"

void cn_fe_opts_default(cn_fe_opts *o) {
    memset(o, 0, sizeof *o);
    cn_jam_params_default(&o->params);
}

const char *cn_fe_mode_name(int mode) {
    return mode == CN_MODE_OFF ? "off" : mode == CN_MODE_CALL_RESPONSE ? "call" : "continuous";
}

/* The key control's values, in order: off, the call's own, the 12 major keys, the 12 minor. */
const char *const cn_fe_keys[26] = { "off", "call", "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
    "Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "Abm", "Am", "Bbm", "Bm" };

static int parse_num(const char *flag, const char *v, double lo, double hi, double *out, char *err, size_t errlen) {
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(d) || d < lo || d > hi) {
        snprintf(err, errlen, "%s: \"%s\" is not a number from %g to %g", flag, v, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int parse_word(const char *flag, const char *v, const char *const *words, int n, int *out, char *err, size_t errlen) {
    for (int k = 0; k < n; k++)
        if (strcmp(v, words[k]) == 0) { *out = k; return 0; }
    char *end = NULL;
    long l = strtol(v, &end, 10);
    if (*v && !*end && l >= 0 && l < n) { *out = (int)l; return 0; }
    int w = snprintf(err, errlen, "%s: \"%s\" is not one of", flag, v);
    for (int k = 0; k < n && w > 0 && (size_t)w < errlen; k++)
        w += snprintf(err + w, errlen - (size_t)w, " %s", words[k]);
    return -1;
}

/* The engine's flags, in the order of the switch in cn_fe_apply; "thru"/"no-thru" take no value. */
static const char *const FLAGS[] = { "model", "mode", "temperature", "top-p", "silence-beats", "response-beats",
    "channel-in", "channel-out", "quantize", "rng", "bpm", "random-model", "thru", "no-thru", "seed", "key", "density", "max-run" };
enum { F_MODEL, F_MODE, F_TEMP, F_TOPP, F_SILENCE, F_RESPONSE, F_CH_IN, F_CH_OUT, F_QUANT, F_RNG, F_BPM, F_RANDOM,
       F_THRU, F_NO_THRU, F_OLD_SEED, F_KEY, F_DENSITY, F_MAX_RUN, N_FLAGS };

int cn_fe_long_opts(const struct option *own, struct option *out, int cap) {
    int n = 0;
    for (; own && own[n].name; n++) { if (n + 1 >= cap) return -1; out[n] = own[n]; }
    for (int k = 0; k < N_FLAGS; k++) {
        if (n + 1 >= cap) return -1;
        out[n].name = FLAGS[k];
        out[n].has_arg = k == F_THRU || k == F_NO_THRU ? no_argument : required_argument;
        out[n].flag = NULL;
        out[n].val = k == F_MODEL ? 'm' : CN_FE_OPT + k;
        n++;
    }
    memset(&out[n], 0, sizeof out[n]);
    return n;
}

int cn_fe_is(int c, const char *name) {
    int f = c == 'm' ? F_MODEL : c - CN_FE_OPT;
    return f >= 0 && f < N_FLAGS && strcmp(FLAGS[f], name) == 0;
}

int cn_fe_apply(int c, const char *val, cn_fe_opts *o, char *err, size_t errlen) {
    int f = c == 'm' ? F_MODEL : c - CN_FE_OPT;
    if (f < 0 || f >= N_FLAGS) return 0;
    char name[32];
    snprintf(name, sizeof name, "--%s", FLAGS[f]);
    cn_jam_params *p = &o->params;
    double d;
    static const char *const modes[] = { "off", "call", "continuous" };
    static const char *const quant[] = { "off", "beat", "bar" };
    switch (f) {
    case F_MODEL: o->model_path = val; return 1;
    case F_MODE: return parse_word(name, val, modes, 3, &p->mode, err, errlen) ? -1 : 1;
    case F_TEMP: if (parse_num(name, val, 0, CN_TEMPERATURE_MAX, &d, err, errlen)) return -1; p->temperature = (float)d; return 1;
    case F_TOPP: if (parse_num(name, val, 0, 1, &d, err, errlen)) return -1; p->top_p = (float)d; return 1;
    case F_SILENCE: if (parse_num(name, val, 0.25, 16, &d, err, errlen)) return -1; p->silence_beats = (float)d; return 1;
    case F_RESPONSE: if (parse_num(name, val, 1, 64, &d, err, errlen)) return -1; p->response_beats = (float)d; return 1;
    case F_CH_IN: if (!strcmp(val, "any")) { p->channel_in = 0; return 1; }
            if (parse_num(name, val, 0, 16, &d, err, errlen) || d != floor(d)) {
                snprintf(err, errlen, "%s: \"%s\" is not a channel: any (or 0), 1 to 16", name, val); return -1; }
            p->channel_in = (int)d; return 1;
    case F_CH_OUT: if (parse_num(name, val, 1, 16, &d, err, errlen) || d != floor(d)) {
                snprintf(err, errlen, "%s: \"%s\" is not a channel 1 to 16", name, val); return -1; }
            p->channel_out = (int)d; return 1;
    case F_QUANT: return parse_word(name, val, quant, 3, &p->quantize, err, errlen) ? -1 : 1;
    case F_RNG: if (parse_num(name, val, 0, 16777215.0, &d, err, errlen) || d != floor(d)) {
                snprintf(err, errlen, "%s: \"%s\" is not a whole number from 0 (random) to 16777215", name, val); return -1; }
            p->seed = (uint32_t)d; return 1;
    case F_BPM: if (parse_num(name, val, 20, 300, &d, err, errlen)) return -1; p->bpm = (float)d; return 1;
    case F_RANDOM: o->random_spec = val; return 1;
    case F_THRU: p->thru = 1; return 1;
    case F_NO_THRU: p->thru = 0; return 1;
    case F_KEY: return parse_word(name, val, cn_fe_keys, 26, &p->key, err, errlen) ? -1 : 1;
    case F_DENSITY: if (parse_num(name, val, 0, 8, &d, err, errlen)) return -1; p->density = (float)d; return 1;
    case F_MAX_RUN: if (parse_num(name, val, 0, 16, &d, err, errlen) || d != floor(d)) {
                snprintf(err, errlen, "%s: \"%s\" is not a whole number from 0 (off) to 16", name, val); return -1; }
             p->max_run = (int)d; return 1;
    case F_OLD_SEED:
        snprintf(err, errlen, "--seed is retired: the random seed is --rng N (0 = random)");
        return -1;
    }
    return 0;
}

void cn_fe_help(FILE *f) {
    cn_jam_params d;
    cn_jam_params_default(&d);
    fprintf(f,
        "engine options:\n"
        "  -m, --model FILE        the model (.cnm); default: the shipped model\n"
        "  --mode MODE             off | call | continuous (default %s)\n"
        "  --temperature T         0..%g, 0 = always the likeliest (default %g)\n"
        "  --top-p P               0..1, nucleus sampling (default %g)\n"
        "  --silence-beats B       call and response: silence that ends a call, 0.25..16 (default %g)\n"
        "  --response-beats B      the longest answer, 1..64 (default %g)\n"
        "  --channel-in N          any (or 0), 1..16: the channel it listens to (default %d = any)\n"
        "  --channel-out N         1..16 (default %d)\n"
        "  --thru, --no-thru       your own notes pass through (default %s)\n"
        "  --quantize Q            off | beat | bar: where answers start (default off)\n"
        "  --rng N                 random seed, 0 = random, up to 16777215 (default 0)\n"
        "  --key K                 off | call | C C# D Eb E F F# G Ab A Bb B | Cm .. Bm: the key the model\n"
        "                          is asked for (ignored, with a warning, by a model without key conditioning)\n"
        "  --density D             notes per beat asked of the model, 0 = as the call, up to 8 (ignored\n"
        "                          likewise without density conditioning; default 0)\n"
        "  --max-run N             repetition guard: no token more than N times in a row, 0 = off (default %d)\n"
        "  --bpm BPM               own tempo when there is no host tempo, 20..300 (default %g)\n"
        "  --random-model SPEC     no model file: untrained weights of this architecture (e.g. lstm:64),\n"
        "                          to try the plumbing; the music is noise\n",
        cn_fe_mode_name(d.mode), CN_TEMPERATURE_MAX, d.temperature, d.top_p, d.silence_beats, d.response_beats, d.channel_in,
        d.channel_out, d.thru ? "on" : "off", d.max_run, d.bpm);
}

cn_model *cn_fe_load_model(const cn_fe_opts *o, char *buf, size_t buflen, const char **used_path,
                           char *err, size_t errlen) {
    if (o->random_spec) {
        cn_model *m = cn_model_new(o->random_spec, CN_EV_VOCAB, o->params.seed ? o->params.seed : 1, err, errlen);
        if (used_path) *used_path = "(untrained)";
        return m;
    }
    const char *path = o->model_path;
    if (!path) {
        path = cn_default_model_path(buf, buflen);
        if (!path) {
            snprintf(err, errlen, "no model given and the shipped default model was not found "
                     "(set -m MODEL or CONTINUO_MODEL)");
            return NULL;
        }
    }
    if (used_path) *used_path = path;
    cn_model *m = cn_model_load(path, err, errlen);
    if (!m) return NULL;
    if (m->encoding == CN_ENC_PAPER) {   /* the engine says the same; saying it here names the file */
        snprintf(err, errlen, "%s: the model is paper-encoded; its tokens carry no timing, so only event- and "
                 "note-encoded models can play live", path);
        cn_model_free(m);
        return NULL;
    }
    return m;
}

void cn_fe_warn_ignored(FILE *f, const char *prog, const cn_jam *jam, const cn_jam_params *p) {
    int cond = cn_jam_model_conditions(jam);
    if (p->key != 0 && !(cond & CN_JAM_COND_KEY))
        fprintf(f, "%s: --key %s is ignored: the model has no key conditioning\n", prog, cn_fe_keys[p->key]);
    if (p->density > 0 && !(cond & CN_JAM_COND_DENSITY))
        fprintf(f, "%s: --density %g is ignored: the model has no density conditioning\n", prog, (double)p->density);
}
