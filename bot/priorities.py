"""From map to action, in the chat: `/prioritize N` (or the button under a drawn map) posts
each opportunity with impact and effort buttons — in a group everyone rates and the mean
counts; the priority matrix says where to start and offers each opportunity as an action;
an action gets an owner (a mention, "me", or a name) and a due date typed naturally, both asked
as replies; `/actions` lists the chat's open actions with buttons to move them on; when one
falls due its owner is asked in the chat, once (claimed with the question queued, as a map's
reminder is)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from telegram import Bot, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from bot import callbacks, commands, posts
from bot.actions import Called, Pressed, Said
from bot.courier import Part
from bot.posts import Question
from bot.replies import caption, t, tr
from flows.duedates import parse_due
from flows.i18n import escape_html
from flows.priorities import (
    MARKS,
    SCALE,
    Quadrant,
    Rated,
    Status,
    by_quadrant,
    opportunities,
    rate,
    start_with,
)
from storage.actions import ActionRecord
from storage.records import Parcel
from storage.repository import Unit

if TYPE_CHECKING:
    from bot.handlers import Turn
    from bot.maps import Desk

SCOPE = "action"  # the questions about an action (its owner, its date), as replies note them
RATED_AT_ONCE = 12  # opportunities posted for rating by one /prioritize
ACTION_BUTTONS = 8  # opportunities offered as actions under the matrix
LISTED = 20  # actions /actions shows (the soonest due)
BUTTON_CHARS = 40
# The owner is asked on the morning of the due date (UTC: chats have no time zone of their
# own), and never sooner than an hour after the action is made.
ASK_AT = time(9, 0, tzinfo=UTC)
FIRST_ASK_AFTER = timedelta(hours=1)
SNOOZE = timedelta(days=1)
ME = {"me", "i", "myself", "saya", "aku", "ja", "mnie", "ja sam", "ja sama"}
ICONS = {"impact": "🎯", "effort": "🛠"}
STATUS_ICONS = MARKS
ORDER = (Quadrant.QUICK_WIN, Quadrant.BIG_BET, Quadrant.FILL_IN, Quadrant.TIME_SINK)


def today() -> date:
    return datetime.now(UTC).date()


def short(text: str, limit: int = BUTTON_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def date_text(on: date, lang: str) -> str:
    return format_date(on, format="medium", locale=lang)


def owner_html(action: ActionRecord) -> str:
    """The owner as the chat sees them: a mention that notifies them where we can."""
    name = escape_html(action.owner_name)
    if action.owner_id.isdigit():
        return f'<a href="tg://user?id={action.owner_id}">{name}</a>'
    return name


# The owner's mention is HTML of ours (a link), not text to escape: the message is made with a
# mark in its place, then the mark is swapped for the mention.
_OWNER_MARK = "\u2063owner\u2063"


def with_owner(action: ActionRecord, lang: str, key: str, **params: object) -> str:
    return t(lang, key, owner=_OWNER_MARK, **params).replace(_OWNER_MARK, owner_html(action))


def first_ask(due_on: date, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return max(datetime.combine(due_on, ASK_AT), now + FIRST_ASK_AFTER)


# --- rating ------------------------------------------------------------------------------------


async def cmd_prioritize(turn: Turn, action: Called) -> None:
    from bot.maps import existing, number_argument

    number = await number_argument(turn, action, "prioritize")
    if number is not None and await existing(turn, number):
        await post_ratings(turn, number)


async def post_ratings(turn: Turn, number: int) -> None:
    journey_map = await turn.unit.maps.get(turn.chat_id, number)
    if journey_map is None:
        turn.say(t(turn.lang, "bot.not_found", number=number))
        return
    found = opportunities(journey_map)
    if not found:
        turn.say(t(turn.lang, "bot.rate_nothing", number=number))
        return
    shown = found[:RATED_AT_ONCE]
    key = "bot.rate_intro_group" if turn.group else "bot.rate_intro"
    turn.say(t(turn.lang, key, number=number, count=len(shown), total=len(found)))
    for index, opportunity in enumerate(shown, 1):
        stage = journey_map.stages[opportunity.stage].name
        html = t(
            turn.lang,
            "bot.rate_item",
            index=index,
            count=len(shown),
            stage=stage,
            text=opportunity.text,
        )
        turn.say(html, rating_keyboard(number, opportunity.id))
    button = InlineKeyboardButton(
        tr(turn.lang, "bot.button.matrix"), callback_data=callbacks.pack(callbacks.MATRIX, number)
    )
    turn.say(t(turn.lang, "bot.rate_then_matrix"), InlineKeyboardMarkup([[button]]))


def rating_keyboard(number: int, opportunity: str) -> InlineKeyboardMarkup:
    rows = []
    for aspect, code in (("impact", "i"), ("effort", "e")):
        rows.append(
            [
                InlineKeyboardButton(
                    f"{ICONS[aspect]} {value}",
                    callback_data=callbacks.pack(callbacks.RATE, number, opportunity, code, value),
                )
                for value in SCALE
            ]
        )
    return InlineKeyboardMarkup(rows)


async def on_rate(turn: Turn, button: callbacks.Rate) -> None:
    journey_map = await turn.unit.maps.get(turn.chat_id, button.number)
    known = {o.id for o in opportunities(journey_map)} if journey_map else set()
    if button.opportunity not in known:
        turn.toast = tr(turn.lang, "bot.closed")
        return
    rating = {button.aspect: button.value}
    vote = await turn.unit.actions.vote(
        turn.chat_id,
        button.number,
        button.opportunity,
        (turn.author.id, turn.author.name),
        **rating,
    )
    if vote is None:
        turn.toast = tr(turn.lang, "bot.closed")
        return
    turn.toast = tr(
        turn.lang,
        "bot.rated",
        impact=vote.impact if vote.impact is not None else "–",
        effort=vote.effort if vote.effort is not None else "–",
    )


# --- the matrix --------------------------------------------------------------------------------


def start_with_html(rated: list[Rated], numbers: dict[str, int], lang: str) -> str:
    first = start_with(rated)
    if not first:
        if not any(r.rated for r in rated):
            return t(lang, "bot.matrix_unrated")
        return t(lang, "bot.matrix_no_quick_win")
    names = "; ".join(
        f"{numbers[r.opportunity.id]}. {escape_html(r.opportunity.text)}" for r in first
    )
    return tr(lang, "bot.start_with", items=names)


def action_offers(
    number: int, rated: list[Rated], numbers: dict[str, int]
) -> list[list[InlineKeyboardButton]]:
    """The rated opportunities, the quick wins first, as "make it an action" buttons."""
    placed = by_quadrant(rated)
    ordered = [r for q in ORDER for r in placed[q]]
    return [
        [
            InlineKeyboardButton(
                short(f"➕ {numbers[r.opportunity.id]}. {r.opportunity.text}"),
                callback_data=callbacks.pack(callbacks.MAKE_ACTION, number, r.opportunity.id),
            )
        ]
        for r in ordered[:ACTION_BUTTONS]
    ]


async def matrix_parts(desk: Desk, parcel: Parcel, post: posts.Matrix) -> list[Part]:
    chat, thread, lang = int(parcel.chat_id), parcel.thread_id, post.lang

    async def read(u: Unit) -> Any:
        journey_map = await u.maps.get(parcel.chat_id, post.number)
        if journey_map is None:
            return None
        return journey_map, await u.actions.votes(parcel.chat_id, post.number)

    found = await desk.store.run(read)
    if found is None:
        return [desk._text(chat, thread, t(lang, "bot.not_found", number=post.number))]
    journey_map, votes = found
    listed = opportunities(journey_map)
    numbers = {o.id: n for n, o in enumerate(listed, 1)}
    rated = rate(listed, votes)

    async def draw() -> bytes | None:
        try:
            return await desk.renderer.matrix(journey_map, rated, numbers, lang)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("drawing the priority matrix failed")
            return None

    from bot.maps import _Once, file_name

    drawn = _Once(draw)

    async def photo(bot: Bot) -> Any:
        picture = await drawn.get()
        if picture is None:
            return await bot.send_message(
                chat,
                t(lang, "bot.render_failed", number=post.number),
                parse_mode="HTML",
                message_thread_id=thread,
            )
        return await bot.send_photo(
            chat,
            InputFile(picture, filename=file_name(journey_map, post.number, "png")),
            caption=caption(tr(lang, "bot.matrix_caption", number=post.number)),
            message_thread_id=thread,
        )

    rows = action_offers(post.number, rated, numbers)
    text = start_with_html(rated, numbers, lang)
    if rows:
        text += "\n\n" + t(lang, "bot.matrix_make_action")
    markup = InlineKeyboardMarkup(rows) if rows else None
    return [Part(photo, prepare=drawn.get), desk._text(chat, thread, text, markup)]


# --- actions: made, asked for, listed, moved on ----------------------------------------------


async def on_make_action(turn: Turn, button: callbacks.MakeAction) -> None:
    journey_map = await turn.unit.maps.get(turn.chat_id, button.number)
    found = {o.id: o for o in opportunities(journey_map)} if journey_map else {}
    opportunity = found.get(button.opportunity)
    if opportunity is None:
        turn.toast = tr(turn.lang, "bot.closed")
        return
    made = await turn.unit.actions.add(
        turn.chat_id, button.number, opportunity.id, opportunity.text, turn.author.name
    )
    assert made is not None
    ask_owner(turn, made)


def ask_owner(turn: Turn, action: ActionRecord) -> None:
    key = "bot.action_owner_group" if turn.group else "bot.action_owner"
    turn.say(
        t(turn.lang, key, text=action.text),
        ForceReply(selective=False, input_field_placeholder=tr(turn.lang, "bot.owner_hint")),
        question=Question(scope=SCOPE, position=f"owner:{action.id}"),
    )


def ask_due(turn: Turn, action: ActionRecord, problem: str = "") -> None:
    lines = [t(turn.lang, f"bot.due_{problem}")] if problem else []
    lines.append(t(turn.lang, "bot.action_due", text=action.text))
    turn.say(
        "\n".join(lines),
        ForceReply(selective=False, input_field_placeholder=tr(turn.lang, "bot.due_hint")),
        question=Question(scope=SCOPE, position=f"due:{action.id}"),
    )


async def on_answer(turn: Turn, said: Said, position: str) -> None:
    """A reply to a question about an action: its owner, or its due date."""
    what, _, ident = position.partition(":")
    action = await turn.unit.actions.get(turn.chat_id, int(ident)) if ident.isdigit() else None
    if action is None:
        turn.say(t(turn.lang, "bot.closed"))
        return
    if what == "owner":
        owner_id, name = owner_from(turn, said)
        if not name:
            ask_owner(turn, action)
            return
        await turn.unit.actions.set_owner(turn.chat_id, action.id, owner_id, name)
        if action.due_on is None:
            ask_due(turn, action)
        else:
            await confirm(turn, action.id)
        return
    due = parse_due(said.text, turn.lang, today())
    if due.on is None:
        ask_due(turn, action, due.problem)
        return
    await turn.unit.actions.set_due(turn.chat_id, action.id, due.on, first_ask(due.on))
    turn.reminders_changed = True
    await confirm(turn, action.id)


def owner_from(turn: Turn, said: Said) -> tuple[str, str]:
    """(user id or "", name) of the owner a reply names: the first person mentioned, the
    person replying when they say "me", else the name as typed."""
    if said.mentions:
        return said.mentions[0].user_id, said.mentions[0].name
    typed = " ".join(said.text.split())[:100]
    if typed.casefold() in ME:
        return turn.author.id, turn.author.name
    return "", typed


async def confirm(turn: Turn, action_id: int) -> None:
    action = await turn.unit.actions.get(turn.chat_id, action_id)
    if action is None or action.due_on is None:
        return
    html = with_owner(
        action,
        turn.lang,
        "bot.action_made",
        text=action.text,
        date=date_text(action.due_on, turn.lang),
        number=action.map_number,
    )
    turn.say(html, status_keyboard(action, turn.lang))


def status_keyboard(action: ActionRecord, lang: str, prefix: str = "") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([status_row(action, lang, prefix)])


def status_row(action: ActionRecord, lang: str, prefix: str = "") -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            f"{prefix}{STATUS_ICONS[status]} {tr(lang, f'bot.status.{status.value}')}",
            callback_data=callbacks.pack(callbacks.STATUS, action.id, status.value),
        )
        for status in Status
        if status != action.status
    ]


async def cmd_actions(turn: Turn, action: Called) -> None:
    html, markup = await actions_list(turn)
    turn.say(html, markup)


async def actions_list(turn: Turn) -> tuple[str, InlineKeyboardMarkup | None]:
    found = await turn.unit.actions.of_chat(turn.chat_id)
    if not found:
        return t(turn.lang, "bot.actions_empty"), None
    lines = [t(turn.lang, "bot.actions_header", count=len(found))]
    rows = []
    for n, action in enumerate(found[:LISTED], 1):
        assert action.due_on is not None
        late = action.due_on < today()
        lines.append(
            with_owner(
                action,
                turn.lang,
                "bot.actions_line_late" if late else "bot.actions_line",
                n=n,
                icon=STATUS_ICONS[action.status],
                text=action.text,
                date=date_text(action.due_on, turn.lang),
                status=tr(turn.lang, f"bot.status.{action.status.value}"),
                number=action.map_number,
            )
        )
        rows.append(status_row(action, turn.lang, prefix=f"{n}. "))
    if len(found) > LISTED:
        lines.append(t(turn.lang, "bot.actions_more", count=len(found) - LISTED))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_status(turn: Turn, pressed: Pressed, button: callbacks.SetStatus) -> None:
    action = await turn.unit.actions.get(turn.chat_id, button.action)
    if action is None or not action.ready:
        turn.toast = tr(turn.lang, "bot.closed")
        return
    await turn.unit.actions.set_status(turn.chat_id, action.id, button.status)
    turn.toast = tr(
        turn.lang,
        "bot.status_set",
        text=short(action.text),
        status=tr(turn.lang, f"bot.status.{button.status.value}"),
    )
    if pressed.message_id is None:
        return
    if pressed.message_html and pressed.label and _is_list(pressed):
        html, markup = await actions_list(turn)
        turn.post(
            posts.Edit(message_id=pressed.message_id, html=html, markup=posts.markup_json(markup))
        )
        return
    moved = await turn.unit.actions.get(turn.chat_id, action.id)
    assert moved is not None
    html = with_owner(
        moved,
        turn.lang,
        "bot.action_now",
        icon=STATUS_ICONS[moved.status],
        text=moved.text,
        status=tr(turn.lang, f"bot.status.{moved.status.value}"),
    )
    markup = status_keyboard(moved, turn.lang) if moved.status != Status.DONE else None
    edit = posts.Edit(message_id=pressed.message_id, html=html, markup=posts.markup_json(markup))
    turn.post(edit)


def _is_list(pressed: Pressed) -> bool:
    """The button is on the /actions list (its buttons are numbered)."""
    return pressed.label[:1].isdigit()


async def on_snooze(turn: Turn, pressed: Pressed, button: callbacks.Snooze) -> None:
    action = await turn.unit.actions.get(turn.chat_id, button.action)
    if action is None or action.status == Status.DONE:
        turn.toast = tr(turn.lang, "bot.closed")
        return
    until = datetime.now(UTC) + SNOOZE
    await turn.unit.actions.snooze(turn.chat_id, action.id, until)
    turn.reminders_changed = True
    turn.toast = tr(turn.lang, "bot.snoozed")
    if pressed.message_id is not None:
        turn.post(
            posts.Edit(
                message_id=pressed.message_id,
                html=with_owner(action, turn.lang, "bot.action_snoozed", text=action.text),
            )
        )


async def ask_when_due(u: Unit, action_id: int, chat_id: str, instance: str) -> bool:
    """Claim a due action and queue the question to its owner, together; False when another
    instance took it (or it is done or gone)."""
    if not await u.actions.claim(action_id, instance):
        return False
    action = await u.actions.get(chat_id, action_id)
    if action is None or action.due_on is None or action.status == Status.DONE:
        return False
    lang = await u.chats.language(chat_id) or "en"
    when = (
        tr(lang, "bot.due_today")
        if action.due_on == today()
        else tr(lang, "bot.due_on", date=date_text(action.due_on, lang))
    )
    html = with_owner(action, lang, "bot.action_asked", text=action.text, when=when)
    buttons = [
        InlineKeyboardButton(
            f"✅ {tr(lang, 'bot.status.done')}",
            callback_data=callbacks.pack(callbacks.STATUS, action.id, Status.DONE.value),
        ),
        InlineKeyboardButton(
            tr(lang, "bot.button.snooze"),
            callback_data=callbacks.pack(callbacks.SNOOZE, action.id),
        ),
    ]
    message = posts.Message(html=html, markup=posts.markup_json(InlineKeyboardMarkup([buttons])))
    await u.outbox.add(chat_id, posts.dump(message))
    return True


def offer(lang: str, number: int) -> tuple[str, InlineKeyboardMarkup]:
    """Under a drawn map with opportunities: rate them."""
    button = InlineKeyboardButton(
        tr(lang, "bot.button.prioritize"),
        callback_data=callbacks.pack(callbacks.PRIORITIZE, number),
    )
    usage = commands.usage("prioritize").replace("N", str(number))
    return t(lang, "bot.prioritize_offer", usage=usage), InlineKeyboardMarkup([[button]])
