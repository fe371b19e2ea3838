"""The example maps (examples/*.json) and the largest map the interview allows, rendered into
docs/ for the README:  python -m renderers.examples [OUT_DIR]"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from flows.model import Author, Item, JourneyMap, Needs, Persona, Rating, Stage
from flows.spec import EMOTION_MAX, EMOTION_MIN, LIMITS, MapType, Shape, lanes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DOCS = ROOT / "docs"


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json"))


def load_example(name: str) -> JourneyMap:
    return JourneyMap.from_json((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


_FILLER = (
    "Klient czeka na odpowiedź — „kiedy przyjdzie paczka?” — i pisze znowu 😤; "
    "zażółć gęślą jaźń, koszt $25 + 10% VAT, https://example.com/tracking/very/long/path, "
)


def long_text(chars: int, seed: int) -> str:
    """Deterministic text of exactly `chars` characters, accents, an emoji and a URL inside."""
    text = f"#{seed} " + _FILLER * (chars // len(_FILLER) + 2)
    return text[:chars]


def stress_map(
    stages: int = LIMITS.max_stages,
    personas: int = LIMITS.max_personas,
    chars: int = LIMITS.item_chars,
    items: int = LIMITS.items_per_lane,
    map_type: MapType = MapType.BLUEPRINT,
) -> JourneyMap:
    """Every limit at its maximum at once: the worst case the image must still hold."""
    team = [Author(id=str(k), name=f"Członek zespołu {k}") for k in range(4)]
    people = [
        Persona(name=f"Persona {j} " + "Ż" * 20, description=long_text(chars, j), author=team[0])
        for j in range(personas)
    ]
    all_stages = []
    for i in range(stages):
        stage = Stage(name=long_text(60, i), author=team[i % 4])
        for lane in lanes():
            if lane.shape == Shape.RATINGS:
                continue
            if lane.shape == Shape.SINGLE:
                stage.put(lane, [Item(text=long_text(chars, i), author=team[1])])
                continue
            stage.items(lane).extend(
                Item(text=long_text(chars, i * 100 + k), author=team[k % 4]) for k in range(items)
            )
        for j, persona in enumerate(people):
            for k, member in enumerate(team[:3]):
                score = max(EMOTION_MIN, min(EMOTION_MAX, (i + j + k) % 5 - 2))
                stage.rate(Rating(persona=persona.name, score=score, word="źle", author=member))
        all_stages.append(stage)
    needs = [Item(text=long_text(chars, k), author=team[2]) for k in range(LIMITS.items_per_needs)]
    return JourneyMap(
        map_type=map_type,
        title=long_text(LIMITS.title_chars, 7),
        goal=long_text(chars, 8),
        language="pl",
        personas=people,
        stages=all_stages,
        needs=Needs(have=needs, need=needs),
        created_by=team[0],
        created_at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
    )


def main(argv: list[str] | None = None) -> None:
    from renderers.image import render_png  # matplotlib only when rendering

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DOCS
    out.mkdir(parents=True, exist_ok=True)
    for path in example_paths():
        journey_map = JourneyMap.from_json(path.read_text(encoding="utf-8"))
        target = out / f"example-{path.stem}.png"
        target.write_bytes(render_png(journey_map, preview=True))
        print(target)


if __name__ == "__main__":
    main()
