#!/bin/sh
# cmt-sse under churn and abuse: 1,000 connections coming and going at
# random (streams leaving after 50 ms to 3 s, some with a TCP reset,
# garbage requests, half requests, slowloris heads, oversized heads) while
# 100 events/s flow for 20 s, plus 4 monitor streams that must get every
# event.  Prints the counts, the server's /metrics and its peak RSS, beside
# a reference run with the monitors alone.
# Usage: sh bench/bench-sse-churn.sh BINDIR   (make bench)
set -eu
BIN=${1:-build/bin}
OUT=bench/out
mkdir -p "$OUT"
CLIENTS=${SSE_CHURN_CLIENTS:-1000}
SECS=${SSE_CHURN_SECONDS:-20}
${CC:-cc} -O2 -Wall -o "$OUT/sse-churn" bench/sse-churn.c

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

run() {   # run NAME CLIENTS
	port=$(free_port)
	"$OUT/sse-churn" "$2" 100 "$SECS" "$port" -- \
		/usr/bin/time -f %M -o "$OUT/churn-$1.rss" \
		"$BIN/cmt-sse" --port "$port" --exit-on-eof \
		--request-timeout 2s --max-clients 4096 \
		2>"$OUT/churn-$1.err" >"$OUT/churn-$1.txt" || true
	printf '%-10s clients=%-5s %s peak_rss_kb=%s\n' "$1" "$2" \
		"$(grep -E '^(result|monitor)' "$OUT/churn-$1.txt" | sort -u |
		tr '\n' ' ')" "$(cat "$OUT/churn-$1.rss")"
}

echo "cmt-sse churn: 100 events/s for $SECS s"
run reference 1
run churn "$CLIENTS"
grep -E '^(opened|connect|metric cmt_sse_(connections|request|clients_dropped|clients_rejected|streams_opened))' \
	"$OUT/churn-churn.txt"
