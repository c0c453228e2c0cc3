/* Fuzz target: cmt-fetch's parsers of API response bodies, live and
 * history, for every source.  The first byte picks the source and the
 * kind of response; the rest is the body.  Whatever a body says, a tick
 * taken from it must satisfy the tick contract (cmt_tick.h) and history
 * ticks must lie in the requested range, ascending. */
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmt_tick ticks[CMT_FETCH_PAGE_TICKS];
	struct cmt_fetch_sym syms[2];
	struct cmt_fetch_obs obs[2];
	enum cmt_fetch_source src;
	char err[CMT_ERRLEN], *body;
	int64_t last_open;
	int n, i, nsym;

	if (size < 1)
		return 0;
	src = (enum cmt_fetch_source)(data[0] % 4);
	memset(syms, 0, sizeof syms);
	if (cmt_fetch_map_symbols(src, "btc,eth", NULL, NULL, 0, syms, 2,
	    &nsym, err) != CMT_OK)
		abort();
	for (i = 0; i < nsym; i++)
		syms[i].last_trade = -1;
	body = fuzz_strdup(data + 1, size - 1);
	if (data[0] / 4 % 2 == 0) {
		memset(obs, 0, sizeof obs);
		err[0] = '\0';
		if (cmt_fetch_parse_live(src, body, size - 1, syms, 0,
		    cmt_fetch_batched(src) ? nsym : 1, FROM, obs, err) ==
		    CMT_OK) {
			for (i = 0; i < nsym; i++)
				if (obs[i].ok)
					check_tick(&obs[i].tk);
		} else {
			FUZZ_CHECK(err[0] != '\0');
		}
	} else {
		n = 0;
		if (cmt_fetch_parse_history(src, body, size - 1, &syms[0], FROM,
		    TO, ticks, CMT_FETCH_PAGE_TICKS, &n, &last_open, err) ==
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
