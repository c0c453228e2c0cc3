/* cmt-replay: write recorded ticks (or candles, as bar ticks) to stdout,
 * merged by time and paced by their timestamps. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmt_candle.h"
#include "cmt_parse.h"
#include "cmt_replay.h"

#define OPTSTRING "s:f:t:w:o:S:b:h"  /* getopt's, for cmt_bad_option too */

static void
usage(void)
{
	printf("Usage: %s [OPTION]... [FILE]...\n"
"Write recorded ticks (NDJSON or CSV) or candles (OHLCV CSV, Binance\n"
"dumps, freqtrade JSON), plain or gzip, to stdout as NDJSON ticks,\n"
"merged by time and paced by their timestamps; what overlapping\n"
"recordings give twice is written once.  With no FILE, or when FILE\n"
"is -, read standard input.\n\n"
"  -s, --speed X|max  X times real time (default 1); max: no pacing\n"
"  -f, --from T       skip ticks before T (2024-03-01, ISO 8601, epoch)\n"
"  -t, --to T         stop at ticks at or after T\n"
"  -w, --warmup D     write the first D of ticks without pacing\n"
"                     (to warm up indicators downstream)\n"
"  -o, --output FILE  write to FILE (whole lines only) not stdout\n"
"  -S, --symbol SYM   the symbol of candle files that do not name it\n"
"                     (BTC-USDT, BTC/USDT or BTCUSDT)\n"
"  -b, --bar D        the bar length of candle files without a close\n"
"                     time (default: their commonest spacing)\n"
"  -h, --help         show this help and exit\n"
"      --version      show the version and exit\n",
		cmt_progname);
	exit(cmt_finish(CMT_EXIT_OK));
}

static double
parse_speed(const char *s)
{
	char err[CMT_ERRLEN];
	double x;

	if (strcmp(s, "max") == 0)
		return 0;
	if (cmt_parse_double(s, 1e-6, 1e9, &x, err))
		cmt_usage_error("--speed: %s (a factor such as 10, or max)",
			err);
	return x;
}

static int64_t
parse_time(const char *opt, const char *s)
{
	char err[CMT_ERRLEN];
	int64_t ms;

	if (cmt_parse_time_ms(s, &ms, err))
		cmt_usage_error("%s: %s", opt, err);
	return ms;
}

/* One line on exit when anything was left out, each count once. */
static void
summary(unsigned long long emitted, unsigned long long bad,
	const struct cmt_replay_stats *rs)
{
	char buf[512];
	int n = 0;

	if (bad)
		n += snprintf(buf + n, sizeof buf - (size_t)n, ", %llu bad lines "
			"skipped", bad);
	if (rs->warm_covered)
		n += snprintf(buf + n, sizeof buf - (size_t)n, ", %llu warm-start "
			"ticks dropped (live ticks of an overlapping recording "
			"cover them)", (unsigned long long)rs->warm_covered);
	if (rs->copies)
		snprintf(buf + n, sizeof buf - (size_t)n, ", %llu copies of "
			"another file's lines dropped",
			(unsigned long long)rs->copies);
	if (bad || rs->warm_covered || rs->copies)
		cmt_warn("%llu ticks written%s", emitted, buf);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "speed", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "symbol", required_argument, NULL, 'S' },
		{ "bar", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static char *stdin_only[] = { "-" };
	struct cmt_replay_pacer pacer;
	struct cmt_replay_opts ro = { .from = INT64_MIN, .to = INT64_MAX };
	struct cmt_replay_stats rs;
	struct cmt_replay_rec rec;
	struct cmt_replay *r;
	char err[CMT_ERRLEN];
	int64_t warmup = 0;
	unsigned long long emitted = 0, bad = 0;
	double speed = 1;
	int c, i, status = CMT_EXIT_OK;
	enum cmt_err e;

	cmt_cli_init(argv[0]);
	/* Block-buffered even on a terminal: stdout is flushed before every
	 * wait (pacing or input), so each tick still leaves when it is due,
	 * and --speed max is not one write per line. */
	cmt_block_buffered();
	while ((c = getopt_long(argc, argv, OPTSTRING, opts, NULL)) != -1) {
		switch (c) {
		case 's': speed = parse_speed(optarg); break;
		case 'f': ro.from = parse_time("--from", optarg); break;
		case 't': ro.to = parse_time("--to", optarg); break;
		case 'S':
			if (cmt_candle_symbol(optarg, strlen(optarg),
			    ro.candle.sym, err))
				cmt_usage_error("--symbol: %s", err);
			break;
		case 'b':
			if (cmt_parse_duration_ms(optarg, &ro.candle.bar_ms, err))
				cmt_usage_error("--bar: %s", err);
			if (ro.candle.bar_ms <= 0)
				cmt_usage_error("--bar: must be > 0");
			break;
		case 'w':
			if (cmt_parse_duration_ms(optarg, &warmup, err))
				cmt_usage_error("--warmup: %s", err);
			break;
		case 'o': cmt_output(optarg); break;
		case 'h': usage(); break;
		case 'V': cmt_print_version(); break;
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if (ro.from >= ro.to)
		cmt_usage_error("--from must be before --to");
	for (i = optind; i < argc; i++)
		cmt_output_not_input(argv[i]);
	if (optind == argc)
		e = cmt_replay_open(&r, stdin_only, 1, &ro, err);
	else
		e = cmt_replay_open(&r, argv + optind, argc - optind, &ro, err);
	if (e)
		cmt_die(e == CMT_EFORMAT ? CMT_EXIT_USAGE : CMT_EXIT_FAIL, "%s",
			err);
	cmt_replay_on_idle(r, cmt_idle_flush, NULL);
	cmt_replay_pacer_init(&pacer, speed, warmup);
	while (!cmt_stop) {
		e = cmt_replay_next(r, &rec, err);
		if (e == CMT_ESKIP)
			break;
		if (e == CMT_EIO && errno == EINTR)
			continue;
		if (e == CMT_EFORMAT) {
			cmt_bad_line(rec.file, (unsigned long long)rec.lineno,
				"%s", err);
			cmt_replay_close(r);
			exit(cmt_finish(CMT_EXIT_USAGE));
		}
		if (e) {
			if (e == CMT_EIO) {
				cmt_warn("%s: %s", rec.file, err);
				status = CMT_EXIT_FAIL;
			} else {
				cmt_bad_line(rec.file,
					(unsigned long long)rec.lineno, "%s", err);
				bad++;
			}
			continue;
		}
		if (cmt_replay_delay(&pacer, rec.t) > 0) {
			cmt_flush();
			while (cmt_replay_wait(&pacer, rec.t) < 0 && !cmt_stop)
				;
			if (cmt_stop)
				break;
		}
		cmt_out(rec.line, rec.len);
		cmt_out("\n", 1);
		emitted++;
	}
	cmt_replay_stats(r, &rs);
	cmt_replay_close(r);
	summary(emitted, bad, &rs);
	return cmt_finish(status);
}
