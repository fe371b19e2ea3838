"""Every user-facing text exists in English, Indonesian and Polish."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from flows.i18n import FLOWS_LOCALES, Join, Text, catalog_keys, load_catalog, t
from flows.spec import DEFAULT_STAGES, EMOTION_SCORES, LANGUAGES, MapType, lanes, pick_language
from flows.steps import EDITABLE_STEPS, Kind, sections, steps

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "bot", "storage", "renderers")
CATALOG_DIRS = sorted({po.parent for package in PACKAGES for po in (ROOT / package).rglob("*.po")})


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_there_are_catalogs() -> None:
    assert FLOWS_LOCALES in CATALOG_DIRS


@pytest.mark.parametrize("directory", CATALOG_DIRS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_key_is_in_every_language_with_the_same_placeholders(directory: Path) -> None:
    english = load_catalog(directory, "en")
    assert english, directory
    for lang in LANGUAGES:
        catalog = load_catalog(directory, lang)
        assert set(catalog) == set(english), (lang, set(english) ^ set(catalog))
        for key, template in catalog.items():
            assert template.strip(), (lang, key)
            assert placeholders(template) == placeholders(english[key]), (lang, key)


def keys_named_in_code() -> set[str]:
    """Keys the code names literally, plus the ones it builds from the declarations."""
    literal = re.compile(
        r"""(?:Text\.of|Text|say|Invalid|tr|t)\(\s*(?:[a-z_.]+,\s*)?["']([a-z_]+(?:\.[a-z_]+)*)["']"""
    )
    found: set[str] = set()
    for path in (ROOT / "flows").rglob("*.py"):
        found |= set(literal.findall(path.read_text(encoding="utf-8")))
    asked = [step for step in steps() if step.kind != Kind.REVIEW]
    found |= {step.question(map_type) for step in asked for map_type in (*MapType, None)}
    found |= set(sections()) | {lane.label_key for lane in lanes()}
    found |= {f"maptype.{m}" for m in MapType} | {f"emotion.{s}" for s in EMOTION_SCORES}
    found |= {f"edit.{s}" for s in EDITABLE_STEPS}
    found |= {key for keys in DEFAULT_STAGES.values() for key in keys}
    return found


def test_every_key_the_interview_uses_exists() -> None:
    used = keys_named_in_code()
    missing = {key for key in used if "." in key} - catalog_keys(FLOWS_LOCALES, "en")
    assert not missing
    assert len(used) > 60


def test_rendering_escapes_only_user_values() -> None:
    message = Text.of("review.title", title="<b>Kopi & Co</b>")
    assert t.render(message, "en", escape=lambda s: s.replace("<", "&lt;")) == (
        "Title: &lt;b>Kopi & Co&lt;/b>"
    )
    joined = Join.of([Text.of("lane.pains"), "a<b"], " | ")
    assert t.render(joined, "pl") == "Problemy | a<b"


def test_unknown_language_falls_back_to_english() -> None:
    assert t("xx", "lane.pains") == "Pain points"
    assert [pick_language(c) for c in ("pl", "id", "in", "en-US", "pt-BR", None)] == [
        "pl",
        "id",
        "id",
        "en",
        "en",
        "en",
    ]
