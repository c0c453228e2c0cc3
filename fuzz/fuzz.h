/* Shared by the fuzz targets: the libFuzzer entry point and a check that
 * aborts (so libFuzzer, ASan and the regression driver all see it) when an
 * invariant of a parser's output does not hold.  Each target copies its
 * input into a buffer of exactly the input's size, so a read past the end
 * is caught by ASan. */
#ifndef CMT_FUZZ_H
#define CMT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* A NUL-terminated heap copy of data[0..size) (the NUL is outside the
 * slice the parsers see when they take a length). */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	for (size_t i = 0; i < size; i++)
		s[i] = (char)data[i];
	s[size] = '\0';
	return s;
}

#endif
