"""Cases (办件): the record of an application as the core sees it.

Nobody sees a case before proving it is theirs (phone tail, ID tail or 查询码), so a case
carries keyed digests of those numbers, never the numbers (see `bot.proofs.Proofs`): a
leaked table or log line reveals nothing. Merging and ordering rules live here because
every adapter (pushes, HTTP backend, files) must apply the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

STATUSES = ("收件", "受理", "补正", "审核", "办结", "不予受理", "不予许可", "退件")
FINAL = frozenset({"办结", "不予受理", "不予许可", "退件"})
CST = timezone(timedelta(hours=8))  # China has no daylight saving: a fixed offset is exact


class CaseBackendError(Exception):
    """The source system did not answer (down, timing out, nonsense). Never carries PII."""


@dataclass(frozen=True)
class CaseEvent:
    status: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class Case:
    """One application. Digests, not numbers: see `Proofs`."""

    number: str
    item_code: str = ""
    applicant_name: str = ""
    hall_code: str = ""
    events: tuple[CaseEvent, ...] = ()
    promised_date: date | None = None
    phone_digest: str = ""
    id_digest: str = ""
    query_digest: str = ""

    @property
    def current(self) -> CaseEvent | None:
        return self.events[-1] if self.events else None

    @property
    def status(self) -> str:
        return self.events[-1].status if self.events else ""

    def merged(self, newer: Case) -> Case:
        """This case updated by `newer`: events united in time order, set fields win."""
        events = {(e.status, e.at): e for e in self.events}
        events.update({(e.status, e.at): e for e in newer.events})
        keep = {
            f: getattr(newer, f)
            for f in ("item_code", "applicant_name", "hall_code", "promised_date", "phone_digest",
                      "id_digest", "query_digest")
            if getattr(newer, f)
        }
        return replace(self, events=sort_events(events.values()), **keep)


def sort_events(events: object) -> tuple[CaseEvent, ...]:
    """Time order; same-instant events in workflow order so 收件 precedes 受理."""
    return tuple(sorted(events, key=lambda e: (e.at, STATUSES.index(e.status))))  # type: ignore[attr-defined]


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: enough to recognise, not enough to identify."""
    return name[:1] + "*" * (len(name) - 1) if name else ""

