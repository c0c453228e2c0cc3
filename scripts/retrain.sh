#!/bin/sh
# cmt-retrain: retrain a serving model on recorded ticks, compare the
# candidate with the serving model on the most recent held-back days
# (cmt-backtest --vs, paired), and swap the model file atomically and send
# SIGHUP to the running cmt-predict only when the candidate is not worse.
# Installed as cmt-retrain by make install; see man cmt-retrain.
set -eu

prog=cmt-retrain
usage() {
	cat <<'EOF'
Usage: cmt-retrain -m MODEL.json [OPTION]... TICKS...
Retrain MODEL on the recorded ticks (as cmt-fetch records them, plain or
gzip; the files merged by time through cmt-replay, so daily recordings
that begin with a warm start give each minute once), hold back the
latest days, and replace MODEL with the candidate
(atomically, the old one kept as MODEL.prev) and send SIGHUP to the given
cmt-predict processes only when the candidate is not worse there.

  -m, --model FILE      the serving model file (replaced on promotion)
  -p, --pid PID         a cmt-predict to send SIGHUP to (repeatable)
      --pidfile FILE    ... whose pid is in FILE (repeatable)
      --holdout D       the latest D of rows held back for the comparison
                        (default 2d)
      --alpha A         worse means worse in AUC or log-loss with a
                        two-sided paired p below A (default 0.05)
      --train-args ARGS more cmt-train options (word-split), e.g.
                        '--kind trees --depth 3'
      --dry-run         decide and say so, change nothing
  -h, --help            show this help and exit
Exit status: 0 promoted, 3 kept (candidate worse), 1 failure, 2 usage.
EOF
}
die() { echo "$prog: $*" >&2; exit 1; }
usage_error() { echo "$prog: $*" >&2; echo "Try 'cmt-retrain --help'." >&2; exit 2; }

# the tools installed beside this script come first
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/cmt-features" ] && PATH="$here:$PATH"

model= holdout=2d alpha=0.05 train_args= dry=0 pids= pidfiles=
while [ $# -gt 0 ]; do
	case $1 in
	-m|--model) [ $# -ge 2 ] || usage_error "$1 needs a file"; model=$2; shift 2 ;;
	-p|--pid) [ $# -ge 2 ] || usage_error "$1 needs a pid"
		case $2 in ''|*[!0-9]*) usage_error "--pid: '$2' is not a pid" ;; esac
		pids="$pids $2"; shift 2 ;;
	--pidfile) [ $# -ge 2 ] || usage_error "$1 needs a file"
		pidfiles="$pidfiles $2"; shift 2 ;;
	--holdout) [ $# -ge 2 ] || usage_error "$1 needs a duration"; holdout=$2; shift 2 ;;
	--alpha) [ $# -ge 2 ] || usage_error "$1 needs a number"; alpha=$2; shift 2 ;;
	--train-args) [ $# -ge 2 ] || usage_error "$1 needs options"; train_args=$2; shift 2 ;;
	--dry-run) dry=1; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage_error "unknown option '$1'" ;;
	*) break ;;
	esac
done
[ -n "$model" ] || usage_error "-m MODEL.json is required"
[ $# -gt 0 ] || usage_error "no tick files"
[ -f "$model" ] || die "$model: no such file"
for f in "$@"; do [ -r "$f" ] || die "$f: cannot read"; done
awk -v a="$alpha" 'BEGIN { exit !(a + 0 > 0 && a + 0 < 1 && a ~ /^[0-9.eE-]+$/) }' ||
	usage_error "--alpha: '$alpha' is not a level in (0, 1)"
case $holdout in
*ms) hold_ms=${holdout%ms} ;;
*s) hold_ms=$((${holdout%s} * 1000)) ;;
*m) hold_ms=$((${holdout%m} * 60000)) ;;
*h) hold_ms=$((${holdout%h} * 3600000)) ;;
*d) hold_ms=$((${holdout%d} * 86400000)) ;;
*) usage_error "--holdout: '$holdout' is not a duration (30m, 12h, 2d)" ;;
esac 2>/dev/null || usage_error "--holdout: '$holdout' is not a duration"
[ "$hold_ms" -gt 0 ] 2>/dev/null || usage_error "--holdout: must be > 0"
for f in $pidfiles; do
	p=$(cat "$f" 2>/dev/null) || die "--pidfile $f: cannot read"
	case $p in ''|*[!0-9]*) die "--pidfile $f: '$p' is not a pid" ;; esac
	pids="$pids $p"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cmt-retrain.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# what the serving model is: its name, kind, horizon and inputs
cmt-predict --info -m "$model" > "$work/info" ||
	die "$model: not a model cmt-predict can load"
name=$(sed -n 's/^model: *\([^ ]*\) (\(.*\))$/\1/p' "$work/info")
kind=$(sed -n 's/^model: *[^ ]* (\(.*\))$/\1/p' "$work/info")
horizon=$(sed -n 's/^horizon: *//p' "$work/info")
exclude=$(awk '/^features:/ { for (i = 2; i <= NF; i++) f[i] = $i; n = NF }
	/^inputs:/ { for (i = 2; i <= NF; i++) in_[$i] = 1 }
	END { s = ""; for (i = 2; i <= n; i++) if (!(f[i] in in_))
		s = s (s == "" ? "" : ",") f[i]; print s }' "$work/info")
# a trees model's inputs that may be null ("NAME (may be null)") stay so:
# the long windows are null for the first day of the recording too
nullable=$(awk '/^inputs:/ { for (i = 2; i < NF; i++) if ($(i + 1) == "(may")
		s = s (s == "" ? "" : ",") $i }
	END { print s }' "$work/info")

# labelled vectors of the model's feature set, split by time; the
# recordings through cmt-replay, which merges them by time and gives each
# (symbol, minute) once where a day's warm start covers the day before
{ cmt-replay --speed max "$@" || echo replay > "$work/failed"; } |
	cmt-features --model "$model" --label "$horizon" --quiet \
	> "$work/rows" || die "cmt-features failed"
[ -e "$work/failed" ] && die "cmt-replay failed"
last=$(awk -F'[:,]' '$1 == "{\"t\"" && $2 > m { m = $2 } END { printf "%.0f", m }' "$work/rows")
[ "${last:-0}" -gt 0 ] || die "no labelled vectors in the ticks"
awk -F'[:,]' -v cut=$((last - hold_ms)) -v tr="$work/train" -v ho="$work/holdout" \
	'{ print > ($2 + 0 >= cut ? ho : tr) }' "$work/rows"
[ -s "$work/train" ] || die "no rows before the last $holdout: record more"
[ -s "$work/holdout" ] || die "no rows in the last $holdout"

# the candidate: the serving model's kind, name and inputs
set -- -o "$work/candidate.json" -n "$name" -k "$kind" --horizon "$horizon" \
	--test "$work/holdout" -q
[ -n "$exclude" ] && set -- "$@" --exclude "$exclude"
[ -n "$nullable" ] && set -- "$@" --nullable "$nullable"
# shellcheck disable=SC2086 # word-split on purpose
cmt-train "$@" $train_args "$work/train" 2> "$work/train.log" ||
	{ cat "$work/train.log" >&2; die "cmt-train failed"; }

# both on the held-back rows, paired
cmt-predict -m "$model" < "$work/holdout" > "$work/serving.pred" 2>/dev/null
cmt-predict -m "$work/candidate.json" < "$work/holdout" \
	> "$work/candidate.pred" 2>/dev/null
cmt-backtest --json --vs "$work/serving.pred" "$work/candidate.pred" \
	> "$work/vs.json" || die "cmt-backtest --vs failed"

# diff.METRIC.KEY from the one-line JSON
get() {
	sed -e 's/.*"diff":{"auc"/{"auc"/' -e "s/.*\"$1\":{\\([^}]*\\)}.*/\\1/" \
		"$work/vs.json" | tr ',' '\n' | sed -n "s/^\"$2\"://p"
}
dauc=$(get auc diff) pauc=$(get auc p) dll=$(get logloss diff) pll=$(get logloss p)
rows=$(sed -n 's/.*"rows":{[^}]*"scored":\([0-9]*\).*/\1/p' "$work/vs.json")
[ -n "$dauc" ] && [ -n "$pll" ] || die "cannot read cmt-backtest --vs's report"
verdict=$(awk -v da="$dauc" -v pa="$pauc" -v dl="$dll" -v pl="$pll" -v a="$alpha" 'BEGIN {
	w = ""
	if (da < 0 && pa < a) w = "lower AUC"
	if (dl > 0 && pl < a) w = w (w == "" ? "" : " and ") "higher log-loss"
	print w == "" ? "ok" : w }')
figures=$(awk -v da="$dauc" -v pa="$pauc" -v dl="$dll" -v pl="$pll" -v n="$rows" \
	-v h="$holdout" 'BEGIN { printf "AUC %+.4f (p %.3g), log-loss %+.5f (p %.3g) on %d held-back rows (last %s)", da, pa, dl, pl, n, h }')

if [ "$verdict" != ok ]; then
	echo "$prog: kept $model: the candidate is worse at level $alpha ($verdict): $figures"
	exit 3
fi
if [ "$dry" -eq 1 ]; then
	echo "$prog: would promote the candidate over $model (dry run): $figures"
	exit 0
fi
dir=$(dirname "$model")
cp "$work/candidate.json" "$dir/.cmt-retrain.$$" || die "cannot write in $dir"
cp -p "$model" "$model.prev" || die "cannot keep $model.prev"
mv -f "$dir/.cmt-retrain.$$" "$model" || die "cannot replace $model"
for p in $pids; do
	kill -HUP "$p" 2>/dev/null || echo "$prog: warning: pid $p: no such process (not reloaded)" >&2
done
echo "$prog: promoted the candidate over $model (old one in $model.prev${pids:+; SIGHUP sent to$pids}): $figures"
