#!/bin/sh
# cmt-replay --speed max throughput and peak RSS on 1M simulated ticks,
# plain and gzip, three recordings merged, and 1M candles (a CSV of
# one-minute bars) imported, beside cat and zcat on the same files.
set -eu
BIN=$1
out=bench/out
mkdir -p "$out"
f="$out/replay-ticks.ndjson"
[ -s "$f" ] || "$BIN/cmt-sim" --symbols BTC-USD,ETH-USD,SOL-USD --count 1000000 \
	--every 1s --seed 7 > "$f"
[ -s "$f.gz" ] || gzip -c "$f" > "$f.gz"
# two more recordings of other symbols (the same file thrice would be
# copies, written once)
for k in 2 3; do
	[ -s "$f.$k" ] || "$BIN/cmt-sim" --symbols "A$k-USD,B$k-USD,C$k-USD" \
		--count 1000000 --every 1s --seed $k > "$f.$k"
done
c="$out/replay-candles.csv"
[ -s "$c" ] || awk 'BEGIN { print "timestamp,open,high,low,close,volume"
	px = 60000; srand(7) }
	{ o = px; px = px * (1 + (rand() - 0.5) / 500)
	  h = (o > px ? o : px) + 1; l = (o < px ? o : px) - 1
	  printf "%.0f,%.2f,%.2f,%.2f,%.2f,%.5f\n", (1704067200 + NR * 60) * 1000, o, h, l, px, rand() * 10 }' \
	"$f" > "$c"
n=$(wc -l < "$f")
# t LABEL LINES COMMAND...: wall time, lines/s and peak RSS of COMMAND,
# writing into a pipe as it would in a pipeline.
t() {
	label=$1 lines=$2; shift 2
	/usr/bin/time -f "%e %M" -o "$out/time" "$@" | cat > /dev/null
	read -r s kb < "$out/time"
	printf '%-34s %6.2f s %8.0f lines/s %7d KiB\n' "$label" "$s" \
		"$(awk -v l="$lines" -v s="$s" 'BEGIN { print l / (s + 0.0001) }')" "$kb"
}
echo "$n ticks, $(du -k "$f" | cut -f1) KiB ($(du -k "$f.gz" | cut -f1) KiB gzip)"
t "cat" $n cat "$f"
t "cmt-replay --speed max" $n "$BIN/cmt-replay" --speed max "$f"
t "zcat" $n zcat "$f.gz"
t "cmt-replay --speed max (gzip)" $n "$BIN/cmt-replay" --speed max "$f.gz"
t "cmt-replay --speed max (3 merged)" $((3 * n)) "$BIN/cmt-replay" --speed max "$f" "$f.2" "$f.3"
t "cat (candles CSV)" $n cat "$c"
t "cmt-replay --speed max (candles)" $n "$BIN/cmt-replay" --speed max --symbol BTC-USDT "$c"
