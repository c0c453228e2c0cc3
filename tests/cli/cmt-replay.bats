#!/usr/bin/env bats
# cmt-replay: byte-exact pass-through, merging, filters, gzip, pacing.
load helper

# ticks FILE T0 N STEP_MS [SYM]: N ticks STEP_MS apart, with an extra field.
ticks() {
	awk -v t0="$2" -v n="$3" -v step="$4" -v sym="${5:-BTC-USD}" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"t\":%.0f, \"sym\":\"%s\",\"px\":%d.5,\"extra\":[%d,{\"k\":null}]}\n",
				t0 + i * step, sym, 100 + i, i
	}' > "$1"
}

@test "help goes to stdout and exits 0; --version names the tool" {
	run cmt-replay --help
	assert_success
	assert_output --partial "Usage: cmt-replay"
	run cmt-replay --version
	assert_success
	assert_output --regexp "^cmt-replay \(cmt\) [0-9]"
}

@test "bad arguments are usage errors (exit 2)" {
	run cmt-replay --speed 0 /dev/null
	assert_failure 2
	assert_output --partial "--speed"
	run cmt-replay --speed fast /dev/null
	assert_failure 2
	run cmt-replay --from yesterday /dev/null
	assert_failure 2
	run cmt-replay --from 2024-03-02 --to 2024-03-01 /dev/null
	assert_failure 2
	run cmt-replay --bogus
	assert_failure 2
}

@test "a missing file is a runtime failure naming it" {
	run cmt-replay --speed max "$TMP/nope.ndjson"
	assert_failure 1
	assert_output --partial "nope.ndjson"
}

@test "a recording round-trips byte for byte, unknown fields and spacing included" {
	ticks "$TMP/rec.ndjson" 1709251200000 500 1000
	cmt-replay --speed max "$TMP/rec.ndjson" > "$TMP/out"
	cmp "$TMP/rec.ndjson" "$TMP/out"
	cmt-replay --speed max < "$TMP/rec.ndjson" > "$TMP/out2"
	cmp "$TMP/rec.ndjson" "$TMP/out2"
}

@test "a recording of a tool's output round-trips, plain and gzip" {
	cmt-sim --symbols BTC-USD,ETH-USD --start 2024-03-01 --duration 1h \
		--every 2s --seed 3 | tee "$TMP/rec.ndjson" | gzip > "$TMP/rec.gz"
	cmt-replay --speed max "$TMP/rec.ndjson" | cmp - "$TMP/rec.ndjson"
	cmt-replay --speed max "$TMP/rec.gz" | cmp - "$TMP/rec.ndjson"
	[ "$(wc -l < "$TMP/rec.ndjson")" -gt 1000 ]
}

@test "a bad line is reported with file and line number and skipped" {
	ticks "$TMP/a" 1709251200000 3 1000
	{ head -1 "$TMP/a"; echo 'not json'; echo '{"t":1,"sym":"BTC-USD","px":-1}'; tail -2 "$TMP/a"; } > "$TMP/b"
	run cmt-replay --speed max "$TMP/b"
	assert_success
	assert_line --index 0 "$(head -1 "$TMP/a")"
	assert_line --partial "$TMP/b: line 2:"
	assert_line --partial "$TMP/b: line 3:"
	assert_line --partial "2 bad lines skipped"
	cmt-replay --speed max "$TMP/b" 2>/dev/null | cmp - "$TMP/a"
}

@test "several files are merged by time, the earlier file first on ties" {
	ticks "$TMP/btc" 1709251200000 4 1000 BTC-USD
	ticks "$TMP/eth" 1709251200500 4 1000 ETH-USD
	printf '{"t":1709251203000,"sym":"SOL-USD","px":1}\n' > "$TMP/sol"
	run cmt-replay --speed max "$TMP/sol" "$TMP/btc" "$TMP/eth"
	assert_success
	[ "${#lines[@]}" -eq 9 ]
	run sh -c "cmt-replay --speed max '$TMP/sol' '$TMP/btc' '$TMP/eth' |
		sed 's/.*\"t\":\([0-9]*\).*\"sym\":\"\([A-Z]*\).*/\1 \2/'"
	assert_output "1709251200000 BTC
1709251200500 ETH
1709251201000 BTC
1709251201500 ETH
1709251202000 BTC
1709251202500 ETH
1709251203000 SOL
1709251203000 BTC
1709251203500 ETH"
}

@test "--from is inclusive and --to exclusive, in any time spelling" {
	ticks "$TMP/a" 1709251200000 10 1000
	run cmt-replay --speed max --from 2024-03-01T00:00:02Z --to 1709251205 "$TMP/a"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 0 --partial '"t":1709251202000'
	assert_line --index 2 --partial '"t":1709251204000'
	run cmt-replay --speed max --from 1709251209000 "$TMP/a"
	[ "${#lines[@]}" -eq 1 ]
}

@test "CSV recordings are replayed as NDJSON ticks" {
	printf 'sym,t,px,vol,note\nBTC-USD,1709251200000,100.5,0.25,x\neth-usd,1709251201000,20,,y\n' > "$TMP/a.csv"
	run cmt-replay --speed max "$TMP/a.csv"
	assert_success
	assert_line --index 0 '{"t":1709251200000,"sym":"BTC-USD","px":100.5,"vol":0.25}'
	assert_line --index 1 '{"t":1709251201000,"sym":"ETH-USD","px":20}'
}

@test "gzip files are read by suffix or by magic number" {
	ticks "$TMP/a" 1709251200000 200 1000
	gzip -c "$TMP/a" > "$TMP/a.gz"
	gzip -c "$TMP/a" > "$TMP/a.rec"
	cmt-replay --speed max "$TMP/a.gz" | cmp - "$TMP/a"
	cmt-replay --speed max "$TMP/a.rec" | cmp - "$TMP/a"
	cmt-replay --speed max - < "$TMP/a.rec" | cmp - "$TMP/a"
}

@test "gzip data on a pipe is read too, and concatenated members one after another" {
	ticks "$TMP/a" 1709251200000 300 1000
	gzip -c "$TMP/a" | cmt-replay --speed max | cmp - "$TMP/a"
	head -100 "$TMP/a" | gzip -c > "$TMP/two.gz"
	tail -n +101 "$TMP/a" | gzip -c >> "$TMP/two.gz"
	cmt-replay --speed max "$TMP/two.gz" | cmp - "$TMP/a"
	cat "$TMP/two.gz" | cmt-replay --speed max | cmp - "$TMP/a"
}

@test "a truncated gzip file is replayed up to the damage and fails" {
	ticks "$TMP/a" 1709251200000 20000 1000
	gzip -c "$TMP/a" | head -c 30000 > "$TMP/t.gz"
	run sh -c "cmt-replay --speed max '$TMP/t.gz' 2>'$TMP/err' | wc -l"
	n=$output
	[ "$n" -gt 1000 ] && [ "$n" -lt 20000 ]
	grep -q "t.gz: the gzip data ends early (a truncated file?)" "$TMP/err"
	run cmt-replay --speed max "$TMP/t.gz"
	assert_failure 1
}

@test "ticks are paced by their timestamps within tolerance" {
	# 6 ticks 1 s apart at --speed 10 are due 0, 0.1, ... 0.5 s after
	# the first; each must arrive no earlier than due and not 150 ms late.
	ticks "$TMP/a" 1709251200000 6 1000
	run python3 - "$TMP/a" <<'EOF'
import subprocess, sys, time
p = subprocess.Popen(["cmt-replay", "--speed", "10", sys.argv[1]],
                     stdout=subprocess.PIPE)
first = None
for i, line in enumerate(p.stdout):
    now = time.monotonic()
    first = now if first is None else first
    off = now - first
    due = i * 0.1
    if not (due - 0.005 <= off <= due + 0.15):
        print("tick %d at %.3f s, due %.3f s" % (i, off, due)); sys.exit(1)
sys.exit(p.wait())
EOF
	assert_success
}

@test "--warmup writes its span at once and paces the rest" {
	# 61 ticks a minute apart, the last one an hour
	# after the first, so it starts the clock; then two more 1 s and 2 s
	# after it: 2 s at --speed 4 is all that is waited for
	ticks "$TMP/a" 1709251200000 61 60000
	ticks "$TMP/b" 1709254801000 2 1000
	start=$(date +%s%N)
	run cmt-replay --speed 4 --warmup 1h "$TMP/a" "$TMP/b"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_success
	[ "${#lines[@]}" -eq 63 ]
	[ "$ms" -ge 490 ] && [ "$ms" -lt 2000 ]
	run cmt-replay --warmup soon "$TMP/a"
	assert_failure 2
}

@test "--speed max does not sleep through a day of ticks" {
	ticks "$TMP/a" 1709251200000 17280 5000
	run timeout 10 cmt-replay --speed max "$TMP/a"
	assert_success
	[ "${#lines[@]}" -eq 17280 ]
}

@test "SIGINT during a long wait stops at once with status 0" {
	ticks "$TMP/a" 1709251200000 3 3600000
	cmt-replay "$TMP/a" > "$TMP/out" &
	pid=$!
	sleep 0.3
	kill -INT $pid
	wait $pid
	[ "$(wc -l < "$TMP/out")" -eq 1 ]
}

@test "a closed pipe stops the replay quietly (status 141, as SIGPIPE)" {
	ticks "$TMP/a" 1709251200000 50000 1000
	cmt-replay --speed max "$TMP/a" 2>"$TMP/err" | head -1 > /dev/null || true
	st=("${PIPESTATUS[@]}")
	[ "${st[0]}" -eq 141 ]
	[ ! -s "$TMP/err" ]
}
