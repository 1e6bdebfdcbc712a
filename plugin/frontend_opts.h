/* frontend_opts.h: the command-line flags of the live engine's parameters and its model,
 * shared by continuo-jack and continuo-live so that both take the same options. The controls'
 * flags, ranges, words, defaults and help come from the engine's control table
 * (engine/jam_controls.h), the same that the LV2 plugin's ports come from. */
#ifndef CONTINUO_FRONTEND_OPTS_H
#define CONTINUO_FRONTEND_OPTS_H
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include "jam.h"
#include "nn.h"

typedef struct {
    cn_jam_params params;
    const char *model_path;   /* -m; NULL = the shipped default */
    const char *random_spec;  /* --random-model: untrained weights, to try the plumbing */
} cn_fe_opts;

void cn_fe_opts_default(cn_fe_opts *o);
/* getopt_long values of the engine's flags start here ('m' for -m/--model). */
#define CN_FE_OPT 0x1000
/* The front end's own options (ended by a zero entry; may be NULL) followed by the engine's,
 * into out (cap entries, zero-ended). The count, or -1 when cap is too small. */
int cn_fe_long_opts(const struct option *own, struct option *out, int cap);
/* An option getopt_long returned: 1 = an engine flag, applied; 0 = not one of ours; -1 with
 * err naming the flag and the allowed values when the value is bad (or the flag retired). */
int cn_fe_apply(int c, const char *val, cn_fe_opts *o, char *err, size_t errlen);
/* Whether getopt_long's c is the engine flag --name (e.g. "bpm"). */
int cn_fe_is(int c, const char *name);
/* The flags, for --help. */
void cn_fe_help(FILE *f);
/* Load -m MODEL, or the shipped default. NULL with err on any problem; *used_path gets the
 * path loaded (pointing into buf or o). The model is checked to be able to jam. */
cn_model *cn_fe_load_model(const cn_fe_opts *o, char *buf, size_t buflen, const char **used_path,
                           char *err, size_t errlen);
const char *cn_fe_mode_name(int mode);
/* A line on f for each conditioning control set that the installed model ignores. */
void cn_fe_warn_ignored(FILE *f, const char *prog, const cn_jam *jam, const cn_jam_params *p);
#endif
