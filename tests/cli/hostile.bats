#!/usr/bin/env bats
# The hostile corpus (tests/hostile/) mixed with good lines by mix.py:
# every tool passes every good line through (count and content) and
# reports every bad line by its number, then exits 0.  The 1 MiB lines are
# made at test time.
load helper
bats_require_minimum_version 1.5.0

H="$ROOT/tests/hostile"

# mix NAME GOOD BAD [mix.py options]: $TMP/NAME, .idx, .good
mix() {
	local name=$1 good=$2 bad=$3
	shift 3
	python3 "$H/mix.py" "$H/$good" "$H/$bad" "$TMP/$name" "$@"
}

# idx_lines FILE CLASS...: line numbers of the given classes, sorted.
idx_lines() {
	local f=$1
	shift
	awk -v want=" $* " 'index(want, " " $2 " ") { print $1 }' "$f" |
		sort -n
}

# reported FILE SEDEXPR: the line numbers a tool named on stderr, sorted.
reported() {
	sed -n "$2" "$1" | sort -n
}

@test "the corpus has what the issue lists" {
	mix t ticks-good.ndjson ticks-bad.txt
	# NUL bytes, invalid UTF-8, CRLF, 1 MiB lines, blank lines
	grep -qaP '\x00' "$TMP/t"
	grep -qaP '\xff\xfe' "$TMP/t"
	grep -qaP '\r$' "$TMP/t"
	[ "$(awk '$4 == 1' "$TMP/t.idx" | wc -l)" -eq 2 ]
	[ "$(awk '$2 == "blank"' "$TMP/t.idx" | wc -l)" -gt 3 ]
	for s in 1e400 '"px":-0' NaN '"Infinity"' '"px":1,"px":2' '"sym":42' \
	    BTCUSD; do
		grep -qaF "$s" "$TMP/t"
	done
}

@test "cmt-features: every good tick counted, vectors as from the good lines alone, every bad line reported" {
	mix t ticks-good.ndjson ticks-bad.txt --order "$H/ticks-order.ndjson"
	run cmt-features --step 1s --emit-warmup -q "$H/ticks-good.ndjson"
	[ "$status" -eq 0 ]
	echo "$output" >"$TMP/clean.out"
	[ "$(wc -l <"$TMP/clean.out")" -gt 10 ]
	cmt-features --step 1s --emit-warmup "$TMP/t" >"$TMP/out" 2>"$TMP/err"
	cmp "$TMP/out" "$TMP/clean.out"
	good=$(awk '$2 == "good"' "$TMP/t.idx" | wc -l)
	grep -q " lines, $good ticks," "$TMP/err"
	# out-of-order and repeated timestamps are bad for a resampler
	idx_lines "$TMP/t.idx" bad order >"$TMP/want"
	reported "$TMP/err" 's/^cmt-features: [^:]*: line \([0-9]*\): .*/\1/p' \
		>"$TMP/got"
	diff "$TMP/want" "$TMP/got"
}

@test "cmt-features: CSV ticks with bad rows" {
	{
		echo 't,sym,px,vol,src'
		echo '1732450000000,BTC-USD,100,1,a'
		echo '1732450001000,BTC-USD,1e400,1,a'
		printf '1732450001000,BTC-USD,101,1,\xff\n'
		echo '1732450001000,BTC-USD,101'
		echo '1732450001000,BTC-USD,NaN,1,a'
		echo '1732450001000,BTCUSD,101,1,a'
		printf '1732450001000,BTC-USD,101,1,a\r\n'
		echo '1732450002000,BTC-USD,102,,'
	} >"$TMP/t.csv"
	cmt-features --step 1s --emit-warmup "$TMP/t.csv" >"$TMP/out" \
		2>"$TMP/err"
	grep -q " lines, 3 ticks," "$TMP/err"
	[ "$(reported "$TMP/err" 's/.*: line \([0-9]*\): .*/\1/p' |
		tr '\n' ' ')" = "3 4 5 6 7 " ]
}

@test "cmt-replay: good ticks and out-of-order ones pass byte for byte, every bad line reported" {
	mix t ticks-good.ndjson ticks-bad.txt --order "$H/ticks-order.ndjson"
	cmt-replay --speed max "$TMP/t" >"$TMP/out" 2>"$TMP/err"
	# replay keeps the recorded order, whatever it is
	tail -n 3 "$H/ticks-order.ndjson" | cat "$TMP/t.good" - >"$TMP/want.out"
	cmp "$TMP/out" "$TMP/want.out"
	idx_lines "$TMP/t.idx" bad >"$TMP/want"
	reported "$TMP/err" 's/^cmt-replay: [^:]*: line \([0-9]*\): .*/\1/p' \
		>"$TMP/got"
	diff "$TMP/want" "$TMP/got"
	bad=$(wc -l <"$TMP/want")
	grep -q "19 ticks written, $bad bad lines skipped" "$TMP/err"
}

@test "cmt-backtest: good prediction lines pass through byte for byte, every bad line reported" {
	mix p preds-good.ndjson preds-bad.txt
	cmt-backtest --follow --pass "$TMP/p" >"$TMP/out" 2>"$TMP/err"
	grep -v '"kind"' "$TMP/out" | cmp - "$TMP/p.good"
	idx_lines "$TMP/p.idx" bad >"$TMP/want"
	reported "$TMP/err" 's/^cmt-backtest: [^:]*: line \([0-9]*\): .*/\1/p' \
		>"$TMP/got"
	diff "$TMP/want" "$TMP/got"
	run cmt-backtest --json "$TMP/p"
	[ "$status" -eq 0 ]
	good=$(wc -l <"$TMP/p.good")
	[[ "$output" == *"\"overall\":{\"sym\":\"ALL\",\"vectors\":$good,"* ]]
}

@test "cmt-sse: each line is one event, except NUL, CR and 1 MiB lines, which are reported" {
	mix t ticks-good.ndjson ticks-bad.txt
	python3 - "$TMP/t" "$TMP/want.data" "$TMP/want.skip" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
with open(sys.argv[2], 'wb') as ev, open(sys.argv[3], 'w') as sk:
    for n, l in enumerate(data, 1):
        if l.endswith(b'\r'):
            l = l[:-1]
        if b'\0' in l or b'\r' in l or len(l) > 65536:
            sk.write('%d\n' % n)
        else:
            ev.write(b'data: ' + l + b'\n')
PY
	# the lines as they came (--no-stamp, no status events), then with
	# the receive time stamped on JSON objects, and nothing else changed
	for opts in '--no-stamp --status 0' ''; do
		port=$(free_port)
		cmt-sse --port "$port" --backlog 1000 $opts <"$TMP/t" 2>"$TMP/err" &
		pid=$!
		for i in $(seq 100); do
			v=$(curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null |
				awk '$1 == "cmt_sse_input_open" { print $2 }')
			[ "$v" = 0 ] && break
			sleep 0.05
		done
		curl -sN --max-time 1 "http://127.0.0.1:$port/events?lastEventId=0" \
			>"$TMP/ev" || true
		metrics=$(curl -sf "http://127.0.0.1:$port/metrics")
		kill "$pid"
		wait "$pid"
		if [ -n "$opts" ]; then
			grep -a '^data: ' "$TMP/ev" | cmp - "$TMP/want.data"
		else
			# each JSON object ends with its stamp (white space after
			# its brace dropped); every other line is as it came
			grep -a '^data: ' "$TMP/ev" | grep -av '^data: {"now":' >"$TMP/got.data"
			python3 - "$TMP/got.data" "$TMP/want.data" <<'PY'
import json, re, sys
got = open(sys.argv[1], "rb").read().split(b"\n")
want = open(sys.argv[2], "rb").read().split(b"\n")
assert len(got) == len(want), (len(got), len(want))
stamped = 0
for g, w in zip(got, want):
    if g == w:
        continue
    body = w[6:].rstrip(b" \t")
    assert isinstance(json.loads(body), dict), w   # only objects are stamped
    inner = body[:-1]
    sep = b"" if inner.rstrip().endswith(b"{") else b","
    assert re.fullmatch(re.escape(b"data: " + inner + sep) +
                        rb'"t_recv":[0-9]+\}', g), (g, w)
    stamped += 1
assert stamped > 5, stamped
PY
		fi
		reported "$TMP/err" 's/^cmt-sse: line \([0-9]*\): .*/\1/p' >"$TMP/got"
		diff "$TMP/want.skip" "$TMP/got"
		skipped=$(wc -l <"$TMP/want.skip")
		[[ "$metrics" == *"cmt_sse_lines_skipped_total $skipped"* ]]
	done
}

# A logistic model over the feature set of the prediction corpus.
predict_model() {
	sed -e 's|"feature_set": "[^"]*"|"feature_set": "cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20"|' \
		-e 's/"ret_1h"/"ret_60m"/; s/"rv_1h"/"rv_60m"/' \
		"$ROOT/fuzz/corpus/model/logreg.json" >"$TMP/model.json"
}

@test "cmt-predict: every good vector comes out with p_up added and nothing else changed, every bad line reported" {
	predict_model
	# the bad prediction lines are bad feature lines too (or carry p_up)
	mix f fvec-good.ndjson preds-bad.txt
	cmt-predict -m "$TMP/model.json" <"$TMP/f" >"$TMP/out" 2>"$TMP/err"
	sed -E 's/,"p_up":[0-9.e-]+,"model":"seed"\}/}/' "$TMP/out" |
		cmp - "$TMP/f.good"
	# the all-null vectors pass through without p_up (and are reported)
	[ "$(grep -c '"p_up"' "$TMP/out")" -eq $(($(wc -l <"$TMP/f.good") - 2)) ]
	idx_lines "$TMP/f.idx" bad >"$TMP/want"
	grep -v 'passed through without p_up' "$TMP/err" |
		reported /dev/stdin 's/^cmt-predict: line \([0-9]*\): .*/\1/p' \
		>"$TMP/got"
	diff "$TMP/want" "$TMP/got"
	bad=$(wc -l <"$TMP/want")
	grep -q "$bad bad lines skipped" "$TMP/err"
}

@test "cmt-predict: a foreign feature set mid-stream is a bad line, not the end of the stream" {
	predict_model
	head -n 3 "$H/fvec-good.ndjson" >"$TMP/in"
	head -n 1 "$H/fvec-good.ndjson" |
		sed 's/"fs":"cmt1;step=60s/"fs":"cmt1;step=1s/' >>"$TMP/in"
	sed -n 4,6p "$H/fvec-good.ndjson" >>"$TMP/in"
	run --separate-stderr cmt-predict -m "$TMP/model.json" <"$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(grep -c '"p_up"' <<<"$output")" -eq 6 ]
	[[ "$stderr" == *"line 4: feature set 'cmt1;step=1s"*", skipped"* ]]
}
