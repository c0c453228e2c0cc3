#!/usr/bin/env bats
# The trader's dashboard in real headless Chromium (tests/cli/dashboard.py
# drives chromedriver): time axes, outcome markers and rolling scores
# against cmt-backtest, the stale-data alarm.  cmt-sse reads a FIFO held
# open on fd 5, so each test decides when lines arrive.
load helper
load sse

local_setup() {
	command -v chromium >/dev/null &&
		{ command -v chromedriver >/dev/null ||
		  [ -x /usr/lib/chromium/chromedriver ]; } ||
		skip "chromium and chromium-driver are not installed (scripts/deps.sh)"
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	SSE_ARGS="--backlog 8192"
	SSE_PID=
	DASH="$BATS_TEST_DIRNAME/dashboard.py"
}

local_teardown() {
	[ -z "$SSE_PID" ] || kill "$SSE_PID" 2>/dev/null || true
	exec 5>&- 2>/dev/null || true
	[ -z "$SSE_PID" ] || wait "$SSE_PID" 2>/dev/null || true
}

# 90 one-minute prediction lines of BTC-USD from 2024-03-05 12:00 UTC.
minutes() {
	awk 'BEGIN { for (i = 0; i < 90; i++)
		printf "{\"t\":%.0f,\"sym\":\"BTC-USD\",\"px\":%.2f,\"fs\":\"cmt1\",\"f\":{\"rsi\":%d},\"p_up\":%.4f,\"model\":\"m\"}\n",
			1709640000000 + i * 60000, 66000 + 40 * sin(i / 5), 40 + i % 20,
			0.5 + 0.04 * sin(i / 3) }'
}

# check_ticks OFFSET_S: every time label the price axis drew is the clock
# time of its tick OFFSET_S east of UTC (python's own formatting)
check_ticks() {
	python3 - "$1" "$2" <<'PY'
import json, sys, time
off, d = int(sys.argv[1]), json.loads(sys.argv[2].split("eval ", 1)[1])
assert d["range"] == {"from": 1709640000, "to": 1709640000 + 89 * 60}, d["range"]
n = 0
for t, label in d["ticks"].items():
    tm = time.gmtime(int(t) + off)
    ok = {time.strftime("%H:%M", tm), time.strftime("%H:%M:%S", tm),
          "%d %s" % (tm.tm_mday, time.strftime("%b", tm)), time.strftime("%b", tm),
          str(tm.tm_year)}
    assert label in ok, (t, label, ok)
    n += ":" in label
assert n >= 4, d["ticks"]
print(sorted(d["ticks"].values()))
PY
}

@test "the price axis shows the stream's times, in UTC or in local time" {
	start_sse
	minutes >&5
	wait_metric cmt_sse_events_in_total 90
	run python3 "$DASH" --size 1400x900 --eval 'cmt.dump()' "$URL/" 90
	assert_success
	assert_line "detail sym=BTC-USD pup=46.1% model=model m"
	assert_line "note forecast at 2024-03-05 13:29:00 UTC"
	assert_line --partial '"candles": 90, '
	run check_ticks 0 "$(grep '^eval ' <<<"$output")"
	assert_success
	# a time label the oracle and the axis agree on: 12:30 UTC
	assert_output --partial "'12:30'"
	# local time: the browser in India (+05:30), page asked for local time
	run python3 "$DASH" --tz Asia/Kolkata --eval 'cmt.dump()' "$URL/?tz=local" 90
	assert_success
	assert_line "note forecast at 2024-03-05 18:59:00"
	run check_ticks 19800 "$(grep '^eval ' <<<"$output")"
	assert_success
	assert_output --partial "'18:00'"
	refute_output --partial "'12:30'"
}

@test "outcome markers and rolling accuracy are what cmt-backtest computes" {
	cmt-sim --symbols BTC-USD,ETH-USD -d 3h -e 5s --seed 3 > "$TMP/t"
	cmt-features --model default -q "$TMP/t" | cmt-predict > "$TMP/p"
	cmt-features --model default -q --label 1m "$TMP/t" | cmt-predict > "$TMP/l"
	cmt-backtest --follow --horizon 1m --pass --window 50 --every 5m "$TMP/p" > "$TMP/stream"
	n=$(wc -l < "$TMP/stream")
	start_sse
	cat "$TMP/stream" >&5
	wait_metric cmt_sse_events_in_total "$n"
	run python3 "$DASH" --eval '["BTC-USD","ETH-USD"].map((s) => (cmt.select(s), cmt.dump()))' "$URL/" "$n" 30
	assert_success
	assert_line "sim on"
	grep '^eval ' <<<"$output" | cut -c6- > "$TMP/dump"
	for s in BTC-USD ETH-USD; do
		grep "\"sym\":\"$s\"" "$TMP/l" | grep -v '"y":null' | tail -50 > "$TMP/last"
		cmt-backtest --json "$TMP/last" > "$TMP/j"
		python3 - "$s" "$TMP/dump" "$TMP/l" "$TMP/j" "$TMP/stream" <<'PY'
import json, sys
sym, dump, lab, rep, stream = sys.argv[1:]
d = {x["sym"]: x for x in json.load(open(dump))}[sym]
# one marker per scored forecast, at its time, hit when the side of 0.5
# matched the outcome the labelled pipeline gives
want = []
for l in open(lab):
    o = json.loads(l)
    if o["sym"] == sym and o["y"] is not None:
        want.append([o["t"] // 1000, "hit" if (o["p_up"] >= 0.5) == (o["y"] == 1) else "miss"])
assert d["markers"] == want, (len(d["markers"]), len(want))
assert len(want) > 100
# the accuracy history: one point per metrics line of the symbol; the
# last is the batch report over the symbol's last 50 scored rows
lines = [json.loads(l) for l in open(stream) if '"kind":"metrics","sym":"%s"' % sym in l]
assert len(d["acc"]) == len(lines) > 10, (len(d["acc"]), len(lines))
acc = json.load(open(rep))["overall"]["model"]["accuracy"]
assert abs(d["acc"][-1][1] - 100 * acc) < 1e-9, (d["acc"][-1], acc)
print("%s markers %d accuracy %.1f%%" % (sym, len(want), 100 * acc))
PY
	done
	# the page shows the same accuracy as text (ETH-USD is selected last)
	acc=$(python3 -c 'import json,sys; print("%.1f%%" % (100 * json.load(open(sys.argv[1]))["overall"]["model"]["accuracy"]))' "$TMP/j")
	run python3 "$DASH" "$URL/?sym=ETH-USD" "$n" 30
	assert_line --partial "detail sym=ETH-USD "
	assert_line --regexp "^scores accuracy $acc · AUC "
}

@test "the stale alarm turns amber then red when the input stops" {
	start_sse
	echo '{"t":1709640000000,"sym":"BTC-USD","px":66000}' >&5
	wait_metric cmt_sse_events_in_total 1
	python3 "$DASH" --until 'cmt.dump() && cmt.dump().levels.slice(-1)[0] === "red"' \
		--eval 'cmt.dump().levels' "$URL/" 1 60 >"$TMP/dom" 5>&- &
	local dash=$!
	wait_metric cmt_sse_streams 1
	# a line every 0.25 s (one a second of stream time), then silence
	for i in $(seq 1 16); do
		printf '{"t":%d,"sym":"BTC-USD","px":%d}\n' $((1709640000000 + i * 1000)) $((66000 + i)) >&5
		sleep 0.25
	done
	wait "$dash"
	run cat "$TMP/dom"
	assert_line "tile BTC-USD px=66016.00 chg=+0.02% 16s pup=— age=red"
	assert_line "data data stale"
	assert_line --regexp '^last last update [0-9]+ s ago — STALE$'
	# fresh while lines came, then amber, then red
	assert_line --regexp '^eval \["ok", (.*, )?"amber", "red"\]$'
}
