/* test_modelfile.c: the model file. Round trips (float32 exact, float16 close, metadata and
 * the paper vocabulary), every defect a file can have (truncation at every offset, flipped
 * bytes, a wrong magic or version, NaN/Inf weights, a spec that disagrees with the tensors,
 * an unknown encoding; the last three behind a valid checksum so that the specific check is
 * what catches them), crafted lengths behind a valid checksum, and atomic saving: a save that
 * fails on a full disk leaves the old file intact and no temporary behind. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "crc32.h"
#include "modelfile.h"
#include "tokens.h"
#include "test.h"

static char tmpdir[64];

static void path_in(char *buf, size_t len, const char *file) { snprintf(buf, len, "%s/%s", tmpdir, file); }

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void fix_crc(uint8_t *b, size_t len) { put_u32(b + len - 4, cn_crc32(0, b, len - 4)); }

static long find_bytes(const uint8_t *b, size_t len, const void *pat, size_t n) {
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(b + i, pat, n) == 0) return (long)i;
    return -1;
}

/* A small paper-encoded model: V=6 named tokens, an LSTM, metadata. */
static cn_model *paper_model(void) {
    char err[256];
    cn_model *m = cn_model_new("lstm:4", 6, 7, err, sizeof err);
    if (!m) { fprintf(stderr, "cn_model_new: %s\n", err); return NULL; }
    char *names[] = { "C4_quarter", "0.4.7_half", "E4_16th", "G4_eighth", "D5_whole" };
    cn_vocab_build(&m->words, names, 5);
    m->encoding = CN_ENC_PAPER;
    cn_meta_set(&m->meta, "corpus", "piano-midi.de (test)");
    cn_meta_set(&m->meta, "epochs", "3");
    cn_meta_set(&m->meta, "credit", "Bernd Krueger, CC BY-SA");
    return m;
}

/* An event-encoded model (V = CN_EV_VOCAB). */
static cn_model *event_model(uint64_t seed) {
    char err[256];
    cn_model *m = cn_model_new("lstm:8", CN_EV_VOCAB, seed, err, sizeof err);
    if (!m) { fprintf(stderr, "cn_model_new: %s\n", err); return NULL; }
    m->encoding = CN_ENC_EVENT;
    cn_meta_set(&m->meta, "tokens", "12345");
    return m;
}

/* Every tensor bit-identical (the padding between tensors is not part of the model). */
static int same_params(const cn_model *a, const cn_model *b) {
    if (a->n_params != b->n_params || a->n_tensors != b->n_tensors) return 0;
    for (int i = 0; i < a->n_tensors; i++) {
        const cn_tensor *s = &a->tensors[i], *t = &b->tensors[i];
        if (s->size != t->size || memcmp(a->params + s->offset, b->params + t->offset, s->size * sizeof(float)))
            return 0;
    }
    return 1;
}

/* Load from memory, expecting failure with a message naming the file and holding `want`. */
static int fails_with(const uint8_t *b, size_t len, const char *want) {
    char err[512] = "";
    cn_model *m = cn_model_load_mem(b, len, "bad.cnm", err, sizeof err);
    if (m) { cn_model_free(m); fprintf(stderr, "  loaded, expected '%s'\n", want); return 0; }
    if (strncmp(err, "bad.cnm: ", 9) != 0 || (want && !strstr(err, want))) {
        fprintf(stderr, "  message '%s', expected '%s'\n", err, want ? want : "(any)");
        return 0;
    }
    return 1;
}

TEST(round_trip_f32_exact) {
    cn_model *m = event_model(1);
    CHECK(m != NULL);
    if (!m) return;
    char p[128], err[256];
    path_in(p, sizeof p, "f32.cnm");
    CHECKF(cn_model_save(p, m, 0, err, sizeof err) == 0, "%s", err);
    cn_model *r = cn_model_load(p, err, sizeof err);
    CHECKF(r != NULL, "%s", err);
    if (r) {
        CHECK(same_params(m, r));
        CHECK(r->encoding == CN_ENC_EVENT);
        CHECK(r->vocab == CN_EV_VOCAB);
        CHECK(r->words.n == 0);
        CHECK(strcmp(r->spec_text, m->spec_text) == 0);
        CHECK(r->n_tensors == m->n_tensors);
        CHECK(cn_meta_get(&r->meta, "tokens") && strcmp(cn_meta_get(&r->meta, "tokens"), "12345") == 0);
        cn_model_free(r);
    }
    cn_model_free(m);
}

TEST(round_trip_f16_close) {
    cn_model *m = event_model(2);
    if (!m) { CHECK(0); return; }
    const cn_tensor *last = &m->tensors[m->n_tensors - 1];
    m->params[last->offset] = 1e5f;   /* out of float16 range: that tensor must stay float32, exactly */
    char p[128], err[256];
    path_in(p, sizeof p, "f16.cnm");
    CHECKF(cn_model_save(p, m, 1, err, sizeof err) == 0, "%s", err);
    cn_model_file_stats st;
    cn_model *r = cn_model_load_stats(p, &st, err, sizeof err);
    CHECKF(r != NULL, "%s", err);
    if (r) {
        double worst = 0;
        for (int t = 0; t < m->n_tensors; t++)
            for (size_t i = m->tensors[t].offset; i < m->tensors[t].offset + m->tensors[t].size; i++) {
                double a = m->params[i], d = fabs(a - r->params[i]) / (fabs(a) + 1e-4);
                if (d > worst) worst = d;
            }
        CHECKF(worst <= 1e-3, "worst relative error %g", worst);
        CHECK(r->params[last->offset] == 1e5f);
        CHECK(st.version == CN_MODEL_VERSION);
        CHECK(st.n_f32 == 1 && st.n_f16 == m->n_tensors - 1);
        CHECK(st.dtype[m->n_tensors - 1] == 0 && st.dtype[0] == 1);
        /* half the size, roughly */
        size_t n32 = 0;
        char p32[128];
        path_in(p32, sizeof p32, "f32.cnm");
        free(slurp(p32, &n32));
        CHECKF(st.file_bytes < n32 * 6 / 10, "f16 %llu bytes vs f32 %zu", (unsigned long long)st.file_bytes, n32);
        cn_model_free(r);
    }
    cn_model_free(m);
}

TEST(round_trip_paper_vocab_and_meta) {
    cn_model *m = paper_model();
    if (!m) { CHECK(0); return; }
    char p[128], err[256];
    path_in(p, sizeof p, "paper.cnm");
    CHECKF(cn_model_save(p, m, 0, err, sizeof err) == 0, "%s", err);
    cn_model *r = cn_model_load(p, err, sizeof err);
    CHECKF(r != NULL, "%s", err);
    if (r) {
        CHECK(r->encoding == CN_ENC_PAPER);
        CHECK(r->words.n == 6);
        for (int i = 0; i < 6 && i < r->words.n; i++) CHECK(strcmp(r->words.names[i], m->words.names[i]) == 0);
        CHECK(cn_vocab_lookup(&r->words, "G4_eighth") == cn_vocab_lookup(&m->words, "G4_eighth"));
        CHECK(r->meta.n == 3);
        for (int i = 0; i < 3 && i < r->meta.n; i++) {
            CHECK(strcmp(r->meta.keys[i], m->meta.keys[i]) == 0);
            CHECK(strcmp(r->meta.vals[i], m->meta.vals[i]) == 0);
        }
        CHECK(same_params(m, r));
        cn_model_free(r);
    }
    cn_model_free(m);
}

/* Every layer kind, BatchNorm running statistics included, survives a round trip. */
TEST(round_trip_every_layer_kind) {
    char err[256], p[128];
    const char *specs[] = { "conv1d:8:3,gru:8,batchnorm,dense:8:relu,lstm:4,dropout:0.2",
                            "embed:6,lstm:5,dense:7", "paper-m3" };
    path_in(p, sizeof p, "kinds.cnm");
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        cn_model *m = cn_model_new(specs[i], CN_EV_VOCAB, 30 + i, err, sizeof err);
        CHECKF(m != NULL, "%s: %s", specs[i], err);
        if (!m) continue;
        for (size_t k = 0; k < m->n_params; k++) m->params[k] += (float)k * 1e-6f;  /* distinct values, padding too */
        CHECKF(cn_model_save(p, m, 0, err, sizeof err) == 0, "%s", err);
        cn_model *r = cn_model_load(p, err, sizeof err);
        CHECKF(r != NULL, "%s: %s", specs[i], err);
        if (r) {
            CHECK(same_params(m, r));
            CHECK(strcmp(r->spec_text, m->spec_text) == 0);
            for (int t = 0; t < m->n_tensors && t < r->n_tensors; t++)
                CHECK(strcmp(m->tensors[t].name, r->tensors[t].name) == 0 &&
                      m->tensors[t].trainable == r->tensors[t].trainable);
            cn_model_free(r);
        }
        cn_model_free(m);
    }
}

TEST(truncated_at_every_offset) {
    char p[128];
    path_in(p, sizeof p, "paper.cnm");
    size_t len;
    uint8_t *b = slurp(p, &len);
    CHECK(b && len > 100);
    if (!b) return;
    int bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *c = malloc(cut ? cut : 1);   /* exact-size copy so ASan sees any overread */
        memcpy(c, b, cut);
        if (!fails_with(c, cut, cut < 8 ? NULL : "truncated")) bad++;
        free(c);
    }
    CHECKF(bad == 0, "%d cuts not reported as truncated", bad);
    free(b);
}

TEST(flipped_bytes_fail_cleanly) {
    char p[128];
    path_in(p, sizeof p, "paper.cnm");
    size_t len;
    uint8_t *b = slurp(p, &len);
    if (!b) { CHECK(0); return; }
    int bad = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t *c = malloc(len);
        memcpy(c, b, len);
        c[i] ^= 0x5A;
        if (!fails_with(c, len, NULL)) bad++;
        free(c);
    }
    CHECKF(bad == 0, "%d flipped files not rejected", bad);
    /* away from the header, a flip is a checksum mismatch */
    uint8_t *c = malloc(len);
    memcpy(c, b, len);
    c[len / 2] ^= 1;
    CHECK(fails_with(c, len, "checksum mismatch"));
    free(c);
    free(b);
}

/* Every byte changed behind a fixed checksum: the parser alone must stand (ASan watches). */
TEST(crafted_bytes_with_valid_checksum_never_crash) {
    char p[128];
    path_in(p, sizeof p, "paper.cnm");
    size_t len;
    uint8_t *b = slurp(p, &len);
    if (!b) { CHECK(0); return; }
    static const uint8_t vals[] = { 0x00, 0x01, 0x7F, 0x80, 0xFF };
    int loaded = 0, rejected = 0, unnamed = 0;
    for (size_t i = 20; i + 4 < len; i++)
        for (size_t v = 0; v < sizeof vals; v++) {
            uint8_t *c = malloc(len);
            memcpy(c, b, len);
            if (c[i] == vals[v]) { free(c); continue; }
            c[i] = vals[v];
            fix_crc(c, len);
            char err[512] = "";
            cn_model *m = cn_model_load_mem(c, len, "bad.cnm", err, sizeof err);
            if (m) { loaded++; cn_model_free(m); }
            else { rejected++; if (strncmp(err, "bad.cnm: ", 9) != 0) unnamed++; }
            free(c);
        }
    CHECK(rejected > 0);
    CHECKF(unnamed == 0, "%d messages without the file name", unnamed);
    printf("  (crafted: %d loaded, %d rejected)\n", loaded, rejected);
    free(b);
}

TEST(wrong_magic_and_version) {
    char p[128];
    path_in(p, sizeof p, "paper.cnm");
    size_t len;
    uint8_t *b = slurp(p, &len);
    if (!b) { CHECK(0); return; }
    b[0] = 'X';
    CHECK(fails_with(b, len, "wrong magic"));
    b[0] = 'C';
    put_u32(b + 8, 2);
    fix_crc(b, len);
    CHECK(fails_with(b, len, "unsupported model file version 2"));
    put_u32(b + 8, 1);
    fix_crc(b, len);
    char err[256];
    cn_model *m = cn_model_load_mem(b, len, "ok.cnm", err, sizeof err);   /* restored: loads */
    CHECKF(m != NULL, "%s", err);
    cn_model_free(m);
    /* trailing garbage after the checksum */
    uint8_t *c = calloc(len + 3, 1);
    memcpy(c, b, len);
    CHECK(fails_with(c, len + 3, "header says"));
    free(c);
    free(b);
}

TEST(nan_and_inf_weights) {
    cn_model *m = event_model(3);
    if (!m) { CHECK(0); return; }
    const cn_tensor *t = &m->tensors[1];
    const float marker = 12345.678f;
    m->params[t->offset + 2] = marker;
    char p[128], err[256];
    path_in(p, sizeof p, "nan.cnm");
    CHECKF(cn_model_save(p, m, 0, err, sizeof err) == 0, "%s", err);
    size_t len;
    uint8_t *b = slurp(p, &len);
    long at = b ? find_bytes(b, len, &marker, 4) : -1;
    CHECK(at > 0);
    if (at > 0) {
        char want[128];
        float nan = NAN, inf = -INFINITY;
        memcpy(b + at, &nan, 4);
        fix_crc(b, len);
        snprintf(want, sizeof want, "tensor %.47s holds NaN", t->name);
        CHECK(fails_with(b, len, want));
        memcpy(b + at, &inf, 4);
        fix_crc(b, len);
        snprintf(want, sizeof want, "tensor %.47s holds Inf", t->name);
        CHECK(fails_with(b, len, want));
    }
    free(b);
    /* and a model holding NaN is refused at save time, the old file untouched */
    m->params[t->offset] = NAN;
    CHECK(cn_model_save(p, m, 0, err, sizeof err) == -1);
    CHECK(strstr(err, "holds NaN") != NULL);
    cn_model *r = cn_model_load(p, err, sizeof err);
    CHECKF(r != NULL, "%s", err);
    cn_model_free(r);
    cn_model_free(m);
}

TEST(nan_in_f16_weights) {
    cn_model *m = event_model(4);
    if (!m) { CHECK(0); return; }
    const cn_tensor *t = &m->tensors[0];
    m->params[t->offset + 1] = 1000.0f;    /* float16 0x63D0 */
    char p[128], err[256];
    path_in(p, sizeof p, "nan16.cnm");
    CHECKF(cn_model_save(p, m, 1, err, sizeof err) == 0, "%s", err);
    size_t len;
    uint8_t *b = slurp(p, &len);
    const uint8_t pat[2] = { 0xD0, 0x63 };
    long at = b ? find_bytes(b, len, pat, 2) : -1;
    CHECK(at > 0);
    if (at > 0) {
        b[at] = 0x00; b[at + 1] = 0x7E;    /* float16 NaN */
        fix_crc(b, len);
        char want[128];
        snprintf(want, sizeof want, "tensor %.47s holds NaN", t->name);
        CHECK(fails_with(b, len, want));
    }
    free(b);
    cn_model_free(m);
}

TEST(spec_disagrees_with_tensors) {
    cn_model *m = event_model(5);
    if (!m) { CHECK(0); return; }
    char p[128], err[256];
    path_in(p, sizeof p, "spec.cnm");
    CHECKF(cn_model_save(p, m, 0, err, sizeof err) == 0, "%s", err);
    size_t len;
    uint8_t *b = slurp(p, &len);
    long at = b ? find_bytes(b, len, m->spec_text, strlen(m->spec_text)) : -1;
    CHECK(at > 0);
    if (at > 0) {
        char *digit = strpbrk((char *)b + at, "0123456789");
        CHECK(digit && digit < (char *)b + at + strlen(m->spec_text));
        if (digit) {
            *digit = *digit == '9' ? '7' : (char)(*digit + 1);   /* lstm:8 -> lstm:9 */
            fix_crc(b, len);
            CHECK(fails_with(b, len, "shape mismatch"));
        }
    }
    free(b);
    cn_model_free(m);
}

/* A file that is only a header: the spec's weights are sized against the bytes that are
 * there before anything is allocated for them (issue 10.4: lstm:8192,lstm:8192 in 628 bytes
 * made the loader allocate 3.1 GB first). */
static size_t bare_file(uint8_t *b, size_t cap, const char *spec) {
    size_t n = 0, sl = strlen(spec);
    if (sl + 64 > cap) return 0;
    memcpy(b, CN_MODEL_MAGIC, 8); n = 8;
    put_u32(b + n, CN_MODEL_VERSION); n += 4;
    n += 8;                                        /* total length, below */
    put_u32(b + n, (uint32_t)sl); n += 4; memcpy(b + n, spec, sl); n += sl;
    put_u32(b + n, 5); n += 4; memcpy(b + n, "event", 5); n += 5;
    put_u32(b + n, 0); n += 4;                     /* no words */
    put_u32(b + n, CN_EV_VOCAB); n += 4;
    put_u32(b + n, 0); n += 4;                     /* no metadata */
    put_u32(b + n, 1); n += 4;                     /* one tensor, never there */
    for (int i = 0; i < 64; i++) b[n++] = 0;       /* a few bytes of "tensors" */
    n += 4;                                        /* the CRC */
    for (int i = 0; i < 8; i++) b[12 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    fix_crc(b, n);
    return n;
}

TEST(spec_bigger_than_the_file_refused_before_allocating) {
    uint8_t b[512];
    size_t n = bare_file(b, sizeof b, "lstm:2048,lstm:2048");
    CHECK(n > 0);
    CHECK(fails_with(b, n, "but the file holds only"));
    n = bare_file(b, sizeof b, "lstm:8192,lstm:8192");
    CHECK(fails_with(b, n, "but the file holds only"));
    CHECK(cn_model_spec_elements("lstm:8", CN_EV_VOCAB) == (size_t)(4 * 8 * CN_EV_VOCAB + 4 * 8 * 8 + 2 * 4 * 8 + CN_EV_VOCAB * 8 + CN_EV_VOCAB));
    CHECK(cn_model_spec_elements("lstm:99999999", CN_EV_VOCAB) == 0);
}

/* A BatchNorm running variance below zero makes 1/sqrt(var + eps) NaN: refused by name. */
TEST(negative_running_variance_refused) {
    char err[256], p[128];
    cn_model *m = cn_model_new("lstm:8,batchnorm", CN_EV_VOCAB, 3, err, sizeof err);
    CHECKF(m != NULL, "%s", err);
    if (!m) return;
    const cn_tensor *t = cn_model_tensor(m, "1.batchnorm.running_var");
    CHECK(t != NULL);
    if (t) m->params[t->offset + 2] = -1.0f;
    path_in(p, sizeof p, "negvar.cnm");
    CHECKF(cn_model_save(p, m, 0, err, sizeof err) == 0, "%s", err);
    size_t len;
    uint8_t *b = slurp(p, &len);
    CHECK(b && fails_with(b, len, "running_var holds a negative variance"));
    free(b);
    if (t) m->params[t->offset + 2] = 0.0f;   /* zero is a possible variance */
    CHECKF(cn_model_save(p, m, 0, err, sizeof err) == 0, "%s", err);
    cn_model *back = cn_model_load(p, err, sizeof err);
    CHECKF(back != NULL, "%s", err);
    cn_model_free(back);
    cn_model_free(m);
}

TEST(unknown_encoding) {
    char p[128];
    path_in(p, sizeof p, "f32.cnm");
    size_t len;
    uint8_t *b = slurp(p, &len);
    long at = b ? find_bytes(b, len, "event", 5) : -1;
    CHECK(at > 0);
    if (at > 0) {
        b[at + 4] = 'x';
        fix_crc(b, len);
        CHECK(fails_with(b, len, "unknown encoding 'evenx'"));
    }
    free(b);
}

TEST(paper_vocab_checks) {
    char p[128];
    path_in(p, sizeof p, "paper.cnm");
    size_t len;
    uint8_t *b = slurp(p, &len);
    long at = b ? find_bytes(b, len, "G4_eighth", 9) : -1;
    CHECK(at > 0);
    if (at > 0) {
        b[at] = '0';       /* "04_eighth" sorts before its neighbour: lookups would break */
        fix_crc(b, len);
        CHECK(fails_with(b, len, "not sorted"));
    }
    free(b);
}

static int temp_files_in(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp.")) n++;
    closedir(d);
    return n;
}

/* A full disk, made with RLIMIT_FSIZE in a child (SIGXFSZ left at its default, which kills:
 * the writer must ignore it itself, so write fails with EFBIG):
 * the save must fail with a clear message, remove its temporary, and keep the old file. */
TEST(failed_save_keeps_old_file) {
    cn_model *old = paper_model(), *big = event_model(9);
    if (!old || !big) { CHECK(0); cn_model_free(old); cn_model_free(big); return; }
    char p[128], err[256];
    path_in(p, sizeof p, "atomic.cnm");
    CHECKF(cn_model_save(p, old, 0, err, sizeof err) == 0, "%s", err);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit rl = { 4096, 4096 };
        setrlimit(RLIMIT_FSIZE, &rl);
        int rc = cn_model_save(p, big, 0, err, sizeof err);
        int ok = rc == -1 && strncmp(err, p, strlen(p)) == 0 && strstr(err, "cannot write: file too large") && strstr(err, "previous file is unchanged");
        if (!ok) fprintf(stderr, "  child: rc %d, message '%s'\n", rc, err);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(temp_files_in(tmpdir) == 0);
    cn_model *r = cn_model_load(p, err, sizeof err);
    CHECKF(r != NULL, "%s", err);
    if (r) { CHECK(same_params(old, r)); CHECK(r->encoding == CN_ENC_PAPER); cn_model_free(r); }
    /* a folder that does not exist */
    char q[160];
    snprintf(q, sizeof q, "%s/no/such/dir/m.cnm", tmpdir);
    CHECK(cn_model_save(q, old, 0, err, sizeof err) == -1);
    CHECK(strstr(err, "cannot write") && strstr(err, "No such file"));
    cn_model_free(old);
    cn_model_free(big);
}

TEST(load_errors_from_the_file_system) {
    char err[256], p[128];
    path_in(p, sizeof p, "absent.cnm");
    CHECK(cn_model_load(p, err, sizeof err) == NULL && strstr(err, "No such file"));
    CHECK(cn_model_load(tmpdir, err, sizeof err) == NULL && strstr(err, "not a regular file"));
    path_in(p, sizeof p, "empty.cnm");
    FILE *f = fopen(p, "wb");
    if (f) fclose(f);
    CHECK(cn_model_load(p, err, sizeof err) == NULL && strstr(err, "truncated"));
}

/* build/continuo-info beside build/san/test_modelfile: prints the model, rejects a bad file. */
static int info_tool(char *buf, size_t len) {
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = 0;
    snprintf(buf, len, "%s/../continuo-info", exe);
    return access(buf, X_OK);
}

static int run_capture(const char *cmd, char *out, size_t len) {
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    size_t n = fread(out, 1, len - 1, f);
    out[n] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(info_tool_prints_the_model) {
    char tool[600], cmd[1400], out[16384], p[128];
    info_tool(tool, sizeof tool);
    path_in(p, sizeof p, "paper.cnm");
    snprintf(cmd, sizeof cmd, "'%s' '%s' 2>&1", tool, p);
    CHECK(run_capture(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "CNTMODEL version 1") != NULL);
    CHECK(strstr(out, "spec:        lstm:4") != NULL);
    CHECK(strstr(out, "paper") && strstr(out, "V = 6") && strstr(out, "G4_eighth"));
    CHECK(strstr(out, "credit: Bernd Krueger, CC BY-SA") != NULL);
    CHECK(strstr(out, "out.weight") && strstr(out, "6 x 4"));
    /* the damaged file: one message naming it, exit 1 */
    size_t len;
    uint8_t *b = slurp(p, &len);
    if (!b) { CHECK(0); return; }
    b[len / 2] ^= 0x10;
    char q[128];
    path_in(q, sizeof q, "damaged.cnm");
    FILE *f = fopen(q, "wb");
    if (f) { fwrite(b, 1, len, f); fclose(f); }
    free(b);
    snprintf(cmd, sizeof cmd, "'%s' '%s' 2>&1", tool, q);
    CHECK(run_capture(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "damaged.cnm: checksum mismatch") != NULL);
}

TEST(default_model_path) {
    char buf[512], p[128];
    path_in(p, sizeof p, CN_DEFAULT_MODEL_NAME);
    CHECK(cn_default_model_in(tmpdir, buf, sizeof buf) == NULL);
    FILE *f = fopen(p, "wb");
    if (f) fclose(f);
    CHECK(cn_default_model_in(tmpdir, buf, sizeof buf) == buf && strcmp(buf, p) == 0);
    setenv("CONTINUO_MODEL", p, 1);
    CHECK(cn_default_model_path(buf, sizeof buf) == buf && strcmp(buf, p) == 0);
    setenv("CONTINUO_MODEL", "/nonexistent/x.cnm", 1);
    const char *d = cn_default_model_path(buf, sizeof buf);
    CHECK(d == NULL || strcmp(d, "/nonexistent/x.cnm") != 0);
    unsetenv("CONTINUO_MODEL");
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cn_modelfile_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    RUN(round_trip_f32_exact);
    RUN(round_trip_f16_close);
    RUN(round_trip_paper_vocab_and_meta);
    RUN(round_trip_every_layer_kind);
    RUN(truncated_at_every_offset);
    RUN(flipped_bytes_fail_cleanly);
    RUN(crafted_bytes_with_valid_checksum_never_crash);
    RUN(wrong_magic_and_version);
    RUN(nan_and_inf_weights);
    RUN(nan_in_f16_weights);
    RUN(spec_disagrees_with_tensors);
    RUN(spec_bigger_than_the_file_refused_before_allocating);
    RUN(negative_running_variance_refused);
    RUN(unknown_encoding);
    RUN(paper_vocab_checks);
    RUN(failed_save_keeps_old_file);
    RUN(load_errors_from_the_file_system);
    RUN(default_model_path);
    char tool[600];
    if (info_tool(tool, sizeof tool) == 0) RUN(info_tool_prints_the_model);
    else printf("skip info_tool_prints_the_model: %s not built\n", tool);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_summary();
}
