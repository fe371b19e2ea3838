"""Telegram updates in, stored changes and queued replies out.

Every update goes the same way (`JourneyBot.on_update`):
1. read it into an action (bot/actions.py); in a group, ask who is admin only for actions
   that lead (bot/commands.py, bot/roles.py);
2. in one transaction: note the update in the ledger (a redelivery stops here), apply the
   action — the interview's next state, a finished map, a renamed or deleted map — and queue
   every reply it causes in the outbox;
3. answer the button press, and let the courier deliver the chat's replies.
A fault at any point leaves either nothing (the update is tried again, or the person is told
it was not saved) or everything (the courier sends the replies, after a restart if need be).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import actions, callbacks, commands, maps, posts, priorities
from bot.actions import Action, Attached, Called, Edited, Migrated, Pressed, Said
from bot.courier import Courier, Handed
from bot.posts import Markup, Post, Question
from bot.replies import html_to_text, outgoing, t, tr
from bot.roles import Admins, author_of, is_group, speaks_as_group
from flows import templates
from flows.engine import Outcome, handle, start
from flows.interview import Event, Interview, Position
from flows.model import Author
from flows.questions import SUGGESTION, Reply, question
from flows.spec import LANGUAGES, MapType, pick_language
from storage.records import Duplicate, Loaded, MapSummary, Unavailable
from storage.repository import Store, Unit

log = logging.getLogger(__name__)
GROUP_SCOPE = "group"
ACK_REACTION = "👍"
TOAST_CHARS = 190  # Telegram shows up to 200 characters in a button's answer
# How long an update waits for a database that is away before the person is told it was not
# saved (the chat's next updates wait behind it, in order).
OUTAGE_WAIT = 30.0


@dataclass
class Turn:
    """One update being applied: where, who, in which language, and what it posts."""

    unit: Unit
    chat: Chat
    user: User
    lang: str
    admin: bool
    anonymous: bool = False
    thread_id: int | None = None
    posts: list[Post] = field(default_factory=list)
    toast: str | None = None  # the answer to a button press
    pressed: bool = False  # the update is a button press (refusals go as a toast)
    reminders_changed: bool = False
    claimed: Handed | None = None  # the chat's next post, claimed for the courier

    @property
    def chat_id(self) -> str:
        return str(self.chat.id)

    @property
    def group(self) -> bool:
        return is_group(self.chat)

    @property
    def scope(self) -> str:
        """One interview per group (per topic in a forum); in a private chat, the user's."""
        if not self.group:
            return str(self.user.id)
        return f"topic{self.thread_id}" if self.thread_id else GROUP_SCOPE

    @property
    def author(self) -> Author:
        return author_of(self.user, self.chat, self.anonymous)

    def say(
        self,
        html: str,
        markup: Markup | None = None,
        reply_to: int | None = None,
        question: Question | None = None,
    ) -> None:
        self.posts.append(
            posts.Message(
                html=html, markup=posts.markup_json(markup), reply_to=reply_to, question=question
            )
        )

    def post(self, post: Post) -> None:
        self.posts.append(post)

    def refuse(self, html: str, reply_to: int | None = None) -> None:
        """A no for this person: a toast under their button, or a reply to their message."""
        if self.pressed:
            self.toast = html_to_text(html)
        else:
            self.say(html, reply_to=reply_to if self.group else None)


class JourneyBot:
    def __init__(
        self,
        store: Store,
        courier: Courier,
        admins: Admins,
        *,
        outage_wait: float = OUTAGE_WAIT,
        on_reminders_changed: Callable[[], None] = lambda: None,
        templates: bool = True,
    ) -> None:
        self.templates = templates  # new interviews offer business templates
        self.store = store
        self.courier = courier
        self.admins = admins
        self.outage_wait = outage_wait
        self.on_reminders_changed = on_reminders_changed

    # --- the one way in ------------------------------------------------------------------

    async def on_update(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        action = actions.read(update, ctx.bot.username)
        if action is None or chat is None or user is None:
            return
        message = update.effective_message
        anonymous = speaks_as_group(chat, message)
        admin = not is_group(chat) or (
            _may_lead(action) and await self.admins.is_admin(ctx.bot, chat, user, message)
        )
        language = pick_language(user.language_code)
        thread_id = message.message_thread_id if message and message.is_topic_message else None

        async def body(unit: Unit) -> Turn:
            lang = await unit.chats.ensure(str(chat.id), chat.type, language)
            turn = Turn(unit, chat, user, lang, admin, anonymous, thread_id)
            turn.pressed = isinstance(action, Pressed)
            await self.dispatch(turn, action)
            for post in turn.posts:
                await unit.outbox.add(turn.chat_id, posts.dump(post), turn.thread_id)
            if turn.posts:
                turn.claimed = await self.courier.claim_in(unit, turn.chat_id)
            return turn

        try:
            turn = await self.store.run(
                body,
                actions.ledger_key(update),
                outage_wait=self.outage_wait,
                lock=str(chat.id),  # one chat's updates take turns across instances
            )
        except Duplicate:
            log.info("update %s delivered again; applied before", update.update_id)
            await _answer(update, None)
            return
        except Unavailable as problem:
            log.warning("update %s in chat %s not saved: %s", update.update_id, chat.id, problem)
            await self.not_saved(ctx.bot, chat, language, update)
            return
        await _answer(update, turn.toast)
        if turn.reminders_changed:
            self.on_reminders_changed()
        self.courier.deliver_soon(turn.chat_id, turn.claimed)

    async def not_saved(self, bot: Bot, chat: Chat, lang: str, update: Update) -> None:
        """The database stayed away: say plainly that this message was not kept (sent
        directly — the outbox lives in the database)."""
        if update.callback_query is not None:
            await _answer(update, tr(lang, "bot.not_saved_button"))
            return
        try:
            await bot.send_message(chat.id, t(lang, "bot.not_saved"), parse_mode=ParseMode.HTML)
        except TelegramError:
            log.warning("could not tell chat %s that its message was not saved", chat.id)

    async def dispatch(self, turn: Turn, action: Action) -> None:
        match action:
            case Said() | Attached():
                await self.on_message(turn, action)
            case Edited():
                if not turn.group or await self._asked_here(turn, action.reply_to):
                    turn.say(t(turn.lang, "bot.edit_ignored"))
            case Called():
                await self.on_command(turn, action)
            case Pressed():
                await self.on_button(turn, action)
            case Migrated(to_chat_id=new):
                if await turn.unit.chats.migrate(turn.chat_id, str(new)):
                    log.info("chat %s is now %s; its maps and interview moved", turn.chat_id, new)

    # --- the interview -------------------------------------------------------------------------

    async def on_message(self, turn: Turn, action: Said | Attached) -> None:
        asked = await self._asked(turn, action.reply_to)
        if asked is not None and asked[0] == priorities.SCOPE:
            if isinstance(action, Said):  # an action's owner or due date
                await priorities.on_answer(turn, action, asked[1])
            return
        target = await self._target(turn, action.reply_to)
        if turn.group and target is None and not action.to_us:
            return  # in a group, only replies to our messages are answers
        # (A reply to a message of ours we cannot place — a question so new that its note
        # is still on the way — answers the current question.)
        if isinstance(action, Said):
            event = Event.text(
                action.text, turn.author, at=action.at, target=target, admin=turn.admin
            )
        else:
            event = Event("unsupported", action.what, turn.author, admin=turn.admin)
        shown = (action.reply_to, target) if action.reply_to and target else None
        await self.apply(turn, event, reply_to=action.message_id, shown=shown)

    async def _asked(self, turn: Turn, reply_to: int | None) -> tuple[str, str] | None:
        if reply_to is None:
            return None
        return await turn.unit.interviews.question_of(turn.chat_id, reply_to)

    async def _target(self, turn: Turn, reply_to: int | None) -> Position | None:
        """The question a reply answers, when it replies to one of our questions."""
        asked = await self._asked(turn, reply_to)
        if asked is None or asked[0] != turn.scope:
            return None
        try:
            return Position.from_token(asked[1])
        except ValueError:
            return None

    async def _asked_here(self, turn: Turn, reply_to: int | None) -> bool:
        return await self._target(turn, reply_to) is not None

    async def apply(
        self,
        turn: Turn,
        event: Event,
        reply_to: int | None = None,
        shown: tuple[int, Position] | None = None,
    ) -> tuple[Interview, Outcome] | None:
        """Apply an event to the scope's interview and queue what it says; a finished map is
        saved, and its picture queued, in the same transaction."""
        loaded = await turn.unit.interviews.load(turn.chat_id, turn.scope, cached=True)
        if loaded is None:
            turn.say(t(turn.lang, "bot.no_interview"))
            return None
        outcome = handle(loaded.interview, event)
        saved = await self.keep(turn, loaded, outcome)
        self.reply(turn, outcome, reply_to, shown)
        self.show_saved(turn, saved, outcome.interview.lang)
        return loaded.interview, outcome

    async def keep(self, turn: Turn, loaded: Loaded, outcome: Outcome) -> MapSummary | None:
        """Store what the event did to the interview; a finished one becomes a saved map."""
        saved = None
        if outcome.finished:
            number = await turn.unit.interviews.map_number(loaded)  # a map being edited
            saved = await turn.unit.maps.save(turn.chat_id, outcome.interview.map, number)
        if outcome.finished or outcome.cancelled:
            await turn.unit.interviews.discard(turn.chat_id, turn.scope)
        else:
            await turn.unit.interviews.save(turn.chat_id, turn.scope, loaded, outcome.interview)
        return saved

    def show_saved(self, turn: Turn, saved: MapSummary | None, lang: str) -> None:
        if saved is not None:
            turn.say(t(lang, "bot.saved_as", number=saved.number, version=saved.version))
            turn.post(posts.MapPictures(number=saved.number, lang=lang))

    def reply(
        self,
        turn: Turn,
        outcome: Outcome,
        reply_to: int | None = None,
        shown: tuple[int, Position] | None = None,
    ) -> None:
        """Queue what the engine said. `shown`: the question message a group member's typed
        answer replied to, and what it asks."""
        lang = outcome.interview.lang
        for reply in outcome.replies:
            if reply.refresh and turn.group and reply_to:
                # A group's typed answer: its 👍 says "kept"; the question it replied to shows
                # the change in place (an edit costs none of the group's posts), never again.
                if shown is not None and shown[1] == reply.position:
                    self.edit_question(turn, shown[0], reply, lang)
                continue
            for part in outgoing(reply, lang, turn.group):
                asks = Question(scope=turn.scope, position=part.position) if part.position else None
                message = posts.Message(
                    html=part.html,
                    markup=posts.markup_json(part.markup),
                    reply_to=reply_to if turn.group else None,
                    question=asks,
                )
                if reply.quiet and turn.group and reply_to:
                    # In a group a 👍 on the answer says "kept" without a message.
                    turn.post(
                        posts.Reaction(message_id=reply_to, emoji=ACK_REACTION, fallback=message)
                    )
                else:
                    turn.post(message)

    # --- commands --------------------------------------------------------------------------

    async def on_command(self, turn: Turn, action: Called) -> None:
        command = commands.BY_NAME.get(action.name)
        if command is None:
            turn.say(t(turn.lang, "error.unknown_command", command=action.name))
            return
        await getattr(self, f"cmd_{command.name}")(turn, action)

    async def cmd_start(self, turn: Turn, action: Called) -> None:
        button = InlineKeyboardButton(
            tr(turn.lang, "bot.button.begin"), callback_data=callbacks.pack(callbacks.NEW, "begin")
        )
        turn.say(t(turn.lang, "bot.start"), InlineKeyboardMarkup([[button]]))

    async def cmd_help(self, turn: Turn, action: Called) -> None:
        turn.say(commands.help_text(turn.lang))

    async def cmd_new(self, turn: Turn, action: Called) -> None:
        loaded = await turn.unit.interviews.load(turn.chat_id, turn.scope)
        if loaded is not None and not loaded.interview.finished:
            self.offer_running(turn, loaded, action.message_id)
            return
        await self.begin(turn)

    def offer_running(self, turn: Turn, loaded: Loaded, reply_to: int | None = None) -> None:
        """A map is in progress: its leader may continue it or start afresh; anyone else is
        told who leads it (only them, not the whole group with buttons)."""
        if _leads(loaded, turn):
            self.ask_resume_or_discard(turn, loaded.interview)
        else:
            name = _leader_name(loaded, turn)
            turn.refuse(t(turn.lang, "bot.map_in_progress", name=name), reply_to)

    async def cmd_back(self, turn: Turn, action: Called) -> None:
        await self._move(turn, action)

    async def cmd_skip(self, turn: Turn, action: Called) -> None:
        await self._move(turn, action)

    async def cmd_done(self, turn: Turn, action: Called) -> None:
        await self._move(turn, action)

    async def cmd_cancel(self, turn: Turn, action: Called) -> None:
        await self._move(turn, action)

    async def _move(self, turn: Turn, action: Called) -> None:
        event = Event.command(action.name, turn.author, admin=turn.admin)
        await self.apply(turn, event, reply_to=action.message_id)

    async def cmd_language(self, turn: Turn, action: Called) -> None:
        code = action.args[0].lower() if action.args else ""
        if code in LANGUAGES:
            await self.set_language(turn, code)
            return
        buttons = [
            InlineKeyboardButton(name, callback_data=callbacks.pack(callbacks.LANGUAGE, code))
            for code, name in (("en", "English"), ("id", "Bahasa Indonesia"), ("pl", "Polski"))
        ]
        turn.say(t(turn.lang, "bot.language_pick"), InlineKeyboardMarkup([buttons]))

    async def set_language(self, turn: Turn, code: str) -> None:
        loaded = await turn.unit.interviews.load(turn.chat_id, turn.scope)
        running = loaded is not None and not loaded.interview.finished
        if turn.group and not _leads(loaded, turn):
            turn.refuse(t(turn.lang, "bot.not_allowed", name=_leader_name(loaded, turn)))
            return
        await turn.unit.chats.set_language(turn.chat_id, code)
        turn.lang = code
        if running:
            await self.apply(turn, Event.command("language", turn.author, code, admin=turn.admin))
            return
        turn.say(t(code, "bot.language_set"))

    async def cmd_maps(self, turn: Turn, action: Called) -> None:
        page = callbacks.number(action.args[0]) if action.args else 1
        if page is None:
            turn.say(t(turn.lang, "bot.usage", usage="/maps [page]"))
            return
        await maps.send_list(turn, page)

    async def cmd_map(self, turn: Turn, action: Called) -> None:
        number = await maps.number_argument(turn, action, "map")
        if number is not None and await maps.existing(turn, number):
            turn.post(posts.MapPictures(number=number, lang=turn.lang))

    async def cmd_export(self, turn: Turn, action: Called) -> None:
        number = await maps.number_argument(turn, action, "export")
        if number is not None and await maps.existing(turn, number):
            turn.post(posts.Exports(number=number, lang=turn.lang))

    async def cmd_rename(self, turn: Turn, action: Called) -> None:
        await maps.rename(turn, action)

    async def cmd_copy(self, turn: Turn, action: Called) -> None:
        await maps.copy(turn, action)

    async def cmd_delete(self, turn: Turn, action: Called) -> None:
        await maps.ask_delete(turn, action)

    async def cmd_compare(self, turn: Turn, action: Called) -> None:
        await maps.compare(turn, action)

    async def cmd_remind(self, turn: Turn, action: Called) -> None:
        await maps.remind(turn, action)

    async def cmd_prioritize(self, turn: Turn, action: Called) -> None:
        await priorities.cmd_prioritize(turn, action)

    async def cmd_actions(self, turn: Turn, action: Called) -> None:
        await priorities.cmd_actions(turn, action)

    async def cmd_edit(self, turn: Turn, action: Called) -> None:
        """During an interview: change one of its answers (`/edit goal`, `/edit stage 2`).
        Otherwise: open a saved map on the review screen; finishing saves its next version."""
        running = await turn.unit.interviews.load(turn.chat_id, turn.scope)
        if running is not None and not running.interview.finished:
            event = Event.command("edit", turn.author, action.rest, admin=turn.admin)
            await self.apply(turn, event, reply_to=action.message_id)
            return
        number = await maps.number_argument(turn, action, "edit")
        if number is None:
            return
        summary = await maps.may_change(turn, number)
        journey_map = await turn.unit.maps.get(turn.chat_id, number)
        if summary is None or journey_map is None:
            return
        loaded = await turn.unit.interviews.load(turn.chat_id, turn.scope)
        if loaded is not None and not loaded.interview.finished:
            self.offer_running(turn, loaded, action.message_id)
            return
        journey_map.language = turn.lang
        # Its template's suggestions come back when a stage is deepened or changed.
        kind = templates.kind_for_stages(
            journey_map.map_type or MapType.CURRENT, [s.name for s in journey_map.stages]
        )
        interview = Interview(
            map=journey_map, state="review", group=turn.group, facilitator=turn.author, kind=kind
        )
        row = await turn.unit.maps.row(turn.chat_id, number)
        await turn.unit.interviews.start(
            turn.chat_id, turn.scope, interview, row.id if row else None
        )
        turn.say(t(turn.lang, "bot.editing", number=number, version=summary.version + 1))
        self.reply(turn, Outcome(interview, [question(interview)]))

    # --- starting, resuming, discarding ------------------------------------------------------

    def ask_resume_or_discard(self, turn: Turn, interview: Interview) -> None:
        title = interview.map.title or tr(turn.lang, "bot.untitled")
        buttons = [
            InlineKeyboardButton(
                tr(turn.lang, "bot.button.resume"),
                callback_data=callbacks.pack(callbacks.NEW, "resume"),
            ),
            InlineKeyboardButton(
                tr(turn.lang, "bot.button.discard"),
                callback_data=callbacks.pack(callbacks.NEW, "discard"),
            ),
        ]
        turn.say(t(turn.lang, "bot.unfinished", title=title), InlineKeyboardMarkup([buttons]))

    async def begin(self, turn: Turn) -> None:
        outcome = start(turn.author, turn.lang, group=turn.group, template=self.templates)
        await turn.unit.interviews.start(turn.chat_id, turn.scope, outcome.interview)
        self.reply(turn, outcome)

    async def on_new_button(self, turn: Turn, action: Pressed, choice: str) -> None:
        loaded = await turn.unit.interviews.load(turn.chat_id, turn.scope)
        if loaded is not None and not loaded.interview.finished:
            if not _leads(loaded, turn):  # continuing or replacing is the leader's call
                turn.toast = tr(turn.lang, "bot.map_in_progress", name=_leader_name(loaded, turn))
                return
            _close_keyboard(turn, action)
            if choice == "resume":
                turn.say(t(turn.lang, "bot.resumed"))
                self.reply(turn, Outcome(loaded.interview, [question(loaded.interview)]))
            elif choice == "begin":
                self.ask_resume_or_discard(turn, loaded.interview)
            else:
                await self.begin(turn)
            return
        _close_keyboard(turn, action)
        await self.begin(turn)

    # --- buttons ---------------------------------------------------------------------------

    async def on_button(self, turn: Turn, action: Pressed) -> None:
        match action.button:
            case None:
                turn.toast = tr(turn.lang, "bot.button_unknown")
            case callbacks.Answer() | callbacks.Move():
                await self.on_question_button(turn, action, action.button)
            case callbacks.NewMap(choice=choice):
                await self.on_new_button(turn, action, choice)
            case callbacks.Language(code=code):
                _close_keyboard(turn, action)
                await self.set_language(turn, code)
            case callbacks.Prioritize(number=number):
                if await maps.existing(turn, number):
                    await priorities.post_ratings(turn, number)
            case callbacks.Rate():
                await priorities.on_rate(turn, action.button)
            case callbacks.Matrix(number=number):
                if await maps.existing(turn, number):
                    turn.post(posts.Matrix(number=number, lang=turn.lang))
            case callbacks.MakeAction():
                await priorities.on_make_action(turn, action.button)
            case callbacks.SetStatus():
                await priorities.on_status(turn, action, action.button)
            case callbacks.Snooze():
                await priorities.on_snooze(turn, action, action.button)
            case _:
                await maps.on_button(turn, action)

    async def on_question_button(
        self, turn: Turn, action: Pressed, button: callbacks.Answer | callbacks.Move
    ) -> None:
        loaded = await turn.unit.interviews.load(turn.chat_id, turn.scope, cached=True)
        position = button.position
        interview = loaded.interview if loaded else None
        current = interview.position if interview else None
        late_rating = (
            interview is not None
            and turn.group
            and isinstance(button, callbacks.Answer)
            and position.state == "emotion"
            and position in interview.positions()
        )
        if (
            loaded is None
            or interview is None
            or interview.finished
            or (position != current and not late_rating)
        ):
            turn.toast = tr(turn.lang, "bot.closed")
            _close_keyboard(turn, action)
            return
        if isinstance(button, callbacks.Move):
            event = Event.command(button.command, turn.author, admin=turn.admin)
        else:
            event = Event.choice(button.value, turn.author, target=position, admin=turn.admin)
        outcome = handle(interview, event)
        saved = await self.keep(turn, loaded, outcome)
        moved = interview.position != position or interview.finished
        refreshed = next((r for r in outcome.replies if r.refresh), None)
        if (
            refreshed is not None
            and not moved
            and self.show_in_place(turn, action, refreshed, interview.lang)
        ):
            said = [r for r in outcome.replies if not r.refresh and r.quiet]
            if said and turn.group:  # "Thanks Andi: …" under the button, for Andi only
                turn.toast = _plain(Outcome(interview, said), interview.lang)[:TOAST_CHARS]
            return
        if not moved and turn.group:
            # Another member's rating, or a refused move: a toast, not a chat message.
            turn.toast = _plain(outcome, interview.lang)[:TOAST_CHARS]
            return
        if moved:
            label = action.label if isinstance(button, callbacks.Answer) else ""
            _mark_answered(turn, action, interview.lang, label)
        self.reply(turn, outcome)
        self.show_saved(turn, saved, interview.lang)

    def edit_question(self, turn: Turn, message_id: int, reply: Reply, lang: str) -> bool:
        """The question's message shows `reply` (False when it needs more than one message)."""
        parts = outgoing(reply, lang, turn.group)
        if len(parts) != 1:
            return False
        part = parts[0]
        inline = part.markup if isinstance(part.markup, InlineKeyboardMarkup) else None
        turn.post(
            posts.Edit(message_id=message_id, html=part.html, markup=posts.markup_json(inline))
        )
        return True

    def show_in_place(self, turn: Turn, action: Pressed, reply: Reply, lang: str) -> bool:
        """A suggestion was tapped (or a face given, an answer taken off a list): the
        question's message itself shows the new ✓ (an edit,
        not a new message, so a group's taps cost none of its posts). False when that message
        cannot show it (unknown, or the question too long for one message)."""
        if action.message_id is None:
            return False
        return self.edit_question(turn, action.message_id, reply, lang)


def _may_lead(action: Action) -> bool:
    """Whether the action could be one that only a leader may take (then we ask who is
    admin); answers and ratings never are."""
    if isinstance(action, Called):
        command = commands.BY_NAME.get(action.name)
        return command is not None and command.leader
    if isinstance(action, Pressed):
        button = action.button
        if isinstance(button, callbacks.Answer):
            # Ratings and tapped suggestions are everyone's answers; cancelling is not.
            if button.value.startswith("cancel"):
                return True
            return button.position.state != "emotion" and not _is_suggestion(button.value)
        return isinstance(
            button, (callbacks.Move, callbacks.NewMap, callbacks.DeleteMap, callbacks.Language)
        )
    return False


def _is_suggestion(value: str) -> bool:
    return value.startswith(SUGGESTION) and value[len(SUGGESTION) :].isdigit()


def _leads(loaded: Loaded | None, turn: Turn) -> bool:
    """The person leads the scope's interview (or none is running, or they are admin)."""
    if turn.admin or loaded is None or loaded.interview.finished:
        return True
    leader = loaded.interview.facilitator
    return leader is None or leader.id == turn.author.id


def _leader_name(loaded: Loaded | None, turn: Turn) -> str:
    leader = loaded.interview.facilitator if loaded else None
    return leader.name if leader else ""


def _plain(outcome: Outcome, lang: str) -> str:
    return "\n".join(tr.render(r.text, lang) for r in outcome.replies)


def _close_keyboard(turn: Turn, action: Pressed) -> None:
    """Remove the buttons of the message pressed — when it really shows the button pressed
    (forged data on a live question must not strip its buttons)."""
    if action.message_id is not None and action.label:
        turn.post(posts.Edit(message_id=action.message_id))


def _mark_answered(turn: Turn, action: Pressed, lang: str, label: str) -> None:
    """Show the chosen answer under the question and remove its buttons."""
    if action.message_id is None:
        return
    html = None
    if label and action.message_html:
        html = f"{action.message_html}\n\n{t(lang, 'bot.answered', answer=label)}"
    turn.post(posts.Edit(message_id=action.message_id, html=html))


async def _answer(update: Update, text: str | None) -> None:
    """Answer a button press (Telegram shows a spinner until we do)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text[:TOAST_CHARS] if text else None)
    except TelegramError as problem:  # too late (over 15 s) or gone: nothing to undo
        log.info("could not answer button press %s: %s", query.id, problem)
