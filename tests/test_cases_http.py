"""The HTTP case backend against a fake of a province's case system: mapping, retries, timeouts."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.cases.http_backend import HttpCaseBackend
from bot.cases import CaseBackendError
from bot.proofs import Proofs
from tests.fake_case_service import FIELD_MAP, ID_NUMBER, PHONE, FakeCaseService, no_sleep

REMOTE = {
    "caseNo": "GA2025112003", "itemCode": "GA-0009", "dt": "H1", "cxm": "ZX81",
    "sqr": {"xm": "赵六", "sj": PHONE, "zjhm": ID_NUMBER},
    "steps": [{"state": "SL", "time": "2025-11-20 10:00:00", "remark": ""},
              {"state": "SJ", "time": "2025-11-20 09:00:00", "remark": ""}],
}


@pytest.fixture
async def remote(aiohttp_server):  # type: ignore[no-untyped-def]
    fake = FakeCaseService()
    fake.cases["GA2025112003"] = REMOTE
    server = await aiohttp_server(fake.app())
    async with aiohttp.ClientSession() as session:
        def backend(key: str = "remote-key", timeout: float = 1.0, retries: int = 2) -> HttpCaseBackend:
            return HttpCaseBackend(session, str(server.make_url("/api/case/")) + "{number}", Proofs("k"),
                                   auth_header="X-Api-Key", auth_value=key, field_map=FIELD_MAP,
                                   timeout=timeout, retries=retries, sleep=no_sleep)
        yield fake, backend


async def test_remote_fields_and_statuses_are_mapped_and_sealed(remote) -> None:  # type: ignore[no-untyped-def]
    fake, backend = remote
    case = await backend().get("GA2025112003")
    assert case is not None and case.item_code == "GA-0009" and case.applicant_name == "赵六"
    assert [e.status for e in case.events] == ["收件", "受理"]  # mapped, and put in time order
    assert Proofs("k").matches(case, "5678") and Proofs("k").matches(case, "zx81")
    assert PHONE not in repr(case)
    assert await backend().get("GA0000000000") is None


async def test_server_errors_are_retried_a_bounded_number_of_times(remote) -> None:  # type: ignore[no-untyped-def]
    fake, backend = remote
    fake.errors = [502, 503]
    assert (await backend(retries=2).get("GA2025112003")) is not None and fake.requests == 3
    fake.errors, fake.requests = [500, 500, 500, 500], 0
    with pytest.raises(CaseBackendError, match="after 3 attempts: HTTP 500"):
        await backend(retries=2).get("GA2025112003")
    assert fake.requests == 3


async def test_timeouts_are_retried_then_reported(remote) -> None:  # type: ignore[no-untyped-def]
    fake, backend = remote
    fake.delay = 0.3
    with pytest.raises(CaseBackendError, match="no answer within 0.05s"):
        await backend(timeout=0.05, retries=1).get("GA2025112003")
    assert fake.requests == 2


async def test_a_refused_key_is_not_retried(remote) -> None:  # type: ignore[no-untyped-def]
    fake, backend = remote
    with pytest.raises(CaseBackendError, match="HTTP 401"):
        await backend(key="wrong").get("GA2025112003")
    assert fake.requests == 1
