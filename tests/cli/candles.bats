#!/usr/bin/env bats
# Candles in: cmt-replay reads OHLCV files (a CSV with a header, an
# exchange's 12-column dumps, freqtrade's JSON), plain or gzip, and writes
# one bar tick per candle at the bar's CLOSE: t = open time + bar length
# (or the file's close time), px = close, o/h/l, vol.  The expected ticks
# in tests/cli/data/candles/*.ndjson are written by hand from the candles.
load helper
bats_require_minimum_version 1.5.0

D="$ROOT/tests/cli/data/candles"

@test "a ccxt-style CSV (timestamp in ms) gives bar ticks stamped at each bar's close" {
	run cmt-replay --speed max "$D/btcusdt_1m.csv"
	assert_success
	assert_output "$(cat "$D/btcusdt_1m.ndjson")"
}

@test "bar open vs close: the time column is the open, each bar comes out one bar later" {
	# the first bar opens 00:00 and closes 00:01: it is the tick at 00:01,
	# never a tick at 00:00 (that would put the minute's close at its start)
	run cmt-replay --speed max --to 2024-03-01T00:01:00.001Z "$D/btcusdt_1m.csv"
	assert_output "$(head -1 "$D/btcusdt_1m.ndjson")"
	run cmt-replay --speed max --to 2024-03-01T00:01:00Z "$D/btcusdt_1m.csv"
	assert_output ""
}

@test "times in seconds, milliseconds, microseconds and ISO 8601 give the same ticks" {
	awk -F, 'NR == 1 { print "ts,open,high,low,close,volume"; next }
		{ printf "%d,%s,%s,%s,%s,%s\n", $1 / 1000, $2, $3, $4, $5, $6 }' \
		"$D/btcusdt_1m.csv" > "$TMP/s.csv"
	awk -F, 'NR == 1 { print "open_time,open,high,low,close,volume"; next }
		{ printf "%s000,%s,%s,%s,%s,%s\n", $1, $2, $3, $4, $5, $6 }' \
		"$D/btcusdt_1m.csv" > "$TMP/us.csv"
	{
		echo "date,open,high,low,close,volume"
		echo "2024-03-01 00:00:00+00:00,61000.5,61010,60990.25,61005,1.5"
		echo "2024-03-01T02:01:00+02:00,61005,61020,61000,61018.75,2.25"
		echo "2024-03-01T00:02:00Z,61018.75,61018.75,60980,60985.5,0.75"
	} > "$TMP/iso.csv"
	for f in s us iso; do
		run cmt-replay --speed max --symbol BTC-USDT "$TMP/$f.csv"
		assert_success
		assert_output "$(cat "$D/btcusdt_1m.ndjson")"
	done
}

@test "the 12-column monthly dumps (no header): the close time one ms short closes the bar" {
	run cmt-replay --speed max "$D/ETHUSDT-1m-2024-05.csv"
	assert_success
	assert_output "$(cat "$D/ETHUSDT-1m-2024-05.ndjson")"
}

@test "freqtrade's JSON, on one line or pretty-printed; 5-minute bars told by their spacing" {
	run cmt-replay --speed max "$D/ETH_BTC-5m.json"
	assert_success
	assert_output "$(cat "$D/ETH_BTC-5m.ndjson")"
	mkdir "$TMP/p"
	printf '[\n  [1714521600000, 0.05, 0.0502, 0.0499, 0.0501, 10.5],\n  [1714521900000,\n   0.0501, 0.0503, 0.05, 0.0502, 12]\n]\n' \
		> "$TMP/p/ETH_BTC-5m.json"
	run cmt-replay --speed max "$TMP/p/ETH_BTC-5m.json"
	assert_success
	assert_output "$(cat "$D/ETH_BTC-5m.ndjson")"
}

@test "gzip for every form, by name or on a pipe" {
	for f in btcusdt_1m.csv:BTC-USDT ETHUSDT-1m-2024-05.csv:ETHUSDT \
	    ETH_BTC-5m.json:ETH/BTC; do
		sym=${f#*:} f=${f%:*}
		gzip -c "$D/$f" > "$TMP/$f.gz"
		run cmt-replay --speed max "$TMP/$f.gz"
		assert_success
		assert_output "$(cat "$D/${f%.*}.ndjson")"
		run sh -c "gzip -c '$D/$f' | cmt-replay --speed max --symbol $sym"
		assert_success
		assert_output "$(cat "$D/${f%.*}.ndjson")"
	done
}

@test "--symbol names the symbol a file does not; without one the file is refused (exit 2)" {
	run sh -c "cmt-replay --speed max < '$D/btcusdt_1m.csv'"
	assert_failure 2
	assert_output "cmt-replay: stdin: the candles name no symbol (no symbol column, nor one in the file name): give --symbol BASE-QUOTE"
	run sh -c "cmt-replay --speed max --symbol btc/usdt < '$D/btcusdt_1m.csv'"
	assert_success
	assert_output "$(cat "$D/btcusdt_1m.ndjson")"
	cp "$D/btcusdt_1m.csv" "$TMP/candles.csv"
	run cmt-replay --speed max --symbol BTCUSDT "$TMP/candles.csv"
	assert_output "$(cat "$D/btcusdt_1m.ndjson")"
	run cmt-replay --speed max --symbol BTC "$TMP/candles.csv"
	assert_failure 2
	assert_output --partial "--symbol: symbol 'BTC' is not BASE-QUOTE"
}

@test "a symbol column gives each row its symbol; symbols are merged by time" {
	{
		echo "time,symbol,open,high,low,close,volume"
		echo "1709251200,BTC/USDT,10,12,9,11,1"
		echo "1709251200,ETH/USDT,5,6,4,5.5,2"
		echo "1709251260,BTC/USDT,11,13,10,12,3"
		echo "1709251260,ETH/USDT,5.5,7,5,6,4"
	} > "$TMP/both.csv"
	run cmt-replay --speed max "$TMP/both.csv"
	assert_success
	assert_output '{"t":1709251260000,"sym":"BTC-USDT","px":11,"o":10,"h":12,"l":9,"vol":1}
{"t":1709251260000,"sym":"ETH-USDT","px":5.5,"o":5,"h":6,"l":4,"vol":2}
{"t":1709251320000,"sym":"BTC-USDT","px":12,"o":11,"h":13,"l":10,"vol":3}
{"t":1709251320000,"sym":"ETH-USDT","px":6,"o":5.5,"h":7,"l":5,"vol":4}'
}

@test "the bar length: the commonest spacing (a gap does not decide it), else --bar" {
	{
		echo "ts,open,high,low,close"
		echo "1709251200,1,1,1,1"
		echo "1709251500,2,2,2,2"
		echo "1709254800,3,3,3,3"
		echo "1709255100,4,4,4,4"
	} > "$TMP/btcusd_5m.csv"
	run cmt-replay --speed max "$TMP/btcusd_5m.csv"
	assert_success
	assert_line --index 0 '{"t":1709251500000,"sym":"BTC-USD","px":1,"o":1,"h":1,"l":1}'
	assert_line --index 3 '{"t":1709255400000,"sym":"BTC-USD","px":4,"o":4,"h":4,"l":4}'
	head -2 "$TMP/btcusd_5m.csv" > "$TMP/btcusd_one.csv"
	run cmt-replay --speed max "$TMP/btcusd_one.csv"
	assert_failure 2
	assert_output --partial "give --bar, e.g. --bar 1m"
	run cmt-replay --speed max --bar 1h "$TMP/btcusd_one.csv"
	assert_success
	assert_output '{"t":1709254800000,"sym":"BTC-USD","px":1,"o":1,"h":1,"l":1}'
}

@test "a bad candle is reported by line and skipped; the rest is read" {
	{
		echo "ts,open,high,low,close,volume"
		echo "1709251200,10,12,9,11,1"
		echo "1709251260,10,10.5,9,11,1"
		echo "1709251260,10,12,9,11,-1"
		echo "1709251320,x,12,9,11,1"
		echo "1709251320,10,12,9,11,1"
		echo "1709251320,10,12,9,11,1"
		echo "1709251380,10,12,9,11"
		echo "1709251440,10,12,9,11,2"
	} > "$TMP/btcusdt.csv"
	run --separate-stderr cmt-replay --speed max "$TMP/btcusdt.csv"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[[ "$stderr" == *"line 3: bar range [\"l\", \"h\"] does not hold \"o\" and \"px\""* ]]
	[[ "$stderr" == *'line 4: "vol" must be >= 0'* ]]
	[[ "$stderr" == *"line 5: \"open\" is not a number: 'x'"* ]]
	[[ "$stderr" == *"line 7: BTC-USDT: bar opening 2024-03-01T00:02:00.000Z repeats the previous one"* ]]
	[[ "$stderr" == *"line 8: expected 6 fields, got 5"* ]]
	[[ "$stderr" == *"3 ticks written, 5 bad lines skipped"* ]]
}

@test "a zip archive is refused at once with the command that unpacks it" {
	python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],"w"); z.write(sys.argv[2],"x.csv"); z.close()' \
		"$TMP/BTCUSDT-1m-2024-05.zip" "$D/ETHUSDT-1m-2024-05.csv"
	run cmt-replay --speed max "$TMP/BTCUSDT-1m-2024-05.zip"
	assert_failure 2
	assert_output "cmt-replay: $TMP/BTCUSDT-1m-2024-05.zip: line 1: this is a zip archive, not ticks, candles, feature vectors or predictions: unpack it first (unzip -p $TMP/BTCUSDT-1m-2024-05.zip | ...); gzip is read as it is"
}

@test "real candles from ../shared/data: every bar as a tick at its close, checked by a separate reader" {
	need_shared_data
	f="$SHARED/data/btc_1m/btcusdt_binance_1m_2024.csv"
	[ -f "$f" ] || skip "no $f"
	cmt-replay --speed max "$f" > "$TMP/t"
	python3 - "$f" "$TMP/t" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ticks = [json.loads(l) for l in open(sys.argv[2])]
assert len(rows) == len(ticks) == 50000, (len(rows), len(ticks))
for r, t in zip(rows, ticks):
    want = {"t": (int(r["ts"]) + 60) * 1000, "sym": "BTC-USDT",
            "px": float(r["close"]), "o": float(r["open"]),
            "h": float(r["high"]), "l": float(r["low"]),
            "vol": float(r["volume"])}
    assert t == want, (r, t)
EOF
}
