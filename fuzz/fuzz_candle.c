/* Fuzz target: the input layer and candle files, as cmt-replay reads
 * them.  The bytes (after byte 0) are a file read through the line reader
 * (so gzip data goes through lib/instream.c), judged by the first-line rule
 * (lib/sniff.c, every set of wanted kinds) and, when it looks like candles,
 * read by lib/candle.c (CSV, numbers, the JSON array of lib/jrows.c).
 * Byte 0 picks the options: --symbol or not, --bar or not, and which file
 * name the symbol may come from.  Every tick must keep the tick contract,
 * each symbol's ticks must come in increasing time, and every error must
 * say why. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cmt_candle.h"
#include "cmt_line.h"
#include "cmt_sniff.h"
#include "fuzz.h"

#define MAX_SYMS 8

static void
check_tick(const struct cmt_tick *tk)
{
	size_t n = strnlen(tk->sym, CMT_SYM_MAX);

	FUZZ_CHECK(tk->t >= 0 && tk->t < (int64_t)1 << 53);
	FUZZ_CHECK(isfinite(tk->px) && tk->px > 0);
	FUZZ_CHECK(tk->has_bar && tk->l > 0 && tk->l <= tk->o &&
		tk->l <= tk->px && tk->h >= tk->o && tk->h >= tk->px);
	FUZZ_CHECK(!tk->has_vol || (isfinite(tk->vol) && tk->vol >= 0));
	FUZZ_CHECK(n > 0 && n < CMT_SYM_MAX && strchr(tk->sym, '-'));
	FUZZ_CHECK(strnlen(tk->src, CMT_SRC_MAX) < CMT_SRC_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "-", "BTC_USDT-1m.json",
		"ETHUSDT-1m-2024-01.csv", "candles.csv" };
	struct cmt_candle_opts o = { .sym = "" };
	struct cmt_linereader *lr;
	struct cmt_candles *c;
	struct cmt_tick tk;
	struct { char sym[CMT_SYM_MAX]; int64_t t; } last[MAX_SYMS];
	char err[CMT_ERRLEN], msg[CMT_ERRLEN];
	const char *head;
	size_t len;
	uint64_t no;
	enum cmt_err e;
	unsigned want;
	int fd[2], nlast = 0, i, steps = 0;

	if (size < 1 || size > 60000 || pipe(fd) != 0)
		return 0;
	if (data[0] & 1)
		strcpy(o.sym, "BTC-USDT");
	if (data[0] & 2)
		o.bar_ms = 60000;
	if (size > 1 && write(fd[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(fd[1]);
	if (!(lr = cmt_line_open(fd[0], 0)))
		abort();
	if (cmt_line_peek(lr, &head, &len) > 0) {
		/* the rule every tool applies to a first line */
		for (want = 0; want < 1u << CMT_KIND_N; want += 7) {
			msg[0] = '\0';
			if (cmt_sniff_check(head, len, want, paths[data[0] >> 6],
			    msg) != CMT_OK)
				FUZZ_CHECK(msg[0] && strnlen(msg, CMT_ERRLEN) <
					CMT_ERRLEN);
		}
		if (cmt_candle_looks(head, len)) {
			c = NULL;
			e = cmt_candles_open(&c, lr, paths[(data[0] >> 2) & 3],
				&o, err);
			if (e)
				FUZZ_CHECK(e == CMT_EFORMAT || e == CMT_EIO ||
					e == CMT_ENOMEM);
			while (!e && steps++ < 100000) {
				err[0] = '\0';
				e = cmt_candles_next(c, &tk, &no, err);
				if (e == CMT_ESKIP || e == CMT_EFORMAT ||
				    (e == CMT_EIO && errno != EINTR))
					break;
				if (e) {
					FUZZ_CHECK(err[0] != '\0');
					e = CMT_OK;
					continue;
				}
				check_tick(&tk);
				for (i = 0; i < nlast; i++)
					if (strcmp(last[i].sym, tk.sym) == 0)
						break;
				if (i < nlast)
					FUZZ_CHECK(tk.t > last[i].t);
				else if (nlast < MAX_SYMS)
					memcpy(last[nlast++].sym, tk.sym,
						CMT_SYM_MAX);
				if (i < MAX_SYMS)
					last[i].t = tk.t;
			}
			cmt_candles_close(c);
		}
	}
	cmt_line_close(lr);
	close(fd[0]);
	return 0;
}
