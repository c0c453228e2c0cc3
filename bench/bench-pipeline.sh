#!/bin/sh
# The live pipeline's throughput: 500k one-minute ticks of 2 symbols (each
# tick completes a grid point of the shipped model's 1-minute feature set,
# so every tick after warm-up yields a vector) through
# `cmt-features --model default | cmt-predict`, and cmt-features alone;
# beside `wc -l`, `cat` and `cat | cat` on the same file.  Medians of 3
# interleaved runs; peak RSS of each tool, and the CPU time (user +
# system) each tool of the pipeline took: the pipeline's rate when each has
# a core of its own is the vectors over the larger, which a busy machine
# does not blur as it does the wall time.
set -eu
BIN=$1
OUT=bench/out
N=${CMT_BENCH_PIPE_TICKS:-500000}
mkdir -p "$OUT"
f=$OUT/ticks-1m-$N.ndjson
[ -s "$f" ] || "$BIN/cmt-sim" -n "$N" -e 1m --regular --seed 1 > "$f"
now() { date +%s.%N; }
: > "$OUT/pipe-times"
for run in 1 2 3; do
	t0=$(now); wc -l < "$f" > /dev/null
	t1=$(now); cat "$f" > /dev/null
	t2=$(now); cat "$f" | cat > /dev/null
	t3=$(now)
	/usr/bin/time -f "%M %U %S" -o "$OUT/rss-pf" "$BIN/cmt-features" -q \
		--model default "$f" |
		/usr/bin/time -f "%M %U %S" -o "$OUT/rss-pp" "$BIN/cmt-predict" \
		> /dev/null
	t4=$(now)
	/usr/bin/time -f %M -o "$OUT/rss-f" "$BIN/cmt-features" -q \
		--model default "$f" > "$OUT/pipe-vectors"
	t5=$(now)
	echo "$t0 $t1 $t2 $t3 $t4 $t5 $(cat "$OUT/rss-pf") $(cat "$OUT/rss-pp")" \
		>> "$OUT/pipe-times"
done
vec=$(wc -l < "$OUT/pipe-vectors")
awk -v n="$N" -v vec="$vec" -v mb="$(wc -c < "$f")" \
    -v rf="$(cat "$OUT/rss-f")" '
function med(a, b, c) { return a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b)) }
{ for (i = 1; i <= 5; i++) d[NR, i] = $(i + 1) - $i
  rpf = $7; rpp = $10; cf[NR] = $8 + $9; cp[NR] = $11 + $12 }
END {
	for (i = 1; i <= 5; i++) m[i] = med(d[1, i], d[2, i], d[3, i])
	mcf = med(cf[1], cf[2], cf[3]); mcp = med(cp[1], cp[2], cp[3])
	big = mcf > mcp ? mcf : mcp
	printf "input: %d one-minute ticks of 2 symbols, %.0f MB; %d vectors (medians of 3 runs)\n", n, mb / 1e6, vec
	printf "  wc -l                               %6.3f s\n", m[1]
	printf "  cat                                 %6.3f s\n", m[2]
	printf "  cat | cat                           %6.3f s\n", m[3]
	printf "  cmt-features --model default | cmt-predict %6.3f s  %.2f M vectors/s  peak RSS %d KB + %d KB\n", m[4], vec / m[4] / 1e6, rpf, rpp
	printf "    CPU time: cmt-features %.2f s, cmt-predict %.2f s: %.2f M vectors/s with a core each\n", mcf, mcp, vec / big / 1e6
	printf "  cmt-features --model default        %6.3f s  %.2f M vectors/s  peak RSS %d KB\n", m[5], vec / m[5] / 1e6, rf
}' "$OUT/pipe-times"
