"""Updates of one chat are handled in arrival order; other chats do not wait for them."""

from __future__ import annotations

import asyncio

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
