"""Working days: China's official holidays and make-up working days (调休).

Time limits (承诺办结时限), promised case dates and "今天上班吗" all count working days.
The dates move every year: the `chinese-calendar` package carries the State Council's
schedule; an operator's data file (JSON) overrides or extends it, e.g. for next year
before the package is updated, or for a local holiday. Beyond what either knows, plain
weekdays are assumed and `known()` says so, so the bot can hedge.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar


@dataclass(frozen=True)
class DayInfo:
    day: date
    workday: bool
    name: str = ""  # the holiday's or make-up day's name, when there is one
    known: bool = True  # False when neither the package nor the data file covers the date


@dataclass(frozen=True)
class WorkCalendar:
    holidays: Mapping[date, str] = field(default_factory=dict)  # extra days off, with names
    workdays: Mapping[date, str] = field(default_factory=dict)  # weekend days worked (调休)

    @classmethod
    def load(cls, path: str | Path | None = None) -> WorkCalendar:
        """The package's schedule plus the data file: {"holidays": {"2027-01-01": "元旦"}, "workdays": {...}}."""
        if path is None or not Path(path).exists():
            return cls()
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            holidays={date.fromisoformat(k): str(v) for k, v in (data.get("holidays") or {}).items()},
            workdays={date.fromisoformat(k): str(v) for k, v in (data.get("workdays") or {}).items()},
        )

    def info(self, day: date) -> DayInfo:
        if day in self.holidays:
            return DayInfo(day, False, self.holidays[day])
        if day in self.workdays:
            return DayInfo(day, True, self.workdays[day])
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:  # a year the package does not cover yet
            return DayInfo(day, day.weekday() < 5, known=False)
        workday = not on_holiday
        label = _HOLIDAY_NAMES.get(name or "", name or "")
        if workday and day.weekday() >= 5:
            return DayInfo(day, True, f"{label}调休上班" if label else "调休上班")
        return DayInfo(day, workday, label if on_holiday else "")

    def is_workday(self, day: date) -> bool:
        return self.info(day).workday

    def add_workdays(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted)."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def next_workday(self, day: date) -> date:
        """`day` itself if it is a working day, else the next one."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
