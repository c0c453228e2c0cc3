#!/usr/bin/env bats
# Contracts every tool keeps (issue 11): each test is a defect an
# adversarial pass found, checked as a user would meet it.
load helper
load fakeapi
bats_require_minimum_version 1.5.0

FS='test1;step=1m'
F='"f":{"a":1,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":2}'

# p = sigmoid(0.25 + x_a - 0.5 x_k): a hand-checkable logistic model.
model() {
	cat > "$TMP/lr.json" <<-EOF2
	{"format":"cmt-model","version":1,"name":"lr1","kind":"logreg",
	 "feature_set":"$FS","feature_names":["a","b","c","d","e","f","g","h","i","j","k"],
	 "horizon_ms":60000,
	 "standardize":{"mean":[0,0,0,0,0,0,0,0,0,0,0],"std":[1,1,1,1,1,1,1,1,1,1,2]},
	 "layers":[{"activation":"sigmoid","bias":[${1:-0.25}],
	   "weights":[[${2:-1},0,0,0,0,0,0,0,0,0,${3:--1}]]}],
	 "card":{}}
	EOF2
}

api_log() {
	curl -s "$URL/_log"
}

vec() { # t, features object
	printf '{"t":%s,"sym":"BTC-USD","px":100,"fs":"%s",%s}\n' "$1" "$FS" "$2"
}

@test "predict: every vector's feature names are checked, not only the first's" {
	model
	vec 60000 "$F" > "$TMP/in"
	# the same values, keys swapped: a must not be read as k
	vec 120000 '"f":{"k":2,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"a":1}' >> "$TMP/in"
	vec 180000 '"f":{"a":1,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"zz":2}' >> "$TMP/in"
	vec 240000 "$F" >> "$TMP/in"
	run cmt-predict -m "$TMP/lr.json" < "$TMP/in"
	assert_success
	assert_line --index 0 --partial '"p_up":0.562177'
	assert_line --partial 'line 2: feature 1 is "k", the model expects "a" there'
	assert_line --partial 'line 3: feature 11 is "zz", the model expects "k" there'
	[ "$(grep -c '"p_up"' <<< "$output")" -eq 2 ]
	refute_line --partial '"t":120000'
}

@test "predict: CSV rows under a header with the features in another order are never scored" {
	model
	{
		echo "t,sym,px,fs,k,b,c,d,e,f,g,h,i,j,a"
		echo "60000,BTC-USD,100,$FS,2,0,0,0,0,0,0,0,0,0,1"
		echo "120000,BTC-USD,100,$FS,2,0,0,0,0,0,0,0,0,0,1"
	} > "$TMP/in.csv"
	# the first row tells a wrong pipeline: exit 2, as for a foreign set
	run --separate-stderr cmt-predict -m "$TMP/lr.json" < "$TMP/in.csv"
	assert_failure 2
	[ "$output" = "t,sym,px,fs,k,b,c,d,e,f,g,h,i,j,a,p_up,model" ]
	[[ "$stderr" == *'line 2: feature 1 is "k", the model expects "a" there'* ]]
	# after a good vector, such a line is a bad line
	vec 60000 "$F" > "$TMP/in"
	vec 120000 '"f":{"k":2,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"a":1}' >> "$TMP/in"
	vec 180000 "$F" >> "$TMP/in"
	run --separate-stderr cmt-predict -m "$TMP/lr.json" < "$TMP/in"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[[ "$stderr" == *'line 2: feature 1 is "k", the model expects "a" there, skipped'* ]]
}

@test "train: rows whose feature names differ from the first row's are bad lines" {
	for i in $(seq 1 40); do
		printf '{"t":%d,"sym":"BTC-USD","px":100,"fs":"%s","f":{"a":%d,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":%d},"y":%d}\n' \
			$((i * 60000)) "$FS" $((i % 3)) $((i % 5)) $((i % 2))
	done > "$TMP/rows"
	printf '{"t":9999960000,"sym":"BTC-USD","px":100,"fs":"%s","f":{"k":1,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"a":1},"y":1}\n' "$FS" >> "$TMP/rows"
	run cmt-train -k logreg -o "$TMP/m.json" "$TMP/rows"
	assert_success
	assert_output --partial 'line 41: feature 1 is "k", the model expects "a" there, skipped'
}

@test "fetch: a reading stamped in the future costs one reading, not the stream" {
	start_api --plan ok,future,ok,ok
	run --separate-stderr cmt-fetch --base-url "$URL" --warmup 0 --symbols btc \
		--count 4 --interval 50ms --backoff 50ms --timeout 2s
	assert_success
	gecko_ticks 4 | sed -n '1p;3p;4p' > "$TMP/want"
	diff "$TMP/want" <(echo "$output")
	[[ "$stderr" == *"BTC-USD: the source's time 2100-01-01T00:00:00.000Z is more than 5m ahead of the clock (--max-ahead): reading skipped"* ]]
}

ticks_with_glitch() {
	printf '{"t":1700000000000,"sym":"BTC-USD","px":100}\n'
	printf '{"t":1700000001000,"sym":"BTC-USD","px":101}\n'
	printf '{"t":4102444800000,"sym":"BTC-USD","px":100}\n'
	printf '{"t":1700000002000,"sym":"BTC-USD","px":102}\n'
	printf '{"t":1700000003000,"sym":"BTC-USD","px":103}\n'
}

@test "features: one far-future tick costs one line, the symbol goes on" {
	ticks_with_glitch > "$TMP/in"
	run --separate-stderr cmt-features --emit-warmup "$TMP/in"
	assert_success
	[ "${#lines[@]}" -eq 4 ]
	assert_line --index 3 --partial '"t":1700000003000,'
	[[ "$stderr" == *"line 3: BTC-USD: timestamp 4102444800000 (2100-01-01T00:00:00.000Z) is more than 1d ahead of the symbol's previous tick (--max-jump): skipped; a next tick as far ahead confirms a jump"* ]]
	[[ "$stderr" == *"1 out of order"* ]]
}

@test "features: a first tick far ahead of the clock is skipped; a confirmed jump is taken" {
	{
		printf '{"t":4102444800000,"sym":"BTC-USD","px":100}\n'
		printf '{"t":1700000000000,"sym":"BTC-USD","px":100}\n'
		printf '{"t":1700000001000,"sym":"BTC-USD","px":101}\n'
		# two days later, twice: a real jump (reset), not a glitch
		printf '{"t":1700172801000,"sym":"BTC-USD","px":105}\n'
		printf '{"t":1700172802000,"sym":"BTC-USD","px":106}\n'
	} > "$TMP/in"
	run --separate-stderr cmt-features --emit-warmup "$TMP/in"
	assert_success
	[[ "$stderr" == *"line 1: BTC-USD: timestamp 4102444800000 (2100-01-01T00:00:00.000Z) is more than 1d ahead of the clock (--max-jump): skipped"* ]]
	[[ "$stderr" == *"line 4: BTC-USD: timestamp 1700172801000"*"ahead of the symbol's previous tick"* ]]
	assert_line --index 0 --partial '"t":1700000000000,'
	assert_line --index 2 --partial '"t":1700172802000,'
	[ "${#lines[@]}" -eq 3 ]
	run cmt-features --emit-warmup --max-jump 0 "$TMP/in"
	assert_output --partial '"t":4102444800000,'
}

@test "messages: a feature-set mismatch names both ids in full" {
	fs='cmt1;step=1s;ret=5s/15s/30s/60s;rv=30s/60s;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20'
	printf '{"t":60000,"sym":"BTC-USD","px":100,"fs":"%s","f":{"ret_5s":0,"ret_15s":0,"ret_30s":0,"ret_60s":0,"rv_30s":0,"rv_60s":0,"rsi":0,"macd_hist":0,"bb_pctb":0,"mom":0,"vol_trend":0}}\n' "$fs" > "$TMP/in"
	run cmt-predict < "$TMP/in"
	assert_failure 2
	assert_output --partial "feature set '$fs' does not match the model's 'cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20'"
}

@test "messages: the model search path list is printed in full" {
	run cmt-features --model no-such-model < /dev/null
	assert_failure
	assert_output --regexp "no model 'no-such-model' found \(tried .*/share/cmt/no-such-model.json, .*/model/no-such-model.json\)"
}

@test "-o naming an input file is refused before the input is touched" {
	cmt-sim --symbols BTC-USD --count 50 --seed 1 > "$TMP/x.nd"
	cp "$TMP/x.nd" "$TMP/orig"
	ln "$TMP/x.nd" "$TMP/hard"
	run cmt-replay --speed max -o "$TMP/x.nd" "$TMP/x.nd"
	assert_failure 2
	assert_output --partial "-o $TMP/x.nd: that file is also an input ($TMP/x.nd)"
	cmp "$TMP/x.nd" "$TMP/orig"
	run cmt-features -o "$TMP/hard" "$TMP/other" "$TMP/x.nd"
	assert_failure 2
	assert_output --partial "that file is also an input ($TMP/x.nd)"
	cmp "$TMP/x.nd" "$TMP/orig"
	run cmt-features -o "$TMP/x.nd" < "$TMP/x.nd"
	assert_failure 2
	assert_output --partial "that file is also an input (stdin)"
	cmp "$TMP/x.nd" "$TMP/orig"
	run cmt-predict -o "$TMP/x.nd" < "$TMP/x.nd"
	assert_failure 2
	cmp "$TMP/x.nd" "$TMP/orig"
	# a usage error met before the check leaves the file alone too
	run cmt-replay -o "$TMP/x.nd" --speed abc "$TMP/x.nd"
	assert_failure 2
	run cmt-features -o "$TMP/x.nd" --no-such-option "$TMP/x.nd"
	assert_failure 2
	cmp "$TMP/x.nd" "$TMP/orig"
	# another file is emptied and written as before
	printf 'old content that is longer than the new one\n%.0s' 1 2 3 4 5 > "$TMP/out"
	run cmt-replay --speed max -o "$TMP/out" "$TMP/x.nd"
	assert_success
	cmp "$TMP/out" "$TMP/orig"
	cmt-replay --speed max -o "$TMP/out" /dev/null
	[ ! -s "$TMP/out" ]
}

@test "with stderr closed, diagnostics never land in the -o file" {
	{ cmt-sim --symbols BTC-USD --count 20 --seed 1; echo 'not json'; } > "$TMP/in"
	cmt-features --emit-warmup -o "$TMP/out" "$TMP/in" 2>&-
	! grep -q 'cmt-features' "$TMP/out"
	[ "$(grep -c '^{"t":' "$TMP/out")" -eq "$(wc -l < "$TMP/out")" ]
	cmt-replay --speed max -o "$TMP/out2" "$TMP/in" 2>&-
	! grep -q 'cmt-replay' "$TMP/out2"
}

@test "sse: a closed stdin is named as such" {
	run timeout 10 bash -c 'exec cmt-sse --port 0 --exit-on-eof <&-'
	assert_failure 2
	assert_output --partial "stdin is closed"
	refute_output --partial "Transport endpoint"
}

@test "a price near DBL_MAX is written so that the tools read it back" {
	printf 't,sym,px\n60000,BTC-USD,1.7976931348623157e308\n61000,BTC-USD,1.79769313486231e308\n' > "$TMP/in.csv"
	cmt-replay --speed max "$TMP/in.csv" > "$TMP/ticks"
	run --separate-stderr cmt-features --emit-warmup "$TMP/ticks"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[[ "$stderr" != *"line "[0-9]* ]]
	python3 -c '
import json, math, sys
for l in open(sys.argv[1]):
    assert math.isfinite(json.loads(l)["px"]), l
' "$TMP/ticks"
	printf '%s\n' "${lines[@]}" | python3 -c '
import json, math, sys
for l in sys.stdin:
    assert math.isfinite(json.loads(l)["px"]), l
'
}

@test "predict: a forward pass that overflows passes the line on without p_up" {
	model 0.25 10 -10
	vec 60000 "$F" > "$TMP/in"
	# 10 * 1e308 = inf, -10 * 1e308 / 2 = -inf: their sum is NaN
	vec 120000 '"f":{"a":1e308,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":1e308}' >> "$TMP/in"
	run --separate-stderr cmt-predict -m "$TMP/lr.json" < "$TMP/in"
	assert_success
	assert_line --index 0 --partial '"p_up":'
	assert_line --index 1 "$(sed -n 2p "$TMP/in")"
	refute_output --partial 'null'
	[[ "$stderr" == *"line 2: the model's output is not finite (features far outside the training range); passed through without p_up"* ]]
	[[ "$stderr" == *"1 predicted, 1 passed through without p_up"* ]]
}

@test "predict: a vector without p_up names the null feature and why" {
	model
	vec 60000 "${F/\"k\":2/\"k\":null}" > "$TMP/in"
	printf '{"t":120000,"sym":"BTC-USD","px":100,"fs":"%s","f":{"a":1,"b":0,"c":0,"d":0,"e":0,"f":0,"g":null,"h":0,"i":0,"j":0,"k":2},"warmup":true}\n' "$FS" >> "$TMP/in"
	run cmt-predict -m "$TMP/lr.json" < "$TMP/in"
	assert_success
	assert_output --partial 'line 1: "k" is null: undefined or not finite; passed through without p_up'
	assert_output --partial 'line 2: "g" is null: a warm-up vector (history too short); passed through without p_up'
	# the shipped model on a source without volume
	cmt-sim --symbols BTC-USD --count 400 --every 10s --seed 3 | sed 's/,"vol":[0-9.e+-]*//' \
		| cmt-features --model default > "$TMP/v"
	run cmt-predict -m "$ROOT/model/default.json" < "$TMP/v"
	assert_output --partial '"vol_trend" is null: the source gives no volume; passed through without p_up'
}

@test "predict: a line that already has a model member is reported, never given a second one" {
	model
	vec 60000 "$F" > "$TMP/in"
	printf '{"t":120000,"sym":"BTC-USD","px":100,"fs":"%s",%s,"model":"old"}\n' "$FS" "$F" >> "$TMP/in"
	printf '{"t":180000,"sym":"BTC-USD","px":100,"fs":"%s",%s,"model":7}\n' "$FS" "$F" >> "$TMP/in"
	run --separate-stderr cmt-predict -m "$TMP/lr.json" < "$TMP/in"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[[ "$stderr" == *'line 2: already has "model" (scored before?), skipped'* ]]
	[[ "$stderr" == *'line 3: already has "model" (scored before?), skipped'* ]]
	{
		echo "t,sym,px,fs,a,b,c,d,e,f,g,h,i,j,k,model"
		echo "60000,BTC-USD,100,$FS,1,0,0,0,0,0,0,0,0,0,2,old"
	} > "$TMP/in.csv"
	run cmt-predict -m "$TMP/lr.json" < "$TMP/in.csv"
	assert_failure
	assert_output --partial 'already has a model column'
}

@test "a model file naming a key twice is refused, like a vector that does" {
	model
	sed 's/"name":"lr1",/"name":"lr1","name":"other",/' "$TMP/lr.json" > "$TMP/dup.json"
	vec 60000 "$F" > "$TMP/in"
	run cmt-predict -m "$TMP/dup.json" < "$TMP/in"
	assert_failure 1
	assert_output --partial 'duplicate key "name"'
	sed 's/"std":\[1,1,1,1,1,1,1,1,1,1,2\]}/"std":[1,1,1,1,1,1,1,1,1,1,2],"mean":[9,9,9,9,9,9,9,9,9,9,9]}/' "$TMP/lr.json" > "$TMP/dup2.json"
	run cmt-predict -m "$TMP/dup2.json" < "$TMP/in"
	assert_failure 1
	assert_output --partial 'duplicate key "mean"'
	run cmt-predict -m "$TMP/lr.json" < "$TMP/in"
	assert_success
}

@test "train: a feature constant up to round-off is detected and recorded in the card" {
	for i in $(seq 1 200); do
		printf '{"t":%d,"sym":"BTC-USD","px":100,"fs":"%s","f":{"a":%d,"b":0.1,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":%d},"y":%d}\n' \
			$((i * 60000)) "$FS" $((i % 3)) $((i % 5)) $(((i * 7) % 3 % 2))
	done > "$TMP/rows"
	run cmt-train -k logreg -o "$TMP/m.json" "$TMP/rows"
	assert_success
	assert_output --partial 'feature b is constant in the training rows'
	python3 - "$TMP/m.json" <<-'PY'
	import json, sys
	m = json.load(open(sys.argv[1]))
	assert m["standardize"]["std"][1] == 1, m["standardize"]["std"]
	assert m["card"]["training"]["constant_feature_names"] == list("bcdefghij"), m["card"]["training"]
	PY
	# so a tiny change of b moves p_up by a tiny amount, not to 0 or 1
	printf '{"t":1,"sym":"BTC-USD","px":100,"fs":"%s","f":{"a":1,"b":0.1,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":1}}\n' "$FS" > "$TMP/v"
	sed 's/"b":0.1,/"b":0.1000001,/' "$TMP/v" >> "$TMP/v"
	cmt-predict -m "$TMP/m.json" < "$TMP/v" | sed 's/.*"p_up":\([^,]*\),.*/\1/' > "$TMP/p"
	python3 -c 'import sys; a, b = map(float, open(sys.argv[1])); assert abs(a - b) < 1e-3, (a, b)' "$TMP/p"
}

@test "train: the model name derived from any file name is one cmt-predict loads" {
	for i in $(seq 1 60); do
		printf '{"t":%d,"sym":"BTC-USD","px":100,"fs":"%s","f":{"a":%d,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":%d},"y":%d}\n' \
			$((i * 60000)) "$FS" $((i % 3)) $((i % 5)) $((i % 2))
	done > "$TMP/rows"
	cmt-train -q -k logreg -o "$TMP/my model (v2).json" "$TMP/rows" 2>/dev/null
	vec 60000 "$F" > "$TMP/v"
	run cmt-predict -m "$TMP/my model (v2).json" < "$TMP/v"
	assert_success
	assert_output --partial '"model":"my_model__v2_"}'
	run cmt-train -q -k logreg -n 'bad name' -o "$TMP/x.json" "$TMP/rows"
	assert_failure 2
	assert_output --partial "--name: 'bad name' is not a model name"
	[ ! -e "$TMP/x.json" ]
}

@test "fetch --history: a page too big to hold halves the window instead of retrying forever" {
	start_api --gecko-step 60
	# 5 days of minutely points: 7200, more than a page (5000) holds
	run --separate-stderr timeout 60 cmt-fetch --history --base-url "$URL" \
		--symbols btc --from 2023-11-01 --to 2023-11-06 --pace 0 --quiet \
		--backoff 10ms --backoff-max 20ms
	assert_success
	[ "${#lines[@]}" -eq 7200 ]
	[[ "$stderr" == *"more than 5000 points in one page"*"asking for 60h at a time"* ]]
	[ "$(api_log | wc -l)" -le 3 ]
	# sorted, no duplicates
	printf '%s\n' "${lines[@]}" | sed 's/.*"t":\([0-9]*\).*/\1/' | sort -nc
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 7200 ]
}

@test "features: --max-symbols above 2048 is what it says" {
	python3 -c '
for i in range(3000):
    print("{\"t\":%d,\"sym\":\"S%d-USD\",\"px\":100}" % (1700000000000 + i, i))
' > "$TMP/in"
	run cmt-features --max-symbols 5000 "$TMP/in"
	assert_success
	assert_output --partial "3000 ticks, 0 vectors, 3000 symbols"
	refute_output --partial "ignored"
	run cmt-features --max-symbols 2500 "$TMP/in"
	assert_output --partial "line 2501: more than 2500 symbols (--max-symbols); 'S2500-USD' ignored"
	assert_output --partial "2500 symbols, 500 over symbol limit"
}

@test "features: a configuration whose worst case exceeds --max-memory is refused with the figure" {
	run cmt-features --windows 1s,2s,3s,100000s --label 100000s < /dev/null
	assert_failure 2
	assert_output --partial "worst case 15.3 GiB (15.3 MiB per symbol x 1024 symbols) exceeds --max-memory 512.0 MiB"
	assert_output --partial "lower --max-symbols (33 fit)"
	run cmt-features --windows 1s,2s,3s,100000s --label 100000s --max-symbols 33 < /dev/null
	assert_success
	run cmt-features --windows 1s,2s,3s,100000s --label 100000s --max-symbols 100 --max-memory 2GiB < /dev/null
	assert_success
	run cmt-features --max-memory 12x < /dev/null
	assert_failure 2
	assert_output --partial "--max-memory: invalid size '12x'"
}

@test "sse: a client's id from before a restart gets a gap and the new backlog" {
	port=$(free_port)
	{ printf 'a\nb\nc\n'; sleep 3; } | cmt-sse --port "$port" 2>/dev/null &
	pid=$!
	for _ in $(seq 50); do curl -s "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
	old=$(curl -sN --max-time 1 "127.0.0.1:$port/events?lastEventId=0" | sed -n 's/^id: //p' | tail -1)
	kill $pid 2>/dev/null; wait $pid || true
	sleep 1.1    # the next run starts in a later second
	# the restarted server has fewer events than the old one had
	{ printf 'x\n'; sleep 3; } | cmt-sse --port "$port" 2>/dev/null &
	pid=$!
	for _ in $(seq 50); do curl -s "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
	run curl -sN --max-time 1 -H "Last-Event-ID: $old" "127.0.0.1:$port/events"
	kill $pid 2>/dev/null; wait $pid || true
	assert_line --partial 'event: gap'
	assert_line --partial "data: {\"after\":$old,"
	assert_line 'data: x'
	new=$(printf '%s\n' "$output" | sed -n 's/^id: //p')
	[ "$new" -gt "$old" ]
}

@test "sim: a symbol given twice is refused, not two walks under one name" {
	run cmt-sim --symbols A-B,a-b --count 4
	assert_failure 2
	assert_output --partial "--symbols: A-B given twice"
}

@test "messages: one bad-line form, 'tool: [FILE: ]line N: reason', in every tool" {
	printf '{"t":1,"sym":"BTC-USD","px":1}\nnot json\n' > "$TMP/t"
	run cmt-replay --speed max "$TMP/t"
	assert_line "cmt-replay: $TMP/t: line 2: not a JSON object"
	run cmt-replay --speed max < "$TMP/t"
	assert_line --regexp '^cmt-replay: line 2: '
	run cmt-features < "$TMP/t"
	assert_line --regexp '^cmt-features: line 2: '
	run cmt-features "$TMP/t"
	assert_line --regexp "^cmt-features: $TMP/t: line 2: "
	run cmt-backtest < "$TMP/t"
	assert_line --regexp '^cmt-backtest: line 1: '
	run cmt-train -o "$TMP/m.json" < "$TMP/t"
	assert_line --regexp '^cmt-train: line 1: '
	refute_output --partial -- '-: line'
	refute_output --regexp ':[0-9]+: '
}

@test "messages: a bad option is one line; a bad duration says it is not one" {
	for tool in cmt-features cmt-predict cmt-replay cmt-sim cmt-fetch cmt-backtest cmt-sse cmt-train; do
		run $tool --no-such-option
		assert_failure 2
		[ "${#lines[@]}" -eq 1 ]
		assert_output "$tool: unknown option '--no-such-option' (try '$tool --help')"
	done
	run cmt-predict -m
	assert_output "cmt-predict: option '-m' needs an argument (try 'cmt-predict --help')"
	run cmt-features --label abc
	assert_failure 2
	assert_line --index 0 "cmt-features: --label: 'abc' is not a duration (use e.g. 250ms, 5s, 1m, 2h)"
}

@test "messages: cmt-predict fed ticks says to make vectors with cmt-features" {
	cmt-sim --count 5 > "$TMP/t"
	run cmt-predict < "$TMP/t"
	assert_failure 2
	assert_output 'cmt-predict: line 1: these are ticks (t, sym, px), not feature vectors: cmt-features reads them (cmt-features --model default FILE)'
}

@test "| head is quiet: a closed pipe ends every writer without a message" {
	cmt-sim --count 20000 --seed 2 > "$TMP/t"
	cmt-features --emit-warmup -q "$TMP/t" > "$TMP/v"
	for cmd in "cmt-sim --count 1000000" "cmt-replay --speed max $TMP/t" \
	    "cmt-features --emit-warmup -q $TMP/t" "cmt-backtest --follow --pass $TMP/v"; do
		run bash -c "$cmd 2>\"$TMP/err\" | head -n 1 >/dev/null; echo \${PIPESTATUS[0]}"
		[ "$output" = 141 ]
		run cat "$TMP/err"
		refute_output --partial "write error"
		refute_output --partial "Broken pipe"
	done
	# other write errors stay loud
	run sh -c 'cmt-sim --count 10 > /dev/full'
	assert_failure 1
	assert_output --partial "write error: No space left on device"
}

@test "relative times: --from -2h, --from now-2h, --to now" {
	python3 -c '
import time
now = int(time.time() * 1000)
for ago in (3 * 3600000, 3600000, 600000):
    print("{\"t\":%d,\"sym\":\"BTC-USD\",\"px\":100}" % (now - ago))
' > "$TMP/t"
	run cmt-replay --speed max --from -2h "$TMP/t"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	run cmt-replay --speed max --from now-2h --to now-30m "$TMP/t"
	[ "${#lines[@]}" -eq 1 ]
	run cmt-replay --speed max --to now "$TMP/t"
	[ "${#lines[@]}" -eq 3 ]
	run cmt-replay --speed max --from now+1h "$TMP/t"
	[ "${#lines[@]}" -eq 0 ]
	run cmt-replay --from now-2x "$TMP/t"
	assert_failure 2
	assert_output --partial "invalid time 'now-2x'"
	run cmt-fetch --history --symbols btc --from -2h --to now --base-url http://127.0.0.1:1 --retry-max 1 --backoff 1ms --quiet
	refute_output --partial "--from"
	refute_output --partial "--to"
}

@test "make without a dependency names what is missing and how to get it, in two lines" {
	command -v make >/dev/null || skip "no make"
	run make -C "$ROOT" --no-print-directory O="$TMP/o" \
		PKGS="libcurl libcjson nosuchpc" all
	assert_failure
	assert_line --index 0 "cmt: cannot build, missing: nosuchpc(pkg-config module)"
	assert_line --index 1 --partial "'make deps' installs them"
	refute_output --partial "search path"
	[ "${#lines[@]}" -le 3 ]
	[ ! -d "$TMP/o/lib" ]
}

@test "man pages: every cmt page referred to exists, one date scheme" {
	for ref in $(grep -ho 'cmt-[a-z]* *([0-9])' "$ROOT"/man/*.1 | tr -d ' ' | sort -u); do
		name=${ref%%(*}; sec=${ref#*(}; sec=${sec%)}
		[ -f "$ROOT/man/$name.$sec" ] || { echo "no page for $ref"; false; }
	done
	for f in "$ROOT"/man/*.1; do
		grep -qE '^\.TH [A-Z-]+ 1 [0-9]{4}-[0-9]{2}-[0-9]{2} "cmt ' "$f" ||
			{ echo "$f: .TH date"; false; }
	done
}

@test "fetch: --base-url is scheme://host[:port]; a path is refused with the URL to give" {
	run cmt-fetch --symbols btc --once --base-url https://api.coingecko.com/api/v3
	assert_failure 2
	assert_line --index 0 "cmt-fetch: --base-url: 'https://api.coingecko.com/api/v3' has a path ('/api/v3'): give scheme://host[:port] only, e.g. 'https://api.coingecko.com'; cmt-fetch adds each API's path (such as /api/v3/...) itself"
	run cmt-fetch --symbols btc --once --base-url 127.0.0.1:8080
	assert_failure 2
	assert_output --partial "is not http[s]://host[:port]"
	run cmt-fetch --symbols btc --once --base-url http://127.0.0.1:8080/
	assert_failure 2
	assert_output --partial "drop the trailing '/'"
}

@test "fetch --history: --from and --to bound the time emitted, [from, to)" {
	start_api
	run --separate-stderr cmt-fetch --history --source binance --base-url "$URL" \
		--symbols btc --from 2024-01-01T10:00:00Z --to 2024-01-01T11:00:00Z --quiet
	assert_success
	[ "${#lines[@]}" -eq 60 ]
	assert_line --index 0 --partial '"t":1704103200000,'
	assert_line --index 59 --partial '"t":1704106740000,'
	refute_output --partial '"t":1704106800000,'
}
