"""The interview engine, driven through every path a user can take."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.engine import Outcome, handle, start
from flows.i18n import t
from flows.interview import Event, Interview, Position, positions
from flows.model import JourneyMap
from flows.questions import question
from flows.spec import LIMITS, MapType, Shape, lanes
from flows.steps import Kind, step, steps
from tests.scripted import ANIA, BUDI, CITRA, Interviewee


def texts(outcome: Outcome, lang: str | None = None) -> str:
    lang = lang or outcome.interview.lang
    return "\n".join(t.render(r.text, lang) for r in outcome.replies)


def keys(outcome: Outcome) -> list[str]:
    return [r.text.key for r in outcome.replies if hasattr(r.text, "key")]


def clone(iv: Interview) -> Interview:
    return Interview.from_json(iv.to_json())


def at(state: str, **kw) -> tuple[Interviewee, Interview]:
    """An interview run by the scripted interviewee up to the first question of `state`."""
    person = Interviewee(**kw)
    return person, person.run(until_state=state).interview


def say(iv: Interview, text: str, author=ANIA, **kw) -> Outcome:
    return handle(iv, Event.text(text, author, **kw))


def command(iv: Interview, name: str, author=ANIA, argument: str = "", **kw) -> Outcome:
    return handle(iv, Event.command(name, author, argument, **kw))


def choose(iv: Interview, value: str, author=ANIA) -> Outcome:
    return handle(iv, Event.choice(value, author))


# --- whole interviews ------------------------------------------------------------------


@pytest.mark.parametrize("map_type", list(MapType))
def test_every_map_type_completes_with_its_lanes(map_type: MapType) -> None:
    outcome = Interviewee(map_type, personas=2, stages=3).run()
    jm = outcome.interview.map
    assert outcome.finished and jm.map_type == map_type
    assert [s.name for s in jm.stages] == ["Stage 1", "Stage 2", "Stage 3"]
    for stage in jm.stages:
        assert len(stage.items("touchpoints")) == 2
        assert bool(stage.items("backstage")) == (map_type == MapType.BLUEPRINT)


def test_five_stages_two_personas_fill_every_lane_with_attributed_items() -> None:
    outcome = Interviewee(MapType.BLUEPRINT, personas=2, stages=5, authors=(ANIA, BUDI)).run()
    jm = outcome.interview.map
    assert outcome.finished
    assert len(jm.stages) == 5 and jm.persona_names() == ["Persona1", "Persona2"]
    for index, stage in enumerate(jm.stages):
        for lane in (lane for lane in lanes() if lane.shape == Shape.LIST):
            items = stage.items(lane)
            assert len(items) == 2, (stage.name, lane)
            assert all(item.author in (ANIA, BUDI) for item in items)
            assert all(f"{lane.id} {index} item" in item.text for item in items)
        assert stage.answer("owner") is not None and stage.answer("owner").author in (ANIA, BUDI)
        for p, persona in enumerate(jm.persona_names()):
            assert stage.emotion_of(persona) == (index + p) % 5 - 2
    assert {a.id for a in jm.contributors()} == {ANIA.id, BUDI.id}
    assert jm.needs.have and jm.needs.need


def test_default_stages_follow_the_map_type() -> None:
    day = Interviewee(MapType.DAY_IN_LIFE, stages=None).run().interview.map
    shop = Interviewee(MapType.CURRENT, stages=None).run().interview.map
    assert [s.name for s in day.stages] == ["Morning", "Afternoon", "Evening", "Night"]
    assert [s.name for s in shop.stages][:2] == ["Awareness", "Consideration"]


def test_the_interview_survives_json_between_every_event() -> None:
    person = Interviewee(MapType.BLUEPRINT, personas=2, stages=2)
    iv = start(ANIA, "en").interview
    straight = Interviewee(MapType.BLUEPRINT, personas=2, stages=2).run().interview
    while not iv.finished:
        iv = clone(iv)  # as if the process restarted between two answers
        handle(iv, person.answer(iv))
    iv.map.created_at = straight.map.created_at
    assert iv.map == straight.map


# --- back, skip, edit, cancel -----------------------------------------------------------


def test_back_from_every_question_returns_to_the_previous_one_and_shows_the_answer() -> None:
    person = Interviewee(MapType.BLUEPRINT, personas=2, stages=2)
    iv = start(ANIA, "en").interview
    visited: list[Position] = []
    while not iv.finished:
        if visited and visited[-1] != iv.position:
            trial = clone(iv)
            outcome = command(trial, "back")
            order = positions(trial.map)
            expected = order[order.index(iv.position) - 1]
            assert trial.position == expected, iv.position
            shown = texts(outcome)
            if expected.state == "title":
                assert "title by Ania" in shown
            if step(expected.state).kind == Kind.LIST and expected.stage is not None:
                assert "item 1 by Ania" in shown
        visited.append(iv.position)
        handle(iv, person.answer(iv))
    assert {p.state for p in visited} == {s.state for s in steps() if not s.guided}


def test_back_at_the_first_question_explains_instead_of_moving() -> None:
    iv = start(ANIA, "en").interview
    outcome = command(iv, "back")
    assert keys(outcome)[0] == "error.nothing_back" and iv.state == "map_type"


def test_back_then_a_new_list_replaces_the_old_answers() -> None:
    _, iv = at("actions", personas=1, stages=2)
    assert len(iv.map.stages[0].items("touchpoints")) == 2
    command(iv, "back")
    assert iv.state == "touchpoints" and iv.revisit
    say(iv, "Only this one")
    assert [i.text for i in iv.map.stages[0].items("touchpoints")] == ["Only this one"]
    command(iv, "done")
    assert iv.state == "actions"


def test_back_then_done_keeps_the_old_answers() -> None:
    _, iv = at("actions", personas=1, stages=2)
    command(iv, "back")
    command(iv, "done")
    assert len(iv.map.stages[0].items("touchpoints")) == 2 and iv.state == "actions"


class Skipper(Interviewee):
    """Skips every question that may be skipped."""

    def answer(self, iv: Interview) -> Event:
        if step(iv.state).skippable(iv.map.map_type):
            return Event.command("skip", ANIA)
        return super().answer(iv)


@pytest.mark.parametrize("map_type", [MapType.CURRENT, MapType.BLUEPRINT])
def test_skipping_every_optional_question_leaves_those_lanes_empty(map_type: MapType) -> None:
    outcome = Skipper(map_type, personas=2, stages=3).run()
    jm = outcome.interview.map
    assert outcome.finished and len(jm.stages) == 3
    for stage in jm.stages:
        assert all(not stage.items(lane) for lane in lanes() if lane.shape == Shape.LIST)
        assert stage.emotions == []
        # a service blueprint must name an owner for every stage
        assert (stage.answer("owner") is not None) == (map_type == MapType.BLUEPRINT)
    assert not jm.needs.have and not jm.needs.need


@pytest.mark.parametrize("state", ["map_type", "title", "goal", "personas", "stages"])
def test_required_questions_cannot_be_skipped(state: str) -> None:
    _, iv = at(state)
    outcome = command(iv, "skip")
    assert keys(outcome)[0] == "error.cannot_skip" and iv.state == state


def test_blueprint_owner_cannot_be_skipped() -> None:
    _, iv = at("owner", map_type=MapType.BLUEPRINT)
    assert keys(command(iv, "skip"))[0] == "error.cannot_skip"
    assert keys(command(iv, "done"))[0] == "error.required"
    assert iv.state == "owner"


def test_edit_from_review_into_a_stage_lane_and_back() -> None:
    _, iv = at("review", personas=2, stages=3)
    before = clone(iv).map
    outcome = choose(iv, "edit:stage:1")
    assert iv.state == "review" and "edit:pains:1" in [c.value for c in outcome.replies[0].choices]
    outcome = choose(iv, "edit:pains:1")
    assert iv.position == Position(state="pains", stage=1) and iv.editing
    assert "pains 1 item 1 by Ania" in texts(outcome)
    say(iv, "Card machine broken\nQueue too long")
    assert [i.text for i in iv.map.stages[1].items("pains")] == [
        "Card machine broken",
        "Queue too long",
    ]
    command(iv, "done")
    assert iv.state == "review" and not iv.editing
    assert iv.map.stages[0] == before.stages[0] and iv.map.stages[2] == before.stages[2]
    assert iv.map.stages[1].items("touchpoints") == before.stages[1].items("touchpoints")


def test_edit_emotions_asks_the_stage_then_returns_to_review() -> None:
    _, iv = at("review", personas=2, stages=2)
    choose(iv, "edit:emotion:0")
    assert iv.position == Position(state="emotion", stage=0)
    choose(iv, "0:2")
    assert iv.position == Position(state="emotion", stage=0)
    say(iv, "-2 furious")  # no name: the persona not rated yet
    assert iv.state == "review"
    stage = iv.map.stages[0]
    assert stage.emotion_of("Persona1") == 2 and stage.emotion_of("Persona2") == -2
    assert stage.words_for("Persona2") == ["furious"]


def test_editing_the_personas_drops_the_ratings_of_a_removed_one() -> None:
    """A persona taken off the list takes its ratings along: the map stays valid (no rating
    for an unknown persona), through JSON and as a finished map."""
    _, iv = at("review", personas=2, stages=2)
    assert {r.persona for r in iv.map.stages[0].emotions} == {"Persona1", "Persona2"}
    choose(iv, "edit:personas")
    say(iv, "Persona2: still here\nDewi: new")
    command(iv, "done")
    assert iv.state == "review"
    assert {r.persona for s in iv.map.stages for r in s.emotions} == {"Persona2"}
    assert JourneyMap.from_json(clone(iv).map.to_json()) == iv.map


def test_edit_title_and_stages_from_review_keeps_answers_of_kept_stages() -> None:
    _, iv = at("review", personas=1, stages=3)
    kept = clone(iv).map.stages[2]
    command(iv, "edit", argument="edit:title")
    say(iv, "Kopi Kita")
    assert iv.state == "review" and iv.map.title == "Kopi Kita"
    choose(iv, "edit:stages")
    say(iv, "Stage 3\nBrand new")
    command(iv, "done")
    assert iv.state == "review"
    assert [s.name for s in iv.map.stages] == ["Stage 3", "Brand new"]
    assert iv.map.stages[0] == kept and iv.map.stages[1].items("touchpoints") == []


def test_back_while_editing_returns_to_review() -> None:
    _, iv = at("review", personas=1, stages=2)
    choose(iv, "edit:goal")
    command(iv, "back")
    assert iv.state == "review" and not iv.editing and iv.map.goal == "goal by Ania"


def test_cancel_ends_the_interview_and_later_messages_are_answered() -> None:
    _, iv = at("thoughts")
    asked = command(iv, "cancel")
    assert keys(asked) == ["q.cancel"] and iv.state == "thoughts"
    assert [c.value for c in asked.replies[0].choices] == ["cancel:yes", "cancel:no"]
    assert keys(choose(iv, "cancel:no"))[0] == "cancel_kept" and iv.state == "thoughts"
    command(iv, "cancel")
    assert keys(choose(iv, "cancel:yes")) == ["cancelled"]
    assert iv.state == "cancelled"
    assert keys(say(iv, "hello?")) == ["error.interview_over"]


# --- limits and bad input ---------------------------------------------------------------


def test_title_over_the_limit_is_refused_with_the_numbers() -> None:
    _, iv = at("title")
    outcome = say(iv, "x" * (LIMITS.title_chars + 1))
    assert keys(outcome)[0] == "error.too_long" and iv.state == "title"
    assert str(LIMITS.title_chars) in texts(outcome)
    assert outcome.replies[-1].position == Position(state="title")  # the same question again
    say(iv, "x" * LIMITS.title_chars)
    assert iv.state == "goal"


def test_item_over_300_characters_is_refused_and_nothing_of_the_message_is_saved() -> None:
    _, iv = at("touchpoints")
    outcome = say(iv, "Website\n" + "y" * (LIMITS.item_chars + 1))
    assert keys(outcome)[0] == "error.too_long_line" and iv.map.stages[0].items("touchpoints") == []
    say(iv, "y" * LIMITS.item_chars)
    assert len(iv.map.stages[0].items("touchpoints")[0].text) == LIMITS.item_chars


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \t "])
def test_empty_answers_are_refused(text: str) -> None:
    _, iv = at("goal")
    assert keys(say(iv, text))[0] == "error.empty" and iv.map.goal == ""


def test_personas_one_to_five() -> None:
    _, iv = at("personas")
    assert keys(command(iv, "done"))[0] == "error.too_few"
    outcome = say(iv, "\n".join(f"P{i}: someone" for i in range(6)))
    assert keys(outcome)[0] == "error.too_many" and iv.map.personas == []
    say(iv, "Dewi: office worker\n- Budi")
    assert [(p.name, p.description) for p in iv.map.personas] == [
        ("Dewi", "office worker"),
        ("Budi", ""),
    ]
    assert keys(say(iv, "dewi: again"))[0] == "error.duplicate"
    assert keys(say(iv, ": no name"))[0] == "error.persona_name"
    outcome = say(iv, "C\nD\nE")  # the fifth persona fills the list and moves on
    assert keys(outcome)[0] == "ack.list_full" and iv.state == "stages"


def test_stages_two_to_ten_and_no_eleventh() -> None:
    _, iv = at("stages")
    say(iv, "Only one")
    assert keys(command(iv, "done"))[0] == "error.too_few" and iv.state == "stages"
    outcome = say(iv, "\n".join(f"S{i}" for i in range(10)))
    assert keys(outcome)[0] == "error.too_many" and len(iv.map.stages) == 1
    say(iv, "\n".join(f"S{i}" for i in range(9)))
    assert len(iv.map.stages) == LIMITS.max_stages and iv.state == "touchpoints"


def test_a_lane_holds_at_most_twelve_items() -> None:
    _, iv = at("actions")
    say(iv, "\n".join(f"a{i}" for i in range(11)))
    outcome = say(iv, "twelve\nthirteen")
    assert keys(outcome)[0] == "error.too_many" and len(iv.map.stages[0].items("actions")) == 11
    outcome = say(iv, "twelve")
    assert keys(outcome)[0] == "ack.list_full" and iv.state == "thoughts"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("3", "error.emotion_range"),
        ("-5 awful", "error.emotion_range"),
        ("purple", "error.emotion_format"),
        ("", "error.empty"),
    ],
)
def test_bad_emotion_scores_are_explained(answer: str, error: str) -> None:
    _, iv = at("emotion")
    if answer:
        assert keys(say(iv, answer))[0] == error
    else:
        assert keys(say(iv, answer))[0] in (error, "error.emotion_format")
    assert iv.state == "emotion" and iv.map.stages[0].emotions == []


@pytest.mark.parametrize(
    ("typed", "score", "word"),
    [
        ("1", 1, ""),
        ("-1 annoyed", -1, "annoyed"),
        ("−2 furious", -2, "furious"),
        ("+2", 2, ""),
        ("0, meh", 0, "meh"),
    ],
)
def test_a_typed_number_is_always_the_score(typed: str, score: int, word: str) -> None:
    _, iv = at("emotion", personas=1)
    say(iv, typed)
    (rating,) = iv.map.stages[0].emotions
    assert (rating.score, rating.word, rating.persona) == (score, word, "Persona1")
    assert iv.state == "pains"


def test_unknown_choice_and_unknown_command_get_specific_answers() -> None:
    iv = start(ANIA, "en").interview
    assert keys(choose(iv, "spaceship"))[0] == "error.unknown_choice"
    assert keys(say(iv, "a spaceship map"))[0] == "error.unknown_choice"
    outcome = command(iv, "frobnicate")
    assert keys(outcome)[0] == "error.unknown_command" and "/frobnicate" in texts(outcome)
    assert iv.state == "map_type"
    say(iv, "service BLUEPRINT")  # a label typed in any case chooses it
    assert iv.map.map_type == MapType.BLUEPRINT


def test_a_sticker_where_text_is_expected_is_explained() -> None:
    _, iv = at("goal")
    outcome = handle(iv, Event("unsupported", "sticker", ANIA))
    assert keys(outcome)[0] == "error.text_only" and iv.state == "goal"
    assert outcome.replies[-1].position == Position(state="goal")


def test_html_and_markdown_characters_come_back_exactly() -> None:
    _, iv = at("touchpoints")
    tricky = "<b>bold</b> *star* _under_ [link](x) & ąęłżó „quote” 😀"
    say(iv, tricky)
    assert iv.map.stages[0].items("touchpoints")[0].text == tricky


# --- languages --------------------------------------------------------------------------


def test_language_switch_mid_interview() -> None:
    _, iv = at("stages", map_type=MapType.CURRENT)
    outcome = command(iv, "language", argument="pl")
    assert iv.lang == "pl" and "po polsku" in texts(outcome)
    assert "etapy" in texts(outcome).lower()
    choose(iv, "default")
    assert iv.map.stages[0].name == "Świadomość"
    outcome = command(iv, "language", argument="xx")
    assert keys(outcome)[0] == "error.language" and iv.lang == "pl"


@pytest.mark.parametrize("lang", ["en", "id", "pl"])
def test_every_reply_of_an_interview_is_translated(lang: str) -> None:
    person = Interviewee(MapType.BLUEPRINT, personas=2, stages=2, lang=lang)
    iv = start(ANIA, lang).interview
    seen = 0
    while not iv.finished:
        outcome = handle(iv, person.answer(iv))
        for reply in outcome.replies:
            rendered = [t.render(reply.text, lang)] + [
                t.render(c.label, lang) for c in reply.choices
            ]
            if reply.progress:
                rendered.append(t.render(reply.progress, lang))
            for text in rendered:
                assert text and "{" not in text and not text.startswith(("q.", "error.")), text
                seen += 1
    assert seen > 100


# --- groups -------------------------------------------------------------------------------


def group_at(state: str) -> Interview:
    _, iv = at(state, personas=2, stages=3)
    iv.group, iv.facilitator = True, ANIA
    return iv


def test_in_a_group_only_the_facilitator_moves_on_but_everyone_answers() -> None:
    iv = group_at("touchpoints")
    say(iv, "Instagram", BUDI)
    say(iv, "Word of mouth", CITRA)
    assert keys(command(iv, "done", BUDI))[0] == "error.facilitator_only"
    assert iv.state == "touchpoints"
    command(iv, "done", ANIA)
    assert iv.state == "actions"
    assert [(i.text, i.author) for i in iv.map.stages[0].items("touchpoints")] == [
        ("Instagram", BUDI),
        ("Word of mouth", CITRA),
    ]


def test_group_emotions_stay_open_to_everyone_until_the_facilitator_moves_on() -> None:
    iv = group_at("emotion")
    outcome = choose(iv, "0:-1", BUDI)
    assert keys(outcome) == ["ack.ratings"] and outcome.replies[0].quiet
    assert outcome.replies[1].refresh and outcome.replies[1].position == iv.position
    choose(iv, "0:1", CITRA)
    choose(iv, "0:-2", BUDI)  # Budi changes his mind: his rating is replaced, not added
    choose(iv, "0:2", ANIA)
    choose(iv, "1:x", ANIA)  # the facilitator's own faces do not move on either
    say(iv, "Persona2 good", BUDI)
    assert iv.position == Position(state="emotion", stage=0)
    stage = iv.map.stages[0]
    assert stage.emotion_spread("Persona1") == (-2, 2)
    assert sorted(r.score for r in stage.ratings_for("Persona1")) == [-2, 1, 2]
    assert [a.author for a in stage.absent_for("Persona2")] == [ANIA]
    assert [r.author for r in stage.ratings_for("Persona2")] == [BUDI]
    assert keys(command(iv, "done", BUDI))[0] == "error.facilitator_only"
    assert iv.state == "emotion"
    command(iv, "done", ANIA)
    assert iv.state == "pains"


def test_one_message_asks_every_persona_of_a_stage() -> None:
    _, iv = at("emotion", personas=2)
    asked = question(iv)
    assert asked.rows == (1, 6, 1, 6)
    assert [c.value for c in asked.choices[:7]] == [
        "0:?",
        "0:-2",
        "0:-1",
        "0:0",
        "0:1",
        "0:2",
        "0:x",
    ]
    shown = t.render(asked.text, "en")
    assert "how does each persona feel" in shown and "Persona1 -1, Persona2 +2" in shown
    assert keys(choose(iv, "1:?"))[0] == "error.rate_row"
    choose(iv, "1:1")
    assert iv.state == "emotion" and "Persona2: 🙂 +1 (Ania)" in t.render(question(iv).text, "en")
    choose(iv, "0:x")  # every persona answered: on to the next question
    assert iv.state == "pains"
    stage = iv.map.stages[0]
    assert stage.emotion_of("Persona1") is None and stage.emotion_of("Persona2") == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Persona1 -1 annoyed, Persona2 2", {"Persona1": (-1, "annoyed"), "Persona2": (2, "")}),
        ("persona2: good; Persona1 😞", {"Persona1": (-1, ""), "Persona2": (1, "")}),
        ("-1 slow, tired\n😄", {"Persona1": (-1, "slow, tired"), "Persona2": (2, "")}),
        ("Persona1 very bad, Persona2 x", {"Persona1": (-2, ""), "Persona2": None}),
        (
            "Persona1 bardzo dobrze, Persona2 sangat buruk",
            {"Persona1": (2, ""), "Persona2": (-2, "")},
        ),
    ],
)
def test_typed_faces_for_several_personas(typed: str, expected: dict) -> None:
    _, iv = at("emotion", personas=2)
    say(iv, typed)
    assert iv.state == "pains"
    stage = iv.map.stages[0]
    for persona, want in expected.items():
        got = [(r.score, r.word) for r in stage.ratings_for(persona)]
        assert got == ([want] if want else []), persona
        assert bool(stage.absent_for(persona)) == (want is None)


def test_a_bare_score_with_everyone_rated_asks_which_persona() -> None:
    iv = group_at("emotion")
    say(iv, "Persona1 1, Persona2 2", BUDI)
    outcome = say(iv, "-1", BUDI)
    assert keys(outcome)[0] == "error.rate_which"
    assert [r.score for r in iv.map.stages[0].ratings_for("Persona1")] == [1]


def test_an_interview_saved_at_a_persona_s_emotion_question_goes_on() -> None:
    _, iv = at("emotion", personas=2)
    saved = json.loads(iv.to_json())
    saved["persona"] = 1  # asked persona by persona before
    resumed = Interview.from_json(json.dumps(saved))
    assert resumed.position == Position(state="emotion", stage=0)
    say(resumed, "1, 2")
    assert resumed.state == "pains"


def test_a_late_answer_to_an_earlier_list_question_is_kept_there() -> None:
    iv = group_at("actions")
    late = Event.text("Google Maps", BUDI, target=Position(state="touchpoints", stage=0))
    outcome = handle(iv, late)
    assert keys(outcome) == ["ack.late_added"] and iv.state == "actions"
    assert iv.map.stages[0].items("touchpoints")[-1].text == "Google Maps"
    closed = Event.text("Another title", BUDI, target=Position(state="title"))
    assert keys(handle(iv, closed)) == ["error.question_closed"]
    assert iv.map.title == "title by Ania"


def test_only_the_facilitator_or_an_admin_cancels_a_group_interview() -> None:
    iv = group_at("goal")
    assert keys(command(iv, "cancel", BUDI))[0] == "error.facilitator_only"
    command(iv, "cancel", ANIA)
    assert keys(choose(iv, "cancel:yes", BUDI))[0] == "error.facilitator_only"
    assert iv.state == "goal"
    command(iv, "cancel", CITRA, admin=True)
    handle(iv, Event.choice("cancel:yes", CITRA, admin=True))
    assert iv.state == "cancelled"


# --- the declaration --------------------------------------------------------------------


def test_every_lane_has_a_step_and_every_stage_step_a_lane() -> None:
    asked = {s.lane for s in steps() if s.per_stage}
    assert asked == set(lanes())
    assert all(s.lane is not None for s in steps() if s.per_stage)


# --- interviews saved by an older engine ---------------------------------------------------

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "map_type"),
    [
        ("interview_before_lanes", MapType.BLUEPRINT),
        ("interview_before_lanes_editing", MapType.CURRENT),
    ],
)
def test_an_interview_saved_before_the_lanes_were_declared_goes_on(
    name: str, map_type: MapType
) -> None:
    """The JSON of interviews in progress, saved by the engine before the lanes had one
    declaration each (and before `events` was dropped), still loads, keeps every answer where
    it was, and the interview finishes."""
    saved = (DATA / f"{name}.json").read_text()
    iv = Interview.from_json(saved)
    old, new = json.loads(saved), json.loads(iv.to_json())
    for before, after in zip(old["map"]["stages"], new["map"]["stages"], strict=True):
        assert {key: after[key] for key in before} == before
    kept = set(old) - {"map", "events"}
    assert {k: old[k] for k in kept} == {k: new[k] for k in kept}
    person = Interviewee(map_type, personas=2, stages=3, authors=(ANIA, BUDI))
    while not iv.finished:
        handle(iv, person.answer(iv))
    assert iv.state == "done"
    if name == "interview_before_lanes":
        pains = [i.text for i in iv.map.stages[1].items("pains")]
        assert pains[:2] == ["Courier late", "No tracking link"]
        assert iv.map.stages[1].items("pains")[0].at is not None
        assert all(stage.answer("owner") for stage in iv.map.stages)


def test_a_group_s_one_answer_question_collects_proposals_and_the_facilitator_picks() -> None:
    iv = group_at("owner")
    asked = say(iv, "Marketing", BUDI)
    assert iv.state == "owner" and iv.map.stages[0].answer("owner").text == "Marketing"
    say(iv, "Courier desk", CITRA)
    shown = t.render(question(iv).text, "en")
    assert "1. Budi: Marketing" in shown and "2. Citra: Courier desk" in shown
    assert [c.value for c in question(iv).choices] == ["pick:0", "pick:1"]
    assert keys(choose(iv, "pick:0", BUDI))[0] == "error.facilitator_only"
    # A 👍 for Budi, and the question itself shows the proposals (edited, not posted again).
    assert asked.replies[0].quiet and asked.replies[-1].refresh
    assert asked.replies[-1].position == Position(state="owner", stage=0)
    choose(iv, "pick:0", ANIA)
    assert iv.state == "backstage" or iv.stage == 1
    owner = iv.map.stages[0].answer("owner")
    assert (owner.text, owner.author) == ("Marketing", BUDI)


def test_the_latest_proposal_stands_when_the_facilitator_moves_on() -> None:
    iv = group_at("owner")
    say(iv, "Marketing", BUDI)
    say(iv, "Courier desk", CITRA)
    command(iv, "done", ANIA)
    assert iv.map.stages[0].answer("owner").author == CITRA and iv.proposals == []


# --- no traps -----------------------------------------------------------------------------


def test_a_number_alone_is_questioned_not_kept() -> None:
    _, iv = at("stages")
    outcome = say(iv, "2")
    assert keys(outcome)[0] == "error.bare_number_choices" and iv.map.stages == []
    assert [c.value for c in outcome.replies[1].choices] == ["default"]  # the options again
    _, iv = at("pains")
    assert keys(say(iv, "-1"))[0] == "error.looks_like_score"
    assert keys(say(iv, "3"))[0] == "error.bare_number"
    assert iv.map.stages[0].items("pains") == []
    say(iv, "3 days to deliver")
    assert [i.text for i in iv.map.stages[0].items("pains")] == ["3 days to deliver"]


def test_an_over_long_answer_offers_to_keep_its_first_part() -> None:
    _, iv = at("goal")
    long = "Fewer complaints about late delivery " * 16  # 592 characters
    outcome = say(iv, long)
    assert iv.state == "goal" and outcome.replies[1].choices[0].value == "keep"
    assert "Keep the first part?" in texts(outcome)
    choose(iv, "keep")
    assert iv.state == "personas"
    assert len(iv.map.goal) <= LIMITS.item_chars and iv.map.goal.startswith("Fewer complaints")
    assert iv.map.goal.endswith("…")


def test_a_long_line_in_a_list_keeps_its_first_part_too() -> None:
    _, iv = at("pains")
    say(iv, "Short one\n" + "x" * 400)
    choose(iv, "keep")
    texts_ = [i.text for i in iv.map.stages[0].items("pains")]
    assert texts_[0] == "Short one" and len(texts_[1]) == LIMITS.item_chars


@pytest.mark.parametrize(
    ("argument", "position"),
    [
        ("goal", Position(state="goal")),
        ("Cel", Position(state="goal")),
        ("stage 2 pains", Position(state="pains", stage=1)),
        ("2 Pain points", Position(state="pains", stage=1)),
        ("Stage 2 touchpoints", Position(state="touchpoints", stage=1)),
    ],
)
def test_edit_in_plain_words_at_the_review(argument: str, position: Position) -> None:
    _, iv = at("review", personas=1, stages=3)
    command(iv, "edit", argument=argument)
    assert iv.position == position and iv.editing


@pytest.mark.parametrize("argument", ["4", "stage 2", "Stage 2", "etap 2"])
def test_edit_a_stage_by_number_offers_its_lanes(argument: str) -> None:
    _, iv = at("review", personas=1, stages=4)
    expected = 3 if argument == "4" else 1
    outcome = command(iv, "edit", argument=argument)
    assert iv.review_stage == expected and keys(outcome) == ["review.pick_lane"]


def test_edit_mid_interview_jumps_there_and_comes_back() -> None:
    _, iv = at("actions", personas=1, stages=3)
    command(iv, "edit", argument="goal")
    assert iv.state == "goal"
    say(iv, "A better goal")
    assert iv.position == Position(state="actions", stage=0) and iv.map.goal == "A better goal"
    command(iv, "edit", argument="stage 1")
    assert iv.position == Position(state="touchpoints", stage=0)
    command(iv, "back")
    assert iv.position == Position(state="actions", stage=0)


def test_edit_explains_what_it_takes() -> None:
    _, iv = at("actions", personas=1, stages=3)
    assert keys(command(iv, "edit", argument="9"))[0] == "error.no_such_stage"
    assert keys(command(iv, "edit", argument="colour"))[0] == "error.edit_usage"
    assert keys(command(iv, "edit"))[0] == "error.edit_usage"
    assert iv.position == Position(state="actions", stage=0)


def test_the_review_shows_the_answers_not_counts() -> None:
    _, iv = at("review", personas=1, stages=2)
    shown = t.render(question(iv).text, "en")
    assert "Touchpoints: touchpoints 0 item 1 by Ania, touchpoints 0 item 2 by Ania" in shown
    assert "What we have: needs_have None item 1 by Ania" in shown
    assert "Touchpoints 2" not in shown


def button(iv: Interview, kind: str, index: int) -> str:
    """The value of the ✎ (chg:) or ✕ (del:) button of an answer, as the question shows it."""
    values = [c.value for c in question(iv).choices if c.value.startswith(kind)]
    return values[index]


def test_one_answer_of_a_list_is_changed_or_removed_from_the_review() -> None:
    _, iv = at("review", personas=2, stages=2)
    command(iv, "edit", argument="stage 1 touchpoints")
    asked = question(iv)
    assert [c.value.split(".")[0] for c in asked.choices] == ["chg:0", "del:0", "chg:1", "del:1"]
    assert asked.rows == (2, 2)
    choose(iv, button(iv, "del:", 0))
    assert [i.text for i in iv.map.stages[0].items("touchpoints")] == [
        "touchpoints 0 item 2 by Ania"
    ]
    outcome = choose(iv, button(iv, "chg:", 0))
    assert "Type the new text" in texts(outcome) and outcome.replies[0].choices == ()
    say(iv, "Google Maps")
    assert [i.text for i in iv.map.stages[0].items("touchpoints")] == ["Google Maps"]
    say(iv, "Instagram")  # typed lines now add
    assert [i.text for i in iv.map.stages[0].items("touchpoints")] == ["Google Maps", "Instagram"]
    command(iv, "done")
    assert iv.state == "review"


def test_an_older_copy_of_the_buttons_cannot_remove_another_answer() -> None:
    _, iv = at("review", personas=1, stages=2)
    command(iv, "edit", argument="stage 1 touchpoints")
    first, second = button(iv, "del:", 0), button(iv, "del:", 1)
    choose(iv, first)  # the first answer goes; the second is now number 0
    stale = choose(iv, first)  # pressed again on the old message: it named the first answer
    assert keys(stale)[0] == "error.list_changed" and stale.replies[-1].refresh
    assert [i.text for i in iv.map.stages[0].items("touchpoints")] == [
        "touchpoints 0 item 2 by Ania"
    ]
    assert keys(choose(iv, second))[0] == "error.unknown_choice"  # no answer number 1 now
    choose(iv, button(iv, "chg:", 0))
    say(iv, "Instagram")
    assert [i.text for i in iv.map.stages[0].items("touchpoints")] == ["Instagram"]


def test_a_renamed_persona_keeps_its_ratings_and_a_renamed_stage_its_answers() -> None:
    _, iv = at("review", personas=2, stages=3)
    before = iv.map.stages[0].emotion_of("Persona2")
    choose(iv, "edit:personas")
    choose(iv, button(iv, "chg:", 1))
    say(iv, "Rudi: student")
    assert iv.map.persona_names() == ["Persona1", "Rudi"]
    assert iv.map.stages[0].emotion_of("Rudi") == before
    command(iv, "done")
    choose(iv, "edit:stages")
    choose(iv, button(iv, "chg:", 0))
    say(iv, "Order")
    assert iv.map.stages[0].name == "Order" and iv.map.stages[0].items("touchpoints")
    assert choose(iv, button(iv, "del:", 0)).replies[0].refresh and len(iv.map.stages) == 2
    assert keys(choose(iv, button(iv, "del:", 0)))[0] == "error.too_few"  # two stages at least
    assert JourneyMap.from_json(clone(iv).map.to_json()) == iv.map


def test_a_second_cancel_confirms_the_first_but_not_after_anything_else() -> None:
    _, iv = at("goal")
    command(iv, "cancel")
    say(iv, "A goal after all")
    command(iv, "cancel")
    assert iv.state == "personas"
    assert keys(command(iv, "cancel")) == ["cancelled"] and iv.state == "cancelled"


def test_an_interview_kept_under_older_limits_still_goes_on() -> None:
    """Answers are checked against the limits as they are given. An interview read back
    from the database is not counted again: a limit lowered since (here, a touchpoint
    longer than today's limit) does not lock the interview in progress out."""
    iv = Interviewee(MapType.CURRENT, personas=1, stages=2).run(until_state="touchpoints").interview
    data = json.loads(iv.to_json())
    data["map"]["stages"][0]["touchpoints"] = [
        {"text": "x" * (LIMITS.item_chars + 50), "author": data["map"]["created_by"]}
    ]
    stored = json.dumps(data)
    with pytest.raises(ValueError, match="characters, at most"):
        JourneyMap.from_json(json.dumps(data["map"]))  # a map from outside is checked
    back = Interview.from_json(stored)
    outcome = handle(back, Event.text("Instagram", ANIA))
    assert [i.text for i in back.map.stages[0].items("touchpoints")][-1] == "Instagram"
    assert outcome.replies
