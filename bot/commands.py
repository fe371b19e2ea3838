"""The bot's commands, declared once: the handlers, Telegram's command menu (per language)
and /help are all made from this table."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand

from bot.replies import t, tr
from flows.spec import MapType


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # as /help shows it
    # In a group, only the person leading (the facilitator, the map's creator) or a chat
    # admin may use it; the handler asks Telegram who is admin only for these.
    leader: bool = False
    menu: bool = True  # in Telegram's command menu

    @property
    def description_key(self) -> str:
        return f"bot.cmd.{self.name}"


MAP_TYPES = "|".join(t.value for t in MapType)

COMMANDS: tuple[Command, ...] = (
    Command("start", "/start"),
    Command("new", "/new", leader=True),
    Command("help", "/help"),
    Command("back", "/back", leader=True),
    Command("skip", "/skip", leader=True),
    Command("done", "/done", leader=True),
    Command("cancel", "/cancel", leader=True),
    Command("maps", "/maps"),
    Command("map", "/map N"),
    Command("edit", "/edit N", leader=True),
    Command("rename", "/rename N title", leader=True),
    Command("copy", f"/copy N [{MAP_TYPES}]"),
    Command("delete", "/delete N", leader=True),
    Command("export", "/export N"),
    Command("compare", "/compare N M · /compare N v1 v2"),
    Command("remind", "/remind N 30d"),
    Command("prioritize", "/prioritize N"),
    Command("actions", "/actions"),
    Command("language", "/language [en|id|pl]", leader=True),
)
BY_NAME = {command.name: command for command in COMMANDS}


def menu(lang: str) -> list[BotCommand]:
    """Telegram's command menu in one language."""
    return [BotCommand(c.name, tr(lang, c.description_key)) for c in COMMANDS if c.menu]


def help_text(lang: str) -> str:
    lines = [t(lang, "bot.help_intro")]
    lines += [f"<code>{c.usage}</code> – {t(lang, c.description_key)}" for c in COMMANDS if c.menu]
    lines.append(t(lang, "bot.help_group"))
    return "\n".join(lines)


def usage(name: str) -> str:
    return BY_NAME[name].usage
