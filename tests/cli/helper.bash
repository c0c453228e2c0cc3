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
	[ "$(type -t local_setup)" = function ] && local_setup
	return 0
}

teardown() {
	[ "$(type -t local_teardown)" = function ] && local_teardown
	rm -rf "$TMP"
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Skip when ../shared/data is absent (it is never copied into the repo).
need_shared_data() {
	[ -d "$SHARED/data" ] || skip "../shared/data not present"
}

# wait_http PORT: until a server on 127.0.0.1:PORT answers /healthz (10 s).
wait_http() {
	local i
	for i in $(seq 100); do
		curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
