"""Search latency (p50/p99), index build time and memory: reference catalog and 30,000 items.

usage: .venv/bin/python bench/search_speed.py [--items 30000] [--only reference|real|synthetic]
                                             [--semantic THREADS] [--rebuilds N]

Each catalog's RSS includes what the ones measured before it left behind; `--only` measures
one catalog in a fresh process (as a server holds one index). jieba's and pypinyin's parsed
data are cached in /tmp/banshi-cache, as a deploy caches them in its data dir: the first run
pays for parsing them once.

--semantic measures instead what the optional semantic stage adds (wall clock: its model
runs THREADS OpenMP threads) on the real catalog, the one it is fitted for, for each question
it runs on, its question-vector cache emptied each time; the first run embeds the catalog.

--rebuilds measures instead a server's memory across N live rebuilds of the large catalog
(the old index answers while the new one is built; then the swap and its heap settling).

The large catalog is synthetic: real item names from both catalogs recombined (a subject
from one name, an action from another, a department prefix), so its vocabulary and key
frequencies look like a real province-wide catalog rather than random text.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.catalog import Catalog, Item  # noqa: E402
from knowledge.formats import read_catalog_files  # noqa: E402
from knowledge.search import SearchIndex  # noqa: E402
from knowledge.semantic import load_encoder  # noqa: E402

KB = ROOT.parent / "shared" / "kb"
CACHE = Path("/tmp/banshi-cache")  # jieba's and pypinyin's parsed data, as a deploy caches them
ACTIONS = ("申领", "换领", "补领", "变更", "注销", "新办", "备案", "核发", "延续", "审批", "登记", "认定")


def synthetic(base: list[Catalog], n: int, seed: int = 7) -> Catalog:
    """`n` items whose names recombine real subjects, actions and departments."""
    rng = random.Random(seed)
    names = [i.name for c in base for i in c.items.values()]
    departments = sorted({i.department for c in base for i in c.items.values() if i.department})
    items = []
    for k in range(n):
        a, b = rng.choice(names), rng.choice(names)
        subject = a[: max(2, len(a) // 2 + rng.randint(-2, 2))]
        tail = b[len(b) // 2 :] if rng.random() < 0.5 else rng.choice(ACTIONS)
        dept = rng.choice(departments)
        name = f"{rng.choice(('', dept[:2], '县级', '乡镇'))}{subject}{tail}"
        items.append(Item(code=f"SYN-{k:05d}", name=name, department=dept, aliases=(f"{subject}{rng.choice(ACTIONS)}",)))
    return Catalog.of(items)


def inputs() -> tuple[Catalog, Catalog, list[str]]:
    """The reference and real catalogs and every dev question, as each benchmark reads them."""
    reference = read_catalog_files([KB / "items.json", KB / "bundles.json"])
    real = read_catalog_files([KB / "real" / "guangan-catalog.json"])
    qs = [json.loads(x)["q"] for f in ("questions-dev.jsonl", "real/questions-dev.jsonl")
          for x in (KB / f).read_text(encoding="utf-8").splitlines() if x.strip()]
    return reference, real, qs


def rss_mb() -> float:
    """Peak resident memory of the process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(label: str, catalog: Catalog, questions: list[str], cache: Path) -> None:
    """Build time and per-query time as CPU time of this thread (what one core spends, even
    when other processes share the machine), with wall-clock p99 for reference."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    index = SearchIndex.build(catalog, cache_dir=cache)
    build_wall, build_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    for q in questions[:50]:  # warm caches (pinyin of characters, jieba)
        index.search(q)
    cpu, wall = [], []
    for _ in range(3):
        for q in questions:
            w, c = time.perf_counter(), time.thread_time()
            index.search(q)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
    cpu.sort()
    wall.sort()

    def pct(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, int(len(xs) * p))]

    print(
        f"{label:26} docs {len(index):6}  build {build_cpu:5.2f} s cpu ({build_wall:5.2f} wall)"
        f"  p50 {pct(cpu, 0.5):.2f} ms  p99 {pct(cpu, 0.99):.2f} ms cpu (wall p99 {pct(wall, 0.99):.2f})"
        f"  RSS {rss_now():.0f} MB (peak {rss_mb():.0f})"
    )


def measure_semantic(catalog: Catalog, questions: list[str], cache: Path, threads: int) -> None:
    """Wall-clock time the semantic stage adds to search, over the questions it runs for."""
    encoder = load_encoder(threads)
    if encoder is None:
        print("the semantic extra is not installed")
        return
    lexical = SearchIndex.build(catalog, cache_dir=cache)
    staged = SearchIndex.build(catalog, cache_dir=cache, semantic=encoder, semantic_background=False)
    stage = staged._semantic
    assert stage is not None
    for q in questions[:20]:
        staged.search(q)
    added, runs = [], 0
    for q in questions:
        stage._question.cache_clear()
        w = time.perf_counter()
        result = staged.search(q)
        with_stage = time.perf_counter() - w
        if not result.semantic:
            continue
        runs += 1
        w = time.perf_counter()
        lexical.search(q)
        added.append((with_stage - (time.perf_counter() - w)) * 1000)
    added.sort()
    print(f"semantic stage, {threads} thread(s): runs for {runs}/{len(questions)} questions, adds"
          f" p50 {added[len(added) // 2]:.1f} ms, p90 {added[int(len(added) * 0.9)]:.1f} ms,"
          f" p99 {added[min(len(added) - 1, int(len(added) * 0.99))]:.1f} ms (wall)")


def measure_rebuilds(catalog: Catalog, cache: Path, times: int) -> None:
    """Memory of a server that rebuilds its index live (adapters.catalog_live): the old index
    answers while the new one is built, then the swap and settle_heap()."""
    # imported here: its database modules would count in the other measures' RSS
    from adapters.catalog_live import settle_heap

    live = SearchIndex.build(catalog, cache_dir=cache)
    print(f"{len(live)} docs, one index: RSS {rss_now():.0f} MB")
    for i in range(times):
        new = SearchIndex.build(catalog, cache_dir=cache)
        both = rss_now()
        live = new
        del new
        settle_heap()
        print(f"rebuild {i + 1}: both indexes alive {both:.0f} MB, after the swap {rss_now():.0f} MB"
              f" (process peak {rss_mb():.0f})")


def rss_now() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=30_000)
    ap.add_argument("--only", choices=("reference", "real", "synthetic"))
    ap.add_argument("--semantic", type=int, metavar="THREADS", help="measure the semantic stage instead")
    ap.add_argument("--rebuilds", type=int, metavar="N", help="measure the memory of N live rebuilds instead")
    args = ap.parse_args()
    reference, real, qs = inputs()
    if args.semantic:
        measure_semantic(real, qs, CACHE, args.semantic)
        return 0
    if args.rebuilds:
        measure_rebuilds(synthetic([reference, real], args.items), CACHE, args.rebuilds)
        return 0
    print(f"one core, {len(qs)} dev questions x 3 per catalog; RSS now (and the process peak so far)")
    if args.only in (None, "reference"):
        measure("reference (items+bundles)", reference, qs, CACHE)
    if args.only in (None, "real"):
        measure("real (guangan)", real, qs, CACHE)
    if args.only in (None, "synthetic"):
        measure(f"synthetic {args.items}", synthetic([reference, real], args.items), qs, CACHE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
