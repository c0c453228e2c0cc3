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
