"""What of a question a document lacks: evidence that a well-scoring first hit is wrong.

A near-domain question the catalog cannot serve (无犯罪记录证明 ... 公证和翻译) shares the
first hit's words and scores as high as a right answer, yet adds telling words the hit lacks.
Scores cannot show this (they count what matches); these signals count what does not, for
the confidence model (knowledge.decision) and for staff, who see which words of a citizen's
question the item they picked lacks (an alias or synonym to add).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from knowledge.catalog import Catalog
from knowledge.postings import Postings
from knowledge.text import (
    CJK_RUN,
    KIND_WEIGHT,
    THESAURUS,
    Analyzer,
    char_pinyin,
    normalise,
    stopwords,
    word_pinyin,
)

NAME_PAIRS = 24  # a long name's coverage is judged on its first pairs
# Words at most this telling in general Chinese (salience: jieba IDF over the rarest word's;
# 0.45 is a word about 1 in 3,000 words of running text) do not count in `unexplained`.
# Held-out, a cut at 0.55 lost names-profile top-1 (0.54 -> 0.50); no cut (plain salience)
# kept reference top-1 but let one more out-of-scope question through.
COMMON_SALIENCE = 0.45


@functools.lru_cache(maxsize=8192)
def name_pairs(form: str) -> tuple[tuple[str, str], ...]:
    """A name's (or a question word's) sound-pair and character-pair keys (the first
    NAME_PAIRS of them)."""
    out = []
    for run in CJK_RUN.findall(form):
        for i in range(1, len(run)):
            out.append(("p" + char_pinyin(run[i - 1]) + char_pinyin(run[i]), "b" + run[i - 1 : i + 1]))
    return tuple(out[:NAME_PAIRS])


def local_places(catalog: Catalog, analyzer: Analyzer) -> frozenset[str]:
    """The words of the catalog's halls (names, counties, addresses), with their places also
    without 市, 县, 州, 镇, 乡 or 区 (马尔康市 → 马尔康): where the center's citizens live, which
    in-scope questions name as often as any other word (户口迁过来马尔康)."""
    out: set[str] = set()
    for hall in catalog.halls.values():
        for text in (hall.name, hall.county, hall.address):
            for w in analyzer.words(normalise(text)):
                if len(w) > 1 and CJK_RUN.fullmatch(w):
                    out.add(w)
                    if len(w) > 2 and w[-1] in "市县州镇乡区":
                        out.add(w[:-1])
    return frozenset(out)


class Coverage:
    """Question words against one index's documents (document numbers as in its postings).

    `single`: the weight a catalog shape gives a question's one-character words (its
    `single_word`), None where they weigh as characters; it must exceed what a character
    (0.3) or a 词林 synonym (0.45) weighs, as those words are told apart by it. `local`: the
    words of places the catalog serves (local_places)."""

    def __init__(self, postings: Postings, analyzer: Analyzer, single: float | None = None,
                 local: frozenset[str] = frozenset()) -> None:
        if single is not None and single <= max(KIND_WEIGHT["c"], THESAURUS):
            raise ValueError(f"single_word {single} does not weigh more than a character or a synonym")
        self._postings, self._analyzer, self._single, self._local = postings, analyzer, single, local

    def word_covered(self, w: str, d: int) -> float:
        """How much of a question word document d has: all of it when it has the word or its
        sound (身分证 mistyped, the hit has 身份证), else the share of its character pairs it has,
        each by characters or sound (危险品 and 危险货物 share one pair of two); a one-character
        word, when it has the character."""
        has = self._postings.has
        if len(w) == 1:
            return float(has("c" + w, d))
        if has("w" + w, d) or has("v" + word_pinyin(w), d):
            return 1.0
        pairs = name_pairs(w)
        return sum(has(pair, d) or has(sound, d) for sound, pair in pairs) / max(1, len(pairs))

    def unexplained(self, keys: Mapping[str, float], d: int) -> float:
        """Share of the question's telling words that document d (the first hit) has nowhere,
        each word weighted by how much rarer than common words it is in general Chinese.

        `unknown` (the share of the question the catalog never uses) misses such words when
        the catalog has them elsewhere, and weighs them all alike when it lacks them. General
        rarity (jieba's frequencies) keeps words such as 现在, 已经, 需要 from counting; context
        words (舅舅, 摔伤) still count, which is why this is one feature of the model and not
        a rule."""
        salience = self._analyzer.salience
        missed = total = 0.0
        for key, qw in keys.items():
            # words only, not 词林 synonyms (0.45); a typo rescued by its sound (weight 0) counts:
            # the hit has its sound, not the word (held-out, not counting them let one more
            # out-of-scope question through for "names" and cost reference top-1 0.757 -> 0.751)
            if key[0] != "w" or 0.0 < qw < 0.5:
                continue
            if key[1:] in self._local:  # where the citizen is, not what they ask about
                continue
            if self._foreign_place(key):
                total += 1.0
                missed += 1.0
                continue
            t = (salience(key[1:]) - COMMON_SALIENCE) / (1.0 - COMMON_SALIENCE)
            if t <= 0.0:
                continue
            t = min(1.0, t)
            total += t
            missed += t * (1.0 - self.word_covered(key[1:], d))
        return missed / total if total else 0.0

    def _foreign_place(self, key: str) -> bool:
        """A place the catalog names nowhere and does not serve (去台湾旅游的通行证, 在重庆开个体户,
        和法国人结婚) counts fully among the words a hit lacks, however common in general
        Chinese (台湾's salience is 0.49, about the 0.45 cut): such a question is likely about
        somewhere, or someone, the catalog's items are not for. The catalog's own places
        (local_places) are where its citizens are: unexplained() skips them before asking
        (they had counted as rare words: 阿坝, 马尔康). Held-out (reference, 3 shuffles, one threshold for all
        folds, wrong under 3 %): top-1 where at least 90 % of out-of-scope questions get no
        answer 0.731 -> 0.774, at 80 % 0.818 -> 0.825, with no such bound 0.830 both; a
        catalog without halls (the real one) lost nothing (0.675)."""
        return self._analyzer.is_place(key[1:]) and key not in self._postings

    def lacks_single(self, keys: Mapping[str, float], d: int) -> float:
        """1.0 when document d (the first hit) lacks one of the question's one-character words,
        for catalog shapes that weigh them as words (`single`: names only), else 0.0.

        A name-only catalog's first hit for 营业执照正本弄丢了 or 外省户口换身份证 may cover
        every longer word yet not 丢 or 换: a different item, or one the catalog lacks. Held-out
        (calibrate, 8 shuffles, names-only dev set, max-wrong 0.0125): top-1 0.520 -> 0.572,
        wrong 0.028 -> 0.030, out-of-scope caught 0.994 -> 1.000. The share of such words
        lacked, instead of whether any is, gave 0.567; counting them as words in `unexplained`
        (weight 0.6 or 1.0 each) 0.541 or 0.555. Reference top-1 stays 0.762."""
        single = self._single
        if single is None:
            return 0.0
        has = self._postings.has
        # a one-character word's key weighs `single`; any other character's less (see __init__)
        return float(any(k[0] == "c" and qw >= single and not has(k, d) for k, qw in keys.items()))

    def lacking(self, query: str, d: int) -> list[str]:
        """The telling words of `query` (one-character ones too: 狗 in 我家狗要办证不) that
        document d has nowhere, most telling first; not the catalog's own places, which no
        alias needs."""
        stop = stopwords() | self._local
        words = {w for w in self._analyzer.words(normalise(query)) if w not in stop and CJK_RUN.fullmatch(w)}
        salience = {w: self._analyzer.salience(w) for w in words}
        told = sorted((w for w in words if salience[w] > COMMON_SALIENCE), key=lambda w: (-salience[w], w))
        return [w for w in told if self.word_covered(w, d) < 1.0]
