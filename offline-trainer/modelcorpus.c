/* modelcorpus.c: a model's corpus and split from its metadata (see modelcorpus.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "modelcorpus.h"

/* "... rng 123, ..." in the trainer's "training" note ("seed 123" before the rename) */
static int meta_seed(const cn_model *m, uint64_t *seed) {
    const char *v = cn_meta_get(&m->meta, "split_seed");
    if (v) { *seed = strtoull(v, NULL, 10); return 0; }
    v = cn_meta_get(&m->meta, "training");
    const char *p = v ? strstr(v, ", rng ") : NULL;
    if (p) { *seed = strtoull(p + 6, NULL, 10); return 0; }
    p = v ? strstr(v, "seed ") : NULL;
    if (!p) return -1;
    *seed = strtoull(p + 5, NULL, 10);
    return 0;
}

/* Where the model's corpus is: corpus_dir; else the metadata's path, which the trainer writes
 * relative to the model file's folder (older models: absolute). buf may hold the result. */
static const char *find_corpus(const cn_model *m, const char *model_path, const char *corpus_dir,
                               char *buf, size_t len, char *why, size_t whylen) {
    if (corpus_dir) return corpus_dir;
    const char *meta = cn_meta_get(&m->meta, "corpus");
    if (!meta || !*meta) { snprintf(why, whylen, "the model's metadata names no corpus; pass --corpus DIR"); return NULL; }
    if (meta[0] == '/' || !model_path) snprintf(buf, len, "%s", meta);
    else {
        const char *slash = strrchr(model_path, '/');
        snprintf(buf, len, "%.*s/%s", slash ? (int)(slash - model_path) : 1, slash ? model_path : ".", meta);
    }
    if (access(buf, R_OK) != 0) {
        snprintf(why, whylen, "the model's corpus %.300s (%.200s in its metadata) is not here; pass --corpus DIR, "
                 "the folder its pieces are in now", buf, meta);
        return NULL;
    }
    return buf;
}

int cn_model_corpus_load(const cn_model *m, const char *model_path, const char *corpus_dir, cn_corpus *c,
                         char *why, size_t whylen) {
    char where[4096];
    const char *path = find_corpus(m, model_path, corpus_dir, where, sizeof where, why, whylen);
    uint64_t seed;
    if (!path) return -1;
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
