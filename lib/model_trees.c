/* The "trees" kind: a sum of regression trees (gradient boosting, as
 * XGBoost trains them) over the raw features, plus a base margin.  Its
 * body in the model file (reading it, every node checked; writing it) and
 * its margin.  Features and thresholds are compared in single precision,
 * as XGBoost stores and compares them, so a model converted from XGBoost
 * gives XGBoost's own margins.  The nodes belong to the model
 * (cmt_model_free). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

enum cmt_err
cmt_model_create_trees(int ntrees, size_t nnodes, struct cmt_model **out,
	char *err)
{
	struct cmt_model *m;
	int i;

	*out = NULL;
	if (ntrees < 1 || ntrees > CMT_MODEL_MAX_TREES)
		return cmt_errf(err, CMT_ELIMIT, "%d trees, expected 1 to %d",
			ntrees, CMT_MODEL_MAX_TREES);
	if (nnodes < (size_t)ntrees || nnodes > CMT_MODEL_MAX_NODES)
		return cmt_errf(err, CMT_ELIMIT, "%zu nodes, expected %d to %d",
			nnodes, ntrees, CMT_MODEL_MAX_NODES);
	if (!(m = calloc(1, sizeof *m)) ||
	    !(m->root = calloc((size_t)ntrees, sizeof *m->root)) ||
	    !(m->node = calloc(nnodes, sizeof *m->node))) {
		if (m)
			free(m->root);
		free(m);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	strcpy(m->kind, "trees");
	strcpy(m->name, "trees");
	m->margin_fn = cmt_trees_margin;
	m->ntrees = ntrees;
	m->nnodes = nnodes;
	m->nparams = nnodes;
	for (i = 0; i < CMT_FEAT_N; i++)
		m->std[i] = 1;
	*out = m;
	return CMT_OK;
}

/* Each tree from its root down: x < v goes to yes, else to no, null to
 * miss. */
static double
walk_nodes(const struct cmt_model *m, const float *xf)
{
	const struct cmt_tnode *base, *n;
	double sum = m->base_margin;
	int i;

	for (i = 0; i < m->ntrees; i++) {
		base = n = m->node + m->root[i];
		while (!n->leaf) {
			float v = xf[n->feat];
			int32_t next = v < n->v ? n->yes : n->no;

			n = base + (v != v ? n->miss : next);
		}
		sum += n->v;
	}
	return sum;
}

#define FLAT_LANES 8   /* trees walked side by side */

/* One step down: to the right child unless x is below the threshold
 * (with nulls: where the split was taught to send a null when x is
 * null). */
#define STEP(n, i) (2 * (i) + 1 + (size_t)!(xf[(n)[i].feat] < (n)[i].thr))
#define STEP_NULL(n, i) (2 * (i) + 1 + (size_t)((unsigned)!(xf[(n)[i].feat] < \
	(n)[i].thr) ^ ((unsigned)(xf[(n)[i].feat] != xf[(n)[i].feat]) & \
	(1u ^ (n)[i].right_if_null))))

/* The same walk on the perfect trees: d steps per tree, each child index
 * computed, not branched to, and FLAT_LANES trees at a time so that their
 * loads overlap.  The leaves are added in tree order, as walk_nodes adds
 * them: the same sum, bit for bit.  Written twice: without nulls in the
 * vector (the usual case) a step is a load and a compare. */
#define WALK_FLAT(name, STEP)						\
static double								\
name(const struct cmt_model *m, const float *xf)			\
{									\
	const int d = m->flat_depth;					\
	const size_t ns = ((size_t)1 << d) - 1, nl = (size_t)1 << d;	\
	const struct cmt_flat_node *n = m->flat_node;			\
	const float *leaf = m->flat_leaf;				\
	double sum = m->base_margin;					\
	int t = 0, level;						\
									\
	for (; t + FLAT_LANES <= m->ntrees; t += FLAT_LANES) {		\
		const struct cmt_flat_node *n0 = n + (size_t)t * ns,	\
		    *n1 = n0 + ns, *n2 = n1 + ns, *n3 = n2 + ns,		\
		    *n4 = n3 + ns, *n5 = n4 + ns, *n6 = n5 + ns,		\
		    *n7 = n6 + ns;					\
		const float *l0 = leaf + (size_t)t * nl - ns;		\
		size_t i0 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0, i5 = 0,	\
		    i6 = 0, i7 = 0;					\
									\
		for (level = 0; level < d; level++) {			\
			i0 = STEP(n0, i0); i1 = STEP(n1, i1);		\
			i2 = STEP(n2, i2); i3 = STEP(n3, i3);		\
			i4 = STEP(n4, i4); i5 = STEP(n5, i5);		\
			i6 = STEP(n6, i6); i7 = STEP(n7, i7);		\
		}							\
		sum += l0[i0];						\
		sum += l0[nl + i1];					\
		sum += l0[2 * nl + i2];					\
		sum += l0[3 * nl + i3];					\
		sum += l0[4 * nl + i4];					\
		sum += l0[5 * nl + i5];					\
		sum += l0[6 * nl + i6];					\
		sum += l0[7 * nl + i7];					\
	}								\
	for (; t < m->ntrees; t++) {					\
		const struct cmt_flat_node *nt = n + (size_t)t * ns;	\
		size_t j = 0;						\
									\
		for (level = 0; level < d; level++)			\
			j = STEP(nt, j);				\
		sum += leaf[(size_t)t * nl + j - ns];			\
	}								\
	return sum;							\
}

WALK_FLAT(walk_flat, STEP)
WALK_FLAT(walk_flat_null, STEP_NULL)

/* The inputs are rounded to single precision once per vector. */
double
cmt_trees_margin(struct cmt_model *m, const double *x)
{
	float xf[CMT_FEAT_N];
	int i, nulls = 0;

	for (i = 0; i < m->ninput; i++) {
		xf[m->input[i]] = (float)x[m->input[i]];
		nulls |= x[m->input[i]] != x[m->input[i]];
	}
	if (!m->flat_depth)
		return walk_nodes(m, xf);
	return nulls ? walk_flat_null(m, xf) : walk_flat(m, xf);
}

/* ---- checking and laying out ---- */

/* Every node but the root has exactly one parent: with children after
 * parents, the nodes form one tree.  Its depth into *depth. */
static enum cmt_err
check_tree(const struct cmt_tnode *nd, int n, int t, int *depth, char *err)
{
	unsigned char *parents = calloc((size_t)n, 1);
	int *level = calloc((size_t)n, sizeof *level);
	enum cmt_err e = CMT_OK;
	int i;

	*depth = 0;
	if (!parents || !level) {
		free(parents);
		free(level);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	for (i = 0; i < n && !e; i++) {
		if (nd[i].leaf)
			continue;
		if (nd[i].yes <= i || nd[i].no <= i || nd[i].yes >= n ||
		    nd[i].no >= n || nd[i].yes == nd[i].no ||
		    (nd[i].miss != nd[i].yes && nd[i].miss != nd[i].no)) {
			e = cmt_errf(err, CMT_EVALUE, "tree %d, node %d: children "
				"must be two later nodes of the tree", t, i);
			break;
		}
		parents[nd[i].yes]++;
		parents[nd[i].no]++;
		level[nd[i].yes] = level[nd[i].no] = level[i] + 1;
		if (level[i] + 1 > *depth)
			*depth = level[i] + 1;
	}
	for (i = 1; i < n && !e; i++)
		if (parents[i] != 1)
			e = cmt_errf(err, CMT_EVALUE, "tree %d, node %d: %s", t, i,
				parents[i] ? "has two parents" :
				"is reached from no node");
	free(parents);
	free(level);
	return e;
}

/* Node k of a tree at position i of its perfect tree of depth d, level
 * levels down: a leaf above the bottom fills its whole subtree, every
 * split in it reading the first input (either way, the same leaf). */
static void
place(const struct cmt_model *m, const struct cmt_tnode *nd, int k,
	size_t i, int level, size_t tree)
{
	const int d = m->flat_depth;
	const size_t ns = ((size_t)1 << d) - 1, nl = (size_t)1 << d;
	size_t lo, hi, j;

	if (level == d) {
		m->flat_leaf[tree * nl + i - ns] = nd[k].v;
		return;
	}
	if (!nd[k].leaf) {
		m->flat_node[tree * ns + i].feat = nd[k].feat;
		m->flat_node[tree * ns + i].thr = nd[k].v;
		m->flat_node[tree * ns + i].right_if_null = nd[k].miss == nd[k].no;
		place(m, nd, nd[k].yes, 2 * i + 1, level + 1, tree);
		place(m, nd, nd[k].no, 2 * i + 2, level + 1, tree);
		return;
	}
	/* the leaf's subtree: positions lo..hi on each level below */
	for (lo = hi = i; level < d; level++) {
		for (j = lo; j <= hi; j++)
			m->flat_node[tree * ns + j].feat = (uint16_t)m->input[0];
		lo = 2 * lo + 1;
		hi = 2 * hi + 2;
	}
	for (j = lo; j <= hi; j++)
		m->flat_leaf[tree * nl + j - ns] = nd[k].v;
}

enum cmt_err
cmt_model_finish_trees(struct cmt_model *m, char *err)
{
	size_t ns, nl;
	enum cmt_err e;
	int t, n, depth, maxdepth = 0, i;

	for (t = 0; t < m->ntrees; t++) {
		n = (int)((t + 1 < m->ntrees ? (size_t)m->root[t + 1] :
		    m->nnodes) - (size_t)m->root[t]);
		if ((e = check_tree(m->node + m->root[t], n, t, &depth, err)))
			return e;
		for (i = 0; i < n; i++)
			if (!m->node[m->root[t] + i].leaf &&
			    m->node[m->root[t] + i].feat >= CMT_FEAT_N)
				return cmt_errf(err, CMT_EVALUE, "tree %d, node %d: "
					"no such feature", t, i);
		if (depth > maxdepth)
			maxdepth = depth;
	}
	free(m->flat_node);
	free(m->flat_leaf);
	m->flat_node = NULL;
	m->flat_leaf = NULL;
	m->flat_depth = 0;
	if (maxdepth > CMT_MODEL_FLAT_DEPTH)
		return CMT_OK;       /* the node walk does it */
	/* depth 0 (every tree a leaf) walks as depth 1 */
	m->flat_depth = maxdepth ? maxdepth : 1;
	ns = ((size_t)1 << m->flat_depth) - 1;
	nl = (size_t)1 << m->flat_depth;
	if (!(m->flat_node = calloc((size_t)m->ntrees * ns,
	    sizeof *m->flat_node)) ||
	    !(m->flat_leaf = calloc((size_t)m->ntrees * nl,
	    sizeof *m->flat_leaf))) {
		m->flat_depth = 0;
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	for (t = 0; t < m->ntrees; t++)
		place(m, m->node + m->root[t], 0, 0, 0, (size_t)t);
	return CMT_OK;
}

/* ---- reading ---- */

static enum cmt_err
node_int(const cJSON *o, const char *key, int self, int n, int32_t *out,
	const char *where, char *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
		return cmt_errf(err, v ? CMT_ETYPE : CMT_EMISSING,
			"%s\"%s\" is %s", where, key, v ? "not a whole number" :
			"missing");
	if (!(v->valuedouble > self) || !(v->valuedouble < n))
		return cmt_errf(err, CMT_EVALUE, "%s\"%s\" is %g: a child must be "
			"a later node of the same tree (%d to %d)", where, key,
			v->valuedouble, self + 1, n - 1);
	*out = (int32_t)v->valuedouble;
	return CMT_OK;
}

/* A number that single precision holds (finite as a float). */
static enum cmt_err
node_float(const cJSON *o, const char *key, float *out, const char *where,
	char *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return cmt_errf(err, v ? CMT_ETYPE : CMT_EMISSING,
			"%s\"%s\" is %s", where, key, v ? "not a number" : "missing");
	if (!(fabs(v->valuedouble) <= FLT_MAX))
		return cmt_errf(err, CMT_ERANGE, "%s\"%s\" is not a finite "
			"single-precision number", where, key);
	*out = (float)v->valuedouble;
	return CMT_OK;
}

static enum cmt_err
parse_node(const cJSON *o, const struct model_head *h, int self, int n,
	struct cmt_tnode *nd, const char *where, char *err)
{
	const char *s;
	enum cmt_err e = CMT_OK;
	int k;

	if (!cJSON_IsObject(o))
		return cmt_errf(err, CMT_ETYPE, "%sis not an object", where);
	if (cJSON_GetObjectItemCaseSensitive(o, "leaf")) {
		if (cJSON_GetArraySize(o) != 1)
			return cmt_errf(err, CMT_EVALUE,
				"%sa leaf has \"leaf\" and nothing else", where);
		nd->leaf = 1;
		return node_float(o, "leaf", &nd->v, where, err);
	}
	if (cJSON_GetArraySize(o) != 5)
		return cmt_errf(err, CMT_EVALUE, "%sa split has \"split\", \"lt\", "
			"\"yes\", \"no\" and \"missing\", and nothing else", where);
	if (!(s = cmt_model_string(o, "split", where, err, &e)))
		return e;
	if ((k = cmt_model_input_named(h, s)) < 0)
		return cmt_errf(err, CMT_EMISMATCH,
			"%s\"split\" '%.40s' is not one of \"inputs\"", where, s);
	nd->feat = (uint16_t)k;
	if ((e = node_float(o, "lt", &nd->v, where, err)) ||
	    (e = node_int(o, "yes", self, n, &nd->yes, where, err)) ||
	    (e = node_int(o, "no", self, n, &nd->no, where, err)))
		return e;
	if (nd->yes == nd->no)
		return cmt_errf(err, CMT_EVALUE, "%s\"yes\" and \"no\" are the "
			"same node", where);
	if (!(s = cmt_model_string(o, "missing", where, err, &e)))
		return e;
	if (strcmp(s, "yes") != 0 && strcmp(s, "no") != 0)
		return cmt_errf(err, CMT_EVALUE,
			"%s\"missing\" is '%.40s', not 'yes' or 'no'", where, s);
	nd->miss = s[0] == 'y' ? nd->yes : nd->no;
	return CMT_OK;
}

static enum cmt_err
parse_nullable(const cJSON *doc, const struct model_head *h,
	struct cmt_model *m, char *err)
{
	const cJSON *v, *a = cJSON_GetObjectItemCaseSensitive(doc,
	    "nullable_inputs");
	int k, i = 0;

	if (!a)
		return CMT_OK;
	if (!cJSON_IsArray(a))
		return cmt_errf(err, CMT_ETYPE,
			"\"nullable_inputs\" is not an array");
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsString(v) ||
		    (k = cmt_model_input_named(h, v->valuestring)) < 0)
			return cmt_errf(err, CMT_EMISMATCH,
				"\"nullable_inputs\"[%d] is not one of \"inputs\"", i);
		if (m->nullable[k])
			return cmt_errf(err, CMT_EVALUE,
				"\"nullable_inputs\" names '%.40s' twice",
				v->valuestring);
		m->nullable[k] = 1;
		i++;
	}
	return CMT_OK;
}

enum cmt_err
cmt_trees_parse(const cJSON *doc, const struct model_head *h,
	struct cmt_model **out, char *err)
{
	const cJSON *trees = cJSON_GetObjectItemCaseSensitive(doc, "trees");
	const cJSON *v, *t, *o;
	struct cmt_model *m = NULL;
	size_t total = 0, at = 0;
	char where[64];
	int nt, i, n, k;
	enum cmt_err e;

	*out = NULL;
	if (cJSON_GetObjectItemCaseSensitive(doc, "layers") ||
	    cJSON_GetObjectItemCaseSensitive(doc, "standardize"))
		return cmt_errf(err, CMT_EVALUE, "a trees model has no \"layers\" "
			"nor \"standardize\"");
	if (!cJSON_IsArray(trees))
		return cmt_errf(err, trees ? CMT_ETYPE : CMT_EMISSING,
			"\"trees\" is %s", trees ? "not an array" : "missing");
	nt = cJSON_GetArraySize(trees);
	i = 0;
	cJSON_ArrayForEach(t, trees) {
		if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) < 1)
			return cmt_errf(err, CMT_ETYPE,
				"tree %d is not a non-empty array of nodes", i);
		total += (size_t)cJSON_GetArraySize(t);
		i++;
	}
	if ((e = cmt_model_create_trees(nt, total, &m, err)))
		return e;
	memcpy(m->feature, h->names, sizeof h->names);
	memcpy(m->input, h->input, sizeof h->input);
	m->ninput = h->ninput;
	v = cJSON_GetObjectItemCaseSensitive(doc, "base_margin");
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
		e = cmt_errf(err, v ? CMT_EVALUE : CMT_EMISSING,
			"\"base_margin\" is %s", v ? "not a finite number" :
			"missing");
		goto fail;
	}
	m->base_margin = v->valuedouble;
	if ((e = parse_nullable(doc, h, m, err)))
		goto fail;
	i = 0;
	cJSON_ArrayForEach(t, trees) {
		n = cJSON_GetArraySize(t);
		m->root[i] = (int32_t)at;
		k = 0;
		cJSON_ArrayForEach(o, t) {
			snprintf(where, sizeof where, "tree %d, node %d: ", i, k);
			if ((e = parse_node(o, h, k, n, &m->node[at + (size_t)k],
			    where, err)))
				goto fail;
			k++;
		}
		at += (size_t)n;
		i++;
	}
	if ((e = cmt_model_finish_trees(m, err)))
		goto fail;
	*out = m;
	return CMT_OK;
fail:
	cmt_model_free(m);
	return e;
}

/* ---- writing ---- */

void
cmt_trees_write(const struct cmt_model *m, FILE *f)
{
	const struct cmt_tnode *nd;
	int i, k, n, first = 1;

	fputs("\t\"nullable_inputs\": [", f);
	for (i = 0; i < m->ninput; i++)
		if (m->nullable[m->input[i]]) {
			fputs(first ? "" : ", ", f);
			cmt_model_put_string(f, m->feature[m->input[i]]);
			first = 0;
		}
	fprintf(f, "],\n\t\"base_margin\": %.17g,\n\t\"trees\": [", m->base_margin);
	for (i = 0; i < m->ntrees; i++) {
		nd = m->node + m->root[i];
		n = (int)((i + 1 < m->ntrees ? (size_t)m->root[i + 1] : m->nnodes) -
		    (size_t)m->root[i]);
		fputs(i ? ",\n\t\t[" : "\n\t\t[", f);
		for (k = 0; k < n; k++) {
			fputs(k ? ", " : "", f);
			/* 9 digits give a float back exactly */
			if (nd[k].leaf) {
				fprintf(f, "{\"leaf\": %.9g}", (double)nd[k].v);
				continue;
			}
			fputs("{\"split\": ", f);
			cmt_model_put_string(f, m->feature[nd[k].feat]);
			fprintf(f, ", \"lt\": %.9g, \"yes\": %d, \"no\": %d, "
				"\"missing\": \"%s\"}", (double)nd[k].v, nd[k].yes,
				nd[k].no, nd[k].miss == nd[k].yes ? "yes" : "no");
		}
		fputc(']', f);
	}
	fputs("\n\t],\n", f);
}
