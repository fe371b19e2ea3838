"""The python-telegram-bot Application and its handlers (`journeybot run` starts it from
bot/startup.py, polling with bot/polling.py or a webhook served by bot/server.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest

from bot import commands, metrics
from bot.budget import Budget, LocalBudget, RedisBudget
from bot.config import Settings
from bot.courier import Courier
from bot.grouplimit import GroupWindow
from bot.handlers import JourneyBot
from bot.maps import Desk
from bot.ordering import PerChatUpdateProcessor
from bot.polling import POLL_TIMEOUT
from bot.ratelimit import RetryingRateLimiter
from bot.reminders import Reminders
from bot.rendering import PoolRenderer
from bot.replies import t
from bot.roles import Admins
from bot.updates import UpdatesRequest
from bot.wire import WireTransport
from flows.spec import LANGUAGES, pick_language
from storage.database import is_sqlite
from storage.repository import Store

log = logging.getLogger("journeybot")

WRITE_TIMEOUT = 30.0
MEDIA_WRITE_TIMEOUT = 120.0


async def on_error(update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """A bug met while handling an update: log it with context (never the token) and say
    plainly that this message was not taken — nothing of it was stored."""
    metrics.count_error("update")
    chat = update.effective_chat if isinstance(update, Update) else None
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "update %s in chat %s failed", update_id, chat.id if chat else None, exc_info=ctx.error
    )
    if chat is None:
        return
    user = update.effective_user if isinstance(update, Update) else None
    language = pick_language(user.language_code if user else None)
    try:
        if isinstance(update, Update) and update.callback_query is not None:
            await update.callback_query.answer(t(language, "bot.error")[:190])
        else:
            await ctx.bot.send_message(chat.id, t(language, "bot.error"), parse_mode=ParseMode.HTML)
    except Exception:  # the error may be that we cannot send at all
        log.warning("could not tell chat %s about the error", chat.id)


CONNECTIONS = 8  # to the Bot API; more makes httpx slower under load (issue 17, measured)


def bot_request(settings: Settings) -> HTTPXRequest:
    """PTB's requests for everything but getUpdates, through the transport that tells the
    courier when a request has been written whole (bot/wire.py)."""
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    return HTTPXRequest(
        connection_pool_size=CONNECTIONS,
        read_timeout=settings.read_timeout,
        write_timeout=WRITE_TIMEOUT,
        media_write_timeout=MEDIA_WRITE_TIMEOUT,
        httpx_kwargs={
            "transport": WireTransport(httpx.AsyncHTTPTransport(limits=limits), CONNECTIONS)
        },
    )


def budget_for(settings: Settings) -> Budget:
    """What the bot may post: counted here, or shared by all instances in Redis."""
    if settings.redis_url:
        return RedisBudget(
            settings.redis_url,
            per_second=settings.messages_per_second,
            group_posts=settings.group_messages_per_minute,
            group_window=settings.group_window,
            # Telegram's limits are per bot: bots sharing one Redis keep separate budgets.
            prefix=f"journeybot:{settings.token.split(':', 1)[0]}",
        )
    return LocalBudget(GroupWindow(settings.group_messages_per_minute, settings.group_window))


async def _warm_up(renderer: Any) -> None:
    try:
        await renderer.start()
    except Exception:  # the next render starts the workers again
        log.exception("the render workers did not start")
    else:
        log.info("render workers ready")


def build_application(
    settings: Settings,
    store: Store | None = None,
    renderer=None,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:
    """The Application `journeybot run` serves. `request` / `get_updates_request` replace
    the HTTP ones (bot_request, UpdatesRequest): the tests hand calls to the fake Bot API in
    the same process (tests/inprocess.py)."""
    store = store or Store(settings.database_url)
    renderer = renderer or PoolRenderer()
    desk = Desk(store, renderer)
    courier = Courier(
        store,
        desk.plan,
        settings.instance,
        lease=settings.outbox_lease,
        retry_pause=settings.retry_pause,
        budget=budget_for(settings),
    )
    desk.budget = courier.budget
    if settings.webapp_url:
        from bot.webapp.buttons import open_map

        desk.open_button = lambda chat, number, lang, username: open_map(
            settings, chat, number, lang, username
        )
    reminders = Reminders(store, courier, settings.instance)
    journey = JourneyBot(
        store,
        courier,
        Admins(),
        outage_wait=settings.outage_wait,
        on_reminders_changed=reminders.wake,
        templates=settings.templates,
    )

    warming: list[asyncio.Task[None]] = []

    async def post_init(app: Application) -> None:
        if is_sqlite(store.url):
            await store.upgrade()
        # The render workers warm up (seconds: matplotlib, fonts) while the bot already
        # answers; a map asked for meanwhile waits its turn behind the warm-up.
        warming.append(asyncio.create_task(_warm_up(renderer)))
        desk.bot = app.bot
        courier.start(app.bot)
        reminders.start()
        if settings.webapp_url:  # the menu button opens the person's maps in the Mini App
            from bot.webapp.buttons import menu_button

            try:
                await app.bot.set_chat_menu_button(menu_button=menu_button(settings))
            except TelegramError as problem:
                log.warning("the menu button was not set: %s", problem)
        for lang in LANGUAGES:
            await app.bot.set_my_commands(
                commands.menu(lang), language_code=None if lang == "en" else lang
            )

    async def post_shutdown(app: Application) -> None:
        for task in warming:
            task.cancel()
        await reminders.stop()
        await courier.stop()
        await renderer.stop()
        await store.close()

    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .request(request or bot_request(settings))
        .get_updates_request(
            get_updates_request or UpdatesRequest(read_timeout=POLL_TIMEOUT + settings.read_timeout)
        )
        .rate_limiter(
            RetryingRateLimiter(
                max_retries=5,
                # With a shared budget (Redis) the instances keep the overall rate together.
                overall_max_rate=0 if settings.redis_url else settings.messages_per_second,
                group_max_rate=0,  # groups: our own sliding window (bot/budget.py)
            )
        )
        .concurrent_updates(PerChatUpdateProcessor(256))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if not settings.webhook_url:
        builder = builder.updater(None)  # we poll ourselves (bot/polling.py)
    app = builder.build()
    app.bot_data["courier"] = courier  # the Mini App's summaries go out through it too
    app.add_handler(TypeHandler(Update, journey.on_update))
    app.add_error_handler(on_error)
    return app


# The kinds of update the bot handles; Telegram sends no others (polling and webhook).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
