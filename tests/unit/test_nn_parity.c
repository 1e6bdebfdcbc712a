/* test_nn_parity.c: the C neural core against PyTorch, through reference tensors that
 * tests/parity/torch_parity.py wrote (float64 torch, saved as float32) into tests/parity/data/parity_*.bin:
 * same spec, weights, tokens and targets; logits, losses and every gradient, with the loss on
 * every step and on the last step; BatchNorm running statistics after a training forward; and
 * eval-mode logits, which the stream must also reproduce. Runs without torch.
 * Tolerances (float32 C against float64 torch): logits 1e-4 absolute (measured <= 3e-6); loss
 * 1e-5 relative; a gradient element passes when within 1e-3 of its tensor's largest |g| or
 * within 1e-4 + 1e-3 of itself (measured: <= 1e-5 of the largest; the bias of a Dense right
 * before BatchNorm has a true gradient of 0 and comes out at ~1e-5 absolute); BatchNorm
 * running stats 1e-5. */
#include <stdint.h>
#include <stdlib.h>
#include "nn.h"
#include "test.h"

typedef struct { char name[96]; char kind; int ndim, shape[4]; size_t n; void *data; } rec;
typedef struct { rec r[128]; int n; unsigned char *buf; } pfile;

static void pfree(pfile *f) {
    for (int i = 0; i < f->n; i++) free(f->r[i].data);
    free(f->buf);
    f->n = 0; f->buf = NULL;
}

static int rd32(const unsigned char *p) { int v; memcpy(&v, p, 4); return v; }

static int load(const char *path, pfile *f) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f->buf = malloc((size_t)len);
    if (!f->buf || fread(f->buf, 1, (size_t)len, fp) != (size_t)len) { fclose(fp); return -1; }
    fclose(fp);
    if (len < 8 || memcmp(f->buf, "CNPARITY", 8)) return -1;
    size_t o = 8;
    while (o + 4 <= (size_t)len && f->n < 128) {
        rec *r = &f->r[f->n];
        int nl = rd32(f->buf + o); o += 4;
        if (nl <= 0 || nl >= (int)sizeof r->name || o + (size_t)nl + 5 > (size_t)len) return -1;
        memcpy(r->name, f->buf + o, (size_t)nl); r->name[nl] = 0; o += (size_t)nl;
        r->kind = (char)f->buf[o++];
        r->ndim = rd32(f->buf + o); o += 4;
        if (r->ndim < 1 || r->ndim > 4 || o + 4u * r->ndim > (size_t)len) return -1;
        r->n = 1;
        for (int d = 0; d < r->ndim; d++) { r->shape[d] = rd32(f->buf + o); o += 4; r->n *= (size_t)r->shape[d]; }
        size_t bytes = r->kind == 's' ? (size_t)r->shape[0] : r->n * 4;
        if (o + bytes > (size_t)len) return -1;
        r->data = malloc(bytes + 1);   /* a copy: the file's records are not 4-byte aligned */
        if (!r->data) return -1;
        memcpy(r->data, f->buf + o, bytes); o += bytes;
        f->n++;
    }
    return 0;
}

static const rec *get(const pfile *f, const char *name) {
    for (int i = 0; i < f->n; i++) if (strcmp(f->r[i].name, name) == 0) return &f->r[i];
    return NULL;
}

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double d = 0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i]));
    return d;
}

/* Compares every trainable tensor's gradient with prefix.grad.<name>. */
static void check_grads(const pfile *f, const cn_model *m, const float *g, const char *prefix, const char *file) {
    for (int i = 0; i < m->n_tensors; i++) {
        const cn_tensor *t = &m->tensors[i];
        if (!t->trainable) continue;
        char key[128];
        snprintf(key, sizeof key, "%s.grad.%s", prefix, t->name);
        const rec *r = get(f, key);
        CHECKF(r && r->n == t->size, "%s: %s missing or wrong size", file, key);
        if (!r || r->n != t->size) continue;
        const float *ref = r->data, *mine = g + t->offset;
        double mx = 0;
        for (size_t k = 0; k < t->size; k++) mx = fmax(mx, fabs(ref[k]));
        size_t bad = 0;
        for (size_t k = 0; k < t->size; k++) {
            double d = fabs((double)mine[k] - ref[k]);
            if (d > 1e-3 * mx + 1e-7 && d > 1e-4 + 1e-3 * fabs(ref[k])) bad++;
        }
        CHECKF(bad == 0, "%s: %s: %zu elements off (max diff %g, max |g| %g)", file, key, bad,
               max_abs_diff(mine, ref, t->size), mx);
    }
}

static void restore_running(const pfile *f, cn_model *m) {
    for (int i = 0; i < m->n_tensors; i++) {
        if (m->tensors[i].trainable) continue;
        char key[128];
        snprintf(key, sizeof key, "param.%s", m->tensors[i].name);
        const rec *r = get(f, key);
        if (r && r->n == m->tensors[i].size) memcpy(m->params + m->tensors[i].offset, r->data, r->n * 4);
    }
}

/* One reference file's model, its weights set from the file, and the batch it was run on. */
typedef struct {
    const char *file;
    pfile f;
    cn_model *m;
    const int *tk, *tg;
    int B, T, V;
} parity_case;

/* Reads FILE and builds its model with its weights. 0, or -1 (checked, and nothing to free). */
static int case_load(parity_case *c, const char *file) {
    char path[256];
    const char *dir = getenv("CN_TEST_DATA") ? getenv("CN_TEST_DATA") : "tests/parity/data";
    snprintf(path, sizeof path, "%s/%s", dir, file);
    memset(c, 0, sizeof *c);
    c->file = file;
    pfile *f = &c->f;
    int ok = load(path, f) == 0;
    CHECKF(ok, "cannot read %s (run from the repository root, or set CN_TEST_DATA)", path);
    const rec *spec = ok ? get(f, "spec") : NULL, *tok = ok ? get(f, "tokens") : NULL, *tgt = ok ? get(f, "targets") : NULL;
    CHECK(spec && tok && tgt && tok->ndim == 2);
    if (!spec || !tok || !tgt || tok->ndim != 2) { pfree(f); return -1; }
    char spec_text[256];
    snprintf(spec_text, sizeof spec_text, "%.*s", spec->shape[0], (const char *)spec->data);
    c->B = tok->shape[0]; c->T = tok->shape[1];
    const rec *ob = get(f, "param.out.bias");
    c->V = ob ? ob->shape[0] : 0;
    char err[160];
    cn_model *m = c->m = cn_model_new(spec_text, c->V, 1, err, sizeof err);
    CHECKF(m != NULL, "%s: %s", file, err);
    if (!m) { pfree(f); return -1; }
    for (int i = 0; i < m->n_tensors; i++) {
        char key[128];
        snprintf(key, sizeof key, "param.%s", m->tensors[i].name);
        const rec *r = get(f, key);
        CHECKF(r && r->n == m->tensors[i].size, "%s: %s missing or of another size", file, key);
        if (r && r->n == m->tensors[i].size) memcpy(m->params + m->tensors[i].offset, r->data, r->n * 4);
        for (int d = 0; r && d < r->ndim && d < m->tensors[i].ndim; d++)
            CHECKF(r->shape[d] == m->tensors[i].shape[d], "%s: %s dim %d: %d vs %d", file, key, d, r->shape[d],
                   m->tensors[i].shape[d]);
    }
    c->tk = tok->data; c->tg = tgt->data;
    return 0;
}

/* The loss on every step, training mode: logits, loss, gradients and BatchNorm's running
 * statistics after the forward. */
static void check_all_steps(parity_case *c) {
    const pfile *f = &c->f;
    cn_model *m = c->m;
    const char *file = c->file;
    int B = c->B, T = c->T, V = c->V;
    cn_batch *b = cn_batch_new(m, B, T, 1);
    cn_batch_zero_grads(b);
    float loss = cn_batch_forward(b, c->tk, c->tg, 1, 0);
    cn_batch_backward(b);
    const rec *r = get(f, "all.logits");
    CHECK(r && r->n == (size_t)B * T * V);
    if (r && r->n == (size_t)B * T * V) {
        double d = max_abs_diff(cn_batch_logits(b), r->data, r->n);
        CHECKF(d <= 1e-4, "%s: all-steps logits differ by %g", file, d);
    }
    r = get(f, "all.loss");
    CHECK(r != NULL);
    if (r) CHECKF(fabs(loss - ((float *)r->data)[0]) <= 1e-5 * fabs(((float *)r->data)[0]), "%s: loss %.7g vs %.7g",
                  file, loss, ((float *)r->data)[0]);
    check_grads(f, m, cn_batch_grads(b), "all", file);
    for (int i = 0; i < m->n_tensors; i++) {
        if (m->tensors[i].trainable) continue;
        char key[128];
        snprintf(key, sizeof key, "all.after.%s", m->tensors[i].name);
        r = get(f, key);
        CHECKF(r && r->n == m->tensors[i].size, "%s: %s missing", file, key);
        if (r && r->n == m->tensors[i].size) {
            double d = max_abs_diff(m->params + m->tensors[i].offset, r->data, r->n);
            CHECKF(d <= 1e-5, "%s: %s differs by %g", file, key, d);
        }
    }
    cn_batch_free(b);
}

/* The loss on the last step, from the same running statistics as the file's. */
static void check_last_step(parity_case *c) {
    const pfile *f = &c->f;
    cn_model *m = c->m;
    const char *file = c->file;
    int B = c->B, T = c->T, V = c->V;
    restore_running(f, m);
    cn_batch *b = cn_batch_new(m, B, T, 0);
    cn_batch_zero_grads(b);
    float loss = cn_batch_forward(b, c->tk, c->tg, 1, 0);
    cn_batch_backward(b);
    const rec *r = get(f, "last.logits");
    CHECK(r && r->n == (size_t)B * V);
    if (r && r->n == (size_t)B * V) {
        double d = 0;
        for (int bi = 0; bi < B; bi++)
            d = fmax(d, max_abs_diff(cn_batch_logits(b) + ((size_t)bi * T + T - 1) * V, (const float *)r->data + bi * V, V));
        CHECKF(d <= 1e-4, "%s: last-step logits differ by %g", file, d);
    }
    r = get(f, "last.loss");
    if (r) CHECKF(fabs(loss - ((float *)r->data)[0]) <= 1e-5 * fabs(((float *)r->data)[0]), "%s: last loss %.7g vs %.7g",
                  file, loss, ((float *)r->data)[0]);
    check_grads(f, m, cn_batch_grads(b), "last", file);
    cn_batch_free(b);
}

/* Eval mode, batched and streamed: both must give the file's eval logits. */
static void check_eval(parity_case *c) {
    const char *file = c->file;
    int B = c->B, T = c->T, V = c->V;
    const rec *r = get(&c->f, "eval.logits");
    CHECK(r && r->n == (size_t)B * T * V);
    if (!r || r->n != (size_t)B * T * V) return;
    cn_batch *b = cn_batch_new(c->m, B, T, 1);
    cn_batch_forward(b, c->tk, c->tg, 0, 0);
    double d = max_abs_diff(cn_batch_logits(b), r->data, r->n);
    CHECKF(d <= 1e-4, "%s: eval logits differ by %g", file, d);
    cn_batch_free(b);
    cn_stream *s = cn_stream_new(c->m, CN_W_F32);
    d = 0;
    for (int bi = 0; bi < B; bi++) {
        cn_stream_reset(s);
        for (int t = 0; t < T; t++) {
            const float *z = cn_stream_step(s, c->tk[bi * T + t]);
            d = fmax(d, max_abs_diff(z, (const float *)r->data + ((size_t)bi * T + t) * V, V));
        }
    }
    CHECKF(d <= 1e-4, "%s: streamed logits differ from torch eval by %g", file, d);
    cn_stream_free(s);
}

static void check_file(const char *file) {
    parity_case c;
    if (case_load(&c, file)) return;
    check_all_steps(&c);
    check_last_step(&c);
    check_eval(&c);
    cn_model_free(c.m);
    pfree(&c.f);
}

TEST(parity_stack) { check_file("parity_stack.bin"); }
TEST(parity_embed) { check_file("parity_embed.bin"); }
TEST(parity_onehot_gru) { check_file("parity_onehot_gru.bin"); }
TEST(parity_onehot_dense) { check_file("parity_onehot_dense.bin"); }

int main(void) {
    RUN(parity_stack);
    RUN(parity_embed);
    RUN(parity_onehot_gru);
    RUN(parity_onehot_dense);
    return test_summary();
}
