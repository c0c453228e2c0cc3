/* Fuzz target: what cmt-sse reads in an input line before it sends it
 * (sse_line_inspect) and the line it sends (sse_line_stamp).  A JSON
 * object is sent as valid JSON with "t_recv" last (unless it had one),
 * anything else exactly as it came; the stamp never passes its room; a
 * symbol or event type taken from the line is a plain token. */
#include <string.h>

#include "cmt_json.h"
#include "fuzz.h"
#include "serve/serve_int.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_strdup(data, size), *out = malloc(size + STAMP_EXTRA);
	struct sse_line li;
	size_t n, i;

	sse_line_inspect(line, size, "kind", &li);
	n = sse_line_stamp(line, size, &li, 1709596800123, out);
	FUZZ_CHECK(n <= size + STAMP_EXTRA);
	if (!li.object || li.stamped) {
		FUZZ_CHECK(n == size && memcmp(out, line, size) == 0);
	} else {
		FUZZ_CHECK(cmt_json_validate(out, n, NULL) == CMT_OK);
		FUZZ_CHECK(n >= 23 && memcmp(out + n - 23,
			"\"t_recv\":1709596800123}", 23) == 0);
		FUZZ_CHECK(li.close < size && line[li.close] == '}');
	}
	for (i = 0; li.has_sym && li.sym[i]; i++)
		FUZZ_CHECK(strchr("-_.:", li.sym[i]) || (li.sym[i] >= '0' &&
			li.sym[i] <= '9') || (li.sym[i] >= 'A' && li.sym[i] <=
			'Z') || (li.sym[i] >= 'a' && li.sym[i] <= 'z'));
	FUZZ_CHECK(li.type_len < CMT_SSE_MAX_EVENT &&
		strlen(li.type) == li.type_len);
	FUZZ_CHECK(!li.partial || li.object);
	free(out);
	free(line);
	return 0;
}
