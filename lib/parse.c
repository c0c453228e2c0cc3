#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmt_clock.h"
#include "cmt_json.h"
#include "cmt_parse.h"

#define MAX_DURATION_MS (10LL * 366 * 86400 * 1000)

enum cmt_err
cmt_parse_duration_ms(const char *s, int64_t *ms, char *err)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "s", 1e3 }, { "m", 60e3 }, { "h", 3600e3 },
		{ "d", 86400e3 }, { "", 1e3 },
	};
	char *end;
	double v, scaled;
	size_t i;

	if (!s || !*s || !(*s >= '0' && *s <= '9'))
		return cmt_errf(err, CMT_ESYNTAX,
			"'%s' is not a duration (use e.g. 250ms, 5s, 1m, 2h)",
			s ? s : "");
	/* digits with an optional fraction, then the unit: no exponents, hex
	 * or other spellings strtod would take */
	end = (char *)s + strspn(s, "0123456789");
	if (*end == '.' && end[1] >= '0' && end[1] <= '9')
		end += 1 + strspn(end + 1, "0123456789");
	if (end - s > 30)
		return cmt_errf(err, CMT_ERANGE, "duration '%s' is too long", s);
	/* strtod may read past the scan, but only into a bad unit */
	errno = 0;
	v = strtod(s, NULL);
	if (errno)
		return cmt_errf(err, CMT_ESYNTAX, "'%s' is not a duration", s);
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].unit) == 0)
			break;
	if (i == sizeof units / sizeof units[0])
		return cmt_errf(err, CMT_ESYNTAX,
			"'%s' is not a duration: unknown unit '%s' (ms, s, m, h, "
			"d)", s, end);
	scaled = v * units[i].ms;
	if (!(scaled <= (double)MAX_DURATION_MS))
		return cmt_errf(err, CMT_ERANGE, "duration '%s' is too long", s);
	if (scaled != floor(scaled))
		return cmt_errf(err, CMT_EVALUE,
			"duration '%s' is not a whole number of milliseconds", s);
	*ms = (int64_t)scaled;
	return CMT_OK;
}

enum cmt_err
cmt_parse_duration_list(const char *s, int64_t *ms, int max, int *n,
	char *err)
{
	char item[64];
	const char *p = s, *comma;
	size_t len;
	enum cmt_err e;

	*n = 0;
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof item)
			return cmt_errf(err, CMT_ESYNTAX,
				"invalid duration list '%s'", s);
		if (*n == max)
			return cmt_errf(err, CMT_ELIMIT,
				"too many durations in '%s' (at most %d)", s, max);
		memcpy(item, p, len);
		item[len] = '\0';
		if ((e = cmt_parse_duration_ms(item, &ms[*n], err)))
			return e;
		if (ms[*n] <= 0)
			return cmt_errf(err, CMT_EVALUE,
				"duration '%s' must be greater than 0", item);
		(*n)++;
		if (!comma)
			return CMT_OK;
		p = comma + 1;
	}
}

void
cmt_format_duration(int64_t ms, char *buf, int cap)
{
	if (ms % 86400000 == 0 && ms >= 86400000)
		snprintf(buf, cap, "%lldd", (long long)(ms / 86400000));
	else if (ms % 3600000 == 0 && ms >= 3600000)
		snprintf(buf, cap, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0 && ms >= 60000)
		snprintf(buf, cap, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, cap, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, cap, "%lldms", (long long)ms);
}

enum cmt_err
cmt_parse_int(const char *s, long long min, long long max, long long *out,
	char *err)
{
	char *end;
	long long v;

	errno = 0;
	if (!s || !*s)
		return cmt_errf(err, CMT_ESYNTAX, "empty number");
	v = strtoll(s, &end, 10);
	if (*end || end == s)
		return cmt_errf(err, CMT_ESYNTAX, "invalid integer '%s'", s);
	if (errno == ERANGE || v < min || v > max)
		return cmt_errf(err, CMT_ERANGE,
			"'%s' is out of range [%lld, %lld]", s, min, max);
	*out = v;
	return CMT_OK;
}

enum cmt_err
cmt_parse_double(const char *s, double min, double max, double *out,
	char *err)
{
	char *end;
	double v;

	errno = 0;
	if (!s || !*s)
		return cmt_errf(err, CMT_ESYNTAX, "empty number");
	v = strtod(s, &end);
	if (*end || end == s)
		return cmt_errf(err, CMT_ESYNTAX, "invalid number '%s'", s);
	if (!isfinite(v) || v < min || v > max)
		return cmt_errf(err, CMT_ERANGE,
			"'%s' is out of range [%g, %g]", s, min, max);
	*out = v;
	return CMT_OK;
}

/* Howard Hinnant's algorithm. */
int64_t
cmt_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

/* An absolute time [s, end): YYYY-MM-DD, then optionally T or a space,
 * hh:mm, :ss, a fraction (ms kept), and Z or an offset (+hh:mm, +hhmm,
 * +hh); no offset means UTC.  Without offsets, only +00:00 is one (a
 * time typed on the command line is UTC). */
static int
parse_iso(const char *s, const char *end, int offsets, int64_t *ms)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, fd = 0, oh = 0, om = 0;
	int leap, sign = 0;

	if (end - p < 10 || digits(&p, 4, &y) || *p++ != '-' ||
	    digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (p < end && (*p == 'T' || *p == ' ')) {
		p++;
		if (end - p < 5 || digits(&p, 2, &h) || *p++ != ':' ||
		    digits(&p, 2, &mi))
			return -1;
		if (p < end && *p == ':') {
			p++;
			if (end - p < 2 || digits(&p, 2, &sec))
				return -1;
			if (p < end && *p == '.') {
				p++;
				if (p == end || *p < '0' || *p > '9')
					return -1;
				while (p < end && *p >= '0' && *p <= '9') {
					if (fd < 3)
						frac = frac * 10 + (*p - '0'), fd++;
					p++;
				}
				while (fd < 3)
					frac *= 10, fd++;
			}
		}
		if (p < end && *p == 'Z') {
			p++;
		} else if (p < end && (*p == '+' || *p == '-')) {
			sign = *p++ == '-' ? -1 : 1;
			if (end - p < 2 || digits(&p, 2, &oh))
				return -1;
			if (p < end && *p == ':')
				p++;
			if (p < end && (end - p < 2 || digits(&p, 2, &om)))
				return -1;
		}
	}
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (p != end || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59 || (!offsets && (oh || om)))
		return -1;
	*ms = ((cmt_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL +
	    sec * 1000LL + frac - sign * (oh * 60 + om) * 60000LL;
	return 0;
}

enum cmt_err
cmt_parse_iso_time(const char *s, size_t n, int64_t *ms, char *err)
{
	if (parse_iso(s, s + n, 1, ms))
		return cmt_errf(err, CMT_ESYNTAX, "invalid time '%.*s' (ISO "
			"8601: 2024-01-31, 2024-01-31T12:30:00Z, "
			"2024-01-31 12:30:00+00:00)", (int)(n > 40 ? 40 : n), s);
	return CMT_OK;
}

enum cmt_err
cmt_parse_time_ms(const char *s, int64_t *ms, char *err)
{
	long long v;

	/* relative to the clock: now, now-2h, now+1d, -2h (= now-2h) */
	if (s && (strncmp(s, "now", 3) == 0 || s[0] == '-')) {
		int64_t d = 0, now = cmt_clock_wall_ms();
		const char *rel = s[0] == '-' ? s : s + 3;

		if (*rel && ((*rel != '-' && *rel != '+') ||
		    cmt_parse_duration_ms(rel + 1, &d, NULL)))
			return cmt_errf(err, CMT_ESYNTAX, "invalid time '%s' (use "
				"e.g. 2024-01-31, 2024-01-31T12:30:00Z, epoch, now, "
				"now-2h or -2h)", s);
		*ms = *rel == '-' ? now - d : now + d;
		return CMT_OK;
	}
	if (s && *s && strspn(s, "0123456789") == strlen(s)) {
		if (cmt_parse_int(s, 0, 9000000000000000LL, &v, err))
			return CMT_ESYNTAX;
		*ms = v >= 100000000000LL ? v : v * 1000;
		return CMT_OK;
	}
	if (s && parse_iso(s, s + strlen(s), 0, ms) == 0)
		return CMT_OK;
	return cmt_errf(err, CMT_ESYNTAX,
		"invalid time '%s' (use 2024-01-31, 2024-01-31T12:30:00Z or epoch)",
		s ? s : "");
}

void
cmt_format_time(int64_t ms, char *buf, int cap)
{
	int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
	int64_t rem = ms - days * 86400000;
	int64_t z = days + 719468, era, doe, yoe, doy, mp, y;
	int d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y,
		m, d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
		(int)(rem / 1000 % 60), (int)(rem % 1000));
}

int
cmt_csv_field(const char **p, const char *end, const char **field,
	size_t *len)
{
	const char *comma = memchr(*p, ',', (size_t)(end - *p));

	*field = *p;
	*len = comma ? (size_t)(comma - *p) : (size_t)(end - *p);
	*p = comma ? comma + 1 : end;
	return comma != NULL;
}

enum cmt_err
cmt_csv_number(const char *s, size_t n, const char *name, double *out,
	int *integral, char *err)
{
	const char *stop;

	if (n == 0)
		return cmt_errf(err, CMT_EMISSING, "empty \"%s\"", name);
	if (cmt_json_number(s, s + n, &stop, out, integral) || stop != s + n)
		return cmt_errf(err, CMT_ESYNTAX, "\"%s\" is not a number: '%.*s'",
			name, (int)(n > 40 ? 40 : n), s);
	return CMT_OK;
}

enum cmt_err
cmt_parse_size(const char *s, int64_t *bytes, char *err)
{
	static const struct { const char *suf; long long mul; } u[] = {
		{ "KiB", 1 << 10 }, { "K", 1 << 10 }, { "MiB", 1 << 20 },
		{ "M", 1 << 20 }, { "GiB", 1 << 30 }, { "G", 1 << 30 },
	};
	char num[32];
	size_t n = strspn(s, "0123456789"), i;
	long long v, mul = 1;

	for (i = 0; s[n] && i < sizeof u / sizeof u[0]; i++)
		if (strcmp(s + n, u[i].suf) == 0)
			mul = u[i].mul;
	if ((s[n] && mul == 1) || n == 0 || n >= sizeof num)
		return cmt_errf(err, CMT_ESYNTAX, "invalid size '%s' (e.g. "
			"65536, 64KiB, 1MiB)", s);
	memcpy(num, s, n);
	num[n] = '\0';
	if (cmt_parse_int(num, 1, (1LL << 40) / mul, &v, err))
		return CMT_ERANGE;
	*bytes = v * mul;
	return CMT_OK;
}

void
cmt_format_bytes(double b, char *buf, int cap)
{
	static const char *unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(buf, (size_t)cap, i ? "%.1f %s" : "%.0f %s", b, unit[i]);
}

void
cmt_ascii_lower(char *dst, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	dst[n] = '\0';
}

int
cmt_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned cp, min;
	int k;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			k = 1, cp = *p & 0x1f, min = 0x80;
		else if ((*p & 0xf0) == 0xe0)
			k = 2, cp = *p & 0x0f, min = 0x800;
		else if ((*p & 0xf8) == 0xf0)
			k = 3, cp = *p & 0x07, min = 0x10000;
		else
			return 0;
		if (end - p <= k)
			return 0;
		for (int i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += k + 1;
	}
	return 1;
}

void
cmt_excerpt(char *dst, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k = 0, fit = 0, len;
	const char *piece;

	if (cap == 0)
		return;
	while (i < n) {
		/* a space for a control character, a whole UTF-8 character,
		 * or '?' for a byte that is not one */
		len = p[i] < 0x80 ? 1 : p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : 2;
		if (p[i] < 0x20 || p[i] == 0x7f)
			piece = " ", len = 1;
		else if (i + len > n || !cmt_utf8_valid(s + i, len))
			piece = "?", len = 1;
		else
			piece = s + i;
		if (k + len >= cap)
			break;
		memcpy(dst + k, piece, len);
		k += len;
		i += len;
		if (k + 3 < cap)
			fit = k;        /* "..." still fits after this */
	}
	if (i < n && cap >= 4) {
		k = fit;
		memcpy(dst + k, "...", 3);
		k += 3;
	}
	dst[k] = '\0';
}
