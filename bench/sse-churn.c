/* Churn and abuse generator for cmt-sse (built with cc by
 * bench/bench-sse-churn.sh and tests/cli/sse-churn.bats).
 *
 *   sse-churn CLIENTS RATE SECONDS PORT -- SERVER-COMMAND...
 *
 * Starts the server with a pipe as its stdin and writes RATE lines a second
 * for SECONDS.  Meanwhile it keeps CLIENTS connections open that come and
 * go at random: streams that leave after a random time (some with a TCP
 * reset), garbage requests, half requests abandoned mid-line, slowloris
 * clients sending a header byte at a time, and oversized heads.  A few
 * monitor streams stay connected all along and check that they receive
 * every event once, in order.  At the end it prints the counts and the
 * server's /metrics, closes stdin (run the server with --exit-on-eof) and
 * exits 0 only if no monitor missed an event and the server exited 0. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MONITORS 4
#define MAXCONN 8192

enum kind { K_STREAM, K_RESET, K_GARBAGE, K_HALF, K_SLOW, K_BIGHEAD,
	K_MONITOR, NKINDS };
static const char *kind_name[NKINDS] = { "stream", "reset", "garbage",
	"half", "slowloris", "bighead", "monitor" };

struct conn {
	int fd;
	enum kind kind;
	int64_t deadline, next_byte;
	size_t sent;
	char buf[8192];
	size_t len;
	long last_id, received, disorder;
	int headers_done;
};

static struct conn conns[MAXCONN];
static long opened[NKINDS], closed_by_server[NKINDS], refused;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
connect_to(int port, int nonblock)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0),
		0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = send(fd, s, n, MSG_NOSIGNAL)) > 0)
		s += w, n -= (size_t)w;
}

static void
close_conn(int ep, struct conn *c, int reset)
{
	struct linger lg = { 1, 0 };

	if (reset)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

static void
open_conn(int ep, int port, enum kind k, int64_t t)
{
	static const char get[] = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
	struct epoll_event ev;
	struct conn *c = NULL;
	char junk[512];
	int fd, i;

	for (i = 0; i < MAXCONN; i++)
		if (conns[i].fd < 0) {
			c = &conns[i];
			break;
		}
	if (!c || (fd = connect_to(port, k != K_MONITOR)) < 0) {
		refused++;
		return;
	}
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->kind = k;
	c->deadline = t + 50 + rand() % 3000;
	opened[k]++;
	switch (k) {
	case K_MONITOR:
		send_all(fd, "GET /events HTTP/1.1\r\nHost: x\r\n"
			"Last-Event-ID: 0\r\n\r\n", 51);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		c->deadline = INT64_MAX;
		break;
	case K_STREAM:
	case K_RESET:
		send_all(fd, get, sizeof get - 1);
		break;
	case K_GARBAGE:
		for (i = 0; i < (int)sizeof junk; i++)
			junk[i] = (char)(rand() & 0xff);
		send_all(fd, junk, 64 + (size_t)(rand() % 448));
		break;
	case K_HALF:
		send_all(fd, get, (size_t)(rand() % (int)(sizeof get - 2)));
		c->deadline = t + rand() % 300;
		break;
	case K_SLOW:
		c->next_byte = t;
		c->deadline = t + 30000;    /* the server times it out */
		break;
	case K_BIGHEAD:
		send_all(fd, "GET /events HTTP/1.1\r\nHost: x\r\n", 31);
		for (i = 0; i < 300; i++)
			send_all(fd, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
				39);
		send_all(fd, "\r\n", 2);
		break;
	default:
		break;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Monitors: check that ids arrive once each, in order. */
static void
monitor_parse(struct conn *c)
{
	char *p = c->buf, *end = c->buf + c->len, *nl;
	long id;

	if (!c->headers_done) {
		char *s = memmem(p, c->len, "\r\n\r\n", 4);

		if (!s)
			return;
		c->headers_done = 1;
		p = s + 4;
	}
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl - p > 4 && memcmp(p, "id: ", 4) == 0) {
			id = strtol(p + 4, NULL, 10);
			if (c->last_id && id != c->last_id + 1)
				c->disorder++;
			c->last_id = id;
			c->received++;
		}
		p = nl + 1;
	}
	c->len = (size_t)(end - p);
	memmove(c->buf, p, c->len);
}

static void
on_readable(int ep, struct conn *c)
{
	char junk[65536];
	ssize_t n;

	for (;;) {
		if (c->kind == K_MONITOR)
			n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		else
			n = read(c->fd, junk, sizeof junk);
		if (n > 0) {
			if (c->kind == K_MONITOR) {
				c->len += (size_t)n;
				monitor_parse(c);
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		closed_by_server[c->kind]++;
		close_conn(ep, c, 0);
		return;
	}
}

static void
print_metrics(int port)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	char buf[16384], *body;
	size_t len = 0;
	ssize_t n;
	int fd = connect_to(port, 0);

	if (fd < 0) {
		printf("metrics: server not reachable\n");
		return;
	}
	send_all(fd, req, sizeof req - 1);
	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	for (char *l = body ? strtok(body + 4, "\n") : NULL; l;
	    l = strtok(NULL, "\n"))
		if (l[0] != '#')
			printf("metric %s\n", l);
}

int
main(int argc, char **argv)
{
	int clients, rate, secs, port, in[2], ep, n, i, status = 0, bad = 0;
	int64_t t, start, end, next_line;
	long seq = 0, active;
	struct epoll_event evs[256];
	struct rlimit rl;
	char line[256];
	pid_t pid;

	if (argc < 7 || strcmp(argv[5], "--") != 0) {
		fprintf(stderr, "usage: sse-churn CLIENTS RATE SECONDS PORT "
			"-- SERVER...\n");
		return 2;
	}
	clients = atoi(argv[1]);
	rate = atoi(argv[2]);
	secs = atoi(argv[3]);
	port = atoi(argv[4]);
	if (clients < 1 || clients > MAXCONN - 64 || rate < 1 || secs < 1)
		return 2;
	srand(12345);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MAXCONN + 64) {
		rl.rlim_cur = rl.rlim_max < MAXCONN + 64 ? rl.rlim_max :
			MAXCONN + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < MAXCONN; i++)
		conns[i].fd = -1;
	if (pipe(in) != 0)
		return 1;
	if ((pid = fork()) == 0) {
		dup2(in[0], 0);
		close(in[0]);
		close(in[1]);
		execvp(argv[6], argv + 6);
		_exit(127);
	}
	close(in[0]);
	for (i = 0; i < 200; i++) {     /* wait for the server to listen */
		int fd = connect_to(port, 0);

		if (fd >= 0) {
			close(fd);
			break;
		}
		usleep(20000);
	}
	ep = epoll_create1(0);
	start = now_ms();
	for (i = 0; i < MONITORS; i++)
		open_conn(ep, port, K_MONITOR, start);
	end = start + (int64_t)secs * 1000;
	next_line = start;
	while ((t = now_ms()) < end) {
		while (next_line <= t) {
			n = snprintf(line, sizeof line, "{\"t\":%lld,\"sym\":"
				"\"BTC-USD\",\"px\":%ld.5,\"seq\":%ld}\n",
				(long long)t, 50000 + seq % 1000, seq + 1);
			if (write(in[1], line, (size_t)n) != n)
				return 1;
			seq++;
			next_line += 1000 / rate ? 1000 / rate : 1;
		}
		active = 0;
		for (i = 0; i < MAXCONN; i++) {
			struct conn *c = &conns[i];

			if (c->fd < 0 || c->kind == K_MONITOR)
				continue;
			if (t >= c->deadline) {
				close_conn(ep, c, c->kind == K_RESET);
				continue;
			}
			if (c->kind == K_SLOW && t >= c->next_byte &&
			    c->sent < 200) {
				send_all(c->fd, &"GET /events HTTP/1.1\r\n"
					"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					"aaaaaaaaaaaaaaaaaaaaaaaaaaa"[c->sent], 1);
				c->sent++;
				c->next_byte = t + 200;
			}
			active++;
		}
		while (active++ < clients) {
			int r = rand() % 100;
			enum kind k = r < 55 ? K_STREAM : r < 65 ? K_RESET :
				r < 75 ? K_GARBAGE : r < 85 ? K_HALF :
				r < 95 ? K_SLOW : K_BIGHEAD;

			open_conn(ep, port, k, t);
		}
		n = epoll_wait(ep, evs, 256, 5);
		for (i = 0; i < n; i++)
			on_readable(ep, evs[i].data.ptr);
	}
	/* let the monitors catch up with the last events */
	for (t = now_ms(); now_ms() < t + 500;) {
		n = epoll_wait(ep, evs, 256, 50);
		for (i = 0; i < n; i++)
			on_readable(ep, evs[i].data.ptr);
	}
	printf("events written %ld\n", seq);
	for (i = 0; i < NKINDS; i++)
		printf("opened %-9s %7ld  closed by server %7ld\n",
			kind_name[i], opened[i], closed_by_server[i]);
	printf("connect failures %ld\n", refused);
	for (i = 0; i < MAXCONN; i++) {
		struct conn *c = &conns[i];

		if (c->fd < 0 || c->kind != K_MONITOR)
			continue;
		printf("monitor received %ld of %ld, out of order %ld\n",
			c->received, seq, c->disorder);
		if (c->received != seq || c->disorder)
			bad = 1;
	}
	print_metrics(port);
	for (i = 0; i < MAXCONN; i++)
		if (conns[i].fd >= 0)
			close_conn(ep, &conns[i], 0);
	close(in[1]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		printf("server did not exit 0\n");
		bad = 1;
	}
	printf("result %s\n", bad ? "FAIL" : "ok");
	return bad;
}
