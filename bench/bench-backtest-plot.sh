#!/bin/sh
# cmt-backtest --plot: peak RSS on ~1M prediction lines and on a tenth of
# them (the plot is drawn from bounded state, so it must not grow with the
# rows), beside cat and the report without the plot.  With CMT_REF_BIN set
# to the bin directory of another build (e.g. an earlier commit), its
# --plot runs beside on the same lines.
set -eu
BIN=$1
out=bench/out
f=$(sh bench/backtest-input.sh "$BIN")
n=$(wc -l < "$f")
head -n $((n / 10)) "$f" > "$out/backtest-tenth.ndjson"
# t LABEL COMMAND...: wall time and peak RSS of COMMAND
t() {
	label=$1; shift
	/usr/bin/time -f "%e %M" -o "$out/time" "$@" > /dev/null
	read -r s kb < "$out/time"
	printf '%-46s %6.2f s %8d KiB\n' "$label" "$s" "$kb"
}
echo "$n prediction lines, $(du -k "$f" | cut -f1) KiB"
t "cat" cat "$f"
t "cmt-backtest" "$BIN/cmt-backtest" "$f"
t "cmt-backtest --plot" "$BIN/cmt-backtest" --plot "$out/bt.svg" "$f"
t "cmt-backtest --plot (a tenth of the lines)" "$BIN/cmt-backtest" \
	--plot "$out/bt-tenth.svg" "$out/backtest-tenth.ndjson"
if [ -n "${CMT_REF_BIN:-}" ]; then
	t "reference cmt-backtest --plot" "$CMT_REF_BIN/cmt-backtest" \
		--plot "$out/bt-ref.svg" "$f"
	t "reference cmt-backtest --plot (a tenth)" \
		"$CMT_REF_BIN/cmt-backtest" --plot "$out/bt-ref-tenth.svg" \
		"$out/backtest-tenth.ndjson"
fi
