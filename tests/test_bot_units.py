"""Telegram-side pieces on their own: per-chat ordering of updates, keyboards."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Chat, Message, Update

from bot.ordering import PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, text=str(update_id))  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_chat_in_order_other_chats_alongside() -> None:
    processor = PerChatUpdateProcessor(64)
    done: list[tuple[int, int]] = []

    async def handle(u: Update, pause: float) -> None:
        await asyncio.sleep(pause)
        assert u.effective_chat is not None
        done.append((u.effective_chat.id, u.update_id))

    # Chat 1's first update is slow; its later ones must still come after it, while chat 2's
    # updates finish in the meantime.
    jobs = [
        (update(1, 1), 0.2),
        (update(2, 1), 0.0),
        (update(3, 2), 0.0),
        (update(4, 1), 0.0),
        (update(5, 2), 0.0),
    ]
    await asyncio.gather(*(processor.process_update(u, handle(u, p)) for u, p in jobs))
    assert [i for c, i in done if c == 1] == [1, 2, 4]
    assert [i for c, i in done if c == 2] == [3, 5]
    assert done.index((2, 3)) < done.index((1, 1))  # chat 2 did not wait for chat 1
    assert not processor._locks  # idle chats are forgotten


def test_the_review_keyboard_fits_a_phone() -> None:
    from bot.replies import keyboard
    from flows.questions import question
    from tests.scripted import Interviewee

    iv = Interviewee(personas=1, stages=5).run(until_state="review").interview
    rows = keyboard(question(iv), "en").inline_keyboard  # type: ignore[union-attr]
    assert [b.text for b in rows[0]] == ["✅ Finish and draw the map"]
    assert all(len(row) <= 2 for row in rows[1:-1]) and len(rows) <= 9
    assert sum(len(row) for row in rows) == len(question(iv).choices) + 1  # + Back
    assert all(len(b.callback_data.encode()) <= 64 for row in rows for b in row)


def test_a_group_gets_at_most_its_share_in_any_window(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot import grouplimit
    from bot.grouplimit import GroupWindow

    clock = [1000.0]
    monkeypatch.setattr(grouplimit.time, "monotonic", lambda: clock[0])
    window = GroupWindow(limit=20, seconds=60)
    sent: list[float] = []
    # Posts wanted every second for three minutes; each goes when the window lets it.
    wanted = [1000.0 + s for s in range(180)]
    for at in wanted:
        clock[0] = max(clock[0], at)
        wait = window.reserve("-100", 1)
        if wait:
            clock[0] += wait
            assert window.reserve("-100", 1) == 0
        sent.append(clock[0])
    for start in sent:  # any rolling minute holds at most 20
        assert sum(1 for at in sent if start <= at < start + 60) <= 20
    assert sent[19] == 1019.0 and sent[20] >= 1060.0  # 20 at once, the 21st a minute later
    assert window.reserve("555", 100) == 0  # private chats are not metered
    assert window.reserve("-100", 0) == 0  # edits and reactions post nothing


@pytest.mark.alone  # measures time: other workers' CPU would make it late
async def test_a_request_is_on_the_wire_once_written_whole_before_the_answer(api) -> None:  # type: ignore[no-untyped-def]
    """The courier's "in flight" moment: after the request is written, before Telegram's
    (here: late) answer."""
    import time

    import httpx

    from bot.wire import ON_THE_WIRE, WireTransport

    api.fail_next("getMe", status=200, delay=1.0, processed=True)
    moments: list[float] = []

    async def written() -> None:
        moments.append(time.monotonic())

    async with httpx.AsyncClient(transport=WireTransport(httpx.AsyncHTTPTransport())) as client:
        started = time.monotonic()
        token = ON_THE_WIRE.set(written)
        try:
            answer = await client.post(f"{api.base_url}{api.token}/getMe", data={"x": "y" * 5000})
        finally:
            ON_THE_WIRE.reset(token)
        answered = time.monotonic()
        assert answer.status_code == 200
        assert len(moments) == 1 and started <= moments[0] < started + 0.5 < answered
        moments.clear()
        await client.post(f"{api.base_url}{api.token}/getMe")  # no callback: nothing noted
        assert moments == []


# --- packing text into Telegram messages ---------------------------------------------------


def test_pack_joins_blocks_and_moves_a_whole_block_rather_than_split_it() -> None:
    from bot.replies import pack
    from renderers.checklist import Block

    blocks = [Block("A", ("a1", "a2")), Block("B", ("b" * 20,)), Block("C", ("c1",))]
    assert pack(blocks) == ["A\na1\na2\n\nB\n" + "b" * 20 + "\n\nC\nc1"]
    # B does not fit after A, but fits a message: it goes whole into the next one.
    assert pack(blocks, limit=25) == ["A\na1\na2", "B\n" + "b" * 20, "C\nc1"]
    assert pack(blocks, limit=28) == ["A\na1\na2", "B\n" + "b" * 20 + "\n\nC\nc1"]


def test_pack_splits_a_block_too_long_for_any_message_between_its_rows() -> None:
    from bot.replies import pack, telegram_length
    from renderers.checklist import Block

    rows = tuple(f"🔴 row {n}" for n in range(10))  # the emoji counts twice in UTF-16
    block = Block("<b>Findings</b>", rows, "<b>Findings (continued)</b>")
    messages = pack([Block("Title", ("intro",)), block], limit=40)
    assert all(telegram_length(m) <= 40 for m in messages)
    assert messages[0].startswith("Title\nintro")
    assert all(m.startswith("<b>Findings (continued)</b>") for m in messages[2:])
    shown = [line for m in messages for line in m.splitlines()]
    assert [line for line in shown if "row" in line] == list(rows)  # each once, in order


def test_pack_cuts_a_row_longer_than_a_message() -> None:
    from bot.replies import pack
    from renderers.checklist import Block

    messages = pack([Block("H", ("x " * 40,))], limit=30)
    assert all(len(m) <= 30 for m in messages) and len(messages) > 2


def test_renderers_leave_telegrams_limits_to_the_bot() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "renderers"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "4096" not in text and "utf-16" not in text.lower(), path


async def test_instances_sharing_a_redis_budget_post_within_it_together() -> None:
    """Two bot instances, one budget: 30 posts a second in all, 20 a window per group."""
    import uuid

    import pytest
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisDown

    from bot.budget import RedisBudget

    url = "redis://127.0.0.1:6379/0"
    try:
        await Redis.from_url(url).ping()
    except (RedisDown, OSError):
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    first, second = (
        RedisBudget(url, per_second=30, group_posts=20, group_window=3, prefix=prefix)
        for _ in range(2)
    )
    try:
        group = [await b.reserve("-100555", 1) for _ in range(15) for b in (first, second)]
        assert sum(1 for wait in group if wait == 0) == 20  # the group's share, together
        assert all(0 < wait <= 3.5 for wait in group[20:] if wait)
        private = [await b.reserve("777", 1) for _ in range(10) for b in (first, second)]
        # 20 group posts already count toward the 30 a second: 10 more private ones fit.
        assert sum(1 for wait in private if wait == 0) == 10
        assert await first.reserve("777", 0) == 0  # nothing posted, nothing taken
    finally:
        await first.close()
        await second.close()


def test_a_429_s_wait_is_read_as_int_or_timedelta(monkeypatch) -> None:
    """PTB 22 gives RetryAfter.retry_after as an int, or a timedelta with PTB_TIMEDELTA=1;
    either way the courier waits that long (it had raised AttributeError on the int)."""
    from telegram.error import RetryAfter

    from bot.courier import Transient, classify

    for timedelta_on in (False, True):
        if timedelta_on:
            monkeypatch.setenv("PTB_TIMEDELTA", "1")
        outcome = classify(RetryAfter(17))
        assert isinstance(outcome, Transient)
        assert outcome.pause == 17.0


def test_journeybot_run_s_event_loop_is_uvloop_where_installed() -> None:
    """`journeybot run` goes through `run_loop`: on uvloop's loop (bot/startup.py), with the
    coroutine's result handed back."""
    from bot.startup import run_loop

    async def which_loop() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    assert run_loop(which_loop()).startswith("uvloop")
