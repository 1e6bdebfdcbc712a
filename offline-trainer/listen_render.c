/* listen_render.c: MIDI, piano roll and WAV of a measured piece (see listen_render.h). The
 * WAV is fluidsynth's, with `make demo`'s settings, written to a temporary name and renamed,
 * so a failed render never leaves a half-written file. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "listen_render.h"
#include "roll.h"

extern char **environ;

/* Runs argv (found on PATH) with its output thrown away; its exit status, or -1. */
static int run_quiet(char *const argv[]) {
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa)) return -1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int cn_listen_can_render_wav(const char *soundfont) {
    struct stat sb;
    if (!soundfont || stat(soundfont, &sb) || !S_ISREG(sb.st_mode)) return 0;
    char *argv[] = { "fluidsynth", "--version", NULL };
    return run_quiet(argv) == 0;
}

static int render_wav(const char *soundfont, const char *mid, const char *wav, char *err, size_t errlen) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.wav", wav, (long)getpid());
    char *argv[] = { "fluidsynth", "-ni", "-q", "-g", "0.9", "-r", "44100", "-F", tmp, (char *)soundfont, (char *)mid, NULL };
    struct stat sb;
    if (run_quiet(argv) != 0 || stat(tmp, &sb) || sb.st_size == 0 || rename(tmp, wav)) {
        unlink(tmp);
        snprintf(err, errlen, "%s: fluidsynth could not render %s", wav, mid);
        return -1;
    }
    return 0;
}

static int render_one(const cn_listen_render_opts *o, const char *stem, const char *kind, const cn_listen_render *r,
                      int wav, int *wav_made, char *err, size_t errlen) {
    char mid[4096], roll[4096], out[4096];
    snprintf(mid, sizeof mid, "%s/%s.%s.mid", o->dir, stem, kind);
    snprintf(roll, sizeof roll, "%s/%s.%s.%s", o->dir, stem, kind, o->roll_ext);
    snprintf(out, sizeof out, "%s/%s.%s.wav", o->dir, stem, kind);
    if (cn_midi_write(mid, &r->song, err, errlen)) return -1;
    if (cn_roll_write(roll, &r->song, r->n_seed, r->split, err, errlen)) return -1;
    if (wav) {
        if (render_wav(o->soundfont, mid, out, err, errlen)) return -1;
        (*wav_made)++;
    }
    return 0;
}

int cn_listen_render_piece(const cn_listen_render_opts *o, const char *stem, const cn_listen_render *gen,
                           const cn_listen_render *real, int *wav_made, char *err, size_t errlen) {
    *wav_made = 0;
    if (mkdir(o->dir, 0777) && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot make the folder: %s", o->dir, strerror(errno));
        return -1;
    }
    int wav = cn_listen_can_render_wav(o->soundfont);
    if (render_one(o, stem, "gen", gen, wav, wav_made, err, errlen)) return -1;
    return render_one(o, stem, "real", real, wav, wav_made, err, errlen);
}
