"""The bot's renderer: map files made in the warm worker processes of `renderers.pool`, so the
event loop keeps answering other chats while a map is drawn."""

from __future__ import annotations

from collections.abc import Callable

from bot.metrics import render_timer
from bot.telegram_limits import PHOTO
from flows.model import JourneyMap
from renderers.pictures import MapPictures, PhotoLimits
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

    async def pictures(
        self,
        journey_map: JourneyMap,
        limits: PhotoLimits = PHOTO,
        *,
        on_wait: Callable[[int], object] | None = None,
    ) -> MapPictures:
        """The map drawn once, as the bot sends it:

        - `photos`: for sendPhoto, already downsized (with Pillow) to `limits` — one photo, or
          one per part (`parts`: the 1-based first and last stage of each) when the map is too
          wide for one legible photo; each part's picture names its stages in its header;
        - `full_png`: the whole map at full resolution, for sendDocument.

        `on_wait(ahead)` is called when every render worker is busy, with the number of jobs
        queued ahead of this one (0: it is next), e.g. for "drawing your map, N ahead of you";
        `waiting()` gives the same number for a job submitted now. The timeout counts the
        drawing only; a worker that dies is replaced and the job run once more."""
        with render_timer("pictures"):
            return await self.pool.pictures(journey_map, limits, on_wait=on_wait)

    def waiting(self) -> int:
        """Jobs waiting for a render worker right now (not counting those being drawn)."""
        return self.pool.waiting()

    async def compare(
        self, before: JourneyMap, after: JourneyMap, lang: str, labels: tuple[str, str]
    ) -> bytes:
        with render_timer("compare"):
            return await self.pool.compare(before, after, lang, labels)

    async def matrix(
        self, journey_map: JourneyMap, rated: list, numbers: dict[str, int], lang: str
    ) -> bytes:
        with render_timer("matrix"):
            return await self.pool.matrix(journey_map, rated, numbers, lang)
