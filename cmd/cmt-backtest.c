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
#include <unistd.h>

#include "cli.h"
#include "cmt_backtest.h"
#include "cmt_fvec.h"
#include "cmt_line.h"
#include "cmt_parse.h"

#define OPTSTRING "jT:F:p:fe:w:Ph"  /* getopt's, for cmt_bad_option too */

struct run {
	struct cmt_bt *bt;           /* batch mode */
	struct cmt_bt_roll *roll;    /* --follow */
	int64_t every, next_emit;
	int pending;                 /* rows added since the last line */
	int pass;                    /* --pass: copy input lines to stdout */
	char model[CMT_BT_MODEL_MAX];/* model of the last scored row */
	size_t model_len;
	int64_t last_t;
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
"  -p, --plot FILE     write an SVG equity curve and calibration plot\n"
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

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
emit(struct run *r, int64_t t)
{
	char buf[CMT_BT_ROLL_LINE];
	size_t n = cmt_bt_roll_format(r->roll, t, r->model, r->model_len, buf,
		sizeof buf);

	cmt_out(buf, n);
	/* a live stream (or a tee -a log) wants each line when it is due */
	if (fflush(stdout) != 0)
		exit(cmt_finish(CMT_EXIT_FAIL));
	r->pending = 0;
}

static void
follow(struct run *r, const struct cmt_fvec *v)
{
	if (r->next_emit == 0)
		r->next_emit = (v->t / r->every + 1) * r->every;
	if (v->t >= r->next_emit) {
		if (r->pending)
			emit(r, r->next_emit);
		r->next_emit = (v->t / r->every + 1) * r->every;
	}
	r->last_t = v->t;
	if (v->has_y && v->y >= 0 && v->has_p) {
		cmt_bt_roll_add(r->roll, v->p_up, v->y, now_ms() - v->t);
		r->pending = 1;
		/* a longer name is not named in the metrics lines */
		r->model_len = v->model.len <= CMT_BT_MODEL_MAX ?
			v->model.len : 0;
		memcpy(r->model, v->model.s, r->model_len);
	}
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
	int fd = 0, rc;
	enum cmt_err e;

	if (strcmp(path, "-") != 0 && (fd = open(path, O_RDONLY)) < 0)
		cmt_die(CMT_EXIT_FAIL, "%s:", path);
	if (!(lr = cmt_line_open(fd, 0)))
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	cmt_fvec_decoder_init(&dec, CMT_FVEC_AUTO);
	while (!cmt_stop && (rc = cmt_line_next(lr, &ln)) != 0) {
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			cmt_warn("%s: read error:", path);
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
			follow(r, &v);
		if (e == CMT_OK && r->pass) {
			cmt_out(ln.s, ln.len);
			cmt_out("\n", 1);
		}
		if (e == CMT_ENOMEM)
			cmt_die(CMT_EXIT_FAIL, "out of memory");
		if (e && e != CMT_ESKIP) {
			cmt_bad_line(path, (unsigned long long)ln.no, "%s", err);
			r->bad++;
		}
	}
	cmt_line_close(lr);
	if (fd > 0)
		close(fd);
	return cmt_stop ? -1 : 0;
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
		{ "follow", no_argument, NULL, 'f' },
		{ "every", required_argument, NULL, 'e' },
		{ "window", required_argument, NULL, 'w' },
		{ "pass", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmt_bt_opts o = { .theta = 0.5, .fee_bps = 10 };
	struct run r = { .every = 60000 };
	const char *plot = NULL;
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
		case 'f': follow_mode = 1; break;
		case 'e':
			if (cmt_parse_duration_ms(optarg, &r.every, err) ||
			    r.every <= 0)
				cmt_usage_error("--every: %s", r.every <= 0 ?
					"must be > 0" : err);
			break;
		case 'w':
			if (cmt_parse_int(optarg, 2, 10000000, &window, err))
				cmt_usage_error("--window: %s", err);
			break;
		case 'P': r.pass = 1; break;
		case 'h': usage(); break;
		case 'V': cmt_print_version(); break;
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if (r.pass && !follow_mode)
		cmt_usage_error("--pass goes with --follow");
	if (follow_mode && (json || plot))
		cmt_usage_error("--follow writes NDJSON lines; --json and "
			"--plot are for the final report");
	if (follow_mode) {
		if (!(r.roll = cmt_bt_roll_new((size_t)window)))
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
		if (r.pending)
			emit(&r, r.last_t);
		cmt_bt_roll_free(r.roll);
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
	if (plot) {
		if (!(text = cmt_bt_format_svg(r.bt)))
			cmt_die(CMT_EXIT_FAIL, "out of memory");
		write_file(plot, text);
		free(text);
	}
	cmt_bt_free(r.bt);
	return cmt_finish(CMT_EXIT_OK);
}
