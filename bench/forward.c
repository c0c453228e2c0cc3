/* The cost of the maths alone: cmt_model_predict on a model file, in ns
 * per vector, over a ring of 1024 varied inputs.
 * Usage: forward MODEL.json [N] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmt_model.h"

int
main(int argc, char **argv)
{
	static double x[1024][CMT_FEAT_BASE];
	struct cmt_model *m;
	struct timespec a, b;
	char err[CMT_ERRLEN];
	long n = argc > 2 ? atol(argv[2]) : 5000000, i;
	double sum = 0, ns;
	int j;

	if (argc < 2 || cmt_model_load(argv[1], &m, err)) {
		fprintf(stderr, "forward: %s\n", argc < 2 ? "usage: forward MODEL"
			: err);
		return 1;
	}
	for (i = 0; i < 1024; i++)
		for (j = 0; j < CMT_FEAT_BASE; j++)
			x[i][j] = m->mean[j] + m->std[j] *
			    (((double)((i * 7919 + j * 104729) % 2001) - 1000) / 500);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		sum += cmt_model_predict(m, x[i & 1023]);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 +
	    (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
	printf("  forward pass   %6.1f ns/vector (%s, %zu parameters;"
		" mean p %.4f)\n", ns, m->kind, m->nparams, sum / (double)n);
	cmt_model_free(m);
	return 0;
}
