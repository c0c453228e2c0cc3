/* Load generator for cmt-sse (built by bench/bench-sse.sh with cc).
 *
 *   sse-load CLIENTS RATE SECONDS PORT -- SERVER-COMMAND...
 *
 * Starts the server command with a pipe as its stdin, opens CLIENTS
 * subscriptions to /events, then writes RATE prediction lines a second for
 * SECONDS, each stamped with its send time.  Every client parses its stream
 * and checks that it gets every event once, in order; the delivery latency
 * is stdin write to client read.  At the end stdin is closed (run the server
 * with --exit-on-eof) and one line of figures is printed. */
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

#define BUCKET_US 10
#define NBUCKETS  200000          /* 10 us buckets up to 2 s */

struct client {
	int fd, headers_done, closed;
	char buf[16384];
	size_t len;
	long received, last_seq, disorder;
};

static long hist[NBUCKETS + 1];

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
connect_to(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Handle the complete lines in c->buf. */
static void
parse(struct client *c, int64_t t)
{
	char *p = c->buf, *end = c->buf + c->len, *nl, *s;
	long seq;
	int64_t ns, us;

	if (!c->headers_done) {
		s = memmem(p, c->len, "\r\n\r\n", 4);
		if (!s)
			return;
		c->headers_done = 1;
		p = s + 4;
	}
	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		*nl = '\0';
		if (strncmp(p, "data: ", 6) == 0 &&
		    (s = strstr(p, "\"seq\":")) &&
		    sscanf(s, "\"seq\":%ld,\"ns\":%lld", &seq,
			(long long *)&ns) == 2) {
			c->received++;
			if (seq != c->last_seq + 1)
				c->disorder++;
			c->last_seq = seq;
			us = (t - ns) / 1000;
			hist[us / BUCKET_US < NBUCKETS ? us / BUCKET_US :
				NBUCKETS]++;
		}
		p = nl + 1;
	}
	c->len = (size_t)(end - p);
	memmove(c->buf, p, c->len);
}

static double
percentile(long total, double q)
{
	long want = (long)(q * (double)total), acc = 0;
	int i;

	for (i = 0; i <= NBUCKETS; i++) {
		acc += hist[i];
		if (acc > want)
			return (i + 1) * BUCKET_US / 1000.0;
	}
	return NBUCKETS * BUCKET_US / 1000.0;
}

int
main(int argc, char **argv)
{
	static const char req[] = "GET /events HTTP/1.1\r\nHost: bench\r\n"
		"Accept: text/event-stream\r\n\r\n";
	struct epoll_event ev, evs[512];
	struct rlimit rl;
	struct client *cl;
	int nclients, rate, secs, port, pfd[2], ep, i, n, ready, dropped = 0;
	long produced = 0, total_events, received = 0, lost = 0, disorder = 0;
	int64_t t0, next, end, drain_end, t;
	char line[1024];
	pid_t pid;
	ssize_t r;

	if (argc < 7 || strcmp(argv[5], "--") != 0) {
		fprintf(stderr, "usage: sse-load CLIENTS RATE SECONDS PORT -- "
			"SERVER...\n");
		return 2;
	}
	nclients = atoi(argv[1]);
	rate = atoi(argv[2]);
	secs = atoi(argv[3]);
	port = atoi(argv[4]);
	total_events = (long)rate * secs;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(pfd) < 0 || (pid = fork()) < 0)
		return perror("sse-load"), 1;
	if (pid == 0) {
		dup2(pfd[0], 0);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[6], argv + 6);
		perror(argv[6]);
		_exit(127);
	}
	close(pfd[0]);
	for (i = 0; i < 200; i++) {
		int fd = connect_to(port);
		if (fd >= 0) {
			close(fd);
			break;
		}
		usleep(25000);
	}
	cl = calloc((size_t)nclients, sizeof *cl);
	ep = epoll_create1(0);
	for (i = 0; i < nclients; i++) {
		cl[i].fd = connect_to(port);
		if (cl[i].fd < 0 || write(cl[i].fd, req, sizeof req - 1) < 0) {
			fprintf(stderr, "sse-load: client %d: %s\n", i,
				strerror(errno));
			return 1;
		}
		fcntl(cl[i].fd, F_SETFL, O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.ptr = &cl[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev);
	}
	/* Subscribed once the response head is in. */
	for (ready = 0, end = now_ns() + 10000000000LL; ready < nclients &&
	    now_ns() < end; ) {
		n = epoll_wait(ep, evs, 512, 100);
		for (i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
			if (r <= 0)
				continue;
			c->len += (size_t)r;
			if (!c->headers_done) {
				parse(c, now_ns());
				ready += c->headers_done;
			}
		}
	}
	t0 = now_ns();
	next = t0;
	end = t0 + (int64_t)secs * 1000000000;
	drain_end = end + 3000000000LL;
	for (;;) {
		t = now_ns();
		while (produced < total_events && t >= next) {
			n = snprintf(line, sizeof line, "{\"t\":%lld,"
				"\"sym\":\"BTC-USD\",\"px\":97123.5,\"fs\":\"cmt1;"
				"step=60s\",\"f\":{\"ret_1m\":0.00012,\"rsi\":55.2,"
				"\"macd_hist\":-3.5,\"bb_pctb\":0.61},\"p_up\":0.5123,"
				"\"model\":\"mlp\",\"seq\":%ld,\"ns\":%lld}\n",
				(long long)(t / 1000000), produced + 1,
				(long long)now_ns());
			if (write(pfd[1], line, (size_t)n) != n)
				return perror("sse-load: write"), 1;
			produced++;
			next = t0 + produced * 1000000000LL / rate;
		}
		if (produced == total_events) {
			for (i = 0; i < nclients; i++)
				if (!cl[i].closed && cl[i].received < total_events)
					break;
			if (i == nclients || t >= drain_end)
				break;
		}
		n = epoll_wait(ep, evs, 512, 1);
		t = now_ns();
		for (i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			for (;;) {
				r = read(c->fd, c->buf + c->len,
					sizeof c->buf - c->len - 1);
				if (r > 0) {
					c->len += (size_t)r;
					parse(c, t);
					continue;
				}
				if (r == 0 || errno != EAGAIN) {
					c->closed = 1;
					epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				}
				break;
			}
		}
	}
	close(pfd[1]);   /* --exit-on-eof: the server finishes */
	waitpid(pid, NULL, 0);
	for (i = 0; i < nclients; i++) {
		received += cl[i].received;
		disorder += cl[i].disorder;
		if (cl[i].closed && cl[i].received < total_events)
			dropped++;
		else
			lost += total_events - cl[i].received;
	}
	printf("clients=%d subscribed=%d events_produced=%ld "
		"deliveries_expected=%ld deliveries_received=%ld "
		"lost_by_clients_keeping_up=%ld out_of_order=%ld "
		"clients_dropped=%d latency_ms_p50=%.2f p99=%.2f p999=%.2f\n",
		nclients, ready, produced, produced * nclients, received, lost,
		disorder, dropped, percentile(received, 0.50),
		percentile(received, 0.99), percentile(received, 0.999));
	return 0;
}
