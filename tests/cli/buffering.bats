#!/usr/bin/env bats
# Output buffering on pipes (issue 13): block-buffered while input keeps
# coming, flushed whenever a tool would wait for its input.

load helper

# N one-minute ticks of BTC-USD on the grid of the shipped model: after the
# warm-up each tick completes one vector.
ticks() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"t\":%.0f,\"sym\":\"BTC-USD\",\"px\":%.2f,\"vol\":1}\n",
			1709251200000 + i * 60000, 50000 + (i * 7919) % 101 }'
}

@test "a pipeline that waits for input has written every line it could" {
	ticks 100 >"$TMP/ticks"
	cmt-features -q --model default <"$TMP/ticks" | cmt-predict \
		>"$TMP/all" 2>/dev/null
	want=$(wc -l <"$TMP/all")
	[ "$want" -gt 20 ]
	mkfifo "$TMP/in"
	cmt-features -q --model default <"$TMP/in" | cmt-predict \
		>"$TMP/out" 2>/dev/null &
	exec 5>"$TMP/in"
	cat "$TMP/ticks" >&5
	# the input stays open: both tools now wait for more, so each must
	# have flushed what it made
	wait_lines "$TMP/out" "$want"
	exec 5>&-
	wait
	cmp "$TMP/out" "$TMP/all"
}

@test "a busy pipe gets whole buffers, not one write() per line" {
	command -v strace >/dev/null || skip "strace not installed"
	ticks 20000 >"$TMP/ticks"
	# LeakSanitizer cannot run under ptrace (make asan): leaks are
	# checked by every other test
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -e trace=write -o "$TMP/trace" sh -c \
		'cmt-features -q --model default "$1" | cmt-predict >/dev/null' \
		_ "$TMP/ticks"
	cmt-features -q --model default "$TMP/ticks" >"$TMP/vec"
	lines=$(wc -l <"$TMP/vec")
	writes=$(grep -c 'write(1,' "$TMP/trace")
	[ "$lines" -gt 19000 ]
	# two tools, about 8 MB each way in 64 KiB buffers: a few hundred
	# writes at most, where one per line would be 40,000
	[ "$writes" -lt 1000 ]
}
