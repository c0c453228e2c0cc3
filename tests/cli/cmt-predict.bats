#!/usr/bin/env bats
# cmt-predict: probabilities added to feature vectors, NDJSON and CSV.
load helper

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
	assert_output --partial "model:       default (mlp)"
	assert_output --partial "11 -> 32 -> 16 -> 8 -> 1"
	cmt-sim -d 3h -e 5s --seed 3 | cmt-features --model default -q |
		cmt-predict > "$TMP/out"
	n=$(wc -l < "$TMP/out")
	[ "$n" -gt 100 ]
	[ "$(grep -c '"model":"default"}$' "$TMP/out")" -eq "$n" ]
	awk -F'"p_up":' '{ split($2, a, ","); if (!(a[1] >= 0 && a[1] <= 1)) exit 1 }' "$TMP/out"
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
