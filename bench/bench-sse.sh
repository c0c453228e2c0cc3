#!/bin/sh
# cmt-sse fan-out: 1,000 concurrent clients on loopback receiving 100
# events/s for 10 s.  Reports events lost by clients that keep up (target
# 0), delivery latency (stdin write to client read) and the server's peak
# RSS, beside a reference run with a single client on the same stream.
# Usage: sh bench/bench-sse.sh BINDIR   (make bench)
set -eu
BIN=${1:-build/bin}
OUT=bench/out
mkdir -p "$OUT"
CLIENTS=${SSE_BENCH_CLIENTS:-1000}
RATE=${SSE_BENCH_RATE:-100}
SECS=${SSE_BENCH_SECONDS:-10}
${CC:-cc} -O2 -Wall -o "$OUT/sse-load" bench/sse-load.c

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

run() {   # run NAME CLIENTS
	port=$(free_port)
	"$OUT/sse-load" "$2" "$RATE" "$SECS" "$port" -- \
		/usr/bin/time -f %M -o "$OUT/sse-$1.rss" \
		"$BIN/cmt-sse" --port "$port" --exit-on-eof \
		--max-clients $(($2 + 16)) 2>"$OUT/sse-$1.err" >"$OUT/sse-$1.txt"
	printf '%-10s %s peak_rss_kb=%s\n' "$1" "$(cat "$OUT/sse-$1.txt")" \
		"$(cat "$OUT/sse-$1.rss")"
}

echo "cmt-sse: $RATE events/s for $SECS s, prediction lines of ~250 bytes"
run reference 1
run fanout "$CLIENTS"
