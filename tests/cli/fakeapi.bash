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

# The ticks the fake CoinGecko market gives for steps 1..N of BTC-USD.
gecko_ticks() {
	python3 -c '
import sys
for n in range(1, int(sys.argv[1]) + 1):
    print("{\"t\":%d,\"sym\":\"BTC-USD\",\"px\":%s,\"src\":\"coingecko\"}"
          % ((1700000000 + 10 * n) * 1000, "%.15g" % (50000 + 1.25 * n)))
' "$1"
}
