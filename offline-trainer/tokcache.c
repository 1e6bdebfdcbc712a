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

/* A loaded cache: the index's figures of every piece and the open shards. */
typedef struct {
    char dir[4096];         /* for the messages */
    int n_shards;
    int *fd;                /* -1 once closed */
    uint64_t *shard_tokens;
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
 * shards need it. */
static void allow_files(int n) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Opens shard s and checks its header; its length in tokens into k->shard_tokens[s]. */
static int open_shard(cache *k, const char *dir, unsigned s, char *err, size_t errlen) {
    char p[4200];
    shard_path(dir, s, p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == EMFILE) {
        snprintf(err, errlen, "%s: cannot open all %d shards at once (ulimit -n): write the cache again with a larger --shard-mb", dir, k->n_shards);
        return -1;
    }
    if (fd < 0) { snprintf(err, errlen, "%s: cannot read: %s", p, strerror(errno)); return -1; }
    k->fd[s] = fd;
    struct stat st;
    char head[SHARD_HEAD];
    uint32_t v[2];
    if (fstat(fd, &st) || st.st_size < SHARD_HEAD || (st.st_size - SHARD_HEAD) % 4 || read_at(fd, head, sizeof head, 0) ||
        (memcpy(v, head + 8, sizeof v), memcmp(head, SHARD_MAGIC, 8) != 0 || v[0] != 1 || v[1] != s)) {
        snprintf(err, errlen, "%s: not shard %u of a continuo-tokens cache (wrong header or length)", p, s);
        return -1;
    }
    k->shard_tokens[s] = (uint64_t)(st.st_size - SHARD_HEAD) / 4;
    return 0;
}

void cn_tokcache_release(cn_corpus *c) {
    cache *k = c->cache;
    if (!k) return;
    for (int s = 0; s < k->n_shards; s++) if (k->fd[s] >= 0) close(k->fd[s]);
    free(k->fd); free(k->shard_tokens); free(k->shard); free(k->off); free(k->crc); free(k);
    c->cache = NULL;
}

int cn_tokcache_read(const cn_corpus *c, int i, size_t start, size_t n, int *buf) {
    cache *k = c->cache;
    if (read_at(k->fd[k->shard[i]], buf, n * sizeof *buf, SHARD_HEAD + (k->off[i] + start) * 4) == 0) return 0;
    char p[4200];
    shard_path(k->dir, k->shard[i], p, sizeof p);
    snprintf(k->err, sizeof k->err, "%s: cannot read the tokens of %s: %s", p, c->pieces[i].path, strerror(errno));
    return -1;
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
        if (!keep && (i + 1 == c->n_pieces || k->shard[i + 1] != k->shard[i]))
            posix_fadvise(k->fd[k->shard[i]], 0, 0, POSIX_FADV_DONTNEED);
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

static cache *cache_new(const char *dir, int pieces, unsigned shards) {
    cache *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    snprintf(k->dir, sizeof k->dir, "%s", dir);
    k->n_shards = (int)shards;
    k->fd = malloc(shards * sizeof *k->fd);
    k->shard_tokens = calloc(shards, sizeof *k->shard_tokens);
    k->shard = calloc((size_t)pieces, sizeof *k->shard);
    k->off = calloc((size_t)pieces, sizeof *k->off);
    k->crc = calloc((size_t)pieces, sizeof *k->crc);
    if (k->fd) for (unsigned s = 0; s < shards; s++) k->fd[s] = -1;
    if (k->fd && k->shard_tokens && k->shard && k->off && k->crc) return k;
    free(k->fd); free(k->shard_tokens); free(k->shard); free(k->off); free(k->crc); free(k);
    return NULL;
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
    cache *k = cache_new(dir, pieces, shards);
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
    allow_files((int)shards);
    for (unsigned s = 0; rc == 0 && s < shards; s++) rc = open_shard(k, dir, s, err, errlen);
    if (rc == 0 && split_pieces(c, o)) { snprintf(err, errlen, "out of memory"); rc = -1; }
    if (rc == 0) rc = check_pieces(c, k, !o->on_demand, err, errlen);
    return rc;
}

int cn_tokcache_load(const char *dir, const cn_corpus_opts *o, cn_corpus *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    if (o->test_dir) { snprintf(err, errlen, "%s: a token cache cannot take --test-dir (cache the test set into the split)", dir); return -1; }
    if (load_checked(dir, o, c, err, errlen)) { cn_corpus_free(c); return -1; }
    if (!o->on_demand) {   /* the tokens are in memory: the shards are no longer needed */
        cache *k = c->cache;
        for (int s = 0; s < k->n_shards; s++) { close(k->fd[s]); k->fd[s] = -1; }
    }
    return 0;
}
