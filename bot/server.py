"""The one HTTP server of `journeybot run` (Starlette on uvicorn, as in PTB's custom-webhook
example): the webhook, `GET /healthz`, `GET /metrics` — and the Mini App's pages and API
under /app (bot/webapp/service.py).

It is meant to face the internet directly (with `--cert/--key`) or sit behind a reverse proxy,
and to stay up for Telegram's deliveries whatever else connects:

- the webhook secret is checked first, in constant time, before the body is read (403);
- a body is refused from its `Content-Length` before it is read, and cut off when a chunked
  one grows past the limit (413) — Telegram's updates are a few kilobytes;
- a request head must arrive within `HEADER_TIMEOUT` and its body within `BODY_TIMEOUT`;
  headers are capped at 16 KiB (h11);
- at most `MAX_CONNECTIONS` connections are open (fewer under a low open-file limit): a new
  one evicts a connection that is not being handled — first one that sent part of a request
  and stalled, then an idle one, the oldest first; one that arrived less than `GRACE` ago
  is never evicted (it is the newcomer that is closed when nothing else can go) — so slow
  or half-open clients can never take all the file descriptors nor keep a real delivery
  out; uvicorn's `limit_concurrency` (503) is a backstop above that;
- what it closes is counted in /metrics and summed up in one log line a minute at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import resource
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot import metrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # bytes; Telegram's updates are a few KB
MAX_HEADER = 16 * 1024  # bytes of request line and headers (h11's incomplete-event limit)
HEADER_TIMEOUT = 10.0  # seconds from connection (or the last response) to a full request head
BODY_TIMEOUT = 10.0  # seconds from the request head to the end of its body
KEEP_ALIVE = 5  # seconds an idle connection is kept for the next request
MAX_CONNECTIONS = 256  # open connections, at most; fewer when the file limit is low
BACKLOG = 64  # pending connections in the kernel; asyncio accepts up to this many at once
GRACE = 0.5  # seconds a new connection has to send its request before it may be evicted
SPARE_FILES = 64  # files kept free for the database, the render pool and the Bot API
SUMMARY_EVERY = 60.0  # seconds between "closed N slow connections" lines
CLOSE = {"connection": "close"}  # a refused request's connection is not read any further

Check = Callable[[], Awaitable[str]]  # "ok", or the reason it is not


# --- connection guard ------------------------------------------------------------------------


class Guard:
    """Timeouts and the connection cap, enforced on uvicorn's h11 protocol objects."""

    def __init__(
        self,
        max_connections: int = MAX_CONNECTIONS,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.connections: set[GuardedH11Protocol] = set()
        self.closed: Counter[str] = Counter()
        self._summary_at = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    def protocol(self) -> type[GuardedH11Protocol]:
        """The protocol class uvicorn instantiates per connection, bound to this guard."""
        return type("GuardedH11", (GuardedH11Protocol,), {"guard": self})

    def admit(self, connection: GuardedH11Protocol) -> None:
        self.connections.add(connection)
        self._ensure_sweeper()
        if len(self.connections) <= self.max_connections:
            return
        now = asyncio.get_running_loop().time()
        candidates = [
            c
            for c in self.connections
            if c is not connection and c.phase() != "handling" and c.evictable(now)
        ]
        if candidates:
            self.drop(min(candidates, key=lambda c: c.eviction_order(now)), "evicted")
        else:  # every other connection is busy or just arrived: this one waits its turn
            self.drop(connection, "refused")

    def forget(self, connection: GuardedH11Protocol) -> None:
        self.connections.discard(connection)

    def drop(self, connection: GuardedH11Protocol, reason: str) -> None:
        self.connections.discard(connection)
        metrics.HTTP_CLOSED.labels(reason).inc()
        if reason != "header_timeout" or connection.received:
            self.closed[reason] += 1  # an idle keep-alive connection timing out is normal
        transport = connection.transport
        if transport is not None and not transport.is_closing():
            transport.abort()

    def sweep(self) -> None:
        now = asyncio.get_running_loop().time()
        for connection in list(self.connections):
            phase = connection.phase()
            if phase == "waiting" and now - connection.since > self.header_timeout:
                self.drop(connection, "header_timeout")
            elif phase == "body" and now - connection.since > self.body_timeout:
                self.drop(connection, "body_timeout")
        self._summarise()

    def _summarise(self) -> None:
        if not self.closed or time.monotonic() - self._summary_at < SUMMARY_EVERY:
            return
        parts = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in self.closed.items())
        log.warning(
            "closed slow or excess HTTP connections in the last minute: %s (cap %d open)",
            parts,
            self.max_connections,
        )
        self.closed.clear()
        self._summary_at = time.monotonic()

    def _ensure_sweeper(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            self.sweep()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, telling its guard when it opens, what phase it is in and since
    when. Phases: waiting (for a request head), body (head read, body still coming),
    handling (the request is complete and the app answers it)."""

    guard: Guard

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.since = self.loop.time()
        self.received = 0
        self._seen: object = None
        self.guard.admit(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.forget(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        super().data_received(data)
        if self.cycle is not self._seen:  # a new request head has arrived
            self._seen = self.cycle
            self.since = self.loop.time()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.since = self.loop.time()
        self.received = 0

    def evictable(self, now: float) -> bool:
        """A connection that just arrived has `GRACE` to send its request."""
        return bool(self.received) or now - self.since > GRACE

    def eviction_order(self, now: float) -> tuple[int, float]:
        """Who goes first when the cap is reached: connections that sent part of a request
        and stalled (a real client sends its head in one go), then silent ones; the oldest
        first in each."""
        return (0 if self.received else 1), self.since

    def phase(self) -> str:
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return "waiting"
        if cycle.more_body:
            return "body"
        return "handling"


# --- the application -------------------------------------------------------------------------


@dataclass
class Endpoints:
    """What the server serves. `deliver` takes a decoded update (None: no webhook);
    `checks` are the health checks, each returning "ok" or the reason it is not."""

    webhook_path: str | None = None
    secret: str = ""
    deliver: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    checks: dict[str, Check] = field(default_factory=dict)
    max_body: int = MAX_BODY
    routes: list[BaseRoute] = field(default_factory=list)  # the Mini App's (bot/webapp/)


def build_app(endpoints: Endpoints) -> Starlette:
    async def healthz(request: Request) -> Response:
        results = {}
        for name, check in endpoints.checks.items():
            try:
                results[name] = await asyncio.wait_for(check(), 5.0)
            except Exception as problem:
                results[name] = f"check failed: {type(problem).__name__}: {problem}"[:300]
        healthy = all(v == "ok" for v in results.values())
        body = {"status": "ok" if healthy else "unavailable", **results}
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def metrics_page(request: Request) -> Response:
        return Response(await metrics.render_latest(), media_type=metrics.CONTENT_TYPE)

    async def webhook(request: Request) -> Response:
        # The secret first: a stranger's request is answered before its body is read.
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), endpoints.secret.encode()):
            metrics.count_error("webhook")
            return Response("wrong secret token", status_code=403, headers=CLOSE)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > endpoints.max_body):
            metrics.count_error("webhook")
            return Response("update too large", status_code=413, headers=CLOSE)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > endpoints.max_body:
                    metrics.count_error("webhook")
                    return Response("update too large", status_code=413, headers=CLOSE)
        except ClientDisconnect:
            return Response(status_code=400, headers=CLOSE)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
        except ValueError:
            metrics.count_error("webhook")
            log.warning("webhook: a request that is not a Telegram update was refused")
            return Response("not an update", status_code=400, headers=CLOSE)
        if endpoints.deliver is None:
            return Response("starting", status_code=503)  # Telegram delivers it again later
        try:
            await endpoints.deliver(data)
        except Exception as problem:  # an update PTB cannot read: redelivery would not help
            metrics.count_error("webhook")
            log.warning(
                "webhook: update %s could not be read (%s); skipped",
                data["update_id"],
                type(problem).__name__,
            )
        return Response(status_code=200)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    if endpoints.webhook_path is not None:
        routes.append(Route(endpoints.webhook_path, webhook, methods=["POST"]))
    routes += endpoints.routes
    return Starlette(routes=routes)


# --- the server ------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `journeybot run` decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class ListenError(OSError):
    """The address cannot be listened on; the message says which and why, in one line."""


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """How many connections fit under this process's open-file limit (raised to its hard
    limit first: epoll has no use for the 1024 soft default), leaving room for the files
    the bot itself needs and a batch of connections being accepted."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            target = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
            if target > soft:
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
                soft = target
        in_use = len(os.listdir("/proc/self/fd"))
    except (OSError, ValueError):
        return wanted
    # A burst accepted at once, and as many evicted ones whose files close a moment later.
    return max(16, min(wanted, soft - in_use - 2 * BACKLOG - SPARE_FILES))


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as problem:
        sock.close()
        raise ListenError(
            f"cannot listen on {host}:{port}: {problem.strerror or problem}"
        ) from None
    sock.set_inheritable(True)
    return sock


class HttpServer:
    """Binds at once (so a taken port is one line at start), serves until `stop()`."""

    def __init__(
        self,
        endpoints: Endpoints,
        host: str,
        port: int,
        *,
        certfile: str | None = None,
        keyfile: str | None = None,
        guard: Guard | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.guard = guard or Guard(max_connections=connection_cap())
        self.socket = bind(host, port)
        self.host = host
        self.port = self.socket.getsockname()[1]
        self.tls = certfile is not None
        self.config = uvicorn.Config(
            build_app(endpoints),
            http=self.guard.protocol(),
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            limit_concurrency=2 * self.guard.max_connections,
            backlog=BACKLOG,
            timeout_keep_alive=KEEP_ALIVE,
            timeout_graceful_shutdown=5,
            h11_max_incomplete_event_size=MAX_HEADER,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        self.server = _Server(self.config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve(sockets=[self.socket]))
        while not self.server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise ListenError(f"the HTTP server on port {self.port} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(Exception):
            await self._task
        await self.guard.stop()
        self._task = None
