#!/usr/bin/env python3
"""Fake CoinGecko / Binance / Coinbase / Kraken / OKX API for cmt-fetch tests.

Listens on 127.0.0.1 (a free port, written to --port-file), speaks HTTP/1.1
with keep-alive and gzip, and answers in each API's documented shape with
deterministic data.  A fault plan (--plan, comma list) is consumed one item
per API request:

  ok          normal answer (the market advances one step)
  same        the previous answer again (a cached response)
  429[:S]     Too Many Requests with Retry-After: S (default 1); on OKX
              paths OKX's body {"msg":"Too Many Requests","code":"50011"}
              and no Retry-After unless S is given (OKX sends none)
  429date     Too Many Requests with Retry-After as an HTTP-date (+1 s)
  500, 503    server errors (503 carries Retry-After: 0)
  401         Unauthorized (permanent)
  slow:S      wait S seconds before answering 503 (clients should time out)
  slowok:S    wait S seconds, then answer normally
  trunc       Content-Length of the full body, half of it sent, closed
  badjson     a complete HTTP answer whose JSON body is cut short
  html        200 with Content-Type text/html
  big         200 with a 10 MB JSON body
  reset       close the connection without answering
  stall:S     Content-Length of the full body, half of it sent, then
              nothing for S seconds (default 5) before closing
  rstbody     half the body, then a TCP reset (RST) instead of a close
  bigchunked  200 with a 10 MB chunked body (no Content-Length to refuse)
  future      a price answer (CoinGecko, Coinbase, OKX) stamped in the
              year 2100 (a glitch)
  past[:S]    a price answer stamped S seconds (default 300) before now
  envelope:C  HTTP 200 with an OKX error envelope of code C (50011: rate
              limit reached, transient; 51000: a bad parameter, permanent)
  404         Not Found (permanent)
  garbage     200, Content-Type JSON, a body that is not JSON at all
  shape       200 with JSON in the wrong shape ({"unexpected": true})
  hang[:S]    read the request, answer nothing for S seconds (default
              3600), then close

An item ACTION*N stands for N of it.  After the plan is used up every
request is "ok".  --history-plan is the
same list consumed by the history requests alone (klines, candles, OHLC,
history-candles, market_chart), which then leave --plan to the others:
a warm start that fails while live polls go on.

History for warm starts: Binance klines, Coinbase candles
(/products/{id}/candles, newest first), Kraken OHLC (/0/public/OHLC, the
last row the bar still open), OKX history-candles (newest first, the bar
still open with confirm "0") and CoinGecko market_chart/range (5-minute
points for a range within the last day, else hourly), all from the same
deterministic bar formula.  --live-clock stamps live answers with the real
time (CoinGecko last_updated_at, Coinbase ticker time, OKX ticker ts,
Binance trades from the server's start, 50 ms apart) so a warm start's
live data follows its bars.

OKX answers in its envelope {"code":"0","msg":"","data":[...]}: an unknown
instId is HTTP 200 with code 51001, a missing one HTTP 400 with 50014, a
bar other than 1m HTTP 400 with 51000.  GET /_log returns one
JSON object per request seen: time, path, action, client port, headers.
"""
import argparse
import calendar
import email.utils
import gzip
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from plan import expand

BASE = {"BTC": 50000.0, "ETH": 3000.0, "SOL": 100.0, "XBT": 50000.0}
GECKO = {"bitcoin": "BTC", "ethereum": "ETH", "solana": "SOL"}
T0 = 1700000000  # seconds

LIVE = {"start": 0}   # ms; set by --live-clock
lock = threading.Lock()
state = {"n": 0, "plan": [], "hplan": [], "log": [], "last": {}}


def price(base, n):
    return BASE[base] + 1.25 * n


def trade_time(k):
    if LIVE["start"]:
        return LIVE["start"] + 50 * k
    return T0 * 1000 + 20000 * k


def trade(base, k):
    """Binance aggTrade number k (k >= 1) of a symbol: one every 20 s,
    so 3 trades a step make a minute of market time per poll."""
    return {"a": k, "p": "%.8f" % (BASE[base] + 0.5 * k),
            "q": "%.8f" % (0.001 * (k % 17 + 1)), "f": k, "l": k,
            "T": trade_time(k), "m": k % 2 == 0, "M": True}


def bar(base, open_ms):
    """(close, volume) of the 1-minute bar opening at open_ms."""
    m = open_ms // 60000
    return BASE[base] + 0.5 * (m % 1000) + 0.01, 1.0 + 0.25 * (m % 7)


def kline(base, open_ms):
    close, vol = bar(base, open_ms)
    return [open_ms, "%.8f" % (close - 1), "%.8f" % (close + 2),
            "%.8f" % (close - 3), "%.8f" % close, "%.8f" % vol,
            open_ms + 59999, "%.8f" % (vol * close), 42, "0.5", "1.0", "0"]


def iso_ms(s):
    """2024-01-02T03:04:05.000Z (or without fraction) to ms."""
    s = s.rstrip("Z")
    main, _, frac = s.partition(".")
    t = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
    return t * 1000 + int((frac + "000")[:3])


def binance_base(sym):
    for q in ("USDT", "USD", "BUSD"):
        if sym.endswith(q) and sym[:-len(q)] in BASE:
            return sym[:-len(q)]
    return None


def okx_base(inst):
    """BTC for BTC-USDT (OKX names instruments BASE-QUOTE), else None."""
    base, _, quote = inst.partition("-")
    return base if base in BASE and quote in ("USDT", "USDC", "USD") \
        else None


def okx_error(code, msg):
    return {"code": code, "msg": msg, "data": []}


def okx_candle(base, open_ms, confirm):
    close, vol = bar(base, open_ms)
    return [str(open_ms), "%.8f" % (close - 1), "%.8f" % (close + 2),
            "%.8f" % (close - 3), "%.8f" % close, "%.8f" % vol,
            "%.8f" % (vol * close), "%.8f" % (vol * close), confirm]


OKX_PATHS = ("/api/v5/market/ticker", "/api/v5/market/history-candles")


def is_history(path):
    """A warm start's or --history's request."""
    return path in ("/api/v3/klines", "/0/public/OHLC",
                    "/api/v5/market/history-candles") or \
        path.endswith("/candles") or path.endswith("/market_chart/range")


def stamp(path, body, ms):
    """A price answer restamped at ms (the future and past faults)."""
    if path == "/api/v3/simple/price":
        return {c: dict(o, last_updated_at=ms // 1000)
                for c, o in body.items()}
    if path.startswith("/products/") and path.endswith("/ticker"):
        return dict(body, time=time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".000000Z")
    if path == "/api/v5/market/ticker" and body.get("data"):
        return dict(body, data=[dict(body["data"][0], ts=str(ms))])
    return body


class API:
    """Builds (status, body, extra headers) for an API path; n is the
    market step the answer describes."""

    def __init__(self, args):
        self.args = args

    def answer(self, url, n):
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        p = url.path
        if p == "/api/v3/simple/price":
            out = {}
            vs = q.get("vs_currencies", "usd").split(",")
            for cid in q.get("ids", "").split(","):
                if cid not in GECKO:
                    continue
                o = {}
                for v in vs:
                    o[v] = price(GECKO[cid], n)
                    o[v + "_24h_vol"] = 123456789.5 + n
                o["last_updated_at"] = int(time.time()) if \
                    LIVE["start"] else T0 + 10 * n
                out[cid] = o
            return 200, out
        if p.startswith("/api/v3/coins/") and p.endswith("/market_chart/range"):
            cid = p.split("/")[4]
            if cid not in GECKO:
                return 404, {"error": "coin not found"}
            lo, hi = int(q["from"]), int(q["to"])
            pts = []
            # CoinGecko: 5-minutely within a day of now, else hourly
            # (or every --gecko-step seconds)
            g = self.args.gecko_step or (
                300 if time.time() - lo <= 86400 else 3600)
            h = (lo + g - 1) // g * g
            while h <= hi:
                if g == 300 and not self.args.gecko_step:
                    px = bar(GECKO[cid], h * 1000)[0]
                else:
                    px = price(GECKO[cid], h // g % 977)
                pts.append([h * 1000 + 17, px])
                h += g
            return 200, {"prices": pts,
                         "market_caps": [[t, px * 1.9e7] for t, px in pts],
                         "total_volumes": [[t, 2.5e10] for t, _ in pts]}
        if p == "/api/v3/aggTrades":
            base = binance_base(q.get("symbol", ""))
            if not base:
                return 400, {"code": -1121, "msg": "Invalid symbol."}
            latest = self.args.trades_per_step * n
            if "startTime" in q and "fromId" not in q:
                st = int(q["startTime"])
                ks = [k for k in range(1, latest + 1) if trade_time(k) >= st]
                ks = ks[:int(q.get("limit", 500))]
                return 200, [trade(base, k) for k in ks]
            if "fromId" in q:
                lo = int(q["fromId"])
                hi = min(latest, lo + int(q.get("limit", 500)) - 1)
            else:
                hi = latest
                lo = max(1, latest - int(q.get("limit", 500)) + 1)
            return 200, [trade(base, k) for k in range(lo, hi + 1)]
        if p == "/api/v3/klines":
            base = binance_base(q.get("symbol", ""))
            if not base:
                return 400, {"code": -1121, "msg": "Invalid symbol."}
            start, end = int(q["startTime"]), int(q["endTime"])
            limit = min(int(q.get("limit", 500)), self.args.page_cap)
            m = (start + 59999) // 60000 * 60000
            bars = []
            while m <= end and len(bars) < limit:
                if not (self.args.gap_from <= m < self.args.gap_to):
                    bars.append(kline(base, m))
                m += 60000
            return 200, bars
        if p.startswith("/products/") and p.endswith("/candles"):
            base = p.split("/")[2].split("-")[0]
            if base not in BASE:
                return 404, {"message": "NotFound"}
            if q.get("granularity") != "60":
                return 400, {"message": "Unsupported granularity"}
            start = iso_ms(q["start"]) // 60000 * 60000
            end = min(iso_ms(q["end"]), time.time() * 1000)
            rows = []
            m = start
            while m <= end and len(rows) < 300:
                close, vol = bar(base, m)
                rows.append([m // 1000, close - 3, close + 2, close - 1,
                             close, vol])
                m += 60000
            return 200, rows[::-1]
        if p == "/0/public/OHLC":
            pair = q.get("pair", "")
            base = pair[:3]
            if base not in BASE or not pair.endswith("USD"):
                return 200, {"error": ["EQuery:Unknown asset pair"]}
            now = int(time.time()) // 60 * 60
            since = int(q.get("since", now - 720 * 60))
            first = max(since // 60 * 60 + 60, now - 719 * 60)
            rows = []
            for t in range(first, now + 60, 60):
                close, vol = bar(base, t * 1000)
                rows.append([t, "%.1f" % (close - 1), "%.1f" % (close + 2),
                             "%.1f" % (close - 3), "%.2f" % close,
                             "%.2f" % close, "%.8f" % vol, 7])
            key = "X%sZUSD" % base if base in ("XBT", "ETH") else pair
            return 200, {"error": [], "result": {
                key: rows, "last": rows[-2][0] if len(rows) > 1 else since}}
        if p.startswith("/products/") and p.endswith("/ticker"):
            pid = p.split("/")[2]
            base = pid.split("-")[0]
            if base not in BASE:
                return 404, {"message": "NotFound"}
            t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
                time.time() if LIVE["start"] else T0 + n))
            return 200, {"ask": "1", "bid": "1", "volume": "1207.5",
                         "trade_id": 1000 + n, "price": "%.2f" % price(base, n),
                         "size": "0.0073", "time": t + ".270099Z"}
        if p == "/0/public/Ticker":
            res = {}
            for pair in q.get("pair", "").split(","):
                base = pair[:3]
                if base not in BASE or not pair.endswith("USD"):
                    return 200, {"error": ["EQuery:Unknown asset pair"]}
                key = "X%sZUSD" % base if base in ("XBT", "ETH") else pair
                px = "%.1f" % price(base, n)
                res[key] = {"a": [px, "1", "1.0"], "b": [px, "1", "1.0"],
                            "c": [px, "0.0100"], "v": ["10.5", "20.5"],
                            "p": [px, px], "t": [n, n + 100],
                            "l": [px, px], "h": [px, px], "o": px}
            return 200, {"error": [], "result": res}
        if p in OKX_PATHS:
            return self.okx(p, q, n)
        return 404, {"error": "no such endpoint: " + p}

    def okx(self, p, q, n):
        inst = q.get("instId")
        if not inst:
            return 400, okx_error("50014", "Parameter instId can not be "
                                  "empty.")
        base = okx_base(inst)
        if not base:
            return 200, okx_error("51001", "Instrument ID does not exist")
        if p == "/api/v5/market/ticker":
            px = "%.2f" % price(base, n)
            ts = int(time.time() * 1000) if LIVE["start"] else \
                (T0 + 10 * n) * 1000 + 500
            return 200, {"code": "0", "msg": "", "data": [{
                "instType": "SPOT", "instId": inst, "last": px,
                "lastSz": "0.0073", "askPx": px, "askSz": "1",
                "bidPx": px, "bidSz": "1", "open24h": px, "high24h": px,
                "low24h": px, "volCcy24h": "60375000.5",
                "vol24h": "1207.5", "ts": str(ts), "sodUtc0": px,
                "sodUtc8": px}]}
        # history-candles: bars opening after `before` and before
        # `after` (both exclusive), the newest `limit` of them, newest
        # first; the bar of the current minute is still open
        if q.get("bar", "1m") != "1m":
            return 400, okx_error("51000", "Parameter bar error")
        limit = min(int(q.get("limit", 100)), 300, self.args.page_cap)
        now = int(time.time()) // 60 * 60000
        top = min(int(q["after"]) - 1 if "after" in q else now, now)
        top = top // 60000 * 60000
        low = int(q["before"]) if "before" in q else -1
        rows = []
        m = top
        while m > low and len(rows) < limit:
            if not (self.args.gap_from <= m < self.args.gap_to):
                rows.append(okx_candle(base, m, "0" if m == now else "1"))
            m -= 60000
        return 200, {"code": "0", "msg": "", "data": rows}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # headers and body go out separately
    api = None

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="application/json", extra=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        gz = "gzip" in self.headers.get("Accept-Encoding", "")
        if gz:
            data = gzip.compress(data, 1)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_chunked(self, size):
        """200 with a JSON body of about size bytes, chunked, not
        compressed: a client can only stop it by counting."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        piece = b"x" * 65536
        try:
            for data in [b'{"pad":"'] + [piece] * (size // len(piece)) + \
                    [b'"}']:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/_log":
            with lock:
                body = "".join(json.dumps(e) + "\n" for e in state["log"])
            return self.send(200, body.encode(), "application/x-ndjson")
        with lock:
            plan = state["hplan"] if is_history(url.path) and \
                state["hplan"] else state["plan"]
            action = plan.pop(0) if plan else "ok"
            state["log"].append({"t": time.monotonic(), "path": self.path,
                                 "action": action,
                                 "port": self.client_address[1],
                                 "ua": self.headers.get("User-Agent", ""),
                                 "ae": self.headers.get("Accept-Encoding", ""),
                                 "key": self.headers.get("x-cg-demo-api-key",
                                                         "")})
        need = self.server.args.require_key
        if need and self.headers.get("x-cg-demo-api-key") != need:
            return self.send(401, {"status": {"error_code": 10002,
                                   "error_message": "API key missing"}})
        kind, _, arg = action.partition(":")
        okx = url.path in OKX_PATHS
        if kind == "429" and okx:
            return self.send(429, {"msg": "Too Many Requests",
                                   "code": "50011"},
                             extra={"Retry-After": arg} if arg else None)
        if kind == "429":
            return self.send(429, {"status": "rate limited"},
                             extra={"Retry-After": arg or "1"})
        if kind == "envelope":
            return self.send(200, okx_error(arg, "injected " + arg))
        if kind == "429date":
            when = email.utils.formatdate(time.time() + 1, usegmt=True)
            return self.send(429, {"status": "rate limited"},
                             extra={"Retry-After": when})
        if kind == "hang":
            time.sleep(float(arg or 3600))
            self.close_connection = True
            return
        if kind == "garbage":
            return self.send(200, b"\x00\xff<<garbage>>\n not json")
        if kind == "shape":
            return self.send(200, {"unexpected": True})
        if kind in ("500", "503", "401", "404"):
            extra = {"Retry-After": "0"} if kind == "503" else None
            return self.send(int(kind), {"error": "injected " + kind},
                             extra=extra)
        if kind == "slow":
            time.sleep(float(arg or 2))
            try:
                return self.send(503, {"error": "slow"})
            except OSError:
                return
        if kind == "reset":
            self.close_connection = True
            return
        if kind == "html":
            return self.send(200, b"<html><body>maintenance</body></html>",
                             "text/html")
        if kind == "big":
            return self.send(200, b'{"pad":"' + b"x" * (10 << 20) + b'"}')
        if kind == "bigchunked":
            return self.send_chunked(10 << 20)
        if kind == "slowok":
            time.sleep(float(arg or 0.3))
        key = url.path
        with lock:
            if kind == "same" and key in state["last"]:
                status, body = state["last"][key]
            elif kind in ("trunc", "badjson", "stall", "rstbody"):
                # the client never gets this answer: do not advance
                status, body = self.api.answer(url, state["n"] + 1)
            else:
                # history is static; a client still paging through a full
                # page of trades has not caught up, so the market waits
                if url.path not in ("/api/v3/klines",
                                    "/api/v5/market/history-candles") and \
                        "market_chart" not in url.path and \
                        not (key == "/api/v3/aggTrades" and state.get("hold")):
                    state["n"] += 1
                status, body = self.api.answer(url, state["n"])
                if kind == "future" and status == 200:
                    body = stamp(key, body, 4102444800000)
                if kind == "past" and status == 200:
                    body = stamp(key, body, int(time.time() * 1000) -
                                 int(float(arg or 300) * 1000))
                state["last"][key] = (status, body)
                if key == "/api/v3/aggTrades":
                    qs = parse_qs(url.query)
                    lim = int(qs.get("limit", ["500"])[0])
                    state["hold"] = status == 200 and "fromId" in qs and \
                        len(body) == lim
        data = json.dumps(body).encode()
        if kind == "badjson":
            return self.send(200, data[: len(data) // 2])
        if kind in ("trunc", "stall", "rstbody"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if kind == "stall":
                time.sleep(float(arg or 5))
            if kind == "rstbody":
                self.connection.setsockopt(socket.SOL_SOCKET,
                                           socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        headers = {"X-MBX-USED-WEIGHT-1M": "2"} if "klines" in key else None
        return self.send(status, data, extra=headers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--plan", default="")
    ap.add_argument("--history-plan", default="")
    ap.add_argument("--page-cap", type=int, default=1000)
    ap.add_argument("--gecko-step", type=int, default=0,
                    help="seconds between CoinGecko history points (0: as the API)")
    ap.add_argument("--trades-per-step", type=int, default=3)
    ap.add_argument("--gap-from", type=int, default=0)
    ap.add_argument("--gap-to", type=int, default=0)
    ap.add_argument("--require-key", default="")
    ap.add_argument("--live-clock", action="store_true")
    args = ap.parse_args()
    if args.live_clock:
        LIVE["start"] = int(time.time() * 1000)
    state["plan"] = expand(args.plan)
    state["hplan"] = expand(args.history_plan)
    Handler.api = API(args)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.args = args
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
