#!/bin/sh
# Make the demo's recorded tick file if it is not there yet, and print its
# path.  The ticks are SIMULATED, not market data: cmt-sim draws log-prices
# from a random walk with GARCH(1,1) volatility clustering (seed 42, so
# every run gives the same file): BTC-USD and ETH-USD, 3 days from
# 2024-03-01 with a tick every 5 s on average, recorded gzip-compressed
# exactly as `cmt-fetch | tee` would record live ticks.
set -eu
O=${1:-build}
dir="$O/demo"
ticks="$dir/ticks-simulated.ndjson.gz"
mkdir -p "$dir"
if [ ! -s "$ticks" ]; then
	echo "demo: simulating ticks (GBM + GARCH(1,1), seed 42; NOT market data) -> $ticks" >&2
	"$O/bin/cmt-sim" --symbols BTC-USD,ETH-USD --start 2024-03-01 \
		--duration 3d --every 5s --seed 42 | gzip -c > "$ticks.tmp"
	mv "$ticks.tmp" "$ticks"
fi
echo "$ticks"
