"""The map image, checked on its structure (not against golden pixels): sizes within
Telegram's limits, every text inside its cell and clear of the others, faces at the height of
their score, every language's labels and letters, and partial maps."""

from __future__ import annotations

import io
import struct
import warnings
from functools import cache

import matplotlib
import numpy as np
import pytest
from matplotlib.text import Text

from bot.telegram_limits import PHOTO
from flows import spec
from flows.i18n import domain
from flows.model import Author, Item, JourneyMap, Persona, Rating, Stage
from flows.spec import EMOTION_MAX, EMOTION_MIN, LANGUAGES, MapType, lanes_for
from renderers import theme as th
from renderers.examples import example_paths, load_example, stress_map
from renderers.image import (
    MapDrawing,
    draw_map,
    png_bytes,
    preview_dpi,
    raster_text,
    render_pictures,
)
from renderers.labels import LOCALES, lane_holds
from renderers.layout import Kind
from renderers.textfit import clean, drawable
from tests.overlap import TOLERANCE, overlapping

EXAMPLES = [path.stem for path in example_paths()]
MAPS = [*EXAMPLES, "stress"]
ME = Author(id="1", name="Ania")


def test_there_are_three_examples() -> None:
    assert len(EXAMPLES) == 3


@pytest.fixture(autouse=True, scope="module")
def unhinted_text():
    """Text measured as the PDF draws it (vector, unhinted) and as the PNG's own glyph
    placement does (unhinted advances): Agg's hinting would round every advance to a whole
    pixel at 72 dpi, which no picture the map makes goes through any more."""
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        yield


@cache
def journey(name: str) -> JourneyMap:
    return stress_map() if name == "stress" else load_example(name)


@cache
def drawn(name: str) -> tuple[MapDrawing, float]:
    """The map drawn at its preview resolution, where text is smallest and hinting roughest;
    at least 72 dpi (a point a pixel): the largest map's overview photo shows text 2 px tall,
    where whole-pixel rounding would be all the test measured."""
    drawing = draw_map(journey(name))
    dpi = max(preview_dpi(drawing.layout), 72.0)
    drawing.figure.set_dpi(dpi)
    drawing.figure.canvas.draw()
    return drawing, dpi


def picture_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert image.format in ("PNG", "JPEG")
        return image.size


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def extents(drawing: MapDrawing) -> list[tuple[Text, object]]:
    renderer = drawing.figure.canvas.get_renderer()
    return [(t, t.get_window_extent(renderer)) for cell in drawing.cells for t in cell.texts]


# -- size ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MAPS)
def test_photos_fit_send_photo_and_examples_stay_legible(name: str) -> None:
    pictures = render_pictures(journey(name), limits=PHOTO)
    assert pictures.photos and len(pictures.photos) == len(pictures.parts)
    for data, size in zip(pictures.photos, pictures.photo_sizes, strict=True):
        width, height = picture_size(data)
        assert (width, height) == size
        assert width + height <= PHOTO.max_side_sum
        assert max(width, height) / min(width, height) <= PHOTO.max_ratio
        assert len(data) <= PHOTO.max_bytes
    if name != "stress":  # an everyday map: one photo, body text at least 12 px tall on it
        drawing = draw_map(journey(name))
        assert len(pictures.photos) == 1
        width, height = pictures.photo_sizes[0]
        shown = min(1.0, PHOTO.long_side / max(width, height)) * width  # as the phone gets it
        assert th.BODY.size * shown / drawing.layout.width >= th.MIN_BODY_PX
    assert png_size(pictures.full_png) == pictures.full_size
    if name == "stress":  # past the photo limits (width + height): downsized with Pillow
        assert pictures.photos[0] != pictures.full_png
        assert max(pictures.photo_sizes[0]) <= PHOTO.long_side
    else:  # already a valid photo: sent as drawn, no second encoding
        assert pictures.photos == [pictures.full_png]


def test_full_resolution_is_larger_and_keeps_the_layout() -> None:
    drawing = draw_map(journey(EXAMPLES[0]))
    width, height = png_size(png_bytes(drawing, th.FULL_DPI))
    assert abs(width - drawing.layout.width / 72 * th.FULL_DPI) <= 1
    assert abs(height - drawing.layout.height / 72 * th.FULL_DPI) <= 1
    assert width > th.PREVIEW_LONG_SIDE


# -- text placement -----------------------------------------------------------------------
@pytest.mark.parametrize("name", MAPS)
def test_every_text_lies_inside_its_cell(name: str) -> None:
    drawing, _ = drawn(name)
    renderer = drawing.figure.canvas.get_renderer()
    checked = 0
    for cell in drawing.cells:
        box = cell.extent()
        for text in cell.texts:
            inner = text.get_window_extent(renderer)
            where = (cell.cell.kind, cell.cell.stage, cell.cell.lane, text.get_text())
            assert inner.x0 >= box.x0 - TOLERANCE and inner.x1 <= box.x1 + TOLERANCE, where
            assert inner.y0 >= box.y0 - TOLERANCE and inner.y1 <= box.y1 + TOLERANCE, where
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("name", MAPS)
def test_the_pngs_text_stays_inside_its_cells_too(name: str) -> None:
    """The PNG draws its text itself (renderers.image.raster_text): each line's ink, at the
    photo's resolution, inside the cell it belongs to."""
    drawing = draw_map(journey(name), text="raster")
    dpi = max(preview_dpi(drawing.layout), 72.0)
    from PIL import Image

    image = Image.new("RGB", (round(drawing.layout.width / 72 * dpi) + 1,) * 2)
    owner = {id(line): cell for cell in drawing.layout.cells for line in cell.lines}
    inked = raster_text(image, drawing.overlay, dpi)
    assert len(inked) > 20
    scale = dpi / 72
    for line, (x0, y0, x1, y1) in inked:
        box = owner[id(line)].box
        where = (owner[id(line)].kind, line.text)
        assert x0 >= box.x * scale - 1 and x1 <= box.right * scale + 1, where
        assert y0 >= box.y * scale - 1 and y1 <= box.bottom * scale + 1, where


@pytest.mark.parametrize("name", MAPS)
def test_no_two_texts_overlap(name: str) -> None:
    drawing, _ = drawn(name)
    placed = extents(drawing)
    pairs = overlapping(placed)
    assert not pairs, pairs[:3]


@pytest.mark.parametrize("name", MAPS)
def test_every_drawn_text_belongs_to_a_cell(name: str) -> None:
    drawing, _ = drawn(name)
    in_cells = {id(t) for cell in drawing.cells for t in cell.texts}
    everywhere = [t for t in drawing.figure.findobj(Text) if t.get_visible() and t.get_text()]
    assert {id(t) for t in everywhere} == in_cells


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_stage_header_is_drawn_whole(name: str) -> None:
    drawing, _ = drawn(name)
    headers = {
        c.cell.stage: " ".join(t.get_text() for t in c.texts)
        for c in drawing.cells
        if c.cell.kind == Kind.STAGE
    }
    assert headers == {i: s.name for i, s in enumerate(journey(name).stages)}


def test_the_largest_map_the_interview_allows_shows_every_item_in_full() -> None:
    drawing, _ = drawn("stress")
    journey_map = journey("stress")
    lanes = [c for c in drawing.cells if c.cell.kind == Kind.LANE]
    assert len(lanes) == 10 * (len(lanes_for(MapType.BLUEPRINT)) - 1)
    for cell in lanes:
        assert not cell.cell.truncated
        stage = journey_map.stages[cell.cell.stage]
        items = stage.items(cell.cell.lane)
        shown = "".join(t.get_text() for t in cell.texts).replace(" ", "")
        assert shown == "".join(clean(i.text) for i in items).replace(" ", "")


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_show_every_item_in_full(name: str) -> None:
    drawing, _ = drawn(name)
    journey_map = journey(name)
    for cell in drawing.cells:
        if cell.cell.kind == Kind.LANE and cell.cell.lane != spec.lane("owner"):
            assert not cell.cell.truncated
            shown = " ".join(t.get_text() for t in cell.texts)
            items = journey_map.stages[cell.cell.stage].items(cell.cell.lane)
            assert shown == " ".join(clean(i.text).replace("\n", " ") for i in items)


# -- emotion lane -------------------------------------------------------------------------
@pytest.mark.parametrize("name", MAPS)
def test_faces_sit_at_the_height_of_their_score(name: str) -> None:
    drawing, dpi = drawn(name)
    journey_map = journey(name)
    renderer = drawing.figure.canvas.get_renderer()
    area = drawing.layout.emotion
    emotion_cell = next(c for c in drawing.cells if c.cell.kind == Kind.EMOTION)
    rated = {
        (p, i) for i, s in enumerate(journey_map.stages) for p in {r.persona for r in s.emotions}
    }
    assert {(f.persona, f.stage) for f in drawing.faces} == rated
    for f in drawing.faces:
        assert f.score == journey_map.stages[f.stage].emotion_of(f.persona)
        box = f.disc.get_window_extent(renderer)
        # Independently of the axes: the layout's scale, through the cell's own transform.
        expected = emotion_cell.to_display.transform((f.x, area.score_y(f.score)))
        assert abs((box.y0 + box.y1) / 2 - expected[1]) < 1.0
        assert abs((box.x0 + box.x1) / 2 - expected[0]) < 1.0
        assert abs(box.height - 2 * th.FACE_RADIUS / 72 * dpi) < 3
        assert emotion_cell.extent().contains(*expected)
    top = emotion_cell.to_display.transform((0, area.score_y(EMOTION_MAX)))[1]
    bottom = emotion_cell.to_display.transform((0, area.score_y(EMOTION_MIN)))[1]
    assert top > bottom  # +2 is drawn above −2


def test_a_group_map_shows_the_spread_of_ratings() -> None:
    drawing, _ = drawn("kopi-senja")
    journey_map = journey("kopi-senja")
    spreads = [
        s.emotion_spread(p)
        for s in journey_map.stages
        for p in journey_map.persona_names()
        if s.emotion_spread(p) and s.emotion_spread(p)[0] != s.emotion_spread(p)[1]
    ]
    assert len(spreads) >= 3
    lines = drawing.emotion_lines
    drawn_spans = [tuple(line.get_ydata()) for line in lines if line.get_alpha() == th.SPREAD_ALPHA]
    assert sorted(drawn_spans) == sorted(spreads)


def test_face_colour_runs_from_red_to_green() -> None:
    from renderers.faces import score_colour

    assert score_colour(EMOTION_MIN) == th.SCORE_RAMP[0]
    assert score_colour(EMOTION_MAX) == th.SCORE_RAMP[-1]


# -- languages and characters -------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_lane_labels_are_in_the_maps_language(lang: str) -> None:
    journey_map = journey("late-deliveries").model_copy(update={"language": lang})
    drawing = draw_map(journey_map)
    tr = domain(LOCALES)
    labels = {
        c.cell.lane: " ".join(t.get_text() for t in c.texts if t.get_ha() == "left")
        for c in drawing.cells
        if c.cell.kind == Kind.LABEL and c.cell.lane
    }
    filled = [lane for lane in lanes_for(MapType.BLUEPRINT) if lane_holds(journey_map, lane)]
    assert labels == {lane: tr(lang, lane.label_key) for lane in filled}
    visibility = next(c for c in drawing.cells if c.cell.kind == Kind.VISIBILITY)
    assert visibility.texts[0].get_text() == tr(lang, "render.line_of_visibility")


def test_a_lane_nobody_filled_is_left_out_until_nothing_is_filled() -> None:
    quick = journey("late-deliveries")
    for stage in quick.stages:
        for lane in ("actions", "thoughts", "opportunities"):
            stage.put(lane, [])
    drawn = {c.cell.lane for c in draw_map(quick).cells if c.cell.kind == Kind.LABEL}
    assert {lane.id for lane in drawn if lane} >= {"touchpoints", "emotion", "pains"}
    assert not {lane.id for lane in drawn if lane} & {"actions", "thoughts", "opportunities"}
    empty = JourneyMap(
        title="New", map_type=MapType.CURRENT, stages=[Stage(name="Find"), Stage(name="Buy")]
    )
    drawn = {c.cell.lane for c in draw_map(empty).cells if c.cell.kind == Kind.LABEL}
    assert {lane for lane in drawn if lane} == set(lanes_for(MapType.CURRENT))


def test_the_language_can_be_overridden() -> None:
    drawing = draw_map(journey("kopi-senja"), lang="pl")
    texts = {t.get_text() for c in drawing.cells for t in c.texts}
    assert "Problemy" in texts and "Titik masalah" not in texts


def test_polish_and_indonesian_letters_and_emoji_are_drawn_never_as_boxes() -> None:
    title = "Zażółć gęślą jaźń „cytat” – Ąę Łódź 😀👍🏽 ❤️ 👨‍👩‍👧 🥐 ⭐ 💳 📱"
    stage = Stage(
        name="Pembelian 🛒", touchpoints=[Item(text="Antre lama 😤! Kasir 👩🏻‍💼", author=ME)]
    )
    stage.rate(Rating(persona="Budi 😎", score=-1, word="panik 😱", author=ME))
    journey_map = JourneyMap(
        title=title, personas=[Persona(name="Budi 😎", author=ME)], stages=[stage]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        drawing = draw_map(journey_map)
        png_bytes(drawing, 50)
        raster = draw_map(journey_map, text="raster")
        png_bytes(raster, 50)
    texts = [t.get_text() for c in drawing.cells for t in c.texts]
    shown = {c.cell.kind: " ".join(t.get_text() for t in c.texts) for c in drawing.cells}
    # Noto Emoji draws each emoji by itself: joiners, skin tones and selectors are left out.
    assert shown[Kind.TITLE] == "Zażółć gęślą jaźń „cytat” – Ąę Łódź 😀👍 ❤ 👨👩👧 🥐 ⭐ 💳 📱"
    assert "Antre lama 😤! Kasir 👩💼" in texts
    assert "Pembelian 🛒" in texts and "Budi 😎" in texts
    assert all(ch in drawable() for text in texts for ch in text)
    assert [line.text for line in raster.overlay] == texts  # the PNG draws the same lines


def test_the_emoji_are_really_drawn_in_the_png() -> None:
    """A line of emoji only leaves ink on the picture: the fallback font drew them."""
    from PIL import Image

    plain = JourneyMap(title="Kopi", stages=[Stage(name="A"), Stage(name="B")])
    emoji = plain.model_copy(update={"title": "🥐⭐💳📱"})
    ink = []
    for journey_map in (plain, emoji):
        image = Image.open(io.BytesIO(png_bytes(draw_map(journey_map, text="raster"), 72)))
        top = image.convert("L").crop((0, 30, image.width, 60))
        ink.append(int((np.asarray(top) < 128).sum()))
    assert ink[1] > 0.5 * ink[0] > 0


def test_cleaning_drops_only_what_no_bundled_font_can_draw() -> None:
    assert clean("late 😤!") == "late 😤!"
    assert clean("ok 👍🏽 done") == "ok 👍 done"
    assert clean("Kopi ☕ enak ☺") == "Kopi ☕ enak ☺"
    assert clean("Zażółć „gęślą” jaźń – ok") == "Zażółć „gęślą” jaźń – ok"
    assert clean("👍") == "👍"
    assert clean("late 漢!") == "late!"  # no bundled font has CJK (the exports keep it)


def test_dollar_signs_stay_plain_text() -> None:
    stage = Stage(name="Price", pains=[Item(text="Costs $5 or $10 a month", author=ME)])
    drawing = draw_map(JourneyMap(title="$$ test", stages=[stage]))
    drawing.figure.canvas.draw()
    texts = {t.get_text() for c in drawing.cells for t in c.texts}
    assert {"Costs $5 or $10 a month", "$$ test"} <= texts


# -- map types and partial maps -----------------------------------------------------------
def test_blueprint_draws_the_line_of_visibility_above_the_backstage() -> None:
    layout = drawn("late-deliveries")[0].layout
    y, _, _ = layout.visibility_y
    labels = {c.lane.id: c for c in layout.cells if c.kind == Kind.LABEL and c.lane}
    owner, backstage = labels["owner"], labels["backstage"]
    assert owner.box.bottom < y < backstage.box.y
    assert drawn("kopi-senja")[0].layout.visibility_y is None


def test_day_in_the_life_shows_the_time_of_day() -> None:
    icons = [c.icon for c in drawn("fitness-studio")[0].layout.chevrons]
    assert icons[0] == "sun" and icons[-1] == "moon"
    assert all(c.icon is None for c in drawn("kopi-senja")[0].layout.chevrons)


def test_pain_points_stand_out() -> None:
    layout = drawn("kopi-senja")[0].layout
    pains = [
        line.style
        for c in layout.cells
        if c.lane == spec.lane("pains") and c.kind == Kind.LANE
        for line in c.lines
    ]
    assert pains and all(style == th.PAIN for style in pains)
    assert th.PAIN.color != th.BODY.color


PARTIAL = {
    "empty": JourneyMap(),
    "stages only": JourneyMap(stages=[Stage(name="Awareness"), Stage(name="")]),
    "personas, no ratings": JourneyMap(
        personas=[Persona(name="Ania", author=ME)], stages=[Stage(name="Awareness")]
    ),
    "no type, backstage filled": JourneyMap(
        stages=[Stage(name="Order", backstage=[Item(text="Packing", author=ME)])]
    ),
    "one stage rated": JourneyMap(
        map_type=MapType.DAY_IN_LIFE,
        personas=[Persona(name="Ghost", author=ME)],
        stages=[Stage(name="Morning", emotions=[Rating(persona="Ghost", score=2, author=ME)])],
    ),
}


@pytest.mark.parametrize("name", PARTIAL)
def test_partial_maps_render(name: str) -> None:
    drawing = draw_map(PARTIAL[name])
    width, height = png_size(png_bytes(drawing, preview_dpi(drawing.layout)))
    assert width > 500 and height > 200
    lanes = [c for c in drawing.cells if c.cell.kind == Kind.LANE]
    assert lanes and all(
        not c.texts
        for c in lanes
        if not PARTIAL[name].stages or c.cell.lane != spec.lane("backstage")
    )


def test_scores_use_the_languages_decimal_mark() -> None:
    from renderers.labels import score_text

    assert [score_text(-1.5, "pl"), score_text(0.5, "id"), score_text(1.5, "en")] == [
        "−1,5",
        "+0,5",
        "+1.5",
    ]
    assert (score_text(0, "pl"), score_text(2, "pl"), score_text(-2, "en")) == ("0", "+2", "−2")


# -- emotions readable (issue 12) ---------------------------------------------------------
def five_personas() -> JourneyMap:
    names = ["Ania", "Budi", "Citra", "Dewi", "Eko"]
    team = [ME, Author(id="2", name="Sari")]
    stages = []
    for i in range(4):
        stage = Stage(name=f"Stage {i + 1}")
        for j, name in enumerate(names):
            for k, member in enumerate(team):
                word = "panic, cake not ready" if (i + j) % 3 == 0 else ""
                stage.rate(
                    Rating(persona=name, score=(i + j + k) % 5 - 2, word=word, author=member)
                )
        stages.append(stage)
    return JourneyMap(
        title="Five", personas=[Persona(name=n, author=ME) for n in names], stages=stages
    )


def test_five_personas_are_told_apart_and_the_spread_has_a_legend() -> None:
    from renderers.emotion import line_style

    journey_map = five_personas()
    drawing = draw_map(journey_map)
    layout = drawing.layout
    area = layout.emotion
    # each persona its own line style (and colour), shown in the legend with its name
    assert len({str(line_style(j)) for j in range(5)}) == 5
    lines = [s for s in layout.swatches if s.kind == "line"]
    assert [s.persona for s in lines] == [0, 1, 2, 3, 4]
    assert any(s.kind == "spread" for s in layout.swatches)
    legend = next(c for c in layout.cells if c.kind == Kind.LEGEND)
    legend_text = [line.text for line in legend.lines]
    assert legend_text[:5] == [p.name for p in journey_map.personas]
    assert legend_text[5] == domain(LOCALES)("en", "render.spread")
    # the faces of one stage side by side inside its column, never in the next one
    half = (layout.width - 2 * th.MARGIN - th.LABEL_W - th.GAP) / len(journey_map.stages) / 2
    for face in drawing.faces:
        centre = area.centres[face.stage]
        assert abs(face.x - centre) + th.FACE_RADIUS < half - th.GAP
    assert len({round(o, 3) for o in area.offsets}) == 5


def test_emotion_words_stand_after_their_personas_face() -> None:
    journey_map = five_personas()
    layout = draw_map(journey_map).layout
    words = {c.stage: c for c in layout.cells if c.kind == Kind.WORDS}
    faces = [s for s in layout.swatches if s.kind == "face"]
    for i, stage in enumerate(journey_map.stages):
        said = [p.name for p in journey_map.personas if stage.words_for(p.name)]
        if not said:
            assert i not in words
            continue
        text = " ".join(line.text for line in words[i].lines)
        assert text.count("panic, cake not ready") == len(said)
        for name in said:
            assert f"{name}: panic, cake not ready" in text
        box = words[i].box
        mine = [f for f in faces if box.x <= f.x <= box.right and box.y <= f.y <= box.bottom]
        assert len(mine) == len(said)  # one face before each persona's words
        assert {f.score for f in mine} == {stage.emotion_of(n) for n in said}


def test_a_cell_past_any_interview_limit_says_how_much_the_pdf_holds_besides() -> None:
    """The one cap left: a cell of more than theme.MAX_CELL_LINES lines (the interview never
    makes one) ends with "+N more · full text in the PDF", in the map's language."""
    long_items = [Item(text="panjang " * 300, author=ME) for _ in range(12)]
    stage = Stage(name="A", pains=long_items)
    fields = {"title": "Cap", "language": "id", "stages": [stage, Stage(name="B")]}
    journey_map = JourneyMap.model_validate(fields, context={"limits": None})
    layout = draw_map(journey_map).layout
    cell = next(c for c in layout.cells if c.kind == Kind.LANE and c.lane == spec.lane("pains"))
    assert cell.truncated
    assert len(cell.lines) <= th.MAX_CELL_LINES + 2
    items_shown = len(cell.bullets)  # one bullet per item; the note has none
    assert 0 < items_shown < 12
    note = " ".join(line.text for line in cell.lines if not line.text.startswith("panjang"))
    assert note == f"+{12 - items_shown} lainnya · teks lengkap di PDF"
