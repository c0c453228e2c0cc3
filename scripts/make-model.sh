#!/bin/sh
# Rebuild the shipped models from the real Binance 1-minute candles in
# ../shared/data (see its README): model/default.json (every feature) and
# model/default-price.json (the same rows without the volume features, for
# sources without volume), each chosen among candidates by its validation
# period alone.  scripts/make-vectors.sh turns each candle file into bar
# ticks at the bar's close (t = (ts + 60) * 1000, px = close, o, h, l,
# vol = volume), then labelled feature vectors, one file at a time because
# the files are separate periods.  Train and validate on 2021-2023 (validation = the
# latest 15 % by time), test on 2024 (both symbols): the split is by time
# and the test rows are never seen in training.
#
# The candidates, for each of the two models: MLP and boosted trees, each
# on every feature set below, all calibrated (Platt, on the validation
# rows).  The one with the lowest validation log-loss is shipped, whatever
# the test rows say; then every candidate is scored on the 2024 test rows
# (scripts/eval-model.sh) and compared, paired on the same rows, with
# today's model (the MLP on the 11 features, uncalibrated: the model
# shipped before calibration and trees) by cmt-backtest --vs.  All of it
# goes to model/candidates.txt; the shipped models' reports to
# model/NAME.test.txt.  The commands are recorded in the model cards.
# Usage: sh scripts/make-model.sh [BUILD_DIR]
# Environment: CMT_DATA (../shared/data), CMT_MODEL_DIR (model), CMT_SEED (1).
set -eu
O=${1:-build}
BIN=$(cd "$O/bin" && pwd)
DATA=${CMT_DATA:-../shared/data}
SEED=${CMT_SEED:-1}
OUT=${CMT_MODEL_DIR:-model}
# the feature sets the candidates are trained on: name, id, and -w for
# the base widened with every extension part (cmt-features --wide)
SETS=${CMT_MODEL_SETS:-base wide}
FS_base='cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20'
WIDE_base=
FS_wide=$FS_base
WIDE_wide=-w
# features a price-only model leaves out, and those a trees model may see
# null (long windows, null for their first day; an MLP skips those rows)
VOLUME_base=vol_trend
LONG_base=
VOLUME_wide=vol_trend,volz_1h
LONG_wide=dhi_1d,dlo_1d,ret_1d,rv_1d
KINDS='mlp trees'

if [ ! -d "$DATA/btc_1m" ] || [ ! -d "$DATA/eth_1m" ]; then
	echo "make-model: $DATA/btc_1m and $DATA/eth_1m are needed" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cmt-model.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# vectors SET: $work/SET/{train,test}.ndjson and pipeline.txt
vectors() {
	eval "fs=\$FS_$1 wide=\$WIDE_$1"
	# shellcheck disable=SC2086 # $wide is -w or nothing
	sh scripts/make-vectors.sh -b "$O" -f "$fs" $wide "$work/$1" > /dev/null
	echo "make-model: vectors of the $1 set made" >&2
}

VERSION=$(sed -n 's/^VERSION *= *//p' Makefile)
SOURCE="Binance spot 1-minute candles, BTC/USDT and ETH/USDT (../shared/data, see its README). Train and validation: the 2021, 2022 and 2023 files of both symbols (2021-03-26 to 2023-11-10, validation = latest 15% by time); test: the 2024 files (BTC 2024-02-12 to 2024-03-17, ETH 2024-05-01 to 2024-06-04), never seen in training"

# the member KEY of the card's object OBJ in model file FILE (cJSON's
# layout: one member a line)
card() {
	awk -v obj="\"$2\":" -v key="\"$3\":" '
		index($0, obj) { inside = 1; next }
		inside && index($0, key) {
			v = substr($0, index($0, key) + length(key))
			gsub(/[^0-9.eE+-]/, "", v)
			print v
			exit
		}
		inside && /}/ { inside = 0 }' "$1"
}

# train ID TARGET SET KIND [more cmt-train options]
train() {
	id=$1 target=$2 set=$3 kind=$4
	shift 4
	eval "fs=\$FS_$set vol=\$VOLUME_$set long=\$LONG_$set"
	set -- "$@" -k "$kind"
	[ "$target" = default-price ] && set -- "$@" --exclude "$vol"
	[ "$kind" = trees ] && [ -n "$long" ] && set -- "$@" --nullable "$long"
	pipeline="sh scripts/make-model.sh (cmt $VERSION): $(cat "$work/$set/pipeline.txt"); then the command above; chosen among candidates by the validation log-loss (model/candidates.txt)"
	# run from the set's directory, so the recorded command has no temp
	# paths
	(cd "$work/$set" && "$BIN/cmt-train" -o "$target.json" \
		-n "$target" "$@" --horizon 60s --test test.ndjson \
		--seed "$SEED" --source "$SOURCE" --pipeline "$pipeline" \
		train.ndjson) 2> "$work/$id.log" ||
		{ cat "$work/$id.log" >&2; exit 1; }
	mv "$work/$set/$target.json" "$work/$id.json"
	sh scripts/eval-model.sh "$O" "$work/$id.json" "$work/$id.test.txt" \
		"$work/$id.pred"
	echo "make-model: trained and scored $id" >&2
}

for set in $SETS; do
	vectors "$set"
done
{
	echo "# sh scripts/make-model.sh: the candidates for each shipped model,"
	echo "# chosen by the validation log-loss alone (lowest; the validation"
	echo "# rows: the latest 15 % of 2021-2023), then all scored on the 2024"
	echo "# test rows and compared there, paired, with today's model (the MLP"
	echo "# on the base set, uncalibrated, as shipped before), by"
	echo "# cmt-backtest --vs: candidate minus today's."
} > "$work/candidates.txt"
for target in default default-price; do
	train "$target.today" "$target" base mlp --no-calibration
	best= bestll=
	{
		echo
		echo "== $target"
		printf "%-22s %9s %8s | %9s %8s | %10s %8s %11s %8s\n" candidate \
			"val ll" "val AUC" "test ll" "test AUC" "dAUC" "p" \
			"dlog-loss" "p"
	} >> "$work/candidates.txt"
	for set in $SETS; do
		for kind in $KINDS; do
			id=$target.$set.$kind
			train "$id" "$target" "$set" "$kind"
			ll=$(card "$work/$id.json" validation_metrics logloss)
			auc=$(card "$work/$id.json" validation_metrics auc)
			tll=$(card "$work/$id.json" model logloss)
			tauc=$(card "$work/$id.json" model auc)
			if [ -z "$best" ] || awk -v a="$ll" -v b="$bestll" \
			    'BEGIN { exit !(a < b) }'; then
				best=$id bestll=$ll
			fi
			vs=$("$BIN/cmt-backtest" --json --vs "$work/$target.today.pred" \
				"$work/$id.pred" | sed -e 's/.*"diff":{//' \
				-e 's/"auc":{"diff":\([^,]*\),.*"p":\([^,]*\),"method":"paired DeLong"},"logloss":{"diff":\([^,]*\),.*"p":\([^,]*\),"method":"mean of per-row differences, normal interval"},"brier".*/\1 \2 \3 \4/')
			echo "$id $ll $auc $tll $tauc $vs" | awk '{ printf "%-22s %9.6f %8.5f | %9.6f %8.5f | %+10.5f %8.3g %+11.6f %8.3g\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' \
				>> "$work/candidates.txt"
		done
	done
	echo "shipped: $best (lowest validation log-loss)" >> "$work/candidates.txt"
	mv "$work/$best.json" "$OUT/$target.json"
	mv "$work/$best.test.txt" "$OUT/$target.test.txt"
	echo "make-model: shipped $best as $OUT/$target.json" >&2
done
mv "$work/candidates.txt" "$OUT/candidates.txt"
cat "$OUT/candidates.txt" >&2
