"""The priority matrix image, checked like the map: every text inside its box and clear of the
others, every quadrant and axis label present in each language, every opportunity listed in
the quadrant its mean ratings place it in."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

from flows.model import Author, Item, JourneyMap, Stage
from flows.priorities import HIGH, LOW, MEDIUM, Quadrant, Vote, opportunities, rate
from flows.spec import LANGUAGES, MapType
from renderers.labels import tr
from renderers.matrix import draw_matrix, render_matrix
from tests.overlap import TOLERANCE, overlapping

ME = Author(id="1", name="Andi")
LONG = (
    "Kirim tautan pelacakan lewat WhatsApp begitu paket diserahkan ke kurir, dengan perkiraan "
    "jam tiba dan nomor admin yang bisa dihubungi kalau ada masalah di jalan"
)


@pytest.fixture(autouse=True, scope="module")
def unhinted_text():
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        yield


def a_map(lang: str) -> JourneyMap:
    ideas = [
        ["Second packing slot at 3 pm", "QRIS at the till"],
        ["Tracking link by WhatsApp", LONG],
        ["Loyalty card: tenth coffee free", "Ask for a review after delivery"],
        ["Tiga slot pengemasan — Łódź „ż” ☕"],
    ]
    stages = [
        Stage(name=f"Stage {i}", opportunities=[Item(text=t, author=ME) for t in texts])
        for i, texts in enumerate(ideas)
    ]
    return JourneyMap(title="Kopi Senja", language=lang, map_type=MapType.CURRENT, stages=stages)


def votes_for(journey_map: JourneyMap) -> list[Vote]:
    found = opportunities(journey_map)
    plan = [(HIGH, LOW), (HIGH, HIGH), (LOW, LOW), (LOW, HIGH), (HIGH, LOW), (MEDIUM, LOW)]
    votes = []
    for o, (impact, effort) in zip(found, plan, strict=False):
        for voter in "abc":
            votes.append(Vote(o.id, voter, impact, effort))
    return votes  # the last opportunity stays unrated


def drawn(lang: str):
    journey_map = a_map(lang)
    found = opportunities(journey_map)
    rated = rate(found, votes_for(journey_map))
    numbers = {o.id: n for n, o in enumerate(found, 1)}
    drawing, layout = draw_matrix(journey_map, rated, numbers)
    drawing.figure.set_dpi(100)
    drawing.figure.canvas.draw()
    return drawing, layout, rated, numbers


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_lies_inside_its_box_and_none_overlap(lang: str) -> None:
    drawing, _, _, _ = drawn(lang)
    renderer = drawing.figure.canvas.get_renderer()
    placed = []
    for cell in drawing.cells:
        box = cell.extent()
        for text in cell.texts:
            inner = text.get_window_extent(renderer)
            where = (cell.cell.role, text.get_text())
            assert inner.x0 >= box.x0 - TOLERANCE and inner.x1 <= box.x1 + TOLERANCE, where
            assert inner.y0 >= box.y0 - TOLERANCE and inner.y1 <= box.y1 + TOLERANCE, where
            placed.append((text, inner))
    assert len(placed) > 20
    pairs = overlapping(placed)
    assert not pairs, pairs[:3]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_label_is_present_in_the_language(lang: str) -> None:
    drawing, _, _, _ = drawn(lang)
    shown = " ".join(t.get_text() for cell in drawing.cells for t in cell.texts)
    shown = " ".join(shown.split())
    for key in (
        "matrix.low_effort",
        "matrix.high_effort",
        "matrix.high_impact",
        "matrix.low_impact",
        "matrix.unrated",
        *(f"matrix.{q.value}" for q in Quadrant),
    ):
        label = tr(lang, key)
        assert label != key and label in shown, (lang, key)
    assert tr(lang, "matrix.title", title="Kopi Senja") in shown


def test_each_opportunity_sits_in_its_quadrant_whole() -> None:
    drawing, layout, rated, numbers = drawn("id")
    placed = {
        n: cell.quadrant for cell in layout.cells if cell.role == "quadrant" for n in cell.numbers
    }
    for r in rated:
        if r.quadrant is not None:
            assert placed[numbers[r.opportunity.id]] == r.quadrant
    unrated = next(c for c in layout.cells if c.role == "unrated")
    assert unrated.numbers == [7]
    long_number = numbers[opportunities(a_map("id"))[3].id]
    long_cell = next(c for c in drawing.cells if long_number in c.cell.numbers)
    text = " ".join(t.get_text() for t in long_cell.texts)
    assert " ".join(LONG.split()) in " ".join(text.split())


def test_the_png_is_a_picture_of_sensible_size() -> None:
    from PIL import Image

    journey_map = a_map("pl")
    found = opportunities(journey_map)
    data = render_matrix(
        journey_map, rate(found, votes_for(journey_map)), {o.id: n for n, o in enumerate(found, 1)}
    )
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert 1000 < width < 3000 and 600 < height < 6000
        # Ink in the quick wins' green band.
        pixels = np.asarray(image.convert("RGB"))
        assert (np.abs(pixels.astype(int) - [0x2B, 0x8A, 0x3E]).sum(axis=2) < 10).sum() > 1000
