"""A read-only link to one map for a plain browser: `<chat>.<number>.<expiry>.<signature>`,
signed with a key derived from the bot token (so it needs no table, and a new token revokes
every link). Whoever holds the link sees the map until it expires; nothing can be changed
through it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

SHAPE = re.compile(r"^(-?\d{1,20})\.(\d{1,6})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


class InvalidLink(Exception):
    """Not a link this bot made, or an expired one."""


@dataclass(frozen=True)
class MapLink:
    chat_id: str
    number: int
    expires: int


def _key(bot_token: str) -> bytes:
    return hmac.new(b"journeybot read-only map link", bot_token.encode(), hashlib.sha256).digest()


def _signature(bot_token: str, body: str) -> str:
    digest = hmac.new(_key(bot_token), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make(
    chat_id: str, number: int, bot_token: str, seconds: float, now: float | None = None
) -> str:
    expires = int((time.time() if now is None else now) + seconds)
    body = f"{int(chat_id)}.{number}.{expires}"
    return f"{body}.{_signature(bot_token, body)}"


def check(token: str, bot_token: str, now: float | None = None) -> MapLink:
    found = SHAPE.match(token)
    if found is None:
        raise InvalidLink("not a map link")
    chat, number, expires, signature = found.groups()
    body = f"{chat}.{number}.{expires}"
    if not hmac.compare_digest(signature, _signature(bot_token, body)):
        raise InvalidLink("not a map link of this bot")
    if int(expires) < (time.time() if now is None else now):
        raise InvalidLink("the link has expired")
    return MapLink(chat, int(number), int(expires))
