"""CSV export: one row per answer — every lane item, every emotion rating (with its persona and
score), the owners, the personas and the needs — for a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flows.model import Item, JourneyMap
from flows.spec import Lane
from renderers.labels import lane_label, language_of, listed_lanes, stage_name, tr

COLUMNS = ("stage", "lane", "persona", "score", "text", "author", "at")


def _row(stage: str, lane: str, item: Item, persona: str = "", score: str = "") -> list[str]:
    at = item.at.isoformat() if item.at else ""
    return [stage, lane, persona, score, item.text, item.author.name, at]


def rows(journey_map: JourneyMap, lang: str) -> Iterator[list[str]]:
    persona_lane = tr(lang, "render.csv.persona")
    for p in journey_map.personas:
        yield [
            "",
            persona_lane,
            p.name,
            "",
            p.description,
            p.author.name,
            p.at.isoformat() if p.at else "",
        ]
    lanes = listed_lanes(journey_map)
    for index, stage in enumerate(journey_map.stages):
        name = stage_name(lang, stage, index)
        for lane in lanes:
            label = lane_label(lang, lane)
            if lane == Lane.EMOTION:
                for r in stage.emotions:
                    at = r.at.isoformat() if r.at else ""
                    yield [name, label, r.persona, str(r.score), r.word, r.author.name, at]
            elif lane == Lane.OWNER:
                if stage.owner:
                    yield _row(name, label, stage.owner)
            else:
                yield from (_row(name, label, item) for item in stage.items(lane))
    for key, items in (
        ("render.needs_have", journey_map.needs.have),
        ("render.needs_need", journey_map.needs.need),
    ):
        label = tr(lang, key)
        yield from (_row("", label, item) for item in items)


def csv_bytes(journey_map: JourneyMap, lang: str | None = None) -> bytes:
    """UTF-8 with a byte-order mark: without it Excel shows ą and ł as mojibake."""
    lang = language_of(journey_map, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([tr(lang, f"render.csv.{column}") for column in COLUMNS])
    writer.writerows(rows(journey_map, lang))
    return buffer.getvalue().encode("utf-8-sig")
