# A cmt-sse server for the tests and its /metrics: the server reads a FIFO
# the test writes through fd 5 (bats owns fd 3), so each test decides when
# lines arrive.  Set PORT and URL first, and SSE_ARGS for options every
# server of a file takes.

# start_sse ARGS...: cmt-sse on $PORT reading $TMP/in, stderr in $TMP/err;
# its pid in SSE_PID.
start_sse() {
	local i
	mkfifo "$TMP/in"
	cmt-sse --port "$PORT" ${SSE_ARGS:-} "$@" <"$TMP/in" 2>"$TMP/err" 3>&- &
	SSE_PID=$!
	exec 5>"$TMP/in"
	for i in $(seq 100); do
		curl -sf "$URL/healthz" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$TMP/err" >&2
	return 1
}

metric() {
	curl -sf "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# wait_metric NAME VALUE: poll /metrics until NAME equals VALUE (10 s).
wait_metric() {
	local i v
	for i in $(seq 200); do
		v=$(metric "$1")
		[ "$v" = "$2" ] && return 0
		sleep 0.05
	done
	echo "metric $1 is '$v', expected '$2'" >&2
	return 1
}
