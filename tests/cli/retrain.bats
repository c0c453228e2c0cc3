#!/usr/bin/env bats
# cmt-retrain (scripts/retrain.sh): retrain on recorded ticks, compare on
# the held-back days with cmt-backtest --vs, swap and SIGHUP only when the
# candidate is not worse.
load helper
bats_require_minimum_version 1.5.0

RETRAIN="$ROOT/scripts/retrain.sh"

# Stand-in recorded ticks: one a minute for 2 symbols over $1 days whose
# log returns revert (r = -0.4 r_prev + noise), so the last return
# predicts the next one and a model can learn it.
ticks() {
	awk -v days="$1" -v seed="${2:-1}" 'BEGIN {
		srand(seed); n = days * 1440
		for (s = 0; s < 2; s++) { px[s] = s ? 2000 : 40000; r[s] = 0 }
		for (i = 1; i <= n; i++)
			for (s = 0; s < 2; s++) {
				e = 0
				for (k = 0; k < 12; k++) e += rand()
				r[s] = -0.4 * r[s] + 0.001 * (e - 6)
				px[s] *= exp(r[s])
				printf "{\"t\":%.0f,\"sym\":\"%s\",\"px\":%.6f,\"vol\":%.4f}\n",
				    1704067200000 + i * 60000, s ? "ETH-USD" : "BTC-USD",
				    px[s], 1 + rand()
			}
	}'
}

FS='cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20'

# A cmt-predict serving $TMP/serving.json from a fifo held open on fd 5
# (pid in $pid), and 1000 vectors for it in $TMP/vectors.
serve() {
	cmt-features --model "$TMP/serving.json" < "$TMP/ticks.ndjson" -q |
		head -n 1000 > "$TMP/vectors"
	mkfifo "$TMP/fifo"
	cmt-predict -m "$TMP/serving.json" < "$TMP/fifo" > "$TMP/out" \
		2> "$TMP/err" &
	pid=$!
	exec 5> "$TMP/fifo"
}

local_setup() {
	ticks 4 > "$TMP/ticks.ndjson"
	# the serving model: a logreg trained on earlier recordings of the
	# same process
	ticks 3 2 | cmt-features --feature-set "$FS" --label 60s -q > "$TMP/rows"
	cmt-train -q -k logreg -n serving -o "$TMP/serving.json" \
		"$TMP/rows" 2>/dev/null
}

@test "help, and usage errors exit 2" {
	run sh "$RETRAIN" --help
	assert_success
	assert_output --partial "Usage: cmt-retrain"
	run sh "$RETRAIN" "$TMP/ticks.ndjson"
	assert_failure 2
	assert_output --partial "-m MODEL.json is required"
	run sh "$RETRAIN" -m "$TMP/serving.json" --alpha 2 "$TMP/ticks.ndjson"
	assert_failure 2
	run sh "$RETRAIN" -m "$TMP/serving.json" --holdout soon "$TMP/ticks.ndjson"
	assert_failure 2
	run sh "$RETRAIN" -m "$TMP/nope.json" "$TMP/ticks.ndjson"
	assert_failure 1
}

@test "a worse candidate is not swapped and no SIGHUP is sent" {
	cp "$TMP/serving.json" "$TMP/before.json"
	serve
	# the candidate may not read the last returns: it loses the signal
	run sh "$RETRAIN" -m "$TMP/serving.json" -p $pid --holdout 1d \
		--train-args '--exclude ret_1m,ret_5m,ret_15m,ret_1h,rsi,macd_hist,bb_pctb,mom' \
		"$TMP/ticks.ndjson"
	echo "$output"
	assert_failure 3
	assert_output --partial "kept $TMP/serving.json: the candidate is worse at level 0.05"
	cmp "$TMP/serving.json" "$TMP/before.json"
	[ ! -e "$TMP/serving.json.prev" ]
	cat "$TMP/vectors" >&5
	exec 5>&-
	wait $pid
	! grep -q SIGHUP "$TMP/err"
}

@test "a candidate not worse is swapped in atomically and the running cmt-predict reloads it" {
	serve
	echo "$pid" > "$TMP/pidfile"
	head -n 10 "$TMP/vectors" >&5
	cp "$TMP/serving.json" "$TMP/before.json"
	run sh "$RETRAIN" -m "$TMP/serving.json" --pidfile "$TMP/pidfile" \
		--holdout 1d --train-args '--seed 7' "$TMP/ticks.ndjson"
	echo "$output"
	assert_success
	assert_output --partial "promoted the candidate over $TMP/serving.json"
	assert_output --partial "SIGHUP sent to $pid"
	cmp "$TMP/serving.json.prev" "$TMP/before.json"
	! cmp -s "$TMP/serving.json" "$TMP/before.json"
	grep -q '"seed": 7' "$TMP/serving.json" ||
		grep -q '"seed":.7' "$TMP/serving.json"
	for _ in $(seq 1 100); do
		grep -q 'SIGHUP: reloaded serving' "$TMP/err" && break
		sleep 0.05
	done
	grep -q "SIGHUP: reloaded serving ($TMP/serving.json)" "$TMP/err"
	sed -n '11,$p' "$TMP/vectors" >&5
	exec 5>&-
	wait $pid
	[ "$(grep -c '"p_up":' "$TMP/out")" -eq 1000 ]
	# the lines after the reload are the new model's
	cmt-predict -m "$TMP/serving.json" < "$TMP/vectors" | tail -n 1 > "$TMP/want"
	tail -n 1 "$TMP/out" | cmp - "$TMP/want"
}

@test "a trees model's nullable inputs stay nullable in the candidate (the shipped models' long windows)" {
	# trees over a set with 4h windows, null for the first 4 hours of
	# every recording: the serving model takes them null
	ticks 3 2 | cmt-features --feature-set "$FS;lt=4h" --label 60s -q > "$TMP/rows4h"
	cmt-train -q -k trees -n serving --nullable ret_4h,rv_4h \
		-o "$TMP/trees.json" "$TMP/rows4h" 2>/dev/null
	grep -q '"nullable_inputs": \["ret_4h", "rv_4h"\]' "$TMP/trees.json"
	run sh "$RETRAIN" -m "$TMP/trees.json" --holdout 1d --alpha 0.000001 \
		"$TMP/ticks.ndjson"
	echo "$output"
	assert_success
	assert_output --partial "promoted the candidate over $TMP/trees.json"
	grep -q '"nullable_inputs": \["ret_4h", "rv_4h"\]' "$TMP/trees.json"
	grep -q '"command":.*--nullable ret_4h,rv_4h' "$TMP/trees.json"
	# the first 4 hours of the recording were trained on, not skipped
	grep -A6 '"skipped_rows":' "$TMP/trees.json" | grep -q '"null_feature":.0,'
}

@test "--dry-run decides and changes nothing" {
	cp "$TMP/serving.json" "$TMP/before.json"
	run sh "$RETRAIN" -m "$TMP/serving.json" --dry-run --holdout 1d \
		"$TMP/ticks.ndjson"
	assert_success
	assert_output --partial "would promote"
	cmp "$TMP/serving.json" "$TMP/before.json"
}

@test "daily recordings, each beginning with a warm start over the day before, train as one continuous recording" {
	# day A: the first two days; day B: a warm start (the last 2 h of A,
	# marked as cmt-fetch marks them), then the last two days, gzipped as
	# the README's recorder writes them
	mid=$((1704067200000 + 2 * 1440 * 60000))
	awk -F'[:,]' -v mid=$mid '$2 + 0 <= mid' "$TMP/ticks.ndjson" | gzip > "$TMP/a.ndjson.gz"
	{ awk -F'[:,]' -v mid=$mid '$2 + 0 > mid - 7200000 && $2 + 0 <= mid' "$TMP/ticks.ndjson" |
		sed 's/}$/,"warm":true}/'
	  awk -F'[:,]' -v mid=$mid '$2 + 0 > mid' "$TMP/ticks.ndjson"; } | gzip > "$TMP/b.ndjson.gz"
	run --separate-stderr sh "$RETRAIN" -m "$TMP/serving.json" --dry-run --holdout 1d \
		"$TMP/a.ndjson.gz" "$TMP/b.ndjson.gz"
	assert_success
	days=$output
	[[ "$stderr" != *"before the previous tick"* ]]
	run --separate-stderr sh "$RETRAIN" -m "$TMP/serving.json" --dry-run --holdout 1d \
		"$TMP/ticks.ndjson"
	assert_success
	[ "$output" = "$days" ]
}

@test "make install puts cmt-retrain beside the tools, with its man page" {
	# only with binaries built in this tree, installed as built (-o all:
	# never rebuilt here with other flags than its own, as make asan's
	# would be with the plain ones if a source changed meanwhile)
	[ "$(cd "$BIN/../.." && pwd)" = "$ROOT" ] ||
		skip "the binaries are not this tree's build"
	make --no-print-directory -C "$ROOT" -o all install \
		DESTDIR="$TMP/inst" PREFIX=/usr O="$(dirname "$BIN")" > /dev/null
	[ -x "$TMP/inst/usr/bin/cmt-retrain" ]
	[ -f "$TMP/inst/usr/share/man/man1/cmt-retrain.1" ]
	run "$TMP/inst/usr/bin/cmt-retrain" --help
	assert_success
	assert_output --partial "Usage: cmt-retrain"
}
