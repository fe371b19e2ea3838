"""Who opened the Mini App: Telegram's `initData`, checked as its documentation says.

Telegram signs the launch parameters it hands the page with a key derived from the bot token:
secret = HMAC-SHA256(key="WebAppData", message=bot_token); hash = hex HMAC-SHA256(key=secret,
message=data-check-string), where the data-check-string is every received field but `hash`,
as `key=value`, sorted by key, joined by newlines. A page opened long ago (or replayed) is
refused by its `auth_date`."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_INIT_DATA = 4096  # characters; Telegram's are well under 1 KB
CLOCK_SKEW = 60  # seconds an auth_date may lie in the future (clocks differ a little)


class InvalidInitData(Exception):
    """The initData is missing, malformed, forged or too old; the message says which."""


@dataclass(frozen=True)
class WebAppUser:
    id: int
    name: str
    language: str | None = None
    start_param: str = ""  # what a t.me direct link passed (`?startapp=`)


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def _fields(init_data: str) -> dict[str, str]:
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InvalidInitData("no initData" if not init_data else "initData too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("a field of initData is given twice")
    return fields


def validate(
    init_data: str, bot_token: str, max_age: float, now: float | None = None
) -> WebAppUser:
    """The user the initData was signed for, or InvalidInitData."""
    fields = _fields(init_data)
    given = fields.get("hash", "")
    expected = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InvalidInitData("initData is not signed by this bot")
    try:
        signed_at = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise InvalidInitData("initData has no auth_date") from None
    now = time.time() if now is None else now
    if now - signed_at > max_age or signed_at - now > CLOCK_SKEW:
        raise InvalidInitData("initData has expired: open the map again from the chat")
    try:
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InvalidInitData("initData names no user") from None
    name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
    return WebAppUser(
        id=user_id,
        name=name or str(user.get("username") or user_id),
        language=user.get("language_code"),
        start_param=fields.get("start_param", ""),
    )


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would make it for these fields (tests, and `journeybot` tools)."""
    fields = {k: v for k, v in fields.items() if k != "hash"}
    digest = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode({**fields, "hash": digest})


def init_data_for(
    user_id: int,
    bot_token: str,
    *,
    first_name: str = "Test",
    language: str = "en",
    auth_date: float | None = None,
    start_param: str = "",
) -> str:
    """A signed initData for one user (as a web_app button's launch would carry)."""
    user = {"id": user_id, "first_name": first_name, "language_code": language}
    fields = {
        "auth_date": str(int(time.time() if auth_date is None else auth_date)),
        "query_id": "AAH" + str(user_id),
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
    }
    if start_param:
        fields["start_param"] = start_param
    return sign(fields, bot_token)
