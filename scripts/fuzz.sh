#!/bin/sh
# Run each libFuzzer target built in $1/fuzzers for $2 seconds, seeded from
# fuzz/corpus/<target> (new inputs go to $1/corpus/<target>, not the repo).
# Prints executions per target; exits 1 if any target found a crash (the
# input is saved as $1/crashes/<target>-crash-*: fix the bug and keep the
# input in fuzz/regressions/<target>/).
set -u
O=$1; secs=$2; shift 2
fail=0
summary=""
for t in "$@"; do
	mkdir -p "$O/corpus/$t" "$O/crashes"
	dict=""
	case $t in tick|fvec|json|model|fetch|bus) dict="-dict=fuzz/json.dict" ;; esac
	maxlen=4096
	[ "$t" = sse_request ] && maxlen=10000
	[ "$t" = model ] && maxlen=16384
	echo "fuzz: $t for ${secs}s" >&2
	"$O/fuzzers/fuzz_$t" -max_total_time="$secs" -max_len=$maxlen \
		-print_final_stats=1 -artifact_prefix="$O/crashes/$t-" \
		-timeout=10 -rss_limit_mb=1024 $dict \
		"$O/corpus/$t" "fuzz/corpus/$t" >"$O/fuzz-$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$O/fuzz-$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$O/fuzz-$t.log" | tail -1)
	if [ $rc -ne 0 ]; then
		fail=1
		status="CRASH (see $O/fuzz-$t.log, $O/crashes/)"
		grep -m3 'ERROR\|invariant\|SUMMARY' "$O/fuzz-$t.log" >&2
	else
		status=ok
	fi
	summary="$summary$(printf '%-12s %12s execs  %-10s %s' "$t" \
		"${execs:-?}" "$cov" "$status")
"
done
printf 'target       executions         coverage   result\n%s' "$summary"
exit $fail
