#!/bin/sh
# Remake the pictures in docs/ from real Binance minutes in ../shared/data
# (through temporary files; the data is never copied into the project):
#   docs/dashboard-wide.png   1400x900, the dashboard in headless Chromium
#   docs/dashboard-phone.png  400x800
#   docs/backtest.png         cmt-backtest --plot-png on the 2024 test files
# Usage: sh scripts/screenshots.sh [BUILD_DIR]   (after make)
set -eu
O=${1:-build}
ROOT=$(pwd)
PATH="$ROOT/$O/bin:$PATH"
DATA=${CMT_DATA:-$ROOT/../shared/data}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cmt-shots.XXXXXX")
sse=
cleanup() {
	[ -z "$sse" ] || kill "$sse" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# ts,open,high,low,close,volume -> ticks at the bar's close (as make model)
ticks() {  # FILE SYM FROM_EPOCH_S HOURS
	awk -F, -v sym="$2" -v a="$3" -v b="$(($3 + $4 * 3600))" \
		'NR > 1 && $1 >= a && $1 < b { printf "{\"t\":%d000,\"sym\":\"%s\",\"px\":%s,\"vol\":%s,\"src\":\"binance\"}\n", $1 + 60, sym, $5, $6 }' "$1"
}

# The dashboard: 2024-03-05 01:00-09:00 UTC of BTC (the morning's drop and
# rebound) and 2024-05-20 04:00-12:00 UTC of ETH (the ETF spike), each
# through the live pipeline: unlabelled forecasts scored one minute later.
ticks "$DATA/btc_1m/btcusdt_binance_1m_2024.csv" BTC-USDT 1709600400 8 > "$tmp/btc"
ticks "$DATA/eth_1m/ethusdt_binance_1m_2024.csv" ETH-USDT 1716177600 8 > "$tmp/eth"
for s in btc eth; do
	cmt-features --model default -q "$tmp/$s" | cmt-predict |
		cmt-backtest --follow --horizon 1m --pass --window 200 --every 5m
done > "$tmp/stream"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkfifo "$tmp/in"
cmt-sse --port "$port" --backlog 8192 < "$tmp/in" 2>/dev/null &
sse=$!
exec 3> "$tmp/in"
n=$(wc -l < "$tmp/stream")
head -n $((n - 40)) "$tmp/stream" >&3
# the last lines arrive live while the pictures are taken
( tail -n 40 "$tmp/stream" | while IFS= read -r l; do
	printf '%s\n' "$l"; sleep 0.6; done >&3 ) &
feeder=$!
sleep 1
mkdir -p docs
# (once the backlog's burst has left the 5 s events/s window)
live='Number(document.getElementById("rate").textContent) < 5'
python3 tests/cli/dashboard.py --size 1400x900 --screenshot docs/dashboard-wide.png \
	--until "$live" "http://127.0.0.1:$port/" $((n - 40)) 60 > /dev/null
python3 tests/cli/dashboard.py --size 400x800 --screenshot docs/dashboard-phone.png \
	--until "$live" "http://127.0.0.1:$port/" $((n - 40)) 60 > /dev/null
wait "$feeder"

# The report: the shipped model on its 2024 test files (BTC Feb-Mar, ETH
# May-Jun), labelled one minute ahead.
for f in "$DATA"/btc_1m/btcusdt_binance_1m_2024.csv "$DATA"/eth_1m/ethusdt_binance_1m_2024.csv; do
	case $f in *btc*) s=BTC-USDT ;; *) s=ETH-USDT ;; esac
	ticks "$f" "$s" 0 1000000 | cmt-features --model default --label 60s -q | cmt-predict
done > "$tmp/pred"
cmt-backtest --plot-png docs/backtest.png "$tmp/pred" > /dev/null
ls -l docs/dashboard-wide.png docs/dashboard-phone.png docs/backtest.png
