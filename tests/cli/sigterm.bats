#!/usr/bin/env bats
# Every tool ends on SIGTERM within a bounded time in every state it can
# wait in: busy, waiting for input, paced, blocked on a full pipe, serving
# clients (one of them not reading), connected to or cut off from a NATS
# server.  Each case prints the measured time (to the TAP log, fd 3) and
# checks a generous bound (5 s) and what was written: whole lines, a
# prefix of what the tool writes when left alone.  cmt-fetch's live states
# are in its own tests; the states of cmt-bus with lines in flight when
# the server dies are in cmt-bus.bats.
load helper
load nats
load sse

BOUND_MS=5000

local_teardown() {
	[ -z "${SSE_PID:-}" ] || kill -9 "$SSE_PID" 2>/dev/null || true
	exec 5>&- 2>/dev/null || true
	nats_stop_all
}

# term_timed PID WHAT: SIGTERM to PID (started with bg); RC gets its exit
# status, MS the milliseconds it took; logged, and within BOUND_MS.  A
# process still running after 10 s is killed (RC 137).  (Polled: a
# background watchdog subshell would outlive the test and report it.)
term_timed() {
	local t0 stat state
	t0=$(date +%s%N)
	kill -TERM "$1"
	MS=0
	while [ "$MS" -lt 10000 ]; do
		stat= state=
		read -r stat <"/proc/$1/stat" 2>/dev/null || true
		state=${stat##*) }
		[ -z "$stat" ] || [ "${state%% *}" = Z ] && break
		sleep 0.01
		MS=$((($(date +%s%N) - t0) / 1000000))
	done
	MS=$((($(date +%s%N) - t0) / 1000000))
	kill -9 "$1" 2>/dev/null || true
	RC=0
	wait "$1" || RC=$?
	echo "# $2: exit $RC after $MS ms" >&3
	[ "$MS" -lt "$BOUND_MS" ]
}

# whole_prefix OUT REF: OUT holds whole lines only and is the start of REF.
whole_prefix() {
	local n
	n=$(stat -c %s "$1")
	if [ "$n" -gt 0 ]; then
		[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
	fi
	head -c "$n" "$2" | cmp - "$1"
}

# late_reader FIFO OUT SECS: a reader that opens FIFO at once but takes
# nothing for SECS, then copies it all to OUT; its pid in READER.
late_reader() {
	( exec 4<"$1"; sleep "$3"; cat <&4 >"$2" ) 3>&- &
	READER=$!
	BG_PIDS="$BG_PIDS $!"
}

# idle_writer FIFO FILE: writes FILE into FIFO, then holds it open (input
# that has stopped coming but has not ended); its pid in WRITER.
idle_writer() {
	( exec 4>"$1"; cat "$2" >&4; sleep 60 ) 3>&- &
	WRITER=$!
	BG_PIDS="$BG_PIDS $!"
}

@test "SIGTERM: cmt-sim busy, and blocked on a full pipe" {
	cmt-sim -n 3000000 --seed 3 >"$TMP/all"
	bg sh -c 'exec cmt-sim -n 3000000 --seed 3 >"$1"' _ "$TMP/out"
	sleep 0.3
	term_timed "$LAST_PID" "cmt-sim, writing a file"
	[ "$RC" -eq 0 ]
	whole_prefix "$TMP/out" "$TMP/all"
	mkfifo "$TMP/p"
	late_reader "$TMP/p" "$TMP/out2" 1.5
	bg sh -c 'exec cmt-sim -n 3000000 --seed 3 >"$1"' _ "$TMP/p"
	sleep 0.5
	term_timed "$LAST_PID" "cmt-sim, blocked on a full pipe (reader back after 1.5 s)"
	wait "$READER"
	[ "$RC" -eq 0 ]
	whole_prefix "$TMP/out2" "$TMP/all"
}

@test "SIGTERM: cmt-replay paced, waiting for input, blocked on a full pipe" {
	# ticks an hour apart: the replay waits for the second one
	printf '{"t":%s,"sym":"BTC-USD","px":%s}\n' 1700000000000 1 \
		1700003600000 2 1700007200000 3 >"$TMP/slow"
	bg sh -c 'exec cmt-replay "$1" >"$2"' _ "$TMP/slow" "$TMP/out"
	wait_lines "$TMP/out" 1
	term_timed "$LAST_PID" "cmt-replay, paced, waiting for the next tick"
	[ "$RC" -eq 0 ]
	head -n 1 "$TMP/slow" | cmp - "$TMP/out"
	# input that stopped coming
	mkfifo "$TMP/in"
	head -n 2 "$TMP/slow" >"$TMP/two"
	idle_writer "$TMP/in" "$TMP/two"
	bg sh -c 'exec cmt-replay --speed max <"$1" >"$2"' _ "$TMP/in" \
		"$TMP/out2"
	wait_lines "$TMP/out2" 2
	term_timed "$LAST_PID" "cmt-replay, waiting for input"
	[ "$RC" -eq 0 ]
	cmp "$TMP/two" "$TMP/out2"
	# a full pipe
	cmt-sim -n 1000000 >"$TMP/ticks"
	mkfifo "$TMP/p"
	late_reader "$TMP/p" "$TMP/out3" 1.5
	bg sh -c 'exec cmt-replay --speed max "$1" >"$2"' _ "$TMP/ticks" "$TMP/p"
	sleep 0.5
	term_timed "$LAST_PID" "cmt-replay, blocked on a full pipe (reader back after 1.5 s)"
	wait "$READER"
	[ "$RC" -eq 0 ]
	whole_prefix "$TMP/out3" "$TMP/ticks"
}

@test "SIGTERM: cmt-features and cmt-predict waiting for input, and blocked on a full pipe" {
	cmt-sim -d 2d --every 5s >"$TMP/ticks"
	cmt-features -q --model default "$TMP/ticks" >"$TMP/vec"
	cmt-predict <"$TMP/vec" >"$TMP/pred"
	[ "$(wc -l <"$TMP/vec")" -gt 5000 ]
	# waiting: the vectors of the ticks read so far are all out
	mkfifo "$TMP/in"
	head -n 20000 "$TMP/ticks" >"$TMP/some"
	idle_writer "$TMP/in" "$TMP/some"
	bg sh -c 'exec cmt-features -q --model default <"$1" >"$2"' _ \
		"$TMP/in" "$TMP/out"
	cmt-features -q --model default "$TMP/some" >"$TMP/want"
	wait_lines "$TMP/out" "$(wc -l <"$TMP/want")"
	term_timed "$LAST_PID" "cmt-features, waiting for input"
	[ "$RC" -eq 0 ]
	cmp "$TMP/want" "$TMP/out"
	kill "$WRITER"
	mkfifo "$TMP/in2"
	head -n 3000 "$TMP/vec" >"$TMP/vsome"
	idle_writer "$TMP/in2" "$TMP/vsome"
	bg sh -c 'exec cmt-predict <"$1" >"$2"' _ "$TMP/in2" "$TMP/out2"
	wait_lines "$TMP/out2" 3000
	term_timed "$LAST_PID" "cmt-predict, waiting for input"
	[ "$RC" -eq 0 ]
	head -n 3000 "$TMP/pred" | cmp - "$TMP/out2"
	# blocked on a full pipe: the lines go out once the reader is back
	for i in 1 2 3 4 5 6; do cat "$TMP/ticks"; done >"$TMP/many"
	cmt-features -q "$TMP/ticks" >"$TMP/fall" 2>/dev/null
	mkfifo "$TMP/p"
	late_reader "$TMP/p" "$TMP/out3" 1.5
	bg sh -c 'exec cmt-features -q "$1" >"$2"' _ "$TMP/ticks" "$TMP/p"
	sleep 0.7
	term_timed "$LAST_PID" "cmt-features, blocked on a full pipe (reader back after 1.5 s)"
	wait "$READER"
	[ "$RC" -eq 0 ]
	whole_prefix "$TMP/out3" "$TMP/fall"
	for i in $(seq 20); do cat "$TMP/vec"; done >"$TMP/vmany"
	mkfifo "$TMP/p2"
	late_reader "$TMP/p2" "$TMP/out4" 1.5
	bg sh -c 'exec cmt-predict <"$1" >"$2"' _ "$TMP/vmany" "$TMP/p2"
	sleep 0.7
	term_timed "$LAST_PID" "cmt-predict, blocked on a full pipe (reader back after 1.5 s)"
	wait "$READER"
	[ "$RC" -eq 0 ]
	for i in $(seq 20); do cat "$TMP/pred"; done >"$TMP/pmany"
	whole_prefix "$TMP/out4" "$TMP/pmany"
	# a reader that takes nothing: at most 2 s more, then it says so
	mkfifo "$TMP/p3"
	late_reader "$TMP/p3" "$TMP/out5" 4
	bg sh -c 'exec cmt-predict <"$1" >"$2" 2>"$3"' _ "$TMP/vmany" \
		"$TMP/p3" "$TMP/err5"
	sleep 0.7
	term_timed "$LAST_PID" "cmt-predict, blocked on a full pipe (reader never back)"
	[ "$RC" -eq 1 ]
	grep -q 'stopped: the reader took nothing for 2 s after the signal' \
		"$TMP/err5"
}

@test "SIGTERM: cmt-backtest waiting for input, batch and --follow" {
	cmt-sim -d 2d --every 5s | cmt-features -q --model default --label 1m |
		cmt-predict >"$TMP/pred"
	head -n 3000 "$TMP/pred" >"$TMP/some"
	mkfifo "$TMP/in"
	idle_writer "$TMP/in" "$TMP/some"
	bg sh -c 'exec cmt-backtest --follow <"$1" >"$2"' _ "$TMP/in" \
		"$TMP/out"
	cmt-backtest --follow <"$TMP/some" >"$TMP/want"
	sleep 1
	term_timed "$LAST_PID" "cmt-backtest --follow, waiting for input"
	[ "$RC" -eq 0 ]
	# the metrics lines of the intervals closed so far, whole
	[ -s "$TMP/out" ]
	whole_prefix "$TMP/out" "$TMP/want"
	kill "$WRITER"
	mkfifo "$TMP/in2"
	idle_writer "$TMP/in2" "$TMP/some"
	bg sh -c 'exec cmt-backtest --json <"$1" >"$2"' _ "$TMP/in2" "$TMP/out2"
	sleep 1
	term_timed "$LAST_PID" "cmt-backtest, waiting for input"
	[ "$RC" -eq 0 ]
	# the report of the rows read
	cmt-backtest --json <"$TMP/some" | cmp - "$TMP/out2"
}

@test "SIGTERM: cmt-sse with clients connected and input idle, and with a client not reading" {
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	start_sse
	bg curl -sN -o "$TMP/c1" "$URL/events"
	local c1=$LAST_PID
	bg curl -sN -o "$TMP/c2" "$URL/events"
	local c2=$LAST_PID
	wait_metric cmt_sse_streams 2
	printf '{"n":1}\n{"n":2}\n' >&5
	wait_metric cmt_sse_events_out_total 4
	term_timed "$SSE_PID" "cmt-sse, 2 clients, input idle"
	exec 5>&-
	[ "$RC" -eq 0 ]
	wait "$c1"
	wait "$c2"
	# every event whole (stamped with its receive time), on both clients
	[ "$(grep -cE '^data: \{"n":[12],"t_recv":[0-9]+\}$' "$TMP/c1")" -eq 2 ]
	[ "$(grep -cE '^data: \{"n":[12],"t_recv":[0-9]+\}$' "$TMP/c2")" -eq 2 ]
	# a client that stops reading holds at most the 2 s drain
	rm -f "$TMP/in"
	start_sse --client-buffer 64MiB --backlog 100000
	bg curl -sN -o "$TMP/c3" "$URL/events"
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(30)' "$PORT" 3>&- 5>&- &
	BG_PIDS="$BG_PIDS $!"
	wait_metric cmt_sse_streams 2
	python3 -c '
import sys
pad = "x" * 400
for i in range(1, 20001):
    sys.stdout.write("{\"n\":%d,\"pad\":\"%s\"}\n" % (i, pad))' >&5
	wait_metric cmt_sse_events_in_total 20000
	term_timed "$SSE_PID" "cmt-sse, a client not reading"
	exec 5>&-
	[ "$RC" -eq 0 ]
	grep -E '^cmt-sse: 1 stream closed with [0-9]+ events not delivered within the 2000 ms drain' \
		"$TMP/err"
	# the reading client got every event
	[ "$(grep -c '^id: ' "$TMP/c3")" -eq 20000 ]
}

@test "SIGTERM: cmt-train reading and training stops at once, no model written" {
	cmt-sim -d 10d --every 5s | cmt-features -q --model default --label 1m \
		>"$TMP/rows"
	bg sh -c 'exec cmt-train -q --epochs 100000 --patience 100000 -o "$1" \
		"$2" 2>"$3"' _ "$TMP/model.json" "$TMP/rows" "$TMP/err"
	sleep 2
	term_timed "$LAST_PID" "cmt-train, training"
	[ "$RC" -eq 1 ]
	grep -E '^cmt-train: interrupted in epoch [0-9]+: no model written$' \
		"$TMP/err"
	[ ! -e "$TMP/model.json" ]
	mkfifo "$TMP/in"
	idle_writer "$TMP/in" "$TMP/rows"
	bg sh -c 'exec cmt-train -q -o "$1" <"$2" 2>"$3"' _ "$TMP/model.json" \
		"$TMP/in" "$TMP/err2"
	sleep 1
	term_timed "$LAST_PID" "cmt-train, waiting for input"
	[ "$RC" -eq 1 ]
	grep -E '^cmt-train: interrupted while reading stdin: no model written$' \
		"$TMP/err2"
	[ ! -e "$TMP/model.json" ]
}

@test "SIGTERM: cmt-bus pub and sub, connected and idle, and with the server gone" {
	need_nats
	nats_start
	cmt-sim -n 2000 >"$TMP/ticks"
	mkfifo "$TMP/in"
	idle_writer "$TMP/in" "$TMP/ticks"
	bg sh -c 'exec cmt-bus pub -u "$1" --create-stream T <"$2" 2>"$3"' _ \
		"$NATS_URL" "$TMP/in" "$TMP/pub.err"
	local pub=$LAST_PID
	local i
	for i in $(seq 100); do
		[ "$(stream_msgs "$NATS_MON" T)" -gt 0 ] && break
		sleep 0.05
	done
	bg sh -c 'exec cmt-bus sub -u "$1" --stream T --durable d >"$2" 2>"$3"' \
		_ "$NATS_URL" "$TMP/out" "$TMP/sub.err"
	local sub=$LAST_PID
	wait_lines "$TMP/out" 2000
	bg sh -c 'exec cmt-bus sub -u "$1" --stream T >"$2" 2>"$3"' _ \
		"$NATS_URL" "$TMP/out2" "$TMP/sub2.err"
	local sub2=$LAST_PID
	wait_lines "$TMP/out2" 2000
	term_timed "$sub" "cmt-bus sub (durable), connected, idle"
	[ "$RC" -eq 0 ]
	term_timed "$pub" "cmt-bus pub, connected, input idle"
	[ "$RC" -eq 0 ]
	kill "$WRITER"
	# the server gone: everything was confirmed before, so exit 0
	bg sh -c 'exec cmt-bus sub -u "$1" --stream T --durable d2 >"$2" \
		2>"$3"' _ "$NATS_URL" "$TMP/out3" "$TMP/sub3.err"
	local sub3=$LAST_PID
	mkfifo "$TMP/in2"
	: >"$TMP/nothing"
	idle_writer "$TMP/in2" "$TMP/nothing"
	bg sh -c 'exec cmt-bus pub -u "$1" <"$2" 2>"$3"' _ "$NATS_URL" \
		"$TMP/in2" "$TMP/pub2.err"
	local pub2=$LAST_PID
	wait_lines "$TMP/out3" 2000
	sleep 1.5
	nats_kill n0
	sleep 2
	term_timed "$sub3" "cmt-bus sub (durable), server gone 2 s, reconnecting"
	cat "$TMP/sub3.err" >&3
	[ "$RC" -eq 0 ]
	term_timed "$sub2" "cmt-bus sub (ephemeral), server gone 2 s, reconnecting"
	cat "$TMP/sub2.err" >&3
	[ "$RC" -eq 0 ]
	grep -q 'ephemeral consumer .* not deleted (the server is gone)' \
		"$TMP/sub2.err"
	term_timed "$pub2" "cmt-bus pub, server gone 2 s, nothing in flight"
	cat "$TMP/pub2.err" >&3
	[ "$RC" -eq 0 ]
	# the lines of each subject in order (batches interleave subjects)
	sort "$TMP/ticks" | cmp - <(sort "$TMP/out3")
	grep '"BTC-USD"' "$TMP/ticks" | cmp - <(grep '"BTC-USD"' "$TMP/out3")
}
