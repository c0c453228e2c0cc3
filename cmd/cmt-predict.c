/* cmt-predict: add P(up after the horizon) to feature vectors. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmt_fvec.h"
#include "cmt_json.h"
#include "cmt_line.h"
#include "cmt_model.h"
#include "cmt_parse.h"

#define OPTSTRING "m:o:h"  /* getopt's, for cmt_bad_option too */

#define NULL_REPORTS 5   /* null-feature vectors reported one by one */

static void
usage(void)
{
	printf("Usage: cmt-predict [-m MODEL] [--csv] [--info] [-o FILE]\n"
		"Read feature vectors (cmt-features output, NDJSON or CSV) on stdin"
		" and write\neach back with \"p_up\" and \"model\" added.\n\n"
		"  -m, --model MODEL  model file, or a name such as 'default'"
		" (the default)\n"
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
print_info(const struct cmt_model *m, const char *path)
{
	char hz[32];
	int l, i;

	cmt_format_duration(m->horizon_ms, hz, sizeof hz);
	printf("model:       %s (%s)\nfile:        %s\nfeature set: %s\n"
		"horizon:     %s\nlayers:      %d", m->name, m->kind, path, m->fs,
		hz, CMT_FEAT_N);
	for (l = 0; l < m->nlayers; l++)
		printf(" -> %d", m->layer[l].out);
	printf(" (%zu parameters)\nfeatures:   ", m->nparams);
	for (i = 0; i < CMT_FEAT_N; i++)
		printf(" %s", m->feature[i]);
	printf("\ncard: %s\n", m->card);
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
	const char *model_arg = "default";
	char path[PATH_MAX], err[CMT_ERRLEN], tail[CMT_MODEL_NAME_MAX + 48];
	struct cmt_fvec_decoder dec;
	const char *names[CMT_FEAT_N];
	struct cmt_linereader *lr;
	struct cmt_model *m;
	struct cmt_fvec v;
	struct cmt_line ln;
	unsigned long long npred = 0, nnull = 0, nbad = 0;
	size_t taillen, fslen, n;
	double p;
	int c, csv = 0, info = 0, checked = 0, rc;
	enum cmt_err e;

	cmt_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, OPTSTRING, opts, NULL)) != -1) {
		switch (c) {
		case 'm': model_arg = optarg; break;
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
	if (cmt_model_resolve(model_arg, path, sizeof path))
		cmt_die(CMT_EXIT_FAIL, "%s", path);
	if ((e = cmt_model_load(path, &m, err)))
		cmt_die(CMT_EXIT_FAIL, "model %s: %s", path, err);
	if (info) {
		print_info(m, path);
		cmt_model_free(m);
		return cmt_finish(CMT_EXIT_OK);
	}
	if (!(lr = cmt_line_open(STDIN_FILENO, 0)))
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	cmt_fvec_decoder_init(&dec, csv ? CMT_FVEC_CSV : CMT_FVEC_AUTO);
	for (c = 0; c < CMT_FEAT_N; c++)
		names[c] = m->feature[c];
	cmt_fvec_decoder_expect(&dec, m->fs, names);   /* every vector, by name */
	fslen = strlen(m->fs);
	/* what follows the probability never changes: build it once */
	taillen = (size_t)snprintf(tail, sizeof tail, csv ? ",%s" :
		",\"model\":\"%s\"", m->name);
	while (!cmt_stop && (rc = cmt_line_next(lr, &ln)) != 0) {
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			cmt_die(CMT_EXIT_FAIL, "read error:");
		}
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
			taillen = (size_t)snprintf(tail, sizeof tail, ",%s",
				m->name);
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
		if (v.fs.len != fslen || memcmp(v.fs.s, m->fs, fslen) != 0 ||
		    !checked) {
			if (cmt_model_check_fs(m, v.fs, v.name, err)) {
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
				cmt_usage_error("make the vectors with "
					"'cmt-features --model %s'", model_arg);
			}
			checked = 1;
		}
		p = v.nnull > 0 ? NAN : cmt_model_predict(m, v.x);
		if (!isfinite(p)) {
			/* never a made-up or null probability: the line goes
			 * on without p_up, and says why */
			if (++nnull <= NULL_REPORTS) {
				if (v.nnull > 0)
					cmt_fvec_null_reason(&v, err, sizeof err);
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
		memcpy(out + n, tail, taillen);
		n += taillen;
		memcpy(out + n, ln.s + (csv ? ln.len : v.close),
			ln.len - (csv ? ln.len : v.close));
		n += ln.len - (csv ? ln.len : v.close);
		out[n++] = '\n';
		cmt_out(out, n);
		npred++;
	}
	if (nnull > 0 || nbad > 0)
		cmt_warn("%llu predicted, %llu passed through without p_up (null "
			"features or no finite output), %llu bad lines skipped",
			npred, nnull, nbad);
	cmt_line_close(lr);
	cmt_model_free(m);
	return cmt_finish(CMT_EXIT_OK);
}
