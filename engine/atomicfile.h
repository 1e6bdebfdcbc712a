/* atomicfile.h: the one way continuo writes an output file (models, checkpoints, MIDI, the
 * piano roll and loss plots, CSV logs, the plugin's copy of a model into the session), so that
 * a crash, a kill -9, a full disk or a size limit never leaves a half-written file, and an
 * output path that is not a plain file is never destroyed:
 *   - a regular file (or a new name): the data goes to PATH.tmp.PID in the same folder, is
 *     flushed and fsynced, and only then renamed over PATH (and the folder fsynced);
 *   - a symlink: the same, done to the file it points to, in that file's folder, so the link
 *     stays a link and its target gets the new content;
 *   - a character or block device, or a FIFO: written directly (there is nothing to replace);
 *   - a folder, a socket or anything else: refused with a message.
 * On any error the temporary is removed, the old file keeps its content, and the message says
 * why in words ("no space left on device", "file too large"). Writers ignore SIGXFSZ (when its
 * action is the default, which kills), so a size limit is a write error, not a silent death. */
#ifndef CONTINUO_ATOMICFILE_H
#define CONTINUO_ATOMICFILE_H
#include <stddef.h>
#include <stdio.h>

#define CN_AFILE_PATH_MAX 4096

typedef struct {
    FILE *f;                          /* write here (fwrite, fprintf ...) */
    int fd;                           /* under f */
    int direct;                       /* 1: a device or FIFO, written in place */
    int existed;                      /* the target was there before (its content is kept on error) */
    int err;                          /* the first errno a write met (set through f) */
    char path[CN_AFILE_PATH_MAX];     /* as the caller named it, for messages */
    char target[CN_AFILE_PATH_MAX];   /* the file that gets the content (symlinks followed) */
    char tmp[CN_AFILE_PATH_MAX + 32]; /* the temporary beside target; "" when direct */
} cn_afile;

/* 0, or -1 with err "PATH: cannot write: reason". a must stay where it is until commit/abort. */
int  cn_afile_open(cn_afile *a, const char *path, char *err, size_t errlen);
/* Checks every write that went before, flushes, fsyncs, renames. 0 or -1 with err. */
int  cn_afile_commit(cn_afile *a, char *err, size_t errlen);
/* Drops what was written: the temporary is removed, the target untouched. */
void cn_afile_abort(cn_afile *a);
/* The whole of bytes[0..n) as the content of path: open, write, commit. */
int  cn_afile_write_bytes(const char *path, const void *bytes, size_t n, char *err, size_t errlen);
/* Removes PATH.tmp.PID files left by a writer that was killed (its PID no longer runs). */
void cn_afile_clean_stale(const char *path);
/* Whether a file can be created at path (its folder exists and is writable), without
 * touching path itself: for checking an output path before hours of training. */
int  cn_path_writable(const char *path, char *err, size_t errlen);
/* SIGXFSZ ignored when its action is the default (done by cn_afile_open; for other writers). */
void cn_afile_ignore_sigxfsz(void);
/* errno in words for a message: "no space left on device", "file too large" ... */
const char *cn_afile_strerror(int e);
#endif
