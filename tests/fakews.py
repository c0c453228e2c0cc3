#!/usr/bin/env python3
"""Fake Binance / Coinbase / Kraken trade streams for cmt-fetch --stream
tests, with the REST trades endpoints the client fills gaps from.

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

The market: trade k (k >= 1) of each symbol has id ID0+k, price base +
0.5 k, size 0.001 (k % 17 + 1), time T0 + 250 k ms, and the taker bought
when k is even.  --expect prints the ticks cmt-fetch must write for a list
of k, computed here apart from the C code.

--script: connections separated by "|", each a comma list of actions run
after the subscription is answered:
  T:a-b        trades a..b of every symbol, one message each (kraken: one
               message per trade holding every symbol's trade k)
  bad          a message that is not JSON
  big:k        trade k padded to 2 MiB (an oversized frame)
  close:CODE   close with that code (reason "scripted")
  abort        drop the TCP connection without a close frame
  hang         stop answering pings and sending; wait for the client
  ping         ping the client; log "pong" or close 1011 after 2 s
  suberr       refuse the subscription in the exchange's shape
  sleep:S      pause S seconds
After its actions a connection idles (answering pings) until the client
leaves.  Every event is appended to --log.
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

BASE = {"BTC": 50000.0, "ETH": 3000.0, "XBT": 50000.0}
ID0 = {"binance": 100, "coinbase": 7000, "kraken": 90000}


def px_of(sym, k):
    return BASE[sym.split("-")[0]] + 0.5 * k


def iso_to_ms(s):
    main, _, frac = s.rstrip("Z").partition(".")
    t = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
    return t * 1000 + int((frac + "000")[:3])


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ".%03d%03dZ" % (ms % 1000, 123)


class Market:
    def __init__(self, a):
        self.a = a
        self.syms = a.symbols.split(",")   # BASE-QUOTE

    def k_of(self, tid):
        return tid - ID0[self.a.source]

    def fields(self, sym, k):
        return {"id": ID0[self.a.source] + k, "px": px_of(sym, k),
                "qty": "%.8f" % (0.001 * (k % 17 + 1)),
                "t": self.a.t0 + 250 * k, "buy": k % 2 == 0}

    # -- stream messages --
    def msg(self, k, pad=0):
        src = self.a.source
        out = []
        if src == "kraken":
            data = []
            for s in self.syms:
                f = self.fields(s, k)
                data.append({"symbol": s.replace("-", "/"),
                             "side": "buy" if f["buy"] else "sell",
                             "price": f["px"], "qty": float(f["qty"]),
                             "ord_type": "market", "trade_id": f["id"],
                             "timestamp": iso(f["t"])})
            m = {"channel": "trade", "type": "update", "data": data}
            if pad:
                m["pad"] = "x" * pad
            return [json.dumps(m)]
        for s in self.syms:
            f = self.fields(s, k)
            if src == "binance":
                sid = s.replace("-", "").lower()
                m = {"stream": sid + "@aggTrade",
                     "data": {"e": "aggTrade", "E": f["t"] + 3,
                              "s": sid.upper(), "a": f["id"],
                              "p": "%.8f" % f["px"], "q": f["qty"],
                              "f": 2 * f["id"], "l": 2 * f["id"] + 1,
                              "T": f["t"], "m": not f["buy"], "M": True}}
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
            out.append(json.dumps(m))
        return out

    def ack(self, req):
        src = self.a.source
        if src == "binance":
            return [json.dumps({"result": None, "id": req.get("id", 1)})]
        if src == "coinbase":
            return [json.dumps({"type": "subscriptions", "channels": [
                {"name": "matches", "product_ids": self.syms}]})]
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
        return json.dumps({"error": "Currency pair not supported FOO/USD",
                           "method": "subscribe", "success": False,
                           "symbol": "FOO/USD",
                           "time_in": "2023-09-25T09:04:31.742599Z",
                           "time_out": "2023-09-25T09:04:31.742648Z"})

    # -- REST --
    def rest(self, url):
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        src = self.a.source
        cap = self.a.page_cap
        hi = self.a.latest
        # warm start: 1-minute bars, close 100 + minute % 50, volume 2
        if src == "binance" and url.path == "/api/v3/klines":
            m = (int(q["startTime"]) + 59999) // 60000 * 60000
            rows = []
            while m <= int(q["endTime"]) and len(rows) < 1000:
                c = 100 + m // 60000 % 50
                rows.append([m, "1", "1", "1", "%d" % c, "2", m + 59999,
                             "1", 1, "1", "1", "0"])
                m += 60000
            return 200, rows
        if src == "coinbase" and url.path.endswith("/candles"):
            lo = iso_to_ms(q["start"]) // 60000 * 60000
            hi = min(iso_to_ms(q["end"]), int(time.time() * 1000))
            rows = [[m // 1000, 1, 1, 1, 100 + m // 60000 % 50, 2]
                    for m in range(lo, hi + 1, 60000)]
            return 200, rows[::-1]
        if src == "kraken" and url.path == "/0/public/OHLC":
            now = int(time.time()) // 60 * 60
            first = int(q["since"]) // 60 * 60 + 60
            rows = [[t, "1", "1", "1", "%d" % (100 + t // 60 % 50), "1",
                     "2", 5] for t in range(first, now + 60, 60)]
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
            ks = [k for k in range(max(lo, 1), hi + 1)][:lim]
            return 200, [self.rest_row(s, k) for k in ks]
        if src == "coinbase" and url.path.startswith("/products/") and \
                url.path.endswith("/trades"):
            s = self.sym_by(url.path.split("/")[2], lambda s: s)
            if not s:
                return 404, {"message": "NotFound"}
            lim = min(int(q.get("limit", 100)), cap)
            top = self.k_of(int(q["after"])) - 1 if "after" in q else hi
            ks = [k for k in range(min(top, hi), 0, -1)][:lim]
            return 200, [self.rest_row(s, k) for k in ks]
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
                  (ns if since > 10 ** 12 else ns - 1)][:lim]
            last = (self.a.t0 + 250 * ks[-1]) * 10 ** 6 if ks else ns
            key = "XXBTZUSD" if s.startswith("BTC") else "X" + \
                s.replace("-", "Z")
            return 200, {"error": [], "result": {
                key: [self.rest_row(s, k) for k in ks], "last": str(last)}}
        return 404, {"error": "no such endpoint: " + url.path}

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
        if src == "coinbase":
            return {"time": iso(f["t"]), "trade_id": f["id"],
                    "price": "%.8f" % f["px"], "size": f["qty"],
                    "side": "sell" if f["buy"] else "buy"}
        return ["%.5f" % f["px"], f["qty"], f["t"] / 1000.0,
                "b" if f["buy"] else "s", "m", "", f["id"]]

    def expect(self, ks):
        for k in ks:
            for s in self.syms:
                f = self.fields(s, k)
                print('{"t":%d,"sym":"%s","px":%s,"vol":%s,"side":"%s",'
                      '"src":"%s"}' % (f["t"], s, "%.15g" % f["px"],
                                       "%.15g" % float(f["qty"]),
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
        self.n = 0

    def log(self, *words):
        with open(self.a.log, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")

    async def process_request(self, path, headers):
        if headers.get("Upgrade", "").lower() == "websocket":
            return None
        url = urlparse(path)
        self.log("rest", path)
        status, body = self.m.rest(url)
        data = json.dumps(body).encode()
        return http.HTTPStatus(status), [("Content-Type", "application/json"),
                        ("Content-Length", str(len(data)))], data

    async def handler(self, ws, path=None):
        n = self.n
        self.n += 1
        acts = self.conns[n] if n < len(self.conns) else []
        self.log("conn", n + 1)
        try:
            if self.a.source == "kraken":
                await ws.send(json.dumps({"channel": "status", "type":
                              "update", "data": [{"api_version": "v2",
                               "connection_id": 1, "system": "online",
                               "version": "2.0.0"}]}))
            req = json.loads(await ws.recv())
            self.log("sub", json.dumps(req, sort_keys=True))
            if acts and acts[0] == "suberr":
                await ws.send(self.m.suberr())
                self.log("suberr")
                await ws.wait_closed()
                return
            for m in self.m.ack(req):
                await ws.send(m)
            for act in acts:
                kind, _, arg = act.partition(":")
                if kind == "T":
                    for k in ranges(arg):
                        for m in self.m.msg(k):
                            await ws.send(m)
                elif kind == "bad":
                    await ws.send('{"stream":"btcusdt@aggTrade","data":{')
                elif kind == "big":
                    for m in self.m.msg(int(arg), pad=2 << 20):
                        await ws.send(m)
                elif kind == "close":
                    await ws.close(int(arg), "scripted")
                    self.log("closed", arg)
                    return
                elif kind == "abort":
                    await asyncio.sleep(0.05)
                    ws.transport.abort()
                    self.log("aborted")
                    return
                elif kind == "hang":
                    async def nopong(data=b""):
                        self.log("ping ignored")
                    ws.pong = nopong
                    await ws.wait_closed()
                    self.log("client left")
                    return
                elif kind == "ping":
                    w = await ws.ping()
                    try:
                        await asyncio.wait_for(w, 2)
                        self.log("pong")
                    except asyncio.TimeoutError:
                        self.log("no pong")
                        await ws.close(1011, "no pong")
                        return
                elif kind == "sleep":
                    await asyncio.sleep(float(arg))
            await ws.wait_closed()
        except websockets.ConnectionClosed:
            self.log("closed by client")


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
                    choices=("binance", "coinbase", "kraken"))
    ap.add_argument("--symbols", default="BTC-USDT")
    ap.add_argument("--script", default="")
    ap.add_argument("--latest", type=int, default=1000,
                    help="REST knows trades 1..LATEST")
    ap.add_argument("--page-cap", type=int, default=1000)
    ap.add_argument("--t0", type=int, default=1700000000000,
                    help="ms; trade k is at T0 + 250 k")
    ap.add_argument("--port-file")
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--expect", help="print the ticks for these k: 1-5,9")
    a = ap.parse_args()
    if a.expect:
        Market(a).expect(ranges(a.expect))
        return
    try:
        asyncio.run(serve(a))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
