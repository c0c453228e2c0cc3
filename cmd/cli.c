#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

volatile sig_atomic_t cmt_stop;
const char *cmt_progname = "cmt";

static void
on_signal(int sig)
{
	(void)sig;
	cmt_stop = 1;
}

void
cmt_cli_init(const char *argv0)
{
	struct sigaction sa;
	struct stat st;
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0)
		cmt_progname = slash ? slash + 1 : argv0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;   /* no SA_RESTART: reads return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (isatty(STDOUT_FILENO) ||
	    (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode)))
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
}

static void
vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	fflush(stdout);
	fprintf(stderr, "%s: ", cmt_progname);
	vfprintf(stderr, fmt, ap);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
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

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", cmt_progname);
	exit(CMT_EXIT_USAGE);
}

void
cmt_usage_hint(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", cmt_progname);
	exit(CMT_EXIT_USAGE);
}

void
cmt_print_version(void)
{
	printf("%s (cmt) %s\n", cmt_progname, CMT_VERSION);
	exit(cmt_finish(CMT_EXIT_OK));
}

void
cmt_out(const char *buf, size_t n)
{
	if (fwrite_unlocked(buf, 1, n, stdout) != n) {
		cmt_warn("write error:");
		exit(CMT_EXIT_FAIL);
	}
}

int
cmt_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == 0)
			errno = EIO;
		cmt_warn("write error:");
		return CMT_EXIT_FAIL;
	}
	return status;
}
