#!/usr/bin/env bats
load helper

@test "--help and --version" {
	run cmt-sim --help
	assert_success
	assert_output --partial "usage: cmt-sim"
	run cmt-sim --version
	assert_output --regexp "^cmt-sim \(cmt\) "
}

@test "bad arguments are usage errors" {
	run cmt-sim --every 0ms
	assert_failure 2
	run cmt-sim --symbols BTC
	assert_failure 2
	assert_output --partial "BASE-QUOTE"
	run cmt-sim --vol -1
	assert_failure 2
	run cmt-sim extra
	assert_failure 2
}

@test "the same seed gives the same bytes, another seed other prices" {
	cmt-sim -n 1000 --seed 7 > "$TMP/a"
	cmt-sim -n 1000 --seed 7 > "$TMP/b"
	cmt-sim -n 1000 --seed 8 > "$TMP/c"
	run cmp "$TMP/a" "$TMP/b"
	assert_success
	run cmp -s "$TMP/a" "$TMP/c"
	assert_failure
}

@test "ticks are valid, in time order, and --count and --duration hold" {
	run sh -c 'cmt-sim -n 500 | wc -l'
	assert_output 500
	cmt-sim -s BTC-USD,ETH-USD,SOL-USD -d 10m -e 2s --regular > "$TMP/t"
	run wc -l < "$TMP/t"
	assert_output 900      # 300 per symbol
	run awk -F'[:,]' '{ if ($2 < last) { print "out of order at " NR; exit 1 } last = $2 } END { print "ok" }' "$TMP/t"
	assert_output ok
	run cmt-features -q --emit-warmup "$TMP/t"
	assert_success
	assert_equal "${#lines[@]}" 1797   # grid 2s..600s: 599 points x 3 symbols
}

@test "volatility comes in clusters: squared returns are autocorrelated" {
	cmt-sim -s BTC-USD -d 20d -e 1m --regular --seed 3 > "$TMP/t"
	run awk -F'"px":|,"vol"' '{ p = $2; if (NR > 1) { r = log(p / q); r2[NR] = r * r } q = p }
		END { n = 0; for (i = 3; i <= NR; i++) { m += r2[i]; n++ } m /= n
			for (i = 4; i <= NR; i++) { c += (r2[i] - m) * (r2[i-1] - m) }
			for (i = 3; i <= NR; i++) { v += (r2[i] - m) ^ 2 }
			print (c / v > 0.05) ? "clustered" : "flat " c / v }' "$TMP/t"
	assert_output clustered
}

@test "every tick is t, sym, px, vol and src: no bar or warm-start field from uninitialised memory" {
	for seed in 1 2 3 4 5 6 7 8; do
		cmt-sim -d 1h --seed "$seed" > "$TMP/t"
		n=$(grep -cv '^{"t":[0-9]*,"sym":"[A-Z]*-[A-Z]*","px":[0-9.e+-]*,"vol":[0-9.e+-]*,"src":"sim"}$' "$TMP/t" || true)
		[ "$n" -eq 0 ] || { grep -m1 -v '"src":"sim"}$' "$TMP/t"; return 1; }
	done
}
