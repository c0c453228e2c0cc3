/* Strings built piece by piece.  Two kinds:
 *
 * - struct cmt_strbuf grows on the heap (reports, SVG, JSON bodies).  It
 *   owns its bytes until cmt_strbuf_take hands them to the caller (who
 *   frees them) or cmt_strbuf_free releases them.  A failed allocation
 *   sticks: later appends do nothing and _take returns NULL.
 * - cmt_strcat_printf appends into a caller's fixed buffer (URLs,
 *   subscription messages) and says when it did not fit. */
#ifndef CMT_STRBUF_H
#define CMT_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct cmt_strbuf {
	char *s;                /* NUL-terminated once anything was added */
	size_t len, cap;
	int failed;             /* an allocation failed: the text is lost */
};

void cmt_strbuf_printf(struct cmt_strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cmt_strbuf_vprintf(struct cmt_strbuf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void cmt_strbuf_put(struct cmt_strbuf *b, const char *s, size_t len);
/* Room for at least len more bytes; 0 ok, -1 out of memory. */
int cmt_strbuf_reserve(struct cmt_strbuf *b, size_t len);
/* The text (caller frees), or NULL after a failure or when empty; b is
 * reset either way. */
char *cmt_strbuf_take(struct cmt_strbuf *b);
void cmt_strbuf_free(struct cmt_strbuf *b);

/* printf at buf + *n within cap.  0 ok; -1 when it does not fit, and then
 * *n = cap so every later append fails too (one check at the end). */
int cmt_strcat_printf(char *buf, size_t cap, size_t *n, const char *fmt,
	...) __attribute__((format(printf, 4, 5)));

#endif
