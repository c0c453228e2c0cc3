/* cmt-predict: add P(up after the horizon) to feature vectors; reload the
 * models on SIGHUP, between lines. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmt_fvec.h"
#include "cmt_json.h"
#include "cmt_line.h"
#include "cmt_model.h"
#include "cmt_modelset.h"
#include "cmt_parse.h"

#define OPTSTRING "m:o:h"  /* getopt's, for cmt_bad_option too */

#define NULL_REPORTS 5   /* null-feature vectors reported one by one */
#define MAX_MODELS CMT_MODELSET_MAX

/* The models, tried in order: the first whose inputs a vector has scores
 * it.  Each is bound to the feature set of the vectors (their own, or a
 * wider one its features are found in by name). */
struct scorer {
	struct cmt_modelset set;
	int n;
	struct cmt_model **m;           /* set.m */
	char tail[MAX_MODELS][CMT_MODEL_NAME_MAX + 16]; /* ,"model":"NAME" */
	size_t taillen[MAX_MODELS];
	unsigned long long scored[MAX_MODELS];
	int map[MAX_MODELS][CMT_FEAT_N], same[MAX_MODELS];
	double x[MAX_MODELS][CMT_FEAT_N];   /* a model's features, gathered */
	/* the vectors' set they are bound to, and its feature names, which
	 * every vector of that set must then carry (the decoder checks) */
	char fs[CMT_FVEC_FAST_FS];
	size_t fslen;
	char names[CMT_LINE_MAX_DEFAULT];
	const char *name[CMT_FEAT_N];
	int nname;
};

static void make_tails(struct scorer *sc, int csv);
static void rebind(struct scorer *sc);

static volatile sig_atomic_t reload_asked;

static void
on_hup(int sig)
{
	(void)sig;
	reload_asked = 1;
}

static void
usage(void)
{
	printf("Usage: cmt-predict [-m MODEL]... [--csv] [--info] [-o FILE]\n"
		"Read feature vectors (cmt-features output, NDJSON or CSV) on stdin"
		" and write\neach back with \"p_up\" and \"model\" added.\n\n"
		"  -m, --model MODEL  model file, or a name; repeated, each vector"
		" is scored\n"
		"                     by the first model whose inputs it has."
		" Default: the\n"
		"                     shipped pair, 'default' then 'default-price'"
		" (no volume)\n"
		"      --csv          input is CSV (otherwise sniffed from the"
		" first line)\n"
		"      --info         print the model's description and card,"
		" then exit\n"
		"  -o, --output FILE  write to FILE (whole lines only), not"
		" stdout\n"
		"  -h, --help         show this help and exit\n"
		"      --version      show the version and exit\n");
}

static void
add_model(struct scorer *sc, const char *name)
{
	char err[CMT_ERRLEN];
	enum cmt_err e = cmt_modelset_add(&sc->set, name, err);

	if (e == CMT_ELIMIT)
		cmt_usage_error("%s", err);
	if (e)
		cmt_die(CMT_EXIT_FAIL, "%s", err);
	sc->n = sc->set.n;
	sc->m = sc->set.m;
	if (sc->n > 1 && strcmp(sc->m[sc->n - 1]->fs, sc->m[0]->fs) != 0)
		cmt_usage_error("model %s: feature set '%s' differs from model "
			"%s's '%s'", sc->m[sc->n - 1]->name, sc->m[sc->n - 1]->fs,
			sc->m[0]->name, sc->m[0]->fs);
}

/* On SIGHUP, between two lines: every model file loaded again, or, if
 * any fails, the running models kept; said on stderr either way. */
static void
reload(struct scorer *sc, int csv)
{
	char err[CMT_ERRLEN], names[MAX_MODELS * (CMT_MODEL_NAME_MAX + 8)];
	size_t len = 0;
	int i;

	reload_asked = 0;
	if (cmt_modelset_reload(&sc->set, err)) {
		for (i = 0; i < sc->n; i++)
			len += (size_t)snprintf(names + len, sizeof names - len,
				"%s%s", i ? ", " : "", sc->m[i]->name);
		cmt_warn("SIGHUP: reload failed, %s; still scoring with %s", err,
			names);
		return;
	}
	make_tails(sc, csv);
	for (i = 0; i < sc->n; i++)
		len += (size_t)snprintf(names + len, sizeof names - len,
			"%s%s (%s)", i ? ", " : "", sc->m[i]->name, sc->set.path[i]);
	cmt_warn("SIGHUP: reloaded %s", names);
	rebind(sc);
}

/* Bind every model to the set of vector v, and have the decoder hold
 * every later vector of that set to its names. */
static enum cmt_err
bind(struct scorer *sc, struct cmt_fvec_decoder *dec,
	const struct cmt_fvec *v, char *err)
{
	enum cmt_err e;
	size_t used = 0;
	int k, i;

	for (k = 0; k < sc->n; k++)
		if ((e = cmt_model_bind(sc->m[k], v->fs, v->name, v->nfeat,
		    sc->map[k], &sc->same[k], err)))
			return e;
	if (v->fs.len >= sizeof sc->fs)
		return cmt_errf(err, CMT_ELIMIT, "feature-set id longer than %zu",
			sizeof sc->fs - 1);
	memcpy(sc->fs, v->fs.s, v->fs.len);
	sc->fs[v->fs.len] = '\0';
	sc->fslen = v->fs.len;
	for (i = 0; i < v->nfeat; i++) {
		memcpy(sc->names + used, v->name[i].s, v->name[i].len);
		sc->names[used + v->name[i].len] = '\0';
		sc->name[i] = sc->names + used;
		used += v->name[i].len + 1;
	}
	sc->nname = v->nfeat;
	cmt_fvec_decoder_expect(dec, sc->fs, sc->name, v->nfeat);
	return CMT_OK;
}

/* After a reload, the new models bound to the vectors' set as the old
 * ones were (their inputs may differ: a vector lacking one of them is
 * passed on unscored, with the reason). */
static void
rebind(struct scorer *sc)
{
	struct cmt_slice names[CMT_FEAT_N], fs = { sc->fs, sc->fslen };
	char err[CMT_ERRLEN];
	int k, i, n = sc->nname;

	if (!sc->fslen)
		return;   /* no vector yet: bound at the first */
	for (i = 0; i < n; i++) {
		names[i].s = sc->name[i];
		names[i].len = strlen(sc->name[i]);
	}
	for (k = 0; k < sc->n; k++)
		if (cmt_model_bind(sc->m[k], fs, names, n, sc->map[k],
		    &sc->same[k], err))
			cmt_warn("model %s: %s", sc->m[k]->name, err);
}

/* The first model that can score v, or -1; *x its features. */
static int
pick(struct scorer *sc, const struct cmt_fvec *v, const double **x)
{
	int k;

	for (k = 0; k < sc->n; k++) {
		*x = v->x;
		if (!sc->same[k]) {
			cmt_model_gather(sc->m[k], sc->map[k], v->x, sc->x[k]);
			*x = sc->x[k];
		}
		if (cmt_model_can_score(sc->m[k], *x))
			return k;
	}
	return -1;
}

/* Why no model could score v: the first null input of the last one. */
static void
null_reason(const struct scorer *sc, const struct cmt_fvec *v, char *buf,
	size_t cap)
{
	const struct cmt_model *m = sc->m[sc->n - 1];
	int j, i = 0;

	for (j = 0; j < m->ninput; j++) {
		i = sc->same[sc->n - 1] ? m->input[j] :
		    sc->map[sc->n - 1][m->input[j]];
		if (isnan(v->x[i]))
			break;
	}
	cmt_fvec_null_reason(v, i, buf, cap);
}

/* The suffix after the probability, for NDJSON or CSV output. */
static void
make_tails(struct scorer *sc, int csv)
{
	int i;

	for (i = 0; i < sc->n; i++)
		sc->taillen[i] = (size_t)snprintf(sc->tail[i], sizeof sc->tail[i],
			csv ? ",%s" : ",\"model\":\"%s\"", sc->m[i]->name);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "csv", no_argument, NULL, 'c' },
		{ "info", no_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char out[CMT_LINE_MAX_DEFAULT + 512];
	static struct scorer sc;
	const char *model_arg[MAX_MODELS], *env;
	char err[CMT_ERRLEN], fsname[CMT_MODEL_FS_MAX];
	struct cmt_fvec_decoder dec;
	const char *names[CMT_FEAT_N];
	const double *x;
	struct cmt_linereader *lr;
	int fd;
	struct cmt_model *m;
	struct cmt_fvec v;
	struct cmt_line ln;
	struct sigaction hup;
	static char run_fs[CMT_MODEL_FS_MAX];
	static char run_feature[CMT_FEAT_N][CMT_MODEL_FEATNAME_MAX];
	unsigned long long npred = 0, nnull = 0, nbad = 0, npartial = 0;
	size_t n;
	double p;
	int c, csv = 0, info = 0, checked = 0, rc, nmodel = 0, k, i;
	enum cmt_err e;

	cmt_cli_init(argv[0]);
	/* before the models load: a reload asked meanwhile is done at the
	 * first line, never the default (death) */
	memset(&hup, 0, sizeof hup);
	hup.sa_handler = on_hup;     /* no SA_RESTART: a wait for input ends */
	sigemptyset(&hup.sa_mask);
	sigaction(SIGHUP, &hup, NULL);
	while ((c = getopt_long(argc, argv, OPTSTRING, opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (nmodel == MAX_MODELS)
				cmt_usage_error("at most %d models", MAX_MODELS);
			model_arg[nmodel++] = optarg;
			break;
		case 'c': csv = 1; break;
		case 'i': info = 1; break;
		case 'o': cmt_output(optarg); break;
		case 'h': usage(); return cmt_finish(CMT_EXIT_OK);
		case 'V': cmt_print_version();
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if (optind < argc)
		cmt_usage_error("unexpected argument '%s' (input is stdin)",
			argv[optind]);
	/* The shipped default is the pair, unless $CMT_MODEL replaces it
	 * with one model. */
	if (nmodel == 0 || (nmodel == 1 &&
	    strcmp(model_arg[0], CMT_MODEL_DEFAULT) == 0)) {
		add_model(&sc, CMT_MODEL_DEFAULT);
		if (!((env = getenv("CMT_MODEL")) && *env))
			add_model(&sc, CMT_MODEL_PRICE);
	} else {
		for (i = 0; i < nmodel; i++)
			add_model(&sc, model_arg[i]);
	}
	if (info) {
		for (i = 0; i < sc.n; i++) {
			printf("%s", i ? "\n" : "");
			cmt_model_describe(sc.m[i], sc.set.path[i], stdout);
		}
		cmt_modelset_free(&sc.set);
		return cmt_finish(CMT_EXIT_OK);
	}
	/* copies: a reload frees the models, and keeps these the same */
	m = sc.m[0];
	memcpy(run_fs, m->fs, sizeof run_fs);
	memcpy(run_feature, m->feature, sizeof run_feature);
	lr = cmt_input_open(NULL, CMT_KIND_BIT(CMT_KIND_VECTORS), &fd);
	cmt_fvec_decoder_init(&dec, csv ? CMT_FVEC_CSV : CMT_FVEC_AUTO);
	for (c = 0; c < m->nfeature; c++)
		names[c] = run_feature[c];
	/* every vector, by name */
	cmt_fvec_decoder_expect(&dec, run_fs, names, m->nfeature);
	/* what follows the probability never changes: build it once */
	make_tails(&sc, csv);
	while (!cmt_stop && (rc = cmt_input_next(lr, &ln, NULL)) != 0) {
		if (rc < 0) {
			if (errno == EINTR) {
				if (reload_asked && !cmt_stop)
					reload(&sc, csv);
				continue;
			}
			exit(cmt_finish(CMT_EXIT_FAIL));
		}
		/* the feature set and names stay those checked: reload()
		 * refuses models of others */
		if (reload_asked)
			reload(&sc, csv);
		if (ln.too_long) {
			cmt_bad_line(NULL, (unsigned long long)ln.no,
				"longer than %d bytes, skipped", CMT_LINE_MAX_DEFAULT);
			nbad++;
			continue;
		}
		e = cmt_fvec_decode(&dec, ln.s, ln.len, &v, err);
		if (e == CMT_ESKIP) {
			if (dec.format != CMT_FVEC_CSV || ln.len == 0)
				continue;
			for (c = 0; c < dec.ncols; c++)
				if (cmt_slice_eq(dec.col_name[c], "p_up") ||
				    cmt_slice_eq(dec.col_name[c], "model"))
					cmt_die(CMT_EXIT_FAIL, "line %llu: the input "
						"already has a %.*s column",
						(unsigned long long)ln.no,
						(int)dec.col_name[c].len,
						dec.col_name[c].s);
			csv = 1;
			make_tails(&sc, csv);
			cmt_out(ln.s, ln.len);
			cmt_out(",p_up,model\n", 12);
			continue;
		}
		/* adding ours would write a key twice: a scored line is
		 * reported, never given duplicate members */
		if (e == CMT_OK && (v.has_p || v.has_model))
			e = cmt_errf(err, CMT_EVALUE, "already has \"%s\" (scored "
				"before?)", v.has_p ? "p_up" : "model");
		if (e) {
			/* ticks, or vectors of another shape, before any good
			 * vector: the pipeline is wrong, say so once */
			if (e == CMT_EMISMATCH && !checked) {
				cmt_bad_line(NULL, (unsigned long long)ln.no, "%s",
					err);
				cmt_usage_hint();
			}
			if (dec.format == CMT_FVEC_CSV && dec.ncols == 0)
				cmt_die(CMT_EXIT_FAIL, "line %llu: %s",
					(unsigned long long)ln.no, err);
			cmt_bad_line(NULL, (unsigned long long)ln.no, "%s, skipped",
				err);
			nbad++;
			continue;
		}
		if (v.fs.len != sc.fslen || memcmp(v.fs.s, sc.fs, sc.fslen) != 0 ||
		    !checked) {
			if ((e = bind(&sc, &dec, &v, err))) {
				/* The first vector tells a wrong pipeline; a
				 * foreign line later is a bad line, and must
				 * not end the stream. */
				if (checked) {
					cmt_bad_line(NULL, (unsigned long long)ln.no,
						"%s, skipped", err);
					nbad++;
					continue;
				}
				cmt_warn("line %llu: %s", (unsigned long long)ln.no,
					err);
				snprintf(fsname, sizeof fsname, "%s", nmodel ?
					model_arg[0] : CMT_MODEL_DEFAULT);
				cmt_usage_error("make the vectors with "
					"'cmt-features --model %s'", fsname);
			}
			checked = 1;
		}
		npartial += v.partial != 0;
		k = pick(&sc, &v, &x);
		p = k < 0 ? NAN : cmt_model_predict(sc.m[k], x);
		if (!isfinite(p)) {
			/* never a made-up or null probability: the line goes
			 * on without p_up, and says why */
			if (++nnull <= NULL_REPORTS) {
				if (k < 0)
					null_reason(&sc, &v, err, sizeof err);
				else
					snprintf(err, sizeof err, "the model's output "
						"is not finite (features far outside "
						"the training range)");
				cmt_warn("line %llu: %s; passed through without "
					"p_up%s", (unsigned long long)ln.no, err,
					nnull == NULL_REPORTS ? " (further ones counted "
					"at exit)" : "");
			}
			cmt_out(ln.s, ln.len);
			cmt_out(csv ? ",,\n" : "\n", csv ? 3 : 1);
			continue;
		}
		n = csv ? ln.len : v.close;
		memcpy(out, ln.s, n);
		memcpy(out + n, csv ? "," : ",\"p_up\":", csv ? 1 : 8);
		n += csv ? 1 : 8;
		n += (size_t)cmt_fmt_double(out + n, p, 6);
		memcpy(out + n, sc.tail[k], sc.taillen[k]);
		n += sc.taillen[k];
		sc.scored[k]++;
		memcpy(out + n, ln.s + (csv ? ln.len : v.close),
			ln.len - (csv ? ln.len : v.close));
		n += ln.len - (csv ? ln.len : v.close);
		out[n++] = '\n';
		cmt_out(out, n);
		npred++;
	}
	if (nnull > 0 || nbad > 0 || npred > sc.scored[0]) {
		char by[MAX_MODELS * (CMT_MODEL_NAME_MAX + 24) + 64] = "";
		size_t len = 0;

		for (i = 0; sc.n > 1 && i < sc.n; i++)
			len += (size_t)snprintf(by + len, sizeof by - len, "%s%s %llu%s",
				i ? ", " : " (", sc.m[i]->name, sc.scored[i],
				i == sc.n - 1 ? ")" : "");
		if (npartial)
			snprintf(by + len, sizeof by - len, ", %llu partial vectors",
				npartial);
		cmt_warn("%llu predicted%s, %llu passed through without p_up (null "
			"features or no finite output), %llu bad lines skipped", npred,
			by, nnull, nbad);
	}
	cmt_input_close(lr, fd);
	cmt_modelset_free(&sc.set);
	return cmt_finish(CMT_EXIT_OK);
}
