/* The parts of lib/bus.c that need no server: partitions against FNV-1a
 * values computed apart (Python), and subject templates.  The rest is
 * tested against real nats-server processes in tests/cli/cmt-bus.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cmt_bus.h"

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
		"cmt.x.", ".cmt", "cmt.{}", "cmt.{sym", "a b", "cmt.a*" };
	char wild[256], err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cmt_bus_template_check(bad[i], wild, sizeof wild, err) ==
		    CMT_OK)
			fail_msg("accepted '%s'", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(partitions_are_fnv1a_of_the_upper_case_symbol_modulo_n),
		cmocka_unit_test(templates_turn_fields_into_stream_wildcards),
		cmocka_unit_test(templates_reject_partial_tokens_and_empty_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
