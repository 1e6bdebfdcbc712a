/* cli.c: the command-line conventions shared by every continuo tool (see cli.h). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cn_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, const char *prog) {
    opterr = 0;
    int c = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (c != '?' && c != ':') return c;
    char name[64];
    const char *a = argv[optind - 1 < argc ? optind - 1 : argc - 1];
    if (strncmp(a, "--", 2) == 0) {   /* a long option: the word as typed, without "=value" */
        size_t n = strcspn(a, "=");
        snprintf(name, sizeof name, "%.*s", (int)(n < 60 ? n : 60), a);
    } else {
        snprintf(name, sizeof name, "-%c", optopt > 32 && optopt < 127 ? optopt : '?');
    }
    if (c == ':') fprintf(stderr, "%s: option '%s' needs a value (see %s --help)\n", prog, name, prog);
    else fprintf(stderr, "%s: unknown option '%s' (see %s --help)\n", prog, name, prog);
    return '?';
}

const char *cn_plural(long n, const char *one, const char *many) {
    return n == 1 ? one : many;
}

void cn_cli_version(const char *prog) {
    printf("%s (continuo) %s\n", prog, CN_VERSION);
}

void cn_cli_retired(const char *prog, const char *old, const char *what) {
    fprintf(stderr, "%s: %s is retired: %s\n", prog, old, what);
}

int cn_cli_double(const char *prog, const char *opt, const char *s, double lo, double hi, double *out) {
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : NAN;
    if (!s || errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "%s: %s wants a number from %g to %g, not '%s'\n", prog, opt, lo, hi, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cn_cli_long(const char *prog, const char *opt, const char *s, long lo, long hi, long *out) {
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "%s: %s wants a whole number from %ld to %ld, not '%s'\n", prog, opt, lo, hi, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cn_cli_u64(const char *prog, const char *opt, const char *s, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = s ? strtoull(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || *s == '-' || *s == '+') {
        fprintf(stderr, "%s: %s wants a whole number from 0 to %llu, not '%s'\n", prog, opt,
                (unsigned long long)UINT64_MAX, s ? s : "");
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

void cn_cli_on_stop_signals(void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
