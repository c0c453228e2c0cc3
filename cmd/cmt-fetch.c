/* cmt-fetch: poll public price APIs or stream their trades and write NDJSON
 * ticks, or backfill 1-minute history.  The venues are the table of
 * lib/source/; the work is in lib/fetch.c, lib/history.c, lib/stream.c,
 * lib/ingest.c, lib/http.c and lib/outq.c. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmt_candle.h"
#include "cmt_fetch.h"
#include "cmt_gapfill.h"
#include "cmt_outq.h"
#include "cmt_parse.h"
#include "cmt_stream.h"
#include "cmt_warmup.h"

#define OPTSTRING "s:S:q:i:n:d:w:Hh"  /* getopt's, for cmt_bad_option too */

_Noreturn static void
usage(void)
{
	const struct cmt_source *first = cmt_source_at(0), *s;
	char names[256], streams[256], quotes[256];
	int i;

	/* what the registry says: the venues, their quotes and abilities */
	cmt_source_list(names, sizeof names, NULL, ", ", ", ");
	cmt_source_list(streams, sizeof streams, cmt_source_has_stream, ", ",
		", ");
	cmt_source_quotes(quotes, sizeof quotes);
	printf("Usage: %s [OPTIONS] --symbols LIST\n"
"       %s --stream [OPTIONS] --symbols LIST\n"
"       %s --history --from TIME [--to TIME] [OPTIONS] --symbols LIST\n"
"Poll a price API and write one NDJSON tick per symbol per new reading,\n"
"or stream every trade (--stream).\n\n"
"  -s, --source NAME      %s (default)%s\n"
"  -S, --symbols LIST     comma list: btc,eth or BTC-USD,ETH-USD\n"
"  -q, --quote CUR        quote for bare symbols (default: %s)\n"
"      --id-map SYM=ID    source id for a symbol (repeatable)\n"
"  -i, --interval DUR     time between polls (default 5s)\n"
"  -n, --count N          stop after N successful polls (--stream: trades)\n"
"      --once             same as --count 1\n"
"  -d, --duration DUR     stop after DUR\n"
"      --all              emit every reading, even unchanged ones\n"
"  -w, --warmup DUR       first emit DUR of history up to the current\n"
"                         minute (1-minute bars; CoinGecko's points about\n"
"                         5m apart), then go live (default 2h; 0: none)\n"
"      --warmup-timeout DUR  give the warm start at most DUR in all, each\n"
"                         request a third of it; on failure live data goes\n"
"                         on without it (default 15s)\n"
"      --stream           one tick per trade from the exchange's WebSocket\n"
"                         trade stream (%s)\n"
"      --ws-url URL       WebSocket endpoint (a mirror or a test server)\n"
"      --ws-ping DUR      ping a quiet stream after DUR, drop it after\n"
"                         twice that without an answer (default 30s)\n"
"      --out-buffer N     stream: bytes of output held for a slow reader\n"
"                         before ticks are dropped (default 8388608)\n"
"      --fill-timeout DUR stream: a gap fill from REST gives up after DUR;\n"
"                         the trades it could not get are counted missing\n"
"                         (default 30s)\n"
"      --max-ahead DUR    skip a reading stamped more than DUR ahead of\n"
"                         the clock (default 5m)\n"
"      --base-url URL     scheme://host[:port] of the API (a mirror or a\n"
"                         test server), no path\n",
		cmt_progname, cmt_progname, cmt_progname, first->name,
		names + strlen(first->name), quotes, streams);
	for (i = 0; (s = cmt_source_at(i)); i++)
		if (cmt_source_has_key(s))
			printf("      --api-key KEY      %s key (default $%s)\n",
				s->title, s->key_env);
	for (i = 0; (s = cmt_source_at(i)); i++)
		if (cmt_source_has_pro(s))
			printf("      --pro              the key is a %s Pro "
				"key\n", s->title);
	printf(
"  -H, --history          backfill instead of polling\n"
"      --from TIME        history start (inclusive)\n"
"      --to TIME          history end (exclusive; default now)\n"
"      --resume FILE      continue after the last tick of each symbol in FILE\n"
"      --format F         history as ndjson ticks (default) or ohlcv: the\n"
"                         candle CSV cmt-replay reads back\n"
"      --pace DUR         history: pause between requests\n"
"                         (default");
	for (i = 0; (s = cmt_source_at(i)); i++)
		if (s->pace_ms > 0)
			printf(" %gs %s,", (double)s->pace_ms / 1000, s->name);
	printf(" 0 the others)\n"
"      --timeout DUR      per request (default 10s)\n"
"      --backoff DUR      first retry delay (default 1s), doubling\n"
"      --backoff-max DUR  longest retry delay (default 60s)\n"
"      --retry-max N      give up after N failures in a row (default 0: never)\n"
"      --seed N           seed for the backoff jitter\n"
"      --quiet            no history progress on stderr\n"
"      --summary-json FILE  at exit, write the run's counts to FILE as\n"
"                         one JSON object\n"
"  -h, --help             this help\n"
"      --version          version\n");
	exit(cmt_finish(CMT_EXIT_OK));
}

/* --stream writes through a bounded queue drained by its own thread, so
 * the socket is read whatever the reader does; a full queue drops ticks,
 * said on stderr when it starts and ends, and counted. */
struct out {
	struct cmt_outq *q;
	long long dropped, dropping, ticks;
	int failed, quiet;
	int have_warm;
	struct cmt_warmup_result warm;
	int ohlcv;              /* --format ohlcv: candle CSV rows */
};

static void
emit(void *ctx, const struct cmt_tick *tk)
{
	struct out *o = ctx;
	char line[CMT_TICK_LINE_MAX > CMT_CANDLE_CSV_MAX ? CMT_TICK_LINE_MAX :
		CMT_CANDLE_CSV_MAX];
	int n, r;

	o->ticks++;
	if (o->ohlcv) {
		if ((n = cmt_candle_csv_row(tk, 60000, line)) < 0)
			cmt_die(CMT_EXIT_FAIL, "%s: a history point that is not "
				"a bar cannot be a candle", tk->sym);
		cmt_out(line, (size_t)n);
		return;
	}
	n = cmt_tick_format_json(tk, line);
	if (!o->q) {
		cmt_out(line, (size_t)n);
		return;
	}
	r = cmt_outq_push(o->q, line, (size_t)n);
	if (r < 0) {
		o->failed = 1;
		cmt_stop = 1;
	} else if (r > 0) {
		if (!o->dropping)
			cmt_warn("output blocked: %zu bytes wait for the reader; "
				"dropping ticks until it catches up",
				cmt_outq_backlog(o->q));
		o->dropping++;
		o->dropped++;
	} else if (o->dropping) {
		cmt_warn("output flowing again; %lld ticks dropped",
			o->dropping);
		o->dropping = 0;
	}
}

static void
warn(void *ctx, const char *msg)
{
	(void)ctx;
	cmt_warn("%s", msg);
}

static void
progress(void *ctx, const char *msg, int final)
{
	static time_t last;
	time_t now = time(NULL);

	(void)ctx;
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r%s: %s\033[K", cmt_progname, msg);
	} else if (final || now - last >= 2) {
		last = now;
		cmt_warn("%s", msg);
	}
}

/* The one line on how the warm start went. */
static void
warmed(void *ctx, const struct cmt_warmup_result *r)
{
	struct out *o = ctx;
	char line[3 * CMT_ERRLEN];

	o->warm = *r;
	o->have_warm = 1;
	if (cmt_warmup_describe(r, o->quiet, line, sizeof line))
		cmt_warn("%s", line);
}

/* --summary-json: the run's counts as one JSON object. */
static void
summary_json(const char *path, const char *mode, const struct out *o,
	struct cmt_stream_stats *st, const struct cmt_ingest *in)
{
	static char buf[16 * CMT_ERRLEN];
	FILE *f;
	int n;

	if (!path)
		return;
	if (st)
		st->output_dropped = o->dropped;
	n = cmt_fetch_summary_json(buf, sizeof buf, mode, o->ticks -
		o->dropped, in, st, o->have_warm ? &o->warm : NULL);
	if (!(f = fopen(path, "w")))
		cmt_die(CMT_EXIT_FAIL, "--summary-json: %s:", path);
	if (n < 0 || fwrite(buf, 1, (size_t)n, f) != (size_t)n ||
	    fclose(f) != 0)
		cmt_die(CMT_EXIT_FAIL, "--summary-json: %s:", path);
}

/* The trades the ingest rules skipped, for the summary; "" if none. */
static const char *
ahead_note(const struct cmt_stream_stats *st, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (st->ahead || st->before)
		snprintf(buf, cap, ", %lld ahead of the clock skipped, %lld "
			"before the warm start's boundary", st->ahead,
			st->before);
	return buf;
}

enum { O_ONCE = 256, O_ALL, O_BASE, O_KEY, O_PRO, O_FROM, O_TO, O_RESUME,
	O_PACE, O_TIMEOUT, O_BACKOFF, O_BACKOFF_MAX, O_RETRY, O_SEED, O_QUIET,
	O_IDMAP, O_WARMUP, O_STREAM, O_WS_URL, O_WS_PING, O_OUTBUF, O_VERSION,
	O_AHEAD, O_WARMUP_TIMEOUT, O_FILL_TIMEOUT, O_SUMMARY, O_FORMAT };

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "source", 1, 0, 's' }, { "symbols", 1, 0, 'S' },
		{ "quote", 1, 0, 'q' }, { "id-map", 1, 0, O_IDMAP },
		{ "interval", 1, 0, 'i' }, { "count", 1, 0, 'n' },
		{ "once", 0, 0, O_ONCE }, { "duration", 1, 0, 'd' },
		{ "all", 0, 0, O_ALL }, { "base-url", 1, 0, O_BASE },
		{ "max-ahead", 1, 0, O_AHEAD },
		{ "api-key", 1, 0, O_KEY }, { "pro", 0, 0, O_PRO },
		{ "history", 0, 0, 'H' }, { "from", 1, 0, O_FROM },
		{ "to", 1, 0, O_TO }, { "resume", 1, 0, O_RESUME },
		{ "format", 1, 0, O_FORMAT },
		{ "pace", 1, 0, O_PACE }, { "timeout", 1, 0, O_TIMEOUT },
		{ "backoff", 1, 0, O_BACKOFF },
		{ "backoff-max", 1, 0, O_BACKOFF_MAX },
		{ "retry-max", 1, 0, O_RETRY }, { "seed", 1, 0, O_SEED },
		{ "quiet", 0, 0, O_QUIET }, { "stream", 0, 0, O_STREAM },
		{ "warmup", 1, 0, 'w' },
		{ "warmup-timeout", 1, 0, O_WARMUP_TIMEOUT },
		{ "fill-timeout", 1, 0, O_FILL_TIMEOUT },
		{ "summary-json", 1, 0, O_SUMMARY },
		{ "ws-url", 1, 0, O_WS_URL }, { "ws-ping", 1, 0, O_WS_PING },
		{ "out-buffer", 1, 0, O_OUTBUF }, { "help", 0, 0, 'h' },
		{ "version", 0, 0, O_VERSION }, { 0, 0, 0, 0 }
	};
	static struct cmt_fetch_sym syms[CMT_FETCH_MAX_SYMS];
	static struct cmt_fetch_idmap map[CMT_FETCH_MAX_SYMS];
	struct cmt_fetch_cfg c = { 0 };
	char list[256];
	struct cmt_stream_opts so = { 0 };
	struct cmt_stream_stats st;
	struct out out = { 0 };
	long long outbuf = 8 << 20;
	int stream = 0, werr, have_warmup = 0, have_interval = 0;
	int have_wtimeout = 0, have_ftimeout = 0;
	int64_t warmup = 2 * 3600 * 1000LL;
	size_t unwritten;
	const char *symbols = NULL, *quote = NULL, *key = NULL, *resume = NULL;
	const char *summary = NULL;
	const char *headers[2] = { NULL, NULL };
	char err[CMT_ERRLEN], hdr[256];
	int opt, nmap = 0, history = 0, live_opt = 0, pro = 0, quiet = 0;
	int key_opt = 0, have_from = 0, have_to = 0, have_pace = 0, have_seed = 0;
	int have_format = 0;
	long bad;
	enum cmt_err e;

	cmt_cli_init(argv[0]);
	c.src = cmt_source_at(0);
	c.interval_ms = 5000;
	c.backoff.base_ms = 1000;
	c.backoff.max_ms = 60000;
	c.http.timeout_ms = 10000;
	c.warmup_bound_ms = CMT_WARMUP_BOUND_MS;
	c.fill_bound_ms = CMT_GAPFILL_BOUND_MS;
	so.ping_ms = 30000;
	while ((opt = getopt_long(argc, argv, OPTSTRING, opts, NULL))
	    != -1) {
		switch (opt) {
		case 's':
			if (cmt_source_parse(optarg, &c.src, err))
				cmt_usage_error("--source: %s", err);
			break;
		case 'S': symbols = optarg; break;
		case 'q': quote = optarg; break;
		case O_IDMAP:
			if (nmap == CMT_FETCH_MAX_SYMS)
				cmt_usage_error("too many --id-map options");
			if (cmt_fetch_idmap_parse(optarg, &map[nmap++], err))
				cmt_usage_error("%s", err);
			break;
		case 'i': c.interval_ms = cmt_opt_duration("--interval", optarg);
			have_interval = 1;
			live_opt = 1; break;
		case 'n': c.count = cmt_opt_int("--count", optarg, 1, 1LL << 53);
			live_opt = 1; break;
		case O_ONCE: c.count = 1; live_opt = 1; break;
		case 'd': c.duration_ms = cmt_opt_duration("--duration", optarg);
			live_opt = 1; break;
		case O_ALL: c.all = 1; live_opt = 1; break;
		case O_AHEAD: c.max_ahead_ms = cmt_opt_duration("--max-ahead", optarg);
			if (c.max_ahead_ms <= 0)
				cmt_usage_error("--max-ahead must be > 0");
			live_opt = 1; break;
		case O_BASE: c.base_url = optarg; break;
		case O_KEY: key = optarg; key_opt = 1; break;
		case O_PRO: pro = 1; break;
		case 'H': history = 1; break;
		case O_FROM:
			if (cmt_parse_time_ms(optarg, &c.from_ms, err))
				cmt_usage_error("--from: %s", err);
			have_from = 1;
			break;
		case O_TO:
			if (cmt_parse_time_ms(optarg, &c.to_ms, err))
				cmt_usage_error("--to: %s", err);
			have_to = 1;
			break;
		case O_RESUME: resume = optarg; break;
		case O_FORMAT:
			if (strcmp(optarg, "ohlcv") != 0 &&
			    strcmp(optarg, "ndjson") != 0)
				cmt_usage_error("--format: '%s' is not ndjson or "
					"ohlcv", optarg);
			out.ohlcv = strcmp(optarg, "ohlcv") == 0;
			have_format = 1;
			break;
		case O_PACE: c.pace_ms = cmt_opt_duration("--pace", optarg);
			have_pace = 1; break;
		case O_TIMEOUT: c.http.timeout_ms = cmt_opt_duration("--timeout", optarg);
			break;
		case O_BACKOFF: c.backoff.base_ms = cmt_opt_duration("--backoff", optarg);
			break;
		case O_BACKOFF_MAX:
			c.backoff.max_ms = cmt_opt_duration("--backoff-max", optarg);
			break;
		case O_RETRY:
			c.retry_max = (long)cmt_opt_int("--retry-max", optarg, 0,
				1000000000);
			break;
		case O_SEED: c.rng = (uint64_t)cmt_opt_int("--seed", optarg, 0,
			1LL << 62); have_seed = 1; break;
		case O_QUIET: quiet = 1; break;
		case O_STREAM: stream = 1; break;
		case 'w': warmup = cmt_opt_duration("--warmup", optarg);
			have_warmup = 1; break;
		case O_WARMUP_TIMEOUT:
			c.warmup_bound_ms = cmt_opt_duration("--warmup-timeout",
				optarg);
			have_wtimeout = 1; break;
		case O_FILL_TIMEOUT:
			c.fill_bound_ms = cmt_opt_duration("--fill-timeout",
				optarg);
			have_ftimeout = 1; break;
		case O_SUMMARY: summary = optarg; break;
		case O_WS_URL: so.ws_url = optarg; break;
		case O_WS_PING: so.ping_ms = cmt_opt_duration("--ws-ping", optarg);
			break;
		case O_OUTBUF: outbuf = cmt_opt_int("--out-buffer", optarg, 4096,
			1LL << 32); break;
		case 'h': usage();
		case O_VERSION: cmt_print_version();
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if (optind < argc)
		cmt_usage_error("unexpected argument '%s'", argv[optind]);
	if (!symbols)
		cmt_usage_error("--symbols is required (e.g. --symbols btc,eth)");
	if (c.interval_ms <= 0 || c.http.timeout_ms <= 0 ||
	    c.backoff.base_ms <= 0 || c.backoff.max_ms < c.backoff.base_ms)
		cmt_usage_error("--interval, --timeout and --backoff must be > 0 "
			"and --backoff-max >= --backoff");
	if (history && live_opt)
		cmt_usage_error("--interval, --count, --once, --duration, "
			"--all and --max-ahead apply to live mode, not --history");
	if (!history && (have_from || have_to || resume || have_pace ||
	    have_format))
		cmt_usage_error("--from, --to, --resume, --pace and --format need "
			"--history");
	if (history && (have_warmup || have_wtimeout))
		cmt_usage_error("--warmup and --warmup-timeout apply to live "
			"mode, not --history");
	if (have_ftimeout && !stream)
		cmt_usage_error("--fill-timeout needs --stream");
	if (c.warmup_bound_ms < 100 || c.fill_bound_ms < 100)
		cmt_usage_error("--warmup-timeout and --fill-timeout must be at "
			"least 100ms");
	if (out.ohlcv && !c.src->history_bars)
		cmt_usage_error("--format ohlcv: %s history is points, not "
			"bars (use a venue with candles, or ndjson)",
			c.src->title);
	if (warmup > 30LL * 86400000)
		cmt_usage_error("--warmup is at most 30d");
	if (history && !have_from)
		cmt_usage_error("--history needs --from");
	if (stream && (history || c.all || have_interval))
		cmt_usage_error("--stream takes no --history, --all or "
			"--interval");
	if (stream && !cmt_source_has_stream(c.src))
		cmt_usage_error("--stream needs --source %s (%s has no trade "
			"stream)", cmt_source_list(list, sizeof list,
			cmt_source_has_stream, ", ", " or "), c.src->title);
	if (!stream && so.ws_url)
		cmt_usage_error("--ws-url needs --stream");
	if (so.ws_url && cmt_stream_check_url(so.ws_url))
		cmt_usage_error("--ws-url: '%s' is not ws:// or wss://",
			so.ws_url);
	if (so.ping_ms < 1000 || so.ping_ms > 3600000)
		cmt_usage_error("--ws-ping must be 1s to 1h");
	if (key_opt && !cmt_source_has_key(c.src))
		cmt_usage_error("--api-key applies to --source %s only",
			cmt_source_list(list, sizeof list, cmt_source_has_key,
			", ", " or "));
	if (!key_opt && c.src->key_env)
		key = getenv(c.src->key_env);

	if (cmt_fetch_map_symbols(c.src, symbols, quote, map, nmap, syms,
	    CMT_FETCH_MAX_SYMS, &c.nsym, err))
		cmt_usage_error("--symbols: %s", err);
	c.syms = syms;
	if (!c.base_url)
		c.base_url = cmt_source_rest_url(c.src, pro);
	if (cmt_fetch_check_base_url(c.base_url, err))
		cmt_usage_error("--base-url: %s", err);
	if (key && *key && cmt_source_has_key(c.src)) {
		snprintf(hdr, sizeof hdr, "%s: %s", pro && c.src->pro_key_header
			? c.src->pro_key_header : c.src->key_header, key);
		headers[0] = hdr;
	}
	c.headers = headers;
	if (!have_seed)
		c.rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	c.stop = &cmt_stop;
	c.emit = emit;
	c.warn = warn;
	c.idle = cmt_idle_flush;
	c.ctx = &out;
	c.progress = quiet ? NULL : progress;
	out.quiet = quiet;
	if (!history) {
		c.warmup_ms = warmup;
		c.warmed = warmed;
	}

	if (history) {
		if (!have_to)
			c.to_ms = (int64_t)time(NULL) * 1000;
		if (c.to_ms <= c.from_ms)
			cmt_usage_error("--to must be after --from");
		if (!have_pace)
			c.pace_ms = c.src->pace_ms;
		if (resume) {
			if ((e = cmt_fetch_resume_scan(resume, syms, c.nsym, &bad,
			    err)))
				cmt_die(e == CMT_EFORMAT ? CMT_EXIT_USAGE :
					CMT_EXIT_FAIL, "--resume: %s", err);
			if (bad)
				cmt_warn("--resume: %s: %ld lines are not ticks; "
					"ignored", resume, bad);
		}
		/* the rows continue the --resume file: no second header */
		if (out.ohlcv && !resume) {
			cmt_candle_csv_header(list);
			cmt_out(list, strlen(list));
		}
		e = cmt_fetch_history(&c, err);
		if (c.progress && isatty(STDERR_FILENO))
			fputc('\n', stderr);
		summary_json(summary, "history", &out, NULL, &c.in);
	} else if (stream) {
		so.count = c.count;
		cmt_flush();
		if (!(out.q = cmt_outq_new(STDOUT_FILENO, (size_t)outbuf,
		    &cmt_stop)))
			cmt_die(CMT_EXIT_FAIL, "cannot start the output thread");
		e = cmt_stream_run(&c, &so, &st, err);
		werr = cmt_outq_close(out.q, &unwritten);
		out.q = NULL;
		if (werr == EPIPE) {    /* the reader left: quiet, as Unix tools */
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		if (werr == ETIMEDOUT)
			cmt_die(CMT_EXIT_FAIL, "write error: stopped with %zu bytes "
				"of output the reader did not take in %ds", unwritten,
				CMT_OUTQ_STALL_MS / 1000);
		if (werr)
			cmt_die(CMT_EXIT_FAIL, "write error: %s", strerror(werr));
		if (out.dropped)
			cmt_warn("%lld ticks dropped while the output was "
				"blocked", out.dropped);
		if (!quiet || st.missing || st.gaps)
			cmt_warn("stream: %lld trades (%lld from REST), %lld "
				"duplicates dropped, %lld bad messages, %lld "
				"reconnects, %lld missing%s%s", st.trades, st.filled,
				st.dups, st.bad, st.reconnects, st.missing,
				ahead_note(&st, list, sizeof list), st.gaps ?
				"; gaps not filled, see above" : "");
		summary_json(summary, "stream", &out, &st, &c.in);
	} else {
		e = cmt_fetch_live(&c, err);
		summary_json(summary, "poll", &out, NULL, &c.in);
	}
	if (e)
		cmt_die(cmt_finish(CMT_EXIT_FAIL), "%s", err);
	return cmt_finish(CMT_EXIT_OK);
}
