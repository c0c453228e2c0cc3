#!/usr/bin/env bats
# cmt-fetch --stream against tests/fakews.py on 127.0.0.1, speaking each
# exchange's trade stream and REST trades endpoint: every test asserts the
# exact trade sequence written, across reconnects, closes, bad messages and
# a slow reader.
load helper
load fakews
bats_require_minimum_version 1.5.0

# stream SOURCE COUNT [options]: run cmt-fetch --stream against the server.
stream() {
	local src=$1 n=$2
	shift 2
	run --separate-stderr timeout 60 cmt-fetch --stream --source "$src" \
		--symbols btc --ws-url "$WS" --base-url "$URL" --count "$n" \
		--backoff 50ms --backoff-max 200ms --warmup 0 "$@"
}

# same SOURCE K-LIST: the output is exactly those trades, in order.
same() {
	local sym="SYM_$1"
	expect_ticks "$1" "${!sym}" "$2" > "$TMP/want"
	printf '%s\n' "$output" > "$TMP/got"
	diff "$TMP/want" "$TMP/got"
}

# played SOURCE SCRIPT COUNT K-LIST [fakews options]: COUNT trades
# streamed from a new stand-in of SOURCE playing SCRIPT are exactly the
# trades K-LIST.
played() {
	local src=$1 script=$2 n=$3 ks=$4 sym="SYM_$1"
	shift 4
	rm -f "$TMP/wsport" "$TMP/wslog"
	start_ws "$src" --symbols "${!sym}" --script "$script" "$@"
	stream "$src" "$n"
	assert_success
	same "$src" "$ks"
}

@test "stream: every source, one tick per trade with vol and side" {
	for src in binance coinbase kraken okx; do
		played "$src" 'T:1-8' 8 1-8
		[[ "$stderr" == *"stream: 8 trades (0 from REST)"* ]]
		kill "$WS_PID"
	done
}

@test "stream: a gap across a reconnect is filled from REST, page by page" {
	for src in binance coinbase kraken okx; do
		played "$src" 'T:1-5,close:1001|T:20-25' 25 1-25 --page-cap 4
		[[ "$stderr" == *"1001 going away"* ]]
		[[ "$stderr" == *"25 trades (14 from REST)"* ]]
		[ "$(grep -c '^rest ' "$TMP/wslog")" -ge 4 ]
		kill "$WS_PID"
	done
}

@test "stream: abrupt close mid-stream; the overlap after it is dropped" {
	for src in binance coinbase kraken okx; do
		played "$src" 'T:1-6,abort|T:4-10' 10 1-10
		[[ "$stderr" == *"connection lost (no close frame)"* ]]
		[[ "$stderr" == *"3 duplicates dropped"* ]]
		kill "$WS_PID"
	done
}

@test "stream: a server that stops answering pings is dropped and the gap filled" {
	start_ws binance --script 'T:1-5,hang|T:9-12'
	stream binance 12 --ws-ping 1s
	assert_success
	same binance 1-12
	[[ "$stderr" == *"no answer to a ping"* ]]
	grep -q 'ping ignored' "$TMP/wslog"
}

@test "stream: the server's pings are answered" {
	start_ws coinbase --symbols BTC-USD --script 'T:1-3,ping,T:4-6'
	stream coinbase 6
	assert_success
	same coinbase 1-6
	grep -q '^pong$' "$TMP/wslog"
	[[ "$stderr" == *"0 reconnects"* ]]
}

@test "stream: malformed JSON is reported and skipped; the stream goes on" {
	start_ws binance --script 'T:1-3,bad,T:4-6'
	stream binance 6
	assert_success
	same binance 1-6
	[[ "$stderr" == *"skipped a message: malformed JSON"* ]]
	[[ "$stderr" == *"1 bad messages, 0 reconnects"* ]]
}

@test "stream: an oversized frame is skipped and its trade fetched from REST" {
	for src in binance kraken okx; do
		played "$src" 'T:1-3,big:4,T:5-7' 7 1-7
		[[ "$stderr" == *"skipped a message over 1048576 bytes"* ]]
		[[ "$stderr" == *"7 trades (1 from REST)"* ]]
		kill "$WS_PID"
	done
}

@test "stream: server close codes are reported and survived" {
	start_ws kraken --symbols BTC-USD \
		--script 'T:1-2,close:1000|T:3-4,close:1011|T:5-6,close:1008|T:7-8,close:1003|T:9'
	stream kraken 9
	assert_success
	same kraken 1-9
	[[ "$stderr" == *"(1000 normal closure: scripted)"* ]]
	[[ "$stderr" == *"(1011 server error: scripted)"* ]]
	[[ "$stderr" == *"(1008 policy violation: scripted)"* ]]
	[[ "$stderr" == *"(1003 unsupported data: scripted)"* ]]
	[[ "$stderr" == *"4 reconnects"* ]]
}

@test "stream: a refused subscription is a clear permanent error (exit 1)" {
	for src in binance coinbase kraken okx; do
		local sym="SYM_$src"
		rm -f "$TMP/wsport"
		start_ws "$src" --symbols "${!sym}" --script 'suberr'
		stream "$src" 5
		assert_failure 1
		assert_output ""
		case $src in
		binance) [[ "$stderr" == *"binance refused the subscription: Invalid request"* ]] ;;
		coinbase) [[ "$stderr" == *"coinbase: Failed to subscribe: FOO-USD is not a valid product"* ]] ;;
		kraken) [[ "$stderr" == *"kraken refused the subscription: Currency pair not supported"* ]] ;;
		okx) [[ "$stderr" == *"okx refused the subscription: Wrong URL or channel:trades,instId:FOO-USDT doesn't exist"*"(code 60018)"* ]] ;;
		esac
		kill "$WS_PID"
	done
}

@test "stream: two symbols, each filled across a reconnect" {
	# each symbol's trades whole and in order; a fill holds back only
	# its own symbol, so the two may interleave either way
	for src in binance okx; do
		rm -f "$TMP/wsport"
		start_ws "$src" --symbols BTC-USDT,ETH-USDT --script 'T:1-3,abort|T:7-8'
		run --separate-stderr timeout 60 cmt-fetch --stream --source "$src" \
			--symbols btc,eth --ws-url "$WS" --base-url "$URL" --count 16 \
			--warmup 0 --backoff 50ms
		assert_success
		for sym in BTC-USDT ETH-USDT; do
			printf '%s\n' "$output" | grep "\"$sym\"" |
				diff <(expect_ticks "$src" "$sym" 1-8) -
		done
		[[ "$stderr" == *"16 trades (6 from REST)"* ]]
		kill "$WS_PID"
	done
}

@test "stream: an okx record of several matches covers their ids: no gap, or the gap below them" {
	# trades 4-6 as one record (tradeId 6, count 3), then trades 6-8 as
	# one after a gap (4 and 5 from REST)
	start_ws okx --script 'T:1-3,agg:4-6,T:7-9|T:1-3,agg:6-8,T:9'
	stream okx 7
	assert_success
	same okx 1-3,4~6,7-9
	[[ "$stderr" == *"7 trades (0 from REST)"* ]]
	[ "$(grep -c '^rest ' "$TMP/wslog")" -eq 0 ]
	stream okx 7
	assert_success
	same okx 1-5,6~8,9
	[[ "$stderr" == *"7 trades (2 from REST)"* ]]
	grep -q '^rest .*after=242720006$' "$TMP/wslog"
}

# keepalive IDLE PING SCRIPT N: N okx trades streamed with --ws-ping PING
# from a stand-in that closes (4004) a connection that sent it nothing for
# IDLE seconds, as OKX does after 30 s (protocol pings do not count): the
# text keepalive keeps the one connection up, and no trade is lost.
keepalive() {
	start_ws okx --idle-close "$1" --script "$3"
	stream okx "$4" --ws-ping "$2"
	assert_success
	same okx "1-$4"
	[[ "$stderr" == *"$4 trades (0 from REST), 0 duplicates dropped, 0 bad messages, 0 reconnects"* ]]
	grep -q '^text ping$' "$TMP/wslog"
	[ "$(grep -c 'idle close' "$TMP/wslog")" -eq 0 ]
}

@test "stream: okx's text keepalive keeps up a quiet connection the server would close" {
	keepalive 2 2s 'T:1-3,sleep:6,T:4-6' 6
	[ "$(grep -c '^text ping$' "$TMP/wslog")" -ge 3 ]
}

@test "stream: okx's text keepalive is sent on a busy connection too" {
	# a trade every 250 ms for 7 s: the client hears plenty but must
	# still say something within 3 s (--ws-ping 4s: every 2 s)
	keepalive 3 4s 'P:1-28:0.25' 28
}

@test "stream: okx without the keepalive is closed (4004), and the gap is filled" {
	# the same stand-in with a --ws-ping longer than its patience
	start_ws okx --idle-close 2 --script 'T:1-3,sleep:3|T:8-10'
	stream okx 10 --ws-ping 10s
	assert_success
	same okx 1-10
	[[ "$stderr" == *"(4004 close: No data received in 30s.)"* ]]
	[[ "$stderr" == *"10 trades (4 from REST)"* ]]
	grep -q 'idle close 4004' "$TMP/wslog"
}

@test "stream: a slow reader gets whole lines; what the bound drops is counted" {
	start_ws binance --script 'T:1-30000'
	timeout 120 cmt-fetch --stream --source binance --symbols btc \
		--ws-url "$WS" --base-url "$URL" --count 30000 --out-buffer 4096 --warmup 0 \
		2> "$TMP/err" | { sleep 3; cat; } > "$TMP/got"
	grep -q 'output blocked' "$TMP/err"
	dropped=$(sed -n 's/.*: \([0-9]*\) ticks dropped while the output was blocked/\1/p' "$TMP/err")
	[ -n "$dropped" ] && [ "$dropped" -gt 0 ]
	[ $(( $(wc -l < "$TMP/got") + dropped )) -eq 30000 ]
	# what came out is in order, each line whole
	python3 -c '
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1])]
assert ts == sorted(ts) and len(set(ts)) == len(ts), "order"
' "$TMP/got"
}

@test "stream: a trade stamped far ahead of the clock is reported and skipped; its id is no gap" {
	for src in binance coinbase kraken okx; do
		played "$src" 'T:1-3,future:4,T:5-8' 7 1-3,5-8
		[[ "$stderr" == *"BTC-"*": the source's time 2100-01-01T00:00:01.000Z is more than 5m ahead of the clock (--max-ahead): trade"*" skipped"* ]]
		[[ "$stderr" == *"7 trades (0 from REST)"*", 1 ahead of the clock skipped"* ]]
		[ "$(grep -c '^rest ' "$TMP/wslog")" -eq 0 ]
		kill "$WS_PID"
	done
}

@test "stream: a message naming a key twice is skipped, never taken; its trade comes from REST" {
	for src in binance coinbase kraken okx; do
		# the price named twice, a wrong one first
		played "$src" 'T:1-3,dupkey:4,T:5-8' 8 1-8
		[[ "$stderr" == *"skipped a message: malformed JSON: duplicate key"* ]]
		[[ "$stderr" == *"8 trades (1 from REST), "*" 1 bad messages"* ]]
		kill "$WS_PID"
	done
}

@test "stream: a REST fill page naming a key twice is retried as malformed, never taken" {
	for src in binance coinbase; do
		played "$src" 'T:1-3,close:1001|T:8-10' 10 1-10 --rest-plan dupkey
		[[ "$stderr" == *"bad response: malformed JSON: duplicate key"*"; retry 1 in"* ]]
		[[ "$stderr" == *"10 trades (4 from REST)"* ]]
		grep -q '^rest .* dupkey$' "$TMP/wslog"
		[ "$(grep -c '^rest ' "$TMP/wslog")" -ge 2 ]
		kill "$WS_PID"
	done
}

@test "stream: coinbase fill pages oldest first and overlapping give each trade once, in id order" {
	# pages of 4 trades, oldest first, each also holding the 2 trades
	# at and after its cursor that the page before held
	played coinbase 'T:1-5,close:1001|T:20-25' 25 1-25 --page-cap 4 \
		--rest-order asc --rest-overlap 2
	[[ "$stderr" == *"25 trades (14 from REST), 6 duplicates dropped"* ]]
	[ "$(grep -c '^rest ' "$TMP/wslog")" -eq 4 ]
}

@test "stream: usage errors" {
	run cmt-fetch --stream --symbols btc
	assert_failure 2
	assert_output --partial "CoinGecko has no trade stream"
	run cmt-fetch --stream --source binance --symbols btc --interval 5s
	assert_failure 2
	assert_output --partial "--stream takes no --history, --all or --interval"
	run cmt-fetch --source binance --symbols btc --ws-url ws://127.0.0.1:1/
	assert_failure 2
	assert_output --partial "--ws-url needs --stream"
	run cmt-fetch --stream --source binance --symbols btc --ws-url http://x/
	assert_failure 2
	assert_output --partial "is not ws:// or wss://"
}

@test "stream: fill pages in any order, overlapping, or naming a key twice give each trade once, in id order" {
	for src in binance coinbase kraken okx; do
		for opts in "--rest-order asc" "--rest-order desc" \
		    "--rest-order mixed" "--rest-overlap 2" \
		    "--rest-order mixed --rest-overlap 3" "--rest-plan dupkey"; do
			# shellcheck disable=SC2086
			played "$src" 'T:1-5,close:1001|T:20-25' 25 1-25 \
				--page-cap 4 $opts
			[[ "$stderr" == *"25 trades (14 from REST), "*" 0 missing"* ]]
			kill "$WS_PID"
		done
	done
}

@test "stream: a trade of a fill page stamped far ahead of the clock is skipped; its id is no gap" {
	for src in binance coinbase kraken okx; do
		played "$src" 'T:1-5,close:1001|T:20-25' 24 1-7,9-25 \
			--page-cap 4 --rest-plan 'future:8*9'
		[[ "$stderr" == *": the source's time 2100-01-01T00:00:00.000Z is more than 5m ahead of the clock (--max-ahead): trade"*" skipped"* ]]
		[[ "$stderr" == *"24 trades (13 from REST), "*" 0 missing, 1 ahead of the clock skipped"* ]]
		kill "$WS_PID"
	done
}

# bounded SOURCE ID0: a gap whose fill meets 503 for longer than
# --fill-timeout; the stream goes on, the gap is reported with its ids.
@test "stream: a fill endpoint answering 503 past --fill-timeout: the stream goes on, the gap counted with its ids" {
	for src in binance coinbase kraken okx; do
		local sym="SYM_$src"
		rm -f "$TMP/wsport" "$TMP/wslog"
		start_ws "$src" --symbols "${!sym}" \
			--script 'T:1-5,close:1001|T:20-25' --rest-plan '503*999'
		start=$(date +%s%N)
		stream "$src" 11 --fill-timeout 2s --summary-json "$TMP/sum"
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		assert_success
		same "$src" 1-5,20-25
		id0=$(( $(expect_id0 "$src") ))
		[[ "$stderr" == *"${!sym}: 14 of the 14 trades before id $((id0 + 20)) are missing (ids $((id0 + 6))-$((id0 + 19))): the gap fill gave up: HTTP 503"* ]]
		[[ "$stderr" == *"11 trades (0 from REST), "*"1 reconnects, 14 missing"* ]]
		grep -q '"missing":14,"gaps":1,' "$TMP/sum"
		[ "$ms" -lt 8000 ]
		kill "$WS_PID"
	done
}

# A retry cut short by --fill-timeout names the failure that wanted it
# (under load a 503 answer can be in flight when the bound passes; the
# gap was then said to be "Timeout was reached").
@test "stream: a fill retry cut short by --fill-timeout names the failure that wanted it" {
	rm -f "$TMP/wsport" "$TMP/wslog"
	start_ws binance --symbols "$SYM_binance" \
		--script 'T:1-5,close:1001|T:20-25' --rest-plan '503*3,hang:30'
	stream binance 11 --fill-timeout 2s
	assert_success
	same binance 1-5,20-25
	id0=$(( $(expect_id0 binance) ))
	[[ "$stderr" == *"$SYM_binance: 14 of the 14 trades before id $((id0 + 20)) are missing (ids $((id0 + 6))-$((id0 + 19))): the gap fill gave up: HTTP 503; giving up after 4 attempts in "*": the time allowed ran out during the last (Timeout was reached)"* ]]
	kill "$WS_PID"
}

@test "stream: the socket is read while a fill runs: a ping is answered, the trades meanwhile kept" {
	# the fill gets no answer for 3 s; the server pings meanwhile and
	# closes the connection (1011) if no pong comes within 2 s
	start_ws binance --script 'T:1-5,close:1001|T:20,ping,T:21-25' \
		--rest-plan 'hang*9'
	stream binance 11 --fill-timeout 3s
	assert_success
	same binance 1-5,20-25
	grep -q '^pong$' "$TMP/wslog"
	[[ "$stderr" == *"14 of the 14 trades before id 120 are missing (ids 106-119): the gap fill gave up:"* ]]
	[[ "$stderr" == *"1 reconnects, 14 missing"* ]]
}

@test "stream: a fill refused for good (404) is a counted gap, not the end of the stream" {
	start_ws okx --script 'T:1-5,close:1001|T:20-25' --rest-plan '404*9'
	stream okx 11
	assert_success
	same okx 1-5,20-25
	[[ "$stderr" == *"14 of the 14 trades before id 242720020 are missing (ids 242720006-242720019): the gap fill gave up: HTTP 404"* ]]
}
