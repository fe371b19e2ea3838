"""Issue 12: the map shows everything it holds — every word, emoji and persona — and its
pictures meet Telegram's photo limits.

Maps past everything the interview allows (12 items of 600 characters in every lane, 8 and 10
stages, 5 personas rating with words, stage names that differ only at their end, a 110-character
title with emoji) are drawn; every text of the map must be among the lines the PNG draws, whole,
in the cell it belongs to, and every photo must fit sendPhoto.
"""

from __future__ import annotations

import io
import re
from functools import cache

import pytest
from PIL import Image

from bot.telegram_limits import PHOTO
from flows.model import Author, Item, JourneyMap, Needs, Persona, Rating, Stage
from flows.spec import MapType, Shape, lanes
from renderers.image import draw_map, render_pictures
from renderers.layout import Kind
from renderers.textfit import clean

TEAM = [Author(id=str(k), name=name) for k, name in enumerate(("Sari", "Budi", "Ania"))]
PERSONAS = ["Rina 🎓", "Pak Budi", "Dewi", "Łukasz Żółć", "Ibu Siti"]
SENTENCE = (
    "Pelanggan menunggu kue ulang tahun 🎂 — „czy tort będzie gotowy na 15:00?” — lalu "
    "menelepon lagi 📱, bayar $25 + 10% VAT, https://example.com/order/12345/status ⭐ "
)


def text(chars: int, seed: int) -> str:
    """Exactly `chars` characters, different for every seed."""
    body = f"[{seed}] " + SENTENCE * (chars // len(SENTENCE) + 2)
    return body[:chars]


def title() -> str:
    out = "Toko Roti Manis 🥐 — customer journey of a birthday-cake order, from the first call to "
    out += "the last crumb 🎂"
    return out + "x" * (110 - len(out))


def stage_name(i: int) -> str:
    """Names that read alike for 100 characters and differ only at their end."""
    return (
        "Customer calls the bakery during the morning rush to ask whether the birthday cake "
        f"is ready, attempt number {i + 1}"
    )


@cache
def everything(stages: int) -> JourneyMap:
    personas = [
        Persona(name=name, description=text(280, 900 + j), author=TEAM[0])
        for j, name in enumerate(PERSONAS)
    ]
    all_stages = []
    for i in range(stages):
        stage = Stage(name=stage_name(i), author=TEAM[i % 3])
        for lane in lanes():
            if lane.shape == Shape.LIST:
                stage.items(lane).extend(
                    Item(text=text(600, i * 1000 + k), author=TEAM[k % 3]) for k in range(12)
                )
            elif lane.shape == Shape.SINGLE:
                stage.put(lane, [Item(text=text(600, i), author=TEAM[1])])
        for j, persona in enumerate(PERSONAS):
            for k, member in enumerate(TEAM[:2]):
                word = f"panic, cake not ready #{i}.{j}.{k} 😱" if (i + j) % 2 else "tenang 🙂"
                score = (i + j + k) % 5 - 2
                stage.rate(Rating(persona=persona, score=score, word=word, author=member))
        all_stages.append(stage)
    needs = [Item(text=text(600, 5000 + k), author=TEAM[2]) for k in range(12)]
    fields = {
        "map_type": MapType.BLUEPRINT,
        "title": title(),
        "goal": text(300, 77),
        "language": "id",
        "personas": personas,
        "stages": all_stages,
        "needs": Needs(have=needs, need=needs),
        "created_by": TEAM[0],
    }
    # Past the interview's limits on purpose (600-character answers): see flows/model.py.
    return JourneyMap.model_validate(fields, context={"limits": None})


def squeeze(value: str) -> str:
    return re.sub(r"\s+", "", value)


def shown(cell) -> str:  # type: ignore[no-untyped-def]
    return squeeze("".join(line.text for line in cell.lines))


@pytest.mark.parametrize("stages", [8, 10])
def test_every_text_of_the_map_is_drawn_in_full(stages: int) -> None:
    journey_map = everything(stages)
    assert len(title()) == 110 and len(journey_map.stages[0].items("touchpoints")[0].text) == 600
    drawing = draw_map(journey_map, text="raster")
    cells = drawing.layout.cells
    # Everything the PNG draws comes from the cells, and nothing else is drawn.
    assert [line.text for line in drawing.overlay] == [
        line.text for cell in cells for line in cell.lines
    ]

    def only(kind: Kind, **where):  # type: ignore[no-untyped-def]
        found = [
            c for c in cells if c.kind == kind and all(getattr(c, k) == v for k, v in where.items())
        ]
        assert len(found) == 1, (kind, where)
        return found[0]

    title_cell = only(Kind.TITLE)
    assert shown(title_cell) == squeeze(clean(journey_map.title))
    assert len(title_cell.lines) <= 2  # a title wraps to two lines (smaller, if need be)
    assert shown(only(Kind.GOAL)) == squeeze(clean(journey_map.goal))
    for j, persona in enumerate(journey_map.personas):
        chip = shown(only(Kind.PERSONA, persona=j))
        assert chip == squeeze(clean(persona.name) + clean(persona.description))
    legend = shown(only(Kind.LEGEND))
    assert all(squeeze(clean(name)) in legend for name in PERSONAS)

    names = []
    for i, stage in enumerate(journey_map.stages):
        header = shown(only(Kind.STAGE, stage=i))
        assert header == squeeze(stage.name)  # whole: the look-alikes stay apart
        names.append(header)
        for lane in (lane for lane in lanes() if lane.shape != Shape.RATINGS):
            items = stage.items(lane)
            cell = only(Kind.LANE, stage=i, lane=lane)
            assert not cell.truncated
            assert shown(cell) == squeeze("".join(clean(item.text) for item in items)), (i, lane)
        words = shown(only(Kind.WORDS, stage=i))
        for persona in PERSONAS:
            for word in dict.fromkeys(stage.words_for(persona)):
                assert squeeze(f"{clean(persona)}:") in words
                assert squeeze(clean(word)) in words
    assert len(set(names)) == stages

    needs = [c for c in cells if c.kind == Kind.NEEDS]
    for cell, items in zip(needs, (journey_map.needs.have, journey_map.needs.need), strict=True):
        assert squeeze("".join(clean(i.text) for i in items)) in shown(cell)
    footer = shown(only(Kind.FOOTER))
    assert all(squeeze(a.name) in footer for a in TEAM)


def check_photo(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    assert width + height <= PHOTO.max_side_sum
    assert max(width, height) / min(width, height) <= PHOTO.max_ratio
    assert len(data) <= PHOTO.max_bytes
    return width, height


@pytest.mark.parametrize("stages", [8, 10])
def test_the_pictures_meet_telegrams_photo_limits(stages: int) -> None:
    pictures = render_pictures(everything(stages), limits=PHOTO)
    assert pictures.photos
    for data in pictures.photos:
        check_photo(data)
    with Image.open(io.BytesIO(pictures.full_png)) as full:
        assert full.format == "PNG" and full.size == pictures.full_size
    # A map this tall gains nothing from being cut between stages: one overview photo, and
    # the document carries the detail.
    assert pictures.parts == [(1, stages)]


def wide_map() -> JourneyMap:
    """Ten stages of everyday answers: too wide for one legible photo."""
    journey_map = everything(10).model_copy(deep=True)
    for stage in journey_map.stages:
        for lane in lanes():
            if lane.shape == Shape.LIST:
                del stage.items(lane)[2:]
                for item in stage.items(lane):
                    item.text = item.text[:60]
            elif lane.shape == Shape.SINGLE:
                stage.put(lane, [])
    journey_map.needs = Needs()
    for persona in journey_map.personas:
        persona.description = persona.description[:40]
    return journey_map


def test_a_map_too_wide_for_one_photo_comes_in_parts() -> None:
    """Two photos of five stages, each saying which stages it shows; the document is still
    the whole map."""
    journey_map = wide_map()
    pictures = render_pictures(journey_map, limits=PHOTO)
    assert pictures.parts == [(1, 5), (6, 10)]
    for data in pictures.photos:
        assert max(check_photo(data)) <= PHOTO.long_side
    whole = draw_map(journey_map).layout
    assert pictures.full_size[0] / pictures.full_size[1] == pytest.approx(
        whole.width / whole.height, rel=0.01
    )
    part = draw_map(journey_map, stages=(5, 6, 7, 8, 9), text="raster")
    header = " ".join(
        line.text for c in part.layout.cells if c.kind == Kind.DATE for line in c.lines
    )
    assert header.startswith("Tahap 6–10 dari 10")
    assert [c.stage for c in part.layout.cells if c.kind == Kind.STAGE] == [5, 6, 7, 8, 9]
