"""The inverted index's storage: for each key, the documents that have it and how heavily.

Packed for a catalog of 30,000 items on one core: postings sit in key order in two numpy
arrays (document numbers in the narrowest integer type that holds them, and one-byte codes
of the field weight they came from), so a query reads only its own keys' slices and sums
them with one bincount. Read-only once built: safe to share between threads.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping

import numpy as np

COMMON_MIN = 200  # character/syllable keys in more documents than this are not looked up
UNKNOWN_KINDS = frozenset("bwvlu")  # unknown words of these kinds lower the coverage


class Postings:
    """Postings of every key, with each key's idf."""

    def __init__(self, named: float = 1.0) -> None:  # use PostingsBuilder, or this empty one
        self.named = named  # postings at least this heavy come from names and aliases
        self.docs = 0
        self.tid: dict[str, int] = {}
        # Each key's first posting, and its idf (BM25's, computed in float32): plain arrays, as a
        # query reads a few hundred single values, which numpy scalars make several times
        # slower (and Python lists would take 5 times the memory).
        self.starts = array("q", [0])
        self.idfs = array("d")
        # Postings in key order: each one's document (the narrowest integer type that holds the
        # catalog's: two bytes at 30,000) and the code of its weight, which is its field's
        # (a handful of values): a third of the memory of int32 and float32, and no slower to
        # read (in-process A/B at 30,000 items, 8 rounds: p50 1.31 -> 1.25 ms, p99 2.75 -> 2.59).
        self.post_doc = np.zeros(0, np.int32)
        self.post_code = np.zeros(0, np.uint8)
        self.weights = np.zeros(0, np.float32)  # weight of each code
        self.post_docs = memoryview(self.post_doc)  # the same, read as plain ints
        self.unknown_idf = 1.0
        self.common = self.common_pair = 1

    def __contains__(self, key: str) -> bool:
        return key in self.tid

    def key_idf(self, key: str, default: float = 1.0) -> float:
        t = self.tid.get(key)
        return float(self.idfs[t]) if t is not None else default

    def has(self, key: str, d: int) -> bool:
        """Whether document d has `key`: a key's postings are in document order, so one
        binary search tells (on a memoryview: plain ints, no numpy scalars)."""
        t = self.tid.get(key)
        if t is None:
            return False
        a, b = self.starts[t], self.starts[t + 1]
        j = bisect_left(self.post_docs, d, a, b)
        return j < b and self.post_docs[j] == d

    def accumulate(self, keys: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray, float, float] | None:
        """(matched weight of every document, the part of it from names and aliases, the
        question's whole weight, share of it in words the catalog lacks), or None when
        nothing matches."""
        potential = unknown = 0.0
        tid, starts, idfs = self.tid, self.starts, self.idfs
        common, common_pair, unknown_idf = self.common, self.common_pair, self.unknown_idf
        spans: list[tuple[int, int]] = []
        scales: list[float] = []
        for key, qw in keys.items():
            t = tid.get(key)
            if t is None:
                if key[0] in UNKNOWN_KINDS and qw >= 0.5:  # rescued typos have qw 0
                    potential += qw * unknown_idf
                    unknown += qw * unknown_idf
                continue
            a, b = starts[t], starts[t + 1]
            if b - a > (common if key[0] == "c" else common_pair):
                continue  # in thousands of names (证, 登记): hardly tells them apart, and slow
            idf = idfs[t]
            potential += qw * idf
            spans.append((a, b))
            scales.append(qw * idf)
        if not spans or potential <= 0:
            return None
        # all postings at once: a key's posting weights times its question weight and idf
        post_doc, post_code = self.post_doc, self.post_code
        all_ids = np.concatenate([post_doc[a:b] for a, b in spans])
        all_fw = self.weights[np.concatenate([post_code[a:b] for a, b in spans])]
        scale = np.repeat(np.array(scales, dtype=np.float32), [b - a for a, b in spans])
        all_ws = all_fw * scale
        acc = np.bincount(all_ids, weights=all_ws, minlength=self.docs)
        # the part of it matched by names and aliases (and their variants), not FAQ or summary;
        # the other postings would only add zeros
        by_name = all_fw >= self.named
        named = np.bincount(all_ids[by_name], weights=all_ws[by_name], minlength=self.docs)
        return acc, named, potential, unknown / potential


class PostingsBuilder:
    """Collects documents' keys in document order, then packs them key-major; use once."""

    def __init__(self, named: float) -> None:
        self._named = named
        self._done = False
        self._tids: dict[str, int] = {}
        self._weight_code: dict[float, int] = {}  # field weights (a dozen or so): one byte each
        self._p_tid, self._p_code, self._counts = array("i"), array("B"), array("i")

    def add(self, fields: Iterable[tuple[float, Iterable[str]]]) -> None:
        """The next document, as (field weight, keys) pairs: a key found in several fields
        counts at the heaviest."""
        if self._done:
            raise RuntimeError("PostingsBuilder.add after finish")
        keys: dict[str, int] = {}  # key -> code of its weight
        codes = self._weight_code
        for w, tk in sorted(fields, key=lambda x: x[0]):  # lowest first: best weight wins
            keys.update(dict.fromkeys(tk, codes.setdefault(w, len(codes))))
        tids = self._tids
        new = [k for k in keys if k not in tids]
        if new:
            tids.update(zip(new, range(len(tids), len(tids) + len(new)), strict=True))
        self._p_tid.extend(map(tids.__getitem__, keys))
        self._p_code.extend(keys.values())
        self._counts.append(len(keys))

    def finish(self) -> Postings:
        """The postings of every document added; the builder lets go of its buffers as it
        packs them (one copy at a time: the peak memory of a 30,000-item build)."""
        if self._done:
            raise RuntimeError("PostingsBuilder.finish twice")
        self._done = True
        p = Postings(self._named)
        docs = len(self._counts)
        p.docs = docs
        p.tid = self._tids
        p.weights = np.array(list(self._weight_code), dtype=np.float32)  # codes were given in this order
        # document-major lists to key-major postings, one array at a time (peak memory)
        tid_arr = np.frombuffer(self._p_tid, dtype=np.int32)
        order = np.argsort(tid_arr, kind="stable")
        p.post_code = np.frombuffer(self._p_code, dtype=np.uint8)[order]
        self._p_code = array("B")
        doc_type = np.min_scalar_type(max(docs - 1, 0))
        doc_of = np.repeat(np.arange(docs, dtype=doc_type), np.frombuffer(self._counts, dtype=np.int32))
        p.post_doc = doc_of[order]
        p.post_docs = memoryview(p.post_doc)
        del doc_of, order
        df = np.bincount(tid_arr, minlength=len(p.tid))
        n = max(docs, 1)
        p.starts = array("q", np.concatenate([[0], np.cumsum(df)]).astype(np.int64).tobytes())
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        p.idfs = array("d", idf.astype(np.float64).tobytes())
        p.unknown_idf = 0.6 * math.log(1.0 + n)
        p.common = max(COMMON_MIN, n // 20)
        p.common_pair = max(5 * COMMON_MIN, n // 8)
        self._tids, self._p_tid, self._counts, self._weight_code = {}, array("i"), array("i"), {}
        return p
