"""What a citizen may see about their case (办件), and the words we say it with.

`CaseService` is the one door the case intents use: lookup, verification with lock-out,
binding, and status answers. Answers are plain text lines the intents send as they are;
promised dates count working days with the holiday calendar. A slow backend does not hold
up the reply: the answer becomes "slow" with a task to push later (see `bot.pushes`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from bot.cases import CST, FINAL, Case, CaseBackendError, mask_name
from bot.proofs import Proofs
from bot.protocols import CaseBackend, CaseBindings, Clock
from bot.types import UserRef
from knowledge.catalog import Catalog
from knowledge.workdays import WorkCalendar

PLAIN = {
    "收件": "材料已收到，等待窗口受理",
    "受理": "已受理，正在办理",
    "补正": "材料需要补正，补齐后才能继续办理",
    "审核": "正在审核",
    "办结": "已办结",
    "不予受理": "不予受理",
    "不予许可": "不予许可",
    "退件": "已退件",
}
NEXT = {
    "收件": "无需操作，窗口受理后会通知您。",
    "受理": "无需操作，有进展会通知您。",
    "补正": "请带齐需补正的材料（{note}）到{where}办理。",
    "审核": "无需操作，请等待审核结果。",
    "办结": "请按约定方式领取结果，或到{where}领取。",
    "不予受理": "原因见办理记录；如有疑问请致电{phone}。",
    "不予许可": "原因见办理记录；如有疑问请致电{phone}。",
    "退件": "材料已退回；如需重新申请请咨询{phone}。",
}


@dataclass(frozen=True)
class CaseAnswer:
    """What to tell the citizen. `later` is set when kind == "slow": await it, then push."""

    kind: Literal["shown", "list", "need_proof", "wrong_proof", "locked", "not_found", "unavailable", "slow"]
    lines: tuple[str, ...]
    case: Case | None = None
    later: asyncio.Task[CaseAnswer] | None = field(default=None, compare=False, repr=False)


class CaseService:
    """Lookup, verification, binding and status answers; the case intents call only this."""

    def __init__(
        self,
        backend: CaseBackend,
        bindings: CaseBindings,
        catalog: Callable[[], Catalog],
        calendar: WorkCalendar,
        proofs: Proofs,
        clock: Clock,
        number_pattern: str,
        service_phone: str = "12345",
        user_limit: int = 5,
        case_limit: int = 10,
    ) -> None:
        self.backend, self.bindings, self.catalog = backend, bindings, catalog
        self.calendar, self.proofs, self.clock = calendar, proofs, clock
        self.pattern = re.compile(number_pattern, re.IGNORECASE)  # citizens type ga… as often as GA…
        self.service_phone, self.user_limit, self.case_limit = service_phone, user_limit, case_limit

    def find_number(self, text: str) -> str | None:
        """The case number in a message, by the configured pattern (formats differ by province)."""
        match = self.pattern.search(text)
        return match.group(0).upper() if match else None

    async def lookup(self, user: UserRef, number: str, answer_within: float | None = None) -> CaseAnswer:
        """need_proof until the user is bound, then the status. With `answer_within` seconds, a slow
        backend yields kind "slow" (say 正在查询) and `later`, a task to await and push."""
        return await self._timed(self._lookup(user, number), answer_within)

    async def verify(self, user: UserRef, number: str, proof: str, answer_within: float | None = None) -> CaseAnswer:
        return await self._timed(self._verify(user, number, proof), answer_within)

    async def my_cases(self, user: UserRef, answer_within: float | None = None) -> CaseAnswer:
        return await self._timed(self._my_cases(user), answer_within)

    async def _timed(self, work: Awaitable[CaseAnswer], answer_within: float | None) -> CaseAnswer:
        task = asyncio.ensure_future(work)
        if answer_within is None:
            return await task
        done, _ = await asyncio.wait({task}, timeout=answer_within)
        if done:
            return task.result()
        return CaseAnswer("slow", ("正在查询，请稍候，结果出来后会发给您。",), later=task)

    async def _get(self, number: str) -> Case | None | CaseAnswer:
        try:
            return await self.backend.get(number)
        except CaseBackendError:
            return CaseAnswer("unavailable", (f"办件查询系统暂时无法访问，请稍后再试，或致电{self.service_phone}。",))

    async def _lookup(self, user: UserRef, number: str) -> CaseAnswer:
        case = await self._get(number)
        if isinstance(case, CaseAnswer):
            return case
        if case is None:
            return CaseAnswer("not_found", (f"没有查到办件编号 {number}，请核对编号后再发给我。",))
        if number in await self.bindings.bound_numbers(user.key):
            return CaseAnswer("shown", tuple(self.describe(case)), case)
        return CaseAnswer("need_proof", ("为保护您的信息，请回复申请时所留手机号的后4位，或办件查询码。",), case)

    async def _verify(self, user: UserRef, number: str, proof: str) -> CaseAnswer:
        now = self.clock.now()
        locked = await self._locked(user, number, now)
        if locked:
            case = await self._get(number)
            return CaseAnswer("locked", (locked + self._phone_line(case if isinstance(case, Case) else None),))
        case = await self._get(number)
        if isinstance(case, CaseAnswer):
            return case
        ok = case is not None and self.proofs.matches(case, proof)
        await self.bindings.record_attempt(user.key, number, ok, now)
        if not ok or case is None:
            left = self.user_limit - await self.bindings.failures_since(now - 3600, user=user.key)
            if left <= 0:
                return CaseAnswer("locked", (f"验证未通过。{await self._locked(user, number, now)}{self._phone_line(case)}",))
            return CaseAnswer("wrong_proof", (f"验证未通过，请核对办件编号和手机号后4位（或查询码）。还可以再试 {left} 次。",))
        await self.bindings.bind(user.key, number, now)
        return CaseAnswer("shown", ("验证通过，以后发送“我的办件”即可查看。", *self.describe(case)), case)

    async def _locked(self, user: UserRef, number: str, now: float) -> str:
        if await self.bindings.failures_since(now - 3600, user=user.key) >= self.user_limit:
            return "验证失败次数过多，请 1 小时后再试"
        if await self.bindings.failures_since(now - 86400, number=number) >= self.case_limit:
            return "该办件今天的验证次数已用完，请明天再试"
        return ""

    def _phone_line(self, case: Case | None) -> str:
        hall = self.catalog().halls.get(case.hall_code) if case else None
        if hall and hall.phone:
            return f"，或致电{hall.name}：{hall.phone}。"
        return f"，或致电{self.service_phone}。"

    async def _my_cases(self, user: UserRef) -> CaseAnswer:
        numbers = await self.bindings.bound_numbers(user.key)
        if not numbers:
            return CaseAnswer("list", ("您还没有绑定办件。发送办件编号，验证后即可查看和接收进度通知。",))
        lines = ["您的办件："]
        for number in numbers:
            case = await self._get(number)
            if isinstance(case, CaseAnswer):
                return case
            if case is not None:
                name = self.catalog().name_of(case.item_code) or case.item_code
                lines.append(f"{number} {name}：{case.status or '暂无记录'}")
        return CaseAnswer("list", tuple(lines))

    def promised_date(self, case: Case) -> tuple[date | None, tuple[str, ...]]:
        """The promised completion date and the holidays it skips (for an honest explanation)."""
        if case.promised_date:
            return case.promised_date, ()
        item = self.catalog().items.get(case.item_code)
        accepted = [e for e in case.events if e.status == "受理"]
        if not item or not item.promised_days or not accepted:
            return None, ()
        start = accepted[-1].at.astimezone(CST).date()
        due = self.calendar.add_workdays(start, item.promised_days)
        skipped = []
        day = start
        while day < due:
            day += timedelta(days=1)
            info = self.calendar.info(day)
            if not info.workday and info.name and info.name not in skipped:
                skipped.append(info.name)
        return due, tuple(skipped)

    def describe(self, case: Case, lang: str = "zh") -> list[str]:
        """Status, timeline, promised date, next step and phone, as plain lines (zh for now)."""
        catalog = self.catalog()
        item = catalog.items.get(case.item_code)
        hall = catalog.halls.get(case.hall_code)
        phone = (hall.phone if hall and hall.phone else "") or (item.phone if item else "") or self.service_phone
        lines = [f"办件编号：{case.number}", f"事项：{item.name if item else case.item_code}"]
        if case.applicant_name:
            lines.append(f"申请人：{mask_name(case.applicant_name)}")
        current = case.current
        if current is None:
            return [*lines, "暂无办理记录。", f"咨询电话：{phone}"]
        lines.append(f"当前进度：{current.status}（{PLAIN[current.status]}）")
        lines.append("办理记录：")
        for e in case.events:
            lines.append(f"  {e.at.astimezone(CST):%m月%d日 %H:%M} {e.status}" + (f"：{e.note}" if e.note else ""))
        due, skipped = self.promised_date(case)
        if due and current.status not in FINAL:
            days = f"（按工作日计算，已避开{'、'.join(skipped)}假期）" if skipped else "（按工作日计算）"
            lines.append(f"承诺办结日期：{due:%Y年%m月%d日}前{days}")
        where = f"{hall.name}（{hall.address}）" if hall and hall.address else (hall.name if hall else "办理大厅")
        lines.append("下一步：" + NEXT[current.status].format(note=current.note or "见窗口告知", where=where, phone=phone))
        lines.append(f"咨询电话：{phone}")
        return lines

    def change_text(self, case: Case) -> str:
        """The push text for a status change: short, no personal data."""
        current = case.current
        assert current is not None
        name = self.catalog().name_of(case.item_code) or case.item_code
        note = f"（{current.note}）" if current.note else ""
        return f"您的办件 {case.number}（{name}）有新进度：{current.status}，{PLAIN[current.status]}{note}。发送“我的办件”查看详情。"
