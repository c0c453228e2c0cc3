#!/usr/bin/env bats
# Every tool's --help against its option table: each long option in the
# `struct option` arrays of cmd/cmt-*.c and train/*.c is in the help, and
# every option the help lists is in the table.
load helper

# help_vs_table TOOL SOURCE...: what one side has and the other lacks
help_vs_table() {
	tool=$1; shift
	"$tool" --help > "$TMP/help" || return 1
	python3 - "$TMP/help" "$@" <<'PY'
import re, sys
help_text = open(sys.argv[1]).read()
table = []
for path in sys.argv[2:]:
    src = open(path).read()
    for block in re.findall(r"struct option\s+\w+\s*\[\]\s*=\s*\{(.*?)\n\s*\};", src, re.S):
        table += re.findall(r'\{\s*"([^"]+)"', block)
if not table:
    print("no option table in " + " ".join(sys.argv[2:]))
    sys.exit(1)
# the options the help describes: "  -x, --name" or "      --name" at the
# start of a line
listed = set(re.findall(r"^\s+(?:-\w,\s+)?--([\w-]+)", help_text, re.M))
missing = [o for o in table if not re.search(r"--%s\b" % re.escape(o), help_text)]
unknown = sorted(listed - set(table))
for o in missing:
    print("--%s is in the option table, not in --help" % o)
for o in unknown:
    print("--%s is in --help, not in the option table" % o)
sys.exit(1 if missing or unknown else 0)
PY
}

@test "each tool's --help lists every long option of its table, and no other" {
	fail=0
	for src in "$ROOT"/cmd/cmt-*.c; do
		tool=$(basename "$src" .c)
		run help_vs_table "$tool" "$src"
		[ "$status" -eq 0 ] || { echo "$tool:"; echo "$output"; fail=1; }
	done
	run help_vs_table cmt-train "$ROOT"/train/*.c
	[ "$status" -eq 0 ] || { echo "cmt-train:"; echo "$output"; fail=1; }
	[ "$fail" -eq 0 ]
}

@test "cmt-backtest --help names --horizon, the option of the headline pipeline" {
	run cmt-backtest --help
	assert_success
	assert_output --regexp "-H, --horizon H +--follow: score each unlabelled forecast"
}
