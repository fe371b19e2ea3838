"""Tests of the fake Telegram Bot API, driven by the real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebotapi import SECRET_HEADER, FakeBotApi, WaitTimeout, make_png
from tests.fakebotapi.formatting import EntityParseError, parse_html

pytestmark = pytest.mark.timeout(30)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as real:
        yield real


def build_app(api: FakeBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    return (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )


async def run_polling(
    app: Application[Any, Any, Any, Any, Any, Any], body: Callable[[], Awaitable[None]]
) -> None:
    """Run ``body`` while ``app`` polls the fake server (10 s long polls)."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=10))
    try:
        await body()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after  # int in PTB 22 unless PTB_TIMEDELTA=1
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# --------------------------------------------------------------------------- basics


async def test_get_me_and_bot_identity(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456789
    assert me.username == "journey_test_bot"
    assert me.is_bot is True
    assert me.can_read_all_group_messages is False  # privacy mode on
    assert api.calls_of("getMe")[0].status == 200


async def test_wrong_token_unknown_method_and_raw_bodies(api: FakeBotApi) -> None:
    alice = api.new_user("Alice", "alice")
    chat = api.private_chat(alice)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.base_url}123:WRONG/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.post(f"{api.base_url}{api.token}/noSuchMethod") as resp:
            assert resp.status == 404
            assert (await resp.json())["description"] == "Not Found: method not found"
        # JSON body with native types
        async with session.post(
            f"{api.base_url}{api.token}/sendMessage", json={"chat_id": chat.id, "text": "json"}
        ) as resp:
            body = await resp.json()
            assert resp.status == 200 and body["ok"] is True
            assert body["result"]["text"] == "json"
            assert body["result"]["message_id"] == 1
        # form-urlencoded, method name case-insensitive like Telegram
        async with session.post(
            f"{api.base_url}{api.token}/SENDMESSAGE", data={"chat_id": str(chat.id), "text": "f"}
        ) as resp:
            body = await resp.json()
            assert body["result"]["message_id"] == 2
            assert body["result"]["from"]["is_bot"] is True
            assert body["result"]["chat"] == {
                "id": chat.id,
                "type": "private",
                "first_name": "Alice",
                "username": "alice",
            }
        # query string GET
        async with session.get(f"{api.base_url}{api.token}/getMe") as resp:
            assert (await resp.json())["result"]["username"] == "journey_test_bot"
    assert [m.text for m in api.sent] == ["json", "f"]


async def test_ptb_wrong_token_raises_invalid_token(api: FakeBotApi) -> None:
    wrong = Bot("42:not-the-token", base_url=api.base_url)
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        await wrong.initialize()
    api.revoke_token()
    revoked = Bot(api.token, base_url=api.base_url)
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        await revoked.initialize()
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await revoked.get_me()


async def test_chat_not_found_and_blocked_user(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(987654, "hello?")
    bob = api.new_user("Bob")
    api.private_chat(bob)
    api.block_bot(bob)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(bob.id, "hi")


# --------------------------------------------------------------------------- applications


async def test_echo_application_receives_queued_message(api: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    app = build_app(api)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    alice = api.new_user("Alice", "alice", language_code="de")
    chat = api.private_chat(alice)

    async def body() -> None:
        await asyncio.sleep(0.2)  # the updater is now inside a 10 s long poll
        started = time.monotonic()
        update = api.user_text(chat, alice, "Hallo Welt")
        assert update is not None
        reply = await api.wait_for(chat=chat, timeout=5)
        # long polling returned as soon as the update was queued, not after 10 s
        assert time.monotonic() - started < 3
        assert reply.text == "echo: Hallo Welt"
        assert reply.method == "sendMessage"
        assert reply.message_id == 2  # the user's message was 1
        await api.wait_delivered(timeout=5)

    await run_polling(app, body)
    visible = api.messages_in(chat)
    assert [m.text for m in visible] == ["echo: Hallo Welt"]
    everything = api.messages_in(chat, include_user_messages=True)
    assert [(m.message_id, m.from_bot) for m in everything] == [(1, False), (2, True)]
    assert api.pending_updates == 0


async def test_button_press_reaches_callback_handler(api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Yes", callback_data="answer:yes")],
                [InlineKeyboardButton("No", callback_data="answer:no")],
            ]
        )
        await update.effective_message.reply_text("Ready?", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer(f"got {query.data}")
        await query.edit_message_text(f"You chose {query.data}")

    app = build_app(api)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    alice = api.new_user("Alice", "alice")
    chat = api.private_chat(alice)

    async def body() -> None:
        api.user_command(chat, alice, "start")
        question = await api.wait_for("Ready?", chat=chat)
        assert [b["text"] for b in question.buttons] == ["Yes", "No"]
        assert api.last_keyboard(chat) == question.reply_markup
        assert question.message_id is not None
        with pytest.raises(LookupError):
            api.press_button(chat, alice, question.message_id, "answer:maybe")

        query_id = api.press_button(chat, alice, question.message_id, "answer:no")
        answer = await api.wait_for_callback_answer(query_id, timeout=5)
        assert answer.text == "got answer:no"
        assert answer.message_id == question.message_id
        edit = await api.wait_for(method="editMessageText", chat=chat)
        assert edit.text == "You chose answer:no"

    await run_polling(app, body)
    [message] = api.messages_in(chat)
    assert message.text == "You chose answer:no"
    assert message.edit_date is not None
    # editMessageText without reply_markup removed the keyboard, as on Telegram
    assert message.reply_markup is None
    assert api.last_keyboard(chat) is None


async def test_duplicate_delivery_reaches_handler_twice(api: FakeBotApi) -> None:
    seen: list[int] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    app = build_app(api)
    app.add_handler(MessageHandler(filters.ALL, record))
    alice = api.new_user("Alice")
    chat = api.private_chat(alice)

    async def body() -> None:
        update = api.user_text(chat, alice, "pay 10 EUR")
        assert update is not None
        await api.wait_until(lambda: len(seen) == 1, 5)
        await api.wait_delivered()
        api.redeliver(update)
        await api.wait_until(lambda: len(seen) == 2, 5)

    await run_polling(app, body)
    assert seen[0] == seen[1]


# --------------------------------------------------------------------------- limits


async def test_web_app_buttons_only_in_private_chats(api: FakeBotApi, bot: Bot) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

    alice = api.new_user("Alice")
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open", web_app=WebAppInfo("https://example.com/app/"))]]
    )
    sent = await bot.send_message(api.private_chat(alice).id, "map", reply_markup=markup)
    assert sent.reply_markup is not None
    group = api.new_group("Team", [alice])
    with pytest.raises(BadRequest, match="Button_type_invalid"):
        await bot.send_message(group.id, "map", reply_markup=markup)


async def test_text_limits(api: FakeBotApi, bot: Bot) -> None:
    alice = api.new_user("Alice")
    chat = api.private_chat(alice)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(chat.id, "x" * 4097)
    ok = await bot.send_message(chat.id, "x" * 4096)
    assert ok.text is not None and len(ok.text) == 4096
    # the limit counts characters after entity parsing: markup does not count
    long_html = "<b>" + "y" * 4096 + "</b>"
    bold = await bot.send_message(chat.id, long_html, parse_mode=ParseMode.HTML)
    assert bold.text is not None and len(bold.text) == 4096
    # default unit is code points: 4096 emoji (8192 UTF-16 units) are accepted
    await bot.send_message(chat.id, "😀" * 4096)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(chat.id, "   ")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(chat.id, make_png(4, 4), caption="c" * 1025)
    assert [m.method for m in api.sent] == ["sendMessage"] * 3


async def test_utf16_length_unit() -> None:
    async with FakeBotApi(length_unit="utf16") as api:
        chat = api.private_chat(api.new_user("Alice"))
        async with Bot(api.token, base_url=api.base_url) as bot:
            with pytest.raises(BadRequest, match="Message is too long"):
                await bot.send_message(chat.id, "😀" * 2049)
            await bot.send_message(chat.id, "😀" * 2048)


async def test_callback_data_limit(api: FakeBotApi, bot: Bot) -> None:
    chat = api.private_chat(api.new_user("Alice"))

    def markup(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=data)]])

    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(chat.id, "pick", reply_markup=markup("a" * 65))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(chat.id, "pick", reply_markup=markup("é" * 33))  # 66 bytes
    message = await bot.send_message(chat.id, "pick", reply_markup=markup("a" * 64))
    assert message.reply_markup is not None
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "a" * 64
    assert len(api.sent) == 1


async def test_html_validation(api: FakeBotApi, bot: Bot) -> None:
    chat = api.private_chat(api.new_user("Alice"))
    bad = {
        "<b>bold": 'can\'t find end tag corresponding to start tag "b"',
        "<foo>x</foo>": 'unsupported start tag "foo" at byte offset 0',
        "1 < 2": 'unsupported start tag "" at byte offset 2',
        "<b>x</i>": "unmatched end tag",
        '<span class="x">s</span>': 'tag "span" must have class "tg-spoiler"',
        "x<br>y": 'unsupported start tag "br"',
    }
    for text, expected in bad.items():
        with pytest.raises(BadRequest) as info:
            await bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)
        assert "Can't parse entities" in info.value.message
        assert expected in info.value.message.lower()
    message = await bot.send_message(
        chat.id,
        '<b>R&amp;D</b> &lt;ok&gt; R&D <a href="https://example.org">link</a>'
        ' <span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler>',
        parse_mode=ParseMode.HTML,
    )
    assert message.text == "R&D <ok> R&D link s t"
    kinds = [(e.type, e.offset, e.length) for e in message.entities]
    assert kinds == [("bold", 0, 3), ("text_link", 13, 4), ("spoiler", 18, 1), ("spoiler", 20, 1)]
    assert api.sent[-1].text.startswith("<b>R&amp;D</b>")
    assert api.sent[-1].plain_text == message.text


async def test_markdown_is_not_faked(api: FakeBotApi, bot: Bot) -> None:
    """The bot sends HTML only; a Markdown request is refused rather than half-checked."""
    chat = api.private_chat(api.new_user("Alice"))
    with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
        await bot.send_message(chat.id, "*Done*\\.", parse_mode=ParseMode.MARKDOWN_V2)


def test_parsers_directly() -> None:
    text, entities = parse_html("😀<b>é</b>")
    assert (text, entities) == ("😀é", [{"type": "bold", "offset": 2, "length": 1}])
    with pytest.raises(EntityParseError, match="Unclosed start tag"):
        parse_html("<b")
    with pytest.raises(EntityParseError, match="Unsupported HTML entity"):
        parse_html("R&D", strict_entities=True)


async def test_edit_and_delete_errors(api: FakeBotApi, bot: Bot) -> None:
    chat = api.private_chat(api.new_user("Alice"))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new", chat_id=chat.id, message_id=99)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data="go")]])
    sent = await bot.send_message(chat.id, "same", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=chat.id, message_id=sent.message_id, reply_markup=keyboard
        )
    # keyboard-only edit, then removing it
    await bot.edit_message_reply_markup(
        chat.id,
        sent.message_id,
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("stop", callback_data="s")]]),
    )
    assert api.reply_markup_of(chat, sent.message_id) == {
        "inline_keyboard": [[{"text": "stop", "callback_data": "s"}]]
    }
    await bot.edit_message_reply_markup(chat.id, sent.message_id)
    assert api.reply_markup_of(chat, sent.message_id) is None
    assert await bot.delete_message(chat.id, sent.message_id) is True
    assert api.messages_in(chat) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(chat.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(chat.id, "re", reply_to_message_id=sent.message_id)
    methods = [m.method for m in api.sent]
    assert methods == [
        "sendMessage",
        "editMessageReplyMarkup",
        "editMessageReplyMarkup",
        "deleteMessage",
    ]


# --------------------------------------------------------------------------- faults


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fail_next_429_raises_retry_after(api: FakeBotApi, bot: Bot) -> None:
    chat = api.private_chat(api.new_user("Alice"))
    api.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(chat.id, "flood")
    assert retry_seconds(info.value) == 3
    assert api.sent == []  # nothing was delivered
    assert api.calls_of("sendMessage")[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    retried = await bot.send_message(chat.id, "flood")
    assert retried.message_id == 1


async def test_server_errors_surface_as_network_errors(api: FakeBotApi, bot: Bot) -> None:
    chat = api.private_chat(api.new_user("Alice"))
    api.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(chat.id, "a")
    api.fail_next("sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(chat.id, "b")
    api.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(chat.id, "c")
    assert api.sent == []
    # the message went out, but the response was lost: the classic duplicate-on-retry case
    api.drop_next("sendMessage", processed=True)
    with pytest.raises(NetworkError):
        await bot.send_message(chat.id, "d")
    assert [m.text for m in api.sent] == ["d"]
    assert (await bot.send_message(chat.id, "e")).message_id == 2


# --------------------------------------------------------------------------- files


async def test_send_photo_dimensions_and_download(api: FakeBotApi, bot: Bot) -> None:
    chat = api.private_chat(api.new_user("Alice"))
    png = make_png(1200, 400)
    message = await bot.send_photo(chat.id, png, caption="<b>Your map</b>", parse_mode="HTML")
    largest = message.photo[-1]
    assert (largest.width, largest.height) == (1200, 400)
    assert [(p.width, p.height) for p in message.photo[:-1]] == [(90, 30), (320, 107), (800, 267)]
    assert message.caption == "Your map"
    record = api.sent[-1]
    assert record.method == "sendPhoto"
    assert record.files["photo"].data == png
    assert record.caption == "<b>Your map</b>"

    telegram_file = await bot.get_file(largest.file_id)
    assert telegram_file.file_size == len(png)
    assert bytes(await telegram_file.download_as_bytearray()) == png

    # resending by file_id reuses the stored photo
    again = await bot.send_photo(chat.id, largest.file_id)
    assert again.photo[-1].file_id == largest.file_id

    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(chat.id, make_png(201, 10))  # ratio > 20
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(chat.id, make_png(5001, 5000))  # w + h > 10000
    with pytest.raises(BadRequest, match="Photo_save_file_invalid"):
        await bot.send_photo(chat.id, png + b"\0" * (10 * 1024 * 1024))
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(chat.id, b"not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(chat.id, "AgACunknown")


async def test_send_document_and_user_uploads(api: FakeBotApi, bot: Bot) -> None:
    alice = api.new_user("Alice")
    chat = api.private_chat(alice)
    pdf = b"%PDF-1.4 fake"
    message = await bot.send_document(chat.id, pdf, filename="journey.pdf", caption="map")
    assert message.document is not None
    assert message.document.file_name == "journey.pdf"
    assert message.document.mime_type == "application/pdf"
    assert api.sent[-1].files["document"].filename == "journey.pdf"
    downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == pdf

    update = api.user_photo(chat, alice, width=30, height=20, caption="my shop")
    assert update is not None
    photo = update["message"]["photo"][-1]
    assert (photo["width"], photo["height"]) == (30, 20)
    data = await (await bot.get_file(photo["file_id"])).download_as_bytearray()
    assert bytes(data) == make_png(30, 20)

    sticker_update = api.user_sticker(chat, alice, "🔥")
    assert sticker_update is not None
    parsed = Update.de_json(sticker_update, bot)
    assert parsed.message is not None and parsed.message.sticker is not None
    assert parsed.message.sticker.emoji == "🔥"


# --------------------------------------------------------------------------- updates


async def test_get_updates_long_polling_semantics(api: FakeBotApi, bot: Bot) -> None:
    alice = api.new_user("Alice")
    chat = api.private_chat(alice)
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25  # really waited

    asyncio.get_running_loop().call_later(0.2, api.user_text, chat, alice, "late")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    assert time.monotonic() - started < 2  # returned early
    assert [u.message.text for u in updates if u.message] == ["late"]

    for i in range(3):
        api.user_text(chat, alice, f"m{i}")
    first = updates[0].update_id
    batch = await bot.get_updates(offset=first + 1, limit=2)
    assert [u.message.text for u in batch if u.message] == ["m0", "m1"]
    # not confirmed yet: served again
    batch = await bot.get_updates(offset=first + 1)
    assert [u.message.text for u in batch if u.message] == ["m0", "m1", "m2"]
    # confirmed
    assert await bot.get_updates(offset=batch[-1].update_id + 1) == ()

    # a second poller terminates the first one, like two bot instances on Telegram
    first_poll = asyncio.create_task(bot.get_updates(offset=batch[-1].update_id + 1, timeout=5))
    await asyncio.sleep(0.1)
    # (PTB's get_updates pool has a single connection, so the second poller is another Bot)
    async with Bot(api.token, base_url=api.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first_poll

    # allowed_updates filters out other kinds
    api.user_text(chat, alice, "text")
    sent = await bot.send_message(
        chat.id,
        "q",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="b")]]),
    )
    api.press_button(chat, alice, sent.message_id, "b")
    only_callbacks = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in only_callbacks if u.callback_query] == ["b"]
    assert all(u.message is None for u in only_callbacks)


async def test_group_privacy_mode(api: FakeBotApi, bot: Bot) -> None:
    owner = api.new_user("Olga", "olga")
    alice = api.new_user("Alice", "alice")
    bob = api.new_user("Bob", "bob")
    group = api.new_group("Cafe team", [alice, bob], admins=[alice], owner=owner)
    assert group.type == "supergroup" and group.id < 0

    assert api.group_message(group, bob, "just chatting") is None
    assert api.group_message(group, bob, "/start@other_bot") is None
    mentioned = api.group_message(group, bob, "hey @journey_test_bot, help")
    assert mentioned is not None
    command = api.user_command(group, alice, "map", "now")
    assert command is not None
    assert command["message"]["text"] == "/map@journey_test_bot now"
    assert command["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 21}]
    bot_message = await bot.send_message(group.id, "I am here")
    reply = api.group_message(group, bob, "thanks", reply_to=bot_message.message_id)
    assert reply is not None
    assert reply["message"]["reply_to_message"]["message_id"] == bot_message.message_id

    updates = await bot.get_updates()
    texts = [u.message.text for u in updates if u.message]
    assert texts == ["hey @journey_test_bot, help", "/map@journey_test_bot now", "thanks"]
    # hidden messages still used message ids
    assert [u.message.message_id for u in updates if u.message] == [3, 4, 6]

    # admin checks as a bot would do them
    member = await bot.get_chat_member(group.id, alice.id)
    assert member.status == "administrator"
    assert (await bot.get_chat_member(group.id, bob.id)).status == "member"
    admins = await bot.get_chat_administrators(group.id)
    assert sorted(a.user.id for a in admins) == sorted([owner.id, alice.id])
    info = await bot.get_chat(group.id)
    assert (info.title, info.type) == ("Cafe team", "supergroup")

    # a bot that is admin sees everything
    api.set_member(group, api.bot_user, "administrator")
    assert api.group_message(group, bob, "just chatting") is not None


async def test_commands_per_scope_and_language(api: FakeBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("map", "Map")])
    await bot.set_my_commands(
        [BotCommand("start", "Starten")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="de",
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start", "map"]
    german = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="de")
    assert [(c.command, c.description) for c in german] == [("start", "Starten")]
    assert await bot.get_my_commands(scope=BotCommandScopeChat(-100)) == ()
    assert api.commands({"type": "all_private_chats"}, "de")[0]["description"] == "Starten"
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


# --------------------------------------------------------------------------- webhooks


async def test_webhook_delivery_with_secret_and_retry(api: FakeBotApi, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    statuses = [500]  # first delivery fails, Telegram retries

    async def receive(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=statuses.pop(0) if statuses else 200)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    api.webhook_retry_delay = 0.05
    try:
        alice = api.new_user("Alice")
        chat = api.private_chat(alice)
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t-Token")
        update = api.user_text(chat, alice, "via webhook")
        assert update is not None
        await api.wait_until(lambda: len(received) == 2, 5)
        await api.wait_delivered()
        assert [r[0] for r in received] == ["s3cr3t-Token", "s3cr3t-Token"]
        assert received[1][1] == update
        assert api.webhook_deliveries == [(update["update_id"], 500), (update["update_id"], 200)]
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        with pytest.raises(BadRequest, match="Bad webhook"):
            await bot.set_webhook("https://example.com/hook")
        assert await bot.delete_webhook()
        api.user_text(chat, alice, "polling again")
        assert [u.message.text for u in await bot.get_updates() if u.message] == ["polling again"]
    finally:
        await runner.cleanup()


async def test_ptb_application_in_webhook_mode(api: FakeBotApi) -> None:
    """The fake server delivers to a webhook as Telegram does: a POST with the secret header,
    retried while the receiver refuses. The receiver is a custom webhook (PTB's own example
    does the same with Starlette), feeding the Application's update queue."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"hook: {update.effective_message.text}")

    app = build_app(api)
    app.add_handler(MessageHandler(filters.TEXT, echo))

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != "topsecret":
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    receiver = web.Application()
    receiver.router.add_post("/tg", receive)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    alice = api.new_user("Alice")
    chat = api.private_chat(alice)
    await app.initialize()
    await app.start()
    await app.bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token="topsecret")
    try:
        assert api.webhook is not None and api.webhook.secret_token == "topsecret"
        api.user_text(chat, alice, "ping")
        reply = await api.wait_for(chat=chat, timeout=5)
        assert reply.text == "hook: ping"
        # a wrong secret is refused by the receiver -> Telegram keeps the update and retries
        api.webhook.secret_token = "wrong"
        api.user_text(chat, alice, "forged")
        await api.wait_until(lambda: api.webhook_deliveries[-1][1] == 403, 5)
        assert api.pending_updates == 1
    finally:
        await app.stop()
        await app.shutdown()
        await runner.cleanup()
    assert [m.text for m in api.messages_in(chat)] == ["hook: ping"]


# --------------------------------------------------------------------------- thread mode


def test_thread_mode_for_synchronous_tests() -> None:
    with FakeBotApi() as api:
        alice = api.new_user("Alice")
        chat = api.private_chat(alice)
        api.user_text(chat, alice, "hello from a thread")
        url = f"{api.base_url}{api.token}/getUpdates?timeout=1"
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = json.load(resp)
        assert [u["message"]["text"] for u in body["result"]] == ["hello from a thread"]
        request = urllib.request.Request(
            f"{api.base_url}{api.token}/sendMessage",
            data=json.dumps({"chat_id": chat.id, "text": "hi"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=5).close()
        assert api.wait_for_sync("hi", timeout=2).message_id == 2
        with pytest.raises(WaitTimeout, match="no matching message"):
            api.wait_for_sync("never", timeout=0.1)
