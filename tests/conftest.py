"""Shared fixtures: real databases (SQLite always, PostgreSQL when CI names one)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.db import migrate
from adapters.settings import normalise_database_url

ROOT = Path(__file__).resolve().parents[1]
SHARED_KB = ROOT.parent / "shared" / "kb"
DEMO = ROOT / "knowledge" / "seed"
PG_URL = os.environ.get("BANSHI_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("BANSHI_TEST_REDIS_URL", "")  # Redis-backed state and dedup, in CI

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="BANSHI_TEST_DATABASE_URL not set"),
    ),
]


async def _create_pg_database() -> tuple[str, str]:
    """A fresh, empty PostgreSQL database per test, so tests never see each other's rows."""
    import asyncpg

    admin = normalise_database_url(PG_URL).replace("postgresql+asyncpg://", "postgresql://")
    name = f"banshi_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = normalise_database_url(PG_URL).rpartition("/")
    return f"{base}/{name}", name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    admin = normalise_database_url(PG_URL).replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database URL with no schema yet, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'banshi.db'}"
        return
    url, name = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture
async def database_url(empty_database_url: str) -> str:
    """A migrated, empty database on each backend."""
    await asyncio.to_thread(migrate.upgrade, empty_database_url)
    return empty_database_url


@pytest.fixture(params=BACKENDS)
def sync_empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like empty_database_url (no schema yet), for tests that drive the blocking CLI."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'banshi.db'}"
        return
    url, name = asyncio.run(_create_pg_database())
    try:
        yield url
    finally:
        asyncio.run(_drop_pg_database(name))


@pytest.fixture
def sync_database_url(sync_empty_database_url: str) -> str:
    """Like database_url (migrated), for tests that drive the blocking CLI."""
    migrate.upgrade(sync_empty_database_url)
    return sync_empty_database_url


def reference_files() -> list[Path]:
    return [SHARED_KB / "items.json", SHARED_KB / "bundles.json", SHARED_KB / "halls.json"]


def real_catalog_file() -> Path:
    return SHARED_KB / "real" / "guangan-catalog.json"


def demo_files() -> list[Path]:
    return sorted(DEMO.glob("*.json"))


def free_port() -> int:
    """A port nobody listens on, for tests that start a real server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
