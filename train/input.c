#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmt_line.h"
#include "cmt_parse.h"
#include "input.h"
#include "sanity.h"

/* Read one input into d; bad lines are reported and skipped. */
void
read_rows(const char *name, int csv, struct cmt_dataset *d)
{
	struct cmt_fvec_decoder dec;
	struct cmt_linereader *lr;
	struct cmt_line ln;
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	const char *names[CMT_FEAT_N];
	enum cmt_err e;
	int fd, rc, i;

	if (!(lr = cmt_input_open(name, CMT_KIND_BIT(CMT_KIND_VECTORS) |
	    CMT_KIND_BIT(CMT_KIND_PREDICTIONS), &fd)))
		exit(cmt_finish(CMT_EXIT_FAIL));
	cmt_line_on_idle(lr, NULL, NULL);
	cmt_fvec_decoder_init(&dec, csv ? CMT_FVEC_CSV : CMT_FVEC_AUTO);
	for (i = 0; i < CMT_FEAT_N; i++)
		names[i] = d->feature[i];
	/* once the first row fixed the names, every row must carry them */
	if (d->fs[0])
		cmt_fvec_decoder_expect(&dec, d->fs, names, d->nfeat);
	while ((rc = cmt_input_next(lr, &ln, name)) != 0) {
		if (cmt_stop)
			cmt_die(CMT_EXIT_FAIL, "interrupted while reading %s: no "
				"model written", strcmp(name, "-") ? name : "stdin");
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			exit(cmt_finish(CMT_EXIT_FAIL));
		}
		if (ln.too_long) {
			cmt_bad_line(name, (unsigned long long)ln.no,
				"too long, skipped");
			continue;
		}
		e = cmt_fvec_decode(&dec, ln.s, ln.len, &v, err);
		if (e == CMT_OK) {
			note_row(&v);
			e = cmt_dataset_add(d, &v, err);
			if (e == CMT_OK && !dec.nexpect)
				cmt_fvec_decoder_expect(&dec, d->fs, names, d->nfeat);
		} else if (e == CMT_EMISMATCH && dec.nexpect) {
			e = CMT_EVALUE;   /* names out of place: a bad line */
		}
		if (e == CMT_EMISMATCH) {
			cmt_bad_line(name, (unsigned long long)ln.no, "%s", err);
			cmt_usage_hint();
		}
		if (e == CMT_ENOMEM)
			cmt_die(CMT_EXIT_FAIL, "%s", err);
		if (e && e != CMT_ESKIP)
			cmt_bad_line(name, (unsigned long long)ln.no,
				"%s, skipped", err);
	}
	cmt_input_close(lr, fd);
}

double
num_arg(const char *s, double lo, double hi, const char *opt)
{
	char err[CMT_ERRLEN];
	double x;

	if (cmt_parse_double(s, lo, hi, &x, err))
		cmt_usage_error("%s: %s", opt, err);
	return x;
}

/* --hidden 32,16,8 */
int
parse_widths(const char *s, int *w)
{
	char item[16], err[CMT_ERRLEN];
	const char *comma;
	long long v;
	size_t len;
	int n = 0;

	for (;;) {
		comma = strchr(s, ',');
		len = comma ? (size_t)(comma - s) : strlen(s);
		if (n == CMT_MODEL_MAX_LAYERS - 1)
			cmt_usage_error("--hidden: at most %d layers",
				CMT_MODEL_MAX_LAYERS - 1);
		if (len == 0 || len >= sizeof item)
			cmt_usage_error("--hidden: expected N,N,...");
		memcpy(item, s, len);
		item[len] = '\0';
		if (cmt_parse_int(item, 1, CMT_MODEL_MAX_WIDTH, &v, err))
			cmt_usage_error("--hidden: %s", err);
		w[n++] = (int)v;
		if (!comma)
			return n;
		s = comma + 1;
	}
}

/* NAME,NAME,... each passed to add(d, name) */
static void
parse_names(const char *s, struct cmt_dataset *d, const char *opt,
	enum cmt_err (*add)(struct cmt_dataset *, const char *, char *))
{
	char item[CMT_MODEL_FEATNAME_MAX], err[CMT_ERRLEN];
	const char *comma;
	size_t len;

	for (;;) {
		comma = strchr(s, ',');
		len = comma ? (size_t)(comma - s) : strlen(s);
		if (len == 0 || len >= sizeof item)
			cmt_usage_error("%s: expected feature names, "
				"NAME,NAME,...", opt);
		memcpy(item, s, len);
		item[len] = '\0';
		if (add(d, item, err))
			cmt_usage_error("%s: %s", opt, err);
		if (!comma)
			return;
		s = comma + 1;
	}
}

/* --exclude vol_trend,rsi */
void
parse_exclude(const char *s, struct cmt_dataset *d)
{
	parse_names(s, d, "--exclude", cmt_dataset_exclude);
}

/* --nullable ret_1d,rv_1d */
void
parse_nullable(const char *s, struct cmt_dataset *d)
{
	parse_names(s, d, "--nullable", cmt_dataset_nullable);
}

/* "cmt-train" plus the arguments, quoted for sh, for the model card */
char *
join_args(int argc, char **argv)
{
	size_t n = 16, i;
	const char *p;
	char *s, *q;

	for (i = 1; i < (size_t)argc; i++)
		n += 4 * strlen(argv[i]) + 3;
	if (!(s = malloc(n)))
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	q = s + sprintf(s, "cmt-train");
	for (i = 1; i < (size_t)argc; i++) {
		*q++ = ' ';
		if (!argv[i][strspn(argv[i], "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,=:+@%")] &&
		    argv[i][0]) {
			q = stpcpy(q, argv[i]);
			continue;
		}
		*q++ = '\'';
		for (p = argv[i]; *p; p++)
			if (*p == '\'')
				q = stpcpy(q, "'\\''");
			else
				*q++ = *p;
		*q++ = '\'';
	}
	*q = '\0';
	return s;
}
