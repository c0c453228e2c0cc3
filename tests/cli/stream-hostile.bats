#!/usr/bin/env bats
# cmt-fetch --stream against hostile stand-ins (tests/fakews.py's hostile
# actions, and a listener that never answers): framing (fragments, binary,
# invalid UTF-8, NUL, empty, slowloris, reserved bits), servers that never
# answer the handshake or the subscription, ids going backwards or
# glitched, a venue that changes its message shape, prices below zero,
# ping floods, terminal escapes from the peer.  Every case: the stream
# goes on (or reconnects) within a bound, nothing is written twice or out
# of order, and what was skipped is said in one clean line.
load helper
load fakews
bats_require_minimum_version 1.5.0

# hostile SOURCE SCRIPT COUNT K-LIST [cmt-fetch options] [-- fakews
# options]: COUNT trades from a new stand-in playing SCRIPT are exactly
# K-LIST; stdout in $output, stderr in $stderr, the time in $MS.
hostile() {
	local src=$1 script=$2 n=$3 ks=$4 sym="SYM_$1" start
	shift 4
	local fo=() wo=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do fo+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	wo=("$@")
	rm -f "$TMP/wsport" "$TMP/wslog"
	start_ws "$src" --symbols "${!sym}" --script "$script" "${wo[@]}"
	start=$(date +%s%N)
	run --separate-stderr timeout 60 cmt-fetch --stream --source "$src" \
		--symbols btc --ws-url "$WS" --base-url "$URL" --count "$n" \
		--backoff 50ms --backoff-max 200ms --warmup 0 "${fo[@]}"
	MS=$(( ($(date +%s%N) - start) / 1000000 ))
	kill "$WS_PID"
	assert_success
	expect_ticks "$src" "${!sym}" "$ks" > "$TMP/want"
	printf '%s\n' "$output" | diff "$TMP/want" -
}

# clean: stderr has no control character but the newlines ending lines.
clean() {
	! printf '%s' "$stderr" | LC_ALL=C grep -q '[[:cntrl:]]' ||
		fail "control characters on stderr"
}

@test "hostile: a message in fragments, or with a ping between them, is one message" {
	for src in binance coinbase kraken okx; do
		hostile "$src" 'T:1-3,frag:4:7,fragping:5,T:6-8' 8 1-8
		[[ "$stderr" == *"8 trades (0 from REST), 0 duplicates dropped, 0 bad messages, 0 reconnects"* ]]
	done
}

@test "hostile: binary, invalid UTF-8, NUL and empty frames are skipped with a reason; their trades come from REST" {
	for src in binance coinbase kraken okx; do
		hostile "$src" 'T:1-3,binary:4,badutf8:5,nul:6,empty,T:7-9' 9 1-9
		[[ "$stderr" == *"skipped a binary message ("*" bytes)"* ]]
		[[ "$stderr" == *"skipped a message: malformed JSON: not UTF-8: "* ]]
		[[ "$stderr" == *"skipped a message: malformed JSON: a NUL byte: "* ]]
		# the empty message's excerpt is empty, not the message before
		printf '%s\n' "$stderr" | grep -qx 'cmt-fetch: skipped a message: malformed JSON (0 bytes): '
		# (a venue paged by time gives the last trade again: counted)
		[[ "$stderr" == *"9 trades (3 from REST), "*" duplicates dropped, 4 bad messages, 0 reconnects, 0 missing"* ]]
		clean
	done
}

@test "hostile: a frame trickled byte by byte is taken when it completes in time" {
	for src in binance okx; do
		hostile "$src" 'T:1-3,trickle:4:1.5,T:5-6' 6 1-6
		[[ "$stderr" == *"6 trades (0 from REST), 0 duplicates dropped, 0 bad messages, 0 reconnects"* ]]
	done
}

@test "hostile: a slowloris frame (no end, no pong) is dropped after twice --ws-ping; the gap is filled" {
	hostile binance 'T:1-3,trickle:4:30|T:8-10' 10 1-10 --ws-ping 1s
	[[ "$stderr" == *"no data and no answer to a ping for "*"s; reconnecting"* ]]
	[[ "$stderr" == *"10 trades (4 from REST)"*"1 reconnects"* ]]
	[ "$MS" -lt 8000 ]
}

@test "hostile: a subscription never answered is given up after --ws-ping, and made again" {
	for src in binance coinbase kraken okx; do
		hostile "$src" 'silent|T:1-5' 5 1-5 --ws-ping 1s
		[[ "$stderr" == *"no answer to the subscription within --ws-ping; reconnecting in"* ]]
		[[ "$stderr" == *"5 trades (0 from REST), 0 duplicates dropped, 0 bad messages, 1 reconnects"* ]]
		[ "$MS" -lt 6000 ]
	done
}

@test "hostile: a server that accepts and never answers the handshake is left after --ws-ping, again and again" {
	start_silent
	run --separate-stderr timeout 20 cmt-fetch --stream --source binance \
		--symbols btc --ws-url "ws://127.0.0.1:$PORT/stream" \
		--base-url "http://127.0.0.1:$PORT" --warmup 0 --ws-ping 1s \
		--backoff 50ms --backoff-max 100ms --duration 5s
	assert_success
	n=$(printf '%s\n' "$stderr" | grep -c 'no answer to the WebSocket handshake within --ws-ping; reconnecting')
	echo "# $n attempts in 5 s" >&3
	[ "$n" -ge 3 ]
}

@test "hostile: ids going backwards: a trade sent again is dropped; a renumbering is followed" {
	for src in binance coinbase kraken okx; do
		hostile "$src" 'T:1-10,T:5,T:3,T:11-12' 12 1-12
		[[ "$stderr" == *"12 trades (0 from REST), 2 duplicates dropped"* ]]
	done
	# trades 11-30 come renumbered 10 lower, stamped after trade 10:
	# the third of them confirms it; REST knows only the old ids, so
	# trades 11 and 12 are lost (their new ids are old trades 1 and 2,
	# out of time order), 13 on follow
	hostile binance 'T:1-10,renum:11-30:10' 28 1-10,13-30 -- --latest 10
	[[ "$stderr" == *"BTC-USDT: trade ids went back from 110 to 101 on 3 later trades in a row: the venue renumbered its trades; following the new ids"* ]]
}

@test "hostile: one glitched huge id does not silence the symbol" {
	# trade 4's id is 9e15: the fill up to it takes trades 4-20 (all REST
	# has), the glitch itself is out of time order; later trades are
	# below its id until three in a row confirm the numbering goes on
	hostile binance 'T:1-3,hugeid:4,T:5-40' 38 1-20,23-40 -- --latest 20
	[[ "$stderr" == *"trade 9000000000000000 is stamped "*"before the last trade written"*"out of time order, skipped"* ]]
	[[ "$stderr" == *"trade ids went back from 9000000000000000 to 121 on 3 later trades in a row"* ]]
}

@test "hostile: a venue that changes its message shape: every message counted, a few reported, no flood" {
	for src in binance coinbase kraken okx; do
		hostile "$src" 'T:1-3,shape:4-400,T:401-405' 405 1-405
		[[ "$stderr" == *"; more are counted, not shown"* ]]
		[[ "$stderr" == *"skipped 392 more messages in "* ]]
		[[ "$stderr" == *"405 trades (397 from REST), "*" duplicates dropped, 397 bad messages, 0 reconnects, 0 missing"* ]]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -le 8 ]
	done
}

@test "hostile: a negative price, a symbol never subscribed, JSON nested 100000 deep: skipped, the stream goes on" {
	for src in binance coinbase kraken okx; do
		hostile "$src" 'T:1-3,neg:4,other:5,nested:100000,T:6-8' 8 1-8
		[[ "$stderr" == *"8 trades (2 from REST), "*" duplicates dropped, 3 bad messages, 0 reconnects, 0 missing"* ]]
	done
}

@test "hostile: a ping flood is answered and the trades go on" {
	hostile coinbase 'T:1-3,pingflood:5000,T:4-6' 6 1-6
	[[ "$stderr" == *"6 trades (0 from REST), 0 duplicates dropped, 0 bad messages, 0 reconnects"* ]]
}

@test "hostile: terminal escapes and newlines from the peer (close reason, bad message) never reach stderr raw" {
	hostile binance 'T:1-3,esc,closeesc|T:4-6' 6 1-6
	[[ "$stderr" == *"(1000 normal closure:  [2J [31mowned fake: line)"* ]]
	[[ "$stderr" == *"skipped a message: malformed JSON (33 bytes):  [2J [31m{\"not\": json  fake: line"* ]]
	[ "$(printf '%s\n' "$stderr" | grep -c '^fake: line')" -eq 0 ]
	clean
}

@test "hostile: a frame with a reserved bit set ends the connection; the stream comes back" {
	hostile binance 'T:1-3,badframe|T:4-6' 6 1-6
	[[ "$stderr" == *"1 reconnects"* ]]
}

@test "hostile: hundreds of trades in one message are all taken from it" {
	for src in kraken okx; do
		hostile "$src" 'T:1-3,many:4-900,T:901-902' 902 1-902 -- --latest 902
		[[ "$stderr" == *"902 trades (0 from REST), 0 duplicates dropped, 0 bad messages"* ]]
	done
}
