"""Prioritising a map's opportunities (impact and effort, the mean of a group's votes, the
2 × 2 matrix) and reading due dates in each language against a fixed today."""

from __future__ import annotations

from datetime import date

import pytest

from flows.duedates import parse_due
from flows.model import Author, Item, JourneyMap, Stage
from flows.priorities import (
    HIGH,
    LOW,
    MEDIUM,
    Progress,
    Quadrant,
    Status,
    Vote,
    opportunities,
    opportunity_id,
    quadrant,
    rate,
    start_with,
    with_progress,
)

ME = Author(id="1", name="Sari")
TODAY = date(2026, 11, 30)  # a Monday


def a_map() -> JourneyMap:
    def stage(name: str, *ideas: str) -> Stage:
        return Stage(name=name, opportunities=[Item(text=i, author=ME) for i in ideas])

    return JourneyMap(
        title="Kopi",
        stages=[
            stage("Purchase", "Second packing slot at 3 pm", "QRIS at the till"),
            stage("Delivery", "Tracking link by WhatsApp", "QRIS at the till"),
            stage("Loyalty"),
        ],
    )


def test_every_opportunity_is_found_with_a_stable_id() -> None:
    found = opportunities(a_map())
    assert [o.text for o in found] == [
        "Second packing slot at 3 pm",
        "QRIS at the till",
        "Tracking link by WhatsApp",
        "QRIS at the till",
    ]
    assert len({o.id for o in found}) == 4  # the same text at another stage is another one
    assert found[0].id == opportunity_id("Purchase", "Second packing slot at 3 pm")
    assert opportunity_id(" purchase ", "Second  packing slot at 3 pm") == found[0].id
    assert all(len(o.id) == 8 for o in found)


@pytest.mark.parametrize(
    ("impact", "effort", "expected"),
    [
        (HIGH, LOW, Quadrant.QUICK_WIN),
        (HIGH, HIGH, Quadrant.BIG_BET),
        (LOW, LOW, Quadrant.FILL_IN),
        (LOW, HIGH, Quadrant.TIME_SINK),
        (MEDIUM, MEDIUM, Quadrant.FILL_IN),  # the middle is not "high"
        (2.5, 2.0, Quadrant.QUICK_WIN),
    ],
)
def test_quadrants(impact: float, effort: float, expected: Quadrant) -> None:
    assert quadrant(impact, effort) == expected


def test_a_group_votes_and_the_mean_counts() -> None:
    found = opportunities(a_map())
    slot, qris = found[0].id, found[1].id
    votes = [
        Vote(slot, "a", HIGH, LOW),
        Vote(slot, "b", HIGH, MEDIUM),
        Vote(slot, "c", MEDIUM, LOW),
        Vote(qris, "a", LOW, HIGH),
        Vote(qris, "b", impact=MEDIUM),  # effort not given yet
        Vote("gone0000", "a", HIGH, HIGH),  # an opportunity no longer on the map
    ]
    rated = {r.opportunity.id: r for r in rate(found, votes)}
    assert rated[slot].impact == pytest.approx(8 / 3)
    assert rated[slot].effort == pytest.approx(4 / 3)
    assert rated[slot].voters == 3
    assert rated[slot].quadrant == Quadrant.QUICK_WIN
    assert rated[qris].impact == pytest.approx(1.5) and rated[qris].effort == HIGH
    assert rated[qris].quadrant == Quadrant.TIME_SINK
    assert rated[found[2].id].quadrant is None and not rated[found[2].id].rated
    assert [r.opportunity.id for r in start_with(rated.values())] == [slot]


def test_start_with_prefers_impact_then_little_effort() -> None:
    found = opportunities(a_map())
    votes = [
        Vote(found[0].id, "a", HIGH, MEDIUM),
        Vote(found[1].id, "a", HIGH, LOW),
        Vote(found[2].id, "a", MEDIUM, HIGH),
    ]
    first = start_with(rate(found, votes))
    assert [r.opportunity.text for r in first] == [
        "QRIS at the till",
        "Second packing slot at 3 pm",
    ]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "in 2 weeks", date(2026, 12, 14)),
        ("en", "15.12", date(2026, 12, 15)),
        ("en", "15.12.", date(2026, 12, 15)),
        ("en", "friday", date(2026, 12, 4)),
        ("en", "tomorrow", date(2026, 12, 1)),
        ("en", "today", TODAY),
        ("en", "Dec 15", date(2026, 12, 15)),
        ("en", "15.11", date(2027, 11, 15)),  # passed this year: next year's
        ("id", "15 Des", date(2026, 12, 15)),
        ("id", "dalam 2 minggu", date(2026, 12, 14)),
        ("id", "jumat", date(2026, 12, 4)),
        ("id", "besok", date(2026, 12, 1)),
        ("id", "15.12", date(2026, 12, 15)),
        ("pl", "piątek", date(2026, 12, 4)),
        ("pl", "za 2 tygodnie", date(2026, 12, 14)),
        ("pl", "15 grudnia", date(2026, 12, 15)),
        ("pl", "jutro", date(2026, 12, 1)),
        ("pl", "15.12", date(2026, 12, 15)),
    ],
)
def test_due_dates_in_each_language(lang: str, text: str, expected: date) -> None:
    assert parse_due(text, lang, TODAY).on == expected


@pytest.mark.parametrize(
    ("lang", "text", "problem"),
    [
        ("en", "yesterday", "past"),
        ("pl", "wczoraj", "past"),
        ("en", "1.3.2020", "past"),
        ("id", "kapan-kapan saja", "unknown"),
        ("en", "", "unknown"),
        ("en", "in 5 years", "far"),
    ],
)
def test_a_date_that_cannot_be_due_says_why(lang: str, text: str, problem: str) -> None:
    due = parse_due(text, lang, TODAY)
    assert due.on is None and due.problem == problem


def test_opportunities_that_became_actions_show_how_far_they_are() -> None:
    journey_map = a_map()
    slot = opportunities(journey_map)[0]
    marked = with_progress(journey_map, {slot.id: Progress(Status.DONE, "@andi")})
    assert marked.stages[0].texts("opportunities") == [
        "Second packing slot at 3 pm · ✅ @andi",
        "QRIS at the till",
    ]
    assert journey_map.stages[0].texts("opportunities")[0] == "Second packing slot at 3 pm"
    assert with_progress(journey_map, {}) is journey_map


def test_the_buttons_are_read_back_and_forgeries_refused() -> None:
    from bot import callbacks

    rate_data = callbacks.pack(callbacks.RATE, 3, "abcd1234", "i", 3)
    assert callbacks.parse(rate_data) == callbacks.Rate(3, "abcd1234", "impact", 3)
    assert callbacks.parse("r|3|abcd1234|e|1") == callbacks.Rate(3, "abcd1234", "effort", 1)
    status = callbacks.parse(callbacks.pack(callbacks.STATUS, 12, "doing"))
    assert status == callbacks.SetStatus(12, Status.DOING)
    assert callbacks.parse("x|2") == callbacks.Matrix(2)
    assert callbacks.parse("a|2|0011aaff") == callbacks.MakeAction(2, "0011aaff")
    assert callbacks.parse("z|7") == callbacks.Snooze(7)
    assert callbacks.parse("p|1") == callbacks.Prioritize(1)
    for forged in (
        "r|3|abcd1234|i|4",  # off the scale
        "r|3|abcd1234|x|2",  # neither impact nor effort
        "r|3|ABCD|i|2",  # not an opportunity id
        "r|0|abcd1234|i|2",
        "u|5|finished",
        "u|-1|done",
        "a|2|../etc",
        "z|",
        "x|1|2",
    ):
        assert callbacks.parse(forged) is None, forged
    longest = callbacks.pack(callbacks.RATE, callbacks.BIGGEST, "abcd1234", "e", 3)
    assert len(longest.encode()) <= callbacks.LIMIT
