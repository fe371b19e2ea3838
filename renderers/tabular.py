"""CSV export: one row per answer — every lane item, every emotion rating (with its persona and
score), the owners, the personas and the needs — for a spreadsheet.

Formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that begins with `=`, `+`,
`-` or `@` as a formula (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`), and some also after a leading
tab or carriage return. Every such cell gets a `'` in front, which the spreadsheet shows as
plain text; the rest of the text is kept as written. The one exception is a plain number
("-1", "+2", "-0.5"): it cannot call anything, and the score column stays numeric. A user's
"- item" or "-5% off" is prefixed like any other text that starts with a minus.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from flows.model import Item, JourneyMap
from flows.spec import Shape
from renderers.labels import lane_label, language_of, listed_lanes, stage_name, tr

COLUMNS = ("stage", "lane", "persona", "score", "text", "author", "at")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def neutralised(cell: str) -> str:
    """The cell as text a spreadsheet will not run (see the module's docstring)."""
    if cell.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def safe_rows(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    for row in rows:
        yield [neutralised(cell) for cell in row]


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
            if lane.shape == Shape.RATINGS:
                for r in stage.emotions:
                    at = r.at.isoformat() if r.at else ""
                    yield [name, label, r.persona, str(r.score), r.word, r.author.name, at]
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
    header = [tr(lang, f"render.csv.{column}") for column in COLUMNS]
    writer.writerows(safe_rows([header, *rows(journey_map, lang)]))
    return buffer.getvalue().encode("utf-8-sig")
