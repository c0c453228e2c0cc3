#include <errno.h>

#include "cmt_jrows.h"

enum { J_START, J_ITEM, J_ROW, J_AFTER, J_END, J_DONE };

void
cmt_jrows_init(struct cmt_jrows *j, struct cmt_linereader *lr)
{
	j->lr = lr;
	j->state = J_START;
	j->eof = 0;
	j->rowno = 0;
	j->at = j->end = j->row_len = 0;
}

/* The next byte, -1 at the end, -2 on a read error. */
static int
next_byte(struct cmt_jrows *j)
{
	ssize_t n;

	if (j->at == j->end) {
		if (j->eof)
			return -1;
		if ((n = cmt_line_read_raw(j->lr, j->raw, sizeof j->raw)) < 0)
			return -2;
		if (n == 0) {
			j->eof = 1;
			return -1;
		}
		j->at = 0;
		j->end = (size_t)n;
	}
	return (unsigned char)j->raw[j->at++];
}

static int
blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Byte by byte as a small state machine, so a signal during a read
 * returns at once and the next call goes on where it was. */
enum cmt_err
cmt_jrows_next(struct cmt_jrows *j, const char **row, size_t *len,
	char *err)
{
	int ch;

	for (;;) {
		if (j->state == J_DONE)
			return CMT_ESKIP;
		if ((ch = next_byte(j)) == -2) {
			if (errno != EINTR)
				j->state = J_DONE;
			return cmt_errf(err, CMT_EIO, "%s", cmt_line_error(j->lr));
		}
		if (j->state == J_ROW) {
			if (ch == ']') {
				j->state = J_AFTER;
				if (j->row_len > CMT_JROWS_ROW_MAX)
					return cmt_errf(err, CMT_ETOOLONG, "row "
						"longer than %d bytes",
						CMT_JROWS_ROW_MAX);
				j->row[j->row_len] = '\0';
				*row = j->row;
				*len = j->row_len;
				return CMT_OK;
			}
			if (ch < 0 || ch == '[' || ch == '{' || ch == '"')
				break;
			if (!blank(ch) && j->row_len++ < CMT_JROWS_ROW_MAX)
				j->row[j->row_len - 1] = (char)ch;
			continue;
		}
		if (ch >= 0 && blank(ch))
			continue;
		if (j->state == J_START && ch == '[') {
			j->state = J_ITEM;
		} else if (j->state == J_ITEM && ch == '[') {
			j->rowno++;
			j->row_len = 0;
			j->state = J_ROW;
		} else if ((j->state == J_ITEM && ch == ']' && !j->rowno) ||
		    (j->state == J_AFTER && ch == ']')) {
			j->state = J_END;
		} else if (j->state == J_AFTER && ch == ',') {
			j->state = J_ITEM;
		} else if ((j->state == J_START || j->state == J_END) &&
		    ch == -1) {
			j->state = J_DONE;
			return CMT_ESKIP;
		} else {
			break;
		}
	}
	if (j->state != J_ROW)
		j->rowno++;
	j->state = J_DONE;
	if (ch < 0)
		return cmt_errf(err, CMT_ESYNTAX, "the JSON array ends early");
	return cmt_errf(err, CMT_ESYNTAX, "not a JSON array of arrays of "
		"numbers (at '%c')", ch);
}
