#!/usr/bin/env bats
# cmt-sse under churn and abuse (bench/sse-churn.c, a shorter run than
# make bench): clients coming and going at random, garbage, half requests,
# slowloris and oversized heads while events flow.  The monitor streams
# must get every event, the server must stay small, /metrics must count
# the timeouts and bad requests, and the server must exit 0 at EOF.
load helper

@test "cmt-sse keeps serving its streams through 300 churning and hostile clients" {
	cc -O2 -o "$TMP/sse-churn" "$ROOT/bench/sse-churn.c"
	port=$(free_port)
	run "$TMP/sse-churn" 300 100 4 "$port" -- \
		/usr/bin/time -f %M -o "$TMP/rss" \
		cmt-sse --port "$port" --exit-on-eof --request-timeout 1s
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"result ok"* ]]
	[ "$(grep -c '^monitor received 400 of 400, out of order 0' \
		<<<"$output")" -eq 4 ]
	timeouts=$(awk '$2 == "cmt_sse_request_timeouts_total" { print $3 }' \
		<<<"$output")
	errors=$(awk '$2 == "cmt_sse_request_errors_total" { print $3 }' \
		<<<"$output")
	[ "$timeouts" -gt 10 ]
	[ "$errors" -gt 10 ]
	# bounded: ring of 1024 small events plus ~1 KiB per connection
	# (ASan's shadow memory and quarantine cost more; under make
	# valgrind the tool is a wrapper script and RSS is valgrind's)
	bin=$(command -v cmt-sse)
	limit=32768
	grep -q __asan_init "$bin" && limit=262144
	[ "$(head -c 2 "$bin")" = '#!' ] && limit=2000000
	[ "$(cat "$TMP/rss")" -lt "$limit" ]
}
