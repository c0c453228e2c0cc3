#!/bin/sh
# Run every CMocka unit test and every bats CLI test against the binaries in
# the build directory given as $1, then print one "N passed, N failed" line.
set -u
O=${1:-build}
export CMT_BIN="$(cd "$O/bin" && pwd)"
export CMT_ROOT="$(pwd)"
pass=0; fail=0
for t in "$O"/tests/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t"; fi
done
if ls tests/cli/*.bats >/dev/null 2>&1; then
	if bats tests/cli; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: bats tests/cli"; fi
fi
echo "suites: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
