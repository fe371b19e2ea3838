"""`/remind N 30d`: a message in the chat after a while, asking to revisit a map, with the
checklist items still open. Reminders live in the database, so they survive restarts. When
one falls due, one bot instance claims it and queues its message in the same transaction, so
it is sent once — and, being in the outbox, sent even if the first attempt fails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import UTC, datetime, timedelta
from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks, posts
from bot.courier import Courier
from bot.priorities import ask_when_due
from bot.replies import t, tr
from flows.i18n import escape_html
from renderers.checklist import checklist_items, render_text
from storage.records import DueReminder, Unavailable
from storage.repository import Store, Unit

log = logging.getLogger(__name__)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
LONGEST = timedelta(days=366)
IDLE_CHECK = 30.0  # seconds between looks for reminders set by other instances
OPEN_ITEMS_SHOWN = 8
_PERIOD = re.compile(r"^([0-9]{1,6})\s*([smhdw])$")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite: naive UTC


def parse_period(text: str) -> timedelta | None:
    """'30d', '2w', '12h', '90m', '5s' → a timedelta; None when it is not one."""
    match = _PERIOD.match(text.strip().lower())
    if not match:
        return None
    period = timedelta(seconds=int(match.group(1)) * UNITS[match.group(2)])
    return period if timedelta(0) < period <= LONGEST else None


class Reminders:
    def __init__(self, store: Store, courier: Courier, instance: str) -> None:
        self.store = store
        self.courier = courier
        self.instance = instance
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._outage_logged = 0.0

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="journeybot-reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                for reminder in await self.store.run(lambda u: u.reminders.due()):
                    if await self.store.run(partial(self._claim, reminder=reminder)):
                        self.courier.deliver_soon(reminder.chat_id)
                # Actions that fall due: their owners are asked the same way (bot/priorities).
                for action_id, chat_id in await self.store.run(lambda u: u.actions.due()):
                    ask = partial(
                        ask_when_due, action_id=action_id, chat_id=chat_id, instance=self.instance
                    )
                    if await self.store.run(ask):
                        self.courier.deliver_soon(chat_id)
                wait = await self._seconds_to_next()
            except Unavailable as problem:  # the database is away: say so once a minute
                now = asyncio.get_running_loop().time()
                if now - self._outage_logged >= 60:
                    self._outage_logged = now
                    log.warning("reminders wait for the database: %s", problem)
                wait = 5.0
            except Exception:
                log.exception("reminder check failed")
                wait = 5.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _seconds_to_next(self) -> float:
        async def soonest(u: Unit) -> datetime | None:
            times = [await u.reminders.next_at(), await u.actions.next_reminder_at()]
            known = [_utc(moment) for moment in times if moment is not None]
            return min(known) if known else None

        due = await self.store.run(soonest)
        if due is None:
            return IDLE_CHECK
        if due.tzinfo is None:  # SQLite hands back naive UTC
            due = due.replace(tzinfo=UTC)
        return min(max((due - datetime.now(UTC)).total_seconds(), 0.05), IDLE_CHECK)

    async def _claim(self, u: Unit, reminder: DueReminder) -> bool:
        """Take the reminder and queue its message, together; False if another instance
        took it (or its map is gone)."""
        if not await u.reminders.claim(reminder.id, self.instance):
            return False
        chat_id, number = reminder.chat_id, reminder.map_number
        journey_map = await u.maps.get(chat_id, number)
        if journey_map is None:
            return False
        lang = await u.chats.language(chat_id) or journey_map.language
        ticked = await u.maps.ticks(chat_id, number)
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
        message = posts.Message(
            html="\n".join(lines), markup=posts.markup_json(InlineKeyboardMarkup([[button]]))
        )
        await u.outbox.add(chat_id, posts.dump(message))
        return True
