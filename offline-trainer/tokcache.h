/* tokcache.h: the tokenised corpus cache. `continuo-tokens --cache DIR CORPUS...` reads the
 * MIDI files once and writes their token streams (event encoding) into DIR as shard files of
 * raw int32 tokens plus an index (one line a piece: shard, offset, length, CRC-32, path; and
 * a CRC-32 of the index itself). continuo-train given DIR as its corpus maps the shards
 * read-only instead of parsing MIDI: the tokens are then file pages that come in as windows
 * are read, shared by the ranks of a host and dropped by the kernel under memory pressure,
 * never a copy in each process's own memory. The pieces, their order and their tokens are
 * those cn_corpus_load gives, so the same seed trains the same model from either. */
#ifndef CONTINUO_TOKCACHE_H
#define CONTINUO_TOKCACHE_H
#include <stdint.h>
#include <stdio.h>
#include "corpus.h"

#define CN_TOKCACHE_INDEX "index.cntok"
#define CN_TOKCACHE_SHARD_TOKENS (1u << 24)   /* 64 MB shard files */

/* Writes the cache of the corpus paths (folders, MIDI files, @LIST files) into dir (created
 * when missing), shards of at most shard_tokens tokens (0 = the default). Files that do not
 * parse are skipped with their message on log. Returns the pieces written, or -1 with err. */
int cn_tokcache_write(const char *dir, const char *const *paths, int n_paths, uint32_t shard_tokens,
                      FILE *log, char *err, size_t errlen);

/* Whether path is a cache folder (holds an index). */
int cn_tokcache_is(const char *path);

/* Loads the cache in dir as a corpus split by o's seed and ratio (o->enc must be event, no
 * test_dir): every piece's CRC is checked, shard by shard, and the checked pages are given
 * back. 0, or -1 with err naming the file and the problem. cn_corpus_free releases it. */
int cn_tokcache_load(const char *dir, const cn_corpus_opts *o, cn_corpus *c, char *err, size_t errlen);

/* Unmaps a loaded cache (called by cn_corpus_free). */
void cn_tokcache_release(cn_corpus *c);
#endif
