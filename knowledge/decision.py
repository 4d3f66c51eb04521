"""How search decides: the confidence that its first hit is right, and what follows from it.

A logistic model over features of the reranked short list (first score and its lead, also
relative to the part of the question the catalog knows; how much of the question and of the
first name is covered; crowding at the top; question length; share of the question in words
the catalog never uses, and in telling words of general Chinese the first hit lacks) gives
that confidence. Above the answer threshold the first hit is the answer, above the options
threshold the close hits are offered, below it "none". Model and thresholds are learnt per
catalog shape ("rich", "names") by bench/calibrate.py and stored in thresholds.json; this
module holds what both search and calibrate.py must compute alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from knowledge.catalog import Catalog, Kind

THRESHOLDS = Path(__file__).with_name("thresholds.json")
DEFAULT_PROFILE: dict[str, Any] = {
    "weights": {"cov": 0.8, "name": 0.0, "fuzz": 0.2, "kind": 0.1},
    "answer": 0.6, "options": 0.4, "window": 0.12,
}

Decision = Literal["answer", "options", "none"]
OPTIONS = 4  # hits offered at most when search is unsure (a fifth choice: none of them)
TIE = 0.005  # scores this close are a tie: offer both rather than pick one (a profile's "tie" overrides)
SCORE_PLACES = 4  # a hit's score as search shows it, and as decide() compares it for a tie


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    kind: Kind
    score: float


@dataclass(frozen=True)
class SearchResult:
    decision: Decision
    answer: str | None
    results: list[Hit]
    options: list[Hit] = field(default_factory=list)
    query: str = ""  # the normalised question
    matched: int = 0  # documents that shared at least one key with the question
    scored: int = 0  # documents that got the fine (rerank) scoring
    confidence: float = 0.0  # estimated probability that results[0] is what was asked
    semantic: bool = False  # the semantic stage reranked and judged this result


CONFIDENCE_FEATURES = 21
LACKS_SINGLE = 20  # where confidence_features() puts Coverage.lacks_single


def confidence_features(
    scored: list[tuple[float, Any, float, float, float, float]],
    matched: int,
    unknown: float,
    length: int,
    alike: float = 0.0,
    unexplained: float = 0.0,
    lacks_single: float = 0.0,
) -> list[float]:
    """What tells a sure first hit from a guess: its score and lead (also relative to the part
    of the question the catalog knows, as long questions carry many words no name has), how
    much of its name and of the question it covers, how crowded the top is, the question's
    length, how much of the question the catalog has never seen, how alike the first two
    names are (`alike`: near neighbours such as 户口迁入/迁出 登记 need a wider lead), the
    share of the question's telling words the first hit lacks (Coverage.unexplained), and
    whether it lacks one of the question's one-character words (Coverage.lacks_single)."""
    s1, _, c1, n1, f1, d1 = scored[0]
    s2, _, _, n2, f2, d2 = scored[1] if len(scored) > 1 else (0.0, None, 0.0, 0.0, 0.0, 0.0)
    s3 = scored[2][0] if len(scored) > 2 else 0.0
    known = max(1e-3, 1.0 - unknown)
    crowd = sum(1 for r in scored[1:6] if r[0] >= s1 - 0.05) / 5.0
    size = math.log1p(length) / 4.0
    return [
        s1, s1 - s2, (s1 - s2) / max(s1, 1e-6), c1, n1, f1, math.log1p(matched) / 10.0, unknown,
        n1 - n2, f1 - f2, s1 / known, (s1 - s2) / known, size, s2 - s3, crowd, d1, d1 - d2,
        alike, alike * (s1 - s2), unexplained, lacks_single,
    ]


SEMANTIC_FEATURES = 6
SEMANTIC_SPREAD = 0.01  # similarities closer than this over a short list say nothing


def semantic_relative(sims: np.ndarray) -> np.ndarray:
    """Each candidate's similarity to the question relative to the short list's (z-scores):
    e5's cosines sit in a narrow band whose level depends on the question (typed pinyin is
    low everywhere), so only their order and spread within one question mean something."""
    if len(sims) < 2:
        return np.zeros(len(sims))
    return (sims - sims.mean()) / max(float(sims.std()), SEMANTIC_SPREAD)


def semantic_features(sims: np.ndarray, rel: np.ndarray) -> list[float]:
    """Semantic evidence about the first hit, in the reranked order: its relative similarity
    and lead over the second, whether it is also the most similar, how far below the most
    similar it is, its similarity, and how peaked the short list is (a question the catalog
    lacks tends to be about equally far from all of it)."""
    if not len(sims):
        return [0.0] * SEMANTIC_FEATURES
    r2 = float(rel[1]) if len(rel) > 1 else float(rel[0])
    top = float(sims.max())
    return [float(rel[0]), float(rel[0]) - r2, float(int(np.argmax(sims)) == 0), float(sims[0]) - top,
            float(sims[0]), top - float(sims.mean())]


def logistic(x: list[float], coef: list[float], mean: list[float], scale: list[float]) -> float:
    """A logistic model over standardised features (bias first in `coef`)."""
    z = coef[0] + sum(a * (b - m) / s for a, b, m, s in zip(coef[1:], x, mean, scale, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def near_pick(
    scores: list[float], pair: Callable[[int], tuple[float, float, bool]], p: Mapping[str, Any] | None
) -> int:
    """Which hit of a sorted short list to put first: the first, unless a near neighbour of
    it (a name at least `alike` like its own, of the same kind, scoring within `gap`) has
    clearly more of its own words in the question (lead over the first's own words above
    `lead`): 户口迁出登记 vs 户口迁入登记 differ only where the question tells them apart,
    while the summaries and FAQs that decide the score mostly share the rest. `pair(j)` is
    (likeness, lead, same kind) of hit j against the first; `p` the fitted rule (None: off)."""
    if not p:
        return 0
    best, pick = p["lead"], 0
    for j in range(1, min(len(scores), int(p["depth"]) + 1)):
        if scores[0] - scores[j] > p["gap"]:
            break
        alike, lead, same = pair(j)
        if same and alike >= p["alike"] and lead > best:
            best, pick = lead, j
    return pick


def option_count(scores: Sequence[float], window: float) -> int:
    """How many of the first hits (scores in falling order) are offered as options: those
    within `window` of the first, at most OPTIONS, and at least two to choose between."""
    close = sum(1 for s in scores[:OPTIONS] if s >= scores[0] - window) if scores else 0
    return min(len(scores), max(2, close))


def profile_of(catalog: Catalog) -> str:
    """"rich" when most items have summaries or FAQs, else "names": they score differently."""
    items = list(catalog.items.values())
    rich = sum(1 for i in items if i.summary or i.faq)
    return "rich" if items and rich >= 0.5 * len(items) else "names"


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, dict[str, Any]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["profiles"]
    except (OSError, KeyError, ValueError):
        return {}


def decide(
    params: Mapping[str, Any], text: str, hits: list[Hit], p1: float, k: int, matched: int, scored: int
) -> SearchResult:
    """What search does with its ranked hits and the first one's confidence `p1`, under a
    profile's thresholds (`params`): answer, offer the close hits, or say the catalog has none."""
    results = hits[:k]
    # A tie at the top means the question does not say which of two items it wants
    # (身份证 → 首次申领, 换领 or 补领?): ask, however confident the model is.
    tied = len(hits) > 1 and hits[1].score >= hits[0].score - params.get("tie", TIE)
    if hits and p1 >= params["answer"] and not tied:
        return SearchResult("answer", hits[0].code, results, [], text, matched, scored, p1)
    if p1 >= params["options"] and len(hits) > 1 and hits[0].score >= params.get("floor", 0.0):
        options = hits[: option_count([h.score for h in hits], params["window"])]
        return SearchResult("options", None, results, options, text, matched, scored, p1)
    return SearchResult("none", None, results, [], text, matched, scored, p1)
