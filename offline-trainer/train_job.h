/* train_job.h: the checks a data-parallel continuo-train makes across its ranks before any
 * training: every rank must have read the same corpus. A file one rank's host cannot read
 * would otherwise only be skipped there, and that rank would train on other windows. */
#ifndef CONTINUO_TRAIN_JOB_H
#define CONTINUO_TRAIN_JOB_H
#include <stdio.h>
#include "corpus.h"
#include "dist.h"

/* A checksum of what was loaded: the pieces' paths, splits and tokens. */
uint64_t cn_corpus_fingerprint(const cn_corpus *c);

/* Called on every rank after its corpus load: load_err is NULL when the load succeeded, else
 * its message; skipped holds the load's "skipped PATH: problem" lines (may be NULL). Returns
 * 0 when every rank loaded the same corpus; otherwise -1 on every rank, after each rank
 * whose load failed or differs has printed its own lines to out with its rank and host, and
 * rank 0 a summary. */
int cn_job_check_corpus(cn_dist *d, const cn_corpus *c, const char *load_err, const char *skipped, FILE *out);
#endif
