#!/usr/bin/env bash
# ab.sh: A/B byte-identity check for refactors.  Every tool of a reference
# commit and of a tree runs the same cases on the same inputs against the
# same local stand-in servers, and their outputs are compared byte for byte.
#
# Usage: scripts/ab.sh [-k] [-o OUTDIR] REF [NEW]
#
#   REF        a commit of the repository holding the current directory
#              (e.g. 6052b46, the commit before a refactor).  It is checked
#              out detached with `git worktree add` (under OUTDIR, or a
#              temporary directory) and built with `make -C TREE -j2 all`.
#   NEW        a checked-out tree to compare (default: the top of the
#              repository holding the current directory); built with
#              `make -C NEW -j2 all`.  Binaries: TREE/build/bin.
#   -o OUTDIR  keep every captured file: OUTDIR/ref/CASE/, OUTDIR/new/CASE/
#              (stdout, stderr, status, requests and any file a case
#              writes, with FILE.raw beside FILE where a mask changed it),
#              OUTDIR/in/ (the shared inputs), OUTDIR/build-*.log.  Without
#              -o they live in a temporary directory, removed at the end.
#   -k         keep the reference worktree (and the temporary directory).
#              A later run with the same -o OUTDIR and REF reuses the kept
#              worktree, so only changed files are rebuilt.
#   AB_CASES   (environment) a grep -E pattern: run only the cases whose
#              name matches, e.g. AB_CASES='^fetch-stream' scripts/ab.sh REF
#
# Output: one line per case, `same  NAME`, or `DIFF  NAME (PARTS)` where
# PARTS names what differs (stdout, stderr, status, requests, or a file the
# case writes, e.g. plot.svg, m.json; a prefix such as `e2.stderr` is the
# second run of a multi-run case) followed by the first lines of a unified
# diff of each differing part; then `ab: N cases, N same, N differ`.  Venues
# that NEW's `cmt-fetch --help` lists and REF's does not are reported as
# `new   VENUE (in NEW, not compared)`, and tools NEW builds that REF does
# not as `new   TOOL (in NEW, not compared)`.  Exit status: 0 when every
# case is the same, 1 when one differs, 2 on a usage or build error.
#
# What is compared: stdout, exit status and stderr of every run, the files
# a run writes (--plot SVG, cmt-train's model, -o files), and for cmt-fetch
# the requests the stand-in saw (tests/fakeapi.py's /_log: the path with
# its query, the fault-plan action, User-Agent, Accept-Encoding, the API
# key header, and which connection carried it, numbered in order of first
# use; tests/fakews.py's --log: connections, subscription messages, REST
# paths, closes).
#
# The cases, 158 of them (the list is at the end of this file; each runs a
# c_* function below in its case directory):
#   help-*, version-*, usage-*   every tool's --help, --version, and usage
#                      errors (bad option, bad values, missing arguments)
#   sim-*              cmt-sim with fixed seeds, Poisson and regular
#   features-{sim,demo}-*  cmt-features on simulated ticks and on the
#                      bundled real minutes (data/demo, read through
#                      cmt-replay from gzip): default 1s grid, --model
#                      default, --step 60s --windows 1m,5m,15m,60m
#                      --vol-windows 30m,60m, --label 60s, --csv,
#                      --partial, --emit-warmup; CSV input; -o
#   predict-*          default models, -m FILE, NDJSON and CSV, --info
#   backtest-*         text, --json, --plot FILE (the SVG), --follow with
#                      and without --horizon, --pass, --theta/--fee-bps,
#                      partial vectors
#   train-*            mlp and logreg on labelled real minutes, fixed seed:
#                      the model file, its card, stdout and stderr
#   replay-*           files merged, --from/--to, --speed max, paced, gzip,
#                      CSV, --warmup, -o
#   hostile-*          tests/hostile/ mixed by its mix.py through features,
#                      predict, backtest, replay and cmt-sse
#   fetch-live-*       every venue polled (--count, --seed), fault plans,
#                      paging, cached answers, --all
#   fetch-history-*    fixed --from/--to, short pages, an outage, --resume
#   fetch-warm-*       --warmup 2h of every venue, then live polls
#   fetch-stream-*     --stream of every venue (tests/fakews.py): plain, a
#                      gap filled from REST page by page, abort and
#                      duplicates, bad and oversized messages, close codes,
#                      server pings, refused subscriptions, two symbols, a
#                      warm start before the stream
#   fetch-fail-*       404, invalid symbol, unknown pair or coin id, 401,
#                      unreachable server, kraken history refused
#   sse-*              cmt-sse: /events read by a client while lines
#                      arrive, replay from Last-Event-ID, the dashboard
#   bus-*              cmt-bus: unreachable server; with nats-server
#                      installed, a pub | sub round trip and a missing stream
#
# Inputs are made deterministic rather than masked: fixed seeds (cmt-sim,
# cmt-train, cmt-fetch --seed for the retry and reconnect jitter), fixed
# --from/--to, data from 2024 (so cmt-backtest --follow's lag_ms is null),
# relative output paths (each run's working directory is its case
# directory), --first-id for cmt-sse's replay case, and the shared inputs
# (ticks, vectors, predictions, models, hostile mixes) made once, by REF's
# binaries, into OUTDIR/in/.  Each side of a cmt-fetch case gets a fresh
# stand-in (they keep a market state).  The warm starts depend on the
# current minute: both sides of a fetch-warm-* case run within one minute
# (started between seconds 2 and 45; a pair that still straddles a minute
# is run again, up to 3 times), so the boundary, the bars, the request
# ranges and the stream's trade times (fakews --t0, pinned to that minute)
# are the same bytes; the boundary is not masked.
#
# Masked (only what the wall clock or the environment stamps):
#   - ports: 127.0.0.1:PORT of a stand-in (fakeapi, fakews, nats-server) or
#     of cmt-sse becomes 127.0.0.1:<port> in stdout and stderr: each run
#     binds a random free port.
#   - tree roots: the absolute paths of REF's worktree and of NEW become
#     <tree> in stdout and stderr (cmt-predict names the model paths it
#     tried).
#   - Kraken live polls (fetch-live-kraken*): every "t" in stdout becomes
#     "<wall>": Kraken's Ticker carries no time, so cmt-fetch stamps the
#     wall clock.
#   - fetch-warm-*: "t" of the ticks after the warm-start boundary becomes
#     "<wall>": the stand-in runs with --live-clock (as tests/cli/warmup.bats
#     does) so that live answers follow the bars, and stamps them with the
#     real time (CoinGecko last_updated_at, Coinbase ticker time, Binance
#     trade times from the server's start; Kraken: the wall clock as above).
#   - fetch-history-*: cmt-fetch prints a history progress line at most
#     every 2 s of wall clock; only the first and the final (100%) ones are
#     kept in stderr.
#   - sse-events: cmt-sse's default event ids are start time (s) x 1e6 + k;
#     `id: N` becomes `id: <base>+k` (k counted from the first id seen).
#   - fakeapi's log: the request's monotonic time and client port are left
#     out (the port is replaced by the connection's ordinal).
#   - fakews's log: `closed by client` and `client left` lines are left
#     out: whether the server logs the client's leaving before it is
#     stopped is a race.
#   - bus-nats: cmt-bus sub's lines of the batched pub (sub2.stdout) are
#     regrouped by symbol, each symbol's order kept (a batch holds one
#     subject; how batches interleave may follow input timing); the
#     --batch 1 stream (sub1.stdout) is compared exactly.
# Nothing else is masked.  Every stderr is compared: after the masks above
# it is deterministic in every case (temporary file names never reach an
# output: cmt-backtest unlinks its spill files at once, and -o files are
# named by the case).  A case whose output differs between two runs of
# the same binary is a bug of this script (check with `scripts/ab.sh HEAD`).
#
# Stand-ins and fixed inputs (tests/fakeapi.py, tests/fakews.py,
# tests/hostile/, data/demo/, model/default-price.json, fuzz/corpus/model/)
# are taken from the tree holding this script, for both sides.  Needs git,
# make, python3 (and python3-websockets for fakews.py), curl, and
# nats-server for the bus round trip (skipped, and said, without it).
# Runtime: about two to three minutes on 2 cores, plus the two builds.
set -u -o pipefail
# The body is one block, read whole before it runs: editing this file while
# it runs (it lives in the tree being refactored) cannot change a run.
{
export LC_ALL=C TZ=UTC
unset CMT_MODEL COINGECKO_API_KEY CDPATH

prog=ab
usage() {
	sed -n '/^# Usage:/,/^# Output:/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 2
}

keep=0
outdir=
while getopts ko:h opt; do
	case $opt in
	k) keep=1 ;;
	o) outdir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] && [ $# -le 2 ] || usage
REF=$1

HERE=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ge 2 ]; then
	NEW=$(cd "$2" 2>/dev/null && pwd) || die "NEW: no directory '$2'"
else
	NEW=$(git rev-parse --show-toplevel 2>/dev/null) ||
		die "not inside a git repository; name NEW"
fi
[ -f "$NEW/Makefile" ] || die "NEW: $NEW has no Makefile"
REPO=$(git rev-parse --show-toplevel 2>/dev/null) || REPO=$NEW
REFSHA=$(git -C "$REPO" rev-parse --verify --quiet "$REF^{commit}") ||
	die "REF: '$REF' is not a commit of $REPO"

for t in git make python3 curl; do
	command -v "$t" >/dev/null || die "$t is not installed"
done
WSPY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import websockets' 2>/dev/null; then WSPY=$p; break; fi
done

# ---- the work directory ----
if [ -n "$outdir" ]; then
	mkdir -p "$outdir" || die "cannot make $outdir"
	WORK=$(cd "$outdir" && pwd)
	rm -rf "$WORK/in" "$WORK/ref" "$WORK/new" "$WORK/.x"
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ab.XXXXXX") || die "no temp dir"
fi
mkdir -p "$WORK/in" "$WORK/ref" "$WORK/new" "$WORK/.x"
: >"$WORK/.x/pids"
REFTREE=$WORK/ref-tree
added=0

# kill_tree PID: PID and its descendants, by pid.
kill_tree() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		kill_tree "$c"
	done
	kill "$1" 2>/dev/null
}

cleanup() {
	local p
	for p in $(jobs -p); do     # the sides of a case still running
		kill_tree "$p"
	done
	while read -r p; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done <"$WORK/.x/pids"
	if [ "$keep" = 0 ] && [ "$added" = 1 ]; then
		git -C "$REPO" worktree remove --force "$REFTREE" 2>/dev/null ||
			rm -rf "$REFTREE"
		git -C "$REPO" worktree prune 2>/dev/null
	fi
	if [ "$keep" = 0 ] && [ -z "$outdir" ]; then
		rm -rf "$WORK"
	elif [ "$keep" = 1 ]; then
		echo "$prog: kept $WORK (reference worktree: $REFTREE)" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the two builds ----
if [ -d "$REFTREE" ]; then
	[ "$(git -C "$REFTREE" rev-parse HEAD 2>/dev/null)" = "$REFSHA" ] ||
		die "$REFTREE exists and is not $REF; remove it (git worktree remove)"
	echo "$prog: reusing the reference worktree $REFTREE" >&2
else
	git -C "$REPO" worktree add --detach "$REFTREE" "$REFSHA" \
		>"$WORK/build-ref.log" 2>&1 ||
		{ cat "$WORK/build-ref.log" >&2; die "git worktree add failed"; }
	added=1
fi
echo "$prog: building REF $REF ($REFSHA) in $REFTREE" >&2
make -C "$REFTREE" -j2 all >>"$WORK/build-ref.log" 2>&1 ||
	{ tail -n 20 "$WORK/build-ref.log" >&2; die "REF build failed"; }
echo "$prog: building NEW $NEW" >&2
make -C "$NEW" -j2 all >"$WORK/build-new.log" 2>&1 ||
	{ tail -n 20 "$WORK/build-new.log" >&2; die "NEW build failed"; }

declare -A BINS=([ref]=$REFTREE/build/bin [new]=$NEW/build/bin)
declare -A TREES=([ref]=$REFTREE [new]=$NEW)
TOOLS=(cmt-sim cmt-features cmt-predict cmt-backtest cmt-replay cmt-train
	cmt-fetch cmt-sse cmt-bus)
for t in "${TOOLS[@]}"; do
	[ -x "${BINS[ref]}/$t" ] || die "REF has no $t"
	[ -x "${BINS[new]}/$t" ] || die "NEW has no $t"
done
start_s=$(date +%s)

# ---- helpers for the cases ----
# A case function runs in its case directory with BIN (the side's binaries),
# TREE (the side's tree) and SIDE set.  Files whose name starts with '.' or
# ends in .raw are not compared.

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_file FILE: until FILE is not empty (20 s).
wait_file() {
	local i
	for i in $(seq 400); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	echo "$prog: $1 never appeared" >&2
	return 1
}

# spawn CMD...: start CMD in the background; its pid goes to .pids (killed
# at the end of the case) and to the global list (killed at exit).
spawn() {
	"$@" &
	echo $! >>.pids
	echo $! >>"$WORK/.x/pids"
	LAST_PID=$!
}

# stop_all: kill what this case spawned (by pid) and reap it.
stop_all() {
	local p
	[ -f .pids ] || return 0
	while read -r p; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done <.pids
	: >.pids
}

# run [-i FILE] [-p PREFIX] TOOL ARGS...: run the side's TOOL; stdout,
# stderr and status go to [PREFIX.]stdout, .stderr, .status.
run() {
	local in=/dev/null pre=
	while :; do
		case $1 in
		-i) in=$2; shift 2 ;;
		-p) pre=$2.; shift 2 ;;
		*) break ;;
		esac
	done
	local tool=$1
	shift
	timeout 120 "$BIN/$tool" "$@" <"$in" >"${pre}stdout" 2>"${pre}stderr"
	echo $? >"${pre}status"
}

# mask FILE FILTER...: pass FILE through FILTER; when that changes it, the
# original is kept as FILE.raw (the first original, if masked twice).
mask() {
	local f=$1
	shift
	[ -f "$f" ] || return 0
	"$@" <"$f" >"$f.tmp"
	if cmp -s "$f" "$f.tmp"; then
		rm -f "$f.tmp"
	else
		[ -e "$f.raw" ] || cp "$f" "$f.raw"
		mv "$f.tmp" "$f"
	fi
}

# mask_port PORT FILES...: 127.0.0.1:PORT -> 127.0.0.1:<port>
mask_port() {
	local port=$1 f
	shift
	for f in "$@"; do
		mask "$f" sed -E "s/127\\.0\\.0\\.1:$port([^0-9]|\$)/127.0.0.1:<port>\\1/g"
	done
}

# Every stdout and stderr: the tree roots.
mask_trees() {
	local f
	for f in *stdout *stderr; do
		[ -f "$f" ] || continue
		mask "$f" sed -e "s|${TREES[ref]}|<tree>|g" -e "s|${TREES[new]}|<tree>|g"
	done
}

# ---- stand-ins ----
# api_start [fakeapi options]: tests/fakeapi.py; sets URL and API_PORT.
api_start() {
	rm -f .api.port
	spawn python3 "$HERE/tests/fakeapi.py" --port-file .api.port "$@" \
		>.api.log 2>&1
	API_PID=$LAST_PID
	wait_file .api.port
	API_PORT=$(cat .api.port)
	URL=http://127.0.0.1:$API_PORT
}

# api_stop: the requests it saw into `requests`; stop it; mask its port.
api_stop() {
	curl -s --max-time 10 "$URL/_log" | python3 "$WORK/.x/apilog.py" >requests
	kill "$API_PID" 2>/dev/null
	wait "$API_PID" 2>/dev/null
	mask_port "$API_PORT" stdout stderr requests
}

cat >"$WORK/.x/apilog.py" <<'EOF'
import json, sys
conns = {}
for line in sys.stdin:
    e = json.loads(line)
    c = conns.setdefault(e["port"], len(conns) + 1)
    print("c%d %s %s ua=%s ae=%s key=%s" % (c, e["action"], e["path"],
          e["ua"], e["ae"], e["key"]))
EOF

# ws_start SOURCE SYMBOLS [fakews options]: tests/fakews.py; sets WS, URL.
ws_start() {
	local src=$1 syms=$2
	shift 2
	rm -f .ws.port .ws.log
	spawn "$WSPY" "$HERE/tests/fakews.py" --source "$src" --symbols "$syms" \
		--port-file .ws.port --log .ws.log "$@" >.ws.out 2>&1
	WS_PID=$LAST_PID
	wait_file .ws.port
	WS_PORT=$(cat .ws.port)
	URL=http://127.0.0.1:$WS_PORT
	WS=ws://127.0.0.1:$WS_PORT/stream
}

ws_stop() {
	kill "$WS_PID" 2>/dev/null
	wait "$WS_PID" 2>/dev/null
	grep -v -x -e 'closed by client' -e 'client left' .ws.log >requests
	mask_port "$WS_PORT" stdout stderr requests
}

# ---- running and comparing ----
n_cases=0
n_same=0
n_diff=0
FILTER=${AB_CASES:-}    # a grep -E pattern: run only the matching cases

run_side() {   # SIDE NAME FN ARGS...
	local side=$1 name=$2
	shift 2
	local d=$WORK/$side/$name
	rm -rf "$d"
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		BIN=${BINS[$side]} TREE=${TREES[$side]} SIDE=$side
		"$@"
		stop_all
		mask_trees
	) </dev/null
}

# The parts in report order: stdout, stderr, status, requests, the rest.
part_order() {
	awk '{ k = 4 } /(^|\.)stdout$/ { k = 0 } /(^|\.)stderr$/ { k = 1 }
	     /(^|\.)status$/ { k = 2 } /^requests$/ { k = 3 }
	     { print k "\t" $0 }' | sort -t '	' -k1,1n -k2,2 | cut -f2
}

compare() {   # NAME
	local name=$1 a=$WORK/ref/$1 b=$WORK/new/$1 f parts=() list
	list=$({ (cd "$a" && find . -type f); (cd "$b" && find . -type f); } |
		sed 's|^\./||' | grep -v -e '^\.' -e '/\.' -e '\.raw$' -e '\.tmp$' |
		sort -u | part_order)
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		cmp -s "$a/$f" "$b/$f" || parts+=("$f")
	done <<<"$list"
	n_cases=$((n_cases + 1))
	if [ ${#parts[@]} -eq 0 ]; then
		n_same=$((n_same + 1))
		printf 'same  %s\n' "$name"
		return
	fi
	n_diff=$((n_diff + 1))
	local IFS=,
	printf 'DIFF  %s (%s)\n' "$name" "$(echo "${parts[*]}" | sed 's/,/, /g')"
	unset IFS
	for f in "${parts[@]}"; do
		diff -u -a --label "REF/$name/$f" --label "NEW/$name/$f" \
			"$( [ -e "$a/$f" ] && echo "$a/$f" || echo /dev/null)" \
			"$( [ -e "$b/$f" ] && echo "$b/$f" || echo /dev/null)" |
			head -n 12 | sed 's/^/    /'
	done
}

selected() {
	[ -z "$FILTER" ] || echo "$1" | grep -qE "$FILTER"
}

# ab NAME FN ARGS...: run FN ARGS on both sides and compare.
ab() {
	local name=$1
	shift
	selected "$name" || return 0
	run_side ref "$name" "$@" &
	run_side new "$name" "$@" &
	wait
	compare "$name"
}

# ab_minute NAME FN ARGS...: as ab, both sides within one wall-clock minute
# (AB_MINUTE, its start in ms, is set for FN); FN writes the minute it saw
# (the warm-start boundary) to .minute.
ab_minute() {
	local name=$1 try s
	shift
	selected "$name" || return 0
	for try in 1 2 3; do
		s=$(( $(date +%s) % 60 ))
		if [ "$s" -lt 2 ] || [ "$s" -gt 45 ]; then
			sleep $(( (62 - s) % 60 ))
		fi
		AB_MINUTE=$(( $(date +%s) / 60 * 60000 ))
		export AB_MINUTE
		run_side ref "$name" "$@" &
		run_side new "$name" "$@" &
		wait
		[ -s "$WORK/ref/$name/.minute" ] &&
			cmp -s "$WORK/ref/$name/.minute" "$WORK/new/$name/.minute" &&
			break
		echo "$prog: $name: the two runs saw different minutes; again" >&2
	done
	compare "$name"
}

skip_case() {   # NAME WHY
	selected "$1" || return 0
	printf 'skip  %s (%s)\n' "$1" "$2"
}

# ---- inputs, made once by REF's binaries ----
IN=$WORK/in
RB=${BINS[ref]}
make_inputs() {
	local f sym
	cd "$IN" || exit 2
	"$RB/cmt-sim" --symbols BTC-USD,ETH-USD -d 2h -e 2s --seed 5 >sim.ndjson
	"$RB/cmt-sim" --symbols BTC-USD,ETH-USD -d 1d -e 10s --seed 3 >simlong.ndjson
	awk 'BEGIN { print "t,sym,px,vol,src" }
	     { gsub(/[{}"]/, ""); n = split($0, kv, ",")
	       for (i = 1; i <= n; i++) { split(kv[i], p, ":"); v[p[1]] = p[2] }
	       print v["t"] "," v["sym"] "," v["px"] "," v["vol"] "," v["src"] }' \
		sim.ndjson >sim.csv
	# real minutes: one tick per bar at its close, as scripts/demo-ticks.sh
	for f in "$HERE"/data/demo/btcusdt_1m_*.csv.gz "$HERE"/data/demo/ethusdt_1m_*.csv.gz; do
		case $f in *btcusdt*) sym=BTC-USDT ;; *) sym=ETH-USDT ;; esac
		gzip -dc "$f" | awk -F, -v sym="$sym" 'NR > 1 {
			printf "{\"t\":%d000,\"sym\":\"%s\",\"px\":%s,\"vol\":%s,\"src\":\"binance\"}\n",
			    $1 + 60, sym, $5, $6 }' | gzip -c >"demo-$sym.ndjson.gz"
	done
	"$RB/cmt-replay" --speed max demo-BTC-USDT.ndjson.gz demo-ETH-USDT.ndjson.gz >demo.ndjson
	# the first 3 hours of each, for the 1 s grid
	{ "$RB/cmt-replay" --speed max --to 2024-03-04T03:00:00Z demo-BTC-USDT.ndjson.gz
	  "$RB/cmt-replay" --speed max --to 2024-05-20T03:00:00Z demo-ETH-USDT.ndjson.gz
	} >demo3h.ndjson
	"$RB/cmt-features" -q --model default demo.ndjson >vec-demo.ndjson
	"$RB/cmt-features" -q --model default --csv demo.ndjson >vec-demo.csv
	"$RB/cmt-features" -q --model default --label 60s demo.ndjson >lab-demo.ndjson
	"$RB/cmt-features" -q --model default --label 60s simlong.ndjson >lab-sim.ndjson
	"$RB/cmt-features" -q --model default simlong.ndjson >vec-sim.ndjson
	"$RB/cmt-features" -q --model default --label 60s --partial 20s simlong.ndjson >part-sim.ndjson
	"$RB/cmt-predict" <lab-demo.ndjson >pred-demo.ndjson
	"$RB/cmt-predict" <vec-demo.ndjson >upred-demo.ndjson
	# the first day of each symbol, for the slower --follow cases
	awk '/"sym":"BTC-USDT"/ && b++ < 1440 || /"sym":"ETH-USDT"/ && e++ < 1440' \
		pred-demo.ndjson >pred-demo1d.ndjson
	awk '/"sym":"BTC-USDT"/ && b++ < 1440 || /"sym":"ETH-USDT"/ && e++ < 1440' \
		upred-demo.ndjson >upred-demo1d.ndjson
	"$RB/cmt-predict" <lab-sim.ndjson >pred-sim.ndjson
	"$RB/cmt-predict" <vec-sim.ndjson >upred-sim.ndjson
	"$RB/cmt-predict" <part-sim.ndjson >ppred-sim.ndjson
	cp "$HERE/model/default-price.json" model.json
	# tests/cli/hostile.bats's logistic model over the corpus's feature set
	sed -e 's|"feature_set": "[^"]*"|"feature_set": "cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20"|' \
		-e 's/"ret_1h"/"ret_60m"/; s/"rv_1h"/"rv_60m"/' \
		"$HERE/fuzz/corpus/model/logreg.json" >hostile-model.json
	H=$HERE/tests/hostile
	python3 "$H/mix.py" "$H/ticks-good.ndjson" "$H/ticks-bad.txt" hostile-ticks \
		--order "$H/ticks-order.ndjson"
	python3 "$H/mix.py" "$H/preds-good.ndjson" "$H/preds-bad.txt" hostile-preds
	python3 "$H/mix.py" "$H/fvec-good.ndjson" "$H/preds-bad.txt" hostile-fvec
	{
		echo 't,sym,px,vol,src'
		echo '1732450000000,BTC-USD,100,1,a'
		echo '1732450001000,BTC-USD,1e400,1,a'
		printf '1732450001000,BTC-USD,101,1,\xff\n'
		echo '1732450001000,BTC-USD,101'
		echo '1732450001000,BTC-USD,NaN,1,a'
		echo '1732450001000,BTCUSD,101,1,a'
		printf '1732450001000,BTC-USD,101,1,a\r\n'
		echo '1732450002000,BTC-USD,102,,'
	} >hostile-ticks.csv
	# a history file cut short, for --resume (ETH one bar behind BTC)
	printf '%s\n' \
		'{"t":1704067260000,"sym":"BTC-USDT","px":50000.51,"vol":1.25,"src":"binance"}' \
		'{"t":1704067260000,"sym":"ETH-USDT","px":3000.51,"vol":1.25,"src":"binance"}' \
		'{"t":1704067320000,"sym":"BTC-USDT","px":50001.01,"vol":1.5,"src":"binance"}' \
		>resume.ndjson
	cd - >/dev/null || exit 2
}
echo "$prog: making the inputs with REF's binaries" >&2
make_inputs
DEAD_PORT=$(free_port)   # nothing listens here

# ======================================================================
# The cases.
# ======================================================================

c_help() { run "$1" --help; }
c_version() { run "$1" --version; }

c_usage_common() { run -p e0 "$1" --no-such-option; run -p e1 "$1" -Z; }
c_usage_sim() {
	c_usage_common cmt-sim
	run -p e2 cmt-sim --count -1
	run -p e3 cmt-sim --every 0
	run -p e4 cmt-sim --symbols ''
	run -p e5 cmt-sim --start yesterday
}
c_usage_features() {
	c_usage_common cmt-features
	run -p e2 cmt-features --step 0
	run -p e3 cmt-features --windows 1m,5m
	run -p e4 cmt-features --model nosuchmodel
	run -p e5 cmt-features --feature-set 'cmt9;x'
	run -p e6 cmt-features "$IN/no-such-file"
	run -p e7 cmt-features --max-symbols 100000000 --max-memory 1KiB
}
c_usage_predict() {
	c_usage_common cmt-predict
	run -p e2 cmt-predict -m nosuchmodel
	run -p e3 cmt-predict -m "$IN/sim.ndjson"
	cp "$IN/vec-demo.ndjson" .vin
	run -p e4 -i .vin cmt-predict -o .vin
}
c_usage_backtest() {
	c_usage_common cmt-backtest
	run -p e2 cmt-backtest --theta 1.5 "$IN/pred-demo.ndjson"
	run -p e3 cmt-backtest --fee-bps -1 "$IN/pred-demo.ndjson"
	run -p e4 cmt-backtest --follow --json "$IN/pred-demo.ndjson"
	run -p e5 cmt-backtest --pass "$IN/pred-demo.ndjson"
	run -p e6 cmt-backtest --horizon 1m "$IN/pred-demo.ndjson"
	run -p e7 cmt-backtest --every 0 --follow "$IN/pred-demo.ndjson"
	run -p e8 cmt-backtest "$IN/sim.ndjson"
	run -p e9 cmt-backtest </dev/null
}
c_usage_replay() {
	c_usage_common cmt-replay
	run -p e2 cmt-replay --speed 0 "$IN/sim.ndjson"
	run -p e3 cmt-replay --from garbage "$IN/sim.ndjson"
	run -p e4 cmt-replay "$IN/no-such-file"
	cp "$IN/sim.ndjson" .tin
	run -p e5 cmt-replay -o .tin .tin
}
c_usage_train() {
	c_usage_common cmt-train
	run -p e2 cmt-train
	run -p e3 cmt-train -o m.json --kind svm "$IN/lab-demo.ndjson"
	run -p e4 cmt-train -o m.json --exclude nosuch "$IN/lab-demo.ndjson"
	run -p e5 cmt-train -o m.json "$IN/vec-demo.ndjson"
}
c_usage_fetch() {
	c_usage_common cmt-fetch
	run -p e2 cmt-fetch
	run -p e3 cmt-fetch --symbols btc --source bitstamp
	run -p e4 cmt-fetch --symbols pepe
	run -p e5 cmt-fetch --symbols btc --interval 5x
	run -p e6 cmt-fetch --symbols btc --from 2024-01-01
	run -p e7 cmt-fetch --symbols btc --history
	run -p e8 cmt-fetch --symbols btc --history --from 2024-01-01 --count 3
	run -p e9 cmt-fetch --symbols btc,BTC-USD --once
	run -p e10 cmt-fetch --source binance --api-key k --symbols btc --once
	run -p e11 cmt-fetch --symbols btc --history --from 2024-01-01 --warmup 1h
	run -p e12 cmt-fetch --symbols btc --warmup 40d
	run -p e13 cmt-fetch --symbols btc --stream
	run -p e14 cmt-fetch --symbols btc --base-url http://127.0.0.1:1/path --once
	run -p e15 cmt-fetch --symbols btc --history --from 2024-01-02 --to 2024-01-01
}
c_usage_sse() {
	c_usage_common cmt-sse
	run -p e2 cmt-sse --port 70000
	run -p e3 cmt-sse --backlog -1
	run -p e4 cmt-sse --client-buffer 1XB
	run -p e5 cmt-sse --heartbeat 0
}
c_usage_bus() {
	c_usage_common cmt-bus
	run -p e2 cmt-bus
	run -p e3 cmt-bus sub
	run -p e4 cmt-bus sub --stream S --partition 4/4 --filter 'a.{part}'
	run -p e5 cmt-bus pub --subject 'cmt.{sym}x'
	run -p e6 cmt-bus pub --durable x
	run -p e7 cmt-bus sub --stream S --new --from-seq 3
	run -p e8 cmt-bus frob
}

# -- cmt-sim --
c_sim() { run cmt-sim "$@"; }

# -- cmt-features on a file --
c_features() {   # INPUT OPTIONS...
	local f=$1
	shift
	run cmt-features "$@" "$f"
}
c_features_stdin() {
	local f=$1
	shift
	run -i "$f" cmt-features "$@"
}
c_features_out() {
	run cmt-features -o vec.ndjson --model default "$IN/sim.ndjson"
}

# -- cmt-predict --
c_predict() {   # INPUT OPTIONS...
	local f=$1
	shift
	run -i "$f" cmt-predict "$@"
}
c_predict_out() {
	run -i "$IN/vec-demo.ndjson" cmt-predict -o pred.ndjson
}

# -- cmt-backtest --
c_backtest() { run cmt-backtest "$@"; }
c_backtest_stdin() {
	local f=$1
	shift
	run -i "$f" cmt-backtest "$@"
}

# -- cmt-train --
c_train() { run cmt-train "$@"; }

# -- cmt-replay --
c_replay() { run cmt-replay "$@"; }

# -- cmt-fetch against fakeapi --
FETCH_FAST=(--interval 50ms --backoff 50ms --backoff-max 200ms --timeout 2s --seed 7)

# live SOURCE FAKEAPI-OPTIONS... -- CMT-FETCH-OPTIONS...
c_live() {
	local src=$1 a=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	api_start "${a[@]}"
	run cmt-fetch --source "$src" --base-url "$URL" --warmup 0 \
		"${FETCH_FAST[@]}" "$@"
	api_stop
	if [ "$src" = kraken ]; then
		mask stdout sed -E 's/"t":[0-9]+/"t":"<wall>"/'
	fi
}

# history progress: the first line and the final ones only
mask_progress() {
	mask stderr awk '/^cmt-fetch: history: .*%, [0-9]+ ticks, [0-9]+ requests$/ {
		if (seen++ && $0 !~ / 100%, /) next } { print }'
}

c_history() {
	local src=$1 a=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	api_start "${a[@]}"
	run cmt-fetch --history --source "$src" --base-url "$URL" --pace 0 \
		--backoff 50ms --backoff-max 200ms --timeout 2s --seed 7 "$@"
	api_stop
	mask_progress
}

# The warm-start boundary (ms) from stderr, into .minute.
boundary() {
	sed -n 's/.*bars up to \([^ ]*\)Z; live from there.*/\1/p' stderr |
		head -n 1 >.minute
}

# Ticks after the boundary M carry the stand-in's wall clock.
mask_after_boundary() {
	local m
	m=$(python3 -c '
import calendar, sys, time
s = open(".minute").read().strip()
print(calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 if s else 0)')
	mask stdout python3 -c '
import re, sys
m = int(sys.argv[1])
for line in sys.stdin:
    sys.stdout.write(re.sub(r"\"t\":([0-9]+)",
        lambda g: "\"t\":\"<wall>\"" if m and int(g.group(1)) > m else g.group(0),
        line))' "$m"
}

c_warm() {
	local src=$1
	api_start --live-clock
	run cmt-fetch --source "$src" --symbols btc,eth --base-url "$URL" \
		--warmup 2h --count 2 --interval 1s --seed 7
	api_stop
	boundary
	mask_after_boundary
}

# -- cmt-fetch --stream against fakews --
stream_sym() { case $1 in binance) echo BTC-USDT ;; *) echo BTC-USD ;; esac; }

# stream SOURCE COUNT FAKEWS-OPTIONS... -- CMT-FETCH-OPTIONS...
c_stream() {
	local src=$1 n=$2 a=() syms
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	syms=$(stream_sym "$src")
	[ "${STREAM_TWO:-}" ] && syms="$syms,${syms/BTC/ETH}"
	ws_start "$src" "$syms" "${a[@]}"
	run cmt-fetch --stream --source "$src" --symbols "${STREAM_TWO:-btc}" --ws-url "$WS" \
		--base-url "$URL" --count "$n" --backoff 50ms --backoff-max 200ms \
		--warmup 0 --seed 7 "$@"
	ws_stop
}

c_stream_warm() {
	local src=$1
	ws_start "$src" "$(stream_sym "$src")" --t0 $((AB_MINUTE + 1000)) \
		--script 'T:5-8'
	run cmt-fetch --stream --source "$src" --symbols btc --ws-url "$WS" \
		--base-url "$URL" --warmup 3m --count 8 --seed 7
	ws_stop
	boundary
}

c_fetch_dead() {
	run cmt-fetch --base-url "http://127.0.0.1:$DEAD_PORT" --warmup 0 \
		--symbols btc --once "${FETCH_FAST[@]}" --retry-max 2
}

c_fetch_kraken_history() {
	run cmt-fetch --history --source kraken --symbols btc \
		--from 2024-01-01 --base-url "http://127.0.0.1:$DEAD_PORT"
}

# -- cmt-sse --
# sse_wait PORT METRIC VALUE: until /metrics says so (10 s).
sse_wait() {
	local i
	for i in $(seq 200); do
		curl -sf "http://127.0.0.1:$1/metrics" 2>/dev/null |
			grep -qx "$2 $3" && return 0
		sleep 0.05
	done
	return 1
}

# A client on /events while the lines arrive (default ids: masked).
c_sse_events() {
	local port s c
	port=$(free_port)
	mkfifo .in
	exec 7<>.in
	spawn "$BIN/cmt-sse" --port "$port" --exit-on-eof <.in >stdout 2>stderr 7>&-
	s=$LAST_PID
	wait_port_http "$port"
	curl -sN --max-time 20 "http://127.0.0.1:$port/events" >events 2>/dev/null 7>&- &
	c=$!
	sse_wait "$port" cmt_sse_streams 1
	head -n 40 "$IN/demo.ndjson" >&7
	exec 7>&-
	wait "$s"
	echo $? >status
	wait "$c"
	mask_port "$port" stdout stderr
	mask events awk '/^id: [0-9]+$/ { if (base == "") base = $2
		printf "id: <base>+%d\n", $2 - base; next } { print }'
}

wait_port_http() {
	local i
	for i in $(seq 200); do
		curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# Lines from a file, then a client replaying from Last-Event-ID 0; the
# dashboard and /healthz.
c_sse_replay() {   # INPUT OPTIONS...
	local f=$1 port s
	shift
	port=$(free_port)
	spawn "$BIN/cmt-sse" --port "$port" --first-id 1 --backlog 1000 "$@" \
		<"$f" >stdout 2>stderr
	s=$LAST_PID
	wait_port_http "$port"
	sse_wait "$port" cmt_sse_input_open 0
	curl -sN --max-time 1 "http://127.0.0.1:$port/events?lastEventId=0" \
		>events 2>/dev/null
	curl -s -D - "http://127.0.0.1:$port/healthz" 2>/dev/null |
		grep -iv '^date:' >healthz
	curl -s "http://127.0.0.1:$port/" >dashboard.html 2>/dev/null
	curl -s -o /dev/null -w '%{http_code}\n' \
		"http://127.0.0.1:$port/nope" >notfound 2>/dev/null
	kill "$s"
	wait "$s"
	echo $? >status
	mask_port "$port" stdout stderr
}

# -- cmt-bus --
c_bus_dead() {
	run -p sub cmt-bus sub -u "nats://127.0.0.1:$DEAD_PORT" --stream S
	run -p pub -i "$IN/sim.ndjson" cmt-bus pub -u "nats://127.0.0.1:$DEAD_PORT"
}

by_symbol() {
	python3 -c '
import json, sys
g = {}
for line in sys.stdin:
    try:
        s = json.loads(line).get("sym", "")
    except ValueError:
        s = ""
    g.setdefault(s, []).append(line)
for s in sorted(g):
    sys.stdout.write("".join(g[s]))'
}

c_bus_nats() {
	local port mon i u
	port=$(free_port)
	mon=$(free_port)
	mkdir .js
	spawn nats-server -a 127.0.0.1 -p "$port" -m "$mon" -js -sd .js >.nats.log 2>&1
	for i in $(seq 200); do
		curl -sf "http://127.0.0.1:$mon/healthz?js-enabled-only=true" \
			>/dev/null 2>&1 && break
		sleep 0.05
	done
	u=nats://127.0.0.1:$port
	{ head -n 5 "$IN/sim.ndjson"; echo 'not json'; echo '{"t":1,"px":2}'
	  sed -n '6,3000p' "$IN/sim.ndjson"; } >.in
	run -p pub1 -i .in cmt-bus pub -u "$u" --create-stream ONE \
		--subject 'one.{sym}' --batch 1
	run -p sub1 cmt-bus sub -u "$u" --stream ONE -e
	run -p sub1n cmt-bus sub -u "$u" --stream ONE --from-seq 2991 -e
	run -p sub1f cmt-bus sub -u "$u" --stream ONE --filter one.ETH-USD -n 7
	run -p pub2 -i .in cmt-bus pub -u "$u" --create-stream TICKS --max-age 1d
	run -p pub3 -i .in cmt-bus pub -u "$u"
	run -p sub2 cmt-bus sub -u "$u" --stream TICKS -e
	mask sub2.stdout by_symbol
	run -p nope cmt-bus sub -u "$u" --stream NOPE
	stop_all
	mask_port "$port" ./*stdout ./*stderr
}

# ======================================================================
# The list.
# ======================================================================
echo "$prog: running the cases" >&2

for t in "${TOOLS[@]}"; do
	ab "help-$t" c_help "$t"
	ab "version-$t" c_version "$t"
done
ab usage-cmt-sim c_usage_sim
ab usage-cmt-features c_usage_features
ab usage-cmt-predict c_usage_predict
ab usage-cmt-backtest c_usage_backtest
ab usage-cmt-replay c_usage_replay
ab usage-cmt-train c_usage_train
ab usage-cmt-fetch c_usage_fetch
ab usage-cmt-sse c_usage_sse
ab usage-cmt-bus c_usage_bus

# cmt-sim
ab sim-poisson c_sim --symbols BTC-USD,ETH-USD -d 2h -e 2s --seed 5
ab sim-regular c_sim --symbols BTC-USD -d 3h --every 10s --regular --seed 2
ab sim-count c_sim --symbols BTC-USD,ETH-USD,SOL-USD -n 5000 \
	--start 2024-06-01T12:00:00Z --vol 1.2 --seed 9

# cmt-features: simulated ticks, and real minutes (3 hours of each symbol
# for the 1 s grid, the whole week for minute steps)
for src in sim demo; do
	if [ $src = sim ]; then small=$IN/sim.ndjson big=$IN/sim.ndjson
	else small=$IN/demo3h.ndjson big=$IN/demo.ndjson; fi
	ab "features-$src-default" c_features "$small"
	ab "features-$src-model-default" c_features "$big" --model default
	ab "features-$src-step60" c_features "$big" --step 60s --windows 1m,5m,15m,60m \
		--vol-windows 30m,60m
	ab "features-$src-label" c_features "$small" --label 60s
	ab "features-$src-model-label" c_features "$big" --model default --label 60s
	ab "features-$src-csv" c_features "$small" --csv
	ab "features-$src-partial" c_features "$small" --partial 3s
	ab "features-$src-model-partial" c_features "$big" --model default --partial 10s
	ab "features-$src-emit-warmup" c_features "$small" --emit-warmup
done
ab features-sim-stdin-csv c_features_stdin "$IN/sim.csv" --step 5s -q
ab features-sim-options c_features "$IN/sim.ndjson" --step 10s \
	--windows 10s,30s,1m,2m --vol-windows 1m,2m --rsi 7 --macd 6,13,5 --bb 10,1.5 --mom 5 \
	--vol-trend 3,12 --max-gap 30s
ab features-sim-output c_features_out

# cmt-predict
ab predict-demo-default c_predict "$IN/vec-demo.ndjson"
ab predict-demo-labelled c_predict "$IN/lab-demo.ndjson"
ab predict-demo-model-file c_predict "$IN/vec-demo.ndjson" -m "$IN/model.json"
ab predict-demo-two-models c_predict "$IN/vec-demo.ndjson" -m default-price -m default
ab predict-demo-csv c_predict "$IN/vec-demo.csv" --csv
ab predict-demo-csv-sniffed c_predict "$IN/vec-demo.csv"
ab predict-sim-default c_predict "$IN/vec-sim.ndjson"
ab predict-sim-partial c_predict "$IN/part-sim.ndjson"
ab predict-info c_predict /dev/null --info
ab predict-info-model-file c_predict /dev/null --info -m "$IN/model.json"
ab predict-output c_predict_out

# cmt-backtest
ab backtest-demo-text c_backtest "$IN/pred-demo.ndjson"
ab backtest-demo-json c_backtest --json "$IN/pred-demo.ndjson"
ab backtest-demo-plot c_backtest --plot plot.svg "$IN/pred-demo.ndjson"
ab backtest-demo-theta-fee c_backtest -T 0.55 -F 5 --json "$IN/pred-demo.ndjson"
ab backtest-demo-follow c_backtest --follow "$IN/pred-demo1d.ndjson"
ab backtest-demo-follow-pass c_backtest --follow --pass --every 10m "$IN/pred-demo1d.ndjson"
ab backtest-demo-follow-horizon c_backtest --follow --horizon 1m "$IN/upred-demo1d.ndjson"
ab backtest-sim-follow-horizon-pass c_backtest --follow --horizon 1m --pass \
	--window 50 "$IN/upred-sim.ndjson"
ab backtest-sim-text c_backtest_stdin "$IN/pred-sim.ndjson"
ab backtest-sim-plot c_backtest --json --plot plot.svg "$IN/pred-sim.ndjson"
ab backtest-sim-partial c_backtest "$IN/ppred-sim.ndjson"
ab backtest-sim-partial-follow c_backtest --follow --every 10m "$IN/ppred-sim.ndjson"
ab backtest-two-files c_backtest "$IN/pred-sim.ndjson" "$IN/pred-demo.ndjson"

# cmt-train
ab train-mlp c_train -o m.json --epochs 5 --hidden 16,8 --seed 3 \
	--source 'data/demo' --pipeline 'ab.sh' "$IN/lab-demo.ndjson"
ab train-logreg c_train -o m.json --kind logreg --epochs 8 --lr 0.01 \
	"$IN/lab-demo.ndjson"
ab train-exclude c_train -o m.json -q --kind logreg --epochs 3 -x vol_trend \
	--test-frac 0.2 --val-frac 0.1 -n named "$IN/lab-sim.ndjson"
ab train-stdout c_train -o - -q --epochs 2 --hidden 4 --test-from 2024-05-24 \
	"$IN/lab-demo.ndjson"
ab train-test-file c_train -o m.json -q --kind logreg --epochs 2 \
	--test "$IN/lab-sim.ndjson" "$IN/lab-demo.ndjson"

# cmt-replay
ab replay-merge c_replay --speed max "$IN/demo-BTC-USDT.ndjson.gz" \
	"$IN/demo-ETH-USDT.ndjson.gz" "$IN/sim.ndjson"
ab replay-range c_replay --speed max --from 2024-03-05 --to 2024-03-05T06:00:00Z \
	"$IN/demo-BTC-USDT.ndjson.gz" "$IN/demo-ETH-USDT.ndjson.gz"
ab replay-range-epoch c_replay -s max -f 1704070800 -t 1704074400000 "$IN/sim.ndjson"
ab replay-gzip c_replay --speed max "$IN/demo-ETH-USDT.ndjson.gz"
ab replay-csv c_replay --speed max "$IN/sim.csv"
ab replay-paced c_replay --speed 200 --to 2024-01-01T00:00:20Z "$IN/sim.ndjson"
ab replay-warmup c_replay --speed 100000 --warmup 1h --to 2024-01-01T01:10:00Z "$IN/sim.ndjson"
ab replay-output c_replay --speed max -o out.ndjson "$IN/sim.ndjson"

# the hostile corpus
ab hostile-features c_features "$IN/hostile-ticks" --step 1s --emit-warmup
ab hostile-features-good c_features "$HERE/tests/hostile/ticks-good.ndjson" \
	--step 1s --emit-warmup -q
ab hostile-features-csv c_features "$IN/hostile-ticks.csv" --step 1s --emit-warmup
ab hostile-replay c_replay --speed max "$IN/hostile-ticks"
ab hostile-predict c_predict "$IN/hostile-fvec" -m "$IN/hostile-model.json"
ab hostile-predict-default c_predict "$IN/hostile-fvec"
ab hostile-backtest-follow c_backtest --follow --pass "$IN/hostile-preds"
ab hostile-backtest-json c_backtest --json "$IN/hostile-preds"
ab hostile-backtest-text c_backtest "$IN/hostile-preds"
ab hostile-sse c_sse_replay "$IN/hostile-ticks"

# cmt-fetch: live polls of every venue
for src in coingecko binance coinbase kraken; do
	ab "fetch-live-$src" c_live "$src" -- --symbols btc,eth --count 3
done
ab fetch-live-coingecko-faults c_live coingecko \
	--plan ok,500,503,429:0,trunc,badjson,html,reset,ok,big -- --symbols btc --count 4
ab fetch-live-coingecko-cached c_live coingecko --plan ok,same,same,ok -- \
	--symbols btc --count 4
ab fetch-live-coingecko-all c_live coingecko --plan ok,same,ok -- \
	--symbols btc --count 3 --all
ab fetch-live-coingecko-key c_live coingecko --require-key sekrit -- \
	--symbols btc --once --api-key sekrit
ab fetch-live-coingecko-future c_live coingecko --plan ok,future,ok -- \
	--symbols btc --count 3
ab fetch-live-binance-pages c_live binance --trades-per-step 2500 -- \
	--symbols btc --count 2
ab fetch-live-binance-faults c_live binance --plan ok,500,trunc,ok,429:0,ok -- \
	--symbols btc,eth --count 3
ab fetch-live-coinbase-once c_live coinbase -- --symbols BTC-USD,eth --once
ab fetch-live-kraken-faults c_live kraken --plan ok,503,ok -- --symbols btc --count 2

# cmt-fetch --history
ab fetch-history-coingecko c_history coingecko -- --symbols btc,eth \
	--from 2024-01-01 --to 2024-01-03
ab fetch-history-binance c_history binance -- --symbols btc \
	--from 2024-01-01 --to 2024-01-02T17:40:00Z
ab fetch-history-binance-two c_history binance --plan ok,500,429:0,ok,trunc,ok -- \
	--symbols btc,eth --from 2024-01-01 --to 2024-01-01T20:00:00Z
ab fetch-history-binance-short-pages c_history binance --page-cap 300 -- \
	--symbols btc --from 2024-01-01 --to 2024-01-01T20:00:00Z --quiet
ab fetch-history-binance-outage c_history binance --gap-from 1704067800000 \
	--gap-to 1704068400000 -- --symbols btc --from 2024-01-01 --to 2024-01-01T01:00:00Z
ab fetch-history-binance-resume c_history binance -- --symbols btc,eth \
	--from 2024-01-01 --to 2024-01-01T02:00:00Z --resume "$IN/resume.ndjson"
ab fetch-history-coinbase c_history coinbase -- --symbols btc,eth \
	--from 2024-01-01 --to 2024-01-01T06:00:00Z
ab fetch-history-coingecko-hourly c_history coingecko --gecko-step 3600 -- \
	--symbols btc --from 2024-01-01 --to 2024-01-20

# cmt-fetch failures
ab fetch-fail-coinbase-404 c_live coinbase -- --symbols doge --once
ab fetch-fail-binance-invalid-symbol c_live binance -- --symbols doge --once
ab fetch-fail-kraken-unknown-pair c_live kraken -- --symbols doge --once
ab fetch-fail-coingecko-unknown-id c_live coingecko -- --symbols btc \
	--id-map btc=nosuchcoin --once
ab fetch-fail-coingecko-401 c_live coingecko --plan 401 -- --symbols btc --count 3
ab fetch-fail-coingecko-no-key c_live coingecko --require-key sekrit -- \
	--symbols btc --once
ab fetch-fail-unreachable c_fetch_dead
ab fetch-fail-kraken-history c_fetch_kraken_history
ab fetch-fail-binance-history-invalid c_history binance -- --symbols doge \
	--from 2024-01-01 --to 2024-01-01T01:00:00Z

# cmt-fetch --stream
if [ -n "$WSPY" ]; then
	for src in binance coinbase kraken; do
		ab "fetch-stream-$src" c_stream "$src" 8 --script 'T:1-8'
		ab "fetch-stream-$src-gap" c_stream "$src" 25 --page-cap 4 \
			--script 'T:1-5,close:1001|T:20-25'
		ab "fetch-stream-$src-abort" c_stream "$src" 10 \
			--script 'T:1-6,abort|T:4-10'
		ab "fetch-stream-$src-refused" c_stream "$src" 5 --script suberr
	done
	ab fetch-stream-binance-bad c_stream binance 6 --script 'T:1-3,bad,T:4-6'
	ab fetch-stream-binance-big c_stream binance 7 --script 'T:1-3,big:4,T:5-7'
	ab fetch-stream-kraken-big c_stream kraken 7 --script 'T:1-3,big:4,T:5-7'
	ab fetch-stream-kraken-closes c_stream kraken 9 --script \
		'T:1-2,close:1000|T:3-4,close:1011|T:5-6,close:1008|T:7-8,close:1003|T:9'
	ab fetch-stream-coinbase-ping c_stream coinbase 6 --script 'T:1-3,ping,T:4-6'
	STREAM_TWO=btc,eth ab fetch-stream-binance-two c_stream binance 16 \
		--script 'T:1-3,abort|T:7-8'
else
	skip_case fetch-stream "python3-websockets is missing"
fi

# warm starts (both sides within one minute)
for src in coingecko binance coinbase kraken; do
	ab_minute "fetch-warm-$src" c_warm "$src"
done
if [ -n "$WSPY" ]; then
	for src in binance coinbase kraken; do
		ab_minute "fetch-stream-warm-$src" c_stream_warm "$src"
	done
fi

# cmt-sse
ab sse-events c_sse_events
ab sse-replay c_sse_replay "$IN/vec-sim.ndjson" --event-field sym
ab sse-replay-options c_sse_replay "$IN/sim.ndjson" --cors '*' --retry 5s \
	--backlog 100

# cmt-bus
ab bus-unreachable c_bus_dead
if command -v nats-server >/dev/null; then
	ab bus-nats c_bus_nats
else
	skip_case bus-nats "nats-server is not installed"
fi

# Venues NEW lists that REF does not.
venues() {
	"$1/cmt-fetch" --help 2>/dev/null | awk '
		/--source/ { on = 1; sub(/.*--source[ =]*[A-Z]*/, "") }
		on && /^ *-/ && !/--source/ { exit }
		on { print }' | tr -c 'a-z\n' ' ' | tr ' ' '\n' |
		grep -vx -e '' -e default -e or -e and | sort -u
}
for v in $(comm -13 <(venues "${BINS[ref]}") <(venues "${BINS[new]}")); do
	printf 'new   %s (in NEW, not compared)\n' "$v"
done
# Tools NEW builds that REF does not.
tools_of() { (cd "$1" && ls -1 cmt-* 2>/dev/null) | sort; }
for t in $(comm -13 <(tools_of "${BINS[ref]}") <(tools_of "${BINS[new]}")); do
	printf 'new   %s (in NEW, not compared)\n' "$t"
done

echo "ab: $n_cases cases, $n_same same, $n_diff differ"
echo "$prog: $(( $(date +%s) - start_s )) s for the cases" >&2
[ "$n_diff" -eq 0 ]
exit
}
