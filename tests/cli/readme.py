#!/usr/bin/env python3
"""The README's examples, read the way a user reads them.

  readme.py run README DIR      run every `$ ` command of README's indented
                                blocks in DIR, in order, in one directory,
                                and check that each line shown under it is
                                a line of what it printed (stdout and
                                stderr); prints what differs, exit 1 if
                                anything does.  SKIP=WORD skips commands
                                naming WORD (../shared without the data)
                                and the rest of their block.
  readme.py block README FIRST  print the indented block whose first line
                                starts with FIRST, unindented
  readme.py lines FILE OUT      each line of FILE (`...` eliding text) is a
                                line of OUT
  readme.py shapes FILE OUT     each line of FILE (sample lines, `...`
                                eliding any text, numbers standing for any
                                number or null) must match a line of OUT

An example is a block indented by 4 spaces; its lines starting with `$ `
are commands, the lines after one (up to the next command or the block's
end) what it prints.  A line `...` stands for lines left out; `...` inside
a line for text left out.  Trailing blanks are not compared."""
import os
import re
import subprocess
import sys


def blocks(path):
    """The README's indented code blocks, each a list of unindented lines."""
    out, cur = [], None
    for line in open(path, encoding="utf-8").read().split("\n"):
        if line.startswith("    "):
            cur = cur if cur is not None else []
            cur.append(line[4:])
        elif line.strip() == "" and cur is not None:
            cur.append("")
        else:
            if cur:
                out.append(cur)
            cur = None
    if cur:
        out.append(cur)
    return out


def examples(path):
    """(command, [shown lines], block number) for every `$ ` line, in
    README order."""
    ex = []
    for n, b in enumerate(blocks(path)):
        mine = None
        for line in b:
            if line.startswith("$ "):
                mine = (line[2:], [], n)
                ex.append(mine)
            elif mine is not None and line.strip():
                mine[1].append(line.rstrip())
    return ex


def pattern(shown, numbers=False):
    """A regex for one shown line: `...` any text; with numbers, any
    number (or null) where the sample has one."""
    parts = shown.split("...")
    rx = []
    for p in parts:
        if numbers:
            bits = re.split(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)", p)
            rx.append("".join(
                r"(?:-?[0-9][0-9.eE+-]*|null)" if i % 2 else re.escape(b)
                for i, b in enumerate(bits)))
        else:
            rx.append(re.escape(p))
    return re.compile("^" + ".*".join(rx) + r"\s*$")


def check(shown, printed, numbers=False):
    bad = []
    lines = [l.rstrip() for l in printed.split("\n")]
    for s in shown:
        if s.strip() == "...":
            continue
        rx = pattern(s, numbers)
        if not any(rx.match(l) for l in lines):
            bad.append(s)
    return bad


def run(readme, where):
    skip = os.environ.get("SKIP")
    failed = 0
    skipped_block = None
    for cmd, shown, block in examples(readme):
        # the rest of a block may read what a skipped command made
        if (skip and skip in cmd) or block == skipped_block:
            print("skipped: $ " + cmd)
            skipped_block = block
            continue
        p = subprocess.run(["bash", "-c", cmd], cwd=where,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        printed = p.stdout.decode("utf-8", "replace")
        bad = check(shown, printed)
        if p.returncode not in (0, 141) or bad:
            failed = 1
            print("$ " + cmd)
            print("  exit %d" % p.returncode)
            for s in bad:
                print("  shown, not printed: " + s)
            print("  printed:\n" + "\n".join("    " + l for l in printed.split("\n")[-40:]))
        else:
            print("ok: $ " + cmd)
    return failed


def main(argv):
    if len(argv) == 4 and argv[1] == "run":
        return run(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "block":
        for b in blocks(argv[2]):
            if b[0].startswith(argv[3]):
                while b and not b[-1].strip():
                    b.pop()
                print("\n".join(b))
                return 0
        print("no block starts with " + argv[3], file=sys.stderr)
        return 1
    if len(argv) == 4 and argv[1] in ("lines", "shapes"):
        shown = [l.rstrip() for l in open(argv[2]) if l.strip()]
        numbers = argv[1] == "shapes"
        bad = check(shown, open(argv[3], encoding="utf-8", errors="replace").read(), numbers)
        for s in bad:
            print(("no line of this shape: " if numbers else "not printed: ") + s)
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
