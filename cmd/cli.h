/* Helpers shared by the tools in cmd/: messages, exit status, stdout
 * buffering and signals.  Only cmd/ prints and exits; lib/ returns errors.
 *
 * Exit status everywhere: 0 success, 1 runtime failure, 2 usage error. */
#ifndef CMT_CLI_H
#define CMT_CLI_H

#include <signal.h>
#include <stdio.h>

enum { CMT_EXIT_OK = 0, CMT_EXIT_FAIL = 1, CMT_EXIT_USAGE = 2 };

/* Set by SIGINT and SIGTERM; long loops check it and wind down. */
extern volatile sig_atomic_t cmt_stop;
extern const char *cmt_progname;

/* Name the program, install signal handlers (SIGINT/SIGTERM set cmt_stop
 * and interrupt blocking reads; SIGPIPE is ignored so a closed pipe is a
 * write error we report), and make stdout line-buffered when it is a pipe
 * or terminal, block-buffered otherwise. */
void cmt_cli_init(const char *argv0);

/* "prog: message"; a format ending in ':' appends strerror(errno). */
void cmt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void cmt_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "prog: message" and "Try 'prog --help'." to stderr, exit 2. */
_Noreturn void cmt_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* After getopt has printed its own complaint: the hint line, exit 2. */
_Noreturn void cmt_usage_hint(void);

/* Print "prog (cmt) VERSION" to stdout and exit 0. */
_Noreturn void cmt_print_version(void);

/* Write n bytes to stdout; on failure report the error and exit 1, so a
 * closed pipe or a full disk stops the tool instead of truncating. */
void cmt_out(const char *buf, size_t n);

/* Flush stdout and check for errors; returns the exit status to use
 * (status if the flush worked, 1 otherwise, with a message). */
int cmt_finish(int status);

#endif
