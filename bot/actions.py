"""Telegram updates read into what a person did: said something, sent a picture, edited a
message, called a command, pressed a button. The one place that looks inside an Update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import Message, Update

from bot import callbacks


@dataclass(frozen=True)
class Mention:
    """A person named in a message: `@andi` (a username; no id) or a mention of someone
    without a username (Telegram gives their id and name)."""

    user_id: str
    name: str


@dataclass(frozen=True)
class Said:
    text: str
    message_id: int
    reply_to: int | None
    at: datetime | None
    to_us: bool = False  # a reply to one of the bot's messages
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True)
class Attached:
    """A sticker, photo, voice note… where the bot reads text."""

    what: str
    message_id: int
    reply_to: int | None
    to_us: bool = False


@dataclass(frozen=True)
class Edited:
    message_id: int
    reply_to: int | None


@dataclass(frozen=True)
class Called:
    """`/name args` (the name lower-cased, without @bot)."""

    name: str
    args: tuple[str, ...]
    rest: str  # everything after the command, as typed
    message_id: int


@dataclass(frozen=True)
class Pressed:
    button: callbacks.Button | None  # None: data that is none of our buttons
    query_id: str
    message_id: int | None
    message_html: str | None  # the text of the message the button is on
    label: str  # the pressed button's text


@dataclass(frozen=True)
class Migrated:
    """The group became a supergroup: everything of this chat moves to its new id."""

    to_chat_id: int


Action = Said | Attached | Edited | Called | Pressed | Migrated


def read(update: Update, bot_username: str | None) -> Action | None:
    """What the update means to us, or None when it is nothing to act on (a service
    message, a command for another bot, an update of a kind we do not handle)."""
    query = update.callback_query
    if query is not None:
        message = query.message if isinstance(query.message, Message) else None
        return Pressed(
            callbacks.parse(query.data),
            query.id,
            message.message_id if message else None,
            message.text_html if message and message.text else None,
            _label(message, query.data),
        )
    if update.edited_message is not None:
        edited = update.edited_message
        return Edited(edited.message_id, _reply_to(edited))
    message = update.message
    if message is None:
        return None
    if message.migrate_to_chat_id is not None:
        return Migrated(message.migrate_to_chat_id)
    to_us = _replies_to(message, bot_username)
    if message.text is not None:
        return _command(message, bot_username) or (
            None
            if message.text.startswith("/") and _is_command(message)
            else Said(
                message.text,
                message.message_id,
                _reply_to(message),
                message.date,
                to_us,
                _mentions(message),
            )
        )
    if message.effective_attachment is not None:
        kind = type(message.effective_attachment).__name__
        if isinstance(message.effective_attachment, tuple):  # photo sizes
            kind = "PhotoSize"
        return Attached(kind, message.message_id, _reply_to(message), to_us)
    return None  # members joining, pinned messages, group changes…


def ledger_key(update: Update) -> str:
    """What makes this update the same update when Telegram delivers it again: message ids
    never repeat within a chat and callback ids never repeat at all, while update ids start
    again at random after a week without updates."""
    if update.callback_query is not None:
        return f"cb:{update.callback_query.id}"
    if update.message is not None:
        return f"m:{update.message.chat.id}:{update.message.message_id}"
    edited = update.edited_message
    if edited is not None:
        stamp = int(edited.edit_date.timestamp()) if edited.edit_date else update.update_id
        return f"e:{edited.chat.id}:{edited.message_id}:{stamp}"
    return f"u:{update.update_id}"


def _mentions(message: Message) -> tuple[Mention, ...]:
    found = []
    for entity, text in message.parse_entities(["mention", "text_mention"]).items():
        if entity.type == "text_mention" and entity.user is not None:
            found.append(Mention(str(entity.user.id), entity.user.full_name))
        elif entity.type == "mention":
            found.append(Mention("", text))
    return tuple(found)


def _reply_to(message: Message) -> int | None:
    replied = message.reply_to_message
    return replied.message_id if replied is not None else None


def _replies_to(message: Message, bot_username: str | None) -> bool:
    replied = message.reply_to_message
    sender = replied.from_user if replied is not None else None
    return sender is not None and sender.is_bot and sender.username == bot_username


def _is_command(message: Message) -> bool:
    return any(e.type == "bot_command" and e.offset == 0 for e in message.entities or ())


def _command(message: Message, bot_username: str | None) -> Called | None:
    text = message.text or ""
    if not text.startswith("/") or not _is_command(message):
        return None
    word, _, rest = text.partition(" ")
    name, _, addressee = word[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None  # /start@another_bot in a group: not ours
    if not name:
        return None
    return Called(name.lower(), tuple(rest.split()), rest.strip(), message.message_id)


def _label(message: Message | None, data: str | None) -> str:
    markup = message.reply_markup if message else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return ""
