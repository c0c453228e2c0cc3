#!/usr/bin/env bats
# cmt-fetch against a hostile server (tests/fakeapi.py fault plans): TCP
# resets before and in the middle of a body, bodies that stall half-way,
# 10 MB bodies with and without a Content-Length, again and again.  The
# tool must recover (every market step delivered once, in order) with its
# memory bounded by the body cap (8 MiB) and not growing with repeats.
load helper
load fakeapi
bats_require_minimum_version 1.5.0

RETRY="--interval 50ms --backoff 50ms --backoff-max 200ms --timeout 1s"


# fetch_through PLAN COUNT: run cmt-fetch for COUNT polls through PLAN
# under /usr/bin/time; $output is the ticks, $TMP/rss the peak RSS in KiB.
fetch_through() {
	start_api --plan "$1"
	run --separate-stderr /usr/bin/time -f %M -o "$TMP/rss" \
		cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --count "$2" $RETRY
	echo "$stderr" >&2
}

@test "resets before and in the middle of a body are retried, nothing lost" {
	fetch_through "ok,reset,rstbody,ok,rstbody,rstbody,ok" 4
	[ "$status" -eq 0 ]
	diff <(gecko_ticks 4) <(echo "$output")
	# (a reset before any answer on a kept-alive connection is retried by
	# curl itself, silently)
	[ "$(grep -c 'partial file; retry' <<<"$stderr")" -eq 3 ]
}

@test "a body that stalls half-way times out and is retried" {
	fetch_through "ok,stall:5,ok,stall:5,ok" 3
	[ "$status" -eq 0 ]
	diff <(gecko_ticks 3) <(echo "$output")
	[[ "$stderr" == *"imeout"* ]]
}

@test "10 MB bodies, with or without Content-Length, stay under the cap and bounded" {
	fetch_through "ok,big,bigchunked,ok" 2
	[ "$status" -eq 0 ]
	diff <(gecko_ticks 2) <(echo "$output")
	[ "$(grep -c 'larger than 8388608 bytes' <<<"$stderr")" -eq 2 ]
	once=$(cat "$TMP/rss")
	kill "$API_PID"
	wait "$API_PID" 2>/dev/null || true
	rm -f "$TMP/port"
	fetch_through "ok,big,bigchunked,big,bigchunked,big,bigchunked,ok,big,bigchunked,ok" 3
	[ "$status" -eq 0 ]
	diff <(gecko_ticks 3) <(echo "$output")
	many=$(cat "$TMP/rss")
	echo "# cmt-fetch peak RSS: $once KiB after 2 big bodies, $many KiB after 8" >&3
	# the body buffer is capped at 8 MiB: one cap plus the tool and curl
	bin=$(command -v cmt-fetch)
	if [ "$(head -c 2 "$bin")" != '#!' ] && ! grep -q __asan_init "$bin"
	then
		[ "$many" -lt 24576 ]
		# repeats do not grow memory
		[ "$many" -lt $((once + 2048)) ]
	fi
}
