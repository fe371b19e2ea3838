"""Changes made by touch (the Mini App) to a finished map, as typed data applied to the model.

Each edit says where it lands by position (stage index, lane id, item index) on the version the
person saw; the caller checks that version is still the current one before applying it, so a
position always means what the person meant. An edit that breaks a limit or names a place
that is not there raises `EditError` with a catalog key and leaves the map as it was."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from flows import spec
from flows.i18n import Text
from flows.model import Author, Item, JourneyMap, Rating, Stage
from flows.spec import EMOTION_MAX, EMOTION_MIN, LIMITS, Shape

# Far above every limit, so a request's text is never held whole in memory twice over.
TEXT_CAP = 10_000


class EditError(Exception):
    """The edit cannot be made; `text` says why, in the person's language once translated."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.text = Text.of(key, **params)


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddItem(_Edit):
    op: Literal["add"]
    stage: int
    lane: str
    text: str = Field(max_length=TEXT_CAP)


class ChangeItem(_Edit):
    op: Literal["change"]
    stage: int
    lane: str
    index: int
    text: str = Field(max_length=TEXT_CAP)


class DeleteItem(_Edit):
    op: Literal["delete"]
    stage: int
    lane: str
    index: int


class MoveItem(_Edit):
    """Up or down within its cell, or into the same lane of another stage (at its end)."""

    op: Literal["move"]
    stage: int
    lane: str
    index: int
    to_stage: int
    to_index: int | None = None


class RenameStage(_Edit):
    op: Literal["rename_stage"]
    stage: int
    name: str = Field(max_length=TEXT_CAP)


class SetEmotion(_Edit):
    op: Literal["emotion"]
    stage: int
    persona: str = Field(max_length=TEXT_CAP)
    score: int


Edit = Annotated[
    AddItem | ChangeItem | DeleteItem | MoveItem | RenameStage | SetEmotion,
    Field(discriminator="op"),
]
EDIT: TypeAdapter[Edit] = TypeAdapter(Edit)


def clean(text: str) -> str:
    """As typed, without invisible characters and with single spaces."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    return " ".join(visible.split())


def _stage(journey_map: JourneyMap, index: int) -> Stage:
    if not 0 <= index < len(journey_map.stages):
        raise EditError("touch.not_found")
    return journey_map.stages[index]


def _lane(lane_id: str) -> spec.LaneSpec:
    try:
        declared = spec.lane(lane_id)
    except KeyError:
        raise EditError("touch.not_found") from None
    if declared.shape == Shape.RATINGS:
        raise EditError("touch.not_found")
    return declared


def _text(text: str, limit: int) -> str:
    cleaned = clean(text)
    if not cleaned:
        raise EditError("error.empty")
    if len(cleaned) > limit:
        raise EditError("error.too_long", length=len(cleaned), limit=limit)
    return cleaned


def _room(declared: spec.LaneSpec, items: list[Item]) -> None:
    limit = 1 if declared.shape == Shape.SINGLE else declared.item_limit(LIMITS)
    if len(items) >= limit:
        raise EditError("error.too_many", limit=limit, room=0)


def apply(journey_map: JourneyMap, edit: Edit, author: Author) -> str:
    """Make the edit on the map (in place); the name of the stage it touched (for the
    summary). Raises EditError with the map unchanged."""
    now = datetime.now(UTC)
    stage = _stage(journey_map, edit.stage)
    match edit:
        case RenameStage(name=name):
            stage.name = _text(name, LIMITS.title_chars)
            return stage.name
        case SetEmotion(persona=persona, score=score):
            if persona not in journey_map.persona_names():
                raise EditError("touch.not_found")
            if not EMOTION_MIN <= score <= EMOTION_MAX:
                raise EditError("error.emotion_range", low=EMOTION_MIN, high=EMOTION_MAX)
            stage.rate(Rating(persona=persona, score=score, author=author, at=now))
            return stage.name
    declared = _lane(edit.lane)
    if not declared.applies(journey_map.map_type) and not stage.lanes.get(declared.id):
        raise EditError("touch.not_found")  # a lane this kind of map does not have
    items = stage.items(declared)
    match edit:
        case AddItem(text=text):
            cleaned = _text(text, declared.char_limit(LIMITS))
            _room(declared, items)
            items.append(Item(text=cleaned, author=author, at=now))
            return stage.name
    if not 0 <= edit.index < len(items):
        raise EditError("touch.not_found")
    match edit:
        case ChangeItem(index=index, text=text):
            cleaned = _text(text, declared.char_limit(LIMITS))
            items[index] = Item(text=cleaned, author=author, at=now)
        case DeleteItem(index=index):
            del items[index]
        case MoveItem(index=index, to_stage=to_stage, to_index=to_index):
            target = _stage(journey_map, to_stage).items(declared)
            if target is items:
                item = items.pop(index)
                at = len(items) if to_index is None else max(0, min(to_index, len(items)))
                items.insert(at, item)
            else:
                _room(declared, target)
                target.append(items.pop(index))
                return f"{stage.name} → {journey_map.stages[to_stage].name}"
    return stage.name
