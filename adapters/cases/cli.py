"""`banshi cases import FILE` and `banshi reviews report --since …` (called from app.py)."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

from adapters.cases.files import CaseFileError, read_case_file
from adapters.cases.wiring import build, proofs_for
from adapters.db.catalog_store import load_catalog
from adapters.db.engine import make_engine
from adapters.settings import Settings


async def cases_import(settings: Settings, path: Path) -> int:
    try:
        cases = read_case_file(path, proofs_for(settings))
    except (CaseFileError, OSError) as e:
        errors = e.errors if isinstance(e, CaseFileError) else [str(e)]
        for error in errors[:200]:
            print(f"error: {error}", file=sys.stderr)
        print(f"{len(errors)} problem(s); nothing was imported", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        catalog = await load_catalog(engine)
        parts = build(engine, settings, lambda: catalog)
        results = await parts.store.upsert(cases, time.time())
        changed = 0
        for before, after in results:
            if before is None or before.events != after.events:
                changed += 1
                await parts.updates.changed(before, after)
    finally:
        await engine.dispose()
    print(f"imported {len(cases)} case(s), {changed} changed")
    return 0


async def reviews_report(settings: Settings, since: date, until: date | None, as_json: bool) -> int:
    engine = make_engine(settings.database_url)
    try:
        catalog = await load_catalog(engine)
        figures = await build(engine, settings, lambda: catalog).reviews.report(since, until)
    finally:
        await engine.dispose()
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0

    def pct(value: object) -> str:
        return f"{value:.1%}" if isinstance(value, float) else "—"

    def line(name: str, f: dict) -> str:  # type: ignore[type-arg]
        return (f"{name:<20} 办结 {f['completed']:>5}  已评 {f['rated']:>5}  主动评价率 {pct(f['active_rate']):>6}  "
                f"评价 {f['reviews']:>5}  好评率 {pct(f['good_rate']):>6}  差评 {f['bad']:>4}  "
                f"按期整改 {f['rectified_on_time']:>4}/{f['rectifications']:<4} 超期 {f['overdue']}")

    print(f"好差评 since {since}" + (f" until {until}" if until else ""))
    print(line("合计", figures))
    for dimension, title in (("department", "按部门"), ("hall", "按大厅"), ("item", "按事项")):
        print(title)
        for key, f in figures[f"by_{dimension}"].items():  # type: ignore[attr-defined]
            print("  " + line(key or "（未知）", f))
    return 0
