/* cmt-sse's server: the listening socket, the epoll loop and its clients
 * (accept, read a request head, drain, close) and the input lines it
 * publishes.  The server owns struct cmt_sse and every client; a closed
 * client is freed at the end of its turn, the rest by cmt_sse_close. */
#define _GNU_SOURCE   /* accept4 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmt_clock.h"
#include "cmt_line.h"
#include "cmt_sse.h"
#include "serve_int.h"

#define INPUT_BATCH 256    /* lines read per turn, so clients get served */
#define READ_CHUNK  4096

void
cmt_sse_defaults(struct cmt_sse_opts *o)
{
	memset(o, 0, sizeof *o);
	o->bind = "127.0.0.1";
	o->port = 8080;
	o->in_fd = 0;
	o->max_line = CMT_LINE_MAX_DEFAULT;
	o->backlog = 1024;
	o->client_buffer = 1 << 20;
	o->max_clients = 4096;
	o->heartbeat_ms = 15000;
	o->retry_ms = 3000;
	o->request_timeout_ms = 10000;
	o->drain_ms = 2000;
}

static int
make_listener(struct cmt_sse *s, char *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, s->o.bind, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)s->o.port);
		sl = sizeof *a4;
	} else if (inet_pton(AF_INET6, s->o.bind, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)s->o.port);
		sl = sizeof *a6;
	} else {
		return cmt_errf(err, CMT_EVALUE,
			"bind address '%s' is not an IPv4 or IPv6 address",
			s->o.bind);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		0);
	if (fd < 0)
		return cmt_errf(err, CMT_EIO, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		cmt_errf(err, CMT_EIO, "cannot listen on %s port %d: %s",
			s->o.bind, s->o.port, strerror(errno));
		close(fd);
		return CMT_EIO;
	}
	sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	s->port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
	s->lfd = fd;
	return CMT_OK;
}

static int
ep_add(struct cmt_sse *s, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = ptr;
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void
raise_fd_limit(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

enum cmt_err
cmt_sse_open(struct cmt_sse **srv, const struct cmt_sse_opts *o, char *err)
{
	struct cmt_sse *s;
	enum cmt_err e;

	*srv = NULL;
	if (o->backlog < 1 || o->backlog > 10000000)
		return cmt_errf(err, CMT_EVALUE,
			"backlog must be 1 to 10000000 events");
	if (o->max_clients < 1)
		return cmt_errf(err, CMT_EVALUE, "max clients must be >= 1");
	if (o->cors && (strlen(o->cors) > CMT_SSE_MAX_ORIGIN ||
	    strpbrk(o->cors, "\r\n")))
		return cmt_errf(err, CMT_EVALUE,
			"CORS origin must be one line of at most %d bytes",
			CMT_SSE_MAX_ORIGIN);
	if (o->heartbeat_ms <= 0 || o->request_timeout_ms <= 0)
		return cmt_errf(err, CMT_EVALUE,
			"heartbeat and request timeout must be > 0");
	if (!(s = calloc(1, sizeof *s)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	s->o = *o;
	if (!s->o.bind)
		s->o.bind = "127.0.0.1";
	if (!s->o.max_line)
		s->o.max_line = CMT_LINE_MAX_DEFAULT;
	s->lfd = s->ep = s->spare_fd = -1;
	s->cap = o->backlog;
	s->first_id = o->first_id ? o->first_id :
		(uint64_t)(cmt_clock_wall_ms() / 1000) * 1000000;
	s->head_id = s->first_id - 1;
	raise_fd_limit((rlim_t)o->max_clients + 64);
	if (!(s->ring = calloc(s->cap, sizeof *s->ring))) {
		free(s);
		return cmt_errf(err, CMT_ENOMEM, "out of memory for backlog");
	}
	if ((e = make_listener(s, err)) != CMT_OK)
		goto fail;
	e = CMT_EIO;
	if ((s->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    ep_add(s, s->lfd, EPOLLIN, &s->lfd) < 0) {
		cmt_errf(err, e, "epoll: %s", strerror(errno));
		goto fail;
	}
	/* Kept so that accept() can still shed a connection at EMFILE. */
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (o->in_fd >= 0) {
		if (!(s->lr = cmt_line_open(o->in_fd, s->o.max_line))) {
			e = cmt_errf(err, CMT_ENOMEM, "out of memory");
			goto fail;
		}
		s->in_flags = fcntl(o->in_fd, F_GETFL);
		if (s->in_flags >= 0)
			fcntl(o->in_fd, F_SETFL, s->in_flags | O_NONBLOCK);
		s->input_open = 1;
		/* Regular files cannot be polled: they are read every turn. */
		s->in_pollable = ep_add(s, o->in_fd, EPOLLIN, &s->o.in_fd) == 0;
	}
	s->st.input_open = s->input_open;
	*srv = s;
	return CMT_OK;
fail:
	cmt_sse_close(s);
	return e;
}

int
cmt_sse_port(const struct cmt_sse *s)
{
	return s->port;
}

static void
list_remove(struct client **head, struct client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
list_push(struct client **head, struct client *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

/* Closing only marks the client: it may still be named by events of the
 * current epoll batch, so it is freed at the end of the turn. */
void
sse_client_close(struct cmt_sse *s, struct client *c)
{
	if (c->state == C_DEAD)
		return;
	if (c->state == C_STREAM)
		s->st.streams--;
	s->st.clients--;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = C_DEAD;
	list_remove(&s->clients, c);
	list_push(&s->dead, c);
}

static void
reap(struct cmt_sse *s)
{
	struct client *c;

	while ((c = s->dead)) {
		s->dead = c->next;
		free(c->req);
		free(c->out);
		free(c);
	}
}

static void
read_request(struct cmt_sse *s, struct client *c)
{
	struct cmt_sse_req r;
	ssize_t n;
	int status;

	for (;;) {
		n = read(c->fd, c->req + c->req_len,
			CMT_SSE_MAX_HEAD - c->req_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			sse_client_close(s, c);
			return;
		}
		c->req_len += (size_t)n;
		status = cmt_sse_parse_request(c->req, c->req_len, &r);
		if (status == 200) {
			sse_route(s, c, &r);
			return;
		}
		if (status != 0) {
			s->st.requests++;
			sse_reply_status(s, c, status);
			return;
		}
	}
}

/* Streams and replies: requests after the first are not read (every
 * reply closes the connection), so input is drained only to see EOF. */
void
sse_drain_input(struct cmt_sse *s, struct client *c)
{
	char buf[READ_CHUNK];
	ssize_t n;

	for (;;) {
		n = read(c->fd, buf, sizeof buf);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (c->state == C_STREAM || n < 0 || c->out_off == c->out_len)
			sse_client_close(s, c);
		return;
	}
}

void
sse_flush_client(struct cmt_sse *s, struct client *c)
{
	if (c->state == C_REPLY)
		sse_flush_reply(s, c);
	else if (c->state == C_STREAM)
		sse_flush_stream(s, c);
}

static void
accept_clients(struct cmt_sse *s)
{
	struct client *c;
	int fd, one = 1;

	for (;;) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) &&
			    s->spare_fd >= 0) {
				/* Shed the connection instead of spinning. */
				close(s->spare_fd);
				fd = accept(s->lfd, NULL, NULL);
				if (fd >= 0) {
					s->st.clients_rejected++;
					close(fd);
				}
				s->spare_fd = open("/dev/null",
					O_RDONLY | O_CLOEXEC);
				continue;
			}
			return;
		}
		s->st.connections++;
		c = NULL;
		if (s->draining || s->st.clients >= (size_t)s->o.max_clients ||
		    !(c = calloc(1, sizeof *c)) ||
		    !(c->req = malloc(CMT_SSE_MAX_HEAD))) {
			free(c);
			s->st.clients_rejected++;
			sse_write_now(s, fd, 503);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->fd = fd;
		c->state = C_READ;
		c->deadline = cmt_clock_mono_ms() + s->o.request_timeout_ms;
		if (ep_add(s, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		    c) < 0) {
			close(fd);
			free(c->req);
			free(c);
			continue;
		}
		list_push(&s->clients, c);
		s->st.clients++;
	}
}

static void
start_drain(struct cmt_sse *s, int64_t now)
{
	if (s->draining)
		return;
	s->draining = 1;
	s->drain_deadline = now + s->o.drain_ms;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
}

static void
end_input(struct cmt_sse *s)
{
	s->input_open = 0;
	if (s->in_pollable)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, s->o.in_fd, NULL);
	if (s->o.exit_on_eof)
		start_drain(s, cmt_clock_mono_ms());
}

static enum cmt_err
read_input(struct cmt_sse *s, char *err)
{
	struct cmt_line ln;
	char why[64];
	int i, r;

	for (i = 0; i < INPUT_BATCH; i++) {
		r = cmt_line_next(s->lr, &ln);
		if (r == 0) {
			end_input(s);
			return CMT_OK;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return CMT_OK;
			return cmt_errf(err, CMT_EIO, "read error: %s",
				strerror(errno));
		}
		/* A CR inside a line would end the data: field at the client
		 * (EventSource splits on CR too) and let the rest of the line
		 * pose as id: or event: fields. */
		if (ln.too_long || ln.has_nul ||
		    memchr(ln.s, '\r', ln.len)) {
			s->st.lines_skipped++;
			if (ln.too_long)
				snprintf(why, sizeof why,
					"longer than %zu bytes, skipped",
					s->o.max_line);
			else if (ln.has_nul)
				snprintf(why, sizeof why,
					"contains a NUL byte, skipped");
			else
				snprintf(why, sizeof why,
					"contains a CR, skipped");
			if (s->o.on_skip)
				s->o.on_skip(s->o.ctx, ln.no, why);
			continue;
		}
		s->st.lines_in++;
		s->st.bytes_in += ln.len + 1;
		sse_publish(s, ln.s, ln.len, ln.no);
	}
	return CMT_OK;
}

static void
timers(struct cmt_sse *s, int64_t now)
{
	static const char beat[] = ": keep-alive\n\n";
	struct client *c, *next;
	int beat_now = now >= s->next_heartbeat;

	/* A sweep visits every client: not more often than needed. */
	if (!beat_now && !s->draining && now < s->next_sweep)
		return;
	s->next_sweep = now + 100;
	if (beat_now)
		s->next_heartbeat = now + s->o.heartbeat_ms;
	for (c = s->clients; c; c = next) {
		next = c->next;
		if (c->state == C_STREAM) {
			if (s->draining && c->next_id > s->head_id &&
			    c->ctl_len == 0) {
				shutdown(c->fd, SHUT_WR);
				sse_client_close(s, c);
			} else if (beat_now && c->next_id > s->head_id &&
			    c->ctl_len == 0) {
				sse_ctl_append(c, beat, sizeof beat - 1);
				sse_flush_stream(s, c);
			}
		} else if (c->state == C_READ && (s->draining ||
		    now >= c->deadline)) {
			if (!s->draining) {
				s->st.timeouts++;
				s->st.bad_requests++;
				sse_write_now(s, c->fd, 408);
			}
			sse_client_close(s, c);
		} else if (c->state == C_REPLY && now >= c->deadline) {
			if (c->out_off < c->out_len)
				s->st.timeouts++;
			sse_client_close(s, c);
		}
	}
}

/* The drain is over: streams still owed events are cut off; count them
 * and the events they miss. */
static void
count_cut(struct cmt_sse *s)
{
	struct client *c;

	for (c = s->clients; c; c = c->next)
		if (c->state == C_STREAM && c->next_id <= s->head_id) {
			s->st.cut_streams++;
			s->st.cut_events += s->head_id - c->next_id + 1;
		}
}

enum cmt_err
cmt_sse_run(struct cmt_sse *s, volatile sig_atomic_t *stop, char *err)
{
	struct epoll_event evs[256];
	struct client *c;
	int64_t now, wait;
	int i, n;
	enum cmt_err e;

	s->next_heartbeat = cmt_clock_mono_ms() + s->o.heartbeat_ms;
	for (;;) {
		now = cmt_clock_mono_ms();
		if (stop && *stop)
			start_drain(s, now);
		if (s->draining && (s->st.clients == 0 ||
		    now >= s->drain_deadline)) {
			count_cut(s);
			break;
		}
		wait = s->next_heartbeat - now;
		if (wait > 200)
			wait = 200;   /* bounds the delay in noticing *stop */
		if (wait < 0 || (s->input_open && (!s->in_pollable ||
		    cmt_line_pending(s->lr) > 0)))
			wait = 0;
		n = epoll_wait(s->ep, evs, 256, (int)wait);
		if (n < 0 && errno != EINTR)
			return cmt_errf(err, CMT_EIO, "epoll_wait: %s",
				strerror(errno));
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &s->lfd) {
				accept_clients(s);
				continue;
			}
			if (evs[i].data.ptr == &s->o.in_fd)
				continue;   /* read below, once per turn */
			c = evs[i].data.ptr;
			if (c->state != C_DEAD && (evs[i].events &
			    (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
				if (c->state == C_READ)
					read_request(s, c);
				else
					sse_drain_input(s, c);
			}
			if (c->state != C_DEAD && (evs[i].events & EPOLLOUT))
				sse_flush_client(s, c);
		}
		if (s->input_open && !s->draining &&
		    (e = read_input(s, err)) != CMT_OK)
			return e;
		timers(s, cmt_clock_mono_ms());
		reap(s);
	}
	return CMT_OK;
}

void
cmt_sse_close(struct cmt_sse *s)
{
	struct client *c;
	size_t i;

	if (!s)
		return;
	while ((c = s->clients))
		sse_client_close(s, c);
	reap(s);
	if (s->lr) {
		cmt_line_close(s->lr);
		if (s->in_flags >= 0)
			fcntl(s->o.in_fd, F_SETFL, s->in_flags);
	}
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->ep >= 0)
		close(s->ep);
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	for (i = 0; s->ring && i < s->cap; i++)
		free(s->ring[i].buf);
	free(s->ring);
	free(s);
}
