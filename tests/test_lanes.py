"""A lane is one declaration: a lane declared here, in a fixture, and nowhere else (plus its
words, as catalog lines would give them) is asked in the interview, kept, shown in the review,
drawn on the map, listed in every export and checked by the analysis."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from flows import spec
from flows.analysis import compare, findings
from flows.engine import handle
from flows.i18n import FLOWS_LOCALES, load_catalog, t
from flows.interview import Event, Interview
from flows.model import JourneyMap
from flows.questions import current_items, question
from flows.spec import LaneSpec, MapType, Shape
from renderers.checklist import checklist_items, comparison_lines, describe, render_text
from renderers.export import export_map
from renderers.layout import Kind, build_layout
from tests.scripted import ANIA, Interviewee

WORDS = {
    "en": ("Price range", "{stage}: what does the customer pay here?"),
    "id": ("Kisaran harga", "{stage}: berapa yang dibayar pelanggan di sini?"),
    "pl": ("Przedział cen", "{stage}: ile klient tu płaci?"),
}


@pytest.fixture(params=[Shape.LIST, Shape.SINGLE], ids=["list", "one-answer"])
def price(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[LaneSpec]:
    """A lane no module knows: declared after the opportunities, with its words."""
    declared = LaneSpec("price", request.param, colour="#5c940d", tint="#f4fce3", empty_weight=33)
    at = [lane.id for lane in spec.LANES].index("opportunities") + 1
    monkeypatch.setattr(spec, "LANES", (*spec.LANES[:at], declared, *spec.LANES[at:]))
    for lang, (label, asked) in WORDS.items():
        catalog = load_catalog(FLOWS_LOCALES, lang)
        monkeypatch.setitem(catalog, "lane.price", label)
        monkeypatch.setitem(catalog, "q.price", asked)
    yield declared


def interviewed(lang: str = "en") -> Interview:
    return Interviewee(MapType.CURRENT, personas=2, stages=3, lang=lang).run().interview


def test_the_interview_asks_it_at_every_stage_and_keeps_the_answers(price: LaneSpec) -> None:
    iv = interviewed()
    assert iv.finished
    for index, stage in enumerate(iv.map.stages):
        texts = stage.texts(price)
        assert texts and all(text.startswith(f"price {index}") for text in texts)
        assert len(texts) == (2 if price.shape == Shape.LIST else 1)
    # Kept in the map's JSON as a field of each stage, and read back.
    data = json.loads(iv.map.to_json())
    assert all("price" in stage for stage in data["stages"])
    assert JourneyMap.from_json(iv.map.to_json()) == iv.map


def test_its_question_progress_back_and_review(price: LaneSpec) -> None:
    iv = Interviewee(MapType.CURRENT, personas=1, stages=2).run(until_state="price").interview
    asked = question(iv)
    assert t.render(asked.text, "en").startswith("Stage 1: what does the customer pay here?")
    assert asked.progress is not None and "Price range" in t.render(asked.progress, "en")
    handle(iv, Event.text("Rp 20-30k", ANIA))
    if price.shape == Shape.LIST:
        handle(iv, Event.command("done", ANIA))
    assert iv.state != "price"
    handle(iv, Event.command("back", ANIA))
    assert iv.state == "price" and current_items(iv, iv.position)[-1].endswith("Rp 20-30k")
    # The review lists it, and offers it for every stage.
    person = Interviewee(MapType.CURRENT, personas=1, stages=2)
    done = person.run(until_state="review").interview
    review = t.render(question(done).text, "pl")
    assert "Przedział cen" in review
    handle(done, Event.choice("edit:stage:1", ANIA))
    assert "edit:price:1" in [c.value for c in question(done).choices]
    handle(done, Event.choice("edit:price:1", ANIA))
    assert done.state == "price" and done.stage == 1 and done.editing


def test_it_is_drawn_on_the_map(price: LaneSpec) -> None:
    journey_map = interviewed().map
    layout = build_layout(journey_map, "id")
    labels = [c for c in layout.cells if c.kind == Kind.LABEL and c.lane == price]
    assert [line.text for line in labels[0].lines] == ["Kisaran harga"]
    cells = [c for c in layout.cells if c.kind == Kind.LANE and c.lane == price]
    assert [c.stage for c in cells] == [0, 1, 2]
    for cell in cells:
        shown = " ".join(line.text for line in cell.lines)
        assert all(text in shown for text in journey_map.stages[cell.stage].texts(price))
    assert export_map(journey_map, "png").startswith(b"\x89PNG")


def test_it_is_in_every_export(price: LaneSpec) -> None:
    journey_map = interviewed().map
    answers = [text for stage in journey_map.stages for text in stage.texts(price)]
    rows = list(csv.reader(io.StringIO(export_map(journey_map, "csv").decode("utf-8-sig"))))
    assert [row[4] for row in rows if row[1] == "Price range"] == answers
    html = export_map(journey_map, "html").decode("utf-8")
    assert "Price range" in html and all(text in html for text in answers)
    assert 'style="color: #5c940d"' in html
    pdf = PdfReader(io.BytesIO(export_map(journey_map, "pdf")))
    text = "".join(page.extract_text() for page in pdf.pages).replace("\n", " ")
    assert "Price range" in text and all(answer in text for answer in answers)
    assert json.loads(export_map(journey_map, "json"))["stages"][0]["price"]


def test_the_analysis_checks_it(price: LaneSpec) -> None:
    journey_map = interviewed().map
    assert not [f for f in findings(journey_map) if f.lane == "price"]
    empty = journey_map.model_copy(deep=True)
    for stage in empty.stages:
        stage.put(price, [])
    (finding,) = [f for f in findings(empty) if f.lane == "price"]
    assert finding.id == "finding.empty_lane.price" and finding.severity == 33
    assert "Kisaran harga" in describe(finding, "id")
    ids = [item.id for section in checklist_items(empty) for item in section.items]
    assert "finding.empty_lane.price" in ids
    # What changed between two versions names it.
    changes = compare(empty, journey_map)
    assert {change.lane for change in changes.lanes} == {"price"}
    lines = [render_text(line, "en") for line in comparison_lines(changes)]
    assert any("Price range" in line for line in lines)


def test_templates_have_none_yet(price: LaneSpec) -> None:
    from flows.templates import suggestions

    assert suggestions("bakery", MapType.CURRENT, 0, "price", "en") == []


def test_without_it_nothing_is_left_behind() -> None:
    """The fixture's lane is gone once the fixture ends: the interview's steps and machine
    follow the declarations."""
    from flows.steps import steps

    assert "price" not in [step.state for step in steps()]
    assert interviewed().finished


# --- the seeds' "what they say" -------------------------------------------------------------

SAYS = {"en": "What they say", "id": "Ucapan pelanggan", "pl": "Co mówi klient"}


@pytest.mark.parametrize("lang", list(SAYS))
def test_what_they_say_end_to_end_in_each_language(lang: str) -> None:
    """The empathy map's "says" lane: asked at every stage after the thoughts, optional, on
    the map, in every export, and a low note in the findings when nobody filled it."""
    says = spec.lane("says")
    assert says.shape == Shape.LIST and not says.required_for
    iv = Interviewee(MapType.CURRENT, personas=1, stages=2, lang=lang).run(until_state="says")
    asked = iv.interview
    text = t.render(question(asked).text, lang)
    assert text.startswith(f"{asked.map.stages[0].name}: ") and "q.says" not in text
    assert "skip" in question(asked).commands
    handle(asked, Event.text("Do you deliver on Sunday?", ANIA))
    assert asked.map.stages[0].texts("says") == ["Do you deliver on Sunday?"]
    journey_map = Interviewee(MapType.CURRENT, personas=1, stages=2, lang=lang).run()
    journey_map = journey_map.interview.map
    assert journey_map.stages[0].texts("says")

    layout = build_layout(journey_map, lang)
    label = next(c for c in layout.cells if c.kind == Kind.LABEL and c.lane == says)
    assert " ".join(line.text for line in label.lines) == SAYS[lang]
    said = journey_map.stages[0].texts("says")[0]
    rows = list(csv.reader(io.StringIO(export_map(journey_map, "csv").decode("utf-8-sig"))))
    assert [SAYS[lang], said] in [[row[1], row[4]] for row in rows]
    assert SAYS[lang] in export_map(journey_map, "html").decode("utf-8")
    pdf = PdfReader(io.BytesIO(export_map(journey_map, "pdf")))
    assert SAYS[lang] in "".join(page.extract_text() for page in pdf.pages)

    for stage in journey_map.stages:
        stage.put(says, [])
    (finding,) = [f for f in findings(journey_map) if f.lane == "says"]
    assert finding.level == "low" and SAYS[lang] in describe(finding, lang)


def test_the_declarations_are_consistent() -> None:
    import re

    from flows.analysis import FindingKind
    from flows.model import Stage

    declared = spec.lanes()
    assert len({lane.id for lane in declared}) == len(declared)
    assert len({lane.field for lane in declared}) == len(declared)
    (ratings,) = [lane for lane in declared if lane.shape == Shape.RATINGS]
    assert ratings.field == "emotions" and "emotions" in Stage.model_fields
    reserved = set(Stage.model_fields) - {"emotions"}
    kinds = {kind.value for kind in FindingKind}
    for lane in declared:
        assert re.fullmatch(r"[a-z][a-z_]*", lane.id) and lane.field not in reserved, lane
        assert re.fullmatch(r"#[0-9a-f]{6}", lane.colour) and re.fullmatch(
            r"#[0-9a-f]{6}", lane.tint
        )
        assert lane.required_for <= lane.map_types, lane
        findings_named = {lane.answers_problems, lane.needed_each_stage, lane.crowded[1]} - {""}
        assert findings_named <= kinds, lane


def test_a_stage_takes_its_lanes_by_their_field_names() -> None:
    """`Stage(touchpoints=[...], owner=Item(...))` (as renderers/worker.py's warm-up writes
    it) fills the lanes: the field names are the lanes' JSON names, gathered before
    validation."""
    from flows.model import Author, Item, Stage

    who = Author(id="1", name="Ania")
    stage = Stage(
        name="Order",
        touchpoints=[Item(text="Phone", author=who)],
        owner=Item(text="Ola", author=who),
    )
    assert stage.texts("touchpoints") == ["Phone"]
    answer = stage.answer("owner")
    assert answer is not None and answer.text == "Ola"
    assert stage.texts("pains") == []
    assert json.loads(stage.model_dump_json())["owner"]["text"] == "Ola"
