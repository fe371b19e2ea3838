"""The "Open map" button under a map. Telegram allows web_app buttons in private chats only:
a group gets a t.me link that opens the Mini App inside Telegram (when its short name from
@BotFather is configured), else the signed read-only link for a browser."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo

from bot.config import Settings
from bot.replies import tr
from bot.webapp import links
from bot.webapp.service import PREFIX, open_url, start_param, view_url
from flows.spec import DEFAULT_LANGUAGE

DAY = 86400.0


def open_map(
    settings: Settings, chat_id: str, number: int, lang: str, bot_username: str | None
) -> InlineKeyboardMarkup | None:
    """The button for map `number` of the chat; None when no web app is configured."""
    base = settings.webapp_url
    if not base:
        return None
    label = tr(lang, "bot.button.open_map")
    if not chat_id.startswith("-"):
        button = InlineKeyboardButton(label, web_app=WebAppInfo(open_url(base, chat_id, number)))
    elif settings.webapp_short_name and bot_username:
        direct = f"https://t.me/{bot_username}/{settings.webapp_short_name}"
        button = InlineKeyboardButton(
            label, url=f"{direct}?startapp={start_param(chat_id, number)}"
        )
    else:
        token = links.make(chat_id, number, settings.token, settings.webapp_link_days * DAY)
        button = InlineKeyboardButton(label, url=view_url(base, token))
    return InlineKeyboardMarkup([[button]])


def menu_button(settings: Settings) -> MenuButtonWebApp:
    """The bot's menu button in private chats: the person's maps (one text for everyone:
    Telegram sets the default menu button without a language)."""
    url = f"{(settings.webapp_url or '').rstrip('/')}{PREFIX}/"
    return MenuButtonWebApp(tr(DEFAULT_LANGUAGE, "bot.button.maps_menu"), WebAppInfo(url))
