/* cmt-backtest: score labelled predictions offline, or rolling with
 * --follow. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cmt_backtest.h"
#include "cmt_clock.h"
#include "cmt_follow.h"
#include "cmt_fvec.h"
#include "cmt_line.h"
#include "cmt_parse.h"

#define OPTSTRING "jT:F:p:fe:w:PH:t:v:h"  /* getopt's, for cmt_bad_option too */

/* --vs: the other stream, read in step with the input */
struct other {
	const char *path;
	int fd, eof;
	struct cmt_linereader *lr;
	struct cmt_fvec_decoder dec;
	int64_t last_t;              /* of its last vector */
};

struct run {
	struct cmt_bt *bt;           /* batch mode */
	struct cmt_follow *fol;      /* --follow */
	struct cmt_bt_vs *vs;        /* --vs */
	struct other other;
	unsigned long long bad;
	FILE *trades;                /* --trades */
	const char *trades_path;
};

static void
usage(void)
{
	printf("Usage: %s [OPTION]... [FILE]...\n"
"Score prediction lines (feature vectors with \"y\" and \"p_up\")\n"
"per symbol and overall; with no FILE, or when FILE is -, read\n"
"standard input.\n\n"
"  -j, --json          one JSON object instead of the text report\n"
"  -T, --theta X[,X..] trading rule: long when p_up > X (default 0.5);\n"
"                      a list adds a sweep table, the rule at each X\n"
"                      (the report's rule is the first)\n"
"  -F, --fee-bps B     cost of each entry and exit in basis points\n"
"                      (default 10)\n"
"  -t, --trades FILE   write the rule's trades as CSV: symbol, entry and\n"
"                      exit time and price, gross and net return, steps\n"
"  -p, --plot FILE     write an SVG report plot: equity per symbol and\n"
"                      overall, net and gross, with buy and hold and the\n"
"                      baselines, calibration and reliability histogram\n"
"      --plot-png FILE the same plot as PNG (needs rsvg-convert,\n"
"                      Debian package librsvg2-bin)\n"
"  -f, --follow        rolling mode: one NDJSON metrics line per\n"
"                      interval of stream time\n"
"  -e, --every D       --follow interval (default 60s)\n"
"  -w, --window N      --follow: scored rows in the window (default 1000)\n"
"  -P, --pass          --follow: also copy each good input line to\n"
"                      stdout, between the metrics lines\n"
"      --max-jump D    skip a vector more than D after its symbol's\n"
"                      previous one unless the next confirms it, or a\n"
"                      first one D ahead of the clock (1d; 0 off)\n"
"  -H, --horizon H     --follow: score each unlabelled forecast when its\n"
"                      symbol's vector H later arrives (outcome lines)\n"
"  -v, --vs OTHER      compare with the predictions in OTHER on the same\n"
"                      rows (symbol and t): each side's scores, and the\n"
"                      input minus OTHER in AUC (paired DeLong interval\n"
"                      and p-value), log-loss, Brier score and accuracy\n"
"  -h, --help          show this help and exit\n"
"      --version       show the version and exit\n",
		cmt_progname);
	exit(cmt_finish(CMT_EXIT_OK));
}

/* --follow output.  The reader flushes it when it would wait for input
 * (cmt_idle_flush): a live stream gets each line when it is due, a file
 * or a backlog a buffer at a time. */
static void
out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	cmt_out(s, n);
}

static enum cmt_err
decode(struct cmt_fvec_decoder *dec, const struct cmt_line *ln,
	struct cmt_fvec *v, char *err)
{
	if (ln->too_long)
		return cmt_errf(err, CMT_ETOOLONG, "line longer than %d bytes",
			CMT_LINE_MAX_DEFAULT);
	return cmt_fvec_decode(dec, ln->s, ln->len, v, err);
}

/* A line's error: the tool's own ends it, the line's is reported. */
static void
line_error(struct run *r, enum cmt_err e, const char *path,
	const struct cmt_line *ln, const char *err)
{
	if (e == CMT_ENOMEM || e == CMT_EIO)   /* not the line's fault */
		cmt_die(CMT_EXIT_FAIL, "%s", err);
	if (e && e != CMT_ESKIP) {
		cmt_bad_line(path, (unsigned long long)ln->no, "%s", err);
		r->bad++;
	}
}

/* --vs: read the other stream until it is past t (to its end with
 * INT64_MAX), so the two stay in step and few vectors wait. */
static void
pull_other(struct run *r, int64_t t)
{
	struct other *o = &r->other;
	struct cmt_line ln;
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	enum cmt_err e;
	int rc;

	while (!o->eof && !cmt_stop && o->last_t <= t) {
		if ((rc = cmt_input_next(o->lr, &ln, o->path)) <= 0) {
			if (rc < 0 && errno == EINTR)
				continue;
			o->eof = 1;
			break;
		}
		if (!(e = decode(&o->dec, &ln, &v, err))) {
			o->last_t = v.t;
			e = cmt_bt_vs_add(r->vs, 1, &v, err);
		}
		line_error(r, e, o->path, &ln, err);
	}
}

static void
open_other(struct run *r, const char *path)
{
	struct other *o = &r->other;

	o->path = path;
	o->last_t = INT64_MIN;
	/* the input rule of every file read (gzip, another format refused) */
	if (!(o->lr = cmt_input_open(path, CMT_KIND_BIT(CMT_KIND_VECTORS) |
	    CMT_KIND_BIT(CMT_KIND_PREDICTIONS), &o->fd)))
		exit(cmt_finish(CMT_EXIT_FAIL));
	cmt_fvec_decoder_init(&o->dec, CMT_FVEC_AUTO);
}

/* 0 at end of input, -1 when stopped by a signal or a read error. */
static int
read_input(struct run *r, const char *path)
{
	struct cmt_fvec_decoder dec;
	struct cmt_linereader *lr;
	struct cmt_line ln;
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	int fd, rc;
	enum cmt_err e;

	if (!(lr = cmt_input_open(path, CMT_KIND_BIT(CMT_KIND_VECTORS) |
	    CMT_KIND_BIT(CMT_KIND_PREDICTIONS), &fd)))
		exit(cmt_finish(CMT_EXIT_FAIL));
	cmt_fvec_decoder_init(&dec, CMT_FVEC_AUTO);
	while (!cmt_stop && (rc = cmt_input_next(lr, &ln, path)) != 0) {
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((e = decode(&dec, &ln, &v, err))) {
			line_error(r, e, path, &ln, err);
			continue;
		}
		if (r->bt)
			e = cmt_bt_add(r->bt, &v, err);
		else if (r->vs)
			e = cmt_bt_vs_add(r->vs, 0, &v, err);
		else
			e = cmt_follow_add(r->fol, &v, ln.s, ln.len, cmt_clock_wall_ms(),
				err);
		line_error(r, e, path, &ln, err);
		if (r->vs)
			pull_other(r, v.t);
	}
	cmt_input_close(lr, fd);
	return cmt_stop ? -1 : 0;
}

/* SVG to PNG with rsvg-convert (librsvg2-bin): run without a shell, the
 * SVG on its stdin. */
static void
write_png(const char *path, const char *svg)
{
	char tmp[] = "/tmp/cmt-plot.XXXXXX";
	int fd = mkstemp(tmp), status;
	size_t len = strlen(svg), off = 0;
	ssize_t n;
	pid_t pid;

	if (fd < 0)
		cmt_die(CMT_EXIT_FAIL, "temporary file:");
	unlink(tmp);
	while (off < len && (n = write(fd, svg + off, len - off)) > 0)
		off += (size_t)n;
	if (off < len || lseek(fd, 0, SEEK_SET) < 0)
		cmt_die(CMT_EXIT_FAIL, "temporary file:");
	fflush(stdout);
	if ((pid = fork()) < 0)
		cmt_die(CMT_EXIT_FAIL, "fork:");
	if (pid == 0) {
		dup2(fd, 0);
		execlp("rsvg-convert", "rsvg-convert", "-f", "png", "-o", path,
			(char *)NULL);
		_exit(127);
	}
	close(fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			cmt_die(CMT_EXIT_FAIL, "waitpid:");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		cmt_die(CMT_EXIT_FAIL, "--plot-png: rsvg-convert not found "
			"(Debian package librsvg2-bin); --plot writes SVG");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		cmt_die(CMT_EXIT_FAIL, "--plot-png: rsvg-convert failed "
			"writing %s", path);
}

/* --theta: one threshold, or a list for the sweep. */
static void
parse_thetas(const char *arg, struct cmt_bt_opts *o)
{
	char buf[4096], *tok, *save = NULL, err[CMT_ERRLEN];
	double x;

	if (strlen(arg) >= sizeof buf)
		cmt_usage_error("--theta: list too long");
	strcpy(buf, arg);
	o->nsweep = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (cmt_parse_double(tok, 0, 1, &x, err))
			cmt_usage_error("--theta: '%s': %s", tok, err);
		if (o->nsweep == CMT_BT_MAX_SWEEP)
			cmt_usage_error("--theta: more than %d thresholds",
				CMT_BT_MAX_SWEEP);
		o->sweep[o->nsweep++] = x;
	}
	if (!o->nsweep || arg[strlen(arg) - 1] == ',' || *arg == ',' ||
	    strstr(arg, ",,"))
		cmt_usage_error("--theta: '%s': an empty threshold", arg);
	o->theta = o->sweep[0];
	if (o->nsweep == 1)
		o->nsweep = 0;     /* one threshold: no sweep */
}

/* --trades: each trade as it closes. */
static void
write_trade(void *ctx, const struct cmt_bt_trade *tr)
{
	struct run *r = ctx;
	char line[512];
	size_t n = cmt_bt_trade_csv(tr, line, sizeof line);

	if (fwrite(line, 1, n, r->trades) != n)
		cmt_die(CMT_EXIT_FAIL, "%s:", r->trades_path);
}

/* --vs: the paired comparison, and the end of the tool. */
static int
vs_report(struct run *r, int json, int nfiles, char **files)
{
	const char *name[2];
	char err[CMT_ERRLEN], many[64], *text;
	const struct cmt_bt_paired *res;

	if (cmt_bt_vs_finish(r->vs, err))
		cmt_die(CMT_EXIT_FAIL, "%s", err);
	res = cmt_bt_vs_result(r->vs);
	if (res->lines[0] + res->lines[1] == 0)
		cmt_die(CMT_EXIT_FAIL, "no vectors to compare");
	snprintf(many, sizeof many, "%d files", nfiles);
	name[0] = nfiles == 0 ? "standard input" : nfiles == 1 ?
		(strcmp(files[0], "-") ? files[0] : "standard input") : many;
	name[1] = strcmp(r->other.path, "-") ? r->other.path :
		"standard input";
	if (!res->n)
		cmt_warn("no row scored in both streams (%zu matched by symbol "
			"and t)", res->matched);
	text = json ? cmt_bt_vs_format_json(r->vs, name) :
		cmt_bt_vs_format_text(r->vs, name);
	if (!text)
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	cmt_out(text, strlen(text));
	free(text);
	cmt_input_close(r->other.lr, r->other.fd);
	cmt_bt_vs_free(r->vs);
	return cmt_finish(CMT_EXIT_OK);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) == EOF || fclose(f) != 0)
		cmt_die(CMT_EXIT_FAIL, "%s:", path);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "theta", required_argument, NULL, 'T' },
		{ "fee-bps", required_argument, NULL, 'F' },
		{ "plot", required_argument, NULL, 'p' },
		{ "plot-png", required_argument, NULL, 'G' },
		{ "follow", no_argument, NULL, 'f' },
		{ "every", required_argument, NULL, 'e' },
		{ "window", required_argument, NULL, 'w' },
		{ "pass", no_argument, NULL, 'P' },
		{ "horizon", required_argument, NULL, 'H' },
		{ "max-jump", required_argument, NULL, 'J' },
		{ "trades", required_argument, NULL, 't' },
		{ "vs", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmt_bt_opts o = { .theta = 0.5, .fee_bps = 10,
		.max_jump_ms = 86400000 };
	struct cmt_follow_opts fo = { .every_ms = 60000, .out = out };
	struct cmt_follow_stats fst;
	struct run r = { 0 };
	const char *plot = NULL, *png = NULL, *vs = NULL;
	char err[CMT_ERRLEN], *text;
	long long window = 1000;
	int c, i, json = 0, follow_mode = 0;

	cmt_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, OPTSTRING, opts,
	    NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'T': parse_thetas(optarg, &o); break;
		case 't': r.trades_path = optarg; break;
		case 'v': vs = optarg; break;
		case 'F':
			if (cmt_parse_double(optarg, 0, 10000, &o.fee_bps, err))
				cmt_usage_error("--fee-bps: %s", err);
			break;
		case 'p': plot = optarg; break;
		case 'G': png = optarg; break;
		case 'f': follow_mode = 1; break;
		case 'e':
			if (cmt_parse_duration_ms(optarg, &fo.every_ms, err) ||
			    fo.every_ms <= 0)
				cmt_usage_error("--every: %s", fo.every_ms <= 0 ?
					"must be > 0" : err);
			break;
		case 'w':
			if (cmt_parse_int(optarg, 2, 10000000, &window, err))
				cmt_usage_error("--window: %s", err);
			break;
		case 'P': fo.pass = 1; break;
		case 'H':
			if (cmt_parse_duration_ms(optarg, &fo.horizon_ms, err) ||
			    fo.horizon_ms <= 0)
				cmt_usage_error("--horizon: %s", fo.horizon_ms <=
					0 ? "must be > 0" : err);
			break;
		case 'J':
			if (cmt_parse_duration_ms(optarg, &o.max_jump_ms, err))
				cmt_usage_error("--max-jump: %s", err);
			break;
		case 'h': usage(); break;
		case 'V': cmt_print_version(); break;
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if ((fo.pass || fo.horizon_ms) && !follow_mode)
		cmt_usage_error("--%s goes with --follow", fo.pass ? "pass" :
			"horizon");
	if (follow_mode && (json || plot || png || r.trades_path ||
	    o.nsweep))
		cmt_usage_error("--follow writes NDJSON lines; --json, --plot, "
			"--trades and a --theta list are for the final report");
	if (vs && (follow_mode || plot || png || r.trades_path || o.nsweep))
		cmt_usage_error("--vs writes the paired comparison alone; not "
			"with --follow, --plot, --trades or a --theta list");
	for (i = optind; vs && strcmp(vs, "-") == 0 && i <= argc; i++)
		if (i == argc ? optind == argc : strcmp(argv[i], "-") == 0)
			cmt_usage_error("--vs -: the input is standard input "
				"too; name a file");
	o.plot = plot || png;
	if (r.trades_path) {
		if (!(r.trades = fopen(r.trades_path, "w")) ||
		    fputs(cmt_bt_trade_csv_header, r.trades) == EOF)
			cmt_die(CMT_EXIT_FAIL, "%s:", r.trades_path);
		o.on_trade = write_trade;
		o.trade_ctx = &r;
	}
	if (vs) {
		if (cmt_bt_vs_new(&r.vs, o.max_jump_ms))
			cmt_die(CMT_EXIT_FAIL, "out of memory");
		open_other(&r, vs);
	} else if (follow_mode) {
		fo.window = (size_t)window;
		fo.max_jump_ms = o.max_jump_ms;
		if (!(r.fol = cmt_follow_new(&fo)))
			cmt_die(CMT_EXIT_FAIL, "out of memory");
	} else if (cmt_bt_new(&r.bt, &o)) {
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	}
	if (optind == argc)
		read_input(&r, "-");
	for (i = optind; i < argc && read_input(&r, argv[i]) == 0; i++)
		;
	if (r.vs && !cmt_stop)
		pull_other(&r, INT64_MAX);
	if (r.bad)
		cmt_warn("%llu bad lines skipped", r.bad);
	if (r.vs)
		return vs_report(&r, json, argc - optind, argv + optind);
	if (follow_mode) {
		cmt_follow_finish(r.fol);
		cmt_follow_stats(r.fol, &fst);
		if (fo.horizon_ms && (fst.missed || fst.overflow))
			cmt_warn("%llu forecasts not scored: their symbol had no "
				"vector at t + horizon", (unsigned long long)
				(fst.missed + fst.overflow));
		if (fst.skipped[CMT_SYMTIME_REPEAT] ||
		    fst.skipped[CMT_SYMTIME_BEFORE] ||
		    fst.skipped[CMT_SYMTIME_JUMP])
			cmt_warn("%llu repeated vectors skipped, %llu out of "
				"order, %llu too far ahead (--max-jump)",
				(unsigned long long)fst.skipped[CMT_SYMTIME_REPEAT],
				(unsigned long long)fst.skipped[CMT_SYMTIME_BEFORE],
				(unsigned long long)fst.skipped[CMT_SYMTIME_JUMP]);
		if (fst.partial)
			cmt_warn("%llu partial vectors passed over (not scored)",
				(unsigned long long)fst.partial);
		cmt_follow_free(r.fol);
		return cmt_finish(CMT_EXIT_OK);
	}
	if (cmt_bt_finish(r.bt, err))
		cmt_die(CMT_EXIT_FAIL, "%s", err);
	if (r.trades && fclose(r.trades) != 0)
		cmt_die(CMT_EXIT_FAIL, "%s:", r.trades_path);
	if (cmt_bt_group(r.bt, cmt_bt_ngroups(r.bt) - 1)->lines == 0)
		cmt_die(CMT_EXIT_FAIL, "no vectors to score");
	text = json ? cmt_bt_format_json(r.bt) : cmt_bt_format_text(r.bt);
	if (!text)
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	cmt_out(text, strlen(text));
	free(text);
	if (plot || png) {
		if (!(text = cmt_bt_format_svg(r.bt)))
			cmt_die(CMT_EXIT_FAIL, "out of memory");
		if (plot)
			write_file(plot, text);
		if (png)
			write_png(png, text);
		free(text);
	}
	cmt_bt_free(r.bt);
	return cmt_finish(CMT_EXIT_OK);
}
