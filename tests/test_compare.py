"""The before/after comparison picture, checked on what it draws (the curves' data, the texts
placed) rather than on pixels: sizes within Telegram's limits, one dashed and one solid curve
per persona through the right scores, stages of either map on the x axis, the language, and
maps with nothing to compare."""

from __future__ import annotations

import re
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

from flows.analysis import compare
from flows.i18n import load_catalog
from flows.model import Author, JourneyMap, Persona, Rating, Stage
from flows.spec import LANGUAGES, MapType
from renderers import theme as th
from renderers.compare import ComparisonDrawing, draw_comparison, render_comparison
from renderers.image import preview_dpi
from renderers.labels import LOCALES, tr
from renderers.textfit import drawable

ME = Author(id="1", name="Ania")
SOURCE = Path(__file__).resolve().parents[1] / "renderers" / "compare.py"

Scores = dict[str, float]


def journey(
    title: str,
    stages: list[tuple[str, Scores]],
    personas: tuple[str, ...] = ("Dewi", "Budi"),
    lang: str = "en",
    map_type: MapType | None = MapType.CURRENT,
) -> JourneyMap:
    """A map with one rating per persona and stage (a stage's dict leaves some unrated)."""
    built = []
    for name, scores in stages:
        stage = Stage(name=name)
        for persona, score in scores.items():
            stage.rate(Rating(persona=persona, score=int(score), author=ME))
        built.append(stage)
    return JourneyMap(
        title=title,
        language=lang,
        map_type=map_type,
        personas=[Persona(name=p, author=ME) for p in personas],
        stages=built,
    )


def current() -> JourneyMap:
    return journey(
        "Kopi Senja",
        [
            ("Awareness", {"Dewi": 1, "Budi": 0}),
            ("Ordering", {"Dewi": 0, "Budi": -1}),
            ("Delivery", {"Dewi": -2, "Budi": -1}),
            ("Old loyalty card", {"Dewi": 1}),  # only in this map
        ],
    )


def future() -> JourneyMap:
    return journey(
        "Kopi Senja",
        [
            ("awareness", {"Dewi": 1, "Budi": 1}),  # matched case-insensitively
            ("Ordering", {"Dewi": 0}),  # Budi not rated here any more
            ("Live tracking", {"Dewi": 2, "Budi": 1}),  # only in this map
            ("DELIVERY", {"Dewi": 1, "Budi": -1}),
        ],
        map_type=MapType.FUTURE,
    )


def texts(drawing: ComparisonDrawing) -> list[str]:
    return [t.get_text() for cell in drawing.cells for t in cell.texts]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def y_at(line: Line2D, x: float) -> set[float]:
    """The curve's heights where it passes the stage's centre (an eased curve rests there)."""
    xs, ys = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    return {float(y) for y in ys[np.isclose(xs, x)]}


# -- the picture ----------------------------------------------------------------------------
def test_png_is_valid_and_fits_send_photo() -> None:
    data = render_comparison(current(), future())
    width, height = png_size(data)
    assert width + height <= 10_000
    assert max(width, height) <= th.PREVIEW_LONG_SIDE
    assert max(width, height) / min(width, height) <= 20
    assert min(width, height) >= 600  # a real picture, not a thumbnail
    assert len(data) < 10 * 1024 * 1024


def test_the_largest_comparison_still_fits_send_photo() -> None:
    """Ten stages each, none shared, and five personas each, none shared: twenty columns."""
    names = tuple(f"Persona {j} with a rather long name" for j in range(5))
    others = tuple(f"Someone else {j}" for j in range(5))
    before = journey(
        "A", [(f"Stage {i}", dict.fromkeys(names, i % 5 - 2)) for i in range(10)], names
    )
    after = journey(
        "B", [(f"Other {i}", dict.fromkeys(others, 2 - i % 5)) for i in range(10)], others
    )
    drawing = draw_comparison(before, after)
    assert len(drawing.columns) == 20 and len(drawing.personas) == 10
    data = render_comparison(before, after)
    width, height = png_size(data)
    assert width + height <= 10_000 and max(width, height) <= th.PREVIEW_LONG_SIDE
    assert len(data) < 10 * 1024 * 1024


def test_a_full_map_against_its_copy_stays_legible() -> None:
    """A ten-stage map against its copy with two stages added: body-size text at least 12 px
    tall on the phone-sized picture, as the map itself promises."""
    stages = [(f"Stage {i}", {"Dewi": i % 5 - 2, "Budi": 0}) for i in range(10)]
    before = journey("M", stages)
    # Two stages added, two removed: twelve columns from two maps of ten (the most there are).
    after = journey("M", [*stages[:5], ("New A", {}), ("New B", {}), *stages[5:8]])
    drawing = draw_comparison(before, after)
    assert len(drawing.columns) == 12
    assert th.BODY.size / 72 * preview_dpi(drawing.layout) >= 12


def test_no_two_texts_overlap_and_each_stays_in_its_cell() -> None:
    drawing = draw_comparison(current(), future())
    drawing.figure.set_dpi(preview_dpi(drawing.layout))
    drawing.figure.canvas.draw()
    renderer = drawing.figure.canvas.get_renderer()
    placed = []
    for cell in drawing.cells:
        box = cell.extent()
        for text in cell.texts:
            extent = text.get_window_extent(renderer)
            assert extent.x0 >= box.x0 - 0.5 and extent.x1 <= box.x1 + 0.5, text.get_text()
            assert extent.y0 >= box.y0 - 0.5 and extent.y1 <= box.y1 + 0.5, text.get_text()
            placed.append((text.get_text(), extent))
    for i, (a, box_a) in enumerate(placed):
        for b, box_b in placed[i + 1 :]:
            assert not box_a.overlaps(box_b), (a, b)


# -- the curves -----------------------------------------------------------------------------
def test_one_before_and_one_after_line_per_persona_through_the_scores() -> None:
    before, after = current(), future()
    drawing = draw_comparison(before, after)
    assert drawing.personas == ["Dewi", "Budi"]
    # In the figure itself: exactly one line of each kind per persona.
    gids = [line.get_gid() for ax in drawing.figure.axes for line in ax.lines if line.get_gid()]
    assert sorted(gids) == sorted(f"{v}:{p}" for p in ("Dewi", "Budi") for v in ("before", "after"))
    columns = {c.name.casefold(): c for c in drawing.columns}
    expected = {
        ("Dewi", "awareness"): (1, 1),
        ("Budi", "awareness"): (0, 1),
        ("Dewi", "ordering"): (0, 0),
        ("Dewi", "delivery"): (-2, 1),
        ("Budi", "delivery"): (-1, -1),
    }
    for (persona, stage), (old, new) in expected.items():
        x = columns[stage].x
        assert y_at(drawing.curve(persona, "before").line, x) == {old}, (persona, stage)
        assert y_at(drawing.curve(persona, "after").line, x) == {new}, (persona, stage)
    # Budi's after curve has no point at "Ordering", where nobody rated him.
    assert y_at(drawing.curve("Budi", "after").line, columns["ordering"].x) == set()
    # The same numbers as flows.analysis.compare gives.
    for change in compare(before, after).emotions:
        column = drawing.columns[[c.after for c in drawing.columns].index(change.after_stage)]
        for version, score in (("before", change.before), ("after", change.after)):
            line = drawing.curve(change.persona, version).line
            assert y_at(line, column.x) == (set() if score is None else {score})


def test_before_is_dashed_and_lighter_after_is_solid() -> None:
    drawing = draw_comparison(current(), future())
    for persona in drawing.personas:
        old, new = drawing.curve(persona, "before").line, drawing.curve(persona, "after").line
        assert old.get_linestyle() != "-" and new.get_linestyle() == "-"
        assert sum(to_rgb(old.get_color())) > sum(to_rgb(new.get_color()))


def test_a_stage_only_in_one_map_is_on_the_x_axis() -> None:
    drawing = draw_comparison(current(), future())
    # after's order, then what only before has; after's spelling of matched names
    assert [c.name for c in drawing.columns] == [
        "awareness",
        "Ordering",
        "Live tracking",
        "DELIVERY",
        "Old loyalty card",
    ]
    shown = texts(drawing)
    assert "Live tracking" in shown and "Old loyalty card" in shown
    assert tr("en", "compare.stage_added") in shown
    assert tr("en", "compare.stage_removed") in shown
    live, old = drawing.columns[2], drawing.columns[4]
    assert (live.before, live.after) == (None, 2) and (old.before, old.after) == (3, None)
    assert y_at(drawing.curve("Dewi", "after").line, live.x) == {2}
    assert y_at(drawing.curve("Dewi", "before").line, old.x) == {1}
    assert y_at(drawing.curve("Dewi", "before").line, live.x) == set()


def test_personas_match_case_insensitively_and_new_ones_get_a_panel() -> None:
    before = journey("M", [("A", {"dewi": -1})], personas=("dewi",))
    after = journey("M", [("A", {"Dewi": 1, "Rina": 2})], personas=("Dewi", "Rina"))
    drawing = draw_comparison(before, after)
    assert drawing.personas == ["Dewi", "Rina"]
    x = drawing.columns[0].x
    assert y_at(drawing.curve("Dewi", "before").line, x) == {-1}
    assert y_at(drawing.curve("Rina", "before").line, x) == set()
    assert tr("en", "compare.persona_added") in texts(drawing)


# -- the words ------------------------------------------------------------------------------
def test_the_biggest_changes_are_listed_first() -> None:
    drawing = draw_comparison(current(), future())
    assert [(c.stage_name, c.persona, c.delta) for c in drawing.changes] == [
        ("DELIVERY", "Dewi", 3),
        ("awareness", "Budi", 1),
    ]
    shown = texts(drawing)
    assert "DELIVERY · Dewi: −2 → +1 (+3)" in shown
    assert shown.index("DELIVERY · Dewi: −2 → +1 (+3)") < shown.index(
        "awareness · Budi: 0 → +1 (+1)"
    )


def test_the_legend_names_both_maps_even_with_equal_titles() -> None:
    before, after = current(), future()
    after.map_type = MapType.CURRENT  # same title, same type: "before" and "after" tell them apart
    drawing = draw_comparison(before, after)
    assert drawing.labels == (
        tr("en", "compare.label_before", title="Kopi Senja"),
        tr("en", "compare.label_after", title="Kopi Senja"),
    )
    assert drawing.labels[0] != drawing.labels[1]
    custom = draw_comparison(before, after, before_label="Map 3 · v1", after_label="Map 3 · v2")
    assert {"Map 3 · v1", "Map 3 · v2"} <= set(texts(custom))


def test_labels_are_in_polish() -> None:
    drawing = draw_comparison(current(), future(), lang="pl")
    shown = texts(drawing)
    for key in ("compare.heading", "compare.changes", "compare.stage_added"):
        assert tr("pl", key) in shown
        assert tr("en", key) not in shown
    assert "Porównanie" in tr("pl", "compare.heading")
    # current → future: the map types, in Polish, tell the equal titles apart
    assert drawing.labels[0].endswith(tr("pl", "maptype.current"))
    assert drawing.labels[1].endswith(tr("pl", "maptype.future"))


def test_the_maps_language_is_the_default() -> None:
    before, after = current(), future()
    after.language = "id"
    assert tr("id", "compare.heading") in texts(draw_comparison(before, after))


def test_emoji_in_user_text_never_become_boxes() -> None:
    before = journey("Kopi ☕🚚", [("Delivery 🚚", {"Dewi 😤": -2})], personas=("Dewi 😤",))
    after = journey("Kopi ☕🚚", [("Delivery 🚚", {"Dewi 😤": 1})], personas=("Dewi 😤",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        render_comparison(before, after, before_label="v1 🙂", after_label="v2 🎉")
    drawing = draw_comparison(before, after, before_label="v1 🙂", after_label="v2 🎉")
    ok = drawable()
    for text in texts(drawing):
        assert all(ch in ok for ch in text), text
    assert "Delivery 🚚 · Dewi 😤: −2 → +1 (+3)" in texts(drawing)  # Noto Emoji draws them


# -- nothing to compare ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    ["no ratings", "no personas", "no stages", "one stage", "one map empty"],
)
def test_maps_with_nothing_to_compare_still_render(case: str) -> None:
    stages: list[tuple[str, Scores]] = [("A", {}), ("B", {})]
    if case == "no ratings":
        before = after = journey("M", stages)
    elif case == "no personas":
        before = after = journey("M", stages, personas=())
    elif case == "no stages":
        before = after = JourneyMap()
    elif case == "one stage":
        before = after = journey("M", [("Only", {"Dewi": 2})], personas=("Dewi",))
    else:
        before, after = JourneyMap(), current()
    drawing = draw_comparison(before, after)
    width, height = png_size(render_comparison(before, after))
    assert width > 0 and height > 0
    shown = texts(drawing)
    if case == "no ratings":
        assert tr("en", "compare.no_ratings") in shown
        assert all(len(c.line.get_xdata()) == 0 for c in drawing.curves)
        assert len(drawing.curves) == 4
    if case == "no personas":
        assert tr("en", "compare.no_personas") in shown and not drawing.curves
    if case == "no stages":
        assert tr("en", "render.no_stages") in shown
    if case == "one stage":
        assert tr("en", "compare.no_changes") in shown


# -- the catalogs ---------------------------------------------------------------------------
def compare_keys_in_code() -> set[str]:
    return set(re.findall(r"""["'](compare\.[a-z_]+)["']""", SOURCE.read_text(encoding="utf-8")))


def test_every_compare_key_exists_in_every_language() -> None:
    used = compare_keys_in_code()
    assert len(used) >= 10
    for lang in LANGUAGES:
        catalog = load_catalog(LOCALES, lang)
        assert used <= set(catalog), (lang, used - set(catalog))
        defined = {key for key in catalog if key.startswith("compare.")}
        assert defined == used, (lang, defined ^ used)  # no key left over either
