"""The Mini App's initData check (Telegram's documented HMAC-SHA256 scheme) and the signed,
expiring read-only links."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import quote, urlencode

import pytest

from bot.webapp import initdata, links
from bot.webapp.initdata import InvalidInitData

TOKEN = "123456:ABC-secret_token"
USER = {"id": 42, "first_name": "Maya", "last_name": "K", "language_code": "pl"}


def telegram_init_data(fields: dict[str, str], token: str = TOKEN) -> str:
    """Made the way Telegram's documentation describes it, independently of the module."""
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest}, quote_via=quote)


def fields(**extra: str) -> dict[str, str]:
    return {
        "auth_date": str(int(time.time())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(USER, separators=(",", ":")),
        "signature": "opaque-ed25519-signature",
        **extra,
    }


def test_valid_init_data_names_its_user() -> None:
    user = initdata.validate(telegram_init_data(fields(start_param="c-100_3")), TOKEN, 3600)
    assert (user.id, user.name, user.language, user.start_param) == (42, "Maya K", "pl", "c-100_3")


def test_the_modules_own_signing_matches_telegrams() -> None:
    made = initdata.init_data_for(7, TOKEN, first_name="Ana")
    assert initdata.validate(made, TOKEN, 60).id == 7


@pytest.mark.parametrize(
    "forge",
    [
        lambda s: s.replace("%22id%22%3A42", "%22id%22%3A43"),  # another user, same hash
        lambda s: s.replace("hash=", "hash=0"),
        lambda s: s + "&hash=" + "0" * 64,  # hash given twice
        lambda s: s.split("&hash=")[0],  # no hash
        lambda s: "",
        lambda s: "%%%",
    ],
)
def test_forged_init_data_is_refused(forge) -> None:  # type: ignore[no-untyped-def]
    good = telegram_init_data(fields())
    assert initdata.validate(good, TOKEN, 3600).id == 42
    with pytest.raises(InvalidInitData):
        initdata.validate(forge(good), TOKEN, 3600)


def test_init_data_of_another_bot_is_refused() -> None:
    other = telegram_init_data(fields(), token="999:other")
    with pytest.raises(InvalidInitData, match="not signed"):
        initdata.validate(other, TOKEN, 3600)


def test_expired_and_future_init_data_is_refused() -> None:
    old = telegram_init_data(fields(auth_date=str(int(time.time()) - 7200)))
    with pytest.raises(InvalidInitData, match="expired"):
        initdata.validate(old, TOKEN, 3600)
    assert initdata.validate(old, TOKEN, 3 * 3600).id == 42
    future = telegram_init_data(fields(auth_date=str(int(time.time()) + 3600)))
    with pytest.raises(InvalidInitData, match="expired"):
        initdata.validate(future, TOKEN, 3600)


def test_signed_but_userless_init_data_is_refused() -> None:
    data = fields()
    del data["user"]
    with pytest.raises(InvalidInitData, match="no user"):
        initdata.validate(telegram_init_data(data), TOKEN, 3600)


def test_read_only_link_round_trip_and_refusals() -> None:
    now = time.time()
    token = links.make("-1001234", 3, TOKEN, 3600, now=now)
    found = links.check(token, TOKEN, now=now + 10)
    assert (found.chat_id, found.number) == ("-1001234", 3)
    with pytest.raises(links.InvalidLink, match="expired"):
        links.check(token, TOKEN, now=now + 3601)
    with pytest.raises(links.InvalidLink):
        links.check(token, "999:other", now=now)
    chat, number, expires, signature = token.split(".")
    for forged in (
        f"{chat}.4.{expires}.{signature}",  # another map
        f"-1009.{number}.{expires}.{signature}",  # another chat
        f"{chat}.{number}.{int(expires) + 99999}.{signature}",  # a longer life
        "garbage",
    ):
        with pytest.raises(links.InvalidLink):
            links.check(forged, TOKEN, now=now)


def test_requests_are_counted_in_a_sliding_window(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.webapp import service

    now = [1000.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: now[0])
    window = service.Window(3, 60.0)
    assert [window.hit("a") for _ in range(4)] == [True, True, True, False]
    assert window.full("a") and not window.full("b")
    assert window.hit("b")  # each key its own count
    now[0] += 61
    assert window.hit("a")
