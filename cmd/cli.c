#define _GNU_SOURCE   /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmt_clock.h"
#include "cmt_err.h"
#include "cmt_line.h"
#include "cmt_parse.h"

volatile sig_atomic_t cmt_stop;
const char *cmt_progname = "cmt";
int cmt_closed_fds;

/* The -o file: bytes buffered, bytes in the file (size) and the offset
 * just past its last newline (whole), to cut back to on failure. */
static struct {
	int fd;
	const char *path;
	size_t len;
	off_t size, whole;
	int emptied;            /* truncated yet (done at the first write) */
	dev_t dev;
	ino_t ino;
	char buf[1 << 16];
} out = { .fd = -1 };

/* A reader that went away (| head) is not an error to report: end the
 * way Unix tools do, killed by SIGPIPE (status 141 in the shell), with
 * no message.  Other write errors stay loud. */
static void
quiet_on_epipe(void)
{
	if (errno != EPIPE)
		return;
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}

/* A usage error before anything was written leaves the -o file as it
 * was: it may be an input the checks have not reached yet. */
static void
abandon_output(void)
{
	if (out.fd >= 0 && out.size == 0 && out.len == 0 && !out.emptied) {
		close(out.fd);
		out.fd = -1;
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	cmt_stop = 1;
}

/* stdout's bytes go out through this, not glibc's own write: SIGINT and
 * SIGTERM have no SA_RESTART (a wait for input must end at once), so they
 * also cut short a write blocked on a full pipe, and glibc then drops the
 * whole buffer.  Here an interrupted write goes on: the tool finishes the
 * lines it has and exits cleanly as soon as the reader takes them.  Once
 * a stop was asked it waits at most STOP_WRITE_MS for a reader that takes
 * nothing, then fails with EINTR (write_failed says what was left), so
 * a stuck reader cannot hold it for ever. */
#define STOP_WRITE_MS 2000

/* What a stop left unwritten when the reader took nothing (see
 * write_failed); and whether stdout's last byte so far ends a line.  A
 * write into a pipe is cut short where the signal found it, so when the
 * reader then takes nothing, the pipe may end inside a line. */
static struct {
	int gave_up, mid_line;
	size_t lines;
} stop_out;

/* The errno of the write to stdout that failed: glibc may report the
 * failure later (the stream's error flag, seen at the next fwrite) with
 * errno long since changed, and a closed pipe must still be told from a
 * full disk (write_failed). */
static int stdout_errno;

static ssize_t
stdout_write(void *cookie, const char *buf, size_t n)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
	int64_t deadline = 0, left;
	size_t done = 0, k;
	ssize_t w;

	(void)cookie;
	while (done < n) {
		if (cmt_stop) {
			if (!deadline)
				deadline = cmt_clock_mono_ms() + STOP_WRITE_MS;
			if ((left = deadline - cmt_clock_mono_ms()) <= 0 ||
			    (poll(&pfd, 1, (int)left) == 0)) {
				stop_out.gave_up = 1;
				for (k = done; k < n; k++)
					stop_out.lines += buf[k] == '\n';
				errno = stdout_errno = EINTR;
				return -1;
			}
		}
		w = write(STDOUT_FILENO, buf + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			stop_out.mid_line = buf[done - 1] != '\n';
		} else if (w == 0 || errno != EINTR) {
			stdout_errno = w == 0 ? EIO : errno;
			return -1;
		}
	}
	return (ssize_t)done;
}

/* A write to stdout failed: quiet on a closed pipe (see quiet_on_epipe),
 * else one line saying what was lost. */
static void
write_failed(void)
{
	if (stdout_errno)
		errno = stdout_errno;
	quiet_on_epipe();
	if (!stop_out.gave_up) {
		cmt_warn("write error:");
		return;
	}
	cmt_warn("stopped: the reader took nothing for %d s after the signal; "
		"%zu buffered line%s not written%s", STOP_WRITE_MS / 1000,
		stop_out.lines, stop_out.lines == 1 ? "" : "s",
		stop_out.mid_line ? ", the last one written cut short" : "");
}

void
cmt_cli_init(const char *argv0)
{
	struct sigaction sa;
	int fd;
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0)
		cmt_progname = slash ? slash + 1 : argv0;
	/* A closed 0, 1 or 2 would be taken by the next open(): the -o file
	 * would get our diagnostics, a socket would be read as stdin.  Hold
	 * each with /dev/null, as careful daemons do. */
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
				_exit(CMT_EXIT_FAIL);
			cmt_closed_fds |= 1 << fd;
		}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;   /* no SA_RESTART: reads return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	opterr = 0;     /* cmt_bad_option says it in one line */
	/* A file size limit is a write error we report (EFBIG), not death
	 * with half a line written. */
	signal(SIGXFSZ, SIG_IGN);
	{
		static const cookie_io_functions_t io = { .write = stdout_write };
		FILE *f = fopencookie(NULL, "w", io);

		if (f)
			stdout = f;
	}
	if (isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		cmt_block_buffered();
}

void
cmt_block_buffered(void)
{
	/* With a NULL buffer glibc ignores the size and uses st_blksize,
	 * 4 KiB on a pipe: 16 times the writes. */
	static char buf[1 << 16];

	setvbuf(stdout, buf, _IOFBF, sizeof buf);
}

static void
vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	fflush(stdout);
	/* one line, whole, even when another thread warns too (a gap
	 * fill's retries) */
	flockfile(stderr);
	fprintf(stderr, "%s: ", cmt_progname);
	vfprintf(stderr, fmt, ap);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
cmt_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
cmt_bad_line(const char *file, unsigned long long no, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (file && strcmp(file, "-") != 0)
		fprintf(stderr, "%s: %s: line %llu: ", cmt_progname, file, no);
	else
		fprintf(stderr, "%s: line %llu: ", cmt_progname, no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cmt_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void
cmt_usage_error(const char *fmt, ...)
{
	va_list ap;

	abandon_output();
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", cmt_progname);
	exit(CMT_EXIT_USAGE);
}

void
cmt_bad_option(char **argv, const char *optstring)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const char *p = optopt > 0 && optopt < 256 ?
		strchr(optstring, optopt) : NULL;
	char shortopt[3] = { '-', (char)optopt, '\0' };
	int islong = strncmp(arg, "--", 2) == 0;

	abandon_output();
	/* optopt is set for a known option (long or short) used wrongly,
	 * and for an unknown short one; 0 for an unknown long one */
	if (optopt > 0 && islong && strchr(arg, '='))
		fprintf(stderr, "%s: option '%.*s' takes no argument",
			cmt_progname, (int)(strchr(arg, '=') - arg), arg);
	else if ((optopt > 0 && islong) || (p && p[1] == ':'))
		fprintf(stderr, "%s: option '%s' needs an argument", cmt_progname,
			arg);
	else if (optopt > 0)
		fprintf(stderr, "%s: unknown option '%s'", cmt_progname, shortopt);
	else
		fprintf(stderr, "%s: unknown option '%s'", cmt_progname, arg);
	fprintf(stderr, " (try '%s --help')\n", cmt_progname);
	exit(CMT_EXIT_USAGE);
}

void
cmt_usage_hint(void)
{
	abandon_output();
	fprintf(stderr, "Try '%s --help' for more information.\n", cmt_progname);
	exit(CMT_EXIT_USAGE);
}

struct cmt_linereader *
cmt_input_open(const char *path, unsigned kinds, int *fd)
{
	struct cmt_linereader *lr;

	*fd = STDIN_FILENO;
	if (path && strcmp(path, "-") != 0 &&
	    (*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cmt_warn("%s:", path);
		return NULL;
	}
	if (!(lr = cmt_line_open(*fd, 0)))
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	cmt_line_expect(lr, kinds, path);
	cmt_line_on_idle(lr, cmt_idle_flush, NULL);
	return lr;
}

void
cmt_input_close(struct cmt_linereader *lr, int fd)
{
	cmt_line_close(lr);
	if (fd != STDIN_FILENO)
		close(fd);
}

int
cmt_input_next(struct cmt_linereader *lr, struct cmt_line *ln,
	const char *name)
{
	int rc = cmt_line_next(lr, ln);

	if (rc == CMT_LINE_FOREIGN) {
		abandon_output();
		cmt_bad_line(name, (unsigned long long)ln->no, "%s",
			cmt_line_error(lr));
		exit(CMT_EXIT_USAGE);
	}
	if (rc < 0 && errno != EINTR)
		cmt_warn("%s: read error: %s", !name || strcmp(name, "-") == 0 ?
			"stdin" : name, cmt_line_error(lr));
	return rc;
}

void
cmt_print_version(void)
{
	printf("%s (cmt) %s\n", cmt_progname, CMT_VERSION);
	exit(cmt_finish(CMT_EXIT_OK));
}

static const char *
last_newline(const char *p, size_t n)
{
	while (n > 0)
		if (p[--n] == '\n')
			return p + n;
	return NULL;
}

/* The -o file is opened without O_TRUNC, so that an input it turns out
 * to be is refused before anything is lost; it is emptied here, before
 * the first write or at close. */
static void
empty_output(void)
{
	if (out.emptied)
		return;
	out.emptied = 1;
	if (ftruncate(out.fd, 0) != 0 && errno != EINVAL) {
		cmt_warn("%s:", out.path);
		exit(CMT_EXIT_FAIL);
	}
}

/* Write out.buf[0..n) to the -o file; on failure cut the file back to its
 * last complete line, report and exit 1. */
static void
out_write(size_t n)
{
	const char *p = out.buf, *nl;
	size_t left = n;
	ssize_t w;

	empty_output();
	while (left > 0) {
		w = write(out.fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int saved = w < 0 ? errno : ENOSPC;

			/* keep the whole lines a short write got out */
			if ((nl = last_newline(out.buf, (size_t)(p - out.buf))))
				out.whole = out.size + (nl - out.buf) + 1;
			if (ftruncate(out.fd, out.whole) == 0)
				out.size = out.whole;
			out.len = 0;
			errno = saved;
			quiet_on_epipe();
			cmt_warn("%s: write error:", out.path);
			exit(CMT_EXIT_FAIL);
		}
		p += w;
		left -= (size_t)w;
	}
	if ((nl = last_newline(out.buf, n)) != NULL)
		out.whole = out.size + (nl - out.buf) + 1;
	out.size += (off_t)n;
	memmove(out.buf, out.buf + n, out.len - n);
	out.len -= n;
}

/* Write the buffer up to its last newline (all of it when it holds no
 * newline: a line longer than the buffer goes out in pieces). */
static void
out_lines(void)
{
	const char *nl = last_newline(out.buf, out.len);

	out_write(nl ? (size_t)(nl - out.buf) + 1 : out.len);
}

/* Flush whole lines, drop any partial tail, fsync and close; 0 or -1. */
static int
out_close(void)
{
	int rc = 0;

	if (out.fd < 0)
		return 0;
	empty_output();
	if (out.len > 0)
		out_lines();
	if (out.size != out.whole && ftruncate(out.fd, out.whole) != 0)
		rc = -1;
	if (fsync(out.fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = -1;
	if (close(out.fd) != 0)
		rc = -1;
	out.fd = -1;
	return rc;
}

/* On exit through cmt_die or exit(): whole lines still reach the file. */
static void
out_atexit(void)
{
	if (out.fd >= 0 && out_close() != 0) {
		cmt_warn("%s: write error:", out.path);
		_exit(CMT_EXIT_FAIL);
	}
}

void
cmt_output(const char *path)
{
	struct stat st;

	if (out.fd >= 0)
		cmt_usage_error("-o given twice");
	/* no O_TRUNC: see empty_output */
	out.fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (out.fd < 0)
		cmt_die(CMT_EXIT_FAIL, "%s:", path);
	out.path = path;
	if (fstat(out.fd, &st) == 0 && S_ISREG(st.st_mode)) {
		out.dev = st.st_dev;
		out.ino = st.st_ino;
	}
	atexit(out_atexit);
	cmt_output_not_input("-");
}

void
cmt_output_not_input(const char *input)
{
	struct stat st;
	int r;

	if (out.fd < 0 || out.ino == 0)
		return;
	r = strcmp(input, "-") == 0 ? fstat(STDIN_FILENO, &st) :
		stat(input, &st);
	if (r == 0 && S_ISREG(st.st_mode) && st.st_dev == out.dev &&
	    st.st_ino == out.ino)
		cmt_usage_error("-o %s: that file is also an input (%s); "
			"writing it would destroy the input", out.path,
			strcmp(input, "-") == 0 ? "stdin" : input);
}

void
cmt_out(const char *buf, size_t n)
{
	if (out.fd >= 0) {
		if (n > sizeof out.buf - out.len && out.len > 0)
			out_lines();
		while (n > sizeof out.buf - out.len) {
			size_t k = sizeof out.buf - out.len;

			memcpy(out.buf + out.len, buf, k);
			out.len += k;
			buf += k;
			n -= k;
			out_lines();
		}
		memcpy(out.buf + out.len, buf, n);
		out.len += n;
		return;
	}
	/* fwrite can report success when flushing older data failed. */
	if (fwrite_unlocked(buf, 1, n, stdout) != n ||
	    ferror_unlocked(stdout)) {
		write_failed();
		exit(CMT_EXIT_FAIL);
	}
}

void
cmt_flush(void)
{
	if (out.fd >= 0) {
		if (out.len > 0)
			out_lines();
		return;
	}
	if (fflush(stdout) != 0 || ferror_unlocked(stdout)) {
		write_failed();
		exit(CMT_EXIT_FAIL);
	}
}

void
cmt_idle_flush(void *unused)
{
	(void)unused;
	cmt_flush();
}

int
cmt_finish(int status)
{
	if (out.fd >= 0 && out_close() != 0) {
		cmt_warn("%s: write error:", out.path);
		status = CMT_EXIT_FAIL;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == 0)
			errno = EIO;
		write_failed();
		return CMT_EXIT_FAIL;
	}
	return status;
}

int64_t
cmt_opt_duration(const char *opt, const char *arg)
{
	char err[CMT_ERRLEN];
	int64_t ms;

	if (cmt_parse_duration_ms(arg, &ms, err))
		cmt_usage_error("%s: %s", opt, err);
	return ms;
}

long long
cmt_opt_int(const char *opt, const char *arg, long long min, long long max)
{
	char err[CMT_ERRLEN];
	long long v;

	if (cmt_parse_int(arg, min, max, &v, err))
		cmt_usage_error("%s: %s", opt, err);
	return v;
}
