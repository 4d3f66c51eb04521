"""What happens when the source system changes a case (办件).

Bound users hear about the new head of the timeline through the `Notifier`; a case reaching
办结 invites a 好差评 rating (`on_completed`, wired to the review service by the adapters).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.case_service import CaseService
from bot.cases import CST, Case
from bot.notifier import Delivery, Notifier


class CaseUpdates:
    """What happens when the source system changes a case: tell bound users, invite ratings."""

    def __init__(
        self,
        cases: CaseService,
        notifier: Notifier,
        on_completed: Callable[[str, Case], Awaitable[object]] | None = None,
    ) -> None:
        self.cases, self.notifier, self.on_completed = cases, notifier, on_completed

    async def changed(self, before: Case | None, after: Case) -> list[Delivery]:
        current = after.current
        if current is None or (before is not None and before.current == current):
            return []  # nothing new at the head of the timeline (e.g. an older event arrived)
        deliveries = []
        name = self.cases.catalog().name_of(after.item_code) or after.item_code
        data = {"number": after.number, "item": name, "status": current.status,
                "time": f"{current.at.astimezone(CST):%Y-%m-%d %H:%M}", "remark": current.note}
        for user in await self.cases.bindings.subscribers(after.number):
            topic = f"case:{after.number}:{current.status}"
            deliveries.append(await self.notifier.notify(user, topic, self.cases.change_text(after), data))
            if current.status == "办结" and self.on_completed is not None:
                await self.on_completed(user, after)
        return deliveries
