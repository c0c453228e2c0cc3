#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmt_line.h"
#include "cmt_replay.h"
#include "cmt_tick.h"

enum state { NEED, HAVE, DONE };

struct source {
	const char *path;
	int fd;
	pid_t gzip;              /* > 0 while a `gzip -dc` child feeds fd */
	int piped;               /* stdin on a pipe: could not sniff gzip */
	struct cmt_linereader *lr;
	struct cmt_tick_decoder dec;
	enum state state;
	struct cmt_line ln;
	int64_t t;
	const char *text;
	size_t len;
	char json[CMT_TICK_LINE_MAX];
};

struct cmt_replay {
	int n;
	int64_t from, to;
	struct source src[];
};

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* A regular file is sniffed for the gzip magic without consuming it. */
static int
is_gzip(int fd, const char *path, int *piped)
{
	unsigned char m[2];
	struct stat st;
	off_t at;

	*piped = 0;
	if (has_suffix(path, ".gz"))
		return 1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*piped = 1;
		return 0;
	}
	at = lseek(fd, 0, SEEK_CUR);
	return pread(fd, m, 2, at < 0 ? 0 : at) == 2 &&
		m[0] == 0x1f && m[1] == 0x8b;
}

/* Replace fd by the read end of a pipe fed by `gzip -dc <fd`. */
static enum cmt_err
spawn_gzip(struct source *s, char *err)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0 || fcntl(p[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) != 0)
		return cmt_errf(err, CMT_EIO, "%s: pipe: %s", s->path,
			strerror(errno));
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return cmt_errf(err, CMT_EIO, "%s: fork: %s", s->path,
			strerror(errno));
	}
	if (pid == 0) {
		/* SIGPIPE is ignored by the tools; gzip must die of it
		 * quietly when we stop reading early. */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(s->fd, 0) < 0 || dup2(p[1], 1) < 0)
			_exit(127);
		execlp("gzip", "gzip", "-dc", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (s->fd != 0)
		close(s->fd);
	s->fd = p[0];
	s->gzip = pid;
	return CMT_OK;
}

static enum cmt_err
open_source(struct source *s, const char *path, char *err)
{
	enum cmt_err e;

	s->path = path;
	s->fd = -1;
	cmt_tick_decoder_init(&s->dec, CMT_TICK_AUTO);
	if (strcmp(path, "-") == 0)
		s->fd = 0;
	else if ((s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cmt_errf(err, CMT_EIO, "%s: %s", path, strerror(errno));
	if (is_gzip(s->fd, path, &s->piped) && (e = spawn_gzip(s, err)))
		return e;
	if (!(s->lr = cmt_line_open(s->fd, 0)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	return CMT_OK;
}

static enum cmt_err
reap(struct source *s, int check, char *err)
{
	int status = 0;
	pid_t pid = s->gzip;

	if (pid <= 0)
		return CMT_OK;
	s->gzip = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return CMT_OK;
	if (check && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return cmt_errf(err, CMT_EIO, "gzip -dc failed (%s %d)",
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) :
			WTERMSIG(status));
	return CMT_OK;
}

enum cmt_err
cmt_replay_open(struct cmt_replay **out, char *const *paths, int n,
	int64_t from, int64_t to, char *err)
{
	struct cmt_replay *r;
	enum cmt_err e;
	int i, stdin_seen = 0;

	*out = NULL;
	if (!(r = calloc(1, sizeof *r + (size_t)n * sizeof r->src[0])))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	r->from = from;
	r->to = to;
	for (i = 0; i < n; i++) {
		if (strcmp(paths[i], "-") == 0 && stdin_seen++) {
			e = cmt_errf(err, CMT_EVALUE,
				"standard input given twice");
			goto fail;
		}
		r->n = i + 1;
		if ((e = open_source(&r->src[i], paths[i], err)))
			goto fail;
	}
	*out = r;
	return CMT_OK;
fail:
	cmt_replay_close(r);
	return e;
}

void
cmt_replay_on_idle(struct cmt_replay *r, void (*fn)(void *), void *ctx)
{
	int i;

	for (i = 0; i < r->n; i++)
		cmt_line_on_idle(r->src[i].lr, fn, ctx);
}

void
cmt_replay_close(struct cmt_replay *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		struct source *s = &r->src[i];

		cmt_line_close(s->lr);
		if (s->fd > 0)
			close(s->fd);
		reap(s, 0, NULL);
	}
	free(r);
}

/* Read s's next tick inside [from, to) into its head. */
static enum cmt_err
advance(struct cmt_replay *r, struct source *s, struct cmt_replay_rec *rec,
	char *err)
{
	struct cmt_tick tk;
	enum cmt_err e;
	int rc;

	rec->file = s->path;
	for (;;) {
		rc = cmt_line_next(s->lr, &s->ln);
		rec->lineno = s->ln.no;
		if (rc < 0) {
			if (errno == EINTR)
				return CMT_EIO;
			s->state = DONE;
			return cmt_errf(err, CMT_EIO, "read error: %s",
				strerror(errno));
		}
		if (rc == 0) {
			s->state = DONE;
			errno = 0;
			return reap(s, 1, err);
		}
		rec->lineno = s->ln.no;
		if (s->ln.too_long)
			return cmt_errf(err, CMT_ETOOLONG, "line longer "
				"than %d bytes", CMT_LINE_MAX_DEFAULT);
		if (s->ln.no == 1 && s->piped && s->ln.len >= 2 &&
		    (unsigned char)s->ln.s[0] == 0x1f &&
		    (unsigned char)s->ln.s[1] == 0x8b) {
			s->state = DONE;
			errno = EINVAL;
			return cmt_errf(err, CMT_EIO, "gzip data on a pipe: "
				"name the file, or decompress with zcat");
		}
		if (s->ln.has_nul)
			return cmt_errf(err, CMT_ESYNTAX,
				"line contains a NUL byte");
		e = cmt_tick_decode(&s->dec, s->ln.s, s->ln.len, &tk, err);
		if (e == CMT_ESKIP)
			continue;
		if (e)
			return e;
		if (tk.t < r->from || tk.t >= r->to)
			continue;
		s->t = tk.t;
		if (s->dec.format == CMT_TICK_CSV) {
			s->len = (size_t)cmt_tick_format_json(&tk, s->json) - 1;
			s->text = s->json;
		} else {
			s->text = s->ln.s;
			s->len = s->ln.len;
		}
		s->state = HAVE;
		return CMT_OK;
	}
}

enum cmt_err
cmt_replay_next(struct cmt_replay *r, struct cmt_replay_rec *rec, char *err)
{
	struct source *best = NULL;
	enum cmt_err e;
	int i;

	for (i = 0; i < r->n; i++)
		while (r->src[i].state == NEED)
			if ((e = advance(r, &r->src[i], rec, err)))
				return e;
	for (i = 0; i < r->n; i++)
		if (r->src[i].state == HAVE && (!best || r->src[i].t < best->t))
			best = &r->src[i];
	if (!best)
		return CMT_ESKIP;
	best->state = NEED;
	rec->line = best->text;
	rec->len = best->len;
	rec->t = best->t;
	rec->file = best->path;
	rec->lineno = best->ln.no;
	return CMT_OK;
}

void
cmt_replay_pacer_init(struct cmt_replay_pacer *p, double speed,
	int64_t warmup_ms)
{
	memset(p, 0, sizeof *p);
	p->speed = speed;
	p->warmup_ms = warmup_ms;
}

/* Nanoseconds after the start at which t is due. */
static int64_t
due_ns(const struct cmt_replay_pacer *p, int64_t t)
{
	double ns;

	if (t <= p->t0)
		return 0;
	ns = (double)(t - p->t0) * 1e6 / p->speed;
	return ns > 9e18 ? (int64_t)9e18 : (int64_t)ns;
}

int64_t
cmt_replay_delay(struct cmt_replay_pacer *p, int64_t t)
{
	struct timespec now;
	int64_t elapsed, due;

	if (p->speed <= 0)
		return 0;
	if (!p->seen) {
		p->seen = 1;
		p->tfirst = t;
	}
	if (!p->started && t - p->tfirst < p->warmup_ms)
		return 0;
	if (!p->started) {
		p->started = 1;
		p->t0 = t;
		clock_gettime(CLOCK_MONOTONIC, &p->start);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (int64_t)(now.tv_sec - p->start.tv_sec) * 1000000000 +
		(now.tv_nsec - p->start.tv_nsec);
	due = due_ns(p, t);
	return due > elapsed ? due - elapsed : 0;
}

int
cmt_replay_wait(struct cmt_replay_pacer *p, int64_t t)
{
	struct timespec at;
	int64_t due;
	int rc;

	if (cmt_replay_delay(p, t) == 0)
		return 0;
	due = due_ns(p, t);
	at.tv_sec = p->start.tv_sec + (time_t)(due / 1000000000);
	at.tv_nsec = p->start.tv_nsec + (long)(due % 1000000000);
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
	if (rc == EINTR) {
		errno = EINTR;
		return -1;
	}
	return 0;
}
