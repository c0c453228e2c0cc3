/* cmt-sim: write simulated ticks (GBM with GARCH volatility) as NDJSON. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmt_parse.h"
#include "cmt_sim.h"

#define OPTSTRING "s:n:d:e:h"  /* getopt's, for cmt_bad_option too */

_Noreturn static void
usage(void)
{
	printf("usage: %s [options]\n"
	"Write simulated ticks: log prices follow a random walk with GARCH(1,1)\n"
	"volatility; arrivals are Poisson.  Simulated data, not market data.\n\n"
	"  -s, --symbols LIST   symbols, comma-separated (BTC-USD,ETH-USD)\n"
	"  -n, --count N        stop after N ticks in total\n"
	"  -d, --duration D     stop after D of simulated time (1d)\n"
	"      --start T        first timestamp (2024-01-01)\n"
	"  -e, --every D        mean time between ticks of a symbol (1s)\n"
	"      --regular        ticks exactly every D instead of Poisson\n"
	"      --vol X          long-run annualised volatility (0.6)\n"
	"      --seed N         random seed (1)\n"
	"  -h, --help           this text\n"
	"      --version        print the version\n", cmt_progname);
	exit(cmt_finish(CMT_EXIT_OK));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "symbols", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "start", required_argument, NULL, 'S' },
		{ "every", required_argument, NULL, 'e' },
		{ "regular", no_argument, NULL, 'r' },
		{ "vol", required_argument, NULL, 'v' },
		{ "seed", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cmt_sim sim;
	struct cmt_sim_options o;
	struct cmt_tick tk;
	char err[CMT_ERRLEN], line[CMT_TICK_LINE_MAX], *syms, *sym, *save;
	const char *symbols = "BTC-USD,ETH-USD";
	long long count = -1, seed;
	int64_t duration = 86400000, end;
	int c;

	cmt_cli_init(argv[0]);
	cmt_sim_defaults(&o);
	while ((c = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		switch (c) {
		case 's': symbols = optarg; break;
		case 'n':
			if (cmt_parse_int(optarg, 0, (1LL << 53), &count, err))
				cmt_usage_error("--count: %s", err);
			duration = -1;
			break;
		case 'd':
			if (cmt_parse_duration_ms(optarg, &duration, err))
				cmt_usage_error("--duration: %s", err);
			break;
		case 'S':
			if (cmt_parse_time_ms(optarg, &o.start_ms, err))
				cmt_usage_error("--start: %s", err);
			break;
		case 'e':
			if (cmt_parse_duration_ms(optarg, &o.every_ms, err) ||
			    o.every_ms <= 0)
				cmt_usage_error("--every: %s", o.every_ms <= 0 ?
					"must be at least 1ms" : err);
			break;
		case 'r': o.regular = 1; break;
		case 'v':
			if (cmt_parse_double(optarg, 0.001, 10, &o.annual_vol, err))
				cmt_usage_error("--vol: %s", err);
			break;
		case 'z':
			if (cmt_parse_int(optarg, 0, 0x7fffffffffffffffLL, &seed, err))
				cmt_usage_error("--seed: %s", err);
			o.seed = (uint64_t)seed;
			break;
		case 'h': usage();
		case 'V': cmt_print_version();
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if (optind < argc)
		cmt_usage_error("unexpected argument '%s'", argv[optind]);
	cmt_sim_init(&sim, &o);
	if (!(syms = strdup(symbols)))
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	for (sym = strtok_r(syms, ",", &save); sym;
	    sym = strtok_r(NULL, ",", &save))
		if (cmt_sim_add(&sim, sym, 0, err))
			cmt_usage_error("--symbols: %s", err);
	free(syms);
	if (sim.n == 0)
		cmt_usage_error("--symbols: no symbols");
	end = duration >= 0 ? o.start_ms + duration : INT64_MAX;
	while (!cmt_stop && count != 0) {
		cmt_sim_next(&sim, &tk);
		if (tk.t > end)
			break;
		cmt_out(line, (size_t)cmt_tick_format_json(&tk, line));
		if (count > 0)
			count--;
	}
	return cmt_finish(CMT_EXIT_OK);
}
