#!/bin/sh
# cmt-bus throughput: the same lines through `cmt-bus pub | nats-server |
# cmt-bus sub` on one JetStream server (file store) and on a 3-node cluster
# (stream with 3 replicas), beside a plain pipe (cat | cat).  Servers run on
# 127.0.0.1 with random ports and a temporary store, and are killed at exit.
# Figures: wall lines/s end to end (pub and sub running together), and CPU
# cost per line of each cmt-bus process (user + system time / lines).
set -eu
BIN=$1
N=${BENCH_BUS_LINES:-1000000}
out=bench/out
mkdir -p "$out"
if ! command -v nats-server >/dev/null; then
	echo "nats-server not installed (scripts/deps.sh installs it): skipped"
	exit 0
fi
f="$out/bus-ticks.ndjson"
[ -s "$f" ] && [ "$(wc -l <"$f")" -eq "$N" ] ||
	"$BIN/cmt-sim" --symbols BTC-USD,ETH-USD,SOL-USD,XRP-USD --count "$N" \
		--seed 7 >"$f"
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# server NAME CLIENT MONITOR [CLUSTER ROUTES...]
server() {
	name=$1 cp=$2 mp=$3
	shift 3
	{
		echo "server_name: $name"
		echo "listen: 127.0.0.1:$cp"
		echo "http: 127.0.0.1:$mp"
		echo "jetstream { store_dir: \"$tmp/$name\" }"
		if [ $# -gt 0 ]; then
			rp=$1; shift
			r=""
			for x in "$@"; do r="$r${r:+, }\"nats-route://127.0.0.1:$x\""; done
			echo "cluster { name: bench; listen: 127.0.0.1:$rp; routes: [ $r ] }"
		fi
	} >"$tmp/$name.conf"
	nats-server -c "$tmp/$name.conf" >"$tmp/$name.log" 2>&1 &
	pids="$pids $!"
	i=0
	until curl -sf "http://127.0.0.1:$mp/healthz?js-enabled-only=true" \
	    >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 400 ] || { echo "$name did not start" >&2; exit 1; }
		sleep 0.05
	done
}

# run LABEL URL REPLICAS STREAM [PUB OPTIONS]: create the stream, then pub
# and sub together.
run() {
	label=$1 url=$2 rep=$3 stream=$4
	shift 4
	echo '{"t":0,"sym":"X-Y","px":1}' | "$BIN/cmt-bus" pub -u "$url" \
		--create-stream "$stream" --replicas "$rep" --subject "$stream.{sym}"
	start=$(date +%s%N)
	/usr/bin/time -f "%U %S" -o "$tmp/pub.time" \
		"$BIN/cmt-bus" pub -u "$url" --subject "$stream.{sym}" "$@" <"$f" &
	pp=$!
	/usr/bin/time -f "%U %S" -o "$tmp/sub.time" \
		"$BIN/cmt-bus" sub -u "$url" --stream "$stream" --from-seq 2 \
		-n "$N" >/dev/null
	end=$(date +%s%N)
	wait $pp
	read -r pu ps <"$tmp/pub.time"
	read -r su ss <"$tmp/sub.time"
	awk -v l="$label" -v n="$N" -v w="$(( (end - start) / 1000 ))" \
	    -v pc="$pu $ps" -v sc="$su $ss" 'BEGIN {
		split(pc, p, " "); split(sc, s, " ")
		printf "%-30s %7.2f s %9.0f lines/s %6.2f us/line wall, " \
			"CPU us/line: pub %.2f sub %.2f\n", l, w / 1e6,
			n / (w / 1e6), w / n, (p[1] + p[2]) * 1e6 / n,
			(s[1] + s[2]) * 1e6 / n }'
}

echo "$N ticks, $(du -k "$f" | cut -f1) KiB"
start=$(date +%s%N)
cat "$f" | cat >/dev/null
end=$(date +%s%N)
awk -v n="$N" -v w="$(( (end - start) / 1000 ))" 'BEGIN {
	printf "%-30s %7.2f s %9.0f lines/s %6.3f us/line wall\n",
		"cat | cat (reference)", w / 1e6, n / (w / 1e6), w / n }'

p0=$(port) m0=$(port)
server s0 "$p0" "$m0"
run "1 server, file store" "nats://127.0.0.1:$p0" 1 B1
run "1 server, --batch 1" "nats://127.0.0.1:$p0" 1 B1ONE --batch 1

r1=$(port) r2=$(port) r3=$(port)
p1=$(port) p2=$(port) p3=$(port)
server c1 "$p1" "$(port)" "$r1" "$r1" "$r2" "$r3"
server c2 "$p2" "$(port)" "$r2" "$r1" "$r2" "$r3"
server c3 "$p3" "$(port)" "$r3" "$r1" "$r2" "$r3"
i=0
until head -n 1 "$f" | "$BIN/cmt-bus" pub -u "nats://127.0.0.1:$p1" \
    --create-stream WARM --replicas 3 --subject 'warm.{sym}' 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "cluster did not form" >&2; exit 1; }
	sleep 0.2
done
run "3-node cluster, 3 replicas" \
	"nats://127.0.0.1:$p1,nats://127.0.0.1:$p2,nats://127.0.0.1:$p3" 3 B3
