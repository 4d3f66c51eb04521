"""CSV and Excel case imports: one row per timeline event, rows of a case merged.

For halls whose source system can only export a spreadsheet. Headers may be English or
the Chinese a clerk would type. Every problem is reported by row and field and nothing is
stored unless the whole file is good: a half-imported file is worse than none.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from adapters.cases.records import RecordError, parse_case
from bot.cases import Case
from bot.proofs import Proofs

HEADERS = {
    "number": ("number", "办件编号", "办件号", "受理编号"),
    "item_code": ("item_code", "事项编码"),
    "applicant_name": ("applicant_name", "申请人", "申请人姓名"),
    "phone": ("phone", "手机号", "联系电话"),
    "id_number": ("id_number", "身份证号", "证件号码"),
    "query_code": ("query_code", "查询码", "查询密码"),
    "hall_code": ("hall_code", "大厅编码"),
    "promised_date": ("promised_date", "承诺办结日期"),
    "status": ("status", "状态", "环节"),
    "at": ("at", "时间", "办理时间"),
    "note": ("note", "备注", "说明"),
}
ALIASES = {alias: key for key, names in HEADERS.items() for alias in names}


class CaseFileError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel turns 13800001234 into 13800001234.0
    return str(value).strip()


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            header = [_cell(v) for v in next(rows, ())]
            for n, row in enumerate(rows, start=2):
                yield n, {h: _cell(v) for h, v in zip(header, row, strict=False)}
        finally:
            book.close()
        return
    with path.open(encoding="utf-8-sig", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            yield n, {k or "": (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}


def read_case_file(path: Path, proofs: Proofs) -> list[Case]:
    """All cases in the file, or CaseFileError listing every bad row and field."""
    errors: list[str] = []
    by_number: dict[str, Case] = {}
    for n, raw in _rows(path):
        row = {ALIASES[k.strip()]: v for k, v in raw.items() if k and k.strip() in ALIASES}
        if not any(row.values()):
            continue  # blank line
        if n == 2 and "number" not in row:
            raise CaseFileError([f"{path.name}: no number/办件编号 column; known columns: "
                                 f"{', '.join(HEADERS)}"])
        record = {
            "number": row.get("number", ""),
            "item_code": row.get("item_code", ""),
            "applicant": {"name": row.get("applicant_name", ""), "phone": row.get("phone", ""),
                          "id_number": row.get("id_number", "")},
            "query_code": row.get("query_code", ""),
            "hall_code": row.get("hall_code", ""),
            "promised_date": row.get("promised_date", ""),
            "events": [{"status": row.get("status"), "at": row.get("at"), "note": row.get("note", "")}]
            if row.get("status") or row.get("at") else [],
        }
        try:
            case = parse_case(record, proofs)
        except RecordError as e:
            errors += [f"{path.name} row {n}: {m.replace('events[0].', '')}" for m in e.errors]
            continue
        by_number[case.number] = by_number[case.number].merged(case) if case.number in by_number else case
    if errors:
        raise CaseFileError(errors)
    return list(by_number.values())
