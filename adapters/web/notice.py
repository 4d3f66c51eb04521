"""GET /notice/<code>?<situation>=<option>…: the printable one-time notice (一次性告知单).

The same list the chat gave, at a stable URL a citizen can print, show at the window or
forward to a relative. Unanswered situation questions don't hide materials: those are
listed with the situation they depend on. Large text, no scripts beyond "print".
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from aiohttp import web

from adapters.keys import CATALOG, SETTINGS
from intents.guide import material_lines, situations_of
from intents.replies import days, fee_answer, online_answer, where_answer
from knowledge.catalog import Catalog, Item

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def _t(key: str, **values: object) -> str:
    from bot.texts import default_texts

    return default_texts().get("zh", key, **values)


def render_notice(catalog: Catalog, code: str, query: dict[str, str], hotline: str) -> str | None:
    if code in catalog.bundles:
        bundle = catalog.bundles[code]
        items = [catalog.items[c] for c in bundle.items if c in catalog.items]
        name, name_bo = bundle.name, bundle.name_bo
    elif code in catalog.items:
        items = [catalog.items[code]]
        name, name_bo = items[0].name, items[0].name_bo
    else:
        return None
    situations = situations_of(items)
    answers = {s.key: query[s.key] for s in situations if query.get(s.key) in dict(s.options)}
    answered = [f"{s.ask.rstrip('？?')}：{s.label(answers[s.key])}" for s in situations if s.key in answers]
    lines = material_lines(items, answers)
    conditions = _conditions(items, answers)
    materials = [
        {"name": m.name, "form": m.form, "copies": m.copies, "required": m.required, "note": m.note,
         "when": conditions.get((m.name, m.form), "")}
        for m in lines
    ]
    facts: list[tuple[str, str]] = []
    if len(items) == 1:
        item = items[0]
        facts = [
            ("办理时限", days(item.promised_days, _t)),
            ("收费", fee_answer(item, _t).removeprefix("收费：")),
            ("办理地点", where_answer(item, _t).removeprefix("在哪儿办：")),
            ("网上办理", online_answer(item, _t).removeprefix("网上办：")),
        ]
    steps = [i.name for i in items] if len(items) > 1 else []
    return _env().get_template("notice.html").render(
        name=name, name_bo=name_bo, answers=answered, materials=materials, facts=facts, steps=steps, hotline=hotline
    )


def _conditions(items: list[Item], answers: dict[str, str]) -> dict[tuple[str, str], str]:
    """For materials that depend on a question not answered yet: the answer that needs them."""
    out: dict[tuple[str, str], str] = {}
    for item in items:
        for m in item.materials:
            if m.applies(answers) is None:
                parts = []
                for key, option in m.when:
                    s = item.situation(key)
                    if s is not None and key not in answers:
                        parts.append(s.label(option))
                out[(m.name.strip(), m.form)] = "、".join(parts)
    return out


async def notice(request: web.Request) -> web.Response:
    snapshot = request.app[CATALOG].snapshot
    hotline = getattr(request.app[SETTINGS], "service_phone", "12345")
    html = render_notice(snapshot.catalog, request.match_info["code"], dict(request.query), hotline)
    if html is None:
        raise web.HTTPNotFound(text="没有这个事项（可能已经调整）。请打 12345 咨询。")
    return web.Response(text=html, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=300"})


def setup(app: web.Application) -> None:
    app.router.add_get("/notice/{code}", notice)
