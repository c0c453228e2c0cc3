#!/bin/sh
# cmt-backtest throughput and peak RSS on ~1M prediction lines (simulated
# ticks -> cmt-features --label, p_up drawn by awk), beside wc -l and cat;
# RSS again on a tenth of the lines: it must not grow with the rows.
set -eu
BIN=$1
out=bench/out
f=$(sh bench/backtest-input.sh "$BIN")
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
echo "$n prediction lines, $(du -k "$f" | cut -f1) KiB"
t "wc -l" $n wc -l "$f"
t "cat" $n cat "$f"
t "cmt-backtest" $n "$BIN/cmt-backtest" "$f"
kb_all=$kb
head -n $((n / 10)) "$f" > "$out/backtest-tenth.ndjson"
t "cmt-backtest (a tenth of the lines)" $((n / 10)) "$BIN/cmt-backtest" \
	"$out/backtest-tenth.ndjson"
awk -v a="$kb_all" -v b="$kb" -v n="$n" 'BEGIN {
	d = (a - b) * 1024 / (n - int(n / 10)); if (d < 0) d = 0
	printf "  peak RSS %d KiB on %d lines, %d KiB on %d: %.1f bytes per extra line\n",
	    a, n, b, n / 10, d }'
t "cmt-backtest --json --plot" $n "$BIN/cmt-backtest" --json --plot "$out/bt.svg" "$f"
t "cmt-backtest --follow --every 1m" $n "$BIN/cmt-backtest" --follow --every 1m "$f"
