/* modelcorpus.h: a model's own corpus, found and split as the trainer split it, from the
 * model's metadata (corpus path, split seed, split ratio, pieces per split). continuo-eval
 * measures on its held-out pieces (--split) and trains its n-gram baseline on the training
 * split; the listening yardstick (continuo-eval --listen) takes its pieces from it. */
#ifndef CONTINUO_MODELCORPUS_H
#define CONTINUO_MODELCORPUS_H
#include <stddef.h>
#include "corpus.h"
#include "nn.h"

/* corpus_dir: NULL for the folder the metadata names (relative to model_path's folder, as the
 * trainer records it; model_path may be NULL for the current folder), or another copy of it.
 * The split must come out with the pieces per split the model was trained on. 0, or -1 with a
 * message in why: no corpus or split seed in the metadata, the corpus is not there (pass
 * --corpus DIR) or does not load, the split differs. */
int cn_model_corpus_load(const cn_model *m, const char *model_path, const char *corpus_dir, cn_corpus *c,
                         char *why, size_t whylen);
#endif
