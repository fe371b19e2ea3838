"""The moment a request to the Bot API goes out, for the courier's "in flight" note.

Telegram acts on a request only once it has all of it. A sender that dies before noting a
part in flight sends it again after a restart (if Telegram had it: shown twice); one that
dies after the note but before the request is out has lost it (counted as delivered). The
note is a database write, the writing of a small request takes microseconds — so a message
is noted just before its first byte goes out (the connection is open by then), and a file,
whose upload can take a while, just after its last byte. httpx reports both moments through
its trace extension; this transport adds the hook to every request made while `ON_THE_WIRE`
holds a callback."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import httpx

ON_THE_WIRE: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "on_the_wire", default=None
)


class WireTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, slots: int | None = None) -> None:
        self.inner = inner
        # Requests beyond the pool's connections wait here rather than in httpcore, whose
        # queue costs time in proportion to its length at every hand-over (a fifth of the
        # bot's CPU under load, measured for issue 17); a semaphore's queue costs nothing.
        self.slots = asyncio.Semaphore(slots) if slots else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.slots is None:
            return await self._handle(request)
        async with self.slots:
            response = await self._handle(request)
            # The body is read while the slot is held: the connection is busy until then.
            await response.aread()
            return response

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        written = ON_THE_WIRE.get()
        if written is not None:
            earlier = request.extensions.get("trace")

            upload = request.headers.get("content-type", "").startswith("multipart/")
            moment = "send_request_body.complete" if upload else "send_request_headers.started"

            async def trace(name: str, info: dict[str, Any]) -> None:
                if earlier is not None:
                    result = earlier(name, info)
                    if inspect.isawaitable(result):
                        await result
                if name.endswith(moment):
                    await written()

            request.extensions["trace"] = trace
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
