"""The in-process seam (tests/inprocess.py) answers as the fake's HTTP server does: the same
results, the same PTB exceptions for injected faults, and the courier's "in flight" note
at the same point — so a test moved off HTTP still tests what production does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from bot.wire import ON_THE_WIRE, WireTransport
from tests.e2e import Person
from tests.fakebotapi import FakeBotApi
from tests.inprocess import FakeRequest, InProcessBot

pytestmark = pytest.mark.timeout(60)


def over_http(read_timeout: float = 5.0) -> HTTPXRequest:
    """As the bot's own (bot/app.py bot_request): httpx through WireTransport."""
    return HTTPXRequest(
        read_timeout=read_timeout,
        httpx_kwargs={"transport": WireTransport(httpx.AsyncHTTPTransport())},
    )


def both(api: FakeBotApi, read_timeout: float = 5.0) -> dict[str, BaseRequest]:
    return {"http": over_http(read_timeout), "inprocess": FakeRequest(api, read_timeout)}


FAULTS: dict[str, dict[str, Any]] = {
    "429": {"status": 429, "retry_after": 3},
    "400": {"status": 400, "description": "Bad Request: message text is empty"},
    "403": {"status": 403, "description": "Forbidden: bot was blocked by the user"},
    "500": {"status": 500},
    "502 page": {"status": 502},
    "dropped": {"status": 0, "drop": True},
    "too slow": {"status": 200, "delay": 1.0, "processed": True},
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_a_failed_send_raises_what_it_raises_over_http(
    api: FakeBotApi, fault: dict[str, Any]
) -> None:
    chat = api.private_chat(api.new_user("Ann", "ann"))
    raised: dict[str, TelegramError] = {}
    for name, request in both(api, read_timeout=0.5).items():
        async with Bot(api.token, base_url=api.base_url, request=request) as bot:
            api.fail_next("sendMessage", **fault)
            with pytest.raises(TelegramError) as caught:
                await bot.send_message(chat.id, "hello")
            raised[name] = caught.value
    http, inprocess = raised["http"], raised["inprocess"]
    assert (type(inprocess), str(inprocess)) == (type(http), str(http))  # "Retry in 3 seconds"


async def test_sends_and_uploads_come_back_alike(api: FakeBotApi) -> None:
    chat = api.private_chat(api.new_user("Ann", "ann"))
    got = {}
    for name, request in both(api).items():
        async with Bot(api.token, base_url=api.base_url, request=request) as bot:
            text = await bot.send_message(chat.id, "<b>hi</b>", parse_mode="HTML")
            document = await bot.send_document(chat.id, b"%PDF-1.4 tiny", filename="map.pdf")
        got[name] = (text.text, text.entities, document.document.file_name)
    assert got["inprocess"] == got["http"]
    assert [m.method for m in api.sent] == ["sendMessage", "sendDocument"] * 2


async def test_the_in_flight_note_comes_before_the_fake_has_the_request(api: FakeBotApi) -> None:
    """bot/wire.py: the courier's note is written before Telegram could act on the post."""
    chat = api.private_chat(api.new_user("Ann", "ann"))
    notes: dict[str, list[int]] = {}
    for name, request in both(api).items():
        seen: list[int] = []

        async def written(seen: list[int] = seen) -> None:
            seen.append(len(api.sent))  # what the fake had carried out at that moment

        async with Bot(api.token, base_url=api.base_url, request=request) as bot:
            before = len(api.sent)
            token = ON_THE_WIRE.set(written)
            try:
                await bot.send_message(chat.id, "hello")
                await bot.send_document(chat.id, b"data", filename="a.txt")
            finally:
                ON_THE_WIRE.reset(token)
            await bot.send_message(chat.id, "not noted")  # no hook set: nothing noted
        notes[name] = [n - before for n in seen]
    assert notes == {"http": [0, 1], "inprocess": [0, 1]}


async def test_the_bot_in_process_answers_and_logs_as_the_process_does(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot = InProcessBot(api, sqlite_url, tmp_path)
    await bot.start()
    try:
        user = api.new_user("Sari", "sari", language_code="en")
        me = Person(api, api.private_chat(user), user)
        me.command("start")
        await me.sees("map their customers")
    finally:
        await bot.stop()
    assert "INFO journeybot: journeybot is running as @journey_test_bot (polling)" in bot.output()
    assert api.token not in bot.output()
    # Each call answered; but the long poll the stop left behind, ended by the last
    # getUpdates (409), as over HTTP.
    failed = [c for c in api.calls if c.status != 200]
    assert [c.method for c in failed] in ([], ["getUpdates"]), failed
