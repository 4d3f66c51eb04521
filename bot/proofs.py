"""Proof of ownership for a case (办件): keyed digests of phone tail, ID tail and 查询码.

Why digests: the core never holds those numbers in clear. Adapters seal a record the moment
it arrives, and a citizen's answer is checked against the digests, so a leaked table or
log line reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace

from bot.cases import Case


class Proofs:
    """Keyed digests of what proves ownership: phone tail (4), ID tail (6) and query code.

    Bound to the case number, so equal tails on two cases give different digests, and keyed,
    so nobody can brute-force 10,000 phone tails without the key.
    """

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def _digest(self, kind: str, number: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}\n{number}\n{value}".encode(), hashlib.sha256).hexdigest()

    def seal(self, case: Case, *, phone: str = "", id_number: str = "", query_code: str = "") -> Case:
        digits = re.sub(r"\D", "", phone)
        ident = re.sub(r"\s", "", id_number).upper()
        code = re.sub(r"\s", "", query_code).upper()
        return replace(
            case,
            phone_digest=self._digest("phone", case.number, digits[-4:]) if len(digits) >= 4 else "",
            id_digest=self._digest("id", case.number, ident[-6:]) if len(ident) >= 6 else "",
            query_digest=self._digest("query", case.number, code) if code else "",
        )

    def matches(self, case: Case, proof: str) -> bool:
        value = re.sub(r"\s", "", proof).upper()
        if not value:
            return False
        checks = [
            (case.phone_digest, "phone", value[-4:] if len(value) == 4 and value.isdigit() else None),
            (case.id_digest, "id", value if len(value) == 6 else None),
            (case.query_digest, "query", value),
        ]
        ok = False
        for stored, kind, candidate in checks:  # no short-circuit: equal work whatever matches
            if stored and candidate is not None:
                ok |= hmac.compare_digest(stored, self._digest(kind, case.number, candidate))
        return ok
