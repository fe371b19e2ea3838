"""A handler claims its chat's next post in its own unit of work and hands the claim to the
courier (bot/courier.py `claim_in`, `deliver_soon`): one transaction fewer per answer. This
process's own claims are free to all its senders, so a handed claim may have been taken up
by another delivery meanwhile; it must then not go out a second time. On SQLite and
PostgreSQL, with the real outbox."""

from __future__ import annotations

import asyncio

from bot import posts
from bot.courier import Courier, Part
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


async def _queue_and_claim(store: Store, courier: Courier, chat: str, text: str) -> Parcel:
    async def body(u):  # type: ignore[no-untyped-def]
        await u.outbox.add(chat, posts.dump(posts.Message(html=text)))
        return await courier.claim_in(u, chat)

    parcel = await store.run(body)
    assert parcel is not None
    return parcel


async def test_a_handed_claim_goes_out_once(store: Store) -> None:
    await store.ensure_chat("7", "private", "en")
    sends = Sends()
    courier = Courier(store, sends.plan, "instance-a")
    courier.bot = object()  # type: ignore[assignment]
    loop = asyncio.get_running_loop()

    first = await _queue_and_claim(store, courier, "7", "first")
    await courier.deliver("7", (first, loop.time()))
    assert sends.sent == ["first"]

    # The next reply's claim is handed over, but the courier's own round (which may take
    # up this instance's claims) delivers the chat first.
    second = await _queue_and_claim(store, courier, "7", "second")
    await courier.deliver("7")
    await courier.deliver("7", (second, loop.time()))
    assert sends.sent == ["first", "second"]
    assert await store.run(lambda u: u.outbox.pending("7")) == []


async def test_an_old_handed_claim_is_claimed_again(store: Store) -> None:
    """Handed longer ago than half the lease, another instance may hold the post by now:
    the courier claims afresh, and sends what the claim gives it."""
    await store.ensure_chat("8", "private", "en")
    sends = Sends()
    courier = Courier(store, sends.plan, "instance-a", lease=30)
    courier.bot = object()  # type: ignore[assignment]
    stale = await _queue_and_claim(store, courier, "8", "hello")
    other = Courier(store, sends.plan, "instance-b", lease=30)
    # Instance b cannot take it while a's lease runs; a's late delivery still sends it once.
    assert await store.run(lambda u: u.outbox.claim("8", other.instance, other.lease)) is None
    await courier.deliver("8", (stale, asyncio.get_running_loop().time() - 60))
    assert sends.sent == ["hello"]
