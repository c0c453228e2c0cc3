#!/usr/bin/env bats
# One input rule for every tool (lib/line.c, lib/instream.c, lib/sniff.c):
# gzip is read wherever a file or stdin is read, and a first line of
# another format ends the tool at once with exit 2 and ONE line saying what
# the input is and which tool reads it, never a line per input line.
load helper
bats_require_minimum_version 1.5.0

D="$ROOT/tests/cli/data/candles"

# ticks, vectors (labelled), predictions of one small simulated market
make_inputs() {
	cmt-sim --symbols BTC-USD,ETH-USD --start 2024-03-01 --duration 4h \
		--every 1m --regular --seed 5 > "$TMP/ticks"
	cmt-features -q --model default --emit-warmup < "$TMP/ticks" > /dev/null
	cmt-features -q --model default --label 1m < "$TMP/ticks" > "$TMP/vec"
	cmt-predict < "$TMP/vec" > "$TMP/pred" 2>/dev/null
	[ -s "$TMP/vec" ] && [ -s "$TMP/pred" ]
}

@test "every tool reads gzip, as a named file and on stdin, as it reads the plain input" {
	make_inputs
	for f in ticks vec pred; do gzip -c "$TMP/$f" > "$TMP/$f.gz"; done
	cmt-features -q --model default < "$TMP/ticks" > "$TMP/want"
	cmt-features -q --model default "$TMP/ticks.gz" | cmp - "$TMP/want"
	cmt-features -q --model default < "$TMP/ticks.gz" | cmp - "$TMP/want"
	cmt-predict < "$TMP/vec.gz" 2>/dev/null | cmp - "$TMP/pred"
	cmt-backtest --json "$TMP/pred" > "$TMP/want"
	cmt-backtest --json "$TMP/pred.gz" | cmp - "$TMP/want"
	cmt-backtest --json < "$TMP/pred.gz" | cmp - "$TMP/want"
	cmt-train -k logreg --seed 1 -n m -o "$TMP/m1.json" "$TMP/vec" 2>/dev/null
	cmt-train -k logreg --seed 1 -n m -o "$TMP/m2.json" "$TMP/vec.gz" 2>/dev/null
	# the card records the command line, which names the file
	diff <(grep -v '"command"' "$TMP/m1.json") <(grep -v '"command"' "$TMP/m2.json")
	cmt-replay --speed max < "$TMP/ticks.gz" | cmp - "$TMP/ticks"
}

@test "cmt-sse serves gzip input line by line" {
	make_inputs
	gzip -c "$TMP/pred" > "$TMP/pred.gz"
	port=$(free_port)
	cmt-sse --port "$port" --first-id 1 --no-stamp --status 0 < "$TMP/pred.gz" 2>"$TMP/err" &
	pid=$!
	wait_http "$port"
	curl -sN --max-time 1 "http://127.0.0.1:$port/events?lastEventId=0" > "$TMP/ev" || true
	kill "$pid"
	wait "$pid" || true
	grep '^data: ' "$TMP/ev" | sed 's/^data: //' | cmp - "$TMP/pred"
}

@test "damaged gzip: the lines before the damage, then a read error naming the file (exit 1)" {
	cmt-sim --symbols BTC-USD --duration 2d --every 1m --regular --seed 5 |
		gzip -c | head -c 20000 > "$TMP/cut.gz"
	run --separate-stderr cmt-features -q --emit-warmup "$TMP/cut.gz"
	assert_failure 1
	[ "${#lines[@]}" -gt 10 ]
	[ "$stderr" = "cmt-features: $TMP/cut.gz: read error: the gzip data ends early (a truncated file?)" ]
}

# refuses TOOL INPUT WORDS...: TOOL (a command line, input on stdin) ends
# with exit 2 and exactly one line on stderr containing WORDS, nothing out.
refuses() {
	run --separate-stderr sh -c "$1 < '$2'"
	assert_failure 2
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || { echo "$stderr"; return 1; }
	shift 2
	[[ "$stderr" == *"$*"* ]] || { echo "$stderr"; return 1; }
}

@test "a first line of another format ends each tool at once: exit 2, one line, the tool that reads it" {
	make_inputs
	c="$D/btcusdt_1m.csv"
	refuses "cmt-features" "$c" "cmt-features: line 1: this is a candle file (timestamp,open,high,low,close,volume), not ticks: cmt-replay reads it (cmt-replay --speed max FILE | cmt-features --model default)"
	refuses "cmt-features" "$TMP/vec" "these are feature vectors (cmt-features output), not ticks: cmt-predict scores them"
	refuses "cmt-features" "$TMP/pred" "these are predictions (vectors with p_up), not ticks: cmt-backtest scores them"
	refuses "cmt-predict" "$TMP/ticks" "line 1: these are ticks (t, sym, px), not feature vectors: cmt-features reads them"
	refuses "cmt-predict" "$c" "this is a candle file (timestamp,open,high,low,close,volume), not feature vectors: cmt-replay reads it"
	refuses "cmt-predict" "$TMP/pred" "these are predictions (vectors with p_up), not feature vectors: cmt-backtest scores them"
	refuses "cmt-backtest" "$TMP/ticks" "these are ticks (t, sym, px), not feature vectors or predictions: cmt-features reads them"
	refuses "cmt-backtest" "$D/ETH_BTC-5m.json" "this is a candle file, not feature vectors or predictions: cmt-replay reads it"
	refuses "cmt-train -o $TMP/m.json" "$TMP/ticks" "these are ticks (t, sym, px), not feature vectors or predictions: cmt-features reads them"
	refuses "cmt-train -o $TMP/m.json" "$D/ETHUSDT-1m-2024-05.csv" "this is a candle file (1714521600000,3014.05,3015.20,3012.50,3013.10,120.5,17145216...), not feature vectors or predictions: cmt-replay reads it"
	cmt-backtest --follow --pass --horizon 1m < "$TMP/pred" 2>/dev/null | grep '"kind"' > "$TMP/report"
	refuses "cmt-replay --speed max" "$TMP/report" "these are cmt-backtest --follow lines (\"kind\"), not ticks, candles, feature vectors or predictions: cmt-sse serves them"
	refuses "cmt-predict" "$TMP/report" "these are cmt-backtest --follow lines"
	# a named file is named, and its name is in the example command
	run --separate-stderr cmt-features "$c"
	assert_failure 2
	[ "$stderr" = "cmt-features: $c: line 1: this is a candle file (timestamp,open,high,low,close,volume), not ticks: cmt-replay reads it (cmt-replay --speed max $c | cmt-features --model default)" ]
	# gzip first, then the rule
	gzip -c "$c" > "$TMP/c.csv.gz"
	refuses "cmt-features" "$TMP/c.csv.gz" "this is a candle file"
	# an input the tool reads is not refused for its look: ticks as CSV
	printf '\xef\xbb\xbft,sym,px\n1709251200000,BTC-USD,1\n' > "$TMP/bom.csv"
	run cmt-features -q --emit-warmup "$TMP/bom.csv"
	assert_success
	assert_output --partial '"sym":"BTC-USD"'
}

@test "cmt-backtest --vs reads the other file by the same rule: gzip, and another format refused at once" {
	make_inputs
	gzip -c "$TMP/pred" > "$TMP/pred.gz"
	cmt-backtest --json --vs "$TMP/pred" "$TMP/pred" |
		sed 's/"other":{"name":"\([^"]*\)pred"/"other":{"name":"\1pred.gz"/' > "$TMP/want"
	cmt-backtest --json --vs "$TMP/pred.gz" "$TMP/pred" | cmp - "$TMP/want"
	refuses "cmt-backtest --vs $D/btcusdt_1m.csv" "$TMP/pred" "cmt-backtest: $D/btcusdt_1m.csv: line 1: this is a candle file (timestamp,open,high,low,close,volume), not feature vectors or predictions: cmt-replay reads it"
	refuses "cmt-backtest --vs $TMP/ticks" "$TMP/pred" "line 1: these are ticks (t, sym, px), not feature vectors or predictions: cmt-features reads them"
}

@test "the issue's case: cmt-features --model default on a 50,000-line candle file says one line, not 50,002" {
	need_shared_data
	f="$SHARED/data/btc_1m/btcusdt_binance_1m_2024.csv"
	[ -f "$f" ] || skip "no $f"
	run --separate-stderr cmt-features --model default "$f"
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = "cmt-features: $f: line 1: this is a candle file (ts,open,high,low,close,volume), not ticks: cmt-replay reads it (cmt-replay --speed max $f | cmt-features --model default)" ]
	run --separate-stderr cmt-backtest "$f"
	assert_failure 2
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	# and what the message says works
	cmt-replay --speed max "$f" | cmt-features -q --model default | head -1 |
		grep -q '"sym":"BTC-USDT"'
}
