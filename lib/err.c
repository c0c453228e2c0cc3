#include <stdarg.h>
#include <stdio.h>

#include "cmt_err.h"

const char *
cmt_strerror(enum cmt_err e)
{
	switch (e) {
	case CMT_OK:        return "success";
	case CMT_ENOMEM:    return "out of memory";
	case CMT_EIO:       return "input/output error";
	case CMT_ESYNTAX:   return "syntax error";
	case CMT_ERANGE:    return "number out of range";
	case CMT_EMISSING:  return "missing field";
	case CMT_ETYPE:     return "wrong type";
	case CMT_EVALUE:    return "invalid value";
	case CMT_ETOOLONG:  return "too long";
	case CMT_EORDER:    return "out of order";
	case CMT_EMISMATCH: return "mismatch";
	case CMT_ELIMIT:    return "limit reached";
	case CMT_ESKIP:     return "no record";
	case CMT_EFORMAT:   return "input of another format";
	}
	return "unknown error";
}

enum cmt_err
cmt_errf(char *err, enum cmt_err e, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, CMT_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return e;
}
