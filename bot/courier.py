"""The courier: sends what the outbox holds, each chat's posts in order, each once.

- A handler claims the chat's next post in the unit of work that queued it (`claim_in`) and
  hands the claim over (`deliver_soon`): one transaction fewer per answer (issue 17).
- A background loop picks up whatever is left: posts of a process that died mid-send (once
  their lease runs out), posts whose send failed and are due again, posts of other instances.
- A post of several messages (the map: photo, file, checklist, tick buttons) records each
  part as it goes out, so a resend after a crash starts after the last confirmed part.

What is sent again, and what is not (Telegram has no idempotency keys):
- not sent at all (no connection, connect timeout, a 429, Telegram answering 5xx): sent again
  later, with a growing pause — nothing is lost to a bad minute of the network;
- sent, answer unknown (a read timeout, the connection dropped after the request went out):
  counted as delivered and logged — sending again could show the message twice. Read timeouts
  are long (see bot/app.py) so this stays rare;
- refused (400 Bad Request, 403 the user blocked the bot): logged and dropped, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from telegram import Bot, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot import posts
from bot.budget import Budget, LocalBudget
from bot.posts import Post, Question
from bot.wire import ON_THE_WIRE
from storage.records import Asked, Parcel, Unavailable
from storage.repository import Store, Unit
from storage.tables import now

log = logging.getLogger(__name__)

LEASE = 30.0  # seconds a claimed post is ours; renewed while we work on it
POLL = 2.0  # seconds between looks for posts left by others (or by a crash)
GIVE_UP_AFTER = 20  # failed attempts (pauses grow to 5 minutes: about an hour and a half)
RETENTION = timedelta(days=7)  # sent posts and applied update keys are kept this long
PURGE_EVERY = 3600.0
CONCURRENT_CHATS = 8
CARRIED_KEPT = 10_000  # ids of posts this process took up lately (see deliver)
# Seconds to wait for the database to note a part as sent. Not longer: the chat's next update
# waits behind us, and a part left noted "in flight" is counted as delivered by whoever takes
# the post over once the database is back, so nothing is sent twice either way.
MARK_OUTAGE_WAIT = 2.0


@dataclass(frozen=True)
class Part:
    """One request of a post. `prepare` makes what it sends (a picture) before the request
    is marked in flight; `question`: the message it sends asks that question."""

    send: Callable[[Bot], Awaitable[Any]]
    question: Question | None = None
    prepare: Callable[[], Awaitable[Any]] | None = None
    # Messages it posts into the chat (a group takes 20 a minute); a callable when that is
    # known only once prepared (a map too wide for one photo goes as an album of parts).
    posts: int | Callable[[], int] = 1

    def post_count(self) -> int:
        return self.posts() if callable(self.posts) else self.posts


# A post claimed by a handler in its unit of work, and when (the event loop's clock).
Handed = tuple[Parcel, float]

# A post of several requests (the map, the exports) is planned by whoever knows how.
Planner = Callable[[Post, Parcel], Awaitable[list[Part]]]


class Transient(Exception):
    """Not delivered; worth trying again after `pause` seconds."""

    def __init__(self, reason: str, pause: float | None = None) -> None:
        super().__init__(reason)
        self.pause = pause


class Unconfirmed(Exception):
    """The request went out and no answer came back: it may have been delivered."""


class Refused(Exception):
    """Telegram refused the request for good (bad request, bot blocked)."""


def wait_of(error: RetryAfter) -> float:
    """Seconds Telegram asks to wait: PTB 22 gives an int, or a timedelta with PTB_TIMEDELTA."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(error: Exception) -> Exception:
    """Which of Transient, Unconfirmed and Refused a failed Bot API request is."""
    if isinstance(error, RetryAfter):
        return Transient(str(error), wait_of(error))
    if isinstance(error, (BadRequest, Forbidden)):
        return Refused(str(error))
    if isinstance(error, NetworkError):  # TimedOut included
        cause = error.__cause__
        if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return Transient(f"not sent: {error}")
        if isinstance(cause, httpx.WriteTimeout):  # the request never arrived whole
            return Transient(f"not sent: {error}")
        if isinstance(cause, httpx.HTTPError) or isinstance(error, TimedOut):
            return Unconfirmed(str(error))
        return Transient(str(error))  # the Bot API answered with an error status (5xx)
    return Transient(f"{type(error).__name__}: {error}")


def pause_after(attempts: int, first: float = 1.0) -> float:
    """`first`, twice that, four times … seconds (1, 2, 4 …), at most five minutes."""
    return float(min(first * 2 ** (attempts - 1), 300))


class Courier:
    def __init__(
        self,
        store: Store,
        planner: Planner,
        instance: str,
        *,
        lease: float = LEASE,
        retry_pause: float = 1.0,
        poll: float = POLL,
        budget: Budget | None = None,
    ) -> None:
        self.store = store
        self.planner = planner
        self.budget = budget or LocalBudget()
        self.instance = instance
        self.lease = lease
        self.retry_pause = retry_pause
        self.poll = poll
        self.bot: Bot | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}  # tasks holding or waiting for a chat's lock
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._deliveries: set[asyncio.Task] = set()
        self._last_purge = 0.0
        self._carried: OrderedDict[int, None] = OrderedDict()
        self._outage_logged = 0.0
        self.unconfirmed = 0  # sends counted as delivered without an answer (for metrics)

    # --- running -------------------------------------------------------------------------

    def start(self, bot: Bot) -> None:
        self.bot = bot
        self._task = asyncio.create_task(self._loop(), name="journeybot-courier")

    async def stop(self) -> None:
        """Stop sending; what is left stays in the outbox for the next start."""
        for task in [self._task, *self._deliveries]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def wake(self) -> None:
        self._wake.set()

    def wake_at(self, seconds: float) -> None:
        """Look at the outbox again in `seconds` (a deferred post falls due then)."""
        asyncio.get_running_loop().call_later(seconds, self._wake.set)

    async def claim_in(self, unit: Unit, chat_id: str) -> Handed | None:
        """Claim the chat's next post for this process inside the caller's unit of work,
        to be handed to `deliver_soon`. Not while a delivery of the chat runs here: the post
        it is sending is the oldest, and claiming it would take its in-flight note for a
        send that died (that delivery claims the next post itself)."""
        if self._users.get(chat_id):
            return None
        at = asyncio.get_running_loop().time()  # the lease runs from the claim
        parcel = await unit.outbox.claim(chat_id, self.instance, self.lease)
        return (parcel, at) if parcel is not None else None

    def deliver_soon(self, chat_id: str, handed: Handed | None = None) -> None:
        """Deliver the chat's posts in a task of their own: the update that queued them is
        done (and can be confirmed to Telegram) once they are stored, not once sent.
        `handed`: the post the caller claimed in its unit (`claim_in`)."""
        task = asyncio.create_task(self.deliver(chat_id, handed), name=f"deliver-{chat_id}")
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _loop(self) -> None:
        limit = asyncio.Semaphore(CONCURRENT_CHATS)

        async def one(chat: str) -> None:
            async with limit:
                await self.deliver(chat)

        while True:
            try:
                chats = await self.store.run(lambda u: u.outbox.due_chats(self.instance))
                await asyncio.gather(*(one(chat) for chat in chats))
                await self._purge()
            except Unavailable as problem:
                self._log_outage(problem)
            except Exception:
                log.exception("the courier's round failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    def _log_outage(self, problem: Exception) -> None:
        """Once a minute while the database is away, not at every round."""
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._outage_logged >= 60:
            self._outage_logged = loop_time
            log.warning("database unavailable; replies wait in the outbox (%s)", problem)

    async def _purge(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = loop_time
        before = now() - RETENTION

        async def purge(u):
            return await u.outbox.purge(before), await u.ledger.purge(before)

        posts_gone, keys_gone = await self.store.run(purge)
        if posts_gone or keys_gone:
            log.info("forgot %d sent posts and %d update keys", posts_gone, keys_gone)

    # --- delivering ------------------------------------------------------------------------

    async def deliver(self, chat_id: str, handed: Handed | None = None) -> None:
        """Send the chat's due posts, oldest first; stop at one that has to wait.

        `handed`: a post claimed by a handler (and when). This process's own claims are free
        to all its senders, so another delivery of the chat may have sent it meanwhile (its
        id is then among those carried) — or it was handed long ago and the lease may have
        run out: then the post is claimed again, as without one."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                parcel = handed[0] if handed and self._fresh(*handed) else None
                if parcel is None:
                    parcel = await self.store.run(
                        lambda u: u.outbox.claim(chat_id, self.instance, self.lease)
                    )
                while parcel is not None:
                    parcel = await self._carry(parcel)
        except Unavailable as problem:
            self._log_outage(problem)
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:  # forget idle chats
                del self._users[chat_id]
                self._locks.pop(chat_id, None)

    def _fresh(self, parcel: Parcel, handed_at: float) -> bool:
        """A handed claim nobody here took up yet, well within its lease."""
        age = asyncio.get_running_loop().time() - handed_at
        return parcel.id not in self._carried and age < self.lease / 2

    async def _carry(self, parcel: Parcel) -> Parcel | None:
        """Send one post from where it stopped. When done with it (sent or dropped), the
        chat's next post, claimed in the same transaction; None when there is none or the
        chat has to wait."""
        assert self.bot is not None
        self._carried[parcel.id] = None
        self._carried.move_to_end(parcel.id)  # a post carried again is recent again
        if len(self._carried) > CARRIED_KEPT:
            self._carried.popitem(last=False)
        post = posts.load(parcel.payload)
        if parcel.interrupted:
            self.unconfirmed += 1
            log.warning(
                "post %s to chat %s: taken over with part %d on its way; counted as delivered",
                parcel.id,
                parcel.chat_id,
                parcel.progress,
            )
        async with self._holding(parcel):
            try:
                parts = await self.planner(post, parcel)
            except Exception as problem:
                return await self._failed(parcel, classify(problem))
            if parcel.progress >= len(parts):
                return await self._mark(parcel, len(parts), len(parts), None, None)
            for index in range(parcel.progress, len(parts)):
                part = parts[index]
                if part.prepare is not None:
                    await part.prepare()
                wait = await self.budget.reserve(parcel.chat_id, part.post_count())
                if wait > 0:  # the group had its share of posts this minute: later
                    await self._defer(parcel, wait)
                    self.wake_at(wait)
                    return None
                try:
                    result = await self._send(parcel, index, part)
                except ChatMigrated as moved:  # the group is a supergroup now: follow it
                    await self._follow(parcel, moved.new_chat_id)
                    return None
                except Exception as problem:
                    outcome = classify(problem)
                    if isinstance(outcome, Transient):
                        return await self._failed(parcel, outcome)
                    if isinstance(outcome, Unconfirmed):
                        self.unconfirmed += 1
                    log.warning(
                        "post %s to chat %s, part %d: %s (%s); not sent again",
                        parcel.id,
                        parcel.chat_id,
                        index + 1,
                        type(outcome).__name__,
                        outcome,
                    )
                    result = None
                following = await self._mark(parcel, index + 1, len(parts), part.question, result)
        return following

    async def _send(self, parcel: Parcel, index: int, part: Part) -> Any:
        """Send the part; the moment its request is written whole, it is noted in flight."""
        noted = False

        async def written() -> None:
            nonlocal noted
            if noted:  # (a part of several requests: the first one counts)
                return
            noted = True
            try:
                await self.store.run(
                    lambda u: u.outbox.sending(parcel.id, index),
                    outage_wait=MARK_OUTAGE_WAIT,
                    one_statement=True,
                )
            except Exception:  # never fail the request itself for this note
                log.warning("post %s: could not note part %d in flight", parcel.id, index + 1)

        token = ON_THE_WIRE.set(written)
        try:
            return await part.send(self.bot)  # type: ignore[arg-type]
        finally:
            ON_THE_WIRE.reset(token)

    async def _follow(self, parcel: Parcel, new_chat_id: int) -> None:
        """Move the chat's maps, interview and posts to its new id, and send there."""
        await self.store.run(lambda u: u.outbox.defer(parcel.id, 0), outage_wait=MARK_OUTAGE_WAIT)
        await self.store.run(lambda u: u.chats.migrate(parcel.chat_id, str(new_chat_id)))
        log.info("chat %s is now %s; its posts follow it", parcel.chat_id, new_chat_id)
        self.deliver_soon(str(new_chat_id))

    async def _defer(self, parcel: Parcel, seconds: float) -> None:
        await self.store.run(lambda u: u.outbox.defer(parcel.id, seconds))

    async def _mark(
        self, parcel: Parcel, done: int, total: int, question: Question | None, result: Any
    ) -> Parcel | None:
        """Note the part as out, with the question the message asked; when it was the last,
        the post is sent and the chat's next post claimed — one transaction (on PostgreSQL
        one statement: `Outbox.finish`)."""
        message_id = getattr(result, "message_id", None)
        asked = (
            Asked(message_id, question.scope, question.position)
            if question is not None and message_id is not None
            else None
        )
        if done >= total:
            return await self.store.run(
                lambda u: u.outbox.finish(parcel, self.instance, self.lease, asked=asked),
                outage_wait=MARK_OUTAGE_WAIT,
                one_statement=True,
            )

        async def note(u):
            if asked is not None:
                await u.interviews.remember_question(
                    parcel.chat_id, asked.message_id, asked.scope, asked.position
                )
            await u.outbox.progressed(parcel.id, done)

        await self.store.run(note, outage_wait=MARK_OUTAGE_WAIT)
        return None

    async def _failed(self, parcel: Parcel, outcome: Exception) -> Parcel | None:
        """A part could not go out: drop the post (refused, or tried too often) and go on
        with the chat's next, or leave it to be tried again later (and the chat waits)."""
        attempts = parcel.attempts + 1
        if not isinstance(outcome, Transient) or attempts >= GIVE_UP_AFTER:
            why = (
                f"dropped: {outcome}"
                if not isinstance(outcome, Transient)
                else (f"gave up after {attempts} attempts: {outcome}")
            )
            log.warning("post %s to chat %s %s", parcel.id, parcel.chat_id, why)

            return await self.store.run(
                lambda u: u.outbox.finish(parcel, self.instance, self.lease, note=why),
                one_statement=True,
            )
        pause = outcome.pause
        if pause is None:
            pause = pause_after(attempts, self.retry_pause)
        log.warning(
            "post %s to chat %s not sent (%s); trying again in %.0f s",
            parcel.id,
            parcel.chat_id,
            outcome,
            pause,
        )
        due = now() + timedelta(seconds=pause)
        await self.store.run(lambda u: u.outbox.retry_at(parcel.id, due, str(outcome)))
        self.wake_at(pause)
        return None

    @contextlib.asynccontextmanager
    async def _holding(self, parcel: Parcel) -> AsyncIterator[None]:
        """Renew the post's lease while we work on it (a map can take a while)."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease / 3)
                with contextlib.suppress(Unavailable):
                    await self.store.run(
                        lambda u: u.outbox.extend(parcel.id, self.instance, self.lease)
                    )

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# --- the simple posts ------------------------------------------------------------------------


def message_part(chat: int, thread: int | None, message: posts.Message) -> Part:
    async def send(bot: Bot) -> Any:
        return await bot.send_message(
            chat,
            message.html,
            parse_mode=ParseMode.HTML,
            reply_markup=posts.markup_of(message.markup),
            reply_parameters=(
                ReplyParameters(message.reply_to, allow_sending_without_reply=True)
                if message.reply_to
                else None
            ),
            message_thread_id=thread,
        )

    return Part(send, message.question)


def reaction_part(chat: int, thread: int | None, reaction: posts.Reaction) -> Part:
    fallback = message_part(chat, thread, reaction.fallback)

    async def send(bot: Bot) -> Any:
        try:
            return await bot.set_message_reaction(chat, reaction.message_id, reaction.emoji)
        except BadRequest as problem:  # reactions are turned off in this chat
            log.info("no reaction in chat %s (%s); answering with a message", chat, problem)
            return await fallback.send(bot)

    return Part(send, posts=0)  # a reaction is no message (its rare fallback goes unmetered)


def edit_part(chat: int, edit: posts.Edit) -> Part:
    async def send(bot: Bot) -> Any:
        markup = posts.markup_of(edit.markup)
        try:
            if edit.html is not None:
                return await bot.edit_message_text(
                    edit.html,
                    chat,
                    edit.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,  # type: ignore[arg-type]
                )
            return await bot.edit_message_reply_markup(
                chat,
                edit.message_id,
                reply_markup=markup,  # type: ignore[arg-type]
            )
        except BadRequest as problem:
            # Already so ("message is not modified"), or gone: nothing left to do.
            log.info("edit of message %s in chat %s: %s", edit.message_id, chat, problem)
            return None

    return Part(send, posts=0)


def simple_parts(post: Post, parcel: Parcel) -> list[Part] | None:
    """The parts of a one-request post; None for the posts that need a planner."""
    chat = int(parcel.chat_id)
    if isinstance(post, posts.Message):
        return [message_part(chat, parcel.thread_id, post)]
    if isinstance(post, posts.Reaction):
        return [reaction_part(chat, parcel.thread_id, post)]
    if isinstance(post, posts.Edit):
        return [edit_part(chat, post)]
    return None
