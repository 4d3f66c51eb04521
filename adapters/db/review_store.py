"""Reviews, invitations and rectification records in SQL (the core's ReviewStore).

一事一评 is enforced by a unique constraint, not by a read-then-write, so two taps racing
from two instances still leave one review.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.tables import cases, rectifications, review_invitations, reviews
from bot.reviews import CompletedCase, Invitation, Note, Rectification, Review, Target


def _review(row: object) -> Review:
    m = row._mapping  # type: ignore[attr-defined]
    return Review(
        Target(m["target_kind"], m["target_id"]), m["rater"], m["level"], m["at"], m["comment"], m["channel"],
        m["item_code"], m["department"], m["hall_code"], m["revised_level"], m["id"],
    )


def _invitation(row: object) -> Invitation:
    m = row._mapping  # type: ignore[attr-defined]
    return Invitation(
        Target(m["target_kind"], m["target_id"]), m["rater"], m["invited_at"], m["item_code"], m["hall_code"],
        m["reminded_at"],
    )


def _notes(record: Rectification) -> list[dict[str, object]]:
    return [{"status": n.status, "at": n.at, "text": n.text, "by": n.by} for n in record.notes]


class SqlReviewStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add_review(self, review: Review) -> Review | None:
        values = {
            "target_kind": review.target.kind, "target_id": review.target.id, "rater": review.rater,
            "level": review.level, "revised_level": review.revised_level, "comment": review.comment,
            "channel": review.channel, "item_code": review.item_code, "department": review.department,
            "hall_code": review.hall_code, "at": review.at,
        }
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(insert(reviews).values(**values).returning(reviews.c.id))
                new_id = result.scalar_one()
        except IntegrityError:
            return None
        return replace(review, id=new_id)

    async def get_review(self, target: Target, rater: str) -> Review | None:
        query = select(reviews).where(
            reviews.c.target_kind == target.kind, reviews.c.target_id == target.id, reviews.c.rater == rater
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _review(row) if row else None

    async def update_review(self, review: Review) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(reviews).where(reviews.c.id == review.id)
                .values(comment=review.comment, revised_level=review.revised_level)
            )

    async def reviews_between(self, since: float, until: float) -> list[Review]:
        query = select(reviews).where(reviews.c.at >= since, reviews.c.at < until).order_by(reviews.c.id)
        async with self.engine.connect() as conn:
            return [_review(r) for r in (await conn.execute(query)).all()]

    async def add_invitation(self, invitation: Invitation) -> bool:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(review_invitations).values(
                    target_kind=invitation.target.kind, target_id=invitation.target.id, rater=invitation.rater,
                    item_code=invitation.item_code, hall_code=invitation.hall_code,
                    invited_at=invitation.invited_at, reminded_at=invitation.reminded_at,
                ))
        except IntegrityError:
            return False
        return True

    async def invitations_for(self, rater: str) -> list[Invitation]:
        query = select(review_invitations).where(review_invitations.c.rater == rater)
        async with self.engine.connect() as conn:
            return [_invitation(r) for r in (await conn.execute(query)).all()]

    async def due_invitations(self, invited_before: float) -> list[Invitation]:
        """Invitations old enough for their one reminder, not reminded, with no review yet."""
        rated = select(reviews.c.id).where(and_(
            reviews.c.target_kind == review_invitations.c.target_kind,
            reviews.c.target_id == review_invitations.c.target_id,
            reviews.c.rater == review_invitations.c.rater,
        ))
        query = select(review_invitations).where(
            review_invitations.c.invited_at <= invited_before,
            review_invitations.c.reminded_at.is_(None),
            ~rated.exists(),
        )
        async with self.engine.connect() as conn:
            return [_invitation(r) for r in (await conn.execute(query)).all()]

    async def claim_reminder(self, invitation: Invitation, at: float) -> bool:
        """Mark the invitation reminded unless someone already did; True means "you send it".

        One conditional UPDATE, so two instances ticking at the same instant cannot both
        win: the database serialises writers to the row and the loser matches no row.
        """
        async with self.engine.begin() as conn:
            result = await conn.execute(update(review_invitations).where(
                review_invitations.c.target_kind == invitation.target.kind,
                review_invitations.c.target_id == invitation.target.id,
                review_invitations.c.rater == invitation.rater,
                review_invitations.c.reminded_at.is_(None),
            ).values(reminded_at=at))
            return result.rowcount == 1

    async def add_rectification(self, record: Rectification) -> Rectification:
        async with self.engine.begin() as conn:
            result = await conn.execute(insert(rectifications).values(
                review_id=record.review_id, status=record.status, department=record.department,
                item_code=record.item_code, hall_code=record.hall_code, deadline=record.deadline,
                opened_at=record.opened_at, rectified_at=record.rectified_at, notes=_notes(record),
            ).returning(rectifications.c.id))
            return replace(record, id=result.scalar_one())

    def _select_rectifications(self):  # type: ignore[no-untyped-def]
        return select(rectifications, reviews.c.target_kind, reviews.c.target_id, reviews.c.rater).join(
            reviews, reviews.c.id == rectifications.c.review_id
        )

    @staticmethod
    def _rectification(row: object) -> Rectification:
        m = row._mapping  # type: ignore[attr-defined]
        return Rectification(
            m["review_id"], Target(m["target_kind"], m["target_id"]), m["rater"], m["department"], m["deadline"],
            m["opened_at"], m["item_code"], m["hall_code"], m["status"],
            tuple(Note(n["status"], n["at"], n["text"], n["by"]) for n in m["notes"]), m["rectified_at"], m["id"],
        )

    async def get_rectification(self, record_id: int) -> Rectification | None:
        query = self._select_rectifications().where(rectifications.c.id == record_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return self._rectification(row) if row else None

    async def rectification_for(self, review_id: int) -> Rectification | None:
        query = self._select_rectifications().where(rectifications.c.review_id == review_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return self._rectification(row) if row else None

    async def save_rectification(self, record: Rectification) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(rectifications).where(rectifications.c.id == record.id).values(
                status=record.status, rectified_at=record.rectified_at, notes=_notes(record),
            ))

    async def rectifications(self, *, open_only: bool = False) -> list[Rectification]:
        query = self._select_rectifications().order_by(rectifications.c.id)
        if open_only:
            query = query.where(rectifications.c.status.in_(("待核实", "核实中", "整改中")))
        async with self.engine.connect() as conn:
            return [self._rectification(r) for r in (await conn.execute(query)).all()]

    async def completed_cases(self, since: float, until: float) -> list[CompletedCase]:
        query = select(cases.c.number, cases.c.item_code, cases.c.hall_code, cases.c.completed_at).where(
            cases.c.completed_at >= since, cases.c.completed_at < until
        )
        async with self.engine.connect() as conn:
            return [CompletedCase(*r) for r in (await conn.execute(query)).all()]
