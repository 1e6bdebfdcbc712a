/* atomicfile.h: writing a file so that a crash, a kill -9 or a full disk never leaves it
 * half-written: the data goes to PATH.tmp.PID, is flushed and fsynced, and only then
 * renamed over PATH (and the folder fsynced). On any error the temporary is removed and
 * PATH keeps its old content. */
#ifndef CONTINUO_ATOMICFILE_H
#define CONTINUO_ATOMICFILE_H
#include <stddef.h>
#include <stdio.h>

typedef struct { FILE *f; char path[1024]; char tmp[1100]; } cn_afile;

/* 0, or -1 with err "PATH: cannot write: reason". */
int  cn_afile_open(cn_afile *a, const char *path, char *err, size_t errlen);
/* Checks every write that went before (ferror), flushes, fsyncs, renames. 0 or -1 with err. */
int  cn_afile_commit(cn_afile *a, char *err, size_t errlen);
void cn_afile_abort(cn_afile *a);
/* Removes PATH.tmp.PID files left by a writer that was killed (its PID no longer runs). */
void cn_afile_clean_stale(const char *path);
/* Whether a file can be created at path (its folder exists and is writable), without
 * touching path itself: for checking an output path before hours of training. */
int  cn_path_writable(const char *path, char *err, size_t errlen);
#endif
