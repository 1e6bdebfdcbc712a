/* cli.h: what every continuo command-line tool shares, so that they read alike: the one
 * version string, getopt_long with one wording for an unknown option or a missing value,
 * the exit codes (0 ok, 1 runtime error, 2 usage), number parsing with one message, and the
 * answer to a retired spelling (an old flag is refused with the new name, never read with
 * a new meaning). */
#ifndef CONTINUO_CLI_H
#define CONTINUO_CLI_H
#include <getopt.h>
#include <stdint.h>

#define CN_VERSION "0.2"
#define CN_EXIT_OK 0
#define CN_EXIT_RUNTIME 1
#define CN_EXIT_USAGE 2
/* The temperature range of every tool and of the plugin's control: above 2 the
 * distribution is close to uniform and the music is noise. */
#define CN_TEMPERATURE_MAX 2.0

/* getopt_long with opterr off: an unknown option or a missing value gets the shared message
 * on stderr and '?' is returned. shortopts must start with ':'. */
int cn_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, const char *prog);
/* SIGINT and SIGTERM call handler (which should only set a flag), without SA_RESTART, so that
 * a blocking call returns and the program can end cleanly: a checkpoint, note-offs. */
void cn_cli_on_stop_signals(void (*handler)(int));
/* "PROG (continuo) VERSION" on stdout, as help2man reads it. */
void cn_cli_version(const char *prog);
/* "PROG: OLD is retired: WHAT" on stderr; the caller exits CN_EXIT_USAGE. */
void cn_cli_retired(const char *prog, const char *old, const char *what);
/* Numbers in [lo, hi]; 0, or -1 with "PROG: OPT wants ... , not 'S'" on stderr. */
int cn_cli_double(const char *prog, const char *opt, const char *s, double lo, double hi, double *out);
int cn_cli_long(const char *prog, const char *opt, const char *s, long lo, long hi, long *out);
int cn_cli_u64(const char *prog, const char *opt, const char *s, uint64_t *out);
/* The word for a count: one when n is 1, else many ("1 piece", "2 pieces"). */
const char *cn_plural(long n, const char *one, const char *many);
#endif
