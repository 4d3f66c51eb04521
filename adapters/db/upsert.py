"""INSERT … ON CONFLICT for both databases Banshi runs on."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert_statement(conn: AsyncConnection, table: Table, *, update: list[str] | None = None,
                     where: ColumnElement[bool] | None = None, only_if_greater: str = "") -> Any:
    """`INSERT … ON CONFLICT (primary key) DO UPDATE` (of `update`, default all other columns).

    `where` limits the update (give it bind parameters, not values, and keep it in a
    constant: statements are built once and reused, as they run on every message);
    `only_if_greater` names a column whose stored value must be below the inserted one
    (`excluded`), which keeps one statement for many rows (executemany).
    """
    return _upsert(conn.dialect.name, table, tuple(update) if update is not None else None, where, only_if_greater)


@functools.lru_cache(maxsize=64)
def _upsert(dialect: str, table: Table, update: tuple[str, ...] | None, where: ColumnElement[bool] | None,
            only_if_greater: str) -> Any:
    if dialect == "postgresql":
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
