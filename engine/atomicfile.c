/* atomicfile.c: temp file, fsync, rename; symlinks followed; devices and FIFOs written in
 * place (see atomicfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomicfile.h"

#define MAX_LINKS 40

const char *cn_afile_strerror(int e) {
    switch (e) {
    case ENOSPC: return "no space left on device";
    case EFBIG:  return "file too large (over the file size limit)";
    case EDQUOT: return "disk quota exceeded";
    case 0:      return "write error";
    default:     return strerror(e);
    }
}

/* A size limit (ulimit -f) kills with SIGXFSZ by default; ignored, write() fails with EFBIG
 * and the writer reports it. A handler someone else installed is left alone. */
void cn_afile_ignore_sigxfsz(void) {
    struct sigaction sa;
    if (sigaction(SIGXFSZ, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL && !(sa.sa_flags & SA_SIGINFO)) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGXFSZ, &sa, NULL);
    }
}

/* The FILE under an afile: every write goes through here, so the first errno is kept. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n) {
    cn_afile *a = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(a->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { if (!a->err) a->err = w < 0 ? errno : ENOSPC; return done ? (ssize_t)done : -1; }
        done += (size_t)w;
    }
    return (ssize_t)done;
}
static int cookie_close(void *cookie) { (void)cookie; return 0; }   /* the fd is closed by commit */

/* Follows symlinks from path to the file that would be written; *st is its lstat, or
 * st_mode 0 when it does not exist yet. */
static int resolve(const char *path, char *out, size_t outlen, struct stat *st, char *err, size_t errlen) {
    char cur[CN_AFILE_PATH_MAX];
    if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur) {
        snprintf(err, errlen, "%s: path too long", path); return -1;
    }
    for (int hop = 0;; hop++) {
        if (lstat(cur, st) != 0) {
            if (errno != ENOENT) { snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno)); return -1; }
            memset(st, 0, sizeof *st);
            break;
        }
        if (!S_ISLNK(st->st_mode)) break;
        if (hop == MAX_LINKS) { snprintf(err, errlen, "%s: cannot write: too many levels of symbolic links", path); return -1; }
        char link[CN_AFILE_PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) { snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno)); return -1; }
        link[n] = 0;
        char next[CN_AFILE_PATH_MAX];
        const char *slash = strrchr(cur, '/');
        int w = (link[0] == '/' || !slash) ? snprintf(next, sizeof next, "%s", link)
                                           : snprintf(next, sizeof next, "%.*s/%s", (int)(slash - cur), cur, link);
        if (w >= (int)sizeof next) { snprintf(err, errlen, "%s: path too long", path); return -1; }
        memcpy(cur, next, sizeof cur);
    }
    if (snprintf(out, outlen, "%s", cur) >= (int)outlen) { snprintf(err, errlen, "%s: path too long", path); return -1; }
    return 0;
}

/* A device or FIFO: opened as it is, never created, truncated or replaced. A FIFO with no
 * reader is an error rather than a wait. */
static int open_direct(cn_afile *a, const struct stat *st, char *err, size_t errlen) {
    int fd = open(a->target, O_WRONLY | O_NOCTTY | O_CLOEXEC | (S_ISFIFO(st->st_mode) ? O_NONBLOCK : 0));
    if (fd < 0) {
        const char *why = errno == ENXIO && S_ISFIFO(st->st_mode) ? "a FIFO with no reader" : strerror(errno);
        snprintf(err, errlen, "%s: cannot write: %s", a->path, why);
        return -1;
    }
    if (S_ISFIFO(st->st_mode)) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    a->fd = fd;
    a->direct = 1;
    return 0;
}

static int open_temp(cn_afile *a, const struct stat *st, char *err, size_t errlen) {
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", a->target, (long)getpid());
    mode_t mode = a->existed ? (st->st_mode & 07777) : 0666;   /* a new file: 0666 less the umask */
    int fd = open(a->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) { snprintf(err, errlen, "%s: cannot write: %s", a->path, strerror(errno)); return -1; }
    if (a->existed) (void)fchmod(fd, mode);   /* the umask must not narrow the old file's mode */
    a->fd = fd;
    return 0;
}

int cn_afile_open(cn_afile *a, const char *path, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    a->fd = -1;
    cn_afile_ignore_sigxfsz();
    if (!path || !*path) { snprintf(err, errlen, "no output path"); return -1; }
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path) {
        snprintf(err, errlen, "%s: path too long", path); return -1;
    }
    struct stat st;
    if (resolve(path, a->target, sizeof a->target, &st, err, errlen)) return -1;
    a->existed = st.st_mode != 0;
    int rc;
    if (!a->existed || S_ISREG(st.st_mode)) rc = open_temp(a, &st, err, errlen);
    else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) rc = open_direct(a, &st, err, errlen);
    else {
        snprintf(err, errlen, "%s: cannot write: %s", path, S_ISDIR(st.st_mode) ? "it is a folder" : "not a regular file, device or FIFO");
        return -1;
    }
    if (rc) return -1;
    cookie_io_functions_t io = { .read = NULL, .write = cookie_write, .seek = NULL, .close = cookie_close };
    a->f = fopencookie(a, "w", io);
    if (!a->f) {
        int e = errno;
        close(a->fd);
        if (!a->direct) unlink(a->tmp);
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

static void fsync_dir(const char *path) {
    char copy[CN_AFILE_PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) { (void)fsync(fd); close(fd); }
}

int cn_afile_commit(cn_afile *a, char *err, size_t errlen) {
    if (!a->f) { snprintf(err, errlen, "%s: not open", a->path); return -1; }
    int bad = fflush(a->f) != 0 || ferror(a->f) || a->err;
    fclose(a->f);
    a->f = NULL;
    int e = a->err;
    /* a device may not sync (EINVAL); what reached it is all there is */
    if (!bad && !a->direct && fsync(a->fd) != 0) { bad = 1; e = errno; }
    if (close(a->fd) != 0 && !bad) { bad = 1; e = errno; }
    a->fd = -1;
    if (!bad && !a->direct && rename(a->tmp, a->target) != 0) { bad = 1; e = errno; }
    if (bad) {
        if (!a->direct) unlink(a->tmp);
        snprintf(err, errlen, "%s: cannot write: %s%s", a->path, cn_afile_strerror(e),
                 a->direct ? "" : a->existed ? " (the previous file is unchanged)" : " (nothing was written)");
        return -1;
    }
    if (!a->direct) fsync_dir(a->target);
    return 0;
}

void cn_afile_abort(cn_afile *a) {
    if (a->f) { fclose(a->f); a->f = NULL; }
    if (a->fd >= 0) { close(a->fd); a->fd = -1; }
    if (!a->direct && a->tmp[0]) unlink(a->tmp);
}

int cn_afile_write_bytes(const char *path, const void *bytes, size_t n, char *err, size_t errlen) {
    cn_afile a;
    if (cn_afile_open(&a, path, err, errlen)) return -1;
    if (n) fwrite(bytes, 1, n, a.f);
    return cn_afile_commit(&a, err, errlen);
}

int cn_path_writable(const char *path, char *err, size_t errlen) {
    char target[CN_AFILE_PATH_MAX], copy[CN_AFILE_PATH_MAX];
    struct stat st;
    if (!path || !*path) { snprintf(err, errlen, "no output path"); return -1; }
    if (resolve(path, target, sizeof target, &st, err, errlen)) return -1;
    if (st.st_mode && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) { snprintf(err, errlen, "%s: cannot write: it is a folder", path); return -1; }
        if (access(target, W_OK) != 0) { snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno)); return -1; }
        return 0;
    }
    snprintf(copy, sizeof copy, "%s", target);
    const char *dir = dirname(copy);
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "%s: cannot write there: %s: %s", path, dir, strerror(errno));
        return -1;
    }
    if (st.st_mode && access(target, W_OK) != 0) {
        /* rename() replaces a read-only file in a writable folder, but the user meant to protect it */
        snprintf(err, errlen, "%s: the file exists and is read-only", path);
        return -1;
    }
    return 0;
}

void cn_afile_clean_stale(const char *path) {
    char target[CN_AFILE_PATH_MAX], e[64], pattern[CN_AFILE_PATH_MAX + 16];
    struct stat st;
    if (!path || resolve(path, target, sizeof target, &st, e, sizeof e)) return;
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s.tmp.*", target);
    if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0) return;
    size_t plen = strlen(target) + 5;   /* past "PATH.tmp." */
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *tail = g.gl_pathv[i] + plen;
        char *end;
        long pid = strtol(tail, &end, 10);
        if (end == tail || *end || pid <= 0) continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) unlink(g.gl_pathv[i]);
    }
    globfree(&g);
}
