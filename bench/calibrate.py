"""Learn the reranking weights and decision thresholds from labelled dev questions.

usage: .venv/bin/python bench/calibrate.py [--max-wrong SHARE] [--dry-run] [--cv-weights]

For each catalog shape (profile "rich": items with summaries and FAQs, "names": names
only), it fits on that shape's dev set the weights of the rerank signals and the
near-neighbour tie-break that together put the expected code first most often (the best
WEIGHTS_TRIED weightings without it, each with its own tie-break; knowledge.decision.near_pick:
the second hit goes first when its name is like the first's, it scores within a fitted gap
and more of the words that tell the two names apart are its own; kept only where it gains). Per shape, a confidence model ("the first hit is right",
logistic, standardised features) is then fitted on both dev sets pooled, the shape's own
questions counted OWN_WEIGHT times (the shapes score differently, yet 100 names-only
questions alone overfit it), and the answer threshold that maximises top-1 (answer ==
expected) while confident wrong answers stay under the shape's MAX_WRONG (or --max-wrong)
of all questions and >= 90 % of out-of-scope questions get no answer; below it, options
are offered down to where "none" is right for more out-of-scope questions than it turns away
in-scope ones whose item would have been offered, and only when the first hit scores no
lower than every first hit that led to an offerable item (the floor, against chit-chat the
model never saw; fit_thresholds). A tie at the top is never answered (search offers both),
so it counts as unanswered here too and the numbers match the CLI's.
Stratified k-fold cross-validation (by data set and style, several shuffles) reports how
the confidence model and thresholds hold on questions they did not see (the rerank
weights are fitted on all questions; --cv-weights also reports how often the expected code
is ranked first when the weights are fitted on the other folds: about a minute more);
the stored values are fitted on all of them.
With the `semantic` extra installed (vectors cached in var/cache), the catalog shapes named
by --semantic-profiles also get a semantic section: a rerank weight for each candidate's
relative similarity to the question, and a second confidence model over the lexical
confidence (as a logit) and a few semantic features, fitted on the questions whose lexical
confidence is under --gate (the only ones search runs the stage for). Measured (held-out,
max-wrong 0.02): for "names" (real catalog) top-1 0.487 -> 0.558, wrong 0.040 -> 0.047, oos
caught 0.917 -> 0.900 with features 2,3, gate 0.95 and questions cut at 32 characters (rank-1
0.81 -> 0.84; with the unexplained-words feature since: 0.504 -> 0.546, wrong 0.050 both,
oos 0.900 -> 0.883; since "names" questions count 5 times in its lexical model, that model
alone gives 0.537 / 0.040 / 0.950 and the stage adds little: 0.542 / 0.040 / 0.950, or 0.550 /
0.040 / 0.950 embedding a long question's opening and end; with ties ranked in a fixed order
since, 0.525 / 0.043 / 0.933 lexical and 0.558 / 0.050 / 0.900 with the stage); fragile: cut
at 24 or 16 characters the held-out gain is gone; for "rich" every feature set tried lowered
held-out top-1 or oos caught (0.751/0.80 -> 0.72-0.74/0.60-0.76; on 2026-11-26
0.755/0.733 -> 0.737/0.689): its out-of-scope questions are near-domain, and the nearest
item is near in meaning too.
Writes knowledge/thresholds.json, which SearchIndex loads by default.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_quality import DATASETS  # noqa: E402  (one list of dev sets for every bench)
from knowledge.catalog import Catalog  # noqa: E402
from knowledge.decision import (  # noqa: E402
    LACKS_SINGLE,
    SCORE_PLACES,
    THRESHOLDS,
    TIE,
    confidence_features,
    near_pick,
    option_count,
    profile_of,
    semantic_features,
    semantic_relative,
)
from knowledge.formats import read_catalog_files  # noqa: E402
from knowledge.search import SearchIndex  # noqa: E402
from knowledge.semantic import SemanticStage, VectorCache, load_encoder, question_text  # noqa: E402
from knowledge.text import normalise  # noqa: E402

Cand = tuple[str, float, float, float, float, float]  # code, coverage, name match, fuzzy, bundle cue, name covered
Pairs = dict[tuple[str, str], tuple[float, float, bool]]  # (first, other) -> SearchIndex.near_pair
# expected, candidates, matched docs, unknown, length, near pairs, what of the question each candidate lacks
Row = tuple[str | None, list[Cand], int, float, int, Pairs, dict[str, tuple[float, float]]]
Near = dict[str, float] | None  # the near-neighbour tie-break rule (knowledge.decision.near_pick), None: off
Weights = tuple[float, float, float, float]  # coverage, name match, fuzzy, bundle cue
Ranked = list[tuple[str | None, list[tuple[float, str]], list[float]]]  # + confidence features


class Prob(NamedTuple):
    """One question as the decision sees it."""

    expect: str | None
    conf: float  # that the first hit is right
    top: str | None  # the first code; None where search never answers (no hits, a tie at the top)
    offered: bool  # the expected code would be among the options (False out of scope)
    first: float  # the first hit's score


WINDOW = 0.1  # options are the hits this close to the first (knowledge.decision.option_count)
HELD = {"answer": 0.75, "options": 0.25}  # thresholds of held-out levels (1 answer, 0.5 options, 0 none)
FOLDS, SEEDS = 5, (0, 1, 2)
OOS_WEIGHT = 5.0
# How much a shape's own questions count in its confidence model, chosen by cross-validation
# (lexical stage, 3 shuffles): for "names", 1.5 / 3 / 5 / 10 gave held-out top-1 0.500 / 0.521 /
# 0.537 / 0.525, wrong 0.050 / 0.043 / 0.040 / 0.040, out-of-scope caught 0.883 / 0.917 / 0.950 /
# 0.983 (the features' spread differs between the shapes, and the names-only questions are
# now enough to hold their own); for "rich" 0.5 / 1 / 2 only slide along top-1 0.725 / 0.755 /
# 0.776 against out-of-scope caught 0.80 / 0.73 / 0.69.
OWN_WEIGHT = {"rich": 1.0, "names": 5.0}
# The semantic stage's second model is fitted on fewer questions (those under the gate):
# for "names" 1 / 1.5 / 3 / 5 gave held-out top-1 0.537 / 0.542 / 0.550 / 0.537, wrong 0.040 /
# 0.040 / 0.050 / 0.057, out-of-scope caught 0.950 / 0.950 / 0.900 / 0.883.
SEMANTIC_OWN_WEIGHT = 1.5
# How much a question's one-character words count (knowledge.text.Analyzer.keys `single`;
# otherwise as characters, 0.3), chosen by cross-validation (3 shuffles): for "names" 0.6 /
# 0.8 / 1.0 gave held-out top-1 0.542 / 0.542 / 0.537, wrong 0.033 / 0.030 / 0.027, out-of-scope
# caught 0.967 / 0.983 / 1.000, turned away 0.058 / 0.054 / 0.067 (without: 0.525 / 0.043 / 0.933
# / 0.054; reference unchanged); for "rich" 0.8 cost reference top-1 0.760 -> 0.733: its long
# summaries and FAQs have every character somewhere.
SINGLE_WORD = {"names": 0.8}
# How much a synonym's variant weighs against the catalog's own words (knowledge.documents
# `expanded`; otherwise EXPANDED, 0.85), chosen by cross-validation (8 shuffles, "rich" at 0.85):
# for "names" 0.85 / 0.9 / 0.95 / 1.0 gave held-out top-1 0.572 / 0.580 / 0.597 / 0.603, wrong
# 0.030 / 0.029 / 0.028 / 0.021, out-of-scope caught 1.000 for all (rank-1 0.838 -> 0.850 at
# 1.0): a names-only catalog's synonyms are its only words for what citizens say. For "rich",
# whose summaries and FAQs already hold them, 0.95 changed nothing (reference top-1 0.763 ->
# 0.764, out-of-scope caught 0.775 both); the reference's out-of-scope share moves between
# 0.775 and 0.800 with the "names" value alone, through the pooled confidence model.
EXPANDED_BY_SHAPE = {"names": 1.0}


def shape_params(shape: str) -> dict[str, float]:
    """What a catalog shape's index is built with besides the defaults (one-character words,
    synonym variants); stored in its profile."""
    out = {"single_word": SINGLE_WORD.get(shape), "expanded": EXPANDED_BY_SHAPE.get(shape)}
    return {k: v for k, v in out.items() if v is not None}


# The share of confident wrong answers each shape's thresholds may give in-sample, chosen by
# cross-validation (8 shuffles) so that held-out they stay within the 3 % target: for "names"
# 0.02 / 0.0125 / 0.01 give 0.037 / 0.030 / 0.028 wrong at top-1 0.586 / 0.572 / 0.556 (before
# Coverage.lacks_single, 0.02 gave 0.033 at 0.545); for "rich" 0.02 gives 0.018, and 0.025
# or 0.03 change nothing (there the >= 90 % out-of-scope rule binds first). In-sample counts
# are optimistic on 100 questions: the model was fitted on the same ones. A share means whole
# questions: a fold fits on 80 "names" questions, the stored thresholds on all 100, so only
# shares allowing as many wrong answers in both (0.0125: one; 0.025: two) are measured
# held-out as shipped; 0.02 (one, two) and 0.01 (none, one) above are not.
MAX_WRONG = {"rich": 0.02, "names": 0.0125}
# How close the first two scores may be before search calls it a tie and asks (knowledge.decision
# .decide), chosen by cross-validation (8 shuffles): for "rich" 0.005 / 0.002 / 0.001 / 0.0001 /
# 0 gave held-out top-1 0.763 / 0.767 / 0.769 / 0.773 / 0.774 at the same wrong (0.019) and
# out-of-scope caught (0.775), and after the service-action lexicon 0.005 / 0.0001 / 0.00005 / 0
# gave 0.751 / 0.760 / 0.760 / 0.761: its near ties (补领婚姻登记证 0.8841 against 内地居民离婚登记
# 0.8807) put the right item first, as the summaries and FAQs behind the scores differ. For
# "names" the first values gave top-1 0.603 / 0.603 / 0.603 / 0.603 / 0.620 but wrong 0.021 /
# 0.030 / 0.034 / 0.034 / 0.037 (0.01 / 0.005 / 0.002 / 0.0001 after the lexicon: 0.656 / 0.673 /
# 0.670 / 0.672 at 0.025 / 0.030 / 0.039 / 0.044): like names score alike on a few shared words,
# and which comes first is then often chance. Search compares the scores it shows (rounded to 4
# places; so does probabilities()): 0.00005, half a unit, is "the same score as shown", clear
# of floating point either way; equal scores stay a tie whatever the fixed order behind them.
TIES = {"rich": 0.00005}


def tie_of(shape: str) -> float:
    """The tie a catalog shape's search uses (TIES, else knowledge.decision.TIE)."""
    return TIES.get(shape, TIE)


NAMES: dict[str, str] = {}  # code -> name of every candidate seen, for the name likeness feature


def load(name: str) -> tuple[Catalog, list[dict[str, Any]]]:
    files, questions = DATASETS[name]
    catalog = read_catalog_files(files)
    qs = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    return catalog, qs


def dataset_signals(
    name: str, semantic: bool, question_chars: int | None
) -> tuple[list[dict[str, Any]], str, list[Row], dict[str, str], Sims | None]:
    """(questions, catalog shape, signals, names of the candidates seen, semantic similarities
    or None) of one dev set. main() runs it in a fresh process for each dev set, as `kb search`
    sees one catalog: jieba's dictionary is process-wide and keeps every catalog's words, so a
    catalog indexed after another segmented its questions with the other's words too (the real
    catalog's in-sample top-1 read 0.688 here against 0.675 from the CLI)."""
    catalog, qs = load(name)
    shape = profile_of(catalog)
    index = SearchIndex.build(catalog, thresholds={shape: shape_params(shape)})
    rows = signals(index, qs)
    sims = semantic_sims(catalog, qs, rows, question_chars) if semantic else None
    return qs, shape, rows, dict(NAMES), sims


def signals(index: SearchIndex, qs: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for q in qs:
        text, cands, matched, unknown, lacks = index.candidates(q["q"])
        NAMES.update((d.code, d.name) for d, *_ in cands)
        keys = index.lookup_keys(text)
        pairs: Pairs = {}
        for (d, *_), (e, *_) in itertools.permutations(cands, 2):
            if fuzz.ratio(d.name, e.name) >= 100 * min(NEAR_GRID["alike"]):  # the others never count
                pairs[(d.code, e.code)] = index.near_pair(d, e, keys)
        missed = {d.code: x for (d, *_), x in zip(cands, lacks, strict=True)}  # each may come first
        rows.append(
            (q.get("expect"), [(d.code, c, n, f, b, dc) for d, c, n, f, b, dc in cands], matched, unknown,
             len(text.replace(" ", "")), pairs, missed)
        )
    return rows


# The tie-break's grid: only the score gap is fitted. Fitting likeness (0.4-0.8), lead
# (0-0.5) and depth (1-3) too chose 0.6 / 0 / 2 on most folds, yet held-out rank-1 gained
# less (reference 0.915 -> 0.918 over 3 shuffles, against 0.921 with the gap alone).
NEAR_GRID = {"alike": (0.6,), "gap": (0.01, 0.02, 0.03, 0.05, 0.08, 0.12), "lead": (0.0,), "depth": (2.0,)}


def lexical(cands: list[Cand], w: Weights, near: Near, pairs: Pairs) -> list[float]:
    """Each candidate's lexical score, as search scores it: the linear score, then the
    near-neighbour tie-break (the promoted hit and the first exchange scores)."""
    lex = [min(1.0, max(0.0, w[0] * c + w[1] * n + w[2] * f + w[3] * b)) for _, c, n, f, b, _ in cands]
    if near and len(cands) > 1:
        order = sorted(range(len(cands)), key=lambda j: -lex[j])
        first = cands[order[0]][0]
        pick = near_pick([lex[j] for j in order], lambda j: pairs.get((first, cands[order[j]][0]), (0.0, 0.0, False)),
                         near)
        if pick:
            a, b = order[0], order[pick]
            lex[a], lex[b] = lex[b], lex[a]
    return lex


def first_codes(rows: list[Row], w: Weights, near: Near) -> list[str | None]:
    """The code ranked first for each question (None without candidates)."""
    out: list[str | None] = []
    for _, cands, *_, pairs, _ in rows:
        if not cands:
            out.append(None)
            continue
        lex = lexical(cands, w, near, pairs)
        out.append(cands[max(range(len(cands)), key=lambda j: (lex[j], -j))][0])
    return out


def fit_near(rows: list[Row], w: Weights) -> Near:
    """The tie-break rule that puts the expected code first most often (None when none
    gains); on ties the strictest: the narrowest gap, the highest likeness and lead."""
    base = sum(1 for (e, *_), top in zip(rows, first_codes(rows, w, None), strict=True) if e and top == e)
    best: tuple[tuple[float, ...], Near] = ((base, 0.0, 0.0, 0.0, 0.0), None)
    for alike, gap, lead, depth in itertools.product(*NEAR_GRID.values()):
        near = {"alike": alike, "gap": gap, "lead": lead, "depth": depth}
        hits = sum(1 for (e, *_), top in zip(rows, first_codes(rows, w, near), strict=True) if e and top == e)
        key = (hits, -gap, -depth, alike, lead)
        if hits > base and key > best[0]:
            best = (key, near)
    return best[1]


Sims = list[np.ndarray | None]  # per question: similarity of each candidate (in Row order)
SEM_GRID = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12)
CACHE = ROOT / "var" / "cache"


def semantic_sims(catalog: Catalog, qs: list[dict[str, Any]], rows: list[Row], limit: int | None = None) -> Sims | None:
    """Question-to-candidate similarities from the semantic stage (vectors cached in var/cache),
    or None without the `semantic` extra."""
    encoder = load_encoder(threads=2)
    if encoder is None:
        return None
    stage = SemanticStage.for_catalog(encoder, catalog, CACHE, background=False)
    texts = [question_text(normalise(q["q"]), limit) or " " for q in qs]
    qvecs = VectorCache(CACHE, encoder.name, "query").vectors(texts, encoder.query)
    return [stage.similarities_to(v, [c[0] for c in cands]) if cands else None
            for v, (_, cands, *_) in zip(qvecs, rows, strict=True)]


def ranked_semantic(rows: list[Row], w: Weights, ws: float, sims: Sims, near: Near = None) -> Ranked:
    """ranked() with each candidate's relative similarity (weighted `ws`) added to its score;
    the features are the semantic ones and whether the first hit changed (the lexical
    confidence goes first, in fit: it depends on the fold's lexical model)."""
    out: Ranked = []
    for (expect, cands, *_, pairs, _), sim in zip(rows, sims, strict=True):
        if not cands or sim is None:
            out.append((expect, [], []))
            continue
        rel = semantic_relative(sim)
        lex = lexical(cands, w, near, pairs)
        scored = sorted(
            (
                (min(1.0, max(0.0, x + ws * r)), code, c, n, f, dc, si, r)
                for x, (code, c, n, f, b, dc), si, r in zip(lex, cands, sim, rel, strict=True)
            ),
            key=lambda r: -r[0],
        )
        lexical_first = max(range(len(cands)), key=lambda j: (lex[j], -j))
        feats = [float(scored[0][1] != cands[lexical_first][0])] + semantic_features(
            np.array([x[6] for x in scored]), np.array([x[7] for x in scored]))
        out.append((expect, [(x[0], x[1]) for x in scored], feats))
    return out


def fit_semantic_weight(rows: list[Row], w: Weights, sims: Sims, near: Near = None) -> float:
    """The weight of relative similarity that puts the expected code first most often."""
    best = (-1.0, 0.0)
    for ws in SEM_GRID:
        r = ranked_semantic(rows, w, ws, sims, near)
        hits = sum(1 for e, s, _ in r if e and s and s[0][1] == e)
        if hits > best[0]:
            best = (hits, ws)
    return best[1]


def ranked(rows: list[Row], w: Weights, near: Near = None) -> Ranked:
    out: Ranked = []
    for expect, cands, matched, unknown, length, pairs, missed in rows:
        scored = sorted(
            (
                (x, code, c, n, f, dc)
                for x, (code, c, n, f, b, dc) in zip(lexical(cands, w, near, pairs), cands, strict=True)
            ),
            key=lambda r: -r[0],
        )
        feats = (
            confidence_features(
                [(s, None, c, n, f, dc) for s, _, c, n, f, dc in scored], matched, unknown, length,
                fuzz.ratio(NAMES[scored[0][1]], NAMES[scored[1][1]]) / 100.0 if len(scored) > 1 else 0.0,
                *missed[scored[0][1]],
            )
            if scored else []
        )
        out.append((expect, [(s, code) for s, code, *_ in scored], feats))
    return out


def rank1(rows: list[Row], w: Weights, near: Near = None) -> float:
    """Share of in-scope questions whose expected code the weights `w` (and tie-break) rank first."""
    inscope = [(e, top) for (e, *_), top in zip(rows, first_codes(rows, w, near), strict=True) if e]
    return sum(1 for e, top in inscope if top == e) / max(1, len(inscope))


def rank1_of(r: Ranked) -> float:
    inscope = [(e, s) for e, s, _ in r if e]
    return sum(1 for e, s in inscope if s and s[0][1] == e) / max(1, len(inscope))


def weights_cv(rows: list[Row], seed: int = 0, near: bool = True) -> tuple[float, float]:
    """(in-sample, held-out) rank-1 of the fitted weights and tie-break (`near`), the held-out
    one by FOLDS-fold cross-validation: a grid of weights picked on all questions flatters itself."""
    fold = np.random.default_rng(seed).permutation(len(rows)) % FOLDS
    hits = total = 0.0
    for k in range(FOLDS):
        test = [row for row, f in zip(rows, fold, strict=True) if f == k]
        train = [row for row, f in zip(rows, fold, strict=True) if f != k]
        w, nr = fit_weights_near(train) if near else (fit_weights(train), None)
        n = sum(1 for row in test if row[0])
        hits += rank1(test, w, nr) * n
        total += n
    w, nr = fit_weights_near(rows) if near else (fit_weights(rows), None)
    return rank1(rows, w, nr), hits / max(1.0, total)


def weight_scores(rows: list[Row]) -> list[tuple[float, Weights]]:
    """Every weighting of the grid (the first three summing to 1) with how often it puts the
    expected code first (on ties, the wider lead of right firsts decides), best first."""
    out: list[tuple[float, Weights]] = []
    grid = [x / 20 for x in range(21)]
    for a, b, k in itertools.product(grid, grid, (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)):
        if a + b > 1.0:
            continue
        w = (a, b, round(1.0 - a - b, 2), k)
        r = ranked(rows, w)
        hits = sum(1 for e, s, _ in r if e and s and s[0][1] == e)
        margin = sum(s[0][0] - (s[1][0] if len(s) > 1 else 0) for e, s, _ in r if e and s and s[0][1] == e)
        out.append((hits + margin / (len(r) * 10), w))
    return sorted(out, key=lambda x: -x[0])


def fit_weights(rows: list[Row]) -> Weights:
    """Weights that put the expected code first most often (without the tie-break)."""
    return weight_scores(rows)[0][1]


# Weightings (the best without the tie-break) each tried with its own fitted tie-break: the two
# interact (the tie-break decides between like names whatever the weights), and the best alone
# was often not the best with it: after the lexicon of 2026-12-08 (0.70, 0.25, 0.05) led
# (0.85, 0, 0.15) by one question without it and trailed by two with it, which cost held-out
# reference top-1 0.775 -> 0.736 (3 shuffles).
WEIGHTS_TRIED = 12


def fit_weights_near(rows: list[Row]) -> tuple[Weights, Near]:
    """The weights and tie-break that together put the expected code first most often."""
    best: tuple[tuple[int, float], Weights, Near] | None = None
    for score, w in weight_scores(rows)[:WEIGHTS_TRIED]:
        near = fit_near(rows, w)
        hits = sum(1 for (e, *_), top in zip(rows, first_codes(rows, w, near), strict=True) if e and top == e)
        if best is None or (hits, score) > best[0]:
            best = ((hits, score), w, near)
    assert best is not None
    return best[1], best[2]


Model = tuple[list[float], list[float], list[float]]  # coefficients (bias first), means, scales


def fit_confidence(r: Ranked, l2: float = 0.01, weight: list[float] | None = None) -> Model:
    """Logistic regression (bias first, standardised features) of "the first hit is the
    expected one"; out-of-scope questions are negatives, weighted OOS_WEIGHT times: they are
    few in the dev sets, yet the answer threshold has to stay above nearly all of them.
    `weight` (one per question) counts some questions more, such as a shape's own."""
    weight = weight or [1.0] * len(r)
    xs = np.array([f for _, s, f in r if f])
    ys = np.array([float(s[0][1] == e) for e, s, f in r if f])
    sw = np.array([(OOS_WEIGHT if e is None else 1.0) * w for (e, _, f), w in zip(r, weight, strict=True) if f])
    std = xs.std(0)
    mean, scale = xs.mean(0), np.where(std > 1e-6, std + 1e-6, 1.0)  # a constant feature: 0 after centring
    z = np.c_[np.ones(len(xs)), (xs - mean) / scale]
    coef = np.zeros(z.shape[1])
    for _ in range(3000):
        p = 1.0 / (1.0 + np.exp(-(z @ coef)))
        coef -= z.T @ (sw * (p - ys)) / sw.sum() + l2 * np.r_[0.0, coef[1:]]
    return [round(float(c), 5) for c in coef], [round(float(m), 5) for m in mean], [round(float(v), 5) for v in scale]


def as_shape(r: Ranked, shape: str) -> Ranked:
    """Pooled questions for `shape`'s model, with the one feature its search may never set:
    where one-character words weigh as characters (no SINGLE_WORD), Coverage.lacks_single
    is always 0, so it is 0 for the other shape's questions too and the model cannot lean on
    it (it had -0.24 on it). The "names" model keeps it as the rich catalog's questions come
    (0 there, as that index has no single_word): both shapes' questions tell it what 0 means."""
    if shape in SINGLE_WORD:
        return r
    return [(e, s, [*f[:LACKS_SINGLE], 0.0, *f[LACKS_SINGLE + 1 :]] if f else f) for e, s, f in r]


def probabilities(r: Ranked, model: Model, *, tie: float) -> list[Prob]:
    """Confidence that the first hit is right; the first code is None where search never
    answers whatever the confidence (no hits, or a tie at the top, within `tie` of the scores
    as search shows them: it offers both)."""
    coef, mean, scale = (np.array(v) for v in model)
    out: list[Prob] = []
    for e, s, f in r:
        if not f:
            out.append(Prob(e, 0.0, None, False, 0.0))
            continue
        z = float(coef[0] + coef[1:] @ ((np.array(f) - mean) / scale))
        tied = len(s) > 1 and round(s[1][0], SCORE_PLACES) >= round(s[0][0], SCORE_PLACES) - tie
        offered = e is not None and e in [c for _, c in s[: option_count([x for x, _ in s], WINDOW)]]
        conf = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        out.append(Prob(e, conf, None if tied else s[0][1], offered, s[0][0]))
    return out


def _cuts(values: list[float]) -> list[float]:
    """Thresholds that split `values` every way: halfway between neighbours (a threshold
    rounded onto a value would put it on the wrong side half the time)."""
    v = sorted(set(values))
    return [round((a + b) / 2, 6) for a, b in zip(v, v[1:], strict=False)]


def fit_thresholds(probs: list[Prob], max_wrong: float) -> dict[str, float]:
    """Answer above the confidence that maximises top-1 while confident wrong answers stay
    under `max_wrong` of all questions and >= 90 % of out-of-scope ones get no answer.

    Under it, options are offered down to the confidence where saying "none" (the catalog
    has nothing) is right for more out-of-scope questions than it is wrong for in-scope ones
    whose item would have been offered. The two mistakes are not alike: a citizen told
    "none" about an item the catalog has is turned away, while one shown options for a
    question it lacks has "none of these" among them and reaches a person in one tap; so
    on equal counts the lower threshold wins. Options also need a first hit no lower than
    the floor (below)."""
    n = len(probs)
    n_oos = sum(1 for q in probs if q.expect is None)
    best = (-1, 0.999)
    for a in [*_cuts([q.conf for q in probs]), 0.999]:
        answered = [q for q in probs if q.conf >= a and q.top is not None]
        wrong = sum(1 for q in answered if q.top != q.expect)
        caught = sum(1 for q in probs if q.expect is None and (q.conf < a or q.top is None))
        if wrong <= max_wrong * n and caught >= 0.9 * n_oos and len(answered) - wrong > best[0]:
            best = (len(answered) - wrong, a)
    # A first hit scoring below every one that led to an offerable item is no lead at all
    # ("你们领导是谁"): "none" there, whatever the confidence model (it never saw chit-chat).
    floor = min((q.first for q in probs if q.offered), default=0.0)
    above = [q for q in probs if q.first >= floor]
    low = (0, 0.0)
    for o in _cuts([q.conf for q in above if q.conf < best[1]]):
        told = sum(1 for q in above if q.expect is None and q.conf < o)
        gain = told - sum(1 for q in above if q.offered and q.conf < o)
        if gain > low[0]:
            low = (gain, o)
    return {"answer": best[1], "options": low[1], "floor": round(floor - 1e-4, 4), "window": WINDOW}


def offers(q: Prob, t: dict[str, float]) -> bool:
    """Whether search would offer options for q below the answer threshold (knowledge.decision
    .decide): confidence over the options threshold, first hit over the floor."""
    return q.conf >= t["options"] and q.first >= t.get("floor", 0.0)


def evaluate(probs: list[Prob], t: dict[str, float]) -> dict[str, float]:
    """top-1, wrong and out-of-scope caught as devscore counts them; and of the questions
    told "none", in-scope ones whose item would have been offered (over in-scope questions:
    citizens turned away) and out-of-scope ones (over those: told plainly)."""
    n = len(probs)
    inscope = sum(1 for q in probs if q.expect)
    answered = [q for q in probs if q.conf >= t["answer"] and q.top is not None]
    top1 = sum(1 for q in answered if q.expect and q.top == q.expect)
    wrong = sum(1 for q in answered if q.top != q.expect)
    caught = sum(1 for q in probs if q.expect is None and (q.conf < t["answer"] or q.top is None))
    none = [q for q in probs if q.conf < t["answer"] and not offers(q, t)]
    lost = sum(1 for q in none if q.offered)
    told = sum(1 for q in none if q.expect is None)
    return {"top1": top1 / max(1, inscope), "wrong": wrong / n, "oos": caught / max(1, n - inscope),
            "lost": lost / max(1, inscope), "none": told / max(1, n - inscope)}


def operating_points(probs: list[Prob], levels: tuple[float, ...] = (0.9, 0.8, 0.0),
                     max_wrong: float = 0.03) -> list[tuple[float, float]]:
    """For each share of out-of-scope questions that must get no answer, the best top-1 any one
    answer threshold gives on held-out confidences while wrong answers stay under `max_wrong`:
    the model's trade-off itself, free of where each fold happened to put its threshold (with
    a few out-of-scope questions per fold, that moves more than most changes do)."""
    n, inscope = len(probs), sum(1 for q in probs if q.expect)
    n_oos = n - inscope
    best = dict.fromkeys(levels, 0.0)
    for a in [0.0, *_cuts([q.conf for q in probs])]:
        answered = [q for q in probs if q.conf >= a and q.top is not None]
        top1 = sum(1 for q in answered if q.expect and q.top == q.expect) / max(1, inscope)
        wrong = sum(1 for q in answered if q.top != q.expect) / max(1, n)
        caught = sum(1 for q in probs if q.expect is None and (q.conf < a or q.top is None)) / max(1, n_oos)
        for lvl in levels:
            if wrong <= max_wrong and caught >= lvl and top1 > best[lvl]:
                best[lvl] = top1
    return list(best.items())


def table(
    title: str, names: list[str], styles: list[str], probs: list[Prob], t: dict[str, dict[str, float]], repeat: int = 1
) -> None:
    """Per data set and style: top-1, wrong (over the style's questions), oos caught, and lost
    and none as evaluate() counts them;
    n counts questions once however many shuffles `probs` pools."""
    print(title)
    for name in t:
        print(f"  {name:10} {'style':13} {'n':>4} {'top1':>6} {'wrong':>6} {'oos':>6} {'lost':>6} {'none':>6}")
        for style in ["all", *sorted({s for s, m in zip(styles, names, strict=True) if m == name})]:
            sel = [p for p, s, m in zip(probs, styles, names, strict=True) if m == name and style in ("all", s)]
            res = evaluate(sel, t[name])
            cell = {k: f"{v:.3f}" for k, v in res.items()}
            if not any(q.expect for q in sel):
                cell["top1"] = cell["lost"] = "   -  "
            if all(q.expect for q in sel):
                cell["oos"] = cell["none"] = "   -  "
            print(f"  {'':10} {style:13} {len(sel) // repeat:>4} {cell['top1']:>6} {cell['wrong']:>6} {cell['oos']:>6}"
                  f" {cell['lost']:>6} {cell['none']:>6}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-wrong", type=float, default=None,
                    help="share of all questions, for every catalog shape (default: MAX_WRONG's, per shape)")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--cv-weights", action="store_true", help="also cross-validate the rerank weights")
    ap.add_argument("--no-semantic", action="store_true", help="fit the lexical stage only")
    ap.add_argument("--no-near", action="store_true", help="without the near-neighbour tie-break")
    ap.add_argument("--gate", type=float, default=0.95,
                    help="lexical confidence from which the semantic stage is skipped")
    ap.add_argument("--sem-features", default="2,3",
                    help="semantic features the second model uses: 0 first hit changed by the rerank, "
                    "then knowledge.decision.semantic_features (1 relative similarity, 2 its lead, "
                    "3 most alike, 4 below the most alike, 5 similarity, 6 peakedness)")
    ap.add_argument("--question-chars", type=int, default=None, help="embed at most this much of a question")
    ap.add_argument("--semantic-profiles", default="names", help="catalog shapes that get the semantic stage")
    args = ap.parse_args()
    USE = [int(x) for x in args.sem_features.split(",")]
    weights: dict[str, Weights] = {}
    nears: dict[str, Near] = {}
    sem_weight: dict[str, float] = {}
    profile: dict[str, str] = {}
    r: Ranked = []
    rs: Ranked = []  # the same questions reranked and described with the semantic stage
    names: list[str] = []
    styles: list[str] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(DATASETS), mp_context=context) as pool:
        computed = {name: pool.submit(dataset_signals, name, not args.no_semantic, args.question_chars)
                    for name in DATASETS}
        by_set = {name: job.result() for name, job in computed.items()}
    for name in DATASETS:
        qs, shape, rows, seen, sims = by_set[name]
        NAMES.update(seen)
        w, near = (fit_weights(rows), None) if args.no_near else fit_weights_near(rows)
        weights[name], nears[name] = w, near
        profile[name] = shape
        r += ranked(rows, w, near)
        if sims is not None:
            sem_weight[name] = fit_semantic_weight(rows, w, sims, near)
            rs += ranked_semantic(rows, w, sem_weight[name], sims, near)
            print(f"{name}: semantic weight {sem_weight[name]}, rank-1 "
                  f"{rank1(rows, w, near):.3f} -> {rank1_of(ranked_semantic(rows, w, sem_weight[name], sims, near)):.3f}")
        names += [name] * len(qs)
        styles += [q.get("style", "?") for q in qs]
        print(f"{name} ({profile[name]}): weights {w}, near-neighbour tie-break {near} "
              f"(rank-1 {rank1(rows, w):.3f} -> {rank1(rows, w, near):.3f})")
        if args.cv_weights:
            ins, held = weights_cv(rows, near=not args.no_near)
            print(f"{name}: rank-1 in-sample {ins:.3f}, held-out ({FOLDS}-fold, weights refitted) {held:.3f}")

    semantic = len(rs) == len(r)
    ties = {name: tie_of(profile[name]) for name in DATASETS}
    max_wrong = {name: MAX_WRONG[profile[name]] if args.max_wrong is None else args.max_wrong
                 for name in DATASETS}
    Models = tuple[dict[str, Model], dict[str, Model]]  # lexical, semantic (may be empty)

    def stacked(i: int, models: dict[str, Model]) -> tuple[str | None, list[tuple[float, str]], list[float]]:
        """Question i for the semantic model: its lexical confidence (as a logit) first."""
        e, scored, f = rs[i]
        p = min(1 - 1e-6, max(1e-6, probabilities([r[i]], models[names[i]], tie=ties[names[i]])[0].conf))
        return (e, scored, [math.log(p / (1 - p)), *(f[j] for j in USE)] if f else [])

    def fit(idx: list[int]) -> tuple[Models, dict[str, dict[str, float]]]:
        """Per catalog shape: a confidence model on both data sets pooled (its own questions
        counted OWN_WEIGHT times) and thresholds on its own questions; with the semantic
        stage, a second model over lexical and semantic features, fitted on the questions
        the stage runs for (lexical confidence under the gate)."""
        models: dict[str, Model] = {}
        sem: dict[str, Model] = {}
        t: dict[str, dict[str, float]] = {}
        for name in DATASETS:
            own = OWN_WEIGHT.get(profile[name], 1.0)
            models[name] = fit_confidence(as_shape([r[i] for i in idx], profile[name]),
                                          weight=[own if names[i] == name else 1.0 for i in idx])
        for name in DATASETS:
            if semantic and profile[name] in args.semantic_profiles.split(","):
                gated = [i for i in idx
                         if probabilities([r[i]], models[names[i]], tie=ties[names[i]])[0].conf < args.gate]
                own = SEMANTIC_OWN_WEIGHT
                sem[name] = fit_confidence([stacked(i, models) for i in gated],
                                           weight=[own if names[i] == name else 1.0 for i in gated])
            mine = [i for i in idx if names[i] == name]
            t[name] = fit_thresholds(probs_of(mine, (models, sem)), max_wrong[name])
        return (models, sem), t

    def probs_of(idx: list[int], m: Models) -> list[Prob]:
        """Each question's confidence by its own catalog shape's model, in the order of idx:
        the lexical one, or where that is under the gate, the semantic one."""
        models, sem = m
        out = []
        for i in idx:
            p = probabilities([r[i]], models[names[i]], tie=ties[names[i]])[0]
            if names[i] in sem and p.conf < args.gate:
                p = probabilities([stacked(i, models)], sem[names[i]], tie=ties[names[i]])[0]
            out.append(p)
        return out

    # k-fold cross-validation, stratified by data set and style, over several shuffles
    pooled: list[Prob] = []
    raw: list[Prob] = []  # the same, with the held-out confidences themselves
    for seed in SEEDS:
        fold = [0] * len(r)
        rng = np.random.default_rng(seed)
        for stratum in sorted(set(zip(names, styles, strict=True))):
            members = [i for i, key in enumerate(zip(names, styles, strict=True)) if key == stratum]
            rng.shuffle(members)
            for j, i in enumerate(members):
                fold[i] = j % FOLDS
        held: list[Prob] = [Prob(None, 0.0, None, False, 0.0)] * len(r)
        raw_held = list(held)
        for k in range(FOLDS):
            models, t = fit([i for i in range(len(r)) if fold[i] != k])
            test = [i for i in range(len(r)) if fold[i] == k]
            for i, p in zip(test, probs_of(test, models), strict=True):
                ti = t[names[i]]
                level = 1.0 if p.conf >= ti["answer"] else 0.5 if offers(p, ti) else 0.0
                held[i] = p._replace(conf=level)  # answered, options or none: see HELD
                raw_held[i] = p
        for name in DATASETS:
            res = evaluate([p for p, m in zip(held, names, strict=True) if m == name], HELD)
            print(f"held-out shuffle {seed} {name}: " + " ".join(f"{a} {b:.3f}" for a, b in res.items()))
        pooled += held
        raw += raw_held
    table(
        f"held-out ({FOLDS}-fold stratified cross-validation, mean of {len(SEEDS)} shuffles):",
        names * len(SEEDS), styles * len(SEEDS), pooled, {n: HELD for n in DATASETS}, len(SEEDS),
    )
    print("held-out trade-off (one answer threshold for every fold: the best top-1 with wrong under 3 %):")
    for name in DATASETS:
        points = operating_points([p for p, m in zip(raw, names * len(SEEDS), strict=True) if m == name])
        print(f"  {name:10} " + "  ".join(f"out-of-scope caught >= {lvl:.0%}: top-1 {top1:.3f}" for lvl, top1 in points))
    (models, sem), t = fit(list(range(len(r))))
    table("in-sample:", names, styles, probs_of(list(range(len(r))), (models, sem)), t)
    if semantic:
        for name in DATASETS:
            mine = [i for i in range(len(r)) if names[i] == name]
            runs = sum(1 for i in mine if name in sem
                       and probabilities([r[i]], models[name], tie=ties[name])[0].conf < args.gate)
            print(f"{name}: semantic stage runs for {runs}/{len(mine)} questions ({runs / len(mine):.0%})")
    profiles: dict[str, Any] = {}
    for name in DATASETS:
        coef, mean, scale = models[name]
        extra: dict[str, Any] = {}
        if name in sem:
            scoef, smean, sscale = sem[name]
            # the stage's own thresholds (with it, on the mixed confidences); the profile's own
            # stay the lexical ones, for search without the stage (not installed, or not ready)
            extra["semantic"] = {"gate": args.gate, "weight": sem_weight[name], "features": USE, "confidence": scoef,
                                 "mean": smean, "scale": sscale, **t[name]}
            mine = [i for i in range(len(r)) if names[i] == name]
            t[name] = fit_thresholds(probabilities([r[i] for i in mine], models[name], tie=ties[name]),
                                     max_wrong[name])
            assert t[name]["answer"] <= args.gate and extra["semantic"]["answer"] <= args.gate, "gate under answer"
        profiles[profile[name]] = {
            "weights": dict(zip(("cov", "name", "fuzz", "kind"), weights[name], strict=True)),
            **({"near": nears[name]} if nears[name] else {}),
            "confidence": coef,
            "mean": mean,
            "scale": scale,
            **t[name],
            "fitted_on": name,
            "max_wrong": max_wrong[name],
            "own_weight": OWN_WEIGHT.get(profile[name], 1.0),
            "tie": ties[name],
            **shape_params(profile[name]),
            "questions": names.count(name),
            **extra,
        }
    if not args.dry_run:
        THRESHOLDS.write_text(json.dumps({"profiles": profiles}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {THRESHOLDS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
