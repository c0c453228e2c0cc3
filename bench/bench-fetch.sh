#!/bin/sh
# cmt-fetch against tests/fakeapi.py on 127.0.0.1: history throughput
# (90 days of 1-minute klines, 130 pages) and live polls per second, each
# beside curl fetching the very same URLs over one connection, so the
# figures separate cmt-fetch's own cost from the Python server's.
set -eu
BIN=$1
out=bench/out
mkdir -p "$out"
python3 tests/fakeapi.py --port-file "$out/fetch-port" &
api=$!
trap 'kill $api 2>/dev/null' EXIT
i=0
while [ ! -s "$out/fetch-port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
url="http://127.0.0.1:$(cat "$out/fetch-port")"
rm -f "$out/fetch-port"

# t LABEL UNITS COMMAND...: wall time, units/s and peak RSS.
t() {
	label=$1 units=$2; shift 2
	/usr/bin/time -f "%e %M" -o "$out/time" "$@" > "$out/fetch-out"
	read -r s kb < "$out/time"
	printf '%-36s %6.2f s %9.0f /s %7d KiB\n' "$label" "$s" \
		"$(awk -v u="$units" -v s="$s" 'BEGIN { print u / (s + 0.0001) }')" "$kb"
}

from=1704067200000                  # 2024-01-01
to=$((from + 90 * 86400000))        # 90 days = 129600 bars
bars=129600
: > "$out/fetch-urls"
p=$from
while [ $p -lt $to ]; do
	e=$((p + 60000000)); [ $e -gt $to ] && e=$to
	echo "url = \"$url/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=$p&endTime=$((e - 1))&limit=1000\"" \
		>> "$out/fetch-urls"
	echo "output = /dev/null" >> "$out/fetch-urls"
	p=$e
done
echo "history: $bars 1-minute bars of BTC-USDT in $(grep -c '^url' "$out/fetch-urls") pages"
t "curl, same pages, one connection" $bars curl -s -K "$out/fetch-urls"
t "cmt-fetch --history (ticks)" $bars "$BIN/cmt-fetch" --history \
	--source binance --base-url "$url" --symbols btc --from $from --to $to --quiet
[ "$(wc -l < "$out/fetch-out")" -eq $bars ] || { echo "bench: wrong tick count" >&2; exit 1; }

polls=500
: > "$out/fetch-urls"
i=0
while [ $i -lt $polls ]; do
	echo "url = \"$url/api/v3/simple/price?ids=bitcoin,ethereum&vs_currencies=usd&include_24hr_vol=true&include_last_updated_at=true\"" >> "$out/fetch-urls"
	echo "output = /dev/null" >> "$out/fetch-urls"
	i=$((i + 1))
done
echo "live: $polls CoinGecko polls of 2 symbols (cmt-fetch paced at its 1 ms minimum interval)"
t "curl, same requests, one connection" $polls curl -s -K "$out/fetch-urls"
t "cmt-fetch --interval 1ms (polls)" $polls "$BIN/cmt-fetch" --base-url "$url" \
	--symbols btc,eth --count $polls --interval 1ms --warmup 0
