# Shared setup for the bats CLI tests: C locale, binaries from $CMT_BIN
# (set by scripts/run-tests.sh; defaults to build/bin), a private temp dir.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

export LC_ALL=C
ROOT="${CMT_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
BIN="${CMT_BIN:-$ROOT/build/bin}"
PATH="$BIN:$PATH"
SHARED="$ROOT/../shared"

setup() {
	TMP="$(mktemp -d "${BATS_TMPDIR:-/tmp}/cmt.XXXXXX")"
	BG_PIDS=
	[ "$(type -t local_setup)" = function ] && local_setup
	return 0
}

teardown() {
	local p
	for p in $BG_PIDS; do
		kill -9 "$p" 2>/dev/null || true
	done
	[ "$(type -t local_teardown)" = function ] && local_teardown
	rm -rf "$TMP"
}

# bg CMD...: run CMD in the background, not holding bats' fd 3 open (bats
# waits for it); its pid in LAST_PID, killed in teardown whatever happened.
bg() {
	"$@" 3>&- &
	LAST_PID=$!
	BG_PIDS="$BG_PIDS $!"
}

# wait_until CMD...: until CMD succeeds, polled every 50 ms for 60 s at
# most, so a broken tool fails instead of hanging.
wait_until() {
	local i
	for i in $(seq 1200); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

lines_at_least() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# wait_lines FILE N: until FILE holds at least N lines.
wait_lines() {
	wait_until lines_at_least "$1" "$2" && return 0
	echo "$1: $(wc -l <"$1" 2>/dev/null) lines, wanted $2" >&2
	return 1
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Skip when ../shared/data is absent (it is never copied into the repo).
need_shared_data() {
	[ -d "$SHARED/data" ] || skip "../shared/data not present"
}
