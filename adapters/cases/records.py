"""Case records as the source system sends them (JSON, CSV row, remote API): checked, sealed.

Every entry point turns the wire shape into `bot.cases.Case` here, so the rules are the
same whichever way a case arrives, and phone, ID and query code are replaced by digests
before anything else sees them. Errors name the field (``events[2].at``) but never echo a
value that could be personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bot.cases import CST, STATUSES, Case, CaseEvent, sort_events
from bot.proofs import Proofs


class RecordError(ValueError):
    """A record the source sent that Banshi cannot use; `errors` lists field: problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def parse_time(value: object) -> datetime:
    """ISO 8601; a time without offset is China time (spreadsheets rarely carry one)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO 8601 time such as 2026-11-20T10:00:00+08:00")
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 time such as 2026-11-20T10:00:00+08:00") from None
    return at if at.tzinfo else at.replace(tzinfo=CST)


def _text(data: Mapping[str, Any], key: str, errors: list[str], path: str, limit: int = 200) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # phone numbers and codes often arrive as numbers from spreadsheets
    if not isinstance(value, str):
        errors.append(f"{path}{key}: must be a string")
        return ""
    if len(value) > limit:
        errors.append(f"{path}{key}: longer than {limit} characters")
        return ""
    return value.strip()


def parse_case(data: object, proofs: Proofs) -> Case:
    """One case from the push API's JSON shape; raises RecordError listing every problem."""
    if not isinstance(data, Mapping):
        raise RecordError(["body: must be a JSON object"])
    errors: list[str] = []
    number = _text(data, "number", errors, "", 100).upper()
    if not number and not any(e.startswith("number") for e in errors):
        errors.append("number: required")
    applicant = data.get("applicant") or {}
    if not isinstance(applicant, Mapping):
        errors.append("applicant: must be an object")
        applicant = {}
    promised: date | None = None
    if data.get("promised_date"):
        try:
            promised = date.fromisoformat(str(data["promised_date"]).strip()[:10])
        except ValueError:
            errors.append("promised_date: must be a date such as 2026-12-01")
    raw_events = data.get("events", [])
    if not isinstance(raw_events, list):
        errors.append("events: must be a list")
        raw_events = []
    events = []
    for i, raw in enumerate(raw_events):
        path = f"events[{i}]"
        if not isinstance(raw, Mapping):
            errors.append(f"{path}: must be an object")
            continue
        status = raw.get("status")
        if status not in STATUSES:
            errors.append(f"{path}.status: unknown status {str(status)[:20]!r}; one of {', '.join(STATUSES)}")
        try:
            at = parse_time(raw.get("at"))
        except ValueError as e:
            errors.append(f"{path}.at: {e}")
            continue
        note = _text(raw, "note", errors, f"{path}.", 1000)
        if status in STATUSES:
            events.append(CaseEvent(str(status), at, note))
    case = Case(
        number=number,
        item_code=_text(data, "item_code", errors, ""),
        applicant_name=_text(applicant, "name", errors, "applicant.", 100),
        hall_code=_text(data, "hall_code", errors, ""),
        events=sort_events(events),
        promised_date=promised,
    )
    phone = _text(applicant, "phone", errors, "applicant.", 40)
    id_number = _text(applicant, "id_number", errors, "applicant.", 40)
    query_code = _text(data, "query_code", errors, "", 100)
    if errors:
        raise RecordError(errors)
    return proofs.seal(case, phone=phone, id_number=id_number, query_code=query_code)
