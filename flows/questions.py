"""What the interview says: the question for a position, its choices and progress line.

Everything is returned as `Text` (translation key + parameters); the console and the bot
translate it into the interview's language."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.i18n import Join, Text
from flows.interview import Interview, Position, positions
from flows.model import Item, JourneyMap
from flows.spec import DEFAULT_STAGES, EMOTION_SCORES, LIST_LANES, Lane, MapType
from flows.steps import EDITABLE_STEPS, SECTIONS, STEPS, Kind

FINISH = "finish"
REVIEW = "review"


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


def emotion_label(score: int) -> Text:
    return Text.of(f"emotion.{score}")


def signed(score: float) -> str:
    """+1, 0, −1.5: how scores are written in summaries."""
    if score == 0:
        return "0"
    return f"{score:+.0f}" if float(score).is_integer() else f"{score:+.1f}"


def default_stage_keys(map_type: MapType | None) -> tuple[str, ...]:
    return DEFAULT_STAGES[map_type or MapType.CURRENT]


def _items(items: list[Item]) -> list[str]:
    return [f"• {item.text}" for item in items]


def current_items(interview: Interview, position: Position) -> list[str]:
    """What has been answered at a position, one line per item (for back/edit/review)."""
    jm, step = interview.map, position.step
    if step.state == "personas":
        return [
            f"• {p.name}: {p.description}" if p.description else f"• {p.name}" for p in jm.personas
        ]
    if step.state == "stages":
        return [f"{i}. {s.name}" for i, s in enumerate(jm.stages, 1)]
    if step.state == "needs_have":
        return _items(jm.needs.have)
    if step.state == "needs_need":
        return _items(jm.needs.need)
    if step.state in ("title", "goal"):
        value = getattr(jm, step.state)
        return [value] if value else []
    if step.state == "map_type":
        return []
    stage = jm.stages[position.stage or 0]
    if step.lane in LIST_LANES:
        return _items(stage.items(step.lane))
    if step.lane == Lane.OWNER:
        return [stage.owner.text] if stage.owner else []
    if step.lane == Lane.EMOTION and position.persona is not None:
        persona = jm.personas[position.persona].name
        return [
            f"{signed(r.score)} {r.word}".strip() + f" ({r.author.name})"
            for r in stage.ratings_for(persona)
        ]
    return []


def progress(interview: Interview, position: Position) -> Text:
    step = position.step
    number = SECTIONS.index(step.section) + 1
    if position.stage is None:
        return Text.of("progress", step=number, total=len(SECTIONS), section=Text.of(step.section))
    stage = interview.map.stages[position.stage]
    return Text.of(
        "progress.stage",
        step=number,
        total=len(SECTIONS),
        stage=stage.name,
        index=position.stage + 1,
        count=len(interview.map.stages),
        lane=Text.of(f"lane.{step.lane}"),
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
    return tuple(available)


def question(interview: Interview) -> Reply:
    """The question the interview is at, with what was already answered there."""
    position = interview.position
    if position.state == REVIEW:
        return review(interview)
    step, jm = position.step, interview.map
    params: dict[str, object] = {}
    choices: tuple[Choice, ...] = ()
    numbered = True
    if position.stage is not None:
        params["stage"] = jm.stages[position.stage].name
    if step.kind == Kind.EMOTION and position.persona is not None:
        params["persona"] = jm.personas[position.persona].name
        choices = tuple(Choice(str(s), emotion_label(s)) for s in EMOTION_SCORES)
        numbered = False
    if step.state == "map_type":
        choices = tuple(Choice(t.value, Text.of(f"maptype.{t.value}")) for t in MapType)
    if step.state == "stages" and not jm.stages:
        names = [Text.of(key) for key in default_stage_keys(jm.map_type)]
        choices = (Choice("default", Text.of("choice.default_stages", stages=_arrows(names))),)
    key = step.question
    if step.lane == Lane.OWNER and not step.skippable(jm.map_type):
        key = "q.owner_required"
    parts: list[Text | str] = [Text(key, params)]
    answered = current_items(interview, position)
    if answered:
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
            Text.of("review.lane_count", lane=Text.of(f"lane.{lane}"), count=len(stage.items(lane)))
            for lane in LIST_LANES
            if stage.items(lane)
        ]
        moods = [
            f"{name} {signed(score)}"
            for name in jm.persona_names()
            if (score := stage.emotion_of(name)) is not None
        ]
        lines.append(
            Text.of(
                "review.stage",
                index=index,
                stage=stage.name,
                lanes=Join.of(filled, ", ") if filled else Text.of("none"),
                emotions=", ".join(moods) or "—",
                owner=stage.owner.text if stage.owner else "—",
            )
        )
    lines.append(Text.of("review.needs", have=len(jm.needs.have), need=len(jm.needs.need)))
    return lines


def review(interview: Interview) -> Reply:
    jm = interview.map
    position = interview.position
    if interview.review_stage is not None:
        index = interview.review_stage
        lane_steps = [s for s in STEPS if s.per_stage and s.applies(jm.map_type)]
        choices = (
            *(Choice(f"edit:{s.state}:{index}", Text.of(f"lane.{s.lane}")) for s in lane_steps),
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
    )
    return Reply(
        text=Text.of("review.intro", lines=summary(jm)),
        choices=choices,
        position=position,
        progress=progress(interview, position),
        commands=("back",),
    )
