"""Polling that never loses an update.

PTB's own updater confirms a batch of updates (the next getUpdates' offset) as soon as it has
fetched it, while the batch is still being handled: a process killed then has told Telegram
"got them" for updates it never applied, and the answers in them are gone. Here a batch is
confirmed only once every update in it has been applied — its unit of work committed (the
replies are then in the outbox) — or answered as not saved. A process killed mid-batch gets
the same batch again after a restart, and the update ledger makes the ones already applied
a no-op. Updates of one batch are handled at the same time, one chat's in order
(bot/ordering.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from bot.courier import wait_of

log = logging.getLogger(__name__)
POLL_TIMEOUT = 10  # seconds getUpdates waits for news (long polling)
LONGEST_PAUSE = 30.0
SAY_AGAIN_AFTER = 60.0  # seconds: a network problem that lasts is logged once a minute


class Poller:
    def __init__(
        self,
        app: Application,
        allowed_updates: Sequence[str] | None = None,
        timeout: int = POLL_TIMEOUT,
    ) -> None:
        self.app = app
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.offset: int | None = None
        self._said_at = -SAY_AGAIN_AFTER

    async def run(self, stop: asyncio.Event) -> None:
        pause = 1.0
        while not stop.is_set():
            try:
                updates = await self._fetch(stop)
            except InvalidToken:
                raise
            except RetryAfter as problem:
                await _sleep(stop, wait_of(problem))
                continue
            except Conflict as problem:  # another process polls with the same token
                self._say(f"getUpdates conflict: {problem}")
                await _sleep(stop, 5.0)
                continue
            except NetworkError as problem:  # TimedOut included
                self._say(f"cannot reach the Bot API ({problem}); trying again")
                await _sleep(stop, pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            pause = 1.0
            if updates is None or not updates:
                continue
            await self._apply(updates)
            self.offset = updates[-1].update_id + 1
        await self._confirm()

    async def _fetch(self, stop: asyncio.Event) -> tuple[Update, ...] | None:
        """The next batch, or None when asked to stop while waiting for it."""
        fetch = asyncio.ensure_future(
            self.app.bot.get_updates(
                offset=self.offset,
                timeout=self.timeout,
                allowed_updates=self.allowed_updates,
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait((fetch, stopping), return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetch
            return None
        stopping.cancel()
        return fetch.result()

    async def _apply(self, updates: Sequence[Update]) -> None:
        processor = self.app.update_processor
        await asyncio.gather(
            *(processor.process_update(u, self.app.process_update(u)) for u in updates)
        )

    async def _confirm(self) -> None:
        """Tell Telegram, on the way out, that the updates applied need not come again."""
        if self.offset is None:
            return
        with contextlib.suppress(Exception):
            await self.app.bot.get_updates(offset=self.offset, timeout=0, limit=1)

    def _say(self, line: str) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._said_at >= SAY_AGAIN_AFTER:
            self._said_at = now
            log.warning(line)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
