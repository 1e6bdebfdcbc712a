/* tokens.c: what the encodings share: the pitch-class set each token sounds, which sampling
 * uses to keep to a key (their names are in tokens_vocab.c, beside the vocabulary). */
#include "tokens.h"

uint16_t cn_token_pcmask(cn_encoding e, const cn_vocab *v, int tok) {
    if (e == CN_ENC_EVENT) {
        if (tok >= CN_EV_NOTE_ON && tok < CN_EV_NOTE_OFF) return (uint16_t)(1u << ((tok - CN_EV_NOTE_ON) % 12));
        return 0;
    }
    if (e == CN_ENC_NOTE) {
        if (tok >= CN_NT_PITCH && tok < CN_NT_PITCH + 128) return (uint16_t)(1u << ((tok - CN_NT_PITCH) % 12));
        return 0;
    }
    if (!v || tok <= 0 || tok >= v->n) return 0;
    cn_paper_token t;
    if (cn_paper_parse(v->names[tok], &t) != 0) return 0;
    uint16_t m = 0;
    for (int i = 0; i < t.n; i++) m |= (uint16_t)(1u << (t.pitch[i] % 12));
    return m;
}
