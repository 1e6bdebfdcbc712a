/* tokcache.h: the tokenised corpus cache. `continuo-tokens --cache DIR [--encoding E] CORPUS...`
 * reads the MIDI files once, one at a time, and writes their token streams (the event or the
 * note encoding) into DIR as shard files of raw int32 tokens plus an index (the encoding; one
 * line a piece: shard, offset, length, CRC-32, path; and a CRC-32 of the index itself).
 * continuo-train given DIR as its corpus reads it instead of parsing MIDI: the pieces, their
 * order and their tokens are those cn_corpus_load gives from the MIDI files, so the same seed
 * trains the same model from either.
 *
 * Loaded on demand (the trainer), only the index stays in memory: loading streams every piece
 * once through a small buffer to check its CRC, and each window is then read from its shard
 * as a batch needs it, so a process holds one batch of the corpus, never the corpus. At most
 * CN_TOKCACHE_OPEN shard files (cn_corpus_opts.cache_open) are open at once: the least recently
 * read one is closed to open another, and a shard reopened must be the very file that was
 * checked (device, inode, length, time), or the read fails naming it. Loaded
 * whole (continuo-eval, continuo-listen), the tokens are read into memory as from MIDI.
 * The paper encoding cannot be cached: its vocabulary depends on the split and on the
 * transposition range of the run. */
#ifndef CONTINUO_TOKCACHE_H
#define CONTINUO_TOKCACHE_H
#include <stdint.h>
#include <stdio.h>
#include "corpus.h"

#define CN_TOKCACHE_INDEX "index.cntok"
#define CN_TOKCACHE_SHARD_MB 64   /* the default shard size */
/* The shard files a reader keeps open at once by default. A corpus of thousands of shards
 * must not need thousands of file descriptors (ulimit -n is often 1024, and MPI, BLAS and the
 * run's own files need some); 64 default shards span 4 GB of tokens, so most corpora never
 * reopen one, and past that a reopen (open, fstat, a 16-byte header) is small beside the
 * window it serves. */
#define CN_TOKCACHE_OPEN 64

/* Writes the cache of the corpus paths (folders, MIDI files, @LIST files) in encoding enc
 * (event or note) into dir (created when missing), shards of at most shard_tokens tokens (0 =
 * CN_TOKCACHE_SHARD_MB). Files that do not parse are skipped with their message on log.
 * Returns the pieces written, or -1 with err. */
int cn_tokcache_write(const char *dir, cn_encoding enc, const char *const *paths, int n_paths, uint64_t shard_tokens,
                      FILE *log, char *err, size_t errlen);

/* Whether path is a cache folder (holds an index). */
int cn_tokcache_is(const char *path);

/* Loads the cache in dir as a corpus split by o's seed and ratio (o->enc must be the cache's
 * encoding, no test_dir), on demand when o->on_demand: every piece's CRC is checked first.
 * 0, or -1 with err naming the file and the problem. cn_corpus_free releases it. */
int cn_tokcache_load(const char *dir, const cn_corpus_opts *o, cn_corpus *c, char *err, size_t errlen);

/* n tokens of piece i from start into buf (an on-demand cache). 0, or -1: cn_tokcache_error. */
int cn_tokcache_read(const cn_corpus *c, int piece, size_t start, size_t n, int *buf);
const char *cn_tokcache_error(const cn_corpus *c);

/* What the reader did with its shard files: how many, the cap on open ones, the open now,
 * the most open at once and the opens in all (first opens and reopens). */
typedef struct { int shards, cap, open, peak_open; unsigned long opens; } cn_tokcache_counts;
void cn_tokcache_stats(const cn_corpus *c, cn_tokcache_counts *out);

/* Piece i's CRC-32 as the index gives it (its tokens, as int32). */
uint32_t cn_tokcache_piece_crc(const cn_corpus *c, int piece);

/* Closes a loaded cache (called by cn_corpus_free). */
void cn_tokcache_release(cn_corpus *c);
#endif
