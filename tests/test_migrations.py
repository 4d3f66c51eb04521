"""Migrations build exactly the schema the code expects, up and down, on both databases."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from adapters.db import migrate
from adapters.db.engine import make_engine
from adapters.db.tables import metadata


async def _diff_and_tables(url: str) -> tuple[list, set[str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def inspect_sync(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(context, metadata), set(inspect(sync_conn).get_table_names())

            return await conn.run_sync(inspect_sync)
    finally:
        await engine.dispose()


async def test_upgrade_matches_the_tables_and_downgrade_removes_them(empty_database_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_database_url)
    diff, tables = await _diff_and_tables(empty_database_url)
    assert diff == []
    assert {"items", "materials", "situations", "situation_options", "bundles", "halls"} <= tables
    await asyncio.to_thread(migrate.upgrade, empty_database_url)  # idempotent
    await asyncio.to_thread(migrate.downgrade, empty_database_url)
    _, tables = await _diff_and_tables(empty_database_url)
    assert tables <= {"alembic_version"}


def test_the_history_has_one_head() -> None:
    """Branches written side by side must be merged, so `alembic upgrade head` just works."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite+aiosqlite://")).get_heads()
    assert len(heads) == 1, f"several heads {heads}: add a merge migration"
