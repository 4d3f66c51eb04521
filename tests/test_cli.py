"""The operator's commands on both databases: import all-or-nothing, export round trip."""

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

import app
from adapters.db.catalog_store import load_catalog
from adapters.db.engine import make_engine
from adapters.settings import normalise_database_url
from tests.conftest import PG_URL, real_catalog_file, reference_files


def run(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> int:
    monkeypatch.setenv("BANSHI_DATABASE_URL", url)
    return app.main(list(argv))


def record_unanswered(url: str, records: list[tuple[str, str, float, str | None]]) -> None:
    """Store (user, question, time, item picked or None) as the dialogue's journal does."""
    from adapters.db.journal import SqlJournal

    async def record() -> None:
        engine = make_engine(url)
        journal = SqlJournal(engine)
        try:
            for user, text, at, chosen in records:
                await journal.record_unanswered(user, text, at, chosen)
            await journal.flush()
        finally:
            await engine.dispose()

    asyncio.run(record())


def snapshot(url: str):
    async def load():
        engine = make_engine(url)
        try:
            return await load_catalog(engine)
        finally:
            await engine.dispose()

    return asyncio.run(load())


def test_import_reference_and_real_catalogs(monkeypatch, sync_database_url, capsys) -> None:
    files = [str(p) for p in [*reference_files(), real_catalog_file()]]
    assert run(monkeypatch, sync_database_url, "kb", "import", *files) == 0
    out = capsys.readouterr()
    assert "imported 1283 items (730 materials), 12 bundles, 39 halls" in out.out
    assert "1283/1283 records" in out.err or "/1334 records" in out.err  # progress on a large import
    catalog = snapshot(sync_database_url)
    assert len(catalog.items) == 1283 and catalog.revision == 1


def test_a_broken_file_is_rejected_whole_and_changes_nothing(monkeypatch, sync_database_url, tmp_path, capsys) -> None:
    assert run(monkeypatch, sync_database_url, "kb", "import", *map(str, reference_files())) == 0
    before = snapshot(sync_database_url)
    items = json.loads(reference_files()[0].read_text(encoding="utf-8"))
    items[0]["name"] = "出生登记（改）"  # a good change that must not land either
    del items[5]["name"]
    items[9]["materials"][0]["when"] = {"nosuch": "x"}
    broken = tmp_path / "items.json"
    broken.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    assert run(monkeypatch, sync_database_url, "kb", "import", str(broken)) == 1
    err = capsys.readouterr().err
    assert f"{broken}: row 6: name: missing" in err
    assert f"{broken}: row 10: materials[0].when: malformed" in err
    assert "nothing was imported" in err
    assert snapshot(sync_database_url) == before


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_export_then_import_into_a_fresh_database(monkeypatch, sync_database_url, tmp_path: Path, fmt: str) -> None:
    from adapters.db import migrate

    assert run(monkeypatch, sync_database_url, "kb", "demo") == 0
    assert run(monkeypatch, sync_database_url, "kb", "import", *map(str, reference_files())) == 0
    path = tmp_path / f"catalog.{fmt}"
    assert run(monkeypatch, sync_database_url, "kb", "export", "--format", fmt, str(path)) == 0
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(fresh)
    assert run(monkeypatch, fresh, "kb", "import", str(path)) == 0
    original, copy = snapshot(sync_database_url), snapshot(fresh)
    assert replace(copy, revision=0) == replace(original, revision=0)


def test_check_only_writes_nothing(monkeypatch, sync_database_url, capsys) -> None:
    assert run(monkeypatch, sync_database_url, "kb", "import", "--check", *map(str, reference_files())) == 0
    assert "nothing written" in capsys.readouterr().out
    assert snapshot(sync_database_url).items == {}


def test_unanswered_questions_are_listed_most_asked_first_until_marked_handled(monkeypatch, sync_database_url,
                                                                                capsys) -> None:
    now = time.time()
    record_unanswered(sync_database_url, [
        ("u1", "挖虫草的采集证在哪儿办", now - 86400, None), ("u2", "挖虫草的采集证在哪儿办", now - 2 * 86400, None),
        ("u2", "挖虫草的采集证在哪儿办", now - 2 * 86400, None), ("u3", "开网吧要办啥子证", now, None),
        ("u4", "去年问过的老问题", now - 400 * 86400, None)])
    capsys.readouterr()
    assert run(monkeypatch, sync_database_url, "kb", "unanswered", "--json") == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(g["q"], g["asked"], g["askers"]) for g in listed] == [
        ("挖虫草的采集证在哪儿办", 3, 2), ("开网吧要办啥子证", 1, 1)]  # not the one of 400 days ago
    assert run(monkeypatch, sync_database_url, "kb", "unanswered", "--days", "0", "--json") == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert run(monkeypatch, sync_database_url, "kb", "unanswered", "--done", "挖虫草的采集证在哪儿办") == 0
    assert "marked 3 record(s)" in capsys.readouterr().out
    assert run(monkeypatch, sync_database_url, "kb", "unanswered") == 0
    out = capsys.readouterr().out
    assert "开网吧要办啥子证" in out and "挖虫草" not in out
    assert run(monkeypatch, sync_database_url, "kb", "unanswered", "--done", "从没问过") == 1


def test_items_picked_from_options_are_listed_with_the_words_they_lack(monkeypatch, sync_database_url,
                                                                        capsys) -> None:
    """An option a citizen picked is the phrasing to teach the catalog: the listing names the
    item, the question's words it lacks (an alias or synonym to add), and whether search
    answers the question by now."""
    assert run(monkeypatch, sync_database_url, "kb", "demo") == 0
    now = time.time()
    record_unanswered(sync_database_url, [
        ("u1", "孩子读书要开什么证明", now, "RZ-WJ-001"), ("u2", "孩子读书要开什么证明", now, "RZ-WJ-001"),
        ("u3", "孩子读书要开什么证明", now, None),  # "none of these"
        ("u3", "身份证过期了咋整", now, "RZ-GA-002")])
    capsys.readouterr()
    assert run(monkeypatch, sync_database_url, "kb", "unanswered", "--json") == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(g["q"], g["chosen"], g["asked"]) for g in listed] == [
        ("孩子读书要开什么证明", "RZ-WJ-001", 2), ("孩子读书要开什么证明", None, 1), ("身份证过期了咋整", "RZ-GA-002", 1)]
    picked, gap, fixed = listed
    assert picked["chosen_name"] == "出生医学证明签发" and "读书" in picked["lacks"]
    assert "证明" not in picked["lacks"]  # the item has that word
    assert picked["now_answer"] is None and gap["lacks"] == [] and gap["chosen_name"] is None
    assert fixed["now"] == "answer" and fixed["now_answer"] == "RZ-GA-002"  # an alias covers it by now
    assert run(monkeypatch, sync_database_url, "kb", "unanswered") == 0
    out = capsys.readouterr().out
    assert "picked 出生医学证明签发 (RZ-WJ-001); words it lacks: " in out and "answered now: 居民身份证换领" in out
    assert run(monkeypatch, sync_database_url, "kb", "unanswered", "--done", "孩子读书要开什么证明") == 0
    assert "marked 3 record(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [("kb", "search", "护照"), ("kb", "demo"), ("kb", "unanswered"), ("serve", "--port", "18080")],
)
def test_a_database_not_yet_migrated_gets_a_plain_answer(monkeypatch, sync_empty_database_url, capsys,
                                                        argv) -> None:
    """Before `db upgrade`: one line saying what to do, no traceback; serve does not start
    workers that would each die at their first query."""
    import adapters.web.server

    def never(*_: object) -> int:
        raise AssertionError("serve started on a database without the schema")

    monkeypatch.setattr(adapters.web.server, "serve", never)
    assert run(monkeypatch, sync_empty_database_url, *argv) == 1
    err = capsys.readouterr().err
    assert "db upgrade" in err and "Traceback" not in err
    assert run(monkeypatch, sync_empty_database_url, "db", "upgrade") == 0
    if argv[0] != "serve":
        assert run(monkeypatch, sync_empty_database_url, *argv) == 0


@pytest.mark.skipif(not PG_URL, reason="BANSHI_TEST_DATABASE_URL not set")
@pytest.mark.parametrize("command", [("kb", "search", "护照"), ("serve", "--port", "18080")])
def test_a_database_that_cannot_be_reached_is_named(monkeypatch, capsys, command) -> None:
    import adapters.web.server

    monkeypatch.setattr(adapters.web.server, "serve", lambda *_: pytest.fail("served without a database"))
    base, _, _ = normalise_database_url(PG_URL).rpartition("/")
    assert run(monkeypatch, f"{base}/banshi_no_such_database", *command) == 1
    err = capsys.readouterr().err
    assert 'banshi: database error: database "banshi_no_such_database" does not exist' in err
    assert "Traceback" not in err
    # no server on that port at all
    assert run(monkeypatch, "postgresql+asyncpg://postgres@127.0.0.1:9/test", *command) == 1
    err = capsys.readouterr().err
    assert "Connect call failed" in err and "Traceback" not in err


def test_an_export_to_a_folder_that_is_not_there_says_so(monkeypatch, sync_database_url, tmp_path, capsys) -> None:
    target = tmp_path / "no-such-folder" / "catalog.xlsx"
    assert run(monkeypatch, sync_database_url, "kb", "export", "--format", "xlsx", str(target)) == 1
    err = capsys.readouterr().err
    assert f"banshi: No such folder: {target.parent}" in err and "Traceback" not in err
    assert not target.parent.exists()
