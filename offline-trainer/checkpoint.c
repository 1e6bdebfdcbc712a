/* checkpoint.c: the trainer's checkpoint file (see checkpoint.h for what it holds).
 * Layout, little-endian: magic "CNTCKPT1", u32 version, the position fields, u32 length +
 * config text, u32 rows + history rows, u64 length + model-file bytes, u32 arrays + (u32
 * name length, name, u64 count, floats) each, and a u32 CRC-32 of everything before it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "atomicfile.h"
#include "checkpoint.h"
#include "crc32.h"
#include "modelfile.h"

#define CKPT_VERSION 1u
#define MAX_CONFIG   (1u << 20)
#define MAX_ROWS     (1u << 24)

typedef struct { FILE *f; uint32_t crc; } ckpt_writer;

static void put(ckpt_writer *w, const void *p, size_t n) {
    if (n == 0) return;
    w->crc = cn_crc32(w->crc, p, n);
    fwrite(p, 1, n, w->f);
}
/* Fixed-width fields are stored in the host's byte order: continuo refuses to run on a
 * big-endian host (checked below), so this is little-endian. */
static void put_u32(ckpt_writer *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(ckpt_writer *w, uint64_t v) { put(w, &v, 8); }
static void put_f64(ckpt_writer *w, double v) { put(w, &v, 8); }

static int host_is_little_endian(void) {
    uint32_t x = 1;
    unsigned char b;
    memcpy(&b, &x, 1);
    return b == 1;
}

static uint8_t *slurp(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: %s", path, strerror(errno)); return NULL; }
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : (1u << 20);
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) { free(buf); fclose(f); snprintf(err, errlen, "%s: out of memory", path); return NULL; }
            buf = nb; cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); snprintf(err, errlen, "%s: read error", path); return NULL; }
    *len = n;
    return buf;
}

int cn_checkpoint_save(const char *path, const cn_model *m, const cn_ckpt_pos *pos, const cn_history *h,
                       const char *config, const cn_ckpt_array *arrays, int n_arrays, char *err, size_t errlen) {
    if (!host_is_little_endian()) { snprintf(err, errlen, "%s: checkpoints need a little-endian host", path); return -1; }
    /* the model goes through the model file's own writer, then its bytes are embedded */
    char merr[512];
    size_t mlen = 0;
    uint8_t *mbytes = NULL;
    if (cn_model_to_bytes(m, 0, &mbytes, &mlen, merr, sizeof merr)) {
        snprintf(err, errlen, "%s: cannot write the checkpoint: %s", path, merr);
        return -1;
    }
    cn_afile a;
    if (cn_afile_open(&a, path, err, errlen)) { free(mbytes); return -1; }
    ckpt_writer w = { a.f, 0 };
    put(&w, CN_CKPT_MAGIC, 8);
    put_u32(&w, CKPT_VERSION);
    put_u32(&w, (uint32_t)pos->epoch);
    put_u64(&w, pos->batch);
    put_u64(&w, pos->step);
    put_u64(&w, pos->rng);
    put_f64(&w, pos->elapsed);
    put_f64(&w, pos->loss_sum);
    put_u64(&w, pos->loss_batches);
    put_f64(&w, pos->best_val);
    put_u32(&w, (uint32_t)pos->best_epoch);
    put_u32(&w, (uint32_t)pos->since_best);
    size_t clen = config ? strlen(config) : 0;
    put_u32(&w, (uint32_t)clen);
    put(&w, config, clen);
    put_u32(&w, (uint32_t)h->n);
    for (int i = 0; i < h->n; i++) {
        const cn_epoch_row *r = &h->rows[i];
        put_u32(&w, (uint32_t)r->epoch);
        put_f64(&w, r->train_loss); put_f64(&w, r->val_loss); put_f64(&w, r->val_acc); put_f64(&w, r->seconds);
    }
    put_u64(&w, (uint64_t)mlen);
    put(&w, mbytes, mlen);
    free(mbytes);
    put_u32(&w, (uint32_t)n_arrays);
    for (int i = 0; i < n_arrays; i++) {
        size_t nl = strnlen(arrays[i].name, sizeof arrays[i].name);
        put_u32(&w, (uint32_t)nl);
        put(&w, arrays[i].name, nl);
        put_u64(&w, (uint64_t)arrays[i].n);
        put(&w, arrays[i].data, arrays[i].n * sizeof(float));
    }
    uint32_t crc = w.crc;
    fwrite(&crc, 1, 4, a.f);
    return cn_afile_commit(&a, err, errlen);
}

/* ---- reading: every size is checked against what is left ---- */

typedef struct { const uint8_t *p; size_t left; } ckpt_reader;

static int get(ckpt_reader *r, void *dst, size_t n) {
    if (n > r->left) return -1;
    memcpy(dst, r->p, n);
    r->p += n; r->left -= n;
    return 0;
}

void cn_checkpoint_free(cn_checkpoint *c) {
    if (c->model) cn_model_free(c->model);
    cn_history_free(&c->history);
    free(c->config);
    for (int i = 0; i < c->n_arrays; i++) free(c->arrays[i].data);
    memset(c, 0, sizeof *c);
}

int cn_checkpoint_load(const char *path, cn_checkpoint *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!host_is_little_endian()) { snprintf(err, errlen, "%s: checkpoints need a little-endian host", path); return -1; }
    size_t len = 0;
    uint8_t *buf = slurp(path, &len, err, errlen);
    if (!buf) return -1;
    const char *why = NULL;
    if (len < 12 || memcmp(buf, CN_CKPT_MAGIC, 8) != 0) why = "not a continuo checkpoint (wrong magic)";
    else {
        uint32_t stored;
        memcpy(&stored, buf + len - 4, 4);
        if (cn_crc32(0, buf, len - 4) != stored) why = "checksum mismatch (truncated or damaged checkpoint)";
    }
    ckpt_reader r = { buf + 8, len >= 12 ? len - 12 : 0 };
    uint32_t version = 0, u = 0, clen = 0, rows = 0, n_arrays = 0;
    uint64_t mlen = 0;
    cn_ckpt_pos *pos = &out->pos;
    if (!why && (get(&r, &version, 4) || version != CKPT_VERSION)) why = "unsupported checkpoint version";
    if (!why) {
        int bad = get(&r, &u, 4); pos->epoch = (int32_t)u;
        bad |= get(&r, &pos->batch, 8) | get(&r, &pos->step, 8) | get(&r, &pos->rng, 8);
        bad |= get(&r, &pos->elapsed, 8) | get(&r, &pos->loss_sum, 8) | get(&r, &pos->loss_batches, 8);
        bad |= get(&r, &pos->best_val, 8);
        bad |= get(&r, &u, 4); pos->best_epoch = (int32_t)u;
        bad |= get(&r, &u, 4); pos->since_best = (int32_t)u;
        if (bad || pos->epoch < 0) why = "truncated position";
    }
    if (!why && (get(&r, &clen, 4) || clen > MAX_CONFIG || clen > r.left)) why = "bad configuration length";
    if (!why) {
        out->config = malloc((size_t)clen + 1);
        if (!out->config) why = "out of memory";
        else { get(&r, out->config, clen); out->config[clen] = 0; }
    }
    if (!why && (get(&r, &rows, 4) || rows > MAX_ROWS || (size_t)rows * 36 > r.left)) why = "bad history length";
    for (uint32_t i = 0; !why && i < rows; i++) {
        cn_epoch_row row;
        get(&r, &u, 4); row.epoch = (int)u;
        get(&r, &row.train_loss, 8); get(&r, &row.val_loss, 8); get(&r, &row.val_acc, 8); get(&r, &row.seconds, 8);
        if (cn_history_add(&out->history, &row)) why = "out of memory";
    }
    if (!why && (get(&r, &mlen, 8) || mlen > r.left)) why = "bad model length";
    if (!why) {
        char merr[512];
        out->model = cn_model_load_mem(r.p, (size_t)mlen, path, merr, sizeof merr);
        if (!out->model) { snprintf(err, errlen, "%s: the embedded model: %s", path, merr); free(buf); cn_checkpoint_free(out); return -1; }
        r.p += mlen; r.left -= (size_t)mlen;
    }
    if (!why && (get(&r, &n_arrays, 4) || n_arrays > CN_CKPT_MAX_ARRAYS)) why = "bad array count";
    for (uint32_t i = 0; !why && i < n_arrays; i++) {
        cn_ckpt_array *a = &out->arrays[i];
        uint32_t nl = 0;
        uint64_t n = 0;
        if (get(&r, &nl, 4) || nl >= sizeof a->name || get(&r, a->name, nl)) { why = "bad array name"; break; }
        a->name[nl] = 0;
        if (get(&r, &n, 8) || n > r.left / sizeof(float)) { why = "bad array length"; break; }
        a->n = (size_t)n;
        a->data = malloc(a->n * sizeof(float) + 1);
        if (!a->data) { why = "out of memory"; break; }
        out->n_arrays++;
        get(&r, a->data, a->n * sizeof(float));
        for (size_t k = 0; k < a->n; k++)
            if (!isfinite(a->data[k])) { why = "NaN or Inf in the optimizer state"; break; }
    }
    if (!why && r.left != 0) why = "trailing bytes";
    free(buf);
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        cn_checkpoint_free(out);
        return -1;
    }
    return 0;
}

const cn_ckpt_array *cn_checkpoint_array(const cn_checkpoint *c, const char *name, size_t n) {
    for (int i = 0; i < c->n_arrays; i++)
        if (strcmp(c->arrays[i].name, name) == 0 && c->arrays[i].n == n) return &c->arrays[i];
    return NULL;
}
