#!/bin/sh
# Trade-to-probability latency of the streaming pipeline (target p99 <
# 1 ms): a local WebSocket server sends Binance aggTrade messages to
# `cmt-fetch --stream | cmt-features --model default --partial 0 |
# cmt-predict`, beside the same path through `cat | cat`.
set -eu
py=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import websockets' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	echo "stream latency: python3-websockets missing (scripts/deps.sh)" >&2
	exit 1
fi
echo "stream latency: one trade per ms from a local WebSocket server, each completing a grid point"
"$py" bench/stream-latency.py "$1"
