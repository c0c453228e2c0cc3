/* A strict, allocation-free JSON scanner for one-object-per-line streams.
 * cJSON is used for files read once (models, API responses); this is for
 * the per-line hot path.  Writing numbers and strings is cmt_fmt.h's,
 * included here for the many callers that do both.
 *
 * Scanning walks the members of a top-level object in order.  Each value is
 * validated (strings: escapes and UTF-8; numbers: RFC 8259 grammar; nested
 * objects and arrays: fully, to a depth of CMT_JSON_MAXDEPTH) and returned
 * as a slice of the caller's buffer, which must outlive the scan. */
#ifndef CMT_JSON_H
#define CMT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_fmt.h"

#define CMT_JSON_MAXDEPTH 32

enum cmt_jtype {
	CMT_JNULL, CMT_JFALSE, CMT_JTRUE, CMT_JNUMBER, CMT_JSTRING,
	CMT_JOBJECT, CMT_JARRAY
};

struct cmt_jval {
	enum cmt_jtype type;
	const char *raw;    /* the value's text; strings without the quotes */
	size_t len;
	int escaped;        /* string contains backslash escapes */
	int integral;       /* number has no fraction or exponent */
	double num;         /* numbers: value (may be +-inf if out of range) */
};

struct cmt_jscan {
	const char *p, *end;
	int first;
	int nested;   /* an object entered from an outer scan */
};

/* Start scanning the object text [s, s+len); fails unless it begins '{'. */
enum cmt_err cmt_json_begin(struct cmt_jscan *js, const char *s, size_t len,
	char *err);

/* Next member: returns CMT_OK with key and value, CMT_ESKIP at the closing
 * brace (after which only white space may follow), or an error. */
enum cmt_err cmt_json_next(struct cmt_jscan *js, struct cmt_jval *key,
	struct cmt_jval *val, char *err);

/* The same in two halves, so a caller can descend into an object value
 * without scanning it twice: cmt_json_key reads the next member's name
 * (CMT_ESKIP at the closing brace), then either cmt_json_value reads its
 * value, or cmt_json_enter starts an inner scan of an object value whose
 * members are read with cmt_json_next until CMT_ESKIP, after which
 * cmt_json_leave continues the outer scan behind it. */
enum cmt_err cmt_json_key(struct cmt_jscan *js, struct cmt_jval *key,
	char *err);
enum cmt_err cmt_json_value(struct cmt_jscan *js, struct cmt_jval *val,
	char *err);
enum cmt_err cmt_json_enter(struct cmt_jscan *js, struct cmt_jscan *inner,
	char *err);
void cmt_json_leave(struct cmt_jscan *js, const struct cmt_jscan *inner);

/* Validate one complete JSON value [s, s+len) (any type, trailing white
 * space allowed). */
enum cmt_err cmt_json_validate(const char *s, size_t len, char *err);

/* 1 if the string value v (raw, possibly escaped) equals the C string lit. */
int cmt_json_streq(const struct cmt_jval *v, const char *lit);

/* Decode a string value's escapes into buf (NUL-terminated); returns the
 * decoded length, or -1 if it does not fit in cap-1 bytes. */
long cmt_json_unescape(const struct cmt_jval *v, char *buf, size_t cap);

/* Parse a JSON number from [s, end); *stop gets the first unused byte.
 * Exact for up to 15 significant digits and powers of ten within 1e+-22
 * (Clinger's fast path), otherwise falls back to strtod. */
enum cmt_err cmt_json_number(const char *s, const char *end,
	const char **stop, double *out, int *integral);

/* For the fast paths that take a line in a known layout: a number at *p
 * followed by the byte next (1, *p then past that byte), else 0.  And
 * CMT_JSON_AT: is the literal lit at p (p < end)? */
int cmt_json_number_then(const char **p, const char *end, char next,
	double *x, int *integral);
#define CMT_JSON_AT(p, end, lit) ((size_t)((end) - (p)) >= sizeof lit - 1 && \
	memcmp((p), lit, sizeof lit - 1) == 0)

/* One rule for every JSON document the project reads, whatever reads it:
 * an object naming a key twice is an error (the line scanners above say
 * "duplicate key"; documents parsed with cJSON, the model file and API
 * answers, are checked with this).  Returns the first key found twice
 * anywhere in the tree under node, or NULL. */
struct cJSON;
const char *cmt_cjson_duplicate_key(const struct cJSON *node);

#endif
