/* Error codes shared by every libcmt module.  lib/ never prints or exits: a
 * function returns one of these (0 is success) and, where a message helps,
 * writes one line of detail into a caller-supplied buffer of CMT_ERRLEN. */
#ifndef CMT_ERR_H
#define CMT_ERR_H

#include <stddef.h>

/* Room for two feature-set ids or a list of search paths in full: no
 * message is cut short. */
#define CMT_ERRLEN 1024

enum cmt_err {
	CMT_OK = 0,
	CMT_ENOMEM,    /* allocation failed */
	CMT_EIO,       /* read or write failed; errno says why */
	CMT_ESYNTAX,   /* not well-formed JSON, CSV or number */
	CMT_ERANGE,    /* number out of range or not finite */
	CMT_EMISSING,  /* a required field is absent */
	CMT_ETYPE,     /* a field has the wrong JSON type */
	CMT_EVALUE,    /* a field's value is not allowed (e.g. price <= 0) */
	CMT_ETOOLONG,  /* line or field longer than the limit */
	CMT_EORDER,    /* timestamp out of order or repeated */
	CMT_EMISMATCH, /* feature set or shape does not match */
	CMT_ELIMIT,    /* a configured bound (symbols, clients...) is reached */
	CMT_ESKIP,     /* not an error: the line carries no record (header) */
	CMT_EFORMAT    /* the input as a whole is of another format */
};

const char *cmt_strerror(enum cmt_err e);

/* snprintf into err (of CMT_ERRLEN bytes) when err is not NULL; returns e. */
enum cmt_err cmt_errf(char *err, enum cmt_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
