#!/usr/bin/env bats
# Messages that must be true when they are said: cmt-features' warm-up
# notice when a warm start supplies the history, and the man page's
# Last-Event-ID example for cmt-sse.
load helper
bats_require_minimum_version 1.5.0

# bars SYM FROM_MS N [warm]: N one-minute bar ticks closing from FROM_MS on
bars() {
	awk -v sym="$1" -v t0="$2" -v n="$3" -v warm="$4" 'BEGIN {
		for (i = 0; i < n; i++) {
			px = 100 + (i % 7) - (i % 3) * 0.5
			printf "{\"t\":%.0f,\"sym\":\"%s\",\"px\":%s,\"o\":%s,\"h\":%s,\"l\":%s,\"vol\":%d,\"src\":\"binance\"%s}\n",
				t0 + i * 60000, sym, px, px, px + 1, px - 1, 1 + i % 4,
				warm ? ",\"warm\":true" : ""
		}
	}'
}

@test "cmt-features: no 'first vector in 60 grid steps' when a warm start supplies the hour" {
	{ bars BTC-USDT 1709251200000 120 warm; bars BTC-USDT 1709258400000 5; } > "$TMP/t"
	run --separate-stderr cmt-features --model default "$TMP/t"
	assert_success
	[ "${#lines[@]}" -gt 60 ]
	[[ "$stderr" != *"warming up"* ]]
}

@test "cmt-features: a warm start that falls short is said at the first live tick, with what is left" {
	{ bars BTC-USDT 1709251200000 30 warm; bars BTC-USDT 1709253000000 5; } > "$TMP/t"
	run --separate-stderr cmt-features --model default "$TMP/t"
	assert_success
	[ "$stderr" = "cmt-features: BTC-USDT: warming up: the warm start gave 30 of 60 grid steps; first vector in 30 grid steps (30m), at grid time 2024-03-01T01:00:00.000Z
cmt-features: 35 lines, 35 ticks, 0 vectors, 1 symbols" ]
}

@test "cmt-features: without a warm start the notice comes with the first tick, as before" {
	bars BTC-USDT 1709251200000 5 > "$TMP/t"
	run --separate-stderr cmt-features --model default "$TMP/t"
	[[ "$stderr" == "cmt-features: BTC-USDT: warming up: first vector in 60 grid steps (1h), at grid time 2024-03-01T01:00:00.000Z"* ]]
}

@test "man cmt-sse: the Last-Event-ID example resumes after the last event received, with no gap" {
	grep -q "Last\\\\-Event\\\\-ID: \$(sed \\\\-n 's/^id: //p' events.txt | tail \\\\-1)" "$ROOT/man/cmt-sse.1"
	! grep -q "Last-Event-ID: 120'" "$ROOT/man/cmt-sse.1"
	port=$(free_port)
	mkfifo "$TMP/in"
	cmt-sse --port "$port" --no-stamp --status 0 < "$TMP/in" 2>/dev/null &
	pid=$!
	exec 5>"$TMP/in"
	wait_http "$port"
	for i in 1 2 3; do echo "{\"n\":$i}" >&5; done
	cd "$TMP"
	curl -sN --max-time 1 "http://127.0.0.1:$port/events?lastEventId=0" | tee events.txt > /dev/null || true
	for i in 4 5; do echo "{\"n\":$i}" >&5; done
	curl -sN --max-time 1 -H "Last-Event-ID: $(sed -n 's/^id: //p' events.txt | tail -1)" \
		"http://127.0.0.1:$port/events" > resumed.txt || true
	exec 5>&-
	kill "$pid"; wait "$pid" || true
	! grep -q '^event: gap' resumed.txt
	[ "$(sed -n 's/^data: //p' resumed.txt | tr -d '\n')" = '{"n":4}{"n":5}' ]
	# the ids are the server's: large, never 120
	[ "$(sed -n 's/^id: //p' events.txt | head -1 | wc -c)" -gt 15 ]
}
