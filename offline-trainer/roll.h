/* roll.h: a piano roll of a seed and its continuation in two colours (seed blue,
 * continuation orange), as SVG or PNG, chosen by the file's extension. The PNG encoder is
 * self-contained: RGB rows compressed with fixed-Huffman deflate (runs of a pixel and repeats
 * of the row above, which is most of a piano roll), wrapped in zlib and PNG chunks. */
#ifndef CONTINUO_ROLL_H
#define CONTINUO_ROLL_H
#include <stddef.h>
#include <stdint.h>
#include "midi.h"

/* The first n_seed notes of song are the seed's; split_beat (< 0: none) gets a line.
 * Writes PATH.svg or PATH.png atomically. 0, or -1 with err "PATH: problem". */
int cn_roll_write(const char *path, const cn_song *song, int n_seed, double split_beat,
                  char *err, size_t errlen);

/* The same pictures in memory (malloc'd). 0, or -1 on out of memory. */
int cn_roll_svg(const cn_song *song, int n_seed, double split_beat, char **out, size_t *len);
int cn_roll_png(const cn_song *song, int n_seed, double split_beat, uint8_t **out, size_t *len);

/* A PNG of w x h RGB pixels (rows top first, 3 bytes a pixel). 0, or -1 on out of memory. */
int cn_png_encode(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *len);
#endif
