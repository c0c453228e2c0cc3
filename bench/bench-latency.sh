#!/bin/sh
# Tick-to-probability latency through `cmt-features | cmt-predict` (target
# p99 < 1 ms), beside the same measurement through `cat | cat`.
set -eu
echo "latency: one tick per ms, each completing a grid point of the shipped model"
python3 bench/latency.py "$1"
