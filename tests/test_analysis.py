"""Findings computed from a journey map, and comparing two versions of a map."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from flows import analysis
from flows.analysis import (
    Finding,
    FindingKind,
    compare,
    findings,
    is_purchase_stage,
    shorten,
)
from flows.i18n import Translator
from flows.model import Author, Item, JourneyMap, Persona, Rating, Stage
from flows.spec import MapType, Shape, lane, lanes

ANA = Author(id="1", name="Ana")
BOB = Author(id="2", name="Bob")
RATERS = (ANA, BOB, Author(id="3", name="Cy"))

Scores = dict[str, int | Sequence[int]]


def items(texts: Sequence[str]) -> list[Item]:
    return [Item(text=text, author=ANA) for text in texts]


def stage(
    name: str,
    *,
    pains: Sequence[str] = (),
    opportunities: Sequence[str] = (),
    owner: str | None = "Ana",
    emotions: Scores | None = None,
    **answers: Sequence[str],
) -> Stage:
    """A stage; `emotions` maps a persona to a score, or to several (one per team member).
    Every other list lane holds something unless given (`touchpoints=()`), so a declared lane
    is filled in a healthy map."""
    ratings = []
    for persona, scores in (emotions or {}).items():
        values = [scores] if isinstance(scores, int) else list(scores)
        ratings += [
            Rating(persona=persona, score=s, author=RATERS[i]) for i, s in enumerate(values)
        ]
    given = {"pains": pains, "opportunities": opportunities} | answers
    filled = {
        declared.id: items(given.get(declared.id, DEFAULTS.get(declared.id, ("Something",))))
        for declared in lanes()
        if declared.shape == Shape.LIST
    }
    return Stage(
        name=name,
        lanes=filled | {"owner": [Item(text=owner, author=ANA)] if owner else []},
        emotions=ratings,
    )


DEFAULTS: dict[str, Sequence[str]] = {
    "touchpoints": ("Instagram",),
    "actions": ("Scrolls the feed",),
    "thoughts": ("Looks tasty",),
    "backstage": ("Post daily photos",),
}


def journey(
    stages: list[Stage],
    map_type: MapType = MapType.CURRENT,
    personas: Sequence[str] = ("Budi", "Sari"),
) -> JourneyMap:
    return JourneyMap(
        map_type=map_type,
        title="Kopi Kita online orders",
        goal="Fewer complaints about late delivery",
        personas=[Persona(name=name, author=ANA) for name in personas],
        stages=stages,
    )


SALES_STAGES = ("Awareness", "Consideration", "Purchase", "Delivery", "Loyalty")
DAY_STAGES = ("Morning", "Afternoon", "Evening", "Night")


def healthy(map_type: MapType = MapType.CURRENT) -> JourneyMap:
    """Every lane filled, every pain owned and with an idea, emotions positive and steady,
    personas close: a map with nothing to report."""
    names = DAY_STAGES if map_type == MapType.DAY_IN_LIFE else SALES_STAGES
    scores = [(1, 1), (1, 2), (1, 1), (0, 1), (1, 2), (2, 2)]
    stages = [
        stage(name, emotions={"Budi": scores[i][0], "Sari": scores[i][1]})
        for i, name in enumerate(names)
    ]
    stages[-2] = stage(
        names[-2],
        pains=("Courier is sometimes late",),
        opportunities=("Send a tracking link",),
        emotions={"Budi": 0, "Sari": 1},
    )
    return journey(stages, map_type)


def with_stage(journey_map: JourneyMap, index: int, new: Stage) -> JourneyMap:
    copy = journey_map.model_copy(deep=True)
    copy.stages[index] = new
    return copy


def of_kind(found: list[Finding], kind: FindingKind) -> list[Finding]:
    return [f for f in found if f.kind == kind]


def curve(budi: Sequence[int | None], sari: Sequence[int | None] | None = None) -> JourneyMap:
    """A healthy map whose emotion curve is replaced (None = not rated)."""
    sari = sari or [1] * len(budi)
    stages = []
    for i, (b, s) in enumerate(zip(budi, sari, strict=True)):
        emotions: Scores = {}
        if b is not None:
            emotions["Budi"] = b
        if s is not None:
            emotions["Sari"] = s
        stages.append(stage(f"Stage {i + 1}", emotions=emotions))
    return journey(stages)


# --- No false positives -----------------------------------------------------------------------


@pytest.mark.parametrize("map_type", list(MapType))
def test_healthy_map_has_no_findings(map_type: MapType) -> None:
    assert findings(healthy(map_type)) == []


def test_empty_map_has_no_findings() -> None:
    assert findings(JourneyMap(map_type=MapType.CURRENT)) == []


# --- Emotions ---------------------------------------------------------------------------------


def test_lowest_emotion_per_persona_below_neutral() -> None:
    found = findings(curve([1, 0, -2, -1, 1], [1, -1, 1, 1, 1]))
    lowest = of_kind(found, FindingKind.LOWEST_EMOTION)
    assert [(f.persona, f.persona_index, f.stage, f.stage_name) for f in lowest] == [
        ("Budi", 0, 2, "Stage 3"),
        ("Sari", 1, 1, "Stage 2"),
    ]
    assert lowest[0].values == {"score": -2}
    assert lowest[0].severity == 70 and lowest[0].level == "high"
    assert lowest[1].values == {"score": -1}


def test_lowest_emotion_first_of_equal_lows_and_means_of_group_ratings() -> None:
    journey_map = curve([1, -1, -1, 1])
    journey_map.stages[0] = stage("Stage 1", emotions={"Budi": [-2, 0], "Sari": 1})
    # Stage 1 averages to −1 as well and comes first.
    lowest = of_kind(findings(journey_map), FindingKind.LOWEST_EMOTION)
    assert [(f.stage, f.values["score"]) for f in lowest] == [(0, -1)]


def test_neutral_low_point_is_not_a_finding() -> None:
    assert of_kind(findings(curve([1, 0, 1])), FindingKind.LOWEST_EMOTION) == []


def test_biggest_drop_between_neighbouring_stages() -> None:
    found = findings(curve([2, 1, -1, 1, 1]))
    drops = of_kind(found, FindingKind.BIGGEST_DROP)
    assert len(drops) == 1
    drop = drops[0]
    assert (drop.persona, drop.from_stage, drop.from_stage_name, drop.stage, drop.stage_name) == (
        "Budi",
        1,
        "Stage 2",
        2,
        "Stage 3",
    )
    assert drop.values == {"drop": 2, "before": 1, "after": -1}
    assert drop.severity == 60


def test_biggest_drop_takes_the_largest_and_the_first_of_equals() -> None:
    drops = of_kind(findings(curve([2, -1, 1, -2, 0])), FindingKind.BIGGEST_DROP)
    assert [(d.from_stage, d.stage, d.values["drop"]) for d in drops] == [(0, 1, 3)]


def test_biggest_drop_steps_over_unrated_stage() -> None:
    drops = of_kind(findings(curve([2, None, -1])), FindingKind.BIGGEST_DROP)
    assert [(d.from_stage, d.stage, d.values["drop"]) for d in drops] == [(0, 2, 3)]


def test_one_step_drop_is_not_a_finding() -> None:
    assert of_kind(findings(curve([2, 1, 0, 1])), FindingKind.BIGGEST_DROP) == []


def test_personas_differ_by_two_or_more() -> None:
    found = findings(curve([1, -1, 1], [1, 1, 2]))
    differ = of_kind(found, FindingKind.PERSONAS_DIFFER)
    assert [(f.stage, f.persona, f.other_persona) for f in differ] == [(1, "Budi", "Sari")]
    assert differ[0].values == {"low": -1, "high": 1, "gap": 2}
    # A gap of one is ordinary.
    assert of_kind(findings(curve([1, 0, 1], [2, 1, 2])), FindingKind.PERSONAS_DIFFER) == []


def test_raters_disagree_on_one_persona() -> None:
    journey_map = healthy()
    journey_map.stages[1] = stage("Consideration", emotions={"Budi": [-1, 1, 0], "Sari": [1, 2]})
    found = of_kind(findings(journey_map), FindingKind.RATERS_DISAGREE)
    assert [(f.stage, f.persona, f.persona_index) for f in found] == [(1, "Budi", 0)]
    assert found[0].values == {"low": -1, "high": 1, "spread": 2}
    # Budi's mean is 0 there: not the lowest below neutral, no drop.
    assert findings(journey_map) == found


def test_ratings_for_a_persona_not_in_the_list_still_count() -> None:
    journey_map = curve([1, 1, 1])
    journey_map.stages[2].emotions.append(Rating(persona="Old persona", score=-2, author=ANA))
    lowest = of_kind(findings(journey_map), FindingKind.LOWEST_EMOTION)
    assert [(f.persona, f.persona_index, f.stage) for f in lowest] == [("Old persona", 2, 2)]


# --- Pains, owners, touchpoints ---------------------------------------------------------------


def test_pain_without_owner() -> None:
    journey_map = with_stage(
        healthy(),
        3,
        stage(
            "Delivery",
            pains=("Courier late", "No tracking", "Cold coffee"),
            opportunities=("Own courier",),
            owner=None,
            emotions={"Budi": 0, "Sari": 1},
        ),
    )
    found = findings(journey_map)
    assert [(f.kind, f.stage, f.stage_name) for f in found] == [
        (FindingKind.PAIN_NO_OWNER, 3, "Delivery")
    ]
    assert found[0].items == ("Courier late", "No tracking")  # the first two, quoted
    assert found[0].values == {"count": 3}
    assert found[0].severity == 45 + 9


def test_stage_without_owner_but_without_pains_is_fine() -> None:
    journey_map = with_stage(healthy(), 0, stage("Awareness", owner=None, emotions={"Budi": 1}))
    assert findings(journey_map) == []


def test_blueprint_pain_without_backstage() -> None:
    pained = stage(
        "Delivery",
        pains=("Courier late",),
        opportunities=("Own courier",),
        backstage=(),
        emotions={"Budi": 0, "Sari": 1},
    )
    blueprint = with_stage(healthy(MapType.BLUEPRINT), 3, pained)
    assert [(f.kind, f.stage) for f in findings(blueprint)] == [(FindingKind.PAIN_NO_BACKSTAGE, 3)]
    # Not a blueprint: the backstage lane does not exist there.
    assert findings(with_stage(healthy(MapType.CURRENT), 3, pained)) == []


def test_pain_without_opportunity() -> None:
    journey_map = with_stage(
        healthy(),
        1,
        stage("Consideration", pains=("Prices unclear",), emotions={"Budi": 1, "Sari": 1}),
    )
    found = findings(journey_map)
    assert [(f.kind, f.stage, f.items) for f in found] == [
        (FindingKind.PAIN_NO_IDEA, 1, ("Prices unclear",))
    ]


def test_stage_without_touchpoints() -> None:
    journey_map = with_stage(
        healthy(), 2, stage("Purchase", touchpoints=(), emotions={"Budi": 1, "Sari": 1})
    )
    found = findings(journey_map)
    assert [(f.kind, f.stage, f.stage_name) for f in found] == [
        (FindingKind.NO_TOUCHPOINTS, 2, "Purchase")
    ]
    # Blank items do not count as touchpoints.
    blank = with_stage(
        healthy(), 2, stage("Purchase", touchpoints=("  ",), emotions={"Budi": 1, "Sari": 1})
    )
    assert [f.kind for f in findings(blank)] == [FindingKind.NO_TOUCHPOINTS]


def test_too_many_touchpoints() -> None:
    limit, _ = lane("touchpoints").crowded
    many = [f"Channel {i}" for i in range(limit + 1)]
    journey_map = with_stage(
        healthy(), 0, stage("Awareness", touchpoints=many, emotions={"Budi": 1, "Sari": 1})
    )
    found = findings(journey_map)
    assert [(f.kind, f.stage) for f in found] == [(FindingKind.TOO_MANY_TOUCHPOINTS, 0)]
    assert found[0].values == {"count": 7, "limit": 6}
    at_limit = with_stage(
        healthy(), 0, stage("Awareness", touchpoints=many[:-1], emotions={"Budi": 1, "Sari": 1})
    )
    assert findings(at_limit) == []


# --- Empty lanes ------------------------------------------------------------------------------


def test_lane_empty_on_whole_map_reported_once() -> None:
    journey_map = healthy()
    for s in journey_map.stages:
        s.put("thoughts", [])
        s.put("touchpoints", [])
    found = findings(journey_map)
    assert [(f.kind, f.lane, f.stage) for f in found] == [
        (FindingKind.EMPTY_LANE, "touchpoints", None),
        (FindingKind.EMPTY_LANE, "thoughts", None),
    ]
    assert [f.id for f in found] == [
        "finding.empty_lane.touchpoints",
        "finding.empty_lane.thoughts",
    ]


def test_empty_emotion_owner_and_opportunity_lanes() -> None:
    journey_map = healthy()
    for s in journey_map.stages:
        s.emotions = []
        s.put("owner", [])
        s.put("opportunities", [])
    found = findings(journey_map)
    # Reported once as empty lanes, not again as "pain without owner/idea" per stage.
    assert [(f.kind, f.lane) for f in found] == [
        (FindingKind.EMPTY_LANE, "emotion"),  # 65
        (FindingKind.EMPTY_LANE, "opportunities"),  # 40, lanes in map order when equal
        (FindingKind.EMPTY_LANE, "owner"),  # 40
    ]


def test_empty_backstage_only_matters_on_a_blueprint() -> None:
    for map_type, expected in ((MapType.BLUEPRINT, ["backstage"]), (MapType.CURRENT, [])):
        journey_map = healthy(map_type)
        for s in journey_map.stages:
            s.put("backstage", [])
        assert [f.lane for f in findings(journey_map)] == expected


# --- Ends at the purchase ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Purchase",
        "Checkout",
        "Buy",
        "Payment",
        "Pay at the counter",
        "Beli",
        "Pembelian",
        "Pembayaran",
        "Bayar via QRIS",
        "Zakup",
        "Finalizacja zakupu",
        "Płatność",
        "PŁATNOŚĆ",
        "platnosc",
        "Zapłata",
    ],
)
def test_purchase_stage_names(name: str) -> None:
    assert is_purchase_stage(name)


@pytest.mark.parametrize(
    "name",
    [
        "Delivery",
        "Loyalty",
        "Post-purchase",
        "After the purchase",
        "Repeat purchase",
        "Setelah pembelian",
        "Pembelian ulang",
        "Po zakupie",
        "Ponowny zakup",
        "Payday",
        "Belimbing",
        "Kupon",
        "",
    ],
)
def test_not_purchase_stage_names(name: str) -> None:
    assert not is_purchase_stage(name)


def test_journey_that_ends_at_the_purchase() -> None:
    journey_map = healthy()
    journey_map.stages = journey_map.stages[:4]  # Awareness … Delivery
    journey_map.stages[3].name = "Checkout"
    found = findings(journey_map)
    assert [(f.kind, f.stage, f.stage_name) for f in found] == [
        (FindingKind.ENDS_AT_PURCHASE, 3, "Checkout")
    ]
    assert found[0].severity == 55


def test_purchase_in_the_middle_or_on_a_day_map_is_fine() -> None:
    assert findings(healthy()) == []  # Purchase is the third of five stages
    day = healthy(MapType.DAY_IN_LIFE)
    day.stages[-1].name = "Buy"
    assert findings(day) == []


def test_default_purchase_stage_name_from_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "id.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "stage.purchase"\nmsgstr "Kasir Toko"\n',
        encoding="utf-8",
    )
    assert not is_purchase_stage("Kasir toko")
    monkeypatch.setattr(analysis, "t", Translator(tmp_path))
    assert is_purchase_stage("Kasir toko")


# --- Order and ids ----------------------------------------------------------------------------


def troubled() -> JourneyMap:
    """Three stages ending at the payment, with gaps of every stage-level kind."""
    return journey(
        [
            stage("Awareness", opportunities=("Reels",), emotions={"Budi": 2, "Sari": 1}),
            stage(
                "Delivery",
                touchpoints=(),
                pains=("Late", "Cold"),
                owner=None,
                emotions={"Budi": -1, "Sari": [1, -1]},
            ),
            stage("Pembayaran", emotions={"Budi": 1, "Sari": 1}),
        ]
    )


def test_findings_are_ordered_by_severity() -> None:
    found = findings(troubled())
    assert [(f.id, f.severity) for f in found] == [
        ("finding.biggest_drop.s1.p0", 70),  # Budi 2 → −1
        ("finding.lowest_emotion.s1.p0", 60),  # Budi −1
        ("finding.ends_at_purchase.s2", 55),
        ("finding.pain_no_owner.s1", 51),  # two pains
        ("finding.pain_no_idea.s1", 41),
        ("finding.no_touchpoints.s1", 40),
        ("finding.raters_disagree.s1.p1", 35),  # Sari rated 1 and −1
    ]
    severities = [f.severity for f in found]
    assert severities == sorted(severities, reverse=True)


def test_ids_are_stable_and_unique() -> None:
    first, second = findings(troubled()), findings(troubled().model_copy(deep=True))
    assert [f.id for f in first] == [f.id for f in second]
    assert len({f.id for f in first}) == len(first)


def test_finding_id_format() -> None:
    finding = Finding(FindingKind.BIGGEST_DROP, 60, stage=3, stage_name="x", persona_index=1)
    assert finding.id == "finding.biggest_drop.s3.p1"
    assert Finding(FindingKind.EMPTY_LANE, 50, lane="pains").id == "finding.empty_lane.pains"


def test_shorten() -> None:
    assert shorten("short", 10) == "short"
    assert shorten("  many   spaces  ", 20) == "many spaces"
    assert shorten("one two three four five", 12) == "one two…"
    assert len(shorten("x" * 500, 80)) == 80


# --- Comparing versions -----------------------------------------------------------------------


def test_compare_future_with_current() -> None:
    current = journey(
        [
            stage("Awareness", emotions={"Budi": 1}),
            stage(
                "Delivery",
                pains=("Courier late", "No tracking"),
                opportunities=(),
                owner="Ana",
                emotions={"Budi": -2, "Sari": 0},
            ),
            stage("Fax order", emotions={"Budi": -1}),
        ]
    )
    future = journey(
        [
            stage("awareness", emotions={"Budi": 1}),
            stage(
                "DELIVERY ",
                pains=("no   tracking",),
                opportunities=("Send a tracking link",),
                owner="Courier team",
                emotions={"Budi": 1, "Sari": 0, "Tono": 2},
            ),
            stage("Loyalty", emotions={"Budi": 2}),
        ],
        MapType.FUTURE,
        personas=("Budi", "Sari", "Tono"),
    )
    result = compare(current, future)
    assert result.stages_added == ((2, "Loyalty"),)
    assert result.stages_removed == ((2, "Fax order"),)
    assert result.personas_added == ("Tono",)
    assert result.personas_removed == ()
    moved = [(e.stage_name, e.persona, e.before, e.after, e.delta) for e in result.emotion_changes]
    assert moved == [("DELIVERY ", "Budi", -2, 1, 3), ("DELIVERY ", "Tono", None, 2, None)]
    # Unchanged scores are kept in the full list with a delta of 0.
    assert ("awareness", "Budi", 0) in [(e.stage_name, e.persona, e.delta) for e in result.emotions]
    delivery = {c.lane: c for c in result.lanes if c.before_stage == 1}
    assert set(delivery) == {"pains", "opportunities", "owner"}
    assert delivery["pains"].added == ()
    assert delivery["pains"].removed == ("Courier late",)
    assert delivery["opportunities"].added == ("Send a tracking link",)
    assert (delivery["owner"].added, delivery["owner"].removed) == (
        ("Courier team",),
        ("Ana",),
    )
    # A stage only in one map: all its items added (or removed), the other index None.
    loyalty = [c for c in result.lanes if c.stage_name == "Loyalty"]
    assert {(c.lane, c.before_stage, c.after_stage) for c in loyalty} >= {("touchpoints", None, 2)}
    assert result.changed


def test_compare_identical_maps() -> None:
    result = compare(healthy(), healthy().model_copy(deep=True))
    assert not result.changed
    assert result.lanes == () and result.stages_added == () and result.stages_removed == ()
    assert all(e.delta == 0 for e in result.emotions)
    assert len(result.emotions) == 10  # 5 stages × 2 personas


def test_compare_repeated_stage_names_pair_in_order() -> None:
    before = journey([stage("Visit", emotions={"Budi": -1}), stage("Visit", emotions={"Budi": 0})])
    after = journey([stage("visit", emotions={"Budi": 1}), stage("VISIT", emotions={"Budi": 2})])
    moved = [(e.before_stage, e.after_stage, e.delta) for e in compare(before, after).emotions]
    assert moved == [(0, 0, 2), (1, 1, 2)]
