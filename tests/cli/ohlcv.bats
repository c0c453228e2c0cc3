#!/usr/bin/env bats
# Candles out: cmt-fetch --history --format ohlcv writes the candle CSV
# cmt-replay reads back, to the very ticks --history writes as NDJSON.
load helper
bats_require_minimum_version 1.5.0
load fakeapi

@test "--format ohlcv round-trips byte for byte through cmt-replay, from every venue with bars" {
	start_api
	# one range for both runs: "-3h" read twice moves when a minute
	# turns between them (a slow build), and the counts differ by a bar
	end=$(( $(date +%s) / 60 * 60 - 60 ))
	from=$(date -u -d "@$((end - 3 * 3600))" +%Y-%m-%dT%H:%M:%SZ)
	to=$(date -u -d "@$end" +%Y-%m-%dT%H:%M:%SZ)
	for src in binance coinbase kraken okx; do
		cmt-fetch --history --source "$src" --base-url "$URL" --symbols btc,eth \
			--from "$from" --to "$to" --quiet > "$TMP/$src.ndjson"
		cmt-fetch --history --source "$src" --base-url "$URL" --symbols btc,eth \
			--from "$from" --to "$to" --quiet --format ohlcv > "$TMP/$src.csv"
		[ "$(wc -l < "$TMP/$src.ndjson")" -eq 360 ]
		[ "$(wc -l < "$TMP/$src.csv")" -eq 361 ]
		cmt-replay --speed max "$TMP/$src.csv" | cmp - "$TMP/$src.ndjson"
		gzip -c "$TMP/$src.csv" | cmt-replay --speed max | cmp - "$TMP/$src.ndjson"
	done
}

@test "the CSV: a header, one row per bar with its open and close time in ms" {
	start_api
	run cmt-fetch --history --source binance --base-url "$URL" --symbols btc \
		--from 2024-01-01 --to 2024-01-01T00:03:00Z --quiet --format ohlcv
	assert_success
	assert_line --index 0 "open_time,close_time,sym,open,high,low,close,volume,src"
	[ "${#lines[@]}" -eq 4 ]
	assert_line --index 1 --regexp '^1704067140000,1704067200000,BTC-USDT,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+,binance$'
	# the same bar as the NDJSON tick: px is the close, t the close time
	ndjson=$(cmt-fetch --history --source binance --base-url "$URL" --symbols btc \
		--from 2024-01-01 --to 2024-01-01T00:01:00Z --quiet)
	IFS=, read -r open_t close_t sym o h l c v src <<< "${lines[1]}"
	[ "$ndjson" = "{\"t\":$close_t,\"sym\":\"$sym\",\"px\":$c,\"o\":$o,\"h\":$h,\"l\":$l,\"vol\":$v,\"src\":\"$src\"}" ]
}

@test "--resume continues a candle file: no second header, the same file as one run" {
	start_api
	cmt-fetch --history --source binance --base-url "$URL" --symbols btc,eth \
		--from 2024-01-01 --to 2024-01-01T06:00:00Z --quiet --format ohlcv > "$TMP/all.csv"
	cmt-fetch --history --source binance --base-url "$URL" --symbols btc,eth \
		--from 2024-01-01 --to 2024-01-01T02:17:00Z --quiet --format ohlcv > "$TMP/part.csv"
	sed -i '$d' "$TMP/part.csv"     # cut short: ETH one bar behind BTC
	cmt-fetch --history --source binance --base-url "$URL" --symbols btc,eth \
		--from 2024-01-01 --to 2024-01-01T06:00:00Z --quiet --format ohlcv \
		--resume "$TMP/part.csv" >> "$TMP/part.csv"
	cmp "$TMP/all.csv" "$TMP/part.csv"
	printf 'open_time,close_time,sym,open,high,low,close,volume,src\n1,2,BTC-USDT,1,1,1,1,1,x' > "$TMP/cut.csv"
	run cmt-fetch --history --source binance --base-url "$URL" --symbols btc \
		--from 2024-01-01 --to 2024-01-02 --format ohlcv --resume "$TMP/cut.csv"
	assert_failure 1
	assert_output --partial "incomplete"
}

@test "--format: ohlcv needs bars and --history; other names are usage errors" {
	run cmt-fetch --history --symbols btc --from 2024-01-01 --format ohlcv
	assert_failure 2
	assert_output --partial "--format ohlcv: CoinGecko history is points, not bars"
	run cmt-fetch --source binance --symbols btc --format ohlcv
	assert_failure 2
	assert_output --partial "need --history"
	run cmt-fetch --history --source binance --symbols btc --from 2024-01-01 --format csv
	assert_failure 2
	assert_output --partial "--format: 'csv' is not ndjson or ohlcv"
}
