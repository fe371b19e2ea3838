"""The map as a text document: every answer in full, with its author, and the checklist. The PDF
and the HTML export both lay out this one structure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flows.model import Item, JourneyMap, Stage
from flows.spec import LaneSpec, Shape
from renderers.labels import (
    date_text,
    lane_label,
    language_of,
    listed_lanes,
    map_type_label,
    persona_names,
    score_text,
    stage_name,
    title_of,
    tr,
)

# A checklist as renderers.checklist hands it over (`checklist_sections_for_export`): sections
# of (text, ticked) rows, where ticked is None for a note (a line that is not ticked: "nothing
# stands out", what changed), or plain text.
ChecklistSection = tuple[str, Sequence[tuple[str, bool | None]]]
Checklist = str | Sequence[ChecklistSection] | None


@dataclass(frozen=True)
class Entry:
    text: str
    author: str = ""
    ticked: bool | None = None  # None: not a checklist item (an answer, a note)
    muted: bool = False  # "nothing yet"


@dataclass(frozen=True)
class Section:
    heading: str
    entries: list[Entry] = field(default_factory=list)
    level: int = 2  # 1: a stage or a part of the document; 2: a lane within it
    lane: LaneSpec | None = None  # a lane's section takes the lane's colour


@dataclass(frozen=True)
class Report:
    lang: str
    title: str
    document_title: str
    facts: list[tuple[str, str]]  # ("Map type", "Service blueprint"), ("Goal", …)
    sections: list[Section]


def _entries(items: Sequence[Item], lang: str) -> list[Entry]:
    if not items:
        return [Entry(tr(lang, "render.nothing"), muted=True)]
    return [Entry(item.text, item.author.name) for item in items]


def _rating(score: int, word: str, lang: str) -> str:
    return (
        tr(lang, "render.rating_word", score=score_text(score, lang), word=word)
        if word
        else score_text(score, lang)
    )


def emotion_entries(stage: Stage, personas: list[str], lang: str) -> list[Entry]:
    """Each person's rating, after a summary of the persona's when several people rated."""
    entries = []
    for persona in personas:
        ratings = stage.ratings_for(persona)
        low_high = stage.emotion_spread(persona)
        mean = stage.emotion_of(persona)
        if len(ratings) > 1 and low_high is not None and mean is not None:
            low, high = low_high
            summary = tr(
                lang,
                "render.emotion_summary",
                persona=persona,
                mean=score_text(mean, lang),
                count=len(ratings),
                low=score_text(low, lang),
                high=score_text(high, lang),
            )
            entries.append(Entry(summary))
        entries += [
            Entry(f"{persona}: {_rating(r.score, r.word, lang)}", r.author.name) for r in ratings
        ]
    return entries or [Entry(tr(lang, "render.nothing"), muted=True)]


def lane_entries(journey_map: JourneyMap, stage: Stage, lane: LaneSpec, lang: str) -> list[Entry]:
    if lane.shape == Shape.RATINGS:
        return emotion_entries(stage, persona_names(journey_map), lang)
    return _entries(stage.items(lane), lang)


def checklist_sections(checklist: Checklist, lang: str) -> list[Section]:
    if checklist is None:
        return []
    if isinstance(checklist, str):
        lines = [line.strip() for line in checklist.splitlines() if line.strip()]
        return [Section(tr(lang, "render.checklist"), [Entry(line) for line in lines], level=1)]
    sections = [Section(tr(lang, "render.checklist"), level=1)]
    for heading, items in checklist:
        entries = [Entry(text, ticked=None if done is None else bool(done)) for text, done in items]
        sections.append(Section(heading, entries))
    return sections


def build_report(
    journey_map: JourneyMap, lang: str | None = None, checklist: Checklist = None
) -> Report:
    lang = language_of(journey_map, lang)
    title = title_of(journey_map, lang)
    facts = [(tr(lang, "render.map_type"), map_type_label(lang, journey_map.map_type))]
    if journey_map.goal.strip():
        facts.append((tr(lang, "render.goal"), journey_map.goal))
    facts.append(("", tr(lang, "render.created", date=date_text(journey_map.created_at, lang))))
    names = ", ".join(a.name for a in journey_map.contributors())
    if names:
        facts.append(("", tr(lang, "render.contributors", names=names)))

    sections = []
    if journey_map.personas:
        people = [
            Entry(f"{p.name} — {p.description}" if p.description else p.name, p.author.name)
            for p in journey_map.personas
        ]
        sections.append(Section(tr(lang, "render.personas"), people, level=1))
    lanes = listed_lanes(journey_map)
    for index, stage in enumerate(journey_map.stages):
        name = stage_name(lang, stage, index)
        if stage.moment_of_truth:
            name = f"{name} · ⭐ {tr(lang, 'render.moment_of_truth')}"
        sections.append(
            Section(tr(lang, "render.stage_heading", number=index + 1, name=name), level=1)
        )
        for lane in lanes:
            entries = lane_entries(journey_map, stage, lane, lang)
            sections.append(Section(lane_label(lang, lane), entries, lane=lane))
    needs = journey_map.needs
    if needs.have or needs.need:
        sections.append(Section(tr(lang, "render.needs"), level=1))
        sections.append(Section(tr(lang, "render.needs_have"), _entries(needs.have, lang)))
        sections.append(Section(tr(lang, "render.needs_need"), _entries(needs.need, lang)))
    sections += checklist_sections(checklist, lang)
    document_title = tr(lang, "render.doc_title", title=title)
    return Report(lang, title, document_title, facts, sections)
