"""INSERT … ON CONFLICT for both databases Banshi runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert_statement(conn: AsyncConnection, table: Table, *, update: list[str] | None = None,
                     where: ColumnElement[bool] | None = None) -> Any:
    """`INSERT … ON CONFLICT (primary key) DO UPDATE` (of `update`, default all other columns).

    The statement's `excluded` row is the one being inserted; `where` may refer to it
    through `statement.excluded` by calling this twice, so it takes the table's columns.
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(table)
    keys = [c.name for c in table.primary_key.columns]
    columns = update if update is not None else [c.name for c in table.columns if c.name not in keys]
    return statement.on_conflict_do_update(
        index_elements=keys, set_={c: statement.excluded[c] for c in columns}, where=where
    )
