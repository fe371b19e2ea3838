"""A fake Telegram Bot API server for end-to-end tests of python-telegram-bot applications.

See :class:`FakeBotApi` (``server.py``) for the entry point and ``simulation.py`` for the
user-side helpers and the privacy-mode rules.
"""

from .formatting import EntityParseError, parse_html
from .media import image_info, make_png
from .models import (
    ApiCall,
    ApiError,
    CallbackAnswer,
    ChatAction,
    FakeChat,
    FakeUser,
    SentMessage,
    StoredFile,
    StoredMessage,
)
from .server import DEFAULT_TOKEN, SECRET_HEADER, FakeBotApi, WaitTimeout
from .simulation import detect_entities, keyboard_buttons

__all__ = [
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "ChatAction",
    "EntityParseError",
    "FakeBotApi",
    "FakeChat",
    "FakeUser",
    "SentMessage",
    "StoredFile",
    "StoredMessage",
    "WaitTimeout",
    "detect_entities",
    "image_info",
    "keyboard_buttons",
    "make_png",
    "parse_html",
]
