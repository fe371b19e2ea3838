"""Telegram limits and validation of reply markup / bot commands, with real error wordings."""

from __future__ import annotations

import re
from typing import Any

from .models import JSON, ApiError

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_TEXT = 200
MAX_INLINE_BUTTONS = 100
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES_SUM = 10_000
MAX_PHOTO_RATIO = 20
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_COMMANDS = 100

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_URL_RE = re.compile(r"^(https?|tg)://[^\s]+$", re.IGNORECASE)


def _parse_error(detail: str) -> ApiError:
    return ApiError.bad_request(f"can't parse inline keyboard button: {detail}")


def validate_reply_markup(markup: Any, *, inline_only: bool = False) -> JSON:
    """Validate a reply_markup object; return it unchanged or raise ApiError (400)."""
    if not isinstance(markup, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise ApiError.bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError.bad_request(
                'Field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else (button or {}).get("text")
                if not isinstance(text, str) or not text:
                    raise ApiError.bad_request("keyboard button text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise ApiError.bad_request("can't parse reply keyboard markup JSON object")


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(
            'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    total = 0
    for row in rows:
        for button in row:
            total += 1
            if not isinstance(button, dict):
                raise _parse_error("InlineKeyboardButton must be an Object")
            text = button.get("text")
            if not isinstance(text, str):
                raise _parse_error('Field "text" must be of type String')
            if not text.strip():
                raise ApiError.bad_request("BUTTON_TEXT_INVALID")
            actions = [name for name in INLINE_BUTTON_ACTIONS if name in button]
            if not actions:
                raise _parse_error("Text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str):
                    raise _parse_error('Field "callback_data" must be of type String')
                if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError.bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not _URL_RE.match(url):
                    raise ApiError.bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )
    if total > MAX_INLINE_BUTTONS:
        raise ApiError.bad_request("reply markup is too long")


def validate_commands(commands: Any) -> list[JSON]:
    """Validate the ``commands`` parameter of setMyCommands."""
    if not isinstance(commands, list):
        raise ApiError.bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
    result: list[JSON] = []
    for item in commands:
        if not isinstance(item, dict):
            raise ApiError.bad_request("can't parse BotCommand JSON object")
        command = item.get("command")
        description = item.get("description")
        if not isinstance(command, str) or not _COMMAND_RE.match(command.removeprefix("/")):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command.removeprefix("/"), "description": description})
    return result


def scope_key(scope: Any) -> str:
    """Canonical key of a BotCommandScope (absent == default)."""
    if scope is None:
        return "default"
    if not isinstance(scope, dict) or "type" not in scope:
        raise ApiError.bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    valid = {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
    if kind not in valid:
        raise ApiError.bad_request("wrong BotCommandScope type specified")
    parts = [str(kind)]
    if kind in ("chat", "chat_administrators", "chat_member"):
        if "chat_id" not in scope:
            raise ApiError.bad_request("chat_id is empty")
        parts.append(str(scope["chat_id"]))
    if kind == "chat_member":
        if "user_id" not in scope:
            raise ApiError.bad_request("user_id is empty")
        parts.append(str(scope["user_id"]))
    return ":".join(parts)


def validate_language_code(code: str | None) -> str:
    code = code or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise ApiError.bad_request("invalid language code specified")
    return code
