/* Inside the model module: what model.c, model_file.c and model_trees.c
 * share.  A kind of model is a row of one table: its name, its margin,
 * and how its body (what follows the common members) is read and
 * written. */
#ifndef CMT_MODEL_INT_H
#define CMT_MODEL_INT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "cmt_model.h"

/* What the common members of a file say, before the body is read. */
struct model_head {
	char names[CMT_FEAT_N][CMT_MODEL_FEATNAME_MAX];
	int nnames;                 /* the set's features, 1 to CMT_FEAT_N */
	int input[CMT_FEAT_N], ninput;
	const char *kind;
};

struct model_kind {
	const char *name;
	double (*margin)(struct cmt_model *m, const double *x);
	/* Read the body of doc into a new *out (its kind, inputs and
	 * feature names set from h); on error *out stays NULL. */
	enum cmt_err (*parse)(const cJSON *doc, const struct model_head *h,
		struct cmt_model **out, char *err);
	void (*write)(const struct cmt_model *m, FILE *f);
};

/* The kind called name, or NULL. */
const struct model_kind *cmt_model_kind(const char *name);

/* Dense kinds (model.c, model_file.c) and trees (model_trees.c). */
double cmt_model_dense_margin(struct cmt_model *m, const double *x);
double cmt_trees_margin(struct cmt_model *m, const double *x);
enum cmt_err cmt_dense_parse(const cJSON *doc, const struct model_head *h,
	struct cmt_model **out, char *err);
void cmt_dense_write(const struct cmt_model *m, FILE *f);
enum cmt_err cmt_trees_parse(const cJSON *doc, const struct model_head *h,
	struct cmt_model **out, char *err);
void cmt_trees_write(const struct cmt_model *m, FILE *f);

/* Shared by the readers: an array of n finite numbers (n < 0: any length
 * >= 1, stored in *got) into dst (may be NULL); a string member; an input
 * name's position in h->names, or -1 when it is not one of h's inputs. */
enum cmt_err cmt_model_numbers(const cJSON *a, double *dst, int n, int *got,
	const char *what, char *err);
const char *cmt_model_string(const cJSON *o, const char *key,
	const char *where, char *err, enum cmt_err *e);
int cmt_model_input_named(const struct model_head *h, const char *name);

/* Writers: numbers with 17 digits, a JSON string. */
void cmt_model_put_numbers(FILE *f, const double *x, int n, size_t stride);
void cmt_model_put_string(FILE *f, const char *s);

#endif
