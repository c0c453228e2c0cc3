#!/usr/bin/env bats
# Recordings that replay across days: each day's file begins with a warm
# start (2 h of 1-minute bars marked "warm":true) that overlaps the live
# ticks of the day before.  cmt-replay over the days must give what one
# continuous recording gives: each (symbol, minute) once.
load helper
bats_require_minimum_version 1.5.0

load days

@test "two overlapping daily recordings replay as one continuous recording: the same ticks, the same features" {
	days "$TMP"
	gzip "$TMP/a.ndjson" "$TMP/b.ndjson"
	run --separate-stderr cmt-replay --speed max "$TMP/a.ndjson.gz" "$TMP/b.ndjson.gz"
	assert_success
	printf '%s\n' "${lines[@]}" | cmp - "$TMP/one.ndjson"
	# the counts are said once, not per line
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == "cmt-replay: "*" ticks written, 240 warm-start ticks dropped (live ticks of an overlapping recording cover them)" ]]
	# the line docs/recording.md quotes for these two days (README's is
	# checked by readme.bats, which replays them as README says)
	grep -qF "\`$stderr\`" "$ROOT/docs/recording.md"
	cmt-replay --speed max "$TMP/a.ndjson.gz" "$TMP/b.ndjson.gz" |
		cmt-features --model default 2>"$TMP/err.days" > "$TMP/days.fv"
	cmt-features --model default < "$TMP/one.ndjson" 2>"$TMP/err.one" > "$TMP/one.fv"
	[ "$(wc -l < "$TMP/one.fv")" -gt 900 ]
	cmp "$TMP/days.fv" "$TMP/one.fv"
	# and nothing to report: no tick "the same as the previous one"
	refute grep -q "previous one" "$TMP/err.days"
	# named in either order, the days give the same
	cmt-replay --speed max "$TMP/b.ndjson.gz" "$TMP/a.ndjson.gz" | cmp - "$TMP/one.ndjson"
}

@test "a day replayed alone keeps its warm start: it is the history its first minutes need" {
	days "$TMP"
	cmt-replay --speed max "$TMP/b.ndjson" | cmp - "$TMP/b.ndjson"
}

@test "a recording given twice is replayed once" {
	days "$TMP"
	cp "$TMP/a.ndjson" "$TMP/a-copy.ndjson"
	run --separate-stderr cmt-replay --speed max "$TMP/a.ndjson" "$TMP/a-copy.ndjson"
	assert_success
	printf '%s\n' "${lines[@]}" | cmp - "$TMP/a.ndjson"
	n=$(grep -c . "$TMP/a.ndjson")
	[ "$stderr" = "cmt-replay: $n ticks written, $n copies of another file's lines dropped" ]
}

@test "the README's daily recipe runs as written (a short day against the stand-in API) and its days replay" {
	load fakeapi
	start_api --live-clock
	line=$(grep '^    0 0 \* \* \* ' "$ROOT/README.md")
	grep -q '^    PATH=/home/you/.local/bin:/usr/bin:/bin$' "$ROOT/README.md"
	# cron's line, with a day of 3 s and the stand-in for the exchange
	cmd=$(printf '%s\n' "${line#    0 0 \* \* \* }" | sed -e 's/\\%/%/g' \
		-e 's/--duration 1d/--duration 3s --interval 300ms/' \
		-e "s|cmt-fetch |cmt-fetch --base-url $URL |")
	HOME="$TMP/home" sh -c "$cmd" 2>/dev/null
	f="$TMP/home/ticks/$(date -u +%F).ndjson.gz"
	[ -s "$f" ]
	[ "$(gzip -dc "$f" | grep -c '"warm":true')" -ge 200 ]
	cmt-replay --speed max "$TMP"/home/ticks/*.ndjson.gz | cmp - <(gzip -dc "$f")
	# and two days named by date replay in order with the README's glob
	days "$TMP"
	mkdir "$TMP/ticks"
	gzip -c "$TMP/a.ndjson" > "$TMP/ticks/2024-03-01.ndjson.gz"
	gzip -c "$TMP/b.ndjson" > "$TMP/ticks/2024-03-02.ndjson.gz"
	cmt-replay --speed max "$TMP"/ticks/*.ndjson.gz 2>/dev/null | cmp - "$TMP/one.ndjson"
}
