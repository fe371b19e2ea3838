"""Every Prometheus metric of the bot, in one place (served at GET /metrics).

Counters and histograms are updated where things happen (one call each: `observe_update`,
`render_timer`, `count_error`); the gauges that live in the database are read when scraped,
from callables registered at start-up (`set_interviews_in_progress`, `set_outbox_backlog`),
so this module needs to know nothing about storage. A gauge with no callable registered is
left out of the output rather than reported as 0."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST
SAMPLE_TIMEOUT = 3.0  # seconds a scrape waits for one database-backed gauge

UPDATES = Counter(
    "journeybot_updates",
    "Telegram updates handled, by kind (message, edited_message, callback_query, …)",
    ["kind"],
    registry=REGISTRY,
)
REPLY_LATENCY = Histogram(
    "journeybot_reply_latency_seconds",
    "From an update's arrival to the end of its handling (its replies sent or queued)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
    registry=REGISTRY,
)
RENDER_TIME = Histogram(
    "journeybot_render_seconds",
    "Time to draw or export a map in the render pool, by format",
    ["format"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
    registry=REGISTRY,
)
ERRORS = Counter(
    "journeybot_errors",
    "Failures, by where: update (a handler failed), render, api (Bot API unreachable or "
    "refusing), database (unreachable at start or for /healthz), webhook (a request refused)",
    ["where"],
    registry=REGISTRY,
)
WEBAPP = Counter(
    "journeybot_webapp_requests",
    "The Mini App's API calls, by answer: ok, saved (an edit or a tick), conflict (409), "
    "refused (401/403/404/413/422/429/400), failed (503/500)",
    ["answer"],
    registry=REGISTRY,
)
HTTP_CLOSED = Counter(
    "journeybot_http_connections_closed",
    "HTTP connections the server closed itself: header_timeout, body_timeout, evicted (the "
    "cap was reached and this one stalled longest), refused (the cap was reached and every "
    "other connection was busy or new)",
    ["reason"],
    registry=REGISTRY,
)

Sampler = Callable[[], Awaitable[int | float] | int | float]


class _Sampled(Collector):
    """Gauges whose value is read from a registered callable when /metrics is scraped."""

    def __init__(self) -> None:
        self.help: dict[str, str] = {}
        self.samplers: dict[str, Sampler] = {}
        self.values: dict[str, float] = {}

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, value in sorted(self.values.items()):
            yield GaugeMetricFamily(name, self.help[name], value=value)

    async def refresh(self) -> None:
        for name, sampler in list(self.samplers.items()):
            try:
                value = sampler()
                if inspect.isawaitable(value):
                    value = await asyncio.wait_for(value, SAMPLE_TIMEOUT)
                self.values[name] = float(value)
            except Exception as problem:  # the database may be away: no value, one line
                self.values.pop(name, None)
                log.debug("metric %s not sampled: %s", name, problem)


_SAMPLED = _Sampled()
REGISTRY.register(_SAMPLED)


def _register(name: str, help_text: str, sampler: Sampler | None) -> None:
    if sampler is None:
        _SAMPLED.samplers.pop(name, None)
        _SAMPLED.values.pop(name, None)
        return
    _SAMPLED.help[name] = help_text
    _SAMPLED.samplers[name] = sampler


def set_interviews_in_progress(sampler: Sampler | None) -> None:
    _register(
        "journeybot_interviews_in_progress",
        "Interviews started and not yet finished or cancelled",
        sampler,
    )


def set_outbox_backlog(sampler: Sampler | None) -> None:
    """The outbox's count of replies recorded and not yet confirmed sent."""
    _register("journeybot_outbox_backlog", "Replies in the outbox not yet confirmed sent", sampler)


async def render_latest() -> bytes:
    """The exposition text, with the sampled gauges read now."""
    await _SAMPLED.refresh()
    return generate_latest(REGISTRY)


# --- the hooks -----------------------------------------------------------------------------

_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
    "chat_member",
    "inline_query",
    "message_reaction",
)


def update_kind(update: object) -> str:
    for kind in _KINDS:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


@contextmanager
def observe_update(update: object) -> Iterator[None]:
    """Around the handling of one update: counted by kind, its latency measured."""
    started = time.perf_counter()
    try:
        yield
    finally:
        UPDATES.labels(update_kind(update)).inc()
        REPLY_LATENCY.observe(time.perf_counter() - started)


@contextmanager
def render_timer(fmt: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except Exception:
        ERRORS.labels("render").inc()
        raise
    RENDER_TIME.labels(fmt).observe(time.perf_counter() - started)


def count_error(where: str) -> None:
    ERRORS.labels(where).inc()
