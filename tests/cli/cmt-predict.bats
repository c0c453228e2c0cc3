#!/usr/bin/env bats
# cmt-predict: probabilities added to feature vectors, NDJSON and CSV.
load helper
load fakeapi
bats_require_minimum_version 1.5.0

FS='test1;step=1m'
F='"f":{"a":1,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":2}'

# p = sigmoid(x_a - 0.5 x_k): a hand-checkable logistic model.
local_setup() {
	cat > "$TMP/lr.json" <<-EOF2
	{"format":"cmt-model","version":1,"name":"lr1","kind":"logreg",
	 "feature_set":"$FS","feature_names":["a","b","c","d","e","f","g","h","i","j","k"],
	 "horizon_ms":60000,
	 "standardize":{"mean":[0,0,0,0,0,0,0,0,0,0,0],"std":[1,1,1,1,1,1,1,1,1,1,2]},
	 "layers":[{"activation":"sigmoid","bias":[0.25],
	   "weights":[[1,0,0,0,0,0,0,0,0,0,-1]]}],
	 "card":{}}
	EOF2
}

line() { # t, features object
	printf '{"t":%s,"sym":"BTC-USD","px":100,"fs":"%s",%s}\n' "$1" "${3:-$FS}" "$2"
}

@test "help and version exit 0" {
	run cmt-predict --help
	assert_success
	assert_output --partial "Usage: cmt-predict"
	run cmt-predict --version
	assert_success
	assert_output --partial "(cmt)"
}

@test "each vector gets p_up and the model name before its closing brace" {
	# z = 0.25 + 1 - 2/2 = 0.25; sigmoid(0.25) = 0.562177
	line 60000 "$F" > "$TMP/in"
	line 120000 "${F/\"a\":1/\"a\":-3}" >> "$TMP/in"
	run cmt-predict -m "$TMP/lr.json" < "$TMP/in"
	assert_success
	assert_line --index 0 "$(head -1 "$TMP/in" | sed 's/}$//'),\"p_up\":0.562177,\"model\":\"lr1\"}"
	# z = 0.25 - 3 - 1 = -3.75: sigmoid = 0.0229774
	assert_line --index 1 --partial '"p_up":0.0229774,"model":"lr1"}'
}

@test "CSV in gives CSV out with p_up and model columns" {
	{
		echo "t,sym,px,fs,a,b,c,d,e,f,g,h,i,j,k"
		echo "60000,BTC-USD,100,$FS,1,0,0,0,0,0,0,0,0,0,2"
	} > "$TMP/in.csv"
	run cmt-predict -m "$TMP/lr.json" < "$TMP/in.csv"
	assert_success
	assert_line --index 0 "t,sym,px,fs,a,b,c,d,e,f,g,h,i,j,k,p_up,model"
	assert_line --index 1 "60000,BTC-USD,100,$FS,1,0,0,0,0,0,0,0,0,0,2,0.562177,lr1"
}

@test "a vector with a null feature passes through without p_up and is reported" {
	line 60000 "$F" > "$TMP/in"
	line 120000 "${F/\"b\":0/\"b\":null}" >> "$TMP/in"
	line 180000 "$F" >> "$TMP/in"
	cmt-predict -m "$TMP/lr.json" < "$TMP/in" > "$TMP/out" 2> "$TMP/err"
	[ "$(wc -l < "$TMP/out")" -eq 3 ]
	[ "$(sed -n 2p "$TMP/out")" = "$(sed -n 2p "$TMP/in")" ]
	grep -q '"p_up"' <(sed -n 3p "$TMP/out")
	grep -q 'line 2: "b" is null: undefined or not finite; passed through without p_up' "$TMP/err"
}

@test "a bad line is reported by number and skipped, its neighbours kept" {
	{ line 60000 "$F"; echo '{"t":1,"sym":"BTC-USD"'; line 180000 "$F"; } > "$TMP/in"
	cmt-predict -m "$TMP/lr.json" < "$TMP/in" > "$TMP/out" 2> "$TMP/err"
	[ "$(grep -c p_up "$TMP/out")" -eq 2 ]
	grep -q 'line 2:' "$TMP/err"
}

@test "another feature set is a usage error naming both ids" {
	line 60000 "$F" 'other;step=1s' > "$TMP/in"
	run cmt-predict -m "$TMP/lr.json" < "$TMP/in"
	assert_failure 2
	assert_output --partial "other;step=1s"
	assert_output --partial "$FS"
	assert_output --partial "cmt-features --model"
}

@test "a corrupt or truncated model is refused before any output" {
	head -c 200 "$TMP/lr.json" > "$TMP/cut.json"
	line 60000 "$F" > "$TMP/in"
	run cmt-predict -m "$TMP/cut.json" < "$TMP/in"
	assert_failure 1
	assert_output --partial "not valid JSON"
	refute_output --partial "p_up"
	sed 's/"sigmoid"/"softmax"/' "$TMP/lr.json" > "$TMP/bad.json"
	run cmt-predict -m "$TMP/bad.json" < "$TMP/in"
	assert_failure 1
	assert_output --partial "unknown activation 'softmax'"
	run cmt-predict -m "$TMP/missing.json" < "$TMP/in"
	assert_failure 1
}

@test "the shipped default model is found without -m and scores its feature set" {
	run cmt-predict --info
	assert_success
	assert_output --partial "model:       default (trees)"
	assert_output --regexp "trees: +[0-9]+ \([0-9]+ nodes\)"
	assert_output --partial "calibration: platt"
	cmt-sim -d 3h -e 5s --seed 3 | cmt-features --model default -q |
		cmt-predict > "$TMP/out"
	n=$(wc -l < "$TMP/out")
	[ "$n" -gt 100 ]
	[ "$(grep -c '"model":"default"}$' "$TMP/out")" -eq "$n" ]
	awk -F'"p_up":' '{ split($2, a, ","); if (!(a[1] >= 0 && a[1] <= 1)) exit 1 }' "$TMP/out"
}

# The same logistic model in version 2, reading only a and k by name, in
# the order k, a: it scores vectors whose other features are null.
lr2() {
	cat > "$TMP/lr2.json" <<-EOF2
	{"format":"cmt-model","version":2,"name":"lr2","kind":"logreg",
	 "feature_set":"$FS","feature_names":["a","b","c","d","e","f","g","h","i","j","k"],
	 "inputs":["k","a"],
	 "horizon_ms":60000,
	 "standardize":{"mean":[0,0],"std":[2,1]},
	 "layers":[{"activation":"sigmoid","bias":[0.25],"weights":[[-1,1]]}],
	 "card":{}}
	EOF2
}

@test "a model reads its inputs by name; repeated -m falls back model by model" {
	lr2
	line 60000 "$F" > "$TMP/in"
	line 120000 "${F/\"b\":0/\"b\":null}" >> "$TMP/in"
	line 180000 "${F/\"a\":1/\"a\":null}" >> "$TMP/in"
	run --separate-stderr cmt-predict -m "$TMP/lr.json" -m "$TMP/lr2.json" < "$TMP/in"
	assert_success
	# same probability as lr1 (sigmoid(0.25)), from whichever model
	assert_line --index 0 --partial '"p_up":0.562177,"model":"lr1"}'
	assert_line --index 1 --partial '"p_up":0.562177,"model":"lr2"}'
	# a is an input of both: nobody scores it
	assert_line --index 2 "$(sed -n 3p "$TMP/in")"
	[[ "$stderr" == *'line 3: "a" is null'*"passed through without p_up"* ]]
	[[ "$stderr" == *"(lr1 1, lr2 1)"* ]]
}

@test "the default pair: vol_trend null is scored by default-price, named in \"model\"" {
	cmt-sim -d 3h -e 5s --seed 3 > "$TMP/ticks"
	sed 's/,"vol":[^,}]*//' "$TMP/ticks" > "$TMP/novol"
	cmt-features --model default -q < "$TMP/ticks" > "$TMP/vol.fv"
	cmt-features --model default -q < "$TMP/novol" > "$TMP/novol.fv"
	grep -q '"vol_trend":null' "$TMP/novol.fv"
	cmt-predict < "$TMP/novol.fv" > "$TMP/out" 2> "$TMP/err"
	n=$(wc -l < "$TMP/novol.fv")
	[ "$n" -gt 100 ]
	[ "$(grep -c '"p_up":[0-9.e-]*,"model":"default-price"}$' "$TMP/out")" -eq "$n" ]
	grep -q "$n predicted (default 0, default-price $n)" "$TMP/err"
	# the same numbers as the price-only model alone
	cmt-predict -m default-price < "$TMP/novol.fv" | cmp - "$TMP/out"
	# vectors with volume go to the volume model, unchanged from -m default.json
	cmt-predict < "$TMP/vol.fv" > "$TMP/out2"
	[ "$(grep -c '"model":"default"}$' "$TMP/out2")" -eq "$(wc -l < "$TMP/vol.fv")" ]
	cmt-predict -m "$ROOT/model/default.json" < "$TMP/vol.fv" | cmp - "$TMP/out2"
}

@test "the README's live pipeline from CoinGecko (no volume) gives p_up" {
	start_api
	# the fake CoinGecko moves 10 s of market time per poll: 450 polls are
	# 75 minutes, past the 1-minute model's hour of warm-up
	run --separate-stderr bash -c "cmt-fetch --base-url '$URL' --symbols btc \
		--count 450 --interval 1ms | cmt-features --model default -q | cmt-predict"
	assert_success
	[ "${#lines[@]}" -ge 10 ]
	[ "$(echo "$output" | grep -c '"vol_trend":null,*.*"p_up":0\.[0-9]*,"model":"default-price"}$')" -eq "${#lines[@]}" ]
}

@test "an explicit -m FILE keeps a single model: null vol_trend passes without p_up" {
	cmt-sim -d 2h -e 5s --seed 5 | sed 's/,"vol":[^,}]*//' |
		cmt-features --model default -q > "$TMP/novol.fv"
	cmt-predict -m "$ROOT/model/default.json" < "$TMP/novol.fv" > "$TMP/out" 2> "$TMP/err"
	cmp "$TMP/out" "$TMP/novol.fv"
	grep -q '"vol_trend" is null: the source gives no volume; passed through without p_up' "$TMP/err"
	run cmt-predict -m "$ROOT/model/default.json" --info
	assert_output --partial "model:       default (trees)"
	refute_output --partial "default-price"
	run cmt-predict --info
	assert_output --partial "model:       default-price (trees)"
	assert_output --regexp "inputs: +ret_1m .* mom
"
	# the price model's inputs (the second model): no volume feature
	[ "$(grep '^inputs:' <<< "$output" | tail -1 | grep -c vol)" -eq 0 ]
}

@test "a model file with bad inputs is refused before any output" {
	lr2
	line 60000 "$F" > "$TMP/in"
	sed 's/"inputs":\["k","a"\]/"inputs":["k","volume"]/' "$TMP/lr2.json" > "$TMP/bad.json"
	run cmt-predict -m "$TMP/bad.json" < "$TMP/in"
	assert_failure 1
	assert_output --partial "'volume' is not one of \"feature_names\""
	refute_output --partial "p_up"
	sed 's/"mean":\[0,0\]/"mean":[0,0,0]/' "$TMP/lr2.json" > "$TMP/bad.json"
	run cmt-predict -m "$TMP/bad.json" < "$TMP/in"
	assert_failure 1
	assert_output --partial '"standardize"."mean" has 3 values, expected 2'
	sed 's/"inputs":\["k","a"\],//' "$TMP/lr2.json" > "$TMP/bad.json"
	run cmt-predict -m "$TMP/bad.json" < "$TMP/in"
	assert_failure 1
	assert_output --partial '"inputs"'
}

@test "CMT_MODEL chooses the default model" {
	line 60000 "$F" > "$TMP/in"
	CMT_MODEL="$TMP/lr.json" run cmt-predict < "$TMP/in"
	assert_success
	assert_output --partial '"model":"lr1"'
}

@test "a write error is reported and exits 1" {
	line 60000 "$F" > "$TMP/in"
	run sh -c 'cmt-predict -m "$1" < "$2" > /dev/full' sh "$TMP/lr.json" "$TMP/in"
	assert_failure 1
	assert_output --partial "write error"
}

@test "SIGTERM mid-stream flushes whole lines and exits 0" {
	for t in $(seq 1 300); do line $((t * 60000)) "$F"; done > "$TMP/in"
	mkfifo "$TMP/fifo"
	cmt-predict -m "$TMP/lr.json" < "$TMP/fifo" > "$TMP/out" &
	pid=$!
	exec 5> "$TMP/fifo"
	cat "$TMP/in" >&5
	sleep 0.3
	kill -TERM $pid
	st=0
	wait $pid || st=$?
	exec 5>&-
	assert_equal "$st" 0
	[ "$(wc -l < "$TMP/out")" -eq 300 ]
	[ "$(tail -c 1 "$TMP/out" | od -An -c | tr -d ' ')" = '\n' ]
}

@test "a model spelling its windows 60m/3600s works with cmt-features --model and cmt-predict -m" {
	sed -e 's#ret=1m/5m/15m/1h;rv=30m/1h#ret=60s/5m/900s/60m;rv=30m/3600s#' \
	    -e 's/"ret_1h"/"ret_60m"/g; s/"rv_1h"/"rv_3600s"/g; s/"ret_1m"/"ret_60s"/g' \
	    "$ROOT/model/default.json" > "$TMP/m.json"
	grep -q 'ret=60s/5m/900s/60m' "$TMP/m.json"
	grep -q '"rv_3600s"' "$TMP/m.json"
	cmt-sim --seed 3 --symbols BTC-USDT --every 1m --regular --count 200 > "$TMP/ticks"
	cmt-features --model "$TMP/m.json" < "$TMP/ticks" > "$TMP/vec"
	run cmt-predict -m "$TMP/m.json" < "$TMP/vec"
	assert_success
	[ "$(grep -c '"p_up":' <<< "$output")" -eq "$(wc -l < "$TMP/vec")" ]
	[ "$(wc -l < "$TMP/vec")" -gt 100 ]
	# the same probabilities as the model spelled canonically
	run diff <(cmt-predict -m "$TMP/m.json" < "$TMP/vec") \
	    <(cmt-predict -m "$ROOT/model/default.json" < "$TMP/vec")
	assert_success
}

@test "partial vectors are scored, \"partial\":true kept, counted in the summary" {
	cmt-sim -d 2h -e 5s --seed 3 | sed 's/,"vol":[^,}]*//' |
		cmt-features --model default --partial 15s -q > "$TMP/fv"
	n=$(grep -c '"partial":true}$' "$TMP/fv")
	[ "$n" -gt 50 ]
	cmt-predict < "$TMP/fv" > "$TMP/out" 2> "$TMP/err"
	[ "$(grep -c '"partial":true,"p_up":0\.[0-9]*,"model":"default-price"}$' "$TMP/out")" -eq "$n" ]
	[ "$(wc -l < "$TMP/out")" -eq "$(wc -l < "$TMP/fv")" ]
	grep -q ", $n partial vectors" "$TMP/err"
}

# Bar ticks from the bundled real minutes (BTC, 2024-03-04 to 03-10).
demo_bars() {
	gzip -dc "$ROOT/data/demo/btcusdt_1m_2024-03-04_2024-03-10.csv.gz" |
		awk -F, 'NR > 1 { printf "{\"t\":%d000,\"sym\":\"BTC-USDT\",\"px\":%s,\"o\":%s,\"h\":%s,\"l\":%s,\"vol\":%s}\n", $1 + 60, $5, $2, $3, $4, $6 }'
}

@test "the shipped pair scores vectors of a wider set by name, as it scores its own set's" {
	demo_bars > "$TMP/bars"
	cmt-features -q --model default "$TMP/bars" | cmt-predict > "$TMP/own"
	cmt-features -q --model default --wide "$TMP/bars" | cmt-predict > "$TMP/wide"
	grep -q ';cal=utc","f":{' "$TMP/wide"
	grep -o '"p_up":[^}]*' "$TMP/own" > "$TMP/p-own"
	grep -o '"p_up":[^}]*' "$TMP/wide" > "$TMP/p-wide"
	[ "$(wc -l < "$TMP/p-own")" -gt 9000 ]
	run cmp "$TMP/p-own" "$TMP/p-wide"
	assert_success
	# the same in CSV: the header names the wider set's columns
	cmt-features -q --csv --model default "$TMP/bars" | cmt-predict | awk -F, '{ print $(NF - 1), $NF }' > "$TMP/c-own"
	cmt-features -q --csv --model default --wide "$TMP/bars" | cmt-predict 2> "$TMP/err" | awk -F, '{ print $(NF - 1), $NF }' > "$TMP/c-wide"
	run cat "$TMP/err"
	assert_output ""
	run cmp "$TMP/c-own" "$TMP/c-wide"
	assert_success
	# a model whose set the vectors do not contain: a usage error
	run cmt-predict < <(cmt-features -q --step 1m --windows 1m,2m,3m,4m --vol-windows 2m,4m --calendar "$TMP/bars")
	assert_failure 2
	assert_output --partial "does not match the model's"
}

# Two models of the shipped feature set with other names: a (every
# feature) and b (price only); base vectors of that set in $TMP/base.
two_models() {
	sed 's/"name": "default"/"name": "a"/' "$ROOT/model/default.json" \
		> "$TMP/a.json"
	sed 's/"name": "default-price"/"name": "b"/' \
		"$ROOT/model/default-price.json" > "$TMP/b.json"
	cmt-sim -d "${1:-3d}" -e 20s --seed 5 |
		cmt-features --model "$TMP/a.json" -q > "$TMP/base"
}

# Wait until process $1 catches SIGHUP (bit 0 of SigCgt).
wait_hup_handler() {
	for _ in $(seq 1 200); do
		mask=$(awk '/^SigCgt/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		[ -n "$mask" ] && [ $((0x$mask & 1)) -eq 1 ] && return 0
		sleep 0.01
	done
	return 1
}

@test "SIGHUP under 1M vectors, a reload every few ms: no line lost or doubled, each scored whole by one model" {
	two_models 3d
	nbase=$(wc -l < "$TMP/base")
	# each model's own output on the base vectors, offline
	cmt-predict -m "$TMP/a.json" < "$TMP/base" |
		sed 's/.*"p_up":\([^,]*\),.*/\1/' > "$TMP/pa"
	cmt-predict -m "$TMP/b.json" < "$TMP/base" |
		sed 's/.*"p_up":\([^,]*\),.*/\1/' > "$TMP/pb"
	[ "$(wc -l < "$TMP/pa")" -eq "$nbase" ]
	! cmp -s "$TMP/pa" "$TMP/pb"
	cp "$TMP/a.json" "$TMP/cur.json"
	# 1M vectors: the base ones over and over; every output line must be
	# its input line with p_up and model added, p_up that model's own
	cmt-predict -m "$TMP/cur.json" 2> "$TMP/err" \
		< <(awk -v n=1000000 '{ b[NR - 1] = $0 } END {
			for (i = 0; i < n; i++) print b[i % NR] }' "$TMP/base") \
		> >(awk -v nbase="$nbase" -v pa="$TMP/pa" -v pb="$TMP/pb" \
		    -v base="$TMP/base" '
			BEGIN {
				while ((getline l < base) > 0) v[k++] = l
				k = 0; while ((getline l < pa) > 0) p["a", k++] = l
				k = 0; while ((getline l < pb) > 0) p["b", k++] = l
			}
			{
				i = (NR - 1) % nbase
				want = substr(v[i], 1, length(v[i]) - 1)
				if (substr($0, 1, length(want)) != want) { bad++; next }
				rest = substr($0, length(want) + 1)
				if (!match(rest, /^,"p_up":[0-9.e-]+,"model":"[ab]"}$/)) { bad++; next }
				split(rest, f, /[:,"}]+/)
				m = substr(rest, length(rest) - 2, 1)
				if (f[3] != p[m, i]) { bad++; next }
				n[m]++
			}
			END { printf "lines %d bad %d a %d b %d\n", NR, bad, n["a"], n["b"] }
		' > "$TMP/result") &
	pid=$!
	wait_hup_handler $pid || { kill $pid; false; }
	# The next signal waits for the last reload's line: signals faster
	# than reloads (a sanitizer build reloads slowly) would otherwise
	# leave a reload before every line and the 1M lines would take hours.
	i=0
	while kill -0 $pid 2>/dev/null; do
		if [ $((i % 2)) -eq 0 ]; then src=b; else src=a; fi
		cp "$TMP/$src.json" "$TMP/next.json"
		mv -f "$TMP/next.json" "$TMP/cur.json"   # atomic, as retrain.sh
		kill -HUP $pid 2>/dev/null || true
		i=$((i + 1))
		for _ in $(seq 1 500); do
			[ "$(grep -c 'SIGHUP: reloaded' "$TMP/err")" -ge "$i" ] && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.002
		done
	done
	st=0
	wait $pid || st=$?
	assert_equal "$st" 0
	for _ in $(seq 1 100); do [ -s "$TMP/result" ] && break; sleep 0.1; done
	cat "$TMP/result" >&3
	reloads=$(grep -c 'SIGHUP: reloaded' "$TMP/err")
	echo "reloads: $reloads"
	read -r _ lines _ bad _ na _ nb < "$TMP/result"
	[ "$lines" -eq 1000000 ]
	[ "$bad" -eq 0 ]
	[ "$na" -gt 0 ] && [ "$nb" -gt 0 ]
	[ "$((na + nb))" -eq 1000000 ]
	[ "$reloads" -ge 10 ]
	! grep -v 'SIGHUP: reloaded' "$TMP/err"
}

@test "a model file that fails to reload keeps the old model and says why" {
	two_models 1d
	head -n 300 "$TMP/base" > "$TMP/in"
	cp "$TMP/a.json" "$TMP/cur.json"
	mkfifo "$TMP/fifo"
	cmt-predict -m "$TMP/cur.json" < "$TMP/fifo" > "$TMP/out" 2> "$TMP/err" &
	pid=$!
	exec 5> "$TMP/fifo"
	wait_hup_handler $pid || { exec 5>&-; kill $pid; false; }
	step() {   # lines $1..$2, then wait until they are out
		sed -n "$1,$2p" "$TMP/in" >&5
		for _ in $(seq 1 200); do
			[ "$(wc -l < "$TMP/out")" -ge "$2" ] && return 0
			sleep 0.02
		done
		return 1
	}
	step 1 100
	echo '{"format": "cmt-model", trunc' > "$TMP/cur.json"
	kill -HUP $pid
	step 101 200
	# another feature set is refused too
	sed 's/rsi=14/rsi=21/' "$TMP/b.json" > "$TMP/cur.json"
	kill -HUP $pid
	step 201 250
	cp "$TMP/b.json" "$TMP/cur.json"
	kill -HUP $pid
	step 251 300
	exec 5>&-
	wait $pid
	cat "$TMP/err"
	[ "$(grep -c '"model":"a"' "$TMP/out")" -eq 250 ]
	[ "$(sed -n '251,300p' "$TMP/out" | grep -c '"model":"b"')" -eq 50 ]
	grep -q "SIGHUP: reload failed, model $TMP/cur.json: not valid JSON.*; still scoring with a$" "$TMP/err"
	grep -q "SIGHUP: reload failed, model $TMP/cur.json: its feature set or names differ" "$TMP/err"
	grep -q "SIGHUP: reloaded b ($TMP/cur.json)" "$TMP/err"
}
