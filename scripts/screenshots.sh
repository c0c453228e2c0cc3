#!/bin/sh
# Remake the pictures in docs/ (through temporary files; ../shared/data is
# never copied into the project):
#   docs/dashboard-wide.png     1400x900: a day of 12 symbols, live
#   docs/dashboard-phone.png    400x800: the same on a phone
#   docs/dashboard-stalled.png  1400x900: a feed that stopped (real minutes)
#   docs/backtest.png           cmt-backtest --plot-png on the 2024 test files
# The day is simulated by cmt-sim (so the page says SIMULATED) and ends
# now; the stalled feed is real Binance minutes of 2024-03-05 from
# ../shared/data, bars with their range, shifted to end 6 minutes ago, and
# then nothing: the page is shot once it has said STALLED (3 minutes of
# one-minute data without a line).  Takes about 4 minutes.
# Usage: sh scripts/screenshots.sh [BUILD_DIR]   (after make)
set -eu
O=${1:-build}
ROOT=$(pwd)
PATH="$ROOT/$O/bin:$PATH"
DATA=${CMT_DATA:-$ROOT/../shared/data}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cmt-shots.XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
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
now_ms=$(date +%s%3N)
mkdir -p docs

# The stalled feed first (it has to wait): ts,open,high,low,close,volume,
# ts the bar's open, as bar ticks at their close, shifted to end 6 min ago
bars() {  # FILE SYM FROM_EPOCH_S HOURS SHIFT_S
	awk -F, -v sym="$2" -v a="$3" -v b="$(($3 + $4 * 3600))" -v d="$5" \
		'NR > 1 && $1 >= a && $1 < b { printf "{\"t\":%d000,\"sym\":\"%s\",\"px\":%s,\"o\":%s,\"h\":%s,\"l\":%s,\"vol\":%s,\"src\":\"binance\"}\n", $1 + 60 + d, sym, $5, $2, $3, $4, $6 }' "$1"
}
end=$((now_ms / 60000 * 60 - 360))
bars "$DATA/btc_1m/btcusdt_binance_1m_2024.csv" BTC-USDT 1709600400 8 $((end - 1709629200)) > "$tmp/btc"
bars "$DATA/eth_1m/ethusdt_binance_1m_2024.csv" ETH-USDT 1716177600 8 $((end - 1716206400)) > "$tmp/eth"
for s in btc eth; do
	cmt-features --model default -q "$tmp/$s" | cmt-predict 2>/dev/null |
		cmt-backtest --follow --horizon 1m --pass --window 200 --every 5m
done > "$tmp/stalled"
sport=$(free_port)
mkfifo "$tmp/sin"
cmt-sse --port "$sport" < "$tmp/sin" 2>/dev/null &
pids="$pids $!"
exec 4> "$tmp/sin"
cat "$tmp/stalled" >&4       # and then nothing: the input stays open
stalled_at=$(date +%s)

# A day of 12 symbols ending now, through the live pipeline; the last
# minute's lines arrive live while the pictures are taken
syms=BTC-USDT,ETH-USDT,SOL-USDT,XRP-USDT,BNB-USDT,ADA-USDT,DOGE-USDT,AVAX-USDT,LINK-USDT,DOT-USDT,LTC-USDT,TRX-USDT
cmt-sim --symbols "$syms" -d 25h -e 5s --seed 7 --start $((now_ms - 25 * 3600000)) |
	cmt-features --model default -q | cmt-predict 2>/dev/null |
	cmt-backtest --follow --horizon 1m --pass --window 200 --every 5m > "$tmp/day"
n=$(wc -l < "$tmp/day")
port=$(free_port)
mkfifo "$tmp/in"
cmt-sse --port "$port" < "$tmp/in" 2>/dev/null &
pids="$pids $!"
exec 3> "$tmp/in"
head -n $((n - 30)) "$tmp/day" >&3
( tail -n 30 "$tmp/day" | while IFS= read -r l; do
	printf '%s\n' "$l"; sleep 1; done >&3 ) &
feeder=$!
pids="$pids $feeder"
live='document.getElementById("state").textContent === "LIVE" && Number(document.getElementById("rate").textContent) > 0'
shot 1400x900 "http://127.0.0.1:$port/?sym=BTC-USDT" docs/dashboard-wide.png "$live"
shot 400x800 "http://127.0.0.1:$port/?sym=BTC-USDT" docs/dashboard-phone.png "$live"
wait "$feeder"

# The stalled feed: STALLED after 3 minutes without a line
left=$((stalled_at + 200 - $(date +%s)))
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
