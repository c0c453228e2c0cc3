/* Where a model named on the command line is: $CMT_MODEL, the install
 * and build-tree directories found from the executable's path, or a path
 * used as given.  Paths go to the caller's buffers; the model loaded to
 * read its feature set (or its warm-up) is freed before returning. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmt_features.h"
#include "cmt_model.h"

#ifndef CMT_DATADIR
#define CMT_DATADIR "/usr/local/share/cmt"
#endif

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

enum cmt_err
cmt_model_resolve(const char *name_or_path, char *out, size_t cap)
{
	char exe[PATH_MAX], dirs[3][PATH_MAX + 32], tried[3 * PATH_MAX + 256];
	const char *name = name_or_path, *env;
	ssize_t n;
	size_t used = 0;
	int i, ndirs = 0;

	if (!name || strcmp(name, "default") == 0) {
		name = "default";
		if ((env = getenv("CMT_MODEL")) && *env) {
			if (strlen(env) >= cap)
				goto toolong;
			strcpy(out, env);
			return CMT_OK;
		}
	} else if (strchr(name, '/') || is_file(name)) {
		if (strlen(name) >= cap)
			goto toolong;
		strcpy(out, name);
		return CMT_OK;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(dirs[ndirs++], sizeof dirs[0], "%s/../share/cmt", exe);
	}
	snprintf(dirs[ndirs++], sizeof dirs[0], "%s", CMT_DATADIR);
	if (n > 0)
		snprintf(dirs[ndirs++], sizeof dirs[0], "%s/../../model", exe);
	tried[0] = '\0';
	for (i = 0; i < ndirs; i++) {
		if ((size_t)snprintf(out, cap, "%s/%s.json", dirs[i], name) >= cap)
			goto toolong;
		if (is_file(out))
			return CMT_OK;
		used += (size_t)snprintf(tried + used, sizeof tried - used, "%s%s",
			i ? ", " : "", out);
	}
	snprintf(out, cap, "no model '%s' found (tried %s%s)", name, tried,
		strcmp(name, "default") == 0 ? "; set CMT_MODEL" : "");
	return CMT_EMISSING;
toolong:
	snprintf(out, cap, "model path too long");
	return CMT_ETOOLONG;
}

enum cmt_err
cmt_model_feature_set(const char *name_or_path, char *fs, size_t cap,
	char *err)
{
	char path[PATH_MAX];
	struct cmt_model *m;
	enum cmt_err e;

	if ((e = cmt_model_resolve(name_or_path, path, sizeof path)))
		return cmt_errf(err, e, "%s", path);
	if ((e = cmt_model_load(path, &m, err))) {
		char why[CMT_ERRLEN];

		snprintf(why, sizeof why, "%s", err ? err : "");
		return cmt_errf(err, e, "%s: %s", path, why);
	}
	if (strlen(m->fs) >= cap)
		e = cmt_errf(err, CMT_ETOOLONG, "feature-set id too long");
	else
		strcpy(fs, m->fs);
	cmt_model_free(m);
	return e;
}

int64_t
cmt_model_warmup_ms(const char *name_or_path)
{
	char path[PATH_MAX], err[CMT_ERRLEN];
	struct cmt_feature_set fs;
	struct cmt_model *m;
	int lb[CMT_FEAT_N], steps, i, k;
	int64_t ms = 0;

	if (cmt_model_resolve(name_or_path, path, sizeof path) ||
	    cmt_model_load(path, &m, err))
		return 0;
	if (cmt_fs_parse_id(m->fs, &fs, err) == CMT_OK) {
		/* no vector before the base warm-up; then the model waits for
		 * the longest window among the inputs it cannot score null */
		cmt_fs_lookbacks(&fs, lb);
		steps = cmt_fs_warmup_steps(&fs);
		for (i = 0; i < m->ninput; i++) {
			k = m->input[i];
			if (!m->nullable[k] && lb[k] > steps)
				steps = lb[k];
		}
		ms = (int64_t)steps * fs.step_ms;
	}
	cmt_model_free(m);
	return ms;
}
