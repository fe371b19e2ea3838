"""One summary message per editing session in a group ("Maya changed map 2: 3 changes in
Order, Delivery"), rather than one per tap: a person's edits to one map are gathered until
they have been quiet for `idle` seconds, then the summary goes into the outbox (so it is
sent within the group's posting limit, like every other post)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Session:
    chat_id: str
    number: int
    title: str
    name: str
    changes: int = 0
    stages: list[str] = field(default_factory=list)
    last: float = 0.0


class EditSessions:
    def __init__(self, idle: float, post: Callable[[Session], Awaitable[None]]) -> None:
        self.idle = idle
        self.post = post
        self.open: dict[tuple[str, int, int], Session] = {}
        self._task: asyncio.Task[None] | None = None

    def record(
        self, chat_id: str, number: int, title: str, user_id: int, name: str, stage: str
    ) -> None:
        key = (chat_id, number, user_id)
        session = self.open.get(key) or Session(chat_id, number, title, name)
        self.open[key] = session
        session.title = title
        session.changes += 1
        if stage not in session.stages:
            session.stages.append(stage)
        session.last = time.monotonic()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while self.open:
            await asyncio.sleep(min(self.idle / 2, 5.0))
            await self.flush(lambda s: time.monotonic() - s.last >= self.idle)

    async def flush(self, due: Callable[[Session], bool] = lambda s: True) -> None:
        for key, session in list(self.open.items()):
            if not due(session):
                continue
            del self.open[key]
            try:
                await self.post(session)
            except Exception:  # the database away: the edits are saved, only the note is lost
                log.warning(
                    "the summary of %d app edits to map %d in chat %s was not posted",
                    session.changes,
                    session.number,
                    session.chat_id,
                    exc_info=True,
                )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
