/* The cost of the maths alone: cmt_model_predict on a model file, in ns
 * of this thread's CPU time per vector (so that other load on the machine
 * counts less than on the wall clock), over a ring of 1024 inputs: the first 1024 vectors of
 * VECTORS (cmt-features output of the model's set) when given, else made
 * from the model's standardisation (dense kinds).
 * Usage: forward MODEL.json [N] [VECTORS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmt_fvec.h"
#include "cmt_model.h"

static int
read_vectors(const char *path, double x[][CMT_FEAT_N])
{
	struct cmt_fvec_decoder dec;
	struct cmt_fvec v;
	char line[8192], err[CMT_ERRLEN];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return 0;
	cmt_fvec_decoder_init(&dec, CMT_FVEC_AUTO);
	while (n < 1024 && fgets(line, sizeof line, f))
		if (cmt_fvec_decode(&dec, line, strcspn(line, "\n"), &v, err) ==
		    CMT_OK)
			memcpy(x[n++], v.x, sizeof v.x);
	fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	static double x[1024][CMT_FEAT_N];
	struct cmt_model *m;
	struct timespec a, b;
	char err[CMT_ERRLEN];
	long n = argc > 2 ? atol(argv[2]) : 5000000, i;
	double sum = 0, ns;
	int j, nx = 0;

	if (argc < 2 || cmt_model_load(argv[1], &m, err)) {
		fprintf(stderr, "forward: %s\n", argc < 2 ? "usage: forward MODEL"
			: err);
		return 1;
	}
	if (argc > 3 && (nx = read_vectors(argv[3], x)) == 0) {
		fprintf(stderr, "forward: %s: no vectors\n", argv[3]);
		return 1;
	}
	for (i = nx; i < 1024; i++)
		for (j = 0; j < CMT_FEAT_N; j++)
			x[i][j] = x[i % (nx ? nx : 1)][j];
	for (i = 0; nx == 0 && i < 1024; i++)
		for (j = 0; j < CMT_FEAT_BASE; j++)
			x[i][j] = m->mean[j] + m->std[j] *
			    (((double)((i * 7919 + j * 104729) % 2001) - 1000) / 500);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (i = 0; i < n; i++)
		sum += cmt_model_predict(m, x[i & 1023]);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 +
	    (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
	if (m->ntrees)
		printf("  forward pass   %6.1f ns/vector (%s %s, %d trees, %zu "
			"nodes; mean p %.4f)\n", ns, m->name, m->kind, m->ntrees,
			m->nnodes, sum / (double)n);
	else
		printf("  forward pass   %6.1f ns/vector (%s %s, %zu parameters;"
			" mean p %.4f)\n", ns, m->name, m->kind, m->nparams,
			sum / (double)n);
	cmt_model_free(m);
	return 0;
}
