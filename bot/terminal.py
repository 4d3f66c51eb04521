"""The terminal chat: type as one citizen, read the replies as WeChat would show them.

`/loc 33.58 102.96` sends a location message, `/click MENU_NEARBY` a menu click,
`/quit` (or Ctrl-D) ends. Taps are typed as the option's number or its label.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.protocols import Bot
from bot.types import Articles, Handoff, Inbound, Location, Options, Reply, Text, UserRef


def render(reply: Reply) -> str:
    if isinstance(reply, Text):
        return reply.text
    if isinstance(reply, Options):
        lines = [reply.prompt] + [f"  {n}. {o.label}" for n, o in enumerate(reply.options, 1)]
        return "\n".join(lines)
    if isinstance(reply, Articles):
        return "\n".join(f"[{a.title}] {a.description} {a.url}".strip() for a in reply.articles)
    if isinstance(reply, Handoff):
        return f"[转人工] {reply.note}"
    return str(reply)


def inbound_of(line: str, user: UserRef) -> Inbound | None:
    if line.startswith("/loc"):
        parts = line.split()
        try:
            return Inbound(user, "location", location=Location(float(parts[1]), float(parts[2]), "terminal"))
        except (IndexError, ValueError):
            return None
    if line.startswith("/click"):
        return Inbound(user, "event", event="click", event_key=line.partition(" ")[2].strip())
    return Inbound(user, "text", line)


async def run_chat(bot: Bot, user: UserRef, read: Callable[[str], str] = input,
                   write: Callable[[str], None] = print) -> None:
    write("办事助手（终端）。/loc 纬度 经度 发位置，/click 菜单键，/quit 退出。")
    while True:
        try:
            line = (await asyncio.to_thread(read, "您> ")).strip()
        except EOFError:
            return
        if line in ("/quit", "/exit"):
            return
        if not line:
            continue
        inbound = inbound_of(line, user)
        if inbound is None:
            write("用法：/loc 33.58 102.96")
            continue
        for reply in await bot.feed(inbound):
            write("助手> " + render(reply).replace("\n", "\n      "))
