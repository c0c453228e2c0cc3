/* Helpers shared by the tools in cmd/: messages, exit status, stdout
 * buffering and signals.  Only cmd/ prints and exits; lib/ returns errors.
 *
 * Exit status everywhere: 0 success, 1 runtime failure, 2 usage error. */
#ifndef CMT_CLI_H
#define CMT_CLI_H

#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include "cmt_sniff.h"

enum { CMT_EXIT_OK = 0, CMT_EXIT_FAIL = 1, CMT_EXIT_USAGE = 2 };

/* Set by SIGINT and SIGTERM; long loops check it and wind down. */
extern volatile sig_atomic_t cmt_stop;
extern const char *cmt_progname;

/* Bit fd set for each of stdin, stdout, stderr that was closed at start;
 * cmt_cli_init opens /dev/null in its place so no file or socket can take
 * its number. */
extern int cmt_closed_fds;

/* Make sure fds 0, 1 and 2 are open (see cmt_closed_fds), name the
 * program, install signal handlers (SIGINT/SIGTERM set cmt_stop
 * and interrupt blocking reads; SIGPIPE and SIGXFSZ are ignored so a
 * closed pipe is seen as EPIPE, see cmt_out, and a file size limit is a
 * write error we report), and make stdout line-buffered on a terminal,
 * block-buffered otherwise (pipes included): a tool flushes when it would
 * wait, with cmt_flush or cmt_idle_flush, so a busy pipe gets one write()
 * per buffer, not per line, and a quiet one still gets each line at once. */
void cmt_cli_init(const char *argv0);

/* Make stdout block-buffered with a 64 KiB buffer, even on a terminal
 * (cmt-replay, which flushes before every wait).  Call before any output. */
void cmt_block_buffered(void);

/* "prog: message"; a format ending in ':' appends strerror(errno). */
void cmt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A bad line of input, in the one form every tool uses:
 * "prog: FILE: line N: reason", or "prog: line N: reason" for stdin (file
 * NULL or "-"). */
void cmt_bad_line(const char *file, unsigned long long no, const char *fmt,
	...) __attribute__((format(printf, 3, 4)));

_Noreturn void cmt_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "prog: message" and "Try 'prog --help'." to stderr, exit 2. */
_Noreturn void cmt_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* An option's argument as a duration (ms) or a whole number in [min, max];
 * anything else is a usage error naming the option (opt: "--name"). */
int64_t cmt_opt_duration(const char *opt, const char *arg);
long long cmt_opt_int(const char *opt, const char *arg, long long min,
	long long max);

/* After getopt_long returned '?' (cmt_cli_init turns getopt's own
 * messages off): one line naming the option and what is wrong with it,
 * with the --help hint, then exit 2.  optstring is getopt's. */
_Noreturn void cmt_bad_option(char **argv, const char *optstring);

/* The hint line alone, exit 2. */
_Noreturn void cmt_usage_hint(void);

/* The tools' input (lib/cmt_line.h: gzip, the first-line rule): open
 * path ("-" or NULL: stdin) for lines, *fd its descriptor; kinds is what
 * the tool reads (CMT_KIND_BIT()s of cmt_sniff.h, or'ed; 0: anything).
 * Output is flushed whenever the reader would wait.  A file that cannot
 * be opened is reported ("prog: FILE: reason") and gives NULL. */
struct cmt_linereader;
struct cmt_line;
struct cmt_linereader *cmt_input_open(const char *path, unsigned kinds,
	int *fd);
void cmt_input_close(struct cmt_linereader *lr, int fd);

/* cmt_line_next under the rules every tool shares: input of another kind
 * ends the tool with exit 2 and one line, "prog: [NAME: ]line 1: this is a
 * candle file (...), not ticks: cmt-replay reads it (...)"; a read error is
 * reported ("prog: NAME: read error: why", gzip damage included) and
 * gives -1; an interrupted read gives -1 with errno EINTR, unreported.
 * name NULL or "-" is stdin. */
int cmt_input_next(struct cmt_linereader *lr, struct cmt_line *ln,
	const char *name);

/* Print "prog (cmt) VERSION" to stdout and exit 0. */
_Noreturn void cmt_print_version(void);

/* Write n bytes to stdout; on failure report the error and exit 1, so a
 * full disk stops the tool instead of truncating.  A closed pipe (EPIPE,
 * e.g. | head) ends the tool quietly by SIGPIPE, status 141 in the shell,
 * as Unix tools end; this holds for every write function below. */
void cmt_out(const char *buf, size_t n);

/* -o FILE: send what cmt_out writes to FILE (created or truncated, like a
 * shell redirection) instead of stdout.  The file only ever receives whole
 * lines: the buffer is written up to its last newline, and on a write
 * error (full disk, closed FIFO) the file is cut back to its last complete
 * line before the tool reports the error and exits 1.  On exit the file is
 * flushed, cut after its last newline, fsync'ed and closed; so SIGINT,
 * SIGTERM or SIGPIPE never leave a partial line in it. */
void cmt_output(const char *path);

/* Exit 2 if the -o file is the same file (device and inode) as input (a
 * path, or "-" for stdin, which cmt_output checks itself).  The -o file
 * is only emptied at its first write or at exit, so tools call this for
 * every named input after parsing the options and nothing is lost. */
void cmt_output_not_input(const char *input);

/* Write out what cmt_out buffered (whole lines for -o), before a tool
 * waits on a timer or its input; exits 1 on a write error. */
void cmt_flush(void);

/* cmt_flush with the signature of a cmt_line_on_idle hook: a tool reading
 * lines flushes its output whenever it is about to wait for input. */
void cmt_idle_flush(void *unused);

/* Flush stdout (or the -o file, then fsync and close it) and check for
 * errors; returns the exit status to use (status if the flush worked, 1
 * otherwise, with a message). */
int cmt_finish(int status);

#endif
