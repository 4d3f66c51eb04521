"""INSERT … ON CONFLICT for both databases Banshi runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert_statement(conn: AsyncConnection, table: Table, *, update: list[str] | None = None,
                     where: ColumnElement[bool] | None = None, only_if_greater: str = "") -> Any:
    """`INSERT … ON CONFLICT (primary key) DO UPDATE` (of `update`, default all other columns).

    `where` limits the update with values fixed in the statement; `only_if_greater` names
    a column whose stored value must be below the inserted one (`excluded`), which keeps
    one statement for many rows (executemany) where `where` could not.
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(table)
    keys = [c.name for c in table.primary_key.columns]
    columns = update if update is not None else [c.name for c in table.columns if c.name not in keys]
    if only_if_greater:
        newer = table.c[only_if_greater] < statement.excluded[only_if_greater]
        where = newer if where is None else where & newer
    return statement.on_conflict_do_update(
        index_elements=keys, set_={c: statement.excluded[c] for c in columns}, where=where
    )
