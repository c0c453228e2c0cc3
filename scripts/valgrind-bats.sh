#!/bin/sh
# Run the unit tests and the bats CLI suites with every tool under valgrind
# (memcheck, --leak-check=full): wrapper scripts named like the tools go
# first on PATH through CMT_BIN, so the bats files run unchanged.  A tool
# with a memory error or a definite leak exits 99, which fails its test;
# the logs are kept in $O/valgrind/ and any error is listed at the end.
# Usage: sh scripts/valgrind-bats.sh BUILDDIR [BATS-FILE...]  (make valgrind)
set -u
O=${1:-build-vg}
shift
ROOT=$(pwd)
REAL="$ROOT/$O/bin"
WRAP="$ROOT/$O/valgrind/bin"
LOGS="$ROOT/$O/valgrind/logs"
rm -rf "$WRAP" "$LOGS"
mkdir -p "$WRAP" "$LOGS"
VG="valgrind -q --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite --show-leak-kinds=definite"
for b in "$REAL"/cmt-*; do
	name=${b##*/}
	cat >"$WRAP/$name" <<WRAPPER
#!/bin/sh
exec $(echo $VG) --log-file="$LOGS/$name.%p.log" "$b" "\$@"
WRAPPER
	chmod +x "$WRAP/$name"
done
start=$(date +%s)
fail=0
for t in "$O"/tests/test_*; do
	[ -x "$t" ] || continue
	CMT_ROOT="$ROOT" $(echo $VG) --log-file="$LOGS/${t##*/}.%p.log" "$t" \
		>/dev/null 2>&1 || { echo "FAILED under valgrind: $t"; fail=1; }
done
if [ $# -eq 0 ]; then
	set -- tests/cli
fi
CMT_BIN="$WRAP" CMT_ROOT="$ROOT" bats "$@" || fail=1
# with -q a log holds only errors: any non-empty one is a finding
errors=$(find "$LOGS" -name '*.log' -size +0)
for f in $errors; do
	echo "valgrind errors in $f:"
	sed -n '1,40p' "$f"
	fail=1
done
echo "valgrind: $(ls "$LOGS" | wc -l) processes checked in" \
	"$(($(date +%s) - start)) s; $(echo $errors | wc -w) with errors"
exit $fail
