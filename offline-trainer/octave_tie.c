/* octave_tie.c: gradient sharing between the octaves of a pitch class (see octave_tie.h). */
#include <string.h>
#include "octave_tie.h"
#include "tokens.h"

int cn_tie_pitch_blocks(cn_encoding enc, int base[2]) {
    if (enc == CN_ENC_NOTE) { base[0] = CN_NT_PITCH; return 1; }
    if (enc == CN_ENC_EVENT) { base[0] = CN_EV_NOTE_ON; base[1] = CN_EV_NOTE_OFF; return 2; }
    return 0;
}

/* A tensor with a token axis, seen as [outer][V][inner]. */
typedef struct { const char *name; int outer, inner; } token_axis;

/* The first layer's input weight and the output layer, with the shapes of nn_model.c. */
static int token_axes(const cn_model *m, token_axis ax[3]) {
    const cn_tensor *t = &m->tensors[0];
    int n = 0;
    if (t->ndim == 3 && t->shape[1] == m->vocab)      /* conv1d [F][V][K] */
        ax[n++] = (token_axis){ t->name, t->shape[0], t->shape[2] };
    else if (t->ndim == 2 && t->shape[0] == m->vocab && m->spec.layers[0].kind == CN_L_EMBED)
        ax[n++] = (token_axis){ t->name, 1, t->shape[1] };      /* embed [V][D] */
    else if (t->ndim == 2 && t->shape[1] == m->vocab)  /* lstm/gru weight_ih, dense [rows][V] */
        ax[n++] = (token_axis){ t->name, t->shape[0], 1 };
    const cn_tensor *w = cn_model_tensor(m, "out.weight"), *b = cn_model_tensor(m, "out.bias");
    if (w) ax[n++] = (token_axis){ w->name, 1, w->shape[1] };  /* [V][H] */
    if (b) ax[n++] = (token_axis){ b->name, 1, 1 };            /* [V] */
    return n;
}

/* One block of 128 pitches at token base, in one [outer][V][inner] tensor. */
static void tie_block(float *g, int V, int outer, int inner, int base, float strength) {
    for (int a = 0; a < outer; a++)
        for (int c = 0; c < 12; c++)
            for (int b = 0; b < inner; b++) {
                double sum = 0;
                for (int p = c; p < 128; p += 12) sum += g[((size_t)a * V + (size_t)(base + p)) * inner + b];
                float add = (float)(strength * sum);
                for (int p = c; p < 128; p += 12) g[((size_t)a * V + (size_t)(base + p)) * inner + b] += add;
            }
}

void cn_tie_octaves(const cn_model *m, float *grads, float strength) {
    int base[2], nb = cn_tie_pitch_blocks(m->encoding, base);
    if (strength == 0 || nb == 0) return;
    token_axis ax[3];
    int na = token_axes(m, ax);
    for (int i = 0; i < na; i++) {
        const cn_tensor *t = cn_model_tensor(m, ax[i].name);
        for (int k = 0; k < nb; k++) tie_block(grads + t->offset, m->vocab, ax[i].outer, ax[i].inner, base[k], strength);
    }
}
