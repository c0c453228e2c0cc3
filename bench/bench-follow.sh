#!/bin/sh
# cmt-backtest --follow --horizon against batch cmt-backtest on the same
# rows, 50k and 1M one-a-minute predictions of two symbols (simulated
# ticks -> cmt-features -> cmt-predict), each beside wc -l and cat.
# --follow reads the forecasts and scores each one a horizon later,
# writing an outcome line and metrics lines every minute (overall and per
# symbol); batch reads the same rows labelled (--label 1m) and writes one
# report.  Before the order-statistic window (O(log window) a row) the
# 50k --follow run took seconds: it recomputed the window at every line.
set -eu
BIN=$1
out=bench/out
mkdir -p "$out"
# make N: the forecasts and the same rows labelled, about N rows each
make_rows() {
	f="$out/follow-$1.ndjson" l="$out/follow-$1-labelled.ndjson"
	[ -s "$f" ] && [ -s "$l" ] && return
	"$BIN/cmt-sim" --symbols BTC-USD,ETH-USD --count "$(($1 + 200))" \
		--every 1m --regular --seed 7 > "$out/follow-ticks"
	"$BIN/cmt-features" --model default -q "$out/follow-ticks" |
		"$BIN/cmt-predict" > "$f"
	"$BIN/cmt-features" --model default -q --label 1m "$out/follow-ticks" |
		"$BIN/cmt-predict" > "$l"
	rm -f "$out/follow-ticks"
}
# t LABEL LINES COMMAND...: wall time, CPU time (user + system), lines/s
# and peak RSS of COMMAND, writing into a pipe as it would in a pipeline;
# the seconds in $s and $cpu (CPU time says more on a busy machine).
t() {
	label=$1 lines=$2; shift 2
	/usr/bin/time -f "%e %U %S %M" -o "$out/time" "$@" | cat > /dev/null
	read -r s user sys kb < "$out/time"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
	printf '%-38s %6.2f s (cpu %5.2f s) %8.0f lines/s %7d KiB\n' "$label" \
		"$s" "$cpu" "$(awk -v l="$lines" -v s="$s" 'BEGIN { print l / (s + 0.0001) }')" "$kb"
}
for size in 50000 1000000; do
	make_rows $size
	f="$out/follow-$size.ndjson" l="$out/follow-$size-labelled.ndjson"
	n=$(wc -l < "$f")
	echo "$n forecasts, two symbols, one a minute ($(du -k "$f" | cut -f1) KiB)"
	t "wc -l" "$n" wc -l "$f"
	t "cat" "$n" cat "$f"
	t "cmt-backtest (batch, labelled rows)" "$n" "$BIN/cmt-backtest" "$l"
	batch=$s batch_cpu=$cpu
	t "cmt-backtest --follow --horizon 1m" "$n" "$BIN/cmt-backtest" \
		--follow --horizon 1m "$f"
	awk -v f="$s" -v b="$batch" -v fc="$cpu" -v bc="$batch_cpu" 'BEGIN {
		printf "  --follow --horizon / batch: %.2fx wall, %.2fx cpu\n",
		    f / (b > 0 ? b : 0.01), fc / (bc > 0 ? bc : 0.01) }'
	t "cmt-backtest --follow (labelled rows)" "$n" "$BIN/cmt-backtest" \
		--follow "$l"
done
