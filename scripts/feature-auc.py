#!/usr/bin/env python3
"""Univariate AUC of every feature of labelled vectors (cmt-features
--label NDJSON): for each feature, the AUC of the feature's value as a
score for y = 1 (ties count one half), over the rows with y 0 or 1 and the
feature not null, optionally only those with t in [FROM, TO).  An AUC
below 0.5 ranks the other way: |AUC - 0.5| is the feature's strength
alone.  Prints one line per feature: name, rows, AUC, |AUC - 0.5|, in the
vectors' order.

Usage: scripts/feature-auc.py [--from T] [--to T] FILE...
  T: ms since the epoch, or an ISO time such as 2023-10-10T17:19:00Z.
"""
import argparse
import datetime
import json
import sys


def when(s):
    if s.isdigit():
        return int(s)
    d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return int(d.timestamp() * 1000)


def auc(pairs):
    """AUC of scores for labels, by average ranks (Mann-Whitney)."""
    pairs.sort(key=lambda p: p[0])
    n = len(pairs)
    pos = sum(y for _, y in pairs)
    neg = n - pos
    if pos == 0 or neg == 0:
        return float("nan")
    rank_sum, i = 0.0, 0
    while i < n:
        j = i
        while j < n and pairs[j][0] == pairs[i][0]:
            j += 1
        avg = (i + 1 + j) / 2.0          # ranks i+1 .. j
        rank_sum += avg * sum(y for _, y in pairs[i:j])
        i = j
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--from", dest="lo", type=when, default=None)
    ap.add_argument("--to", dest="hi", type=when, default=None)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    names, cols = None, None
    for path in a.files:
        with open(path) as f:
            for line in f:
                v = json.loads(line)
                y = v.get("y")
                if y not in (0, 1):
                    continue
                t = v["t"]
                if (a.lo is not None and t < a.lo) or \
                   (a.hi is not None and t >= a.hi):
                    continue
                feats = v["f"]
                if names is None:
                    names = list(feats)
                    cols = [[] for _ in names]
                elif list(feats) != names:
                    sys.exit("feature-auc: %s: another feature set" % path)
                for k, name in enumerate(names):
                    x = feats[name]
                    if x is not None:
                        cols[k].append((x, y))
    if names is None:
        sys.exit("feature-auc: no labelled rows")
    for name, pairs in zip(names, cols):
        u = auc(pairs)
        print("%-12s %7d  %.4f  %.4f" % (name, len(pairs), u, abs(u - 0.5)))


if __name__ == "__main__":
    main()
