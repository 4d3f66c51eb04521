from datetime import date

from knowledge.workdays import WorkCalendar


def test_official_holidays_and_make_up_days() -> None:
    cal = WorkCalendar()
    national_day = cal.info(date(2026, 10, 1))
    assert not national_day.workday and national_day.name == "国庆节"
    assert cal.info(date(2026, 1, 4)).workday  # a Sunday worked for New Year (调休)
    assert "调休" in cal.info(date(2026, 1, 4)).name
    assert cal.is_workday(date(2026, 11, 25))  # an ordinary Wednesday
    assert not cal.is_workday(date(2026, 11, 28))  # an ordinary Saturday


def test_counting_working_days_across_a_holiday() -> None:
    cal = WorkCalendar()
    # From Mon 28 Sep 2026: 29, 30 Sep are working days, 1-7 Oct are off, 8 Oct onward work.
    assert cal.add_workdays(date(2026, 9, 28), 3) == date(2026, 10, 8)
    assert cal.add_workdays(date(2026, 9, 28), 5) == date(2026, 10, 10)  # a Saturday worked
    assert cal.next_workday(date(2026, 10, 3)) == date(2026, 10, 8)


def test_a_data_file_covers_years_the_package_does_not(tmp_path) -> None:
    path = tmp_path / "holidays.json"
    path.write_text('{"holidays": {"2027-01-01": "元旦"}, "workdays": {"2027-01-09": "元旦调休"}}', encoding="utf-8")
    cal = WorkCalendar.load(path)
    assert cal.info(date(2027, 1, 1)).name == "元旦" and not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 9))  # a Saturday, worked
    unknown = cal.info(date(2027, 3, 3))
    assert unknown.workday and not unknown.known
    assert WorkCalendar.load(tmp_path / "missing.json") == WorkCalendar()
