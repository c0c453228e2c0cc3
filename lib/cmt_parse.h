/* Bounded parsers for command-line values: durations ("250ms", "5s", "1m",
 * "2h", "1d"; a bare number means seconds), integers, finite doubles, comma
 * lists of durations, and points in time.  They never call atoi: every
 * value is checked whole and against its range.  No allocation. */
#ifndef CMT_PARSE_H
#define CMT_PARSE_H

#include <stdint.h>

#include "cmt_err.h"

/* Duration in milliseconds; fractions allowed ("1.5s"), result must be a
 * whole number of ms in [0, 10 years]. */
enum cmt_err cmt_parse_duration_ms(const char *s, int64_t *ms, char *err);

/* Comma-separated durations, at most max of them, each > 0. */
enum cmt_err cmt_parse_duration_list(const char *s, int64_t *ms, int max,
	int *n, char *err);

/* Shortest exact spelling of a duration: 250ms, 5s, 90s, 1m, 15m, 1h, 1d. */
void cmt_format_duration(int64_t ms, char *buf, int cap);

/* Whole decimal integer in [min, max]. */
enum cmt_err cmt_parse_int(const char *s, long long min, long long max,
	long long *out, char *err);

/* Bytes with an optional binary suffix: 65536, 64KiB, 1MiB, 2GiB (K, M,
 * G too), in [1, 2^40]. */
enum cmt_err cmt_parse_size(const char *s, int64_t *bytes, char *err);

/* "12.2 MiB", "1.2 GiB": bytes for a message (binary units, as
 * cmt_parse_size reads them). */
void cmt_format_bytes(double bytes, char *buf, int cap);

/* Finite double in [min, max]. */
enum cmt_err cmt_parse_double(const char *s, double min, double max,
	double *out, char *err);

/* A point in time as ms since the epoch, UTC: "2024-01-31",
 * "2024-01-31T12:30:00Z" (seconds and ".sss" optional, "Z" or "+00:00"
 * optional), a bare integer (>= 1e11 is taken as ms, otherwise s), or
 * relative to the clock: "now", "now-2h", "now+1d", "-2h" (= now-2h). */
enum cmt_err cmt_parse_time_ms(const char *s, int64_t *ms, char *err);

/* An absolute time as data files write it, [s, s+n): 2024-01-31,
 * 2024-01-31T12:30:00Z, 2024-01-31 12:30:00.250+02:00 (T or a space;
 * seconds, fraction and Z or an offset optional; no offset is UTC). */
enum cmt_err cmt_parse_iso_time(const char *s, size_t n, int64_t *ms,
	char *err);

/* One field of an unquoted CSV line: *field and *len get the text from
 * *p to the next comma or end, and *p moves past the comma.  Returns 1 if
 * another field follows, 0 after the last one. */
int cmt_csv_field(const char **p, const char *end, const char **field,
	size_t *len);

/* A CSV cell [s, s+n) that must be a JSON-syntax number; name says which
 * column in the error ("\"px\" is not a number: 'abc'", "empty \"t\""). */
enum cmt_err cmt_csv_number(const char *s, size_t n, const char *name,
	double *out, int *integral, char *err);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t cmt_days_from_civil(int64_t y, int m, int d);

/* n bytes of s, ASCII letters lower-cased, into dst (n + 1 bytes). */
void cmt_ascii_lower(char *dst, const char *s, size_t n);

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF), as the JSON we write or read must be. */
int cmt_utf8_valid(const char *s, size_t n);

/* Untrusted bytes s[0..n) made fit for one line of a message into dst
 * (cap bytes): control characters become spaces, bytes that are not
 * UTF-8 '?', and what does not fit "...".  So a peer's text can neither
 * break the line, nor move the terminal, nor end mid-character. */
void cmt_excerpt(char *dst, size_t cap, const char *s, size_t n);

/* ISO 8601 UTC with milliseconds, e.g. 2024-01-31T12:30:00.000Z. */
void cmt_format_time(int64_t ms, char *buf, int cap);

#endif
