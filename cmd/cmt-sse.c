/* cmt-sse: serve stdin lines as Server-Sent Events, with a dashboard page,
 * /metrics and /healthz.  The work is in lib/serve/. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmt_parse.h"
#include "cmt_sse.h"

#define OPTSTRING "p:b:h"  /* getopt's, for cmt_bad_option too */

/* The dashboard, web/index.html, and the charting library it loads,
 * web/vendor/lightweight-charts.js (make web-vendor), are linked into the
 * binary as they are: the page needs no network. */
#define EMBED(name, file) __asm__(".section .rodata\n.balign 16\n" \
	#name ":\n.incbin \"" file "\"\n" #name "_end:\n.byte 0\n" \
	".previous\n")
EMBED(cmt_sse_page, "web/index.html");
EMBED(cmt_sse_lwc, "web/vendor/lightweight-charts.js");
EMBED(cmt_sse_lwc_license, "web/vendor/lightweight-charts.LICENSE");
extern const char cmt_sse_page[], cmt_sse_page_end[];
extern const char cmt_sse_lwc[], cmt_sse_lwc_end[];
extern const char cmt_sse_lwc_license[], cmt_sse_lwc_license_end[];

static void
usage(void)
{
	printf("Usage: %s [OPTION]...\n"
"Read lines from stdin and send each to every client of GET /events as one\n"
"Server-Sent Event; GET / is a live dashboard, /metrics and /healthz.\n"
"\n"
"  -p, --port N              TCP port (default 8080; 0: any free port)\n"
"  -b, --bind ADDR           address to listen on (default 127.0.0.1)\n"
"      --backlog N           events kept for Last-Event-ID (default 1024)\n"
"      --client-buffer SIZE  bytes a client may lag before it is dropped\n"
"                            (default 1MiB; suffixes KiB, MiB)\n"
"      --max-clients N       open connections; more get 503 (default 4096)\n"
"      --heartbeat DUR       keep-alive comment to idle streams (default 15s)\n"
"      --retry DUR           reconnection delay hint (default 3s)\n"
"      --request-timeout DUR time to send a request head (default 10s)\n"
"      --cors ORIGIN         send Access-Control-Allow-Origin: ORIGIN\n"
"      --event-field F       event type from the JSON string member F\n"
"      --exit-on-eof         at end of input, finish streams and exit\n"
"      --first-id N          id of the first event (default: start time in\n"
"                            s x 1000000, so ids never repeat on restart)\n"
"  -h, --help                show this help and exit\n"
"      --version             show the version and exit\n",
		cmt_progname);
}

static int64_t
duration_arg(const char *name, const char *s, int64_t min)
{
	char opt[64];
	int64_t ms;

	snprintf(opt, sizeof opt, "--%s", name);
	ms = cmt_opt_duration(opt, s);
	if (ms < min)
		cmt_usage_error("--%s: must be at least %lldms", name,
			(long long)min);
	return ms;
}

/* Bytes with an optional binary suffix: 65536, 64KiB, 1MiB (K, M too). */
static size_t
size_arg(const char *name, const char *s)
{
	char err[CMT_ERRLEN];
	int64_t v;

	if (cmt_parse_size(s, &v, err))
		cmt_usage_error("--%s: %s", name, err);
	return (size_t)v;
}

static void
on_skip(void *ctx, uint64_t lineno, const char *reason)
{
	(void)ctx;
	cmt_bad_line(NULL, (unsigned long long)lineno, "%s", reason);
}

int
main(int argc, char **argv)
{
	enum { O_BACKLOG = 256, O_CLIENTBUF, O_MAXCLIENTS, O_HEARTBEAT,
		O_RETRY, O_TIMEOUT, O_CORS, O_EVENTFIELD, O_EXITEOF, O_FIRSTID,
		O_VERSION };
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "backlog", required_argument, NULL, O_BACKLOG },
		{ "client-buffer", required_argument, NULL, O_CLIENTBUF },
		{ "max-clients", required_argument, NULL, O_MAXCLIENTS },
		{ "heartbeat", required_argument, NULL, O_HEARTBEAT },
		{ "retry", required_argument, NULL, O_RETRY },
		{ "request-timeout", required_argument, NULL, O_TIMEOUT },
		{ "cors", required_argument, NULL, O_CORS },
		{ "event-field", required_argument, NULL, O_EVENTFIELD },
		{ "exit-on-eof", no_argument, NULL, O_EXITEOF },
		{ "first-id", required_argument, NULL, O_FIRSTID },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct cmt_sse_file files[] = {
		{ "/vendor/lightweight-charts.js",
		  "text/javascript; charset=utf-8", cmt_sse_lwc, 0 },
		{ "/vendor/lightweight-charts.LICENSE",
		  "text/plain; charset=utf-8", cmt_sse_lwc_license, 0 },
	};
	struct cmt_sse_opts o;
	struct cmt_sse_stats st;
	struct cmt_sse *srv;
	char err[CMT_ERRLEN];
	int c, status = CMT_EXIT_OK;

	cmt_cli_init(argv[0]);
	cmt_sse_defaults(&o);
	o.page = cmt_sse_page;
	o.page_len = (size_t)(cmt_sse_page_end - cmt_sse_page);
	files[0].len = (size_t)(cmt_sse_lwc_end - cmt_sse_lwc);
	files[1].len = (size_t)(cmt_sse_lwc_license_end - cmt_sse_lwc_license);
	o.files = files;
	o.nfiles = sizeof files / sizeof files[0];
	o.on_skip = on_skip;
	while ((c = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.port = (int)cmt_opt_int("--port", optarg, 0, 65535);
			break;
		case 'b': o.bind = optarg; break;
		case O_BACKLOG:
			o.backlog = (size_t)cmt_opt_int("--backlog", optarg, 1,
				10000000);
			break;
		case O_CLIENTBUF:
			o.client_buffer = size_arg("client-buffer", optarg);
			break;
		case O_MAXCLIENTS:
			o.max_clients = (int)cmt_opt_int("--max-clients", optarg, 1,
				1000000);
			break;
		case O_HEARTBEAT:
			o.heartbeat_ms = duration_arg("heartbeat", optarg, 10);
			break;
		case O_RETRY:
			o.retry_ms = duration_arg("retry", optarg, 0);
			break;
		case O_TIMEOUT:
			o.request_timeout_ms = duration_arg("request-timeout",
				optarg, 10);
			break;
		case O_CORS: o.cors = optarg; break;
		case O_EVENTFIELD: o.event_field = optarg; break;
		case O_EXITEOF: o.exit_on_eof = 1; break;
		case O_FIRSTID:
			o.first_id = (uint64_t)cmt_opt_int("--first-id", optarg, 1,
				1LL << 52);
			break;
		case 'h': usage(); return cmt_finish(CMT_EXIT_OK);
		case O_VERSION: cmt_print_version();
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if (optind < argc)
		cmt_usage_error("unexpected argument '%s'", argv[optind]);
	if (cmt_closed_fds & 1)
		cmt_usage_error("stdin is closed: cmt-sse serves the lines of "
			"its stdin (e.g. cmt-predict | cmt-sse)");
	if (o.cors && (!*o.cors || strlen(o.cors) > CMT_SSE_MAX_ORIGIN ||
	    strpbrk(o.cors, "\r\n")))
		cmt_usage_error("--cors: origin must be 1 to %d bytes",
			CMT_SSE_MAX_ORIGIN);
	if (o.event_field && !*o.event_field)
		cmt_usage_error("--event-field: empty field name");
	if (cmt_sse_open(&srv, &o, err))
		cmt_die(CMT_EXIT_FAIL, "%s", err);
	cmt_warn("listening on http://%s%s%s:%d/", strchr(o.bind, ':') ? "[" :
		"", o.bind, strchr(o.bind, ':') ? "]" : "", cmt_sse_port(srv));
	if (cmt_sse_run(srv, &cmt_stop, err)) {
		cmt_warn("%s", err);
		status = CMT_EXIT_FAIL;
	}
	cmt_sse_stats(srv, &st);
	if (st.cut_streams)
		cmt_warn("%llu stream%s closed with %llu events not delivered "
			"within the %lld ms drain (a client not reading)",
			(unsigned long long)st.cut_streams, st.cut_streams == 1 ?
			"" : "s", (unsigned long long)st.cut_events,
			(long long)o.drain_ms);
	if (st.lines_skipped)
		cmt_warn("%llu line%s skipped", (unsigned long long)
			st.lines_skipped, st.lines_skipped == 1 ? "" : "s");
	cmt_sse_close(srv);
	return cmt_finish(status);
}
