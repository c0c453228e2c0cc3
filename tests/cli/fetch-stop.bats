#!/usr/bin/env bats
# cmt-fetch ends on SIGTERM within a bound in every state (connected,
# reconnecting, connecting to a server that never answers, during a warm
# start, during a gap fill, blocked on a full pipe): it writes what it
# has, says what it could not, and exits (0, or 1 for output it could not
# write).  Stand-ins on 127.0.0.1: tests/fakews.py and tests/fakeapi.py.
load helper
load fakeapi
load fakews     # its teardown stops both stand-ins
bats_require_minimum_version 1.5.0

# launch ARGS...: cmt-fetch in the background, stdout to $TMP/out,
# stderr to $TMP/err; sets PID.
launch() {
	cmt-fetch "$@" > "$TMP/out" 2> "$TMP/err" &
	PID=$!
}

# wait_for FILE PATTERN: until FILE has a line matching PATTERN (10 s).
wait_for() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no '$2' in $1" >&2
	return 1
}

# term MAX_MS: SIGTERM to PID; it must end within MAX_MS; sets RC.
term() {
	local start
	start=$(date +%s%N)
	kill -TERM "$PID"
	RC=0
	wait "$PID" || RC=$?
	MS=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "# ended in $MS ms, status $RC" >&3
	[ "$MS" -lt "$1" ]
}

@test "SIGTERM while connected: exit 0 at once, every trade written, the summary said" {
	start_ws okx --script 'T:1-5'
	launch --stream --source okx --symbols btc --ws-url "$WS" \
		--base-url "$URL" --warmup 0
	wait_for "$TMP/out" '"px":50002.5'
	term 1000
	[ "$RC" -eq 0 ]
	expect_ticks okx BTC-USDT 1-5 | diff - "$TMP/out"
	grep -q 'stream: 5 trades' "$TMP/err"
}

@test "SIGTERM while reconnecting (a long backoff): exit 0 at once" {
	start_ws binance --script 'T:1-3,close:1011'
	launch --stream --source binance --symbols btc --ws-url "$WS" \
		--base-url "$URL" --warmup 0 --backoff 30s --backoff-max 60s
	wait_for "$TMP/err" 'reconnecting in'
	term 1000
	[ "$RC" -eq 0 ]
	expect_ticks binance BTC-USDT 1-3 | diff - "$TMP/out"
	grep -q 'stream: 3 trades (0 from REST), 0 duplicates dropped, 0 bad messages, 1 reconnects' "$TMP/err"
}

@test "SIGTERM while connecting to a server that accepts and never answers: exit 0 at once" {
	start_silent
	launch --stream --source binance --symbols btc \
		--ws-url "ws://127.0.0.1:$PORT/stream" --base-url "http://127.0.0.1:$PORT" \
		--warmup 0
	sleep 1
	term 1000
	[ "$RC" -eq 0 ]
	[ ! -s "$TMP/out" ]
	grep -q 'stream: 0 trades' "$TMP/err"
}

@test "SIGTERM during a stream's warm start: exit 0 at once, the trades held written, the interruption said" {
	start_ws binance --script 'T:1-4' --history-plan 'hang*9'
	launch --stream --source binance --symbols btc --ws-url "$WS" \
		--base-url "$URL" --warmup 10m --warmup-timeout 60s
	wait_for "$TMP/wslog" '^rest /api/v3/klines'
	wait_for "$TMP/wslog" '^sub '
	sleep 0.5
	term 2500
	[ "$RC" -eq 0 ]
	grep -q 'warm start interrupted: 0 ticks written' "$TMP/err"
	[ "$(grep -c 'live from there' "$TMP/err")" -eq 0 ]
	expect_ticks binance BTC-USDT 1-4 | diff - "$TMP/out"
}

@test "SIGTERM during a poll's warm start: exit 0 at once" {
	start_api --live-clock --history-plan 'hang*9'
	launch --source okx --symbols btc --base-url "$URL" --warmup 10m \
		--warmup-timeout 60s
	for _ in $(seq 100); do
		[ "$(curl -s "$URL/_log" | grep -c history-candles)" -ge 1 ] && break
		sleep 0.05
	done
	term 2500
	[ "$RC" -eq 0 ]
	grep -q 'warm start interrupted' "$TMP/err"
	[ "$(grep -c 'live from there' "$TMP/err")" -eq 0 ]
	[ ! -s "$TMP/out" ]
}

@test "SIGTERM during a gap fill: exit 0 at once, the trades held written, the gap said" {
	start_ws coinbase --symbols BTC-USD \
		--script 'T:1-5,close:1001|T:20-25' --rest-plan 'hang*9'
	launch --stream --source coinbase --symbols btc --ws-url "$WS" \
		--base-url "$URL" --warmup 0 --backoff 50ms --fill-timeout 60s
	wait_for "$TMP/wslog" '^rest /products/BTC-USD/trades'
	sleep 0.5
	term 2500
	[ "$RC" -eq 0 ]
	expect_ticks coinbase BTC-USD 1-5,20-25 | diff - "$TMP/out"
	grep -q 'BTC-USD: 14 of the 14 trades before id 7020 are missing (ids 7006-7019): the gap fill gave up: stopped' "$TMP/err"
	grep -q 'stream: 11 trades (0 from REST), .*, 14 missing' "$TMP/err"
}

# blocked READER: 30000 trades streamed into a pipe whose reader (a
# shell command on fd 3) first takes nothing, until cmt-fetch says its
# output is blocked; then SIGTERM (term MAX_MS).
blocked() {
	mkfifo "$TMP/pipe"
	( exec 3<"$TMP/pipe"; eval "$1" ) &
	READER=$!
	start_ws binance --script 'T:1-30000'
	cmt-fetch --stream --source binance --symbols btc --ws-url "$WS" \
		--base-url "$URL" --warmup 0 --out-buffer 65536 \
		> "$TMP/pipe" 2> "$TMP/err" &
	PID=$!
	wait_for "$TMP/err" 'output blocked'
	term "$2"
}

@test "SIGTERM blocked on a full pipe whose reader never reads: exit 1 within 2 s of the stop, saying so" {
	blocked 'sleep 20' 3500
	kill "$READER" 2>/dev/null || true
	[ "$RC" -eq 1 ]
	grep -q 'write error: stopped with [0-9]* bytes of output the reader did not take in 2s' "$TMP/err"
}

@test "SIGTERM blocked on a full pipe whose reader comes back: exit 0, whole lines, in order" {
	blocked 'sleep 1.5; cat <&3 > "$TMP/got"' 3000
	wait "$READER"
	[ "$RC" -eq 0 ]
	n=$(wc -l < "$TMP/got")
	[ "$n" -gt 100 ]
	[ "$(tail -c 1 "$TMP/got" | od -An -c | tr -d ' ')" = '\n' ]
	python3 -c '
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1])]
assert ts == sorted(ts) and len(set(ts)) == len(ts), "order"
' "$TMP/got"
}
