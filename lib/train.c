#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_train.h"

/* ---- data sets ---- */

void
cmt_dataset_init(struct cmt_dataset *d)
{
	int i;

	memset(d, 0, sizeof *d);
	d->ninput = CMT_FEAT_N;
	for (i = 0; i < CMT_FEAT_N; i++)
		d->input[i] = i;
}

enum cmt_err
cmt_dataset_exclude(struct cmt_dataset *d, const char *name, char *err)
{
	int i;

	if (strlen(name) == 0 || strlen(name) >= CMT_MODEL_FEATNAME_MAX)
		return cmt_errf(err, CMT_EVALUE, "'%.40s' is not a feature name",
			name);
	for (i = 0; i < d->nexclude; i++)
		if (strcmp(d->exclude[i], name) == 0)
			return CMT_OK;
	if (d->nexclude == CMT_FEAT_N - 1)
		return cmt_errf(err, CMT_ELIMIT,
			"at least one feature must be left");
	strcpy(d->exclude[d->nexclude++], name);
	return CMT_OK;
}

enum cmt_err
cmt_dataset_nullable(struct cmt_dataset *d, const char *name, char *err)
{
	int i;

	if (strlen(name) == 0 || strlen(name) >= CMT_MODEL_FEATNAME_MAX)
		return cmt_errf(err, CMT_EVALUE, "'%.40s' is not a feature name",
			name);
	for (i = 0; i < d->nnullable; i++)
		if (strcmp(d->nullable_name[i], name) == 0)
			return CMT_OK;
	if (d->nnullable == CMT_FEAT_N)
		return cmt_errf(err, CMT_ELIMIT, "too many nullable features");
	strcpy(d->nullable_name[d->nnullable++], name);
	return CMT_OK;
}

/* The first row's names fix the feature names and the inputs. */
static enum cmt_err
take_names(struct cmt_dataset *d, const struct cmt_fvec *v, char *err)
{
	int i, j, n = 0;

	if (v->fs.len == 0 || v->fs.len >= sizeof d->fs)
		return cmt_errf(err, CMT_EVALUE,
			"feature-set id is empty or longer than %d",
			CMT_MODEL_FS_MAX - 1);
	for (i = 0; i < v->nfeat; i++) {
		if (v->name[i].len >= CMT_MODEL_FEATNAME_MAX)
			return cmt_errf(err, CMT_EVALUE,
				"feature name longer than %d",
				CMT_MODEL_FEATNAME_MAX - 1);
		memcpy(d->feature[i], v->name[i].s, v->name[i].len);
		d->feature[i][v->name[i].len] = '\0';
	}
	for (j = 0; j < d->nexclude; j++) {
		for (i = 0; i < v->nfeat; i++)
			if (strcmp(d->feature[i], d->exclude[j]) == 0)
				break;
		if (i == v->nfeat)
			return cmt_errf(err, CMT_EMISMATCH,
				"no feature '%s' to exclude in '%.*s'", d->exclude[j],
				(int)(v->fs.len > 60 ? 60 : v->fs.len), v->fs.s);
	}
	for (i = 0; i < v->nfeat; i++) {
		for (j = 0; j < d->nexclude; j++)
			if (strcmp(d->feature[i], d->exclude[j]) == 0)
				break;
		if (j == d->nexclude)
			d->input[n++] = i;
	}
	if (n == 0)
		return cmt_errf(err, CMT_EMISMATCH,
			"every feature of '%.*s' is excluded: at least one must be "
			"left", (int)(v->fs.len > 60 ? 60 : v->fs.len), v->fs.s);
	d->ninput = n;
	d->nfeat = v->nfeat;
	for (j = 0; j < d->nnullable; j++) {
		for (i = 0; i < n; i++)
			if (strcmp(d->feature[d->input[i]], d->nullable_name[j]) == 0)
				break;
		if (i == n)
			return cmt_errf(err, CMT_EMISMATCH,
				"no input '%s' to let be null in '%.*s'",
				d->nullable_name[j],
				(int)(v->fs.len > 60 ? 60 : v->fs.len), v->fs.s);
		d->nullable[d->input[i]] = 1;
	}
	memcpy(d->fs, v->fs.s, v->fs.len);
	d->fs[v->fs.len] = '\0';
	return CMT_OK;
}

void
cmt_dataset_free(struct cmt_dataset *d)
{
	free(d->x);
	free(d->y);
	free(d->t);
	cmt_dataset_init(d);
}

static enum cmt_err
reserve(struct cmt_dataset *d, size_t n, char *err)
{
	size_t cap = d->cap ? d->cap : 1024;
	double *x;
	int *y;
	int64_t *t;

	if (n <= d->cap)
		return CMT_OK;
	while (cap < n)
		cap *= 2;
	x = realloc(d->x, cap * (size_t)d->nfeat * sizeof *x);
	if (x)
		d->x = x;
	y = realloc(d->y, cap * sizeof *y);
	if (y)
		d->y = y;
	t = realloc(d->t, cap * sizeof *t);
	if (t)
		d->t = t;
	if (!x || !y || !t)
		return cmt_errf(err, CMT_ENOMEM, "out of memory at %zu rows", n);
	d->cap = cap;
	return CMT_OK;
}

enum cmt_err
cmt_dataset_add(struct cmt_dataset *d, const struct cmt_fvec *v, char *err)
{
	enum cmt_err e;
	int i;

	if (v->partial) {
		d->skipped_partial++;
		return CMT_ESKIP;
	}
	if (v->warmup && !d->nnullable) {
		d->skipped_warmup++;
		return CMT_ESKIP;
	}
	if (!v->has_y) {
		d->skipped_unlabelled++;
		return CMT_ESKIP;
	}
	if (v->y < 0) {
		d->skipped_flat++;
		return CMT_ESKIP;
	}
	if (!d->fs[0]) {
		if ((e = take_names(d, v, err)))
			return e;
	} else if (!cmt_slice_eq(v->fs, d->fs)) {
		return cmt_errf(err, CMT_EMISMATCH,
			"feature set '%.*s'%s differs from the first row's '%s'",
			(int)(v->fs.len > 320 ? 320 : v->fs.len), v->fs.s,
			v->fs.len > 320 ? "..." : "", d->fs);
	}
	if (v->nfeat != d->nfeat)
		return cmt_errf(err, CMT_EMISMATCH, "%d features, the first row "
			"had %d", v->nfeat, d->nfeat);
	for (i = 0; i < d->ninput; i++)
		if (isnan(v->x[d->input[i]]) && !d->nullable[d->input[i]]) {
			if (v->warmup)
				d->skipped_warmup++;
			else
				d->skipped_null++;
			return CMT_ESKIP;
		}
	if ((e = reserve(d, d->n + 1, err)))
		return e;
	memcpy(cmt_dataset_row(d, d->n), v->x,
		(size_t)d->nfeat * sizeof *v->x);
	d->y[d->n] = v->y;
	d->t[d->n] = v->t;
	d->n++;
	return CMT_OK;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
cmt_dataset_time_quantile(const struct cmt_dataset *d, double frac)
{
	int64_t *t, q;
	size_t k;

	if (d->n == 0)
		return 0;
	if (!(t = malloc(d->n * sizeof *t)))
		return d->t[d->n - 1];
	memcpy(t, d->t, d->n * sizeof *t);
	qsort(t, d->n, sizeof *t, cmp_i64);
	k = (size_t)((double)d->n * (1 - frac));
	if (k >= d->n)
		k = d->n - 1;
	q = t[k];
	free(t);
	return q;
}

enum cmt_err
cmt_dataset_split(const struct cmt_dataset *d, int64_t cutoff,
	struct cmt_dataset *before, struct cmt_dataset *after, char *err)
{
	struct cmt_dataset *to;
	enum cmt_err e;
	size_t i;

	cmt_dataset_init(before);
	cmt_dataset_init(after);
	before->nfeat = after->nfeat = d->nfeat;
	for (i = 0; i < d->n; i++) {
		to = d->t[i] < cutoff ? before : after;
		if ((e = reserve(to, to->n + 1, err)))
			return e;
		memcpy(cmt_dataset_row(to, to->n), cmt_dataset_row(d, i),
			(size_t)d->nfeat * sizeof *d->x);
		to->y[to->n] = d->y[i];
		to->t[to->n] = d->t[i];
		to->n++;
	}
	memcpy(before->fs, d->fs, sizeof d->fs);
	memcpy(after->fs, d->fs, sizeof d->fs);
	memcpy(before->feature, d->feature, sizeof d->feature);
	memcpy(after->feature, d->feature, sizeof d->feature);
	memcpy(before->exclude, d->exclude, sizeof d->exclude);
	memcpy(after->exclude, d->exclude, sizeof d->exclude);
	before->nexclude = after->nexclude = d->nexclude;
	before->ninput = after->ninput = d->ninput;
	memcpy(before->nullable_name, d->nullable_name, sizeof d->nullable_name);
	memcpy(after->nullable_name, d->nullable_name, sizeof d->nullable_name);
	before->nnullable = after->nnullable = d->nnullable;
	memcpy(before->nullable, d->nullable, sizeof d->nullable);
	memcpy(after->nullable, d->nullable, sizeof d->nullable);
	memcpy(before->input, d->input, sizeof d->input);
	memcpy(after->input, d->input, sizeof d->input);
	return CMT_OK;
}

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* uniform in (0, 1) */
static double
rng_unit(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double
rng_gauss(struct rng *r)
{
	double u = rng_unit(r), v = rng_unit(r);

	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* ---- forward and backward passes ---- */

void
cmt_train_defaults(struct cmt_train_opts *o)
{
	memset(o, 0, sizeof *o);
	o->kind = "mlp";
	o->hidden[0] = 32;
	o->hidden[1] = 16;
	o->hidden[2] = 8;
	o->nhidden = 3;
	o->max_epochs = 60;
	o->patience = 6;
	o->batch = 256;
	o->lr = 1e-3;
	o->l2 = 1e-4;
	o->seed = 1;
	o->depth = 4;
	o->min_child = 100;
}

void
cmt_train_defaults_trees(struct cmt_train_opts *o)
{
	cmt_train_defaults(o);
	o->kind = "trees";
	o->nhidden = 0;
	o->max_epochs = 2000;
	o->patience = 50;
	o->lr = 0.05;
	o->l2 = 1;
}

/* cmt_model_predict's arithmetic, keeping every layer's output for the
 * backward pass; returns the output logit. */
static double
forward(const struct cmt_model *m, const double *z,
	double a[][CMT_MODEL_MAX_WIDTH])
{
	double logit = 0;
	int l;

	memcpy(a[0], z, (size_t)m->ninput * sizeof *z);
	for (l = 0; l < m->nlayers; l++) {
		cmt_model_affine(&m->layer[l], a[l], a[l + 1]);
		if (l == m->nlayers - 1)
			logit = a[l + 1][0];
		cmt_model_activate(m->layer[l].act, a[l + 1], m->layer[l].out);
	}
	return logit;
}

/* -log P(y | logit), computed without overflow */
static double
bce_logit(double logit, int y)
{
	double s = y ? -logit : logit;

	return (s > 0 ? s : 0) + log1p(exp(-fabs(logit)));
}

double
cmt_train_loss_grad(const struct cmt_model *m, const double *z, const int *y,
	size_t n, double l2, double *grad)
{
	double a[CMT_MODEL_MAX_LAYERS + 1][CMT_MODEL_MAX_WIDTH];
	double delta[CMT_MODEL_MAX_WIDTH], prev[CMT_MODEL_MAX_WIDTH];
	double loss = 0, reg = 0, s, inv;
	size_t r, k, off, nin = (size_t)m->ninput;
	int l, i, j, L = m->nlayers;

	if (grad)
		memset(grad, 0, m->nparams * sizeof *grad);
	for (r = 0; r < n; r++) {
		loss += bce_logit(forward(m, z + r * nin, a), y[r]);
		if (!grad)
			continue;
		delta[0] = a[L][0] - y[r];  /* d loss / d logit */
		for (l = L - 1; l >= 0; l--) {
			const struct cmt_layer *ly = &m->layer[l];
			double *gw = grad + (ly->w - m->params);
			double *gb = grad + (ly->b - m->params);
			const double *in = a[l];

			for (i = 0; i < ly->out; i++)
				gb[i] += delta[i];
			for (j = 0; j < ly->in; j++) {
				if (in[j] == 0)
					continue;
				for (i = 0; i < ly->out; i++)
					gw[(size_t)j * (size_t)ly->out + (size_t)i] +=
					    in[j] * delta[i];
			}
			if (l == 0)
				break;
			for (j = 0; j < ly->in; j++) {
				s = 0;
				for (i = 0; i < ly->out; i++)
					s += ly->w[(size_t)j * (size_t)ly->out +
					    (size_t)i] * delta[i];
				switch (m->layer[l - 1].act) {
				case CMT_ACT_RELU:
					prev[j] = in[j] > 0 ? s : 0;
					break;
				case CMT_ACT_TANH:
					prev[j] = s * (1 - in[j] * in[j]);
					break;
				default:
					prev[j] = s;
					break;
				}
			}
			memcpy(delta, prev, (size_t)ly->in * sizeof *delta);
		}
	}
	inv = n ? 1.0 / (double)n : 0;
	if (grad)
		for (k = 0; k < m->nparams; k++)
			grad[k] *= inv;
	for (l = 0; l < L; l++) {
		const struct cmt_layer *ly = &m->layer[l];
		size_t nw = (size_t)ly->in * (size_t)ly->out;

		off = (size_t)(ly->w - m->params);
		for (k = 0; k < nw; k++) {
			reg += ly->w[k] * ly->w[k];
			if (grad)
				grad[off + k] += l2 * ly->w[k];
		}
	}
	return loss * inv + l2 / 2 * reg;
}

/* ---- fitting ---- */

static void
standardise_stats(const struct cmt_dataset *d, double *mean, double *std,
	int *nconst, uint64_t *mask)
{
	size_t r;
	int j;

	*nconst = 0;
	*mask = 0;
	for (j = 0; j < d->ninput; j++) {
		double sum = 0, ss = 0, mu, dv;
		int c = d->input[j];

		for (r = 0; r < d->n; r++)
			sum += cmt_dataset_row(d, r)[c];
		mu = sum / (double)d->n;
		for (r = 0; r < d->n; r++) {
			dv = cmt_dataset_row(d, r)[c] - mu;
			ss += dv * dv;
		}
		mean[j] = mu;
		std[j] = sqrt(ss / (double)d->n);
		/* A constant feature carries nothing; keep it at zero input.
		 * Round-off leaves a constant's sd near 1e-16 |mean|, not 0:
		 * dividing by that would turn a tiny change into a huge input. */
		if (!(std[j] > CMT_TRAIN_CONST_REL * fabs(mu)) ||
		    !isfinite(std[j])) {
			std[j] = 1;
			(*nconst)++;
			*mask |= (uint64_t)1 << c; /* by feature, as the card names */
		}
	}
}

/* The model's inputs of each row, standardised: m->ninput per row. */
static double *
standardise(const struct cmt_model *m, const struct cmt_dataset *d)
{
	size_t r, nin = (size_t)m->ninput;
	double *z = malloc((d->n ? d->n : 1) * nin * sizeof *z);
	int j;

	if (!z)
		return NULL;
	for (r = 0; r < d->n; r++)
		for (j = 0; j < m->ninput; j++)
			z[r * nin + (size_t)j] = (cmt_dataset_row(d, r)[m->input[j]] -
			    m->mean[j]) / m->std[j];
	return z;
}

static void
init_weights(struct cmt_model *m, struct rng *r)
{
	int l;
	size_t k, nw;

	for (l = 0; l < m->nlayers; l++) {
		struct cmt_layer *ly = &m->layer[l];
		/* He for ReLU layers, Xavier for the sigmoid output */
		double sd = sqrt((ly->act == CMT_ACT_RELU ? 2.0 : 1.0) / ly->in);

		nw = (size_t)ly->in * (size_t)ly->out;
		for (k = 0; k < nw; k++)
			ly->w[k] = sd * rng_gauss(r);
		memset(ly->b, 0, (size_t)ly->out * sizeof *ly->b);
	}
}

enum cmt_err
cmt_train_fit(const struct cmt_train_opts *o, const struct cmt_dataset *train,
	const struct cmt_dataset *val, cmt_train_progress progress, void *ctx,
	struct cmt_model **out, struct cmt_train_result *res, char *err)
{
	int width[CMT_MODEL_MAX_LAYERS + 1], nw = 0, i, epoch, bad = 0;
	struct cmt_model *m = NULL;
	struct cmt_train_epoch ep;
	struct rng rng;
	double *ztr = NULL, *zval = NULL, *grad = NULL, *m1 = NULL, *m2 = NULL;
	double *best = NULL, *zb = NULL, b1t = 1, b2t = 1;
	size_t *order = NULL, r, k, start, nb, np;
	int *yb = NULL;
	enum cmt_err e;

	*out = NULL;
	memset(res, 0, sizeof *res);
	if (train->n == 0 || val->n == 0)
		return cmt_errf(err, CMT_EVALUE,
			"%s set is empty", train->n == 0 ? "training" : "validation");
	if (o->batch < 1 || o->max_epochs < 1 || !(o->lr > 0) || !(o->l2 >= 0))
		return cmt_errf(err, CMT_EVALUE, "bad training options");
	if (train->ninput != val->ninput ||
	    memcmp(train->input, val->input, sizeof train->input) != 0)
		return cmt_errf(err, CMT_EMISMATCH,
			"training and validation rows use different inputs");
	width[nw++] = train->ninput;
	if (strcmp(o->kind, "mlp") == 0)
		for (i = 0; i < o->nhidden; i++)
			width[nw++] = o->hidden[i];
	width[nw++] = 1;
	if ((e = cmt_model_create(o->kind, width, nw, &m, err)))
		return e;
	memcpy(m->fs, train->fs, sizeof m->fs);
	memcpy(m->feature, train->feature, sizeof m->feature);
	m->nfeature = train->nfeat;
	m->ninput = train->ninput;
	memcpy(m->input, train->input, sizeof m->input);
	standardise_stats(train, m->mean, m->std, &res->constant_features,
		&res->constant_mask);
	rng_seed(&rng, o->seed);
	init_weights(m, &rng);
	np = m->nparams;
	ztr = standardise(m, train);
	zval = standardise(m, val);
	grad = malloc(np * sizeof *grad);
	m1 = calloc(np, sizeof *m1);
	m2 = calloc(np, sizeof *m2);
	best = malloc(np * sizeof *best);
	zb = malloc((size_t)o->batch * (size_t)m->ninput * sizeof *zb);
	yb = malloc((size_t)o->batch * sizeof *yb);
	order = malloc(train->n * sizeof *order);
	if (!ztr || !zval || !grad || !m1 || !m2 || !best || !zb || !yb ||
	    !order) {
		e = cmt_errf(err, CMT_ENOMEM, "out of memory");
		goto done;
	}
	for (r = 0; r < train->n; r++)
		order[r] = r;
	memcpy(best, m->params, np * sizeof *best);
	res->best_val_loss = INFINITY;
	for (epoch = 1; epoch <= o->max_epochs; epoch++) {
		double sum = 0;

		/* shuffle within the training split only */
		for (r = train->n - 1; r > 0; r--) {
			size_t j = (size_t)(rng_next(&rng) % (r + 1)), t = order[r];

			order[r] = order[j];
			order[j] = t;
		}
		for (start = 0; start < train->n; start += nb) {
			if (o->stop && *o->stop) {
				e = cmt_errf(err, CMT_EIO, "interrupted in epoch "
					"%d", epoch);
				goto done;
			}
			nb = train->n - start < (size_t)o->batch ?
			    train->n - start : (size_t)o->batch;
			for (k = 0; k < nb; k++) {
				memcpy(zb + k * (size_t)m->ninput,
					ztr + order[start + k] * (size_t)m->ninput,
					(size_t)m->ninput * sizeof *zb);
				yb[k] = train->y[order[start + k]];
			}
			sum += cmt_train_loss_grad(m, zb, yb, nb, o->l2, grad) *
			    (double)nb;
			b1t *= 0.9;
			b2t *= 0.999;
			for (k = 0; k < np; k++) {
				m1[k] = 0.9 * m1[k] + 0.1 * grad[k];
				m2[k] = 0.999 * m2[k] + 0.001 * grad[k] * grad[k];
				m->params[k] -= o->lr * (m1[k] / (1 - b1t)) /
				    (sqrt(m2[k] / (1 - b2t)) + 1e-8);
			}
		}
		ep.epoch = epoch;
		ep.train_loss = sum / (double)train->n;
		ep.val_loss = cmt_train_loss_grad(m, zval, val->y, val->n, 0,
			NULL);
		res->epochs_run = epoch;
		if (ep.val_loss < res->best_val_loss) {
			res->best_val_loss = ep.val_loss;
			res->best_epoch = epoch;
			memcpy(best, m->params, np * sizeof *best);
			bad = 0;
		} else {
			bad++;
		}
		ep.best = res->best_epoch;
		if (progress)
			progress(&ep, ctx);
		if (!isfinite(ep.train_loss)) {
			e = cmt_errf(err, CMT_ERANGE,
				"training diverged at epoch %d (lower --lr)", epoch);
			goto done;
		}
		if (bad >= o->patience)
			break;
	}
	memcpy(m->params, best, np * sizeof *best);
	*out = m;
	m = NULL;
	e = CMT_OK;
done:
	cmt_model_free(m);
	free(ztr);
	free(zval);
	free(grad);
	free(m1);
	free(m2);
	free(best);
	free(zb);
	free(yb);
	free(order);
	return e;
}

/* ---- scoring ---- */

enum cmt_err
cmt_train_evaluate(struct cmt_model *m, const struct cmt_dataset *d,
	struct cmt_metrics *out, char *err)
{
	double *p = malloc((d->n ? d->n : 1) * 3 * sizeof *p);
	size_t r;

	if (!p)
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	for (r = 0; r < d->n; r++)
		p[r] = cmt_model_predict(m, cmt_dataset_row(d, r));
	cmt_metrics_compute(p, d->y, d->n, p + d->n, out);
	free(p);
	return CMT_OK;
}

/* The shortest return (the first feature) of each row and the outcomes:
 * what the baselines read. */
static double *
first_feature(const struct cmt_dataset *d)
{
	double *x0 = malloc((d->n ? d->n : 1) * sizeof *x0);
	size_t r;

	for (r = 0; x0 && r < d->n; r++)
		x0[r] = cmt_dataset_row(d, r)[0];
	return x0;
}

enum cmt_err
cmt_train_baselines(const struct cmt_dataset *train,
	const struct cmt_dataset *test, struct cmt_metrics out[], char *err)
{
	double *fx = first_feature(train), *tx = first_feature(test);
	enum cmt_err e;

	if (train->n == 0)
		e = cmt_errf(err, CMT_EVALUE, "training set is empty");
	else if (!fx || !tx)
		e = cmt_errf(err, CMT_ENOMEM, "out of memory");
	else
		e = cmt_bt_baselines_score(fx, train->y, train->n, tx, test->y,
			test->n, out, err);
	free(fx);
	free(tx);
	return e;
}
