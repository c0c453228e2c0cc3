#!/usr/bin/env bats
# cmt-sse: events, ids, replay, slow clients, bad requests, metrics, exit
# paths, and the dashboard in headless Chromium.  The server reads a FIFO
# held open on fd 5 (bats owns fd 3), so each test decides when lines arrive.
load helper
load sse

local_setup() {
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	SSE_ARGS="--first-id 1"
	SSE_PID=
	CURL_PIDS=
}

local_teardown() {
	local p
	for p in $CURL_PIDS $SSE_PID; do
		kill "$p" 2>/dev/null || true
	done
	exec 5>&- 2>/dev/null || true
	[ -z "$SSE_PID" ] || wait "$SSE_PID" 2>/dev/null || true
}

# client NAME [CURL ARGS...]: a curl -N subscriber writing $TMP/NAME.
client() {
	local name=$1
	shift
	curl -sN --max-time 20 "$@" "$URL/events" >"$TMP/$name" 2>/dev/null 5>&- &
	CURL_PIDS="$CURL_PIDS $!"
}

# Only the event lines of a stream (no retry hint, comments, blank lines,
# status events), with the receive time stamped on JSON lines as T.
events_of() {
	unstatus <"$TMP/$1" | grep -E '^(id|event|data):'
}

# stream CURL_ARGS...: one second of a stream, through unstatus.
stream() {
	curl -sN --max-time 1 "$@" | unstatus
}

# A stream without its status events, receive times as T.
unstatus() {
	awk '/^event: status$/ { skip = 1; next } skip && /^$/ { skip = 0; next }
		!skip' | sed -E 's/"t_recv":[0-9]+/"t_recv":T/'
}

@test "--help prints the synopsis and exits 0; --version works" {
	run cmt-sse --help
	assert_success
	assert_output --partial "Usage: cmt-sse"
	assert_output --partial "--event-field"
	run cmt-sse --version
	assert_success
	assert_output --regexp '^cmt-sse \(cmt\) [0-9]'
}

@test "bad arguments are usage errors naming the option" {
	run cmt-sse --port 70000
	assert_failure 2
	assert_output --partial "--port"
	run cmt-sse --client-buffer 12XB
	assert_failure 2
	assert_output --partial "--client-buffer"
	run cmt-sse --heartbeat soon
	assert_failure 2
	run cmt-sse --cors ''
	assert_failure 2
	run cmt-sse extra
	assert_failure 2
}

@test "an address that cannot be bound is a runtime failure" {
	run cmt-sse --bind 203.0.113.1 --port "$PORT" </dev/null
	assert_failure 1
	assert_output --partial "cannot listen on 203.0.113.1"
	run cmt-sse --bind not-an-ip </dev/null
	assert_failure 1
}

@test "each line is one event with increasing ids, in order, CR stripped" {
	start_sse
	client a
	client b
	wait_metric cmt_sse_streams 2
	printf '{"sym":"BTC-USD","px":1}\r\nplain text\n\n{"sym":"ETH-USD","px":2}\n' >&5
	wait_metric cmt_sse_events_out_total 8
	run events_of a
	assert_output "$(printf 'id: 1\ndata: {"sym":"BTC-USD","px":1,"t_recv":T}\nid: 2\ndata: plain text\nid: 3\ndata: \nid: 4\ndata: {"sym":"ETH-USD","px":2,"t_recv":T}')"
	run diff <(events_of a) <(events_of b)
	assert_success
	run head -1 "$TMP/a"
	assert_output "retry: 3000"
}

@test "the stream answers with SSE headers" {
	start_sse --retry 1500ms
	run curl -sN --max-time 1 -D - -o "$TMP/body" "$URL/events"
	assert_output --partial "HTTP/1.1 200 OK"
	assert_output --partial "Content-Type: text/event-stream"
	assert_output --partial "Cache-Control: no-cache"
	refute_output --partial "Access-Control-Allow-Origin"
	run head -1 "$TMP/body"
	assert_output "retry: 1500"
}

@test "a regular file on stdin is served from the backlog" {
	seq 1 3 >"$TMP/file"
	cmt-sse --port "$PORT" --first-id 1 <"$TMP/file" 2>"$TMP/err" &
	SSE_PID=$!
	wait_metric cmt_sse_input_open 0
	run stream "$URL/events?lastEventId=0"
	assert_output "$(printf 'retry: 3000\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n')"
}

@test "--event-field names the event type from a JSON member" {
	start_sse --event-field kind
	client a
	wait_metric cmt_sse_streams 1
	printf '%s\n' '{"kind":"metrics","auc":0.55}' '{"kind":"bad type"}' 'x' >&5
	wait_metric cmt_sse_events_out_total 3
	run events_of a
	assert_output "$(printf 'id: 1\nevent: metrics\ndata: {"kind":"metrics","auc":0.55,"t_recv":T}\nid: 2\ndata: {"kind":"bad type","t_recv":T}\nid: 3\ndata: x')"
}

@test "a reconnecting client gets what it missed after Last-Event-ID" {
	start_sse
	seq 1 5 >&5
	wait_metric cmt_sse_events_in_total 5
	run stream -H 'Last-Event-ID: 3' "$URL/events"
	assert_output "$(printf 'retry: 3000\n\nid: 4\ndata: 4\n\nid: 5\ndata: 5\n')"
	# The query parameter works too; lastEventId=0 means the whole backlog.
	run stream "$URL/events?lastEventId=0"
	assert_line --index 1 "id: 1"
	assert_line --index 10 "data: 5"   # blank lines are not counted
	# Without either, only new events.
	client fresh
	wait_metric cmt_sse_streams 1
	echo 6 >&5
	wait_metric cmt_sse_events_out_total 8
	run events_of fresh
	assert_output "$(printf 'id: 6\ndata: 6')"
}

@test "events gone from the backlog are announced as a gap" {
	start_sse --backlog 3
	seq 1 6 >&5
	wait_metric cmt_sse_events_in_total 6
	assert_equal "$(metric cmt_sse_backlog_events)" 3
	run stream -H 'Last-Event-ID: 1' "$URL/events"
	assert_output "$(printf 'retry: 3000\n\nevent: gap\ndata: {"after":1,"next":4}\n\nid: 4\ndata: 4\n\nid: 5\ndata: 5\n\nid: 6\ndata: 6\n')"
	# An id from before a restart (beyond the newest) is a gap too.
	run stream -H 'Last-Event-ID: 99' "$URL/events"
	assert_line --index 1 'event: gap'
	assert_line --index 2 'data: {"after":99,"next":4}'
}

@test "a client that stops reading is dropped; the others get everything" {
	start_sse --client-buffer 256KiB --backlog 100000
	client fast
	# A subscriber with a tiny receive window that never reads.
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(30)' "$PORT" 5>&- &
	CURL_PIDS="$CURL_PIDS $!"
	wait_metric cmt_sse_streams 2
	# 3000 lines of 4 KiB: far more than socket buffers and 256 KiB.
	python3 -c '
import sys
pad = "x" * 4000
w = sys.stdout.write
for i in range(1, 3001):
    w("{\"n\":%d,\"pad\":\"%s\"}\n" % (i, pad))' >&5
	wait_metric cmt_sse_events_in_total 3000
	wait_metric cmt_sse_clients_dropped_total 1
	wait_metric cmt_sse_streams 1
	for i in $(seq 200); do
		[ "$(grep -c '^id: ' "$TMP/fast")" = 3000 ] && break
		sleep 0.05
	done
	run grep -c '^id: ' "$TMP/fast"
	assert_output 3000
	# Ids 1..3000 in order, each with its own line.
	run sh -c "grep '^id: ' '$TMP/fast' | cut -c5- | awk '\$1 != NR { bad++ } END { print bad + 0 }'"
	assert_output 0
	events_of fast | grep '^data: ' | cut -c7-20 | sed -n '1p;3000p' >"$TMP/ends"
	run cat "$TMP/ends"
	assert_output "$(printf '{"n":1,"pad":"\n{"n":3000,"pad')"
}

@test "unknown paths are 404, other methods 405, junk 400" {
	start_sse
	run curl -s -o /dev/null -w '%{http_code}' "$URL/nope"
	assert_output 404
	run curl -s -D - -o /dev/null -X POST "$URL/events"
	assert_output --partial "405 Method Not Allowed"
	assert_output --partial "Allow: GET, HEAD"
	run curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/"
	assert_output 405
	# A body we never wanted does not cost the client its answer.
	head -c 300000 /dev/zero >"$TMP/body"
	run curl -s -o /dev/null -w '%{http_code}' --data-binary @"$TMP/body" "$URL/events"
	assert_output 405
	exec 4<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'HELLO\r\n\r\n' >&4
	run head -1 <&4
	exec 4<&-
	assert_output "$(printf 'HTTP/1.1 400 Bad Request\r')"
	exec 4<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET / HTTP/1.1\r\n\r\n' >&4   # no Host
	run head -1 <&4
	exec 4<&-
	assert_output --partial "400"
	wait_metric cmt_sse_request_errors_total 6
}

@test "oversized request lines and headers are refused" {
	start_sse
	run curl -s -o /dev/null -w '%{http_code}' "$URL/$(head -c 3000 /dev/zero | tr '\0' a)"
	assert_output 414
	run curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)" "$URL/"
	assert_output 431
	# The server is still fine.
	run curl -sf "$URL/healthz"
	assert_output ok
}

@test "HEAD answers headers only" {
	start_sse
	run curl -s -I "$URL/"
	assert_output --partial "Content-Type: text/html"
	exec 4<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'HEAD /healthz HTTP/1.0\r\n\r\n' >&4
	run cat <&4
	exec 4<&-
	assert_line --index 0 "$(printf 'HTTP/1.1 200 OK\r')"
	assert_line "$(printf 'Content-Length: 3\r')"
	refute_line "ok"
}

@test "a client that never finishes its request is timed out" {
	start_sse --request-timeout 300ms
	exec 4<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /events HTTP/1.1\r\nHost: x\r\n' >&4
	run timeout 3 head -1 <&4
	exec 4<&-
	assert_output "$(printf 'HTTP/1.1 408 Request Timeout\r')"
	wait_metric cmt_sse_request_timeouts_total 1
}

@test "connections beyond --max-clients get 503" {
	start_sse --max-clients 2
	client a --max-time 60
	wait_metric cmt_sse_streams 1   # the metrics request is the second
	client b --max-time 60
	# Wait until both slots hold streams: then a third is refused (a
	# loaded machine may take seconds to start the second client).  The
	# metrics request may still hold its slot when b comes, and b is then
	# refused (503) and ends: start it again.
	for i in $(seq 400); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")
		[ "$code" = 503 ] && break
		kill -0 "${CURL_PIDS##* }" 2>/dev/null || client b --max-time 60
		sleep 0.05
	done
	assert_equal "$code" 503
	kill $CURL_PIDS
	CURL_PIDS=
	wait_metric cmt_sse_streams 0
	# with two slots, a /metrics read can itself be refused while a
	# closing connection still holds one: poll, as wait_metric does
	for i in $(seq 100); do
		v=$(metric cmt_sse_clients_rejected_total)
		[ -n "$v" ] && [ "$v" -ge 1 ] && break
		sleep 0.05
	done
	assert [ "${v:-0}" -ge 1 ]
}

@test "metrics count clients, events, bytes and backlog use" {
	start_sse --backlog 10
	client a
	wait_metric cmt_sse_streams 1
	printf 'one\ntwo\nthree\n' >&5
	wait_metric cmt_sse_events_out_total 3
	run curl -s -D - "$URL/metrics"
	assert_output --partial "Content-Type: text/plain; version=0.0.4"
	assert_output --partial "# TYPE cmt_sse_events_in_total counter"
	assert_output --partial "# HELP cmt_sse_clients_dropped_total"
	assert_line "cmt_sse_events_in_total 3"
	assert_line "cmt_sse_input_bytes_total 14"
	assert_line "cmt_sse_last_event_id 3"
	assert_line "cmt_sse_backlog_events 3"
	assert_line "cmt_sse_backlog_capacity 10"
	# Frames are "id: N\ndata: LINE\n\n": 14 bytes plus the line each.
	assert_line "cmt_sse_backlog_bytes 53"
	assert_line "cmt_sse_input_open 1"
	exec 5>&-
	wait_metric cmt_sse_input_open 0
	# The stream stays open after EOF by default.
	assert_equal "$(metric cmt_sse_streams)" 1
}

@test "overlong and NUL lines are reported and skipped; ids stay contiguous" {
	start_sse
	client a
	wait_metric cmt_sse_streams 1
	{
		echo first
		head -c 70000 /dev/zero | tr '\0' x
		echo
		printf 'has\0nul\n'
		echo last
	} >&5
	wait_metric cmt_sse_events_out_total 2
	run events_of a
	assert_output "$(printf 'id: 1\ndata: first\nid: 2\ndata: last')"
	run cat "$TMP/err"
	assert_output --partial "line 2: longer than 65536 bytes, skipped"
	assert_output --partial "line 3: contains a NUL byte, skipped"
	assert_equal "$(metric cmt_sse_lines_skipped_total)" 2
}

@test "--exit-on-eof delivers everything, ends the streams and exits 0" {
	start_sse --exit-on-eof
	client a
	wait_metric cmt_sse_streams 1
	seq 1 100 >&5
	exec 5>&-
	wait "$SSE_PID"
	SSE_PID=
	for p in $CURL_PIDS; do wait "$p" || true; done
	run grep -c '^id: ' "$TMP/a"
	assert_output 100
	events_of a | tail -1 >"$TMP/last"
	run cat "$TMP/last"
	assert_output 'data: 100'
}

@test "SIGTERM closes the streams cleanly and exits 0" {
	start_sse
	client a
	wait_metric cmt_sse_streams 1
	echo hello >&5
	wait_metric cmt_sse_events_out_total 1
	kill -TERM "$SSE_PID"
	wait "$SSE_PID"
	SSE_PID=
	for p in $CURL_PIDS; do wait "$p"; done   # curl sees a clean end
	CURL_PIDS=
	run events_of a
	assert_output "$(printf 'id: 1\ndata: hello')"
}

@test "idle streams get keep-alive comments" {
	start_sse --heartbeat 100ms
	run curl -sN --max-time 0.5 "$URL/events"
	assert_line ": keep-alive"
}

@test "--cors adds the origin header to every answer" {
	start_sse --cors https://dash.example
	run curl -s -D - -o /dev/null "$URL/metrics"
	assert_output --partial "Access-Control-Allow-Origin: https://dash.example"
	run curl -sN --max-time 0.5 -D - -o /dev/null "$URL/events"
	assert_output --partial "Access-Control-Allow-Origin: https://dash.example"
}

# ---- dashboard, in headless Chromium driven by chromedriver ----

need_chromium() {
	command -v chromium >/dev/null &&
		{ command -v chromedriver >/dev/null ||
		  [ -x /usr/lib/chromium/chromedriver ]; } ||
		skip "chromium and chromium-driver are not installed (scripts/deps.sh)"
}

@test "the page is served at / and needs nothing from elsewhere, by relative URLs only" {
	start_sse
	run curl -sf "$URL/"
	assert_success
	assert_output --partial 'new EventSource("events?'
	assert_output --partial 'fetch("history?'
	# nothing loaded from elsewhere, nothing asked of the site's root (a
	# sub-path proxy serves the page); links out are TradingView's only
	refute_output --regexp 'src="(https?:)?//|src="/|<link'
	refute_output --regexp '(EventSource|fetch)\("/'
	run sh -c "curl -s '$URL/' | grep -o 'href=\"[^\"]*\"' | sort -u"
	assert_output "$(printf 'href="https://www.tradingview.com/"\nhref="vendor/lightweight-charts.LICENSE"')"
}

@test "the vendored charting library is served from the binary" {
	start_sse
	curl -sf "$URL/vendor/lightweight-charts.js" >"$TMP/lwc.js"
	cmp "$TMP/lwc.js" "$BATS_TEST_DIRNAME/../../web/vendor/lightweight-charts.js"
	run curl -sf "$URL/vendor/lightweight-charts.LICENSE"
	assert_success
	assert_output --partial "Apache License"
	run curl -s "$URL/"
	assert_output --partial 'src="vendor/lightweight-charts.js"'
	run curl -s -o /dev/null -w '%{http_code}' "$URL/vendor/other.js"
	assert_output 404
}

@test "the dashboard shows prices, P(up), indicators and metrics" {
	need_chromium
	start_sse
	cat >&5 <<'EOF'
{"t":1732450000000,"sym":"BTC-USD","px":97123.5,"fs":"cmt1","f":{"ret_1m":0.00012,"rsi":55.25,"macd_hist":-3.5,"bb_pctb":0.61},"p_up":0.5123,"model":"mlp-v1"}
{"t":1732450060000,"sym":"BTC-USD","px":97200.25,"fs":"cmt1","f":{"ret_1m":0.00079,"rsi":58.5,"macd_hist":-1.25,"bb_pctb":0.72},"p_up":0.5377,"model":"mlp-v1"}
{"t":1732450000000,"sym":"ETH-USD","px":3401.5,"src":"binance"}
{"kind":"metrics","model":"mlp-v1","t":1732450060000,"window":120,"count":120,"accuracy":0.5417,"auc":0.5561,"logloss":0.6901,"brier":0.2481,"base_rate":0.5,"lag_ms":null}
EOF
	wait_metric cmt_sse_events_in_total 4
	python3 "$BATS_TEST_DIRNAME/dashboard.py" --until '$("n-ignored").textContent === "1"' \
		--eval 'cmt.dump().pups' "$URL/" 4 20 >"$TMP/dom" 5>&- &
	local dash=$!
	wait_metric cmt_sse_streams 1
	echo 'not json at all' >&5
	wait "$dash"
	run cat "$TMP/dom"
	assert_line "conn connected"
	assert_line "state REPLAY"
	assert_line "events 5"
	assert_line "ignored 1"
	assert_line "sim off"
	assert_line --partial "tile BTC-USD px=97200.25 chg=+0.08% 1m pup=53.8% age=ok ago="
	assert_line --partial "tile ETH-USD px=3401.50 chg= pup=— age=ok ago="
	assert_line "detail sym=BTC-USD pup=53.8% model=model mlp-v1"
	assert_line "note forecast at 2024-11-24 12:07:40 UTC"
	assert_line "ind ret_1m=0.00079 spark=2"
	assert_line "ind rsi=58.5 spark=2"
	assert_line "ind macd_hist=-1.25 spark=2"
	assert_line "overall All symbols · last 120 scored: accuracy 54.2% · AUC 0.5561 · log-loss 0.6901 · base rate 50.0%"
	assert_line "eval 2"
}

@test "the dashboard shows a partial forecast as provisional and marks simulated data" {
	need_chromium
	start_sse
	cat >&5 <<'EOF'
{"t":1732450060000,"sym":"BTC-USD","px":97200.25,"fs":"cmt1","f":{"ret_1m":0.00079},"p_up":0.5377,"model":"mlp-v1"}
{"t":1732450120000,"sym":"BTC-USD","px":97210,"fs":"cmt1","f":{"ret_1m":0.0001},"p_up":0.4999,"model":"mlp-v1","partial":true}
EOF
	wait_metric cmt_sse_events_in_total 2
	run python3 "$BATS_TEST_DIRNAME/dashboard.py" --eval 'cmt.dump().pups' "$URL/" 2
	assert_success
	# just under one half never reads 50.00%, and in the sell colour
	assert_line "detail sym=BTC-USD pup=49.99% (partial) model=model mlp-v1"
	assert_line "note provisional (minute still open), for 2024-11-24 12:08:40 UTC"
	assert_line --partial "tile BTC-USD px=97210.00 chg=+0.01% 1m pup=49.99%* age=ok "
	assert_line "sim off"
	# the history holds final forecasts only
	assert_line "eval 1"
	echo '{"t":1732450120000,"sym":"ETH-USD","px":3401.5,"src":"sim"}' >&5
	wait_metric cmt_sse_events_in_total 3
	run python3 "$BATS_TEST_DIRNAME/dashboard.py" "$URL/" 3
	assert_line "sim on"
	assert_line --regexp '^tile ETH-USD px=3401.50 chg= pup=— age=ok ago=.* SIM$'
	assert_line --partial "tile BTC-USD px=97210.00 chg=+0.01% 1m pup=49.99%* age=ok "
}

@test "the dashboard follows live events and reconnects after a restart" {
	need_chromium
	start_sse --retry 200ms
	echo '{"t":1000,"sym":"SOL-USD","px":150}' >&5
	wait_metric cmt_sse_events_in_total 1
	python3 "$BATS_TEST_DIRNAME/dashboard.py" "$URL/" 3 20 >"$TMP/dom" 5>&- &
	local dash=$!
	wait_metric cmt_sse_streams 1
	echo '{"t":2000,"sym":"SOL-USD","px":151.5,"p_up":0.25}' >&5
	wait_metric cmt_sse_events_out_total 1   # the first came in the history
	# Restart the server on the same port: ids start again at 1.
	kill "$SSE_PID"
	wait "$SSE_PID" || true
	exec 5>&-
	rm -f "$TMP/in"
	start_sse --retry 200ms
	wait_metric cmt_sse_streams 1
	echo '{"t":3000,"sym":"SOL-USD","px":153,"p_up":0.75}' >&5
	wait "$dash"
	run cat "$TMP/dom"
	assert_line "conn connected"
	assert_line "events 3"
	assert_line "gaps 1"
	assert_line --regexp '^tile SOL-USD px=153.0000 chg=\+2.00% 2s pup=75.0% age=ok '
}

@test "the dashboard: partial vectors refresh the step in progress, its final vector settles it" {
	need_chromium
	start_sse
	cat >&5 <<'EOF2'
{"t":1732450000000,"sym":"BTC-USD","px":97123.5,"fs":"cmt1","f":{"rsi":55.25},"p_up":0.5123,"model":"default"}
{"t":1732450060000,"sym":"BTC-USD","px":97150,"fs":"cmt1","f":{"rsi":56},"partial":true,"p_up":0.4,"model":"default"}
{"t":1732450060000,"sym":"BTC-USD","px":97180,"fs":"cmt1","f":{"rsi":57},"partial":true,"p_up":0.45,"model":"default"}
{"t":1732450060000,"sym":"BTC-USD","px":97200.25,"fs":"cmt1","f":{"rsi":58.5},"p_up":0.5377,"model":"default"}
{"t":1732450120000,"sym":"BTC-USD","px":97210,"fs":"cmt1","f":{"rsi":59},"partial":true,"p_up":0.6,"model":"default"}
EOF2
	wait_metric cmt_sse_events_in_total 5
	run python3 "$BATS_TEST_DIRNAME/dashboard.py" --eval 'cmt.dump().pups' "$URL/" 5
	assert_success
	# the third step shows its partial as the current, provisional P(up)
	assert_line --partial "tile BTC-USD px=97210.00 chg=+0.09% 2m pup=60.0%* age=ok "
	assert_line "detail sym=BTC-USD pup=60.0% (partial) model=model default"
	# the history holds the final forecasts only: the two partials of the
	# second step were settled by its final vector (53.77 %), none added
	assert_line "eval 2"
}

# ---- history (GET /history), stamps and status ----

@test "every JSON line is stamped with its receive time; --no-stamp sends it as it is" {
	start_sse
	client a
	wait_metric cmt_sse_streams 1
	before=$(date +%s%3N)
	printf '%s\n' '{"t":1,"sym":"BTC-USD","px":1}  ' '{}' '[1,2]' '{"t_recv":5}' 'text' >&5
	wait_metric cmt_sse_events_out_total 5
	after=$(date +%s%3N)
	run sh -c "grep '^data: ' '$TMP/a' | grep -v '\"now\"'"
	assert_line --index 0 --regexp '^data: \{"t":1,"sym":"BTC-USD","px":1,"t_recv":[0-9]+\}$'
	assert_line --index 1 --regexp '^data: \{"t_recv":[0-9]+\}$'
	assert_line --index 2 'data: [1,2]'
	assert_line --index 3 'data: {"t_recv":5}'
	assert_line --index 4 'data: text'
	t=$(sed -n 's/.*"px":1,"t_recv":\([0-9]*\)}$/\1/p' "$TMP/a")
	[ "$t" -ge "$before" ] && [ "$t" -le "$after" ]
	kill "$SSE_PID"; wait "$SSE_PID" || true
	exec 5>&-
	rm -f "$TMP/in" "$TMP/a"
	start_sse --no-stamp
	client a
	wait_metric cmt_sse_streams 1
	echo '{"t":1,"sym":"BTC-USD","px":1}' >&5
	wait_metric cmt_sse_events_out_total 1
	run events_of a
	assert_output "$(printf 'id: 1\ndata: {"t":1,"sym":"BTC-USD","px":1}')"
}

@test "a status event carries the server's clock and the input's state" {
	start_sse --status 200ms
	client a
	wait_metric cmt_sse_streams 1
	echo '{"t":1,"sym":"BTC-USD","px":1}' >&5
	wait_metric cmt_sse_events_out_total 1
	sleep 0.5
	exec 5>&-
	wait_metric cmt_sse_input_open 0
	sleep 0.1
	python3 - "$TMP/a" "$(date +%s%3N)" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
st = [json.loads(lines[i + 1][6:]) for i, l in enumerate(lines) if l == "event: status"]
assert st[0]["input"] == "open" and st[0]["lines"] == 0 and st[0]["last_line"] is None, st[0]
assert st[-1]["input"] == "ended" and st[-1]["lines"] == 1, st[-1]
assert st[-1]["lines_1m"] == 1 and st[0]["lines_1m"] == 0, st
assert all(abs(int(sys.argv[2]) - s["now"]) < 5000 for s in st), (sys.argv[2], st)
assert all(b["now"] >= a["now"] for a, b in zip(st, st[1:]))
assert len(st) >= 4 and st[-1]["keep_ms"] == 86400000 and st[-1]["mode"] is None
print(len(st), "status events")
PY
	run stream --max-time 0.5 "$URL/events"
	refute_output --partial "event: status"   # (stripped by stream)
	run curl -sN --max-time 0.5 "$URL/events"
	assert_line 'event: status'
}

# hist LINES...: the NDJSON history answer for the query, one line each
hist() {
	curl -sf "$URL/history?$1"
}

@test "GET /history: each symbol's final lines with their event ids, up to X-Last-Event-ID" {
	start_sse
	cat >&5 <<'LINES'
{"t":1000,"sym":"BTC-USD","px":1}
{"t":1000,"sym":"ETH-USD","px":10}
not json
{"t":2000,"sym":"BTC-USD","px":2,"partial":true}
{"kind":"metrics","t":2000,"window":5}
{"t":2000,"sym":"BTC-USD","px":2.5}
{"kind":"outcome","sym":"BTC-USD","t":1000,"t_out":2000,"p_up":0.6,"y":1,"hit":true}
{"sym":"BTC-USD","px":3}
{"t":3000,"sym":"ETH-USD","px":11}
LINES
	wait_metric cmt_sse_events_in_total 9
	curl -s -D "$TMP/h" -o /dev/null "$URL/history"
	run sh -c "curl -s '$URL/history' | sed -E 's/\"t_recv\":[0-9]+/\"t_recv\":T/'"
	assert_output "$(cat <<'OUT'
{"t":1000,"sym":"BTC-USD","px":1,"t_recv":T,"event_id":1}
{"t":2000,"sym":"BTC-USD","px":2.5,"t_recv":T,"event_id":6}
{"kind":"outcome","sym":"BTC-USD","t":1000,"t_out":2000,"p_up":0.6,"y":1,"hit":true,"t_recv":T,"event_id":7}
{"t":1000,"sym":"ETH-USD","px":10,"t_recv":T,"event_id":2}
{"t":3000,"sym":"ETH-USD","px":11,"t_recv":T,"event_id":9}
{"kind":"metrics","t":2000,"window":5,"t_recv":T,"event_id":5}
OUT
)"
	run cat "$TMP/h"
	assert_line "$(printf 'Content-Type: application/x-ndjson\r')"
	assert_line "$(printf 'Transfer-Encoding: chunked\r')"
	assert_line "$(printf 'X-Last-Event-ID: 9\r')"
	# one symbol (any case), since a time, the last stretch of each
	run sh -c "curl -s '$URL/history?sym=eth-usd&since=2000' | cut -c1-33"
	assert_output '{"t":3000,"sym":"ETH-USD","px":11'
	run sh -c "curl -s '$URL/history?last=1s' | grep -o '\"event_id\":[0-9]*' | tr '\n' ' '"
	assert_output '"event_id":1 "event_id":6 "event_id":7 "event_id":9 "event_id":5 '
	run sh -c "curl -s '$URL/history?sym=XRP-USD' | wc -c"
	assert_output 0
	# what comes after X-Last-Event-ID is not in the answer, and is the
	# stream's from there: no gap, no overlap
	echo '{"t":4000,"sym":"BTC-USD","px":4}' >&5
	wait_metric cmt_sse_events_in_total 10
	run sh -c "curl -s '$URL/history?sym=BTC-USD' | tail -1 | grep -o '\"event_id\":[0-9]*'"
	assert_output '"event_id":10'
	run stream -H 'Last-Event-ID: 9' "$URL/events"
	assert_output "$(printf 'retry: 3000\n\nid: 10\ndata: {"t":4000,"sym":"BTC-USD","px":4,"t_recv":T}\n')"
}

@test "partial lines never evict history; the latest one comes last until its final line" {
	start_sse --backlog 16
	python3 -c '
import json
for m in range(100):
    t = 1709596800000 + m * 60000
    for k in range(30):   # a partial every 2 s, then the final vector
        print(json.dumps(separators=(",", ":"), obj={"t": t + 60000, "sym": "BTC-USD", "px": 100 + k, "p_up": 0.5, "partial": True}))
    print(json.dumps(separators=(",", ":"), obj={"t": t + 60000, "sym": "BTC-USD", "px": 130, "p_up": 0.6}))
print(json.dumps(separators=(",", ":"), obj={"t": 1709596800000 + 101 * 60000, "sym": "BTC-USD", "px": 131, "p_up": 0.7, "partial": True}))
' >&5
	wait_metric cmt_sse_events_in_total 3101
	assert_equal "$(metric cmt_sse_history_lines)" 100
	curl -s "$URL/history" >"$TMP/h"
	run grep -c '"partial":true' "$TMP/h"
	assert_output 1
	run wc -l <"$TMP/h"
	assert_output 101
	run sh -c "tail -1 '$TMP/h' | grep -o '\"px\":131.*\"event_id\":3101}'"
	assert_success
	echo '{"t":1709602860000,"sym":"BTC-USD","px":131,"p_up":0.7}' >&5
	wait_metric cmt_sse_events_in_total 3102
	run sh -c "curl -s '$URL/history' | grep -c '\"partial\":true'"
	assert_output 0
}

@test "--keep: each symbol keeps the lines within DUR of its own newest time" {
	start_sse --keep 10m
	python3 -c '
import json
for m in range(60):
    for sym, t0 in (("OLD-USD", 1600000000000), ("NEW-USD", 1709596800000)):
        print(json.dumps(separators=(",", ":"), obj={"t": t0 + m * 60000, "sym": sym, "px": 1 + m}))
' >&5
	wait_metric cmt_sse_events_in_total 120
	run sh -c "curl -s '$URL/history?sym=OLD-USD' | python3 -c 'import json, sys; t = [json.loads(l)[\"t\"] for l in sys.stdin]; print(len(t), (t[-1] - t[0]) // 60000)'"
	assert_output "11 10"
	assert_equal "$(metric cmt_sse_history_lines)" 22
	# a line older than the window is streamed but never kept
	echo '{"t":1600000000000,"sym":"OLD-USD","px":1}' >&5
	wait_metric cmt_sse_events_in_total 121
	assert_equal "$(metric cmt_sse_history_lines)" 22
}

@test "--max-memory: no symbol fits is a usage error with the figure; past the capacity symbols stream but are not kept" {
	run cmt-sse --keep 30d --max-memory 16MiB </dev/null
	assert_failure 2
	assert_line "cmt-sse: --keep: 30d of history needs 45.0 MiB per symbol (64.0 KiB per symbol-hour), more than --max-memory 16.0 MiB holds: raise --max-memory or lower --keep"
	start_sse --keep 2h --max-memory 1MiB
	assert_equal "$(metric cmt_sse_history_symbol_capacity)" 7
	python3 -c '
import json
for m in range(3):
    for k in range(9):
        print(json.dumps(separators=(",", ":"), obj={"t": 1709596800000 + m * 60000, "sym": "S%d-USD" % k, "px": 1}))
' >&5
	wait_metric cmt_sse_events_in_total 27
	assert_equal "$(metric cmt_sse_history_symbols)" 7
	assert_equal "$(metric cmt_sse_history_refused_lines_total)" 6
	run sh -c "curl -s '$URL/history?sym=S8-USD' | wc -c"
	assert_output 0
	run grep -c 'not kept' "$TMP/err"
	assert_output 1
	run cat "$TMP/err"
	assert_output --partial "history: S7-USD and later new symbols are streamed but not kept: --max-memory 1.0 MiB holds 7 symbols of --keep 2h (144.0 KiB each, at 64.0 KiB per symbol-hour)"
}

@test "a symbol faster than its share keeps its newest lines within bounded memory, and says so once" {
	start_sse --keep 1h --max-memory 1MiB
	# 1-second vectors: 3600 an hour, far above the share of one-minute ones
	python3 -c '
import json
pad = "x" * 600
for s in range(3600):
    print(json.dumps(separators=(",", ":"), obj={"t": 1709596800000 + s * 1000, "sym": "BTC-USD", "px": 1, "pad": pad}))
' >&5
	wait_metric cmt_sse_events_in_total 3600
	share=$(( 65536 + 16384 + 32 ))
	bytes=$(metric cmt_sse_history_bytes)
	[ "$bytes" -le "$share" ] || fail "history $bytes bytes, share $share"
	[ "$(metric cmt_sse_history_trimmed_lines_total)" -gt 3000 ]
	run grep -c 'fills its share' "$TMP/err"
	assert_output 1
	# the newest lines are the ones kept, in order
	run sh -c "curl -s '$URL/history' | tail -1 | grep -o '\"t\":[0-9]*'"
	assert_output '"t":1709600399000'
}

@test "a long history is sent as the client reads it, whole and in order, while lines arrive" {
	start_sse --keep 24h
	python3 -c '
import json
pad = "y" * 700
for m in range(1440):
    for k in range(4):
        print(json.dumps(separators=(",", ":"), obj={"t": 1709596800000 + m * 60000, "sym": "S%d-USD" % k, "px": 1, "pad": pad}))
' >&5
	wait_metric cmt_sse_events_in_total 5760
	# a client reading at 1 MB/s while an hour more arrives (evicting)
	curl -s --limit-rate 1M -D "$TMP/h" -o "$TMP/body" "$URL/history" &
	CURL_PIDS="$CURL_PIDS $!"
	python3 -c '
import json, time
pad = "y" * 700
for m in range(1440, 1500):
    for k in range(4):
        print(json.dumps(separators=(",", ":"), obj={"t": 1709596800000 + m * 60000, "sym": "S%d-USD" % k, "px": 1, "pad": pad}), flush=True)
    time.sleep(0.01)
' >&5
	wait $CURL_PIDS
	CURL_PIDS=
	last=$(sed -n 's/^X-Last-Event-ID: \([0-9]*\).*/\1/p' "$TMP/h")
	python3 - "$TMP/body" "$last" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
last = int(sys.argv[2])
ids = [r["event_id"] for r in rows]
assert all(i <= last for i in ids), "beyond X-Last-Event-ID"
for k in range(4):
    mine = [r for r in rows if r["sym"] == "S%d-USD" % k]
    t = [r["t"] for r in mine]
    assert t == sorted(t) and len(set(t)) == len(t)
    # every minute from the oldest sent to the last one asked for
    assert (t[-1] - t[0]) // 60000 + 1 == len(t), (k, len(t))
print(len(rows), "lines")
PY
}

@test "history requests: a bad query is 400 with the reason, no history is 404, HEAD has headers only" {
	start_sse
	run curl -s -w ' %{http_code}' "$URL/history?since=yesterday"
	assert_output "$(printf '400 Bad Request: since: not a time in ms since the epoch\n 400')"
	run curl -s -w ' %{http_code}' "$URL/history?last=5x"
	assert_output "$(printf '400 Bad Request: last: not a duration (e.g. 1h, 90m)\n 400')"
	run curl -s -w ' %{http_code}' "$URL/history?sym=%22x%22"
	assert_output "$(printf '400 Bad Request: sym: not a symbol\n 400')"
	run curl -s -I "$URL/history"
	assert_line "$(printf 'HTTP/1.1 200 OK\r')"
	assert_line --partial 'X-Last-Event-ID: '
	kill "$SSE_PID"; wait "$SSE_PID" || true
	exec 5>&-
	rm -f "$TMP/in"
	start_sse --keep 0
	run curl -s -w ' %{http_code}' "$URL/history"
	assert_output "$(printf '404 Not Found: no history: cmt-sse --keep 0\n 404')"
}
