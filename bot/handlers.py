"""Telegram updates in, engine events and stored maps out.

Each handler turns an update into an event for the interview engine (or a map command),
lets storage apply it atomically (one interview per private user, one per group), and sends
what the engine said. State lives in the database only, so any instance can take any update.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot import callbacks
from bot.maps import MapDesk
from bot.replies import outgoing, t, tr
from flows.engine import Outcome, handle, start
from flows.interview import Event, Interview, Position
from flows.model import Author
from flows.questions import question
from flows.spec import LANGUAGES, pick_language
from storage.repository import Duplicate, Store

log = logging.getLogger(__name__)
GROUP_SCOPE = "group"
GROUP_TYPES = (Chat.GROUP, Chat.SUPERGROUP)
ACK_REACTION = "👍"


def author_of(user: User) -> Author:
    name = user.full_name or user.username or str(user.id)
    return Author(id=str(user.id), name=name)


def is_group(chat: Chat) -> bool:
    return chat.type in GROUP_TYPES


def scope_of(chat: Chat, user: User) -> str:
    """One interview per group; in a private chat, the user's."""
    return GROUP_SCOPE if is_group(chat) else str(user.id)


@dataclass
class Where:
    """The chat, the person and the language of an update."""

    chat: Chat
    user: User
    lang: str
    update_id: int

    @property
    def chat_id(self) -> str:
        return str(self.chat.id)

    @property
    def scope(self) -> str:
        return scope_of(self.chat, self.user)

    @property
    def group(self) -> bool:
        return is_group(self.chat)


class JourneyBot:
    def __init__(self, store: Store, desk: MapDesk) -> None:
        self.store = store
        self.desk = desk

    # --- plumbing -------------------------------------------------------------------------

    async def where(self, update: Update) -> Where | None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return None
        lang = await self.store.ensure_chat(
            str(chat.id), chat.type, pick_language(user.language_code)
        )
        return Where(chat, user, lang, update.update_id)

    async def send(
        self,
        ctx: ContextTypes.DEFAULT_TYPE,
        where: Where,
        outcome: Outcome,
        reply_to: int | None = None,
    ) -> None:
        lang = outcome.interview.lang
        for reply in outcome.replies:
            if reply.quiet and where.group and reply_to and await self._react(ctx, where, reply_to):
                continue  # in a group a 👍 on the answer says "kept" without a message
            for part in outgoing(reply, lang, where.group):
                message = await ctx.bot.send_message(
                    where.chat.id,
                    part.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=part.markup,
                    reply_to_message_id=reply_to if where.group else None,
                    allow_sending_without_reply=True,
                )
                if part.position is not None:
                    await self.store.remember_question(
                        where.chat_id, message.message_id, where.scope, part.position
                    )

    async def _react(self, ctx: ContextTypes.DEFAULT_TYPE, where: Where, message_id: int) -> bool:
        try:
            await ctx.bot.set_message_reaction(where.chat.id, message_id, ACK_REACTION)
        except TelegramError as problem:  # e.g. reactions turned off in this group
            log.info(
                "no reaction in chat %s (%s); answering with a message", where.chat.id, problem
            )
            return False
        return True

    async def is_admin(self, ctx: ContextTypes.DEFAULT_TYPE, where: Where) -> bool:
        if not where.group:
            return True
        member = await ctx.bot.get_chat_member(where.chat.id, where.user.id)
        return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

    async def apply(
        self,
        ctx: ContextTypes.DEFAULT_TYPE,
        where: Where,
        event: Event,
        reply_to: int | None = None,
    ) -> Outcome | None:
        """Apply an event to the scope's interview; send the replies; finish the map."""
        try:
            applied = await self.store.apply(
                where.chat_id, where.scope, lambda iv: handle(iv, event), where.update_id
            )
        except Duplicate:
            log.info("update %s delivered again; already applied", where.update_id)
            return None
        if applied is None:
            await ctx.bot.send_message(
                where.chat.id, t(where.lang, "bot.no_interview"), parse_mode=ParseMode.HTML
            )
            return None
        interview, outcome = applied
        assert isinstance(outcome, Outcome)
        await self.send(ctx, where, outcome, reply_to)
        if outcome.finished:
            await self.finish(ctx, where, interview)
        elif outcome.cancelled:
            await self.store.discard_interview(where.chat_id, where.scope)
        return outcome

    async def finish(
        self, ctx: ContextTypes.DEFAULT_TYPE, where: Where, interview: Interview
    ) -> None:
        loaded = await self.store.load_interview(where.chat_id, where.scope)
        number = loaded.map_number if loaded else None
        summary = await self.store.finish_interview(
            where.chat_id, where.scope, interview.map, number
        )
        await ctx.bot.send_message(
            where.chat.id,
            t(interview.lang, "bot.saved_as", number=summary.number, version=summary.version),
            parse_mode=ParseMode.HTML,
        )
        await self.desk.send_map(
            ctx.bot, where.chat.id, where.chat_id, summary.number, interview.lang
        )

    # --- commands ------------------------------------------------------------------------

    async def cmd_start(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        where = await self.where(update)
        if where is None:
            return
        button = InlineKeyboardButton(
            tr(where.lang, "bot.button.begin"), callback_data=callbacks.pack(callbacks.NEW, "begin")
        )
        await ctx.bot.send_message(
            where.chat.id,
            t(where.lang, "bot.start"),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([[button]]),
        )

    async def cmd_help(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        where = await self.where(update)
        if where is not None:
            await ctx.bot.send_message(
                where.chat.id, t(where.lang, "bot.help"), parse_mode=ParseMode.HTML
            )

    async def cmd_new(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        where = await self.where(update)
        if where is None:
            return
        loaded = await self.store.load_interview(where.chat_id, where.scope)
        if loaded is not None and not loaded.interview.finished:
            await self.ask_resume_or_discard(ctx, where, loaded.interview)
            return
        await self.begin(ctx, where)

    async def ask_resume_or_discard(
        self, ctx: ContextTypes.DEFAULT_TYPE, where: Where, interview: Interview
    ) -> None:
        title = interview.map.title or tr(where.lang, "bot.untitled")
        buttons = [
            InlineKeyboardButton(
                tr(where.lang, "bot.button.resume"),
                callback_data=callbacks.pack(callbacks.NEW, "resume"),
            ),
            InlineKeyboardButton(
                tr(where.lang, "bot.button.discard"),
                callback_data=callbacks.pack(callbacks.NEW, "discard"),
            ),
        ]
        await ctx.bot.send_message(
            where.chat.id,
            t(where.lang, "bot.unfinished", title=title),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([buttons]),
        )

    async def begin(self, ctx: ContextTypes.DEFAULT_TYPE, where: Where) -> None:
        outcome = start(author_of(where.user), where.lang, group=where.group)
        await self.store.start_interview(where.chat_id, where.scope, outcome.interview)
        await self.send(ctx, where, outcome)

    async def resume(self, ctx: ContextTypes.DEFAULT_TYPE, where: Where) -> None:
        loaded = await self.store.load_interview(where.chat_id, where.scope)
        if loaded is None:
            await self.begin(ctx, where)
            return
        await ctx.bot.send_message(
            where.chat.id, t(where.lang, "bot.resumed"), parse_mode=ParseMode.HTML
        )
        interview = loaded.interview
        await self.send(ctx, where, Outcome(interview, [question(interview)], changed=False))

    async def cmd_flow(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        """/back, /skip, /done, /cancel: commands of the interview engine."""
        where = await self.where(update)
        message = update.effective_message
        if where is None or message is None or not message.text:
            return
        name = message.text.split()[0].lstrip("/").split("@")[0].lower()
        admin = name == "cancel" and where.group and await self.is_admin(ctx, where)
        event = Event.command(name, author_of(where.user), admin=admin)
        await self.apply(ctx, where, event, reply_to=message.message_id)

    async def cmd_language(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        where = await self.where(update)
        if where is None:
            return
        code = (ctx.args or [""])[0].lower()
        if code in LANGUAGES:
            await self.set_language(ctx, where, code)
            return
        buttons = [
            InlineKeyboardButton(name, callback_data=callbacks.pack(callbacks.LANGUAGE, code))
            for code, name in (("en", "English"), ("id", "Bahasa Indonesia"), ("pl", "Polski"))
        ]
        await ctx.bot.send_message(
            where.chat.id,
            t(where.lang, "bot.language_pick"),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([buttons]),
        )

    async def set_language(self, ctx: ContextTypes.DEFAULT_TYPE, where: Where, code: str) -> None:
        await self.store.set_language(where.chat_id, code)
        where.lang = code
        loaded = await self.store.load_interview(where.chat_id, where.scope)
        if loaded is not None and not loaded.interview.finished:
            event = Event.command("language", author_of(where.user), code)
            await self.apply(ctx, where, event)
            return
        await ctx.bot.send_message(
            where.chat.id, t(code, "bot.language_set"), parse_mode=ParseMode.HTML
        )

    async def cmd_unknown(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        """A command we do not have: say so in private, or when addressed to us in a group."""
        where = await self.where(update)
        message = update.effective_message
        if where is None or message is None or not message.text:
            return
        word = message.text.split()[0].lstrip("/")
        name, _, addressee = word.partition("@")
        if where.group and addressee.lower() != (ctx.bot.username or "").lower():
            return
        await ctx.bot.send_message(
            where.chat.id,
            t(where.lang, "error.unknown_command", command=name),
            parse_mode=ParseMode.HTML,
        )

    # --- messages ------------------------------------------------------------------------

    async def on_message(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        where = await self.where(update)
        message = update.effective_message
        if where is None or message is None:
            return
        target = await self.target_of(where, message)
        if where.group and target is None:
            return  # in a group, only replies to our questions are answers
        author = author_of(where.user)
        if message.text is not None:
            event = Event.text(message.text, author, at=message.date, target=target)
        else:  # a sticker, photo, voice note… where text is expected
            event = Event(
                "unsupported",
                message.effective_attachment.__class__.__name__,
                author,
                at=message.date,
            )
        await self.apply(ctx, where, event, reply_to=message.message_id)

    async def target_of(self, where: Where, message: Message) -> Position | None:
        """The question a reply answers, when it replies to one of our questions."""
        replied = message.reply_to_message
        if replied is None:
            return None
        asked = await self.store.question_of(where.chat_id, replied.message_id)
        if asked is None or asked[0] != where.scope:
            return None
        return Position.from_token(asked[1])

    # --- buttons ---------------------------------------------------------------------------

    async def on_button(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        where = await self.where(update)
        if query is None or where is None:
            return
        data = callbacks.unpack(query.data)
        if data.kind in (callbacks.ANSWER, callbacks.COMMAND):
            await self.on_question_button(ctx, where, query, data)
        elif data.kind == callbacks.NEW:
            await query.answer()
            await self.on_new_button(ctx, where, query, data.arg(0))
        elif data.kind == callbacks.LANGUAGE:
            await query.answer()
            await _close_keyboard(query.message)
            await self.set_language(ctx, where, data.arg(0))
        else:
            await self.desk.on_button(
                ctx.bot, query, where.chat_id, where.lang, data, self.is_admin_check(ctx, where)
            )

    def is_admin_check(self, ctx: ContextTypes.DEFAULT_TYPE, where: Where):  # type: ignore[no-untyped-def]
        async def check() -> bool:
            return await self.is_admin(ctx, where)

        return check

    async def on_new_button(
        self,
        ctx: ContextTypes.DEFAULT_TYPE,
        where: Where,
        query,  # type: ignore[no-untyped-def]
        choice: str,
    ) -> None:
        await _close_keyboard(query.message)
        if choice == "resume":
            await self.resume(ctx, where)
            return
        loaded = await self.store.load_interview(where.chat_id, where.scope)
        if choice == "begin" and loaded is not None and not loaded.interview.finished:
            await self.ask_resume_or_discard(ctx, where, loaded.interview)
            return
        if choice == "discard" and loaded is not None and where.group:
            leader = loaded.interview.facilitator
            if leader and leader.id != str(where.user.id) and not await self.is_admin(ctx, where):
                await ctx.bot.send_message(
                    where.chat.id,
                    t(where.lang, "bot.not_allowed", name=leader.name),
                    parse_mode=ParseMode.HTML,
                )
                return
        await self.begin(ctx, where)

    async def on_question_button(
        self,
        ctx: ContextTypes.DEFAULT_TYPE,
        where: Where,
        query,  # type: ignore[no-untyped-def]
        data: callbacks.Data,
    ) -> None:
        loaded = await self.store.load_interview(where.chat_id, where.scope)
        position = Position.from_token(data.arg(0))
        author = author_of(where.user)
        current = loaded.interview.position if loaded else None
        late_rating = (
            loaded is not None
            and where.group
            and position.state == "emotion"
            and data.kind == callbacks.ANSWER
            and position != current
        )
        if loaded is None or loaded.interview.finished or (position != current and not late_rating):
            await query.answer(tr(where.lang, "bot.closed"))
            await _close_keyboard(query.message)
            return
        if data.kind == callbacks.COMMAND:
            event = Event.command(data.arg(1), author)
        else:
            event = Event.choice(data.arg(1), author, target=position)
        label = _pressed_label(query, query.data) if data.kind == callbacks.ANSWER else ""
        outcome = await self._apply_quietly(where, event)
        if outcome is None:
            await query.answer()
            return
        interview, result = outcome
        moved = interview.position != position or interview.finished
        if not moved and where.group:
            # Another member's rating, or a refused move: a toast, not a chat message.
            await query.answer(_plain(result, interview.lang)[:190])
            return
        await query.answer()
        if moved:
            await _mark_answered(query.message, interview.lang, label)
        await self.send(ctx, where, result)
        if result.finished:
            await self.finish(ctx, where, interview)
        elif result.cancelled:
            await self.store.discard_interview(where.chat_id, where.scope)

    async def _apply_quietly(self, where: Where, event: Event) -> tuple[Interview, Outcome] | None:
        try:
            applied = await self.store.apply(
                where.chat_id, where.scope, lambda iv: handle(iv, event), where.update_id
            )
        except Duplicate:
            return None
        if applied is None:
            return None
        interview, outcome = applied
        assert isinstance(outcome, Outcome)
        return interview, outcome


def _plain(outcome: Outcome, lang: str) -> str:
    return "\n".join(tr.render(r.text, lang) for r in outcome.replies)


def _pressed_label(query, data: str | None) -> str:  # type: ignore[no-untyped-def]
    markup = query.message.reply_markup if query.message else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return ""


async def _close_keyboard(message) -> None:  # type: ignore[no-untyped-def]
    if message is None or not getattr(message, "reply_markup", None):
        return
    with contextlib.suppress(BadRequest):
        await message.edit_reply_markup(reply_markup=None)


async def _mark_answered(message, lang: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Show the chosen answer under the question and remove its buttons."""
    if message is None:
        return
    with contextlib.suppress(BadRequest):
        if label and message.text_html:
            await message.edit_text(
                f"{message.text_html}\n\n{t(lang, 'bot.answered', answer=label)}",
                parse_mode=ParseMode.HTML,
                reply_markup=None,
            )
        else:
            await message.edit_reply_markup(reply_markup=None)
