"""Two `journeybot run` instances on one PostgreSQL, behind a round-robin webhook front
(issue 17): Telegram posts different chats at once and one chat's updates one after another;
the front hands them to either instance. A chat's quick answers are applied in the order sent,
none is lost, and both instances together post within one budget shared in Redis."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.conftest import _admin, _with_database, postgres_url
from tests.e2e import BotProcess, Person, free_port, open_map, settled, stored
from tests.fakebotapi import FakeBotApi

pytestmark = pytest.mark.timeout(240)
REDIS = "redis://127.0.0.1:6379/0"
SECRET = "two-instances-secret"
PER_SECOND = 5  # low, so that the chats below press against it


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except (redis.exceptions.ConnectionError, OSError):
        return False


@pytest.fixture
def postgres_db(postgres_template: str) -> Iterator[str]:
    name = f"jb_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f"CREATE DATABASE {name} TEMPLATE {postgres_template}"))
    url = postgres_url()
    assert url is not None
    yield _with_database(url, name)
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    # A bot id of this test's own: the instances' budget lives under journeybot:<bot id> in
    # the one Redis, which tests running at the same time (pytest-xdist) share.
    token = f"{random.randrange(10**9, 10**10)}:AAFakeTokenForJourneybotInstances0123"
    async with FakeBotApi(token, webhook_parallel=True) as server:
        yield server
    await _forget_budget(f"journeybot:{server.token.split(':', 1)[0]}")


async def _forget_budget(prefix: str) -> None:
    """Removes this test's budget keys (they expire anyway), and only those."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS, socket_connect_timeout=1)
    try:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    except (RedisError, OSError):
        pass  # no Redis: the test was skipped
    finally:
        await client.aclose()


class RoundRobinFront:
    """A load balancer in a few lines: each POST goes to the next instance in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.targets = itertools.cycle(ports)
        self.port = free_port()
        self.forwarded: list[int] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def _forward(self, request: web.Request) -> web.Response:
        port = next(self.targets)
        self.forwarded.append(port)
        assert self._session is not None
        async with self._session.post(
            f"http://127.0.0.1:{port}{request.path}",
            data=await request.read(),
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        ) as upstream:
            return web.Response(
                status=upstream.status,
                body=await upstream.read(),
                content_type=upstream.content_type,
            )

    async def __aenter__(self) -> RoundRobinFront:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()


def instance(api: FakeBotApi, url: str, workdir: Path, front: int, port: int, redis: bool):
    env = {
        "JOURNEYBOT_WEBHOOK_SECRET": SECRET,
        "JOURNEYBOT_MESSAGES_PER_SECOND": str(PER_SECOND),
    }
    if redis:
        env["JOURNEYBOT_REDIS_URL"] = REDIS
    return BotProcess(
        api,
        url,
        workdir,
        extra_env=env,
        args=(
            *("--webhook-url", f"http://127.0.0.1:{front}/journeybot/updates"),
            *("--listen", "127.0.0.1", "--port", str(port)),
        ),
    )


def busiest(times: list[float], span: float) -> int:
    """The most posts that arrived within any `span` seconds."""
    times = sorted(times)
    return max(
        (sum(1 for t in times[i:] if t - start < span) for i, start in enumerate(times)), default=0
    )


async def test_two_instances_keep_each_chats_order_and_share_one_budget(
    api: FakeBotApi, postgres_db: str, tmp_path: Path
) -> None:
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    ports = [free_port(), free_port()]
    async with RoundRobinFront(ports) as front:
        bots = [instance(api, postgres_db, tmp_path, front.port, p, redis=True) for p in ports]
        for bot in bots:
            await bot.start()
        try:
            people = []
            for n in range(6):
                user = api.new_user(f"Owner{n}", f"owner{n}", language_code="en")
                people.append(Person(api, api.private_chat(user), user))
            for person in people:
                person.command("start")
            await asyncio.gather(*(open_map(person, "Current state") for person in people))
            started = api.mark()

            # Each owner types title, goal and four personas without waiting for the bot.
            for n, person in enumerate(people):
                person.says(f"Title {n}")
                person.says(f"Goal {n}")
                for p in range(4):
                    person.says(f"Persona {n}.{p}")

            await api.wait_until(lambda: api.pending_updates == 0, timeout=120)

            async def saved(store):  # type: ignore[no-untyped-def]
                found = []
                for person in people:
                    loaded = await store.load_interview(str(person.chat.id), str(person.user.id))
                    found.append(loaded.interview.map if loaded else None)
                return found

            # The replies queued behind the budget: until every one is sent.
            await settled(api, postgres_db, timeout=120)
            maps = await stored(postgres_db, saved)
        finally:
            for bot in bots:
                await bot.stop()

    # Both instances took part, and every chat's answers are there, in the order sent.
    assert set(front.forwarded) == set(ports)
    for n, journey_map in enumerate(maps):
        assert journey_map is not None
        assert journey_map.title == f"Title {n}"
        assert journey_map.goal == f"Goal {n}"
        assert [p.name for p in journey_map.personas] == [f"Persona {n}.{p}" for p in range(4)]
    # Both instances' posts together within the one budget. Counted where they arrive, over
    # 3 s so that a request delayed between the budget and the server on a busy machine does
    # not count twice (one post of slack); unshared, the two instances post twice as fast.
    posts = [sent.time for sent in api.sent[started:]]
    assert len(posts) > 3 * PER_SECOND
    assert busiest(posts, 3.0) <= 3 * PER_SECOND + 1, busiest(posts, 3.0)
    for bot in bots:
        assert "Traceback" not in bot.output(), bot.output()[-3000:]
