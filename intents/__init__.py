"""All intents, combined in one explicit priority order (first handler that answers wins).

0. a bare rating ("5", "非常满意") answering a pushed 好差评 invitation, before the menu
   would read "5" as its fifth entry
1. menu: events and menu keys, "0"/"菜单", numbered or tapped option replies (the case,
   handoff and review entries are handed on to those intents)
2. state-driven answers: the pending situation question ("我是外地户口"), a location
   message or the place name we asked for, the case proof (phone tail, 查询码) or number
   we asked for, the review target, level or comment we asked for
3. greeting, help, language switch
4. handoff, review, nearby, hours, case status
5. ask_item: follow-ups about the current item, then catalog search
6. fallback
"""

from __future__ import annotations

from bot.router import Router


def build_router() -> Router:
    from intents import (
        ask_item,
        case_status,
        fallback,
        handoff,
        hours,
        materials,
        menu,
        nearby,
        review,
        smalltalk,
    )

    return Router("root").include(
        review.invited_router,
        menu.router,
        materials.router,
        nearby.state_router,
        case_status.state_router,
        review.state_router,
        smalltalk.router,
        handoff.router,
        review.router,
        nearby.router,
        hours.router,
        case_status.router,
        ask_item.router,
        fallback.router,
    )
