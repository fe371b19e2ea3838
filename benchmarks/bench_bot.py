"""Bot throughput and reply latency through the whole pipeline (issues 5 and 17).

fake Bot API server → `journeybot run` (polling, its own process) → handlers → interview
engine → database → outbox → reply, excluding renders. Measured against a minimal PTB echo
bot (benchmarks/echo_bot.py, also its own process) on the same fake server, in interleaved
rounds (echo, journeybot, echo, …) so machine load weighs on both alike; medians reported.

- closed loop (people who wait for each reply): 50 chats × 10 answers, each chat sends its
  next answer once the reply to the last one came; updates/s and reply latency p50/p99
  (issue 17: journeybot ≥ 0.6 × echo throughput, p99 ≤ 1.5 × echo's p99);
- burst: every chat sends its 10 answers at once; updates/s until every reply was recorded
  (issue 17: ≥ 0.8 × echo).
Each answer is an item added to a list question of a stored interview.

    .venv/bin/python benchmarks/bench_bot.py [--chats 50] [--answers 10] [--rounds 3]
        [--postgres URL]
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


async def burst(api: FakeBotApi, users, per_user: int) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    """Every user sends `per_user` messages at once; (updates/s, reply latencies)."""
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


class Replies:
    """One watcher for every chat's replies. Fifty people each scanning the fake's messages
    every 10 ms cost the harness more CPU than the echo bot it measures, and capped the echo
    bot's figures; one look a millisecond at what is new costs next to nothing."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.seen = api.mark()
        self.waiting: dict[int, asyncio.Future] = {}

    def expect(self, chat_id: int) -> asyncio.Future:
        """The chat's next reply (ask before sending, so a fast reply is not missed)."""
        future = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future

    async def watch(self) -> None:
        while True:
            with self.api.core.lock:
                new = self.api.core.sent[self.seen :]
            self.seen += len(new)
            for record in new:
                future = self.waiting.pop(record.chat_id, None)
                if future is not None and not future.done():
                    future.set_result(record)
            await asyncio.sleep(0.001)


async def closed_loop(api: FakeBotApi, users, per_user: int) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    """Each user sends an answer, waits for the reply, sends the next; (updates/s, latencies)."""
    latencies: list[float] = []
    replies = Replies(api)

    async def person(user) -> None:  # type: ignore[no-untyped-def]
        chat = api.private_chat(user)
        for n in range(per_user):
            reply = replies.expect(chat.id)
            asked = time.time()
            api.user_text(chat, user, f"touchpoint {n}")
            record = await asyncio.wait_for(reply, 120)
            latencies.append(record.time - asked)

    watcher = asyncio.create_task(replies.watch())
    began = time.time()
    try:
        await asyncio.gather(*(person(u) for u in users))
    finally:
        watcher.cancel()
    return len(latencies) / (time.time() - began), latencies


async def fresh_postgres(url: str, round_number: int) -> str:
    """An empty database per round beside the one named: every round's fake server numbers
    its messages from 1 again, which a database that saw them would take as duplicates."""
    from sqlalchemy.engine import make_url

    name = _round_database(url, round_number)
    await _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres(base_url: str, round_number: int) -> None:
    """The round's database, gone again: the server is left as the benchmark found it."""
    name = _round_database(base_url, round_number)
    await _admin(base_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _round_database(base_url: str, round_number: int) -> str:
    from sqlalchemy.engine import make_url

    return f"{make_url(base_url).database}_round{round_number}"


async def _admin(url: str, *statements: str) -> None:
    """Statements outside a transaction, on the database the benchmark was given."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(make_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await admin.dispose()


def cpu_seconds(process) -> float:  # type: ignore[no-untyped-def]
    """CPU time (user + system, all threads) the process used so far (Linux /proc)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def line(label: str, rate: float, latencies: list[float]) -> str:
    ms = [x * 1e3 for x in latencies]
    return (
        f"{label}: {rate:.0f} updates/s; reply latency p50 {statistics.median(ms):.0f} ms, "
        f"p99 {percentile(ms, 0.99):.0f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--postgres", help="a PostgreSQL URL instead of SQLite (a fresh database per round is made)"
    )
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    results: dict[str, list[tuple[float, float, float]]] = {}

    cpu: dict[str, list[float]] = {}

    async def keep(name: str, api: FakeBotApi, process, run) -> None:  # type: ignore[no-untyped-def]
        """Run one measurement; its rate, latencies, the bot's CPU time per update and the
        updates each getUpdates brought."""
        before = cpu_seconds(process)
        polls = len(api.calls_of("getUpdates"))
        rate, latencies = await run
        ms = [x * 1e3 for x in latencies]
        per_update = (cpu_seconds(process) - before) / len(latencies) * 1e3
        per_poll = len(latencies) / max(1, len(api.calls_of("getUpdates")) - polls)
        results.setdefault(name, []).append((rate, statistics.median(ms), percentile(ms, 0.99)))
        cpu.setdefault(name, []).append(per_update)
        print(
            f"  {line(name, rate, latencies)}; bot CPU {per_update:.1f} ms/update, "
            f"{per_poll:.1f} updates/getUpdates",
            flush=True,
        )

    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(args.rounds):
            print(f"round {round_number + 1}", flush=True)
            async with FakeBotApi() as api:
                users = [api.new_user(f"U{i}", language_code="en") for i in range(args.chats)]
                echo = await start_bot(
                    api, [sys.executable, str(root / "benchmarks" / "echo_bot.py")], {}
                )
                try:
                    await keep("echo closed loop", api, echo, closed_loop(api, users, args.answers))
                    await keep("echo burst", api, echo, burst(api, users, args.answers))
                finally:
                    await stop_bot(echo)
            async with FakeBotApi() as api:
                users = [api.new_user(f"U{i}", language_code="en") for i in range(args.chats)]
                url = (
                    await fresh_postgres(args.postgres, round_number)
                    if args.postgres
                    else f"sqlite+aiosqlite:///{folder}/bench{round_number}.db"
                )
                store = Store(url)
                await seed(store, users)
                await store.close()
                # Telegram caps a bot at about 30 messages a second; the fake server has no cap
                # and this measures the pipeline, so the limiter is opened up.
                journey = await start_bot(
                    api,
                    [sys.executable, "-m", "bot.cli", "run"],
                    {
                        "JOURNEYBOT_DATABASE_URL": url,
                        "JOURNEYBOT_MESSAGES_PER_SECOND": "100000",
                    },
                )
                try:
                    await keep(
                        "journeybot closed loop",
                        api,
                        journey,
                        closed_loop(api, users, args.answers),
                    )
                    await seed_again(url, users)
                    await keep("journeybot burst", api, journey, burst(api, users, args.answers))
                finally:
                    await stop_bot(journey)
                    if args.postgres:
                        await drop_postgres(args.postgres, round_number)

    def median_of(name: str, index: int) -> float:
        return statistics.median(r[index] for r in results[name])

    print("medians:")
    for name in results:
        print(
            f"  {name}: {median_of(name, 0):.0f} updates/s, p50 {median_of(name, 1):.0f} ms, "
            f"p99 {median_of(name, 2):.0f} ms, bot CPU {statistics.median(cpu[name]):.1f} ms/update"
        )
    closed = median_of("journeybot closed loop", 0) / median_of("echo closed loop", 0)
    p99 = median_of("journeybot closed loop", 2) / median_of("echo closed loop", 2)
    bursts = median_of("journeybot burst", 0) / median_of("echo burst", 0)
    print(f"closed loop: journeybot / echo = {closed:.2f} (goal ≥ 0.6)")
    print(f"closed loop p99: journeybot / echo = {p99:.2f} (goal ≤ 1.5)")
    print(f"burst: journeybot / echo = {bursts:.2f} (goal ≥ 0.8)")
    # The echo bot's own cost per update moves between rounds (its pool of 256 connections),
    # so the rounds one by one, and the CPU each bot spent per update, say how much the
    # median of rates can be trusted.
    rounds = zip(results["journeybot burst"], results["echo burst"], strict=True)
    each = [mine[0] / echo[0] for mine, echo in rounds]
    print("burst, round by round: " + ", ".join(f"{r:.2f}" for r in each))
    cpu_ratio = statistics.median(cpu["echo burst"]) / statistics.median(cpu["journeybot burst"])
    print(f"burst CPU per update: echo / journeybot = {cpu_ratio:.2f}")


async def seed_again(url: str, users) -> None:  # type: ignore[no-untyped-def]
    """Empty the lists again, so the burst's answers fit as the closed loop's did."""
    store = Store(url)
    try:
        await seed(store, users)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
