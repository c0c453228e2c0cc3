#!/usr/bin/env python3
"""Interleave a hostile corpus into one stream for the CLI tests.

usage: mix.py GOOD BAD OUT [--order ORDER] [--big N]

Each GOOD line is followed by the next BAD line (cycling until every bad
line was used once), with blank, white-space and CR-only lines sprinkled
in, and N lines of about 1 MiB (made here, never committed): each bad
(longer than any tool's 64 KiB limit).  ORDER lines (ticks whose t goes
backwards or repeats) come last.  Writes:
  OUT        the stream
  OUT.idx    one row per line: "LINENO CLASS NUL LONG"
             (CLASS good, bad, order or blank; NUL/LONG 0 or 1)
  OUT.good   the good lines as a tool that passes them through writes them
             (trailing CR removed)
"""
import sys


def lines(path):
    with open(path, 'rb') as f:
        data = f.read()
    return [l for l in data.split(b'\n')[:-1]]


def main():
    args = sys.argv[1:]
    good, bad, out = lines(args[0]), lines(args[1]), args[2]
    order, big = [], 2
    i = 3
    while i < len(args):
        if args[i] == '--order':
            order = lines(args[i + 1])
        elif args[i] == '--big':
            big = int(args[i + 1])
        i += 2
    rows = []
    blanks = [b'', b'   ', b'\r', b'\t']
    bigs = [b'{"t":1732450011000,"sym":"BTC-USD","px":97000,"pad":"' +
            b'x' * (1 << 20) + b'"}',
            b'9' * (1 << 20)]
    bi = 0
    nb = max(len(good), len(bad))
    for k in range(nb):
        if k < len(good):
            rows.append(('good', good[k]))
        rows.append(('bad', bad[k % len(bad)]))
        if k % 5 == 2:
            rows.append(('blank', blanks[(k // 5) % len(blanks)]))
        if bi < big and k % 7 == 3:
            rows.append(('bad', bigs[bi % 2]))
            bi += 1
    while bi < big:
        rows.append(('bad', bigs[bi % 2]))
        bi += 1
    rows += [('order', l) for l in order]
    with open(out, 'wb') as f, open(out + '.idx', 'w') as idx, \
            open(out + '.good', 'wb') as g:
        for n, (cls, l) in enumerate(rows, 1):
            f.write(l + b'\n')
            idx.write('%d %s %d %d\n' % (n, cls, b'\0' in l,
                                          len(l) > 65536))
            if cls == 'good':
                g.write((l[:-1] if l.endswith(b'\r') else l) + b'\n')


main()
