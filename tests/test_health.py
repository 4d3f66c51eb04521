"""The app factory and /healthz, on both databases."""

import asyncio

import pytest

from adapters.db.catalog_store import save_catalog
from adapters.db.engine import make_engine
from adapters.settings import Settings
from app import create_app
from knowledge.formats import read_catalog_files
from tests.conftest import demo_files


async def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        await save_catalog(engine, read_catalog_files(demo_files()))
    finally:
        await engine.dispose()


async def test_healthz_reports_database_and_catalog(database_url: str, aiohttp_client, tmp_path) -> None:
    await _seed(database_url)
    client = await aiohttp_client(create_app(Settings(database_url=database_url, data_dir=tmp_path)))
    response = await client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["catalog"]["items"] >= 30 and body["catalog"]["revision"] == 1


async def test_healthz_fails_when_the_database_goes_away(database_url: str, aiohttp_client, tmp_path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a server database that can be dropped under the app")
    from tests.conftest import _drop_pg_database

    await _seed(database_url)
    client = await aiohttp_client(create_app(Settings(database_url=database_url, data_dir=tmp_path)))
    assert (await client.get("/healthz")).status == 200
    await _drop_pg_database(database_url.rsplit("/", 1)[1])
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json()) == {"status": "error", "database": "unreachable"}


async def test_live_catalog_picks_up_an_import_without_restart(database_url: str, aiohttp_client, tmp_path) -> None:
    await _seed(database_url)
    settings = Settings(database_url=database_url, data_dir=tmp_path, catalog_poll_seconds=0.05)
    client = await aiohttp_client(create_app(settings))
    assert (await (await client.get("/healthz")).json())["catalog"]["revision"] == 1
    await _seed(database_url)  # staff re-import: revision 2
    for _ in range(100):
        body = await (await client.get("/healthz")).json()
        if body["catalog"]["revision"] == 2:
            break
        await asyncio.sleep(0.05)
    assert body["catalog"]["revision"] == 2
