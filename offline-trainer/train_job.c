/* train_job.c: the corpus check across ranks (see train_job.h). */
#include <stdlib.h>
#include <string.h>
#include "crc32.h"
#include "tokcache.h"
#include "train_job.h"

/* A token cache gives its pieces' CRCs from the index (checked at load), so that a rank
 * loaded on demand reads no tokens for this. */
static uint32_t piece_crc(const cn_corpus *c, int i) {
    const cn_piece *p = &c->pieces[i];
    int head[2] = { p->n_var, p->var_lo };   /* not the split: it follows from the pieces read */
    uint32_t crc = cn_crc32(0, head, sizeof head);
    for (int k = 0; k < p->n_var; k++) {
        crc = cn_crc32(crc, &p->n_tok[k], sizeof p->n_tok[k]);
        if (c->cache) { uint32_t t = cn_tokcache_piece_crc(c, i); crc = cn_crc32(crc, &t, sizeof t); }
        else crc = cn_crc32(crc, p->tok[k], p->n_tok[k] * sizeof *p->tok[k]);
    }
    return crc;
}

uint64_t cn_corpus_fingerprint(const cn_corpus *c) {
    uint32_t crc = 0;
    for (int i = 0; i < c->n_pieces; i++) {
        uint32_t pc = piece_crc(c, i);
        crc = cn_crc32(crc, c->pieces[i].path, strlen(c->pieces[i].path) + 1);
        crc = cn_crc32(crc, &pc, sizeof pc);
    }
    return (uint64_t)crc | (uint64_t)(uint32_t)c->n_pieces << 32;
}

#define LOAD_FAILED (~(uint64_t)0)

/* The lines of text, each prefixed with this rank and host. */
static void print_lines(FILE *out, const cn_dist *d, const char *text) {
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(out, "continuo-train: rank %d on %s: %.*s\n", d->rank, d->host, len, p);
        p = nl ? nl + 1 : p + len;
    }
}

/* "CRC PATH\n" for every piece: rank 0's list, which the others compare theirs with. */
static char *piece_list(const cn_corpus *c) {
    size_t len = 1;
    for (int i = 0; i < c->n_pieces; i++) len += strlen(c->pieces[i].path) + 10;
    char *s = malloc(len), *w = s;
    if (!s) return NULL;
    *w = 0;
    for (int i = 0; i < c->n_pieces; i++) w += sprintf(w, "%08x %s\n", (unsigned)piece_crc(c, i), c->pieces[i].path);
    return s;
}

/* Names each file where this rank and rank 0 differ. */
static void name_differences(FILE *out, const cn_dist *d, const cn_corpus *c, char *list0) {
    int n0 = 0;
    for (char *p = list0; *p; p++) n0 += *p == '\n';
    char **path0 = calloc((size_t)n0 + 1, sizeof *path0);
    unsigned *crc0 = calloc((size_t)n0 + 1, sizeof *crc0);
    char *used = calloc((size_t)n0 + 1, 1);
    if (!path0 || !crc0 || !used) { free(path0); free(crc0); free(used); return; }
    int k = 0;
    for (char *p = list0, *nl; *p && k < n0; p = nl + 1, k++) {
        nl = strchr(p, '\n');
        *nl = 0;
        crc0[k] = (unsigned)strtoul(p, NULL, 16);
        path0[k] = p + 9;
    }
    for (int i = 0; i < c->n_pieces; i++) {
        const char *path = c->pieces[i].path;
        int j = 0;
        while (j < n0 && strcmp(path0[j], path) != 0) j++;
        if (j == n0) fprintf(out, "continuo-train: rank %d on %s: %s: read here, but rank 0 could not read it\n", d->rank, d->host, path);
        else {
            used[j] = 1;
            if (crc0[j] != (unsigned)piece_crc(c, i))
                fprintf(out, "continuo-train: rank %d on %s: %s: differs from rank 0's copy\n", d->rank, d->host, path);
        }
    }
    for (int j = 0; j < n0; j++)
        if (!used[j]) fprintf(out, "continuo-train: rank %d on %s: %s: missing or unreadable here (rank 0 read it)\n", d->rank, d->host, path0[j]);
    free(path0); free(crc0); free(used);
}

int cn_job_check_corpus(cn_dist *d, const cn_corpus *c, const char *load_err, const char *skipped, FILE *out) {
    uint64_t mine = load_err ? LOAD_FAILED : cn_corpus_fingerprint(c);
    uint64_t *all = calloc((size_t)d->size, sizeof *all);
    if (!all || d->gather_u64(d, mine, all)) {
        free(all);
        d->abort(d, "the corpus check across the ranks failed", 1);
        return -1;
    }
    int failed = 0, differ = 0;
    for (int i = 0; i < d->size; i++) {
        if (all[i] == LOAD_FAILED) failed++;
        else if (all[i] != all[0]) differ++;
    }
    if (failed == 0 && differ == 0) { free(all); return 0; }
    if (load_err) print_lines(out, d, load_err);
    if (skipped && *skipped) print_lines(out, d, skipped);
    if (all[0] != LOAD_FAILED) {
        /* rank 0's pieces to every rank, which names each file it has otherwise */
        char *list0 = d->rank == 0 ? piece_list(c) : NULL;
        uint64_t len = list0 ? strlen(list0) + 1 : 0;
        if (d->bcast(d, &len, sizeof len)) d->abort(d, "the corpus check across the ranks failed", 1);
        if (d->rank != 0 && len) list0 = calloc(len, 1);
        if (len && (!list0 || d->bcast(d, list0, len))) d->abort(d, "the corpus check across the ranks failed", 1);
        if (d->rank != 0 && !load_err && mine != all[0] && list0) name_differences(out, d, c, list0);
        free(list0);
    }
    fflush(out);
    if (d->rank == 0)
        fprintf(out, "continuo-train: the %d ranks did not load the same corpus (%d failed, %d read other pieces "
                     "than rank 0): every rank must read every file; the ranks name their host and the files\n",
                d->size, failed, differ);
    fflush(out);
    free(all);
    return -1;
}
