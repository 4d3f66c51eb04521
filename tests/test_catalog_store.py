"""The catalog store on SQLite and PostgreSQL: whole snapshots in, the same snapshots out."""

from dataclasses import replace

from adapters.db.catalog_store import current_revision, item_codes, load_catalog, save_catalog
from adapters.db.engine import make_engine
from knowledge.catalog import Material
from knowledge.formats import read_catalog_files
from tests.conftest import demo_files, real_catalog_file, reference_files


async def test_save_then_load_is_lossless(database_url: str) -> None:
    catalog = read_catalog_files([*reference_files(), real_catalog_file(), *demo_files()])
    engine = make_engine(database_url)
    try:
        assert await current_revision(engine) == 0
        seen: list[tuple[int, int]] = []
        counts = await save_catalog(engine, catalog, progress=lambda done, total: seen.append((done, total)))
        assert counts.revision == 1 and counts.items == len(catalog.items)
        assert seen[-1][0] == seen[-1][1] == len(catalog.items) + len(catalog.bundles) + len(catalog.halls) + len(catalog.synonyms)
        loaded = await load_catalog(engine)
        assert loaded.revision == 1
        assert replace(loaded, revision=0) == catalog
    finally:
        await engine.dispose()


async def test_upsert_by_code_replaces_an_item_whole(database_url: str) -> None:
    catalog = read_catalog_files(reference_files())
    engine = make_engine(database_url)
    try:
        await save_catalog(engine, catalog)
        item = catalog.items["GA-0001"]
        changed = replace(item, name="出生登记（新版）", materials=(Material("出生医学证明", "原件", 1),), situations=())
        again = replace(catalog, items={"GA-0001": changed}, bundles={}, halls={}, synonyms=())
        counts = await save_catalog(engine, again)
        assert counts.revision == 2
        loaded = await load_catalog(engine)
        assert loaded.items["GA-0001"] == changed
        assert len(loaded.items) == len(catalog.items)  # the others are untouched
        assert loaded.bundles == catalog.bundles
        assert "GA-0001" in await item_codes(engine)
    finally:
        await engine.dispose()
