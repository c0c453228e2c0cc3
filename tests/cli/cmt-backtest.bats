#!/usr/bin/env bats
# cmt-backtest: hand-computed metrics on a tiny file, the look-ahead
# control, the rolling --follow mode, the plot and bad input.
load helper

TINY="$BATS_TEST_DIRNAME/data/tiny-predictions.ndjson"

# json_get FILE EXPR: evaluate a Python expression on the JSON report j.
json_get() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# Prediction lines on a seeded random walk: pred FILE N MODE, where MODE
# says where p_up comes from (past: the last return, known at t; future:
# the next move, a leak; coin: a fair coin).  y is the next move.
pred() {
	python3 - "$@" <<'EOF'
import random, sys
path, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(7)
fs = "cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20"
names = ["ret_1m", "ret_5m", "ret_15m", "ret_60m", "rv_30m", "rv_60m", "rsi",
         "macd_hist", "bb_pctb", "mom", "vol_trend"]
px = [100.0]
for i in range(n + 1):
    px.append(px[-1] * (1.001 if rng.random() < 0.5 else 1 / 1.001))
with open(path, "w") as f:
    for i in range(1, n + 1):
        last = px[i] / px[i - 1] - 1          # known at time i
        y = 1 if px[i + 1] > px[i] else 0     # known only at i + 1
        p = {"past": 0.9 if last > 0 else 0.1,
             "future": 0.9 if y else 0.1,
             "coin": rng.random()}[mode]
        feats = ",".join('"%s":%r' % (k, last if k == "ret_1m" else 0.0)
                         for k in names)
        f.write('{"t":%d,"sym":"BTC-USD","px":%r,"fs":"%s","f":{%s},'
                '"y":%d,"p_up":%r,"model":"t"}\n'
                % (1709251200000 + 60000 * i, px[i], fs, feats, y, p))
EOF
}

@test "help goes to stdout and exits 0; --version names the tool" {
	run cmt-backtest --help
	assert_success
	assert_output --partial "Usage: cmt-backtest"
	run cmt-backtest --version
	assert_success
	assert_output --regexp "^cmt-backtest \(cmt\) [0-9]"
}

@test "bad arguments are usage errors (exit 2)" {
	run cmt-backtest --theta 1.5 "$TINY"
	assert_failure 2
	assert_output --partial "--theta"
	run cmt-backtest --fee-bps -1 "$TINY"
	assert_failure 2
	run cmt-backtest --every 0 --follow "$TINY"
	assert_failure 2
	run cmt-backtest --follow --json "$TINY"
	assert_failure 2
	run cmt-backtest --window 1 --follow "$TINY"
	assert_failure 2
}

@test "scores of the tiny file equal the hand-computed values" {
	# Scored rows (p, y): (.85,1) (.25,0) (.45,1) (.65,0); row 3 has y
	# null, row 6 no p_up.
	# accuracy: right, right, wrong (.45 < .5), wrong (.65) = 2/4 = 0.5
	# log-loss: -(ln .85 + ln .75 + ln .45 + ln .35)/4 = 0.574633
	# Brier: (.15^2 + .25^2 + .55^2 + .65^2)/4 = .81/4 = 0.2025
	# AUC: up {.85,.45} vs down {.25,.65}: 3 of 4 pairs = 0.75
	# DeLong: V10 = {1,.5}, V01 = {1,.5}, var = .125/2 + .125/2,
	#   lo = .75 - 1.959964 * sqrt(.125) = 0.057048, hi clipped to 1
	# ECE: bins 2,4,6,8: (.25 + .55 + .65 + .15)/4 = 0.4
	# majority: p = base rate .5: accuracy .5, log-loss ln 2, Brier .25
	# last return signs (+,+,0,+), y (1,0,1,0): the rule hits, misses,
	#   half (zero return), misses: accuracy 1.5/4 = .375; reversal the
	#   opposite calls: 2.5/4 = .625.  Their AUC ranks by the call: last
	#   return scores (+1,+1,0,+1): ups {+1, 0} vs downs {+1, +1}: ties
	#   .5+.5, losses 0+0 = 1/4; reversal 3/4.
	#   Their p: the Laplace up-share of the earlier rows after the same
	#   move, (up+1)/(n+2), held on the rule's side of 1/2, 1/2 after no
	#   move.  + rows before each + row: none (1/2), y 1 (2/3), y 1,0
	#   (2/4).  Last return p = (.5, 2/3, .5, .5): log-loss
	#   (3 ln 2 + ln 3)/4 = 0.794513, Brier (.25 + 4/9 + .25 + .25)/4 =
	#   0.298611.  Reversal p = (.5, min(.5, 2/3), .5, .5) = 1/2 on every
	#   row: ln 2, .25.  Reversal's AUC (.75) is not below the model's
	#   (.75) nor is the last return's: the model is held against
	#   reversal, which beats it on accuracy alone.
	cmt-backtest --json "$TINY" > "$TMP/r.json"
	run json_get "$TMP/r.json" '"%(scored)d %(flat)d %(no_p)d %(vectors)d" % j["overall"]'
	assert_output "4 1 1 6"
	run json_get "$TMP/r.json" 'j["model"]'
	assert_output "hand"
	run json_get "$TMP/r.json" '" ".join("%.6f" % j["overall"]["model"][k] for k in ("accuracy", "logloss", "brier", "auc", "auc_lo", "auc_hi"))'
	assert_output "0.500000 0.574633 0.202500 0.750000 0.057048 1.000000"
	run json_get "$TMP/r.json" '"%.6f" % j["overall"]["ece"]'
	assert_output "0.400000"
	run json_get "$TMP/r.json" '" ".join("%.6f" % j["overall"]["majority"][k] for k in ("accuracy", "logloss", "brier", "auc"))'
	assert_output "0.500000 0.693147 0.250000 0.500000"
	run json_get "$TMP/r.json" '" ".join("%.6f" % j["overall"]["last_return"][k] for k in ("accuracy", "logloss", "brier", "auc"))'
	assert_output "0.375000 0.794513 0.298611 0.250000"
	run json_get "$TMP/r.json" '" ".join("%.6f" % j["overall"]["reversal"][k] for k in ("accuracy", "logloss", "brier", "auc"))'
	assert_output "0.625000 0.693147 0.250000 0.750000"
	run json_get "$TMP/r.json" '(j["overall"]["held_against"], [j["overall"][b]["beats_model_on"] for b in ("majority", "last_return", "reversal")])'
	assert_output "('reversal', [[], [], ['accuracy']])"
	run json_get "$TMP/r.json" '[(b["n"], b["freq"]) for b in j["overall"]["calibration"] if b["n"]]'
	assert_output "[(1, 0), (1, 1), (1, 0), (1, 1)]"
}

@test "the trading summary of the tiny file equals the hand-computed values" {
	# Prices 100 110 99 99 108.9 98.01; p_up .85 .25 .55 .45 .65 -.
	# Long over periods 1 (+10 %), 3 (0 %), 5 (-10 %): without fees the
	# equity is 1.1 1.1 1.1 1.1 0.99: return -1 %, 3 trades, 1 win,
	# drawdown 1 - .99/1.1 = 10 %, buy and hold 98.01/100 - 1 = -1.99 %.
	# With 10 bps: 1.0989 * .999^4 * .9 - 1 = -1.4940 %.
	cmt-backtest --json --fee-bps 0 "$TINY" > "$TMP/r.json"
	run json_get "$TMP/r.json" '"%(periods)d %(long_periods)d %(trades)d %(wins)d %(return).6f %(buy_hold).6f %(max_drawdown).6f" % j["overall"]["trading"]'
	assert_output "5 3 3 1 -0.010000 -0.019900 0.100000"
	cmt-backtest --json "$TINY" > "$TMP/r.json"
	run json_get "$TMP/r.json" '"%.6f" % j["symbols"][0]["trading"]["return"]'
	assert_output "$(python3 -c 'print("%.6f" % (1.0989 * .999**4 * .9 - 1))')"
}

@test "the text report shows the same figures" {
	run cmt-backtest --fee-bps 0 "$TINY"
	assert_success
	assert_output --partial "scored 4; not scored: 1 flat (y null), 1 without p_up"
	assert_line --regexp "^  model +4 +0\.5000 +0\.7500 +\[0\.0570, 1\.0000\] +0\.5746 +0\.2025 +0\.4000$"
	assert_line --regexp "^  majority +4 +0\.5000 +0\.5000 +0\.6931 +0\.2500 +$"
	assert_line --regexp "^  last return +4 +0\.3750 +0\.2500 +0\.7945 +0\.2986 +$"
	assert_line --regexp "^  reversal +4 +0\.6250 +0\.7500 +0\.6931 +0\.2500 +beats the model on accuracy$"
	assert_line "  model minus reversal (the better sign rule): accuracy -0.1250, auc +0.0000, logloss -0.1185, brier -0.0475"
	# gross beside net: the fees are 0 here
	assert_line --regexp "^symbol +periods +long +trades +hit rate +gross +net +buy&hold +max dd +sharpe$"
	assert_line --regexp "^BTC-USD +5 +3 +3 +0\.3333 +-1\.000% +-1\.000% +-1\.990% +10\.000%"
}

@test "look-ahead control: a past-only signal on a random walk scores at chance" {
	# p_up from the last return (known at t) on a fair random walk: the
	# next move is independent of it, so accuracy must be ~1/2 (4000
	# rows, sd 0.0079, we allow 3.5 sd) and the rule's ~2000 long
	# periods of +-0.1 % must sum to ~0 (sd 4.5 %, we allow 20 %).  A
	# backtest that scored p against the move that ended at t, or traded
	# the return into t, would report 100 % and a 7-fold gain.
	pred "$TMP/p" 4000 past
	cmt-backtest --json --fee-bps 0 "$TMP/p" > "$TMP/r.json"
	run json_get "$TMP/r.json" 'abs(j["overall"]["model"]["accuracy"] - .5) < .028'
	assert_output "True"
	run json_get "$TMP/r.json" 'j["overall"]["model"]["auc_lo"] < .5 < j["overall"]["model"]["auc_hi"]'
	assert_output "True"
	run json_get "$TMP/r.json" 'abs(j["overall"]["trading"]["return"]) < .2'
	assert_output "True"
	run json_get "$TMP/r.json" 'abs(j["overall"]["last_return"]["accuracy"] - .5) < .028'
	assert_output "True"
}

@test "look-ahead control, positive: a leaked future is caught as perfect" {
	# The same walk with p_up taken from the next move: every score and
	# every trade must be perfect, which proves the control above could
	# see a leak if there were one.
	pred "$TMP/p" 4000 future
	cmt-backtest --json --fee-bps 0 "$TMP/p" > "$TMP/r.json"
	run json_get "$TMP/r.json" '(j["overall"]["model"]["accuracy"], j["overall"]["model"]["auc"], j["overall"]["trading"]["hit_rate"])'
	assert_output "(1, 1, 1)"
}

@test "look-ahead control through cmt-features on simulated ticks" {
	# The real chain: cmt-sim (a GARCH random walk) -> cmt-features
	# --label 60s.  p_up from the vector's own ret_1m (the past) must
	# score at chance (~5700 rows: sd 0.0066, allowed 0.03); p_up from
	# its y (the future) scores 1.
	cmt-sim --symbols BTC-USD,ETH-USD --start 2024-03-01 --duration 2d \
		--every 5s --seed 11 |
		cmt-features --step 60s --windows 1m,5m,15m,60m \
			--vol-windows 30m,60m --label 60s -q > "$TMP/f"
	awk '{ r = $0; sub(/.*"ret_1m":/, "", r); sub(/,.*/, "", r)
		p = (r + 0 > 0) ? 0.8 : 0.2
		sub(/}$/, sprintf(",\"p_up\":%s,\"model\":\"momentum\"}", p)); print }' "$TMP/f" > "$TMP/past"
	awk '{ p = /"y":1/ ? 0.8 : 0.2
		sub(/}$/, sprintf(",\"p_up\":%s,\"model\":\"leak\"}", p)); print }' "$TMP/f" > "$TMP/leak"
	cmt-backtest --json "$TMP/past" > "$TMP/r.json"
	# both forecasts are used (the signal was read), and at chance
	run json_get "$TMP/r.json" '[b["n"] > 2000 for b in j["overall"]["calibration"] if b["n"]]'
	assert_output "[True, True]"
	run json_get "$TMP/r.json" 'j["overall"]["scored"] > 5000 and abs(j["overall"]["model"]["accuracy"] - .5) < .03'
	assert_output "True"
	cmt-backtest --json "$TMP/leak" > "$TMP/r.json"
	run json_get "$TMP/r.json" 'j["overall"]["model"]["accuracy"]'
	assert_output "1"
}

@test "a fair coin is at chance and calibrated within noise" {
	pred "$TMP/p" 4000 coin
	cmt-backtest --json "$TMP/p" > "$TMP/r.json"
	# uniform p against fair outcomes: E|p - 1/2| = 1/4 is the ECE
	run json_get "$TMP/r.json" 'abs(j["overall"]["model"]["auc"] - .5) < .04 and .2 < j["overall"]["ece"] < .3'
	assert_output "True"
}

@test "bad and out-of-order lines are reported with their line number and skipped" {
	{ head -2 "$TINY"; echo '{"t":1}'; sed -n 1p "$TINY"; tail -4 "$TINY"; } > "$TMP/b"
	run cmt-backtest --json "$TMP/b"
	assert_success
	assert_line --partial "$TMP/b: line 3:"
	assert_line --partial "$TMP/b: line 4: BTC-USD: timestamp 1709251200000 is before the previous vector's"
	assert_line --partial "2 bad lines skipped"
	cmt-backtest --json "$TINY" > "$TMP/want"
	cmt-backtest --json "$TMP/b" 2>/dev/null | cmp - "$TMP/want"
}

@test "the report names the model, or says there were several" {
	sed '2s/"model":"hand"/"model":"other"/' "$TINY" > "$TMP/m"
	run cmt-backtest "$TMP/m"
	assert_line --index 0 --partial "model (several); vectors 6"
	run cmt-backtest "$TINY"
	assert_line --index 0 --partial "model hand; vectors 6"
}

@test "standard input and several files are read alike" {
	cmt-backtest --json < "$TINY" > "$TMP/a"
	head -3 "$TINY" > "$TMP/x"
	tail -3 "$TINY" > "$TMP/y"
	cmt-backtest --json "$TMP/x" - < "$TMP/y" > "$TMP/b"
	cmp "$TMP/a" "$TMP/b"
}

@test "no vectors at all is a failure" {
	run cmt-backtest /dev/null
	assert_failure 1
	assert_output --partial "no vectors"
}

# svg_check FILE: what the plot shows, read back from the SVG
svg_check() {
	python3 - "$@" <<'PY'
import re, sys, xml.etree.ElementTree as E
ns = "{http://www.w3.org/2000/svg}"
r = E.parse(sys.argv[1]).getroot()
panels = [g for g in r.iter(ns + "g") if g.get("class") == "panel"]
for i, g in enumerate(panels):
    y = [t.text for t in g.findall(ns + "text") if t.get("class") == "ytick"]
    x = [t.text for t in g.findall(ns + "text") if t.get("class") == "xtick"]
    title = [t.text for t in g.findall(ns + "text") if t.get("font-weight")]
    ylab = [t.text for t in g.findall(ns + "text") if t.get("transform")]
    print("panel %d %s | y %s | x %s | %s" % (i, title[0] if title else "",
          " ".join(y), " ".join(x), ylab[0] if ylab else ""))
lines = {}
for p in r.iter(ns + "polyline"):
    lines[p.get("stroke")] = lines.get(p.get("stroke"), 0) + 1
print("polylines " + " ".join("%s=%d" % kv for kv in sorted(lines.items())))
bins = [int(c.find(ns + "title").text.split()[0]) for c in r.iter(ns + "circle")]
print("bins %d rows %d" % (len(bins), sum(bins)))
PY
}

# round_ticks "0.98 0.99 1.00": evenly spaced by 1, 2 or 5 times 10^k
round_ticks() {
	python3 - "$1" <<'PY'
import math, sys
v = [float(x.rstrip("%")) for x in sys.argv[1].split()]
assert len(v) >= 3, v
d = [round(b - a, 12) for a, b in zip(v, v[1:])]
assert max(d) - min(d) < 1e-9 * max(map(abs, v)) + 1e-12, d
m = d[0] / 10 ** math.floor(math.log10(d[0]))
assert any(abs(m - k) < 1e-6 for k in (1, 2, 5)), (d[0], m)
PY
}

@test "--plot: equity with buy and hold and baselines, round ticks, readable times, zoomed calibration" {
	pred "$TMP/p" 500 past
	run cmt-backtest --fee-bps 0 --plot "$TMP/p.svg" "$TMP/p"
	assert_success
	run svg_check "$TMP/p.svg"
	assert_success
	echo "$output"
	# one symbol: the portfolio panel is it; the rule net and gross of
	# fees, buy and hold, the three baselines
	assert_line --regexp '^panel 0 BTC-USD: long when P\(up\) > 0.5'
	assert_line --regexp '^polylines #17becf=1 #1f77b4=1 #2ca02c=1 #555555=1 #d62728=1 #ff7f0e=1$'
	# 500 minutes from 00:01 UTC: hourly ticks at round times
	assert_line --regexp '^panel 0 .*\| x 01:00 02:00 03:00 04:00 05:00 06:00 07:00 08:00 \|'
	# linear, round y ticks (this rule on a leaked-free walk stays near 1)
	y=$(sed -n 's/^panel 0 .*| y \(.*\) | x .*/\1/p' <<<"$output")
	round_ticks "$y"
	refute_line --regexp '^panel 0 .*log scale'
	# calibration: every scored row in a bin (p is 0.1 or 0.9 here), the
	# x axis in percent zoomed to the forecasts, then the histogram
	assert_line "bins 2 rows 500"
	assert_line --regexp '^panel 1 Calibration, zoomed .*\| x (10%|0%) .* (90%|100%) \| observed share up$'
	assert_line --regexp '^panel 2 Reliability histogram'
	run cmt-backtest --plot /nonexistent/dir/p.svg "$TMP/p"
	assert_failure 1
}

@test "--plot: a wide range goes to a log scale; a gap in time breaks the lines" {
	# a fair coin paying 100 bps a trade loses nearly everything
	pred "$TMP/p" 2000 coin
	run cmt-backtest --fee-bps 100 --plot "$TMP/p.svg" "$TMP/p"
	assert_success
	run svg_check "$TMP/p.svg"
	assert_line --regexp '^panel 0 .*\| equity \(start = 1\) \(log scale\)$'
	assert_line --regexp '^panel 0 .*\| y (1e-[0-9]+ )*0.0001 0.001 0.01 0.1 1 \|'
	# two symbols six weeks apart: each curve of the portfolio has two
	# pieces, and each symbol its own panel
	pred "$TMP/a" 300 coin
	sed 's/"BTC-USD"/"ETH-USD"/' "$TMP/a" | awk '{ match($0, /"t":[0-9]+/);
		t = substr($0, RSTART + 4, RLENGTH - 4) + 42 * 86400000;
		sub(/"t":[0-9]+/, sprintf("\"t\":%.0f", t)); print }' > "$TMP/b"
	cat "$TMP/a" "$TMP/b" > "$TMP/ab"
	run cmt-backtest --plot "$TMP/ab.svg" "$TMP/ab"
	assert_success
	run svg_check "$TMP/ab.svg"
	assert_line --regexp '^panel 0 Portfolio'
	assert_line --regexp '^panel 1 BTC-USD: rule'
	assert_line --regexp '^panel 2 ETH-USD: rule'
	# 2 pieces in the portfolio + 1 per symbol panel, for each curve
	assert_line 'polylines #17becf=4 #1f77b4=4 #2ca02c=4 #555555=4 #d62728=4 #ff7f0e=4'
	# a 6-week span is labelled in days
	assert_line --regexp '^panel 0 .*\| x (Mar|Apr) [0-9]{2} '
}

@test "--plot-png writes a PNG through rsvg-convert, and says so when it is missing" {
	command -v rsvg-convert >/dev/null || skip "rsvg-convert (librsvg2-bin) is not installed"
	pred "$TMP/p" 300 coin
	run cmt-backtest --plot-png "$TMP/p.png" "$TMP/p"
	assert_success
	python3 -c 'import sys; assert open(sys.argv[1], "rb").read(8) == b"\x89PNG\r\n\x1a\n"' "$TMP/p.png"
	mkdir "$TMP/bin"
	ln -s "$(command -v cmt-backtest)" "$TMP/bin/"
	PATH="$TMP/bin" run "$TMP/bin/cmt-backtest" --plot-png "$TMP/q.png" "$TMP/p"
	assert_failure 1
	assert_output --partial "rsvg-convert not found (Debian package librsvg2-bin)"
	run cmt-backtest --follow --plot-png "$TMP/q.png" "$TMP/p"
	assert_failure 2
}

@test "--follow writes one metrics line per interval of stream time" {
	# 9 rows 20 s apart from a minute boundary: lines at the boundaries
	# 60 s and 120 s (3 and 6 rows), and one at the end (9 rows).
	pred "$TMP/p" 9 future
	awk '{ sub(/"t":[0-9]+/, sprintf("\"t\":%.0f", 1709251200000 + (NR - 1) * 20000)); print }' "$TMP/p" > "$TMP/q"
	run cmt-backtest --follow --every 1m --window 4 "$TMP/q"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 0 --regexp '^\{"kind":"metrics","model":"t","t":1709251260000,"window":3,"count":3,"accuracy":1,"auc":(1|null),'
	assert_line --index 1 --partial '"t":1709251320000,"window":4,"count":6,'
	assert_line --index 2 --partial '"t":1709251360000,"window":4,"count":9,"accuracy":1,'
	# 2024 data is not live: no latency
	assert_line --index 2 --partial '"lag_ms":null}'
}

@test "--follow reports the latency of a live stream" {
	now=$(date +%s%3N)
	pred "$TMP/p" 3 future
	awk -v now="$now" '{ sub(/"t":[0-9]+/, sprintf("\"t\":%.0f", now - 3000 + NR * 1000)); print }' "$TMP/p" > "$TMP/q"
	run cmt-backtest --follow "$TMP/q"
	assert_success
	assert_line --index 0 --regexp '"lag_ms":[0-9]{1,5}\}$'
}

@test "--follow emits each line as soon as the interval closes" {
	pred "$TMP/p" 3 future
	awk '{ sub(/"t":[0-9]+/, sprintf("\"t\":%.0f", 1709251200000 + (NR - 1) * 60000)); print }' "$TMP/p" > "$TMP/q"
	# the second row closes the first minute: its line must come out
	# while the input is still open
	mkfifo "$TMP/fifo"
	cmt-backtest --follow < "$TMP/fifo" > "$TMP/out" &
	pid=$!
	exec 4> "$TMP/fifo"
	head -2 "$TMP/q" >&4
	for i in $(seq 50); do
		[ -s "$TMP/out" ] && break
		sleep 0.1
	done
	[ -s "$TMP/out" ]
	grep -q '"t":1709251260000,"window":1,' "$TMP/out"
	exec 4>&-
	wait $pid
	[ "$(wc -l < "$TMP/out")" -eq 2 ]
}

@test "--follow --pass interleaves the input lines with the metrics lines" {
	pred "$TMP/p" 3 future
	awk '{ sub(/"t":[0-9]+/, sprintf("\"t\":%.0f", 1709251200000 + (NR - 1) * 60000)); print }' "$TMP/p" > "$TMP/q"
	run cmt-backtest --follow --pass "$TMP/q"
	assert_success
	[ "${#lines[@]}" -eq 6 ]
	assert_line --index 0 "$(sed -n 1p "$TMP/q")"
	assert_line --index 1 --partial '"kind":"metrics","model":"t","t":1709251260000,"window":1,'
	assert_line --index 2 "$(sed -n 2p "$TMP/q")"
	assert_line --index 5 --partial '"t":1709251320000,"window":3,'
	run cmt-backtest --pass "$TMP/q"
	assert_failure 2
}

@test "partial vectors are skipped and counted, batch and --follow; --pass copies them" {
	pred "$TMP/p" 50 past
	cmt-backtest --json "$TMP/p" > "$TMP/plain.json"
	# before each row, two provisional versions of it (same t), which carry
	# a leaked perfect p_up: counted, never scored
	awk '{ line = $0; sub(/"p_up":[0-9.e-]+/, "\"p_up\":" ($0 ~ /"y":1/ ? 1 : 0), line)
		sub(/}$/, ",\"partial\":true}", line); print line; print line; print }' "$TMP/p" > "$TMP/q"
	cmt-backtest --json "$TMP/q" > "$TMP/q.json"
	run json_get "$TMP/q.json" '"%(vectors)d %(scored)d %(partial)d" % j["overall"]'
	assert_output "50 50 100"
	run json_get "$TMP/q.json" 'j["symbols"][0]["partial"]'
	assert_output "100"
	# the scores are the plain file's
	run json_get "$TMP/q.json" 'json.dumps(j["overall"]["model"])'
	assert_output "$(json_get "$TMP/plain.json" 'json.dumps(j["overall"]["model"])')"
	run cmt-backtest "$TMP/q"
	assert_output --partial "scored 50; not scored: 0 flat (y null), 0 without p_up, 0 unlabelled, 100 partial"
	run cmt-backtest --follow --every 10m "$TMP/q"
	assert_success
	assert_output --partial "100 partial vectors passed over (not scored)"
	[ "$(cmt-backtest --follow --every 10m "$TMP/q" 2>/dev/null)" = "$(cmt-backtest --follow --every 10m "$TMP/p")" ]
	[ "$(cmt-backtest --follow --pass --every 10m "$TMP/q" 2>/dev/null | grep -c '"partial":true')" -eq 100 ]
}

@test "--follow --horizon scores live forecasts exactly as --label scores them" {
	# the same ticks made into unlabelled and labelled predictions
	cmt-sim --symbols BTC-USD,ETH-USD -d 3h -e 5s --seed 3 > "$TMP/t"
	cmt-features --model default -q "$TMP/t" | cmt-predict > "$TMP/p"
	cmt-features --model default -q --label 1m "$TMP/t" | cmt-predict > "$TMP/l"
	run cmt-backtest --follow --horizon 1m --pass --window 50 "$TMP/p"
	assert_success
	printf '%s\n' "${lines[@]}" > "$TMP/f"
	# every prediction line passes through unchanged, in order
	grep -v '"kind":' "$TMP/f" | cmp - "$TMP/p"
	# each outcome says what the labelled line says: same t, p_up and y,
	# hit by the accuracy's rule; flat minutes are not scored
	python3 - "$TMP/f" "$TMP/l" <<'PY'
import json, sys
out = [json.loads(l) for l in open(sys.argv[1]) if '"kind":"outcome"' in l]
lab = [json.loads(l) for l in open(sys.argv[2])]
lab = [(o["sym"], o["t"], o["p_up"], o["y"]) for o in lab if o["y"] is not None]
got = [(o["sym"], o["t"], o["p_up"], o["y"]) for o in out]
assert sorted(got) == sorted(lab), (len(got), len(lab))
assert len(got) > 200
for o in out:
    assert o["hit"] == ((o["p_up"] >= 0.5) == (o["y"] == 1))
    assert o["t_out"] == o["t"] + 60000
    assert (o["px_out"] > o["px"]) == (o["y"] == 1)
PY
	# the last per-symbol metrics line is the batch report on that
	# symbol's last 50 labelled rows
	for s in BTC-USD ETH-USD; do
		grep "\"sym\":\"$s\"" "$TMP/l" | grep -v '"y":null' | tail -50 > "$TMP/last"
		cmt-backtest --json "$TMP/last" > "$TMP/j"
		m=$(grep "\"kind\":\"metrics\",\"sym\":\"$s\"" "$TMP/f" | tail -1)
		python3 - "$m" "$TMP/j" <<'PY'
import json, sys
m, j = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))["overall"]["model"]
assert m["window"] == 50 == j["n"], (m, j)
for k in ("accuracy", "auc", "logloss", "brier"):
    assert abs(m[k] - j[k]) < 1e-5, (k, m[k], j[k])
PY
	done
	# a symbol that skips t + H cannot score the forecast: counted, said
	grep -v '"t":17040753' "$TMP/p" > "$TMP/gap"
	run cmt-backtest --follow --horizon 1m "$TMP/gap"
	assert_success
	assert_output --partial "forecasts not scored"
	run cmt-backtest --horizon 1m "$TMP/p"
	assert_failure 2
}

# Two prediction streams on the same rows of two symbols: pair_files A B
# SEED.  A's p_up carries a slightly stronger signal than B's; both have
# two decimals (many ties), some rows have y null or no p_up.
pair_files() {
	python3 - "$@" <<'PY'
import random, sys
a_path, b_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)
fs = "cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20"
names = ["ret_1m", "ret_5m", "ret_15m", "ret_60m", "rv_30m", "rv_60m", "rsi",
         "macd_hist", "bb_pctb", "mom", "vol_trend"]
feats = ",".join('"%s":0.0' % k for k in names)
def clip(p):
    return min(max(p, 0.0), 1.0)
with open(a_path, "w") as a, open(b_path, "w") as b:
    for i in range(1600):
        for sym in ("BTC-USD", "ETH-USD"):
            up = rng.random() < 0.5
            y = "null" if rng.random() < 0.02 else "%d" % up
            s = 1 if up else -1
            pa = round(clip(0.5 + 0.024 * s + rng.gauss(0, 0.1)), 2)
            pb = round(clip(0.5 + 0.02 * s + rng.gauss(0, 0.1)), 2)
            for f, p, m in ((a, pa, "a"), (b, pb, "b")):
                tail = ',"p_up":%r,"model":"%s"' % (p, m)
                if rng.random() < 0.01:
                    tail = ""
                f.write('{"t":%d,"sym":"%s","px":100,"fs":"%s","f":{%s},'
                        '"y":%s%s}\n' % (1709251200000 + 60000 * i, sym, fs,
                                         feats, y, tail))
PY
}

# The paired comparison computed apart from lib/: rows matched by (sym, t),
# AUCs and DeLong's components from their definition (the share of the
# other class each row outranks, ties 1/2), the per-row log-loss
# differences; compared with --json to 1e-9.
vs_oracle() {
	python3 - "$@" <<'PY'
import bisect, json, math, sys
def rows(path):
    out = {}
    for line in open(path):
        o = json.loads(line)
        out[(o["sym"], o["t"])] = (o.get("p_up"), o.get("y"))
    return out
a, b, j = rows(sys.argv[1]), rows(sys.argv[2]), json.load(open(sys.argv[3]))
both = sorted(set(a) & set(b))
pairs = [(a[k][0], b[k][0], a[k][1]) for k in both
         if a[k][0] is not None and b[k][0] is not None
         and a[k][1] is not None and a[k][1] == b[k][1]]
ys = [y for _, _, y in pairs]
m, k = sum(ys), len(ys) - sum(ys)
def components(ps):
    up = sorted(p for p, y in zip(ps, ys) if y == 1)
    dn = sorted(p for p, y in zip(ps, ys) if y == 0)
    v10 = [(bisect.bisect_left(dn, p) + 0.5 * (bisect.bisect_right(dn, p) - bisect.bisect_left(dn, p))) / k
           for p, y in zip(ps, ys) if y == 1]
    v01 = [((m - bisect.bisect_right(up, p)) + 0.5 * (bisect.bisect_right(up, p) - bisect.bisect_left(up, p))) / m
           for p, y in zip(ps, ys) if y == 0]
    return v10, v01
va10, va01 = components([p for p, _, _ in pairs])
vb10, vb01 = components([p for _, p, _ in pairs])
auc_a, auc_b = sum(va10) / m, sum(vb10) / m
def cov(x, mx, z, mz):
    return sum((u - mx) * (w - mz) for u, w in zip(x, z)) / (len(x) - 1)
var = ((cov(va10, auc_a, va10, auc_a) + cov(vb10, auc_b, vb10, auc_b)
        - 2 * cov(va10, auc_a, vb10, auc_b)) / m
       + (cov(va01, auc_a, va01, auc_a) + cov(vb01, auc_b, vb01, auc_b)
          - 2 * cov(va01, auc_a, vb01, auc_b)) / k)
se = math.sqrt(var)
z = (auc_a - auc_b) / se
want = {"auc": (auc_a - auc_b, se, z, math.erfc(abs(z) / math.sqrt(2)))}
def ll(p, y):
    q = p if y == 1 else 1 - p
    return -math.log(max(q, 1e-15))
d = [ll(pa, y) - ll(pb, y) for pa, pb, y in pairs]
n = len(d)
mean = sum(d) / n
sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
z = mean / (sd / math.sqrt(n))
want["logloss"] = (mean, sd / math.sqrt(n), z, math.erfc(abs(z) / math.sqrt(2)))
for key, (diff, se, z, p) in want.items():
    got = j["diff"][key]
    for name, w in (("diff", diff), ("se", se), ("z", z), ("p", p),
                    ("lo", diff - 1.959964 * se), ("hi", diff + 1.959964 * se)):
        assert abs(got[name] - w) <= 1e-9, (key, name, got[name], w)
    print("%s diff %.6f z %.4f p %.4f" % (key, diff, z, p))
assert abs(j["input"]["auc"] - auc_a) <= 1e-12 and abs(j["other"]["auc"] - auc_b) <= 1e-12
assert j["rows"]["scored"] == n == j["input"]["n"] == j["other"]["n"]
assert j["rows"]["matched"] == len(both)
assert j["input"]["only"] == len(set(a) - set(b)) and j["other"]["only"] == len(set(b) - set(a))
print("rows %d scored %d only %d %d" % (len(both), n, j["input"]["only"], j["other"]["only"]))
PY
}

@test "--vs: the paired DeLong test and the log-loss interval equal an independent computation to 1e-9" {
	pair_files "$TMP/a" "$TMP/b" 3
	run cmt-backtest --json --vs "$TMP/b" "$TMP/a"
	assert_success
	echo "$output" > "$TMP/r.json"
	run vs_oracle "$TMP/a" "$TMP/b" "$TMP/r.json"
	assert_success
	echo "$output"
	# 3200 rows, about 2% flat and 2% without p_up on a side
	assert_line --regexp '^rows 3200 scored 3[01][0-9][0-9] only 0 0$'
	run json_get "$TMP/r.json" '(j["input"]["model"], j["other"]["model"], j["diff"]["auc"]["method"])'
	assert_output "('a', 'b', 'paired DeLong')"
	# the text says the same
	run cmt-backtest --vs "$TMP/b" "$TMP/a"
	assert_success
	d=$(json_get "$TMP/r.json" '"%+.6f" % j["diff"]["auc"]["diff"]')
	assert_line --regexp "^  auc +\\$d +\\[[-+]0\\.[0-9]{6}, [-+]0\\.[0-9]{6}\\] +-?[0-9.]+ +[0-9.e-]+$"
	assert_line --partial "input  $TMP/a: model a; 3200 vectors"
}

@test "--vs: rows in one stream only are counted, the others paired as if alone" {
	pair_files "$TMP/a" "$TMP/b" 4
	# B loses every 7th line, and gains a symbol A has not and rows
	# between A's minutes (in time order); A loses every 11th
	{ awk 'NR % 7' "$TMP/b"
	  sed -n '1~5p' "$TMP/b" | sed 's/"ETH-USD"/"SOL-USD"/'
	  sed -n '1~9p' "$TMP/b" | sed 's/"t":\([0-9]*\)0000,/"t":\15000,/'
	} | sort -t: -k2,2n -s > "$TMP/b2"
	awk 'NR % 11' "$TMP/a" > "$TMP/a2"
	cmt-backtest --json --vs "$TMP/b2" "$TMP/a2" > "$TMP/r.json"
	run vs_oracle "$TMP/a2" "$TMP/b2" "$TMP/r.json"
	assert_success
	echo "$output"
	# the same comparison on the rows both have, alone
	python3 - "$TMP/a2" "$TMP/b2" "$TMP/a3" "$TMP/b3" <<'PY'
import json, sys
def keys(path):
    return {(o["sym"], o["t"]) for o in map(json.loads, open(path))}
both = keys(sys.argv[1]) & keys(sys.argv[2])
for src, dst in ((sys.argv[1], sys.argv[3]), (sys.argv[2], sys.argv[4])):
    lines = [l for l in open(src) if (lambda o: (o["sym"], o["t"]))(json.loads(l)) in both]
    lines.sort(key=lambda l: (json.loads(l)["t"], json.loads(l)["sym"]))
    open(dst, "w").writelines(lines)
PY
	cmt-backtest --json --vs "$TMP/b3" "$TMP/a3" > "$TMP/r3.json"
	run json_get "$TMP/r.json" 'json.dumps(j["diff"])'
	assert_output "$(json_get "$TMP/r3.json" 'json.dumps(j["diff"])')"
	run json_get "$TMP/r3.json" '(j["input"]["only"], j["other"]["only"])'
	assert_output "(0, 0)"
	# labels that disagree are counted, not scored
	sed '3s/"y":0/"y":1/; t; 3s/"y":1/"y":0/' "$TMP/b" > "$TMP/b4"
	cmt-backtest --json --vs "$TMP/b4" "$TMP/a" > "$TMP/r4.json"
	run json_get "$TMP/r4.json" 'j["rows"]["labels_differ"]'
	assert_output "1"
}

@test "--vs: usage, and a missing file" {
	pair_files "$TMP/a" "$TMP/b" 5
	for extra in --follow "--plot $TMP/p.svg" "--trades $TMP/t.csv" "--theta 0.5,0.6"; do
		run cmt-backtest $extra --vs "$TMP/b" "$TMP/a"
		assert_failure 2
		assert_output --partial "--vs"
	done
	run cmt-backtest --vs - < "$TMP/a"
	assert_failure 2
	assert_output --partial "standard input"
	run cmt-backtest --vs - "$TMP/a" < "$TMP/b"
	assert_success
	run cmt-backtest --vs "$TMP/nonexistent" "$TMP/a"
	assert_failure 1
	assert_output --partial "nonexistent"
}

# A two-symbol walk whose next move tends to reverse the last one, with
# flat minutes: walk FILE N SEED.  p_up is noise around 1/2 with a little
# of the reversal in it; ret_1m (the first feature) is the last return.
walk() {
	python3 - "$@" <<'PY'
import random, sys
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
fs = "cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20"
names = ["ret_1m", "ret_5m", "ret_15m", "ret_60m", "rv_30m", "rv_60m", "rsi",
         "macd_hist", "bb_pctb", "mom", "vol_trend"]
px = {"BTC-USD": [100.0, 100.0], "ETH-USD": [50.0, 50.0]}
def step(prev_move):
    r = rng.random()
    if r < 0.08:
        return 0
    up = rng.random() < (0.5 - 0.06 * prev_move)
    return 1 if up else -1
moves = {s: [0] for s in px}
for s in px:
    for i in range(n + 1):
        m = step(moves[s][-1])
        moves[s].append(m)
        px[s].append(px[s][-1] * (1.002 ** m))
with open(path, "w") as f:
    for i in range(1, n + 1):
        for s in px:
            last = px[s][i] / px[s][i - 1] - 1
            nxt = px[s][i + 1]
            y = "null" if nxt == px[s][i] else ("1" if nxt > px[s][i] else "0")
            p = round(min(max(0.5 - 0.02 * moves[s][i] + rng.gauss(0, 0.03), 0), 1), 4)
            feats = ",".join('"%s":%r' % (k, last if k == "ret_1m" else 0.0) for k in names)
            f.write('{"t":%d,"sym":"%s","px":%r,"fs":"%s","f":{%s},"y":%s,"p_up":%r,"model":"w"}\n'
                    % (1709251200000 + 60000 * i, s, px[s][i], fs, feats, y, p))
PY
}

@test "baselines: each symbol's and the overall figures equal an independent computation" {
	walk "$TMP/w" 3000 8
	cmt-backtest --json "$TMP/w" > "$TMP/r.json"
	python3 - "$TMP/w" "$TMP/r.json" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
j = json.load(open(sys.argv[2]))
def ll(p, y):
    q = p if y == 1 else 1 - p
    return -math.log(max(q, 1e-15))
def auc(score, ys):
    # the Mann-Whitney count over every pair
    ups = [s for s, y in zip(score, ys) if y == 1]
    dns = [s for s, y in zip(score, ys) if y == 0]
    w = sum((u > d) + 0.5 * (u == d) for u in ups for d in dns)
    return w / (len(ups) * len(dns))
def baselines(rs):
    rs = [r for r in rs if r["y"] is not None and "p_up" in r]
    ys = [r["y"] for r in rs]
    n, up = len(ys), sum(ys)
    share = up / n
    out = {"majority": {
        "accuracy": max(up, n - up) / n if share != 0.5 else up / n,
        "logloss": sum(ll(share, y) for y in ys) / n,
        "brier": sum((share - y) ** 2 for y in ys) / n, "auc": 0.5}}
    for name, d in (("last_return", 1), ("reversal", -1)):
        seen = {1: [0, 0], -1: [0, 0], 0: [0, 0]}   # rows, ups per move
        L = B = hits = 0.0
        calls = []
        for r, y in zip(rs, ys):
            x = r["f"]["ret_1m"]
            mv = (x > 0) - (x < 0)
            call = mv * d
            u = (seen[mv][1] + 1) / (seen[mv][0] + 2)
            p = max(u, 0.5) if call > 0 else min(u, 0.5) if call < 0 else 0.5
            L += ll(p, y)
            B += (p - y) ** 2
            hits += 0.5 if call == 0 else float((call > 0) == (y == 1))
            calls.append(call)
            seen[mv][0] += 1
            seen[mv][1] += y
        out[name] = {"accuracy": hits / n, "logloss": L / n, "brier": B / n,
                     "auc": auc(calls, ys)}
    return out
groups = [(g["sym"], g) for g in j["symbols"]] + [("ALL", j["overall"])]
for sym, g in groups:
    want = baselines([r for r in rows if sym in ("ALL", r["sym"])])
    for b, w in want.items():
        for k, v in w.items():
            assert abs(g[b][k] - v) <= 1e-6 * max(1, abs(v)), (sym, b, k, g[b][k], v)
    better = "reversal" if want["reversal"]["auc"] > want["last_return"]["auc"] else "last_return"
    assert g["held_against"] == better, (sym, g["held_against"])
    for b in want:
        beats = [k for k, hi in (("accuracy", 1), ("auc", 1), ("logloss", 0), ("brier", 0))
                 if (g[b][k] > g["model"][k] if hi else g[b][k] < g["model"][k])]
        assert g[b]["beats_model_on"] == beats, (sym, b, beats)
    print(sym, " ".join("%s %.4f" % (b, want[b]["auc"]) for b in want))
PY
	# this walk reverses: the reversal is the better sign rule everywhere
	run json_get "$TMP/r.json" '[g["held_against"] for g in j["symbols"] + [j["overall"]]]'
	assert_output "['reversal', 'reversal', 'reversal']"
	run cmt-backtest "$TMP/w"
	assert_line --regexp '^  model minus reversal \(the better sign rule\): accuracy [-+]0\.[0-9]{4}, auc '
}

@test "--trades: the hand-computed trades of the tiny file" {
	# prices 100 110 99 99 108.9 98.01, p_up .85 .25 .55 .45 .65 -, 10 bps:
	# long at 00:00 (100) out at 00:01 (110); long at 00:02 (99) out at
	# 00:03 (99); long at 00:04 (108.9), open at the end (98.01), which
	# pays no exit fee.  net = .999^2 (1 + gross) - 1, .999 (1 + gross)
	# - 1 when open: .0978011, -.001999, -.1009
	run cmt-backtest --trades "$TMP/t.csv" "$TINY"
	assert_success
	run cat "$TMP/t.csv"
	assert_output "symbol,entry_time,entry_px,exit_time,exit_px,gross_return,net_return,steps,open
BTC-USD,2024-03-01T00:00:00.000Z,100,2024-03-01T00:01:00.000Z,110,0.1,0.0978011,1,0
BTC-USD,2024-03-01T00:02:00.000Z,99,2024-03-01T00:03:00.000Z,99,0,-0.001999,1,0
BTC-USD,2024-03-01T00:04:00.000Z,108.9,2024-03-01T00:05:00.000Z,98.01,-0.1,-0.1009,1,1"
	# (1.0978011)(0.998001)(0.8991) - 1 is the report's net return
	run json_get <(cmt-backtest --json "$TINY") '"%.6f" % j["overall"]["trading"]["return"]'
	assert_output "$(python3 -c 'print("%.6f" % (1.0978011 * 0.998001 * 0.8991 - 1))')"
	run cmt-backtest --trades /nonexistent/dir/t.csv "$TINY"
	assert_failure 1
	assert_output --partial "/nonexistent/dir/t.csv"
}

@test "--trades: the trades compound to each symbol's and the overall net return" {
	walk "$TMP/w" 3000 9
	cmt-backtest --json --theta 0.49 --fee-bps 2 --trades "$TMP/t.csv" "$TMP/w" > "$TMP/r.json"
	python3 - "$TMP/t.csv" "$TMP/r.json" <<'PY'
import csv, json, sys
trades = list(csv.DictReader(open(sys.argv[1])))
j = json.load(open(sys.argv[2]))
f = 2e-4
eq, n = {}, {}
for t in trades:
    g, net = float(t["gross_return"]), float(t["net_return"])
    assert abs(g - (float(t["exit_px"]) / float(t["entry_px"]) - 1)) < 1e-10, t
    fees = (1 - f) if t["open"] == "1" else (1 - f) ** 2
    assert abs(net - (fees * (1 + g) - 1)) < 1e-10, t
    assert t["entry_time"] < t["exit_time"] and int(t["steps"]) >= 1, t
    eq[t["symbol"]] = eq.get(t["symbol"], 1) * (1 + net)
    n[t["symbol"]] = n.get(t["symbol"], 0) + 1
for g in j["symbols"]:
    tr = g["trading"]
    s = g["sym"]
    mine = [t for t in trades if t["symbol"] == s]
    assert tr["trades"] == n[s] and tr["wins"] == sum(float(t["net_return"]) > 0 for t in mine)
    assert tr["long_periods"] == sum(int(t["steps"]) for t in mine)
    assert abs(eq[s] - 1 - tr["return"]) <= 1e-6 * max(1, abs(tr["return"])), (s, eq[s], tr)
    # trades of one symbol do not overlap
    for a, b in zip(mine, mine[1:]):
        assert a["exit_time"] <= b["entry_time"], (a, b)
overall = sum(eq.values()) / len(eq) - 1
assert abs(overall - j["overall"]["trading"]["return"]) <= 1e-6, overall
print(len(trades), "trades", ", ".join("%s %.6f" % kv for kv in eq.items()))
PY
}

@test "--theta list: a sweep whose every row is the run with that threshold alone" {
	walk "$TMP/w" 2000 10
	cmt-backtest --json --theta 0.48,0.5,0.52 "$TMP/w" > "$TMP/s.json"
	for th in 0.48 0.5 0.52; do
		cmt-backtest --json --theta $th "$TMP/w" > "$TMP/one.json"
		python3 - "$TMP/s.json" "$TMP/one.json" $th <<'PY'
import json, sys
s, one, th = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
pairs = [(s["overall"], one["overall"])] + list(zip(s["symbols"], one["symbols"]))
for g, o in pairs:
    row = [r for r in g["sweep"] if r["theta"] == th][0]
    t = o["trading"]
    for k in ("long_periods", "trades", "wins"):
        assert row[k] == t[k], (g["sym"], k, row[k], t[k])
    for k, kt in (("hit_rate", "hit_rate"), ("gross_return", "gross_return"), ("return", "return")):
        assert abs(row[k] - t[kt]) <= 1e-6 * max(1, abs(t[kt])), (g["sym"], k, row[k], t[kt])
PY
	done
	# the report's rule is the first threshold; the text has the table
	run json_get "$TMP/s.json" 'j["overall"]["trading"]["theta"]'
	assert_output "0.48"
	run cmt-backtest --theta 0.48,0.5,0.52 "$TMP/w"
	assert_line "threshold sweep (ALL, 1/S each; --json has each symbol's)"
	assert_line --regexp '^theta +long +trades +hit rate +gross +net$'
	assert_line --regexp '^0\.52 +[0-9]+ +[0-9]+ +0\.[0-9]{4} +-?[0-9.]+% +-?[0-9.]+%$'
	for bad in 0.5, ,0.5 0.5,,0.6 0.5,1.5 0.5,x; do
		run cmt-backtest --theta "$bad" "$TMP/w"
		assert_failure 2
		assert_output --partial "--theta"
	done
}

@test "--plot: the drawn curves end at the report's figures, from a bounded number of points" {
	walk "$TMP/w" 20000 11
	cmt-backtest --json --fee-bps 1 --plot "$TMP/p.svg" "$TMP/w" > "$TMP/r.json"
	cmt-backtest --fee-bps 1 "$TMP/w" > "$TMP/r.txt"
	python3 - "$TMP/p.svg" "$TMP/r.json" "$TMP/w" "$TMP/r.txt" <<'PY'
import json, re, sys, xml.etree.ElementTree as E
ns = "{http://www.w3.org/2000/svg}"
root = E.parse(sys.argv[1]).getroot()
j = json.load(open(sys.argv[2]))
curves = [g for g in root.iter(ns + "g") if g.get("class") == "curve"]
# the portfolio panel, then one per symbol: six curves each
assert len(curves) == 6 * 3, len(curves)
def ends(panel):
    return {g.get("data-curve"): float(g.get("data-end")) for g in curves[6 * panel: 6 * panel + 6]}
groups = [j["overall"]] + j["symbols"]
for i, g in enumerate(groups):
    e, t = ends(i), g["trading"]
    for key, want in (("net", t["return"]), ("gross", t["gross_return"]), ("buy_hold", t["buy_hold"])):
        assert abs(e[key] - 1 - want) <= 1e-6 * max(1, abs(want)), (g["sym"], key, e[key], want)
# and the text report's trading table (gross, net, buy and hold in %)
text = open(sys.argv[4]).read()
for i, g in enumerate(groups):
    name = "ALL (1/S each)" if g["sym"] == "ALL" else g["sym"]
    row = [l for l in text.splitlines() if l.startswith(name + " ")][-1]
    gross, net, hold = [float(x) for x in re.findall(r"(-?[0-9.]+)%", row)[:3]]
    e = ends(i)
    for v, key in ((gross, "gross"), (net, "net"), (hold, "buy_hold")):
        assert "%.3f" % v == "%.3f" % (100 * (e[key] - 1)), (name, key, v, e[key])
# the last-return baseline traded: long after a rise, the same fees,
# simulated here for each symbol
rows = [json.loads(l) for l in open(sys.argv[3])]
for i, g in enumerate(j["symbols"], 1):
    mine = [r for r in rows if r["sym"] == g["sym"]]
    eq, prev, f = 1.0, 0, 1e-4
    for a, b in zip(mine, mine[1:]):
        pos = int(a["f"]["ret_1m"] > 0)
        eq *= (1 - f if pos != prev else 1) * (1 + (b["px"] / a["px"] - 1 if pos else 0))
        prev = pos
    assert abs(ends(i)["last_return"] - eq) <= 1e-9 * eq, (g["sym"], ends(i)["last_return"], eq)
# 20000 rows a symbol, drawn from at most four points per pixel column
for p in root.iter(ns + "polyline"):
    assert len(p.get("points").split()) <= 4 * 840 + 4, len(p.get("points").split())
print("ok")
PY
}
