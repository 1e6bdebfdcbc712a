/* octave_tie.h: gradient sharing between the octaves of a pitch class, for the trainer.
 *
 * A one-hot model learns each pitch on its own: C4 and C5 are as unrelated to it as C4 and
 * C#4, so what it learns about a key in one octave it must learn again in every other. With
 * the note encoding it settled for the register alone (adjacent pitches' input columns at
 * cosine 0.97, pitch accuracy 6%), and it never learnt what a KEY control means.
 *
 * The tie adds to each pitch's gradient `strength` times the sum of the gradients of every
 * pitch of its pitch class, in the tensors indexed by token: the first layer's input columns
 * and the output layer's rows and biases. With plain SGD that is exactly the weights written
 * as w[p] = free[p] + shared[p mod 12], the shared part starting at 0; the model file holds
 * the sums, so nothing downstream (the stream, the file format, the plugin) knows of it.
 * It is stateless, deterministic and applied after the all-reduce, so every rank agrees. */
#ifndef CONTINUO_OCTAVE_TIE_H
#define CONTINUO_OCTAVE_TIE_H
#include "nn.h"

/* The token blocks of 128 pitches in this encoding (event: NOTE_ON and NOTE_OFF; note:
 * PITCH; paper: none). Fills base[] with each block's first token; returns how many. */
int cn_tie_pitch_blocks(cn_encoding enc, int base[2]);

/* grads (m->n_params floats, the layout of m->params) += the tie, in place. A no-op when
 * strength is 0 or the encoding has no pitch blocks. */
void cn_tie_octaves(const cn_model *m, float *grads, float strength);
#endif
