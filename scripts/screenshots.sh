#!/bin/sh
# Remake the pictures in docs/ (through temporary files; ../shared/data is
# never copied into the project):
#   docs/dashboard-wide.png     1400x900: a day of 12 symbols, live
#   docs/dashboard-phone.png    400x800: the same on a phone
#   docs/dashboard-stalled.png  1400x900: a feed that stopped (real minutes)
#   docs/backtest.png           cmt-backtest --plot-png on the 2024 test files
# Both feeds run the live pipeline (cmt-features --model default |
# cmt-predict | cmt-backtest --follow --horizon 1m --pass | cmt-sse) as it
# runs after cmt-fetch --warmup: ticks already past are written at once,
# marked "warm" like a warm start's, the rest each at its time.  The day is
# simulated by cmt-sim (so the page says SIMULATED) and goes on for 5
# minutes from now; the stalled feed is real Binance minutes of 2024-03-05 from
# ../shared/data, bars with their range, shifted to end two minutes from
# now, after which nothing comes (the source stops, the pipeline stays up)
# and the page is shot once it says STALLED.  Takes about 6 minutes.
# Usage: sh scripts/screenshots.sh [BUILD_DIR]   (after make)
set -eu
O=${1:-build}
ROOT=$(pwd)
PATH="$ROOT/$O/bin:$PATH"
DATA=${CMT_DATA:-$ROOT/../shared/data}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cmt-shots.XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill -- "-$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
shot() {  # SIZE URL FILE UNTIL
	python3 tests/cli/dashboard.py --size "$1" --screenshot "$3" \
		--until "$4" "$2" 1 400 > /dev/null
}
# live TICKS PORT: the ticks by time, those already past marked warm, the
# rest each at its time (then the source stays silent but open), through
# the live pipeline into cmt-sse; in a session of its own, so that it is
# ended whole
cat > "$tmp/live.sh" <<'SH'
python3 -c '
import json, sys, time
now = time.time() * 1000
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["t"] <= now:
        d["warm"] = True
    else:
        sys.stdout.flush()
        time.sleep(max(0, d["t"] / 1000 - time.time()))
    sys.stdout.write(json.dumps(d, separators=(",", ":")) + "\n")
sys.stdout.flush()
time.sleep(3600)
' "$1" | cmt-features --model default -q | cmt-predict 2>/dev/null |
	cmt-backtest --follow --horizon 1m --pass --window 200 --every 5m |
	cmt-sse --port "$2" 2>/dev/null
SH
live() {
	setsid sh "$tmp/live.sh" "$1" "$2" &
	pids="$pids $!"
}
now_s=$(date +%s)
mkdir -p docs

# The stalled feed: ts,open,high,low,close,volume, ts the bar's open, as
# bar ticks at their close, shifted to end on the minute two minutes ahead
bars() {  # FILE SYM FROM_EPOCH_S HOURS SHIFT_S
	awk -F, -v sym="$2" -v a="$3" -v b="$(($3 + $4 * 3600))" -v d="$5" \
		'NR > 1 && $1 >= a && $1 < b { printf "{\"t\":%d000,\"sym\":\"%s\",\"px\":%s,\"o\":%s,\"h\":%s,\"l\":%s,\"vol\":%s,\"src\":\"binance\"}\n", $1 + 60 + d, sym, $5, $2, $3, $4, $6 }' "$1"
}
end=$(( (now_s + 120) / 60 * 60 ))
{ bars "$DATA/btc_1m/btcusdt_binance_1m_2024.csv" BTC-USDT 1709600400 8 $((end - 1709629200))
  bars "$DATA/eth_1m/ethusdt_binance_1m_2024.csv" ETH-USDT 1716177600 8 $((end - 1716206400))
} | sort -t: -k2,2n -s > "$tmp/stalled"
sport=$(free_port)
live "$tmp/stalled" "$sport"

# A day of 12 symbols, the last 5 minutes of it to come
syms=BTC-USDT,ETH-USDT,SOL-USDT,XRP-USDT,BNB-USDT,ADA-USDT,DOGE-USDT,AVAX-USDT,LINK-USDT,DOT-USDT,LTC-USDT,TRX-USDT
cmt-sim --symbols "$syms" -d 25h -e 5s --seed 7 \
	--start $(( (now_s + 300 - 25 * 3600) * 1000 )) > "$tmp/day"
port=$(free_port)
live "$tmp/day" "$port"
sleep $((now_s + 80 - $(date +%s)))
# a shot just after a minute's lines came, as a trader sees it most
ready='document.getElementById("state").textContent === "LIVE" && cmt.syms.get("BTC-USDT").lastT > cmt.serverNow() - 15000'
shot 1400x900 "http://127.0.0.1:$port/?sym=BTC-USDT" docs/dashboard-wide.png "$ready"
shot 400x800 "http://127.0.0.1:$port/?sym=BTC-USDT" docs/dashboard-phone.png "$ready"

# STALLED three minutes after the feed's last line
left=$((end + 190 - $(date +%s)))
[ "$left" -le 0 ] || sleep "$left"
shot 1400x900 "http://127.0.0.1:$sport/?sym=BTC-USDT" docs/dashboard-stalled.png \
	'document.getElementById("state").textContent === "STALLED"'

# The report: the shipped model on its 2024 test files (BTC Feb-Mar, ETH
# May-Jun), labelled one minute ahead.
ticks() {  # FILE SYM
	awk -F, -v sym="$2" 'NR > 1 { printf "{\"t\":%d000,\"sym\":\"%s\",\"px\":%s,\"vol\":%s,\"src\":\"binance\"}\n", $1 + 60, sym, $5, $6 }' "$1"
}
for f in "$DATA"/btc_1m/btcusdt_binance_1m_2024.csv "$DATA"/eth_1m/ethusdt_binance_1m_2024.csv; do
	case $f in *btc*) s=BTC-USDT ;; *) s=ETH-USDT ;; esac
	ticks "$f" "$s" | cmt-features --model default --label 60s -q | cmt-predict
done > "$tmp/pred"
cmt-backtest --plot-png docs/backtest.png "$tmp/pred" > /dev/null
ls -l docs/dashboard-wide.png docs/dashboard-phone.png docs/dashboard-stalled.png docs/backtest.png
