"""The translation layer: gettext PO catalogs (English, Indonesian, Polish) read with Babel.

Messages are identified by symbolic keys ("q.title", "lane.pains") so the code never holds
user-facing text. Each package keeps its own catalog folder next to its code
(`flows/locales/`, `renderers/locales/`, `bot/locales/`) and gets a `Translator` for it with
`domain()`; a key missing in a package's catalog is looked up in the flows catalog, which
holds the shared vocabulary (lane names, map types, stage names).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from flows.spec import DEFAULT_LANGUAGE, LANGUAGES

FLOWS_LOCALES = Path(__file__).parent / "locales"


@dataclass(frozen=True)
class Text:
    """A message still to be translated: a key and its parameters.

    Parameter values may be plain values (user text, numbers), other `Text`s (translated in
    the same language) or lists of either (joined one per line)."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, **params: Any) -> Text:
        return cls(key, params)


@dataclass(frozen=True)
class Join:
    """Several messages shown as one, separated by `sep`."""

    items: tuple[Any, ...]
    sep: str = "\n"

    @classmethod
    def of(cls, items: Iterable[Any], sep: str = "\n") -> Join:
        return cls(tuple(items), sep)


@cache
def load_catalog(directory: Path, lang: str) -> dict[str, str]:
    """key -> translated template, from `directory/<lang>.po`."""
    path = directory / f"{lang}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


class Translator:
    """Looks keys up in a chain of catalog folders, for one of the supported languages."""

    def __init__(self, *directories: Path) -> None:
        self.directories = directories

    def has(self, lang: str, key: str) -> bool:
        return any(key in load_catalog(d, lang) for d in self.directories)

    def template(self, lang: str, key: str) -> str:
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        for candidate in (lang, DEFAULT_LANGUAGE):
            for directory in self.directories:
                found = load_catalog(directory, candidate).get(key)
                if found is not None:
                    return found
        # A missing key is a bug the catalog tests catch; show the key rather than crash.
        return key

    def __call__(self, lang: str, key: str, **params: Any) -> str:
        return self.render(Text(key, params), lang)

    def render(
        self, text: Text | Join | str, lang: str, escape: Callable[[str], str] | None = None
    ) -> str:
        """Translate a `Text`; `escape` is applied to user-supplied values only (HTML)."""
        if not isinstance(text, Text):
            return self._value(text, lang, escape)
        values = {name: self._value(v, lang, escape) for name, v in text.params.items()}
        template = self.template(lang, text.key)
        return template.format(**values) if values else template

    def _value(self, value: Any, lang: str, escape: Callable[[str], str] | None) -> str:
        if isinstance(value, Text):
            return self.render(value, lang, escape)
        if isinstance(value, Join):
            return value.sep.join(self._value(v, lang, escape) for v in value.items)
        if isinstance(value, list | tuple):
            return "\n".join(self._value(v, lang, escape) for v in value)
        text = str(value)
        return escape(text) if escape else text


def domain(directory: Path) -> Translator:
    """A translator for a package's own catalog, falling back to the shared flows catalog."""
    return Translator(directory, FLOWS_LOCALES)


def catalog_keys(directory: Path, lang: str) -> set[str]:
    return set(load_catalog(directory, lang))


def escape_html(text: str) -> str:
    return html.escape(text, quote=False)


# The shared translator: flows' own catalog.
t = Translator(FLOWS_LOCALES)
