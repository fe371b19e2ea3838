"""The python-telegram-bot Application and its handlers (`journeybot run` starts it from
bot/startup.py, polling or webhook)."""

from __future__ import annotations

import logging

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import metrics
from bot.config import Settings
from bot.handlers import JourneyBot, Where, author_of
from bot.maps import MapDesk
from bot.ordering import PerChatUpdateProcessor
from bot.ratelimit import RetryingRateLimiter
from bot.reminders import Reminders, parse_period
from bot.rendering import PoolRenderer
from bot.replies import t, tr
from flows.engine import Outcome
from flows.interview import Interview
from flows.questions import question
from flows.spec import LANGUAGES, MapType, pick_language
from storage.database import is_sqlite
from storage.repository import Store

log = logging.getLogger("journeybot")

FLOW_COMMANDS = ("back", "skip", "done", "cancel")
# The kinds of update the handlers below use; Telegram sends no others (polling and webhook).
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
MENU = (
    "start",
    "new",
    "help",
    "cancel",
    "back",
    "skip",
    "done",
    "maps",
    "map",
    "edit",
    "rename",
    "copy",
    "delete",
    "export",
    "language",
)


class MapCommands:
    """/maps, /map N, /edit N, /rename N title, /copy N [type], /delete N, /export N."""

    def __init__(self, bot: JourneyBot, reminders: Reminders) -> None:
        self.bot = bot
        self.desk = bot.desk
        self.store = bot.store
        self.reminders = reminders

    async def _number(
        self, update: Update, ctx: ContextTypes.DEFAULT_TYPE, usage: str
    ) -> tuple[Where, int] | None:
        where = await self.bot.where(update)
        if where is None:
            return None
        args = ctx.args or []
        if not args or not args[0].lstrip("#").isdigit():
            await ctx.bot.send_message(
                where.chat.id, t(where.lang, "bot.usage", usage=usage), parse_mode=ParseMode.HTML
            )
            return None
        return where, int(args[0].lstrip("#"))

    async def maps(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        where = await self.bot.where(update)
        if where is not None:
            page = int(ctx.args[0]) if ctx.args and ctx.args[0].isdigit() else 1
            await self.desk.send_list(ctx.bot, where.chat.id, where.chat_id, where.lang, page)

    async def show(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._number(update, ctx, "/map N")
        if found:
            where, number = found
            await self.desk.send_map(ctx.bot, where.chat.id, where.chat_id, number, where.lang)

    async def export(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._number(update, ctx, "/export N")
        if found:
            where, number = found
            await self.desk.send_exports(ctx.bot, where.chat.id, where.chat_id, number, where.lang)

    async def rename(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._number(update, ctx, "/rename N title")
        if not found:
            return
        where, number = found
        title = " ".join((ctx.args or [])[1:]).strip()
        if not title or len(title) > 120:
            await ctx.bot.send_message(
                where.chat.id,
                t(where.lang, "bot.usage", usage="/rename N title"),
                parse_mode=ParseMode.HTML,
            )
            return
        await self.desk.rename(ctx.bot, where.chat.id, where.chat_id, where.lang, number, title)

    async def copy(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._number(update, ctx, "/copy N [current|future|day_in_life|blueprint]")
        if not found:
            return
        where, number = found
        wanted = (ctx.args or [])[1:2]
        map_type = MapType(wanted[0]) if wanted and wanted[0] in set(MapType) else None
        await self.desk.copy(
            ctx.bot,
            where.chat.id,
            where.chat_id,
            where.lang,
            number,
            map_type,
            author_of(where.user),
        )

    async def delete(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._number(update, ctx, "/delete N")
        if found:
            where, number = found
            await self.desk.ask_delete(ctx.bot, where.chat.id, where.chat_id, where.lang, number)

    async def compare(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        """/compare N M (two maps) or /compare N v1 v2 (two versions of one map)."""
        where = await self.bot.where(update)
        if where is None:
            return
        parsed = parse_compare(ctx.args or [])
        if parsed is None:
            await ctx.bot.send_message(
                where.chat.id,
                t(where.lang, "bot.usage", usage="/compare N M · /compare N v1 v2"),
                parse_mode=ParseMode.HTML,
            )
            return
        await self.desk.send_comparison(ctx.bot, where.chat.id, where.chat_id, where.lang, *parsed)

    async def remind(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        usage = "/remind N 30d"
        found = await self._number(update, ctx, usage)
        if not found:
            return
        where, number = found
        period = parse_period("".join((ctx.args or [])[1:]))
        if period is None:
            await ctx.bot.send_message(
                where.chat.id, t(where.lang, "bot.usage", usage=usage), parse_mode=ParseMode.HTML
            )
            return
        due = await self.reminders.add(where.chat_id, number, period)
        if due is None:
            await self.desk.not_found(ctx.bot, where.chat.id, where.lang, number)
            return
        await ctx.bot.send_message(
            where.chat.id,
            t(where.lang, "bot.remind_set", number=number, date=due.strftime("%Y-%m-%d %H:%M")),
            parse_mode=ParseMode.HTML,
        )

    async def edit(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        """Open a saved map on the review screen; finishing saves its next version."""
        found = await self._number(update, ctx, "/edit N")
        if not found:
            return
        where, number = found
        loaded = await self.store.load_interview(where.chat_id, where.scope)
        if loaded is not None and not loaded.interview.finished:
            await self.bot.ask_resume_or_discard(ctx, where, loaded.interview)
            return
        journey_map = await self.store.get_map(where.chat_id, number)
        summary = await self.store.map_summary(where.chat_id, number)
        if journey_map is None or summary is None:
            await self.desk.not_found(ctx.bot, where.chat.id, where.lang, number)
            return
        journey_map.language = where.lang
        interview = Interview(
            map=journey_map, state="review", group=where.group, facilitator=author_of(where.user)
        )
        await self.store.start_interview(where.chat_id, where.scope, interview, number)
        await ctx.bot.send_message(
            where.chat.id,
            t(where.lang, "bot.editing", number=number, version=summary.version + 1),
            parse_mode=ParseMode.HTML,
        )
        await self.bot.send(ctx, where, Outcome(interview, [question(interview)], False))


def parse_compare(args: list[str]) -> tuple[tuple[int, int | None], tuple[int, int | None]] | None:
    """['3', '5'] → maps 3 and 5 (current versions); ['3', 'v1', 'v2'] → map 3, v1 and v2."""
    words = [a.lower().lstrip("#") for a in args]
    if len(words) == 2 and all(w.isdigit() for w in words):
        return (int(words[0]), None), (int(words[1]), None)
    versions = [w[1:] for w in words[1:] if w.startswith("v")]
    if (
        len(words) == 3
        and words[0].isdigit()
        and len(versions) == 2
        and all(v.isdigit() for v in versions)
    ):
        number = int(words[0])
        return (number, int(versions[0])), (number, int(versions[1]))
    return None


async def on_error(update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with context (never the token) and tell the user; their answers are stored."""
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
        await ctx.bot.send_message(chat.id, t(language, "bot.error"), parse_mode=ParseMode.HTML)
    except Exception:  # the error may be that we cannot send at all
        log.warning("could not tell chat %s about the error", chat.id)


def build_application(settings: Settings, store: Store | None = None, renderer=None) -> Application:  # type: ignore[no-untyped-def]
    store = store or Store(settings.database_url)
    renderer = renderer or PoolRenderer()
    journey = JourneyBot(store, MapDesk(store, renderer))
    reminders = Reminders(store, settings.instance)
    maps = MapCommands(journey, reminders)

    async def post_init(app: Application) -> None:
        if is_sqlite(store.url):
            await store.upgrade()
        await renderer.start()
        reminders.start(app.bot)
        for lang in LANGUAGES:
            commands = [BotCommand(c, tr(lang, f"bot.cmd.{c}")) for c in MENU]
            await app.bot.set_my_commands(commands, language_code=None if lang == "en" else lang)

    async def post_shutdown(app: Application) -> None:
        await reminders.stop()
        await renderer.stop()
        await store.close()

    app = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .rate_limiter(
            RetryingRateLimiter(
                max_retries=5,
                overall_max_rate=settings.messages_per_second,
                group_max_rate=settings.group_messages_per_minute,
            )
        )
        .concurrent_updates(PerChatUpdateProcessor(256))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data["journey"] = journey
    app.add_handler(CommandHandler("start", journey.cmd_start))
    app.add_handler(CommandHandler("help", journey.cmd_help))
    app.add_handler(CommandHandler("new", journey.cmd_new))
    app.add_handler(CommandHandler("language", journey.cmd_language))
    app.add_handler(CommandHandler(list(FLOW_COMMANDS), journey.cmd_flow))
    app.add_handler(CommandHandler("maps", maps.maps))
    app.add_handler(CommandHandler("map", maps.show))
    app.add_handler(CommandHandler("export", maps.export))
    app.add_handler(CommandHandler("rename", maps.rename))
    app.add_handler(CommandHandler("copy", maps.copy))
    app.add_handler(CommandHandler("delete", maps.delete))
    app.add_handler(CommandHandler("edit", maps.edit))
    app.add_handler(CommandHandler("remind", maps.remind))
    app.add_handler(CommandHandler("compare", maps.compare))
    app.add_handler(MessageHandler(filters.COMMAND, journey.cmd_unknown))
    app.add_handler(CallbackQueryHandler(journey.on_button))
    app.add_handler(
        MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, journey.on_message)
    )
    app.add_error_handler(on_error)
    return app
