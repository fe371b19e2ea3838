"""Business templates: the stages and the suggestions to tap for one kind of business.

An owner says what kind of business they run ("bakery", "laundry", …); the template for that
kind gives the default stages of each map type and, for every stage, short suggestions for
each lane that takes them (every declared list or one-answer lane: touchpoints, pain points,
the owner's roles …, written under the lane's id), and one or two example personas, in every
language the bot speaks.

The templates are data: one TOML file per kind in `flows/templates/` (read with the standard
library's `tomllib`), so adding a kind is adding a file, and a reviewer reads one business at
a time with the three languages side by side. Every phrase is written as
`{ en = "…", id = "…", pl = "…" }`, which keeps the languages aligned by construction: the same
number of stages and suggestions in each, and a suggestion picked in one language has its
counterpart in the others.

A file's map type may take what it leaves out from another map type of the same file
(`from = "current"`): a stage with the same key lends its name and any lane the stage does
not list. The service blueprint uses it for the customer's lanes (a blueprint maps the same
journey and adds what happens backstage), the future state for the stage names and owners.

The labels of the kinds live in the files, not in the PO catalogs: a kind is then one file to
add and to review, and the test that checks the files checks its labels too. The catalogs
hold the interview's own words; the templates hold the domain's.

For the interview engine: store the kind (`"bakery"`) with the interview, offer
`kind_labels(lang)`, take `default_stages(kind, map_type, lang)` and `personas(kind, lang)`,
and for each question `suggestions(kind, map_type, stage, lane, lang)`, where `stage` is the
stage's position while the owner keeps the template's stages, or the key `find_stage()`
returns for a stage they renamed, typed or moved. Anything the template does not have is an
empty list, never an error; only an unknown kind or the emotion lane raise.

Nothing here knows about Telegram. `SUGGESTION_CHARS` is a product choice (a suggestion is a
short phrase a person taps, and a map cell shows it whole), not a chat limit.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from flows import spec
from flows.spec import LANGUAGES, LaneSpec, MapType, Shape, lanes_for, pick_language

TEMPLATES_DIR = Path(__file__).parent / "templates"

# The kind to offer when nothing else fits ("something else"): generic stages and suggestions.
GENERIC_KIND = "other"

# How long a suggestion may be: it is a button to tap and a line on the map. Aim for
# SUGGESTION_TARGET_CHARS, never above SUGGESTION_CHARS (the test checks both). These are
# rules for writing template files; what a person may type lives in flows/spec.py's Limits.
SUGGESTION_CHARS = 40
SUGGESTION_TARGET_CHARS = 32
STAGE_NAME_CHARS = 24
LABEL_CHARS = 32
PERSONA_NAME_CHARS = 20
PERSONA_DESCRIPTION_CHARS = 80

# How many suggestions a list lane offers per stage, and how many owner roles.
MIN_SUGGESTIONS = 5
MAX_SUGGESTIONS = 8
MIN_OWNERS = 1
MAX_OWNERS = 4


def suggested_lanes() -> tuple[LaneSpec, ...]:
    """The lanes a template may suggest answers for: every list lane, and every one-answer lane
    (its suggestions are answers to pick one of, e.g. the owner's roles). Emotions are scores,
    never suggested."""
    return tuple(lane for lane in spec.lanes() if lane.shape != Shape.RATINGS)


Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class TemplateError(ValueError):
    """A template file that cannot be read: bad TOML, a missing field, a broken reference."""


class Texts(BaseModel):
    """One phrase in every language, side by side."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    en: Phrase
    id: Phrase
    pl: Phrase

    def get(self, lang: str) -> str:
        """The phrase in `lang` (an unknown language gets English, as the catalogs do)."""
        return getattr(self, pick_language(lang))

    def languages(self) -> dict[str, str]:
        return {lang: self.get(lang) for lang in LANGUAGES}


class PersonaText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Phrase
    description: Phrase

    def line(self) -> str:
        """How the interview takes a persona: "Name: who they are and what they want"."""
        return f"{self.name}: {self.description}"


class PersonaTemplate(BaseModel):
    """An example persona, written for each language (names differ: Dewi, Ania, Maya)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    en: PersonaText
    id: PersonaText
    pl: PersonaText

    def get(self, lang: str) -> PersonaText:
        return getattr(self, pick_language(lang))


# --- the files as written ------------------------------------------------------------------


_SUGGESTIONS: TypeAdapter[list[Texts]] = TypeAdapter(list[Texts])


class StageFile(BaseModel):
    """A stage as written: its key and name, and a list of suggestions under the id of any
    lane that takes them (`pains = [...]`); any other field is a mistake."""

    model_config = ConfigDict(extra="allow")

    key: Key
    name: Texts | None = None

    @model_validator(mode="after")
    def _lanes(self) -> StageFile:
        lanes = {lane.id for lane in suggested_lanes()}
        extra = self.__pydantic_extra__ if self.__pydantic_extra__ is not None else {}
        for field, value in extra.items():
            if field not in lanes:
                raise ValueError(
                    f"{field!r} is not a lane that takes suggestions ({sorted(lanes)})"
                )
            extra[field] = _SUGGESTIONS.validate_python(value)
        return self

    def lane(self, lane: LaneSpec) -> list[Texts] | None:
        return (self.__pydantic_extra__ or {}).get(lane.id)


class MapFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    base: MapType | None = Field(default=None, alias="from")
    stages: list[StageFile] = Field(default_factory=list)


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Key
    order: int
    icon: str = ""
    label: Texts
    personas: list[PersonaTemplate] = Field(min_length=1)
    current: MapFile
    future: MapFile
    day_in_life: MapFile
    blueprint: MapFile

    def map_file(self, map_type: MapType) -> MapFile:
        return getattr(self, map_type.value)


# --- the templates as the interview reads them --------------------------------------------


class StageTemplate(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    name: Texts
    # Only the lanes that have suggestions, by lane id; an absent lane has none.
    lanes: Mapping[str, tuple[Texts, ...]]

    def suggestions(self, lane: LaneSpec | str, lang: str) -> list[str]:
        return [text.get(lang) for text in self.lanes.get(spec.lane(lane).id, ())]


class MapTemplate(BaseModel):
    model_config = ConfigDict(frozen=True)

    map_type: MapType
    stages: tuple[StageTemplate, ...]

    def stage(self, which: int | str) -> StageTemplate | None:
        """A stage by position (0-based) or key; None when there is no such stage."""
        if isinstance(which, int):
            return self.stages[which] if 0 <= which < len(self.stages) else None
        return next((s for s in self.stages if s.key == which), None)


class Template(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    order: int
    icon: str
    label: Texts
    personas: tuple[PersonaTemplate, ...]
    maps: Mapping[MapType, MapTemplate]
    source: Path

    def map(self, map_type: MapType | str) -> MapTemplate:
        return self.maps[MapType(map_type)]

    def choice_label(self, lang: str) -> str:
        """The label for a list of kinds to pick from, with its icon."""
        label = self.label.get(lang)
        return f"{self.icon} {label}" if self.icon else label


# --- reading -------------------------------------------------------------------------------


def read_template(path: Path) -> Template:
    """One template file, parsed and resolved. Raises TemplateError naming the file."""
    try:
        with path.open("rb") as handle:
            raw: dict[str, Any] = tomllib.load(handle)
        parsed = TemplateFile.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise TemplateError(f"{path.name}: {error}") from error
    if parsed.kind != path.stem:
        raise TemplateError(f"{path.name}: kind {parsed.kind!r} differs from the file name")
    maps = {map_type: _resolve(parsed, map_type, path) for map_type in MapType}
    return Template(
        kind=parsed.kind,
        order=parsed.order,
        icon=parsed.icon,
        label=parsed.label,
        personas=tuple(parsed.personas),
        maps=MappingProxyType(maps),
        source=path,
    )


def _resolve(parsed: TemplateFile, map_type: MapType, path: Path) -> MapTemplate:
    where = f"{path.name} [{map_type.value}]"
    own = parsed.map_file(map_type)
    base: dict[str, StageFile] = {}
    if own.base is not None:
        lender = parsed.map_file(own.base)
        if own.base == map_type or lender.base is not None:
            raise TemplateError(f"{where}: 'from' must name a map type that has its own stages")
        base = {stage.key: stage for stage in lender.stages}
    written = own.stages or list(base.values())
    allowed = set(lanes_for(map_type))
    stages: list[StageTemplate] = []
    for stage in written:
        lender_stage = base.get(stage.key)
        if own.base is not None and own.stages and lender_stage is None:
            raise TemplateError(f"{where}: stage {stage.key!r} is not in [{own.base.value}]")
        name = stage.name or (lender_stage.name if lender_stage else None)
        if name is None:
            raise TemplateError(f"{where}: stage {stage.key!r} has no name")
        lanes: dict[str, tuple[Texts, ...]] = {}
        for lane in suggested_lanes():
            texts = stage.lane(lane)
            if texts is not None and lane not in allowed:
                raise TemplateError(f"{where}: stage {stage.key!r}: a {map_type} has no {lane.id}")
            if texts is None and lender_stage is not None and lane in allowed:
                texts = lender_stage.lane(lane)
            if texts:
                lanes[lane.id] = tuple(texts)
        stages.append(StageTemplate(key=stage.key, name=name, lanes=MappingProxyType(lanes)))
    keys = [stage.key for stage in stages]
    if len(set(keys)) != len(keys):
        raise TemplateError(f"{where}: a stage key is used twice: {keys}")
    return MapTemplate(map_type=map_type, stages=tuple(stages))


@cache
def load_templates(directory: Path = TEMPLATES_DIR) -> Mapping[str, Template]:
    """Every template in `directory`, by kind, in the order to offer them (the generic one
    last). Read once per directory."""
    found = [read_template(path) for path in sorted(directory.glob("*.toml"))]
    found.sort(key=lambda tpl: (tpl.kind == GENERIC_KIND, tpl.order, tpl.kind))
    return MappingProxyType({tpl.kind: tpl for tpl in found})


def kinds() -> tuple[str, ...]:
    """The kinds of business there are templates for, in the order to offer them."""
    return tuple(load_templates())


def kind_labels(lang: str) -> list[tuple[str, str]]:
    """(kind, label with icon) for every kind, in order: what a "which business?" question
    offers."""
    return [(kind, tpl.choice_label(lang)) for kind, tpl in load_templates().items()]


def template(kind: str) -> Template:
    """The template for a kind. Raises KeyError for a kind there is no file for."""
    try:
        return load_templates()[kind]
    except KeyError:
        raise KeyError(f"no business template {kind!r}; there are {kinds()}") from None


def stage_keys(kind: str, map_type: MapType | str) -> tuple[str, ...]:
    return tuple(stage.key for stage in template(kind).map(map_type).stages)


def default_stages(kind: str, map_type: MapType | str, lang: str) -> list[str]:
    """The stage names the template proposes for this map type, in `lang`."""
    return [stage.name.get(lang) for stage in template(kind).map(map_type).stages]


def suggestions(
    kind: str, map_type: MapType | str, stage: int | str, lane: LaneSpec | str, lang: str
) -> list[str]:
    """What to offer for one lane at one stage, in `lang`.

    `stage` is the stage's position in the template's list (0-based) or its key. A stage
    beyond the template's (the owner added one), a lane the map type does not have (backstage
    outside a blueprint) or a lane without suggestions gives an empty list. The emotion lane
    is never suggested (ValueError)."""
    try:
        declared = spec.lane(lane)
    except KeyError as error:
        raise ValueError(str(error)) from None
    if declared not in suggested_lanes():
        raise ValueError(f"{declared.id} takes scores, not suggestions")
    found = template(kind).map(map_type).stage(stage)
    return found.suggestions(declared, lang) if found else []


def personas(kind: str, lang: str) -> list[PersonaText]:
    """The template's example personas in `lang` (`.line()` gives "Name: description")."""
    return [persona.get(lang) for persona in template(kind).personas]


def find_stage(kind: str, map_type: MapType | str, name: str) -> str | None:
    """The key of the template stage called `name` in any language (case and spacing
    ignored), or None: how an interview whose stages were renamed, reordered or typed by hand
    finds the suggestions that still fit a stage."""
    wanted = " ".join(name.casefold().split())
    for stage in template(kind).map(map_type).stages:
        names = {" ".join(n.casefold().split()) for n in stage.name.languages().values()}
        if wanted in names:
            return stage.key
    return None


def kind_for_stages(map_type: MapType | str, names: list[str]) -> str | None:
    """The kind whose template has most of these stage names (more than half of them), or
    None: how a saved map opened again (`/edit N`) finds its suggestions, the map itself
    keeping no kind."""
    best, found = None, 0
    for kind in kinds():
        matches = sum(1 for name in names if find_stage(kind, map_type, name) is not None)
        if matches > found:
            best, found = kind, matches
    return best if names and found * 2 > len(names) else None
