#!/bin/sh
# Labelled feature vectors from the real Binance 1-minute candles in
# ../shared/data (see its README), for training and testing models.  Each
# candle file becomes bar ticks at the bar's close (t = (ts + 60) * 1000,
# px = close, o, h, l = the bar's open, high, low, vol = volume), then
# cmt-features --label 60s, one file at a time because the files are
# separate periods.  The 2021-2023 files of both symbols go to
# OUT/train.ndjson (cmt-train takes its validation from their latest 15%
# by time), the 2024 files to OUT/test.ndjson: the split is by time and no
# test row is ever trained on.  OUT/pipeline.txt says what was run (the
# model cards quote it); the feature-set id is printed on stdout.
#
# Usage: sh scripts/make-vectors.sh [-b BUILD] [-f FEATURE_SET] [-w] OUT
#   -b BUILD  the build directory holding bin/ (build)
#   -f FS     the feature-set id (default: the shipped models' set,
#             cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;
#             bb=20/2;mom=10;vt=5/20)
#   -w        widen it with every extension part not in it (cmt-features
#             --wide: range volatility, candle, volume z-score, scaled
#             returns, rolling high and low, 4h and 1d windows, calendar)
# Environment: CMT_DATA (../shared/data).
set -eu
usage() {
	echo "usage: sh scripts/make-vectors.sh [-b BUILD] [-f FEATURE_SET] [-w] OUT" >&2
	exit 2
}
O=build
FS='cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20'
WIDE=
while getopts b:f:w opt; do
	case $opt in
	b) O=$OPTARG ;;
	f) FS=$OPTARG ;;
	w) WIDE=--wide ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
OUT=$1
BIN=$(cd "$O/bin" && pwd)
DATA=${CMT_DATA:-../shared/data}

if [ ! -d "$DATA/btc_1m" ] || [ ! -d "$DATA/eth_1m" ]; then
	echo "make-vectors: $DATA/btc_1m and $DATA/eth_1m are needed" >&2
	exit 1
fi
mkdir -p "$OUT"
: > "$OUT/train.ndjson"
: > "$OUT/test.ndjson"

# ts,open,high,low,close,volume -> bar ticks stamped at the bar's close
TOTICKS=$(cd "$(dirname "$0")" && pwd)/candle-ticks.awk
FEATURES="cmt-features --feature-set '$FS'${WIDE:+ $WIDE} --label 60s --quiet"

for f in "$DATA"/btc_1m/*.csv "$DATA"/eth_1m/*.csv; do
	case $f in
	*btc*) sym=BTC-USDT ;;
	*) sym=ETH-USDT ;;
	esac
	year=$(basename "$f" .csv | sed 's/.*_//')
	case $year in
	2024) part=test ;;
	*) part=train ;;
	esac
	# shellcheck disable=SC2086 # $WIDE is one word or none
	awk -F, -v sym="$sym" -f "$TOTICKS" "$f" |
		"$BIN/cmt-features" --feature-set "$FS" $WIDE --label 60s --quiet \
		>> "$OUT/$part.ndjson"
	echo "make-vectors: $f -> $part ($sym)" >&2
done

echo "for each ../shared/data/{btc,eth}_1m/*.csv, 'awk -F, -v sym=BTC-USDT|ETH-USDT -f scripts/candle-ticks.awk FILE | $FEATURES' (bar ticks at the bar's close: t = (ts + 60) * 1000, px = close, o, h, l, vol), appending the 2021-2023 files to train.ndjson and the 2024 files to test.ndjson" > "$OUT/pipeline.txt"
# the id the vectors carry (canonical, widened if asked)
head -n 1 "$OUT/train.ndjson" | sed 's/.*"fs":"\([^"]*\)".*/\1/'
