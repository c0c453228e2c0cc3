#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmt_candle.h"
#include "cmt_clock.h"
#include "cmt_fetch.h"
#include "cmt_line.h"
#include "cmt_fmt.h"
#include "cmt_parse.h"
#include "cmt_stream.h"
#include "cmt_warmup.h"
#include "cmt_sniff.h"

enum cmt_err
cmt_fetch_check_base_url(const char *url, char *err)
{
	const char *host = strstr(url, "://"), *rest;

	if (!host || !((host - url == 4 && strncasecmp(url, "http", 4) == 0) ||
	    (host - url == 5 && strncasecmp(url, "https", 5) == 0)))
		return cmt_errf(err, CMT_EVALUE, "'%s' is not "
			"http[s]://host[:port]", url);
	host += 3;
	rest = host + strcspn(host, "/?#");
	if (rest == host)
		return cmt_errf(err, CMT_EVALUE, "'%s' has no host", url);
	if (strcmp(rest, "/") == 0)
		return cmt_errf(err, CMT_EVALUE, "'%s': drop the trailing '/'",
			url);
	if (*rest)
		return cmt_errf(err, CMT_EVALUE, "'%s' has a path ('%s'): give "
			"scheme://host[:port] only, e.g. '%.*s'; cmt-fetch adds "
			"each API's path (such as /api/v3/...) itself", url, rest,
			(int)(rest - url), url);
	return CMT_OK;
}

enum cmt_err
cmt_fetch_idmap_parse(const char *s, struct cmt_fetch_idmap *m, char *err)
{
	const char *eq = strchr(s, '=');
	size_t k, v, i;

	if (!eq || eq == s || !eq[1])
		return cmt_errf(err, CMT_ESYNTAX,
			"invalid --id-map '%s' (use SYM=ID, e.g. pepe=pepe)", s);
	k = (size_t)(eq - s);
	v = strlen(eq + 1);
	if (k >= sizeof m->sym || v >= sizeof m->id)
		return cmt_errf(err, CMT_ETOOLONG, "--id-map '%s' is too long",
			s);
	for (i = 0; i < v; i++)
		if (!((eq[1 + i] >= 'a' && eq[1 + i] <= 'z') ||
		    (eq[1 + i] >= 'A' && eq[1 + i] <= 'Z') ||
		    (eq[1 + i] >= '0' && eq[1 + i] <= '9') ||
		    eq[1 + i] == '-' || eq[1 + i] == '_' || eq[1 + i] == '.'))
			return cmt_errf(err, CMT_EVALUE, "--id-map '%s': id "
				"may hold only letters, digits, '-', '_' and '.'",
				s);
	cmt_ascii_lower(m->sym, s, k);
	memcpy(m->id, eq + 1, v + 1);
	return CMT_OK;
}

enum cmt_err
cmt_fetch_map_symbol(const struct cmt_source *src, const char *arg,
	size_t len, const char *quote, const struct cmt_fetch_idmap *map,
	int nmap, struct cmt_fetch_sym *out, char *err)
{
	char full[64], base[CMT_SYM_MAX], qt[CMT_SYM_MAX], lb[CMT_SYM_MAX];
	char ls[CMT_SYM_MAX];
	const char *dash, *id = NULL;
	enum cmt_err e;
	int i, n;

	memset(out, 0, sizeof *out);
	out->last_id = -1;
	if (len == 0 || len >= 32)
		return cmt_errf(err, CMT_EVALUE, "invalid symbol '%.*s'",
			(int)len, arg);
	dash = memchr(arg, '-', len);
	if (dash)
		n = snprintf(full, sizeof full, "%.*s", (int)len, arg);
	else
		n = snprintf(full, sizeof full, "%.*s-%s", (int)len, arg,
			quote ? quote : src->quote);
	if (n < 0 || (size_t)n >= sizeof full)
		return cmt_errf(err, CMT_ETOOLONG, "symbol '%.*s' is too long",
			(int)len, arg);
	if ((e = cmt_tick_symbol(full, (size_t)n, out->sym, err)))
		return e;
	dash = strchr(out->sym, '-');
	snprintf(base, sizeof base, "%.*s", (int)(dash - out->sym), out->sym);
	snprintf(qt, sizeof qt, "%s", dash + 1);
	cmt_ascii_lower(lb, base, strlen(base));
	cmt_ascii_lower(ls, out->sym, strlen(out->sym));
	for (i = 0; i < nmap; i++)
		if (strcmp(map[i].sym, lb) == 0 || strcmp(map[i].sym, ls) == 0)
			id = map[i].id;
	if ((e = src->map_symbol(out, base, qt, id, err)))
		return e;
	if (id)
		snprintf(out->id, sizeof out->id, "%s", id);
	return CMT_OK;
}

enum cmt_err
cmt_fetch_map_symbols(const struct cmt_source *src, const char *list,
	const char *quote, const struct cmt_fetch_idmap *map, int nmap,
	struct cmt_fetch_sym *syms, int max, int *n, char *err)
{
	const char *p, *comma;
	enum cmt_err e;
	size_t len;
	int i;

	*n = 0;
	for (p = list; ; p = comma + 1) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (*n == max)
			return cmt_errf(err, CMT_ELIMIT, "at most %d symbols",
				max);
		if ((e = cmt_fetch_map_symbol(src, p, len, quote, map, nmap,
		    &syms[*n], err)))
			return e;
		for (i = 0; i < *n; i++)
			if (strcmp(syms[i].sym, syms[*n].sym) == 0)
				return cmt_errf(err, CMT_EVALUE,
					"%s given twice", syms[i].sym);
		(*n)++;
		if (!comma)
			return CMT_OK;
	}
}

uint64_t
cmt_fetch_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64_t
cmt_fetch_backoff_ms(const struct cmt_backoff *b, int attempt,
	int64_t retry_after_ms, uint64_t *rng)
{
	int64_t d = b->base_ms, half;
	int i;

	for (i = 1; i < attempt && d < b->max_ms; i++)
		d *= 2;
	if (d > b->max_ms)
		d = b->max_ms;
	if (d > 1) {
		half = d / 2;
		d = d - half +
			(int64_t)(cmt_fetch_rand(rng) % (uint64_t)(half + 1));
	}
	/* Never earlier than the server asked, but a "Retry-After: 0" on
	 * every answer must not turn into a busy loop either. */
	if (retry_after_ms > CMT_FETCH_RETRY_AFTER_MAX)
		retry_after_ms = CMT_FETCH_RETRY_AFTER_MAX;
	return retry_after_ms > d ? retry_after_ms : d;
}

int64_t
cmt_fetch_minute_ceil(int64_t t)
{
	return (t + 59999) / 60000 * 60000;
}

static void
resume_at(struct cmt_fetch_sym *syms, int nsym, const struct cmt_tick *tk)
{
	int i;

	for (i = 0; i < nsym; i++)
		if (strcmp(tk->sym, syms[i].sym) == 0 && tk->t > syms[i].last_t)
			syms[i].last_t = tk->t;
}

/* A --resume file of candles (--format ohlcv), through the candle
 * reader; its last byte must end a line, as a tick file's must. */
static enum cmt_err
resume_candles(struct cmt_linereader *r, int fd, const char *path,
	struct cmt_fetch_sym *syms, int nsym, long *bad, char *err)
{
	struct cmt_candle_opts o = { .bar_ms = 60000 };
	struct cmt_candles *c;
	struct cmt_tick tk;
	struct stat st;
	uint64_t no;
	char last = '\n';
	enum cmt_err e;

	if (!cmt_line_gzip(r) && fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n'))
		return cmt_errf(err, CMT_EVALUE, "%s: its last line is "
			"incomplete (no newline); remove it before resuming",
			path);
	if ((e = cmt_candles_open(&c, r, path, &o, err)))
		return e;
	while ((e = cmt_candles_next(c, &tk, &no, err)) != CMT_ESKIP) {
		if (e == CMT_EIO && errno == EINTR)
			continue;
		if (e == CMT_EIO || e == CMT_EFORMAT)
			break;
		if (e)
			(*bad)++;
		else
			resume_at(syms, nsym, &tk);
	}
	cmt_candles_close(c);
	return e == CMT_ESKIP ? CMT_OK : e;
}

enum cmt_err
cmt_fetch_resume_scan(const char *path, struct cmt_fetch_sym *syms,
	int nsym, long *bad, char *err)
{
	struct cmt_tick_decoder d;
	struct cmt_linereader *r;
	struct cmt_line ln;
	struct cmt_tick tk;
	const char *head;
	size_t len;
	int fd, rc;
	enum cmt_err e = CMT_OK;

	*bad = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cmt_errf(err, CMT_EIO, "%s: %s", path, strerror(errno));
	if (!(r = cmt_line_open(fd, CMT_LINE_MAX_DEFAULT))) {
		close(fd);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	if (cmt_line_peek(r, &head, &len) > 0 && cmt_candle_looks(head, len)) {
		e = resume_candles(r, fd, path, syms, nsym, bad, err);
		cmt_line_close(r);
		close(fd);
		return e;
	}
	cmt_tick_decoder_init(&d, CMT_TICK_AUTO);
	cmt_line_expect(r, CMT_KIND_BIT(CMT_KIND_TICKS), path);
	while ((rc = cmt_line_next(r, &ln)) != 0) {
		if (rc < 0 && errno == EINTR && rc != CMT_LINE_FOREIGN)
			continue;
		if (rc < 0) {
			e = cmt_errf(err, rc == CMT_LINE_FOREIGN ? CMT_EFORMAT :
				CMT_EIO, "%s: %s", path, cmt_line_error(r));
			break;
		}
		if (ln.no_newline) {
			e = cmt_errf(err, CMT_EVALUE, "%s: line %llu is "
				"incomplete (no newline); remove it before "
				"resuming", path, (unsigned long long)ln.no);
			break;
		}
		rc = ln.too_long ? CMT_ETOOLONG
			: (int)cmt_tick_decode(&d, ln.s, ln.len, &tk, NULL);
		if (rc == CMT_ESKIP)
			continue;
		if (rc != CMT_OK) {
			(*bad)++;
			continue;
		}
		resume_at(syms, nsym, &tk);
	}
	cmt_line_close(r);
	close(fd);
	return e;
}

/* ---- requests ---- */

void
cmt_fetch_nap(const struct cmt_fetch_cfg *c, int64_t ms)
{
	volatile sig_atomic_t *stop = c->stop;
	int64_t end = cmt_clock_mono_ms() + ms, left;
	struct timespec ts;

	if (c->idle)
		c->idle(c->ctx);
	while (!*stop && (left = end - cmt_clock_mono_ms()) > 0) {
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		nanosleep(&ts, NULL);
	}
}

void
cmt_fetch_say(struct cmt_fetch_cfg *c, const char *fmt, ...)
{
	char msg[CMT_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->warn(c->ctx, msg);
}

struct cmt_ingest *
cmt_fetch_ingest(struct cmt_fetch_cfg *c)
{
	if (!c->in.src) {
		memset(&c->in, 0, sizeof c->in);
		c->in.src = c->src;
		c->in.max_ahead_ms = c->max_ahead_ms;
		c->in.warn = c->warn;
		c->in.ctx = c->ctx;
	}
	return &c->in;
}

struct cmt_http *
cmt_fetch_http(struct cmt_fetch_cfg *c, char *err)
{
	struct cmt_http *h;

	c->http.stop = c->stop;
	c->http.rate_header = c->src->rate_header;
	if (!(h = cmt_http_new(&c->http)))
		cmt_errf(err, CMT_ENOMEM, "cannot set up libcurl");
	return h;
}

enum cmt_err
cmt_fetch_get(struct cmt_fetch_cfg *c, struct cmt_http *h, const char *url,
	int64_t deadline, cmt_fetch_parse_fn parse, void *arg, char *err)
{
	struct cmt_http_resp r;
	char why[CMT_ERRLEN], dbuf[32], took[32];
	int attempt = 0;
	int64_t delay, start = cmt_clock_mono_ms();
	enum cmt_err e;

	cmt_http_set_deadline(h, c->bound_ms);
	for (;;) {
		if (*c->stop)
			return CMT_ESKIP;
		if (c->idle)
			c->idle(c->ctx);
		if (c->bound_ms && cmt_clock_mono_ms() >= c->bound_ms)
			return attempt ? cmt_errf(err, CMT_EIO, "%s; giving up "
				"after %d attempts: no time left for another (%s)",
				r.err, attempt, url) : cmt_errf(err, CMT_EIO,
				"no time left to ask (%s)", url);
		if (cmt_http_get(h, url, c->headers, &r))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		if (r.stopped)
			return CMT_ESKIP;
		/* a retry cut short by the bound: the failure that wanted
		 * the retries is the one to name, not the cut */
		if (r.cut && attempt) {
			cmt_format_duration(cmt_clock_mono_ms() - start, took,
				sizeof took);
			return cmt_errf(err, CMT_EIO, "%s; giving up after %d "
				"attempts in %s: the time allowed ran out during "
				"the last (%s) (%s)", why, attempt + 1, took,
				r.err, url);
		}
		if (r.cls == CMT_HTTP_OK) {
			e = parse(arg, &r, why);
			if (e == CMT_OK)
				return CMT_OK;
			/* an answer too big for the page is the same
			 * answer next time: no retry, the pager decides */
			if (e == CMT_EVALUE || e == CMT_ELIMIT)
				return cmt_errf(err, e, "%s (%s)", why, url);
			snprintf(r.err, sizeof r.err, "bad response: %.140s",
				why);
		} else if (r.cls == CMT_HTTP_FATAL) {
			/* show the API's own explanation, on one line */
			char body[96];

			cmt_excerpt(body, sizeof body, r.body, r.len);
			return cmt_errf(err, CMT_EIO, "%s%s%s (%s)", r.err,
				body[0] ? ": " : "", body, url);
		}
		attempt++;
		snprintf(why, sizeof why, "%s", r.err);
		if (c->retry_max > 0 && attempt > c->retry_max)
			return cmt_errf(err, CMT_EIO, "giving up after %d "
				"attempts: %s (%s)", attempt, r.err, url);
		delay = cmt_fetch_backoff_ms(&c->backoff, attempt,
			r.cls != CMT_HTTP_OK ? r.retry_after_ms : -1, &c->rng);
		if (c->bound_ms && cmt_clock_mono_ms() + delay >= c->bound_ms) {
			/* an optional step: no retry it could not finish */
			cmt_format_duration(cmt_clock_mono_ms() - start, took,
				sizeof took);
			cmt_format_duration(delay, dbuf, sizeof dbuf);
			return cmt_errf(err, CMT_EIO, "%s; giving up after "
				"%d attempt%s in %s: the next (in %s%s) would end "
				"past the time allowed (%s)", r.err, attempt,
				attempt > 1 ? "s" : "", took, dbuf,
				r.retry_after_ms >= 0 && r.cls != CMT_HTTP_OK ?
				", Retry-After" : "", url);
		}
		cmt_format_duration(delay, dbuf, sizeof dbuf);
		cmt_fetch_say(c, "%s: %s; retry %d in %s%s", url, r.err, attempt,
			dbuf, r.retry_after_ms >= 0 && r.cls != CMT_HTTP_OK
			? " (Retry-After)" : "");
		if (deadline && cmt_clock_mono_ms() + delay >= deadline) {
			cmt_fetch_nap(c, deadline - cmt_clock_mono_ms());
			return CMT_ESKIP;
		}
		cmt_fetch_nap(c, delay);
	}
}


/* ---- the live loop ---- */

struct live {
	struct cmt_fetch_cfg *c;
	struct cmt_http *h;
	int64_t deadline;       /* monotonic ms when --duration ends; 0: none */
	int first, n;           /* the symbols of this request */
	int64_t now_ms;
	struct cmt_fetch_obs obs[CMT_FETCH_MAX_SYMS];
	struct cmt_trade *page; /* live_trades venues: one trades page */
	char url[4096];
};

/* The request for syms[i] (all of them when batched): the venue's price
 * endpoint, or for a trade-page venue the trades after the last one (or
 * since the boundary, or the latest alone). */
static int
live_url(struct live *l, int i)
{
	struct cmt_fetch_cfg *c = l->c;
	const struct cmt_fetch_sym *s = &c->syms[i];
	struct cmt_stream_cursor cur = { s->last_id, -1,
		s->last_id < 0 ? s->boundary : 0, "" };

	if (c->src->live_trades)
		return c->src->fill_url(c->base_url, s, &cur, l->url,
			sizeof l->url);
	return c->src->live_url(c->base_url, c->syms, c->nsym, i, l->url,
		sizeof l->url);
}

static enum cmt_err
live_parse(void *arg, const struct cmt_http_resp *r, char *err)
{
	struct live *l = arg;
	struct cmt_fetch_cfg *c = l->c;
	char next[32];
	enum cmt_err e;
	int n;

	if (!c->src->live_trades)
		return cmt_ingest_live(c->src, r->body, r->len, c->syms,
			l->first, l->n, l->now_ms, l->obs, err);
	if ((e = cmt_ingest_fill(c->src, r->body, r->len, &c->syms[l->first],
	    l->first, l->page, CMT_FETCH_TRADE_PAGE, &n, next, err)))
		return e;
	cmt_ingest_trade_page(cmt_fetch_ingest(c), &c->syms[l->first],
		l->page, n, l->now_ms, &l->obs[0]);
	return CMT_OK;
}

/* A batched answer without one of the symbols: permanent if that symbol
 * never had a price (the API does not know it), else a passing gap. */
static enum cmt_err
missing(struct cmt_fetch_cfg *c, const struct cmt_fetch_sym *s, char *err)
{
	if (!s->seen)
		return cmt_errf(err, CMT_EVALUE, "%s has no price for %s "
			"(id '%s'); check the symbol or --id-map",
			c->src->name, s->sym, s->id);
	cmt_fetch_say(c, "no price for %s in this response", s->sym);
	return CMT_OK;
}

static void
put(struct live *l, struct cmt_fetch_sym *s, const struct cmt_fetch_obs *o)
{
	struct cmt_tick tk;

	if (cmt_ingest_reading(cmt_fetch_ingest(l->c), s, o, l->c->all,
	    l->now_ms, &tk))
		l->c->emit(l->c->ctx, &tk);
}

static enum cmt_err
live_poll(struct live *l, char *err)
{
	struct cmt_fetch_cfg *c = l->c;
	enum cmt_err e;
	int i, k, pages = 0, per = c->src->batched ? c->nsym : 1;

	for (i = 0; i < c->nsym; i += per) {
		l->first = i;
		l->n = per;
		if (live_url(l, i) < 0)
			return cmt_errf(err, CMT_ETOOLONG, "URL too long");
		l->now_ms = cmt_clock_wall_ms();
		if ((e = cmt_fetch_get(c, l->h, l->url, l->deadline, live_parse,
		    l, err)))
			return e;
		/* A full page of trades means more are waiting: write this
		 * page's tick and fetch the next, a bounded number of times. */
		if (l->obs[0].ntrades == CMT_FETCH_TRADE_PAGE &&
		    pages++ < CMT_FETCH_TRADE_PAGES_MAX) {
			put(l, &c->syms[i], &l->obs[0]);
			i -= per;
			continue;
		}
		pages = 0;
		for (k = 0; k < per; k++) {
			if (!l->obs[k].ok && c->src->batched) {
				if ((e = missing(c, &c->syms[i + k], err)))
					return e;
				continue;
			}
			put(l, &c->syms[i + k], &l->obs[k]);
		}
	}
	return CMT_OK;
}

enum cmt_err
cmt_fetch_live(struct cmt_fetch_cfg *c, char *err)
{
	struct live *l;
	int64_t start = cmt_clock_mono_ms(), next = start, now, wait;
	long long polls = 0;
	enum cmt_err e = CMT_OK;

	if (c->nsym > CMT_FETCH_MAX_SYMS)
		return cmt_errf(err, CMT_ELIMIT, "at most %d symbols",
			CMT_FETCH_MAX_SYMS);
	if (!c->src->live_trades && !c->src->live_url)
		return cmt_errf(err, CMT_EVALUE, "%s has no price endpoint",
			c->src->name);
	if (!(l = calloc(1, sizeof *l)) || (c->src->live_trades &&
	    !(l->page = malloc(sizeof *l->page * CMT_FETCH_TRADE_PAGE)))) {
		free(l);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	l->c = c;
	cmt_fetch_ingest(c);
	/* bounded, and nothing to read meanwhile: a poll made now and held
	 * until it ends would only be staler */
	if (c->warmup_ms > 0) {
		struct cmt_warmup_result res;

		cmt_warmup_run(c, c->warmup_ms, c->warmup_bound_ms, &res);
		if (c->warmed)
			c->warmed(c->ctx, &res);
		start = next = cmt_clock_mono_ms();
	}
	l->deadline = c->duration_ms > 0 ? start + c->duration_ms : 0;
	if (!(l->h = cmt_fetch_http(c, err))) {
		free(l->page);
		free(l);
		return CMT_ENOMEM;
	}
	while (!*c->stop) {
		now = cmt_clock_mono_ms();
		if (c->duration_ms > 0 && now - start >= c->duration_ms)
			break;
		if (next > now) {
			wait = next - now;
			if (l->deadline && l->deadline - now < wait)
				wait = l->deadline - now;
			cmt_fetch_nap(c, wait);
			continue;
		}
		if ((e = live_poll(l, err)) != CMT_OK)
			break;
		if (c->count > 0 && ++polls >= c->count)
			break;
		next += c->interval_ms;
		if (next < (now = cmt_clock_mono_ms()))
			next = now;
	}
	cmt_http_free(l->h);
	free(l->page);
	free(l);
	return e == CMT_ESKIP ? CMT_OK : e;
}

int
cmt_fetch_summary_json(char *buf, size_t cap, const char *mode,
	long long ticks, const struct cmt_ingest *in,
	const struct cmt_stream_stats *st, const struct cmt_warmup_result *w)
{
	char why[6 * CMT_ERRLEN + 3], cold[6 * CMT_ERRLEN + 3];
	size_t n;

	n = (size_t)snprintf(buf, cap, "{\"mode\":\"%s\",\"ticks\":%lld,"
		"\"ahead\":%lld,\"before\":%lld", mode, ticks, in->ahead,
		in->before);
	if (st && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, ",\"trades\":%lld,"
			"\"filled\":%lld,\"duplicates\":%lld,\"bad_messages\":"
			"%lld,\"reconnects\":%lld,\"missing\":%lld,\"gaps\":%lld,"
			"\"held_dropped\":%lld,\"output_dropped\":%lld",
			st->trades, st->filled, st->dups, st->bad, st->reconnects,
			st->missing, st->gaps, st->held_dropped,
			st->output_dropped);
	if (w && n < cap) {
		cmt_fmt_string(why, w->why, strlen(w->why));
		cmt_fmt_string(cold, w->cold, strlen(w->cold));
		n += (size_t)snprintf(buf + n, cap - n, ",\"warm_start\":{"
			"\"ticks\":%lld,\"symbols\":%d,\"warm\":%d,\"cold\":%s,"
			"\"stopped\":%s,\"ms\":%lld,\"error\":%s}", w->ticks,
			w->nsym, w->nwarm, cold, w->stopped ? "true" : "false",
			(long long)w->took_ms, why);
	}
	if (n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "}\n");
	return n < cap ? (int)n : -1;
}
