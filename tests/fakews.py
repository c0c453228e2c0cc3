#!/usr/bin/env python3
"""Fake Binance / Coinbase / Kraken / OKX trade streams for cmt-fetch
--stream tests, with the REST trades endpoints the client fills gaps from.

One port on 127.0.0.1 (written to --port-file) answers WebSocket upgrades
with a scripted stream and plain GETs with REST answers, both in the
exchange's documented shapes:

  binance   combined stream: {"stream":"btcusdt@aggTrade","data":{"e":
            "aggTrade",...}}; SUBSCRIBE answered {"result":null,"id":1};
            REST /api/v3/aggTrades?symbol=&fromId=|startTime=&limit=
  coinbase  {"type":"subscriptions",...} then {"type":"match",...};
            REST /products/{id}/trades?limit=&after= (newest first)
  kraken    v2: {"channel":"status",...}, {"method":"subscribe",
            "success":true,...}, {"channel":"trade","type":"update",
            "data":[...]}; REST /0/public/Trades?pair=&since=&count=
  okx       {"op":"subscribe","args":[{"channel":"trades","instId":..}]}
            answered {"event":"subscribe","arg":{..},"connId":..} per
            arg (an unknown instId: {"event":"error","code":"60018",..});
            pushes {"arg":{..},"data":[{"instId","tradeId","px","sz",
            "side","ts","count",..}]} (numbers as strings); the text
            "ping" is answered with the text "pong"; REST
            /api/v5/market/history-trades?instId=&type=1&after=|before=
            &limit= (newest first, at most 100) in OKX's envelope

The market: trade k (k >= 1) of each symbol has id ID0+k, price base +
0.5 k, size 0.001 (k % 17 + 1), time T0 + 250 k ms, and the taker bought
when k is even.  --expect prints the ticks cmt-fetch must write for a list
of k (a~b: the one record of trades a..b that agg:a-b sends), computed
here apart from the C code.

--script: connections separated by "|", each a comma list of actions run
after the subscription is answered:
  T:a-b        trades a..b of every symbol, one message each (kraken: one
               message per trade holding every symbol's trade k)
  bad          a message that is not JSON
  big:k        trade k padded to 2 MiB (an oversized frame)
  close:CODE   close with that code (reason "scripted")
  abort        drop the TCP connection without a close frame
  P:a-b:S      trades a..b as T does, S seconds apart
  agg:a-b      okx: one record for trades a..b as OKX aggregates a taker
               order's matches (tradeId b's, count b-a+1, the size
               summed, b's price, time and side)
  future:k     trade k stamped in the year 2100 (a glitch of the venue)
  early:k      trade k stamped 2 minutes before --t0 (before a warm
               start's boundary when --t0 is the time the tool starts)
  dupkey:k     trade k's message naming the price key twice, a wrong
               price first (the one JSON rule: never taken)
  hang         stop answering pings and sending; wait for the client
  ping         ping the client; log "pong" or close 1011 after 2 s
  suberr       refuse the subscription in the exchange's shape
  sleep:S      pause S seconds
The hostile ones (the adversarial pass):
  frag:k:N     trade k's message in N fragments
  fragping:k   in two fragments with a ping between them
  binary:k     trade k's message in a binary frame
  badutf8:k    trade k's message with invalid UTF-8 in a string
  trickle:k:S  trade k's frame one byte at a time over S seconds, pings
               unanswered meanwhile (a slowloris frame)
  silent       (first) subscription never answered, nothing sent; the
               protocol's pings are answered
  shape:a-b    trades a..b with the price key renamed (a venue that
               changed its message shape)
  neg:k        trade k with a negative price
  hugeid:k     trade k with id 9000000000000000
  renum:a-b:D  trades a..b with ids D lower (the venue renumbered)
  pingflood:N  N pings in a row
  closeesc     close 1000 with a reason holding terminal escapes and a
               newline
  esc          a message of terminal escapes and CR LF, not JSON
  nul:k        trade k's message with a NUL byte in it
  empty        an empty text frame
  nested:D     a JSON array nested D deep
  badframe     a frame with RSV1 set (no extension agreed)
  other:k      trade k of a symbol nobody subscribed to
  many:a-b     trades a..b in one message (kraken, okx)
After its actions a connection idles (answering pings) until the client
leaves.  With --idle-close S a connection that gets no message from the
client for S seconds (protocol pings do not count; OKX's text "ping"
does) is closed with 4004, as OKX closes one after 30 s.

--rest-plan: a comma list consumed one item per REST trades request:
"ok"; "dupkey" (the page names the first trade's price key twice, a
wrong price first); "404", "500", "503" (the status); "429[:S]" (with
Retry-After: S, default 1); "garbage" (200 with a body that is not
JSON); "shape" (200 with JSON in no venue's shape); "hang[:S]" (no
answer for S seconds, default 3600); "slowok[:S]" (the answer after S
seconds, default 1, logged "answered" when sent); "future:K" (trade K,
if the page holds it, stamped in the year 2100).  ACTION*N stands for N
of it.
--history-plan is the same list for the warm start's bar requests.
--rest-order serves trade pages asc (oldest first), desc (newest first)
or mixed (odd places, then even ones) instead of the venue's order;
--rest-overlap N adds to each page the N trades the page before held
already (paged back by id: those at and after its cursor; paged forward:
those before its start).  Every event is appended to --log.
"""
import argparse
import asyncio
import calendar
import http
import json
import os
import sys
import time
from urllib.parse import parse_qs, urlparse

import websockets

from plan import expand

BASE = {"BTC": 50000.0, "ETH": 3000.0, "XBT": 50000.0}
ID0 = {"binance": 100, "coinbase": 7000, "kraken": 90000, "okx": 242720000}
FUTURE = 4102444800000     # 2100-01-01, ms
PRICE_KEY = {"binance": "p", "coinbase": "price", "kraken": "price",
             "okx": "px"}
CONN_ID = "a4d3ae55"


def px_of(sym, k):
    return BASE[sym.split("-")[0]] + 0.5 * k


def iso_to_ms(s):
    main, _, frac = s.rstrip("Z").partition(".")
    t = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
    return t * 1000 + int((frac + "000")[:3])


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ".%03d%03dZ" % (ms % 1000, 123)


def dup_key(text, key):
    """text with its first "key" named twice, a wrong value first (a
    string or a number, as the real one)."""
    at = text.index('"%s": ' % key)
    real = text[at + len(key) + 4:]
    wrong = '"1"' if real.startswith('"') else "1"
    return text[:at] + '"%s": %s, ' % (key, wrong) + text[at:]


def frame(opcode, payload, fin=True, rsv=0):
    """A server's WebSocket frame (unmasked), written as it is."""
    b0 = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    if n < 126:
        head = bytes([b0, n])
    elif n < 65536:
        head = bytes([b0, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, 127]) + n.to_bytes(8, "big")
    return head + payload


def neg_price(text, key):
    """text with its first price negative."""
    at = text.index('"%s": ' % key) + len(key) + 4
    return text[:at] + (text[at] + "-" if text[at] == '"' else "-") + \
        text[at + (1 if text[at] == '"' else 0):]


def okx_ok(data):
    return {"code": "0", "msg": "", "data": data}


def okx_error(code, msg):
    return {"code": code, "msg": msg, "data": []}


class Market:
    def __init__(self, a):
        self.a = a
        self.syms = a.symbols.split(",")   # BASE-QUOTE

    def k_of(self, tid):
        return tid - ID0[self.a.source]

    def fields(self, sym, k, t=None):
        return {"id": ID0[self.a.source] + k, "px": px_of(sym, k),
                "qty": "%.8f" % (0.001 * (k % 17 + 1)),
                "t": self.a.t0 + 250 * k if t is None else t,
                "buy": k % 2 == 0}

    # -- stream messages --
    def msg(self, k, pad=0, t=None, dup=False):
        """The messages of trade k: pad bytes of padding, stamped at t
        (ms) instead of its time, its price key named twice."""
        out = [self.message(k, pad, t)] if self.a.source == "kraken" else \
            [self.message(k, pad, t, s) for s in self.syms]
        return [dup_key(m, PRICE_KEY[self.a.source]) if dup else m
                for m in out]

    def message(self, k, pad, t, s=None):
        src = self.a.source
        if src == "kraken":
            data = []
            for s in self.syms:
                f = self.fields(s, k, t)
                data.append({"symbol": s.replace("-", "/"),
                             "side": "buy" if f["buy"] else "sell",
                             "price": f["px"], "qty": float(f["qty"]),
                             "ord_type": "market", "trade_id": f["id"],
                             "timestamp": iso(f["t"])})
            m = {"channel": "trade", "type": "update", "data": data}
            if pad:
                m["pad"] = "x" * pad
            return json.dumps(m)
        f = self.fields(s, k, t)
        if src == "binance":
            sid = s.replace("-", "").lower()
            m = {"stream": sid + "@aggTrade",
                 "data": {"e": "aggTrade", "E": f["t"] + 3,
                          "s": sid.upper(), "a": f["id"],
                          "p": "%.8f" % f["px"], "q": f["qty"],
                          "f": 2 * f["id"], "l": 2 * f["id"] + 1,
                          "T": f["t"], "m": not f["buy"], "M": True}}
        elif src == "okx":
            arg = {"channel": "trades", "instId": s}
            m = {"arg": arg, "data": [dict(self.okx_row(s, k, t),
                                           count="1", seqId=k)]}
        else:
            m = {"type": "match", "trade_id": f["id"],
                 "maker_order_id": "ac928c66-ca53-498f-9c13-a110027a60e8",
                 "taker_order_id": "132fb6ae-456b-4654-b4e0-d681ac05cea1",
                 # Coinbase names the maker's side
                 "side": "sell" if f["buy"] else "buy",
                 "size": f["qty"], "price": "%.8f" % f["px"],
                 "product_id": s, "sequence": 50 + k,
                 "time": iso(f["t"])}
        if pad:
            m["pad"] = "x" * pad
        return json.dumps(m)

    def many(self, a, b):
        """Trades a..b of the first symbol in one message where the venue
        batches (kraken, okx: a data array); else the first one's."""
        src, sym = self.a.source, self.syms[0]
        if src == "kraken":
            one = json.loads(self.message(a, 0, None))
            one["data"] = [json.loads(self.message(k, 0, None))["data"][0]
                           for k in range(a, b + 1)]
            return json.dumps(one)
        if src == "okx":
            return json.dumps({"arg": {"channel": "trades", "instId": sym},
                               "data": [dict(self.okx_row(sym, k), count="1",
                                             seqId=k)
                                        for k in range(a, b + 1)]})
        return self.message(a, 0, None, sym)

    def agg(self, a, b):
        """OKX's record of trades a..b of one taker order, per symbol."""
        out = []
        for s in self.syms:
            row = dict(self.okx_row(s, b), count=str(b - a + 1), seqId=b)
            row["sz"] = "%.8f" % sum(float(self.fields(s, k)["qty"])
                                     for k in range(a, b + 1))
            out.append(json.dumps({"arg": {"channel": "trades",
                                           "instId": s}, "data": [row]}))
        return out

    def okx_row(self, s, k, t=None):
        """OKX's trade record: every number a string, side the taker's."""
        f = self.fields(s, k, t)
        return {"instId": s, "tradeId": str(f["id"]), "px": "%.1f" % f["px"],
                "sz": f["qty"], "side": "buy" if f["buy"] else "sell",
                "ts": str(f["t"]), "source": "0"}

    def ack(self, req):
        src = self.a.source
        if src == "binance":
            return [json.dumps({"result": None, "id": req.get("id", 1)})]
        if src == "coinbase":
            return [json.dumps({"type": "subscriptions", "channels": [
                {"name": "matches", "product_ids": self.syms}]})]
        if src == "okx":
            return [json.dumps({"event": "subscribe", "arg": a,
                                "connId": CONN_ID})
                    if a.get("instId") in self.syms else
                    self.okx_suberr(a.get("instId"))
                    for a in req.get("args", [])]
        return [json.dumps({"method": "subscribe", "result": {
            "channel": "trade", "snapshot": False,
            "symbol": s.replace("-", "/")}, "success": True,
            "time_in": "2023-09-25T09:04:31.742599Z",
            "time_out": "2023-09-25T09:04:31.742648Z"}) for s in self.syms]

    def suberr(self):
        src = self.a.source
        if src == "binance":
            return json.dumps({"error": {"code": 2, "msg": "Invalid request:"
                               " unknown stream name"}, "id": 1})
        if src == "coinbase":
            return json.dumps({"type": "error", "message":
                               "Failed to subscribe", "reason":
                               "FOO-USD is not a valid product"})
        if src == "okx":
            return self.okx_suberr("FOO-USDT")
        return json.dumps({"error": "Currency pair not supported FOO/USD",
                           "method": "subscribe", "success": False,
                           "symbol": "FOO/USD",
                           "time_in": "2023-09-25T09:04:31.742599Z",
                           "time_out": "2023-09-25T09:04:31.742648Z"})

    def okx_suberr(self, inst):
        return json.dumps({"event": "error", "code": "60018", "msg":
                           "Wrong URL or channel:trades,instId:%s doesn't "
                           "exist. Please use the correct URL, channel and "
                           "parameters referring to API document." % inst,
                           "connId": CONN_ID})

    # -- REST --
    TRADES = ("/api/v3/aggTrades", "/0/public/Trades",
              "/api/v5/market/history-trades")

    def is_trades(self, path):
        return path in self.TRADES or (path.startswith("/products/") and
                                       path.endswith("/trades"))

    def order(self, rows, newest_first=True):
        """A page in the venue's order (newest_first: paged back by id),
        or in the order --rest-order asks: asc (oldest first), desc
        (newest first), mixed (odd places, then even ones)."""
        asc = rows[::-1] if newest_first else rows
        o = self.a.rest_order
        if o == "venue":
            return rows
        if o == "desc":
            return asc[::-1]
        if o == "mixed":
            return asc[1::2] + asc[0::2]
        return asc

    def fwd_ks(self, lo, lim):
        """k of a page forward from lo, with --rest-overlap the trades
        before lo, which the page before held."""
        first = max(lo - self.a.rest_overlap, 1)
        return [k for k in range(first, self.a.latest + 1)][
            :lim + lo - first]

    def back_ks(self, top, lim, cursor):
        """k of a page back from top (newest first), with --rest-overlap
        the trades at and after the cursor k before them."""
        hi = self.a.latest
        ks = [k for k in range(min(top, hi), 0, -1)][:lim]
        if cursor is not None and self.a.rest_overlap:
            ks = [k for k in range(min(cursor + self.a.rest_overlap - 1,
                                       hi), cursor - 1, -1)] + ks
        return ks

    def rest(self, url):
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        src = self.a.source
        cap = self.a.page_cap
        hi = self.a.latest
        # warm start: 1-minute bars, close c = 100 + minute % 50, open
        # c - 1, high c + 2, low c - 3, volume 2
        if src == "binance" and url.path == "/api/v3/klines":
            m = (int(q["startTime"]) + 59999) // 60000 * 60000
            rows = []
            while m <= int(q["endTime"]) and len(rows) < 1000:
                c = 100 + m // 60000 % 50
                rows.append([m, "%d" % (c - 1), "%d" % (c + 2),
                             "%d" % (c - 3), "%d" % c, "2", m + 59999,
                             "1", 1, "1", "1", "0"])
                m += 60000
            return 200, rows
        if src == "coinbase" and url.path.endswith("/candles"):
            lo = iso_to_ms(q["start"]) // 60000 * 60000
            hi = min(iso_to_ms(q["end"]), int(time.time() * 1000))
            rows = [[m // 1000, c - 3, c + 2, c - 1, c, 2]
                    for m in range(lo, hi + 1, 60000)
                    for c in [100 + m // 60000 % 50]]
            return 200, rows[::-1]
        if src == "okx" and url.path == "/api/v5/market/history-candles":
            now = int(time.time()) // 60 * 60000
            top = min(int(q["after"]) - 1 if "after" in q else now, now)
            low = int(q.get("before", -1))
            m, rows = top // 60000 * 60000, []
            while m > low and len(rows) < min(int(q.get("limit", 100)), 300):
                c = 100 + m // 60000 % 50
                rows.append([str(m), "%d" % (c - 1), "%d" % (c + 2),
                             "%d" % (c - 3), "%d" % c, "2", "2",
                             "%d" % (2 * c), "0" if m == now else "1"])
                m -= 60000
            return 200, okx_ok(rows)
        if src == "kraken" and url.path == "/0/public/OHLC":
            now = int(time.time()) // 60 * 60
            first = int(q["since"]) // 60 * 60 + 60
            rows = [[t, "%d" % (c - 1), "%d" % (c + 2), "%d" % (c - 3),
                     "%d" % c, "1", "2", 5]
                    for t in range(first, now + 60, 60)
                    for c in [100 + t // 60 % 50]]
            return 200, {"error": [], "result": {"XXBTZUSD": rows,
                                                 "last": now - 60}}
        if src == "binance" and url.path == "/api/v3/aggTrades":
            s = self.sym_by(q.get("symbol", ""), lambda s: s.replace("-", ""))
            if not s:
                return 400, {"code": -1121, "msg": "Invalid symbol."}
            lim = min(int(q.get("limit", 500)), cap)
            if "fromId" in q:
                lo = self.k_of(int(q["fromId"]))
            else:
                st = int(q.get("startTime", 0))
                lo = max(1, -(-(st - self.a.t0) // 250))
            ks = self.fwd_ks(max(lo, 1), lim)
            return 200, self.order([self.rest_row(s, k) for k in ks],
                                   False)
        if src == "coinbase" and url.path.startswith("/products/") and \
                url.path.endswith("/trades"):
            s = self.sym_by(url.path.split("/")[2], lambda s: s)
            if not s:
                return 404, {"message": "NotFound"}
            lim = min(int(q.get("limit", 100)), cap)
            cur = self.k_of(int(q["after"])) if "after" in q else None
            ks = self.back_ks(hi if cur is None else cur - 1, lim, cur)
            return 200, self.order([self.rest_row(s, k) for k in ks])
        if src == "okx" and url.path == "/api/v5/market/history-trades":
            s = self.sym_by(q.get("instId", ""), lambda s: s)
            if not s:
                return 200, okx_error("51001", "Instrument ID does not "
                                      "exist")
            if q.get("type", "1") != "1":
                return 200, okx_error("51000", "Parameter type error")
            lim = min(int(q.get("limit", 100)), 100, cap)
            cur = self.k_of(int(q["after"])) if "after" in q else None
            ks = self.back_ks(hi if cur is None else cur - 1, lim, cur)
            if "before" in q:
                ks = [k for k in ks if k > self.k_of(int(q["before"]))]
            return 200, okx_ok(self.order([self.okx_row(s, k)
                                           for k in ks]))
        if src == "kraken" and url.path == "/0/public/Trades":
            s = self.sym_by(q.get("pair", ""), lambda s: s.replace(
                "BTC", "XBT").replace("-", ""))
            if not s:
                return 200, {"error": ["EQuery:Unknown asset pair"]}
            lim = min(int(q.get("count", 1000)), cap)
            since = int(q.get("since", 0))
            ns = since if since > 10 ** 12 else since * 10 ** 9
            ks = [k for k in range(1, hi + 1)
                  if (self.a.t0 + 250 * k) * 10 ** 6 >
                  (ns if since > 10 ** 12 else ns - 1)]
            ks = self.fwd_ks(ks[0], lim) if ks else []
            last = (self.a.t0 + 250 * ks[-1]) * 10 ** 6 if ks else ns
            key = "XXBTZUSD" if s.startswith("BTC") else "X" + \
                s.replace("-", "Z")
            return 200, {"error": [], "result": {
                key: self.order([self.rest_row(s, k) for k in ks], False),
                "last": str(last)}}
        return 404, {"error": "no such endpoint: " + url.path}

    def restamp(self, body, k, ms):
        """A REST trades page with trade k (of any symbol) stamped at
        ms, in the venue's own time field."""
        src = self.a.source
        rows = body["data"] if src == "okx" else body if src in (
            "binance", "coinbase") else next(
                v for n, v in body["result"].items() if n != "last")
        tid = ID0[src] + k
        for r in rows:
            if src == "binance" and r["a"] == tid:
                r["T"] = ms
            elif src == "coinbase" and r["trade_id"] == tid:
                r["time"] = iso(ms)
            elif src == "okx" and r["tradeId"] == str(tid):
                r["ts"] = str(ms)
            elif src == "kraken" and r[6] == tid:
                r[2] = ms / 1000.0
        return body

    def sym_by(self, name, fn):
        for s in self.syms:
            if fn(s) == name:
                return s
        return None

    def rest_row(self, s, k):
        f = self.fields(s, k)
        src = self.a.source
        if src == "binance":
            return {"a": f["id"], "p": "%.8f" % f["px"], "q": f["qty"],
                    "f": 2 * f["id"], "l": 2 * f["id"] + 1, "T": f["t"],
                    "m": not f["buy"], "M": True}
        if src == "okx":
            return self.okx_row(s, k)
        if src == "coinbase":
            return {"time": iso(f["t"]), "trade_id": f["id"],
                    "price": "%.8f" % f["px"], "size": f["qty"],
                    "side": "sell" if f["buy"] else "buy"}
        return ["%.5f" % f["px"], f["qty"], f["t"] / 1000.0,
                "b" if f["buy"] else "s", "m", "", f["id"]]

    def expect(self, spec):
        for part in spec.split(","):
            if "~" in part:
                a, _, b = part.partition("~")
                groups = [(int(a), int(b))]
            else:
                groups = [(k, k) for k in ranges(part)]
            for a, b in groups:
                for s in self.syms:
                    f = self.fields(s, b)
                    vol = float("%.8f" % sum(float(self.fields(s, k)["qty"])
                                             for k in range(a, b + 1)))
                    print('{"t":%d,"sym":"%s","px":%s,"vol":%s,"side":"%s",'
                          '"src":"%s"}' % (f["t"], s, "%.15g" % f["px"],
                                           "%.15g" % vol,
                                           "buy" if f["buy"] else "sell",
                                           self.a.source))


def ranges(spec):
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


class Server:
    def __init__(self, a):
        self.a = a
        self.m = Market(a)
        self.conns = [c.split(",") if c else [] for c in a.script.split("|")]
        self.rest_plan = expand(a.rest_plan)
        self.hist_plan = expand(a.history_plan)
        self.n = 0

    def log(self, *words):
        with open(self.a.log, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")

    async def process_request(self, path, headers):
        if headers.get("Upgrade", "").lower() == "websocket":
            return None
        url = urlparse(path)
        act = "ok"
        if self.m.is_trades(url.path) and self.rest_plan:
            act = self.rest_plan.pop(0)
        elif not self.m.is_trades(url.path) and self.hist_plan:
            act = self.hist_plan.pop(0)
        self.log("rest", path, *([act] if act != "ok" else []))
        kind, _, arg = act.partition(":")
        if kind == "hang":
            await asyncio.sleep(float(arg or 3600))
            return http.HTTPStatus(503), [], b""
        if kind in ("404", "500", "503"):
            return self.plain(int(kind), {"error": "injected " + kind})
        if kind == "429":
            return self.plain(429, {"error": "rate limited"},
                              [("Retry-After", arg or "1")])
        if kind == "garbage":
            return self.plain(200, b"\x00\xff<<garbage>>\n not json")
        if kind == "shape":
            return self.plain(200, {"unexpected": True})
        if kind == "slowok":
            await asyncio.sleep(float(arg or 1))
            self.log("answered", path)
        status, body = self.m.rest(url)
        if kind == "future":
            body = self.m.restamp(body, int(arg), FUTURE)
        text = json.dumps(body)
        if kind == "dupkey":
            text = dup_key(text, PRICE_KEY[self.a.source]
                           if self.a.source != "kraken" else "last")
        return self.plain(status, text.encode())

    @staticmethod
    def plain(status, body, extra=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return http.HTTPStatus(status), [("Content-Type", "application/json"),
                                         ("Content-Length", str(len(data)))] \
            + list(extra), data

    async def listen(self, ws, conn):
        """Reads what the client sends after its subscription: OKX's text
        keepalive is answered; every message counts as data from it."""
        try:
            async for m in ws:
                conn["heard"] = time.monotonic()
                if m == "ping" and self.a.source == "okx":
                    self.log("text ping")
                    if not conn["hung"]:
                        await ws.send("pong")
                else:
                    self.log("client", m[:80])
        except websockets.ConnectionClosed:
            pass

    async def watch(self, ws, conn):
        """--idle-close: close a connection the client left silent."""
        while True:
            await asyncio.sleep(0.05)
            if time.monotonic() - conn["heard"] >= self.a.idle_close:
                self.log("idle close 4004")
                await ws.close(4004, "No data received in 30s.")
                return

    async def act(self, ws, conn, kind, arg):
        """One scripted action; True when the connection is over."""
        if kind == "T":
            for k in ranges(arg):
                for m in self.m.msg(k):
                    await ws.send(m)
        elif kind == "P":
            span, _, pause = arg.partition(":")
            for k in ranges(span):
                for m in self.m.msg(k):
                    await ws.send(m)
                await asyncio.sleep(float(pause))
        elif kind == "agg":
            lo, _, hi = arg.partition("-")
            for m in self.m.agg(int(lo), int(hi)):
                await ws.send(m)
        elif kind == "future":
            for m in self.m.msg(int(arg), t=FUTURE + 250 * int(arg)):
                await ws.send(m)
        elif kind == "early":
            for m in self.m.msg(int(arg), t=self.a.t0 - 120000):
                await ws.send(m)
        elif kind == "dupkey":
            for m in self.m.msg(int(arg), dup=True):
                await ws.send(m)
        elif kind == "bad":
            await ws.send('{"stream":"btcusdt@aggTrade","data":{')
        elif kind == "big":
            for m in self.m.msg(int(arg), pad=2 << 20):
                await ws.send(m)
        elif kind == "close":
            await ws.close(int(arg), "scripted")
            self.log("closed", arg)
            return True
        elif kind == "abort":
            await asyncio.sleep(0.05)
            ws.transport.abort()
            self.log("aborted")
            return True
        elif kind == "hang":
            async def nopong(data=b""):
                self.log("ping ignored")
            ws.pong = nopong
            conn["hung"] = True
            await ws.wait_closed()
            self.log("client left")
            return True
        elif kind == "ping":
            w = await ws.ping()
            try:
                await asyncio.wait_for(w, 2)
                self.log("pong")
            except asyncio.TimeoutError:
                self.log("no pong")
                await ws.close(1011, "no pong")
                return True
        elif kind == "sleep":
            await asyncio.sleep(float(arg))
        else:
            return await self.hostile(ws, conn, kind, arg)
        return False

    # -- hostile framing and content (the adversarial pass) --
    async def raw(self, ws, data):
        ws.transport.write(data)
        await asyncio.sleep(0)

    async def hostile(self, ws, conn, kind, arg):
        """The hostile actions; True when the connection is over."""
        m = self.m
        k = int(arg.split(":")[0]) if kind in (
            "frag", "fragping", "binary", "badutf8", "trickle", "neg",
            "hugeid", "nul", "other") else 0
        if kind == "frag":              # frag:K:N  N fragments
            n = int(arg.split(":")[1])
            for text in m.msg(k):
                b = text.encode()
                step = -(-len(b) // n)
                parts = [b[i:i + step] for i in range(0, len(b), step)]
                for i, part in enumerate(parts):
                    await self.raw(ws, frame(1 if i == 0 else 0, part,
                                             i == len(parts) - 1))
        elif kind == "fragping":        # fragments with a ping between
            for text in m.msg(k):
                b = text.encode()
                h = len(b) // 2
                await self.raw(ws, frame(1, b[:h], False) +
                               frame(9, b"mid") + frame(0, b[h:], True))
        elif kind == "binary":
            for text in m.msg(k):
                await ws.send(text.encode())
        elif kind == "badutf8":         # invalid UTF-8 inside a string
            for text in m.msg(k):
                b = text.encode()
                at = b.rindex(b"}")
                await self.raw(ws, frame(1, b[:at] + b', "x": "\xff\xfe\xc0"'
                                         + b[at:]))
        elif kind == "trickle":         # trickle:K:S  one byte at a time
            secs = float(arg.split(":")[1])
            saved = ws.pong

            async def nopong(data=b""):
                self.log("ping ignored")
            ws.pong = nopong
            for text in m.msg(k):
                data = frame(1, text.encode())
                for i in range(len(data)):
                    ws.transport.write(data[i:i + 1])
                    await asyncio.sleep(secs / len(data))
            ws.pong = saved
            self.log("trickled", k)
        elif kind == "silent":          # no answer, no data; pings answered
            conn["silent"] = True
            await ws.wait_closed()
            self.log("client left")
            return True
        elif kind == "shape":           # shape:A-B  the price key renamed
            for j in ranges(arg):
                for text in m.msg(j):
                    key = '"%s": ' % PRICE_KEY[self.a.source]
                    await ws.send(text.replace(key, '"price_v2": ', 1))
        elif kind == "neg":
            for text in m.msg(k):
                await ws.send(neg_price(text, PRICE_KEY[self.a.source]))
        elif kind == "hugeid":          # hugeid:K  trade K's id 9e15
            for text in m.msg(k):
                await ws.send(text.replace(str(ID0[self.a.source] + k),
                                           "9000000000000000"))
        elif kind == "renum":           # renum:A-B:D  ids D lower
            span, _, d = arg.partition(":")
            for j in ranges(span):
                for text in m.msg(j):
                    await ws.send(text.replace(
                        str(ID0[self.a.source] + j),
                        str(ID0[self.a.source] + j - int(d))))
        elif kind == "pingflood":
            for i in range(int(arg)):
                await self.raw(ws, frame(9, b"%d" % i))
        elif kind == "closeesc":
            await ws.close(1000, "\x1b[2J\x1b[31mowned\nfake: line")
            self.log("closed", "esc")
            return True
        elif kind == "esc":
            await ws.send('\x1b[2J\x1b[31m{"not": json\r\nfake: line')
        elif kind == "nul":
            for text in m.msg(k):
                await self.raw(ws, frame(1, text.encode().replace(
                    b"{", b"{\x00", 1)))
        elif kind == "empty":
            await self.raw(ws, frame(1, b""))
        elif kind == "nested":
            d = int(arg)
            await ws.send("[" * d + "]" * d)
        elif kind == "badframe":        # RSV1 with no extension agreed
            await self.raw(ws, frame(1, b"{}", rsv=0x40))
            self.log("bad frame")
        elif kind == "other":           # a symbol nobody subscribed to
            for text in m.msg(k):
                await ws.send(text.replace("BTC", "DOGE").replace(
                    "btc", "doge").replace("XBT", "XDG"))
        elif kind == "many":            # one message of trades A..B
            a, _, b = arg.partition("-")
            await ws.send(m.many(int(a), int(b)))
        else:
            raise ValueError("unknown action " + kind)
        return False

    async def handler(self, ws, path=None):
        n = self.n
        self.n += 1
        acts = self.conns[n] if n < len(self.conns) else []
        self.log("conn", n + 1)
        tasks = []
        try:
            if self.a.source == "kraken":
                await ws.send(json.dumps({"channel": "status", "type":
                              "update", "data": [{"api_version": "v2",
                               "connection_id": 1, "system": "online",
                               "version": "2.0.0"}]}))
            req = json.loads(await ws.recv())
            self.log("sub", json.dumps(req, sort_keys=True))
            conn = {"heard": time.monotonic(), "hung": False}
            tasks.append(asyncio.ensure_future(self.listen(ws, conn)))
            if self.a.idle_close:
                tasks.append(asyncio.ensure_future(self.watch(ws, conn)))
            if acts and acts[0] == "silent":
                self.log("silent")
                await ws.wait_closed()
                self.log("client left")
                return
            if acts and acts[0] == "suberr":
                await ws.send(self.m.suberr())
                self.log("suberr")
                await ws.wait_closed()
                return
            for m in self.m.ack(req):
                await ws.send(m)
            for a in acts:
                kind, _, arg = a.partition(":")
                if await self.act(ws, conn, kind, arg):
                    return
            await ws.wait_closed()
        except websockets.ConnectionClosed:
            self.log("closed by client")
        finally:
            for t in tasks:
                t.cancel()


async def serve(a):
    s = Server(a)
    async with websockets.serve(s.handler, "127.0.0.1", 0, max_size=None,
                                ping_interval=None,
                                process_request=s.process_request) as srv:
        port = srv.sockets[0].getsockname()[1]
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(a.port_file + ".tmp", a.port_file)
        await asyncio.Future()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True,
                    choices=("binance", "coinbase", "kraken", "okx"))
    ap.add_argument("--symbols", default="BTC-USDT")
    ap.add_argument("--script", default="")
    ap.add_argument("--latest", type=int, default=1000,
                    help="REST knows trades 1..LATEST")
    ap.add_argument("--page-cap", type=int, default=1000)
    ap.add_argument("--rest-plan", default="",
                    help="per REST trades request: ok, dupkey, ...")
    ap.add_argument("--history-plan", default="",
                    help="the same, per warm-start (bars) request")
    ap.add_argument("--rest-order", default="venue",
                    choices=("venue", "asc", "desc", "mixed"))
    ap.add_argument("--rest-overlap", type=int, default=0)
    ap.add_argument("--idle-close", type=float, default=0,
                    help="close (4004) a connection the client left "
                    "silent this many seconds")
    ap.add_argument("--t0", type=int, default=1700000000000,
                    help="ms; trade k is at T0 + 250 k")
    ap.add_argument("--port-file")
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--expect", help="print the ticks for these k: 1-5,9")
    a = ap.parse_args()
    if a.expect:
        Market(a).expect(a.expect)
        return
    try:
        asyncio.run(serve(a))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
