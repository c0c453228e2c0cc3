#!/usr/bin/env python3
"""Trade-to-probability latency of the streaming pipeline.

A local WebSocket server speaking Binance's combined aggTrade stream sends
one trade every --gap-ms; each trade's time falls exactly on the 1-minute
grid of the shipped model, so it completes a grid point and its vector
(and p_up) can leave cmt-predict at once.  Latency = from just before the
server writes the trade's frame to the moment the line with that grid time
is read from the pipeline's stdout.  The first 61 trades (the model's
warm-up) are not counted.  Each pipeline gets its own connection.
"""
import argparse
import asyncio
import json
import os
import signal
import subprocess
import threading
import time

import websockets

BASE = 1709251200000


def pct(v, q):
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


async def measure(cmd, n, gap_ms):
    sent, got = {}, {}
    done = asyncio.Event()

    async def handler(ws, path=None):
        req = json.loads(await ws.recv())
        await ws.send(json.dumps({"result": None, "id": req.get("id", 1)}))
        px = 50000.0
        for i in range(1, n + 1):
            t = BASE + i * 60000
            px *= 1.0005 if (i * 7919) % 13 < 6 else 0.9995
            msg = json.dumps({"stream": "btcusdt@aggTrade", "data": {
                "e": "aggTrade", "E": t, "s": "BTCUSDT", "a": i,
                "p": "%.2f" % px, "q": "%.3f" % (1 + (i % 5) / 10),
                "f": i, "l": i, "T": t, "m": i % 2 == 0, "M": True}})
            sent[t] = time.perf_counter_ns()
            await ws.send(msg)
            await asyncio.sleep(gap_ms / 1000)
        done.set()
        await ws.wait_closed()

    async with websockets.serve(handler, "127.0.0.1", 0,
                                ping_interval=None) as srv:
        port = srv.sockets[0].getsockname()[1]
        p = subprocess.Popen(cmd.replace("PORT", str(port)), shell=True,
                             stdout=subprocess.PIPE, bufsize=0,
                             start_new_session=True)

        def reader():
            buf = b""
            while True:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    return
                now = time.perf_counter_ns()
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    i = line.find(b'"t":')
                    if i >= 0:
                        t = int(line[i + 4:line.index(b",", i)])
                        got.setdefault(t, now)
        th = threading.Thread(target=reader)
        th.start()
        await done.wait()
        await asyncio.sleep(0.5)
        os.killpg(p.pid, signal.SIGTERM)
        th.join()
        p.wait()
    return sorted((got[t] - sent[t]) / 1e3 for t in sent
                  if t in got and t > BASE + 61 * 60000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--gap-ms", type=float, default=1.0)
    a = ap.parse_args()
    b = a.bin
    fetch = ("%s/cmt-fetch --stream --source binance --symbols btc --quiet "
             "--warmup 0 --ws-url ws://127.0.0.1:PORT/stream "
             "--base-url http://127.0.0.1:1" % b)
    helptext = subprocess.run([b + "/cmt-features", "--help"],
                              capture_output=True, text=True).stdout
    partial = "--partial 0" if "--partial" in helptext else ""
    if not partial:
        print("  (cmt-features has no --partial here: measured without it;"
              " every trade still completes a grid point)")
    runs = [("cmt-fetch --stream | cat | cat", fetch + " | cat | cat"),
            ("... | cmt-features %s| cmt-predict" % (partial + " " if partial
                                                       else ""),
             fetch + " | %s/cmt-features -q --model default %s | "
             "%s/cmt-predict" % (b, partial, b))]
    for name, cmd in runs:
        v = asyncio.run(measure(cmd, a.n, a.gap_ms))
        print("  %-46s n %5d  p50 %7.1f us  p99 %7.1f us  max %8.1f us"
              % (name, len(v), pct(v, .5), pct(v, .99), v[-1] if v else 0))


if __name__ == "__main__":
    main()
