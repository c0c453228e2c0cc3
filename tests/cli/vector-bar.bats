#!/usr/bin/env bats
# What the live pipeline hands the dashboard beside the features: each
# vector's grid step as a bar (open, high, low, its volume) and whether it
# came from warm-start history, checked against an oracle written here
# apart from lib/; and cmt-backtest --follow's lag, which counts live rows
# only.
load helper

# ticks SEED: two symbols, four hours of ticks at random times (some
# bars, some without volume, quiet stretches of up to 4 minutes), the
# first two hours marked warm as cmt-fetch's warm start marks them.
ticks() {
	python3 - "$1" <<'PY'
import json, random, sys
rnd = random.Random(int(sys.argv[1]))
t0 = 1709640000000
out = []
for sym, px in (("BTC-USD", 66000.0), ("ETH-USD", 3800.0)):
    t = t0 + rnd.randrange(60000)
    while t < t0 + 4 * 3600000:
        px = round(px * (1 + rnd.gauss(0, 0.0008)), 2)
        d = {"t": t, "sym": sym, "px": px}
        if rnd.random() < 0.2:      # a bar: its range holds open and close
            o = round(px * (1 + rnd.gauss(0, 0.0005)), 2)
            d["o"] = o
            d["h"] = round(max(o, px) * (1 + abs(rnd.gauss(0, 0.0004))), 2)
            d["l"] = round(min(o, px) * (1 - abs(rnd.gauss(0, 0.0004))), 2)
        if rnd.random() < 0.9:
            d["vol"] = round(rnd.random() * 2, 6)
        if t < t0 + 2 * 3600000:
            d["warm"] = True
        out.append(d)
        gap = rnd.choice([1000, 7000, 20000, 45000, 60000, 61000, 240000])
        t += rnd.randrange(1, gap)
out.sort(key=lambda d: d["t"])
for d in out:
    print(json.dumps(d, separators=(",", ":")))
PY
}

@test "each vector carries its step as a bar and says when it is warm-start history" {
	ticks 7 >"$TMP/ticks"
	run cmt-features --model default --emit-warmup -q "$TMP/ticks"
	assert_success
	printf '%s\n' "$output" >"$TMP/vec"
	python3 - "$TMP/ticks" "$TMP/vec" <<'PY'
import json, sys
ticks = [json.loads(l) for l in open(sys.argv[1])]
vecs = [json.loads(l) for l in open(sys.argv[2])]
STEP = 60000
n = 0
for sym in ("BTC-USD", "ETH-USD"):
    tk = [t for t in ticks if t["sym"] == sym]
    got = [v for v in vecs if v["sym"] == sym]
    g = -(-tk[0]["t"] // STEP) * STEP
    want = []
    i = 0                        # ticks up to and including g
    while g <= tk[-1]["t"]:
        step = []
        while i < len(tk) and tk[i]["t"] <= g:
            step.append(tk[i])
            i += 1
        close = tk[i - 1]["px"]
        if step:   # opens at its first price, as a venue's candle
            o = step[0].get("o", step[0]["px"])
            h = max(t.get("h", t["px"]) for t in step)
            l = min(t.get("l", t["px"]) for t in step)
        else:
            o = h = l = close
        bar = {"t": g, "px": close, "o": o, "h": h, "l": l}
        if step and all("vol" in t for t in step):
            bar["vol"] = sum(t["vol"] for t in step)
        bar["warm"] = bool(tk[i - 1].get("warm"))
        want.append(bar)
        g += STEP
    assert len(got) == len(want), (sym, len(got), len(want))
    for v, w in zip(got, want):
        for k in ("t", "px", "o", "h", "l"):
            assert v[k] == w[k], (sym, k, v, w)
        assert ("vol" in v) == ("vol" in w), (v, w)
        if "vol" in w:
            assert abs(v["vol"] - w["vol"]) <= 1e-9 * max(1, w["vol"]), (v, w)
        assert v.get("warm", False) == w["warm"], (v, w)
        n += 1
print("vectors checked", n)
PY
	# the tools downstream read them as before: every vector past
	# warm-up gets its forecast
	run sh -c "cmt-predict <'$TMP/vec' 2>/dev/null | grep -c p_up"
	assert_output "$(grep -vc '"warmup":true' "$TMP/vec")"
}

@test "a partial vector carries the range of its step so far" {
	printf '%s\n' \
		'{"t":1709640000000,"sym":"BTC-USD","px":100,"vol":1}' \
		'{"t":1709640010000,"sym":"BTC-USD","px":104,"vol":1}' \
		'{"t":1709640020000,"sym":"BTC-USD","px":97,"vol":2}' \
		'{"t":1709640030000,"sym":"BTC-USD","px":99,"vol":1}' >"$TMP/t"
	run cmt-features --model default --emit-warmup --partial 0 -q "$TMP/t"
	assert_success
	assert_line --index 0 --partial '"o":100,"h":100,"l":100,"vol":1,'
	# the next step opens at its first trade, 104
	assert_line --index 1 --partial '"o":104,"h":104,"l":104,"vol":1,'
	assert_line --index 2 --partial '"o":104,"h":104,"l":97,"vol":3,'
	assert_line --index 3 --partial '"px":99,'
	assert_line --index 3 --partial '"o":104,"h":104,"l":97,"vol":4,'
}

# The README's live pipeline after a warm start: two hours of history
# marked warm, then live ticks stamped with the clock as they are written.
# A forecast's lag is the clock at its outcome minus its time: seconds for
# the live rows, hours for the history, which must not count.
@test "cmt-backtest --follow's lag counts live rows only, not warm-start history" {
	python3 - >"$TMP/feed.py" <<'PY'
print(r'''
import json, sys, time
now = int(time.time() * 1000)
w = sys.stdout.write
px = 100.0
for t in range(now - 7200000, now - 2000, 1000):   # the warm start
    px += 0.01 if (t // 1000) % 3 else -0.02
    w(json.dumps({"t": t, "sym": "BTC-USD", "px": round(px, 2),
                  "warm": True}) + "\n")
sys.stdout.flush()
for k in range(40):                                 # live, 5 a second
    time.sleep(0.2)
    px += 0.01 if k % 3 else -0.02
    w(json.dumps({"t": int(time.time() * 1000), "sym": "BTC-USD",
                  "px": round(px, 2)}) + "\n")
    sys.stdout.flush()
''')
PY
	python3 "$TMP/feed.py" | cmt-features --step 1s -q |
		sed -u 's/}$/,"p_up":0.6,"model":"m"}/' |
		cmt-backtest --follow --horizon 1s --window 10000 --every 1s \
		>"$TMP/m"
	# the last metrics line: thousands of rows scored, 7000 of them warm
	tail -1 "$TMP/m" >"$TMP/last"
	run python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["count"] > 7000, m["lag_ms"])' "$TMP/last"
	assert_success
	# live rows: forecast at t, outcome with the tick after t + 1 s
	read -r many lag <<<"$output"
	assert_equal "$many" True
	[ "$lag" != None ] && [ "$lag" -ge 1000 ] && [ "$lag" -lt 5000 ] ||
		fail "lag_ms $lag: not the live rows' (1 to 5 s)"
}
