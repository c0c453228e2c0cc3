#!/bin/sh
# `make demo`: the whole pipeline offline on a recorded (simulated) tick
# file: replay -> features -> predict -> backtest report.  $1 is the build
# directory.  Outputs stay in $1/demo: the predictions as an NDJSON log,
# the JSON report and an SVG plot.
set -eu
O=${1:-build}
PATH="$(cd "$O/bin" && pwd):$PATH"
for t in cmt-sim cmt-replay cmt-features cmt-predict cmt-backtest; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "demo: $t is not built in $O/bin" >&2
		exit 1
	}
done
ticks=$(sh scripts/demo-ticks.sh "$O")
dir="$O/demo"
pred="$dir/predictions.ndjson"

echo "demo: cmt-replay --speed max $ticks | cmt-features --model default --label 60s | cmt-predict | tee $pred | cmt-backtest --plot $dir/backtest.svg" >&2
# POSIX sh has no pipefail: each stage's status goes to a file.
st="$dir/status"
rm -f "$st"
{ cmt-replay --speed max "$ticks" || echo "cmt-replay $?" >> "$st"; } |
	{ cmt-features --model default --label 60s || echo "cmt-features $?" >> "$st"; } |
	{ cmt-predict || echo "cmt-predict $?" >> "$st"; } |
	tee "$pred" |
	{ cmt-backtest --plot "$dir/backtest.svg" || echo "cmt-backtest $?" >> "$st"; }
if [ -s "$st" ]; then
	echo "demo: failed: $(tr '\n' ' ' < "$st")" >&2
	exit 1
fi
cmt-backtest --json "$pred" > "$dir/backtest.json"
cat >&2 <<MSG

demo: the ticks were SIMULATED (cmt-sim, GBM + GARCH(1,1)): a random walk
      has nothing to predict, so scores near 0.5 are the honest result,
      and a rule trading on noise pays its fees.
demo: predictions log  $pred
      JSON report      $dir/backtest.json
      plot             $dir/backtest.svg
demo: next, the same stream live through the dashboard: make demo-live
MSG
