# Shared by recordings.bats and readme.bats: two overlapping daily
# recordings and the continuous one they make.

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
