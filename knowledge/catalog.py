"""The service catalog as plain, immutable values.

Everything that answers a citizen (search, materials, bundles, halls) reads these
dataclasses, never database rows, so the core stays free of storage concerns and a
whole catalog can be swapped atomically when staff change it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

FORMS = ("原件", "复印件", "电子版")
CATEGORIES = (
    "行政许可",
    "行政确认",
    "行政给付",
    "行政奖励",
    "行政备案",
    "行政裁决",
    "其他行政权力",
    "公共服务",
)
Kind = Literal["item", "bundle"]  # what search can find: an item, or a bundle of items


@dataclass(frozen=True)
class Situation:
    """A question whose answer changes the materials (情形), e.g. adult or minor."""

    key: str
    ask: str
    options: tuple[tuple[str, str], ...]  # (option key, label), in the order to offer

    def label(self, option: str) -> str:
        return dict(self.options).get(option, option)


@dataclass(frozen=True)
class Material:
    """A document an item needs (申请材料); `when` limits it to some situations."""

    name: str
    form: str = "原件"
    copies: int = 1
    required: bool = True
    note: str = ""
    when: tuple[tuple[str, str], ...] = ()  # all (situation key, option key) must hold

    def applies(self, answers: Mapping[str, str]) -> bool | None:
        """True/False once the answers decide it; None while a needed answer is missing."""
        for key, option in self.when:
            if key not in answers:
                return None
            if answers[key] != option:
                return False
        return True


@dataclass(frozen=True)
class Faq:
    q: str
    a: str


@dataclass(frozen=True)
class Item:
    """A service item (事项) with its service guide (办事指南)."""

    code: str
    name: str
    department: str = ""
    category: str = ""
    aliases: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    summary: str = ""
    conditions: str = ""
    situations: tuple[Situation, ...] = ()
    materials: tuple[Material, ...] = ()
    steps: tuple[str, ...] = ()
    legal_days: int | None = None
    promised_days: int | None = None
    fee: str = ""
    online: bool | None = None
    max_visits: int | None = None
    where: str = ""
    phone: str = ""
    legal_basis: tuple[str, ...] = ()
    faq: tuple[Faq, ...] = ()
    name_bo: str | None = None
    group: str | None = None
    area_code: str | None = None

    def situation(self, key: str) -> Situation | None:
        return next((s for s in self.situations if s.key == key), None)


@dataclass(frozen=True)
class Bundle:
    """A life event (一件事一次办) served by several items with one material list."""

    code: str
    name: str
    items: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    summary: str = ""
    name_bo: str | None = None


@dataclass(frozen=True)
class Hall:
    """A place to go: a service center or a township 便民服务中心."""

    code: str
    name: str
    county: str = ""
    level: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    phone: str = ""
    hours: str = ""
    bilingual: bool = False


@dataclass(frozen=True)
class Synonym:
    """Staff knowledge that citizens' `variants` mean the catalog's `term`."""

    term: str
    variants: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """One consistent snapshot of the catalog at a revision."""

    items: Mapping[str, Item] = field(default_factory=dict)
    bundles: Mapping[str, Bundle] = field(default_factory=dict)
    halls: Mapping[str, Hall] = field(default_factory=dict)
    synonyms: tuple[Synonym, ...] = ()
    revision: int = 0

    @classmethod
    def of(
        cls,
        items: Iterable[Item] = (),
        bundles: Iterable[Bundle] = (),
        halls: Iterable[Hall] = (),
        synonyms: Iterable[Synonym] = (),
        revision: int = 0,
    ) -> Catalog:
        return cls(
            items={i.code: i for i in items},
            bundles={b.code: b for b in bundles},
            halls={h.code: h for h in halls},
            synonyms=tuple(sorted(synonyms, key=lambda s: s.term)),  # one order, whatever the source
            revision=revision,
        )

    def merged(self, other: Catalog) -> Catalog:
        """This catalog with `other`'s records upserted by code (synonyms by term)."""
        synonyms = {s.term: s for s in self.synonyms}
        synonyms.update({s.term: s for s in other.synonyms})
        return Catalog(
            items={**self.items, **other.items},
            bundles={**self.bundles, **other.bundles},
            halls={**self.halls, **other.halls},
            synonyms=tuple(sorted(synonyms.values(), key=lambda s: s.term)),
            revision=self.revision,
        )

    def name_of(self, code: str) -> str | None:
        if code in self.items:
            return self.items[code].name
        if code in self.bundles:
            return self.bundles[code].name
        return None
