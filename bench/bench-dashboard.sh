#!/bin/sh
# cmt-sse's history and the dashboard on a day of 12 symbols: the README's
# live pipeline (cmt-sim 25 h, 1 h of warm-up | cmt-features --model
# default | cmt-predict | cmt-backtest --follow --horizon 1m --pass) into
# cmt-sse --keep 24h.  Reports the history's bytes per symbol-hour beside
# the lines' own bytes (the reference), GET /history of everything beside
# cat of the same bytes, and the page's time to show its history
# (cmt.ready: every symbol's last hour and the selected one's day) in
# headless Chromium beside the same page on an empty server, then the
# time to load each other symbol's day.  Usage: sh bench/bench-dashboard.sh
# BINDIR   (make bench; skipped without chromium)
set -eu
BIN=${1:-build/bin}
OUT=bench/out
mkdir -p "$OUT"
PATH="$BIN:$PATH"
syms=BTC-USDT,ETH-USDT,SOL-USDT,XRP-USDT,BNB-USDT,ADA-USDT,DOGE-USDT,AVAX-USDT,LINK-USDT,DOT-USDT,LTC-USDT,TRX-USDT
cmt-sim --symbols "$syms" -d 25h -e 5s --seed 7 --start 2024-03-04 |
	cmt-features --model default -q | cmt-predict 2>/dev/null |
	cmt-backtest --follow --horizon 1m --pass --window 200 --every 5m \
	> "$OUT/day12.ndjson"
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
port=$(free_port)
"$BIN/cmt-sse" --port "$port" --keep 24h < "$OUT/day12.ndjson" 2>/dev/null &
sse=$!
empty=$(free_port)
"$BIN/cmt-sse" --port "$empty" < /dev/null 2>/dev/null &
sse2=$!
trap 'kill $sse $sse2 2>/dev/null || true' EXIT
for i in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^cmt_sse_input_open 0' && break
	sleep 0.1
done
curl -s "http://127.0.0.1:$port/metrics" > "$OUT/dashboard-metrics.txt"
curl -s "http://127.0.0.1:$port/history" > "$OUT/day12-history.ndjson"
python3 - "$OUT/dashboard-metrics.txt" "$OUT/day12-history.ndjson" <<'PY'
import json, sys
m = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[1]) if l[0] != "#"}
rows = [json.loads(l) for l in open(sys.argv[2])]
mine = [r for r in rows if r.get("sym")]
raw = sum(len(json.dumps(r, separators=(",", ":"))) + 1 for r in mine)
span = {}
for r in mine:
    a = span.setdefault(r["sym"], [r["t"], r["t"]])
    a[0], a[1] = min(a[0], r["t"]), max(a[1], r["t"])
hours = sum((b - a) / 3600000 for a, b in span.values())
overall = [r for r in rows if not r.get("sym")]
obytes = sum(len(json.dumps(r, separators=(",", ":"))) + 1 + 24 for r in overall)
held = m["cmt_sse_history_bytes"] - obytes
print("history: %d symbols, %.1f symbol-hours, %d lines (+%d overall)" %
      (len(span), hours, len(mine), len(overall)))
print("  lines' own bytes (reference)  %6.1f KiB per symbol-hour" % (raw / hours / 1024))
print("  held by cmt-sse               %6.1f KiB per symbol-hour (share %.1f KiB)" %
      (held / hours / 1024, 65536 / 1024))
PY
t() {  # seconds of a command, to the ms
	python3 -c 'import subprocess, sys, time; t = time.time(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); print("%.3f" % (time.time() - t))' "$@"
}
echo "GET /history (all, $(wc -c < "$OUT/day12-history.ndjson") bytes): $(t curl -s "http://127.0.0.1:$port/history") s;" \
	"cat of the same bytes (reference): $(t cat "$OUT/day12-history.ndjson") s;" \
	"GET /history?sym=BTC-USDT: $(t curl -s "http://127.0.0.1:$port/history?sym=BTC-USDT") s"
if ! command -v chromium >/dev/null; then
	echo "dashboard: chromium not installed, page timings skipped"
	exit 0
fi
page() {  # PORT: cmt.ready, and (with history) every other symbol's day
	python3 tests/cli/dashboard.py --size 1400x900 --eval '(async () => { const r = { ready_ms: Math.round(cmt.ready), nav_ms: Math.round(performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd) }; const t = performance.now(); for (const s of cmt.syms.keys()) await cmt.show(s); r.each_other_day_ms = cmt.syms.size > 1 ? Math.round((performance.now() - t) / (cmt.syms.size - 1)) : null; r.lines = [...cmt.syms.values()].reduce((n, s) => n + s.recs.length, 0); r.js_heap_mb = Math.round(performance.memory.usedJSHeapSize / 1e6); return r; })()' \
		"http://127.0.0.1:$1/?sym=BTC-USDT" 0 120 | sed -n 's/^eval //p'
}
for i in 1 2 3; do
	echo "page, empty server (reference): $(page "$empty")"
	echo "page, 24 h x 12 symbols:        $(page "$port")"
done
