/* Fuzz target: tick lines, NDJSON and CSV.  The input is a stream of lines
 * fed through one decoder (so a CSV header sets up the rows after it); the
 * first byte picks the format.  A decoded tick must satisfy the contract of
 * cmt_tick.h and survive a format/parse round trip.  A JSON line is also
 * parsed with "{ " for its "{", which means the same but bypasses the fast
 * path: status, message and tick must agree. */
#include <math.h>
#include <string.h>

#include "cmt_tick.h"
#include "fuzz.h"

static void
check_tick(const struct cmt_tick *tk)
{
	struct cmt_tick back;
	char line[CMT_TICK_LINE_MAX], err[CMT_ERRLEN];
	size_t n;
	int len;

	FUZZ_CHECK(tk->t >= 0 && tk->t < (int64_t)1 << 53);
	FUZZ_CHECK(isfinite(tk->px) && tk->px > 0);
	FUZZ_CHECK(!tk->has_vol || (isfinite(tk->vol) && tk->vol >= 0));
	FUZZ_CHECK(!tk->has_bar || (isfinite(tk->o) && isfinite(tk->h) &&
		tk->l > 0 && tk->l <= tk->o && tk->l <= tk->px &&
		tk->h >= tk->o && tk->h >= tk->px));
	n = strnlen(tk->sym, CMT_SYM_MAX);
	FUZZ_CHECK(n > 0 && n < CMT_SYM_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((tk->sym[i] >= 'A' && tk->sym[i] <= 'Z') ||
			(tk->sym[i] >= '0' && tk->sym[i] <= '9') ||
			tk->sym[i] == '-');
	FUZZ_CHECK(strnlen(tk->src, CMT_SRC_MAX) < CMT_SRC_MAX);
	len = cmt_tick_format_json(tk, line);
	FUZZ_CHECK(len > 0 && len < CMT_TICK_LINE_MAX);
	FUZZ_CHECK(line[len - 1] == '\n');
	FUZZ_CHECK(cmt_tick_parse_json(line, (size_t)len - 1, &back, err) ==
		CMT_OK);
	FUZZ_CHECK(back.t == tk->t && strcmp(back.sym, tk->sym) == 0);
	FUZZ_CHECK(strcmp(back.src, tk->src) == 0);
	FUZZ_CHECK(back.has_vol == tk->has_vol);
	FUZZ_CHECK(back.has_bar == tk->has_bar && back.warm == tk->warm);
	/* 15 significant digits: equal to 1e-14 relative */
	FUZZ_CHECK(fabs(back.px - tk->px) <= tk->px * 1e-14);
}

static void
check_general(const char *line, size_t len)
{
	struct cmt_tick a, b;
	char ea[CMT_ERRLEN] = "", eb[CMT_ERRLEN] = "", *slow;
	enum cmt_err ra, rb;

	if (len == 0 || line[0] != '{')
		return;
	slow = malloc(len + 1);
	FUZZ_CHECK(slow != NULL);
	slow[0] = '{';
	slow[1] = ' ';
	memcpy(slow + 2, line + 1, len - 1);
	ra = cmt_tick_parse_json(line, len, &a, ea);
	rb = cmt_tick_parse_json(slow, len + 1, &b, eb);
	free(slow);
	FUZZ_CHECK(ra == rb);
	if (ra != CMT_OK) {
		FUZZ_CHECK(strcmp(ea, eb) == 0);
		return;
	}
	FUZZ_CHECK(a.t == b.t && strcmp(a.sym, b.sym) == 0);
	FUZZ_CHECK(memcmp(&a.px, &b.px, sizeof a.px) == 0);
	FUZZ_CHECK(a.has_vol == b.has_vol &&
		(!a.has_vol || memcmp(&a.vol, &b.vol, sizeof a.vol) == 0));
	FUZZ_CHECK(strcmp(a.src, b.src) == 0);
	FUZZ_CHECK(a.side == b.side && a.warm == b.warm);
	FUZZ_CHECK(a.has_bar == b.has_bar && (!a.has_bar ||
		(a.o == b.o && a.h == b.h && a.l == b.l)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cmt_tick_format fmt[] = {
		CMT_TICK_AUTO, CMT_TICK_JSON, CMT_TICK_CSV
	};
	struct cmt_tick_decoder d;
	struct cmt_tick tk;
	char err[CMT_ERRLEN];
	const uint8_t *p, *nl, *end = data + size;

	if (size < 1)
		return 0;
	cmt_tick_decoder_init(&d, fmt[data[0] % 3]);
	for (p = data + 1; p < end; p = nl + 1) {
		char *line;
		size_t len;
		enum cmt_err e;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		len = (size_t)(nl - p);
		line = fuzz_strdup(p, len);
		err[0] = '\0';
		e = cmt_tick_decode(&d, line, len, &tk, err);
		check_general(line, len);
		if (e == CMT_OK)
			check_tick(&tk);
		else if (e != CMT_ESKIP)
			FUZZ_CHECK(err[0] != '\0' &&
				strnlen(err, CMT_ERRLEN) < CMT_ERRLEN);
		free(line);
	}
	return 0;
}
