/* tokcache.c: the tokenised corpus cache (see tokcache.h). The writer reads one file at a
 * time, so that writing a cache never holds the corpus in memory either. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomicfile.h"
#include "bytebuf.h"
#include "crc32.h"
#include "midi.h"
#include "tokcache.h"
#include "tokens.h"

_Static_assert(sizeof(int) == 4, "the cache stores tokens as 32-bit ints, mapped as int");

#define SHARD_MAGIC "CNTOKSH1"
#define SHARD_HEAD 16   /* magic, version, shard number: keeps the tokens 4-byte aligned */

typedef struct { int n; void **base; size_t *len; } mapping;

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
    cn_afile shard, index;
    int shard_open;
    unsigned n_shards;
    uint64_t in_shard, shard_cap;
    cn_bytebuf text;                         /* the index's piece lines, a C string */
    int pieces, listed, skipped;
    uint64_t tokens;
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
    w->tokens += n;
    w->pieces++;
    return text_add(w, line);
}

/* One MIDI file: read, encode as the trainer does, add; a bad file is skipped with its message. */
static int add_file(writer *w, const char *path, FILE *log) {
    cn_midi_opts mo = cn_midi_opts_default();
    char msg[512];
    cn_song song;
    w->listed++;
    if (cn_midi_read(path, &mo, &song, msg, sizeof msg)) {
        if (log) fprintf(log, "skipped %s\n", msg);
        w->skipped++;
        cn_song_free(&song);
        return 0;
    }
    if (song.n_notes == 0) {
        if (log) fprintf(log, "skipped %s: no notes\n", path);
        w->skipped++;
        cn_song_free(&song);
        return 0;
    }
    int *tok = NULL;
    size_t n = 0;
    int rc = cn_ev_encode(&song, 0, &tok, &n);
    cn_song_free(&song);
    if (rc) { snprintf(w->err, w->errlen, "%s: out of memory while encoding", path); return -1; }
    rc = add_piece(w, path, tok, n);
    free(tok);
    return rc;
}

static int add_listed(writer *w, const char *path, FILE *log) {
    char **found = NULL;
    int n = cn_midi_list(path, &found, w->err, w->errlen);
    if (n < 0) return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) rc = add_file(w, found[i], log);
    cn_midi_list_free(found, n);
    return rc;
}

/* As the corpus reads them: folders and files in order, "@FILE" one path a line ('#' comments). */
static int add_arg(writer *w, const char *arg, FILE *log) {
    if (arg[0] != '@') return add_listed(w, arg, log);
    FILE *f = fopen(arg + 1, "r");
    if (!f) { snprintf(w->err, w->errlen, "%s: cannot read the file list: %s", arg + 1, strerror(errno)); return -1; }
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        line[len] = 0;
        if (len == 0 || line[0] == '#') continue;
        rc = add_listed(w, line, log);
    }
    fclose(f);
    return rc;
}

static int write_index(writer *w) {
    char p[4200], head[256];
    snprintf(p, sizeof p, "%s/" CN_TOKCACHE_INDEX, w->dir);
    snprintf(head, sizeof head, "continuo-tokens cache v1 encoding event pieces %d shards %u listed %d skipped %d\n",
             w->pieces, w->n_shards, w->listed, w->skipped);
    if (cn_afile_open(&w->index, p, w->err, w->errlen)) return -1;
    uint32_t crc = cn_crc32(cn_crc32(0, head, strlen(head)), w->text.p ? (const char *)w->text.p : "", w->text.n);
    fputs(head, w->index.f);
    if (w->text.p) fputs((const char *)w->text.p, w->index.f);
    fprintf(w->index.f, "crc %08x\n", (unsigned)crc);
    return cn_afile_commit(&w->index, w->err, w->errlen);
}

int cn_tokcache_write(const char *dir, const char *const *paths, int n_paths, uint32_t shard_tokens,
                      FILE *log, char *err, size_t errlen) {
    if (mkdir(dir, 0777) && errno != EEXIST) { snprintf(err, errlen, "%s: cannot create the cache folder: %s", dir, strerror(errno)); return -1; }
    /* no index until every shard is written: a cache cut short is no cache */
    char p[4200];
    snprintf(p, sizeof p, "%s/" CN_TOKCACHE_INDEX, dir);
    if (unlink(p) && errno != ENOENT) { snprintf(err, errlen, "%s: cannot replace: %s", p, strerror(errno)); return -1; }
    writer w;
    memset(&w, 0, sizeof w);
    w.dir = dir; w.err = err; w.errlen = errlen;
    w.shard_cap = shard_tokens ? shard_tokens : CN_TOKCACHE_SHARD_TOKENS;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n_paths; i++) rc = add_arg(&w, paths[i], log);
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

static int map_shard(const char *dir, unsigned s, mapping *mp, char *err, size_t errlen) {
    char p[4200];
    shard_path(dir, s, p, sizeof p);
    int fd = open(p, O_RDONLY);
    if (fd < 0) { snprintf(err, errlen, "%s: cannot read: %s", p, strerror(errno)); return -1; }
    struct stat st;
    void *base = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size >= SHARD_HEAD)
        base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) { snprintf(err, errlen, "%s: not a token shard (too short, or cannot be mapped)", p); return -1; }
    uint32_t head[2];
    memcpy(head, (const char *)base + 8, sizeof head);
    if (memcmp(base, SHARD_MAGIC, 8) != 0 || head[0] != 1 || head[1] != s) {
        munmap(base, (size_t)st.st_size);
        snprintf(err, errlen, "%s: not shard %u of a continuo-tokens cache (wrong header)", p, s);
        return -1;
    }
    mp->base[s] = base; mp->len[s] = (size_t)st.st_size;
    return 0;
}

void cn_tokcache_release(cn_corpus *c) {
    mapping *mp = c->cache;
    if (!mp) return;
    for (int i = 0; i < c->n_pieces; i++) if (c->pieces[i].tok) c->pieces[i].tok[0] = NULL;   /* not malloc'd */
    for (int s = 0; s < mp->n; s++) if (mp->base[s]) munmap(mp->base[s], mp->len[s]);
    free(mp->base); free(mp->len); free(mp);
    c->cache = NULL;
}

/* The index's piece lines into c's pieces, each checked against its shard. */
static int load_pieces(const char *dir, const char *ipath, char *body, mapping *mp, cn_corpus *c, char *err, size_t errlen) {
    int rc = 0, last_shard = -1;
    char *line = body;
    for (int i = 0; rc == 0 && i < c->n_pieces; i++) {
        char *nl = strchr(line, '\n');
        unsigned shard, crc;
        unsigned long long off, n;
        int used = 0;
        if (!nl || (*nl = 0, sscanf(line, "%u %llu %llu %x %n", &shard, &off, &n, &crc, &used) != 4) || !used ||
            (int)shard >= mp->n) {
            snprintf(err, errlen, "%s: piece line %d is damaged", ipath, i + 1);
            rc = -1; break;
        }
        if ((int)shard != last_shard) {   /* the previous shard is checked: give its pages back */
            if (last_shard >= 0) madvise(mp->base[last_shard], mp->len[last_shard], MADV_DONTNEED);
            if (!mp->base[shard] && map_shard(dir, shard, mp, err, errlen)) { rc = -1; break; }
            last_shard = (int)shard;
        }
        cn_piece *p = &c->pieces[i];
        size_t have = (mp->len[shard] - SHARD_HEAD) / sizeof(int);
        p->path = strdup(line + used);
        p->n_var = 1; p->var_lo = 0;
        p->tok = calloc(1, sizeof *p->tok);
        p->n_tok = calloc(1, sizeof *p->n_tok);
        if (!p->path || !p->tok || !p->n_tok) { snprintf(err, errlen, "out of memory"); rc = -1; break; }
        char sp[4200];
        shard_path(dir, shard, sp, sizeof sp);
        if (off > have || n > have - off) { snprintf(err, errlen, "%s: shorter than the index says (%s)", sp, p->path); rc = -1; break; }
        p->tok[0] = (int *)((char *)mp->base[shard] + SHARD_HEAD) + off;
        p->n_tok[0] = (size_t)n;
        if (cn_crc32(0, p->tok[0], (size_t)n * sizeof(int)) != crc) {
            snprintf(err, errlen, "%s: the tokens of %s fail their checksum: the cache is damaged; write it again with continuo-tokens --cache", sp, p->path);
            rc = -1; break;
        }
        for (size_t k = 0; k < (size_t)n; k++)
            if (p->tok[0][k] < 0 || p->tok[0][k] >= CN_EV_VOCAB) { snprintf(err, errlen, "%s: %s holds a token outside the vocabulary", sp, p->path); rc = -1; break; }
        line = nl + 1;
    }
    if (last_shard >= 0) madvise(mp->base[last_shard], mp->len[last_shard], MADV_DONTNEED);
    return rc;
}

int cn_tokcache_load(const char *dir, const cn_corpus_opts *o, cn_corpus *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    if (o->enc != CN_ENC_EVENT) { snprintf(err, errlen, "%s: a token cache holds the event encoding only (not --encoding %s)", dir, cn_encoding_name(o->enc)); return -1; }
    if (o->test_dir) { snprintf(err, errlen, "%s: a token cache cannot take --test-dir (cache the test set into the split)", dir); return -1; }
    char ipath[4200];
    snprintf(ipath, sizeof ipath, "%s/" CN_TOKCACHE_INDEX, dir);
    size_t len = 0;
    char *text = read_all(ipath, &len, err, errlen);
    if (!text) return -1;
    /* the last line is the CRC of everything before it */
    char *crc_line = len >= 2 ? text + len - 2 : text;
    while (crc_line > text && crc_line[-1] != '\n') crc_line--;
    unsigned want;
    int pieces, listed, skipped;
    unsigned shards;
    int used = 0;
    if (sscanf(crc_line, "crc %x", &want) != 1 || cn_crc32(0, text, (size_t)(crc_line - text)) != want ||
        sscanf(text, "continuo-tokens cache v1 encoding event pieces %d shards %u listed %d skipped %d\n%n",
               &pieces, &shards, &listed, &skipped, &used) != 4 || !used || pieces < 1 || shards < 1 || shards > 1000000) {
        snprintf(err, errlen, "%s: not a continuo-tokens cache index, or damaged (checksum)", ipath);
        free(text);
        return -1;
    }
    mapping *mp = calloc(1, sizeof *mp);
    c->pieces = calloc((size_t)pieces, sizeof *c->pieces);
    if (mp) { mp->n = (int)shards; mp->base = calloc(shards, sizeof *mp->base); mp->len = calloc(shards, sizeof *mp->len); }
    if (!mp || !mp->base || !mp->len || !c->pieces) {
        if (mp) { free(mp->base); free(mp->len); free(mp); }
        free(c->pieces); c->pieces = NULL; free(text);
        snprintf(err, errlen, "out of memory for %d pieces", pieces);
        return -1;
    }
    c->cache = mp;
    c->enc = CN_ENC_EVENT;
    c->vocab_size = CN_EV_VOCAB;
    c->n_pieces = pieces;
    c->n_listed = listed; c->n_skipped = skipped;
    int rc = load_pieces(dir, ipath, text + used, mp, c, err, errlen);
    free(text);
    if (rc) { cn_corpus_free(c); return -1; }
    int *split = malloc((size_t)pieces * sizeof *split);
    if (!split) { cn_corpus_free(c); snprintf(err, errlen, "out of memory"); return -1; }
    cn_split_assign(pieces, o->ratio, o->seed, 0, split);
    unsigned char seen[CN_EV_VOCAB];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < pieces; i++) {
        cn_piece *p = &c->pieces[i];
        p->split = split[i];
        c->tokens[p->split] += p->n_tok[0];
        c->pieces_in[p->split]++;
    }
    free(split);
    /* coverage, as the corpus report gives it: one more pass over the training tokens */
    for (int i = 0; i < pieces; i++) {
        const cn_piece *p = &c->pieces[i];
        if (p->split != CN_SPLIT_TRAIN) continue;
        for (size_t k = 0; k < p->n_tok[0]; k++) seen[p->tok[0][k]] = 1;
    }
    for (int s = 0; s < mp->n; s++) if (mp->base[s]) madvise(mp->base[s], mp->len[s], MADV_DONTNEED);
    for (int v = 0; v < CN_EV_VOCAB; v++) c->seen_in_train += seen[v];
    return 0;
}
