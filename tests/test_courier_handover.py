"""A handler claims its chat's next post in its own unit of work and hands the claim to the
courier (bot/courier.py `claim_in`, `deliver_soon`): one transaction fewer per answer. This
process's own claims are free to all its senders, so a handed claim may have been taken up
by another delivery meanwhile; it must then not go out a second time. On SQLite and
PostgreSQL, with the real outbox."""

from __future__ import annotations

import asyncio

from telegram.error import NetworkError

import bot.courier
from bot import posts
from bot.courier import Courier, Handed, Part
from storage.records import Parcel
from storage.repository import Store


class Sends:
    """A planner whose posts are counted instead of sent to Telegram."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def plan(self, post: posts.Post, parcel: Parcel) -> list[Part]:
        assert isinstance(post, posts.Message)

        async def send(_bot: object) -> None:
            self.sent.append(post.html)

        return [Part(send)]


async def _queue_and_claim(store: Store, courier: Courier, chat: str, text: str) -> Handed:
    async def body(u):  # type: ignore[no-untyped-def]
        await u.outbox.add(chat, posts.dump(posts.Message(html=text)))
        return await courier.claim_in(u, chat)

    handed = await store.run(body)
    assert handed is not None
    return handed


async def test_a_handed_claim_goes_out_once(store: Store) -> None:
    await store.ensure_chat("7", "private", "en")
    sends = Sends()
    courier = Courier(store, sends.plan, "instance-a")
    courier.bot = object()  # type: ignore[assignment]
    first = await _queue_and_claim(store, courier, "7", "first")
    await courier.deliver("7", first)
    assert sends.sent == ["first"]

    # The next reply's claim is handed over, but the courier's own round (which may take
    # up this instance's claims) delivers the chat first.
    second = await _queue_and_claim(store, courier, "7", "second")
    await courier.deliver("7")
    await courier.deliver("7", second)
    assert sends.sent == ["first", "second"]
    assert await store.run(lambda u: u.outbox.pending("7")) == []


async def test_an_old_handed_claim_is_claimed_again(store: Store) -> None:
    """Handed longer ago than half the lease, another instance may hold the post by now:
    the courier claims afresh, and sends what the claim gives it."""
    await store.ensure_chat("8", "private", "en")
    sends = Sends()
    courier = Courier(store, sends.plan, "instance-a", lease=30)
    courier.bot = object()  # type: ignore[assignment]
    stale, _ = await _queue_and_claim(store, courier, "8", "hello")
    other = Courier(store, sends.plan, "instance-b", lease=30)
    # Instance b cannot take it while a's lease runs; a's late delivery still sends it once.
    assert await store.run(lambda u: u.outbox.claim("8", other.instance, other.lease)) is None
    await courier.deliver("8", (stale, asyncio.get_running_loop().time() - 60))
    assert sends.sent == ["hello"]


async def test_no_claim_while_the_chat_s_post_is_on_its_way(store: Store) -> None:
    """The chat's next update is handled while its last reply's request is out, and that
    request then fails (a 502): the reply is sent on the retry, and the next one after it.
    (A claim in the handler's unit would have taken the in-flight note for a send that died,
    and the retry would have counted the reply as delivered.)"""
    await store.ensure_chat("7", "private", "en")
    sent: list[str] = []
    handed: list[Handed | None] = []
    courier = Courier(store, None, "instance-a", retry_pause=0.01)  # type: ignore[arg-type]

    async def plan(post: posts.Post, parcel: Parcel) -> list[Part]:
        assert isinstance(post, posts.Message)

        async def send(_bot: object) -> None:
            written = bot.courier.ON_THE_WIRE.get()
            assert written is not None
            await written()  # the request is out: the part is noted in flight
            if post.html == "first" and not handed:
                handed.append(await store.run(lambda u: _next_reply(u, courier)))
                raise NetworkError("Bad Gateway")
            sent.append(post.html)

        return [Part(send)]

    courier.planner = plan
    courier.bot = object()  # type: ignore[assignment]
    await store.run(lambda u: u.outbox.add("7", posts.dump(posts.Message(html="first"))))
    await courier.deliver("7")
    assert handed == [None]  # no claim while the chat's delivery ran
    await asyncio.sleep(0.05)  # the retry falls due
    await courier.deliver("7")
    assert sent == ["first", "second"]
    assert await store.run(lambda u: u.outbox.pending("7")) == []


async def _next_reply(u, courier: Courier) -> Handed | None:  # type: ignore[no-untyped-def]
    await u.outbox.add("7", posts.dump(posts.Message(html="second")))
    return await courier.claim_in(u, "7")


async def test_a_post_carried_again_is_remembered_again(store: Store, monkeypatch) -> None:
    """A post retried long after its first try is remembered as carried from its retry on;
    kept at its first place it would be forgotten first, and a claim of it handed over
    meanwhile would send it a second time."""
    monkeypatch.setattr(bot.courier, "CARRIED_KEPT", 3)
    for chat in "789":
        await store.ensure_chat(chat, "private", "en")
    sent: list[str] = []
    fails = {"P": 1}
    courier = Courier(store, None, "instance-a", retry_pause=0.001)  # type: ignore[arg-type]

    async def plan(post: posts.Post, parcel: Parcel) -> list[Part]:
        assert isinstance(post, posts.Message)

        async def send(_bot: object) -> None:
            if fails.get(post.html):
                fails[post.html] -= 1
                raise NetworkError("Bad Gateway")
            sent.append(post.html)

        return [Part(send)]

    courier.planner = plan
    courier.bot = object()  # type: ignore[assignment]

    async def add(chat: str, text: str) -> None:
        await store.run(lambda u: u.outbox.add(chat, posts.dump(posts.Message(html=text))))

    await add("7", "P")
    await courier.deliver("7")  # P fails: tried again later
    for chat, text in (("8", "X"), ("9", "Y")):  # other chats' posts go out meanwhile
        await add(chat, text)
        await courier.deliver(chat)
    await asyncio.sleep(0.05)  # P is due again
    next_reply = await _queue_and_claim(store, courier, "7", "Q")  # claims P, the oldest
    round_ = asyncio.create_task(courier.deliver("7"))  # the courier's own round
    courier.deliver_soon("7", next_reply)
    await round_
    await asyncio.gather(*courier._deliveries)
    assert sent == ["X", "Y", "P", "Q"]
