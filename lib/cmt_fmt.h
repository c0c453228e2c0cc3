/* Writing numbers and strings as JSON text, fast, for the per-line hot
 * path (cmt_json.h reads them).  Each function writes into a buffer the
 * caller owns, of the size it names, and returns the length; nothing
 * allocates. */
#ifndef CMT_FMT_H
#define CMT_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Write x with at most sig (1..17) significant digits, JSON syntax, no
 * trailing zeros; returns length.  buf needs 32 bytes.  Non-finite x is
 * written as null.  A finite x always reads back finite: where sig digits
 * would round past DBL_MAX, 17 digits are written. */
int cmt_fmt_double(char *buf, double x, int sig);

/* Write a 64-bit integer; returns length.  buf needs 21 bytes. */
int cmt_fmt_int(char *buf, int64_t v);

/* Write s[0..len) as a JSON string with quotes and escapes into buf, which
 * needs 6*len+3 bytes; returns length. */
size_t cmt_fmt_string(char *buf, const char *s, size_t len);

/* 10^0 to 10^22, each exact as a double: the scaling of the fast paths
 * here and of the number scanner (cmt_json_number). */
extern const double cmt_fmt_pow10[23];

#endif
