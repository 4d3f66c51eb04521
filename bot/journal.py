"""In-memory journal (transcripts, unanswered questions, review wishes) for tests and the
terminal chat; the SQL journal in adapters/db/journal.py keeps them for staff."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MemoryJournal:
    turns: list[tuple[str, str, str, list[str], float]] = field(default_factory=list)
    unanswered: list[tuple[str, str, float, str | None]] = field(default_factory=list)
    reviews: list[tuple[str, str, float]] = field(default_factory=list)

    async def record_turn(self, user: str, intent: str, text: str, replies: list[str], at: float) -> None:
        self.turns.append((user, intent, text, replies, at))

    async def record_unanswered(self, user: str, text: str, at: float, chosen: str | None = None) -> None:
        self.unanswered.append((user, text, at, chosen))

    async def record_review_wish(self, user: str, text: str, at: float) -> None:
        self.reviews.append((user, text, at))

    async def close(self) -> None:
        return None


class NullJournal:
    """Records nothing: `banshi understand` must have no side effects."""

    async def record_turn(self, user: str, intent: str, text: str, replies: list[str], at: float) -> None:
        return None

    async def record_unanswered(self, user: str, text: str, at: float, chosen: str | None = None) -> None:
        return None

    async def record_review_wish(self, user: str, text: str, at: float) -> None:
        return None

    async def close(self) -> None:
        return None
