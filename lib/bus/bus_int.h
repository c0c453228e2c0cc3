/* What the files of lib/bus/ share and cmd/ must not see: the connection
 * object, the error and log helpers, and a line's fields and subject
 * templates.  Ownership as in cmt_bus.h; struct fields owns its names. */
#ifndef CMT_BUS_INT_H
#define CMT_BUS_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "cmt_bus.h"

#define MAX_FIELDS 8
#define TOKEN_MAX 64
#define SUBJECT_MAX 256
#define ID_MAX 512

struct cmt_bus {
	natsConnection *nc;
	natsOptions *opts;
	jsCtx *js;
	struct cmt_bus_opts o;
	int64_t api_ms;
	pthread_mutex_t mu;     /* guards rng (reconnect jitter), closing */
	pthread_cond_t cv;      /* closed: the last callback is done */
	uint64_t rng;
	int closing, closed;
	int64_t stop_at;        /* when a stop was first seen (0: not yet) */
};

/* conn.c: sleep through signals, but not past the end of a stop's grace;
 * one line to the log callback, if any; a libnats failure mapped to our
 * status, with its text in err. */
void bus_sleep_ms(struct cmt_bus *b, int64_t ms);
void bus_logf(const struct cmt_bus *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum cmt_bus_status bus_fail(char *err, natsStatus s, jsErrCode jerr,
	const char *what);

/* After a stop: bus_stopping says whether one was asked; bus_stop_left
 * the ms left of its grace (INT64_MAX without a stop, 0 when over);
 * bus_api_opts the options of a JetStream request, whose wait ends with
 * the grace (0: no time left, do not ask); bus_stopped fills err with why
 * the server did not confirm (gone, or too slow) and returns
 * CMT_BUS_ESTOPPED.  Called from the caller's thread only. */
int bus_stopping(const struct cmt_bus *b);
int64_t bus_stop_left(struct cmt_bus *b);
int bus_api_opts(struct cmt_bus *b, jsOptions *jo);
enum cmt_bus_status bus_stopped(struct cmt_bus *b, char *err);

/* The fields a line must provide, found by one scan of the object.  A
 * value is decoded, so that one value spelled two ways gives one subject
 * and one message id: a string unescaped, a number in one spelling
 * (bus_fields_scan).  Values that needed no decoding point into the line,
 * the others into text[]; raw is the value as the line spells it, for
 * messages. */
#define VALUE_MAX ID_MAX
struct fields {
	int n;
	const char *name[MAX_FIELDS];
	const char *v[MAX_FIELDS];   /* decoded value */
	size_t vlen[MAX_FIELDS];
	const char *raw[MAX_FIELDS]; /* as written (strings without quotes) */
	size_t rawlen[MAX_FIELDS];
	int str[MAX_FIELDS];         /* the value was a string */
	char text[MAX_FIELDS][VALUE_MAX];
};

/* A template: literal pieces and field references (field index, or
 * PART for {part}). */
#define PART (-1)
struct tmpl {
	int n;
	struct piece { const char *lit; size_t len; int field; } p[32];
};

/* subject.c.  bus_field_add: the index of field name (added if new), or
 * -1 with err set; bus_fields_scan: the decoded values of f's fields in
 * line s; bus_line_sym: the canonical symbol of a scanned line into
 * sym[CMT_SYM_MAX]; bus_tmpl_expand: the subject of a scanned line into
 * out[SUBJECT_MAX]; bus_id_value: field i's value for a message id (no
 * control character; '|' and '%' written %7C and %25, so the values
 * joined by '|' name one line only) into out, at most cap bytes; its
 * length, or -1 with err set. */
int bus_field_add(struct fields *f, const char *name, size_t len, char *err);
void bus_fields_free(struct fields *f);
enum cmt_err bus_fields_scan(struct fields *f, const char *s, size_t len,
	char *err);
enum cmt_err bus_tmpl_compile(struct tmpl *tp, struct fields *f,
	const char *t, char *err);
int bus_tmpl_has_part(const struct tmpl *tp);
enum cmt_err bus_line_sym(const struct fields *f, char *sym, char *err);
enum cmt_err bus_tmpl_expand(const struct tmpl *tp, const struct fields *f,
	int nparts, char *out, char *err);
long bus_id_value(const struct fields *f, int i, char *out, size_t cap,
	char *err);

/* store.c: create the stream o names (for o's subject template) unless
 * it exists; is there a stream that stores subject subj?  (The answer is
 * OK when the server cannot tell, CMT_BUS_ENOSTREAM when none does.) */
enum cmt_bus_status bus_stream_create(struct cmt_bus *b,
	const struct cmt_bus_pub_opts *o, char *err);
enum cmt_bus_status bus_stream_for(struct cmt_bus *b, const char *subj,
	char *err);

#endif
