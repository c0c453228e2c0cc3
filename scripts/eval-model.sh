#!/bin/sh
# Score a model on the shipped model's test period exactly as a user would:
# the 2024 candle files of ../shared/data (never seen in training) become
# bar ticks at each bar's close (scripts/candle-ticks.awk: the close, the
# bar's open, high and low, the volume), then `cmt-features --model M --label 60s |
# cmt-predict -m M | cmt-backtest`.  The report is what README and the man
# pages quote: the model beside the majority, last-return and reversal
# baselines,
# both taken on the test rows themselves.
# Usage: sh scripts/eval-model.sh BUILD_DIR MODEL [REPORT [PREDICTIONS]]
# PREDICTIONS keeps cmt-predict's output (for cmt-backtest --vs).
# Environment: CMT_DATA (../shared/data).
set -eu
O=$1
MODEL=$2
REPORT=${3:-/dev/stdout}
PRED=${4:-/dev/null}
BIN=$(cd "$O/bin" && pwd)
DATA=${CMT_DATA:-../shared/data}
TOTICKS=$(cd "$(dirname "$0")" && pwd)/candle-ticks.awk

for f in "$DATA"/btc_1m/*_2024.csv "$DATA"/eth_1m/*_2024.csv; do
	[ -f "$f" ] || { echo "eval-model: $f is missing" >&2; exit 1; }
done
{
	echo "# sh scripts/eval-model.sh BUILD $(basename "$MODEL"): the 2024 test files of"
	echo "# ../shared/data through cmt-features --model M --label 60s | cmt-predict -m M | cmt-backtest"
	for f in "$DATA"/btc_1m/*_2024.csv "$DATA"/eth_1m/*_2024.csv; do
		case $f in
		*btc*) sym=BTC-USDT ;;
		*) sym=ETH-USDT ;;
		esac
		awk -F, -v sym="$sym" -f "$TOTICKS" "$f" |
			"$BIN/cmt-features" --model "$MODEL" --label 60s --quiet
	done | "$BIN/cmt-predict" -m "$MODEL" | tee "$PRED" | "$BIN/cmt-backtest"
} > "$REPORT"
