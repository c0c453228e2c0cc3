/* A scorer's models and their reload, all or none.  See cmt_modelset.h. */
#include <string.h>

#include "cmt_modelset.h"

/* b can take a's place in a running stream: the same feature set and the
 * same feature names in the same order (the decoder checks them by
 * position). */
static int
same_vectors(const struct cmt_model *a, const struct cmt_model *b)
{
	return strcmp(a->fs, b->fs) == 0 &&
	    memcmp(a->feature, b->feature, sizeof a->feature) == 0;
}

enum cmt_err
cmt_modelset_add(struct cmt_modelset *s, const char *name_or_path,
	char *err)
{
	char *path, why[CMT_ERRLEN];
	struct cmt_model *m;
	enum cmt_err e;

	if (s->n == CMT_MODELSET_MAX)
		return cmt_errf(err, CMT_ELIMIT, "at most %d models",
			CMT_MODELSET_MAX);
	path = s->path[s->n];
	if ((e = cmt_model_resolve(name_or_path, path, PATH_MAX)))
		return cmt_errf(err, e, "%s", path);
	if ((e = cmt_model_load(path, &m, why)))
		return cmt_errf(err, e, "model %s: %s", path, why);
	s->m[s->n++] = m;
	return CMT_OK;
}

enum cmt_err
cmt_modelset_reload(struct cmt_modelset *s, char *err)
{
	struct cmt_model *fresh[CMT_MODELSET_MAX];
	char why[CMT_ERRLEN];
	enum cmt_err e = CMT_OK;
	int i, k;

	for (i = 0; i < s->n && !e; i++) {
		if ((e = cmt_model_load(s->path[i], &fresh[i], why))) {
			cmt_errf(err, e, "model %s: %s", s->path[i], why);
			break;
		}
		if (!same_vectors(fresh[i], s->m[i])) {
			e = cmt_errf(err, CMT_EMISMATCH, "model %s: its feature "
				"set or names differ from the running model's",
				s->path[i]);
			cmt_model_free(fresh[i]);
			break;
		}
	}
	if (e) {
		for (k = 0; k < i; k++)
			cmt_model_free(fresh[k]);
		return e;
	}
	for (i = 0; i < s->n; i++) {
		cmt_model_free(s->m[i]);
		s->m[i] = fresh[i];
	}
	return CMT_OK;
}

void
cmt_modelset_free(struct cmt_modelset *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		cmt_model_free(s->m[i]);
	s->n = 0;
}
