#!/usr/bin/env bats
# Contracts every tool keeps (issue 11): each test is a defect an
# adversarial pass found, checked as a user would meet it.
load helper

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
	   "weights":[[${2:-1},0,0,0,0,0,0,0,0,0,-1]]}],
	 "card":{}}
	EOF2
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

@test "predict: a CSV header with the features in another order is refused" {
	model
	{
		echo "t,sym,px,fs,k,b,c,d,e,f,g,h,i,j,a"
		echo "60000,BTC-USD,100,$FS,2,0,0,0,0,0,0,0,0,0,1"
	} > "$TMP/in.csv"
	run cmt-predict -m "$TMP/lr.json" < "$TMP/in.csv"
	assert_failure
	assert_output --partial 'feature 1 is "k", the model expects "a" there'
	refute_output --partial 'p_up'
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
