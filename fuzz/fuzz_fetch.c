/* Fuzz target: cmt-fetch's parsers of API response bodies, live and
 * history, for every venue of the table.  The first byte picks the venue
 * (its low 3 bits, modulo the number of venues) and the kind of response
 * (bit 3); the rest is the body.  Whatever a body says, a tick taken from
 * it must satisfy the tick contract (cmt_tick.h) and history ticks must
 * lie in the requested range, ascending. */
#include <math.h>
#include <string.h>

#include "cmt_fetch.h"
#include "fuzz.h"

#define FROM 1700000000000LL
#define TO   1700086400000LL

static void
check_tick(const struct cmt_tick *tk)
{
	FUZZ_CHECK(tk->t >= 0 && tk->t < (int64_t)1 << 53);
	FUZZ_CHECK(isfinite(tk->px) && tk->px > 0);
	FUZZ_CHECK(!tk->has_vol || (isfinite(tk->vol) && tk->vol >= 0));
	FUZZ_CHECK(strnlen(tk->sym, CMT_SYM_MAX) < CMT_SYM_MAX);
}

/* A live answer: the venue's price parser, or for a venue that polls
 * trades, its trades page summed by the ingest rules. */
static void
live(const struct cmt_source *src, const char *body, size_t len,
	struct cmt_fetch_sym *syms, int nsym)
{
	static struct cmt_trade page[CMT_FETCH_TRADE_PAGE];
	struct cmt_ingest in = { .src = src };
	struct cmt_fetch_obs obs[2];
	char err[CMT_ERRLEN], next[32];
	int i, n;
	enum cmt_err e;

	err[0] = '\0';
	if (src->live_trades) {
		e = cmt_ingest_fill(src, body, len, &syms[0], 0, page,
			CMT_FETCH_TRADE_PAGE, &n, next, err);
		if (e == CMT_OK) {
			cmt_ingest_trade_page(&in, &syms[0], page, n, TO, &obs[0]);
			if (obs[0].ok)
				check_tick(&obs[0].tk);
		}
	} else {
		e = cmt_ingest_live(src, body, len, syms, 0, src->batched
			? nsym : 1, FROM, obs, err);
		for (i = 0; e == CMT_OK && i < (src->batched ? nsym : 1); i++)
			if (obs[i].ok)
				check_tick(&obs[i].tk);
	}
	if (e != CMT_OK)
		FUZZ_CHECK(err[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmt_tick ticks[CMT_FETCH_PAGE_TICKS];
	const struct cmt_source *src;
	struct cmt_fetch_sym syms[2];
	char err[CMT_ERRLEN], *body;
	int64_t last_open;
	int n, i, nsym;

	if (size < 1)
		return 0;
	src = cmt_source_at((data[0] & 7) % cmt_source_count());
	memset(syms, 0, sizeof syms);
	if (cmt_fetch_map_symbols(src, "btc,eth", NULL, NULL, 0, syms, 2,
	    &nsym, err) != CMT_OK)
		abort();
	body = fuzz_strdup(data + 1, size - 1);
	if (!(data[0] & 8)) {
		live(src, body, size - 1, syms, nsym);
	} else {
		n = 0;
		if (cmt_ingest_history(src, body, size - 1, &syms[0], FROM, TO,
		    ticks, CMT_FETCH_PAGE_TICKS, &n, &last_open, err) ==
		    CMT_OK) {
			FUZZ_CHECK(n >= 0 && n <= CMT_FETCH_PAGE_TICKS);
			for (i = 0; i < n; i++) {
				check_tick(&ticks[i]);
				if (i > 0)
					FUZZ_CHECK(ticks[i].t >= ticks[i - 1].t);
			}
		}
	}
	free(body);
	return 0;
}
