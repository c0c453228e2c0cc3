/* cmt-bus: bridge pipes and NATS JetStream (pub: stdin to a stream; sub:
 * a durable consumer to stdout).  All the work is in lib/bus.c. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmt_bus.h"
#include "cmt_line.h"
#include "cmt_parse.h"

/* Exit statuses beyond 0/1/2, one per failure a script may act on. */
enum { EXIT_UNREACHABLE = 3, EXIT_AUTH = 4, EXIT_NOSTREAM = 5 };

_Noreturn static void
usage(void)
{
	printf("usage: %s pub [options] < lines\n"
	"       %s sub --stream NAME [options] > lines\n"
	"Publish NDJSON lines to NATS JetStream, or write a stream's lines out.\n\n"
	"Connection:\n"
	"  -u, --url URLS         server(s), comma-separated (nats://127.0.0.1:4222)\n"
	"      --creds FILE       user credentials (JWT and NKey seed)\n"
	"      --user U --password P, --token T\n"
	"      --tls              require TLS; --tls-ca FILE, --tls-cert FILE,\n"
	"                         --tls-key FILE (client certificate)\n"
	"      --timeout D        connect and API timeout (5s)\n"
	"      --stop-wait D      on SIGINT/SIGTERM, how long the server may take\n"
	"                         to confirm what was sent (2s)\n"
	"pub:\n"
	"  -s, --subject T        subject template (cmt.ticks.{sym}); {field} is a\n"
	"                         line's field, {part} its symbol's partition\n"
	"      --partitions N     partition count for {part}\n"
	"      --id FIELDS        fields naming a line, for dedupe (sym,t)\n"
	"      --batch N          lines of one subject per message, while input\n"
	"                         keeps coming (128; 1: a message per line)\n"
	"      --window N         messages awaiting acknowledgement (4096)\n"
	"      --ack-wait D       resend a message unacknowledged this long (5s)\n"
	"      --retry-for D      give up when nothing is stored this long (60s)\n"
	"      --create-stream NAME  create the stream if missing, with\n"
	"      --replicas N (1) --max-age D (forever) --dupe-window D (2m)\n"
	"      --memory           memory storage (default: files)\n"
	"sub:\n"
	"      --stream NAME      the stream to read\n"
	"      --durable NAME     durable consumer: a restart continues after the\n"
	"                         last line acknowledged (default: ephemeral)\n"
	"      --filter SUBJECT   only these subjects ({part} with --partition)\n"
	"      --partition K/N    partition K (0..N-1) of N\n"
	"      --from TIME | --from-seq N | --new   where a new consumer starts\n"
	"                         (default: the beginning of the stream)\n"
	"      --pull N           messages per pull (256)\n"
	"  -n, --count N          stop after N lines\n"
	"  -e, --exit-at-end      stop when no line is left to read\n"
	"  -o, --output FILE      write to FILE (whole lines, fsync at exit)\n"
	"  -h, --help             this text\n"
	"      --version          print the version\n"
	"Exit: 0 ok, 1 failure, 2 usage, 3 server unreachable (also: stopped with\n"
	"lines not confirmed), 4 authentication refused, 5 stream missing.\n",
	cmt_progname, cmt_progname);
	exit(cmt_finish(CMT_EXIT_OK));
}

static void
log_line(void *ctx, const char *msg)
{
	char buf[320];
	int n;

	(void)ctx;
	n = snprintf(buf, sizeof buf, "%s: %s\n", cmt_progname, msg);
	if (n > (int)sizeof buf - 1)
		n = (int)sizeof buf - 1;
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

_Noreturn static void
bus_die(enum cmt_bus_status st, const char *err)
{
	static const int code[] = {
		[CMT_BUS_EFAIL] = CMT_EXIT_FAIL,
		[CMT_BUS_EUNREACHABLE] = EXIT_UNREACHABLE,
		[CMT_BUS_EAUTH] = EXIT_AUTH,
		[CMT_BUS_ENOSTREAM] = EXIT_NOSTREAM,
		[CMT_BUS_ESTOPPED] = EXIT_UNREACHABLE,
	};

	if (st == CMT_BUS_ELINE)
		cmt_usage_error("%s", err);
	if (err)        /* NULL: already said */
		cmt_warn("%s", err);
	exit(cmt_finish(code[st]));
}

/* sub's lines go out through cmt_out (stdout, or -o whole lines only);
 * cmt_flush before each acknowledgement.  A write interrupted by SIGTERM
 * goes on (cli.c), so the batch being written finishes. */
static int
out_write(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	cmt_out(s, n);
	return 0;
}

static int
out_flush(void *ctx)
{
	(void)ctx;
	cmt_flush();
	return 0;
}

static int
in(const int *set, int c)
{
	for (; *set; set++)
		if (*set == c)
			return 1;
	return 0;
}

/* pub's summary on stderr; after a failure or a stop the server did not
 * confirm, what was not stored, then exit. */
static void
pub_report(struct cmt_bus_pub *p, unsigned long long nbad,
	enum cmt_bus_status rc, const char *err)
{
	struct cmt_bus_pub_stats st;

	cmt_bus_pub_stats(p, &st);
	if (nbad || st.resent || st.reordered || st.unconfirmed)
		cmt_warn("%llu messages stored (%llu already there), %llu resent, "
			"%llu stored after a later one, %llu bad lines skipped",
			(unsigned long long)st.published,
			(unsigned long long)st.duplicates,
			(unsigned long long)st.resent,
			(unsigned long long)st.reordered, nbad);
	if (rc == CMT_BUS_OK)
		return;
	if (!st.unconfirmed)
		bus_die(rc, err);
	cmt_warn("%s: %llu lines read are not confirmed stored (the first is "
		"input line %llu); publish them again", err,
		(unsigned long long)st.unconfirmed,
		(unsigned long long)st.first_unconfirmed);
	bus_die(rc, NULL);
}

static int
run_pub(struct cmt_bus *b, const struct cmt_bus_pub_opts *po)
{
	char err[CMT_ERRLEN];
	struct cmt_bus_pub *p;
	struct cmt_linereader *lr;
	struct cmt_line ln;
	enum cmt_bus_status rc = CMT_BUS_OK;
	unsigned long long nbad = 0;
	int r;

	if ((rc = cmt_bus_pub_open(&p, b, po, err)) != CMT_BUS_OK)
		bus_die(rc, err);
	if (!(lr = cmt_line_open(STDIN_FILENO, 0)))
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	while (!cmt_stop && rc == CMT_BUS_OK) {
		if (cmt_line_pending(lr) == 0) {
			struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };

			/* nothing to read now: send the open batches; idle
			 * input: resend what failed meanwhile */
			if (poll(&pfd, 1, 0) == 0 &&
			    (rc = cmt_bus_pub_send(p, err)) != CMT_BUS_OK)
				break;
			r = poll(&pfd, 1, 200);
			if (r == 0 && (rc = cmt_bus_pub_poll(p, err)) != CMT_BUS_OK)
				break;
			if (r <= 0)
				continue;   /* a signal: the loop checks cmt_stop */
		}
		if ((r = cmt_line_next(lr, &ln)) == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			cmt_die(CMT_EXIT_FAIL, "read error:");
		}
		if (ln.too_long) {
			cmt_warn("line %llu: longer than %d bytes, skipped",
				(unsigned long long)ln.no, CMT_LINE_MAX_DEFAULT);
			nbad++;
			continue;
		}
		if (ln.len == 0)
			continue;
		rc = cmt_bus_pub_line(p, ln.s, ln.len, ln.no, err);
		if (rc == CMT_BUS_ELINE) {
			cmt_warn("line %llu: %s, skipped", (unsigned long long)ln.no,
				err);
			nbad++;
			rc = CMT_BUS_OK;
		}
	}
	/* end of input or a stop: everything read is stored before we exit
	 * 0; after a stop the server has --stop-wait to confirm it */
	if (rc == CMT_BUS_OK)
		rc = cmt_bus_pub_flush(p, err);
	pub_report(p, nbad, rc, err);
	cmt_line_close(lr);
	cmt_bus_pub_close(p);
	return CMT_EXIT_OK;
}

static int
run_sub(struct cmt_bus *b, struct cmt_bus_sub_opts *so)
{
	char err[CMT_ERRLEN];
	struct cmt_bus_sub *s;
	struct cmt_bus_sub_stats st;
	enum cmt_bus_status rc;

	so->write = out_write;
	so->flush = out_flush;
	so->ctx = NULL;
	if ((rc = cmt_bus_sub_open(&s, b, so, err)) != CMT_BUS_OK)
		bus_die(rc, err);
	rc = cmt_bus_sub_run(s, err);
	cmt_bus_sub_stats(s, &st);
	if (st.redelivered || st.resets)
		cmt_warn("%llu lines written, %llu redelivered copies dropped, "
			"%llu consumer repositionings", (unsigned long long)
			st.written, (unsigned long long)st.redelivered,
			(unsigned long long)st.resets);
	if (rc != CMT_BUS_OK && st.unconfirmed) {
		cmt_warn("%s: the acknowledgement of the last %llu lines written "
			"is not confirmed; a restart with --durable %s may write "
			"them again", err, (unsigned long long)st.unconfirmed,
			so->durable);
		bus_die(rc, NULL);
	}
	if (rc != CMT_BUS_OK)
		bus_die(rc, err);
	cmt_bus_sub_close(s);
	return CMT_EXIT_OK;
}

int
main(int argc, char **argv)
{
	enum {
		O_CREDS = 256, O_USER, O_PASS, O_TOKEN, O_TLS, O_CA, O_CERT,
		O_KEY, O_TIMEOUT, O_PARTS, O_ID, O_WINDOW, O_ACKWAIT, O_RETRY,
		O_CREATE, O_REPL, O_AGE, O_DUPE, O_MEM, O_STREAM, O_DURABLE,
		O_FILTER, O_PART, O_FROM, O_FROMSEQ, O_NEW, O_BATCH, O_PULL, O_VERSION,
		O_STOPWAIT
	};
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "creds", required_argument, NULL, O_CREDS },
		{ "user", required_argument, NULL, O_USER },
		{ "password", required_argument, NULL, O_PASS },
		{ "token", required_argument, NULL, O_TOKEN },
		{ "tls", no_argument, NULL, O_TLS },
		{ "tls-ca", required_argument, NULL, O_CA },
		{ "tls-cert", required_argument, NULL, O_CERT },
		{ "tls-key", required_argument, NULL, O_KEY },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "stop-wait", required_argument, NULL, O_STOPWAIT },
		{ "subject", required_argument, NULL, 's' },
		{ "partitions", required_argument, NULL, O_PARTS },
		{ "id", required_argument, NULL, O_ID },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "ack-wait", required_argument, NULL, O_ACKWAIT },
		{ "retry-for", required_argument, NULL, O_RETRY },
		{ "create-stream", required_argument, NULL, O_CREATE },
		{ "replicas", required_argument, NULL, O_REPL },
		{ "max-age", required_argument, NULL, O_AGE },
		{ "dupe-window", required_argument, NULL, O_DUPE },
		{ "memory", no_argument, NULL, O_MEM },
		{ "stream", required_argument, NULL, O_STREAM },
		{ "durable", required_argument, NULL, O_DURABLE },
		{ "filter", required_argument, NULL, O_FILTER },
		{ "partition", required_argument, NULL, O_PART },
		{ "from", required_argument, NULL, O_FROM },
		{ "from-seq", required_argument, NULL, O_FROMSEQ },
		{ "new", no_argument, NULL, O_NEW },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "pull", required_argument, NULL, O_PULL },
		{ "count", required_argument, NULL, 'n' },
		{ "exit-at-end", no_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	/* which subcommand each option belongs to: 'p', 's' or 0 (both) */
	static const int pubonly[] = { 's', O_PARTS, O_ID, O_WINDOW, O_BATCH,
		O_ACKWAIT, O_RETRY, O_CREATE, O_REPL, O_AGE, O_DUPE, O_MEM, 0 };
	static const int subonly[] = { O_STREAM, O_DURABLE, O_FILTER, O_PART,
		O_FROM, O_FROMSEQ, O_NEW, O_PULL, 'n', 'e', 'o', 0 };
	struct cmt_bus_opts bo;
	struct cmt_bus_pub_opts po;
	struct cmt_bus_sub_opts so;
	struct cmt_bus *b;
	enum cmt_bus_status rc;
	char err[CMT_ERRLEN], *slash;
	const char *cmd = NULL;
	int c, pub, nfrom = 0, status;

	cmt_cli_init(argv[0]);
	cmt_bus_defaults(&bo);
	cmt_bus_pub_defaults(&po);
	cmt_bus_sub_defaults(&so);
	so.stream = NULL;
	bo.log = log_line;
	bo.stop = &cmt_stop;
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
	}
	pub = cmd && !strcmp(cmd, "pub");
	while ((c = getopt_long(argc, argv, "u:s:n:eo:h", longopts, NULL)) != -1) {
		if (c == 'h')
			usage();
		if (c == O_VERSION)
			cmt_print_version();
		if (c == '?')
			cmt_usage_hint();
		if (cmd && in(pub ? subonly : pubonly, c))
			cmt_usage_error("option '%s' does not go with '%s'",
				argv[optind - 1], cmd);
		switch (c) {
		case 'u': bo.url = optarg; break;
		case O_CREDS: bo.creds = optarg; break;
		case O_USER: bo.user = optarg; break;
		case O_PASS: bo.password = optarg; break;
		case O_TOKEN: bo.token = optarg; break;
		case O_TLS: bo.tls = 1; break;
		case O_CA: bo.ca = optarg; break;
		case O_CERT: bo.cert = optarg; break;
		case O_KEY: bo.key = optarg; break;
		case O_TIMEOUT:
			if ((bo.timeout_ms = cmt_opt_duration("--timeout", optarg)) <= 0)
				cmt_usage_error("--timeout: must be more than 0");
			break;
		case O_STOPWAIT:
			bo.stop_wait_ms = cmt_opt_duration("--stop-wait", optarg);
			break;
		case 's': po.subject = optarg; break;
		case O_PARTS:
			po.partitions = (int)cmt_opt_int("--partitions", optarg, 1, 4096);
			break;
		case O_ID: po.id = optarg; break;
		case O_WINDOW:
			po.window = (int)cmt_opt_int("--window", optarg, 1, 1 << 20);
			break;
		case O_ACKWAIT:
			if ((po.ack_wait_ms = cmt_opt_duration("--ack-wait", optarg)) < 10)
				cmt_usage_error("--ack-wait: at least 10ms");
			break;
		case O_RETRY: po.retry_for_ms = cmt_opt_duration("--retry-for", optarg); break;
		case O_CREATE: po.create_stream = optarg; break;
		case O_REPL: po.replicas = (int)cmt_opt_int("--replicas", optarg, 1, 5); break;
		case O_AGE: po.max_age_ms = cmt_opt_duration("--max-age", optarg); break;
		case O_DUPE: po.dupe_window_ms = cmt_opt_duration("--dupe-window", optarg); break;
		case O_MEM: po.memory = 1; break;
		case O_STREAM: so.stream = optarg; break;
		case O_DURABLE: so.durable = optarg; break;
		case O_FILTER: so.filter = optarg; break;
		case O_PART:
			if (!(slash = strchr(optarg, '/')))
				cmt_usage_error("--partition: expected K/N, got '%s'",
					optarg);
			*slash = 0;
			so.part_n = (int)cmt_opt_int("--partition N", slash + 1, 1, 4096);
			so.part_k = (int)cmt_opt_int("--partition K", optarg, 0,
				so.part_n - 1);
			break;
		case O_FROM:
			if (cmt_parse_time_ms(optarg, &so.from_ms, err))
				cmt_usage_error("--from: %s", err);
			so.from = CMT_BUS_FROM_TIME;
			nfrom++;
			break;
		case O_FROMSEQ:
			so.from_seq = (uint64_t)cmt_opt_int("--from-seq", optarg, 1,
				(1LL << 62));
			so.from = CMT_BUS_FROM_SEQ;
			nfrom++;
			break;
		case O_NEW: so.from = CMT_BUS_FROM_NEW; nfrom++; break;
		case O_BATCH: po.batch = (int)cmt_opt_int("--batch", optarg, 1, 4096); break;
		case O_PULL: so.batch = (int)cmt_opt_int("--pull", optarg, 1, 65536); break;
		case 'n': so.count = cmt_opt_int("--count", optarg, 0, (1LL << 53)); break;
		case 'e': so.at_end = 1; break;
		case 'o': cmt_output(optarg); break;
		default: cmt_usage_hint();
		}
	}
	if (!cmd)
		cmt_usage_error("expected 'pub' or 'sub'");
	if (!pub && strcmp(cmd, "sub"))
		cmt_usage_error("unknown command '%s': expected 'pub' or 'sub'", cmd);
	if (optind < argc)
		cmt_usage_error("unexpected argument '%s'", argv[optind]);
	if (nfrom > 1)
		cmt_usage_error("--from, --from-seq and --new exclude each other");
	if (!pub && !so.stream)
		cmt_usage_error("sub needs --stream NAME");
	if (so.durable && strpbrk(so.durable, ".*> \t"))
		cmt_usage_error("--durable: '%s' may not contain '.', '*', '>' "
			"or spaces", so.durable);
	if ((bo.cert != NULL) != (bo.key != NULL))
		cmt_usage_error("--tls-cert and --tls-key go together");
	if (bo.password && !bo.user)
		cmt_usage_error("--password needs --user");
	if (pub && !po.create_stream && (po.replicas != 1 || po.max_age_ms))
		cmt_usage_error("--replicas and --max-age need --create-stream");
	if (pub && cmt_bus_template_check(po.subject, NULL, 0, err))
		cmt_usage_error("--subject: %s", err);
	if (pub && po.ack_wait_ms * 2 > po.dupe_window_ms)
		cmt_usage_error("--dupe-window must be at least twice --ack-wait");
	if ((rc = cmt_bus_connect(&b, &bo, err)) != CMT_BUS_OK)
		bus_die(rc, err);
	status = pub ? run_pub(b, &po) : run_sub(b, &so);
	cmt_bus_close(b);
	cmt_bus_shutdown();
	return cmt_finish(status);
}
