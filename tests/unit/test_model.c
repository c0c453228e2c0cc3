/* Unit tests for the model file: loading, validation, saving, inference and
 * finding the default model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmt_test.h"
#include "cmt_model.h"

#define FS "cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;" \
	"bb=20/2;mom=10;vt=5/20"
#define WIDE_FS FS ";rng=15m/1h;bar=step;vz=1h;zr=1h;hl=1h/4h/1d;lt=4h/1d;" \
	"cal=utc"
#define NAMES "[\"ret_1m\",\"ret_5m\",\"ret_15m\",\"ret_1h\",\"rv_30m\"," \
	"\"rv_1h\",\"rsi\",\"macd_hist\",\"bb_pctb\",\"mom\",\"vol_trend\"]"
#define HEAD "{\"format\":\"cmt-model\",\"version\":1,\"name\":\"t\"," \
	"\"feature_set\":\"" FS "\",\"feature_names\":" NAMES "," \
	"\"horizon_ms\":60000,\"card\":{\"note\":\"test\"},"
#define STD "\"standardize\":{\"mean\":[1,0,0,0,0,0,50,0,0,0,0]," \
	"\"std\":[2,1,1,1,1,1,10,1,1,1,1]},"

/* p = sigmoid(0.5 + 1*(x0-1)/2 - 2*(x6-50)/10) */
static const char logreg[] = HEAD STD "\"kind\":\"logreg\",\"layers\":["
	"{\"activation\":\"sigmoid\",\"bias\":[0.5],"
	"\"weights\":[[1,0,0,0,0,0,-2,0,0,0,0]]}]}";

/* h = relu([z0 - z1, z1 + 1]); p = sigmoid(2 h0 - h1) */
static const char mlp[] = HEAD STD "\"kind\":\"mlp\",\"layers\":["
	"{\"activation\":\"relu\",\"bias\":[0,1],"
	"\"weights\":[[1,-1,0,0,0,0,0,0,0,0,0],[0,1,0,0,0,0,0,0,0,0,0]]},"
	"{\"activation\":\"sigmoid\",\"bias\":[0],\"weights\":[[2,-1]]}]}";

/* Version 2: a price-only model reading two inputs by name, in an order
 * other than the vector's: p = sigmoid(0.5 + 1*(x0-1)/2 - 2*(x6-50)/10)
 * as for logreg above, with vol_trend not read. */
#define HEAD2 "{\"format\":\"cmt-model\",\"version\":2,\"name\":\"p\"," \
	"\"feature_set\":\"" FS "\",\"feature_names\":" NAMES "," \
	"\"horizon_ms\":60000,\"card\":{},"
static const char inputs2[] = HEAD2 "\"inputs\":[\"rsi\",\"ret_1m\"],"
	"\"standardize\":{\"mean\":[50,1],\"std\":[10,2]},"
	"\"kind\":\"logreg\",\"layers\":[{\"activation\":\"sigmoid\","
	"\"bias\":[0.5],\"weights\":[[-2,1]]}]}";

static struct cmt_model *
parse_ok(const char *text)
{
	struct cmt_model *m;
	char err[CMT_ERRLEN] = "";

	if (cmt_model_parse(text, strlen(text), &m, err))
		fail_msg("rejected: %s", err);
	return m;
}

static enum cmt_err
parse_err(const char *text, char *err)
{
	struct cmt_model *m = (struct cmt_model *)1;
	enum cmt_err e = cmt_model_parse(text, strlen(text), &m, err);

	assert_null(m);
	return e;
}

/* The forward pass as it was before issue 13, scalar and branching: the
 * packed, branch-free one must give the same bits. */
static double
ref_predict(const struct cmt_model *m, const double *x)
{
	double a[2][CMT_MODEL_MAX_WIDTH], *in = a[0], *out = a[1], *tmp, acc;
	int l, i, j;

	for (j = 0; j < CMT_FEAT_BASE; j++)
		in[j] = (x[j] - m->mean[j]) / m->std[j];
	for (l = 0; l < m->nlayers; l++) {
		const struct cmt_layer *ly = &m->layer[l];

		for (i = 0; i < ly->out; i++) {
			acc = ly->b[i];
			for (j = 0; j < ly->in; j++)
				acc += ly->w[(size_t)j * (size_t)ly->out + (size_t)i] *
				    in[j];
			switch (ly->act) {
			case CMT_ACT_RELU: acc = acc > 0 ? acc : 0; break;
			case CMT_ACT_TANH: acc = tanh(acc); break;
			case CMT_ACT_SIGMOID: acc = 1 / (1 + exp(-acc)); break;
			case CMT_ACT_LINEAR: break;
			}
			out[i] = acc;
		}
		tmp = in;
		in = out;
		out = tmp;
	}
	return in[0];
}

static uint64_t rng = 7;

static double
draw(int small)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	z ^= z >> 31;
	if (small)   /* -1, -0, 0, 1: exact cancellations, signed zeros */
		return (double[]){ -1, -0.0, 0, 1 }[z % 4];
	return ((double)(z >> 11) / 9007199254740992.0 - 0.5) *
	    pow(10, (double)(z % 7) - 3);
}

static void
forward_pass_is_bit_for_bit_the_scalar_one(void **state)
{
	static const int shapes[][6] = {
		/* how many widths, then the widths */
		{ 5, CMT_FEAT_BASE, 32, 16, 8, 1 }, { 3, CMT_FEAT_BASE, 37, 1 },
		{ 5, CMT_FEAT_BASE, 17, 9, 3, 1 }, { 2, CMT_FEAT_BASE, 1 },
		{ 5, CMT_FEAT_BASE, 64, 48, 2, 1 },
	};
	struct cmt_model *m;
	char err[CMT_ERRLEN];
	double x[CMT_FEAT_BASE], got, want;
	size_t s, k;
	int i, j, small;

	for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
		for (small = 0; small <= 1; small++) {
			if (cmt_model_create(shapes[s][0] == 2 ? "logreg" : "mlp",
			    shapes[s] + 1, shapes[s][0], &m, err))
				fail_msg("shape %zu: %s", s, err);
			for (k = 0; k < m->nparams; k++)
				m->params[k] = draw(small);
			for (j = 0; j < CMT_FEAT_BASE; j++) {
				m->mean[j] = small ? 0 : draw(0);
				m->std[j] = small ? 1 : fabs(draw(0)) + 0.01;
			}
			/* a tanh and a linear hidden layer too */
			if (s == 2) {
				m->layer[0].act = CMT_ACT_TANH;
				m->layer[1].act = CMT_ACT_LINEAR;
			}
			for (i = 0; i < 20000; i++) {
				for (j = 0; j < CMT_FEAT_BASE; j++)
					x[j] = draw(small) * (small ? 1 : 100);
				got = cmt_model_predict(m, x);
				want = ref_predict(m, x);
				if (memcmp(&got, &want, sizeof got) != 0)
					fail_msg("shape %zu: %a, scalar %a", s, got,
						want);
			}
			cmt_model_free(m);
		}
}

static void
logreg_probability_matches_the_formula(void **state)
{
	struct cmt_model *m = parse_ok(logreg);
	double x[CMT_FEAT_BASE] = { 5, 0, 0, 0, 0, 0, 60, 0, 0, 0, 0 };
	/* z = 0.5 + (5-1)/2 - 2*(60-50)/10 = 0.5 */
	double want = 1 / (1 + exp(-0.5));

	assert_string_equal(m->kind, "logreg");
	assert_string_equal(m->fs, FS);
	assert_int_equal(m->horizon_ms, 60000);
	assert_close(cmt_model_predict(m, x), want, 1e-15);
	x[0] = 1;
	x[6] = 50;
	assert_close(cmt_model_predict(m, x), 1 / (1 + exp(-0.5)), 1e-15);
	cmt_model_free(m);
}

static void
mlp_probability_matches_a_hand_forward_pass(void **state)
{
	struct cmt_model *m = parse_ok(mlp);
	/* z0 = (4-1)/2 = 1.5, z1 = 0.5: h = relu(1.0, 1.5); out 2 - 1.5 */
	double x[CMT_FEAT_BASE] = { 4, 0.5, 0, 0, 0, 0, 50, 0, 0, 0, 0 };

	assert_int_equal(m->nlayers, 2);
	assert_int_equal(m->nparams, 2 * 11 + 2 + 2 + 1);
	assert_close(cmt_model_predict(m, x), 1 / (1 + exp(-0.5)), 1e-15);
	/* z0 = -1: h0 clipped to 0; h1 = 1.5 -> sigmoid(-1.5) */
	x[0] = -1;
	assert_close(cmt_model_predict(m, x), 1 / (1 + exp(1.5)), 1e-15);
	cmt_model_free(m);
}

static char *
replace(const char *s, const char *from, const char *to)
{
	static char buf[8192];
	const char *p = strstr(s, from);

	assert_non_null(p);
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - s), s, to,
		p + strlen(from));
	return buf;
}

static void
invalid_models_are_rejected_with_the_problem_named(void **state)
{
	static const struct { const char *from, *to, *says; } cases[] = {
		{ "[0,1]", "[0,1,2]", "bias" },
		{ "[0,1,0,0,0,0,0,0,0,0,0]", "[0,1,0,0,0,0,0,0,0,0]",
			"weights row 2" },
		{ "[[2,-1]]", "[[2,-1,3]]", "previous layer" },
		{ "\"relu\"", "\"swish\"", "unknown activation" },
		{ "\"relu\"", "\"sigmoid\"", "sigmoid" },
		{ "[[2,-1]]", "[[2,1e999]]", "not finite" },
		{ "[[2,-1]]", "[[2,\"x\"]]", "not a number" },
		{ "\"version\":1", "\"version\":4", "version" },
		{ "\"version\":1", "\"version\":2", "\"inputs\"" },
		{ "\"cmt-model\"", "\"other\"", "format" },
		{ "\"feature_set\":", "\"fset\":", "feature_set" },
		{ "\"std\":[2,", "\"std\":[0,", "std" },
		{ "\"rsi\",", "", "feature_names" },
		{ "\"kind\":\"mlp\"", "\"kind\":\"tree\"", "unknown model kind" },
		{ "\"card\":{\"note\":\"test\"},", "", "card" },
		{ "\"name\":\"t\"", "\"name\":\"a b\"", "name" },
		{ "\"horizon_ms\":60000", "\"horizon_ms\":-5", "horizon" },
	};
	char err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		if (parse_err(replace(mlp, cases[i].from, cases[i].to), err) ==
		    CMT_OK)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, cases[i].says))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err,
				cases[i].says);
	}
}

static void
a_model_reads_its_inputs_by_name_and_nothing_else(void **state)
{
	struct cmt_model *m = parse_ok(inputs2);
	double x[CMT_FEAT_BASE] = { 5, 0, 0, 0, 0, 0, 60, 0, 0, 0, NAN };
	double want = 1 / (1 + exp(-0.5));
	int i;

	assert_int_equal(m->ninput, 2);
	assert_int_equal(m->input[0], 6);   /* rsi */
	assert_int_equal(m->input[1], 0);   /* ret_1m */
	assert_int_equal(cmt_model_feature_index(m, "vol_trend"), 10);
	assert_int_equal(cmt_model_feature_index(m, "volume"), -1);
	/* every other feature null, vol_trend included: still scored */
	for (i = 1; i < CMT_FEAT_BASE; i++)
		if (i != 6)
			x[i] = NAN;
	assert_true(cmt_model_can_score(m, x));
	assert_close(cmt_model_predict(m, x), want, 1e-15);
	x[6] = NAN;
	assert_false(cmt_model_can_score(m, x));
	cmt_model_free(m);
	/* version 1 reads every feature: a null vol_trend stops it */
	m = parse_ok(logreg);
	assert_int_equal(m->ninput, CMT_FEAT_BASE);
	x[6] = 60;
	for (i = 1; i < CMT_FEAT_BASE; i++)
		if (i != 6)
			x[i] = 0;
	assert_true(cmt_model_can_score(m, x));
	x[10] = NAN;
	assert_false(cmt_model_can_score(m, x));
	cmt_model_free(m);
}

static void
bad_inputs_are_rejected_with_the_problem_named(void **state)
{
	static const struct { const char *from, *to, *says; } cases[] = {
		{ "\"inputs\":[\"rsi\",\"ret_1m\"],", "", "\"inputs\"" },
		{ "[\"rsi\",\"ret_1m\"]", "[\"rsi\",\"volume\"]",
			"'volume' is not one of" },
		{ "[\"rsi\",\"ret_1m\"]", "[\"rsi\",\"rsi\"]", "twice" },
		{ "[\"rsi\",\"ret_1m\"]", "[]", "\"inputs\"" },
		{ "[\"rsi\",\"ret_1m\"]", "\"rsi\"", "\"inputs\"" },
		{ "[\"rsi\",\"ret_1m\"]", "[\"rsi\",3]", "not a string" },
		{ "\"mean\":[50,1]", "\"mean\":[50,1,0]", "mean" },
		{ "\"std\":[10,2]", "\"std\":[10]", "std" },
		{ "[[-2,1]]", "[[-2,1,0]]", "the number of inputs" },
		{ "[[-2,1]]", "[[-2]]", "the number of inputs" },
		{ "\"version\":2", "\"version\":1", "needs \"version\": 2" },
	};
	char err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		if (parse_err(replace(inputs2, cases[i].from, cases[i].to), err) ==
		    CMT_OK)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, cases[i].says))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err,
				cases[i].says);
	}
}

static void
a_truncated_file_never_loads(void **state)
{
	char err[CMT_ERRLEN], buf[sizeof mlp];
	size_t n;

	for (n = 0; n < sizeof mlp - 1; n++) {
		struct cmt_model *m;

		memcpy(buf, mlp, n);
		buf[n] = '\0';
		if (cmt_model_parse(buf, n, &m, err) == CMT_OK)
			fail_msg("a prefix of %zu bytes loaded", n);
		assert_null(m);
	}
	assert_int_equal(parse_err(replace(mlp, "]}]}", "]}]}x"), err),
		CMT_ESYNTAX);
}

static void
a_saved_model_loads_back_bit_for_bit(void **state)
{
	int width[] = { CMT_FEAT_BASE, 7, 3, 1 };
	struct cmt_model *m, *back;
	char path[] = "/tmp/cmt-test-model-XXXXXX", err[CMT_ERRLEN];
	double x[CMT_FEAT_BASE];
	size_t k;
	int fd, i;

	assert_int_equal(cmt_model_create("mlp", width, 4, &m, err), CMT_OK);
	for (k = 0; k < m->nparams; k++)
		m->params[k] = sin((double)k * 1.7) / 3;
	for (i = 0; i < CMT_FEAT_BASE; i++) {
		m->mean[i] = 0.1 * i;
		m->std[i] = 1.0 / 3 + i;
		snprintf(m->feature[i], sizeof m->feature[i], "f%d", i);
		x[i] = cos(i);
	}
	strcpy(m->fs, FS);
	m->horizon_ms = 60000;
	m->card = strdup("{\"a\": [1, 2]}");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cmt_model_save(m, path, err), CMT_OK);
	assert_int_equal(cmt_model_load(path, &back, err), CMT_OK);
	unlink(path);
	assert_int_equal(back->nparams, m->nparams);
	assert_memory_equal(back->params, m->params,
		m->nparams * sizeof *m->params);
	assert_memory_equal(back->std, m->std, sizeof m->std);
	assert_true(cmt_model_predict(back, x) == cmt_model_predict(m, x));
	assert_string_equal(back->feature[3], "f3");
	assert_int_equal(back->ninput, CMT_FEAT_BASE);
	cmt_model_free(m);
	cmt_model_free(back);
}

static void
a_saved_subset_model_loads_back_with_its_inputs(void **state)
{
	int width[] = { 3, 4, 1 };
	struct cmt_model *m, *back;
	char path[] = "/tmp/cmt-test-model-XXXXXX", err[CMT_ERRLEN];
	double x[CMT_FEAT_BASE];
	size_t k;
	int fd, i;

	assert_int_equal(cmt_model_create("mlp", width, 3, &m, err), CMT_OK);
	for (k = 0; k < m->nparams; k++)
		m->params[k] = sin((double)k * 1.3) / 2;
	for (i = 0; i < CMT_FEAT_BASE; i++) {
		snprintf(m->feature[i], sizeof m->feature[i], "f%d", i);
		x[i] = cos(i);
	}
	m->nfeature = CMT_FEAT_BASE;
	m->input[0] = 9;
	m->input[1] = 2;
	m->input[2] = 4;
	m->mean[0] = 0.5;
	m->std[2] = 3;
	strcpy(m->fs, FS);
	m->horizon_ms = 60000;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cmt_model_save(m, path, err), CMT_OK);
	assert_int_equal(cmt_model_load(path, &back, err), CMT_OK);
	unlink(path);
	assert_int_equal(back->ninput, 3);
	assert_memory_equal(back->input, m->input, 3 * sizeof *m->input);
	assert_memory_equal(back->mean, m->mean, 3 * sizeof *m->mean);
	assert_true(cmt_model_predict(back, x) == cmt_model_predict(m, x));
	x[10] = NAN;
	assert_true(cmt_model_can_score(back, x));
	cmt_model_free(m);
	cmt_model_free(back);
}

static void
a_different_feature_set_is_refused_naming_both(void **state)
{
	struct cmt_model *m = parse_ok(logreg);
	struct cmt_slice other = { "cmt1;step=1s", 12 }, same = { FS,
		sizeof FS - 1 };
	struct cmt_slice names[CMT_FEAT_BASE];
	char err[CMT_ERRLEN];
	int i, map[CMT_FEAT_BASE], same_map;

	for (i = 0; i < m->nfeature; i++) {
		names[i].s = m->feature[i];
		names[i].len = strlen(m->feature[i]);
	}
	assert_int_equal(cmt_model_bind(m, other, names, m->nfeature, map,
		&same_map, err), CMT_EMISMATCH);
	assert_non_null(strstr(err, "cmt1;step=1s"));
	assert_non_null(strstr(err, FS));
	assert_int_equal(cmt_model_bind(m, same, names, m->nfeature, map,
		&same_map, err), CMT_OK);
	assert_int_equal(same_map, 1);
	names[6].s = "rsx";
	names[6].len = 3;
	assert_int_equal(cmt_model_bind(m, same, names, m->nfeature, map,
		&same_map, err), CMT_EMISMATCH);
	assert_non_null(strstr(err, "rsx"));
	/* its own set with a feature fewer */
	names[6].s = m->feature[6];
	names[6].len = strlen(m->feature[6]);
	assert_int_equal(cmt_model_bind(m, same, names, m->nfeature - 1, map,
		&same_map, err), CMT_EMISMATCH);
	cmt_model_free(m);
}

/* A model of the base set reads vectors of a set that contains it, its
 * inputs found by name wherever they are; one trained on a wider set
 * names its 38 features and reads them from the same set only, or a
 * wider one. */
static void
a_model_reads_its_inputs_by_name_from_a_wider_vector(void **state)
{
	static const char *wide[] = { TEST_WIDE_NAMES };
	struct cmt_model *m = parse_ok(inputs2), *w;
	struct cmt_slice names[CMT_FEAT_N], fs = { WIDE_FS, sizeof WIDE_FS - 1 };
	struct cmt_slice other = { FS ";hl=2h", sizeof FS ";hl=2h" - 1 };
	double vx[CMT_FEAT_N], x[CMT_FEAT_N], want;
	char err[CMT_ERRLEN], path[] = "/tmp/cmt-test-wide-XXXXXX";
	int map[CMT_FEAT_N], same = -1, i, n = 38, fd;

	for (i = 0; i < n; i++) {
		names[i].s = wide[i];
		names[i].len = strlen(wide[i]);
		vx[i] = NAN;
	}
	vx[6] = 60;     /* rsi */
	vx[0] = 5;      /* ret_1m */
	assert_int_equal(cmt_model_bind(m, fs, names, n, map, &same, err),
		CMT_OK);
	assert_int_equal(same, 0);
	assert_int_equal(map[6], 6);
	assert_int_equal(map[0], 0);
	cmt_model_gather(m, map, vx, x);
	want = cmt_model_predict(m, (double[CMT_FEAT_BASE]){ 5, 0, 0, 0, 0, 0,
		60, 0, 0, 0, 0 });
	assert_true(cmt_model_can_score(m, x));
	assert_true(cmt_model_predict(m, x) == want);
	/* the same set in another order: found by name */
	names[0] = names[37];
	names[37].s = "ret_1m";
	names[37].len = 6;
	vx[37] = 5;
	vx[0] = 0.5;
	assert_int_equal(cmt_model_bind(m, fs, names, n, map, &same, err),
		CMT_OK);
	assert_int_equal(map[0], 37);
	cmt_model_gather(m, map, vx, x);
	assert_true(cmt_model_predict(m, x) == want);
	/* a wider set without an input; a set that does not contain it */
	names[37].s = "ret_2m";
	assert_int_equal(cmt_model_bind(m, fs, names, n, map, &same, err),
		CMT_EMISMATCH);
	assert_non_null(strstr(err, "no feature 'ret_1m'"));
	assert_int_equal(cmt_model_bind(m, (struct cmt_slice){ "cmt1;step=2m;"
		"ret=2m/4m/6m/8m;rv=4m/8m;rsi=14;macd=12/26/9;bb=20/2;mom=10;"
		"vt=5/20;cal=utc", 88 }, names, n, map, &same, err), CMT_EMISMATCH);
	assert_non_null(strstr(err, "does not match the model's"));
	/* a model of the wide set: saved and loaded with its 38 names */
	w = m;
	w->nfeature = n;
	for (i = 0; i < n; i++)
		strcpy(w->feature[i], wide[i]);
	strcpy(w->fs, WIDE_FS);
	w->input[0] = 28;   /* dhi_1d */
	w->input[1] = 34;   /* tod_sin */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cmt_model_save(w, path, err), CMT_OK);
	assert_int_equal(cmt_model_load(path, &m, err), CMT_OK);
	unlink(path);
	assert_int_equal(m->nfeature, 38);
	assert_string_equal(m->feature[37], "dow_cos");
	assert_int_equal(m->input[0], 28);
	for (i = 0; i < n; i++)
		names[i].s = wide[i], names[i].len = strlen(wide[i]);
	assert_int_equal(cmt_model_bind(m, fs, names, n, map, &same, err),
		CMT_OK);
	assert_int_equal(same, 1);
	/* vectors of the base set lack its inputs' part: refused */
	assert_int_equal(cmt_model_bind(m, (struct cmt_slice){ FS,
		sizeof FS - 1 }, names, CMT_FEAT_BASE, map, &same, err),
		CMT_EMISMATCH);
	assert_int_equal(cmt_model_bind(m, other, names, n, map, &same, err),
		CMT_EMISMATCH);
	cmt_model_free(m);
	cmt_model_free(w);
}

static void
the_default_model_honours_cmt_model_and_paths_pass_through(void **state)
{
	char out[4096];

	setenv("CMT_MODEL", "/somewhere/m.json", 1);
	assert_int_equal(cmt_model_resolve("default", out, sizeof out), CMT_OK);
	assert_string_equal(out, "/somewhere/m.json");
	assert_int_equal(cmt_model_resolve(NULL, out, sizeof out), CMT_OK);
	assert_string_equal(out, "/somewhere/m.json");
	assert_int_equal(cmt_model_resolve("./x.json", out, sizeof out),
		CMT_OK);
	assert_string_equal(out, "./x.json");
	unsetenv("CMT_MODEL");
	assert_int_equal(cmt_model_resolve("no-such-model-name", out,
		sizeof out), CMT_EMISSING);
	assert_non_null(strstr(out, "no-such-model-name.json"));
}

/* Version 3: two trees over rsi, ret_1m and a nullable vol_trend.
 * tree 0: rsi < 50 ? (vol_trend < 1 ? -0.25 : 0.5 ; null -> yes) : 1
 * tree 1: ret_1m < 0.1 ? 0.125 : -0.125 (null -> no); base 0.0625 */
#define HEAD3 "{\"format\":\"cmt-model\",\"version\":3,\"name\":\"tr\"," \
	"\"feature_set\":\"" FS "\",\"feature_names\":" NAMES "," \
	"\"horizon_ms\":60000,\"card\":{},\"kind\":\"trees\"," \
	"\"inputs\":[\"rsi\",\"ret_1m\",\"vol_trend\"],"
static const char trees[] = HEAD3
	"\"nullable_inputs\":[\"vol_trend\"],\"base_margin\":0.0625,"
	"\"trees\":[[{\"split\":\"rsi\",\"lt\":50,\"yes\":1,\"no\":2,"
	"\"missing\":\"no\"},{\"split\":\"vol_trend\",\"lt\":1,\"yes\":3,"
	"\"no\":4,\"missing\":\"yes\"},{\"leaf\":1},{\"leaf\":-0.25},"
	"{\"leaf\":0.5}],[{\"split\":\"ret_1m\",\"lt\":0.1,\"yes\":1,"
	"\"no\":2,\"missing\":\"no\"},{\"leaf\":0.125},{\"leaf\":-0.125}]]}";

static double
sigmoid(double z)
{
	return 1 / (1 + exp(-z));
}

static void
trees_sum_the_leaves_each_vector_reaches(void **state)
{
	struct cmt_model *m = parse_ok(trees);
	double x[CMT_FEAT_N] = { 0.05, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0.5 };

	assert_string_equal(m->kind, "trees");
	assert_int_equal(m->ntrees, 2);
	assert_int_equal(m->nnodes, 8);
	assert_close(cmt_model_margin(m, x), 0.0625 - 0.25 + 0.125, 0);
	assert_close(cmt_model_predict(m, x), sigmoid(-0.0625), 1e-15);
	x[10] = 2;                          /* vol_trend >= 1 */
	assert_close(cmt_model_margin(m, x), 0.0625 + 0.5 + 0.125, 0);
	x[10] = NAN;                        /* nullable: its missing branch */
	assert_true(cmt_model_can_score(m, x));
	assert_close(cmt_model_margin(m, x), 0.0625 - 0.25 + 0.125, 0);
	x[6] = 50;                          /* not below 50 */
	assert_close(cmt_model_margin(m, x), 0.0625 + 1 + 0.125, 0);
	x[0] = NAN;                         /* not nullable */
	assert_false(cmt_model_can_score(m, x));
	/* other features are not read */
	x[0] = 0.2;
	x[1] = x[2] = NAN;
	assert_true(cmt_model_can_score(m, x));
	assert_close(cmt_model_margin(m, x), 0.0625 + 1 - 0.125, 0);
	cmt_model_free(m);
}

/* XGBoost compares in single precision: 0.1 as a double is above 0.1f's
 * double... and below it once rounded the same way. */
static void
trees_compare_in_single_precision(void **state)
{
	struct cmt_model *m = parse_ok(trees);
	double x[CMT_FEAT_N] = { 0, 0, 0, 0, 0, 0, 60, 0, 0, 0, 0 };

	x[0] = nextafter((double)0.1f, 0);  /* below 0.1f in double... */
	assert_true(x[0] < (double)0.1f);
	/* ...but 0.1f once rounded to float: not below, so "no" */
	assert_close(cmt_model_margin(m, x), 0.0625 + 1 - 0.125, 0);
	x[0] = (double)nextafterf(0.1f, 0);
	assert_close(cmt_model_margin(m, x), 0.0625 + 1 + 0.125, 0);
	cmt_model_free(m);
}

static void
calibration_maps_the_margin(void **state)
{
	char doc[4096];
	struct cmt_model *m;
	double x[CMT_FEAT_N] = { 5, 0, 0, 0, 0, 0, 60, 0, 0, 0, 0 };

	/* logreg's margin is 0.5 here (above) */
	snprintf(doc, sizeof doc, "%s", replace(logreg, "\"version\":1",
		"\"version\":3,\"inputs\":" NAMES ",\"calibration\":{\"method\":"
		"\"platt\",\"a\":0.5,\"b\":-0.125}"));
	m = parse_ok(doc);
	assert_true(m->calibrated);
	assert_close(cmt_model_margin(m, x), 0.5, 1e-15);
	assert_close(cmt_model_predict(m, x), sigmoid(0.5 * 0.5 - 0.125),
		1e-15);
	cmt_model_free(m);
}

static void
a_saved_trees_model_loads_back_bit_for_bit(void **state)
{
	struct cmt_model *m = parse_ok(trees), *back;
	char err[CMT_ERRLEN], *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	FILE *f;

	m->calibrated = 1;
	m->cal_a = 0.6180339887498949;
	m->cal_b = -1.0 / 3;
	f = open_memstream(&a, &la);
	assert_int_equal(cmt_model_write(m, f, err), CMT_OK);
	fclose(f);
	back = parse_ok(a);
	assert_int_equal(back->nnodes, m->nnodes);
	assert_memory_equal(back->node, m->node, m->nnodes * sizeof *m->node);
	assert_memory_equal(back->root, m->root, (size_t)m->ntrees *
		sizeof *m->root);
	assert_true(back->cal_a == m->cal_a && back->cal_b == m->cal_b);
	assert_true(back->base_margin == m->base_margin);
	assert_memory_equal(back->nullable, m->nullable, sizeof m->nullable);
	f = open_memstream(&b, &lb);
	assert_int_equal(cmt_model_write(back, f, err), CMT_OK);
	fclose(f);
	assert_string_equal(a, b);
	free(a);
	free(b);
	cmt_model_free(m);
	cmt_model_free(back);
}

/* cmt_model_warmup_ms: the live data a model needs before it can score,
 * by hand for the shipped wide set on 1-minute steps: no vector before
 * the base warm-up (ret_1h: 60 steps); a return over W steps needs W + 1
 * prices (ret_4h: 240, ret_1d: 1440), a rolling high over W steps W
 * (dhi_4h: 239); inputs a trees model may take null do not wait. */
static void
the_warm_up_is_the_longest_window_among_the_inputs_that_cannot_be_null(
	void **state)
{
	static const struct { const char *inputs, *nullable; int64_t min; }
	cases[] = {
		{ "\"rsi\"", "", 60 },
		{ "\"rsi\",\"ret_1d\"", "\"ret_1d\"", 60 },
		{ "\"rsi\",\"ret_4h\",\"ret_1d\"", "\"ret_1d\"", 240 },
		{ "\"rsi\",\"dhi_4h\",\"ret_1d\"", "\"ret_1d\"", 239 },
		{ "\"rsi\",\"dhi_4h\",\"ret_1d\"", "\"ret_1d\",\"dhi_4h\"", 60 },
		{ "\"rsi\",\"ret_4h\",\"ret_1d\"", "", 1440 },
		{ "\"rsi\",\"dlo_1d\"", "", 1439 },
	};
	static const char *wide[] = { TEST_WIDE_NAMES };
	char path[] = "/tmp/cmt-test-warm-XXXXXX", json[4096], names[1024];
	size_t i, used = 0;
	int fd;

	for (i = 0; i < sizeof wide / sizeof wide[0]; i++)
		used += (size_t)snprintf(names + used, sizeof names - used,
			"%s\"%s\"", i ? "," : "", wide[i]);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(json, sizeof json, "{\"format\":\"cmt-model\","
			"\"version\":3,\"name\":\"w\",\"feature_set\":\"%s\","
			"\"feature_names\":[%s],\"horizon_ms\":60000,\"card\":{},"
			"\"kind\":\"trees\",\"inputs\":[%s],"
			"\"nullable_inputs\":[%s],\"base_margin\":0,"
			"\"trees\":[[{\"split\":\"rsi\",\"lt\":50,\"yes\":1,"
			"\"no\":2,\"missing\":\"no\"},{\"leaf\":1},"
			"{\"leaf\":-1}]]}", WIDE_FS, names,
			cases[i].inputs, cases[i].nullable);
		strcpy(path + sizeof path - 7, "XXXXXX");
		fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_true(write(fd, json, strlen(json)) == (ssize_t)strlen(json));
		close(fd);
		assert_int_equal(cmt_model_warmup_ms(path), cases[i].min * 60000);
		unlink(path);
	}
	assert_int_equal(cmt_model_warmup_ms("/no/such/model.json"), 0);
}

static void
invalid_trees_are_rejected_with_the_problem_named(void **state)
{
	static const struct { const char *from, *to, *says; } cases[] = {
		{ "\"version\":3", "\"version\":2", "needs \"version\": 3" },
		{ "\"yes\":3", "\"yes\":1", "later node" },
		{ "\"no\":4", "\"no\":3", "same node" },
		{ "\"no\":4", "\"no\":5", "later node" },
		{ "\"split\":\"rsi\"", "\"split\":\"mom\"", "not one of \"inputs\"" },
		{ "\"missing\":\"yes\"", "\"missing\":\"left\"", "'yes' or 'no'" },
		{ "{\"leaf\":1}", "{\"leaf\":1,\"x\":2}", "nothing else" },
		{ "{\"leaf\":1}", "{\"leaf\":1e39}", "single-precision" },
		{ "\"lt\":50", "\"lt\":\"50\"", "not a number" },
		{ "\"base_margin\":0.0625,", "", "base_margin" },
		{ "{\"leaf\":0.125}", "\"leaf\"", "not an object" },
		{ "\"trees\":[[", "\"trees\":[[],[", "not a non-empty array" },
		{ "[\"vol_trend\"]", "[\"mom\"]", "nullable_inputs" },
		{ "\"kind\":\"trees\",", "\"kind\":\"trees\",\"layers\":[],",
			"no \"layers\"" },
		/* node 2 unreached (node 4 reached twice: one of the two said) */
		{ "\"yes\":1,\"no\":2,\"missing\":\"no\"},{\"split\":\"vol",
			"\"yes\":1,\"no\":4,\"missing\":\"no\"},{\"split\":\"vol",
			"is reached from no node" },
	};
	char err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		if (parse_err(replace(trees, cases[i].from, cases[i].to), err) ==
		    CMT_OK)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, cases[i].says))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err,
				cases[i].says);
	}
	/* calibration: version 3 only, a method we know, a slope not 0 */
	assert_int_not_equal(parse_err(replace(logreg, "\"version\":1",
		"\"version\":2,\"inputs\":[\"ret_1m\"],\"calibration\":{}"), err),
		CMT_OK);
	assert_int_not_equal(parse_err(replace(logreg, "\"version\":1",
		"\"version\":3,\"inputs\":" NAMES ",\"calibration\":{\"method\":"
		"\"platt\",\"a\":0,\"b\":1}"), err), CMT_OK);
	assert_non_null(strstr(err, "A not 0"));
	assert_int_not_equal(parse_err(replace(logreg, "\"version\":1",
		"\"version\":3,\"inputs\":" NAMES ",\"calibration\":{\"method\":"
		"\"iso\",\"a\":1,\"b\":1}"), err), CMT_OK);
	assert_non_null(strstr(err, "unknown method"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trees_sum_the_leaves_each_vector_reaches),
		cmocka_unit_test(trees_compare_in_single_precision),
		cmocka_unit_test(calibration_maps_the_margin),
		cmocka_unit_test(a_saved_trees_model_loads_back_bit_for_bit),
		cmocka_unit_test(invalid_trees_are_rejected_with_the_problem_named),
		cmocka_unit_test(
		the_warm_up_is_the_longest_window_among_the_inputs_that_cannot_be_null),
		cmocka_unit_test(logreg_probability_matches_the_formula),
		cmocka_unit_test(forward_pass_is_bit_for_bit_the_scalar_one),
		cmocka_unit_test(mlp_probability_matches_a_hand_forward_pass),
		cmocka_unit_test(invalid_models_are_rejected_with_the_problem_named),
		cmocka_unit_test(a_model_reads_its_inputs_by_name_and_nothing_else),
		cmocka_unit_test(bad_inputs_are_rejected_with_the_problem_named),
		cmocka_unit_test(a_truncated_file_never_loads),
		cmocka_unit_test(a_saved_subset_model_loads_back_with_its_inputs),
		cmocka_unit_test(a_saved_model_loads_back_bit_for_bit),
		cmocka_unit_test(a_different_feature_set_is_refused_naming_both),
		cmocka_unit_test(a_model_reads_its_inputs_by_name_from_a_wider_vector),
		cmocka_unit_test(
			the_default_model_honours_cmt_model_and_paths_pass_through),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
