/* modelcorpus.c: a model's corpus and split from its metadata (see modelcorpus.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "modelcorpus.h"

/* "... seed 123, ..." in the trainer's "training" note */
static int meta_seed(const cn_model *m, uint64_t *seed) {
    const char *v = cn_meta_get(&m->meta, "split_seed");
    if (v) { *seed = strtoull(v, NULL, 10); return 0; }
    v = cn_meta_get(&m->meta, "training");
    const char *p = v ? strstr(v, "seed ") : NULL;
    if (!p) return -1;
    *seed = strtoull(p + 5, NULL, 10);
    return 0;
}

/* The model's corpus, split as the trainer split it. 0, or -1 with a message in why. */
int cn_model_corpus_load(const cn_model *m, const char *corpus_dir, cn_corpus *c, char *why, size_t whylen) {
    const char *path = corpus_dir ? corpus_dir : cn_meta_get(&m->meta, "corpus");
    uint64_t seed;
    if (!path || !*path) { snprintf(why, whylen, "the model's metadata names no corpus"); return -1; }
    if (meta_seed(m, &seed)) { snprintf(why, whylen, "the model's metadata has no split seed"); return -1; }
    cn_corpus_opts o = cn_corpus_opts_default();
    o.enc = m->encoding;
    o.paths = &path; o.n_paths = 1;
    o.seed = seed;
    const char *ratio = cn_meta_get(&m->meta, "split_ratio");
    if (ratio && sscanf(ratio, "%d/%d/%d", &o.ratio[0], &o.ratio[1], &o.ratio[2]) != 3) {
        snprintf(why, whylen, "the model's split_ratio '%s' is not T/V/S", ratio);
        return -1;
    }
    char err[512];
    if (cn_corpus_load(&o, c, err, sizeof err)) { snprintf(why, whylen, "corpus %s: %s", path, err); return -1; }
    /* the trainer notes "T/V/S pieces train/val/test": the split must come out the same */
    const char *split = cn_meta_get(&m->meta, "split");
    int t, v, s;
    if (split && sscanf(split, "%d/%d/%d", &t, &v, &s) == 3 &&
        (t != c->pieces_in[0] || v != c->pieces_in[1] || s != c->pieces_in[2])) {
        snprintf(why, whylen, "corpus %s splits into %d/%d/%d pieces here, but the model was trained on %d/%d/%d",
                 path, c->pieces_in[0], c->pieces_in[1], c->pieces_in[2], t, v, s);
        cn_corpus_free(c);
        return -1;
    }
    return 0;
}
