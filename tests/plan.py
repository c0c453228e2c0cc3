"""Fault plans of the stand-ins (tests/fakeapi.py, tests/fakews.py): a
comma list of actions, consumed one per request; ACTION*N stands for N of
it."""


def expand(plan):
    """A plan's items, ACTION*N spelled out."""
    out = []
    for a in plan.split(","):
        act, _, n = a.partition("*")
        out += [act] * int(n or 1) if act else []
    return out
