"""Routers: handlers registered with filters, tried in order; the first that answers wins.

Each intent module owns one Router; `intents.build_router()` includes them in an explicit
priority order so the order is read in one place, not inferred from imports. A handler
names the dependencies it needs as parameters (`turn`, `state`, `catalog`, `t`, …) and
gets only those; returning None passes the message on to the next handler.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.types import Reply

Filter = Callable[[Any], bool]
Handler = Callable[..., Awaitable[list[Reply] | None]]


@dataclass(frozen=True)
class _Entry:
    name: str
    filters: tuple[Filter, ...]
    handler: Handler
    params: tuple[str, ...]


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: list[_Entry | Router] = []

    def handler(self, *filters: Filter) -> Callable[[Handler], Handler]:
        """Register `fn` to run when every filter accepts the turn."""

        def register(fn: Handler) -> Handler:
            params = tuple(inspect.signature(fn).parameters)
            self._entries.append(_Entry(f"{self.name}.{fn.__name__}", filters, fn, params))
            return fn

        return register

    def include(self, *routers: Router) -> Router:
        self._entries.extend(routers)
        return self

    async def route(self, turn: Any, deps: Mapping[str, Any]) -> tuple[str, list[Reply]] | None:
        """(handler name, replies) of the first handler that answered, or None."""
        for entry in self._entries:
            if isinstance(entry, Router):
                found = await entry.route(turn, deps)
                if found is not None:
                    return found
                continue
            if not all(f(turn) for f in entry.filters):
                continue
            replies = await entry.handler(**{p: deps[p] for p in entry.params})
            if replies is not None:
                return entry.name, replies
        return None

    def names(self) -> list[str]:
        """Handler names in the order they are tried (for docs and tests)."""
        out: list[str] = []
        for entry in self._entries:
            out.extend(entry.names() if isinstance(entry, Router) else [entry.name])
        return out
