"""Catalog persistence: load a whole Catalog snapshot, upsert records by code in one transaction.

An import either lands whole or not at all, and bumps the catalog revision in the same
transaction so every running instance sees the change and rebuilds its search index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db import tables as t
from adapters.db.upsert import upsert_statement
from knowledge.catalog import Bundle, Catalog, Faq, Hall, Item, Material, Situation, Synonym

Progress = Callable[[int, int], None]
CHUNK = 500


@dataclass(frozen=True)
class SaveCounts:
    items: int
    bundles: int
    halls: int
    synonyms: int
    materials: int
    revision: int


async def current_revision(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        value = await conn.scalar(select(t.catalog_revision.c.revision).where(t.catalog_revision.c.id == 1))
    return int(value or 0)


async def item_codes(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set((await conn.scalars(select(t.items.c.code))).all())


async def load_catalog(engine: AsyncEngine) -> Catalog:
    """The whole catalog as one consistent snapshot (read in a single transaction)."""
    async with engine.connect() as conn, conn.begin():
        revision = await conn.scalar(select(t.catalog_revision.c.revision).where(t.catalog_revision.c.id == 1))
        options: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for r in await conn.execute(select(t.situation_options).order_by(t.situation_options.c.position)):
            options.setdefault((r.item_code, r.situation_key), []).append((r.key, r.label))
        situations: dict[str, list[Situation]] = {}
        for r in await conn.execute(select(t.situations).order_by(t.situations.c.position)):
            situations.setdefault(r.item_code, []).append(
                Situation(r.key, r.ask, tuple(options.get((r.item_code, r.key), ())))
            )
        materials: dict[str, list[Material]] = {}
        for r in await conn.execute(select(t.materials).order_by(t.materials.c.item_code, t.materials.c.position)):
            materials.setdefault(r.item_code, []).append(
                Material(r.name, r.form, r.copies, r.required, r.note, tuple((r.when or {}).items()))
            )
        faqs: dict[str, list[Faq]] = {}
        for r in await conn.execute(select(t.faqs).order_by(t.faqs.c.item_code, t.faqs.c.position)):
            faqs.setdefault(r.item_code, []).append(Faq(r.question, r.answer))
        items = [
            Item(
                code=r.code,
                name=r.name,
                department=r.department,
                category=r.category,
                aliases=tuple(r.aliases),
                level=tuple(r.level),
                summary=r.summary,
                conditions=r.conditions,
                situations=tuple(situations.get(r.code, ())),
                materials=tuple(materials.get(r.code, ())),
                steps=tuple(r.steps),
                legal_days=r.legal_days,
                promised_days=r.promised_days,
                fee=r.fee,
                online=r.online,
                max_visits=r.max_visits,
                where=r.where,
                phone=r.phone,
                legal_basis=tuple(r.legal_basis),
                faq=tuple(faqs.get(r.code, ())),
                name_bo=r.name_bo,
                group=r.group,
                area_code=r.area_code,
            )
            for r in await conn.execute(select(t.items).order_by(t.items.c.code))
        ]
        members: dict[str, list[str]] = {}
        for r in await conn.execute(select(t.bundle_items).order_by(t.bundle_items.c.position)):
            members.setdefault(r.bundle_code, []).append(r.item_code)
        bundles = [
            Bundle(r.code, r.name, tuple(members.get(r.code, ())), tuple(r.aliases), r.summary, r.name_bo)
            for r in await conn.execute(select(t.bundles).order_by(t.bundles.c.code))
        ]
        halls = [
            Hall(r.code, r.name, r.county, r.level, r.address, r.lat, r.lon, r.phone, r.hours, r.bilingual)
            for r in await conn.execute(select(t.halls).order_by(t.halls.c.code))
        ]
        synonyms = [
            Synonym(r.term, tuple(r.variants))
            for r in await conn.execute(select(t.synonyms).order_by(t.synonyms.c.term))
        ]
    return Catalog.of(items, bundles, halls, synonyms, revision=int(revision or 0))


async def save_catalog(engine: AsyncEngine, catalog: Catalog, progress: Progress | None = None) -> SaveCounts:
    """Upsert every record of `catalog` by code, all in one transaction, and bump the revision."""
    total = len(catalog.items) + len(catalog.bundles) + len(catalog.halls) + len(catalog.synonyms)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    async with engine.begin() as conn:
        items = list(catalog.items.values())
        for chunk in _chunks(items):
            await _replace_items(conn, chunk)
            advance(len(chunk))
        bundles = list(catalog.bundles.values())
        for chunk in _chunks(bundles):
            codes = [b.code for b in chunk]
            await conn.execute(delete(t.bundle_items).where(t.bundle_items.c.bundle_code.in_(codes)))
            await conn.execute(delete(t.bundles).where(t.bundles.c.code.in_(codes)))
            await _insert(conn, t.bundles, [
                {"code": b.code, "name": b.name, "aliases": list(b.aliases), "summary": b.summary,
                 "name_bo": b.name_bo}
                for b in chunk
            ])
            await _insert(conn, t.bundle_items, [
                {"bundle_code": b.code, "position": i, "item_code": code}
                for b in chunk for i, code in enumerate(b.items)
            ])
            advance(len(chunk))
        for chunk in _chunks(list(catalog.halls.values())):
            await conn.execute(delete(t.halls).where(t.halls.c.code.in_([h.code for h in chunk])))
            await _insert(conn, t.halls, [vars_of(h) for h in chunk])
            advance(len(chunk))
        for chunk in _chunks(list(catalog.synonyms)):
            await conn.execute(delete(t.synonyms).where(t.synonyms.c.term.in_([s.term for s in chunk])))
            await _insert(conn, t.synonyms, [{"term": s.term, "variants": list(s.variants)} for s in chunk])
            advance(len(chunk))
        revision = await bump_revision(conn)
    return SaveCounts(
        items=len(catalog.items),
        bundles=len(catalog.bundles),
        halls=len(catalog.halls),
        synonyms=len(catalog.synonyms),
        materials=sum(len(i.materials) for i in catalog.items.values()),
        revision=revision,
    )


async def bump_revision(conn: AsyncConnection) -> int:
    now = datetime.now(UTC)
    result = await conn.execute(
        update(t.catalog_revision)
        .where(t.catalog_revision.c.id == 1)
        .values(revision=t.catalog_revision.c.revision + 1, changed_at=now)
    )
    if result.rowcount == 0:
        await conn.execute(insert(t.catalog_revision).values(id=1, revision=1, changed_at=now))
    return int(await conn.scalar(select(t.catalog_revision.c.revision).where(t.catalog_revision.c.id == 1)) or 0)


async def _replace_items(conn: AsyncConnection, chunk: Sequence[Item]) -> None:
    codes = [i.code for i in chunk]
    # Children first: SQLite only cascades when foreign keys are on, so do not rely on it.
    for table in (t.situation_options, t.situations, t.materials, t.faqs):
        await conn.execute(delete(table).where(table.c.item_code.in_(codes)))
    # Upsert, not delete+insert: bundles keep pointing at an item that staff re-import.
    await _upsert(conn, t.items, [_item_row(i) for i in chunk])
    await _insert(conn, t.situations, [
        {"item_code": i.code, "key": s.key, "position": n, "ask": s.ask}
        for i in chunk for n, s in enumerate(i.situations)
    ])
    await _insert(conn, t.situation_options, [
        {"item_code": i.code, "situation_key": s.key, "key": k, "position": n, "label": label}
        for i in chunk for s in i.situations for n, (k, label) in enumerate(s.options)
    ])
    await _insert(conn, t.materials, [
        {
            "item_code": i.code, "position": n, "name": m.name, "form": m.form, "copies": m.copies,
            "required": m.required, "note": m.note, "when": dict(m.when),
        }
        for i in chunk for n, m in enumerate(i.materials)
    ])
    await _insert(conn, t.faqs, [
        {"item_code": i.code, "position": n, "question": f.q, "answer": f.a}
        for i in chunk for n, f in enumerate(i.faq)
    ])


def _item_row(item: Item) -> dict[str, Any]:
    row = vars_of(item)
    for key in ("situations", "materials", "faq"):
        row.pop(key)
    for key in ("aliases", "level", "steps", "legal_basis"):
        row[key] = list(row[key])
    return row


def vars_of(record: Any) -> dict[str, Any]:
    return {k: getattr(record, k) for k in record.__dataclass_fields__}


async def _upsert(conn: AsyncConnection, table: t.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(upsert_statement(conn, table), rows)


async def _insert(conn: AsyncConnection, table: t.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(table), rows)


def _chunks(records: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(records), CHUNK):
        yield records[start:start + CHUNK]
