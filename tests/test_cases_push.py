"""The push API (signature, idempotency, ordering, bad input), CSV import, push on change, PII in logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from aiohttp import web

from adapters.cases import push_api
from adapters.cases.files import CaseFileError, read_case_file
from adapters.cases.wiring import CASES
from adapters.web import staff_api
from bot.types import UserRef
from tests.fake_case_service import ID_NUMBER, PHONE, SECRET, FakeClock, FakeSender, parts

NOW = 1_764_000_000.0  # 2025-11-25
ALICE = UserRef("wechat", "o-alice")


def body(events: list[tuple[str, str]], number: str = "GA2025112001", **more: object) -> bytes:
    data = {"number": number, "item_code": "GA-0009", "hall_code": "H1", "query_code": "Q1",
            "applicant": {"name": "李四", "phone": PHONE, "id_number": ID_NUMBER},
            "events": [{"status": s, "at": at, "note": "缺照片" if s == "补正" else ""} for s, at in events], **more}
    return json.dumps(data, ensure_ascii=False).encode()


def headers(raw: bytes, ts: float = NOW, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(ts))
    return {"X-Banshi-Timestamp": stamp, "X-Banshi-Signature": push_api.sign(secret, stamp, raw),
            "Content-Type": "application/json"}


@pytest.fixture
async def env(database_url: str, aiohttp_client):  # type: ignore[no-untyped-def]
    clock, sender = FakeClock(NOW), FakeSender()
    async with parts(database_url, clock, sender) as (p, _):
        app = web.Application()
        app[CASES] = p
        push_api.setup(app)
        staff_api.setup(app)
        yield p, await aiohttp_client(app), clock, sender


async def test_signed_pushes_are_merged_in_time_order_and_idempotent(env) -> None:  # type: ignore[no-untyped-def]
    p, client, _, _ = env
    second = body([("受理", "2025-11-20T10:00:00+08:00")])
    first = body([("收件", "2025-11-20T09:00:00+08:00")])
    r = await client.post("/api/v1/cases", data=second, headers=headers(second))
    assert r.status == 200 and (await r.json())["changed"] is True
    r = await client.post("/api/v1/cases", data=first, headers=headers(first))  # arrives late
    assert (await r.json()) == {"number": "GA2025112001", "status": "受理", "events": 2, "changed": True}
    r = await client.post("/api/v1/cases", data=first, headers=headers(first))  # a retry
    assert (await r.json())["changed"] is False
    case = await p.store.get("GA2025112001")
    assert [e.status for e in case.events] == ["收件", "受理"]
    assert PHONE not in repr(case) and "5678" not in repr(case)


@pytest.mark.parametrize(
    ("mutate", "status", "error"),
    [
        (lambda h: {}, 401, "unsigned"),
        (lambda h: {**h, "X-Banshi-Signature": "0" * 64}, 401, "bad signature"),
        (lambda h: {**h, "X-Banshi-Timestamp": "yesterday"}, 400, "unix seconds"),
    ],
)
async def test_unsigned_forged_and_malformed_requests_are_refused(env, mutate, status, error) -> None:  # type: ignore[no-untyped-def]
    p, client, _, _ = env
    raw = body([("收件", "2025-11-20T09:00:00+08:00")])
    r = await client.post("/api/v1/cases", data=raw, headers=mutate(headers(raw)))
    assert r.status == status and error in (await r.json())["error"]
    assert await p.store.get("GA2025112001") is None


async def test_stale_requests_and_bad_records_store_nothing(env) -> None:  # type: ignore[no-untyped-def]
    p, client, _, _ = env
    raw = body([("收件", "2025-11-20T09:00:00+08:00")])
    r = await client.post("/api/v1/cases", data=raw, headers=headers(raw, ts=NOW - 3600))
    assert r.status == 401 and "stale" in (await r.json())["error"]
    broken = b'{"number": "GA1", '
    r = await client.post("/api/v1/cases", data=broken, headers=headers(broken))
    assert r.status == 400 and "malformed JSON" in (await r.json())["error"]
    batch = json.dumps([json.loads(raw), {"number": "GA2", "events": [{"status": "已完成", "at": "x"}]}]).encode()
    r = await client.post("/api/v1/cases", data=batch, headers=headers(batch))
    answer = await r.json()
    assert r.status == 422 and "nothing was stored" in answer["error"]
    assert any("[1] events[0].status: unknown status '已完成'" in d for d in answer["details"])
    assert any("[1] events[0].at" in d for d in answer["details"])
    assert await p.store.get("GA2025112001") is None  # the good record of the batch was not kept


async def test_a_bound_user_is_told_of_changes_inside_and_outside_the_window(env, caplog) -> None:  # type: ignore[no-untyped-def]
    p, client, clock, sender = env
    caplog.set_level(logging.DEBUG)
    raw = body([("受理", "2025-11-20T10:00:00+08:00")])
    await client.post("/api/v1/cases", data=raw, headers=headers(raw))
    assert (await p.cases.verify(ALICE, "GA2025112001", "5678")).kind == "shown"
    await p.store.record_user_activity(ALICE.key, clock.now())  # she just wrote to us

    raw = body([("补正", "2025-11-21T10:00:00+08:00")])
    await client.post("/api/v1/cases", data=raw, headers=headers(raw))
    assert sender.sent[-1][:2] == ("text", "o-alice") and "补正" in sender.sent[-1][2] and "缺照片" in sender.sent[-1][2]

    clock.advance(49 * 3600)  # the 48-hour window closed: template message
    raw = body([("审核", "2025-11-23T10:00:00+08:00")])
    await client.post("/api/v1/cases", data=raw, headers=headers(raw, ts=clock.now()))
    assert sender.sent[-1] == ("template", "o-alice", "TPL-CASE:GA2025112001:审核")

    await p.store.record_user_activity(ALICE.key, clock.now())
    sender.fail = [45015, 500]  # WeChat says out of window after all; then a transient template failure
    raw = body([("办结", "2025-11-24T10:00:00+08:00")])
    await client.post("/api/v1/cases", data=raw, headers=headers(raw, ts=clock.now()))
    assert sender.sent[-2] == ("template", "o-alice", "TPL-CASE:GA2025112001:办结")
    assert "请为本次服务评价" in sender.sent[-1][2]  # 办结 invites a rating (text: inside the window)
    log = await p.store.deliveries(ALICE.key)
    assert [(d.channel, d.ok, d.attempts) for d in log] == [
        ("text", True, 1), ("template", True, 1), ("template", True, 3), ("text", True, 1)]

    sender.fail = [43004]  # unsubscribed: permanent, recorded, not retried
    raw = body([("退件", "2025-11-25T10:00:00+08:00")])
    await client.post("/api/v1/cases", data=raw, headers=headers(raw, ts=clock.now()))
    last = (await p.store.deliveries(ALICE.key))[-1]
    assert (last.ok, last.attempts, last.error) == (False, 1, 43004)

    logged = caplog.text + "".join(str(vars(r)) for r in caplog.records)
    assert PHONE not in logged and ID_NUMBER not in logged and ID_NUMBER[-6:] not in logged


async def test_staff_api_needs_the_token(env) -> None:  # type: ignore[no-untyped-def]
    _, client, _, _ = env
    r = await client.get("/api/v1/staff/reviews/report?since=2025-11-01")
    assert r.status == 401
    auth = {"Authorization": "Bearer staff-token"}
    r = await client.get("/api/v1/staff/reviews/report?since=2025-11-01", headers=auth)
    assert r.status == 200 and {"completed", "rated", "active_rate", "good_rate", "by_department"} <= set(await r.json())
    r = await client.get("/api/v1/staff/reviews/report?since=soon", headers=auth)
    assert r.status == 400 and "since" in (await r.json())["error"]
    r = await client.post("/api/v1/staff/rectifications/99", json={"status": "核实中"}, headers=auth)
    assert r.status == 404


def test_csv_import_merges_rows_and_reports_every_bad_row(tmp_path: Path) -> None:
    from bot.proofs import Proofs

    good = tmp_path / "cases.csv"
    good.write_text(
        "办件编号,事项编码,申请人,手机号,身份证号,状态,时间,备注\n"
        f"GA2025112002,GA-0009,王五,{PHONE},{ID_NUMBER},受理,2025-11-20 10:00,\n"
        "GA2025112002,GA-0009,王五,,,收件,2025-11-20 09:00,\n", encoding="utf-8")
    [case] = read_case_file(good, Proofs("k"))
    assert [e.status for e in case.events] == ["收件", "受理"] and case.phone_digest
    bad = tmp_path / "bad.csv"
    bad.write_text("number,status,at\nGA1,受理,2025-11-20T10:00\nGA2,完成,2025-11-20\n,受理,tomorrow\n",
                   encoding="utf-8")
    with pytest.raises(CaseFileError) as e:
        read_case_file(bad, Proofs("k"))
    assert e.value.errors == [
        "bad.csv row 3: status: unknown status '完成'; one of 收件, 受理, 补正, 审核, 办结, 不予受理, 不予许可, 退件",
        "bad.csv row 4: number: required",
        "bad.csv row 4: at: must be an ISO 8601 time such as 2026-11-20T10:00:00+08:00",
    ]
