/* eval_main.c: continuo-eval, the honest measure of a model on MIDI files:
 *   - the network's cross-entropy per token and next-token accuracy (streamed, state carried
 *     through each whole piece, as the instrument runs it);
 *   - an interpolated Kneser-Ney n-gram baseline on the same tokens, trained on the model's
 *     own training split (from the corpus its metadata names) or on --ngram-train files, its
 *     order chosen on validation pieces: "does the network beat counting?";
 *   - music statistics of continuations generated from seeds taken from the files, beside the
 *     same statistics of the files' true continuations.
 * With --listen it is the listening yardstick instead (listen_cli.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "continue.h"
#include "corpus.h"
#include "listen_cli.h"
#include "midi.h"
#include "modelcorpus.h"
#include "modelfile.h"
#include "musicstats.h"
#include "ngram.h"
#include "sample.h"

#define PROGRAM "continuo-eval"

static void usage(FILE *f) {
    fprintf(f,
        "usage: " PROGRAM " [-m MODEL] [--json] [--split test|val] [--ngram-train DIR_OR_FILE]...\n"
        "         [options] [MIDI_FILE_OR_FOLDER...]\n"
        "Measures a model on MIDI files: cross-entropy per token (nats) and next-token accuracy,\n"
        "beside an interpolated Kneser-Ney n-gram baseline, and music statistics of generated\n"
        "continuations beside the files' true continuations.\n"
        "  -m MODEL            model file (default: the shipped model)\n"
        "  --json              print one JSON object\n"
        "  --split test|val    evaluate on the model's own held-out pieces, from the corpus its\n"
        "                      metadata names (no files needed)\n"
        "  --ngram-train PATH  files or folders to train the n-gram on (repeatable; a tenth of\n"
        "                      the pieces chooses its order). Default: the model's training split\n"
        "  --ngram-order N     highest n-gram order tried (default 6)\n"
        "  --no-ngram          skip the baseline\n"
        "  --max-tokens N      score at most N tokens a file (default: all)\n"
        "  --windows K         primer windows a file for the statistics (default 2; 0 = none)\n"
        "  --primer-beats B    primer length (default 8)\n"
        "  --cont-beats B      continuation length (default 16)\n"
        "  --temperature T, --top-k K, --top-p P, --repeat-penalty R, --max-run N, --key K, --rng N\n"
        "                      sampling for the continuations (as continuo-generate; temperature 0..2)\n"
        "  --corpus DIR        where the model's corpus is now (its metadata names where it was,\n"
        "                      relative to the model file)\n"
        "  -q, --quiet         no progress on stderr\n"
        "  -h, --help          this text\n"
        "  --version           the program's version\n"
        "  --listen            the listening yardstick instead: continuations judged against the\n"
        "                      real ones, feature by feature (continuo-eval --listen --help)\n"
        "Exit status: 0 ok, 1 runtime error, 2 usage error.\n");
}

typedef struct {
    const char *model_path, *corpus_dir;
    int json, quiet, no_ngram, ngram_order, windows;
    const char *split;
    const char **ngram_paths; int n_ngram_paths;
    const char **files; int n_files;
    size_t max_tokens;
    double seed_beats, cont_beats;
    cn_sample_opts sample;
    int key_auto; const char *key;
    uint64_t rng;
} eval_args;

typedef struct { char *path; cn_song song; int *tok; size_t n_tok; } eval_file;
typedef struct { int **tok; size_t *len; int n, cap; } seq_set;

static int seq_push(seq_set *s, int *tok, size_t n) {
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        int **t = realloc(s->tok, (size_t)cap * sizeof *t);
        if (!t) return -1;
        s->tok = t;
        size_t *l = realloc(s->len, (size_t)cap * sizeof *l);
        if (!l) return -1;
        s->len = l; s->cap = cap;
    }
    s->tok[s->n] = tok; s->len[s->n] = n; s->n++;
    return 0;
}
static void seq_free(seq_set *s) {
    for (int i = 0; i < s->n; i++) free(s->tok[i]);
    free(s->tok); free(s->len);
    memset(s, 0, sizeof *s);
}
static size_t seq_tokens(const seq_set *s) {
    size_t n = 0;
    for (int i = 0; i < s->n; i++) n += s->len[i];
    return n;
}

enum { O_JSON = 256, O_SPLIT, O_NGRAM_TRAIN, O_NGRAM_ORDER, O_NO_NGRAM, O_MAX_TOKENS, O_WINDOWS, O_PRIMER_BEATS,
       O_CONT_BEATS, O_TEMP, O_TOPK, O_TOPP, O_REPEAT, O_MAXRUN, O_KEY, O_RNG, O_CORPUS, O_VERSION, O_OLD_SEED_BEATS };
static const struct option long_opts[] = {
    { "model", required_argument, 0, 'm' }, { "json", no_argument, 0, O_JSON },
    { "split", required_argument, 0, O_SPLIT }, { "ngram-train", required_argument, 0, O_NGRAM_TRAIN },
    { "ngram-order", required_argument, 0, O_NGRAM_ORDER }, { "no-ngram", no_argument, 0, O_NO_NGRAM },
    { "max-tokens", required_argument, 0, O_MAX_TOKENS }, { "windows", required_argument, 0, O_WINDOWS },
    { "primer-beats", required_argument, 0, O_PRIMER_BEATS }, { "cont-beats", required_argument, 0, O_CONT_BEATS },
    { "temperature", required_argument, 0, O_TEMP }, { "top-k", required_argument, 0, O_TOPK },
    { "top-p", required_argument, 0, O_TOPP }, { "repeat-penalty", required_argument, 0, O_REPEAT },
    { "max-run", required_argument, 0, O_MAXRUN }, { "key", required_argument, 0, O_KEY },
    { "rng", required_argument, 0, O_RNG }, { "corpus", required_argument, 0, O_CORPUS },
    { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { "version", no_argument, 0, O_VERSION },
    { "seed-beats", required_argument, 0, O_OLD_SEED_BEATS },   /* retired spelling */
    { 0, 0, 0, 0 }
};

/* -1 to go on, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, eval_args *a) {
    memset(a, 0, sizeof *a);
    a->ngram_order = 6; a->windows = 2; a->seed_beats = 8; a->cont_beats = 16;
    a->sample = cn_continue_defaults().sample;   /* the same sampling as continuo-generate */
    a->rng = 1;
    a->key = "off";
    a->ngram_paths = calloc((size_t)argc, sizeof *a->ngram_paths);
    a->files = calloc((size_t)argc, sizeof *a->files);
    if (!a->ngram_paths || !a->files) { fprintf(stderr, PROGRAM ": out of memory\n"); return CN_EXIT_RUNTIME; }
    int c;
    double d;
    while ((c = cn_cli_getopt(argc, argv, ":m:qh", long_opts, PROGRAM)) != -1) {
        const char *v = optarg;
        switch (c) {
        case 'h': usage(stdout); return CN_EXIT_OK;
        case O_VERSION: cn_cli_version(PROGRAM); return CN_EXIT_OK;
        case 'q': a->quiet = 1; break;
        case 'm': a->model_path = v; break;
        case O_JSON: a->json = 1; break;
        case O_NO_NGRAM: a->no_ngram = 1; break;
        case O_CORPUS: a->corpus_dir = v; break;
        case O_SPLIT:
            if (strcmp(v, "test") && strcmp(v, "val")) { fprintf(stderr, PROGRAM ": --split is test or val, not '%s'\n", v); return CN_EXIT_USAGE; }
            a->split = v; break;
        case O_NGRAM_TRAIN: a->ngram_paths[a->n_ngram_paths++] = v; break;
        case O_NGRAM_ORDER: if (cn_cli_double(PROGRAM, "--ngram-order", v, 1, CN_NGRAM_MAX_ORDER, &d)) return CN_EXIT_USAGE;
            a->ngram_order = (int)d; break;
        case O_MAX_TOKENS: if (cn_cli_double(PROGRAM, "--max-tokens", v, 0, 1e12, &d)) return CN_EXIT_USAGE;
            a->max_tokens = (size_t)d; break;
        case O_WINDOWS: if (cn_cli_double(PROGRAM, "--windows", v, 0, 1000, &d)) return CN_EXIT_USAGE; a->windows = (int)d; break;
        case O_PRIMER_BEATS: if (cn_cli_double(PROGRAM, "--primer-beats", v, 1, 1000, &d)) return CN_EXIT_USAGE;
            a->seed_beats = d; break;
        case O_CONT_BEATS: if (cn_cli_double(PROGRAM, "--cont-beats", v, 1, 1000, &d)) return CN_EXIT_USAGE;
            a->cont_beats = d; break;
        case O_TEMP: if (cn_cli_double(PROGRAM, "--temperature", v, 0, CN_TEMPERATURE_MAX, &d)) return CN_EXIT_USAGE;
            a->sample.temperature = (float)d; break;
        case O_TOPK: if (cn_cli_double(PROGRAM, "--top-k", v, 0, 1 << 24, &d)) return CN_EXIT_USAGE; a->sample.top_k = (int)d; break;
        case O_TOPP: if (cn_cli_double(PROGRAM, "--top-p", v, 1e-6, 1, &d)) return CN_EXIT_USAGE; a->sample.top_p = (float)d; break;
        case O_REPEAT: if (cn_cli_double(PROGRAM, "--repeat-penalty", v, 1, 100, &d)) return CN_EXIT_USAGE;
            a->sample.repeat_penalty = (float)d; break;
        case O_MAXRUN: if (cn_cli_double(PROGRAM, "--max-run", v, 0, 1e6, &d)) return CN_EXIT_USAGE; a->sample.max_run = (int)d; break;
        case O_KEY:
            a->key_auto = !strcmp(v, "auto");
            a->sample.key_mask = a->key_auto || !strcmp(v, "off") ? 0 : cn_key_parse(v);
            if (!a->key_auto && strcmp(v, "off") && !a->sample.key_mask) {
                fprintf(stderr, PROGRAM ": --key: '%s' is not a key (auto, off, C, Am, F#, Bbm...)\n", v);
                return CN_EXIT_USAGE;
            }
            a->key = v; break;
        case O_RNG: if (cn_cli_u64(PROGRAM, "--rng", v, &a->rng)) return CN_EXIT_USAGE; break;
        case O_OLD_SEED_BEATS: cn_cli_retired(PROGRAM, "--seed-beats", "the primer's length is --primer-beats B"); return CN_EXIT_USAGE;
        default: return CN_EXIT_USAGE;
        }
    }
    for (; optind < argc; optind++) a->files[a->n_files++] = argv[optind];
    if (!a->n_files && !a->split) {
        fprintf(stderr, PROGRAM ": give MIDI files or folders to measure, or --split test (see " PROGRAM " --help)\n");
        return CN_EXIT_USAGE;
    }
    return -1;
}

static int encode_song(const cn_model *m, const cn_song *s, int **tok, size_t *n, size_t *unk) {
    size_t u = 0;
    int rc = m->encoding == CN_ENC_EVENT ? cn_ev_encode(s, 0, tok, n)
           : m->encoding == CN_ENC_NOTE  ? cn_nt_encode(s, 0, -1, -1, tok, n)
                                         : cn_paper_encode(s, &m->words, 0, tok, n, &u);
    if (unk) *unk += u;
    return rc;
}

/* ---- the network's score: streamed through each piece ---- */
#define N_KINDS 4
typedef struct { uint64_t tokens, hits; double nll; } tally;
typedef struct { uint64_t tokens, hits; double nll; tally kind[N_KINDS]; } score;

/* What a target token says, so that the score can be read kind by kind: pitch is the part
 * that carries the key, and a good total can hide a weak pitch. */
static const char *const KIND_NAMES[2][N_KINDS] = { { "note-on", "note-off", "shift", "velocity" },
                                                    { "pitch", "duration", "shift", "velocity" } };
static int token_kind(int enc, int t) {
    if (enc == CN_ENC_NOTE) return t < CN_NT_DUR ? 0 : t < CN_NT_SHIFT ? 1 : t < CN_NT_VEL ? 2 : 3;
    if (enc == CN_ENC_EVENT) return t < CN_EV_NOTE_OFF ? 0 : t < CN_EV_SHIFT ? 1 : t < CN_EV_VEL ? 2 : 3;
    return -1;
}

/* Targets from score_below up are given, not predicted (a note model's controls). */
static void score_stream(cn_stream *st, int enc, int V, int score_below, const int *tok, size_t n, size_t max,
                         score *sc) {
    cn_stream_reset(st);
    if (max && n > max) n = max;
    for (size_t i = 0; i + 1 < n; i++) {
        const float *lg = cn_stream_step(st, tok[i]);
        int t = tok[i + 1], best = 0;
        if (t >= score_below) continue;
        float mx = lg[0];
        for (int w = 1; w < V; w++) if (lg[w] > mx) { mx = lg[w]; best = w; }
        double sum = 0;
        for (int w = 0; w < V; w++) sum += exp((double)lg[w] - mx);
        double nll = log(sum) + mx - lg[t];
        sc->nll += nll;
        sc->hits += best == t;
        sc->tokens++;
        int k = token_kind(enc, t);
        if (k >= 0) { sc->kind[k].nll += nll; sc->kind[k].hits += best == t; sc->kind[k].tokens++; }
    }
}

static int same_file(const char *a, const char *b) {
    char ra[4096], rb[4096];
    if (!realpath(a, ra) || !realpath(b, rb)) return strcmp(a, b) == 0;
    return strcmp(ra, rb) == 0;
}

/* A piece's untransposed tokens, in the model's ids (paper: through the token strings). */
static int *piece_tokens(const cn_model *m, const cn_corpus *c, const cn_piece *p, size_t *n) {
    int var = p->n_var > 1 ? -p->var_lo : 0;
    if (var < 0 || var >= p->n_var) var = 0;
    *n = p->n_tok[var];
    int *t = malloc((*n + 1) * sizeof *t);
    if (!t) return NULL;
    for (size_t i = 0; i < *n; i++) {
        int id = p->tok[var][i];
        t[i] = m->encoding == CN_ENC_PAPER ? (id > 0 && id < c->words.n ? cn_vocab_lookup(&m->words, c->words.names[id]) : 0) : id;
    }
    return t;
}

static int is_eval_file(const char *path, eval_file *ef, int n) {
    for (int i = 0; i < n; i++) if (same_file(path, ef[i].path)) return 1;
    return 0;
}

/* ---- the music statistics ---- */
enum { ST_KEY, ST_RANGE, ST_DENSITY, ST_IOI, ST_RUN, ST_PITCHRUN, ST_POLY, N_STATS };
static const char *const STAT_NAMES[N_STATS] = { "key_correlation", "pitch_range", "note_density",
    "distinct_ioi", "longest_token_run", "longest_pitch_run", "polyphony" };
static const char *const STAT_UNITS[N_STATS] = { "r", "semitones", "notes/beat", "count", "tokens",
    "notes", "notes" };

typedef struct { double *v[2][N_STATS]; int n, cap; } stat_table;   /* [0] real, [1] generated */

static int stat_push(stat_table *t, const cn_music_stats *real, const cn_music_stats *gen) {
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 64;
        for (int k = 0; k < 2; k++)
            for (int s = 0; s < N_STATS; s++) {
                double *nv = realloc(t->v[k][s], (size_t)cap * sizeof *nv);
                if (!nv) return -1;
                t->v[k][s] = nv;
            }
        t->cap = cap;
    }
    const cn_music_stats *x[2] = { real, gen };
    for (int k = 0; k < 2; k++) {
        t->v[k][ST_KEY][t->n] = x[k]->key_corr;
        t->v[k][ST_RANGE][t->n] = x[k]->pitch_range;
        t->v[k][ST_DENSITY][t->n] = x[k]->density;
        t->v[k][ST_IOI][t->n] = x[k]->distinct_ioi;
        t->v[k][ST_RUN][t->n] = x[k]->longest_run;
        t->v[k][ST_PITCHRUN][t->n] = x[k]->longest_pitch_run;
        t->v[k][ST_POLY][t->n] = x[k]->polyphony;
    }
    t->n++;
    return 0;
}

/* One seed window of a file: 0 = measured, 1 = skipped (too few notes), -1 = error. */
static int measure_window(const cn_model *m, const eval_args *a, const cn_song *song, double at,
                          uint64_t rng, stat_table *t, char *err, size_t errlen) {
    cn_song seed, truth, gen;
    if (cn_song_window(song, at, at + a->seed_beats, &seed)) return -1;
    if (cn_song_window(song, at + a->seed_beats, at + a->seed_beats + a->cont_beats, &truth)) {
        cn_song_free(&seed);
        return -1;
    }
    int rc = 1;
    if (seed.n_notes < 4 || truth.n_notes < 4) goto out;
    seed.end_beat = a->seed_beats;   /* the continuation starts where the window ends */
    cn_continue_opts o = cn_continue_defaults();
    o.n_notes = 0; o.n_beats = a->cont_beats; o.sample = a->sample;
    o.rng_seed = rng; o.include_seed = 1; o.key_auto = a->key_auto;
    cn_continue_info info;
    if (cn_continue(m, &seed, &o, &gen, &info, err, errlen)) { rc = -1; goto out; }
    size_t ng = gen.n_notes - (size_t)info.seed_notes;
    cn_note *gn = malloc((ng + 1) * sizeof *gn);
    int *tt = NULL; size_t ntt = 0;
    cn_music_stats sr, sg;
    rc = -1;
    if (gn && !encode_song(m, &truth, &tt, &ntt, NULL)) {
        for (size_t i = 0; i < ng; i++) {
            gn[i] = gen.notes[(size_t)info.seed_notes + i];
            gn[i].start_beat -= info.cont_start_beat;
        }
        if (!cn_music_stats_compute(truth.notes, truth.n_notes, a->cont_beats, tt, ntt, &sr) &&
            !cn_music_stats_compute(gn, ng, a->cont_beats, info.tokens, info.gen_tokens, &sg) &&
            !stat_push(t, &sr, &sg)) rc = 0;
    }
    if (rc) snprintf(err, errlen, "out of memory");
    free(gn); free(tt);
    cn_continue_info_free(&info);
    cn_song_free(&gen);
out:
    cn_song_free(&seed); cn_song_free(&truth);
    return rc;
}

static void measure_file(const cn_model *m, const eval_args *a, const cn_song *song, int file_index, stat_table *t) {
    if (song->n_notes == 0 || a->windows <= 0) return;
    double bar = song->ts_num > 0 && song->ts_den > 0 ? song->ts_num * 4.0 / song->ts_den : 4.0;
    double start = floor(song->notes[0].start_beat / bar) * bar;
    double usable = song->end_beat - start - (a->seed_beats + a->cont_beats);
    if (usable < 0) return;
    for (int k = 0; k < a->windows; k++) {
        double frac = a->windows > 1 ? (double)k / (a->windows - 1) : 0.0;
        double at = start + floor(usable * frac / bar) * bar;
        char err[256];
        if (measure_window(m, a, song, at, a->rng + (uint64_t)file_index * 1000 + (uint64_t)k, t, err, sizeof err) < 0)
            fprintf(stderr, PROGRAM ": window at beat %g: %s\n", at, err);
    }
}

/* ---- output ---- */
static void json_str(const char *s) {
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}
static void json_num(double v) { if (isfinite(v)) printf("%.6g", v); else printf("null"); }

typedef struct {
    const char *model_path; const cn_model *m;
    int files, skipped; size_t unk;
    score net;
    int have_ngram, ngram_order; const char *ngram_source; char ngram_why[1100];
    cn_ngram_score ng, ng_val; size_t ngram_train_tokens; int ngram_train_pieces, ngram_val_pieces;
    stat_table st;
} report;

static void print_json(const report *r, const eval_args *a) {
    double ce = r->net.tokens ? r->net.nll / (double)r->net.tokens : NAN;
    double acc = r->net.tokens ? (double)r->net.hits / (double)r->net.tokens : NAN;
    printf("{\"model\": "); json_str(r->model_path);
    printf(", \"encoding\": "); json_str(cn_encoding_name(r->m->encoding));
    printf(", \"files\": %d, \"files_skipped\": %d, \"tokens\": %llu", r->files, r->skipped, (unsigned long long)r->net.tokens);
    printf(", \"cross_entropy\": "); json_num(ce);
    printf(", \"accuracy\": "); json_num(acc);
    printf(", \"perplexity\": "); json_num(exp(ce));
    if (r->m->encoding == CN_ENC_PAPER) printf(", \"unknown_tokens\": %zu", r->unk);
    else {
        int e = r->m->encoding == CN_ENC_NOTE ? 1 : 0;
        printf(", \"by_kind\": {");
        for (int k = 0; k < N_KINDS; k++) {
            const tally *t = &r->net.kind[k];
            printf("%s\"%s\": {\"tokens\": %llu, \"cross_entropy\": ", k ? ", " : "", KIND_NAMES[e][k],
                   (unsigned long long)t->tokens);
            json_num(t->tokens ? t->nll / (double)t->tokens : NAN);
            printf(", \"accuracy\": ");
            json_num(t->tokens ? (double)t->hits / (double)t->tokens : NAN);
            printf("}");
        }
        printf("}");
    }
    printf(", \"ngram_cross_entropy\": "); json_num(r->have_ngram ? r->ng.cross_entropy : NAN);
    printf(", \"ngram_accuracy\": "); json_num(r->have_ngram ? r->ng.accuracy : NAN);
    printf(", \"ngram_order\": %d, \"ngram_val_cross_entropy\": ", r->have_ngram ? r->ngram_order : 0);
    json_num(r->have_ngram ? r->ng_val.cross_entropy : NAN);
    printf(", \"ngram_train_tokens\": %zu, \"ngram_train_pieces\": %d, \"ngram_val_pieces\": %d, \"ngram_source\": ",
           r->ngram_train_tokens, r->ngram_train_pieces, r->ngram_val_pieces);
    json_str(r->have_ngram ? r->ngram_source : r->ngram_why);
    printf(", \"network_beats_ngram\": %s", r->have_ngram && r->net.tokens ? (ce < r->ng.cross_entropy ? "true" : "false") : "null");
    printf(", \"stats\": {\"windows\": %d, \"seed_beats\": %g, \"cont_beats\": %g, \"temperature\": %g, \"top_k\": %d, \"top_p\": %g, \"max_run\": %d, \"key\": ",
           r->st.n, a->seed_beats, a->cont_beats, (double)a->sample.temperature, a->sample.top_k,
           (double)a->sample.top_p, a->sample.max_run);
    json_str(a->key);
    for (int s = 0; s < N_STATS; s++) {
        cn_stat_summary sum[2];
        for (int k = 0; k < 2; k++) {
            double *tmp = malloc(((size_t)r->st.n + 1) * sizeof *tmp);
            if (tmp && r->st.n) memcpy(tmp, r->st.v[k][s], (size_t)r->st.n * sizeof *tmp);
            sum[k] = tmp ? cn_stat_summarise(tmp, r->st.n) : (cn_stat_summary){ 0 };
            free(tmp);
        }
        printf(", \"%s\": {", STAT_NAMES[s]);
        for (int k = 0; k < 2; k++) {
            printf("%s\"%s\": {\"mean\": ", k ? ", " : "", k ? "generated" : "real");
            json_num(sum[k].n ? sum[k].mean : NAN);
            printf(", \"p10\": "); json_num(sum[k].n ? sum[k].p10 : NAN);
            printf(", \"p90\": "); json_num(sum[k].n ? sum[k].p90 : NAN);
            printf(", \"min\": "); json_num(sum[k].n ? sum[k].min : NAN);
            printf(", \"max\": "); json_num(sum[k].n ? sum[k].max : NAN);
            printf("}");
        }
        printf(", \"generated_mean_within_real_p10_p90\": %s}",
               sum[0].n ? (sum[1].mean >= sum[0].p10 && sum[1].mean <= sum[0].p90 ? "true" : "false") : "null");
    }
    printf("}}\n");
}

static void print_text(const report *r, const eval_args *a) {
    double ce = r->net.tokens ? r->net.nll / (double)r->net.tokens : NAN;
    double acc = r->net.tokens ? (double)r->net.hits / (double)r->net.tokens : NAN;
    printf("model %s (%s encoding, %s)\n", r->model_path, cn_encoding_name(r->m->encoding), r->m->spec_text);
    printf("files: %d measured, %d skipped; %llu tokens scored\n", r->files, r->skipped, (unsigned long long)r->net.tokens);
    printf("%-22s %14s %10s\n", "", "cross-entropy", "accuracy");
    printf("%-22s %9.4f nats %9.2f%%\n", "network", ce, 100 * acc);
    int e = r->m->encoding == CN_ENC_NOTE ? 1 : 0;
    for (int k = 0; k < N_KINDS && r->m->encoding != CN_ENC_PAPER; k++) {
        const tally *t = &r->net.kind[k];
        if (!t->tokens) continue;
        printf("  %-20s %9.4f nats %9.2f%%  (%.1f%% of the tokens)\n", KIND_NAMES[e][k], t->nll / (double)t->tokens,
               100.0 * (double)t->hits / (double)t->tokens, 100.0 * (double)t->tokens / (double)r->net.tokens);
    }
    if (r->have_ngram) {
        char name[64];
        snprintf(name, sizeof name, "Kneser-Ney %d-gram", r->ngram_order);
        printf("%-22s %9.4f nats %9.2f%%\n", name, r->ng.cross_entropy, 100 * r->ng.accuracy);
        printf("  (n-gram: %s; %zu training tokens in %d pieces; order chosen on %d validation pieces, "
               "val cross-entropy %.4f)\n", r->ngram_source, r->ngram_train_tokens, r->ngram_train_pieces,
               r->ngram_val_pieces, r->ng_val.cross_entropy);
        printf("  the network %s the n-gram by %.4f nats/token\n", ce < r->ng.cross_entropy ? "beats" : "does NOT beat",
               fabs(r->ng.cross_entropy - ce));
    } else {
        printf("n-gram baseline: none (%s)\n", r->ngram_why);
    }
    if (!r->st.n) { printf("music statistics: no seed windows (files too short or --windows 0)\n"); return; }
    printf("\nmusic statistics over %d windows: %g-beat seeds, %g-beat continuations\n"
           "(temperature %g, top-k %d, top-p %g, max run %d, key %s)\n",
           r->st.n, a->seed_beats, a->cont_beats, (double)a->sample.temperature, a->sample.top_k,
           (double)a->sample.top_p, a->sample.max_run, a->key);
    printf("%-18s %-11s %26s %26s  %s\n", "statistic", "unit", "real mean [p10..p90]", "generated mean [p10..p90]", "gen mean in real p10..p90");
    for (int s = 0; s < N_STATS; s++) {
        cn_stat_summary sum[2];
        for (int k = 0; k < 2; k++) {
            double *tmp = malloc((size_t)r->st.n * sizeof *tmp);
            if (!tmp) return;
            memcpy(tmp, r->st.v[k][s], (size_t)r->st.n * sizeof *tmp);
            sum[k] = cn_stat_summarise(tmp, r->st.n);
            free(tmp);
        }
        char rb[64], gb[64];
        snprintf(rb, sizeof rb, "%.2f [%.2f..%.2f]", sum[0].mean, sum[0].p10, sum[0].p90);
        snprintf(gb, sizeof gb, "%.2f [%.2f..%.2f]", sum[1].mean, sum[1].p10, sum[1].p90);
        printf("%-18s %-11s %26s %26s  %s\n", STAT_NAMES[s], STAT_UNITS[s], rb, gb,
               sum[1].mean >= sum[0].p10 && sum[1].mean <= sum[0].p90 ? "yes" : "no");
    }
}

/* ---- the run: load, measure, report ---- */

/* What the run's steps share: the model, its corpus when it was found, the files measured. */
typedef struct {
    eval_args a;
    int progress;
    char found[4096];   /* the shipped model's path, when none was given */
    cn_model *m;
    cn_corpus corpus; int have_corpus; char corpus_why[1024];
    char **listed; int n_listed;
    eval_file *ef;
    cn_midi_opts mo;
    report r;
} eval_run;

static int load_model(eval_run *e) {
    char err[600];
    if (!e->a.model_path) {
        e->a.model_path = cn_default_model_path(e->found, sizeof e->found);
        if (!e->a.model_path) {
            fprintf(stderr, PROGRAM ": no model given and the shipped default model was not found; pass -m MODEL.cnm\n");
            return -1;
        }
    }
    e->m = cn_model_load(e->a.model_path, err, sizeof err);
    if (!e->m) { fprintf(stderr, PROGRAM ": model: %s\n", err); return -1; }
    e->r.model_path = e->a.model_path; e->r.m = e->m;
    return 0;
}

/* The model's own corpus, when it can be found: for --split and for the n-gram. */
static int load_corpus(eval_run *e) {
    const eval_args *a = &e->a;
    if (!a->split && (a->no_ngram || a->n_ngram_paths)) return 0;
    if (!a->quiet) fprintf(stderr, PROGRAM ": loading the model's corpus...\n");
    e->have_corpus = cn_model_corpus_load(e->m, a->model_path, a->corpus_dir, &e->corpus, e->corpus_why,
                                          sizeof e->corpus_why) == 0;
    if (!e->have_corpus && a->split) {
        fprintf(stderr, PROGRAM ": --split %s: %s\n", a->split, e->corpus_why);
        return -1;
    }
    return 0;
}

/* The files to measure: those named, and the corpus's pieces of the --split. */
static void list_files(eval_run *e) {
    char err[600];
    for (int i = 0; i < e->a.n_files; i++)
        if (cn_midi_list_append(e->a.files[i], &e->listed, &e->n_listed, err, sizeof err) < 0)
            fprintf(stderr, PROGRAM ": %s\n", err);
    if (!e->have_corpus || !e->a.split) return;
    int want = !strcmp(e->a.split, "test") ? CN_SPLIT_TEST : CN_SPLIT_VAL;
    for (int i = 0; i < e->corpus.n_pieces; i++) {
        if (e->corpus.pieces[i].split != want) continue;
        char **g = realloc(e->listed, (size_t)(e->n_listed + 2) * sizeof *g);
        if (!g) break;
        e->listed = g;
        e->listed[e->n_listed++] = strdup(e->corpus.pieces[i].path);
    }
}

/* Each listed file read and encoded; one that will not is skipped with its reason. */
static int read_files(eval_run *e) {
    char err[600];
    report *r = &e->r;
    e->ef = calloc((size_t)e->n_listed + 1, sizeof *e->ef);
    if (!e->ef) { fprintf(stderr, PROGRAM ": out of memory\n"); return -1; }
    for (int i = 0; i < e->n_listed; i++) {
        if (!e->listed[i]) continue;
        eval_file *f = &e->ef[r->files];
        if (cn_midi_read(e->listed[i], &e->mo, &f->song, err, sizeof err)) {
            fprintf(stderr, PROGRAM ": skipped %s\n", err);
            r->skipped++;
            continue;
        }
        if (encode_song(e->m, &f->song, &f->tok, &f->n_tok, &r->unk) || f->n_tok < 2) {
            fprintf(stderr, PROGRAM ": skipped %s: %s\n", e->listed[i], f->n_tok < 2 ? "too few notes" : "out of memory");
            free(f->tok); cn_song_free(&f->song); f->tok = NULL;
            r->skipped++;
            continue;
        }
        f->path = e->listed[i];
        r->files++;
    }
    if (r->files == 0) { fprintf(stderr, PROGRAM ": no MIDI file could be measured\n"); return -1; }
    return 0;
}

/* The network's score, streamed through each file. */
static int score_network(eval_run *e) {
    const cn_model *m = e->m;
    cn_stream *st = cn_stream_new(m, CN_W_F32);
    if (!st) { fprintf(stderr, PROGRAM ": out of memory\n"); return -1; }
    for (int i = 0; i < e->r.files; i++) {
        if (e->progress) fprintf(stderr, "\r" PROGRAM ": scoring %d/%d", i + 1, e->r.files);
        score_stream(st, m->encoding, m->vocab, m->encoding == CN_ENC_NOTE ? CN_NT_KEY : m->vocab, e->ef[i].tok,
                     e->ef[i].n_tok, e->a.max_tokens, &e->r.net);
    }
    if (e->progress) fprintf(stderr, "\n");
    cn_stream_free(st);
    return 0;
}

/* The n-gram's pieces from --ngram-train files: a tenth of them choose its order. */
static void ngram_pieces_from_files(eval_run *e, seq_set *train, seq_set *val) {
    char err[600];
    char **p = NULL; int n = 0;
    for (int i = 0; i < e->a.n_ngram_paths; i++)
        if (cn_midi_list_append(e->a.ngram_paths[i], &p, &n, err, sizeof err) < 0)
            fprintf(stderr, PROGRAM ": --ngram-train %s\n", err);
    int *split = calloc((size_t)n + 1, sizeof *split);
    const int ratio[CN_N_SPLITS] = { 9, 1, 0 };
    if (split) cn_split_assign(n, ratio, 1, 1, split);
    for (int i = 0; split && i < n; i++) {
        cn_song s; int *t; size_t nt;
        if (is_eval_file(p[i], e->ef, e->r.files)) continue;   /* never count what is measured */
        if (cn_midi_read(p[i], &e->mo, &s, err, sizeof err)) continue;
        if (!encode_song(e->m, &s, &t, &nt, NULL)) {
            if (seq_push(split[i] == CN_SPLIT_TRAIN ? train : val, t, nt)) free(t);
        }
        cn_song_free(&s);
    }
    free(split);
    cn_midi_list_free(p, n);
}

/* The n-gram's pieces from the model's corpus: its training split, and its validation split
 * to choose the order. */
static void ngram_pieces_from_corpus(eval_run *e, seq_set *train, seq_set *val) {
    for (int i = 0; i < e->corpus.n_pieces; i++) {
        const cn_piece *pc = &e->corpus.pieces[i];
        if (pc->split == CN_SPLIT_TEST || is_eval_file(pc->path, e->ef, e->r.files)) continue;
        size_t nt; int *t = piece_tokens(e->m, &e->corpus, pc, &nt);
        if (t && seq_push(pc->split == CN_SPLIT_TRAIN ? train : val, t, nt)) free(t);
    }
}

/* Train the n-gram, choose its order on val, and score the measured files with it. */
static void ngram_fit(eval_run *e, const seq_set *train, const seq_set *val) {
    const cn_model *m = e->m;
    report *r = &e->r;
    char err[600];
    cn_ngram g;
    if (!e->a.quiet) fprintf(stderr, PROGRAM ": n-gram on %zu tokens...\n", seq_tokens(train));
    if (cn_ngram_train(&g, m->vocab, e->a.ngram_order, (const int *const *)train->tok, train->len, train->n, err, sizeof err)) {
        snprintf(r->ngram_why, sizeof r->ngram_why, "%s", err);
        return;
    }
    if (m->encoding == CN_ENC_NOTE) g.score_below = CN_NT_KEY;
    r->ngram_order = cn_ngram_choose_order(&g, (const int *const *)val->tok, val->len, val->n, 1, &r->ng_val);
    double *scratch = malloc((size_t)m->vocab * sizeof *scratch);
    const int **et = malloc((size_t)r->files * sizeof *et);
    size_t *el = malloc((size_t)r->files * sizeof *el);
    if (scratch && et && el) {
        for (int i = 0; i < r->files; i++) {
            et[i] = e->ef[i].tok;
            el[i] = e->a.max_tokens && e->ef[i].n_tok > e->a.max_tokens ? e->a.max_tokens : e->ef[i].n_tok;
        }
        r->ng = cn_ngram_eval(&g, r->ngram_order, et, el, r->files, 1, scratch);
        r->have_ngram = 1;
        r->ngram_train_tokens = seq_tokens(train);
        r->ngram_train_pieces = train->n; r->ngram_val_pieces = val->n;
    }
    free(scratch); free(et); free(el);
    cn_ngram_free(&g);
}

/* The n-gram baseline, or the reason there is none (in r.ngram_why). */
static void ngram_baseline(eval_run *e) {
    report *r = &e->r;
    if (e->a.no_ngram) { snprintf(r->ngram_why, sizeof r->ngram_why, "--no-ngram"); return; }
    seq_set train = { 0 }, val = { 0 };
    if (e->a.n_ngram_paths) {
        r->ngram_source = "--ngram-train files, every piece but a tenth for choosing the order";
        ngram_pieces_from_files(e, &train, &val);
    } else if (e->have_corpus) {
        r->ngram_source = "the model's training split (corpus and seed from its metadata)";
        ngram_pieces_from_corpus(e, &train, &val);
    } else {
        snprintf(r->ngram_why, sizeof r->ngram_why, "%s; pass --ngram-train", e->corpus_why);
        return;
    }
    if (train.n == 0 || val.n == 0)
        snprintf(r->ngram_why, sizeof r->ngram_why, "too few pieces to train the n-gram and choose its order (%d train, %d val)", train.n, val.n);
    else ngram_fit(e, &train, &val);
    seq_free(&train); seq_free(&val);
}

/* Continuations of seeds from each file, beside the files' true continuations. */
static void continue_seeds(eval_run *e) {
    for (int i = 0; i < e->r.files; i++) {
        if (e->progress) fprintf(stderr, "\r" PROGRAM ": continuing seeds of %d/%d", i + 1, e->r.files);
        measure_file(e->m, &e->a, &e->ef[i].song, i, &e->r.st);
    }
    if (e->progress) fprintf(stderr, "\n");
}

static void eval_run_free(eval_run *e) {
    for (int k = 0; k < 2; k++) for (int s = 0; s < N_STATS; s++) free(e->r.st.v[k][s]);
    for (int i = 0; e->ef && i < e->r.files; i++) { free(e->ef[i].tok); cn_song_free(&e->ef[i].song); }
    free(e->ef);
    cn_midi_list_free(e->listed, e->n_listed);
    if (e->have_corpus) cn_corpus_free(&e->corpus);
    cn_model_free(e->m);
}

static int eval_main(eval_args *args);

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)   /* the listening yardstick is its own command (listen_cli.c) */
        if (!strcmp(argv[i], "--listen")) return cn_listen_main(argc, argv);
    eval_args a;
    int parsed = parse_args(argc, argv, &a);
    int rc = parsed >= 0 ? parsed : eval_main(&a);
    free(a.files); free(a.ngram_paths);
    return rc;
}

/* Everything after the arguments, which main frees on every path. */
static int eval_main(eval_args *args) {
    eval_run run, *e = &run;
    memset(e, 0, sizeof *e);
    e->a = *args;
    e->progress = !e->a.quiet && isatty(fileno(stderr));   /* \r lines only for a person watching */
    e->mo = cn_midi_opts_default();
    int rc = 1;
    if (load_model(e) == 0 && load_corpus(e) == 0) {
        list_files(e);
        if (read_files(e) == 0 && score_network(e) == 0) {
            ngram_baseline(e);
            continue_seeds(e);
            if (e->a.json) print_json(&e->r, &e->a); else print_text(&e->r, &e->a);
            rc = 0;
        }
    }
    eval_run_free(e);
    return rc;
}
