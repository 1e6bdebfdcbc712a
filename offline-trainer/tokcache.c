/* tokcache.c: the tokenised corpus cache (see tokcache.h). The writer reads one file at a
 * time and the reader streams the shards through a fixed buffer, so that neither holds the
 * corpus in memory; both read and encode through corpus.c, so that a piece's tokens are the
 * same from the cache as from its MIDI file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomicfile.h"
#include "bytebuf.h"
#include "crc32.h"
#include "midi.h"
#include "tokcache.h"
#include "tokens.h"

_Static_assert(sizeof(int) == 4, "the cache stores tokens as 32-bit ints, read as int");

#define SHARD_MAGIC "CNTOKSH1"
#define SHARD_HEAD 16   /* magic, version, shard number: keeps the tokens 4-byte aligned */
#define INDEX_HEAD "continuo-tokens cache v2 encoding %15s pieces %d shards %u listed %d skipped %d\n%n"
#define CHECK_CHUNK 65536   /* tokens read at a time while checking */

/* What a shard was when the run first opened and checked it: a reopened shard must still be
 * that file (see shard_reopen). */
typedef struct { dev_t dev; ino_t ino; off_t size; struct timespec mtime; int known; } shard_id;

/* A loaded cache: the index's figures of every piece, and the shards open now: at most cap of
 * them, in slots; the least recently read one is closed to open another. */
typedef struct {
    char dir[4096];         /* for the messages */
    int n_shards;
    shard_id *id;           /* per shard */
    uint64_t *shard_tokens;
    int *slot_of;           /* per shard: its slot, or -1 when closed */
    int asked;                        /* the cap asked for (cap: at most the shards) */
    int cap, *slot_shard, *slot_fd;   /* per slot: the shard (-1 = free) and its file */
    uint64_t *slot_used, tick;        /* the tick of each slot's last read */
    int n_open, peak_open;
    unsigned long opens;
    unsigned *shard; uint64_t *off; uint32_t *crc;   /* per piece */
    char err[4600];
} cache;

static void shard_path(const char *dir, unsigned s, char *buf, size_t len) {
    snprintf(buf, len, "%s/shard-%05u.tok", dir, s);
}

int cn_tokcache_is(const char *path) {
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/" CN_TOKCACHE_INDEX, path);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && stat(p, &st) == 0;
}

/* ---- writing ---- */

typedef struct {
    const char *dir;
    cn_encoding enc;
    cn_afile shard, index;
    int shard_open;
    unsigned n_shards;
    uint64_t in_shard, shard_cap;
    cn_bytebuf text;                         /* the index's piece lines, a C string */
    int pieces, listed, skipped;
    char *err; size_t errlen;
} writer;

static int text_add(writer *w, const char *s) {
    cn_bytebuf_printf(&w->text, "%s", s);
    if (w->text.oom) { snprintf(w->err, w->errlen, "out of memory"); return -1; }
    return 0;
}

static int shard_close(writer *w) {
    if (!w->shard_open) return 0;
    w->shard_open = 0;
    return cn_afile_commit(&w->shard, w->err, w->errlen);
}

static int shard_begin(writer *w) {
    char p[4200];
    shard_path(w->dir, w->n_shards, p, sizeof p);
    if (cn_afile_open(&w->shard, p, w->err, w->errlen)) return -1;
    uint32_t head[2] = { 1, w->n_shards };
    fwrite(SHARD_MAGIC, 1, 8, w->shard.f);
    fwrite(head, sizeof head, 1, w->shard.f);
    w->shard_open = 1;
    w->in_shard = 0;
    w->n_shards++;
    return 0;
}

static int add_piece(writer *w, const char *path, const int *tok, size_t n) {
    if (strchr(path, '\n')) { snprintf(w->err, w->errlen, "%s: a newline in the path cannot go into the index", path); return -1; }
    if (!w->shard_open || (w->in_shard > 0 && w->in_shard + n > w->shard_cap)) {
        if (shard_close(w) || shard_begin(w)) return -1;
    }
    fwrite(tok, sizeof *tok, n, w->shard.f);
    char line[4400];
    snprintf(line, sizeof line, "%u %llu %llu %08x %s\n", w->n_shards - 1, (unsigned long long)w->in_shard,
             (unsigned long long)n, (unsigned)cn_crc32(0, tok, n * sizeof *tok), path);
    w->in_shard += n;
    w->pieces++;
    return text_add(w, line);
}

/* One MIDI file: read and encoded as the corpus does, added; a bad file is skipped with its message. */
static int add_file(writer *w, const char *path, FILE *log) {
    cn_song song;
    w->listed++;
    if (cn_corpus_read_song(path, log, &song)) { w->skipped++; return 0; }
    int *tok = NULL;
    size_t n = 0, unk;
    int rc = cn_corpus_encode(w->enc, &song, 0, NULL, &tok, &n, &unk);
    cn_song_free(&song);
    if (rc) { snprintf(w->err, w->errlen, "%s: out of memory while encoding", path); return -1; }
    rc = add_piece(w, path, tok, n);
    free(tok);
    return rc;
}

static int write_index(writer *w) {
    char p[4200], head[256];
    snprintf(p, sizeof p, "%s/" CN_TOKCACHE_INDEX, w->dir);
    snprintf(head, sizeof head, "continuo-tokens cache v2 encoding %s pieces %d shards %u listed %d skipped %d\n",
             cn_encoding_name(w->enc), w->pieces, w->n_shards, w->listed, w->skipped);
    if (cn_afile_open(&w->index, p, w->err, w->errlen)) return -1;
    uint32_t crc = cn_crc32(cn_crc32(0, head, strlen(head)), w->text.p ? (const char *)w->text.p : "", w->text.n);
    fputs(head, w->index.f);
    if (w->text.p) fputs((const char *)w->text.p, w->index.f);
    fprintf(w->index.f, "crc %08x\n", (unsigned)crc);
    return cn_afile_commit(&w->index, w->err, w->errlen);
}

int cn_tokcache_write(const char *dir, cn_encoding enc, const char *const *paths, int n_paths, uint64_t shard_tokens,
                      FILE *log, char *err, size_t errlen) {
    if (enc != CN_ENC_EVENT && enc != CN_ENC_NOTE) {
        snprintf(err, errlen, "--encoding %s cannot be cached: its vocabulary is built from the training split at every "
                 "--transpose of the run; train it from the MIDI files", cn_encoding_name(enc));
        return -1;
    }
    if (mkdir(dir, 0777) && errno != EEXIST) { snprintf(err, errlen, "%s: cannot create the cache folder: %s", dir, strerror(errno)); return -1; }
    /* no index until every shard is written: a cache cut short is no cache */
    char p[4200];
    snprintf(p, sizeof p, "%s/" CN_TOKCACHE_INDEX, dir);
    if (unlink(p) && errno != ENOENT) { snprintf(err, errlen, "%s: cannot replace: %s", p, strerror(errno)); return -1; }
    char **files = NULL;
    int n_files = cn_corpus_list(paths, n_paths, &files, err, errlen);
    if (n_files < 0) return -1;
    writer w;
    memset(&w, 0, sizeof w);
    w.dir = dir; w.enc = enc; w.err = err; w.errlen = errlen;
    w.shard_cap = shard_tokens ? shard_tokens : ((uint64_t)CN_TOKCACHE_SHARD_MB << 20) / sizeof(int);
    int rc = 0;
    for (int i = 0; rc == 0 && i < n_files; i++) rc = add_file(&w, files[i], log);
    cn_midi_list_free(files, n_files);
    if (rc == 0 && w.pieces == 0) { snprintf(err, errlen, "no usable MIDI file in %s: nothing to cache", n_paths ? paths[0] : "the corpus"); rc = -1; }
    if (rc == 0) rc = shard_close(&w);
    else if (w.shard_open) cn_afile_abort(&w.shard);
    if (rc == 0) rc = write_index(&w);
    cn_bytebuf_free(&w.text);
    return rc ? -1 : w.pieces;
}

/* ---- reading ---- */

static char *read_all(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno)); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap + 1);
    for (size_t k; s && (k = fread(s + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) { char *t = realloc(s, cap * 2 + 1); if (!t) { free(s); s = NULL; break; } s = t; cap *= 2; }
    }
    int bad = ferror(f);
    fclose(f);
    if (!s || bad) { free(s); snprintf(err, errlen, "%s: cannot read%s", path, s ? "" : ": out of memory"); return NULL; }
    s[n] = 0;
    *len = n;
    return s;
}

/* Every byte of n at offset off of fd, or -1 (errno set; EIO for a short file). */
static int read_at(int fd, void *buf, size_t n, uint64_t off) {
    for (size_t done = 0; done < n;) {
        ssize_t k = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { if (k == 0) errno = EIO; return -1; }
        done += (size_t)k;
    }
    return 0;
}

/* A process may open only so many files: the soft limit is raised to the hard one when the
 * open shards need it. */
static void allow_files(int n) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* fd's header and length checked as shard s's; its identity into *id. */
static int shard_check(int fd, const char *p, unsigned s, shard_id *id, char *err, size_t errlen) {
    struct stat st;
    char head[SHARD_HEAD];
    uint32_t v[2];
    if (fstat(fd, &st) || st.st_size < SHARD_HEAD || (st.st_size - SHARD_HEAD) % 4 || read_at(fd, head, sizeof head, 0) ||
        (memcpy(v, head + 8, sizeof v), memcmp(head, SHARD_MAGIC, 8) != 0 || v[0] != 1 || v[1] != s)) {
        snprintf(err, errlen, "%s: not shard %u of a continuo-tokens cache (wrong header or length)", p, s);
        return -1;
    }
    id->dev = st.st_dev; id->ino = st.st_ino; id->size = st.st_size; id->mtime = st.st_mtim; id->known = 1;
    return 0;
}

/* Shard s opened: the first time, its header checked and its identity kept (its pieces' CRCs
 * are checked next, by check_pieces); reopened after an eviction, it must be the same file,
 * same device, inode, length and modification time, so that the CRCs checked at the start
 * still hold. Its tokens are not read again: that would cost a shard's read per reopen, and a
 * file kept open would not be re-read either. The fd, or -1 with err. */
static int shard_open(cache *k, unsigned s, char *err, size_t errlen) {
    char p[4200];
    shard_path(k->dir, s, p, sizeof p);
    int again = k->id[s].known;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == EMFILE || e == ENFILE)
            snprintf(err, errlen, "%s: cannot open: %s (ulimit -n): give continuo-train a smaller --cache-open "
                     "(now %d)", p, strerror(e), k->asked);
        else if (again)
            snprintf(err, errlen, "%s: cannot reopen: %s (it was checked when the run began; the cache changed "
                     "while training)", p, strerror(e));
        else snprintf(err, errlen, "%s: cannot read: %s", p, strerror(e));
        return -1;
    }
    shard_id now;
    if (shard_check(fd, p, s, &now, err, errlen)) { close(fd); return -1; }
    const shard_id *was = &k->id[s];
    if (again && (now.dev != was->dev || now.ino != was->ino || now.size != was->size ||
                  now.mtime.tv_sec != was->mtime.tv_sec || now.mtime.tv_nsec != was->mtime.tv_nsec)) {
        snprintf(err, errlen, "%s: changed since the run checked it (%s): the cache was written again or damaged "
                 "while training", p, now.size != was->size ? "another length" : "another file or time");
        close(fd);
        return -1;
    }
    if (!again) { k->id[s] = now; k->shard_tokens[s] = (uint64_t)(now.size - SHARD_HEAD) / 4; }
    k->opens++;
    return fd;
}

/* The slot to open a shard into: a free one, or the least recently read shard's, closed. */
static int free_slot(cache *k) {
    int best = 0;
    for (int j = 0; j < k->cap; j++) {
        if (k->slot_shard[j] < 0) return j;
        if (k->slot_used[j] < k->slot_used[best]) best = j;
    }
    close(k->slot_fd[best]);
    k->slot_of[k->slot_shard[best]] = -1;
    k->slot_shard[best] = -1;
    k->n_open--;
    return best;
}

/* Shard s's open file (opened now when it is not), or -1 with err. */
static int shard_fd(cache *k, unsigned s, char *err, size_t errlen) {
    int j = k->slot_of[s];
    if (j < 0) {
        j = free_slot(k);
        int fd = shard_open(k, s, err, errlen);
        if (fd < 0) return -1;
        k->slot_fd[j] = fd; k->slot_shard[j] = (int)s; k->slot_of[s] = j;
        if (++k->n_open > k->peak_open) k->peak_open = k->n_open;
    }
    k->slot_used[j] = ++k->tick;
    return k->slot_fd[j];
}

static void close_all(cache *k) {
    for (int j = 0; j < k->cap; j++)
        if (k->slot_shard[j] >= 0) {
            close(k->slot_fd[j]);
            k->slot_of[k->slot_shard[j]] = -1;
            k->slot_shard[j] = -1;
        }
    k->n_open = 0;
}

static void cache_free(cache *k) {
    free(k->id); free(k->shard_tokens); free(k->slot_of); free(k->slot_shard); free(k->slot_fd); free(k->slot_used);
    free(k->shard); free(k->off); free(k->crc); free(k);
}

void cn_tokcache_release(cn_corpus *c) {
    cache *k = c->cache;
    if (!k) return;
    close_all(k);
    cache_free(k);
    c->cache = NULL;
}

int cn_tokcache_read(const cn_corpus *c, int i, size_t start, size_t n, int *buf) {
    cache *k = c->cache;
    int fd = shard_fd(k, k->shard[i], k->err, sizeof k->err);
    if (fd < 0) return -1;
    if (read_at(fd, buf, n * sizeof *buf, SHARD_HEAD + (k->off[i] + start) * 4) == 0) return 0;
    char p[4200];
    shard_path(k->dir, k->shard[i], p, sizeof p);
    snprintf(k->err, sizeof k->err, "%s: cannot read the tokens of %s: %s", p, c->pieces[i].path, strerror(errno));
    return -1;
}

void cn_tokcache_stats(const cn_corpus *c, cn_tokcache_counts *out) {
    const cache *k = c->cache;
    memset(out, 0, sizeof *out);
    if (!k) return;
    out->shards = k->n_shards; out->cap = k->asked; out->open = k->n_open; out->peak_open = k->peak_open;
    out->opens = k->opens;
}

const char *cn_tokcache_error(const cn_corpus *c) {
    const cache *k = c->cache;
    return k ? k->err : "no token cache";
}

uint32_t cn_tokcache_piece_crc(const cn_corpus *c, int i) {
    const cache *k = c->cache;
    return k->crc[i];
}

/* Piece i streamed through buf (CHECK_CHUNK ints): its CRC, its tokens inside the vocabulary,
 * and the ids it uses into seen (NULL = not counted). keep: also a copy into p->tok[0]. */
static int check_piece(cn_corpus *c, cache *k, int i, int *buf, unsigned char *seen, int keep, char *err, size_t errlen) {
    cn_piece *p = &c->pieces[i];
    size_t n = p->n_tok[0];
    char sp[4200];
    shard_path(k->dir, k->shard[i], sp, sizeof sp);
    if (shard_fd(k, k->shard[i], err, errlen) < 0) return -1;   /* its length, known once it is open */
    if (k->off[i] > k->shard_tokens[k->shard[i]] || n > k->shard_tokens[k->shard[i]] - k->off[i]) {
        snprintf(err, errlen, "%s: shorter than the index says (%s)", sp, p->path);
        return -1;
    }
    if (keep && !(p->tok[0] = malloc((n ? n : 1) * sizeof(int)))) { snprintf(err, errlen, "out of memory"); return -1; }
    uint32_t crc = 0;
    for (size_t at = 0; at < n; at += CHECK_CHUNK) {
        size_t m = n - at < CHECK_CHUNK ? n - at : CHECK_CHUNK;
        int *dst = keep ? p->tok[0] + at : buf;
        if (cn_tokcache_read(c, i, at, m, dst)) { snprintf(err, errlen, "%s", k->err); return -1; }
        crc = cn_crc32(crc, dst, m * sizeof *dst);
        for (size_t j = 0; j < m; j++)
            if (dst[j] < 0 || dst[j] >= c->vocab_size) { snprintf(err, errlen, "%s: %s holds a token outside the vocabulary", sp, p->path); return -1; }
        if (seen) cn_corpus_see(dst, m, c->vocab_size, seen);
    }
    if (crc != k->crc[i]) {
        snprintf(err, errlen, "%s: the tokens of %s fail their checksum: the cache is damaged; write it again with continuo-tokens --cache", sp, p->path);
        return -1;
    }
    return 0;
}

/* Every piece checked, in index order (shard by shard: the reads are sequential), with the
 * coverage of the training split. A shard checked on demand is dropped from the page cache. */
static int check_pieces(cn_corpus *c, cache *k, int keep, char *err, size_t errlen) {
    int *buf = malloc(CHECK_CHUNK * sizeof *buf);
    unsigned char *seen = calloc((size_t)c->vocab_size, 1);
    int rc = buf && seen ? 0 : -1;
    if (rc) snprintf(err, errlen, "out of memory");
    for (int i = 0; rc == 0 && i < c->n_pieces; i++) {
        rc = check_piece(c, k, i, buf, c->pieces[i].split == CN_SPLIT_TRAIN ? seen : NULL, keep, err, errlen);
        if (rc == 0 && !keep && (i + 1 == c->n_pieces || k->shard[i + 1] != k->shard[i]))
            posix_fadvise(k->slot_fd[k->slot_of[k->shard[i]]], 0, 0, POSIX_FADV_DONTNEED);
    }
    for (int v = 0; rc == 0 && v < c->vocab_size; v++) c->seen_in_train += seen[v];
    free(buf); free(seen);
    return rc;
}

/* The index's piece lines into c's pieces and k's figures. */
static int parse_pieces(const char *ipath, char *body, cache *k, cn_corpus *c, char *err, size_t errlen) {
    char *line = body;
    for (int i = 0; i < c->n_pieces; i++) {
        char *nl = strchr(line, '\n');
        unsigned long long off, n;
        int used = 0;
        if (!nl || (*nl = 0, sscanf(line, "%u %llu %llu %x %n", &k->shard[i], &off, &n, &k->crc[i], &used) != 4) || !used ||
            (int)k->shard[i] >= k->n_shards) {
            snprintf(err, errlen, "%s: piece line %d is damaged", ipath, i + 1);
            return -1;
        }
        cn_piece *p = &c->pieces[i];
        k->off[i] = off;
        p->n_var = 1; p->var_lo = 0;
        p->path = strdup(line + used);
        p->tok = calloc(1, sizeof *p->tok);
        p->n_tok = calloc(1, sizeof *p->n_tok);
        if (!p->path || !p->tok || !p->n_tok) { snprintf(err, errlen, "out of memory"); return -1; }
        p->n_tok[0] = (size_t)n;
        line = nl + 1;
    }
    return 0;
}

/* The index read and its checksum checked: its head into the figures, the body's start. */
static char *read_index(const char *ipath, char *enc, int *pieces, unsigned *shards, int *listed, int *skipped,
                        char **body, char *err, size_t errlen) {
    size_t len = 0;
    char *text = read_all(ipath, &len, err, errlen);
    if (!text) return NULL;
    /* the last line is the CRC of everything before it */
    char *crc_line = len >= 2 ? text + len - 2 : text;
    while (crc_line > text && crc_line[-1] != '\n') crc_line--;
    unsigned want;
    int used = 0;
    if (strncmp(text, "continuo-tokens cache v1 ", 25) == 0)
        snprintf(err, errlen, "%s: a cache of an older continuo-tokens: write it again with continuo-tokens --cache", ipath);
    else if (sscanf(crc_line, "crc %x", &want) != 1 || cn_crc32(0, text, (size_t)(crc_line - text)) != want ||
             sscanf(text, INDEX_HEAD, enc, pieces, shards, listed, skipped, &used) != 5 || !used || *pieces < 1 ||
             *shards < 1 || *shards > 1000000)
        snprintf(err, errlen, "%s: not a continuo-tokens cache index, or damaged (checksum)", ipath);
    else { *body = text + used; return text; }
    free(text);
    return NULL;
}

static cache *cache_new(const char *dir, int pieces, unsigned shards, int cap) {
    cache *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    snprintf(k->dir, sizeof k->dir, "%s", dir);
    k->n_shards = (int)shards;
    k->asked = cap < 1 ? CN_TOKCACHE_OPEN : cap;
    k->cap = k->asked > (int)shards ? (int)shards : k->asked;
    k->id = calloc(shards, sizeof *k->id);
    k->shard_tokens = calloc(shards, sizeof *k->shard_tokens);
    k->slot_of = malloc(shards * sizeof *k->slot_of);
    k->slot_shard = malloc((size_t)k->cap * sizeof *k->slot_shard);
    k->slot_fd = calloc((size_t)k->cap, sizeof *k->slot_fd);
    k->slot_used = calloc((size_t)k->cap, sizeof *k->slot_used);
    k->shard = calloc((size_t)pieces, sizeof *k->shard);
    k->off = calloc((size_t)pieces, sizeof *k->off);
    k->crc = calloc((size_t)pieces, sizeof *k->crc);
    if (!k->id || !k->shard_tokens || !k->slot_of || !k->slot_shard || !k->slot_fd || !k->slot_used || !k->shard ||
        !k->off || !k->crc) {
        cache_free(k);
        return NULL;
    }
    for (unsigned s = 0; s < shards; s++) k->slot_of[s] = -1;
    for (int j = 0; j < k->cap; j++) k->slot_shard[j] = -1;
    return k;
}

/* The split by seed, as cn_corpus_load splits the same pieces. */
static int split_pieces(cn_corpus *c, const cn_corpus_opts *o) {
    int *split = malloc((size_t)c->n_pieces * sizeof *split);
    if (!split) return -1;
    cn_split_assign(c->n_pieces, o->ratio, o->seed, 0, split);
    for (int i = 0; i < c->n_pieces; i++) {
        cn_piece *p = &c->pieces[i];
        p->split = split[i];
        c->tokens[p->split] += p->n_tok[0];
        c->pieces_in[p->split]++;
    }
    free(split);
    return 0;
}

static int load_checked(const char *dir, const cn_corpus_opts *o, cn_corpus *c, char *err, size_t errlen) {
    char ipath[4200], enc_name[16], *body;
    snprintf(ipath, sizeof ipath, "%s/" CN_TOKCACHE_INDEX, dir);
    int pieces, listed, skipped;
    unsigned shards;
    char *text = read_index(ipath, enc_name, &pieces, &shards, &listed, &skipped, &body, err, errlen);
    if (!text) return -1;
    cn_encoding enc;
    if (o->enc == CN_ENC_PAPER)
        snprintf(err, errlen, "%s: --encoding paper cannot be read from a token cache (its vocabulary is built from "
                 "the split and the --transpose of the run): train it from the MIDI files", dir);
    else if (cn_encoding_parse(enc_name, &enc) || enc != o->enc)
        snprintf(err, errlen, "%s: this token cache holds the %s encoding, not --encoding %s: give --encoding %s, or "
                 "write a cache with continuo-tokens --cache DIR --encoding %s", dir, enc_name, cn_encoding_name(o->enc),
                 enc_name, cn_encoding_name(o->enc));
    if (o->enc == CN_ENC_PAPER || cn_encoding_parse(enc_name, &enc) || enc != o->enc) { free(text); return -1; }
    cache *k = cache_new(dir, pieces, shards, o->cache_open);
    c->pieces = calloc((size_t)pieces, sizeof *c->pieces);
    if (!k || !c->pieces) {
        free(text);
        if (k) { cn_corpus tmp = { .cache = k }; cn_tokcache_release(&tmp); }
        snprintf(err, errlen, "out of memory for %d pieces", pieces);
        return -1;
    }
    c->cache = k;
    c->enc = enc;
    c->vocab_size = enc == CN_ENC_EVENT ? CN_EV_VOCAB : CN_NT_VOCAB;
    c->n_pieces = pieces;
    c->n_listed = listed; c->n_skipped = skipped;
    int rc = parse_pieces(ipath, body, k, c, err, errlen);
    free(text);
    allow_files(k->cap);
    if (rc == 0 && split_pieces(c, o)) { snprintf(err, errlen, "out of memory"); rc = -1; }
    if (rc == 0) rc = check_pieces(c, k, !o->on_demand, err, errlen);
    return rc;
}

int cn_tokcache_load(const char *dir, const cn_corpus_opts *o, cn_corpus *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    if (o->test_dir) { snprintf(err, errlen, "%s: a token cache cannot take --test-dir (cache the test set into the split)", dir); return -1; }
    if (load_checked(dir, o, c, err, errlen)) { cn_corpus_free(c); return -1; }
    if (!o->on_demand) {   /* the tokens are in memory: the shards are no longer needed */
        close_all(c->cache);
    }
    return 0;
}
