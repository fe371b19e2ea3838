"""What the bot posts to a chat, as data: the payload of one outbox row.

A handler never sends: it describes its replies as posts, which are stored in the same
transaction as the change that caused them (see storage/outbox.py), and the courier
(bot/courier.py) sends them. Texts are rendered to HTML when the post is made, so a resend
after a crash says exactly what the first attempt would have said; pictures and files are
made when sent (they are big, and can always be made again from the stored map)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter
from telegram import ForceReply, InlineKeyboardMarkup

Markup = InlineKeyboardMarkup | ForceReply


class Question(BaseModel):
    """The interview question a message asks, remembered once it is sent, so replies and
    buttons on it land on that question."""

    scope: str
    position: str


class Message(BaseModel):
    kind: Literal["message"] = "message"
    html: str
    markup: dict[str, Any] | None = None  # the Bot API's JSON of the keyboard
    reply_to: int | None = None
    question: Question | None = None


class Reaction(BaseModel):
    """A 👍 on a member's answer ("kept") instead of a message; the fallback message goes out
    where reactions are turned off."""

    kind: Literal["reaction"] = "reaction"
    message_id: int
    emoji: str
    fallback: Message


class Edit(BaseModel):
    """Change a message the bot sent: its text (None: keep it) and keyboard (None: remove)."""

    kind: Literal["edit"] = "edit"
    message_id: int
    html: str | None = None
    markup: dict[str, Any] | None = None


class MapPictures(BaseModel):
    """A saved map as the chat sees it: the picture, the full-resolution file, the checklist
    and its tick buttons."""

    kind: Literal["map"] = "map"
    number: int
    lang: str


class Exports(BaseModel):
    """A saved map as files: PDF, HTML, CSV and JSON."""

    kind: Literal["exports"] = "exports"
    number: int
    lang: str


class Comparison(BaseModel):
    """Two maps (or two versions of one) in one chart, then the list of changes."""

    kind: Literal["compare"] = "compare"
    before: tuple[int, int | None]
    after: tuple[int, int | None]
    lang: str


class Matrix(BaseModel):
    """The priority matrix of a map's rated opportunities, where to start, and buttons that
    turn an opportunity into an action."""

    kind: Literal["matrix"] = "matrix"
    number: int
    lang: str


Post = Annotated[
    Message | Reaction | Edit | MapPictures | Exports | Comparison | Matrix,
    Field(discriminator="kind"),
]
_POST: TypeAdapter[Post] = TypeAdapter(Post)


def dump(post: Post) -> str:
    return post.model_dump_json(exclude_defaults=False)


def load(payload: str) -> Post:
    return _POST.validate_json(payload)


def markup_json(markup: Markup | None) -> dict[str, Any] | None:
    return markup.to_dict() if markup is not None else None


def markup_of(data: dict[str, Any] | None) -> Markup | None:
    if data is None:
        return None
    if data.get("force_reply"):
        return ForceReply.de_json(data, None)
    return InlineKeyboardMarkup.de_json(data, None)
