/* The reports of the paired comparison (cmt-backtest --vs), text and
 * JSON, after cmt_bt_vs_finish.  The strings they return are malloc'd;
 * the caller frees them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_fmt.h"
#include "cmt_strbuf.h"
#include "report_int.h"

/* The differences the report gives, and how each interval is made. */
static const struct {
	const char *key, *method;
	size_t off;
} diffs[] = {
	{ "auc", "paired DeLong",
		offsetof(struct cmt_bt_paired, auc) },
	{ "logloss", "mean of per-row differences, normal interval",
		offsetof(struct cmt_bt_paired, logloss) },
	{ "brier", "mean of per-row differences, normal interval",
		offsetof(struct cmt_bt_paired, brier) },
	{ "accuracy", "mean of per-row differences, normal interval",
		offsetof(struct cmt_bt_paired, accuracy) },
};
#define NDIFF (sizeof diffs / sizeof diffs[0])

static const struct cmt_bt_diff *
diff_at(const struct cmt_bt_paired *r, size_t i)
{
	return (const struct cmt_bt_diff *)((const char *)r + diffs[i].off);
}

/* Fixed-point for the text table; "-" when undefined. */
static const char *
fx(char *buf, double x, int width, int prec, int sign)
{
	if (isnan(x))
		snprintf(buf, 32, "%*s", width, "-");
	else
		snprintf(buf, 32, sign ? "%+*.*f" : "%*.*f", width, prec, x);
	return buf;
}

/* A p-value: four decimals, or its magnitude when smaller. */
static const char *
pval(char *buf, double p)
{
	if (isnan(p))
		snprintf(buf, 32, "%10s", "-");
	else if (p < 1e-4)
		snprintf(buf, 32, "%10.1e", p);
	else
		snprintf(buf, 32, "%10.4f", p);
	return buf;
}

char *
cmt_bt_vs_format_text(const struct cmt_bt_vs *vs, const char *const name[2])
{
	const struct cmt_bt_paired *r = cmt_bt_vs_result(vs);
	static const char *const side[2] = { "input", "other" };
	struct cmt_strbuf b = { 0 };
	char a[8][32], ci[64];
	size_t i;
	int k;

	cmt_strbuf_printf(&b, "paired comparison, input minus other on the "
		"same rows (symbol and t)\n");
	for (k = 0; k < 2; k++)
		cmt_strbuf_printf(&b, "  %-6s %s: model %s; %zu vectors, %zu "
			"partial skipped, %zu not in the %s\n", side[k], name[k],
			cmt_bt_vs_model(vs, k), r->lines[k], r->partial[k],
			r->only[k], side[!k]);
	cmt_strbuf_printf(&b, "rows in both %zu: scored %zu; not scored: %zu "
		"(y null or absent, or no p_up, on a side), %zu with labels "
		"that differ\n\n", r->matched, r->n, r->unscored,
		r->labels_differ);
	cmt_strbuf_printf(&b, "%-8s %8s %8s %8s  %-18s %8s %8s\n", "scores",
		"n", "accuracy", "auc", "auc 95% (DeLong)", "logloss", "brier");
	for (k = 0; k < 2; k++) {
		const struct cmt_bt_scores *s = &r->side[k];

		if (!isnan(s->auc_lo))
			snprintf(ci, sizeof ci, "[%.4f, %.4f]", s->auc_lo,
				s->auc_hi);
		else
			snprintf(ci, sizeof ci, "%s", "");
		cmt_strbuf_printf(&b, "  %-6s %8zu %8s %8s  %-18s %8s %8s\n",
			side[k], s->m.n, fx(a[0], s->m.accuracy, 8, 4, 0),
			fx(a[1], s->m.auc, 8, 4, 0), ci,
			fx(a[2], s->m.logloss, 8, 4, 0),
			fx(a[3], s->m.brier, 8, 4, 0));
	}
	cmt_strbuf_printf(&b, "\ndifference    input - other   95%% "
		"interval             z          p\n");
	for (i = 0; i < NDIFF; i++) {
		const struct cmt_bt_diff *d = diff_at(r, i);

		cmt_strbuf_printf(&b, "  %-10s %12s   [%s, %s] %8s %10s\n",
			diffs[i].key, fx(a[0], d->diff, 12, 6, 1),
			fx(a[1], d->lo, 9, 6, 1), fx(a[2], d->hi, 9, 6, 1),
			fx(a[3], d->z, 8, 3, 0), pval(a[4], d->p));
	}
	cmt_strbuf_printf(&b, "\nauc: DeLong's paired variance; the others: "
		"the mean of the per-row differences,\n+-1.96 standard errors "
		"(normal); p two-sided; rows taken as independent\n");
	return cmt_strbuf_take(&b);
}

/* A number with every digit (null when not finite). */
static const char *
num17(char *buf, double x)
{
	cmt_fmt_double(buf, x, 17);
	return buf;
}

static void
json_name(struct cmt_strbuf *b, const char *s)
{
	size_t n = strlen(s);
	char *q = malloc(6 * n + 3);

	if (!q) {
		b->failed = 1;
		return;
	}
	cmt_fmt_string(q, s, n);
	cmt_strbuf_printf(b, "%s", q);
	free(q);
}

char *
cmt_bt_vs_format_json(const struct cmt_bt_vs *vs, const char *const name[2])
{
	const struct cmt_bt_paired *r = cmt_bt_vs_result(vs);
	static const char *const side[2] = { "input", "other" };
	struct cmt_strbuf b = { 0 };
	char a[8][32];
	size_t i;
	int k;

	cmt_strbuf_printf(&b, "{");
	for (k = 0; k < 2; k++) {
		const struct cmt_bt_scores *s = &r->side[k];
		const char *model = cmt_bt_vs_model(vs, k);

		cmt_strbuf_printf(&b, "\"%s\":{\"name\":", side[k]);
		json_name(&b, name[k]);
		if (strcmp(model, "-") != 0)
			cmt_strbuf_printf(&b, ",\"model\":\"%s\"", model);
		else
			cmt_strbuf_printf(&b, ",\"model\":null");
		cmt_strbuf_printf(&b, ",\"vectors\":%zu,\"partial\":%zu,"
			"\"only\":%zu,\"n\":%zu,\"accuracy\":%s,\"auc\":%s,"
			"\"auc_lo\":%s,\"auc_hi\":%s,\"logloss\":%s,\"brier\":%s},",
			r->lines[k], r->partial[k], r->only[k], s->m.n,
			num17(a[0], s->m.accuracy), num17(a[1], s->m.auc),
			num17(a[2], s->auc_lo), num17(a[3], s->auc_hi),
			num17(a[4], s->m.logloss), num17(a[5], s->m.brier));
	}
	cmt_strbuf_printf(&b, "\"rows\":{\"matched\":%zu,\"scored\":%zu,"
		"\"up\":%zu,\"unscored\":%zu,\"labels_differ\":%zu},\"diff\":{",
		r->matched, r->n, r->n_up, r->unscored, r->labels_differ);
	for (i = 0; i < NDIFF; i++) {
		const struct cmt_bt_diff *d = diff_at(r, i);

		cmt_strbuf_printf(&b, "%s\"%s\":{\"diff\":%s,\"se\":%s,\"lo\":%s,"
			"\"hi\":%s,\"z\":%s,\"p\":%s,\"method\":\"%s\"}",
			i ? "," : "", diffs[i].key, num17(a[0], d->diff),
			num17(a[1], d->se), num17(a[2], d->lo),
			num17(a[3], d->hi), num17(a[4], d->z),
			num17(a[5], d->p), diffs[i].method);
	}
	cmt_strbuf_printf(&b, "}}\n");
	return cmt_strbuf_take(&b);
}
