"""Bot throughput and reply latency through the whole pipeline (issue 5).

fake Bot API server → `journeybot run` (polling, its own process) → handlers → interview
engine → database → reply, excluding renders. Measured in the same run as a minimal PTB echo
bot (benchmarks/echo_bot.py, also its own process) on the same fake server, the baseline
(goal: journeybot ≥ 0.5 × echo).

- throughput: N answers from many private chats, each an item added to a list question of
  a stored interview; updates per second until every reply was recorded;
- latency: 500 interviews answering at the same moment; p50 / p99 from the user's message
  to the bot's reply.

    .venv/bin/python benchmarks/bench_bot.py [--updates 2000] [--interviews 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.spec import MapType
from storage.repository import Store
from tests.fakebotapi import FakeBotApi
from tests.scripted import Interviewee


async def start_bot(api: FakeBotApi, command: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    """A bot in its own process (its own core), polling the fake server."""
    calls = len(api.calls_of("getUpdates"))
    process = await asyncio.create_subprocess_exec(
        *command,
        env={
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "JOURNEYBOT_API_URL": api.url,
            "JOURNEYBOT_LOG_LEVEL": "WARNING",
            **env,
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await api.wait_until(lambda: len(api.calls_of("getUpdates")) > calls, timeout=120)
    return process


async def stop_bot(process) -> None:  # type: ignore[no-untyped-def]
    process.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()


async def seed(store: Store, users) -> None:  # type: ignore[no-untyped-def]
    """Every user has an interview waiting at a list question (touchpoints of stage 1)."""
    await store.upgrade()
    template = (
        Interviewee(MapType.CURRENT, personas=1, stages=3).run(until_state="touchpoints").interview
    )
    template.map.stages[0].items("touchpoints").clear()
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
    args = parser.parse_args()
    per_user = 10  # answers per chat: fewer than a list holds, so each gets exactly one reply
    chats = max(1, args.updates // per_user)
    root = Path(__file__).resolve().parents[1]

    async with FakeBotApi() as api:
        users = [
            api.new_user(f"U{i}", language_code="en") for i in range(max(chats, args.interviews))
        ]
        echo = await start_bot(api, [sys.executable, str(root / "benchmarks" / "echo_bot.py")], {})
        echo_rate, echo_latency = await measure(api, users[:chats], per_user)
        await stop_bot(echo)
        report("echo bot (baseline)", echo_rate, echo_latency)

        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            store = Store(url)
            await seed(store, users)
            await store.close()
            # Telegram caps a bot at about 30 messages a second; the fake server has no cap,
            # and this measures the pipeline, so the limiter is opened up (as for the echo bot).
            journey = await start_bot(
                api,
                [sys.executable, "-m", "bot.cli", "run"],
                {
                    "JOURNEYBOT_DATABASE_URL": url,
                    "JOURNEYBOT_MESSAGES_PER_SECOND": "100000",
                },
            )
            try:
                rate, latency = await measure(api, users[:chats], per_user)
                report("journeybot", rate, latency)
                print(f"journeybot / echo = {rate / echo_rate:.2f} (goal ≥ 0.5)")
                burst_rate, burst = await measure(api, users[: args.interviews], 1)
                report(f"{args.interviews} interviews answering at once", burst_rate, burst)
            finally:
                await stop_bot(journey)


if __name__ == "__main__":
    asyncio.run(main())
