/* listen_cli.h: `continuo-eval --listen`, the listening yardstick's command line: its
 * options, the loop over the pieces, the table and the JSON. eval_main.c hands argv over
 * when --listen is among the arguments. */
#ifndef CONTINUO_LISTEN_CLI_H
#define CONTINUO_LISTEN_CLI_H

/* The whole command; returns the exit status (0 done, 1 failed, 2 bad usage). */
int cn_listen_main(int argc, char **argv);
#endif
