"""Dev-set quality of catalog search, by question style, in-process from the JSON files.

usage: .venv/bin/python bench/search_quality.py [--misses N]

Same metrics as ../shared/tools/devscore.py (which drives the CLI): top-1 (answer ==
expected), top-3 (expected among the first three results), wrong (confident answers that
are not the expected code, over all questions) and oos (out-of-scope questions answered
with no answer); plus "none", the stricter share of out-of-scope questions whose decision
is "none" (not even options), "lost", the share of in-scope questions answered "none" although
their item would have been among the options, and "rank1", whether the expected code is
ranked first.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.decision import option_count  # noqa: E402
from knowledge.formats import read_catalog_files  # noqa: E402
from knowledge.search import SearchIndex  # noqa: E402

KB = ROOT.parent / "shared" / "kb"
DATASETS = {
    "reference": ([KB / "items.json", KB / "bundles.json", KB / "halls.json"], KB / "questions-dev.jsonl"),
    "real": ([KB / "real" / "guangan-catalog.json"], KB / "real" / "questions-dev.jsonl"),
}


def report(name: str, misses: int) -> None:
    files, questions = DATASETS[name]
    catalog = read_catalog_files(files)
    index = SearchIndex.build(catalog)
    qs = [json.loads(x) for x in questions.read_text(encoding="utf-8").splitlines() if x.strip()]
    by: dict[str, Counter[str]] = defaultdict(Counter)
    missed = []
    for q in qs:
        r = index.search(q["q"], k=5)
        codes = [h.code for h in r.results]
        for key in ("all", q.get("style", "?")):
            s = by[key]
            s["n"] += 1
            if q.get("expect"):
                s["in"] += 1
                s["top1"] += r.answer == q["expect"]
                s["rank1"] += codes[:1] == [q["expect"]]
                s["top3"] += q["expect"] in codes[:3]
                offerable = codes[: option_count([h.score for h in r.results], index.params["window"])]
                s["lost"] += r.decision == "none" and q["expect"] in offerable
            else:
                s["oos"] += 1
                s["caught"] += r.answer is None
                s["none"] += r.decision == "none"
            s["wrong"] += r.answer is not None and r.answer != q.get("expect")
        if r.answer != q.get("expect"):
            missed.append(f"  {q['q']!r}: expected {q.get('expect')}, got {r.decision} {codes[:2]}")
    print(f"\n{name} catalog ({len(index)} items and bundles, profile {index.profile})")
    print(f"{'style':13} {'n':>4} {'top1':>6} {'rank1':>6} {'top3':>6} {'wrong':>6} {'oos':>6} {'none':>6} {'lost':>6}")
    for key in ["all", *sorted(k for k in by if k != "all")]:
        s = by[key]

        def f(a: str, b: str, s: Counter[str] = s) -> str:
            return f"{s[a] / s[b]:.3f}" if s[b] else "   -  "

        print(
            f"{key:13} {s['n']:>4} {f('top1', 'in'):>6} {f('rank1', 'in'):>6} {f('top3', 'in'):>6}"
            f" {f('wrong', 'n'):>6} {f('caught', 'oos'):>6} {f('none', 'oos'):>6} {f('lost', 'in'):>6}"
        )
    if misses:
        print("\n".join(missed[:misses]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--misses", type=int, default=0, help="print the first N questions not answered as labelled")
    args = ap.parse_args()
    # each catalog in a fresh process, as `kb search` sees one: jieba's dictionary is
    # process-wide and keeps every catalog's words (see bench/calibrate.dataset_signals)
    context = multiprocessing.get_context("spawn")
    for name in DATASETS:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            pool.submit(report, name, args.misses).result()
    return 0


if __name__ == "__main__":
    sys.exit(main())
