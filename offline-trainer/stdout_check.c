/* stdout_check.c: the last check of standard output (see stdout_check.h). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "atomicfile.h"
#include "stdout_check.h"

int cn_stdout_finish(const char *program) {
    errno = 0;
    int bad = fflush(stdout) != 0;
    int e = errno;
    bad |= ferror(stdout) != 0;
    /* a write that failed earlier (a full buffer) left no errno; the device tells again */
    if (bad && !e && write(STDOUT_FILENO, "", 0) < 0) e = errno;
    if (fclose(stdout) != 0 && !bad) { bad = 1; e = errno; }
    if (!bad) return 0;
    fprintf(stderr, "%s: standard output: cannot write: %s\n", program, e ? cn_afile_strerror(e) : "write error");
    return 1;
}
