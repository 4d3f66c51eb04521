"""Catalog search: an inverted index over analysed keys, a short reranked list, a decision.

`SearchIndex.build(catalog)` is pure: it reads the immutable Catalog and returns a new,
read-only index, so the adapter layer can build one in a background thread while the old
one serves and then swap a single reference. A query touches only the postings of its own
keys (numpy arrays); only the best `RERANK` candidates get the finer, costlier signals.
Near neighbours (户口迁入/迁出登记) share most words and their summaries mention each other,
so a like-named second hit goes first when the question has more of the words that tell
the two names apart (`near_pick`). What follows from the ranked list (answer, options or
none) is knowledge.decision's; this module gathers the features its confidence model reads,
with knowledge.coverage telling what of the question the first hit lacks.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz

from knowledge.catalog import Catalog, Kind
from knowledge.coverage import Coverage, local_places, name_pairs
from knowledge.decision import (
    CONFIDENCE_FEATURES,
    DEFAULT_PROFILE,
    SCORE_PLACES,
    SEMANTIC_FEATURES,
    Hit,
    SearchResult,
    confidence_features,
    decide,
    load_thresholds,
    logistic,
    near_pick,
    profile_of,
    semantic_features,
    semantic_relative,
)
from knowledge.documents import (
    EXPANDED,
    NAMED,
    DocumentAnalyzer,
    Synonyms,
    catalog_words,
    documents,
)
from knowledge.postings import Postings, PostingsBuilder
from knowledge.semantic import Encoder, SemanticStage
from knowledge.text import (
    CJK_RUN,
    THESAURUS,
    Analyzer,
    asks_for_bundle,
    char_keys,
    cilin_groups,
    normalise,
    word_pinyin,
)

NAME_FORMS_COVERED = 2  # name and first alias (or variant): enough, and cheap
RERANK = 16  # candidates that get the fine signals
# Characters of a question searched: the longest dev questions have about 80; a pasted page
# of 20,000 would hold the event loop for a tenth of a second or more, and adds no clue.
SEARCHED_CHARS = 500
PARTIAL_FROM = 8000  # documents from which _best partitions only the high scorers (break-even measured)
TIE_BIAS = 1e-12  # per place in the fixed document order (SearchIndex._tie)
# A short-list row: document, question coverage, coverage by names and aliases only, fuzzy
# match of the name, bundle cue (+1 a bundle asked for as one, -1 a bundle asked without a
# cue, 0 an item), and how much of the name the question covers (by sound pairs, so typos
# and typed pinyin count).
Row = tuple["_Doc", float, float, float, float, float]
Row5 = tuple["_Doc", float, float, float, float]  # a Row before its name coverage


class _Doc(NamedTuple):
    """A short-list document (a tuple: made 16 times a query, for well under half of what a frozen dataclass costs)."""

    code: str
    name: str
    kind: Kind
    forms: tuple[str, ...]  # normalised name, first alias and the name's synonym variants
    at: int = -1  # its number in the index


def _best(acc: np.ndarray, top: int) -> np.ndarray:
    """The `top` highest of `acc` (distinct values), in no order. Partitioning all 30,000
    documents takes about 40 µs; the best are nearly always among those scoring at least half
    (or a quarter) of the highest, so in a large catalog only those are partitioned when there
    are enough of them: the same documents, in about 40 % of the time at 30,000 (measured over
    the dev questions); below PARTIAL_FROM documents the whole partition is the quicker."""
    if len(acc) >= PARTIAL_FROM:
        high = float(acc.max())
        for share in (0.5, 0.25):
            near = np.flatnonzero(acc >= high * share)
            if len(near) >= top:
                return near[np.argpartition(acc[near], len(near) - top)[len(near) - top :]]
    return np.argpartition(acc, len(acc) - top)[len(acc) - top :]


def _own_share(units: Mapping[str, float], other: Mapping[str, float], keys: Mapping[str, float]) -> float:
    """Share (by idf) of a name's units that the other name lacks which the question has."""
    total = got = 0.0
    for k, w in units.items():
        if k not in other:
            total += w
            if k in keys:
                got += w
    return got / total if total else 0.0


def _semantic_stage(
    catalog: Catalog, params: Mapping[str, Any], encoder: Encoder | None, cache_dir: Path | None, background: bool
) -> SemanticStage | None:
    """The semantic stage for an index, when there is a model and the profile has a semantic
    confidence model that matches this version's features (else search stays lexical)."""
    sp = params.get("semantic")
    if encoder is None or not sp:
        return None
    used = sp.get("features") or []
    if (
        not all(0 <= j <= SEMANTIC_FEATURES for j in used)
        or len(sp.get("confidence") or ()) != len(used) + 2
        or not {"gate", "weight", "answer", "options"} <= set(sp)
    ):
        return None
    return SemanticStage.for_catalog(encoder, catalog, cache_dir, background)


class SearchIndex:
    """A read-only search index over one catalog revision; safe to share between threads."""

    def __init__(self) -> None:  # use SearchIndex.build
        self.revision = 0
        self.profile = "names"
        self.params: dict[str, Any] = DEFAULT_PROFILE
        # Documents as parallel tuples of strings, not objects: the garbage collector skips
        # them, which keeps its pauses (and so p99 latency) short at 30,000 items.
        self._codes: tuple[str, ...] = ()
        self._names: tuple[str, ...] = ()
        self._kinds: tuple[Kind, ...] = ()
        self._forms: tuple[tuple[str, ...], ...] = ()
        self._postings = Postings()
        self._analyzer: Analyzer | None = None
        self.coverage: Coverage | None = None  # what of a question a document lacks
        self._semantic: SemanticStage | None = None
        self._code_at: dict[str, int] | None = None  # code -> document number, made when first needed
        # A tiny per-document bias by a fixed order (shorter name, then code), so documents that
        # match alike make the short list and rank the same whichever order the catalog was
        # stored in (a file and the database differ); far below any real score difference.
        self._tie = np.zeros(0)

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        cache_dir: Path | None = None,
        thresholds: Mapping[str, Mapping[str, Any]] | None = None,
        semantic: Encoder | None = None,
        semantic_background: bool = True,
    ) -> SearchIndex:
        """Index every item and bundle of `catalog`; staff synonyms apply here, at index time.

        With an embedding model (`semantic`, see knowledge.semantic.load_encoder) and a
        semantic model fitted for the catalog's profile, unsure questions also get the
        semantic stage; its passage vectors are computed in a background thread (or before
        returning, `semantic_background=False`) and cached in `cache_dir`."""
        self = cls()
        self.revision = catalog.revision
        self.profile = profile_of(catalog)
        profiles = load_thresholds() if thresholds is None else thresholds
        self.params = {**DEFAULT_PROFILE, **dict(profiles.get(self.profile, {}))}
        coef = self.params.get("confidence") or ()
        sizes = {len(self.params.get(k) or ()) for k in ("mean", "scale")}
        if coef and (len(coef) != CONFIDENCE_FEATURES + 1 or sizes != {CONFIDENCE_FEATURES}):
            self.params = DEFAULT_PROFILE  # thresholds.json from another version: refit it
        self._analyzer = an = Analyzer(catalog_words(catalog), cache_dir)
        docs = documents(catalog)
        analyzer = DocumentAnalyzer(an, Synonyms.of(catalog), self.params.get("expanded", EXPANDED))
        builder = PostingsBuilder(NAMED)
        doc_forms: list[tuple[str, ...]] = []
        for doc in docs:
            texts, forms = analyzer.analyse(doc)
            builder.add(texts)
            doc_forms.append(forms)
        self._postings = builder.finish()
        self.coverage = Coverage(self._postings, an, self.params.get("single_word"), local_places(catalog, an))
        an.forget_phrases()
        self._codes = tuple(d.code for d in docs)
        self._names = tuple(d.name for d in docs)
        self._kinds = tuple(d.kind for d in docs)
        self._forms = tuple(doc_forms)
        fixed = sorted(range(len(docs)), key=lambda d: (len(self._names[d]), self._codes[d]))
        self._tie = np.zeros(len(docs))
        self._tie[fixed] = np.arange(len(docs), 0, -1) * TIE_BIAS
        self._semantic = _semantic_stage(catalog, self.params, semantic, cache_dir, semantic_background)
        return self

    def __len__(self) -> int:
        return len(self._codes)

    def _doc(self, d: int) -> _Doc:
        return _Doc(self._codes[d], self._names[d], self._kinds[d], self._forms[d], d)

    def lacking(self, query: str, code: str) -> list[str]:
        """The telling words of `query` that the item or bundle `code` has nowhere, most telling
        first (Coverage.lacking): what an alias or synonym must add before search finds it
        from such a question. For staff listings, not per query."""
        if self._code_at is None:
            self._code_at = {c: d for d, c in enumerate(self._codes)}
        d = self._code_at.get(code)
        if d is None or self.coverage is None:
            return []
        return self.coverage.lacking(query, d)

    def question_keys(self, text: str, solid: set[str] | None = None) -> dict[str, float]:
        """Keys of a normalised question, with 词林 synonyms for words the catalog lacks
        (`solid` receives the pairs no typo made: Analyzer.keys)."""
        assert self._analyzer is not None
        keys = self._analyzer.keys(text, question=True, single=self.params.get("single_word"), solid=solid)
        groups = cilin_groups()
        if groups:
            for w in [k[1:] for k in keys if k[0] == "w"]:
                if "w" + w in self._postings or w not in groups:
                    continue
                for group in groups[w]:
                    for m in group:
                        if len(m) < 2 and len(w) > 1:
                            continue  # a single character stands for too much
                        key = ("w" if len(m) > 1 else "c") + m
                        if m != w and key in self._postings and key not in keys:
                            keys[key] = THESAURUS
        return keys

    def lookup_keys(self, text: str) -> dict[str, float]:
        """The keys a normalised question is looked up by: its own, 词林 synonyms, typos' sounds."""
        solid: set[str] = set()
        keys = self.question_keys(text, solid)
        self._rescue_homophones(keys, solid)
        return keys

    def _rescue_homophones(self, keys: dict[str, float], solid: set[str]) -> None:
        """A pair or word the catalog lacks but whose sound it has (身份正, 签住, 社宝) is most
        likely a typo: count its sound as much as the characters would have counted, and a
        pair's sound as a word's too where the catalog has a two-character word of that sound
        (签住 → 签注): jieba never cuts a typo out as a word, so the pair alone stood for a word
        that, typed right, would have brought its word keys as well (held-out, reference
        top-1 with no out-of-scope bound 0.822 -> 0.830, real 0.654 -> 0.675; typo questions
        in-sample 0.809 -> 0.830, their wrong answers 0.021 -> 0). Not a `solid` pair (inside a
        word jieba knows, or joining two): there the sound is chance, as 营业执照's 业执
        sounding like 企业职工's 业职."""
        for key, qw in list(keys.items()):
            if key[0] in "bw" and key not in self._postings and not (key[0] == "b" and key[1:] in solid):
                sound = word_pinyin(key[1:])
                heard = [k + sound for k in ("pv" if key[0] == "b" else "v") if k + sound in self._postings]
                for s in heard:
                    keys[s] = max(qw, keys.get(s, 0.0))
                if heard:
                    keys[key] = 0.0  # a typo, not an unknown word: not held against the question

    async def asearch(self, query: str, k: int = 5) -> SearchResult:
        """search() for code on an event loop. With the semantic stage ready, a question may be
        embedded (15-50 ms of CPU, the model releasing the GIL meanwhile): then the search runs
        in a worker thread so the loop goes on serving other conversations and WeChat's 5 s
        deadline; the lexical path alone (about a millisecond) stays inline."""
        if self._semantic is None or not self._semantic.ready:
            return self.search(query, k)
        return await asyncio.to_thread(self.search, query, k)

    def search(self, query: str, k: int = 5) -> SearchResult:
        """The best `k` hits for a citizen's question and what to do with them."""
        text, keys, rows, matched, unknown = self._candidates(query)
        w = self.params["weights"]
        wk = w.get("kind", 0.0)
        scored = sorted(
            (
                (min(1.0, max(0.0, w["cov"] * c + w["name"] * n + w["fuzz"] * f + wk * b)), d, c, n, f, 0.0)
                for d, c, n, f, b in rows
            ),
            key=lambda r: -r[0],
        )
        pick = near_pick([r[0] for r in scored], lambda j: self.near_pair(scored[0][1], scored[j][1], keys),
                         self.params.get("near"))
        if pick:  # the two exchange places and scores: the list stays sorted
            (s0, *first), (sj, *other) = scored[0], scored[pick]
            scored[0], scored[pick] = (s0, *other), (sj, *first)
        self._cover_first_two(scored, keys)
        confidence = self.confidence(scored, matched, unknown, len(text.replace(" ", "")), keys)
        sp = self.params.get("semantic")
        semantic = None
        if self._semantic is not None and sp and len(scored) > 1 and confidence < sp["gate"]:
            semantic = self._semantic_rerank(text, scored, keys, confidence, sp)
            if semantic is not None:
                scored, confidence = semantic
        hits = [Hit(d.code, d.name, d.kind, round(s, SCORE_PLACES)) for s, d, *_ in scored]
        if semantic is None:
            return decide(self.params, text, hits, confidence, k, matched, len(rows))
        # the stage's thresholds, fitted on its confidences (the gate is above both answers)
        return replace(decide({**self.params, **sp}, text, hits, confidence, k, matched, len(rows)), semantic=True)

    def _cover_first_two(self, scored: list[tuple[float, _Doc, float, float, float, float]],
                         keys: Mapping[str, float]) -> None:
        """Fill in the name coverage of the first two hits, in place: the confidence model
        reads only theirs, and it is the costliest signal to compute for all sixteen."""
        for i in range(min(2, len(scored))):
            s, d, c, n, f, _ = scored[i]
            scored[i] = (s, d, c, n, f, self.name_covered(d, keys))

    def _semantic_rerank(
        self,
        text: str,
        scored: list[tuple[float, _Doc, float, float, float, float]],
        keys: Mapping[str, float],
        p_lex: float,
        sp: Mapping[str, Any],
    ) -> tuple[list[tuple[float, _Doc, float, float, float, float]], float] | None:
        """The short list reranked with each hit's similarity to the question (relative to
        the list's), and the second confidence model's estimate (over the lexical
        confidence and the semantic features); None while the stage is not ready."""
        assert self._semantic is not None
        sims = self._semantic.similarities(text, [r[1].code for r in scored])
        if sims is None:
            return None
        rel = semantic_relative(sims)
        ws, shift = sp["weight"], rel.tolist()
        new = [min(1.0, max(0.0, r[0] + ws * x)) for r, x in zip(scored, shift, strict=True)]
        order = sorted(range(len(scored)), key=lambda j: -new[j])
        out = [(new[j], *scored[j][1:5], 0.0) for j in order]
        self._cover_first_two(out, keys)
        x = [float(out[0][1] is not scored[0][1])]
        x += semantic_features(sims[order], rel[order])
        p = min(1.0 - 1e-6, max(1e-6, p_lex))
        z = [math.log(p / (1.0 - p)), *(x[j] for j in sp["features"])]
        return out, logistic(z, sp["confidence"], sp["mean"], sp["scale"])

    def confidence(
        self,
        scored: list[tuple[float, _Doc, float, float, float, float]],
        matched: int,
        unknown: float,
        length: int,
        keys: Mapping[str, float],
    ) -> float:
        """Probability that the first hit is right, from a logistic model calibrate.py fits
        (on standardised features: `mean` and `scale` are stored with the coefficients);
        `keys`, the question's, tell what the first hit leaves unexplained or lacks."""
        if not scored:
            return 0.0
        coef = self.params.get("confidence")
        alike = fuzz.ratio(scored[0][1].name, scored[1][1].name) / 100.0 if len(scored) > 1 else 0.0
        cover, first = self.coverage, scored[0][1].at
        assert cover is not None
        x = confidence_features(scored, matched, unknown, length, alike, cover.unexplained(keys, first),
                                cover.lacks_single(keys, first))
        if not coef:
            return x[0]
        return logistic(x, coef, self.params.get("mean") or [0.0] * len(x), self.params.get("scale") or [1.0] * len(x))

    def candidates(self, query: str) -> tuple[str, list[Row], int, float, list[tuple[float, float]]]:
        """(normalised question, short list of Rows, number of documents matched, share of the
        question's weight in words the catalog lacks, and for each row what of the question
        it lacks: `unexplained` and `lacks_single`, which search() computes for whichever row
        comes first).

        Only documents sharing keys with the question are touched; only the best RERANK of
        them get the fuzzy signal. bench/calibrate.py fits weights on these rows.
        """
        text, keys, rows, matched, unknown = self._candidates(query)
        covered = [(*r, self.name_covered(r[0], keys)) for r in rows]
        cover = self.coverage
        assert cover is not None
        lacks = [(cover.unexplained(keys, r[0].at), cover.lacks_single(keys, r[0].at)) for r in rows]
        return text, covered, matched, unknown, lacks

    def _candidates(self, query: str) -> tuple[str, dict[str, float], list[Row5], int, float]:
        """candidates() without the name coverage, which search() computes for its first two
        hits only; and the question's keys."""
        text = normalise(query[: 2 * SEARCHED_CHARS])[:SEARCHED_CHARS]  # twice: room for what it drops
        if not text or not self._codes:
            return text, {}, [], 0, 1.0
        keys = self.lookup_keys(text)
        found = self._postings.accumulate(keys)
        if found is None:
            return text, keys, [], 0, 1.0
        acc, named, potential, unknown = found
        matched = int(np.count_nonzero(acc))
        top = min(RERANK, matched)
        if top < len(acc):
            acc += self._tie  # in place: at most documents x TIE_BIAS, so it only decides between equals
            cand = _best(acc, top)
        else:
            cand = np.flatnonzero(acc)
        plural = asks_for_bundle(text)
        rows = []
        tie = self._tie
        for d in sorted(cand.tolist(), key=lambda d: -tie[d]):  # the fixed order: see _tie
            doc = self._doc(d)
            name_cov, fz = min(1.0, float(named[d]) / potential), 0.0
            for form in doc.forms:
                fz = max(fz, fuzz.partial_ratio(text, form) / 100.0)
            kind = (1.0 if plural else -1.0) if doc.kind == "bundle" else 0.0
            rows.append((doc, min(1.0, float(acc[d]) / potential), name_cov, fz, kind))
        return text, keys, rows, matched, unknown

    def near_pair(self, first: _Doc, other: _Doc, keys: Mapping[str, float]) -> tuple[float, float, bool]:
        """(how alike the two names are, how much more of its own words `other` has in the
        question than `first` has of its own, whether they are of one kind), for near_pick:
        only the words that differ between two like names can tell them apart."""
        a, b = self._name_units(first.forms[0] if first.forms else first.name), self._name_units(
            other.forms[0] if other.forms else other.name)
        alike = fuzz.ratio(first.name, other.name) / 100.0
        return alike, _own_share(b, a, keys) - _own_share(a, b, keys), first.kind == other.kind

    def _name_units(self, form: str) -> dict[str, float]:
        """The characters, character pairs and sound pairs of a normalised name, each weighted
        by its idf (its synonym variants would blur what tells two names apart: measured, they
        lower rank-1)."""
        units: dict[str, float] = {}
        for run in CJK_RUN.findall(form):
            char_keys(units, run)
        for k in units:
            units[k] = self._postings.key_idf(k)
        return units

    def name_covered(self, doc: _Doc, keys: Mapping[str, float]) -> float:
        """Share of a name's sound pairs (weighted by how rare they are) that the question has,
        for the best of its forms: a question naming all of 港澳通行证签注 is surer than one
        sharing only 通行证."""
        return max((self._form_covered(form, keys) for form in doc.forms[:NAME_FORMS_COVERED]), default=0.0)

    def _form_covered(self, form: str, keys: Mapping[str, float]) -> float:
        total = got = 0.0
        for sound, pair in name_pairs(form):
            idf = self._postings.key_idf(sound)
            total += idf
            if sound in keys or pair in keys:
                got += idf
        return got / total if total else 0.0
