#!/usr/bin/env bats
# cmt-backtest --follow on streams as they come: redelivered vectors,
# a glitched far-future time, a symbol whose clock jumps, and the rolling
# window's scores against the batch report.
load helper
bats_require_minimum_version 1.5.0

# Two symbols, one vector a minute each, interleaved: unlabelled
# forecasts in $TMP/p and the same rows labelled (--label 1m) in $TMP/l.
two_symbols() {
	cmt-sim --symbols BTC-USD,ETH-USD -d 6h -e 1m --regular --seed 3 > "$TMP/t"
	cmt-features --model default -q "$TMP/t" | cmt-predict > "$TMP/p"
	cmt-features --model default -q --label 1m "$TMP/t" | cmt-predict > "$TMP/l"
}

@test "--follow skips a redelivered vector, with or without --horizon, and counts it" {
	two_symbols
	# a redelivered stream: every vector twice
	awk '{ print; print }' "$TMP/l" > "$TMP/l2"
	awk '{ print; print }' "$TMP/p" > "$TMP/p2"
	n=$(wc -l < "$TMP/l")
	np=$(wc -l < "$TMP/p")
	run --separate-stderr cmt-backtest --follow --window 50 "$TMP/l2"
	assert_success
	[ "$output" = "$(cmt-backtest --follow --window 50 "$TMP/l")" ]
	[[ "$stderr" == *"$TMP/l2: line 2: BTC-USD: timestamp 1704070860000 is the same as the previous vector's: a repeat, skipped"* ]]
	[[ "$stderr" == *"$n repeated vectors skipped"* ]]
	run --separate-stderr cmt-backtest --follow --horizon 1m --window 50 "$TMP/p2"
	assert_success
	[ "$output" = "$(cmt-backtest --follow --horizon 1m --window 50 "$TMP/p")" ]
	[[ "$stderr" == *"$TMP/p2: line 4: ETH-USD: timestamp 1704070860000 is the same as"* ]]
	[[ "$stderr" == *"$np repeated vectors skipped"* ]]
	# --pass copies each vector once
	[ "$(cmt-backtest --follow --pass "$TMP/l2" 2>/dev/null | grep -vc '"kind":')" -eq "$n" ]
	# batch mode, by the same rule: the report is the plain file's
	[ "$(cmt-backtest --json "$TMP/l2" 2>/dev/null)" = "$(cmt-backtest --json "$TMP/l")" ]
}

@test "--follow: a vector older than its symbol's last is out of order, skipped" {
	two_symbols
	# the 3rd BTC vector again after the 5th: out of order
	awk 'NR == 9 { print; print old; next } NR == 5 { old = $0 } { print }' "$TMP/l" > "$TMP/o"
	run --separate-stderr cmt-backtest --follow "$TMP/o"
	assert_success
	[ "$output" = "$(cmt-backtest --follow "$TMP/l")" ]
	[[ "$stderr" == *"line 10: BTC-USD: timestamp 1704070980000 is before the previous vector's (1704071100000): skipped"* ]]
	[[ "$stderr" == *"1 out of order"* ]]
}

@test "--follow --horizon: one vector stamped in 2100 costs one line; every symbol's metrics go on" {
	two_symbols
	# the 200th BTC vector stamped in the year 2100, then the stream as it was
	awk '/"BTC-USD"/ && ++b == 200 { g = $0; sub(/"t":[0-9]+/, "\"t\":4102444800000", g); print g } { print }' \
		"$TMP/p" > "$TMP/g"
	line=$(grep -n '"t":4102444800000' "$TMP/g" | cut -d: -f1)
	run --separate-stderr cmt-backtest --follow --horizon 1m --window 50 "$TMP/g"
	assert_success
	[[ "$stderr" == *"line $line: BTC-USD: timestamp 4102444800000 (2100-01-01T00:00:00.000Z) is more than 1d ahead of the symbol's previous vector (--max-jump): skipped; a next vector as far ahead confirms a jump"* ]]
	[[ "$stderr" == *"1 too far ahead (--max-jump)"* ]]
	# nothing else changes: the output is that of the stream without it
	[ "$output" = "$(cmt-backtest --follow --horizon 1m --window 50 "$TMP/p")" ]
	# both symbols' metrics lines go on to the end of the stream
	last=$(tail -1 "$TMP/p" | grep -o '"t":[0-9]*' | cut -d: -f2)
	for s in BTC-USD ETH-USD; do
		printf '%s\n' "$output" | grep "\"kind\":\"metrics\",\"sym\":\"$s\"" | tail -1 |
			grep -q "\"t\":$last,"
	done
	# without the check (--max-jump 0) the glitch is taken as the time
	run cmt-backtest --follow --horizon 1m --max-jump 0 --pass "$TMP/g"
	assert_output --partial '"t":4102444800000,'
}

@test "--follow: a symbol whose clock jumps moves only its own time, not the metrics clock" {
	two_symbols
	# from its 200th vector on, ETH's times are two days ahead (a real jump:
	# the next vector confirms it); BTC goes on as before
	awk '/"ETH-USD"/ && ++e >= 200 { match($0, /"t":[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4) + 172800000
		sub(/"t":[0-9]+/, sprintf("\"t\":%.0f", t)) } { print }' "$TMP/l" > "$TMP/j"
	run --separate-stderr cmt-backtest --follow --every 1m "$TMP/j"
	assert_success
	[[ "$stderr" == *"ETH-USD: timestamp"*"is more than 1d ahead of the symbol's previous vector (--max-jump): skipped; a next vector as far ahead confirms a jump"* ]]
	# one metrics line per minute of the stream to its end, none in the future
	last=$(grep BTC-USD "$TMP/l" | tail -1 | grep -o '"t":[0-9]*' | cut -d: -f2)
	first=$(head -1 "$TMP/l" | grep -o '"t":[0-9]*' | cut -d: -f2)
	[ "${#lines[@]}" -eq $(( (last - first) / 60000 + 1 )) ]
	assert_line --index $(( ${#lines[@]} - 1 )) --partial "\"t\":$last,"
	printf '%s\n' "$output" | grep -o '"t":[0-9]*' | cut -d: -f2 |
		awk -v last="$last" '$1 > last { exit 1 }'
	# every labelled row but the one skipped is scored
	n=$(grep -v '"y":null' "$TMP/l" | grep -vc "^$(grep ETH-USD "$TMP/l" | sed -n 200p)\$")
	assert_line --index $(( ${#lines[@]} - 1 )) --partial "\"count\":$n,"
	# a lone symbol's jump is followed: its lines go on after it
	grep BTC-USD "$TMP/l" | awk 'NR >= 200 { match($0, /"t":[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4) + 172800000
		sub(/"t":[0-9]+/, sprintf("\"t\":%.0f", t)) } { print }' > "$TMP/one"
	run --separate-stderr cmt-backtest --follow --every 1m "$TMP/one"
	assert_success
	assert_line --index $(( ${#lines[@]} - 1 )) --partial "\"t\":$((last + 172800000)),"
	run cmt-backtest --follow --max-jump -1 "$TMP/one"
	assert_failure 2
	assert_output --partial "--max-jump"
	run cmt-backtest --max-jump -1 "$TMP/one"
	assert_failure 2
	assert_output --partial "--max-jump"
}

@test "batch mode and --vs apply --follow's time rule: a vector stamped in 2100 is reported and skipped; --max-jump 0 takes it" {
	two_symbols
	awk '/"BTC-USD"/ && ++b == 200 { g = $0; sub(/"t":[0-9]+/, "\"t\":4102444800000", g); print g } { print }' \
		"$TMP/l" > "$TMP/g"
	line=$(grep -n '"t":4102444800000' "$TMP/g" | cut -d: -f1)
	run --separate-stderr cmt-backtest --json "$TMP/g"
	assert_success
	[ "$stderr" = "cmt-backtest: $TMP/g: line $line: BTC-USD: timestamp 4102444800000 (2100-01-01T00:00:00.000Z) is more than 1d ahead of the symbol's previous vector (--max-jump): skipped; a next vector as far ahead confirms a jump
cmt-backtest: 1 bad lines skipped" ]
	# nothing else changes: the report is that of the file without it
	[ "$output" = "$(cmt-backtest --json "$TMP/l")" ]
	# --vs: on either side, by the same rule
	n=$(wc -l < "$TMP/l")
	for sides in "$TMP/g $TMP/l" "$TMP/l $TMP/g"; do
		set -- $sides
		run --separate-stderr cmt-backtest --json --vs "$1" "$2"
		assert_success
		[[ "$stderr" == "cmt-backtest: $TMP/g: line $line: BTC-USD: timestamp 4102444800000 (2100-01-01T00:00:00.000Z) is more than 1d ahead of the symbol's previous vector (--max-jump): skipped;"* ]]
		[ "$(python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(j["rows"]["matched"], j["input"]["only"], j["other"]["only"])' "$output")" = "$n 0 0" ]
	done
	# a symbol's first vector that far ahead of the clock: skipped, and the
	# symbol's report is that of its other vectors
	sed '1s/"t":[0-9]*/"t":4102444800000/' "$TMP/l" > "$TMP/f"
	sed 1d "$TMP/l" > "$TMP/f2"
	run --separate-stderr cmt-backtest --json "$TMP/f"
	[[ "$stderr" == *"line 1: BTC-USD: timestamp 4102444800000 (2100-01-01T00:00:00.000Z) is more than 1d ahead of the clock (--max-jump): skipped"* ]]
	[ "$output" = "$(cmt-backtest --json "$TMP/f2")" ]
	# without the check the glitch is taken, and BTC's later vectors are
	# before it
	run --separate-stderr cmt-backtest --json --max-jump 0 "$TMP/g"
	assert_success
	[[ "$stderr" == *"line $((line + 1)): BTC-USD: timestamp "*" is before the previous vector's (4102444800000): skipped"* ]]
}
