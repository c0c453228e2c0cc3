#!/usr/bin/env bats
# make demo: the whole pipeline on the bundled real minutes (data/demo),
# and make demo-sim on simulated ticks.
load helper

local_setup() {
	mkdir -p "$TMP/o"
	ln -s "$BIN" "$TMP/o/bin"
}

@test "the demo replays the bundled real BTC and ETH minutes and prints the model beside the baselines" {
	cd "$ROOT"
	run sh scripts/demo.sh "$TMP/o"
	assert_success
	assert_output --partial "REAL Binance 1-minute bars"
	# a week of each symbol, every minute after warm-up scored or flat
	assert_output --partial "vectors 20038, symbols 2, from 2024-03-04T"
	assert_output --partial "scored 19821; not scored: 217 flat"
	assert_line --regexp '^BTC-USDT  \(up 0\.5153\)$'
	assert_line --regexp '^  majority +19821 +0\.5065 '
	assert_line --regexp '^  last return +19821 '
	assert_line --regexp '^  model +19821 +0\.5106 +0\.5139 +\[0\.5058, 0\.5219\]'
	# the lines README quotes for the demo are lines it prints
	printf '%s\n' "$output" > "$TMP/demo.out"
	python3 "$ROOT/tests/cli/readme.py" block "$ROOT/README.md" "ALL  (up " > "$TMP/shown"
	[ "$(grep -c . "$TMP/shown")" -ge 4 ]
	python3 "$ROOT/tests/cli/readme.py" lines "$TMP/shown" "$TMP/demo.out"
	# and its words for them: 11 % before fees, -89 % after
	grep -q "ALL (1/S each) .* 11\.314%  -88\.902% " "$TMP/demo.out"
	grep -q "the rule's 11 % before fees is −89 % after them" "$ROOT/README.md"
	# the ticks are bar closes with the bars' open, high, low and volume
	# (scripts/candle-ticks.awk, as make model makes them), marked as
	# Binance's
	gzip -dc "$TMP/o/demo/ticks-binance-2024.ndjson.gz" | head -1 |
		grep -q '^{"t":1709510460000,"sym":"BTC-USDT","px":63167.63,"o":63113.97,"h":63167.63,"l":63074.18,"vol":65.87067,"src":"binance"}$'
	[ -s "$TMP/o/demo/backtest-real.json" ]
	[ -s "$TMP/o/demo/backtest.svg" ]
}

@test "make demo-sim runs the same pipeline on simulated ticks and says so" {
	cd "$ROOT"
	run sh scripts/demo.sh "$TMP/o" sim
	assert_success
	assert_output --partial "the ticks were SIMULATED"
	assert_output --partial "BTC-USD  (up"
	run sh scripts/demo-ticks.sh "$TMP/o" nonsense
	assert_failure 2
	assert_output --partial "unknown kind 'nonsense'"
}
