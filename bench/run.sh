#!/bin/sh
# Run every bench/bench-*.sh with the build directory as $1.  Each prints
# its figures beside a reference command timed on the same input.
set -u
O=${1:-build}
export CMT_BIN="$(cd "$O/bin" && pwd)"
mkdir -p bench/out
status=0
for b in bench/bench-*.sh; do
	[ -f "$b" ] || continue
	echo "== $b"
	sh "$b" "$CMT_BIN" || status=1
done
exit $status
