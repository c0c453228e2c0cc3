# Shared by the cmt-fetch bats files: the local fake price API.
# start_api [fakeapi options]: sets URL; the server dies in teardown.
start_api() {
	python3 "$ROOT/tests/fakeapi.py" --port-file "$TMP/port" "$@" &
	API_PID=$!
	for _ in $(seq 100); do
		[ -s "$TMP/port" ] && break
		sleep 0.05
	done
	URL="http://127.0.0.1:$(cat "$TMP/port")"
}

local_teardown() {
	[ -n "${API_PID:-}" ] && kill "$API_PID" 2>/dev/null
	wait 2>/dev/null || true
}

# market_ticks SRC SYM MS STEP...: the BTC ticks the fake market's price
# answer gives at those steps: px = 50000 + 1.25 n, stamped T0 + 10 n s
# plus MS ms.
market_ticks() {
	python3 -c '
import sys
src, sym, ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in map(int, sys.argv[4:]):
    print("{\"t\":%d,\"sym\":\"%s\",\"px\":%s,\"src\":\"%s\"}"
          % ((1700000000 + 10 * n) * 1000 + ms, sym,
             "%.15g" % (50000 + 1.25 * n), src))
' "$@"
}

# The ticks the fake CoinGecko market gives for steps 1..N of BTC-USD.
gecko_ticks() {
	market_ticks coingecko BTC-USD 0 $(seq "$1")
}

# The ticks the fake OKX ticker gives for BTC-USDT at steps STEP...
okx_ticks() {
	market_ticks okx BTC-USDT 500 "$@"
}
