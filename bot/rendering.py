"""The bot's renderer: map files made in the warm worker processes of `renderers.pool`, so the
event loop keeps answering other chats while a map is drawn."""

from __future__ import annotations

from bot.metrics import render_timer
from flows.model import JourneyMap
from renderers.pool import RenderPool


class PoolRenderer:
    def __init__(self, workers: int = 2) -> None:
        self.pool = RenderPool(workers=workers)

    async def start(self) -> None:
        await self.pool.start()

    async def stop(self) -> None:
        await self.pool.aclose()

    async def render(self, journey_map: JourneyMap, fmt: str, *, checklist: object = None) -> bytes:
        with render_timer(fmt):
            return await self.pool.render(journey_map, fmt, checklist=checklist)  # type: ignore[arg-type]

    async def compare(
        self, before: JourneyMap, after: JourneyMap, lang: str, labels: tuple[str, str]
    ) -> bytes:
        with render_timer("compare"):
            return await self.pool.compare(before, after, lang, labels)
