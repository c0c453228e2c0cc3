#!/usr/bin/env bats
# cmt-fetch --warmup: 1-minute history up to the current minute, then live
# data from there without a gap or an overlap, for every source; and the
# README's live pipeline giving vectors (and p_up where there is volume)
# at once.  Bars are checked against the fake API's bar formula, computed
# here apart from the C code.
load helper
load fakeapi
load fakews
bats_require_minimum_version 1.5.0

# The warm start's boundary M (ms) from cmt-fetch's stderr.
boundary() {
	python3 -c '
import calendar, re, sys, time
m = re.search(r" up to (\S+)Z; live from there", sys.stdin.read())
print(calendar.timegm(time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) * 1000)
'
}

# check SOURCE M: output = the bars of [M-10m, M) in the fake API's
# formula (each with its range, and marked warm), then live ticks stamped
# at or after M.
check() {
	python3 - "$1" "$2" "$TMP/got" <<'PY'
import json, sys
src, M, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ticks = [json.loads(l) for l in open(path)]
def bar(open_ms):
    m = open_ms // 60000
    return 50000 + 0.5 * (m % 1000) + 0.01, 1.0 + 0.25 * (m % 7)
if src == "coingecko":   # 5-minute points, no volume
    want = [(t * 1000 + 17, bar(t * 1000)[0], None)
            for t in range((M - 600000) // 1000, M // 1000)
            if t % 300 == 0]
else:                    # bars stamped at their close
    want = [(o + 60000,) + bar(o) for o in range(M - 600000, M, 60000)]
got = [(t["t"], t["px"], t.get("vol")) for t in ticks[:len(want)]]
assert got == [(t, float("%.15g" % p), v) for t, p, v in want], \
    "bars:\n%s\nwant:\n%s" % (got, want)
# every warm-start tick says so; a bar carries its range (open close - 1,
# high close + 2, low close - 3 in the fake API's formula)
for t in ticks[:len(want)]:
    assert t.get("warm") is True, "warm-start tick not marked: %s" % t
    if src != "coingecko":
        c = t["px"]     # (kraken's stand-in writes one decimal)
        assert all(abs(g - w) < 0.06 for g, w in zip(
            (t["o"], t["h"], t["l"]), (c - 1, c + 2, c - 3))), t
    else:
        assert "o" not in t, "a point is no bar: %s" % t
live = ticks[len(want):]
assert live, "no live tick after the bars"
assert not any("warm" in t or "o" in t for t in live), "live tick marked"
assert all(t["t"] >= M for t in live), "live tick before the boundary"
ts = [t["t"] for t in ticks]
assert ts == sorted(ts), "not in time order"
PY
}

@test "warm start: every source gives its bars up to the minute, then live data" {
	start_api --live-clock
	for src in binance coinbase kraken okx coingecko; do
		run --separate-stderr cmt-fetch --source "$src" --symbols btc \
			--base-url "$URL" --warmup 10m --count 3 --interval 300ms
		assert_success
		printf '%s\n' "$output" > "$TMP/got"
		# what it says it delivered is what it delivered: CoinGecko's
		# market_chart gives 5-minute points, not 1-minute bars
		if [ "$src" = coingecko ]; then
			[[ "$stderr" == "cmt-fetch: warm start: 10m of points about 5m apart (2 per symbol) up to "*"; live from there" ]]
		else
			[[ "$stderr" == "cmt-fetch: warm start: 10m of 1-minute bars up to "*"; live from there" ]]
		fi
		M=$(echo "$stderr" | boundary)
		check "$src" "$M"
	done
}

@test "warm start: binance's first live tick has the volume traded since the boundary" {
	start_api --live-clock
	run --separate-stderr cmt-fetch --source binance --symbols btc \
		--base-url "$URL" --warmup 5m --count 1
	assert_success
	curl -s "$URL/_log" | grep -q 'aggTrades?symbol=BTCUSDT&startTime='
	# one poll: 3 trades of the fake market since its start (after M)
	last=$(printf '%s\n' "$output" | tail -1)
	[[ "$last" == *'"vol":0.009,'* ]]
}

@test "live pipeline from every source gives a forecast on every vector at once" {
	start_api --live-clock
	for src in binance coinbase kraken okx coingecko; do
		run --separate-stderr bash -c "cmt-fetch --source $src \
			--symbols btc,eth --base-url '$URL' --count 2 --interval 300ms \
			| cmt-features --model default | cmt-predict"
		assert_success
		n=$(printf '%s\n' "$output" | grep -c '"fs":"cmt1;step=1m' || true)
		p=$(printf '%s\n' "$output" | grep -c '"p_up":' || true)
		echo "# $src: $n vectors, $p with p_up" >&3
		[ "$n" -ge 100 ]
		[ "$p" -eq "$n" ]
		# without volume (CoinGecko) the price-only model scores
		if [ "$src" = coingecko ]; then
			# (a negated pipeline never fails a bats test: count)
			[ "$(printf '%s\n' "$output" | grep -c '"model":"default"}')" -eq 0 ]
			printf '%s\n' "$output" | grep -q '"model":"default-price"}'
		fi
	done
}

# warm_stream SRC SCRIPT COUNT [fakews options]: a 3-minute warm start,
# then COUNT trades streamed from a stand-in (SCRIPT) whose trade k is at
# NOW + 250 k ms; sets SYM, NOW, M (the boundary) and $TMP/want (the bars
# to come first).
warm_stream() {
	local src=$1 script=$2 count=$3
	shift 3
	SYM=BTC-USD
	[ "$src" = binance ] || [ "$src" = okx ] && SYM=BTC-USDT
	# the trades start at now and the boundary is the tool's minute:
	# both in the same minute, or the first trades precede it
	while [ $(( $(date +%s) % 60 )) -ge 50 ]; do sleep 1; done
	NOW=$(( $(date +%s) * 1000 ))
	rm -f "$TMP/wsport" "$TMP/wslog"
	start_ws "$src" --symbols "$SYM" --t0 "$NOW" --script "$script" "$@"
	run --separate-stderr timeout 60 cmt-fetch --stream --source "$src" \
		--symbols btc --ws-url "$WS" --base-url "$URL" --warmup 3m \
		--count "$count"
	assert_success
	M=$(echo "$stderr" | boundary)
	python3 - "$M" "$SYM" "$src" > "$TMP/want" <<'PY'
import sys
M, sym, src = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for o in range(M - 180000, M, 60000):
    c = 100 + o // 60000 % 50
    print('{"t":%d,"sym":"%s","px":%d,"o":%d,"h":%d,"l":%d,"vol":2,'
          '"src":"%s","warm":true}'
          % (o + 60000, sym, c, c - 1, c + 2, c - 3, src))
PY
}

@test "warm start before a stream: bars, then REST trades since the boundary, then the stream" {
	for src in binance coinbase kraken okx; do
		warm_stream "$src" 'T:5-8' 8
		expect_ticks "$src" "$SYM" 1-8 --t0 "$NOW" >> "$TMP/want"
		printf '%s\n' "$output" | diff "$TMP/want" -
		[[ "$stderr" == *"8 trades (4 from REST)"* ]]
		kill "$WS_PID"
	done
}

@test "warm start: a streamed first trade before the boundary is not written" {
	for src in binance coinbase kraken okx; do
		# the first message: trade 1, stamped 2 minutes before now,
		# inside the bars already written
		warm_stream "$src" 'early:1,T:2-5' 4
		expect_ticks "$src" "$SYM" 2-5 --t0 "$NOW" >> "$TMP/want"
		printf '%s\n' "$output" | diff "$TMP/want" -
		[[ "$stderr" == *"4 trades (0 from REST)"*", 1 before the warm start's boundary"* ]]
		kill "$WS_PID"
	done
}

@test "warm start: a polled reading before the boundary is not written, even with --all" {
	for src in coingecko coinbase; do
		rm -f "$TMP/port"
		# one request for the bars, then a price stamped 5 minutes ago
		start_api --live-clock --plan "ok,past:300,ok,ok"
		run --separate-stderr cmt-fetch --source "$src" --symbols btc \
			--base-url "$URL" --warmup 10m --count 3 --interval 300ms --all
		assert_success
		printf '%s\n' "$output" > "$TMP/got"
		M=$(echo "$stderr" | boundary)
		check "$src" "$M"
		curl -s "$URL/_log" | grep '"action": "past:300"' |
			grep -q 'simple/price\|/ticker'
		kill "$API_PID"
	done
}

@test "--warmup usage" {
	run cmt-fetch --symbols btc --history --from 2024-01-01 --warmup 1h
	assert_failure 2
	assert_output --partial "--warmup and --warmup-timeout apply to live mode"
	run cmt-fetch --symbols btc --warmup 40d
	assert_failure 2
}

# one_warm_line: stderr says how the warm start went in exactly one line,
# a failure that names what failed, that live data goes on, and when the
# first forecast comes.
one_failed_line() {
	[ "$(printf '%s\n' "$stderr" | grep -c 'warm start')" -eq 1 ]
	[[ "$stderr" == *"warm start failed: BTC-"*": "*"; live data goes on without it, and the first forecast comes once the features have warmed up on live data"* ]]
}

# no_warm: the output holds only live ticks, at least one.
no_warm() {
	[ "${#lines[@]}" -ge 1 ]
	[ "$(printf '%s\n' "$output" | grep -c '"warm":true')" -eq 0 ]
}

@test "a failing warm start (404, 429 for long, 500, garbage, wrong shape) is one line; polls go live at once" {
	for src in coingecko binance; do
		for fault in 404 429:600 '500*9' 'garbage*9' 'shape*9'; do
			rm -f "$TMP/port"
			start_api --live-clock --history-plan "$fault"
			start=$(date +%s%N)
			run --separate-stderr timeout 30 cmt-fetch --source "$src" \
				--symbols btc --base-url "$URL" --warmup 10m --count 2 \
				--interval 300ms
			ms=$(( ($(date +%s%N) - start) / 1000000 ))
			echo "# $src $fault: $ms ms; $stderr" >&3
			assert_success
			no_warm
			one_failed_line
			# 429 for long and 404 at once; the others retried twice
			[ "$ms" -lt 6000 ]
			kill "$API_PID"
		done
	done
}

@test "a warm start that gets no answer costs at most --warmup-timeout; then polls go live" {
	for src in coinbase okx; do
		rm -f "$TMP/port"
		start_api --live-clock --history-plan 'hang*9'
		start=$(date +%s%N)
		run --separate-stderr timeout 30 cmt-fetch --source "$src" \
			--symbols btc --base-url "$URL" --warmup 10m --count 1 \
			--warmup-timeout 2s
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		assert_success
		no_warm
		one_failed_line
		[[ "$stderr" == *"Timeout was reached"* ]]
		[ "$ms" -ge 1900 ] && [ "$ms" -lt 5000 ]
		kill "$API_PID"
	done
}

@test "a warm start that fails for one symbol: the others get their bars, that one goes live without" {
	# CoinGecko's market_chart 404 for the second coin only
	start_api --live-clock --history-plan 'ok,404'
	run --separate-stderr timeout 30 cmt-fetch --symbols btc,eth \
		--base-url "$URL" --warmup 10m --count 2 --interval 300ms \
		--summary-json "$TMP/sum"
	assert_success
	[ "$(printf '%s\n' "$stderr" | grep -c 'warm start')" -eq 1 ]
	[[ "$stderr" == *"warm start: 10m of points about 5m apart (2 per symbol) up to "*" for 1 of 2 symbols; failed for ETH-USD (ETH-USD: HTTP 404"*"live data goes on without it"*"; live from there"* ]]
	[ "$(printf '%s\n' "$output" | grep '"warm":true' | grep -c BTC-USD)" -eq 2 ]
	[ "$(printf '%s\n' "$output" | grep '"warm":true' | grep -c ETH-USD)" -eq 0 ]
	python3 - "$TMP/sum" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
w = s["warm_start"]
assert s["mode"] == "poll" and w["symbols"] == 2 and w["warm"] == 1, s
assert w["cold"] == "ETH-USD" and "HTTP 404" in w["error"], s
PY
}

@test "a failing warm start before a stream (404, 429 for long, 500, garbage) is one line; the stream's trades come at once" {
	for src in binance okx; do
		for fault in 404 429:600 '500*9' 'garbage*9'; do
			rm -f "$TMP/wsport" "$TMP/wslog"
			start_ws "$src" --symbols BTC-USDT --script 'T:1-8' \
				--history-plan "$fault"
			start=$(date +%s%N)
			run --separate-stderr timeout 30 cmt-fetch --stream \
				--source "$src" --symbols btc --ws-url "$WS" \
				--base-url "$URL" --warmup 3m --count 8
			ms=$(( ($(date +%s%N) - start) / 1000000 ))
			assert_success
			diff <(expect_ticks "$src" BTC-USDT 1-8) <(printf '%s\n' "$output")
			one_failed_line
			# live from the first trade: no fill from a boundary
			[[ "$stderr" == *"8 trades (0 from REST)"* ]]
			[ "$ms" -lt 6000 ]
			kill "$WS_PID"
		done
	done
}

@test "a stream whose warm start gets no answer: its trades are held at most --warmup-timeout, none lost" {
	start_ws kraken --symbols BTC-USD --script 'T:1-8' --history-plan 'hang*9'
	start=$(date +%s%N)
	run --separate-stderr timeout 30 cmt-fetch --stream --source kraken \
		--symbols btc --ws-url "$WS" --base-url "$URL" --warmup 3m \
		--count 8 --warmup-timeout 2s
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_success
	diff <(expect_ticks kraken BTC-USD 1-8) <(printf '%s\n' "$output")
	one_failed_line
	[ "$ms" -ge 1900 ] && [ "$ms" -lt 5000 ]
}

@test "the warm start runs beside the stream: connected at once, bars first, then the trades in order" {
	for src in binance coinbase; do
		# the bars come 2 s late; the stream is up meanwhile
		warm_stream "$src" 'T:5-8' 8 --history-plan slowok:2
		expect_ticks "$src" "$SYM" 1-8 --t0 "$NOW" >> "$TMP/want"
		printf '%s\n' "$output" | diff "$TMP/want" -
		[[ "$stderr" == *"8 trades (4 from REST)"* ]]
		# subscribed before the bars were answered
		grep -n '' "$TMP/wslog" | grep -m1 '^[0-9]*:sub ' | cut -d: -f1 > "$TMP/sub"
		grep -n '' "$TMP/wslog" | grep -m1 '^[0-9]*:answered ' | cut -d: -f1 > "$TMP/ans"
		[ "$(cat "$TMP/sub")" -lt "$(cat "$TMP/ans")" ]
		kill "$WS_PID"
	done
}

@test "warm start before a stream: REST trades before the boundary are not written, whatever the fill order" {
	for src in binance coinbase kraken okx; do
		# trade k at M - 1 s + 250 k ms: trades 1-3 are before the
		# boundary M, 4 on it; the stream starts at 8, so the fill from
		# the boundary pages over 1-3 (back or forward) and writes 4-7
		while [ $(( $(date +%s) % 60 )) -ge 50 ]; do sleep 1; done
		local m=$(( $(date +%s) / 60 * 60000 ))
		warm_stream "$src" 'T:8-10' 7 --t0 $(( m - 1000 )) --page-cap 2
		[ "$M" -eq "$m" ]
		expect_ticks "$src" "$SYM" 4-10 --t0 $(( m - 1000 )) >> "$TMP/want"
		printf '%s\n' "$output" | diff "$TMP/want" -
		[[ "$stderr" == *"7 trades (4 from REST)"* ]]
		kill "$WS_PID"
	done
}
