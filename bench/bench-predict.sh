#!/bin/sh
# cmt-predict throughput (vectors/s, NDJSON in and out) and peak RSS on a
# few million feature vectors of the shipped model's feature set, beside
# `wc -l` and `cat` on the same file; then the forward pass alone in ns,
# for each shipped model.
set -eu
BIN=$1
OUT=bench/out
N=${CMT_BENCH_VECTORS:-3000000}
O=$(dirname "$BIN")
mkdir -p "$OUT"
f=$OUT/vectors-$N.ndjson
if [ ! -s "$f" ]; then
	# 10 simulated days of 2 symbols at the model's 1-minute step,
	# repeated: cmt-predict does not care that times come round again
	"$BIN/cmt-sim" -d 10d -e 20s --seed 1 |
		"$BIN/cmt-features" --model default -q > "$OUT/vectors-base"
	n=$(wc -l < "$OUT/vectors-base")
	: > "$f"
	i=0
	while [ $((i * n)) -lt "$N" ]; do
		cat "$OUT/vectors-base" >> "$f"
		i=$((i + 1))
	done
	head -n "$N" "$f" > "$f.tmp" && mv "$f.tmp" "$f"
fi
now() { date +%s.%N; }
t0=$(now); wc -l < "$f" > /dev/null
t1=$(now); cat "$f" > /dev/null
t2=$(now)
# to /dev/null: the output is formatted in full, but a disk is not timed
/usr/bin/time -f "%M %U %S" -o "$OUT/rss-predict" "$BIN/cmt-predict" \
	< "$f" > /dev/null
t3=$(now)
head -n 100000 "$f" | "$BIN/cmt-predict" > "$OUT/predictions"
awk -v n="$N" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" \
    -v rss="$(cut -d' ' -f1 "$OUT/rss-predict")" -v mb="$(wc -c < "$f")" \
    -v cpu="$(awk '{ print $2 + $3 }' "$OUT/rss-predict")" \
    -v got="$(grep -c '"p_up":' "$OUT/predictions")" 'BEGIN {
	printf "input: %d feature vectors, %.0f MB (cmt-sim | cmt-features --model default)\n", n, mb / 1e6
	printf "  wc -l          %6.2f s\n", t1 - t0
	printf "  cat            %6.2f s\n", t2 - t1
	printf "  cmt-predict    %6.2f s  %.2f M vectors/s  peak RSS %d KB\n", t3 - t2, n / (t3 - t2) / 1e6, rss
	printf "    CPU time %.2f s: %.2f M vectors/s on a core of its own\n", cpu, n / cpu / 1e6
	printf "  check: %d of the first 100000 lines got p_up\n", got
}'
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -ffp-contract=off -Ilib \
	-o "$OUT/forward" bench/forward.c "$O/libcmt.a" \
	$(pkg-config --libs libcjson) -lm
# each shipped model, on the bench's own vectors
CMT_MODEL= "$BIN/cmt-predict" --info | sed -n "s/^file: *//p" |
while read -r model; do
	"$OUT/forward" "$model" 5000000 "$OUT/vectors-base"
done
