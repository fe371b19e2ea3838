"""Engine replies as Telegram messages: HTML text (user text escaped), inline keyboards,
ForceReply in groups, and Telegram's message limit: long text split (`split`), blocks of text
packed into as few messages as fit (`pack`, the checklist). Only bot/ knows the limit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from flows.i18n import Text, domain, escape_html
from flows.questions import NEXT, Reply
from flows.steps import Kind
from renderers.checklist import Block

tr = domain(Path(__file__).parent / "locales")

MESSAGE_LIMIT = 4096  # characters Telegram takes in one message (UTF-16 code units)
CAPTION_LIMIT = 1024
TALL_KEYBOARD = 6  # more choices than this are laid out two a row


@dataclass(frozen=True)
class Outgoing:
    html: str
    markup: InlineKeyboardMarkup | ForceReply | None = None
    position: str | None = None  # the question it asks (Position.token()), if any


def html_of(reply: Reply, lang: str) -> str:
    body = tr.render(reply.text, lang, escape=escape_html)
    if reply.progress is None:
        return body
    return f"<i>{tr.render(reply.progress, lang, escape=escape_html)}</i>\n{body}"


def keyboard(reply: Reply, lang: str, group: bool = False) -> InlineKeyboardMarkup | None:
    if reply.position is None:
        return None
    token = reply.position.token()
    commands = reply.commands
    kind = reply.position.step.kind
    asks = reply.progress is not None  # the question itself (not an aside, e.g. "cancel?")
    if group and asks and kind in (Kind.LIST, Kind.EMOTION) and not {"done", NEXT} & set(commands):
        # Members' answers are confirmed by reactions, and everyone rates until the
        # facilitator moves on, so the question itself carries the facilitator's Done.
        commands = (*commands, "done")
    buttons = [
        InlineKeyboardButton(tr.render(c.label, lang), callback_data=_answer(token, c.value))
        for c in reply.choices
    ]
    rows = [[button] for button in buttons]
    if reply.rows:  # the emotion question: a persona's name, then its row of faces
        rows, at = [], 0
        for size in reply.rows:
            rows.append(buttons[at : at + size])
            at += size
    elif len(buttons) > TALL_KEYBOARD and not reply.toggles:
        # The review screen's many jump targets: the first (Finish) alone, then two a row, so
        # the keyboard fits a phone screen.
        rest = buttons[1:]
        rows = [[buttons[0]]] + [rest[i : i + 2] for i in range(0, len(rest), 2)]
    command_row = [
        InlineKeyboardButton(
            tr(lang, f"cmd.{name}"), callback_data=callbacks.pack(callbacks.COMMAND, token, name)
        )
        for name in commands
    ]
    if command_row:
        rows.append(command_row)
    return InlineKeyboardMarkup(rows) if rows else None


def _answer(token: str, value: str) -> str:
    return callbacks.pack(callbacks.ANSWER, token, value)


def outgoing(reply: Reply, lang: str, group: bool) -> list[Outgoing]:
    """One engine reply as one or more messages (long text split; the markup on the last)."""
    text = html_of(reply, lang)
    if reply.toggles:
        text += "\n\n" + tr(lang, "bot.tap_hint")
    markup: InlineKeyboardMarkup | ForceReply | None = keyboard(reply, lang, group)
    if group and reply.position is not None:
        # With privacy mode on, the bot sees only replies to its messages: ask for one.
        text += "\n\n" + tr(lang, "bot.reply_hint")
        if markup is None:
            markup = ForceReply(selective=False)
    parts = split(text)
    token = reply.position.token() if reply.position else None
    return [Outgoing(p) for p in parts[:-1]] + [Outgoing(parts[-1], markup, token)]


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def split(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Text cut into messages of at most `limit`, at line ends where possible.

    Text here is our HTML with tags only around single lines (<i>, <b>), so a cut at a line
    end never splits a tag."""
    if telegram_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if telegram_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while telegram_length(line) > limit:  # one line longer than a message
            cut = _fit(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        parts.append(current)
    return parts


def pack(blocks: Sequence[Block], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Blocks (a heading and its rows) in as few messages as fit under `limit`, a blank line
    between blocks: a block goes whole where it fits, else whole into the next message; only a
    block too long for any message is split between its rows, the rest under its `continued`
    heading."""
    messages: list[str] = []
    current = ""

    def joined(text: str) -> str:
        return f"{current}\n\n{text}" if current else text

    def fits(text: str) -> bool:
        return telegram_length(joined(text)) <= limit

    def close() -> None:
        nonlocal current
        if current:
            messages.append(current)
        current = ""

    for block in blocks:
        whole = block.text()
        if not fits(whole) and telegram_length(whole) <= limit:
            close()
        if fits(whole):
            current = joined(whole)
            continue
        rows: tuple[str, ...] = ()
        continued = False
        for row in block.rows:
            if fits(block.text((*rows, row), continued)):
                rows = (*rows, row)
                continue
            if rows:
                current = joined(block.text(rows, continued))
                continued = True
            close()
            rows = (row,)
        if rows:
            current = joined(block.text(rows, continued))
    close()
    # A row longer than a message cannot come from the checklist (its user text is
    # shortened); should one come, it is cut rather than refused by Telegram.
    return [part for message in messages for part in split(message, limit)]


def _fit(line: str, limit: int) -> int:
    cut = min(len(line), limit)
    while telegram_length(line[:cut]) > limit:
        cut -= 1
    space = line.rfind(" ", 0, cut)
    return space if space > cut // 2 else cut


def caption(text: str) -> str:
    """A photo caption kept within Telegram's 1024 characters."""
    if telegram_length(text) <= CAPTION_LIMIT:
        return text
    cut = CAPTION_LIMIT - 1
    while telegram_length(text[:cut]) > CAPTION_LIMIT - 1:
        cut -= 1
    return text[:cut] + "…"


def html_to_text(html: str) -> str:
    """Our HTML as plain text (for a button's toast, which shows no formatting)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def t(lang: str, key: str, **params: object) -> str:
    """A bot message in HTML, with the user-supplied values escaped."""
    return tr.render(Text(key, params), lang, escape=escape_html)
