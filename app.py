"""Banshi's composition root: build the app from settings, and the command line.

`create_app(settings)` is the one factory that wires adapters, the live catalog and the
routes; the server and the tests both call it. `main()` is the `banshi` command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from aiohttp import web

from adapters.catalog_live import LiveCatalog
from adapters.db import migrate
from adapters.db.catalog_store import item_codes, load_catalog, save_catalog
from adapters.db.engine import make_engine
from adapters.keys import CATALOG, ENGINE, SETTINGS
from adapters.logs import setup_logging
from adapters.settings import Settings, SettingsError
from adapters.web import health

log = logging.getLogger("banshi")
DEMO_CATALOG = Path(__file__).parent / "knowledge" / "seed"


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS] = settings

    async def database(app: web.Application) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app[ENGINE] = engine
        yield
        await engine.dispose()

    async def catalog(app: web.Application) -> AsyncIterator[None]:
        live = LiveCatalog(app[ENGINE], cache_dir=settings.data_dir / "cache")
        async with live.running(every=settings.catalog_poll_seconds):
            app[CATALOG] = live
            yield

    app.cleanup_ctx.extend([database, catalog])
    health.setup(app)
    return app


# -- command line ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="banshi", description="Banshi (办事) service and tools")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web service")
    serve.add_argument("--host", help="listen address (BANSHI_HOST)")
    serve.add_argument("--port", type=int, help="listen port (BANSHI_PORT)")

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="apply migrations (Alembic)")
    up.add_argument("--revision", default="heads")

    kb = sub.add_parser("kb", help="catalog (knowledge base)").add_subparsers(dest="kb_command", required=True)
    imp = kb.add_parser("import", help="load JSON, CSV or Excel catalog files; all or nothing")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--check", action="store_true", help="only check the files, write nothing")
    kb.add_parser("demo", help="load the demo catalog shipped in knowledge/seed")
    exp = kb.add_parser("export", help="write the whole catalog to a file")
    exp.add_argument("--format", choices=("json", "xlsx", "csv"), default="json")
    exp.add_argument("path", type=Path, help="file (json, xlsx) or folder (csv)")
    search = kb.add_parser("search", help="find items for questions (one per line on stdin)")
    search.add_argument("--json", action="store_true", help="one JSON line per question")
    search.add_argument("--k", type=int, default=5, help="results per question")
    search.add_argument("query", nargs="*")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        overrides = {}
        if args.command == "serve":
            overrides = {"host": args.host, "port": args.port}
        settings = Settings.from_env(**overrides)
    except SettingsError as e:
        print(f"banshi: configuration error: {e}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    if args.command == "serve":
        return _serve(settings)
    if args.command == "db":
        migrate.upgrade(settings.database_url, args.revision)
        print(f"database at revision {args.revision}")
        return 0
    if args.command == "kb":
        if args.kb_command == "demo":
            args.files, args.check = sorted(DEMO_CATALOG.glob("*.json")), False
            return asyncio.run(_kb_import(settings, args.files, False))
        if args.kb_command == "import":
            return asyncio.run(_kb_import(settings, args.files, args.check))
        if args.kb_command == "export":
            return asyncio.run(_kb_export(settings, args.format, args.path))
        if args.kb_command == "search":
            return asyncio.run(_kb_search(settings, args.query, args.k, args.json))
    return 2


def _serve(settings: Settings) -> int:
    log.info("starting", extra={"settings": settings.describe()})
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=None,
        shutdown_timeout=10,
        print=lambda text: log.info(text.strip()),
    )
    return 0


async def _kb_import(settings: Settings, files: list[Path], check: bool) -> int:
    from knowledge.formats import CatalogFileError, read_catalog_files

    engine = make_engine(settings.database_url)
    try:
        started = time.perf_counter()
        try:
            catalog = read_catalog_files(files, known_items=await item_codes(engine))
        except CatalogFileError as e:
            for error in e.errors[:200]:
                print(f"error: {error}", file=sys.stderr)
            more = len(e.errors) - 200
            print(
                f"{len(e.errors)} problem(s){f' ({more} more not shown)' if more > 0 else ''}; "
                "nothing was imported",
                file=sys.stderr,
            )
            return 1
        if check:
            print(f"ok: {len(catalog.items)} items, {len(catalog.bundles)} bundles, "
                  f"{len(catalog.halls)} halls, {len(catalog.synonyms)} synonyms (nothing written)")
            return 0
        counts = await save_catalog(engine, catalog, progress=_progress_printer())
        print(
            f"imported {counts.items} items ({counts.materials} materials), {counts.bundles} bundles, "
            f"{counts.halls} halls, {counts.synonyms} synonyms in {time.perf_counter() - started:.2f}s; "
            f"catalog revision {counts.revision}"
        )
        return 0
    finally:
        await engine.dispose()


def _progress_printer():  # type: ignore[no-untyped-def]
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if total >= 1000 and (now - last[0] > 0.5 or done == total):
            last[0] = now
            print(f"  {done}/{total} records", file=sys.stderr, flush=True)

    return show


async def _kb_export(settings: Settings, fmt: str, path: Path) -> int:
    from knowledge.formats import write_csv_dir, write_json, write_xlsx

    engine = make_engine(settings.database_url)
    try:
        catalog = await load_catalog(engine)
    finally:
        await engine.dispose()
    {"json": write_json, "xlsx": write_xlsx, "csv": write_csv_dir}[fmt](catalog, path)
    print(f"exported {len(catalog.items)} items, {len(catalog.bundles)} bundles, "
          f"{len(catalog.halls)} halls, {len(catalog.synonyms)} synonyms to {path}")
    return 0


async def _kb_search(settings: Settings, queries: list[str], k: int, as_json: bool) -> int:
    from knowledge.search import SearchIndex

    engine = make_engine(settings.database_url)
    try:
        catalog = await load_catalog(engine)
    finally:
        await engine.dispose()
    index = SearchIndex.build(catalog, settings.data_dir / "cache")
    lines = [" ".join(queries)] if queries else (line.rstrip("\n") for line in sys.stdin)
    for q in lines:
        result = index.search(q, k=k)
        record = {
            "q": q,
            "answer": result.answer,
            "decision": result.decision,
            "results": [
                {"code": h.code, "name": h.name, "kind": h.kind, "score": round(h.score, 4)}
                for h in result.results[:k]
            ],
        }
        if as_json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(f"{q}  →  {result.decision}")
            for h in record["results"]:
                print(f"  {h['score']:.3f}  {h['code']}  {h['name']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
