/* How candle files name their symbols: BTC/USDT, BTC_USDT, btcusdt in a
 * column or a file name, turned into cmt's BASE-QUOTE (cmt_candle.h). */
#include <string.h>

#include "cmt_candle.h"

/* Quote currencies, longest first, that split BTCUSDT into BTC-USDT.  Not
 * TUSD or USDP: XBTUSD would read XB-TUSD (give --symbol BTC/TUSD). */
static const char *const quotes[] = {
	"FDUSD", "USDT", "USDC", "BUSD", "DAI", "USD", "EUR", "GBP", "JPY",
	"TRY", "BRL", "AUD", "BTC", "ETH", "BNB",
};

enum cmt_err
cmt_candle_symbol(const char *s, size_t len, char out[CMT_SYM_MAX],
	char *err)
{
	char buf[CMT_SYM_MAX], up[CMT_SYM_MAX];
	const char *colon = memchr(s, ':', len);
	size_t i, q, n;

	if (colon)                      /* BTC/USDT:USDT (ccxt futures) */
		len = (size_t)(colon - s);
	if (len == 0 || len >= CMT_SYM_MAX)
		return cmt_errf(err, CMT_EVALUE, "symbol '%.*s' is not "
			"BASE-QUOTE", (int)(len > 40 ? 40 : len), s);
	for (i = 0; i < len; i++)
		buf[i] = s[i] == '/' || s[i] == '_' ? '-' : s[i];
	if (memchr(buf, '-', len))
		return cmt_tick_symbol(buf, len, out, err);
	for (i = 0; i < len; i++)
		up[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	for (q = 0; q < sizeof quotes / sizeof quotes[0]; q++) {
		n = strlen(quotes[q]);
		if (len > n && len + 1 < CMT_SYM_MAX &&
		    memcmp(up + len - n, quotes[q], n) == 0) {
			memcpy(buf, s, len - n);
			buf[len - n] = '-';
			memcpy(buf + len - n + 1, s + len - n, n);
			return cmt_tick_symbol(buf, len + 1, out, err);
		}
	}
	return cmt_errf(err, CMT_EVALUE, "symbol '%.*s' is not BASE-QUOTE and "
		"ends in no known quote currency", (int)len, s);
}

static int
alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9');
}

/* freqtrade's BASE_QUOTE[_SETTLE]-<n><unit>[-kind].<ext>: the pair. */
static int
freqtrade_name(const char *b, char out[CMT_SYM_MAX])
{
	const char *p = b, *qend;

	while (alnum(*p))
		p++;
	if (*p != '_' || p == b || !alnum(p[1]))
		return 0;
	for (p++; alnum(*p); p++)
		;
	qend = p;
	if (*p == '_')                    /* the settle currency */
		for (p++; alnum(*p); p++)
			;
	if (*p != '-' || p[1] < '0' || p[1] > '9')
		return 0;
	for (p++; *p >= '0' && *p <= '9'; p++)
		;
	if (!*p || !strchr("smhdwMy", *p) || (p[1] != '-' && p[1] != '.'))
		return 0;
	return cmt_candle_symbol(b, (size_t)(qend - b), out, NULL) == CMT_OK;
}

int
cmt_candle_symbol_of_path(const char *path, char out[CMT_SYM_MAX])
{
	const char *b = strrchr(path, '/'), *p;

	b = b ? b + 1 : path;
	if (strcmp(path, "-") == 0 || !*b)
		return 0;
	if (freqtrade_name(b, out))
		return 1;
	for (p = b; alnum(*p); p++)
		;
	return p > b && cmt_candle_symbol(b, (size_t)(p - b), out, NULL) ==
		CMT_OK;
}

