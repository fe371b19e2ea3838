"""Saved maps in the chat: the picture and checklist, the list, exports, rename, copy,
delete, ticks and comparisons."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest

from bot import callbacks
from bot.replies import caption, split, t, tr
from flows.analysis import compare
from flows.i18n import escape_html
from flows.model import JourneyMap
from flows.spec import MapType
from renderers.checklist import (
    checklist_items,
    checklist_sections_for_export,
    comparison_lines,
    render_checklist,
    render_text,
)
from renderers.export import file_name as export_file_name
from renderers.pictures import MapPictures
from storage.repository import Store

log = logging.getLogger(__name__)
MAPS_PER_PAGE = 5
TICKS_PER_PAGE = 8
TICK_LABEL_CHARS = 48
EXPORT_FORMATS = ("pdf", "html", "csv", "json")


class Renderer(Protocol):
    async def render(
        self, journey_map: JourneyMap, fmt: str, *, checklist: object = None
    ) -> bytes: ...

    async def pictures(self, journey_map: JourneyMap) -> MapPictures: ...


def file_name(journey_map: JourneyMap, number: int, fmt: str) -> str:
    """`3-kopi-kita.pdf`: the map's number in the chat, then the export's own name."""
    return f"{number}-{export_file_name(journey_map, fmt)}"


class MapDesk:
    def __init__(self, store: Store, renderer: Renderer) -> None:
        self.store = store
        self.renderer = renderer

    # --- showing a map ------------------------------------------------------------------

    async def send_map(self, bot: Bot, chat: int, chat_id: str, number: int, lang: str) -> None:
        """The picture (photo + full-resolution file), then the checklist with its ticks."""
        journey_map = await self.store.get_map(chat_id, number)
        summary = await self.store.map_summary(chat_id, number)
        if journey_map is None or summary is None:
            await self.not_found(bot, chat, lang, number)
            return
        await bot.send_chat_action(chat, ChatAction.UPLOAD_PHOTO)
        before = await self._source(chat_id, number)
        try:
            pictures = await self.renderer.pictures(journey_map)
        except Exception:
            log.exception("rendering map %s of chat %s failed", number, chat_id)
            await bot.send_message(
                chat, t(lang, "bot.render_failed", number=number), parse_mode=ParseMode.HTML
            )
        else:
            label = tr(journey_map.language, f"maptype.{journey_map.map_type or 'current'}")
            text = tr(
                lang,
                "bot.map_caption",
                title=journey_map.title,
                type=label,
                version=summary.version,
            )
            # One photo, or one per part of a map too wide for one (each names its stages).
            for index, photo in enumerate(pictures.photos):
                await bot.send_photo(chat, photo, caption=caption(text) if index == 0 else None)
            await bot.send_document(
                chat,
                InputFile(pictures.full_png, filename=file_name(journey_map, number, "png")),
                caption=caption(tr(lang, "bot.map_file_caption")),
            )
        ticked = await self.store.ticks(chat_id, number)
        for message in render_checklist(journey_map, lang, ticked, html=True, before=before):
            await bot.send_message(chat, message, parse_mode=ParseMode.HTML)
        await bot.send_message(
            chat,
            t(lang, "bot.tick_intro"),
            parse_mode=ParseMode.HTML,
            reply_markup=self.tick_keyboard(journey_map, number, lang, ticked, 0, before),
        )

    async def _source(self, chat_id: str, number: int) -> JourneyMap | None:
        """The map this one was copied from (a future state's current state), if any."""
        source = await self.store.copied_from(chat_id, number)
        return await self.store.get_map(chat_id, source) if source else None

    def tick_keyboard(
        self,
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
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{mark} {text}",
                        callback_data=callbacks.pack(callbacks.TICK, number, page, item.id),
                    )
                ]
            )
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
                    f"{page + 1}/{pages}",
                    callback_data=callbacks.pack(callbacks.TICK, number, page),
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

    async def not_found(self, bot: Bot, chat: int, lang: str, number: object) -> None:
        await bot.send_message(
            chat, t(lang, "bot.not_found", number=number), parse_mode=ParseMode.HTML
        )

    # --- the list -------------------------------------------------------------------------

    async def send_list(
        self, bot: Bot, chat: int, chat_id: str, lang: str, page: int = 1, edit=None
    ) -> None:  # type: ignore[no-untyped-def]
        listing = await self.store.list_maps(chat_id, page=page, per_page=MAPS_PER_PAGE)
        if listing.total == 0:
            await bot.send_message(chat, t(lang, "bot.maps_empty"), parse_mode=ParseMode.HTML)
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
                [
                    InlineKeyboardButton(
                        label, callback_data=callbacks.pack(callbacks.SHOW, m.number)
                    )
                ]
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
        if edit is not None:
            await edit.edit_text("\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup)
            return
        await bot.send_message(
            chat, "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup
        )

    # --- files ------------------------------------------------------------------------------

    async def send_exports(self, bot: Bot, chat: int, chat_id: str, number: int, lang: str) -> None:
        journey_map = await self.store.get_map(chat_id, number)
        if journey_map is None:
            await self.not_found(bot, chat, lang, number)
            return
        await bot.send_chat_action(chat, ChatAction.UPLOAD_DOCUMENT)
        ticked = await self.store.ticks(chat_id, number)
        before = await self._source(chat_id, number)
        checklist = checklist_sections_for_export(journey_map, lang, ticked, before=before)
        for fmt in EXPORT_FORMATS:
            data = await self.renderer.render(journey_map, fmt, checklist=checklist)
            await bot.send_document(
                chat,
                InputFile(data, filename=file_name(journey_map, number, fmt)),
                caption=caption(
                    tr(lang, "bot.export_caption", title=journey_map.title, format=fmt.upper())
                ),
            )

    # --- comparing ---------------------------------------------------------------------------

    async def send_comparison(
        self,
        bot: Bot,
        chat: int,
        chat_id: str,
        lang: str,
        before: tuple[int, int | None],
        after: tuple[int, int | None],
    ) -> None:
        """Two maps, or two versions of one map: both emotion curves, then what changed."""
        maps = []
        for number, version in (before, after):
            journey_map = await self.store.get_map(chat_id, number, version)
            summary = await self.store.map_summary(chat_id, number)
            if journey_map is None or summary is None:
                await self.not_found(bot, chat, lang, number)
                return
            label = tr(lang, "bot.compare_label", number=number, version=version or summary.version)
            maps.append((journey_map, label))
        (old, old_label), (new, new_label) = maps
        await bot.send_chat_action(chat, ChatAction.UPLOAD_PHOTO)
        picture = await self.renderer.compare(old, new, lang, (old_label, new_label))
        await bot.send_photo(
            chat,
            picture,
            caption=caption(tr(lang, "bot.compare_caption", before=old_label, after=new_label)),
        )
        lines = [
            escape_html(render_text(line, lang)) for line in comparison_lines(compare(old, new))
        ]
        heading = t(lang, "bot.compare_heading", before=old_label, after=new_label)
        for part in split("\n".join([heading, *(f"• {line}" for line in lines)])):
            await bot.send_message(chat, part, parse_mode=ParseMode.HTML)

    # --- changes -------------------------------------------------------------------------------

    async def rename(
        self, bot: Bot, chat: int, chat_id: str, lang: str, number: int, title: str
    ) -> None:
        if await self.store.rename(chat_id, number, title):
            await bot.send_message(
                chat, t(lang, "bot.renamed", number=number, title=title), parse_mode=ParseMode.HTML
            )
        else:
            await self.not_found(bot, chat, lang, number)

    async def copy(
        self,
        bot: Bot,
        chat: int,
        chat_id: str,
        lang: str,
        number: int,
        map_type: MapType | None,
        author,
    ) -> None:  # type: ignore[no-untyped-def]
        source = await self.store.get_map(chat_id, number)
        if source is None:
            await self.not_found(bot, chat, lang, number)
            return
        if map_type is None:  # the method's usual next step: today's map → tomorrow's
            map_type = MapType.FUTURE if source.map_type == MapType.CURRENT else source.map_type
        summary = await self.store.copy(chat_id, number, map_type, author)
        assert summary is not None
        await bot.send_message(
            chat,
            t(
                lang,
                "bot.copied",
                number=summary.number,
                source=number,
                type=tr(lang, f"maptype.{summary.map_type.value}"),
            ),
            parse_mode=ParseMode.HTML,
        )

    async def ask_delete(self, bot: Bot, chat: int, chat_id: str, lang: str, number: int) -> None:
        summary = await self.store.map_summary(chat_id, number)
        if summary is None:
            await self.not_found(bot, chat, lang, number)
            return
        buttons = [
            InlineKeyboardButton(
                tr(lang, "bot.button.delete_yes"),
                callback_data=callbacks.pack(callbacks.DELETE, number, "y"),
            ),
            InlineKeyboardButton(
                tr(lang, "bot.button.delete_no"),
                callback_data=callbacks.pack(callbacks.DELETE, number, "n"),
            ),
        ]
        await bot.send_message(
            chat,
            t(lang, "bot.delete_confirm", number=number, title=summary.title),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([buttons]),
        )

    # --- buttons -------------------------------------------------------------------------------

    async def on_button(
        self,
        bot: Bot,
        query,
        chat_id: str,
        lang: str,  # type: ignore[no-untyped-def]
        data: callbacks.Data,
        may_delete: Callable[[], Awaitable[bool]],
    ) -> None:
        chat = query.message.chat.id if query.message else int(chat_id)
        if data.kind == callbacks.PAGE:
            await query.answer()
            await self.send_list(
                bot, chat, chat_id, lang, int(data.arg(0, "1")), edit=query.message
            )
        elif data.kind == callbacks.SHOW:
            await query.answer()
            await self.send_map(bot, chat, chat_id, int(data.arg(0)), lang)
        elif data.kind == callbacks.DELETE:
            await self._on_delete(bot, query, chat, chat_id, lang, data, may_delete)
        elif data.kind == callbacks.TICK:
            await self._on_tick(query, chat_id, lang, data)
        else:
            await query.answer(tr(lang, "bot.closed"))

    async def _on_delete(
        self,
        bot: Bot,
        query,
        chat: int,
        chat_id: str,
        lang: str,  # type: ignore[no-untyped-def]
        data: callbacks.Data,
        may_delete: Callable[[], Awaitable[bool]],
    ) -> None:
        number = int(data.arg(0))
        if data.arg(1) != "y":
            await query.answer()
            await query.message.edit_text(t(lang, "bot.kept"), parse_mode=ParseMode.HTML)
            return
        summary = await self.store.map_summary(chat_id, number)
        creator = summary.created_by if summary else ""
        if summary is not None and not await may_delete() and not _is_creator(query, summary):
            await query.answer(tr(lang, "bot.not_allowed", name=creator)[:190], show_alert=True)
            return
        await query.answer()
        deleted = await self.store.delete_map(chat_id, number)
        key = "bot.deleted" if deleted else "bot.not_found"
        await query.message.edit_text(t(lang, key, number=number), parse_mode=ParseMode.HTML)

    async def _on_tick(self, query, chat_id: str, lang: str, data: callbacks.Data) -> None:  # type: ignore[no-untyped-def]
        number, page, item = int(data.arg(0)), int(data.arg(1, "0")), data.arg(2)
        journey_map = await self.store.get_map(chat_id, number)
        if journey_map is None:
            await query.answer(tr(lang, "bot.not_found", number=number)[:190])
            return
        ticked = await self.store.ticks(chat_id, number)
        if item:
            now_ticked = item not in ticked
            by = query.from_user.full_name if query.from_user else ""
            await self.store.set_tick(chat_id, number, item, now_ticked, by)
            ticked = ticked | {item} if now_ticked else ticked - {item}
        await query.answer()
        before = await self._source(chat_id, number)
        with contextlib.suppress(BadRequest):
            await query.message.edit_reply_markup(
                reply_markup=self.tick_keyboard(journey_map, number, lang, ticked, page, before)
            )


def _is_creator(query, summary) -> bool:  # type: ignore[no-untyped-def]
    user = query.from_user
    return user is not None and summary.created_by_id == str(user.id)
