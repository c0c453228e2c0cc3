#!/usr/bin/env bats
# cmt-bus against real nats-server processes on 127.0.0.1 (random ports,
# stores under $TMP): round trips, exit statuses, exact delivery across a
# killed consumer, a 3-node cluster losing its stream leader, partitioned
# workers against a one-machine pipeline, and replay from a time.  Every
# server is killed in teardown, whatever happened.
load helper
load nats

local_teardown() {
	nats_stop_all
}

uniq_at_least() {
	[ -f "$1" ] && [ "$(sort -u "$1" | wc -l)" -ge "$2" ]
}

# wait_uniq FILE N: until FILE holds N different lines.
wait_uniq() {
	wait_until uniq_at_least "$1" "$2" && return 0
	echo "$1: $(sort -u "$1" | wc -l) different lines, wanted $2" >&2
	return 1
}

ends_with() {
	[ -f "$1" ] && [ "$(tail -n 1 "$1")" = "$2" ]
}

# wait_last FILE LINE: until the last line of FILE is LINE.
wait_last() {
	wait_until ends_with "$1" "$2" && return 0
	echo "$1 never ended with $2" >&2
	return 1
}

# same_per_symbol A B: the same lines, in the same order within each
# symbol (messages batch the lines of one subject, so symbols interleave
# differently on the way).
same_per_symbol() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
def by_sym(f):
	d = {}
	for l in open(f).read().splitlines():
		d.setdefault(json.loads(l)["sym"], []).append(l)
	return d
a, b = by_sym(sys.argv[1]), by_sym(sys.argv[2])
for s in sorted(set(a) | set(b)):
	x, y = a.get(s, []), b.get(s, [])
	if x != y:
		i = next((i for i, (u, v) in enumerate(zip(x, y)) if u != v),
			min(len(x), len(y)))
		print("%s: %d lines vs %d, first difference at %d" %
			(s, len(x), len(y), i))
		sys.exit(1)
EOF
}

@test "cmt-bus --help, --version and usage errors exit 0 and 2" {
	run cmt-bus --help
	assert_success
	assert_output --partial 'cmt-bus pub'
	run cmt-bus --version
	assert_success
	assert_output --regexp '^cmt-bus \(cmt\) '
	run cmt-bus
	assert_failure 2
	assert_output --partial "expected 'pub' or 'sub'"
	run cmt-bus sub
	assert_failure 2
	assert_output --partial 'needs --stream'
	run cmt-bus sub --stream S --partition 4/4 --filter 'a.{part}'
	assert_failure 2
	run cmt-bus pub --subject 'cmt.{sym}x'
	assert_failure 2
	assert_output --partial 'whole subject token'
	run cmt-bus pub --durable x
	assert_failure 2
	assert_output --partial "does not go with 'pub'"
	run cmt-bus sub --stream S --new --from-seq 3
	assert_failure 2
}

@test "cmt-bus: unreachable server exits 3 with the URL" {
	local port
	port=$(free_port)
	run cmt-bus sub -u "nats://127.0.0.1:$port" --stream S </dev/null
	assert_failure 3
	assert_output --partial "127.0.0.1:$port"
	run cmt-bus pub -u "nats://127.0.0.1:$port" </dev/null
	assert_failure 3
}

@test "cmt-bus: a missing stream exits 5, no JetStream exits 5" {
	need_nats
	nats_start
	run cmt-bus sub -u "$NATS_URL" --stream NOPE
	assert_failure 5
	assert_output --partial "stream 'NOPE' not found"
	cmt-sim -n 3 >"$TMP/in"
	run cmt-bus pub -u "$NATS_URL" --subject 'x.{sym}' <"$TMP/in"
	assert_failure 5
	assert_output --regexp "no stream stores subject 'x\.(BTC|ETH)-USD'"
	# a server without JetStream
	local port
	port=$(free_port)
	nats-server -a 127.0.0.1 -p "$port" >"$TMP/plain.log" 2>&1 &
	echo "$! plain" >>"$TMP/nats.pids"
	for i in $(seq 100); do
		cmt-bus sub -u "nats://127.0.0.1:$port" --stream S 2>"$TMP/err" &&
			break
		grep -q 'JetStream' "$TMP/err" && break
		sleep 0.05
	done
	run cmt-bus sub -u "nats://127.0.0.1:$port" --stream S
	assert_failure 5
	assert_output --partial 'JetStream is not enabled'
}

@test "cmt-bus: refused credentials exit 4; the right ones work" {
	need_nats
	local port mon
	port=$(free_port)
	mon=$(free_port)
	nats_conf n0 "$port" "$mon"
	echo 'authorization { user: alice, password: s3cret }' >>"$TMP/n0.conf"
	nats_run n0
	nats_wait "$mon"
	run cmt-bus sub -u "nats://127.0.0.1:$port" --user alice --password wrong \
		--stream S
	assert_failure 4
	assert_output --partial 'uthorization'
	run cmt-bus sub -u "nats://127.0.0.1:$port" --stream S
	assert_failure 4
	cmt-sim -n 10 >"$TMP/in"
	cmt-bus pub -u "nats://127.0.0.1:$port" --user alice --password s3cret \
		--create-stream S <"$TMP/in"
	cmt-bus sub -u "nats://127.0.0.1:$port" --user alice \
		--password s3cret --stream S -e >"$TMP/out"
	same_per_symbol "$TMP/in" "$TMP/out"
	# a token
	port=$(free_port)
	mon=$(free_port)
	nats_conf tok "$port" "$mon"
	echo 'authorization { token: t0ken }' >>"$TMP/tok.conf"
	nats_run tok
	nats_wait "$mon"
	run cmt-bus pub -u "nats://127.0.0.1:$port" --token wrong \
		--create-stream S <"$TMP/in"
	assert_failure 4
	cmt-bus pub -u "nats://127.0.0.1:$port" --token t0ken \
		--create-stream S <"$TMP/in"
	cmt-bus sub -u "nats://127.0.0.1:$port" --token t0ken --stream S -e \
		>"$TMP/out"
	same_per_symbol "$TMP/in" "$TMP/out"
}

@test "cmt-bus: TLS passes through to libnats (--tls-ca); an unverified server is refused" {
	need_nats
	command -v openssl >/dev/null || skip "openssl is not installed"
	local port mon d=$TMP
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=cmt-test-ca \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		-keyout "$d/srv.key" -out "$d/srv.csr" 2>/dev/null
	echo 'subjectAltName=IP:127.0.0.1' >"$d/ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 1 -extfile "$d/ext" -out "$d/srv.pem" 2>/dev/null
	port=$(free_port)
	mon=$(free_port)
	nats_conf n0 "$port" "$mon"
	echo "tls { cert_file: \"$d/srv.pem\", key_file: \"$d/srv.key\" }" \
		>>"$TMP/n0.conf"
	nats_run n0
	nats_wait "$mon"
	cmt-sim -n 50 >"$TMP/in"
	cmt-bus pub -u "nats://127.0.0.1:$port" --tls-ca "$d/ca.pem" \
		--create-stream S <"$TMP/in"
	cmt-bus sub -u "nats://127.0.0.1:$port" --tls-ca "$d/ca.pem" --stream S \
		-e >"$TMP/out"
	same_per_symbol "$TMP/in" "$TMP/out"
	run cmt-bus sub -u "nats://127.0.0.1:$port" --tls --stream S -e
	assert_failure 1
	assert_output --partial 'unable to get local issuer certificate'
}

@test "cmt-bus: pub | sub round trip keeps every line and each symbol's order; bad lines are reported and skipped" {
	need_nats
	nats_start
	cmt-sim -n 20000 --symbols BTC-USD,ETH-USD,SOL-USD >"$TMP/in"
	{ head -n 5 "$TMP/in"; echo 'not json'; echo '{"t":1,"px":2}';
	  tail -n +6 "$TMP/in"; } >"$TMP/in-bad"
	run cmt-bus pub -u "$NATS_URL" --create-stream TICKS --max-age 1d \
		<"$TMP/in-bad"
	assert_success
	assert_output --partial 'line 6: '
	assert_output --partial 'line 7: missing "sym", skipped'
	cmt-bus sub -u "$NATS_URL" --stream TICKS -e >"$TMP/out"
	same_per_symbol "$TMP/in" "$TMP/out"
	# a second pub of the same lines is dropped by the server's dedupe
	run cmt-bus pub -u "$NATS_URL" <"$TMP/in"
	assert_success
	cmt-bus sub -u "$NATS_URL" --stream TICKS -e >"$TMP/out2"
	cmp "$TMP/out" "$TMP/out2"
	# --filter
	cmt-bus sub -u "$NATS_URL" --stream TICKS --filter 'cmt.ticks.ETH-USD' -e \
		>"$TMP/eth"
	grep '"ETH-USD"' "$TMP/in" | cmp - "$TMP/eth"
	# one message per line (--batch 1): in input order exactly, and
	# --from-seq counts lines
	cmt-bus pub -u "$NATS_URL" --create-stream ONE --subject 'one.{sym}' \
		--batch 1 <"$TMP/in"
	cmt-bus sub -u "$NATS_URL" --stream ONE -e | cmp - "$TMP/in"
	cmt-bus sub -u "$NATS_URL" --stream ONE --from-seq 19991 -e >"$TMP/tail"
	tail -n 10 "$TMP/in" | cmp - "$TMP/tail"
	# -n stops after N lines, even inside a batch
	cmt-bus sub -u "$NATS_URL" --stream TICKS -n 7 >"$TMP/seven"
	head -n 7 "$TMP/out" | cmp - "$TMP/seven"
	# a durable keeps its filter
	cmt-bus sub -u "$NATS_URL" --stream TICKS --durable x -n 1 >/dev/null
	run cmt-bus sub -u "$NATS_URL" --stream TICKS --durable x \
		--filter 'cmt.ticks.ETH-USD'
	assert_failure 1
	assert_output --partial "durable 'x' filters '(all)'"
}

@test "cmt-bus pub: subject tokens come from decoded values; one spelled two ways is one subject; a token that cannot be one is refused" {
	need_nats
	nats_start
	cat >"$TMP/in" <<'EOF'
{"sym":"BTC-USD","t":1,"px":1,"src":"ab"}
{"sym":"BTC-USD","t":2,"px":1,"src":"a\u0062"}
{"sym":"btc\u002dusd","t":3,"px":1,"src":"\u0061b"}
{"sym":"BTC-USD","t":4,"px":1,"src":"x\u0020y"}
{"sym":"BTC-USD","t":5,"px":1,"src":"a\u002eb"}
{"sym":"BTC-USD","t":6,"px":1,"src":"a\u002a"}
{"sym":"BTC-USD","t":7,"px":1,"src":"\u003e"}
{"sym":"BTC-USD","t":8,"px":1,"src":"a\nb"}
{"sym":"BTC-USD","t":9,"px":1,"src":"a\u007f"}
{"sym":"BTC-USD","t":10,"px":1,"src":"cd"}
{"sym":"BTC-USD","t":1e1,"px":1,"src":"cd"}
EOF
	run cmt-bus pub -u "$NATS_URL" --create-stream S --subject 'c.{src}.{sym}' \
		--batch 1 <"$TMP/in"
	assert_success
	assert_output --partial 'line 4: "src" value "x\u0020y" cannot be a subject token: it holds a space, skipped'
	assert_output --partial 'line 5: "src" value "a\u002eb" cannot be a subject token: it holds a dot, skipped'
	assert_output --partial "line 6: \"src\" value \"a\\u002a\" cannot be a subject token: it holds '*', skipped"
	assert_output --partial "line 7: \"src\" value \"\\u003e\" cannot be a subject token: it holds '>', skipped"
	assert_output --partial 'line 8: "src" value "a\nb" cannot be a subject token: it holds a control character, skipped'
	assert_output --partial 'line 9: "src" value "a\u007f" cannot be a subject token: it holds a control character, skipped'
	assert_output --partial '6 bad lines skipped'
	# both spellings of "ab" (and of BTC-USD) on the one subject c.ab.BTC-USD
	cmt-bus sub -u "$NATS_URL" --stream S --filter 'c.ab.BTC-USD' -e \
		>"$TMP/ab"
	head -n 3 "$TMP/in" | cmp - "$TMP/ab"
	# nothing was published under a token made of the escaped text
	cmt-bus sub -u "$NATS_URL" --stream S -e >"$TMP/all"
	[ "$(wc -l <"$TMP/all")" -eq 4 ]
	# t 10 and 1e1 are one id: the stream's dedupe stored one of them
	cmt-bus sub -u "$NATS_URL" --stream S --filter 'c.cd.*' -e >"$TMP/cd"
	sed -n 10p "$TMP/in" | cmp - "$TMP/cd"
	# a filter no token can match is a usage error, not a retry loop
	run cmt-bus sub -u "$NATS_URL" --stream S --filter 'c.a\b.*' -e
	assert_failure 2
	assert_output --partial "--filter: 'c.a\\b.*': not a subject"
}

@test "cmt-bus sub: SIGTERM drains and acknowledges, a restart continues with no line twice" {
	need_nats
	nats_start
	cmt-sim -n 50000 --symbols BTC-USD,ETH-USD >"$TMP/in"
	cmt-bus pub -u "$NATS_URL" --create-stream TICKS <"$TMP/in"
	# a slow reader downstream keeps the consumer mid-stream, blocked in
	# a write when SIGTERM comes
	mkfifo "$TMP/fifo"
	cmt-bus pub -u "$NATS_URL" --create-stream ONE --subject 'one.{sym}' \
		--batch 1 <"$TMP/in"
	cmt-bus sub -u "$NATS_URL" --stream ONE --durable d --pull 100 \
		>"$TMP/fifo" 2>"$TMP/err" &
	local sub=$!
	BG_PIDS="$BG_PIDS $sub"
	bg sh -c "while IFS= read -r l; do printf '%s\n' \"\$l\"; done \
		<'$TMP/fifo' >'$TMP/out1'"
	local reader=$LAST_PID
	wait_lines "$TMP/out1" 300
	kill -TERM "$sub"
	wait "$sub"
	wait "$reader"
	n1=$(wc -l <"$TMP/out1")
	[ "$n1" -lt 50000 ]
	cmt-bus sub -u "$NATS_URL" --stream ONE --durable d -e >"$TMP/out2"
	cat "$TMP/out1" "$TMP/out2" | cmp - "$TMP/in"
	# SIGTERM while idle, after everything was written: nothing again
	bg cmt-bus sub -u "$NATS_URL" --stream ONE --durable idle -o "$TMP/all"
	wait_lines "$TMP/all" 50000
	sleep 0.2
	kill -TERM "$LAST_PID"
	wait "$LAST_PID"
	cmt-bus sub -u "$NATS_URL" --stream ONE --durable idle -e >"$TMP/again"
	[ ! -s "$TMP/again" ]
}

# term_timed PID: SIGTERM to PID (a child of the test shell); sets RC to
# its status and MS to the milliseconds it took to exit.
term_timed() {
	local t0
	t0=$(date +%s%N)
	kill -TERM "$1"
	RC=0
	wait "$1" || RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
}

@test "cmt-bus sub: SIGTERM with the server gone ends at once, says which lines may come again (exit 3); the restart repeats no more" {
	need_nats
	nats_start
	cmt-sim -n 50000 --symbols BTC-USD,ETH-USD >"$TMP/in"
	cmt-bus pub -u "$NATS_URL" --create-stream ONE --subject 'one.{sym}' \
		--batch 1 <"$TMP/in"
	# a slow reader keeps the consumer mid-stream
	mkfifo "$TMP/fifo"
	cmt-bus sub -u "$NATS_URL" --stream ONE --durable d --pull 100 \
		>"$TMP/fifo" 2>"$TMP/err" &
	local sub=$!
	BG_PIDS="$BG_PIDS $sub"
	python3 -c '
import sys, time
out = open(sys.argv[1], "w")
for i, l in enumerate(sys.stdin):
	out.write(l)
	if i % 20 == 0:
		out.flush()
		time.sleep(0.002)' "$TMP/out1" <"$TMP/fifo" &
	local reader=$!
	BG_PIDS="$BG_PIDS $reader"
	wait_lines "$TMP/out1" 3000
	nats_kill n0
	sleep 0.3
	term_timed "$sub"
	echo "# sub, server gone: exit $RC after $MS ms" >&3
	cat "$TMP/err" >&3
	[ "$RC" -eq 3 ]
	[ "$MS" -lt 5000 ]
	grep -E '^cmt-bus: the server is gone: the acknowledgement of the last [0-9]+ lines written is not confirmed; a restart with --durable d may write them again$' "$TMP/err"
	local n
	n=$(sed -n 's/.*the last \([0-9]*\) lines written.*/\1/p' "$TMP/err")
	wait "$reader"
	# whole lines, a prefix of the stream
	n1=$(wc -l <"$TMP/out1")
	[ "$n1" -lt 50000 ]
	head -n "$n1" "$TMP/in" | cmp - "$TMP/out1"
	# the server back: the restart writes again at most the n lines said
	nats_run n0
	nats_wait "$NATS_MON"
	cmt-bus sub -u "$NATS_URL" --stream ONE --durable d -e >"$TMP/out2"
	python3 - "$TMP/in" "$TMP/out1" "$TMP/out2" "$n" <<'EOF' >&3
import sys
inp, o1, o2 = (open(f).read().splitlines() for f in sys.argv[1:4])
n = int(sys.argv[4])
k = len(o1) + len(o2) - len(inp)
assert 0 <= k <= n, (k, n)
assert o2[:k] == o1[len(o1) - k:], "repeats are not the unconfirmed tail"
assert o1 + o2[k:] == inp, "lines lost, reordered or changed"
print("# %d lines out before the stop, %d said unconfirmed, %d written again"
	% (len(o1), n, k))
EOF
}

@test "cmt-bus pub: SIGTERM with the server gone ends at once, names the first line not stored (exit 3); publishing from there loses nothing" {
	need_nats
	nats_start
	cmt-sim -n 3000 --symbols BTC-USD,ETH-USD >"$TMP/in"
	mkfifo "$TMP/fifo"
	cmt-bus pub -u "$NATS_URL" --create-stream T --batch 1 <"$TMP/fifo" \
		2>"$TMP/err" &
	local pub=$!
	BG_PIDS="$BG_PIDS $pub"
	exec 4>"$TMP/fifo"
	head -n 1000 "$TMP/in" >&4
	local i
	for i in $(seq 200); do
		[ "$(stream_msgs "$NATS_MON" T)" -eq 1000 ] && break
		sleep 0.05
	done
	nats_kill n0
	sed -n 1001,1300p "$TMP/in" >&4
	sleep 0.5
	term_timed "$pub"
	exec 4>&-
	echo "# pub, server gone, lines in flight: exit $RC after $MS ms" >&3
	cat "$TMP/err" >&3
	[ "$RC" -eq 3 ]
	[ "$MS" -lt 5000 ]
	grep -E '^cmt-bus: the server is gone: 300 lines read are not confirmed stored \(the first is input line 1001\); publish them again$' "$TMP/err"
	# the server back: publishing from that line stores every line once
	nats_run n0
	nats_wait "$NATS_MON"
	sed -n '1001,$p' "$TMP/in" | cmt-bus pub -u "$NATS_URL" --batch 1
	cmt-bus sub -u "$NATS_URL" --stream T -e | cmp - "$TMP/in"
	# with a full window (4 messages) the line being sent is counted too
	mkfifo "$TMP/fifo2"
	cmt-bus pub -u "$NATS_URL" --create-stream T2 --subject 't2.{sym}' \
		--batch 1 --window 4 <"$TMP/fifo2" 2>"$TMP/err2" &
	pub=$!
	BG_PIDS="$BG_PIDS $pub"
	exec 4>"$TMP/fifo2"
	head -n 100 "$TMP/in" >&4
	for i in $(seq 200); do
		[ "$(stream_msgs "$NATS_MON" T2)" -eq 100 ] && break
		sleep 0.05
	done
	nats_kill n0
	sed -n 101,2000p "$TMP/in" >&4 &
	local feed=$!
	sleep 0.5
	term_timed "$pub"
	exec 4>&-
	kill "$feed" 2>/dev/null || true
	echo "# pub, server gone, window full: exit $RC after $MS ms" >&3
	cat "$TMP/err2" >&3
	[ "$RC" -eq 3 ]
	[ "$MS" -lt 5000 ]
	grep -E '^cmt-bus: the server is gone: 5 lines read are not confirmed stored \(the first is input line 101\); publish them again$' "$TMP/err2"
}

@test "cmt-bus sub: exact delivery across a consumer killed with SIGKILL and restarted" {
	need_nats
	nats_start
	cmt-sim -n 100000 --symbols BTC-USD,ETH-USD,SOL-USD,XRP-USD >"$TMP/in"
	# small messages and small pulls: the consumer is mid-stream at the kill
	cmt-bus pub -u "$NATS_URL" --create-stream TICKS --batch 8 <"$TMP/in"
	bg cmt-bus sub -u "$NATS_URL" --stream TICKS --durable d --pull 5 \
		-o "$TMP/out1"
	wait_lines "$TMP/out1" 20000
	kill -9 "$LAST_PID"
	wait "$LAST_PID" 2>/dev/null || true
	n1=$(wc -l <"$TMP/out1")
	[ "$n1" -lt 100000 ]
	run cmt-bus sub -u "$NATS_URL" --stream TICKS --durable d -e \
		-o "$TMP/out2"
	assert_success
	# the restart repeats only the lines written but not yet acknowledged,
	# at most one pull (5 messages of at most 8 lines), in order: out2
	# begins with out1's last k lines; and no line is lost or reordered
	cmt-bus sub -u "$NATS_URL" --stream TICKS -e >"$TMP/all"
	same_per_symbol "$TMP/in" "$TMP/all"
	python3 - "$TMP/all" "$TMP/out1" "$TMP/out2" <<'EOF' >&3
import sys
inp, o1, o2 = (open(f).read().splitlines() for f in sys.argv[1:])
k = len(o1) + len(o2) - len(inp)
assert 0 <= k <= 5 * 8, k
assert o2[:k] == o1[len(o1) - k:], "repeats are not the unacknowledged tail"
assert o1 + o2[k:] == inp, "lines lost, reordered or changed"
print("# killed after %d lines, %d written again" % (len(o1), k))
EOF
	# the documented dedupe: cmt-features skips the repeated timestamps,
	# so the pipeline's output is exactly that of the input
	cmt-features <"$TMP/in" >"$TMP/f-ref" 2>/dev/null
	cat "$TMP/out1" "$TMP/out2" | cmt-features >"$TMP/f-bus" 2>/dev/null
	[ -s "$TMP/f-ref" ]
	same_per_symbol "$TMP/f-ref" "$TMP/f-bus"
}

@test "cmt-bus: replay from a time gives the lines from that time on and no others" {
	need_nats
	nats_start
	cmt-sim -n 3000 --symbols BTC-USD,ETH-USD >"$TMP/in"
	head -n 1000 "$TMP/in" | cmt-bus pub -u "$NATS_URL" --create-stream TICKS
	sleep 0.05
	t=$(date +%s%3N)
	sleep 0.05
	tail -n +1001 "$TMP/in" | cmt-bus pub -u "$NATS_URL"
	cmt-bus sub -u "$NATS_URL" --stream TICKS --from "$t" -e >"$TMP/out"
	tail -n +1001 "$TMP/in" >"$TMP/want"
	same_per_symbol "$TMP/want" "$TMP/out"
	# as an ISO time too, with a durable
	iso=$(date -u -d "@$((t / 1000)).$(printf %03d $((t % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ)
	cmt-bus sub -u "$NATS_URL" --stream TICKS --durable r --from "$iso" -e \
		>"$TMP/out2"
	cmp "$TMP/out" "$TMP/out2"
	# --new: only lines published after the consumer exists
	bg cmt-bus sub -u "$NATS_URL" --stream TICKS --new -o "$TMP/new"
	sleep 1
	cmt-sim -n 10 --start 2025-01-01 | tee "$TMP/in2" | cmt-bus pub -u "$NATS_URL"
	wait_lines "$TMP/new" 10
	kill -TERM "$LAST_PID"
	wait "$LAST_PID"
	same_per_symbol "$TMP/in2" "$TMP/new"
}

# FNV-1a 32 modulo N, written apart from lib/bus.c.
partition_of() {
	python3 -c '
import sys
h = 2166136261
for c in sys.argv[1].upper().encode():
	h = ((h ^ c) * 16777619) & 0xffffffff
print(h % int(sys.argv[2]))' "$1" "$2"
}

@test "cmt-bus: 4 partitioned workers over 50 symbols give each symbol the one-machine pipeline's output" {
	need_nats
	nats_start
	local syms="" i k
	for i in $(seq 1 50); do
		syms="$syms${syms:+,}S$i-USD"
	done
	cmt-sim --symbols "$syms" --duration 3h --every 20s >"$TMP/in"
	cmt-features --model default <"$TMP/in" 2>/dev/null |
		cmt-predict 2>/dev/null >"$TMP/ref"
	[ -s "$TMP/ref" ]
	cmt-bus pub -u "$NATS_URL" --create-stream TICKS \
		--subject 'cmt.ticks.{part}.{sym}' --partitions 4 <"$TMP/in"
	# the stream for predictions, then four workers, one per partition
	echo '{"t":0,"sym":"X-Y"}' | cmt-bus pub -u "$NATS_URL" \
		--create-stream PRED --subject 'cmt.pred.{sym}' --dupe-window 2m
	for k in 0 1 2 3; do
		bg sh -c "cmt-bus sub -u '$NATS_URL' --stream TICKS --durable w$k \
			--filter 'cmt.ticks.{part}.*' --partition $k/4 -e \
			>'$TMP/w$k' &&
			cmt-features --model default <'$TMP/w$k' 2>/dev/null |
			cmt-predict 2>/dev/null |
			cmt-bus pub -u '$NATS_URL' --subject 'cmt.pred.{sym}'"
		eval "W$k=\$LAST_PID"
	done
	for k in 0 1 2 3; do
		eval "wait \$W$k"
	done
	cmt-bus sub -u "$NATS_URL" --stream PRED --filter 'cmt.pred.>' -e |
		grep -v '"X-Y"' >"$TMP/bus"
	[ "$(wc -l <"$TMP/bus")" -eq "$(wc -l <"$TMP/ref")" ]
	for i in $(seq 1 50); do
		s="S$i-USD"
		grep "\"sym\":\"$s\"" "$TMP/ref" >"$TMP/r"
		grep "\"sym\":\"$s\"" "$TMP/bus" >"$TMP/b"
		[ -s "$TMP/r" ]
		cmp "$TMP/r" "$TMP/b"
		# and the symbol went to its partition's worker only
		k=$(partition_of "$s" 4)
		grep -q "\"sym\":\"$s\"" "$TMP/w$k"
		for j in 0 1 2 3; do
			[ "$j" = "$k" ] || ! grep -q "\"sym\":\"$s\"" "$TMP/w$j"
		done
	done
	# a worker told the wrong partition count stops at once
	run cmt-bus sub -u "$NATS_URL" --stream TICKS --filter 'cmt.ticks.{part}.*' \
		--partition 1/3 -e
	assert_failure 1
	assert_output --partial 'another partition count'
}

@test "cmt-bus: 3-node cluster, stream leader killed mid-publish: every line once, in order; the node comes back with all of them" {
	need_nats
	cluster_start
	cmt-sim -n 60000 --symbols BTC-USD,ETH-USD,SOL-USD,XRP-USD,ADA-USD \
		>"$TMP/in"
	head -n 1000 "$TMP/in" | cmt-bus pub -u "$CLUSTER_URL" \
		--create-stream TICKS --replicas 3
	# a consumer running through it all
	bg cmt-bus sub -u "$CLUSTER_URL" --stream TICKS --durable c -o "$TMP/out" \
		2>"$TMP/sub.err"
	local sub=$LAST_PID
	# the publisher reads a FIFO, so the test decides when lines arrive
	mkfifo "$TMP/fifo"
	bg sh -c "cmt-bus pub -u '$CLUSTER_URL' <'$TMP/fifo' 2>'$TMP/pub.err';
		echo \$? >'$TMP/pub.rc'"
	local pub=$LAST_PID
	# fed 500 lines at a time, so the publisher is mid-stream at the kill
	( for i in $(seq 1001 500 59501); do
		sed -n "$i,$((i + 499))p" "$TMP/in"
		sleep 0.02
	  done ) >"$TMP/fifo" &
	local feed=$!
	BG_PIDS="$BG_PIDS $feed"
	# kill the stream leader while lines are flowing
	wait_lines "$TMP/out" 15000
	leader=$(stream_leader TICKS)
	echo "# killing stream leader $leader at $(wc -l <"$TMP/out") lines out" >&3
	nats_kill "$leader"
	wait "$feed"
	wait "$pub"
	cat "$TMP/pub.err" >&3
	[ "$(cat "$TMP/pub.rc")" = 0 ]
	wait_uniq "$TMP/out" 60000 ||
		{ cat "$TMP/sub.err" >&3; false; }
	# bring the node back: it catches up with every line
	nats_run "$leader"
	eval "mon=\$MON_$leader"
	nats_wait "$mon"
	# the other nodes' count of messages (lines travel in batches)
	local other want n=0 i
	for other in n1 n2 n3; do
		[ "$other" = "$leader" ] || break
	done
	eval "want=\$(stream_msgs \$MON_$other TICKS)"
	[ "$want" -gt 0 ]
	for i in $(seq 600); do
		n=$(stream_msgs "$mon" TICKS)
		[ "$n" -eq "$want" ] && break
		sleep 0.1
	done
	[ "$n" -eq "$want" ] ||
		{ echo "# $leader has $n messages, $other $want" >&3; false; }
	echo "# $leader back with all $n messages" >&3
	kill -TERM "$sub"
	wait "$sub"
	cat "$TMP/sub.err" >&3
	# once after dedupe, in input order within each symbol
	python3 - "$TMP/out" <<'EOF' >"$TMP/uniq"
import sys
seen = set()
for l in open(sys.argv[1]).read().splitlines():
	if l not in seen:
		seen.add(l)
		print(l)
EOF
	same_per_symbol "$TMP/in" "$TMP/uniq"
	echo "# $(wc -l <"$TMP/in") lines in, $(wc -l <"$TMP/out") out," \
		"$(($(wc -l <"$TMP/out") - $(wc -l <"$TMP/uniq"))) copies dropped by dedupe" >&3
}
