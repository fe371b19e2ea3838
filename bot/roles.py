"""Who may lead in a group: the person who started the map (the facilitator), or a chat
admin — anonymous admins included, who write as the group itself. Everyone else adds answers
and rates. In a private chat the one person there may do everything.

Admins are looked up with getChatAdministrators and remembered for a few minutes per chat, so
a busy group does not cost a request per button press."""

from __future__ import annotations

import logging
import time

from telegram import Bot, Chat, Message, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from flows.model import Author

log = logging.getLogger(__name__)
GROUP_TYPES = (Chat.GROUP, Chat.SUPERGROUP)
ADMINS_KEPT = 300.0  # seconds
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def is_group(chat: Chat) -> bool:
    return chat.type in GROUP_TYPES


def speaks_as_group(chat: Chat, message: Message | None) -> bool:
    """An anonymous admin: the message comes from the group itself."""
    sender = message.sender_chat if message is not None else None
    return sender is not None and sender.id == chat.id


def author_of(user: User, chat: Chat | None = None, anonymous: bool = False) -> Author:
    if anonymous and chat is not None:
        return Author(id=f"chat{chat.id}", name=chat.title or "admin")
    name = user.full_name or user.username or str(user.id)
    return Author(id=str(user.id), name=name)


class Admins:
    def __init__(self, kept: float = ADMINS_KEPT) -> None:
        self.kept = kept
        self._known: dict[int, tuple[float, frozenset[int]]] = {}

    async def is_admin(self, bot: Bot, chat: Chat, user: User, message: Message | None) -> bool:
        if not is_group(chat):
            return True
        if speaks_as_group(chat, message):
            return True
        return user.id in await self._admins(bot, chat.id)

    async def _admins(self, bot: Bot, chat_id: int) -> frozenset[int]:
        known = self._known.get(chat_id)
        if known is not None and time.monotonic() - known[0] < self.kept:
            return known[1]
        try:
            members = await bot.get_chat_administrators(chat_id)
        except TelegramError as problem:  # unknown: nobody gets admin rights from a guess
            log.warning("could not list the admins of chat %s: %s", chat_id, problem)
            return frozenset()
        ids = frozenset(m.user.id for m in members if m.status in ADMIN_STATUSES)
        self._known[chat_id] = (time.monotonic(), ids)
        return ids
