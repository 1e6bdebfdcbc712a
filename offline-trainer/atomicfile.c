/* atomicfile.c: temp file, fsync, rename (see atomicfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>
#include "atomicfile.h"

int cn_afile_open(cn_afile *a, const char *path, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    if (strlen(path) >= sizeof a->path) { snprintf(err, errlen, "%s: path too long", path); return -1; }
    snprintf(a->path, sizeof a->path, "%s", path);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) { snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno)); return -1; }
    return 0;
}

static void fsync_dir(const char *path) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) { (void)fsync(fd); close(fd); }
}

int cn_afile_commit(cn_afile *a, char *err, size_t errlen) {
    if (!a->f) { snprintf(err, errlen, "%s: not open", a->path); return -1; }
    int bad = ferror(a->f), e = bad ? EIO : 0;
    if (!bad && fflush(a->f) != 0) { bad = 1; e = errno; }
    if (!bad && fsync(fileno(a->f)) != 0) { bad = 1; e = errno; }
    if (fclose(a->f) != 0 && !bad) { bad = 1; e = errno; }
    a->f = NULL;
    if (!bad && rename(a->tmp, a->path) != 0) { bad = 1; e = errno; }
    if (bad) {
        unlink(a->tmp);
        snprintf(err, errlen, "%s: cannot write: %s (the previous file, if any, is unchanged)", a->path,
                 strerror(e ? e : EIO));
        return -1;
    }
    fsync_dir(a->path);
    return 0;
}

void cn_afile_abort(cn_afile *a) {
    if (a->f) { fclose(a->f); a->f = NULL; unlink(a->tmp); }
}

int cn_path_writable(const char *path, char *err, size_t errlen) {
    char copy[1024];
    if (!path || !*path) { snprintf(err, errlen, "no output path"); return -1; }
    snprintf(copy, sizeof copy, "%s", path);
    const char *dir = dirname(copy);
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "%s: cannot write there: %s: %s", path, dir, strerror(errno));
        return -1;
    }
    if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
        /* rename() replaces a read-only file in a writable folder, but the user meant to protect it */
        snprintf(err, errlen, "%s: the file exists and is read-only", path);
        return -1;
    }
    return 0;
}

void cn_afile_clean_stale(const char *path) {
    char pattern[1100];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s.tmp.*", path);
    if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0) return;
    size_t plen = strlen(path) + 5;   /* past "PATH.tmp." */
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *tail = g.gl_pathv[i] + plen;
        char *end;
        long pid = strtol(tail, &end, 10);
        if (end == tail || *end || pid <= 0) continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) unlink(g.gl_pathv[i]);
    }
    globfree(&g);
}
