/* The models a scorer tries in order (cmt-predict -m ... -m ...), kept with
 * the files they came from so that they can be reloaded, all of them or
 * none: a reload that finds a file missing, invalid, or of another
 * feature set or feature names than the running models keeps the old
 * models, so the stream is never scored by a mix.  The set owns its
 * models (cmt_modelset_free). */
#ifndef CMT_MODELSET_H
#define CMT_MODELSET_H

#include <limits.h>

#include "cmt_model.h"

#define CMT_MODELSET_MAX 8

struct cmt_modelset {
	int n;
	struct cmt_model *m[CMT_MODELSET_MAX];
	char path[CMT_MODELSET_MAX][PATH_MAX];
};

/* Resolve name_or_path (cmt_model_resolve), load it and append it.
 * CMT_ELIMIT past CMT_MODELSET_MAX; a failure to resolve or load, with
 * err naming the file.  Whether the models agree on a feature set is the
 * caller's to check. */
enum cmt_err cmt_modelset_add(struct cmt_modelset *s,
	const char *name_or_path, char *err);

/* Load every file again; on success the new models replace the old ones
 * (freed), on any failure nothing changes and err says which file and
 * why. */
enum cmt_err cmt_modelset_reload(struct cmt_modelset *s, char *err);

void cmt_modelset_free(struct cmt_modelset *s);

#endif
