#!/usr/bin/python3
"""Many runs of one session through the Python API: resident memory, descriptors, threads.

usage: bench/soak.py ARTIFACT --input NAME=FILE.npy... [--runs N] [--check-at K]
                     [--threads T] [--max-growth-kb G]
The Python counterpart of cleave-soak (bench/soak.cpp): runs cleave.InferenceSession.run N times
(default 10000) in one process, the output arrays fresh each run, reads resident memory (VmRSS),
open descriptors and threads after run K (default 100, the end of warm-up) and after the last run,
prints `soak api=python runs=N rss_kb_at_K=A rss_kb_last=B growth_kb=C fds=D/E threads=F/G`
and exits 1 if memory grew by more than G kB (default 1024) or a count changed. The package is
found on PYTHONPATH (build/python). Errors: one line, exit 1.
"""
import argparse
import os
import sys

import numpy as np


def sample():
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.split()[0] if value.split() else "0"
    return int(status["VmRSS"]), len(os.listdir("/proc/self/fd")), int(status["Threads"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy")
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--check-at", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-growth-kb", type=int, default=1024)
    args = parser.parse_args()
    if args.check_at < 1 or args.runs <= args.check_at:
        sys.exit("soak.py: error: --runs must exceed --check-at")
    import cleave

    feeds = {}
    for spec in args.input:
        name, sep, path = spec.rpartition("=")
        if not sep:
            sys.exit(f"soak.py: error: --input '{spec}' is not NAME=FILE.npy")
        feeds[name] = np.load(path)
    session = cleave.InferenceSession(args.artifact, threads=args.threads)
    warm = None
    for run in range(1, args.runs + 1):
        session.run(None, feeds)
        if run == args.check_at:
            warm = sample()
    last = sample()
    growth = last[0] - warm[0]
    print(f"soak api=python runs={args.runs} rss_kb_at_{args.check_at}={warm[0]} "
          f"rss_kb_last={last[0]} growth_kb={growth} fds={warm[1]}/{last[1]} "
          f"threads={warm[2]}/{last[2]}", flush=True)
    if growth > args.max_growth_kb or warm[1:] != last[1:]:
        sys.exit(f"soak.py: error: not flat after run {args.check_at}: resident memory grew "
                 f"{growth} kB (at most {args.max_growth_kb} allowed), descriptors "
                 f"{warm[1]} -> {last[1]}, threads {warm[2]} -> {last[2]}")


if __name__ == "__main__":
    main()
