/* tokens_vocab.h: what a model carries of its tokens: which encoding they are in, and the paper
 * encoding's vocabulary of token strings. Plain data with no MIDI in it, so that the neural
 * core (nn.h) can hold them without depending on tokens.h and midi.h. */
#ifndef CONTINUO_TOKENS_VOCAB_H
#define CONTINUO_TOKENS_VOCAB_H
#include <stddef.h>

typedef enum { CN_ENC_EVENT = 0, CN_ENC_PAPER = 1, CN_ENC_NOTE = 2 } cn_encoding;
const char *cn_encoding_name(cn_encoding e);            /* "event" | "paper" | "note" */
int cn_encoding_parse(const char *name, cn_encoding *out); /* 0 ok, -1 unknown */

typedef struct { char **names; int n; } cn_vocab;   /* names[0] = "<unk>", rest sorted */
/* Build a vocabulary from strings (may be called on the concatenation of a corpus). */
int  cn_vocab_build(cn_vocab *v, char *const *strs, size_t n);
int  cn_vocab_lookup(const cn_vocab *v, const char *name);   /* id, or 0 (<unk>) */
void cn_vocab_free(cn_vocab *v);
#endif
