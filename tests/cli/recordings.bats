#!/usr/bin/env bats
# Recordings that replay across days: each day's file begins with a warm
# start (2 h of 1-minute bars marked "warm":true) that overlaps the live
# ticks of the day before.  cmt-replay over the days must give what one
# continuous recording gives: each (symbol, minute) once.
load helper
bats_require_minimum_version 1.5.0

# days DIR: one market (two symbols, a trade every 0.5-4 s, 2 h before
# day A to the end of day B) recorded three ways, as cmt-fetch --stream
# writes it: a.ndjson (day A: its warm start, then live trades until day
# B starts), b.ndjson (day B: its warm start over A's last 2 h, then live
# trades) and one.ndjson (one recorder running through both days).  A
# warm bar is made from the same trades: open, high, low, close, volume of
# its minute, stamped at the minute's end.
days() {
	python3 - "$1" <<'EOF'
import json, random, sys
d = sys.argv[1]
random.seed(7)
H = 3600000
A0 = 1709251200000          # 2024-03-01T00:00Z: day A starts
B0 = A0 + 4 * H             # day B starts (4 h "days" keep it small)
END = B0 + 4 * H
trades = []
for sym, px in (("BTC-USDT", 61000.0), ("ETH-USDT", 3400.0)):
    t = A0 - 2 * H
    while t < END:
        t += random.randint(500, 4000)
        px = round(px * (1 + random.gauss(0, 0.0004)), 2)
        trades.append((t, sym, px, round(random.uniform(0.001, 2), 4),
                       random.choice(("buy", "sell"))))
trades.sort()

def live(t, sym, px, vol, side):
    return json.dumps({"t": t, "sym": sym, "px": px, "vol": vol, "side": side,
                       "src": "binance"}, separators=(",", ":"))

def bars(start, stop):
    out = {}
    for t, sym, px, vol, _ in trades:
        if start <= t < stop:
            m = t - t % 60000
            b = out.setdefault((m, sym), [px, px, px, px, 0.0])
            b[1] = max(b[1], px); b[2] = min(b[2], px); b[3] = px
            b[4] = round(b[4] + vol, 10)
    lines = []
    for (m, sym), (o, h, l, c, v) in sorted(out.items()):
        lines.append(json.dumps({"t": m + 60000, "sym": sym, "px": c, "o": o,
                     "h": h, "l": l, "vol": v, "src": "binance", "warm": True},
                     separators=(",", ":")))
    return lines

def live_between(start, stop):
    return [live(*x) for x in trades if start <= x[0] < stop]

def write(name, lines):
    with open(f"{d}/{name}", "w") as f:
        f.write("\n".join(lines) + "\n")

write("a.ndjson", bars(A0 - 2 * H, A0) + live_between(A0, B0))
write("b.ndjson", bars(B0 - 2 * H, B0) + live_between(B0, END))
write("one.ndjson", bars(A0 - 2 * H, A0) + live_between(A0, END))
EOF
}

@test "two overlapping daily recordings replay as one continuous recording: the same ticks, the same features" {
	days "$TMP"
	gzip "$TMP/a.ndjson" "$TMP/b.ndjson"
	run --separate-stderr cmt-replay --speed max "$TMP/a.ndjson.gz" "$TMP/b.ndjson.gz"
	assert_success
	printf '%s\n' "${lines[@]}" | cmp - "$TMP/one.ndjson"
	# the counts are said once, not per line
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == "cmt-replay: "*" ticks written, 240 warm-start ticks dropped (live ticks of an overlapping recording cover them)" ]]
	# the line README and docs/recording.md quote for these two days
	grep -qxF "    $stderr" "$ROOT/README.md"
	grep -qF "\`$stderr\`" "$ROOT/docs/recording.md"
	cmt-replay --speed max "$TMP/a.ndjson.gz" "$TMP/b.ndjson.gz" |
		cmt-features --model default 2>"$TMP/err.days" > "$TMP/days.fv"
	cmt-features --model default < "$TMP/one.ndjson" 2>"$TMP/err.one" > "$TMP/one.fv"
	[ "$(wc -l < "$TMP/one.fv")" -gt 900 ]
	cmp "$TMP/days.fv" "$TMP/one.fv"
	# and nothing to report: no tick "the same as the previous one"
	refute grep -q "previous one" "$TMP/err.days"
	# named in either order, the days give the same
	cmt-replay --speed max "$TMP/b.ndjson.gz" "$TMP/a.ndjson.gz" | cmp - "$TMP/one.ndjson"
}

@test "a day replayed alone keeps its warm start: it is the history its first minutes need" {
	days "$TMP"
	cmt-replay --speed max "$TMP/b.ndjson" | cmp - "$TMP/b.ndjson"
}

@test "a recording given twice is replayed once" {
	days "$TMP"
	cp "$TMP/a.ndjson" "$TMP/a-copy.ndjson"
	run --separate-stderr cmt-replay --speed max "$TMP/a.ndjson" "$TMP/a-copy.ndjson"
	assert_success
	printf '%s\n' "${lines[@]}" | cmp - "$TMP/a.ndjson"
	n=$(grep -c . "$TMP/a.ndjson")
	[ "$stderr" = "cmt-replay: $n ticks written, $n copies of another file's lines dropped" ]
}

@test "the README's daily recipe runs as written (a short day against the stand-in API) and its days replay" {
	load fakeapi
	start_api --live-clock
	line=$(grep '^    0 0 \* \* \* ' "$ROOT/README.md")
	grep -q '^    PATH=/home/you/.local/bin:/usr/bin:/bin$' "$ROOT/README.md"
	# cron's line, with a day of 3 s and the stand-in for the exchange
	cmd=$(printf '%s\n' "${line#    0 0 \* \* \* }" | sed -e 's/\\%/%/g' \
		-e 's/--duration 1d/--duration 3s --interval 300ms/' \
		-e "s|cmt-fetch |cmt-fetch --base-url $URL |")
	HOME="$TMP/home" sh -c "$cmd" 2>/dev/null
	f="$TMP/home/ticks/$(date -u +%F).ndjson.gz"
	[ -s "$f" ]
	[ "$(gzip -dc "$f" | grep -c '"warm":true')" -ge 200 ]
	cmt-replay --speed max "$TMP"/home/ticks/*.ndjson.gz | cmp - <(gzip -dc "$f")
	# and two days named by date replay in order with the README's glob
	days "$TMP"
	mkdir "$TMP/ticks"
	gzip -c "$TMP/a.ndjson" > "$TMP/ticks/2024-03-01.ndjson.gz"
	gzip -c "$TMP/b.ndjson" > "$TMP/ticks/2024-03-02.ndjson.gz"
	cmt-replay --speed max "$TMP"/ticks/*.ndjson.gz 2>/dev/null | cmp - "$TMP/one.ndjson"
}
