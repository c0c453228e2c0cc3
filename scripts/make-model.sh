#!/bin/sh
# Rebuild the shipped models from the real Binance 1-minute candles in
# ../shared/data (see its README): model/default.json (every feature) and
# model/default-price.json (the same rows and training without vol_trend,
# for sources without volume).  scripts/make-vectors.sh turns each candle
# file into bar ticks at the bar's close (t = (ts + 60) * 1000, px = close,
# o, h, l, vol = volume), then labelled feature vectors, one file at a time
# because the files are separate periods.  Train and validate on 2021-2023,
# test on 2024 (both symbols): the split is by time and the test rows are
# never seen in training.  The commands are recorded in the model cards.
# Usage: sh scripts/make-model.sh [BUILD_DIR]
# Environment: CMT_DATA (../shared/data), CMT_MODEL_DIR (model), CMT_SEED (1).
set -eu
O=${1:-build}
BIN=$(cd "$O/bin" && pwd)
DATA=${CMT_DATA:-../shared/data}
FS='cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20'
SEED=${CMT_SEED:-1}
OUT=${CMT_MODEL_DIR:-model}

if [ ! -d "$DATA/btc_1m" ] || [ ! -d "$DATA/eth_1m" ]; then
	echo "make-model: $DATA/btc_1m and $DATA/eth_1m are needed" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cmt-model.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# the labelled vectors: train.ndjson (2021-2023), test.ndjson (2024)
sh scripts/make-vectors.sh -b "$O" -f "$FS" "$work" > /dev/null

VERSION=$(sed -n 's/^VERSION *= *//p' Makefile)
PIPELINE="sh scripts/make-model.sh (cmt $VERSION): sh scripts/make-vectors.sh -f '$FS' DIR, that is, $(cat "$work/pipeline.txt"); then the command above"
SOURCE="Binance spot 1-minute candles, BTC/USDT and ETH/USDT (../shared/data, see its README). Train and validation: the 2021, 2022 and 2023 files of both symbols (2021-03-26 to 2023-11-10, validation = latest 15% by time); test: the 2024 files (BTC 2024-02-12 to 2024-03-17, ETH 2024-05-01 to 2024-06-04), never seen in training"

# run from the work directory so the recorded command has no temp paths
case $OUT in
/*) ;;
*) OUT=$(pwd)/$OUT ;;
esac
mkdir -p "$OUT"
for name in default default-price; do
	case $name in
	default-price) exclude='--exclude vol_trend' ;;
	*) exclude= ;;
	esac
	# shellcheck disable=SC2086 # $exclude is two words or none
	(cd "$work" && "$BIN/cmt-train" -o "$name.json" -n "$name" $exclude \
		--horizon 60s --test test.ndjson --seed "$SEED" \
		--source "$SOURCE" --pipeline "$PIPELINE" train.ndjson)
	mv "$work/$name.json" "$OUT/$name.json"
	echo "make-model: wrote $OUT/$name.json" >&2
	# the figures README quotes: cmt-backtest on the test rows
	sh scripts/eval-model.sh "$O" "$OUT/$name.json" "$OUT/$name.test.txt"
	echo "make-model: wrote $OUT/$name.test.txt" >&2
done
