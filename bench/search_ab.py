"""Search latency of two code versions compared fairly: an earlier git revision against the
working tree, on one machine, in alternating rounds.

usage: .venv/bin/python bench/search_ab.py [--rev HEAD] [--items 30000] [--rounds 8]

Latency on a shared or virtual machine drifts by 10 % or more within minutes, more than most
changes gain, so two runs of bench/search_speed.py an hour apart compare the machine, not the
code. Here each version runs in its own process (the revision's knowledge/ package exported
with `git archive`) over the same synthetic catalog and dev questions; the parent asks them for
one round at a time, A then B, then B then A, and reports each version's median p50 and p99
(one core's CPU time per question, as search_speed.py measures it).
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(code_root: Path, items: int) -> None:
    """Build the index with the knowledge/ package under `code_root`, then time one pass over
    the dev questions for every line read from stdin, answering with a JSON line."""
    sys.path.insert(0, str(code_root))
    package = importlib.import_module("knowledge")
    # imported first, so search_speed (which puts the working tree on sys.path) gets this one
    if not Path(package.__file__ or "").resolve().is_relative_to(code_root.resolve()):
        raise SystemExit(f"knowledge imported from {package.__file__}, not from {code_root}")
    sys.path.insert(1, str(ROOT / "bench"))
    SearchIndex = importlib.import_module("knowledge.search").SearchIndex
    speed = importlib.import_module("search_speed")
    reference, real, qs = speed.inputs()
    index = SearchIndex.build(speed.synthetic([reference, real], items), cache_dir=speed.CACHE)
    for q in qs:  # warm the caches (pinyin of characters, jieba)
        index.search(q)
    print("ready", flush=True)
    for _ in sys.stdin:
        ms = []
        for q in qs:
            t = time.thread_time()
            index.search(q)
            ms.append((time.thread_time() - t) * 1000)
        ms.sort()
        print(json.dumps({"p50": ms[len(ms) // 2], "p99": ms[int(len(ms) * 0.99)]}), flush=True)


def export(rev: str, into: Path) -> None:
    """The revision's knowledge/ package (code and data files) under `into`."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "knowledge"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(into, filter="data")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rev", default="HEAD", help="the earlier version (A); B is the working tree")
    ap.add_argument("--items", type=int, default=30_000)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.items)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        export(args.rev, Path(tmp))
        procs = {
            name: subprocess.Popen([sys.executable, __file__, "--worker", str(root), "--items", str(args.items)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for name, root in (("A", Path(tmp)), ("B", ROOT))
        }
        try:
            for p in procs.values():
                if p.stdout is None or p.stdout.readline().strip() != "ready":
                    raise SystemExit("a worker failed to build its index")
            runs: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
            for r in range(args.rounds):
                for name in ("A", "B") if r % 2 == 0 else ("B", "A"):
                    p = procs[name]
                    assert p.stdin is not None and p.stdout is not None
                    p.stdin.write("round\n")
                    p.stdin.flush()
                    runs[name].append(json.loads(p.stdout.readline()))
        finally:
            for p in procs.values():
                p.kill()
    for name, label in (("A", args.rev), ("B", "working tree")):
        p50 = statistics.median(x["p50"] for x in runs[name])
        p99s = sorted(x["p99"] for x in runs[name])
        print(f"{name} {label:14} p50 {p50:.3f} ms  p99 {statistics.median(p99s):.3f} ms"
              f" (rounds {p99s[0]:.2f}-{p99s[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
