"""好差评: collect one rating per target per rater, follow up 差评, and count the figures.

Why a service of its own: the rules are the State Council's (一事一评, every 差评 verified
and rectified with a deadline, 100 % 回访) and they must hold whichever intent or push
starts the rating. Levels 1–2 open a rectification record for the item's department with a
deadline in working days; at 已回访 the citizen may re-rate once (`revised_level`), and the
figures keep counting the first rating, as the national indicators do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from bot.cases import CST, Case
from bot.notifier import Delivery, Notifier
from bot.protocols import Clock, ReviewStore
from bot.types import Option, Options, UserRef
from knowledge.catalog import Catalog
from knowledge.workdays import WorkCalendar

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
STEPS = ("待核实", "核实中", "整改中", "已整改", "已回访")
TargetKind = Literal["case", "session", "answer", "hall"]


@dataclass(frozen=True)
class Target:
    """What is rated: a case (number), an agent session (id), an answer (item code), or a
    visit to a hall ("H1:2025-10-06": one rating per hall per day, 一次一评)."""

    kind: TargetKind
    id: str


@dataclass(frozen=True)
class Review:
    target: Target
    rater: str  # UserRef.key
    level: int
    at: float
    comment: str = ""
    channel: str = "wechat"
    item_code: str = ""
    department: str = ""
    hall_code: str = ""
    revised_level: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class Invitation:
    target: Target
    rater: str
    invited_at: float
    item_code: str = ""
    hall_code: str = ""
    reminded_at: float | None = None


@dataclass(frozen=True)
class Note:
    status: str
    at: float
    text: str = ""
    by: str = ""


@dataclass(frozen=True)
class Rectification:
    """A 差评's ledger entry: who must act, by when, and what was done at each step."""

    review_id: int
    target: Target
    rater: str
    department: str
    deadline: date
    opened_at: float
    item_code: str = ""
    hall_code: str = ""
    status: str = "待核实"
    notes: tuple[Note, ...] = ()
    rectified_at: float | None = None
    id: int | None = None

    def overdue(self, today: date) -> bool:
        return STEPS.index(self.status) < STEPS.index("已整改") and today > self.deadline

    def on_time(self) -> bool:
        done = self.rectified_at
        return done is not None and datetime.fromtimestamp(done, CST).date() <= self.deadline


@dataclass(frozen=True)
class CompletedCase:
    number: str
    item_code: str
    hall_code: str
    completed_at: float


@dataclass(frozen=True)
class ReviewOutcome:
    kind: Literal["recorded", "revised", "duplicate", "invalid", "comment_saved", "not_found"]
    lines: tuple[str, ...]
    review: Review | None = None
    rectification: Rectification | None = None


class ReviewError(ValueError):
    """A staff action that the workflow does not allow (unknown record, step backwards)."""


def rating_options(prompt: str = "请为本次服务评价：") -> Options:
    """The five levels, listed 1 → 5 so a channel's own numbering ("1. …") equals the level:
    "5" then means 非常满意 whether typed, tapped, or answered to a pushed invitation."""
    return Options(prompt, tuple(Option(LEVELS[level], str(level)) for level in sorted(LEVELS)))


class ReviewService:
    def __init__(
        self,
        store: ReviewStore,
        notifier: Notifier,
        catalog: Callable[[], Catalog],
        calendar: WorkCalendar,
        clock: Clock,
        rectification_days: int = 5,
        remind_after: float = 3 * 86400,
    ) -> None:
        self.store, self.notifier, self.catalog = store, notifier, catalog
        self.calendar, self.clock = calendar, clock
        self.rectification_days, self.remind_after = rectification_days, remind_after

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock.now(), CST).date()

    async def invite_case(self, user_key: str, case: Case) -> Delivery | None:
        """Ask the user to rate a completed case (once; later calls do nothing)."""
        invitation = Invitation(Target("case", case.number), user_key, self.clock.now(), case.item_code, case.hall_code)
        if not await self.store.add_invitation(invitation):
            return None
        name = self.catalog().name_of(case.item_code) or case.item_code
        return await self._ask(invitation, f"您的办件 {case.number}（{name}）已办结。", "invite")

    async def _ask(self, invitation: Invitation, opening: str, what: str) -> Delivery:
        levels = "\n".join(f"{level} {name}" for level, name in LEVELS.items())
        text = f"{opening}请为本次服务评价，回复数字：\n{levels}\n也可以再写几句意见。"
        topic = f"review:{invitation.target.kind}:{invitation.target.id}:{what}"
        data = {"number": invitation.target.id, "status": "待评价", "remark": opening}
        return await self.notifier.notify(invitation.rater, topic, text, data)

    async def pending_target(self, user: UserRef) -> Target | None:
        """The newest target this user was invited to rate and has not: what a bare "5" means."""
        for invitation in sorted(await self.store.invitations_for(user.key), key=lambda i: -i.invited_at):
            review = await self.store.get_review(invitation.target, user.key)
            if review is None or await self._may_revise(review):
                return invitation.target
        return None

    async def record(self, user: UserRef, target: Target, level: int, comment: str = "",
                     item_code: str = "", hall_code: str = "") -> ReviewOutcome:
        """Store a rating; a 差评 opens a rectification record. Duplicates are refused politely."""
        if level not in LEVELS:
            return ReviewOutcome("invalid", ("请回复 1 到 5 的数字：5 非常满意 … 1 非常不满意。",))
        existing = await self.store.get_review(target, user.key)
        if existing is not None:
            return await self._revise_or_refuse(existing, level, comment)
        if not item_code:
            invited = [i for i in await self.store.invitations_for(user.key) if i.target == target]
            if invited:
                item_code, hall_code = invited[0].item_code, invited[0].hall_code
        item = self.catalog().items.get(item_code)
        review = Review(target, user.key, level, self.clock.now(), comment.strip()[:500], user.channel,
                        item_code, item.department if item else "", hall_code)
        stored = await self.store.add_review(review)
        if stored is None:  # a concurrent duplicate lost the race at the unique constraint
            return ReviewOutcome("duplicate", ("您已经评价过了，感谢您的反馈！",))
        lines = [f"感谢您的评价：{LEVELS[level]}。"]
        rectification = None
        if level <= 2 and target.kind != "answer":
            rectification = await self._open(stored)
            lines.append(f"很抱歉让您不满意。我们已转交{stored.department or '相关部门'}核实处理，"
                         f"将在{rectification.deadline:%m月%d日}前回复您。")
        if not comment:
            lines.append("如愿意，可以再写几句具体意见。")
        return ReviewOutcome("recorded", tuple(lines), stored, rectification)

    async def _revise_or_refuse(self, review: Review, level: int, comment: str) -> ReviewOutcome:
        if await self._may_revise(review):
            revised = replace(review, revised_level=level, comment=(review.comment + "\n" + comment).strip())
            await self.store.update_review(revised)
            return ReviewOutcome("revised", (f"感谢您再次评价：{LEVELS[level]}。",), revised)
        return ReviewOutcome("duplicate", ("这件事您已经评价过了（一事一评），感谢您的反馈！如有新问题可以直接告诉我。",), review)

    async def _may_revise(self, review: Review) -> bool:
        if review.id is None or review.revised_level is not None:
            return False
        record = await self.store.rectification_for(review.id)
        return record is not None and record.status == "已回访"

    async def add_comment(self, user: UserRef, target: Target, comment: str) -> ReviewOutcome:
        review = await self.store.get_review(target, user.key)
        if review is None:
            return ReviewOutcome("not_found", ("请先选择评价等级（1–5）。",))
        await self.store.update_review(replace(review, comment=(review.comment + "\n" + comment.strip()).strip()[:1000]))
        return ReviewOutcome("comment_saved", ("已记录您的意见，谢谢！",), review)

    async def answer_feedback(self, user: UserRef, item_code: str, helpful: bool) -> ReviewOutcome:
        """"这个回答有帮助吗？": kept against the item, counted apart from service ratings."""
        return await self.record(user, Target("answer", item_code), 4 if helpful else 2, item_code=item_code)

    async def _open(self, review: Review) -> Rectification:
        assert review.id is not None
        deadline = self.calendar.add_workdays(self.today(), self.rectification_days)
        record = Rectification(review.id, review.target, review.rater, review.department, deadline,
                               self.clock.now(), review.item_code, review.hall_code,
                               notes=(Note("待核实", self.clock.now(), f"{LEVELS[review.level]}：{review.comment}"),))
        return await self.store.add_rectification(record)

    async def advance(self, record_id: int, status: str, note: str = "", by: str = "") -> Rectification:
        """Move a rectification forward (steps may be skipped for simple fixes, never undone)."""
        record = await self.store.get_rectification(record_id)
        if record is None:
            raise ReviewError(f"no rectification {record_id}")
        if status not in STEPS or STEPS.index(status) <= STEPS.index(record.status):
            raise ReviewError(f"cannot go from {record.status} to {status}; next steps: "
                              f"{', '.join(STEPS[STEPS.index(record.status) + 1:]) or 'none'}")
        now = self.clock.now()
        rectified = record.rectified_at or (now if STEPS.index(status) >= STEPS.index("已整改") else None)
        record = replace(record, status=status, rectified_at=rectified,
                         notes=(*record.notes, Note(status, now, note.strip(), by)))
        await self.store.save_rectification(record)
        if status == "已回访":
            invitation = Invitation(record.target, record.rater, now, record.item_code, record.hall_code)
            await self.store.add_invitation(invitation)
            await self._ask(invitation, f"您反映的问题已整改：{note.strip() or '详见回访说明'}。欢迎再次评价，", "revisit")
        return record

    async def overdue(self) -> list[Rectification]:
        today = self.today()
        return [r for r in await self.store.rectifications(open_only=True) if r.overdue(today)]

    async def due_reminders(self) -> list[Delivery]:
        """One reminder for case invitations still unrated after `remind_after` (default 3 days).

        Claim, then send: several instances may run this at the same moment, and only the one
        whose claim the store accepts sends. A failed send stays claimed (the Notifier has
        already retried and recorded it): one reminder is the rule, not one success.
        """
        sent = []
        for invitation in await self.store.due_invitations(self.clock.now() - self.remind_after):
            if invitation.target.kind != "case" or await self.store.get_review(invitation.target, invitation.rater):
                continue
            if not await self.store.claim_reminder(invitation, self.clock.now()):
                continue  # another instance got there first
            sent.append(await self._ask(invitation, f"提醒：您的办件 {invitation.target.id} 还没有评价。", "remind"))
        return sent

    async def report(self, since: date, until: date | None = None) -> dict[str, object]:
        start = datetime.combine(since, datetime.min.time(), CST).timestamp()
        end = datetime.combine(until or self.today() + timedelta(days=1), datetime.min.time(), CST).timestamp()
        completed = await self.store.completed_cases(start, end)
        reviews = await self.store.reviews_between(start, end)
        # a case completed in the period may be rated after it ends: look up to now
        case_reviews = await self.store.reviews_between(start, self.clock.now() + 86400) if completed else []
        rated = {r.target.id for r in case_reviews if r.target.kind == "case"}
        records = [r for r in await self.store.rectifications() if start <= r.opened_at < end]
        return figures(completed, rated, reviews, records, self.catalog(), self.today())


def figures(completed: Iterable[CompletedCase], rated: set[str], reviews: Iterable[Review],
            records: Iterable[Rectification], catalog: Catalog, today: date) -> dict[str, object]:
    """The 好差评 figures, overall and per department, hall and item. Pure: easy to check by hand."""

    def department(item_code: str) -> str:
        item = catalog.items.get(item_code)
        return item.department if item else ""

    rows: list[tuple[dict[str, str], str, object]] = []
    rows += [({"department": department(c.item_code), "hall": c.hall_code, "item": c.item_code}, "case", c)
             for c in completed]
    rows += [({"department": r.department or department(r.item_code), "hall": r.hall_code, "item": r.item_code},
              "review", r) for r in reviews]
    rows += [({"department": r.department, "hall": r.hall_code, "item": r.item_code}, "rect", r) for r in records]

    def count(selected: list[tuple[str, object]]) -> dict[str, object]:
        cases = [c for kind, c in selected if kind == "case" and isinstance(c, CompletedCase)]
        revs = [r for kind, r in selected if kind == "review" and isinstance(r, Review)]
        service = [r for r in revs if r.target.kind != "answer"]
        answers = [r for r in revs if r.target.kind == "answer"]
        rects = [r for kind, r in selected if kind == "rect" and isinstance(r, Rectification)]
        n_rated = sum(1 for c in cases if c.number in rated)
        good = sum(1 for r in service if r.level >= 3)
        return {
            "completed": len(cases), "rated": n_rated, "active_rate": _rate(n_rated, len(cases)),
            "reviews": len(service), "good": good, "good_rate": _rate(good, len(service)),
            "bad": len(service) - good, "rectifications": len(rects),
            "rectified_on_time": sum(1 for r in rects if r.on_time()),
            "overdue": sum(1 for r in rects if r.overdue(today)),
            "answers": len(answers), "answers_helpful": sum(1 for r in answers if r.level >= 3),
        }

    result = count([(kind, obj) for _, kind, obj in rows])
    for dimension in ("department", "hall", "item"):
        keys = sorted({keys[dimension] for keys, _, _ in rows})
        result[f"by_{dimension}"] = {
            key: count([(kind, obj) for keys, kind, obj in rows if keys[dimension] == key]) for key in keys
        }
    return result


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
