"""A case backend that asks the source system's REST API, with a field mapping.

Each province's system names things differently (caseNo, sqrsj, slzt…), so where each of
our fields sits in the remote JSON is configuration (BANSHI_CASES_FIELD_MAP), as is the
status vocabulary. Each attempt has a timeout and failures are retried a bounded number
of times (5xx, 429, timeouts, connection errors; never 4xx), so a sick source system costs
the citizen seconds, not minutes. The remote record goes through the same checks and
sealing as a pushed one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from adapters.cases.records import RecordError, parse_case
from bot.cases import Case, CaseBackendError
from bot.proofs import Proofs

log = logging.getLogger("banshi.cases.http")

DEFAULT_MAP: dict[str, Any] = {
    "root": "",
    "number": "number",
    "item_code": "item_code",
    "applicant.name": "applicant.name",
    "applicant.phone": "applicant.phone",
    "applicant.id_number": "applicant.id_number",
    "query_code": "query_code",
    "hall_code": "hall_code",
    "promised_date": "promised_date",
    "events": "events",
    "event.status": "status",
    "event.at": "at",
    "event.note": "note",
    "status_map": {},
}


class _Retry(Exception):
    pass


def _pick(data: object, path: str) -> Any:
    for part in path.split(".") if path else ():
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def map_record(remote: object, field_map: Mapping[str, Any]) -> dict[str, Any] | None:
    """The remote JSON in the push API's shape; None when the root is absent (no such case)."""
    fm = {**DEFAULT_MAP, **field_map}
    root = _pick(remote, fm["root"])
    if root is None:
        return None
    statuses = fm["status_map"]
    events = _pick(root, fm["events"]) or []
    return {
        "number": _pick(root, fm["number"]),
        "item_code": _pick(root, fm["item_code"]),
        "applicant": {k: _pick(root, fm[f"applicant.{k}"]) for k in ("name", "phone", "id_number")},
        "query_code": _pick(root, fm["query_code"]),
        "hall_code": _pick(root, fm["hall_code"]),
        "promised_date": _pick(root, fm["promised_date"]),
        "events": [
            {
                "status": statuses.get(str(_pick(e, fm["event.status"])), _pick(e, fm["event.status"])),
                "at": _pick(e, fm["event.at"]),
                "note": _pick(e, fm["event.note"]),
            }
            for e in (events if isinstance(events, list) else [])
        ],
    }


class HttpCaseBackend:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        proofs: Proofs,
        *,
        auth_header: str = "",
        auth_value: str = "",
        field_map: Mapping[str, Any] | str = "",
        timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.session, self.url, self.proofs = session, url, proofs
        self.headers = {auth_header: auth_value} if auth_header and auth_value else {}
        self.field_map = json.loads(field_map) if isinstance(field_map, str) and field_map else field_map or {}
        self.timeout, self.retries, self.backoff, self.sleep = timeout, retries, backoff, sleep

    def _url(self, number: str) -> str:
        quoted = quote(number, safe="")
        return self.url.replace("{number}", quoted) if "{number}" in self.url else f"{self.url}/{quoted}"

    async def get(self, number: str) -> Case | None:
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                async with asyncio.timeout(self.timeout):
                    remote = await self._fetch(number)
            except _Retry as e:
                problem = str(e)
            except TimeoutError:
                problem = f"no answer within {self.timeout:g}s"
            except aiohttp.ClientError as e:
                problem = type(e).__name__
            else:
                return self._case(remote, number)
            log.warning("case source attempt failed", extra={"case": number, "attempt": attempt + 1,
                                                               "problem": problem})
        raise CaseBackendError(f"case source unavailable after {self.retries + 1} attempts: {problem}")

    async def _fetch(self, number: str) -> object:
        async with self.session.get(self._url(number), headers=self.headers) as response:
            if response.status == 404:
                return None
            if response.status >= 500 or response.status == 429:
                raise _Retry(f"HTTP {response.status}")
            if response.status >= 400:
                raise CaseBackendError(f"case source refused the query: HTTP {response.status}")
            try:
                return await response.json(content_type=None)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise _Retry("the answer was not JSON") from None

    def _case(self, remote: object, number: str) -> Case | None:
        record = map_record(remote, self.field_map) if remote is not None else None
        if record is None:
            return None
        try:
            case = parse_case(record, self.proofs)
        except RecordError as e:
            raise CaseBackendError(f"case source sent an unusable record: {e}") from None
        return case if case.number == number.upper() else None
