"""`/remind N 30d`: a message in the chat after a while, asking to revisit a map, with the
checklist items still open. Reminders live in the database, so they survive restarts; each is
claimed by exactly one bot instance before it is sent, so it fires once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import UTC, datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import callbacks
from bot.replies import t, tr
from flows.i18n import escape_html
from renderers.checklist import checklist_items, render_text
from storage.repository import DueReminder, Store

log = logging.getLogger(__name__)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
LONGEST = timedelta(days=366)
IDLE_CHECK = 30.0  # seconds between looks for reminders set by other instances
OPEN_ITEMS_SHOWN = 8
_PERIOD = re.compile(r"^(\d{1,6})\s*([smhdw])$")


def parse_period(text: str) -> timedelta | None:
    """'30d', '2w', '12h', '90m', '5s' → a timedelta; None when it is not one."""
    match = _PERIOD.match(text.strip().lower())
    if not match:
        return None
    period = timedelta(seconds=int(match.group(1)) * UNITS[match.group(2)])
    return period if timedelta(0) < period <= LONGEST else None


class Reminders:
    def __init__(self, store: Store, instance: str) -> None:
        self.store = store
        self.instance = instance
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def add(self, chat_id: str, number: int, period: timedelta) -> datetime | None:
        due = datetime.now(UTC) + period
        if not await self.store.add_reminder(chat_id, number, due):
            return None
        self._wake.set()
        return due

    def start(self, bot: Bot) -> None:
        self._task = asyncio.create_task(self._run(bot), name="journeybot-reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, bot: Bot) -> None:
        while True:
            try:
                for reminder in await self.store.claim_due_reminders(self.instance):
                    await self._send(bot, reminder)
                wait = await self._seconds_to_next()
            except Exception:  # a bad moment of the database: try again shortly
                log.exception("reminder check failed")
                wait = 5.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _seconds_to_next(self) -> float:
        due = await self.store.next_reminder_at()
        if due is None:
            return IDLE_CHECK
        return min(max((due - datetime.now(UTC)).total_seconds(), 0.05), IDLE_CHECK)

    async def _send(self, bot: Bot, reminder: DueReminder) -> None:
        chat_id, number = reminder.chat_id, reminder.map_number
        journey_map = await self.store.get_map(chat_id, number)
        if journey_map is None:
            return
        lang = await self.store.ensure_chat(chat_id, "private", journey_map.language)
        ticked = await self.store.ticks(chat_id, number)
        items = [i for s in checklist_items(journey_map) for i in s.items]
        still_open = [i for i in items if i.id not in ticked]
        lines = [
            t(
                lang,
                "bot.remind_due",
                number=number,
                title=journey_map.title,
                open=len(still_open),
                total=len(items),
            )
        ]
        lines += [
            f"⬜ {escape_html(render_text(i.text, lang))}" for i in still_open[:OPEN_ITEMS_SHOWN]
        ]
        if len(still_open) > OPEN_ITEMS_SHOWN:
            lines.append(
                t(lang, "bot.remind_more", count=len(still_open) - OPEN_ITEMS_SHOWN, number=number)
            )
        button = InlineKeyboardButton(
            tr(lang, "bot.button.show_map"), callback_data=callbacks.pack(callbacks.SHOW, number)
        )
        try:
            await bot.send_message(
                int(chat_id),
                "\n".join(lines),
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup([[button]]),
            )
        except TelegramError:
            log.exception("reminder %s for chat %s could not be sent", reminder.id, chat_id)
