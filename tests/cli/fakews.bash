# Shared by the stream bats files: the local fake trade streams
# (tests/fakews.py, which needs python3-websockets).
# start_ws SOURCE [fakews options]: sets WSPORT, WS (the stream URL) and
# URL (its REST root); the server dies in teardown.
# Each venue's symbol for --symbols btc.
SYM_binance=BTC-USDT
SYM_coinbase=BTC-USD
SYM_kraken=BTC-USD
SYM_okx=BTC-USDT

WSPY=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import websockets' 2>/dev/null; then WSPY=$p; break; fi
done

start_ws() {
	local src=$1
	shift
	[ -n "$WSPY" ] || fail "python3-websockets is missing (scripts/deps.sh)"
	"$WSPY" "$ROOT/tests/fakews.py" --source "$src" --port-file "$TMP/wsport" \
		--log "$TMP/wslog" "$@" &
	WS_PID=$!
	for _ in $(seq 200); do
		[ -s "$TMP/wsport" ] && break
		sleep 0.05
	done
	WSPORT=$(cat "$TMP/wsport")
	URL="http://127.0.0.1:$WSPORT"
	WS="ws://127.0.0.1:$WSPORT/stream"
}

# expect_ticks SOURCE SYMBOLS K-LIST [fakews options]: the ticks
# cmt-fetch must write.
expect_ticks() {
	local src=$1 syms=$2 ks=$3
	shift 3
	"$WSPY" "$ROOT/tests/fakews.py" --source "$src" --symbols "$syms" \
		--expect "$ks" "$@"
}

local_teardown() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null
	[ -n "${SILENT:-}" ] && kill "$SILENT" 2>/dev/null
	[ -n "${WS_PID:-}" ] && kill "$WS_PID" 2>/dev/null
	[ -n "${API_PID:-}" ] && kill "$API_PID" 2>/dev/null
	wait 2>/dev/null || true
}

# expect_id0 SOURCE: the stand-in's trade id before trade 1.
expect_id0() {
	"$WSPY" -c 'import sys; sys.path.insert(0, sys.argv[1])
import fakews; print(fakews.ID0[sys.argv[2]])' "$ROOT/tests" "$1"
}

# start_silent: a listener on 127.0.0.1 that takes connections and never
# says a word; sets PORT and SILENT (its pid, stopped in teardown).
start_silent() {
	PORT=$(free_port)
	python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$PORT" &
	SILENT=$!
	sleep 0.3
}
