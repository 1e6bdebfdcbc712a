/* frontend_opts.h: the command-line flags of the live engine's parameters and its model,
 * shared by continuo-jack and continuo-live so that both take the same options, with the
 * same names, ranges and messages as the LV2 plugin's controls. */
#ifndef CONTINUO_FRONTEND_OPTS_H
#define CONTINUO_FRONTEND_OPTS_H
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
/* Look at argv[*i]. An engine flag ("--temperature 0.8" or "--temperature=0.8") is consumed,
 * *i moved past its value, and 1 returned; 0 when argv[*i] is not one of ours; -1 with err
 * naming the flag and the allowed values when the value is bad. */
int cn_fe_parse(int argc, char **argv, int *i, cn_fe_opts *o, char *err, size_t errlen);
/* The flags, for --help. */
void cn_fe_help(FILE *f);
/* Load -m MODEL, or the shipped default. NULL with err on any problem; *used_path gets the
 * path loaded (pointing into buf or o). The model is checked to be able to jam. */
cn_model *cn_fe_load_model(const cn_fe_opts *o, char *buf, size_t buflen, const char **used_path,
                           char *err, size_t errlen);
const char *cn_fe_mode_name(int mode);
#endif
