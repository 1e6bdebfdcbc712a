/* listen_run.h: one piece through the listening yardstick. The seed is the piece's first B
 * beats from the bar line at or before its first note; the real continuation is the piece's
 * next C beats; the generated one comes from the model, offline through cn_continue (the
 * options of continuo-generate) or live through the jam engine on the simulated clock of
 * continuo-live's file mode (call and response: the seed is the call, the answer the
 * continuation). Both are measured with cn_listen_features. Encoding-agnostic: the model is
 * only ever reached through cn_continue and cn_jam. */
#ifndef CONTINUO_LISTEN_RUN_H
#define CONTINUO_LISTEN_RUN_H
#include <stddef.h>
#include <stdint.h>
#include "continue.h"
#include "jam.h"
#include "listen.h"
#include "midi.h"
#include "nn.h"

typedef struct {
    double seed_beats, cont_beats;   /* B and C */
    int live;                        /* 0: cn_continue; 1: the jam engine */
    cn_continue_opts cont;           /* offline: sampling (its rng_seed is set per piece) */
    float temperature, top_p;        /* live: the jam's two sampling controls */
} cn_listen_opts;

typedef struct {
    double gen[CN_LF_N], real[CN_LF_N];
    double offset;        /* where the seed starts in the piece (beats) */
    double span;          /* beats compared: C offline; the answer's length live */
    int seed_notes, gen_notes, real_notes;
} cn_listen_piece;

/* What a piece sounds like, for listening and looking: seed + generated continuation and
 * seed + real continuation, with the first n_seed notes the seed's and the split where the
 * continuation starts. */
typedef struct { cn_song song; int n_seed; double split; } cn_listen_render;

/* Measure one piece; rng gives the piece's sampling seed. m is lent to a jam and taken back
 * when live; m NULL measures the real side alone (gen stays 0: the yardstick's reference). gen/real (may be NULL) get the songs to render (freed by the caller with
 * cn_song_free). 0 measured; 1 skipped (why in err: too short, no notes in the seed or in the
 * real continuation); -1 error (err). */
int cn_listen_piece_run(cn_model *m, const cn_song *piece, const cn_listen_opts *o, uint64_t rng,
                        cn_listen_piece *out, cn_listen_render *gen, cn_listen_render *real,
                        char *err, size_t errlen);
#endif
