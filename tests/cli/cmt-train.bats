#!/usr/bin/env bats
# cmt-train: time-split training with a model card and baselines.
load helper
bats_require_minimum_version 1.5.0

# n labelled rows, one minute apart; y = [a - 0.5 c + 0.3 g + noise > 0]
# (or a coin flip with shuffle=1), fs given, noise of the given width.
gen() {
	awk -v n="$1" -v seed="${2:-1}" -v shuffle="${3:-0}" -v fs="${4:-test1;step=1m}" -v noise="${5:-0.05}" '
	BEGIN {
		srand(seed)
		split("a b c d e f g h i j k", nm, " ")
		for (i = 0; i < n; i++) {
			s = 0
			line = sprintf("{\"t\":%.0f,\"sym\":\"BTC-USD\",\"px\":100,\"fs\":\"%s\",\"f\":{", 1700000000000 + i * 60000, fs)
			for (j = 1; j <= 11; j++) {
				x = rand() * 2 - 1
				if (j == 1) s += x; if (j == 3) s -= 0.5 * x; if (j == 7) s += 0.3 * x
				line = line sprintf("%s\"%s\":%.6f", j > 1 ? "," : "", nm[j], x)
			}
			y = s + noise * (rand() - 0.5) > 0 ? 1 : 0
			if (shuffle) y = rand() < 0.5 ? 1 : 0
			print line "},\"y\":" y "}"
		}
	}'
}

@test "help and version exit 0; -o is required" {
	run cmt-train --help
	assert_success
	assert_output --partial "Usage: cmt-train"
	run cmt-train --version
	assert_success
	run cmt-train < /dev/null
	assert_failure 2
	assert_output --partial "-o"
}

@test "learns a separable set and reports test scores beside both baselines" {
	gen 4000 > "$TMP/rows"
	run cmt-train -o "$TMP/m.json" --lr 0.01 "$TMP/rows"
	assert_success
	assert_output --partial "epoch   1  train loss"
	assert_output --partial "majority (train)"
	assert_output --partial "last return (train)"
	assert_output --partial "reversal (train)"
	acc=$(awk '$1 == "mlp" { print $2 }' <<< "$output")
	awk -v a="$acc" 'BEGIN { exit !(a > 0.95) }'
	grep -q '"test_metrics"' "$TMP/m.json"
	grep -q '"baselines_fitted_on_train"' "$TMP/m.json"
	grep -q '"reversal"' "$TMP/m.json"
	grep -q '"name": "m"' "$TMP/m.json"
	# and the model scores new rows of the same feature set
	gen 10 7 | cmt-predict -m "$TMP/m.json" | grep -c '"p_up":' | grep -qx 10
}

@test "shuffled labels stay near a coin flip" {
	gen 4000 2 1 > "$TMP/rows"
	run cmt-train -q -o "$TMP/m.json" --lr 0.01 "$TMP/rows"
	assert_success
	acc=$(awk '$1 == "mlp" { print $2 }' <<< "$output")
	awk -v a="$acc" 'BEGIN { exit !(a > 0.42 && a < 0.58) }'
}

@test "the same seed gives the same model file" {
	gen 1500 > "$TMP/rows"
	cmt-train -q -o "$TMP/m.json" --seed 9 --epochs 5 "$TMP/rows" 2>/dev/null
	mv "$TMP/m.json" "$TMP/first.json"
	cmt-train -q -o "$TMP/m.json" --seed 9 --epochs 5 "$TMP/rows" 2>/dev/null
	cmp "$TMP/first.json" "$TMP/m.json"
}

@test "logreg trains and --test-from splits by time" {
	gen 3000 > "$TMP/rows"
	# rows 0..2999 one minute apart from 1700000000000: cut at row 2500
	run cmt-train -q -k logreg --lr 0.01 -o "$TMP/lr.json" \
		--test-from 1700150000000 "$TMP/rows"
	assert_success
	assert_output --partial "test 500"
	grep -q '"kind": "logreg"' "$TMP/lr.json"
	grep -q '"from":	"2023-11-16T' "$TMP/lr.json"
}

@test "--test FILE scores a separate later file" {
	gen 3000 > "$TMP/all"
	head -2000 "$TMP/all" > "$TMP/train"
	tail -1000 "$TMP/all" > "$TMP/test"
	run cmt-train -q -o "$TMP/m.json" --test "$TMP/test" "$TMP/train"
	assert_success
	assert_output --partial "test 1000"
}

@test "rows of two feature sets are a usage error" {
	{ gen 100; gen 100 1 0 'other;step=1s'; } > "$TMP/rows"
	run cmt-train -o "$TMP/m.json" "$TMP/rows"
	assert_failure 2
	assert_output --partial "other;step=1s"
	[ ! -e "$TMP/m.json" ]
}

@test "unlabelled input is refused with a hint" {
	gen 50 | sed 's/,"y":[01]//' > "$TMP/rows"
	run cmt-train -o "$TMP/m.json" "$TMP/rows"
	assert_failure 1
	assert_output --partial "--label"
}

@test "ticks to model to predictions without cmt-fetch" {
	cmt-sim -d 2h --seed 4 > "$TMP/ticks"
	cmt-features --label 60s -q < "$TMP/ticks" |
		cmt-train -q -o "$TMP/m.json" --epochs 3 2> "$TMP/err"
	cmt-features -q < "$TMP/ticks" | cmt-predict -m "$TMP/m.json" > "$TMP/out"
	[ "$(grep -c '"p_up":' "$TMP/out")" -gt 1000 ]
	grep -q '"model":"m"}$' "$TMP/out"
}

@test "make model reproduces both shipped models bit for bit from ../shared/data" {
	need_shared_data
	cd "$ROOT"
	CMT_MODEL_DIR="$TMP" run sh scripts/make-model.sh "$(dirname "$BIN")"
	assert_success
	assert_output --partial "shipped: default."
	assert_output --partial "shipped: default-price."
	cmp "$TMP/default.json" "$ROOT/model/default.json"
	cmp "$TMP/default.test.txt" "$ROOT/model/default.test.txt"
	cmp "$TMP/default-price.json" "$ROOT/model/default-price.json"
	cmp "$TMP/default-price.test.txt" "$ROOT/model/default-price.test.txt"
	cmp "$TMP/candidates.txt" "$ROOT/model/candidates.txt"
	# the price-only model: trained on the same rows and the same feature
	# set (cmt-predict's default pair scores the same vectors), the
	# volume features left out
	grep '"feature_set":' "$TMP/default.json" > "$TMP/fs"
	grep -qxF "$(cat "$TMP/fs")" "$TMP/default-price.json"
	grep -q '"inputs": \["ret_1m", .*"mom"\],' "$TMP/default-price.json"
	! grep -q '"inputs": .*vol' "$TMP/default-price.json"
	grep -q '"excluded_features":.*\["vol_trend"\]' "$TMP/default-price.json"
	# the choice among the sets eligible to ship (the base set: the wide
	# one halves the pipeline and needs bars), and the figures of every
	# candidate, the wide ones too, on the same rows
	grep -q '^shipped: default.base.trees (lowest validation log-loss among the sets eligible to ship: base)$' "$TMP/candidates.txt"
	grep -q '^default.wide.trees .* 98278 rows ' "$TMP/candidates.txt"
	grep -q '^default.wide.mlp  .* 95541 rows ' "$TMP/candidates.txt"
	grep -q "^# every row both score: cmt-backtest --vs default.today.pred default.base.trees.pred$" "$TMP/default.test.txt"
	[ "$(grep -A1 '"train":' "$TMP/default.json")" = "$(grep -A1 '"train":' "$TMP/default-price.json")" ]
}

@test "--exclude leaves a feature out, keeping rows where it is null" {
	cmt-sim -d 3h --seed 4 | sed 's/,"vol":[^,}]*//' |
		cmt-features --label 60s -q > "$TMP/rows"
	grep -q '"vol_trend":null' "$TMP/rows"
	run cmt-train -q -o "$TMP/m.json" --epochs 2 "$TMP/rows"
	assert_failure 2
	assert_output --partial "100% of the labelled rows (21335 of 21335) have a null feature (vol_trend in 21335)"
	assert_output --partial "(--exclude vol_trend)"
	run cmt-train -q -o "$TMP/m.json" --epochs 2 --exclude vol_trend "$TMP/rows"
	assert_success
	grep -q '"inputs": \["ret_5s", "ret_15s", "ret_30s", "ret_1m", "rv_30s", "rv_1m", "rsi", "macd_hist", "bb_pctb", "mom"\]' "$TMP/m.json"
	grep -q '"null_feature":	0' "$TMP/m.json"
	cmt-predict -m "$TMP/m.json" < "$TMP/rows" | grep -c '"p_up":' > "$TMP/n"
	[ "$(cat "$TMP/n")" -eq "$(wc -l < "$TMP/rows")" ]
	run cmt-train -q -o "$TMP/m.json" --exclude volume "$TMP/rows"
	assert_failure 2
	assert_output --partial "no feature 'volume' to exclude"
}

@test "partial vectors are skipped and counted in the summary and the card" {
	cmt-sim -d 3h --seed 4 > "$TMP/ticks"
	cmt-features --label 60s -q < "$TMP/ticks" > "$TMP/rows"
	cmt-features --label 60s --partial 0 -q < "$TMP/ticks" > "$TMP/prows"
	n=$(grep -c '"partial":true' "$TMP/prows")
	[ "$n" -gt 1000 ]
	cmt-train -q -o "$TMP/a.json" --epochs 2 "$TMP/rows" 2> "$TMP/err"
	cmt-train -q -o "$TMP/b.json" --epochs 2 "$TMP/prows" 2> "$TMP/perr"
	grep -q ", $n partial," "$TMP/perr"
	grep -q ", 0 partial," "$TMP/err"
	grep -q "\"partial\":	$n" "$TMP/b.json"
	# the same model as without them: only the card's count and command differ
	diff <(grep -v '"partial":\|"command":' "$TMP/a.json") \
		<(grep -v '"partial":\|"command":' "$TMP/b.json" | sed 's/"name": "b"/"name": "a"/')
}

@test "trains on the features a wider set carries, --exclude by name; cmt-predict reads the model from the same vectors" {
	gzip -dc "$ROOT/data/demo/btcusdt_1m_2024-03-04_2024-03-10.csv.gz" |
		awk -F, 'NR > 1 { printf "{\"t\":%d000,\"sym\":\"BTC-USDT\",\"px\":%s,\"o\":%s,\"h\":%s,\"l\":%s,\"vol\":%s}\n", $1 + 60, $5, $2, $3, $4, $6 }' |
		cmt-features -q --model default --wide --label 60s > "$TMP/rows"
	run cmt-train -o "$TMP/w.json" --kind logreg --exclude vol_trend,volz_1h,dhi_1d,dlo_1d,ret_1d,rv_1d "$TMP/rows"
	assert_success
	# the rows of the first day have null 1d features, kept: they are
	# excluded; those of the first 4h (after the 1h warm-up) have null 4h
	# features: 240 - 60 rows skipped
	assert_output --regexp "rows: train [0-9]+, validation [0-9]+, test [0-9]+; skipped: [0-9]+ flat, 180 null feature"
	run cmt-predict -m "$TMP/w.json" --info
	assert_output --partial "features:    ret_1m ret_5m ret_15m ret_1h rv_30m rv_1h rsi macd_hist bb_pctb mom vol_trend pk_15m gk_15m pk_1h gk_1h body upper_wick lower_wick close_loc volz_1h zret_1m"
	assert_output --partial "tod_sin tod_cos dow_sin dow_cos"
	run grep '^inputs:' <<< "$output"
	assert_output --partial "inputs:      ret_1m ret_5m"
	assert_output --partial "dhi_4h dlo_4h ret_4h rv_4h tod_sin"
	refute_output --partial "dhi_1d"
	refute_output --partial "vol_trend"
	run cmt-predict -m "$TMP/w.json" < "$TMP/rows"
	assert_success
	[ "$(grep -c '"model":"w"' <<< "$output")" -gt 9000 ]
	# without the exclusion the first day's rows are skipped as null:
	# 1440 - 60, but for 3 of them counted as flat (y null)
	run cmt-train -o "$TMP/all.json" --kind logreg "$TMP/rows"
	assert_success
	assert_output --partial "skipped: 145 flat, 1377 null feature"
}

@test "rows that can only give a useless model are refused, naming the command that makes good ones" {
	# the issue's case: one-minute bars on the default 1s grid
	cmt-sim --symbols BTC-USDT --every 1m --regular --count 5000 --seed 3 > "$TMP/ticks"
	cmt-features -q --label 60s < "$TMP/ticks" > "$TMP/rows"
	[ "$(wc -l < "$TMP/rows")" -eq 299821 ]
	run cmt-train -q -k logreg -o "$TMP/m.json" "$TMP/rows"
	assert_failure 2
	assert_line --index 0 "cmt-train: 91% of the rows (244896 of 269872) have ret_5s = 0: the prices change less often than the grid steps, so most rows are copies of the one before (one-minute bars on a 1s grid fill 60 steps each); make the rows on the data's own step, for one-minute bars the shipped models' feature set: cmt-features --model default --label 60s"
	[ ! -e "$TMP/m.json" ]
	# what it says works, without a warning
	cmt-features -q --model default --label 60s < "$TMP/ticks" > "$TMP/rows"
	run --separate-stderr cmt-train -q -k logreg -o "$TMP/m.json" "$TMP/rows"
	assert_success
	[[ "$stderr" != *warning* ]]
	# on the wide set, the 4h and 1d windows are null for the first day of
	# these 3.5 days, and the warning says what keeps those rows or leaves
	# the features out
	cmt-features -q --model default --wide --label 60s < "$TMP/ticks" > "$TMP/rows"
	run --separate-stderr cmt-train -q -k logreg -o "$TMP/m.json" "$TMP/rows"
	assert_success
	[[ "$stderr" != *copies* ]]
	long=dhi_4h,dlo_4h,dhi_1d,dlo_1d,ret_4h,rv_4h,ret_1d,rv_1d
	[[ "$stderr" == *"warning: 28% of the labelled rows have a null feature (ret_1d most often) and are left out: windows longer than the set's warm-up are null that long after each start or gap; train trees that take them null (--kind trees --nullable $long) or leave them out (--exclude $long)"* ]]
	run --separate-stderr cmt-train -q -k logreg --exclude "$long" -o "$TMP/m.json" "$TMP/rows"
	assert_success
	[[ "$stderr" != *warning* ]]
	run --separate-stderr cmt-train -q -k trees --nullable "$long" -o "$TMP/m.json" "$TMP/rows"
	assert_success
	[[ "$stderr" != *warning* ]]
	# fewer days: refused, saying the same
	head -n 2000 "$TMP/rows" > "$TMP/rows2"
	run cmt-train -q -k logreg -o "$TMP/m.json" "$TMP/rows2"
	assert_failure 2
	assert_line --index 0 "cmt-train: 69% of the labelled rows (1380 of 2000) have a null feature (ret_1d in 1380): windows longer than the set's warm-up are null that long after each start or gap; train trees that take them null (--kind trees --nullable $long) or leave them out (--exclude $long)"
	# a horizon other than the grid step is said, not refused
	cmt-features -q --model default --label 5m < "$TMP/ticks" > "$TMP/rows5"
	run --separate-stderr cmt-train -q -k logreg --horizon 5m -o "$TMP/m5.json" "$TMP/rows5"
	assert_success
	[[ "$stderr" == *"warning: the rows are on a 1m grid and labelled 5m ahead (--horizon 5m): neighbouring rows share their outcome, so the scores count each outcome about 5 times"* ]]
}

@test "--kind trees: boosted trees, early-stopped, calibrated, scored by cmt-predict" {
	gen 4000 3 0 test1\;step=1m 1 > "$TMP/rows"
	run cmt-train -k trees --depth 3 -o "$TMP/t.json" "$TMP/rows"
	assert_success
	assert_output --partial "round  25  train loss"
	assert_output --partial "trees "
	auc=$(awk '$1 == "trees" { print $5 }' <<< "$output")
	awk -v a="$auc" 'BEGIN { exit !(a > 0.8) }'
	grep -q '"kind": "trees"' "$TMP/t.json"
	grep -q '"trainer":.*XGBoost' "$TMP/t.json"
	grep -q '"calibration": {"method": "platt"' "$TMP/t.json"
	grep -q '"before":' "$TMP/t.json"
	run cmt-predict --info -m "$TMP/t.json"
	assert_output --partial "trees:"
	assert_output --partial "calibration: platt"
	gen 10 7 | cmt-predict -m "$TMP/t.json" | grep -c '"p_up":' | grep -qx 10
	# --no-calibration leaves it out
	cmt-train -q -k trees --no-calibration --epochs 5 -o "$TMP/u.json" \
		"$TMP/rows" 2>/dev/null
	! grep -q '"calibration": {"method": "platt"' "$TMP/u.json"
	grep -q '"method":.*"none"' "$TMP/u.json"
}

@test "the Platt scaling equals an independent fit on the validation margins" {
	gen 600 3 0 test1\;step=1m 1 > "$TMP/rows"
	cmt-train -q -k logreg --lr 0.01 -o "$TMP/lr.json" "$TMP/rows" 2>/dev/null
	run python3 "$CMT_ROOT/tests/platt_oracle.py" "$TMP/lr.json" \
		"$TMP/rows" 0.15
	echo "$output"
	assert_success
	assert_output --partial "oracle a"
}

@test "--nullable: trees keep rows where the input is null and score them" {
	gen 3000 4 0 test1\;step=1m 1 |
		awk 'NR % 4 == 0 { sub(/"k":[-0-9.]+/, "\"k\":null") } { print }' \
		> "$TMP/rows"
	run cmt-train -k trees --nullable k -o "$TMP/t.json" "$TMP/rows"
	assert_success
	assert_output --partial "0 null feature"
	grep -q '"nullable_inputs": \["k"\]' "$TMP/t.json"
	run cmt-predict --info -m "$TMP/t.json"
	assert_output --partial "k (may be null)"
	awk 'NR <= 20' "$TMP/rows" | sed 's/,"y":[01]}/}/' |
		cmt-predict -m "$TMP/t.json" | grep -c '"p_up":' | grep -qx 20
	# without it those rows are skipped; other kinds cannot take it
	run cmt-train -q -k trees --epochs 3 -o "$TMP/u.json" "$TMP/rows"
	assert_output --partial "750 null feature"
	run cmt-train -q --nullable k -o "$TMP/u.json" "$TMP/rows"
	assert_failure 2
	assert_output --partial "only trees"
}
