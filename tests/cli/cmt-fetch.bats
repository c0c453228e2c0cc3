#!/usr/bin/env bats
# cmt-fetch against tests/fakeapi.py on 127.0.0.1: every source's format,
# every injected fault (the tool survives, backs off, and loses or
# duplicates no tick), history paging and resume, signals, exit codes.
load helper
load fakeapi
bats_require_minimum_version 1.5.0

RETRY="--backoff 50ms --backoff-max 200ms --timeout 2s"
FAST="--interval 50ms $RETRY"


api_log() {
	curl -s "$URL/_log"
}

# Run a live coingecko poll for 3 ticks through fault plan $1 and check
# that the output is exactly market steps 1..3 and stderr reports retries.
survives() {
	start_api --plan "$1"
	run --separate-stderr cmt-fetch --base-url "$URL" --warmup 0 --symbols btc \
		--count 3 $FAST ${2:-}
	assert_success
	gecko_ticks 3 > "$TMP/want"
	echo "$output" > "$TMP/got"
	diff "$TMP/want" "$TMP/got"
	[[ "$stderr" == *"retry 1 in"* ]]
}

@test "help goes to stdout and exits 0; version names cmt" {
	run cmt-fetch --help
	assert_success
	assert_output --partial "Usage: cmt-fetch"
	run cmt-fetch --version
	assert_success
	assert_output "cmt-fetch (cmt) 0.1.0"
}

@test "usage errors exit 2 with a message naming the argument" {
	run cmt-fetch
	assert_failure 2
	assert_output --partial "--symbols is required"
	run cmt-fetch --symbols btc --source bitstamp
	assert_failure 2
	assert_output --partial "unknown source 'bitstamp'"
	run cmt-fetch --symbols pepe
	assert_failure 2
	assert_output --partial "--id-map pepe="
	run cmt-fetch --symbols btc --interval 5x
	assert_failure 2
	assert_output --partial "--interval"
	run cmt-fetch --symbols btc --from 2024-01-01
	assert_failure 2
	run cmt-fetch --symbols btc --history
	assert_failure 2
	assert_output --partial "--from"
	run cmt-fetch --symbols btc --history --from 2024-01-01 --count 3
	assert_failure 2
	run cmt-fetch --symbols btc,BTC-USD --once
	assert_failure 2
	assert_output --partial "given twice"
	run cmt-fetch --source binance --api-key k --symbols btc --once
	assert_failure 2
}

@test "coingecko ticks carry the source time, one per symbol per poll" {
	start_api
	run --separate-stderr cmt-fetch --base-url "$URL" --warmup 0 --symbols btc,eth \
		--count 3 $FAST
	assert_success
	[ "${#lines[@]}" -eq 6 ]
	gecko_ticks 3 > "$TMP/want"
	printf '%s\n' "${lines[@]}" | grep BTC-USD | diff "$TMP/want" -
	assert_line --index 1 \
		'{"t":1700000010000,"sym":"ETH-USD","px":3001.25,"src":"coingecko"}'
	[ -z "$stderr" ]
}

@test "requests name cmt in the User-Agent, ask for compression, reuse the connection" {
	start_api
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --count 4 $FAST
	assert_success
	api_log > "$TMP/log"
	python3 - "$TMP/log" <<'EOF'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
assert len(log) == 4, log
assert all(e["ua"] == "cmt-fetch/0.1.0 (cmt)" for e in log)
assert all("gzip" in e["ae"] for e in log)
assert len({e["port"] for e in log}) == 1, "a new connection per request"
EOF
}

@test "binance aggTrades give trade time and honest volume since the last tick" {
	start_api
	run --separate-stderr cmt-fetch --source binance --base-url "$URL" --warmup 0 \
		--symbols btc --count 4 $FAST
	assert_success
	echo "$output" > "$TMP/out"
	python3 - "$TMP/out" <<'EOF'
import json, sys
ticks = [json.loads(l) for l in open(sys.argv[1])]
assert len(ticks) == 4
assert "vol" not in ticks[0]          # nothing to count from
assert all(t["sym"] == "BTC-USDT" and t["src"] == "binance" for t in ticks)
# the fake market has 3 new trades per step; trade k: T = T0+20000k ms,
# q = 0.001*(k%17+1); the first tick is the last trade of step 1 (k=3)
ks = [(t["t"] - 1700000000000) // 20000 for t in ticks]
assert ks == [3, 6, 9, 12], ks
for a, b, t in zip(ks, ks[1:], ticks[1:]):
    want = sum(0.001 * (k % 17 + 1) for k in range(a + 1, b + 1))
    assert abs(t["vol"] - want) < 1e-12, (t, want)
    assert t["px"] == 50000 + 0.5 * b
EOF
}

@test "a burst of more trades than one page is read page by page, volume intact" {
	start_api --trades-per-step 2500
	run --separate-stderr cmt-fetch --source binance --base-url "$URL" --warmup 0 \
		--symbols btc --count 2 $FAST
	assert_success
	echo "$output" > "$TMP/out"
	python3 - "$TMP/out" <<'EOF'
import json, sys
ticks = [json.loads(l) for l in open(sys.argv[1])]
ks = [(t["t"] - 1700000000000) // 20000 for t in ticks]
# poll 1: the latest trade (2500); poll 2: trades 2501..5000 in 3 pages
assert ks == [2500, 3500, 4500, 5000], ks
for a, b, t in zip(ks, ks[1:], ticks[1:]):
    want = sum(0.001 * (k % 17 + 1) for k in range(a + 1, b + 1))
    assert abs(t["vol"] - want) < 1e-9, (t, want)
EOF
	[ "$(api_log | grep -c aggTrades)" -eq 4 ]
}

@test "coinbase and kraken ticks use BASE-QUOTE names" {
	start_api
	run --separate-stderr cmt-fetch --source coinbase --base-url "$URL" --warmup 0 \
		--symbols BTC-USD,eth --once $FAST
	assert_success
	assert_line --index 0 \
		'{"t":1700000001270,"sym":"BTC-USD","px":50001.25,"src":"coinbase"}'
	assert_line --index 1 --partial '"sym":"ETH-USD","px":3002.5,'
	run --separate-stderr cmt-fetch --source kraken --base-url "$URL" --warmup 0 \
		--symbols btc,eth --count 2 $FAST
	assert_success
	[ "${#lines[@]}" -eq 4 ]
	assert_line --index 0 --regexp '^\{"t":[0-9]{13},"sym":"BTC-USD","px":50003\.8,"src":"kraken"\}$'
	assert_line --index 3 --partial '"sym":"ETH-USD","px":3005,'
}

@test "okx tickers carry the ticker's time, one per instrument per poll" {
	start_api
	run --separate-stderr cmt-fetch --source okx --base-url "$URL" --warmup 0 \
		--symbols btc,ETH-USDT --count 2 $FAST
	assert_success
	[ "${#lines[@]}" -eq 4 ]
	# one request per instrument, each a step of the market
	okx_ticks 1 3 | diff - <(printf '%s\n' "${lines[@]}" | grep BTC-USDT)
	assert_line --index 1 \
		'{"t":1700000020500,"sym":"ETH-USDT","px":3002.5,"src":"okx"}'
	api_log | grep -q '/api/v5/market/ticker?instId=ETH-USDT'
	[ -z "$stderr" ]
}

@test "okx: HTTP 429 and code 50011 are retried, like any passing fault" {
	start_api --plan "ok,429,envelope:50011,500,trunc,badjson,ok,ok"
	run --separate-stderr cmt-fetch --source okx --base-url "$URL" --warmup 0 \
		--symbols btc --count 3 $FAST
	assert_success
	okx_ticks 1 2 3 | diff - <(echo "$output")
	[[ "$stderr" == *"HTTP 429"* ]]
	# OKX sends no Retry-After: the backoff decides
	[[ "$stderr" != *"(Retry-After)"* ]]
	[[ "$stderr" == *"bad response: okx: injected 50011 (code 50011); retry"* ]]
	[[ "$stderr" == *"HTTP 500"* && "$stderr" == *"malformed JSON"* ]]
}

@test "okx: a refusal for good (code 51000) is permanent: exit 1 at once" {
	start_api --plan "envelope:51000"
	run cmt-fetch --source okx --base-url "$URL" --warmup 0 --symbols btc \
		--count 3 $FAST
	assert_failure 1
	assert_output --partial "okx: injected 51000 (code 51000)"
	[ "$(api_log | wc -l)" -eq 1 ]
}

@test "429 with Retry-After in seconds is honoured" {
	survives "ok,429:1,ok,ok"
	[[ "$stderr" == *"HTTP 429"*"(Retry-After)"* ]]
	api_log > "$TMP/log"
	python3 - "$TMP/log" <<'EOF'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
assert log[1]["action"] == "429:1"
gap = log[2]["t"] - log[1]["t"]
assert gap >= 0.95, gap
EOF
}

@test "429 with Retry-After as an HTTP date is honoured" {
	survives "429date,ok,ok,ok"
	[[ "$stderr" == *"(Retry-After)"* ]]
}

@test "500 and 503 are retried with backoff" {
	survives "ok,500,500,503,ok,ok"
	[[ "$stderr" == *"HTTP 500; retry 1"*"HTTP 500; retry 2"*"HTTP 503; retry 3"* ]]
}

@test "a slow server times out and is retried" {
	survives "ok,slow:2,ok,ok" "--timeout 300ms"
	[[ "$stderr" == *"imeout"* ]]
}

@test "a slow answer within the timeout is simply taken" {
	start_api --plan "slowok:0.3,ok,ok"
	run --separate-stderr cmt-fetch --base-url "$URL" --warmup 0 --symbols btc \
		--count 3 $FAST
	assert_success
	diff <(gecko_ticks 3) <(echo "$output")
	[ -z "$stderr" ]
}

@test "a truncated body is retried" {
	survives "ok,trunc,ok,ok"
	[[ "$stderr" == *"partial"* ]]
}

@test "malformed JSON is retried" {
	survives "ok,badjson,ok,ok"
	[[ "$stderr" == *"malformed JSON"* ]]
}

@test "a wrong content type is retried" {
	survives "ok,html,ok,ok"
	[[ "$stderr" == *"non-JSON Content-Type"* ]]
}

@test "a dropped connection is retried" {
	survives "reset,ok,ok,ok"
	[[ "$stderr" == *"Server returned nothing"* ]]
}

@test "a 10 MB body is refused at the size cap and retried" {
	survives "ok,big,ok,ok"
	[[ "$stderr" == *"larger than 8388608 bytes"* ]]
}

@test "an unreachable server is retried until --retry-max, then exit 1" {
	port=$(free_port)
	run cmt-fetch --base-url "http://127.0.0.1:$port" --warmup 0 --symbols btc \
		--once $FAST --retry-max 2
	assert_failure 1
	assert_output --partial "retry 2 in"
	assert_output --partial "giving up after 3 attempts"
}

@test "a cached repeat of the last answer emits no duplicate, unless --all" {
	start_api --plan "ok,same,same,ok"
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --count 4 $FAST
	assert_success
	diff <(gecko_ticks 2) <(echo "$output")
	kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; rm -f "$TMP/port"
	start_api --plan "ok,same,ok"
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --count 3 $FAST --all
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "${lines[1]}" ]
}

@test "401 is permanent: exit 1 at once with the API's message" {
	start_api --plan "401"
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --count 3 $FAST
	assert_failure 1
	assert_output --partial "HTTP 401"
	assert_output --partial "injected 401"
	[ "$(api_log | wc -l)" -eq 1 ]
}

@test "the CoinGecko key is sent from --api-key or COINGECKO_API_KEY" {
	start_api --require-key sekrit
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --once $FAST
	assert_failure 1
	assert_output --partial "HTTP 401"
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --once $FAST --api-key sekrit
	assert_success
	COINGECKO_API_KEY=sekrit run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc \
		--once $FAST
	assert_success
	assert_output --partial '"sym":"BTC-USD"'
}

@test "symbols the API does not know are permanent errors" {
	start_api
	run cmt-fetch --source binance --base-url "$URL" --warmup 0 --symbols doge --once $FAST
	assert_failure 1
	assert_output --partial "Invalid symbol"
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --id-map btc=nosuchcoin \
		--once $FAST
	assert_failure 1
	assert_output --partial "no price for BTC-USD (id 'nosuchcoin')"
	run cmt-fetch --source kraken --base-url "$URL" --warmup 0 --symbols doge --once $FAST
	assert_failure 1
	assert_output --partial "Unknown asset pair"
	run cmt-fetch --source coinbase --base-url "$URL" --warmup 0 --symbols doge --once $FAST
	assert_failure 1
	assert_output --partial "HTTP 404"
	run cmt-fetch --source okx --base-url "$URL" --warmup 0 --symbols doge --once $FAST
	assert_failure 1
	assert_output --partial "okx: Instrument ID does not exist (code 51001)"
}

@test "SIGTERM during a long Retry-After wait stops promptly with exit 0" {
	start_api --plan "ok,429:60"
	cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --interval 100ms \
		> "$TMP/out" 2> "$TMP/err" &
	pid=$!
	for _ in $(seq 50); do
		grep -q "Retry-After" "$TMP/err" 2>/dev/null && break
		sleep 0.1
	done
	start=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid"
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$elapsed" -lt 1500 ]
	diff <(gecko_ticks 1) "$TMP/out"
}

@test "--duration ends live mode" {
	start_api
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --duration 500ms \
		--interval 100ms
	assert_success
	[ "${#lines[@]}" -ge 3 ] && [ "${#lines[@]}" -le 6 ]
}

# Check a history file: n ticks of sym, 1 minute apart, ending at $4.
check_klines() {
	python3 - "$@" <<'EOF'
import json, sys
path, sym, n, first = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ticks = [json.loads(l) for l in open(path) if '"%s"' % sym in l]
assert len(ticks) == n, (len(ticks), n)
for i, t in enumerate(ticks):
    close_t = first + 60000 * i
    m = close_t // 60000 - 1            # the bar's open minute
    assert t["t"] == close_t, (i, t)
    assert t["px"] == round(50000 + 0.5 * (m % 1000) + 0.01, 8), t
    assert t["vol"] == 1.0 + 0.25 * (m % 7), t
    c = t["px"]     # the bar's range: open, high, low, and not warm
    assert (t["o"], t["h"], t["l"]) == (round(c - 1, 8), round(c + 2, 8),
                                        round(c - 3, 8)), t
    assert "warm" not in t, t
EOF
}

@test "binance history pages across 1000-bar boundaries without gaps or repeats" {
	start_api
	run --separate-stderr cmt-fetch --history --source binance \
		--base-url "$URL" --symbols btc --from 2024-01-01 \
		--to 2024-01-02T17:40:00Z
	assert_success
	echo "$output" > "$TMP/h"
	# 41 h 40 min = 2500 bars, stamped at their close: [--from, --to)
	# is on that time, so the first is the bar closing at --from
	check_klines "$TMP/h" BTC-USDT 2500 1704067200000
	[ "$(api_log | grep -c klines)" -eq 3 ]
	[[ "$stderr" == *"history: 2024-01-02T17:40:00.000Z 100%, 2500 ticks, 3 requests"* ]]
}

@test "history keeps paging when the server returns short pages" {
	start_api --page-cap 300
	run --separate-stderr cmt-fetch --history --source binance \
		--base-url "$URL" --symbols btc --from 2024-01-01 \
		--to 2024-01-01T20:00:00Z --quiet
	assert_success
	echo "$output" > "$TMP/h"
	check_klines "$TMP/h" BTC-USDT 1200 1704067200000
	[ "$(api_log | grep -c klines)" -ge 5 ]
}

@test "history skips an exchange outage and continues after it" {
	# no bars for 00:10 .. 00:20 on 2024-01-01
	start_api --gap-from 1704067800000 --gap-to 1704068400000
	for src in binance okx; do
		run --separate-stderr cmt-fetch --history --source "$src" \
			--base-url "$URL" --symbols btc --from 2024-01-01 \
			--to 2024-01-01T01:00:00Z --quiet
		assert_success
		[ "${#lines[@]}" -eq 50 ]
		assert_line --index 10 --partial '"t":1704067800000,'
		assert_line --index 11 --partial '"t":1704068460000,'
	done
}

@test "history of two symbols is in time order and survives faults" {
	start_api --plan "ok,500,429:0,ok,trunc,ok"
	run --separate-stderr cmt-fetch --history --source binance \
		--base-url "$URL" --symbols btc,eth --from 2024-01-01 \
		--to 2024-01-01T20:00:00Z $RETRY --quiet
	assert_success
	echo "$output" > "$TMP/h"
	check_klines "$TMP/h" BTC-USDT 1200 1704067200000
	[ "$(grep -c ETH-USDT "$TMP/h")" -eq 1200 ]
	cut -d, -f1 "$TMP/h" | cut -d: -f2 | sort -c -n
	[[ "$stderr" == *"HTTP 500"* && "$stderr" == *"partial"* ]]
}

@test "--resume continues after the last tick in the file" {
	start_api
	cmt-fetch --history --source binance --base-url "$URL" --symbols btc,eth \
		--from 2024-01-01 --to 2024-01-02 --quiet > "$TMP/all"
	cmt-fetch --history --source binance --base-url "$URL" --symbols btc,eth \
		--from 2024-01-01 --to 2024-01-01T09:17:00Z --quiet > "$TMP/part"
	# a run cut short: ETH one bar behind BTC
	sed -i '$d' "$TMP/part"
	cmt-fetch --history --source binance --base-url "$URL" --symbols btc,eth \
		--from 2024-01-01 --to 2024-01-02 --quiet --resume "$TMP/part" \
		>> "$TMP/part"
	diff "$TMP/all" "$TMP/part"
	printf '{"t":1,"sym":"BTC-USDT","px":1}' > "$TMP/cut"
	run cmt-fetch --history --source binance --base-url "$URL" --symbols btc \
		--from 2024-01-01 --to 2024-01-02 --resume "$TMP/cut"
	assert_failure 1
	assert_output --partial "incomplete"
}

@test "okx history: confirmed candles, 100 a request, newest first, in time order" {
	start_api --plan "ok,429,ok,envelope:50011,ok"
	run --separate-stderr cmt-fetch --history --source okx \
		--base-url "$URL" --symbols btc,eth --from 2024-01-01 \
		--to 2024-01-01T05:00:00Z $RETRY
	assert_success
	echo "$output" > "$TMP/h"
	check_klines "$TMP/h" BTC-USDT 300 1704067200000
	[ "$(grep -c ETH-USDT "$TMP/h")" -eq 300 ]
	cut -d, -f1 "$TMP/h" | cut -d: -f2 | sort -c -n
	# [from, to) by open time: after the newest (exclusive), before the
	# oldest (exclusive); 3 windows of 100 bars for 2 symbols, 2 retries
	api_log | grep -q 'history-candles?instId=BTC-USDT&bar=1m&after=1704073140000&before=1704067139999&limit=100'
	[ "$(api_log | grep -c history-candles)" -eq 8 ]
	[[ "$stderr" == *"history: 2024-01-01T05:00:00.000Z 100%, 600 ticks, 6 requests"* ]]
}

@test "coingecko history uses market_chart/range points in range" {
	start_api
	run --separate-stderr cmt-fetch --history --base-url "$URL" \
		--symbols btc --from 2024-01-01 --to 2024-01-02 --pace 0
	assert_success
	[ "${#lines[@]}" -eq 24 ]
	assert_line --index 0 --partial '{"t":1704067200017,"sym":"BTC-USD",'
	assert_line --index 23 --partial '{"t":1704150000017,'
	[[ "$output" != *vol* ]]
	api_log | grep -q 'market_chart/range?vs_currency=usd&from=1704067200&to=1704153599'
}

@test "kraken history is refused beyond the 720 bars kraken keeps" {
	run cmt-fetch --history --source kraken --symbols btc --from 2024-01-01 \
		--base-url http://127.0.0.1:1
	assert_failure 1
	assert_output --partial "kraken keeps only the last 720 1-minute bars"
}

need_pipeline() {
	[ -x "$BIN/cmt-features" ] || skip "cmt-features not built"
	[ -x "$BIN/cmt-predict" ] || skip "cmt-predict not built"
	cmt-predict --info > /dev/null 2>&1 || skip "no default model"
}

@test "live ticks run through cmt-features and cmt-predict" {
	need_pipeline
	start_api
	# Binance aggTrades carry volume, which the default model needs; the
	# fake market moves a minute of trade time per poll.
	run --separate-stderr bash -c "cmt-fetch --base-url '$URL' --warmup 0 \
		--source binance --symbols btc,eth --count 150 --interval 1ms \
		| cmt-features --model default | cmt-predict"
	assert_success
	[ "$(echo "$output" | grep -c '"p_up":')" -gt 50 ]
	echo "$output" | grep -q '"sym":"ETH-USDT".*"p_up":'
}

@test "backfilled history runs through cmt-features and cmt-predict" {
	need_pipeline
	start_api
	run --separate-stderr bash -c "cmt-fetch --base-url '$URL' --history \
		--source binance --symbols btc --from 2024-01-01 \
		--to 2024-01-01T03:00:00Z --quiet \
		| cmt-features --model default | cmt-predict"
	assert_success
	[ "$(echo "$output" | grep -c '"p_up":')" -gt 100 ]
}

@test "--duration also ends a long backoff" {
	start_api --plan "ok,429:60"
	start=$(date +%s%N)
	run cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --duration 700ms \
		--interval 100ms
	assert_success
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$elapsed" -lt 2000 ]
	assert_line --index 0 --partial '"t":1700000010000,'
}

@test "SIGINT during a slow transfer stops promptly with exit 0" {
	start_api --plan "ok,slow:8"
	cmt-fetch --base-url "$URL" --warmup 0 --symbols btc --interval 100ms \
		--timeout 20s > "$TMP/out" 2> "$TMP/err" &
	pid=$!
	for _ in $(seq 50); do
		[ "$(api_log | grep -c slow)" -eq 1 ] && break
		sleep 0.1
	done
	start=$(date +%s%N)
	kill -INT "$pid"
	wait "$pid"
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$elapsed" -lt 1500 ]
	diff <(gecko_ticks 1) "$TMP/out"
	[ ! -s "$TMP/err" ]
}

@test "a closed stdout ends cmt-fetch quietly, by SIGPIPE (status 141)" {
	start_api
	run bash -c "cmt-fetch --base-url '$URL' --warmup 0 --symbols btc --interval 10ms \
		--count 50 | head -1 >/dev/null; exit \${PIPESTATUS[0]}"
	assert_failure 141
	assert_output ""
}

@test "a reader gone before the warm start is written ends cmt-fetch quietly too (141, no 'write error: Success')" {
	start_api --live-clock
	run --separate-stderr bash -c "cmt-fetch --base-url '$URL' --source binance --symbols btc,eth \
		--duration 5s | true; exit \${PIPESTATUS[0]}"
	[ "$status" -eq 141 ]
	[[ "$stderr" != *"write error"* ]]
}
