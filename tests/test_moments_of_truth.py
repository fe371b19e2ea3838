"""Moments of truth: the review offers to flag the purchase and the stage that feels worst;
a flagged stage is kept in the map's JSON, drawn on the map, and its pain points weigh more
in the findings."""

from __future__ import annotations

import pytest

from flows.analysis import MOMENT_OF_TRUTH_WEIGHT, FindingKind, findings, moment_candidates
from flows.engine import handle
from flows.interview import Event
from flows.model import Author, Item, JourneyMap, Persona, Rating, Stage
from flows.questions import question
from flows.spec import LANGUAGES
from renderers.image import draw_map
from renderers.labels import tr
from renderers.layout import Kind
from tests.scripted import Interviewee

ME = Author(id="1", name="Sari")


def a_map() -> JourneyMap:
    def stage(name: str, score: int, *pains: str) -> Stage:
        made = Stage(name=name, pains=[Item(text=p, author=ME) for p in pains])
        made.rate(Rating(persona="Dewi", score=score, author=ME))
        return made

    return JourneyMap(
        title="Toko Sari",
        personas=[Persona(name="Dewi", author=ME)],
        stages=[
            # An owner and an opportunity somewhere, so that their absence elsewhere is
            # counted stage by stage.
            stage("Discovery", 1).model_copy(
                update={
                    "lanes": {
                        "owner": [Item(text="Sari", author=ME)],
                        "opportunities": [Item(text="Reels", author=ME)],
                    }
                }
            ),
            stage("Purchase", 0, "QRIS fails at the till"),
            stage("Delivery", -2, "Parcel late", "No tracking"),
            stage("Loyalty", 1),
        ],
    )


def test_the_purchase_and_the_worst_stage_are_offered() -> None:
    assert moment_candidates(a_map()) == [1, 2]


def test_the_review_flags_and_unflags_a_stage() -> None:
    iv = Interviewee(personas=1, stages=3).run(until_state="review").interview
    iv.map = a_map()
    offered = [c.value for c in question(iv).choices if c.value.startswith("moment:")]
    assert offered == ["moment:1", "moment:2"]
    outcome = handle(iv, Event.choice("moment:2", iv.facilitator or ME, admin=True))
    assert outcome.interview.map.stages[2].moment_of_truth
    labels = [tr.render(c.label, "en") for c in question(outcome.interview).choices]
    assert "☆ Not a moment of truth: Delivery" in labels
    again = handle(outcome.interview, Event.choice("moment:2", iv.facilitator or ME, admin=True))
    assert not again.interview.map.stages[2].moment_of_truth
    # A stage that is not offered cannot be flagged by a forged choice.
    refused = handle(again.interview, Event.choice("moment:0", iv.facilitator or ME, admin=True))
    assert not refused.interview.map.stages[0].moment_of_truth


def test_the_flag_is_kept_in_json_only_when_set() -> None:
    journey_map = a_map()
    assert "moment_of_truth" not in journey_map.to_json()
    journey_map.stages[2].moment_of_truth = True
    again = JourneyMap.from_json(journey_map.to_json())
    assert [s.moment_of_truth for s in again.stages] == [False, False, True, False]


def test_pain_points_at_a_moment_of_truth_weigh_more() -> None:
    plain = {f.id: f.severity for f in findings(a_map())}
    flagged_map = a_map()
    flagged_map.stages[1].moment_of_truth = True
    flagged = {f.id: f.severity for f in findings(flagged_map)}
    key = "finding.pain_no_owner.s1"
    assert flagged[key] == plain[key] + MOMENT_OF_TRUTH_WEIGHT
    assert flagged["finding.pain_no_owner.s2"] == plain["finding.pain_no_owner.s2"]
    first = findings(flagged_map)
    owners = [f for f in first if f.kind == FindingKind.PAIN_NO_OWNER]
    assert owners[0].stage == 1  # one pain at a moment of truth outranks two elsewhere


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_map_draws_the_flag(lang: str) -> None:
    journey_map = a_map()
    journey_map.language = lang
    journey_map.stages[2].moment_of_truth = True
    drawing = draw_map(journey_map)
    headers = {
        c.cell.stage: " ".join(t.get_text() for t in c.texts)
        for c in drawing.cells
        if c.cell.kind == Kind.STAGE
    }
    flag = f"⭐ {tr(lang, 'render.moment_of_truth')}"
    assert headers[2] == f"Delivery {flag}"
    assert all(flag not in headers[i] for i in (0, 1, 3))


def test_the_pdf_and_html_name_the_moment_of_truth() -> None:
    from renderers.document import build_report

    journey_map = a_map()
    journey_map.stages[1].moment_of_truth = True
    report = build_report(journey_map, "pl")
    headings = [s.heading for s in report.sections if s.level == 1]
    assert any(h.endswith("Purchase · ⭐ Moment prawdy") for h in headings), headings
    assert sum("⭐" in h for h in headings) == 1
