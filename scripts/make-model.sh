#!/bin/sh
# Rebuild the shipped models from the real Binance 1-minute candles in
# ../shared/data (see its README): model/default.json (every feature) and
# model/default-price.json (the same rows without the volume features, for
# sources without volume), each chosen among candidates by its validation
# period alone.  scripts/make-vectors.sh turns each candle file into bar
# ticks at the bar's close (t = (ts + 60) * 1000, px = close, o, h, l,
# vol = volume), then labelled feature vectors, one file at a time because
# the files are separate periods.  Train and validate on 2021-2023
# (validation = the latest 15 % by time), test on 2024 (both symbols): the
# split is by time and the test rows are never seen in training.
#
# The candidates, for each of the two models: MLP and boosted trees, each
# on every feature set below, all calibrated (Platt, on the validation
# rows).  The one with the lowest validation log-loss among the sets
# eligible to ship (CMT_SHIP_SETS, 'base') is shipped, whatever the test
# rows say.  The wide set is trained and scored beside them but is not
# eligible, for two reasons that do not come from its test figures: its
# vectors carry 38 numbers instead of 11, which halves the pipeline
# (0.57 M vectors/s a core against the 1 M/s the tools keep); and it
# reads each bar's range, which the default source (CoinGecko's polled
# closes) does not give, so its forecasts there are worse than the
# majority's (docs/models.md).  Then every candidate is scored on the 2024 test
# rows (scripts/eval-model.sh, as a user would) and compared with today's
# model (the MLP on the base set, uncalibrated: the model shipped before
# calibration and trees) and the three baselines, all on the same rows:
# those every candidate scores, matched by symbol and t (an MLP on the
# wide set needs its day-long inputs, so it skips each test file's first
# day); cmt-backtest --vs gives the paired differences.  All of it goes to
# model/candidates.txt; the shipped models' reports, with their paired
# comparison with today's model on every row both score, to
# model/NAME.test.txt.  The commands are recorded in the model cards.
# Usage: sh scripts/make-model.sh [BUILD_DIR]
# Environment: CMT_DATA (../shared/data), CMT_MODEL_DIR (model), CMT_SEED
# (1), CMT_MODEL_SETS (the feature sets trained: 'base wide'),
# CMT_SHIP_SETS (those of them eligible to ship: 'base').
set -eu
O=${1:-build}
BIN=$(cd "$O/bin" && pwd)
DATA=${CMT_DATA:-../shared/data}
SEED=${CMT_SEED:-1}
OUT=${CMT_MODEL_DIR:-model}
# the feature sets the candidates are trained on: name, id, and -w for
# the base widened with every extension part (cmt-features --wide)
SETS=${CMT_MODEL_SETS:-base wide}
SHIP_SETS=${CMT_SHIP_SETS:-base}
eligible() {
	case " $SHIP_SETS " in *" $1 "*) return 0 ;; esac
	return 1
}
FS_base='cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20'
WIDE_base=
FS_wide=$FS_base
WIDE_wide=-w
# features a price-only model leaves out, and those a trees model may see
# null: the windows longer than the base set's 1h warm-up (4h, 1d), null
# for that long after a start, longer than cmt-fetch's 2h warm start; the
# trees score them null along the branches they learnt for missing
# values, so forecasts come once the base warm-up is met (an MLP skips
# the rows where they are null)
VOLUME_base=vol_trend
LONG_base=
VOLUME_wide=vol_trend,volz_1h
LONG_wide=dhi_4h,dlo_4h,ret_4h,rv_4h,dhi_1d,dlo_1d,ret_1d,rv_1d
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

# the keys (symbol and t) of the rows that have p_up in every one of the
# prediction files given
common_keys() {
	awk '
		FNR == 1 { nf++ }
		/"p_up":/ {
			match($0, /"t":[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4)
			match($0, /"sym":"[^"]*"/); s = substr($0, RSTART + 7, RLENGTH - 8)
			if (seen[s " " t] == nf - 1) seen[s " " t] = nf
		}
		END { for (k in seen) if (seen[k] == nf) print k }' "$@"
}

# the lines of predictions PRED whose key is in KEYS
only_keys() {
	awk 'NR == FNR { keep[$1 " " $2] = 1; next }
		{
			match($0, /"t":[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4)
			match($0, /"sym":"[^"]*"/); s = substr($0, RSTART + 7, RLENGTH - 8)
			if ((s " " t) in keep) print
		}' "$1" "$2"
}

# cmt-backtest's figures for PRED, all symbols: the rows scored, then the
# log-loss and AUC of the model, majority, last return and reversal
scores() {
	"$BIN/cmt-backtest" --json "$1" |
		sed -e 's/.*"overall":{//' -e 's/"symbols":.*//' | awk '{
		n = split("model majority last_return reversal", who, " ")
		for (i = 1; i <= n; i++) {
			s = substr($0, index($0, "\"" who[i] "\":{"))
			s = substr(s, 1, index(s, "}"))
			match(s, /"n":[0-9]+/); rows = substr(s, RSTART + 4, RLENGTH - 4)
			match(s, /"logloss":[^,}]+/); ll = substr(s, RSTART + 10, RLENGTH - 10)
			match(s, /"auc":[^,}]+/); auc = substr(s, RSTART + 6, RLENGTH - 6)
			out = (i == 1 ? rows : out) " " ll " " auc
		}
		print out }'
}

# cmt-backtest --vs OTHER PRED: the differences in AUC and log-loss, each
# with its p
paired() {
	"$BIN/cmt-backtest" --json --vs "$1" "$2" | sed -e 's/.*"diff":{//' \
		-e 's/"auc":{"diff":\([^,]*\),.*"p":\([^,]*\),"method":"paired DeLong"},"logloss":{"diff":\([^,]*\),.*"p":\([^,]*\),"method":"mean of per-row differences, normal interval"},"brier".*/\1 \2 \3 \4/'
}

# one line of the table: the candidate, its validation log-loss and AUC,
# its test log-loss and AUC, then dAUC, p, dlog-loss, p ("-" for none)
row() {
	awk -v fmt='%-26s %9s %8s | %9s %8s | %10s %8s %11s %8s\n' \
		-v a="$1" -v b="$2" -v c="$3" -v d="$4" -v e="$5" -v f="$6" \
		-v g="$7" -v h="$8" -v i="$9" 'function num(x, spec) {
			return x == "-" ? "-" : sprintf(spec, x)
		}
		BEGIN {
			printf fmt, a, num(b, "%.6f"), num(c, "%.5f"), num(d, "%.6f"),
			    num(e, "%.5f"), num(f, "%+.5f"), num(g, "%.3g"),
			    num(h, "%+.6f"), num(i, "%.3g")
		}'
}
# table TARGET SHIPPED: TARGET's candidates (today's model first), on the
# test rows every one of them scores, beside the baselines there
table() {
	(cd "$work" && table_in "$@")
}
table_in() {
	target=$1 shipped=$2
	ids="$target.today"
	for set in $SETS; do
		for kind in $KINDS; do
			ids="$ids $target.$set.$kind"
		done
	done
	# shellcheck disable=SC2046 # the ids are words
	common_keys $(for id in $ids; do echo "$id.pred"; done) > "$target.keys"
	for id in $ids; do
		only_keys "$target.keys" "$id.pred" > "$id.common"
	done
	set -- $(scores "$target.today.pred")
	all=$1
	set -- $(scores "$target.today.common")
	echo
	echo "== $target"
	echo "# $target.today: the MLP on the base set, uncalibrated (as shipped"
	echo "# before); test: the $1 rows every candidate scores, of the $all"
	echo "# 2024 rows with a label (up or down) that today's model scores"
	printf '%-26s %9s %8s | %9s %8s | %10s %8s %11s %8s\n' candidate \
		"val ll" "val AUC" "test ll" "test AUC" "dAUC" "p" "dlog-loss" "p"
	for id in $ids; do
		vs="- - - -"
		[ "$id" = "$target.today" ] ||
			vs=$(paired "$target.today.common" "$id.common")
		# shellcheck disable=SC2086 # the figures are words
		row "$id" "$(card "$id.json" validation_metrics logloss)" \
			"$(card "$id.json" validation_metrics auc)" \
			$(scores "$id.common" | cut -d' ' -f2,3) $vs
	done
	# shellcheck disable=SC2046 # the figures are words
	set -- $(scores "$target.today.common")
	row "baseline: majority" - - "$4" "$5" - - - -
	row "baseline: last return" - - "$6" "$7" - - - -
	row "baseline: reversal" - - "$8" "$9" - - - -
	echo "# each on every test row it scores (rows, log-loss, AUC)"
	for id in $ids; do
		set -- $(scores "$id.pred")
		printf "%-26s %6d rows %9.6f %8.5f\n" "$id" "$1" "$2" "$3"
	done
	echo "shipped: $shipped (lowest validation log-loss among the sets eligible to ship: $SHIP_SETS)"
}

for set in $SETS; do
	vectors "$set"
done
{
	echo "# sh scripts/make-model.sh: the candidates for each shipped model,"
	echo "# chosen by the validation log-loss alone (lowest; the validation"
	echo "# rows: the latest 15 % of 2021-2023), then all scored on the 2024"
	echo "# test rows, each as a user would (scripts/eval-model.sh), and"
	echo "# compared there on the same rows (matched by symbol and t):"
	echo "# log-loss and AUC beside the three baselines (majority, last return,"
	echo "# reversal), and dAUC (paired DeLong) and dlog-loss, each with its"
	echo "# two-sided p, of the candidate minus today's model (the MLP on the"
	echo "# base set, uncalibrated, as shipped before), by cmt-backtest --vs."
	echo "# Eligible to ship: the candidates on the sets '$SHIP_SETS'; the others"
	echo "# are scored for comparison (why: scripts/make-model.sh, docs/models.md)."
} > "$work/candidates.txt"
for target in default default-price; do
	train "$target.today" "$target" base mlp --no-calibration
	best= bestll=
	for set in $SETS; do
		for kind in $KINDS; do
			id=$target.$set.$kind
			train "$id" "$target" "$set" "$kind"
			eligible "$set" || continue
			ll=$(card "$work/$id.json" validation_metrics logloss)
			if [ -z "$best" ] || awk -v a="$ll" -v b="$bestll" \
			    'BEGIN { exit !(a < b) }'; then
				best=$id bestll=$ll
			fi
		done
	done
	table "$target" "$best" >> "$work/candidates.txt"
	{
		echo
		echo "# paired with today's model (the MLP on the base set, uncalibrated) on"
		echo "# every row both score: cmt-backtest --vs $target.today.pred $best.pred"
		(cd "$work" && "$BIN/cmt-backtest" --vs "$target.today.pred" "$best.pred")
	} >> "$work/$best.test.txt"
	[ -n "$best" ] || {
		echo "make-model: no candidate on a set eligible to ship (CMT_SHIP_SETS '$SHIP_SETS', CMT_MODEL_SETS '$SETS')" >&2
		exit 1
	}
	mv "$work/$best.json" "$OUT/$target.json"
	mv "$work/$best.test.txt" "$OUT/$target.test.txt"
	echo "make-model: shipped $best as $OUT/$target.json" >&2
done
# the pair reads the same vectors (cmt-features --model default makes them)
fs_of() { sed -n 's/^[[:space:]]*"feature_set":[[:space:]]*"\(.*\)",$/\1/p' "$1"; }
if [ "$(fs_of "$OUT/default.json")" != "$(fs_of "$OUT/default-price.json")" ]; then
	echo "make-model: default and default-price were chosen on different feature sets; cmt-predict's default pair scores the vectors of default's set, so choose one set for both (CMT_MODEL_SETS)" >&2
	exit 1
fi
mv "$work/candidates.txt" "$OUT/candidates.txt"
cat "$OUT/candidates.txt" >&2
