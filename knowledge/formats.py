"""Read and write catalog files: the JSON of ../shared/kb, and CSV/Excel sheets for staff.

Reading never stops at the first problem: every bad row is reported (file, row, field,
reason) so staff fix a file in one pass, and the caller writes nothing unless the whole
set of files is clean.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from knowledge.catalog import Catalog
from knowledge.records import (
    Problems,
    RowError,
    bundle_from_dict,
    bundle_to_dict,
    hall_from_dict,
    hall_to_dict,
    item_from_dict,
    item_to_dict,
    synonym_from_dict,
    synonym_to_dict,
)

LIST_SEP = "|"
WHEN_SEP = ";"

# One layout for CSV files and Excel sheets; a CSV file is recognised by its header.
SHEETS: dict[str, tuple[str, ...]] = {
    "items": (
        "code", "name", "aliases", "department", "category", "level", "summary",
        "conditions", "steps", "legal_days", "promised_days", "fee", "online",
        "max_visits", "where", "phone", "legal_basis", "name_bo", "group", "area_code",
    ),
    "situations": ("item_code", "key", "ask", "option_key", "option_label"),
    "materials": ("item_code", "name", "form", "copies", "required", "note", "when"),
    "faq": ("item_code", "q", "a"),
    "bundles": ("code", "name", "aliases", "summary", "items", "name_bo"),
    "halls": (
        "code", "name", "county", "level", "address", "lat", "lon", "phone", "hours",
        "bilingual",
    ),
    "synonyms": ("term", "variants"),
}
LIST_COLUMNS = {
    "items": {"aliases", "level", "steps", "legal_basis"},
    "bundles": {"aliases", "items"},
    "synonyms": {"variants"},
}
BOOL_COLUMNS = {"online", "required", "bilingual"}
TRUE_WORDS = {"true", "1", "yes", "y", "是", "√", "有"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "×", "无"}

Progress = Callable[[int, int], None]


class CatalogFileError(Exception):
    """The files hold rows that cannot be imported; nothing should be written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in catalog files")
        self.errors = errors


def read_catalog_files(paths: Iterable[str | Path], known_items: Iterable[str] = ()) -> Catalog:
    """All records of the given files as one Catalog, or CatalogFileError listing every problem.

    `known_items` are codes already stored, so a bundle may name items imported earlier.
    CSV files and Excel sheets given together are read as one workbook: materials.csv
    joins the items of items.csv.
    """
    errors: list[RowError] = []
    records: dict[str, list[tuple[str, int, Any]]] = {k: [] for k in ("items", "bundles", "halls", "synonyms")}
    tables: list[tuple[str, str, list[list[Any]]]] = []
    for path in map(Path, paths):
        try:
            suffix = path.suffix.lower()
            if suffix == ".json":
                for kind, row, raw in _json_records(path):
                    records[kind].append((str(path), row, raw))
            elif suffix == ".csv":
                tables.append(_csv_table(path))
            elif suffix in (".xlsx", ".xlsm"):
                tables.extend(_xlsx_tables(path))
            else:
                raise ValueError(f"unknown file type {suffix!r} (use .json, .csv or .xlsx)")
        except (OSError, ValueError, KeyError) as e:
            errors.append(RowError(str(path), 0, "*", f"cannot read file: {e}"))
    for kind, row, raw in _tabular_records(tables, errors):
        records[kind].append((raw.where, row, raw))
    catalog = _build(records, set(known_items), errors)
    if errors:
        raise CatalogFileError(errors)
    return catalog


def _build(records: dict[str, list[tuple[str, int, Any]]], known: set[str], errors: list[RowError]) -> Catalog:
    seen: dict[tuple[str, str], tuple[str, int]] = {}

    def unique(kind: str, code: str, p: Problems) -> bool:
        first = seen.setdefault((kind, code), (p.file, p.row))
        if first != (p.file, p.row):
            p.add("code", f"duplicate code {code!r} (first at {first[0]} row {first[1]})")
            return False
        return True

    items = []
    for file, row, raw in records["items"]:
        p = Problems(records_where(file, raw), row, errors)
        item = item_from_dict(raw, p)
        if item and unique("item", item.code, p):
            items.append(item)
    item_codes = known | {i.code for i in items}
    # Codes of rejected item rows are not "unknown": do not report their bundles twice.
    item_codes |= {str(raw.get("code")) for _, _, raw in records["items"] if isinstance(raw, dict)}
    bundles = []
    for file, row, raw in records["bundles"]:
        p = Problems(records_where(file, raw), row, errors)
        bundle = bundle_from_dict(raw, p)
        if bundle and unique("bundle", bundle.code, p):
            missing = [c for c in bundle.items if c not in item_codes]
            if missing:
                p.add("items", f"unknown bundle member(s): {', '.join(missing)}")
            else:
                bundles.append(bundle)
    halls = []
    for file, row, raw in records["halls"]:
        p = Problems(records_where(file, raw), row, errors)
        hall = hall_from_dict(raw, p)
        if hall and unique("hall", hall.code, p):
            halls.append(hall)
    synonyms = []
    for file, row, raw in records["synonyms"]:
        p = Problems(records_where(file, raw), row, errors)
        synonym = synonym_from_dict(raw, p)
        if synonym and unique("synonym", synonym.term, p):
            synonyms.append(synonym)
    return Catalog.of(items, bundles, halls, synonyms)


def _csv_table(path: Path) -> tuple[str, str, list[list[Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows: list[list[Any]] = list(csv.reader(f))
    sheet = _sheet_of_header(rows[0] if rows else [])
    if sheet is None:
        raise ValueError(f"header matches none of the sheets {', '.join(SHEETS)}")
    return str(path), sheet, rows


def _json_records(path: Path) -> Iterator[tuple[str, int, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
    if isinstance(data, dict):  # our own export: {"items": [...], "bundles": [...], ...}
        for kind in ("items", "bundles", "halls", "synonyms"):
            for row, raw in enumerate(data.get(kind) or [], start=1):
                yield kind, row, raw
        return
    if not isinstance(data, list):
        raise ValueError("expected a list of records or an object of lists")
    kind = _json_kind(data)
    for row, raw in enumerate(data, start=1):
        yield kind, row, raw


def _json_kind(records: list[Any]) -> str:
    """Which kind of record a list holds, from the keys its records have in common use."""
    keys: set[str] = set()
    for raw in records[:20]:
        if isinstance(raw, dict):
            keys.update(raw)
    if {"term", "variants"} <= keys:
        return "synonyms"
    if "lat" in keys or "hours" in keys or "bilingual" in keys:
        return "halls"
    if "items" in keys and "materials" not in keys:
        return "bundles"
    return "items"


def _sheet_of_header(header: list[Any]) -> str | None:
    names = {str(h).strip() for h in header if h is not None and str(h).strip()}
    for sheet, columns in SHEETS.items():
        required = {columns[0], columns[1]}
        if required <= names and names <= set(columns):
            return sheet
    return None


def _xlsx_tables(path: Path) -> list[tuple[str, str, list[list[Any]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged or foreign file
        raise ValueError(f"not a readable .xlsx workbook ({type(e).__name__}: {e})") from e
    try:
        tables = []
        for ws in workbook.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            name = ws.title.strip().lower()
            sheet = name if name in SHEETS else _sheet_of_header(rows[0] if rows else [])
            if sheet:
                tables.append((f"{path}[{ws.title}]", sheet, rows))
        return tables
    finally:
        workbook.close()


def _cell(value: Any, sheet: str, column: str, p: Problems) -> Any:
    """A sheet cell in the JSON shape: lists split, yes/no read, blanks as None."""
    is_list = column in LIST_COLUMNS.get(sheet, ())
    if value is None or (isinstance(value, str) and not value.strip()):
        return [] if is_list else None
    if is_list:
        return [v.strip() for v in str(value).split(LIST_SEP) if v.strip()]
    if column in BOOL_COLUMNS:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        p.add(column, f"expected 是/否 (yes/no), got {value!r}")
        return None
    if isinstance(value, float) and value.is_integer() and column not in ("lat", "lon"):
        return int(value)
    return value.strip() if isinstance(value, str) else value


def _parse_when(text: Any, p: Problems) -> dict[str, str] | str:
    if text is None:
        return {}
    when: dict[str, str] = {}
    for part in str(text).replace("；", WHEN_SEP).split(WHEN_SEP):
        if not part.strip():
            continue
        key, eq, option = part.partition("=")
        if not eq or not key.strip() or not option.strip():
            p.add("when", f"malformed: expected situation=option, got {part.strip()!r}")
            return "invalid"
        when[key.strip()] = option.strip()
    return when


def _tabular_records(
    sheets: list[tuple[str, str, list[list[Any]]]], errors: list[RowError]
) -> Iterator[tuple[str, int, _Located]]:
    """Records from sheets; item details (situations, materials, faq) join their item by code."""
    tables: dict[str, list[tuple[Problems, dict[str, Any]]]] = {}
    for where, sheet, rows in sheets:
        if not rows:
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        unknown = [h for h in header if h and h not in SHEETS[sheet]]
        if unknown:
            errors.append(RowError(where, 1, ",".join(unknown), "unknown column"))
            continue
        table: list[tuple[Problems, dict[str, Any]]] = []
        for number, row in enumerate(rows[1:], start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            p = Problems(where, number, errors)
            values = {c: _cell(v, sheet, c, p) for c, v in zip(header, row, strict=False) if c}
            table.append((p, values))
        tables.setdefault(sheet, []).extend(table)

    items: dict[str, dict[str, Any]] = {}
    for p, values in tables.get("items", []):
        raw = dict(values, situations=[], materials=[], faq=[])
        items.setdefault(str(values.get("code") or ""), raw)
        yield "items", p.row, _Located(raw, p)

    def owner(p: Problems, values: dict[str, Any]) -> dict[str, Any] | None:
        code = str(values.get("item_code") or "")
        if code not in items:
            p.add("item_code", f"unknown item {code!r} (not in this file's items)")
            return None
        return items[code]

    for p, v in tables.get("situations", []):
        item = owner(p, v)
        if item is None:
            continue
        situation = next((s for s in item["situations"] if s["key"] == v.get("key")), None)
        if situation is None:
            situation = {"key": v.get("key"), "ask": v.get("ask"), "options": {}}
            item["situations"].append(situation)
        if not v.get("option_key"):
            p.add("option_key", "missing")
            continue
        situation["options"][str(v["option_key"])] = str(v.get("option_label") or v["option_key"])
    for p, v in tables.get("materials", []):
        item = owner(p, v)
        when = _parse_when(v.get("when"), p)
        if item is not None and isinstance(when, dict):
            item["materials"].append(dict(v, when=when))
    for p, v in tables.get("faq", []):
        item = owner(p, v)
        if item is not None:
            item["faq"].append({"q": v.get("q"), "a": v.get("a")})
    for kind in ("bundles", "halls", "synonyms"):
        for p, values in tables.get(kind, []):
            yield kind, p.row, _Located(values, p)


class _Located(dict[str, Any]):
    """A sheet record that remembers its sheet, so errors name `file[sheet]` not `file`."""

    def __init__(self, values: dict[str, Any], p: Problems) -> None:
        super().__init__(values)
        self.where = p.file


def records_where(file: str, raw: Any) -> str:
    return getattr(raw, "where", file)


# -- writing ---------------------------------------------------------------------------


def catalog_to_json(catalog: Catalog) -> dict[str, Any]:
    return {
        "items": [item_to_dict(i) for i in catalog.items.values()],
        "bundles": [bundle_to_dict(b) for b in catalog.bundles.values()],
        "halls": [hall_to_dict(h) for h in catalog.halls.values()],
        "synonyms": [synonym_to_dict(s) for s in catalog.synonyms],
    }


def write_json(catalog: Catalog, path: str | Path) -> None:
    Path(path).write_text(
        json.dumps(catalog_to_json(catalog), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def _sheet_value(value: Any, column: str) -> Any:
    if isinstance(value, list):
        return LIST_SEP.join(value)
    if column in BOOL_COLUMNS and isinstance(value, bool):
        return "是" if value else "否"
    return value


def catalog_rows(catalog: Catalog) -> dict[str, list[list[Any]]]:
    """The catalog as sheets (header row first), the same layout CSV and Excel use."""
    data = catalog_to_json(catalog)
    sheets: dict[str, list[list[Any]]] = {name: [list(cols)] for name, cols in SHEETS.items()}
    for item in data["items"]:
        sheets["items"].append([_sheet_value(item.get(c), c) for c in SHEETS["items"]])
        for s in item["situations"]:
            for key, label in s["options"].items():
                sheets["situations"].append([item["code"], s["key"], s["ask"], key, label])
        for m in item["materials"]:
            when = WHEN_SEP.join(f"{k}={v}" for k, v in m["when"].items())
            sheets["materials"].append(
                [item["code"], m["name"], m["form"], m["copies"], _sheet_value(m["required"], "required"), m["note"], when]
            )
        for f in item["faq"]:
            sheets["faq"].append([item["code"], f["q"], f["a"]])
    for kind in ("bundles", "halls", "synonyms"):
        for record in data[kind]:
            sheets[kind].append([_sheet_value(record.get(c), c) for c in SHEETS[kind]])
    return sheets


def write_xlsx(catalog: Catalog, path: str | Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, rows in catalog_rows(catalog).items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    workbook.save(path)


def write_csv_dir(catalog: Catalog, directory: str | Path) -> list[Path]:
    """One CSV per sheet (items.csv, materials.csv, …), UTF-8 with BOM so Excel opens it."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in catalog_rows(catalog).items():
        path = out / f"{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(rows)
        written.append(path)
    return written
