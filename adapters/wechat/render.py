"""The core's replies → WeChat messages: one passive XML reply plus customer-service pushes.

WeChat takes a single passive reply per delivery, so several replies are merged into
text, long text is cut into pieces under 2,048 UTF-8 bytes, and whatever does not fit in
the passive reply is pushed afterwards through the customer-service API. Option lists
become tappable `weixin://bizmsgmenu` links, numbered so "1" works when links don't.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass

from adapters.wechat.texts import text as channel_text
from bot.types import Article, Articles, Handoff, Options, Reply, Text

MAX_TEXT_BYTES = 2047  # stay under the ~2,048-byte limit where WeChat drops long text
MAX_PASSIVE_ARTICLES = 8
MAX_PUSHES = 5  # customer-service quota after one user message


@dataclass(frozen=True)
class OutText:
    text: str


@dataclass(frozen=True)
class OutNews:
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class OutTransfer:
    kf_account: str = ""


Out = OutText | OutNews | OutTransfer


def plan(replies: list[Reply], *, can_transfer: bool = True) -> list[Out]:
    """The WeChat messages for the replies, in order; a transfer, when allowed, comes first.

    Only the first message can be the passive reply; the others are pushed. A handoff
    must be the passive reply (WeChat has no API to transfer), so it goes first and its
    note and any texts are pushed. Events cannot be transferred: their note is said instead.
    """
    out: list[Out] = []
    texts: list[str] = []
    transfer: OutTransfer | None = None

    def flush() -> None:
        if texts:
            out.extend(OutText(piece) for piece in split_text("\n\n".join(texts)))
            texts.clear()

    for reply in replies:
        if isinstance(reply, Text):
            if reply.text.strip():
                texts.append(reply.text)
        elif isinstance(reply, Options):
            texts.append(render_options(reply))
        elif isinstance(reply, Articles):
            flush()
            if reply.articles:
                out.append(OutNews(reply.articles))
        elif isinstance(reply, Handoff):
            if reply.note:
                texts.append(reply.note)
            if can_transfer:
                transfer = OutTransfer(reply.kf_account)
    flush()
    if transfer is not None:
        out.insert(0, transfer)
    return out


def render_options(options: Options) -> str:
    lines = [options.prompt] if options.prompt else []
    for number, option in enumerate(options.options, start=1):
        href = f"weixin://bizmsgmenu?msgmenucontent={_menu_param(option.payload)}&msgmenuid={number}"
        lines.append(f'{number}. <a href="{href}">{html.escape(option.label, quote=False)}</a>')
    if options.options:
        lines.append(channel_text("reply_by_number"))
    return "\n".join(lines)


def _menu_param(value: str) -> str:
    """Percent-encode only what would end the link; WeChat shows the rest as written."""
    return "".join(f"%{ord(c):02X}" if c in '%&"<>#=?+\' \n\t' else c for c in value)


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at line ends when possible, never in a tag."""
    more = channel_text("more_in_next_message")
    if len(text.encode()) <= limit:
        return [text]
    room = limit - len(("\n" + more).encode())
    pieces: list[str] = []
    rest = text
    while len(rest.encode()) > limit:
        cut = _cut(rest, room)
        pieces.append(rest[:cut].rstrip() + "\n" + more)
        rest = rest[cut:].lstrip("\n")
    if rest:
        pieces.append(rest)
    return pieces


def _cut(text: str, room: int) -> int:
    """Index of a cut so that text[:cut] fits `room` bytes."""
    size, end = 0, 0
    for end, char in enumerate(text):  # noqa: B007 - `end` is used after the loop
        size += len(char.encode())
        if size > room:
            break
    head = text[:end]
    newline = head.rfind("\n")
    if newline > len(head) // 2:
        return newline + 1
    tag = head.rfind("<")
    if tag > head.rfind(">") and tag > 0:
        return tag  # do not cut a <a href=…> link in two
    return max(end, 1)


# -- passive reply XML ------------------------------------------------------------------


def passive_xml(out: Out, *, to_user: str, from_user: str, now: float | None = None) -> str:
    """The passive reply XML for one message (rendered here: wechatpy does not escape CDATA)."""
    head = (
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time() if now is None else now)}</CreateTime>"
    )
    if isinstance(out, OutText):
        body = f"<MsgType><![CDATA[text]]></MsgType><Content>{_cdata(out.text)}</Content>"
    elif isinstance(out, OutNews):
        items = "".join(
            "<item>"
            f"<Title>{_cdata(a.title)}</Title><Description>{_cdata(a.description)}</Description>"
            f"<PicUrl>{_cdata(a.image_url)}</PicUrl><Url>{_cdata(a.url)}</Url>"
            "</item>"
            for a in out.articles[:MAX_PASSIVE_ARTICLES]
        )
        count = min(len(out.articles), MAX_PASSIVE_ARTICLES)
        body = (
            f"<MsgType><![CDATA[news]]></MsgType><ArticleCount>{count}</ArticleCount>"
            f"<Articles>{items}</Articles>"
        )
    else:
        body = "<MsgType><![CDATA[transfer_customer_service]]></MsgType>"
        if out.kf_account:
            body += f"<TransInfo><KfAccount>{_cdata(out.kf_account)}</KfAccount></TransInfo>"
    return f"<xml>{head}{body}</xml>"


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"
