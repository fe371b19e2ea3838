"""What the interview says: the question for a position, its choices and progress line.

Everything is returned as `Text` (translation key + parameters); the console and the bot
translate it into the interview's language."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from flows import effort, templates
from flows.analysis import moment_candidates
from flows.i18n import Join, Text, t
from flows.interview import Interview, Position, positions
from flows.model import Author, JourneyMap, Persona, Stage
from flows.spec import (
    DEFAULT_STAGES,
    EMOTION_SCORES,
    FACES,
    LANGUAGES,
    NOT_PART_MARK,
    Depth,
    LaneSpec,
    MapType,
    Shape,
    derived,
    lanes_for,
)
from flows.steps import EDITABLE_STEPS, Kind, Step, steps
from flows.steps import step as step_named
from flows.targets import signed

_NOBODY = Author(id="", name="")
FINISH = "finish"
REVIEW = "review"
DEFAULT = "default"  # the stages question's "take the suggested list"
NEXT = "next"  # the command that ends a list (a list needs no typed /done)
DEEPEN = "deepen"  # deepen:<stage>, the review's "ask the rest of this stage"
SUGGESTION = "s"  # a suggestion's choice value: "s" and its index in `suggested()`
PICKED = "✓ "
# The emotion question's button values, after the persona's number: a score, or these.
NOT_PART = "x"  # the persona has no part in this stage
ROW = "?"  # the persona's name above its row of faces
PICK = "pick"  # pick:<n>, the facilitator takes a member's proposal for a one-answer question
PROPOSAL_LABEL_CHARS = 40  # a proposal's button shows its beginning
REVIEW_ITEM_CHARS = 60  # the review shows each answer's beginning
# An answer of a list being edited: ✎ (its new text is typed next) and ✕ (taken away), each
# followed by the answer's number and a fingerprint of its text, so that an older copy of the
# buttons, pressed after the list changed, cannot hit another answer.
CHANGE = "chg:"
REMOVE = "del:"
ITEM_LABEL_CHARS = 28


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text | Join  # a Join: words that need no translation (a suggestion, a name)


@dataclass(frozen=True)
class Reply:
    """One message to send. A question carries its position, choices and commands."""

    text: Text | Join
    choices: tuple[Choice, ...] = ()
    # Whether the console may accept a choice's position number (never for emotion scores,
    # where a typed number is the score itself).
    numbered: bool = True
    position: Position | None = None
    progress: Text | None = None
    commands: tuple[str, ...] = field(default_factory=tuple)
    # A confirmation that an answer was kept; a group chat may show it as a reaction on the
    # member's message instead of a message of its own.
    quiet: bool = False
    # The question again after a suggestion was tapped on it (its ✓ changed): shown in place
    # of the message tapped rather than as a new message.
    refresh: bool = False
    # Its choices are suggestions to toggle (several may be picked), not one answer to pick.
    toggles: bool = False
    # How many choices go on each row of buttons (empty: one a row); the emotion question's
    # persona name above its row of faces.
    rows: tuple[int, ...] = ()


def emotion_label(score: int) -> Text:
    return Text.of(f"emotion.{score}")


def rating_label(score: int | None) -> Text:
    """A score's label, or "no part in this stage" (None)."""
    return emotion_label(score) if score is not None else Text.of("emotion.none")


@cache
def face_words() -> dict[str, int | None]:
    """The words people type for a face, in every language ("good", "baik", "dobrze"; None:
    "no part here"), from the catalogs' comma-separated `face_words.<score>` lists."""
    words: dict[str, int | None] = {}
    for lang in LANGUAGES:
        for score in (*EMOTION_SCORES, None):
            listed = t(lang, f"face_words.{score if score is not None else 'none'}")
            for word in listed.split(","):
                if word.strip():
                    words.setdefault(word.strip().casefold(), score)
    return words


def _rating_question(interview: Interview, position: Position) -> Reply:
    """One message for all personas at a stage: a face per persona, or "no part here"."""
    jm = interview.map
    assert position.stage is not None
    stage = jm.stages[position.stage]
    names = jm.persona_names()
    rows: tuple[int, ...] = ()
    if len(names) == 1:  # the faces with their words, one a row
        key = "q.emotion_one"
        choices = tuple(Choice(f"0:{s}", emotion_label(s)) for s in EMOTION_SCORES)
        choices += (Choice(f"0:{NOT_PART}", Text.of("choice.not_part")),)
    else:  # each persona's name, and under it a row of faces
        key = "q.emotion"
        choices = ()
        for index, name in enumerate(names):
            choices += (Choice(f"{index}:{ROW}", Text.of("choice.persona_row", persona=name)),)
            choices += tuple(
                Choice(f"{index}:{s}", Text.of("choice.face", face=FACES[s]))
                for s in EMOTION_SCORES
            )
            choices += (Choice(f"{index}:{NOT_PART}", Text.of("choice.face", face=NOT_PART_MARK)),)
            rows += (1, len(EMOTION_SCORES) + 1)
    example = ", ".join(f"{name} {score:+d}" for name, score in zip(names, (-1, 2), strict=False))
    persona = names[0] if names else ""
    parts: list[Text | str] = [Text.of(key, stage=stage.name, persona=persona, example=example)]
    answered = current_items(interview, position)
    if answered:
        parts.append(Text.of("q.ratings_so_far", items=answered))
    return Reply(
        text=Join.of(parts),
        choices=choices,
        numbered=False,
        position=position,
        progress=progress(interview, position),
        commands=commands(interview, position),
        rows=rows,
    )


def default_stage_keys(map_type: MapType | None) -> tuple[str, ...]:
    return DEFAULT_STAGES[map_type or MapType.CURRENT]


def default_stages(interview: Interview) -> list[Text | str]:
    """The stages to offer: the business template's for this map type, else the generic
    ones (as catalog keys, named in the interview's language when accepted)."""
    jm = interview.map
    if interview.kind:
        try:
            map_type = jm.map_type or MapType.CURRENT
            names = templates.default_stages(interview.kind, map_type, jm.language)
        except KeyError:  # a kind whose template file was removed
            names = []
        if names:
            return list(names)
    return [Text.of(key) for key in default_stage_keys(jm.map_type)]


def suggested(interview: Interview, position: Position) -> list[str]:
    """What the business template suggests for a question, in the interview's language (empty
    without a template, for a stage the template does not know, or a lane it has none for)."""
    kind, jm = interview.kind, interview.map
    if not kind:
        return []
    map_type = jm.map_type or MapType.CURRENT
    step = position.step
    try:
        if step.state == "personas":
            return [persona.line() for persona in templates.personas(kind, jm.language)]
        lane = step.lane
        if lane is None or lane.shape == Shape.RATINGS or position.stage is None:
            return []
        key = templates.find_stage(kind, map_type, jm.stages[position.stage].name)
        if key is None:
            return []
        return templates.suggestions(kind, map_type, key, lane, jm.language)
    except (KeyError, ValueError):
        return []


def item_ref(index: int, entry: object) -> str:
    """`3.1a2b3c`: the answer's number and the start of its text's digest."""
    digest = hashlib.blake2s(entry_text(entry).encode(), digest_size=3).hexdigest()
    return f"{index}.{digest}"


def entry_text(entry: object) -> str:
    """An answer as its suggestion reads ("Name: description" for a persona)."""
    if isinstance(entry, Persona):
        return f"{entry.name}: {entry.description}" if entry.description else entry.name
    return str(getattr(entry, "text", getattr(entry, "name", "")))


def picked(interview: Interview, position: Position) -> set[str]:
    """The suggestions (by text, case ignored) already among the answers at a position."""
    target = position.step.target
    entries = getattr(target, "entries", None)
    if entries is None:
        return set()
    return {entry_text(e).casefold() for e in entries(interview.map, position)}


def suggestion_choices(interview: Interview, position: Position) -> tuple[Choice, ...]:
    """The suggestions as choices; for a list, a ✓ marks each one picked."""
    offered = suggested(interview, position)
    chosen = picked(interview, position) if position.step.kind == Kind.LIST else set()
    return tuple(
        Choice(
            f"{SUGGESTION}{index}",
            Join.of([(PICKED if text.casefold() in chosen else "") + text], ""),
        )
        for index, text in enumerate(offered)
    )


def current_items(interview: Interview, position: Position) -> list[str]:
    """What has been answered at a position, one line per item (for back/edit/review)."""
    target = position.step.target
    return target.answered(interview.map, position) if target is not None else []


def _planned(interview: Interview) -> list[Position]:
    """Every question this interview is expected to ask: its stages and personas once given,
    the template's (or the usual) numbers before."""
    jm = interview.map
    if jm.stages:
        return interview.positions()
    # Before the stages (and while the personas are given): the template's numbers at least.
    sample = jm.model_copy()
    stages = len(default_stages(interview))
    sample.__dict__["stages"] = [Stage(name=str(i)) for i in range(stages)]
    personas = max(len(suggested(interview, Position(state="personas"))) or 2, len(jm.personas))
    nobody = jm.created_by or _NOBODY
    sample.__dict__["personas"] = [Persona(name=str(i), author=nobody) for i in range(personas)]
    return positions(sample, interview.route)


def _expected_seconds(interview: Interview, position: Position) -> float:
    # Summed over every question left at each answer: worked out once per step.
    key = (position.state, interview.tapping)
    known = _seconds_by_step()
    if key not in known:
        known[key] = _step_seconds(*key)
    return known[key]


@derived
def _seconds_by_step() -> dict[tuple[str, bool], float]:
    return {}


def _step_seconds(state: str, tapping: bool) -> float:
    step = step_named(state)
    # With templates on, suggestions will be offered even before the kind is picked.
    offered = tapping and (
        step.state == "personas" or (step.lane is not None and step.lane.shape != Shape.RATINGS)
    )
    return effort.expected_seconds(step.kind.value, offered)


def minutes_left(interview: Interview, position: Position, depth: Depth | None = None) -> int:
    """Minutes the rest of the interview is expected to take from `position` (at `depth`)."""
    if depth is not None:
        interview = interview.model_copy(update={"depth": depth})
    planned = _planned(interview)
    start = planned.index(position) if position in planned else len(planned) - 1
    return effort.minutes(sum(_expected_seconds(interview, p) for p in planned[start:]))


def progress(interview: Interview, position: Position) -> Text:
    """ "Question 12 of about 26 · ~5 min left": counted from the questions this map will ask,
    the minutes by the effort model (flows/effort.py)."""
    step = position.step
    planned = _planned(interview)
    try:
        number = planned.index(position) + 1
    except ValueError:  # a question outside the plan (a quick map's lane, from the review)
        number = len(planned)
    left = sum(_expected_seconds(interview, p) for p in planned[number - 1 :])
    common = {"number": number, "total": len(planned), "minutes": effort.minutes(left)}
    if position.stage is None or step.lane is None:
        return Text.of("progress", **common, section=Text.of(step.section))
    stage = interview.map.stages[position.stage]
    return Text.of(
        "progress.stage",
        **common,
        stage=stage.name,
        index=position.stage + 1,
        count=len(interview.map.stages),
        lane=Text.of(step.lane.label_key),
    )


def commands(interview: Interview, position: Position) -> tuple[str, ...]:
    step, jm = position.step, interview.map
    available = []
    order = interview.positions()
    if interview.editing or (position in order and order.index(position) > 0):
        available.append("back")
    answered = len(current_items(interview, position))
    if interview.tapping and step.kind == Kind.LIST:
        # One button ends the list, whether anything was picked or not (nothing: skipped).
        if answered >= step.min_items:
            available.append(NEXT)
        return tuple(available)
    if step.skippable(jm.map_type) and step.kind != Kind.REVIEW:
        available.append("skip")
    if step.kind == Kind.LIST and answered >= max(step.min_items, 1):
        available.append("done")
    if step.kind == Kind.EMOTION and current_items(interview, position):
        available.append("done")
    if step.kind == Kind.TEXT and interview.proposals:
        available.append("done")
    return tuple(available)


def question(interview: Interview) -> Reply:
    """The question the interview is at, with what was already answered there."""
    position = interview.position
    if position.state == REVIEW:
        return review(interview)
    step, jm = position.step, interview.map
    if step.kind == Kind.EMOTION:
        return _rating_question(interview, position)
    params: dict[str, object] = {}
    choices: tuple[Choice, ...] = ()
    numbered = True
    if position.stage is not None:
        params["stage"] = jm.stages[position.stage].name
    if step.state == "map_type":
        choices = tuple(Choice(t.value, Text.of(f"maptype.{t.value}")) for t in MapType)
    if step.state == "business":
        choices = tuple(
            Choice(kind, Join.of([label], "")) for kind, label in templates.kind_labels(jm.language)
        )
    if step.state == "depth":
        choices = tuple(Choice(d.value, Text.of(f"depth.{d.value}")) for d in Depth)
        params.update({d.value: minutes_left(interview, position, d) for d in Depth})
    toggles = False
    if step.state == "stages" and not jm.stages:
        names = default_stages(interview)
        choices = (Choice(DEFAULT, Text.of("choice.default_stages", stages=_arrows(names))),)
    elif step.kind in (Kind.LIST, Kind.TEXT) and interview.kind:
        choices = suggestion_choices(interview, position)
        toggles = step.kind == Kind.LIST and bool(choices)
    parts: list[Text | str] = [Text(step.question(jm.map_type), params)]
    if step.kind == Kind.LIST and not interview.tapping:
        parts.append(Text.of("q.list_done"))  # with templates, a button ends the list
    answered = current_items(interview, position)
    if interview.proposals:  # a group's proposals for a one-answer question
        listed = [f"{i}. {p.author.name}: {p.text}" for i, p in enumerate(interview.proposals, 1)]
        leader = interview.facilitator.name if interview.facilitator else ""
        parts.append(Text.of("q.proposals", items=listed, name=leader))
        choices = tuple(
            Choice(
                f"{PICK}:{i}", Text.of("choice.proposal", name=p.author.name, answer=_short(p.text))
            )
            for i, p in enumerate(interview.proposals)
        )
    elif answered:
        hint = "q.answered_list" if step.kind == Kind.LIST else "q.answered"
        if interview.revisit and step.kind == Kind.LIST:
            hint = "q.answered_replace"
        parts.append(Text.of(hint, items=answered))
    rows: tuple[int, ...] = ()
    if interview.editing and step.kind == Kind.LIST:  # each answer: ✎ change, ✕ remove
        entries = _entries(interview, position)
        rows = (1,) * len(choices) + (2,) * len(entries)
        for index, entry in enumerate(entries):
            shown = _short(entry_text(entry), ITEM_LABEL_CHARS)
            ref = item_ref(index, entry)
            choices += (
                Choice(f"{CHANGE}{ref}", Text.of("choice.change_item", item=shown)),
                Choice(f"{REMOVE}{ref}", Text.of("choice.remove_item", item=shown)),
            )
    if interview.changing is not None:
        choices, rows = (), ()
    return Reply(
        text=Join.of(parts),
        choices=choices,
        numbered=numbered,
        position=position,
        progress=progress(interview, position),
        commands=commands(interview, position),
        rows=rows,
        toggles=toggles,
    )


def _entries(interview: Interview, position: Position) -> list:
    entries = getattr(position.step.target, "entries", None)
    return list(entries(interview.map, position)) if entries is not None else []


def _short(text: str, limit: int = PROPOSAL_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _arrows(names: list[Text | str]) -> Join | Text:
    return Join.of(names, " → ") if names else Text.of("none")


def summary(jm: JourneyMap) -> list[Text | str]:
    """The map in a few lines, for the review screen."""
    lines: list[Text | str] = [
        Text.of("review.title", title=jm.title or "—"),
        Text.of("review.type", type=Text.of(f"maptype.{jm.map_type or MapType.CURRENT}")),
        Text.of("review.goal", goal=jm.goal or "—"),
        Text.of("review.personas", personas=", ".join(jm.persona_names()) or "—"),
    ]
    for index, stage in enumerate(jm.stages, 1):
        filled = [
            part for lane in lanes_for(jm.map_type) if (part := _lane_summary(jm, stage, lane))
        ]
        lines.append(
            Text.of(
                "review.stage",
                index=index,
                stage=stage.name,
                lanes=Join.of(filled, "\n") if filled else Text.of("none"),
            )
        )
    have, need = (_listed(i.text for i in items) for items in (jm.needs.have, jm.needs.need))
    lines.append(Text.of("review.needs", have=have or "—", need=need or "—"))
    return lines


def _listed(texts: Iterable[str]) -> str:
    """Answers in one line, each cut short: the review shows content, not counts."""
    return ", ".join(_short(text, REVIEW_ITEM_CHARS) for text in texts)


def _lane_summary(jm: JourneyMap, stage: Stage, lane: LaneSpec) -> Text | None:
    """A lane at a stage in a few words: how many items, the answer, the scores."""
    name = Text.of(lane.label_key)
    if lane.shape == Shape.RATINGS:
        moods = [
            f"{persona} {signed(score)}" if score is not None else f"{persona} {NOT_PART_MARK}"
            for persona in jm.persona_names()
            if (score := stage.emotion_of(persona)) is not None or stage.absent_for(persona)
        ]
        return Text.of("review.lane_value", lane=name, value=", ".join(moods)) if moods else None
    items = stage.items(lane)
    if not items:
        return None
    if lane.shape == Shape.SINGLE:
        return Text.of("review.lane_value", lane=name, value=items[0].text)
    return Text.of("review.lane_value", lane=name, value=_listed(i.text for i in items))


def empty_lanes(interview: Interview, stage: int) -> list[Position]:
    """The lane questions of a stage that have no answer yet, in order: what deepening a
    stage (a quick map's other lanes, later) asks."""
    jm = interview.map
    found = []
    for each in steps():
        if each.lane is None or not each.per_stage or not each.applies(jm.map_type):
            continue
        where = Position(state=each.state, stage=stage)
        if not current_items(interview, where):
            found.append(where)
    return found


MOMENT = "moment"  # a review choice: moment:<stage index> flags or unflags the stage


def moment_choices(jm: JourneyMap) -> tuple[Choice, ...]:
    """Flag a moment of truth: offered for the purchase and the stage that feels worst, and
    to unflag any stage flagged already."""
    offered = set(moment_candidates(jm)) | {
        i for i, stage in enumerate(jm.stages) if stage.moment_of_truth
    }
    return tuple(
        Choice(
            f"{MOMENT}:{i}",
            Text.of(
                "choice.moment_off" if jm.stages[i].moment_of_truth else "choice.moment_on",
                stage=jm.stages[i].name,
            ),
        )
        for i in sorted(offered)
    )


def review(interview: Interview) -> Reply:
    jm = interview.map
    position = interview.position
    if interview.review_stage is not None:
        index = interview.review_stage
        lane_steps: list[Step] = [
            s for s in steps() if s.lane and s.per_stage and s.applies(jm.map_type)
        ]
        deepen = (
            (Choice(f"{DEEPEN}:{index}", Text.of("choice.deepen")),)
            if empty_lanes(interview, index)
            else ()
        )
        choices = (
            *deepen,
            *(
                Choice(f"edit:{s.state}:{index}", Text.of(s.lane.label_key))
                for s in lane_steps
                if s.lane
            ),
            Choice(REVIEW, Text.of("choice.back_to_review")),
        )
        return Reply(
            text=Text.of("review.pick_lane", stage=jm.stages[index].name),
            choices=choices,
            position=position,
            progress=progress(interview, position),
        )
    choices = (
        Choice(FINISH, Text.of("choice.finish")),
        *(Choice(f"edit:{state}", Text.of(f"edit.{state}")) for state in EDITABLE_STEPS),
        *(
            Choice(f"edit:stage:{i}", Text.of("edit.stage", index=i + 1, stage=s.name))
            for i, s in enumerate(jm.stages)
        ),
        *moment_choices(jm),
    )
    return Reply(
        text=Text.of("review.intro", lines=summary(jm)),
        choices=choices,
        position=position,
        progress=progress(interview, position),
        commands=("back",),
    )
