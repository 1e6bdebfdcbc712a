/* frontend_opts.c: parsing the live engine's flags for the command-line front ends. Values
 * out of range are refused with a message rather than clamped in silence: on a command line
 * a typo should be seen. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "frontend_opts.h"
#include "jam_controls.h"
#include "cli.h"
#include "modelfile.h"
#include "tokens.h"

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

/* The flags that are not controls; the controls' flags follow them, in the table's order. */
static const char *const OWN_FLAGS[] = { "model", "random-model", "no-thru", "seed" };
enum { F_MODEL, F_RANDOM, F_NO_THRU, F_OLD_SEED, N_OWN };

/* The table row of flag number f (past the own flags), or NULL. */
static const cn_jam_control *flag_control(int f) {
    int k = f - N_OWN;
    for (int i = 0; i < cn_jam_n_controls; i++) {
        if (!cn_jam_controls[i].flag) continue;
        if (k-- == 0) return &cn_jam_controls[i];
    }
    return NULL;
}

static const char *flag_name(int f) {
    if (f >= 0 && f < N_OWN) return OWN_FLAGS[f];
    const cn_jam_control *c = flag_control(f);
    return c ? c->flag : NULL;
}

int cn_fe_long_opts(const struct option *own, struct option *out, int cap) {
    int n = 0;
    for (; own && own[n].name; n++) { if (n + 1 >= cap) return -1; out[n] = own[n]; }
    for (int k = 0; flag_name(k); k++) {
        if (n + 1 >= cap) return -1;
        const cn_jam_control *c = flag_control(k);
        out[n].name = flag_name(k);
        out[n].has_arg = k == F_NO_THRU || (c && c->kind == CN_CT_TOGGLE) ? no_argument : required_argument;
        out[n].flag = NULL;
        out[n].val = k == F_MODEL ? 'm' : CN_FE_OPT + k;
        n++;
    }
    memset(&out[n], 0, sizeof out[n]);
    return n;
}

int cn_fe_is(int c, const char *name) {
    const char *f = flag_name(c == 'm' ? F_MODEL : c - CN_FE_OPT);
    return f && strcmp(f, name) == 0;
}

/* A control's flag: the value checked against the table's range and words. */
static int apply_control(const cn_jam_control *c, const char *name, const char *val, cn_jam_params *p,
                         char *err, size_t errlen) {
    double d;
    int v;
    if (c->kind == CN_CT_ENUM && c->words) {
        if (parse_word(name, val, c->words, (int)(c->max - c->min) + 1, &v, err, errlen)) return -1;
        cn_jam_control_set(p, c, c->min + v);
        return 1;
    }
    switch (c->kind) {
    case CN_CT_TOGGLE: cn_jam_control_set(p, c, 1); return 1;
    case CN_CT_ENUM: case CN_CT_INT: case CN_CT_TRIGGER:
        if (parse_num(name, val, c->min, c->max, &d, err, errlen) || d != floor(d)) {
            snprintf(err, errlen, "%s: \"%s\" is not a whole number from %.10g to %.10g", name, val, c->min, c->max);
            return -1;
        }
        cn_jam_control_set(p, c, d);
        return 1;
    case CN_CT_FLOAT:
        if (parse_num(name, val, c->min, c->max, &d, err, errlen)) return -1;
        cn_jam_control_set(p, c, d);
        return 1;
    }
    return 0;
}

int cn_fe_apply(int c, const char *val, cn_fe_opts *o, char *err, size_t errlen) {
    int f = c == 'm' ? F_MODEL : c - CN_FE_OPT;
    const char *flag = flag_name(f);
    if (f < 0 || !flag) return 0;
    char name[32];
    snprintf(name, sizeof name, "--%s", flag);
    switch (f) {
    case F_MODEL: o->model_path = val; return 1;
    case F_RANDOM: o->random_spec = val; return 1;
    case F_NO_THRU: o->params.thru = 0; return 1;
    case F_OLD_SEED:
        snprintf(err, errlen, "--seed is retired: the random seed is --rng N (0 = random)");
        return -1;
    }
    return apply_control(flag_control(f), name, val, &o->params, err, errlen);
}

/* The value a control's flag takes, for --help. */
static const char *metavar(const cn_jam_control *c) {
    if (c->kind == CN_CT_ENUM) return c->words ? "WORD" : "N";
    if (c->kind == CN_CT_INT) return "N";
    if (c->unit && !strcmp(c->unit, "beat")) return "B";
    if (c->unit && !strcmp(c->unit, "bpm")) return "BPM";
    return "X";
}

/* One control's --help entry: the flag, its comment, its words or range, its default. */
static void help_control(FILE *f, const cn_jam_control *c) {
    char head[48];
    if (c->kind == CN_CT_TOGGLE) snprintf(head, sizeof head, "--%s, --no-%s", c->flag, c->flag);
    else snprintf(head, sizeof head, "--%s %s", c->flag, metavar(c));
    fprintf(f, "  %-23s %s\n", head, c->comment);
    fprintf(f, "  %-23s ", "");
    if (c->kind == CN_CT_ENUM && c->words) {
        int n = (int)(c->max - c->min) + 1;
        for (int k = 0; k < n; k++) fprintf(f, "%s%s", k ? (n > 4 ? " " : " | ") : "", c->words[k]);
        fprintf(f, " (default %s)\n", c->words[(int)(c->def - c->min)]);
    } else if (c->kind == CN_CT_TOGGLE) {
        fprintf(f, "(default %s)\n", c->def != 0 ? "on" : "off");
    } else {
        fprintf(f, "%.10g..%.10g (default %.10g)\n", c->min, c->max, c->def);
    }
}

void cn_fe_help(FILE *f) {
    fprintf(f,
        "engine options (the LV2 plugin's controls, with the same ranges and defaults):\n"
        "  -m, --model FILE        the model (.cnm); default: the shipped model\n"
        "  --random-model SPEC     no model file: untrained weights of this architecture (e.g. lstm:64),\n"
        "                          to try the plumbing; the music is noise\n");
    for (int i = 0; i < cn_jam_n_controls; i++)
        if (cn_jam_controls[i].flag) help_control(f, &cn_jam_controls[i]);
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
        fprintf(f, "%s: --key %s is ignored: the model has no key conditioning\n", prog,
                cn_jam_control_word(cn_jam_control_find("key"), p->key));
    if (p->density > 0 && !(cond & CN_JAM_COND_DENSITY))
        fprintf(f, "%s: --density %g is ignored: the model has no density conditioning\n", prog, (double)p->density);
}
