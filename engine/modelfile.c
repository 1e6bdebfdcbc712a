/* modelfile.c: reading and writing the model file (.cnm), and finding the default model.
 *
 * Layout, version 1. All integers are little-endian; a "str" is a u32 byte count followed
 * by that many bytes (no terminating NUL, no NUL inside).
 *
 *   offset 0   8 bytes  magic "CNTMODEL"
 *   offset 8   u32      version (1)
 *   offset 12  u64      total file length in bytes, the trailing checksum included
 *   offset 20  str      architecture spec, as cn_model.spec_text ("lstm:256,lstm:256", ...)
 *              str      encoding name: "event", "paper" or "note"
 *              u32      number of vocabulary words W, then W x str
 *                       (paper: W = V, words[0] = "<unk>", the rest sorted;
 *                        event: W = 0, its vocabulary is fixed at CN_EV_VOCAB;
 *                        note: W = 0, fixed at CN_NT_VOCAB)
 *              u32      vocabulary size V
 *              u32      number of metadata pairs M, then M x (str key, str value)
 *              u32      number of tensors N, then N x:
 *                         str name; u32 ndim (1..3); ndim x u32 shape;
 *                         u32 dtype (0 = float32, 1 = float16); the elements in that dtype
 *   end - 4    u32      CRC-32 (zlib's) of every byte before it
 *
 * Loading checks, in this order, before anything is built: the magic, the version, the
 * length against the file's size (truncation), the checksum; then every count and length
 * against the bytes that remain (a crafted file with a valid checksum is still never trusted);
 * the encoding; the spec; then it builds the model from the spec and requires the file's
 * tensors to be exactly the model's, by name and shape, with finite values.
 * Saving goes through atomicfile.h: PATH is either the old file or the new one, never a
 * half-written one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomicfile.h"
#include "bytebuf.h"
#include "crc32.h"
#include "half.h"
#include "modelfile.h"
#include "tokens.h"

#define HEADER_BYTES   20                     /* magic, version, total length */
#define MAX_FILE_BYTES (1024ull * 1024 * 1024)  /* refuse to read more than 1 GiB */
#define MAX_WORD_BYTES 1024
#define MAX_VOCAB      (1 << 24)
#define MAX_KEY_BYTES  256
#define MAX_VAL_BYTES  65536
#define DTYPE_F32 0
#define DTYPE_F16 1

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The encoding names as the file spells them. Kept here rather than borrowed from the
 * tokenizer so that the file format owns its own spelling. */
static const char *encoding_file_name(cn_encoding e) {
    switch (e) {
    case CN_ENC_EVENT: return "event";
    case CN_ENC_PAPER: return "paper";
    case CN_ENC_NOTE: return "note";
    }
    return NULL;
}
static int encoding_from_file_name(const char *s, cn_encoding *out) {
    if (strcmp(s, "event") == 0) { *out = CN_ENC_EVENT; return 0; }
    if (strcmp(s, "paper") == 0) { *out = CN_ENC_PAPER; return 0; }
    if (strcmp(s, "note") == 0) { *out = CN_ENC_NOTE; return 0; }
    return -1;
}

/* ---------------------------------------------------------------- reading */

/* A cursor over the checked body; every read is bounds-checked against end. */
typedef struct {
    const uint8_t *p;
    size_t pos, end;
    const char *name;
    char *err; size_t errlen;
} reader;

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

static int rd_u32(reader *r, uint32_t *v, const char *what) {
    if (r->end - r->pos < 4) {
        set_err(r->err, r->errlen, "%s: corrupt: %s runs past the end of the file", r->name, what);
        return -1;
    }
    *v = get_u32(r->p + r->pos);
    r->pos += 4;
    return 0;
}

/* A str of at most maxlen bytes: points *s at it (not NUL-terminated), *n its length. */
static int rd_span(reader *r, const uint8_t **s, uint32_t *n, uint32_t maxlen, const char *what) {
    if (rd_u32(r, n, what)) return -1;
    if (*n > maxlen) {
        set_err(r->err, r->errlen, "%s: corrupt: %s is %u bytes long (at most %u)", r->name, what, *n, maxlen);
        return -1;
    }
    if (r->end - r->pos < *n) {
        set_err(r->err, r->errlen, "%s: corrupt: %s runs past the end of the file", r->name, what);
        return -1;
    }
    *s = r->p + r->pos;
    if (memchr(*s, 0, *n)) {
        set_err(r->err, r->errlen, "%s: corrupt: %s holds a NUL byte", r->name, what);
        return -1;
    }
    r->pos += *n;
    return 0;
}

/* A str copied into dst[cap] (so at most cap-1 bytes), NUL-terminated. */
static int rd_str(reader *r, char *dst, size_t cap, const char *what) {
    const uint8_t *s; uint32_t n;
    if (rd_span(r, &s, &n, (uint32_t)(cap - 1), what)) return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

static char *rd_strdup(reader *r, uint32_t maxlen, const char *what) {
    const uint8_t *s; uint32_t n;
    if (rd_span(r, &s, &n, maxlen, what)) return NULL;
    char *d = malloc((size_t)n + 1);
    if (!d) { set_err(r->err, r->errlen, "%s: out of memory", r->name); return NULL; }
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* Copy text for an error message, replacing bytes that are not printable ASCII. */
static void printable(const char *s, char *out, size_t cap) {
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) out[i] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
    out[i] = 0;
}

static void shape_text(const int *shape, int ndim, char *out, size_t cap) {
    size_t k = 0;
    out[0] = 0;
    for (int d = 0; d < ndim && k < cap; d++) {
        int w = snprintf(out + k, cap - k, "[%d]", shape[d]);
        if (w < 0) break;
        k += (size_t)w;
    }
}

/* Paper vocabulary as cn_vocab_lookup needs it: "<unk>" first, the rest strictly sorted. */
static int check_paper_words(const cn_vocab *w, const char *name, char *err, size_t errlen) {
    if (w->n < 1 || strcmp(w->names[0], "<unk>") != 0) {
        set_err(err, errlen, "%s: corrupt: the paper vocabulary does not start with <unk>", name);
        return -1;
    }
    for (int i = 2; i < w->n; i++)
        if (strcmp(w->names[i - 1], w->names[i]) >= 0) {
            set_err(err, errlen, "%s: corrupt: the paper vocabulary is not sorted at word %d", name, i);
            return -1;
        }
    return 0;
}

/* The magic, the version, the length and the checksum, before anything inside is believed. */
static int check_header(const uint8_t *buf, size_t len, const char *name, uint32_t *version, char *err, size_t errlen) {
    const size_t magic_len = sizeof CN_MODEL_MAGIC - 1;
    if (len < magic_len) {
        if (memcmp(buf, CN_MODEL_MAGIC, len) == 0)
            set_err(err, errlen, "%s: truncated (%zu bytes, a model file is at least %d)", name, len, HEADER_BYTES + 4);
        else
            set_err(err, errlen, "%s: not a continuo model file (wrong magic)", name);
        return -1;
    }
    if (memcmp(buf, CN_MODEL_MAGIC, magic_len) != 0) {
        set_err(err, errlen, "%s: not a continuo model file (wrong magic)", name);
        return -1;
    }
    if (len < HEADER_BYTES + 4) {
        set_err(err, errlen, "%s: truncated (%zu bytes, a model file is at least %d)", name, len, HEADER_BYTES + 4);
        return -1;
    }
    *version = get_u32(buf + 8);
    if (*version != CN_MODEL_VERSION) {
        set_err(err, errlen, "%s: unsupported model file version %u (this program reads version %d)",
                name, *version, CN_MODEL_VERSION);
        return -1;
    }
    uint64_t total = get_u64(buf + 12);
    if (total > len) {
        set_err(err, errlen, "%s: truncated (%zu of %llu bytes)", name, len, (unsigned long long)total);
        return -1;
    }
    if (total < len) {
        set_err(err, errlen, "%s: corrupt: %zu bytes, but the header says %llu", name, len, (unsigned long long)total);
        return -1;
    }
    uint32_t stored = get_u32(buf + len - 4), actual = cn_crc32(0, buf, len - 4);
    if (stored != actual) {
        set_err(err, errlen, "%s: checksum mismatch (stored %08x, computed %08x): the file is corrupt",
                name, stored, actual);
        return -1;
    }
    return 0;
}

/* The encoding, the paper words and the vocabulary size, each checked against the encoding. */
static int read_vocab(reader *r, cn_encoding *enc, cn_vocab *words, uint32_t *V) {
    char enc_name[32], shown[96];
    uint32_t n_words;
    if (rd_str(r, enc_name, sizeof enc_name, "the encoding name")) return -1;
    if (encoding_from_file_name(enc_name, enc) != 0) {
        printable(enc_name, shown, sizeof shown);
        return set_err(r->err, r->errlen, "%s: unknown encoding '%s'", r->name, shown), -1;
    }
    if (rd_u32(r, &n_words, "the vocabulary count")) return -1;
    if (n_words > MAX_VOCAB || n_words > (r->end - r->pos) / 4)   /* each word takes >= 4 bytes */
        return set_err(r->err, r->errlen, "%s: corrupt: %u vocabulary words cannot fit in the file", r->name, n_words), -1;
    if (n_words) {
        words->names = calloc(n_words, sizeof *words->names);
        if (!words->names) return set_err(r->err, r->errlen, "%s: out of memory", r->name), -1;
        for (uint32_t i = 0; i < n_words; i++) {
            if (!(words->names[i] = rd_strdup(r, MAX_WORD_BYTES, "a vocabulary word"))) return -1;
            words->n = (int)i + 1;
        }
    }
    if (rd_u32(r, V, "the vocabulary size")) return -1;
    if (*V < 1 || *V > MAX_VOCAB) return set_err(r->err, r->errlen, "%s: corrupt: vocabulary size %u", r->name, *V), -1;
    int fixed = *enc == CN_ENC_EVENT ? CN_EV_VOCAB : *enc == CN_ENC_NOTE ? CN_NT_VOCAB : 0;
    if (fixed && (*V != (uint32_t)fixed || n_words != 0))
        return set_err(r->err, r->errlen, "%s: the %s encoding has %d tokens, but the file says V=%u with %u words",
                       r->name, *enc == CN_ENC_EVENT ? "event" : "note", fixed, *V, n_words), -1;
    if (*enc == CN_ENC_PAPER) {
        if (n_words != *V)
            return set_err(r->err, r->errlen, "%s: the paper vocabulary has %u words, but V=%u", r->name, n_words, *V), -1;
        if (check_paper_words(words, r->name, r->err, r->errlen)) return -1;
    }
    return 0;
}

/* The metadata's key/value pairs. */
static int read_meta(reader *r, cn_meta *meta) {
    uint32_t n_meta;
    if (rd_u32(r, &n_meta, "the metadata count")) return -1;
    if (n_meta > CN_META_MAX)
        return set_err(r->err, r->errlen, "%s: corrupt: %u metadata pairs (at most %d)", r->name, n_meta, CN_META_MAX), -1;
    for (uint32_t i = 0; i < n_meta; i++) {
        char *k = rd_strdup(r, MAX_KEY_BYTES, "a metadata key");
        if (!k) return -1;
        char *v = rd_strdup(r, MAX_VAL_BYTES, "a metadata value");
        int bad = !v || cn_meta_set(meta, k, v) != 0;
        if (v && bad) set_err(r->err, r->errlen, "%s: out of memory", r->name);
        free(k); free(v);
        if (bad) return -1;
    }
    return 0;
}

/* The model the spec builds at V, once the file is known to be able to hold its weights: each
 * takes at least two bytes (float16), so a spec far bigger than the file is refused before
 * allocating. shown: the spec, printable, for messages. */
static cn_model *build_model(reader *r, const char *spec_text, uint32_t V, const char *shown) {
    cn_spec spec;
    char why[200];
    if (cn_spec_parse(spec_text, &spec, why, sizeof why) != 0)
        return set_err(r->err, r->errlen, "%s: bad spec '%s': %s", r->name, shown, why), NULL;
    size_t need = cn_model_spec_elements(spec_text, (int)V);
    if (need && need > (r->end - r->pos) / 2)
        return set_err(r->err, r->errlen, "%s: spec '%s' with V=%u has %zu weights, but the file holds only %zu bytes of "
                       "tensors (shape mismatch or truncated)", r->name, shown, V, need, r->end - r->pos), NULL;
    cn_model *m = cn_model_new(spec_text, (int)V, 0, why, sizeof why);
    if (!m) set_err(r->err, r->errlen, "%s: cannot build spec '%s' with V=%u: %s", r->name, shown, V, why);
    return m;
}

/* One tensor's header: its name (printable into tshown), rank and shape, which must be the
 * spec's; the model's tensor, or NULL with err. */
static const cn_tensor *read_tensor_head(reader *r, const cn_model *m, const char *shown, char *tshown, size_t tlen) {
    char tname[sizeof ((cn_tensor *)0)->name];
    uint32_t ndim, dim;
    int shape[3] = { 0, 0, 0 };
    if (rd_str(r, tname, sizeof tname, "a tensor name")) return NULL;
    printable(tname, tshown, tlen);
    if (rd_u32(r, &ndim, "a tensor's rank")) return NULL;
    if (ndim < 1 || ndim > 3)
        return set_err(r->err, r->errlen, "%s: corrupt: tensor %s has rank %u", r->name, tshown, ndim), NULL;
    for (uint32_t d = 0; d < ndim; d++) {
        if (rd_u32(r, &dim, "a tensor's shape")) return NULL;
        if (dim > (uint32_t)INT_MAX)
            return set_err(r->err, r->errlen, "%s: corrupt: tensor %s has dimension %u", r->name, tshown, dim), NULL;
        shape[d] = (int)dim;
    }
    const cn_tensor *t = cn_model_tensor(m, tname);
    if (!t)
        return set_err(r->err, r->errlen, "%s: tensor %s is not part of spec '%s' (shape mismatch)", r->name, tshown,
                       shown), NULL;
    if ((int)ndim != t->ndim || memcmp(shape, t->shape, ndim * sizeof(int)) != 0) {
        char fs[48], ms[48];
        shape_text(shape, (int)ndim, fs, sizeof fs);
        shape_text(t->shape, t->ndim, ms, sizeof ms);
        return set_err(r->err, r->errlen, "%s: tensor %s is %s in the file but %s in spec '%s' (shape mismatch)",
                       r->name, tshown, fs, ms, shown), NULL;
    }
    return t;
}

/* One tensor's values into the model: float32 or float16, every one finite, a variance never
 * negative (1/sqrt(var + eps) would be NaN). The dtype read goes to *dtype. */
static int read_tensor_data(reader *r, cn_model *m, const cn_tensor *t, const char *tshown, uint32_t *dtype) {
    if (rd_u32(r, dtype, "a tensor's dtype")) return -1;
    if (*dtype != DTYPE_F32 && *dtype != DTYPE_F16)
        return set_err(r->err, r->errlen, "%s: corrupt: tensor %s has unknown dtype %u", r->name, tshown, *dtype), -1;
    size_t esz = *dtype == DTYPE_F32 ? 4 : 2;
    if ((r->end - r->pos) / esz < t->size)
        return set_err(r->err, r->errlen, "%s: corrupt: tensor %s runs past the end of the file", r->name, tshown), -1;
    const uint8_t *src = r->p + r->pos;
    float *dst = m->params + t->offset;
    size_t nl = strlen(t->name);
    int is_var = nl >= 12 && strcmp(t->name + nl - 12, ".running_var") == 0;
    for (size_t i = 0; i < t->size; i++) {
        float f;
        if (*dtype == DTYPE_F32) { uint32_t u = get_u32(src + 4 * i); memcpy(&f, &u, 4); }
        else f = cn_f16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        if (!isfinite(f))
            return set_err(r->err, r->errlen, "%s: tensor %s holds %s", r->name, tshown, isnan(f) ? "NaN" : "Inf"), -1;
        if (is_var && f < 0)
            return set_err(r->err, r->errlen, "%s: tensor %s holds a negative variance (%g)", r->name, tshown,
                           (double)f), -1;
        dst[i] = f;
    }
    r->pos += t->size * esz;
    return 0;
}

/* Every tensor of the spec, once each, and nothing after them. */
static int read_tensors(reader *r, cn_model *m, const char *shown, cn_model_file_stats *st) {
    uint32_t n_tensors;
    if (rd_u32(r, &n_tensors, "the tensor count")) return -1;
    if (n_tensors > CN_MAX_TENSORS)
        return set_err(r->err, r->errlen, "%s: corrupt: %u tensors (at most %d)", r->name, n_tensors, CN_MAX_TENSORS), -1;
    uint64_t seen = 0;   /* bit i: model tensor i was in the file */
    for (uint32_t ti = 0; ti < n_tensors; ti++) {
        char tshown[64];
        uint32_t dtype;
        const cn_tensor *t = read_tensor_head(r, m, shown, tshown, sizeof tshown);
        if (!t) return -1;
        int idx = (int)(t - m->tensors);
        if (seen >> idx & 1) return set_err(r->err, r->errlen, "%s: corrupt: tensor %s appears twice", r->name, tshown), -1;
        seen |= 1ull << idx;
        if (read_tensor_data(r, m, t, tshown, &dtype)) return -1;
        if (st && idx < CN_MAX_TENSORS) st->dtype[idx] = (uint8_t)dtype;
        if (st) { if (dtype == DTYPE_F32) st->n_f32++; else st->n_f16++; }
    }
    for (int i = 0; i < m->n_tensors; i++)
        if (!(seen >> i & 1))
            return set_err(r->err, r->errlen, "%s: tensor %s of spec '%s' is missing from the file (shape mismatch)",
                           r->name, m->tensors[i].name, shown), -1;
    if (r->pos != r->end)
        return set_err(r->err, r->errlen, "%s: corrupt: %zu unexpected bytes after the tensors", r->name,
                       r->end - r->pos), -1;
    return 0;
}

/* The whole file: the header, then the body in its order (spec, vocabulary, metadata, tensors). */
static cn_model *load_impl(const uint8_t *buf, size_t len, const char *name, cn_model_file_stats *st,
                           char *err, size_t errlen) {
    uint32_t version, V;
    if (check_header(buf, len, name, &version, err, errlen)) return NULL;
    reader r = { buf, HEADER_BYTES, len - 4, name, err, errlen };
    char spec_text[sizeof ((cn_model *)0)->spec_text], shown[96];
    cn_vocab words = { NULL, 0 };
    cn_meta meta = { .n = 0 };
    cn_model *m = NULL;
    cn_encoding enc;
    if (rd_str(&r, spec_text, sizeof spec_text, "the spec") || read_vocab(&r, &enc, &words, &V) || read_meta(&r, &meta))
        goto fail;
    printable(spec_text, shown, sizeof shown);
    if (!(m = build_model(&r, spec_text, V, shown)) || read_tensors(&r, m, shown, st)) goto fail;
    m->encoding = enc;
    m->words = words;
    m->meta = meta;
    if (st) { st->version = version; st->file_bytes = len; }
    return m;
fail:
    cn_vocab_free(&words);
    cn_meta_free(&meta);
    cn_model_free(m);
    return NULL;
}

cn_model *cn_model_load_mem(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen) {
    return load_impl(buf, len, name, NULL, err, errlen);
}

/* The whole file into memory, refusing anything that is not a regular file or is too big. */
static uint8_t *read_file(const char *path, size_t *len, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { set_err(err, errlen, "%s: %s", path, strerror(errno)); return NULL; }
    struct stat sb;
    if (fstat(fd, &sb) != 0) { set_err(err, errlen, "%s: %s", path, strerror(errno)); close(fd); return NULL; }
    if (!S_ISREG(sb.st_mode)) { set_err(err, errlen, "%s: not a regular file", path); close(fd); return NULL; }
    if ((unsigned long long)sb.st_size > MAX_FILE_BYTES) {
        set_err(err, errlen, "%s: too large for a model file (%lld bytes, the limit is 1 GiB)", path,
                (long long)sb.st_size);
        close(fd);
        return NULL;
    }
    size_t cap = (size_t)sb.st_size, n = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) { set_err(err, errlen, "%s: out of memory", path); close(fd); return NULL; }
    while (n < cap) {   /* the file may shrink while we read: take what is there */
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { set_err(err, errlen, "%s: %s", path, strerror(errno)); free(buf); close(fd); return NULL; }
        if (k == 0) break;
        n += (size_t)k;
    }
    close(fd);
    *len = n;
    return buf;
}

cn_model *cn_model_load_stats(const char *path, cn_model_file_stats *st, char *err, size_t errlen) {
    if (st) memset(st, 0, sizeof *st);
    size_t len;
    uint8_t *buf = read_file(path, &len, err, errlen);
    if (!buf) return NULL;
    cn_model *m = load_impl(buf, len, path, st, err, errlen);
    free(buf);
    return m;
}

cn_model *cn_model_load(const char *path, char *err, size_t errlen) {
    return cn_model_load_stats(path, NULL, err, errlen);
}

/* ---------------------------------------------------------------- writing */

/* The file is built in memory: its length and CRC go in before it is written. */
static void wr_u32(cn_bytebuf *w, uint32_t v) {
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    cn_bytebuf_put(w, b, 4);
}
static void wr_str(cn_bytebuf *w, const char *s) {
    size_t n = strlen(s);
    wr_u32(w, (uint32_t)n);
    cn_bytebuf_put(w, s, n);
}

/* float16 only when every value survives narrowing without overflow; else float32. */
static int tensor_fits_half(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > CN_HALF_MAX) return 0;
    return 1;
}

/* The model as file bytes, after checking it is something load would accept. */
static int serialise(const cn_model *m, int half, cn_bytebuf *w, const char *path, char *err, size_t errlen) {
    const char *enc = encoding_file_name(m->encoding);
    if (!enc) {
        set_err(err, errlen, "%s: the model has an unknown encoding (%d); not saved", path, (int)m->encoding);
        return -1;
    }
    if (m->encoding == CN_ENC_EVENT && m->vocab != CN_EV_VOCAB) {
        set_err(err, errlen, "%s: an event model needs V=%d, this one has V=%d; not saved", path, CN_EV_VOCAB, m->vocab);
        return -1;
    }
    if (m->encoding == CN_ENC_NOTE && m->vocab != CN_NT_VOCAB) {
        set_err(err, errlen, "%s: a note model needs V=%d, this one has V=%d; not saved", path, CN_NT_VOCAB, m->vocab);
        return -1;
    }
    if (m->encoding == CN_ENC_PAPER && m->words.n != m->vocab) {
        set_err(err, errlen, "%s: the paper vocabulary has %d words but V=%d; not saved", path, m->words.n, m->vocab);
        return -1;
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const cn_tensor *t = &m->tensors[i];
        for (size_t k = 0; k < t->size; k++)
            if (!isfinite(m->params[t->offset + k])) {
                set_err(err, errlen, "%s: tensor %s holds %s; not saved", path, t->name,
                        isnan(m->params[t->offset + k]) ? "NaN" : "Inf");
                return -1;
            }
    }
    cn_bytebuf_put(w, CN_MODEL_MAGIC, sizeof CN_MODEL_MAGIC - 1);
    wr_u32(w, CN_MODEL_VERSION);
    wr_u32(w, 0); wr_u32(w, 0);          /* total length, patched below */
    wr_str(w, m->spec_text);
    wr_str(w, enc);
    int n_words = m->encoding == CN_ENC_PAPER ? m->words.n : 0;
    wr_u32(w, (uint32_t)n_words);
    for (int i = 0; i < n_words; i++) wr_str(w, m->words.names[i]);
    wr_u32(w, (uint32_t)m->vocab);
    wr_u32(w, (uint32_t)m->meta.n);
    for (int i = 0; i < m->meta.n; i++) { wr_str(w, m->meta.keys[i]); wr_str(w, m->meta.vals[i]); }
    wr_u32(w, (uint32_t)m->n_tensors);
    for (int i = 0; i < m->n_tensors; i++) {
        const cn_tensor *t = &m->tensors[i];
        const float *x = m->params + t->offset;
        wr_str(w, t->name);
        wr_u32(w, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) wr_u32(w, (uint32_t)t->shape[d]);
        int as_half = half && tensor_fits_half(x, t->size);
        wr_u32(w, as_half ? DTYPE_F16 : DTYPE_F32);
        for (size_t k = 0; k < t->size; k++) {
            if (as_half) {
                uint16_t h = cn_f32_to_f16(x[k]);
                uint8_t b[2] = { (uint8_t)h, (uint8_t)(h >> 8) };
                cn_bytebuf_put(w, b, 2);
            } else {
                uint32_t u; memcpy(&u, &x[k], 4);
                wr_u32(w, u);
            }
        }
    }
    if (w->oom) { set_err(err, errlen, "%s: out of memory", path); return -1; }
    uint64_t total = (uint64_t)w->n + 4;
    for (int b = 0; b < 8; b++) w->p[12 + b] = (uint8_t)(total >> (8 * b));
    wr_u32(w, cn_crc32(0, w->p, w->n));
    if (w->oom) { set_err(err, errlen, "%s: out of memory", path); return -1; }
    return 0;
}

int cn_model_to_bytes(const cn_model *m, int half, uint8_t **out, size_t *n, char *err, size_t errlen) {
    cn_bytebuf w = { 0 };
    if (serialise(m, half, &w, "model", err, errlen)) { cn_bytebuf_free(&w); return -1; }
    *out = w.p;
    *n = w.n;
    return 0;
}

int cn_model_save(const char *path, const cn_model *m, int half, char *err, size_t errlen) {
    cn_bytebuf w = { 0 };
    if (serialise(m, half, &w, path, err, errlen)) { cn_bytebuf_free(&w); return -1; }
    int rc = cn_afile_write_bytes(path, w.p, w.n, err, errlen);
    cn_bytebuf_free(&w);
    return rc;
}

/* ---------------------------------------------------------------- default model */

static const char *if_exists(const char *path, char *buf, size_t len) {
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return NULL;
    if (snprintf(buf, len, "%s", path) >= (int)len) return NULL;
    return buf;
}

const char *cn_default_model_in(const char *dir, char *buf, size_t len) {
    char p[4096];
    if (!dir || snprintf(p, sizeof p, "%s%s%s", dir, (*dir && dir[strlen(dir) - 1] == '/') ? "" : "/",
                         CN_DEFAULT_MODEL_NAME) >= (int)sizeof p)
        return NULL;
    return if_exists(p, buf, len);
}

const char *cn_default_model_path(char *buf, size_t len) {
    const char *env = getenv("CONTINUO_MODEL");
    if (env && *env && if_exists(env, buf, len)) return buf;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = 0;   /* exe is now the binary's folder */
    static const char *const rel[] = { "/../presets", "/../share/continuo" };
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s%s", exe, rel[i]);
        if (cn_default_model_in(dir, buf, len)) return buf;
    }
    return NULL;
}
