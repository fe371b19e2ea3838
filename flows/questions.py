"""What the interview says: the question for a position, its choices and progress line.

Everything is returned as `Text` (translation key + parameters); the console and the bot
translate it into the interview's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from flows.analysis import moment_candidates
from flows.i18n import Join, Text, t
from flows.interview import Interview, Position, positions
from flows.model import JourneyMap, Stage
from flows.spec import (
    DEFAULT_STAGES,
    EMOTION_SCORES,
    FACES,
    LANGUAGES,
    NOT_PART_MARK,
    LaneSpec,
    MapType,
    Shape,
    lanes_for,
)
from flows.steps import EDITABLE_STEPS, Kind, sections, steps
from flows.targets import signed

FINISH = "finish"
REVIEW = "review"
# The emotion question's button values, after the persona's number: a score, or these.
NOT_PART = "x"  # the persona has no part in this stage
ROW = "?"  # the persona's name above its row of faces
PICK = "pick"  # pick:<n>, the facilitator takes a member's proposal for a one-answer question
PROPOSAL_LABEL_CHARS = 40  # a proposal's button shows its beginning


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text


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


def current_items(interview: Interview, position: Position) -> list[str]:
    """What has been answered at a position, one line per item (for back/edit/review)."""
    target = position.step.target
    return target.answered(interview.map, position) if target is not None else []


def progress(interview: Interview, position: Position) -> Text:
    step = position.step
    order = sections()
    number = order.index(step.section) + 1
    if position.stage is None or step.lane is None:
        return Text.of("progress", step=number, total=len(order), section=Text.of(step.section))
    stage = interview.map.stages[position.stage]
    return Text.of(
        "progress.stage",
        step=number,
        total=len(order),
        stage=stage.name,
        index=position.stage + 1,
        count=len(interview.map.stages),
        lane=Text.of(step.lane.label_key),
    )


def commands(interview: Interview, position: Position) -> tuple[str, ...]:
    step, jm = position.step, interview.map
    available = []
    if interview.editing or positions(jm).index(position) > 0:
        available.append("back")
    if step.skippable(jm.map_type) and step.kind != Kind.REVIEW:
        available.append("skip")
    if step.kind == Kind.LIST and len(current_items(interview, position)) >= max(step.min_items, 1):
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
    if step.state == "stages" and not jm.stages:
        names = [Text.of(key) for key in default_stage_keys(jm.map_type)]
        choices = (Choice("default", Text.of("choice.default_stages", stages=_arrows(names))),)
    parts: list[Text | str] = [Text(step.question(jm.map_type), params)]
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
    return Reply(
        text=Join.of(parts),
        choices=choices,
        numbered=numbered,
        position=position,
        progress=progress(interview, position),
        commands=commands(interview, position),
    )


def _short(text: str) -> str:
    return text if len(text) <= PROPOSAL_LABEL_CHARS else text[: PROPOSAL_LABEL_CHARS - 1] + "…"


def _arrows(names: list[Text]) -> Join | Text:
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
                lanes=Join.of(filled, "; ") if filled else Text.of("none"),
            )
        )
    lines.append(Text.of("review.needs", have=len(jm.needs.have), need=len(jm.needs.need)))
    return lines


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
    return Text.of("review.lane_count", lane=name, count=len(items))


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
        lane_steps = [s for s in steps() if s.lane and s.per_stage and s.applies(jm.map_type)]
        choices = (
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
