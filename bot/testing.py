"""Hand-written fakes of the dialogue's interfaces, for tests and the terminal chat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.catalog import Catalog


class FakeClock:
    """A clock that only moves when told: idle expiry and "今天上班吗" tests."""

    def __init__(self, now: float = 0.0) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


@dataclass
class Snapshot:
    catalog: Catalog
    index: Any


class StaticCatalog:
    """A CatalogSource over one fixed snapshot; `replace` swaps it like a live update."""

    def __init__(self, catalog: Catalog, index: Any) -> None:
        self._snapshot = Snapshot(catalog, index)

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def replace(self, catalog: Catalog, index: Any) -> None:
        self._snapshot = Snapshot(catalog, index)
