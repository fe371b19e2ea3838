"""Edits made by touch (flows/edits.py): each lands where the person pointed, keeps the
interview's limits and leaves the map as it was when it cannot be made."""

from __future__ import annotations

import pytest

from flows import edits
from flows.edits import EditError
from flows.model import Author, JourneyMap
from flows.spec import LIMITS, lane
from tests.webapp import EXAMPLE

MAYA = Author(id="7", name="Maya")


def example() -> JourneyMap:
    return JourneyMap.from_json(EXAMPLE.read_text())


def edit(**fields: object) -> edits.Edit:
    return edits.EDIT.validate_python(fields)


def test_add_change_delete_and_reorder_in_a_cell() -> None:
    jm = example()
    before = jm.stages[0].texts("touchpoints")
    edits.apply(jm, edit(op="add", stage=0, lane="touchpoints", text="  Gift\u200b note  "), MAYA)
    assert jm.stages[0].texts("touchpoints") == [*before, "Gift note"]
    assert jm.stages[0].items("touchpoints")[-1].author == MAYA
    edits.apply(
        jm, edit(op="move", stage=0, lane="touchpoints", index=3, to_stage=0, to_index=0), MAYA
    )
    assert jm.stages[0].texts("touchpoints")[0] == "Gift note"
    edits.apply(jm, edit(op="change", stage=0, lane="touchpoints", index=0, text="Gift card"), MAYA)
    edits.apply(jm, edit(op="delete", stage=0, lane="touchpoints", index=1), MAYA)
    assert jm.stages[0].texts("touchpoints") == ["Gift card", *before[1:]]


def test_move_to_another_stage_rename_and_rate() -> None:
    jm = example()
    moved = jm.stages[0].texts("pains")[0]
    where = edits.apply(jm, edit(op="move", stage=0, lane="pains", index=0, to_stage=3), MAYA)
    assert where == "Order placed → In transit"
    assert jm.stages[3].texts("pains")[-1] == moved and moved not in jm.stages[0].texts("pains")
    edits.apply(jm, edit(op="rename_stage", stage=1, name="Checkout"), MAYA)
    assert jm.stages[1].name == "Checkout"
    edits.apply(jm, edit(op="emotion", stage=2, persona="Tom", score=-2), MAYA)
    edits.apply(jm, edit(op="emotion", stage=2, persona="Tom", score=1), MAYA)
    assert [r.score for r in jm.stages[2].ratings_for("Tom") if r.author == MAYA] == [1]
    JourneyMap.from_json(jm.to_json())  # still a valid map


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        (
            {"op": "add", "stage": 0, "lane": "pains", "text": "x" * (LIMITS.item_chars + 1)},
            "error.too_long",
        ),
        ({"op": "add", "stage": 0, "lane": "pains", "text": " \u200b "}, "error.empty"),
        ({"op": "add", "stage": 0, "lane": "owner", "text": "Second owner"}, "error.too_many"),
        ({"op": "add", "stage": 9, "lane": "pains", "text": "x"}, "touch.not_found"),
        ({"op": "add", "stage": 0, "lane": "emotions", "text": "x"}, "touch.not_found"),
        ({"op": "add", "stage": 0, "lane": "no-such-lane", "text": "x"}, "touch.not_found"),
        ({"op": "change", "stage": 0, "lane": "pains", "index": 5, "text": "x"}, "touch.not_found"),
        (
            {"op": "rename_stage", "stage": 0, "name": "y" * (LIMITS.title_chars + 1)},
            "error.too_long",
        ),
        ({"op": "emotion", "stage": 0, "persona": "Nobody", "score": 1}, "touch.not_found"),
        ({"op": "emotion", "stage": 0, "persona": "Tom", "score": 3}, "error.emotion_range"),
    ],
)
def test_an_edit_that_cannot_be_made_changes_nothing(fields: dict, key: str) -> None:
    jm = example()
    was = jm.to_json()
    with pytest.raises(EditError) as raised:
        edits.apply(jm, edit(**fields), MAYA)
    assert raised.value.text.key == key
    assert jm.to_json() == was


def test_a_full_lane_takes_no_more() -> None:
    jm = example()
    limit = lane("pains").item_limit(LIMITS)
    for k in range(limit - len(jm.stages[0].items("pains"))):
        edits.apply(jm, edit(op="add", stage=0, lane="pains", text=f"pain {k}"), MAYA)
    with pytest.raises(EditError):
        edits.apply(jm, edit(op="add", stage=0, lane="pains", text="one too many"), MAYA)
    with pytest.raises(EditError):
        edits.apply(jm, edit(op="move", stage=1, lane="pains", index=0, to_stage=0), MAYA)


def test_unknown_shapes_are_refused_before_they_reach_the_map() -> None:
    for fields in (
        {"op": "drop_table"},
        {"op": "add", "stage": 0, "lane": "pains"},
        {"op": "add", "stage": 0, "lane": "pains", "text": "x", "extra": 1},
        {"op": "add", "stage": 0, "lane": "pains", "text": "x" * (edits.TEXT_CAP + 1)},
    ):
        with pytest.raises(ValueError):
            edit(**fields)
