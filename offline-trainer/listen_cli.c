/* listen_cli.c: continuo-eval --listen (see listen_cli.h): which pieces, how the model
 * continues them, and the report: per feature the generated and real medians and the overlap
 * of their per-piece distributions, then the mean overlap, as a table or as JSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "listen_cli.h"
#include "listen_render.h"
#include "listen_report.h"
#include "listen_run.h"
#include "modelcorpus.h"
#include "modelfile.h"
#include "sample.h"

#define PROGRAM "continuo-eval --listen"
#define DEFAULT_SOUNDFONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"

static void usage(FILE *f) {
    fprintf(f,
        "usage: continuo-eval --listen [-m MODEL] (--split test|val | MIDI_FILE_OR_FOLDER...) [options]\n"
        "The listening yardstick: each piece's first B beats (from the bar line at or before its\n"
        "first note) are the seed; the model continues it for C beats, and nine features of that\n"
        "continuation are set beside the same features of the piece's own next C beats.\n"
        "  -m MODEL            model file (default: the shipped model)\n"
        "  --split test|val    the model's own held-out pieces (corpus and split from its metadata)\n"
        "  --corpus DIR        with --split: the corpus is here, not where the metadata says\n"
        "  --pieces N          at most the first N pieces (in path order; default all)\n"
        "  --reference PATH    other pieces (files or folders, repeatable) whose real continuations\n"
        "                      are set beside these real ones: the overlap music like the corpus\n"
        "                      reaches with this many pieces. With --split: the other held-out split\n"
        "  --no-reference      no reference\n"
        "  --primer-beats B    primer length (default 16)\n"
        "  --cont-beats C      continuation length (default 32)\n"
        "  --live              continue through the live engine (call and response on the simulated\n"
        "                      clock of continuo-live's file mode): the seed is the call, the answer\n"
        "                      the continuation (as long as the call, at most C beats, at most 64)\n"
        "  --temperature T, --top-p P\n"
        "                      sampling (offline defaults as continuo-generate: 1 and 0.95; live\n"
        "                      defaults as the live engine: 1 and 0.95)\n"
        "  --top-k K, --repeat-penalty R, --max-run N, --key K, --steer S, --key-control K,\n"
        "  --density D         offline only, as continuo-generate (max run default 4, key off)\n"
        "  --rng SEED          sampling seed; piece i uses SEED + i (default 1)\n"
        "  --json              one JSON object, with every piece's values\n"
        "  --render DIR        write the first pieces' seed + generated and seed + real\n"
        "                      continuations to DIR as MIDI, piano roll and (with fluidsynth) WAV\n"
        "  --render-pieces N   how many pieces --render writes (default 3)\n"
        "  --roll-format png|svg   the piano rolls' format (default png)\n"
        "  --soundfont SF2     for the WAV files (default " DEFAULT_SOUNDFONT ")\n"
        "  -q                  no progress or skipped-piece lines on stderr\n");
}

typedef struct {
    const char *model_path, *split, *corpus_dir, *render_dir, *roll_ext, *soundfont, *key;
    const char **files; int n_files;
    const char **refs; int n_refs;
    int no_ref;
    int json, quiet, max_pieces, render_pieces;
    int have_temp, have_top_p, offline_only_flag;
    const char *offline_flag;   /* the first offline-only flag given (for --live's message) */
    cn_listen_opts lo;
    uint64_t rng;
} listen_args;

static int num(const char *opt, const char *v, double lo, double hi, int whole, double *out) {
    char *end;
    errno = 0;
    double d = v ? strtod(v, &end) : NAN;
    if (!v || errno || end == v || *end || !(d >= lo && d <= hi) || (whole && d != floor(d))) {
        fprintf(stderr, PROGRAM ": %s wants a%s number from %g to %g, not '%s'\n", opt, whole ? " whole" : "",
                lo, hi, v ? v : "");
        return -1;
    }
    *out = d;
    return 0;
}

static int parse_value(listen_args *a, const char *o, const char *v) {
    double d;
    cn_sample_opts *s = &a->lo.cont.sample;
    if (!strcmp(o, "-m") || !strcmp(o, "--model")) a->model_path = v;
    else if (!strcmp(o, "--split")) {
        if (strcmp(v, "test") && strcmp(v, "val")) { fprintf(stderr, PROGRAM ": --split is test or val, not '%s'\n", v); return -1; }
        a->split = v;
    } else if (!strcmp(o, "--corpus")) a->corpus_dir = v;
    else if (!strcmp(o, "--reference")) a->refs[a->n_refs++] = v;
    else if (!strcmp(o, "--pieces")) { if (num(o, v, 1, 1e6, 1, &d)) return -1; a->max_pieces = (int)d; }
    else if (!strcmp(o, "--primer-beats")) { if (num(o, v, 1, 1000, 0, &d)) return -1; a->lo.seed_beats = d; }
    else if (!strcmp(o, "--seed-beats")) { cn_cli_retired(PROGRAM, "--seed-beats", "the primer's length is --primer-beats B"); return -1; }
    else if (!strcmp(o, "--cont-beats")) { if (num(o, v, 1, 1000, 0, &d)) return -1; a->lo.cont_beats = d; }
    else if (!strcmp(o, "--temperature")) { if (num(o, v, 0, CN_TEMPERATURE_MAX, 0, &d)) return -1; s->temperature = (float)d; a->have_temp = 1; }
    else if (!strcmp(o, "--top-p")) { if (num(o, v, 1e-6, 1, 0, &d)) return -1; s->top_p = (float)d; a->have_top_p = 1; }
    else if (!strcmp(o, "--rng")) { if (num(o, v, 0, 1e18, 1, &d)) return -1; a->rng = (uint64_t)d; }
    else if (!strcmp(o, "--render")) a->render_dir = v;
    else if (!strcmp(o, "--render-pieces")) { if (num(o, v, 0, 1000, 1, &d)) return -1; a->render_pieces = (int)d; }
    else if (!strcmp(o, "--roll-format")) {
        if (strcmp(v, "png") && strcmp(v, "svg")) { fprintf(stderr, PROGRAM ": --roll-format is png or svg, not '%s'\n", v); return -1; }
        a->roll_ext = v;
    } else if (!strcmp(o, "--soundfont")) a->soundfont = v;
    else {
        if (!strcmp(o, "--top-k")) { if (num(o, v, 0, 1 << 24, 1, &d)) return -1; s->top_k = (int)d; }
        else if (!strcmp(o, "--repeat-penalty")) { if (num(o, v, 1, 100, 0, &d)) return -1; s->repeat_penalty = (float)d; }
        else if (!strcmp(o, "--max-run")) { if (num(o, v, 0, 1e6, 1, &d)) return -1; s->max_run = (int)d; }
        else if (!strcmp(o, "--steer")) { if (num(o, v, 0, 8, 0, &d)) return -1; a->lo.cont.pc_steer = (float)d; }
        else if (!strcmp(o, "--key-control") || !strcmp(o, "--density")) {
            char why[160];
            int bad = !strcmp(o, "--density") ? cn_continue_parse_density(v, &a->lo.cont.density_control, why, sizeof why)
                                              : cn_continue_parse_key_control(v, &a->lo.cont.key_control, why, sizeof why);
            if (bad) { fprintf(stderr, PROGRAM ": %s: %s\n", o, why); return -1; }
        } else if (!strcmp(o, "--key")) {
            a->lo.cont.key_auto = !strcmp(v, "auto");
            s->key_mask = a->lo.cont.key_auto || !strcmp(v, "off") ? 0 : cn_key_parse(v);
            if (!a->lo.cont.key_auto && strcmp(v, "off") && !s->key_mask) {
                fprintf(stderr, PROGRAM ": --key: '%s' is not a key (auto, off, C, Am, F#, Bbm...)\n", v);
                return -1;
            }
            a->key = v;
        } else { fprintf(stderr, PROGRAM ": unknown option '%s' (see " PROGRAM " --help)\n", o); return -1; }
        if (!a->offline_flag) a->offline_flag = o;
    }
    return 0;
}

static int parse_args(int argc, char **argv, listen_args *a) {
    memset(a, 0, sizeof *a);
    a->lo.seed_beats = 16; a->lo.cont_beats = 32;
    a->lo.cont = cn_continue_defaults();   /* the same sampling as continuo-generate */
    a->rng = 1; a->key = "off"; a->render_pieces = 3; a->roll_ext = "png"; a->soundfont = DEFAULT_SOUNDFONT;
    a->files = calloc((size_t)argc + 1, sizeof *a->files);
    a->refs = calloc((size_t)argc + 1, sizeof *a->refs);
    if (!a->files || !a->refs) { fprintf(stderr, PROGRAM ": out of memory\n"); return -1; }
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--listen")) continue;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) { usage(stdout); exit(0); }
        else if (!strcmp(o, "--json")) a->json = 1;
        else if (!strcmp(o, "-q")) a->quiet = 1;
        else if (!strcmp(o, "--live")) a->lo.live = 1;
        else if (!strcmp(o, "--no-reference")) a->no_ref = 1;
        else if (o[0] != '-') a->files[a->n_files++] = o;
        else if (!v) { fprintf(stderr, PROGRAM ": option '%s' needs a value, or is unknown (see " PROGRAM " --help)\n", o); return -1; }
        else { if (parse_value(a, o, v)) return -1; i++; }
    }
    if (!a->n_files && !a->split) { fprintf(stderr, PROGRAM ": give MIDI files or folders, or --split test|val\n"); return -1; }
    if (a->n_files && a->split) { fprintf(stderr, PROGRAM ": give MIDI files or --split, not both\n"); return -1; }
    if (a->n_refs && a->no_ref) { fprintf(stderr, PROGRAM ": --reference and --no-reference contradict\n"); return -1; }
    if (a->n_refs && a->split) { fprintf(stderr, PROGRAM ": with --split the reference is the other held-out split; no --reference\n"); return -1; }
    if (a->corpus_dir && !a->split) { fprintf(stderr, PROGRAM ": --corpus goes with --split\n"); return -1; }
    if (a->lo.live) {
        if (a->offline_flag) {
            fprintf(stderr, PROGRAM ": %s is an offline option: the live engine samples with --temperature and "
                    "--top-p only\n", a->offline_flag);
            return -1;
        }
        if (a->lo.cont_beats > 64) {
            fprintf(stderr, PROGRAM ": --live: --cont-beats is at most 64 (the live engine's longest answer)\n");
            return -1;
        }
        cn_jam_params p;
        cn_jam_params_default(&p);
        if (!a->have_temp) a->lo.cont.sample.temperature = p.temperature;
        if (!a->have_top_p) a->lo.cont.sample.top_p = p.top_p;
        if (a->lo.cont.sample.temperature > 2) {
            fprintf(stderr, PROGRAM ": --live: --temperature is at most 2 (the live engine's range)\n");
            return -1;
        }
    }
    a->lo.temperature = a->lo.cont.sample.temperature;
    a->lo.top_p = a->lo.cont.sample.top_p;
    return 0;
}

/* ---- which pieces ---- */
static int push_path(char ***v, int *n, char *p) {
    char **g = realloc(*v, (size_t)(*n + 2) * sizeof *g);
    if (!g) { free(p); return -1; }
    *v = g;
    g[(*n)++] = p;
    return 0;
}

/* Files and folders (listed recursively) into paths. 0, or -1 after a message. */
static int list_files(const char *const *files, int n_files, char ***paths, int *n) {
    char err[600];
    for (int i = 0; i < n_files; i++) {
        char **p;
        int k = cn_midi_list(files[i], &p, err, sizeof err);
        if (k < 0) { fprintf(stderr, PROGRAM ": %s\n", err); return -1; }
        if (k == 0) fprintf(stderr, PROGRAM ": %s: no MIDI files (.mid, .midi) in it\n", files[i]);
        for (int j = 0; j < k; j++) {
            if (push_path(paths, n, p[j])) {
                for (j++; j < k; j++) free(p[j]);
                free(p);
                fprintf(stderr, PROGRAM ": out of memory\n");
                return -1;
            }
        }
        free(p);
    }
    return 0;
}

/* The pieces: the files given, or the model's split; and the reference's (the other held-out
 * split, or --reference). 0, or -1 after a message. */
static int list_pieces(const listen_args *a, const cn_model *m, char ***paths, int *n, char ***refs, int *n_refs) {
    char err[600];
    *paths = NULL; *n = 0; *refs = NULL; *n_refs = 0;
    if (a->split) {
        cn_corpus c;
        if (!a->quiet) fprintf(stderr, PROGRAM ": loading the model's corpus...\n");
        if (cn_model_corpus_load(m, a->model_path, a->corpus_dir, &c, err, sizeof err)) {
            fprintf(stderr, PROGRAM ": --split %s: %s%s\n", a->split, err,
                    a->corpus_dir ? "" : " (--corpus DIR gives its folder)");
            return -1;
        }
        int want = !strcmp(a->split, "test") ? CN_SPLIT_TEST : CN_SPLIT_VAL, rc = 0;
        int other = want == CN_SPLIT_TEST ? CN_SPLIT_VAL : CN_SPLIT_TEST;
        for (int i = 0; i < c.n_pieces && !rc; i++)
            if (c.pieces[i].split == want || (c.pieces[i].split == other && !a->no_ref)) {
                char *p = strdup(c.pieces[i].path);
                rc = !p ? -1 : c.pieces[i].split == want ? push_path(paths, n, p) : push_path(refs, n_refs, p);
            }
        cn_corpus_free(&c);
        if (rc) { fprintf(stderr, PROGRAM ": out of memory\n"); return -1; }
        return 0;
    }
    if (list_files(a->files, a->n_files, paths, n) || list_files(a->refs, a->n_refs, refs, n_refs)) {
        cn_midi_list_free(*paths, *n); cn_midi_list_free(*refs, *n_refs);
        *paths = *refs = NULL; *n = *n_refs = 0;
        return -1;
    }
    return 0;
}

/* "03-Chopin_op10" from the index and the file's name, for rendered files */
static void render_stem(int index, const char *path, char *buf, size_t len) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) n = (size_t)(dot - base);
    snprintf(buf, len, "%02d-%.*s", index, (int)n, base);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Every piece: read, measure, render the first few. Fills the report's pieces. */
static int measure_all(const listen_args *a, cn_model *m, char **paths, int n_paths, cn_listen_report *r,
                       cn_listen_piece *pieces, char **measured) {
    int progress = !a->quiet && isatty(fileno(stderr));
    cn_midi_opts mo = cn_midi_opts_default();
    cn_listen_render_opts ro = { a->render_dir, a->roll_ext, a->soundfont };
    int rendered = 0, wavs = 0;
    char err[600];
    for (int i = 0; i < n_paths && (!a->max_pieces || r->n < a->max_pieces); i++) {
        if (progress) fprintf(stderr, "\r" PROGRAM ": piece %d/%d", i + 1, n_paths);
        cn_song song;
        if (cn_midi_read(paths[i], &mo, &song, err, sizeof err)) {
            if (!a->quiet) fprintf(stderr, "%s" PROGRAM ": skipped %s\n", progress ? "\n" : "", err);
            r->skipped++;
            continue;
        }
        int want_render = a->render_dir && rendered < a->render_pieces;
        cn_listen_render gen = { 0 }, real = { 0 };
        int rc = cn_listen_piece_run(m, &song, &a->lo, a->rng + (uint64_t)i, &pieces[r->n],
                                     want_render ? &gen : NULL, want_render ? &real : NULL, err, sizeof err);
        cn_song_free(&song);
        if (rc < 0) { fprintf(stderr, "%s" PROGRAM ": %s: %s\n", progress ? "\n" : "", paths[i], err); return -1; }
        if (rc > 0) {
            if (!a->quiet) fprintf(stderr, "%s" PROGRAM ": skipped %s: %s\n", progress ? "\n" : "", paths[i], err);
            r->skipped++;
            continue;
        }
        if (want_render) {
            char stem[512];
            int w = 0;
            render_stem(rendered, paths[i], stem, sizeof stem);
            rc = cn_listen_render_piece(&ro, stem, &gen, &real, &w, err, sizeof err);
            cn_song_free(&gen.song); cn_song_free(&real.song);
            if (rc) { fprintf(stderr, "%s" PROGRAM ": %s\n", progress ? "\n" : "", err); return -1; }
            rendered++; wavs += w;
        }
        measured[r->n++] = paths[i];
    }
    if (progress) fprintf(stderr, "\n");
    if (a->render_dir && !a->quiet)
        fprintf(stderr, PROGRAM ": rendered %d pieces to %s (MIDI, %s roll%s)\n", rendered, a->render_dir, a->roll_ext,
                wavs ? ", WAV" : "; no WAV: fluidsynth or the soundfont is missing (apt-get install fluidsynth fluid-soundfont-gm)");
    return 0;
}

/* The reference pieces' real side (no model); as many as --pieces allows. Returns the count. */
static int measure_reference(const listen_args *a, char **paths, int n_paths, cn_listen_piece *ref) {
    cn_midi_opts mo = cn_midi_opts_default();
    char err[600];
    int n = 0;
    for (int i = 0; i < n_paths && (!a->max_pieces || n < a->max_pieces); i++) {
        cn_song song;
        if (cn_midi_read(paths[i], &mo, &song, err, sizeof err)) continue;   /* as the pieces: skipped */
        if (cn_listen_piece_run(NULL, &song, &a->lo, 0, &ref[n], NULL, NULL, err, sizeof err) == 0) n++;
        cn_song_free(&song);
    }
    return n;
}

int cn_listen_main(int argc, char **argv) {
    listen_args a;
    if (parse_args(argc, argv, &a)) { free(a.files); free(a.refs); return 2; }
    char err[600], found[4096];
    if (!a.model_path) {
        a.model_path = cn_default_model_path(found, sizeof found);
        if (!a.model_path) {
            fprintf(stderr, PROGRAM ": no model given and the shipped default model was not found; pass -m MODEL.cnm\n");
            free(a.files); free(a.refs);
            return 1;
        }
    }
    cn_model *m = cn_model_load(a.model_path, err, sizeof err);
    if (!m) { fprintf(stderr, PROGRAM ": model: %s\n", err); free(a.files); free(a.refs); return 1; }
    int rc = 1;
    char **paths = NULL, **ref_paths = NULL; int n_paths = 0, n_ref_paths = 0;
    cn_listen_piece *pieces = NULL, *ref = NULL;
    char **measured = NULL;
    if (list_pieces(&a, m, &paths, &n_paths, &ref_paths, &n_ref_paths)) goto out;
    pieces = calloc((size_t)n_paths + 1, sizeof *pieces);
    measured = calloc((size_t)n_paths + 1, sizeof *measured);
    ref = calloc((size_t)n_ref_paths + 1, sizeof *ref);
    if (!pieces || !measured || !ref) { fprintf(stderr, PROGRAM ": out of memory\n"); goto out; }
    char source[256], ref_source[256];
    if (a.split) snprintf(source, sizeof source, "%s split", a.split);
    else snprintf(source, sizeof source, "%d files given", n_paths);
    if (a.split) snprintf(ref_source, sizeof ref_source, "the %s split", !strcmp(a.split, "test") ? "val" : "test");
    else snprintf(ref_source, sizeof ref_source, "--reference files");
    cn_listen_report r = { a.model_path, cn_encoding_name(m->encoding), source, a.key, &a.lo, a.rng,
                           measured, pieces, 0, 0, 0, ref_source, ref, 0 };
    double t0 = now_seconds();
    if (measure_all(&a, m, paths, n_paths, &r, pieces, measured)) goto out;
    r.n_ref = measure_reference(&a, ref_paths, n_ref_paths, ref);
    r.seconds = now_seconds() - t0;
    if (r.n == 0) { fprintf(stderr, PROGRAM ": no piece could be measured (%d skipped)\n", r.skipped); goto out; }
    if ((a.json ? cn_listen_print_json(stdout, &r) : cn_listen_print_table(stdout, &r)) || fflush(stdout)) {
        fprintf(stderr, PROGRAM ": cannot write the report\n");
        goto out;
    }
    rc = 0;
out:
    free(pieces); free(measured); free(ref);
    cn_midi_list_free(paths, n_paths);
    cn_midi_list_free(ref_paths, n_ref_paths);
    cn_model_free(m);
    free(a.files); free(a.refs);
    return rc;
}
