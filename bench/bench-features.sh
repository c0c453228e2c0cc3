#!/bin/sh
# cmt-features throughput (ticks/s) and peak RSS on a generated 10M-tick
# file, beside `wc -l` and `cat` on the same file.  RSS is also measured on
# a tenth of the input to show that it does not grow with the input.
set -eu
BIN=$1
OUT=bench/out
N=${CMT_BENCH_TICKS:-10000000}
mkdir -p "$OUT"
f=$OUT/ticks-$N.ndjson
[ -s "$f" ] || "$BIN/cmt-sim" -n "$N" -e 250ms --seed 1 > "$f"
head -n $((N / 10)) "$f" > "$OUT/ticks-tenth.ndjson"
now() { date +%s.%N; }
t0=$(now); wc -l < "$f" > /dev/null
t1=$(now); cat "$f" > /dev/null
t2=$(now)
/usr/bin/time -f %M -o "$OUT/rss" "$BIN/cmt-features" -q "$f" > "$OUT/vectors"
t3=$(now)
/usr/bin/time -f %M -o "$OUT/rss-tenth" "$BIN/cmt-features" -q \
	"$OUT/ticks-tenth.ndjson" > /dev/null
awk -v n="$N" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" \
    -v rss="$(cat "$OUT/rss")" -v rss1="$(cat "$OUT/rss-tenth")" \
    -v vec="$(wc -l < "$OUT/vectors")" -v mb="$(wc -c < "$f")" 'BEGIN {
	printf "input: %d ticks of 2 symbols, %.0f MB (cmt-sim, 4 ticks/s each)\n", n, mb / 1e6
	printf "  wc -l          %6.2f s\n", t1 - t0
	printf "  cat            %6.2f s\n", t2 - t1
	printf "  cmt-features   %6.2f s  %.2f M ticks/s  %d vectors\n", t3 - t2, n / (t3 - t2) / 1e6, vec
	printf "  peak RSS       %d KB on %d ticks, %d KB on %d ticks\n", rss, n, rss1, n / 10
}'
