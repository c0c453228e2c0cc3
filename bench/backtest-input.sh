#!/bin/sh
# The prediction lines the cmt-backtest benches read, made once: ~1M lines
# (simulated ticks -> cmt-features --label, p_up drawn by awk with four
# decimals) in bench/out/backtest-pred.ndjson; prints the path.
set -eu
BIN=$1
out=bench/out
mkdir -p "$out"
f="$out/backtest-pred.ndjson"
if [ ! -s "$f" ]; then
	"$BIN/cmt-sim" --symbols BTC-USD,ETH-USD --count 1000000 --every 1s \
		--regular --seed 7 |
		"$BIN/cmt-features" --step 1s --label 1s -q |
		awk 'BEGIN { srand(7) } { sub(/}$/, sprintf(",\"p_up\":%.4f,\"model\":\"bench\"}", rand())); print }' > "$f"
fi
echo "$f"
