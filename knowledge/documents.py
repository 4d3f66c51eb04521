"""What search indexes of an item or bundle: its fields, their weights, synonym variants.

A document is an item or a bundle seen as weighted texts: names and aliases count most,
FAQ questions and summaries less, the department least. Staff synonyms (and the built-in
ones) add variants of a text at index time, a little lighter than the catalog's own words,
so a question in citizens' words finds the official name without any work per query.
Other fields of a service guide (conditions, FAQ answers, materials, situations) are left
out: indexed at 0.2-0.3 they lowered the reference catalog's rank-1 (0.932 -> 0.919-0.927)
and held-out top-1 (0.767 -> 0.651-0.726; measured 2026-12-07), as their words are shared
by many items. So is an item's group (the parent item, which half of the real catalog's
items name): at 0.25 or 0.45 it ranks the expected item first more often (real rank-1
0.838 -> 0.863), yet siblings then crowd the top and held-out top-1 falls (0.572 -> 0.552
or 0.553; at 0.6, measured before Coverage.lacks_single: rank-1 0.875, top-1 0.546 -> 0.492).
So is an FAQ answered with a flat no (`says_no`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.catalog import Catalog, Faq, Kind
from knowledge.text import FIRST_ISSUE, Analyzer, action_words, builtin_synonyms, normalise

# name_bo: the Tibetan name, where staff gave one (a Tibetan question can only match it)
FIELD_WEIGHT = {"name": 1.0, "name_bo": 1.0, "alias": 0.9, "action": 0.9, "faq": 0.55, "summary": 0.45,
                "department": 0.25}
NAME_FORMS = 3  # forms of a name (name, first alias, synonym variants) fuzzy-matched
# A synonym's variant counts a little less than the catalog's own words (EXPANDED), or, for a
# catalog shape whose profile says so (`expanded`, up to 1.0), as much: in a names-only catalog
# the synonyms are the only bridge from citizens' words to the names (see bench/calibrate.py).
EXPANDED = 0.85
NAMED = FIELD_WEIGHT["alias"] * EXPANDED - 1e-3  # postings at least this heavy come from names

Keys = dict[str, float]


@dataclass(frozen=True)
class Document:
    """An item or bundle as search sees it, before analysis."""

    code: str
    name: str
    kind: Kind
    fields: tuple[tuple[str, str], ...]  # (field name, raw text)


def documents(catalog: Catalog) -> list[Document]:
    """Every item, then every bundle, with the fields search indexes. An item that is the
    first issue of a family only by having no action word also holds FIRST_ISSUE (field
    "action", weighing as an alias): first_issues()."""
    out = []
    first = first_issues(it.name for it in catalog.items.values())
    for it in catalog.items.values():
        fields = [("name", it.name), ("name_bo", it.name_bo or ""), *(("alias", a) for a in it.aliases)]
        if it.name in first:
            fields.append(("action", FIRST_ISSUE))
        fields += [("faq", f.q) for f in it.faq if not says_no(f)]
        fields += [("summary", it.summary), ("department", it.department)]
        out.append(Document(it.code, it.name, "item", tuple(fields)))
    for b in catalog.bundles.values():
        fields = [("name", b.name), ("name_bo", b.name_bo or ""), *(("alias", a) for a in b.aliases),
                  ("summary", b.summary)]
        out.append(Document(b.code, b.name, "bundle", tuple(fields)))
    return out


_FLAT_NO = re.compile(r"(不能|不是|不行|不可以|不属于)")


def says_no(faq: Faq) -> bool:
    """Whether an FAQ's answer opens with a flat no: its question names a case the item does
    not serve or allow (拉危险品能用这个证吗？不能，危险货物要单独申请…; 公司开的小店能办小经营店
    备案吗？不能…), which is what a citizen asking the item the catalog lacks says. Indexed,
    such questions lent those words to the item, and out-of-scope questions scored as surely
    as right answers (拉汽油柴油的危险品运输许可证在哪里办 answered 道路货物运输经营许可). Not
    indexed (the answer still shows when the citizen asks the item's FAQs), held-out over the
    reference dev questions (3 shuffles, one threshold for all folds): top-1 where at least 90 %
    of out-of-scope questions get no answer and wrong stays under 3 % 0.605 -> 0.731, at 80 %
    0.777 -> 0.810; rank-1 0.929 -> 0.927. Some such noes are about the item itself (车牌丢了一块
    还能开车吗？不能上路行驶，先申请补领) and go too: their item's name and aliases say as much.
    Answers opening with 不用 or 不需要 mostly say what the citizen need not bring (不需要登报):
    dropping those too gained nothing more."""
    return bool(_FLAT_NO.match(faq.a))


_LEVEL = re.compile(r"（[^（）]*级[^（）]*）")  # 县级行使, 市级权限: who serves it, not what it does
_QUALIFIER = re.compile(r"（[^（）]*）")


def first_issues(names: Iterable[str]) -> set[str]:
    """The names that say no action, whose siblings each add a later one: 机动车驾驶员培训备案
    beside 机动车驾驶员培训变更备案 and 机动车驾驶员培训备案（终止）, 客运站经营许可 beside its
    （注销） and （换发）. Such a name is the first issue (新开一家驾校 asks for it), yet only
    its siblings' names say what they are, so a question's 新开 or 第一次 found none of them.
    A name with a qualifier of its own (（过户）, （校验）) is not plain."""
    later, every = action_words()
    said = re.compile("|".join(sorted(map(re.escape, every), key=len, reverse=True)))
    late = re.compile("|".join(sorted(map(re.escape, later), key=len, reverse=True)))
    bare = {n: _LEVEL.sub("", n.replace("(", "（").replace(")", "）")) for n in names}
    family = {late.sub("", _QUALIFIER.sub(lambda m: "" if late.search(m.group()) else m.group(), b)).replace("、", "")
              for b in bare.values() if late.search(b)}
    return {name for name, b in bare.items() if b in family and not said.search(b) and not _QUALIFIER.search(b)}


VETO = "!"  # a variant so marked is one its term's text must not get from a broader term


class Synonyms:
    """Term/variant pairs found in a text by first character, without testing every pair;
    each term's vetoes ("!外省") are split from its variants once, here."""

    def __init__(self, pairs: Iterable[tuple[str, tuple[str, ...]]]) -> None:
        self.by_first: dict[str, list[tuple[str, tuple[str, ...], frozenset[str]]]] = {}
        for term, variants in pairs:
            if term:
                kept = tuple(v for v in variants if not v.startswith(VETO))
                vetoes = frozenset(v[len(VETO):] for v in variants if v.startswith(VETO))
                self.by_first.setdefault(term[0], []).append((term, kept, vetoes))

    @classmethod
    def of(cls, catalog: Catalog) -> Synonyms:
        """The built-in synonyms and the catalog's staff synonyms, both ways round."""
        return cls([*builtin_synonyms(), *staff_synonyms(catalog)])

    def found(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """The terms in `text` with their variants, less any variant a narrower term in it
        vetoes ("!外省" under 省内异地: 异地's 外省 is not for the one item serving 省内)."""
        out = []
        veto: frozenset[str] = frozenset()
        for ch in dict.fromkeys(text):  # in text order: variants must not depend on hashing
            for term, variants, vetoes in self.by_first.get(ch, ()):
                if term in text:
                    out.append((term, variants))
                    veto |= vetoes
        if not veto:
            return [(t, variants) for t, variants in out if variants]
        kept = [(t, tuple(v for v in variants if v not in veto)) for t, variants in out]
        return [(t, variants) for t, variants in kept if variants]


def staff_synonyms(catalog: Catalog) -> list[tuple[str, tuple[str, ...]]]:
    """Staff synonyms as (term, variants), and each variant as a term for the catalog's term."""
    staff = [(s.term, s.variants) for s in catalog.synonyms]
    return staff + [(v, (s.term,)) for s in catalog.synonyms for v in s.variants]


def catalog_words(catalog: Catalog) -> list[str]:
    """Words jieba must keep whole: names, aliases and staff terms."""
    words: list[str] = [t for t, _ in staff_synonyms(catalog)]
    for it in catalog.items.values():
        words += [it.name, *it.aliases]
    for b in catalog.bundles.values():
        words += [b.name, *b.aliases]
    return words


def field_texts(
    an: Analyzer, synonyms: Synonyms, fname: str, raw_text: str, expanded: float = EXPANDED
) -> list[tuple[str, float, Keys]]:
    """A field's text and its synonym variants (weighing `expanded` times the field's), each
    with its weight and keys; a name's variants are whole names (居民身份证换领 → 身份证换领)
    so they can be matched as names."""
    text = normalise(raw_text)
    if not text:
        return []
    fw = FIELD_WEIGHT[fname]
    out = [(text, fw, an.keys(text))]
    for term, variants in synonyms.found(text):
        for v in variants:
            vk = an.cached_keys(v)
            if fname == "name" and len(out) < NAME_FORMS:
                named = text.replace(term, v)
                out.append((named, fw * expanded, {**an.phrase_keys(named, whole=False), **vk}))
            else:
                out.append((v, fw * expanded, vk))
    return out


class DocumentAnalyzer:
    """Analyses documents' fields into weighted keys and the forms of their names."""

    def __init__(self, an: Analyzer, synonyms: Synonyms, expanded: float = EXPANDED) -> None:
        # between EXPANDED and 1.0 the postings from names, aliases and their variants stay
        # exactly those at least NAMED heavy (an FAQ's variants stay lighter)
        if not EXPANDED <= expanded <= 1.0:
            raise ValueError(f"expanded {expanded} is outside [{EXPANDED}, 1.0]")
        self._an, self._synonyms, self._expanded = an, synonyms, expanded
        self._departments: dict[str, list[tuple[str, float, Keys]]] = {}

    def analyse(self, doc: Document) -> tuple[list[tuple[float, Keys]], tuple[str, ...]]:
        """(field weight, keys) of each text of the document and its synonym variants, and
        the forms of its name that get the fuzzy match (name, first alias, name variants)."""
        texts: list[tuple[float, Keys]] = []
        forms: list[str] = []
        for fname, text in doc.fields:
            if not text:
                continue
            if fname == "department":  # few departments, many items: analyse each once
                found = self._departments.get(text)
                if found is None:
                    found = self._departments[text] = field_texts(self._an, self._synonyms, fname, text, self._expanded)
            else:
                found = field_texts(self._an, self._synonyms, fname, text, self._expanded)
            texts += [(w, keys) for _, w, keys in found]
            if fname == "name":
                forms += [t for t, _, _ in found[:NAME_FORMS]]
            elif fname == "alias":
                forms[1:1] = [t for t, _, _ in found[:1]]
        return texts, tuple(forms[:NAME_FORMS])
