/* makeseed_main.c: continuo-makeseed writes the project's own seed phrase, presets/seed.mid,
 * the phrase `make demo` continues: two bars of C major at 100 bpm, a melody that ends on
 * the dominant (asking for an answer) over a left hand in broken chords (I, then IV-V).
 * The phrase is written here, note by note, so that the shipped seed is the project's work. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "midi.h"

#define PROGRAM "continuo-makeseed"

typedef struct { double beat, dur; int pitch, vel; } seed_note;

static const seed_note melody[] = {   /* E5 D5 C5 D5 E5 | F5 E5 D5 C5 B4 G4 */
    { 0.0, 1.0, 76, 84 }, { 1.0, 0.5, 74, 76 }, { 1.5, 0.5, 72, 74 }, { 2.0, 1.0, 74, 78 },
    { 3.0, 1.0, 76, 82 },
    { 4.0, 0.5, 77, 86 }, { 4.5, 0.5, 76, 78 }, { 5.0, 0.5, 74, 76 }, { 5.5, 0.5, 72, 74 },
    { 6.0, 1.0, 71, 80 }, { 7.0, 1.0, 67, 72 },
};
static const seed_note left_hand[] = {   /* C3 G3 E3 G3 | F2 C3 G2 D3 */
    { 0.0, 1.0, 48, 62 }, { 1.0, 1.0, 55, 56 }, { 2.0, 1.0, 52, 58 }, { 3.0, 1.0, 55, 56 },
    { 4.0, 1.0, 41, 62 }, { 5.0, 1.0, 48, 56 }, { 6.0, 1.0, 43, 60 }, { 7.0, 1.0, 50, 56 },
};

/* -1 to go on with *out set, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, const char **out) {
    *out = "presets/seed.mid";
    enum { O_VERSION = 256 };
    static const struct option long_opts[] = {
        { "out", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' },
        { "version", no_argument, 0, O_VERSION }, { 0, 0, 0, 0 }
    };
    int c;
    while ((c = cn_cli_getopt(argc, argv, ":o:h", long_opts, PROGRAM)) != -1) {
        switch (c) {
        case 'o': *out = optarg; break;
        case 'h':
            printf("usage: " PROGRAM " [-o OUT.mid]\n"
                   "Writes the project's own primer phrase, two bars of C major at 100 bpm.\n"
                   "  -o, --out OUT.mid   where (default presets/seed.mid)\n"
                   "  -h, --help          this text\n"
                   "  --version           the program's version\n"
                   "Exit status: 0 ok, 1 runtime error, 2 usage error.\n");
            return CN_EXIT_OK;
        case O_VERSION: cn_cli_version(PROGRAM); return CN_EXIT_OK;
        default: return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) { fprintf(stderr, PROGRAM ": unexpected argument '%s' (see " PROGRAM " --help)\n", argv[optind]); return CN_EXIT_USAGE; }
    return -1;
}

/* The phrase in *s. 0, or -1 when out of memory (then *s needs no freeing). */
static int seed_song(cn_song *s) {
    cn_song_init(s);
    if (!s->tempos) return -1;
    s->tempos[0].bpm = 100;
    s->program = 0;   /* acoustic grand piano */
    int ok = 1;
    for (size_t i = 0; ok && i < sizeof melody / sizeof melody[0]; i++)
        ok = !cn_song_add_note(s, melody[i].beat, melody[i].dur * 0.95, melody[i].pitch, melody[i].vel, 0);
    for (size_t i = 0; ok && i < sizeof left_hand / sizeof left_hand[0]; i++)
        ok = !cn_song_add_note(s, left_hand[i].beat, left_hand[i].dur * 0.95, left_hand[i].pitch, left_hand[i].vel, 0);
    cn_song_sort(s);
    if (!ok) { cn_song_free(s); return -1; }
    return 0;
}

int main(int argc, char **argv) {
    const char *out;
    int st = parse_args(argc, argv, &out);
    if (st >= 0) return st;
    cn_song s;
    if (seed_song(&s)) { fprintf(stderr, "continuo-makeseed: out of memory\n"); return 1; }
    char err[512];
    if (cn_midi_write(out, &s, err, sizeof err)) {
        fprintf(stderr, "continuo-makeseed: %s\n", err);
        cn_song_free(&s);
        return 1;
    }
    printf("wrote %s: %zu notes, 2 bars of C major at 100 bpm\n", out, s.n_notes);
    cn_song_free(&s);
    return 0;
}
