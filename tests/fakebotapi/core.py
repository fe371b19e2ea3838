"""Server state and the synchronous Bot API method implementations.

Everything here is plain Python guarded by one re-entrant lock, so it can be driven both from the
aiohttp handlers and from test code (also from another thread). HTTP, long polling, webhook
delivery and fault injection live in :mod:`.server`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .formatting import EntityParseError, LengthUnit, format_text, text_length
from .media import guess_mime_type, image_info
from .models import (
    JSON,
    ApiError,
    CallbackAnswer,
    ChatAction,
    FakeChat,
    FakeUser,
    PendingCallbackQuery,
    SentMessage,
    StoredFile,
    StoredMessage,
    UploadedFile,
    Webhook,
)
from .params import Params
from .validation import (
    CHAT_ACTIONS,
    MAX_CALLBACK_ANSWER_TEXT,
    MAX_CAPTION_LENGTH,
    MAX_DOWNLOAD_BYTES,
    MAX_PHOTO_BYTES,
    MAX_PHOTO_RATIO,
    MAX_PHOTO_SIDES_SUM,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_BYTES,
    scope_key,
    validate_commands,
    validate_language_code,
    validate_reply_markup,
)

# Update types delivered when allowed_updates was never set (or set to []), as documented.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
LOCAL_WEBHOOK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_FILE_PREFIX = {
    "photo": "AgACAgIAAxkBAA",
    "document": "BQACAgIAAxkBAA",
    "sticker": "CAACAgIAAxkBAA",
}
_FILE_FOLDER = {"photo": "photos", "document": "documents", "sticker": "stickers"}
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@dataclass
class Described:
    """A successful result that also carries a ``description`` in the envelope."""

    result: Any
    description: str


def update_type(update: JSON) -> str:
    return next((key for key in update if key != "update_id"), "unknown")


# A subset of Telegram's standard reaction emoji (the ones a bot may set).
STANDARD_REACTIONS = frozenset(
    [
        "👍",
        "👎",
        "❤",
        "🔥",
        "🥰",
        "👏",
        "😁",
        "🤔",
        "🤯",
        "😱",
        "🤬",
        "😢",
        "🎉",
        "🤩",
        "🤮",
        "💩",
        "🙏",
        "👌",
        "🕊",
        "🤡",
        "🥱",
        "🥴",
        "😍",
        "🐳",
        "🌚",
        "🌭",
        "💯",
        "🤣",
        "⚡",
        "🍌",
        "🏆",
        "💔",
        "🤨",
        "😐",
        "🍓",
        "🍾",
        "💋",
        "😈",
        "😴",
        "😭",
        "🤓",
        "👻",
        "👀",
        "🎃",
        "🙈",
        "😇",
        "😨",
        "🤝",
        "✍",
        "🤗",
        "🫡",
        "🎅",
        "🎄",
        "☃",
        "💅",
        "🤪",
        "🗿",
        "🆒",
        "💘",
        "🙉",
        "🦄",
        "😘",
        "💊",
        "🙊",
        "😎",
        "👾",
        "🤷",
        "😡",
    ]
)


class BotCore:
    """State of one fake bot (one token) plus the Bot API methods that do not need I/O."""

    def __init__(
        self,
        token: str,
        bot_user: FakeUser,
        *,
        privacy_mode: bool = True,
        length_unit: LengthUnit = "chars",
        strict_html_entities: bool = False,
        first_update_id: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_user = bot_user
        self.privacy_mode = privacy_mode
        self.length_unit: LengthUnit = length_unit
        self.strict_html_entities = strict_html_entities
        self.clock = clock
        self.lock = threading.RLock()

        self.users: dict[int, FakeUser] = {bot_user.id: bot_user}
        self.chats: dict[int, FakeChat] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.callback_queries: dict[str, PendingCallbackQuery] = {}

        self.sent: list[SentMessage] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[ChatAction] = []
        # (chat id, message id) -> the emoji the bot put on that message (latest call wins).
        self.reactions: dict[tuple[int, int], list[str]] = {}

        self.pending_updates: list[JSON] = []
        self.redeliveries: list[JSON] = []
        self.next_update_id = first_update_id
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None
        self.token_revoked = False

        self._file_counter = itertools.count(1)
        self._query_counter = itertools.count(1)

    # ------------------------------------------------------------------ helpers

    def now(self) -> int:
        return int(self.clock())

    def method_table(self) -> dict[str, Callable[[Params], Any]]:
        """Canonical method name -> implementation (getUpdates is handled by the server)."""
        return {
            "getMe": self.get_me,
            "logOut": self.log_out,
            "close": self.close,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendMediaGroup": self.send_media_group,
            "sendChatAction": self.send_chat_action,
            "setMessageReaction": self.set_message_reaction,
            "answerCallbackQuery": self.answer_callback_query,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyName": self._bot_text_setter("name", "name"),
            "getMyName": self._bot_text_getter("name", "name"),
            "setMyDescription": self._bot_text_setter("description", "description"),
            "getMyDescription": self._bot_text_getter("description", "description"),
            "setMyShortDescription": self._bot_text_setter(
                "short_description", "short_description"
            ),
            "getMyShortDescription": self._bot_text_getter(
                "short_description", "short_description"
            ),
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "getFile": self.get_file,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
        }

    # ------------------------------------------------------------------ users, chats, files

    def register_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        return user

    def register_chat(self, chat: FakeChat) -> FakeChat:
        self.chats[chat.id] = chat
        return chat

    def find_chat(self, chat_id: int | str) -> FakeChat | None:
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            return next(
                (c for c in self.chats.values() if (c.username or "").lower() == name), None
            )
        return self.chats.get(chat_id)

    def chat_for_sending(self, params: Params) -> FakeChat:
        chat = self.find_chat(params.get_chat_id())
        if chat is None:
            raise ApiError.bad_request("chat not found")
        if chat.type == "private" and chat.bot_blocked:
            raise ApiError.forbidden("bot was blocked by the user")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.is_group:
            status = chat.members.get(self.bot_user.id, "left")
            kind = "supergroup" if chat.type == "supergroup" else "group"
            if status == "kicked":
                raise ApiError.forbidden(f"bot was kicked from the {kind} chat")
            if status == "left":
                raise ApiError.forbidden(f"bot is not a member of the {kind} chat")
        return chat

    def register_file(
        self,
        kind: str,
        data: bytes,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        extension: str | None = None,
    ) -> StoredFile:
        number = next(self._file_counter)
        ext = extension or (filename.rsplit(".", 1)[-1] if filename and "." in filename else "")
        path = f"{_FILE_FOLDER.get(kind, 'files')}/file_{number}" + (f".{ext}" if ext else "")
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BQACAgIAAxkBAA')}{number:06d}",
            file_unique_id=f"AQAD{number:06d}",
            kind=kind,
            data=data,
            file_path=path,
            filename=filename,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def photo_sizes(self, original: StoredFile) -> tuple[list[JSON], list[StoredFile]]:
        """PhotoSize list like Telegram's: thumbnails (90/320/800 px) then the original size.

        Thumbnails are separate files (own file_id) that serve the original bytes.
        """
        width, height = original.width or 1, original.height or 1
        stored: list[StoredFile] = []
        for limit in (90, 320, 800):
            if max(width, height) > limit:
                scale = limit / max(width, height)
                thumb = self.register_file(
                    "photo",
                    original.data,
                    mime_type=original.mime_type,
                    width=max(1, round(width * scale)),
                    height=max(1, round(height * scale)),
                    extension=original.file_path.rsplit(".", 1)[-1],
                )
                stored.append(thumb)
        stored.append(original)
        sizes = [
            {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "file_size": f.size,
                "width": f.width,
                "height": f.height,
            }
            for f in stored
        ]
        return sizes, stored

    # ------------------------------------------------------------------ messages

    def new_message(self, chat: FakeChat, sender: FakeUser, *, from_bot: bool) -> StoredMessage:
        message = StoredMessage(
            chat_id=chat.id,
            message_id=chat.allocate_message_id(),
            sender=sender,
            from_bot=from_bot,
            date=self.now(),
        )
        self.messages[(chat.id, message.message_id)] = message
        return message

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        message = self.messages.get((chat_id, message_id))
        if message is None or message.deleted:
            return None
        return message

    def message_dict(self, message: StoredMessage, *, include_reply: bool = True) -> JSON:
        chat = self.chats[message.chat_id]
        data: JSON = {
            "message_id": message.message_id,
            "from": message.sender.to_dict(),
            "chat": chat.to_dict(),
            "date": message.date,
        }
        if message.thread_id is not None:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if include_reply and message.reply_to_message_id is not None:
            replied = self.get_message(message.chat_id, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self.message_dict(replied, include_reply=False)
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        data.update(message.media)
        if message.caption:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = message.caption_entities
        # Telegram only echoes inline keyboards in Message objects.
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    def _format(
        self,
        raw: str,
        parse_mode: str | None,
        entities: Any,
        *,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> tuple[str, list[JSON]]:
        if entities is not None and not isinstance(entities, list):
            raise ApiError.bad_request("can't parse entities JSON object")
        try:
            plain, parsed = format_text(
                raw,
                parse_mode,
                entities=entities,
                strict_html_entities=self.strict_html_entities,
            )
        except EntityParseError as exc:
            raise ApiError.bad_request(f"can't parse entities: {exc}") from None
        except ValueError:
            raise ApiError.bad_request("unsupported parse_mode") from None
        if empty is not None and not plain:
            raise ApiError.bad_request(empty)
        if text_length(plain, self.length_unit) > limit:
            raise ApiError.bad_request(too_long)
        return plain, parsed

    def _text(self, params: Params, name: str = "text") -> tuple[str, str, list[JSON]]:
        raw = params.get_str(name) or ""
        if not raw:
            raise ApiError.bad_request("message text is empty")
        plain, entities = self._format(
            raw,
            params.get_str("parse_mode"),
            params.get_json("entities"),
            limit=MAX_TEXT_LENGTH,
            too_long="message is too long",
            empty="message text is empty",
        )
        return raw, plain, entities

    def _caption(self, params: Params) -> tuple[str, str, list[JSON]]:
        raw = params.get_str("caption") or ""
        if not raw:
            return "", "", []
        plain, entities = self._format(
            raw,
            params.get_str("parse_mode"),
            params.get_json("caption_entities"),
            limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long",
            empty=None,
        )
        return raw, plain, entities

    def _reply_markup(
        self, params: Params, *, inline_only: bool = False, chat: FakeChat | None = None
    ) -> JSON | None:
        markup = params.get_json(
            "reply_markup", error="can't parse reply keyboard markup JSON object"
        )
        if markup is None:
            return None
        checked = validate_reply_markup(markup, inline_only=inline_only)
        # Telegram: web_app buttons are available only in private chats with the bot.
        if chat is not None and chat.type != "private":
            rows = checked.get("inline_keyboard") or []
            if any(isinstance(b, dict) and "web_app" in b for row in rows for b in row):
                raise ApiError.bad_request("BUTTON_TYPE_INVALID")
        return checked

    def _reply_to(self, chat: FakeChat, params: Params) -> int | None:
        reply = params.get_json("reply_parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        message_id: int | None
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
            if "chat_id" in reply and reply["chat_id"] not in (chat.id, chat.username):
                raise ApiError.bad_request("message to be replied not found")
        else:
            message_id = params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        if self.get_message(chat.id, int(message_id)) is None:
            if allow_missing:
                return None
            raise ApiError.bad_request("message to be replied not found")
        return int(message_id)

    def _thread(self, chat: FakeChat, params: Params) -> int | None:
        """The forum topic a message is sent to (message_thread_id), checked like Telegram."""
        thread = params.get_int("message_thread_id")
        if thread is None or thread == 0:
            return None
        if not chat.is_forum:
            return None  # Telegram ignores it outside forums
        if thread not in chat.topics:
            raise ApiError.bad_request("message thread not found")
        return thread

    def _record(self, record: SentMessage, params: Params) -> None:
        record.params = params.summary()
        record.time = self.clock()
        self.sent.append(record)

    # ------------------------------------------------------------------ trivial methods

    def get_me(self, params: Params) -> JSON:
        data = self.bot_user.to_dict()
        data.update(
            {
                "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return data

    def log_out(self, params: Params) -> bool:
        return True

    def close(self, params: Params) -> bool:
        return True

    # ------------------------------------------------------------------ sending

    def send_message(self, params: Params) -> JSON:
        chat = self.chat_for_sending(params)
        raw, plain, entities = self._text(params)
        markup = self._reply_markup(params, chat=chat)
        reply_to = self._reply_to(chat, params)
        message = self.new_message(chat, self.bot_user, from_bot=True)
        message.thread_id = self._thread(chat, params)
        message.text, message.entities = plain, entities
        message.reply_markup = markup
        message.reply_to_message_id = reply_to
        result = self.message_dict(message)
        self._record(
            SentMessage(
                method="sendMessage",
                chat_id=chat.id,
                message_id=message.message_id,
                text=raw,
                plain_text=plain,
                parse_mode=params.get_str("parse_mode"),
                reply_markup=markup,
                reply_to_message_id=reply_to,
                result=result,
            ),
            params,
        )
        return result

    def _resolve_upload(self, params: Params, name: str) -> UploadedFile | StoredFile:
        value = params.input_file(name)
        if value is None:
            raise ApiError.bad_request(f"there is no {name} in the request")
        if isinstance(value, UploadedFile):
            if not value.data:
                raise ApiError.bad_request("file must be non-empty")
            if len(value.data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return value
        if value.startswith(("http://", "https://")):
            # The fake never goes to the internet.
            raise ApiError.bad_request("failed to get HTTP URL content")
        stored = self.files.get(value)
        if stored is None:
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def send_photo(self, params: Params) -> JSON:
        chat = self.chat_for_sending(params)
        source = self._resolve_upload(params, "photo")
        raw_caption, caption, caption_entities = self._caption(params)
        markup = self._reply_markup(params, chat=chat)
        reply_to = self._reply_to(chat, params)
        if isinstance(source, UploadedFile):
            if len(source.data) > MAX_PHOTO_BYTES:
                raise ApiError.bad_request("PHOTO_SAVE_FILE_INVALID")
            info = image_info(source.data)
            if info is None:
                raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
            w, h = info.width, info.height
            if w + h > MAX_PHOTO_SIDES_SUM or max(w, h) > MAX_PHOTO_RATIO * min(w, h):
                raise ApiError.bad_request("PHOTO_INVALID_DIMENSIONS")
            original = self.register_file(
                "photo",
                source.data,
                filename=source.filename,
                mime_type=info.mime_type,
                width=w,
                height=h,
                extension=info.extension,
            )
            sizes, files = self.photo_sizes(original)
        else:
            if source.kind != "photo":
                raise ApiError.bad_request(
                    f"can't use file of type {source.kind.capitalize()} as Photo"
                )
            original = source
            sizes = [
                {
                    "file_id": source.file_id,
                    "file_unique_id": source.file_unique_id,
                    "file_size": source.size,
                    "width": source.width,
                    "height": source.height,
                }
            ]
            files = [source]
        return self._send_media(
            chat,
            params,
            "photo",
            sizes,
            files,
            original,
            (raw_caption, caption, caption_entities),
            markup,
            reply_to,
        )

    def send_media_group(self, params: Params) -> list[JSON]:
        """An album of 2-10 photos: one message per photo, as a user sees it (photos only:
        the bot sends nothing else as an album)."""
        items = params.get_json("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise ApiError.bad_request("media must hold 2 to 10 items")
        if any(not isinstance(item, dict) or item.get("type") != "photo" for item in items):
            raise ApiError.bad_request("only photos are faked in an album")
        shared = ("chat_id", "message_thread_id", "reply_to_message_id", "reply_parameters")
        sent = []
        for item in items:
            values = {k: v for k, v in params.values.items() if k in shared}
            values["photo"] = item.get("media", "")
            for key in ("caption", "parse_mode"):
                if item.get(key) is not None:
                    values[key] = item[key]
            sent.append(self.send_photo(Params(values, params.files)))
        return sent

    def send_document(self, params: Params) -> JSON:
        chat = self.chat_for_sending(params)
        source = self._resolve_upload(params, "document")
        raw_caption, caption, caption_entities = self._caption(params)
        markup = self._reply_markup(params, chat=chat)
        reply_to = self._reply_to(chat, params)
        if isinstance(source, UploadedFile):
            stored = self.register_file(
                "document",
                source.data,
                filename=source.filename,
                mime_type=guess_mime_type(source.filename, source.content_type, source.data),
            )
        else:
            stored = source
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return self._send_media(
            chat,
            params,
            "document",
            document,
            [stored],
            stored,
            (raw_caption, caption, caption_entities),
            markup,
            reply_to,
        )

    def _send_media(
        self,
        chat: FakeChat,
        params: Params,
        kind: str,
        media: Any,
        files: list[StoredFile],
        recorded: StoredFile,
        captions: tuple[str, str, Any],
        markup: JSON | None,
        reply_to: int | None,
    ) -> JSON:
        """The message a sendPhoto / sendDocument creates, recorded as the user sees it."""
        raw_caption, caption, caption_entities = captions
        message = self.new_message(chat, self.bot_user, from_bot=True)
        message.thread_id = self._thread(chat, params)
        message.media = {kind: media}
        message.files = files
        message.caption, message.caption_entities = caption or None, caption_entities
        message.reply_markup = markup
        message.reply_to_message_id = reply_to
        result = self.message_dict(message)
        self._record(
            SentMessage(
                method=f"send{kind.capitalize()}",
                chat_id=chat.id,
                message_id=message.message_id,
                caption=raw_caption,
                plain_text=caption,
                parse_mode=params.get_str("parse_mode"),
                reply_markup=markup,
                files={kind: recorded},
                reply_to_message_id=reply_to,
                result=result,
            ),
            params,
        )
        return result

    def send_chat_action(self, params: Params) -> bool:
        chat = self.chat_for_sending(params)
        action = params.get_str("action") or ""
        if action not in CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        self.chat_actions.append(ChatAction(chat.id, action, self.clock()))
        return True

    def set_message_reaction(self, params: Params) -> bool:
        chat = self.chat_for_sending(params)
        message_id = params.get_int("message_id")
        if message_id is None or self.get_message(chat.id, message_id) is None:
            raise ApiError.bad_request("message to react not found")
        emoji = []
        for reaction in params.get_json("reaction") or []:
            if reaction.get("type") != "emoji" or reaction.get("emoji") not in STANDARD_REACTIONS:
                raise ApiError.bad_request("REACTION_INVALID")
            emoji.append(reaction["emoji"])
        if len(emoji) > 1:  # bots may set one reaction (non-premium)
            raise ApiError.bad_request("REACTIONS_TOO_MANY")
        self.reactions[(chat.id, message_id)] = emoji
        return True

    # ------------------------------------------------------------------ callback queries

    def new_callback_query(self, user: FakeUser, message: StoredMessage, data: str) -> str:
        query_id = f"{user.id}{next(self._query_counter):08d}"
        self.callback_queries[query_id] = PendingCallbackQuery(
            query_id=query_id,
            user_id=user.id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            data=data,
        )
        return query_id

    def answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        query = self.callback_queries.get(query_id)
        if query is None or query.answered:
            raise ApiError.bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_TEXT:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=text,
                show_alert=params.get_bool("show_alert"),
                url=params.get_str("url"),
                cache_time=params.get_int("cache_time"),
                chat_id=query.chat_id,
                message_id=query.message_id,
                callback_data=query.data,
                user_id=query.user_id,
            )
        )
        return True

    # ------------------------------------------------------------------ editing / deleting

    def _message_to_edit(self, params: Params) -> tuple[FakeChat, StoredMessage]:
        if params.get_str("inline_message_id"):
            raise ApiError.bad_request("MESSAGE_ID_INVALID")
        chat = self.chat_for_sending(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise ApiError.bad_request("message identifier is not specified")
        message = self.get_message(chat.id, message_id)
        if message is None:
            raise ApiError.bad_request("message to edit not found")
        if not message.from_bot:
            raise ApiError.bad_request("message can't be edited")
        return chat, message

    def _after_edit(
        self, method: str, chat: FakeChat, message: StoredMessage, params: Params, **record: Any
    ) -> JSON:
        message.edit_date = self.now()
        result = self.message_dict(message)
        self._record(
            SentMessage(
                method=method,
                chat_id=chat.id,
                message_id=message.message_id,
                parse_mode=params.get_str("parse_mode"),
                reply_markup=message.reply_markup,
                result=result,
                **record,
            ),
            params,
        )
        return result

    def edit_message_text(self, params: Params) -> JSON:
        chat, message = self._message_to_edit(params)
        raw, plain, entities = self._text(params)
        markup = self._reply_markup(params, inline_only=True, chat=chat)
        if message.text is None:
            raise ApiError.bad_request("there is no text in the message to edit")
        if (plain, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise ApiError.bad_request(_NOT_MODIFIED)
        # Like Telegram: omitting reply_markup removes the inline keyboard.
        message.text, message.entities, message.reply_markup = plain, entities, markup
        return self._after_edit(
            "editMessageText", chat, message, params, text=raw, plain_text=plain
        )

    def edit_message_caption(self, params: Params) -> JSON:
        chat, message = self._message_to_edit(params)
        raw, plain, entities = self._caption(params)
        markup = self._reply_markup(params, inline_only=True, chat=chat)
        if not message.media:
            raise ApiError.bad_request("there is no caption in the message to edit")
        current = (message.caption or "", message.caption_entities, message.reply_markup)
        if (plain, entities, markup) == current:
            raise ApiError.bad_request(_NOT_MODIFIED)
        message.caption, message.caption_entities = plain or None, entities
        message.reply_markup = markup
        return self._after_edit(
            "editMessageCaption", chat, message, params, caption=raw, plain_text=plain
        )

    def edit_message_reply_markup(self, params: Params) -> JSON:
        chat, message = self._message_to_edit(params)
        markup = self._reply_markup(params, inline_only=True, chat=chat)
        if markup == message.reply_markup:
            raise ApiError.bad_request(_NOT_MODIFIED)
        message.reply_markup = markup
        return self._after_edit(
            "editMessageReplyMarkup", chat, message, params, plain_text=message.content
        )

    def _can_delete(self, chat: FakeChat, message: StoredMessage) -> bool:
        if message.from_bot or chat.type == "private":
            return True
        return chat.members.get(self.bot_user.id) in ("administrator", "creator")

    def delete_message(self, params: Params) -> bool:
        chat = self.chat_for_sending(params)
        message_id = params.get_int("message_id")
        message = self.get_message(chat.id, message_id) if message_id is not None else None
        if message is None:
            raise ApiError.bad_request("message to delete not found")
        if not self._can_delete(chat, message):
            raise ApiError.bad_request("message can't be deleted")
        message.deleted = True
        self._record(
            SentMessage(
                method="deleteMessage",
                chat_id=chat.id,
                message_id=message.message_id,
                plain_text="",
                result=True,
            ),
            params,
        )
        return True

    def delete_messages(self, params: Params) -> bool:
        chat = self.chat_for_sending(params)
        ids = params.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise ApiError.bad_request("message_ids must be a non-empty array of up to 100 ids")
        for message_id in ids:
            message = self.get_message(chat.id, int(message_id))
            if message is not None and self._can_delete(chat, message):
                message.deleted = True
                self._record(
                    SentMessage(
                        method="deleteMessage",
                        chat_id=chat.id,
                        message_id=message.message_id,
                        result=True,
                    ),
                    params,
                )
        return True

    # ------------------------------------------------------------------ commands & bot texts

    def _command_key(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope", error="can't parse BotCommandScope JSON object")
        language = validate_language_code(params.get_str("language_code"))
        return scope_key(scope), language

    def set_my_commands(self, params: Params) -> bool:
        commands = validate_commands(params.get_json("commands"))
        key = self._command_key(params)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    def get_my_commands(self, params: Params) -> list[JSON]:
        return list(self.commands.get(self._command_key(params), []))

    def delete_my_commands(self, params: Params) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    def _bot_text_setter(self, field: str, param: str) -> Callable[[Params], bool]:
        def setter(params: Params) -> bool:
            language = validate_language_code(params.get_str("language_code"))
            value = params.get_str(param) or ""
            if value:
                self.bot_texts[(field, language)] = value
            else:
                self.bot_texts.pop((field, language), None)
            return True

        return setter

    def _bot_text_getter(self, field: str, param: str) -> Callable[[Params], JSON]:
        def getter(params: Params) -> JSON:
            language = validate_language_code(params.get_str("language_code"))
            default = self.bot_user.first_name if field == "name" else ""
            return {param: self.bot_texts.get((field, language), default)}

        return getter

    def set_chat_menu_button(self, params: Params) -> bool:
        button = params.get_json("menu_button") or {"type": "default"}
        self.menu_buttons[params.get_int("chat_id")] = button
        return True

    def get_chat_menu_button(self, params: Params) -> JSON:
        return self.menu_buttons.get(params.get_int("chat_id"), {"type": "commands"})

    # ------------------------------------------------------------------ files

    def get_file(self, params: Params) -> JSON:
        stored = self.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise ApiError.bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise ApiError.bad_request("file is too big")
        return stored.file_dict()

    # ------------------------------------------------------------------ chats & members

    def _known_chat(self, params: Params) -> FakeChat:
        chat = self.find_chat(params.get_chat_id())
        if chat is None:
            raise ApiError.bad_request("chat not found")
        return chat

    def get_chat(self, params: Params) -> JSON:
        chat = self._known_chat(params)
        data = chat.to_dict()
        data.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        if chat.is_group:
            data["permissions"] = {"can_send_messages": True}
        return data

    def member_dict(self, chat: FakeChat, user: FakeUser) -> JSON:
        if chat.type == "private":
            status = "member" if user.id in (chat.id, self.bot_user.id) else "left"
        else:
            status = chat.members.get(user.id, "left")
        data: JSON = {"status": status, "user": user.to_dict()}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            is_bot = user.id == self.bot_user.id
            data.update(
                {
                    "can_be_edited": is_bot,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                }
            )
        elif status == "kicked":
            data["until_date"] = 0
        elif status == "restricted":
            restrictions = {
                name: False
                for name in (
                    "can_change_info",
                    "can_invite_users",
                    "can_pin_messages",
                    "can_send_messages",
                    "can_send_polls",
                    "can_send_other_messages",
                    "can_add_web_page_previews",
                    "can_manage_topics",
                    "can_send_audios",
                    "can_send_documents",
                    "can_send_photos",
                    "can_send_videos",
                    "can_send_video_notes",
                    "can_send_voice_notes",
                    "can_edit_tag",
                )
            }
            data.update(restrictions, is_member=True, until_date=0)
        return data

    def get_chat_member(self, params: Params) -> JSON:
        chat = self._known_chat(params)
        user_id = params.get_int("user_id")
        user = self.users.get(user_id) if user_id is not None else None
        if user is None:
            raise ApiError.bad_request("user not found")
        return self.member_dict(chat, user)

    def get_chat_administrators(self, params: Params) -> list[JSON]:
        chat = self._known_chat(params)
        if chat.type == "private":
            raise ApiError.bad_request("there are no administrators in the private chat")
        return [
            self.member_dict(chat, self.users[user_id])
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator") and user_id in self.users
        ]

    def get_chat_member_count(self, params: Params) -> int:
        chat = self._known_chat(params)
        if chat.type == "private":
            return 2
        return sum(
            1
            for status in chat.members.values()
            if status in ("creator", "administrator", "member", "restricted")
        )

    # ------------------------------------------------------------------ update queue

    def enqueue(self, update: JSON) -> JSON:
        """Add an update (assigning update_id if missing) to the pending queue."""
        if "update_id" not in update:
            update = {"update_id": self.next_update_id, **update}
            self.next_update_id += 1
        else:
            self.next_update_id = max(self.next_update_id, int(update["update_id"]) + 1)
        self.pending_updates.append(update)
        return update

    def redeliver(self, update: JSON) -> None:
        """Deliver ``update`` once more with the same update_id, whatever offset says."""
        self.redeliveries.append(update)

    def confirm(self, offset: int) -> None:
        """getUpdates ``offset`` semantics: forget updates with update_id < offset.

        A negative offset keeps only the last ``-offset`` updates.
        """
        if offset > 0:
            self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
        elif offset < 0:
            self.pending_updates = self.pending_updates[offset:]

    def _allowed(self, update: JSON, allowed: list[str] | None) -> bool:
        kind = update_type(update)
        if not allowed:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in allowed

    def take_for_polling(self, limit: int) -> list[JSON]:
        batch = self.redeliveries[:limit]
        del self.redeliveries[: len(batch)]
        # Updates of types that are not allowed are never delivered: drop them.
        self.pending_updates = [
            u for u in self.pending_updates if self._allowed(u, self.allowed_updates)
        ]
        batch.extend(self.pending_updates[: limit - len(batch)])
        return batch

    def next_for_webhook(self) -> tuple[JSON, bool] | None:
        """The next update to POST and whether it is a redelivery."""
        if self.redeliveries:
            return self.redeliveries[0], True
        allowed = self.webhook.allowed_updates if self.webhook else None
        self.pending_updates = [u for u in self.pending_updates if self._allowed(u, allowed)]
        if self.pending_updates:
            return self.pending_updates[0], False
        return None

    def next_for_webhook_chat(self, busy: set[object]) -> tuple[object, JSON] | None:
        """The oldest pending update of a chat that has no update on its way, with that chat."""
        allowed = self.webhook.allowed_updates if self.webhook else None
        self.pending_updates = [u for u in self.pending_updates if self._allowed(u, allowed)]
        for update in self.pending_updates:
            key = _chat_of(update)
            if key in busy:
                continue
            return key, update
        return None

    def ack_webhook_update(self, update: JSON) -> None:
        self.pending_updates = [u for u in self.pending_updates if u is not update]

    def ack_webhook(self, update: JSON, redelivery: bool) -> None:
        queue = self.redeliveries if redelivery else self.pending_updates
        if queue and queue[0] is update:
            queue.pop(0)

    @property
    def pending_count(self) -> int:
        return len(self.pending_updates) + len(self.redeliveries)

    # ------------------------------------------------------------------ webhooks

    def set_webhook(self, params: Params) -> Described:
        url = params.get_str("url") or ""
        if not url:
            return self.delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if parts.hostname not in LOCAL_WEBHOOK_HOSTS:
            # The fake only talks to this machine (no internet access by design).
            raise ApiError.bad_request(
                "bad webhook: Failed to resolve host: Name or service not known"
            )
        secret = params.get_str("secret_token")
        if secret is not None:
            if not 1 <= len(secret) <= 256:
                raise ApiError.bad_request("secret token must be 1-256 characters long")
            if not all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in secret):
                raise ApiError.bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise ApiError.bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get_json("allowed_updates")
        if params.get_bool("drop_pending_updates"):
            self.pending_updates.clear()
        if allowed is not None:
            self.allowed_updates = list(allowed) or None
        new = Webhook(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            allowed_updates=self.allowed_updates,
            ip_address=params.get_str("ip_address"),
        )
        unchanged = self.webhook is not None and (self.webhook.url, self.webhook.secret_token) == (
            new.url,
            new.secret_token,
        )
        self.webhook = new
        return Described(True, "Webhook is already set" if unchanged else "Webhook was set")

    def delete_webhook(self, params: Params) -> Described:
        if params.get_bool("drop_pending_updates"):
            self.pending_updates.clear()
        was_set = self.webhook is not None
        self.webhook = None
        return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def get_webhook_info(self, params: Params) -> JSON:
        info: JSON = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": self.pending_count,
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.ip_address:
                info["ip_address"] = self.webhook.ip_address
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
        return info


def _chat_of(update: JSON) -> object:
    """The chat an update belongs to (its own update_id when it has none): Telegram's Bot API
    server keeps one queue per chat for a webhook."""
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict) and "id" in chat:
                return chat["id"]
    return ("update", update["update_id"])
