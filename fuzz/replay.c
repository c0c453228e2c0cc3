/* Regression driver for the fuzz targets, built with the normal compiler
 * (no libFuzzer) as build/tests/test_fuzz_<target> and run by make check:
 * it feeds every file of fuzz/corpus/<target>/ and
 * fuzz/regressions/<target>/ to the target's entry point, so seeds and
 * every crash ever found stay tested.  With file arguments it runs just
 * those (to reproduce a crash under a debugger). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	/* exactly n bytes, so a read past the end is an ASan error */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: read failed\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int
run_dir(const char *dir, int *count)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int bad = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(path) != 0)
			bad = -1;
		(*count)++;
	}
	closedir(d);
	return bad;
}

int
main(int argc, char **argv)
{
	const char *root = getenv("CMT_ROOT");
	const char *name = strrchr(argv[0], '/');
	char dir[4096];
	int count = 0, bad = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			bad |= run_file(argv[i]) != 0;
		return bad;
	}
	name = name ? name + 1 : argv[0];
	if (strncmp(name, "test_fuzz_", 10) != 0) {
		fprintf(stderr, "%s: expected to be named test_fuzz_TARGET\n",
			name);
		return 2;
	}
	name += 10;
	if (!root)
		root = ".";
	snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", root, name);
	bad |= run_dir(dir, &count);
	snprintf(dir, sizeof dir, "%s/fuzz/regressions/%s", root, name);
	bad |= run_dir(dir, &count);
	if (count == 0) {
		fprintf(stderr, "fuzz %s: no inputs under %s/fuzz\n", name,
			root);
		return 1;
	}
	printf("fuzz %s: %d inputs ok\n", name, count);
	return bad ? 1 : 0;
}
