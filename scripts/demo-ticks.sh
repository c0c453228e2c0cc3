#!/bin/sh
# Make the demo's recorded tick file if it is not there yet, and print its
# path.  $1 is the build directory, $2 the kind:
#   real (default)  REAL market data: the bundled sample data/demo/*.csv.gz,
#                   Binance spot 1-minute candles of BTC/USDT (2024-03-04 to
#                   2024-03-10) and ETH/USDT (2024-05-20 to 2024-05-26),
#                   from the shipped model's 2024 test period, never its
#                   training period.  Each bar becomes one tick at its
#                   close (t = open time + 60 s, px = close, o, h, l =
#                   the bar's open, high and low, vol = its volume),
#                   by scripts/candle-ticks.awk, the conversion `make
#                   model` uses, marked src "binance".
#   sim             SIMULATED ticks: cmt-sim, a random walk with GARCH(1,1)
#                   volatility (seed 42), BTC-USD and ETH-USD, 3 days from
#                   2024-03-01, a tick every 5 s on average.
# Both are recorded gzip-compressed exactly as `cmt-fetch | tee` would
# record live ticks.
set -eu
O=${1:-build}
kind=${2:-real}
dir="$O/demo"
mkdir -p "$dir"
case $kind in
real)
	ticks="$dir/ticks-binance-2024.ndjson.gz"
	# made again when missing, or made before the ticks kept the bars'
	# range (the shipped models read it)
	if [ ! -s "$ticks" ] || ! gzip -dc "$ticks" | head -n 1 | grep -q '"o":'; then
		echo "demo: real Binance 1-minute bars (data/demo, 2024 test period) -> $ticks" >&2
		for f in data/demo/btcusdt_1m_*.csv.gz data/demo/ethusdt_1m_*.csv.gz; do
			case $f in
			*btcusdt*) sym=BTC-USDT ;;
			*) sym=ETH-USDT ;;
			esac
			gzip -dc "$f" |
				awk -F, -v sym="$sym" -f scripts/candle-ticks.awk
		done | sed 's/}$/,"src":"binance"}/' | gzip -c > "$ticks.tmp"
		mv "$ticks.tmp" "$ticks"
	fi
	;;
sim)
	ticks="$dir/ticks-simulated.ndjson.gz"
	if [ ! -s "$ticks" ]; then
		echo "demo: simulating ticks (GBM + GARCH(1,1), seed 42; NOT market data) -> $ticks" >&2
		"$O/bin/cmt-sim" --symbols BTC-USD,ETH-USD --start 2024-03-01 \
			--duration 3d --every 5s --seed 42 | gzip -c > "$ticks.tmp"
		mv "$ticks.tmp" "$ticks"
	fi
	;;
*)
	echo "demo-ticks: unknown kind '$kind' (real or sim)" >&2
	exit 2
	;;
esac
echo "$ticks"
