# Start and stop real nats-server processes for the cmt-bus tests: one
# JetStream server, or a 3-node cluster with routes, all on 127.0.0.1 with
# random ports and a store under $TMP.  Every server started is recorded in
# $TMP/nats.pids and killed by nats_stop_all (teardown), even on failure.

need_nats() {
	command -v nats-server >/dev/null ||
		skip "nats-server is not installed (scripts/deps.sh installs it)"
}

# nats_conf NAME CLIENT MONITOR [CLUSTER ROUTE_PORTS...]: a config file.
nats_conf() {
	local name=$1 port=$2 mon=$3 cport=${4:-} r routes=""
	shift 4 2>/dev/null || shift $#
	for r in "$@"; do
		routes="$routes${routes:+, }\"nats-route://127.0.0.1:$r\""
	done
	{
		echo "server_name: $name"
		echo "listen: 127.0.0.1:$port"
		echo "http: 127.0.0.1:$mon"
		echo "jetstream { store_dir: \"$TMP/$name\" }"
		if [ -n "$cport" ]; then
			echo "cluster { name: cmt; listen: 127.0.0.1:$cport;"
			echo "  routes: [ $routes ] }"
		fi
	} >"$TMP/$name.conf"
}

# nats_run NAME: start the server of $TMP/NAME.conf; its pid in NATS_PID_NAME.
nats_run() {
	nats-server -c "$TMP/$1.conf" >>"$TMP/$1.log" 2>&1 &
	echo "$! $1" >>"$TMP/nats.pids"
	eval "NATS_PID_$1=$!"
}

# nats_wait MONITOR: until the server answers, JetStream included.
nats_wait() {
	local i
	for i in $(seq 200); do
		curl -sf "http://127.0.0.1:$1/healthz?js-enabled-only=true" \
			>/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "nats-server on monitor port $1 did not come up" >&2
	return 1
}

# nats_start: one JetStream server; sets NATS_URL and NATS_MON.
nats_start() {
	local port mon
	port=$(free_port)
	mon=$(free_port)
	nats_conf n0 "$port" "$mon"
	nats_run n0
	NATS_URL="nats://127.0.0.1:$port"
	NATS_MON=$mon
	nats_wait "$mon"
}

# cluster_start: three servers n1 n2 n3 routed to each other; sets
# CLUSTER_URL (all three), URL_n1.., MON_n1.. and waits for a meta leader.
cluster_start() {
	local i n c1 c2 c3
	c1=$(free_port); c2=$(free_port); c3=$(free_port)
	CLUSTER_URL=""
	for i in 1 2 3; do
		n=n$i
		eval "PORT_$n=$(free_port) MON_$n=$(free_port)"
		eval "URL_$n=nats://127.0.0.1:\$PORT_$n"
		eval "nats_conf $n \$PORT_$n \$MON_$n \$c$i $c1 $c2 $c3"
		eval "CLUSTER_URL=\$CLUSTER_URL\${CLUSTER_URL:+,}\$URL_$n"
	done
	for i in 1 2 3; do
		nats_run n$i
	done
	for i in 1 2 3; do
		eval "nats_wait \$MON_n$i" || return 1
	done
	for i in $(seq 300); do
		curl -sf "http://127.0.0.1:$MON_n1/jsz" 2>/dev/null |
			grep -q '"leader": *"n' && return 0
		sleep 0.1
	done
	echo "no JetStream meta leader" >&2
	return 1
}

# stream_leader STREAM: the name (n1..n3) of the server leading STREAM.
stream_leader() {
	local i
	for i in 1 2 3; do
		eval "curl -sf \"http://127.0.0.1:\$MON_n$i/jsz?streams=true\"" \
			2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
for a in d.get("account_details", []):
	for s in a.get("stream_detail", []):
		if s["name"] == sys.argv[1] and s.get("cluster", {}).get("leader"):
			print(s["cluster"]["leader"]); sys.exit(0)
sys.exit(1)' "$1" && return 0
	done
	return 1
}

# stream_msgs MONITOR STREAM: messages of STREAM in that server's store.
stream_msgs() {
	curl -sf "http://127.0.0.1:$1/jsz?streams=true" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(s["state"]["messages"] for a in d.get("account_details", [])
	for s in a.get("stream_detail", []) if s["name"] == sys.argv[1]))' "$2" ||
		echo 0
}

nats_kill() {
	local pid
	eval "pid=\$NATS_PID_$1"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

nats_stop_all() {
	local pid name
	[ -f "$TMP/nats.pids" ] || return 0
	while read -r pid name; do
		kill -9 "$pid" 2>/dev/null || true
	done <"$TMP/nats.pids"
	while read -r pid name; do
		wait "$pid" 2>/dev/null || true
	done <"$TMP/nats.pids"
}
