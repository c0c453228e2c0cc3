/* The venues cmt-fetch knows, one line each; the first is the default.
 * Adding a venue: a file in lib/source/ defining its struct cmt_source,
 * and its line here. */
#include <stdio.h>
#include <string.h>

#include "cmt_source.h"

extern const struct cmt_source cmt_source_coingecko, cmt_source_binance,
	cmt_source_coinbase, cmt_source_kraken, cmt_source_okx;

static const struct cmt_source *const sources[] = {
	&cmt_source_coingecko,
	&cmt_source_binance,
	&cmt_source_coinbase,
	&cmt_source_kraken,
	&cmt_source_okx,
};

#define NSOURCES ((int)(sizeof sources / sizeof sources[0]))

int
cmt_source_count(void)
{
	return NSOURCES;
}

const struct cmt_source *
cmt_source_at(int i)
{
	return i >= 0 && i < NSOURCES ? sources[i] : NULL;
}

const struct cmt_source *
cmt_source_find(const char *name)
{
	int i;

	for (i = 0; i < NSOURCES; i++)
		if (strcmp(name, sources[i]->name) == 0)
			return sources[i];
	return NULL;
}

enum cmt_err
cmt_source_parse(const char *name, const struct cmt_source **src, char *err)
{
	char names[256];

	if ((*src = cmt_source_find(name)))
		return CMT_OK;
	return cmt_errf(err, CMT_EVALUE, "unknown source '%s' (%s)", name,
		cmt_source_list(names, sizeof names, NULL, ", ", ", "));
}

int
cmt_source_has_stream(const struct cmt_source *s)
{
	return s->subscribe != NULL && s->parse_message != NULL;
}

int
cmt_source_has_key(const struct cmt_source *s)
{
	return s->key_header != NULL;
}

int
cmt_source_has_pro(const struct cmt_source *s)
{
	return s->pro_key_header != NULL;
}

int
cmt_source_has_history(const struct cmt_source *s)
{
	return s->history_url != NULL && s->history_keep_ms == 0;
}

char *
cmt_source_list(char *buf, size_t cap, int (*has)(const struct cmt_source *),
	const char *sep, const char *last_sep)
{
	size_t n = 0;
	int i, k = 0, total = 0;

	for (i = 0; i < NSOURCES; i++)
		total += !has || has(sources[i]);
	buf[0] = '\0';
	for (i = 0; i < NSOURCES && n < cap; i++) {
		if (has && !has(sources[i]))
			continue;
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", k == 0 ? "" :
			k == total - 1 ? last_sep : sep, sources[i]->name);
		k++;
	}
	return buf;
}

const char *
cmt_source_rest_url(const struct cmt_source *s, int pro)
{
	return pro && s->pro_rest_url ? s->pro_rest_url : s->rest_url;
}

char *
cmt_source_quotes(char *buf, size_t cap)
{
	const char *q;
	size_t n;
	int i, j, k;

	n = (size_t)snprintf(buf, cap, "%s", sources[0]->quote);
	for (i = 1; i < NSOURCES; i++) {
		q = sources[i]->quote;
		for (j = 0; j < i; j++)
			if (strcmp(sources[j]->quote, q) == 0)
				break;
		if (j < i)
			continue;       /* listed with its first venue */
		for (k = i; k < NSOURCES && n < cap; k++)
			if (strcmp(sources[k]->quote, q) == 0)
				n += (size_t)snprintf(buf + n, cap - n, "%s%s",
					k == i ? "; " : ", ", sources[k]->name);
		if (n < cap)
			n += (size_t)snprintf(buf + n, cap - n, " %s", q);
	}
	return buf;
}
