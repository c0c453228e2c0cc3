#!/usr/bin/env python3
"""Independent check of cmt-train's Platt scaling (no numpy, no scipy).

Usage: platt_oracle.py MODEL.json ROWS.ndjson VAL_FRAC

MODEL is a logreg model trained by cmt-train on ROWS (no --test).  The
margins of the validation rows are recomputed here from the model's own
weights (z = b + sum w (x - mean) / std), the validation rows chosen as
cmt-train does (the latest VAL_FRAC of the rows left after the test
split, by time); then a and b are fitted, with Platt's targets (N+ + 1) / (N+ + 2) and
1 / (N- + 2) for the outcomes, by coordinate descent, each coordinate's
gradient brought to zero by bisection (a method unrelated to cmt's Newton
steps), and printed beside the model's "calibration" a and b.  Exit 1 if they differ
by more than 1e-6.
"""
import json
import math
import sys


def quantile_cut(ts, frac):
    s = sorted(ts)
    k = int(len(s) * (1 - frac))
    return s[min(k, len(s) - 1)]


def main():
    model = json.load(open(sys.argv[1]))
    frac = float(sys.argv[3])
    rows = []
    for line in open(sys.argv[2]):
        v = json.loads(line)
        if v.get("y") is None:
            continue
        rows.append(v)
    # cmt-train: test = latest 15% (default), validation = latest frac of
    # the rest
    cut = quantile_cut([r["t"] for r in rows], 0.15)
    rest = [r for r in rows if r["t"] < cut]
    cut = quantile_cut([r["t"] for r in rest], frac)
    val = [r for r in rest if r["t"] >= cut]
    layer = model["layers"][0]
    w, b0 = layer["weights"][0], layer["bias"][0]
    mean, std = model["standardize"]["mean"], model["standardize"]["std"]
    z, y = [], []
    for r in val:
        x = [r["f"][n] for n in model["inputs"]]
        z.append(b0 + sum(wi * (xi - m) / s
                          for wi, xi, m, s in zip(w, x, mean, std)))
        y.append(r["y"])
    n = len(z)
    up = sum(y)
    target = [1 / (n - up + 2), (up + 1) / (up + 2)]

    def grad(a, b):
        ga = gb = 0.0
        for zi, yi in zip(z, y):
            p = 1 / (1 + math.exp(-(a * zi + b)))
            ga += (p - target[yi]) * zi
            gb += p - target[yi]
        return ga / n, gb / n

    def root(f, lo, hi):
        # f increasing: the log-loss is convex in each coordinate
        for _ in range(100):
            mid = (lo + hi) / 2
            if f(mid) > 0:
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2

    a, b = 1.0, 0.0
    for _ in range(500):
        a = root(lambda t: grad(t, b)[0], -50.0, 50.0)
        b = root(lambda t: grad(a, t)[1], -50.0, 50.0)
        if math.hypot(*grad(a, b)) < 1e-12:
            break
    got = model["calibration"]
    print("oracle a %.9f b %.9f; model a %.9f b %.9f (%d rows)"
          % (a, b, got["a"], got["b"], n))
    sys.exit(0 if abs(a - got["a"]) <= 1e-6 and abs(b - got["b"]) <= 1e-6
             else 1)


main()
