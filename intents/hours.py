"""Hall hours: "今天上班吗", "周六开门不", "国庆节开不开", from the hall's hours and the
holiday calendar (knowledge.workdays.WorkCalendar, with 调休 make-up working days)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from bot.dispatcher import Turn
from bot.router import Router
from bot.state import Conversation
from bot.types import Reply, Text
from intents.halls import by_place, default_hall
from intents.replies import T
from knowledge.catalog import Catalog, Hall
from knowledge.workdays import WorkCalendar

router = Router("hours")
CHINA = timezone(timedelta(hours=8))  # no daylight saving in China
_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_SPAN = re.compile(r"周([一二三四五六日天])(?:至|到|-|~)周([一二三四五六日天])")
_ONE = re.compile(r"周([一二三四五六日天])")
_TIME = re.compile(r"(\d{1,2}:\d{2})\s*[-~至到]\s*(\d{1,2}:\d{2})")
_HOLIDAYS = {"春节": "春节", "过年": "春节", "国庆": "国庆节", "元旦": "元旦", "清明": "清明节",
             "五一": "劳动节", "劳动节": "劳动节", "端午": "端午节", "中秋": "中秋节"}
WEEKDAY_NAMES = "一二三四五六日"

Schedule = dict[int, list[tuple[str, str]]]


def schedule(hours: str) -> Schedule:
    """"周一至周五 9:00-12:00 13:30-17:30；周六 9:00-12:00" → {0: [(9:00, 12:00), …], …, 5: […]}."""
    out: Schedule = {}
    for part in re.split(r"[；;。]", hours):
        times = _TIME.findall(part)
        span = _SPAN.search(part)
        if span:
            a, b = _DAYS[span.group(1)], _DAYS[span.group(2)]
            days = list(range(a, b + 1))
        else:
            days = [_DAYS[d] for d in _ONE.findall(part)]
        for d in days:
            out.setdefault(d, []).extend(times)
    return out


def open_times(day: date, sched: Schedule, calendar: WorkCalendar) -> list[tuple[str, str]]:
    """The hall's opening times on `day`; empty when closed (holidays close, 调休 opens)."""
    info = calendar.info(day)
    if not info.workday and info.name:
        return []
    if day.weekday() in sched:
        return sched[day.weekday()]
    if info.workday:  # a weekend day worked for a holiday (调休): the weekday hours
        return sched.get(0, [])
    return []


def asked_day(text: str, today: date) -> date:
    if "后天" in text:
        return today + timedelta(days=2)
    if "明天" in text or "明儿" in text:
        return today + timedelta(days=1)
    m = re.search(r"(?:周|星期|礼拜)([一二三四五六日天末])", text)
    if m:
        target = _DAYS[m.group(1)]
        return today + timedelta(days=(target - today.weekday()) % 7)
    return today


def holiday_span(name: str, today: date, calendar: WorkCalendar) -> tuple[list[date], list[date]]:
    """The next run of days off named `name` and the make-up days around it."""
    off: list[date] = []
    for i in range(370):
        d = today + timedelta(days=i)
        info = calendar.info(d)
        if not info.workday and info.name == name:
            off.append(d)
        elif off:
            break
    if not off:
        return [], []
    around = [off[0] + timedelta(days=i) for i in range(-14, len(off) + 14)]
    makeup = [d for d in around if calendar.info(d).workday and d.weekday() >= 5]
    return off, makeup


def _md(d: date) -> str:
    return f"{d.month}月{d.day}日"


def describe(hall: Hall, text: str, now: float, calendar: WorkCalendar, t: T) -> list[str]:
    sched = schedule(hall.hours)
    clock = datetime.fromtimestamp(now, CHINA)
    today = clock.date()
    for word, name in _HOLIDAYS.items():
        if word in text:
            off, makeup = holiday_span(name, today, calendar)
            if not off:
                return [t("hours_holiday_unknown", name=name), t("hall_hours_line", name=hall.name, hours=hall.hours)]
            lines = [t("hours_holiday", name=name, start=_md(off[0]), end=_md(off[-1]))]
            if makeup:
                lines.append(t("hours_makeup", days="、".join(_md(d) for d in makeup)))
            return [*lines, t("hall_hours_line", name=hall.name, hours=hall.hours)]
    if "藏历" in text or "洛萨" in text:
        return [t("hours_losar", phone=hall.phone), t("hall_hours_line", name=hall.name, hours=hall.hours)]
    day = asked_day(text, today)
    info = calendar.info(day)
    times = open_times(day, sched, calendar)
    label = t("today") if day == today else f"{_md(day)}（周{WEEKDAY_NAMES[day.weekday()]}）"
    lines: list[str] = []
    if times:
        spans = "、".join(f"{a}-{b}" for a, b in times)
        lines.append(t("hours_open", day=label, name=hall.name, times=spans) + (f"（{info.name}）" if info.name else ""))
        if day == today:
            lines.append(_now_status(clock, times, t))
    else:
        why = info.name or t("weekend")
        nxt = day + timedelta(days=1)
        while not open_times(nxt, sched, calendar) and nxt < day + timedelta(days=30):
            nxt += timedelta(days=1)
        lines.append(t("hours_closed", day=label, why=why, next=f"{_md(nxt)}（周{WEEKDAY_NAMES[nxt.weekday()]}）"))
    if not info.known:
        lines.append(t("hours_unsure"))
    lines.append(t("hall_hours_line", name=hall.name, hours=hall.hours))
    return lines


def _now_status(clock: datetime, times: list[tuple[str, str]], t: T) -> str:
    hm = clock.strftime("%H:%M").zfill(5)
    for a, b in times:
        if a.zfill(5) <= hm < b.zfill(5):
            return t("hours_now_open", end=b)
    if hm < times[0][0].zfill(5):
        return t("hours_now_before", start=times[0][0])
    later = [a for a, _ in times if a.zfill(5) > hm]
    return t("hours_now_break", start=later[0]) if later else t("hours_now_after")


def answer(turn: Turn, state: Conversation, catalog: Catalog, calendar: WorkCalendar, t: T) -> list[Reply]:
    hall = by_place(catalog, turn.text) or catalog.halls.get(state.hall or "") or default_hall(catalog)
    if hall is None:
        return [Text(t("nearby_none"))]
    state.hall = hall.code
    return [Text(line) for line in describe(hall, turn.text, turn.now, calendar, t)]


@router.handler(lambda turn: turn.intent == "hours")
async def hours(turn: Turn, state: Conversation, catalog: Catalog, calendar: WorkCalendar, t: T) -> list[Reply]:
    return answer(turn, state, catalog, calendar, t)
