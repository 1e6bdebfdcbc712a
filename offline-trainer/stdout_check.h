/* stdout_check.h: a tool whose result is its standard output must fail when that output was
 * lost (a full disk, a closed pipe's reader, /dev/full): flush and close stdout and say so. */
#ifndef CONTINUO_STDOUT_CHECK_H
#define CONTINUO_STDOUT_CHECK_H
/* 0 when everything printed reached stdout; else a message "PROGRAM: standard output: cannot
 * write: reason" on stderr and 1, for main's exit status. */
int cn_stdout_finish(const char *program);
#endif
