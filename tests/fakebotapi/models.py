"""Plain data classes used by the fake Bot API: users, chats, files, messages and records."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

JSON = dict[str, Any]
ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]


class ApiError(Exception):
    """An error the fake answers with ``{"ok": false, "error_code": status, ...}``."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, f"Bad Request: {message}")

    @classmethod
    def forbidden(cls, message: str) -> ApiError:
        return cls(403, f"Forbidden: {message}")

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user played by a test."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"
    last_name: str | None = None
    is_bot: bool = False

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data

    @property
    def mention(self) -> str:
        return f"@{self.username}" if self.username else self.first_name


@dataclass
class FakeChat:
    """A chat known to the fake server. Private chats have ``id == user.id``; groups are negative.

    ``members`` maps user id -> membership status (the bot itself included for groups).
    """

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    members: dict[int, MemberStatus] = field(default_factory=dict)
    bot_blocked: bool = False  # private chats: the user blocked the bot
    next_message_id: int = 1
    is_forum: bool = False  # a supergroup with topics
    topics: dict[int, str] = field(default_factory=dict)  # thread id -> topic name
    migrated_to: int | None = None  # a group upgraded to this supergroup id

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or ""
        if self.is_forum:
            data["is_forum"] = True
        if self.username:
            data["username"] = self.username
        return data

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class StoredFile:
    """A file the fake server knows, downloadable through getFile + /file/bot<token>/<path>."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo", "document", "sticker"
    data: bytes
    file_path: str
    filename: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def file_dict(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    """A message in a chat, as the server keeps it (current state after edits / deletion)."""

    chat_id: int
    message_id: int
    sender: FakeUser
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    media: JSON = field(default_factory=dict)  # e.g. {"photo": [...]} or {"document": {...}}
    reply_markup: JSON | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    files: list[StoredFile] = field(default_factory=list)
    thread_id: int | None = None  # the forum topic it is in

    @property
    def kind(self) -> str:
        if self.media:
            return next(iter(self.media))
        return "text"

    @property
    def inline_keyboard(self) -> list[list[JSON]] | None:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup["inline_keyboard"]
        return None

    def has_callback_data(self, data: str) -> bool:
        return any(
            button.get("callback_data") == data
            for row in (self.inline_keyboard or [])
            for button in row
        )

    @property
    def content(self) -> str:
        """The visible text: message text, or caption for media, or ``""``."""
        return self.text if self.text is not None else (self.caption or "")


@dataclass
class SentMessage:
    """One recorded outgoing call that produced or changed something a user sees.

    ``method`` is one of sendMessage / sendPhoto / sendDocument / editMessageText /
    editMessageCaption / editMessageReplyMarkup / deleteMessage. ``text`` / ``caption`` are the
    raw strings the bot sent (markup included, ``""`` when absent); ``plain_text`` is what the user
    sees after parse_mode was applied. ``files`` maps the request field ("photo", "document") to
    the stored file (uploaded bytes and filename, or the file reused by file_id).
    """

    method: str
    chat_id: int
    message_id: int | None
    text: str = ""
    caption: str = ""
    plain_text: str = ""
    parse_mode: str | None = None
    reply_markup: JSON | None = None
    files: dict[str, StoredFile] = field(default_factory=dict)
    reply_to_message_id: int | None = None
    params: JSON = field(default_factory=dict)
    result: Any = None
    time: float = 0.0

    @property
    def content(self) -> str:
        """``plain_text`` if set, else the raw text or caption."""
        return self.plain_text or self.text or self.caption

    @property
    def buttons(self) -> list[JSON]:
        """Flat list of inline keyboard buttons (``[]`` when there is no inline keyboard)."""
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return [button for row in self.reply_markup["inline_keyboard"] for button in row]


@dataclass
class ApiCall:
    """Any request the fake received (successful or not)."""

    method: str
    params: JSON
    status: int
    response: JSON | None
    time: float


@dataclass
class CallbackAnswer:
    """An answerCallbackQuery call, linked back to the button press."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    chat_id: int | None
    message_id: int | None
    callback_data: str | None
    user_id: int


@dataclass
class ChatAction:
    chat_id: int
    action: str
    time: float


@dataclass
class PendingCallbackQuery:
    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass
class Fault:
    """An injected failure for the next ``times`` calls of ``method`` ("*" = any method)."""

    method: str
    status: int = 429
    retry_after: int | None = 1
    times: int = 1
    description: str | None = None
    drop: bool = False  # close the connection without an HTTP response
    delay: float = 0.0  # seconds to wait before answering
    processed: bool = False  # execute the method, then replace its response

    def body(self) -> JSON:
        if self.description is not None:
            description = self.description
        elif self.status == 429:
            description = f"Too Many Requests: retry after {self.retry_after or 1}"
        else:
            try:
                phrase = HTTPStatus(self.status).phrase
            except ValueError:
                phrase = "Error"
            description = phrase
        body: JSON = {"ok": False, "error_code": self.status, "description": description}
        if self.status == 429:
            body["parameters"] = {"retry_after": self.retry_after or 1}
        return body


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
