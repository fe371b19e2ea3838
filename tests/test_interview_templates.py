"""The interview with business templates (issue 11): the kind of business, quick or full
maps, suggestions to tap, a progress line that tells the truth, future-state questions, and
the effort budget by the model in flows/effort.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot import callbacks
from bot.console import Console
from flows import templates
from flows.engine import handle, start
from flows.i18n import t
from flows.interview import Event, Interview, Position
from flows.model import Author
from flows.questions import question, suggested
from flows.spec import Depth, MapType
from tests.owner import OWN_WORDS, Owner

DATA = Path(__file__).parent / "data"
SARI = Author(id="1", name="Sari")
ANDI = Author(id="2", name="Andi")


def offered_pains(index: int, lang: str) -> list[str]:
    return templates.suggestions("bakery", "current", index, "pains", lang)[:2]


def at_stage_questions(
    lang: str = "en", depth: str = "quick", map_type: str = "current", group: bool = False
) -> Interview:
    """A bakery interview with the template's stages and personas, at its first stage."""
    iv = start(SARI, lang, template=True, group=group).interview
    for value in (map_type, "bakery", depth):
        handle(iv, Event.choice(value, SARI))
    handle(iv, Event.text("Roti Ani", SARI))
    handle(iv, Event.text("More cake orders", SARI))
    handle(iv, Event.choice("s0", SARI))
    handle(iv, Event.choice("s1", SARI))
    handle(iv, Event.command("next", SARI))
    handle(iv, Event.choice("default", SARI))
    return iv


@pytest.mark.parametrize("lang", ["en", "id", "pl"])
def test_a_bakery_quick_map_within_ten_typed_messages_and_ten_minutes(lang: str) -> None:
    owner = Owner(lang=lang, kind="bakery", depth="quick")
    iv = owner.run()
    jm = iv.map
    assert iv.finished and iv.kind == "bakery" and iv.depth == Depth.QUICK
    assert [s.name for s in jm.stages] == templates.default_stages("bakery", "current", lang)
    assert jm.persona_names() == [p.name for p in templates.personas("bakery", lang)]
    for index, stage in enumerate(jm.stages):
        offered = templates.suggestions("bakery", "current", index, "touchpoints", lang)
        assert stage.texts("touchpoints")[:2] == offered[:2]
        assert stage.texts("pains")[:2] == offered_pains(index, lang)
        assert len(stage.emotions) == 2
        assert not stage.texts("actions")  # a quick map leaves the other lanes for later
    own = [text for s in jm.stages for lane in ("touchpoints", "pains") for text in s.texts(lane)]
    assert own.count(OWN_WORDS[lang]) == 3
    assert owner.effort.typed <= 10, owner.effort
    assert owner.effort.minutes <= 10, owner.effort


@pytest.mark.parametrize("lang", ["en", "id", "pl"])
def test_a_bakery_full_map_within_twenty_five_minutes(lang: str) -> None:
    owner = Owner(lang=lang, kind="bakery", depth="full")
    iv = owner.run()
    assert iv.finished and all(s.texts("opportunities") for s in iv.map.stages)
    assert owner.effort.minutes <= 25, owner.effort


def test_without_a_template_the_questions_are_asked_as_before() -> None:
    iv = start(SARI, "en").interview
    handle(iv, Event.choice("current", SARI))
    assert iv.state == "title" and iv.kind is None


def test_an_interview_saved_before_the_templates_continues_as_it_was() -> None:
    iv = Interview.from_json((DATA / "interview_before_lanes.json").read_text(encoding="utf-8"))
    assert not iv.guided and iv.kind is None
    order = [p.state for p in iv.positions()]
    assert "business" not in order and "depth" not in order and "actions" in order
    before = iv.position
    handle(iv, Event.command("skip", iv.facilitator or SARI))
    assert iv.position != before and not iv.finished


def test_the_kind_can_be_typed_and_something_else_is_generic() -> None:
    iv = start(SARI, "en", template=True).interview
    handle(iv, Event.choice("current", SARI))
    reply = question(iv)
    assert reply.choices[-1].value == templates.GENERIC_KIND
    handle(iv, Event.text("bakery / cakes", SARI))
    assert iv.kind == "bakery" and iv.state == "depth"


def test_a_suggestion_toggles_and_the_question_shows_it_in_place() -> None:
    iv = at_stage_questions()
    assert iv.position == Position(state="touchpoints", stage=0)
    first = suggested(iv, iv.position)[0]
    outcome = handle(iv, Event.choice("s0", SARI))
    (shown,) = outcome.replies
    assert shown.refresh and shown.toggles
    assert t.render(shown.choices[0].label, "en") == f"✓ {first}"
    assert iv.map.stages[0].texts("touchpoints") == [first]
    handle(iv, Event.choice("s0", SARI))  # tapped again: taken off
    assert iv.map.stages[0].texts("touchpoints") == []
    handle(iv, Event.text("Flyer at the school gate", SARI))  # typing still adds
    assert iv.map.stages[0].texts("touchpoints") == ["Flyer at the school gate"]
    assert iv.position == Position(state="touchpoints", stage=0)
    handle(iv, Event.command("done", SARI))  # /done still ends a list
    assert iv.state == "emotion"


def test_next_goes_on_with_nothing_picked() -> None:
    iv = at_stage_questions()
    reply = question(iv)
    assert "next" in reply.commands and "done" not in reply.commands
    handle(iv, Event.command("next", SARI))
    assert iv.state == "emotion"


def test_in_a_group_a_members_tap_is_their_item() -> None:
    iv = at_stage_questions(group=True)
    handle(iv, Event.choice("s2", ANDI))
    (item,) = iv.map.stages[0].items("touchpoints")
    assert item.author == ANDI
    refused = handle(iv, Event.choice("s2", Author(id="3", name="Maya")))
    assert refused.replies[0].text.key == "error.picked_by"
    assert iv.map.stages[0].items("touchpoints") == [item]
    handle(iv, Event.choice("s2", SARI))  # whoever leads may take it off
    assert iv.map.stages[0].items("touchpoints") == []


def test_every_suggestion_button_fits_telegrams_callback_data() -> None:
    iv = at_stage_questions(depth="full")
    while not iv.finished and iv.state != "review":
        reply = question(iv)
        for choice in reply.choices:
            callbacks.pack(callbacks.ANSWER, iv.position.token(), choice.value)
        handle(iv, Event.command("next" if "next" in reply.commands else "skip", SARI))
        if iv.state == "emotion":
            handle(iv, Event.command("skip", SARI))


def test_the_progress_line_counts_the_questions_of_this_map() -> None:
    iv = start(SARI, "en", template=True).interview
    handle(iv, Event.choice("current", SARI))
    handle(iv, Event.choice("bakery", SARI))
    depth = t.render(question(iv).text, "en")
    handle(iv, Event.choice("quick", SARI))
    line = t.render(question(iv).progress, "en")
    # 7 questions before the stages, 5 stages × (touchpoints, emotions, pain points), review
    assert line.startswith("Question 4 of about 23 · ~")
    assert "min left" in line
    assert "Quick map" in depth and "(about 5 min)" in depth


def test_a_quick_map_can_be_deepened_from_the_summary() -> None:
    owner = Owner(kind="bakery", depth="quick")
    iv = start(SARI, "en", template=True).interview
    while iv.state != "review":
        handle(iv, owner._answer(iv, question(iv)))
    handle(iv, Event.choice("edit:stage:1", SARI))
    labels = [c.value for c in question(iv).choices]
    assert "edit:actions:1" in labels and "edit:opportunities:1" in labels
    handle(iv, Event.choice("edit:actions:1", SARI))
    assert iv.position == Position(state="actions", stage=1)
    assert suggested(iv, iv.position)  # the template's suggestions there too
    handle(iv, Event.choice("s0", SARI))
    handle(iv, Event.command("next", SARI))
    assert iv.state == "review" and len(iv.map.stages[1].texts("actions")) == 1


def test_deepening_a_stage_asks_its_empty_lanes_then_returns_to_the_summary() -> None:
    owner = Owner(kind="bakery", depth="quick")
    iv = start(SARI, "en", template=True).interview
    while iv.state != "review":
        handle(iv, owner._answer(iv, question(iv)))
    handle(iv, Event.choice("edit:stage:2", SARI))
    assert question(iv).choices[0].value == "deepen:2"
    handle(iv, Event.choice("deepen:2", SARI))
    asked = []
    for _ in range(10):
        if iv.state == "review":
            break
        asked.append(iv.position)
        handle(iv, Event.choice("s0", SARI))  # a list toggles it, the owner takes it
        if iv.state == asked[-1].state:
            handle(iv, Event.command("next", SARI))
    assert [p.state for p in asked] == ["actions", "thoughts", "says", "opportunities", "owner"]
    assert all(p.stage == 2 for p in asked)
    stage = iv.map.stages[2]
    assert stage.texts("actions") and stage.texts("opportunities") and stage.answer("owner")
    assert not stage.texts("says")  # no suggestions there: skipped with Next, still empty
    handle(iv, Event.choice("edit:stage:2", SARI))
    assert question(iv).choices[0].value == "deepen:2"
    handle(iv, Event.choice("deepen:2", SARI))
    assert iv.position == Position(state="says", stage=2)
    handle(iv, Event.command("back", SARI))  # back: the summary, the deepening dropped
    assert iv.state == "review" and iv.deepen is None


@pytest.mark.parametrize("lang", ["en", "id", "pl"])
def test_a_future_state_asks_about_the_journey_to_come(lang: str) -> None:
    iv = at_stage_questions(lang, depth="full", map_type="future")
    asked = []
    for _ in range(20):
        if iv.stage != 0:
            break
        asked.append(question(iv).text.items[0].key)
        if iv.state == "emotion":
            handle(iv, Event.choice("0:1", SARI))
            handle(iv, Event.choice("1:1", SARI))
        else:
            handle(iv, Event.command("next", SARI))
    for lane in ("touchpoints", "actions", "thoughts", "pains", "opportunities"):
        assert f"q.{lane}.future" in asked
        assert t(lang, f"q.{lane}.future", stage="X") != t(lang, f"q.{lane}", stage="X")


def test_the_console_takes_numbers_and_an_empty_line_goes_on(tmp_path: Path) -> None:
    lines = ["1", "2", "1", "Roti Ani", "More cake orders", "1 2", "", "1", "1 3", "", ""]
    out = io.StringIO()
    console = Console(io.StringIO("\n".join(lines) + "\n"), out, lang="en", author=SARI)
    iv = _run(console)
    assert iv.kind == "bakery" and iv.depth == Depth.QUICK
    assert iv.map.persona_names() == ["Sarah", "Joe"]
    offered = templates.suggestions("bakery", "current", 0, "touchpoints", "en")
    assert iv.map.stages[0].texts("touchpoints") == [offered[0], offered[2]]
    assert iv.position == Position(state="emotion", stage=0)
    assert "1 3 4" in out.getvalue()


def _run(console: Console) -> Interview:
    import asyncio

    return asyncio.run(console.run())


def test_map_type_and_kind_stored_with_the_interview_survive_json() -> None:
    iv = at_stage_questions()
    again = Interview.from_json(iv.to_json())
    assert (again.guided, again.kind, again.depth) == (True, "bakery", Depth.QUICK)
    assert again.map.map_type == MapType.CURRENT


def test_a_saved_map_finds_its_template_by_its_stage_names() -> None:
    names = templates.default_stages("laundry", "current", "pl")
    assert templates.kind_for_stages("current", names) == "laundry"
    assert templates.kind_for_stages("current", [*names[:2], "Ours", "Mine", "Yours"]) is None
    assert templates.kind_for_stages("current", []) is None
