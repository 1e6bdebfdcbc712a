/* frontend_opts.c: parsing the live engine's flags for the command-line front ends. Values
 * out of range are refused with a message rather than clamped in silence: on a command line
 * a typo should be seen. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "frontend_opts.h"
#include "modelfile.h"

void cn_fe_opts_default(cn_fe_opts *o) {
    memset(o, 0, sizeof *o);
    cn_jam_params_default(&o->params);
}

const char *cn_fe_mode_name(int mode) {
    return mode == CN_MODE_OFF ? "off" : mode == CN_MODE_CALL_RESPONSE ? "call" : "continuous";
}

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

int cn_fe_parse(int argc, char **argv, int *i, cn_fe_opts *o, char *err, size_t errlen) {
    const char *a = argv[*i];
    char name[64];
    const char *val = NULL;
    const char *eq = strchr(a, '=');
    if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof name) {
        memcpy(name, a, (size_t)(eq - a)); name[eq - a] = 0;
        val = eq + 1;
    } else {
        snprintf(name, sizeof name, "%s", a);
    }
    cn_jam_params *p = &o->params;
    if (!strcmp(name, "--thru")) { p->thru = 1; return 1; }
    if (!strcmp(name, "--no-thru")) { p->thru = 0; return 1; }
    static const char *const flags[] = { "-m", "--model", "--mode", "--temperature", "--top-p", "--silence-beats",
        "--response-beats", "--channel-in", "--channel-out", "--quantize", "--seed", "--bpm", "--random-model" };
    int f = -1;
    for (size_t k = 0; k < sizeof flags / sizeof *flags; k++) if (!strcmp(name, flags[k])) f = (int)k;
    if (f < 0) return 0;
    if (!val) {
        if (*i + 1 >= argc) { snprintf(err, errlen, "%s needs a value", name); return -1; }
        val = argv[++*i];
    }
    double d;
    static const char *const modes[] = { "off", "call", "continuous" };
    static const char *const quant[] = { "off", "beat", "bar" };
    switch (f) {
    case 0: case 1: o->model_path = val; return 1;
    case 2: return parse_word(name, val, modes, 3, &p->mode, err, errlen) ? -1 : 1;
    case 3: if (parse_num(name, val, 0, 2, &d, err, errlen)) return -1; p->temperature = (float)d; return 1;
    case 4: if (parse_num(name, val, 0, 1, &d, err, errlen)) return -1; p->top_p = (float)d; return 1;
    case 5: if (parse_num(name, val, 0.25, 16, &d, err, errlen)) return -1; p->silence_beats = (float)d; return 1;
    case 6: if (parse_num(name, val, 1, 64, &d, err, errlen)) return -1; p->response_beats = (float)d; return 1;
    case 7: if (parse_num(name, val, 0, 16, &d, err, errlen) || d != floor(d)) {
                snprintf(err, errlen, "%s: \"%s\" is not a channel 0 (omni) to 16", name, val); return -1; }
            p->channel_in = (int)d; return 1;
    case 8: if (parse_num(name, val, 1, 16, &d, err, errlen) || d != floor(d)) {
                snprintf(err, errlen, "%s: \"%s\" is not a channel 1 to 16", name, val); return -1; }
            p->channel_out = (int)d; return 1;
    case 9: return parse_word(name, val, quant, 3, &p->quantize, err, errlen) ? -1 : 1;
    case 10: if (parse_num(name, val, 0, 4294967295.0, &d, err, errlen) || d != floor(d)) {
                snprintf(err, errlen, "%s: \"%s\" is not a whole number (0 = random)", name, val); return -1; }
            p->seed = (uint32_t)d; return 1;
    case 11: if (parse_num(name, val, 20, 300, &d, err, errlen)) return -1; p->bpm = (float)d; return 1;
    case 12: o->random_spec = val; return 1;
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
        "  --temperature T         0..2, 0 = always the likeliest (default %g)\n"
        "  --top-p P               0..1, nucleus sampling (default %g)\n"
        "  --silence-beats B       call and response: silence that ends a call, 0.25..16 (default %g)\n"
        "  --response-beats B      the longest answer, 1..64 (default %g)\n"
        "  --channel-in N          0 = omni, 1..16 (default %d)\n"
        "  --channel-out N         1..16 (default %d)\n"
        "  --thru, --no-thru       your own notes pass through (default %s)\n"
        "  --quantize Q            off | beat | bar: where answers start (default off)\n"
        "  --seed N                0 = random (default 0)\n"
        "  --bpm BPM               own tempo when there is no host tempo, 20..300 (default %g)\n"
        "  --random-model SPEC     no model file: untrained weights of this architecture (e.g. lstm:64),\n"
        "                          to try the plumbing; the music is noise\n",
        cn_fe_mode_name(d.mode), d.temperature, d.top_p, d.silence_beats, d.response_beats, d.channel_in,
        d.channel_out, d.thru ? "on" : "off", d.bpm);
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
    if (m->encoding != CN_ENC_EVENT || m->vocab != CN_EV_VOCAB) {
        snprintf(err, errlen, "%s: the model is %s-encoded; only event-encoded models can play live", path,
                 cn_encoding_name(m->encoding));
        cn_model_free(m);
        return NULL;
    }
    return m;
}
