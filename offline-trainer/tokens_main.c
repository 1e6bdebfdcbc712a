/* tokens_main.c: continuo-tokens, prints the token stream of MIDI files (one token a line,
 * "id name", each file after a "# PATH" line) in any encoding, and a summary on stderr:
 * files, notes, tokens, vocabulary. --stats measures the round trip MIDI -> tokens -> notes;
 * --grid-study compares event grids (onset error against tokens per note); --write decodes
 * one file's tokens back into a MIDI file; --cache DIR writes the token cache continuo-train
 * reads instead of MIDI (tokcache.h), in the event or note encoding. A file that cannot be
 * read is reported and skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "stdout_check.h"
#include "tokcache.h"
#include "tokens.h"

#define PROGRAM "continuo-tokens"

static void usage(FILE *f) {
    fprintf(f,
        "usage: " PROGRAM " [--encoding event|note|paper] [--transpose N] [--quiet] [--stats]\n"
        "                       [--grid-study] [--keep-drums] [--no-sustain] [--write OUT.mid]\n"
        "                       FILE.mid|DIR ...\n"
        "       " PROGRAM " --cache DIR [--encoding event|note] [--shard-mb N] CORPUS...\n"
        "  prints each file's tokens, one a line as \"id name\", then a summary on stderr.\n"
        "  --stats       round-trip error figures (onset, duration, velocity, pitches kept; event, paper)\n"
        "  --grid-study  event encoding at grids 4, 6, 8, 12, 24 steps a beat: onset error vs tokens/note\n"
        "  --write OUT   decode the (single) file's tokens and write them as a MIDI file (event, paper)\n"
        "  --cache DIR   write the corpus's tokens (event or note encoding) into DIR: checksummed shards\n"
        "                and an index, for continuo-train DIR; inputs as continuo-train takes them\n"
        "                (folders, files, @LIST); paper cannot be cached (its vocabulary is the run's)\n"
        "  --shard-mb N  megabytes a shard file of the cache (default %d; --shard-tokens N in tokens)\n"
        "  --encoding E  event (default), note or paper;  --transpose N  semitones;  -q, --quiet  summary only\n"
        "  --keep-drums  keep channel 10;  --no-sustain  ignore the sustain pedal\n"
        "  -h, --help    this text;  --version  the program's version\n"
        "Exit status: 0 ok, 1 runtime error (no file could be read), 2 usage error.\n", CN_TOKCACHE_SHARD_MB);
}

typedef struct {
    cn_encoding enc;
    int transpose, quiet, stats, grid_study;
    const char *write_path;
    const char *cache_dir;
    long shard_tokens;      /* 0 = the default size */
    cn_midi_opts midi;
} options;

typedef struct {
    size_t files, failed, notes, tokens, decoded;
    /* event round trip */
    size_t matched, vel_in_bin, dur_in_half;
    double max_on, max_dur, sum_on, sum_dur;
    int max_vel;
    /* paper round trip */
    size_t groups, single, single_exact, chords, chord_pcs_kept, pc_kept, unk;
    double max_drift, sum_drift;
} totals;

/* ---- event round trip: each source note against the decoded note of its pitch nearest in time ---- */

static int cmp_pitch_start(const void *x, const void *y) {
    const cn_note *a = x, *b = y;
    if (a->pitch != b->pitch) return a->pitch - b->pitch;
    return a->start_beat < b->start_beat ? -1 : a->start_beat > b->start_beat;
}

typedef struct { size_t matched, vel_in_bin, dur_in_half; double max_on, max_dur, sum_on, sum_dur; int max_vel; } ev_err;

static void event_errors(const cn_song *src, int transpose, cn_song *dec, int grid, ev_err *e) {
    memset(e, 0, sizeof *e);
    qsort(dec->notes, dec->n_notes, sizeof *dec->notes, cmp_pitch_start);
    size_t first[129] = { 0 };
    for (size_t i = 0, p = 0; p <= 128; p++) {
        while (i < dec->n_notes && dec->notes[i].pitch < p) i++;
        first[p] = i;
    }
    double half = 0.5 / grid + 1e-9;
    for (size_t i = 0; i < src->n_notes; i++) {
        const cn_note *a = &src->notes[i];
        int p = a->pitch + transpose;
        if (p < 0 || p > 127) continue;
        size_t lo = first[p], hi = first[p + 1];
        const cn_note *best = NULL;
        while (lo < hi) {                       /* first decoded start >= a's */
            size_t mid = (lo + hi) / 2;
            if (dec->notes[mid].start_beat < a->start_beat) lo = mid + 1; else hi = mid;
        }
        for (size_t k = lo > first[p] ? lo - 1 : lo; k <= lo && k < first[p + 1]; k++)
            if (!best || fabs(dec->notes[k].start_beat - a->start_beat) < fabs(best->start_beat - a->start_beat)) best = &dec->notes[k];
        if (!best) continue;
        double on = fabs(best->start_beat - a->start_beat);
        if (on > half) continue;                /* this note was merged away */
        double du = fabs(best->dur_beat - a->dur_beat);
        e->matched++;
        e->sum_on += on; e->sum_dur += du;
        if (on > e->max_on) e->max_on = on;
        if (du > e->max_dur) e->max_dur = du;
        if (du <= half) e->dur_in_half++;
        int dv = abs((int)best->velocity - (int)a->velocity);
        if (dv > e->max_vel) e->max_vel = dv;
        if (cn_ev_vel_bin(best->velocity) == cn_ev_vel_bin(a->velocity)) e->vel_in_bin++;
    }
}

static void event_stats(const cn_song *s, const options *o, const int *tok, size_t n, totals *t) {
    cn_song d;
    if (cn_ev_decode(tok, n, s->tempos[0].bpm, &d) != 0) return;
    ev_err e;
    t->decoded += d.n_notes;
    event_errors(s, o->transpose, &d, CN_EV_GRID, &e);
    t->matched += e.matched; t->vel_in_bin += e.vel_in_bin; t->dur_in_half += e.dur_in_half;
    t->sum_on += e.sum_on; t->sum_dur += e.sum_dur;
    if (e.max_on > t->max_on) t->max_on = e.max_on;
    if (e.max_dur > t->max_dur) t->max_dur = e.max_dur;
    if (e.max_vel > t->max_vel) t->max_vel = e.max_vel;
    cn_song_free(&d);
}

/* ---- paper round trip: group by group, in order ---- */

static size_t next_group(const cn_song *s, size_t i, uint16_t *mask, int *pitch) {
    size_t j = i;
    *mask = 0;
    while (j < s->n_notes && s->notes[j].start_beat == s->notes[i].start_beat) {
        *mask |= (uint16_t)(1u << (s->notes[j].pitch % 12));
        *pitch = s->notes[j].pitch;
        j++;
    }
    return j;
}

/* Token k stands for the k-th onset group: compare what it says (parsed, as the decoder reads
 * it) with the group, and where the decoder puts it (the sum of the durations before it). */
static void paper_stats(const cn_song *s, const options *o, const cn_vocab *v, const int *tok, size_t n, totals *t) {
    cn_song src;
    cn_song_init(&src);
    for (size_t i = 0; i < s->n_notes; i++) {      /* the source as the encoder groups it */
        int p = s->notes[i].pitch + o->transpose;
        if (p < 0 || p > 127) continue;
        double x = s->notes[i].start_beat, a = round(x * 4) / 4, b = round(x * 3) / 3;
        cn_song_add_note(&src, fabs(b - x) < fabs(a - x) - 1e-9 ? b : a, s->notes[i].dur_beat, p, 64, 0);
    }
    cn_song_sort(&src);
    double at = 0;
    size_t i = 0;
    for (size_t k = 0; k < n && i < src.n_notes; k++) {
        uint16_t ma; int pa = -1;
        size_t i2 = next_group(&src, i, &ma, &pa);
        cn_paper_token pt;
        int parsed = tok[k] > 0 && tok[k] < v->n && cn_paper_parse(v->names[tok[k]], &pt) == 0;
        uint16_t mb = 0;
        if (parsed) for (int q = 0; q < pt.n; q++) mb |= (uint16_t)(1u << (pt.pitch[q] % 12));
        t->groups++;
        if (i2 - i == 1) { t->single++; if (parsed && !pt.is_chord && pt.pitch[0] == pa) t->single_exact++; }
        else { t->chords++; if (ma == mb) t->chord_pcs_kept++; }
        for (size_t q = i; q < i2; q++) if (mb & (1u << (src.notes[q].pitch % 12))) t->pc_kept++;
        double drift = fabs(at - src.notes[i].start_beat);
        t->sum_drift += drift;
        if (drift > t->max_drift) t->max_drift = drift;
        if (parsed) at += pt.quarter_len;
        i = i2;
    }
    cn_song_free(&src);
}

/* ---- grid study ---- */

static const int STUDY_GRIDS[] = { 4, 6, 8, 12, 24 };
#define N_STUDY (sizeof STUDY_GRIDS / sizeof *STUDY_GRIDS)
typedef struct { size_t tokens, matched, exact_on, decoded; double sum_on, max_on, sum_dur; } study_row;

static void grid_study(const cn_song *s, const options *o, study_row *rows) {
    for (size_t g = 0; g < N_STUDY; g++) {
        int grid = STUDY_GRIDS[g], *tok; size_t n;
        if (cn_ev_encode_grid(s, o->transpose, grid, 4 * grid, &tok, &n) != 0) continue;
        cn_song d;
        if (cn_ev_decode_grid(tok, n, grid, 4 * grid, 120, &d) == 0) {
            ev_err e;
            event_errors(s, o->transpose, &d, grid, &e);
            rows[g].tokens += n; rows[g].matched += e.matched; rows[g].decoded += d.n_notes;
            rows[g].sum_on += e.sum_on; rows[g].sum_dur += e.sum_dur;
            if (e.max_on > rows[g].max_on) rows[g].max_on = e.max_on;
            for (size_t i = 0; i < s->n_notes; i++) {
                double x = s->notes[i].start_beat * grid;
                if (fabs(x - round(x)) < 1e-6) rows[g].exact_on++;
            }
            cn_song_free(&d);
        }
        free(tok);
    }
}

static void print_tokens(const char *path, const int *tok, size_t n, cn_encoding enc, const cn_vocab *v) {
    printf("# %s\n", path);
    char name[64];
    for (size_t i = 0; i < n; i++) {
        if (enc == CN_ENC_EVENT) cn_ev_token_name(tok[i], name, sizeof name);
        if (enc == CN_ENC_NOTE) cn_nt_token_name(tok[i], name, sizeof name);
        printf("%d %s\n", tok[i], enc == CN_ENC_PAPER ? v->names[tok[i]] : name);
    }
}

static int write_decoded(const options *o, const cn_song *s, const int *tok, size_t n, const cn_vocab *v) {
    cn_song d;
    double bpm = s->tempos[0].bpm;
    int rc = o->enc == CN_ENC_EVENT ? cn_ev_decode(tok, n, bpm, &d) : cn_paper_decode(v, tok, n, bpm, &d);
    if (rc != 0) { fprintf(stderr, "continuo-tokens: out of memory\n"); return -1; }
    d.program = s->program; d.ts_num = s->ts_num; d.ts_den = s->ts_den;
    char err[512];
    rc = cn_midi_write(o->write_path, &d, err, sizeof err);
    if (rc != 0) fprintf(stderr, "continuo-tokens: %s\n", err);
    else fprintf(stderr, "continuo-tokens: wrote %zu notes to %s\n", d.n_notes, o->write_path);
    cn_song_free(&d);
    return rc;
}

/* The options into o and the inputs; -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, options *o, char **inputs, int *n_inputs) {
    enum { O_ENCODING = 256, O_TRANSPOSE, O_WRITE, O_STATS, O_GRID, O_DRUMS, O_NO_SUSTAIN, O_VERSION, O_CACHE, O_SHARD, O_SHARD_MB };
    static const struct option long_opts[] = {
        { "encoding", required_argument, 0, O_ENCODING }, { "transpose", required_argument, 0, O_TRANSPOSE },
        { "write", required_argument, 0, O_WRITE }, { "quiet", no_argument, 0, 'q' },
        { "stats", no_argument, 0, O_STATS }, { "grid-study", no_argument, 0, O_GRID },
        { "keep-drums", no_argument, 0, O_DRUMS }, { "no-sustain", no_argument, 0, O_NO_SUSTAIN },
        { "cache", required_argument, 0, O_CACHE }, { "shard-tokens", required_argument, 0, O_SHARD },
        { "shard-mb", required_argument, 0, O_SHARD_MB },
        { "help", no_argument, 0, 'h' }, { "version", no_argument, 0, O_VERSION }, { 0, 0, 0, 0 }
    };
    int c;
    long l;
    while ((c = cn_cli_getopt(argc, argv, ":qh", long_opts, PROGRAM)) != -1) {
        switch (c) {
        case O_ENCODING:
            if (cn_encoding_parse(optarg, &o->enc) != 0) { fprintf(stderr, PROGRAM ": unknown encoding '%s' (event, note or paper)\n", optarg); return CN_EXIT_USAGE; }
            break;
        case O_TRANSPOSE: if (cn_cli_long(PROGRAM, "--transpose", optarg, -127, 127, &l)) return CN_EXIT_USAGE; o->transpose = (int)l; break;
        case O_WRITE: o->write_path = optarg; break;
        case O_CACHE: o->cache_dir = optarg; break;
        case O_SHARD: if (cn_cli_long(PROGRAM, "--shard-tokens", optarg, 1, 1L << 30, &l)) return CN_EXIT_USAGE; o->shard_tokens = l; break;
        case O_SHARD_MB: if (cn_cli_long(PROGRAM, "--shard-mb", optarg, 1, 4096, &l)) return CN_EXIT_USAGE; o->shard_tokens = (l << 20) / 4; break;
        case 'q': o->quiet = 1; break;
        case O_STATS: o->stats = 1; break;
        case O_GRID: o->grid_study = 1; break;
        case O_DRUMS: o->midi.keep_drums = 1; break;
        case O_NO_SUSTAIN: o->midi.use_sustain = 0; break;
        case 'h': usage(stdout); return CN_EXIT_OK;
        case O_VERSION: cn_cli_version(PROGRAM); return CN_EXIT_OK;
        default: return CN_EXIT_USAGE;
        }
    }
    for (; optind < argc; optind++) inputs[(*n_inputs)++] = argv[optind];
    if (*n_inputs == 0) { fprintf(stderr, PROGRAM ": no MIDI files or folders given (see " PROGRAM " --help)\n"); return CN_EXIT_USAGE; }
    if (o->enc == CN_ENC_NOTE && !o->cache_dir && (o->stats || o->write_path)) {
        fprintf(stderr, PROGRAM ": --stats and --write take --encoding event or paper\n");
        return CN_EXIT_USAGE;
    }
    return -1;
}

/* --cache: what continuo-train reads, untransposed, the default MIDI reading. */
static int write_cache(const options *o, char **inputs, int n_inputs) {
    if (o->enc == CN_ENC_PAPER) {
        fprintf(stderr, PROGRAM ": --cache cannot hold --encoding paper (its vocabulary is built from the training split "
                        "at every --transpose of a run): cache --encoding event or note, or train paper from the MIDI files\n");
        return CN_EXIT_USAGE;
    }
    if (o->transpose || o->stats || o->grid_study || o->write_path || o->midi.keep_drums || !o->midi.use_sustain) {
        fprintf(stderr, PROGRAM ": --cache writes the tokens continuo-train reads: no --transpose, --stats, --grid-study, "
                        "--write, --keep-drums or --no-sustain with it\n");
        return CN_EXIT_USAGE;
    }
    char err[4400];
    int n = cn_tokcache_write(o->cache_dir, o->enc, (const char *const *)inputs, n_inputs, (uint64_t)o->shard_tokens,
                              stderr, err, sizeof err);
    if (n < 0) { fprintf(stderr, PROGRAM ": %s\n", err); return 1; }
    fprintf(stderr, "wrote the token cache %s: %d pieces, %s encoding\n", o->cache_dir, n, cn_encoding_name(o->enc));
    return 0;
}

/* The files read; ok[i] for those that parsed (and, paper, gave their strings). */
typedef struct {
    char **paths; size_t n;
    cn_song *songs; char *ok;
    char ***strs; size_t *n_strs;
    cn_vocab v;                 /* paper: the vocabulary of these files */
} file_set;

static void files_free(file_set *f) {
    for (size_t i = 0; i < f->n; i++) {
        if (f->ok && f->ok[i]) cn_song_free(&f->songs[i]);
        if (f->strs) cn_paper_strings_free(f->strs[i], f->n_strs[i]);
    }
    cn_vocab_free(&f->v);
    cn_midi_list_free(f->paths, (int)f->n);
    free(f->songs); free(f->ok); free(f->strs); free(f->n_strs);
}

static int paper_vocab(file_set *f) {
    size_t total = 0;
    for (size_t i = 0; i < f->n; i++) total += f->n_strs[i];
    char **all = malloc((total + 1) * sizeof *all);
    if (!all) return -1;
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++) for (size_t j = 0; j < f->n_strs[i]; j++) all[k++] = f->strs[i][j];
    int rc = cn_vocab_build(&f->v, all, total);
    free(all);
    return rc;
}

/* Every input listed and read; -1 out of memory (reported). */
static int read_files(const options *o, char **inputs, int n_inputs, file_set *f, totals *t) {
    int n_listed = 0;
    for (int i = 0; i < n_inputs; i++) {
        char err[512];
        if (cn_midi_list_append(inputs[i], &f->paths, &n_listed, err, sizeof err) < 0) { fprintf(stderr, PROGRAM ": %s\n", err); t->failed++; }
    }
    f->n = (size_t)n_listed;
    f->songs = calloc(f->n + 1, sizeof *f->songs);
    f->ok = calloc(f->n + 1, 1);
    f->strs = calloc(f->n + 1, sizeof *f->strs);
    f->n_strs = calloc(f->n + 1, sizeof *f->n_strs);
    if (!f->songs || !f->ok || !f->strs || !f->n_strs) { fprintf(stderr, PROGRAM ": out of memory\n"); return -1; }
    for (size_t i = 0; i < f->n; i++) {
        char err[512];
        if (cn_midi_read(f->paths[i], &o->midi, &f->songs[i], err, sizeof err) != 0) {
            fprintf(stderr, PROGRAM ": skipped %s\n", err);
            t->failed++;
            continue;
        }
        if (o->enc == CN_ENC_PAPER && cn_paper_strings(&f->songs[i], o->transpose, &f->strs[i], &f->n_strs[i]) != 0) {
            fprintf(stderr, PROGRAM ": %s: out of memory\n", f->paths[i]);
            t->failed++;
            cn_song_free(&f->songs[i]);
            continue;
        }
        f->ok[i] = 1;
    }
    if (o->enc == CN_ENC_PAPER && paper_vocab(f)) { fprintf(stderr, PROGRAM ": out of memory\n"); return -1; }
    return 0;
}

/* One file's tokens: printed, measured, studied, written back. 0, 1 a write failed, -1 OOM. */
static int one_file(const options *o, file_set *f, size_t i, totals *t, study_row *rows) {
    int *tok = NULL; size_t n = 0, unk = 0;
    const cn_song *s = &f->songs[i];
    int erc = o->enc == CN_ENC_EVENT ? cn_ev_encode(s, o->transpose, &tok, &n)
            : o->enc == CN_ENC_NOTE ? cn_nt_encode(s, o->transpose, -1, -1, &tok, &n)
                                    : cn_paper_encode(s, &f->v, o->transpose, &tok, &n, &unk);
    if (erc != 0) { fprintf(stderr, PROGRAM ": %s: out of memory\n", f->paths[i]); t->failed++; return -1; }
    t->unk += unk;
    t->files++;
    t->notes += s->n_notes;
    t->tokens += n;
    if (!o->quiet) print_tokens(f->paths[i], tok, n, o->enc, &f->v);
    if (o->stats) {
        if (o->enc == CN_ENC_EVENT) event_stats(s, o, tok, n, t);
        else paper_stats(s, o, &f->v, tok, n, t);
    }
    if (o->grid_study) grid_study(s, o, rows);
    int rc = o->write_path && write_decoded(o, s, tok, n, &f->v) != 0 ? 1 : 0;
    free(tok);
    return rc;
}

static void print_stats(const options *o, const totals *t, const study_row *rows, int vocab) {
    fprintf(stderr, PROGRAM ": encoding %s: files %zu, failed %zu, notes %zu, tokens %zu, tokens/note %.3f, vocab %d\n",
            cn_encoding_name(o->enc), t->files, t->failed, t->notes, t->tokens,
            t->notes ? (double)t->tokens / t->notes : 0.0, vocab);
    if (o->stats && o->enc == CN_ENC_EVENT && t->notes) {
        fprintf(stderr, "roundtrip event: notes out/in %zu/%zu (%.3f%%; two notes of one pitch on one grid step merge)\n",
                t->decoded, t->notes, 100.0 * t->decoded / t->notes);
        fprintf(stderr, "roundtrip event: source notes with a decoded note of the same pitch within half a step: %.3f%%\n",
                100.0 * t->matched / t->notes);
        fprintf(stderr, "roundtrip event: onset error max %.5f mean %.5f beats (half step %.5f)\n",
                t->max_on, t->matched ? t->sum_on / t->matched : 0, 0.5 / CN_EV_GRID);
        fprintf(stderr, "roundtrip event: duration error max %.5f mean %.5f beats; within half a step %.3f%%\n",
                t->max_dur, t->matched ? t->sum_dur / t->matched : 0, t->matched ? 100.0 * t->dur_in_half / t->matched : 0);
        fprintf(stderr, "roundtrip event: velocity error max %d; same bin %.3f%%\n",
                t->max_vel, t->matched ? 100.0 * t->vel_in_bin / t->matched : 0);
    }
    if (o->stats && o->enc == CN_ENC_PAPER && t->groups) {
        fprintf(stderr, "roundtrip paper: onset groups %zu (%zu single notes, %zu chords); unknown tokens %zu\n",
                t->groups, t->single, t->chords, t->unk);
        fprintf(stderr, "roundtrip paper: single-note pitch exact %.3f%%; chord pitch-class set kept %.3f%%; note pitch classes kept %.3f%%\n",
                t->single ? 100.0 * t->single_exact / t->single : 0, t->chords ? 100.0 * t->chord_pcs_kept / t->chords : 0,
                100.0 * t->pc_kept / t->notes);
        fprintf(stderr, "roundtrip paper: onset drift max %.2f mean %.2f beats (time advances by duration types)\n",
                t->max_drift, t->sum_drift / t->groups);
    }
    if (o->grid_study && t->notes) {
        fprintf(stderr, "grid study (event encoding; shifts up to 4 beats; vocab = 272 + 4*grid):\n");
        fprintf(stderr, "  grid  vocab  tokens/note  onsets-on-grid%%  notes-out/in%%  onset-err-mean  onset-err-max  dur-err-mean\n");
        for (size_t g = 0; g < N_STUDY; g++)
            fprintf(stderr, "  %4d  %5d  %11.3f  %15.3f  %13.3f  %14.4f  %13.4f  %12.4f\n", STUDY_GRIDS[g], 272 + 4 * STUDY_GRIDS[g],
                    (double)rows[g].tokens / t->notes, 100.0 * rows[g].exact_on / t->notes, 100.0 * rows[g].decoded / t->notes,
                    rows[g].matched ? rows[g].sum_on / rows[g].matched : 0, rows[g].max_on,
                    rows[g].matched ? rows[g].sum_dur / rows[g].matched : 0);
    }
}

/* Everything after the allocation of the input list, which main frees on every path. */
static int tokens_main(int argc, char **argv, char **inputs) {
    options o = { .enc = CN_ENC_EVENT, .midi = cn_midi_opts_default() };
    int n_inputs = 0;
    int st = parse_options(argc, argv, &o, inputs, &n_inputs);
    if (st >= 0) return st;
    if (o.cache_dir) return write_cache(&o, inputs, n_inputs);
    file_set f;
    memset(&f, 0, sizeof f);
    totals t = { 0 };
    if (read_files(&o, inputs, n_inputs, &f, &t)) { files_free(&f); return 1; }
    if (o.write_path && f.n != 1) { fprintf(stderr, PROGRAM ": --write takes exactly one input file\n"); files_free(&f); return 2; }
    study_row rows[N_STUDY] = { { 0 } };
    int rc = 0;
    for (size_t i = 0; i < f.n; i++)
        if (f.ok[i] && one_file(&o, &f, i, &t, rows) == 1) rc = 1;
    fflush(stdout);
    print_stats(&o, &t, rows, o.enc == CN_ENC_EVENT ? CN_EV_VOCAB : o.enc == CN_ENC_NOTE ? CN_NT_VOCAB : f.v.n);
    files_free(&f);
    if (t.files == 0) return 1;
    return cn_stdout_finish(PROGRAM) ? 1 : rc;
}

int main(int argc, char **argv) {
    char **inputs = calloc((size_t)argc, sizeof *inputs);
    if (!inputs) { fprintf(stderr, PROGRAM ": out of memory\n"); return 1; }
    int rc = tokens_main(argc, argv, inputs);
    free(inputs);
    return rc;
}
