#!/bin/sh
# The house rules that make check keeps (the "One house" layout):
#  1. no file in lib/ outside lib/source/ names a venue, in code or
#     comments: a venue is one file in lib/source/ and one registry line;
#     the venue names are the files of lib/source/ (less its shared ones);
#  2. no two .c files in lib/ share a basename (ar keys members by it);
#  3. no lib/ file is over 800 lines unless the Makefile (given as $1)
#     has a line "# long-file: PATH: why" for it.
# Prints each breach on one line; exit 1 if any.
set -u
mk=${1:-Makefile}
bad=0
venues=$(ls lib/source/*.c 2>/dev/null | sed 's|.*/||; s|\.c$||' |
	grep -vxE 'registry|venue|common' | tr '\n' '|' | sed 's/|$//')
if [ -n "$venues" ]; then
	hits=$(grep -rniE "$venues" lib --include='*.c' --include='*.h' |
		grep -v '^lib/source/')
	if [ -n "$hits" ]; then
		echo "house: venue named outside lib/source/ (move it into the venue's file):" >&2
		echo "$hits" | sed 's/^/  /' >&2
		bad=1
	fi
fi
dups=$(find lib -name '*.c' | sed 's|.*/||' | sort | uniq -d)
if [ -n "$dups" ]; then
	echo "house: .c basenames used twice in lib/: $dups" | tr '\n' ' ' >&2
	echo >&2
	bad=1
fi
for f in $(find lib -name '*.[ch]' | sort); do
	n=$(wc -l <"$f")
	[ "$n" -le 800 ] && continue
	grep -qE "^# long-file: $f: ." "$mk" && continue
	echo "house: $f has $n lines (over 800): split it along its seams, or name why in $mk ('# long-file: $f: why')" >&2
	bad=1
done
[ "$bad" -eq 0 ] || exit 1
echo "house: ok (lib/source/ names the venues, no duplicate basenames, no unexplained long files)"
