"""The live catalog: the current snapshot and its search index, rebuilt when staff change it.

Every instance polls the revision counter in the database (cheap: one indexed row) and,
when it moved, loads the new catalog and builds a fresh index in a worker thread while
the old one keeps answering. The swap is one attribute assignment, so a query sees
either the old or the new snapshot, never a mix.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import gc
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.catalog_store import current_revision, load_catalog
from knowledge.catalog import Catalog
from knowledge.search import SearchIndex
from knowledge.semantic import Encoder

log = logging.getLogger("banshi.catalog")


@dataclass(frozen=True)
class Snapshot:
    catalog: Catalog
    index: SearchIndex


def settle_heap() -> None:
    """Keep the index out of the garbage collector's full passes, and give the memory the
    old snapshot held back to the system.

    The index is hundreds of thousands of long-lived objects; every full collection walked
    all of them, a pause of tens of milliseconds in the middle of answering (p99 95 ms →
    26 ms under load once frozen). Frozen objects are still freed by reference counting
    when a newer index replaces them; unfreezing first lets one collection clear any cycles
    the old snapshot left. glibc keeps the freed pages otherwise: at 30,000 items a process
    stayed at 313 MB after every rebuild, 209 MB with them returned (`bench/search_speed.py
    --rebuilds`). Runs once per catalog revision.
    """
    gc.unfreeze()
    gc.collect()
    _trim()
    gc.freeze()


def _trim() -> None:
    """glibc's malloc_trim(0), where there is one (musl and macOS return memory themselves)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc



class LiveCatalog:
    def __init__(self, engine: AsyncEngine, cache_dir: Path | None = None, semantic: Encoder | None = None) -> None:
        self._engine = engine
        self._cache_dir = cache_dir
        self._semantic = semantic  # the optional embedding model (BANSHI_SEMANTIC_THREADS)
        self._snapshot: Snapshot | None = None
        self._lock = asyncio.Lock()

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            raise RuntimeError("catalog not loaded yet: call refresh() first")
        return self._snapshot

    async def refresh(self) -> bool:
        """Rebuild if the stored revision differs from ours; True when a new snapshot is live."""
        async with self._lock:
            revision = await current_revision(self._engine)
            if self._snapshot is not None and self._snapshot.catalog.revision == revision:
                return False
            catalog = await load_catalog(self._engine)
            loop = asyncio.get_running_loop()
            started = loop.time()
            index = await asyncio.to_thread(SearchIndex.build, catalog, self._cache_dir, semantic=self._semantic)
            self._snapshot = Snapshot(catalog, index)
            settle_heap()
            log.info(
                "catalog revision %s live",
                catalog.revision,
                extra={
                    "items": len(catalog.items),
                    "bundles": len(catalog.bundles),
                    "build_ms": round((loop.time() - started) * 1000),
                },
            )
            return True

    async def watch(self, every: float) -> None:
        """Poll forever; a failed poll is logged and retried, the old snapshot keeps serving."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("catalog refresh failed; still serving revision %s",
                              self._snapshot.catalog.revision if self._snapshot else None)

    @contextlib.asynccontextmanager
    async def running(self, every: float):  # type: ignore[no-untyped-def]
        await self.refresh()
        task = asyncio.create_task(self.watch(every), name="catalog-watch")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
