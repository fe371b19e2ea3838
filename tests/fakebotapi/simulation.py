"""Playing users (building realistic updates) and reading what users see.

:class:`Simulation` is the base class of :class:`~tests.fakebotapi.server.FakeBotApi`; it only
touches :class:`~tests.fakebotapi.core.BotCore` state, so every helper here is synchronous.

Privacy mode (the default for bots, see https://core.telegram.org/bots/features#privacy-mode):
in groups a bot that is not an administrator only receives

* commands: ``/cmd`` and ``/cmd@this_bot`` (``/cmd@other_bot`` is not delivered). Telegram
  delivers a bare ``/cmd`` only if this bot was the last bot to write in the group; the fake
  has a single bot, so bare commands are always delivered;
* replies to one of the bot's messages;
* messages that mention ``@this_bot``;
* everything in private chats.

Messages the bot would not see still get a message_id (they exist in the chat), but no update is
queued and the helper returns ``None``. Bots that are group admins, or created with
``privacy_mode=False``, see every message.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from .core import BotCore
from .formatting import utf16_len
from .media import guess_mime_type, image_info, make_png, make_webp_placeholder
from .models import (
    JSON,
    CallbackAnswer,
    ChatAction,
    FakeChat,
    FakeUser,
    MemberStatus,
    SentMessage,
    StoredFile,
    StoredMessage,
    Webhook,
)
from .validation import scope_key

ChatRef = FakeChat | int

_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@])@[A-Za-z0-9_]{4,32}(?![A-Za-z0-9_])")


def detect_entities(text: str) -> list[JSON]:
    """Entities Telegram would attach to a user's text: bot_command and mention."""
    found: list[JSON] = []
    for regex, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention")):
        for match in regex.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    return sorted(found, key=lambda e: e["offset"])


def _entity_text(text: str, entity: JSON) -> str:
    encoded = text.encode("utf-16-le")
    start, length = entity["offset"] * 2, entity["length"] * 2
    return encoded[start : start + length].decode("utf-16-le")


def keyboard_buttons(markup: JSON | None) -> list[JSON]:
    """Flat list of the buttons of an inline or reply keyboard (reply buttons as dicts)."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [
        button if isinstance(button, dict) else {"text": button} for row in rows for button in row
    ]


class Simulation:
    """User-side helpers shared by the fake server (state lives in ``self.core``)."""

    core: BotCore

    def __init__(self, core: BotCore) -> None:
        self.core = core
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        # The update of each button press, by callback query id (to deliver one again).
        self.presses: dict[str, JSON] = {}

    def _notify(self) -> None:
        """Wake long-polling / webhook delivery (overridden by the server)."""

    # ------------------------------------------------------------------ users and chats

    @property
    def bot_user(self) -> FakeUser:
        return self.core.bot_user

    def new_user(
        self,
        first_name: str = "Alice",
        username: str | None = None,
        *,
        language_code: str | None = "en",
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> FakeUser:
        """Create a user (ids increase from 100000001) known to the server."""
        user = FakeUser(
            id=user_id if user_id is not None else next(self._user_ids),
            first_name=first_name,
            username=username,
            language_code=language_code,
            last_name=last_name,
        )
        with self.core.lock:
            return self.core.register_user(user)

    def private_chat(self, user: FakeUser) -> FakeChat:
        """The private chat with ``user`` (``chat.id == user.id``), created on first use."""
        with self.core.lock:
            self.core.register_user(user)
            chat = self.core.chats.get(user.id)
            if chat is None:
                chat = self.core.register_chat(
                    FakeChat(
                        id=user.id,
                        type="private",
                        username=user.username,
                        first_name=user.first_name,
                        last_name=user.last_name,
                    )
                )
            return chat

    def new_group(
        self,
        title: str = "Test group",
        members: Iterable[FakeUser] = (),
        *,
        admins: Iterable[FakeUser] = (),
        owner: FakeUser | None = None,
        supergroup: bool = True,
        bot_is_admin: bool = False,
        username: str | None = None,
    ) -> FakeChat:
        """A group (``supergroup=False``: type "group") with the bot as member or admin.

        Supergroup ids look like -1001000000001, basic group ids like -400000001.
        """
        number = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -(400_000_000 + number)
        chat = FakeChat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
        )
        with self.core.lock:
            if owner is not None:
                self.core.register_user(owner)
                chat.members[owner.id] = "creator"
            for user in admins:
                self.core.register_user(user)
                chat.members[user.id] = "administrator"
            for user in members:
                self.core.register_user(user)
                chat.members.setdefault(user.id, "member")
            chat.members[self.bot_user.id] = "administrator" if bot_is_admin else "member"
            return self.core.register_chat(chat)

    def new_topic(self, chat: ChatRef, name: str) -> int:
        """A forum topic in a supergroup (made a forum); its thread id."""
        with self.core.lock:
            found = self._chat(chat)
            if found.type != "supergroup":
                raise ValueError("topics exist in supergroups only")
            found.is_forum = True
            thread_id = found.allocate_message_id()  # the topic's id is its first message's
            found.topics[thread_id] = name
        return thread_id

    def upgrade_to_supergroup(self, chat: ChatRef) -> FakeChat:
        """A basic group becomes a supergroup with a new id, as Telegram does when a group
        grows or an admin changes certain settings: the bot sees a service message with
        migrate_to_chat_id in the old group, and sending there fails with that id."""
        with self.core.lock:
            old = self._chat(chat)
            if old.type != "group":
                raise ValueError("only basic groups are upgraded")
            number = next(self._group_ids)
            new = self.core.register_chat(
                FakeChat(
                    id=-(1_000_000_000_000 + number),
                    type="supergroup",
                    title=old.title,
                    members=dict(old.members),
                )
            )
            admin = next(
                (self.core.users[u] for u, s in old.members.items() if s == "creator"),
                next(iter(self.core.users.values())),
            )
            notice = self.core.new_message(old, admin, from_bot=False)
            data = self.core.message_dict(notice)
            data["migrate_to_chat_id"] = new.id
            old.migrated_to = new.id
            self.core.enqueue({"message": data})
        self._notify()
        return new

    def set_member(self, chat: ChatRef, user: FakeUser, status: MemberStatus) -> None:
        """Change someone's membership (use ``api.bot_user`` to kick / promote the bot)."""
        with self.core.lock:
            self.core.register_user(user)
            self._chat(chat).members[user.id] = status

    def block_bot(self, user: FakeUser, blocked: bool = True) -> None:
        """The user blocks the bot: sends to the private chat get 403 Forbidden."""
        self.private_chat(user).bot_blocked = blocked

    def _chat(self, chat: ChatRef) -> FakeChat:
        chat_id = chat.id if isinstance(chat, FakeChat) else chat
        found = self.core.chats.get(chat_id)
        if found is None:
            raise LookupError(f"unknown chat {chat_id}")
        return found

    # ------------------------------------------------------------------ privacy mode

    def bot_sees(
        self, chat: ChatRef, text: str, entities: list[JSON], reply_to: int | None
    ) -> bool:
        """Whether the bot receives a user's message in ``chat`` (privacy mode rules)."""
        found = self._chat(chat)
        if not found.is_group:
            return True
        status = found.members.get(self.bot_user.id, "left")
        if status in ("left", "kicked"):
            return False
        if not self.core.privacy_mode or status in ("administrator", "creator"):
            return True
        if reply_to is not None:
            replied = self.core.get_message(found.id, reply_to)
            if replied is not None and replied.from_bot:
                return True
        bot_name = (self.bot_user.username or "").lower()
        for entity in entities:
            value = _entity_text(text, entity)
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                _, _, target = value.partition("@")
                if not target or target.lower() == bot_name:
                    return True
            if entity["type"] == "mention" and value[1:].lower() == bot_name:
                return True
        return False

    # ------------------------------------------------------------------ user actions

    def _user_message(
        self,
        chat: ChatRef,
        user: FakeUser,
        *,
        text: str | None = None,
        caption: str | None = None,
        media: JSON | None = None,
        files: list[StoredFile] | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> JSON | None:
        with self.core.lock:
            found = self._chat(chat)
            self.core.register_user(user)
            replied = self.core.get_message(found.id, reply_to) if reply_to is not None else None
            if reply_to is not None and replied is None:
                raise LookupError(f"message {reply_to} not found in chat {found.id}")
            message = self.core.new_message(found, user, from_bot=False)
            message.reply_to_message_id = reply_to
            # A message in a topic belongs to it (a reply, to the topic of what it replies to).
            message.thread_id = thread_id or (replied.thread_id if replied else None)
            visible_text = ""
            entities: list[JSON] = []
            if text is not None:
                message.text = text
                message.entities = detect_entities(text)
                visible_text, entities = text, message.entities
            if media:
                message.media = media
                message.files = files or []
            if caption:
                message.caption = caption
                message.caption_entities = detect_entities(caption)
                visible_text, entities = caption, message.caption_entities
            if not self.bot_sees(found, visible_text, entities, reply_to):
                return None
            update = self.core.enqueue({"message": self.core.message_dict(message)})
        self._notify()
        return update

    def user_text(
        self,
        chat: ChatRef,
        user: FakeUser,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> JSON | None:
        """``user`` writes ``text`` in ``chat``. Returns the queued update, or None when the bot
        does not see it (privacy mode in groups)."""
        return self._user_message(chat, user, text=text, reply_to=reply_to, thread_id=thread_id)

    def group_message(
        self, chat: ChatRef, user: FakeUser, text: str, *, reply_to: int | None = None
    ) -> JSON | None:
        """Like :meth:`user_text` for a group; returns None if privacy mode hides it."""
        if not self._chat(chat).is_group:
            raise ValueError("group_message() needs a group or supergroup chat")
        return self._user_message(chat, user, text=text, reply_to=reply_to)

    def user_command(
        self,
        chat: ChatRef,
        user: FakeUser,
        command: str,
        args: str = "",
        *,
        mention_bot: bool | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> JSON | None:
        """``user`` sends ``/command args``. In groups the ``/command@botname`` form is used
        unless ``mention_bot=False``."""
        name = command.removeprefix("/")
        if mention_bot is None:
            mention_bot = self._chat(chat).is_group
        text = f"/{name}@{self.bot_user.username}" if mention_bot else f"/{name}"
        if args:
            text = f"{text} {args}"
        return self._user_message(chat, user, text=text, reply_to=reply_to, thread_id=thread_id)

    def user_photo(
        self,
        chat: ChatRef,
        user: FakeUser,
        data: bytes | None = None,
        *,
        width: int = 64,
        height: int = 48,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> JSON | None:
        """``user`` sends a photo (a generated PNG unless ``data`` is given); the bot can
        download it through getFile."""
        data = data if data is not None else make_png(width, height)
        info = image_info(data)
        if info is None:
            raise ValueError("user_photo() needs PNG/JPEG/GIF/WebP bytes")
        with self.core.lock:
            original = self.core.register_file(
                "photo",
                data,
                mime_type=info.mime_type,
                width=info.width,
                height=info.height,
                extension=info.extension,
            )
            sizes, files = self.core.photo_sizes(original)
        return self._user_message(
            chat, user, caption=caption, media={"photo": sizes}, files=files, reply_to=reply_to
        )

    def user_document(
        self,
        chat: ChatRef,
        user: FakeUser,
        data: bytes,
        filename: str = "file.txt",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> JSON | None:
        """``user`` sends a file as a document."""
        with self.core.lock:
            stored = self.core.register_file(
                "document",
                data,
                filename=filename,
                mime_type=guess_mime_type(filename, mime_type, data),
            )
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": stored.mime_type,
            "file_size": stored.size,
        }
        return self._user_message(
            chat,
            user,
            caption=caption,
            media={"document": document},
            files=[stored],
            reply_to=reply_to,
        )

    def user_sticker(
        self,
        chat: ChatRef,
        user: FakeUser,
        emoji: str = "👍",
        *,
        set_name: str = "FakeStickers",
        reply_to: int | None = None,
    ) -> JSON | None:
        """``user`` sends a regular 512x512 static sticker."""
        with self.core.lock:
            stored = self.core.register_file(
                "sticker",
                make_webp_placeholder(512, 512),
                mime_type="image/webp",
                width=512,
                height=512,
                extension="webp",
            )
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": set_name,
            "file_size": stored.size,
        }
        return self._user_message(
            chat, user, media={"sticker": sticker}, files=[stored], reply_to=reply_to
        )

    def press_button(
        self, chat: ChatRef, user: FakeUser, message_id: int, callback_data: str
    ) -> str:
        """``user`` taps the inline button with ``callback_data`` under the bot's message
        ``message_id``. The message must exist and still carry that button (else LookupError).
        Returns the callback query id (see :attr:`callback_answers`)."""
        with self.core.lock:
            found = self._chat(chat)
            message = self.core.get_message(found.id, message_id)
            if message is None or not message.from_bot:
                raise LookupError(f"no bot message {message_id} in chat {found.id}")
            if not message.has_callback_data(callback_data):
                present = [b.get("callback_data") for b in keyboard_buttons(message.reply_markup)]
                raise LookupError(
                    f"message {message_id} has no button with callback_data {callback_data!r};"
                    f" it has {present}"
                )
            self.core.register_user(user)
            query_id = self.core.new_callback_query(user, message, callback_data)
            self.presses[query_id] = self.core.enqueue(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user.to_dict(),
                        "message": self.core.message_dict(message),
                        "chat_instance": str(abs(found.id) * 7919 % 10**18),
                        "data": callback_data,
                    }
                }
            )
        self._notify()
        return query_id

    def forge_button(
        self, chat: ChatRef, user: FakeUser, message_id: int, callback_data: str
    ) -> str:
        """A modified client's button press: any ``callback_data``, whether or not the message
        has such a button (Telegram passes it on as sent). Returns the callback query id."""
        with self.core.lock:
            found = self._chat(chat)
            message = self.core.get_message(found.id, message_id)
            if message is None:
                raise LookupError(f"no message {message_id} in chat {found.id}")
            self.core.register_user(user)
            query_id = self.core.new_callback_query(user, message, callback_data)
            self.presses[query_id] = self.core.enqueue(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user.to_dict(),
                        "message": self.core.message_dict(message),
                        "chat_instance": str(abs(found.id) * 7919 % 10**18),
                        "data": callback_data,
                    }
                }
            )
        self._notify()
        return query_id

    def user_edits(self, chat: ChatRef, user: FakeUser, message_id: int, text: str) -> JSON:
        """``user`` edits their message ``message_id`` to ``text`` (an edited_message update)."""
        with self.core.lock:
            found = self._chat(chat)
            message = self.core.get_message(found.id, message_id)
            if message is None or message.from_bot:
                raise LookupError(f"no message {message_id} of a user in chat {found.id}")
            message.text = text
            message.entities = detect_entities(text)
            data = self.core.message_dict(message)
            data["edit_date"] = self.core.now()
            update = self.core.enqueue({"edited_message": data})
        self._notify()
        return update

    def press_button_text(
        self, chat: ChatRef, user: FakeUser, text: str, *, message_id: int | None = None
    ) -> str:
        """Tap the inline button labelled ``text`` on the newest bot message showing it."""
        with self.core.lock:
            candidates = self.messages_in(chat)
            if message_id is not None:
                candidates = [m for m in candidates if m.message_id == message_id]
            for message in reversed(candidates):
                for button in keyboard_buttons(message.reply_markup):
                    if button.get("text") == text and "callback_data" in button:
                        return self.press_button(
                            chat, user, message.message_id, button["callback_data"]
                        )
        raise LookupError(f"no inline button labelled {text!r} in chat {self._chat(chat).id}")

    def _learn(self, update: JSON) -> None:
        """Register chats / users of a raw update so the bot can answer them."""
        for payload in update.values():
            if not isinstance(payload, dict):
                continue
            sender = payload.get("from")
            user: FakeUser | None = None
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                user = self.core.users.get(sender["id"]) or self.core.register_user(
                    FakeUser(
                        id=sender["id"],
                        first_name=str(sender.get("first_name", "")),
                        username=sender.get("username"),
                        language_code=sender.get("language_code"),
                        last_name=sender.get("last_name"),
                        is_bot=bool(sender.get("is_bot", False)),
                    )
                )
            message = payload.get("message") if "chat_instance" in payload else payload
            chat_data = message.get("chat") if isinstance(message, dict) else None
            if not isinstance(chat_data, dict) or not isinstance(chat_data.get("id"), int):
                continue
            chat = self.core.chats.get(chat_data["id"])
            if chat is None:
                chat = self.core.register_chat(
                    FakeChat(
                        id=chat_data["id"],
                        type=chat_data.get("type", "private"),
                        title=chat_data.get("title"),
                        username=chat_data.get("username"),
                        first_name=chat_data.get("first_name"),
                        last_name=chat_data.get("last_name"),
                    )
                )
                if chat.is_group:
                    chat.members[self.bot_user.id] = "member"
            if user is not None and chat.is_group:
                chat.members.setdefault(user.id, "member")
            message_id = message.get("message_id") if isinstance(message, dict) else None
            if isinstance(message_id, int):
                chat.next_message_id = max(chat.next_message_id, message_id + 1)

    def send_raw_update(self, update: JSON) -> JSON:
        """Queue an arbitrary update dict (update_id is assigned if missing). Chats and users
        it mentions are registered so the bot can answer."""
        with self.core.lock:
            self._learn(update)
            queued = self.core.enqueue(dict(update))
        self._notify()
        return queued

    def redeliver(self, update: JSON) -> None:
        """Deliver an already queued update again, same update_id (duplicate delivery)."""
        with self.core.lock:
            self.core.redeliver(update)
        self._notify()

    # ------------------------------------------------------------------ what users see

    @property
    def sent(self) -> list[SentMessage]:
        """Recorded send/edit/delete calls (a snapshot list)."""
        with self.core.lock:
            return list(self.core.sent)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self.core.lock:
            return list(self.core.callback_answers)

    def reaction_on(self, chat: ChatRef, message_id: int) -> list[str]:
        """The emoji the bot put on a message (``[]`` when none)."""
        with self.core.lock:
            return list(self.core.reactions.get((self._chat(chat).id, message_id), []))

    @property
    def chat_actions(self) -> list[ChatAction]:
        with self.core.lock:
            return list(self.core.chat_actions)

    @property
    def pending_updates(self) -> int:
        """Updates queued but not yet confirmed (polling) / acknowledged (webhook)."""
        with self.core.lock:
            return self.core.pending_count

    @property
    def webhook(self) -> Webhook | None:
        return self.core.webhook

    def mark(self) -> int:
        """Current length of :attr:`sent`; pass it as ``since=`` to wait only for newer ones."""
        with self.core.lock:
            return len(self.core.sent)

    def messages_in(
        self, chat: ChatRef, *, include_user_messages: bool = False
    ) -> list[StoredMessage]:
        """Visible messages of a chat in order (deleted ones removed, edits applied)."""
        with self.core.lock:
            chat_id = self._chat(chat).id
            return sorted(
                (
                    m
                    for (cid, _), m in self.core.messages.items()
                    if cid == chat_id and not m.deleted and (m.from_bot or include_user_messages)
                ),
                key=lambda m: m.message_id,
            )

    def message(self, chat: ChatRef, message_id: int) -> StoredMessage | None:
        with self.core.lock:
            return self.core.get_message(self._chat(chat).id, message_id)

    def reply_markup_of(self, chat: ChatRef, message_id: int) -> JSON | None:
        found = self.message(chat, message_id)
        return found.reply_markup if found else None

    def last_keyboard(self, chat: ChatRef) -> JSON | None:
        """reply_markup (inline or reply keyboard) of the newest visible bot message having one."""
        for message in reversed(self.messages_in(chat)):
            markup = message.reply_markup
            if markup and ("inline_keyboard" in markup or "keyboard" in markup):
                return markup
        return None

    def reply_keyboard(self, chat: ChatRef) -> JSON | None:
        """The custom reply keyboard currently shown (None after remove_keyboard)."""
        for message in reversed(self.messages_in(chat)):
            markup = message.reply_markup or {}
            if "keyboard" in markup:
                return markup
            if markup.get("remove_keyboard"):
                return None
        return None

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands stored by setMyCommands for a scope / language."""
        with self.core.lock:
            return list(self.core.commands.get((scope_key(scope), language_code), []))

    def file(self, file_id: str) -> StoredFile | None:
        with self.core.lock:
            return self.core.files.get(file_id)

    def describe_sent(self, last: int = 10) -> str:
        """Human-readable summary of the last recorded messages (for assertion messages)."""
        lines = []
        for record in self.sent[-last:]:
            labels = [b.get("text") for b in record.buttons]
            lines.append(
                f"  {record.method} chat={record.chat_id} id={record.message_id}"
                f" {record.content!r}" + (f" buttons={labels}" if labels else "")
            )
        return "\n".join(lines) or "  (nothing sent)"
