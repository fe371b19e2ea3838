"""`journeybot run`: the python-telegram-bot Application, polling or webhook."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

import httpx
from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from bot import commands
from bot.budget import Budget, LocalBudget, RedisBudget
from bot.config import Settings
from bot.courier import Courier
from bot.grouplimit import GroupWindow
from bot.handlers import JourneyBot
from bot.maps import Desk
from bot.ordering import PerChatUpdateProcessor
from bot.polling import POLL_TIMEOUT, Poller
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
        httpx_kwargs={"transport": WireTransport(httpx.AsyncHTTPTransport(limits=limits))},
    )


def budget_for(settings: Settings) -> Budget:
    """What the bot may post: counted here, or shared by all instances in Redis."""
    if settings.redis_url:
        return RedisBudget(
            settings.redis_url,
            per_second=settings.messages_per_second,
            group_posts=settings.group_messages_per_minute,
            group_window=settings.group_window,
        )
    return LocalBudget(GroupWindow(settings.group_messages_per_minute, settings.group_window))


def build_application(settings: Settings, store: Store | None = None, renderer=None) -> Application:  # type: ignore[no-untyped-def]
    store = store or Store(settings.database_url)
    renderer = renderer or PoolRenderer()
    desk = Desk(store, renderer)
    courier = Courier(
        store,
        desk.plan,
        settings.instance,
        lease=settings.outbox_lease,
        budget=budget_for(settings),
    )
    desk.budget = courier.budget
    reminders = Reminders(store, courier, settings.instance)
    journey = JourneyBot(
        store,
        courier,
        Admins(),
        outage_wait=settings.outage_wait,
        on_reminders_changed=reminders.wake,
    )

    async def post_init(app: Application) -> None:
        if is_sqlite(store.url):
            await store.upgrade()
        await renderer.start()
        desk.bot = app.bot
        courier.start(app.bot)
        reminders.start()
        for lang in LANGUAGES:
            await app.bot.set_my_commands(
                commands.menu(lang), language_code=None if lang == "en" else lang
            )

    async def post_shutdown(app: Application) -> None:
        await reminders.stop()
        await courier.stop()
        await renderer.stop()
        await store.close()

    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .request(bot_request(settings))
        .get_updates_request(UpdatesRequest(read_timeout=POLL_TIMEOUT + settings.read_timeout))
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
    app.add_handler(TypeHandler(Update, journey.on_update))
    app.add_error_handler(on_error)
    return app


async def check_token(settings: Settings) -> None:
    """Ask the Bot API who we are before starting: a rejected token (InvalidToken) or an
    unreachable server (NetworkError) is then one clear line, not PTB's retry traceback."""
    async with Bot(
        settings.token, base_url=settings.base_url, base_file_url=settings.base_file_url
    ):
        pass


def run(settings: Settings) -> int:
    asyncio.run(check_token(settings))
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry the token in URLs
    logging.getLogger("transitions").setLevel(logging.WARNING)  # a line per state change
    app = build_application(settings)
    allowed = list(ALLOWED_UPDATES)
    if settings.webhook_url:
        app.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path="telegram",
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=allowed,
        )
    else:
        asyncio.run(serve_polling(app, allowed))
    return 0


ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


async def serve_polling(app: Application, allowed: Sequence[str] | None = None) -> None:
    """Run the application with our own poller until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        log.info("polling for updates")
        await Poller(app, allowed).run(stop)
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
