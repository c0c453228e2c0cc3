#!/bin/sh
# `make demo-live`: the demo's recorded ticks (real Binance minutes from
# data/demo; CMT_DEMO_DATA=sim for the simulated ones) replayed at
# CMT_DEMO_SPEED times real time (default 60: a minute per second; the
# first 2 hours unpaced, to warm up the indicators) through
# features and predict, with rolling metrics from cmt-backtest --follow,
# into cmt-sse: open the printed URL.  Ctrl-C stops it.  $1 is the build
# directory; CMT_DEMO_PORT picks the port (default 8080).
set -eu
O=${1:-build}
PATH="$(cd "$O/bin" && pwd):$PATH"
for t in cmt-sim cmt-replay cmt-features cmt-predict cmt-backtest cmt-sse; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "demo-live: $t is not built in $O/bin" >&2
		exit 1
	}
done
kind=${CMT_DEMO_DATA:-real}
ticks=$(sh scripts/demo-ticks.sh "$O" "$kind")
speed=${CMT_DEMO_SPEED:-60}
port=${CMT_DEMO_PORT:-8080}
cat >&2 <<MSG
demo-live: $( [ "$kind" = sim ] && echo SIMULATED ticks || echo real Binance 1-minute bars, 2024 ) replayed at ${speed}x real time
demo-live: cmt-replay --speed $speed --warmup 2h $ticks | cmt-features --model default | cmt-predict | cmt-backtest --follow --horizon 1m --every 5m --pass | cmt-sse --port $port --mode replay
demo-live: dashboard at http://127.0.0.1:$port/   (Ctrl-C to stop)
MSG
cmt-replay --speed "$speed" --warmup 2h "$ticks" |
	cmt-features --model default |
	cmt-predict |
	cmt-backtest --follow --horizon 1m --every 5m --pass |
	cmt-sse --port "$port" --mode replay
