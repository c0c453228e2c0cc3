#!/usr/bin/env bats
# The README as a user reads it: an overview that links to the reference
# (the man pages) and the guides (docs/), whose examples run as written and
# print what it shows, and whose figures are the ones the tools give.
# tests/cli/readme.py reads the examples out of it.
load helper
bats_require_minimum_version 1.5.0
load fakeapi
load nats
load days

README="$ROOT/README.md"

local_teardown() {
	[ -n "${API_PID:-}" ] && kill "$API_PID" 2>/dev/null
	nats_stop_all
	wait 2>/dev/null || true
}

# top DIR: DIR laid out as the top of a tree after make demo (build/bin the
# binaries under test, build/demo what the demo leaves), with ../shared
# beside it as the tree has it.
top() {
	mkdir -p "$1/build"
	ln -s "$BIN" "$1/build/bin"
	(cd "$ROOT" && sh scripts/demo.sh "$1/build" >/dev/null 2>&1)
	[ -d "$SHARED" ] && ln -s "$SHARED" "$(dirname "$1")/shared"
	return 0
}

@test "the README is an overview: short, the two set-up commands, every man page and guide linked, every link there" {
	n=$(wc -l < "$README")
	echo "# $n lines" >&3
	[ "$n" -le 360 ]
	# Quick start: exactly make demo and make check (.ci/run runs the latter)
	python3 - "$README" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("## Quick start", 1)[1].split("\n")
first = next(i for i, l in enumerate(lines) if l.startswith("    "))
block = []
for l in lines[first:]:
    if not l.startswith("    "):
        break
    block.append(l.split("#")[0].strip())
assert block == ["make demo", "make check"], block
EOF
	grep -qx 'make check' "$ROOT/.ci/run"
	for page in "$ROOT"/man/*.[15]; do
		name=$(basename "$page")
		grep -qF "](man/$name)" "$README" || { echo "man/$name is not linked"; false; }
	done
	for guide in "$ROOT"/docs/*.md; do
		name=$(basename "$guide")
		grep -qF "](docs/$name)" "$README" || { echo "docs/$name is not linked"; false; }
	done
	for png in "$ROOT"/docs/*.png; do
		grep -qF "docs/$(basename "$png")" "$README" || { echo "$png is not shown"; false; }
	done
	# every local link and image resolves (docs/models.md is written on the
	# models branch; it lands with it)
	for target in $(grep -o '](\([^)#]*\))\|src="[^"]*"' "$README" |
		sed 's/^](//; s/)$//; s/^src="//; s/"$//' | grep -v '^https\?:' | sort -u); do
		[ -e "$ROOT/$target" ] || [ "$target" = docs/models.md ] ||
			{ echo "$target does not exist"; false; }
	done
	for guide in "$ROOT"/docs/*.md; do
		for target in $(grep -o '](\([^)#]*\))' "$guide" | sed 's/^](//; s/)$//' | grep -v '^https\?:'); do
			[ -e "$ROOT/docs/$target" ] || { echo "$guide: $target does not exist"; false; }
		done
	done
}

@test "every \$ example in the README runs as written from the top of a tree after make demo, and prints what it shows" {
	top "$TMP/w/top"
	# ~/ticks: two daily recordings, the second's warm start over the first
	days "$TMP"
	mkdir -p "$TMP/home/ticks"
	gzip -c "$TMP/a.ndjson" > "$TMP/home/ticks/2024-03-01.ndjson.gz"
	gzip -c "$TMP/b.ndjson" > "$TMP/home/ticks/2024-03-02.ndjson.gz"
	if [ -d "$SHARED/data" ]; then
		run env HOME="$TMP/home" python3 "$ROOT/tests/cli/readme.py" run "$README" "$TMP/w/top"
	else
		run env HOME="$TMP/home" SKIP=../shared python3 "$ROOT/tests/cli/readme.py" run "$README" "$TMP/w/top"
	fi
	echo "$output"
	assert_success
	n=$(grep -c '^    \$ ' "$README")
	[ "$n" -ge 6 ]
	[ "$(grep -c '^ok: ' <<<"$output")" -eq "$n" ] || [ ! -d "$SHARED/data" ]
}

@test "the README's live pipeline runs as written against the stand-in venue, and what flows has the shapes it shows" {
	start_api --live-clock
	line=$(sed -n '/^    cmt-fetch --source binance /{p;q}' "$README")
	line=${line#    }
	[[ "$line" == *"| cmt-backtest --follow --horizon 1m --pass | cmt-sse --port 8080" ]]
	# the same line, the venue here, a short life: without cmt-sse first
	ndjson=${line% | cmt-sse *}
	ndjson=${ndjson/cmt-fetch /cmt-fetch --base-url $URL --interval 300ms --duration 3s }
	bash -c "$ndjson" > "$TMP/out" 2>&1
	python3 "$ROOT/tests/cli/readme.py" block "$README" "cmt-fetch: warm start:" > "$TMP/shown"
	[ "$(wc -l < "$TMP/shown")" -eq 4 ]
	run python3 "$ROOT/tests/cli/readme.py" shapes "$TMP/shown" "$TMP/out"
	assert_success
	# and into cmt-sse, as written but for the port (and an end: the feed
	# stops after 6 s, cmt-sse at its end of input): forecasts and outcomes
	port=$(free_port)
	full=${line/cmt-fetch /cmt-fetch --base-url $URL --interval 300ms --duration 6s }
	full=${full/--port 8080/--port $port --exit-on-eof}
	bash -c "$full" 2>/dev/null &
	pid=$!
	wait_http "$port"
	curl -sN --max-time 3 "http://127.0.0.1:$port/events?lastEventId=0" > "$TMP/events" || true
	wait "$pid"
	grep -q '"p_up":.*"model":"default"' "$TMP/events"
	grep -q '"kind":"outcome","sym":"BTC-USDT"' "$TMP/events"
	grep -q '"kind":"metrics","sym":"ETH-USDT"' "$TMP/events"
}

@test "the README's figures for the shipped model are model/default.test.txt's" {
	python3 - "$README" "$ROOT/model/default.test.txt" <<'EOF'
import re, sys
readme = " ".join(open(sys.argv[1]).read().split())
report = open(sys.argv[2]).read()
# the ALL group's model line: n accuracy auc [lo, hi]
all_group = report.split("\nALL ", 1)[1]
m = re.search(r"^  model +(\d+) +([0-9.]+) +([0-9.]+) +\[([0-9.]+), ([0-9.]+)\]", all_group, re.M)
n, acc, auc, lo, hi = m.groups()
want = "accuracy %s, AUC %s [%s, %s] on %s rows" % (acc, auc, lo, hi, "{:,}".format(int(n)))
assert want in readme, "README should say: " + want
# and the trading rule loses after fees there, as it says
net = re.search(r"^ALL \(1/S each\) +\d+ +\d+ +\d+ +[0-9.]+ +-?[0-9.]+% +(-?[0-9.]+)%", report, re.M)
assert float(net.group(1)) < 0, net.group(0)
assert "does not pay a taker's fee" in readme
EOF
}

@test "the README's bus lines run against a local nats-server: each symbol's forecasts as without the bus" {
	need_nats
	nats_start
	top "$TMP/w/top"
	ticks="$TMP/w/top/build/demo/ticks-binance-2024.ndjson.gz"
	[ -s "$ticks" ]
	grep -q '^    /usr/sbin/nats-server -js -sd ~/nats &  ' "$README"
	pub=$(sed -n 's/^    cmt-fetch --source binance --symbols btc,eth | \(cmt-bus pub .*\)$/\1/p' "$README")
	[ "$pub" = "cmt-bus pub --create-stream TICKS --max-age 30d" ]
	replay=$(sed -n 's/^    \(cmt-bus sub --stream TICKS --from .* -e | .* | cmt-backtest\)$/\1/p' "$README")
	[ -n "$replay" ]
	# the feed here is the demo's recording, the server this test's
	cmt-replay --speed max "$ticks" | bash -c "${pub/cmt-bus pub/cmt-bus pub -u $NATS_URL}"
	bash -c "${replay/cmt-bus sub/cmt-bus sub -u $NATS_URL}" 2>/dev/null > "$TMP/bus"
	# the same pipeline fed directly: the same report, every figure
	cmt-replay --speed max "$ticks" | bash -c "${replay#* -e | }" 2>/dev/null > "$TMP/direct"
	grep -q '^scored 19821;' "$TMP/direct"
	cmp "$TMP/bus" "$TMP/direct"
	# and the forecasts themselves, in the same order per symbol
	cmt-bus sub -u "$NATS_URL" --stream TICKS -e 2>/dev/null | cmt-features --model default 2>/dev/null | cmt-predict > "$TMP/bus.p"
	cmt-replay --speed max "$ticks" | cmt-features --model default 2>/dev/null | cmt-predict > "$TMP/direct.p"
	[ "$(wc -l < "$TMP/direct.p")" -gt 20000 ]
	for sym in BTC-USDT ETH-USDT; do
		cmp <(grep "\"sym\":\"$sym\"" "$TMP/bus.p") <(grep "\"sym\":\"$sym\"" "$TMP/direct.p")
	done
	[ "$(wc -l < "$TMP/bus.p")" -eq "$(wc -l < "$TMP/direct.p")" ]
}
