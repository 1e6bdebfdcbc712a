/* roll.h: a piano roll of a primer and its continuation, as SVG or PNG (chosen by the file's
 * extension) from one drawing (canvas.h): a keyboard axis with pitch names, bar numbers, the
 * primer blue and the continuation orange with a legend, velocity as the depth of the colour,
 * and a title with the model's name, the tempo and the meter. */
#ifndef CONTINUO_ROLL_H
#define CONTINUO_ROLL_H
#include <stddef.h>
#include <stdint.h>
#include "midi.h"

typedef struct {
    const char *title;        /* the whole title; NULL: built from model_name, tempo and meter */
    const char *model_name;   /* e.g. the model's file name; NULL: none */
    const char *seed_label;   /* legend words for the first n_seed notes (default "primer") */
    const char *cont_label;   /* and for the rest (default "continuation") */
} cn_roll_opts;
cn_roll_opts cn_roll_opts_default(void);

/* Where things go, for a song: the picture's size, the title band (0..title_h), the
 * keyboard axis (0..left, pitch names in 0..names_w), the grid's top and the legend band
 * (h - bottom .. h); a note at beat b and pitch p is drawn from x = left + b * px_beat,
 * y = top + (hi - p) * row. */
typedef struct { int w, h, title_h, left, names_w, top, bottom, row, hi; double px_beat; } cn_roll_geometry;
void cn_roll_geometry_of(const cn_song *song, cn_roll_geometry *g);

/* The first n_seed notes of song are the primer's; split_beat (< 0: none) gets a line.
 * Writes PATH.svg or PATH.png atomically. 0, or -1 with err "PATH: problem". */
int cn_roll_write(const char *path, const cn_song *song, int n_seed, double split_beat,
                  char *err, size_t errlen);
int cn_roll_write_opts(const char *path, const cn_song *song, int n_seed, double split_beat,
                       const cn_roll_opts *o, char *err, size_t errlen);

/* The same pictures in memory (malloc'd), default options. 0, or -1 on out of memory. */
int cn_roll_svg(const cn_song *song, int n_seed, double split_beat, char **out, size_t *len);
int cn_roll_png(const cn_song *song, int n_seed, double split_beat, uint8_t **out, size_t *len);
#endif
