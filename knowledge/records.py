"""Catalog records as plain dicts (the JSON shape of ../shared/kb) and back, with checks.

Every importer (JSON, CSV, Excel) funnels through these functions, so one set of rules
decides what a valid item, bundle or hall is, and every problem is reported with the
file, row and field a member of staff has to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.catalog import FORMS, Bundle, Faq, Hall, Item, Material, Situation, Synonym


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}: {self.field}: {self.reason}"


class Problems:
    """Collects row errors for one record so a file is checked whole, not to the first error."""

    def __init__(self, file: str, row: int, sink: list[RowError]) -> None:
        self.file, self.row, self.sink = file, row, sink

    def add(self, field: str, reason: str) -> None:
        self.sink.append(RowError(self.file, self.row, field, reason))


def _text(d: dict[str, Any], key: str, p: Problems, required: bool = False) -> str:
    value = d.get(key)
    if value is None:
        if required:
            p.add(key, "missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        p.add(key, f"expected text, got {type(value).__name__}")
        return ""
    text = str(value).strip()
    if required and not text:
        p.add(key, "empty")
    return text


def _optional_text(d: dict[str, Any], key: str, p: Problems) -> str | None:
    return _text(d, key, p) or None if d.get(key) is not None else None


def _texts(d: dict[str, Any], key: str, p: Problems) -> tuple[str, ...]:
    value = d.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        p.add(key, "expected a list of text")
        return ()
    return tuple(v.strip() for v in value if v.strip())


def _int(d: dict[str, Any], key: str, p: Problems, minimum: int = 0) -> int | None:
    value = d.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        p.add(key, "expected a whole number, got true/false")
        return None
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        p.add(key, f"expected a whole number, got {value!r}")
        return None
    if number < minimum:
        p.add(key, f"must be at least {minimum}, got {number}")
        return None
    return number


def _float(d: dict[str, Any], key: str, p: Problems, low: float, high: float) -> float | None:
    value = d.get(key)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        p.add(key, f"expected a number, got {value!r}")
        return None
    if not low <= number <= high:
        p.add(key, f"must be between {low} and {high}, got {number}")
        return None
    return number


def _bool(d: dict[str, Any], key: str, p: Problems) -> bool | None:
    value = d.get(key)
    if value is None or isinstance(value, bool):
        return value
    p.add(key, f"expected true or false, got {value!r}")
    return None


def _situation(raw: Any, index: int, p: Problems) -> Situation | None:
    where = f"situations[{index}]"
    if not isinstance(raw, dict):
        p.add(where, "expected an object with key, ask and options")
        return None
    key = _text(raw, "key", Problems(p.file, p.row, []))
    ask = raw.get("ask")
    options = raw.get("options")
    if not key:
        p.add(f"{where}.key", "missing")
    if not isinstance(ask, str) or not ask.strip():
        p.add(f"{where}.ask", "missing")
    if (
        not isinstance(options, dict)
        or not options
        or not all(isinstance(k, str) and isinstance(v, str) and k for k, v in options.items())
    ):
        p.add(f"{where}.options", "expected a non-empty object of option key to label")
        return None
    if not key or not isinstance(ask, str):
        return None
    return Situation(key, ask.strip(), tuple((k.strip(), v.strip()) for k, v in options.items()))


def _material(raw: Any, index: int, situations: dict[str, Situation], p: Problems) -> Material | None:
    where = f"materials[{index}]"
    if not isinstance(raw, dict):
        p.add(where, "expected an object")
        return None
    sub = Problems(p.file, p.row, [])
    name = _text(raw, "name", sub, required=True)
    form = _text(raw, "form", sub) or "原件"
    if form not in FORMS:
        sub.add("form", f"must be one of {'/'.join(FORMS)}, got {form!r}")
    copies = _int(raw, "copies", sub)
    required = _bool(raw, "required", sub)
    note = _text(raw, "note", sub)
    when_raw = raw.get("when") or {}
    when: list[tuple[str, str]] = []
    if not isinstance(when_raw, dict):
        sub.add("when", f"malformed: expected an object of situation to option, got {when_raw!r}")
    else:
        for key, option in when_raw.items():
            situation = situations.get(key)
            if situation is None:
                sub.add("when", f"malformed: no situation {key!r} in this item")
            elif not isinstance(option, str) or option not in dict(situation.options):
                sub.add("when", f"malformed: situation {key!r} has no option {option!r}")
            else:
                when.append((key, option))
    for e in sub.sink:
        p.add(f"{where}.{e.field}", e.reason)
    if sub.sink:
        return None
    return Material(
        name=name,
        form=form,
        copies=1 if copies is None else copies,
        required=True if required is None else required,
        note=note,
        when=tuple(when),
    )


def item_from_dict(d: Any, p: Problems) -> Item | None:
    """An Item from the items.json shape (the real catalog's shorter shape included)."""
    if not isinstance(d, dict):
        p.add("*", "expected an object")
        return None
    before = len(p.sink)
    code = _text(d, "code", p, required=True)
    name = _text(d, "name", p, required=True)
    situations: list[Situation] = []
    raw_situations = d.get("situations") or []
    if not isinstance(raw_situations, list):
        p.add("situations", "expected a list")
        raw_situations = []
    for i, raw in enumerate(raw_situations):
        s = _situation(raw, i, p)
        if s is not None:
            if any(s.key == o.key for o in situations):
                p.add(f"situations[{i}].key", f"duplicate situation {s.key!r}")
            situations.append(s)
    by_key = {s.key: s for s in situations}
    materials: list[Material] = []
    raw_materials = d.get("materials") or []
    if not isinstance(raw_materials, list):
        p.add("materials", "expected a list")
        raw_materials = []
    for i, raw in enumerate(raw_materials):
        m = _material(raw, i, by_key, p)
        if m is not None:
            materials.append(m)
    faq: list[Faq] = []
    raw_faq = d.get("faq") or []
    if not isinstance(raw_faq, list):
        p.add("faq", "expected a list")
        raw_faq = []
    for i, raw in enumerate(raw_faq):
        if not isinstance(raw, dict) or not str(raw.get("q") or "").strip():
            p.add(f"faq[{i}].q", "missing")
            continue
        faq.append(Faq(str(raw["q"]).strip(), str(raw.get("a") or "").strip()))
    item = Item(
        code=code,
        name=name,
        department=_text(d, "department", p),
        category=_text(d, "category", p),
        aliases=_texts(d, "aliases", p),
        level=_texts(d, "level", p),
        summary=_text(d, "summary", p),
        conditions=_text(d, "conditions", p),
        situations=tuple(situations),
        materials=tuple(materials),
        steps=_texts(d, "steps", p),
        legal_days=_int(d, "legal_days", p),
        promised_days=_int(d, "promised_days", p),
        fee=_text(d, "fee", p),
        online=_bool(d, "online", p),
        max_visits=_int(d, "max_visits", p),
        where=_text(d, "where", p),
        phone=_text(d, "phone", p),
        legal_basis=_texts(d, "legal_basis", p),
        faq=tuple(faq),
        name_bo=_optional_text(d, "name_bo", p),
        group=_optional_text(d, "group", p),
        area_code=_optional_text(d, "area_code", p),
    )
    return item if len(p.sink) == before else None


def item_to_dict(item: Item) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "aliases": list(item.aliases),
        "department": item.department,
        "category": item.category,
        "level": list(item.level),
        "summary": item.summary,
        "conditions": item.conditions,
        "situations": [
            {"key": s.key, "ask": s.ask, "options": dict(s.options)} for s in item.situations
        ],
        "materials": [
            {
                "name": m.name,
                "form": m.form,
                "copies": m.copies,
                "required": m.required,
                "note": m.note,
                "when": dict(m.when),
            }
            for m in item.materials
        ],
        "steps": list(item.steps),
        "legal_days": item.legal_days,
        "promised_days": item.promised_days,
        "fee": item.fee,
        "online": item.online,
        "max_visits": item.max_visits,
        "where": item.where,
        "phone": item.phone,
        "legal_basis": list(item.legal_basis),
        "faq": [{"q": f.q, "a": f.a} for f in item.faq],
        "name_bo": item.name_bo,
        "group": item.group,
        "area_code": item.area_code,
    }


def bundle_from_dict(d: Any, p: Problems) -> Bundle | None:
    if not isinstance(d, dict):
        p.add("*", "expected an object")
        return None
    before = len(p.sink)
    code = _text(d, "code", p, required=True)
    name = _text(d, "name", p, required=True)
    members = _texts(d, "items", p)
    if not members and "items" not in [e.field for e in p.sink[before:]]:
        p.add("items", "a bundle needs at least one item")
    bundle = Bundle(
        code=code,
        name=name,
        items=members,
        aliases=_texts(d, "aliases", p),
        summary=_text(d, "summary", p),
        name_bo=_optional_text(d, "name_bo", p),
    )
    return bundle if len(p.sink) == before else None


def bundle_to_dict(bundle: Bundle) -> dict[str, Any]:
    return {
        "code": bundle.code,
        "name": bundle.name,
        "aliases": list(bundle.aliases),
        "summary": bundle.summary,
        "items": list(bundle.items),
        "name_bo": bundle.name_bo,
    }


def hall_from_dict(d: Any, p: Problems) -> Hall | None:
    if not isinstance(d, dict):
        p.add("*", "expected an object")
        return None
    before = len(p.sink)
    hall = Hall(
        code=_text(d, "code", p, required=True),
        name=_text(d, "name", p, required=True),
        county=_text(d, "county", p),
        level=_text(d, "level", p),
        address=_text(d, "address", p),
        lat=_float(d, "lat", p, -90, 90),
        lon=_float(d, "lon", p, -180, 180),
        phone=_text(d, "phone", p),
        hours=_text(d, "hours", p),
        bilingual=bool(_bool(d, "bilingual", p)),
    )
    return hall if len(p.sink) == before else None


def hall_to_dict(hall: Hall) -> dict[str, Any]:
    return {
        "code": hall.code,
        "name": hall.name,
        "county": hall.county,
        "level": hall.level,
        "address": hall.address,
        "lat": hall.lat,
        "lon": hall.lon,
        "phone": hall.phone,
        "hours": hall.hours,
        "bilingual": hall.bilingual,
    }


def synonym_from_dict(d: Any, p: Problems) -> Synonym | None:
    if not isinstance(d, dict):
        p.add("*", "expected an object")
        return None
    before = len(p.sink)
    term = _text(d, "term", p, required=True)
    variants = _texts(d, "variants", p)
    if not variants and len(p.sink) == before:
        p.add("variants", "needs at least one variant")
    return Synonym(term, variants) if len(p.sink) == before else None


def synonym_to_dict(synonym: Synonym) -> dict[str, Any]:
    return {"term": synonym.term, "variants": list(synonym.variants)}
