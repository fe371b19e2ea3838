"""Saved maps in the chat: the list, rename, copy, delete, compare, reminders and ticks (as
changes made inside a turn, their replies queued), and the heavy posts — the picture with
its checklist, the export files, the comparison chart — planned here when the courier sends
them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMediaPhoto
from telegram.constants import ChatAction, ParseMode

from bot import callbacks, commands, posts
from bot.actions import Called, Pressed
from bot.budget import Budget
from bot.courier import Part, message_part, simple_parts
from bot.replies import caption, pack, split, t, tr
from flows.analysis import compare as compare_maps
from flows.i18n import escape_html
from flows.model import JourneyMap
from flows.priorities import Progress, Status, opportunities, with_progress
from flows.spec import LIMITS, MapType
from renderers.checklist import (
    checklist_blocks,
    checklist_items,
    checklist_sections_for_export,
    comparison_lines,
    render_text,
)
from renderers.export import file_name as export_file_name
from renderers.pictures import MapPictures
from storage.records import MapSummary, Parcel
from storage.repository import Store

if TYPE_CHECKING:
    from bot.handlers import Turn

log = logging.getLogger(__name__)
MAPS_PER_PAGE = 5
TICKS_PER_PAGE = 8
TICK_LABEL_CHARS = 48
EXPORT_FORMATS = ("pdf", "html", "csv", "json")


class Renderer(Protocol):
    async def render(
        self, journey_map: JourneyMap, fmt: str, *, checklist: object = None
    ) -> bytes: ...

    async def compare(
        self, before: JourneyMap, after: JourneyMap, lang: str, labels: tuple[str, str]
    ) -> bytes: ...

    async def pictures(
        self, journey_map: JourneyMap, *, on_wait: Callable[[int], object] | None = None
    ) -> MapPictures: ...

    async def matrix(
        self, journey_map: JourneyMap, rated: list, numbers: dict[str, int], lang: str
    ) -> bytes: ...


def file_name(journey_map: JourneyMap, number: int, fmt: str) -> str:
    """`3-kopi-kita.pdf`: the map's number in the chat, then the export's own name."""
    return f"{number}-{export_file_name(journey_map, fmt)}"


# --- arguments ---------------------------------------------------------------------------------


async def number_argument(turn: Turn, action: Called, command: str) -> int | None:
    """The map number a command names, or None after saying how to use it."""
    found = callbacks.number(action.args[0]) if action.args else None
    if found is None:
        turn.say(t(turn.lang, "bot.usage", usage=commands.usage(command)))
    return found


async def existing(turn: Turn, number: int) -> MapSummary | None:
    summary = await turn.unit.maps.summary(turn.chat_id, number)
    if summary is None:
        turn.say(t(turn.lang, "bot.not_found", number=number))
    return summary


async def may_change(turn: Turn, number: int) -> MapSummary | None:
    """The map, when this person may change it: in a group its creator or an admin."""
    summary = await existing(turn, number)
    if summary is None:
        return None
    if turn.group and not turn.admin and summary.created_by_id != turn.author.id:
        turn.refuse(t(turn.lang, "bot.not_allowed", name=summary.created_by))
        return None
    return summary


def clean_title(text: str) -> str:
    """A title as typed, without invisible characters (zero-width spaces and the like)."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    return " ".join(visible.split())


# --- the list ----------------------------------------------------------------------------------


async def send_list(turn: Turn, page: int, edit_message_id: int | None = None) -> None:
    listing = await turn.unit.maps.listing(turn.chat_id, page=page, per_page=MAPS_PER_PAGE)
    lang = turn.lang
    if listing.total == 0:
        turn.say(t(lang, "bot.maps_empty"))
        return
    lines = [t(lang, "bot.maps_header", page=listing.page, pages=listing.pages)]
    buttons = []
    for m in listing.maps:
        kind = tr(lang, f"maptype.{m.map_type.value}")
        lines.append(
            t(
                lang,
                "bot.maps_line",
                number=m.number,
                title=m.title,
                type=kind,
                version=m.version,
                date=m.updated_at.strftime("%Y-%m-%d"),
            )
        )
        label = f"{m.number}. {m.title}"[:40]
        buttons.append(
            [InlineKeyboardButton(label, callback_data=callbacks.pack(callbacks.SHOW, m.number))]
        )
    nav = []
    if listing.page > 1:
        nav.append(
            InlineKeyboardButton(
                tr(lang, "bot.button.prev"),
                callback_data=callbacks.pack(callbacks.PAGE, listing.page - 1),
            )
        )
    if listing.page < listing.pages:
        nav.append(
            InlineKeyboardButton(
                tr(lang, "bot.button.next"),
                callback_data=callbacks.pack(callbacks.PAGE, listing.page + 1),
            )
        )
    if nav:
        buttons.append(nav)
    markup = InlineKeyboardMarkup(buttons)
    if edit_message_id is not None:
        turn.post(
            posts.Edit(
                message_id=edit_message_id, html="\n".join(lines), markup=posts.markup_json(markup)
            )
        )
        return
    turn.say("\n".join(lines), markup)


# --- changes -----------------------------------------------------------------------------------


async def rename(turn: Turn, action: Called) -> None:
    number = await number_argument(turn, action, "rename")
    if number is None:
        return
    title = clean_title(action.rest.split(maxsplit=1)[1] if len(action.args) > 1 else "")
    if not title:
        turn.say(t(turn.lang, "bot.usage", usage=commands.usage("rename")))
        return
    if len(title) > LIMITS.title_chars:
        turn.say(t(turn.lang, "error.too_long", limit=LIMITS.title_chars, length=len(title)))
        return
    if await may_change(turn, number) is None:
        return
    await turn.unit.maps.rename(turn.chat_id, number, title)
    turn.say(t(turn.lang, "bot.renamed", number=number, title=title))


def map_type_named(word: str) -> MapType | None:
    """A map type by its value or its name in any of our languages ("future", "przyszły")."""
    wanted = word.strip().casefold()
    for kind in MapType:
        if wanted == kind.value:
            return kind
        for lang in ("en", "id", "pl"):
            if wanted == tr(lang, f"maptype.{kind.value}").casefold():
                return kind
    return None


async def copy(turn: Turn, action: Called) -> None:
    number = await number_argument(turn, action, "copy")
    if number is None:
        return
    map_type = None
    if len(action.args) > 1:
        map_type = map_type_named(" ".join(action.args[1:]))
        if map_type is None:
            turn.say(t(turn.lang, "bot.usage", usage=commands.usage("copy")))
            return
    source = await turn.unit.maps.get(turn.chat_id, number)
    if source is None:
        turn.say(t(turn.lang, "bot.not_found", number=number))
        return
    if map_type is None:  # the method's usual next step: today's map → tomorrow's
        map_type = MapType.FUTURE if source.map_type == MapType.CURRENT else source.map_type
    summary = await turn.unit.maps.copy(turn.chat_id, number, map_type, turn.author)
    assert summary is not None
    turn.say(
        t(
            turn.lang,
            "bot.copied",
            number=summary.number,
            source=number,
            type=tr(turn.lang, f"maptype.{summary.map_type.value}"),
        )
    )


async def ask_delete(turn: Turn, action: Called) -> None:
    number = await number_argument(turn, action, "delete")
    if number is None:
        return
    summary = await may_change(turn, number)
    if summary is None:
        return
    buttons = [
        InlineKeyboardButton(
            tr(turn.lang, "bot.button.delete_yes"),
            callback_data=callbacks.pack(callbacks.DELETE, number, "y"),
        ),
        InlineKeyboardButton(
            tr(turn.lang, "bot.button.delete_no"),
            callback_data=callbacks.pack(callbacks.DELETE, number, "n"),
        ),
    ]
    turn.say(
        t(turn.lang, "bot.delete_confirm", number=number, title=summary.title),
        InlineKeyboardMarkup([buttons]),
    )


def parse_compare(
    args: tuple[str, ...],
) -> tuple[tuple[int, int | None], tuple[int, int | None]] | None:
    """('3', '5') → maps 3 and 5 (current versions); ('3', 'v1', 'v2') → map 3, v1 and v2."""
    words = [a.lower() for a in args]
    if len(words) == 2:
        first, second = (callbacks.number(w) for w in words)
        if first and second:
            return (first, None), (second, None)
    if len(words) == 3 and all(w.startswith("v") for w in words[1:]):
        number = callbacks.number(words[0])
        old, new = (callbacks.number(w[1:]) for w in words[1:])
        if number and old and new:
            return (number, old), (number, new)
    return None


async def compare(turn: Turn, action: Called) -> None:
    """/compare N M (two maps) or /compare N v1 v2 (two versions of one map)."""
    parsed = parse_compare(action.args)
    if parsed is None:
        turn.say(t(turn.lang, "bot.usage", usage=commands.usage("compare")))
        return
    for number, version in parsed:
        if await turn.unit.maps.get(turn.chat_id, number, version) is None:
            key = "bot.not_found" if version is None else "bot.version_not_found"
            turn.say(t(turn.lang, key, number=number, version=version))
            return
    turn.post(posts.Comparison(before=parsed[0], after=parsed[1], lang=turn.lang))


async def remind(turn: Turn, action: Called) -> None:
    from bot.reminders import parse_period

    number = await number_argument(turn, action, "remind")
    if number is None:
        return
    period = parse_period("".join(action.args[1:]))
    if period is None:
        turn.say(t(turn.lang, "bot.usage", usage=commands.usage("remind")))
        return
    due = datetime.now(UTC) + period
    if not await turn.unit.reminders.add(turn.chat_id, number, due):
        turn.say(t(turn.lang, "bot.not_found", number=number))
        return
    turn.reminders_changed = True
    turn.say(t(turn.lang, "bot.remind_set", number=number, date=due.strftime("%Y-%m-%d %H:%M")))


# --- buttons -----------------------------------------------------------------------------------


async def on_button(turn: Turn, action: Pressed) -> None:
    match action.button:
        case callbacks.ListPage(page=page):
            await send_list(turn, page, edit_message_id=action.message_id)
        case callbacks.ShowMap(number=number):
            if await existing(turn, number):
                turn.post(posts.MapPictures(number=number, lang=turn.lang))
        case callbacks.DeleteMap(number=number, confirmed=confirmed):
            await on_delete(turn, action, number, confirmed)
        case callbacks.Tick(number=number, page=page, item=item):
            await on_tick(turn, action, number, page, item)


async def on_delete(turn: Turn, action: Pressed, number: int, confirmed: bool) -> None:
    if action.message_id is None:
        return
    if not confirmed:
        turn.post(posts.Edit(message_id=action.message_id, html=t(turn.lang, "bot.kept")))
        return
    summary = await turn.unit.maps.summary(turn.chat_id, number)
    mine = summary is None or summary.created_by_id == turn.author.id
    if turn.group and not turn.admin and not mine:
        assert summary is not None
        turn.toast = tr(turn.lang, "bot.not_allowed", name=summary.created_by)
        return
    deleted = await turn.unit.maps.delete(turn.chat_id, number)
    key = "bot.deleted" if deleted else "bot.not_found"
    turn.post(posts.Edit(message_id=action.message_id, html=t(turn.lang, key, number=number)))


async def on_tick(turn: Turn, action: Pressed, number: int, page: int, item: str | None) -> None:
    journey_map = await turn.unit.maps.get(turn.chat_id, number)
    if journey_map is None:
        turn.toast = tr(turn.lang, "bot.not_found", number=number)
        return
    before = await turn.unit.maps.source_of(turn.chat_id, number)
    ticked = await turn.unit.maps.ticks(turn.chat_id, number)
    if item is not None:
        known = {i.id for section in checklist_items(journey_map, before) for i in section.items}
        if item not in known:
            turn.toast = tr(turn.lang, "bot.button_unknown")
            return
        now_ticked = item not in ticked
        await turn.unit.maps.set_tick(turn.chat_id, number, item, now_ticked, turn.author.name)
        ticked = ticked | {item} if now_ticked else ticked - {item}
    if action.message_id is not None:
        markup = tick_keyboard(journey_map, number, turn.lang, ticked, page, before)
        turn.post(posts.Edit(message_id=action.message_id, markup=posts.markup_json(markup)))


def tick_keyboard(
    journey_map: JourneyMap,
    number: int,
    lang: str,
    ticked: set[str],
    page: int,
    before: JourneyMap | None = None,
) -> InlineKeyboardMarkup:
    items = [item for section in checklist_items(journey_map, before) for item in section.items]
    pages = max(1, -(-len(items) // TICKS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    rows = []
    for item in items[page * TICKS_PER_PAGE : (page + 1) * TICKS_PER_PAGE]:
        mark = "✅" if item.id in ticked else "⬜"
        text = render_text(item.text, lang)
        if len(text) > TICK_LABEL_CHARS:
            text = text[: TICK_LABEL_CHARS - 1] + "…"
        data = callbacks.pack(callbacks.TICK, number, page, item.id)
        rows.append([InlineKeyboardButton(f"{mark} {text}", callback_data=data)])
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                "◀", callback_data=callbacks.pack(callbacks.TICK, number, page - 1)
            )
        )
    if pages > 1:
        nav.append(
            InlineKeyboardButton(
                f"{page + 1}/{pages}", callback_data=callbacks.pack(callbacks.TICK, number, page)
            )
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton(
                "▶", callback_data=callbacks.pack(callbacks.TICK, number, page + 1)
            )
        )
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


# --- the heavy posts, planned when they are sent -------------------------------------------------


class Desk:
    """Plans the posts of several requests: reads the map when the post is sent, and makes its
    pictures and files on the way (a part that already went out before a crash is skipped
    without being drawn again)."""

    def __init__(self, store: Store, renderer: Renderer) -> None:
        self.store = store
        self.renderer = renderer
        self.bot: Bot | None = None  # for "uploading…" in the chat while a picture is drawn
        self._courtesies: set[asyncio.Task] = set()
        self.budget: Budget | None = None  # the courier's, so courtesies count too
        # The "Open map" button under a map (bot/webapp/buttons.py), when there is a web app.
        self.open_button: Callable[[str, int, str, str | None], Any] | None = None

    async def plan(self, post: posts.Post, parcel: Parcel) -> list[Part]:
        simple = simple_parts(post, parcel)
        if simple is not None:
            return simple
        if isinstance(post, posts.MapPictures):
            return await self.map_parts(parcel, post)
        if isinstance(post, posts.Exports):
            return await self.export_parts(parcel, post)
        if isinstance(post, posts.Comparison):
            return await self.comparison_parts(parcel, post)
        if isinstance(post, posts.Matrix):
            from bot.priorities import matrix_parts

            return await matrix_parts(self, parcel, post)
        raise ValueError(f"no plan for {post!r}")

    async def _read(
        self, chat_id: str, number: int
    ) -> tuple[JourneyMap, MapSummary, set[str], JourneyMap | None] | None:
        async def read(u):
            journey_map = await u.maps.get(chat_id, number)
            summary = await u.maps.summary(chat_id, number)
            if journey_map is None or summary is None:
                return None
            return (
                journey_map,
                summary,
                await u.maps.ticks(chat_id, number),
                await u.maps.source_of(chat_id, number),
            )

        return await self.store.run(read)

    async def _marked(self, chat_id: str, number: int, journey_map: JourneyMap) -> JourneyMap:
        """The map as the picture and the exports show it: its opportunities that became
        actions marked with their status and owner."""
        actions = await self.store.run(
            lambda u: u.actions.of_chat(chat_id, open_only=False, number=number)
        )
        progress = {a.opportunity: Progress(a.status, a.owner_name) for a in actions}
        return with_progress(journey_map, progress)

    async def _actions_done(self, chat_id: str, numbers: set[int], lang: str) -> list[str]:
        """The actions done from either map's opportunities (a map and its future state: what
        the team has already changed), as lines under the comparison."""
        from bot.priorities import with_owner

        async def of_map(number: int) -> list:
            return await self.store.run(
                lambda u: u.actions.of_chat(chat_id, open_only=False, number=number)
            )

        done = []
        for number in sorted(numbers):
            done += [a for a in await of_map(number) if a.status == Status.DONE]
        if not done:
            return []
        lines = [t(lang, "bot.compare_actions_done", count=len(done))]
        lines += [with_owner(a, lang, "bot.compare_action_line", text=a.text) for a in done]
        return lines

    def _text(self, chat: int, thread: int | None, html: str, markup: Any = None) -> Part:
        return message_part(
            chat, thread, posts.Message(html=html, markup=posts.markup_json(markup))
        )

    async def map_parts(self, parcel: Parcel, post: posts.MapPictures) -> list[Part]:
        chat, thread, lang = int(parcel.chat_id), parcel.thread_id, post.lang
        found = await self._read(parcel.chat_id, post.number)
        if found is None:
            return [self._text(chat, thread, t(lang, "bot.not_found", number=post.number))]
        journey_map, summary, ticked, before = found

        async def draw() -> MapPictures | None:
            if self.bot is not None:
                with contextlib.suppress(Exception):  # a courtesy; never worth a failure
                    await self.bot.send_chat_action(
                        chat, ChatAction.UPLOAD_PHOTO, message_thread_id=thread
                    )
            marked = await self._marked(parcel.chat_id, post.number, journey_map)
            return await self._pictures(
                marked, lambda ahead: self._queued(chat, thread, lang, ahead)
            )

        pictures = _Once(draw)
        opener = None
        if self.open_button is not None:
            username = self.bot.username if self.bot is not None else None
            opener = self.open_button(parcel.chat_id, post.number, lang, username)
        label = tr(journey_map.language, f"maptype.{journey_map.map_type or 'current'}")
        photo_caption = caption(
            tr(
                lang,
                "bot.map_caption",
                title=journey_map.title,
                type=label,
                version=summary.version,
            )
        )

        async def photo(bot: Bot) -> Any:
            drawn = await pictures.get()
            if drawn is None:
                return await bot.send_message(
                    chat,
                    t(lang, "bot.render_failed", number=post.number),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread,
                )
            if len(drawn.photos) > 1:  # a map too wide for one photo: its parts, one album
                album = [
                    InputMediaPhoto(photo, caption=photo_caption if k == 0 else None)
                    for k, photo in enumerate(drawn.photos)
                ]
                sent = await bot.send_media_group(chat, album, message_thread_id=thread)
                return sent[0]  # (an album takes no buttons: the file below has it)
            return await bot.send_photo(
                chat,
                drawn.photos[0],
                caption=photo_caption,
                message_thread_id=thread,
                reply_markup=opener,
            )

        async def document(bot: Bot) -> Any:
            drawn = await pictures.get()
            if drawn is None:
                return None
            return await bot.send_document(
                chat,
                InputFile(drawn.full_png, filename=file_name(journey_map, post.number, "png")),
                caption=caption(tr(lang, "bot.map_file_caption")),
                message_thread_id=thread,
                reply_markup=opener if len(drawn.photos) > 1 else None,
            )

        def photos_posted() -> int:
            drawn = pictures.result()
            return len(drawn.photos) if drawn is not None else 1

        parts = [
            Part(photo, prepare=pictures.get, posts=photos_posted),
            Part(document, prepare=pictures.get),
        ]
        for html in pack(checklist_blocks(journey_map, lang, ticked, html=True, before=before)):
            parts.append(self._text(chat, thread, html))
        keyboard = tick_keyboard(journey_map, post.number, lang, ticked, 0, before)
        parts.append(self._text(chat, thread, t(lang, "bot.tick_intro"), keyboard))
        if opportunities(journey_map):
            from bot.priorities import offer

            parts.append(self._text(chat, thread, *offer(lang, post.number)))
        return parts

    def _queued(self, chat: int, thread: int | None, lang: str, ahead: int) -> None:
        """Every render worker is busy: say so rather than leave the chat wondering (a
        courtesy, outside the outbox: not worth a resend)."""
        if self.bot is None:
            return
        text = t(lang, "bot.drawing_queue", ahead=ahead) if ahead else t(lang, "bot.drawing_next")

        async def say() -> None:
            if self.budget is not None and await self.budget.reserve(str(chat), 1):
                return  # (in a group whose share of posts is used up, better not)
            with contextlib.suppress(Exception):
                await self.bot.send_message(  # type: ignore[union-attr]
                    chat, text, parse_mode=ParseMode.HTML, message_thread_id=thread
                )

        task = asyncio.ensure_future(say())
        self._courtesies.add(task)
        task.add_done_callback(self._courtesies.discard)

    async def _pictures(
        self, journey_map: JourneyMap, on_wait: Callable[[int], object] | None = None
    ) -> MapPictures | None:
        """The photo(s) and the full-resolution file from one drawing, or None when they
        cannot be drawn (then the chat is told, and the checklist still follows)."""
        try:
            return await self.renderer.pictures(journey_map, on_wait=on_wait)
        except Exception:
            log.exception("drawing map “%s” failed", journey_map.title)
            return None

    async def export_parts(self, parcel: Parcel, post: posts.Exports) -> list[Part]:
        chat, thread, lang = int(parcel.chat_id), parcel.thread_id, post.lang
        found = await self._read(parcel.chat_id, post.number)
        if found is None:
            return [self._text(chat, thread, t(lang, "bot.not_found", number=post.number))]
        journey_map, _, ticked, before = found
        checklist = checklist_sections_for_export(journey_map, lang, ticked, before=before)
        journey_map = await self._marked(parcel.chat_id, post.number, journey_map)

        def export(fmt: str) -> Part:
            async def make() -> bytes | None:
                try:
                    return await self.renderer.render(journey_map, fmt, checklist=checklist)
                except Exception:
                    log.exception("exporting map “%s” as %s failed", journey_map.title, fmt)
                    return None

            made = _Once(make)

            async def send(bot: Bot) -> Any:
                data = await made.get()
                if data is None:
                    return await bot.send_message(
                        chat,
                        t(lang, "bot.render_failed", number=post.number),
                        parse_mode=ParseMode.HTML,
                        message_thread_id=thread,
                    )
                return await bot.send_document(
                    chat,
                    InputFile(data, filename=file_name(journey_map, post.number, fmt)),
                    caption=caption(
                        tr(lang, "bot.export_caption", title=journey_map.title, format=fmt.upper())
                    ),
                    message_thread_id=thread,
                )

            return Part(send, prepare=made.get)

        return [export(fmt) for fmt in EXPORT_FORMATS]

    async def comparison_parts(self, parcel: Parcel, post: posts.Comparison) -> list[Part]:
        chat, thread, lang = int(parcel.chat_id), parcel.thread_id, post.lang
        chat_id = parcel.chat_id

        async def read(u):
            out = []
            for number, version in (post.before, post.after):
                journey_map = await u.maps.get(chat_id, number, version)
                summary = await u.maps.summary(chat_id, number)
                if journey_map is None or summary is None:
                    return None
                label = tr(
                    lang, "bot.compare_label", number=number, version=version or summary.version
                )
                out.append((journey_map, label))
            return out

        found = await self.store.run(read)
        if found is None:
            return [self._text(chat, thread, t(lang, "bot.not_found", number=post.before[0]))]
        (old, old_label), (new, new_label) = found

        async def draw() -> bytes | None:
            try:
                return await self.renderer.compare(old, new, lang, (old_label, new_label))
            except Exception:
                log.exception("drawing the comparison failed")
                return None

        drawn = _Once(draw)

        async def chart(bot: Bot) -> Any:
            picture = await drawn.get()
            if picture is None:
                return await bot.send_message(
                    chat,
                    t(lang, "bot.render_failed", number=post.after[0]),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread,
                )
            return await bot.send_photo(
                chat,
                picture,
                caption=caption(tr(lang, "bot.compare_caption", before=old_label, after=new_label)),
                message_thread_id=thread,
            )

        lines = [
            escape_html(render_text(line, lang))
            for line in comparison_lines(compare_maps(old, new))
        ]
        heading = t(lang, "bot.compare_heading", before=old_label, after=new_label)
        body = [heading, *(f"• {line}" for line in lines)]
        body += await self._actions_done(chat_id, {post.before[0], post.after[0]}, lang)
        texts = split("\n".join(body))
        return [Part(chart, prepare=drawn.get), *(self._text(chat, thread, html) for html in texts)]


class _Once:
    """An awaitable made on first use and shared by the parts that need it."""

    def __init__(self, make: Callable[[], Awaitable[Any]]) -> None:
        self.make = make
        self._task: asyncio.Task | None = None

    async def get(self) -> Any:
        if self._task is None:
            self._task = asyncio.ensure_future(self.make())
        return await self._task

    def result(self) -> Any:
        """What `get` made (call it after awaiting `get`)."""
        assert self._task is not None and self._task.done()
        return self._task.result()
