#!/bin/sh
# cmt-features throughput (ticks/s) and peak RSS on a generated 10M-tick
# file, beside `wc -l` and `cat` on the same file.  RSS is also measured on
# a tenth of the input to show that it does not grow with the input.  Then
# the shipped 1-minute set, and the same widened with every extension part
# (--wide: 38 features, day-long windows), on the same ticks.
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
t4=$(now)
"$BIN/cmt-features" -q --model default "$f" > /dev/null
t5=$(now)
/usr/bin/time -f %M -o "$OUT/rss-wide" "$BIN/cmt-features" -q \
	--model default --wide "$f" > /dev/null
t6=$(now)
awk -v n="$N" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" \
    -v rss="$(cat "$OUT/rss")" -v rss1="$(cat "$OUT/rss-tenth")" \
    -v t4="$t4" -v t5="$t5" -v t6="$t6" -v rssw="$(cat "$OUT/rss-wide")" \
    -v vec="$(wc -l < "$OUT/vectors")" -v mb="$(wc -c < "$f")" 'BEGIN {
	printf "input: %d ticks of 2 symbols, %.0f MB (cmt-sim, 4 ticks/s each)\n", n, mb / 1e6
	printf "  wc -l          %6.2f s\n", t1 - t0
	printf "  cat            %6.2f s\n", t2 - t1
	printf "  cmt-features   %6.2f s  %.2f M ticks/s  %d vectors\n", t3 - t2, n / (t3 - t2) / 1e6, vec
	printf "  peak RSS       %d KB on %d ticks, %d KB on %d ticks\n", rss, n, rss1, n / 10
	printf "  --model default          %6.2f s  %.2f M ticks/s\n", t5 - t4, n / (t5 - t4) / 1e6
	printf "  --model default --wide   %6.2f s  %.2f M ticks/s  peak RSS %d KB\n", t6 - t5, n / (t6 - t5) / 1e6, rssw
}'
