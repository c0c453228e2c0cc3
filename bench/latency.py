#!/usr/bin/env python3
"""Tick-to-probability latency through a pipeline of cmt tools.

Writes ticks, one every --gap-ms of wall time, whose timestamps fall exactly
on the 1-minute grid of the shipped model, so each tick completes one grid
point and its vector is emitted at once.  The time from writing a tick to
reading the output line for that grid time is the latency.  The same is
measured through `cat | cat` as the pipe-only reference.
"""
import argparse, subprocess, threading, time

def run(cmd, n, gap, warm):
    p = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, bufsize=0)
    sent, got = {}, {}
    base = 1709251200000

    def reader():
        buf = b""
        while True:
            chunk = p.stdout.read1(65536) if hasattr(p.stdout, "read1") else p.stdout.read(65536)
            if not chunk:
                return
            now = time.perf_counter_ns()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                i = line.find(b'"t":')
                if i >= 0:
                    t = int(line[i + 4:line.index(b",", i)])
                    got[t] = now
    th = threading.Thread(target=reader)
    th.start()
    px = 50000.0
    for i in range(n):
        t = base + i * 60000
        px *= 1.0005 if (i * 7919) % 13 < 6 else 0.9995
        line = ('{"t":%d,"sym":"BTC-USD","px":%.2f,"vol":%.3f}\n'
                % (t, px, 1 + (i % 5) / 10)).encode()
        sent[t] = time.perf_counter_ns()
        p.stdin.write(line)
        time.sleep(gap / 1000)
    p.stdin.close()
    th.join()
    p.wait()
    lat = sorted((got[t] - sent[t]) / 1e3 for t in sent if t in got and
                 t >= base + warm * 60000)
    return lat

def pct(v, q):
    return v[min(len(v) - 1, int(q * len(v)))]

ap = argparse.ArgumentParser()
ap.add_argument("bin")
ap.add_argument("-n", type=int, default=3000)
ap.add_argument("--gap-ms", type=float, default=1.0)
a = ap.parse_args()
ref = run("cat | cat", a.n, a.gap_ms, 61)
cmt = run("%s/cmt-features -q --model default | %s/cmt-predict" % (a.bin, a.bin),
          a.n, a.gap_ms, 61)
for name, v in (("cat | cat (reference)", ref),
                ("cmt-features | cmt-predict", cmt)):
    print("  %-28s n %5d  p50 %7.1f us  p99 %7.1f us  max %7.1f us"
          % (name, len(v), pct(v, .5), pct(v, .99), v[-1]))
