#!/usr/bin/env bats
# cmt-features as a user runs it: options, formats, bad input, exit codes.
load helper

# 400 one-per-second ticks of one symbol, NDJSON and the same as CSV.
make_ticks() {
	awk 'BEGIN { for (i = 0; i < 400; i++)
		printf "{\"t\":%.0f,\"sym\":\"BTC-USD\",\"px\":%.2f,\"vol\":%.3f}\n",
			1700000000000 + i * 1000, 50000 + 30 * sin(i / 7) + i % 5,
			0.1 + (i % 3) / 10 }' > "$TMP/ticks.ndjson"
	{ echo "t,sym,px,vol"
	  awk -F'[:,}]' '{ gsub(/"/, ""); print $2 "," $4 "," $6 "," $8 }' \
		"$TMP/ticks.ndjson"; } > "$TMP/ticks.csv"
}

@test "--help prints the synopsis to stdout and exits 0" {
	run cmt-features --help
	assert_success
	assert_output --partial "usage: cmt-features"
	assert_output --partial "--label"
}

@test "--version names the tool" {
	run cmt-features --version
	assert_success
	assert_output --regexp "^cmt-features \(cmt\) [0-9]+\.[0-9]+"
}

@test "bad arguments are usage errors with exit 2 naming the option" {
	run cmt-features --step 0s
	assert_failure 2
	assert_output --partial "--step"
	run cmt-features --windows 5s,15s
	assert_failure 2
	assert_output --partial "expected 4 durations"
	run cmt-features --step 7s
	assert_failure 2
	assert_output --partial "not a positive multiple of the step"
	run cmt-features --label 1500ms
	assert_failure 2
	run cmt-features --feature-set nonsense
	assert_failure 2
	assert_output --partial "invalid feature-set id"
	run cmt-features --no-such-flag
	assert_failure 2
	run cmt-features "$TMP/missing.ndjson"
	assert_failure 1
	assert_output --partial "missing.ndjson"
}

@test "emits one vector per grid step after the 60-step warm-up" {
	make_ticks
	run cmt-features -q "$TMP/ticks.ndjson"
	assert_success
	assert_equal "${#lines[@]}" 340
	assert_line --index 0 --partial '"t":1700000060000,"sym":"BTC-USD"'
	assert_line --index 0 --partial '"fs":"cmt1;step=1s;ret=5s/15s/30s/1m;rv=30s/1m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20"'
	for f in ret_5s ret_15s ret_30s ret_1m rv_30s rv_1m rsi macd_hist bb_pctb mom vol_trend; do
		assert_line --index 0 --partial "\"$f\":"
	done
}

@test "the ticks' src travels with the vectors, escaped, and stays absent without one" {
	make_ticks
	run cmt-features -q "$TMP/ticks.ndjson"
	refute_output --partial '"src"'
	sed 's/}$/,"src":"sim"}/' "$TMP/ticks.ndjson" > "$TMP/src.ndjson"
	run cmt-features -q --label 5s "$TMP/src.ndjson"
	assert_success
	assert_equal "$(grep -c ',"src":"sim","y":[01n]' <<<"$output")" "${#lines[@]}"
	sed 's/}$/,"src":"a\\"b"}/' "$TMP/ticks.ndjson" > "$TMP/q.ndjson"
	run cmt-features -q "$TMP/q.ndjson"
	assert_line --index 0 --partial ',"src":"a\"b"}'
	# and through cmt-predict, which leaves the line as it is
	cmt-sim -d 2h -e 5s --seed 3 | cmt-features --model default -q |
		cmt-predict > "$TMP/out"
	[ "$(grep -c '"src":"sim","p_up":' "$TMP/out")" -eq "$(wc -l < "$TMP/out")" ]
}

@test "CSV ticks give exactly the same vectors as NDJSON ticks" {
	make_ticks
	cmt-features -q "$TMP/ticks.ndjson" > "$TMP/a"
	cmt-features -q < "$TMP/ticks.csv" > "$TMP/b"
	run cmp "$TMP/a" "$TMP/b"
	assert_success
}

@test "--csv writes a header and one row per vector" {
	make_ticks
	run cmt-features -q --csv --label 5s "$TMP/ticks.ndjson"
	assert_success
	assert_line --index 0 "t,sym,px,fs,ret_5s,ret_15s,ret_30s,ret_1m,rv_30s,rv_1m,rsi,macd_hist,bb_pctb,mom,vol_trend,y"
	assert_equal "${#lines[@]}" 336   # header + 340 - 5 held back for labels
}

@test "--emit-warmup flags early vectors and nulls undefined features" {
	make_ticks
	run cmt-features -q --emit-warmup "$TMP/ticks.ndjson"
	assert_equal "${#lines[@]}" 400
	assert_line --index 0 --partial '"ret_5s":null'
	assert_line --index 0 --partial '"warmup":true'
	refute_line --index 60 --partial 'warmup'
}

@test "--label adds y from the grid price H later and holds output back" {
	awk 'BEGIN { for (i = 0; i < 100; i++) printf "{\"t\":%.0f,\"sym\":\"ETH-USD\",\"px\":%d}\n", 1700000000000 + i * 1000, 100 + (i % 4 < 2 ? i : -i) }' > "$TMP/t"
	cmt-features -q --label 2s --emit-warmup "$TMP/t" > "$TMP/out"
	run wc -l < "$TMP/out"
	assert_output 98
	# price at i is 100+i or 100-i; y compares with i+2
	run awk -F'"px":|,"fs"|"y":|}' '{ px[NR] = $2; y[NR] = $(NF-1) } END {
		for (i = 1; i <= NR - 2; i++) {
			want = px[i+2] > px[i] ? 1 : (px[i+2] < px[i] ? 0 : "null")
			if (y[i] != want) { print "row " i ": y=" y[i] " want " want; exit 1 }
		}
		print "ok" }' "$TMP/out"
	assert_output ok
}

@test "every class of bad line is reported with its number and skipped" {
	make_ticks
	head -200 "$TMP/ticks.ndjson" > "$TMP/mixed"
	{
		echo 'not json at all'
		echo '{"t":1700000200500,"sym":"BTC-USD","px":"50000"}'
		echo '{"t":1700000200600,"sym":"BTC-USD"}'
		echo '{"t":1700000200700,"sym":"BTC-USD","px":-5}'
		echo '{"t":1700000200800,"sym":"BTC-USD","px":NaN}'
		echo '{"t":1700000200900,"sym":"BTC-USD","px":1e400}'
		echo '{"t":1700000100000,"sym":"BTC-USD","px":50000}'
		echo '{"t":1700000199000,"sym":"BTC-USD","px":50000}'
		echo '{"t":1700000200950,"sym":"BTC","px":50000}'
		echo '{"t":1700000200960,"sym":"BTC-USD","px":50000'
		printf '{"t":1700000200970,"sym":"BTC-USD","px":50000,"x":"%070000d"}\n' 0
		echo ''
	} >> "$TMP/mixed"
	tail -200 "$TMP/ticks.ndjson" >> "$TMP/mixed"
	run cmt-features "$TMP/mixed"
	assert_success
	assert_output --partial "line 201: not a JSON object"
	assert_output --partial 'line 202: "px" is not a number'
	assert_output --partial 'line 203: missing "px"'
	assert_output --partial 'line 204: "px" must be > 0'
	assert_output --partial "line 205: "
	assert_output --partial 'line 206: "px" is not finite'
	assert_output --partial "line 207: BTC-USD: timestamp 1700000100000 is before"
	assert_output --partial "line 208: BTC-USD: timestamp 1700000199000 is the same as"
	assert_output --partial "line 209: symbol 'BTC' is not BASE-QUOTE"
	assert_output --partial "line 210: truncated object"
	assert_output --partial "line 211: line longer than 64 KiB"
	assert_output --partial "412 lines, 400 ticks, 340 vectors, 1 symbols, 3 malformed, 5 invalid field, 1 too long, 2 out of order"
	# the good lines around the bad ones give exactly the clean output
	cmt-features -q "$TMP/mixed" 2>/dev/null > "$TMP/a"
	cmt-features -q "$TMP/ticks.ndjson" > "$TMP/b"
	run cmp "$TMP/a" "$TMP/b"
	assert_success
}

@test "NUL bytes and CRLF line endings" {
	make_ticks
	sed 's/$/\r/' "$TMP/ticks.ndjson" > "$TMP/crlf"
	cmt-features -q "$TMP/crlf" > "$TMP/a"
	cmt-features -q "$TMP/ticks.ndjson" > "$TMP/b"
	run cmp "$TMP/a" "$TMP/b"
	assert_success
	{ head -5 "$TMP/ticks.ndjson"; printf '{"t":1\0}\n'; tail -n +6 "$TMP/ticks.ndjson"; } > "$TMP/nul"
	run cmt-features "$TMP/nul"
	assert_output --partial "line 6: NUL byte in line"
	assert_output --partial "400 ticks"
}

@test "a long silence resets the symbol and says so" {
	awk 'BEGIN { for (i = 0; i < 100; i++) printf "{\"t\":%.0f,\"sym\":\"BTC-USD\",\"px\":%d}\n", 1700000000000 + i * 1000 + (i >= 50 ? 3600000 : 0), 100 + i % 7 }' > "$TMP/gap"
	run cmt-features --emit-warmup "$TMP/gap"
	assert_success
	assert_output --partial "BTC-USD: no tick for 3601s before 2023-11-14T23:14:10.000Z (max gap exceeded): state reset"
	assert_output --partial "1 gap resets"
	run cmt-features --emit-warmup --max-gap 2h -q "$TMP/gap"
	refute_output --partial "reset"
	assert_equal "${#lines[@]}" 3700
}

@test "interleaved symbols are resampled independently" {
	cmt-sim --symbols BTC-USD,ETH-USD -d 10m -e 700ms --seed 3 > "$TMP/mixed"
	grep BTC-USD "$TMP/mixed" > "$TMP/btc"
	cmt-features -q "$TMP/mixed" | grep '"sym":"BTC-USD"' > "$TMP/a"
	cmt-features -q "$TMP/btc" > "$TMP/b"
	run cmp "$TMP/a" "$TMP/b"
	assert_success
	grep ETH-USD "$TMP/mixed" | cmt-features -q > "$TMP/eth"
	run cmp "$TMP/eth" <(cmt-features -q "$TMP/mixed" | grep '"sym":"ETH-USD"')
	assert_success
}

@test "--feature-set adopts a feature set given in any spelling" {
	cmt-sim -d 3h -e 5s > "$TMP/t"
	run cmt-features -q --feature-set 'cmt1;step=60s;ret=60s/5m/15m/60m;rv=30m/60m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20' "$TMP/t"
	assert_success
	assert_line --index 0 --partial '"fs":"cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20"'
	assert_line --index 0 --partial '"ret_1h":'
}

@test "a write error (full disk) is reported and exits 1" {
	make_ticks
	run bash -c 'cmt-features -q "$1" > /dev/full' _ "$TMP/ticks.ndjson"
	assert_failure 1
	assert_output --partial "write error"
}

@test "SIGTERM mid-stream flushes whole lines and exits 0" {
	mkfifo "$TMP/fifo"
	cmt-features -q --step 1s < "$TMP/fifo" > "$TMP/out" &
	pid=$!
	exec 5> "$TMP/fifo"
	cmt-sim -d 5m -e 1s >&5
	sleep 0.3
	kill -TERM $pid
	st=0
	wait $pid || st=$?
	exec 5>&-
	assert_equal "$st" 0
	run tail -c 1 "$TMP/out"
	assert_output ""   # the file ends in a newline
	run wc -l < "$TMP/out"
	[ "$output" -gt 200 ]
}

@test "a warming symbol is announced once on stderr, with the steps to its first vector" {
	cmt-sim -d 30m -e 5s --seed 2 > "$TMP/t"
	cmt-features --model default "$TMP/t" > "$TMP/out" 2> "$TMP/err"
	[ ! -s "$TMP/out" ]   # 30 minutes: still warming
	[ "$(grep -c 'warming up' "$TMP/err")" -eq 2 ]
	grep -qx 'cmt-features: BTC-USD: warming up: first vector in 60 grid steps (1h), at grid time 2024-01-01T01:01:00.000Z' "$TMP/err"
	grep -q '^cmt-features: ETH-USD: warming up: first vector in 60 grid steps (1h), at grid time ' "$TMP/err"
	# the time named is when the first vector comes
	cmt-sim -d 2h -e 5s --seed 2 | cmt-features --model default -q |
		grep -m1 '"sym":"BTC-USD"' | grep -q '"t":1704070860000,'
	# -q and --emit-warmup say nothing
	cmt-features --model default -q "$TMP/t" 2> "$TMP/err" > /dev/null
	[ ! -s "$TMP/err" ]
	cmt-features --model default --emit-warmup "$TMP/t" 2> "$TMP/err" > /dev/null
	! grep -q 'warming up' "$TMP/err"
}

@test "--partial: the output minus its partial lines is byte for byte the output without" {
	cmt-sim -d 3h -e 2s --seed 6 > "$TMP/t"
	for opts in "--model default" "--model default --label 1m" "--step 5s --emit-warmup"; do
		# shellcheck disable=SC2086
		cmt-features -q $opts "$TMP/t" > "$TMP/plain"
		for every in 0 3s 20s; do
			# shellcheck disable=SC2086
			cmt-features -q $opts --partial "$every" "$TMP/t" > "$TMP/part"
			[ "$(grep -c '"partial":true' "$TMP/part")" -gt 100 ]
			grep -v '"partial":true' "$TMP/part" | cmp - "$TMP/plain"
		done
	done
	# a partial vector carries no label; every other line does
	cmt-features -q --model default --label 1m --partial 3s "$TMP/t" > "$TMP/part"
	! grep '"partial":true' "$TMP/part" | grep -q '"y":'
	grep -v '"partial":true' "$TMP/part" | grep -c '"y":' > "$TMP/n"
	[ "$(cat "$TMP/n")" -eq "$(grep -vc '"partial":true' "$TMP/part")" ]
}

@test "--partial EVERY: provisional vectors for the step in progress, at most every EVERY of tick time" {
	# one tick a second, half a second off the grid, on a 1-minute grid
	awk 'BEGIN { for (i = 0; i < 7200; i++)
		printf "{\"t\":%.0f,\"sym\":\"BTC-USD\",\"px\":%.2f,\"vol\":1}\n",
			1700000000500 + i * 1000, 100 + 5 * sin(i / 50) + (i % 7) / 10 }' > "$TMP/t"
	run cmt-features --model default --partial 3s "$TMP/t"
	assert_success
	# 120 minutes of ticks: 120 grid points, the first 60 warm-up, so 60
	# vectors.  The 61 steps in progress from then on (the last one has 20
	# ticks) get a partial vector at every third tick: 20 per step, 6 in the
	# last.
	assert_output --partial "60 vectors, 1 symbols, 1206 partial vectors"
	printf '%s\n' "${lines[@]}" | grep '"partial":true}$' | cut -d, -f1 |
		uniq -c | awk '{ print $1 }' | sort | uniq -c > "$TMP/per-step"
	assert_equal "$(cat "$TMP/per-step" | tr -s ' ')" "$(printf ' 60 20\n 1 6')"
	# each partial is for the step in progress: its t is the one of the
	# next final vector, which follows it
	printf '%s\n' "${lines[@]}" | grep '^{' | awk -F'[:,]' '
		/"partial":true/ { if (p != "" && $2 != p) exit 1; p = $2; n++; next }
		{ if (p != "" && $2 != p) exit 1; p = ""; f++ }
		END { if (n != 1206 || f != 60) exit 1 }'
	# 0: every tick inside a step
	run cmt-features --model default --partial 0 -q "$TMP/t"
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '"partial":true}$')" 3620
	# CSV: a partial column, true or false
	cmt-features --model default --partial 30s --csv -q "$TMP/t" > "$TMP/csv"
	head -1 "$TMP/csv" | grep -q ',vol_trend,partial$'
	[ "$(grep -c ',true$' "$TMP/csv")" -eq 120 ]   # two per step
	[ "$(grep -c ',false$' "$TMP/csv")" -eq 60 ]
	run cmt-features --partial -1s "$TMP/t"
	assert_failure 2
	run cmt-features --partial soon "$TMP/t"
	assert_failure 2
}

# Trades over two days, and the 1-minute bars made of them (open the first
# trade, high and low the extremes, close the last, volume the sum; a bar
# is stamped at its minute's end, which is the grid step it closes: the
# step ending at g holds the trades in (g - 1m, g]).
make_trades_and_bars() {
	awk 'BEGIN { p = 60000; t = 1709510400000
		for (i = 0; i < 2880 * 7; i++) {
			t += 1 + int((i * 7919 % 1013) * 16.9)
			p *= 1 + 0.0004 * sin(i * 0.37) * cos(i * 0.011)
			printf "{\"t\":%.0f,\"sym\":\"BTC-USDT\",\"px\":%.2f,\"vol\":%.3f}\n",
				t, p, 0.001 + (i % 17) / 100
		} }' > "$TMP/trades.ndjson"
	awk -F'[:,}]' '{
		t = $2 + 0; px = $6 + 0; v = $8 + 0
		g = int((t + 59999) / 60000) * 60000
		if (g != cur) { flush(); cur = g; o = h = l = px; vol = 0 }
		if (px > h) h = px
		if (px < l) l = px
		c = px; vol += v
	}
	function flush() { if (cur) printf "{\"t\":%.0f,\"sym\":\"BTC-USDT\",\"px\":%.2f,\"o\":%.2f,\"h\":%.2f,\"l\":%.2f,\"vol\":%.3f}\n", cur, c, o, h, l, vol }
	END { flush() }' "$TMP/trades.ndjson" > "$TMP/bars.ndjson"
}

@test "bars keep their range: trades and the 1-minute bars made of them give the same vectors" {
	make_trades_and_bars
	# the last trade is not on a minute: its bar's step is still open
	# for the trades, closed for the bars; compare up to it
	opts="--step 1m --windows 1m,5m,15m,60m --vol-windows 30m,60m --wide -q"
	run cmt-features $opts "$TMP/trades.ndjson"
	assert_success
	head -n -1 "$TMP/bars.ndjson" > "$TMP/bars-but-last"
	cmt-features $opts "$TMP/trades.ndjson" > "$TMP/from-trades"
	cmt-features $opts "$TMP/bars-but-last" > "$TMP/from-bars"
	[ "$(wc -l < "$TMP/from-bars")" -gt 1000 ]
	# awk writes the summed volumes rounded: compare all but the volume
	# features (vol_trend, volz_1h), which are checked to 1e-9 below
	sed 's/"vol_trend":[^,]*,//; s/"volz_1h":[^,]*,//' "$TMP/from-trades" > "$TMP/a"
	sed 's/"vol_trend":[^,]*,//; s/"volz_1h":[^,]*,//' "$TMP/from-bars" > "$TMP/b"
	head -n "$(wc -l < "$TMP/b")" "$TMP/a" > "$TMP/a2"
	run diff "$TMP/a2" "$TMP/b"
	assert_success
	# the volume features to 1e-9
	for f in vol_trend volz_1h; do
		grep -o "\"$f\":[^,]*" "$TMP/from-trades" | head -n "$(wc -l < "$TMP/b")" > "$TMP/va"
		grep -o "\"$f\":[^,]*" "$TMP/from-bars" > "$TMP/vb"
		run awk -F: 'NR == FNR { a[FNR] = $2; next }
			{ d = a[FNR] - $2; if (d < 0) d = -d; m = $2 < 0 ? -$2 : $2
			  if (a[FNR] == "null" || $2 == "null") { if (a[FNR] != $2) bad++ }
			  else if (d > 1e-9 * m + 1e-12) bad++ }
			END { print bad + 0, FNR }' "$TMP/va" "$TMP/vb"
		assert_output --regexp "^0 [0-9]{4,}$"
	done
	# the range features are there, and not flat
	run grep -c '"pk_1h":0,' "$TMP/from-bars"
	assert_output 0
	grep -q '"gk_15m":0\.000' "$TMP/from-bars"
	grep -q '"upper_wick":' "$TMP/from-bars"
	# the bars' closes alone (no o, h, l) give flat steps: other ranges
	sed 's/,"o":[^,]*,"h":[^,]*,"l":[^,]*//' "$TMP/bars-but-last" |
		cmt-features $opts > "$TMP/closes"
	run cmp -s "$TMP/closes" "$TMP/from-bars"
	assert_failure
}

@test "--wide: the id names every part, each vector every feature; long windows are null until they fill" {
	make_trades_and_bars
	run cmt-features --step 1m --windows 1m,5m,15m,60m --vol-windows 30m,60m --wide "$TMP/bars.ndjson"
	assert_success
	assert_line --index 1 --partial ';vt=5/20;rng=15m/1h;bar=step;vz=1h;zr=1h;hl=1h/4h/1d;lt=4h/1d;cal=utc"'
	assert_line --index 1 --partial '"dhi_1d":null,"dlo_1d":null,"ret_4h":null,"rv_4h":null,"ret_1d":null,"rv_1d":null,"tod_sin":'
	assert_output --partial 'features over longer windows are null until 1d of history, at grid time 2024-03-05T00:01:00.000Z'
	# from a day on, every feature is a number
	cmt-features -q --step 1m --windows 1m,5m,15m,60m --vol-windows 30m,60m --wide "$TMP/bars.ndjson" |
		tail -n +1500 > "$TMP/late"
	run grep -c null "$TMP/late"
	assert_output 0
	for f in pk_15m gk_15m pk_1h gk_1h body upper_wick lower_wick close_loc volz_1h zret_1m zret_5m zret_15m zret_1h dhi_1h dlo_1h dhi_4h dlo_4h dhi_1d dlo_1d ret_4h rv_4h ret_1d rv_1d tod_sin tod_cos dow_sin dow_cos; do
		grep -q "\"$f\":" "$TMP/late"
	done
	# CSV: a column per feature
	run cmt-features -q --csv --step 1m --windows 1m,5m,15m,60m --vol-windows 30m,60m --wide "$TMP/bars.ndjson"
	assert_line --index 0 't,sym,px,fs,ret_1m,ret_5m,ret_15m,ret_1h,rv_30m,rv_1h,rsi,macd_hist,bb_pctb,mom,vol_trend,pk_15m,gk_15m,pk_1h,gk_1h,body,upper_wick,lower_wick,close_loc,volz_1h,zret_1m,zret_5m,zret_15m,zret_1h,dhi_1h,dlo_1h,dhi_4h,dlo_4h,dhi_1d,dlo_1d,ret_4h,rv_4h,ret_1d,rv_1d,tod_sin,tod_cos,dow_sin,dow_cos'
}

@test "extension options widen a model's set or an id; bad parts are usage errors" {
	make_trades_and_bars
	base='cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20'
	run cmt-features -q --feature-set "$base" --high-low 1h --calendar "$TMP/bars.ndjson"
	assert_success
	assert_line --index 0 --partial "\"fs\":\"$base;hl=1h;cal=utc\""
	# a model's set: options add parts, never change one it reads
	cmt-features -q --feature-set "$base;hl=1h" --label 1m "$TMP/bars.ndjson" |
		cmt-train -q -k logreg -o "$TMP/hl.json" --epochs 1 2> /dev/null
	run cmt-features -q --model "$TMP/hl.json" --calendar --long 4h "$TMP/bars.ndjson"
	assert_success
	assert_line --index 0 --partial "\"fs\":\"$base;hl=1h;lt=4h;cal=utc\""
	run cmt-features -q --model "$TMP/hl.json" --calendar --high-low 4h "$TMP/bars.ndjson"
	assert_failure 2
	assert_output "cmt-features: --high-low 4h: model $TMP/hl.json reads the set '$base;hl=1h', and this option changes a part of it, so its vectors would lack features it reads (with --model, options may only add parts)
Try 'cmt-features --help' for more information."
	run cmt-features -q --model default --wide "$TMP/bars.ndjson"
	assert_success
	assert_line --index 0 --partial "\"fs\":\"$(sed -n 's/^\t"feature_set": "\(.*\)",$/\1/p' "$ROOT/model/default.json");rng=15m/1h;bar=step;vz=1h;zr=1h;hl=1h/4h/1d;lt=4h/1d;cal=utc\""
	run cmt-features -q --feature-set 'cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20;cal=utc' --wide "$TMP/bars.ndjson"
	assert_success
	assert_line --index 0 --partial ';vt=5/20;rng=15m/1h;bar=step;vz=1h;zr=1h;hl=1h/4h/1d;lt=4h/1d;cal=utc"'
	run cmt-features --step 1m --windows 1m,5m,15m,60m --vol-windows 30m,60m --high-low 90s < /dev/null
	assert_failure 2
	assert_output --partial "hl window 90s is not a positive multiple of the step"
	run cmt-features --step 1m --windows 1m,5m,15m,60m --vol-windows 30m,60m --long 1h < /dev/null
	assert_failure 2
	assert_output --partial "feature ret_1h twice"
	run cmt-features --feature-set 'cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20;hl=1h;hl=2h' < /dev/null
	assert_failure 2
	assert_output --partial "feature-set part hl twice"
	# on the default 1s grid a day's windows cost 5.3 MiB a symbol: said
	run cmt-features --wide < /dev/null
	assert_failure 2
	assert_output --partial "worst case 5.3 GiB (5.3 MiB per symbol x 1024 symbols) exceeds --max-memory 512.0 MiB"
	run cmt-features --wide --max-symbols 90 < /dev/null
	assert_success
}
