"""Bot throughput and reply latency through the whole pipeline (issue 5).

fake Bot API server → PTB polling → journeybot handlers → interview engine → database →
reply, excluding renders. Measured in the same run as a minimal PTB echo bot on the same fake
server, the baseline (goal: journeybot ≥ 0.5 × echo).

- throughput: N answers from many private chats, each an item added to a list question of
  a stored interview; updates per second until every reply was recorded;
- latency: 500 interviews answering at the same moment; p50 / p99 from the user's message
  to the bot's reply.

    .venv/bin/python benchmarks/bench_bot.py [--updates 2000] [--interviews 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.app import build_application
from bot.config import Settings
from flows.spec import MapType
from storage.repository import Store
from tests.fakebotapi import FakeBotApi
from tests.scripted import Interviewee


class NoRenders:
    """Renders are excluded from this benchmark: nothing here finishes a map."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def render(self, *args: object, **kwargs: object) -> bytes:
        raise AssertionError("no map is finished in this benchmark")


async def run_app(app: Application) -> None:
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)


async def stop_app(app: Application) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    if app.post_shutdown:
        await app.post_shutdown(app)
    await app.shutdown()


def echo_app(api: FakeBotApi) -> Application:
    async def echo(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .concurrent_updates(256)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def seed(store: Store, users) -> None:  # type: ignore[no-untyped-def]
    """Every user has an interview waiting at a list question (touchpoints of stage 1)."""
    await store.upgrade()
    template = (
        Interviewee(MapType.CURRENT, personas=1, stages=3).run(until_state="touchpoints").interview
    )
    template.map.stages[0].touchpoints.clear()
    for user in users:
        await store.ensure_chat(str(user.id), "private", "en")
        await store.start_interview(str(user.id), str(user.id), template)


async def measure(api: FakeBotApi, users, per_user: int) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    """Send `per_user` messages from every user at once; (updates/s, reply latencies)."""
    start_mark = api.mark()
    sent_at: dict[int, list[float]] = {}
    began = time.time()
    for n in range(per_user):
        for user in users:
            chat = api.private_chat(user)
            sent_at.setdefault(chat.id, []).append(time.time())
            api.user_text(chat, user, f"touchpoint {n}")
    total = per_user * len(users)
    await api.wait_until(lambda: len(api.sent) - start_mark >= total, timeout=600)
    elapsed = time.time() - began
    replies: dict[int, list[float]] = {}
    for record in api.sent[start_mark:]:
        replies.setdefault(record.chat_id, []).append(record.time)
    latencies = [
        reply - asked
        for chat_id, times in sent_at.items()
        for asked, reply in zip(times, sorted(replies.get(chat_id, [])), strict=False)
    ]
    return total / elapsed, latencies


def report(label: str, rate: float, latencies: list[float]) -> None:
    ms = sorted(x * 1e3 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"{label}: {rate:.0f} updates/s; reply latency median "
        f"{statistics.median(ms):.1f} ms, p99 {p99:.1f} ms (n={len(ms)})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--interviews", type=int, default=500)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    chats = 100
    per_user = max(1, args.updates // chats)

    with FakeBotApi() as api, tempfile.TemporaryDirectory() as folder:
        users = [
            api.new_user(f"U{i}", language_code="en") for i in range(max(chats, args.interviews))
        ]
        echo = echo_app(api)
        await run_app(echo)
        echo_rate, echo_latency = await measure(api, users[:chats], per_user)
        await stop_app(echo)
        report("echo bot (baseline)", echo_rate, echo_latency)

        url = args.database or f"sqlite+aiosqlite:///{folder}/bench.db"
        store = Store(url)
        await seed(store, users)
        # Telegram caps a bot at about 30 messages a second; the fake server has no cap, and
        # this measures the pipeline, so the limiter is opened up (as for the echo bot).
        settings = Settings(
            token=api.token,
            database_url=url,
            api_url=api.url,
            log_level="WARNING",
            messages_per_second=100_000,
        )
        app = build_application(settings, store=store, renderer=NoRenders())
        await run_app(app)
        rate, latency = await measure(api, users[:chats], per_user)
        report("journeybot", rate, latency)
        print(f"journeybot / echo = {rate / echo_rate:.2f} (goal ≥ 0.5)")
        burst_rate, burst = await measure(api, users[: args.interviews], 1)
        report(f"{args.interviews} interviews answering at once", burst_rate, burst)
        await stop_app(app)


if __name__ == "__main__":
    asyncio.run(main())
