/* The parts of lib/bus/ that need no server: partitions against FNV-1a
 * values computed apart (Python), subject templates, and the subject and
 * message id a line gets.  The rest is tested against real nats-server
 * processes in tests/cli/cmt-bus.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cmt_bus.h"
#include "bus/bus_int.h"

static void
partitions_are_fnv1a_of_the_upper_case_symbol_modulo_n(void **state)
{
	/* h = 2166136261; for c in s.upper(): h = (h ^ c) * 16777619 mod 2^32 */
	static const struct { const char *sym; int n, part; } cases[] = {
		{ "BTC-USD", 4, 1 }, { "BTC-USD", 7, 5 },   /* h = 1995245873 */
		{ "ETH-USD", 4, 1 }, { "ETH-USD", 7, 2 },   /* h = 3790142981 */
		{ "S1-USD", 4, 0 }, { "S1-USD", 7, 1 },     /* h = 3478110868 */
		{ "btc-usd", 7, 5 }, { "a", 7, 6 },         /* h("A") = 3289118412 */
		{ "BTC-USD", 1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (cmt_bus_partition(cases[i].sym, strlen(cases[i].sym),
		    cases[i].n) != cases[i].part)
			fail_msg("%s mod %d: %d, expected %d", cases[i].sym,
				cases[i].n, cmt_bus_partition(cases[i].sym,
				strlen(cases[i].sym), cases[i].n), cases[i].part);
}

static void
templates_turn_fields_into_stream_wildcards(void **state)
{
	static const struct { const char *t, *wild; } ok[] = {
		{ "cmt.ticks.{sym}", "cmt.ticks.*" },
		{ "cmt.ticks.{part}.{sym}", "cmt.ticks.*.*" },
		{ "{src}.x", "*.x" },
		{ "plain.subject", "plain.subject" },
		{ "cmt.pred.>", "cmt.pred.>" },
		{ "cmt.*.x", "cmt.*.x" },
	};
	char wild[256], err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(cmt_bus_template_check(ok[i].t, wild, sizeof wild,
			err), CMT_OK);
		assert_string_equal(wild, ok[i].wild);
	}
}

static void
templates_reject_partial_tokens_and_empty_ones(void **state)
{
	static const char *bad[] = { "", "cmt.{sym}x", "x{sym}.y", "cmt..x",
		"cmt.x.", ".cmt", "cmt.{}", "cmt.{sym", "a b", "cmt.a*",
		"cmt.*a", "cmt.>a", "cmt.a\\b", "cmt.a\"b", "cmt.caf\xc3\xa9",
		"cmt.a\tb" };
	char wild[256], err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cmt_bus_template_check(bad[i], wild, sizeof wild, err) ==
		    CMT_OK)
			fail_msg("accepted '%s'", bad[i]);
}

/* The subject and the id ("subject|sym|t") of line s under template t. */
static enum cmt_err
expand(const char *t, const char *s, char *subj, char *id, char *err)
{
	static struct fields f;
	struct tmpl tp;
	int isym, it;
	long n;
	size_t w;
	enum cmt_err e;

	bus_fields_free(&f);
	memset(&f, 0, sizeof f);
	assert_int_equal(bus_tmpl_compile(&tp, &f, t, err), CMT_OK);
	isym = bus_field_add(&f, "sym", 3, err);
	it = bus_field_add(&f, "t", 1, err);
	if ((e = bus_fields_scan(&f, s, strlen(s), err)) ||
	    (e = bus_tmpl_expand(&tp, &f, 4, subj, err)))
		return e;
	w = (size_t)sprintf(id, "%s|", subj);
	if ((n = bus_id_value(&f, isym, id + w, 200, err)) < 0)
		return CMT_EVALUE;
	w += (size_t)n;
	id[w++] = '|';
	if ((n = bus_id_value(&f, it, id + w, 200, err)) < 0)
		return CMT_EVALUE;
	id[w + (size_t)n] = 0;
	return CMT_OK;
}

static void
one_value_spelled_two_ways_gives_one_subject_and_one_id(void **state)
{
	/* each group: one value, spelled in several ways */
	static const struct { const char *line, *subj, *id; } cases[] = {
		{ "{\"sym\":\"BTC-USD\",\"t\":1,\"src\":\"ab\"}",
		  "c.ab.BTC-USD", "c.ab.BTC-USD|BTC-USD|1" },
		{ "{\"sym\":\"BTC-USD\",\"t\":1,\"src\":\"a\\u0062\"}",
		  "c.ab.BTC-USD", "c.ab.BTC-USD|BTC-USD|1" },
		{ "{\"s\\u0079m\":\"btc\\u002dusd\",\"t\":1,\"src\":\"\\u0061b\"}",
		  "c.ab.BTC-USD", "c.ab.BTC-USD|BTC-USD|1" },
		{ "{\"sym\":\"BTC-USD\",\"t\":1e3,\"src\":1000}",
		  "c.1000.BTC-USD", "c.1000.BTC-USD|BTC-USD|1000" },
		{ "{\"sym\":\"BTC-USD\",\"t\":1000.0,\"src\":10E2}",
		  "c.1000.BTC-USD", "c.1000.BTC-USD|BTC-USD|1000" },
		{ "{\"sym\":\"BTC-USD\",\"t\":-0,\"src\":0.0}",
		  "c.0.BTC-USD", "c.0.BTC-USD|BTC-USD|0" },
		{ "{\"sym\":\"BTC-USD\",\"t\":1.5,\"src\":\"x\"}",
		  "c.x.BTC-USD", "c.x.BTC-USD|BTC-USD|1.5" },
		{ "{\"sym\":\"BTC-USD\",\"t\":15e-1,\"src\":\"x\"}",
		  "c.x.BTC-USD", "c.x.BTC-USD|BTC-USD|1.5" },
		/* '|' and '%' in an id value cannot make two lines one id */
		{ "{\"sym\":\"BTC-USD\",\"t\":\"a|b%\",\"src\":\"x\"}",
		  "c.x.BTC-USD", "c.x.BTC-USD|BTC-USD|a%7Cb%25" },
		{ "{\"sym\":\"BTC-USD\",\"t\":12345678901234567890,\"src\":\"x\"}",
		  "c.x.BTC-USD", "c.x.BTC-USD|BTC-USD|12345678901234567890" },
	};
	char subj[SUBJECT_MAX], id[512], err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (expand("c.{src}.{sym}", cases[i].line, subj, id, err))
			fail_msg("%s: %s", cases[i].line, err);
		assert_string_equal(subj, cases[i].subj);
		assert_string_equal(id, cases[i].id);
	}
}

static void
a_token_with_a_dot_space_wildcard_or_control_character_is_refused(void **state)
{
	static const struct { const char *src, *why; } cases[] = {
		{ "a\\u002eb", "a dot" }, { "a.b", "a dot" },
		{ "x\\u0020y", "a space" }, { "\\u002a", "'*'" },
		{ "a\\u003e", "'>'" }, { "a\\nb", "a control character" },
		{ "\\u0000", "a control character" },
		{ "a\\u007f", "a control character" },
		{ "\\t", "a control character" },
		{ "caf\\u00e9", "outside ASCII" }, { "a\\\\b", "a backslash" },
		{ "a\\\"b", "'\"'" }, { "", "empty" },
		{ "0123456789012345678901234567890123456789"
		  "012345678901234567890123", "64 bytes or longer" },
	};
	char subj[SUBJECT_MAX], id[512], err[CMT_ERRLEN], line[256];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(line, sizeof line, "{\"sym\":\"BTC-USD\",\"t\":1,"
			"\"src\":\"%s\"}", cases[i].src);
		if (expand("c.{src}.{sym}", line, subj, id, err) != CMT_EVALUE)
			fail_msg("%s: accepted as %s", line, subj);
		if (!strstr(err, "cannot be a subject token") ||
		    !strstr(err, cases[i].why))
			fail_msg("%s: %s", line, err);
	}
	/* 1.5 is "1.5" whatever its spelling: a dot */
	assert_int_equal(expand("c.{src}", "{\"sym\":\"BTC-USD\",\"t\":1,"
		"\"src\":150e-2}", subj, id, err), CMT_EVALUE);
	assert_non_null(strstr(err, "a dot"));
	/* 63 bytes fit */
	assert_int_equal(expand("c.{src}", "{\"sym\":\"BTC-USD\",\"t\":1,\"src\":"
		"\"012345678901234567890123456789012345678901234567890123456789"
		"012\"}", subj, id, err), CMT_OK);
}

static void
an_id_value_with_a_control_character_or_a_key_named_twice_is_refused(void **state)
{
	char subj[SUBJECT_MAX], id[512], err[CMT_ERRLEN];

	assert_int_equal(expand("c.{sym}", "{\"sym\":\"BTC-USD\",\"t\":\"1\\r\\n"
		"X: y\"}", subj, id, err), CMT_EVALUE);
	assert_non_null(strstr(err, "cannot be part of a message id"));
	assert_int_equal(expand("c.{sym}", "{\"sym\":\"BTC-USD\",\"t\":1,"
		"\"s\\u0079m\":\"ETH-USD\"}", subj, id, err), CMT_ESYNTAX);
	assert_non_null(strstr(err, "duplicate key \"sym\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(partitions_are_fnv1a_of_the_upper_case_symbol_modulo_n),
		cmocka_unit_test(templates_turn_fields_into_stream_wildcards),
		cmocka_unit_test(templates_reject_partial_tokens_and_empty_ones),
		cmocka_unit_test(one_value_spelled_two_ways_gives_one_subject_and_one_id),
		cmocka_unit_test(a_token_with_a_dot_space_wildcard_or_control_character_is_refused),
		cmocka_unit_test(an_id_value_with_a_control_character_or_a_key_named_twice_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
