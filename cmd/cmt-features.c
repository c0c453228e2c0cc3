/* cmt-features: ticks in, feature vectors out. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmt_features.h"
#include "cmt_line.h"
#include "cmt_model.h"
#include "cmt_parse.h"

#define OPTSTRING "s:w:f:m:g:l:p:o:qh"  /* getopt's, for cmt_bad_option too */

enum { BAD_SYNTAX, BAD_FIELD, BAD_LONG, BAD_ORDER, BAD_LIMIT, BAD_KINDS };
static const char *bad_name[] = { "malformed", "invalid field", "too long",
	"out of order", "over symbol limit" };

struct run {
	const char *name;       /* input name for messages; NULL for stdin */
	uint64_t lines, ticks, bad[BAD_KINDS];
};

_Noreturn static void
usage(void)
{
	printf("usage: %s [options] [FILE...]\n"
	"Read ticks (NDJSON or CSV) from FILEs or stdin; write one feature vector\n"
	"per symbol per grid step.\n\n"
	"  -s, --step D           grid step (1s)\n"
	"  -w, --windows LIST     4 log-return windows (5s,15s,30s,60s)\n"
	"      --vol-windows LIST 2 realised-volatility windows (30s,60s)\n"
	"      --rsi N            RSI period (14)\n"
	"      --macd F,S,G       MACD periods (12,26,9)\n"
	"      --bb N,K           Bollinger period and width in sd (20,2)\n"
	"      --mom N            momentum lag in steps (10)\n"
	"      --vol-trend S,L    volume EMA periods in steps (5,20)\n"
	"extension parts (features after the base 11; see cmt-features(1)):\n"
	"      --range-vol LIST   Parkinson and Garman-Klass volatility windows\n"
	"      --bar              the step's candle: body, wicks, close location\n"
	"      --vol-z D          volume z-score window\n"
	"      --zret D           the base returns scaled by the volatility of D\n"
	"      --high-low LIST    distance to the rolling high and low\n"
	"      --long LIST        long return and volatility windows\n"
	"      --calendar         time of day and day of week (UTC)\n"
	"      --wide             every part not given otherwise, as\n"
	"                         " CMT_FS_WIDE "\n"
	"  -f, --feature-set ID   take all of the above from a feature-set id\n"
	"  -m, --model FILE       take them from a model file (\"default\": the\n"
	"                         shipped model)\n"
	"  -g, --max-gap D        longest silence forward-filled (10 steps, at\n"
	"                         least 5m); longer resets the symbol\n"
	"      --max-jump D       skip a tick more than D after its symbol's\n"
	"                         previous one unless the next confirms it, or\n"
	"                         a first tick D ahead of the clock (1d; 0 off)\n"
	"  -l, --label H          add y: 1 if the price H later is higher, 0 if\n"
	"                         lower, null if equal (output delayed by H)\n"
	"      --emit-warmup      also emit vectors during warm-up, flagged\n"
	"  -p, --partial EVERY    also emit provisional vectors for the step in\n"
	"                         progress, \"partial\":true, at most every EVERY\n"
	"                         of tick time per symbol (0: on every tick)\n"
	"      --csv              write CSV (header + rows) instead of NDJSON\n"
	"      --max-symbols N    distinct symbols tracked at most (1024)\n"
	"      --max-memory SIZE  refuse options whose worst case (max-symbols\n"
	"                         x bytes per symbol) exceeds SIZE (512MiB)\n"
	"  -o, --output FILE      write to FILE (whole lines only) not stdout\n"
	"  -q, --quiet            no warm-up notice, no summary line on exit\n"
	"  -h, --help             this text\n"
	"      --version          print the version\n", cmt_progname);
	exit(cmt_finish(CMT_EXIT_OK));
}

static void
emit(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	cmt_out(line, len);
}

static void
notice(void *ctx, const char *msg)
{
	(void)ctx;
	cmt_warn("%s", msg);
}

static int
bad_kind(enum cmt_err e)
{
	switch (e) {
	case CMT_ESYNTAX: return BAD_SYNTAX;
	case CMT_ETOOLONG: return BAD_LONG;
	case CMT_EORDER: return BAD_ORDER;
	case CMT_ELIMIT: return BAD_LIMIT;
	default: return BAD_FIELD;
	}
}

static void
bad_line(struct run *r, uint64_t no, enum cmt_err e, const char *why)
{
	r->bad[bad_kind(e)]++;
	cmt_bad_line(r->name, (unsigned long long)no, "%s", why);
}

/* Feed one input to the engine; returns -1 on a read error. */
static int
feed(struct cmt_features *fe, struct cmt_linereader *lr, struct run *r)
{
	struct cmt_tick_decoder dec;
	struct cmt_line ln;
	struct cmt_tick tk;
	enum cmt_err e;
	char err[CMT_ERRLEN];
	int rc;

	cmt_tick_decoder_init(&dec, CMT_TICK_AUTO);
	while (!cmt_stop) {
		if ((rc = cmt_input_next(lr, &ln, r->name)) == 0)
			break;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		r->lines++;
		if (ln.too_long) {
			bad_line(r, ln.no, CMT_ETOOLONG, "line longer than 64 KiB");
			continue;
		}
		if (ln.has_nul) {
			bad_line(r, ln.no, CMT_ESYNTAX, "NUL byte in line");
			continue;
		}
		e = cmt_tick_decode(&dec, ln.s, ln.len, &tk, err);
		if (e == CMT_ESKIP)
			continue;
		if (e == CMT_OK)
			e = cmt_features_push(fe, &tk, err);
		if (e) {
			bad_line(r, ln.no, e, err);
			continue;
		}
		r->ticks++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "step", required_argument, NULL, 's' },
		{ "windows", required_argument, NULL, 'w' },
		{ "vol-windows", required_argument, NULL, 'v' },
		{ "rsi", required_argument, NULL, 'R' },
		{ "macd", required_argument, NULL, 'M' },
		{ "bb", required_argument, NULL, 'B' },
		{ "mom", required_argument, NULL, 'O' },
		{ "vol-trend", required_argument, NULL, 'T' },
		{ "range-vol", required_argument, NULL, 'E' },
		{ "bar", no_argument, NULL, 'E' },
		{ "vol-z", required_argument, NULL, 'E' },
		{ "zret", required_argument, NULL, 'E' },
		{ "high-low", required_argument, NULL, 'E' },
		{ "long", required_argument, NULL, 'E' },
		{ "calendar", no_argument, NULL, 'E' },
		{ "wide", no_argument, NULL, 'D' },
		{ "feature-set", required_argument, NULL, 'f' },
		{ "model", required_argument, NULL, 'm' },
		{ "max-gap", required_argument, NULL, 'g' },
		{ "max-jump", required_argument, NULL, 'J' },
		{ "label", required_argument, NULL, 'l' },
		{ "emit-warmup", no_argument, NULL, 'W' },
		{ "partial", required_argument, NULL, 'p' },
		{ "csv", no_argument, NULL, 'C' },
		{ "max-symbols", required_argument, NULL, 'S' },
		{ "max-memory", required_argument, NULL, 'X' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmt_features_options o;
	struct cmt_feature_set *fs = &o.fs, mfs;
	struct cmt_features_stats st;
	struct cmt_features *fe;
	struct cmt_linereader *lr;
	struct run r;
	char err[CMT_ERRLEN], hdr[1024], model_fs[CMT_MODEL_FS_MAX];
	const char *fs_id = NULL, *model = NULL;
	long long ll;
	int c, n, quiet = 0, status = CMT_EXIT_OK, i, fd, any_bad = 0, idx = 0;
	int wide = 0, next = 0;
	struct { const char *name, *arg; } ext[16];  /* extension options */

	cmt_cli_init(argv[0]);
	memset(&o, 0, sizeof o);
	cmt_fs_defaults(fs);
	o.max_gap_ms = -1;
	o.max_symbols = 1024;
	o.max_jump_ms = 86400000;
	o.max_memory = (int64_t)512 << 20;
	while ((c = getopt_long(argc, argv, OPTSTRING, longopts,
	    &idx)) != -1) {
		if (c == 's' || c == 'w')   /* short forms: find the long name */
			for (idx = 0; longopts[idx].val != c; idx++)
				;
		switch (c) {
		case 's': case 'w': case 'v': case 'R': case 'M': case 'B':
		case 'O': case 'T':
			if (cmt_fs_option(fs, longopts[idx].name, optarg, err))
				cmt_usage_error("--%s: %s", longopts[idx].name, err);
			break;
		case 'E':   /* applied after --feature-set or --model */
			if (next == (int)(sizeof ext / sizeof ext[0]))
				cmt_usage_error("too many extension options");
			ext[next].name = longopts[idx].name;
			ext[next++].arg = optarg;
			break;
		case 'D': wide = 1; break;
		case 'f': fs_id = optarg; break;
		case 'm': model = optarg; break;
		case 'g':
			if (cmt_parse_duration_ms(optarg, &o.max_gap_ms, err))
				cmt_usage_error("--max-gap: %s", err);
			break;
		case 'J':
			if (cmt_parse_duration_ms(optarg, &o.max_jump_ms, err))
				cmt_usage_error("--max-jump: %s", err);
			break;
		case 'l':
			if (cmt_parse_duration_ms(optarg, &o.label_ms, err))
				cmt_usage_error("--label: %s", err);
			if (o.label_ms <= 0)
				cmt_usage_error("--label: must be > 0");
			break;
		case 'W': o.emit_warmup = 1; break;
		case 'p':
			if (cmt_parse_duration_ms(optarg, &o.partial_every_ms, err) ||
			    o.partial_every_ms < 0)
				cmt_usage_error("--partial: %s", o.partial_every_ms < 0 ?
					"must be >= 0" : err);
			o.partial = 1;
			break;
		case 'C': o.csv = 1; break;
		case 'S':
			if (cmt_parse_int(optarg, 1, 1000000, &ll, err))
				cmt_usage_error("--max-symbols: %s", err);
			o.max_symbols = (int)ll;
			break;
		case 'X':
			if (cmt_parse_size(optarg, &o.max_memory, err))
				cmt_usage_error("--max-memory: %s", err);
			break;
		case 'q': quiet = 1; break;
		case 'o': cmt_output(optarg); break;
		case 'h': usage();
		case 'V': cmt_print_version();
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	for (i = optind; i < argc; i++)
		cmt_output_not_input(argv[i]);
	if (fs_id && model)
		cmt_usage_error("--feature-set and --model are exclusive");

	if (model) {
		if (cmt_model_feature_set(model, model_fs, sizeof model_fs, err))
			cmt_die(CMT_EXIT_FAIL, "--model %s: %s", model, err);
		fs_id = model_fs;
	}
	if (fs_id && cmt_fs_parse_id(fs_id, fs, err))
		cmt_usage_error("--feature-set: %s", err);
	/* the extension on top of the set, e.g. a model's set widened; a
	 * model's vectors must keep every feature it reads */
	mfs = *fs;
	for (i = 0; i < next; i++) {
		if (cmt_fs_option(fs, ext[i].name, ext[i].arg, err))
			cmt_usage_error("--%s: %s", ext[i].name, err);
		if (model && !cmt_fs_contains(fs, &mfs))
			cmt_usage_error("--%s%s%s: model %s reads the set '%s', "
				"and this option changes a part of it, so its "
				"vectors would lack features it reads (with "
				"--model, options may only add parts)", ext[i].name,
				ext[i].arg ? " " : "", ext[i].arg ? ext[i].arg : "",
				model, model_fs);
	}
	if (wide && cmt_fs_option(fs, "wide", NULL, err))
		cmt_usage_error("--wide: %s", err);
	if (cmt_fs_check(fs, err))
		cmt_usage_error("%s", err);
	o.warmup_notice = !quiet;
	if (o.max_gap_ms < 0)
		o.max_gap_ms = fs->step_ms * 10 > 300000 ? fs->step_ms * 10 : 300000;
	if (!(fe = cmt_features_new(&o, emit, notice, NULL, err)))
		cmt_usage_error("%s", err);
	if (o.csv)
		cmt_out(hdr, cmt_features_csv_header(fe, hdr, sizeof hdr));

	memset(&r, 0, sizeof r);
	for (i = optind; i < argc || i == optind; i++) {
		r.name = i >= argc ? NULL : strcmp(argv[i], "-") == 0 ? "stdin"
			: argv[i];
		if (!(lr = cmt_input_open(i < argc ? argv[i] : NULL,
		    CMT_KIND_BIT(CMT_KIND_TICKS), &fd))) {
			status = CMT_EXIT_FAIL;
			continue;
		}
		if (feed(fe, lr, &r) < 0)
			status = CMT_EXIT_FAIL;
		cmt_input_close(lr, fd);
		if (cmt_stop || i >= argc)
			break;
	}
	cmt_features_finish(fe);
	cmt_features_stats(fe, &st);
	status = cmt_finish(status);
	if (!quiet) {
		char buf[512];
		int len = snprintf(buf, sizeof buf, "%llu lines, %llu ticks, "
			"%llu vectors, %d symbols", (unsigned long long)r.lines,
			(unsigned long long)r.ticks, (unsigned long long)st.vectors,
			st.symbols);
		for (n = 0; n < BAD_KINDS; n++)
			if (r.bad[n]) {
				len += snprintf(buf + len, sizeof buf - (size_t)len,
					", %llu %s", (unsigned long long)r.bad[n],
					bad_name[n]);
				any_bad = 1;
			}
		if (o.partial)
			len += snprintf(buf + len, sizeof buf - (size_t)len,
				", %llu partial vectors",
				(unsigned long long)st.partials);
		if (st.gap_resets)
			len += snprintf(buf + len, sizeof buf - (size_t)len,
				", %llu gap resets", (unsigned long long)st.gap_resets);
		if (st.unlabelled)
			snprintf(buf + len, sizeof buf - (size_t)len,
				", %llu vectors without a label dropped",
				(unsigned long long)st.unlabelled);
		cmt_warn("%s%s", buf, any_bad ? " (skipped lines reported above)" :
			"");
	}
	cmt_features_free(fe);
	return status;
}
