#!/usr/bin/env bats
# Fault injection for the stream writers: a full disk (/dev/full, a file
# size limit), a closed pipe, and SIGTERM/SIGPIPE in the middle of a stream
# written with -o.  Every failure is a message and exit 1, never a silent
# truncation; a file written with -o only ever holds whole lines.
load helper

local_setup() {
	cmt-sim -n 20000 --seed 7 >"$TMP/ticks"
}

# whole_prefix OUT SRC: OUT is non-empty, ends in a newline and is a prefix
# of SRC.
whole_prefix() {
	local n
	n=$(stat -c %s "$1")
	[ "$n" -gt 0 ]
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
	head -c "$n" "$2" | cmp - "$1"
}

@test "a full disk (/dev/full) is a write error and exit 1 for every stream writer" {
	run sh -c 'cmt-sim -n 100000 >/dev/full'
	[ "$status" -eq 1 ]
	[[ "$output" == *"write error: No space left on device"* ]]
	run sh -c 'cmt-replay --speed max "$1" >/dev/full' _ "$TMP/ticks"
	[ "$status" -eq 1 ]
	[[ "$output" == *"write error: No space left on device"* ]]
	run sh -c 'cmt-features --emit-warmup -q "$1" >/dev/full' _ "$TMP/ticks"
	[ "$status" -eq 1 ]
	[[ "$output" == *"write error: No space left on device"* ]]
	run sh -c 'cmt-backtest "$1" >/dev/full' _ \
		"$ROOT/tests/cli/data/tiny-predictions.ndjson"
	[ "$status" -eq 1 ]
	[[ "$output" == *"write error"* ]]
}

@test "-o /dev/full is a write error naming the file, exit 1" {
	run cmt-replay --speed max -o /dev/full "$TMP/ticks"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/dev/full: write error: No space left on device"* ]]
	run cmt-features --emit-warmup -q -o /dev/full "$TMP/ticks"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/dev/full: write error: No space left on device"* ]]
}

@test "a closed pipe stops the writer quietly, by SIGPIPE (status 141), as Unix tools" {
	run bash -c 'cmt-sim -n 1000000 | head -n 1 >/dev/null;
		echo "status ${PIPESTATUS[0]}"'
	[ "$output" = "status 141" ]
	run bash -c 'cmt-replay --speed max "$1" | head -n 1 >/dev/null;
		echo "status ${PIPESTATUS[0]}"' _ "$TMP/ticks"
	[ "$output" = "status 141" ]
	run bash -c 'cmt-features --emit-warmup -q "$1" | head -n 1 >/dev/null;
		echo "status ${PIPESTATUS[0]}"' _ "$TMP/ticks"
	[ "$output" = "status 141" ]
}

@test "-o under a file size limit: exit 1 and the file is cut back to whole lines" {
	run bash -c 'ulimit -f 100; cmt-replay --speed max -o "$1" "$2"' _ \
		"$TMP/out" "$TMP/ticks"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$TMP/out: write error: File too large"* ]]
	[ "$(stat -c %s "$TMP/out")" -le 102400 ]
	whole_prefix "$TMP/out" "$TMP/ticks"
	cmt-features --emit-warmup -q "$TMP/ticks" >"$TMP/all"
	run bash -c 'ulimit -f 100; cmt-features --emit-warmup -q -o "$1" "$2"' \
		_ "$TMP/out2" "$TMP/ticks"
	[ "$status" -eq 1 ]
	[[ "$output" == *"File too large"* ]]
	whole_prefix "$TMP/out2" "$TMP/all"
}

@test "without -o a file size limit is still a reported error, not SIGXFSZ" {
	run bash -c 'ulimit -f 100; cmt-replay --speed max "$1" >"$2"' _ \
		"$TMP/ticks" "$TMP/out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"write error: File too large"* ]]
}

@test "SIGTERM mid-stream: exit 0 and the -o file holds whole lines" {
	# 20 ticks a second: the stream is cut while a tick is pending
	cmt-replay --speed 20 -o "$TMP/out" "$TMP/ticks" 2>"$TMP/err" &
	pid=$!
	sleep 0.6
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	whole_prefix "$TMP/out" "$TMP/ticks"
	[ "$(wc -l <"$TMP/out")" -lt 20000 ]
}

@test "SIGTERM with input still arriving: cmt-features -o ends on a whole line" {
	mkfifo "$TMP/in"
	cmt-features --emit-warmup -q -o "$TMP/out" <"$TMP/in" 2>"$TMP/err" &
	pid=$!
	exec 5>"$TMP/in"
	head -n 5000 "$TMP/ticks" >&5
	# half a tick line: the tool must not emit anything for it
	printf '{"t":1704067200000,"sym":"BTC' >&5
	sleep 0.3
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	exec 5>&-
	[ "$st" -eq 0 ]
	head -n 5000 "$TMP/ticks" | cmt-features --emit-warmup -q >"$TMP/all"
	whole_prefix "$TMP/out" "$TMP/all"
}

@test "SIGPIPE sent to a writer with -o is ignored: the file is complete" {
	cmt-replay --speed 10000 -o "$TMP/out" "$TMP/ticks" &
	pid=$!
	sleep 0.3
	kill -PIPE "$pid" || true
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	cmp "$TMP/out" "$TMP/ticks"
}

@test "-o to a FIFO whose reader leaves: a closed pipe, quiet, status 141" {
	mkfifo "$TMP/fifo"
	head -c 1000 "$TMP/fifo" >/dev/null &
	run cmt-replay --speed max -o "$TMP/fifo" "$TMP/ticks"
	[ "$status" -eq 141 ]
	[ -z "$output" ]
}

@test "-o names a file that cannot be created: exit 1 before reading" {
	run cmt-features -o "$TMP/no/such/dir/out" "$TMP/ticks"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$TMP/no/such/dir/out: No such file or directory"* ]]
}

@test "cmt-predict: /dev/full, a closed pipe and -o under a size limit" {
	cmt-features --emit-warmup -q --model default "$TMP/ticks" \
		>"$TMP/vec"
	[ "$(wc -l <"$TMP/vec")" -gt 100 ]
	run sh -c 'cmt-predict <"$1" >/dev/full' _ "$TMP/vec"
	[ "$status" -eq 1 ]
	[[ "$output" == *"write error: No space left on device"* ]]
	run bash -c 'cmt-predict <"$1" 2>"$2" | head -n 1 >/dev/null;
		echo "status ${PIPESTATUS[0]}"' _ "$TMP/vec" "$TMP/err"
	[ "$output" = "status 141" ]
	! grep -q "write error" "$TMP/err"
	cmt-predict <"$TMP/vec" >"$TMP/all" 2>/dev/null
	run bash -c 'ulimit -f 40; cmt-predict -o "$1" <"$2"' _ "$TMP/out" \
		"$TMP/vec"
	[ "$status" -eq 1 ]
	[[ "$output" == *"File too large"* ]]
	whole_prefix "$TMP/out" "$TMP/all"
}

@test "SIGTERM to a writer blocked on a full pipe: it finishes its lines and exits 0 once the reader reads" {
	mkfifo "$TMP/pipe"
	# the reader opens the pipe but takes nothing for a second: the pipe
	# fills and the writer blocks in write() when SIGTERM comes
	( exec 3<"$TMP/pipe"; sleep 1.5; cat <&3 >"$TMP/out" ) &
	reader=$!
	cmt-sim -n 3000000 --seed 7 >"$TMP/pipe" 2>"$TMP/err" &
	pid=$!
	sleep 0.8
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	wait "$reader"
	[ "$st" -eq 0 ]
	[ ! -s "$TMP/err" ]
	# whole lines, the start of what it would have written
	n=$(wc -l <"$TMP/out")
	[ "$n" -gt 100 ] && [ "$n" -lt 3000000 ]
	[ "$(tail -c 1 "$TMP/out" | od -An -c | tr -d ' ')" = '\n' ]
	cmt-sim -n 3000000 --seed 7 2>/dev/null | head -n "$n" | cmp - "$TMP/out"
}

@test "SIGTERM to a writer whose reader never reads: after at most 2 s it says what it could not write, exit 1, not a hang" {
	mkfifo "$TMP/pipe"
	# the reader takes the pipe's contents only after the writer gave up
	( exec 3<"$TMP/pipe"; sleep 3; cat <&3 >"$TMP/out" ) &
	reader=$!
	cmt-sim -n 3000000 >"$TMP/pipe" 2>"$TMP/err" &
	pid=$!
	sleep 0.5
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	wait "$reader"
	[ "$st" -eq 1 ]
	cat "$TMP/err"
	grep -Eq "^cmt-sim: stopped: the reader took nothing for 2 s after the signal; [0-9]+ buffered lines not written" "$TMP/err"
	# what the pipe got is the start of the stream; it ends inside a line
	# exactly when the message says so
	n=$(stat -c %s "$TMP/out")
	cmt-sim -n 3000000 2>/dev/null | head -c "$n" | cmp - "$TMP/out"
	if [ "$(tail -c 1 "$TMP/out")" = "" ]; then
		! grep -q 'cut short' "$TMP/err"
	else
		grep -q ', the last one written cut short$' "$TMP/err"
	fi
}
