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

#define OPTSTRING "jT:F:p:fe:w:PH:h"  /* getopt's, for cmt_bad_option too */

struct run {
	struct cmt_bt *bt;           /* batch mode */
	struct cmt_follow *fol;      /* --follow */
	unsigned long long bad;
};

static void
usage(void)
{
	printf("Usage: %s [OPTION]... [FILE]...\n"
"Score prediction lines (feature vectors with \"y\" and \"p_up\")\n"
"per symbol and overall; with no FILE, or when FILE is -, read\n"
"standard input.\n\n"
"  -j, --json          one JSON object instead of the text report\n"
"  -T, --theta X       trading rule: long when p_up > X (default 0.5)\n"
"  -F, --fee-bps B     cost of each entry and exit in basis points\n"
"                      (default 10)\n"
"  -p, --plot FILE     write an SVG report plot: equity per symbol and\n"
"                      overall with buy and hold and the baselines,\n"
"                      calibration and reliability histogram\n"
"      --plot-png FILE the same plot as PNG (needs rsvg-convert,\n"
"                      Debian package librsvg2-bin)\n"
"  -f, --follow        rolling mode: one NDJSON metrics line per\n"
"                      interval of stream time\n"
"  -e, --every D       --follow interval (default 60s)\n"
"  -w, --window N      --follow: scored rows in the window (default 1000)\n"
"  -P, --pass          --follow: also copy each good input line to\n"
"                      stdout, between the metrics lines\n"
"  -h, --help          show this help and exit\n"
"      --version       show the version and exit\n",
		cmt_progname);
	exit(cmt_finish(CMT_EXIT_OK));
}

/* --follow output: a live stream (or a tee -a log) wants each metrics
 * line when it is due. */
static void
out(void *ctx, const char *s, size_t n, int flush)
{
	(void)ctx;
	if (n)
		cmt_out(s, n);
	if (flush && fflush(stdout) != 0)
		exit(cmt_finish(CMT_EXIT_FAIL));
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
		if (ln.too_long)
			e = cmt_errf(err, CMT_ETOOLONG, "line longer "
				"than %d bytes", CMT_LINE_MAX_DEFAULT);
		else
			e = cmt_fvec_decode(&dec, ln.s, ln.len, &v, err);
		if (e == CMT_OK && r->bt)
			e = cmt_bt_add(r->bt, &v, err);
		else if (e == CMT_OK)
			e = cmt_follow_add(r->fol, &v, ln.s, ln.len, cmt_clock_wall_ms(),
				err);
		if (e == CMT_ENOMEM || e == CMT_EIO)   /* not the line's fault */
			cmt_die(CMT_EXIT_FAIL, "%s", err);
		if (e && e != CMT_ESKIP) {
			cmt_bad_line(path, (unsigned long long)ln.no, "%s", err);
			r->bad++;
		}
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmt_bt_opts o = { .theta = 0.5, .fee_bps = 10 };
	struct cmt_follow_opts fo = { .every_ms = 60000, .out = out };
	struct cmt_follow_stats fst;
	struct run r = { 0 };
	const char *plot = NULL, *png = NULL;
	char err[CMT_ERRLEN], *text;
	long long window = 1000;
	int c, i, json = 0, follow_mode = 0;

	cmt_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, OPTSTRING, opts,
	    NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'T':
			if (cmt_parse_double(optarg, 0, 1, &o.theta, err))
				cmt_usage_error("--theta: %s", err);
			break;
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
		case 'h': usage(); break;
		case 'V': cmt_print_version(); break;
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if ((fo.pass || fo.horizon_ms) && !follow_mode)
		cmt_usage_error("--%s goes with --follow", fo.pass ? "pass" :
			"horizon");
	if (follow_mode && (json || plot || png))
		cmt_usage_error("--follow writes NDJSON lines; --json and "
			"--plot are for the final report");
	o.keep_rows = plot || png;   /* the plot draws every row */
	if (follow_mode) {
		fo.window = (size_t)window;
		if (!(r.fol = cmt_follow_new(&fo)))
			cmt_die(CMT_EXIT_FAIL, "out of memory");
	} else if (cmt_bt_new(&r.bt, &o)) {
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	}
	if (optind == argc)
		read_input(&r, "-");
	for (i = optind; i < argc && read_input(&r, argv[i]) == 0; i++)
		;
	if (r.bad)
		cmt_warn("%llu bad lines skipped", r.bad);
	if (follow_mode) {
		cmt_follow_finish(r.fol);
		cmt_follow_stats(r.fol, &fst);
		if (fo.horizon_ms && (fst.missed || fst.overflow))
			cmt_warn("%llu forecasts not scored: their symbol had no "
				"vector at t + horizon", (unsigned long long)
				(fst.missed + fst.overflow));
		if (fst.partial)
			cmt_warn("%llu partial vectors passed over (not scored)",
				(unsigned long long)fst.partial);
		cmt_follow_free(r.fol);
		return cmt_finish(CMT_EXIT_OK);
	}
	if (cmt_bt_finish(r.bt, err))
		cmt_die(CMT_EXIT_FAIL, "%s", err);
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
