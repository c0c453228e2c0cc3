# Binance 1-minute candles (CSV ts,open,high,low,close,volume, ts the bar's
# open in Unix seconds, a header line first) to bar ticks stamped at the
# bar's close: t = (ts + 60) * 1000, px = close, o, h, l, vol = volume.
# Usage: awk -F, -v sym=BTC-USDT -f scripts/candle-ticks.awk FILE
# (make-vectors.sh, eval-model.sh; see ../shared/data/README.md).
NR > 1 {
	printf "{\"t\":%d000,\"sym\":\"%s\",\"px\":%s,\"o\":%s,\"h\":%s,\"l\":%s,\"vol\":%s}\n",
		$1 + 60, sym, $5, $2, $3, $4, $6
}
