#!/usr/bin/env bats
# The trader's dashboard in real headless Chromium (tests/cli/dashboard.py
# drives chromedriver), read by what it shows and what its charts hold:
# time axes, outcome markers and rolling scores against cmt-backtest;
# freshness from the data's own clock (LIVE, STALLED, INPUT ENDED,
# REPLAY); the day's history from GET /history with no gap or overlap on
# open and on reconnect, through a sub-path reverse proxy; the watchlist,
# the forecast's target, wicks, volume, the logo, the axes, the labels.
# cmt-sse reads a FIFO held open on fd 5, so each test decides when lines
# arrive.
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
	PROXY_PID=
	FEED_PID=
	DASH="$BATS_TEST_DIRNAME/dashboard.py"
}

local_teardown() {
	local p
	for p in $PROXY_PID $FEED_PID $SSE_PID; do
		kill "$p" 2>/dev/null || true
	done
	exec 5>&- 2>/dev/null || true
	[ -z "$SSE_PID" ] || wait "$SSE_PID" 2>/dev/null || true
}

# wait_up URL: until it answers (5 s)
wait_up() {
	local i
	for i in $(seq 100); do
		curl -sf "$1" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
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
	run python3 "$DASH" --eval '(async () => { const r = []; for (const s of ["BTC-USD", "ETH-USD"]) { await (cmt.show || cmt.select)(s); r.push(cmt.dump()); } return r; })()' "$URL/" 1 30
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
	run python3 "$DASH" "$URL/?sym=ETH-USD" 1 30
	assert_line --partial "detail sym=ETH-USD "
	assert_line --regexp "^scores accuracy $acc · AUC "
	assert_line "scores-title Rolling scores · ETH-USD · last 50 scored"
	assert_line --regexp "^overall All symbols · last 50 scored: accuracy [0-9.]+% · AUC "
}


# vectors SYMS N T0_MS STEP_MS: N prediction lines a symbol, each with the
# step's bar (o, h, l, vol), as cmt-features | cmt-predict write them
vectors() {
	python3 - "$@" <<'PY'
import json, math, sys
syms, n, t0, step = sys.argv[1].split(","), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fs = "cmt1;step=%s" % ("%ds" % (step // 1000) if step < 60000 else "%dm" % (step // 60000))
for i in range(n):
    for k, sym in enumerate(syms):
        base = 100.0 * (k + 1)
        px = round(base * (1 + 0.01 * math.sin(i / 7 + k)), 4)
        o = round(base * (1 + 0.01 * math.sin((i - 1) / 7 + k)), 4)
        d = {"t": t0 + i * step, "sym": sym, "px": px, "fs": fs,
             "f": {"rsi": 50 + 10 * math.sin(i / 5)},
             "o": o, "h": round(max(o, px) * 1.002, 4),
             "l": round(min(o, px) * 0.997, 4), "vol": round(1 + (i % 5) / 4, 4),
             "p_up": round(0.5 + 0.03 * math.sin(i / 3 + k), 6), "model": "m"}
        print(json.dumps(d, separators=(",", ":")))
PY
}

# live_feed N EVERY_S SYM: N lines stamped with the clock, one every
# EVERY_S seconds (a 1 s grid); the wall time of the last in $TMP/last_line
live_feed() {
	python3 - "$@" "$TMP/last_line" <<'PY' >&5
import json, sys, time
n, every, sym, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
for i in range(n):
    t = int(time.time() * 1000)
    print(json.dumps({"t": t, "sym": sym, "px": 100 + i, "fs": "cmt1;step=1s",
                      "p_up": 0.55, "model": "m"}), flush=True)
    open(out, "w").write(str(t))
    if i + 1 < n:
        time.sleep(every)
PY
}

# A reverse proxy that serves cmt-sse under /cmt/ (as nginx's location
# block in man cmt-sse does), streaming answers as they come.
start_proxy() {
	cat >"$TMP/proxy.py" <<'PY'
import http.client, http.server, socketserver, sys
upstream, port = int(sys.argv[1]), int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"          # the answer ends with the connection
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == "/cmt":
            self.send_response(301); self.send_header("Location", "/cmt/")
            self.end_headers(); return
        if not self.path.startswith("/cmt/"):
            self.send_error(404); return
        c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
        c.request("GET", self.path[4:], headers={k: v for k, v in self.headers.items()
                  if k.lower() in ("accept", "last-event-id")})
        r = c.getresponse()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.end_headers()
        while True:
            b = r.read1(65536)
            if not b:
                break
            self.wfile.write(b)
            self.wfile.flush()
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = allow_reuse_address = True
S(("127.0.0.1", port), H).serve_forever()
PY
	python3 "$TMP/proxy.py" "$PORT" "$PROXY_PORT" 5>&- &
	PROXY_PID=$!
	wait_up "http://127.0.0.1:$PROXY_PORT/cmt/healthz"
}

@test "freshness from the data's clock: LIVE while lines come, STALLED when the feed dies, INPUT ENDED at end of input" {
	start_sse
	python3 "$DASH" --until 'cmt.transitions.some((x) => x[1] === "INPUT ENDED")' \
		--eval '[cmt.transitions, Date.now()]' "$URL/" 0 40 >"$TMP/dom" 5>&- &
	local dash=$!
	wait_metric cmt_sse_streams 1
	live_feed 6 1 BTC-USD        # a line a second, then the feed dies
	sleep 6
	date +%s%3N >"$TMP/ended"
	exec 5>&-                    # and cmt-sse's input ends
	wait "$dash"
	run cat "$TMP/dom"
	assert_line "state INPUT ENDED"
	assert_line --regexp "^why cmt-sse's input closed; last line [0-9]+ s ago$"
	assert_line --regexp '^tile BTC-USD px=105.0000 .* age=red ago=[0-9]+ s ago$'
	assert_line --regexp '^last last update [0-9]+ s ago — STALE$'
	python3 - "$TMP/dom" "$(cat "$TMP/last_line")" "$(cat "$TMP/ended")" <<'PY'
import json, sys
ev = [l for l in open(sys.argv[1]) if l.startswith("eval ")][0]
trans, _ = json.loads(ev[5:])
last, ended = int(sys.argv[2]), int(sys.argv[3])
states = [s for _, s in trans]
assert states == ["LIVE", "STALLED", "INPUT ENDED"], states
at = {s: t for t, s in trans}
# the data comes every second: stalled after 3 of them without a line
stalled = at["STALLED"] - last
assert 3000 <= stalled <= 4500, stalled
assert 0 <= at["INPUT ENDED"] - ended <= 1500, at["INPUT ENDED"] - ended
print("STALLED %d ms after the last line, INPUT ENDED %d ms after EOF" %
      (stalled, at["INPUT ENDED"] - ended))
PY
}

@test "a page opened on a dead feed shows the data's age, not the time since it loaded" {
	start_sse
	live_feed 8 1 BTC-USD
	sleep 6                      # the feed died 6 s ago
	run python3 "$DASH" --until '$("rate").textContent !== "\u2014"' "$URL/" 8 20
	assert_success
	assert_line "state STALLED"
	assert_line --regexp '^why no line for ([6-9]|[1-9][0-9]) s \(cadence 1 s\)$'
	assert_line --regexp '^tile BTC-USD px=107.0000 .* age=red ago=([6-9]|[1-9][0-9]) s ago$'
	assert_line "rate 8"         # lines the server read in the last minute
}

@test "old data is a REPLAY, aged from its arrival; --mode says so for any data" {
	start_sse
	( for i in $(seq 0 39); do
		printf '{"t":%d,"sym":"ETH-USD","px":%d,"fs":"cmt1;step=1m","p_up":0.5}\n' \
			$((1709640000000 + i * 60000)) $((3800 + i))
		sleep 0.3
	done >&5 ) &
	FEED_PID=$!
	run python3 "$DASH" "$URL/" 5 20
	assert_success
	assert_line "state REPLAY"
	assert_line --regexp '^why data of 2024-03-05 12:[0-3][0-9] arriving now$'
	assert_line --regexp '^tile ETH-USD px=38[0-3][0-9].00 .* age=ok ago=[01] s ago$'
	wait "$FEED_PID"; FEED_PID=
	# the replay stops: stalled after 3 of its arrival gaps (0.3 s, at
	# least 1 s each)
	run python3 "$DASH" --until '$("state").textContent === "STALLED"' "$URL/" 10 20
	assert_line "state STALLED"
	kill "$SSE_PID"; wait "$SSE_PID" || true
	exec 5>&-
	rm -f "$TMP/in"
	start_sse --mode replay
	live_feed 40 0.2 SOL-USD &
	FEED_PID=$!
	run python3 "$DASH" "$URL/" 3 20
	assert_line "state REPLAY"
	assert_line --regexp '^tile SOL-USD .* age=ok ago=[01] s ago$'
}

@test "the page shows the day's history, whatever the backlog holds" {
	start_sse --backlog 64
	vectors BTC-USD,ETH-USD,SOL-USD 400 1709596800000 60000 >&5
	wait_metric cmt_sse_events_in_total 1200
	assert_equal "$(metric cmt_sse_backlog_events)" 64
	run python3 "$DASH" --eval '(async () => { const r = [cmt.dump()]; await cmt.show("SOL-USD"); r.push(cmt.dump()); return r.map((d) => [d.sym, d.candles, d.pups, d.volume.length]); })()' "$URL/" 1 30
	assert_success
	assert_line 'eval [["BTC-USD", 400, 400, 400], ["SOL-USD", 400, 400, 400]]'
	# the other tiles have their last hour: prices, moves, P(up)
	assert_line --regexp '^tile ETH-USD px=[0-9.]+ chg=[-+][0-9.]+% 1h pup=[0-9.]+% '
}

@test "history then events: no gap and no overlap, on open and on reconnect, through a sub-path proxy" {
	PROXY_PORT=$(free_port)
	start_sse --backlog 50 --retry 300ms
	start_proxy
	vectors BTC-USD 1000 1709596800000 60000 >"$TMP/all"
	head -200 "$TMP/all" >&5
	wait_metric cmt_sse_events_in_total 200
	# the rest arrives while the page opens and while the proxy is down
	( tail -n +201 "$TMP/all" | while IFS= read -r l; do
		printf '%s\n' "$l"; sleep 0.008; done >&5 ) &
	FEED_PID=$!
	python3 "$DASH" --until 'cmt.syms.get("BTC-USD").recs.length >= 1000 && document.getElementById("conn").textContent === "connected"' \
		--eval '[cmt.syms.get("BTC-USD").recs.map((r) => r.id), cmt.dump().pupTimes, cmt.dump().bars.length]' \
		"http://127.0.0.1:$PROXY_PORT/cmt/" 1 60 >"$TMP/dom" 5>&- &
	local dash=$!
	wait_metric cmt_sse_streams 1     # the page is up and streaming
	sleep 0.5
	kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
	sleep 1.5                    # 150 lines pass: more than the backlog
	start_proxy
	wait "$FEED_PID"; FEED_PID=
	wait "$dash"
	curl -sf "$URL/history?sym=BTC-USD" >"$TMP/hist"
	run cat "$TMP/dom"
	assert_line --regexp '^gaps [1-9]'
	refute_line --partial 'error '
	python3 - "$TMP/dom" "$TMP/hist" "$TMP/all" <<'PY'
import json, sys
ev = [l for l in open(sys.argv[1]) if l.startswith("eval ")][0]
ids, pups, bars = json.loads(ev[5:])
hist = [json.loads(l)["event_id"] for l in open(sys.argv[2])]
want = [json.loads(l)["t"] // 1000 for l in open(sys.argv[3])]
assert ids == hist, "page %d lines, server %d" % (len(ids), len(hist))
assert len(set(ids)) == len(ids) == 1000
assert pups == want and bars == 1000
print("1000 lines, each once, in order")
PY
}

@test "behind a reverse proxy on a sub-path, the page loads its script, history and stream" {
	PROXY_PORT=$(free_port)
	start_sse
	start_proxy
	vectors BTC-USD 30 1709596800000 60000 >&5
	wait_metric cmt_sse_events_in_total 30
	run curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$PROXY_PORT/cmt"
	assert_output "301 http://127.0.0.1:$PROXY_PORT/cmt/"
	run python3 "$DASH" --eval 'cmt.dump().candles' "http://127.0.0.1:$PROXY_PORT/cmt/" 30 20
	assert_success
	assert_line "conn connected"
	assert_line "state REPLAY"
	assert_line "eval 30"
	vectors BTC-USD 31 1709596800000 60000 | tail -1 >&5
	run python3 "$DASH" --eval 'cmt.dump().candles' "http://127.0.0.1:$PROXY_PORT/cmt/?sym=BTC-USD" 30 20
	assert_line "eval 31"
}

@test "the watchlist shows every symbol, wide and on a phone, sorted by name, P(up) or move, ?sym= kept" {
	start_sse
	syms=AAVE-USD,ADA-USD,AVAX-USD,BTC-USD,DOGE-USD,DOT-USD,ETH-USD,LINK-USD,LTC-USD,SOL-USD,UNI-USD,XRP-USD
	vectors "$syms" 90 1709596800000 60000 >&5
	wait_metric cmt_sse_events_in_total 1080
	geometry='(() => { const b = document.getElementById("tiles") || document.getElementById("overview"), r = b.getBoundingClientRect(); const t = [...document.querySelectorAll(".tile")]; return { n: t.length, wide: b.scrollWidth <= b.clientWidth, inside: t.every((x) => { const q = x.getBoundingClientRect(); return q.left >= r.left && q.right <= r.right + 0.5 && q.right <= innerWidth; }), scroll: b.scrollHeight >= t.reduce((m, x) => Math.max(m, x.offsetTop + x.offsetHeight - b.offsetTop), 0) - 1 }; })()'
	for size in 1400x900 400x800; do
		run python3 "$DASH" --size $size --eval "$geometry" "$URL/?sym=SOL-USD" 1 20
		assert_success
		assert_line 'eval {"inside": true, "n": 12, "scroll": true, "wide": true}'
		assert_line --partial "detail sym=SOL-USD "
	done
	order='[...document.querySelectorAll(".tile")].map((t) => t.dataset.sym).join()'
	python3 - "$syms" >"$TMP/want" <<'PY'
import math, sys
syms = sys.argv[1].split(",")
def pup(k): return round(0.5 + 0.03 * math.sin(89 / 3 + k), 6)
def px(k, i): return round(100.0 * (k + 1) * (1 + 0.01 * math.sin(i / 7 + k)), 4)
def move(k): return px(k, 89) / px(k, 29) - 1
print(",".join(syms))
print(",".join(sorted(syms, key=lambda s: -pup(syms.index(s)))))
print(",".join(sorted(syms, key=lambda s: -move(syms.index(s)))))
PY
	run python3 "$DASH" --run 'cmt.setSort("pup")' --eval "$order" "$URL/?sym=SOL-USD" 1 20
	assert_line "eval \"$(sed -n 2p "$TMP/want")\""
	run python3 "$DASH" --run 'cmt.setSort("move")' --eval "$order" "$URL/" 1 20
	assert_line "eval \"$(sed -n 3p "$TMP/want")\""
	assert_line "url /?sym=AAVE-USD&sort=move"
	run python3 "$DASH" --eval "$order" "$URL/?sort=name" 1 20
	assert_line "eval \"$(sed -n 1p "$TMP/want")\""
	# a click selects, and the address keeps it
	run python3 "$DASH" --run 'document.querySelector(".tile[data-sym=\"ETH-USD\"]").click()' "$URL/?sym=SOL-USD" 1 20
	assert_line --partial "detail sym=ETH-USD "
	assert_line "url /?sym=ETH-USD"
}

@test "the forecast states its target and counts down to its resolution" {
	start_sse
	now=$(date +%s%3N)
	# not in a minute's last seconds, so the countdown has time to show
	if [ $(( now % 60000 )) -gt 45000 ]; then
		sleep $(( (61000 - now % 60000) / 1000 ))
		now=$(date +%s%3N)
	fi
	t=$(( now / 60000 * 60000 ))
	printf '{"t":%d,"sym":"BTC-USD","px":66000,"fs":"cmt1;step=1m","p_up":0.5377,"model":"m"}\n' "$t" >&5
	run python3 "$DASH" --eval 'Date.now()' "$URL/" 1 20
	assert_success
	python3 - "$t" "$output" <<'PY'
import re, sys, time
t, out = int(sys.argv[1]), sys.argv[2]
hm = lambda ms: time.strftime("%H:%M", time.gmtime(ms / 1000))
want = "target P(close at %s > close at %s)" % (hm(t + 60000), hm(t))
assert want in out.splitlines(), (want, out)
now = int(re.search(r"^eval (\d+)$", out, re.M).group(1))
left = int(re.search(r"^resolve resolves in (\d+) s$", out, re.M).group(1))
assert abs(left - (t + 60000 - now) / 1000) <= 1.5, (left, t + 60000 - now)
print(want, "resolves in", left, "s")
PY
	# with outcome lines, the horizon is theirs (5 minutes here)
	printf '{"kind":"outcome","sym":"BTC-USD","t":%d,"t_out":%d,"p_up":0.6,"y":1,"hit":true}\n' \
		$((t - 600000)) $((t - 300000)) >&5
	run python3 "$DASH" "$URL/" 2 20
	assert_line "target P(close at $(date -u -d @$(( (t + 300000) / 1000 )) +%H:%M) > close at $(date -u -d @$((t / 1000)) +%H:%M))"
	assert_line --regexp '^resolve resolves in [0-9]+ (s|min)$'
}

@test "candles have the step's wicks from the vectors' bars, and volume bars" {
	start_sse
	python3 - >"$TMP/t" <<'PY'
import json
# four minutes of trades and one bar; a step opens at its first trade,
# as a venue's candle: the last step has wicks beyond open and close
ticks = [(0, 100, None), (15, 104, None), (30, 97, None), (60, 101, None),
         (75, 99, None), (120, 102, (101, 106, 100)), (150, 99, None),
         (160, 104, None), (165, 95, None), (180, 100, None)]
for s, px, bar in ticks:
    d = {"t": 1709640000000 + s * 1000, "sym": "BTC-USD", "px": px, "vol": 1.5}
    if bar:
        d["o"], d["h"], d["l"] = bar
    print(json.dumps(d))
PY
	cmt-features --model default --emit-warmup -q "$TMP/t" >"$TMP/v"
	cat "$TMP/v" >&5
	n=$(wc -l <"$TMP/v")
	run python3 "$DASH" --eval '(() => { const c = cmt.charts(); return { bars: c.candles.data().map((b) => [b.time, b.open, b.high, b.low, b.close]), volume: c.volume ? c.volume.data().map((v) => [v.time, v.value]) : null }; })()' "$URL/" "$n" 20
	assert_success
	python3 - "$TMP/v" "$(grep '^eval ' <<<"$output" | cut -c6-)" <<'PY'
import json, sys
vec = [json.loads(l) for l in open(sys.argv[1])]
d = json.loads(sys.argv[2])
want = [[v["t"] // 1000 - 60, v["o"], v["h"], v["l"], v["px"]] for v in vec]
assert d["bars"] == want, (d["bars"], want)
assert d["volume"] == [[v["t"] // 1000 - 60, v["vol"]] for v in vec if "vol" in v], d["volume"]
assert any(b[2] > max(b[1], b[4]) and b[3] < min(b[1], b[4]) for b in d["bars"])
print(d["bars"])
PY
	assert_line "candles 1-minute candles, volume"
}

@test "the TradingView logo links from the title bar and covers no chart" {
	start_sse
	vectors BTC-USD 60 1709596800000 60000 >&5
	run python3 "$DASH" --eval '(() => { const a = [...document.querySelectorAll("a[href^=\"https://www.tradingview.com\"]")].filter((e) => e.getBoundingClientRect().width > 0 && e.closest("#p-price")); const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }; const hit = (p, q) => p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3]; return [a.length, a.some((e) => [...document.querySelectorAll(".chart")].some((c) => hit(box(e), box(c))))]; })()' "$URL/" 60 20
	assert_success
	assert_line 'eval [1, false]'
	run python3 "$DASH" --size 400x800 --eval 'cmt.dump().logos' "$URL/" 60 20
	assert_line 'eval 0'
}

@test "axes fit their data: percent axes stay within 0 to 100 %" {
	start_sse
	vectors BTC-USD 60 1709596800000 60000 >&5
	# the first windows of a stream: few rows, scores from 25 to 100 %
	i=0
	for s in '1,null' '0.5,0.5' '0.3333,0.25' '0.75,0.8'; do
		i=$((i + 1))
		printf '{"kind":"metrics","sym":"BTC-USD","model":"m","t":%d,"window":%d,"count":%d,"accuracy":%s,"auc":%s,"logloss":0.5,"brier":0.2,"base_rate":0.5,"lag_ms":null}\n' \
			$((1709596800000 + i * 300000)) "$i" "$i" "${s%,*}" "${s#*,}" >&5
	done
	run python3 "$DASH" --eval '(() => { const c = cmt.charts(); const r = (ch, s) => [s.coordinateToPrice(ch.paneSize().height), s.coordinateToPrice(0)]; return [r(c.metrics, c.acc), r(c.phist, c.pline)]; })()' "$URL/" 64 20
	assert_success
	python3 - "$(grep '^eval ' <<<"$output" | cut -c6-)" <<'PY'
import json, sys
acc, pup = json.loads(sys.argv[1])
print("accuracy axis %.1f..%.1f %%, P(up) axis %.1f..%.1f %%" % (acc[0], acc[1], pup[0], pup[1]))
# within 0..100 %, and holding the data (25 to 100 %)
assert 0 <= acc[0] <= 25 and 100 <= acc[1] <= 100.0001, acc
assert 0 <= pup[0] <= 47.1 and 52.9 <= pup[1] <= 60, pup    # P(up) 47..53 %
PY
}

@test "every score says whose it is and over what window" {
	start_sse
	vectors BTC-USD,ETH-USD 10 1709596800000 60000 >&5
	cat >&5 <<'LINES'
{"kind":"metrics","model":"m","t":1709597400000,"window":200,"count":812,"accuracy":0.531,"auc":0.5402,"logloss":0.6917,"brier":0.249,"base_rate":0.51,"lag_ms":61200}
{"kind":"metrics","sym":"BTC-USD","model":"m","t":1709597400000,"window":200,"count":406,"accuracy":0.54,"auc":0.5511,"logloss":0.6902,"brier":0.2485,"base_rate":0.5,"lag_ms":61100}
{"kind":"metrics","sym":"ETH-USD","model":"m","t":1709597400000,"window":150,"count":150,"accuracy":0.52,"auc":0.5301,"logloss":0.6931,"brier":0.2499,"base_rate":0.52,"lag_ms":61300}
LINES
	run python3 "$DASH" "$URL/?sym=ETH-USD" 23 20
	assert_success
	assert_line "scores-title Rolling scores · ETH-USD · last 150 scored"
	assert_line "scores accuracy 52.0% · AUC 0.5301 · log-loss 0.6931 · 150 scored in all"
	assert_line "overall All symbols · last 200 scored: accuracy 53.1% · AUC 0.5402 · log-loss 0.6917 · base rate 51.0% · lag 61.2 s (live rows)"
}
