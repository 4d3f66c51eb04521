"""Learn the reranking weights and decision thresholds from labelled dev questions.

usage: .venv/bin/python bench/calibrate.py [--max-wrong 0.02] [--dry-run]

For each catalog shape (profile "rich": items with summaries and FAQs, "names": names
only), it fits on that shape's dev set: first the weights of the rerank signals that put
the expected code first most often, then the answer threshold and margin that maximise
top-1 (answer == expected) while confident wrong answers stay under --max-wrong of all
questions, then the options threshold that still leaves >= 90 % of out-of-scope questions
with "none". A 2-fold split (by question hash) reports how well the fit holds on questions
it did not see; the stored values are then fitted on the whole set.
Writes knowledge/thresholds.json, which SearchIndex loads by default.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.catalog import Catalog  # noqa: E402
from knowledge.formats import read_catalog_files  # noqa: E402
from knowledge.search import THRESHOLDS, SearchIndex, confidence_features, profile_of  # noqa: E402

KB = ROOT.parent / "shared" / "kb"
DATASETS = {
    "reference": ([KB / "items.json", KB / "bundles.json"], KB / "questions-dev.jsonl"),
    "real": ([KB / "real" / "guangan-catalog.json"], KB / "real" / "questions-dev.jsonl"),
}
Cand = tuple[str, float, float, float, float]  # code, coverage, name match, fuzzy, bundle cue
Row = tuple[str | None, list[Cand], int, float]  # expected, candidates, matched docs, unknown
Weights = tuple[float, float, float, float]  # coverage, name match, fuzzy, bundle cue
Ranked = list[tuple[str | None, list[tuple[float, str]], list[float]]]  # + confidence features


def load(name: str) -> tuple[Catalog, list[dict[str, Any]]]:
    files, questions = DATASETS[name]
    catalog = read_catalog_files(files)
    qs = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    return catalog, qs


def signals(index: SearchIndex, qs: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for q in qs:
        _, cands, matched, unknown = index.candidates(q["q"])
        rows.append((q.get("expect"), [(d.code, c, n, f, b) for d, c, n, f, b in cands], matched, unknown))
    return rows


def ranked(rows: list[Row], w: Weights) -> Ranked:
    out: Ranked = []
    for expect, cands, matched, unknown in rows:
        scored = sorted(
            ((min(1.0, max(0.0, w[0] * c + w[1] * n + w[2] * f + w[3] * b)), code, c, n, f) for code, c, n, f, b in cands),
            reverse=True,
        )
        feats = confidence_features([(s, None, c, n, f) for s, _, c, n, f in scored], matched, unknown) if scored else []
        out.append((expect, [(s, code) for s, code, *_ in scored], feats))
    return out


def fit_weights(rows: list[Row]) -> Weights:
    """Weights (the first three summing to 1) that put the expected code first most often."""
    best: tuple[float, Weights] = (-1.0, (0.5, 0.3, 0.2, 0.0))
    grid = [x / 20 for x in range(21)]
    for a, b, k in itertools.product(grid, grid, (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)):
        if a + b > 1.0:
            continue
        w = (a, b, round(1.0 - a - b, 2), k)
        r = ranked(rows, w)
        hits = sum(1 for e, s, _ in r if e and s and s[0][1] == e)
        margin = sum(s[0][0] - (s[1][0] if len(s) > 1 else 0) for e, s, _ in r if e and s and s[0][1] == e)
        score = hits + margin / (len(r) * 10)  # on ties, the wider lead of right firsts
        if score > best[0]:
            best = (score, w)
    return best[1]


def fit_confidence(r: Ranked, l2: float = 0.02) -> list[float]:
    """Logistic regression (bias first) of "the first hit is the expected one"."""
    xs = np.array([[1.0, *f] for _, s, f in r if f])
    ys = np.array([float(s[0][1] == e) for e, s, f in r if f])
    coef = np.zeros(xs.shape[1])
    for _ in range(6000):
        p = 1.0 / (1.0 + np.exp(-(xs @ coef)))
        grad = xs.T @ (p - ys) / len(ys) + l2 * np.r_[0.0, coef[1:]]
        coef -= 4.0 * grad
    return [round(float(c), 4) for c in coef]


def probabilities(r: Ranked, coef: list[float]) -> list[tuple[str | None, float, str | None]]:
    out = []
    for e, s, f in r:
        if not f:
            out.append((e, 0.0, None))
            continue
        z = float(np.dot(coef, [1.0, *f]))
        out.append((e, 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), s[0][1]))
    return out


def fit_thresholds(probs: list[tuple[str | None, float, str | None]], max_wrong: float) -> dict[str, float]:
    """Answer above the confidence that maximises top-1 with few wrong answers; options above
    the confidence that 90 % of out-of-scope questions stay under."""
    n = len(probs)
    oos = sorted(p for e, p, _ in probs if e is None)
    floor = oos[min(len(oos) - 1, int(0.9 * len(oos)))] + 1e-3 if oos else 0.3
    best = (-1.0, 0.99)
    for a in [x / 200 for x in range(20, 200)]:
        if a < floor:
            continue
        answered = [(e, top) for e, p, top in probs if p >= a]
        wrong = sum(1 for e, top in answered if top != e)
        if wrong <= max_wrong * n and len(answered) - wrong > best[0]:
            best = (len(answered) - wrong, a)
    return {"answer": best[1], "options": round(min(floor, best[1]), 4), "window": 0.1}


def evaluate(probs: list[tuple[str | None, float, str | None]], t: dict[str, float]) -> dict[str, float]:
    n = len(probs)
    inscope = sum(1 for e, _, _ in probs if e)
    top1 = sum(1 for e, p, top in probs if e and p >= t["answer"] and top == e)
    wrong = sum(1 for e, p, top in probs if p >= t["answer"] and top != e)
    caught = sum(1 for e, p, _ in probs if e is None and p < t["options"])
    return {"top1": top1 / max(1, inscope), "wrong": wrong / n, "oos_none": caught / max(1, n - inscope)}


def fit(rows: list[Row], max_wrong: float) -> tuple[Weights, list[float], dict[str, float]]:
    w = fit_weights(rows)
    r = ranked(rows, w)
    coef = fit_confidence(r)
    return w, coef, fit_thresholds(probabilities(r, coef), max_wrong)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-wrong", type=float, default=0.02, help="share of all questions")
    ap.add_argument(
        "--max-wrong-names", type=float, default=None,
        help="the same for names-only catalogs, where options count as a miss (default: --max-wrong)",
    )
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    profiles: dict[str, Any] = {}
    for name in DATASETS:
        catalog, qs = load(name)
        index = SearchIndex.build(catalog, thresholds={})
        rows = signals(index, qs)
        names_only = profile_of(catalog) == "names" and args.max_wrong_names is not None
        max_wrong = args.max_wrong_names if names_only else args.max_wrong
        fold = [zlib.crc32(q["q"].encode()) % 2 for q in qs]
        for k in (0, 1):
            train = [r for r, f in zip(rows, fold, strict=True) if f != k]
            test = [r for r, f in zip(rows, fold, strict=True) if f == k]
            w, coef, t = fit(train, max_wrong)
            res = evaluate(probabilities(ranked(test, w), coef), t)
            print(f"{name} held-out fold {k}: " + " ".join(f"{a} {b:.3f}" for a, b in res.items()))
        w, coef, t = fit(rows, max_wrong)
        res = evaluate(probabilities(ranked(rows, w), coef), t)
        print(f"{name} ({profile_of(catalog)}) all: weights {w} {t} -> " + " ".join(f"{a} {b:.3f}" for a, b in res.items()))
        profiles[profile_of(catalog)] = {
            "weights": dict(zip(("cov", "name", "fuzz", "kind"), w, strict=True)),
            "confidence": coef,
            **t,
            "fitted_on": name,
            "max_wrong": max_wrong,
            "questions": len(qs),
        }
    if not args.dry_run:
        THRESHOLDS.write_text(json.dumps({"profiles": profiles}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {THRESHOLDS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
